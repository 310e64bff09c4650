//! The customs duty: every applicable duty option (third-country duty,
//! preferences, suspensions, tariff quotas) is computed, and the lowest
//! is charged; the others are explained in the notes.

use rust_decimal::Decimal;

use super::super::expr::EvalError;
use super::super::{Measure, MeasureKind};
use super::conditions::{conditions, stopped, Outcome};
use super::error_codes;
use super::lines::{compute, eval_err, kind_text, to_line, Line};
use super::quota::{self, QuotaBalances};
use super::types::{derr, DutyError, DutyLine, QuotaDraw};
use super::{round, Item};

/// The customs duty charged: its amount (rounded), the line of the option
/// chosen and the quota draw it makes.
pub(super) struct CustomsDuty {
    pub(super) amount: Decimal,
    pub(super) line: Option<DutyLine>,
    pub(super) quota_draw: Option<QuotaDraw>,
}

/// A duty option: its line and the quota draw it would make.
type DutyOption<'m> = (Line<'m>, Option<QuotaDraw>);

/// The lowest of the duty options among `selected`. A third-country duty
/// must be among them (else the measures expired, or there is none).
pub(super) fn customs_duty(
    item: &Item<'_>,
    selected: &[&Measure],
    any_expired: bool,
    quotas: &dyn QuotaBalances,
    notes: &mut Vec<String>,
) -> Result<CustomsDuty, DutyError> {
    let (options, third_country_seen) = duty_options(item, selected, quotas, notes)?;
    if !third_country_seen {
        return Err(no_third_country_duty(item, any_expired));
    }
    Ok(choose_lowest(options, item.nat, notes))
}

/// Every duty option that applies, in order, and whether a third-country
/// duty was among the selected measures (whatever its conditions said).
fn duty_options<'m>(
    item: &Item<'_>,
    selected: &[&'m Measure],
    quotas: &dyn QuotaBalances,
    notes: &mut Vec<String>,
) -> Result<(Vec<DutyOption<'m>>, bool), DutyError> {
    let mut options: Vec<DutyOption<'m>> = Vec::new();
    let mut third_country_seen = false;
    for &m in selected.iter().filter(|m| m.kind.is_duty_option()) {
        third_country_seen |= m.kind == MeasureKind::ThirdCountryDuty;
        options.extend(duty_option(item, m, quotas, notes)?);
    }
    Ok((options, third_country_seen))
}

/// Duty option `m` for the item: waived by a condition (a zero line),
/// not applicable (a note), or computed (with its quota draw).
fn duty_option<'m>(
    item: &Item<'_>,
    m: &'m Measure,
    quotas: &dyn QuotaBalances,
    notes: &mut Vec<String>,
) -> Result<Option<DutyOption<'m>>, DutyError> {
    let is_tc = m.kind == MeasureKind::ThirdCountryDuty;
    let (expr, cond_note) = match conditions(m, item.input, item.cv) {
        Outcome::Apply(over, why) => (over.or(m.duty.as_ref()), why),
        Outcome::Waive(why) => {
            let waived = Line {
                m,
                expr: None,
                full: Decimal::ZERO,
                amount: Decimal::ZERO,
                base: String::new(),
                note: Some(format!("waived: {why}")),
            };
            return Ok(Some((waived, None)));
        }
        Outcome::Stop(why) => return Err(stopped(m, why)),
        Outcome::NotMet(why) => {
            notes.push(format!(
                "{} {} ({}) not applied: {why} was not presented{}",
                kind_text(m.kind),
                m.id,
                m.duty_text,
                if is_tc {
                    ""
                } else {
                    "; the third-country duty or another option applies"
                }
            ));
            return Ok(None);
        }
    };
    let Some(expr) = expr else { return Ok(None) };
    let mut draw = None;
    if m.kind == MeasureKind::TariffQuota {
        match quota::draw(item, m, quotas) {
            Ok(d) => draw = Some(d),
            Err(note) => {
                notes.push(note);
                return Ok(None);
            }
        }
    }
    match compute(item, expr) {
        Ok((full, base)) => Ok(Some((
            Line {
                m,
                expr: Some(expr),
                full,
                amount: round(full, item.minor),
                base,
                note: cond_note.map(|w| format!("condition: {w}")),
            },
            draw,
        ))),
        Err(e @ EvalError::QuantityMissing(_)) if !is_tc => {
            notes.push(format!(
                "{} {} not applied: {}",
                kind_text(m.kind),
                m.id,
                eval_err(item, m, e).message
            ));
            Ok(None)
        }
        Err(e) => Err(eval_err(item, m, e)),
    }
}

/// The error when no third-country duty applies to the item.
fn no_third_country_duty(item: &Item<'_>, any_expired: bool) -> DutyError {
    let (code, date) = (item.code, item.input.date);
    if any_expired {
        derr(
            error_codes::MEASURES_EXPIRED,
            format!(
                "the measures for {code} from {} are not valid on {date}",
                item.input.origin
            ),
        )
    } else {
        derr(
            error_codes::NO_THIRD_COUNTRY_DUTY,
            format!(
                "no third-country duty applies to {code} from {} on {date}",
                item.input.origin
            ),
        )
    }
}

/// On equal amounts, the third-country duty first, then a suspension, then
/// a preference, then a quota.
fn option_rank(k: MeasureKind) -> u8 {
    match k {
        MeasureKind::ThirdCountryDuty => 0,
        MeasureKind::Suspension => 1,
        MeasureKind::TariffPreference => 2,
        _ => 3,
    }
}

/// The lowest option (by rounded amount, then [`option_rank`], then
/// order); every other option gets a note.
fn choose_lowest(
    mut options: Vec<DutyOption<'_>>,
    nat: &str,
    notes: &mut Vec<String>,
) -> CustomsDuty {
    let Some(best) = options
        .iter()
        .enumerate()
        .min_by_key(|(_, (l, _))| (l.amount, option_rank(l.m.kind)))
        .map(|(i, _)| i)
    else {
        return CustomsDuty {
            amount: Decimal::ZERO,
            line: None,
            quota_draw: None,
        };
    };
    let n = options.len();
    for (i, (l, _)) in options.iter().enumerate() {
        if i != best {
            notes.push(format!(
                "{} {} ({}) = {} {nat} not chosen: higher than the chosen option",
                kind_text(l.m.kind),
                l.m.id,
                l.m.duty_text,
                l.amount
            ));
        }
    }
    let (l, draw) = options.swap_remove(best);
    let mut note = l.note.clone();
    if n > 1 {
        let s = format!("lowest of {n} duty options");
        note = Some(match note {
            Some(x) => format!("{x}; {s}"),
            None => s,
        });
    }
    CustomsDuty {
        amount: l.amount,
        line: Some(to_line(&l, note, nat)),
        quota_draw: draw,
    }
}
