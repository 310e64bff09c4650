//! The clearance service: lodging → control → registration → risk → duties
//! → payment → release, amendments, invalidation and officer actions.
//!
//! Invariants:
//! - Nothing is written for a declaration that fails control; the trader
//!   gets a `rejected` notification listing every violation.
//! - Every change to a declaration is one [`Write`]: new projection, the
//!   events that explain it (hash-chained) and the notifications it causes.
//! - The projection's state is always what [`transition`] gives for its
//!   events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use ed25519_dalek::VerifyingKey;
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::watch;

use rust_decimal::Decimal;
use tamga_core::codes::CurrencyCode;
use tamga_core::codes::{CountryCode, Eori, Lrn, Mrn, MrnCategory, OfficeCode};
use tamga_core::control::{self, violation, ControlContext, Severity, Violation};
use tamga_core::declaration::{Declaration, DeclarationType};
use tamga_core::ledger::{AccountId, AccountKind};
use tamga_core::lifecycle::{
    transition, Actor, Channel, ControlOutcome, Event, EventBody, NewNotification,
    NotificationKind, OfficerSignature, State,
};
use tamga_core::pipeline::{
    self, DutyResult, PaymentResult, RiskStage, SelectivityStage, NO_TARIFF_REASON,
};
use tamga_core::profiles::TraderContext;
use tamga_core::reference::ReferenceData;
use tamga_core::risk::{RandomSelection, SelectivityCriterion};
use tamga_core::signature;
use tamga_core::tariff::{self, Tariff};
use tamga_store::{
    Alternative, DeclarationQuery, DeclarationRecord, Notification, OfficerKeyRecord, Payment,
    PaymentOp, QuotaDrawRecord, Role, SigningKeyRecord, Store, StoredTariff, User, Write,
    WriteOutcome,
};

use crate::account::{Accounts, LedgerCurrency};
use crate::error::AppError;
use crate::writer::{RecentRecords, Writer};

/// Service settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Country code in MRNs this administration issues.
    pub country: CountryCode,
    /// Most writes in one group commit.
    pub max_batch: usize,
    /// Lets webhooks reach loopback addresses (`127.0.0.0/8`, `::1`,
    /// `localhost`): for tests with a local receiver only; off unless a
    /// program sets it (`crate::webhooks`).
    pub webhook_allow_loopback: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            country: CountryCode::parse("UZ").expect("valid"),
            max_batch: 512,
            webhook_allow_loopback: false,
        }
    }
}

