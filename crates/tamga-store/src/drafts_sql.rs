//! Declaration drafts (issue 16): what a trader or broker typed in the
//! portal's lodging form, stored unchecked to be finished later.
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! table is created by each backend's `0024_drafts.sql`. Every method
//! takes the owning operator (the party's EORI) and every query is scoped
//! by it, so a draft of another party is simply not found. A new draft is
//! counted and inserted in one transaction under a per-party lock (the
//! single SQLite writer; a transaction-scoped advisory lock on
//! PostgreSQL), so the per-party limit holds across instances sharing the
//! database.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Eori;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRecord {
    pub id: i64,
    pub operator: Eori,
    /// The username of the user who saved it first.
    pub created_by: String,
    /// The LRN typed, or empty (untitled).
    pub name: String,
    /// The typed form (JSON text).
    pub body: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A draft as listed (without its body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftHead {
    pub id: i64,
    pub created_by: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait DraftStore: Send + Sync {
    /// Stores a new draft of `operator` saved by `created_by`, unless the
    /// party already has `limit` drafts (then `None`, nothing written).
    async fn create_draft(
        &self,
        operator: &Eori,
        created_by: &str,
        name: &str,
        body: &str,
        at: OffsetDateTime,
        limit: i64,
    ) -> Result<Option<DraftRecord>>;
    /// Draft `id` if it is `operator`'s.
    async fn draft(&self, operator: &Eori, id: i64) -> Result<Option<DraftRecord>>;
    /// Replaces the name and body of `operator`'s draft `id`; `false`
    /// (nothing written) when it has no such draft.
    async fn update_draft(
        &self,
        operator: &Eori,
        id: i64,
        name: &str,
        body: &str,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Deletes `operator`'s draft `id`; `false` when it has no such draft.
    async fn delete_draft(&self, operator: &Eori, id: i64) -> Result<bool>;
    /// `operator`'s drafts, last saved first, `limit` from `offset`.
    async fn drafts_of(&self, operator: &Eori, limit: i64, offset: i64) -> Result<Vec<DraftHead>>;
    /// How many drafts `operator` has.
    async fn count_drafts(&self, operator: &Eori) -> Result<i64>;
}

const COLUMNS: &str = "id, operator, created_by, name, body, created_at, updated_at";
const HEAD_COLUMNS: &str = "id, created_by, name, created_at, updated_at";

fn head<R>(r: &R) -> Result<DraftHead>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    Ok(DraftHead {
        id: r.try_get("id")?,
        created_by: r.try_get("created_by")?,
        name: r.try_get("name")?,
        created_at: crate::codec::from_nanos(r.try_get("created_at")?)?,
        updated_at: crate::codec::from_nanos(r.try_get("updated_at")?)?,
    })
}

fn record<R>(r: &R) -> Result<DraftRecord>
where
    R: Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let h = head(r)?;
    let operator: String = r.try_get("operator")?;
    Ok(DraftRecord {
        id: h.id,
        operator: Eori::parse(&operator)
            .map_err(|_| crate::StoreError::Corrupt(format!("draft {}: operator", h.id)))?,
        created_by: h.created_by,
        name: h.name,
        body: r.try_get("body")?,
        created_at: h.created_at,
        updated_at: h.updated_at,
    })
}

/// The per-party lock a new draft is counted under on PostgreSQL (the
/// two-key advisory lock space: class 24, the hash of the party).
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(24, hashtext($1))";

macro_rules! drafts_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path, $lock:expr) => {
        #[async_trait]
        impl DraftStore for $store {
            async fn create_draft(
                &self,
                operator: &Eori,
                created_by: &str,
                name: &str,
                body: &str,
                at: OffsetDateTime,
                limit: i64,
            ) -> Result<Option<DraftRecord>> {
                let mut tx = self.$write.begin().await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock)
                        .bind(operator.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                // Counted and inserted in one statement (atomic on SQLite's
                // single writer; under the party's lock on PostgreSQL).
                let t = crate::codec::nanos(at)?;
                let id: Option<i64> = sqlx::query_scalar(&$sql(
                    "INSERT INTO declaration_drafts (operator, created_by, name, body, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM declaration_drafts WHERE operator = ?) < ? RETURNING id",
                ))
                .bind(operator.as_str())
                .bind(created_by)
                .bind(name)
                .bind(body)
                .bind(t)
                .bind(t)
                .bind(operator.as_str())
                .bind(limit)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                tx.commit().await?;
                // The stored time, as read back (nanoseconds).
                let at = crate::codec::from_nanos(t)?;
                Ok(Some(DraftRecord {
                    id,
                    operator: operator.clone(),
                    created_by: created_by.to_owned(),
                    name: name.to_owned(),
                    body: body.to_owned(),
                    created_at: at,
                    updated_at: at,
                }))
            }

            async fn draft(&self, operator: &Eori, id: i64) -> Result<Option<DraftRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM declaration_drafts WHERE id = ? AND operator = ?"
                )))
                .bind(id)
                .bind(operator.as_str())
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(record)
                .transpose()
            }

            async fn update_draft(
                &self,
                operator: &Eori,
                id: i64,
                name: &str,
                body: &str,
                at: OffsetDateTime,
            ) -> Result<bool> {
                let done = sqlx::query(&$sql(
                    "UPDATE declaration_drafts SET name = ?, body = ?, updated_at = ? WHERE id = ? AND operator = ?",
                ))
                .bind(name)
                .bind(body)
                .bind(crate::codec::nanos(at)?)
                .bind(id)
                .bind(operator.as_str())
                .execute(&self.$write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_draft(&self, operator: &Eori, id: i64) -> Result<bool> {
                let done = sqlx::query(&$sql(
                    "DELETE FROM declaration_drafts WHERE id = ? AND operator = ?",
                ))
                .bind(id)
                .bind(operator.as_str())
                .execute(&self.$write)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn drafts_of(
                &self,
                operator: &Eori,
                limit: i64,
                offset: i64,
            ) -> Result<Vec<DraftHead>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {HEAD_COLUMNS} FROM declaration_drafts WHERE operator = ? ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?"
                )))
                .bind(operator.as_str())
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(head)
                .collect()
            }

            async fn count_drafts(&self, operator: &Eori) -> Result<i64> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT COUNT(*) FROM declaration_drafts WHERE operator = ?",
                ))
                .bind(operator.as_str())
                .fetch_one(&self.$read)
                .await?)
            }
        }
    };
}

drafts_backend!(SqliteStore, reader, writer, sqlite_sql, None::<&str>);
drafts_backend!(PgStore, pool, pool, pg_sql, Some(PG_LOCK));
