//! HTTP routes of the officer workbench and trader categories; merged into the main router and
//! OpenAPI document by `lib.rs`.
//!
//! Request bodies are read as JSON values and checked by
//! `tamga_app::workbench`, so every bad field gets its own code and JSON
//! pointer.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::workbench::{InspectorView, TaskDetail, TaskView, TraderProfile};
use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_store::ops_sql::{AeoStatus, Inspector, Label, Task, TaskStatus};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::routes::{count, signed};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(paths(
    trader_profile,
    set_aeo,
    inspectors,
    put_inspector,
    my_tasks,
    office_tasks,
    task_detail,
    task_result,
    reassign,
    labels
))]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/traders/{id}/profile", get(trader_profile))
        .route("/api/v1/traders/{id}/aeo", put(set_aeo))
        .route("/api/v1/inspectors", get(inspectors))
        .route("/api/v1/inspectors/{username}", put(put_inspector))
        .route("/api/v1/workbench/tasks", get(my_tasks))
        .route("/api/v1/offices/{office}/tasks", get(office_tasks))
        .route("/api/v1/workbench/tasks/{mrn}", get(task_detail))
        .route("/api/v1/workbench/tasks/{mrn}/result", post(task_result))
        .route("/api/v1/workbench/tasks/{mrn}/reassignment", post(reassign))
        .route("/api/v1/analytics/labels", get(labels))
}

fn status(s: Option<&str>) -> ApiResult<Option<TaskStatus>> {
    match s {
        None | Some("open") => Ok(Some(TaskStatus::Open)),
        Some("done") => Ok(Some(TaskStatus::Done)),
        Some("all") => Ok(None),
        Some(x) => Err(ApiError::bad_request(
            "QUERY_STATUS",
            "/status",
            format!("status is open, done or all, not {x:?}"),
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileParams {
    /// Snapshots to return (newest first): 1 to 1000, default 50 (more:
    /// 400 `QUERY_HISTORY`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub history: Option<String>,
}

/// A trader's profile: metrics, category with reasons, snapshots (officers,
/// analysts, administrators).
#[utoipa::path(get, path = "/api/v1/traders/{id}/profile", tag = "traders",
    params(("id" = String, Path), ProfileParams),
    responses((status = 200, description = "metrics, category with reasons, what the risk stage receives, snapshots over time", body = TraderProfile),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trader_profile(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Eori>,
    ApiQuery(q): ApiQuery<ProfileParams>,
) -> ApiResult<Json<TraderProfile>> {
    let history = count(q.history.as_deref(), "history", 50, 1000)?;
    Ok(Json(
        s.workbench.trader_profile(&caller, &id, history).await?,
    ))
}

/// Set or clear a trader's authorised-economic-operator status
/// (administrators). Audited.
#[utoipa::path(put, path = "/api/v1/traders/{id}/aeo", tag = "traders",
    params(("id" = String, Path)),
    request_body(content = AeoRequest, content_type = "application/json"),
    responses((status = 200, description = "the status as stored", body = AeoStatus), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_aeo(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Eori>,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Json<AeoStatus>> {
    let aeo = v
        .get("aeo")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::bad_request("AEO_FLAG", "/aeo", "aeo is true or false"))?;
    let reference = match v.get("reference") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) => Some(r.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "AEO_REFERENCE",
                "/reference",
                "reference is a string",
            ))
        }
    };
    Ok(Json(
        s.workbench.set_aeo(&caller, &id, aeo, reference).await?,
    ))
}

/// The body of `PUT /traders/{id}/aeo`.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct AeoRequest {
    pub aeo: bool,
    /// Authorisation number or note (at most 200 characters).
    #[schema(example = "UZAEOF000123")]
    pub reference: Option<String>,
}

/// Inspectors with their competences and current load (officers,
/// administrators).
#[utoipa::path(get, path = "/api/v1/inspectors", tag = "workbench",
    responses((status = 200, description = "every inspector", body = Vec<InspectorView>)), security(("bearer" = [])))]
