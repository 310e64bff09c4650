//! The tariff duties are assessed with: its import, the assessment of a
//! declaration's duties, and the tariff quota balances.
//!
//! Invariants:
//! - A tariff is imported only in the accounts' national currency (a
//!   currency change needs a restart).
//! - Quota balances are first come, first served in lodging order: reading
//!   a balance and drawing on it are one step under one lock. Draws of a
//!   declaration that is not stored (or is invalidated or refused) are
//!   given back.
//! - A goods item that cannot be assessed rejects the declaration.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;

use tamga_core::control::{violation, Violation};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{Event, EventBody};
use tamga_core::pipeline::{DutyResult, NO_TARIFF_REASON};
use tamga_core::tariff::{self, Tariff};
use tamga_store::{QuotaDrawRecord, Role, StoredTariff};

use super::access::require_user;
use super::{Caller, Clearance};
use crate::error::AppError;

/// The tariff duties are assessed with.
pub struct CurrentTariff {
    /// Stored id, name and SHA-256 of the imported file.
    pub id: i64,
    pub name: String,
    pub sha256: String,
    pub tariff: Tariff,
}

impl Clearance {
    /// The tariff in use, if any.
    pub fn tariff(&self) -> Option<Arc<CurrentTariff>> {
        self.tariff.read().expect("lock").clone()
    }

    /// Imports a tariff file: checks it, stores it and uses it from now on.
    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn import_tariff(
        &self,
        caller: &Caller,
        body: &str,
    ) -> Result<Arc<CurrentTariff>, AppError> {
        let user = require_user(caller, &[Role::Admin])?;
        let parsed = tariff::load(body).map_err(|errs| tariff_load_error(&errs))?;
        let ledger = self.accounts.currency();
        if parsed.national_currency != ledger.code.as_str()
            || parsed.national_minor_units() != ledger.minor_units
        {
            return Err(AppError::bad_request(
                "TARIFF_CURRENCY_CHANGE",
                "/nationalCurrency",
                format!(
                    "the tariff's national currency {} ({} minor units) differs from the accounts' {} ({}); a currency change needs a restart with the new tariff imported by `tamga tariff import`",
                    parsed.national_currency,
                    parsed.national_minor_units(),
                    ledger.code,
                    ledger.minor_units
                ),
            ));
        }
        let name = parsed.name;
        let now = OffsetDateTime::now_utc();
        let (id, new) = self.store.put_tariff(&name, body, now).await?;
        let stored = self
            .store
            .tariff()
            .await?
            .ok_or_else(|| AppError::Unavailable("tariff vanished after import".into()))?;
        let current = Arc::new(load_tariff(stored, &self.store.reference().await?)?);
        *self.tariff.write().expect("lock") = Some(current.clone());
        crate::epochs::bump(self.store.as_ref(), crate::epochs::TARIFF).await;
        self.store
            .append_audit(
                &format!("user:{}", user.username),
                "tariff.import",
                now,
                &json!({ "id": id, "name": name, "new": new, "sha256": current.sha256 }),
            )
            .await?;
        Ok(current)
    }

    /// Reads the stored tariff again and uses it (another instance
    /// imported one).
    pub(crate) async fn reload_tariff(&self) -> Result<(), AppError> {
        if let Some(stored) = self.store.tariff().await? {
            if self
                .tariff()
                .is_some_and(|t| t.id == stored.id && t.sha256 == stored.sha256)
            {
                return Ok(());
            }
            let current = Arc::new(load_tariff(stored, &self.store.reference().await?)?);
            *self.tariff.write().expect("lock") = Some(current);
        }
        Ok(())
    }

    /// Duties of a declaration that passed control, on `date`, with its
    /// tariff quota draws taken from the balances (give them back with
    /// [`Clearance::return_quota`] if the declaration is not stored). A
    /// goods item that cannot be assessed (unknown code for the tariff,
    /// missing quantity, prohibition, missing licence…) rejects the
    /// declaration.
    pub(super) fn assess_duties(
        &self,
        d: &Declaration,
        date: time::Date,
    ) -> Result<(DutyResult, Vec<QuotaDrawRecord>), Violation> {
        let Some(t) = self.tariff() else {
            return Ok((
                DutyResult::NotAssessed {
                    reason: NO_TARIFF_REASON.to_owned(),
                },
                Vec::new(),
            ));
        };
        // Most goods have no tariff quota: an assessment that asks about
        // no balance does not depend on them and needs no lock, so
        // lodgings assess side by side. One that asks is assessed again
        // under the lock, where reading a balance and drawing on it are one
        // step (first come, first served).
        let probe = NoQuotaAsked::default();
        let mut assessed = tariff::assess_declaration(&t.tariff, d, date, &probe);
        let mut draws = Vec::new();
        if probe.0.get() {
            let mut drawn = self.quota_drawn.lock().expect("lock");
            let view = QuotaView {
                drawn: &drawn,
                volumes: Default::default(),
            };
            assessed = tariff::assess_declaration(&t.tariff, d, date, &view);
            let volumes = view.volumes.into_inner();
            if let Ok(a) = &assessed {
                // Each draw names its quota's volume: the commit stores it
                // only if what every instance drew leaves room for it.
                draws = a
                    .items
                    .iter()
                    .flat_map(|i| &i.quota_draws)
                    .map(|q| QuotaDrawRecord {
                        order_number: q.order_number.clone(),
                        period_from: q.period_from,
                        quantity: q.quantity,
                        volume: volumes
                            .get(&(q.order_number.clone(), q.period_from))
                            .copied(),
                    })
                    .collect();
                for q in &draws {
                    *drawn
                        .entry((q.order_number.clone(), q.period_from))
                        .or_default() += q.quantity;
                }
            }
        }
        match assessed {
            Ok(a) => Ok((
                DutyResult::Assessed {
                    currency: self.accounts.currency().code.clone(),
                    customs_duty: a.customs_duty.amount,
                    additional_duties: a.additional_duties.amount,
                    excise: a.excise.amount,
                    vat: a.vat.amount,
                    total: a.total.amount,
                    tariff: format!("{} ({})", t.name, t.id),
                    assessment: Box::new(a),
                },
                draws,
            )),
            Err(e) => {
                let index = d
                    .items
                    .iter()
                    .position(|it| Some(it.sequence) == e.item)
                    .map_or(String::new(), |i| format!("/items/{i}"));
                Err(violation(e.code, index, e.message))
            }
        }
    }