/// Who is calling, once authenticated.
#[derive(Debug, Clone)]
pub enum Caller {
    Operator(Eori),
    User(User),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Operator(id) => Actor::Operator(id.clone()),
            Caller::User(u) => Actor::Officer(u.username.clone()),
        }
    }
    /// The customs-side user behind the call, if it has one of `roles`;
    /// else `Forbidden`.
    pub fn require(&self, roles: &[Role]) -> Result<&User, AppError> {
        match self {
            Caller::User(u) if roles.contains(&u.role) => Ok(u),
            _ => Err(AppError::Forbidden(format!(
                "this needs one of the roles: {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Who acted, as written in the audit log (`operator:…`, `user:…`).
    pub fn label(&self) -> String {
        match self {
            Caller::Operator(id) => format!("operator:{id}"),
            Caller::User(u) => format!("user:{}", u.username),
        }
    }
}

/// A signed request body from an operator.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub body: &'a [u8],
    /// Base64 detached Ed25519 signature over `body`.
    pub signature: Option<&'a str>,
    /// Which registered key signed; if absent every active key is tried.
    pub key_id: Option<&'a str>,
}

/// A declaration accepted by lodging.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub record: DeclarationRecord,
    /// Control warnings (did not reject).
    pub warnings: Vec<Violation>,
    /// True when this was an identical re-send of an earlier lodging.
    pub replay: bool,
}

/// SHA-256 in hex: request bodies, API tokens and key ids are hashed
/// with it.
pub use tamga_core::hash::sha256_hex;

/// The key id of a public key: first 16 hex digits of its SHA-256.
pub fn key_id_of(public_key_b64: &str) -> String {
    sha256_hex(public_key_b64.as_bytes())[..16].to_owned()
}

/// Supplies what the risk stage knows of a trader (its digital twin and
/// category); installed by the workbench service.
pub trait TraderContexts: Send + Sync {
    fn context(&self, trader: &Eori, today: time::Date) -> TraderContext;
}

/// Decides whether an officer may act on a declaration beyond the office
/// rule (an open inspection task assigned to another inspector: only that
/// inspector or an administrator may); installed by the workbench.
pub trait OfficerActGuard: Send + Sync {
    /// `Err(AppError::Forbidden)` when `user` may not act on `mrn` now.
    fn check<'a>(
        &'a self,
        user: &'a User,
        mrn: &'a Mrn,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + Send + 'a>>;
}

/// An officer's signature checked against the officer's registered keys;
/// only [`Clearance::verify_officer`] makes one, so an officer act cannot
/// be recorded with a signature that was not verified.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    username: String,
    signature: OfficerSignature,
}

impl VerifiedSignature {
    /// Who signed (the user whose key verified).
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn signature(&self) -> &OfficerSignature {
        &self.signature
    }
    /// The signed body.
    pub fn body(&self) -> &str {
        &self.signature.body
    }
    /// Key id, signature and body hash: what an audit entry records (with
    /// the body it already holds).
    pub fn audit_json(&self) -> serde_json::Value {
        json!({
            "keyId": self.signature.key_id,
            "signature": self.signature.signature,
            "bodySha256": self.signature.body_sha256,
            "body": self.signature.body,
        })
    }
}

/// What re-verifying an officer act's stored signature found.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignatureCheck {
    pub seq: u32,
    pub kind: &'static str,
    pub actor: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// False for officer acts recorded before officers signed.
    pub signed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// The signature verifies, with a key of the officer who acted, over
    /// the stored body, which still has its recorded hash.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Error codes of officer signatures (422; nothing is written).
pub const OFFICER_SIGNATURE_MISSING: &str = "OFFICER_SIGNATURE_MISSING";
pub const OFFICER_SIGNATURE_INVALID: &str = "OFFICER_SIGNATURE_INVALID";
pub const OFFICER_SIGNATURE_KEY_UNKNOWN: &str = "OFFICER_SIGNATURE_KEY_UNKNOWN";
/// A signed officer act body above [`MAX_OFFICER_ACT`] bytes (400).
pub const OFFICER_ACT_TOO_LARGE: &str = "OFFICER_ACT_TOO_LARGE";
/// The largest signed officer act body: it is stored as signed with the
/// act's event or audit entry, so it must not bloat the record.
pub const MAX_OFFICER_ACT: usize = 16 * 1024;

pub struct Clearance {
    store: Arc<dyn Store>,
    reference: Arc<ReferenceData>,
    selectivity: RwLock<Arc<SelectivityStage>>,
    /// The risk stage in use; `None` means the officers' selectivity
    /// criteria and random selection alone.
    risk_stage: RwLock<Option<Arc<dyn RiskStage>>>,
    traders: RwLock<Option<Arc<dyn TraderContexts>>>,
    /// The current tariff (completed with the HS reference nomenclature);
    /// `None`: duties are not assessed.
    tariff: RwLock<Option<Arc<CurrentTariff>>>,
    /// The single personal accounts (ledger service).
    accounts: Accounts,
    /// Quantities drawn per tariff quota period (order number, period
    /// start): first come, first served in lodging order. Persisted with
    /// each declaration's write; loaded at start.
    quota_drawn: Mutex<HashMap<(String, time::Date), Decimal>>,
    /// A declarant's accounts that secure duties, in the order tried
    /// (cash, then guarantee).
    paying_accounts: LoadCache<Eori, Vec<AccountId>>,
    writer: Writer,
    /// Declarations just registered, for the operations pump.
    recent: Arc<RecentRecords>,
    mrns: Arc<tokio::sync::Mutex<MrnBlocks>>,
    /// Operators' active signing keys.
    keys: KeyCache<Eori>,
    /// Officers' (and administrators') active signing keys, by username.
    officer_keys: KeyCache<String>,
    officer_guard: RwLock<Option<Arc<dyn OfficerActGuard>>>,
    committed: watch::Receiver<u64>,
    settings: Settings,
}

const MRN_BLOCK: u64 = 1000;

/// MRN sequence numbers held in memory: the current block and, reserved in
/// the background before it runs out, the next one.
#[derive(Debug, Default)]
struct MrnBlocks {
    next: u64,
    end: u64,
    spare: Option<u64>,
    refilling: bool,
}

/// A change to a declaration: events, possibly a new declaration body and
/// version, and the notifications to send.
#[derive(Debug, Clone)]
struct Change {
    bodies: Vec<(Actor, EventBody)>,
    new_declaration: Option<(Declaration, u32)>,
    kinds: Vec<NotificationKind>,
    /// Whose account pays, where a notification names it (waiting for
    /// payment: the payment reference to quote).
    payer: Option<Eori>,
}

/// The tariff duties are assessed with.
pub struct CurrentTariff {
    /// Stored id, name and SHA-256 of the imported file.
    pub id: i64,
    pub name: String,
    pub sha256: String,
    pub tariff: Tariff,
}

/// An operator's active signing keys: (key id, key).
type KeyRing = Vec<(String, VerifyingKey)>;

/// Values read from the store on first use, by key. Loads go one at a
/// time: when many requests miss a cold cache at once (a restart under
/// load), one reads the store and the others find its answer, instead of
/// each reading the same rows (and, for a trader's first lodging, each
/// opening its cash account). A value read
/// while its key was [invalidated](LoadCache::invalidate) is not kept (the
/// generation moved), so it cannot hide the change that invalidated it.
struct LoadCache<K, V> {
    map: RwLock<HashMap<K, Arc<V>>>,
    generation: std::sync::atomic::AtomicU64,
    loading: tokio::sync::Mutex<()>,
}

impl<K: std::hash::Hash + Eq + Clone, V> LoadCache<K, V> {
    fn new() -> Self {
        LoadCache {
            map: RwLock::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self, key: &K) -> Option<Arc<V>> {
        self.map.read().expect("lock").get(key).cloned()
    }

    /// The cached value, or the one `load` gives (kept when `keep` says so).
    async fn get_or_load<F>(
        &self,
        key: &K,
        load: F,
        keep: fn(&V) -> bool,
    ) -> Result<Arc<V>, AppError>
    where
        F: std::future::Future<Output = Result<V, AppError>>,
    {
        if let Some(v) = self.cached(key) {
            return Ok(v);
        }
        let _one_load = self.loading.lock().await;
        if let Some(v) = self.cached(key) {
            return Ok(v);
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let v = Arc::new(load.await?);
        if keep(&v) {
            let mut map = self.map.write().expect("lock");
            if self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
                map.insert(key.clone(), v.clone());
            }
        }
        Ok(v)
    }

    /// Forgets the key's value after a change in the store.
    fn invalidate(&self, key: &K) {
        let mut map = self.map.write().expect("lock");
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        map.remove(key);
    }
}

/// Active signing keys by owner (an operator, or an officer by user name).
/// An empty list is not cached, so a key registered right after a refused
/// act (by this or another instance) works at once.
type KeyCache<K> = LoadCache<K, KeyRing>;

impl<K: std::hash::Hash + Eq + Clone> LoadCache<K, KeyRing> {
    /// The owner's active keys, cached or read with `load` (key id, base64
    /// public key, revoked).
    async fn ring<F>(&self, owner: &K, load: F) -> Result<Arc<KeyRing>, AppError>
    where
        F: std::future::Future<
            Output = Result<Vec<(String, String, bool)>, tamga_store::StoreError>,
        >,
    {
        let parsed = async {
            Ok(load
                .await?
                .into_iter()
                .filter(|(_, _, revoked)| !revoked)
                .filter_map(|(id, public_key, _)| {
                    signature::parse_public_key(&public_key)
                        .ok()
                        .map(|v| (id, v))
                })
                .collect())
        };
        self.get_or_load(owner, parsed, |keys: &KeyRing| !keys.is_empty())
            .await
    }
}

impl Clearance {
    /// Starts the service over a migrated store whose reference data is
    /// loaded.
    pub async fn start(
        store: Arc<dyn Store>,
        settings: Settings,
    ) -> Result<Arc<Clearance>, AppError> {
        let bundle = store.reference().await?;
        let reference = Arc::new(ReferenceData::new(&bundle));
        let tariff = match store.tariff().await? {
            Some(t) => Some(Arc::new(load_tariff(t, &bundle)?)),
            None => None,
        };
        let currency = match &tariff {
            Some(t) => LedgerCurrency {
                code: CurrencyCode::parse(&t.tariff.national_currency)
                    .map_err(|e| AppError::Unavailable(format!("tariff currency: {e}")))?,
                minor_units: t.tariff.national_minor_units(),
            },
            None => LedgerCurrency::uzs(),
        };
        let accounts = Accounts::new(store.clone(), currency);
        let quota_drawn = store
            .quota_drawn()
            .await?
            .into_iter()
            .map(|q| ((q.order_number, q.period_from), q.quantity))
            .collect();
        let (tx, rx) = watch::channel(0);
        let recent = Arc::new(RecentRecords::default());
        let writer = Writer::spawn(store.clone(), settings.max_batch, tx, recent.clone());
        let c = Arc::new(Clearance {
            store,
            recent,
            reference,
            selectivity: RwLock::new(Arc::new(SelectivityStage::default())),
            risk_stage: RwLock::new(None),
            traders: RwLock::new(None),
            tariff: RwLock::new(tariff),
            accounts,
            quota_drawn: Mutex::new(quota_drawn),
            paying_accounts: LoadCache::new(),
            writer,
            mrns: Arc::new(tokio::sync::Mutex::new(MrnBlocks::default())),
            keys: KeyCache::new(),
            officer_keys: KeyCache::new(),
            officer_guard: RwLock::new(None),
            committed: rx,
            settings,
        });
        c.reload_selectivity().await?;
        crate::draw_secrets::start(&c);
        // Deposits may have arrived while no instance was running.
        c.settle_all_awaiting().await?;
        Ok(c)
    }

    /// The single personal accounts.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The tariff in use, if any.
    pub fn tariff(&self) -> Option<Arc<CurrentTariff>> {
        self.tariff.read().expect("lock").clone()
    }

    /// Imports a tariff file: checks it, stores it and uses it from now on.
    pub async fn import_tariff(
        &self,
        caller: &Caller,
        body: &str,
    ) -> Result<Arc<CurrentTariff>, AppError> {
        let user = require_user(caller, &[Role::Admin])?;
        let parsed = tariff::load(body).map_err(|errs| tariff_load_error(&errs))?;
        let ledger = self.accounts.currency();
        if parsed.national_currency != ledger.code.as_str()
            || parsed.national_minor_units() != ledger.minor_units
        {
            return Err(AppError::bad_request(
                "TARIFF_CURRENCY_CHANGE",
                "/nationalCurrency",
                format!(
                    "the tariff's national currency {} ({} minor units) differs from the accounts' {} ({}); a currency change needs a restart with the new tariff imported by `tamga tariff import`",
                    parsed.national_currency,
                    parsed.national_minor_units(),
                    ledger.code,
                    ledger.minor_units
                ),
            ));
        }
        let name = parsed.name;
        let now = OffsetDateTime::now_utc();
        let (id, new) = self.store.put_tariff(&name, body, now).await?;
        let stored = self
            .store
            .tariff()
            .await?
            .ok_or_else(|| AppError::Unavailable("tariff vanished after import".into()))?;
        let current = Arc::new(load_tariff(stored, &self.store.reference().await?)?);
        *self.tariff.write().expect("lock") = Some(current.clone());
        self.store
            .append_audit(
                &format!("user:{}", user.username),
                "tariff.import",
                now,
                &json!({ "id": id, "name": name, "new": new, "sha256": current.sha256 }),
            )
            .await?;
        Ok(current)
    }

    /// The accounts that secure `declarant`'s duties, in the order tried:
    /// its cash account (opened on first use), then its guarantee if any.
    async fn paying_accounts(&self, declarant: &Eori) -> Result<Arc<Vec<AccountId>>, AppError> {
        let load = async {
            let currency = &self.accounts.currency().code;
            let now = OffsetDateTime::now_utc();
            let cash = self
                .store
                .ensure_ledger_account(declarant, AccountKind::Cash, currency, now)
                .await?;
            let mut ids = vec![cash.id];
            ids.extend(
                self.store
                    .ledger_accounts(Some(declarant))
                    .await?
                    .into_iter()
                    .filter(|a| a.kind == AccountKind::Guarantee && a.currency == *currency)
                    .map(|a| a.id),
            );
            Ok(ids)
        };
        self.paying_accounts
            .get_or_load(declarant, load, |_| true)
            .await
    }

    /// Forgets cached paying accounts (after a guarantee is granted).
    pub fn accounts_changed(&self, owner: &Eori) {
        self.paying_accounts.invalidate(owner);
    }

    fn minor(&self, amount: Decimal) -> Result<i64, AppError> {
        self.accounts
            .minor(amount)
            .map_err(|e| AppError::Unavailable(format!("amount {amount}: {e}")))
    }

    /// Duties of a declaration that passed control, on `date`, with its
    /// tariff quota draws taken from the balances (give them back with
    /// [`Clearance::return_quota`] if the declaration is not stored). A
    /// goods item that cannot be assessed (unknown code for the tariff,
    /// missing quantity, prohibition, missing licence…) rejects the
    /// declaration.
    fn assess_duties(
        &self,
        d: &Declaration,
        date: time::Date,
    ) -> Result<(DutyResult, Vec<QuotaDrawRecord>), Violation> {
        let Some(t) = self.tariff() else {
            return Ok((
                DutyResult::NotAssessed {
                    reason: NO_TARIFF_REASON.to_owned(),
                },
                Vec::new(),
            ));
        };
        // Most goods have no tariff quota: an assessment that asks about
        // no balance does not depend on them and needs no lock, so
        // lodgings assess side by side. One that asks is assessed again
        // under the lock, where reading a balance and drawing on it are one
        // step (first come, first served).
        let probe = NoQuotaAsked::default();
        let mut assessed = tariff::assess_declaration(&t.tariff, d, date, &probe);
        let mut draws = Vec::new();
        if probe.0.get() {
            let mut drawn = self.quota_drawn.lock().expect("lock");
            assessed = tariff::assess_declaration(&t.tariff, d, date, &QuotaView(&drawn));
            if let Ok(a) = &assessed {
                draws = a
                    .items
                    .iter()
                    .flat_map(|i| &i.quota_draws)
                    .map(|q| QuotaDrawRecord {
                        order_number: q.order_number.clone(),
                        period_from: q.period_from,
                        quantity: q.quantity,
                    })
                    .collect();
                for q in &draws {
                    *drawn
                        .entry((q.order_number.clone(), q.period_from))
                        .or_default() += q.quantity;
                }
            }
        }
        match assessed {
            Ok(a) => Ok((
                DutyResult::Assessed {
                    currency: self.accounts.currency().code.clone(),
                    customs_duty: a.customs_duty.amount,
                    additional_duties: a.additional_duties.amount,
                    excise: a.excise.amount,
                    vat: a.vat.amount,
                    total: a.total.amount,
                    tariff: format!("{} ({})", t.name, t.id),
                    assessment: Box::new(a),
                },
                draws,
            )),
            Err(e) => {
                let index = d
                    .items
                    .iter()
                    .position(|it| Some(it.sequence) == e.item)
                    .map_or(String::new(), |i| format!("/items/{i}"));
                Err(violation(e.code, index, e.message))
            }
        }
    }

    /// Gives quota draws back to the balances (a declaration not stored,
    /// invalidated or refused).
    fn return_quota(&self, draws: &[QuotaDrawRecord]) {
        if draws.is_empty() {
            return;
        }
        let mut drawn = self.quota_drawn.lock().expect("lock");
        for q in draws {
            if let Some(d) = drawn.get_mut(&(q.order_number.clone(), q.period_from)) {
                *d -= q.quantity;
            }
        }
    }

    /// After an invalidation or refusal was stored (its quota draws deleted
    /// in the same transaction), gives the draws back in memory too.
    async fn quota_returned(&self, mrn: &Mrn) {
        match self.store.events(mrn).await {
            Ok(events) => self.return_quota(&Self::quota_draws_of(&events)),
            Err(e) => tracing::error!(%mrn, error = %e, "quota balances not updated in memory"),
        }
    }

    /// The quota draws recorded in a declaration's last duty assessment.
    fn quota_draws_of(events: &[Event]) -> Vec<QuotaDrawRecord> {
        events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::DutiesAssessed {
                    result: DutyResult::Assessed { assessment, .. },
                } => Some(
                    assessment
                        .items
                        .iter()
                        .flat_map(|i| &i.quota_draws)
                        .map(|q| QuotaDrawRecord {
                            order_number: q.order_number.clone(),
                            period_from: q.period_from,
                            quantity: q.quantity,
                        })
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The settings the service was started with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn reference(&self) -> &ReferenceData {
        &self.reference
    }

    /// Changes whenever a commit wrote something (for push delivery).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.committed.clone()
    }

    /// Records of declarations just registered (kept once enabled).
    pub fn recent_records(&self) -> &RecentRecords {
        &self.recent
    }

    pub(crate) async fn reload_selectivity(&self) -> Result<(), AppError> {
        let criteria = self.store.criteria().await?;
        let random = self.store.random_selection().await?.unwrap_or_default();
        let key = crate::draw_secrets::current_key(self.store.as_ref()).await?;
        *self.selectivity.write().expect("lock") = Arc::new(SelectivityStage {
            criteria,
            random,
            key,
        });
        Ok(())
    }

    /// The officers' selectivity criteria and random selection, as now.
    pub fn selectivity(&self) -> Arc<SelectivityStage> {
        self.selectivity.read().expect("lock").clone()
    }

    /// Installs the risk stage lodging uses from now on (risk profiles,
    /// categories, random selection combined).
    pub fn set_risk_stage(&self, stage: Arc<dyn RiskStage>) {
        *self.risk_stage.write().expect("lock") = Some(stage);
    }

    /// Installs the rule on who may act on a declaration under control
    /// (the workbench: an open task assigned to another inspector).
    pub fn set_officer_guard(&self, guard: Arc<dyn OfficerActGuard>) {
        *self.officer_guard.write().expect("lock") = Some(guard);
    }

    /// Installs the source of trader contexts (digital twin, category).
    pub fn set_trader_contexts(&self, traders: Arc<dyn TraderContexts>) {
        *self.traders.write().expect("lock") = Some(traders);
    }

    fn risk_stage(&self) -> Arc<dyn RiskStage> {
        match &*self.risk_stage.read().expect("lock") {
            Some(s) => s.clone(),
            None => self.selectivity(),
        }
    }

    /// What the risk stage knows of `trader` today.
    pub fn trader_context(&self, trader: &Eori, today: time::Date) -> TraderContext {
        match &*self.traders.read().expect("lock") {
            Some(t) => t.context(trader, today),
            None => TraderContext::default(),
        }
    }

    async fn next_mrn(&self, t: DeclarationType, now: OffsetDateTime) -> Result<Mrn, AppError> {
        let seq = {
            let mut g = self.mrns.lock().await;
            if g.next >= g.end {
                match g.spare.take() {
                    Some(start) => (g.next, g.end) = (start, start + MRN_BLOCK),
                    None => {
                        let start = self.store.reserve_sequence("mrn", MRN_BLOCK).await?;
                        (g.next, g.end) = (start, start + MRN_BLOCK);
                    }
                }
            }
            let seq = g.next;
            g.next += 1;
            // Half-way through a block, reserve the next one in the
            // background: reserving waits for the writer connection, and
            // every lodging would wait with it.
            if g.end - g.next == MRN_BLOCK / 2 && g.spare.is_none() && !g.refilling {
                g.refilling = true;
                let (store, blocks) = (self.store.clone(), self.mrns.clone());
                tokio::spawn(async move {
                    let reserved = store.reserve_sequence("mrn", MRN_BLOCK).await;
                    let mut g = blocks.lock().await;
                    g.refilling = false;
                    match reserved {
                        Ok(start) => g.spare = Some(start),
                        // The block's end reserves synchronously instead.
                        Err(e) => tracing::warn!(error = %e, "cannot reserve the next MRN block"),
                    }
                });
            }
            seq
        };
        let category = match t {
            DeclarationType::IM => MrnCategory::Import,
            DeclarationType::EX => MrnCategory::Export,
            DeclarationType::CO => MrnCategory::Status,
        };
        Mrn::generate(now.year(), &self.settings.country, seq, category)
            .map_err(|e| AppError::Unavailable(e.to_string()))
    }

    async fn keys_of(&self, op: &Eori) -> Result<Arc<KeyRing>, AppError> {
        self.keys
            .ring(op, async {
                Ok(self
                    .store
                    .signing_keys(op)
                    .await?
                    .into_iter()
                    .map(|k| (k.key_id, k.public_key, k.revoked))
                    .collect())
            })
            .await
    }

    /// Checks the detached signature; returns the id of the key that signed.
    pub(crate) async fn verify(&self, op: &Eori, s: &Signed<'_>) -> Result<String, Violation> {
        let keys = self.keys_of(op).await.map_err(|e| {
            violation(
                "FLC-SIGNING-KEY-UNKNOWN",
                "",
                format!("signing keys could not be read: {e}"),
            )
        })?;
        check_signed(&keys, s).map_err(|f| match f {
            SignatureFailure::Missing => violation(
                "FLC-SIGNATURE-MISSING",
                "",
                "the request carries no signature (X-Tamga-Signature header)",
            ),
            SignatureFailure::UnknownKey => violation(
                "FLC-SIGNING-KEY-UNKNOWN",
                "",
                match s.key_id {
                    Some(id) => format!("{op} has no active signing key {id:?}"),
                    None => format!("{op} has no registered signing key"),
                },
            ),
            SignatureFailure::Invalid => violation(
                "FLC-SIGNATURE-INVALID",
                "",
                "the signature does not verify against the exact body bytes with the declarant's key",
            ),
        })
    }

    fn recipients(lodged_by: &Eori, declarant: Option<&Eori>) -> Vec<Eori> {
        let mut r = vec![lodged_by.clone()];
        if let Some(d) = declarant {
            if d != lodged_by {
                r.push(d.clone());
            }
        }
        r
    }

    fn make_notifications(
        recipients: &[Eori],
        kind: NotificationKind,
        mrn: Option<&Mrn>,
        lrn: Option<&Lrn>,
        at: OffsetDateTime,
        payload: serde_json::Value,
    ) -> Vec<NewNotification> {
        recipients
            .iter()
            .map(|r| NewNotification {
                recipient: r.clone(),
                kind,
                mrn: mrn.cloned(),
                lrn: lrn.cloned(),
                at,
                payload: payload.clone(),
            })
            .collect()
    }

    /// Records a rejection (a notification only) and returns the error.
    async fn reject(
        &self,
        lodged_by: &Eori,
        lrn: Option<&Lrn>,
        kind: NotificationKind,
        mrn: Option<&Mrn>,
        violations: Vec<Violation>,
    ) -> AppError {
        let now = OffsetDateTime::now_utc();
        let payload = json!({ "errors": violations });
        let notifications = Self::make_notifications(
            std::slice::from_ref(lodged_by),
            kind,
            mrn,
            lrn,
            now,
            payload,
        );
        if let Err(e) = self.writer.write(Write::Notify { notifications }).await {
            return e;
        }
        AppError::Rejected(violations)
    }

    fn lrn_and_declarant(doc: &serde_json::Value) -> (Option<Lrn>, Option<Eori>) {
        let lrn = doc
            .get("lrn")
            .and_then(|v| v.as_str())
            .and_then(|s| Lrn::parse(s).ok());
        let declarant = doc
            .pointer("/declarant/id")
            .and_then(|v| v.as_str())
            .and_then(|s| Eori::parse(s).ok());
        (lrn, declarant)
    }

    /// Lodges a signed declaration. On success it is registered, assessed
    /// and, if green with nothing outstanding, released, all in one durable
    /// commit.
    pub async fn lodge(&self, lodged_by: &Eori, s: Signed<'_>) -> Result<Accepted, AppError> {
        let body_sha256 = sha256_hex(s.body);
        let doc: serde_json::Value = match serde_json::from_slice(s.body) {
            Ok(v) => v,
            Err(e) => {
                let v = violation(
                    "FLC-JSON-SYNTAX",
                    "",
                    format!(
                        "body is not valid JSON: {e} (line {}, column {})",
                        e.line(),
                        e.column()
                    ),
                );
                return Err(self
                    .reject(lodged_by, None, NotificationKind::Rejected, None, vec![v])
                    .await);
            }
        };
        let (lrn, declarant) = Self::lrn_and_declarant(&doc);
        let now = OffsetDateTime::now_utc();
        let ctx = ControlContext {
            reference: &self.reference,
            today: now.date(),
            lodged_by,
        };
        let report = control::run(&doc, &ctx);
        let mut violations = report.violations;
        let key_id = match self.verify(lodged_by, &s).await {
            Ok(k) => Some(k),
            Err(v) => {
                violations.insert(0, v);
                None
            }
        };
        // Lodged by a representative: a mandate from the declarant must
        // cover it, and says who pays (`mandates`). The declarant's own
        // lodgings read nothing.
        let mut represented: Option<(i64, Eori)> = None;
        if let Some(d) = report
            .declaration
            .as_ref()
            .filter(|d| d.declarant_id() != Some(lodged_by))
        {
            if !violations.iter().any(|v| v.severity == Severity::Error) {
                match self.representation(lodged_by, d, now).await? {
                    Ok(m) => match m.terms.payer() {
                        Ok(payer) => represented = Some((m.id, payer.clone())),
                        Err(v) => violations.push(v),
                    },
                    Err(v) => violations.push(v),
                }
            }
        }
        let errors = violations.iter().any(|v| v.severity == Severity::Error);
        let (Some(declaration), Some(key_id), false) = (report.declaration, key_id, errors) else {
            // An identical re-send of an accepted declaration is answered
            // with it even if it would not pass control today (dates move
            // on); a different body under a used LRN gets the conflict
            // listed with its other violations. Accepted ones meet their
            // twin at commit instead, so the happy path pays no lookup.
            let mut violations = violations;
            if let (Some(lrn), Some(declarant)) = (&lrn, &declarant) {
                if let Some(existing) = self.store.declaration_by_lrn(declarant, lrn).await? {
                    match self.replay_or_conflict(lodged_by, existing, &body_sha256) {
                        Err(AppError::LrnConflict { lrn, mrn }) => violations.push(violation(
                            "FLC-LRN-CONFLICT",
                            "/lrn",
                            format!("LRN {lrn} was already used by this declarant for a different declaration ({mrn})"),
                        )),
                        answer => return answer,
                    }
                }
            }
            return Err(self
                .reject(
                    lodged_by,
                    lrn.as_ref(),
                    NotificationKind::Rejected,
                    None,
                    violations,
                )
                .await);
        };
        let warnings = violations;
        let (duties, draws) = match self.assess_duties(&declaration, now.date()) {
            Ok(d) => d,
            Err(v) => {
                return Err(self
                    .reject(
                        lodged_by,
                        Some(&declaration.lrn),
                        NotificationKind::Rejected,
                        None,
                        vec![v],
                    )
                    .await)
            }
        };
        // Everything from here on either stores the declaration with its
        // quota draws or gives the draws back.
        let result: Result<Accepted, AppError> = async {
            let mrn = self.next_mrn(declaration.declaration_type, now).await?;
            let declarant = declaration.declarant_id().cloned().ok_or_else(|| {
                AppError::Rejected(vec![violation(
                    "FLC-DECLARANT-ID-MISSING",
                    "/declarant/id",
                    "declarant id is missing",
                )])
            })?;
            let risk = self.risk_stage();
            let trader = self.trader_context(&declarant, now.date());
            let decided = pipeline::decide(
                &declaration,
                &mrn,
                &trader,
                risk.as_ref(),
                duties,
                &self.accounts.currency().code,
            );
            let payer = represented
                .as_ref()
                .map(|(_, p)| p)
                .filter(|p| **p != declarant);
            let payment = if decided.due.is_zero() {
                None
            } else {
                Some(PaymentOp::Secure {
                    accounts: self
                        .paying_accounts(payer.unwrap_or(&declarant))
                        .await?
                        .to_vec(),
                    amount: self.minor(decided.due)?,
                    debit: decided.release_if_secured,
                })
            };
            let mut shared = vec![
                (
                    Actor::Operator(lodged_by.clone()),
                    EventBody::Lodged {
                        lrn: declaration.lrn.clone(),
                        body_sha256: body_sha256.clone(),
                        signing_key: key_id,
                        mandate: represented.as_ref().map(|(id, _)| *id),
                        payer: payer.cloned(),
                    },
                ),
                (Actor::System, EventBody::Registered { mrn: mrn.clone() }),
            ];
            shared.extend(decided.shared);
            // Both forms start with the same events, sealed once.
            let (shared, shared_state, shared_hash) = seal(&mrn, 0, "", None, now, shared)?;
            let shared_seq = shared.len() as u32;
            let recipients = Self::recipients(lodged_by, Some(&declarant));
            // One form's record, its events after the shared ones, and its
            // notifications (whose payloads may read any of its events).
            let form = |branch: pipeline::Branch,
                        declaration: Declaration|
             -> Result<
                (DeclarationRecord, Vec<Event>, Vec<NewNotification>),
                AppError,
            > {
                let (tail, state, last_hash) = seal(
                    &mrn,
                    shared_seq,
                    &shared_hash,
                    Some(shared_state),
                    now,
                    branch.events,
                )?;
                let record = DeclarationRecord {
                    mrn: mrn.clone(),
                    lrn: declaration.lrn.clone(),
                    declaration_type: declaration.declaration_type,
                    declarant: declarant.clone(),
                    representative: declaration.representative_id().cloned(),
                    lodged_by: lodged_by.clone(),
                    office: declaration.declaration_office.clone(),
                    state,
                    channel: decided.channel,
                    version: 1,
                    body_sha256: body_sha256.clone(),
                    registered_at: now,
                    updated_at: now,
                    last_seq: shared_seq + tail.len() as u32,
                    last_hash,
                    declaration,
                };
                let mut notifications = Vec::new();
                for kind in branch.notifications {
                    let payload = notification_payload(
                        kind,
                        &record,
                        shared.iter().chain(&tail),
                        &warnings,
                        Some(payer.unwrap_or(&declarant)),
                    );
                    notifications.extend(Self::make_notifications(
                        &recipients,
                        kind,
                        Some(&mrn),
                        Some(&record.lrn),
                        now,
                        payload,
                    ));
                }
                Ok((record, tail, notifications))
            };
            let otherwise = match decided.unsecured {
                Some(b) => {
                    let (record, events, notifications) = form(b, declaration.clone())?;
                    Some(Box::new(Alternative {
                        record: Box::new(record),
                        shared_events: shared.len(),
                        events,
                        notifications,
                    }))
                }
                None => None,
            };
            // What the caller gets back if that form is stored.
            let other_record = otherwise.as_ref().map(|a| {
                (
                    a.record.state,
                    a.record.last_seq,
                    a.record.last_hash.clone(),
                )
            });
            let (record, tail, notifications) = form(decided.secured, declaration)?;
            let mut events = shared;
            events.extend(tail);
            let outcome = self
                .writer
                .write(Write::Insert {
                    record: Box::new(record.clone()),
                    events,
                    notifications,
                    payment: payment.map(|op| Payment { op, otherwise }),
                    quota_draws: draws.clone(),
                })
                .await?;
            let accepted = |record: DeclarationRecord| Accepted {
                record,
                warnings: warnings.clone(),
                replay: false,
            };
            match outcome {
                WriteOutcome::Committed => Ok(accepted(record)),
                WriteOutcome::Unsecured => match other_record {
                    Some((state, last_seq, last_hash)) => Ok(accepted(DeclarationRecord {
                        state,
                        last_seq,
                        last_hash,
                        ..record
                    })),
                    None => Err(AppError::Unavailable(
                        "stored an unsecured form that does not exist".into(),
                    )),
                },
                WriteOutcome::DuplicateLrn { existing } => {
                    // A concurrent lodging with the same LRN won the race.
                    let existing =
                        self.store.declaration(&existing).await?.ok_or_else(|| {
                            AppError::not_found(format!("declaration {existing}"))
                        })?;
                    self.replay_or_conflict(lodged_by, existing, &record.body_sha256)
                }
                WriteOutcome::Stale | WriteOutcome::Insufficient { .. } => Err(AppError::Stale),
            }
        }
        .await;
        match &result {
            Ok(a) if !a.replay => {}
            _ => self.return_quota(&draws),
        }
        result
    }

    fn replay_or_conflict(
        &self,
        lodged_by: &Eori,
        existing: DeclarationRecord,
        body_sha256: &str,
    ) -> Result<Accepted, AppError> {
        if !is_party(lodged_by, &existing) {
            // Do not reveal another trader's declaration.
            return Err(AppError::LrnConflict {
                lrn: existing.lrn.to_string(),
                mrn: "(not yours)".into(),
            });
        }
        if existing.body_sha256 == body_sha256 {
            Ok(Accepted {
                record: existing,
                warnings: Vec::new(),
                replay: true,
            })
        } else {
            Err(AppError::LrnConflict {
                lrn: existing.lrn.to_string(),
                mrn: existing.mrn.to_string(),
            })
        }
    }

    /// A declaration the caller may see.
    pub async fn declaration(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<DeclarationRecord, AppError> {
        let rec = self
            .store
            .declaration(mrn)
            .await?
            .ok_or_else(|| AppError::not_found(format!("declaration {mrn}")))?;
        if can_view(caller, &rec) {
            Ok(rec)
        } else {
            // Same answer as for a missing one: existence is not disclosed.
            Err(AppError::not_found(format!("declaration {mrn}")))
        }
    }

    pub async fn events(&self, caller: &Caller, mrn: &Mrn) -> Result<Vec<Event>, AppError> {
        self.declaration(caller, mrn).await?;
        Ok(self.store.events(mrn).await?)
    }

    /// Declarations the caller may see, newest first.
    pub async fn declarations(
        &self,
        caller: &Caller,
        states: Option<Vec<State>>,
        before: Option<Mrn>,
        limit: u32,
    ) -> Result<Vec<DeclarationRecord>, AppError> {
        let mut q = DeclarationQuery {
            states,
            before,
            limit: limit.clamp(1, 500),
            ..Default::default()
        };
        match caller {
            Caller::Operator(id) => q.party = Some(id.clone()),
            Caller::User(u) if u.role == Role::Officer => q.offices = Some(u.offices.clone()),
            Caller::User(u) if u.role == Role::Bank => {
                return Err(AppError::Forbidden(
                    "the bank reports deposits; it does not read declarations".into(),
                ))
            }
            Caller::User(_) => {}
        }
        let mut list = self.store.declarations(&q).await?;
        list.retain(|r| can_view(caller, r));
        Ok(list)
    }

    /// An office's control queue (declarations under control).
    pub async fn queue(
        &self,
        caller: &Caller,
        office: &OfficeCode,
    ) -> Result<Vec<DeclarationRecord>, AppError> {
        let user = require_user(caller, &[Role::Officer, Role::Admin, Role::RiskAnalyst])?;
        if user.role == Role::Officer && !user.offices.contains(office) {
            return Err(AppError::Forbidden(format!(
                "{} is not a member of office {office}",
                user.username
            )));
        }
        if self.reference.office_roles(office).is_none() {
            return Err(AppError::not_found(format!("office {office}")));
        }
        Ok(self
            .store
            .declarations(&DeclarationQuery {
                offices: Some(vec![office.clone()]),
                states: Some(vec![State::UnderControl]),
                limit: 500,
                ..Default::default()
            })
            .await?)
    }

    /// Applies events to an existing declaration and commits them.
    async fn change(
        &self,
        rec: DeclarationRecord,
        bodies: Vec<(Actor, EventBody)>,
        new_declaration: Option<(Declaration, u32)>,
        kinds: &[NotificationKind],
    ) -> Result<DeclarationRecord, AppError> {
        let change = Change {
            bodies,
            new_declaration,
            kinds: kinds.to_vec(),
            payer: None,
        };
        self.change_paying(rec, change, None).await
    }

    /// The record after `change`, its events and notifications.
    fn form(
        &self,
        mut rec: DeclarationRecord,
        change: Change,
        now: OffsetDateTime,
    ) -> Result<Alternative, AppError> {
        let (events, state, last_hash) = seal(
            &rec.mrn,
            rec.last_seq,
            &rec.last_hash,
            Some(rec.state),
            now,
            change.bodies,
        )?;
        rec.state = state;
        rec.updated_at = now;
        rec.last_seq += events.len() as u32;
        rec.last_hash = last_hash;
        if let Some((d, version)) = change.new_declaration {
            rec.declaration = d;
            rec.version = version;
        }
        let recipients = Self::recipients(&rec.lodged_by, Some(&rec.declarant));
        let mut notifications = Vec::new();
        for kind in change.kinds {
            notifications.extend(Self::make_notifications(
                &recipients,
                kind,
                Some(&rec.mrn),
                Some(&rec.lrn),
                now,
                notification_payload(kind, &rec, events.iter(), &[], change.payer.as_ref()),
            ));
        }
        Ok(Alternative {
            record: Box::new(rec),
            shared_events: 0,
            events,
            notifications,
        })
    }

    /// Commits a change to a declaration together with the money it moves
    /// (`payment`: the ledger operation, and the change to store instead
    /// if the duties cannot be secured). [`AppError::PaymentNotSecured`]
    /// when they cannot and there is no other change.
    async fn change_paying(
        &self,
        rec: DeclarationRecord,
        change: Change,
        payment: Option<(PaymentOp, Option<Change>)>,
    ) -> Result<DeclarationRecord, AppError> {
        let now = OffsetDateTime::now_utc();
        let expected = rec.last_seq;
        let (payment, otherwise) = match payment {
            Some((op, alt)) => {
                let alt = match alt {
                    Some(c) => Some(Box::new(self.form(rec.clone(), c, now)?)),
                    None => None,
                };
                (
                    Some(Payment {
                        op,
                        otherwise: alt.clone(),
                    }),
                    alt,
                )
            }
            None => (None, None),
        };
        let primary = self.form(rec, change, now)?;
        match self
            .writer
            .write(Write::Update {
                record: primary.record.clone(),
                expected_last_seq: expected,
                events: primary.events,
                notifications: primary.notifications,
                payment,
            })
            .await?
        {
            WriteOutcome::Committed => Ok(*primary.record),
            WriteOutcome::Unsecured => otherwise
                .map(|a| *a.record)
                .ok_or_else(|| AppError::Unavailable("stored a form that does not exist".into())),
            WriteOutcome::Insufficient { available } => Err(AppError::PaymentNotSecured {
                mrn: primary.record.mrn.to_string(),
                due: self.due_of(&primary.record).await?,
                available: self.accounts.decimal(available),
            }),
            WriteOutcome::Stale | WriteOutcome::DuplicateLrn { .. } => Err(AppError::Stale),
        }
    }

    /// What a declaration's duties are and how they stand: the amount due
    /// (national currency) and whether it is reserved now, from its events.
    fn payment_position(events: &[Event]) -> (Decimal, bool) {
        let due = events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::DutiesAssessed { result } => Some(result.amount_due()),
                _ => None,
            })
            .unwrap_or_default();
        let reserved = events
            .iter()
            .rev()
            .find_map(|e| match &e.body {
                EventBody::PaymentSecured { result } => {
                    Some(matches!(result, PaymentResult::Reserved { .. }))
                }
                _ => None,
            })
            .unwrap_or(false);
        (due, reserved)
    }

    async fn due_of(&self, rec: &DeclarationRecord) -> Result<Decimal, AppError> {
        Ok(Self::payment_position(&self.store.events(&rec.mrn).await?).0)
    }

    /// The release of a declaration with its payment: debit the
    /// reservation, or secure and debit at once, or (officer release of an
    /// unsecured declaration) wait for payment.
    async fn release_paying(
        &self,
        rec: DeclarationRecord,
        actor: Actor,
        automatic: bool,
        wait_if_unsecured: bool,
        signature: Option<OfficerSignature>,
    ) -> Result<DeclarationRecord, AppError> {
        let events = self.store.events(&rec.mrn).await?;
        let (due, reserved) = Self::payment_position(&events);
        let released = (
            actor.clone(),
            EventBody::Released {
                automatic,
                signature: signature.clone(),
            },
        );
        let currency = self.accounts.currency().code.clone();
        if due.is_zero() || reserved {
            let change = Change {
                bodies: vec![released],
                new_declaration: None,
                kinds: vec![NotificationKind::Released],
                payer: None,
            };
            let payment = reserved.then_some((PaymentOp::Debit, None));
            return self.change_paying(rec, change, payment).await;
        }
        let payer = crate::mandates::payer_of(&events, &rec.declarant);
        let secure = PaymentOp::Secure {
            accounts: self.paying_accounts(&payer).await?.to_vec(),
            amount: self.minor(due)?,
            debit: true,
        };
        let change = Change {
            bodies: vec![
                (
                    Actor::System,
                    EventBody::PaymentSecured {
                        result: PaymentResult::Reserved {
                            currency: currency.clone(),
                            amount: due,
                        },
                    },
                ),
                released,
            ],
            new_declaration: None,
            kinds: vec![NotificationKind::Released],
            payer: None,
        };
        let otherwise = wait_if_unsecured.then(|| Change {
            bodies: vec![(
                actor,
                EventBody::ReleaseGrantedPendingPayment {
                    currency,
                    amount: due,
                    signature,
                },
            )],
            new_declaration: None,
            kinds: vec![NotificationKind::AwaitingPayment],
            payer: Some(payer.clone()),
        });
        self.change_paying(rec, change, Some((secure, otherwise)))
            .await
    }

    /// Releases the declarations waiting for payment that `declarant`
    /// pays (its own, and those it lodged as indirect representative
    /// without the payment right), oldest first, as far as its accounts
    /// now cover them. Returns the MRNs released.
    pub async fn settle_awaiting(&self, declarant: &Eori) -> Result<Vec<Mrn>, AppError> {
        let waiting = self.awaiting(Some(declarant)).await?;
        let mut released = Vec::new();
        for rec in waiting {
            if self.payer(&rec).await? != *declarant {
                continue;
            }
            let mrn = rec.mrn.clone();
            match self
                .release_paying(rec, Actor::System, true, false, None)
                .await
            {
                Ok(_) => released.push(mrn),
                Err(AppError::PaymentNotSecured { .. } | AppError::Stale) => {}
                // One declaration's trouble must not stop the others (nor
                // a start): it stays waiting and is retried next time.
                Err(e) => {
                    tracing::error!(%mrn, error = %e, "automatic release after payment failed")
                }
            }
        }
        Ok(released)
    }

    /// Every declaration waiting for payment (of `party`), oldest first.
    async fn awaiting(&self, party: Option<&Eori>) -> Result<Vec<DeclarationRecord>, AppError> {
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .store
                .declarations(&DeclarationQuery {
                    party: party.cloned(),
                    states: Some(vec![State::AwaitingPayment]),
                    before: before.clone(),
                    limit: 500,
                    ..Default::default()
                })
                .await?;
            let full = page.len() == 500;
            before = page.last().map(|r| r.mrn.clone());
            all.extend(page);
            if !full {
                break;
            }
        }
        all.reverse();
        Ok(all)
    }

    /// Settles every declaration waiting for payment (at start).
    async fn settle_all_awaiting(&self) -> Result<(), AppError> {
        let mut declarants = std::collections::BTreeSet::new();
        for r in self.awaiting(None).await? {
            declarants.insert(self.payer(&r).await?);
        }
        for d in declarants {
            self.settle_awaiting(&d).await?;
        }
        Ok(())
    }

    /// A bank payment into a trader's single personal account (bank side,
    /// idempotent by the bank's reference); then releases what it covers.
    pub async fn deposit(
        &self,
        caller: &Caller,
        payment_reference: &str,
        bank_reference: &str,
        amount: Decimal,
        currency: &CurrencyCode,
    ) -> Result<(crate::account::DepositReceipt, Vec<Mrn>), AppError> {
        require_user(caller, &[Role::Bank])?;
        let receipt = self
            .accounts
            .deposit(payment_reference, bank_reference, amount, currency)
            .await?;
        let owner = self
            .store
            .ledger_account(receipt.account)
            .await?
            .and_then(|a| a.owner);
        let released = match owner {
            Some(o) => self.settle_awaiting(&o).await?,
            None => Vec::new(),
        };
        Ok((receipt, released))
    }

    async fn own_declaration(&self, op: &Eori, mrn: &Mrn) -> Result<DeclarationRecord, AppError> {
        self.declaration(&Caller::Operator(op.clone()), mrn).await
    }

    /// A signed amendment: `{"mrn": "<this MRN>", "declaration": {...}}`,
    /// the whole declaration again with the same LRN and declarant. It
    /// passes control or changes nothing; it is assessed for risk again
    /// ([`crate::acts`], [`Clearance::reassess_risk`]). The same signed body
    /// sent again is answered as a replay.
    pub async fn amend(&self, op: &Eori, mrn: &Mrn, s: Signed<'_>) -> Result<Accepted, AppError> {
        let rec = self.own_declaration(op, mrn).await?;
        let now = OffsetDateTime::now_utc();
        let mut violations = Vec::new();
        let key_id = match self.verify(op, &s).await {
            Ok(k) => Some(k),
            Err(v) => {
                violations.push(v);
                None
            }
        };
        let body_sha256 = sha256_hex(s.body);
        if key_id.is_some()
            && crate::acts::already_recorded(&self.store.events(mrn).await?, &body_sha256)
        {
            return Ok(Accepted {
                record: rec,
                warnings: Vec::new(),
                replay: true,
            });
        }
        if rec.state.is_final() {
            return Err(AppError::InvalidState(
                tamga_core::lifecycle::TransitionError {
                    state: Some(rec.state),
                    event: "amended",
                },
            ));
        }
        let declaration = match serde_json::from_slice::<serde_json::Value>(s.body) {
            Err(e) => {
                violations.push(violation(
                    "FLC-JSON-SYNTAX",
                    "",
                    format!("body is not valid JSON: {e}"),
                ));
                None
            }
            Ok(doc) => match crate::acts::amendment_declaration(&doc, mrn).and_then(|inner| {
                signed_json(std::str::from_utf8(s.body).unwrap_or_default()).map(|_| inner)
            }) {
                // A signed body that does not name this declaration (or not
                // in the one form): refused, nothing is written.
                Err(e) if key_id.is_some() => return Err(e),
                // Unsigned: the signature's rejection says enough.
                Err(_) => None,
                Ok(inner) => {
                    let report = control::run(
                        inner,
                        &ControlContext {
                            reference: &self.reference,
                            today: now.date(),
                            lodged_by: op,
                        },
                    );
                    violations.extend(report.violations.into_iter().map(|mut v| {
                        v.pointer = format!("/declaration{}", v.pointer);
                        v
                    }));
                    report.declaration
                }
            },
        };
        if let Some(d) = &declaration {
            if d.lrn != rec.lrn {
                violations.push(violation(
                    "FLC-AMEND-IDENTITY",
                    "/declaration/lrn",
                    format!("an amendment keeps the LRN {}; got {}", rec.lrn, d.lrn),
                ));
            }
            if d.declarant_id() != Some(&rec.declarant)
                || d.declaration_type != rec.declaration_type
            {
                violations.push(violation(
                    "FLC-AMEND-IDENTITY",
                    "/declaration/declarant/id",
                    "an amendment keeps the declarant and the declaration type",
                ));
            } else if *op != rec.declarant {
                // A representative amends under a mandate that covers the
                // amended declaration.
                if let Err(mut v) = self.representation(op, d, now).await? {
                    v.pointer = format!("/declaration{}", v.pointer);
                    violations.push(v);
                }
            }
        }
        let errors = violations.iter().any(|v| v.severity == Severity::Error);
        let (Some(declaration), Some(key_id), false) = (declaration, key_id, errors) else {
            return Err(self
                .reject(
                    op,
                    Some(&rec.lrn),
                    NotificationKind::RequestRejected,
                    Some(mrn),
                    violations,
                )
                .await);
        };
        let version = rec.version + 1;
        let body = EventBody::Amended {
            version,
            body_sha256,
            signing_key: key_id,
        };
        let duties = self.reassess(op, &rec, &declaration).await?;
        let risk = self.reassess_risk(&rec, &declaration, version, now);
        let mut rec = rec;
        let mut kinds = vec![NotificationKind::Amended];
        let was_controlled = rec.state == State::UnderControl;
        if let Some(c) = risk.risk_channel() {
            rec.channel = c;
            if c != Channel::Green && !was_controlled {
                kinds.push(NotificationKind::UnderControl);
            }
        }
        let mut bodies = vec![(Actor::Operator(op.clone()), body), (Actor::System, risk)];
        if let Some(d) = duties {
            bodies.push((Actor::System, EventBody::DutiesAssessed { result: d }));
        }
        let rec = self
            .change(rec, bodies, Some((declaration, version)), &kinds)
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: violations,
            replay: false,
        })
    }

    /// The risk assessment of an amended declaration (`version`), by the
    /// installed risk stage as at lodging: the stricter of the channel in
    /// force and the new decision's applies from now on.
    fn reassess_risk(
        &self,
        rec: &DeclarationRecord,
        amended: &Declaration,
        version: u32,
        now: OffsetDateTime,
    ) -> EventBody {
        let trader = self.trader_context(&rec.declarant, now.date());
        let decision = self.risk_stage().assess(amended, &rec.mrn, &trader);
        let channel = decision.channel.max(rec.channel);
        EventBody::RiskAssessed {
            decision,
            version: Some(version),
            channel: Some(channel),
        }
    }

    /// Duties of an amended declaration, on its acceptance date. `None` if
    /// they did not change. An amendment that changes duties already
    /// reserved, or the declaration's tariff quota draws, is refused: the
    /// trader invalidates and lodges anew (or the officer records the
    /// difference as findings).
    async fn reassess(
        &self,
        op: &Eori,
        rec: &DeclarationRecord,
        amended: &Declaration,
    ) -> Result<Option<DutyResult>, AppError> {
        let events = self.store.events(&rec.mrn).await?;
        let (due, reserved) = Self::payment_position(&events);
        let old_draws = Self::quota_draws_of(&events);
        // Assess as if this declaration's own draws were not taken.
        self.return_quota(&old_draws);
        let assessed = self.assess_duties(amended, rec.registered_at.date());
        let (duties, draws) = match assessed {
            Ok(x) => x,
            Err(v) => {
                self.take_quota(&old_draws);
                return Err(self
                    .reject(
                        op,
                        Some(&rec.lrn),
                        NotificationKind::RequestRejected,
                        Some(&rec.mrn),
                        vec![v],
                    )
                    .await);
            }
        };
        if draws != old_draws {
            self.return_quota(&draws);
            self.take_quota(&old_draws);
            return Err(AppError::bad_request(
                "AMEND_CHANGES_QUOTA_DRAWS",
                "/items",
                "the amendment changes the declaration's tariff quota draws: invalidate it and lodge a new declaration",
            ));
        }
        let new_due = duties.amount_due();
        if new_due == due {
            return Ok(None);
        }
        if reserved {
            return Err(AppError::bad_request(
                "AMEND_CHANGES_SECURED_DUTIES",
                "/items",
                format!(
                    "the amendment changes duties already reserved ({due} → {new_due}): invalidate it and lodge a new declaration, or ask the officer to record the difference as findings"
                ),
            ));
        }
        // Duties charged to an indirect representative (who lodged without
        // the right to pay from the declarant's account) change only when
        // that representative signs the amendment.
        let payer = crate::mandates::payer_of(&events, &rec.declarant);
        if payer != rec.declarant && payer != *op {
            return Err(AppError::bad_request(
                "AMEND_CHANGES_PAYER_DUTIES",
                "/declaration/items",
                format!(
                    "the duties of this declaration are charged to {payer}, who lodged it: only {payer} may amend them ({due} → {new_due})"
                ),
            ));
        }
        Ok(Some(duties))
    }

    /// Takes quota draws from the balances again (undoing a return).
    fn take_quota(&self, draws: &[QuotaDrawRecord]) {
        let mut drawn = self.quota_drawn.lock().expect("lock");
        for q in draws {
            *drawn
                .entry((q.order_number.clone(), q.period_from))
                .or_default() += q.quantity;
        }
    }

    /// A signed invalidation request: `{"mrn": "<this MRN>", "reason":
    /// "..."}`. The same signed body sent again is answered as a replay.
    pub async fn invalidate(
        &self,
        op: &Eori,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        let rec = self.own_declaration(op, mrn).await?;
        let key_id = self
            .verify(op, &s)
            .await
            .map_err(|v| AppError::Rejected(vec![v]))?;
        if *op != rec.declarant {
            // A representative invalidates under a mandate that covers the
            // declaration.
            let now = OffsetDateTime::now_utc();
            if let Err(v) = self.representation(op, &rec.declaration, now).await? {
                return Err(self
                    .reject(
                        op,
                        Some(&rec.lrn),
                        NotificationKind::RequestRejected,
                        Some(mrn),
                        vec![v],
                    )
                    .await);
            }
        }
        let doc = signed_json(std::str::from_utf8(s.body).map_err(|_| {
            AppError::bad_request("REQUEST_JSON", "", "the body is not UTF-8 JSON")
        })?)?;
        crate::acts::check_trader_mrn(&doc, mrn)?;
        let body_sha256 = sha256_hex(s.body);
        if crate::acts::already_recorded(&self.store.events(mrn).await?, &body_sha256) {
            return Ok(Accepted {
                record: rec,
                warnings: Vec::new(),
                replay: true,
            });
        }
        let reason = doc
            .get("reason")
            .and_then(|r| r.as_str())
            .map(str::to_owned)
            .filter(|r| !r.trim().is_empty() && r.len() <= 512)
            .ok_or_else(|| {
                AppError::bad_request(
                    "INVALIDATION_REASON",
                    "/reason",
                    "give a non-empty reason of at most 512 characters: {\"mrn\": \"...\", \"reason\": \"...\"}",
                )
            })?;
        // The reservation, if any, goes back to the trader's available funds.
        let change = Change {
            bodies: vec![(
                Actor::Operator(op.clone()),
                EventBody::Invalidated {
                    reason,
                    signing_key: key_id,
                    body_sha256: Some(body_sha256),
                },
            )],
            new_declaration: None,
            kinds: vec![NotificationKind::Invalidated],
            payer: None,
        };
        let rec = self
            .change_paying(rec, change, Some((PaymentOp::Release, None)))
            .await?;
        self.quota_returned(&rec.mrn).await;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// The declaration an officer (or administrator) acts on: visible to
    /// the caller (officers: their offices), and not an open task assigned
    /// to another inspector (the installed [`OfficerActGuard`]).
    async fn office_declaration(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<(User, DeclarationRecord), AppError> {
        let user = require_user(caller, &[Role::Officer, Role::Admin])?.clone();
        let rec = self.declaration(caller, mrn).await?;
        let guard = self.officer_guard.read().expect("lock").clone();
        if let Some(g) = guard {
            g.check(&user, mrn).await?;
        }
        Ok((user, rec))
    }

    /// An officer records the result of a documentary check or inspection
    /// of the declaration's current version. Signed body: `{"mrn": "...",
    /// "act": "control_result", "version": N, "outcome": "compliant" |
    /// "findings", "notes": "..."}`. The same signed body sent again is
    /// answered as a replay (nothing is recorded twice).
    pub async fn record_control(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            outcome: ControlOutcome,
            #[serde(default)]
            notes: Option<String>,
        }
        let (user, rec) = self.office_declaration(caller, mrn).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::ControlResult)?;
        let fields = |doc| {
            let b: Body = crate::acts::act_fields(doc)?;
            Ok((b.outcome, b.notes))
        };
        self.control_act(user, rec, doc, fields, v).await
    }

    /// Records a control result whose request the caller signed and
    /// [`Clearance::verify_officer`] verified (the workbench's task result,
    /// whose body has the findings). The signed body must name `mrn`, the
    /// act `task_result` and the current version (400 `OFFICER_SIGNED_MRN`
    /// / `OFFICER_SIGNED_ACT` / `OFFICER_SIGNED_VERSION`, 409
    /// `VERSION_NOT_CURRENT`), whatever the caller checked before. A replay
    /// of a recorded body records nothing (`replay` in the answer).
    pub async fn record_control_verified(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        outcome: ControlOutcome,
        notes: Option<String>,
        v: VerifiedSignature,
    ) -> Result<Accepted, AppError> {
        let doc = act_json(&v, mrn, OfficerAct::TaskResult)?;
        let (user, rec) = self.office_declaration(caller, mrn).await?;
        let fields =
            move |_| -> Result<(ControlOutcome, Option<String>), AppError> { Ok((outcome, notes)) };
        self.control_act(user, rec, doc, fields, v).await
    }

    /// A control result on the version the signed body names (the current
    /// one), unless the same body was recorded already (a replay).
    async fn control_act<F>(
        &self,
        user: User,
        rec: DeclarationRecord,
        doc: serde_json::Value,
        fields: F,
        v: VerifiedSignature,
    ) -> Result<Accepted, AppError>
    where
        F: FnOnce(serde_json::Value) -> Result<(ControlOutcome, Option<String>), AppError>,
    {
        let signature = v.for_user(&user)?;
        if let Some(replay) = self.replayed(&rec, &signature).await? {
            return Ok(replay);
        }
        let version = crate::acts::signed_version(&doc, rec.version)?;
        let (outcome, notes) = fields(doc)?;
        if notes.as_ref().is_some_and(|n| n.len() > 4000) {
            return Err(AppError::bad_request(
                "NOTES_TOO_LONG",
                "/notes",
                "notes are limited to 4000 characters",
            ));
        }
        let rec = self
            .change(
                rec,
                vec![(
                    Actor::Officer(user.username),
                    EventBody::ControlResultRecorded {
                        outcome,
                        notes,
                        version: Some(version),
                        signature: Some(signature),
                    },
                )],
                None,
                &[],
            )
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// The answer to an officer act whose signed body is already recorded
    /// on the declaration: the declaration as it stands, `replay: true`.
    async fn replayed(
        &self,
        rec: &DeclarationRecord,
        signature: &OfficerSignature,
    ) -> Result<Option<Accepted>, AppError> {
        let events = self.store.events(&rec.mrn).await?;
        Ok(
            crate::acts::already_recorded(&events, &signature.body_sha256).then(|| Accepted {
                record: rec.clone(),
                warnings: Vec::new(),
                replay: true,
            }),
        )
    }

    /// An officer releases the declaration's current version; under
    /// control, a control result must have been recorded on that version.
    /// Signed body: `{"mrn": "...", "act": "release", "version": N}`.
    pub async fn release(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {}
        let (user, rec) = self.office_declaration(caller, mrn).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::Release)?;
        let signature = v.for_user(&user)?;
        if let Some(replay) = self.replayed(&rec, &signature).await? {
            return Ok(replay);
        }
        let version = crate::acts::signed_version(&doc, rec.version)?;
        let Body {} = crate::acts::act_fields(doc)?;
        if rec.state == State::UnderControl {
            let events = self.store.events(mrn).await?;
            if !crate::acts::controlled(&events, version) {
                return Err(AppError::bad_request(
                    "CONTROL_RESULT_MISSING",
                    "/version",
                    format!("record the control result of version {version} before releasing it"),
                ));
            }
        }
        // Debits the reservation, or secures and debits now; under control
        // an unsecured declaration then waits for payment.
        let wait = rec.state == State::UnderControl;
        let rec = self
            .release_paying(
                rec,
                Actor::Officer(user.username),
                false,
                wait,
                Some(signature),
            )
            .await?;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// An officer refuses release of the declaration's current version.
    /// Signed body: `{"mrn": "...", "act": "refusal", "version": N,
    /// "reason": "..."}`.
    pub async fn refuse(
        &self,
        caller: &Caller,
        mrn: &Mrn,
        s: Signed<'_>,
    ) -> Result<Accepted, AppError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            reason: String,
        }
        let (user, rec) = self.office_declaration(caller, mrn).await?;
        let v = self.verify_officer(caller, &s).await?;
        let doc = act_json(&v, mrn, OfficerAct::Refusal)?;
        let signature = v.for_user(&user)?;
        if let Some(replay) = self.replayed(&rec, &signature).await? {
            return Ok(replay);
        }
        crate::acts::signed_version(&doc, rec.version)?;
        let Body { reason } = crate::acts::act_fields(doc)?;
        if reason.trim().is_empty() || reason.len() > 4000 {
            return Err(AppError::bad_request(
                "REFUSAL_REASON",
                "/reason",
                "give a reason of 1 to 4000 characters",
            ));
        }
        let change = Change {
            bodies: vec![(
                Actor::Officer(user.username),
                EventBody::Refused {
                    reason,
                    signature: Some(signature),
                },
            )],
            new_declaration: None,
            kinds: vec![NotificationKind::Refused],
            payer: None,
        };
        let rec = self
            .change_paying(rec, change, Some((PaymentOp::Release, None)))
            .await?;
        self.quota_returned(&rec.mrn).await;
        Ok(Accepted {
            record: rec,
            warnings: Vec::new(),
            replay: false,
        })
    }

    /// Re-verifies the stored signature of every officer act of a
    /// declaration, from what is stored: the signed body, its hash, the
    /// signature and the officer's registered key (revoked keys too: the
    /// act was signed while the key was active).
    pub async fn signature_checks(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Vec<SignatureCheck>, AppError> {
        let events = self.events(caller, mrn).await?;
        let mut checks = Vec::new();
        for e in &events {
            let key = match e.body.officer_signature() {
                Some(sig) if matches!(e.actor, Actor::Officer(_)) => {
                    self.store.officer_key(&sig.key_id).await?
                }
                _ => None,
            };
            checks.extend(check_officer_event(mrn, e, key.as_ref()));
        }
        Ok(checks)
    }

    // --- selectivity -----------------------------------------------------

    pub async fn put_criterion(
        &self,
        caller: &Caller,
        c: SelectivityCriterion,
    ) -> Result<SelectivityCriterion, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        c.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        if c.id.is_empty()
            || c.id.len() > 64
            || !c
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AppError::bad_request(
                "CRITERION_ID",
                "/id",
                "id must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        for (field, code) in [
            ("/origin", &c.origin),
            ("/dispatchCountry", &c.dispatch_country),
        ] {
            if let Some(cc) = code {
                if !self.reference.country_exists(cc) {
                    return Err(AppError::bad_request(
                        "CRITERION_COUNTRY",
                        field,
                        format!("unknown country {cc}"),
                    ));
                }
            }
        }
        if let Some(o) = &c.office {
            if self.reference.office_roles(o).is_none() {
                return Err(AppError::bad_request(
                    "CRITERION_OFFICE",
                    "/office",
                    format!("unknown office {o}"),
                ));
            }
        }
        self.store.put_criterion(&c).await?;
        self.store
            .append_audit(
                &caller.label(),
                "criterion.put",
                OffsetDateTime::now_utc(),
                &json!(c),
            )
            .await?;
        self.reload_selectivity().await?;
        Ok(c)
    }

    pub async fn criteria(&self, caller: &Caller) -> Result<Vec<SelectivityCriterion>, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store.criteria().await?)
    }

    pub async fn random_selection(&self, caller: &Caller) -> Result<RandomSelection, AppError> {
        require_user(caller, &[Role::Officer, Role::RiskAnalyst, Role::Admin])?;
        Ok(self.store.random_selection().await?.unwrap_or_default())
    }

    pub async fn set_random_selection(
        &self,
        caller: &Caller,
        r: RandomSelection,
    ) -> Result<RandomSelection, AppError> {
        require_user(caller, &[Role::RiskAnalyst, Role::Admin, Role::Officer])?;
        r.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        self.store.set_random_selection(&r).await?;
        self.store
            .append_audit(
                &caller.label(),
                "random_selection.set",
                OffsetDateTime::now_utc(),
                &json!(r),
            )
            .await?;
        self.reload_selectivity().await?;
        Ok(r)
    }

    // --- personal account ------------------------------------------------

    pub async fn notifications(
        &self,
        op: &Eori,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, AppError> {
        Ok(self
            .store
            .notifications(op, after, limit.clamp(1, 1000))
            .await?
            .into_iter()
            .map(crate::disclosure::for_operator)
            .collect())
    }

    /// Sets a checked webhook URL with a new signing secret (returned with
    /// the stored URL: the only time the secret is shown) or removes the
    /// webhook (`crate::webhooks`).
    pub async fn set_webhook(
        &self,
        op: &Eori,
        url: Option<&str>,
    ) -> Result<Option<(String, String)>, AppError> {
        crate::webhooks::set(
            self.store.as_ref(),
            self.settings.webhook_allow_loopback,
            op,
            url,
        )
        .await
    }

    /// Registers an Ed25519 public key (base64) for signing; returns its id.
    /// A key belongs to one owner (`crate::keys`).
    pub async fn add_signing_key(
        &self,
        op: &Eori,
        public_key_b64: &str,
    ) -> Result<SigningKeyRecord, AppError> {
        let rec = crate::keys::add_operator_key(self.store.as_ref(), op, public_key_b64).await?;
        self.keys.invalidate(op);
        Ok(rec)
    }

    /// Registers an officer's (or administrator's) Ed25519 public key
    /// (base64) for signing officer acts; returns it with its id.
    pub async fn add_officer_key(
        &self,
        caller: &Caller,
        public_key_b64: &str,
    ) -> Result<OfficerKeyRecord, AppError> {
        let user = require_user(caller, &[Role::Officer, Role::Admin])?;
        let rec =
            crate::keys::add_user_key(self.store.as_ref(), &user.username, public_key_b64).await?;
        self.officer_keys.invalidate(&user.username);
        Ok(rec)
    }

    async fn officer_keys_of(&self, username: &str) -> Result<Arc<KeyRing>, AppError> {
        self.officer_keys
            .ring(&username.to_owned(), async {
                Ok(self
                    .store
                    .officer_keys(username)
                    .await?
                    .into_iter()
                    .map(|k| (k.key_id, k.public_key, k.revoked))
                    .collect())
            })
            .await
    }

    /// Checks the detached signature of an officer act (`X-Tamga-Signature`
    /// over the exact body bytes, with one of the caller's registered keys;
    /// `X-Tamga-Key-Id` may name it). Errors are
    /// [`AppError::Signature`] (422): missing, unknown key or invalid.
    pub async fn verify_officer(
        &self,
        caller: &Caller,
        s: &Signed<'_>,
    ) -> Result<VerifiedSignature, AppError> {
        let user = require_user(caller, &[Role::Officer, Role::Admin])?;
        if s.body.len() > MAX_OFFICER_ACT {
            return Err(AppError::bad_request(
                OFFICER_ACT_TOO_LARGE,
                "",
                format!(
                    "a signed officer act is at most {} KiB (it is stored, as signed, in the hash-chained record)",
                    MAX_OFFICER_ACT / 1024
                ),
            ));
        }
        let keys = self.officer_keys_of(&user.username).await?;
        let key_id = check_signed(&keys, s).map_err(|f| match f {
            SignatureFailure::Missing => AppError::Signature {
                code: OFFICER_SIGNATURE_MISSING,
                message: "an officer act is signed: send the base64 Ed25519 signature of the exact body bytes in the X-Tamga-Signature header".into(),
            },
            SignatureFailure::UnknownKey => AppError::Signature {
                code: OFFICER_SIGNATURE_KEY_UNKNOWN,
                message: match s.key_id {
                    Some(id) => format!("{} has no active signing key {id:?}", user.username),
                    None => format!(
                        "{} has no registered signing key (POST /api/v1/account/signing-keys)",
                        user.username
                    ),
                },
            },
            SignatureFailure::Invalid => AppError::Signature {
                code: OFFICER_SIGNATURE_INVALID,
                message: format!(
                    "the signature does not verify against the exact body bytes with {}'s keys",
                    user.username
                ),
            },
        })?;
        let sig = s.signature.unwrap_or_default();
        let body = std::str::from_utf8(s.body)
            .map_err(|_| AppError::bad_request("REQUEST_JSON", "", "the body is not UTF-8 JSON"))?;
        Ok(VerifiedSignature {
            username: user.username.clone(),
            signature: OfficerSignature {
                key_id: key_id.clone(),
                signature: sig.trim().to_owned(),
                body_sha256: sha256_hex(s.body),
                body: body.to_owned(),
            },
        })
    }
}

