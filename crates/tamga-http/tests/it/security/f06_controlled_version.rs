//! Finding 6 (medium): a declaration changed after inspection was still
//! released.
//!
//! The attack: after an officer recorded "compliant", the trader amended
//! goods and transport, and the officer's signed release released the new
//! version. Now a control result applies to the version it was recorded
//! on, and release and refusal name the version they act on.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{
    lifecycle_amendment, lifecycle_body_of, lifecycle_cigarettes, lifecycle_eventually,
    lifecycle_selectivity, lifecycle_unfunded_trader, TestApp,
};
use tamga_app::demo::demo_signing_key;

stories!(
    a_release_names_a_controlled_current_version,
    an_amendment_after_a_release_pending_payment_goes_back_under_control,
);

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

/// Released by the officer but waiting for payment, then amended: the new
/// version goes back under control (its task opens again) instead of
/// being released by the deposit.
async fn an_amendment_after_a_release_pending_payment_goes_back_under_control(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let (id, token, key) = lifecycle_unfunded_trader(&app, 3).await;
    let doc = lifecycle_cigarettes(&lifecycle_body_of(&app, &id));
    let (s, v) = app
        .send_signed(
            "/api/v1/declarations",
            &token,
            Some(&key),
            &serde_json::to_vec(&doc).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let officer = app.officer("officer");
    let task = format!("/api/v1/workbench/tasks/{mrn}");
    lifecycle_eventually(&app, &task, &officer.token, |t| t["status"] == "open").await;
    for body in [
        json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant"}),
        json!({"mrn": mrn, "act": "release", "version": 1}),
    ] {
        let act = body["act"].as_str().unwrap().replace('_', "-");
        let (s, v) = app
            .act(
                &officer,
                &format!("/api/v1/declarations/{mrn}/{act}"),
                &body,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &token)
        .await;
    assert_eq!(d["state"], "awaiting_payment", "{d}");
    // Released pending payment: the notification says what to pay and what
    // to quote.
    let (_, page) = app.get("/api/v1/notifications?after=0", &token).await;
    let waiting = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "awaiting_payment" && n["mrn"] == mrn.as_str())
        .unwrap_or_else(|| panic!("no awaiting_payment notification in {page}"));
    let eori = tamga_core::codes::Eori::parse(&id).unwrap();
    assert_eq!(
        waiting["payload"]["paymentReference"],
        tamga_core::ledger::payment_reference(&eori),
        "{waiting}"
    );
    assert_eq!(waiting["payload"]["currency"], "UZS", "{waiting}");
    let due: rust_decimal::Decimal = waiting["payload"]["amountDue"]
        .as_str()
        .unwrap_or_else(|| panic!("no amountDue in {waiting}"))
        .parse()
        .unwrap();
    assert!(due > rust_decimal::Decimal::ZERO, "{waiting}");
    lifecycle_eventually(&app, &task, &officer.token, |t| t["status"] == "done").await;

    let mut changed = doc.clone();
    changed["items"][0]["description"] = json!("Cigarettes, other brand than inspected");
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &token,
            Some(&key),
            &lifecycle_amendment(&mrn, &changed),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let t = lifecycle_eventually(&app, &task, &officer.token, |t| t["status"] == "open").await;
    assert!(t.get("outcome").is_none_or(|o| o.is_null()), "{t}");
    // A deposit does not release the uncontrolled version 2.
    let (_, acc) = app.get("/api/v1/account/ledger", &token).await;
    let (s, v) = app
        .post_json(
            "/api/v1/bank/deposits",
            &app.user_token("bank"),
            &json!({
                "paymentReference": acc["payment"]["paymentReference"],
                "bankReference": "F06-1",
                "amount": "100000000",
                "currency": "UZS",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["released"], json!([]), "{v}");
    let (s, v) = app
        .act(
            &officer,
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "CONTROL_RESULT_MISSING", "{v}");
}
