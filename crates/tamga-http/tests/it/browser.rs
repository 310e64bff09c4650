//! The portal in a real browser (issue 16): headless Chromium driven over
//! WebDriver (`fantoccini`) against the real server on port 0, on SQLite
//! and PostgreSQL. The test starts `chromedriver` itself on a free port;
//! without it the test fails and says what to install (Debian packages
//! `chromium` and `chromium-driver`; `.ci/run` installs them).
//!
//! Beside it, the portal's HTTP contract without a browser: security
//! headers, cached static files, the language cookie, and HTML errors for
//! browsers but JSON for API clients.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser_support::{
    axe, click, lang, login, run_story, screenshot, text, type_into, value, wd, Checked,
    Chromedriver,
};
use crate::common::TestApp;

stories!(
    pages_work_in_a_browser,
    the_portal_speaks_http_properly,
    logging_in_and_out_in_a_browser
);

async fn browse(c: &Client, base: &str) -> Checked {
    // Home, in the browser's language (English), with the style sheet
    // applied under the Content-Security-Policy.
    wd(c.goto(&format!("{base}/")).await, "home")?;
    check!(lang(c).await? == "en", "home is not English");
    let h1 = text(c, "h1").await?;
    check!(
        h1 == "Customs clearance, open and explained",
        "home h1 {h1:?}"
    );
    let band = wd(
        wd(c.find(Locator::Css("header.site")).await, "header")?
            .css_value("background-color")
            .await,
        "header colour",
    )?;
    check!(
        band == "rgb(21, 49, 79)" || band == "rgba(21, 49, 79, 1)",
        "the style sheet is not applied: {band}"
    );

    // Switch to Russian; the choice is remembered on the next page.
    wd(
        wd(c.find(Locator::Css("a[hreflang=ru]")).await, "ru link")?
            .click()
            .await,
        "click ru",
    )?;
    wd(
        c.wait().for_element(Locator::Css("html[lang=ru]")).await,
        "ru page",
    )?;
    let h1 = text(c, "h1").await?;
    check!(h1.starts_with("Таможенное оформление"), "ru home h1 {h1:?}");
    wd(c.goto(&format!("{base}/calculator")).await, "calculator")?;
    check!(lang(c).await? == "ru", "the language choice was not kept");
    let h1 = text(c, "h1").await?;
    check!(
        h1 == "Калькулятор таможенных платежей",
        "ru calculator h1 {h1:?}"
    );
    wd(
        wd(c.find(Locator::Css("a[hreflang=en]")).await, "en link")?
            .click()
            .await,
        "click en",
    )?;
    wd(
        c.wait().for_element(Locator::Css("html[lang=en]")).await,
        "en page",
    )?;

    // The calculator computes a demo tariff line, every measure shown.
    wd(c.goto(&format!("{base}/calculator")).await, "calculator")?;
    for (id, v) in [
        ("goodsCode", "8471300000"),
        ("origin", "CN"),
        ("customsValue", "1000.00"),
        ("currency", "USD"),
        ("date", "2026-03-01"),
    ] {
        type_into(c, id, v).await?;
    }
    wd(
        wd(
            c.find(Locator::Css("form button[type=submit]")).await,
            "submit",
        )?
        .click()
        .await,
        "submit",
    )?;
    let total = text(c, "#total").await?;
    check!(
        total.ends_with(" UZS") && total != "0.00 UZS",
        "total {total:?}"
    );
    let rows = wd(c.find_all(Locator::Css(".result tbody tr")).await, "lines")?;
    check!(!rows.is_empty(), "no duty line");
    let lines = text(c, ".result tbody").await?;
    check!(lines.contains("VAT"), "no VAT line: {lines}");

    // A bad code: the message next to the field, what was typed kept.
    type_into(c, "goodsCode", "9999999999").await?;
    type_into(c, "q0unit", "KGM").await?;
    type_into(c, "q0value", "12.5").await?;
    wd(
        wd(
            c.find(Locator::Css("form button[type=submit]")).await,
            "submit",
        )?
        .click()
        .await,
        "submit",
    )?;
    let error = text(c, "#goodsCode-error").await?;
    check!(
        error.contains("DUTY-UNKNOWN-GOODS-CODE") && error.contains("9999999999"),
        "field error {error:?}"
    );
    let input = wd(c.find(Locator::Id("goodsCode")).await, "goodsCode")?;
    check!(
        wd(input.attr("aria-invalid").await, "aria-invalid")?.as_deref() == Some("true"),
        "the field is not marked invalid"
    );
    for (id, v) in [
        ("goodsCode", "9999999999"),
        ("origin", "CN"),
        ("customsValue", "1000.00"),
        ("currency", "USD"),
        ("date", "2026-03-01"),
        ("q0unit", "KGM"),
        ("q0value", "12.5"),
    ] {
        let got = value(c, id).await?;
        check!(got == v, "{id} kept {got:?}, typed {v:?}");
    }
    check!(
        c.find(Locator::Id("total")).await.is_err(),
        "a result beside the error"
    );
    let summary = text(c, ".summary a[href='#goodsCode']").await?;
    check!(
        summary == error.replace(" DUTY-UNKNOWN-GOODS-CODE", ""),
        "summary {summary:?}"
    );

    // Offices: the list and the map, one dot per office.
    wd(c.goto(&format!("{base}/offices")).await, "offices")?;
    let dots = wd(c.find_all(Locator::Css("#offices-map circle")).await, "map")?;
    let offices = wd(
        c.find_all(Locator::Css("#offices-list tbody tr")).await,
        "list",
    )?;
    check!(
        !offices.is_empty() && dots.len() == offices.len(),
        "{} dots for {} offices",
        dots.len(),
        offices.len()
    );
    let list = text(c, "#offices-list").await?;
    check!(list.contains("UZ000100"), "the list lacks UZ000100");

    // The HS code assistant: a description typed, the candidates listed
    // with their reasons, the description kept in the form.
    wd(c.goto(&format!("{base}/hs")).await, "hs")?;
    type_into(c, "q", "frozen shrimp").await?;
    click(c, "form[action='/hs'] button[type=submit]").await?;
    let candidates = text(c, "#candidates").await?;
    check!(
        candidates.contains("0306"),
        "heading 0306 is not among the candidates: {candidates}"
    );
    let items = wd(c.find_all(Locator::Css("#candidates > li")).await, "items")?;
    check!(items.len() == 5, "{} candidates, not 5", items.len());
    let kept = value(c, "q").await?;
    check!(kept == "frozen shrimp", "the form kept {kept:?}");

    // An unknown page: the HTML 404 page; an unknown API path stays JSON.
    wd(c.goto(&format!("{base}/no/such/page")).await, "404")?;
    let h1 = text(c, "h1").await?;
    check!(h1 == "Page not found", "404 h1 {h1:?}");
    check!(text(c, "#status").await? == "404", "404 status");
    wd(c.goto(&format!("{base}/api/v1/nope")).await, "api 404")?;
    let kind = wd(
        c.execute("return document.contentType", vec![]).await,
        "type",
    )?;
    check!(kind == json!("application/json"), "API 404 as {kind}");
    let body = text(c, "body").await?;
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("API 404 not JSON ({e}): {body}"))?;
    check!(v["error"]["code"] == "NOT_FOUND", "API 404 {v}");
    Ok(())
}

