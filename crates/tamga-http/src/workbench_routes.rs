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
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi};

use tamga_app::workbench::{InspectorView, TaskDetail, TaskView, TraderProfile};
use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_store::ops_sql::{AeoStatus, Inspector, Label, Task, TaskStatus};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::routes::signed;
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
    /// Snapshots to return (newest first), default 50.
    pub history: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/traders/{id}/profile", tag = "traders",
    params(("id" = String, Path), ProfileParams),
    responses((status = 200, description = "metrics, category with reasons, what the risk stage receives, snapshots over time", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn trader_profile(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<Eori>,
    ApiQuery(q): ApiQuery<ProfileParams>,
) -> ApiResult<Json<TraderProfile>> {
    Ok(Json(
        s.workbench
            .trader_profile(&caller, &id, q.history.unwrap_or(50))
            .await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/traders/{id}/aeo", tag = "traders",
    params(("id" = String, Path)),
    request_body(content = Object, description = "{\"aeo\": true, \"reference\": \"UZAEOF000123\"}"),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 400, body = ErrorBody)),
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

#[utoipa::path(get, path = "/api/v1/inspectors", tag = "workbench",
    responses((status = 200, body = Vec<Object>)), security(("bearer" = [])))]
pub async fn inspectors(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<InspectorView>>> {
    Ok(Json(s.workbench.inspectors(&caller).await?))
}

#[utoipa::path(put, path = "/api/v1/inspectors/{username}", tag = "workbench",
    params(("username" = String, Path)),
    request_body(content = Object, description = "{\"office\": \"UZ000100\", \"competences\": {\"hsChapters\": [\"24\"], \"hsSections\": [\"XVI\"], \"transportModes\": [\"road\"]}, \"capacity\": 20, \"active\": true, \"supervisor\": false}"),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// open (default), done or all.
    pub status: Option<String>,
    /// Office queue only: tasks no inspector has.
    pub unassigned: Option<bool>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/workbench/tasks", tag = "workbench", params(TaskParams),
    responses((status = 200, description = "the caller's tasks with the risk decision that caused each", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn my_tasks(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<TaskView>>> {
    Ok(Json(
        s.workbench
            .my_tasks(
                &caller,
                status(q.status.as_deref())?,
                q.limit.unwrap_or(100),
            )
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/offices/{office}/tasks", tag = "workbench",
    params(("office" = String, Path), TaskParams),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn office_tasks(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(office): ApiPath<OfficeCode>,
    ApiQuery(q): ApiQuery<TaskParams>,
) -> ApiResult<Json<Vec<TaskView>>> {
    Ok(Json(
        s.workbench
            .office_tasks(
                &caller,
                &office,
                status(q.status.as_deref())?,
                q.unassigned.unwrap_or(false),
                q.limit.unwrap_or(100),
            )
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/workbench/tasks/{mrn}", tag = "workbench",
    params(("mrn" = String, Path)),
    responses((status = 200, description = "task, dispatch decision, risk decision, findings and declaration", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn task_detail(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(m): ApiPath<Mrn>,
) -> ApiResult<Json<TaskDetail>> {
    Ok(Json(s.workbench.task_detail(&caller, &m).await?))
}

#[utoipa::path(post, path = "/api/v1/workbench/tasks/{mrn}/result", tag = "workbench",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the exact body, with one of the officer's keys"),
           ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = Object, description = "{\"mrn\": \"<the path's MRN>\", \"act\": \"task_result\", \"version\": <the declaration's current version>, \"outcome\": \"findings\", \"findings\": [{\"kind\": \"undervaluation\", \"item\": 1, \"declaredValue\": \"1000\", \"correctedValue\": \"2500\", \"additionalDuties\": \"300.00\"}], \"notes\": \"...\"}; kinds: misclassification, undervaluation, wrong_origin, quantity, prohibited_goods, other. Signed by the officer. The result applies to that version only (409 VERSION_NOT_CURRENT if amended since); the same signed body sent again is answered with `replay: true` and recorded once."),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, description = "assigned to another inspector", body = ErrorBody), (status = 409, description = "the body names an older version", body = ErrorBody),
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

#[utoipa::path(post, path = "/api/v1/workbench/tasks/{mrn}/reassignment", tag = "workbench",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = Object, description = "{\"mrn\": \"<the path's MRN>\", \"act\": \"reassignment\", \"inspector\": \"officer2\", \"reason\": \"...\"}, signed by the officer"),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelParams {
    /// Cursor: the last id of the previous page (default 0).
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/analytics/labels", tag = "analytics", params(LabelParams),
    responses((status = 200, description = "released or refused declarations: mrn, inspected, outcome, finding kinds, when", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn labels(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<LabelParams>,
) -> ApiResult<Json<Vec<Label>>> {
    Ok(Json(
        s.workbench
            .labels(&caller, q.after.unwrap_or(0), q.limit.unwrap_or(1000))
            .await?,
    ))
}
