//! Layer 3: cross-field logic.
//!
//! Runs on a structurally valid [`Declaration`]. Sums are exact: masses have
//! at most 3 decimals (grams), so the total gross mass must equal the sum of
//! the item gross masses exactly (no tolerance), and the invoice amount the
//! sum of the item prices exactly. All arithmetic is checked.

use rust_decimal::Decimal;
use time::{Date, Month};

use super::catalog::violation;
use super::obligations;
use super::{ControlContext, Violation};
use crate::declaration::{Declaration, DeclarationType, TransportMode};

/// Customs value vs item price: outside `[1/RATIO, RATIO]` is implausible.
pub const CUSTOMS_VALUE_RATIO: u32 = 10;

/// Valuation methods of the WTO valuation agreement (1 transaction value
/// ... 6 fall-back).
pub const VALUATION_METHODS: std::ops::RangeInclusive<u8> = 1..=6;

/// The same calendar day a year earlier (28 February for 29 February).
fn one_year_before(d: Date) -> Option<Date> {
    let y = d.year().checked_sub(1)?;
    d.replace_year(y)
        .ok()
        .or_else(|| Date::from_calendar_date(y, Month::February, 28).ok())
}

/// Whether a document proves preferential origin: a U-code or EUR.1 (N954).
fn is_proof_of_origin(code: &str) -> bool {
    code.starts_with('U') || code == "N954"
}

fn sum<'a>(values: impl IntoIterator<Item = &'a Decimal>) -> Option<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
}

fn items(d: &Declaration, out: &mut Vec<Violation>, ctx: &ControlContext<'_>) {
    let ratio = Decimal::from(CUSTOMS_VALUE_RATIO);
    for (i, item) in d.items.iter().enumerate() {
        let p = |field: &str| format!("/items/{i}/{field}");
        let expected = u64::try_from(i).ok().and_then(|i| i.checked_add(1));
        if expected != Some(u64::from(item.sequence)) {
            out.push(violation(
                "FLC-ITEM-SEQUENCE",
                p("sequence"),
                format!(
                    "item number {} at position {}; items must be numbered 1, 2, 3 ... in order",
                    item.sequence,
                    i.saturating_add(1)
                ),
            ));
        }
        if item.description.trim().is_empty() {
            out.push(violation(
                "FLC-DESCRIPTION-BLANK",
                p("description"),
                format!("description of item {} is blank", item.sequence),
            ));
        }
        let (net, gross) = (item.net_mass_kg, item.gross_mass_kg);
        if net <= Decimal::ZERO {
            out.push(violation(
                "FLC-MASS-NOT-POSITIVE",
                p("netMassKg"),
                format!("net mass {net} must be greater than zero"),
            ));
        }
        if gross <= Decimal::ZERO {
            out.push(violation(
                "FLC-MASS-NOT-POSITIVE",
                p("grossMassKg"),
                format!("gross mass {gross} must be greater than zero"),
            ));
        }
        if net > gross {
            out.push(violation(
                "FLC-NET-EXCEEDS-GROSS",
                p("netMassKg"),
                format!("net mass {net} exceeds gross mass {gross}"),
            ));
        }
        if let Some(units) = item.supplementary_units {
            if units <= Decimal::ZERO {
                out.push(violation(
                    "FLC-SUPPLEMENTARY-UNITS-POSITIVE",
                    p("supplementaryUnits"),
                    format!("supplementary units {units} must be greater than zero"),
                ));
            }
        }
        let price = item.item_price;
        if price <= Decimal::ZERO {
            out.push(violation(
                "FLC-ITEM-PRICE-POSITIVE",
                p("itemPrice"),
                format!("item price {price} must be greater than zero"),
            ));
        }
        if let Some(value) = item.customs_value {
            if value <= Decimal::ZERO {
                out.push(violation(
                    "FLC-CUSTOMS-VALUE-POSITIVE",
                    p("customsValue"),
                    format!("customs value {value} must be greater than zero"),
                ));
            } else if price > Decimal::ZERO {
                let too_high = price.checked_mul(ratio).is_some_and(|max| value > max);
                let too_low = value.checked_mul(ratio).is_some_and(|v10| v10 < price);
                if too_high || too_low {
                    out.push(violation(
                        "FLC-CUSTOMS-VALUE-RATIO",
                        p("customsValue"),
                        format!(
                            "customs value {value} is {} than {CUSTOMS_VALUE_RATIO} times the item price {price}",
                            if too_high { "more" } else { "less" }
                        ),
                    ));
                }
            }
        }
        if !VALUATION_METHODS.contains(&item.valuation_method) {
            out.push(violation(
                "FLC-VALUATION-METHOD",
                p("valuationMethod"),
                format!(
                    "valuation method {} is not one of 1 to 6",
                    item.valuation_method
                ),
            ));
        }
        if let Some(c) = &item.preferential_origin {
            if !item
                .documents
                .iter()
                .any(|doc| is_proof_of_origin(doc.type_code.as_str()))
            {
                out.push(violation(
                    "FLC-PREFERENCE-PROOF",
                    p("preferentialOrigin"),
                    format!(
                        "preferential origin {c} is claimed on item {} without a proof of origin (U-code or N954 EUR.1)",
                        item.sequence
                    ),
                ));
            }
        }
        for (j, doc) in item.documents.iter().enumerate() {
            if let Some(issued) = doc.issued_on {
                if issued > ctx.today {
                    out.push(violation(
                        "FLC-DOCUMENT-DATE-FUTURE",
                        format!("/items/{i}/documents/{j}/issuedOn"),
                        format!(
                            "document {} {} is issued on {issued}, after the lodging date {}",
                            doc.type_code, doc.reference, ctx.today
                        ),
                    ));
                }
            }
            let earlier = item.documents.get(..j).unwrap_or_default();
            if earlier
                .iter()
                .any(|e| e.type_code == doc.type_code && e.reference == doc.reference)
            {
                out.push(violation(
                    "FLC-DOCUMENT-DUPLICATE",
                    format!("/items/{i}/documents/{j}"),
                    format!(
                        "document {} {} is referenced more than once on item {}",
                        doc.type_code, doc.reference, item.sequence
                    ),
                ));
            }
        }
    }
}

