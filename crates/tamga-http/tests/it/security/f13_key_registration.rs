//! Issue 15: a bearer token alone registered a new signing key for its
//! holder, so a stolen token was enough to sign declarations and officer
//! acts.
//!
//! A holder adds a further key only with a request signed by one of its
//! active keys, over a body naming the act, the owner and the new key; the
//! same body again is a replay. A holder without a key gets 403
//! `KEY_APPROVAL_REQUIRED`: an administrator registers first keys, through
//! endpoints closed to everyone else before the body is read. Every
//! registration is audited and an operator is notified of it.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::clearance::{key_id_of, sha256_hex};
use tamga_app::demo::{demo_officer_key, demo_signing_key};
use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::signature;
use tamga_store::{Operator, Principal, Role, User};

use crate::common::{key_request, TestApp};

stories!(
    a_trader_token_alone_cannot_add_a_key,
    an_officer_token_alone_cannot_add_a_key,
    only_an_administrator_registers_a_first_key,
);

const KEYS: &str = "/api/v1/account/signing-keys";

fn fresh(seed: u8) -> (ed25519_dalek::SigningKey, String) {
    let k = signature::signing_key_from_seed([seed; 32]);
    let b64 = signature::public_key_b64(&k.verifying_key());
    (k, b64)
}

