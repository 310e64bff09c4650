//! `tamga simulate`: realistic open-loop traffic against a running server.
//!
//! Declarations come from the synth [`Generator`] over the demo traders and
//! are signed with their demo keys. Sends are scheduled at fixed times
//! (`start + i / rate`), each in its own task, so slow answers do not lower
//! the rate; beyond `--max-in-flight` outstanding requests a send is dropped
//! and counted.
//!
//! A small webhook receiver is registered for every simulated trader; the
//! release latency of a green declaration is the time from sending it to
//! receiving its `released` push notification (matched by recipient + LRN).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use tamga_http::routes::{KEY_ID_HEADER, SIGNATURE_HEADER};
use tamga_sim::{Generator, GeneratorConfig};

use crate::bench::{
    demo_keys, histogram, max_ms, quantile_ms, record, reference_bundle, round3, today, TraderKeys,
};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "TAMGA_TARGET")]
    target: String,
    /// Declarations per second.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Number of demo traders to lodge as (1 to 8).
    #[arg(long, default_value_t = 8)]
    traders: usize,
    /// Share of erroneous declarations (0 to 1); default: the traders'
    /// profiles (about 5 %).
    #[arg(long)]
    error_share: Option<f64>,
    /// Generator seed (default: random, so runs do not repeat LRNs).
    #[arg(long)]
    seed: Option<u64>,
    /// Address the webhook receiver listens on; the server must reach it.
    #[arg(long, default_value = "127.0.0.1:0")]
    webhook_listen: SocketAddr,
    /// Most outstanding requests; sends beyond are dropped and counted.
    #[arg(long, default_value_t = 2000)]
    max_in_flight: usize,
    /// Seconds to wait for outstanding release notifications at the end.
    #[arg(long, default_value_t = 5.0)]
    drain: f64,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl Args {
    fn validate(&self) -> Result<(), String> {
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err(format!(
                "--rate must be a number of declarations per second > 0 (got {})",
                self.rate
            ));
        }
        if !(self.duration.is_finite() && self.duration > 0.0) {
            return Err(format!(
                "--duration must be a number of seconds > 0 (got {})",
                self.duration
            ));
        }
        let max = tamga_app::demo::DEMO_TRADER_NAMES.len();
        if !(1..=max).contains(&self.traders) {
            return Err(format!(
                "--traders must be between 1 and {max} (got {})",
                self.traders
            ));
        }
        if let Some(e) = self.error_share {
            if !(0.0..=1.0).contains(&e) {
                return Err(format!("--error-share must be between 0 and 1 (got {e})"));
            }
        }
        if self.max_in_flight == 0 {
            return Err("--max-in-flight must be at least 1".into());
        }
        if !(self.drain.is_finite() && self.drain >= 0.0) {
            return Err(format!(
                "--drain must be a number of seconds >= 0 (got {})",
                self.drain
            ));
        }
        if !(self.target.starts_with("http://") || self.target.starts_with("https://")) {
            return Err(format!(
                "--target must be an http:// URL (got {:?})",
                self.target
            ));
        }
        Ok(())
    }
}

/// One lodged declaration, keyed by (declarant, LRN).
struct Sent {
    at: Instant,
    /// Accepted and released at lodging (green).
    green: bool,
    /// When its `released` notification arrived.
    notified: Option<Instant>,
}

#[derive(Default)]
struct Tally {
    sent: u64,
    accepted: u64,
    replays: u64,
    rejected: u64,
    conflicts: u64,
    other_4xx: u64,
    server_errors: u64,
    transport_errors: u64,
    released: u64,
    under_control: u64,
    other_state: u64,
    expected_valid_rejected: u64,
    expected_erroneous_accepted: u64,
    by_status: BTreeMap<u16, u64>,
    samples: Vec<String>,
}

impl Tally {
    fn sample(&mut self, s: String) {
        if self.samples.len() < 10 {
            self.samples.push(s);
        }
    }
}

struct Shared {
    sent: Mutex<HashMap<(String, String), Sent>>,
    tally: Mutex<Tally>,
    lodge_latency: Mutex<hdrhistogram::Histogram<u64>>,
    notifications: AtomicU64,
    released_notifications: AtomicU64,
    unmatched_released: AtomicU64,
    in_flight: AtomicUsize,
}

