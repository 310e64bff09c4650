//! Durability: `kill -9` the server in the middle of a lodging run, start it
//! again on the same data, and every declaration that was acknowledged is
//! still there with its state; nothing is registered twice, and re-sending
//! what was in flight registers it at most once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use tamga_app::demo::{demo, demo_signing_key};
use tamga_core::signature;
use tamga_sim::{Generator, GeneratorConfig};

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamga"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("TAMGA_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tamga serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("tamga listening on ") {
                let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server prints its address");
    Server { child, base }
}

#[derive(Clone, Debug)]
struct Ack {
    token: String,
    lrn: String,
    mrn: String,
    state: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_declarations_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let d = demo();
    let reference = tamga_app::reference::shipped().unwrap();
    let mut cfg = GeneratorConfig::demo(8, OffsetDateTime::now_utc().date(), 77);
    cfg.error_share = Some(0.0);
    let mut gen = Generator::new(cfg, &reference)
        .unwrap()
        .with_tariff(&tamga_app::reference::demo_tariff().unwrap());
    // Pre-sign everything so the run is all lodging.
    let bodies: Vec<(String, String, Vec<u8>, String)> = (0..4000)
        .map(|_| {
            let s = gen.next();
            let t = d
                .traders
                .iter()
                .find(|t| t.id == s.trader.as_str())
                .unwrap();
            let sig = signature::sign(&demo_signing_key(&t.id), &s.body);
            (t.token.clone(), s.lrn.to_string(), s.body, sig)
        })
        .collect();
    let bodies = Arc::new(bodies);
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (bodies, acks, next, http, base) = (
            bodies.clone(),
            acks.clone(),
            next.clone(),
            http.clone(),
            server.base.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((token, lrn, body, sig)) = bodies.get(i) else {
                    return;
                };
                let r = http
                    .post(format!("{base}/api/v1/declarations"))
                    .bearer_auth(token)
                    .header("x-tamga-signature", sig)
                    .body(body.clone())
                    .send()
                    .await;
                let Ok(r) = r else { return }; // the server is gone
                if r.status().as_u16() != 201 {
                    continue;
                }
                let Ok(v) = r.json::<Value>().await else {
                    return;
                };
                acks.lock().unwrap().push(Ack {
                    token: token.clone(),
                    lrn: lrn.clone(),
                    mrn: v["mrn"].as_str().unwrap().to_owned(),
                    state: v["state"].as_str().unwrap().to_owned(),
                });
            }
        });
    }
    // Let it run, then pull the plug mid-flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while acks.lock().unwrap().len() < 300 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    while workers.join_next().await.is_some() {}
    let acks = acks.lock().unwrap().clone();
    let attempted = next
        .load(std::sync::atomic::Ordering::SeqCst)
        .min(bodies.len());
    assert!(
        acks.len() >= 300,
        "only {} acknowledged before the kill",
        acks.len()
    );
    assert!(
        attempted < bodies.len(),
        "the kill must come in the middle of the run"
    );

    let mut server = start(dir.path());
    for a in &acks {
        let r = http
            .get(format!("{}/api/v1/declarations/{}", server.base, a.mrn))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged {} lost", a.mrn);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["lrn"], a.lrn.as_str());
        assert_eq!(v["state"], a.state.as_str());
    }
    // Re-send everything that was attempted: acknowledged ones replay with
    // the same MRN; in-flight ones are registered at most once.
    let mut mrns = std::collections::HashMap::new();
    for (token, lrn, body, sig) in bodies.iter().take(attempted) {
        let r = http
            .post(format!("{}/api/v1/declarations", server.base))
            .bearer_auth(token)
            .header("x-tamga-signature", sig)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 200 || status == 201, "re-send got {status}");
        let v: Value = r.json().await.unwrap();
        let mrn = v["mrn"].as_str().unwrap().to_owned();
        assert!(
            mrns.insert(mrn, lrn.clone()).is_none(),
            "two LRNs share an MRN"
        );
    }
    for a in &acks {
        assert_eq!(
            mrns.get(&a.mrn),
            Some(&a.lrn),
            "acknowledged {} answered with another MRN",
            a.mrn
        );
    }
    // Every trader's list has each LRN once.
    let admin = d.users.iter().find(|u| u.username == "admin").unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut before: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/declarations?limit=500", server.base);
        if let Some(b) = &before {
            url.push_str(&format!("&before={b}"));
        }
        let page: Vec<Value> = http
            .get(url)
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        for v in &page {
            let key = (
                v["declarant"].as_str().unwrap().to_owned(),
                v["lrn"].as_str().unwrap().to_owned(),
            );
            assert!(seen.insert(key), "registered twice: {v}");
        }
        before = page
            .last()
            .and_then(|v| v["mrn"].as_str().map(str::to_owned));
    }
    assert_eq!(seen.len(), attempted);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
