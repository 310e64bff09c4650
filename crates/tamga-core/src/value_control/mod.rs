//! Customs value control (issue 18, part 4): a reference-price database
//! built from released declarations, and the undervaluation and
//! overvaluation indicators lodging records for the risk system and the
//! officer.
//!
//! - **Observation.** One per goods item and quantity unit of a released
//!   declaration ([`observations`]): the customs value in national
//!   currency as the duty assessment converted it (the tariff's exchange
//!   rate on the acceptance date, `ItemAssessment::customs_value_national`)
//!   divided by the net mass in kg (always) or by the supplementary units
//!   (when declared). Keyed by the declared commodity code, its HS
//!   subheading (6 digits) and the country of origin.
//! - **Reference.** The observations of a key released in a sliding
//!   window ([`ValueRule::window_days`]), summarised robustly
//!   ([`stats::RobustStats`]): quantiles and the median and median
//!   absolute deviation of log unit values. A reference is *sufficient*
//!   with at least [`ValueRule::min_observations`] observations from at
//!   least [`ValueRule::min_declarants`] declarants; the check falls back
//!   from the national code with the origin, to the subheading with the
//!   origin, to the subheading from any origin ([`ReferenceLevel`]).
//! - **Indicator.** The robust z-score of the item's unit value against
//!   its reference: at or below [`ValueRule::under_z`] undervalued, at or
//!   above [`ValueRule::over_z`] overvalued ([`ItemValueCheck`]). The
//!   thresholds come from the benchmark in `docs/value-control.md`.
//!
//! The check runs in the application layer (`tamga_app::values`) and is
//! recorded in the risk decision (`CombinedDecision::values`), which the
//! officer reads and the trader does not; its absence is recorded, never
//! fatal.

pub mod stats;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::declaration::Declaration;
use crate::tariff::DeclarationAssessment;

pub use stats::RobustStats;

/// What a unit value is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QuantityUnit {
    /// Per kilogram of net mass (DE 6/1).
    Kg,
    /// Per supplementary unit (DE 6/2), in the tariff's unit for the code.
    Supplementary,
}

impl QuantityUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            QuantityUnit::Kg => "kg",
            QuantityUnit::Supplementary => "supplementary",
        }
    }

    pub fn parse(s: &str) -> Option<QuantityUnit> {
        match s {
            "kg" => Some(QuantityUnit::Kg),
            "supplementary" => Some(QuantityUnit::Supplementary),
            _ => None,
        }
    }
}

/// Which observations a reference was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReferenceLevel {
    /// The item's declared commodity code and origin.
    National,
    /// Its HS subheading (6 digits) and origin.
    Hs6,
    /// Its HS subheading, every origin.
    Hs6AnyOrigin,
}

impl ReferenceLevel {
    /// The fallback order.
    pub const ALL: [ReferenceLevel; 3] = [
        ReferenceLevel::National,
        ReferenceLevel::Hs6,
        ReferenceLevel::Hs6AnyOrigin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceLevel::National => "national",
            ReferenceLevel::Hs6 => "hs6",
            ReferenceLevel::Hs6AnyOrigin => "hs6_any_origin",
        }
    }
}

/// The key of a reference: a commodity code (the national code or its
/// 6-digit subheading), an origin (`None`: any) and a unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueKey {
    /// 6 digits: the subheading (observations of every national code
    /// under it); more: that national code.
    pub code: String,
    pub origin: Option<String>,
    pub unit: QuantityUnit,
}

impl ValueKey {
    /// The key of `level` for an item declared under `code` from `origin`.
    pub fn at(level: ReferenceLevel, code: &str, origin: &str, unit: QuantityUnit) -> ValueKey {
        let hs6 = code.get(..6).unwrap_or(code).to_owned();
        match level {
            ReferenceLevel::National => ValueKey {
                code: code.to_owned(),
                origin: Some(origin.to_owned()),
                unit,
            },
            ReferenceLevel::Hs6 => ValueKey {
                code: hs6,
                origin: Some(origin.to_owned()),
                unit,
            },
            ReferenceLevel::Hs6AnyOrigin => ValueKey {
                code: hs6,
                origin: None,
                unit,
            },
        }
    }

    /// Whether the key names a subheading (6 digits) rather than a
    /// national code.
    pub fn is_hs6(&self) -> bool {
        self.code.len() <= 6
    }
}

/// One observation of a goods item: what a released declaration adds to
/// the reference database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// DE 1/6 item number.
    pub item: u32,
    /// The declared commodity code (all its digits).
    pub code: String,
    pub hs6: String,
    pub origin: String,
    pub unit: QuantityUnit,
    /// National currency per unit, [`stats::UNIT_VALUE_DP`] places.
    pub unit_value: Decimal,
    /// The national currency.
    pub currency: String,
}

/// The unit value of `value` over `quantity`, rounded; `None` unless both
/// are positive.
pub fn unit_value(value: Decimal, quantity: Decimal) -> Option<Decimal> {
    if value <= Decimal::ZERO || quantity <= Decimal::ZERO {
        return None;
    }
    value
        .checked_div(quantity)
        .map(|v| v.round_dp(stats::UNIT_VALUE_DP).normalize())
        .filter(|v| *v > Decimal::ZERO)
}

