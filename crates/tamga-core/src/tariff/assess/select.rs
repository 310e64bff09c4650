//! Measure selection: the measures that apply to a goods item, by code
//! hierarchy (most specific first), origin, excluded areas, date, and then
//! per measure type by additional code and specificity.

use super::super::{Measure, MeasureKind, Tariff};
use super::error_codes;
use super::types::{derr, DutyError, ItemInput};

/// The measures selected for `code` (see the module doc), and whether a
/// measure was left out only because it is not valid on the date.
pub(super) fn select_measures<'t>(
    tariff: &'t Tariff,
    input: &ItemInput,
    code: &str,
) -> Result<(Vec<&'t Measure>, bool), DutyError> {
    let (cands, any_expired) = candidates(tariff, input, code);
    let mut selected: Vec<&Measure> = Vec::with_capacity(cands.len());
    for t in measure_types(&cands) {
        let chosen = by_additional_code(&cands, t, input, code)?;
        keep_per_kind(tariff, chosen, &mut selected);
    }
    Ok((selected, any_expired))
}

/// Measures on `code` and its ancestors (most specific first) whose area
/// covers the origin (the preferential origin for preferences and quotas)
/// and does not exclude it, valid on the date; and whether any measure was
/// dropped for its validity alone.
fn candidates<'t>(tariff: &'t Tariff, input: &ItemInput, code: &str) -> (Vec<&'t Measure>, bool) {
    let date = input.date;
    let pref_origin = input
        .preferential_origin
        .as_deref()
        .unwrap_or(&input.origin);
    let mut any_expired = false;
    let mut cands: Vec<&Measure> = Vec::new();
    for m in tariff.measures_for_code(code) {
        let o = if matches!(
            m.kind,
            MeasureKind::TariffPreference | MeasureKind::TariffQuota
        ) {
            pref_origin
        } else {
            input.origin.as_str()
        };
        if !tariff.area_contains(&m.area, o, date)
            || m.excluded_areas
                .iter()
                .any(|x| tariff.area_contains(x, o, date))
        {
            continue;
        }
        if !m.validity.contains(date) {
            any_expired = true;
            continue;
        }
        cands.push(m);
    }
    (cands, any_expired)
}

/// The measure types of `cands`, in order of first appearance.
fn measure_types<'t>(cands: &[&'t Measure]) -> Vec<&'t str> {
    let mut types: Vec<&str> = Vec::new();
    for m in cands {
        if !types.contains(&m.measure_type.as_str()) {
            types.push(&m.measure_type);
        }
    }
    types
}

/// The measures of type `t`: those with the item's additional code if any
/// match, else those without an additional code. A type that exists only
/// with additional codes the item does not have is an error.
fn by_additional_code<'t>(
    cands: &[&'t Measure],
    t: &str,
    input: &ItemInput,
    code: &str,
) -> Result<Vec<&'t Measure>, DutyError> {
    let of_type = cands.iter().filter(|m| m.measure_type == t);
    let with_code: Vec<&Measure> = of_type
        .clone()
        .filter(|m| m.additional_code.is_some())
        .copied()
        .collect();
    let matching: Vec<&Measure> = with_code
        .iter()
        .filter(|m| m.additional_code == input.additional_code)
        .copied()
        .collect();
    if !matching.is_empty() {
        return Ok(matching);
    }
    let plain: Vec<&Measure> = of_type
        .filter(|m| m.additional_code.is_none())
        .copied()
        .collect();
    if plain.is_empty() && !with_code.is_empty() {
        let codes: Vec<&str> = with_code
            .iter()
            .filter_map(|m| m.additional_code.as_deref())
            .collect();
        return Err(derr(
            error_codes::ADDITIONAL_CODE_REQUIRED,
            format!(
                "measure type {t} applies to {code} only with an additional code: one of {}",
                codes.join(", ")
            ),
        ));
    }
    Ok(plain)
}

/// Options keep every measure (each is an alternative) except the
/// third-country duty; other kinds keep the most specific measure
/// (candidates come most-specific code first; a country beats a group).
fn keep_per_kind<'t>(tariff: &Tariff, chosen: Vec<&'t Measure>, selected: &mut Vec<&'t Measure>) {
    let kind = chosen.first().map(|m| m.kind);
    match kind {
        Some(k)
            if k.is_duty_option() && k != MeasureKind::ThirdCountryDuty || k.is_additional() =>
        {
            selected.extend(chosen)
        }
        Some(_) => {
            let best_len = chosen.iter().map(|m| m.goods_code.len()).max().unwrap_or(0);
            let best = chosen
                .iter()
                .filter(|m| m.goods_code.len() == best_len)
                .min_by_key(|m| tariff.areas.get(&m.area).is_some_and(|a| a.group));
            selected.extend(best.copied());
        }
        None => {}
    }
}
