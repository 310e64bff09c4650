//! API story tests: the real server on port 0, driven over HTTP like a
//! trader, a broker and an officer would. Every story runs on SQLite, and
//! on PostgreSQL too when `TAMGA_TEST_PG_URL` is set.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::demo::demo_signing_key;
use tamga_core::codes::OfficeCode;
use tamga_core::lifecycle::{replay, verify_chain};
use tamga_core::signature;
use tamga_store::{Principal, Role, User};

use common::{codes, TestApp};

stories!(
    health_and_openapi,
    green_declaration_is_released_automatically,
    resend_is_idempotent_and_lrn_conflicts_are_refused,
    bad_signatures_register_nothing,
    control_reports_every_violation_with_pointers,
    traders_cannot_read_or_change_each_others_declarations,
    officer_controls_and_releases_a_red_declaration,
    refusal_invalidation_and_amendment,
    errors_are_json_with_codes,
    a_broker_lodges_for_its_client,
);

// The receiver is on loopback: the test-only switch lets webhooks reach it.
webhook_loopback_stories!(webhook_receives_pushed_notifications);

async fn health_and_openapi(app: TestApp) {
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/api/v1/declarations",
        "/api/v1/declarations/{mrn}",
        "/api/v1/declarations/{mrn}/events",
        "/api/v1/declarations/{mrn}/amendments",
        "/api/v1/declarations/{mrn}/invalidation",
        "/api/v1/declarations/{mrn}/control-result",
        "/api/v1/declarations/{mrn}/release",
        "/api/v1/declarations/{mrn}/refusal",
        "/api/v1/declarations/{mrn}/signatures",
        "/api/v1/offices/{office}/queue",
        "/api/v1/notifications",
        "/api/v1/account",
        "/api/v1/account/webhook",
        "/api/v1/account/signing-keys",
        "/api/v1/selectivity/criteria",
        "/api/v1/selectivity/criteria/{id}",
        "/api/v1/selectivity/random",
        "/api/v1/control/rules",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    let (s, rules) = app.get("/api/v1/control/rules", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(rules.as_array().unwrap().len() >= 60);
}

async fn green_declaration_is_released_automatically(app: TestApp) {
    let doc = app.body(0);
    let (s, v) = app.lodge(0, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    assert_eq!(mrn.len(), 18);
    assert!(tamga_core::codes::Mrn::parse(&mrn).is_ok());
    assert_eq!(v["state"], "released");
    assert_eq!(v["channel"], "green");
    assert_eq!(v["lrn"], doc["lrn"]);

    // The trader was told: registered, then released, in that order.
    let kinds: Vec<String> = app
        .notifications(0)
        .await
        .iter()
        .filter(|n| n["mrn"] == mrn.as_str())
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["registered", "released"]);

    // The event log explains it, is intact, and folds to the same state.
    let events = app.events(&mrn, &app.trader(0).token).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "lodged",
            "registered",
            "risk_assessed",
            "duties_assessed",
            "payment_secured",
            "released"
        ]
    );
    // The trader sees the risk decision redacted (its channel only), so
    // the chain is verified on the full record an administrator reads.
    let full = app.events(&mrn, &app.user_token("admin")).await;
    verify_chain(&full).unwrap();
    let state = replay(events.iter().map(|e| &e.body)).unwrap().unwrap();
    assert_eq!(state.as_str(), "released");
    // Duties were assessed with the tariff, explained per item and
    // measure, reserved and debited from the trader's account.
    let duties = serde_json::to_value(&events[3].body).unwrap();
    assert_eq!(duties["result"]["status"], "assessed", "{duties}");
    let total: rust_decimal::Decimal = duties["result"]["total"].as_str().unwrap().parse().unwrap();
    assert!(total > rust_decimal::Decimal::ZERO, "{duties}");
    assert!(!duties["result"]["assessment"]["items"][0]["lines"]
        .as_array()
        .unwrap()
        .is_empty());
    let payment = serde_json::to_value(&events[4].body).unwrap();
    assert_eq!(payment["result"]["status"], "reserved");
    assert_eq!(payment["result"]["amount"], duties["result"]["total"]);

    // It is in the trader's list and readable by the office's officer.
    let (_, list) = app.get("/api/v1/declarations", &app.trader(0).token).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["mrn"] == mrn.as_str()));
    let (s, _) = app
        .get(
            &format!("/api/v1/declarations/{mrn}"),
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn resend_is_idempotent_and_lrn_conflicts_are_refused(app: TestApp) {
    let doc = app.body(1);
    let (s, first) = app.lodge(1, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = app.lodge(1, &doc).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["mrn"], first["mrn"]);
    assert_eq!(again["replay"], true);
    assert_eq!(app.count().await, 1);

    let mut changed = doc.clone();
    changed["items"][0]["description"] = json!("a different description");
    let (s, v) = app.lodge(1, &changed).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "FLC-LRN-CONFLICT");
    assert_eq!(v["error"]["pointer"], "/lrn");
    assert_eq!(app.count().await, 1);
    // A broken body under a used LRN: the conflict is listed with the rest.
    let mut broken = doc.clone();
    broken["items"][0]["netMassKg"] = json!("9999999");
    let (s, v) = app.lodge(1, &broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let c = codes(&v);
    assert!(c.contains(&"FLC-LRN-CONFLICT".to_owned()), "{v}");
    assert!(c.contains(&"FLC-NET-EXCEEDS-GROSS".to_owned()), "{v}");
    assert_eq!(app.count().await, 1);

    // Concurrent identical re-sends register exactly one declaration.
    let doc = app.body(1);
    let body = serde_json::to_vec(&doc).unwrap();
    let t = app.trader(1).clone();
    let sig = signature::sign(&demo_signing_key(&t.id), &body);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, url, token, sig, body) = (
            app.http.clone(),
            format!("{}/api/v1/declarations", app.base),
            t.token.clone(),
            sig.clone(),
            body.clone(),
        );
        set.spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("x-tamga-signature", sig)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        });
    }
    let mut mrns = std::collections::HashSet::new();
    while let Some(r) = set.join_next().await {
        let (s, v) = r.unwrap();
        assert!(s.is_success(), "{v}");
        mrns.insert(v["mrn"].as_str().unwrap().to_owned());
    }
    assert_eq!(mrns.len(), 1);
    assert_eq!(app.count().await, 2);
}

