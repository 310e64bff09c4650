//! Assessment and loader tests: exact amounts for every measure kind
//! against the shipped demo tariff and small hand-made tariffs.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use time::macros::date;
use time::Date;

use super::*;

const DAY: Date = date!(2026 - 03 - 15); // USD = 12580.00 UZS (2026 Q1)

fn demo() -> &'static Tariff {
    static T: OnceLock<Tariff> = OnceLock::new();
    T.get_or_init(|| load(DEMO_TARIFF_JSON).expect("demo tariff loads"))
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn item(code: &str, origin: &str, value: &str, cur: &str, qs: &[(&str, &str)]) -> ItemInput {
    ItemInput {
        goods_code: code.into(),
        origin: origin.into(),
        preferential_origin: None,
        customs_value: d(value),
        currency: cur.into(),
        quantities: qs.iter().map(|(u, v)| Quantity::new(u, d(v))).collect(),
        date: DAY,
        additional_code: None,
        documents: vec![],
    }
}

fn with_docs(mut i: ItemInput, docs: &[&str]) -> ItemInput {
    i.documents = docs.iter().map(|s| s.to_string()).collect();
    i
}

fn ok(i: &ItemInput) -> ItemAssessment {
    assess_item(demo(), i, &FullVolume).unwrap_or_else(|e| panic!("{e}"))
}

fn code_of(i: &ItemInput) -> &'static str {
    assess_item(demo(), i, &FullVolume).unwrap_err().code
}

fn amounts(a: &ItemAssessment) -> [String; 5] {
    [
        a.customs_duty.amount.to_string(),
        a.additional_duties.amount.to_string(),
        a.excise.amount.to_string(),
        a.vat.amount.to_string(),
        a.total.amount.to_string(),
    ]
}

#[test]
fn demo_tariff_loads_and_covers_every_measure_kind() {
    let t = demo();
    let s = t.summary();
    for (k, n) in &s.measures_by_kind {
        assert!(*n > 0, "no {k:?} measure in the demo tariff");
    }
    assert_eq!(s.measures_by_kind.len(), MeasureKind::ALL.len());
    assert_eq!(t.national_currency, "UZS");
    // MIN, MAX, specific, compound units, retail price and a condition duty
    let texts: Vec<&str> = t.measures.iter().map(|m| m.duty_text.as_str()).collect();
    for needle in [
        "MIN", "MAX", "/KGM", "/LPA", "/ASVX", "/DTNZ", "/MIL", "RET", "/TNE", "/LTR",
    ] {
        assert!(texts.iter().any(|x| x.contains(needle)), "{needle}");
    }
    assert!(t.measures.iter().any(|m| !m.excluded_areas.is_empty()));
    assert!(t.measures.iter().any(|m| m.additional_code.is_some()));
    assert!(t
        .measures
        .iter()
        .any(|m| m.conditions.iter().any(|c| c.duty.is_some())));
}

#[test]
fn ad_valorem_duty_and_vat_on_value_plus_duty() {
    // 10,000.00 USD * 12580 = 125,800,000.00 UZS; 5 % = 6,290,000.00;
    // VAT 12 % of 132,090,000.00 = 15,850,800.00
    let a = ok(&item(
        "0902300000",
        "CN",
        "10000.00",
        "USD",
        &[("KGM", "1000")],
    ));
    assert_eq!(a.customs_value_national.amount, d("125800000.00"));
    assert_eq!(a.exchange_rate.as_ref().unwrap().rate, d("12580.00"));
    assert_eq!(
        amounts(&a),
        ["6290000.00", "0.00", "0.00", "15850800.00", "22140800.00"]
    );
    assert_eq!(a.lines.len(), 2);
    assert_eq!(a.lines[0].kind, MeasureKind::ThirdCountryDuty);
    assert_eq!(a.lines[0].expression, "5 %");
    assert!(
        a.lines[0].base.contains("125800000.00 UZS"),
        "{}",
        a.lines[0].base
    );
    assert_eq!(a.lines[1].kind, MeasureKind::Vat);
    // the explanation serializes for storing on the declaration
    let j = serde_json::to_value(&a).unwrap();
    assert_eq!(j["lines"][0]["amount"]["amount"], "6290000.00");
    assert_eq!(j["lines"][0]["measureId"], a.lines[0].measure_id.as_str());
}

#[test]
fn preference_only_with_proof_of_origin() {
    let base = item("0902300000", "KZ", "10000.00", "USD", &[("KGM", "1000")]);
    let without = ok(&base);
    assert_eq!(without.customs_duty.amount, d("6290000.00"));
    assert!(
        without
            .notes
            .iter()
            .any(|n| n.contains("tariff preference") && n.contains("U045")),
        "{:?}",
        without.notes
    );
    let with = ok(&with_docs(base, &["U045"]));
    assert_eq!(with.customs_duty.amount, d("0.00"));
    assert_eq!(with.lines[0].kind, MeasureKind::TariffPreference);
    assert_eq!(with.vat.amount, d("15096000.00"));
    // the preferential origin decides the preference, not the origin
    let mut p = with_docs(
        item("0902300000", "CN", "10000.00", "USD", &[("KGM", "1")]),
        &["U045"],
    );
    assert_eq!(ok(&p).customs_duty.amount, d("6290000.00"));
    p.preferential_origin = Some("KZ".into());
    assert_eq!(ok(&p).customs_duty.amount, d("0.00"));
}

