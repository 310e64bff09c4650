//! Officer signatures at the service level, on SQLite and (with
//! `TAMGA_TEST_PG_URL`) PostgreSQL.

use std::sync::Arc;

use time::OffsetDateTime;

use tamga_app::{AppError, Caller, Clearance, Settings, Signed};
use tamga_core::codes::{CountryCode, Mrn, MrnCategory, OfficeCode};
use tamga_core::lifecycle::ControlOutcome;
use tamga_core::signature;
use tamga_store::testing::TestDb;
use tamga_store::{OfficerKeyRecord, Role, Store, User};

async fn setup(db: &TestDb) -> (Arc<dyn Store>, Arc<Clearance>, Caller) {
    let store = tamga_store::open(&db.url).await.unwrap();
    tamga_app::bootstrap(&store, false).await.unwrap();
    let user = User::staff(
        "inspector7",
        "Inspector 7",
        Role::Officer,
        vec![OfficeCode::parse("UZ000100").unwrap()],
        OffsetDateTime::now_utc(),
    );
    store.create_user(&user).await.unwrap();
    let clearance = Clearance::start(store.clone(), Settings::default())
        .await
        .unwrap();
    (store, clearance, Caller::User(user))
}

fn mrn(seq: u64) -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        seq,
        MrnCategory::Import,
    )
    .unwrap()
}

/// `body` signed with `key` and checked as `caller`'s act.
async fn signed_by(
    clearance: &Clearance,
    caller: &Caller,
    key: &ed25519_dalek::SigningKey,
    body: &str,
) -> Result<tamga_app::clearance::VerifiedSignature, AppError> {
    let sig = signature::sign(key, body.as_bytes());
    clearance
        .verify_officer(
            caller,
            &Signed {
                body: body.as_bytes(),
                signature: Some(&sig),
                key_id: None,
            },
        )
        .await
}

fn code(e: AppError) -> &'static str {
    e.code()
}

async fn record_control_verified_checks_the_declaration_and_act(db: TestDb) {
    let (store, clearance, caller) = setup(&db).await;
    let key = signature::signing_key_from_seed([21; 32]);
    // The fixture registers the officer's first key (as an administrator
    // would: a token alone does not).
    let public_key = signature::public_key_b64(&key.verifying_key());
    store
        .add_officer_key(&OfficerKeyRecord {
            key_id: tamga_app::clearance::key_id_of(&public_key),
            username: "inspector7".into(),
            public_key,
            created_at: OffsetDateTime::now_utc(),
            revoked: false,
        })
        .await
        .unwrap();
    let (a, b) = (mrn(1), mrn(2));
    for (body, expected) in [
        (
            format!(r#"{{"mrn":"{b}","act":"task_result","version":1,"outcome":"compliant"}}"#),
            "OFFICER_SIGNED_MRN",
        ),
        (
            format!(r#"{{"mrn":"{a}","act":"control_result","version":1,"outcome":"compliant"}}"#),
            "OFFICER_SIGNED_ACT",
        ),
        (
            format!(r#"{{"mrn":"{a}","act":"release","version":1}}"#),
            "OFFICER_SIGNED_ACT",
        ),
    ] {
        let v = signed_by(&clearance, &caller, &key, &body).await.unwrap();
        let e = clearance
            .record_control_verified(&caller, &a, ControlOutcome::Compliant, None, v)
            .await
            .unwrap_err();
        assert_eq!(code(e), expected, "{body}");
    }

    // A signed act body is capped (16 KiB): it is kept in the record.
    let notes = "x".repeat(tamga_app::clearance::MAX_OFFICER_ACT);
    let body = format!(
        r#"{{"mrn":"{a}","act":"task_result","version":1,"outcome":"compliant","notes":"{notes}"}}"#
    );
    let e = signed_by(&clearance, &caller, &key, &body)
        .await
        .unwrap_err();
    assert_eq!(code(e), "OFFICER_ACT_TOO_LARGE");
}

/// A refused act does not leave an empty key list behind: a key registered
/// right after it (here straight in the store, as another instance would)
/// works at once.
async fn a_key_registered_after_a_refused_act_works_at_once(db: TestDb) {
    let (store, clearance, caller) = setup(&db).await;
    let key = signature::signing_key_from_seed([22; 32]);
    let body = format!(r#"{{"mrn":"{}","act":"release","version":1}}"#, mrn(1));
    let sig = signature::sign(&key, body.as_bytes());
    let signed = Signed {
        body: body.as_bytes(),
        signature: Some(&sig),
        key_id: None,
    };
    let e = clearance
        .verify_officer(&caller, &signed)
        .await
        .unwrap_err();
    assert_eq!(code(e), "OFFICER_SIGNATURE_KEY_UNKNOWN");
    let public_key = signature::public_key_b64(&key.verifying_key());
    store
        .add_officer_key(&OfficerKeyRecord {
            key_id: tamga_app::clearance::key_id_of(&public_key),
            username: "inspector7".into(),
            public_key,
            created_at: OffsetDateTime::now_utc(),
            revoked: false,
        })
        .await
        .unwrap();
    let v = clearance.verify_officer(&caller, &signed).await.unwrap();
    assert_eq!(v.username(), "inspector7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_key_registered_after_a_refused_act_works_at_once() {
    a_key_registered_after_a_refused_act_works_at_once(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_a_key_registered_after_a_refused_act_works_at_once() {
    a_key_registered_after_a_refused_act_works_at_once(TestDb::postgres_variant().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_record_control_verified_checks_the_declaration_and_act() {
    record_control_verified_checks_the_declaration_and_act(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_record_control_verified_checks_the_declaration_and_act() {
    record_control_verified_checks_the_declaration_and_act(TestDb::postgres_variant().await).await;
}
