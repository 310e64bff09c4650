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
//! - The ledger (the single personal account, see [`tamga_core::ledger`])
//!   stores amounts as `i64` minor units on both backends. Every
//!   transaction's entries sum to zero, no balance is ever negative (a
//!   conditional `UPDATE … WHERE balance + delta >= 0` per account inside
//!   the transaction, backed by `CHECK (… >= 0)`), and bank payments,
//!   reservations (by MRN) and refunds are keyed uniquely in the database.
//!   [`Store::ledger`] applies a batch of operations in one durable
//!   transaction, each with its own outcome; a refused or insufficient
//!   operation changes nothing.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use tamga_core::codes::{CurrencyCode, Eori, Lrn, Mrn, OfficeCode};
use tamga_core::declaration::{Declaration, DeclarationType};
use tamga_core::ledger::{
    AccountId, AccountKind, Balances, LedgerOp, LedgerOutcome, Movement, RefundId, RefundStatus,
    ReservationStatus, TxnId,
};
use tamga_core::lifecycle::{Channel, Event, NewNotification, NotificationKind, State};
use tamga_core::reference::ReferenceBundle;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};

pub mod appeal_sql;
mod audit_sql;
mod codec;
pub mod dashboard_sql;
mod declaration_sql;
pub mod directory_sql;
pub mod drafts_sql;
pub mod draw_sql;
pub mod epoch_sql;
mod group_commit;
pub mod keys_sql;
mod ledger_sql;
pub mod mandate_sql;
pub mod model_sql;
pub mod notice_sql;
pub mod ops_sql;
pub mod originals_sql;
mod party_sql;
mod payment_sql;
pub mod people_sql;
mod placeholders;
pub mod postgres;
mod records;
mod reference_sql;
pub mod risk_sql;
mod score_rows;
mod selectivity_sql;
pub mod session_sql;
pub mod sqlite;
pub mod statement_sql;
pub mod testing;
pub mod token_sql;
pub mod value_sql;
mod webhook_sql;

