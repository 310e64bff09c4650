//! The served OpenAPI document is complete enough to generate a client
//! from, and the server keeps what it says: every operation has a summary,
//! no request body or success response is a bare object, every
//! authenticated operation documents 401, every path parameter has a
//! format; query counts are bounded; a bad office code gets one error code
//! everywhere; the trader's refunds are the array the document says.

use crate::common;

use reqwest::StatusCode;
use serde_json::Value;

use common::TestApp;

stories!(
    the_document_describes_every_operation,
    counts_above_their_maximum_are_refused,
    a_bad_office_code_has_one_error_code,
    refunds_are_an_array_as_documented,
);

/// Operations anyone may call (no token).
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/control/rules"),
    ("get", "/api/v1/risk/schema"),
    ("get", "/api/v1/tariff"),
    ("post", "/api/v1/tariff/calculator"),
    ("get", "/api/v1/hs/suggestions"),
    ("get", "/api/v1/values/reference"),
    ("post", "/api/v1/registrations"),
    ("get", "/api/v1/offices"),
];

/// Follows a `$ref` into `components/schemas`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            let s = &doc["components"]["schemas"][name];
            assert!(!s.is_null(), "dangling reference {r}");
            resolve(doc, s)
        }
        None => schema,
    }
}

/// A schema that says nothing of its content: `{"type": "object"}` with no
/// properties, composition or additional-properties schema.
fn is_bare_object(doc: &Value, schema: &Value) -> bool {
    let s = resolve(doc, schema);
    if s["type"] == "array" {
        return is_bare_object(doc, &s["items"]);
    }
    let object = s["type"] == "object" || (s["type"].is_null() && s.as_object().is_some());
    object
        && s["properties"].as_object().is_none_or(|p| p.is_empty())
        && s["allOf"].is_null()
        && s["oneOf"].is_null()
        && s["anyOf"].is_null()
        && s["enum"].is_null()
        && !s["additionalProperties"].is_object()
        && s["$ref"].is_null()
        && s["type"] != "string"
}

