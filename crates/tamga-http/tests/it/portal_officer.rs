//! The officer's pages (issue 16): over HTTP, that they follow the API's
//! rules (an officer of another office does not see a declaration, a
//! trader is refused the area, an inspector cannot release, a form
//! without the CSRF token is refused, a key that is not registered is
//! explained in the page's language), and in Chromium the story of a red
//! declaration cleared with acts signed in the browser.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_core::codes::OfficeCode;
use tamga_core::signature;
use tamga_store::{NewUser, Role, User};

use crate::browser_support::{axe, click, login, run_story, screenshot, text, wd, Checked};
use crate::common::{lifecycle_cigarettes, lifecycle_selectivity, TestApp};
use crate::portal_login::{hidden, page_get as page, page_login, page_post as post};

stories!(
    officer_pages_follow_the_api_rules,
    an_officer_clears_a_red_declaration_signing_in_the_browser
);

/// Lodges a declaration that goes red (HS chapter 24 under the officers'
/// criterion); its MRN.
async fn red_declaration(app: &TestApp) -> String {
    lifecycle_selectivity(app).await;
    let (s, v) = app.lodge(0, &lifecycle_cigarettes(&app.body(0))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    v["mrn"].as_str().unwrap().to_owned()
}

/// The text of the signed form `id`'s textarea, unescaped.
fn signed_body(html: &str, id: &str) -> String {
    let form = &html[html.find(&format!("id=\"{id}\"")).expect(id)..];
    let start = form.find("<textarea name=\"body\" hidden>").unwrap() + 29;
    let end = form[start..].find("</textarea>").unwrap();
    form[start..start + end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Signs `body` with `key` and posts it as the page's signed form does.
async fn sign_and_post(
    app: &TestApp,
    cookie: &str,
    csrf: &str,
    path: &str,
    body: &str,
    key: &ed25519_dalek::SigningKey,
) -> (StatusCode, String, String) {
    let sig = signature::sign(key, body.as_bytes());
    let key_id = tamga_app::clearance::key_id_of(&signature::public_key_b64(&key.verifying_key()));
    post(
        app,
        cookie,
        path,
        &[
            ("_csrf", csrf),
            ("body", body),
            ("signature", &sig),
            ("keyId", &key_id),
        ],
    )
    .await
}

/// An officer of `office` who logs in with its demo password.
async fn officer_of(app: &TestApp, name: &str, office: &str) {
    let now = OffsetDateTime::now_utc();
    let new = NewUser {
        user: User::staff(
            name,
            name,
            Role::Officer,
            vec![OfficeCode::parse(office).unwrap()],
            now,
        ),
        email: None,
        password_hash: Some(tamga_app::identity::password::hash(
            &tamga_app::demo::demo_password(name),
        )),
        must_change_password: false,
        totp_required: false,
    };
    app.store.create_person(&new, "test", now).await.unwrap();
}

/// The English texts of the officer's pages (start of each message, up
/// to its first variable), to look for in the Russian pages: labels and
/// phrases.
fn english_texts() -> Vec<String> {
    include_str!("../../../tamga-portal/i18n/en/officer.ftl")
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(_, v)| v.split('{').next().unwrap_or_default().trim().to_owned())
        // Single lowercase words (states, kinds) also occur in the
        // declaration's own data (goods descriptions): phrases and labels.
        .filter(|v| v.len() > 4 && v.chars().any(|c| c.is_ascii_lowercase()))
        .filter(|v| v.contains(' ') || v.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect()
}

/// The text of `html` without its tags (attributes hold codes, not texts).
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether `html` has `phrase` as whole words (not inside a longer word
/// of the data, such as a user's name).
fn has_phrase(html: &str, phrase: &str) -> bool {
    html.match_indices(phrase).any(|(at, _)| {
        let before = html[..at].chars().next_back();
        let after = html[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

async fn officer_pages_follow_the_api_rules(app: TestApp) {
    let mrn = red_declaration(&app).await;
    let decl = format!("/officer/declarations/{mrn}");
    let officer = page_login(&app, "officer").await;

    // The queue lists it; the task page shows the criterion that hit and
    // the acts, release signed in the browser.
    let (s, html) = page(&app, &officer, "/officer").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&decl), "the queue lists {mrn}");
    assert!(html.contains("data-keygen"), "the key section is there");
    let (s, html) = page(&app, &officer, &decl).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("TOBACCO"), "the criterion hit is shown");
    assert!(html.contains(&format!("action=\"{decl}/release\"")));
    assert!(html.contains("data-sign"));
    let csrf = hidden(&html, "_csrf");
    let release = signed_body(&html, "sign-release");
    assert_eq!(
        serde_json::from_str::<Value>(&release).unwrap(),
        json!({"mrn": mrn, "act": "release", "version": 1})
    );

    // Without the CSRF token: refused before anything is read.
    let key = tamga_app::demo::demo_officer_key("officer");
    let sig = signature::sign(&key, release.as_bytes());
    let (s, _, _) = post(
        &app,
        &officer,
        &format!("{decl}/release"),
        &[("body", &release), ("signature", &sig)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A key that is not registered: the API's code, explained.
    let stranger = signature::signing_key_from_seed([7; 32]);
    let (s, _, html) = sign_and_post(
        &app,
        &officer,
        &csrf,
        &format!("{decl}/release"),
        &release,
        &stranger,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("OFFICER_SIGNATURE_KEY_UNKNOWN"), "{html}");
    assert!(html.contains("is not registered"));
    let ru = format!("{officer}; lang=ru");
    let (s, _, html) = sign_and_post(
        &app,
        &ru,
        &csrf,
        &format!("{decl}/release"),
        &release,
        &stranger,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("не зарегистрирован"), "{html}");

    // Release before the control result: the service's rule, in the page.
    let (s, _, html) = sign_and_post(
        &app,
        &officer,
        &csrf,
        &format!("{decl}/release"),
        &release,
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("CONTROL_RESULT_MISSING"));

    // The Russian pages have no English text of the area left.
    for path in [
        "/officer".to_owned(),
        decl.clone(),
        format!("{decl}?prepare=refusal&reason=x"),
    ] {
        let (s, html) = page(&app, &ru, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("<html lang=\"ru\""));
        let shown = visible(&html);
        for en in english_texts() {
            assert!(!has_phrase(&shown, &en), "{path} in Russian shows {en:?}");
        }
    }

    // An inspector of the office sees the page without the officer's acts,
    // and a release posted anyway is refused like the API refuses it.
    let inspector = page_login(&app, "inspector").await;
    let (s, html) = page(&app, &inspector, &decl).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains(&format!("action=\"{decl}/release\"")));
    let icsrf = hidden(&html, "_csrf");
    let (s, _, _) = sign_and_post(
        &app,
        &inspector,
        &icsrf,
        &format!("{decl}/release"),
        &release,
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A trader is refused the area; an officer of another office does not
    // see the declaration (404, as the API answers).
    let trader = page_login(&app, "trader1").await;
    let (s, _) = page(&app, &trader, "/officer").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = page(&app, &trader, &decl).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    officer_of(&app, "officer-far", "UZ000200").await;
    let far = page_login(&app, "officer-far").await;
    let (s, html) = page(&app, &far, &decl).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!html.contains("TOBACCO"));
    let (s, html) = page(&app, &far, "/officer").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains(&mrn));
    let fcsrf = hidden(&html, "_csrf");
    let (s, _, _) = sign_and_post(
        &app,
        &far,
        &fcsrf,
        &format!("{decl}/release"),
        &release,
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The officer records the control result and releases, signed.
    let (s, html) = page(
        &app,
        &officer,
        &format!("{decl}?prepare=control&outcome=compliant&notes=seals+intact"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let control = signed_body(&html, "sign-control");
    assert_eq!(
        serde_json::from_str::<Value>(&control).unwrap(),
        json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": "compliant", "notes": "seals intact"})
    );
    let (s, to, _) = sign_and_post(
        &app,
        &officer,
        &csrf,
        &format!("{decl}/control"),
        &control,
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(to, format!("{decl}?done=control"));
    let (s, to, _) = sign_and_post(
        &app,
        &officer,
        &csrf,
        &format!("{decl}/release"),
        &release,
        &key,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    let (s, v) = app
        .get(
            &format!("/api/v1/declarations/{mrn}"),
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["state"], "released", "{v}");
    let (s, html) = page(&app, &officer, &format!("{decl}?done=release")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"act-done\""));
    assert!(
        !html.contains("id=\"acts\""),
        "no act is left on a released one"
    );
}

/// Waits until the browser's URL contains `needle` (10 s at most); a
/// signing error shown instead fails at once.
async fn arrived(c: &Client, needle: &str) -> Checked {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = wd(c.current_url().await, "url")?;
        if url.as_str().contains(needle) {
            return Ok(());
        }
        if let Ok(e) = c
            .find(Locator::Css("[data-sign-error]:not([hidden])"))
            .await
        {
            let t = wd(e.text().await, "sign error")?;
            return Err(format!("signing failed in the browser: {t}"));
        }
        check!(
            std::time::Instant::now() < deadline,
            "still on {url}, waiting for {needle}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn story(c: &Client, app: &TestApp, mrn: &str) -> Checked {
    let base = &app.base;
    login(c, base, "officer").await?;
    wd(c.goto(&format!("{base}/officer")).await, "officer page")?;
    let listed = text(c, "#queue").await?;
    check!(
        listed.contains(mrn),
        "the queue does not list {mrn}: {listed}"
    );

    // A key made in this browser; the administrator registers its public
    // key for the officer.
    click(c, "[data-keygen-make]").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let key_id = loop {
        let id = text(c, "output[data-key-id]").await?;
        if !id.is_empty() {
            break id;
        }
        check!(std::time::Instant::now() < deadline, "no key was made");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let public_key = text(c, "output[data-public-key]").await?;
    let (s, v) = app
        .post_json(
            "/api/v1/admin/users/officer/signing-keys",
            &app.user_token("admin"),
            &json!({ "publicKey": public_key }),
        )
        .await;
    check!(s == StatusCode::CREATED, "key registration: {s} {v}");

    // Control result, prepared then signed in the browser.
    wd(
        c.goto(&format!("{base}/officer/declarations/{mrn}")).await,
        "task page",
    )?;
    let found = axe(c).await?;
    check!(
        found.is_empty(),
        "accessibility of the task page: {found:?}"
    );
    screenshot(c, "officer-declaration").await?;
    click(c, "#prepare-control button[type=submit]").await?;
    click(c, "#sign-control button[type=submit]").await?;
    arrived(c, "done=control").await?;
    let done = text(c, "#act-done").await?;
    check!(
        done.contains("control result is recorded"),
        "control result: {done}"
    );
    click(c, "#sign-release button[type=submit]").await?;
    arrived(c, "done=release").await?;
    let done = text(c, "#act-done").await?;
    check!(done.contains("release is recorded"), "release: {done}");

    // Released, and the server verified the browser's signatures.
    let token = app.user_token("officer");
    let (s, v) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &token)
        .await;
    check!(s == StatusCode::OK && v["state"] == "released", "{s} {v}");
    let (s, v) = app
        .get(&format!("/api/v1/declarations/{mrn}/signatures"), &token)
        .await;
    check!(s == StatusCode::OK, "signatures: {s} {v}");
    let checks = v.as_array().cloned().unwrap_or_default();
    let browser: Vec<&Value> = checks
        .iter()
        .filter(|x| x["keyId"] == key_id.as_str())
        .collect();
    check!(
        browser.len() == 2 && browser.iter().all(|x| x["valid"] == true),
        "the browser key {key_id} signed the control result and the release: {v}"
    );
    let history = text(c, "#history").await?;
    check!(
        history.contains(&key_id),
        "the history names the key: {history}"
    );
    Ok(())
}

async fn an_officer_clears_a_red_declaration_signing_in_the_browser(app: TestApp) {
    let mrn = red_declaration(&app).await;
    run_story("officer_clears_red", |c| async move {
        let r = story(&c, &app, &mrn).await;
        (c, r)
    })
    .await;
}
