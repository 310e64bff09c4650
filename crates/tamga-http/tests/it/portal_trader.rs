//! The trader's and broker's pages over HTTP, without a browser: an
//! operator sees only what the API shows it (another trader's declaration
//! is the 404 page), other roles are refused, forms need their CSRF
//! token, the check step puts each control message next to its field and
//! keeps what was typed, a signed lodging lands on the declaration's
//! page, and the Russian pages have no English left.

use reqwest::StatusCode;
use serde_json::Value;

use tamga_app::demo::demo_signing_key;
use tamga_core::signature;
use tamga_portal::pages::trader::form::Typed;
use tamga_portal::Tr;

use crate::common::TestApp;
use crate::portal_login::{client, hidden, page_login, HTML};

stories!(
    trader_pages_keep_to_their_operator,
    the_lodging_form_checks_then_signs,
    trader_pages_speak_russian,
);

async fn get(app: &TestApp, session: &str, path: &str, lang: &str) -> (StatusCode, String) {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .header("accept-language", "en")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Lodges a valid declaration of demo trader `i` through the API.
async fn lodged(app: &TestApp, i: usize) -> String {
    let (status, v) = app.lodge(i, &app.body(i)).await;
    assert!(status.is_success(), "{status} {v}");
    v["mrn"].as_str().unwrap().to_owned()
}

/// The text of the `<textarea name="body">` of a sign page, unescaped.
fn signed_body(html: &str) -> String {
    let at = html.find("name=\"body\"").expect("a sign page");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</textarea>").unwrap();
    rest[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The posted form of `doc` as the declaration form would send it.
fn form_of(doc: &Value, csrf: &str, action: &str) -> Vec<(String, String)> {
    let typed = Typed::from_json(doc);
    let mut form = vec![
        ("_csrf".to_owned(), csrf.to_owned()),
        ("items".to_owned(), typed.items.to_string()),
        ("_action".to_owned(), action.to_owned()),
    ];
    form.extend(typed.values);
    form
}

async fn trader_pages_keep_to_their_operator(app: TestApp) {
    let mine = lodged(&app, 0).await;
    let theirs = lodged(&app, 1).await;
    let trader = page_login(&app, "trader1").await;

    let (status, html) = get(&app, &trader, "/trader", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("My declarations"));
    assert!(html.contains(&mine));
    let (status, html) = get(&app, &trader, "/trader/declarations", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&mine));
    assert!(!html.contains(&theirs));
    let (status, html) = get(
        &app,
        &trader,
        "/trader/declarations?state=invalidated",
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&mine), "filtered by state");

    let (status, html) = get(&app, &trader, &format!("/trader/declarations/{mine}"), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Status history"));
    assert!(html.contains("Risk assessed"));
    // The trader sees the channel, never the risk engine's reasons.
    for secret in ["profile", "seed", "draw", "hits"] {
        assert!(!html.to_lowercase().contains(secret), "{secret} shown");
    }

    // Another trader's declaration by URL: the 404 page, as the API.
    let (status, html) = get(
        &app,
        &trader,
        &format!("/trader/declarations/{theirs}"),
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<!DOCTYPE html>"));
    assert!(!html.contains(&theirs[..]) || !html.contains("Status history"));
    for path in [
        format!("/trader/declarations/{theirs}/amend"),
        format!("/trader/declarations/{theirs}/invalidate"),
        "/trader/declarations/NOT-AN-MRN".to_owned(),
    ] {
        let (status, _) = get(&app, &trader, &path, "en").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // The broker sees what the API shows it, no more.
    let broker = page_login(&app, "broker1").await;
    let broker_token = app.user_token("broker1");
    for mrn in [&mine, &theirs] {
        let (api, _) = app
            .get(&format!("/api/v1/declarations/{mrn}"), &broker_token)
            .await;
        let (page, _) = get(&app, &broker, &format!("/trader/declarations/{mrn}"), "en").await;
        assert_eq!(page.as_u16(), api.as_u16(), "{mrn}");
    }
    let (status, html) = get(&app, &broker, "/trader/declarations/new", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&app.demo.broker.id),
        "the broker is the representative"
    );

    // Not an operator: refused.
    let officer = page_login(&app, "officer").await;
    for path in [
        "/trader",
        "/trader/declarations",
        "/trader/declarations/new",
    ] {
        let (status, _) = get(&app, &officer, path, "en").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }

    // Forms without the session's token: 403, nothing done.
    let form = form_of(&app.body(0), "", "check");
    let no_token: Vec<(String, String)> = form.into_iter().filter(|(k, _)| k != "_csrf").collect();
    for path in [
        "/trader/declarations/new".to_owned(),
        "/trader/declarations".to_owned(),
        format!("/trader/declarations/{mine}/invalidate"),
        format!("/trader/declarations/{mine}/invalidation"),
    ] {
        let r = post(&app, &trader, &path, &no_token).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (_, v) = app
        .get(
            &format!("/api/v1/declarations/{mine}"),
            &app.trader(0).token,
        )
        .await;
    assert_ne!(v["state"], "invalidated");
}

async fn the_lodging_form_checks_then_signs(app: TestApp) {
    let trader = page_login(&app, "trader1").await;
    let (status, html) = get(&app, &trader, "/trader/declarations/new", "en").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = hidden(&html, "_csrf");
    assert!(
        html.contains(&app.trader(0).id),
        "the declarant is filled in"
    );

    // "Add a goods item" shows one more item, keeping what was typed.
    let mut doc = app.body(0);
    let r = post(
        &app,
        &trader,
        "/trader/declarations/new",
        &form_of(&doc, &csrf, "add-item"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let items = doc["items"].as_array().unwrap().len();
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("name=\"/items/{items}/hsCode\"")));
    assert!(html.contains(&format!("value=\"{}\"", doc["lrn"].as_str().unwrap())));

    // One mistake: the message next to its field, with its code, and
    // what was typed kept.
    let good_code = doc["items"][0]["hsCode"].as_str().unwrap().to_owned();
    doc["items"][0]["hsCode"] = "12AB".into();
    let r = post(
        &app,
        &trader,
        "/trader/declarations/new",
        &form_of(&doc, &csrf, "check"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let field = html
        .find("id=\"/items/0/hsCode-error\"")
        .expect("the error next to the goods code");
    assert!(
        html[field..field + 200].contains("FLC-"),
        "{}",
        &html[field..field + 200]
    );
    assert!(html.contains("name=\"/items/0/hsCode\" type=\"text\" value=\"12AB\""));
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(app.count().await, 0, "a check writes nothing");

    // Fixed: the sign page carries the exact JSON.
    doc["items"][0]["hsCode"] = good_code.into();
    let r = post(
        &app,
        &trader,
        "/trader/declarations/new",
        &form_of(&doc, &csrf, "check"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-sign"));
    let body = signed_body(&html);
    let sent: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(sent, doc, "the form builds the declaration typed");

    // A wrong signature is refused and the form comes back.
    let other = demo_signing_key(&app.trader(1).id);
    let sign = |key: &ed25519_dalek::SigningKey| {
        vec![
            ("_csrf".to_owned(), csrf.clone()),
            ("body".to_owned(), body.clone()),
            (
                "signature".to_owned(),
                signature::sign(key, body.as_bytes()),
            ),
            ("keyId".to_owned(), String::new()),
        ]
    };
    let r = post(&app, &trader, "/trader/declarations", &sign(&other)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("SIGNATURE"));

    let key = demo_signing_key(&app.trader(0).id);
    let r = post(&app, &trader, "/trader/declarations", &sign(&key)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/trader/declarations/"), "{to}");
    let (status, html) = get(&app, &trader, &to, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Lodged and signed"));
    assert!(html.contains("Duties and taxes"));

    // Invalidation: a reason is needed, then the signed body names it.
    let mrn = to.rsplit('/').next().unwrap().to_owned();
    let (_, v) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &app.trader(0).token)
        .await;
    if v["state"] != "released" {
        let path = format!("/trader/declarations/{mrn}/invalidate");
        let r = post(
            &app,
            &trader,
            &path,
            &[
                ("_csrf".into(), csrf.clone()),
                ("reason".into(), " ".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("REASON_REQUIRED"));
        let r = post(
            &app,
            &trader,
            &path,
            &[
                ("_csrf".into(), csrf.clone()),
                ("reason".into(), "wrong goods".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let inv = signed_body(&r.text().await.unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&inv).unwrap(),
            serde_json::json!({"mrn": mrn, "reason": "wrong goods"})
        );
    }
}

async fn trader_pages_speak_russian(app: TestApp) {
    let mine = lodged(&app, 0).await;
    let trader = page_login(&app, "trader1").await;
    let en = Tr::new("en");
    // English texts of this area (those without variables).
    let english: Vec<String> = Tr::message_ids("en")
        .into_iter()
        .filter(|id| id.starts_with("trader-"))
        .map(|id| en.t(&id))
        .filter(|t| !t.contains('{') && t.len() >= 6)
        .collect();
    assert!(english.len() > 100);
    for path in [
        "/trader".to_owned(),
        "/trader/declarations".to_owned(),
        "/trader/declarations/new".to_owned(),
        format!("/trader/declarations/{mine}"),
        format!("/trader/declarations/{mine}/amend"),
        format!("/trader/declarations/{mine}/invalidate"),
    ] {
        let (status, html) = get(&app, &trader, &path, "ru-RU,ru;q=0.9").await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("lang=\"ru\""), "{path}");
        for t in &english {
            assert!(
                !html.contains(&format!(">{t}<")),
                "{path}: {t:?} untranslated"
            );
        }
        assert!(!html.contains(">trader-"), "{path}: a message id shown");
    }
}
