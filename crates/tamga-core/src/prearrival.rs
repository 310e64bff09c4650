//! Pre-arrival (advance cargo) information: its model and parsing (pure).
//!
//! A carrier or trader sends, before the goods arrive, what it knows of a
//! consignment: the transport document reference, the expected arrival,
//! the office of arrival, the transport mode and route, the parties and
//! the goods lines. It is parsed here (every error with a JSON pointer),
//! turned into a [`RiskSubject`] and assessed by the same engine as
//! declarations; the preliminary decision is applied when a declaration
//! refers to the same transport document.
//!
//! ```json
//! {"transportDocument": "CMR-2026-000123", "expectedArrival": "2026-11-25T08:00:00Z",
//!  "officeOfArrival": "UZ000100", "transportMode": "road", "route": ["CN", "KZ"],
//!  "parties": {"consignor": {"name": "Shenzhen Trading", "country": "CN"},
//!              "consignee": {"name": "Tashkent Import", "id": "UZ000000000101"},
//!              "carrier": {"name": "Silk Road Logistics", "country": "KZ"}},
//!  "goods": [{"description": "passenger car", "hsCode": "870323", "origin": "CN",
//!             "netMassKg": "1400", "value": "9000", "currency": "USD"}]}
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::codes::{CountryCode, CurrencyCode, Eori, HsCode, OfficeCode};
use crate::declaration::TransportMode;
use crate::lifecycle::Channel;
use crate::profiles::{Control, ItemSubject, RiskSubject, TraderContext};
use crate::reference::ReferenceData;

/// Most goods lines in one submission.
pub const MAX_GOODS: usize = 999;
/// Most countries on a route.
pub const MAX_ROUTE: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CargoParty {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Eori>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CargoParties {
    pub consignor: CargoParty,
    pub consignee: CargoParty,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<CargoParty>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GoodsLine {
    pub description: String,
    pub hs_code: HsCode,
    pub origin: CountryCode,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub net_mass_kg: Decimal,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub value: Decimal,
    pub currency: CurrencyCode,
}

/// Advance cargo information, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvanceCargo {
    /// Transport document reference (bill of lading, CMR, air waybill...),
    /// matched against `transportDocuments[].reference` of declarations.
    pub transport_document: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expected_arrival: OffsetDateTime,
    pub office_of_arrival: OfficeCode,
    pub transport_mode: TransportMode,
    /// Countries on the route, from dispatch on.
    pub route: Vec<CountryCode>,
    pub parties: CargoParties,
    pub goods: Vec<GoodsLine>,
}

/// The preliminary decision on a consignment, applied at arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preliminary {
    /// Id of the pre-arrival submission.
    pub id: String,
    pub transport_document: String,
    pub channel: Channel,
    #[serde(default)]
    pub controls: Vec<Control>,
    #[serde(default)]
    pub blue: bool,
}

/// One problem in a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CargoError {
    pub code: &'static str,
    /// JSON pointer to the offending field.
    pub pointer: String,
    pub message: String,
}

struct Ctx<'a> {
    errors: Vec<CargoError>,
    reference: &'a ReferenceData,
    today: Date,
}

