//! [`RiskSubject`]: the flattened attribute view profiles are evaluated on,
//! built once per declaration (or per advance cargo information).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::schema::Attr;
use crate::declaration::Declaration;

/// Trader risk category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TraderCategory {
    Low,
    Medium,
    High,
}

impl TraderCategory {
    pub const ALL: [TraderCategory; 3] = [Self::Low, Self::Medium, Self::High];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// What the risk stage knows about the lodging trader, from its history.
/// The default (no history known) is a medium-risk, non-AEO trader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraderContext {
    pub category: TraderCategory,
    pub aeo: bool,
    pub first_time: bool,
    pub days_since_registration: i64,
}

impl Default for TraderContext {
    fn default() -> Self {
        TraderContext {
            category: TraderCategory::Medium,
            aeo: false,
            first_time: false,
            days_since_registration: 0,
        }
    }
}

/// Per-item attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSubject {
    /// DE 1/6 item number (what hits report).
    pub sequence: u32,
    pub hs: Option<String>,
    pub origin: Option<String>,
    pub preferential_origin: Option<String>,
    pub value_per_unit: Option<Decimal>,
    pub value_per_kg: Option<Decimal>,
    pub customs_value: Option<Decimal>,
    pub net_mass_kg: Option<Decimal>,
    /// Customs duty rate in percent (see
    /// [`crate::pipeline::DutyResult::item_tax_rates`]), when known.
    pub tax_rate: Option<Decimal>,
    pub documents: Vec<String>,
    /// The goods check's rank of the declared heading
    /// ([`crate::goods_check::ItemGoodsCheck::heading_rank`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_rank: Option<u32>,
    /// The goods check's mismatch indicator, when the item was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_mismatch: Option<bool>,
    /// The goods check's vague-description indicator, when the item was
    /// checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_vague: Option<bool>,
    /// The controlled-goods screening: the item matched an entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_goods: Option<bool>,
    /// The item matched an entry and produces none of its documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_licence_missing: Option<bool>,
    /// The value check's robust z-score, when the item had a reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_z: Option<Decimal>,
    /// The value check's indicators, when the item had a reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undervalued: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overvalued: Option<bool>,
    /// Observations in the item's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_reference_n: Option<u32>,
}

/// The attribute view of one declaration. Fields are public so that other
/// inputs (advance cargo information) can be assessed too; absent values
/// make comparisons false (and `!=`, `not in` true).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskSubject {
    pub declaration_type: Option<String>,
    pub procedure: Option<String>,
    pub office: Option<String>,
    pub transport_mode: Option<String>,
    pub dispatch_country: Option<String>,
    pub destination_country: Option<String>,
    pub route: Vec<String>,
    pub declarant: Option<String>,
    pub importer: Option<String>,
    pub representative: Option<String>,
    pub seller_country: Option<String>,
    pub trader: TraderContext,
    pub items: Vec<ItemSubject>,
}

/// Decimal places kept for derived values (per kg, per unit).
const DERIVED_DP: u32 = 4;

fn per(amount: Decimal, by: Decimal) -> Option<Decimal> {
    if by <= Decimal::ZERO {
        return None;
    }
    amount
        .checked_div(by)
        .map(|v| v.round_dp(DERIVED_DP).normalize())
}

