//! Push delivery of notifications to traders' webhooks (the CDS model:
//! pull is always available; push is a convenience on top).
//!
//! One task per trader with a webhook: it waits for commits, reads the
//! trader's notifications after its delivery cursor and POSTs them as
//! `{"notifications": [...]}`. A notification about a declaration lodged
//! as WCO DEC-DMS XML (or the rejection of such a lodging) is POSTed alone
//! as its DMS response document instead (`Content-Type: application/xml`,
//! with [`NOTIFICATION_ID_HEADER`] and [`NOTIFICATION_KIND_HEADER`];
//! `tamga_app::Clearance::push_as_dms`), in its place in the order. A
//! failed POST is retried with exponential backoff a bounded number of
//! times; then it is skipped (it stays available by pull) and the cursor
//! moves on. A slow or dead endpoint only ever delays its own trader's
//! deliveries.
//!
//! Deliveries reach public addresses only (issue 13, finding 5;
//! `tamga_app::webhooks`): before every attempt the stored URL is checked
//! again, and a host name is resolved by [`CheckedResolver`], which fails
//! unless every address it resolves to is allowed; the connection goes to
//! those checked addresses, so a name cannot be re-pointed (DNS rebinding)
//! between the check and the connection. Redirects are not followed,
//! proxies from the environment are not used. Every POST, JSON or XML, is
//! signed over its exact body bytes
//! (`X-Tamga-Timestamp`, `X-Tamga-Webhook-Signature`) with the webhook's
//! secret, read from the store for each batch (so a rotated secret, set on
//! another instance, is used at once); a webhook without a secret (set
//! before signing existed) gets nothing pushed until it is set again.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Name, Resolve, Resolving};
use time::OffsetDateTime;
use tokio::sync::Notify;

use tamga_app::webhooks::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use tamga_app::Clearance;
use tamga_core::codes::Eori;

pub const MAX_ATTEMPTS: u32 = 5;
/// On a DMS delivery: the notification's id (the pull cursor).
pub const NOTIFICATION_ID_HEADER: &str = "X-Tamga-Notification-Id";
/// On a DMS delivery: tamga's kind of the notification (`registered` …).
pub const NOTIFICATION_KIND_HEADER: &str = "X-Tamga-Notification-Kind";
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

/// Resolves a webhook's host name and refuses the resolution unless every
/// address is allowed (`tamga_app::webhooks::forbidden_ip`): the client
/// then connects only to addresses this checked.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    pub allow_loopback: bool,
}

