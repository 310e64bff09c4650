//! Finding 4 (high): one unauthenticated slow client stopped the service.
//!
//! About 530 connections trickling bodies to the public duty calculator
//! held every one of the 512 in-flight slots with no time-out, so even
//! `/healthz` stopped answering; nothing limited a client's connections
//! or request rate. Now bodies are read (within a time-out) before a
//! request takes a slot, heads and bodies have time-outs, one address has
//! a connection limit, and tokens and addresses have rate limits. The
//! figure (1,000 slow connections, < 100 ms) comes from
//! `tamga bench slow-clients`; these tests prove the behaviour.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::{transport_spawn_app, TestApp};

fn server_addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection to the server from the loopback address `from`.
async fn connect_from(app: &TestApp, from: IpAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server_addr(app)).await.unwrap()
}

/// A client whose requests come from the loopback address `from`.
fn client_from(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn lo(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// The head of a calculator request announcing a 1,000-byte body.
const SLOW_BODY_HEAD: &[u8] = b"POST /api/v1/tariff/calculator HTTP/1.1\r\nhost: tamga\r\n\
content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"items\":";

/// Reads what the server sends until it closes (or `within` passes).
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&out).into_owned())
}

/// Status and JSON body of a raw HTTP/1.1 response.
fn parse_response(raw: &str) -> (u16, Value) {
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// `GET path` (with a token, if any) answers 200 well within `bound`.
async fn answers_quickly(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    bound: Duration,
) {
    let t = Instant::now();
    let mut req = client.get(url).timeout(bound);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let r = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url} did not answer within {bound:?}: {e}"));
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    assert!(t.elapsed() < bound, "{url} took {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_slow_bodies_do_not_stop_the_service() {
    let app = transport_spawn_app(tamga_http::Limits {
        // Long enough that they are all held while we measure.
        body_timeout: Duration::from_secs(60),
        header_read_timeout: Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    // More than the 512 in-flight slots, from ten addresses, like the
    // outside test's 530 unauthenticated calculator requests.
    let mut held = Vec::new();
    for i in 0..600u32 {
        let mut s = connect_from(&app, lo(2 + (i % 10) as u8)).await;
        s.write_all(SLOW_BODY_HEAD).await.unwrap();
        held.push(s);
    }
    // Let the server read every head and start waiting for the bodies.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let client = client_from(lo(1));
    let bound = Duration::from_secs(2);
    for _ in 0..5 {
        answers_quickly(&client, &format!("{}/healthz", app.base), None, bound).await;
        answers_quickly(
            &client,
            &format!("{}/api/v1/account", app.base),
            Some(&app.trader(0).token),
            bound,
        )
        .await;
        answers_quickly(&client, &format!("{}/api/v1/tariff", app.base), None, bound).await;
    }
    // The slow senders are still connected, waiting (not refused).
    let mut probe = [0u8; 1];
    let still_open = held
        .iter()
        .filter(|s| matches!(s.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
        .count();
    assert_eq!(still_open, 600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_cut_with_408_json() {
    let app = transport_spawn_app(tamga_http::Limits {
        body_timeout: Duration::from_millis(800),
        ..Default::default()
    })
    .await;
    let mut s = connect_from(&app, lo(1)).await;
    s.write_all(SLOW_BODY_HEAD).await.unwrap();
    let t = Instant::now();
    // Keep trickling: a byte every 200 ms never finishes in time.
    let trickle = async {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if s.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3), trickle)
        .await
        .ok();
    let raw = read_to_close(&mut s, Duration::from_secs(5))
        .await
        .expect("the server closes the connection");
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 408, "{raw}");
    assert_eq!(body["error"]["code"], "REQUEST_TIMEOUT", "{raw}");
    assert!(t.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_and_an_idle_connection_are_closed() {
    let app = transport_spawn_app(tamga_http::Limits {
        header_read_timeout: Duration::from_millis(800),
        ..Default::default()
    })
    .await;
    // Half a head, then nothing.
    let mut s = connect_from(&app, lo(1)).await;
    s.write_all(b"POST /api/v1/tariff/calculator HTTP/1.1\r\nhost: tamga\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    assert!(
        read_to_close(&mut s, Duration::from_secs(5))
            .await
            .is_some(),
        "a trickled head keeps its connection"
    );
    assert!(t.elapsed() < Duration::from_secs(4));
    // A kept-alive connection left idle after its answer.
    let mut s = connect_from(&app, lo(1)).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: tamga\r\n\r\n")
        .await
        .unwrap();
    let raw = read_to_close(&mut s, Duration::from_secs(5))
        .await
        .expect("an idle connection is closed");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_connection_limit_is_refused() {
    let app = transport_spawn_app(tamga_http::Limits {
        max_connections_per_address: 4,
        ..Default::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = connect_from(&app, lo(20)).await;
        s.write_all(SLOW_BODY_HEAD).await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut fifth = connect_from(&app, lo(20)).await;
    let raw = read_to_close(&mut fifth, Duration::from_secs(5))
        .await
        .expect("the fifth connection is closed");
    let (status, body) = parse_response(&raw);
    assert_eq!(status, 429, "{raw}");
    assert_eq!(body["error"]["code"], "TOO_MANY_CONNECTIONS");
    // Another address is served meanwhile.
    answers_quickly(
        &client_from(lo(21)),
        &format!("{}/healthz", app.base),
        None,
        Duration::from_secs(2),
    )
    .await;
    // A closed connection gives its slot back.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    answers_quickly(
        &client_from(lo(20)),
        &format!("{}/api/v1/tariff", app.base),
        None,
        Duration::from_secs(2),
    )
    .await;
}

/// Asserts a 429 `RATE_LIMITED` JSON answer with a `Retry-After`.
async fn assert_rate_limited(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "RATE_LIMITED", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_limit_gets_429_while_another_is_served() {
    let app = transport_spawn_app(tamga_http::Limits {
        token_rate: 1,
        token_burst: 5,
        ..Default::default()
    })
    .await;
    let url = format!("{}/api/v1/account", app.base);
    let (a, b) = (app.trader(0).token.clone(), app.trader(1).token.clone());
    for _ in 0..5 {
        let r = app.http.get(&url).bearer_auth(&a).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app.http.get(&url).bearer_auth(&a).send().await.unwrap();
    assert_rate_limited(r).await;
    // Another token from the same address is served.
    let r = app.http.get(&url).bearer_auth(&b).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // So is /healthz.
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_rate_limit_gets_429_while_another_is_served() {
    let app = transport_spawn_app(tamga_http::Limits {
        address_rate: 1,
        address_burst: 5,
        ..Default::default()
    })
    .await;
    let url = format!("{}/api/v1/tariff", app.base);
    let greedy = client_from(lo(30));
    for _ in 0..5 {
        assert_eq!(
            greedy.get(&url).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    assert_rate_limited(greedy.get(&url).send().await.unwrap()).await;
    // Unauthenticated requests of another address are served.
    let other = client_from(lo(31));
    assert_eq!(
        other.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The limited address still gets /healthz.
    let r = greedy
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
