//! Finding 9 (low): a public key could be registered by two users.
//!
//! A key belongs to one owner, whichever table holds it (operators' keys or
//! officers' keys): another user's key is 409 `SIGNING_KEY_TAKEN` at
//! `/publicKey`, one's own again stays 400 `SIGNING_KEY_EXISTS`, and two
//! users racing for a fresh key get one 201 and one 409. (Since issue 15
//! a holder's key registration is signed with one of its own keys:
//! `f13_key_registration`.)

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;

use tamga_app::demo::{demo_officer_key, demo_signing_key};
use tamga_core::signature;

use crate::common::TestApp;

stories!(
    a_trader_cannot_register_the_officers_key,
    an_officer_cannot_register_a_traders_key,
    a_trader_cannot_register_another_traders_key,
    two_users_racing_for_one_key_get_one_registration,
);

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
    let t0 = app.trader(0);
    let (s, v) = app
        .add_own_key(&t0.token, &demo_signing_key(&t0.id), &t0.id, &officer_key)
        .await;
    assert_taken(s, &v);
    // The officer's own key again is still "exists", not "taken".
    let (s, v) = app
        .add_own_key(
            &app.user_token("officer"),
            &demo_officer_key("officer"),
            "officer",
            &officer_key,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS", "{v}");
    // The administrator's key neither.
    let t1 = app.trader(1);
    let (s, v) = app
        .add_own_key(
            &t1.token,
            &demo_signing_key(&t1.id),
            &t1.id,
            &officer_public_key(&app, "admin"),
        )
        .await;
    assert_taken(s, &v);
}

async fn an_officer_cannot_register_a_traders_key(app: TestApp) {
    let trader_key = app.trader(0).public_key.clone();
    for who in ["officer", "admin"] {
        let (s, v) = app
            .add_own_key(
                &app.user_token(who),
                &demo_officer_key(who),
                who,
                &trader_key,
            )
            .await;
        assert_taken(s, &v);
    }
    // The trader's own key again: exists.
    let t0 = app.trader(0);
    let (s, v) = app
        .add_own_key(&t0.token, &demo_signing_key(&t0.id), &t0.id, &trader_key)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNING_KEY_EXISTS", "{v}");
}

async fn a_trader_cannot_register_another_traders_key(app: TestApp) {
    let t1 = app.trader(1);
    let (s, v) = app
        .add_own_key(
            &t1.token,
            &demo_signing_key(&t1.id),
            &t1.id,
            &app.trader(0).public_key,
        )
        .await;
    assert_taken(s, &v);
    // A fresh key is registered once; the broker cannot take it afterwards.
    let fresh = signature::signing_key_from_seed([91; 32]).verifying_key();
    let b64 = base64::engine::general_purpose::STANDARD.encode(fresh.as_bytes());
    let t2 = app.trader(2);
    let (s, v) = app
        .add_own_key(&t2.token, &demo_signing_key(&t2.id), &t2.id, &b64)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let broker = &app.demo.broker;
    let (s, v) = app
        .add_own_key(
            &broker.token,
            &demo_signing_key(&broker.id),
            &broker.id,
            &b64,
        )
        .await;
    assert_taken(s, &v);
}

async fn two_users_racing_for_one_key_get_one_registration(app: TestApp) {
    for round in 0..8u8 {
        let fresh = signature::signing_key_from_seed([200 + round; 32]).verifying_key();
        let b64 = base64::engine::general_purpose::STANDARD.encode(fresh.as_bytes());
        let officer = app.user_token("officer");
        let officer_key = demo_officer_key("officer");
        let t3 = app.trader(3);
        let t3_key = demo_signing_key(&t3.id);
        let (a, b) = tokio::join!(
            app.add_own_key(&t3.token, &t3_key, &t3.id, &b64),
            app.add_own_key(&officer, &officer_key, "officer", &b64),
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
