//! Issue 14 (items 4, 7, 8) through the real server on port 0, on SQLite
//! and, when `TAMGA_TEST_PG_URL` is set, on PostgreSQL:
//!
//! - the role comes before the body: for every endpoint of
//!   `tamga_http::access::RULES` (which a unit test checks against the
//!   OpenAPI document), a caller without the role gets 403 even with a
//!   malformed body, path and query, and no token gets 401;
//! - a server error is opaque: code and request id in the body, the cause
//!   in the log under the same request id;
//! - every answer carries a fresh request id, and the request log names the
//!   matched route, status and latency.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use tamga_http::access::{Access, REFUSAL, RULES};
use tamga_store::testing::TestDb;
use tamga_store::Role;

use common::{spawn_app, TestApp};

stories!(role_before_body, request_ids_are_fresh_and_logged);

/// Everything the service logged in this test binary.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log lines that mention `needle`.
fn logged(needle: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&log().lock().unwrap()).into_owned();
    text.lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// The kinds of caller, with the demo token of each.
fn callers(app: &TestApp) -> Vec<(&'static str, Option<Role>, String)> {
    vec![
        ("operator", None, app.trader(0).token.clone()),
        ("officer", Some(Role::Officer), app.user_token("officer")),
        (
            "analyst",
            Some(Role::RiskAnalyst),
            app.user_token("analyst"),
        ),
        ("admin", Some(Role::Admin), app.user_token("admin")),
        ("bank", Some(Role::Bank), app.user_token("bank")),
    ]
}

/// Whether a kind of caller passes the access layer on `rule`.
fn allowed(rule: &tamga_http::access::Rule, role: Option<Role>) -> bool {
    let bank_scoped = role != Some(Role::Bank)
        || tamga_http::auth::BANK_ENDPOINTS
            .iter()
            .any(|(m, p)| *m == rule.method && *p == rule.path);
    let by_rule = match (rule.access, role) {
        (Access::Public | Access::Authenticated, _) => true,
        (Access::Only { operator, .. }, None) => operator,
        (Access::Only { roles, .. }, Some(r)) => roles.contains(&r),
    };
    bank_scoped && by_rule
}

/// `rule`'s route with every parameter filled in, and a query string no
/// endpoint accepts.
fn target(app: &TestApp, path: &str) -> String {
    let mut out = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(if seg.starts_with('{') { "%FF" } else { seg });
    }
    format!("{}{out}?limit=lots&from=yesterday&after=x", app.base)
}

