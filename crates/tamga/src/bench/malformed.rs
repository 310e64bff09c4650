//! `tamga bench malformed`: the real HTTP server in-process (fresh SQLite,
//! demo set-up) fed over HTTP with declarations that are mutated
//! ([`mutate_with_kind`]), erroneous (synth error share 1.0) or badly signed
//! (another trader's key, garbage, missing, unknown key id), with valid demo
//! trader tokens. Every answer must be a JSON error with `error.code`
//! (or a 2xx when a mutation happened to stay valid); a 5xx or a transport
//! error fails the run.

use super::local_server::LocalServer;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use tamga_http::routes::{KEY_ID_HEADER, SIGNATURE_HEADER};
use tamga_sim::{mutate_with_kind, Expectation, Generator, GeneratorConfig};

use super::{demo_keys, progress, reference_bundle, round3, today, TraderKeys};

#[derive(clap::Args)]
pub struct Args {
    /// Number of requests to send.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Concurrent requests.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seed of the generators and mutations.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON on stdout (no progress bar).
    #[arg(long)]
    json: bool,
}

/// How a case is signed.
#[derive(Clone, Copy)]
enum Sig {
    /// Correctly, with the trader's own key.
    Right,
    /// With another demo trader's key.
    OtherKey,
    /// A base64-looking string that is no signature.
    Garbage,
    /// No signature header.
    Missing,
    /// Correct signature, but `X-Tamga-Key-Id` names no key of the trader.
    UnknownKeyId,
}

struct Case {
    kind: String,
    trader: usize,
    body: Vec<u8>,
    sig: Sig,
}

/// The stream of cases (deterministic for a seed).
struct Cases {
    valid: Generator,
    erroneous: Generator,
    rng: ChaCha8Rng,
    index: HashMap<String, usize>,
}

impl Cases {
    fn new(seed: u64, traders: &[TraderKeys]) -> Result<Cases, String> {
        let bundle = reference_bundle()?;
        let mut valid = GeneratorConfig::demo(traders.len(), today(), seed);
        valid.error_share = Some(0.0);
        let mut erroneous =
            GeneratorConfig::demo(traders.len(), today(), seed.wrapping_add(0x5eed));
        erroneous.error_share = Some(1.0);
        let tariff = tamga_app::reference::demo_tariff()?;
        Ok(Cases {
            valid: Generator::new(valid, &bundle)
                .map_err(|e| e.to_string())?
                .with_tariff(&tariff),
            erroneous: Generator::new(erroneous, &bundle)
                .map_err(|e| e.to_string())?
                .with_tariff(&tariff),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6d61_6c66_6f72_6d65),
            index: traders
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.to_string(), i))
                .collect(),
        })
    }

    fn next(&mut self) -> Result<Case, String> {
        let r: f64 = self.rng.gen();
        let (s, kind, body, sig) = if r < 0.6 {
            let s = self.valid.next();
            let (body, m) = mutate_with_kind(&s.body, &mut self.rng);
            (
                s,
                format!("mutation:{}", kebab(&format!("{m:?}"))),
                body,
                Sig::Right,
            )
        } else if r < 0.8 {
            let s = self.erroneous.next();
            let kind = match s.expect {
                Expectation::Erroneous { what } => format!("erroneous:{what}"),
                Expectation::Valid => "erroneous:none".to_owned(),
            };
            let body = s.body.clone();
            (s, kind, body, Sig::Right)
        } else {
            let s = self.valid.next();
            let (kind, sig) = match self.rng.gen_range(0..4) {
                0 => ("signature:other-key", Sig::OtherKey),
                1 => ("signature:garbage", Sig::Garbage),
                2 => ("signature:missing", Sig::Missing),
                _ => ("signature:unknown-key-id", Sig::UnknownKeyId),
            };
            let body = s.body.clone();
            (s, kind.to_owned(), body, sig)
        };
        let trader = *self
            .index
            .get(s.trader.as_str())
            .ok_or_else(|| format!("{} is not a demo trader", s.trader))?;
        Ok(Case {
            kind,
            trader,
            body,
            sig,
        })
    }
}

