//! Additional duties (anti-dumping, countervailing, other additional
//! duties) and excise: each selected measure whose conditions let it apply
//! is charged in full, on top of the customs duty.

use rust_decimal::Decimal;

use super::super::{Measure, MeasureKind};
use super::conditions::{conditions, stopped, Outcome};
use super::lines::{compute, eval_err, kind_text, to_line, Line};
use super::types::{DutyError, DutyLine};
use super::{add, round, Item};

/// The additional duties and excise charged, with their lines.
pub(super) struct Surcharges {
    /// Sum of the rounded additional-duty lines.
    pub(super) additional: Decimal,
    /// Sum of the rounded excise lines.
    pub(super) excise: Decimal,
    pub(super) lines: Vec<DutyLine>,
}

/// Charges every selected additional duty and excise measure.
pub(super) fn additional_duties_and_excise(
    item: &Item<'_>,
    selected: &[&Measure],
    notes: &mut Vec<String>,
) -> Result<Surcharges, DutyError> {
    let mut s = Surcharges {
        additional: Decimal::ZERO,
        excise: Decimal::ZERO,
        lines: Vec::new(),
    };
    for &m in selected
        .iter()
        .filter(|m| m.kind.is_additional() || m.kind == MeasureKind::Excise)
    {
        let Some(l) = surcharge(item, m, notes)? else {
            continue;
        };
        if m.kind == MeasureKind::Excise {
            s.excise = add(s.excise, l.amount)?;
        } else {
            s.additional = add(s.additional, l.amount)?;
        }
        s.lines.push(to_line(&l, l.note.clone(), item.nat));
    }
    Ok(s)
}

/// Measure `m`'s line, or `None` (with a note) when its conditions waive
/// it or are not met.
fn surcharge<'m>(
    item: &Item<'_>,
    m: &'m Measure,
    notes: &mut Vec<String>,
) -> Result<Option<Line<'m>>, DutyError> {
    let (expr, cond_note) = match conditions(m, item.input, item.cv) {
        Outcome::Apply(over, why) => (over.or(m.duty.as_ref()), why),
        Outcome::Waive(why) => {
            notes.push(format!("{} {} waived: {why}", kind_text(m.kind), m.id));
            return Ok(None);
        }
        Outcome::NotMet(why) => {
            notes.push(format!(
                "{} {} does not apply: {why}",
                kind_text(m.kind),
                m.id
            ));
            return Ok(None);
        }
        Outcome::Stop(why) => return Err(stopped(m, why)),
    };
    let Some(expr) = expr else { return Ok(None) };
    let (full, base) = compute(item, expr).map_err(|e| eval_err(item, m, e))?;
    Ok(Some(Line {
        m,
        expr: Some(expr),
        full,
        amount: round(full, item.minor),
        base,
        note: cond_note.map(|w| format!("condition: {w}")),
    }))
}
