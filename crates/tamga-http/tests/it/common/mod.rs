//! Shared by the API story tests: the real server on port 0 over a fresh
//! database ([`spawn_app`]), request helpers, and the `stories!` macro
//! that runs each story on SQLite and, when `TAMGA_TEST_PG_URL` is set, on
//! PostgreSQL.
#![allow(dead_code, unused_imports)]

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::demo::{demo, demo_officer_key, demo_signing_key, Demo, DemoOperator};
use tamga_app::{Clearance, Settings};
use tamga_core::codes::OfficeCode;
use tamga_core::lifecycle::{replay, verify_chain, Event};
use tamga_core::signature;
use tamga_sim::{demo_traders, Generator, GeneratorConfig};
use tamga_store::testing::TestDb;
use tamga_store::{Principal, Role, Store, User};

/// The demo tariff (as a fresh server uses it), prepared once per test binary.
static DEMO_TARIFF: std::sync::OnceLock<tamga_core::tariff::Tariff> = std::sync::OnceLock::new();

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub demo: Demo,
    pub store: Arc<dyn Store>,
    pub seed: std::cell::Cell<u64>,
    /// The server's risk service (to run its scheduled work now).
    pub risk: std::sync::Arc<tamga_app::risk_admin::RiskAdmin>,
    _db: TestDb,
}

pub async fn spawn_app(db: TestDb) -> TestApp {
    // The goods check's time budget is for a served instance; a debug
    // build on a shared CI machine is slower by far, and a story's
    // assertions on every item must not depend on the machine's load.
    // Likewise the value check's; and a story reads the reference prices
    // as the database has them at once, not a summary kept for a minute.
    let settings = Settings {
        goods_check: tamga_app::goods::GoodsCheckSettings {
            budget: Duration::from_secs(120),
            ..Default::default()
        },
        value_control: tamga_app::values::ValueControlSettings {
            budget: Duration::from_secs(120),
            cache_ttl: Duration::ZERO,
            ..Default::default()
        },
        ..Settings::default()
    };
    spawn_app_with(db, settings, tamga_http::Limits::default()).await
}

/// [`spawn_app`] with the service's settings (e.g. the test-only switch
/// that lets webhooks reach a loopback receiver) and the server's
/// connection and request limits given.
pub async fn spawn_app_with(db: TestDb, settings: Settings, limits: tamga_http::Limits) -> TestApp {
    let store = tamga_store::open(&db.url).await.expect("open store");
    tamga_app::bootstrap(&store, true).await.expect("bootstrap");
    // No random selection unless a story sets it: the draw is keyed by a
    // secret made fresh for each database, so the default rates (1.5 %)
    // would send a story's "green" declaration to control now and then.
    store
        .set_random_selection(&tamga_core::risk::RandomSelection {
            yellow_rate: rust_decimal::Decimal::ZERO,
            red_rate: rust_decimal::Decimal::ZERO,
            ..Default::default()
        })
        .await
        .expect("no random selection");
    // The risk model's scheduled work runs when a story says so
    // (`TestApp::risk`), never on a timer in the middle of one. The HS
    // assistant is built when a story first asks for it (`hs_ready`), so
    // the others do not pay for it.
    let settings = Settings {
        scheduled_model_jobs: false,
        hs_build_at_start: false,
        ..settings
    };
    let clearance = Clearance::start(store.clone(), settings)
        .await
        .expect("start");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = tamga_http::state(clearance).await.expect("state");
    let risk = state.risk.clone();
    tokio::spawn(tamga_http::serve_with(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        demo: demo(),
        store,
        seed: std::cell::Cell::new(1),
        risk,
        _db: db,
    }
}

/// A customs user who signs officer acts: its token and signing key.
pub struct Officer {
    pub name: String,
    pub token: String,
    pub key: ed25519_dalek::SigningKey,
}

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::spawn_app(tamga_store::testing::TestDb::sqlite().await).await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
            async fn $name() {
                let db = tamga_store::testing::TestDb::postgres_variant().await;
                super::$name($crate::common::spawn_app(db).await).await;
            })*
        }
    };
}

