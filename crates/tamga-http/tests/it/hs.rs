//! The HS classification assistant over HTTP (issue 18): `GET
//! /api/v1/hs/suggestions` and the `/hs` page, anonymous, on the real
//! server. A fresh instance answers 503 `HS_NOT_READY` with `Retry-After`
//! until its model is built (the test servers build it when first asked:
//! [`crate::common::hs_ready`]); known descriptions rank their heading in
//! the top 5 with full reasons; every bad parameter is 400 with its code
//! and pointer, before anything is built; the rate per address is bounded;
//! the page answers the same in English and Russian.

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde_json::Value;

use tamga_portal::i18n::untranslated;

use crate::common::{hs_ready, spawn_app_with, TestApp};
use crate::portal_login::HTML;

stories!(
    suggestions_rank_the_expected_heading_with_reasons,
    bad_parameters_are_refused_before_anything_runs,
    the_page_answers_in_english_and_russian,
);

/// Descriptions and the heading the assistant must rank in its top 5.
const KNOWN: &[(&str, &str)] = &[
    ("frozen shrimp", "0306"),
    ("men's cotton t-shirt", "6109"),
    ("mens leather boots", "6403"),
    ("green tea in bags", "0902"),
];

/// An anonymous GET: status, `Retry-After`, JSON body.
async fn get(app: &TestApp, path: &str, lang: &str) -> (StatusCode, Option<String>, Value) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let retry = r
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, r.json().await.unwrap_or_default())
}

/// A page as a browser opens it: status, `Retry-After`, HTML.
async fn page(app: &TestApp, path: &str, lang: &str) -> (StatusCode, Option<String>, String) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .header("accept", HTML)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let retry = r
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, r.text().await.unwrap())
}

fn query(text: &str) -> String {
    tamga_portal::pages::form_pairs([("q", text)].into_iter())
}

async fn suggestions_rank_the_expected_heading_with_reasons(app: TestApp) {
    // A fresh instance has no model yet: the first question starts its
    // build and is answered 503 with when to come back.
    let (s, retry, v) = get(&app, "/api/v1/hs/suggestions?q=frozen+shrimp", "en").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "HS_NOT_READY", "{v}");
    assert_eq!(retry.as_deref(), Some("5"));
    hs_ready(&app).await;

    for (text, heading) in KNOWN {
        let (s, _, v) = get(
            &app,
            &format!("/api/v1/hs/suggestions?{}", query(text)),
            "en",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{text}: {v}");
        assert_eq!(v["description"], *text);
        assert_eq!(v["nomenclature"], "HS 2022");
        assert_eq!(v["recognised"], true, "{text}: {v}");
        let list = v["suggestions"].as_array().unwrap();
        assert_eq!(list.len(), 5, "the default is 5: {v}");
        let headings: Vec<&str> = list
            .iter()
            .map(|c| c["path"]["heading"]["code"].as_str().unwrap())
            .collect();
        assert!(
            headings.contains(heading),
            "{text}: {heading} not in {headings:?}"
        );
        let mut last = f64::INFINITY;
        for (i, c) in list.iter().enumerate() {
            assert_eq!(c["rank"], i + 1, "{c}");
            let code = c["code"].as_str().unwrap();
            assert!(
                code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
                "{c}"
            );
            let score = c["score"].as_f64().unwrap();
            assert!(score <= last, "{text}: not best first: {v}");
            last = score;
            let path = &c["path"];
            assert_eq!(path["subheading"]["code"], code);
            assert_eq!(path["heading"]["code"], &code[..4]);
            assert_eq!(path["chapter"]["code"], &code[..2]);
            for level in ["chapter", "heading", "subheading"] {
                assert!(!path[level]["text"].as_str().unwrap().is_empty(), "{c}");
            }
            // Terms are the description's words as read: lower case,
            // letters only (`t-shirt` is `tshirt`).
            let letters: String = text
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect();
            for t in c["matchingTerms"].as_array().unwrap() {
                let t = t.as_str().unwrap();
                assert!(!t.is_empty() && letters.contains(t), "{text}: term {t}");
            }
            for e in c["nearestExamples"].as_array().unwrap() {
                assert_eq!(e["code"], code, "{e}");
                let sim = e["similarity"].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&sim), "{e}");
                assert!(!e["description"].as_str().unwrap().is_empty());
            }
        }
        // The best candidate has reasons to show.
        let best = &list[0];
        assert!(
            !best["matchingTerms"].as_array().unwrap().is_empty()
                || !best["nearestExamples"].as_array().unwrap().is_empty(),
            "{text}: no reason for the best: {best}"
        );
    }
    // `top` and the trimmed description.
    let (s, _, v) = get(
        &app,
        "/api/v1/hs/suggestions?q=%20%20frozen%20shrimp%0A&top=20",
        "en",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["description"], "frozen shrimp");
    assert_eq!(v["suggestions"].as_array().unwrap().len(), 20);
    let (_, _, one) = get(&app, "/api/v1/hs/suggestions?q=frozen+shrimp&top=1", "en").await;
    assert_eq!(one["suggestions"].as_array().unwrap().len(), 1);
    assert_eq!(one["suggestions"][0], v["suggestions"][0]);
    // Nothing the model knows: no candidates rather than arbitrary ones.
    let (s, _, v) = get(&app, "/api/v1/hs/suggestions?q=12345+%2F%2F+%21%21", "en").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["recognised"], false, "{v}");
    assert_eq!(v["suggestions"], serde_json::json!([]));
    // With a token it is the same answer (public, not per caller).
    let (s, token_answer) = app
        .get(
            "/api/v1/hs/suggestions?q=frozen+shrimp&top=1",
            &app.trader(0).token,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(token_answer, one);
}

