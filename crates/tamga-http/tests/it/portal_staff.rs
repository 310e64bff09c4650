//! The customs staff's pages (issue 16): the administrator's
//! (`/admin…`), the manager's dashboard (`/manager`). Over HTTP without a
//! browser: who may open each page (a wrong role is refused with the 403
//! page, an office administrator cannot see or change another office's
//! user), forms without their CSRF token are refused, refusals are shown
//! next to their field with the service's code; the dashboard's SQL
//! aggregates and its SVG charts. In a browser: an administrator
//! approves a newly registered trader, whose user then logs in.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser_support::{
    axe, click, login, login_with, logout, run_story, screenshot, text, wd, Checked,
};
use crate::common::TestApp;
use crate::portal_login::{hidden, page_get as get, page_login, page_post as post};

stories!(
    admin_pages_keep_to_roles_scope_and_tokens,
    administrators_decide_create_and_register_keys_in_pages,
    the_manager_dashboard_counts_in_sql_and_draws_svg,
    the_analyst_edits_checks_tries_and_activates_a_profile,
    an_administrator_approves_a_newly_registered_trader_in_a_browser,
);

fn registration(eori: &str, username: &str, password: &str) -> serde_json::Value {
    json!({
        "eori": eori,
        "kind": "trader",
        "legalName": "Samarkand Silk Trading LLC",
        "address": {"street": "5 Registan Street", "city": "Samarkand", "postcode": "140100", "country": "UZ"},
        "contact": {"email": "office@samarkand-silk.uz", "phone": "+998 66 233 00 00"},
        "representative": {"name": "Aziz Karimov", "position": "Director"},
        "user": {"username": username, "name": "Aziz Karimov", "password": password}
    })
}

