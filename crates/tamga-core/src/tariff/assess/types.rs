//! What duty assessment takes and returns: the goods item to assess, the
//! explained result per item and per declaration, and the error.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::super::units::Quantity;
use super::super::MeasureKind;
use crate::money::Money;

/// One goods item to assess.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemInput {
    pub goods_code: String,
    /// Country of (non-preferential) origin.
    pub origin: String,
    /// Country of preferential origin, when it differs (DE 5/16).
    pub preferential_origin: Option<String>,
    pub customs_value: Decimal,
    pub currency: String,
    pub quantities: Vec<Quantity>,
    /// Acceptance date: measures, nomenclature and exchange rate of this day.
    pub date: Date,
    pub additional_code: Option<String>,
    /// Document codes presented (certificates, licences, proofs of origin).
    pub documents: Vec<String>,
}

/// Why an item cannot be assessed; `code` is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DutyError {
    pub code: &'static str,
    pub message: String,
    /// 1-based goods item number in a declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
}

/// A [`DutyError`] not (yet) tied to a goods item.
pub(super) fn derr(code: &'static str, message: String) -> DutyError {
    DutyError {
        code,
        message,
        item: None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateUsed {
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub from: Date,
    pub to: Option<Date>,
}

/// One charged measure, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DutyLine {
    pub measure_id: String,
    pub measure_type: String,
    pub kind: MeasureKind,
    pub goods_code: String,
    pub area: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_code: Option<String>,
    pub expression: String,
    pub base: String,
    /// Rounded to the national currency's minor unit.
    pub amount: Money,
    #[serde(with = "rust_decimal::serde::str")]
    pub full_precision: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The draw a quota line would make on its balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaDraw {
    pub order_number: String,
    /// Start of the quota period drawn on (a quota is one per period).
    pub period_from: Date,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_before: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAssessment {
    pub goods_code: String,
    pub origin: String,
    pub date: Date,
    pub customs_value: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<RateUsed>,
    pub customs_value_national: Money,
    pub lines: Vec<DutyLine>,
    /// Why options were not taken, conditions that waived measures, etc.
    pub notes: Vec<String>,
    pub quota_draws: Vec<QuotaDraw>,
    pub customs_duty: Money,
    pub additional_duties: Money,
    pub excise: Money,
    pub vat: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationAssessment {
    pub national_currency: String,
    pub acceptance_date: Date,
    pub rounding: String,
    pub items: Vec<ItemAssessment>,
    pub customs_duty: Money,
    pub additional_duties: Money,
    pub excise: Money,
    pub vat: Money,
    pub total: Money,
}
