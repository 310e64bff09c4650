//! Storage stories of API tokens and key revocation (issue 15): a token
//! is stored by hash with its name, creator and expiry; names are unique
//! among a principal's live tokens; a revoked or expired token, or one of
//! an inactive user or an unapproved operator, grants nothing; old tokens
//! without an expiry still work; every revocation (token or key) writes
//! its audit entry and moves the identity epoch in one transaction. Runs on
//! SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::Eori;
use tamga_core::lifecycle::{NewNotification, NotificationKind};
use tamga_store::{
    KeyAudit, NewToken, Operator, Principal, Role, SigningKeyRecord, Store, StoreError, User,
};

stories!(
    tokens_are_named_expire_and_are_revoked_once,
    a_key_revocation_is_recorded_once_with_its_notification,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_holders_that_may_not_act_are_granted_nothing() {
    let db = tamga_store::testing::TestDb::sqlite().await;
    holders_that_may_not_act_are_granted_nothing(db.open().await, &db.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_holders_that_may_not_act_are_granted_nothing() {
    let db = tamga_store::testing::TestDb::postgres_variant().await;
    holders_that_may_not_act_are_granted_nothing(db.open().await, &db.url).await;
}

fn audit(action: &str) -> KeyAudit {
    KeyAudit {
        actor: "user:admin".into(),
        action: action.into(),
        payload: json!({"test": true}),
    }
}

fn token(secret: &str, principal: &Principal, label: &str, expires_in: Duration) -> NewToken {
    let now = OffsetDateTime::now_utc();
    NewToken {
        token_sha256: tamga_core::hash::sha256_hex(secret.as_bytes()),
        principal: principal.clone(),
        label: label.into(),
        created_by: "user:admin".into(),
        created_at: now,
        expires_at: now + expires_in,
    }
}

async fn setup(store: &Arc<dyn Store>) -> (Eori, Principal) {
    let now = OffsetDateTime::now_utc();
    let op = Eori::parse("UZ000000000101").unwrap();
    store
        .create_operator(&Operator {
            id: op.clone(),
            name: "Trader".into(),
            created_at: now,
        })
        .await
        .unwrap();
    store
        .create_user(&User::staff("admin", "Admin", Role::Admin, vec![], now))
        .await
        .unwrap();
    (op.clone(), Principal::Operator { id: op })
}

async fn tokens_are_named_expire_and_are_revoked_once(store: Arc<dyn Store>) {
    let (_, trader) = setup(&store).await;
    let now = OffsetDateTime::now_utc();
    let epoch0 = store.identity_epoch().await.unwrap();
    assert!(epoch0 >= 1);

    let t = store
        .create_token(
            &token("tmg_a", &trader, "erp", Duration::days(90)),
            &audit("api_token.create"),
        )
        .await
        .unwrap();
    let hash = tamga_core::hash::sha256_hex(b"tmg_a");
    assert_eq!(t.id, hash[..16]);
    assert_eq!(t.created_by.as_deref(), Some("user:admin"));
    let g = store
        .token_grant(&hash, now)
        .await
        .unwrap()
        .expect("granted");
    assert_eq!((g.id.as_str(), &g.principal), (&hash[..16], &trader));
    assert_eq!(
        store.principal_for_token(&hash).await.unwrap(),
        Some(trader.clone())
    );

    // A live name is unique per principal; another principal may use it.
    let taken = store
        .create_token(
            &token("tmg_b", &trader, "erp", Duration::days(1)),
            &audit("api_token.create"),
        )
        .await;
    assert!(
        matches!(taken, Err(StoreError::AlreadyExists(_))),
        "{taken:?}"
    );
    let admin = Principal::User {
        username: "admin".into(),
    };
    store
        .create_token(
            &token("tmg_c", &admin, "erp", Duration::days(1)),
            &audit("api_token.create"),
        )
        .await
        .unwrap();

    // An old token (no id given, no expiry) keeps working.
    let old = tamga_core::hash::sha256_hex(b"legacy");
    store.add_token(&old, &trader, "demo").await.unwrap();
    let g = store
        .token_grant(&old, now)
        .await
        .unwrap()
        .expect("an old token works");
    assert_eq!(g.id, old[..16]);
    assert_eq!(g.expires_at, None);

    // Expired: granted nothing, listed with its expiry.
    let short = token("tmg_d", &trader, "short", Duration::seconds(10));
    store
        .create_token(&short, &audit("api_token.create"))
        .await
        .unwrap();
    let later = now + Duration::seconds(11);
    assert!(store
        .token_grant(&short.token_sha256, later)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .token_grant(&short.token_sha256, now)
        .await
        .unwrap()
        .is_some());
    let listed = store.tokens_of(&trader).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| r.principal == trader));
    assert!(!listed
        .iter()
        .find(|r| r.label == "short")
        .unwrap()
        .live(later));

    // Revocation: once, audited, epoch moved; the name is free again.
    let r = store
        .revoke_token(
            &t.id,
            "operator:UZ000000000101",
            now,
            &audit("api_token.revoke"),
        )
        .await
        .unwrap()
        .expect("found");
    assert!(r.newly);
    assert_eq!(r.token_sha256, hash);
    assert_eq!(
        r.record.revoked_by.as_deref(),
        Some("operator:UZ000000000101")
    );
    assert!(store.token_grant(&hash, now).await.unwrap().is_none());
    assert_eq!(store.principal_for_token(&hash).await.unwrap(), None);
    let epoch1 = store.identity_epoch().await.unwrap();
    assert_eq!(epoch1, epoch0 + 1);
    let again = store
        .revoke_token(&t.id, "user:admin", now, &audit("api_token.revoke"))
        .await
        .unwrap()
        .unwrap();
    assert!(!again.newly);
    assert_eq!(
        again.record.revoked_by.as_deref(),
        Some("operator:UZ000000000101")
    );
    assert_eq!(store.identity_epoch().await.unwrap(), epoch1);
    let revocations = store
        .audit_log(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "api_token.revoke")
        .count();
    assert_eq!(revocations, 1);
    assert!(store
        .revoke_token(
            "ffffffffffffffff",
            "user:admin",
            now,
            &audit("api_token.revoke")
        )
        .await
        .unwrap()
        .is_none());
    store
        .create_token(
            &token("tmg_e", &trader, "erp", Duration::days(1)),
            &audit("api_token.create"),
        )
        .await
        .unwrap();
    assert_eq!(store.bump_identity_epoch().await.unwrap(), epoch1 + 1);
}

async fn holders_that_may_not_act_are_granted_nothing(store: Arc<dyn Store>, url: &str) {
    let (op, trader) = setup(&store).await;
    let now = OffsetDateTime::now_utc();
    let admin = Principal::User {
        username: "admin".into(),
    };
    for (secret, p) in [("tmg_op", &trader), ("tmg_user", &admin)] {
        store
            .create_token(
                &token(secret, p, "t", Duration::days(1)),
                &audit("api_token.create"),
            )
            .await
            .unwrap();
    }
    let op_hash = tamga_core::hash::sha256_hex(b"tmg_op");
    let user_hash = tamga_core::hash::sha256_hex(b"tmg_user");
    assert!(store.token_grant(&op_hash, now).await.unwrap().is_some());
    assert!(store.token_grant(&user_hash, now).await.unwrap().is_some());
    // What the people and login work writes: a deactivated user, an
    // operator waiting for approval.
    raw(
        url,
        "UPDATE users SET active = FALSE WHERE username = 'admin'",
    )
    .await;
    raw(
        url,
        &format!("UPDATE operators SET status = 'pending' WHERE id = '{op}'"),
    )
    .await;
    assert!(store.token_grant(&op_hash, now).await.unwrap().is_none());
    assert!(store.token_grant(&user_hash, now).await.unwrap().is_none());
}

/// Runs a statement through a connection of its own to the test database.
async fn raw(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(url);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

async fn a_key_revocation_is_recorded_once_with_its_notification(store: Arc<dyn Store>) {
    let (op, _) = setup(&store).await;
    let now = OffsetDateTime::now_utc();
    store
        .add_signing_key(&SigningKeyRecord {
            key_id: "k1".into(),
            operator: op.clone(),
            public_key: "pk1".into(),
            created_at: now,
            revoked: false,
        })
        .await
        .unwrap();
    let epoch0 = store.identity_epoch().await.unwrap();
    let owner = format!("operator:{op}");
    let n = NewNotification {
        recipient: op.clone(),
        kind: NotificationKind::SigningKeyRevoked,
        mrn: None,
        lrn: None,
        at: now,
        payload: json!({"keyId": "k1"}),
    };
    // Not another owner's key.
    assert!(!store
        .revoke_key(
            "operator:UZ000000000999",
            "k1",
            "user:admin",
            now,
            &audit("signing_key.revoke"),
            Some(&n)
        )
        .await
        .unwrap());
    assert!(store
        .revoke_key(
            &owner,
            "k1",
            "user:admin",
            now,
            &audit("signing_key.revoke"),
            Some(&n)
        )
        .await
        .unwrap());
    assert!(!store
        .revoke_key(
            &owner,
            "k1",
            "user:admin",
            now,
            &audit("signing_key.revoke"),
            Some(&n)
        )
        .await
        .unwrap());
    assert_eq!(store.identity_epoch().await.unwrap(), epoch0 + 1);
    let keys = store.signing_keys(&op).await.unwrap();
    assert!(keys[0].revoked);
    let r = store.key_revocation("k1").await.unwrap().expect("revoked");
    assert_eq!(r.owner, owner);
    assert_eq!(r.revoked_by.as_deref(), Some("user:admin"));
    assert_eq!(
        r.revoked_at.map(|t| t.unix_timestamp()),
        Some(now.unix_timestamp())
    );
    assert_eq!(store.key_revocations(&owner).await.unwrap(), vec![r]);
    let notes = store.notifications(&op, 0, 100).await.unwrap();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.kind == NotificationKind::SigningKeyRevoked)
            .count(),
        1
    );
    let audits = store.audit_log(0, 100).await.unwrap();
    assert_eq!(
        audits
            .iter()
            .filter(|a| a.action == "signing_key.revoke")
            .count(),
        1
    );
    assert!(store.key_revocation("nope").await.unwrap().is_none());
}
