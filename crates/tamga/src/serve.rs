//! `tamga serve`.

use std::net::SocketAddr;
use std::time::Duration;

use tamga_app::{Clearance, Settings};

use crate::DbArgs;

/// Connection and request limits of `tamga serve` (each also an
/// environment variable); unset ones keep [`tamga_http::Limits`]'
/// defaults. They hold per instance (in memory).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// Seconds a client has to send a request's head; also how long a
    /// kept-alive connection may stay idle [default: 10].
    #[arg(long, env = "TAMGA_HEADER_READ_TIMEOUT", value_name = "SECS")]
    pub header_read_timeout: Option<f64>,
    /// Seconds a client has to send a request's whole body; slower bodies
    /// are cut with 408 [default: 30].
    #[arg(long, env = "TAMGA_BODY_TIMEOUT", value_name = "SECS")]
    pub body_timeout: Option<f64>,
    /// Requests handled at once; more wait [default: 512].
    #[arg(long, env = "TAMGA_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// MiB of request bodies held in memory at once [default: 256].
    #[arg(long, env = "TAMGA_BODY_MEMORY_MIB", value_name = "MIB")]
    pub body_memory_mib: Option<usize>,
    /// Open connections from one client address; more are refused
    /// [default: 4096; `tamga simulate` may hold 2,000 from one address].
    /// Behind a reverse proxy every client has the proxy's address.
    #[arg(long, env = "TAMGA_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Requests a second from one client address, 0 for no limit
    /// [default: 4000].
    #[arg(long, env = "TAMGA_ADDRESS_RATE")]
    pub address_rate: Option<u32>,
    /// Burst above the address rate [default: 8000].
    #[arg(long, env = "TAMGA_ADDRESS_BURST")]
    pub address_burst: Option<u32>,
    /// Requests a second with one API token, 0 for no limit [default: 2000].
    #[arg(long, env = "TAMGA_TOKEN_RATE")]
    pub token_rate: Option<u32>,
    /// Burst above the token rate [default: 4000].
    #[arg(long, env = "TAMGA_TOKEN_BURST")]
    pub token_burst: Option<u32>,
    /// Requests a second from one client address to the HS classification
    /// assistant (its API and its page), 0 for no limit [default: 10].
    #[arg(long, env = "TAMGA_HS_RATE")]
    pub hs_rate: Option<u32>,
    /// Burst above the HS assistant's rate [default: 40].
    #[arg(long, env = "TAMGA_HS_BURST")]
    pub hs_burst: Option<u32>,
}

fn seconds(name: &str, v: f64) -> Result<Duration, String> {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "--{name} must be a number of seconds > 0 and at most 86400 (got {v})"
        ))
    }
}

impl LimitArgs {
    pub fn limits(&self) -> Result<tamga_http::Limits, String> {
        let mut l = tamga_http::Limits::default();
        if let Some(v) = self.header_read_timeout {
            l.header_read_timeout = seconds("header-read-timeout", v)?;
        }
        if let Some(v) = self.body_timeout {
            l.body_timeout = seconds("body-timeout", v)?;
        }
        if let Some(v) = self.max_in_flight {
            l.max_in_flight = v.max(1);
        }
        if let Some(v) = self.body_memory_mib {
            l.body_memory = v.max(1).saturating_mul(1024 * 1024);
        }
        if let Some(v) = self.max_connections_per_address {
            l.max_connections_per_address = v.max(1);
        }
        if let Some(v) = self.address_rate {
            l.address_rate = v;
        }
        if let Some(v) = self.address_burst {
            l.address_burst = v;
        }
        if let Some(v) = self.token_rate {
            l.token_rate = v;
        }
        if let Some(v) = self.token_burst {
            l.token_burst = v;
        }
        if let Some(v) = self.hs_rate {
            l.hs_rate = v;
        }
        if let Some(v) = self.hs_burst {
            l.hs_burst = v;
        }
        Ok(l)
    }
}