/// `DeleteField` -> `delete-field`.
fn kebab(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
struct KindTally {
    sent: u64,
    accepted: u64,
    status_4xx: u64,
    status_5xx: u64,
    transport_errors: u64,
}

#[derive(Default)]
struct Tally {
    sent: u64,
    accepted: u64,
    status_4xx: u64,
    status_5xx: u64,
    other_status: u64,
    transport_errors: u64,
    without_code: u64,
    by_status: BTreeMap<u16, u64>,
    by_kind: BTreeMap<String, KindTally>,
    codes: HashMap<String, u64>,
    violation_codes: HashMap<String, u64>,
    samples: Vec<String>,
}

impl Tally {
    fn sample(&mut self, s: String) {
        if self.samples.len() < 10 {
            self.samples.push(s);
        }
    }
}

fn top(m: HashMap<String, u64>, n: usize) -> Vec<serde_json::Value> {
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v.into_iter()
        .map(|(code, count)| json!({"code": code, "count": count}))
        .collect()
}

pub async fn run(a: Args) -> Result<(), String> {
    if a.count == 0 {
        return Err("--count must be at least 1".into());
    }
    if a.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let server = LocalServer::start("tamga-malformed-", tamga_http::Limits::default()).await?;
    let addr = server.addr;

    let result = drive(&a, &format!("http://{addr}/api/v1/declarations")).await;

    server.stop(Duration::from_secs(10)).await;

    let (tally, seconds) = result?;
    let out = json!({
        "benchmark": "malformed",
        "sent": tally.sent,
        "accepted": tally.accepted,
        "status_4xx": tally.status_4xx,
        "status_5xx": tally.status_5xx,
        "other_status": tally.other_status,
        "transport_errors": tally.transport_errors,
        "without_code": tally.without_code,
        "by_status": tally.by_status.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "by_kind": tally.by_kind.iter().map(|(k, t)| (k.clone(), json!({
            "sent": t.sent, "accepted": t.accepted, "status_4xx": t.status_4xx,
            "status_5xx": t.status_5xx, "transport_errors": t.transport_errors,
        }))).collect::<serde_json::Map<_, _>>(),
        "codes": top(tally.codes, 20),
        "violation_codes": top(tally.violation_codes, 20),
        "problems": tally.samples,
        "concurrency": a.concurrency,
        "seconds": round3(seconds),
        "requests_per_second": (tally.sent as f64 / seconds).round(),
    });
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "tamga bench malformed: {} requests in {:.2} s",
            out["sent"], seconds
        );
        println!(
            "  4xx {}, 5xx {}, accepted (mutation stayed valid) {}, transport errors {}, without error code {}",
            out["status_4xx"], out["status_5xx"], out["accepted"], out["transport_errors"], out["without_code"]
        );
        println!("  by status: {}", out["by_status"]);
        println!("  by kind:");
        for (k, t) in out["by_kind"].as_object().into_iter().flatten() {
            println!(
                "    {k:<40} sent {:>6}  4xx {:>6}  accepted {:>5}  5xx {}",
                t["sent"], t["status_4xx"], t["accepted"], t["status_5xx"]
            );
        }
        println!("  top error codes:");
        for c in out["codes"].as_array().into_iter().flatten() {
            println!(
                "    {:<32} {}",
                c["code"].as_str().unwrap_or("?"),
                c["count"]
            );
        }
        for p in out["problems"].as_array().into_iter().flatten() {
            println!("  problem: {}", p.as_str().unwrap_or("?"));
        }
    }
    let (s5, te, nc) = (
        out["status_5xx"].as_u64().unwrap_or(0),
        out["transport_errors"].as_u64().unwrap_or(0),
        out["without_code"].as_u64().unwrap_or(0),
    );
    if s5 > 0 || te > 0 || nc > 0 {
        return Err(format!(
            "{s5} server errors, {te} transport errors, {nc} error answers without a code"
        ));
    }
    Ok(())
}

