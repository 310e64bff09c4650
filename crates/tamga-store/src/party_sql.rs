//! Parties and access, the first family of [`crate::Store`]: operators,
//! users with their roles and offices, API tokens stored by the SHA-256
//! of their secret, and operators' signing keys (the tables of each
//! backend's `0001_initial.sql`).
//!
//! The SQL is written once, in the `party_backend!` macro (`?`
//! placeholders, rewritten to `$n` for PostgreSQL), which gives each
//! backend a module of functions over its store (`sqlite`, `pg`);
//! `sqlite.rs` and `postgres.rs` implement the [`crate::Store`] methods
//! by calling them. Online registration and administration of the same
//! tables are [`crate::PeopleStore`]'s; named, expiring tokens are
//! [`crate::TokenStore`]'s.

use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::Eori;

use crate::codec::{self, exists_or, nanos};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Operator, Principal, Result, SigningKeyRecord, User};

macro_rules! party_backend {
    ($mod:ident, $store:ty, $read:ident, $write:ident, $sql:path) => {
        /// The family's functions over this backend's store.
        pub(crate) mod $mod {
            use super::*;

            pub(crate) async fn create_operator(s: &$store, op: &Operator) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO operators (id, name, created_at) VALUES (?, ?, ?)",
                ))
                .bind(op.id.as_str())
                .bind(&op.name)
                .bind(nanos(op.created_at)?)
                .execute(&s.$write)
                .await
                .map_err(|e| exists_or(e, format!("operator {}", op.id)))?;
                Ok(())
            }

            pub(crate) async fn operator(s: &$store, id: &Eori) -> Result<Option<Operator>> {
                sqlx::query(&$sql("SELECT id, name, created_at FROM operators WHERE id = ?"))
                    .bind(id.as_str())
                    .fetch_optional(&s.$read)
                    .await?
                    .map(|r| codec::operator(&r))
                    .transpose()
            }

            pub(crate) async fn create_user(s: &$store, user: &User) -> Result<()> {
                let mut tx = s.begin().await?;
                sqlx::query(&$sql(
                    "INSERT INTO users (username, name, operator_id, active, created_at) VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(&user.username)
                .bind(&user.name)
                .bind(user.operator.as_ref().map(|o| o.as_str()))
                .bind(user.active)
                .bind(nanos(user.created_at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| exists_or(e, format!("user {}", user.username)))?;
                for role in &user.roles {
                    sqlx::query(&$sql(
                        "INSERT INTO user_roles (username, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    ))
                    .bind(&user.username)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                for (i, o) in user.offices.iter().enumerate() {
                    sqlx::query(&$sql(
                        "INSERT INTO user_offices (username, position, office) VALUES (?, ?, ?)",
                    ))
                    .bind(&user.username)
                    .bind(i as i64)
                    .bind(o.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn user(s: &$store, username: &str) -> Result<Option<User>> {
                let mut c = s.$read.acquire().await?;
                let Some(r) = sqlx::query(&$sql(
                    "SELECT username, name, operator_id, active, created_at FROM users WHERE username = ?",
                ))
                .bind(username)
                .fetch_optional(&mut *c)
                .await?
                else {
                    return Ok(None);
                };
                let offices = sqlx::query(&$sql(
                    "SELECT office FROM user_offices WHERE username = ? ORDER BY position",
                ))
                .bind(username)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|r| codec::office(r.try_get("office")?))
                .collect::<Result<_>>()?;
                let mut roles = sqlx::query(&$sql("SELECT role FROM user_roles WHERE username = ?"))
                    .bind(username)
                    .fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|r| codec::role(r.try_get("role")?))
                    .collect::<Result<Vec<_>>>()?;
                roles.sort();
                let operator: Option<String> = r.try_get("operator_id")?;
                Ok(Some(User {
                    username: r.try_get("username")?,
                    name: r.try_get("name")?,
                    roles,
                    operator: operator.map(codec::eori).transpose()?,
                    offices,
                    active: r.try_get("active")?,
                    created_at: codec::from_nanos(r.try_get("created_at")?)?,
                }))
            }

            pub(crate) async fn has_parties(s: &$store) -> Result<bool> {
                let r = sqlx::query(
                    "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM operators) AS any_party",
                )
                .fetch_one(&s.$read)
                .await?;
                Ok(r.try_get("any_party")?)
            }

            /// The token's public id is the first 16 hex digits of its
            /// hash (bound twice: once whole, once for `substr`).
            pub(crate) async fn add_token(
                s: &$store,
                token_sha256: &str,
                principal: &Principal,
                label: &str,
            ) -> Result<()> {
                let (kind, operator_id, username) = match principal {
                    Principal::Operator { id } => ("operator", Some(id.as_str()), None),
                    Principal::User { username } => ("user", None, Some(username.as_str())),
                };
                sqlx::query(&$sql(
                    "INSERT INTO api_tokens (token_sha256, kind, operator_id, username, label, created_at, id) VALUES (?, ?, ?, ?, ?, ?, substr(?, 1, 16))",
                ))
                .bind(token_sha256)
                .bind(kind)
                .bind(operator_id)
                .bind(username)
                .bind(label)
                .bind(nanos(OffsetDateTime::now_utc())?)
                .bind(token_sha256)
                .execute(&s.$write)
                .await
                .map_err(|e| exists_or(e, "token"))?;
                Ok(())
            }

            pub(crate) async fn principal_for_token(
                s: &$store,
                token_sha256: &str,
            ) -> Result<Option<Principal>> {
                sqlx::query(&$sql("SELECT kind, operator_id, username FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"))
                    .bind(token_sha256)
                    .bind(nanos(OffsetDateTime::now_utc())?)
                    .fetch_optional(&s.$read)
                    .await?
                    .map(|r| codec::principal(&r))
                    .transpose()
            }

            pub(crate) async fn add_signing_key(s: &$store, key: &SigningKeyRecord) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO signing_keys (key_id, operator, public_key, created_at, revoked) VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(&key.key_id)
                .bind(key.operator.as_str())
                .bind(&key.public_key)
                .bind(nanos(key.created_at)?)
                .bind(key.revoked)
                .execute(&s.$write)
                .await
                .map_err(|e| exists_or(e, format!("signing key {}", key.key_id)))?;
                Ok(())
            }

            pub(crate) async fn signing_keys(
                s: &$store,
                operator: &Eori,
            ) -> Result<Vec<SigningKeyRecord>> {
                sqlx::query(&$sql(
                    "SELECT key_id, operator, public_key, created_at, revoked FROM signing_keys WHERE operator = ? ORDER BY created_at, key_id",
                ))
                .bind(operator.as_str())
                .fetch_all(&s.$read)
                .await?
                .iter()
                .map(codec::signing_key)
                .collect()
            }
        }
    };
}

party_backend!(sqlite, SqliteStore, reader, writer, sqlite_sql);
party_backend!(pg, PgStore, pool, pool, pg_sql);