pub use appeal_sql::{
    AppealAudit, AppealDecision, AppealLodging, AppealQuery, AppealRecord, AppealStore,
    AttachmentMeta, NewAppeal, NewAttachment,
};
pub use dashboard_sql::DashboardStore;
pub use directory_sql::DirectoryStore;
pub use drafts_sql::{DraftHead, DraftRecord, DraftStore};
pub use draw_sql::{DrawSecretRecord, DrawSecretStore};
pub use epoch_sql::EpochStore;
pub use keys_sql::{
    KeyApproval, KeyAudit, KeyRevocation, NewKey, OfficerKeyRecord, OfficerKeyStore,
};
pub use mandate_sql::{MandateRecord, MandateStore, SignedBody};
pub use model_sql::{
    LabelledDeclaration, ModelActivation, ModelHead, ModelStore, NewModel, SelectionYields,
};
pub use notice_sql::NoticeStore;
pub use ops_sql::OpsStore;
pub use originals_sql::{
    Original, OriginalStore, StoredOriginal, AMENDMENT, CANCELLATION, LODGEMENT, UNEDIFACT_CUSDEC,
    WCO_DEC_DMS_XML,
};
pub use people_sql::{
    AuditQuery, Decided, NewUser, OperatorKind, OperatorRecord, OperatorStatus, PeopleStore,
    UserChange, UserQuery, UserRecord,
};
pub use risk_sql::RiskStore;
pub use session_sql::{
    IdentityAudit, LoginRecord, NewSession, PasswordChange, SessionRecord, SessionStage,
    SessionStore, Throttle,
};
pub use statement_sql::StatementStore;
pub use token_sql::{NewToken, RevokedToken, TokenGrant, TokenRecord, TokenStore};
pub use value_sql::{StoredObservation, ValueStore};

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
    /// The database cannot be opened: an unsupported URL or a server that
    /// does not answer. The text says which and why.
    #[error("{0}")]
    Open(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The roles a user may hold (a user holds one or more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A user of a trader (declarant): acts in its operator's name.
    Trader,
    /// A user of a customs broker: acts in its operator's name.
    Broker,
    /// A user of a carrier.
    Carrier,
    /// A customs officer of one or more offices.
    Officer,
    /// An officer who carries out inspections (competences and capacity
    /// in the workbench's inspector register).
    Inspector,
    RiskAnalyst,
    /// Reads the dashboards of the whole administration.
    Manager,
    /// Decides appeals against customs decisions.
    AppealsOfficer,
    /// Administers people, parties and settings. One with offices is an
    /// office administrator: it manages the staff of those offices only.
    Admin,
    /// A bank reporting payments into traders' accounts.
    Bank,
    /// Another government agency (Single Window).
    Agency,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Trader,
        Role::Broker,
        Role::Carrier,
        Role::Officer,
        Role::Inspector,
        Role::RiskAnalyst,
        Role::Manager,
        Role::AppealsOfficer,
        Role::Admin,
        Role::Bank,
        Role::Agency,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trader => "trader",
            Role::Broker => "broker",
            Role::Carrier => "carrier",
            Role::Officer => "officer",
            Role::Inspector => "inspector",
            Role::RiskAnalyst => "risk_analyst",
            Role::Manager => "manager",
            Role::AppealsOfficer => "appeals_officer",
            Role::Admin => "admin",
            Role::Bank => "bank",
            Role::Agency => "agency",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    /// Roles of an economic operator's users (the others are customs
    /// staff, banks and agencies).
    pub fn is_operator_side(self) -> bool {
        matches!(self, Role::Trader | Role::Broker | Role::Carrier)
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

/// A user: a person of an economic operator (`operator` set) or of
/// customs (offices), with one or more roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub name: String,
    /// One or more, sorted, without repeats.
    pub roles: Vec<Role>,
    /// The operator a trader's, broker's or carrier's user belongs to.
    #[serde(default)]
    pub operator: Option<Eori>,
    /// Offices the user belongs to (an officer sees only these).
    pub offices: Vec<OfficeCode>,
    /// A deactivated user authenticates nobody (its tokens and sessions
    /// stop working).
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn yes() -> bool {
    true
}

impl User {
    /// A customs-side user with one role and no operator.
    pub fn staff(
        username: impl Into<String>,
        name: impl Into<String>,
        role: Role,
        offices: Vec<OfficeCode>,
        created_at: OffsetDateTime,
    ) -> User {
        User {
            username: username.into(),
            name: name.into(),
            roles: vec![role],
            operator: None,
            offices,
            active: true,
            created_at,
        }
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
    /// An officer or inspector without the administrator role: sees only
    /// its offices.
    pub fn office_bound(&self) -> bool {
        self.has_any(&[Role::Officer, Role::Inspector]) && !self.has(Role::Admin)
    }
    /// The roles as text, comma-separated (for messages).
    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        payment: Option<Payment>,
        /// Tariff quota draws of the declaration (stored with either form).
        quota_draws: Vec<QuotaDrawRecord>,
        /// The message it was lodged as, when not tamga's JSON (stored
        /// with either form, [`originals_sql`]).
        original: Option<Box<Original>>,
    },
    /// A change to a declaration: new projection and its events. Refused
    /// with [`WriteOutcome::Stale`] unless the stored `last_seq` equals
    /// `expected_last_seq` (optimistic locking).
    Update {
        record: Box<DeclarationRecord>,
        expected_last_seq: u32,
        events: Vec<Event>,
        notifications: Vec<NewNotification>,
        payment: Option<Payment>,
        /// The message of the act, when it came as one (an amendment or a
        /// cancellation sent as DEC-DMS XML), stored with either form.
        original: Option<Box<Original>>,
    },
    /// Notifications alone (e.g. a rejected lodging, which registers
    /// nothing).
    Notify { notifications: Vec<NewNotification> },
}

/// Money moved together with a declaration write, in the same transaction
/// (the declaration's MRN keys the reservation).
#[derive(Debug, Clone)]
pub struct Payment {
    pub op: PaymentOp,
    /// What to write instead when [`PaymentOp::Secure`] finds no account
    /// that covers the amount (outcome [`WriteOutcome::Unsecured`]). With
    /// `None` such a write is not stored at all
    /// ([`WriteOutcome::Insufficient`]).
    pub otherwise: Option<Box<Alternative>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOp {
    /// Reserve `amount` (minor units) on the first of `accounts` whose
    /// available balance covers it; with `debit`, debit it at once (the
    /// declaration is released in the same write).
    Secure {
        accounts: Vec<AccountId>,
        amount: i64,
        debit: bool,
    },
    /// Debit the declaration's reservation (release).
    Debit,
    /// Return the declaration's reservation, if it has one, to available,
    /// and its tariff quota draws to their balances (invalidation,
    /// refusal).
    Release,
}

/// A declaration's draw on a tariff quota period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaDrawRecord {
    pub order_number: String,
    pub period_from: time::Date,
    pub quantity: rust_decimal::Decimal,
    /// The quota period's volume, when the draw is to be checked against
    /// it at commit: a new declaration's draw is stored only if what is
    /// drawn in the database (every instance's draws) leaves room for it,
    /// else the write is [`WriteOutcome::QuotaExhausted`]. `None` for
    /// sums read back from the store.
    pub volume: Option<rust_decimal::Decimal>,
}

/// The other form of a write whose duties could not be secured.
#[derive(Debug, Clone)]
pub struct Alternative {
    pub record: Box<DeclarationRecord>,
    /// How many of the write's own events, from the first, this form keeps
    /// (e.g. lodging, registration, risk and duty assessment); `events`
    /// follow them.
    pub shared_events: usize,
    pub events: Vec<Event>,
    pub notifications: Vec<NewNotification>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Committed,
    /// Committed in its [`Payment::otherwise`] form: the duties could not
    /// be secured.
    Unsecured,
    /// Nothing was written: the duties could not be secured and the write
    /// had no other form. `available` is what the first account had.
    Insufficient {
        available: i64,
    },
    /// The declarant already has a declaration with this LRN.
    DuplicateLrn {
        existing: Mrn,
    },
    /// Someone else changed the declaration first.
    Stale,
    /// Nothing was written: a tariff quota it draws on has less left in
    /// the database than it assumed (another instance drew first). Assess
    /// the duties again with the stored balances.
    QuotaExhausted {
        order_number: String,
    },
}

impl WriteOutcome {
    /// Whether the write (in one of its forms) was stored.
    pub fn is_written(&self) -> bool {
        matches!(self, WriteOutcome::Committed | WriteOutcome::Unsecured)
    }
}

/// What a group commit stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// One per write.
    pub outcomes: Vec<WriteOutcome>,
    /// One per write: the ids its stored events received in the event log,
    /// in the order of the stored form's events (the shared events, then
    /// the other form's own, when [`WriteOutcome::Unsecured`]); empty when
    /// nothing was written.
    pub event_ids: Vec<Vec<i64>>,
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

/// A tariff file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTariff {
    pub id: i64,
    pub name: String,
    pub sha256: String,
    pub imported_at: OffsetDateTime,
    pub body: String,
}

/// A ledger account with its balances (minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAccount {
    pub id: AccountId,
    /// `None` for the internal accounts of a currency.
    pub owner: Option<Eori>,
    pub kind: AccountKind,
    pub currency: CurrencyCode,
    pub balances: Balances,
    /// What the trader quotes on bank transfers (cash accounts).
    pub payment_reference: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The security of one declaration's duties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub mrn: Mrn,
    pub account: AccountId,
    pub amount: i64,
    pub status: ReservationStatus,
    pub txn: TxnId,
    /// The debit or release transaction.
    pub settle_txn: Option<TxnId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub account: AccountId,
    pub amount: i64,
    pub status: RefundStatus,
    pub txn: TxnId,
    pub decide_txn: Option<TxnId>,
    pub decided_by: Option<String>,
}

/// An account's movements in `[from, to)` with the balances around them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementData {
    pub account: LedgerAccount,
    pub opening: Balances,
    pub closing: Balances,
    /// In the order of their time, then of posting (entry id).
    pub movements: Vec<Movement>,
}

