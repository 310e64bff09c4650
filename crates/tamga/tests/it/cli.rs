//! The `tamga` binary end to end: `example`, `bench pipeline`,
//! `bench malformed` and `simulate` against a `tamga serve` child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn tamga() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tamga"));
    c.env("TAMGA_LOG", "warn,sqlx=warn");
    c
}

/// Runs the binary and parses its stdout as JSON; panics with stderr on
/// failure.
fn run_json(args: &[&str]) -> Value {
    let out = tamga().args(args).output().expect("run tamga");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tamga {args:?} failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("tamga {args:?}: stdout is not JSON ({e}):\n{stdout}"))
}

fn u(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing or not a count in {v}"))
}

#[test]
fn example_prints_a_declaration() {
    let out = tamga()
        .args(["example", "--trader", "1"])
        .output()
        .expect("run tamga");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v["lrn"].as_str().is_some_and(|l| !l.is_empty()), "{v}");
    assert_eq!(v["declarant"]["id"], "UZ000000000101");

    let bad = tamga()
        .args(["example", "--trader", "10"])
        .output()
        .expect("run tamga");
    assert!(!bad.status.success());
}

#[test]
fn bench_pipeline_lodges_everything_durably() {
    let v = run_json(&[
        "bench",
        "pipeline",
        "--declarations",
        "200",
        "--concurrency",
        "32",
        "--json",
    ]);
    assert_eq!(u(&v, "declarations"), 200);
    assert_eq!(u(&v, "items_per_declaration"), 5);
    assert_eq!(v["backend"], "sqlite");
    assert_eq!(u(&v, "released") + u(&v, "under_control"), 200, "{v}");
    assert_eq!(u(&v, "rejected"), 0, "{v}");
    assert_eq!(u(&v, "stored"), 200, "{v}");
    for f in [
        "seconds",
        "declarations_per_second",
        "p50_ms",
        "p99_ms",
        "max_ms",
    ] {
        assert!(v[f].as_f64().is_some_and(|x| x >= 0.0), "{f} in {v}");
    }
    assert!(v["p50_ms"].as_f64() <= v["p99_ms"].as_f64());
}

#[test]
fn bench_malformed_never_gets_a_server_error() {
    let v = run_json(&["bench", "malformed", "--count", "300", "--json"]);
    assert_eq!(u(&v, "sent"), 300, "{v}");
    assert_eq!(u(&v, "status_5xx"), 0, "{v}");
    assert_eq!(u(&v, "transport_errors"), 0, "{v}");
    assert_eq!(u(&v, "without_code"), 0, "{v}");
    assert_eq!(u(&v, "status_4xx") + u(&v, "accepted"), 300, "{v}");
    assert!(
        u(&v, "status_4xx") > 200,
        "most malformed bodies must be refused: {v}"
    );
    assert!(
        v["by_kind"]
            .as_object()
            .is_some_and(|k| k.keys().any(|k| k.starts_with("signature:"))),
        "{v}"
    );
    assert!(!v["codes"].as_array().expect("codes").is_empty());
}

#[test]
fn simulate_rejects_bad_arguments() {
    for args in [
        &["simulate", "--rate", "0", "--duration", "1"][..],
        &["simulate", "--rate", "10", "--duration", "0"][..],
    ] {
        let out = tamga().args(args).output().expect("run tamga");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--rate") || stderr.contains("--duration"),
            "{stderr}"
        );
    }
}

/// A `tamga serve` child on a free port; killed on drop.
struct Server {
    child: Child,
    url: String,
    /// The lines the server wrote on stderr so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Server {
    serve_logging("warn,sqlx=warn")
}

/// [`serve`] with `TAMGA_LOG` set to `filter`.
fn serve_logging(filter: &str) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = tamga()
        .env("TAMGA_LOG", filter)
        // `simulate` receives webhooks on loopback.
        .args([
            "serve",
            "--allow-loopback-webhooks",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tamga serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            lines.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("tamga listening on ").nth(1) {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(url);
                }
            }
            // Keep draining so the server never blocks on a full pipe.
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tamga serve did not print its address within 60 s");
    Server {
        child,
        url,
        log,
        _dir: dir,
    }
}

