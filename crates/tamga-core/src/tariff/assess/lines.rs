//! Amounts and their explanation: evaluating a measure's duty expression
//! against the item (with the base it was computed on), explaining why it
//! cannot be, and turning a computed amount into a [`DutyLine`].

use rust_decimal::Decimal;

use super::super::expr::{DutyExpression, EvalError};
use super::super::units;
use super::super::{Measure, MeasureKind, Term};
use super::error_codes;
use super::types::{derr, DutyError, DutyLine};
use super::{national_code, Item};
use crate::money::Money;

/// One measure's amount, before it becomes a [`DutyLine`].
pub(super) struct Line<'m> {
    pub(super) m: &'m Measure,
    pub(super) expr: Option<&'m DutyExpression>,
    pub(super) full: Decimal,
    pub(super) amount: Decimal,
    pub(super) base: String,
    pub(super) note: Option<String>,
}

/// `expr` evaluated at full precision on the item's customs value in
/// national currency, with the base it used: the customs value (for an ad
/// valorem component), each quantity, each foreign-currency rate.
pub(super) fn compute(
    item: &Item<'_>,
    expr: &DutyExpression,
) -> Result<(Decimal, String), EvalError> {
    let nat = item.nat;
    let (full, used) = item.evaluate(expr, item.cv)?;
    let mut base = String::new();
    if expr
        .components
        .iter()
        .any(|c| matches!(c.term, Term::Percent { of_unit: None, .. }))
    {
        base.push_str(&format!("customs value {} {nat}", item.cv));
    }
    for (u, q) in used {
        if !base.is_empty() {
            base.push_str("; ");
        }
        base.push_str(&format!("{} {u}", q.normalize()));
    }
    for c in expr.currencies() {
        if c != nat {
            if let Some(r) = item.rate_of(c) {
                base.push_str(&format!("; 1 {c} = {r} {nat}"));
            }
        }
    }
    Ok((full, base))
}

/// The [`DutyError`] for measure `m` whose expression cannot be evaluated:
/// a missing quantity names the unit (and the missing parts of a compound
/// unit), a missing rate the currency and date.
pub(super) fn eval_err(item: &Item<'_>, m: &Measure, e: EvalError) -> DutyError {
    match e {
        EvalError::QuantityMissing(u) => {
            let (unit_text, missing) = match units::unit(u) {
                Some(x) => {
                    let parts = units::missing_parts(x, &item.input.quantities);
                    let missing = if x.compound.is_empty() || parts.is_empty() {
                        String::new()
                    } else {
                        let p: Vec<String> = parts.iter().map(|p| units::describe(p)).collect();
                        format!(
                            "; declare {u} itself or each part, missing: {}",
                            p.join(", ")
                        )
                    };
                    (units::describe(x), missing)
                }
                None => (u.to_string(), String::new()),
            };
            derr(
                error_codes::QUANTITY_MISSING,
                format!(
                    "measure {} ({}) needs the quantity in {unit_text}{missing}",
                    m.id, m.duty_text
                ),
            )
        }
        EvalError::NoRate(c) => derr(
            error_codes::NO_EXCHANGE_RATE,
            format!(
                "measure {} ({}) has an amount in {c}, which needs a {c} exchange rate valid on {}; the tariff has none",
                m.id, m.duty_text, item.input.date
            ),
        ),
        EvalError::Overflow => derr(error_codes::OVERFLOW, "amount overflow".into()),
    }
}

pub(super) fn kind_text(k: MeasureKind) -> &'static str {
    match k {
        MeasureKind::ThirdCountryDuty => "third-country duty",
        MeasureKind::TariffPreference => "tariff preference",
        MeasureKind::Suspension => "suspension",
        MeasureKind::TariffQuota => "tariff quota",
        MeasureKind::AntiDumping => "anti-dumping duty",
        MeasureKind::Countervailing => "countervailing duty",
        MeasureKind::AdditionalDuty => "additional duty",
        MeasureKind::Vat => "VAT",
        MeasureKind::Excise => "excise",
        MeasureKind::Prohibition => "prohibition",
        MeasureKind::Restriction => "restriction",
    }
}

/// The explained [`DutyLine`] for `l`, with `note`, in national currency.
pub(super) fn to_line(l: &Line<'_>, note: Option<String>, nat: &str) -> DutyLine {
    DutyLine {
        measure_id: l.m.id.clone(),
        measure_type: l.m.measure_type.clone(),
        kind: l.m.kind,
        goods_code: l.m.goods_code.clone(),
        area: l.m.area.clone(),
        additional_code: l.m.additional_code.clone(),
        expression: l.expr.map_or_else(|| l.m.duty_text.clone(), |e| e.text()),
        base: l.base.clone(),
        amount: Money::new(l.amount, national_code(nat)),
        full_precision: l.full,
        note,
    }
}
