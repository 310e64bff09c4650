//! HTTP routes of risk management: profiles, pre-arrival information, analytics; merged into the main router and
//! OpenAPI document by `lib.rs`.
//!
//! Refused profiles answer 422 with `{"error": {"code", "message",
//! "pointer", "line", "column"}}` (line and column 1-based in the
//! expression, 0 for other fields); refused pre-arrival information
//! answers 422 with every problem in `details` (code, pointer, message).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::draw_secrets::{DrawSecretView, DrawVerification};
use tamga_app::risk_admin::{
    Analytics, PrearrivalReceipt, ProfileDraft, RiskError, TestReport, TestRequest,
};
use tamga_core::channel::ChannelPolicy;
use tamga_core::codes::{Mrn, OfficeCode};
use tamga_core::prearrival::CargoError;
use tamga_store::risk_sql::{PrearrivalRecord, ProfileRecord};

use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(paths(
    create_profile,
    list_profiles,
    get_profile,
    add_version,
    activate,
    retire,
    test_profile,
    schema,
    get_policy,
    put_policy,
    submit_prearrival,
    office_prearrivals,
    analytics,
    draw_secrets,
    rotate_draw_secret,
    declaration_draw
))]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/risk/profiles",
            post(create_profile).get(list_profiles),
        )
        .route("/api/v1/risk/profiles/{id}", get(get_profile))
        .route("/api/v1/risk/profiles/{id}/versions", post(add_version))
        .route("/api/v1/risk/profiles/{id}/activation", post(activate))
        .route("/api/v1/risk/profiles/{id}/retirement", post(retire))
        .route("/api/v1/risk/profile-tests", post(test_profile))
        .route("/api/v1/risk/schema", get(schema))
        .route(
            "/api/v1/risk/channel-policy",
            get(get_policy).put(put_policy),
        )
        .route("/api/v1/risk/analytics", get(analytics))
        .route("/api/v1/prearrival", post(submit_prearrival))
        .route(
            "/api/v1/offices/{office}/prearrival",
            get(office_prearrivals),
        )
        .route("/api/v1/risk/draw-secrets", get(draw_secrets))
        .route(
            "/api/v1/risk/draw-secrets/rotation",
            post(rotate_draw_secret),
        )
        .route("/api/v1/declarations/{mrn}/draw", get(declaration_draw))
}

/// A risk-management error (or a request-format error) as an HTTP answer.
pub enum RiskApiError {
    Risk(RiskError),
    Api(ApiError),
}

impl From<RiskError> for RiskApiError {
    fn from(e: RiskError) -> Self {
        RiskApiError::Risk(e)
    }
}

impl From<tamga_app::AppError> for RiskApiError {
    fn from(e: tamga_app::AppError) -> Self {
        RiskApiError::Risk(RiskError::App(e))
    }
}

impl From<ApiError> for RiskApiError {
    fn from(e: ApiError) -> Self {
        RiskApiError::Api(e)
    }
}

/// The body of a refused profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileErrorBody {
    pub error: ProfileErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileErrorDetail {
    pub code: String,
    pub message: String,
    pub pointer: String,
    /// 1-based in the expression; 0 for errors in other fields.
    pub line: u32,
    pub column: u32,
}

/// The body of refused pre-arrival information.
#[derive(Debug, Serialize, ToSchema)]
pub struct CargoErrorBody<'a> {
    pub error: CargoErrorDetail<'a>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CargoErrorDetail<'a> {
    /// `PREARRIVAL_REJECTED`.
    pub code: &'static str,
    pub message: String,
    /// Every problem: code, pointer, message.
    #[schema(value_type = Vec<Object>)]
    pub details: &'a [CargoError],
}

impl IntoResponse for RiskApiError {
    fn into_response(self) -> Response {
        let e = match self {
            RiskApiError::Api(e) => return e.into_response(),
            RiskApiError::Risk(e) => e,
        };
        match e {
            RiskError::App(e) => ApiError::from(e).into_response(),
            RiskError::Profile { error, pointer } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ProfileErrorBody {
                    error: ProfileErrorDetail {
                        code: error.code.to_owned(),
                        message: error.to_string(),
                        pointer,
                        line: error.line,
                        column: error.column,
                    },
                }),
            )
                .into_response(),
            RiskError::Cargo(list) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(CargoErrorBody {
                    error: CargoErrorDetail {
                        code: "PREARRIVAL_REJECTED",
                        message: format!(
                            "pre-arrival information refused: {} problem(s), see details",
                            list.len()
                        ),
                        details: &list,
                    },
                }),
            )
                .into_response(),
        }
    }
}

type RiskResult<T> = Result<T, RiskApiError>;