impl TestApp {
    /// The URL of the test's database.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    /// Another instance of the server on the same database (as a
    /// deployment with several instances runs); its base URL.
    pub async fn another_instance(&self) -> String {
        let store = tamga_store::open(&self._db.url).await.expect("open store");
        let settings = Settings {
            scheduled_model_jobs: false,
            hs_build_at_start: false,
            ..Settings::default()
        };
        let clearance = Clearance::start(store, settings).await.expect("start");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = tamga_http::state(clearance).await.expect("state");
        tokio::spawn(tamga_http::serve(listener, state, std::future::pending()));
        format!("http://{addr}")
    }

    pub fn trader(&self, i: usize) -> &DemoOperator {
        &self.demo.traders[i]
    }

    pub fn user_token(&self, name: &str) -> String {
        self.demo
            .users
            .iter()
            .find(|u| u.username == name)
            .unwrap()
            .token
            .clone()
    }

    /// A demo officer or administrator, with its demo signing key.
    pub fn officer(&self, name: &str) -> Officer {
        Officer {
            name: name.to_owned(),
            token: self.user_token(name),
            key: demo_officer_key(name),
        }
    }

    /// An officer act: POSTs `body` signed with the officer's key.
    pub async fn act(&self, who: &Officer, path: &str, body: &Value) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send_signed(path, &who.token, Some(&who.key), &bytes)
            .await
    }

    /// The demo officer records a compliant control result on `version`
    /// of a declaration under control (so that, for one, its declarant
    /// may invalidate it: not before its control has taken place).
    pub async fn control_compliant(&self, mrn: &str, version: u32) {
        let (s, v) = self
            .act(
                &self.officer("officer"),
                &format!("/api/v1/declarations/{mrn}/control-result"),
                &json!({"mrn": mrn, "act": "control_result", "version": version, "outcome": "compliant"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Adds an officer of `office` with a token and a signing key the
    /// administrator registers for it through the API (a token alone does
    /// not register a first key).
    pub async fn add_officer(&self, name: &str, office: &str) -> Officer {
        self.store
            .create_user(&User::staff(
                name,
                name,
                Role::Officer,
                vec![OfficeCode::parse(office).unwrap()],
                OffsetDateTime::now_utc(),
            ))
            .await
            .unwrap();
        let token = format!("test-{name}-token");
        self.store
            .add_token(
                &tamga_app::clearance::sha256_hex(token.as_bytes()),
                &Principal::User {
                    username: name.into(),
                },
                "test",
            )
            .await
            .unwrap();
        let key = signature::signing_key_from_seed(
            tamga_app::clearance::sha256_hex(name.as_bytes()).as_bytes()[..32]
                .try_into()
                .unwrap(),
        );
        let (s, v) = self
            .post_json(
                &format!("/api/v1/admin/users/{name}/signing-keys"),
                &self.user_token("admin"),
                &json!({"publicKey": signature::public_key_b64(&key.verifying_key())}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        Officer {
            name: name.to_owned(),
            token,
            key,
        }
    }

    /// A holder's own key registration: `{"act": "add_signing_key",
    /// "owner", "publicKey"}` signed with `signer` (one of its keys, or
    /// another's in the attacks), sent with `token`.
    pub async fn add_own_key(
        &self,
        token: &str,
        signer: &ed25519_dalek::SigningKey,
        owner: &str,
        public_key: &str,
    ) -> (StatusCode, Value) {
        let body = key_request(owner, public_key);
        self.send_signed("/api/v1/account/signing-keys", token, Some(signer), &body)
            .await
    }

    /// A valid declaration body for demo trader `i` (0-based).
    pub fn body(&self, i: usize) -> Value {
        let seed = self.seed.get();
        self.seed.set(seed + 1);
        let mut cfg =
            GeneratorConfig::demo(8, OffsetDateTime::now_utc().date(), seed * 1000 + i as u64);
        cfg.traders = vec![demo_traders(8)[i].clone()];
        cfg.error_share = Some(0.0);
        cfg.frauds = false;
        let reference = tamga_app::reference::shipped().unwrap();
        let tariff = DEMO_TARIFF.get_or_init(|| tamga_app::reference::demo_tariff().unwrap());
        let s = Generator::new(cfg, &reference)
            .unwrap()
            .with_tariff(tariff)
            .next();
        serde_json::from_slice(&s.body).unwrap()
    }

    pub async fn send_signed(
        &self,
        path: &str,
        token: &str,
        key: Option<&ed25519_dalek::SigningKey>,
        body: &[u8],
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(k) = key {
            req = req.header("x-tamga-signature", signature::sign(k, body));
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Lodges `doc` as demo trader `i`, signed with its key.
    pub async fn lodge(&self, i: usize, doc: &Value) -> (StatusCode, Value) {
        let t = self.trader(i);
        let body = serde_json::to_vec(doc).unwrap();
        self.send_signed(
            "/api/v1/declarations",
            &t.token,
            Some(&demo_signing_key(&t.id)),
            &body,
        )
        .await
    }

    /// Sends a request with a bearer token and an optional JSON body;
    /// returns the status and the JSON answer (`null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::PUT, path, token, Some(body))
            .await
    }

    pub async fn notifications(&self, i: usize) -> Vec<Value> {
        let (s, v) = self
            .get(
                "/api/v1/notifications?after=0&limit=1000",
                &self.trader(i).token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["notifications"].as_array().unwrap().clone()
    }

    pub async fn events(&self, mrn: &str, token: &str) -> Vec<Event> {
        let (s, v) = self
            .get(&format!("/api/v1/declarations/{mrn}/events"), token)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v.as_array()
            .expect("a list of events")
            .iter()
            .map(|e| tamga_core::event_view::from_api_view(e).unwrap())
            .collect()
    }

    pub async fn count(&self) -> u64 {
        self.store.count_declarations().await.unwrap()
    }
}

/// The body of a holder's key registration.
pub fn key_request(owner: &str, public_key: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"act": "add_signing_key", "owner": owner, "publicKey": public_key}))
        .unwrap()
}

pub fn codes(v: &Value) -> Vec<String> {
    v["error"]["violations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

// --- webhooks (issue 13, finding 5) ------------------------------------------

/// A server whose webhooks may reach loopback (the test-only switch).
pub async fn webhook_spawn_loopback_app(db: TestDb) -> TestApp {
    spawn_app_with(
        db,
        Settings {
            webhook_allow_loopback: true,
            ..Settings::default()
        },
        tamga_http::Limits::default(),
    )
    .await
}

/// Like `stories!`, on a server whose webhooks may reach a loopback
/// receiver (modules `webhook_sqlite`, `webhook_postgres`).
#[allow(unused_macros)]
macro_rules! webhook_loopback_stories {
    ($($name:ident),* $(,)?) => {
        mod webhook_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::common::webhook_spawn_loopback_app(tamga_store::testing::TestDb::sqlite().await).await).await;
            })*
        }
        mod webhook_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
            async fn $name() {
                let db = tamga_store::testing::TestDb::postgres_variant().await;
                super::$name($crate::common::webhook_spawn_loopback_app(db).await).await;
            })*
        }
    };
}

