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
//!
//! A key registered through the API comes with its approval (issue 15:
//! a bearer token alone no longer registers a key): who approved it, with
//! which existing key or as which administrator, and the SHA-256 of the
//! signed request (`0013_key_approvals.sql`). [`OfficerKeyStore::add_approved_key`]
//! writes the key, its approval, the audit entry and the owner's
//! notification in one transaction, so a key is never registered without
//! its owner being told.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::lifecycle::NewNotification;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, SigningKeyRecord};

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

/// Who approved a key's registration (one per key registered through the
/// API since issue 15; keys of the demo set-up and older ones have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyApproval {
    pub key_id: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub owner: String,
    /// Who approved: the owner itself (with `approving_key`) or an
    /// administrator (`user:<username>`).
    pub approved_by: String,
    /// The owner's active key that signed the request, if it was signed.
    pub approving_key: Option<String>,
    /// SHA-256 (hex) of the signed request body, if it was signed: the
    /// same body again is a replay.
    pub body_sha256: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A key to register: an operator's or a customs user's.
#[derive(Debug, Clone)]
pub enum NewKey {
    Operator(SigningKeyRecord),
    User(OfficerKeyRecord),
}

/// A key's revocation (issue 15): a signature made after `revoked_at` is
/// refused; one made before stays verifiable. Keys revoked before 0014
/// (the old `revoked` flag alone) have no time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRevocation {
    pub key_id: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub owner: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

/// The audit entry written with a key.
#[derive(Debug, Clone)]
pub struct KeyAudit {
    pub actor: String,
    pub action: String,
    pub payload: serde_json::Value,
}

#[async_trait]
pub trait OfficerKeyStore: Send + Sync {
    /// Registers `key` with its approval, its audit entry and, for an
    /// operator, its notification, in one transaction.
    /// [`crate::StoreError::AlreadyExists`] when the key id is taken
    /// (nothing is written then).
    async fn add_approved_key(
        &self,
        key: &NewKey,
        approval: &KeyApproval,
        audit: &KeyAudit,
        notification: Option<&NewNotification>,
    ) -> Result<()>;
    /// A key's approval, if it was registered with one.
    async fn key_approval(&self, key_id: &str) -> Result<Option<KeyApproval>>;
    /// The approvals of an owner's keys (`operator:<EORI>`,
    /// `user:<username>`), oldest first.
    async fn key_approvals(&self, owner: &str) -> Result<Vec<KeyApproval>>;
    /// [`crate::StoreError::AlreadyExists`] when the key id is taken.
    async fn add_officer_key(&self, key: &OfficerKeyRecord) -> Result<()>;
    /// The user's keys, oldest first (revoked ones too).
    async fn officer_keys(&self, username: &str) -> Result<Vec<OfficerKeyRecord>>;
    /// A key by id, revoked or not.
    async fn officer_key(&self, key_id: &str) -> Result<Option<OfficerKeyRecord>>;
    /// Revokes the key `key_id` of `owner` (`operator:<EORI>` or
    /// `user:<username>`): `revoked`, `revoked_at`, `revoked_by`, the
    /// audit entry, the owner's notification (operators) and the bump of
    /// the identity epoch, in one transaction. `false` (nothing written)
    /// when the owner has no such key or it is revoked already.
    async fn revoke_key(
        &self,
        owner: &str,
        key_id: &str,
        by: &str,
        at: OffsetDateTime,
        audit: &KeyAudit,
        notification: Option<&NewNotification>,
    ) -> Result<bool>;
    /// The revoked keys of an owner (`operator:<EORI>`, `user:<username>`).
    async fn key_revocations(&self, owner: &str) -> Result<Vec<KeyRevocation>>;
    /// A key's revocation, if it is revoked (either table).
    async fn key_revocation(&self, key_id: &str) -> Result<Option<KeyRevocation>>;
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

fn approval_row(r: &impl crate::codec::Get) -> Result<KeyApproval> {
    Ok(KeyApproval {
        key_id: r.s("key_id")?,
        owner: r.s("owner")?,
        approved_by: r.s("approved_by")?,
        approving_key: r.os("approving_key")?,
        body_sha256: r.os("body_sha256")?,
        at: crate::codec::from_nanos(r.i("at")?)?,
    })
}

const APPROVAL_COLUMNS: &str = "key_id, owner, approved_by, approving_key, body_sha256, at";

/// The key table, owner column and owner of `operator:<EORI>` or
/// `user:<username>`.
fn revocation_target(owner: &str) -> Result<(&'static str, &'static str, &str)> {
    if let Some(op) = owner.strip_prefix("operator:") {
        Ok(("signing_keys", "operator", op))
    } else if let Some(u) = owner.strip_prefix("user:") {
        Ok(("officer_keys", "username", u))
    } else {
        Err(crate::StoreError::Corrupt(format!(
            "not a key owner: {owner:?}"
        )))
    }
}

fn revocation_row<R>(r: &R, owner: String) -> Result<KeyRevocation>
where
    R: crate::codec::Get + sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    Option<i64>: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(KeyRevocation {
        key_id: r.s("key_id")?,
        owner,
        revoked_at: r
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(crate::codec::from_nanos)
            .transpose()?,
        revoked_by: r.os("revoked_by")?,
    })
}

/// SQLite has one writer connection: notification ids are committed in
/// order without a lock.
async fn sqlite_notification_lock(_: &mut sqlx::SqliteConnection) -> Result<()> {
    Ok(())
}