    /// Gives quota draws back to the balances (a declaration not stored,
    /// invalidated or refused).
    pub(super) fn return_quota(&self, draws: &[QuotaDrawRecord]) {
        if draws.is_empty() {
            return;
        }
        let mut drawn = self.quota_drawn.lock().expect("lock");
        for q in draws {
            if let Some(d) = drawn.get_mut(&(q.order_number.clone(), q.period_from)) {
                *d -= q.quantity;
            }
        }
    }

    /// The quota draws recorded in a declaration's last duty assessment.
    pub(super) fn quota_draws_of(events: &[Event]) -> Vec<QuotaDrawRecord> {
        events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::DutiesAssessed {
                    result: DutyResult::Assessed { assessment, .. },
                } => Some(
                    assessment
                        .items
                        .iter()
                        .flat_map(|i| &i.quota_draws)
                        .map(|q| QuotaDrawRecord {
                            order_number: q.order_number.clone(),
                            period_from: q.period_from,
                            quantity: q.quantity,
                            volume: None,
                        })
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Reads what is drawn on every quota from the database again (another
    /// instance drew on a quota this one assessed against).
    pub(super) async fn refresh_quota(&self) -> Result<(), AppError> {
        let stored = self.store.quota_drawn().await?;
        let mut drawn = self.quota_drawn.lock().expect("lock");
        drawn.clear();
        for q in stored {
            drawn.insert((q.order_number, q.period_from), q.quantity);
        }
        Ok(())
    }

    /// Takes quota draws from the balances again (undoing a return).
    pub(super) fn take_quota(&self, draws: &[QuotaDrawRecord]) {
        let mut drawn = self.quota_drawn.lock().expect("lock");
        for q in draws {
            *drawn
                .entry((q.order_number.clone(), q.period_from))
                .or_default() += q.quantity;
        }
    }
}

/// Parses a stored tariff and completes it with the HS nomenclature and
/// countries of the reference data.
pub(super) fn load_tariff(
    t: StoredTariff,
    reference: &tamga_core::reference::ReferenceBundle,
) -> Result<CurrentTariff, AppError> {
    let mut tariff = tariff::load(&t.body).map_err(|errs| tariff_load_error(&errs))?;
    tariff.with_base_nomenclature(&reference.hs, &reference.countries);
    Ok(CurrentTariff {
        id: t.id,
        name: t.name,
        sha256: t.sha256,
        tariff,
    })
}

fn tariff_load_error(errs: &[tariff::LoadError]) -> AppError {
    match errs.first() {
        Some(e) => AppError::bad_request(
            e.code,
            e.pointer.clone(),
            format!(
                "{} ({} problem(s) in all): {}",
                e.message,
                errs.len(),
                errs.iter()
                    .take(20)
                    .map(|e| format!("{} {}", e.pointer, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        None => AppError::bad_request("TARIFF_INVALID", "", "the tariff file is invalid"),
    }
}

/// Answers every quota as undrawn and notes whether one was asked about.
#[derive(Default)]
struct NoQuotaAsked(std::cell::Cell<bool>);

impl tariff::QuotaBalances for NoQuotaAsked {
    fn balance(&self, _: &tariff::Quota) -> Option<Decimal> {
        self.0.set(true);
        None
    }
}

/// Quota balances as the volume less what was drawn; remembers the
/// volume of each quota asked about.
struct QuotaView<'a> {
    drawn: &'a HashMap<(String, time::Date), Decimal>,
    volumes: std::cell::RefCell<HashMap<(String, time::Date), Decimal>>,
}

impl tariff::QuotaBalances for QuotaView<'_> {
    fn balance(&self, q: &tariff::Quota) -> Option<Decimal> {
        let key = (q.order_number.clone(), q.validity.from);
        self.volumes.borrow_mut().insert(key.clone(), q.volume);
        self.drawn.get(&key).map(|d| q.volume - *d)
    }
}
