//! People and parties (issue 15): operators registered online and their
//! approval, customs staff, roles and offices, and reading the audit log.
//!
//! One trait, implemented for both backends in this file with the SQL
//! written once (`?` placeholders, rewritten to `$n` for PostgreSQL); the
//! columns come from each backend's `0014_identity.sql`. Every
//! administrative write is committed in one transaction with its
//! `audit_log` entry (and, for a user changed, the `identity_epoch`
//! counter that tells every instance to forget what it cached).
//!
//! An operator registered online is `pending` and its first user is
//! created **inactive**: nobody can log in as it until an administrator
//! approves the operator, which activates the operator's users in the same
//! transaction. A refused operator's users stay inactive.

use std::collections::HashMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::lifecycle::NewNotification;

use crate::codec::{self, Get};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{AuditEntry, Result, Role, User};

/// What kind of party an operator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    Trader,
    Broker,
    Carrier,
    Agency,
    Bank,
}

impl OperatorKind {
    pub const ALL: [OperatorKind; 5] = [
        OperatorKind::Trader,
        OperatorKind::Broker,
        OperatorKind::Carrier,
        OperatorKind::Agency,
        OperatorKind::Bank,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorKind::Trader => "trader",
            OperatorKind::Broker => "broker",
            OperatorKind::Carrier => "carrier",
            OperatorKind::Agency => "agency",
            OperatorKind::Bank => "bank",
        }
    }
    pub fn parse(s: &str) -> Option<OperatorKind> {
        OperatorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// The role of an operator's first user: trader, broker or carrier
    /// (`None` for kinds that do not register online).
    pub fn first_role(self) -> Option<Role> {
        match self {
            OperatorKind::Trader => Some(Role::Trader),
            OperatorKind::Broker => Some(Role::Broker),
            OperatorKind::Carrier => Some(Role::Carrier),
            OperatorKind::Agency | OperatorKind::Bank => None,
        }
    }
}

/// Where an operator's registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OperatorStatus {
    Pending,
    Approved,
    Refused,
}

impl OperatorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorStatus::Pending => "pending",
            OperatorStatus::Approved => "approved",
            OperatorStatus::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<OperatorStatus> {
        [
            OperatorStatus::Pending,
            OperatorStatus::Approved,
            OperatorStatus::Refused,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An operator with its registration and the decision on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorRecord {
    pub id: Eori,
    pub name: String,
    pub kind: OperatorKind,
    pub status: OperatorStatus,
    /// As registered: legal address, contact, representative.
    pub details: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub decision_reason: Option<String>,
}

/// A user to create, with what only the store keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub user: User,
    pub email: Option<String>,
    /// argon2id PHC string; `None`: no password (logs in by token only).
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub totp_required: bool,
}

/// A stored user and its account settings (never its secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub user: User,
    pub email: Option<String>,
    pub must_change_password: bool,
    pub totp_required: bool,
    pub has_password: bool,
    pub totp_enabled: bool,
}

/// Which users to list: every given filter must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub office: Option<OfficeCode>,
    pub operator: Option<Eori>,
}

/// A change of a user's account: what is `Some` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offices: Option<Vec<OfficeCode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// `Some(None)` removes the e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp_required: Option<bool>,
}

impl UserChange {
    pub fn is_empty(&self) -> bool {
        self == &UserChange::default()
    }
}

/// Which audit entries to read: after id `after`, at most `limit`, oldest
/// first, optionally of one actor and one action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub after: i64,
    pub limit: u32,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// The outcome of deciding a registration.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// Decided now (and written with its audit entry).
    Done(OperatorRecord),
    /// No such operator.
    NotFound,
    /// Decided before: nothing written.
    AlreadyDecided(OperatorRecord),
}