pub async fn run(a: Args) -> Result<(), String> {
    a.validate()?;
    let target = a.target.trim_end_matches('/').to_owned();
    let seed = a.seed.unwrap_or_else(rand::random);
    let traders: Vec<TraderKeys> = demo_keys()?.into_iter().take(a.traders).collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;

    // The server must be up.
    match client.get(format!("{target}/healthz")).send().await {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => return Err(format!("{target}/healthz answered HTTP {}", r.status())),
        Err(e) => {
            return Err(format!(
                "cannot reach {target}: {e} (is `tamga serve` running?)"
            ))
        }
    }

    let shared = Arc::new(Shared {
        sent: Mutex::new(HashMap::new()),
        tally: Mutex::new(Tally::default()),
        lodge_latency: Mutex::new(histogram()),
        notifications: AtomicU64::new(0),
        released_notifications: AtomicU64::new(0),
        unmatched_released: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });

    // Webhook receiver.
    let listener = tokio::net::TcpListener::bind(a.webhook_listen)
        .await
        .map_err(|e| format!("cannot listen on {} for webhooks: {e}", a.webhook_listen))?;
    let mut hook_addr = listener.local_addr().map_err(|e| e.to_string())?;
    if hook_addr.ip().is_unspecified() {
        hook_addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let hook_url = format!("http://{hook_addr}/webhook");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = axum::Router::new()
        .route("/webhook", axum::routing::post(webhook))
        .with_state(shared.clone());
    let receiver = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });

    let registered = set_webhooks(&client, &target, &traders, Some(&hook_url)).await;
    let result = match registered {
        Ok(()) => drive(&a, &target, seed, &traders, &client, &shared).await,
        Err(e) => Err(e),
    };
    if let Err(e) = set_webhooks(&client, &target, &traders, None).await {
        eprintln!("warning: could not unregister the webhooks: {e}");
    }
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), receiver).await;
    let (seconds, scheduled, dropped) = result?;

    // Summary.
    let mut release = histogram();
    let mut missing = 0u64;
    for s in shared.sent.lock().expect("lock").values() {
        if !s.green {
            continue;
        }
        match s.notified {
            Some(t) => record(&mut release, t.saturating_duration_since(s.at)),
            None => missing += 1,
        }
    }
    let lodge = shared.lodge_latency.lock().expect("lock").clone();
    let t = std::mem::take(&mut *shared.tally.lock().expect("lock"));
    let out = json!({
        "target": target,
        "rate": a.rate,
        "duration_s": round3(seconds),
        "achieved_rate": (t.sent as f64 / seconds).round(),
        "traders": a.traders,
        "seed": seed,
        "scheduled": scheduled,
        "sent": t.sent,
        "dropped": dropped,
        "accepted": t.accepted,
        "replays": t.replays,
        "rejected": t.rejected,
        "conflicts": t.conflicts,
        "other_4xx": t.other_4xx,
        "server_errors": t.server_errors,
        "transport_errors": t.transport_errors,
        "released": t.released,
        "under_control": t.under_control,
        "other_state": t.other_state,
        "expected_valid_rejected": t.expected_valid_rejected,
        "expected_erroneous_accepted": t.expected_erroneous_accepted,
        "by_status": t.by_status.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "p50_ms": quantile_ms(&release, 0.5),
        "p90_ms": quantile_ms(&release, 0.9),
        "p99_ms": quantile_ms(&release, 0.99),
        "max_ms": max_ms(&release),
        "lodge_p50_ms": quantile_ms(&lodge, 0.5),
        "lodge_p90_ms": quantile_ms(&lodge, 0.9),
        "lodge_p99_ms": quantile_ms(&lodge, 0.99),
        "lodge_max_ms": max_ms(&lodge),
        "notifications_received": shared.notifications.load(Ordering::Relaxed),
        "released_notifications": shared.released_notifications.load(Ordering::Relaxed),
        "unmatched_released_notifications": shared.unmatched_released.load(Ordering::Relaxed),
        "missing_release_notifications": missing,
        "problems": t.samples,
    });
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        print_text(&out);
    }
    if t.server_errors > 0 || t.transport_errors > 0 {
        return Err(format!(
            "{} server errors and {} transport errors",
            t.server_errors, t.transport_errors
        ));
    }
    Ok(())
}