impl VerifiedSignature {
    /// The signature to store with `user`'s act; refused if someone else
    /// signed.
    fn for_user(self, user: &User) -> Result<OfficerSignature, AppError> {
        if self.username != user.username {
            return Err(AppError::Forbidden(format!(
                "the act was signed by {}, not by {}",
                self.username, user.username
            )));
        }
        Ok(self.signature)
    }
}

/// What an officer signs: every signed body names its act (`"act"`), so a
/// body signed for one act is refused by every other endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerAct {
    ControlResult,
    TaskResult,
    Release,
    Refusal,
    Reassignment,
    RefundDecision,
}

impl OfficerAct {
    /// The value of `"act"` in the signed body.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficerAct::ControlResult => "control_result",
            OfficerAct::TaskResult => "task_result",
            OfficerAct::Release => "release",
            OfficerAct::Refusal => "refusal",
            OfficerAct::Reassignment => "reassignment",
            OfficerAct::RefundDecision => "refund_decision",
        }
    }
}

/// Error code of a signed body that does not name the act of the endpoint
/// (400, pointer `/act`).
pub const OFFICER_SIGNED_ACT: &str = "OFFICER_SIGNED_ACT";

/// The JSON body of a verified officer act, which names the declaration it
/// acts on (`"mrn"`) and the act (`"act"`), so that a signed act cannot be
/// replayed on another declaration or as another act; the version and the
/// act's own fields are read by `acts::signed_version` and
/// `acts::act_fields`.
pub fn act_json(
    v: &VerifiedSignature,
    mrn: &Mrn,
    act: OfficerAct,
) -> Result<serde_json::Value, AppError> {
    let doc = signed_json(v.body())?;
    check_act_mrn(&doc, mrn)?;
    check_act(&doc, act)?;
    Ok(doc)
}

