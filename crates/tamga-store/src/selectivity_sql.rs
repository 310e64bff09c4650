//! Selectivity as [`crate::Store`] keeps it: the criteria
//! (`selectivity_criteria`, each stored as its JSON by id) and the random
//! selection rate (the `settings` row `random_selection`).
//! Risk profiles and the channel policy are [`crate::RiskStore`]'s.
//!
//! The SQL is written once, in the `selectivity_backend!` macro (`?`
//! placeholders, rewritten to `$n` for PostgreSQL), which gives each
//! backend a module of functions over its store (`sqlite`, `pg`);
//! `sqlite.rs` and `postgres.rs` implement the [`crate::Store`] methods
//! by calling them.

use tamga_core::risk::{RandomSelection, SelectivityCriterion};

use crate::codec::{self, from_json, to_json, RANDOM_SELECTION_KEY};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

macro_rules! selectivity_backend {
    ($mod:ident, $store:ty, $read:ident, $write:ident, $sql:path) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            pub(crate) async fn put_criterion(s: &$store, c: &SelectivityCriterion) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO selectivity_criteria (id, criterion) VALUES (?, ?) \
                     ON CONFLICT (id) DO UPDATE SET criterion = excluded.criterion",
                ))
                .bind(&c.id)
                .bind(to_json(c)?)
                .execute(&s.$write)
                .await?;
                Ok(())
            }

            pub(crate) async fn criteria(s: &$store) -> Result<Vec<SelectivityCriterion>> {
                sqlx::query("SELECT criterion FROM selectivity_criteria ORDER BY id")
                    .fetch_all(&s.$read)
                    .await?
                    .iter()
                    .map(codec::criterion)
                    .collect()
            }

            pub(crate) async fn random_selection(s: &$store) -> Result<Option<RandomSelection>> {
                let v: Option<String> =
                    sqlx::query_scalar(&$sql("SELECT value FROM settings WHERE key = ?"))
                        .bind(RANDOM_SELECTION_KEY)
                        .fetch_optional(&s.$read)
                        .await?;
                v.map(|v| from_json("random selection", &v)).transpose()
            }

            pub(crate) async fn set_random_selection(
                s: &$store,
                r: &RandomSelection,
            ) -> Result<()> {
                sqlx::query(&$sql("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"))
                    .bind(RANDOM_SELECTION_KEY)
                    .bind(to_json(r)?)
                    .execute(&s.$write)
                    .await?;
                Ok(())
            }
        }
    };
}

selectivity_backend!(sqlite, SqliteStore, reader, writer, sqlite_sql);
selectivity_backend!(pg, PgStore, pool, pool, pg_sql);
