//! The single personal account service: traders' cash and guarantee
//! accounts over the store's double-entry ledger ([`tamga_core::ledger`]).
//!
//! Amounts come in and go out as exact `Decimal`s in the national currency
//! (refused with `LEDGER-TOO-MANY-DECIMALS` when they have more decimals
//! than it allows) and are `i64` minor units inside. Every operation goes
//! through a group-commit task, like declaration writes: whatever is
//! waiting is applied in one durable transaction ([`Store::ledger`]), and
//! each caller gets its own outcome once it is on disk.
//!
//! The views it answers with are in [`views`], the statement and its CSV
//! in [`statement`], a statement a page at a time in [`paged`].

use std::sync::Arc;

use rust_decimal::Decimal;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use tamga_core::codes::{CurrencyCode, Eori, Mrn};
use tamga_core::ledger::{
    breakdown, from_minor, parse_payment_reference, qr_payload, to_minor, AccountId, AccountKind,
    Balances, LedgerError, LedgerOp, LedgerOutcome, RefundId, ReservationStatus,
};
use tamga_store::{LedgerAccount, Refund, StatementData, Store, StoreError};

mod paged;
mod statement;
mod views;

pub use paged::{StatementCursor, StatementPageView, MAX_PAGE};

pub use statement::{DeclarationLine, Statement};
pub use views::{
    AccountView, BalanceView, DepositReceipt, MovementView, PaymentInstructions, RefundView,
    ReserveResult, Settlement,
};

/// Errors of the account service, each with a stable [`AccountError::code`].
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A refused ledger operation (bad amount, duplicate bank payment, no
    /// reservation, …): the ledger's own code.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A refund larger than the available balance.
    #[error("insufficient funds: {available} available")]
    Insufficient { available: Decimal },
    /// The operator has no account of this kind.
    #[error("{owner} has no {} account", .kind.as_str())]
    NoAccount { owner: Eori, kind: AccountKind },
    #[error("statement period must have from < to")]
    BadPeriod,
    #[error("storage failure: {0}")]
    Store(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl AccountError {
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::Ledger(e) => e.code(),
            AccountError::Insufficient { .. } => "LEDGER-INSUFFICIENT-FUNDS",
            AccountError::NoAccount { .. } => "LEDGER-NO-ACCOUNT",
            AccountError::BadPeriod => "LEDGER-BAD-PERIOD",
            AccountError::Store(_) => "STORAGE_ERROR",
            AccountError::Unavailable(_) => "UNAVAILABLE",
        }
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Store(e.to_string())
    }
}

/// The ledger's (national) currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCurrency {
    pub code: CurrencyCode,
    pub minor_units: u32,
}

impl LedgerCurrency {
    /// The demo country's currency: Uzbek sum, 2 minor units (tiyin).
    pub fn uzs() -> Self {
        LedgerCurrency {
            code: CurrencyCode::parse("UZS").expect("valid currency code"),
            minor_units: 2,
        }
    }
}

/// The form of a bank's reference that the duplicate check compares and
/// the ledger stores: surrounding whitespace dropped, every inner run of
/// whitespace one space, upper case. So `"BANK-1"`, `" bank-1 "` and
/// `"Bank-1"` are one payment (issue 13, finding 11).
pub fn normalize_bank_reference(reference: &str) -> String {
    reference
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

// --- the service -----------------------------------------------------------------------

type Reply = oneshot::Sender<Result<LedgerOutcome, AccountError>>;

/// Group commit of ledger operations.
#[derive(Clone)]
struct Batcher {
    tx: mpsc::Sender<(LedgerOp, Reply)>,
}

impl Batcher {
    fn spawn(store: Arc<dyn Store>, max_batch: usize) -> Batcher {
        let max_batch = max_batch.max(1);
        let (tx, mut rx) = mpsc::channel::<(LedgerOp, Reply)>(max_batch * 4);
        tokio::spawn(async move {
            let mut ops = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some((op, r)) = rx.recv().await {
                ops.push(op);
                replies.push(r);
                while ops.len() < max_batch {
                    match rx.try_recv() {
                        Ok((op, r)) => {
                            ops.push(op);
                            replies.push(r);
                        }
                        Err(_) => break,
                    }
                }
                match store.ledger(&ops, OffsetDateTime::now_utc()).await {
                    Ok(outcomes) => {
                        for (reply, o) in replies.drain(..).zip(outcomes) {
                            let _ = reply.send(Ok(o));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, batch = ops.len(), "ledger commit failed");
                        let msg = e.to_string();
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(AccountError::Store(msg.clone())));
                        }
                    }
                }
                ops.clear();
            }
        });
        Batcher { tx }
    }

    async fn apply(&self, op: LedgerOp) -> Result<LedgerOutcome, AccountError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((op, tx))
            .await
            .map_err(|_| AccountError::Unavailable("ledger writer stopped".into()))?;
        rx.await
            .map_err(|_| AccountError::Unavailable("ledger writer stopped".into()))?
    }
}

