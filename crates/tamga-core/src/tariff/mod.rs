//! Tariff: nomenclature, measures, duty expressions and duty assessment.
//!
//! Pure (no IO): the tariff arrives as JSON text ([`load`]), quota balances
//! arrive through [`QuotaBalances`], and the assessment ([`assess_item`],
//! [`assess_declaration`]) returns amounts with an explanation per measure.
//! The file format is documented in `tariff/README.md` at the repository
//! root; the demo tariff ([`DEMO_TARIFF_JSON`]) ships with the product.
//!
//! Model, TARIC style:
//! - a national **goods nomenclature** (6-, 8- or 10-digit codes extending
//!   HS 2022, each with a validity period);
//! - **measures** tie a goods code (and so all its descendants), a measure
//!   type, a geographical area (minus excluded areas) and a validity
//!   period, with an optional additional code, duty expression, conditions
//!   and quota order number;
//! - **measure types** each have a [`MeasureKind`];
//! - **geographical areas**: countries, and groups with memberships over
//!   time (or `allCountries`, erga omnes);
//! - **tariff quotas** by order number and period; **exchange rates** by
//!   currency and period.

mod assess;
mod expr;
mod load;
pub mod reference_cases;
pub mod units;
#[rustfmt::skip]
mod units_table;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

pub use assess::{
    assess_declaration, assess_item, DeclarationAssessment, DutyError, DutyLine, FullVolume,
    ItemAssessment, ItemInput, QuotaBalances, QuotaDraw, RateUsed, ROUNDING_RULE,
};
pub use expr::{evaluate, Component, DutyExpression, EvalContext, EvalError, ExprError, Op, Term};
pub use load::{load, load_with_progress, parse_date, LoadError, TariffSummary};
pub use units::Quantity;

/// The demo tariff shipped in the repository (`tariff/demo-tariff.json`).
pub const DEMO_TARIFF_JSON: &str = include_str!("../../../../tariff/demo-tariff.json");

/// A validity period; `to` is inclusive, `None` means open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub from: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

impl Validity {
    pub fn contains(&self, d: Date) -> bool {
        self.from <= d && self.to.is_none_or(|t| d <= t)
    }
}

/// What a measure type does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Most-favoured-nation / third-country duty: the base rate.
    ThirdCountryDuty,
    /// A preferential rate for an origin, usually needing proof of origin.
    TariffPreference,
    /// An autonomous suspension (reduced rate).
    Suspension,
    /// A rate within a tariff quota (drawn from the quota's balance).
    TariffQuota,
    AntiDumping,
    Countervailing,
    AdditionalDuty,
    Vat,
    Excise,
    Prohibition,
    Restriction,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 11] = [
        Self::ThirdCountryDuty,
        Self::TariffPreference,
        Self::Suspension,
        Self::TariffQuota,
        Self::AntiDumping,
        Self::Countervailing,
        Self::AdditionalDuty,
        Self::Vat,
        Self::Excise,
        Self::Prohibition,
        Self::Restriction,
    ];
    /// The customs-duty options: exactly one of them is charged.
    pub fn is_duty_option(self) -> bool {
        matches!(
            self,
            Self::ThirdCountryDuty | Self::TariffPreference | Self::Suspension | Self::TariffQuota
        )
    }
    pub fn is_additional(self) -> bool {
        matches!(
            self,
            Self::AntiDumping | Self::Countervailing | Self::AdditionalDuty
        )
    }
    pub fn needs_expression(self) -> bool {
        !matches!(self, Self::Prohibition | Self::Restriction)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureType {
    pub id: String,
    pub kind: MeasureKind,
    pub description: String,
}

/// A national goods code with its validity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GoodsCode {
    pub code: String,
    pub description: String,
    pub validity: Validity,
    /// Unit in which supplementary units (DE 6/2) are declared, if any.
    pub supplementary_unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub country: String,
    pub validity: Validity,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeoArea {
    pub id: String,
    pub description: String,
    /// A group (else a country, whose id is its ISO 3166 code).
    pub group: bool,
    /// Erga omnes: every country.
    pub all_countries: bool,
    pub members: Vec<Membership>,
}

/// What a measure condition tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionTest {
    /// A document (certificate, licence, proof of origin) is presented.
    Document(String),
    /// The quantity in `unit` is at most `value`.
    QuantityAtMost {
        unit: String,
        value: Decimal,
    },
    /// The quantity in `unit` is above `value`.
    QuantityAbove {
        unit: String,
        value: Decimal,
    },
    /// The customs value in national currency is at most the amount.
    ValueAtMost(Decimal),
    /// The customs value in national currency is above the amount.
    ValueAbove(Decimal),
    Always,
}

