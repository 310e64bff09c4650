//! Every page of the portal in Russian (issue 16), over HTTP: each `GET`
//! entry of [`tamga_http::portal::PAGES`] (so a page added later is
//! checked without being listed here) is opened with `Accept-Language:
//! ru` by the first of anonymous, then the demo people, who gets it (a
//! path parameter filled by [`fill_param`], the one place to extend for a
//! page with a new parameter; a parameter it cannot fill fails the test
//! and says so). Each page must answer 200 in Russian (`lang="ru"`) with
//! no English text of the portal's messages left
//! ([`tamga_portal::i18n::untranslated`]; the tariff's own descriptions
//! are data, exempt on the pages that show tariff lines) and no Fluent
//! message id shown instead of a text. So must a few forms posted with
//! mistakes ([`ERROR_FORMS`]), whose messages beside their fields are
//! texts too.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::json;

use tamga_app::demo::demo_signing_key;
use tamga_app::identity::totp;
use tamga_portal::i18n::untranslated;
use tamga_portal::Tr;

use crate::appeals::refused;
use crate::common::{lifecycle_cigarettes, TestApp};
use crate::portal_login::{client, page_login, HTML};

stories!(every_page_speaks_russian);

/// The demo people who open pages, in the order they are tried after
/// anonymous; the last one is also logged in half-way (password given,
/// second factor awaited) for the second factor's page.
const PEOPLE: &[&str] = &[
    "trader1",
    "broker1",
    "officer",
    "inspector",
    "analyst",
    "manager",
    "appeals",
    "admin",
    "bank",
    "agency",
];

/// The demo person whose second factor is enrolled to open `/login/totp`.
const HALF_LOGGED_IN: &str = "agency";

/// Routes that answer something other than an HTML page, with the start
/// of their content type.
const NOT_HTML: &[(&str, &str)] = &[
    ("/static/{name}", "text/css"),
    ("/trader/account/statement.csv", "text/csv"),
    ("/trader/account/qr.svg", "image/svg+xml"),
];

/// Pages that show tariff lines with the tariff's own descriptions (data
/// in the tariff's language, not texts of the portal).
const TARIFF_DATA: &[&str] = &["/tariff", "/calculator"];

/// Pages opened with a query besides the bare routes, for the texts only
/// a query shows (a search, a calculation, a filter): the route and the
/// query.
const WITH_QUERY: &[(&str, &str)] = &[
    ("/tariff", "q=8471"),
    ("/tariff", "heading=8471"),
    (
        "/calculator",
        "goodsCode=8471300000&origin=CN&customsValue=1000.00&currency=USD",
    ),
    ("/calculator", "goodsCode=9999999999&origin=CN"),
    ("/admin/operators", "status=all"),
    ("/appeals/new", "mrn={mrn}&subject=refusal"),
];

/// A form's fields besides the CSRF token.
type Fields = &'static [(&'static str, &'static str)];

/// Forms posted with mistakes, so their errors are shown beside their
/// fields: who posts, where, and what.
const ERROR_FORMS: &[(&str, &str, Fields)] = &[
    (
        "trader1",
        "/trader/declarations/new",
        &[
            ("items", "1"),
            ("_action", "check"),
            ("/items/0/hsCode", "12AB"),
        ],
    ),
    (
        "admin",
        "/admin/users",
        &[
            ("username", "inspector10"),
            ("name", "Tenth"),
            ("roles", "inspector"),
        ],
    ),
    (
        "admin",
        "/admin/users/officer/keys",
        &[("publicKey", "not a key")],
    ),
    (
        "analyst",
        "/analyst/profiles/TAX",
        &[
            ("op", "check"),
            ("expression", "tax_rate > \"15"),
            ("rationale", "r"),
        ],
    ),
    (
        "trader1",
        "/trader/webhook",
        &[("url", "ftp://example.com/hook")],
    ),
];

/// What the path parameters are filled with: the test's own data.
struct Data {
    /// A declaration of demo trader 0 under control (open: it may be
    /// amended, invalidated, and the officer may decide on it).
    mrn: String,
    /// An appeal of demo trader 0.
    appeal: String,
    /// A risk profile of the analyst.
    profile: String,
    /// Demo trader 0.
    eori: String,
    /// A customs user the administrator manages.
    username: String,
    /// The style sheet's hashed file name.
    css: String,
    /// The demo office (its staff on `/admin/offices/{code}`).
    office: String,
    /// A declaration draft of demo trader 0.
    draft: String,
}

/// The value of path parameter `{param}` of `route`. A page with a new
/// parameter is added here (its data made in [`data`]).
fn fill_param(route: &str, param: &str, d: &Data) -> Option<String> {
    let v = match (param, route) {
        ("mrn", _) => &d.mrn,
        ("eori", _) => &d.eori,
        ("username", _) => &d.username,
        ("name", r) if r.starts_with("/static/") => &d.css,
        ("id", r) if r.starts_with("/appeals/") => &d.appeal,
        ("id", r) if r.starts_with("/analyst/profiles/") => &d.profile,
        ("code", r) if r.starts_with("/admin/offices/") => &d.office,
        ("id", r) if r.starts_with("/trader/drafts/") => &d.draft,
        _ => return None,
    };
    Some(v.clone())
}