/// The single personal account service. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn Store>,
    currency: LedgerCurrency,
    batcher: Batcher,
}

/// Default most operations per ledger commit.
pub const DEFAULT_MAX_BATCH: usize = 512;

impl Accounts {
    /// Starts the service (and its group-commit task: call inside a tokio
    /// runtime).
    pub fn new(store: Arc<dyn Store>, currency: LedgerCurrency) -> Accounts {
        Self::with_max_batch(store, currency, DEFAULT_MAX_BATCH)
    }

    pub fn with_max_batch(
        store: Arc<dyn Store>,
        currency: LedgerCurrency,
        max_batch: usize,
    ) -> Accounts {
        Accounts {
            batcher: Batcher::spawn(store.clone(), max_batch),
            store,
            currency,
        }
    }

    pub fn currency(&self) -> &LedgerCurrency {
        &self.currency
    }

    /// Exact minor units of a national-currency amount.
    pub fn minor(&self, amount: Decimal) -> Result<i64, AccountError> {
        Ok(to_minor(
            amount,
            &self.currency.code,
            self.currency.minor_units,
        )?)
    }

    pub fn decimal(&self, minor: i64) -> Decimal {
        from_minor(minor, self.currency.minor_units)
    }

    fn balance_view(&self, b: Balances) -> BalanceView {
        BalanceView {
            available: self.decimal(b.available),
            reserved: self.decimal(b.reserved),
        }
    }

    fn view(&self, a: LedgerAccount) -> AccountView {
        AccountView {
            id: a.id,
            owner: a.owner,
            kind: a.kind,
            currency: a.currency,
            balances: self.balance_view(a.balances),
            payment_reference: a.payment_reference,
        }
    }

    fn refund_view(&self, r: Refund) -> RefundView {
        RefundView {
            id: r.id,
            account: r.account,
            amount: self.decimal(r.amount),
            status: r.status,
            decided_by: r.decided_by,
        }
    }

    /// Opens (idempotently) the operator's account of this kind.
    pub async fn open(&self, owner: &Eori, kind: AccountKind) -> Result<AccountView, AccountError> {
        let a = self
            .store
            .ensure_ledger_account(owner, kind, &self.currency.code, OffsetDateTime::now_utc())
            .await?;
        Ok(self.view(a))
    }

    async fn account(
        &self,
        owner: &Eori,
        kind: AccountKind,
    ) -> Result<LedgerAccount, AccountError> {
        self.store
            .ledger_accounts(Some(owner))
            .await?
            .into_iter()
            .find(|a| a.kind == kind && a.currency == self.currency.code)
            .ok_or_else(|| AccountError::NoAccount {
                owner: owner.clone(),
                kind,
            })
    }

    /// The operator's accounts with their balances.
    #[tracing::instrument(skip_all)]
    pub async fn balances(&self, owner: &Eori) -> Result<Vec<AccountView>, AccountError> {
        Ok(self
            .store
            .ledger_accounts(Some(owner))
            .await?
            .into_iter()
            .map(|a| self.view(a))
            .collect())
    }