/// What happens when a condition is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionAction {
    /// The measure applies (a duty is charged; a restriction lets the goods in).
    Apply,
    /// The measure does not apply to this item.
    Waive,
    /// The goods may not be released.
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub test: ConditionTest,
    pub action: ConditionAction,
    /// A duty replacing the measure's own when this condition applies.
    pub duty: Option<DutyExpression>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: String,
    pub measure_type: String,
    pub kind: MeasureKind,
    pub goods_code: String,
    pub area: String,
    pub excluded_areas: Vec<String>,
    pub validity: Validity,
    pub additional_code: Option<String>,
    pub duty: Option<DutyExpression>,
    pub duty_text: String,
    pub conditions: Vec<Condition>,
    pub quota: Option<String>,
    pub legal_base: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    pub order_number: String,
    pub validity: Validity,
    pub volume: Decimal,
    pub unit: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeRate {
    pub currency: String,
    pub validity: Validity,
    /// National-currency units per one unit of `currency`.
    pub rate: Decimal,
}

/// A loaded, validated tariff with its indexes.
#[derive(Debug, Clone)]
pub struct Tariff {
    pub name: String,
    pub national_currency: String,
    /// ISO 4217 code → minor units.
    pub currencies: HashMap<String, u32>,
    pub nomenclature: HashMap<String, Vec<GoodsCode>>,
    pub areas: HashMap<String, GeoArea>,
    pub measure_types: HashMap<String, MeasureType>,
    pub additional_codes: HashMap<String, String>,
    pub measures: Vec<Measure>,
    pub quotas: HashMap<String, Vec<Quota>>,
    pub exchange_rates: HashMap<String, Vec<ExchangeRate>>,
    /// Goods-code prefix (the measure's code) → indexes into `measures`.
    by_code: HashMap<String, Vec<usize>>,
}

impl Tariff {
    /// Minor units of the national currency.
    pub fn national_minor_units(&self) -> u32 {
        self.currencies
            .get(&self.national_currency)
            .copied()
            .unwrap_or(2)
    }

    /// Whether `country` belongs to `area` on `date`.
    pub fn area_contains(&self, area: &str, country: &str, date: Date) -> bool {
        if area == country {
            return true;
        }
        match self.areas.get(area) {
            Some(a) if a.group => {
                a.all_countries
                    || a.members
                        .iter()
                        .any(|m| m.country == country && m.validity.contains(date))
            }
            _ => false,
        }
    }