#[test]
fn group_membership_over_time_and_exclusions() {
    // India left the GSP group at the end of 2024
    let mut i = with_docs(
        item("0902300000", "IN", "1000000.00", "UZS", &[("KGM", "10")]),
        &["N865"],
    );
    i.date = date!(2024 - 06 - 01);
    assert_eq!(ok(&i).customs_duty.amount, d("25000.00")); // 2.5 %
    i.date = DAY;
    assert_eq!(ok(&i).customs_duty.amount, d("50000.00")); // 5 % MFN
                                                           // GSP on textiles excludes BD
    let t = |o| {
        with_docs(
            item("6109100000", o, "1000000.00", "UZS", &[("KGM", "1")]),
            &["N865"],
        )
    };
    assert_eq!(ok(&t("VN")).customs_duty.amount, d("100000.00"));
    assert_eq!(ok(&t("BD")).customs_duty.amount, d("200000.00"));
    // vehicle levy: all countries except CIS partners
    let car = |o| item("8703238100", o, "20000.00", "USD", &[("NAR", "1")]);
    assert_eq!(ok(&car("DE")).additional_duties.amount, d("25160000.00")); // 2000 USD
    assert_eq!(ok(&car("KZ")).additional_duties.amount, d("0.00"));
}

#[test]
fn validity_dates_and_suspension() {
    let mut ev = item("8703800000", "KZ", "100000000.00", "UZS", &[("NAR", "1")]);
    let a = ok(&ev);
    assert_eq!(a.customs_duty.amount, d("0.00"));
    assert_eq!(a.lines[0].kind, MeasureKind::Suspension);
    assert!(a.notes.iter().any(|n| n.contains("third-country duty")));
    ev.date = date!(2027 - 01 - 05);
    assert_eq!(ok(&ev).customs_duty.amount, d("15000000.00"));
    // a code that left the nomenclature
    assert_eq!(
        code_of(&item("2402201000", "CN", "1.00", "UZS", &[])),
        "DUTY-GOODS-CODE-NOT-VALID"
    );
}

#[test]
fn specific_min_max_and_conditions() {
    // trousers: 20 % MIN 2.5 USD/NAR; 20 % of 1000 USD < 2.5 * 1000 USD
    let a = ok(&item(
        "6203420000",
        "CN",
        "1000.00",
        "USD",
        &[("NAR", "1000")],
    ));
    assert_eq!(a.customs_duty.amount, d("31450000.00"));
    // mandarins: 10 % MAX 0.2 USD/KGM
    let m = |kg| item("0805210000", "TR", "10000.00", "USD", &[("KGM", kg)]);
    assert_eq!(
        ok(&with_docs(m("10000"), &["N851"])).customs_duty.amount,
        d("12580000.00")
    );
    assert_eq!(
        ok(&with_docs(m("1000"), &["N851"])).customs_duty.amount,
        d("2516000.00")
    );
    // oranges: above 20,000,000 UZS 10 %, else 10 % + 0.05 USD/KGM
    let o = |v| {
        with_docs(
            item("0805100000", "EG", v, "UZS", &[("KGM", "1000")]),
            &["N851"],
        )
    };
    assert_eq!(ok(&o("30000000.00")).customs_duty.amount, d("3000000.00"));
    let low = ok(&o("10000000.00"));
    assert_eq!(low.customs_duty.amount, d("1629000.00")); // 1,000,000 + 50 USD
    assert_eq!(low.lines[0].expression, "10 % + 0.05 USD/KGM");
    // sugar: 5 % MIN 0.05 USD/KGM
    let s = ok(&item(
        "1701991000",
        "BR",
        "1000.00",
        "USD",
        &[("KGM", "10000")],
    ));
    assert_eq!(s.customs_duty.amount, d("6290000.00"));
    // flavoured sugar: 5 % + 0.4 USD per 100 kg per % sucrose (DTNZ)
    let f = ok(&item(
        "1701910000",
        "BR",
        "1000.00",
        "USD",
        &[("KGM", "1000"), ("BRX", "50")],
    ));
    assert_eq!(f.customs_duty.amount, d("3145000.00")); // 629,000 + 0.4 USD * 10 * 50 * 12580
}

