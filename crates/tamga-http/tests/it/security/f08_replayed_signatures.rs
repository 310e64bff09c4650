//! Finding 8 (low): signed bodies could be replayed on another declaration
//! or twice.
//!
//! The attack: a trader's signed invalidation body (`{"reason": ...}`) did
//! not name the declaration, so one signed body invalidated two; the same
//! signed control result was accepted and recorded twice. Now every signed
//! body names what it acts on, and a repeated act is answered as a replay
//! without a second record.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{
    lifecycle_amendment, lifecycle_cigarettes, lifecycle_eventually, lifecycle_invalidation,
    lifecycle_selectivity, TestApp,
};
use tamga_app::demo::demo_signing_key;

stories!(
    one_signed_invalidation_invalidates_one_declaration_once,
    the_same_signed_control_result_is_recorded_once,
    the_same_signed_task_result_is_recorded_once,
    an_amendment_names_the_declaration_it_amends,
);

async fn kinds(app: &TestApp, mrn: &str, token: &str) -> Vec<String> {
    app.events(mrn, token)
        .await
        .iter()
        .map(|e| e.body.kind().to_owned())
        .collect()
}

async fn one_signed_invalidation_invalidates_one_declaration_once(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let t = app.trader(2);
    let key = demo_signing_key(&t.id);
    let mut mrns = Vec::new();
    for _ in 0..2 {
        let (s, v) = app.lodge(2, &lifecycle_cigarettes(&app.body(2))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["state"], "under_control", "{v}");
        mrns.push(v["mrn"].as_str().unwrap().to_owned());
    }
    let (a, b) = (&mrns[0], &mrns[1]);
    app.control_compliant(a, 1).await;
    let signed = lifecycle_invalidation(a, "lodged twice by mistake");
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{a}/invalidation"),
            &t.token,
            Some(&key),
            &signed,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated");
    // The same signed body on the other declaration: refused, nothing written.
    let before = kinds(&app, b, &t.token).await;
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{b}/invalidation"),
            &t.token,
            Some(&key),
            &signed,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNED_MRN", "{v}");
    assert_eq!(v["error"]["pointer"], "/mrn", "{v}");
    assert_eq!(kinds(&app, b, &t.token).await, before);
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{b}"), &t.token)
        .await;
    assert_eq!(d["state"], "under_control", "{d}");
    // A body naming no declaration (the old format) is refused as well.
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{b}/invalidation"),
            &t.token,
            Some(&key),
            br#"{"reason":"lodged twice by mistake"}"#,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNED_MRN", "{v}");
    // The same request again on its declaration: a replay, one record.
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{a}/invalidation"),
            &t.token,
            Some(&key),
            &signed,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true, "{v}");
    assert_eq!(v["state"], "invalidated");
    let k = kinds(&app, a, &t.token).await;
    assert_eq!(k.iter().filter(|k| *k == "invalidated").count(), 1, "{k:?}");
}

async fn the_same_signed_control_result_is_recorded_once(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let (s, v) = app.lodge(5, &lifecycle_cigarettes(&app.body(5))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let officer = app.officer("officer");
    let body = json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "findings", "notes": "seal broken"});
    let path = format!("/api/v1/declarations/{mrn}/control-result");
    let (s, v) = app.act(&officer, &path, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("replay").is_none(), "{v}");
    let (s, v) = app.act(&officer, &path, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true, "{v}");
    let k = kinds(&app, &mrn, &officer.token).await;
    assert_eq!(
        k.iter().filter(|k| *k == "control_result_recorded").count(),
        1,
        "{k:?}"
    );
    // The same for a release: released once, then answered as a replay.
    let release = json!({"mrn": mrn, "act": "release", "version": 1});
    let path = format!("/api/v1/declarations/{mrn}/release");
    let (s, v) = app.act(&officer, &path, &release).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "released");
    let (s, v) = app.act(&officer, &path, &release).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true, "{v}");
    let k = kinds(&app, &mrn, &officer.token).await;
    assert_eq!(k.iter().filter(|k| *k == "released").count(), 1, "{k:?}");
}

async fn an_amendment_names_the_declaration_it_amends(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let t = app.trader(6);
    let key = demo_signing_key(&t.id);
    let mut docs = Vec::new();
    let mut mrns = Vec::new();
    for _ in 0..2 {
        let doc = lifecycle_cigarettes(&app.body(6));
        let (s, v) = app.lodge(6, &doc).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        mrns.push(v["mrn"].as_str().unwrap().to_owned());
        docs.push(doc);
    }
    let (a, b) = (&mrns[0], &mrns[1]);
    let mut changed = docs[0].clone();
    changed["items"][0]["description"] = json!("Cigarettes, corrected description");
    // Signed for B, posted to A: refused, nothing written (not even a
    // notification).
    let notes = app.notifications(6).await.len();
    let before = kinds(&app, a, &t.token).await;
    let wrong = lifecycle_amendment(b, &changed);
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{a}/amendments"),
            &t.token,
            Some(&key),
            &wrong,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNED_MRN", "{v}");
    assert_eq!(v["error"]["pointer"], "/mrn", "{v}");
    assert_eq!(kinds(&app, a, &t.token).await, before);
    assert_eq!(app.notifications(6).await.len(), notes);
    // A bare declaration (naming nothing) is refused too.
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{a}/amendments"),
            &t.token,
            Some(&key),
            &serde_json::to_vec(&changed).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "AMENDMENT_BODY", "{v}");
    // Naming A: accepted once; the same signed body again is a replay.
    let right = lifecycle_amendment(a, &changed);
    for replay in [false, true] {
        let (s, v) = app
            .send_signed(
                &format!("/api/v1/declarations/{a}/amendments"),
                &t.token,
                Some(&key),
                &right,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["version"], 2, "{v}");
        assert_eq!(v["replay"].as_bool().unwrap_or(false), replay, "{v}");
    }
    let k = kinds(&app, a, &t.token).await;
    assert_eq!(k.iter().filter(|k| *k == "amended").count(), 1, "{k:?}");
}

async fn the_same_signed_task_result_is_recorded_once(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let (s, v) = app.lodge(7, &lifecycle_cigarettes(&app.body(7))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let officer = app.officer("officer");
    let task = format!("/api/v1/workbench/tasks/{mrn}");
    lifecycle_eventually(&app, &task, &officer.token, |t| t["status"] == "open").await;
    let body = json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "findings",
        "findings": [{"kind": "other", "description": "seal broken"}]});
    let path = format!("{task}/result");
    let (s, v) = app.act(&officer, &path, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("replay").is_none(), "{v}");
    let (s, v) = app.act(&officer, &path, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true, "{v}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    let k = kinds(&app, &mrn, &officer.token).await;
    assert_eq!(
        k.iter().filter(|k| *k == "control_result_recorded").count(),
        1,
        "{k:?}"
    );
    let audit = app.store.audit_log(0, 10_000).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "task.result" && a.payload["mrn"] == mrn.as_str())
            .count(),
        1
    );
}