fn totals(d: &Declaration, out: &mut Vec<Violation>) {
    let packages: u64 = d
        .items
        .iter()
        .map(|i| u64::from(i.packages.count))
        .fold(0u64, u64::saturating_add);
    if packages != u64::from(d.totals.packages) {
        out.push(violation(
            "FLC-TOTAL-PACKAGES",
            "/totals/packages",
            format!(
                "total packages {} differ from the sum over the items {packages}",
                d.totals.packages
            ),
        ));
    }
    let total_gross = d.totals.gross_mass_kg;
    if total_gross <= Decimal::ZERO {
        out.push(violation(
            "FLC-MASS-NOT-POSITIVE",
            "/totals/grossMassKg",
            format!("total gross mass {total_gross} must be greater than zero"),
        ));
    }
    match sum(d.items.iter().map(|i| &i.gross_mass_kg)) {
        Some(s) if s == total_gross => {}
        s => out.push(violation(
            "FLC-TOTAL-GROSS-MASS",
            "/totals/grossMassKg",
            format!(
                "total gross mass {total_gross} differs from the sum of the item gross masses {}",
                s.map_or_else(|| "(overflow)".to_owned(), |s| s.to_string())
            ),
        )),
    }
    let amount = d.invoice.amount;
    match sum(d.items.iter().map(|i| &i.item_price)) {
        Some(s) if s == amount => {}
        s => out.push(violation(
            "FLC-INVOICE-TOTAL",
            "/invoice/amount",
            format!(
                "invoice amount {amount} differs from the sum of the item prices {}",
                s.map_or_else(|| "(overflow)".to_owned(), |s| s.to_string())
            ),
        )),
    }
}

fn dates(d: &Declaration, out: &mut Vec<Violation>, ctx: &ControlContext<'_>) {
    let today = ctx.today;
    if let Some(date) = d.invoice.date {
        if date > today {
            out.push(violation(
                "FLC-INVOICE-DATE-FUTURE",
                "/invoice/date",
                format!("invoice date {date} is after the lodging date {today}"),
            ));
        }
    }
    if let Some(rate) = d.exchange_rate_date {
        if rate > today {
            out.push(violation(
                "FLC-EXCHANGE-RATE-DATE-FUTURE",
                "/exchangeRateDate",
                format!("exchange rate date {rate} is after the lodging date {today}"),
            ));
        }
        if let Some(invoiced) = d.invoice.date {
            if one_year_before(invoiced).is_some_and(|limit| rate < limit) {
                out.push(violation(
                    "FLC-EXCHANGE-RATE-DATE-STALE",
                    "/exchangeRateDate",
                    format!(
                        "exchange rate date {rate} is more than a year before the invoice date {invoiced}"
                    ),
                ));
            }
        }
    }
    for (j, doc) in d.transport_documents.iter().enumerate() {
        if let Some(issued) = doc.issued_on {
            if issued > today {
                out.push(violation(
                    "FLC-DOCUMENT-DATE-FUTURE",
                    format!("/transportDocuments/{j}/issuedOn"),
                    format!(
                        "document {} {} is issued on {issued}, after the lodging date {today}",
                        doc.type_code, doc.reference
                    ),
                ));
            }
        }
    }
}