/// Checks a webhook delivery's signature as a receiver would:
/// `X-Tamga-Webhook-Signature: v1=<hex>` is the HMAC-SHA256 under the
/// secret of `X-Tamga-Timestamp + "." + raw body`, and the timestamp is
/// within 5 minutes of now. Computed here with `ring` directly, not with
/// the server's code.
pub fn webhook_verify_signature(
    secret: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let ts = headers
        .get("x-tamga-timestamp")
        .and_then(|v| v.to_str().ok())
        .ok_or("no X-Tamga-Timestamp")?;
    let ts_num: i64 = ts.parse().map_err(|_| format!("timestamp {ts:?}"))?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if (now - ts_num).abs() > 300 {
        return Err(format!("timestamp {ts} outside the 5-minute window"));
    }
    let sig = headers
        .get("x-tamga-webhook-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or("no X-Tamga-Webhook-Signature")?;
    let hex_sig = sig.strip_prefix("v1=").ok_or("no v1= scheme")?;
    let mac = hex::decode(hex_sig).map_err(|_| "signature is not hex")?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = Vec::with_capacity(ts.len() + 1 + body.len());
    signed.extend_from_slice(ts.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    ring::hmac::verify(&key, &signed, &mac).map_err(|_| "signature does not verify".to_owned())
}

/// A signed amendment's body: the declaration it amends (`mrn`) and the
/// whole declaration again.
/// Lodges `doc` as a trader made by [`lifecycle_unfunded_trader`] (its
/// token and key): the status and the answer.
pub async fn lifecycle_lodge(
    app: &TestApp,
    token: &str,
    key: &ed25519_dalek::SigningKey,
    doc: &Value,
) -> (StatusCode, Value) {
    app.send_signed(
        "/api/v1/declarations",
        token,
        Some(key),
        &serde_json::to_vec(doc).unwrap(),
    )
    .await
}

/// The `risk_assessed` events of a declaration's record, as JSON (the
/// lodging's first, then one per amendment).
pub fn risk_assessments(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.body.kind() == "risk_assessed")
        .map(|e| serde_json::to_value(&e.body).unwrap())
        .collect()
}

pub fn lifecycle_amendment(mrn: &str, doc: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"mrn": mrn, "declaration": doc})).unwrap()
}