/// POSTs `body` to the own-key endpoint with `token`, signed by `signer`
/// (if any) and naming `key_id` (if any).
async fn send(
    app: &TestApp,
    token: &str,
    signer: Option<&ed25519_dalek::SigningKey>,
    key_id: Option<&str>,
    body: &[u8],
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .post(format!("{}{KEYS}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(k) = signer {
        req = req.header("x-tamga-signature", signature::sign(k, body));
    }
    if let Some(id) = key_id {
        req = req.header("x-tamga-key-id", id);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn assert_error(s: StatusCode, v: &Value, status: StatusCode, code: &str) {
    assert_eq!(s, status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
}

/// A new operator with a token and no signing key.
async fn keyless_operator(app: &TestApp, id: &str) -> String {
    let eori = Eori::parse(id).unwrap();
    app.store
        .create_operator(&Operator {
            id: eori.clone(),
            name: format!("Keyless {id}"),
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    let token = format!("test-keyless-{id}");
    app.store
        .add_token(
            &sha256_hex(token.as_bytes()),
            &Principal::Operator { id: eori },
            "test",
        )
        .await
        .unwrap();
    token
}

/// A new officer with a token and no signing key.
async fn keyless_officer(app: &TestApp, name: &str) -> String {
    app.store
        .create_user(&User::staff(
            name,
            name,
            Role::Officer,
            vec![OfficeCode::parse("UZ000100").unwrap()],
            OffsetDateTime::now_utc(),
        ))
        .await
        .unwrap();
    let token = format!("test-keyless-{name}");
    app.store
        .add_token(
            &sha256_hex(token.as_bytes()),
            &Principal::User {
                username: name.into(),
            },
            "test",
        )
        .await
        .unwrap();
    token
}

fn key_notifications(notes: &[Value]) -> Vec<Value> {
    notes
        .iter()
        .filter(|n| n["kind"] == "signing_key_added")
        .cloned()
        .collect()
}

async fn a_trader_token_alone_cannot_add_a_key(app: TestApp) {
    // A holder without a key: whatever it sends, 403, an administrator
    // registers the first key.
    let keyless = keyless_operator(&app, "UZ000000000131").await;
    let (k, b64) = fresh(131);
    let body = key_request("UZ000000000131", &b64);
    for signer in [None, Some(&k)] {
        let (s, v) = send(&app, &keyless, signer, None, &body).await;
        assert_error(s, &v, StatusCode::FORBIDDEN, "KEY_APPROVAL_REQUIRED");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("administrator"),
            "{v}"
        );
    }

    // A holder with a key, as a token thief would try it.
    let t = app.trader(0);
    let own = demo_signing_key(&t.id);
    let other = app.trader(1);
    let (new_key, new_b64) = fresh(132);
    let body = key_request(&t.id, &new_b64);
    // Unsigned, in the old form and in the new one.
    let old_form = serde_json::to_vec(&json!({ "publicKey": new_b64 })).unwrap();
    for b in [&old_form, &body] {
        let (s, v) = send(&app, &t.token, None, None, b).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "KEY_SIGNATURE_MISSING",
        );
    }
    // Signed by the new key itself, or by another trader's key.
    for signer in [&new_key, &demo_signing_key(&other.id)] {
        let (s, v) = send(&app, &t.token, Some(signer), None, &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "KEY_SIGNATURE_INVALID",
        );
    }
    // Naming another trader's key.
    let (s, v) = send(
        &app,
        &t.token,
        Some(&demo_signing_key(&other.id)),
        Some(&other.key_id),
        &body,
    )
    .await;
    assert_error(
        s,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "KEY_SIGNATURE_KEY_UNKNOWN",
    );
    // A body signed by the right key but naming another owner or act.
    let (s, v) = app.add_own_key(&t.token, &own, &other.id, &new_b64).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "KEY_SIGNED_OWNER");
    assert_eq!(v["error"]["pointer"], "/owner");
    let wrong_act =
        serde_json::to_vec(&json!({"act": "release", "owner": t.id, "publicKey": new_b64}))
            .unwrap();
    let (s, v) = send(&app, &t.token, Some(&own), None, &wrong_act).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "KEY_SIGNED_ACT");
    assert_eq!(v["error"]["pointer"], "/act");
    // Another trader's signed body, sent with its own token, cannot add
    // a key for this trader either: it names its owner.
    let theirs = key_request(&other.id, &new_b64);
    let (s, v) = send(
        &app,
        &t.token,
        Some(&demo_signing_key(&other.id)),
        None,
        &theirs,
    )
    .await;
    assert_error(
        s,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "KEY_SIGNATURE_INVALID",
    );
    let eori = Eori::parse(&t.id).unwrap();
    assert_eq!(app.store.signing_keys(&eori).await.unwrap().len(), 1);
    assert!(key_notifications(&app.notifications(0).await).is_empty());

    // Signed by its own key: registered, and the owner is told.
    let (s, v) = send(&app, &t.token, Some(&own), None, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let new_id = key_id_of(&new_b64);
    assert_eq!(v["keyId"], new_id.as_str());
    assert_eq!(v["approvedBy"], format!("operator:{}", t.id));
    assert_eq!(v["approvingKey"], t.key_id.as_str());
    assert_eq!(v["replay"], false);
    let notes = key_notifications(&app.notifications(0).await);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["payload"]["keyId"], new_id.as_str());
    assert_eq!(notes[0]["payload"]["addedBy"], format!("operator:{}", t.id));
    assert!(notes[0]["payload"]["at"].as_str().unwrap().ends_with('Z'));
    // The new key signs declarations.
    let doc = app.body(0);
    let bytes = serde_json::to_vec(&doc).unwrap();
    let (s, v) = app
        .send_signed("/api/v1/declarations", &t.token, Some(&new_key), &bytes)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // The same signed body again: a replay, one key, one notification.
    let (s, v) = send(&app, &t.token, Some(&own), None, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true);
    assert_eq!(v["keyId"], new_id.as_str());
    assert_eq!(app.store.signing_keys(&eori).await.unwrap().len(), 2);
    assert_eq!(key_notifications(&app.notifications(0).await).len(), 1);
    // The owner lists its keys with their approvals.
    let (s, v) = app.get(KEYS, &t.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let keys = v.as_array().unwrap();
    assert_eq!(keys.len(), 2, "{v}");
    let added = keys.iter().find(|k| k["keyId"] == new_id.as_str()).unwrap();
    assert_eq!(added["approvingKey"], t.key_id.as_str());
    // The audit log has it, with the approving key and the body's hash.
    let audit = app.store.audit_log(0, 10_000).await.unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "signing_key.add" && a.payload["keyId"] == new_id.as_str())
        .expect("audited");
    assert_eq!(entry.actor, format!("operator:{}", t.id));
    assert_eq!(entry.payload["bodySha256"], sha256_hex(&body).as_str());
}

async fn an_officer_token_alone_cannot_add_a_key(app: TestApp) {
    let keyless = keyless_officer(&app, "officer131").await;
    let (_, b64) = fresh(141);
    let (s, v) = app
        .post_json(
            KEYS,
            &keyless,
            &json!({"act": "add_signing_key", "owner": "officer131", "publicKey": b64}),
        )
        .await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "KEY_APPROVAL_REQUIRED");

    let token = app.user_token("officer");
    let own = demo_officer_key("officer");
    let (new_key, new_b64) = fresh(142);
    let body = key_request("officer", &new_b64);
    let (s, v) = send(&app, &token, None, None, &body).await;
    assert_error(
        s,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "KEY_SIGNATURE_MISSING",
    );
    for signer in [&new_key, &demo_officer_key("admin")] {
        let (s, v) = send(&app, &token, Some(signer), None, &body).await;
        assert_error(
            s,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "KEY_SIGNATURE_INVALID",
        );
    }
    let (s, v) = app.add_own_key(&token, &own, "admin", &new_b64).await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "KEY_SIGNED_OWNER");
    assert_eq!(v["error"]["pointer"], "/owner");
    assert_eq!(app.store.officer_keys("officer").await.unwrap().len(), 1);

    let (s, v) = send(&app, &token, Some(&own), None, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["approvedBy"], "user:officer");
    let (s, v) = send(&app, &token, Some(&own), None, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true);
    assert_eq!(app.store.officer_keys("officer").await.unwrap().len(), 2);
    // An officer has no notifications: it sees the key and its approval
    // with its keys, and the audit log has it.
    let new_id = key_id_of(&new_b64);
    let (s, v) = app.get(KEYS, &token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let added = v
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["keyId"] == new_id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(added["approvedBy"], "user:officer");
    let audit = app.store.audit_log(0, 10_000).await.unwrap();
    let added: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "officer_key.add" && a.payload["keyId"] == new_id.as_str())
        .collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].actor, "user:officer");
    // The new key signs officer acts: an act on a declaration of the
    // officer's office signed with it gets past the signature check, one
    // signed with an unregistered key does not.
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/declarations/{mrn}/release");
    let act = serde_json::to_vec(&json!({"mrn": mrn, "act": "release", "version": 1})).unwrap();
    let (s, v) = app
        .send_signed(&path, &token, Some(&fresh(143).0), &act)
        .await;
    assert_error(
        s,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "OFFICER_SIGNATURE_INVALID",
    );
    let (s, v) = app.send_signed(&path, &token, Some(&new_key), &act).await;
    assert_ne!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        !v["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .starts_with("OFFICER_SIGNATURE"),
        "{v}"
    );
}

