//! Layer 2: obligations and code lists.
//!
//! (a) [`OBLIGATIONS`] is a table (data, published as is): for each data
//! element and each declaration type x additional type, whether the element
//! is mandatory, optional or forbidden. It is evaluated against the lodged
//! JSON, so the table's element paths are the pointers reported.
//!
//! (b) Every code in the declaration is checked against the reference data:
//! the HS nomenclature on the lodging date, countries, currencies (and their
//! minor units), offices and their roles, procedures and their combinations,
//! document types, documents required by the procedure, Incoterms.

use serde::Serialize;
use serde_json::Value;

use super::catalog::{pointer_child, violation};
use super::{ControlContext, Violation};
use crate::codes::CountryCode;
use crate::declaration::{AdditionalType, Declaration, DeclarationType, TransportMode, INCOTERMS};

/// The national currency: amounts in another currency need an exchange
/// rate date.
pub const NATIONAL_CURRENCY: &str = "UZS";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Mandatory,
    Optional,
    Forbidden,
}

/// When a `Mandatory` entry applies; otherwise the element is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    Always,
    /// Only when the invoice currency is not [`NATIONAL_CURRENCY`].
    ForeignInvoiceCurrency,
    /// Only when the border mode has an identifiable active means of
    /// transport (not post, not fixed installations).
    IdentifiableBorderMeans,
}

/// One row of the obligation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Obligation {
    /// JSON pointer of the element; `*` stands for every array index. An
    /// element under an absent parent is not checked (the parent's row
    /// covers it).
    pub element: &'static str,
    pub name: &'static str,
    /// EU UCC (Annex B) data element number, e.g. `3/24`; for an element
    /// Annex B has no number for, `WCO` and the WCO Data Model id.
    pub data_element: &'static str,
    /// Presence per additional type `[standard, simplified, prelodged]`,
    /// for IM, EX and CO declarations.
    pub im: [Presence; 3],
    pub ex: [Presence; 3],
    pub co: [Presence; 3],
    /// Applies to `Mandatory` entries only.
    pub condition: Condition,
}

/// A data element number as said in a message: `DE 3/24`, `WCO D015`.
pub fn de_label(data_element: &str) -> String {
    if data_element.starts_with(|c: char| c.is_ascii_digit()) {
        format!("DE {data_element}")
    } else {
        data_element.to_owned()
    }
}

impl Obligation {
    /// The presence in the table (before the condition is applied).
    pub fn presence(&self, t: DeclarationType, a: AdditionalType) -> Presence {
        let row = match t {
            DeclarationType::IM => &self.im,
            DeclarationType::EX => &self.ex,
            DeclarationType::CO => &self.co,
        };
        let col = match a {
            AdditionalType::Standard => 0,
            AdditionalType::Simplified => 1,
            AdditionalType::Prelodged => 2,
        };
        row.get(col).copied().unwrap_or(Presence::Optional)
    }
}

const M: Presence = Presence::Mandatory;
const O: Presence = Presence::Optional;
const F: Presence = Presence::Forbidden;

const fn ob(
    element: &'static str,
    name: &'static str,
    data_element: &'static str,
    im: [Presence; 3],
    ex: [Presence; 3],
    co: [Presence; 3],
    condition: Condition,
) -> Obligation {
    Obligation {
        element,
        name,
        data_element,
        im,
        ex,
        co,
        condition,
    }
}

use Condition::{Always, ForeignInvoiceCurrency, IdentifiableBorderMeans};

