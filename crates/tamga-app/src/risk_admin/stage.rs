//! The combined risk stage lodging and amendment use, and its channel
//! policy setting.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use serde_json::json;
use time::OffsetDateTime;

use rust_decimal::Decimal;

use tamga_core::channel::{self, ChannelPolicy, Draws, Inputs};
use tamga_core::codes::Mrn;
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::Channel;
use tamga_core::model_risk::{ExplorationInput, ExplorationStrategy};
use tamga_core::pipeline::{DutyResult, ItemChecks, RiskStage};
use tamga_core::prearrival::Preliminary;
use tamga_core::profiles::{ProfileEngine, RiskSubject, TraderContext};
use tamga_core::risk::{self, RiskDecision};

use crate::error::AppError;
use crate::{Caller, Clearance};

use super::model::live::{score_or_fallback, ModelSlot};
use super::{analyst, RiskAdmin, POLICY_KEY};

/// The risk stage lodging uses (see the module docs).
pub struct CombinedStage {
    pub(super) clearance: Weak<Clearance>,
    pub(super) engine: RwLock<Arc<ProfileEngine>>,
    pub(super) policy: RwLock<Arc<ChannelPolicy>>,
    /// Transport document reference → preliminary decision (latest wins).
    pub(super) prearrivals: RwLock<HashMap<String, Preliminary>>,
    /// The registry's active model (see [`super::model`]).
    pub(super) model: RwLock<ModelSlot>,
    /// The exploratory share the adaptive job set, when it did.
    pub(super) share: RwLock<Option<Decimal>>,
}

impl CombinedStage {
    pub(super) fn engine(&self) -> Arc<ProfileEngine> {
        self.engine.read().expect("lock").clone()
    }
    pub(super) fn policy(&self) -> Arc<ChannelPolicy> {
        self.policy.read().expect("lock").clone()
    }
    /// What is in the model slot now.
    pub fn model_slot(&self) -> ModelSlot {
        self.model.read().expect("lock").clone()
    }
    pub(super) fn set_model_slot(&self, slot: ModelSlot) {
        *self.model.write().expect("lock") = slot;
    }
    pub(super) fn set_share(&self, share: Option<Decimal>) {
        *self.share.write().expect("lock") = share;
    }
    /// The exploration draw's inputs for `mrn` (`None`: off).
    fn exploration(
        &self,
        policy: &ChannelPolicy,
        slot: &ModelSlot,
        draw: impl FnOnce() -> Decimal,
    ) -> Option<ExplorationInput> {
        let e = &policy.exploration;
        if e.strategy == ExplorationStrategy::Off {
            return None;
        }
        let share = match e.strategy {
            ExplorationStrategy::Adaptive => self.share.read().expect("lock").unwrap_or(e.share),
            _ => e.share,
        }
        .clamp(Decimal::ZERO, Decimal::ONE);
        Some(ExplorationInput {
            strategy: e.strategy,
            share,
            channel: e.channel,
            mean_uncertainty: match slot {
                ModelSlot::Ready(m) => m.mean_uncertainty,
                _ => None,
            },
            draw: draw(),
        })
    }
    /// The preliminary decision indexed for a transport document, if any.
    pub fn preliminary_for_document(&self, reference: &str) -> Option<Preliminary> {
        self.prearrivals
            .read()
            .expect("lock")
            .get(reference.trim())
            .cloned()
    }
    fn preliminary(&self, d: &Declaration) -> Option<Preliminary> {
        let index = self.prearrivals.read().expect("lock");
        if index.is_empty() {
            return None;
        }
        d.transport_documents
            .iter()
            .find_map(|t| index.get(t.reference.trim()).cloned())
    }
}

impl RiskStage for CombinedStage {
    fn assess(
        &self,
        d: &Declaration,
        mrn: &Mrn,
        trader: &TraderContext,
        duties: &DutyResult,
        checks: ItemChecks<'_>,
    ) -> RiskDecision {
        let selectivity = self
            .clearance
            .upgrade()
            .map(|c| c.selectivity())
            .unwrap_or_default();
        let key = &selectivity.key;
        let base = risk::assess(d, mrn, &selectivity.criteria, &selectivity.random, key);
        let engine = self.engine();
        let profile_hits = if engine.profiles().is_empty() {
            Vec::new()
        } else {
            engine.evaluate(
                &RiskSubject::from_declaration(d, trader)
                    .with_tax_rates(&duties.item_tax_rates())
                    .with_goods_checks(checks.goods)
                    .with_value_checks(checks.values),
                OffsetDateTime::now_utc().date(),
            )
        };
        let preliminary = self.preliminary(d);
        let policy = self.policy();
        let slot = self.model_slot();
        let (scored, model_fallback) = score_or_fallback(
            &slot,
            mrn.as_str(),
            d,
            OffsetDateTime::now_utc().date(),
            duties,
        );
        let (model_score, model) = match &scored {
            Some(s) => (Some(s.score), Some(s.assessment.clone())),
            None => (None, None),
        };
        let exploration = self.exploration(&policy, &slot, || {
            key.draw(risk::PURPOSE_EXPLORE, selectivity.random.seed, mrn.as_str())
        });
        let mut decision = channel::decide(
            Inputs {
                criteria_hits: base.hits,
                profile_hits,
                trader,
                model_score,
                model,
                model_fallback,
                exploration,
                preliminary: preliminary.as_ref(),
                draws: Some(Draws {
                    random: &selectivity.random,
                    secret_id: Some(key.id),
                    draw: base.random.draw,
                    blue_draw: key.draw(risk::PURPOSE_BLUE, selectivity.random.seed, mrn.as_str()),
                    salt: base.random.salt.clone(),
                }),
            },
            &policy,
        );
        // A selected declaration becomes an officer's task: its decision
        // records the contributions that explain the score. A green one
        // records the score, version and item, and is explained on
        // request from the same model file (`explain_decision`), so that
        // explaining does not slow every release.
        decision.combined.goods = checks.goods.cloned();
        decision.combined.values = checks.values.cloned();
        if decision.channel != Channel::Green {
            if let (Some(mut s), Some(m)) = (scored, decision.combined.model.as_mut()) {
                s.explain();
                m.contributions = s.assessment.contributions;
            }
        }
        decision
    }
}

impl RiskAdmin {
    pub async fn policy(&self, caller: &Caller) -> Result<ChannelPolicy, AppError> {
        analyst(caller)?;
        Ok((*self.stage.policy()).clone())
    }

    #[tracing::instrument(skip_all, fields(caller = %caller.label()))]
    pub async fn set_policy(
        &self,
        caller: &Caller,
        p: ChannelPolicy,
    ) -> Result<ChannelPolicy, AppError> {
        analyst(caller)?;
        p.check()
            .map_err(|e| AppError::bad_request(e.code, e.field, e.message))?;
        let v = json!(p);
        self.clearance
            .store()
            .put_risk_setting(POLICY_KEY, &v)
            .await?;
        *self.stage.policy.write().expect("lock") = Arc::new(p.clone());
        crate::epochs::bump(self.clearance.store().as_ref(), crate::epochs::RISK).await;
        self.audit(caller, "channel_policy.set", v).await?;
        Ok(p)
    }
}