#[test]
fn restrictions_and_prohibitions() {
    let phones = |n| item("8517130000", "CN", "1000.00", "USD", &[("NAR", n)]);
    let a = ok(&phones("2"));
    assert!(
        a.notes.iter().any(|n| n.contains("quantity NAR <= 2")),
        "{:?}",
        a.notes
    );
    let e = assess_item(demo(), &phones("10"), &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-RESTRICTION-DOCUMENT-MISSING");
    assert!(e.message.contains("C084"), "{}", e.message);
    assert!(assess_item(demo(), &with_docs(phones("10"), &["C084"]), &FullVolume).is_ok());
    assert_eq!(
        code_of(&item("9302000000", "US", "1.00", "UZS", &[])),
        "DUTY-PROHIBITED"
    );
    assert_eq!(
        code_of(&item("1001990000", "US", "1.00", "UZS", &[("KGM", "1")])),
        "DUTY-RESTRICTION-DOCUMENT-MISSING"
    );
    // VAT waived on medicaments with a registration certificate
    let med = item("3004900000", "IN", "1000000.00", "UZS", &[("KGM", "1")]);
    assert_eq!(ok(&med).vat.amount, d("120000.00"));
    let w = ok(&with_docs(med, &["C602"]));
    assert_eq!(w.vat.amount, d("0.00"));
    assert!(w
        .notes
        .iter()
        .any(|n| n.contains("VAT") && n.contains("C602")));
}

#[test]
fn quotas_draw_and_fall_back_when_exhausted() {
    let wheat = with_docs(
        item("1001990000", "US", "50000.00", "USD", &[("KGM", "200000")]),
        &["N851"],
    );
    let a = ok(&wheat);
    assert_eq!(a.customs_duty.amount, d("0.00"));
    assert_eq!(a.lines[0].kind, MeasureKind::TariffQuota);
    assert_eq!(a.quota_draws.len(), 1);
    assert_eq!(a.quota_draws[0].order_number, "090101");
    assert_eq!(a.quota_draws[0].quantity, d("200000"));
    assert_eq!(a.quota_draws[0].balance_before, d("50000000"));
    let mut low = HashMap::new();
    low.insert("090101".to_string(), d("199999"));
    let b = assess_item(demo(), &wheat, &low).unwrap();
    assert_eq!(b.customs_duty.amount, d("31450000.00")); // 5 % MFN
    assert!(b.quota_draws.is_empty());
    assert!(
        b.notes
            .iter()
            .any(|n| n.contains("exhausted") && n.contains("falls back")),
        "{:?}",
        b.notes
    );
    // preferential quota in tonnes, drawn from kg
    let sugar = with_docs(
        item("1701991000", "KZ", "1000.00", "USD", &[("KGM", "100000")]),
        &["U045"],
    );
    let s = ok(&sugar);
    assert_eq!(s.quota_draws[0].quantity, d("100.000"));
    assert_eq!(s.quota_draws[0].unit, "TNE");
}

#[test]
fn anti_dumping_countervailing_and_additional_codes() {
    let steel = |o: &str, ac: Option<&str>| {
        let mut i = item("7208510000", o, "100000.00", "USD", &[("KGM", "120000")]);
        i.additional_code = ac.map(str::to_string);
        i
    };
    // 0 % MFN; AD 25.7 % of 1,258,000,000.00
    assert_eq!(
        ok(&steel("CN", None)).additional_duties.amount,
        d("323306000.00")
    );
    assert_eq!(
        ok(&steel("CN", Some("C001"))).additional_duties.amount,
        d("152218000.00")
    );
    assert_eq!(
        ok(&steel("CN", Some("C002"))).additional_duties.amount,
        d("231472000.00")
    );
    let mut und = steel("CN", Some("C002"));
    und.documents.push("Y006".into());
    assert_eq!(ok(&und).additional_duties.amount, d("0.00"));
    assert_eq!(ok(&steel("KZ", None)).additional_duties.amount, d("0.00"));
    let cv = ok(&item(
        "7208520000",
        "IN",
        "1000000.00",
        "UZS",
        &[("KGM", "1")],
    ));
    assert_eq!(cv.additional_duties.amount, d("85000.00"));
    assert_eq!(cv.lines[1].kind, MeasureKind::Countervailing);
    assert_eq!(
        code_of(&steel("CN", Some("ZZZZ"))),
        "DUTY-UNKNOWN-ADDITIONAL-CODE"
    );
}

#[test]
fn excise_specific_units_and_retail_price() {
    // cigarettes: 30 % MIN 5 USD/MIL; excise 350,000 UZS/MIL; 10,000 sticks
    let c = ok(&item(
        "2402200000",
        "TR",
        "1000.00",
        "USD",
        &[("NAR", "10000")],
    ));
    assert_eq!(c.customs_duty.amount, d("3774000.00"));
    assert_eq!(c.excise.amount, d("3500000.00"));
    assert_eq!(c.vat.amount, d("2382480.00")); // 12 % of 19,854,000
                                               // whisky per litre of pure alcohol: 100 % MIN 4 USD/LPA, excise 70,000/LPA
    let w = ok(&item(
        "2208300000",
        "GB",
        "1000.00",
        "USD",
        &[("LPA", "400")],
    ));
    assert_eq!(w.customs_duty.amount, d("20128000.00"));
    assert_eq!(w.excise.amount, d("28000000.00"));
    // bulk vodka: per % vol per hl, needs the alcohol strength
    let v = item("2208609900", "RU", "1000.00", "USD", &[("LTR", "1000")]);
    let e = assess_item(demo(), &v, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-QUANTITY-MISSING");
    assert!(e.message.contains("ASV"), "{}", e.message);
    let mut v2 = v.clone();
    v2.quantities.push(Quantity::new("ASV", d("40")));
    let v2 = ok(&v2);
    assert_eq!(v2.customs_duty.amount, d("7548000.00")); // 1.5 USD * 40 * 10 hl
    assert_eq!(v2.excise.amount, d("280000000.00"));
    // cigars: 16.5 % of the retail price + 5000 UZS/item
    let g = ok(&item(
        "2402100000",
        "DE",
        "1000000.00",
        "UZS",
        &[("NAR", "100"), ("RET", "5000000")],
    ));
    assert_eq!(
        amounts(&g),
        ["300000.00", "0.00", "1325000.00", "315000.00", "1940000.00"]
    );
    assert_eq!(g.lines[1].expression, "16.5 % RET + 5000 UZS/NAR");
}

#[test]
fn conversion_uses_the_rate_of_the_acceptance_date() {
    let mut i = item("8471300000", "KR", "1000.00", "EUR", &[("NAR", "2")]);
    assert_eq!(ok(&i).customs_value_national.amount, d("14130000.00"));
    i.date = date!(2026 - 04 - 01);
    assert_eq!(ok(&i).customs_value_national.amount, d("14200000.00"));
    i.date = date!(2024 - 06 - 01); // before the first EUR rate
    assert_eq!(code_of(&i), "DUTY-NO-EXCHANGE-RATE");
    // 6-digit HS code without national subdivision resolves to the 10-digit one
    let a = ok(&item("847130", "KR", "1000.00", "KRW", &[]));
    assert_eq!(a.goods_code, "8471300000");
    assert_eq!(a.customs_value_national.amount, d("8970.00"));
}

#[test]
fn bad_input_gets_stable_codes() {
    let good = item("0902300000", "CN", "10.00", "USD", &[("KGM", "1")]);
    let mut cases: Vec<(ItemInput, &str)> = vec![];
    let mut x = good.clone();
    x.goods_code = "0000000000".into();
    cases.push((x, "DUTY-UNKNOWN-GOODS-CODE"));
    let mut x = good.clone();
    x.goods_code = "8703".into();
    cases.push((x, "DUTY-GOODS-CODE-NOT-DECLARABLE"));
    let mut x = good.clone();
    x.origin = "QQ".into();
    cases.push((x, "DUTY-UNKNOWN-ORIGIN"));
    let mut x = good.clone();
    x.currency = "XYZ".into();
    cases.push((x, "DUTY-UNKNOWN-CURRENCY"));
    let mut x = good.clone();
    x.quantities.push(Quantity::new("FOO", d("1")));
    cases.push((x, "DUTY-UNKNOWN-UNIT"));
    let mut x = good.clone();
    x.customs_value = d("10.001");
    cases.push((x, "DUTY-AMOUNT-PRECISION"));
    let mut x = good.clone();
    x.currency = "KRW".into();
    x.customs_value = d("10.5");
    cases.push((x, "DUTY-AMOUNT-PRECISION"));
    let mut x = good.clone();
    x.customs_value = d("-1");
    cases.push((x, "DUTY-NEGATIVE-AMOUNT"));
    cases.push((
        item("6203420000", "CN", "1.00", "USD", &[("KGM", "1")]),
        "DUTY-QUANTITY-MISSING",
    ));
    let mut x = good.clone();
    x.customs_value = Decimal::MAX;
    x.currency = "UZS".into();
    cases.push((x, "DUTY-OVERFLOW"));
    for (i, code) in cases {
        assert_eq!(code_of(&i), code, "{i:?}");
    }
    // trailing zeros are not extra decimals
    let mut x = good;
    x.customs_value = d("10.0000");
    assert!(assess_item(demo(), &x, &FullVolume).is_ok());
}

const SMALL: &str = r#"{
 "nationalCurrency": "UZS",
 "currencies": [{"code": "UZS", "minorUnits": 2}, {"code": "USD", "minorUnits": 2}],
 "nomenclature": [{"code": "0101210000", "description": "horses", "from": "2020-01-01"}],
 "geographicalAreas": [{"id": "CN", "description": "China"}, {"id": "1011", "allCountries": true}],
 "measureTypes": [{"id": "103", "kind": "third_country_duty"}, {"id": "305", "kind": "vat"}],
 "measures": [
  {"id": "A", "type": "103", "goodsCode": "0101", "area": "1011", "from": "2020-01-01", "to": "2024-12-31", "duty": "1 %"},
  {"id": "V", "type": "305", "goodsCode": "01", "area": "1011", "from": "2020-01-01", "duty": "12 %"}
 ],
 "exchangeRates": [{"currency": "USD", "from": "2020-01-01", "rate": "12345.6789"}]
}"#;

#[test]
fn rounding_is_half_up_per_line_at_the_minor_unit() {
    let t = load(SMALL).unwrap();
    let mut i = item("0101210000", "CN", "0.50", "UZS", &[]);
    i.date = date!(2024 - 01 - 01);
    // 1 % of 0.50 = 0.005 -> 0.01 (half-up); VAT 12 % of 0.51 = 0.0612 -> 0.06
    let a = assess_item(&t, &i, &FullVolume).unwrap();
    assert_eq!(a.customs_duty.amount, d("0.01"));
    assert_eq!(a.lines[0].full_precision, d("0.005"));
    assert_eq!(a.vat.amount, d("0.06"));
    assert_eq!(a.total.amount, d("0.07"));
    i.customs_value = d("0.49"); // 0.0049 -> 0.00
    assert_eq!(
        assess_item(&t, &i, &FullVolume)
            .unwrap()
            .customs_duty
            .amount,
        d("0.00")
    );
    // conversion: 1.23 USD * 12345.6789 = 15185.185047 -> 15185.19
    i.currency = "USD".into();
    i.customs_value = d("1.23");
    let a = assess_item(&t, &i, &FullVolume).unwrap();
    assert_eq!(a.customs_value_national.amount, d("15185.19"));
    assert_eq!(a.customs_duty.amount, d("151.85")); // 151.8519
                                                    // only expired measures
    i.date = date!(2025 - 06 - 01);
    assert_eq!(
        assess_item(&t, &i, &FullVolume).unwrap_err().code,
        "DUTY-MEASURES-EXPIRED"
    );
}

fn load_errors(json: &str) -> Vec<(&'static str, String)> {
    load(json)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.code, e.pointer))
        .collect()
}

