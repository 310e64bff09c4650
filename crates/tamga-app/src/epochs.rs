//! What one instance changes reaches every instance within a second.
//!
//! tamga runs as several instances on one database. Each keeps in memory,
//! for speed, what lodging reads on every declaration: the officers'
//! selectivity criteria and random selection, the tariff in use, the
//! active risk profiles and the channel policy, the pre-arrival index,
//! and the trader digital twin the operations pump keeps. A change is stored first, then its topic's epoch is bumped
//! ([`tamga_store::EpochStore`]); the instance that made it installs it at
//! once, and a watcher on every instance ([`spawn_watch`]) reads the
//! epochs every [`POLL`] and reloads a topic whose epoch moved.
//!
//! Invariant: nothing lodging depends on is changed only in one process's
//! memory; a change is visible to every instance after at most about
//! [`POLL`] plus one reload.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tamga_store::Store;

/// How often each instance reads the epochs.
pub const POLL: Duration = Duration::from_secs(1);

/// Officers' selectivity criteria, random selection, the draw secret.
pub const SELECTIVITY: &str = "selectivity";
/// The tariff in use.
pub const TARIFF: &str = "tariff";
/// Active risk profiles and the channel policy.
pub const RISK: &str = "risk";
/// Pre-arrival information submitted.
pub const PREARRIVAL: &str = "prearrival";
/// What the operations pump derived (trader metrics and categories).
pub const OPS: &str = "ops";

/// Reloads one topic; called with the topic's name.
pub type Reload =
    Box<dyn Fn(&'static str) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Watches `topics` while `alive` says so: every [`POLL`], reads their
/// epochs and calls `reload` for each that moved since the last look
/// (the epochs at start are taken as seen: the caller loaded everything
/// then). A reload that fails (returns false) is tried again at the next
/// look.
pub fn spawn_watch(
    store: Arc<dyn Store>,
    topics: &'static [&'static str],
    alive: impl Fn() -> bool + Send + 'static,
    reload: Reload,
) {
    tokio::spawn(async move {
        let mut seen = match store.epochs(topics).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the epochs; watching from 0");
                vec![0; topics.len()]
            }
        };
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if !alive() {
                return;
            }
            let now = match store.epochs(topics).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the epochs");
                    continue;
                }
            };
            for (i, topic) in topics.iter().enumerate() {
                if now[i] != seen[i] {
                    tracing::debug!(
                        topic,
                        epoch = now[i],
                        "reloading what another instance changed"
                    );
                    if reload(topic).await {
                        seen[i] = now[i];
                    }
                }
            }
        }
    });
}

/// Bumps `topic` after a change was stored; a failure is logged, not
/// returned: the change is stored and in force on this instance, and the
/// others pick it up at the next bump.
pub async fn bump(store: &dyn Store, topic: &str) {
    if let Err(e) = store.bump_epoch(topic).await {
        tracing::warn!(topic, error = %e, "could not bump the epoch; other instances see the change later");
    }
}