async fn bad_signatures_register_nothing(app: TestApp) {
    let t = app.trader(2);
    let doc = app.body(2);
    let body = serde_json::to_vec(&doc).unwrap();

    let (s, v) = app
        .send_signed("/api/v1/declarations", &t.token, None, &body)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(codes(&v).contains(&"FLC-SIGNATURE-MISSING".to_owned()));

    // Signed by another trader's key.
    let other = demo_signing_key(&app.trader(3).id);
    let (s, v) = app
        .send_signed("/api/v1/declarations", &t.token, Some(&other), &body)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()));

    // Signed correctly, then one byte of the body changed.
    let sig = signature::sign(&demo_signing_key(&t.id), &body);
    let mut tampered = body.clone();
    let pos = tampered.iter().position(|&b| b == b'1').unwrap();
    tampered[pos] = b'2';
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&t.token)
        .header("x-tamga-signature", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Unknown key id.
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&t.token)
        .header(
            "x-tamga-signature",
            signature::sign(&demo_signing_key(&t.id), &body),
        )
        .header("x-tamga-key-id", "0000000000000000")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(codes(&v).contains(&"FLC-SIGNING-KEY-UNKNOWN".to_owned()));

    assert_eq!(app.count().await, 0, "nothing may be registered");
    // The trader is told about each rejection.
    let rejected = app
        .notifications(2)
        .await
        .iter()
        .filter(|n| n["kind"] == "rejected")
        .count();
    assert_eq!(rejected, 4);
    // And the correct signature still works afterwards.
    let (s, v) = app.lodge(2, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

async fn control_reports_every_violation_with_pointers(app: TestApp) {
    let mut doc = app.body(0);
    let item = &mut doc["items"][0];
    item["netMassKg"] = json!("99999");
    item["hsCode"] = json!("770000");
    item["origin"] = json!("XX");
    doc["invoice"]["currency"] = json!("ZZZ");
    doc["declarationOffice"] = json!("UZ999999");
    doc["totals"]["packages"] = json!(123456);
    let (s, v) = app.lodge(0, &doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "DECLARATION_REJECTED");
    let found: Vec<(String, String)> = v["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["code"].as_str().unwrap().to_owned(),
                x["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (code, pointer) in [
        ("FLC-NET-EXCEEDS-GROSS", "/items/0/netMassKg"),
        ("FLC-HS-UNKNOWN", "/items/0/hsCode"),
        ("FLC-COUNTRY-UNKNOWN", "/items/0/origin"),
        ("FLC-CURRENCY-UNKNOWN", "/invoice/currency"),
        ("FLC-OFFICE-UNKNOWN", "/declarationOffice"),
        ("FLC-TOTAL-PACKAGES", "/totals/packages"),
    ] {
        assert!(
            found.iter().any(|(c, p)| c == code && p == pointer),
            "missing {code} at {pointer} in {found:?}"
        );
    }
    assert_eq!(app.count().await, 0);
    // Not JSON at all.
    let t = app.trader(0);
    let (s, v) = app
        .send_signed(
            "/api/v1/declarations",
            &t.token,
            Some(&demo_signing_key(&t.id)),
            b"{\"lrn\": ",
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&v), ["FLC-JSON-SYNTAX"]);
}

async fn traders_cannot_read_or_change_each_others_declarations(app: TestApp) {
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED);
    let mrn = v["mrn"].as_str().unwrap();
    let thief = app.trader(1);
    let key = demo_signing_key(&thief.id);

    let (s, v) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &thief.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, _) = app
        .get(&format!("/api/v1/declarations/{mrn}/events"), &thief.token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/declarations", &thief.token).await;
    assert!(list.as_array().unwrap().is_empty());
    let inv = common::lifecycle_invalidation(mrn, "mine now");
    let (s, _) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/invalidation"),
            &thief.token,
            Some(&key),
            &inv,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let amend = common::lifecycle_amendment(mrn, &app.body(1));
    let (s, _) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &thief.token,
            Some(&key),
            &amend,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A trader is not an officer.
    let (s, v) = app
        .post_json(
            &format!("/api/v1/declarations/{mrn}/release"),
            &thief.token,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = app
        .get("/api/v1/offices/UZ000100/queue", &thief.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // An officer of another office sees nothing of this one.
    let other = OfficeCode::parse("UZ000200").unwrap();
    app.store
        .create_user(&User::staff(
            "officer2",
            "Officer Two",
            Role::Officer,
            vec![other],
            OffsetDateTime::now_utc(),
        ))
        .await
        .unwrap();
    let token = "test-officer2-token";
    app.store
        .add_token(
            &tamga_app::clearance::sha256_hex(token.as_bytes()),
            &Principal::User {
                username: "officer2".into(),
            },
            "test",
        )
        .await
        .unwrap();
    let (s, _) = app.get(&format!("/api/v1/declarations/{mrn}"), token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/offices/UZ000100/queue", token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The owner still sees it unchanged.
    let (s, v) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &app.trader(0).token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "released");
}

async fn red_declaration(app: &TestApp, i: usize) -> String {
    let mut doc = app.body(i);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
    // The tariff charges cigarettes per 1,000 pieces: declared in MIL.
    doc["items"][0]["supplementaryUnits"] = json!("40");
    let (s, v) = app.lodge(i, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    assert_eq!(v["channel"], "red");
    v["mrn"].as_str().unwrap().to_owned()
}

async fn set_tobacco_criterion(app: &TestApp) {
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &app.user_token("officer"),
            &json!({"description": "HS chapter 24 from any origin", "hsPrefix": "24", "channel": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn officer_controls_and_releases_a_red_declaration(app: TestApp) {
    // Traders cannot configure selectivity.
    let (s, _) = app
        .put_json(
            "/api/v1/selectivity/criteria/X",
            &app.trader(0).token,
            &json!({"hsPrefix": "24", "channel": "red", "description": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A criterion without conditions is refused with a pointer.
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/EMPTY",
            &app.user_token("officer"),
            &json!({"channel": "red", "description": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "CRITERION_EMPTY");
    set_tobacco_criterion(&app).await;

    let mrn = red_declaration(&app, 3).await;
    let officer = app.user_token("officer");
    let (s, q) = app.get("/api/v1/offices/UZ000100/queue", &officer).await;
    assert_eq!(s, StatusCode::OK);
    assert!(q
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["mrn"] == mrn.as_str()));

    // The decision explains itself.
    let events = app.events(&mrn, &officer).await;
    let risk = serde_json::to_value(&events[2].body).unwrap();
    assert_eq!(risk["decision"]["hits"][0]["criterionId"], "TOBACCO");
    assert!(risk["decision"]["explanation"]
        .as_str()
        .unwrap()
        .contains("TOBACCO"));

    // Release needs a control result first.
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "CONTROL_RESULT_MISSING");
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/control-result"),
            &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant", "notes": "seals intact, goods as declared"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "released");
    // Once released, nothing more.
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/refusal"),
            &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "late"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "INVALID_STATE");

    let kinds: Vec<String> = app
        .notifications(3)
        .await
        .iter()
        .filter(|n| n["mrn"] == mrn.as_str())
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["registered", "under_control", "released"]);
    let events = app.events(&mrn, &officer).await;
    verify_chain(&events).unwrap();
    assert!(events
        .iter()
        .any(|e| e.body.kind() == "control_result_recorded"));
    let (_, q) = app.get("/api/v1/offices/UZ000100/queue", &officer).await;
    assert!(!q
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["mrn"] == mrn.as_str()));
}

async fn refusal_invalidation_and_amendment(app: TestApp) {
    set_tobacco_criterion(&app).await;
    let t = app.trader(4);
    let key = demo_signing_key(&t.id);

    // Refusal.
    let mrn = red_declaration(&app, 4).await;
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/refusal"),
            &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "prohibited goods found"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "refused");

    // Invalidation needs a signature and a reason.
    let mrn = red_declaration(&app, 4).await;
    let path = format!("/api/v1/declarations/{mrn}/invalidation");
    let (s, _) = app
        .send_signed(&path, &t.token, None, br#"{"reason":"duplicate"}"#)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_invalidation(&mrn, " "),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["pointer"], "/reason");
    // Not before the announced control has taken place (UCC art. 174(2)).
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_invalidation(&mrn, "lodged twice by mistake"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "INVALIDATION_UNDER_CONTROL", "{v}");
    app.control_compliant(&mrn, 1).await;
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_invalidation(&mrn, "lodged twice by mistake"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated");
    let (s, _) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_invalidation(&mrn, "again"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Amendment: accepted when valid, refused (and nothing changes) when not.
    let mut doc = app.body(4);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["supplementaryUnits"] = json!("12");
    let (s, v) = app.lodge(4, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/declarations/{mrn}/amendments");
    let mut bad = doc.clone();
    bad["items"][0]["netMassKg"] = json!("1000000");
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_amendment(&mrn, &bad),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(codes(&v).contains(&"FLC-NET-EXCEEDS-GROSS".to_owned()));
    let mut other_lrn = doc.clone();
    other_lrn["lrn"] = json!("ANOTHER-LRN-1");
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_amendment(&mrn, &other_lrn),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(codes(&v).contains(&"FLC-AMEND-IDENTITY".to_owned()));
    let mut good = doc.clone();
    good["items"][0]["description"] = json!("Cigarettes, corrected description");
    let (s, v) = app
        .send_signed(
            &path,
            &t.token,
            Some(&key),
            &common::lifecycle_amendment(&mrn, &good),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(
        v["declaration"]["items"][0]["description"],
        "Cigarettes, corrected description"
    );
    let events = app.events(&mrn, &t.token).await;
    // The trader's view has the risk decision redacted: the chain is
    // verified on the full record an administrator reads.
    verify_chain(&app.events(&mrn, &app.user_token("admin")).await).unwrap();
    assert_eq!(
        events.iter().filter(|e| e.body.kind() == "amended").count(),
        1
    );
    let kinds: Vec<String> = app
        .notifications(4)
        .await
        .iter()
        .filter(|n| n["mrn"] == mrn.as_str())
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "under_control",
            "request_rejected",
            "request_rejected",
            "amended"
        ]
    );
}

async fn errors_are_json_with_codes(app: TestApp) {
    let r = app
        .http
        .get(format!("{}/api/v1/declarations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "UNAUTHORIZED"
    );
    let (s, v) = app.get("/api/v1/declarations", "wrong-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"]["code"], "UNAUTHORIZED");
    let (s, v) = app.get("/api/v1/nowhere", &app.trader(0).token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "NOT_FOUND");
    let r = app
        .http
        .delete(format!("{}/api/v1/declarations", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "METHOD_NOT_ALLOWED"
    );
    let (s, v) = app
        .get("/api/v1/declarations/NOT-AN-MRN", &app.trader(0).token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "MRN_FORMAT");
    let (s, v) = app
        .get("/api/v1/declarations?state=flying", &app.trader(0).token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "QUERY_STATE");
    let (s, v) = app
        .get("/api/v1/declarations?limit=-1", &app.trader(0).token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "QUERY_PARAMETERS");
    let huge = vec![b' '; tamga_http::MAX_BODY + 10];
    let t = app.trader(0);
    let (s, v) = app
        .send_signed("/api/v1/declarations", &t.token, None, &huge)
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["error"]["code"], "FLC-BODY-TOO-LARGE");
    let own = demo_signing_key(&t.id);
    let (s, v) = app.add_own_key(&t.token, &own, &t.id, "short").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "SIGNING_KEY_FORMAT");
    // The identity point (small order) is refused.
    let (s, v) = app
        .add_own_key(
            &t.token,
            &own,
            &t.id,
            "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_WEAK");
    assert_eq!(v["error"]["pointer"], "/publicKey");
    // A key registered twice: 400, like officers' keys.
    let (s, v) = app.add_own_key(&t.token, &own, &t.id, &t.public_key).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS");
    let (s, v) = app
        .put_json(
            "/api/v1/account/webhook",
            &t.token,
            &json!({"url": "ftp://x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["pointer"], "/url");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &app.user_token("analyst"),
            &json!({"yellowRate": "0.7", "redRate": "0.5", "seed": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "RANDOM_RATE");
}

async fn webhook_receives_pushed_notifications(app: TestApp) {
    use axum::routing::post;
    // The receiver gets the headers and the raw body, to check the signature.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(axum::http::HeaderMap, Vec<u8>)>();
    let fail_first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let router = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                let fail_first = fail_first.clone();
                async move {
                    // The first delivery fails: the dispatcher must retry.
                    if fail_first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    tx.send((headers, body.to_vec())).unwrap();
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    // Another trader's webhook points at a dead port: it must not hold ours up.
    let (s, _) = app
        .put_json(
            "/api/v1/account/webhook",
            &app.trader(6).token,
            &json!({"url": "http://127.0.0.1:9/dead"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, set) = app
        .put_json(
            "/api/v1/account/webhook",
            &app.trader(5).token,
            &json!({"url": hook}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["url"], hook.as_str());
    let secret = set["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 64, "{set}");
    let (s, _) = app.lodge(6, &app.body(6)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app.lodge(5, &app.body(5)).await;
    assert_eq!(s, StatusCode::CREATED);
    let mrn = v["mrn"].as_str().unwrap().to_owned();

    let mut kinds = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while kinds.len() < 2 {
        let (headers, body) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("webhook push within 15 s")
            .unwrap();
        // Every delivery is signed with the secret the PUT returned.
        common::webhook_verify_signature(&secret, &headers, &body).unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        for n in v["notifications"].as_array().unwrap() {
            assert_eq!(
                n["recipient"],
                app.trader(5).id.as_str(),
                "only our own notifications"
            );
            if n["mrn"] == mrn.as_str() {
                kinds.push(n["kind"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(kinds, ["registered", "released"]);
}

async fn a_broker_lodges_for_its_client(app: TestApp) {
    let broker = app.demo.broker.clone();
    let key = demo_signing_key(&broker.id);
    let mut doc = app.body(0);
    doc["representative"] = json!({"id": broker.id, "name": broker.name, "kind": "direct"});
    let body = serde_json::to_vec(&doc).unwrap();
    let (s, v) = app
        .send_signed("/api/v1/declarations", &broker.token, Some(&key), &body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["declarant"], app.trader(0).id.as_str());
    assert_eq!(v["representative"], broker.id.as_str());
    assert_eq!(v["lodgedBy"], broker.id.as_str());
    let mrn = v["mrn"].as_str().unwrap();
    // The client and its broker both see it and are both told; others not.
    for token in [&broker.token, &app.trader(0).token] {
        let (s, _) = app.get(&format!("/api/v1/declarations/{mrn}"), token).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &app.trader(1).token)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(app.notifications(0).await.iter().any(|n| n["mrn"] == mrn));
    let (_, page) = app
        .get("/api/v1/notifications?after=0", &broker.token)
        .await;
    assert!(page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["mrn"] == mrn));

    // A broker that is not named as representative cannot lodge for the
    // client, and a trader cannot lodge in another trader's name.
    let mut doc = app.body(0);
    doc.as_object_mut().unwrap().remove("representative");
    let body = serde_json::to_vec(&doc).unwrap();
    let (s, v) = app
        .send_signed("/api/v1/declarations", &broker.token, Some(&key), &body)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&v).contains(&"FLC-LODGER-NOT-PARTY".to_owned()),
        "{v}"
    );
    let t1 = app.trader(1);
    let (s, v) = app
        .send_signed(
            "/api/v1/declarations",
            &t1.token,
            Some(&demo_signing_key(&t1.id)),
            &body,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes(&v).contains(&"FLC-LODGER-NOT-PARTY".to_owned()),
        "{v}"
    );
}
