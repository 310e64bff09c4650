//! The identity epoch: how a revocation reaches every instance.
//!
//! State lives in the database, and several instances serve one database.
//! Each caches what it resolved (API tokens in `tamga-http`, signing keys
//! in [`crate::Clearance`]), so a token or key revoked through one instance
//! must stop working on the others too. Every revocation (token, key,
//! and the identity changes of issue 15: sessions, users) bumps the
//! `identity_epoch` counter in the same transaction. [`watch`] polls it
//! every [`POLL`] on each instance; when it moved, the instance forgets
//! its cached signing keys at once and tells its other caches through the
//! returned channel (the HTTP layer clears its token cache). So a
//! revocation holds everywhere within about [`POLL`], and at once on the
//! instance that made it (which also drops the entries it knows of).
//!
//! A poll is one primary-key read of one row; a failed poll is logged and
//! retried at the next tick (caches still expire by their own time to
//! live meanwhile).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::Clearance;

/// How often each instance reads the epoch.
pub const POLL: Duration = Duration::from_secs(1);

/// Starts watching the epoch for `clearance`'s store; the receiver sees
/// each new value (its first value is the epoch at start, or 0 if it
/// could not be read). The task ends when the service is dropped or every
/// receiver is.
pub async fn watch(clearance: &Arc<Clearance>) -> watch::Receiver<i64> {
    watch_every(clearance, POLL).await
}

/// [`watch`] with another poll interval.
pub async fn watch_every(clearance: &Arc<Clearance>, every: Duration) -> watch::Receiver<i64> {
    let first = clearance.store().identity_epoch().await.unwrap_or(0);
    let (tx, rx) = watch::channel(first);
    let weak = Arc::downgrade(clearance);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        let mut seen = first;
        loop {
            tick.tick().await;
            if tx.is_closed() {
                return;
            }
            let Some(c) = weak.upgrade() else { return };
            match c.store().identity_epoch().await {
                Ok(now) if now != seen => {
                    seen = now;
                    c.forget_signing_keys();
                    tx.send_replace(now);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the identity epoch"),
            }
        }
    });
    rx
}