/// The observations of a declaration's items given its duty assessment
/// (one assessed item per goods item, in item order): per kg always, per
/// supplementary unit when declared. Items with no positive value or
/// quantity give none.
pub fn observations(d: &Declaration, a: &DeclarationAssessment) -> Vec<Observation> {
    let mut out = Vec::new();
    for (item, assessed) in d.items.iter().zip(&a.items) {
        let value = assessed.customs_value_national.amount;
        let code = item.hs_code.as_str();
        let quantities = [
            (QuantityUnit::Kg, Some(item.net_mass_kg)),
            (QuantityUnit::Supplementary, item.supplementary_units),
        ];
        for (unit, q) in quantities {
            if let Some(uv) = q.and_then(|q| unit_value(value, q)) {
                out.push(Observation {
                    item: item.sequence,
                    code: code.to_owned(),
                    hs6: code.get(..6).unwrap_or(code).to_owned(),
                    origin: item.origin.as_str().to_owned(),
                    unit,
                    unit_value: uv,
                    currency: a.national_currency.clone(),
                });
            }
        }
    }
    out
}

/// How the check decides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueRule {
    /// Observations released in the last `window_days` days count.
    pub window_days: u32,
    /// A reference needs at least this many observations …
    pub min_observations: u32,
    /// … from at least this many declarants (so no reference, and no
    /// published figure, is one trader's price).
    pub min_declarants: u32,
    /// Robust z at or below: undervalued.
    pub under_z: Decimal,
    /// Robust z at or above: overvalued.
    pub over_z: Decimal,
}

/// The calibrated thresholds (`docs/value-control.md`).
pub const DEFAULT_UNDER_Z: Decimal = Decimal::from_parts(3, 0, 0, true, 0);
/// See [`DEFAULT_UNDER_Z`].
pub const DEFAULT_OVER_Z: Decimal = Decimal::from_parts(3, 0, 0, false, 0);

impl Default for ValueRule {
    fn default() -> Self {
        ValueRule {
            window_days: 365,
            min_observations: 10,
            min_declarants: 3,
            under_z: DEFAULT_UNDER_Z,
            over_z: DEFAULT_OVER_Z,
        }
    }
}

/// A sample of observations as read for a key: unit values and how many
/// distinct declarants they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub values: Vec<Decimal>,
    pub declarants: usize,
}

impl Sample {
    /// The summary, if the sample is sufficient under `rule`.
    pub fn sufficient(&self, rule: &ValueRule) -> Option<RobustStats> {
        if self.declarants < rule.min_declarants as usize {
            return None;
        }
        RobustStats::of(&self.values).filter(|s| s.n >= rule.min_observations as usize)
    }
}

/// The reference an item was compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceUsed {
    pub level: ReferenceLevel,
    /// The code of the key (national code or subheading).
    pub code: String,
    /// The origin of the key (absent: any origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Observations in the window.
    pub n: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub q1: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub median: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub q3: Decimal,
}

/// The value check of one goods item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemValueCheck {
    /// DE 1/6 item number.
    pub sequence: u32,
    pub unit: QuantityUnit,
    /// The item's unit value (national currency per unit).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit_value: Decimal,
    /// The reference compared with; absent when no level had a
    /// sufficient sample (then no z-score, no indicator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceUsed>,
    /// The robust z-score, two places.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub z: Option<Decimal>,
    pub undervalued: bool,
    pub overvalued: bool,
}

/// Why some or all items were not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ValueCheckAbsence {
    /// No duty assessment (no tariff): no value in national currency.
    NotAssessed,
    /// The time budget ran out: the items after the last one listed were
    /// not checked.
    OverBudget,
    /// The reference database could not be read (logged).
    Failed,
}

/// The value check of a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueChecks {
    /// The national currency of every unit value.
    pub currency: String,
    pub window_days: u32,
    pub min_observations: u32,
    pub min_declarants: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub under_z: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub over_z: Decimal,
    /// The items checked, in item order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemValueCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<ValueCheckAbsence>,
}

impl ValueChecks {
    /// No item checked yet under `rule`.
    pub fn new(rule: &ValueRule, currency: &str) -> ValueChecks {
        ValueChecks {
            currency: currency.to_owned(),
            window_days: rule.window_days,
            min_observations: rule.min_observations,
            min_declarants: rule.min_declarants,
            under_z: rule.under_z,
            over_z: rule.over_z,
            items: Vec::new(),
            absent: None,
        }
    }

    /// The check of item `sequence`, if it was checked.
    pub fn item(&self, sequence: u32) -> Option<&ItemValueCheck> {
        self.items.iter().find(|i| i.sequence == sequence)
    }
}

/// The check of one item's `unit_value` against `reference` (its summary
/// and what it was built from) under `rule`.
pub fn check_item(
    sequence: u32,
    unit: QuantityUnit,
    unit_value: Decimal,
    reference: Option<(ReferenceLevel, &ValueKey, &RobustStats)>,
    rule: &ValueRule,
) -> ItemValueCheck {
    let mut c = ItemValueCheck {
        sequence,
        unit,
        unit_value,
        reference: None,
        z: None,
        undervalued: false,
        overvalued: false,
    };
    if let Some((level, key, s)) = reference {
        let z = s
            .z(unit_value)
            .and_then(Decimal::from_f64_retain)
            .map(|z| z.round_dp(2).normalize());
        c.reference = Some(ReferenceUsed {
            level,
            code: key.code.clone(),
            origin: key.origin.clone(),
            n: u32::try_from(s.n).unwrap_or(u32::MAX),
            q1: s.q1,
            median: s.median,
            q3: s.q3,
        });
        if let Some(z) = z {
            c.undervalued = z <= rule.under_z;
            c.overvalued = z >= rule.over_z;
        }
        c.z = z;
    }
    c
}

#[cfg(test)]
mod tests;
