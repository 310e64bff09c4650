//! The value check's recorded absences and its fallback when no reference
//! is sufficient (the stories with released declarations are in
//! `tamga-http/tests/it/value_control.rs` and the store's `values.rs`).

use std::time::Duration;

use time::OffsetDateTime;

use tamga_core::declaration::Declaration;
use tamga_core::pipeline::DutyResult;
use tamga_core::tariff::{assess_declaration, FullVolume};
use tamga_core::value_control::{QuantityUnit, ValueCheckAbsence};
use tamga_store::testing::TestDb;

use super::{ValueControl, ValueControlSettings};

/// A valid simulated declaration the demo tariff assesses.
fn declaration() -> Declaration {
    let today = OffsetDateTime::now_utc().date();
    let mut cfg = tamga_sim::GeneratorConfig::demo(8, today, 5);
    cfg.error_share = Some(0.0);
    cfg.frauds = false;
    let t = crate::reference::demo_tariff().unwrap();
    let s = tamga_sim::Generator::new(cfg, &crate::reference::shipped().unwrap())
        .unwrap()
        .with_tariff(&t)
        .next();
    serde_json::from_slice(&s.body).unwrap()
}

fn assessed(d: &Declaration) -> DutyResult {
    let t = crate::reference::demo_tariff().unwrap();
    let a = assess_declaration(&t, d, OffsetDateTime::now_utc().date(), &FullVolume).unwrap();
    DutyResult::Assessed {
        currency: tamga_core::codes::CurrencyCode::parse(&a.national_currency).unwrap(),
        customs_duty: a.customs_duty.amount,
        additional_duties: a.additional_duties.amount,
        excise: a.excise.amount,
        vat: a.vat.amount,
        total: a.total.amount,
        tariff: "demo".into(),
        assessment: Box::new(a),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absences_are_recorded_and_items_without_reference_keep_their_value() {
    let db = TestDb::sqlite().await;
    let store = db.open().await;
    let now = OffsetDateTime::now_utc();
    let d = declaration();
    let duties = assessed(&d);

    let vc = ValueControl::new(store.clone(), ValueControlSettings::default());
    // No duty assessment: no national value, recorded.
    let none = DutyResult::NotAssessed {
        reason: "no tariff".into(),
    };
    let c = vc.check(&d, &none, "UZS", now).await.unwrap();
    assert_eq!(c.absent, Some(ValueCheckAbsence::NotAssessed));
    assert!(c.items.is_empty());

    // An empty reference database: every item checked, none referenced.
    let c = vc.check(&d, &duties, "UZS", now).await.unwrap();
    assert_eq!(c.absent, None, "{c:?}");
    assert_eq!(c.items.len(), d.items.len());
    for (i, item) in c.items.iter().zip(&d.items) {
        assert_eq!(i.sequence, item.sequence);
        assert_eq!(i.unit, QuantityUnit::Kg, "no supplementary units declared");
        assert!(i.unit_value > rust_decimal::Decimal::ZERO);
        assert!(i.reference.is_none() && i.z.is_none());
        assert!(!i.undervalued && !i.overvalued);
    }
    assert_eq!(c.under_z, tamga_core::value_control::DEFAULT_UNDER_Z);

    // No time at all: nothing checked, the absence says why.
    let hurried = ValueControl::new(
        store.clone(),
        ValueControlSettings {
            budget: Duration::ZERO,
            ..Default::default()
        },
    );
    let c = hurried.check(&d, &duties, "UZS", now).await.unwrap();
    assert_eq!(c.absent, Some(ValueCheckAbsence::OverBudget));
    assert!(c.items.is_empty(), "{c:?}");

    // Off: nothing recorded.
    let off = ValueControl::new(
        store,
        ValueControlSettings {
            enabled: false,
            ..Default::default()
        },
    );
    assert!(off.check(&d, &duties, "UZS", now).await.is_none());
}