/// Opens the store, loads reference data (and the demo on an empty
/// database) and returns the started service.
pub async fn open(
    db: &DbArgs,
    with_demo: bool,
    settings: Settings,
) -> Result<std::sync::Arc<Clearance>, String> {
    if db.database_url.is_none() {
        std::fs::create_dir_all(&db.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                db.data_dir.display()
            )
        })?;
    }
    let url = db.url();
    let store = tamga_store::open(&url)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", redact(&url)))?;
    let (report, demo) = tamga_app::bootstrap(&store, with_demo)
        .await
        .map_err(|e| format!("cannot load reference data: {e}"))?;
    tracing::info!(
        backend = store.backend(),
        changed = report.total(),
        "reference data loaded"
    );
    if demo.is_some() {
        // The demo officer works the demo office's inspection tasks.
        tamga_app::demo::register_demo_inspector(store.as_ref())
            .await
            .map_err(|e| format!("cannot register the demo inspector: {e}"))?;
        eprintln!("{}", crate::tour::demo_text());
    }
    Clearance::start(store, settings)
        .await
        .map_err(|e| format!("cannot start: {e}"))
}

/// Hides a password in a database URL (parsed as a URL, so a `@` or `:`
/// in the password cannot move where it ends); a file path is shown as it
/// is, a URL that does not parse not at all.
fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => match url.set_password(Some("***")) {
            Ok(()) => url.into(),
            Err(()) => "(database URL not shown)".into(),
        },
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => raw.to_owned(),
        Err(_) => "(database URL not shown: it does not parse)".into(),
    }
}

pub async fn run(
    listen: SocketAddr,
    db: DbArgs,
    limits: LimitArgs,
    with_demo: bool,
    allow_loopback_webhooks: bool,
    secure_cookies: bool,
) -> Result<(), String> {
    let limits = limits.limits()?;
    if allow_loopback_webhooks {
        tracing::warn!(
            "webhooks may reach loopback addresses (--allow-loopback-webhooks): local testing only"
        );
    }
    let settings = Settings {
        webhook_allow_loopback: allow_loopback_webhooks,
        secure_cookies,
        ..Settings::default()
    };
    // The port first: a port in use must fail before a database is created
    // and demo credentials are printed.
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        format!("cannot listen on {listen}: {e} (choose another with --listen or TAMGA_LISTEN)")
    })?;
    let clearance = open(&db, with_demo, settings).await?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "tamga listening on http://{addr} ({}); OpenAPI at http://{addr}/api/v1/openapi.json\n\
         (for `tamga lodge` and `tamga simulate`: export TAMGA_TARGET=http://{addr})",
        clearance.store().backend()
    );
    let state = tamga_http::state(clearance)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    tamga_http::serve_with(listener, state, limits, shutdown())
        .await
        .map_err(|e| format!("server error: {e}"))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn unset_limits_keep_the_defaults_and_set_ones_apply() {
        let d = tamga_http::Limits::default();
        let l = super::LimitArgs::default().limits().unwrap();
        assert_eq!(
            (l.header_read_timeout, l.token_rate, l.max_in_flight),
            (d.header_read_timeout, d.token_rate, d.max_in_flight)
        );
        let l = super::LimitArgs {
            body_timeout: Some(1.5),
            token_rate: Some(0),
            body_memory_mib: Some(8),
            ..Default::default()
        }
        .limits()
        .unwrap();
        assert_eq!(l.body_timeout, std::time::Duration::from_millis(1500));
        assert_eq!((l.token_rate, l.body_memory), (0, 8 << 20));
        assert!(super::LimitArgs {
            header_read_timeout: Some(0.0),
            ..Default::default()
        }
        .limits()
        .is_err());
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            super::redact("./tamga-data/tamga.db"),
            "./tamga-data/tamga.db"
        );
        assert_eq!(super::redact("/var/lib/a@b.db"), "/var/lib/a@b.db");
        assert_eq!(super::redact("C:\\tamga\\tamga.db"), "C:\\tamga\\tamga.db");
        // The password ends at the last `@` of the authority.
        assert_eq!(
            super::redact("postgres://u:p@ss:w@h:5432/db?sslmode=disable"),
            "postgres://u:***@h:5432/db?sslmode=disable"
        );
        assert_eq!(
            super::redact("postgresql://u:p%40ss@h/db"),
            "postgresql://u:***@h/db"
        );
        // Not a URL: nothing of it, the password included, is shown.
        let shown = super::redact("postgres://u:secret@h:99999/db");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