/// `route` with every `{param}` filled, or why it cannot be.
fn fill(route: &str, d: &Data) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = route;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("{route}: an unclosed parameter"))?;
        let param = &rest[open + 1..close];
        let value = fill_param(route, param, d).ok_or_else(|| {
            format!(
                "{route}: no value for the path parameter {{{param}}}; \
                 add one to fill_param in portal_russian.rs"
            )
        })?;
        out.push_str(&rest[..open]);
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The test's data: a declaration under control, a refused one appealed,
/// a risk profile.
async fn data(app: &TestApp) -> Data {
    let officer = app.officer("officer");
    let refused_mrn = refused(app, 0, &officer).await;
    let t = app.trader(0);
    let body = serde_json::to_vec(&json!({"act": "appeal", "mrn": refused_mrn,
        "subject": "refusal", "reason": "The origin is proven.", "attachments": []}))
    .unwrap();
    let (s, v) = app
        .send_signed(
            "/api/v1/appeals",
            &t.token,
            Some(&demo_signing_key(&t.id)),
            &body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let appeal = v["id"].to_string();
    // `refused` set the criterion that sends tobacco to control.
    let (s, v) = app.lodge(0, &lifecycle_cigarettes(&app.body(0))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &app.user_token("analyst"),
            &json!({"id": "TAX", "rationale": "high tax", "expression": "tax_rate > 15",
                    "validFrom": "2020-01-01", "priority": 5, "control": "documentary_check",
                    "channel": "yellow"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let css = tamga_portal::assets::CSS.path();
    let draft = app
        .store
        .create_draft(
            &tamga_core::codes::Eori::parse(&t.id).unwrap(),
            "trader1",
            "",
            r#"{"items":1,"values":{"/items/0/hsCode":"12AB"}}"#,
            time::OffsetDateTime::now_utc(),
            10,
        )
        .await
        .unwrap()
        .expect("a draft")
        .id
        .to_string();
    Data {
        mrn,
        appeal,
        profile: "TAX".into(),
        eori: t.id.clone(),
        username: "officer".into(),
        css: css.trim_start_matches("/static/").to_owned(),
        office: tamga_app::demo::DEMO_OFFICE.to_owned(),
        draft,
    }
}

/// A session of `user` that has given its password and awaits its second
/// factor (its TOTP enrolled first through the API).
async fn half_logged_in(app: &TestApp, user: &str) -> String {
    let password = tamga_app::demo::demo_password(user);
    let login = || async {
        let r = app
            .http
            .post(format!("{}/api/v1/auth/login", app.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        let cookie = crate::portal_login::cookie_of(&r, "tamga_session").expect("a session");
        let v: serde_json::Value = r.json().await.unwrap();
        (cookie, v)
    };
    let (cookie, v) = login().await;
    let csrf = v["csrfToken"].as_str().expect("a CSRF token").to_owned();
    let call = |path: &'static str, body: serde_json::Value| {
        app.http
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let offer: serde_json::Value = call("/api/v1/account/totp", json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = offer["secret"].as_str().expect("a TOTP secret").to_owned();
    let step = time::OffsetDateTime::now_utc().unix_timestamp() / 30;
    let code = totp::code_at(&secret, step * 30).unwrap();
    let r = call("/api/v1/account/totp/confirm", json!({"code": code}))
        .await
        .unwrap();
    assert!(r.status().is_success(), "TOTP enrolment: {}", r.status());
    let (half, v) = login().await;
    assert_eq!(v["stage"], "second_factor", "{v}");
    half
}

/// The Fluent message ids shown as a text: a text between tags, or an
/// attribute people read (`alt`, `title`, `aria-label`, `placeholder`),
/// that is exactly a message id.
fn ids_shown(html: &str, ids: &BTreeSet<String>) -> Vec<String> {
    let mut shown = Vec::new();
    for part in html.split('<').skip(1) {
        let Some((tag, text)) = part.split_once('>') else {
            continue;
        };
        let text = text.trim();
        if ids.contains(text) {
            shown.push(text.to_owned());
        }
        for attr in ["alt", "title", "aria-label", "placeholder"] {
            let key = format!(" {attr}=\"");
            if let Some(at) = tag.find(&key) {
                let v = tag[at + key.len()..].split('"').next().unwrap_or("");
                if ids.contains(v.trim()) {
                    shown.push(format!("{attr}={v}"));
                }
            }
        }
    }
    shown
}

async fn every_page_speaks_russian(app: TestApp) {
    let d = data(&app).await;
    let mut people: Vec<(String, String)> = Vec::new();
    for name in PEOPLE {
        people.push((name.to_string(), page_login(&app, name).await));
    }
    // Enrolled after its full session above was made.
    people.push((
        format!("{HALF_LOGGED_IN} (second factor awaited)"),
        half_logged_in(&app, HALF_LOGGED_IN).await,
    ));
    // Message ids (with a dash: one-word ids like `login` are also words
    // of the pages' markup).
    let ids: BTreeSet<String> = Tr::message_ids("en")
        .into_iter()
        .filter(|id| id.contains('-'))
        .collect();

    let mut urls: Vec<(String, String)> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for (_, route) in tamga_http::portal::PAGES
        .iter()
        .filter(|(m, _)| *m == "GET")
    {
        match fill(route, &d) {
            Ok(url) => urls.push((route.to_string(), url)),
            Err(e) => failures.push(e),
        }
    }
    for (route, query) in WITH_QUERY {
        let query = query.replace("{mrn}", &d.mrn);
        urls.push((route.to_string(), format!("{route}?{query}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let http = client();
    for (route, url) in &urls {
        let mut statuses = Vec::new();
        let mut page = None;
        for (who, cookie) in std::iter::once(("anonymous", ""))
            .chain(people.iter().map(|(n, c)| (n.as_str(), c.as_str())))
        {
            let r = http
                .get(format!("{}{url}", app.base))
                .header("accept", HTML)
                .header("accept-language", "ru-RU,ru;q=0.9")
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            if r.status() == StatusCode::OK {
                page = Some((who.to_owned(), r));
                break;
            }
            statuses.push(format!("{who} {}", r.status().as_u16()));
        }
        let Some((who, r)) = page else {
            failures.push(format!(
                "{url}: nobody gets the page ({})",
                statuses.join(", ")
            ));
            continue;
        };
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = r.text().await.unwrap();
        let at = format!("{url} (as {who})");
        match NOT_HTML.iter().find(|(r, _)| r == route) {
            Some((_, expected)) => {
                if !kind.starts_with(expected) {
                    failures.push(format!("{at}: {kind}, not {expected}"));
                }
            }
            None => {
                if !kind.starts_with("text/html") {
                    failures.push(format!("{at}: {kind}, not an HTML page"));
                }
                if !body.contains("<html lang=\"ru\">") {
                    failures.push(format!("{at}: not in Russian"));
                }
            }
        }
        let left: Vec<String> = untranslated("ru", &body)
            .into_iter()
            .filter(|l| !(TARIFF_DATA.contains(&route.as_str()) && l.starts_with("kind-")))
            .collect();
        if !left.is_empty() {
            failures.push(format!("{at}: untranslated {left:?}"));
        }
        let shown = ids_shown(&body, &ids);
        if !shown.is_empty() {
            failures.push(format!("{at}: message ids shown {shown:?}"));
        }
    }
    // Forms with their errors shown: the field messages are Russian too.
    let person = |name: &str| {
        people
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    };
    for (who, path, form) in ERROR_FORMS {
        let cookie = person(who);
        let (_, html) = crate::portal_login::page_get(&app, &cookie, "/me").await;
        let csrf = crate::portal_login::hidden(&html, "_csrf");
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        fields.extend(form.iter().copied());
        let r = http
            .post(format!("{}{path}", app.base))
            .header("accept", HTML)
            .header("accept-language", "ru-RU,ru;q=0.9")
            .header("cookie", &cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        let at = format!("POST {path} (as {who}, {status})");
        if !status.is_client_error() || !body.contains("aria-invalid=\"true\"") {
            failures.push(format!("{at}: no field error shown"));
        }
        if !body.contains("<html lang=\"ru\">") {
            failures.push(format!("{at}: not in Russian"));
        }
        let left = untranslated("ru", &body);
        if !left.is_empty() {
            failures.push(format!("{at}: untranslated {left:?}"));
        }
        let shown = ids_shown(&body, &ids);
        if !shown.is_empty() {
            failures.push(format!("{at}: message ids shown {shown:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pages fail:\n{}",
        failures.len(),
        urls.len() + ERROR_FORMS.len(),
        failures.join("\n")
    );
}

#[test]
fn a_parameter_without_a_value_is_said() {
    let d = Data {
        mrn: "26UZ0001000000001".into(),
        appeal: "1".into(),
        profile: "TAX".into(),
        eori: "UZ000000000001".into(),
        username: "officer".into(),
        css: "tamga.css".into(),
        office: "UZ000100".into(),
        draft: "7".into(),
    };
    assert_eq!(fill("/trader/drafts/{id}", &d).unwrap(), "/trader/drafts/7");
    assert_eq!(
        fill("/trader/declarations/{mrn}/amend", &d).unwrap(),
        "/trader/declarations/26UZ0001000000001/amend"
    );
    assert_eq!(fill("/appeals/{id}", &d).unwrap(), "/appeals/1");
    assert_eq!(
        fill("/analyst/profiles/{id}", &d).unwrap(),
        "/analyst/profiles/TAX"
    );
    let e = fill("/admin/widgets/{widget}", &d).unwrap_err();
    assert!(e.contains("{widget}") && e.contains("fill_param"), "{e}");
    assert!(
        fill("/me/tokens/{id}", &d).is_err(),
        "an {{id}} of no known page"
    );
}