async fn bad_parameters_are_refused_before_anything_runs(app: TestApp) {
    let long = "a".repeat(501);
    let cases: &[(String, &str, &str)] = &[
        ("".into(), "QUERY_PARAMETERS", "/q"),
        ("?top=5".into(), "QUERY_PARAMETERS", "/q"),
        ("?q=".into(), "HS_QUERY_EMPTY", "/q"),
        ("?q=%20%09%0A".into(), "HS_QUERY_EMPTY", "/q"),
        (format!("?q={long}"), "HS_QUERY_TOO_LONG", "/q"),
        ("?q=tea%00".into(), "HS_QUERY_NOT_TEXT", "/q"),
        ("?q=%01%02".into(), "HS_QUERY_NOT_TEXT", "/q"),
        ("?q=tea%1B%5B2J".into(), "HS_QUERY_NOT_TEXT", "/q"),
        ("?q=tea&top=0".into(), "QUERY_TOP", "/top"),
        ("?q=tea&top=21".into(), "QUERY_TOP", "/top"),
        (
            "?q=tea&top=99999999999999999999".into(),
            "QUERY_TOP",
            "/top",
        ),
        ("?q=tea&top=five".into(), "QUERY_PARAMETERS", "/top"),
        ("?q=tea&top=-1".into(), "QUERY_PARAMETERS", "/top"),
    ];
    for (q, code, pointer) in cases {
        let (s, _, v) = get(&app, &format!("/api/v1/hs/suggestions{q}"), "en").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["error"]["code"], *code, "{q}: {v}");
        assert_eq!(v["error"]["pointer"], *pointer, "{q}: {v}");
    }
    // 500 characters are accepted (counted as characters: 1,000 bytes).
    let (s, _, v) = get(
        &app,
        &format!("/api/v1/hs/suggestions?{}", query(&"я".repeat(500))),
        "en",
    )
    .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    // The message in the client's language; the code and pointer the same.
    let (_, _, v) = get(&app, "/api/v1/hs/suggestions?q=", "ru").await;
    assert_eq!(v["error"]["code"], "HS_QUERY_EMPTY");
    assert_eq!(v["error"]["pointer"], "/q");
    assert_eq!(v["error"]["message"], "Описание товара пустое.", "{v}");
}