async fn only_an_administrator_registers_a_first_key(app: TestApp) {
    let keyless = keyless_operator(&app, "UZ000000000151").await;
    let officer = keyless_officer(&app, "officer151").await;
    let op_path = "/api/v1/admin/operators/UZ000000000151/signing-keys";
    let user_path = "/api/v1/admin/users/officer151/signing-keys";
    // Everyone else: 403 before the body is read (a body that is not JSON
    // would be 400 otherwise).
    for token in [
        keyless.clone(),
        officer.clone(),
        app.trader(0).token.clone(),
        app.user_token("officer"),
        app.user_token("analyst"),
    ] {
        for path in [op_path, user_path] {
            let r = app
                .http
                .post(format!("{}{path}", app.base))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body("not json")
                .send()
                .await
                .unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap();
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        }
    }
    let admin = app.user_token("admin");
    // Bad input: clear codes.
    let (_, b64) = fresh(151);
    let (s, v) = app
        .post_json(
            "/api/v1/admin/operators/NOT-AN-EORI/signing-keys",
            &admin,
            &json!({ "publicKey": b64 }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["pointer"], "/eori");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/operators/UZ000000000999/signing-keys",
            &admin,
            &json!({ "publicKey": b64 }),
        )
        .await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users/nobody/signing-keys",
            &admin,
            &json!({ "publicKey": b64 }),
        )
        .await;
    assert_error(s, &v, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users/analyst/signing-keys",
            &admin,
            &json!({ "publicKey": b64 }),
        )
        .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST, "KEY_OWNER_ROLE");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users/admin/signing-keys",
            &admin,
            &json!({ "publicKey": b64 }),
        )
        .await;
    assert_error(s, &v, StatusCode::FORBIDDEN, "KEY_SELF_APPROVAL");
    let (s, v) = app
        .post_json(
            op_path,
            &admin,
            &json!({ "publicKey": app.trader(0).public_key }),
        )
        .await;
    assert_error(s, &v, StatusCode::CONFLICT, "SIGNING_KEY_TAKEN");

    // The operator's first key, by the administrator: audited, notified.
    let (op_key, op_b64) = fresh(152);
    let (s, v) = app
        .post_json(op_path, &admin, &json!({ "publicKey": op_b64 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"], "operator:UZ000000000151");
    assert_eq!(v["approvedBy"], "user:admin");
    let op_id = key_id_of(&op_b64);
    let audit = app.store.audit_log(0, 10_000).await.unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "signing_key.add" && a.payload["keyId"] == op_id.as_str())
        .expect("audited");
    assert_eq!(entry.actor, "user:admin");
    assert_eq!(entry.payload["owner"], "operator:UZ000000000151");
    let (s, v) = app
        .get("/api/v1/notifications?after=0&limit=100", &keyless)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let notes = key_notifications(v["notifications"].as_array().unwrap());
    assert_eq!(notes.len(), 1, "{v}");
    assert_eq!(notes[0]["payload"]["keyId"], op_id.as_str());
    assert_eq!(notes[0]["payload"]["addedBy"], "user:admin");
    // From now on the operator adds keys itself, with that key.
    let (_, next_b64) = fresh(153);
    let (s, v) = app
        .add_own_key(&keyless, &op_key, "UZ000000000151", &next_b64)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["approvingKey"], op_id.as_str());

    // An officer's first key, by the administrator.
    let (_, officer_b64) = fresh(154);
    let (s, v) = app
        .post_json(user_path, &admin, &json!({ "publicKey": officer_b64 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["owner"], "user:officer151");
    let officer_id = key_id_of(&officer_b64);
    let audit = app.store.audit_log(0, 10_000).await.unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "officer_key.add" && a.payload["keyId"] == officer_id.as_str())
        .expect("audited");
    assert_eq!(entry.actor, "user:admin");
    assert_eq!(entry.payload["owner"], "user:officer151");
    let (s, v) = app.get(KEYS, &officer).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v[0]["keyId"], officer_id.as_str());
    assert_eq!(v[0]["approvedBy"], "user:admin");
}
