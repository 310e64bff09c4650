//! Finding 12 (info): some errors were plain text or showed Rust debug
//! formatting.
//!
//! axum's extractor rejections (invalid UTF-8 in a path, a JSON body of the
//! wrong form or content type, a body that is not UTF-8) answered with
//! plain text, and an invalid-state error read "a Some(Released)
//! declaration cannot be …". Now every error is the JSON error body with a
//! stable code (and a pointer where the problem is in the body).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestApp;

stories!(
    extractor_rejections_are_json_with_codes,
    messages_show_no_debug_formatting,
);

/// Sends a request; its answer must be the JSON error body.
async fn json_error(r: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = r.send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert!(
        ct.starts_with("application/json"),
        "{status}: {ct:?} body {text:?}"
    );
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    let code = v["error"]["code"].as_str().unwrap_or_default();
    assert!(
        !code.is_empty()
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-'),
        "{v}"
    );
    (status, v)
}

async fn extractor_rejections_are_json_with_codes(app: TestApp) {
    let trader = app.trader(0).token.clone();
    let admin = app.user_token("admin");
    let url = |p: &str| format!("{}{p}", app.base);

    // Invalid UTF-8 in a path parameter.
    let (s, v) = json_error(
        app.http
            .get(url("/api/v1/declarations/%FF"))
            .bearer_auth(&trader),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "PATH_PARAMETERS");
    let (s, v) = json_error(
        app.http
            .post(url("/api/v1/risk/profiles/%C3%28/activation"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "PATH_PARAMETERS");

    // Risk-profile activation: a body of the wrong form, with a pointer.
    let activation = url("/api/v1/risk/profiles/RP-NONE/activation");
    let (s, v) = json_error(
        app.http
            .post(&activation)
            .bearer_auth(&admin)
            .json(&json!({"version": "two"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "REQUEST_JSON");
    assert_eq!(v["error"]["pointer"], "/version");
    // Not JSON at all.
    let (s, v) = json_error(
        app.http
            .post(&activation)
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body("{\"version\":"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "REQUEST_JSON");
    assert_eq!(v["error"]["pointer"], "");
    // Another content type.
    let (s, v) = json_error(
        app.http
            .post(&activation)
            .bearer_auth(&admin)
            .header("content-type", "text/plain")
            .body("version 2"),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(v["error"]["code"], "CONTENT_TYPE");

    // A tariff file that is not UTF-8.
    let (s, v) = json_error(
        app.http
            .put(url("/api/v1/tariff"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(vec![b'{', 0xFF, 0xFE, b'}']),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "BODY_NOT_UTF8");
    assert_eq!(v["error"]["pointer"], "");

    // Bad query parameters, unknown endpoints and methods, also on /healthz.
    let (s, v) = json_error(
        app.http
            .get(url("/api/v1/declarations?limit=lots"))
            .bearer_auth(&trader),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "QUERY_PARAMETERS");
    let (s, v) = json_error(app.http.delete(url("/healthz"))).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["error"]["code"], "METHOD_NOT_ALLOWED");
    let (s, v) = json_error(app.http.get(url("/%FF/nowhere"))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "NOT_FOUND");
}

async fn messages_show_no_debug_formatting(app: TestApp) {
    // A green declaration is released at once; refusing it afterwards is
    // an act the state does not allow.
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "released", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let (s, v) = app
        .act(
            &app.officer("officer"),
            &format!("/api/v1/declarations/{mrn}/refusal"),
            &json!({"mrn": mrn, "act": "refusal", "version": 1, "reason": "late"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "INVALID_STATE");
    let message = v["error"]["message"].as_str().unwrap();
    assert_eq!(message, "a released declaration cannot be refused");
    for debug in ["Some(", "None", "Released"] {
        assert!(!message.contains(debug), "{message}");
    }
}
