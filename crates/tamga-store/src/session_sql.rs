//! Logins, browser sessions, passwords and the second factor (issue 15).
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! tables are those of `0014_identity.sql`. Everything here lives in the
//! database so that several instances share it:
//!
//! - login throttling counts failures per subject (`user:<name>`,
//!   `totp:<name>`, `ip:<address>`) with one atomic upsert, so two
//!   instances counting at once never lose a failure;
//! - a session is stored by the SHA-256 of its random id (the cookie's
//!   value never reaches the database), and is promoted from
//!   `second_factor` to `full` under a new id, the old row deleted in the
//!   same transaction;
//! - a TOTP time step is accepted once: [`SessionStore::accept_totp_step`]
//!   is a compare-and-set on `totp_last_step`, so a code cannot be used
//!   twice, not even on two instances at the same moment;
//! - setting a password keeps the previous hashes (the last
//!   [`PASSWORD_HISTORY`]), revokes the user's sessions and writes the
//!   audit entry in one transaction.
//!
//! Acts that must reach other instances' caches (a password set, sessions
//! revoked, a user deactivated) move the `identity_epoch` counter.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::codec::{from_nanos, nanos};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};

/// How many earlier password hashes a user keeps: a new password may not
/// be one of them.
pub const PASSWORD_HISTORY: usize = 5;

/// What a login needs to know of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRecord {
    pub username: String,
    /// argon2id PHC string; `None` for a user who has no password (it
    /// cannot log in with one).
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    /// The second factor is mandatory for this user (enrol at login).
    pub totp_required: bool,
    /// The confirmed TOTP secret (base32), if enrolled.
    pub totp_secret: Option<String>,
    /// A secret offered and not yet confirmed.
    pub totp_pending: Option<String>,
    pub totp_last_step: Option<i64>,
    pub active: bool,
    /// The user's operator, if it belongs to one.
    pub operator_id: Option<String>,
    /// That operator's registration status: `pending`, `approved`,
    /// `refused`.
    pub operator_status: Option<String>,
}

/// A session's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password given, second factor not yet.
    SecondFactor,
    Full,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Full => "full",
        }
    }
    pub fn parse(s: &str) -> Option<SessionStage> {
        match s {
            "second_factor" => Some(SessionStage::SecondFactor),
            "full" => Some(SessionStage::Full),
            _ => None,
        }
    }
}

/// A stored session (its id is known only as its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_sha256: String,
    pub username: String,
    pub stage: SessionStage,
    pub csrf: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_sha256: &'a str,
    pub username: &'a str,
    pub stage: SessionStage,
    pub csrf: &'a str,
    pub at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A subject's throttling state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Consecutive failures.
    pub failures: i64,
    /// Locked until then (the epoch when it never was).
    pub locked_until: OffsetDateTime,
}

/// The audit entry written with an identity act.
#[derive(Debug, Clone)]
pub struct IdentityAudit {
    pub actor: String,
    pub action: String,
    pub payload: serde_json::Value,
}