async fn pages_work_in_a_browser(app: TestApp) {
    crate::common::hs_ready(&app).await;
    let driver = Chromedriver::start();
    let c = driver.browser().await;
    let result = browse(&c, &app.base).await;
    let shot = if result.is_err() {
        c.screenshot().await.ok()
    } else {
        None
    };
    let _ = c.close().await;
    if let (Err(_), Some(png)) = (&result, shot) {
        let path = std::env::temp_dir().join("tamga-browser-failure.png");
        let _ = std::fs::write(&path, png);
        eprintln!("screenshot of the failure: {}", path.display());
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}

async fn the_portal_speaks_http_properly(app: TestApp) {
    let get = |path: &str, accept: &str| {
        app.http
            .get(format!("{}{path}", app.base))
            .header("accept", accept)
            .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")
    };
    const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
    // Every page: HTML in the negotiated language, with the headers.
    for page in [
        "/",
        "/calculator",
        "/tariff?q=8471",
        "/hs",
        "/offices",
        "/status",
    ] {
        let r = get(page, HTML).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        let h = r.headers();
        assert_eq!(h["content-type"], "text/html; charset=utf-8", "{page}");
        assert_eq!(h["content-language"], "ru", "{page}");
        assert_eq!(
            h["content-security-policy"],
            tamga_http::portal::CSP,
            "{page}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
        assert_eq!(h["referrer-policy"], "same-origin", "{page}");
        assert!(h.get("set-cookie").is_none(), "{page}");
        let html = r.text().await.unwrap();
        assert!(html.contains("<html lang=\"ru\">"), "{page}");
    }
    // The language in the query wins and is remembered in a cookie.
    let r = get("/?lang=en", HTML).send().await.unwrap();
    assert_eq!(r.headers()["content-language"], "en");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("lang=en;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let r = get("/", HTML)
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-language"], "en");

    // The style sheet: hashed name, cached for a year, ETag revalidation.
    let home = get("/", HTML).send().await.unwrap().text().await.unwrap();
    let css = home
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/static/"))
        .map(|s| format!("/static/{}", &s[..s.find('"').unwrap()]))
        .expect("the page links its style sheet");
    let r = get(&css, "text/css,*/*;q=0.1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.text().await.unwrap().contains("header.site"));
    let r = get(&css, "text/css")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = get("/static/tamga.css", HTML).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    // Errors: a browser gets the translated HTML page, with the headers;
    // an API client (or any path under /api/) gets JSON.
    let r = get("/no/such/page", HTML).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers()["content-security-policy"],
        tamga_http::portal::CSP
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("Страница не найдена"), "{html}");
    assert!(!html.contains("\"error\""), "{html}");
    let r = app
        .http
        .post(format!("{}/calculator", app.base))
        .header("accept", HTML)
        .header("accept-language", "ru")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().get("allow").is_some());
    assert!(r.text().await.unwrap().contains("<html lang=\"ru\">"));
    for (path, accept) in [
        ("/api/v1/nope", HTML),
        ("/no/such/page", "application/json"),
        ("/no/such/page", "*/*"),
    ] {
        let r = get(path, accept).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} {accept}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "NOT_FOUND", "{path} {accept}");
    }
    // The API keeps its answers: the calculator is the same service.
    let r = app
        .http
        .post(format!("{}/api/v1/tariff/calculator", app.base))
        .json(&json!({"goodsCode": "9999999999", "origin": "CN", "customsValue": "1000.00", "currency": "USD"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "DUTY-UNKNOWN-GOODS-CODE");
    assert_eq!(v["error"]["pointer"], "/goodsCode");
    let r = app
        .http
        .post(format!("{}/api/v1/tariff/calculator", app.base))
        .json(&json!({"goodsCode": "8471300000", "origin": "CN", "customsValue": "1000.00", "currency": "USD",
                      "quantities": [{"unit": "KGM", "value": "1e3"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "AMOUNT_FORMAT");
    assert_eq!(v["error"]["pointer"], "/quantities/0/value");
}

/// A page behind a login sends the browser to the login page and back;
/// a wrong password is said next to the form; logging out ends the
/// session.
async fn logging_in_and_out_in_a_browser(app: TestApp) {
    let base = app.base.clone();
    run_story("login", |c| async move {
        let r = async {
            wd(c.goto(&format!("{base}/me")).await, "me")?;
            let url = wd(c.current_url().await, "url")?;
            check!(
                url.path() == "/login" && url.query() == Some("next=%2Fme"),
                "not sent to the login page: {url}"
            );
            type_into(&c, "username", "officer").await?;
            type_into(&c, "password", "not the password").await?;
            click(&c, "main form button[type=submit]").await?;
            let e = text(&c, ".error-summary").await?;
            check!(e.contains("LOGIN_FAILED"), "wrong password said {e:?}");
            check!(
                value(&c, "username").await? == "officer",
                "user name not kept"
            );
            let found = axe(&c).await?;
            check!(
                found.is_empty(),
                "accessibility of the login page: {found:?}"
            );
            screenshot(&c, "login").await?;
            login(&c, &base, "officer").await?;
            wd(c.goto(&format!("{base}/me")).await, "me")?;
            let found = axe(&c).await?;
            check!(found.is_empty(), "accessibility of /me: {found:?}");
            let facts = text(&c, "dl.facts").await?;
            check!(facts.contains("officer"), "me page {facts:?}");
            click(&c, "header.site form[action='/logout'] button").await?;
            wd(
                c.wait()
                    .for_element(Locator::Css("header.site .who a[href^='/login']"))
                    .await,
                "logged out",
            )?;
            wd(c.goto(&format!("{base}/me")).await, "me again")?;
            let url = wd(c.current_url().await, "url")?;
            check!(url.path() == "/login", "the session outlived logout: {url}");
            Ok(())
        }
        .await;
        (c, r)
    })
    .await;
}
