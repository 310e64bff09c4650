use super::*;
use crate::dms_out::{schema, write};
use crate::xml::{self, Limits};
use serde_json::json;
use tamga_core::codes::{CountryCode, CurrencyCode, Mrn, MrnCategory};
use tamga_core::lifecycle::Actor;
use tamga_core::money::Money;
use tamga_core::tariff::DeclarationAssessment;
use time::macros::{date, datetime};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn uzs(s: &str) -> Money {
    Money::new(d(s), CurrencyCode::parse("UZS").unwrap())
}

fn mrn() -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        7,
        MrnCategory::Import,
    )
    .unwrap()
}

fn line(kind: MeasureKind, expression: &str, base: &str, amount: &str) -> DutyLine {
    DutyLine {
        measure_id: "m1".into(),
        measure_type: "103".into(),
        kind,
        goods_code: "8471300000".into(),
        area: "ERGA OMNES".into(),
        additional_code: None,
        expression: expression.into(),
        base: base.into(),
        amount: uzs(amount),
        full_precision: d(amount),
        note: None,
    }
}

/// 1,000 UZS at 12 % duty plus 2.50 UZS/KGM on 40 kg, VAT 20 % on the
/// value and duties; and a restriction, which charges nothing.
fn duties() -> DutyResult {
    let item = ItemAssessment {
        goods_code: "8471300000".into(),
        origin: "CN".into(),
        date: date!(2026 - 12 - 07),
        customs_value: uzs("1000.00"),
        exchange_rate: None,
        customs_value_national: uzs("1000.00"),
        lines: vec![
            line(
                MeasureKind::ThirdCountryDuty,
                "12 %",
                "customs value 1000.00 UZS",
                "120.00",
            ),
            line(
                MeasureKind::AdditionalDuty,
                "2.5 UZS/KGM",
                "40 KGM",
                "100.00",
            ),
            line(MeasureKind::Restriction, "", "", "0.00"),
            line(
                MeasureKind::Vat,
                "20 %",
                "customs value 1000.00 + duties 220.00 + excise 0.00 = 1220.00 UZS",
                "244.00",
            ),
        ],
        notes: Vec::new(),
        quota_draws: Vec::new(),
        customs_duty: uzs("120.00"),
        additional_duties: uzs("100.00"),
        excise: uzs("0.00"),
        vat: uzs("244.00"),
        total: uzs("464.00"),
    };
    DutyResult::Assessed {
        currency: CurrencyCode::parse("UZS").unwrap(),
        customs_duty: d("120.00"),
        additional_duties: d("100.00"),
        excise: d("0.00"),
        vat: d("244.00"),
        total: d("464.00"),
        tariff: "1 test".into(),
        assessment: Box::new(DeclarationAssessment {
            national_currency: "UZS".into(),
            acceptance_date: date!(2026 - 12 - 07),
            rounding: "half-up".into(),
            items: vec![item],
            customs_duty: uzs("120.00"),
            additional_duties: uzs("100.00"),
            excise: uzs("0.00"),
            vat: uzs("244.00"),
            total: uzs("464.00"),
        }),
    }
}

fn events(m: &Mrn, at: OffsetDateTime, bodies: Vec<EventBody>) -> Vec<Event> {
    let mut prev = String::new();
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let e = Event::seal(m, i as u32 + 1, Actor::System, at, b, &prev);
            prev = e.hash.clone();
            e
        })
        .collect()
}

/// The notification's document, checked against the DMS schema.
fn doc(n: &Notice<'_>) -> String {
    let rs = responses(n).expect("a DMS form");
    let out = write(&rs);
    let root = xml::parse(out.as_bytes(), &Limits::default()).unwrap();
    let errs = schema().validate(&root);
    assert!(errs.is_empty(), "{errs:?}\n{out}");
    out
}

const AT: OffsetDateTime = datetime!(2026-12-07 09:30:00 UTC);

fn notice<'a>(
    kind: NotificationKind,
    m: &'a str,
    payload: &'a serde_json::Value,
    events: &'a [Event],
) -> Notice<'a> {
    Notice {
        id: 42,
        kind,
        at: AT,
        mrn: Some(m),
        lrn: Some("LRN-7"),
        payload,
        events,
        payment_reference: Some("RF12UZ123456789"),
    }
}

