//! The customs declaration, following the WCO Data Model / EU UCC data
//! elements (DE numbers in the doc comments).
//!
//! A [`Declaration`] is the *parsed* form: every code in it is well formed.
//! It is produced from the lodged JSON by [`crate::control::parse_declaration`],
//! which reports every structural problem at once with a JSON pointer; the
//! field names below (camelCase) are the wire names and so the pointers.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{
    AdditionalProcedureCode, CountryCode, CurrencyCode, DocumentTypeCode, Eori, HsCode, Lrn,
    OfficeCode, ProcedureCode,
};

/// DE 1/1 declaration type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeclarationType {
    /// Import.
    IM,
    /// Export.
    EX,
    /// Customs status / internal-market movement.
    CO,
}

impl DeclarationType {
    pub const ALL: [DeclarationType; 3] = [Self::IM, Self::EX, Self::CO];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IM => "IM",
            Self::EX => "EX",
            Self::CO => "CO",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// DE 1/2 additional declaration type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AdditionalType {
    /// A: standard declaration.
    Standard,
    /// B/C: simplified declaration.
    Simplified,
    /// D: standard declaration lodged before the goods are presented.
    Prelodged,
}

impl AdditionalType {
    pub const ALL: [AdditionalType; 3] = [Self::Standard, Self::Simplified, Self::Prelodged];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Simplified => "simplified",
            Self::Prelodged => "prelodged",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A party: declarant, importer, exporter, seller, representative (DE 3/x).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    /// Operator identification number (EORI-like); optional for parties
    /// abroad that have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Eori>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub street: String,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    pub country: CountryCode,
}

/// DE 3/21 representative status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RepresentationKind {
    Direct,
    Indirect,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Representative {
    pub id: Eori,
    pub name: String,
    pub kind: RepresentationKind,
}

/// DE 7/4 mode of transport (UN/ECE Rec. 19 single digit 1..9, 0 unknown is
/// not accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TransportMode {
    Sea,
    Rail,
    Road,
    Air,
    Post,
    Fixed,
    InlandWater,
    Own,
}

impl TransportMode {
    pub const ALL: [TransportMode; 8] = [
        Self::Sea,
        Self::Rail,
        Self::Road,
        Self::Air,
        Self::Post,
        Self::Fixed,
        Self::InlandWater,
        Self::Own,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sea => "sea",
            Self::Rail => "rail",
            Self::Road => "road",
            Self::Air => "air",
            Self::Post => "post",
            Self::Fixed => "fixed",
            Self::InlandWater => "inlandwater",
            Self::Own => "own",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
    /// UN/ECE Recommendation 19 code.
    pub fn code(self) -> u8 {
        match self {
            Self::Sea => 1,
            Self::Rail => 2,
            Self::Road => 3,
            Self::Air => 4,
            Self::Post => 5,
            Self::Fixed => 7,
            Self::InlandWater => 8,
            Self::Own => 9,
        }
    }
}

/// DE 7/x transport.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transport {
    /// DE 7/4 mode at the border.
    pub border_mode: TransportMode,
    /// DE 7/5 inland mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inland_mode: Option<TransportMode>,
    /// DE 7/14 identity of the active means of transport crossing the border.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border_means_id: Option<String>,
    /// DE 7/15 nationality of that means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border_means_nationality: Option<CountryCode>,
    /// DE 7/2 goods in containers.
    #[serde(default)]
    pub container: bool,
}

/// A document reference: DE 2/3 documents produced, certificates,
/// authorisations, or transport documents (N7xx codes, declared with the
/// previous documents in DE 2/1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentRef {
    #[serde(rename = "type")]
    pub type_code: DocumentTypeCode,
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<Date>,
}

/// DE 4/1 delivery terms (Incoterms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryTerms {
    pub incoterm: String,
    pub place: String,
}

/// Incoterms 2020 codes.
pub const INCOTERMS: [&str; 11] = [
    "EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF",
];

/// DE 4/10, 4/11 invoice currency and total amount invoiced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub currency: CurrencyCode,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
}

/// DE 6/18 total packages, DE 6/5 total gross mass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub packages: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub gross_mass_kg: Decimal,
}

/// DE 6/9-6/11 packages of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Packages {
    /// UN/ECE Rec. 21 package type, 2 characters (e.g. `CT` carton, `PK`).
    pub kind: String,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<String>,
}

/// DE 4/16 valuation method (1 = transaction value ... 6 = fall-back).
pub type ValuationMethod = u8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsItem {
    /// DE 1/6 goods item number, 1-based and consecutive.
    pub sequence: u32,
    /// DE 6/8 description of goods.
    pub description: String,
    /// DE 6/14-6/15 commodity code.
    pub hs_code: HsCode,
    /// DE 5/15 country of origin.
    pub origin: CountryCode,
    /// DE 5/16 country of preferential origin, when preference is claimed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferential_origin: Option<CountryCode>,
    /// DE 6/1 net mass.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub net_mass_kg: Decimal,
    /// DE 6/5 gross mass.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub gross_mass_kg: Decimal,
    /// DE 6/2 supplementary units.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub supplementary_units: Option<Decimal>,
    pub packages: Packages,
    /// DE 4/14 item price in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub item_price: Decimal,
    /// DE 4/16 valuation method.
    pub valuation_method: ValuationMethod,
    /// Declared customs value in the invoice currency (WCO 108; Annex B has
    /// no number for it).
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub customs_value: Option<Decimal>,
    /// DE 2/3 documents produced, certificates and authorisations.
    #[serde(default)]
    pub documents: Vec<DocumentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Declaration {
    /// DE 1/1.
    #[serde(rename = "type")]
    pub declaration_type: DeclarationType,
    /// DE 1/2.
    pub additional_type: AdditionalType,
    /// DE 2/5 local reference number.
    pub lrn: Lrn,
    /// DE 1/10 procedure (requested + previous).
    pub procedure: ProcedureCode,
    /// DE 1/11 additional procedure codes.
    #[serde(default)]
    pub additional_procedures: Vec<AdditionalProcedureCode>,
    /// DE 3/17-3/18 declarant.
    pub declarant: Party,
    /// DE 3/15-3/16 importer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importer: Option<Party>,
    /// DE 3/1-3/2 exporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<Party>,
    /// DE 3/24 seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<Party>,
    /// DE 3/19-3/21 representative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Representative>,
    /// Office where the declaration is lodged (WCO 065, office of
    /// declaration; Annex B has no number for it).
    pub declaration_office: OfficeCode,
    /// DE 5/26 office where the goods are presented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation_office: Option<OfficeCode>,
    /// DE 5/12 office of exit (exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_office: Option<OfficeCode>,
    /// DE 5/14 country of dispatch/export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_country: Option<CountryCode>,
    /// DE 5/8 country of destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_country: Option<CountryCode>,
    pub transport: Transport,
    /// Transport documents (bill of lading, CMR, air waybill): N7xx codes
    /// of DE 2/1.
    #[serde(default)]
    pub transport_documents: Vec<DocumentRef>,
    /// DE 4/1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_terms: Option<DeliveryTerms>,
    pub invoice: Invoice,
    /// DE 4/15 date of the exchange rate used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_rate_date: Option<Date>,
    pub totals: Totals,
    pub items: Vec<GoodsItem>,
}

impl Declaration {
    /// The declarant's operator id (mandatory once control has passed).
    pub fn declarant_id(&self) -> Option<&Eori> {
        self.declarant.id.as_ref()
    }

    pub fn representative_id(&self) -> Option<&Eori> {
        self.representative.as_ref().map(|r| &r.id)
    }
}
