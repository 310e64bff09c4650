//! Finding 10 (low): the bank role read more than a deposit needs.
//!
//! The bank may report deposits (`POST /api/v1/bank/deposits`) and ask
//! whom its token belongs to (`GET /api/v1/account`); every other
//! authenticated endpoint answers it 403. The test walks the OpenAPI
//! document, so an endpoint added later is covered without editing it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use tamga_core::codes::Eori;
use tamga_core::ledger::payment_reference;

use crate::common::TestApp;

stories!(
    the_bank_reads_nothing_but_may_deposit,
    every_other_endpoint_refuses_the_bank,
);

/// What the bank may call (method, path as in the OpenAPI document).
const ALLOWED: &[(&str, &str)] = &[
    ("POST", "/api/v1/bank/deposits"),
    ("GET", "/api/v1/account"),
];

/// A concrete path for an OpenAPI path template.
fn concrete(template: &str, mrn: &str, trader: &str) -> String {
    template
        .replace("{mrn}", mrn)
        .replace("{office}", "UZ000100")
        .replace("{id}", trader)
        .replace("{username}", "officer")
}

async fn lodged(app: &TestApp) -> String {
    let doc = app.body(0);
    let (s, v) = app.lodge(0, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["mrn"].as_str().unwrap().to_owned()
}

async fn the_bank_reads_nothing_but_may_deposit(app: TestApp) {
    let bank = app.user_token("bank");
    let mrn = lodged(&app).await;
    let trader = app.trader(0).id.clone();
    // What the outside test read: trader risk profiles (twin) and an
    // office's pre-arrival list. Also declarations, queues, tasks.
    for path in [
        format!("/api/v1/traders/{trader}/profile"),
        "/api/v1/offices/UZ000100/prearrival".to_owned(),
        "/api/v1/declarations".to_owned(),
        format!("/api/v1/declarations/{mrn}"),
        format!("/api/v1/declarations/{mrn}/events"),
        "/api/v1/offices/UZ000100/queue".to_owned(),
        "/api/v1/offices/UZ000100/tasks".to_owned(),
        "/api/v1/risk/profiles".to_owned(),
        "/api/v1/selectivity/criteria".to_owned(),
    ] {
        let (s, v) = app.get(&path, &bank).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        assert_eq!(v["error"]["code"], "FORBIDDEN", "{path}: {v}");
    }
    // Whom the token belongs to.
    let (s, v) = app.get("/api/v1/account", &bank).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "bank");
    // A deposit still works, and is idempotent by the bank's reference.
    let reference = payment_reference(&Eori::parse(&trader).unwrap());
    let body = json!({
        "paymentReference": reference,
        "bankReference": "F10-DEPOSIT-1",
        "amount": "1000.00",
        "currency": "UZS",
    });
    let (s, v) = app.post_json("/api/v1/bank/deposits", &bank, &body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.post_json("/api/v1/bank/deposits", &bank, &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn every_other_endpoint_refuses_the_bank(app: TestApp) {
    let bank = app.user_token("bank");
    let mrn = lodged(&app).await;
    let trader = app.trader(0).id.clone();
    let r = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    let mut checked_gets = 0;
    let mut checked = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            if ALLOWED.contains(&(m.as_str(), template.as_str())) {
                continue;
            }
            let path = concrete(template, &mrn, &trader);
            let method = Method::from_bytes(m.as_bytes()).unwrap();
            let body = (method != Method::GET).then(|| json!({}));
            // Public endpoints (no token needed) are not the bank's concern.
            let anon = app
                .http
                .request(method.clone(), format!("{}{path}", app.base))
                .json(&json!({}))
                .send()
                .await
                .unwrap()
                .status();
            if anon != StatusCode::UNAUTHORIZED {
                continue;
            }
            let (s, v) = app.call(method.clone(), &path, &bank, body.as_ref()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{m} {path}: {v}");
            checked += 1;
            if method == Method::GET {
                checked_gets += 1;
            }
        }
    }
    // The document lists the authenticated endpoints (a guard against the
    // walk silently checking nothing).
    assert!(
        checked_gets >= 20,
        "only {checked_gets} GET endpoints checked"
    );
    assert!(checked >= 40, "only {checked} endpoints checked");
}
