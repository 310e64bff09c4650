//! Issue 16, item 2, through the real server on port 0 (SQLite and, when
//! `TAMGA_TEST_PG_URL` is set, PostgreSQL): an error's `message` follows
//! `Accept-Language`; its code, pointer and status do not. Without the
//! header, or with a language we do not have, the message is exactly the
//! English one of before.

use crate::common;

use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, CONTENT_LANGUAGE, VARY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use tamga_app::demo::demo_signing_key;
use tamga_core::signature;

use common::TestApp;

stories!(
    plain_errors_follow_accept_language,
    refused_declaration_violations_follow_accept_language,
    values_of_an_error_fill_the_translation,
);

/// One answer: status, headers, JSON body.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn error(&self) -> &Value {
        &self.body["error"]
    }

    fn message(&self) -> &str {
        self.error()["message"].as_str().unwrap_or_default()
    }

    fn content_language(&self) -> &str {
        self.headers
            .get(CONTENT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A request with an optional bearer token, language and JSON body; a
/// body is signed with demo trader `signer`'s key when one is named.
async fn ask(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    lang: Option<&str>,
    body: Option<(&Value, usize)>,
) -> Answer {
    let mut req = app.http.request(method, format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(l) = lang {
        req = req.header(ACCEPT_LANGUAGE, l);
    }
    if let Some((doc, signer)) = body {
        let bytes = serde_json::to_vec(doc).unwrap();
        let key = demo_signing_key(&app.trader(signer).id);
        req = req
            .header("content-type", "application/json")
            .header("x-tamga-signature", signature::sign(&key, &bytes))
            .body(bytes);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

fn cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

/// Every language variant of one request: status, code and pointer are
/// the same; English (none, `en`, `xx`) is one and the same message,
/// Russian is Cyrillic with `Content-Language: ru`. Returns (English,
/// Russian).
async fn both(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&Value, usize)>,
) -> (Answer, Answer) {
    let none = ask(app, method.clone(), path, token, None, body).await;
    let en = ask(app, method.clone(), path, token, Some("en"), body).await;
    let xx = ask(app, method.clone(), path, token, Some("xx"), body).await;
    let ru = ask(
        app,
        method,
        path,
        token,
        Some("ru-RU,ru;q=0.9,en;q=0.5"),
        body,
    )
    .await;
    for other in [&en, &xx, &ru] {
        assert_eq!(other.status, none.status, "{path}: {}", other.body);
        assert_eq!(other.error()["code"], none.error()["code"], "{path}");
        assert_eq!(other.error()["pointer"], none.error()["pointer"], "{path}");
    }
    for english in [&none, &en, &xx] {
        assert_eq!(english.message(), none.message(), "{path}");
        assert!(
            !cyrillic(english.message()),
            "{path}: {}",
            english.message()
        );
        assert_eq!(english.content_language(), "en", "{path}");
    }
    assert!(cyrillic(ru.message()), "{path}: {}", ru.body);
    assert!(!ru.message().contains("api-"), "{path}");
    assert_eq!(ru.content_language(), "ru", "{path}");
    let vary = ru.headers.get_all(VARY).iter().any(|v| {
        v.to_str()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains("accept-language")
    });
    assert!(vary, "{path}: {:?}", ru.headers);
    (none, ru)
}

async fn plain_errors_follow_accept_language(app: TestApp) {
    let token = app.trader(0).token.clone();

    // 401 without a token.
    let (en, ru) = both(&app, Method::GET, "/api/v1/declarations", None, None).await;
    assert_eq!(en.status, StatusCode::UNAUTHORIZED);
    assert_eq!(en.error()["code"], "UNAUTHORIZED");
    assert_eq!(
        ru.message(),
        "Требуется аутентификация: укажите действующий токен доступа."
    );

    // 404: today's English text, exactly.
    let (en, ru) = both(&app, Method::GET, "/api/v1/nowhere", Some(&token), None).await;
    assert_eq!(en.status, StatusCode::NOT_FOUND);
    assert_eq!(en.error()["code"], "NOT_FOUND");
    assert_eq!(en.message(), "no such endpoint; see /api/v1/openapi.json");
    assert_eq!(ru.message(), "Запрошенный объект не найден.");

    // 400 with a pointer: the pointer stays, the details of the English
    // text (the value) do not leak into the Russian one.
    let (en, ru) = both(
        &app,
        Method::GET,
        "/api/v1/declarations/NOT-AN-MRN",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(en.status, StatusCode::BAD_REQUEST);
    assert_eq!(en.error()["code"], "MRN_FORMAT");
    assert_eq!(ru.error()["pointer"], "/mrn");
    assert!(en
        .message()
        .starts_with("MRN \"NOT-AN-MRN\" must be 18 characters"));
    assert_eq!(
        ru.message(),
        "Регистрационный номер декларации (MRN) должен содержать 18 символов: \
         2 цифры, 2 буквы, 13 букв или цифр и контрольный символ."
    );

    // A query parameter.
    let (en, _) = both(
        &app,
        Method::GET,
        "/api/v1/declarations?state=flying",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(en.error()["code"], "QUERY_STATE");

    // Success answers are left alone: no Content-Language is invented.
    let ok = ask(
        &app,
        Method::GET,
        "/api/v1/account",
        Some(&token),
        Some("ru"),
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(ok.headers.get(CONTENT_LANGUAGE).is_none());
}

async fn refused_declaration_violations_follow_accept_language(app: TestApp) {
    let mut doc = app.body(0);
    doc["items"][0]["netMassKg"] = json!("99999");
    doc["invoice"]["currency"] = json!("ZZZ");
    let token = app.trader(0).token.clone();
    let (en, ru) = both(
        &app,
        Method::POST,
        "/api/v1/declarations",
        Some(&token),
        Some((&doc, 0)),
    )
    .await;
    assert_eq!(en.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", en.body);
    assert_eq!(en.error()["code"], "DECLARATION_REJECTED");
    let list = |a: &Answer| {
        a.error()["violations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let (en_v, ru_v) = (list(&en), list(&ru));
    assert!(en_v.len() >= 2, "{}", en.body);
    assert_eq!(en_v.len(), ru_v.len());
    for (e, r) in en_v.iter().zip(&ru_v) {
        // Code, pointer and severity stay; only the text changes.
        assert_eq!(
            (&e["code"], &e["pointer"], &e["severity"]),
            (&r["code"], &r["pointer"], &r["severity"])
        );
        let text = r["message"].as_str().unwrap();
        assert!(cyrillic(text), "{r}");
        assert!(!cyrillic(e["message"].as_str().unwrap()), "{e}");
    }
    let net = ru_v
        .iter()
        .find(|v| v["code"] == "FLC-NET-EXCEEDS-GROSS")
        .expect("the mass violation");
    assert_eq!(net["pointer"], "/items/0/netMassKg");
    assert_eq!(
        net["message"],
        "Масса нетто товара превышает его массу брутто."
    );
    assert_eq!(
        ru.message(),
        "Декларация не прошла форматно-логический контроль: см. перечень нарушений."
    );
    // Nothing was stored by any of the four tries.
    assert_eq!(app.count().await, 0);
}

async fn values_of_an_error_fill_the_translation(app: TestApp) {
    let doc = app.body(1);
    let (s, first) = app.lodge(1, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let mrn = first["mrn"].as_str().unwrap().to_owned();
    let lrn = doc["lrn"].as_str().unwrap().to_owned();
    let mut changed = doc.clone();
    changed["items"][0]["description"] = json!("a different description");
    let token = app.trader(1).token.clone();
    let (en, ru) = both(
        &app,
        Method::POST,
        "/api/v1/declarations",
        Some(&token),
        Some((&changed, 1)),
    )
    .await;
    assert_eq!(en.status, StatusCode::CONFLICT, "{}", en.body);
    assert_eq!(en.error()["code"], "FLC-LRN-CONFLICT");
    assert_eq!(ru.error()["pointer"], "/lrn");
    assert_eq!(
        en.message(),
        format!("LRN {lrn} was already used by this declarant for a different declaration ({mrn})")
    );
    assert_eq!(
        ru.message(),
        format!("LRN {lrn} уже использован этим декларантом для другой декларации ({mrn}).")
    );
    // The language of the highest q-value we have wins.
    let fr = ask(
        &app,
        Method::POST,
        "/api/v1/declarations",
        Some(&token),
        Some("fr, ru;q=0.5, en;q=0.1"),
        Some((&changed, 1)),
    )
    .await;
    assert_eq!(fr.message(), ru.message());
    assert_eq!(app.count().await, 1);
}
