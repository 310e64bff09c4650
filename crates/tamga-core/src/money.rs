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
}
