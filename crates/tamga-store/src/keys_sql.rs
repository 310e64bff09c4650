//! Officers' signing keys (issue 4, item 6: officer acts are signed).
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! table is created by each backend's `0007_officer_keys.sql`. Keys are
//! never deleted: a signature stored with an act names its key id, and
//! [`OfficerKeyStore::officer_key`] finds the key again to verify it.
//! Every key, an operator's or an officer's, also enters the `public_keys`
//! registry (`0012_public_keys.sql`, by trigger), whose primary key makes a
//! key belong to one owner (issue 13, finding 9).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

/// An officer's (or administrator's) registered Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfficerKeyRecord {
    /// First 16 hex digits of the SHA-256 of the base64 public key.
    pub key_id: String,
    pub username: String,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub revoked: bool,
}

#[async_trait]
pub trait OfficerKeyStore: Send + Sync {
    /// [`crate::StoreError::AlreadyExists`] when the key id is taken.
    async fn add_officer_key(&self, key: &OfficerKeyRecord) -> Result<()>;
    /// The user's keys, oldest first (revoked ones too).
    async fn officer_keys(&self, username: &str) -> Result<Vec<OfficerKeyRecord>>;
    /// A key by id, revoked or not.
    async fn officer_key(&self, key_id: &str) -> Result<Option<OfficerKeyRecord>>;
    /// Who registered a public key, operator or customs user
    /// (`operator:<EORI>` or `user:<username>`): the registry of
    /// `0012_public_keys.sql`, which both key tables enter, so a key id
    /// belongs to one owner.
    async fn public_key_owner(&self, key_id: &str) -> Result<Option<String>>;
}

fn row(r: &impl crate::codec::Get) -> Result<OfficerKeyRecord> {
    Ok(OfficerKeyRecord {
        key_id: r.s("key_id")?,
        username: r.s("username")?,
        public_key: r.s("public_key")?,
        created_at: crate::codec::from_nanos(r.i("created_at")?)?,
        revoked: r.b("revoked")?,
    })
}

const COLUMNS: &str = "key_id, username, public_key, created_at, revoked";

macro_rules! keys_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path) => {
        #[async_trait]
        impl OfficerKeyStore for $store {
            async fn add_officer_key(&self, key: &OfficerKeyRecord) -> Result<()> {
                sqlx::query(&$sql(
                    "INSERT INTO officer_keys (key_id, username, public_key, created_at, revoked) VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(&key.key_id)
                .bind(&key.username)
                .bind(&key.public_key)
                .bind(crate::codec::nanos(key.created_at)?)
                .bind(key.revoked)
                .execute(&self.$write)
                .await
                .map_err(|e| crate::codec::exists_or(e, format!("signing key {}", key.key_id)))?;
                Ok(())
            }

            async fn officer_keys(&self, username: &str) -> Result<Vec<OfficerKeyRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM officer_keys WHERE username = ? ORDER BY created_at, key_id"
                )))
                .bind(username)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(row)
                .collect()
            }

            async fn officer_key(&self, key_id: &str) -> Result<Option<OfficerKeyRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {COLUMNS} FROM officer_keys WHERE key_id = ?"
                )))
                .bind(key_id)
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(row)
                .transpose()
            }

            async fn public_key_owner(&self, key_id: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar::<_, String>(&$sql(
                    "SELECT owner FROM public_keys WHERE key_id = ?",
                ))
                .bind(key_id)
                .fetch_optional(&self.$write)
                .await?)
            }
        }
    };
}

keys_backend!(SqliteStore, reader, writer, sqlite_sql);
keys_backend!(PgStore, pool, pool, pg_sql);