fn parties(d: &Declaration, out: &mut Vec<Violation>, ctx: &ControlContext<'_>) {
    let declarant = d.declarant_id();
    if declarant.is_none() {
        out.push(violation(
            "FLC-DECLARANT-ID-MISSING",
            "/declarant/id",
            format!("declarant {:?} has no operator id", d.declarant.name),
        ));
    }
    let lodger = ctx.lodged_by;
    if declarant != Some(lodger) && d.representative_id() != Some(lodger) {
        out.push(violation(
            "FLC-LODGER-NOT-PARTY",
            if d.representative.is_some() { "/representative/id" } else { "/declarant/id" },
            format!(
                "operator {lodger} lodging the declaration is neither the declarant ({}) nor the representative ({})",
                declarant.map_or("none", |e| e.as_str()),
                d.representative_id().map_or("none", |e| e.as_str()),
            ),
        ));
    }
    if let (Some(r), Some(dc)) = (d.representative_id(), declarant) {
        if r == dc {
            out.push(violation(
                "FLC-REPRESENTATIVE-IS-DECLARANT",
                "/representative/id",
                format!("representative {r} is the declarant itself"),
            ));
        }
    }
    let office_country = d.declaration_office.country();
    let (party, ptr, code, role) = match d.declaration_type {
        DeclarationType::IM => (
            d.importer.as_ref(),
            "/importer/address/country",
            "FLC-IMPORTER-COUNTRY",
            "importer",
        ),
        DeclarationType::EX => (
            d.exporter.as_ref(),
            "/exporter/address/country",
            "FLC-EXPORTER-COUNTRY",
            "exporter",
        ),
        DeclarationType::CO => (None, "", "", ""),
    };
    if let Some(a) = party.and_then(|p| p.address.as_ref()) {
        if a.country.as_str() != office_country {
            out.push(violation(
                code,
                ptr,
                format!(
                    "{role} is established in {}, the declaration office {} is in {office_country}",
                    a.country, d.declaration_office
                ),
            ));
        }
    }
}

fn places_and_transport(d: &Declaration, out: &mut Vec<Violation>) {
    if let (Some(from), Some(to)) = (&d.dispatch_country, &d.destination_country) {
        if from == to {
            out.push(violation(
                "FLC-DISPATCH-EQUALS-DESTINATION",
                "/destinationCountry",
                format!("country of dispatch and country of destination are both {to}"),
            ));
        }
    }
    if d.declaration_type == DeclarationType::IM {
        if let Some(to) = &d.destination_country {
            let office = d.declaration_office.country();
            if to.as_str() != office {
                out.push(violation(
                    "FLC-DESTINATION-COUNTRY",
                    "/destinationCountry",
                    format!(
                        "imported goods are destined for {to}, but the declaration office {} is in {office}",
                        d.declaration_office
                    ),
                ));
            }
        }
    }
    let t = &d.transport;
    if t.container && t.border_mode == TransportMode::Post {
        out.push(violation(
            "FLC-CONTAINER-POST",
            "/transport/container",
            "goods sent by post cannot be declared as carried in containers",
        ));
    }
    // Only a warning where the table does not already require both.
    let missing = match (&t.border_means_id, &t.border_means_nationality) {
        (Some(id), None) => Some((
            "/transport/borderMeansNationality",
            format!("border means {id:?} has no nationality"),
        )),
        (None, Some(c)) => Some((
            "/transport/borderMeansId",
            format!("border means of nationality {c} has no identity"),
        )),
        _ => None,
    };
    if let Some((ptr, message)) = missing {
        if !obligations::is_mandatory(ptr, d) {
            out.push(violation("FLC-BORDER-MEANS-INCOMPLETE", ptr, message));
        }
    }
}

