//! The learning risk model in the risk service (issue 17): the registry
//! (train from tamga's own inspected declarations, register an uploaded
//! model, validate on the latest period against the active model,
//! activate, roll back, deactivate), the model lodging scores with
//! ([`live`]), explaining a recorded green decision on request
//! ([`explain`]), the training data ([`training`]), drift ([`drift`]), and
//! the work that runs on a schedule, once across instances ([`jobs`]).
//!
//! Invariants:
//! - The active model is the registry's (the database's), never one
//!   instance's choice: a change is stored, the `risk` epoch bumped, and
//!   every instance loads the new version (see [`crate::epochs`]).
//! - A model is activated only with its validation, and the loaded file's
//!   SHA-256 must be the registered one; a file that does not load leaves
//!   lodging on the rules, each decision saying why.
//! - Training reads only inspected declarations' outcomes; the latest
//!   period is held out for validation (temporal split only).

pub mod drift;
pub mod explain;
pub mod jobs;
pub mod live;
pub mod training;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use tamga_model::{evaluate, Evaluation, GbdtModel, Record, RiskModel, TrainOptions};
use tamga_store::{ModelActivation, ModelHead, NewModel, Role};

use crate::error::AppError;
use crate::Caller;

use super::RiskAdmin;
use live::ModelSlot;

/// The share of the inspected declarations (the latest, by registration)
/// held out for validation when no number of days is given.
pub const LATEST_SHARE: f64 = 0.2;
/// Fewest inspected declarations a model is trained from.
pub const MIN_TRAINING: usize = 30;
/// Largest model file accepted for upload.
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;

/// A registered model as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelView {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: String,
    /// `database` or `upload`.
    pub source: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub data_from: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub data_to: Option<Date>,
    /// Inspected goods items learnt from, and the fraudulent ones.
    pub rows: i64,
    pub frauds: i64,
    pub features: Vec<String>,
    /// What training reported.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub training: serde_json::Value,
    pub content_hash: String,
    /// The metrics on the latest period and the comparison with the model
    /// active then; absent until validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub validation: Option<serde_json::Value>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub validated_at: Option<OffsetDateTime>,
    pub active: bool,
}

/// One change of the live model.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationView {
    pub version: Option<i64>,
    pub action: String,
    pub by: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The registry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelsView {
    /// The live model (absent: the rules alone).
    pub active: Option<i64>,
    /// Why the live model is not scoring, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub models: Vec<ModelView>,
    pub history: Vec<ActivationView>,
}

/// Training from tamga's own declarations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainRequest {
    /// Hold out the declarations of the latest this many days for
    /// validation (1 to 365); absent: the latest 20 % of the inspected
    /// declarations by registration.
    pub latest_days: Option<i64>,
    pub seed: Option<u64>,
    /// Trees (10 to 2,000; default 300).
    pub trees: Option<usize>,
}

/// Activation, rollback and deactivation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivateRequest {
    /// Why (kept in the history; 3 to 500 characters).
    pub reason: String,
    /// Activate although the validation found the model no better than
    /// the one active then.
    #[serde(default)]
    pub force: bool,
}

fn view(h: ModelHead, active: Option<i64>) -> ModelView {
    ModelView {
        active: active == Some(h.version),
        version: h.version,
        created_at: h.created_at,
        created_by: h.created_by,
        source: h.source,
        data_from: h.data_from,
        data_to: h.data_to,
        rows: h.rows,
        frauds: h.frauds,
        features: h.features,
        training: h.training,
        content_hash: h.content_hash,
        validation: h.validation,
        validated_at: h.validated_at,
    }
}

fn activation(a: ModelActivation) -> ActivationView {
    ActivationView {
        version: a.version,
        action: a.action,
        by: a.by,
        reason: a.reason,
        at: a.at,
    }
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        pointer: String::new(),
        message: message.into(),
    }
}

fn evaluation_json(e: &Evaluation) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_default()
}

