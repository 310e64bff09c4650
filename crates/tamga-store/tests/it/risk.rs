//! Risk-management storage stories, on SQLite and (when
//! `TAMGA_TEST_PG_URL` is set) PostgreSQL: profile versions are immutable
//! and the active version explicit; settings and pre-arrival information
//! round-trip. (Period queries over lodged declarations are exercised by
//! the API stories in tamga-http, which lodge real declarations.)

use std::sync::Arc;

use serde_json::json;
use time::macros::date;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::OfficeCode;
use tamga_core::lifecycle::Channel;
use tamga_core::prearrival::{AdvanceCargo, CargoParties, CargoParty};
use tamga_core::profiles::{Control, Profile};
use tamga_core::risk::{RandomDraw, RiskDecision};
use tamga_store::risk_sql::{PrearrivalRecord, ProfileStatus, ProfileVersionRecord};
use tamga_store::{Store, StoreError};

stories!(
    profile_versions_are_immutable_and_activation_is_explicit,
    settings_and_prearrivals_round_trip,
);

fn at() -> OffsetDateTime {
    // Whole microseconds: PostgreSQL and SQLite both keep nanoseconds as i64.
    OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
}

fn profile(id: &str, version: u32, expression: &str) -> ProfileVersionRecord {
    ProfileVersionRecord {
        profile: Profile {
            id: id.into(),
            version,
            rationale: "cars undervalued".into(),
            expression: expression.into(),
            valid_from: date!(2026 - 01 - 01),
            valid_to: None,
            offices: vec![OfficeCode::parse("UZ000100").unwrap()],
            priority: 5,
            control: Control::PhysicalInspection,
            channel: Channel::Red,
        },
        created_at: at() + Duration::seconds(version as i64),
        created_by: "analyst".into(),
    }
}

async fn profile_versions_are_immutable_and_activation_is_explicit(store: Arc<dyn Store>) {
    let v1 = profile("CARS", 1, "hs4 == \"8703\" and value_per_kg < 2");
    store.add_profile_version(&v1).await.unwrap();
    // Version 1 again, or an existing version: refused.
    assert!(matches!(
        store.add_profile_version(&v1).await,
        Err(StoreError::AlreadyExists(_))
    ));
    // A later version of a profile that does not exist: refused.
    assert!(matches!(
        store
            .add_profile_version(&profile("NOPE", 2, "origin == \"CN\""))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let v2 = profile("CARS", 2, "hs4 == \"8703\" and value_per_kg < 3");
    store.add_profile_version(&v2).await.unwrap();
    assert!(matches!(
        store.add_profile_version(&v2).await,
        Err(StoreError::AlreadyExists(_))
    ));
    store
        .add_profile_version(&profile("AAA", 1, "origin == \"CN\""))
        .await
        .unwrap();

    let p = store.profile("CARS").await.unwrap().unwrap();
    assert_eq!(p.status, ProfileStatus::Draft);
    assert_eq!(p.active_version, None);
    assert_eq!(p.versions, [v1.clone(), v2.clone()]);
    assert_eq!(p.created_at, v1.created_at);
    assert_eq!(p.updated_at, v2.created_at);
    assert!(store.active_profiles().await.unwrap().is_empty());

    // Activating a version that does not exist changes nothing.
    assert!(!store
        .set_profile_status("CARS", ProfileStatus::Active, Some(9), at(), "analyst")
        .await
        .unwrap());
    assert!(!store
        .set_profile_status("NOPE", ProfileStatus::Retired, None, at(), "analyst")
        .await
        .unwrap());
    assert!(store
        .set_profile_status("CARS", ProfileStatus::Active, Some(1), at(), "boss")
        .await
        .unwrap());
    let active = store.active_profiles().await.unwrap();
    assert_eq!(active, std::slice::from_ref(&v1.profile));
    let p = store.profile("CARS").await.unwrap().unwrap();
    assert_eq!(
        (p.status, p.active_version),
        (ProfileStatus::Active, Some(1))
    );
    assert_eq!(p.updated_by, "boss");

    // The list has both, by id, each with its versions.
    let all = store.profiles().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|p| (p.id.as_str(), p.versions.len()))
            .collect::<Vec<_>>(),
        [("AAA", 1), ("CARS", 2)]
    );

    // Switch to version 2, then retire.
    store
        .set_profile_status("CARS", ProfileStatus::Active, Some(2), at(), "boss")
        .await
        .unwrap();
    assert_eq!(
        store.active_profiles().await.unwrap(),
        std::slice::from_ref(&v2.profile)
    );
    store
        .set_profile_status("CARS", ProfileStatus::Retired, None, at(), "boss")
        .await
        .unwrap();
    assert!(store.active_profiles().await.unwrap().is_empty());
    assert_eq!(
        store.profile("CARS").await.unwrap().unwrap().status,
        ProfileStatus::Retired
    );
    assert!(store.profile("ZZZ").await.unwrap().is_none());
}

