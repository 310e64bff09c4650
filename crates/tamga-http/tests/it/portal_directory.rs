//! The directory pages of issue 16 over HTTP, without a browser: the
//! traders' digital twin (`/analyst/traders…`: who may read it, search
//! and pages read with SQL, the profile with its inspections and
//! findings), the administrator's offices (`/admin/offices…`: an office
//! administrator keeps to its offices as in the API), the public offices
//! register's hours and services (page and API), and the notifications on
//! the trader's declaration page.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::common::{lifecycle_eventually as eventually, TestApp};
use crate::portal_login::{hidden, page_get as get, page_login, page_post as post};

stories!(
    trader_profiles_keep_to_their_readers_search_and_page,
    a_trader_profile_shows_its_inspections_and_findings,
    administrators_set_the_aeo_status_on_the_twin,
    administrators_see_their_offices_and_staff,
    offices_carry_hours_and_services,
    the_trader_declaration_page_lists_its_notifications,
);

/// The `<tbody>` rows of the table with `id` in `html`.
fn rows(html: &str, id: &str) -> usize {
    let Some(at) = html.find(&format!("<table id=\"{id}\"")) else {
        return 0;
    };
    let table = &html[at..];
    let table = &table[..table.find("</table>").unwrap()];
    table.matches("<tr><td").count() + table.matches("<tr><th scope=\"row\"").count()
}