/// A full consistency check of the ledger (tests, operations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCheck {
    pub transactions: u64,
    pub entries: u64,
    /// Sum of all signed entry amounts; 0 when debits equal credits.
    pub entries_sum: i64,
    /// Transactions whose entries do not sum to 0.
    pub unbalanced_transactions: u64,
    /// Accounts whose stored balances differ from the fold of their entries.
    pub mismatched_accounts: Vec<AccountId>,
    /// Accounts with a negative balance.
    pub negative_accounts: Vec<AccountId>,
}

impl LedgerCheck {
    pub fn is_sound(&self) -> bool {
        self.entries_sum == 0
            && self.unbalanced_transactions == 0
            && self.mismatched_accounts.is_empty()
            && self.negative_accounts.is_empty()
    }
}

#[async_trait]
pub trait Store:
    RiskStore
    + OpsStore
    + OfficerKeyStore
    + MandateStore
    + DrawSecretStore
    + EpochStore
    + DashboardStore
    + PeopleStore
    + TokenStore
    + SessionStore
    + AppealStore
    + DirectoryStore
    + StatementStore
    + NoticeStore
    + DraftStore
    + ModelStore
    + OriginalStore
    + ValueStore
    + Send
    + Sync
    + 'static
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Whether each connection runs on a thread of its own, so that a
    /// caller may drive it from any runtime (sqlx's SQLite connections).
    /// Network connections belong to the runtime that opened them.
    fn connections_on_own_threads(&self) -> bool {
        false
    }

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
    /// Whom a token names, if it is neither revoked nor expired (tokens
    /// without an expiry do not expire). Authentication uses
    /// [`TokenStore::token_grant`], which also checks the holder.
    async fn principal_for_token(&self, token_sha256: &str) -> Result<Option<Principal>>;
    async fn add_signing_key(&self, key: &SigningKeyRecord) -> Result<()>;
    async fn signing_keys(&self, operator: &Eori) -> Result<Vec<SigningKeyRecord>>;

    // --- declarations ----------------------------------------------------

    /// Reserves `n` consecutive values of a named counter and returns the
    /// first. Values are never handed out twice, even across restarts.
    async fn reserve_sequence(&self, name: &str, n: u64) -> Result<u64>;
    /// Group commit: all writes in one transaction; one outcome per write.
    async fn commit(&self, writes: &[Write]) -> Result<Vec<WriteOutcome>> {
        Ok(self.commit_numbered(writes).await?.outcomes)
    }
    /// [`Store::commit`], also telling the id each stored event received.
    async fn commit_numbered(&self, writes: &[Write]) -> Result<Committed>;
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
    /// Sets the operator's webhook with the secret its deliveries are
    /// signed with (HMAC-SHA256; a new secret each time it is set). Like
    /// [`Store::set_webhook`], a new webhook starts after the operator's
    /// latest notification. ([`Store::set_webhook`] leaves no secret:
    /// nothing is pushed to such a webhook.)
    async fn set_signed_webhook(&self, operator: &Eori, url: &str, secret: &str) -> Result<()>;
    /// The secret of the operator's webhook, if it has one.
    async fn webhook_secret(&self, operator: &Eori) -> Result<Option<String>>;

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

    // --- tariff ------------------------------------------------------------

    /// Stores a tariff file's text and makes it the current tariff. The
    /// same text again only makes it current again; `bool` says whether it
    /// was new.
    async fn put_tariff(&self, name: &str, body: &str, at: OffsetDateTime) -> Result<(i64, bool)>;
    /// The current tariff (the one imported last).
    async fn tariff(&self) -> Result<Option<StoredTariff>>;
    /// Quantities drawn so far per tariff quota period, summed.
    async fn quota_drawn(&self) -> Result<Vec<QuotaDrawRecord>>;

    // --- ledger (single personal account) --------------------------------

    /// The account of `owner` of this kind and currency, created (with the
    /// currency's internal accounts) if missing. Cash accounts get the
    /// owner's payment reference.
    async fn ensure_ledger_account(
        &self,
        owner: &Eori,
        kind: AccountKind,
        currency: &CurrencyCode,
        at: OffsetDateTime,
    ) -> Result<LedgerAccount>;
    async fn ledger_account(&self, id: AccountId) -> Result<Option<LedgerAccount>>;
    /// The owner's accounts, or with `None` the internal accounts.
    async fn ledger_accounts(&self, owner: Option<&Eori>) -> Result<Vec<LedgerAccount>>;
    async fn ledger_account_by_payment_reference(
        &self,
        payment_reference: &str,
    ) -> Result<Option<LedgerAccount>>;
    /// Applies the operations in order in one durable transaction; one
    /// outcome per operation. Refused and insufficient operations change
    /// nothing; the others are unaffected by them.
    async fn ledger(&self, ops: &[LedgerOp], at: OffsetDateTime) -> Result<Vec<LedgerOutcome>>;
    async fn reservation(&self, mrn: &Mrn) -> Result<Option<Reservation>>;
    async fn refund(&self, id: RefundId) -> Result<Option<Refund>>;
    /// The account's refunds, oldest first.
    async fn refunds(&self, account: AccountId) -> Result<Vec<Refund>>;
    /// Movements with `from <= at < to`, opening and closing balances.
    async fn statement(
        &self,
        account: AccountId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Option<StatementData>>;
    async fn ledger_check(&self) -> Result<LedgerCheck>;

    /// One-operation conveniences over [`Store::ledger`].
    async fn deposit(
        &self,
        payment_reference: &str,
        bank_reference: &str,
        amount: i64,
        at: OffsetDateTime,
    ) -> Result<LedgerOutcome> {
        self.ledger_one(
            LedgerOp::Deposit {
                payment_reference: payment_reference.to_owned(),
                bank_reference: bank_reference.to_owned(),
                amount,
            },
            at,
        )
        .await
    }
    /// `Reserved` or `Insufficient { available }` (or `Refused`).
    async fn reserve(
        &self,
        account: AccountId,
        mrn: &Mrn,
        amount: i64,
        at: OffsetDateTime,
    ) -> Result<LedgerOutcome> {
        self.ledger_one(
            LedgerOp::Reserve {
                account,
                mrn: mrn.clone(),
                amount,
            },
            at,
        )
        .await
    }
    async fn debit_reservation(&self, mrn: &Mrn, at: OffsetDateTime) -> Result<LedgerOutcome> {
        self.ledger_one(LedgerOp::Debit { mrn: mrn.clone() }, at)
            .await
    }
    async fn release_reservation(&self, mrn: &Mrn, at: OffsetDateTime) -> Result<LedgerOutcome> {
        self.ledger_one(LedgerOp::Release { mrn: mrn.clone() }, at)
            .await
    }
    async fn request_refund(
        &self,
        account: AccountId,
        amount: i64,
        at: OffsetDateTime,
    ) -> Result<LedgerOutcome> {
        self.ledger_one(LedgerOp::RequestRefund { account, amount }, at)
            .await
    }
    async fn decide_refund(
        &self,
        refund: RefundId,
        approve: bool,
        officer: &str,
        at: OffsetDateTime,
    ) -> Result<LedgerOutcome> {
        self.ledger_one(
            LedgerOp::DecideRefund {
                refund,
                approve,
                officer: officer.to_owned(),
            },
            at,
        )
        .await
    }
    async fn ledger_one(&self, op: LedgerOp, at: OffsetDateTime) -> Result<LedgerOutcome> {
        self.ledger(std::slice::from_ref(&op), at)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("ledger returned no outcome".into()))
    }
}

