//! `tamga bench slow-clients`: the real HTTP server in-process (fresh
//! SQLite, demo set-up, default [`tamga_http::Limits`]) while N connections
//! trickle their requests: half send a head a byte a second, half announce
//! a body and send it a byte a second (to the public duty calculator, as
//! in the outside security test). They come from the loopback addresses
//! 127.0.0.2 to 127.0.0.254, so the per-address connection limit does not
//! simply refuse them, and a connection the server cuts (header or body
//! time-out) is opened again, so N stay held. Meanwhile a normal client on
//! 127.0.0.1 asks `/healthz` and an authenticated `GET /api/v1/account`;
//! their latencies are reported (and the same before the slow connections,
//! as a baseline).

use super::local_server::LocalServer;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::{demo_keys, histogram, max_ms, quantile_ms, record};

#[derive(clap::Args)]
pub struct Args {
    /// Slow connections held open while measuring.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Requests measured per endpoint while they are held.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Milliseconds between two measured requests.
    #[arg(long, default_value_t = 25)]
    pace_ms: u64,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Default)]
struct SlowStats {
    open: AtomicUsize,
    opened: AtomicU64,
    cut: AtomicU64,
    connect_errors: AtomicU64,
}

const SLOW_HEAD: &[u8] = b"GET /api/v1/tariff HTTP/1.1\r\nhost: tamga\r\nx-slow: ";
const SLOW_BODY: &[u8] = b"POST /api/v1/tariff/calculator HTTP/1.1\r\nhost: tamga\r\n\
content-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"items\":[";

/// One slow client: connects from `from`, trickles a byte a second, and
/// connects again when the server cuts it, until `stop`.
async fn slow_client(
    server: SocketAddr,
    from: IpAddr,
    body: bool,
    stop: Arc<AtomicBool>,
    stats: Arc<SlowStats>,
) {
    while !stop.load(Ordering::Relaxed) {
        let stream = async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(from, 0))?;
            socket.connect(server).await
        }
        .await;
        let mut stream = match stream {
            Ok(s) => s,
            Err(_) => {
                stats.connect_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        stats.open.fetch_add(1, Ordering::Relaxed);
        stats.opened.fetch_add(1, Ordering::Relaxed);
        let mut ok = stream
            .write_all(if body { SLOW_BODY } else { SLOW_HEAD })
            .await
            .is_ok();
        while ok && !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            // The server closing shows as a failed write (or a peer
            // readable with EOF or a response).
            let mut probe = [0u8; 256];
            ok = matches!(
                stream.try_read(&mut probe),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
            ) && stream.write_all(b"a").await.is_ok();
        }
        stats.open.fetch_sub(1, Ordering::Relaxed);
        if !stop.load(Ordering::Relaxed) {
            stats.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct Latencies {
    healthz: Histogram<u64>,
    account: Histogram<u64>,
    failures: u64,
}

/// `samples` paced requests to each endpoint, alternating.
async fn measure(base: &str, token: &str, samples: usize, pace: Duration) -> Latencies {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 1]))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    let mut out = Latencies {
        healthz: histogram(),
        account: histogram(),
        failures: 0,
    };
    let (healthz, account) = (format!("{base}/healthz"), format!("{base}/api/v1/account"));
    for _ in 0..samples {
        for (url, auth) in [(&healthz, false), (&account, true)] {
            let mut req = client.get(url);
            if auth {
                req = req.bearer_auth(token);
            }
            let t = Instant::now();
            let ok = match req.send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            let h = if auth {
                &mut out.account
            } else {
                &mut out.healthz
            };
            record(h, t.elapsed());
            if !ok {
                out.failures += 1;
            }
            tokio::time::sleep(pace).await;
        }
    }
    out
}

fn summary(h: &Histogram<u64>) -> serde_json::Value {
    json!({
        "count": h.len(),
        "p50_ms": quantile_ms(h, 0.5),
        "p99_ms": quantile_ms(h, 0.99),
        "max_ms": max_ms(h),
    })
}

pub async fn run(a: Args) -> Result<(), String> {
    if a.samples == 0 {
        return Err("--samples must be at least 1".into());
    }
    let limits = tamga_http::Limits::default();
    let server = LocalServer::start("tamga-slow-clients-", limits.clone()).await?;
    let addr = server.addr;
    let base = format!("http://{addr}");
    let token = demo_keys()?
        .into_iter()
        .next()
        .ok_or("no demo trader")?
        .token;
    let pace = Duration::from_millis(a.pace_ms);

    let baseline = measure(&base, &token, a.samples.div_ceil(2), pace).await;

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(SlowStats::default());
    let mut slow = tokio::task::JoinSet::new();
    for i in 0..a.connections {
        let from = IpAddr::from([127, 0, 0, 2 + (i % 253) as u8]);
        slow.spawn(slow_client(
            addr,
            from,
            i % 2 == 1,
            stop.clone(),
            stats.clone(),
        ));
    }
    // Every slow connection open and its head (or half of it) read.
    let t = Instant::now();
    while stats.open.load(Ordering::Relaxed) < a.connections
        && t.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open_at_start = stats.open.load(Ordering::Relaxed);
    let t = Instant::now();
    let loaded = measure(&base, &token, a.samples, pace).await;
    let seconds = t.elapsed().as_secs_f64();
    let open_at_end = stats.open.load(Ordering::Relaxed);

    stop.store(true, Ordering::Relaxed);
    slow.shutdown().await;
    server.stop(Duration::from_secs(40)).await;

    let out = json!({
        "bench": "slow-clients",
        "slow_connections": a.connections,
        "slow_open_at_start": open_at_start,
        "slow_open_at_end": open_at_end,
        "slow_cut_and_reopened": stats.cut.load(Ordering::Relaxed),
        "slow_connect_errors": stats.connect_errors.load(Ordering::Relaxed),
        "measured_seconds": super::round3(seconds),
        "limits": {
            "header_read_timeout_s": limits.header_read_timeout.as_secs_f64(),
            "body_timeout_s": limits.body_timeout.as_secs_f64(),
            "max_in_flight": limits.max_in_flight,
            "max_connections_per_address": limits.max_connections_per_address,
        },
        "baseline": {
            "healthz": summary(&baseline.healthz),
            "authenticated_get": summary(&baseline.account),
            "failures": baseline.failures,
        },
        "under_slow_clients": {
            "healthz": summary(&loaded.healthz),
            "authenticated_get": summary(&loaded.account),
            "failures": loaded.failures,
        },
    });
    if a.json {
        crate::out(&out)?;
    } else {
        let l = &out["under_slow_clients"];
        crate::out(format!(
            "{} slow connections held ({} at the end, {} cut by time-outs and reopened)\n\
             /healthz:         p50 {} ms, p99 {} ms, max {} ms\n\
             GET /api/v1/account: p50 {} ms, p99 {} ms, max {} ms\n\
             failures: {}",
            open_at_start,
            open_at_end,
            out["slow_cut_and_reopened"],
            l["healthz"]["p50_ms"],
            l["healthz"]["p99_ms"],
            l["healthz"]["max_ms"],
            l["authenticated_get"]["p50_ms"],
            l["authenticated_get"]["p99_ms"],
            l["authenticated_get"]["max_ms"],
            loaded.failures,
        ))?;
    }
    if loaded.failures > 0 {
        return Err(format!("{} measured requests failed", loaded.failures));
    }
    Ok(())
}
