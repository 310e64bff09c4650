//! The account area of the portal (issue 16): registering a company,
//! the trader's personal account (balances, statement CSV and printable,
//! the payment reference's QR code), signing keys, API tokens and the
//! webhook, over HTTP and, for registration and the browser's key, in
//! Chromium. Each page is refused to those its API twin refuses, and each
//! form without its CSRF token.

use fantoccini::Locator;
use reqwest::StatusCode;

use crate::browser_support::{click, run_story, text, type_into, wd, Checked};
use crate::common::TestApp;
use crate::portal_login::{client, cookie_of, hidden, page_login};

stories!(
    registering_a_company,
    the_account_is_the_traders_own,
    keys_are_listed_registered_and_revoked,
    tokens_are_shown_once_and_revoked,
    the_webhook_form_checks_like_the_api,
    russian_account_pages_have_no_english_left,
    a_company_registers_and_makes_a_key_in_a_browser
);

const HTML: &str = "text/html,application/xhtml+xml";

async fn get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .send()
        .await
        .unwrap()
}

async fn post(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The session's CSRF token (from the page at `path`).
async fn csrf(app: &TestApp, session: &str, path: &str) -> String {
    let html = get(app, session, path).await.text().await.unwrap();
    hidden(&html, "_csrf")
}

/// The text of the element with `id` (`id="x">TEXT<`).
fn by_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no element {id}"));
    let rest = &html[at + id.len() + 6..];
    rest[..rest.find('<').unwrap()].to_owned()
}

fn registration<'a>(eori: &'a str, email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("eori", eori),
        ("kind", "trader"),
        ("legalName", "Samarkand Silk Road Imports LLC"),
        ("street", "12 Registan Street"),
        ("city", "Samarkand"),
        ("postcode", "140100"),
        ("country", "UZ"),
        ("email", email),
        ("phone", "+998 66 233 00 00"),
        ("representative", "Dilnoza Karimova"),
        ("position", ""),
        ("username", "silk.importer"),
        ("userName", "Rustam Aliev"),
        ("userEmail", ""),
        ("password", password),
    ]
}

const PASSWORD: &str = "amber caravans cross the windy steppe 1407";

