//! Finding 2 (high): an amendment skipped risk assessment.
//!
//! The attack: a green declaration waiting for payment was amended to
//! cigarettes (which the officers' criterion sends red when lodged), stayed
//! green, and a deposit released it automatically. Now every amendment is
//! assessed again and the stricter channel of old and new wins.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{
    lifecycle_amendment, lifecycle_body_of, lifecycle_cigarettes, lifecycle_eventually,
    lifecycle_lodge, lifecycle_selectivity, lifecycle_unfunded_trader, risk_assessments, TestApp,
};

stories!(
    amended_to_cigarettes_goes_under_control_and_a_deposit_does_not_release_it,
    the_stricter_channel_of_old_and_new_wins,
);

async fn amended_to_cigarettes_goes_under_control_and_a_deposit_does_not_release_it(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let (id, token, key) = lifecycle_unfunded_trader(&app, 1).await;
    let doc = lifecycle_body_of(&app, &id);
    let (s, v) = lifecycle_lodge(&app, &token, &key, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "green", "{v}");
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();

    // The attack: the same declaration amended to cigarettes.
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &token,
            Some(&key),
            &lifecycle_amendment(&mrn, &lifecycle_cigarettes(&doc)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(v["channel"], "red", "{v}");
    assert_eq!(v["state"], "under_control", "{v}");

    // The record: amended, then assessed again naming the version.
    // Read as an administrator: the trader's view has the risk decisions
    // redacted to their channel.
    let events = app.events(&mrn, &app.user_token("admin")).await;
    tamga_core::lifecycle::verify_chain(&events).unwrap();
    let risk = risk_assessments(&events);
    assert_eq!(risk.len(), 2, "{risk:?}");
    assert_eq!(risk[1]["version"], 2, "{}", risk[1]);
    assert_eq!(risk[1]["channel"], "red", "{}", risk[1]);
    assert_eq!(
        risk[1]["decision"]["hits"][0]["criterionId"], "TOBACCO",
        "{}",
        risk[1]
    );
    // The trader is told, and the office queue has it.
    let (_, n) = app.get("/api/v1/notifications?after=0", &token).await;
    assert!(n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "under_control" && x["mrn"] == mrn.as_str()));
    let officer = app.user_token("officer");
    let office = v["office"].as_str().unwrap();
    let (_, q) = app
        .get(&format!("/api/v1/offices/{office}/queue"), &officer)
        .await;
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .any(|d| d["mrn"] == mrn.as_str()),
        "{q}"
    );
    // The workbench dispatches it to an inspector.
    let task = lifecycle_eventually(
        &app,
        &format!("/api/v1/workbench/tasks/{mrn}"),
        &officer,
        |_| true,
    )
    .await;
    assert_eq!(task["status"], "open", "{task}");

    // A deposit covering everything does not release it.
    let (_, acc) = app.get("/api/v1/account/ledger", &token).await;
    let reference = acc["payment"]["paymentReference"].as_str().unwrap();
    let (s, v) = app
        .post_json(
            "/api/v1/bank/deposits",
            &app.user_token("bank"),
            &json!({
                "paymentReference": reference,
                "bankReference": "F02-1",
                "amount": "100000000",
                "currency": "UZS",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["released"], json!([]), "{v}");
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &token)
        .await;
    assert_eq!(d["state"], "under_control", "{d}");
    assert!(!events_of(&app, &mrn, &token)
        .await
        .iter()
        .any(|k| k == "released"));
}

async fn events_of(app: &TestApp, mrn: &str, token: &str) -> Vec<String> {
    app.events(mrn, token)
        .await
        .iter()
        .map(|e| e.body.kind().to_owned())
        .collect()
}

async fn the_stricter_channel_of_old_and_new_wins(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let (id, token, key) = lifecycle_unfunded_trader(&app, 2).await;
    let harmless = lifecycle_body_of(&app, &id);
    let cigarettes = lifecycle_cigarettes(&harmless);
    let (s, v) = app
        .send_signed(
            "/api/v1/declarations",
            &token,
            Some(&key),
            &serde_json::to_vec(&cigarettes).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    // Amended to goods no criterion selects: still red, still under
    // control, and the new assessment (green) is recorded beside it.
    let (s, v): (StatusCode, Value) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &token,
            Some(&key),
            &lifecycle_amendment(&mrn, &harmless),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let events = app.events(&mrn, &token).await;
    let last = events
        .iter()
        .rev()
        .find(|e| e.body.kind() == "risk_assessed")
        .map(|e| serde_json::to_value(&e.body).unwrap())
        .unwrap();
    assert_eq!(last["decision"]["channel"], "green", "{last}");
    assert_eq!(last["version"], 2, "{last}");
    assert_eq!(last["channel"], "red", "{last}");
}