pub async fn inspectors(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<InspectorView>>> {
    Ok(Json(s.workbench.inspectors(&caller).await?))
}

/// Create or replace an officer's inspector settings (administrators).
#[utoipa::path(put, path = "/api/v1/inspectors/{username}", tag = "workbench",
    params(("username" = String, Path)),
    request_body(content = InspectorRequest, content_type = "application/json"),
    responses((status = 200, description = "stored", body = Inspector), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_inspector(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(username): ApiPath<String>,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Json<Inspector>> {
    Ok(Json(
        s.workbench.put_inspector(&caller, &username, &v).await?,
    ))
}

/// The body of `PUT /inspectors/{username}`.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct InspectorRequest {
    pub office: OfficeCode,
    pub competences: tamga_core::dispatch::Competences,
    /// Open tasks at once.
    pub capacity: u32,
    pub active: bool,
    /// May reassign tasks of its office.
    pub supervisor: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// open (default), done or all.
    #[param(pattern = "^(open|done|all)$")]
    pub status: Option<String>,
    /// Office queue only: tasks no inspector has.
    pub unassigned: Option<bool>,
    /// 1 to 200, default 100 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// The caller's inspection tasks.
#[utoipa::path(get, path = "/api/v1/workbench/tasks", tag = "workbench", params(TaskParams),
    responses((status = 200, description = "the caller's tasks with the risk decision that caused each", body = Vec<TaskView>)),
    security(("bearer" = [])))]
pub async fn my_tasks(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<TaskView>>> {
    let limit = count(q.limit.as_deref(), "limit", 100, 200)?;
    Ok(Json(
        s.workbench
            .my_tasks(&caller, status(q.status.as_deref())?, limit)
            .await?,
    ))
}

/// An office's inspection tasks (its officers, administrators).
#[utoipa::path(get, path = "/api/v1/offices/{office}/tasks", tag = "workbench",
    params(("office" = String, Path), TaskParams),
    responses((status = 200, description = "the tasks", body = Vec<TaskView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn office_tasks(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(office): ApiPath<OfficeCode>,
    ApiQuery(q): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<TaskView>>> {
    let limit = count(q.limit.as_deref(), "limit", 100, 200)?;
    Ok(Json(
        s.workbench
            .office_tasks(
                &caller,
                &office,
                status(q.status.as_deref())?,
                q.unassigned.unwrap_or(false),
                limit,
            )
            .await?,
    ))
}

/// One task with everything needed to inspect.
#[utoipa::path(get, path = "/api/v1/workbench/tasks/{mrn}", tag = "workbench",
    params(("mrn" = String, Path)),
    responses((status = 200, description = "task, dispatch decision, risk decision, findings and declaration", body = TaskDetail),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn task_detail(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(m): ApiPath<Mrn>,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(s.workbench.task_detail(&caller, &m).await?))
}

/// Record an inspection's result with its findings (the assigned
/// inspector; signed).
#[utoipa::path(post, path = "/api/v1/workbench/tasks/{mrn}/result", tag = "workbench",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the exact body, with one of the officer's keys"),
           ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = TaskResultRequest, content_type = "application/json", description = "{\"mrn\": \"<the path's MRN>\", \"act\": \"task_result\", \"version\": <the declaration's current version>, \"outcome\": \"findings\", \"findings\": [{\"kind\": \"undervaluation\", \"item\": 1, \"declaredValue\": \"1000\", \"correctedValue\": \"2500\", \"additionalDuties\": \"300.00\"}], \"notes\": \"...\"}; kinds: misclassification, undervaluation, wrong_origin, quantity, prohibited_goods, other. Signed by the officer. The result applies to that version only (409 VERSION_NOT_CURRENT if amended since); the same signed body sent again is answered with `replay: true` and recorded once."),
    responses((status = 200, description = "recorded", body = TaskDetail), (status = 400, body = ErrorBody), (status = 403, description = "assigned to another inspector", body = ErrorBody), (status = 409, description = "the body names an older version", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn task_result(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(m): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(
        s.workbench
            .record_result(&caller, &m, signed(&headers, &b))
            .await?,
    ))
}

/// Give a task to another inspector (supervisors, administrators; signed).
#[utoipa::path(post, path = "/api/v1/workbench/tasks/{mrn}/reassignment", tag = "workbench",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = ReassignmentRequest, content_type = "application/json", description = "signed by the officer"),
    responses((status = 200, description = "reassigned", body = Task), (status = 403, body = ErrorBody), (status = 409, description = "the task is closed", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)), security(("bearer" = [])))]
pub async fn reassign(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(m): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<Task>> {
    Ok(Json(
        s.workbench
            .reassign(&caller, &m, signed(&headers, &b))
            .await?,
    ))
}

/// The signed body of a task result.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TaskResultRequest {
    /// The path's MRN.
    pub mrn: Mrn,
    /// `task_result`.
    #[schema(example = "task_result")]
    pub act: String,
    /// The declaration's current version.
    pub version: u32,
    /// `compliant` or `findings`.
    pub outcome: tamga_core::lifecycle::ControlOutcome,
    /// Kinds: misclassification, undervaluation, wrong_origin, quantity,
    /// prohibited_goods, other.
    pub findings: Vec<tamga_store::ops_sql::Finding>,
    pub notes: Option<String>,
}

/// The signed body of a reassignment.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReassignmentRequest {
    /// The path's MRN.
    pub mrn: Mrn,
    /// `reassignment`.
    #[schema(example = "reassignment")]
    pub act: String,
    /// The inspector's user name.
    pub inspector: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelParams {
    /// Cursor: the last id of the previous page (default 0).
    pub after: Option<i64>,
    /// 1 to 10000, default 1000 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    pub limit: Option<String>,
}

/// Final declarations labelled for the learning model (analysts,
/// administrators), with a cursor.
#[utoipa::path(get, path = "/api/v1/analytics/labels", tag = "analytics", params(LabelParams),
    responses((status = 200, description = "released or refused declarations: mrn, inspected, outcome, finding kinds, when", body = Vec<Label>)),
    security(("bearer" = [])))]
pub async fn labels(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<LabelParams>,
) -> ApiResult<Json<Vec<Label>>> {
    let limit = count(q.limit.as_deref(), "limit", 1000, 10_000)?;
    Ok(Json(
        s.workbench
            .labels(&caller, q.after.unwrap_or(0), limit)
            .await?,
    ))
}