/// Create a risk profile (version 1, a draft until activated), e.g.
/// `{"id": "CARS-CN", "rationale": "...", "expression": "hs4 == \"8703\" and
/// origin == \"CN\" and value_per_kg < 2.5", "validFrom": "2026-01-01",
/// "offices": [], "priority": 5, "control": "physical_inspection",
/// "channel": "red"}`. Risk analysts and administrators; audited.
#[utoipa::path(post, path = "/api/v1/risk/profiles", tag = "risk", request_body(content = ProfileDraft, content_type = "application/json"),
    responses((status = 201, description = "created (a draft)", body = ProfileRecord), (status = 422, description = "refused, with where", body = ProfileErrorBody),
        (status = 409, description = "the id exists", body = ErrorBody),
        (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_profile(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(d): ApiJson<ProfileDraft>,
) -> RiskResult<(StatusCode, Json<ProfileRecord>)> {
    let rec = s.risk.create_profile(&caller, d).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

/// Every profile with its state and versions.
#[utoipa::path(get, path = "/api/v1/risk/profiles", tag = "risk",
    responses((status = 200, description = "every profile", body = Vec<ProfileRecord>)), security(("bearer" = [])))]
pub async fn list_profiles(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> RiskResult<Json<Vec<ProfileRecord>>> {
    Ok(Json(s.risk.profiles(&caller).await?))
}

/// One profile with its state and every (immutable) version.
#[utoipa::path(get, path = "/api/v1/risk/profiles/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, description = "the profile", body = ProfileRecord), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_profile(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> RiskResult<Json<ProfileRecord>> {
    Ok(Json(s.risk.profile(&caller, &id).await?))
}

/// Add a version (the same fields as creation, without `id`); it is not
/// active until activated. Audited.
#[utoipa::path(post, path = "/api/v1/risk/profiles/{id}/versions", tag = "risk",
    params(("id" = String, Path)), request_body(content = ProfileDraft, content_type = "application/json"),
    responses((status = 201, description = "the profile with the new version", body = ProfileRecord), (status = 422, description = "refused, with where", body = ProfileErrorBody)), security(("bearer" = [])))]
pub async fn add_version(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(d): ApiJson<ProfileDraft>,
) -> RiskResult<(StatusCode, Json<ProfileRecord>)> {
    let rec = s.risk.add_version(&caller, &id, d).await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationRequest {
    /// The version to activate; default the latest.
    pub version: Option<u32>,
}

/// Activate a version (`{"version": 2}`, default the latest). Refused
/// (422, nothing changed) when the expression refers to unknown
/// attributes or codes, is contradictory, or the version has expired.
/// Audited.
#[utoipa::path(post, path = "/api/v1/risk/profiles/{id}/activation", tag = "risk",
    params(("id" = String, Path)), request_body = ActivationRequest,
    responses((status = 200, description = "active", body = ProfileRecord), (status = 422, description = "refused, with where", body = ProfileErrorBody)), security(("bearer" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    j: Option<ApiJson<ActivationRequest>>,
) -> RiskResult<Json<ProfileRecord>> {
    let version = j.and_then(|ApiJson(r)| r.version);
    Ok(Json(s.risk.activate(&caller, &id, version).await?))
}

/// Retire an active profile. Audited.
#[utoipa::path(post, path = "/api/v1/risk/profiles/{id}/retirement", tag = "risk",
    params(("id" = String, Path)),
    responses((status = 200, description = "retired", body = ProfileRecord), (status = 400, body = ErrorBody), (status = 409, description = "not active", body = ErrorBody)), security(("bearer" = [])))]
pub async fn retire(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> RiskResult<Json<ProfileRecord>> {
    Ok(Json(s.risk.retire(&caller, &id).await?))
}

/// "What would this have hit": a stored profile (`profileId`, optional
/// `version`) or a draft `expression` (optional `offices`) over the
/// declarations registered in `[from, to)` (RFC 3339; default the last 30
/// days): count and a sample of MRNs with the reasons.
#[utoipa::path(post, path = "/api/v1/risk/profile-tests", tag = "risk", request_body(content = TestRequest, content_type = "application/json"),
    responses((status = 200, description = "what it would have hit", body = TestReport), (status = 404, description = "no such profile or version", body = ErrorBody),
        (status = 422, description = "refused, with where", body = ProfileErrorBody)), security(("bearer" = [])))]
pub async fn test_profile(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(r): ApiJson<TestRequest>,
) -> RiskResult<Json<TestReport>> {
    Ok(Json(s.risk.test(&caller, r).await?))
}

/// The attributes profiles can use, with their types (public).
#[utoipa::path(get, path = "/api/v1/risk/schema", tag = "risk",
    responses((status = 200, description = "every attribute", body = Vec<tamga_core::profiles::AttributeInfo>)))]
pub async fn schema() -> Json<Vec<tamga_core::profiles::AttributeInfo>> {
    Json(tamga_core::profiles::schema())
}

/// The channel policy: blue rate, category factors and minimum, model
/// score thresholds.
#[utoipa::path(get, path = "/api/v1/risk/channel-policy", tag = "risk",
    responses((status = 200, description = "the policy", body = ChannelPolicy)), security(("bearer" = [])))]
