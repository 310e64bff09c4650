//! Logins, sessions, passwords and the second factor (issue 15), on SQLite
//! and (when `TAMGA_TEST_PG_URL` is set) PostgreSQL, each story with two
//! store instances over one database (two service instances): failures
//! counted at once on both are all counted, a TOTP step is accepted once
//! across them, a session promoted gets a new id and the old one is dead.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use tamga_store::{
    IdentityAudit, NewSession, PasswordChange, Role, SessionStage, Store, StoreError, User,
};

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = tamga_store::testing::TestDb::sqlite().await;
                super::$name(db.open().await, db.open().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
            async fn $name() {
                let db = tamga_store::testing::TestDb::postgres_variant().await;
                super::$name(db.open().await, db.open().await).await;
            })*
        }
    };
}

stories!(
    passwords_keep_a_history_and_revoke_sessions,
    failures_are_counted_atomically_across_instances,
    sessions_expire_idle_out_and_are_promoted_under_a_new_id,
    a_totp_step_is_accepted_once_across_instances,
    deactivating_a_user_revokes_its_sessions,
);

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn audit(action: &str) -> IdentityAudit {
    IdentityAudit {
        actor: "cli".into(),
        action: action.into(),
        payload: serde_json::json!({"test": true}),
    }
}

async fn user(store: &Arc<dyn Store>, name: &str) {
    store
        .create_user(&User::staff(
            name,
            "Test Person",
            Role::Officer,
            vec![],
            t0(),
        ))
        .await
        .unwrap();
}

async fn session(
    store: &Arc<dyn Store>,
    id: &str,
    name: &str,
    stage: SessionStage,
    at: OffsetDateTime,
) {
    store
        .create_session(&NewSession {
            id_sha256: id,
            username: name,
            stage,
            csrf: "csrf",
            at,
            expires_at: at + Duration::hours(8),
        })
        .await
        .unwrap();
}

async fn passwords_keep_a_history_and_revoke_sessions(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    user(&a, "pw").await;
    let fresh = a.login_record("pw").await.unwrap().unwrap();
    assert_eq!(fresh.password_hash, None);
    assert!(fresh.active && !fresh.must_change_password && fresh.totp_secret.is_none());
    assert_eq!(fresh.operator_status, None);
    let a_audit = audit("user.password_reset");
    let err = a
        .set_password(&PasswordChange {
            username: "nobody",
            hash: "h",
            must_change: false,
            keep_session: None,
            at: t0(),
            audit: &a_audit,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    session(&a, "s-mine", "pw", SessionStage::Full, t0()).await;
    session(&a, "s-other", "pw", SessionStage::Full, t0()).await;
    for i in 0..8 {
        a.set_password(&PasswordChange {
            username: "pw",
            hash: &format!("hash-{i}"),
            must_change: i == 0,
            keep_session: Some("s-mine"),
            at: t0() + Duration::seconds(i),
            audit: &a_audit,
        })
        .await
        .unwrap();
    }
    let r = b.login_record("pw").await.unwrap().unwrap();
    assert_eq!(r.password_hash.as_deref(), Some("hash-7"));
    assert!(!r.must_change_password, "a change clears must_change");
    // The last five earlier hashes, newest first.
    assert_eq!(
        b.password_history("pw").await.unwrap(),
        vec!["hash-6", "hash-5", "hash-4", "hash-3", "hash-2"]
    );
    let later = t0() + Duration::minutes(1);
    assert!(b.session("s-mine", later, t0()).await.unwrap().is_some());
    assert!(b.session("s-other", later, t0()).await.unwrap().is_none());

    // A reset sets must_change and revokes every session.
    a.set_password(&PasswordChange {
        username: "pw",
        hash: "reset",
        must_change: true,
        keep_session: None,
        at: later,
        audit: &a_audit,
    })
    .await
    .unwrap();
    assert!(
        b.login_record("pw")
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(b.session("s-mine", later, t0()).await.unwrap().is_none());
    let log = b.audit_log(0, 100).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "user.password_reset")
            .count(),
        9
    );

    // A rehash replaces only the hash it was made for.
    a.rehash_password("pw", "not-the-hash", "x").await.unwrap();
    assert_eq!(
        b.login_record("pw")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("reset")
    );
    a.rehash_password("pw", "reset", "reset-2").await.unwrap();
    assert_eq!(
        b.login_record("pw")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("reset-2")
    );
}

async fn failures_are_counted_atomically_across_instances(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let (forget, base, max) = (
        Duration::hours(24),
        Duration::minutes(1),
        Duration::minutes(60),
    );
    assert_eq!(a.throttle("user:x").await.unwrap(), None);
    // 20 failures at once, half on each instance: each is counted.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.record_failure("user:x", t0(), forget, 5, base, max)
                .await
                .unwrap()
        }));
    }
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap().failures);
    }
    counts.sort();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>());
    let th = b.throttle("user:x").await.unwrap().unwrap();
    assert_eq!(th.failures, 20);
    // The 20th failure: 2^15 minutes, capped at an hour.
    assert_eq!(th.locked_until, t0() + max);

    // Below the threshold nothing is locked; at it, `base`; then doubled.
    for i in 1..=7 {
        let th = a
            .record_failure("ip:1.2.3.4", t0(), forget, 5, base, max)
            .await
            .unwrap();
        assert_eq!(th.failures, i);
        let expected = match i {
            1..=4 => OffsetDateTime::UNIX_EPOCH,
            5 => t0() + Duration::minutes(1),
            6 => t0() + Duration::minutes(2),
            _ => t0() + Duration::minutes(4),
        };
        assert_eq!(th.locked_until, expected, "failure {i}");
    }
    // Failures long ago are forgotten: the count starts again (the lock
    // it earned stays until it ends).
    let th = a
        .record_failure(
            "ip:1.2.3.4",
            t0() + Duration::hours(25),
            forget,
            5,
            base,
            max,
        )
        .await
        .unwrap();
    assert_eq!(th.failures, 1);
    // A success clears it.
    b.clear_throttle("ip:1.2.3.4").await.unwrap();
    assert_eq!(a.throttle("ip:1.2.3.4").await.unwrap(), None);
}

