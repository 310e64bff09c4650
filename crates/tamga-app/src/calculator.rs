//! The public duty calculator: one goods item, typed as text, assessed with
//! the current tariff by the same engine as the duty-assessment stage of
//! lodging. The API (`POST /api/v1/tariff/calculator`) and the portal's
//! calculator page both call [`calculate`], so they accept the same input
//! and answer with the same codes and pointers.

use rust_decimal::Decimal;
use std::sync::Arc;
use time::{Date, OffsetDateTime};

use tamga_core::money::{self, AmountError};
use tamga_core::tariff::{self, FullVolume, ItemAssessment, ItemInput, Quantity};

use crate::clearance::{Clearance, CurrentTariff};

/// Most decimals of a calculator quantity (the declaration's masses have 3;
/// other units such as litres of alcohol may need more).
pub const QUANTITY_PLACES: u32 = 6;

/// The calculator's input as typed (the API's JSON fields, the page's form
/// fields); every field is read by [`calculate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalculatorInput {
    pub goods_code: String,
    pub origin: String,
    pub preferential_origin: Option<String>,
    pub customs_value: String,
    pub currency: String,
    /// `(unit, value)` pairs.
    pub quantities: Vec<(String, String)>,
    /// `YYYY-MM-DD`; today (UTC) if absent.
    pub date: Option<String>,
    pub additional_code: Option<String>,
    pub documents: Vec<String>,
}

/// A calculation: the tariff used, the input as the engine read it, and
/// the assessment with every step.
#[derive(Clone)]
pub struct Calculation {
    pub tariff: Arc<CurrentTariff>,
    pub input: ItemInput,
    pub assessment: ItemAssessment,
}

/// Why the calculator gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalculatorError {
    /// No tariff is loaded (404 on the API).
    #[error("tariff (none is loaded) not found")]
    NoTariff,
    /// A field does not have its format (400 on the API): the date or an
    /// amount.
    #[error("{message}")]
    Format {
        code: &'static str,
        /// JSON pointer of the field (`/customsValue`, `/quantities/0/value`).
        pointer: String,
        message: String,
    },
    /// The tariff cannot assess this item (422 on the API): a `DUTY-…`
    /// code, the same as for a declaration's goods item.
    #[error("{message}")]
    Assessment {
        code: &'static str,
        pointer: String,
        message: String,
    },
}

impl CalculatorError {
    pub fn code(&self) -> &'static str {
        match self {
            CalculatorError::NoTariff => "NOT_FOUND",
            CalculatorError::Format { code, .. } | CalculatorError::Assessment { code, .. } => code,
        }
    }

    /// The JSON pointer of the field at fault (`""`: none in particular).
    pub fn pointer(&self) -> &str {
        match self {
            CalculatorError::NoTariff => "",
            CalculatorError::Format { pointer, .. }
            | CalculatorError::Assessment { pointer, .. } => pointer,
        }
    }
}

fn amount(
    text: &str,
    pointer: String,
    places: u32,
    unit: &str,
) -> Result<Decimal, CalculatorError> {
    money::parse_amount(text, places, unit).map_err(|e| CalculatorError::Format {
        code: AmountError::CODE,
        pointer,
        message: e.to_string(),
    })
}

/// The field a duty error is about, as a JSON pointer of the input.
pub fn duty_error_pointer(code: &str) -> &'static str {
    match code {
        "DUTY-UNKNOWN-GOODS-CODE"
        | "DUTY-GOODS-CODE-NOT-DECLARABLE"
        | "DUTY-GOODS-CODE-NOT-VALID"
        | "DUTY-MEASURES-EXPIRED" => "/goodsCode",
        "DUTY-UNKNOWN-ORIGIN" => "/origin",
        "DUTY-UNKNOWN-CURRENCY" | "DUTY-NO-EXCHANGE-RATE" => "/currency",
        "DUTY-AMOUNT-PRECISION" | "DUTY-NEGATIVE-AMOUNT" => "/customsValue",
        "DUTY-UNKNOWN-UNIT" | "DUTY-QUANTITY-MISSING" => "/quantities",
        "DUTY-UNKNOWN-ADDITIONAL-CODE" | "DUTY-ADDITIONAL-CODE-REQUIRED" => "/additionalCode",
        _ => "",
    }
}

/// Reads `input` (codes trimmed and upper-cased; amounts, units and the
/// date exactly as typed: the one amount grammar has no spaces) and
/// assesses it with `tariff` on its date (`today` when
/// none is given).
pub fn calculate_with(
    tariff: Arc<CurrentTariff>,
    input: &CalculatorInput,
    today: Date,
) -> Result<Calculation, CalculatorError> {
    let date = match input.date.as_deref() {
        Some(d) => tariff::parse_date(d).ok_or_else(|| CalculatorError::Format {
            code: "CALCULATOR_DATE",
            pointer: "/date".into(),
            message: format!("{d:?} is not a YYYY-MM-DD date"),
        })?,
        None => today,
    };
    let mut quantities = Vec::with_capacity(input.quantities.len());
    for (i, (unit, value)) in input.quantities.iter().enumerate() {
        quantities.push(Quantity::new(
            unit,
            amount(
                value,
                format!("/quantities/{i}/value"),
                QUANTITY_PLACES,
                "a quantity",
            )?,
        ));
    }
    let item = ItemInput {
        goods_code: input.goods_code.trim().to_owned(),
        origin: input.origin.trim().to_ascii_uppercase(),
        preferential_origin: input
            .preferential_origin
            .as_deref()
            .map(|o| o.trim().to_ascii_uppercase()),
        // The grammar here; the currency's minor units are the duty
        // engine's check (`DUTY-AMOUNT-PRECISION`), as for declarations.
        customs_value: amount(
            &input.customs_value,
            "/customsValue".into(),
            28,
            "a customs value",
        )?,
        currency: input.currency.trim().to_ascii_uppercase(),
        quantities,
        date,
        additional_code: input.additional_code.clone(),
        documents: input.documents.clone(),
    };
    let assessment = tariff::assess_item(&tariff.tariff, &item, &FullVolume).map_err(|e| {
        CalculatorError::Assessment {
            code: e.code,
            pointer: duty_error_pointer(e.code).into(),
            message: e.message,
        }
    })?;
    Ok(Calculation {
        tariff,
        input: item,
        assessment,
    })
}

/// [`calculate_with`] the current tariff of `clearance`, today (UTC).
pub fn calculate(
    clearance: &Clearance,
    input: &CalculatorInput,
) -> Result<Calculation, CalculatorError> {
    let tariff = clearance.tariff().ok_or(CalculatorError::NoTariff)?;
    calculate_with(tariff, input, OffsetDateTime::now_utc().date())
}