async fn registering_a_company(app: TestApp) {
    let http = client();
    let r = http
        .get(format!("{}/register", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = cookie_of(&r, "tamga_register").expect("the form's cookie");
    let token = hidden(&r.text().await.unwrap(), "_csrf");

    // Without the cookie's token: refused, nothing registered.
    let mut form = registration("UZ000000555001", "office@silk.example.uz", PASSWORD);
    form.push(("_csrf", "forged"));
    let r = http
        .post(format!("{}/register", app.base))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("REGISTER_CSRF"));

    // A bad e-mail: its code next to its field, what was typed kept,
    // never the password.
    let mut form = registration("UZ000000555001", "not-an-email", PASSWORD);
    form.push(("_csrf", &token));
    let r = http
        .post(format!("{}/register", app.base))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let err = html.find("id=\"email-error\"").expect("the e-mail's error");
    assert!(html[err..err + 200].contains("EMAIL_FORMAT"), "{html}");
    assert!(html.contains("aria-describedby=\"email-error\""));
    assert!(html.contains("value=\"Samarkand Silk Road Imports LLC\""));
    assert!(html.contains("value=\"not-an-email\""));
    assert!(!html.contains(PASSWORD));
    assert!(html.contains("<option value=\"trader\" selected>"));

    // A weak password: beside the password field.
    let mut form = registration("UZ000000555001", "office@silk.example.uz", "password1234");
    form.push(("_csrf", &token));
    let r = http
        .post(format!("{}/register", app.base))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"password-error\""), "{html}");

    // Registered: pending, its user cannot log in yet.
    let mut form = registration("UZ000000555001", "office@silk.example.uz", PASSWORD);
    form.push(("_csrf", &token));
    let r = http
        .post(format!("{}/register", app.base))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/register/done");
    let eori = tamga_core::codes::Eori::parse("UZ000000555001").unwrap();
    assert!(app.store.operator(&eori).await.unwrap().is_some(), "stored");
    let r = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&serde_json::json!({"username": "silk.importer", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The same EORI again: 409 beside the EORI field.
    let mut form = registration("UZ000000555001", "office@silk.example.uz", PASSWORD);
    form.push(("_csrf", &token));
    let r = http
        .post(format!("{}/register", app.base))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    let err = html.find("id=\"eori-error\"").expect("the EORI's error");
    assert!(html[err..err + 200].contains("OPERATOR_EXISTS"));
}

/// Trader 1's EORI and the operator's API token.
fn trader1(app: &TestApp) -> (String, String) {
    let u = app
        .demo
        .users
        .iter()
        .find(|u| u.username == "trader1")
        .unwrap();
    let eori = u.operator.clone().unwrap();
    let op = app.demo.traders.iter().find(|t| t.id == eori).unwrap();
    (eori, op.token.clone())
}

async fn the_account_is_the_traders_own(app: TestApp) {
    let (eori, token) = trader1(&app);
    let api: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/account/ledger", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = api["payment"]["paymentReference"].as_str().unwrap();
    let cash = api["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "cash")
        .unwrap();
    let available = cash["available"].as_str().unwrap();

    let session = page_login(&app, "trader1").await;
    let r = get(&app, &session, "/trader/account").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(reference), "the payment reference");
    let shown = tamga_portal::Tr::new("en").number(available);
    assert!(html.contains(&shown), "the balance {shown}");
    assert!(html.contains("src=\"/trader/account/qr.svg\""));

    // The CSV is the API's CSV of the same period, as a download.
    let today = time::OffsetDateTime::now_utc().date();
    let q = format!("from={}&to={today}", today.replace_day(1).unwrap());
    let r = get(
        &app,
        &session,
        &format!("/trader/account/statement.csv?{q}"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"statement-"),
        "{disposition}"
    );
    let page_csv = r.text().await.unwrap();
    let api_csv = app
        .http
        .get(format!(
            "{}/api/v1/account/ledger/statement?{q}&format=csv",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page_csv, api_csv);
    assert!(page_csv.starts_with("record,at,txn,kind,"));
    assert!(page_csv.contains(&format!("DEMO-OPENING-{eori}")));

    // Another operator's user sees its own account, never trader 1's.
    let broker = page_login(&app, "broker1").await;
    let other = get(&app, &broker, &format!("/trader/account/statement.csv?{q}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(other.starts_with("record,"));
    assert!(!other.contains(&eori), "{other}");
    let html = get(&app, &broker, "/trader/account")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(reference));

    // The QR code is an SVG image, the broker's another one.
    let r = get(&app, &session, "/trader/account/qr.svg").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert!(svg.starts_with("<?xml"));
    assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<path"));
    let broker_svg = get(&app, &broker, "/trader/account/qr.svg")
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(svg, broker_svg);

    // The printable statement; a bad period beside its field.
    let r = get(&app, &session, &format!("/trader/account/statement?{q}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(&format!("DEMO-OPENING-{eori}")));
    let r = get(
        &app,
        &session,
        "/trader/account?from=2026-02-30&to=2026-03-01",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"from-error\"") && html.contains("QUERY_DATE"));

    // A customs user has no personal account: refused like the API.
    let officer = page_login(&app, "officer").await;
    for path in [
        "/trader/account",
        "/trader/account/statement.csv",
        "/trader/account/qr.svg",
        "/trader/webhook",
    ] {
        let r = get(&app, &officer, path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Not logged in: to the login page.
    let r = client()
        .get(format!("{}/trader/account", app.base))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn keys_are_listed_registered_and_revoked(app: TestApp) {
    let officer = app
        .demo
        .users
        .iter()
        .find(|u| u.username == "officer")
        .unwrap();
    let key_id = officer.key_id.clone().unwrap();
    let session = page_login(&app, "officer").await;
    let html = get(&app, &session, "/me/keys").await.text().await.unwrap();
    assert!(html.contains(&key_id));
    assert!(html.contains("data-keygen data-owner=\"officer\""));

    // A new key registered by a request signed with the officer's key.
    let new = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = tamga_core::signature::public_key_b64(&new.verifying_key());
    let html = get(
        &app,
        &session,
        &format!("/me/keys?publicKey={}", urlencode(&public)),
    )
    .await
    .text()
    .await
    .unwrap();
    let body = format!(r#"{{"act":"add_signing_key","owner":"officer","publicKey":"{public}"}}"#);
    assert!(
        html.contains(&body.replace('"', "&quot;")) || html.contains(&body.replace('"', "&#34;")),
        "{html}"
    );
    let token = hidden(&html, "_csrf");
    let demo_key = tamga_app::demo::demo_officer_key("officer");
    let signature = tamga_core::signature::sign(&demo_key, body.as_bytes());
    let r = post(
        &app,
        &session,
        "/me/keys",
        &[
            ("_csrf", &token),
            ("publicKey", &public),
            ("body", &body),
            ("signature", "AAAA"),
            ("keyId", &key_id),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("KEY_SIGNATURE_INVALID"));
    let r = post(
        &app,
        &session,
        "/me/keys",
        &[
            ("_csrf", &token),
            ("publicKey", &public),
            ("body", &body),
            ("signature", &signature),
            ("keyId", &key_id),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new_id = tamga_app::clearance::key_id_of(&public);
    let html = get(&app, &session, "/me/keys").await.text().await.unwrap();
    assert!(html.contains(&new_id));

    // Revoking: not without the form's token, not another's key.
    let path = format!("/me/keys/{new_id}/revocation");
    let r = post(&app, &session, &path, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin_key = app
        .demo
        .users
        .iter()
        .find(|u| u.username == "admin")
        .and_then(|u| u.key_id.clone())
        .unwrap();
    let r = post(
        &app,
        &session,
        &format!("/me/keys/{admin_key}/revocation"),
        &[("_csrf", &token)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post(&app, &session, &path, &[("_csrf", &token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let keys: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/account/signing-keys", app.base))
        .bearer_auth(&officer.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let k = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["keyId"] == new_id.as_str())
        .unwrap();
    assert_eq!(k["revoked"], true);

    // An analyst does not sign: it may list, not register.
    let analyst = page_login(&app, "analyst").await;
    let r = post(&app, &analyst, "/me/keys", &[("_csrf", "x")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &analyst, "/me/keys").await.status(),
        StatusCode::OK
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn tokens_are_shown_once_and_revoked(app: TestApp) {
    let session = page_login(&app, "trader1").await;
    let token = csrf(&app, &session, "/me/tokens").await;
    let r = post(
        &app,
        &session,
        "/me/tokens",
        &[("name", "ERP"), ("expiresInDays", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = post(
        &app,
        &session,
        "/me/tokens",
        &[("_csrf", &token), ("name", "ERP"), ("expiresInDays", "400")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"expiresInDays-error\"") && html.contains("TOKEN_EXPIRY"));
    assert!(html.contains("value=\"ERP\""));

    let r = post(
        &app,
        &session,
        "/me/tokens",
        &[("_csrf", &token), ("name", "ERP"), ("expiresInDays", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let secret = by_id(&r.text().await.unwrap(), "token-secret");
    let me = app
        .http
        .get(format!("{}/api/v1/account", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let (eori, _) = trader1(&app);
    assert_eq!(
        me.json::<serde_json::Value>().await.unwrap()["id"],
        eori.as_str()
    );

    // Listed without its secret; the name is taken while it lives.
    let html = get(&app, &session, "/me/tokens")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("ERP") && !html.contains(&secret));
    let r = post(
        &app,
        &session,
        "/me/tokens",
        &[("_csrf", &token), ("name", "ERP")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("TOKEN_NAME_TAKEN"));

    let list: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/account/tokens", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ERP")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another operator cannot revoke it.
    let broker = page_login(&app, "broker1").await;
    let broker_token = csrf(&app, &broker, "/me/tokens").await;
    let path = format!("/me/tokens/{id}/revocation");
    let r = post(&app, &broker, &path, &[("_csrf", &broker_token)]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post(&app, &session, &path, &[("_csrf", &token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let me = app
        .http
        .get(format!("{}/api/v1/account", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

async fn the_webhook_form_checks_like_the_api(app: TestApp) {
    let session = page_login(&app, "trader1").await;
    let html = get(&app, &session, "/trader/webhook")
        .await
        .text()
        .await
        .unwrap();
    let token = hidden(&html, "_csrf");
    let r = post(
        &app,
        &session,
        "/trader/webhook",
        &[("url", "https://hooks.example.com/t")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = post(
        &app,
        &session,
        "/trader/webhook",
        &[("_csrf", &token), ("url", "http://10.1.2.3/hook")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    let err = html.find("id=\"url-error\"").expect("the URL's error");
    assert!(html[err..err + 200].contains("WEBHOOK_URL_FORBIDDEN"));
    assert!(html.contains("value=\"http://10.1.2.3/hook\""));

    let r = post(
        &app,
        &session,
        "/trader/webhook",
        &[("_csrf", &token), ("url", "https://hooks.example.com/t")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let secret = by_id(&r.text().await.unwrap(), "webhook-secret");
    assert!(secret.len() >= 32);
    let html = get(&app, &session, "/trader/webhook")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("https://hooks.example.com/t") && !html.contains(&secret));
    // Another operator does not see it.
    let broker = page_login(&app, "broker1").await;
    let html = get(&app, &broker, "/trader/webhook")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("hooks.example.com"));
    // Removed with an empty address.
    let r = post(
        &app,
        &session,
        "/trader/webhook",
        &[("_csrf", &token), ("url", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = get(&app, &session, "/trader/webhook")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("hooks.example.com"));
}

/// Every English text of the account area that is not also Russian.
fn english_texts() -> Vec<String> {
    let en = tamga_portal::Tr::new("en");
    let ru = tamga_portal::Tr::new("ru");
    tamga_portal::Tr::message_ids("en")
        .into_iter()
        .filter(|id| {
            ["reg-", "acct-", "keys-", "tok-", "hook-"]
                .iter()
                .any(|p| id.starts_with(p))
                && !id.contains("error-")
        })
        .map(|id| (en.t(&id), ru.t(&id)))
        .filter(|(e, r)| e != r && e.len() > 4 && !e.contains('{'))
        .map(|(e, _)| e)
        .collect()
}

async fn russian_account_pages_have_no_english_left(app: TestApp) {
    let english = english_texts();
    assert!(english.len() > 50);
    let trader = page_login(&app, "trader1").await;
    let officer = page_login(&app, "officer").await;
    for (session, path) in [
        ("", "/register"),
        ("", "/register/done"),
        (trader.as_str(), "/trader/account"),
        (trader.as_str(), "/trader/account/statement"),
        (trader.as_str(), "/me/keys"),
        (trader.as_str(), "/me/tokens"),
        (trader.as_str(), "/trader/webhook"),
        (officer.as_str(), "/me/keys"),
    ] {
        let r = client()
            .get(format!("{}{path}", app.base))
            .header("cookie", session)
            .header("accept-language", "ru-RU,ru;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"ru\">"), "{path}");
        for e in &english {
            let escaped = e
                .replace('&', "&amp;")
                .replace('"', "&#34;")
                .replace('\'', "&#39;");
            assert!(
                !html.contains(e.as_str()) && !html.contains(&escaped),
                "{path} shows English: {e:?}"
            );
        }
    }
}

/// In Chromium: a company registers through the form (an error shown
/// beside its field first), then a demo trader's user makes a key in the
/// browser with WebCrypto Ed25519 and sees its public key and key id.
async fn a_company_registers_and_makes_a_key_in_a_browser(app: TestApp) {
    let base = app.base.clone();
    run_story("account", |c| async move {
        let r: Checked = async {
            wd(c.goto(&format!("{base}/register")).await, "register")?;
            for (name, value) in registration("UZ000000777001", "bad-email", PASSWORD) {
                if name == "kind" {
                    continue;
                }
                type_into(&c, name, value).await?;
            }
            click(&c, "main form button[type=submit]").await?;
            let e = text(&c, "#email-error").await?;
            check!(e.contains("EMAIL_FORMAT"), "the e-mail's error: {e:?}");
            type_into(&c, "email", "office@caravan.example.uz").await?;
            type_into(&c, "password", PASSWORD).await?;
            click(&c, "main form button[type=submit]").await?;
            wd(
                c.wait().for_element(Locator::Css("p.notice")).await,
                "registration received",
            )?;
            let url = wd(c.current_url().await, "url")?;
            check!(url.path() == "/register/done", "after registering: {url}");

            crate::browser_support::login(&c, &base, "trader1").await?;
            wd(c.goto(&format!("{base}/me/keys")).await, "keys")?;
            click(&c, "button[data-keygen-make]").await?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut public = String::new();
            while public.is_empty() {
                public = text(&c, "output[data-public-key]").await?;
                check!(std::time::Instant::now() < deadline, "no public key shown");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let key_id = text(&c, "output[data-key-id]").await?;
            check!(public.len() == 44, "public key {public:?}");
            use base64::Engine;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(&public)
                .map_err(|e| format!("public key not base64: {e}"))?;
            check!(raw.len() == 32, "public key of {} bytes", raw.len());
            check!(
                key_id == tamga_app::clearance::key_id_of(&public),
                "key id {key_id} of {public}"
            );
            check!(key_id.len() == 16, "key id {key_id:?}");
            // The same key is shown again on the next visit.
            wd(c.goto(&format!("{base}/me/keys")).await, "keys again")?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let again = text(&c, "output[data-public-key]").await?;
                if again == public {
                    break;
                }
                check!(
                    std::time::Instant::now() < deadline,
                    "the key was not kept: {again:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Ok(())
        }
        .await;
        (c, r)
    })
    .await;
    let eori = tamga_core::codes::Eori::parse("UZ000000777001").unwrap();
    assert!(app.store.operator(&eori).await.unwrap().is_some());
}
