//! Checking a goods item before any measure is looked at: the goods code
//! is declarable and valid, origins, currency, amounts, quantities and the
//! additional code are known, and the customs value is converted into
//! national currency at the acceptance date's rate.

use rust_decimal::Decimal;

use super::super::units;
use super::super::Tariff;
use super::error_codes;
use super::round;
use super::types::{derr, DutyError, ItemInput, RateUsed};

/// Validates `input` against the tariff, in a fixed order (goods code,
/// origins, currency and amount, quantities, additional code); returns the
/// nomenclature's goods code.
pub(super) fn validate<'t>(tariff: &'t Tariff, input: &ItemInput) -> Result<&'t str, DutyError> {
    let code = resolve_goods_code(tariff, input)?;
    check_origins(tariff, input)?;
    check_customs_value(tariff, input)?;
    check_quantities(input)?;
    check_additional_code(tariff, input)?;
    Ok(code)
}

/// The declared goods code as the nomenclature knows it, valid on the
/// acceptance date; a code with subdivisions is not declarable.
fn resolve_goods_code<'t>(tariff: &'t Tariff, input: &ItemInput) -> Result<&'t str, DutyError> {
    let date = input.date;
    let declared = input.goods_code.as_str();
    match tariff.resolve_code(declared) {
        Some((code, entries)) => {
            if !entries.iter().any(|e| e.validity.contains(date)) {
                return Err(derr(
                    error_codes::GOODS_CODE_NOT_VALID,
                    format!("goods code {code} is not valid on {date}"),
                ));
            }
            Ok(code)
        }
        None => {
            let is_parent =
                !declared.is_empty() && tariff.goods_codes().any(|g| g.code.starts_with(declared));
            Err(if is_parent {
                derr(
                    error_codes::GOODS_CODE_NOT_DECLARABLE,
                    format!("goods code {declared} has subdivisions: declare the national code"),
                )
            } else {
                derr(
                    error_codes::UNKNOWN_GOODS_CODE,
                    format!("goods code {declared:?} is not in the nomenclature"),
                )
            })
        }
    }
}

/// Origin and preferential origin are countries (not groups) of the tariff.
fn check_origins(tariff: &Tariff, input: &ItemInput) -> Result<(), DutyError> {
    for o in std::iter::once(&input.origin).chain(input.preferential_origin.iter()) {
        if tariff.areas.get(o).is_none_or(|a| a.group) {
            return Err(derr(
                error_codes::UNKNOWN_ORIGIN,
                format!("origin {o:?} is not a country of the tariff"),
            ));
        }
    }
    Ok(())
}

/// The currency is known; the customs value is not negative and has no
/// more decimals than the currency's minor unit.
fn check_customs_value(tariff: &Tariff, input: &ItemInput) -> Result<(), DutyError> {
    let cur = input.currency.as_str();
    let Some(&cur_minor) = tariff.currencies.get(cur) else {
        return Err(derr(
            error_codes::UNKNOWN_CURRENCY,
            format!("currency {cur:?} is not in the tariff"),
        ));
    };
    if input.customs_value.is_sign_negative() {
        return Err(derr(
            error_codes::NEGATIVE_AMOUNT,
            "customs value must not be negative".into(),
        ));
    }
    if input.customs_value.normalize().scale() > cur_minor {
        return Err(derr(
            error_codes::AMOUNT_PRECISION,
            format!(
                "customs value {} has more decimals than {cur} allows ({cur_minor})",
                input.customs_value
            ),
        ));
    }
    Ok(())
}

/// Every quantity is in a known unit and not negative.
fn check_quantities(input: &ItemInput) -> Result<(), DutyError> {
    for q in &input.quantities {
        if units::unit(&q.unit).is_none() {
            return Err(derr(
                error_codes::UNKNOWN_UNIT,
                format!("unknown measurement unit {:?}", q.unit),
            ));
        }
        if q.value.is_sign_negative() {
            return Err(derr(
                error_codes::NEGATIVE_AMOUNT,
                format!("quantity {} {} is negative", q.value, q.unit),
            ));
        }
    }
    Ok(())
}

fn check_additional_code(tariff: &Tariff, input: &ItemInput) -> Result<(), DutyError> {
    if let Some(ac) = &input.additional_code {
        if !tariff.additional_codes.contains_key(ac) {
            return Err(derr(
                error_codes::UNKNOWN_ADDITIONAL_CODE,
                format!("additional code {ac:?} is not in the tariff"),
            ));
        }
    }
    Ok(())
}

/// The customs value in national currency, rounded to its minor unit, and
/// the exchange rate used (`None` when already in national currency).
pub(super) fn customs_value_national(
    tariff: &Tariff,
    input: &ItemInput,
) -> Result<(Decimal, Option<RateUsed>), DutyError> {
    let date = input.date;
    let nat = tariff.national_currency.as_str();
    let cur = input.currency.as_str();
    let (rate, rate_used) = if cur == nat {
        (Decimal::ONE, None)
    } else {
        let r = tariff.rate_on(cur, date).ok_or_else(|| {
            derr(
                error_codes::NO_EXCHANGE_RATE,
                format!("no {cur} exchange rate valid on {date}"),
            )
        })?;
        (
            r.rate,
            Some(RateUsed {
                currency: cur.to_string(),
                rate: r.rate,
                from: r.validity.from,
                to: r.validity.to,
            }),
        )
    };
    let cv_full = input
        .customs_value
        .checked_mul(rate)
        .ok_or_else(|| derr(error_codes::OVERFLOW, "amount overflow".into()))?;
    Ok((round(cv_full, tariff.national_minor_units()), rate_used))
}
