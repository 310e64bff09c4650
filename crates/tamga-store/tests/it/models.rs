//! Storage story of the risk model registry (issue 17): a model is stored
//! with its file, hash, range and features and read back as stored; its
//! validation is written once; a model without validation is never
//! activated; the active model is the latest activation's, through
//! rollbacks and deactivation; a lease has one holder at a time, also when
//! claims race. Runs on SQLite and, with `TAMGA_TEST_PG_URL`, on
//! PostgreSQL.

use std::sync::Arc;

use serde_json::json;
use time::{macros::date, Duration, OffsetDateTime};

use tamga_store::{NewModel, Store};

stories!(
    the_registry_keeps_models_and_who_is_live,
    a_lease_has_one_holder
);

fn model(at: OffsetDateTime, body: &[u8]) -> NewModel {
    NewModel {
        created_at: at,
        created_by: "analyst".into(),
        source: "database".into(),
        data_from: Some(date!(2026 - 01 - 01)),
        data_to: Some(date!(2026 - 11 - 30)),
        rows: 1234,
        frauds: 56,
        features: vec!["importer.rate".into(), "hs6.seen".into()],
        training: json!({"trees": 300, "seconds": 1.5}),
        content_hash: format!("{:064x}", body.len()),
        body: body.to_vec(),
    }
}

async fn the_registry_keeps_models_and_who_is_live(store: Arc<dyn Store>) {
    let t0 = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    assert_eq!(store.active_model().await.unwrap(), None);
    assert!(store.models(10).await.unwrap().is_empty());
    let body: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let v1 = store.insert_model(&model(t0, &body)).await.unwrap();
    let v2 = store
        .insert_model(&model(t0 + Duration::hours(1), b"second"))
        .await
        .unwrap();
    assert!(v2 > v1);
    let h = store.model_head(v1).await.unwrap().expect("registered");
    assert_eq!(h.version, v1);
    assert_eq!(h.created_at, t0);
    assert_eq!(h.data_from, Some(date!(2026 - 01 - 01)));
    assert_eq!(h.data_to, Some(date!(2026 - 11 - 30)));
    assert_eq!((h.rows, h.frauds), (1234, 56));
    assert_eq!(h.features, vec!["importer.rate", "hs6.seen"]);
    assert_eq!(h.training["trees"], 300);
    assert_eq!(h.validation, None);
    assert_eq!(
        store.model_body(v1).await.unwrap().as_deref(),
        Some(&body[..]),
        "the file is read back byte for byte"
    );
    assert_eq!(store.model_body(v2 + 100).await.unwrap(), None);
    let listed: Vec<i64> = store
        .models(10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(listed, vec![v2, v1], "newest first");

    // Not validated: never activated.
    assert_eq!(
        store
            .record_activation(Some(v1), "activate", "analyst", "try", t0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.active_model().await.unwrap(), None);
    assert!(store.activations(10).await.unwrap().is_empty());

    // Validation is written once.
    let m1 = json!({"auc": 0.8});
    assert!(store.set_model_validation(v1, &m1, t0).await.unwrap());
    assert!(!store
        .set_model_validation(v1, &json!({"auc": 0.99}), t0)
        .await
        .unwrap());
    assert!(!store.set_model_validation(v2 + 100, &m1, t0).await.unwrap());
    let h = store.model_head(v1).await.unwrap().unwrap();
    assert_eq!(h.validation, Some(m1));
    assert_eq!(h.validated_at, Some(t0));

    assert!(store
        .record_activation(Some(v1), "activate", "analyst", "first", t0)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.active_model().await.unwrap(), Some(v1));
    store
        .set_model_validation(v2, &json!({"auc": 0.85}), t0)
        .await
        .unwrap();
    store
        .record_activation(Some(v2), "activate", "analyst", "better", t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.active_model().await.unwrap(), Some(v2));
    store
        .record_activation(Some(v1), "rollback", "manager", "v2 misfires", t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.active_model().await.unwrap(), Some(v1));
    store
        .record_activation(None, "deactivate", "admin", "rules only", t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.active_model().await.unwrap(), None);
    let history = store.activations(10).await.unwrap();
    let actions: Vec<(&str, Option<i64>)> = history
        .iter()
        .map(|a| (a.action.as_str(), a.version))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("deactivate", None),
            ("rollback", Some(v1)),
            ("activate", Some(v2)),
            ("activate", Some(v1)),
        ]
    );
    assert_eq!(history[1].by, "manager");
    assert_eq!(history[1].reason, "v2 misfires");
}

async fn a_lease_has_one_holder(store: Arc<dyn Store>) {
    let t0 = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    let until = t0 + Duration::minutes(10);
    assert!(store.claim_lease("retrain", "a", until, t0).await.unwrap());
    assert!(!store.claim_lease("retrain", "b", until, t0).await.unwrap());
    // Not even the holder takes it again before it expires (work runs
    // once per period); another lease name is independent.
    assert!(!store
        .claim_lease("retrain", "a", until + Duration::minutes(1), t0)
        .await
        .unwrap());
    assert!(store.claim_lease("drift", "b", until, t0).await.unwrap());
    // Expired: anyone may take it.
    assert!(store
        .claim_lease("retrain", "b", until + Duration::hours(1), until)
        .await
        .unwrap());
    assert!(!store
        .claim_lease("retrain", "a", until, until + Duration::minutes(3))
        .await
        .unwrap());
    // Racing claims on a free lease: exactly one wins.
    let claims = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .claim_lease("race", &format!("h{i}"), until, t0)
                .await
                .unwrap()
        })
    });
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1);
}
