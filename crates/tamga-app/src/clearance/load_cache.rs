//! Values read from the store on first use, by key, over
//! [`quick_cache`].
//!
//! Invariants:
//! - Loads of one key go one at a time: when many requests miss a cold
//!   cache at once (a restart under load), one reads the store and the
//!   others wait for its answer, instead of each reading the same rows
//!   (and, for a trader's first lodging, each opening its cash account).
//! - A value read while its key was [invalidated](LoadCache::invalidate)
//!   is not kept: invalidating removes the load's placeholder, so its
//!   insertion is refused, and the value cannot hide the change that
//!   invalidated it.
//! - A value that `keep` refuses is not kept: the next request (a waiting
//!   one too) loads again.
//!
//! - A value lives [`TIME_TO_LIVE`] at most: with several instances on one
//!   database, a change another instance made (a signing key it
//!   registered, an account it opened) is seen here within that time even
//!   though only the instance that made it invalidates its own cache.
//!   Past [`CAPACITY`] keys the least used are forgotten and read again
//!   when next needed.

use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use crate::error::AppError;

/// The most keys a cache holds; past it the least used are forgotten.
pub(super) const CAPACITY: usize = 100_000;

/// How long a loaded value is used before it is read again.
pub(super) const TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// Values by key, loaded on first use (see the module doc).
pub(super) struct LoadCache<K, V> {
    cache: Cache<K, (Instant, Arc<V>)>,
    ttl: Duration,
}

impl<K: Hash + Eq + Clone, V> LoadCache<K, V> {
    pub(super) fn new() -> Self {
        Self::with_ttl(TIME_TO_LIVE)
    }

    pub(super) fn with_ttl(ttl: Duration) -> Self {
        LoadCache {
            cache: Cache::new(CAPACITY),
            ttl,
        }
    }

    /// The value held for `key`, without loading.
    #[cfg(test)]
    pub(super) fn cached(&self, key: &K) -> Option<Arc<V>> {
        self.cache.peek(key).map(|(_, v)| v)
    }

    /// The cached value, or the one `load` gives (kept when `keep` says so).
    pub(super) async fn get_or_load<F>(
        &self,
        key: &K,
        load: F,
        keep: fn(&V) -> bool,
    ) -> Result<Arc<V>, AppError>
    where
        F: std::future::Future<Output = Result<V, AppError>>,
    {
        let placeholder = loop {
            match self.cache.get_value_or_guard_async(key).await {
                Ok((at, v)) if at.elapsed() < self.ttl => return Ok(v),
                // Expired: forget it and take the load's place.
                Ok(_) => {
                    self.cache.remove(key);
                }
                Err(placeholder) => break placeholder,
            }
        };
        // Dropping the placeholder without a value (an error, or a value
        // not kept) lets the next waiter load.
        let v = Arc::new(load.await?);
        if keep(&v) {
            // Refused when the key was invalidated meanwhile.
            let _ = placeholder.insert((Instant::now(), v.clone()));
        }
        Ok(v)
    }

    /// Forgets every value (and every load in progress: their values are
    /// not kept), e.g. when the identity epoch moved.
    pub(super) fn clear(&self) {
        self.cache.clear();
    }

    /// Forgets the key's value (and any load in progress) after a change
    /// in the store.
    pub(super) fn invalidate(&self, key: &K) {
        self.cache.remove(key);
    }
}