/// A signed act body as JSON; duplicate keys (anywhere) are refused so that
/// what the signature covers reads one way only.
pub fn signed_json(body: &str) -> Result<serde_json::Value, AppError> {
    let bad = |e: serde_json::Error| {
        AppError::bad_request(
            "REQUEST_JSON",
            "",
            format!("the body is not valid JSON: {e}"),
        )
    };
    serde_json::from_str::<NoDuplicateKeys>(body).map_err(bad)?;
    serde_json::from_str(body).map_err(bad)
}

/// The signed body names the declaration: 400 `OFFICER_SIGNED_MRN`.
fn check_act_mrn(doc: &serde_json::Value, mrn: &Mrn) -> Result<(), AppError> {
    let named = doc
        .get("mrn")
        .and_then(|m| m.as_str())
        .and_then(|m| Mrn::parse(m).ok());
    if named.as_ref() != Some(mrn) {
        return Err(AppError::bad_request(
            "OFFICER_SIGNED_MRN",
            "/mrn",
            format!("the signed body names the declaration it acts on: \"mrn\": \"{mrn}\""),
        ));
    }
    Ok(())
}

/// The signed body names the act of the endpoint: 400 `OFFICER_SIGNED_ACT`.
pub fn check_act(doc: &serde_json::Value, act: OfficerAct) -> Result<(), AppError> {
    if doc.get("act").and_then(|a| a.as_str()) != Some(act.as_str()) {
        return Err(AppError::bad_request(
            OFFICER_SIGNED_ACT,
            "/act",
            format!(
                "the signed body names the act it is for: \"act\": \"{}\"",
                act.as_str()
            ),
        ));
    }
    Ok(())
}

