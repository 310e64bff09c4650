//! Paying duties: the accounts that secure a declarant's duties, the
//! release of a declaration with its payment, bank deposits and the
//! declarations waiting for them.
//!
//! Invariants:
//! - A declaration is released only with its duties debited (reserved
//!   before, or secured and debited in the same commit); otherwise it
//!   waits for payment.
//! - A deposit releases the payer's declarations waiting for payment,
//!   oldest first, as far as its accounts now cover them; one
//!   declaration's trouble does not stop the others.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Mrn};
use tamga_core::ledger::{AccountId, AccountKind};
use tamga_core::lifecycle::{Actor, Event, EventBody, NotificationKind, OfficerSignature, State};
use tamga_core::pipeline::PaymentResult;
use tamga_store::{DeclarationQuery, DeclarationRecord, PaymentOp, Role};

use super::access::require_user;
use super::changes::Change;
use super::{Caller, Clearance};
use crate::error::AppError;

impl Clearance {
    /// The accounts that secure `declarant`'s duties, in the order tried:
    /// its cash account (opened on first use), then its guarantee if any.
    pub(super) async fn paying_accounts(
        &self,
        declarant: &Eori,
    ) -> Result<Arc<Vec<AccountId>>, AppError> {
        let load = async {
            let currency = &self.accounts.currency().code;
            let now = OffsetDateTime::now_utc();
            let cash = self
                .store
                .ensure_ledger_account(declarant, AccountKind::Cash, currency, now)
                .await?;
            let mut ids = vec![cash.id];
            ids.extend(
                self.store
                    .ledger_accounts(Some(declarant))
                    .await?
                    .into_iter()
                    .filter(|a| a.kind == AccountKind::Guarantee && a.currency == *currency)
                    .map(|a| a.id),
            );
            Ok(ids)
        };
        self.paying_accounts
            .get_or_load(declarant, load, |_| true)
            .await
    }

    /// Forgets cached paying accounts (after a guarantee is granted).
    pub fn accounts_changed(&self, owner: &Eori) {
        self.paying_accounts.invalidate(owner);
    }

    /// An amount in the national currency's minor units.
    pub(super) fn minor(&self, amount: Decimal) -> Result<i64, AppError> {
        self.accounts
            .minor(amount)
            .map_err(|e| AppError::Unavailable(format!("amount {amount}: {e}")))
    }

