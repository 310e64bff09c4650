//! Issue 15: API tokens (named, expiring, revocable; a bearer token never
//! mints tokens for its own holder) and signing-key revocation, on one
//! instance and across instances sharing a database.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::clearance::{key_id_of, sha256_hex};
use tamga_app::demo::{demo_signing_key, DEMO_OFFICE};
use tamga_core::signature;
use tamga_store::{KeyAudit, NewToken, Principal};

use crate::common::{codes, lifecycle_cigarettes, lifecycle_selectivity, TestApp};

stories!(
    tokens_are_created_listed_and_revoked,
    a_bearer_token_never_mints_for_its_own_holder,
    an_expired_token_is_refused,
    others_cannot_see_or_revoke_my_tokens,
    a_token_of_a_deactivated_user_or_unapproved_operator_is_refused,
    another_instance_sees_a_revocation_within_two_seconds,
    a_revoked_trader_key_signs_nothing,
    a_revoked_officer_key_signs_nothing_but_earlier_acts_stay_valid,
);

const OWN: &str = "/api/v1/account/tokens";
const ADMIN: &str = "/api/v1/admin/tokens";

/// An administrator mints a token named `name` for `principal`.
async fn mint(app: &TestApp, principal: &str, name: &str) -> Value {
    let (s, v) = app
        .post_json(
            ADMIN,
            &app.user_token("admin"),
            &json!({"principal": principal, "name": name, "expiresInDays": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    app.call(Method::DELETE, path, token, None).await
}

async fn whoami(base: &str, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/account"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn tokens_are_created_listed_and_revoked(app: TestApp) {
    let trader = app.trader(0);
    let op = format!("operator:{}", trader.id);
    let t = mint(&app, &op, "ERP production").await;
    let secret = t["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tmg_") && secret.len() == 47, "{secret}");
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(id, sha256_hex(secret.as_bytes())[..16]);
    assert_eq!(t["status"], "active");
    assert_eq!(t["createdBy"], "user:admin");
    let expires = OffsetDateTime::parse(
        t["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires - OffsetDateTime::now_utc()).whole_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days}");

    // The new token works, and its holder lists it, never its secret.
    assert_eq!(whoami(&app.base, &secret).await, StatusCode::OK);
    let (s, list) = app.get(OWN, &trader.token).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(!list.to_string().contains(&secret));
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("secret").is_none()));
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["name"], "ERP production");
    assert_eq!(listed["principal"], op.as_str());
    // The new token lists the same tokens as the demo one.
    let (_, again) = app.get(OWN, &secret).await;
    assert_eq!(again, list);

    // A live name is unique per principal; bad names and expiries refused.
    let (s, v) = app
        .post_json(
            ADMIN,
            &app.user_token("admin"),
            &json!({"principal": op, "name": "ERP production"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("TOKEN_NAME_TAKEN")),
        "{v}"
    );
    for (body, code, pointer) in [
        (json!({"principal": op, "name": ""}), "TOKEN_NAME", "/name"),
        (
            json!({"principal": op, "name": "x".repeat(65)}),
            "TOKEN_NAME",
            "/name",
        ),
        (
            json!({"principal": op, "name": "y", "expiresInDays": 366}),
            "TOKEN_EXPIRY",
            "/expiresInDays",
        ),
        (
            json!({"principal": "someone", "name": "y"}),
            "TOKEN_PRINCIPAL",
            "/principal",
        ),
    ] {
        let (s, v) = app.post_json(ADMIN, &app.user_token("admin"), &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["error"]["pointer"], pointer, "{v}");
    }

    // Revoked by its owner: refused at once (it was cached), audited.
    let (s, v) = delete(&app, &format!("{OWN}/{id}"), &trader.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["revokedBy"], op.as_str());
    assert_eq!(whoami(&app.base, &secret).await, StatusCode::UNAUTHORIZED);
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "api_token.revoke" && a.payload["tokenId"] == id.as_str()));
    assert!(audit
        .iter()
        .any(|a| a.action == "api_token.create" && a.actor == "user:admin"));
    // Listed as revoked; revoking again answers it as it is.
    let (_, list) = app.get(OWN, &trader.token).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["status"], "revoked");
    assert!(listed["revokedAt"].is_string());
    let (s, _) = delete(&app, &format!("{OWN}/{id}"), &trader.token).await;
    assert_eq!(s, StatusCode::OK);
    // The name of a revoked token may be used again.
    mint(&app, &op, "ERP production").await;
}