/// Walks a JSON document and fails on an object with a repeated key.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoDuplicateKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(NoDuplicateKeys)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
                Ok(NoDuplicateKeys)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut seen = std::collections::HashSet::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<NoDuplicateKeys>()?;
                    if !seen.insert(k.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {k:?}")));
                    }
                }
                Ok(NoDuplicateKeys)
            }
        }
        d.deserialize_any(V)
    }
}

/// Why a detached signature was refused; each side maps it to its codes.
enum SignatureFailure {
    /// No signature was sent.
    Missing,
    /// The owner has no active key (or not the one `X-Tamga-Key-Id` names).
    UnknownKey,
    /// No candidate key verifies the signature over the exact body.
    Invalid,
}

/// Checks a detached signature against the owner's active keys (only the
/// one named by `X-Tamga-Key-Id`, if given); returns the id of the key
/// that verified.
fn check_signed(keys: &KeyRing, s: &Signed<'_>) -> Result<String, SignatureFailure> {
    let sig = s.signature.ok_or(SignatureFailure::Missing)?;
    let mut candidates = keys
        .iter()
        .filter(|(k, _)| match s.key_id {
            Some(id) => k == id,
            None => true,
        })
        .peekable();
    if candidates.peek().is_none() {
        return Err(SignatureFailure::UnknownKey);
    }
    candidates
        .find(|(_, key)| signature::verify(key, s.body, sig).is_ok())
        .map(|(id, _)| id.clone())
        .ok_or(SignatureFailure::Invalid)
}

