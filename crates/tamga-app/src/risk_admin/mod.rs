//! Risk management administration (issue 4), as a facade over its
//! concerns: risk profiles (create, version, test against past
//! declarations, activate, retire, all audited: [`profiles`]), the risk
//! stage lodging uses with its channel policy ([`stage`]), pre-arrival
//! information with its preliminary decisions ([`prearrival`]),
//! effectiveness analytics ([`analytics`]), and the learning model's
//! registry, scoring, exploration, retraining and drift ([`model`]).
//!
//! [`CombinedStage`] is the risk stage lodging uses: officer selectivity
//! criteria (re-read from [`Clearance::selectivity`] on every assessment),
//! the compiled engine of the active profile versions, the trader's
//! context, each item's tax rate from the duty assessment, the channel
//! policy and the pre-arrival index, combined by
//! [`tamga_core::channel::decide`]. It is installed at start; activation,
//! retirement, policy changes and pre-arrival submissions update it in
//! place.

mod analytics;
pub mod model;
mod prearrival;
mod profiles;
mod stage;

pub use analytics::{analyze, Analytics, ChannelFigures, ProfileEffectiveness};
pub use prearrival::PrearrivalReceipt;
pub use profiles::{ProfileDraft, TestHit, TestReport, TestRequest};
pub use stage::CombinedStage;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use time::{Duration, OffsetDateTime};

use tamga_core::channel::ChannelPolicy;
use tamga_core::prearrival::CargoError;
use tamga_core::profiles::{CompiledProfile, ProfileEngine, ProfileError};
use tamga_store::{Role, StoreError, User};

use crate::error::AppError;
use crate::{Caller, Clearance};

use prearrival::{keep_strictest, preliminary_of};

/// Settings key of the channel policy.
const POLICY_KEY: &str = "channel_policy";
/// Pre-arrival information older than this (by expected arrival) is not
/// loaded into the index at start.
const PREARRIVAL_DAYS: i64 = 60;
/// Most declarations a profile test reads.
pub const TEST_MAX_DECLARATIONS: u32 = 50_000;
/// Longest period a test or analytics report covers.
const MAX_PERIOD_DAYS: i64 = 366;

/// Errors of this service: the application's, a refused profile (with
/// line and column), or refused pre-arrival information (every problem
/// with its pointer).
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{error}")]
    Profile {
        error: ProfileError,
        /// JSON pointer of the field (`/expression` for expression errors).
        pointer: String,
    },
    #[error("pre-arrival information refused: {} problem(s)", .0.len())]
    Cargo(Vec<CargoError>),
}

impl From<StoreError> for RiskError {
    fn from(e: StoreError) -> Self {
        RiskError::App(AppError::Store(e))
    }
}

fn profile_refused(error: ProfileError) -> RiskError {
    let pointer = if error.line > 0 {
        "/expression"
    } else {
        match error.code {
            "PROFILE_ID" | "PROFILE_DUPLICATE_ID" => "/id",
            "PROFILE_CHANNEL" => "/channel",
            "PROFILE_VALIDITY" => "/validTo",
            _ => "",
        }
    };
    RiskError::Profile {
        error,
        pointer: pointer.into(),
    }
}

fn refused(code: &'static str, pointer: &str, message: impl Into<String>) -> RiskError {
    RiskError::Profile {
        error: ProfileError {
            code,
            line: 0,
            column: 0,
            message: message.into(),
        },
        pointer: pointer.into(),
    }
}

pub struct RiskAdmin {
    clearance: Arc<Clearance>,
    stage: Arc<CombinedStage>,
    /// Every HS code in the reference data and all its prefixes (for the
    /// activation check of `hs2`/`hs4`/`starts_with` conditions).
    hs_prefixes: HashSet<String>,
    /// Serializes profile state changes so the engine always matches the
    /// stored active set.
    changes: tokio::sync::Mutex<()>,
}

fn label(caller: &Caller) -> String {
    caller.label()
}

fn analyst(caller: &Caller) -> Result<&User, AppError> {
    caller.require(&[Role::RiskAnalyst, Role::Admin])
}

fn period(
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime), AppError> {
    let to = to.unwrap_or(now + Duration::seconds(1));
    let from = from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::bad_request(
            "PERIOD",
            "/from",
            "from must be before to",
        ));
    }
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(AppError::bad_request(
            "PERIOD",
            "/from",
            format!("a period covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// The stored channel policy, or the default.
async fn load_policy(store: &dyn tamga_store::Store) -> Result<ChannelPolicy, AppError> {
    Ok(match store.risk_setting(POLICY_KEY).await? {
        Some(v) => serde_json::from_value(v).map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!(
                "bad stored channel policy: {e}"
            )))
        })?,
        None => ChannelPolicy::default(),
    })
}

