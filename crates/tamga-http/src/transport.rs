//! The connection layer: tamga's own accept loop over hyper, so slow or
//! greedy clients cannot take the service down (issue 13, finding 4).
//!
//! - A request's head must arrive within [`Limits::header_read_timeout`],
//!   counted from the connection's start or the end of the previous
//!   response: hyper closes a connection that trickles its headers, and
//!   the same clock closes a kept-alive connection left idle that long.
//! - A request's body must arrive whole within [`Limits::body_timeout`]
//!   (408, see [`crate::guard`]); bodies are read before a request takes
//!   one of the [`Limits::max_in_flight`] slots, within a memory budget.
//! - One client address holds at most
//!   [`Limits::max_connections_per_address`] connections; a connection
//!   beyond is answered 429 `TOO_MANY_CONNECTIONS` and closed at once.
//! - Per-token and per-address request rates, and a tighter one per
//!   address for the HS classification assistant (429 `RATE_LIMITED`
//!   with `Retry-After`, see [`crate::guard`]).
//!
//! Every limit is per instance (in memory): it protects this process's
//! connections and workers, not a cluster-wide quota.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::AppState;

/// Connection and request limits of one server instance. The defaults
/// suit a service on a small machine: a normal client (and `tamga simulate`
/// at 1,000 lodgings a second from one address) stays well under them.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time a client has to send a request's head (from the connection's
    /// start, or from the end of the previous response: so also the idle
    /// limit of a kept-alive connection).
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's whole body, from the end of
    /// its head; a slower body is cut with 408.
    pub body_timeout: Duration,
    /// Requests handled at once (bodies already read); more wait.
    pub max_in_flight: usize,
    /// Bytes of request bodies held in memory at once, while they arrive
    /// and while their requests are handled; a body that cannot get its
    /// share waits (within its time-out).
    pub body_memory: usize,
    /// Open connections from one client address; more are refused.
    pub max_connections_per_address: usize,
    /// Requests a second from one client address (sustained), and the
    /// burst allowed above it; 0 turns the limit off.
    pub address_rate: u32,
    pub address_burst: u32,
    /// Requests a second with one API token (sustained), and the burst
    /// allowed above it; 0 turns the limit off.
    pub token_rate: u32,
    pub token_burst: u32,
    /// Requests a second from one client address to the HS classification
    /// assistant (`GET /api/v1/hs/suggestions`, the `/hs` page), and the
    /// burst allowed above it; 0 turns the limit off.
    pub hs_rate: u32,
    pub hs_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_in_flight: crate::MAX_IN_FLIGHT,
            body_memory: 256 * 1024 * 1024,
            max_connections_per_address: 4096,
            address_rate: 4000,
            address_burst: 8000,
            token_rate: 2000,
            token_burst: 4000,
            hs_rate: 10,
            hs_burst: 40,
        }
    }
}

/// Open connections per client address.
#[derive(Clone)]
struct ConnectionCounts {
    max: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One counted connection; uncounted when dropped.
struct ConnectionSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ConnectionCounts {
    fn try_open(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            ip,
            open: self.open.clone(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// The answer to a connection over its address's limit, written without
/// reading the request (the connection is closed right after).
static TOO_MANY_CONNECTIONS: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let body = serde_json::json!({"error": {
        "code": "TOO_MANY_CONNECTIONS",
        "message": "too many open connections from this address",
    }})
    .to_string();
    format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
});

/// How long open connections may finish after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `state` on `listener` with `limits` until `shutdown` resolves,
/// then lets open connections finish (at most 30 s).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app: Router = crate::router_with(state, &limits);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let counts = ConnectionCounts {
        max: limits.max_connections_per_address.max(1),
        open: Arc::default(),
    };
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors or similar: wait a little
                    // instead of spinning (as axum::serve does).
                    tracing::error!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = counts.try_open(peer.ip()) else {
            tracing::debug!(%peer, "connection refused: too many from this address");
            let _ = stream.try_write(&TOO_MANY_CONNECTIONS);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut app = app.clone();
            async move {
                let r: Result<_, Infallible> =
                    tower::Service::call(&mut app, req.map(axum::body::Body::new)).await;
                r
            }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionRefused | K::ConnectionAborted | K::ConnectionReset
    )
}

/// The client address a request came from, when served by
/// [`serve_with`].
pub fn client_address(req: &axum::extract::Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canned_refusal_is_valid_json_of_its_length() {
        let text = std::str::from_utf8(&TOO_MANY_CONNECTIONS).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "TOO_MANY_CONNECTIONS");
    }

    #[test]
    fn connection_counts_per_address() {
        let c = ConnectionCounts {
            max: 2,
            open: Arc::default(),
        };
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let s1 = c.try_open(a).unwrap();
        let _s2 = c.try_open(a).unwrap();
        assert!(c.try_open(a).is_none());
        assert!(c.try_open(b).is_some());
        drop(s1);
        assert!(c.try_open(a).is_some());
    }
}