impl Ctx<'_> {
    fn err(&mut self, code: &'static str, pointer: &str, message: impl Into<String>) {
        self.errors.push(CargoError {
            code,
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// A required (or optional) string field.
    fn string(&mut self, v: &Value, key: &str, at: &str, required: bool) -> Option<String> {
        let p = format!("{at}/{key}");
        match v.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.err("PREARRIVAL_MISSING", &p, format!("{key} is required"));
                }
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 512 => {
                Some(s.trim().to_owned())
            }
            Some(Value::String(_)) => {
                self.err(
                    "PREARRIVAL_TEXT",
                    &p,
                    format!("{key} must be 1 to 512 characters"),
                );
                None
            }
            Some(_) => {
                self.err("PREARRIVAL_TYPE", &p, format!("{key} must be a string"));
                None
            }
        }
    }

    fn code<T>(
        &mut self,
        v: &Value,
        key: &str,
        at: &str,
        required: bool,
        parse: impl Fn(&str) -> Result<T, crate::codes::CodeError>,
    ) -> Option<T> {
        let s = self.string(v, key, at, required)?;
        match parse(&s) {
            Ok(x) => Some(x),
            Err(e) => {
                self.err(e.code, &format!("{at}/{key}"), e.message);
                None
            }
        }
    }

    fn country(&mut self, v: &Value, key: &str, at: &str, required: bool) -> Option<CountryCode> {
        let c = self.code(v, key, at, required, CountryCode::parse)?;
        if !self.reference.country_exists(&c) {
            self.err(
                "PREARRIVAL_COUNTRY",
                &format!("{at}/{key}"),
                format!("unknown country {c}"),
            );
            return None;
        }
        Some(c)
    }

    /// A positive decimal, as a JSON string or number.
    fn amount(&mut self, v: &Value, key: &str, at: &str) -> Option<Decimal> {
        let p = format!("{at}/{key}");
        let d = match v.get(key) {
            None | Some(Value::Null) => {
                self.err("PREARRIVAL_MISSING", &p, format!("{key} is required"));
                return None;
            }
            // The one amount grammar (`money::DecimalText`): no exponent,
            // sign or spaces; never more digits than are kept exactly.
            Some(Value::String(s)) => strict_decimal(s),
            Some(Value::Number(n)) => strict_decimal(&n.to_string()),
            Some(_) => None,
        };
        match d {
            Some(d) if d > Decimal::ZERO => Some(d),
            _ => {
                self.err(
                    "PREARRIVAL_AMOUNT",
                    &p,
                    format!("{key} must be a positive decimal number"),
                );
                None
            }
        }
    }

    fn party(&mut self, v: &Value, key: &str, at: &str, required: bool) -> Option<CargoParty> {
        let p = format!("{at}/{key}");
        let Some(obj) = v.get(key).filter(|x| !x.is_null()) else {
            if required {
                self.err("PREARRIVAL_MISSING", &p, format!("{key} is required"));
            }
            return None;
        };
        if !obj.is_object() {
            self.err("PREARRIVAL_TYPE", &p, format!("{key} must be an object"));
            return None;
        }
        let name = self.string(obj, "name", &p, true);
        let id = self.code(obj, "id", &p, false, Eori::parse);
        let country = self.country(obj, "country", &p, false);
        Some(CargoParty {
            name: name?,
            id,
            country,
        })
    }

    fn goods_line(&mut self, v: &Value, at: &str) -> Option<GoodsLine> {
        if !v.is_object() {
            self.err("PREARRIVAL_TYPE", at, "a goods line must be an object");
            return None;
        }
        let description = self.string(v, "description", at, true);
        let hs_code = self.code(v, "hsCode", at, true, HsCode::parse);
        if let Some(h) = &hs_code {
            if !self.reference.hs_code_valid(h, self.today) {
                self.err(
                    "PREARRIVAL_HS_CODE",
                    &format!("{at}/hsCode"),
                    format!("{h} is not in the nomenclature in force"),
                );
            }
        }
        let origin = self.country(v, "origin", at, true);
        let net_mass_kg = self.amount(v, "netMassKg", at);
        let value = self.amount(v, "value", at);
        let currency = self.code(v, "currency", at, true, CurrencyCode::parse);
        if let Some(c) = &currency {
            if self.reference.currency_minor_units(c).is_none() {
                self.err(
                    "PREARRIVAL_CURRENCY",
                    &format!("{at}/currency"),
                    format!("unknown currency {c}"),
                );
            }
        }
        Some(GoodsLine {
            description: description?,
            hs_code: hs_code?,
            origin: origin?,
            net_mass_kg: net_mass_kg?,
            value: value?,
            currency: currency?,
        })
    }
}

