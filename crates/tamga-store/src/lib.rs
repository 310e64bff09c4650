//! tamga's storage: the [`Store`] trait and its two implementations,
//! [`sqlite::SqliteStore`] (embedded, the default) and
//! [`postgres::PgStore`]. Each implementation owns its migrations
//! (`migrations/sqlite`, `migrations/postgres`) and runs them on open.
//!
//! Invariants:
//! - A [`Write`] is atomic: a declaration's projection row, its events and
//!   its notifications are committed together or not at all.
//! - [`Store::commit`] takes a batch of writes and commits them in one
//!   transaction (group commit); a write that conflicts (duplicate LRN,
//!   stale version) is reported in its own [`WriteOutcome`] and leaves the
//!   others unaffected.
//! - Events are append-only: no method updates or deletes one.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Lrn, Mrn, OfficeCode};
use tamga_core::declaration::{Declaration, DeclarationType};
use tamga_core::lifecycle::{Channel, Event, NewNotification, NotificationKind, State};
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

pub mod postgres;
pub mod sqlite;
pub mod testing;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("not found: {0}")]
    NotFound(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Roles of customs-side users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    RiskAnalyst,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::RiskAnalyst => "risk_analyst",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Officer, Role::RiskAnalyst, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// An economic operator (trader, broker, carrier) with a personal account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: Eori,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A customs-side user: officer, risk analyst or administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub name: String,
    pub role: Role,
    /// Offices the user belongs to (an officer sees only these).
    pub offices: Vec<OfficeCode>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Who an API token authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    Operator { id: Eori },
    User { username: String },
}

/// An operator's registered Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub key_id: String,
    pub operator: Eori,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub revoked: bool,
}

/// The current-state projection of a declaration, kept in step with its
/// events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclarationRecord {
    pub mrn: Mrn,
    pub lrn: Lrn,
    pub declaration_type: DeclarationType,
    pub declarant: Eori,
    pub representative: Option<Eori>,
    /// The operator that lodged it (declarant or representative).
    pub lodged_by: Eori,
    pub office: OfficeCode,
    pub state: State,
    pub channel: Channel,
    /// Data version: 1 at lodging, +1 per accepted amendment.
    pub version: u32,
    /// SHA-256 (hex) of the exact lodged body bytes, for idempotent re-sends.
    pub body_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Number of events so far (= seq of the last one).
    pub last_seq: u32,
    /// Hash of the last event, to chain the next one.
    pub last_hash: String,
    pub declaration: Declaration,
}

/// A stored notification; `id` is the pull cursor (increasing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub recipient: Eori,
    pub kind: NotificationKind,
    pub mrn: Option<Mrn>,
    pub lrn: Option<Lrn>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub payload: serde_json::Value,
}

/// One atomic unit of a group commit.
#[derive(Debug, Clone)]
pub enum Write {
    /// A newly registered declaration with its first events. Refused with
    /// [`WriteOutcome::DuplicateLrn`] if the declarant already has the LRN.
    Insert {
        record: Box<DeclarationRecord>,
        events: Vec<Event>,
        notifications: Vec<NewNotification>,
    },
    /// A change to a declaration: new projection and its events. Refused
    /// with [`WriteOutcome::Stale`] unless the stored `last_seq` equals
    /// `expected_last_seq` (optimistic locking).
    Update {
        record: Box<DeclarationRecord>,
        expected_last_seq: u32,
        events: Vec<Event>,
        notifications: Vec<NewNotification>,
    },
    /// Notifications alone (e.g. a rejected lodging, which registers
    /// nothing).
    Notify { notifications: Vec<NewNotification> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Committed,
    /// The declarant already has a declaration with this LRN.
    DuplicateLrn {
        existing: Mrn,
    },
    /// Someone else changed the declaration first.
    Stale,
}

/// Filter for declaration lists. Every field given must match.
#[derive(Debug, Clone, Default)]
pub struct DeclarationQuery {
    /// Declarant or representative.
    pub party: Option<Eori>,
    /// Declaration office in this set.
    pub offices: Option<Vec<OfficeCode>>,
    pub states: Option<Vec<State>>,
    /// Return records registered strictly before this MRN's order position
    /// (pagination: pass the last MRN of the previous page).
    pub before: Option<Mrn>,
    pub limit: u32,
}

/// An audited configuration change (criteria, settings, users, keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub payload: serde_json::Value,
}