/// A signed invalidation's body naming the declaration.
pub fn lifecycle_invalidation(mrn: &str, reason: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"mrn": mrn, "reason": reason})).unwrap()
}

/// A new trader with an empty account (so its declarations wait for
/// payment): its id, token and signing key; `n` makes them unique.
pub async fn lifecycle_unfunded_trader(
    app: &TestApp,
    n: u8,
) -> (String, String, ed25519_dalek::SigningKey) {
    let id = format!("UZ00000000077{n}");
    let token = format!("test-token-lifecycle-trader-{n}");
    let key = signature::signing_key_from_seed([70 + n; 32]);
    let now = OffsetDateTime::now_utc();
    let eori = tamga_core::codes::Eori::parse(&id).unwrap();
    app.store
        .create_operator(&tamga_store::Operator {
            id: eori.clone(),
            name: format!("Lifecycle Importer {n}"),
            created_at: now,
        })
        .await
        .unwrap();
    app.store
        .add_token(
            &tamga_app::clearance::sha256_hex(token.as_bytes()),
            &Principal::Operator { id: eori.clone() },
            "test",
        )
        .await
        .unwrap();
    let public_key = signature::public_key_b64(&key.verifying_key());
    app.store
        .add_signing_key(&tamga_store::SigningKeyRecord {
            key_id: tamga_app::clearance::key_id_of(&public_key),
            operator: eori,
            public_key,
            created_at: now,
            revoked: false,
        })
        .await
        .unwrap();
    (id, token, key)
}

/// Demo trader 0's declaration with `id` as declarant and importer.
pub fn lifecycle_body_of(app: &TestApp, id: &str) -> Value {
    let mut doc = app.body(0);
    doc["declarant"]["id"] = json!(id);
    doc["importer"]["id"] = json!(id);
    doc
}

/// `doc` with its first item turned into cigarettes (HS chapter 24).
pub fn lifecycle_cigarettes(doc: &Value) -> Value {
    let mut doc = doc.clone();
    doc["items"][0]["hsCode"] = json!("2402200000");
    doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
    // The tariff charges cigarettes per 1,000 pieces: declared in MIL.
    doc["items"][0]["supplementaryUnits"] = json!("40");
    doc
}

/// No random selection, and the officers' criterion that sends HS chapter
/// 24 red.
pub async fn lifecycle_selectivity(app: &TestApp) {
    let officer = app.user_token("officer");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &officer,
            &json!({ "yellowRate": "0", "redRate": "0", "seed": 3 }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &officer,
            &json!({"description": "HS chapter 24 from any origin", "hsPrefix": "24", "channel": "red"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Polls `path` until `ok` holds (10 s at most).
pub async fn lifecycle_eventually(
    app: &TestApp,
    path: &str,
    token: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (s, v) = app.get(path, token).await;
        if s == StatusCode::OK && ok(&v) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting on {path}: {s} {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the server's HS classification assistant answers (its
/// first request starts the build: a few seconds, once per test process,
/// as the model is shared; longer in a debug build on a busy machine).
pub async fn hs_ready(app: &TestApp) {
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let r = app
            .http
            .get(format!("{}/api/v1/hs/suggestions?q=tea", app.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        if status == StatusCode::OK {
            return;
        }
        let v: Value = r.json().await.unwrap_or_default();
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE && v["error"]["code"] == "HS_NOT_READY",
            "the HS assistant: {status} {v}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the HS assistant was not built in 600 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Transport tests (finding 4): the real server on port 0 over a fresh
/// SQLite database, served with the connection and request `limits`.
pub async fn transport_spawn_app(limits: tamga_http::Limits) -> TestApp {
    spawn_app_with(TestDb::sqlite().await, Settings::default(), limits).await
}

pub mod model;