fn cargo(doc: &str, office: &str, days: i64) -> AdvanceCargo {
    AdvanceCargo {
        transport_document: doc.into(),
        expected_arrival: at() + Duration::days(days),
        office_of_arrival: OfficeCode::parse(office).unwrap(),
        transport_mode: tamga_core::declaration::TransportMode::Road,
        route: vec!["CN".parse().unwrap()],
        parties: CargoParties {
            consignor: CargoParty {
                name: "S".into(),
                id: None,
                country: Some("CN".parse().unwrap()),
            },
            consignee: CargoParty {
                name: "T".into(),
                id: Some("UZ000000000101".parse().unwrap()),
                country: None,
            },
            carrier: None,
        },
        goods: vec![],
    }
}

fn decision(channel: Channel) -> RiskDecision {
    RiskDecision {
        channel,
        hits: vec![],
        random: RandomDraw {
            seed: 0,
            secret_id: None,
            draw: Default::default(),
            yellow_rate: Default::default(),
            red_rate: Default::default(),
            selected: None,
            salt: None,
        },
        explanation: "x".into(),
        combined: Default::default(),
    }
}

async fn settings_and_prearrivals_round_trip(store: Arc<dyn Store>) {
    assert_eq!(store.risk_setting("policy").await.unwrap(), None);
    store
        .put_risk_setting("policy", &json!({"a": 1}))
        .await
        .unwrap();
    store
        .put_risk_setting("policy", &json!({"a": 2}))
        .await
        .unwrap();
    assert_eq!(
        store.risk_setting("policy").await.unwrap(),
        Some(json!({"a": 2}))
    );

    let recs = [
        ("PA1", cargo("CMR-1", "UZ000100", 1), Channel::Red),
        ("PA2", cargo("CMR-2", "UZ000200", 3), Channel::Green),
        ("PA3", cargo("CMR-3", "UZ000100", -40), Channel::Yellow),
    ];
    for (id, info, ch) in &recs {
        let r = PrearrivalRecord {
            id: (*id).into(),
            submitted_by: "UZ000000000101".into(),
            submitted_at: at(),
            channel: *ch,
            info: info.clone(),
            decision: decision(*ch),
        };
        store.add_prearrival(&r).await.unwrap();
        assert!(matches!(
            store.add_prearrival(&r).await,
            Err(StoreError::AlreadyExists(_))
        ));
    }
    let office = OfficeCode::parse("UZ000100").unwrap();
    let at_office = store.prearrivals(Some(&office), 10).await.unwrap();
    assert_eq!(
        at_office.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["PA1", "PA3"]
    );
    assert_eq!(at_office[0].info, recs[0].1);
    assert_eq!(at_office[0].decision, decision(Channel::Red));
    assert_eq!(store.prearrivals(None, 10).await.unwrap().len(), 3);
    assert_eq!(store.prearrivals(None, 1).await.unwrap()[0].id, "PA2");
    let recent = store
        .prearrivals_expected_since(at() - Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        recent.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["PA1", "PA2"]
    );

    // Period queries over an empty store.
    assert!(store
        .declarations_registered(at() - Duration::days(1), at(), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .risk_events(at() - Duration::days(1), at())
        .await
        .unwrap()
        .is_empty());
}