/// Parses a submission; every problem is reported, each with its pointer.
/// `now` bounds the expected arrival (not more than a day in the past nor
/// a year ahead).
pub fn parse(
    v: &Value,
    reference: &ReferenceData,
    now: OffsetDateTime,
) -> Result<AdvanceCargo, Vec<CargoError>> {
    let mut c = Ctx {
        errors: Vec::new(),
        reference,
        today: now.date(),
    };
    if !v.is_object() {
        c.err("PREARRIVAL_TYPE", "", "the body must be a JSON object");
        return Err(c.errors);
    }
    const KNOWN: [&str; 7] = [
        "transportDocument",
        "expectedArrival",
        "officeOfArrival",
        "transportMode",
        "route",
        "parties",
        "goods",
    ];
    for k in v.as_object().into_iter().flat_map(|o| o.keys()) {
        if !KNOWN.contains(&k.as_str()) {
            c.err(
                "PREARRIVAL_UNKNOWN_FIELD",
                &format!("/{k}"),
                format!("unknown field {k}"),
            );
        }
    }
    let transport_document = c.string(v, "transportDocument", "", true);
    if transport_document.as_ref().is_some_and(|t| t.len() > 70) {
        c.err(
            "PREARRIVAL_TEXT",
            "/transportDocument",
            "transportDocument must be at most 70 characters",
        );
    }
    let expected_arrival = c.string(v, "expectedArrival", "", true).and_then(|s| {
        match OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339) {
            Ok(t) if t < now - time::Duration::days(1) => {
                c.err(
                    "PREARRIVAL_ARRIVAL",
                    "/expectedArrival",
                    "expectedArrival is more than a day in the past",
                );
                None
            }
            Ok(t) if t > now + time::Duration::days(366) => {
                c.err(
                    "PREARRIVAL_ARRIVAL",
                    "/expectedArrival",
                    "expectedArrival is more than a year ahead",
                );
                None
            }
            Ok(t) => Some(t.to_offset(time::UtcOffset::UTC)),
            Err(_) => {
                c.err(
                    "PREARRIVAL_ARRIVAL",
                    "/expectedArrival",
                    "expectedArrival must be an RFC 3339 date and time, e.g. 2026-11-25T08:00:00Z",
                );
                None
            }
        }
    });
    let office = c.code(v, "officeOfArrival", "", true, OfficeCode::parse);
    if let Some(o) = &office {
        if reference.office_roles(o).is_none() {
            c.err(
                "PREARRIVAL_OFFICE",
                "/officeOfArrival",
                format!("unknown office {o}"),
            );
        }
    }
    let mode = c.string(v, "transportMode", "", true).and_then(|m| {
        let t = TransportMode::parse(&m);
        if t.is_none() {
            c.err(
                "PREARRIVAL_TRANSPORT_MODE",
                "/transportMode",
                format!(
                    "unknown transport mode {m:?}: one of {}",
                    TransportMode::ALL.map(|t| t.as_str()).join(", ")
                ),
            );
        }
        t
    });
    let mut route = Vec::new();
    match v.get("route") {
        None | Some(Value::Null) => c.err("PREARRIVAL_MISSING", "/route", "route is required"),
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_ROUTE => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("/route/{i}");
                match x.as_str().map(CountryCode::parse) {
                    Some(Ok(cc)) if reference.country_exists(&cc) => route.push(cc),
                    _ => c.err(
                        "PREARRIVAL_COUNTRY",
                        &p,
                        "not a known ISO 3166 country code",
                    ),
                }
            }
        }
        Some(_) => c.err(
            "PREARRIVAL_ROUTE",
            "/route",
            format!("route must be a list of 1 to {MAX_ROUTE} country codes"),
        ),
    }
    let parties = match v.get("parties") {
        Some(p) if p.is_object() => {
            let consignor = c.party(p, "consignor", "/parties", true);
            let consignee = c.party(p, "consignee", "/parties", true);
            let carrier = c.party(p, "carrier", "/parties", false);
            consignor
                .zip(consignee)
                .map(|(consignor, consignee)| CargoParties {
                    consignor,
                    consignee,
                    carrier,
                })
        }
        None | Some(Value::Null) => {
            c.err("PREARRIVAL_MISSING", "/parties", "parties is required");
            None
        }
        Some(_) => {
            c.err("PREARRIVAL_TYPE", "/parties", "parties must be an object");
            None
        }
    };
    let mut goods = Vec::new();
    match v.get("goods") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_GOODS => {
            for (i, g) in a.iter().enumerate() {
                if let Some(g) = c.goods_line(g, &format!("/goods/{i}")) {
                    goods.push(g);
                }
            }
        }
        None | Some(Value::Null) => c.err("PREARRIVAL_MISSING", "/goods", "goods is required"),
        Some(_) => c.err(
            "PREARRIVAL_GOODS",
            "/goods",
            format!("goods must be a list of 1 to {MAX_GOODS} lines"),
        ),
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    match (transport_document, expected_arrival, office, mode, parties) {
        (
            Some(transport_document),
            Some(expected_arrival),
            Some(office),
            Some(mode),
            Some(parties),
        ) => Ok(AdvanceCargo {
            transport_document,
            expected_arrival,
            office_of_arrival: office,
            transport_mode: mode,
            route,
            parties,
            goods,
        }),
        _ => Err(vec![CargoError {
            code: "PREARRIVAL_INVALID",
            pointer: String::new(),
            message: "the submission is incomplete".into(),
        }]),
    }
}