async fn register(app: &TestApp, eori: &str, username: &str, password: &str) {
    let r = app
        .http
        .post(format!("{}/api/v1/registrations", app.base))
        .json(&registration(eori, username, password))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

async fn admin_pages_keep_to_roles_scope_and_tokens(app: TestApp) {
    // Wrong roles get the HTML 403 page before anything is read.
    for (user, path) in [
        ("officer", "/admin"),
        ("manager", "/admin/users"),
        ("analyst", "/admin/audit"),
        ("trader1", "/admin/operators"),
        ("trader1", "/manager"),
        ("officer", "/manager"),
    ] {
        let s = page_login(&app, user).await;
        let (status, html) = get(&app, &s, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} {path}");
        assert!(html.contains("<html"), "{user} {path}: an HTML page");
    }
    // A user of another office, made by the central administrator.
    let admin = app.user_token("admin");
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users",
            &admin,
            &json!({"username": "kg-officer", "name": "Bishkek Officer", "roles": ["officer"], "offices": ["KG417010"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let office_admin = page_login(&app, "office-admin").await;
    let (status, html) = get(&app, &office_admin, "/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/admin/users/officer"),
        "own office's staff listed"
    );
    assert!(
        !html.contains("kg-officer"),
        "another office's user is not listed"
    );
    let (status, _) = get(&app, &office_admin, "/admin/users/kg-officer").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, own) = get(&app, &office_admin, "/admin/users/officer").await;
    let csrf = hidden(&own, "_csrf");
    let (status, _, _) = post(
        &app,
        &office_admin,
        "/admin/users/kg-officer",
        &[
            ("_csrf", &csrf),
            ("roles", "officer"),
            ("offices", "UZ000100"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "cannot change another office's user"
    );
    let (status, _, _) = post(
        &app,
        &office_admin,
        "/admin/users/kg-officer/keys",
        &[("_csrf", &csrf), ("publicKey", "AAAA")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nor register its key");
    // An office administrator may not give the administrator role.
    let (status, _, html) = post(
        &app,
        &office_admin,
        "/admin/users",
        &[
            ("_csrf", &csrf),
            ("username", "second-admin"),
            ("name", "Second"),
            ("roles", "admin"),
            ("offices", "UZ000100"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("ADMIN_GRANT_FORBIDDEN"), "{html}");
    assert!(
        html.contains("value=\"second-admin\""),
        "what was typed is kept"
    );

    // Forms without their token are refused and nothing is done.
    register(
        &app,
        "UZ700000000001",
        "silk-one",
        "quiet-Harbour-lantern-93",
    )
    .await;
    let central = page_login(&app, "admin").await;
    for form in [
        vec![("decision", "approve")],
        vec![("decision", "approve"), ("_csrf", "forged")],
    ] {
        let (status, _, _) = post(
            &app,
            &central,
            "/admin/operators/UZ700000000001/decision",
            &form,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form:?}");
    }
    let (status, _, _) = post(
        &app,
        &central,
        "/admin/users",
        &[("username", "x1"), ("name", "X"), ("roles", "manager")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, v) = app
        .get("/api/v1/admin/operators/UZ700000000001", &admin)
        .await;
    assert_eq!(v["status"], "pending", "nothing was decided");
}

async fn administrators_decide_create_and_register_keys_in_pages(app: TestApp) {
    register(
        &app,
        "UZ700000000002",
        "silk-two",
        "quiet-Harbour-lantern-93",
    )
    .await;
    let s = page_login(&app, "admin").await;
    let (status, html) = get(&app, &s, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Waiting for a decision: 1"), "{html}");
    let (status, html) = get(&app, &s, "/admin/operators").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("UZ700000000002") && html.contains("Samarkand Silk Trading LLC"));
    let csrf = hidden(&html, "_csrf");
    // A refusal without a reason is shown at the reason, with the code.
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/operators/UZ700000000002/decision",
        &[("_csrf", &csrf), ("decision", "refuse"), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("REASON_REQUIRED") && html.contains("Give the reason for the refusal."));
    assert!(html
        .contains("id=\"reason-UZ700000000002\" name=\"reason\" rows=\"2\" aria-invalid=\"true\""));
    let (status, location, _) = post(
        &app,
        &s,
        "/admin/operators/UZ700000000002/decision",
        &[
            ("_csrf", &csrf),
            ("decision", "refuse"),
            ("reason", "Documents <missing>"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &s, &location).await;
    assert!(html.contains("The registration of UZ700000000002 is refused."));
    let (_, html) = get(&app, &s, "/admin/operators?status=refused").await;
    assert!(
        html.contains("Documents ") && !html.contains("<missing>"),
        "the reason, escaped: {html}"
    );
    // Deciding again is refused with its code.
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/operators/UZ700000000002/decision",
        &[
            ("_csrf", &csrf),
            ("decision", "approve"),
            ("back", "operator"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("ALREADY_DECIDED"));

    // A new staff user: its one-time password is shown once and works.
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/users",
        &[
            ("_csrf", &csrf),
            ("username", "inspector9"),
            ("name", "Ninth Inspector"),
            ("roles", "inspector"),
            ("offices", "UZ000100"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let at = html
        .find("id=\"initial-password\"><code>")
        .expect("password shown")
        + 28;
    let password = &html[at..at + html[at..].find('<').unwrap()];
    assert!(password.len() >= 12, "{password}");
    let r = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "inspector9", "password": password}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "the one-time password logs in: {}",
        r.status()
    );
    // A missing office for an inspector is shown with its code; typed kept.
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/users",
        &[
            ("_csrf", &csrf),
            ("username", "inspector10"),
            ("name", "Tenth"),
            ("roles", "inspector"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("OFFICES_REQUIRED") && html.contains("value=\"inspector10\""));
    // Changing a user: only what changed is sent; own roles are refused.
    let (status, location, _) = post(
        &app,
        &s,
        "/admin/users/inspector9",
        &[
            ("_csrf", &csrf),
            ("roles", "inspector"),
            ("offices", "UZ000100"),
            ("totpRequired", "on"),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "deactivated, second factor required"
    );
    assert_eq!(location, "/admin/users/inspector9?done=saved");
    let (_, v) = app
        .get("/api/v1/admin/users/inspector9", &app.user_token("admin"))
        .await;
    assert_eq!(
        (v["active"].as_bool(), v["totpRequired"].as_bool()),
        (Some(false), Some(true))
    );
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/users/admin",
        &[
            ("_csrf", &csrf),
            ("roles", "admin"),
            ("roles", "manager"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("SELF_CHANGE"));

    // A first signing key for an officer and for an operator.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes());
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/users/officer/keys",
        &[("_csrf", &csrf), ("publicKey", "not a key")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("value=\"not a key\"") && html.contains("aria-invalid=\"true\""));
    let (status, location, _) = post(
        &app,
        &s,
        "/admin/users/officer/keys",
        &[("_csrf", &csrf), ("publicKey", &public)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with("/admin/users/officer?done=key&key="),
        "{location}"
    );
    let op_key = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
    let op_public =
        base64::engine::general_purpose::STANDARD.encode(op_key.verifying_key().as_bytes());
    let eori = app.trader(1).id.clone();
    let (status, location, _) = post(
        &app,
        &s,
        &format!("/admin/operators/{eori}/keys"),
        &[("_csrf", &csrf), ("publicKey", &op_public)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &s, &location).await;
    assert!(html.contains("is registered."), "{html}");
    // The same key for someone else is refused with its code.
    let (status, _, html) = post(
        &app,
        &s,
        "/admin/users/office-admin/keys",
        &[("_csrf", &csrf), ("publicKey", &public)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("SIGNING_KEY_TAKEN"));

    // The audit log shows the acts, filtered, in pages.
    let (status, html) = get(&app, &s, "/admin/audit?action=operator.refuse").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("UZ700000000002") && !html.contains("user.create"));
    let (_, html) = get(&app, &s, "/admin/audit?actor=user:admin").await;
    assert!(html.contains("user.create"));
    // Russian: the administrator's pages carry no English texts.
    let (_, html) = get(&app, &s, "/admin/operators?status=all&lang=ru").await;
    for english in ["Companies", "Approve", "Refused", "Registered", "Reason"] {
        assert!(!html.contains(english), "{english} on the Russian page");
    }
    assert!(html.contains("Участники ВЭД"));
}

async fn the_manager_dashboard_counts_in_sql_and_draws_svg(app: TestApp) {
    for i in 0..3 {
        let (s, v) = app.lodge(i, &app.body(i)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // The aggregates, straight from the store.
    let now = time::OffsetDateTime::now_utc();
    let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(1));
    let per_day = app.store.dash_declarations(from, to).await.unwrap();
    assert_eq!(
        per_day.iter().map(|d| d.declarations).sum::<i64>(),
        3,
        "{per_day:?}"
    );
    let release = app.store.dash_release_times(from, to).await.unwrap();
    let released: i64 = release.iter().map(|r| r.released).sum();
    assert!(released >= 1, "{release:?}");
    assert!(release
        .iter()
        .all(|r| r.median_seconds <= r.p90_seconds && r.median_seconds >= 0));
    let revenue = app.store.dash_revenue(from, to).await.unwrap();
    assert!(
        revenue.iter().any(|r| r.amount_minor > 0),
        "duties were collected: {revenue:?}"
    );
    assert!(app.store.dash_profile_yields(from, to).await.is_ok());
    assert!(app.store.dash_inspections(from, to).await.is_ok());
    let empty = app
        .store
        .dash_declarations(
            now - time::Duration::days(30),
            now - time::Duration::days(29),
        )
        .await
        .unwrap();
    assert!(empty.is_empty(), "outside the period nothing is counted");

    let s = page_login(&app, "manager").await;
    let (status, html) = get(&app, &s, "/manager").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 6);
    assert!(html.matches("<svg viewBox").count() >= 6);
    assert!(html.contains("<desc id=\"per-day-desc\">") && html.contains("<details>"));
    assert!(html.contains("3 declarations registered in the period."));
    assert!(!html.contains("style="), "no inline style");
    assert!(html.len() < 100_000, "{} bytes", html.len());
    // A bad period is shown at its field, with the code.
    let (status, html) = get(&app, &s, "/manager?from=2026-13-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("PERIOD") && html.contains("aria-invalid=\"true\""));
    // In Russian, no English left.
    let (_, html) = get(&app, &s, "/manager?lang=ru").await;
    for english in [
        "Declarations per",
        "Share of",
        "90th",
        "Duties collected",
        "The figures as",
    ] {
        assert!(
            !html.contains(english),
            "{english} on the Russian dashboard"
        );
    }
    // An administrator sees the dashboard too.
    let a = page_login(&app, "admin").await;
    assert_eq!(get(&app, &a, "/manager").await.0, StatusCode::OK);
}

async fn approve_in_browser(c: &fantoccini::Client, base: &str) -> Checked {
    login(c, base, "admin").await?;
    wd(
        c.goto(&format!("{base}/admin/operators")).await,
        "operators",
    )?;
    let row = text(c, "#op-UZ700000000003").await?;
    check!(row.contains("Samarkand Silk Trading LLC"), "row {row:?}");
    let found = axe(c).await?;
    check!(
        found.is_empty(),
        "accessibility of the operators page: {found:?}"
    );
    screenshot(c, "admin-operators").await?;
    click(c, "button.approve[data-eori=UZ700000000003]").await?;
    let done = text(c, "p.notice").await?;
    check!(done.contains("UZ700000000003"), "notice {done:?}");
    // Log out, then the trader's user logs in and lands on its area.
    logout(c).await?;
    login_with(c, base, "silk-three", "quiet-Harbour-lantern-93").await?;
    let url = wd(c.current_url().await, "url")?;
    check!(
        url.path().starts_with("/trader") || url.path() == "/me",
        "landed on {url}"
    );
    Ok(())
}

async fn an_administrator_approves_a_newly_registered_trader_in_a_browser(app: TestApp) {
    register(
        &app,
        "UZ700000000003",
        "silk-three",
        "quiet-Harbour-lantern-93",
    )
    .await;
    // Before approval the new user cannot log in.
    let r = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "silk-three", "password": "quiet-Harbour-lantern-93"}))
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_success());
    let base = app.base.clone();
    run_story("admin_approves_trader", |c| async move {
        let r = approve_in_browser(&c, &base).await;
        (c, r)
    })
    .await;
    // Then the manager's dashboard in a browser: its charts are SVG.
    for i in 0..2 {
        app.lodge(i, &app.body(i)).await;
    }
    let base = app.base.clone();
    run_story("manager_dashboard", |c| async move {
        let r = async {
            login(&c, &base, "manager").await?;
            wd(c.goto(&format!("{base}/manager")).await, "manager")?;
            let svgs = wd(
                c.find_all(fantoccini::Locator::Css("figure.chart > svg"))
                    .await,
                "svg",
            )?;
            check!(svgs.len() == 6, "{} charts", svgs.len());
            let found = axe(&c).await?;
            check!(
                found.is_empty(),
                "accessibility of the dashboard: {found:?}"
            );
            screenshot(&c, "manager-dashboard").await?;
            Ok(())
        }
        .await;
        (c, r)
    })
    .await;
}

async fn the_analyst_edits_checks_tries_and_activates_a_profile(app: TestApp) {
    let analyst = app.user_token("analyst");
    let (st, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &json!({"id": "TAX", "rationale": "high tax", "expression": "tax_rate > 15",
                    "validFrom": "2020-01-01", "priority": 5, "control": "documentary_check", "channel": "yellow"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for user in ["manager", "officer", "trader1"] {
        let s = page_login(&app, user).await;
        assert_eq!(
            get(&app, &s, "/analyst").await.0,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        assert_eq!(
            get(&app, &s, "/analyst/profiles/TAX").await.0,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    let s = page_login(&app, "analyst").await;
    let (status, html) = get(&app, &s, "/analyst").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/analyst/profiles/TAX"));
    let (status, html) = get(&app, &s, "/analyst/profiles/TAX").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("tax_rate &gt; 15") || html.contains("tax_rate &#62; 15"),
        "{html}"
    );
    let csrf = hidden(&html, "_csrf");
    // A syntax error: its code, line and column, and the text kept.
    let broken = "tax_rate > 15\nand origin == \"CN";
    let (status, _, html) = post(
        &app,
        &s,
        "/analyst/profiles/TAX",
        &[
            ("_csrf", &csrf),
            ("op", "check"),
            ("expression", broken),
            ("rationale", "r"),
        ],
    )
    .await;
    assert_eq!(status.as_u16(), 422, "{html}");
    assert!(
        html.contains("PROFILE_SYNTAX_UNTERMINATED_STRING"),
        "{html}"
    );
    assert!(html.contains("line 2, column"), "{html}");
    assert!(html.contains("and origin == "), "the text is kept");
    // A correct rule checks, tries on past declarations, saves, activates.
    let (status, _, html) = post(
        &app,
        &s,
        "/analyst/profiles/TAX",
        &[
            ("_csrf", &csrf),
            ("op", "check"),
            ("expression", "tax_rate > 10"),
            ("rationale", "r"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"check-ok\""));
    let doc = app.body(0);
    let (st, v) = app.lodge(0, &doc).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let item = &doc["items"][0];
    let hits = format!(
        "hs == \"{}\" and origin == \"{}\"",
        item["hsCode"].as_str().unwrap(),
        item["origin"].as_str().unwrap()
    );
    let (status, _, html) = post(
        &app,
        &s,
        "/analyst/profiles/TAX",
        &[
            ("_csrf", &csrf),
            ("op", "test"),
            ("expression", hits.as_str()),
            ("rationale", "r"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 of 1 declarations"), "{html}");
    let (status, location, _) = post(
        &app,
        &s,
        "/analyst/profiles/TAX",
        &[
            ("_csrf", &csrf),
            ("op", "save"),
            ("expression", "tax_rate > 10"),
            ("rationale", "lower threshold"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/analyst/profiles/TAX?done=saved");
    let (status, _, _) = post(
        &app,
        &s,
        "/analyst/profiles/TAX/activation",
        &[("_csrf", "forged")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token, no activation");
    let (status, location, _) = post(
        &app,
        &s,
        "/analyst/profiles/TAX/activation",
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, v) = app.get("/api/v1/risk/profiles/TAX", &analyst).await;
    assert_eq!(
        (v["status"].as_str(), v["activeVersion"].as_u64()),
        (Some("active"), Some(2)),
        "{v}"
    );
    let (_, html) = get(&app, &s, &format!("{location}&lang=ru")).await;
    assert!(html.contains("Профиль введён в действие."));
    for english in ["Check", "What would", "Versions", "Rationale"] {
        assert!(!html.contains(english), "{english} on the Russian page");
    }
    let (status, location, _) = post(
        &app,
        &s,
        "/analyst/profiles/TAX/retirement",
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, v) = app.get("/api/v1/risk/profiles/TAX", &analyst).await;
    assert_eq!(v["status"], "retired");
    assert_eq!(
        get(&app, &s, "/analyst/profiles/NOPE").await.0,
        StatusCode::NOT_FOUND
    );
}
