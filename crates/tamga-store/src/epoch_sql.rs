//! Epochs: numbers that say "what you cached of this has changed".
//!
//! Several tamga instances share one database. What one of them changes
//! and the others hold in memory (selectivity criteria and random
//! selection, risk profiles and the channel policy, pre-arrival
//! information) is written to the database first, then its topic's epoch
//! is bumped. Every instance polls the epochs (one small read a second)
//! and reloads a topic when its epoch moved. Epochs live in the
//! `counters` table under `epoch:<topic>`; a topic never bumped reads 0.

use async_trait::async_trait;
use sqlx::Row;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

#[async_trait]
pub trait EpochStore: Send + Sync {
    /// The current epoch of each topic, in the order asked (0 for a topic
    /// never bumped).
    async fn epochs(&self, topics: &[&str]) -> Result<Vec<i64>>;
    /// Moves a topic's epoch on; returns the new epoch.
    async fn bump_epoch(&self, topic: &str) -> Result<i64>;
}

fn key(topic: &str) -> String {
    format!("epoch:{topic}")
}

macro_rules! epoch_backend {
    ($store:ty, $read:ident, $write:ident, $sql:ident) => {
        #[async_trait]
        impl EpochStore for $store {
            async fn epochs(&self, topics: &[&str]) -> Result<Vec<i64>> {
                let mut out = Vec::with_capacity(topics.len());
                let mut c = self.$read.acquire().await?;
                for t in topics {
                    let v: Option<i64> =
                        sqlx::query(&$sql("SELECT next FROM counters WHERE name = ?"))
                            .bind(key(t))
                            .fetch_optional(&mut *c)
                            .await?
                            .map(|r| r.try_get("next"))
                            .transpose()?;
                    out.push(v.unwrap_or(0));
                }
                Ok(out)
            }

            async fn bump_epoch(&self, topic: &str) -> Result<i64> {
                Ok(sqlx::query(&$sql(
                    "INSERT INTO counters (name, next) VALUES (?, 1) \
                     ON CONFLICT (name) DO UPDATE SET next = counters.next + 1 \
                     RETURNING next",
                ))
                .bind(key(topic))
                .fetch_one(&self.$write)
                .await?
                .try_get("next")?)
            }
        }
    };
}

epoch_backend!(SqliteStore, reader, writer, sqlite_sql);
epoch_backend!(PgStore, pool, pool, pg_sql);