impl RiskAdmin {
    /// Loads the active profiles, the channel policy and recent pre-arrival
    /// information, and installs the combined stage.
    pub async fn start(clearance: Arc<Clearance>) -> Result<Arc<RiskAdmin>, AppError> {
        let store = clearance.store().clone();
        let policy = load_policy(store.as_ref()).await?;
        let bundle = store.reference().await?;
        let mut hs_prefixes = HashSet::new();
        for e in &bundle.hs {
            for n in 1..=e.code.len() {
                if let Some(p) = e.code.get(..n) {
                    hs_prefixes.insert(p.to_owned());
                }
            }
        }
        let stage = Arc::new(CombinedStage {
            clearance: Arc::downgrade(&clearance),
            engine: RwLock::new(Arc::new(
                ProfileEngine::new(Vec::new())
                    .map_err(|e| AppError::bad_request(e.code, "", e.message))?,
            )),
            policy: RwLock::new(Arc::new(policy)),
            prearrivals: RwLock::new(HashMap::new()),
            model: RwLock::new(model::live::ModelSlot::None),
            share: RwLock::new(None),
        });
        let admin = Arc::new(RiskAdmin {
            clearance,
            stage,
            hs_prefixes,
            changes: tokio::sync::Mutex::new(()),
        });
        admin.reload_engine().await?;
        let since = OffsetDateTime::now_utc() - Duration::days(PREARRIVAL_DAYS);
        {
            let recs = store.prearrivals_expected_since(since).await?;
            let mut index = admin.stage.prearrivals.write().expect("lock");
            for r in recs {
                keep_strictest(&mut index, preliminary_of(&r));
            }
        }
        admin.reload_model().await;
        admin.reload_share().await;
        admin.clearance.set_risk_stage(admin.stage.clone());
        admin.watch_epochs(OffsetDateTime::now_utc());
        if admin.clearance.settings().scheduled_model_jobs {
            admin.spawn_model_jobs();
        }
        Ok(admin)
    }

    /// Follows what other instances change: profiles and the channel
    /// policy (reloaded whole), pre-arrival information (what was
    /// submitted since the last look, with a margin for clocks and
    /// commits in flight; the index keeps the strictest per document, so
    /// reading one twice changes nothing). See [`crate::epochs`].
    fn watch_epochs(self: &Arc<Self>, started: OffsetDateTime) {
        /// Re-read this much before the last look.
        const MARGIN: Duration = Duration::minutes(2);
        let weak = Arc::downgrade(self);
        let alive = weak.clone();
        let last = Arc::new(std::sync::Mutex::new(started));
        crate::epochs::spawn_watch(
            self.clearance.store().clone(),
            &[crate::epochs::RISK, crate::epochs::PREARRIVAL],
            move || alive.strong_count() > 0,
            Box::new(move |topic| {
                let (weak, last) = (weak.clone(), last.clone());
                Box::pin(async move {
                    let Some(admin) = weak.upgrade() else {
                        return true;
                    };
                    let done = if topic == crate::epochs::RISK {
                        admin.reload_risk().await
                    } else {
                        let now = OffsetDateTime::now_utc();
                        let since = *last.lock().expect("lock") - MARGIN;
                        let r = admin.read_prearrivals_since(since).await;
                        if r.is_ok() {
                            *last.lock().expect("lock") = now;
                        }
                        r
                    };
                    done.map_err(|e| tracing::warn!(topic, error = %e, "could not reload"))
                        .is_ok()
                })
            }),
        );
    }

    /// Reads the active profiles and the channel policy again.
    async fn reload_risk(&self) -> Result<(), AppError> {
        let policy = load_policy(self.clearance.store().as_ref()).await?;
        *self.stage.policy.write().expect("lock") = Arc::new(policy);
        self.reload_model().await;
        self.reload_share().await;
        self.reload_engine().await
    }

    /// Adds pre-arrival information submitted since `since` to the index.
    async fn read_prearrivals_since(&self, since: OffsetDateTime) -> Result<(), AppError> {
        let recs = self
            .clearance
            .store()
            .prearrivals_submitted_since(since)
            .await?;
        let mut index = self.stage.prearrivals.write().expect("lock");
        for r in recs {
            keep_strictest(&mut index, preliminary_of(&r));
        }
        Ok(())
    }

    /// The stage lodging uses.
    pub fn stage(&self) -> Arc<CombinedStage> {
        self.stage.clone()
    }

    /// Rebuilds the engine from the stored active versions. A stored
    /// version that no longer compiles is left out (and logged) rather
    /// than stopping the service.
    async fn reload_engine(&self) -> Result<(), AppError> {
        let active = self.clearance.store().active_profiles().await?;
        let mut compiled = Vec::with_capacity(active.len());
        for p in active {
            let id = p.id.clone();
            match CompiledProfile::compile(p) {
                Ok(c) => compiled.push(c),
                Err(e) => {
                    tracing::error!(profile = %id, error = %e, "active profile does not compile; left out")
                }
            }
        }
        let engine = ProfileEngine::new(compiled)
            .map_err(|e| AppError::bad_request(e.code, "", e.message))?;
        *self.stage.engine.write().expect("lock") = Arc::new(engine);
        self.clearance.set_risk_stage(self.stage.clone());
        Ok(())
    }

    async fn audit(
        &self,
        caller: &Caller,
        action: &str,
        payload: serde_json::Value,
    ) -> Result<(), AppError> {
        self.clearance
            .store()
            .append_audit(&label(caller), action, OffsetDateTime::now_utc(), &payload)
            .await?;
        Ok(())
    }
}