/// The mean of 4·s·(1 − s): the normaliser of uncertain exploration.
fn mean_uncertainty(scores: &[f64]) -> Option<f64> {
    (!scores.is_empty())
        .then(|| scores.iter().map(|s| 4.0 * s * (1.0 - s)).sum::<f64>() / scores.len() as f64)
}

/// Evaluates `candidate` (and `active`, when given) on `latest`: the
/// validation recorded with a model.
fn validation(
    candidate: &GbdtModel,
    active: Option<(i64, &GbdtModel)>,
    latest: &[Record],
) -> serde_json::Value {
    let labels: Vec<bool> = latest.iter().map(|r| r.label == Some(true)).collect();
    let scores = candidate.score(latest);
    let mine = evaluate(&scores, &labels, None);
    let theirs = active.map(|(v, m)| (v, evaluate(&m.score(latest), &labels, None)));
    // Better: a higher AUC (or, without one, precision at 5 %).
    let key = |e: &Evaluation| e.auc.unwrap_or(e.precision_at.p5);
    let better = theirs.as_ref().is_none_or(|(_, t)| key(&mine) >= key(t));
    serde_json::json!({
        "period": {
            "from": latest.iter().map(|r| r.date).min().map(|d| d.to_string()),
            "to": latest.iter().map(|r| r.date).max().map(|d| d.to_string()),
        },
        "candidate": evaluation_json(&mine),
        "active": theirs.as_ref().map(|(v, e)| serde_json::json!({"version": v, "metrics": evaluation_json(e)})),
        "better": better,
        "meanUncertainty": mean_uncertainty(&scores),
    })
}

impl RiskAdmin {
    fn model_reader(caller: &Caller) -> Result<(), AppError> {
        caller.require(&[Role::RiskAnalyst, Role::Admin, Role::Manager])?;
        Ok(())
    }

    /// The registry: every model, the live one and the history.
    pub async fn models(&self, caller: &Caller) -> Result<ModelsView, AppError> {
        Self::model_reader(caller)?;
        let store = self.clearance.store();
        let active = store.active_model().await?;
        let problem = match self.stage.model_slot() {
            ModelSlot::Broken { reason, .. } => Some(reason),
            _ => None,
        };
        Ok(ModelsView {
            active,
            problem,
            models: store
                .models(200)
                .await?
                .into_iter()
                .map(|h| view(h, active))
                .collect(),
            history: store
                .activations(200)
                .await?
                .into_iter()
                .map(activation)
                .collect(),
        })
    }

    pub async fn model(&self, caller: &Caller, version: i64) -> Result<ModelView, AppError> {
        Self::model_reader(caller)?;
        let store = self.clearance.store();
        let head = store
            .model_head(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        Ok(view(head, store.active_model().await?))
    }

    /// The model file as registered (for offline scoring and audit).
    pub async fn model_file(&self, caller: &Caller, version: i64) -> Result<Vec<u8>, AppError> {
        super::analyst(caller)?;
        self.clearance
            .store()
            .model_body(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))
    }

