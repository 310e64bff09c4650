//! Tariff quotas: the balances the engine reads ([`QuotaBalances`]), the
//! draw a quota measure makes on its balance, and the balances a
//! declaration's later items see after its earlier items' draws.

use std::cell::RefCell;
use std::collections::HashMap;

use rust_decimal::Decimal;

use super::super::units;
use super::super::{Measure, Quota};
use super::types::QuotaDraw;
use super::Item;

/// Quota balances, kept in storage; the engine only reads them.
pub trait QuotaBalances {
    /// The remaining balance of `quota` (in `quota.unit`), `None` if no
    /// draw has been recorded (the full volume is then available).
    fn balance(&self, quota: &Quota) -> Option<Decimal>;
}

/// Every quota at its full volume.
pub struct FullVolume;

impl QuotaBalances for FullVolume {
    fn balance(&self, _: &Quota) -> Option<Decimal> {
        None
    }
}

/// Balances by order number.
impl QuotaBalances for HashMap<String, Decimal> {
    fn balance(&self, q: &Quota) -> Option<Decimal> {
        self.get(&q.order_number).copied()
    }
}

/// The draw tariff-quota measure `m` makes for the item: its quota open on
/// the date, the item's quantity in the quota's unit, within the balance.
/// `Err` is the note saying why the quota rate is not used.
pub(super) fn draw(
    item: &Item<'_>,
    m: &Measure,
    quotas: &dyn QuotaBalances,
) -> Result<QuotaDraw, String> {
    let date = item.input.date;
    let on = m.quota.as_deref().unwrap_or_default();
    let Some(q) = item.tariff.quota_on(on, date) else {
        return Err(format!(
            "tariff quota {on} (measure {}) is not open on {date}",
            m.id
        ));
    };
    let Some(qty) = units::unit(&q.unit).and_then(|u| units::resolve(u, &item.input.quantities))
    else {
        return Err(format!(
            "tariff quota {on} (measure {}) not used: quantity in {} not declared",
            m.id, q.unit
        ));
    };
    let balance = quotas.balance(q).unwrap_or(q.volume);
    if balance < qty {
        return Err(format!(
            "tariff quota {on} (measure {}, {}) exhausted: balance {balance} {} < {qty} requested; falls back to the non-quota rate",
            m.id, m.duty_text, q.unit
        ));
    }
    Ok(QuotaDraw {
        order_number: on.to_string(),
        period_from: q.validity.from,
        unit: q.unit.clone(),
        quantity: qty,
        balance_before: balance,
    })
}

/// Quota balances seen through the draws already made by earlier items of
/// the same declaration.
pub(super) struct Drawn<'a> {
    inner: &'a dyn QuotaBalances,
    drawn: RefCell<HashMap<String, Decimal>>,
}

impl<'a> Drawn<'a> {
    pub(super) fn new(inner: &'a dyn QuotaBalances) -> Self {
        Drawn {
            inner,
            drawn: RefCell::new(HashMap::new()),
        }
    }

    /// Records an item's draw, seen by the items assessed after it.
    pub(super) fn record(&self, q: &QuotaDraw) {
        *self
            .drawn
            .borrow_mut()
            .entry(q.order_number.clone())
            .or_default() += q.quantity;
    }
}

impl QuotaBalances for Drawn<'_> {
    fn balance(&self, q: &Quota) -> Option<Decimal> {
        let d = self.drawn.borrow().get(&q.order_number).copied();
        match d {
            None => self.inner.balance(q),
            Some(d) => Some(self.inner.balance(q).unwrap_or(q.volume) - d),
        }
    }
}