/// The acts whose signed body an event of this kind may record: a control
/// result comes from `/control-result` or from a task result.
fn acts_of(body: &EventBody) -> &'static [OfficerAct] {
    match body {
        EventBody::ControlResultRecorded { .. } => {
            &[OfficerAct::ControlResult, OfficerAct::TaskResult]
        }
        EventBody::Released { .. } | EventBody::ReleaseGrantedPendingPayment { .. } => {
            &[OfficerAct::Release]
        }
        EventBody::Refused { .. } => &[OfficerAct::Refusal],
        _ => &[],
    }
}

/// Re-verifies an officer event of declaration `mrn` from what is stored,
/// with `key`, the registered key its signature names (looked up by id,
/// revoked ones too); `None` for events that are not officers' acts. Valid
/// when the body still has its hash, the key is that officer's, the
/// signature verifies, and the body names this declaration and an act
/// that records this kind of event.
pub fn check_officer_event(
    mrn: &Mrn,
    e: &Event,
    key: Option<&OfficerKeyRecord>,
) -> Option<SignatureCheck> {
    let Actor::Officer(officer) = &e.actor else {
        return None;
    };
    let mut check = SignatureCheck {
        seq: e.seq,
        kind: e.body.kind(),
        actor: e.actor.clone(),
        at: e.at,
        signed: false,
        key_id: None,
        body_sha256: None,
        valid: false,
        problem: None,
    };
    let Some(sig) = e.body.officer_signature() else {
        check.problem = Some("recorded without an officer signature".into());
        return Some(check);
    };
    check.signed = true;
    check.key_id = Some(sig.key_id.clone());
    check.body_sha256 = Some(sig.body_sha256.clone());
    check.problem = match key {
        None => Some(format!("no officer key {:?} is registered", sig.key_id)),
        Some(k) if k.key_id != sig.key_id => {
            Some(format!("key {} is not the key {}", k.key_id, sig.key_id))
        }
        Some(k) if &k.username != officer => Some(format!(
            "key {} belongs to {}, not to {officer}",
            k.key_id, k.username
        )),
        Some(k) => {
            match signature::parse_public_key(&k.public_key).and_then(|key| sig.verify(&key)) {
                Err(err) => Some(err.to_string()),
                Ok(()) => {
                    let acts = acts_of(&e.body);
                    match signed_json(&sig.body) {
                        Err(err) => Some(err.to_string()),
                        Ok(doc) => {
                            if check_act_mrn(&doc, mrn).is_err() {
                                Some(format!("the signed body does not name {mrn}"))
                            } else if let Some(v) = signed_version_differs(&e.body, &doc) {
                                Some(format!("the signed body does not name version {v}"))
                            } else if !acts.iter().any(|a| check_act(&doc, *a).is_ok()) {
                                Some(format!(
                                    "the signed body does not name the act of a {} event ({})",
                                    e.body.kind(),
                                    acts.iter()
                                        .map(|a| a.as_str())
                                        .collect::<Vec<_>>()
                                        .join(" or ")
                                ))
                            } else {
                                None
                            }
                        }
                    }
                }
            }
        }
    };
    check.valid = check.problem.is_none();
    Some(check)
}