/// A new password.
#[derive(Debug, Clone)]
pub struct PasswordChange<'a> {
    pub username: &'a str,
    /// argon2id PHC string.
    pub hash: &'a str,
    /// Set for an administrator's reset (a one-time password); cleared
    /// otherwise.
    pub must_change: bool,
    /// The session (its id hash) that stays valid: the caller's own, when
    /// a user changes its password; every other session is revoked.
    pub keep_session: Option<&'a str>,
    pub at: OffsetDateTime,
    pub audit: &'a IdentityAudit,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// What a login needs of `username`, if the user exists.
    async fn login_record(&self, username: &str) -> Result<Option<LoginRecord>>;
    /// Sets a password (see [`PasswordChange`]): the previous hash enters
    /// the history (the last [`PASSWORD_HISTORY`] are kept), the user's
    /// other sessions are revoked, the audit entry written, in one
    /// transaction. [`StoreError::NotFound`] for an unknown user.
    async fn set_password(&self, change: &PasswordChange<'_>) -> Result<()>;
    /// Replaces a hash with one of the same password made with the
    /// current parameters (no history, no revocation); only if the stored
    /// hash is still `old`.
    async fn rehash_password(&self, username: &str, old: &str, new: &str) -> Result<()>;
    /// The user's earlier password hashes, newest first.
    async fn password_history(&self, username: &str) -> Result<Vec<String>>;

    /// The subject's throttling state, if it has failed before.
    async fn throttle(&self, subject: &str) -> Result<Option<Throttle>>;
    /// Counts a failure of `subject` (atomically: concurrent failures on
    /// any instance are each counted). Failures older than `forget`
    /// before `at` start the count again. From the `lock_after`-th
    /// consecutive failure on, the subject is locked for `base`, doubled
    /// for each failure beyond, at most `max` (a lock is never shortened).
    async fn record_failure(
        &self,
        subject: &str,
        at: OffsetDateTime,
        forget: time::Duration,
        lock_after: u32,
        base: time::Duration,
        max: time::Duration,
    ) -> Result<Throttle>;
    /// Forgets the subject's failures (a success).
    async fn clear_throttle(&self, subject: &str) -> Result<()>;

    async fn create_session(&self, s: &NewSession<'_>) -> Result<()>;
    /// The session with this id hash, if it is neither revoked nor
    /// expired (`expires_at` after `now`, last seen at or after
    /// `idle_since`). Moves `last_seen` to `now` when it is more than a
    /// minute old.
    async fn session(
        &self,
        id_sha256: &str,
        now: OffsetDateTime,
        idle_since: OffsetDateTime,
    ) -> Result<Option<SessionRecord>>;
    /// Replaces a valid `second_factor` session by a `full` one with a
    /// new id (the old row is deleted in the same transaction). `false`
    /// when the old session is not (or no longer) a valid second-factor
    /// session: nothing is written then.
    async fn promote_session(&self, old_sha256: &str, new: &NewSession<'_>) -> Result<bool>;
    /// Revokes one session; `false` if it was not valid.
    async fn revoke_session(&self, id_sha256: &str, at: OffsetDateTime) -> Result<bool>;
    /// Revokes the user's sessions but `except` (an id hash); how many.
    async fn revoke_user_sessions(
        &self,
        username: &str,
        except: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<u64>;

    /// Offers a TOTP secret (replacing any earlier offer).
    async fn set_totp_pending(&self, username: &str, secret: &str) -> Result<()>;
    /// Makes the pending secret the user's second factor, if it is still
    /// `pending` (and records `step` as used); audited. `false` when it
    /// was not.
    async fn confirm_totp(
        &self,
        username: &str,
        pending: &str,
        step: i64,
        at: OffsetDateTime,
        audit: &IdentityAudit,
    ) -> Result<bool>;
    /// Removes the user's second factor (confirmed and pending); audited.
    /// `false` for an unknown user.
    async fn clear_totp(
        &self,
        username: &str,
        at: OffsetDateTime,
        audit: &IdentityAudit,
    ) -> Result<bool>;
    /// Uses the TOTP time step `step`: `true` only if it is later than
    /// every step the user used before (compare-and-set, so a code is
    /// accepted once across instances).
    async fn accept_totp_step(&self, username: &str, step: i64) -> Result<bool>;
    /// Activates or deactivates a user; deactivating revokes its
    /// sessions in the same transaction. Audited. `false` for an unknown
    /// user.
    async fn set_user_active(
        &self,
        username: &str,
        active: bool,
        at: OffsetDateTime,
        audit: &IdentityAudit,
    ) -> Result<bool>;
}

const SESSION_COLUMNS: &str = "id_sha256, username, stage, csrf, created_at, expires_at, last_seen";

fn session_row(r: &impl crate::codec::Get) -> Result<SessionRecord> {
    let stage = r.s("stage")?;
    Ok(SessionRecord {
        id_sha256: r.s("id_sha256")?,
        username: r.s("username")?,
        stage: SessionStage::parse(&stage)
            .ok_or_else(|| crate::codec::corrupt(format!("session stage {stage}")))?,
        csrf: r.s("csrf")?,
        created_at: from_nanos(r.i("created_at")?)?,
        expires_at: from_nanos(r.i("expires_at")?)?,
        last_seen: from_nanos(r.i("last_seen")?)?,
    })
}

fn login_row(r: &impl crate::codec::Get) -> Result<LoginRecord> {
    let step = r.i("totp_last_step")?;
    Ok(LoginRecord {
        username: r.s("username")?,
        password_hash: r.os("password_hash")?,
        must_change_password: r.b("must_change_password")?,
        totp_required: r.b("totp_required")?,
        totp_secret: r.os("totp_secret")?,
        totp_pending: r.os("totp_pending")?,
        totp_last_step: (step >= 0).then_some(step),
        active: r.b("active")?,
        operator_id: r.os("operator_id")?,
        operator_status: r.os("operator_status")?,
    })
}

/// The lock a subject gets at its `failures`-th consecutive failure.
pub fn lock_for(
    failures: i64,
    lock_after: u32,
    base: time::Duration,
    max: time::Duration,
) -> Option<time::Duration> {
    let beyond = failures - i64::from(lock_after);
    if beyond < 0 {
        return None;
    }
    let factor = 1i64 << beyond.min(30);
    let secs = base.whole_seconds().saturating_mul(factor);
    Some(time::Duration::seconds(secs).min(max))
}

macro_rules! session_backend {
    ($store:ty, $write:ident, $sql:path, $begin:ident) => {
        #[async_trait]
        impl SessionStore for $store {
            async fn login_record(&self, username: &str) -> Result<Option<LoginRecord>> {
                sqlx::query(&$sql(
                    "SELECT u.username, u.password_hash, u.must_change_password, u.totp_required, \
                     u.totp_secret, u.totp_pending, COALESCE(u.totp_last_step, -1) AS totp_last_step, \
                     u.active, u.operator_id, o.status AS operator_status \
                     FROM users u LEFT JOIN operators o ON o.id = u.operator_id WHERE u.username = ?",
                ))
                .bind(username)
                .fetch_optional(&self.$write)
                .await?
                .as_ref()
                .map(login_row)
                .transpose()
            }

            async fn set_password(&self, ch: &PasswordChange<'_>) -> Result<()> {
                let at = nanos(ch.at)?;
                let mut tx = self.$begin().await?;
                let old: Option<Option<String>> = sqlx::query_scalar(&$sql(
                    "SELECT password_hash FROM users WHERE username = ?",
                ))
                .bind(ch.username)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(old) = old else {
                    return Err(StoreError::NotFound(format!("user {}", ch.username)));
                };
                if let Some(old) = old {
                    sqlx::query(&$sql(
                        "INSERT INTO password_history (username, hash, at) VALUES (?, ?, ?)",
                    ))
                    .bind(ch.username)
                    .bind(&old)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    // Keep the newest few.
                    sqlx::query(&$sql(
                        "DELETE FROM password_history WHERE username = ? AND hash NOT IN \
                         (SELECT hash FROM password_history WHERE username = ? ORDER BY at DESC LIMIT ?)",
                    ))
                    .bind(ch.username)
                    .bind(ch.username)
                    .bind(PASSWORD_HISTORY as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(&$sql(
                    "UPDATE users SET password_hash = ?, must_change_password = ? WHERE username = ?",
                ))
                .bind(ch.hash)
                .bind(ch.must_change)
                .bind(ch.username)
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$sql(
                    "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL \
                     AND id_sha256 <> ?",
                ))
                .bind(at)
                .bind(ch.username)
                .bind(ch.keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
                sqlx::query(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?)",
                ))
                .bind(&ch.audit.actor)
                .bind(&ch.audit.action)
                .bind(at)
                .bind(crate::codec::to_json(&ch.audit.payload)?)
                .execute(&mut *tx)
                .await?;
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn rehash_password(&self, username: &str, old: &str, new: &str) -> Result<()> {
                sqlx::query(&$sql(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                ))
                .bind(new)
                .bind(username)
                .bind(old)
                .execute(&self.$write)
                .await?;
                Ok(())
            }

            async fn password_history(&self, username: &str) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT hash FROM password_history WHERE username = ? ORDER BY at DESC LIMIT ?",
                ))
                .bind(username)
                .bind(PASSWORD_HISTORY as i64)
                .fetch_all(&self.$write)
                .await?)
            }

            async fn throttle(&self, subject: &str) -> Result<Option<Throttle>> {
                let row: Option<(i64, i64)> = sqlx::query_as(&$sql(
                    "SELECT failures, locked_until FROM login_throttle WHERE subject = ?",
                ))
                .bind(subject)
                .fetch_optional(&self.$write)
                .await?;
                row.map(|(failures, until)| {
                    Ok(Throttle {
                        failures,
                        locked_until: from_nanos(until)?,
                    })
                })
                .transpose()
            }

            async fn record_failure(
                &self,
                subject: &str,
                at: OffsetDateTime,
                forget: time::Duration,
                lock_after: u32,
                base: time::Duration,
                max: time::Duration,
            ) -> Result<Throttle> {
                let now = nanos(at)?;
                let stale = nanos(at - forget)?;
                // One statement: the count is exact however many
                // instances count at once.
                let (failures, locked_until): (i64, i64) = sqlx::query_as(&$sql(
                    "INSERT INTO login_throttle (subject, failures, locked_until, updated_at) \
                     VALUES (?, 1, 0, ?) ON CONFLICT (subject) DO UPDATE SET \
                     failures = CASE WHEN login_throttle.updated_at < ? THEN 1 \
                                     ELSE login_throttle.failures + 1 END, \
                     updated_at = excluded.updated_at \
                     RETURNING failures, locked_until",
                ))
                .bind(subject)
                .bind(now)
                .bind(stale)
                .fetch_one(&self.$write)
                .await?;
                let Some(lock) = lock_for(failures, lock_after, base, max) else {
                    return Ok(Throttle {
                        failures,
                        locked_until: from_nanos(locked_until)?,
                    });
                };
                let until = nanos(at + lock)?;
                // A lock only grows.
                let locked_until: i64 = sqlx::query_scalar(&$sql(
                    "UPDATE login_throttle SET locked_until = \
                     CASE WHEN locked_until < ? THEN ? ELSE locked_until END \
                     WHERE subject = ? RETURNING locked_until",
                ))
                .bind(until)
                .bind(until)
                .bind(subject)
                .fetch_one(&self.$write)
                .await?;
                Ok(Throttle {
                    failures,
                    locked_until: from_nanos(locked_until)?,
                })
            }

            async fn clear_throttle(&self, subject: &str) -> Result<()> {
                sqlx::query(&$sql("DELETE FROM login_throttle WHERE subject = ?"))
                    .bind(subject)
                    .execute(&self.$write)
                    .await?;
                Ok(())
            }

            async fn create_session(&self, s: &NewSession<'_>) -> Result<()> {
                sqlx::query(&$sql(&format!(
                    "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                )))
                .bind(s.id_sha256)
                .bind(s.username)
                .bind(s.stage.as_str())
                .bind(s.csrf)
                .bind(nanos(s.at)?)
                .bind(nanos(s.expires_at)?)
                .bind(nanos(s.at)?)
                .execute(&self.$write)
                .await
                .map_err(|e| crate::codec::exists_or(e, "session"))?;
                Ok(())
            }

            async fn session(
                &self,
                id_sha256: &str,
                now: OffsetDateTime,
                idle_since: OffsetDateTime,
            ) -> Result<Option<SessionRecord>> {
                let n = nanos(now)?;
                let Some(record) = sqlx::query(&$sql(&format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE id_sha256 = ? \
                     AND revoked_at IS NULL AND expires_at > ? AND last_seen >= ?"
                )))
                .bind(id_sha256)
                .bind(n)
                .bind(nanos(idle_since)?)
                .fetch_optional(&self.$write)
                .await?
                .as_ref()
                .map(session_row)
                .transpose()?
                else {
                    return Ok(None);
                };
                if now - record.last_seen > time::Duration::minutes(1) {
                    sqlx::query(&$sql(
                        "UPDATE sessions SET last_seen = ? WHERE id_sha256 = ? AND last_seen < ?",
                    ))
                    .bind(n)
                    .bind(id_sha256)
                    .bind(n)
                    .execute(&self.$write)
                    .await?;
                }
                Ok(Some(record))
            }

            async fn promote_session(
                &self,
                old_sha256: &str,
                new: &NewSession<'_>,
            ) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let gone = sqlx::query(&$sql(
                    "DELETE FROM sessions WHERE id_sha256 = ? AND username = ? \
                     AND stage = 'second_factor' AND revoked_at IS NULL AND expires_at > ?",
                ))
                .bind(old_sha256)
                .bind(new.username)
                .bind(nanos(new.at)?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if gone != 1 {
                    return Ok(false);
                }
                sqlx::query(&$sql(&format!(
                    "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                )))
                .bind(new.id_sha256)
                .bind(new.username)
                .bind(new.stage.as_str())
                .bind(new.csrf)
                .bind(nanos(new.at)?)
                .bind(nanos(new.expires_at)?)
                .bind(nanos(new.at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::codec::exists_or(e, "session"))?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_session(&self, id_sha256: &str, at: OffsetDateTime) -> Result<bool> {
                let n = sqlx::query(&$sql(
                    "UPDATE sessions SET revoked_at = ? WHERE id_sha256 = ? AND revoked_at IS NULL",
                ))
                .bind(nanos(at)?)
                .bind(id_sha256)
                .execute(&self.$write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn revoke_user_sessions(
                &self,
                username: &str,
                except: Option<&str>,
                at: OffsetDateTime,
            ) -> Result<u64> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query(&$sql(
                    "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL \
                     AND id_sha256 <> ?",
                ))
                .bind(nanos(at)?)
                .bind(username)
                .bind(except.unwrap_or(""))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn set_totp_pending(&self, username: &str, secret: &str) -> Result<()> {
                let n = sqlx::query(&$sql(
                    "UPDATE users SET totp_pending = ? WHERE username = ?",
                ))
                .bind(secret)
                .bind(username)
                .execute(&self.$write)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound(format!("user {username}")));
                }
                Ok(())
            }

            async fn confirm_totp(
                &self,
                username: &str,
                pending: &str,
                step: i64,
                at: OffsetDateTime,
                audit: &IdentityAudit,
            ) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query(&$sql(
                    "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, \
                     totp_last_step = ? WHERE username = ? AND totp_pending = ?",
                ))
                .bind(step)
                .bind(username)
                .bind(pending)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, at, &audit.payload).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn clear_totp(
                &self,
                username: &str,
                at: OffsetDateTime,
                audit: &IdentityAudit,
            ) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query(&$sql(
                    "UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE username = ?",
                ))
                .bind(username)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                crate::records::Records::audit(&mut *tx, &audit.actor, &audit.action, at, &audit.payload).await?;
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn accept_totp_step(&self, username: &str, step: i64) -> Result<bool> {
                let n = sqlx::query(&$sql(
                    "UPDATE users SET totp_last_step = ? WHERE username = ? \
                     AND (totp_last_step IS NULL OR totp_last_step < ?)",
                ))
                .bind(step)
                .bind(username)
                .bind(step)
                .execute(&self.$write)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn set_user_active(
                &self,
                username: &str,
                active: bool,
                at: OffsetDateTime,
                audit: &IdentityAudit,
            ) -> Result<bool> {
                let at = nanos(at)?;
                let mut tx = self.$begin().await?;
                let n = sqlx::query(&$sql("UPDATE users SET active = ? WHERE username = ?"))
                    .bind(active)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n != 1 {
                    return Ok(false);
                }
                if !active {
                    sqlx::query(&$sql(
                        "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                    ))
                    .bind(at)
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(&$sql(
                    "INSERT INTO audit_log (actor, action, at, payload) VALUES (?, ?, ?, ?)",
                ))
                .bind(&audit.actor)
                .bind(&audit.action)
                .bind(at)
                .bind(crate::codec::to_json(&audit.payload)?)
                .execute(&mut *tx)
                .await?;
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

impl SqliteStore {
    async fn session_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl PgStore {
    async fn session_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

session_backend!(SqliteStore, writer, sqlite_sql, session_tx);
session_backend!(PgStore, pool, pg_sql, session_tx);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_from_the_threshold_up_to_the_maximum() {
        let base = time::Duration::minutes(1);
        let max = time::Duration::minutes(60);
        assert_eq!(lock_for(4, 5, base, max), None);
        assert_eq!(lock_for(5, 5, base, max), Some(base));
        assert_eq!(lock_for(6, 5, base, max), Some(time::Duration::minutes(2)));
        assert_eq!(lock_for(8, 5, base, max), Some(time::Duration::minutes(8)));
        assert_eq!(lock_for(12, 5, base, max), Some(max));
        assert_eq!(lock_for(1_000, 5, base, max), Some(max));
    }
}