/// PostgreSQL: the group commit's advisory lock, which every transaction
/// adding notifications takes, so notification ids (the pull cursor)
/// become visible in increasing order.
async fn pg_notification_lock(c: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(crate::postgres::COMMIT_LOCK)
        .execute(c)
        .await?;
    Ok(())
}

macro_rules! keys_backend {
    ($store:ty, $read:ident, $write:ident, $sql:path, $lock:path) => {
        #[async_trait]
        impl OfficerKeyStore for $store {
            async fn add_approved_key(
                &self,
                key: &NewKey,
                approval: &KeyApproval,
                audit: &KeyAudit,
                notification: Option<&NewNotification>,
            ) -> Result<()> {
                let mut tx = self.$write.begin().await?;
                if notification.is_some() {
                    $lock(&mut *tx).await?;
                }
                let (table, owner_column, key_id, owner, public_key, created_at, revoked) =
                    match key {
                        NewKey::Operator(k) => (
                            "signing_keys",
                            "operator",
                            &k.key_id,
                            k.operator.as_str(),
                            &k.public_key,
                            k.created_at,
                            k.revoked,
                        ),
                        NewKey::User(k) => (
                            "officer_keys",
                            "username",
                            &k.key_id,
                            k.username.as_str(),
                            &k.public_key,
                            k.created_at,
                            k.revoked,
                        ),
                    };
                sqlx::query(&$sql(&format!(
                    "INSERT INTO {table} (key_id, {owner_column}, public_key, created_at, revoked) VALUES (?, ?, ?, ?, ?)"
                )))
                .bind(key_id)
                .bind(owner)
                .bind(public_key)
                .bind(crate::codec::nanos(created_at)?)
                .bind(revoked)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, format!("signing key {key_id}")))?;
                sqlx::query(&$sql(&format!(
                    "INSERT INTO key_approvals ({APPROVAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                )))
                .bind(&approval.key_id)
                .bind(&approval.owner)
                .bind(&approval.approved_by)
                .bind(&approval.approving_key)
                .bind(&approval.body_sha256)
                .bind(crate::codec::nanos(approval.at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, format!("key approval {key_id}")))?;
                crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, approval.at, &audit.payload).await?;
                if let Some(n) = notification {
                    crate::records::Records::notify(&mut *tx, n).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn key_approval(&self, key_id: &str) -> Result<Option<KeyApproval>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {APPROVAL_COLUMNS} FROM key_approvals WHERE key_id = ?"
                )))
                .bind(key_id)
                .fetch_optional(&self.$write)
                .await?
                .as_ref()
                .map(approval_row)
                .transpose()
            }

            async fn key_approvals(&self, owner: &str) -> Result<Vec<KeyApproval>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {APPROVAL_COLUMNS} FROM key_approvals WHERE owner = ? ORDER BY at, key_id"
                )))
                .bind(owner)
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(approval_row)
                .collect()
            }

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

            async fn revoke_key(
                &self,
                owner: &str,
                key_id: &str,
                by: &str,
                at: OffsetDateTime,
                audit: &KeyAudit,
                notification: Option<&NewNotification>,
            ) -> Result<bool> {
                let (table, column, who) = revocation_target(owner)?;
                let mut tx = self.$write.begin().await?;
                if notification.is_some() {
                    $lock(&mut *tx).await?;
                }
                let changed = sqlx::query(&$sql(&format!(
                    "UPDATE {table} SET revoked = ?, revoked_at = ?, revoked_by = ? WHERE key_id = ? AND {column} = ? AND revoked = ?"
                )))
                .bind(true)
                .bind(crate::codec::nanos(at)?)
                .bind(by)
                .bind(key_id)
                .bind(who)
                .bind(false)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Ok(false);
                }
                crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, at, &audit.payload).await?;
                if let Some(n) = notification {
                    crate::records::Records::notify(&mut *tx, n).await?;
                }
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn key_revocations(&self, owner: &str) -> Result<Vec<KeyRevocation>> {
                let (table, column, who) = revocation_target(owner)?;
                sqlx::query(&$sql(&format!(
                    "SELECT key_id, revoked_at, revoked_by FROM {table} WHERE {column} = ? AND revoked = ? ORDER BY created_at, key_id"
                )))
                .bind(who)
                .bind(true)
                .fetch_all(&self.$write)
                .await?
                .iter()
                .map(|r| revocation_row(r, owner.to_owned()))
                .collect()
            }

            async fn key_revocation(&self, key_id: &str) -> Result<Option<KeyRevocation>> {
                let r = sqlx::query(&$sql(
                    "SELECT key_id, revoked_at, revoked_by, 'operator:' || operator AS owner FROM signing_keys WHERE key_id = ? AND revoked = ? \
                     UNION ALL SELECT key_id, revoked_at, revoked_by, 'user:' || username AS owner FROM officer_keys WHERE key_id = ? AND revoked = ?",
                ))
                .bind(key_id)
                .bind(true)
                .bind(key_id)
                .bind(true)
                .fetch_optional(&self.$write)
                .await?;
                match r {
                    None => Ok(None),
                    Some(r) => {
                        let owner: String = sqlx::Row::try_get(&r, "owner")?;
                        revocation_row(&r, owner).map(Some)
                    }
                }
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

keys_backend!(
    SqliteStore,
    reader,
    writer,
    sqlite_sql,
    sqlite_notification_lock
);
keys_backend!(PgStore, pool, pool, pg_sql, pg_notification_lock);
