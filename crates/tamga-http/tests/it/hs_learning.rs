//! The HS assistant learns from officers' confirmed classifications
//! (issue 18, part 1): what a released, controlled declaration teaches
//! (its items as declared, or as an officer corrected them), and what
//! teaches nothing (a refused declaration, a green one). Each runs on
//! SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use crate::common;
use common::lifecycle_eventually as eventually;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::TestApp;
use tamga_app::goods::learning::Confirmed;

stories!(released_controlled_declarations_teach_their_classifications);

/// A red cigarette declaration of trader `i` whose first item is described
/// as `description`, once its task is assigned to the officer: its MRN and
/// number of goods items.
async fn red(app: &TestApp, i: usize, description: &str) -> (String, usize) {
    let mut doc = app.body(i);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!(description);
    doc["items"][0]["supplementaryUnits"] = json!("40");
    let items = doc["items"].as_array().unwrap().len();
    let (s, v) = app.lodge(i, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    eventually(
        app,
        &format!("/api/v1/workbench/tasks/{mrn}"),
        &app.user_token("officer"),
        |t| t["inspector"] == "officer",
    )
    .await;
    (mrn, items)
}

async fn act(app: &TestApp, mrn: &str, path: &str, body: Value) {
    let me = app.officer("officer");
    let (s, v) = app
        .act(&me, &format!("/api/v1/declarations/{mrn}/{path}"), &body)
        .await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
}

async fn released_controlled_declarations_teach_their_classifications(app: TestApp) {
    common::model::setup(&app).await;
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &app.user_token("admin"),
            &json!({"office": "UZ000100", "competences": {}, "capacity": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Compliant and released: every item confirmed as declared.
    let (compliant, items_1) = red(&app, 1, "glorbix menthol cigarettes").await;
    act(
        &app,
        &compliant,
        "control-result",
        json!({"mrn": compliant, "act": "control_result", "version": 1, "outcome": "compliant"}),
    )
    .await;
    act(
        &app,
        &compliant,
        "release",
        json!({"mrn": compliant, "act": "release", "version": 1}),
    )
    .await;

    // Misclassified and released: the first item as the officer corrected it.
    let (corrected, items_2) = red(&app, 2, "zorblat smoking tobacco pouch").await;
    let me = app.officer("officer");
    let (s, v) = app
        .act(
            &me,
            &format!("/api/v1/workbench/tasks/{corrected}/result"),
            &json!({"mrn": corrected, "act": "task_result", "version": 1, "outcome": "findings",
                    "findings": [{"kind": "misclassification", "item": 1, "correctedValue": "2403190000"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    act(
        &app,
        &corrected,
        "release",
        json!({"mrn": corrected, "act": "release", "version": 1}),
    )
    .await;

    // Refused: teaches nothing.
    let (refused, _) = red(&app, 3, "quixotl cigarillos").await;
    act(
        &app,
        &refused,
        "control-result",
        json!({"mrn": refused, "act": "control_result", "version": 1, "outcome": "findings"}),
    )
    .await;
    act(
        &app,
        &refused,
        "refusal",
        json!({"mrn": refused, "act": "refusal", "version": 1, "reason": "undeclared goods"}),
    )
    .await;

    // Green and released without control: nobody looked, nothing learned.
    let mut doc = app.body(4);
    doc["items"][0]["description"] = json!("vexilloid ceramic mugs");
    let (s, v) = app.lodge(4, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["state"], "under_control", "{v}");

    common::model::labels(&app, 3).await;
    let mut confirmed = Confirmed::default();
    let new = confirmed.refresh(app.store.as_ref()).await.unwrap();
    let learned: Vec<(&str, &str)> = confirmed
        .examples()
        .iter()
        .map(|e| (e.description.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(new, learned.len());
    assert_eq!(learned.len(), items_1 + items_2, "{learned:?}");
    assert!(learned.contains(&("glorbix menthol cigarettes", "240220")));
    assert!(learned.contains(&("zorblat smoking tobacco pouch", "240319")));
    assert!(!learned.contains(&("zorblat smoking tobacco pouch", "240220")));
    assert!(!learned.iter().any(|(d, _)| d.contains("quixotl")));
    assert!(!learned.iter().any(|(d, _)| d.contains("vexilloid")));

    // Read again: nothing new, nothing read twice.
    let n = learned.len();
    assert_eq!(confirmed.refresh(app.store.as_ref()).await.unwrap(), 0);
    assert_eq!(confirmed.examples().len(), n);
}