    /// The internal accounts (bank clearing, revenue, …).
    pub async fn internal_balances(&self) -> Result<Vec<AccountView>, AccountError> {
        Ok(self
            .store
            .ledger_accounts(None)
            .await?
            .into_iter()
            .map(|a| self.view(a))
            .collect())
    }

    /// The payment reference and QR payload to quote on bank transfers
    /// (opens the cash account if needed).
    #[tracing::instrument(skip_all)]
    pub async fn payment_instructions(
        &self,
        owner: &Eori,
    ) -> Result<PaymentInstructions, AccountError> {
        let a = self.open(owner, AccountKind::Cash).await?;
        let reference = a
            .payment_reference
            .ok_or_else(|| AccountError::Store("cash account without payment reference".into()))?;
        Ok(PaymentInstructions {
            qr_payload: qr_payload(&reference, &self.currency.code),
            payment_reference: reference,
            currency: self.currency.code.clone(),
        })
    }

    /// A bank payment (bank side): idempotent by `bank_reference`.
    pub async fn deposit(
        &self,
        payment_reference: &str,
        bank_reference: &str,
        amount: Decimal,
        currency: &CurrencyCode,
    ) -> Result<DepositReceipt, AccountError> {
        if *currency != self.currency.code {
            return Err(LedgerError::CurrencyMismatch {
                expected: self.currency.code.clone(),
                got: currency.clone(),
            }
            .into());
        }
        let amount = self.minor(amount)?;
        let payment_reference = parse_payment_reference(payment_reference)?;
        match self
            .batcher
            .apply(LedgerOp::Deposit {
                payment_reference,
                bank_reference: normalize_bank_reference(bank_reference),
                amount,
            })
            .await?
        {
            LedgerOutcome::Deposited {
                txn,
                account,
                amount,
                replay,
            } => Ok(DepositReceipt {
                txn,
                account,
                amount: self.decimal(amount),
                replay,
            }),
            o => Err(unexpected(o)),
        }
    }

    /// Secures a declaration's duties on the operator's account of `kind`
    /// (cash or guarantee).
    pub async fn reserve(
        &self,
        owner: &Eori,
        kind: AccountKind,
        mrn: &Mrn,
        amount: Decimal,
    ) -> Result<ReserveResult, AccountError> {
        let amount = self.minor(amount)?;
        let account = self.account(owner, kind).await?.id;
        self.reserve_on(account, mrn, amount).await
    }

    /// [`Accounts::reserve`] by account id and minor units.
    pub async fn reserve_on(
        &self,
        account: AccountId,
        mrn: &Mrn,
        amount: i64,
    ) -> Result<ReserveResult, AccountError> {
        match self
            .batcher
            .apply(LedgerOp::Reserve {
                account,
                mrn: mrn.clone(),
                amount,
            })
            .await?
        {
            LedgerOutcome::Reserved { txn, replay } => Ok(ReserveResult::Reserved { txn, replay }),
            LedgerOutcome::Insufficient { available } => Ok(ReserveResult::Insufficient {
                available: self.decimal(available),
            }),
            o => Err(unexpected(o)),
        }
    }

    /// At release: the reservation is debited to revenue.
    pub async fn debit(&self, mrn: &Mrn) -> Result<Settlement, AccountError> {
        self.settle(LedgerOp::Debit { mrn: mrn.clone() }, mrn).await
    }

    /// At invalidation or refusal: the reservation goes back to available.
    pub async fn release(&self, mrn: &Mrn) -> Result<Settlement, AccountError> {
        self.settle(LedgerOp::Release { mrn: mrn.clone() }, mrn)
            .await
    }

    async fn settle(&self, op: LedgerOp, mrn: &Mrn) -> Result<Settlement, AccountError> {
        let (status, txn, account, amount, replay) = match self.batcher.apply(op).await? {
            LedgerOutcome::Debited {
                txn,
                account,
                amount,
                replay,
            } => (ReservationStatus::Debited, txn, account, amount, replay),
            LedgerOutcome::Released {
                txn,
                account,
                amount,
                replay,
            } => (ReservationStatus::Released, txn, account, amount, replay),
            o => return Err(unexpected(o)),
        };
        Ok(Settlement {
            mrn: mrn.clone(),
            status,
            txn,
            account,
            amount: self.decimal(amount),
            replay,
        })
    }