#[test]
fn registered_is_accepted_then_duties_per_item() {
    let m = mrn();
    let ev = events(&m, AT, vec![EventBody::DutiesAssessed { result: duties() }]);
    let payload = json!({"mrn": m, "lrn": "LRN-7", "version": 1, "channel": "green",
        "registeredAt": "2026-12-07T09:30:00Z",
        "warnings": [{"code": "FLC-CUSTOMS-VALUE-RATIO", "severity": "warning",
            "message": "implausible", "pointer": "/items/0/customsValue",
            "xpath": "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/CustomsValueAmount"}]});
    let n = notice(NotificationKind::Registered, m.as_str(), &payload, &ev);
    let rs = responses(&n).unwrap();
    assert_eq!(
        rs.iter().map(|r| r.function).collect::<Vec<_>>(),
        vec![FunctionCode::Accepted, FunctionCode::DutiesCalculated]
    );
    let out = doc(&n);
    assert!(out.contains(&format!("<ID>{}</ID>", m.as_str())), "{out}");
    assert!(out.contains("<AcceptanceDateTime>"));
    assert!(out.contains("<VersionID>1</VersionID>"));
    assert!(out.contains("<FunctionalReferenceID>tamga-42-1</FunctionalReferenceID>"));
    // The warning, as CDS writes its credibility warnings.
    assert!(out.contains("<ValidationCode>CDS13000</ValidationCode>"));
    assert!(
        out.contains("FLC-CUSTOMS-VALUE-RATIO: implausible (JSON pointer /items/0/customsValue)")
    );
    assert!(out.contains("<DocumentSectionCode>68A</DocumentSectionCode>"));
    // Duties: the payment, then item 1's three charges (no restriction line).
    assert!(out.contains("<ReferenceID>RF12UZ123456789</ReferenceID>"));
    assert!(out.contains(r#"<TaxAssessedAmount currencyID="UZS">464.00</TaxAssessedAmount>"#));
    assert_eq!(out.matches("<TypeCode>").count(), 3, "{out}");
    assert!(out.contains("<TypeCode>A00</TypeCode>"));
    assert!(out.contains("<DutyRegimeCode>100</DutyRegimeCode>"));
    assert!(out.contains("<TaxRateNumeric>12</TaxRateNumeric>"));
    assert!(out
        .contains(r#"<AdValoremTaxBaseAmount currencyID="UZS">1000.00</AdValoremTaxBaseAmount>"#));
    assert!(out.contains(r#"<SpecificTaxBaseQuantity unitCode="KGM">40</SpecificTaxBaseQuantity>"#));
    assert!(out.contains("<TaxRateNumeric>2.5</TaxRateNumeric>"));
    assert!(out.contains("<TypeCode>A20</TypeCode>"));
    // VAT on value and duties.
    assert!(out
        .contains(r#"<AdValoremTaxBaseAmount currencyID="UZS">1220.00</AdValoremTaxBaseAmount>"#));
    assert!(out.contains("<TypeCode>B00</TypeCode>"));
    assert!(out.contains(r#"<TaxAssessedAmount currencyID="UZS">244.00</TaxAssessedAmount>"#));
}

#[test]
fn registered_without_a_tariff_is_accepted_only() {
    let m = mrn();
    let ev = events(
        &m,
        AT,
        vec![EventBody::DutiesAssessed {
            result: DutyResult::NotAssessed {
                reason: "no tariff".into(),
            },
        }],
    );
    let payload = json!({"version": 1, "channel": "green"});
    let n = notice(NotificationKind::Registered, m.as_str(), &payload, &ev);
    assert_eq!(responses(&n).unwrap().len(), 1);
    assert!(!doc(&n).contains("<FunctionCode>13</FunctionCode>"));
}

#[test]
fn rejected_lists_every_error_with_its_pointer() {
    let payload = json!({"errors": [
        {"code": "FLC-REQUIRED", "severity": "error", "message": "declarant name is required",
         "pointer": "/declarant/name", "xpath": "/MetaData/Declaration/Declarant"},
        {"code": "SCHEMA-UNEXPECTED", "severity": "error", "message": "Foo is not allowed (line 3, column 5)",
         "pointer": "", "xpath": "/MetaData/Declaration/Foo"},
        {"code": "FLC-SIGNATURE-INVALID", "severity": "error", "message": "bad signature", "pointer": ""},
        {"code": "XML-DOCTYPE", "severity": "error", "message": "no DTD", "pointer": "", "xpath": "/"}
    ]});
    let n = Notice {
        id: 7,
        kind: NotificationKind::Rejected,
        at: AT,
        mrn: None,
        lrn: Some("LRN-7"),
        payload: &payload,
        events: &[],
        payment_reference: None,
    };
    let out = doc(&n);
    assert!(out.contains("<FunctionCode>03</FunctionCode>"));
    assert_eq!(out.matches("<Error>").count(), 4);
    for code in ["CDS10001", "CDS10002", "CDS49999", "CDS10010"] {
        assert!(
            out.contains(&format!("<ValidationCode>{code}</ValidationCode>")),
            "{code}"
        );
    }
    assert!(out.contains("<DocumentSectionCode>57B</DocumentSectionCode>"));
    assert!(out.contains("<RejectionDateTime>"));
    assert!(!out.contains("<ID>"), "no MRN: nothing was registered");
    // Errors without an element point at the declaration.
    assert_eq!(
        out.matches("<DocumentSectionCode>42A</DocumentSectionCode>")
            .count(),
        4
    );
}

#[test]
fn control_channels_payment_release_refusal_invalidation() {
    let m = mrn();
    let yellow = json!({"channel": "yellow", "version": 1, "explanation": "documentary check"});
    let red = json!({"channel": "red", "version": 1});
    let none: [Event; 0] = [];
    assert!(doc(&notice(
        NotificationKind::UnderControl,
        m.as_str(),
        &yellow,
        &none
    ))
    .contains("<FunctionCode>06</FunctionCode>"));
    assert!(doc(&notice(
        NotificationKind::UnderControl,
        m.as_str(),
        &red,
        &none
    ))
    .contains("<FunctionCode>05</FunctionCode>"));
    let pay = json!({"channel": "green", "amountDue": "464.00", "currency": "UZS",
        "paymentReference": "RF99UZ1"});
    let out = doc(&notice(
        NotificationKind::AwaitingPayment,
        m.as_str(),
        &pay,
        &none,
    ));
    assert!(out.contains("<FunctionCode>14</FunctionCode>"));
    assert!(out.contains(r#"<PaymentAmount currencyID="UZS">464.00</PaymentAmount>"#));
    assert!(out.contains("<ReferenceID>RF99UZ1</ReferenceID>"));
    let released = json!({"channel": "green", "automatic": true});
    assert!(doc(&notice(
        NotificationKind::Released,
        m.as_str(),
        &released,
        &none
    ))
    .contains("<FunctionCode>09</FunctionCode>"));
    let refused = json!({"channel": "red", "reason": "goods do not match"});
    let out = doc(&notice(
        NotificationKind::Refused,
        m.as_str(),
        &refused,
        &none,
    ));
    assert!(out.contains("<FunctionCode>03</FunctionCode>"));
    assert!(out.contains("<StatementDescription>goods do not match</StatementDescription>"));
    let ev = events(
        &m,
        AT,
        vec![EventBody::Invalidated {
            reason: "sent twice".into(),
            signing_key: "k1".into(),
            body_sha256: None,
        }],
    );
    let out = doc(&notice(
        NotificationKind::Invalidated,
        m.as_str(),
        &json!({}),
        &ev,
    ));
    assert!(out.contains("<FunctionCode>10</FunctionCode>"));
    assert!(out.contains("<CancellationDateTime>"));
    assert!(out.contains("<StatementDescription>sent twice</StatementDescription>"));
}

#[test]
fn an_amendment_carries_duties_only_when_it_assessed_them() {
    let m = mrn();
    let later = AT + time::Duration::hours(1);
    let amended = || EventBody::Amended {
        version: 2,
        body_sha256: "00".into(),
        signing_key: "k1".into(),
    };
    let mut ev = events(&m, AT, vec![EventBody::DutiesAssessed { result: duties() }]);
    let mut more = events(&m, later, vec![amended()]);
    ev.append(&mut more);
    let payload = json!({"version": 2});
    let mut n = notice(NotificationKind::Amended, m.as_str(), &payload, &ev);
    n.at = later;
    let codes: Vec<_> = responses(&n).unwrap().iter().map(|r| r.function).collect();
    assert_eq!(codes, vec![FunctionCode::AmendmentAccepted]);
    let mut ev2 = ev.clone();
    ev2.append(&mut events(
        &m,
        later,
        vec![EventBody::DutiesAssessed { result: duties() }],
    ));
    let n2 = Notice { events: &ev2, ..n };
    let codes: Vec<_> = responses(&n2).unwrap().iter().map(|r| r.function).collect();
    assert_eq!(
        codes,
        vec![
            FunctionCode::AmendmentAccepted,
            FunctionCode::DutiesCalculated
        ]
    );
    doc(&n2);
}

#[test]
fn kinds_outside_declarations_have_no_dms_form() {
    let payload = json!({});
    for kind in [
        NotificationKind::SigningKeyAdded,
        NotificationKind::OperatorApproved,
        NotificationKind::SigningKeyRevoked,
        NotificationKind::AppealLodged,
        NotificationKind::AppealDecided,
    ] {
        let n = Notice {
            id: 1,
            kind,
            at: AT,
            mrn: None,
            lrn: None,
            payload: &payload,
            events: &[],
            payment_reference: None,
        };
        assert!(responses(&n).is_none(), "{kind:?}");
    }
}

#[test]
fn risk_details_are_never_written() {
    // Even a payload that (wrongly) carried risk inputs gives the channel only.
    let m = mrn();
    let payload = json!({"channel": "red", "explanation": "selected", "hits": ["PROFILE-7"],
        "factors": {"valueRatio": 4.2}, "draw": 0.01});
    let out = doc(&notice(
        NotificationKind::UnderControl,
        m.as_str(),
        &payload,
        &[],
    ));
    for secret in ["PROFILE-7", "valueRatio", "0.01", "selected"] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
}