#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// Stores an operator registered online (`op.status` should be
    /// pending) and its first user (inactive until approval) with the
    /// audit entry `operator.register` (actor `user:<first user>`).
    /// [`crate::StoreError::AlreadyExists`] `"operator …"` or `"user …"`.
    async fn register_operator(&self, op: &OperatorRecord, first: &NewUser) -> Result<()>;
    /// Approves (`approve`) or refuses a pending registration: sets the
    /// status, who decided, when and why; an approval activates the
    /// operator's users. Audit `operator.approve` / `operator.refuse`, and
    /// the notification given, in the same transaction.
    async fn decide_operator(
        &self,
        id: &Eori,
        approve: bool,
        reason: Option<&str>,
        by: &str,
        at: OffsetDateTime,
        notification: Option<&NewNotification>,
    ) -> Result<Decided>;
    async fn operator_record(&self, id: &Eori) -> Result<Option<OperatorRecord>>;
    /// Operators, oldest first, optionally of one status and one kind.
    async fn operator_records(
        &self,
        status: Option<OperatorStatus>,
        kind: Option<OperatorKind>,
    ) -> Result<Vec<OperatorRecord>>;
    /// Creates a user with its audit entry `user.create` (actor `actor`).
    async fn create_person(&self, new: &NewUser, actor: &str, at: OffsetDateTime) -> Result<()>;
    async fn person(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Users by name, filtered by `q`.
    async fn people(&self, q: &UserQuery) -> Result<Vec<UserRecord>>;
    /// Applies `change` with its audit entry `user.update` (before and
    /// after) and moves `identity_epoch`; `None` when there is no such user.
    async fn update_person(
        &self,
        username: &str,
        change: &UserChange,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<Option<UserRecord>>;
    /// The users of an office.
    async fn office_staff(&self, office: &OfficeCode) -> Result<Vec<UserRecord>> {
        self.people(&UserQuery {
            office: Some(office.clone()),
            ..Default::default()
        })
        .await
    }
    async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
}

const OPERATOR_COLUMNS: &str =
    "id, name, kind, status, details, created_at, decided_by, decided_at, decision_reason";

/// An operator row; `decided_at` is read by the caller (an optional
/// integer, which [`Get`] does not read).
fn operator_row(r: &impl Get, decided_at: Option<i64>) -> Result<OperatorRecord> {
    let kind = r.s("kind")?;
    let status = r.s("status")?;
    Ok(OperatorRecord {
        id: codec::eori(r.s("id")?)?,
        name: r.s("name")?,
        kind: OperatorKind::parse(&kind)
            .ok_or_else(|| codec::corrupt(format!("bad stored operator kind {kind:?}")))?,
        status: OperatorStatus::parse(&status)
            .ok_or_else(|| codec::corrupt(format!("bad stored operator status {status:?}")))?,
        details: codec::from_json("operator details", &r.s("details")?)?,
        created_at: codec::from_nanos(r.i("created_at")?)?,
        decided_by: r.os("decided_by")?,
        decided_at: decided_at.map(codec::from_nanos).transpose()?,
        decision_reason: r.os("decision_reason")?,
    })
}

const USER_COLUMNS: &str = "username, name, operator_id, email, active, must_change_password, totp_required, password_hash IS NOT NULL AS has_password, totp_secret IS NOT NULL AS totp_enabled, created_at";

fn user_row(
    r: &impl Get,
    roles: &mut HashMap<String, Vec<Role>>,
    offices: &mut HashMap<String, Vec<OfficeCode>>,
) -> Result<UserRecord> {
    let username = r.s("username")?;
    let mut user_roles = roles.remove(&username).unwrap_or_default();
    user_roles.sort();
    Ok(UserRecord {
        user: User {
            name: r.s("name")?,
            roles: user_roles,
            operator: r.os("operator_id")?.map(codec::eori).transpose()?,
            offices: offices.remove(&username).unwrap_or_default(),
            active: r.b("active")?,
            created_at: codec::from_nanos(r.i("created_at")?)?,
            username,
        },
        email: r.os("email")?,
        must_change_password: r.b("must_change_password")?,
        totp_required: r.b("totp_required")?,
        has_password: r.b("has_password")?,
        totp_enabled: r.b("totp_enabled")?,
    })
}

/// The `WHERE` of a user query over `users u` and its (string) parameters.
fn user_filter(q: &UserQuery) -> (String, Vec<String>) {
    let mut conditions = vec!["TRUE".to_owned()];
    let mut params = Vec::new();
    if let Some(role) = q.role {
        conditions.push(
            "EXISTS (SELECT 1 FROM user_roles r WHERE r.username = u.username AND r.role = ?)"
                .into(),
        );
        params.push(role.as_str().to_owned());
    }
    if let Some(office) = &q.office {
        conditions.push(
            "EXISTS (SELECT 1 FROM user_offices o WHERE o.username = u.username AND o.office = ?)"
                .into(),
        );
        params.push(office.as_str().to_owned());
    }
    if let Some(operator) = &q.operator {
        conditions.push("u.operator_id = ?".into());
        params.push(operator.as_str().to_owned());
    }
    (conditions.join(" AND "), params)
}

/// The audit entry of a registration.
fn registration_audit(op: &OperatorRecord, first: &NewUser) -> serde_json::Value {
    serde_json::json!({
        "operator": op.id,
        "name": op.name,
        "kind": op.kind,
        "user": first.user.username,
        "roles": first.user.roles,
    })
}

fn user_summary(u: &UserRecord) -> serde_json::Value {
    serde_json::json!({
        "roles": u.user.roles,
        "offices": u.user.offices,
        "operator": u.user.operator,
        "active": u.user.active,
        "email": u.email,
        "totpRequired": u.totp_required,
    })
}

async fn sqlite_notification_lock(_: &mut sqlx::SqliteConnection) -> Result<()> {
    Ok(())
}

/// PostgreSQL: the group commit's advisory lock (see `keys_sql.rs`), so
/// notification ids become visible in increasing order.
async fn pg_notification_lock(c: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(crate::postgres::COMMIT_LOCK)
        .execute(c)
        .await?;
    Ok(())
}

macro_rules! people_backend {
    ($store:ty, $conn:ty, $row:ty, $read:ident, $write:ident, $sql:path, $lock:path) => {
        fn read_operator(r: &$row) -> Result<OperatorRecord> {
            operator_row(r, sqlx::Row::try_get(r, "decided_at")?)
        }

        impl $store {
            /// Inserts a user, its roles and offices in `tx`.
            async fn insert_person(
                tx: &mut $conn,
                new: &NewUser,
            ) -> Result<()> {
                let u = &new.user;
                sqlx::query(&$sql(
                    "INSERT INTO users (username, name, operator_id, email, active, password_hash, must_change_password, totp_required, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(&u.username)
                .bind(&u.name)
                .bind(u.operator.as_ref().map(|o| o.as_str()))
                .bind(new.email.as_deref())
                .bind(u.active)
                .bind(new.password_hash.as_deref())
                .bind(new.must_change_password)
                .bind(new.totp_required)
                .bind(codec::nanos(u.created_at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| codec::exists_or(e, format!("user {}", u.username)))?;
                Self::put_roles_offices(tx, &u.username, Some(&u.roles), Some(&u.offices)).await
            }

            async fn put_roles_offices(
                tx: &mut $conn,
                username: &str,
                roles: Option<&[Role]>,
                offices: Option<&[OfficeCode]>,
            ) -> Result<()> {
                if let Some(roles) = roles {
                    sqlx::query(&$sql("DELETE FROM user_roles WHERE username = ?"))
                        .bind(username)
                        .execute(&mut *tx)
                        .await?;
                    for role in roles {
                        sqlx::query(&$sql(
                            "INSERT INTO user_roles (username, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        ))
                        .bind(username)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                if let Some(offices) = offices {
                    sqlx::query(&$sql("DELETE FROM user_offices WHERE username = ?"))
                        .bind(username)
                        .execute(&mut *tx)
                        .await?;
                    for (i, o) in offices.iter().enumerate() {
                        sqlx::query(&$sql(
                            "INSERT INTO user_offices (username, position, office) VALUES (?, ?, ?)",
                        ))
                        .bind(username)
                        .bind(i as i64)
                        .bind(o.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn audit_in(
                tx: &mut $conn,
                actor: &str,
                action: &str,
                at: OffsetDateTime,
                payload: &serde_json::Value,
            ) -> Result<()> {
                crate::records::Records::audit(&mut *tx, actor, action, at, payload).await?;
                Ok(())
            }
        }

        #[async_trait]
        impl PeopleStore for $store {
            async fn register_operator(&self, op: &OperatorRecord, first: &NewUser) -> Result<()> {
                let mut tx = self.$write.begin().await?;
                sqlx::query(&$sql(&format!(
                    "INSERT INTO operators ({OPERATOR_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                )))
                .bind(op.id.as_str())
                .bind(&op.name)
                .bind(op.kind.as_str())
                .bind(op.status.as_str())
                .bind(codec::to_json(&op.details)?)
                .bind(codec::nanos(op.created_at)?)
                .bind(op.decided_by.as_deref())
                .bind(op.decided_at.map(codec::nanos).transpose()?)
                .bind(op.decision_reason.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(|e| codec::exists_or(e, format!("operator {}", op.id)))?;
                Self::insert_person(&mut tx, first).await?;
                Self::audit_in(
                    &mut tx,
                    &format!("user:{}", first.user.username),
                    "operator.register",
                    op.created_at,
                    &registration_audit(op, first),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn decide_operator(
                &self,
                id: &Eori,
                approve: bool,
                reason: Option<&str>,
                by: &str,
                at: OffsetDateTime,
                notification: Option<&NewNotification>,
            ) -> Result<Decided> {
                let mut tx = self.$write.begin().await?;
                if notification.is_some() {
                    $lock(&mut *tx).await?;
                }
                let status = if approve {
                    OperatorStatus::Approved
                } else {
                    OperatorStatus::Refused
                };
                let row = sqlx::query(&$sql(&format!(
                    "UPDATE operators SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ? WHERE id = ? AND status = 'pending' RETURNING {OPERATOR_COLUMNS}"
                )))
                .bind(status.as_str())
                .bind(by)
                .bind(codec::nanos(at)?)
                .bind(reason)
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    drop(tx);
                    return Ok(match self.operator_record(id).await? {
                        Some(op) => Decided::AlreadyDecided(op),
                        None => Decided::NotFound,
                    });
                };
                let op = read_operator(&row)?;
                let mut activated = Vec::<String>::new();
                if approve {
                    activated = sqlx::query_scalar(&$sql(
                        "UPDATE users SET active = TRUE WHERE operator_id = ? RETURNING username",
                    ))
                    .bind(id.as_str())
                    .fetch_all(&mut *tx)
                    .await?;
                    activated.sort();
                }
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                Self::audit_in(
                    &mut tx,
                    by,
                    if approve { "operator.approve" } else { "operator.refuse" },
                    at,
                    &serde_json::json!({
                        "operator": id,
                        "reason": reason,
                        "activatedUsers": activated,
                    }),
                )
                .await?;
                if let Some(n) = notification {
                    crate::records::Records::notify(&mut *tx, n).await?;
                }
                tx.commit().await?;
                Ok(Decided::Done(op))
            }

            async fn operator_record(&self, id: &Eori) -> Result<Option<OperatorRecord>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {OPERATOR_COLUMNS} FROM operators WHERE id = ?"
                )))
                .bind(id.as_str())
                .fetch_optional(&self.$read)
                .await?
                .as_ref()
                .map(read_operator)
                .transpose()
            }

            async fn operator_records(
                &self,
                status: Option<OperatorStatus>,
                kind: Option<OperatorKind>,
            ) -> Result<Vec<OperatorRecord>> {
                let mut sql = format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE TRUE");
                if status.is_some() {
                    sql.push_str(" AND status = ?");
                }
                if kind.is_some() {
                    sql.push_str(" AND kind = ?");
                }
                sql.push_str(" ORDER BY created_at, id");
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql);
                if let Some(s) = status {
                    query = query.bind(s.as_str());
                }
                if let Some(k) = kind {
                    query = query.bind(k.as_str());
                }
                query
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(read_operator)
                    .collect()
            }

            async fn create_person(
                &self,
                new: &NewUser,
                actor: &str,
                at: OffsetDateTime,
            ) -> Result<()> {
                let mut tx = self.$write.begin().await?;
                Self::insert_person(&mut tx, new).await?;
                Self::audit_in(
                    &mut tx,
                    actor,
                    "user.create",
                    at,
                    &serde_json::json!({
                        "user": new.user.username,
                        "name": new.user.name,
                        "roles": new.user.roles,
                        "offices": new.user.offices,
                        "operator": new.user.operator,
                        "active": new.user.active,
                        "email": new.email,
                        "mustChangePassword": new.must_change_password,
                        "totpRequired": new.totp_required,
                    }),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn person(&self, username: &str) -> Result<Option<UserRecord>> {
                let mut found = self.people_where("u.username = ?", &[username.to_owned()]).await?;
                Ok(found.pop())
            }

            async fn people(&self, q: &UserQuery) -> Result<Vec<UserRecord>> {
                let (filter, params) = user_filter(q);
                self.people_where(&filter, &params).await
            }

            async fn update_person(
                &self,
                username: &str,
                change: &UserChange,
                actor: &str,
                at: OffsetDateTime,
            ) -> Result<Option<UserRecord>> {
                let Some(before) = self.person(username).await? else {
                    return Ok(None);
                };
                let mut tx = self.$write.begin().await?;
                if let Some(active) = change.active {
                    sqlx::query(&$sql("UPDATE users SET active = ? WHERE username = ?"))
                        .bind(active)
                        .bind(username)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(email) = &change.email {
                    sqlx::query(&$sql("UPDATE users SET email = ? WHERE username = ?"))
                        .bind(email.as_deref())
                        .bind(username)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(totp) = change.totp_required {
                    sqlx::query(&$sql("UPDATE users SET totp_required = ? WHERE username = ?"))
                        .bind(totp)
                        .bind(username)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::put_roles_offices(
                    &mut tx,
                    username,
                    change.roles.as_deref(),
                    change.offices.as_deref(),
                )
                .await?;
                crate::records::Records::bump_identity_epoch(&mut *tx).await?;
                Self::audit_in(
                    &mut tx,
                    actor,
                    "user.update",
                    at,
                    &serde_json::json!({
                        "user": username,
                        "before": user_summary(&before),
                        "change": change,
                    }),
                )
                .await?;
                tx.commit().await?;
                self.person(username).await
            }

            async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
                let mut sql =
                    "SELECT id, actor, action, at, payload FROM audit_log WHERE id > ?".to_owned();
                if q.actor.is_some() {
                    sql.push_str(" AND actor = ?");
                }
                if q.action.is_some() {
                    sql.push_str(" AND action = ?");
                }
                sql.push_str(" ORDER BY id LIMIT ?");
                let sql = $sql(&sql);
                let mut query = sqlx::query(&sql).bind(q.after);
                if let Some(a) = &q.actor {
                    query = query.bind(a);
                }
                if let Some(a) = &q.action {
                    query = query.bind(a);
                }
                query
                    .bind(i64::from(q.limit))
                    .fetch_all(&self.$read)
                    .await?
                    .iter()
                    .map(codec::audit)
                    .collect()
            }
        }

        impl $store {
            /// Users matching `filter` (over `users u`, `?` parameters
            /// `params`), by name, with their roles and offices.
            async fn people_where(
                &self,
                filter: &str,
                params: &[String],
            ) -> Result<Vec<UserRecord>> {
                let mut c = self.$read.acquire().await?;
                let users_sql = $sql(&format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE {filter} ORDER BY username"
                ))
                .into_owned();
                let roles_sql = $sql(&format!(
                    "SELECT username, role FROM user_roles WHERE username IN (SELECT u.username FROM users u WHERE {filter})"
                ))
                .into_owned();
                let offices_sql = $sql(&format!(
                    "SELECT username, office FROM user_offices WHERE username IN (SELECT u.username FROM users u WHERE {filter}) ORDER BY username, position"
                ))
                .into_owned();
                let mut roles: HashMap<String, Vec<Role>> = HashMap::new();
                let mut q = sqlx::query(&roles_sql);
                for p in params {
                    q = q.bind(p);
                }
                for r in q.fetch_all(&mut *c).await? {
                    roles
                        .entry(r.s("username")?)
                        .or_default()
                        .push(codec::role(&r.s("role")?)?);
                }
                let mut offices: HashMap<String, Vec<OfficeCode>> = HashMap::new();
                let mut q = sqlx::query(&offices_sql);
                for p in params {
                    q = q.bind(p);
                }
                for r in q.fetch_all(&mut *c).await? {
                    offices
                        .entry(r.s("username")?)
                        .or_default()
                        .push(codec::office(r.s("office")?)?);
                }
                let mut q = sqlx::query(&users_sql);
                for p in params {
                    q = q.bind(p);
                }
                q.fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|r| user_row(r, &mut roles, &mut offices))
                    .collect()
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    people_backend!(
        SqliteStore,
        sqlx::SqliteConnection,
        sqlx::sqlite::SqliteRow,
        reader,
        writer,
        sqlite_sql,
        sqlite_notification_lock
    );
}
mod pg_impl {
    use super::*;
    people_backend!(
        PgStore,
        sqlx::PgConnection,
        sqlx::postgres::PgRow,
        pool,
        pool,
        pg_sql,
        pg_notification_lock
    );
}
