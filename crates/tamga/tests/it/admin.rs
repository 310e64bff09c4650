//! `tamga admin` end to end: a `tamga serve --no-demo` child has no user;
//! `tamga admin create-admin` makes one on the same database, who logs in
//! through the API; `tamga admin reset-password` gives a one-time password
//! and ends the user's sessions. Both acts are audited with actor `cli`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

fn tamga() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tamga"));
    c.env("TAMGA_LOG", "warn,sqlx=warn");
    c
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path) -> Server {
    let mut child = tamga()
        .args([
            "serve",
            "--no-demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
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
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(url);
                }
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tamga serve did not print its address within 60 s");
    Server { child, url }
}

/// Runs `tamga admin …` with `stdin`: (success, stdout, stderr).
fn admin(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = tamga()
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tamga admin");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// POST /api/v1/auth/login: (status, body, session id).
async fn login(
    http: &reqwest::Client,
    url: &str,
    user: &str,
    pw: &str,
) -> (u16, Value, Option<String>) {
    let r = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let id = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("tamga_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    (status, r.json().await.unwrap(), id)
}

async fn whoami(http: &reqwest::Client, url: &str, id: &str) -> (u16, Value) {
    let r = http
        .get(format!("{url}/api/v1/account"))
        .header("cookie", format!("tamga_session={id}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[test]
fn an_administrator_created_on_the_command_line_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let url = server.url.clone();

    // A generated password, printed once on stdout.
    let (ok, stdout, stderr) = admin(
        dir.path(),
        &["create-admin", "--username", "root", "--name", "Root Admin"],
        None,
    );
    assert!(ok, "{stderr}");
    let generated = stdout.trim().to_owned();
    assert_eq!(generated.len(), 20, "{stdout}");
    assert!(stderr.contains("central administrator"), "{stderr}");
    // The username is taken now.
    let (ok, _, stderr) = admin(
        dir.path(),
        &["create-admin", "--username", "root", "--name", "Again"],
        None,
    );
    assert!(!ok && stderr.contains("USER_EXISTS"), "{stderr}");
    // A weak password from stdin is refused.
    let (ok, _, stderr) = admin(
        dir.path(),
        &[
            "create-admin",
            "--username",
            "weak",
            "--name",
            "Weak",
            "--password-stdin",
        ],
        Some("password1234\n"),
    );
    assert!(!ok && stderr.contains("PASSWORD_WEAK"), "{stderr}");

    rt.block_on(async {
        let (status, body, id) = login(&http, &url, "root", &generated).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["mustChangePassword"], true,
            "a generated password is changed first"
        );
        assert!(id.is_some());
    });

    // An office administrator with its own password.
    let pw = "copper-lantern-seventy-fjord";
    let (ok, stdout, stderr) = admin(
        dir.path(),
        &[
            "create-admin",
            "--username",
            "deputy",
            "--name",
            "Office Deputy",
            "--office",
            "UZ000100",
            "--password-stdin",
        ],
        Some(&format!("{pw}\n")),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.trim().is_empty(), "nothing to print: {stdout}");
    let session = rt.block_on(async {
        let (status, body, id) = login(&http, &url, "deputy", pw).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["mustChangePassword"], false);
        let id = id.unwrap();
        let (status, me) = whoami(&http, &url, &id).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], "deputy");
        assert_eq!(me["offices"], json!(["UZ000100"]));
        id
    });

    // A reset: a one-time password; the session ends.
    let (ok, stdout, stderr) = admin(dir.path(), &["reset-password", "deputy"], None);
    assert!(ok, "{stderr}");
    let one_time = stdout.trim().to_owned();
    assert_eq!(one_time.len(), 20);
    let (ok, _, stderr) = admin(dir.path(), &["reset-password", "nobody"], None);
    assert!(!ok && stderr.contains("no user nobody"), "{stderr}");
    rt.block_on(async {
        assert_eq!(whoami(&http, &url, &session).await.0, 401);
        assert_eq!(login(&http, &url, "deputy", pw).await.0, 401);
        let (status, body, _) = login(&http, &url, "deputy", &one_time).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["mustChangePassword"], true);

        let store = tamga_store::open(&dir.path().join("tamga.db").display().to_string())
            .await
            .unwrap();
        let log = store.audit_log(0, 100).await.unwrap();
        let by_cli: Vec<&str> = log
            .iter()
            .filter(|e| e.actor == "cli")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(
            by_cli,
            [
                "user.admin_created",
                "user.admin_created",
                "user.password_reset"
            ]
        );
    });
    drop(server);
}
