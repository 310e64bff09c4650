//! Finding 5 (medium): webhooks reached internal addresses and were unsigned.
//!
//! Internal destinations are refused when set (400 `WEBHOOK_URL_FORBIDDEN`
//! at `/url`) and again at delivery, after DNS resolution; redirects are
//! not followed; every delivery is signed with the secret the PUT returned
//! (HMAC-SHA256 of `timestamp + "." + body`), a new secret each time the
//! webhook is set.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_core::codes::Eori;

use crate::common::{webhook_verify_signature, TestApp};

stories!(
    internal_destinations_are_refused_when_set,
    a_name_that_resolves_to_loopback_is_refused_at_delivery,
);

webhook_loopback_stories!(
    redirects_are_not_followed,
    deliveries_are_signed_with_a_secret_rotated_on_each_set,
);

const HOOK: &str = "/api/v1/account/webhook";

/// A receiver on loopback: `/hook` answers `hook_status` (with a
/// `Location` to `/target` for redirects) and reports each delivery;
/// `/target` counts the requests that reach it.
struct Receiver {
    base: String,
    deliveries: tokio::sync::mpsc::UnboundedReceiver<(HeaderMap, Vec<u8>)>,
    target_hits: Arc<AtomicUsize>,
}

async fn receiver(hook_status: AxumStatus) -> Receiver {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let target_hits = Arc::new(AtomicUsize::new(0));
    let hits = target_hits.clone();
    let router = axum::Router::new()
        .route(
            "/hook",
            post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((headers, body.to_vec()));
                    (hook_status, [(axum::http::header::LOCATION, "/target")])
                }
            }),
        )
        .route(
            "/target",
            post(move || {
                let hits = hits.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    AxumStatus::OK
                }
            })
            .get(|| async { AxumStatus::OK }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver {
        base,
        deliveries: rx,
        target_hits,
    }
}

async fn next_delivery(r: &mut Receiver) -> (HeaderMap, Vec<u8>) {
    tokio::time::timeout(Duration::from_secs(15), r.deliveries.recv())
        .await
        .expect("a delivery within 15 s")
        .unwrap()
}

async fn internal_destinations_are_refused_when_set(app: TestApp) {
    let t = app.trader(0);
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://app.localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://172.16.0.1/hook",
        "http://192.168.0.10/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:a9fe:a9fe]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://2130706433/hook",
    ] {
        let (s, v) = app.put_json(HOOK, &t.token, &json!({ "url": url })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {v}");
        assert_eq!(v["error"]["code"], "WEBHOOK_URL_FORBIDDEN", "{url}: {v}");
        assert_eq!(v["error"]["pointer"], "/url", "{url}: {v}");
    }
    assert!(
        app.store.webhooks().await.unwrap().is_empty(),
        "nothing was stored"
    );
}

async fn a_name_that_resolves_to_loopback_is_refused_at_delivery(app: TestApp) {
    // A webhook stored before the check (or whose name was re-pointed to an
    // internal address since): `localhost` resolves to loopback offline.
    let mut r = receiver(AxumStatus::OK).await;
    let port = r.base.rsplit(':').next().unwrap().to_owned();
    let op = Eori::parse(&app.trader(1).id).unwrap();
    app.store
        .set_signed_webhook(&op, &format!("http://localhost:{port}/hook"), "whsec_test")
        .await
        .unwrap();
    // Wake the dispatcher (any webhook change does), then give it work.
    let (s, v) = app
        .put_json(HOOK, &app.trader(2).token, &json!({ "url": null }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let (s, v) = app.lodge(1, &app.body(1)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let pushed = tokio::time::timeout(Duration::from_secs(4), r.deliveries.recv()).await;
    assert!(
        pushed.is_err(),
        "a delivery reached a loopback receiver through a name"
    );
}

async fn redirects_are_not_followed(app: TestApp) {
    let mut r = receiver(AxumStatus::TEMPORARY_REDIRECT).await;
    let (s, set) = app
        .put_json(
            HOOK,
            &app.trader(3).token,
            &json!({ "url": format!("{}/hook", r.base) }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let (s, v) = app.lodge(3, &app.body(3)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The redirect answer counts as a failed attempt: retried, never followed.
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(15), r.deliveries.recv())
            .await
            .expect("a delivery attempt within 15 s")
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        r.target_hits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

async fn deliveries_are_signed_with_a_secret_rotated_on_each_set(app: TestApp) {
    let mut r = receiver(AxumStatus::OK).await;
    let url = format!("{}/hook", r.base);
    let t = app.trader(4);
    let (s, first) = app.put_json(HOOK, &t.token, &json!({ "url": url })).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let old_secret = first["secret"].as_str().unwrap().to_owned();
    let (s, v) = app.lodge(4, &app.body(4)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (headers, body) = next_delivery(&mut r).await;
    webhook_verify_signature(&old_secret, &headers, &body).unwrap();
    let sig = headers["x-tamga-webhook-signature"].to_str().unwrap();
    assert!(sig.starts_with("v1=") && sig.len() == 3 + 64, "{sig}");
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(!doc["notifications"].as_array().unwrap().is_empty());
    // A tampered body or another timestamp does not verify.
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert!(webhook_verify_signature(&old_secret, &headers, &tampered).is_err());
    let mut shifted = headers.clone();
    let ts: i64 = headers["x-tamga-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    shifted.insert("x-tamga-timestamp", (ts - 1).to_string().parse().unwrap());
    assert!(webhook_verify_signature(&old_secret, &shifted, &body).is_err());

    // Setting the webhook again rotates the secret; deliveries use the new one.
    let (s, second) = app.put_json(HOOK, &t.token, &json!({ "url": url })).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    let new_secret = second["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    while tokio::time::timeout(Duration::from_millis(300), r.deliveries.recv())
        .await
        .is_ok()
    {}
    let (s, v) = app.lodge(4, &app.body(4)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (headers, body) = next_delivery(&mut r).await;
    webhook_verify_signature(&new_secret, &headers, &body).unwrap();
    assert!(webhook_verify_signature(&old_secret, &headers, &body).is_err());
}
