//! `GET /api/v1/declarations/{mrn}/events` serves camelCase bodies and the
//! canonical stored text beside them: a client verifies every stored hash
//! from what it reads, and the stored (snake_case) bodies are unchanged.

use crate::common;

use reqwest::StatusCode;
use serde_json::Value;

use common::*;
use tamga_core::event_view::{from_api_view, BODY_VERSION};
use tamga_core::hash::sha256_hex;
use tamga_core::lifecycle::verify_chain;

stories!(event_bodies_are_camel_case_and_their_hashes_verify);

/// Every object key at any depth.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

async fn event_bodies_are_camel_case_and_their_hashes_verify(app: TestApp) {
    let doc = app.body(0);
    let (s, v) = app.lodge(0, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/declarations/{mrn}/events");

    let (s, admin_view) = app.get(&path, &app.user_token("admin")).await;
    assert_eq!(s, StatusCode::OK, "{admin_view}");
    let events = admin_view.as_array().unwrap();
    assert!(events.len() >= 5, "{admin_view}");
    for e in events {
        let mut all = Vec::new();
        keys(e, &mut all);
        let snake: Vec<&String> = all.iter().filter(|k| k.contains('_')).collect();
        assert!(snake.is_empty(), "snake_case keys {snake:?} in {e}");
        assert_eq!(e["bodyVersion"], BODY_VERSION);
        // The stored text is served beside the view: its SHA-256 is the
        // stored payload hash.
        let payload = e["payload"].as_str().expect("payload");
        assert_eq!(sha256_hex(payload.as_bytes()), e["payloadHash"], "{e}");
    }
    let lodged = &events[0];
    assert_eq!(lodged["body"]["kind"], "lodged");
    assert!(lodged["body"]["bodySha256"].is_string(), "{lodged}");
    assert!(lodged["payload"]
        .as_str()
        .unwrap()
        .contains("\"body_sha256\":"));
    let duties = events
        .iter()
        .find(|e| e["body"]["kind"] == "duties_assessed")
        .unwrap();
    assert!(
        duties["body"]["result"]["customsDuty"].is_string(),
        "{duties}"
    );

    // The stored events, rebuilt from what was read, verify as a chain,
    // and are exactly the stored ones.
    let rebuilt: Vec<_> = events.iter().map(|e| from_api_view(e).unwrap()).collect();
    verify_chain(&rebuilt).unwrap();
    let m = tamga_core::codes::Mrn::parse(&mrn).unwrap();
    let stored = app.store.events(&m).await.unwrap();
    assert_eq!(rebuilt, stored);

    // The trader's view: camelCase too; the redacted risk assessment has no
    // stored text (it would disclose the decision), the others do.
    let (s, trader_view) = app.get(&path, &app.trader(0).token).await;
    assert_eq!(s, StatusCode::OK, "{trader_view}");
    for e in trader_view.as_array().unwrap() {
        let mut all = Vec::new();
        keys(e, &mut all);
        assert!(all.iter().all(|k| !k.contains('_')), "{e}");
        if e["redacted"] == true {
            assert!(e.get("payload").is_none(), "{e}");
            assert_eq!(e["body"]["kind"], "risk_assessed");
        } else {
            let payload = e["payload"].as_str().expect("payload");
            assert_eq!(sha256_hex(payload.as_bytes()), e["payloadHash"], "{e}");
        }
    }
}
