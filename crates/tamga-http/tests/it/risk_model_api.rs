//! API stories of the learning risk model (issue 17): officers' recorded
//! results become labels; an analyst trains a model from them (the latest
//! part held out and validated), activates it, and every lodging is then
//! scored with the model's version and the features behind the score on
//! the decision (never shown to the trader); exploration records its
//! probability; rollback and deactivation; who may do what; another
//! instance follows the activation. Each runs on SQLite and, with
//! `TAMGA_TEST_PG_URL`, on PostgreSQL.

use crate::common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::model::{inspected, labels, setup};
use common::TestApp;
use tamga_core::lifecycle::{Channel, EventBody};

use crate::portal_login::{client, page_login, HTML};
use tamga_core::risk::RiskDecision;

stories!(
    a_model_trained_on_recorded_results_scores_every_lodging,
    the_registry_refuses_what_it_must,
);

/// Uploads a model file as `token`: the status and the JSON answer.
async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/risk/models/upload", app.base))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// GETs a portal page with a session cookie.
async fn page(app: &TestApp, session: &str, path: &str) -> String {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// The risk decision recorded at lodging, as an officer reads it.
async fn decision(app: &TestApp, mrn: &str) -> RiskDecision {
    app.events(mrn, &app.user_token("officer"))
        .await
        .into_iter()
        .find_map(|e| match e.body {
            EventBody::RiskAssessed { decision, .. } => Some(decision),
            _ => None,
        })
        .expect("a risk decision")
}

async fn trained(app: &TestApp) -> Value {
    setup(app).await;
    // Trader 3 cheats every time, the others never.
    for k in 0..40 {
        let i = [1, 2, 3, 4][k % 4];
        inspected(app, i, i == 3).await;
    }
    labels(app, 40).await;
    let analyst = app.user_token("analyst");
    let (s, m) = app
        .post_json(
            "/api/v1/risk/models",
            &analyst,
            &json!({"seed": 7, "trees": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

async fn a_model_trained_on_recorded_results_scores_every_lodging(app: TestApp) {
    let m = trained(&app).await;
    let analyst = app.user_token("analyst");
    let v = m["version"].as_i64().unwrap();
    assert_eq!(m["source"], "database");
    assert_eq!(m["active"], false);
    assert_eq!(m["contentHash"].as_str().unwrap().len(), 64);
    assert!(m["rows"].as_i64().unwrap() >= 30, "{m}");
    assert!(m["frauds"].as_i64().unwrap() > 0, "{m}");
    // The latest fifth was held out and the model validated on it.
    let val = &m["validation"];
    assert!(val["candidate"]["rows"].as_u64().unwrap() >= 8, "{m}");
    assert_eq!(val["better"], true, "no model active: nothing to beat");
    assert!(val["meanUncertainty"].as_f64().is_some(), "{m}");

    // Managers read the registry but do not change it; traders and
    // officers learn nothing of it.
    let (s, _) = app
        .get("/api/v1/risk/models", &app.user_token("manager"))
        .await;
    assert_eq!(s, StatusCode::OK);
    for who in ["manager", "officer"] {
        let (s, _) = app
            .post_json(
                &format!("/api/v1/risk/models/{v}/activation"),
                &app.user_token(who),
                &json!({"reason": "try"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    for path in ["/api/v1/risk/models", &format!("/api/v1/risk/models/{v}")] {
        let (s, _) = app.get(path, &app.trader(1).token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        let (s, _) = app.get(path, &app.user_token("officer")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }

    // Activated with a reason, it scores the next lodging.
    let (s, e) = app
        .post_json(
            &format!("/api/v1/risk/models/{v}/activation"),
            &analyst,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "REASON");
    assert_eq!(e["error"]["pointer"], "/reason");
    let (s, r) = app
        .post_json(
            &format!("/api/v1/risk/models/{v}/activation"),
            &analyst,
            &json!({"reason": "first model from officers' results"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["active"], v);
    assert_eq!(r["history"][0]["action"], "activate");

    let doc = app.body(3);
    let (s, lodged) = app.lodge(3, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{lodged}");
    let mrn = lodged["mrn"].as_str().unwrap();
    let d = decision(&app, mrn).await;
    let model = d.combined.model.as_ref().expect("scored by the model");
    assert_eq!(model.version, v);
    assert_eq!(model.content_hash, m["contentHash"].as_str().unwrap());
    // The contributions are recorded when the declaration is selected
    // (an officer's task); a green one is explained when an officer opens
    // it (below).
    assert_eq!(
        model.contributions.is_empty(),
        d.channel == Channel::Green,
        "{model:?}"
    );
    assert!(model.contributions.len() <= 5);
    assert_eq!(d.combined.model_score, Some(model.score));
    assert!(d.combined.model_fallback.is_none());
    // The trader sees the channel only.
    let (s, mine) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/events"),
            &app.trader(3).token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let text = mine.to_string();
    assert!(
        !text.contains("contributions") && !text.contains("modelScore"),
        "{text}"
    );

    // Another instance on the same database scores with it too.
    let other = app.another_instance().await;
    let body = serde_json::to_vec(&app.body(1)).unwrap();
    let t = app.trader(1);
    let r = reqwest::Client::new()
        .post(format!("{other}/api/v1/declarations"))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .header(
            "x-tamga-signature",
            tamga_core::signature::sign(&tamga_app::demo::demo_signing_key(&t.id), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v2: Value = r.json().await.unwrap();
    let d = decision(&app, v2["mrn"].as_str().unwrap()).await;
    assert_eq!(d.combined.model.as_ref().map(|m| m.version), Some(v));

    // Exploration: half of what nothing else selects, with its probability.
    let (s, p) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &analyst,
            &json!({"blueRate": "0", "lowFactor": "1", "aeoFactor": "1", "highFactor": "1",
                    "highMinimum": "green", "modelYellow": "0.99", "modelRed": "1",
                    "exploration": {"strategy": "random", "share": "0.5", "minShare": "0.1",
                                    "maxShare": "0.5", "channel": "yellow"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let mut explored = Vec::new();
    let mut green = Vec::new();
    for k in 0..12 {
        let i = 1 + k % 4;
        let (s, l) = app.lodge(i, &app.body(i)).await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
        let d = decision(&app, l["mrn"].as_str().unwrap()).await;
        let x = d
            .combined
            .exploration
            .as_ref()
            .expect("the draw is recorded");
        assert_eq!(x.probability, "0.5".parse().unwrap());
        assert_eq!(x.selected, x.draw < x.probability);
        let contributions = &d.combined.model.as_ref().expect("scored").contributions;
        assert_eq!(contributions.is_empty(), !x.selected, "{contributions:?}");
        if x.selected {
            explored.push(l["mrn"].as_str().unwrap().to_owned());
            assert_eq!(d.channel, tamga_core::lifecycle::Channel::Yellow);
            assert_eq!(
                d.combined.selection_probability,
                Some("0.5".parse().unwrap())
            );
            assert!(
                d.explanation.contains("selected to explore"),
                "{}",
                d.explanation
            );
        } else {
            assert_eq!(d.channel, tamga_core::lifecycle::Channel::Green);
            green.push(l["mrn"].as_str().unwrap().to_owned());
        }
    }
    // An officer opening a green declaration sees why the model scored it
    // as it did, computed from the registered model file; the trader's
    // view of the same declaration never has it.
    let officer = page_login(&app, "officer").await;
    let page = page(
        &app,
        &officer,
        &format!("/officer/declarations/{}", green[0]),
    )
    .await;
    assert!(page.contains("Why the model scored it"), "{page}");
    let officer_caller = tamga_app::Caller::User(
        app.store
            .user("officer")
            .await
            .unwrap()
            .expect("demo officer"),
    );
    let mrn_of = |m: &str| tamga_core::codes::Mrn::parse(m).unwrap();
    let explained = app
        .risk
        .explain_decision(&officer_caller, &mrn_of(&green[0]))
        .await
        .unwrap()
        .expect("scored");
    assert!(!explained.contributions.is_empty());
    assert!(page.contains(&explained.contributions[0].feature), "{page}");
    // Not to a trader (not customs staff).
    let trader =
        tamga_app::Caller::Operator(tamga_core::codes::Eori::parse(&app.trader(1).id).unwrap());
    assert!(app
        .risk
        .explain_decision(&trader, &mrn_of(&green[0]))
        .await
        .is_err());
    assert!(
        (1..12).contains(&explored.len()),
        "{} of 12 explored",
        explored.len()
    );

    // The explored declarations are inspected: all found something.
    let me = app.officer("officer");
    for mrn in &explored {
        let (s, v) = app
            .act(
                &me,
                &format!("/api/v1/declarations/{mrn}/control-result"),
                &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "findings"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app
            .act(
                &me,
                &format!("/api/v1/declarations/{mrn}/refusal"),
                &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "found"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    labels(&app, 40 + explored.len()).await;
    // Adaptive: the daily job counts the yields by how they were selected
    // (too few controls to move the share), once per period whichever
    // instance asks.
    let (s, p) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &analyst,
            &json!({"blueRate": "0", "lowFactor": "1", "aeoFactor": "1", "highFactor": "1",
                    "highMinimum": "green", "modelYellow": "0.99", "modelRed": "1",
                    "exploration": {"strategy": "adaptive", "share": "0.5", "minShare": "0.1",
                                    "maxShare": "0.5", "channel": "yellow"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let now = time::OffsetDateTime::now_utc();
    app.risk.run_due_jobs("instance-a", now).await.unwrap();
    let share = app
        .store
        .risk_setting("exploration_share")
        .await
        .unwrap()
        .expect("the adaptive job wrote the share");
    let n = explored.len() as u64;
    assert_eq!(share["explore"], json!([n, n]), "{share}");
    assert_eq!(share["other"], json!([0, 0]), "{share}");
    assert_eq!(share["share"], "0.5");
    let drift_before = app.store.risk_setting("model_drift").await.unwrap();
    assert!(
        drift_before.is_some(),
        "the drift job ran with a model live"
    );
    // Another instance at the same moment finds the period's work done.
    app.store
        .put_risk_setting("exploration_share", &json!(null))
        .await
        .unwrap();
    app.risk.run_due_jobs("instance-b", now).await.unwrap();
    assert_eq!(
        app.store.risk_setting("exploration_share").await.unwrap(),
        Some(Value::Null)
    );

    // Drift: this period's scores, none before.
    let (s, drift) = app.get("/api/v1/risk/models/drift?days=7", &analyst).await;
    assert_eq!(s, StatusCode::OK, "{drift}");
    assert_eq!(drift["version"], v);
    assert!(
        drift["current"]["scored"].as_u64().unwrap() >= 14,
        "{drift}"
    );
    assert_eq!(drift["reference"]["scored"], 0);
    let (s, e) = app.get("/api/v1/risk/models/drift?days=0", &analyst).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["pointer"], "/days");

    // Deactivated: the rules alone, nothing recorded of a model.
    let (s, r) = app
        .post_json(
            "/api/v1/risk/models/deactivation",
            &analyst,
            &json!({"reason": "back to the rules"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["active"], Value::Null);
    let (_, l) = app.lodge(2, &app.body(2)).await;
    let d = decision(&app, l["mrn"].as_str().unwrap()).await;
    assert!(d.combined.model.is_none() && d.combined.model_fallback.is_none());
    // Rolled back: the model again.
    let (s, r) = app
        .post_json(
            "/api/v1/risk/models/rollback",
            &analyst,
            &json!({"reason": "the model was fine"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["active"], v);
    assert_eq!(r["history"][0]["action"], "rollback");
}

async fn the_registry_refuses_what_it_must(app: TestApp) {
    let analyst = app.user_token("analyst");
    // Nothing to learn from yet.
    let (s, e) = app
        .post_json("/api/v1/risk/models", &analyst, &json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "NOT_ENOUGH_LABELS");
    for (body, pointer) in [
        (json!({"trees": 1}), "/trees"),
        (json!({"latestDays": 0}), "/latestDays"),
    ] {
        let (s, e) = app.post_json("/api/v1/risk/models", &analyst, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["error"]["pointer"], pointer, "{e}");
    }
    // Nothing to roll back.
    let (s, e) = app
        .post_json(
            "/api/v1/risk/models/rollback",
            &analyst,
            &json!({"reason": "undo"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "NOTHING_TO_ROLL_BACK");
    // A corrupt or foreign file is refused at upload.
    for bytes in [b"not a model".to_vec(), br#"{"format":"other"}"#.to_vec()] {
        let (s, e) = upload(&app, &analyst, bytes).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(e["error"]["code"], "MODEL_FILE", "{e}");
    }
    let (s, e) = app.get("/api/v1/risk/models/abc", &analyst).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "MODEL_VERSION");
    let (s, _) = app.get("/api/v1/risk/models/999", &analyst).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A model file registered by upload is not validated: never active.
    let m = trained(&app).await;
    let v = m["version"].as_i64().unwrap();
    let file = reqwest::Client::new()
        .get(format!("{}/api/v1/risk/models/{v}/file", app.base))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let bytes = file.bytes().await.unwrap();
    let (s, u) = upload(&app, &analyst, bytes.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["source"], "upload");
    assert_eq!(
        u["contentHash"], m["contentHash"],
        "the same file, the same hash"
    );
    assert_eq!(u["validation"], Value::Null);
    let uv = u["version"].as_i64().unwrap();
    let (s, e) = app
        .post_json(
            &format!("/api/v1/risk/models/{uv}/activation"),
            &analyst,
            &json!({"reason": "unvalidated"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "NOT_VALIDATED");
    // Its training data is all of today: nothing after it to validate on.
    let (s, e) = app
        .post_json(
            &format!("/api/v1/risk/models/{uv}/validation"),
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "NO_LATEST_PERIOD");
    // Validation is written once.
    let (s, e) = app
        .post_json(
            &format!("/api/v1/risk/models/{v}/validation"),
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "ALREADY_VALIDATED");
    // The schedule is checked.
    let (s, e) = app
        .put_json(
            "/api/v1/risk/model-schedule",
            &analyst,
            &json!({"retrainEveryDays": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["pointer"], "/retrainEveryDays");
    let (s, e) = app
        .put_json(
            "/api/v1/risk/model-schedule",
            &analyst,
            &json!({"retrainEveryDays": 7, "latestDays": 14}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let (s, e) = app.get("/api/v1/risk/model-schedule", &analyst).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["retrainEveryDays"], 7);
}
