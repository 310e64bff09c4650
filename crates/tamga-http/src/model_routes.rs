//! HTTP routes of the learning risk model (issue 17): the registry
//! (train, upload, validate, activate, roll back, deactivate), its drift
//! report and the retraining schedule; merged into the main router and
//! OpenAPI document by `lib.rs`.
//!
//! Risk analysts and administrators change the registry; managers may
//! read it. Traders and officers get 403 (`access.rs`): what the model
//! weighs and how it scores is not theirs to learn.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use tamga_app::risk_admin::model::drift::{DriftPeriod, DriftView, FeatureDriftView};
use tamga_app::risk_admin::model::jobs::ModelSchedule;
use tamga_app::risk_admin::model::{
    ActivateRequest, ActivationView, ModelView, ModelsView, TrainRequest, MAX_MODEL_BYTES,
};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        train,
        upload,
        get_one,
        file,
        validate,
        activate,
        rollback,
        deactivate,
        drift,
        get_schedule,
        put_schedule
    ),
    components(schemas(
        ModelView,
        ModelsView,
        ActivationView,
        TrainRequest,
        ActivateRequest,
        DriftView,
        DriftPeriod,
        FeatureDriftView,
        ModelSchedule
    ))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/risk/models", get(list).post(train))
        .route(
            "/api/v1/risk/models/upload",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(MAX_MODEL_BYTES)),
        )
        .route("/api/v1/risk/models/rollback", post(rollback))
        .route("/api/v1/risk/models/deactivation", post(deactivate))
        .route("/api/v1/risk/models/drift", get(drift))
        .route("/api/v1/risk/models/{version}", get(get_one))
        .route("/api/v1/risk/models/{version}/file", get(file))
        .route("/api/v1/risk/models/{version}/validation", post(validate))
        .route("/api/v1/risk/models/{version}/activation", post(activate))
        .route(
            "/api/v1/risk/model-schedule",
            get(get_schedule).put(put_schedule),
        )
}

/// A request body of `T`, which must be a JSON object (serde would also
/// read a struct from an array of its fields).
fn object<T: serde::de::DeserializeOwned>(v: serde_json::Value, code: &str) -> ApiResult<T> {
    if !v.is_object() {
        return Err(ApiError::bad_request(
            code,
            "",
            "the body must be a JSON object",
        ));
    }
    serde_json::from_value(v).map_err(|e| ApiError::bad_request(code, "", e.to_string()))
}

fn version(v: &str) -> ApiResult<i64> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1 && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "MODEL_VERSION",
                "/version",
                format!("{v:?} is not a model version (1, 2, …)"),
            )
        })
}

/// The registry: every model (newest first) with its data range, metrics
/// and hash, the live version and the history of changes.
#[utoipa::path(get, path = "/api/v1/risk/models", tag = "risk-model",
    responses((status = 200, description = "the registry", body = ModelsView)),
    security(("bearer" = [])))]
pub async fn list(State(s): State<AppState>, Auth(caller): Auth) -> ApiResult<Json<ModelsView>> {
    Ok(Json(s.risk.models(&caller).await?))
}

/// Trains a model from tamga's own inspected declarations, holding out
/// the latest `latestDays` for validation against the active model, and
/// registers it (not active). 409 `NOT_ENOUGH_LABELS` or `TRAINING_DATA`
/// when the data cannot train a model.
#[utoipa::path(post, path = "/api/v1/risk/models", tag = "risk-model",
    request_body(content = TrainRequest, content_type = "application/json"),
    responses((status = 201, description = "registered", body = ModelView),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn train(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(r): ApiJson<TrainRequest>,
) -> ApiResult<(StatusCode, Json<ModelView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.risk.train_model(&caller, r).await?),
    ))
}

/// Registers a model file written by `tamga risk train` (the bytes, as
/// `application/octet-stream`); a corrupt or foreign file is refused
/// (400 `MODEL_FILE`).
#[utoipa::path(post, path = "/api/v1/risk/models/upload", tag = "risk-model",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, description = "registered", body = ModelView),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiBytes(b): ApiBytes,
) -> ApiResult<(StatusCode, Json<ModelView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.risk.upload_model(&caller, b.to_vec()).await?),
    ))
}

