//! Finding 9 (low): a public key could be registered by two users.
//!
//! A key belongs to one owner, whichever table holds it (operators' keys or
//! officers' keys): another user's key is 409 `SIGNING_KEY_TAKEN` at
//! `/publicKey`, one's own again stays 400 `SIGNING_KEY_EXISTS`, and two
//! users racing for a fresh key get one 201 and one 409.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_core::signature;

use crate::common::TestApp;

stories!(
    a_trader_cannot_register_the_officers_key,
    an_officer_cannot_register_a_traders_key,
    a_trader_cannot_register_another_traders_key,
    two_users_racing_for_one_key_get_one_registration,
);

const KEYS: &str = "/api/v1/account/signing-keys";

fn officer_public_key(app: &TestApp, name: &str) -> String {
    app.demo
        .users
        .iter()
        .find(|u| u.username == name)
        .and_then(|u| u.public_key.clone())
        .unwrap()
}

fn assert_taken(s: StatusCode, v: &Value) {
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_TAKEN", "{v}");
    assert_eq!(v["error"]["pointer"], "/publicKey", "{v}");
}

async fn a_trader_cannot_register_the_officers_key(app: TestApp) {
    let officer_key = officer_public_key(&app, "officer");
    let (s, v) = app
        .post_json(
            KEYS,
            &app.trader(0).token,
            &json!({ "publicKey": officer_key }),
        )
        .await;
    assert_taken(s, &v);
    // The officer's own key again is still "exists", not "taken".
    let (s, v) = app
        .post_json(
            KEYS,
            &app.user_token("officer"),
            &json!({ "publicKey": officer_key }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS", "{v}");
    // The administrator's key neither.
    let (s, v) = app
        .post_json(
            KEYS,
            &app.trader(1).token,
            &json!({ "publicKey": officer_public_key(&app, "admin") }),
        )
        .await;
    assert_taken(s, &v);
}

async fn an_officer_cannot_register_a_traders_key(app: TestApp) {
    let trader_key = app.trader(0).public_key.clone();
    for who in ["officer", "admin"] {
        let (s, v) = app
            .post_json(
                KEYS,
                &app.user_token(who),
                &json!({ "publicKey": trader_key }),
            )
            .await;
        assert_taken(s, &v);
    }
    // The trader's own key again: exists.
    let (s, v) = app
        .post_json(
            KEYS,
            &app.trader(0).token,
            &json!({ "publicKey": trader_key }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS", "{v}");
}

async fn a_trader_cannot_register_another_traders_key(app: TestApp) {
    let (s, v) = app
        .post_json(
            KEYS,
            &app.trader(1).token,
            &json!({ "publicKey": app.trader(0).public_key }),
        )
        .await;
    assert_taken(s, &v);
    // A fresh key is registered once; the broker cannot take it afterwards.
    let fresh = signature::signing_key_from_seed([91; 32]).verifying_key();
    let b64 = base64::engine::general_purpose::STANDARD.encode(fresh.as_bytes());
    let (s, v) = app
        .post_json(KEYS, &app.trader(2).token, &json!({ "publicKey": b64 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post_json(KEYS, &app.demo.broker.token, &json!({ "publicKey": b64 }))
        .await;
    assert_taken(s, &v);
}

async fn two_users_racing_for_one_key_get_one_registration(app: TestApp) {
    for round in 0..8u8 {
        let fresh = signature::signing_key_from_seed([200 + round; 32]).verifying_key();
        let b64 = base64::engine::general_purpose::STANDARD.encode(fresh.as_bytes());
        let body = json!({ "publicKey": b64 });
        let officer = app.user_token("officer");
        let (a, b) = tokio::join!(
            app.post_json(KEYS, &app.trader(3).token, &body),
            app.post_json(KEYS, &officer, &body),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}: {} / {}",
            a.1,
            b.1
        );
    }
}
