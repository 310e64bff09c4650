//! The clearance service: lodging → control → registration → risk → duties
//! → payment → release, amendments, invalidation and officer actions.
//!
//! This module is the facade: the [`Clearance`] struct, its start and its
//! accessors. Each concern lives in a submodule with its own
//! `impl Clearance` block:
//!
//! - `lodging`: the lodging pipeline, as its named stages;
//! - `amendment`: amendments (control, duties and risk again) and
//!   invalidation;
//! - `messages`, `message_acts`: declarations, amendments and
//!   cancellations sent as standard messages (DEC-DMS XML, CUSDEC);
//! - `officer_acts`: control results, release and refusal, signed by
//!   officers;
//! - `signatures`: detached signatures of operators and officers, and the
//!   strict JSON of signed bodies;
//! - `signature_audit`: re-verifying the officer signatures stored in a
//!   declaration's events;
//! - `settlement`: paying accounts, release with payment, bank deposits and
//!   the declarations waiting for them;
//! - `changes`: sealing events onto a declaration's chain and committing a
//!   change (with the money it moves);
//! - `tariff`: the tariff in use, its import, duty assessment and tariff
//!   quota balances;
//! - `mrn_blocks`: MRN numbers reserved in blocks;
//! - `settings`: selectivity criteria, random selection and webhooks;
//! - `queries`: what a caller may read (declarations, queue, events,
//!   notifications);
//! - `notify`: the notifications a change sends, and rejections;
//! - `access`: who is calling and what they may see;
//! - `load_cache`: values read from the store on first use.
//!
//! Invariants:
//! - Nothing is written for a declaration that fails control; the trader
//!   gets a `rejected` notification listing every violation.
//! - Every change to a declaration is one [`Write`](tamga_store::Write):
//!   new projection, the events that explain it (hash-chained) and the
//!   notifications it causes.
//! - The projection's state is always what
//!   [`transition`](tamga_core::lifecycle::transition) gives for its events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use rust_decimal::Decimal;
use tokio::sync::watch;

use tamga_core::codes::{CountryCode, CurrencyCode, Eori};
use tamga_core::control::Violation;
use tamga_core::ledger::AccountId;
use tamga_core::pipeline::{RiskStage, SelectivityStage};
use tamga_core::profiles::TraderContext;
use tamga_core::reference::ReferenceData;
use tamga_store::{DeclarationRecord, Store};

use crate::account::{Accounts, LedgerCurrency};
use crate::error::AppError;
use crate::writer::{RecentRecords, Writer};

mod access;
mod amendment;
mod changes;
mod check;
mod dms;
mod edifact_answers;
mod load_cache;
mod lodging;
mod message_acts;
mod messages;
mod mrn_blocks;
mod notices;
mod notify;
mod officer_acts;
mod queries;
mod settings;
mod settlement;
mod signature_audit;
mod signatures;
mod tariff;
#[cfg(test)]
mod tests;

pub use access::{can_view, is_party, Caller};
pub use check::CheckReport;
pub use dms::{DmsContext, NOTIFICATIONS_NS};
pub use edifact_answers::{cusres_accepted, edifact_refusal, EdifactAcceptance, EdifactRefusal};
pub use messages::{AcceptedEdifact, AcceptedMessage, MessageAct, XML_FUNCTION_NOT_SUPPORTED};
pub use notices::{UnreadNotices, UNREAD_CAP};
pub use officer_acts::OfficerActGuard;
pub use signature_audit::{check_officer_event, judge_revocation, SignatureCheck};
pub use signatures::{
    act_json, check_act, key_id_of, sha256_hex, signed_json, OfficerAct, Signed, VerifiedSignature,
    MAX_OFFICER_ACT, OFFICER_ACT_TOO_LARGE, OFFICER_SIGNATURE_INVALID,
    OFFICER_SIGNATURE_KEY_REVOKED, OFFICER_SIGNATURE_KEY_UNKNOWN, OFFICER_SIGNATURE_MISSING,
    OFFICER_SIGNED_ACT,
};
pub use tariff::CurrentTariff;

use load_cache::LoadCache;
use mrn_blocks::MrnBlocks;
use signatures::KeyCache;

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
    /// The session cookie is marked `Secure` (sent over HTTPS only): set
    /// when the service is served over TLS (`tamga serve --secure-cookies`).
    pub secure_cookies: bool,
    /// Each instance looks every minute for the risk model's scheduled
    /// work (adaptive exploration share, retraining, drift; run once per
    /// period across instances). Off only in tests that run it themselves
    /// (`RiskAdmin::run_due_jobs`).
    pub scheduled_model_jobs: bool,
    /// The HS classification assistant (`tamga-http`: `GET
    /// /api/v1/hs/suggestions` and the `/hs` page) builds its model from
    /// the shipped data on a thread of its own as soon as the service
    /// starts (seconds of one core; nothing waits for it). Off: it is built
    /// when it is first asked for, for programs that rarely ask (tests,
    /// benchmarks), so they do not pay for it. Until it is built the
    /// assistant answers 503 `HS_NOT_READY`.
    pub hs_build_at_start: bool,
    /// With [`Self::hs_build_at_start`], the assistant's first model learns
    /// from the classifications officers confirmed (released declarations
    /// they controlled), and is rebuilt this often when new ones were
    /// confirmed ([`crate::goods::learning`]).
    pub hs_relearn_every: std::time::Duration,
    /// The goods check of lodging (vague descriptions, declared headings
    /// that do not match their description: [`crate::goods`]).
    pub goods_check: crate::goods::GoodsCheckSettings,
    /// The value check of lodging and the public value calculator
    /// (reference prices from released declarations: [`crate::values`]).
    pub value_control: crate::values::ValueControlSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            country: CountryCode::parse("UZ").expect("valid"),
            max_batch: 512,
            webhook_allow_loopback: false,
            secure_cookies: false,
            scheduled_model_jobs: true,
            hs_build_at_start: true,
            hs_relearn_every: std::time::Duration::from_secs(3600),
            goods_check: crate::goods::GoodsCheckSettings::default(),
            value_control: crate::values::ValueControlSettings::default(),
        }
    }
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

/// Supplies what the risk stage knows of a trader (its digital twin and
/// category); installed by the workbench service.
pub trait TraderContexts: Send + Sync {
    fn context(&self, trader: &Eori, today: time::Date) -> TraderContext;
}

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
    /// The goods check lodging runs, with the HS assistant's model.
    goods: crate::goods::GoodsCheck,
    /// The value check lodging runs, and the reference prices it reads.
    values: crate::values::ValueControl,
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
            Some(t) => Some(Arc::new(tariff::load_tariff(t, &bundle)?)),
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
        let values = crate::values::ValueControl::new(store.clone(), settings.value_control);
        let c = Arc::new(Clearance {
            values,
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
            goods: crate::goods::GoodsCheck::new(
                Arc::new(crate::goods::HsModel::default()),
                settings.goods_check,
            ),
            settings,
        });
        c.reload_selectivity().await?;
        crate::draw_secrets::start(&c);
        c.watch_epochs();
        // Deposits may have arrived while no instance was running.
        c.settle_all_awaiting().await?;
        Ok(c)
    }

    /// The goods check lodging runs, and the HS assistant's model it
    /// shares with the assistant's page and API.
    pub fn goods(&self) -> &crate::goods::GoodsCheck {
        &self.goods
    }

    /// The value check lodging runs, and the reference prices of the
    /// public value calculator.
    pub fn values(&self) -> &crate::values::ValueControl {
        &self.values
    }

    /// The single personal accounts.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
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

    /// The installed risk stage, or the officers' selectivity alone.
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
}
