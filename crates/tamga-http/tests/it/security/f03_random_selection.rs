//! Finding 3 (high): random selection was predictable from the event record.
//!
//! Draws are now HMAC-SHA256 under a secret only the service holds (a
//! keyed hash of purpose, seed and MRN); traders see their channel but not
//! the seed, the secret id, the draw or the hits; the secret is committed
//! to by its SHA-256 and revealed when an analyst rotates it, after which
//! anyone holding the revealed secret can recompute every draw made with
//! it, and the service verifies a declaration's draws on request.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use tamga_core::codes::Mrn;
use tamga_core::risk::{DrawKey, RandomSelection, PURPOSE_BLUE, PURPOSE_RANDOM};

use crate::common::TestApp;

stories!(
    traders_see_the_channel_but_no_draw_inputs,
    draws_are_keyed_committed_and_verifiable_after_rotation,
    only_analysts_and_admins_rotate_and_verify,
);

const SEED: u64 = 42;

/// Random selection that selects often, so some declarations go yellow
/// or red by the draw alone.
async fn frequent_random_selection(app: &TestApp) {
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &app.user_token("analyst"),
            &json!({"yellowRate": "0.3", "redRate": "0.3", "seed": SEED}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &app.user_token("analyst"),
            &json!({"blueRate": "0.5", "lowFactor": "1", "aeoFactor": "1", "highFactor": "1",
                    "highMinimum": "green", "modelYellow": "0.6", "modelRed": "0.85"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn lodge_some(app: &TestApp, trader: usize, n: usize) -> Vec<String> {
    let mut mrns = Vec::new();
    for _ in 0..n {
        let doc = app.body(trader);
        let (s, v) = app.lodge(trader, &doc).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        mrns.push(v["mrn"].as_str().unwrap().to_owned());
    }
    mrns
}

/// The risk decision as an administrator reads it.
async fn decision(app: &TestApp, mrn: &str) -> Value {
    let (s, v) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/events"),
            &app.user_token("admin"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["body"]["kind"] == "risk_assessed")
        .unwrap()["body"]["decision"]
        .clone()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

async fn secrets(app: &TestApp) -> Vec<Value> {
    let (s, v) = app
        .get("/api/v1/risk/draw-secrets", &app.user_token("analyst"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

fn revealed_key(s: &Value) -> DrawKey {
    let hex_secret = s["secret"].as_str().expect("a retired secret is revealed");
    let bytes: [u8; 32] = hex::decode(hex_secret).unwrap().try_into().unwrap();
    // The revealed secret is the one committed to while in use.
    assert_eq!(
        tamga_app::clearance::sha256_hex(bytes),
        s["commitment"].as_str().unwrap()
    );
    DrawKey::new(s["id"].as_i64().unwrap(), bytes)
}

async fn traders_see_the_channel_but_no_draw_inputs(app: TestApp) {
    frequent_random_selection(&app).await;
    let t = app.trader(0);
    let mrns = lodge_some(&app, 0, 8).await;
    let mut controlled = 0;
    for mrn in &mrns {
        // The full decision has the draw (officers and auditors see it).
        let full = decision(&app, mrn).await;
        assert_eq!(full["random"]["seed"], SEED);
        assert!(full["random"]["secretId"].as_i64().is_some(), "{full}");
        if full["channel"] != "green" {
            controlled += 1;
        }

        // The trader's event log: the risk decision redacted to its
        // channel, nothing of the draw.
        let (s, events) = app
            .get(&format!("/api/v1/declarations/{mrn}/events"), &t.token)
            .await;
        assert_eq!(s, StatusCode::OK, "{events}");
        let risk = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["body"]["kind"] == "risk_assessed")
            .unwrap();
        assert_eq!(risk["redacted"], true, "{risk}");
        let d = &risk["body"]["decision"];
        assert_eq!(d["channel"], full["channel"]);
        assert_eq!(
            d.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["channel", "explanation"],
            "{d}"
        );
        let text = events.to_string();
        let draw = full["random"]["draw"].as_str().unwrap();
        for leak in [
            "seed",
            "secretId",
            "\"random\"",
            "blueDraw",
            "yellowRate",
            "redRate",
            "configuredRates",
            "random selection",
            draw,
        ] {
            assert!(
                !text.contains(leak),
                "{leak} in the trader's events: {text}"
            );
        }
        // The hash chain still links up for the trader: every event's
        // previous hash is the hash before it.
        let arr = events.as_array().unwrap();
        for w in arr.windows(2) {
            assert_eq!(w[1]["prevHash"], w[0]["hash"]);
        }
    }
    assert!(
        controlled > 0,
        "with rates 0.3 + 0.3 some of 8 are selected"
    );

    // Notifications (pull; webhooks push the same) carry no draw either.
    let notes = app.notifications(0).await;
    let text = serde_json::to_string(&notes).unwrap();
    for leak in ["seed", "(draw ", "random selection", "secretId", "blueDraw"] {
        assert!(!text.contains(leak), "{leak} in notifications: {text}");
    }
    // With the seed known (say it leaked), the draw of the old scheme does
    // not give the recorded draws.
    for mrn in &mrns {
        let full = decision(&app, mrn).await;
        let old = RandomSelection::legacy_draw(SEED, &Mrn::parse(mrn).unwrap());
        assert_ne!(dec(&full["random"]["draw"]), old, "{mrn}");
    }
}

async fn draws_are_keyed_committed_and_verifiable_after_rotation(app: TestApp) {
    frequent_random_selection(&app).await;
    let analyst = app.user_token("analyst");

    // One current secret: its commitment is listed, the secret is not.
    let list = secrets(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let first = &list[0];
    assert_eq!(first["current"], true);
    assert!(first.get("secret").is_none(), "{first}");
    assert_eq!(first["commitment"].as_str().unwrap().len(), 64);
    let first_id = first["id"].as_i64().unwrap();

    let mrns = lodge_some(&app, 1, 4).await;
    for mrn in &mrns {
        assert_eq!(
            decision(&app, mrn).await["random"]["secretId"].as_i64(),
            Some(first_id)
        );
        // The service verifies the draw with the secret it holds.
        let (s, v) = app
            .get(&format!("/api/v1/declarations/{mrn}/draw"), &analyst)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["draws"][0]["scheme"], "hmac-sha256");
        assert_eq!(v["draws"][0]["secretId"].as_i64(), Some(first_id));
    }

    // Rotation: a fresh secret, the old one revealed with its commitment.
    let (s, new) = app
        .post_json("/api/v1/risk/draw-secrets/rotation", &analyst, &json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{new}");
    assert!(new.get("secret").is_none(), "{new}");
    assert_ne!(new["id"].as_i64(), Some(first_id));
    let list = secrets(&app).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["current"], false);
    assert!(
        list[1].get("secret").is_none(),
        "the new secret stays hidden"
    );
    let a = revealed_key(&list[0]);

    // An auditor recomputes every draw made with the revealed secret.
    for mrn in &mrns {
        let d = decision(&app, mrn).await;
        assert_eq!(
            a.draw(PURPOSE_RANDOM, SEED, mrn),
            dec(&d["random"]["draw"]),
            "{mrn}"
        );
        assert_eq!(
            a.draw(PURPOSE_BLUE, SEED, mrn),
            dec(&d["blueDraw"]["draw"]),
            "{mrn}"
        );
    }

    // New declarations are keyed with the new secret, and stay verifiable.
    let later = lodge_some(&app, 1, 2).await;
    for mrn in &later {
        let d = decision(&app, mrn).await;
        assert_eq!(d["random"]["secretId"], new["id"]);
        let (s, v) = app
            .get(&format!("/api/v1/declarations/{mrn}/draw"), &analyst)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["valid"], true, "{v}");
    }
    // The same MRN under two different secrets draws differently: once the
    // second secret is revealed too, compare.
    let (s, _) = app
        .post_json(
            "/api/v1/risk/draw-secrets/rotation",
            &app.user_token("admin"),
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let list = secrets(&app).await;
    assert_eq!(list.len(), 3);
    let b = revealed_key(&list[1]);
    let all: Vec<&String> = mrns.iter().chain(&later).collect();
    let differ = all
        .iter()
        .filter(|m| a.draw(PURPOSE_RANDOM, SEED, m) != b.draw(PURPOSE_RANDOM, SEED, m))
        .count();
    assert_eq!(differ, all.len());
    for mrn in &later {
        let d = decision(&app, mrn).await;
        assert_eq!(b.draw(PURPOSE_RANDOM, SEED, mrn), dec(&d["random"]["draw"]));
        assert_ne!(a.draw(PURPOSE_RANDOM, SEED, mrn), dec(&d["random"]["draw"]));
    }
}

async fn only_analysts_and_admins_rotate_and_verify(app: TestApp) {
    let mrn = lodge_some(&app, 2, 1).await.remove(0);
    let trader = app.trader(2).token.clone();
    let officer = app.user_token("officer");
    let bank = app.user_token("bank");
    for token in [&trader, &officer, &bank] {
        let (s, v) = app
            .post_json("/api/v1/risk/draw-secrets/rotation", token, &json!({}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = app
            .get(&format!("/api/v1/declarations/{mrn}/draw"), token)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    // Nobody but customs users lists the secrets; while in use, nobody
    // (not even an administrator) reads the current one.
    for token in [&trader, &bank] {
        let (s, v) = app.get("/api/v1/risk/draw-secrets", token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    for who in ["officer", "analyst", "admin"] {
        let (s, v) = app
            .get("/api/v1/risk/draw-secrets", &app.user_token(who))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
        assert!(v
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x.get("secret").is_none()));
    }
    // Still one secret: refused rotations changed nothing.
    assert_eq!(secrets(&app).await.len(), 1);
    // An administrator may verify and rotate.
    let (s, v) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/draw"),
            &app.user_token("admin"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["valid"], true);
}