impl RiskSubject {
    pub fn from_declaration(d: &Declaration, trader: &TraderContext) -> Self {
        let s = |x: &dyn AsRef<str>| Some(x.as_ref().to_owned());
        let mut route: Vec<String> = d
            .dispatch_country
            .iter()
            .chain(d.transport.border_means_nationality.iter())
            .map(|c| c.as_str().to_owned())
            .collect();
        route.sort();
        route.dedup();
        let items = d
            .items
            .iter()
            .map(|i| {
                let units = i
                    .supplementary_units
                    .unwrap_or_else(|| Decimal::from(i.packages.count));
                let mut documents: Vec<String> = i
                    .documents
                    .iter()
                    .map(|x| x.type_code.to_string())
                    .collect();
                documents.sort();
                documents.dedup();
                ItemSubject {
                    sequence: i.sequence,
                    hs: s(&i.hs_code),
                    origin: s(&i.origin),
                    preferential_origin: i.preferential_origin.as_ref().map(|c| c.to_string()),
                    value_per_unit: per(i.item_price, units),
                    value_per_kg: per(i.item_price, i.net_mass_kg),
                    customs_value: Some(i.customs_value.unwrap_or(i.item_price)),
                    net_mass_kg: Some(i.net_mass_kg),
                    tax_rate: None,
                    documents,
                    hs_rank: None,
                    hs_mismatch: None,
                    description_vague: None,
                    controlled_goods: None,
                    controlled_licence_missing: None,
                    value_z: None,
                    undervalued: None,
                    overvalued: None,
                    value_reference_n: None,
                }
            })
            .collect();
        RiskSubject {
            declaration_type: Some(d.declaration_type.as_str().to_owned()),
            procedure: s(&d.procedure),
            office: s(&d.declaration_office),
            transport_mode: Some(d.transport.border_mode.as_str().to_owned()),
            dispatch_country: d.dispatch_country.as_ref().map(|c| c.to_string()),
            destination_country: d.destination_country.as_ref().map(|c| c.to_string()),
            route,
            declarant: d.declarant.id.as_ref().map(|e| e.to_string()),
            importer: d
                .importer
                .as_ref()
                .and_then(|p| p.id.as_ref())
                .map(|e| e.to_string()),
            representative: d.representative.as_ref().map(|r| r.id.to_string()),
            seller_country: d
                .seller
                .as_ref()
                .and_then(|p| p.address.as_ref())
                .map(|a| a.country.to_string()),
            trader: trader.clone(),
            items,
        }
    }

    /// Sets the goods check's indicators on the items it checked (by item
    /// number); the others stay absent.
    pub fn with_goods_checks(mut self, goods: Option<&crate::goods_check::GoodsChecks>) -> Self {
        let Some(goods) = goods else {
            return self;
        };
        for item in &mut self.items {
            if let Some(c) = goods.item(item.sequence) {
                item.hs_rank = c.heading_rank;
                item.hs_mismatch = Some(c.mismatch);
                item.description_vague = Some(c.vague.is_some());
            }
            if goods.controlled_list.is_some() {
                let mut hits = goods.controlled_for(item.sequence).peekable();
                item.controlled_goods = Some(hits.peek().is_some());
                item.controlled_licence_missing = Some(hits.any(|h| !h.licence_produced));
            }
        }
        self
    }

    /// Sets the value check's z-score and indicators on the items it
    /// compared with a reference (by item number); the others stay absent.
    pub fn with_value_checks(mut self, values: Option<&crate::value_control::ValueChecks>) -> Self {
        let Some(values) = values else {
            return self;
        };
        for item in &mut self.items {
            let Some(c) = values.item(item.sequence) else {
                continue;
            };
            let (Some(r), Some(z)) = (&c.reference, c.z) else {
                continue;
            };
            item.value_z = Some(z);
            item.undervalued = Some(c.undervalued);
            item.overvalued = Some(c.overvalued);
            item.value_reference_n = Some(r.n);
        }
        self
    }

    /// Sets the duty rates (percent) per item, in item order; extra rates
    /// are ignored, missing ones stay absent.
    pub fn with_tax_rates(mut self, rates: &[Option<Decimal>]) -> Self {
        for (item, rate) in self.items.iter_mut().zip(rates) {
            item.tax_rate = *rate;
        }
        self
    }
}

/// One attribute's value on a subject (and item).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Str(&'a str),
    Num(Decimal),
    Bool(bool),
    List(&'a [String]),
    Missing,
}

impl std::fmt::Display for Val<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Str(s) => f.write_str(s),
            Val::Num(n) => write!(f, "{n}"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::List([]) => f.write_str("none"),
            Val::List(v) => f.write_str(&v.join(", ")),
            Val::Missing => f.write_str("absent"),
        }
    }
}