fn per_kg(value: Decimal, mass: Decimal) -> Option<Decimal> {
    if mass <= Decimal::ZERO {
        return None;
    }
    value.checked_div(mass).map(|v| v.round_dp(4).normalize())
}

impl AdvanceCargo {
    /// The attribute view profiles evaluate: office of arrival, mode,
    /// route (dispatch = first country), consignee as importer, consignor's
    /// country as seller country, and per goods line the code, origin,
    /// value, mass and value per kg. Declaration type, procedure and
    /// documents are absent (conditions on them are false).
    pub fn subject(&self, trader: &TraderContext) -> RiskSubject {
        let mut route: Vec<String> = self.route.iter().map(|c| c.to_string()).collect();
        route.sort();
        route.dedup();
        RiskSubject {
            declaration_type: None,
            procedure: None,
            office: Some(self.office_of_arrival.to_string()),
            transport_mode: Some(self.transport_mode.as_str().to_owned()),
            dispatch_country: self.route.first().map(|c| c.to_string()),
            destination_country: None,
            route,
            declarant: None,
            importer: self.parties.consignee.id.as_ref().map(|e| e.to_string()),
            representative: None,
            seller_country: self
                .parties
                .consignor
                .country
                .as_ref()
                .map(|c| c.to_string()),
            trader: trader.clone(),
            items: self
                .goods
                .iter()
                .enumerate()
                .map(|(i, g)| ItemSubject {
                    sequence: i as u32 + 1,
                    hs: Some(g.hs_code.to_string()),
                    origin: Some(g.origin.to_string()),
                    preferential_origin: None,
                    value_per_unit: None,
                    value_per_kg: per_kg(g.value, g.net_mass_kg),
                    customs_value: Some(g.value),
                    net_mass_kg: Some(g.net_mass_kg),
                    tax_rate: None,
                    documents: Vec::new(),
                    hs_rank: None,
                    hs_mismatch: None,
                    description_vague: None,
                    controlled_goods: None,
                    controlled_licence_missing: None,
                    value_z: None,
                    undervalued: None,
                    overvalued: None,
                    value_reference_n: None,
                })
                .collect(),
        }
    }
}

