//! VAT: charged on the customs value plus the (rounded) customs duty,
//! additional duties and excise.

use rust_decimal::Decimal;

use super::super::{Measure, MeasureKind};
use super::additional::Surcharges;
use super::conditions::{conditions, stopped, Outcome};
use super::lines::{eval_err, to_line, Line};
use super::types::{DutyError, DutyLine};
use super::{add, round, Item};

/// The VAT charged (rounded) and its line; no VAT measure, or one waived
/// or whose conditions are not met, charges nothing (with a note).
pub(super) fn vat(
    item: &Item<'_>,
    selected: &[&Measure],
    customs_duty: Decimal,
    surcharges: &Surcharges,
    notes: &mut Vec<String>,
) -> Result<(Decimal, Option<DutyLine>), DutyError> {
    let (cv, nat) = (item.cv, item.nat);
    let (additional, excise) = (surcharges.additional, surcharges.excise);
    let vat_base = add(add(add(cv, customs_duty)?, additional)?, excise)?;
    let Some(&m) = selected.iter().find(|m| m.kind == MeasureKind::Vat) else {
        notes.push("no VAT measure applies".into());
        return Ok((Decimal::ZERO, None));
    };
    let expr = match conditions(m, item.input, cv) {
        Outcome::Apply(over, _) => over.or(m.duty.as_ref()),
        Outcome::Waive(why) | Outcome::NotMet(why) => {
            notes.push(format!("VAT {} not charged: {why}", m.id));
            None
        }
        Outcome::Stop(why) => return Err(stopped(m, why)),
    };
    let Some(expr) = expr else {
        return Ok((Decimal::ZERO, None));
    };
    let (full, _) = item
        .evaluate(expr, vat_base)
        .map_err(|e| eval_err(item, m, e))?;
    let vat = round(full, item.minor);
    let l = Line {
        m,
        expr: Some(expr),
        full,
        amount: vat,
        base: format!(
            "customs value {cv} + duties {} + excise {excise} = {vat_base} {nat}",
            add(customs_duty, additional)?
        ),
        note: None,
    };
    Ok((vat, Some(to_line(&l, None, nat))))
}