    /// Model `version`: the one the stage has loaded when it is that one
    /// (no second read and parse), else read from the registry.
    async fn load_registered(&self, version: i64) -> Result<Arc<GbdtModel>, AppError> {
        if let ModelSlot::Ready(m) = self.stage.model_slot() {
            if m.version == version {
                return Ok(m.model.clone());
            }
        }
        let body = self
            .clearance
            .store()
            .model_body(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        tokio::task::spawn_blocking(move || GbdtModel::from_bytes(&body))
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?
            .map(Arc::new)
            .map_err(|e| conflict("MODEL_UNLOADABLE", e.to_string()))
    }

    /// Trains a model from tamga's own inspected declarations, holding out
    /// the latest period, registers it and validates it on that period
    /// against the active model. `by` is the user (or `scheduler`).
    pub async fn train_model(
        &self,
        caller: &Caller,
        req: TrainRequest,
    ) -> Result<ModelView, AppError> {
        super::analyst(caller)?;
        self.train_as(&caller.label(), req).await
    }

    pub(crate) async fn train_as(
        &self,
        by: &str,
        req: TrainRequest,
    ) -> Result<ModelView, AppError> {
        if req.latest_days.is_some_and(|d| !(1..=365).contains(&d)) {
            return Err(AppError::bad_request(
                "TRAIN_OPTIONS",
                "/latestDays",
                "latestDays must be between 1 and 365",
            ));
        }
        let trees = req.trees.unwrap_or(TrainOptions::default().trees);
        if !(10..=2000).contains(&trees) {
            return Err(AppError::bad_request(
                "TRAIN_OPTIONS",
                "/trees",
                "trees must be between 10 and 2000",
            ));
        }
        let options = TrainOptions {
            seed: req.seed.unwrap_or(1),
            trees,
            ..TrainOptions::default()
        };
        let store = self.clearance.store().clone();
        let records = training::labelled_records(store.as_ref(), |_| {}).await?;
        let holdout = match req.latest_days {
            Some(d) => training::Holdout::Days(d),
            None => training::Holdout::Share(LATEST_SHARE),
        };
        let (train, latest) = training::split_latest(records, holdout);
        let labelled = train.iter().filter(|r| r.label.is_some()).count();
        if labelled < MIN_TRAINING {
            return Err(conflict(
                "NOT_ENOUGH_LABELS",
                format!(
                    "{labelled} inspected goods items before the period held out; at least {MIN_TRAINING} are needed"
                ),
            ));
        }
        let active = match store.active_model().await? {
            Some(v) => Some((v, self.load_registered(v).await?)),
            None => None,
        };
        let started = std::time::Instant::now();
        let (model, validation) = tokio::task::spawn_blocking(move || {
            let model = tamga_model::train(&train, options)?;
            let v = (!latest.is_empty()).then(|| {
                validation(
                    &model,
                    active.as_ref().map(|(v, m)| (*v, m.as_ref())),
                    &latest,
                )
            });
            Ok::<_, tamga_model::ModelError>((model, v))
        })
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .map_err(|e| conflict("TRAINING_DATA", e.to_string()))?;
        let info = &model.info;
        let now = OffsetDateTime::now_utc();
        let version = store
            .insert_model(&NewModel {
                created_at: now,
                created_by: by.to_owned(),
                source: "database".into(),
                data_from: Some(info.data_from),
                data_to: Some(info.data_to),
                rows: info.rows as i64,
                frauds: info.frauds as i64,
                features: info.features.clone(),
                training: serde_json::json!({
                    "options": info.options,
                    "trees": info.trees,
                    "holdout": match holdout {
                        training::Holdout::Days(d) => serde_json::json!({"days": d}),
                        training::Holdout::Share(x) => serde_json::json!({"share": x}),
                    },
                    "seconds": started.elapsed().as_secs_f64(),
                }),
                content_hash: model.content_hash(),
                body: model.to_bytes(),
            })
            .await?;
        if let Some(v) = &validation {
            store.set_model_validation(version, v, now).await?;
        }
        self.audit_as(
            by,
            "risk_model.trained",
            serde_json::json!({"version": version, "validated": validation.is_some()}),
        )
        .await?;
        let head = store
            .model_head(version)
            .await?
            .ok_or_else(|| AppError::Unavailable("the model just registered is gone".into()))?;
        Ok(view(head, store.active_model().await?))
    }

    /// Registers a model file trained elsewhere (`tamga risk train`).
    pub async fn upload_model(
        &self,
        caller: &Caller,
        body: Vec<u8>,
    ) -> Result<ModelView, AppError> {
        super::analyst(caller)?;
        if body.len() > MAX_MODEL_BYTES {
            return Err(AppError::bad_request(
                "MODEL_FILE",
                "",
                format!("a model file is at most {MAX_MODEL_BYTES} bytes"),
            ));
        }
        let (model, body) =
            tokio::task::spawn_blocking(move || GbdtModel::from_bytes(&body).map(|m| (m, body)))
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?
                .map_err(|e| AppError::bad_request("MODEL_FILE", "", e.to_string()))?;
        let info = &model.info;
        let store = self.clearance.store();
        let version = store
            .insert_model(&NewModel {
                created_at: OffsetDateTime::now_utc(),
                created_by: caller.label(),
                source: "upload".into(),
                data_from: Some(info.data_from),
                data_to: Some(info.data_to),
                rows: info.rows as i64,
                frauds: info.frauds as i64,
                features: info.features.clone(),
                training: serde_json::json!({"options": info.options, "trees": info.trees}),
                content_hash: model.content_hash(),
                body,
            })
            .await?;
        self.audit(
            caller,
            "risk_model.uploaded",
            serde_json::json!({"version": version}),
        )
        .await?;
        self.model(caller, version).await
    }

    /// Validates a model on the inspected declarations after its training
    /// data, against the active model on the same declarations.
    pub async fn validate_model(
        &self,
        caller: &Caller,
        version: i64,
    ) -> Result<ModelView, AppError> {
        super::analyst(caller)?;
        let store = self.clearance.store().clone();
        let head = store
            .model_head(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        if head.validation.is_some() {
            return Err(conflict(
                "ALREADY_VALIDATED",
                format!("model {version} is validated"),
            ));
        }
        let model = self.load_registered(version).await?;
        let after = head.data_to;
        let latest: Vec<Record> = training::labelled_records(store.as_ref(), |_| {})
            .await?
            .into_iter()
            .filter(|r| after.is_none_or(|d| r.date > d))
            .collect();
        if latest.is_empty() {
            return Err(conflict(
                "NO_LATEST_PERIOD",
                format!(
                    "no inspected declaration after model {version}'s training data to validate on"
                ),
            ));
        }
        let active = match store.active_model().await? {
            Some(v) if v != version => Some((v, self.load_registered(v).await?)),
            _ => None,
        };
        let v = tokio::task::spawn_blocking(move || {
            validation(
                &model,
                active.as_ref().map(|(v, m)| (*v, m.as_ref())),
                &latest,
            )
        })
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
        store
            .set_model_validation(version, &v, OffsetDateTime::now_utc())
            .await?;
        self.audit(
            caller,
            "risk_model.validated",
            serde_json::json!({"version": version, "validation": v}),
        )
        .await?;
        self.model(caller, version).await
    }

    fn check_reason(req: &ActivateRequest) -> Result<(), AppError> {
        let n = req.reason.trim().chars().count();
        if !(3..=500).contains(&n) {
            return Err(AppError::bad_request(
                "REASON",
                "/reason",
                "give a reason of 3 to 500 characters",
            ));
        }
        Ok(())
    }

    /// Makes `version` the live model.
    pub async fn activate_model(
        &self,
        caller: &Caller,
        version: i64,
        req: ActivateRequest,
    ) -> Result<ModelsView, AppError> {
        super::analyst(caller)?;
        Self::check_reason(&req)?;
        let store = self.clearance.store().clone();
        let head = store
            .model_head(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        let Some(v) = &head.validation else {
            return Err(conflict(
                "NOT_VALIDATED",
                format!("model {version} has no validation metrics: validate it first"),
            ));
        };
        if v["better"] == serde_json::Value::Bool(false) && !req.force {
            return Err(conflict(
                "CANDIDATE_WORSE",
                format!("model {version} did no better than the model active when it was validated; activate with force to override"),
            ));
        }
        // It must load, with the registered hash, before it goes live.
        let body = store
            .model_body(version)
            .await?
            .ok_or_else(|| AppError::not_found(format!("risk model {version}")))?;
        let hash = head.content_hash.clone();
        tokio::task::spawn_blocking(move || live::load(version, &hash, &body))
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?
            .map_err(|e| conflict("MODEL_UNLOADABLE", e))?;
        self.record_activation(caller, Some(version), "activate", &req)
            .await
    }

    /// Goes back to the model live before the current one.
    pub async fn rollback_model(
        &self,
        caller: &Caller,
        req: ActivateRequest,
    ) -> Result<ModelsView, AppError> {
        super::analyst(caller)?;
        Self::check_reason(&req)?;
        let history = self.clearance.store().activations(1000).await?;
        let Some(current) = history.first() else {
            return Err(conflict(
                "NOTHING_TO_ROLL_BACK",
                "no model was ever activated",
            ));
        };
        let previous = history
            .iter()
            .skip(1)
            .find(|a| a.version != current.version)
            .map(|a| a.version);
        let Some(previous) = previous else {
            return Err(conflict(
                "NOTHING_TO_ROLL_BACK",
                "no earlier model to go back to",
            ));
        };
        self.record_activation(caller, previous, "rollback", &req)
            .await
    }

    /// Stops scoring with any model: the rules alone.
    pub async fn deactivate_model(
        &self,
        caller: &Caller,
        req: ActivateRequest,
    ) -> Result<ModelsView, AppError> {
        super::analyst(caller)?;
        Self::check_reason(&req)?;
        self.record_activation(caller, None, "deactivate", &req)
            .await
    }

    async fn record_activation(
        &self,
        caller: &Caller,
        version: Option<i64>,
        action: &str,
        req: &ActivateRequest,
    ) -> Result<ModelsView, AppError> {
        let store = self.clearance.store().clone();
        let written = store
            .record_activation(
                version,
                action,
                &caller.label(),
                req.reason.trim(),
                OffsetDateTime::now_utc(),
            )
            .await?;
        if written.is_none() {
            return Err(conflict(
                "NOT_VALIDATED",
                format!(
                    "model {} has no validation metrics",
                    version.unwrap_or_default()
                ),
            ));
        }
        crate::epochs::bump(store.as_ref(), crate::epochs::RISK).await;
        self.reload_model().await;
        self.audit(
            caller,
            &format!("risk_model.{action}"),
            serde_json::json!({"version": version, "reason": req.reason.trim(), "force": req.force}),
        )
        .await?;
        self.models(caller).await
    }

    /// Loads the registry's active model into the stage when it changed.
    pub(crate) async fn reload_model(&self) {
        let store = self.clearance.store();
        let active = match store.active_model().await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the active risk model");
                return;
            }
        };
        let current = self.stage.model_slot();
        if current.version() == active && !matches!(current, ModelSlot::Broken { .. }) {
            return;
        }
        let slot = match active {
            None => ModelSlot::None,
            Some(v) => self.load_slot(v).await,
        };
        self.stage.set_model_slot(slot);
    }

    async fn load_slot(&self, version: i64) -> ModelSlot {
        let store = self.clearance.store();
        let loaded = async {
            let head = store
                .model_head(version)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the model is not in the registry")?;
            let body = store
                .model_body(version)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the model file is not in the registry")?;
            let mean = head
                .validation
                .as_ref()
                .and_then(|v| v["meanUncertainty"].as_f64());
            let hash = head.content_hash.clone();
            let m = tokio::task::spawn_blocking(move || live::load(version, &hash, &body))
                .await
                .map_err(|e| e.to_string())??;
            Ok::<_, String>((m, mean))
        }
        .await;
        match loaded {
            Ok((m, mean)) => ModelSlot::Ready(Arc::new(live::LiveModel {
                mean_uncertainty: mean,
                ..m
            })),
            Err(reason) => {
                tracing::error!(version, %reason, "the active risk model could not be loaded; rules alone");
                ModelSlot::Broken {
                    version,
                    reason: format!("model {version} could not be loaded: {reason}"),
                }
            }
        }
    }

    async fn audit_as(
        &self,
        actor: &str,
        action: &str,
        payload: serde_json::Value,
    ) -> Result<(), AppError> {
        self.clearance
            .store()
            .append_audit(actor, action, OffsetDateTime::now_utc(), &payload)
            .await?;
        Ok(())
    }
}