    /// The trader asks for money back from its cash account.
    #[tracing::instrument(skip_all)]
    pub async fn request_refund(
        &self,
        owner: &Eori,
        amount: Decimal,
    ) -> Result<RefundView, AccountError> {
        let amount = self.minor(amount)?;
        let account = self.account(owner, AccountKind::Cash).await?.id;
        match self
            .batcher
            .apply(LedgerOp::RequestRefund { account, amount })
            .await?
        {
            LedgerOutcome::RefundRequested { refund, .. } => self.refund(refund).await,
            LedgerOutcome::Insufficient { available } => Err(AccountError::Insufficient {
                available: self.decimal(available),
            }),
            o => Err(unexpected(o)),
        }
    }

    /// An officer approves (money goes to the bank) or rejects (back to
    /// available) a pending refund.
    #[tracing::instrument(skip_all)]
    pub async fn decide_refund(
        &self,
        refund: RefundId,
        approve: bool,
        officer: &str,
    ) -> Result<RefundView, AccountError> {
        match self
            .batcher
            .apply(LedgerOp::DecideRefund {
                refund,
                approve,
                officer: officer.to_owned(),
            })
            .await?
        {
            LedgerOutcome::RefundDecided { refund, .. } => self.refund(refund).await,
            o => Err(unexpected(o)),
        }
    }

    pub async fn refund(&self, id: RefundId) -> Result<RefundView, AccountError> {
        let r = self
            .store
            .refund(id)
            .await?
            .ok_or(LedgerError::UnknownRefund(id))?;
        Ok(self.refund_view(r))
    }

    /// The operator's refunds, oldest first.
    pub async fn refunds(&self, owner: &Eori) -> Result<Vec<RefundView>, AccountError> {
        let account = self.account(owner, AccountKind::Cash).await?.id;
        Ok(self
            .store
            .refunds(account)
            .await?
            .into_iter()
            .map(|r| self.refund_view(r))
            .collect())
    }

    /// Raises a guarantee limit (opens the guarantee account if needed).
    #[tracing::instrument(skip_all)]
    pub async fn grant_guarantee(
        &self,
        owner: &Eori,
        amount: Decimal,
    ) -> Result<AccountView, AccountError> {
        let amount = self.minor(amount)?;
        let account = self.open(owner, AccountKind::Guarantee).await?.id;
        match self
            .batcher
            .apply(LedgerOp::GrantGuarantee { account, amount })
            .await?
        {
            LedgerOutcome::GuaranteeGranted { .. } => Ok(self.view(
                self.store
                    .ledger_account(account)
                    .await?
                    .ok_or(LedgerError::UnknownAccount(account))?,
            )),
            o => Err(unexpected(o)),
        }
    }

