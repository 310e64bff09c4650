//! Observations from a declaration and its assessment, the sufficiency of
//! a sample, the check of an item and the recorded form.

use rust_decimal::Decimal;

use super::*;
use crate::money::Money;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn declaration() -> Declaration {
    serde_json::from_str(include_str!("../testdata/declaration.json")).unwrap()
}

/// An assessment whose items' national customs values are `values`.
fn assessment(values: &[&str]) -> DeclarationAssessment {
    let uzs = crate::codes::CurrencyCode::parse("UZS").unwrap();
    let m = |x: &str| Money::new(d(x), uzs.clone());
    let item = |v: &str| crate::tariff::ItemAssessment {
        goods_code: "x".into(),
        origin: "CN".into(),
        date: time::macros::date!(2026 - 11 - 21),
        customs_value: m("1"),
        exchange_rate: None,
        customs_value_national: m(v),
        lines: vec![],
        notes: vec![],
        quota_draws: vec![],
        customs_duty: m("0"),
        additional_duties: m("0"),
        excise: m("0"),
        vat: m("0"),
        total: m("0"),
    };
    DeclarationAssessment {
        national_currency: "UZS".into(),
        acceptance_date: time::macros::date!(2026 - 11 - 21),
        rounding: crate::tariff::ROUNDING_RULE.into(),
        items: values.iter().map(|v| item(v)).collect(),
        customs_duty: m("0"),
        additional_duties: m("0"),
        excise: m("0"),
        vat: m("0"),
        total: m("0"),
    }
}

#[test]
fn observations_are_national_value_per_kg_and_per_supplementary_unit() {
    let mut decl = declaration();
    decl.items.truncate(2);
    decl.items[0].net_mass_kg = d("300");
    decl.items[0].supplementary_units = Some(d("12"));
    decl.items[1].net_mass_kg = d("0");
    let obs = observations(&decl, &assessment(&["3000000", "500"]));
    // Item 1 per kg and per unit; item 2 has no mass: nothing.
    assert_eq!(obs.len(), 2, "{obs:?}");
    assert_eq!(obs[0].unit, QuantityUnit::Kg);
    assert_eq!(obs[0].unit_value, d("10000"));
    assert_eq!(obs[0].code, decl.items[0].hs_code.as_str());
    assert_eq!(obs[0].hs6, &decl.items[0].hs_code.as_str()[..6]);
    assert_eq!(obs[0].origin, "CN");
    assert_eq!(obs[0].currency, "UZS");
    assert_eq!(obs[1].unit, QuantityUnit::Supplementary);
    assert_eq!(obs[1].unit_value, d("250000"));
    assert_eq!(obs[0].item, 1);
    // Rounded to four places.
    assert_eq!(unit_value(d("10"), d("3")), Some(d("3.3333")));
    assert_eq!(unit_value(d("0"), d("3")), None);
    assert_eq!(unit_value(d("1"), d("-3")), None);
}

#[test]
fn keys_fall_back_from_national_code_to_subheading_to_any_origin() {
    let k = |l| ValueKey::at(l, "8473300000", "CN", QuantityUnit::Kg);
    assert_eq!(k(ReferenceLevel::National).code, "8473300000");
    assert!(!k(ReferenceLevel::National).is_hs6());
    assert_eq!(k(ReferenceLevel::Hs6).code, "847330");
    assert_eq!(k(ReferenceLevel::Hs6).origin.as_deref(), Some("CN"));
    assert_eq!(k(ReferenceLevel::Hs6AnyOrigin).origin, None);
    assert!(k(ReferenceLevel::Hs6AnyOrigin).is_hs6());
}

#[test]
fn a_sample_needs_enough_observations_and_declarants() {
    let rule = ValueRule::default();
    let values: Vec<Decimal> = (0..10).map(|i| Decimal::from(100 + i)).collect();
    let enough = Sample {
        values: values.clone(),
        declarants: 3,
    };
    assert_eq!(enough.sufficient(&rule).unwrap().n, 10);
    let two_traders = Sample {
        values: values.clone(),
        declarants: 2,
    };
    assert!(two_traders.sufficient(&rule).is_none());
    let nine = Sample {
        values: values[..9].to_vec(),
        declarants: 9,
    };
    assert!(nine.sufficient(&rule).is_none());
}

#[test]
fn an_item_far_below_its_reference_is_undervalued_and_recorded() {
    let rule = ValueRule::default();
    let values: Vec<Decimal> = [100, 90, 110, 105, 95, 100, 98, 102, 120, 80]
        .iter()
        .map(|x| Decimal::from(*x))
        .collect();
    let s = RobustStats::of(&values).unwrap();
    let key = ValueKey::at(ReferenceLevel::Hs6, "847330", "CN", QuantityUnit::Kg);
    let r = Some((ReferenceLevel::Hs6, &key, &s));
    let low = check_item(1, QuantityUnit::Kg, d("40"), r, &rule);
    assert!(low.undervalued && !low.overvalued, "{low:?}");
    assert!(low.z.unwrap() < d("-10"), "{low:?}");
    let fair = check_item(2, QuantityUnit::Kg, d("99"), r, &rule);
    assert!(!fair.undervalued && !fair.overvalued, "{fair:?}");
    let high = check_item(3, QuantityUnit::Kg, d("300"), r, &rule);
    assert!(high.overvalued, "{high:?}");
    let none = check_item(4, QuantityUnit::Kg, d("1"), None, &rule);
    assert!(none.z.is_none() && none.reference.is_none() && !none.undervalued);

    let mut checks = ValueChecks::new(&rule, "UZS");
    checks.items = vec![low, none];
    let j = serde_json::to_value(&checks).unwrap();
    assert_eq!(j["underZ"], "-3");
    assert_eq!(j["overZ"], "3");
    assert_eq!(j["windowDays"], 365);
    assert_eq!(j["items"][0]["unit"], "kg");
    assert_eq!(j["items"][0]["reference"]["level"], "hs6");
    assert_eq!(j["items"][0]["reference"]["median"], "100");
    assert_eq!(j["items"][0]["undervalued"], true);
    assert!(j["items"][1].get("z").is_none(), "{j}");
    assert!(j.get("absent").is_none(), "{j}");
    let back: ValueChecks = serde_json::from_value(j).unwrap();
    assert_eq!(back, checks);
    assert!(back.item(1).unwrap().undervalued);
}