#[test]
fn loader_reports_every_error_with_pointer_and_code() {
    let bad = SMALL
        .replace("\"goodsCode\": \"0101\"", "\"goodsCode\": \"0202123456\"")
        .replace(
            "\"area\": \"1011\", \"from\": \"2020-01-01\", \"duty\": \"12 %\"",
            "\"area\": \"XX\", \"from\": \"2020-01-01\", \"duty\": \"12 % + 1 USD/KGM\"",
        )
        .replace("\"to\": \"2024-12-31\"", "\"to\": \"2019-12-31\"")
        .replace("\"currency\": \"USD\"", "\"currency\": \"EUR\"");
    let errs = load_errors(&bad);
    for want in [
        ("TARIFF-UNKNOWN-GOODS-CODE", "/measures/0/goodsCode"),
        ("TARIFF-BAD-PERIOD", "/measures/0/to"),
        ("TARIFF-UNKNOWN-AREA", "/measures/1/area"),
        ("TARIFF-VAT-NOT-AD-VALOREM", "/measures/1/duty"),
        ("TARIFF-UNKNOWN-CURRENCY", "/exchangeRates/0/currency"),
    ] {
        assert!(
            errs.contains(&(want.0, want.1.to_string())),
            "{want:?} not in {errs:?}"
        );
    }
    let e = load_errors(&SMALL.replace("1 %", "1 USD/QQQ"));
    assert_eq!(e, vec![("TARIFF-UNKNOWN-UNIT", "/measures/0/duty".into())]);
    let e = load_errors(&SMALL.replace("1 %", "1 % *"));
    assert_eq!(
        e,
        vec![("TARIFF-BAD-EXPRESSION", "/measures/0/duty".into())]
    );
    let e = load_errors(&SMALL.replace("1 %", "1 JPY/KGM"));
    assert_eq!(
        e,
        vec![("TARIFF-UNKNOWN-CURRENCY", "/measures/0/duty".into())]
    );
    let e = load_errors(&SMALL.replace("\"2020-01-01\", \"to\"", "\"2020-02-30\", \"to\""));
    assert_eq!(e, vec![("TARIFF-BAD-DATE", "/measures/0/from".into())]);
    let e = load_errors(&SMALL.replace("\"id\": \"V\"", "\"id\": \"A\""));
    assert_eq!(e, vec![("TARIFF-DUPLICATE", "/measures/1/id".into())]);
    let e = load_errors(&SMALL.replace("\"type\": \"305\"", "\"type\": \"999\""));
    assert_eq!(
        e,
        vec![("TARIFF-UNKNOWN-MEASURE-TYPE", "/measures/1/type".into())]
    );
    let e = load_errors(&SMALL.replace("\"kind\": \"vat\"", "\"kind\": \"tax\""));
    assert_eq!(
        e[0],
        ("TARIFF-UNKNOWN-MEASURE-KIND", "/measureTypes/1/kind".into())
    );
    let e = load_errors(&SMALL.replace("\"0101210000\"", "\"01012\""));
    assert_eq!(
        e[0],
        ("TARIFF-BAD-GOODS-CODE", "/nomenclature/0/code".into())
    );
    let e = load_errors(&SMALL.replace("\"rate\": \"12345.6789\"", "\"rate\": \"0\""));
    assert_eq!(e, vec![("TARIFF-BAD-RATE", "/exchangeRates/0/rate".into())]);
    let e = load_errors(&SMALL.replace(
        "\"duty\": \"1 %\"",
        "\"duty\": \"1 %\", \"conditions\": [{\"document\": \"U045\", \"always\": true, \"action\": \"apply\"}, {\"document\": \"U045\", \"action\": \"go\"}]",
    ));
    assert_eq!(
        e,
        vec![
            ("TARIFF-BAD-CONDITION", "/measures/0/conditions/0".into()),
            (
                "TARIFF-BAD-CONDITION",
                "/measures/0/conditions/1/action".into()
            )
        ]
    );
    let e = load_errors(&SMALL.replace("\"kind\": \"vat\"", "\"kind\": \"tariff_quota\""));
    assert_eq!(
        e,
        vec![("TARIFF-QUOTA-REQUIRED", "/measures/1/quota".into())]
    );
}

