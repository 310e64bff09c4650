//! API tokens (issue 15): named, expiring, revocable, and the identity
//! epoch that tells every instance to forget what it cached.
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! columns come from `0001_initial.sql` and `0014_identity.sql`. A token
//! is stored by the SHA-256 of its secret, never the secret; its public id
//! is the first 16 hex digits of that hash.
//!
//! Invariants:
//! - [`TokenStore::token_grant`] answers only for a token that is neither
//!   revoked nor expired (a token without an expiry, from before 0014,
//!   does not expire), whose user is active or whose operator is approved.
//! - A revocation writes the token's `revoked_at`/`revoked_by`, its audit
//!   entry and the bump of the `identity_epoch` counter in one
//!   transaction: an instance that sees the new epoch sees the revocation.
//! - A token's name is unique among the principal's tokens that are not
//!   revoked (checked in the creating transaction; on PostgreSQL under a
//!   per-principal advisory lock).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::OffsetDateTime;

use crate::keys_sql::KeyAudit;
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Principal, Result, StoreError};

/// The counter every instance watches (see [`TokenStore::identity_epoch`]).
pub const IDENTITY_EPOCH: &str = "identity_epoch";

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Hex SHA-256 of the secret.
    pub token_sha256: String,
    pub principal: Principal,
    /// Its name, unique among the principal's live tokens.
    pub label: String,
    /// Who created it (`user:<name>`, `operator:<EORI>`).
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A stored token as listed: never its secret nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The first 16 hex digits of the SHA-256 of the secret.
    pub id: String,
    pub principal: Principal,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<String>,
    /// `None` for tokens made before expiry existed (they do not expire).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

impl TokenRecord {
    /// Neither revoked nor expired at `now`.
    pub fn live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// What a live token authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub id: String,
    pub principal: Principal,
    pub created_by: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
}

/// A revocation's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedToken {
    pub record: TokenRecord,
    /// Hex SHA-256 of the secret: the key of the token caches.
    pub token_sha256: String,
    /// False when it was revoked already (nothing was written).
    pub newly: bool,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a token with its audit entry. [`StoreError::AlreadyExists`]
    /// when the principal has a live token of that name, or the hash is
    /// taken.
    async fn create_token(&self, token: &NewToken, audit: &KeyAudit) -> Result<TokenRecord>;
    /// The principal's tokens, newest first (revoked and expired too).
    async fn tokens_of(&self, principal: &Principal) -> Result<Vec<TokenRecord>>;
    /// A token by its public id.
    async fn token(&self, id: &str) -> Result<Option<TokenRecord>>;
    /// Revokes a token (see the module doc); `None` when there is no such
    /// token. A token revoked already is answered as it is.
    async fn revoke_token(
        &self,
        id: &str,
        by: &str,
        at: OffsetDateTime,
        audit: &KeyAudit,
    ) -> Result<Option<RevokedToken>>;
    /// What the token with this hash authenticates at `now`, if it is live
    /// and its holder may act (an active user, an approved operator).
    async fn token_grant(
        &self,
        token_sha256: &str,
        now: OffsetDateTime,
    ) -> Result<Option<TokenGrant>>;
    /// The identity epoch: it moves whenever a token, session, key or user
    /// is revoked or changed, and every instance forgets its cached
    /// identities when it sees it move.
    async fn identity_epoch(&self) -> Result<i64>;
    /// Moves the identity epoch on its own (for a change written
    /// elsewhere); returns the new value.
    async fn bump_identity_epoch(&self) -> Result<i64>;
}

const COLUMNS: &str = "id, kind, operator_id, username, label, created_at, created_by, expires_at, revoked_at, revoked_by";

fn opt_time(v: Option<i64>) -> Result<Option<OffsetDateTime>> {
    v.map(crate::codec::from_nanos).transpose()
}

fn owner_of(p: &Principal) -> (&'static str, Option<&str>, Option<&str>) {
    match p {
        Principal::Operator { id } => ("operator", Some(id.as_str()), None),
        Principal::User { username } => ("user", None, Some(username.as_str())),
    }
}

/// The advisory lock key of a principal's token names (PostgreSQL).
fn lock_key(p: &Principal) -> String {
    match p {
        Principal::Operator { id } => format!("tokens operator:{id}"),
        Principal::User { username } => format!("tokens user:{username}"),
    }
}

async fn sqlite_name_lock(_: &mut sqlx::SqliteConnection, _: &str) -> Result<()> {
    // One writer connection: creations are serial.
    Ok(())
}

async fn pg_name_lock(c: &mut sqlx::PgConnection, key: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(key)
        .execute(c)
        .await?;
    Ok(())
}

fn token_row<R>(r: &R) -> Result<TokenRecord>
where
    R: crate::codec::Get + Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(TokenRecord {
        id: r.s("id")?,
        principal: crate::codec::principal(r)?,
        label: r.s("label")?,
        created_at: crate::codec::from_nanos(r.i("created_at")?)?,
        created_by: r.os("created_by")?,
        expires_at: opt_time(r.try_get("expires_at")?)?,
        revoked_at: opt_time(r.try_get("revoked_at")?)?,
        revoked_by: r.os("revoked_by")?,
    })
}