/// What [`Store::load_reference`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// (table, rows inserted or changed)
    pub changed: Vec<(String, u64)>,
}

impl LoadReport {
    pub fn total(&self) -> u64 {
        self.changed.iter().map(|(_, n)| n).sum()
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Cheap round trip, for health checks.
    async fn ping(&self) -> Result<()>;

    // --- reference data -------------------------------------------------

    /// Inserts or updates every row; running it twice changes nothing the
    /// second time (the report then says 0).
    async fn load_reference(&self, bundle: &ReferenceBundle) -> Result<LoadReport>;
    async fn reference(&self) -> Result<ReferenceBundle>;

    // --- parties and access ----------------------------------------------

    async fn create_operator(&self, op: &Operator) -> Result<()>;
    async fn operator(&self, id: &Eori) -> Result<Option<Operator>>;
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<User>>;
    /// Whether any user or operator exists (first start detection).
    async fn has_parties(&self) -> Result<bool>;
    /// Stores a token by the hex SHA-256 of its secret; never the secret.
    async fn add_token(&self, token_sha256: &str, principal: &Principal, label: &str)
        -> Result<()>;
    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>>;
    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()>;
    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>>;

    // --- declarations ----------------------------------------------------

    /// Reserves `n` consecutive values of a named counter and returns the
    /// first. Values are never handed out twice, even across restarts.
    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64>;
    /// Group commit: all writes in one transaction; one outcome per write.
    async fn commit(&self, writes: &[Write]) -> Result<Vec<WriteOutcome>>;
    async fn declaration(&self, mrn: &Mrn) -> Result<Option<DeclarationRecord>>;
    async fn declaration_by_lrn(
        &self,
        declarant: &Eori,
        lrn: &Lrn,
    ) -> Result<Option<DeclarationRecord>>;
    /// Newest first.
    async fn declarations(&self, q: &DeclarationQuery) -> Result<Vec<DeclarationRecord>>;
    /// In order of `seq`.
    async fn events(&self, mrn: &Mrn) -> Result<Vec<Event>>;
    async fn count_declarations(&self) -> Result<u64>;

    // --- notifications ---------------------------------------------------

    /// Notifications for `recipient` with id > `after`, oldest first.
    async fn notifications(
        &self,
        recipient: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>>;
    /// Sets (or with `None` removes) the operator's webhook. A new webhook
    /// starts after the operator's latest notification: push delivers what
    /// happens from now on; the backlog stays available by pull.
    async fn set_webhook(&self, operator: &Eori, url: Option<&str>) -> Result<()>;
    /// (operator, url, last delivered notification id)
    async fn webhooks(&self) -> Result<Vec<(Eori, String, i64)>>;
    async fn set_webhook_cursor(&self, operator: &Eori, delivered_up_to: i64) -> Result<()>;

    // --- selectivity and audit -------------------------------------------

    /// Inserts or replaces a criterion by id.
    async fn put_criterion(&self, c: &SelectivityCriterion) -> Result<()>;
    async fn criteria(&self) -> Result<Vec<SelectivityCriterion>>;
    async fn random_selection(&self) -> Result<Option<RandomSelection>>;
    async fn set_random_selection(&self, r: &RandomSelection) -> Result<()>;
    async fn append_audit(
        &self,
        actor: &str,
        action: &str,
        at: OffsetDateTime,
        payload: &serde_json::Value,
    ) -> Result<i64>;
    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Opens the store a URL names: `postgres://…` or `postgresql://…` for
/// PostgreSQL, `sqlite://PATH` or a plain file path for SQLite. Runs the
/// backend's migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(
            sqlite::SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    }
}
