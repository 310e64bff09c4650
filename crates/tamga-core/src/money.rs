//! Money: an exact decimal amount in a currency. Never `f64`.
//!
//! Arithmetic is checked (overflow is an error, not a wrap or a panic) and
//! rounding is always explicit: [`Money::round_to`] names its strategy.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::codes::CurrencyCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
    #[error("amount overflow")]
    Overflow,
    #[error("amount {amount} has {scale} decimal places; {currency} allows {allowed}")]
    TooManyDecimals {
        amount: Decimal,
        currency: CurrencyCode,
        scale: u32,
        allowed: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: CurrencyCode,
}

impl Money {
    pub fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        Self { amount, currency }
    }

    pub fn zero(currency: CurrencyCode) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses an amount that must not carry more decimals than the currency's
    /// minor unit allows (`minor_units` from ISO 4217).
    pub fn exact(
        amount: Decimal,
        currency: CurrencyCode,
        minor_units: u32,
    ) -> Result<Self, MoneyError> {
        let normalized = amount.normalize();
        if normalized.scale() > minor_units {
            return Err(MoneyError::TooManyDecimals {
                amount,
                currency,
                scale: normalized.scale(),
                allowed: minor_units,
            });
        }
        Ok(Self::new(amount, currency))
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|a| Money::new(a, self.currency.clone()))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|a| Money::new(a, self.currency.clone()))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(&self, factor: Decimal) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(factor)
            .map(|a| Money::new(a, self.currency.clone()))
            .ok_or(MoneyError::Overflow)
    }

    /// Rounds to `minor_units` decimal places with an explicit strategy.
    pub fn round_to(&self, minor_units: u32, strategy: RoundingStrategy) -> Money {
        Money::new(
            self.amount.round_dp_with_strategy(minor_units, strategy),
            self.currency.clone(),
        )
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.clone(),
                other.currency.clone(),
            ))
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The one decimal grammar of amounts in requests:
///
/// ```text
/// amount = ["-"] digits ["." digits]      digits = 1*("0".."9")
/// ```
///
/// No exponent, no `+`, no spaces, no `.5` or `5.`, no thousands
/// separators. Trailing zeros after the point do not count as places
/// (`"10.50"` has one), leading zeros before it do not count as digits.
/// The limits are checked on the text, before anything is rounded, so an
/// amount is either exact or refused, never silently rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalText {
    pub negative: bool,
    /// Significant digits before the point (`"007.5"` has 1; `"0.5"` has 0).
    pub int_digits: u32,
    /// Decimal places once trailing zeros are dropped.
    pub places: u32,
}

impl DecimalText {
    /// Lexes `text` against the grammar; `None` when it does not match.
    pub fn lex(text: &str) -> Option<DecimalText> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return None;
        }
        let int_digits = int.trim_start_matches('0').len();
        let places = frac.map_or(0, |f| f.trim_end_matches('0').len());
        Some(DecimalText {
            negative,
            int_digits: u32::try_from(int_digits).unwrap_or(u32::MAX),
            places: u32::try_from(places).unwrap_or(u32::MAX),
        })
    }

    /// Significant digits in all (integer digits + places).
    pub fn digits(&self) -> u32 {
        self.int_digits.saturating_add(self.places)
    }
}

/// Most digits before the point of an amount in a request (below a
/// quadrillion: far above any customs amount, far below `i64` minor units).
pub const MAX_AMOUNT_INT_DIGITS: u32 = 15;

/// Why an amount in a request was refused (one stable code: `AMOUNT_FORMAT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{0:?} is not a decimal amount: send digits with an optional \".\" and decimals, e.g. \"1250.50\" (no exponent, sign, spaces or separators)")]
    Syntax(String),
    #[error("{text:?} has {places} decimal places; {currency} allows at most {allowed}")]
    TooManyPlaces {
        text: String,
        currency: String,
        places: u32,
        allowed: u32,
    },
    #[error("{text:?} has {digits} digits before the point; at most {allowed} are allowed")]
    TooLarge {
        text: String,
        digits: u32,
        allowed: u32,
    },
    #[error("{0:?}: the amount must not be negative")]
    Negative(String),
}

impl AmountError {
    /// The stable error code of every refused amount.
    pub const CODE: &'static str = "AMOUNT_FORMAT";
}

/// Parses a non-negative amount with at most `max_places` decimal places
/// (`unit` names what they are counted in, e.g. a currency code, for the
/// message) and at most [`MAX_AMOUNT_INT_DIGITS`] digits before the point.
pub fn parse_amount(text: &str, max_places: u32, unit: &str) -> Result<Decimal, AmountError> {
    let lexed = DecimalText::lex(text).ok_or_else(|| AmountError::Syntax(text.to_owned()))?;
    if lexed.negative {
        return Err(AmountError::Negative(text.to_owned()));
    }
    if lexed.places > max_places {
        return Err(AmountError::TooManyPlaces {
            text: text.to_owned(),
            currency: unit.to_owned(),
            places: lexed.places,
            allowed: max_places,
        });
    }
    if lexed.int_digits > MAX_AMOUNT_INT_DIGITS || lexed.digits() > 28 {
        return Err(AmountError::TooLarge {
            text: text.to_owned(),
            digits: lexed.int_digits,
            allowed: MAX_AMOUNT_INT_DIGITS,
        });
    }
    // At most 28 significant digits are left (what `Decimal` holds), so
    // this is exact: only zeros after the last significant place can be
    // dropped.
    let d = text
        .parse::<Decimal>()
        .map_err(|_| AmountError::Syntax(text.to_owned()))?;
    Ok(d.normalize())
}

