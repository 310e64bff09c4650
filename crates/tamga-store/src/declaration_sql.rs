//! Declarations as [`crate::Store`] reads them: one by MRN or by
//! (declarant, LRN), a filtered list newest first, a declaration's events,
//! the count; and the named counters MRNs are numbered from
//! ([`crate::Store::reserve_sequence`]).
//!
//! The SQL is written once, in the `declaration_backend!` macro (`?`
//! placeholders, rewritten to `$n` for PostgreSQL), which gives each
//! backend a module of functions over its store (`sqlite`, `pg`);
//! `sqlite.rs` and `postgres.rs` implement the [`crate::Store`] methods
//! by calling them. Only the list's filters differ: a list of bound
//! values on SQLite, one bound array on PostgreSQL. The group commit that
//! writes declarations stays in each backend's file: its statements
//! differ (multi-row `VALUES` on SQLite, `unnest`ed arrays on
//! PostgreSQL).

use sqlx::{Postgres, QueryBuilder, Row, Sqlite};

use tamga_core::codes::{Eori, Lrn, Mrn};
use tamga_core::lifecycle::Event;

use crate::codec::{self, DECLARATION_COLUMNS, EVENT_COLUMNS};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{DeclarationQuery, DeclarationRecord, Result, StoreError};

/// The list's other filters, after a first condition: SQLite binds each
/// office and state.
fn sqlite_filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, q: &'a DeclarationQuery) {
    if let Some(offices) = &q.offices {
        qb.push(" AND office IN (");
        let mut sep = qb.separated(", ");
        for o in offices {
            sep.push_bind(o.as_str());
        }
        qb.push(")");
    }
    if let Some(states) = &q.states {
        qb.push(" AND state IN (");
        let mut sep = qb.separated(", ");
        for s in states {
            sep.push_bind(s.as_str());
        }
        qb.push(")");
    }
    if let Some(m) = &q.before {
        qb.push(" AND id < (SELECT id FROM declarations WHERE mrn = ")
            .push_bind(m.as_str())
            .push(")");
    }
}

/// The list's other filters, after a first condition: PostgreSQL binds
/// the offices and the states as one array each.
fn pg_filters<'a>(qb: &mut QueryBuilder<'a, Postgres>, q: &'a DeclarationQuery) {
    if let Some(offices) = &q.offices {
        qb.push(" AND office = ANY(")
            .push_bind(offices.iter().map(|o| o.as_str()).collect::<Vec<_>>())
            .push(")");
    }
    if let Some(states) = &q.states {
        qb.push(" AND state = ANY(")
            .push_bind(states.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            .push(")");
    }
    if let Some(m) = &q.before {
        qb.push(" AND id < (SELECT id FROM declarations WHERE mrn = ")
            .push_bind(m.as_str())
            .push(")");
    }
}

/// `$db` and `$filters` build the list's statement; `$first` and
/// `$second` name its two derived tables (PostgreSQL requires a name,
/// SQLite's statement has none).
macro_rules! declaration_backend {
    (
        $mod:ident, $store:ty, $read:ident, $write:ident, $sql:path,
        $db:ty, $filters:path, $first:literal, $second:literal
    ) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            pub(crate) async fn reserve_sequence(s: &$store, name: &str, n: u64) -> Result<u64> {
                let n = i64::try_from(n)
                    .map_err(|_| StoreError::Corrupt(format!("cannot reserve {n} values")))?;
                let next: i64 = sqlx::query(&$sql(
                    "INSERT INTO counters (name, next) VALUES (?, 1 + ?) \
                     ON CONFLICT (name) DO UPDATE SET next = counters.next + excluded.next - 1 \
                     RETURNING next",
                ))
                .bind(name)
                .bind(n)
                .fetch_one(&s.$write)
                .await?
                .try_get("next")?;
                Ok((next - n) as u64)
            }

            pub(crate) async fn declaration(
                s: &$store,
                mrn: &Mrn,
            ) -> Result<Option<DeclarationRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE mrn = ?"
                )))
                .bind(mrn.as_str())
                .fetch_optional(&s.$read)
                .await?
                .map(|r| codec::declaration(&r))
                .transpose()
            }

            pub(crate) async fn declaration_by_lrn(
                s: &$store,
                declarant: &Eori,
                lrn: &Lrn,
            ) -> Result<Option<DeclarationRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE declarant = ? AND lrn = ?"
                )))
                .bind(declarant.as_str())
                .bind(lrn.as_str())
                .fetch_optional(&s.$read)
                .await?
                .map(|r| codec::declaration(&r))
                .transpose()
            }

            pub(crate) async fn declarations(
                s: &$store,
                q: &DeclarationQuery,
            ) -> Result<Vec<DeclarationRecord>> {
                if q.offices.as_ref().is_some_and(Vec::is_empty)
                    || q.states.as_ref().is_some_and(Vec::is_empty)
                {
                    return Ok(Vec::new());
                }
                let limit = i64::from(q.limit);
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {DECLARATION_COLUMNS} FROM declarations WHERE "
                ));
                match &q.party {
                    // A party's newest as declarant and as representative, each
                    // read down its own index, then merged.
                    Some(p) => {
                        qb.push("id IN (SELECT id FROM (SELECT id FROM declarations WHERE declarant = ")
                            .push_bind(p.as_str());
                        $filters(&mut qb, q);
                        qb.push(" ORDER BY id DESC LIMIT ")
                            .push_bind(limit)
                            .push(concat!(
                                ")",
                                $first,
                                " UNION ALL SELECT id FROM (SELECT id FROM declarations WHERE representative = "
                            ))
                            .push_bind(p.as_str());
                        $filters(&mut qb, q);
                        qb.push(" ORDER BY id DESC LIMIT ")
                            .push_bind(limit)
                            .push(concat!(")", $second, ")"));
                    }
                    None => {
                        qb.push("1 = 1");
                        $filters(&mut qb, q);
                    }
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
                qb.build()
                    .fetch_all(&s.$read)
                    .await?
                    .iter()
                    .map(codec::declaration)
                    .collect()
            }

            pub(crate) async fn events(s: &$store, mrn: &Mrn) -> Result<Vec<Event>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE mrn = ? ORDER BY seq"
                )))
                .bind(mrn.as_str())
                .fetch_all(&s.$read)
                .await?
                .iter()
                .map(codec::event)
                .collect()
            }

            pub(crate) async fn count_declarations(s: &$store) -> Result<u64> {
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM declarations")
                    .fetch_one(&s.$read)
                    .await?
                    .try_get("n")?;
                Ok(n as u64)
            }
        }
    };
}

declaration_backend!(
    sqlite,
    SqliteStore,
    reader,
    writer,
    sqlite_sql,
    Sqlite,
    sqlite_filters,
    "",
    ""
);
declaration_backend!(pg, PgStore, pool, pool, pg_sql, Postgres, pg_filters, " a", " b");