/// The obligation table. Columns per type: standard, simplified, prelodged.
#[rustfmt::skip]
pub static OBLIGATIONS: &[Obligation] = &[
    //  element                              name                         DE          IM          EX          CO
    ob("/declarant/address",                "declarant address",         "3/17",     [M, O, M], [M, O, M], [M, O, M], Always),
    ob("/importer",                         "importer",                  "3/15",     [M, M, M], [O, O, O], [O, O, O], Always),
    ob("/importer/id",                      "importer identification",   "3/16",     [M, M, M], [O, O, O], [O, O, O], Always),
    ob("/importer/address",                 "importer address",          "3/15",     [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/exporter",                         "exporter",                  "3/1",      [O, O, O], [M, M, M], [O, O, O], Always),
    ob("/exporter/id",                      "exporter identification",   "3/2",      [O, O, O], [M, M, M], [O, O, O], Always),
    ob("/exporter/address",                 "exporter address",          "3/1",      [O, O, O], [M, O, M], [O, O, O], Always),
    ob("/seller",                           "seller",                    "3/24",     [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/presentationOffice",               "presentation office",       "5/26",     [O, O, M], [O, O, M], [O, O, M], Always),
    ob("/exitOffice",                       "office of exit",            "5/12",     [F, F, F], [M, O, M], [O, O, O], Always),
    ob("/dispatchCountry",                  "country of dispatch",       "5/14",     [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/destinationCountry",               "country of destination",    "5/8",      [O, O, O], [M, M, M], [O, O, O], Always),
    ob("/transport/borderMeansId",          "border means identity",     "7/14",     [M, O, M], [M, O, M], [O, O, O], IdentifiableBorderMeans),
    ob("/transport/borderMeansNationality", "border means nationality",  "7/15",     [M, O, M], [M, O, M], [O, O, O], IdentifiableBorderMeans),
    ob("/transportDocuments",               "transport documents",       "2/1",      [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/deliveryTerms",                    "delivery terms",            "4/1",      [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/invoice/date",                     "invoice date",              "WCO D015", [M, O, M], [O, O, O], [O, O, O], Always),
    ob("/exchangeRateDate",                 "exchange rate date",        "4/15",     [M, O, M], [O, O, O], [O, O, O], ForeignInvoiceCurrency),
    ob("/items/*/customsValue",             "customs value",             "WCO 108",  [M, M, M], [F, F, F], [O, O, O], Always),
    ob("/items/*/preferentialOrigin",       "preferential origin",       "5/16",     [O, O, O], [F, F, F], [F, F, F], Always),
];

fn type_label(d: &Declaration) -> String {
    format!(
        "{} {}",
        d.declaration_type.as_str(),
        d.additional_type.as_str()
    )
}

fn condition_holds(c: Condition, d: &Declaration) -> bool {
    match c {
        Always => true,
        ForeignInvoiceCurrency => d.invoice.currency.as_str() != NATIONAL_CURRENCY,
        IdentifiableBorderMeans => !matches!(
            d.transport.border_mode,
            TransportMode::Post | TransportMode::Fixed
        ),
    }
}

/// The instances of `element` in `doc`: (pointer, present). An element is
/// present when it exists, is not null and is not an empty array.
fn instances(doc: &Value, element: &str) -> Vec<(String, bool)> {
    fn walk(v: &Value, segs: &[&str], ptr: String, out: &mut Vec<(String, bool)>) {
        let Some((seg, rest)) = segs.split_first() else {
            return;
        };
        if *seg == "*" {
            if let Value::Array(a) = v {
                for (i, e) in a.iter().enumerate() {
                    walk(e, rest, format!("{ptr}/{i}"), out);
                }
            }
            return;
        }
        let child = v.as_object().and_then(|m| m.get(*seg));
        let p = pointer_child(&ptr, seg);
        if rest.is_empty() {
            let present = match child {
                None | Some(Value::Null) => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            out.push((p, present));
        } else if let Some(c) = child.filter(|c| !c.is_null()) {
            walk(c, rest, p, out);
        }
    }
    let segs: Vec<&str> = element.split('/').skip(1).collect();
    let mut out = Vec::new();
    walk(doc, &segs, String::new(), &mut out);
    out
}

/// The presence of a row for this declaration, its condition applied.
fn effective(o: &Obligation, d: &Declaration) -> Presence {
    match o.presence(d.declaration_type, d.additional_type) {
        Presence::Mandatory if !condition_holds(o.condition, d) => Presence::Optional,
        p => p,
    }
}

/// Whether the table makes `element` (a row's element path) mandatory for
/// this declaration.
pub fn is_mandatory(element: &str, d: &Declaration) -> bool {
    OBLIGATIONS
        .iter()
        .any(|o| o.element == element && effective(o, d) == Presence::Mandatory)
}

fn check_obligations(doc: &Value, d: &Declaration, out: &mut Vec<Violation>) {
    for o in OBLIGATIONS {
        let presence = effective(o, d);
        if presence == Presence::Optional {
            continue;
        }
        for (ptr, present) in instances(doc, o.element) {
            match (presence, present) {
                (Presence::Mandatory, false) => out.push(violation(
                    "FLC-OBL-MISSING",
                    ptr,
                    format!(
                        "{} ({}) is mandatory in {} declarations{}",
                        o.name,
                        de_label(o.data_element),
                        type_label(d),
                        match o.condition {
                            Always => String::new(),
                            ForeignInvoiceCurrency =>
                                format!(" invoiced in a foreign currency ({})", d.invoice.currency),
                            IdentifiableBorderMeans =>
                                format!(" with border mode {}", d.transport.border_mode.as_str()),
                        }
                    ),
                )),
                (Presence::Forbidden, true) => out.push(violation(
                    "FLC-OBL-FORBIDDEN",
                    ptr,
                    format!(
                        "{} ({}) is not allowed in {} declarations",
                        o.name,
                        de_label(o.data_element),
                        type_label(d)
                    ),
                )),
                _ => {}
            }
        }
    }
}

fn country(c: &CountryCode, ptr: String, ctx: &ControlContext<'_>, out: &mut Vec<Violation>) {
    if !ctx.reference.country_exists(c) {
        out.push(violation(
            "FLC-COUNTRY-UNKNOWN",
            ptr,
            format!("country {c} is not an ISO 3166-1 country"),
        ));
    }
}

fn check_code_lists(d: &Declaration, ctx: &ControlContext<'_>, out: &mut Vec<Violation>) {
    let r = ctx.reference;

    // Countries.
    let parties = [
        ("/declarant", Some(&d.declarant)),
        ("/importer", d.importer.as_ref()),
        ("/exporter", d.exporter.as_ref()),
        ("/seller", d.seller.as_ref()),
    ];
    for (base, party) in parties {
        if let Some(a) = party.and_then(|p| p.address.as_ref()) {
            country(&a.country, format!("{base}/address/country"), ctx, out);
        }
    }
    if let Some(c) = &d.dispatch_country {
        country(c, "/dispatchCountry".into(), ctx, out);
    }
    if let Some(c) = &d.destination_country {
        country(c, "/destinationCountry".into(), ctx, out);
    }
    if let Some(c) = &d.transport.border_means_nationality {
        country(c, "/transport/borderMeansNationality".into(), ctx, out);
    }
    for (i, item) in d.items.iter().enumerate() {
        country(&item.origin, format!("/items/{i}/origin"), ctx, out);
        if let Some(c) = &item.preferential_origin {
            country(c, format!("/items/{i}/preferentialOrigin"), ctx, out);
        }
        if !r.hs_code_valid(&item.hs_code, ctx.today) {
            out.push(violation(
                "FLC-HS-UNKNOWN",
                format!("/items/{i}/hsCode"),
                format!(
                    "commodity code {} is not in the nomenclature valid on {}",
                    item.hs_code, ctx.today
                ),
            ));
        }
    }

    // Currency and amounts in it.
    let currency = &d.invoice.currency;
    match r.currency_minor_units(currency) {
        None => out.push(violation(
            "FLC-CURRENCY-UNKNOWN",
            "/invoice/currency",
            format!("currency {currency} is not an ISO 4217 currency"),
        )),
        Some(minor) => {
            let mut amounts = vec![("/invoice/amount".to_owned(), d.invoice.amount)];
            for (i, item) in d.items.iter().enumerate() {
                amounts.push((format!("/items/{i}/itemPrice"), item.item_price));
                if let Some(v) = item.customs_value {
                    amounts.push((format!("/items/{i}/customsValue"), v));
                }
            }
            for (ptr, amount) in amounts {
                let places = amount.normalize().scale();
                if places > minor {
                    out.push(violation(
                        "FLC-CURRENCY-DECIMALS",
                        ptr,
                        format!("amount {amount} has {places} decimals; {currency} allows {minor}"),
                    ));
                }
            }
        }
    }

    // Offices and roles.
    let office = &d.declaration_office;
    match r.office_roles(office) {
        None => out.push(violation(
            "FLC-OFFICE-UNKNOWN",
            "/declarationOffice",
            format!("customs office {office} does not exist"),
        )),
        Some(roles) => {
            let needed: &[&str] = match d.declaration_type {
                DeclarationType::IM => &["IMP"],
                DeclarationType::EX => &["EXP"],
                DeclarationType::CO => &["IMP", "EXP"],
            };
            if !roles.iter().any(|r| needed.contains(&r.as_str())) {
                out.push(violation(
                    "FLC-DECLARATION-OFFICE-ROLE",
                    "/declarationOffice",
                    format!(
                        "office {office} (roles {}) cannot accept {} declarations; it needs role {}",
                        roles.join(";"),
                        d.declaration_type.as_str(),
                        needed.join(" or ")
                    ),
                ));
            }
        }
    }
    if let Some(exit) = &d.exit_office {
        match r.office_roles(exit) {
            None => out.push(violation(
                "FLC-OFFICE-UNKNOWN",
                "/exitOffice",
                format!("customs office {exit} does not exist"),
            )),
            Some(roles) if !roles.iter().any(|r| r == "EXT") => out.push(violation(
                "FLC-EXIT-OFFICE-ROLE",
                "/exitOffice",
                format!(
                    "office {exit} (roles {}) is not an office of exit (EXT)",
                    roles.join(";")
                ),
            )),
            Some(_) => {}
        }
    }
    if let Some(p) = &d.presentation_office {
        if r.office_roles(p).is_none() {
            out.push(violation(
                "FLC-OFFICE-UNKNOWN",
                "/presentationOffice",
                format!("customs office {p} does not exist"),
            ));
        }
    }

    // Procedure and additional procedures.
    let procedure = &d.procedure;
    let procedure_known = match r.procedure_types(procedure) {
        None => {
            out.push(violation(
                "FLC-PROCEDURE-UNKNOWN",
                "/procedure",
                format!("procedure {procedure} does not exist"),
            ));
            false
        }
        Some(types) => {
            if !types.contains(&d.declaration_type) {
                let allowed: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
                out.push(violation(
                    "FLC-PROCEDURE-TYPE",
                    "/procedure",
                    format!(
                        "procedure {procedure} is for {} declarations, not {}",
                        allowed.join("/"),
                        d.declaration_type.as_str()
                    ),
                ));
            }
            true
        }
    };
    for (i, a) in d.additional_procedures.iter().enumerate() {
        let ptr = format!("/additionalProcedures/{i}");
        if !r.additional_procedure_exists(a) {
            out.push(violation(
                "FLC-ADDITIONAL-PROCEDURE-UNKNOWN",
                ptr,
                format!("additional procedure {a} does not exist"),
            ));
        } else if procedure_known && !r.combination_allowed(procedure, a) {
            out.push(violation(
                "FLC-PROCEDURE-COMBINATION",
                ptr,
                format!("additional procedure {a} cannot be used with procedure {procedure}"),
            ));
        }
    }

    // Documents.
    for (j, doc) in d.transport_documents.iter().enumerate() {
        let ptr = format!("/transportDocuments/{j}/type");
        let code = &doc.type_code;
        if !r.document_type_exists(code) {
            out.push(violation(
                "FLC-DOCUMENT-TYPE-UNKNOWN",
                ptr,
                format!("document type {code} does not exist"),
            ));
        } else if !code.as_str().starts_with("N7") {
            out.push(violation(
                "FLC-TRANSPORT-DOCUMENT-TYPE",
                ptr,
                format!("document type {code} is not a transport document (N7xx)"),
            ));
        }
    }
    let required = r.required_documents(procedure);
    for (i, item) in d.items.iter().enumerate() {
        for (j, doc) in item.documents.iter().enumerate() {
            if !r.document_type_exists(&doc.type_code) {
                out.push(violation(
                    "FLC-DOCUMENT-TYPE-UNKNOWN",
                    format!("/items/{i}/documents/{j}/type"),
                    format!("document type {} does not exist", doc.type_code),
                ));
            }
        }
        for (code, reason) in required {
            if !item
                .documents
                .iter()
                .any(|doc| doc.type_code.as_str() == code)
            {
                out.push(violation(
                    "FLC-DOCUMENT-REQUIRED",
                    format!("/items/{i}/documents"),
                    format!(
                        "procedure {procedure} requires document {code} ({reason}) on item {}",
                        item.sequence
                    ),
                ));
            }
        }
    }

    // Incoterms.
    if let Some(t) = &d.delivery_terms {
        if !INCOTERMS.contains(&t.incoterm.as_str()) {
            out.push(violation(
                "FLC-INCOTERM-UNKNOWN",
                "/deliveryTerms/incoterm",
                format!(
                    "{:?} is not an Incoterms 2020 code ({})",
                    t.incoterm,
                    INCOTERMS.join(", ")
                ),
            ));
        }
    }
}

/// Runs the obligation table over the lodged document `doc` (from which `d`
/// was parsed) and checks every code against the reference data.
pub fn check(doc: &Value, d: &Declaration, ctx: &ControlContext<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    check_obligations(doc, d, &mut out);
    check_code_lists(d, ctx, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::structure::fixtures::{ctx, ex, im};
    use crate::control::{parse_declaration, Severity};
    use serde_json::json;

    fn run(doc: &Value) -> Vec<(String, String)> {
        let (d, vs) = parse_declaration(doc);
        assert!(vs.is_empty(), "structure: {vs:#?}");
        let d = d.unwrap();
        check(doc, &d, &ctx())
            .into_iter()
            .map(|v| (v.code, v.pointer))
            .collect()
    }

    fn with(mut doc: Value, f: impl FnOnce(&mut Value)) -> Value {
        f(&mut doc);
        doc
    }

    fn has(vs: &[(String, String)], code: &str, ptr: &str) -> bool {
        vs.iter().any(|(c, p)| c == code && p == ptr)
    }

    fn one(code: &str, ptr: &str) -> Vec<(String, String)> {
        vec![(code.to_owned(), ptr.to_owned())]
    }

    #[test]
    fn valid_fixtures_pass() {
        assert_eq!(run(&im()), vec![]);
        assert_eq!(run(&ex()), vec![]);
    }

    #[test]
    fn table_is_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for o in OBLIGATIONS {
            assert!(o.element.starts_with('/'), "{}", o.element);
            assert!(seen.insert(o.element), "duplicate row {}", o.element);
        }
        // Published as data.
        let v = serde_json::to_value(OBLIGATIONS).unwrap();
        assert_eq!(v[1]["element"], "/importer");
        assert_eq!(v[1]["im"], json!(["mandatory", "mandatory", "mandatory"]));
        let exit = OBLIGATIONS
            .iter()
            .find(|o| o.element == "/exitOffice")
            .unwrap();
        assert_eq!(
            exit.presence(DeclarationType::EX, AdditionalType::Standard),
            Presence::Mandatory
        );
        assert_eq!(
            exit.presence(DeclarationType::IM, AdditionalType::Prelodged),
            Presence::Forbidden
        );
    }

    #[test]
    fn import_obligations() {
        let doc = with(im(), |d| {
            let m = d.as_object_mut().unwrap();
            m.remove("importer");
            m.remove("dispatchCountry");
            m.remove("exchangeRateDate");
            m["transportDocuments"] = json!([]);
            d["items"][1]
                .as_object_mut()
                .unwrap()
                .remove("customsValue");
            d["exitOffice"] = json!("UZ000130");
            d["items"][0]["preferentialOrigin"] = json!("CN");
            d["items"][0]["documents"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "U045", "reference": "FORM-A 1"}));
        });
        let mut got = run(&doc);
        got.sort();
        let mut want = vec![
            ("FLC-OBL-MISSING".to_owned(), "/importer".to_owned()),
            ("FLC-OBL-MISSING".into(), "/dispatchCountry".into()),
            ("FLC-OBL-MISSING".into(), "/exchangeRateDate".into()),
            ("FLC-OBL-MISSING".into(), "/transportDocuments".into()),
            ("FLC-OBL-MISSING".into(), "/items/1/customsValue".into()),
            ("FLC-OBL-FORBIDDEN".into(), "/exitOffice".into()),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn conditions_relax_mandatory_entries() {
        // National currency: no exchange rate date needed.
        let doc = with(im(), |d| {
            d["invoice"]["currency"] = json!(NATIONAL_CURRENCY);
            d.as_object_mut().unwrap().remove("exchangeRateDate");
        });
        assert_eq!(run(&doc), vec![]);
        // Post: no border means.
        let doc = with(im(), |d| {
            d["transport"] = json!({"borderMode": "post"});
        });
        assert_eq!(run(&doc), vec![]);
        let doc = with(im(), |d| {
            d["transport"] = json!({"borderMode": "air"});
        });
        let got = run(&doc);
        assert!(has(&got, "FLC-OBL-MISSING", "/transport/borderMeansId"));
        assert!(has(
            &got,
            "FLC-OBL-MISSING",
            "/transport/borderMeansNationality"
        ));
    }

    #[test]
    fn export_and_other_additional_types() {
        let doc = with(ex(), |d| {
            let m = d.as_object_mut().unwrap();
            m.remove("exitOffice");
            m.remove("destinationCountry");
            m.remove("exporter");
            d["items"][0]["customsValue"] = json!("100");
        });
        let mut got = run(&doc);
        got.sort();
        let mut want = vec![
            ("FLC-OBL-MISSING".to_owned(), "/exitOffice".to_owned()),
            ("FLC-OBL-MISSING".into(), "/destinationCountry".into()),
            ("FLC-OBL-MISSING".into(), "/exporter".into()),
            ("FLC-OBL-FORBIDDEN".into(), "/items/0/customsValue".into()),
        ];
        want.sort();
        assert_eq!(got, want);

        // Simplified import needs far less.
        let doc = with(im(), |d| {
            d["additionalType"] = json!("simplified");
            let m = d.as_object_mut().unwrap();
            for k in [
                "seller",
                "dispatchCountry",
                "deliveryTerms",
                "exchangeRateDate",
                "transportDocuments",
            ] {
                m.remove(k);
            }
            d["declarant"].as_object_mut().unwrap().remove("address");
            d["importer"].as_object_mut().unwrap().remove("address");
            d["invoice"].as_object_mut().unwrap().remove("date");
        });
        assert_eq!(run(&doc), vec![]);

        // Prelodged needs the presentation office.
        let doc = with(im(), |d| d["additionalType"] = json!("prelodged"));
        assert_eq!(run(&doc), one("FLC-OBL-MISSING", "/presentationOffice"));
        let doc = with(im(), |d| {
            d["additionalType"] = json!("prelodged");
            d["presentationOffice"] = json!("UZ000999");
        });
        assert_eq!(run(&doc), one("FLC-OFFICE-UNKNOWN", "/presentationOffice"));
    }

    #[test]
    fn codes_must_exist() {
        let doc = with(im(), |d| {
            d["items"][0]["hsCode"] = json!("847199");
            d["items"][1]["hsCode"] = json!("84713000"); // no national codes loaded: fine
            d["items"][1]["origin"] = json!("XX");
            d["seller"]["address"]["country"] = json!("QQ");
            d["transport"]["borderMeansNationality"] = json!("ZZ");
            d["deliveryTerms"]["incoterm"] = json!("DDU");
            d["items"][0]["documents"][0]["type"] = json!("N999");
            d["transportDocuments"][0]["type"] = json!("N380");
        });
        let mut got = run(&doc);
        got.sort();
        let mut want = vec![
            ("FLC-HS-UNKNOWN".to_owned(), "/items/0/hsCode".to_owned()),
            ("FLC-COUNTRY-UNKNOWN".into(), "/items/1/origin".into()),
            (
                "FLC-COUNTRY-UNKNOWN".into(),
                "/seller/address/country".into(),
            ),
            (
                "FLC-COUNTRY-UNKNOWN".into(),
                "/transport/borderMeansNationality".into(),
            ),
            (
                "FLC-INCOTERM-UNKNOWN".into(),
                "/deliveryTerms/incoterm".into(),
            ),
            (
                "FLC-DOCUMENT-TYPE-UNKNOWN".into(),
                "/items/0/documents/0/type".into(),
            ),
            // The item no longer carries the N935 invoice 4000 requires.
            ("FLC-DOCUMENT-REQUIRED".into(), "/items/0/documents".into()),
            (
                "FLC-TRANSPORT-DOCUMENT-TYPE".into(),
                "/transportDocuments/0/type".into(),
            ),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn hs_code_validity_depends_on_the_date() {
        let doc = im();
        let d = parse_declaration(&doc).0.unwrap();
        let mut c = ctx();
        c.today = time::macros::date!(2021 - 12 - 31);
        let vs = check(&doc, &d, &c);
        let hs: Vec<_> = vs.iter().filter(|v| v.code == "FLC-HS-UNKNOWN").collect();
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[0].pointer, "/items/0/hsCode");
        assert!(hs[0].message.contains("847130"));
    }

    #[test]
    fn currency_and_minor_units() {
        let doc = with(im(), |d| d["invoice"]["currency"] = json!("ABC"));
        assert_eq!(run(&doc), one("FLC-CURRENCY-UNKNOWN", "/invoice/currency"));
        let doc = with(im(), |d| {
            d["invoice"]["currency"] = json!("JPY");
            d["invoice"]["amount"] = json!("15000"); // trailing zeros are fine
            d["items"][0]["itemPrice"] = json!("12000.50");
            d["items"][1]["customsValue"] = json!("3100.000");
        });
        assert_eq!(
            run(&doc),
            one("FLC-CURRENCY-DECIMALS", "/items/0/itemPrice")
        );
        let d = parse_declaration(&doc).0.unwrap();
        let vs = check(&doc, &d, &ctx());
        assert_eq!(
            vs[0].message,
            "amount 12000.50 has 1 decimals; JPY allows 0"
        );
    }

    #[test]
    fn offices_and_roles() {
        // UZ000130 is a border post: EXT but no IMP.
        let doc = with(im(), |d| d["declarationOffice"] = json!("UZ000130"));
        assert_eq!(
            run(&doc),
            one("FLC-DECLARATION-OFFICE-ROLE", "/declarationOffice")
        );
        let doc = with(im(), |d| d["declarationOffice"] = json!("UZ999999"));
        assert_eq!(run(&doc), one("FLC-OFFICE-UNKNOWN", "/declarationOffice"));
        // UZ000100 has no EXT role.
        let doc = with(ex(), |d| d["exitOffice"] = json!("UZ000100"));
        assert_eq!(run(&doc), one("FLC-EXIT-OFFICE-ROLE", "/exitOffice"));
        let doc = with(ex(), |d| d["exitOffice"] = json!("UZ999998"));
        assert_eq!(run(&doc), one("FLC-OFFICE-UNKNOWN", "/exitOffice"));
    }

    #[test]
    fn procedures_and_combinations() {
        let doc = with(im(), |d| d["procedure"] = json!("1000"));
        let got = run(&doc);
        assert!(has(&got, "FLC-PROCEDURE-TYPE", "/procedure"), "{got:?}");
        // 1000 requires no documents, and 000 combines with 1000.
        assert_eq!(got.len(), 1, "{got:?}");
        let doc = with(im(), |d| d["procedure"] = json!("9999"));
        assert_eq!(run(&doc), one("FLC-PROCEDURE-UNKNOWN", "/procedure"));
        let doc = with(im(), |d| {
            d["additionalProcedures"] = json!(["000", "ZZZ", "0MG"])
        });
        let mut got = run(&doc);
        got.sort();
        assert_eq!(
            got,
            vec![
                (
                    "FLC-ADDITIONAL-PROCEDURE-UNKNOWN".to_owned(),
                    "/additionalProcedures/1".to_owned()
                ),
                (
                    "FLC-PROCEDURE-COMBINATION".into(),
                    "/additionalProcedures/2".into()
                ),
            ]
        );
    }

    #[test]
    fn required_documents_on_every_item() {
        let doc = with(im(), |d| d["items"][1]["documents"] = json!([]));
        let (d, _) = parse_declaration(&doc);
        let vs = check(&doc, &d.unwrap(), &ctx());
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].code, "FLC-DOCUMENT-REQUIRED");
        assert_eq!(vs[0].pointer, "/items/1/documents");
        assert_eq!(vs[0].severity, Severity::Error);
        assert!(vs[0].message.contains("N935"), "{}", vs[0].message);
    }
}
