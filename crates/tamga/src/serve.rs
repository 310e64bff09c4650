//! `tamga serve`.

use std::net::SocketAddr;

use tamga_app::{Clearance, Settings};

use crate::DbArgs;

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
        eprintln!("{}", crate::tour::demo_text());
    }
    Clearance::start(store, settings)
        .await
        .map_err(|e| format!("cannot start: {e}"))
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn run(
    listen: SocketAddr,
    db: DbArgs,
    with_demo: bool,
    allow_loopback_webhooks: bool,
) -> Result<(), String> {
    if allow_loopback_webhooks {
        tracing::warn!(
            "webhooks may reach loopback addresses (--allow-loopback-webhooks): local testing only"
        );
    }
    let settings = Settings {
        webhook_allow_loopback: allow_loopback_webhooks,
        ..Settings::default()
    };
    let clearance = open(&db, with_demo, settings).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "tamga listening on http://{addr} ({}); OpenAPI at http://{addr}/api/v1/openapi.json",
        clearance.store().backend()
    );
    let state = tamga_http::state(clearance)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    tamga_http::serve(listener, state, shutdown())
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
    }
}