/// Runs every cross-field rule; returns all violations.
pub fn check(d: &Declaration, ctx: &ControlContext<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    items(d, &mut out, ctx);
    totals(d, &mut out);
    dates(d, &mut out, ctx);
    parties(d, &mut out, ctx);
    places_and_transport(d, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::structure::fixtures::{ctx, ctx_by, ex, im, BROKER, DECLARANT};
    use crate::control::{parse_declaration, run, Severity};
    use serde_json::{json, Value};
    use time::macros::date;

    fn logic(doc: &Value) -> Vec<Violation> {
        let (d, vs) = parse_declaration(doc);
        assert!(vs.is_empty(), "structure: {vs:#?}");
        check(&d.unwrap(), &ctx())
    }

    fn with(mut doc: Value, f: impl FnOnce(&mut Value)) -> Value {
        f(&mut doc);
        doc
    }

    /// The single violation `f` causes on the IM fixture.
    fn only(f: impl FnOnce(&mut Value)) -> Violation {
        let vs = logic(&with(im(), f));
        assert_eq!(vs.len(), 1, "{vs:#?}");
        vs.into_iter().next().unwrap()
    }

    fn assert_rule(v: &Violation, code: &str, ptr: &str, severity: Severity) {
        assert_eq!(
            (v.code.as_str(), v.pointer.as_str(), v.severity),
            (code, ptr, severity),
            "{v:?}"
        );
    }

    #[test]
    fn valid_fixtures_pass_every_layer() {
        assert!(logic(&im()).is_empty());
        assert!(logic(&ex()).is_empty());
        let report = run(&im(), &ctx());
        assert!(report.passed(), "{:#?}", report.violations);
        assert!(report.violations.is_empty());
        // The export is lodged by its representative.
        let report = run(&ex(), &ctx_by(BROKER));
        assert!(report.passed(), "{:#?}", report.violations);
        assert!(report.violations.is_empty());
    }

    #[test]
    fn masses() {
        let v = only(|d| {
            d["items"][1]["netMassKg"] = json!("12.5");
            d["items"][1]["grossMassKg"] = json!("10");
            d["totals"]["grossMassKg"] = json!("70.5");
        });
        assert_rule(
            &v,
            "FLC-NET-EXCEEDS-GROSS",
            "/items/1/netMassKg",
            Severity::Error,
        );
        assert_eq!(v.message, "net mass 12.5 exceeds gross mass 10");

        let vs = logic(&with(im(), |d| d["items"][0]["netMassKg"] = json!("0")));
        assert_eq!(vs.len(), 1);
        assert_rule(
            &vs[0],
            "FLC-MASS-NOT-POSITIVE",
            "/items/0/netMassKg",
            Severity::Error,
        );

        let vs = logic(&with(im(), |d| {
            d["items"][0]["netMassKg"] = json!("-0.5");
            d["items"][0]["grossMassKg"] = json!("-1");
            d["totals"]["grossMassKg"] = json!("69");
        }));
        let codes: Vec<_> = vs
            .iter()
            .map(|v| (v.code.as_str(), v.pointer.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("FLC-MASS-NOT-POSITIVE", "/items/0/netMassKg"),
                ("FLC-MASS-NOT-POSITIVE", "/items/0/grossMassKg"),
                ("FLC-NET-EXCEEDS-GROSS", "/items/0/netMassKg"),
            ]
        );
    }

    #[test]
    fn totals_are_exact() {
        let v = only(|d| d["totals"]["grossMassKg"] = json!("130.501"));
        assert_rule(
            &v,
            "FLC-TOTAL-GROSS-MASS",
            "/totals/grossMassKg",
            Severity::Error,
        );
        assert!(
            v.message.contains("130.501") && v.message.contains("130.5"),
            "{}",
            v.message
        );
        // Scale does not matter, only the value.
        assert!(logic(&with(im(), |d| d["totals"]["grossMassKg"] = json!("130.500"))).is_empty());
        let v = only(|d| d["totals"]["packages"] = json!(11));
        assert_rule(
            &v,
            "FLC-TOTAL-PACKAGES",
            "/totals/packages",
            Severity::Error,
        );
        assert_eq!(
            v.message,
            "total packages 11 differ from the sum over the items 12"
        );
        let v = only(|d| d["invoice"]["amount"] = json!("15000.01"));
        assert_rule(&v, "FLC-INVOICE-TOTAL", "/invoice/amount", Severity::Error);
    }

    #[test]
    fn sequences() {
        let vs = logic(&with(im(), |d| {
            d["items"][0]["sequence"] = json!(2);
            d["items"][1]["sequence"] = json!(1);
        }));
        assert_eq!(vs.len(), 2);
        assert_rule(
            &vs[0],
            "FLC-ITEM-SEQUENCE",
            "/items/0/sequence",
            Severity::Error,
        );
        assert_rule(
            &vs[1],
            "FLC-ITEM-SEQUENCE",
            "/items/1/sequence",
            Severity::Error,
        );
        let v = only(|d| d["items"][1]["sequence"] = json!(3));
        assert_eq!(v.pointer, "/items/1/sequence");
    }

    #[test]
    fn prices_and_values() {
        let vs = logic(&with(im(), |d| {
            d["items"][1]["itemPrice"] = json!("0");
            d["invoice"]["amount"] = json!("12000");
        }));
        assert_eq!(vs.len(), 1, "{vs:#?}");
        assert_rule(
            &vs[0],
            "FLC-ITEM-PRICE-POSITIVE",
            "/items/1/itemPrice",
            Severity::Error,
        );
        let v = only(|d| d["items"][1]["customsValue"] = json!("-5"));
        assert_rule(
            &v,
            "FLC-CUSTOMS-VALUE-POSITIVE",
            "/items/1/customsValue",
            Severity::Error,
        );
        let v = only(|d| d["items"][1]["customsValue"] = json!("30000.01"));
        assert_rule(
            &v,
            "FLC-CUSTOMS-VALUE-RATIO",
            "/items/1/customsValue",
            Severity::Warning,
        );
        let v = only(|d| d["items"][1]["customsValue"] = json!("299.99"));
        assert_rule(
            &v,
            "FLC-CUSTOMS-VALUE-RATIO",
            "/items/1/customsValue",
            Severity::Warning,
        );
        // Exactly 10x and 0.1x are still plausible.
        assert!(logic(&with(im(), |d| d["items"][1]["customsValue"] = json!("30000"))).is_empty());
        assert!(logic(&with(im(), |d| d["items"][1]["customsValue"] = json!("300"))).is_empty());
        let v = only(|d| d["items"][0]["valuationMethod"] = json!(7));
        assert_rule(
            &v,
            "FLC-VALUATION-METHOD",
            "/items/0/valuationMethod",
            Severity::Error,
        );
        let v = only(|d| d["items"][0]["valuationMethod"] = json!(0));
        assert_rule(
            &v,
            "FLC-VALUATION-METHOD",
            "/items/0/valuationMethod",
            Severity::Error,
        );
        let v = only(|d| d["items"][0]["supplementaryUnits"] = json!("0"));
        assert_rule(
            &v,
            "FLC-SUPPLEMENTARY-UNITS-POSITIVE",
            "/items/0/supplementaryUnits",
            Severity::Error,
        );
        let v = only(|d| d["items"][1]["description"] = json!(" \t\u{3000} "));
        assert_rule(
            &v,
            "FLC-DESCRIPTION-BLANK",
            "/items/1/description",
            Severity::Error,
        );
    }

    #[test]
    fn preference_needs_proof() {
        let v = only(|d| d["items"][1]["preferentialOrigin"] = json!("CN"));
        assert_rule(
            &v,
            "FLC-PREFERENCE-PROOF",
            "/items/1/preferentialOrigin",
            Severity::Error,
        );
        for proof in ["U045", "N954"] {
            let doc = with(im(), |d| {
                d["items"][1]["preferentialOrigin"] = json!("CN");
                d["items"][1]["documents"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": proof, "reference": "P-1"}));
            });
            assert!(logic(&doc).is_empty(), "{proof}");
        }
    }

    #[test]
    fn dates_not_in_the_future() {
        let v = only(|d| {
            d["invoice"]["date"] = json!("2026-02-02");
            d["items"][0]["documents"][0]["issuedOn"] = json!("2026-01-31");
        });
        assert_rule(
            &v,
            "FLC-INVOICE-DATE-FUTURE",
            "/invoice/date",
            Severity::Error,
        );
        assert_eq!(
            v.message,
            "invoice date 2026-02-02 is after the lodging date 2026-02-01"
        );
        let v = only(|d| d["exchangeRateDate"] = json!("2026-03-01"));
        assert_rule(
            &v,
            "FLC-EXCHANGE-RATE-DATE-FUTURE",
            "/exchangeRateDate",
            Severity::Error,
        );
        let v = only(|d| d["items"][1]["documents"][0]["issuedOn"] = json!("2027-01-01"));
        assert_rule(
            &v,
            "FLC-DOCUMENT-DATE-FUTURE",
            "/items/1/documents/0/issuedOn",
            Severity::Error,
        );
        let v = only(|d| d["transportDocuments"][0]["issuedOn"] = json!("2026-02-02"));
        assert_rule(
            &v,
            "FLC-DOCUMENT-DATE-FUTURE",
            "/transportDocuments/0/issuedOn",
            Severity::Error,
        );
        // Lodging day itself is fine.
        assert!(logic(&with(im(), |d| d["invoice"]["date"] = json!("2026-02-01"))).is_empty());
    }

    #[test]
    fn stale_exchange_rate() {
        let v = only(|d| d["exchangeRateDate"] = json!("2025-01-04"));
        assert_rule(
            &v,
            "FLC-EXCHANGE-RATE-DATE-STALE",
            "/exchangeRateDate",
            Severity::Warning,
        );
        assert!(logic(&with(im(), |d| d["exchangeRateDate"] = json!("2025-01-05"))).is_empty());
        assert_eq!(
            one_year_before(date!(2024 - 02 - 29)),
            Some(date!(2023 - 02 - 28))
        );
        assert_eq!(
            one_year_before(date!(2026 - 01 - 05)),
            Some(date!(2025 - 01 - 05))
        );
        assert_eq!(one_year_before(Date::MIN), None);
    }

    #[test]
    fn lodger_and_parties() {
        let doc = im();
        let d = parse_declaration(&doc).0.unwrap();
        let vs = check(&d, &ctx_by("UZ555"));
        assert_eq!(vs.len(), 1);
        assert_rule(
            &vs[0],
            "FLC-LODGER-NOT-PARTY",
            "/declarant/id",
            Severity::Error,
        );
        assert!(vs[0].message.contains("UZ555"));
        // The export's representative may lodge, and so may its declarant.
        let d = parse_declaration(&ex()).0.unwrap();
        assert!(check(&d, &ctx_by(BROKER)).is_empty());
        assert!(check(&d, &ctx_by(DECLARANT)).is_empty());
        let vs = check(&d, &ctx_by("KZ1"));
        assert_rule(
            &vs[0],
            "FLC-LODGER-NOT-PARTY",
            "/representative/id",
            Severity::Error,
        );

        let v = only(|d| {
            d["declarant"].as_object_mut().unwrap().remove("id");
            d["representative"] = json!({"id": DECLARANT, "name": "Self", "kind": "direct"});
        });
        assert_rule(
            &v,
            "FLC-DECLARANT-ID-MISSING",
            "/declarant/id",
            Severity::Error,
        );
        let v = only(|d| {
            d["representative"] = json!({"id": DECLARANT, "name": "Self", "kind": "direct"})
        });
        assert_rule(
            &v,
            "FLC-REPRESENTATIVE-IS-DECLARANT",
            "/representative/id",
            Severity::Error,
        );
        let v = only(|d| d["importer"]["address"]["country"] = json!("KZ"));
        assert_rule(
            &v,
            "FLC-IMPORTER-COUNTRY",
            "/importer/address/country",
            Severity::Warning,
        );
        let vs = logic(&with(ex(), |d| {
            d["exporter"]["address"]["country"] = json!("KZ")
        }));
        assert_eq!(vs.len(), 1);
        assert_rule(
            &vs[0],
            "FLC-EXPORTER-COUNTRY",
            "/exporter/address/country",
            Severity::Warning,
        );
    }

    #[test]
    fn countries_and_transport() {
        let vs = logic(&with(ex(), |d| d["destinationCountry"] = json!("UZ")));
        assert_eq!(vs.len(), 1);
        assert_rule(
            &vs[0],
            "FLC-DISPATCH-EQUALS-DESTINATION",
            "/destinationCountry",
            Severity::Error,
        );
        let v = only(|d| d["destinationCountry"] = json!("KZ"));
        assert_rule(
            &v,
            "FLC-DESTINATION-COUNTRY",
            "/destinationCountry",
            Severity::Error,
        );
        let v = only(|d| {
            d["transport"]["borderMode"] = json!("post");
        });
        assert_rule(
            &v,
            "FLC-CONTAINER-POST",
            "/transport/container",
            Severity::Error,
        );
        // Border means half given: a warning where the table does not
        // already require both (simplified), nothing extra where it does.
        let v = only(|d| {
            d["additionalType"] = json!("simplified");
            d["transport"]
                .as_object_mut()
                .unwrap()
                .remove("borderMeansNationality");
        });
        assert_rule(
            &v,
            "FLC-BORDER-MEANS-INCOMPLETE",
            "/transport/borderMeansNationality",
            Severity::Warning,
        );
        assert!(logic(&with(im(), |d| {
            d["transport"]
                .as_object_mut()
                .unwrap()
                .remove("borderMeansNationality");
        }))
        .is_empty());
    }

    #[test]
    fn duplicate_documents_warn() {
        let v = only(|d| {
            d["items"][0]["documents"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "N935", "reference": "INV-2026-17"}));
        });
        assert_rule(
            &v,
            "FLC-DOCUMENT-DUPLICATE",
            "/items/0/documents/1",
            Severity::Warning,
        );
        // Same reference, different type: fine.
        assert!(logic(&with(im(), |d| {
            d["items"][0]["documents"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type": "N380", "reference": "INV-2026-17"}));
        }))
        .is_empty());
    }

    #[test]
    fn ten_errors_across_layers_all_reported() {
        let doc = with(im(), |d| {
            d["items"][0]["hsCode"] = json!("847199"); // obligation: HS unknown
            d["items"][1]["origin"] = json!("XX"); // obligation: country unknown
            d.as_object_mut().unwrap().remove("importer"); // obligation: missing
            d["items"][1]["netMassKg"] = json!("71"); // logic: net > gross
            d["items"][1]["sequence"] = json!(5); // logic: sequence
            d["totals"]["packages"] = json!(13); // logic: packages
            d["invoice"]["amount"] = json!("1"); // logic: invoice total
            d["invoice"]["date"] = json!("2026-12-31"); // logic: future
            d["transport"]["borderMode"] = json!("post"); // logic: container by post
            d["items"][0]["description"] = json!("   "); // logic: blank
        });
        let report = run(&doc, &ctx());
        assert!(!report.passed());
        let mut got: Vec<_> = report
            .violations
            .iter()
            .map(|v| (v.code.as_str(), v.pointer.as_str()))
            .collect();
        got.sort();
        let mut want = vec![
            ("FLC-HS-UNKNOWN", "/items/0/hsCode"),
            ("FLC-COUNTRY-UNKNOWN", "/items/1/origin"),
            ("FLC-OBL-MISSING", "/importer"),
            ("FLC-NET-EXCEEDS-GROSS", "/items/1/netMassKg"),
            ("FLC-ITEM-SEQUENCE", "/items/1/sequence"),
            ("FLC-TOTAL-PACKAGES", "/totals/packages"),
            ("FLC-INVOICE-TOTAL", "/invoice/amount"),
            ("FLC-INVOICE-DATE-FUTURE", "/invoice/date"),
            ("FLC-CONTAINER-POST", "/transport/container"),
            ("FLC-DESCRIPTION-BLANK", "/items/0/description"),
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let big = "9999999999999999";
        let doc = with(im(), |d| {
            let items = vec![d["items"][0].clone(); 999];
            d["items"] = Value::Array(items);
            for (i, it) in d["items"].as_array_mut().unwrap().iter_mut().enumerate() {
                it["sequence"] = json!(i + 1);
                it["grossMassKg"] = json!(big);
                it["netMassKg"] = json!(big);
                it["itemPrice"] = json!(big);
                it["customsValue"] = json!("0.000001");
                it["packages"]["count"] = json!(u32::MAX);
            }
            d["totals"]["packages"] = json!(u32::MAX);
        });
        let vs = logic(&doc);
        assert!(vs.iter().any(|v| v.code == "FLC-TOTAL-PACKAGES"));
        assert!(vs.iter().any(|v| v.code == "FLC-TOTAL-GROSS-MASS"));
        assert!(vs.iter().any(|v| v.code == "FLC-CUSTOMS-VALUE-RATIO"));
    }
}
