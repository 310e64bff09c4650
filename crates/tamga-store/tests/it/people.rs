//! Storage story of people and parties (issue 15): an operator registered
//! online is pending with an inactive first user; a decision is taken once
//! (approval activates the users); staff users are created, listed by
//! role, office and operator, and changed; every administrative write is
//! in the audit log, read back filtered by actor and action. Runs on
//! SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use std::sync::Arc;

use time::OffsetDateTime;

use tamga_core::codes::{Eori, OfficeCode};
use tamga_store::{
    AuditQuery, Decided, NewUser, OperatorKind, OperatorRecord, OperatorStatus, Role, Store,
    StoreError, User, UserChange, UserQuery,
};

stories!(registrations_are_decided_once_and_people_change_with_audit);

fn registration(id: &Eori, kind: OperatorKind, at: OffsetDateTime) -> OperatorRecord {
    OperatorRecord {
        id: id.clone(),
        name: format!("Operator {id}"),
        kind,
        status: OperatorStatus::Pending,
        details: serde_json::json!({"address": {"city": "Tashkent"}}),
        created_at: at,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
    }
}

fn person(
    username: &str,
    roles: Vec<Role>,
    operator: Option<&Eori>,
    offices: &[&str],
    active: bool,
    at: OffsetDateTime,
) -> NewUser {
    NewUser {
        user: User {
            username: username.into(),
            name: username.to_uppercase(),
            roles,
            operator: operator.cloned(),
            offices: offices
                .iter()
                .map(|o| OfficeCode::parse(o).unwrap())
                .collect(),
            active,
            created_at: at,
        },
        email: Some(format!("{username}@example.uz")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        must_change_password: true,
        totp_required: false,
    }
}

async fn registrations_are_decided_once_and_people_change_with_audit(store: Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let a = Eori::parse("UZ000000777001").unwrap();
    let b = Eori::parse("UZ000000777002").unwrap();
    store
        .register_operator(
            &registration(&a, OperatorKind::Trader, now),
            &person("alpha", vec![Role::Trader], Some(&a), &[], false, now),
        )
        .await
        .unwrap();
    // The same EORI, or the same username, again: nothing written.
    let again = store
        .register_operator(
            &registration(&a, OperatorKind::Trader, now),
            &person("alpha2", vec![Role::Trader], Some(&a), &[], false, now),
        )
        .await;
    assert!(
        matches!(&again, Err(StoreError::AlreadyExists(w)) if w.starts_with("operator")),
        "{again:?}"
    );
    let taken = store
        .register_operator(
            &registration(&b, OperatorKind::Broker, now),
            &person("alpha", vec![Role::Broker], Some(&b), &[], false, now),
        )
        .await;
    assert!(
        matches!(&taken, Err(StoreError::AlreadyExists(w)) if w.starts_with("user")),
        "{taken:?}"
    );
    assert!(
        store.operator_record(&b).await.unwrap().is_none(),
        "rolled back"
    );
    store
        .register_operator(
            &registration(&b, OperatorKind::Broker, now),
            &person("beta", vec![Role::Broker], Some(&b), &[], false, now),
        )
        .await
        .unwrap();

    let pending = store
        .operator_records(Some(OperatorStatus::Pending), None)
        .await
        .unwrap();
    assert_eq!(pending.iter().map(|o| &o.id).collect::<Vec<_>>(), [&a, &b]);
    let brokers = store
        .operator_records(None, Some(OperatorKind::Broker))
        .await
        .unwrap();
    assert_eq!(brokers.len(), 1);
    assert_eq!(brokers[0].details["address"]["city"], "Tashkent");
    let alpha = store.person("alpha").await.unwrap().unwrap();
    assert!(!alpha.user.active, "inactive until approved");
    assert!(alpha.has_password && alpha.must_change_password);
    assert_eq!(alpha.user.operator.as_ref(), Some(&a));

    // Approve A, refuse B; a second decision is refused.
    let Decided::Done(op) = store
        .decide_operator(&a, true, None, "user:root", now, None)
        .await
        .unwrap()
    else {
        panic!("not decided")
    };
    assert_eq!(op.status, OperatorStatus::Approved);
    assert_eq!(op.decided_by.as_deref(), Some("user:root"));
    assert!(op.decided_at.is_some());
    assert!(store.person("alpha").await.unwrap().unwrap().user.active);
    assert!(matches!(
        store.decide_operator(&a, false, Some("late"), "user:root", now, None).await.unwrap(),
        Decided::AlreadyDecided(o) if o.status == OperatorStatus::Approved
    ));
    let Decided::Done(refused) = store
        .decide_operator(&b, false, Some("documents missing"), "user:root", now, None)
        .await
        .unwrap()
    else {
        panic!("not decided")
    };
    assert_eq!(
        refused.decision_reason.as_deref(),
        Some("documents missing")
    );
    assert!(!store.person("beta").await.unwrap().unwrap().user.active);
    assert_eq!(
        store
            .decide_operator(
                &Eori::parse("UZ000000777999").unwrap(),
                true,
                None,
                "user:root",
                now,
                None
            )
            .await
            .unwrap(),
        Decided::NotFound
    );

    // Staff.
    store
        .create_person(
            &person(
                "insp",
                vec![Role::Inspector],
                None,
                &["UZ000100"],
                true,
                now,
            ),
            "user:root",
            now,
        )
        .await
        .unwrap();
    store
        .create_person(
            &person("off2", vec![Role::Officer], None, &["UZ000200"], true, now),
            "user:root",
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_person(
                &person("insp", vec![Role::Officer], None, &[], true, now),
                "user:root",
                now
            )
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
    let office = OfficeCode::parse("UZ000100").unwrap();
    let staff = store.office_staff(&office).await.unwrap();
    assert_eq!(
        staff
            .iter()
            .map(|u| u.user.username.as_str())
            .collect::<Vec<_>>(),
        ["insp"]
    );
    let inspectors = store
        .people(&UserQuery {
            role: Some(Role::Inspector),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(inspectors.len(), 1);
    let of_a = store
        .people(&UserQuery {
            operator: Some(a.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        of_a.iter()
            .map(|u| u.user.username.as_str())
            .collect::<Vec<_>>(),
        ["alpha"]
    );
    assert_eq!(store.people(&UserQuery::default()).await.unwrap().len(), 4);

    // A change: roles, offices, activity, e-mail, second factor.
    let changed = store
        .update_person(
            "insp",
            &UserChange {
                roles: Some(vec![Role::Inspector, Role::Officer]),
                offices: Some(vec![OfficeCode::parse("UZ000200").unwrap(), office.clone()]),
                active: Some(false),
                email: Some(None),
                totp_required: Some(true),
            },
            "user:root",
            now,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.user.roles, [Role::Officer, Role::Inspector]);
    assert_eq!(changed.user.offices.len(), 2);
    assert_eq!(changed.user.offices[0].as_str(), "UZ000200");
    assert!(!changed.user.active && changed.totp_required && changed.email.is_none());
    // The older read of the user (what the login and tokens use) agrees.
    let plain = store.user("insp").await.unwrap().unwrap();
    assert_eq!(plain.roles, changed.user.roles);
    assert!(!plain.active);
    assert!(store
        .update_person("nobody", &UserChange::default(), "user:root", now)
        .await
        .unwrap()
        .is_none());

    // The audit log, filtered.
    let all = store
        .audit_entries(&AuditQuery {
            after: 0,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "operator.register",
        "operator.approve",
        "operator.refuse",
        "user.create",
        "user.update",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "operator.register")
            .count(),
        2,
        "failed registrations leave no entry"
    );
    let updates = store
        .audit_entries(&AuditQuery {
            after: 0,
            limit: 100,
            actor: Some("user:root".into()),
            action: Some("user.update".into()),
        })
        .await
        .unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].payload["before"]["active"], true);
    assert_eq!(updates[0].payload["change"]["active"], false);
    let page = store
        .audit_entries(&AuditQuery {
            after: all[1].id,
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [all[2].id, all[3].id]
    );
}