    /// The statement of the operator's account of `kind` for `[from, to)`.
    #[tracing::instrument(skip_all)]
    pub async fn statement(
        &self,
        owner: &Eori,
        kind: AccountKind,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Statement, AccountError> {
        if from >= to {
            return Err(AccountError::BadPeriod);
        }
        let account = self.account(owner, kind).await?.id;
        let data = self
            .store
            .statement(account, from, to)
            .await?
            .ok_or(LedgerError::UnknownAccount(account))?;
        Ok(self.statement_view(data, from, to))
    }

    fn statement_view(
        &self,
        s: StatementData,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Statement {
        let mut running = s.opening;
        let movements = s
            .movements
            .iter()
            .map(|m| {
                running.apply(m.bucket, m.delta);
                MovementView {
                    entry: m.entry,
                    txn: m.txn,
                    at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(m.at_nanos))
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    kind: m.kind,
                    bucket: m.bucket,
                    amount: self.decimal(m.delta),
                    balance_after: self.balance_view(running),
                    mrn: m.mrn.clone(),
                    reference: m.reference.clone(),
                }
            })
            .collect();
        let declarations = breakdown(&s.movements)
            .into_iter()
            .map(|(mrn, b)| DeclarationLine {
                mrn,
                reserved: self.decimal(b.reserved),
                debited: self.decimal(b.debited),
                released: self.decimal(b.released),
            })
            .collect();
        Statement {
            account: self.view(s.account),
            from,
            to,
            opening: self.balance_view(s.opening),
            closing: self.balance_view(s.closing),
            movements,
            declarations,
        }
    }
}

/// A refusal becomes its error; anything else here is a bug in the store.
fn unexpected(o: LedgerOutcome) -> AccountError {
    match o {
        LedgerOutcome::Refused(e) => AccountError::Ledger(e),
        o => AccountError::Store(format!("unexpected ledger outcome {o:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::codes::{CountryCode, MrnCategory};
    use tamga_core::ledger::RefundStatus;
    use tamga_store::testing::TestDb;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn mrn(n: u64) -> Mrn {
        Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            n,
            MrnCategory::Import,
        )
        .unwrap()
    }

    #[test]
    fn bank_references_are_normalized() {
        for same in ["BANK-1", "bank-1", " Bank-1 ", "\tbank-1\n"] {
            assert_eq!(normalize_bank_reference(same), "BANK-1");
        }
        assert_eq!(normalize_bank_reference(" ab   cd\t e "), "AB CD E");
        assert_ne!(
            normalize_bank_reference("BANK-1"),
            normalize_bank_reference("BANK1")
        );
    }

    async fn service(db: &TestDb) -> Accounts {
        Accounts::new(db.open().await, LedgerCurrency::uzs())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_account_story() {
        let db = TestDb::sqlite().await;
        let acc = service(&db).await;
        let trader = Eori::parse("UZ000000000101").unwrap();
        let pay = acc.payment_instructions(&trader).await.unwrap();
        assert!(pay.payment_reference.starts_with("RF"));
        assert!(pay.qr_payload.contains(&pay.payment_reference));
        let uzs = acc.currency().code.clone();

        // Quoted with spaces and lower case, as people do.
        let spaced = format!(" {} ", pay.payment_reference.to_lowercase());
        let r = acc
            .deposit(&spaced, "BANK-1", dec("1500000.50"), &uzs)
            .await
            .unwrap();
        assert_eq!(r.amount.to_string(), "1500000.50");
        assert!(!r.replay);
        let again = acc
            .deposit(&pay.payment_reference, "BANK-1", dec("1500000.5"), &uzs)
            .await
            .unwrap();
        assert!(again.replay);
        assert_eq!(again.txn, r.txn);
        let e = acc
            .deposit(&pay.payment_reference, "BANK-1", dec("1"), &uzs)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-DUPLICATE-PAYMENT");
        let e = acc
            .deposit(&pay.payment_reference, "BANK-2", dec("1.001"), &uzs)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-TOO-MANY-DECIMALS");
        let e = acc
            .deposit(
                &pay.payment_reference,
                "BANK-2",
                dec("1"),
                &CurrencyCode::parse("USD").unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-CURRENCY-MISMATCH");

        let res = acc
            .reserve(&trader, AccountKind::Cash, &mrn(1), dec("1000000.25"))
            .await
            .unwrap();
        assert!(matches!(res, ReserveResult::Reserved { replay: false, .. }));
        let res = acc
            .reserve(&trader, AccountKind::Cash, &mrn(2), dec("600000"))
            .await
            .unwrap();
        assert_eq!(
            res,
            ReserveResult::Insufficient {
                available: dec("500000.25")
            }
        );
        let e = acc
            .reserve(&trader, AccountKind::Cash, &mrn(2), dec("0.001"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-TOO-MANY-DECIMALS");
        let e = acc
            .reserve(&trader, AccountKind::Guarantee, &mrn(2), dec("1"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-NO-ACCOUNT");
        let s = acc.debit(&mrn(1)).await.unwrap();
        assert_eq!(
            (s.status, s.amount.to_string()),
            (ReservationStatus::Debited, "1000000.25".into())
        );
        assert_eq!(
            acc.release(&mrn(1)).await.unwrap_err().code(),
            "LEDGER-RESERVATION-SETTLED"
        );

        let refund = acc.request_refund(&trader, dec("100000")).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Pending);
        let e = acc
            .request_refund(&trader, dec("400000.26"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "LEDGER-INSUFFICIENT-FUNDS");
        let decided = acc
            .decide_refund(refund.id, true, "officer1")
            .await
            .unwrap();
        assert_eq!(decided.status, RefundStatus::Approved);
        assert_eq!(acc.refunds(&trader).await.unwrap().len(), 1);

        let g = acc.grant_guarantee(&trader, dec("250000")).await.unwrap();
        assert_eq!(g.balances.available, dec("250000.00"));

        let b = acc.balances(&trader).await.unwrap();
        let cash = b.iter().find(|a| a.kind == AccountKind::Cash).unwrap();
        assert_eq!(cash.balances.available.to_string(), "400000.25");
        assert_eq!(cash.balances.reserved.to_string(), "0.00");

        let from = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let to = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let st = acc
            .statement(&trader, AccountKind::Cash, from, to)
            .await
            .unwrap();
        assert_eq!(st.opening.available, dec("0"));
        assert_eq!(st.closing, cash.balances);
        assert_eq!(st.declarations.len(), 1);
        assert_eq!(st.declarations[0].debited.to_string(), "1000000.25");
        let last = st.movements.last().unwrap();
        assert_eq!(last.balance_after, st.closing);
        let json = serde_json::to_value(&st).unwrap();
        assert_eq!(json["closing"]["available"], "400000.25");
        assert_eq!(json["movements"][0]["kind"], "deposit");
        let csv = st.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("record,at,txn"));
        assert!(lines[1].starts_with("opening,"));
        assert_eq!(lines.len(), 1 + 1 + st.movements.len() + 1 + 1);
        assert!(lines
            .iter()
            .any(|l| l.starts_with("closing,") && l.contains(",400000.25,0.00,")));
        assert!(lines.last().unwrap().starts_with(&format!(
            "declaration,,,,,,,1000000.25,{},,1000000.25,0.00",
            mrn(1).as_str()
        )));
        assert_eq!(
            acc.statement(&trader, AccountKind::Cash, to, from)
                .await
                .unwrap_err()
                .code(),
            "LEDGER-BAD-PERIOD"
        );
    }

    /// 1,000 declarations at once through the group commit against funds
    /// for exactly 600: 600 reserved and debited, 400 wait, exact balances.
    async fn thousand_at_once(db: TestDb) {
        let acc = Accounts::with_max_batch(db.open().await, LedgerCurrency::uzs(), 128);
        let trader = Eori::parse("UZ000000000102").unwrap();
        let pay = acc.payment_instructions(&trader).await.unwrap();
        let duty = dec("12345.67");
        acc.deposit(
            &pay.payment_reference,
            "B1",
            duty * Decimal::from(600),
            &acc.currency().code,
        )
        .await
        .unwrap();
        let mut tasks = Vec::new();
        for i in 0..1_000u64 {
            let (acc, trader) = (acc.clone(), trader.clone());
            tasks.push(tokio::spawn(async move {
                match acc
                    .reserve(&trader, AccountKind::Cash, &mrn(i), duty)
                    .await
                    .unwrap()
                {
                    ReserveResult::Reserved { .. } => {
                        acc.debit(&mrn(i)).await.unwrap();
                        true
                    }
                    ReserveResult::Insufficient { .. } => false,
                }
            }));
        }
        let mut released = 0;
        for t in tasks {
            released += usize::from(t.await.unwrap());
        }
        assert_eq!(released, 600);
        let cash = acc.balances(&trader).await.unwrap().remove(0);
        assert_eq!(cash.balances.available.to_string(), "0.00");
        assert_eq!(cash.balances.reserved.to_string(), "0.00");
        let revenue = acc
            .internal_balances()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.kind == AccountKind::Revenue)
            .unwrap();
        assert_eq!(revenue.balances.available, dec("7407402.00"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_thousand_at_once() {
        thousand_at_once(TestDb::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
    async fn postgres_thousand_at_once() {
        thousand_at_once(TestDb::postgres_variant().await).await;
    }
}