macro_rules! token_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path, $lock:path, $true:literal) => {
        #[async_trait]
        impl TokenStore for $store {
            async fn create_token(
                &self,
                token: &NewToken,
                audit: &KeyAudit,
            ) -> Result<TokenRecord> {
                let (kind, operator_id, username) = owner_of(&token.principal);
                let mut tx = self.$write.begin().await?;
                $lock(&mut *tx, &lock_key(&token.principal)).await?;
                let taken: i64 = sqlx::query_scalar(&$sql(
                    "SELECT COUNT(*) FROM api_tokens WHERE kind = ? AND (operator_id = ? OR username = ?) AND label = ? AND revoked_at IS NULL",
                ))
                .bind(kind)
                .bind(operator_id)
                .bind(username)
                .bind(&token.label)
                .fetch_one(&mut *tx)
                .await?;
                if taken > 0 {
                    return Err(StoreError::AlreadyExists(format!(
                        "token named {:?}",
                        token.label
                    )));
                }
                let id = token.token_sha256.get(..16).unwrap_or_default().to_owned();
                sqlx::query(&$sql(
                    "INSERT INTO api_tokens (token_sha256, kind, operator_id, username, label, created_at, id, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(&token.token_sha256)
                .bind(kind)
                .bind(operator_id)
                .bind(username)
                .bind(&token.label)
                .bind(crate::codec::nanos(token.created_at)?)
                .bind(&id)
                .bind(&token.created_by)
                .bind(crate::codec::nanos(token.expires_at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, "token"))?;
                crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, token.created_at, &audit.payload).await?;
                tx.commit().await?;
                Ok(TokenRecord {
                    id,
                    principal: token.principal.clone(),
                    label: token.label.clone(),
                    created_at: token.created_at,
                    created_by: Some(token.created_by.clone()),
                    expires_at: Some(token.expires_at),
                    revoked_at: None,
                    revoked_by: None,
                })
            }

            async fn tokens_of(&self, principal: &Principal) -> Result<Vec<TokenRecord>> {
                let (kind, operator_id, username) = owner_of(principal);
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM api_tokens WHERE kind = ? AND (operator_id = ? OR username = ?) ORDER BY created_at DESC, token_sha256"
                )))
                .bind(kind)
                .bind(operator_id)
                .bind(username)
                .fetch_all(&self.$write)
                .await?
                .iter()
                .map(token_row)
                .collect()
            }

            async fn token(&self, id: &str) -> Result<Option<TokenRecord>> {
                sqlx::query(&$sql(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?")))
                    .bind(id)
                    .fetch_optional(&self.$write)
                    .await?
                    .as_ref()
                    .map(token_row)
                    .transpose()
            }

            async fn revoke_token(
                &self,
                id: &str,
                by: &str,
                at: OffsetDateTime,
                audit: &KeyAudit,
            ) -> Result<Option<RevokedToken>> {
                let mut tx = self.$write.begin().await?;
                let changed = sqlx::query(&$sql(
                    "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
                ))
                .bind(crate::codec::nanos(at)?)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let Some(row) = sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS}, token_sha256 FROM api_tokens WHERE id = ?"
                )))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                else {
                    return Ok(None);
                };
                let record = token_row(&row)?;
                let token_sha256: String = row.try_get("token_sha256")?;
                if changed > 0 {
                    crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, at, &audit.payload).await?;
                    crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(Some(RevokedToken {
                    record,
                    token_sha256,
                    newly: changed > 0,
                }))
            }

            async fn token_grant(
                &self,
                token_sha256: &str,
                now: OffsetDateTime,
            ) -> Result<Option<TokenGrant>> {
                let Some(r) = sqlx::query(&$sql(concat!(
                    "SELECT t.id, t.kind, t.operator_id, t.username, t.created_by, t.expires_at, t.token_sha256 ",
                    "FROM api_tokens t ",
                    "LEFT JOIN users u ON t.kind = 'user' AND u.username = t.username ",
                    "LEFT JOIN operators o ON t.kind = 'operator' AND o.id = t.operator_id ",
                    "WHERE t.token_sha256 = ? AND t.revoked_at IS NULL ",
                    "AND (t.expires_at IS NULL OR t.expires_at > ?) ",
                    "AND ((t.kind = 'user' AND u.active = ", $true, ") ",
                    "OR (t.kind = 'operator' AND o.status = 'approved'))"
                )))
                .bind(token_sha256)
                .bind(crate::codec::nanos(now)?)
                .fetch_optional(&self.$read)
                .await?
                else {
                    return Ok(None);
                };
                // Rows inserted before 0014 by a path that set no id.
                let id: Option<String> = r.try_get("id")?;
                Ok(Some(TokenGrant {
                    id: id.unwrap_or_else(|| token_sha256.get(..16).unwrap_or_default().to_owned()),
                    principal: crate::codec::principal(&r)?,
                    created_by: r.try_get("created_by")?,
                    expires_at: opt_time(r.try_get("expires_at")?)?,
                }))
            }

            async fn identity_epoch(&self) -> Result<i64> {
                Ok(sqlx::query_scalar::<_, i64>(&$sql(
                    "SELECT next FROM counters WHERE name = ?",
                ))
                .bind(IDENTITY_EPOCH)
                .fetch_optional(&self.$read)
                .await?
                .unwrap_or(0))
            }

            async fn bump_identity_epoch(&self) -> Result<i64> {
                let mut tx = self.$write.begin().await?;
                let v = sqlx::query_scalar::<_, i64>(BUMP_EPOCH)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(v)
            }
        }
    };
}

/// Moves the identity epoch inside the caller's transaction, returning
/// the new value (the same SQL on both backends).
pub(crate) const BUMP_EPOCH: &str =
    "INSERT INTO counters (name, next) VALUES ('identity_epoch', 2) \
     ON CONFLICT (name) DO UPDATE SET next = counters.next + 1 RETURNING next";

token_backend!(
    SqliteStore,
    reader,
    writer,
    sqlite_sql,
    sqlite_name_lock,
    "1"
);
token_backend!(PgStore, pool, pool, pg_sql, pg_name_lock, "TRUE");