async fn sessions_expire_idle_out_and_are_promoted_under_a_new_id(
    a: Arc<dyn Store>,
    b: Arc<dyn Store>,
) {
    user(&a, "se").await;
    session(&a, "half", "se", SessionStage::SecondFactor, t0()).await;
    let s = b.session("half", t0(), t0()).await.unwrap().unwrap();
    assert_eq!(
        (s.username.as_str(), s.stage),
        ("se", SessionStage::SecondFactor)
    );
    assert!(b.session("other", t0(), t0()).await.unwrap().is_none());
    // Expired (8 hours) and idle ones are gone.
    assert!(b
        .session("half", t0() + Duration::hours(8), t0())
        .await
        .unwrap()
        .is_none());
    assert!(b
        .session(
            "half",
            t0() + Duration::minutes(40),
            t0() + Duration::minutes(10)
        )
        .await
        .unwrap()
        .is_none());
    // Seen again: last_seen moves (once a minute at most).
    let later = t0() + Duration::minutes(5);
    b.session("half", later, t0()).await.unwrap().unwrap();
    let s = a
        .session("half", later + Duration::seconds(1), later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_seen, later);

    let full = NewSession {
        id_sha256: "full",
        username: "se",
        stage: SessionStage::Full,
        csrf: "csrf-2",
        at: later,
        expires_at: later + Duration::hours(8),
    };
    // Only the user's own second-factor session is promoted, once.
    let wrong_user = NewSession {
        username: "someone",
        ..full.clone()
    };
    assert!(!a.promote_session("half", &wrong_user).await.unwrap());
    assert!(a.promote_session("half", &full).await.unwrap());
    assert!(!b.promote_session("half", &full).await.unwrap());
    assert!(
        b.session("half", later, t0()).await.unwrap().is_none(),
        "the old id is dead"
    );
    let s = b.session("full", later, t0()).await.unwrap().unwrap();
    assert_eq!((s.stage, s.csrf.as_str()), (SessionStage::Full, "csrf-2"));
    // A full session is not promoted again.
    let again = NewSession {
        id_sha256: "full-2",
        ..full.clone()
    };
    assert!(!a.promote_session("full", &again).await.unwrap());

    assert!(a.revoke_session("full", later).await.unwrap());
    assert!(!a.revoke_session("full", later).await.unwrap());
    assert!(b.session("full", later, t0()).await.unwrap().is_none());

    session(&a, "x1", "se", SessionStage::Full, later).await;
    session(&a, "x2", "se", SessionStage::Full, later).await;
    session(&a, "x3", "se", SessionStage::Full, later).await;
    assert_eq!(
        b.revoke_user_sessions("se", Some("x2"), later)
            .await
            .unwrap(),
        2
    );
    assert!(a.session("x1", later, t0()).await.unwrap().is_none());
    assert!(a.session("x2", later, t0()).await.unwrap().is_some());
}

