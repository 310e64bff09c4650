//! People and parties (issue 15) through the API: an operator registers
//! online (no token), waits, is refused with a reason or approved (its
//! user activated, its account opened, a notification sent); bad fields
//! are refused with their pointers; only administrators reach the admin
//! routes; an office administrator stays within its offices and never
//! grants the administrator role; nobody changes their own roles; every
//! act is in the audit log.

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_core::codes::Eori;

use crate::common::TestApp;

stories!(
    registrations_wait_for_an_administrators_decision,
    administrators_manage_users_within_their_scope,
    office_administrators_register_keys_within_their_scope,
);

fn form(eori: &str, username: &str) -> Value {
    json!({
        "eori": eori,
        "kind": "trader",
        "legalName": "Bukhara Cotton Export LLC",
        "address": {"street": "12 Mustaqillik Street", "city": "Bukhara", "postcode": "200100", "country": "UZ"},
        "contact": {"email": "office@bukhara-cotton.uz", "phone": "+998 65 221 00 00"},
        "representative": {"name": "Dilnoza Yusupova", "position": "Director"},
        "user": {"username": username, "name": "Dilnoza Yusupova", "password": "quiet-Harbour-lantern-93"}
    })
}

async fn register(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/registrations", app.base))
        .json(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn error(v: &Value) -> (String, String) {
    (
        v["error"]["code"].as_str().unwrap_or_default().to_owned(),
        v["error"]["pointer"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn registrations_wait_for_an_administrators_decision(app: TestApp) {
    let admin = app.user_token("admin");
    // Bad fields, each refused with its code and pointer.
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("/eori", json!("12-34"), "EORI_FORMAT", "/eori"),
        ("/kind", json!("bank"), "REGISTRATION_KIND", "/kind"),
        ("/legalName", json!("  "), "FIELD_REQUIRED", "/legalName"),
        (
            "/address/country",
            json!("Uzbekistan"),
            "COUNTRY_FORMAT",
            "/address/country",
        ),
        (
            "/contact/email",
            json!("not-an-address"),
            "EMAIL_FORMAT",
            "/contact/email",
        ),
        (
            "/contact/phone",
            json!("12345"),
            "PHONE_FORMAT",
            "/contact/phone",
        ),
        (
            "/user/username",
            json!("Has Spaces"),
            "USERNAME_FORMAT",
            "/user/username",
        ),
        (
            "/user/password",
            json!("short"),
            "PASSWORD_TOO_SHORT",
            "/user/password",
        ),
        (
            "/user/password",
            json!("qwertyuiop123"),
            "PASSWORD_WEAK",
            "/user/password",
        ),
    ];
    for (pointer, value, code, at) in cases {
        let mut body = form("UZ000000555001", "dilnoza");
        *body.pointer_mut(pointer).unwrap() = value;
        let (s, v) = register(&app, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{pointer}: {v}");
        assert_eq!(
            error(&v),
            (code.to_owned(), at.to_owned()),
            "{pointer}: {v}"
        );
    }
    let (s, v) = register(&app, &json!({"eori": "UZ000000555001", "extra": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    // Nothing of the refused attempts was stored.
    assert!(app.store.user("dilnoza").await.unwrap().is_none());

    // Two registrations; the same EORI or user name again conflicts.
    let (s, v) = register(&app, &form("UZ000000555001", "dilnoza")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "pending");
    let (s, v) = register(&app, &form("UZ000000555001", "other.user")).await;
    assert_eq!(
        (s, error(&v)),
        (
            StatusCode::CONFLICT,
            ("OPERATOR_EXISTS".into(), "/eori".into())
        ),
        "{v}"
    );
    let (s, v) = register(&app, &form("UZ000000555002", "dilnoza")).await;
    assert_eq!(
        (s, error(&v)),
        (
            StatusCode::CONFLICT,
            ("USERNAME_TAKEN".into(), "/user/username".into())
        ),
        "{v}"
    );
    let (s, v) = register(&app, &form("UZ000000555002", "aziz")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The first user may not log in yet: it is inactive.
    assert!(!app.store.user("dilnoza").await.unwrap().unwrap().active);

    // Only administrators see and decide registrations.
    let trader = app.trader(0).token.clone();
    for token in [
        trader.clone(),
        app.user_token("officer"),
        app.user_token("analyst"),
        app.user_token("bank"),
        app.user_token("trader1"),
    ] {
        for path in [
            "/api/v1/admin/operators",
            "/api/v1/admin/operators/UZ000000555001",
            "/api/v1/admin/users",
            "/api/v1/admin/audit",
            "/api/v1/admin/offices/UZ000100/staff",
        ] {
            let (s, _) = app.get(path, &token).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        }
        let (s, _) = app
            .post_json(
                "/api/v1/admin/operators/UZ000000555001/decision",
                &token,
                &json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, _) = app.get("/api/v1/admin/operators", "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, v) = app
        .get("/api/v1/admin/operators?status=pending", &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pending: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["eori"].as_str().unwrap())
        .collect();
    assert_eq!(pending, ["UZ000000555001", "UZ000000555002"]);
    let (_, v) = app
        .get("/api/v1/admin/operators/UZ000000555001", &admin)
        .await;
    assert_eq!(v["details"]["contact"]["phone"], "+998652210000", "{v}");
    assert_eq!(v["details"]["address"]["city"], "Bukhara");
    let (s, v) = app
        .get("/api/v1/admin/operators?status=maybe", &admin)
        .await;
    assert_eq!(
        (s, error(&v).1),
        (StatusCode::BAD_REQUEST, "/status".into())
    );

    // Refusing needs a reason.
    let decision = "/api/v1/admin/operators/UZ000000555002/decision";
    let (s, v) = app
        .post_json(decision, &admin, &json!({"decision": "refuse"}))
        .await;
    assert_eq!(
        (s, error(&v)),
        (
            StatusCode::BAD_REQUEST,
            ("REASON_REQUIRED".into(), "/reason".into())
        ),
        "{v}"
    );
    let (s, v) = app
        .post_json(
            decision,
            &admin,
            &json!({"decision": "refuse", "reason": "the EORI belongs to another company"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "refused");
    assert_eq!(v["decidedBy"], "user:admin");
    assert_eq!(v["decisionReason"], "the EORI belongs to another company");
    let (s, v) = app
        .post_json(decision, &admin, &json!({"decision": "approve"}))
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::CONFLICT, "ALREADY_DECIDED".into()),
        "{v}"
    );
    assert!(!app.store.user("aziz").await.unwrap().unwrap().active);

    // Approval activates the user, opens the account and notifies.
    let (s, v) = app
        .post_json(
            "/api/v1/admin/operators/UZ000000555001/decision",
            &admin,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let id = Eori::parse("UZ000000555001").unwrap();
    assert!(app.store.user("dilnoza").await.unwrap().unwrap().active);
    assert_eq!(app.store.ledger_accounts(Some(&id)).await.unwrap().len(), 1);
    let notes = app.store.notifications(&id, 0, 10).await.unwrap();
    assert!(
        notes.iter().any(|n| n.kind.as_str() == "operator_approved"),
        "{notes:?}"
    );
    let (s, v) = app
        .post_json(
            "/api/v1/admin/operators/UZ000000555999/decision",
            &admin,
            &json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

    let (_, v) = app
        .get(
            "/api/v1/admin/operators?status=approved&kind=trader",
            &admin,
        )
        .await;
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["eori"] == "UZ000000555001"));
    let (_, v) = app
        .get("/api/v1/admin/users?operator=UZ000000555001", &admin)
        .await;
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["roles"], json!(["trader"]));

    // The audit log holds every act, with its actor.
    let (s, v) = app
        .get("/api/v1/admin/audit?action=operator.refuse", &admin)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(entries[0]["actor"], "user:admin");
    assert_eq!(
        entries[0]["payload"]["reason"],
        "the EORI belongs to another company"
    );
    let (_, v) = app
        .get("/api/v1/admin/audit?actor=user:dilnoza", &admin)
        .await;
    assert_eq!(v["entries"][0]["action"], "operator.register", "{v}");
    let (_, v) = app
        .get(
            "/api/v1/admin/audit?action=operator.approve&limit=1",
            &admin,
        )
        .await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    let (s, _) = app.get("/api/v1/admin/audit?limit=0", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn administrators_manage_users_within_their_scope(app: TestApp) {
    let admin = app.user_token("admin");
    let office_admin = app.user_token("office-admin");
    // The offices are public.
    let r = app
        .http
        .get(format!("{}/api/v1/offices", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let offices: Value = r.json().await.unwrap();
    assert!(offices
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["code"] == "UZ000100" && o["latitude"].is_number()));

    // The central administrator creates an inspector; the answer carries
    // the initial password once.
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users",
            &admin,
            &json!({"username": "insp2", "name": "Second Inspector", "roles": ["inspector"], "offices": ["UZ000100"], "email": "insp2@customs.uz"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["initialPassword"].as_str().unwrap().len() >= 12);
    assert_eq!(v["user"]["mustChangePassword"], true);
    assert_eq!(v["user"]["hasPassword"], true);
    let (s, v) = app
        .post_json("/api/v1/admin/users", &admin, &json!({"username": "insp2", "name": "Again", "roles": ["officer"], "offices": ["UZ000100"]}))
        .await;
    assert_eq!(
        (s, error(&v)),
        (
            StatusCode::CONFLICT,
            ("USERNAME_TAKEN".into(), "/username".into())
        ),
        "{v}"
    );
    // It can be registered as an inspector and is then a dispatch candidate.
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/insp2",
            &admin,
            &json!({"office": "UZ000100", "competences": {"hsChapters": ["85"]}, "capacity": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get("/api/v1/inspectors", &admin).await;
    assert!(v.to_string().contains("insp2"), "{v}");

    // Shapes: roles on the right side, offices for officers.
    for (body, code, pointer) in [
        (
            json!({"username": "tr1x", "name": "T", "roles": ["trader"]}),
            "ROLE_NEEDS_OPERATOR",
            "/roles/0",
        ),
        (
            json!({"username": "o1x", "name": "O", "roles": ["officer"], "operator": "UZ000000000101"}),
            "ROLE_CUSTOMS_ONLY",
            "/roles/0",
        ),
        (
            json!({"username": "o2x", "name": "O", "roles": ["officer"]}),
            "OFFICES_REQUIRED",
            "/offices",
        ),
        (
            json!({"username": "o3x", "name": "O", "roles": ["officer"], "offices": ["ZZ999999"]}),
            "OFFICE_UNKNOWN",
            "/offices/0",
        ),
        (
            json!({"username": "O 4", "name": "O", "roles": ["officer"], "offices": ["UZ000100"]}),
            "USERNAME_FORMAT",
            "/username",
        ),
        (
            json!({"username": "o5x", "name": "O", "roles": []}),
            "ROLES_EMPTY",
            "/roles",
        ),
    ] {
        let (s, v) = app.post_json("/api/v1/admin/users", &admin, &body).await;
        assert_eq!(
            (s, error(&v)),
            (StatusCode::BAD_REQUEST, (code.into(), pointer.into())),
            "{body}: {v}"
        );
    }
    // A user of the demo trader.
    let (s, v) = app
        .post_json("/api/v1/admin/users", &admin, &json!({"username": "trader1b", "name": "Clerk", "roles": ["trader"], "operator": "UZ000000000101"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // The office administrator of UZ000100: its own office only.
    let (s, v) = app
        .post_json("/api/v1/admin/users", &office_admin, &json!({"username": "off100", "name": "Officer 100", "roles": ["officer"], "offices": ["UZ000100"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post_json("/api/v1/admin/users", &office_admin, &json!({"username": "off110", "name": "Officer 110", "roles": ["officer"], "offices": ["UZ000110"]}))
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::FORBIDDEN, "OFFICE_SCOPE".into()),
        "{v}"
    );
    let (s, v) = app
        .post_json("/api/v1/admin/users", &office_admin, &json!({"username": "adm100", "name": "Admin 100", "roles": ["admin"], "offices": ["UZ000100"]}))
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::FORBIDDEN, "ADMIN_GRANT_FORBIDDEN".into()),
        "{v}"
    );
    // The central administrator creates an officer of another office.
    let (s, v) = app
        .post_json("/api/v1/admin/users", &admin, &json!({"username": "off110", "name": "Officer 110", "roles": ["officer"], "offices": ["UZ000110"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // …whom the office administrator neither sees nor changes.
    let (s, _) = app.get("/api/v1/admin/users/off110", &office_admin).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/off110",
            &office_admin,
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = app
        .get("/api/v1/admin/offices/UZ000110/staff", &office_admin)
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::FORBIDDEN, "OFFICE_SCOPE".into()),
        "{v}"
    );
    let (_, v) = app.get("/api/v1/admin/users", &office_admin).await;
    let seen: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        seen.contains(&"off100")
            && !seen.contains(&"off110")
            && !seen.contains(&"admin")
            && !seen.contains(&"trader1b"),
        "{seen:?}"
    );
    // Nor the central administrator, nor operators' users.
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/admin",
            &office_admin,
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // It may not make its officer an administrator, nor move it away.
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/off100",
            &office_admin,
            Some(&json!({"roles": ["officer", "admin"]})),
        )
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::FORBIDDEN, "ADMIN_GRANT_FORBIDDEN".into()),
        "{v}"
    );
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/off100",
            &office_admin,
            Some(&json!({"offices": ["UZ000110"]})),
        )
        .await;
    assert_eq!(
        (s, error(&v).0),
        (StatusCode::FORBIDDEN, "OFFICE_SCOPE".into()),
        "{v}"
    );
    // But may change its roles and e-mail within its office.
    let (s, v) = app
        .call(reqwest::Method::PATCH, "/api/v1/admin/users/off100", &office_admin, Some(&json!({"roles": ["officer", "inspector"], "email": "off100@customs.uz", "totpRequired": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["roles"], json!(["officer", "inspector"]));
    assert_eq!(v["totpRequired"], true);
    let (_, v) = app
        .get("/api/v1/admin/offices/UZ000100/staff", &office_admin)
        .await;
    assert!(v.to_string().contains("off100"), "{v}");

    // No self-elevation, for either kind of administrator.
    for (who, token) in [("office-admin", &office_admin), ("admin", &admin)] {
        for patch in [
            json!({"roles": ["admin", "risk_analyst"]}),
            json!({"offices": ["UZ000110"]}),
            json!({"active": false}),
        ] {
            let (s, v) = app
                .call(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/admin/users/{who}"),
                    token,
                    Some(&patch),
                )
                .await;
            assert_eq!(
                (s, error(&v).0),
                (StatusCode::FORBIDDEN, "SELF_CHANGE".into()),
                "{who} {patch}: {v}"
            );
        }
    }
    // Another role may not use the admin routes at all.
    let (s, _) = app
        .post_json(
            "/api/v1/admin/users",
            &app.user_token("officer"),
            &json!({"username": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/officer",
            &app.user_token("manager"),
            Some(&json!({"roles": ["admin"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The central administrator deactivates a user; the act is audited.
    let (s, v) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/users/off110",
            &admin,
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    let (_, v) = app
        .get("/api/v1/admin/audit?action=user.update", &admin)
        .await;
    let entries = v["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["actor"] == "user:office-admin" && e["payload"]["user"] == "off100"),
        "{v}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["actor"] == "user:admin" && e["payload"]["change"]["active"] == false),
        "{v}"
    );
    let (_, v) = app
        .get(
            "/api/v1/admin/audit?action=user.create&actor=user:office-admin",
            &admin,
        )
        .await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = app
        .get("/api/v1/admin/users?role=inspector&office=UZ000100", &admin)
        .await;
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"insp2") && names.contains(&"off100") && names.contains(&"inspector"),
        "{names:?}"
    );
}

/// An office administrator registers a signing key for the staff of its
/// offices only, like its other acts on people.
async fn office_administrators_register_keys_within_their_scope(app: TestApp) {
    let admin = app.user_token("admin");
    let office_admin = app.user_token("office-admin");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users",
            &admin,
            &json!({"username": "off200", "name": "Officer of 200", "roles": ["officer"], "offices": ["UZ000200"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = |n: u8| {
        let k = tamga_core::signature::signing_key_from_seed([n; 32]);
        json!({"publicKey": tamga_core::signature::public_key_b64(&k.verifying_key())})
    };
    for (user, n) in [("off200", 41), ("admin", 42)] {
        let (s, v) = app
            .post_json(
                &format!("/api/v1/admin/users/{user}/signing-keys"),
                &office_admin,
                &key(n),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}: {v}");
    }
    // Nothing was registered for them; the central administrator may.
    let (s, v) = app
        .post_json("/api/v1/admin/users/off200/signing-keys", &admin, &key(41))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Its own office's officer: allowed.
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users/officer/signing-keys",
            &office_admin,
            &key(43),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