/// Opens the store a URL names: `postgres://…` or `postgresql://…` for
/// PostgreSQL, `sqlite://PATH` or a plain file path for SQLite. Runs the
/// backend's migrations. Any other scheme is refused (rather than taken
/// for a file name), and a PostgreSQL server that cannot be reached fails
/// at once with its address and the cause.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    match url_scheme(url).map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("postgres" | "postgresql") => Ok(Arc::new(postgres::PgStore::connect(url).await?)),
        Some("sqlite") | None => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            Ok(Arc::new(
                sqlite::SqliteStore::open(std::path::Path::new(path)).await?,
            ))
        }
        Some(other) => Err(StoreError::Open(format!(
            "unsupported database URL scheme `{other}://`: use postgres:// or \
             postgresql:// for PostgreSQL, or a file path (or sqlite://PATH) for SQLite"
        ))),
    }
}

/// The scheme of `scheme://…` (RFC 3986: a letter, then letters, digits,
/// `+`, `-` or `.`); `None` for a plain path.
fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes_are_read_and_paths_have_none() {
        assert_eq!(url_scheme("postgres://u@h/db"), Some("postgres"));
        assert_eq!(url_scheme("bogus://x"), Some("bogus"));
        assert_eq!(url_scheme("./tamga-data/tamga.db"), None);
        assert_eq!(url_scheme("/tmp/a://b"), None);
        assert_eq!(url_scheme("://x"), None);
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused() {
        let err = open("bogus://x").await.err().expect("refused");
        assert!(matches!(err, StoreError::Open(_)), "{err:?}");
        assert!(err.to_string().contains("postgres://"), "{err}");
    }
}