/// The version a control result event applies to, when its signed body
/// names another (or none).
fn signed_version_differs(body: &EventBody, doc: &serde_json::Value) -> Option<u32> {
    match body {
        EventBody::ControlResultRecorded {
            version: Some(v), ..
        } => (doc.get("version").and_then(|n| n.as_u64()) != Some(u64::from(*v))).then_some(*v),
        _ => None,
    }
}

/// Whether the operator is a party of the declaration.
pub fn is_party(op: &Eori, r: &DeclarationRecord) -> bool {
    &r.declarant == op || r.representative.as_ref() == Some(op) || &r.lodged_by == op
}

/// Access rule: operators see their own and represented declarations;
/// officers their offices'; risk analysts and administrators all.
pub fn can_view(caller: &Caller, r: &DeclarationRecord) -> bool {
    match caller {
        Caller::Operator(op) => is_party(op, r),
        Caller::User(u) => match u.role {
            Role::Officer => u.offices.contains(&r.office),
            Role::RiskAnalyst | Role::Admin => true,
            Role::Bank => false,
        },
    }
}

fn require_user<'a>(caller: &'a Caller, roles: &[Role]) -> Result<&'a User, AppError> {
    caller.require(roles)
}

/// Seals `bodies` onto a chain after `last_seq`/`prev_hash`, checking each
/// transition. Returns the events, the final state and the last hash.
fn seal(
    mrn: &Mrn,
    last_seq: u32,
    prev_hash: &str,
    mut state: Option<State>,
    at: OffsetDateTime,
    bodies: Vec<(Actor, EventBody)>,
) -> Result<(Vec<Event>, State, String), AppError> {
    let mut prev = prev_hash.to_owned();
    let mut events = Vec::with_capacity(bodies.len());
    for (i, (actor, body)) in bodies.into_iter().enumerate() {
        state = Some(transition(state, &body)?);
        let e = Event::seal(mrn, last_seq + i as u32 + 1, actor, at, body, &prev);
        prev = e.hash.clone();
        events.push(e);
    }
    let state = state.ok_or_else(|| AppError::Unavailable("no events to seal".into()))?;
    Ok((events, state, prev))
}