async fn drive(a: &Args, url: &str) -> Result<(Tally, f64), String> {
    let traders = Arc::new(demo_keys()?);
    let cases = Arc::new(Mutex::new(Cases::new(a.seed, &traders)?));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let remaining = Arc::new(AtomicU64::new(a.count as u64));
    let pb = progress(a.count as u64, a.json, "malformed");
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..a.concurrency.min(a.count) {
        let (traders, cases, tally, client, remaining, pb) = (
            traders.clone(),
            cases.clone(),
            tally.clone(),
            client.clone(),
            remaining.clone(),
            pb.clone(),
        );
        let url = url.to_owned();
        tasks.spawn(async move {
            while remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                let case = cases.lock().expect("lock").next()?;
                send(&client, &url, &traders, case, &tally).await;
                pb.inc(1);
            }
            Ok::<(), String>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| format!("a sending task failed: {e}"))??;
    }
    let seconds = start.elapsed().as_secs_f64();
    pb.finish_and_clear();
    let tally = Arc::try_unwrap(tally)
        .map_err(|_| "tally still shared".to_string())?
        .into_inner()
        .map_err(|_| "tally lock poisoned".to_string())?;
    Ok((tally, seconds))
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    traders: &[TraderKeys],
    case: Case,
    tally: &Mutex<Tally>,
) {
    let t = &traders[case.trader];
    let mut req = client
        .post(url)
        .bearer_auth(&t.token)
        .header("content-type", "application/json");
    req = match case.sig {
        Sig::Right => req.header(
            SIGNATURE_HEADER,
            tamga_core::signature::sign(&t.key, &case.body),
        ),
        Sig::OtherKey => {
            let other = &traders[(case.trader + 1) % traders.len()];
            req.header(
                SIGNATURE_HEADER,
                tamga_core::signature::sign(&other.key, &case.body),
            )
        }
        Sig::Garbage => req.header(SIGNATURE_HEADER, "bm90IGEgc2lnbmF0dXJl!!=="),
        Sig::Missing => req,
        Sig::UnknownKeyId => req
            .header(
                SIGNATURE_HEADER,
                tamga_core::signature::sign(&t.key, &case.body),
            )
            .header(KEY_ID_HEADER, "0000000000000000"),
    };
    let answer = match req.body(case.body).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            resp.bytes().await.map(|b| (status, b))
        }
        Err(e) => Err(e),
    };
    let mut tally = tally.lock().expect("lock");
    tally.sent += 1;
    let kind = &case.kind;
    let (status, bytes) = match answer {
        Ok(x) => x,
        Err(e) => {
            tally.transport_errors += 1;
            tally
                .by_kind
                .entry(kind.clone())
                .or_default()
                .transport_errors += 1;
            tally.sample(format!("{kind}: transport error: {e}"));
            return;
        }
    };
    *tally.by_status.entry(status).or_default() += 1;
    let k = tally.by_kind.entry(kind.clone()).or_default();
    k.sent += 1;
    match status {
        200..=299 => {
            k.accepted += 1;
            tally.accepted += 1;
            return;
        }
        400..=499 => {
            k.status_4xx += 1;
            tally.status_4xx += 1;
        }
        500..=599 => {
            k.status_5xx += 1;
            tally.status_5xx += 1;
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            tally.sample(format!("{kind}: HTTP {status}: {text}"));
        }
        _ => tally.other_status += 1,
    }
    let doc: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    match doc
        .as_ref()
        .and_then(|d| d.pointer("/error/code"))
        .and_then(|c| c.as_str())
    {
        Some(code) => {
            *tally.codes.entry(code.to_owned()).or_default() += 1;
            let violations: Vec<String> = doc
                .as_ref()
                .and_then(|d| d.pointer("/error/violations"))
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
                .collect();
            for v in violations {
                *tally.violation_codes.entry(v).or_default() += 1;
            }
        }
        None => {
            tally.without_code += 1;
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            tally.sample(format!("{kind}: HTTP {status} without error.code: {text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kebab_case() {
        assert_eq!(super::kebab("DeleteField"), "delete-field");
        assert_eq!(super::kebab("Null"), "null");
    }
}