#[test]
fn loader_never_panics_on_garbage() {
    for j in [
        "",
        "null",
        "[]",
        "1",
        "{",
        r#"{"measures": 3}"#,
        r#"{"measures": [1, null, {}]}"#,
        r#"{"nationalCurrency": 5, "currencies": [{"code": "ü€", "minorUnits": "x"}]}"#,
        r#"{"nomenclature": [{"code": "ab", "from": "2020-1-1"}]}"#,
        r#"{"geographicalAreas": [{"id": "G", "members": [{"country": "ZZ"}]}]}"#,
        r#"{"exchangeRates": [{"currency": "USD", "rate": "1e400"}]}"#,
    ] {
        let r = load(j);
        assert!(r.is_err(), "{j}");
        assert!(r.unwrap_err().iter().all(|e| !e.code.is_empty()));
    }
    assert_eq!(load("{").unwrap_err()[0].code, "TARIFF-JSON-SYNTAX");
}

#[test]
fn declaration_level_assessment_sums_items_and_shares_quota_draws() {
    let mut v = crate::control::structure::fixtures::im();
    v["items"][1]["supplementaryUnits"] = serde_json::json!("2");
    let decl: crate::declaration::Declaration = serde_json::from_value(v).unwrap();
    let a = assess_declaration(demo(), &decl, DAY, &FullVolume).unwrap();
    assert_eq!(a.items.len(), 2);
    // laptops 12,500 USD: 0 % duty, VAT 12 %; phones 3,100 USD x2: 0 %, VAT
    assert_eq!(a.items[0].vat.amount, d("18870000.00"));
    assert_eq!(a.items[1].vat.amount, d("4679760.00"));
    assert_eq!(a.total.amount, d("23549760.00"));
    assert_eq!(a.customs_duty.amount, d("0.00"));
    // 50 phones without the licence stop the declaration at item 2
    let mut v = crate::control::structure::fixtures::im();
    v["items"][1]["supplementaryUnits"] = serde_json::json!("50");
    let decl: crate::declaration::Declaration = serde_json::from_value(v).unwrap();
    let e = assess_declaration(demo(), &decl, DAY, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-RESTRICTION-DOCUMENT-MISSING");
    assert_eq!(e.item, Some(2));
}

/// A GBP tariff with duties per % vol per hl (`ASVX` = `ASV` × `HLT`) and in
/// EUR per 100 kg (`DTN`), converted at 0.8571 GBP per EUR in the first half
/// of 2026 only (no EUR rate from July).
const UNITS_TARIFF: &str = r#"{
 "nationalCurrency": "GBP",
 "currencies": [{"code": "GBP", "minorUnits": 2}, {"code": "EUR", "minorUnits": 2}],
 "nomenclature": [
  {"code": "2208609900", "description": "vodka, in containers over 2 l", "from": "2020-01-01"},
  {"code": "0103921100", "description": "pigs, 50 kg or more", "from": "2020-01-01"},
  {"code": "0201100000", "description": "beef carcases", "from": "2020-01-01"},
  {"code": "0202100000", "description": "frozen beef carcases", "from": "2020-01-01"}
 ],
 "geographicalAreas": [{"id": "CH", "description": "Switzerland"}, {"id": "US", "description": "United States"},
  {"id": "1011", "allCountries": true}],
 "measureTypes": [{"id": "103", "kind": "third_country_duty"}, {"id": "142", "kind": "tariff_preference"},
  {"id": "305", "kind": "vat"}],
 "measures": [
  {"id": "S", "type": "103", "goodsCode": "2208", "area": "1011", "from": "2020-01-01", "duty": "28.74 GBP/ASVX"},
  {"id": "P", "type": "103", "goodsCode": "0103", "area": "1011", "from": "2020-01-01", "duty": "35.1 EUR/DTN"},
  {"id": "PCH", "type": "142", "goodsCode": "0103", "area": "CH", "from": "2020-01-01", "duty": "10 %"},
  {"id": "HI", "type": "103", "goodsCode": "0201", "area": "1011", "from": "2020-01-01", "duty": "10 % MIN 35.1 EUR/DTN"},
  {"id": "LO", "type": "103", "goodsCode": "0202", "area": "1011", "from": "2020-01-01", "duty": "10 % MAX 35.1 EUR/DTN"},
  {"id": "V", "type": "305", "goodsCode": "01", "area": "1011", "from": "2020-01-01", "duty": "20 %"},
  {"id": "V2", "type": "305", "goodsCode": "02", "area": "1011", "from": "2020-01-01", "duty": "20 %"},
  {"id": "V22", "type": "305", "goodsCode": "22", "area": "1011", "from": "2020-01-01", "duty": "20 %"}
 ],
 "exchangeRates": [{"currency": "EUR", "from": "2026-01-01", "to": "2026-06-30", "rate": "0.8571"}]
}"#;