async fn the_page_answers_in_english_and_russian(app: TestApp) {
    // The form alone needs no model.
    let (s, _, html) = page(&app, "/hs", "en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<h1>HS code assistant</h1>"), "{html}");
    assert!(html.contains("<form class=\"stack\" method=\"get\" action=\"/hs\""));
    assert!(!html.contains("id=\"candidates\""));
    // A fresh instance: the page says to come back (503, Retry-After).
    let (s, retry, html) = page(&app, "/hs?q=frozen+shrimp", "en").await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry.as_deref(), Some("5"));
    assert!(html.contains("id=\"hs-notice\""), "{html}");
    assert!(html.contains(">frozen shrimp</textarea>"));
    hs_ready(&app).await;

    // English: the candidates, the expected heading among them, linked to
    // the tariff; the same codes as the API, in the same order.
    let (s, _, html) = page(&app, "/hs?q=frozen+shrimp&top=5", "en").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Candidates for “frozen shrimp”"), "{html}");
    assert!(html.contains("href=\"/tariff?heading=0306\""), "{html}");
    let (_, _, api) = get(&app, "/api/v1/hs/suggestions?q=frozen+shrimp&top=5", "en").await;
    let codes: Vec<&str> = api["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    let mut at = 0;
    for code in &codes {
        let found = html[at..]
            .find(&format!("id=\"hs-{code}\""))
            .unwrap_or_else(|| panic!("{code} missing or out of order"));
        at += found + 1;
    }
    assert_eq!(html.matches("<li id=\"hs-").count(), 5);

    // Russian: every text translated, the data marked English.
    let (s, _, html) = page(
        &app,
        &format!("/hs?{}&top=10", query("men's cotton t-shirt")),
        "ru",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("<h1>Помощник по кодам ГС</h1>"));
    assert!(
        html.contains("Варианты для «men&#39;s cotton t-shirt»"),
        "{html}"
    );
    assert!(html.contains("href=\"/tariff?heading=6109\""), "{html}");
    assert!(html.contains("<option value=\"10\" selected>"));
    assert_eq!(html.matches("<li id=\"hs-").count(), 10);
    let left = untranslated("ru", &html);
    assert!(left.is_empty(), "untranslated: {left:?}");

    // Refused: the message beside the field, 400; in Russian too.
    let (s, _, html) = page(&app, "/hs?q=%20", "en").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"q-error\""), "{html}");
    assert!(html.contains("<code>HS_QUERY_EMPTY</code>"));
    let (s, _, html) = page(&app, "/hs?q=tea&top=50", "ru").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"top-error\""), "{html}");
    assert!(html.contains("Выберите 5, 10 или 20 вариантов"), "{html}");
    assert!(untranslated("ru", &html).is_empty());
    // From the home page and the navigation.
    let (_, _, home) = page(&app, "/", "en").await;
    assert!(
        home.contains("<a href=\"/hs\">HS code assistant</a>"),
        "{home}"
    );
}

/// The assistant's own rate per client address: its API and its page
/// share it; the rest of the service does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_per_address_is_bounded() {
    let app = spawn_app_with(
        tamga_store::testing::TestDb::sqlite().await,
        tamga_app::Settings::default(),
        tamga_http::Limits {
            hs_rate: 1,
            hs_burst: 2,
            ..Default::default()
        },
    )
    .await;
    for _ in 0..2 {
        let (s, _, v) = get(&app, "/api/v1/hs/suggestions?q=", "en").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    let (s, retry, v) = get(&app, "/api/v1/hs/suggestions?q=tea", "en").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "RATE_LIMITED");
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
    let (s, _, html) = page(&app, "/hs", "en").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("<html lang=\"en\">"), "the HTML error page");
    // Other endpoints and pages are not held back.
    let (s, _, _) = get(&app, "/api/v1/control/rules", "en").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = page(&app, "/tariff", "en").await;
    assert_eq!(s, StatusCode::OK);
}