impl CheckedResolver {
    /// The checked addresses of `host` (port 0: the client sets the URL's).
    pub async fn resolve_host(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        if let Some(why) = webhooks::forbidden_name(host, self.allow_loopback) {
            return Err(format!("{host} is {why}"));
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        self.check_resolved(host, &addrs)?;
        Ok(addrs)
    }

    /// Every address a name resolved to must be allowed (one internal
    /// address among public ones is enough to refuse).
    pub fn check_resolved(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), String> {
        if addrs.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        for a in addrs {
            if let Some(why) = webhooks::forbidden_ip(a.ip(), self.allow_loopback) {
                return Err(format!("{host} resolves to {}, {why}", a.ip()));
            }
        }
        Ok(())
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = *self;
        Box::pin(async move {
            let addrs = this.resolve_host(name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}

/// The delivery client: checked resolution, no redirects, no proxy.
pub fn client(allow_loopback: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { allow_loopback }))
        .build()
}

async fn supervise(clearance: Arc<Clearance>, changed: Arc<Notify>) {
    let client = match client(clearance.settings().webhook_allow_loopback) {
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
        let secret = match clearance.store().webhook_secret(&op).await {
            Ok(Some(secret)) => secret,
            Ok(None) => {
                tracing::warn!(operator = %op, "webhook has no signing secret (set before signing existed): nothing is pushed until it is set again");
                tokio::time::sleep(Duration::from_secs(60)).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, operator = %op, "could not read the webhook secret");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Each notification in its language (decided from the database,
        // like every instance would): DMS XML one by one for declarations
        // lodged as DEC-DMS XML, JSON in batches for the rest, in order.
        let deliveries = match prepare(&clearance, batch).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, operator = %op, "could not prepare notifications");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let allow_loopback = clearance.settings().webhook_allow_loopback;
        let mut delivered = true;
        for d in &deliveries {
            delivered &= post(&client, &url, &secret, allow_loopback, &op, d).await;
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

/// One POST: a JSON batch, or one notification as a DMS document.
enum Delivery {
    Json(Vec<u8>),
    Dms {
        id: i64,
        kind: &'static str,
        body: Vec<u8>,
    },
}

/// The batch as POSTs, in order: runs of JSON notifications together,
/// each DMS notification alone.
async fn prepare(
    clearance: &Clearance,
    batch: Vec<tamga_store::Notification>,
) -> Result<Vec<Delivery>, String> {
    let mut out = Vec::new();
    let mut ctx = tamga_app::clearance::DmsContext::default();
    let mut run: Vec<tamga_store::Notification> = Vec::new();
    let json = |run: &mut Vec<tamga_store::Notification>| -> Result<Delivery, String> {
        let body = serde_json::to_vec(&serde_json::json!({ "notifications": run }))
            .map_err(|e| e.to_string())?;
        run.clear();
        Ok(Delivery::Json(body))
    };
    for n in batch {
        let dms = if clearance
            .push_as_dms(&n, &mut ctx)
            .await
            .map_err(|e| e.to_string())?
        {
            clearance
                .dms_document(&n, &mut ctx)
                .await
                .map_err(|e| e.to_string())?
        } else {
            None
        };
        match dms {
            Some(doc) => {
                if !run.is_empty() {
                    out.push(json(&mut run)?);
                }
                out.push(Delivery::Dms {
                    id: n.id,
                    kind: n.kind.as_str(),
                    body: doc.into_bytes(),
                });
            }
            None => run.push(n),
        }
    }
    if !run.is_empty() {
        out.push(json(&mut run)?);
    }
    Ok(out)
}

/// POSTs one delivery, signed, retrying with backoff; whether it was
/// accepted.
async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    allow_loopback: bool,
    op: &Eori,
    d: &Delivery,
) -> bool {
    let (content_type, body) = match d {
        Delivery::Json(b) => ("application/json", b),
        Delivery::Dms { body, .. } => ("application/xml; charset=utf-8", body),
    };
    let mut delay = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        // The destination is checked again at every attempt: an
        // address literal here, a name by the client's resolver.
        if let Err(e) = webhooks::check_url(url, allow_loopback) {
            tracing::warn!(operator = %op, url = %url, error = %e, "webhook destination refused; not delivered");
            return false;
        }
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let mut request = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                webhooks::signature(secret, timestamp, body),
            );
        if let Delivery::Dms { id, kind, .. } = d {
            request = request
                .header(NOTIFICATION_ID_HEADER, id.to_string())
                .header(NOTIFICATION_KIND_HEADER, *kind);
        }
        match request.body(body.clone()).send().await {
            Ok(r) if r.status().is_success() => return true,
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
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        // `localhost` resolves to loopback (the hosts file, offline): a name
        // stored before the check, or re-pointed later, is refused.
        let strict = CheckedResolver {
            allow_loopback: false,
        };
        let e = strict.resolve_host("localhost").await.unwrap_err();
        assert!(e.contains("localhost"), "{e}");
        let e = strict.resolve_host("127.0.0.1").await.unwrap_err();
        assert!(e.contains("loopback"), "{e}");
        let e = strict.resolve_host("169.254.169.254").await.unwrap_err();
        assert!(e.contains("link-local"), "{e}");
        // The check on what a name resolved to, whatever the name: what
        // `localhost` resolves to here, a public address mixed with an
        // internal one, public ones.
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host(("localhost", 0))
            .await
            .unwrap()
            .collect();
        assert!(!resolved.is_empty());
        assert!(strict.check_resolved("rebound.example", &resolved).is_err());
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let metadata: SocketAddr = "169.254.169.254:0".parse().unwrap();
        assert!(strict
            .check_resolved("mixed.example", &[public, metadata])
            .is_err());
        assert!(strict.check_resolved("public.example", &[public]).is_ok());
        assert!(strict.check_resolved("none.example", &[]).is_err());
        let loose = CheckedResolver {
            allow_loopback: true,
        };
        let addrs = loose.resolve_host("127.0.0.1").await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
        assert!(loose.resolve_host("10.0.0.1").await.is_err());
    }

    #[tokio::test]
    async fn the_client_refuses_a_name_that_resolves_to_loopback() {
        // A receiver on loopback; the URL names it by a name that resolves
        // there. The strict client never connects.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/hook");
        let e = client(false)
            .unwrap()
            .post(&url)
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(e.is_connect() || e.is_request(), "{e:?}");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the strict client connected");
    }
}
