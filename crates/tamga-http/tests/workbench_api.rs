//! API stories of the workbench (issue 4): trader digital twin and
//! category, AEO status, inspectors, automatic dispatching, task results
//! with findings, reassignment and labels. Each runs on SQLite and, with
//! `TAMGA_TEST_PG_URL`, on PostgreSQL.

#[macro_use]
mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_core::codes::OfficeCode;
use tamga_store::{Principal, Role, User};

use common::TestApp;

stories!(
    trader_profile_category_and_aeo,
    controlled_declarations_are_dispatched_and_results_become_labels,
    queued_tasks_are_dispatched_later_and_reassigned,
);

/// Polls `path` until `ok` holds (10 s at most).
async fn eventually(app: &TestApp, path: &str, token: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = app.get(path, token).await;
        if s == StatusCode::OK && ok(&v) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting on {path}: {s} {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn add_officer(app: &TestApp, name: &str, office: &str) -> String {
    app.store
        .create_user(&User {
            username: name.into(),
            name: name.into(),
            role: Role::Officer,
            offices: vec![OfficeCode::parse(office).unwrap()],
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    let token = format!("test-{name}-token");
    app.store
        .add_token(
            &tamga_app::clearance::sha256_hex(token.as_bytes()),
            &Principal::User {
                username: name.into(),
            },
            "test",
        )
        .await
        .unwrap();
    token
}

async fn red_declaration(app: &TestApp, i: usize) -> String {
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &app.user_token("officer"),
            &json!({"description": "HS chapter 24", "hsPrefix": "24", "channel": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut doc = app.body(i);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
    doc["items"][0]["supplementaryUnits"] = json!("40");
    let (s, v) = app.lodge(i, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    v["mrn"].as_str().unwrap().to_owned()
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn trader_profile_category_and_aeo(app: TestApp) {
    let t = app.trader(0).clone();
    let path = format!("/api/v1/traders/{}/profile", t.id);
    // Before any declaration: a first-time trader, medium, with reasons.
    let (s, v) = app.get(&path, &app.user_token("analyst")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["context"]["firstTime"], true);
    assert_eq!(v["assessment"]["category"], "medium");
    assert_eq!(
        codes(&v["assessment"]["reasons"]),
        ["NEW_OPERATOR", "LITTLE_HISTORY"]
    );
    for _ in 0..2 {
        let doc = app.body(0);
        let (s, v) = app.lodge(0, &doc).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Stored snapshots follow the in-memory twin.
    let v = eventually(&app, &path, &t.token, |v| {
        v["metrics"]["declarations"] == 2 && v["history"].as_array().unwrap().len() == 1
    })
    .await;
    assert_eq!(v["context"]["firstTime"], false);
    let released = v["metrics"]["byState"]["released"].as_i64().unwrap();
    let controlled = v["metrics"]["byState"]["underControl"].as_i64().unwrap();
    assert_eq!(released + controlled, 2, "{v}");
    assert!(v["metrics"]["customsValue"].as_str().unwrap() != "0");
    let history = v["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{v}");
    assert_eq!(history[0]["changes"][0], "first assessment: medium");

    // Another trader does not see it; an officer does.
    let (s, _) = app.get(&path, &app.trader(1).token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&path, &app.user_token("officer")).await;
    assert_eq!(s, StatusCode::OK);

    // Only an administrator sets the AEO status; bad input has a pointer.
    let aeo = format!("/api/v1/traders/{}/aeo", t.id);
    let (s, _) = app
        .put_json(&aeo, &app.user_token("officer"), &json!({"aeo": true}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .put_json(&aeo, &app.user_token("admin"), &json!({"aeo": "yes"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "AEO_FLAG");
    let (s, v) = app
        .put_json(
            &aeo,
            &app.user_token("admin"),
            &json!({"aeo": true, "reference": "UZAEO-0001"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&path, &app.user_token("analyst")).await;
    assert_eq!(v["assessment"]["category"], "low", "{v}");
    assert_eq!(v["context"]["aeo"], true);
    assert_eq!(v["aeo"]["reference"], "UZAEO-0001");
    let history = v["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{v}");
    let changes: Vec<&str> = history[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changes[0].starts_with("category medium → low"),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| c.starts_with("+ AEO")),
        "{changes:?}"
    );
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "trader.aeo.set" && a.actor == "user:admin"));
    // Unknown trader: 404.
    let (s, _) = app
        .get(
            "/api/v1/traders/UZ000000000999/profile",
            &app.user_token("analyst"),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn controlled_declarations_are_dispatched_and_results_become_labels(app: TestApp) {
    let admin = app.user_token("admin");
    let officer = app.user_token("officer");
    let officer2 = add_officer(&app, "officer2", "UZ000100").await;
    // Bad competences are refused with a pointer; only admins manage.
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &admin,
            &json!({"office": "UZ000100", "competences": {"hsChapters": ["99"]}, "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "COMPETENCE_CHAPTER");
    assert_eq!(v["error"]["pointer"], "/competences/hsChapters/0", "{v}");
    let (s, _) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &app.user_token("analyst"),
            &json!({"office": "UZ000100", "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &admin,
            &json!({"office": "UZ000100", "competences": {}, "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer2",
            &admin,
            &json!({"office": "UZ000100", "competences": {"hsChapters": ["85"]}, "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let mrn = red_declaration(&app, 2).await;
    let task_path = format!("/api/v1/workbench/tasks/{mrn}");
    let task = eventually(&app, &task_path, &officer, |_| true).await;
    assert_eq!(task["inspector"], "officer", "{task}");
    assert_eq!(task["status"], "open");
    assert!(task["dispatch"]["explanation"]
        .as_str()
        .unwrap()
        .starts_with("assigned to officer"));
    let o2 = task["dispatch"]["considered"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["username"] == "officer2")
        .unwrap();
    assert!(o2["excluded"].as_str().unwrap().contains("24"), "{o2}");
    assert_eq!(task["risk"]["hits"][0]["criterionId"], "TOBACCO");

    // My tasks carry the hits that caused them.
    let (s, mine) = app.get("/api/v1/workbench/tasks", &officer).await;
    assert_eq!(s, StatusCode::OK);
    let t = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["mrn"] == mrn.as_str())
        .expect("task listed");
    assert!(t["risk"]["explanation"]
        .as_str()
        .unwrap()
        .contains("TOBACCO"));
    let (_, mine2) = app.get("/api/v1/workbench/tasks", &officer2).await;
    assert!(mine2.as_array().unwrap().is_empty());

    // Another officer cannot act on it.
    let result_path = format!("/api/v1/workbench/tasks/{mrn}/result");
    let (s, v) = app
        .post_json(&result_path, &officer2, &json!({"outcome": "compliant"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Bad results, each with its code and pointer.
    for (body, code, pointer) in [
        (json!({"outcome": "maybe"}), "RESULT_OUTCOME", "/outcome"),
        (
            json!({"outcome": "compliant", "findings": [{"kind": "other", "description": "x"}]}),
            "FINDINGS_NOT_EXPECTED",
            "/findings",
        ),
        (
            json!({"outcome": "findings"}),
            "FINDINGS_MISSING",
            "/findings",
        ),
        (
            json!({"outcome": "findings", "findings": [{"kind": "bogus"}]}),
            "FINDING_KIND",
            "/findings/0/kind",
        ),
        (
            json!({"outcome": "findings", "findings": [{"kind": "undervaluation", "correctedValue": "10"}]}),
            "FINDING_ITEM",
            "/findings/0/item",
        ),
        (
            json!({"outcome": "findings", "findings": [{"kind": "undervaluation", "item": 1, "correctedValue": "0.01"}]}),
            "FINDING_CORRECTED_VALUE",
            "/findings/0/correctedValue",
        ),
        (
            json!({"outcome": "findings", "findings": [{"kind": "misclassification", "item": 1, "correctedValue": "24022", "additionalDuties": "1"}]}),
            "FINDING_CORRECTED_VALUE",
            "/findings/0/correctedValue",
        ),
        (
            json!({"outcome": "findings", "findings": [{"kind": "other", "description": "x", "additionalDuties": "-5"}]}),
            "FINDING_ADDITIONAL_DUTIES",
            "/findings/0/additionalDuties",
        ),
    ] {
        let (s, v) = app.post_json(&result_path, &officer, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["error"]["pointer"], pointer, "{v}");
    }

    let (s, v) = app
        .post_json(
            &result_path,
            &officer,
            &json!({"outcome": "findings", "notes": "invoice looked altered", "findings": [
                {"kind": "undervaluation", "item": 1, "correctedValue": "99999999", "additionalDuties": "120.50"},
                {"kind": "misclassification", "item": 1, "correctedValue": "240310"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["outcome"], "findings");
    assert_eq!(v["resultBy"], "officer");
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["additionalDuties"], "120.5");
    assert!(
        f[0]["declaredValue"].is_string(),
        "declared value filled in"
    );
    assert_eq!(f[1]["declaredValue"], "2402200000");
    // The hash-chained event carries a readable summary.
    let events = app.events(&mrn, &officer).await;
    let notes = events
        .iter()
        .find_map(|e| match &e.body {
            tamga_core::lifecycle::EventBody::ControlResultRecorded { notes, .. } => notes.clone(),
            _ => None,
        })
        .unwrap();
    assert!(notes.contains("undervaluation on item 1"), "{notes}");
    assert!(notes.contains("invoice looked altered"), "{notes}");
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "task.result" && a.actor == "user:officer"));

    // Release with the existing endpoint; the task closes and a label appears.
    let (s, v) = app
        .post_json(
            &format!("/api/v1/declarations/{mrn}/release"),
            &officer,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    eventually(&app, &task_path, &officer, |t| t["status"] == "done").await;
    let (s, _) = app.get("/api/v1/analytics/labels", &officer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let labels = eventually(
        &app,
        "/api/v1/analytics/labels?after=0",
        &app.user_token("analyst"),
        |v| {
            v.as_array()
                .unwrap()
                .iter()
                .any(|l| l["mrn"] == mrn.as_str())
        },
    )
    .await;
    let l = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mrn"] == mrn.as_str())
        .unwrap();
    assert_eq!(l["inspected"], true);
    assert_eq!(l["outcome"], "findings");
    assert_eq!(
        l["findingKinds"],
        json!(["misclassification", "undervaluation"])
    );
    assert_eq!(l["finalState"], "released");

    // The trader's category moved: findings in 1 of 1 inspected.
    let trader = app.trader(2).id.clone();
    let p = eventually(
        &app,
        &format!("/api/v1/traders/{trader}/profile"),
        &app.user_token("analyst"),
        |v| v["metrics"]["withFindings"] == 1,
    )
    .await;
    assert_eq!(p["assessment"]["category"], "high", "{p}");
    assert!(codes(&p["assessment"]["reasons"]).contains(&"FINDINGS_RATE_HIGH".to_owned()));
    assert!(p["history"][0]["changes"][0]
        .as_str()
        .unwrap()
        .starts_with("category medium → high"));
}

async fn queued_tasks_are_dispatched_later_and_reassigned(app: TestApp) {
    let admin = app.user_token("admin");
    let officer = app.user_token("officer");
    let officer2 = add_officer(&app, "officer2", "UZ000100").await;
    let mrn = red_declaration(&app, 4).await;
    let task_path = format!("/api/v1/workbench/tasks/{mrn}");
    // No inspector yet: the task waits in the office queue, with the reason.
    let task = eventually(&app, &task_path, &officer, |_| true).await;
    assert!(task["inspector"].is_null(), "{task}");
    assert!(task["dispatch"]["explanation"]
        .as_str()
        .unwrap()
        .contains("no inspector is registered"));
    let (s, q) = app
        .get("/api/v1/offices/UZ000100/tasks?unassigned=true", &officer)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(q
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["mrn"] == mrn.as_str()));
    let (s, _) = app.get("/api/v1/offices/UZ000200/tasks", &officer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // An inspector registers: the queue is dispatched to it.
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer2",
            &admin,
            &json!({"office": "UZ000100", "capacity": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let task = eventually(&app, &task_path, &officer, |t| t["inspector"] == "officer2").await;
    assert!(task["assignedAt"].is_string());
    let (_, list) = app.get("/api/v1/inspectors", &officer).await;
    let o2 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["username"] == "officer2")
        .unwrap();
    assert_eq!(o2["openTasks"], 1);

    // A plain officer cannot reassign; a supervisor of the office can.
    let reassign = format!("/api/v1/workbench/tasks/{mrn}/reassignment");
    let body = json!({"inspector": "officer", "reason": "officer2 is on leave"});
    let (s, _) = app.post_json(&reassign, &officer, &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &admin,
            &json!({"office": "UZ000100", "capacity": 3, "supervisor": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post_json(
            &reassign,
            &officer,
            &json!({"inspector": "nobody", "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["pointer"], "/inspector");
    let (s, v) = app.post_json(&reassign, &officer, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["inspector"], "officer");
    assert!(v["dispatch"]["explanation"]
        .as_str()
        .unwrap()
        .contains("officer2 is on leave"));
    // Now officer2 may not act, officer may.
    let result = format!("/api/v1/workbench/tasks/{mrn}/result");
    let (s, _) = app
        .post_json(&result, &officer2, &json!({"outcome": "compliant"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .post_json(&result, &officer, &json!({"outcome": "compliant"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post_json(
            &format!("/api/v1/declarations/{mrn}/refusal"),
            &officer,
            &json!({"reason": "licence missing"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let labels = eventually(&app, "/api/v1/analytics/labels", &admin, |v| {
        v.as_array()
            .unwrap()
            .iter()
            .any(|l| l["mrn"] == mrn.as_str())
    })
    .await;
    let l = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mrn"] == mrn.as_str())
        .unwrap();
    assert_eq!(l["outcome"], "compliant");
    assert_eq!(l["finalState"], "refused");
    assert_eq!(l["findingKinds"], json!([]));
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "task.reassign"));
    assert!(audit.iter().any(|a| a.action == "inspector.put"));
}
