//! The demo set-up shows what the README's tour promises, through the
//! binary: `tamga serve` on a fresh data directory, `tamga example` and
//! `tamga lodge` as the tour runs them, and the API for the rest.
//!
//! - `tamga example --trader N` names (id and name) the trader N of the demo
//!   registry (`tamga demo --json`), for every demo trader;
//! - the poor demo trader's lodging waits in `awaiting_payment`, and a bank
//!   deposit of the amount due releases it;
//! - a red declaration gets an inspection task assigned to the demo
//!   inspector.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn tamga() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tamga"));
    c.env("TAMGA_LOG", "warn,sqlx=warn");
    c
}

/// Runs the binary; panics with stderr on failure; returns stdout.
fn run(args: &[&str], target: Option<&str>) -> Vec<u8> {
    let mut c = tamga();
    if let Some(t) = target {
        c.env("TAMGA_TARGET", t);
    }
    let out = c.args(args).output().expect("run tamga");
    assert!(
        out.status.success(),
        "tamga {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// A `tamga serve` child with the demo set-up on a fresh data directory.
struct Server {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = tamga()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tamga serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("tamga listening on ").nth(1) {
                let url = rest.split_whitespace().next().unwrap_or_default();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(url.to_owned());
                }
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tamga serve did not print its address within 60 s");
    Server { child, url, dir }
}

struct Api {
    base: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Api {
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.rt.block_on(async {
            let mut req = self
                .http
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None)
    }

    /// Polls `path` until `ok` holds (20 s at most).
    fn eventually(&self, path: &str, token: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (s, v) = self.get(path, token);
            if s == 200 && ok(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out on {path}: {s} {v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn the_demo_shows_what_the_tour_promises() {
    let server = serve();
    let api = Api {
        base: server.url.clone(),
        http: reqwest::Client::new(),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let demo = json_of(&run(&["demo", "--json"], None));
    let traders = demo["traders"].as_array().expect("traders").clone();
    assert_eq!(traders.len(), 9, "{demo}");
    let user_token = |name: &str| {
        demo["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .and_then(|u| u["token"].as_str())
            .unwrap_or_else(|| panic!("no demo user {name}"))
            .to_owned()
    };

    // No random spot checks (1.5 % by default): every outcome below is
    // certain.
    let (s, v) = api.call(
        reqwest::Method::PUT,
        "/api/v1/selectivity/random",
        &user_token("officer"),
        Some(&json!({"yellowRate": "0", "redRate": "0", "seed": 3})),
    );
    assert_eq!(s, 200, "{v}");

    // `tamga example --trader N` declares as the registry's trader N, and
    // the registry (the server's operators) knows it by that name.
    for (i, t) in traders.iter().enumerate() {
        let n = (i + 1).to_string();
        let d = json_of(&run(&["example", "--trader", &n], None));
        assert_eq!(d["declarant"]["id"], t["id"], "trader {n}");
        assert_eq!(d["declarant"]["name"], t["name"], "trader {n}");
        let (s, me) = api.get("/api/v1/account", t["token"].as_str().unwrap());
        assert_eq!(s, 200, "{me}");
        assert!(me.to_string().contains(t["id"].as_str().unwrap()), "{me}");
    }

    let file = |name: &str, bytes: &[u8]| {
        let p = server.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };

    // The poor trader (9) waits for its money; a deposit of the amount due
    // releases it.
    let poor = &traders[8];
    let poor_token = poor["token"].as_str().unwrap();
    let decl = file("poor.json", &run(&["example", "--trader", "9"], None));
    let v = json_of(&run(
        &["lodge", "--demo-trader", "9", &decl],
        Some(&server.url),
    ));
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().expect("mrn").to_owned();
    let notes = api.eventually("/api/v1/notifications?after=0", poor_token, |n| {
        n["notifications"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["kind"] == "awaiting_payment"))
    });
    let due = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "awaiting_payment")
        .unwrap()
        .clone();
    let text = due.to_string();
    let field = |name: &str| -> String {
        fn find(v: &Value, name: &str) -> Option<String> {
            match v {
                Value::Object(m) => m
                    .get(name)
                    .and_then(|x| x.as_str().map(str::to_owned))
                    .or_else(|| m.values().find_map(|x| find(x, name))),
                Value::Array(a) => a.iter().find_map(|x| find(x, name)),
                _ => None,
            }
        }
        find(&due, name).unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    let (reference, amount, currency) = (
        field("paymentReference"),
        field("amountDue"),
        field("currency"),
    );
    assert_eq!(currency, "UZS", "{text}");
    let (s, v) = api.call(
        reqwest::Method::POST,
        "/api/v1/bank/deposits",
        &user_token("bank"),
        Some(
            &json!({"paymentReference": reference, "bankReference": "BANK-0001",
                     "amount": amount, "currency": currency}),
        ),
    );
    assert!(s == 200 || s == 201, "{s} {v}");
    api.eventually(&format!("/api/v1/declarations/{mrn}"), poor_token, |d| {
        d["state"] == "released"
    });

    // Tobacco made red: trader 2's cigarettes go under control and their
    // inspection task to the demo inspector.
    let officer = user_token("officer");
    let (s, v) = api.call(
        reqwest::Method::PUT,
        "/api/v1/selectivity/criteria/TOBACCO",
        &officer,
        Some(&json!({"description": "HS chapter 24 from any origin", "hsPrefix": "24", "channel": "red"})),
    );
    assert_eq!(s, 200, "{v}");
    let decl = file(
        "cigarettes.json",
        &run(&["example", "--trader", "2", "--hs", "240220"], None),
    );
    let v = json_of(&run(
        &["lodge", "--demo-trader", "2", &decl],
        Some(&server.url),
    ));
    assert_eq!(v["state"], "under_control", "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let task = api.eventually(&format!("/api/v1/workbench/tasks/{mrn}"), &officer, |t| {
        !t["inspector"].is_null()
    });
    assert_eq!(task["inspector"], "officer", "{task}");
    let (s, list) = api.get("/api/v1/workbench/tasks", &officer);
    assert_eq!(s, 200, "{list}");
    assert!(list.to_string().contains(&mrn), "{list}");
}