/// One registered model.
#[utoipa::path(get, path = "/api/v1/risk/models/{version}", tag = "risk-model",
    params(("version" = i64, Path, description = "the model's version")),
    responses((status = 200, body = ModelView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(v): ApiPath<String>,
) -> ApiResult<Json<ModelView>> {
    Ok(Json(s.risk.model(&caller, version(&v)?).await?))
}

/// The model file as registered (its SHA-256 is the model's
/// `contentHash`).
#[utoipa::path(get, path = "/api/v1/risk/models/{version}/file", tag = "risk-model",
    params(("version" = i64, Path, description = "the model's version")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn file(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(v): ApiPath<String>,
) -> ApiResult<Response> {
    let v = version(&v)?;
    let body = s.risk.model_file(&caller, v).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tamga-risk-model-{v}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Validates a model on the inspected declarations after its training
/// data, against the active model on the same declarations; written once
/// (409 `ALREADY_VALIDATED`; 409 `NO_LATEST_PERIOD` without such data).
#[utoipa::path(post, path = "/api/v1/risk/models/{version}/validation", tag = "risk-model",
    params(("version" = i64, Path, description = "the model's version")),
    responses((status = 200, body = ModelView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn validate(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(v): ApiPath<String>,
) -> ApiResult<Json<ModelView>> {
    Ok(Json(s.risk.validate_model(&caller, version(&v)?).await?))
}

/// Makes a validated model the live one on every instance (409
/// `NOT_VALIDATED`; 409 `CANDIDATE_WORSE` when it did no better than the
/// model active at validation, unless `force`). Audited.
#[utoipa::path(post, path = "/api/v1/risk/models/{version}/activation", tag = "risk-model",
    params(("version" = i64, Path, description = "the model's version")),
    request_body(content = ActivateRequest, content_type = "application/json"),
    responses((status = 200, body = ModelsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(v): ApiPath<String>,
    ApiJson(r): ApiJson<ActivateRequest>,
) -> ApiResult<Json<ModelsView>> {
    let v = version(&v)?;
    Ok(Json(s.risk.activate_model(&caller, v, r).await?))
}

/// Goes back to the model live before the current one (or to the rules
/// alone, if none was). Audited.
#[utoipa::path(post, path = "/api/v1/risk/models/rollback", tag = "risk-model",
    request_body(content = ActivateRequest, content_type = "application/json"),
    responses((status = 200, body = ModelsView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rollback(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(r): ApiJson<ActivateRequest>,
) -> ApiResult<Json<ModelsView>> {
    Ok(Json(s.risk.rollback_model(&caller, r).await?))
}

/// Stops scoring with any model: the rules decide alone. Audited.
#[utoipa::path(post, path = "/api/v1/risk/models/deactivation", tag = "risk-model",
    request_body(content = ActivateRequest, content_type = "application/json"),
    responses((status = 200, body = ModelsView), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deactivate(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(r): ApiJson<ActivateRequest>,
) -> ApiResult<Json<ModelsView>> {
    Ok(Json(s.risk.deactivate_model(&caller, r).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DriftParams {
    /// The period in days (1 to 90, default 7), compared with the same
    /// number of days before it.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 90)]
    pub days: Option<String>,
}

/// Drift of the live model: PSI of its scores and of each feature, the
/// last `days` against the `days` before; `alert` past the threshold.
#[utoipa::path(get, path = "/api/v1/risk/models/drift", tag = "risk-model", params(DriftParams),
    responses((status = 200, body = DriftView), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn drift(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<DriftParams>,
) -> ApiResult<Json<DriftView>> {
    let days = match q.days.as_deref() {
        None => None,
        Some(d) => Some(
            d.parse::<i64>()
                .ok()
                .filter(|n| (1..=90).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_request("PERIOD", "/days", "days must be between 1 and 90")
                })?,
        ),
    };
    Ok(Json(s.risk.model_drift(&caller, days).await?))
}

/// The retraining schedule.
#[utoipa::path(get, path = "/api/v1/risk/model-schedule", tag = "risk-model",
    responses((status = 200, body = ModelSchedule)), security(("bearer" = [])))]
pub async fn get_schedule(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<ModelSchedule>> {
    Ok(Json(s.risk.model_schedule(&caller).await?))
}

/// Sets the retraining schedule, e.g. `{"retrainEveryDays": 7,
/// "latestDays": 14}` (`{}`: on command only). Audited.
#[utoipa::path(put, path = "/api/v1/risk/model-schedule", tag = "risk-model",
    request_body(content = ModelSchedule, content_type = "application/json"),
    responses((status = 200, body = ModelSchedule), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_schedule(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(r): ApiJson<serde_json::Value>,
) -> ApiResult<Json<ModelSchedule>> {
    let r: ModelSchedule = object(r, "SCHEDULE")?;
    Ok(Json(s.risk.set_model_schedule(&caller, r).await?))
}
