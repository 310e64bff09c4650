//! Explaining a recorded model score on request.
//!
//! Lodging records the contributions of a selected declaration's score
//! with its decision (the officer's task shows them). A green decision
//! records the model's version and hash, the score and the riskiest item;
//! its contributions are computed here when an officer or analyst asks,
//! from the registered model file (immutable, checked against the
//! recorded hash) and the stored declaration with its recorded duties,
//! as lodging computed them. The score is computed again first: if it is
//! not the recorded one (the declaration was amended since, say), the
//! answer says so rather than explain a different score.

use std::sync::Arc;

use tamga_core::codes::Mrn;
use tamga_core::lifecycle::EventBody;
use tamga_core::model_risk::ModelAssessment;
use tamga_core::pipeline::DutyResult;
use tamga_store::Role;

use crate::error::AppError;
use crate::risk_admin::RiskAdmin;
use crate::Caller;

use super::live::{self, score_or_fallback, LiveModel, ModelSlot};

/// Who may ask: the customs staff who see risk decisions.
const STAFF: &[Role] = &[
    Role::Officer,
    Role::Inspector,
    Role::RiskAnalyst,
    Role::Manager,
    Role::Admin,
];

impl RiskAdmin {
    /// The latest model assessment of `mrn` with its contributions
    /// (recorded or computed now), or `None` when no model scored it.
    /// The caller must be customs staff who may see the declaration.
    pub async fn explain_decision(
        &self,
        caller: &Caller,
        mrn: &Mrn,
    ) -> Result<Option<ModelAssessment>, AppError> {
        caller.require(STAFF)?;
        // The declaration as the caller may see it (office scope).
        let rec = self.clearance.declaration(caller, mrn).await?;
        let events = self.clearance.store().events(mrn).await?;
        let Some((at, seq, assessment)) = events.iter().rev().find_map(|e| match &e.body {
            EventBody::RiskAssessed { decision, .. } => {
                Some((e.at, e.seq, decision.combined.model.clone()))
            }
            _ => None,
        }) else {
            return Ok(None);
        };
        let Some(mut assessment) = assessment else {
            return Ok(None);
        };
        if !assessment.contributions.is_empty() {
            return Ok(Some(assessment));
        }
        // The duties the decision was taken with: the assessment recorded
        // with it, next to it (after it at lodging, before it on an
        // amendment).
        let duties = events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::DutiesAssessed { result, .. } => Some((e.seq.abs_diff(seq), result)),
                _ => None,
            })
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, result)| result.clone())
            .unwrap_or(DutyResult::NotAssessed {
                reason: "no assessment recorded".into(),
            });
        let model = self.model_version(assessment.version).await?;
        if model.content_hash != assessment.content_hash {
            return Err(super::conflict(
                "MODEL_CHANGED",
                format!(
                    "model {} no longer has the recorded hash",
                    assessment.version
                ),
            ));
        }
        let d = rec.declaration;
        let id = mrn.as_str().to_owned();
        let recorded = assessment.clone();
        let explained = tokio::task::spawn_blocking(move || {
            let slot = ModelSlot::Ready(model);
            let (scored, fallback) = score_or_fallback(&slot, &id, &d, at.date(), &duties);
            match (scored, fallback) {
                (Some(mut s), _)
                    if s.assessment.score == recorded.score
                        && s.assessment.item == recorded.item =>
                {
                    s.explain();
                    Ok(s.assessment.contributions)
                }
                (Some(s), _) => Err(format!(
                    "the declaration now scores {} on item {}, not the recorded {} on item {}",
                    s.assessment.score, s.assessment.item, recorded.score, recorded.item
                )),
                (None, f) => Err(f.map_or_else(|| "not scored".to_owned(), |f| f.reason)),
            }
        })
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .map_err(|why| {
            super::conflict(
                "NOT_REPRODUCIBLE",
                format!("the recorded score cannot be explained: {why}"),
            )
        })?;
        assessment.contributions = explained;
        Ok(Some(assessment))
    }

    /// The registered model `version`: the live one when it is, else
    /// loaded from the registry.
    async fn model_version(&self, version: i64) -> Result<Arc<LiveModel>, AppError> {
        if let ModelSlot::Ready(m) = self.stage.model_slot() {
            if m.version == version {
                return Ok(m);
            }
        }
        let store = self.clearance.store();
        let head = store
            .model_head(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        let body = store
            .model_body(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        let m = tokio::task::spawn_blocking(move || live::load(version, &head.content_hash, &body))
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?
            .map_err(|e| super::conflict("MODEL_UNLOADABLE", e))?;
        Ok(Arc::new(m))
    }
}