/// What a notification tells its recipients beyond its kind. Waiting for
/// payment names the amount due, its currency and the payment reference of
/// `payer` (whose account pays) to quote on the transfer.
fn notification_payload<'e>(
    kind: NotificationKind,
    r: &DeclarationRecord,
    mut events: impl Iterator<Item = &'e Event>,
    warnings: &[Violation],
    payer: Option<&Eori>,
) -> serde_json::Value {
    let mut p = json!({
        "mrn": r.mrn,
        "lrn": r.lrn,
        "state": r.state,
        "channel": r.channel,
        "version": r.version,
    });
    let obj = p.as_object_mut().expect("object");
    match kind {
        NotificationKind::Registered => {
            obj.insert(
                "registeredAt".into(),
                json!(r
                    .registered_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()),
            );
            if !warnings.is_empty() {
                obj.insert("warnings".into(), json!(warnings));
            }
        }
        NotificationKind::UnderControl => {
            if let Some(d) = events.find_map(|e| match &e.body {
                EventBody::RiskAssessed { decision, .. } => Some(decision),
                _ => None,
            }) {
                // The channel only: hits and draws are not for the trader.
                obj.insert(
                    "explanation".into(),
                    json!(tamga_core::risk::trader_explanation(d.channel)),
                );
            }
        }
        NotificationKind::Refused => {
            if let Some(reason) = events.find_map(|e| match &e.body {
                EventBody::Refused { reason, .. } => Some(reason),
                _ => None,
            }) {
                obj.insert("reason".into(), json!(reason));
            }
        }
        NotificationKind::AwaitingPayment => {
            if let Some((currency, amount)) = events
                .filter_map(|e| match &e.body {
                    EventBody::PaymentSecured {
                        result:
                            PaymentResult::Unsecured {
                                currency, amount, ..
                            },
                    }
                    | EventBody::ReleaseGrantedPendingPayment {
                        currency, amount, ..
                    } => Some((currency, amount)),
                    _ => None,
                })
                .last()
            {
                obj.insert("amountDue".into(), json!(amount.to_string()));
                obj.insert("currency".into(), json!(currency));
            }
            if let Some(payer) = payer {
                obj.insert(
                    "paymentReference".into(),
                    json!(tamga_core::ledger::payment_reference(payer)),
                );
            }
        }
        NotificationKind::Released => {
            obj.insert(
                "automatic".into(),
                json!(events.any(|e| matches!(
                    e.body,
                    EventBody::Released {
                        automatic: true,
                        ..
                    }
                ))),
            );
        }
        _ => {}
    }
    p
}

/// Parses a stored tariff and completes it with the HS nomenclature and
/// countries of the reference data.
fn load_tariff(
    t: StoredTariff,
    reference: &tamga_core::reference::ReferenceBundle,
) -> Result<CurrentTariff, AppError> {
    let mut tariff = tariff::load(&t.body).map_err(|errs| tariff_load_error(&errs))?;
    tariff.with_base_nomenclature(&reference.hs, &reference.countries);
    Ok(CurrentTariff {
        id: t.id,
        name: t.name,
        sha256: t.sha256,
        tariff,
    })
}

fn tariff_load_error(errs: &[tariff::LoadError]) -> AppError {
    match errs.first() {
        Some(e) => AppError::bad_request(
            e.code,
            e.pointer.clone(),
            format!(
                "{} ({} problem(s) in all): {}",
                e.message,
                errs.len(),
                errs.iter()
                    .take(20)
                    .map(|e| format!("{} {}", e.pointer, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        None => AppError::bad_request("TARIFF_INVALID", "", "the tariff file is invalid"),
    }
}

/// Answers every quota as undrawn and notes whether one was asked about.
#[derive(Default)]
struct NoQuotaAsked(std::cell::Cell<bool>);

impl tariff::QuotaBalances for NoQuotaAsked {
    fn balance(&self, _: &tariff::Quota) -> Option<Decimal> {
        self.0.set(true);
        None
    }
}

/// Quota balances as the volume less what was drawn.
struct QuotaView<'a>(&'a HashMap<(String, time::Date), Decimal>);

impl tariff::QuotaBalances for QuotaView<'_> {
    fn balance(&self, q: &tariff::Quota) -> Option<Decimal> {
        self.0
            .get(&(q.order_number.clone(), q.validity.from))
            .map(|d| q.volume - *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mrn(seq: u64) -> Mrn {
        Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            seq,
            MrnCategory::Import,
        )
        .unwrap()
    }

    fn key_record(key: &ed25519_dalek::SigningKey, username: &str) -> OfficerKeyRecord {
        let public_key = signature::public_key_b64(&key.verifying_key());
        OfficerKeyRecord {
            key_id: key_id_of(&public_key),
            username: username.into(),
            public_key,
            created_at: OffsetDateTime::UNIX_EPOCH,
            revoked: false,
        }
    }

    /// A release event of `on` by "officer" whose signature (by `key`)
    /// covers `body`.
    fn release_event(on: &Mrn, key: &ed25519_dalek::SigningKey, body: &str) -> Event {
        let sig = OfficerSignature {
            key_id: key_record(key, "officer").key_id,
            signature: signature::sign(key, body.as_bytes()),
            body_sha256: sha256_hex(body.as_bytes()),
            body: body.into(),
        };
        Event::seal(
            on,
            7,
            Actor::Officer("officer".into()),
            OffsetDateTime::UNIX_EPOCH,
            EventBody::Released {
                automatic: false,
                signature: Some(sig),
            },
            "",
        )
    }

    /// MRNs stay unique and in order across blocks: the next block is
    /// reserved in the background half-way through the current one and
    /// used when it runs out.
    #[tokio::test]
    async fn mrn_blocks_are_refilled_ahead_without_repeats() {
        let db = tamga_store::testing::TestDb::sqlite().await;
        let store = tamga_store::open(&db.url).await.unwrap();
        crate::bootstrap(&store, false).await.unwrap();
        let c = Clearance::start(store.clone(), Settings::default())
            .await
            .unwrap();
        let now = OffsetDateTime::now_utc();
        let mut seen = std::collections::HashSet::new();
        let mut spare_seen = false;
        for i in 0..(MRN_BLOCK * 2 + 10) {
            let m = c.next_mrn(DeclarationType::IM, now).await.unwrap();
            assert!(seen.insert(m.as_str().to_owned()), "{m} given twice");
            if i == MRN_BLOCK - 1 || i == MRN_BLOCK * 3 / 2 {
                // Let the background reservation finish (then, at the end
                // of the first block, check it is the one used next).
                for _ in 0..100 {
                    if c.mrns.lock().await.spare.is_some() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                let g = c.mrns.lock().await;
                if i == MRN_BLOCK - 1 {
                    assert_eq!(g.next, g.end, "first block used up");
                    spare_seen = g.spare == Some(g.end);
                }
            }
        }
        assert!(spare_seen, "the second block was reserved ahead");
        assert_eq!(seen.len() as u64, MRN_BLOCK * 2 + 10);
        // Three blocks reserved and in use; none reserved twice.
        assert_eq!(
            store.reserve_sequence("mrn", 1).await.unwrap(),
            3 * MRN_BLOCK + 1
        );
    }

    /// A key list read while a key is registered is not cached (it may
    /// miss the new key); an empty one never is.
    #[tokio::test]
    async fn key_cache_skips_empty_and_raced_lists() {
        let cache: KeyCache<String> = KeyCache::new();
        let owner = "officer".to_owned();
        let key = signature::signing_key_from_seed([5; 32]);
        let entry = || {
            let pk = signature::public_key_b64(&key.verifying_key());
            vec![(key_id_of(&pk), pk, false)]
        };
        let ring = cache.ring(&owner, async { Ok(vec![]) }).await.unwrap();
        assert!(ring.is_empty());
        assert!(cache.map.read().unwrap().get(&owner).is_none());
        let ring = cache
            .ring(&owner, async {
                cache.invalidate(&owner);
                Ok(entry())
            })
            .await
            .unwrap();
        assert_eq!(ring.len(), 1);
        assert!(cache.map.read().unwrap().get(&owner).is_none());
        cache.ring(&owner, async { Ok(entry()) }).await.unwrap();
        assert!(cache.map.read().unwrap().get(&owner).is_some());
        cache.invalidate(&owner);
        assert!(cache.map.read().unwrap().get(&owner).is_none());
    }

    /// Requests that miss a cold cache together are answered by one load;
    /// a value `keep` refuses is loaded again by the next request.
    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
        let cache: Arc<LoadCache<String, u32>> = Arc::new(LoadCache::new());
        let loads = Arc::new(AtomicU32::new(0));
        let load = |loads: Arc<AtomicU32>| async move {
            loads.fetch_add(1, SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            Ok(7)
        };
        let key = "trader".to_owned();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let (cache, key, l) = (cache.clone(), key.clone(), load(loads.clone()));
            tasks.spawn(async move { *cache.get_or_load(&key, l, |_| true).await.unwrap() });
        }
        while let Some(v) = tasks.join_next().await {
            assert_eq!(v.unwrap(), 7);
        }
        assert_eq!(loads.load(SeqCst), 1);

        let other = "other".to_owned();
        for _ in 0..3 {
            cache
                .get_or_load(&other, load(loads.clone()), |_| false)
                .await
                .unwrap();
        }
        assert_eq!(loads.load(SeqCst), 4);
        cache.invalidate(&key);
        cache
            .get_or_load(&key, load(loads.clone()), |_| true)
            .await
            .unwrap();
        assert_eq!(loads.load(SeqCst), 5);
    }

    #[test]
    fn stored_signatures_are_checked_for_the_declaration_the_act_and_the_key() {
        let a = mrn(1);
        let b = mrn(2);
        let key = signature::signing_key_from_seed([3; 32]);
        let other = signature::signing_key_from_seed([4; 32]);
        let rec = key_record(&key, "officer");
        let good = format!(r#"{{"mrn":"{a}","act":"release"}}"#);

        let c = check_officer_event(&a, &release_event(&a, &key, &good), Some(&rec)).unwrap();
        assert!(c.signed && c.valid, "{c:?}");

        // Signed for another declaration.
        let e = release_event(&a, &key, &format!(r#"{{"mrn":"{b}","act":"release"}}"#));
        let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
        assert!(c.signed && !c.valid, "{c:?}");
        assert!(c.problem.unwrap().contains("does not name"));
        // Signed as another act (a refusal stored as a release).
        let e = release_event(&a, &key, &format!(r#"{{"mrn":"{a}","act":"refusal"}}"#));
        let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
        assert!(c.signed && !c.valid, "{c:?}");
        assert!(c.problem.unwrap().contains("act"));
        // Signed by another key than the one the event names.
        let e = release_event(&a, &other, &good);
        let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
        assert!(c.signed && !c.valid, "{c:?}");
        // The key is another officer's.
        let c = check_officer_event(
            &a,
            &release_event(&a, &key, &good),
            Some(&key_record(&key, "officer2")),
        )
        .unwrap();
        assert!(!c.valid, "{c:?}");
        // The key is not registered.
        let c = check_officer_event(&a, &release_event(&a, &key, &good), None).unwrap();
        assert!(c.signed && !c.valid, "{c:?}");
        // A tampered stored body no longer has its hash.
        let mut e = release_event(&a, &key, &good);
        if let EventBody::Released {
            signature: Some(s), ..
        } = &mut e.body
        {
            s.body = format!(r#"{{"mrn":"{a}","act":"release" }}"#);
        }
        let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
        assert!(c.signed && !c.valid, "{c:?}");

        // An officer act recorded without a signature.
        let unsigned = Event::seal(
            &a,
            7,
            Actor::Officer("officer".into()),
            OffsetDateTime::UNIX_EPOCH,
            EventBody::Refused {
                reason: "late".into(),
                signature: None,
            },
            "",
        );
        let c = check_officer_event(&a, &unsigned, None).unwrap();
        assert!(!c.signed && !c.valid, "{c:?}");
        // Not an officer act: no check.
        let auto = Event::seal(
            &a,
            7,
            Actor::System,
            OffsetDateTime::UNIX_EPOCH,
            EventBody::Released {
                automatic: true,
                signature: None,
            },
            "",
        );
        assert!(check_officer_event(&a, &auto, None).is_none());
    }
}
