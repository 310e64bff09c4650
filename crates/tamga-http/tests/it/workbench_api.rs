//! API stories of the workbench (issue 4): trader digital twin and
//! category, AEO status, inspectors, automatic dispatching, task results
//! with findings, reassignment and labels. Each runs on SQLite and, with
//! `TAMGA_TEST_PG_URL`, on PostgreSQL.

use crate::common;
use common::lifecycle_eventually as eventually;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::{Officer, TestApp};

stories!(
    trader_profile_category_and_aeo,
    controlled_declarations_are_dispatched_and_results_become_labels,
    queued_tasks_are_dispatched_later_and_reassigned,
    officer_acts_are_signed_and_kept_to_the_assigned_inspector,
);

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
    let me = app.officer("officer");
    let other = app.add_officer("officer2", "UZ000100").await;
    let officer2 = other.token.clone();
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
        .act(
            &other,
            &result_path,
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "compliant"}),
        )
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
        let mut body = body;
        body["mrn"] = json!(mrn);
        body["act"] = json!("task_result");
        body["version"] = json!(1);
        let (s, v) = app.act(&me, &result_path, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["error"]["pointer"], pointer, "{v}");
    }

    let (s, v) = app
        .act(
            &me,
            &result_path,
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "findings", "notes": "invoice looked altered", "findings": [
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
        .act(
            &me,
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 1}),
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
    let me = app.officer("officer");
    let other = app.add_officer("officer2", "UZ000100").await;
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
    let body = json!({"mrn": mrn, "act": "reassignment", "inspector": "officer", "reason": "officer2 is on leave"});
    let (s, _) = app.act(&me, &reassign, &body).await;
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
        .act(
            &me,
            &reassign,
            &json!({"mrn": mrn, "act": "reassignment", "inspector": "nobody", "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["pointer"], "/inspector");
    // Unsigned: refused, nothing changes.
    let (s, v) = app.post_json(&reassign, &officer, &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_MISSING");
    let (s, v) = app.act(&me, &reassign, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["inspector"], "officer");
    assert!(v["dispatch"]["explanation"]
        .as_str()
        .unwrap()
        .contains("officer2 is on leave"));
    // Now officer2 may not act, officer may.
    let result = format!("/api/v1/workbench/tasks/{mrn}/result");
    let (s, _) = app
        .act(
            &other,
            &result,
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .act(
            &me,
            &result,
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .act(
            &me,
            &format!("/api/v1/declarations/{mrn}/refusal"),
            &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "licence missing"}),
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

/// Sends `body` to `path` as `who`, with the signature made by `signer`
/// and, if given, an `X-Tamga-Key-Id` header.
async fn signed_by(
    app: &TestApp,
    who: &Officer,
    signer: &ed25519_dalek::SigningKey,
    key_id: Option<&str>,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(&who.token)
        .header("content-type", "application/json")
        .header(
            "x-tamga-signature",
            tamga_core::signature::sign(signer, &bytes),
        )
        .body(bytes);
    if let Some(k) = key_id {
        req = req.header("x-tamga-key-id", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn officer_acts_are_signed_and_kept_to_the_assigned_inspector(app: TestApp) {
    use tamga_core::lifecycle::EventBody;
    use tamga_core::signature;

    let admin = app.officer("admin");
    let a = app.officer("officer");
    let b = app.add_officer("officer2", "UZ000100").await;
    // Only officers and administrators register keys for acts.
    let (s, _) = app
        .post_json(
            "/api/v1/account/signing-keys",
            &app.user_token("analyst"),
            &json!({"publicKey": signature::public_key_b64(&b.key.verifying_key())}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .add_own_key(
            &b.token,
            &b.key,
            &b.name,
            &signature::public_key_b64(&b.key.verifying_key()),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS");
    // A weak (small-order) officer key is refused.
    let (s, v) = app
        .add_own_key(
            &b.token,
            &b.key,
            &b.name,
            "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_WEAK");
    let b_key_id =
        tamga_app::clearance::key_id_of(&signature::public_key_b64(&b.key.verifying_key()));
    // Only officer A is an inspector: the task goes to A.
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &admin.token,
            &json!({"office": "UZ000100", "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mrn = red_declaration(&app, 5).await;
    let task_path = format!("/api/v1/workbench/tasks/{mrn}");
    eventually(&app, &task_path, &a.token, |t| t["inspector"] == "officer").await;
    let control = format!("/api/v1/declarations/{mrn}/control-result");
    let release = format!("/api/v1/declarations/{mrn}/release");
    let refusal = format!("/api/v1/declarations/{mrn}/refusal");
    let events_before = app.events(&mrn, &a.token).await.len();

    // Inspector B may not act on A's task through the declaration
    // endpoints either, even with a valid signature.
    for (path, body) in [
        (
            &control,
            json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant"}),
        ),
        (
            &release,
            json!({"mrn": mrn, "act": "release", "version": 1}),
        ),
        (
            &refusal,
            json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "not mine"}),
        ),
    ] {
        let (s, v) = app.act(&b, path, &body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("assigned to officer"));
    }

    // Unsigned, signed with another officer's key, for another body or
    // another declaration: refused, nothing written.
    let body = json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant", "notes": "seals intact"});
    let (s, v) = app.post_json(&control, &a.token, &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_MISSING");
    let (s, v) = signed_by(&app, &a, &b.key, None, &control, &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_INVALID");
    let (s, v) = signed_by(&app, &a, &b.key, Some(&b_key_id), &control, &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_KEY_UNKNOWN");
    let bytes = serde_json::to_vec(&body).unwrap();
    let r = app
        .http
        .post(format!("{}{control}", app.base))
        .bearer_auth(&a.token)
        .header("content-type", "application/json")
        .header("x-tamga-signature", signature::sign(&a.key, &bytes))
        .body(
            serde_json::to_vec(
                &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "findings"}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app
        .act(
            &a,
            &control,
            &json!({"mrn": "26UZ0000000000001A", "act": "control_result", "version": 1, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNED_MRN");
    assert_eq!(v["error"]["pointer"], "/mrn");
    let (s, v) = app
        .act(&a, &control, &json!({"outcome": "compliant"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNED_MRN");
    // A body signed for one act is refused by every other act's endpoint.
    let task_result = format!("/api/v1/workbench/tasks/{mrn}/result");
    for path in [&task_result, &release, &refusal] {
        let (s, v) = app.act(&a, path, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["error"]["code"], "OFFICER_SIGNED_ACT", "{path}: {v}");
        assert_eq!(v["error"]["pointer"], "/act");
    }
    let (s, v) = app
        .act(
            &a,
            &refusal,
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNED_ACT");
    let (s, v) = app.act(&a, &release, &json!({"mrn": mrn})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNED_ACT");
    // Only the act's own fields may follow "mrn" and "act".
    let (s, v) = app
        .act(
            &a,
            &release,
            &json!({"mrn": mrn, "act": "release", "version": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "REQUEST_JSON");
    // A signed body with a repeated key reads two ways: refused.
    let dup =
        format!(r#"{{"mrn":"{mrn}","act":"release","version":1,"act":"refusal","reason":"x"}}"#);
    let (s, v) = app
        .send_signed(&refusal, &a.token, Some(&a.key), dup.as_bytes())
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "REQUEST_JSON");
    let (_, t) = app.get(&task_result.replace("/result", ""), &a.token).await;
    assert_eq!(t["status"], "open", "{t}");
    assert_eq!(app.events(&mrn, &a.token).await.len(), events_before);

    // A signs the control result.
    let (s, v) = app.act(&a, &control, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // An unsigned release changes nothing.
    let (s, v) = app
        .post_json(
            &release,
            &a.token,
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_MISSING");
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &a.token)
        .await;
    assert_eq!(d["state"], "under_control");
    assert_eq!(app.events(&mrn, &a.token).await.len(), events_before + 1);

    // The administrator may act on A's task; it releases, signed.
    let (s, v) = app
        .act(
            &admin,
            &release,
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "released");

    // The stored signatures re-verify from what is stored, with the
    // signers' public keys…
    let events = app.events(&mrn, &a.token).await;
    tamga_core::lifecycle::verify_chain(&events).unwrap();
    let control_event = events
        .iter()
        .find(|e| matches!(e.body, EventBody::ControlResultRecorded { .. }))
        .unwrap();
    let sig = control_event.body.officer_signature().expect("signed");
    assert_eq!(sig.body.as_bytes(), bytes.as_slice());
    assert_eq!(sig.verify(&a.key.verifying_key()), Ok(()));
    assert!(sig.verify(&b.key.verifying_key()).is_err());
    let released = events
        .iter()
        .find(|e| matches!(e.body, EventBody::Released { .. }))
        .unwrap();
    assert_eq!(
        released.actor,
        tamga_core::lifecycle::Actor::Officer("admin".into())
    );
    let sig = released.body.officer_signature().expect("signed");
    assert_eq!(sig.verify(&admin.key.verifying_key()), Ok(()));
    assert_eq!(
        Some(sig.key_id.clone()),
        app.demo
            .users
            .iter()
            .find(|u| u.username == "admin")
            .unwrap()
            .key_id
    );
    // …and through the API, for anyone who may see the declaration.
    let (s, checks) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/signatures"),
            &app.trader(5).token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{checks}");
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 2, "{checks:?}");
    for c in checks {
        assert_eq!(c["signed"], true, "{c}");
        assert_eq!(c["valid"], true, "{c}");
    }
    assert_eq!(checks[0]["kind"], "control_result_recorded");
    assert_eq!(checks[1]["kind"], "released");
    assert_eq!(
        checks[0]["bodySha256"],
        tamga_app::clearance::sha256_hex(&bytes)
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/signatures"),
            &app.trader(0).token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
