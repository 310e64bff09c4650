//! Duty assessment: pure, exact, explained.
//!
//! Rounding ([`ROUNDING_RULE`]): every amount is computed at full decimal
//! precision and each *line* is then rounded half-up (midpoint away from
//! zero) to the national currency's minor unit: the customs value converted
//! into national currency, each duty/excise/VAT line. The VAT base is the
//! rounded customs value plus the rounded customs-duty, additional-duty and
//! excise lines; totals are sums of rounded lines, so they always add up.
//!
//! [`assess_item`] runs the steps in order, each in its own module; the
//! first error stops it:
//! - [`input`]: the item is checked and its customs value converted;
//! - [`select`]: the measures that apply to it are selected;
//! - [`prohibitions`]: prohibitions and restrictions (through
//!   [`conditions`]) may refuse it;
//! - [`customs_duty`]: the lowest duty option, with its [`quota`] draw;
//! - [`additional`]: additional duties and excise;
//! - [`vat`]: VAT on the customs value plus the above;
//!
//! each amount explained by [`lines`]. [`declaration`] assesses a whole
//! declaration.
//!
//! Every [`DutyError`] code is declared in [`error_codes`], in this file:
//! the control catalog and the portal's texts are checked against it.

mod additional;
mod conditions;
mod customs_duty;
mod declaration;
mod input;
mod lines;
mod prohibitions;
mod quota;
mod select;
mod types;
mod vat;

use rust_decimal::{Decimal, RoundingStrategy};

use super::expr::{evaluate, DutyExpression, EvalContext, EvalError, UsedQuantities};
use super::Tariff;
use crate::money::Money;

pub use declaration::assess_declaration;
pub use quota::{FullVolume, QuotaBalances};
pub use types::{
    DeclarationAssessment, DutyError, DutyLine, ItemAssessment, ItemInput, QuotaDraw, RateUsed,
};

/// The stable [`DutyError`] codes. All of them are here, and only here:
/// tests elsewhere read this file to check that each code is a rule of the
/// control catalog and has a text in every language.
mod error_codes {
    pub(super) const GOODS_CODE_NOT_VALID: &str = "DUTY-GOODS-CODE-NOT-VALID";
    pub(super) const GOODS_CODE_NOT_DECLARABLE: &str = "DUTY-GOODS-CODE-NOT-DECLARABLE";
    pub(super) const UNKNOWN_GOODS_CODE: &str = "DUTY-UNKNOWN-GOODS-CODE";
    pub(super) const UNKNOWN_ORIGIN: &str = "DUTY-UNKNOWN-ORIGIN";
    pub(super) const UNKNOWN_CURRENCY: &str = "DUTY-UNKNOWN-CURRENCY";
    pub(super) const NEGATIVE_AMOUNT: &str = "DUTY-NEGATIVE-AMOUNT";
    pub(super) const AMOUNT_PRECISION: &str = "DUTY-AMOUNT-PRECISION";
    pub(super) const UNKNOWN_UNIT: &str = "DUTY-UNKNOWN-UNIT";
    pub(super) const UNKNOWN_ADDITIONAL_CODE: &str = "DUTY-UNKNOWN-ADDITIONAL-CODE";
    pub(super) const NO_EXCHANGE_RATE: &str = "DUTY-NO-EXCHANGE-RATE";
    pub(super) const OVERFLOW: &str = "DUTY-OVERFLOW";
    pub(super) const ADDITIONAL_CODE_REQUIRED: &str = "DUTY-ADDITIONAL-CODE-REQUIRED";
    pub(super) const PROHIBITED: &str = "DUTY-PROHIBITED";
    pub(super) const RESTRICTION_DOCUMENT_MISSING: &str = "DUTY-RESTRICTION-DOCUMENT-MISSING";
    pub(super) const STOPPED_BY_CONDITION: &str = "DUTY-STOPPED-BY-CONDITION";
    pub(super) const QUANTITY_MISSING: &str = "DUTY-QUANTITY-MISSING";
    pub(super) const MEASURES_EXPIRED: &str = "DUTY-MEASURES-EXPIRED";
    pub(super) const NO_THIRD_COUNTRY_DUTY: &str = "DUTY-NO-THIRD-COUNTRY-DUTY";
    pub(super) const BAD_ITEM: &str = "DUTY-BAD-ITEM";
}

pub const ROUNDING_RULE: &str = "each line (customs value in national currency, every duty, excise and VAT line) is computed at full precision and rounded half-up to the national currency's minor unit; VAT base = rounded customs value + rounded duty and excise lines; totals are sums of rounded lines";