    /// Every measure whose goods code is `code` or one of its ancestors,
    /// most specific code first.
    pub fn measures_for_code<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Measure> + 'a {
        let mut idx: Vec<usize> = Vec::new();
        for len in [10usize, 8, 6, 4, 2] {
            if let Some(prefix) = code.get(..len) {
                if let Some(v) = self.by_code.get(prefix) {
                    idx.extend_from_slice(v);
                }
            }
        }
        idx.into_iter().map(move |i| &self.measures[i])
    }

    /// The rate for `currency` on `date` (1 for the national currency).
    pub fn rate_on(&self, currency: &str, date: Date) -> Option<&ExchangeRate> {
        self.exchange_rates
            .get(currency)?
            .iter()
            .find(|r| r.validity.contains(date))
    }

    pub fn quota_on(&self, order_number: &str, date: Date) -> Option<&Quota> {
        self.quotas
            .get(order_number)?
            .iter()
            .find(|q| q.validity.contains(date))
    }

    /// The nomenclature code a declared code stands for: itself, or, for a
    /// 6- or 8-digit code, the same code padded with zeros to 10 digits
    /// (`847130` = `8471300000`: "no national subdivision").
    pub fn resolve_code<'a>(&'a self, code: &str) -> Option<(&'a str, &'a [GoodsCode])> {
        if let Some((k, v)) = self.nomenclature.get_key_value(code) {
            return Some((k.as_str(), v.as_slice()));
        }
        if code.len() < 10 {
            let padded = format!("{code:0<10}");
            if let Some((k, v)) = self.nomenclature.get_key_value(&padded) {
                return Some((k.as_str(), v.as_slice()));
            }
        }
        None
    }

    /// Completes the national nomenclature and the countries from the HS
    /// reference data: every HS subheading (6 digits) that the tariff does
    /// not subdivide becomes declarable as itself (padded to 10 digits,
    /// with the subheading's validity), and every ISO country not in the
    /// tariff becomes a geographical area. Measures attached to chapters
    /// and headings then reach every code below them, as in TARIC.
    /// Returns how many codes and countries were added.
    pub fn with_base_nomenclature(
        &mut self,
        hs: &[crate::reference::HsEntry],
        countries: &[crate::reference::Country],
    ) -> (usize, usize) {
        let subdivided: std::collections::HashSet<&str> = self
            .nomenclature
            .keys()
            .filter_map(|k| k.get(..6))
            .collect();
        let mut added_codes = Vec::new();
        for e in hs.iter().filter(|e| e.level == 6 && e.code.len() == 6) {
            if subdivided.contains(e.code.as_str()) {
                continue;
            }
            let code = format!("{:0<10}", e.code);
            added_codes.push(GoodsCode {
                code,
                description: e.description.clone(),
                validity: Validity {
                    from: e.valid_from,
                    to: e.valid_to,
                },
                supplementary_unit: None,
            });
        }
        let n_codes = added_codes.len();
        for g in added_codes {
            self.nomenclature.entry(g.code.clone()).or_default().push(g);
        }
        let mut n_countries = 0;
        for c in countries {
            if !self.areas.contains_key(&c.code) {
                self.areas.insert(
                    c.code.clone(),
                    GeoArea {
                        id: c.code.clone(),
                        description: c.name.clone(),
                        group: false,
                        all_countries: false,
                        members: Vec::new(),
                    },
                );
                n_countries += 1;
            }
        }
        (n_codes, n_countries)
    }

    /// Every declarable goods code (for generators and benches).
    pub fn goods_codes(&self) -> impl Iterator<Item = &GoodsCode> {
        self.nomenclature.values().flatten()
    }

    pub fn summary(&self) -> TariffSummary {
        let kinds: Vec<(MeasureKind, usize)> = MeasureKind::ALL
            .iter()
            .map(|k| (*k, self.measures.iter().filter(|m| m.kind == *k).count()))
            .collect();
        TariffSummary {
            name: self.name.clone(),
            national_currency: self.national_currency.clone(),
            goods_codes: self.nomenclature.values().map(Vec::len).sum(),
            geographical_areas: self.areas.len(),
            measure_types: self.measure_types.len(),
            measures: self.measures.len(),
            additional_codes: self.additional_codes.len(),
            quotas: self.quotas.values().map(Vec::len).sum(),
            exchange_rates: self.exchange_rates.values().map(Vec::len).sum(),
            currencies: self.currencies.len(),
            measures_by_kind: kinds,
        }
    }
}
