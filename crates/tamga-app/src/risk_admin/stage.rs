//! The combined risk stage lodging and amendment use, and its channel
//! policy setting.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};

use serde_json::json;
use time::OffsetDateTime;

use tamga_core::channel::{self, ChannelPolicy, Draws, Inputs};
use tamga_core::codes::Mrn;
use tamga_core::declaration::Declaration;
use tamga_core::pipeline::{DutyResult, RiskStage};
use tamga_core::prearrival::Preliminary;
use tamga_core::profiles::{ProfileEngine, RiskSubject, TraderContext};
use tamga_core::risk::{self, RiskDecision};

use crate::error::AppError;
use crate::{Caller, Clearance};

use super::{analyst, RiskAdmin, POLICY_KEY};

/// The risk stage lodging uses (see the module docs).
pub struct CombinedStage {
    pub(super) clearance: Weak<Clearance>,
    pub(super) engine: RwLock<Arc<ProfileEngine>>,
    pub(super) policy: RwLock<Arc<ChannelPolicy>>,
    /// Transport document reference → preliminary decision (latest wins).
    pub(super) prearrivals: RwLock<HashMap<String, Preliminary>>,
}

impl CombinedStage {
    pub(super) fn engine(&self) -> Arc<ProfileEngine> {
        self.engine.read().expect("lock").clone()
    }
    pub(super) fn policy(&self) -> Arc<ChannelPolicy> {
        self.policy.read().expect("lock").clone()
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
                &RiskSubject::from_declaration(d, trader).with_tax_rates(&duties.item_tax_rates()),
                OffsetDateTime::now_utc().date(),
            )
        };
        let preliminary = self.preliminary(d);
        channel::decide(
            Inputs {
                criteria_hits: base.hits,
                profile_hits,
                trader,
                model_score: None,
                preliminary: preliminary.as_ref(),
                draws: Some(Draws {
                    random: &selectivity.random,
                    secret_id: Some(key.id),
                    draw: base.random.draw,
                    blue_draw: key.draw(risk::PURPOSE_BLUE, selectivity.random.seed, mrn.as_str()),
                    salt: base.random.salt.clone(),
                }),
            },
            &self.policy(),
        )
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
