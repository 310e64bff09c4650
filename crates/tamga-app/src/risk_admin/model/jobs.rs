//! The model's scheduled work, run once per period across all instances:
//! each instance looks every [`TICK`], and a job runs only on the
//! instance that takes its lease in the database for the period
//! ([`tamga_store::ModelStore::claim_lease`]).
//!
//! - **Adaptive exploration** (when the channel policy says `adaptive`):
//!   once a day, the exploratory share for the next day from the last
//!   week's yields ([`tamga_core::model_risk::adaptive_share`]), stored
//!   and announced to every instance by the `risk` epoch.
//! - **Retraining** (when the schedule sets a period): a candidate model
//!   from the officers' recorded results, registered and validated
//!   against the active one; an analyst decides whether to activate it.
//! - **Drift** (when a model is live): once a day, the report of
//!   [`super::drift`]; past the threshold, an alert in the audit log and
//!   on the analysts' page.

use std::sync::{Arc, Weak};
use std::time::Duration as StdDuration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use tamga_core::model_risk::{adaptive_share, ExplorationStrategy};

use crate::error::AppError;
use crate::Caller;

use super::super::RiskAdmin;
use super::TrainRequest;

/// How often each instance looks for due work.
pub const TICK: StdDuration = StdDuration::from_secs(60);
/// Settings key of the retraining schedule.
pub const SCHEDULE_KEY: &str = "model_schedule";
/// Settings key of the exploratory share in force (adaptive).
pub const SHARE_KEY: &str = "exploration_share";
/// Settings key of the latest drift report.
pub const DRIFT_KEY: &str = "model_drift";
/// Fewest controls of each kind before the adaptive share moves.
pub const MIN_CONTROLS: u64 = 20;

/// When to retrain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSchedule {
    /// Retrain every this many days (1 to 90); absent: on command only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrain_every_days: Option<i64>,
    /// Days held out for validation (default: the latest 20 % of the
    /// inspected declarations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_days: Option<i64>,
}

/// The exploratory share in force, as the adaptive job last set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInForce {
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub share: Decimal,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// (findings, controls) of exploratory selections over the week.
    pub explore: (u64, u64),
    /// (findings, controls) of the other selections.
    pub other: (u64, u64),
}

impl RiskAdmin {
    pub async fn model_schedule(&self, caller: &Caller) -> Result<ModelSchedule, AppError> {
        Self::model_reader(caller)?;
        self.read_schedule().await
    }

    async fn read_schedule(&self) -> Result<ModelSchedule, AppError> {
        Ok(self
            .clearance
            .store()
            .risk_setting(SCHEDULE_KEY)
            .await?
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default())
    }

    pub async fn set_model_schedule(
        &self,
        caller: &Caller,
        s: ModelSchedule,
    ) -> Result<ModelSchedule, AppError> {
        super::super::analyst(caller)?;
        if s.retrain_every_days.is_some_and(|d| !(1..=90).contains(&d)) {
            return Err(AppError::bad_request(
                "SCHEDULE",
                "/retrainEveryDays",
                "retrainEveryDays must be between 1 and 90",
            ));
        }
        if s.latest_days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Err(AppError::bad_request(
                "SCHEDULE",
                "/latestDays",
                "latestDays must be between 1 and 365",
            ));
        }
        let v = serde_json::to_value(&s).unwrap_or_default();
        self.clearance
            .store()
            .put_risk_setting(SCHEDULE_KEY, &v)
            .await?;
        self.audit(caller, "risk_model.schedule", v).await?;
        Ok(s)
    }

    /// The share in force, when the adaptive job set one.
    pub(crate) async fn read_share(&self) -> Result<Option<ShareInForce>, AppError> {
        Ok(self
            .clearance
            .store()
            .risk_setting(SHARE_KEY)
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    /// The latest drift report the daily job stored.
    pub async fn stored_drift(
        &self,
        caller: &Caller,
    ) -> Result<Option<super::drift::DriftView>, AppError> {
        Self::model_reader(caller)?;
        Ok(self
            .clearance
            .store()
            .risk_setting(DRIFT_KEY)
            .await?
            .and_then(|v| serde_json::from_value(v).ok()))
    }

    /// Starts the look for due work on this instance.
    pub(crate) fn spawn_model_jobs(self: &Arc<Self>) {
        let weak: Weak<RiskAdmin> = Arc::downgrade(self);
        let holder = format!(
            "{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(admin) = weak.upgrade() else {
                    return;
                };
                if let Err(e) = admin.run_due_jobs(&holder, OffsetDateTime::now_utc()).await {
                    tracing::warn!(error = %e, "risk model jobs");
                }
            }
        });
    }

    /// Runs whatever is due at `now` and whose lease this holder takes.
    pub async fn run_due_jobs(&self, holder: &str, now: OffsetDateTime) -> Result<(), AppError> {
        let store = self.clearance.store().clone();
        let policy = self.stage.policy();
        if policy.exploration.strategy == ExplorationStrategy::Adaptive
            && store
                .claim_lease("risk.explore", holder, now + Duration::days(1), now)
                .await?
        {
            let y = store.selection_yields(now - Duration::days(7), now).await?;
            let current = self
                .read_share()
                .await?
                .map(|s| s.share)
                .unwrap_or(policy.exploration.share);
            let e = &policy.exploration;
            let share = adaptive_share(
                current,
                e.min_share,
                e.max_share,
                y.explore,
                y.other,
                MIN_CONTROLS,
            );
            let v = serde_json::to_value(ShareInForce {
                share,
                at: now,
                explore: y.explore,
                other: y.other,
            })
            .unwrap_or_default();
            store.put_risk_setting(SHARE_KEY, &v).await?;
            crate::epochs::bump(store.as_ref(), crate::epochs::RISK).await;
            self.reload_share().await;
            self.audit_as("scheduler", "exploration.share", v).await?;
        }
        let schedule = self.read_schedule().await?;
        if let Some(every) = schedule.retrain_every_days {
            if store
                .claim_lease("risk.retrain", holder, now + Duration::days(every), now)
                .await?
            {
                let r = self
                    .train_as(
                        "scheduler",
                        TrainRequest {
                            latest_days: schedule.latest_days,
                            ..TrainRequest::default()
                        },
                    )
                    .await;
                if let Err(e) = r {
                    self.audit_as(
                        "scheduler",
                        "risk_model.retrain_skipped",
                        serde_json::json!({"code": e.code(), "message": e.to_string()}),
                    )
                    .await?;
                }
            }
        }
        if self.stage.model_slot().version().is_some()
            && store
                .claim_lease("risk.drift", holder, now + Duration::days(1), now)
                .await?
        {
            let report = self.compute_drift(7, now).await?;
            let v = serde_json::to_value(&report).unwrap_or_default();
            store.put_risk_setting(DRIFT_KEY, &v).await?;
            if report.alert {
                tracing::warn!(version = ?report.version, score_psi = ?report.score_psi, "risk model drift past the threshold");
                self.audit_as("scheduler", "risk_model.drift_alert", v)
                    .await?;
            }
        }
        Ok(())
    }

    /// Reads the share in force into the stage.
    pub(crate) async fn reload_share(&self) {
        match self.read_share().await {
            Ok(s) => self.stage.set_share(s.map(|s| s.share)),
            Err(e) => tracing::warn!(error = %e, "could not read the exploratory share"),
        }
    }
}
