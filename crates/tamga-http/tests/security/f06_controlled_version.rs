//! Finding 6 (medium): a declaration changed after inspection was still
//! released.
//!
//! The attack: after an officer recorded "compliant", the trader amended
//! goods and transport, and the officer's signed release released the new
//! version. Now a control result applies to the version it was recorded
//! on, and release and refusal name the version they act on.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{lifecycle_amendment, lifecycle_cigarettes, lifecycle_selectivity, TestApp};
use tamga_app::demo::demo_signing_key;

stories!(a_release_names_a_controlled_current_version);

async fn a_release_names_a_controlled_current_version(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let t = app.trader(3);
    let key = demo_signing_key(&t.id);
    let doc = lifecycle_cigarettes(&app.body(3));
    let (s, v) = app.lodge(3, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let officer = app.officer("officer");
    let control = format!("/api/v1/declarations/{mrn}/control-result");
    let release = format!("/api/v1/declarations/{mrn}/release");
    let refusal = format!("/api/v1/declarations/{mrn}/refusal");

    // Inspected and found compliant: version 1.
    let (s, v) = app
        .act(
            &officer,
            &control,
            &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The trader changes goods and transport afterwards.
    let mut changed = doc.clone();
    changed["items"][0]["description"] = json!("Cigarettes, other brand than inspected");
    changed["transport"]["borderMeansId"] = json!("01A777AA");
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &t.token,
            Some(&key),
            &lifecycle_amendment(&mrn, &changed),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(v["state"], "under_control", "{v}");

    // A release signed for the inspected version 1 is refused.
    let (s, v) = app
        .act(
            &officer,
            &release,
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "VERSION_NOT_CURRENT", "{v}");
    assert_eq!(v["error"]["pointer"], "/version", "{v}");
    // A release that names no version is refused too.
    let (s, v) = app
        .act(&officer, &release, &json!({"mrn": mrn, "act": "release"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNED_VERSION", "{v}");
    // Version 2 was never controlled: its release is refused.
    let (s, v) = app
        .act(
            &officer,
            &release,
            &json!({"mrn": mrn, "act": "release", "version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "CONTROL_RESULT_MISSING", "{v}");
    // Neither may a result or a refusal be signed for the old version.
    let (s, v) = app
        .act(
            &officer,
            &control,
            &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant", "notes": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "VERSION_NOT_CURRENT", "{v}");
    let (s, v) = app
        .act(
            &officer,
            &refusal,
            &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "VERSION_NOT_CURRENT", "{v}");
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &officer.token)
        .await;
    assert_eq!(d["state"], "under_control", "{d}");

    // Controlled again on version 2: now it may be released.
    let (s, v) = app
        .act(
            &officer,
            &control,
            &json!({"mrn": mrn, "act": "control_result", "version": 2, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .act(
            &officer,
            &release,
            &json!({"mrn": mrn, "act": "release", "version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "released", "{v}");

    // The record: each result names its version, and every signature
    // still verifies.
    let events = app.events(&mrn, &officer.token).await;
    tamga_core::lifecycle::verify_chain(&events).unwrap();
    let versions: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.body.kind() == "control_result_recorded")
        .map(|e| serde_json::to_value(&e.body).unwrap()["version"].clone())
        .collect();
    assert_eq!(versions, [json!(1), json!(2)]);
    let (s, checks) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/signatures"),
            &officer.token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{checks}");
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert!(checks.iter().all(|c| c["valid"] == true), "{checks:?}");
}
