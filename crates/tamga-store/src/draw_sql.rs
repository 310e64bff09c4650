//! Secrets random-selection draws are keyed with (issue 13, finding 3).
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! table is created by each backend's `0011_draw_secrets.sql`. Exactly one
//! secret is current (a unique column holding true, NULL once retired), so
//! creating the first one is race-safe across instances on one database,
//! and so is rotation (a second concurrent rotation fails with
//! [`crate::StoreError::AlreadyExists`] instead of leaving two current).
//! Secrets are never deleted: every risk decision names the secret its
//! draws were keyed with.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// A stored draw secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawSecretRecord {
    pub id: i64,
    /// The 32 secret bytes.
    pub secret: [u8; 32],
    /// SHA-256 (hex) of the secret bytes.
    pub commitment: String,
    pub created_at: OffsetDateTime,
    /// When it stopped being current (and was revealed); `None` while
    /// current.
    pub retired_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait DrawSecretStore: Send + Sync {
    /// The current secret; when there is none, `candidate` (secret bytes,
    /// commitment) becomes it. Several instances calling this at once get
    /// the same one.
    async fn current_draw_secret(
        &self,
        candidate: ([u8; 32], String),
        now: OffsetDateTime,
    ) -> Result<DrawSecretRecord>;
    /// Retires the current secret (if any) and makes `candidate` current,
    /// in one transaction. Returns the new one.
    async fn rotate_draw_secret(
        &self,
        candidate: ([u8; 32], String),
        now: OffsetDateTime,
    ) -> Result<DrawSecretRecord>;
    /// Every secret, oldest first.
    async fn draw_secrets(&self) -> Result<Vec<DrawSecretRecord>>;
    async fn draw_secret(&self, id: i64) -> Result<Option<DrawSecretRecord>>;
}

fn row<R: Row>(r: &R) -> Result<DrawSecretRecord>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let hex_secret: String = r.try_get("secret")?;
    let secret: [u8; 32] = hex::decode(&hex_secret)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("a draw secret is not 32 hex bytes".into()))?;
    Ok(DrawSecretRecord {
        id: r.try_get("id")?,
        secret,
        commitment: r.try_get("commitment")?,
        created_at: crate::codec::from_nanos(r.try_get("created_at")?)?,
        retired_at: r
            .try_get::<Option<i64>, _>("retired_at")?
            .map(crate::codec::from_nanos)
            .transpose()?,
    })
}

const COLUMNS: &str = "id, secret, commitment, created_at, retired_at";

macro_rules! draw_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path) => {
        #[async_trait]
        impl DrawSecretStore for $store {
            async fn current_draw_secret(
                &self,
                candidate: ([u8; 32], String),
                now: OffsetDateTime,
            ) -> Result<DrawSecretRecord> {
                let select = $sql(&format!(
                    "SELECT {COLUMNS} FROM draw_secrets WHERE current IS NOT NULL"
                ))
                .into_owned();
                // The usual case (every reload) reads; only the first start
                // on a database writes.
                if let Some(r) = sqlx::query(&select).fetch_optional(&self.$read).await? {
                    return row(&r);
                }
                sqlx::query(&$sql(
                    "INSERT INTO draw_secrets (secret, commitment, created_at, current) \
                     VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                ))
                .bind(hex::encode(candidate.0))
                .bind(&candidate.1)
                .bind(crate::codec::nanos(now)?)
                .bind(true)
                .execute(&self.$write)
                .await?;
                // From the writer: whichever instance's candidate won.
                match sqlx::query(&select).fetch_optional(&self.$write).await? {
                    Some(r) => row(&r),
                    None => Err(StoreError::Corrupt(
                        "no current draw secret after creating one (rotated meanwhile?)".into(),
                    )),
                }
            }

            async fn rotate_draw_secret(
                &self,
                candidate: ([u8; 32], String),
                now: OffsetDateTime,
            ) -> Result<DrawSecretRecord> {
                let at = crate::codec::nanos(now)?;
                let mut tx = self.$write.begin().await?;
                sqlx::query(&$sql(
                    "UPDATE draw_secrets SET current = NULL, retired_at = ? WHERE current IS NOT NULL",
                ))
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let r = sqlx::query(&$sql(&format!(
                    "INSERT INTO draw_secrets (secret, commitment, created_at, current) \
                     VALUES (?, ?, ?, ?) RETURNING {COLUMNS}"
                )))
                .bind(hex::encode(candidate.0))
                .bind(&candidate.1)
                .bind(at)
                .bind(true)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, "a current draw secret (concurrent rotation)"))?;
                let rec = row(&r)?;
                tx.commit().await?;
                Ok(rec)
            }

            async fn draw_secrets(&self) -> Result<Vec<DrawSecretRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM draw_secrets ORDER BY id"
                )))
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(row)
                .collect()
            }

            async fn draw_secret(&self, id: i64) -> Result<Option<DrawSecretRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM draw_secrets WHERE id = ?"
                )))
                .bind(id)
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(row)
                .transpose()
            }
        }
    };
}

draw_backend!(SqliteStore, reader, writer, sqlite_sql);
draw_backend!(PgStore, pool, pool, pg_sql);