/// Half-up to `minor` decimals, always written with exactly `minor` decimals.
fn round(d: Decimal, minor: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(minor);
    r
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, DutyError> {
    a.checked_add(b)
        .ok_or_else(|| types::derr(error_codes::OVERFLOW, "amount overflow".into()))
}

fn national_code(c: &str) -> crate::codes::CurrencyCode {
    // Codes reaching here were validated by the loader (three upper-case
    // letters); the fallback is unreachable but must not panic.
    crate::codes::CurrencyCode::parse(c)
        .unwrap_or_else(|_| crate::codes::CurrencyCode::parse("XXX").expect("XXX is well formed"))
}

/// A checked goods item, as every step after [`input`] sees it.
struct Item<'a> {
    tariff: &'a Tariff,
    input: &'a ItemInput,
    /// The goods code as the nomenclature has it.
    code: &'a str,
    /// National currency and its minor units.
    nat: &'a str,
    minor: u32,
    /// Customs value in national currency, rounded.
    cv: Decimal,
}

impl Item<'_> {
    /// National-currency units per one unit of currency `c` on the date.
    fn rate_of(&self, c: &str) -> Option<Decimal> {
        if c == self.nat {
            Some(Decimal::ONE)
        } else {
            self.tariff.rate_on(c, self.input.date).map(|r| r.rate)
        }
    }

    /// `expr` evaluated at full precision with `customs_value` as the ad
    /// valorem base and the item's quantities.
    fn evaluate(
        &self,
        expr: &DutyExpression,
        customs_value: Decimal,
    ) -> Result<(Decimal, UsedQuantities), EvalError> {
        let rate = |c: &str| self.rate_of(c);
        let ctx = EvalContext {
            customs_value,
            quantities: &self.input.quantities,
            rate: &rate,
        };
        evaluate(expr, &ctx)
    }
}

/// Assesses one goods item. See the module doc for rounding.
pub fn assess_item(
    tariff: &Tariff,
    input: &ItemInput,
    quotas: &dyn QuotaBalances,
) -> Result<ItemAssessment, DutyError> {
    let code = input::validate(tariff, input)?;
    let (cv, exchange_rate) = input::customs_value_national(tariff, input)?;
    let item = Item {
        tariff,
        input,
        code,
        nat: tariff.national_currency.as_str(),
        minor: tariff.national_minor_units(),
        cv,
    };
    let (selected, any_expired) = select::select_measures(tariff, input, code)?;
    let mut notes: Vec<String> = Vec::new();
    prohibitions::check_prohibitions_and_restrictions(&item, &selected, &mut notes)?;
    let duty = customs_duty::customs_duty(&item, &selected, any_expired, quotas, &mut notes)?;
    let surcharges = additional::additional_duties_and_excise(&item, &selected, &mut notes)?;
    let (vat, vat_line) = vat::vat(&item, &selected, duty.amount, &surcharges, &mut notes)?;
    let total = add(
        add(add(duty.amount, surcharges.additional)?, surcharges.excise)?,
        vat,
    )?;
    let money = |d: Decimal| Money::new(round(d, item.minor), national_code(item.nat));
    Ok(ItemAssessment {
        goods_code: code.to_string(),
        origin: input.origin.clone(),
        date: input.date,
        customs_value: Money::new(input.customs_value, national_code(&input.currency)),
        exchange_rate,
        customs_value_national: money(cv),
        lines: duty
            .line
            .into_iter()
            .chain(surcharges.lines)
            .chain(vat_line)
            .collect(),
        notes,
        quota_draws: duty.quota_draw.into_iter().collect(),
        customs_duty: money(duty.amount),
        additional_duties: money(surcharges.additional),
        excise: money(surcharges.excise),
        vat: money(vat),
        total: money(total),
    })
}

#[cfg(test)]
mod tests {
    /// The files of this module's steps name error codes only through
    /// [`super::error_codes`] (see there why).
    #[test]
    fn error_codes_are_declared_only_in_assess_rs() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tariff/assess");
        let literal = format!("{}DUTY-", '"');
        let mut files = 0;
        for e in std::fs::read_dir(dir).expect("src/tariff/assess") {
            let path = e.expect("directory entry").path();
            let src = std::fs::read_to_string(&path).expect("readable source");
            assert!(
                !src.contains(&literal),
                "{} has a code literal",
                path.display()
            );
            files += 1;
        }
        assert!(files >= 10, "{files} files in {dir}");
    }
}