fn print_text(o: &serde_json::Value) {
    println!(
        "tamga simulate: {} for {} s at {}/s (achieved {}/s)",
        o["target"].as_str().unwrap_or("?"),
        o["duration_s"],
        o["rate"],
        o["achieved_rate"]
    );
    println!(
        "  sent {}, dropped {}, accepted {} (released {}, under control {}), rejected {}, conflicts {}",
        o["sent"], o["dropped"], o["accepted"], o["released"], o["under_control"], o["rejected"], o["conflicts"]
    );
    println!(
        "  server errors {}, transport errors {}, other 4xx {}",
        o["server_errors"], o["transport_errors"], o["other_4xx"]
    );
    println!(
        "  lodging (HTTP): p50 {} ms, p99 {} ms, max {} ms",
        o["lodge_p50_ms"], o["lodge_p99_ms"], o["lodge_max_ms"]
    );
    println!(
        "  lodging -> release notification (green): p50 {} ms, p99 {} ms, max {} ms",
        o["p50_ms"], o["p99_ms"], o["max_ms"]
    );
    println!(
        "  notifications received {}, missing release notifications {}",
        o["notifications_received"], o["missing_release_notifications"]
    );
    for p in o["problems"].as_array().into_iter().flatten() {
        println!("  problem: {}", p.as_str().unwrap_or("?"));
    }
}

async fn set_webhooks(
    client: &reqwest::Client,
    target: &str,
    traders: &[TraderKeys],
    url: Option<&str>,
) -> Result<(), String> {
    for t in traders {
        let r = client
            .put(format!("{target}/api/v1/account/webhook"))
            .bearer_auth(&t.token)
            .json(&json!({ "url": url }))
            .send()
            .await
            .map_err(|e| format!("cannot set the webhook of {}: {e}", t.id))?;
        if !r.status().is_success() {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            return Err(format!(
                "setting the webhook of demo trader {} failed with HTTP {status}: {body} \
                 (was the server started with its demo set-up, and with \
                 --allow-loopback-webhooks so it may push to this local receiver?)",
                t.id
            ));
        }
    }
    Ok(())
}