fn opt(s: &Option<String>) -> Val<'_> {
    s.as_deref().map_or(Val::Missing, Val::Str)
}

fn num(n: Option<Decimal>) -> Val<'static> {
    n.map_or(Val::Missing, Val::Num)
}

fn hs_digits(item: Option<&ItemSubject>, n: usize) -> Val<'_> {
    item.and_then(|i| i.hs.as_deref())
        .and_then(|h| h.get(..n))
        .map_or(Val::Missing, Val::Str)
}

/// The value of `attr` on the subject; item attributes read `item`
/// (absent when there is none).
pub fn value<'a>(attr: Attr, s: &'a RiskSubject, item: Option<&'a ItemSubject>) -> Val<'a> {
    match attr {
        Attr::Hs => item.map_or(Val::Missing, |i| opt(&i.hs)),
        Attr::Hs2 => hs_digits(item, 2),
        Attr::Hs4 => hs_digits(item, 4),
        Attr::Hs6 => hs_digits(item, 6),
        Attr::Origin => item.map_or(Val::Missing, |i| opt(&i.origin)),
        Attr::PreferentialOrigin => item.map_or(Val::Missing, |i| opt(&i.preferential_origin)),
        Attr::PreferentialClaimed => {
            Val::Bool(item.is_some_and(|i| i.preferential_origin.is_some()))
        }
        Attr::DispatchCountry => opt(&s.dispatch_country),
        Attr::DestinationCountry => opt(&s.destination_country),
        Attr::TransportMode => opt(&s.transport_mode),
        Attr::Route => Val::List(&s.route),
        Attr::Office => opt(&s.office),
        Attr::Declarant => opt(&s.declarant),
        Attr::Importer => opt(&s.importer),
        Attr::Representative => opt(&s.representative),
        Attr::SellerCountry => opt(&s.seller_country),
        Attr::Procedure => opt(&s.procedure),
        Attr::DeclarationType => opt(&s.declaration_type),
        Attr::ValuePerUnit => num(item.and_then(|i| i.value_per_unit)),
        Attr::ValuePerKg => num(item.and_then(|i| i.value_per_kg)),
        Attr::CustomsValue => num(item.and_then(|i| i.customs_value)),
        Attr::NetMassKg => num(item.and_then(|i| i.net_mass_kg)),
        Attr::TaxRate => num(item.and_then(|i| i.tax_rate)),
        Attr::HsRank => num(item.and_then(|i| i.hs_rank).map(Decimal::from)),
        Attr::HsMismatch => item
            .and_then(|i| i.hs_mismatch)
            .map_or(Val::Missing, Val::Bool),
        Attr::DescriptionVague => item
            .and_then(|i| i.description_vague)
            .map_or(Val::Missing, Val::Bool),
        Attr::ControlledGoods => item
            .and_then(|i| i.controlled_goods)
            .map_or(Val::Missing, Val::Bool),
        Attr::ControlledLicenceMissing => item
            .and_then(|i| i.controlled_licence_missing)
            .map_or(Val::Missing, Val::Bool),
        Attr::ValueZ => num(item.and_then(|i| i.value_z)),
        Attr::Undervalued => item
            .and_then(|i| i.undervalued)
            .map_or(Val::Missing, Val::Bool),
        Attr::Overvalued => item
            .and_then(|i| i.overvalued)
            .map_or(Val::Missing, Val::Bool),
        Attr::ValueReferenceN => num(item.and_then(|i| i.value_reference_n).map(Decimal::from)),
        Attr::Documents => item.map_or(Val::List(&[]), |i| Val::List(&i.documents)),
        Attr::Items => Val::Num(Decimal::from(s.items.len())),
        Attr::TraderCategory => Val::Str(s.trader.category.as_str()),
        Attr::TraderAeo => Val::Bool(s.trader.aeo),
        Attr::TraderFirstTime => Val::Bool(s.trader.first_time),
        Attr::TraderDays => Val::Num(Decimal::from(s.trader.days_since_registration)),
    }
}
