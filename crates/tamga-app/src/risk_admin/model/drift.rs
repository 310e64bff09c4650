//! Drift of the live model, period over period: the distribution of its
//! scores (every scored declaration of each period, from the
//! `risk_scores` summary table) and of each feature (the latest
//! declarations of each period, encoded with the live model's encoder),
//! as PSI ([`tamga_model::drift`]). Past [`tamga_model::drift::ALERT`] the
//! report says `alert`, the analysts' page shows it and the daily job
//! records it in the audit log.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use tamga_model::drift::{feature_drift, psi, ALERT};
use tamga_model::Record;

use crate::error::AppError;
use crate::Caller;

use super::super::RiskAdmin;
use super::live::ModelSlot;

/// Scores read per period.
const SCORES: i64 = 50_000;
/// Declarations encoded per period for feature drift.
const DECLARATIONS: i64 = 500;
/// Features listed.
const TOP: usize = 10;

/// One period's extent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftPeriod {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// Declarations scored in it.
    pub scored: usize,
}

/// One feature's drift.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureDriftView {
    pub feature: String,
    pub psi: f64,
}

/// The drift report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DriftView {
    /// The live model (absent: none, nothing to measure features with).
    pub version: Option<i64>,
    pub period_days: i64,
    pub reference: DriftPeriod,
    pub current: DriftPeriod,
    /// PSI of the score distribution (absent without scores in both).
    pub score_psi: Option<f64>,
    /// The features that moved most, largest first.
    pub features: Vec<FeatureDriftView>,
    pub threshold: f64,
    /// The score or a feature moved past the threshold.
    pub alert: bool,
}

impl RiskAdmin {
    /// Drift over the last `days` against the `days` before.
    pub async fn model_drift(
        &self,
        caller: &Caller,
        days: Option<i64>,
    ) -> Result<DriftView, AppError> {
        caller.require(&[
            tamga_store::Role::RiskAnalyst,
            tamga_store::Role::Admin,
            tamga_store::Role::Manager,
        ])?;
        let days = days.unwrap_or(7);
        if !(1..=90).contains(&days) {
            return Err(AppError::bad_request(
                "PERIOD",
                "/days",
                "days must be between 1 and 90",
            ));
        }
        self.compute_drift(days, OffsetDateTime::now_utc()).await
    }

    pub(crate) async fn compute_drift(
        &self,
        days: i64,
        now: OffsetDateTime,
    ) -> Result<DriftView, AppError> {
        let store = self.clearance.store().clone();
        let mid = now - Duration::days(days);
        let start = mid - Duration::days(days);
        let reference = store.model_scores(start, mid, SCORES).await?;
        let current = store.model_scores(mid, now, SCORES).await?;
        let scores =
            |v: &[(tamga_core::codes::Mrn, f64)]| v.iter().map(|(_, s)| *s).collect::<Vec<_>>();
        let score_psi = psi(&scores(&reference), &scores(&current));
        let slot = self.stage.model_slot();
        let features = match &slot {
            ModelSlot::Ready(m) => {
                let a = self.records(&reference).await?;
                let b = self.records(&current).await?;
                let m = m.clone();
                tokio::task::spawn_blocking(move || feature_drift(&m.model, &a, &b))
                    .await
                    .map_err(|e| AppError::Unavailable(e.to_string()))?
            }
            _ => Vec::new(),
        };
        let alert = score_psi.is_some_and(|p| p > ALERT) || features.iter().any(|f| f.psi > ALERT);
        Ok(DriftView {
            version: slot.version(),
            period_days: days,
            reference: DriftPeriod {
                from: start,
                to: mid,
                scored: reference.len(),
            },
            current: DriftPeriod {
                from: mid,
                to: now,
                scored: current.len(),
            },
            score_psi,
            features: features
                .into_iter()
                .take(TOP)
                .map(|f| FeatureDriftView {
                    feature: f.feature,
                    psi: f.psi,
                })
                .collect(),
            threshold: ALERT,
            alert,
        })
    }

    /// The records of the latest [`DECLARATIONS`] of `scored`.
    async fn records(
        &self,
        scored: &[(tamga_core::codes::Mrn, f64)],
    ) -> Result<Vec<Record>, AppError> {
        let store = self.clearance.store();
        let mut out = Vec::new();
        for (mrn, _) in scored.iter().take(DECLARATIONS as usize) {
            let Some(rec) = store.declaration(mrn).await? else {
                continue;
            };
            let duties = super::training::duties_of(store.as_ref(), mrn).await?;
            out.extend(tamga_model::source::records_of(
                mrn.as_str(),
                &rec.declaration,
                rec.registered_at.date(),
                &duties,
                None,
            ));
        }
        Ok(out)
    }
}
