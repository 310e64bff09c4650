//! `tamga bench identity`: what identity costs on the request path.
//!
//! - **Token checks**: `tamga_http::auth::authenticate` (what every
//!   authenticated request runs before its handler) over a fresh store
//!   with the demo set-up, for an operator's token and a user's token:
//!   cached (the resolved caller in the token cache, the usual case) and
//!   uncached (the cache cleared before each check: a `token_grant` read,
//!   and for a user the user's row, roles and offices). Target: under
//!   50 µs per cached check.
//! - **Passwords**: `tamga_app::identity::password::hash` and `verify`
//!   (argon2id with the production parameters), one at a time. Target: a
//!   login's verification under 500 ms.
//!
//! Build with `--release` for figures worth quoting: argon2 and the
//! request path are several times slower in a debug build.

use std::time::{Duration, Instant};

use axum::http::header::AUTHORIZATION;
use serde_json::json;

use tamga_app::identity::password;
use tamga_app::{Clearance, Settings};

use crate::bench::{histogram, max_ms, quantile_ms, record};

#[derive(clap::Args)]
pub struct BenchIdentityArgs {
    /// Token checks per case (cached and uncached, operator and user).
    #[arg(long, default_value_t = 20_000)]
    checks: usize,
    /// Password hashes and verifications.
    #[arg(long, default_value_t = 10)]
    passwords: usize,
    /// Use a fresh database `tamga_bench_<random>` on this PostgreSQL server
    /// (dropped afterwards) instead of SQLite in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(a: BenchIdentityArgs) -> Result<(), String> {
    if a.checks == 0 || a.passwords == 0 {
        return Err("--checks and --passwords must be at least 1".into());
    }
    let (db, url) = crate::bench::Db::create(a.database_url.as_deref()).await?;
    let result = bench_on(&a, &url).await;
    db.cleanup().await;
    let out = result?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        let t = &out["token_check_us"];
        println!(
            "identity ({}, {} build): token check per request, cached: operator p50 {} µs p99 {} µs, user p50 {} µs p99 {} µs; uncached: operator p50 {} µs p99 {} µs, user p50 {} µs p99 {} µs",
            out["backend"],
            out["build"],
            t["operator_cached"]["p50"],
            t["operator_cached"]["p99"],
            t["user_cached"]["p50"],
            t["user_cached"]["p99"],
            t["operator_uncached"]["p50"],
            t["operator_uncached"]["p99"],
            t["user_uncached"]["p50"],
            t["user_uncached"]["p99"],
        );
        let p = &out["password_ms"];
        println!(
            "identity: argon2id password hash p50 {} ms p99 {} ms; verify p50 {} ms p99 {} ms ({} each)",
            p["hash"]["p50"],
            p["hash"]["p99"],
            p["verify"]["p50"],
            p["verify"]["p99"],
            out["passwords"],
        );
    }
    Ok(())
}

async fn bench_on(a: &BenchIdentityArgs, url: &str) -> Result<serde_json::Value, String> {
    let store = tamga_store::open(url).await.map_err(|e| e.to_string())?;
    let (_, demo) = tamga_app::bootstrap(&store, true)
        .await
        .map_err(|e| e.to_string())?;
    let demo = demo.ok_or("the benchmark database is not fresh")?;
    // Not the HS assistant's background build: it would take cores from
    // what is measured (it builds if a request asks for it).
    let settings = Settings {
        hs_build_at_start: false,
        ..Settings::default()
    };
    let clearance = Clearance::start(store.clone(), settings)
        .await
        .map_err(|e| e.to_string())?;
    let state = tamga_http::state(clearance)
        .await
        .map_err(|e| e.to_string())?;
    let operator = demo.traders[0].token.clone();
    let user = demo
        .users
        .iter()
        .find(|u| u.username == "officer")
        .ok_or("no demo officer")?
        .token
        .clone();
    let mut cases = serde_json::Map::new();
    for (name, token) in [("operator", &operator), ("user", &user)] {
        let (parts, _) = axum::http::Request::builder()
            .uri("/api/v1/account")
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(())
            .map_err(|e| e.to_string())?
            .into_parts();
        for cached in [true, false] {
            let mut h = histogram();
            // Warm up (and fill the cache).
            tamga_http::auth::authenticate(&parts, &state)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let started = Instant::now();
            for _ in 0..a.checks {
                if !cached {
                    state.tokens.clear();
                }
                let t = Instant::now();
                tamga_http::auth::authenticate(&parts, &state)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                record_ns(&mut h, t.elapsed());
            }
            let total = started.elapsed();
            cases.insert(
                format!("{name}_{}", if cached { "cached" } else { "uncached" }),
                json!({
                    "p50": round1(ns_q(&h, 0.5)),
                    "p99": round1(ns_q(&h, 0.99)),
                    "max": round1(h.max() as f64 / 1000.0),
                    "mean": round1(total.as_secs_f64() * 1e6 / a.checks as f64),
                }),
            );
        }
    }
    let mut hashes = histogram();
    let mut verifies = histogram();
    let secret = "correct horse battery staple, tamga";
    let mut phc = String::new();
    for _ in 0..a.passwords {
        let t = Instant::now();
        phc = password::hash(secret);
        record(&mut hashes, t.elapsed());
        let t = Instant::now();
        if !password::verify(secret, &phc) {
            return Err("a password did not verify against its own hash".into());
        }
        record(&mut verifies, t.elapsed());
    }
    Ok(json!({
        "backend": store.backend(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "checks": a.checks,
        "token_check_us": cases,
        "token_check_target_cached_us": 50,
        "passwords": a.passwords,
        "password_params": phc.split('$').nth(3).unwrap_or_default(),
        "password_ms": {
            "hash": {"p50": quantile_ms(&hashes, 0.5), "p99": quantile_ms(&hashes, 0.99), "max": max_ms(&hashes)},
            "verify": {"p50": quantile_ms(&verifies, 0.5), "p99": quantile_ms(&verifies, 0.99), "max": max_ms(&verifies)},
        },
        "password_verify_target_ms": 500,
    }))
}

/// Records a duration in nanoseconds (token checks take microseconds).
fn record_ns(h: &mut hdrhistogram::Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_nanos() as u64).max(1));
}

/// A quantile of a nanosecond histogram, in microseconds.
fn ns_q(h: &hdrhistogram::Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