    /// What a declaration's duties are and how they stand: the amount due
    /// (national currency) and whether it is reserved now, from its events.
    pub(super) fn payment_position(events: &[Event]) -> (Decimal, bool) {
        let due = events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::DutiesAssessed { result } => Some(result.amount_due()),
                _ => None,
            })
            .unwrap_or_default();
        let reserved = events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::PaymentSecured { result } => {
                    Some(matches!(result, PaymentResult::Reserved { .. }))
                }
                _ => None,
            })
            .unwrap_or(false);
        (due, reserved)
    }

    /// The amount due on a stored declaration, from its events.
    pub(super) async fn due_of(&self, rec: &DeclarationRecord) -> Result<Decimal, AppError> {
        Ok(Self::payment_position(&self.store.events(&rec.mrn).await?).0)
    }

    /// The release of a declaration with its payment: debit the
    /// reservation, or secure and debit at once, or (officer release of an
    /// unsecured declaration) wait for payment.
    pub(super) async fn release_paying(
        &self,
        rec: DeclarationRecord,
        events: &[Event],
        actor: Actor,
        automatic: bool,
        wait_if_unsecured: bool,
        signature: Option<OfficerSignature>,
    ) -> Result<DeclarationRecord, AppError> {
        let (due, reserved) = Self::payment_position(events);
        let released = (
            actor.clone(),
            EventBody::Released {
                automatic,
                signature: signature.clone(),
            },
        );
        let currency = self.accounts.currency().code.clone();
        if due.is_zero() || reserved {
            let change = Change {
                bodies: vec![released],
                new_declaration: None,
                kinds: vec![NotificationKind::Released],
                payer: None,
                original: None,
            };
            let payment = reserved.then_some((PaymentOp::Debit, None));
            return self.change_paying(rec, change, payment).await;
        }
        let payer = crate::mandates::payer_of(events, &rec.declarant);
        let secure = PaymentOp::Secure {
            accounts: self.paying_accounts(&payer).await?.to_vec(),
            amount: self.minor(due)?,
            debit: true,
        };
        let change = Change {
            bodies: vec![
                (
                    Actor::System,
                    EventBody::PaymentSecured {
                        result: PaymentResult::Reserved {
                            currency: currency.clone(),
                            amount: due,
                        },
                    },
                ),
                released,
            ],
            new_declaration: None,
            kinds: vec![NotificationKind::Released],
            payer: None,
            original: None,
        };
        let otherwise = wait_if_unsecured.then(|| Change {
            bodies: vec![(
                actor,
                EventBody::ReleaseGrantedPendingPayment {
                    currency,
                    amount: due,
                    signature,
                },
            )],
            new_declaration: None,
            kinds: vec![NotificationKind::AwaitingPayment],
            payer: Some(payer.clone()),
            original: None,
        });
        self.change_paying(rec, change, Some((secure, otherwise)))
            .await
    }

    /// Releases the declarations waiting for payment that `declarant`
    /// pays (its own, and those it lodged as indirect representative
    /// without the payment right), oldest first, as far as its accounts
    /// now cover them. Returns the MRNs released.
    #[tracing::instrument(skip_all)]
    pub async fn settle_awaiting(&self, declarant: &Eori) -> Result<Vec<Mrn>, AppError> {
        let waiting = self.awaiting(Some(declarant)).await?;
        let mut released = Vec::new();
        for rec in waiting {
            // Read once: for who pays and for the payment.
            let events = self.store.events(&rec.mrn).await?;
            if crate::mandates::payer_of(&events, &rec.declarant) != *declarant {
                continue;
            }
            let mrn = rec.mrn.clone();
            match self
                .release_paying(rec, &events, Actor::System, true, false, None)
                .await
            {
                Ok(_) => released.push(mrn),
                Err(AppError::PaymentNotSecured { .. } | AppError::Stale) => {}
                // One declaration's trouble must not stop the others (nor
                // a start): it stays waiting and is retried next time.
                Err(e) => {
                    tracing::error!(%mrn, error = %e, "automatic release after payment failed")
                }
            }
        }
        Ok(released)
    }

    /// Every declaration waiting for payment (of `party`), oldest first.
    async fn awaiting(&self, party: Option<&Eori>) -> Result<Vec<DeclarationRecord>, AppError> {
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .store
                .declarations(&DeclarationQuery {
                    party: party.cloned(),
                    states: Some(vec![State::AwaitingPayment]),
                    before: before.clone(),
                    limit: 500,
                    ..Default::default()
                })
                .await?;
            let full = page.len() == 500;
            before = page.last().map(|r| r.mrn.clone());
            all.extend(page);
            if !full {
                break;
            }
        }
        all.reverse();
        Ok(all)
    }

    /// Settles every declaration waiting for payment (at start).
    pub(super) async fn settle_all_awaiting(&self) -> Result<(), AppError> {
        let mut declarants = std::collections::BTreeSet::new();
        for r in self.awaiting(None).await? {
            declarants.insert(self.payer(&r).await?);
        }
        for d in declarants {
            self.settle_awaiting(&d).await?;
        }
        Ok(())
    }

    /// A bank payment into a trader's single personal account (bank side,
    /// idempotent by the bank's reference); then releases what it covers.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn deposit(
        &self,
        caller: &Caller,
        payment_reference: &str,
        bank_reference: &str,
        amount: Decimal,
        currency: &CurrencyCode,
    ) -> Result<(crate::account::DepositReceipt, Vec<Mrn>), AppError> {
        require_user(caller, &[Role::Bank])?;
        let receipt = self
            .accounts
            .deposit(payment_reference, bank_reference, amount, currency)
            .await?;
        let owner = self
            .store
            .ledger_account(receipt.account)
            .await?
            .and_then(|a| a.owner);
        let released = match owner {
            Some(o) => self.settle_awaiting(&o).await?,
            None => Vec::new(),
        };
        Ok((receipt, released))
    }
}