async fn a_totp_step_is_accepted_once_across_instances(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    user(&a, "tf").await;
    a.set_totp_pending("tf", "PENDINGSECRET").await.unwrap();
    assert!(matches!(
        a.set_totp_pending("nobody", "X").await,
        Err(StoreError::NotFound(_))
    ));
    let r = b.login_record("tf").await.unwrap().unwrap();
    assert_eq!(
        (r.totp_pending.as_deref(), r.totp_secret),
        (Some("PENDINGSECRET"), None)
    );
    // Confirming another offer than the pending one does nothing.
    assert!(!b
        .confirm_totp("tf", "OTHER", 100, t0(), &audit("user.totp_enrolled"))
        .await
        .unwrap());
    assert!(a
        .confirm_totp(
            "tf",
            "PENDINGSECRET",
            100,
            t0(),
            &audit("user.totp_enrolled")
        )
        .await
        .unwrap());
    let r = b.login_record("tf").await.unwrap().unwrap();
    assert_eq!(
        (r.totp_secret.as_deref(), r.totp_pending, r.totp_last_step),
        (Some("PENDINGSECRET"), None, Some(100))
    );
    // The confirming step is used; an earlier one never again.
    assert!(!a.accept_totp_step("tf", 100).await.unwrap());
    assert!(!a.accept_totp_step("tf", 99).await.unwrap());
    // The same later step tried at once on both instances: one wins.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.accept_totp_step("tf", 101).await.unwrap()
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += usize::from(t.await.unwrap());
    }
    assert_eq!(accepted, 1);
    assert!(b.accept_totp_step("tf", 103).await.unwrap());

    assert!(b
        .clear_totp("tf", t0(), &audit("user.totp_disabled"))
        .await
        .unwrap());
    assert!(!b
        .clear_totp("nobody", t0(), &audit("user.totp_disabled"))
        .await
        .unwrap());
    let r = a.login_record("tf").await.unwrap().unwrap();
    assert_eq!((r.totp_secret, r.totp_pending), (None, None));
    let log = a.audit_log(0, 100).await.unwrap();
    assert!(log.iter().any(|e| e.action == "user.totp_enrolled"));
    assert!(log.iter().any(|e| e.action == "user.totp_disabled"));
}

async fn deactivating_a_user_revokes_its_sessions(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    user(&a, "de").await;
    session(&a, "d1", "de", SessionStage::Full, t0()).await;
    assert!(!a
        .set_user_active("nobody", false, t0(), &audit("user.deactivated"))
        .await
        .unwrap());
    assert!(a
        .set_user_active("de", false, t0(), &audit("user.deactivated"))
        .await
        .unwrap());
    assert!(b.session("d1", t0(), t0()).await.unwrap().is_none());
    assert!(!b.login_record("de").await.unwrap().unwrap().active);
    assert!(!b.user("de").await.unwrap().unwrap().active);
    assert!(a
        .set_user_active("de", true, t0(), &audit("user.activated"))
        .await
        .unwrap());
    assert!(b.login_record("de").await.unwrap().unwrap().active);
}
