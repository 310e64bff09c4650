//! The server the HTTP benches (`malformed`, `slow-clients`) run against:
//! the real `tamga serve` stack in-process on port 0, over a fresh SQLite
//! database in a temporary directory, stopped gracefully at the end.

use std::net::SocketAddr;
use std::time::Duration;

use tamga_app::{Clearance, Settings};

pub struct LocalServer {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Kept until the server has stopped.
    dir: tempfile::TempDir,
}

impl LocalServer {
    /// Starts the server with `limits`; its database lives in a temporary
    /// directory named after `prefix`.
    pub async fn start(prefix: &str, limits: tamga_http::Limits) -> Result<LocalServer, String> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let store = tamga_store::open(&dir.path().join("tamga.db").display().to_string())
            .await
            .map_err(|e| format!("cannot open the database: {e}"))?;
        tamga_app::bootstrap(&store, true)
            .await
            .map_err(|e| format!("cannot load reference data: {e}"))?;
        // Not the HS assistant's background build: it would take cores
        // from what is measured (it builds if a request asks for it).
        let settings = Settings {
            hs_build_at_start: false,
            ..Settings::default()
        };
        let clearance = Clearance::start(store, settings)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let state = tamga_http::state(clearance)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tamga_http::serve_with(
            listener,
            state,
            limits,
            async move {
                let _ = stop_rx.await;
            },
        ));
        Ok(LocalServer {
            addr,
            stop,
            task,
            dir,
        })
    }

    /// Stops the server, waiting at most `grace` for it; problems are
    /// warnings on stderr (the bench's figures are already measured).
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(());
        match tokio::time::timeout(grace, self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("warning: server error: {e}"),
            Ok(Err(e)) => eprintln!("warning: server task failed: {e}"),
            Err(_) => eprintln!("warning: the server did not stop within {grace:?}"),
        }
        drop(self.dir);
    }
}