fn units_tariff() -> Tariff {
    load(UNITS_TARIFF).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn duty_per_percent_vol_per_hectolitre_multiplies_strength_by_volume() {
    let t = units_tariff();
    // 40 % vol × 2.5 hl = 100 % vol·hl; 28.74 GBP × 100 = 2,874.00 GBP
    let i = item(
        "2208609900",
        "US",
        "1000.00",
        "GBP",
        &[("ASV", "40"), ("HLT", "2.5")],
    );
    let a = assess_item(&t, &i, &FullVolume).unwrap();
    assert_eq!(a.customs_duty.amount, d("2874.00"));
    assert_eq!(a.lines[0].full_precision, d("2874.000"));
    assert_eq!(a.lines[0].base, "100 ASVX");
    // VAT 20 % of (1,000.00 + 2,874.00 = 3,874.00) = 774.80;
    // total 2,874.00 + 774.80 = 3,648.80
    assert_eq!(a.vat.amount, d("774.80"));
    assert_eq!(a.total.amount, d("3648.80"));
    // the volume in litres: 37.5 % vol × (180 l × 0.01 = 1.8 hl) = 67.5;
    // 28.74 × 67.5 = 1,939.95
    let i = item(
        "2208609900",
        "US",
        "1000.00",
        "GBP",
        &[("ASV", "37.5"), ("LTR", "180")],
    );
    let a = assess_item(&t, &i, &FullVolume).unwrap();
    assert_eq!(a.customs_duty.amount, d("1939.95"));
    // declared in the compound unit itself (e.g. as the supplementary unit):
    // 55 % vol·hl × 28.74 = 1,580.70
    let i = item("2208609900", "US", "1000.00", "GBP", &[("ASVX", "55")]);
    assert_eq!(
        assess_item(&t, &i, &FullVolume)
            .unwrap()
            .customs_duty
            .amount,
        d("1580.70")
    );
}

#[test]
fn a_missing_part_of_a_compound_quantity_is_named() {
    let t = units_tariff();
    let only_volume = item("2208609900", "US", "1000.00", "GBP", &[("LTR", "250")]);
    let e = assess_item(&t, &only_volume, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-QUANTITY-MISSING");
    assert!(
        e.message.contains(
            "ASVX (% vol/hl = ASV × HLT); declare ASVX itself or each part, missing: ASV (% vol)"
        ),
        "{}",
        e.message
    );
    assert!(!e.message.contains("HLT (hl"), "{}", e.message);
    let nothing = item("2208609900", "US", "1000.00", "GBP", &[]);
    let e = assess_item(&t, &nothing, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-QUANTITY-MISSING");
    assert!(
        e.message
            .contains("missing: ASV (% vol), HLT (hl, or LTR × 0.01)"),
        "{}",
        e.message
    );
}

#[test]
fn specific_duty_in_eur_per_100_kg_is_converted_at_the_period_rate() {
    let t = units_tariff();
    let day = date!(2026 - 03 - 15);
    // 10,000 kg net = 100 × 100 kg; 35.1 EUR × 100 = 3,510 EUR;
    // × 0.8571 GBP/EUR = 3,008.421 GBP -> 3,008.42
    let mut i = item("0103921100", "US", "20000.00", "GBP", &[("KGM", "10000")]);
    i.date = day;
    let a = assess_item(&t, &i, &FullVolume).unwrap();
    assert_eq!(a.lines[0].full_precision, d("3008.421"));
    assert_eq!(a.customs_duty.amount, d("3008.42"));
    assert_eq!(a.lines[0].base, "100 DTN; 1 EUR = 0.8571 GBP");
    // VAT 20 % of (20,000.00 + 3,008.42 = 23,008.42) = 4,601.684 -> 4,601.68
    assert_eq!(a.vat.amount, d("4601.68"));
    assert_eq!(a.total.amount, d("7610.10"));
    // the same quantity declared directly in units of 100 kg
    let mut j = item("0103921100", "US", "20000.00", "GBP", &[("DTN", "100")]);
    j.date = day;
    assert_eq!(
        assess_item(&t, &j, &FullVolume)
            .unwrap()
            .customs_duty
            .amount,
        d("3008.42")
    );
    // no EUR rate after June: a clear error naming the measure and currency
    i.date = date!(2026 - 07 - 01);
    let e = assess_item(&t, &i, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-NO-EXCHANGE-RATE");
    assert!(
        e.message.contains("measure P (35.1 EUR/DTN)")
            && e.message.contains("EUR exchange rate valid on 2026-07-01"),
        "{}",
        e.message
    );
}

#[test]
fn duty_options_compare_after_converting_the_specific_amount() {
    let t = units_tariff();
    let on = |code: &str, origin: &str, value: &str| {
        let mut i = item(code, origin, value, "GBP", &[("KGM", "10000")]);
        i.date = date!(2026 - 03 - 15);
        assess_item(&t, &i, &FullVolume).unwrap()
    };
    // specific part everywhere: 35.1 EUR × 100 DTN × 0.8571 = 3,008.421 GBP
    // (3,510 unconverted, which would reverse every choice below)

    // higher of 10 % and the specific (MIN = floor):
    // 10 % × 32,000 = 3,200 > 3,008.421 -> 3,200.00
    assert_eq!(
        on("0201100000", "US", "32000.00").customs_duty.amount,
        d("3200.00")
    );
    // 10 % × 29,000 = 2,900 < 3,008.421 -> 3,008.42
    assert_eq!(
        on("0201100000", "US", "29000.00").customs_duty.amount,
        d("3008.42")
    );
    // lower of 10 % and the specific (MAX = ceiling):
    // min(3,200, 3,008.421) = 3,008.42; min(2,900, 3,008.421) = 2,900.00
    assert_eq!(
        on("0202100000", "US", "32000.00").customs_duty.amount,
        d("3008.42")
    );
    assert_eq!(
        on("0202100000", "US", "29000.00").customs_duty.amount,
        d("2900.00")
    );

    // lowest option between measures: third-country 3,008.42 (converted)
    // against the Swiss preference 10 % of the customs value
    // 31,000: preference 3,100.00 > 3,008.42 -> the third-country duty
    let a = on("0103921100", "CH", "31000.00");
    assert_eq!(a.customs_duty.amount, d("3008.42"));
    assert_eq!(a.lines[0].measure_id, "P");
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("PCH") && n.contains("3100.00")),
        "{:?}",
        a.notes
    );
    // 29,000: preference 2,900.00 < 3,008.42 -> the preference
    let a = on("0103921100", "CH", "29000.00");
    assert_eq!(a.customs_duty.amount, d("2900.00"));
    assert_eq!(a.lines[0].measure_id, "PCH");
}

#[test]
fn a_declaration_carries_a_compound_quantity_as_its_supplementary_unit() {
    // the nomenclature asks for DE 6/2 in % vol·hl; invoices in USD at 0.8 GBP
    let json = UNITS_TARIFF
        .replace(
            r#""description": "vodka, in containers over 2 l", "from": "2020-01-01""#,
            r#""description": "vodka, in containers over 2 l", "from": "2020-01-01", "supplementaryUnit": "ASVX""#,
        )
        .replace(
            r#"{"id": "CH", "#,
            r#"{"id": "CN", "description": "China"}, {"id": "CH", "#,
        )
        .replace(
            r#""currencies": [{"code": "GBP", "minorUnits": 2}"#,
            r#""currencies": [{"code": "GBP", "minorUnits": 2}, {"code": "USD", "minorUnits": 2}"#,
        )
        .replace(
            r#""exchangeRates": ["#,
            r#""exchangeRates": [{"currency": "USD", "from": "2026-01-01", "rate": "0.8"}, "#,
        );
    let t = load(&json).unwrap_or_else(|e| panic!("{e:?}"));
    let decl = |units: [Option<&str>; 2]| {
        let mut v = crate::control::structure::fixtures::im();
        for (i, u) in units.iter().enumerate() {
            v["items"][i]["hsCode"] = serde_json::json!("2208609900");
            v["items"][i]["supplementaryUnits"] = serde_json::json!(u);
        }
        serde_json::from_value::<crate::declaration::Declaration>(v).unwrap()
    };
    let a = assess_declaration(&t, &decl([Some("100"), Some("55")]), DAY, &FullVolume).unwrap();
    // 28.74 GBP × 100 % vol·hl = 2,874.00; 28.74 × 55 = 1,580.70; sum 4,454.70
    assert_eq!(a.items[0].customs_duty.amount, d("2874.00"));
    assert_eq!(a.items[1].customs_duty.amount, d("1580.70"));
    assert_eq!(a.customs_duty.amount, d("4454.70"));
    // item 2 without its supplementary units: the error names the item
    let e = assess_declaration(&t, &decl([Some("100"), None]), DAY, &FullVolume).unwrap_err();
    assert_eq!(e.code, "DUTY-QUANTITY-MISSING");
    assert_eq!(e.item, Some(2));
    assert!(e.message.contains("missing: ASV (% vol)"), "{}", e.message);
}
