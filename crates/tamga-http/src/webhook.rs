//! Push delivery of notifications to traders' webhooks (the CDS model:
//! pull is always available; push is a convenience on top).
//!
//! One task per trader with a webhook: it waits for commits, reads the
//! trader's notifications after its delivery cursor and POSTs them as
//! `{"notifications": [...]}`. A failed POST is retried with exponential
//! backoff a bounded number of times; then the batch is skipped (it stays
//! available by pull) and the cursor moves on. A slow or dead endpoint only
//! ever delays its own trader's deliveries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use tamga_app::Clearance;
use tamga_core::codes::Eori;

pub const MAX_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const BATCH: u32 = 100;

pub struct Dispatcher {
    changed: Arc<Notify>,
}

impl Dispatcher {
    pub fn start(clearance: Arc<Clearance>) -> Dispatcher {
        let changed = Arc::new(Notify::new());
        tokio::spawn(supervise(clearance, changed.clone()));
        Dispatcher { changed }
    }

    /// Tells the dispatcher webhooks were added, changed or removed.
    pub fn notify_changed(&self) {
        self.changed.notify_one();
    }
}

async fn supervise(clearance: Arc<Clearance>, changed: Arc<Notify>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery disabled: no HTTP client");
            return;
        }
    };
    // operator -> (url, task)
    let mut running: HashMap<Eori, (String, tokio::task::JoinHandle<()>)> = HashMap::new();
    loop {
        match clearance.store().webhooks().await {
            Ok(hooks) => {
                let current: HashMap<Eori, (String, i64)> = hooks
                    .into_iter()
                    .map(|(op, url, cursor)| (op, (url, cursor)))
                    .collect();
                running.retain(|op, (url, task)| {
                    let keep =
                        current.get(op).is_some_and(|(u, _)| u == url) && !task.is_finished();
                    if !keep {
                        task.abort();
                    }
                    keep
                });
                for (op, (url, cursor)) in current {
                    if running.contains_key(&op) {
                        continue;
                    }
                    let task = tokio::spawn(deliver(
                        clearance.clone(),
                        client.clone(),
                        op.clone(),
                        url.clone(),
                        cursor,
                    ));
                    running.insert(op, (url, task));
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read webhooks"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), changed.notified()).await;
    }
}

async fn deliver(
    clearance: Arc<Clearance>,
    client: reqwest::Client,
    op: Eori,
    url: String,
    mut cursor: i64,
) {
    let mut commits = clearance.commits();
    loop {
        let batch = match clearance.store().notifications(&op, cursor, BATCH).await {
            // As the trader may see them (no risk inputs).
            Ok(b) => b
                .into_iter()
                .map(tamga_app::disclosure::for_operator)
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(error = %e, operator = %op, "could not read notifications");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Some(last) = batch.last().map(|n| n.id) else {
            // Nothing new: wait for the next commit (or poll now and then).
            let _ = tokio::time::timeout(Duration::from_secs(2), commits.changed()).await;
            continue;
        };
        let body = serde_json::json!({ "notifications": batch });
        let mut delay = FIRST_BACKOFF;
        let mut delivered = false;
        for attempt in 1..=MAX_ATTEMPTS {
            match client.post(&url).json(&body).send().await {
                Ok(r) if r.status().is_success() => {
                    delivered = true;
                    break;
                }
                Ok(r) => {
                    tracing::debug!(operator = %op, status = %r.status(), attempt, "webhook refused")
                }
                Err(e) => {
                    tracing::debug!(operator = %op, error = %e, attempt, "webhook unreachable")
                }
            }
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
        if !delivered {
            tracing::warn!(operator = %op, url = %url, up_to = last, "webhook failed {MAX_ATTEMPTS} times; skipped (still available by pull)");
        }
        cursor = last;
        if let Err(e) = clearance.store().set_webhook_cursor(&op, cursor).await {
            tracing::warn!(error = %e, operator = %op, "could not save webhook cursor");
        }
    }
}
