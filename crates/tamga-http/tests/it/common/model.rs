//! Helpers of the learning risk model's stories (API and pages):
//! deterministic channels with cigarettes always red, declarations
//! inspected with a recorded outcome, and waiting for their labels.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::TestApp;

/// No random selection or blue draws; HS chapter 24 always red.
pub async fn setup(app: &TestApp) {
    let analyst = app.user_token("analyst");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &analyst,
            &json!({"yellowRate": "0", "redRate": "0", "seed": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &analyst,
            &json!({"blueRate": "0", "lowFactor": "1", "aeoFactor": "1", "highFactor": "1",
                    "highMinimum": "green", "modelYellow": "0.99", "modelRed": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &app.user_token("officer"),
            &json!({"description": "HS chapter 24", "hsPrefix": "24", "channel": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Lodges a cigarette declaration of trader `i` (red), records the
/// control's outcome and releases or refuses it.
pub async fn inspected(app: &TestApp, i: usize, findings: bool) -> String {
    let mut doc = app.body(i);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
    doc["items"][0]["supplementaryUnits"] = json!("40");
    let (s, v) = app.lodge(i, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let me = app.officer("officer");
    let outcome = if findings { "findings" } else { "compliant" };
    let (s, v) = app
        .act(
            &me,
            &format!("/api/v1/declarations/{mrn}/control-result"),
            &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": outcome}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (path, body) = if findings {
        (
            format!("/api/v1/declarations/{mrn}/refusal"),
            json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "undeclared goods"}),
        )
    } else {
        (
            format!("/api/v1/declarations/{mrn}/release"),
            json!({"mrn": mrn, "act": "release", "version": 1}),
        )
    };
    let (s, v) = app.act(&me, &path, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    mrn
}

/// Waits until `n` labels of inspected declarations exist.
pub async fn labels(app: &TestApp, n: usize) {
    let analyst = app.user_token("analyst");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = app
            .get("/api/v1/analytics/labels?after=0&limit=10000", &analyst)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let got = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["inspected"] == true)
            .count();
        if got >= n {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{got} labels of {n}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
