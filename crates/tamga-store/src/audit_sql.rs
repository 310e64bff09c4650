//! The audit log as [`crate::Store`] writes and pages it (`audit_log`:
//! who did what, when, with its JSON payload, in id order). Entries
//! written inside another act's transaction go through
//! `records::Records::audit`; [`crate::PeopleStore::audit_entries`]
//! searches them.
//!
//! The SQL is written once, in the `audit_backend!` macro (`?`
//! placeholders, rewritten to `$n` for PostgreSQL), which gives each
//! backend a module of functions over its store (`sqlite`, `pg`);
//! `sqlite.rs` and `postgres.rs` implement the [`crate::Store`] methods
//! by calling them.

use time::OffsetDateTime;

use crate::codec::{self, nanos, to_json};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{AuditEntry, Result};

macro_rules! audit_backend {
    ($mod:ident, $store:ty, $read:ident, $write:ident, $sql:path) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            /// Returns the new entry's id.
            pub(crate) async fn append_audit(
                s: &$store,
                actor: &str,
                action: &str,
                at: OffsetDateTime,
                payload: &serde_json::Value,
            ) -> Result<i64> {
                let id: i64 = sqlx::query_scalar(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?) RETURNING id",
                ))
                .bind(actor)
                .bind(action)
                .bind(nanos(at)?)
                .bind(to_json(payload)?)
                .fetch_one(&s.$write)
                .await?;
                Ok(id)
            }

            pub(crate) async fn audit_log(
                s: &$store,
                after: i64,
                limit: u32,
            ) -> Result<Vec<AuditEntry>> {
                sqlx::query(&$sql(
                    "SELECT id, actor, action, at, payload FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
                ))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&s.$read)
                .await?
                .iter()
                .map(codec::audit)
                .collect()
            }
        }
    };
}

audit_backend!(sqlite, SqliteStore, reader, writer, sqlite_sql);
audit_backend!(pg, PgStore, pool, pool, pg_sql);