impl Money {
    /// Parses an amount in `currency` from a request: [`parse_amount`] with
    /// the currency's minor units (ISO 4217) as the most decimal places.
    pub fn parse(
        text: &str,
        currency: CurrencyCode,
        minor_units: u32,
    ) -> Result<Money, AmountError> {
        let amount = parse_amount(text, minor_units, currency.as_str())?;
        Ok(Money::new(amount, currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::prelude::*;

    fn usd() -> CurrencyCode {
        CurrencyCode::parse("USD").unwrap()
    }

    #[test]
    fn exact_rejects_extra_decimals_but_accepts_trailing_zeros() {
        assert!(Money::exact(Decimal::from_str("10.25").unwrap(), usd(), 2).is_ok());
        assert!(Money::exact(Decimal::from_str("10.2500").unwrap(), usd(), 2).is_ok());
        let e = Money::exact(Decimal::from_str("10.251").unwrap(), usd(), 2).unwrap_err();
        assert!(matches!(
            e,
            MoneyError::TooManyDecimals {
                scale: 3,
                allowed: 2,
                ..
            }
        ));
    }

    #[test]
    fn arithmetic_is_checked_and_currency_safe() {
        let a = Money::new(Decimal::MAX, usd());
        assert_eq!(
            a.checked_add(&Money::new(Decimal::ONE, usd())),
            Err(MoneyError::Overflow)
        );
        let eur = Money::new(Decimal::ONE, CurrencyCode::parse("EUR").unwrap());
        assert!(matches!(
            Money::new(Decimal::ONE, usd()).checked_add(&eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn rounding_is_explicit() {
        let m = Money::new(Decimal::from_str("2.345").unwrap(), usd());
        assert_eq!(
            m.round_to(2, RoundingStrategy::MidpointAwayFromZero)
                .amount
                .to_string(),
            "2.35"
        );
        assert_eq!(
            m.round_to(2, RoundingStrategy::MidpointNearestEven)
                .amount
                .to_string(),
            "2.34"
        );
        assert_eq!(
            m.round_to(2, RoundingStrategy::ToZero).amount.to_string(),
            "2.34"
        );
    }

    #[test]
    fn the_amount_grammar_is_strict() {
        let ok = |t: &str, places: u32| parse_amount(t, places, "UZS");
        assert_eq!(
            ok("1250.50", 2).unwrap(),
            Decimal::from_str("1250.5").unwrap()
        );
        assert_eq!(ok("0", 2).unwrap(), Decimal::ZERO);
        assert_eq!(ok("007", 0).unwrap(), Decimal::from(7));
        assert_eq!(
            ok("10.2500", 2).unwrap(),
            Decimal::from_str("10.25").unwrap()
        );
        assert_eq!(
            ok("999999999999999.99", 2).unwrap(),
            Decimal::from_str("999999999999999.99").unwrap()
        );
        for bad in [
            "1e3", "1e-2", "1E3", "+1", " 1", "1 ", "1 000", "1,5", ".5", "5.", "", "-", ".",
            "0x10", "1.2.3", "NaN", "inf", "١٢", "1_000",
        ] {
            assert!(
                matches!(ok(bad, 2), Err(AmountError::Syntax(_))),
                "{bad:?} accepted"
            );
        }
        assert!(matches!(ok("-1", 2), Err(AmountError::Negative(_))));
        assert!(matches!(
            ok("1.001", 2),
            Err(AmountError::TooManyPlaces {
                places: 3,
                allowed: 2,
                ..
            })
        ));
        let long = format!("1.{}", "1".repeat(29));
        assert!(matches!(
            ok(&long, 2),
            Err(AmountError::TooManyPlaces { places: 29, .. })
        ));
        // 29 places are refused even where many places are allowed: never rounded.
        assert!(ok(&long, 28).is_err());
        assert!(matches!(
            ok("1234567890123456", 2),
            Err(AmountError::TooLarge { digits: 16, .. })
        ));
        assert_eq!(
            Money::parse("12.5", usd(), 2).unwrap(),
            Money::new(Decimal::from_str("12.5").unwrap(), usd())
        );
        assert_eq!(AmountError::CODE, "AMOUNT_FORMAT");
    }

    #[test]
    fn lexing_counts_significant_digits_and_places() {
        let l = DecimalText::lex("-000120.3400").unwrap();
        assert!(l.negative);
        assert_eq!((l.int_digits, l.places, l.digits()), (3, 2, 5));
        assert_eq!(DecimalText::lex("0.0").unwrap().digits(), 0);
        assert_eq!(DecimalText::lex("3e3"), None);
    }
}