async fn send(app: &TestApp, method: &str, url: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
        .header("content-type", "application/json")
        .body("{\"malformed\": [1, ");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn role_before_body(app: TestApp) {
    let callers = callers(&app);
    let mut refused = 0;
    for rule in RULES.iter().filter(|r| r.access != Access::Public) {
        let url = target(&app, rule.path);
        let what = format!("{} {}", rule.method, rule.path);
        // No token, and a token the service never issued: 401.
        for token in [None, Some("not-a-token")] {
            let (s, v) = send(&app, rule.method, &url, token).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{what} {token:?}: {v}");
            assert_eq!(v["error"]["code"], "UNAUTHORIZED", "{what}: {v}");
        }
        let mut someone_refused = false;
        for (name, role, token) in &callers {
            let (s, v) = send(&app, rule.method, &url, Some(token)).await;
            if allowed(rule, *role) {
                // A page lets the role through and then wants a browser
                // session: a token alone opens no page.
                if !rule.path.starts_with("/api/") && s == StatusCode::UNAUTHORIZED {
                    continue;
                }
                // Past the access layer: the handler reads the request.
                let message = v["error"]["message"].as_str().unwrap_or_default();
                assert!(
                    s != StatusCode::UNAUTHORIZED && !message.starts_with(REFUSAL),
                    "{what} as {name}: {s} {v}"
                );
                continue;
            }
            // Refused on the role alone: nothing about the path, query or
            // body it did not read.
            assert_eq!(s, StatusCode::FORBIDDEN, "{what} as {name}: {v}");
            assert_eq!(v["error"]["code"], "FORBIDDEN", "{what} as {name}: {v}");
            assert!(v["error"].get("pointer").is_none(), "{what}: {v}");
            let message = v["error"]["message"].as_str().unwrap();
            for parser in ["JSON", "query", "path", "UTF-8", "MRN"] {
                assert!(!message.contains(parser), "{what} as {name}: {message}");
            }
            someone_refused = true;
            refused += 1;
        }
        if matches!(rule.access, Access::Only { .. }) {
            assert!(someone_refused, "{what}: a role rule that refuses no one");
        }
    }
    // Every restricted endpoint was tried (the table is the router's, see
    // `access::tests`).
    assert!(refused >= 100, "{refused}");
    // A method an endpoint does not have is still 405, not a missing rule.
    let (s, v) = send(&app, "DELETE", &target(&app, "/api/v1/account"), None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{v}");
    assert_eq!(v["error"]["code"], "METHOD_NOT_ALLOWED", "{v}");
}

async fn request_ids_are_fresh_and_logged(app: TestApp) {
    log();
    let trader = app.trader(0).token.clone();
    let get = |sent: Option<&'static str>| {
        let mut r = app
            .http
            .get(format!("{}/api/v1/account", app.base))
            .bearer_auth(&trader);
        if let Some(id) = sent {
            r = r.header("x-request-id", id);
        }
        r.send()
    };
    let a = get(None).await.unwrap();
    assert_eq!(a.status(), StatusCode::OK);
    let b = get(Some("client-chosen-id")).await.unwrap();
    let id = |r: &reqwest::Response| {
        r.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .unwrap()
    };
    let (ia, ib) = (id(&a), id(&b));
    assert_ne!(ia, ib);
    // The request log: one INFO line, in the span of the matched route,
    // with the request id, status and latency.
    let lines = logged(&ia.to_string());
    let line = lines
        .iter()
        .find(|l| l.contains("answered"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    for part in [
        "INFO",
        "route=/api/v1/account",
        "method=GET",
        "status=200",
        "latency_us=",
    ] {
        assert!(line.contains(part), "{part}: {line}");
    }
    // Routes with parameters are logged by their pattern, not the values.
    let (s, _) = app
        .get("/api/v1/declarations/NOT-AN-MRN/events", &trader)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let lines = logged("route=/api/v1/declarations/{mrn}/events");
    assert!(lines.iter().any(|l| l.contains("status=400")), "{lines:?}");
    assert!(logged("NOT-AN-MRN").is_empty());
}

/// Drops a table the mandates endpoint reads, under the running server.
async fn break_mandates(url: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query("DROP TABLE mandates CASCADE")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(url);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::query("DROP TABLE mandates")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

async fn server_errors_are_opaque(db: TestDb) {
    log();
    let url = db.url.clone();
    let app = spawn_app(db).await;
    let trader = app.trader(0).token.clone();
    let (s, v) = app.get("/api/v1/account/mandates", &trader).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    break_mandates(&url).await;

    let r = app
        .http
        .get(format!("{}/api/v1/account/mandates", app.base))
        .bearer_auth(&trader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let header_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let text = r.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    // The stable code and the request id; no word of the cause.
    assert_eq!(v["error"]["code"], "STORAGE_ERROR", "{v}");
    assert_eq!(v["error"]["requestId"], header_id.as_str(), "{v}");
    let keys: Vec<&str> = v["error"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["code", "message", "requestId"], "{v}");
    for leak in ["mandates", "table", "relation", "sql", "SQL", "database"] {
        assert!(!text.contains(leak), "{leak}: {text}");
    }
    // The cause is in the log, under the same request id.
    let lines = logged(&header_id);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ERROR") && l.contains("mandates")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("answered") && l.contains("status=500")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_opaque_sqlite() {
    server_errors_are_opaque(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_opaque_postgres() {
    match TestDb::postgres().await {
        Some(db) => server_errors_are_opaque(db).await,
        None => eprintln!("TAMGA_TEST_PG_URL not set: PostgreSQL variant not run"),
    }
}