fn strict_decimal(text: &str) -> Option<Decimal> {
    crate::money::DecimalText::lex(text)
        .filter(|l| !l.negative && l.digits() <= 28)
        .and_then(|_| text.parse::<Decimal>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference() -> ReferenceData {
        ReferenceData::new(crate::reference::shipped_for_tests())
    }

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-21 12:00 UTC)
    }

    fn sample() -> Value {
        json!({
            "transportDocument": "CMR-2026-000123",
            "expectedArrival": "2026-11-25T08:00:00Z",
            "officeOfArrival": "UZ000100",
            "transportMode": "road",
            "route": ["CN", "KZ"],
            "parties": {
                "consignor": {"name": "Shenzhen Trading", "country": "CN"},
                "consignee": {"name": "Tashkent Import", "id": "UZ000000000101"},
                "carrier": {"name": "Silk Road Logistics", "country": "KZ"}
            },
            "goods": [
                {"description": "passenger car", "hsCode": "870323", "origin": "CN",
                 "netMassKg": "1400", "value": "9000", "currency": "USD"},
                {"description": "tyres", "hsCode": "401110", "origin": "CN",
                 "netMassKg": 200, "value": 300.5, "currency": "USD"}
            ]
        })
    }

    #[test]
    fn a_good_submission_parses_into_a_subject() {
        let r = reference();
        let c = parse(&sample(), &r, now()).unwrap();
        assert_eq!(c.goods.len(), 2);
        assert_eq!(c.goods[1].value, "300.5".parse::<Decimal>().unwrap());
        let s = c.subject(&TraderContext::default());
        assert_eq!(s.dispatch_country.as_deref(), Some("CN"));
        assert_eq!(s.route, ["CN", "KZ"]);
        assert_eq!(s.office.as_deref(), Some("UZ000100"));
        assert_eq!(s.transport_mode.as_deref(), Some("road"));
        assert_eq!(s.importer.as_deref(), Some("UZ000000000101"));
        assert_eq!(s.items[0].value_per_kg, Some("6.4286".parse().unwrap()));
        assert_eq!(s.items[1].sequence, 2);
        // And profiles evaluate on it.
        let p = crate::profiles::CompiledProfile::compile(crate::profiles::Profile {
            id: "CARS".into(),
            version: 1,
            rationale: "cheap cars".into(),
            expression: "hs6 == \"870323\" and origin == \"CN\" and value_per_kg < 7".into(),
            valid_from: now().date(),
            valid_to: None,
            offices: vec![],
            priority: 1,
            control: Control::PhysicalInspection,
            channel: Channel::Red,
        })
        .unwrap();
        let hit = p.hit(&s).unwrap();
        assert_eq!(hit.item, Some(1));
    }

    #[test]
    fn every_error_has_a_pointer() {
        let r = reference();
        let mut v = sample();
        v["transportMode"] = json!("camel");
        v["route"] = json!(["CN", "XX"]);
        v["goods"][0]["hsCode"] = json!("123456");
        v["goods"][1]["netMassKg"] = json!("-3");
        v["goods"][1]["currency"] = json!(7);
        v["parties"]["consignee"] = json!({"id": "UZ000000000101"});
        v["expectedArrival"] = json!("tomorrow");
        v["extra"] = json!(1);
        let e = parse(&v, &r, now()).unwrap_err();
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.code, e.pointer.as_str())).collect();
        for want in [
            ("PREARRIVAL_TRANSPORT_MODE", "/transportMode"),
            ("PREARRIVAL_COUNTRY", "/route/1"),
            ("PREARRIVAL_HS_CODE", "/goods/0/hsCode"),
            ("PREARRIVAL_AMOUNT", "/goods/1/netMassKg"),
            ("PREARRIVAL_TYPE", "/goods/1/currency"),
            ("PREARRIVAL_MISSING", "/parties/consignee/name"),
            ("PREARRIVAL_ARRIVAL", "/expectedArrival"),
            ("PREARRIVAL_UNKNOWN_FIELD", "/extra"),
        ] {
            assert!(got.contains(&want), "{want:?} not in {got:?}");
        }
    }

    #[test]
    fn amounts_follow_the_one_grammar() {
        let r = reference();
        for bad in ["1e3", "9e3", "+5", " 5", ".5"] {
            let mut v = sample();
            v["goods"][0]["value"] = json!(bad);
            let e = parse(&v, &r, now()).unwrap_err();
            assert!(
                e.iter()
                    .any(|e| e.code == "PREARRIVAL_AMOUNT" && e.pointer == "/goods/0/value"),
                "{bad:?}: {e:?}"
            );
        }
    }

    #[test]
    fn wrong_shapes_never_panic() {
        let r = reference();
        for v in [
            json!(null),
            json!([]),
            json!({}),
            json!({"goods": {}, "route": "CN", "parties": 3}),
            json!({"goods": [1, null, {}], "route": [], "parties": {"consignor": 1}}),
        ] {
            assert!(!parse(&v, &r, now()).unwrap_err().is_empty());
        }
        let mut v = sample();
        v["expectedArrival"] = json!("2020-01-01T00:00:00Z");
        assert_eq!(
            parse(&v, &r, now()).unwrap_err()[0].code,
            "PREARRIVAL_ARRIVAL"
        );
    }
}