async fn document(app: &TestApp) -> Value {
    let r = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn the_document_describes_every_operation(app: TestApp) {
    let doc = document(&app).await;
    let mut problems = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            operations += 1;
            let at = format!("{} {path}", method.to_uppercase());
            if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
                problems.push(format!("{at}: no summary"));
            }
            for (media, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if media == "application/json" && is_bare_object(&doc, &content["schema"]) {
                    problems.push(format!("{at}: the request body is a bare object"));
                }
            }
            let responses = op["responses"].as_object().unwrap();
            for (status, r) in responses {
                if r["description"]
                    .as_str()
                    .is_none_or(|d| d.trim().is_empty())
                {
                    problems.push(format!("{at}: response {status} has no description"));
                }
                if status.starts_with('2') {
                    for (_, content) in r["content"].as_object().into_iter().flatten() {
                        if is_bare_object(&doc, &content["schema"]) {
                            problems.push(format!("{at}: response {status} is a bare object"));
                        }
                    }
                }
                if status.starts_with('4') {
                    let schema = &r["content"]["application/json"]["schema"];
                    if schema.is_null() {
                        problems.push(format!("{at}: response {status} has no error body"));
                    }
                }
            }
            let public = PUBLIC.contains(&(method.as_str(), path.as_str()));
            if !public && !responses.contains_key("401") {
                problems.push(format!("{at}: 401 not documented"));
            }
            if !public && op["security"].as_array().is_none_or(|s| s.is_empty()) {
                problems.push(format!("{at}: no security requirement"));
            }
            let has_input = op["requestBody"].is_object()
                || op["parameters"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["in"] != "header"));
            if has_input && !responses.contains_key("400") {
                problems.push(format!("{at}: 400 not documented"));
            }
            if path.contains('{') && !responses.contains_key("404") {
                problems.push(format!("{at}: 404 not documented"));
            }
            // Every `{name}` of the path is a declared path parameter (a
            // handler taking `ApiPath` declares it in its `params`).
            for name in path.split('{').skip(1).filter_map(|r| r.split('}').next()) {
                let declared = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["in"] == "path" && p["name"] == name);
                if !declared {
                    problems.push(format!("{at}: path parameter {name} is not declared"));
                }
            }
            if op["requestBody"]["content"]["application/json"].is_object()
                && !responses.contains_key("415")
            {
                problems.push(format!("{at}: 415 not documented for a JSON body"));
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let schema = resolve(&doc, &p["schema"]);
                if p["in"] == "path" {
                    let string_with_pattern =
                        schema["type"] == "string" && schema["pattern"].is_string();
                    let bounded_integer =
                        schema["type"] == "integer" && schema["minimum"].is_number();
                    if !string_with_pattern && !bounded_integer {
                        problems.push(format!("{at}: path parameter {name} has no format"));
                    }
                }
                if p["in"] == "query" && ["limit", "history"].contains(&name) {
                    let ty = &schema["type"];
                    let integer = ty == "integer"
                        || ty.as_array().is_some_and(|t| t.contains(&"integer".into()));
                    if !integer || !schema["maximum"].is_number() {
                        problems.push(format!("{at}: {name} is not a bounded integer"));
                    }
                }
            }
        }
    }
    assert!(operations > 60, "only {operations} operations documented");
    // Every reference resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let name = r.split('"').next().unwrap();
        let name = name.trim_start_matches("#/components/schemas/");
        if doc["components"]["schemas"][name].is_null() {
            problems.push(format!("dangling reference to {name}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The main bodies carry examples, and the documented patterns are the
    // parsers' own.
    for (method, path, _) in tamga_http::openapi::EXAMPLES {
        let example =
            &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["example"];
        assert!(example.is_object(), "{method} {path}: no example");
    }
    let mrn = &doc["paths"]["/api/v1/declarations/{mrn}"]["get"]["parameters"][0]["schema"];
    assert_eq!(mrn["pattern"], tamga_core::codes::Mrn::PATTERN);
}

async fn counts_above_their_maximum_are_refused(app: TestApp) {
    let trader = app.trader(0).token.clone();
    let officer = app.user_token("officer");
    let admin = app.user_token("admin");
    for (path, token, name, max) in [
        ("/api/v1/declarations", &trader, "limit", 500u64),
        ("/api/v1/notifications", &trader, "limit", 1000),
        ("/api/v1/workbench/tasks", &officer, "limit", 200),
        ("/api/v1/offices/UZ000100/tasks", &officer, "limit", 200),
        (
            "/api/v1/offices/UZ000100/prearrival",
            &officer,
            "limit",
            500,
        ),
        ("/api/v1/analytics/labels", &admin, "limit", 10_000),
        (
            "/api/v1/traders/UZ000000000101/profile",
            &officer,
            "history",
            1000,
        ),
    ] {
        let (s, _) = app.get(&format!("{path}?{name}={max}"), token).await;
        assert_eq!(s, StatusCode::OK, "{path}?{name}={max}");
        let code = format!("QUERY_{}", name.to_uppercase());
        for bad in [
            (max + 1).to_string(),
            "0".into(),
            (1u64 << 31).to_string(),
            (1u64 << 40).to_string(),
            "1".repeat(40),
        ] {
            let (s, body) = app.get(&format!("{path}?{name}={bad}"), token).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}?{name}={bad}: {body}");
            assert_eq!(body["error"]["code"], code.as_str(), "{path}: {body}");
            assert_eq!(body["error"]["pointer"], format!("/{name}"));
        }
        // Not a number at all: the code of every mistyped query parameter.
        let (s, body) = app.get(&format!("{path}?{name}=ten"), token).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "QUERY_PARAMETERS", "{path}: {body}");
    }
}

async fn a_bad_office_code_has_one_error_code(app: TestApp) {
    let officer = app.user_token("officer");
    for path in [
        "/api/v1/offices/uz00/queue",
        "/api/v1/offices/uz00/tasks",
        "/api/v1/offices/uz00/prearrival",
    ] {
        let (s, body) = app.get(path, &officer).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "OFFICE_FORMAT", "{path}: {body}");
        assert_eq!(body["error"]["pointer"], "/office");
    }
}

async fn refunds_are_an_array_as_documented(app: TestApp) {
    let doc = document(&app).await;
    let schema = &doc["paths"]["/api/v1/account/ledger/refunds"]["get"]["responses"]["200"]
        ["content"]["application/json"]["schema"];
    assert_eq!(schema["type"], "array", "{schema}");
    let item = resolve(&doc, &schema["items"]);
    let trader = app.trader(0).token.clone();
    let (s, _) = app
        .post_json(
            "/api/v1/account/ledger/refunds",
            &trader,
            &serde_json::json!({"amount": "1.00"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, list) = app.get("/api/v1/account/ledger/refunds", &trader).await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().expect("refunds are an array");
    assert_eq!(list.len(), 1);
    // Every property the server sends is documented, and every required
    // one is sent.
    let props = item["properties"].as_object().expect("item properties");
    for k in list[0].as_object().unwrap().keys() {
        assert!(props.contains_key(k), "undocumented refund field {k}");
    }
    for r in item["required"].as_array().into_iter().flatten() {
        assert!(list[0].get(r.as_str().unwrap()).is_some(), "missing {r}");
    }
}