pub async fn get_policy(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> RiskResult<Json<ChannelPolicy>> {
    Ok(Json(s.risk.policy(&caller).await?))
}

/// Set the channel policy, e.g. `{"blueRate": "0.02", "lowFactor": "0.5",
/// "aeoFactor": "0.25", "highFactor": "2", "highMinimum": "yellow",
/// "modelYellow": "0.6", "modelRed": "0.85"}`. Audited.
#[utoipa::path(put, path = "/api/v1/risk/channel-policy", tag = "risk", request_body(content = ChannelPolicy, content_type = "application/json"),
    responses((status = 200, description = "stored", body = ChannelPolicy), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_policy(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(p): ApiJson<ChannelPolicy>,
) -> RiskResult<Json<ChannelPolicy>> {
    Ok(Json(s.risk.set_policy(&caller, p).await?))
}

/// Advance cargo information from a carrier or trader (see
/// `tamga_core::prearrival` for the format). Assessed at once; the
/// preliminary decision (channel, control forms, profile hits) is applied
/// when a declaration refers to the same transport document and is shown
/// to the office of arrival (`GET /api/v1/offices/{office}/prearrival`).
/// The submitter gets a receipt only: id, transport document, office,
/// time, `status: "received"` — nothing of the decision, so risk profiles
/// cannot be probed with hypothetical shipments.
#[utoipa::path(post, path = "/api/v1/prearrival", tag = "risk", request_body(content = tamga_core::prearrival::AdvanceCargo, content_type = "application/json"),
    responses((status = 201, description = "received", body = PrearrivalReceipt), (status = 422, description = "refused, every problem in details", body = CargoErrorBody)),
    security(("bearer" = [])))]
pub async fn submit_prearrival(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> RiskResult<(StatusCode, Json<PrearrivalReceipt>)> {
    let rec = s.risk.submit_prearrival(&caller, &v).await?;
    Ok((StatusCode::CREATED, Json(PrearrivalReceipt::from(&rec))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// 1 to 500, default 100 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// Pre-arrival information for an office of arrival, with the
/// preliminary decisions (its officers, analysts, administrators).
#[utoipa::path(get, path = "/api/v1/offices/{office}/prearrival", tag = "risk",
    params(("office" = String, Path), LimitParams),
    responses((status = 200, description = "newest first", body = Vec<PrearrivalRecord>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn office_prearrivals(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(office): ApiPath<OfficeCode>,
    ApiQuery(q): ApiQuery<LimitParams>,
) -> RiskResult<Json<Vec<PrearrivalRecord>>> {
    let limit = crate::routes::count(q.limit.as_deref(), "limit", 100, 500)?;
    Ok(Json(s.risk.prearrivals(&caller, &office, limit).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// RFC 3339; default 30 days before `to`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// RFC 3339, exclusive; default now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
}

/// Effectiveness over the declarations registered in a period: per
/// profile hits, controls, findings and yield (profiles with hits and no
/// findings flagged for review), random selection as a baseline, channel
/// shares and time to release per channel.
#[utoipa::path(get, path = "/api/v1/risk/analytics", tag = "risk", params(PeriodParams),
    responses((status = 200, description = "the analytics", body = Analytics), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn analytics(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> RiskResult<Json<Analytics>> {
    Ok(Json(s.risk.analytics(&caller, q.from, q.to).await?))
}

/// The secrets random-selection draws are keyed with, oldest first: each
/// one's SHA-256 commitment, and the secret itself (hex) once it is
/// retired (officers, risk analysts, administrators).
#[utoipa::path(get, path = "/api/v1/risk/draw-secrets", tag = "risk",
    responses((status = 200, description = "oldest first", body = Vec<DrawSecretView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn draw_secrets(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> RiskResult<Json<Vec<DrawSecretView>>> {
    Ok(Json(s.clearance.draw_secrets(&caller).await?))
}

/// Retire the current draw secret (it is revealed from now on) and key new
/// draws with a fresh one (risk analysts, administrators). Audited. Other
/// instances pick the new one up within seconds; every decision names the
/// secret its draws were keyed with.
#[utoipa::path(post, path = "/api/v1/risk/draw-secrets/rotation", tag = "risk",
    responses((status = 201, description = "the new current secret (its commitment)", body = DrawSecretView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "a concurrent rotation won; retry")),
    security(("bearer" = [])))]
pub async fn rotate_draw_secret(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> RiskResult<(StatusCode, Json<DrawSecretView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.clearance.rotate_draw_secret(&caller).await?),
    ))
}

/// Recompute every random draw recorded on a declaration (risk analysts,
/// administrators) and say whether each matches.
#[utoipa::path(get, path = "/api/v1/declarations/{mrn}/draw", tag = "risk",
    params(("mrn" = String, Path)),
    responses((status = 200, description = "each draw recomputed", body = DrawVerification), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn declaration_draw(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
) -> RiskResult<Json<DrawVerification>> {
    Ok(Json(s.clearance.verify_draws(&caller, &mrn).await?))
}