async fn a_bearer_token_never_mints_for_its_own_holder(app: TestApp) {
    let trader = app.trader(0);
    // The demo token, and a token an administrator minted: neither mints.
    let t = mint(&app, &format!("operator:{}", trader.id), "erp").await;
    for token in [
        trader.token.clone(),
        t["secret"].as_str().unwrap().to_owned(),
    ] {
        let (s, v) = app
            .post_json(OWN, &token, &json!({"name": "successor"}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(v["error"]["code"], "TOKEN_SESSION_REQUIRED", "{v}");
    }
    let (s, v) = app
        .post_json(
            OWN,
            &app.user_token("officer"),
            &json!({"name": "successor"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("TOKEN_SESSION_REQUIRED"))
    );
    // An administrator with a bearer token: not for itself, nor for
    // another administrator; for an officer, yes.
    let admin = app.user_token("admin");
    let (s, v) = app
        .post_json(
            ADMIN,
            &admin,
            &json!({"principal": "user:admin", "name": "n"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("TOKEN_SESSION_REQUIRED")),
        "{v}"
    );
    let officer = mint(&app, "user:officer", "scanner").await;
    assert_eq!(
        whoami(&app.base, officer["secret"].as_str().unwrap()).await,
        StatusCode::OK
    );
    // Unknown principals are 404.
    let (s, _) = app
        .post_json(
            ADMIN,
            &admin,
            &json!({"principal": "user:nobody", "name": "n"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let nothing = app
        .store
        .tokens_of(&Principal::Operator {
            id: trader.id.parse().unwrap(),
        })
        .await
        .unwrap();
    assert!(nothing.iter().all(|t| t.label != "successor"));
}

async fn an_expired_token_is_refused(app: TestApp) {
    let secret = "tmg_expiring-test-token";
    let now = OffsetDateTime::now_utc();
    app.store
        .create_token(
            &NewToken {
                token_sha256: sha256_hex(secret.as_bytes()),
                principal: Principal::User {
                    username: "analyst".into(),
                },
                label: "short".into(),
                created_by: "user:admin".into(),
                created_at: now,
                expires_at: now + time::Duration::milliseconds(1500),
            },
            &KeyAudit {
                actor: "user:admin".into(),
                action: "api_token.create".into(),
                payload: json!({}),
            },
        )
        .await
        .unwrap();
    // Works (and is cached) until its expiry, then refused at once.
    assert_eq!(whoami(&app.base, secret).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(whoami(&app.base, secret).await, StatusCode::UNAUTHORIZED);
    let (_, list) = app
        .get(
            &format!("{ADMIN}?principal=user:analyst"),
            &app.user_token("admin"),
        )
        .await;
    let t = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "short")
        .unwrap();
    assert_eq!(t["status"], "expired");
    // A token of the demo set-up has no expiry and still works.
    assert_eq!(
        whoami(&app.base, &app.user_token("analyst")).await,
        StatusCode::OK
    );
}

async fn others_cannot_see_or_revoke_my_tokens(app: TestApp) {
    let mine = app.trader(0);
    let other = app.trader(1);
    let t = mint(&app, &format!("operator:{}", mine.id), "erp").await;
    let id = t["id"].as_str().unwrap();
    let secret = t["secret"].as_str().unwrap();
    // Another trader, an officer: neither sees nor revokes it (404 on the
    // own route, 403 on the administrators').
    let (_, list) = app.get(OWN, &other.token).await;
    assert!(list.as_array().unwrap().iter().all(|t| t["id"] != id));
    for token in [
        other.token.clone(),
        app.user_token("officer"),
        app.user_token("analyst"),
    ] {
        let (s, v) = delete(&app, &format!("{OWN}/{id}"), &token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (s, v) = delete(&app, &format!("{ADMIN}/{id}"), &token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, _) = app
            .get(&format!("{ADMIN}?principal=operator:{}", mine.id), &token)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .post_json(
                ADMIN,
                &token,
                &json!({"principal": format!("operator:{}", other.id), "name": "x"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, _) = app.get(OWN, &app.user_token("bank")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(whoami(&app.base, secret).await, StatusCode::OK);
    // An administrator lists and revokes it.
    let (s, list) = app
        .get(
            &format!("{ADMIN}?principal=operator:{}", mine.id),
            &app.user_token("admin"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == id));
    let (s, v) = delete(&app, &format!("{ADMIN}/{id}"), &app.user_token("admin")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["revokedBy"], "user:admin");
    assert_eq!(whoami(&app.base, secret).await, StatusCode::UNAUTHORIZED);
    let (s, _) = delete(
        &app,
        &format!("{ADMIN}/0000000000000000"),
        &app.user_token("admin"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Runs one statement on the test's database.
async fn sql(app: &TestApp, statement: &str) {
    let url = app.db_url();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(url);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::query(statement).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn a_token_of_a_deactivated_user_or_unapproved_operator_is_refused(app: TestApp) {
    let analyst = app.user_token("analyst");
    let trader = app.trader(2).clone();
    assert_eq!(whoami(&app.base, &analyst).await, StatusCode::OK);
    assert_eq!(whoami(&app.base, &trader.token).await, StatusCode::OK);
    sql(
        &app,
        "UPDATE users SET active = FALSE WHERE username = 'analyst'",
    )
    .await;
    sql(
        &app,
        &format!(
            "UPDATE operators SET status = 'pending' WHERE id = '{}'",
            trader.id
        ),
    )
    .await;
    // The change is told to every instance by the identity epoch.
    app.store.bump_identity_epoch().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while whoami(&app.base, &analyst).await != StatusCode::UNAUTHORIZED {
        assert!(
            Instant::now() < deadline,
            "a deactivated user's token still works"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        whoami(&app.base, &trader.token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        whoami(&app.base, &app.trader(0).token).await,
        StatusCode::OK
    );
}

async fn another_instance_sees_a_revocation_within_two_seconds(app: TestApp) {
    let other = app.another_instance().await;
    let t = mint(&app, "user:officer", "desk").await;
    let secret = t["secret"].as_str().unwrap();
    let id = t["id"].as_str().unwrap();
    // Both instances resolve (and cache) it.
    assert_eq!(whoami(&other, secret).await, StatusCode::OK);
    assert_eq!(whoami(&app.base, secret).await, StatusCode::OK);
    let (s, v) = delete(&app, &format!("{ADMIN}/{id}"), &app.user_token("admin")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let revoked = Instant::now();
    assert_eq!(whoami(&app.base, secret).await, StatusCode::UNAUTHORIZED);
    while whoami(&other, secret).await != StatusCode::UNAUTHORIZED {
        assert!(
            revoked.elapsed() < Duration::from_secs(2),
            "the other instance still accepts a token revoked {:?} ago",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Other tokens still work there.
    assert_eq!(
        whoami(&other, &app.user_token("officer")).await,
        StatusCode::OK
    );
}

async fn a_revoked_trader_key_signs_nothing(app: TestApp) {
    let trader = app.trader(0).clone();
    let key = demo_signing_key(&trader.id);
    let key_id = key_id_of(&signature::public_key_b64(&key.verifying_key()));
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    // Not another trader's, not an officer's to revoke.
    let path = format!("/api/v1/account/signing-keys/{key_id}");
    for token in [app.trader(1).token.clone(), app.user_token("officer")] {
        let (s, v) = delete(&app, &path, &token).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    }
    let (s, _) = delete(
        &app,
        &format!("/api/v1/admin/signing-keys/{key_id}"),
        &app.user_token("officer"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Its holder revokes it.
    let (s, v) = delete(&app, &path, &trader.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["newly"], true);
    assert!(v["revokedAt"].is_string());
    // Lodging signed with it is refused, with a code that says why.
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNING-KEY-REVOKED".to_owned()),
        "{v}"
    );
    // So is a further key approved with it.
    let fresh = signature::signing_key_from_seed([42; 32]);
    let (s, v) = app
        .add_own_key(
            &trader.token,
            &key,
            &trader.id,
            &signature::public_key_b64(&fresh.verifying_key()),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("KEY_SIGNATURE_KEY_REVOKED")
        ),
        "{v}"
    );
    // The key is listed revoked, with its time; the trader was notified.
    let (_, keys) = app.get("/api/v1/account/signing-keys", &trader.token).await;
    let k = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["keyId"] == key_id.as_str())
        .unwrap();
    assert_eq!(k["revoked"], true);
    assert!(k["revokedAt"].is_string(), "{k}");
    assert_eq!(k["revokedBy"], format!("operator:{}", trader.id));
    let n = app.notifications(0).await;
    let revoked = n
        .iter()
        .find(|n| n["kind"] == "signing_key_revoked")
        .expect("notified");
    assert_eq!(revoked["payload"]["keyId"], key_id.as_str());
    // Revoking again changes nothing; the earlier declaration stays readable.
    let (s, v) = delete(&app, &path, &trader.token).await;
    assert_eq!((s, v["newly"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, _) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &trader.token)
        .await;
    assert_eq!(s, StatusCode::OK);
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "signing_key.revoke")
            .count(),
        1
    );
}

async fn a_revoked_officer_key_signs_nothing_but_earlier_acts_stay_valid(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let officer = app.add_officer("inspector7", DEMO_OFFICE).await;
    let key_id = key_id_of(&signature::public_key_b64(&officer.key.verifying_key()));
    let (s, v) = app.lodge(0, &lifecycle_cigarettes(&app.body(0))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &officer,
            &format!("/api/v1/declarations/{mrn}/control-result"),
            &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // An administrator revokes the officer's key.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (s, v) = delete(
        &app,
        &format!("/api/v1/admin/signing-keys/{key_id}"),
        &app.user_token("admin"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["owner"], "user:inspector7");
    // The act signed before stays valid, with the revocation noted.
    let (s, checks) = app
        .get(
            &format!("/api/v1/declarations/{mrn}/signatures"),
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{checks}");
    let c = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["keyId"] == key_id.as_str())
        .expect("checked");
    assert_eq!(c["valid"], true, "{c}");
    assert!(c["keyRevokedAt"].is_string(), "{c}");
    assert!(
        c["note"].as_str().unwrap().contains("after the signature"),
        "{c}"
    );
    // A new act signed with it is refused, nothing recorded.
    let before = app.events(&mrn, &app.user_token("officer")).await.len();
    let (s, v) = app
        .act(
            &officer,
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "OFFICER_SIGNATURE_KEY_REVOKED", "{v}");
    assert_eq!(
        app.events(&mrn, &app.user_token("officer")).await.len(),
        before
    );
    // The officer sees its key revoked by the administrator.
    let (_, keys) = app
        .get("/api/v1/account/signing-keys", &officer.token)
        .await;
    let k = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["keyId"] == key_id.as_str())
        .unwrap();
    assert_eq!(k["revokedBy"], "user:admin");
}