/// Receives `{"notifications": [...]}` pushes.
async fn webhook(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let list = doc
        .get("notifications")
        .and_then(|n| n.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    shared
        .notifications
        .fetch_add(list.len() as u64, Ordering::Relaxed);
    let mut sent = shared.sent.lock().expect("lock");
    for n in list {
        if n.get("kind").and_then(|k| k.as_str()) != Some("released") {
            continue;
        }
        shared
            .released_notifications
            .fetch_add(1, Ordering::Relaxed);
        let (Some(recipient), Some(lrn)) = (
            n.get("recipient").and_then(|r| r.as_str()),
            n.get("lrn").and_then(|l| l.as_str()),
        ) else {
            continue;
        };
        match sent.get_mut(&(recipient.to_owned(), lrn.to_owned())) {
            Some(s) => {
                // Several recipients may get the same notification: the
                // first one counts.
                s.notified.get_or_insert(now);
            }
            None => {
                shared.unmatched_released.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    StatusCode::NO_CONTENT
}

/// Sends for the whole duration; returns (seconds, scheduled, dropped).
async fn drive(
    a: &Args,
    target: &str,
    seed: u64,
    traders: &[TraderKeys],
    client: &reqwest::Client,
    shared: &Arc<Shared>,
) -> Result<(f64, u64, u64), String> {
    let mut cfg = GeneratorConfig::demo(traders.len(), today(), seed);
    if a.error_share.is_some() {
        cfg.error_share = a.error_share;
    }
    let mut generator = Generator::new(cfg, &reference_bundle()?)
        .map_err(|e| e.to_string())?
        .with_tariff(&tamga_app::reference::demo_tariff()?);
    let keys: HashMap<String, TraderKeys> = traders
        .iter()
        .map(|t| (t.id.to_string(), t.clone()))
        .collect();
    let url: Arc<str> = format!("{target}/api/v1/declarations").into();
    let total = (a.rate * a.duration).ceil().max(1.0) as u64;
    let period = Duration::from_secs_f64(1.0 / a.rate);
    let mut dropped = 0u64;
    let start = tokio::time::Instant::now();
    for i in 0..total {
        let at = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(at).await;
        let s = generator.next();
        if shared.in_flight.load(Ordering::Relaxed) >= a.max_in_flight {
            dropped += 1;
            continue;
        }
        let k = keys
            .get(s.trader.as_str())
            .ok_or_else(|| format!("{} is not a demo trader", s.trader))?;
        let sig = tamga_core::signature::sign(&k.key, &s.body);
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let req = client
            .post(&*url)
            .bearer_auth(&k.token)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, sig)
            .header(KEY_ID_HEADER, &k.key_id)
            .body(s.body);
        let key = (s.trader.to_string(), s.lrn.to_string());
        let expect_valid = s.expect.is_valid();
        let shared = shared.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            shared.sent.lock().expect("lock").insert(
                key.clone(),
                Sent {
                    at: t0,
                    green: false,
                    notified: None,
                },
            );
            let answer = match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    r.bytes().await.map(|b| (status, b))
                }
                Err(e) => Err(e),
            };
            let elapsed = t0.elapsed();
            account(&shared, key, expect_valid, answer, elapsed);
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let seconds = start.elapsed().as_secs_f64();

    // Outstanding requests, then outstanding release notifications.
    let deadline = Instant::now() + Duration::from_secs(60);
    while shared.in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deadline = Instant::now() + Duration::from_secs_f64(a.drain);
    loop {
        let waiting = shared
            .sent
            .lock()
            .expect("lock")
            .values()
            .any(|s| s.green && s.notified.is_none());
        if !waiting || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((seconds, total, dropped))
}

fn account(
    shared: &Shared,
    key: (String, String),
    expect_valid: bool,
    answer: Result<(u16, Bytes), reqwest::Error>,
    elapsed: Duration,
) {
    let mut t = shared.tally.lock().expect("lock");
    t.sent += 1;
    let (status, body) = match answer {
        Ok(x) => x,
        Err(e) => {
            t.transport_errors += 1;
            t.sample(format!("transport error: {e}"));
            shared.sent.lock().expect("lock").remove(&key);
            return;
        }
    };
    record(&mut shared.lodge_latency.lock().expect("lock"), elapsed);
    *t.by_status.entry(status).or_default() += 1;
    match status {
        200 | 201 => {
            t.accepted += 1;
            if !expect_valid {
                t.expected_erroneous_accepted += 1;
            }
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if doc.get("replay").and_then(|r| r.as_bool()) == Some(true) {
                t.replays += 1;
            }
            match doc.get("state").and_then(|s| s.as_str()) {
                Some("released") => {
                    t.released += 1;
                    if let Some(s) = shared.sent.lock().expect("lock").get_mut(&key) {
                        s.green = true;
                    }
                }
                Some("under_control") => t.under_control += 1,
                _ => t.other_state += 1,
            }
            return;
        }
        422 => {
            t.rejected += 1;
            if expect_valid {
                t.expected_valid_rejected += 1;
                let text = String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
                t.sample(format!("valid declaration {} rejected: {text}", key.1));
            }
        }
        409 => t.conflicts += 1,
        400..=499 => {
            t.other_4xx += 1;
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            t.sample(format!("HTTP {status}: {text}"));
        }
        _ => {
            t.server_errors += 1;
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            t.sample(format!("HTTP {status}: {text}"));
        }
    }
    // Not accepted: no release to wait for.
    shared.sent.lock().expect("lock").remove(&key);
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: super::Args,
    }

    fn args(extra: &[&str]) -> super::Args {
        Cli::parse_from(std::iter::once("simulate").chain(extra.iter().copied())).args
    }

    #[test]
    fn validates_arguments() {
        assert!(args(&[]).validate().is_ok());
        assert!(args(&["--rate", "0"])
            .validate()
            .unwrap_err()
            .contains("--rate"));
        assert!(args(&["--rate=-5"])
            .validate()
            .unwrap_err()
            .contains("--rate"));
        assert!(args(&["--duration", "0"])
            .validate()
            .unwrap_err()
            .contains("--duration"));
        assert!(args(&["--traders", "9"])
            .validate()
            .unwrap_err()
            .contains("--traders"));
        assert!(args(&["--error-share", "1.5"])
            .validate()
            .unwrap_err()
            .contains("--error-share"));
        assert!(args(&["--target", "localhost:8080"])
            .validate()
            .unwrap_err()
            .contains("--target"));
    }
}