#[test]
fn simulate_against_a_running_server() {
    let server = serve();
    let started = Instant::now();
    let v = run_json(&[
        "simulate",
        "--target",
        &server.url,
        "--rate",
        "50",
        "--duration",
        "3",
        "--seed",
        "7",
        "--json",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(u(&v, "sent"), 150, "{v}");
    assert!(u(&v, "accepted") > 0, "{v}");
    assert_eq!(u(&v, "server_errors"), 0, "{v}");
    assert_eq!(u(&v, "transport_errors"), 0, "{v}");
    assert_eq!(u(&v, "dropped"), 0, "{v}");
    assert!(u(&v, "released") > 0, "{v}");
    assert_eq!(u(&v, "missing_release_notifications"), 0, "{v}");
    assert_eq!(u(&v, "expected_valid_rejected"), 0, "{v}");
    assert!(u(&v, "notifications_received") >= u(&v, "released"), "{v}");
    assert!(v["p99_ms"].as_f64().is_some_and(|x| x > 0.0), "{v}");
    assert!(v["lodge_p50_ms"].as_f64().is_some_and(|x| x > 0.0), "{v}");
}

/// `tamga tariff import` stores a valid tariff (a second import of the same
/// file is recognised) and refuses a broken one with codes and pointers,
/// storing nothing.
#[test]
fn tariff_import_stores_valid_files_and_refuses_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tariff/demo-tariff.json");
    let args = |f: &str| {
        vec![
            "tariff".to_string(),
            "import".into(),
            f.to_string(),
            "--json".into(),
            "--data-dir".into(),
            data.display().to_string(),
        ]
    };
    let a: Vec<String> = args(file);
    let v = run_json(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["stored"]["new"], true, "{v}");
    let id = v["stored"]["id"].as_i64().unwrap();
    let v = run_json(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(v["stored"], serde_json::json!({"id": id, "new": false}));

    let broken = dir.path().join("broken.json");
    let text = std::fs::read_to_string(file).unwrap().replacen(
        "\"area\": \"1011\"",
        "\"area\": \"NOWHERE\"",
        1,
    );
    std::fs::write(&broken, text).unwrap();
    let b = args(&broken.display().to_string());
    let out = tamga().args(b.iter().map(String::as_str)).output().unwrap();
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["code"] == "TARIFF-UNKNOWN-AREA"
            && e["pointer"].as_str().unwrap().ends_with("/area")));
}

/// Runs `tamga serve` in a fresh directory (its working directory and
/// data directory) with extra arguments; returns the output, the time it
/// took and the directory. Panics if it keeps running for 20 s.
fn serve_fails(extra: &[&str]) -> (std::process::Output, Duration, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let mut child = tamga()
        .current_dir(dir.path())
        .args(["serve", "--no-demo", "--data-dir", "data"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tamga serve");
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("tamga serve {extra:?} still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    (out, started.elapsed(), dir)
}

/// A database URL of an unknown scheme is refused (not taken for an SQLite
/// file named `bogus:`), and an unreachable PostgreSQL fails at once with
/// its address and the cause.
#[test]
fn serve_refuses_a_bad_database_url_at_once() {
    let (out, took, dir) = serve_fails(&["--database-url", "bogus://x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("unsupported database URL scheme `bogus://`"),
        "{stderr}"
    );
    assert!(stderr.contains("postgres://"), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "created {left:?}");

    let (out, took, _dir) = serve_fails(&["--database-url", "postgres://postgres@127.0.0.1:1/x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// On a port already in use, `serve` fails before it creates a database or
/// prints demo credentials.
#[test]
fn serve_on_a_busy_port_fails_before_creating_the_database() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = tamga()
        .args(["serve", "--listen", &addr, "--data-dir"])
        .arg(dir.path().join("data"))
        .output()
        .expect("run tamga serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(!stderr.contains("token"), "printed credentials: {stderr}");
    assert!(!dir.path().join("data").exists(), "created the database");
}

/// `lodge` finds the server through `TAMGA_TARGET`, says the outcome on
/// stderr and writes the answer alone, as JSON, on stdout.
#[test]
fn lodge_reads_the_target_from_the_environment_and_keeps_stdout_json() {
    let server = serve();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("declaration.json");
    let example = tamga().args(["example", "--trader", "1"]).output().unwrap();
    assert!(example.status.success());
    std::fs::write(&file, &example.stdout).unwrap();
    let out = tamga()
        .env("TAMGA_TARGET", &server.url)
        .args(["lodge", "--demo-trader", "1"])
        .arg(&file)
        .output()
        .expect("run tamga lodge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON answer");
    let mrn = v["mrn"].as_str().expect("mrn");
    assert!(
        stderr.starts_with(&format!("HTTP 201 Created: MRN {mrn}, state ")),
        "{stderr}"
    );
}

/// At the default level the server logs one line per request (method,
/// path, status, latency), none for `/healthz`, and no colour codes into a
/// log that is not a terminal.
#[test]
fn serve_logs_one_line_per_request_without_colours_in_a_pipe() {
    use std::io::{Read, Write};
    let server = serve_logging("info,sqlx=warn");
    let addr = server.url.trim_start_matches("http://").to_owned();
    for path in ["/healthz", "/api/v1/account"] {
        let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(!answer.is_empty(), "{path}: no answer");
    }
    let found = |log: &[String]| {
        log.iter()
            .any(|l| l.contains("route=/api/v1/account") && l.contains("status=401"))
    };
    let started = Instant::now();
    while !found(&server.log.lock().unwrap()) && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = server.log.lock().unwrap().clone();
    let line = log
        .iter()
        .find(|l| l.contains("route=/api/v1/account"))
        .unwrap_or_else(|| panic!("no request line in {log:#?}"));
    for part in [
        "INFO",
        "method=GET",
        "status=401",
        "latency_us=",
        "request_id=",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    assert!(!log.iter().any(|l| l.contains("/healthz")), "{log:#?}");
    assert!(
        !log.iter().any(|l| l.contains('\x1b')),
        "colour codes in {log:#?}"
    );
}