async fn trader_profiles_keep_to_their_readers_search_and_page(app: TestApp) {
    let one = app.trader(0).id.clone();
    // Operators, the bank and the wrong path are refused before reading.
    for user in ["trader1", "broker1", "bank"] {
        let s = page_login(&app, user).await;
        for path in [
            "/analyst/traders".to_owned(),
            format!("/analyst/traders/{one}"),
        ] {
            let (status, html) = get(&app, &s, &path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user} {path}");
            assert!(html.contains("<html"), "{user} {path}: an HTML page");
            assert!(!html.contains(&app.trader(0).name), "{user} {path}");
        }
    }
    // The readers of the profile API read the pages too.
    for user in ["officer", "inspector", "manager", "admin"] {
        let s = page_login(&app, user).await;
        let (status, _) = get(&app, &s, &format!("/analyst/traders/{one}")).await;
        assert_eq!(status, StatusCode::OK, "{user}");
    }
    let analyst = page_login(&app, "analyst").await;
    let (_, home) = get(&app, &analyst, "/analyst").await;
    assert!(
        home.contains("href=\"/analyst/traders\""),
        "linked from /analyst"
    );
    let (status, html) = get(&app, &analyst, "/analyst/traders").await;
    assert_eq!(status, StatusCode::OK);
    for t in &app.demo.traders {
        assert!(
            html.contains(&format!("/analyst/traders/{}", t.id)),
            "{}",
            t.id
        );
    }
    assert!(
        html.contains("medium risk") || html.contains("high risk") || html.contains("low risk")
    );
    // Search by a part of the name (any case) and of the EORI.
    let name = &app.trader(1).name;
    let part = name.split(' ').next().unwrap().to_lowercase();
    let (_, html) = get(&app, &analyst, &format!("/analyst/traders?q={part}")).await;
    assert_eq!(rows(&html, "traders"), 1, "{part}");
    assert!(html.contains(&app.trader(1).id));
    let tail = &app.trader(2).id[8..];
    let (_, html) = get(&app, &analyst, &format!("/analyst/traders?q={tail}")).await;
    assert!(html.contains(&app.trader(2).id) && !html.contains(&app.trader(1).id));
    // Wildcards are text, and markup is escaped.
    let (_, html) = get(&app, &analyst, "/analyst/traders?q=%25").await;
    assert!(html.contains("id=\"traders-none\""), "no name has a % sign");
    let (_, html) = get(&app, &analyst, "/analyst/traders?q=%3Cscript%3E").await;
    assert!(!html.contains("<script>") && html.contains("&#60;script&#62;"));
    // A long search is the service's 400.
    let (status, _) = get(
        &app,
        &analyst,
        &format!("/analyst/traders?q={}", "a".repeat(101)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Pages of 50: with 60 more traders the list has two pages.
    let now = OffsetDateTime::now_utc();
    for n in 0..60 {
        app.store
            .create_operator(&tamga_store::Operator {
                id: tamga_core::codes::Eori::parse(&format!("KZ{:012}", 900_000 + n)).unwrap(),
                name: format!("Steppe Trading {n:02} LLP"),
                created_at: now,
            })
            .await
            .unwrap();
    }
    let (_, first) = get(&app, &analyst, "/analyst/traders?q=steppe").await;
    assert_eq!(rows(&first, "traders"), 50);
    assert!(first.contains("1–50 / 60"), "what is shown of how many");
    assert!(
        first.contains("page=1\" rel=\"next\""),
        "a link to the next page"
    );
    assert!(!first.contains("rel=\"prev\""));
    let (_, second) = get(&app, &analyst, "/analyst/traders?q=steppe&page=1").await;
    assert_eq!(rows(&second, "traders"), 10);
    assert!(second.contains("KZ000000900059") && !second.contains("KZ000000900000"));
    // A new trader without history: little history, medium risk at least.
    let (status, html) = get(&app, &analyst, "/analyst/traders/KZ000000900001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("LITTLE_HISTORY") && html.contains("NEW_OPERATOR"));
    assert!(html.contains("id=\"inspections\"") || html.contains("has been inspected"));
    // Unknown and malformed EORIs are the 404 page.
    for path in ["/analyst/traders/UZ999999999999", "/analyst/traders/nope"] {
        let (status, html) = get(&app, &analyst, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("<html"));
    }
    // In Russian, the twin speaks Russian.
    let (_, ru) = get(&app, &analyst, &format!("/analyst/traders/{one}?lang=ru")).await;
    assert!(ru.contains("Почему эта категория"), "translated");
    for english in [
        "Why this category",
        "History in figures",
        "Latest inspections",
    ] {
        assert!(!ru.contains(english), "{english}");
    }
}

async fn a_trader_profile_shows_its_inspections_and_findings(app: TestApp) {
    let officer = app.officer("officer");
    let (s, v) = app
        .put_json(
            "/api/v1/inspectors/officer",
            &app.user_token("admin"),
            &json!({"office": "UZ000100", "competences": {}, "capacity": 5}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &officer.token,
            &json!({"description": "HS chapter 24", "hsPrefix": "24", "channel": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut doc = app.body(2);
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
    doc["items"][0]["supplementaryUnits"] = json!("40");
    let (s, v) = app.lodge(2, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let task = format!("/api/v1/workbench/tasks/{mrn}");
    eventually(&app, &task, &officer.token, |t| t["inspector"] == "officer").await;
    let (s, v) = app
        .act(
            &officer,
            &format!("{task}/result"),
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "findings", "findings": [
                {"kind": "undervaluation", "item": 1, "correctedValue": "99999999", "additionalDuties": "120.50", "description": "invoice <b>altered</b>"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let trader = app.trader(2).id.clone();
    eventually(
        &app,
        &format!("/api/v1/traders/{trader}/profile"),
        &officer.token,
        |p| p["metrics"]["withFindings"] == 1,
    )
    .await;
    // The officer's declaration page links to the declarant's twin.
    let session = page_login(&app, "officer").await;
    let (_, page) = get(&app, &session, &format!("/officer/declarations/{mrn}")).await;
    assert!(page.contains(&format!("href=\"/analyst/traders/{trader}\"")));
    let (status, _) = get(&app, &session, &format!("/analyst/traders/{trader}")).await;
    assert_eq!(status, StatusCode::OK);
    let analyst = page_login(&app, "analyst").await;
    let (status, html) = get(&app, &analyst, &format!("/analyst/traders/{trader}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&html, "inspections"), 1);
    assert!(html.contains(&mrn));
    assert_eq!(rows(&html, "findings"), 1);
    assert!(html.contains("undervaluation") && html.contains("120.5"));
    assert!(
        html.contains("invoice &#60;b&#62;altered&#60;/b&#62;"),
        "escaped"
    );
    assert!(
        html.contains("FINDINGS_RATE_HIGH"),
        "the rule behind the category"
    );
    assert!(
        html.contains("id=\"category\" class=\"risk-high\""),
        "{html}"
    );
    assert!(rows(&html, "history") >= 1, "the category over time");
    // The list shows the same category.
    let (_, list) = get(&app, &analyst, &format!("/analyst/traders?q={trader}")).await;
    assert!(list.contains("class=\"risk-high\">high risk"));
    // Another trader has none of them.
    let other = app.trader(3).id.clone();
    let (_, html) = get(&app, &analyst, &format!("/analyst/traders/{other}")).await;
    assert!(!html.contains(&mrn));
    assert_eq!(rows(&html, "findings"), 0);
}

async fn administrators_see_their_offices_and_staff(app: TestApp) {
    for user in ["officer", "analyst", "manager", "trader1"] {
        let s = page_login(&app, user).await;
        for path in ["/admin/offices", "/admin/offices/UZ000100"] {
            let (status, _) = get(&app, &s, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user} {path}");
        }
    }
    let admin = page_login(&app, "admin").await;
    let (_, home) = get(&app, &admin, "/admin").await;
    assert!(
        home.contains("href=\"/admin/offices\""),
        "linked from /admin"
    );
    let (status, html) = get(&app, &admin, "/admin/offices").await;
    assert_eq!(status, StatusCode::OK);
    let offices = tamga_app::reference::shipped().unwrap().offices;
    assert_eq!(rows(&html, "admin-offices"), offices.len());
    // The demo staff of UZ000100, counted as the API lists them.
    let (s, staff) = app
        .get(
            "/api/v1/admin/offices/UZ000100/staff",
            &app.user_token("admin"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let n = staff.as_array().unwrap().len();
    assert!(n >= 5, "{staff}");
    let row = &html[html.find("href=\"/admin/offices/UZ000100\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains(&format!("<td class=\"num\">{n}</td>")),
        "{row}"
    );
    let (status, html) = get(&app, &admin, "/admin/offices/UZ000100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&html, "office-staff"), n);
    assert!(html.contains("href=\"/admin/users/officer\""));
    let (status, html) = get(&app, &admin, "/admin/offices/KG417010").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"office-staff\""), "nobody works there");
    let (status, _) = get(&app, &admin, "/admin/offices/ZZ000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&app, &admin, "/admin/offices/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An office administrator: its office only, as in the API.
    let office_admin = page_login(&app, "office-admin").await;
    let (_, html) = get(&app, &office_admin, "/admin/offices").await;
    assert_eq!(rows(&html, "admin-offices"), 1);
    assert!(html.contains("/admin/offices/UZ000100") && !html.contains("/admin/offices/KG417010"));
    let (status, _) = get(&app, &office_admin, "/admin/offices/UZ000100").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&app, &office_admin, "/admin/offices/KG417010").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (s, v) = app
        .get(
            "/api/v1/admin/offices/KG417010/staff",
            &app.user_token("office-admin"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the API refuses it alike: {v}");
    let (_, ru) = get(&app, &office_admin, "/admin/offices?lang=ru").await;
    assert!(ru.contains("Таможенные органы и их сотрудники"));
}

async fn offices_carry_hours_and_services(app: TestApp) {
    let r = app
        .http
        .get(format!("{}/api/v1/offices", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.unwrap();
    let by = |code: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|o| o["code"] == code)
            .unwrap()
            .clone()
    };
    let bishkek = by("KG417010");
    assert_eq!(bishkek["hours"], "Mo-Fr 08:30-17:30");
    assert_eq!(bishkek["utcOffset"], "+06:00");
    assert!(bishkek["services"]
        .as_array()
        .unwrap()
        .contains(&json!("lab")));
    assert_eq!(by("UZ000110")["hours"], "24/7");
    assert_eq!(by("UZ000110")["utcOffset"], "+05:00");
    assert_eq!(by("UZ000180")["hours"], "Mo-Fr 09:00-13:00,14:00-18:00");
    for o in list.as_array().unwrap() {
        assert!(
            o["hours"].is_string() && !o["services"].as_array().unwrap().is_empty(),
            "{o}"
        );
    }
    // The page, in Russian: translated days and services, open or closed.
    let r = app
        .http
        .get(format!("{}/offices?lang=ru", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Круглосуточно") && html.contains("Пн–Пт 08:30–17:30"));
    assert!(html.contains("ветеринарный контроль"));
    let verdicts =
        html.matches("class=\"open-now\"").count() + html.matches("class=\"closed-now\"").count();
    assert_eq!(verdicts, list.as_array().unwrap().len());
    // Round-the-clock offices are open now whatever the time.
    let row = &html[html.find("id=\"office-UZ000110\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("class=\"open-now\""), "{row}");
}

async fn the_trader_declaration_page_lists_its_notifications(app: TestApp) {
    let (status, v) = app.lodge(0, &app.body(0)).await;
    assert!(status.is_success(), "{status} {v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let token = app.trader(0).token.clone();
    eventually(&app, &format!("/api/v1/declarations/{mrn}"), &token, |d| {
        ["released", "under_control", "awaiting_payment"]
            .contains(&d["state"].as_str().unwrap_or(""))
    })
    .await;
    // What the API's notifications say about this declaration.
    let mine: Vec<Value> = app
        .notifications(0)
        .await
        .into_iter()
        .filter(|n| n["mrn"] == mrn.as_str())
        .collect();
    assert!(mine.len() >= 2, "{mine:?}");
    let s = page_login(&app, "trader1").await;
    let (status, html) = get(&app, &s, &format!("/trader/declarations/{mrn}")).await;
    assert_eq!(status, StatusCode::OK);
    let list = &html[html.find("id=\"notifications\"").expect("a list")..];
    let list = &list[..list.find("</ol>").unwrap()];
    assert_eq!(
        list.matches("<li>").count(),
        mine.len(),
        "every notification: {list}"
    );
    assert!(list.contains("Accepted and registered"));
    // Another trader's page of it is the 404 page; its notifications stay
    // its own.
    let other = page_login(&app, "trader2").await;
    let (status, html) = get(&app, &other, &format!("/trader/declarations/{mrn}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Accepted and registered"));
    // In Russian.
    let (_, ru) = get(&app, &s, &format!("/trader/declarations/{mrn}?lang=ru")).await;
    assert!(ru.contains("Принята и зарегистрирована"));
}

async fn administrators_set_the_aeo_status_on_the_twin(app: TestApp) {
    let trader = app.trader(4).id.clone();
    let path = format!("/analyst/traders/{trader}");
    let action = format!("{path}/aeo");
    // Only administrators see the form and may post it.
    let analyst = page_login(&app, "analyst").await;
    let (_, page) = get(&app, &analyst, &path).await;
    assert!(!page.contains("id=\"aeo-form\""));
    let csrf = hidden(&page, "_csrf");
    let (status, _, _) = post(&app, &analyst, &action, &[("_csrf", &csrf), ("aeo", "yes")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an analyst does not set AEO");
    let admin = page_login(&app, "admin").await;
    let (_, page) = get(&app, &admin, &path).await;
    assert!(page.contains("id=\"aeo-form\""));
    let csrf = hidden(&page, "_csrf");
    let (status, _, _) = post(&app, &admin, &action, &[("aeo", "yes")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    // A reference too long: the service's code by the field, typed text kept.
    let long = "R".repeat(201);
    let (status, _, html) = post(
        &app,
        &admin,
        &action,
        &[("_csrf", &csrf), ("aeo", "yes"), ("reference", &long)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("AEO_REFERENCE") && html.contains(&long));
    let (s, p) = app
        .get(
            &format!("/api/v1/traders/{trader}/profile"),
            &app.user_token("analyst"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(p["aeo"].is_null(), "nothing set: {p}");
    // Set: the trader is reassessed with the AEO rule at once.
    let (status, location, _) = post(
        &app,
        &admin,
        &action,
        &[
            ("_csrf", &csrf),
            ("aeo", "yes"),
            ("reference", "UZ-AEO-2026-17"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{path}?done=aeo"));
    let (_, html) = get(&app, &analyst, &path).await;
    assert!(html.contains("yes, UZ-AEO-2026-17"));
    assert!(
        html.contains("<code>AEO</code>"),
        "the AEO rule moved the score"
    );
    let (_, p) = app
        .get(
            &format!("/api/v1/traders/{trader}/profile"),
            &app.user_token("analyst"),
        )
        .await;
    assert_eq!(p["aeo"]["aeo"], true, "{p}");
    assert_eq!(p["aeo"]["updatedBy"], "admin");
    // And unset.
    let (status, _, _) = post(
        &app,
        &admin,
        &action,
        &[("_csrf", &csrf), ("reference", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, p) = app
        .get(
            &format!("/api/v1/traders/{trader}/profile"),
            &app.user_token("analyst"),
        )
        .await;
    assert_eq!(p["aeo"]["aeo"], false, "{p}");
}
