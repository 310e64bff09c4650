//! The officer's and inspector's pages (`/officer…`, see
//! [`tamga_portal::pages::officer`]): the office queue with my tasks, a
//! declaration's task page, and its signed acts.
//!
//! Who may open them is in [`crate::access::RULES`] (the roles of the API
//! endpoints they mirror); what a person sees is decided by the same
//! services the API calls with the session's caller: a declaration of
//! another office is "not found" here as there. An act is the browser's
//! signed text (`body`, `signature`, `keyId` of the form, see
//! `static/sign.js`) handed to the service function of the API route
//! (`record_control`, `release`, `refuse`, the workbench's
//! `record_result`), so the same checks and error codes apply.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use tamga_app::clearance::Signed;
use tamga_app::error::AppError;
use tamga_app::Caller;
use tamga_core::codes::Mrn;
use tamga_core::event_view::from_api_view;
use tamga_core::lifecycle::{Event, EventBody, State as DeclState};
use tamga_portal::pages::error_page;
use tamga_portal::pages::officer::declaration::{declaration_page, DeclarationData, Notice};
use tamga_portal::pages::officer::queue::queue_page;
use tamga_portal::pages::officer::{Act, ActInput};
use tamga_portal::Ctx;
use tamga_store::ops_sql::TaskStatus;

use super::viewer::{me_of, page_session, posted, see_other};
use super::{context, html, page_failed};
use crate::error::ApiError;
use crate::AppState;

/// Declarations of the queue on one page.
pub const QUEUE_PAGE: u32 = 50;
/// My open tasks shown, oldest first (each reads its risk decision: kept
/// small so the page stays fast; an inspector takes up to 20 by default).
pub const MY_TASKS: u32 = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/officer", get(home))
        .route("/officer/declarations/{mrn}", get(declaration))
        .route("/officer/declarations/{mrn}/control", post(control))
        .route("/officer/declarations/{mrn}/release", post(release))
        .route("/officer/declarations/{mrn}/refusal", post(refusal))
        .route("/officer/declarations/{mrn}/task-result", post(task_result))
}

/// The HTML page of an error of a service that cannot be shown in the
/// page: not found and forbidden as their pages, anything else a server
/// error (logged, the person sees only that).
fn refused(ctx: &Ctx, e: AppError) -> Response {
    match e {
        AppError::NotFound { .. } => html(error_page(ctx, 404, None), ctx.tr.lang),
        AppError::Forbidden(_) | AppError::Denied { .. } => {
            html(error_page(ctx, 403, None), ctx.tr.lang)
        }
        e => page_failed(ctx, &e, None),
    }
}

async fn home(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    let caller = active.caller();
    let before = match ctx.param("before").filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => match Mrn::parse(b) {
            Ok(m) => Some(m),
            Err(_) => return html(error_page(&ctx, 400, None), ctx.tr.lang),
        },
    };
    let queue = match s
        .clearance
        .declarations(
            &caller,
            Some(vec![DeclState::UnderControl]),
            before,
            QUEUE_PAGE,
        )
        .await
    {
        Ok(q) => q,
        Err(e) => return refused(&ctx, e),
    };
    let tasks = match s
        .workbench
        .my_tasks(&caller, Some(TaskStatus::Open), MY_TASKS)
        .await
    {
        Ok(t) => t,
        Err(e) => return refused(&ctx, e),
    };
    match queue_page(&ctx, &queue, QUEUE_PAGE as usize, &tasks) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

/// The declaration page for `mrn` with `prepare` and `notice`, as the
/// caller may see it.
async fn show(
    s: &AppState,
    ctx: &Ctx,
    mrn: &str,
    prepare: Option<(Act, ActInput)>,
    notice: Option<Notice>,
    status: u16,
) -> Response {
    let Ok(mrn) = Mrn::parse(mrn) else {
        return html(error_page(ctx, 404, None), ctx.tr.lang);
    };
    let Some(caller) = ctx.me.as_ref().map(|m| m.caller.clone()) else {
        return html(error_page(ctx, 401, None), ctx.tr.lang);
    };
    let rec = match s.clearance.declaration(&caller, &mrn).await {
        Ok(r) => r,
        Err(e) => return refused(ctx, e),
    };
    let mut events = match s.clearance.events(&caller, &mrn).await {
        Ok(v) => v
            .iter()
            .filter_map(|e| from_api_view(e).ok())
            .collect::<Vec<_>>(),
        Err(e) => return refused(ctx, e),
    };
    explain_green(s, &caller, &mrn, &mut events).await;
    // The inspection task, if there is one the caller may see.
    let task = match s.workbench.task_detail(&caller, &mrn).await {
        Ok(d) => Some(d.task),
        Err(AppError::NotFound { .. } | AppError::Forbidden(_) | AppError::Denied { .. }) => None,
        Err(e) => return refused(ctx, e),
    };
    let data = DeclarationData {
        rec: &rec,
        events: &events,
        task: task.as_ref(),
        prepare,
        notice,
    };
    match declaration_page(ctx, data, status) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

/// A green decision's model score is explained when the page is shown
/// (lodging records contributions only for selected declarations): the
/// latest decision's assessment gets them, computed from the registered
/// model file. If they cannot be computed the page shows the score alone.
async fn explain_green(s: &AppState, caller: &Caller, mrn: &Mrn, events: &mut [Event]) {
    let Some(model) = events.iter_mut().rev().find_map(|e| match &mut e.body {
        EventBody::RiskAssessed { decision, .. } => Some(&mut decision.combined.model),
        _ => None,
    }) else {
        return;
    };
    if !model.as_ref().is_some_and(|m| m.contributions.is_empty()) {
        return;
    }
    match s.risk.explain_decision(caller, mrn).await {
        Ok(Some(a)) => *model = Some(a),
        Ok(None) => {}
        Err(e) => tracing::warn!(%mrn, error = %e, "the model score could not be explained"),
    }
}

async fn declaration(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    let prepare = ctx
        .param("prepare")
        .and_then(Act::parse)
        .map(|a| (a, ActInput::read(|n| ctx.param(n))));
    let notice = ctx.param("done").and_then(Act::parse).map(Notice::Done);
    show(&s, &ctx, &mrn, prepare, notice, 200).await
}

/// What the officer typed, read back from the signed body (to show the
/// prepared act again after a refusal).
fn input_of(body: &str) -> ActInput {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let finding = v.get("findings").and_then(|f| f.get(0)).cloned();
    let item = finding
        .as_ref()
        .and_then(|f| f.get("item"))
        .map(|i| match i {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let mut input = ActInput::read(|n| {
        v.get(n)
            .or_else(|| finding.as_ref().and_then(|f| f.get(n)))
            .and_then(Value::as_str)
    });
    input.item = item;
    input
}

async fn act(s: AppState, mrn: String, req: Request, act: Act) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Ok(parsed) = Mrn::parse(&mrn) else {
        return html(error_page(&ctx, 404, None), ctx.tr.lang);
    };
    let (signature, key_id) = (form.get("signature"), form.get("keyId"));
    let signed = Signed {
        body: form.get("body").as_bytes(),
        signature: (!signature.is_empty()).then_some(signature),
        key_id: (!key_id.is_empty()).then_some(key_id),
    };
    let caller = active.caller();
    let result = match act {
        Act::Control => s
            .clearance
            .record_control(&caller, &parsed, signed)
            .await
            .map(drop),
        Act::Release => s
            .clearance
            .release(&caller, &parsed, signed)
            .await
            .map(drop),
        Act::Refusal => s.clearance.refuse(&caller, &parsed, signed).await.map(drop),
        Act::TaskResult => s
            .workbench
            .record_result(&caller, &parsed, signed)
            .await
            .map(drop),
    };
    match result {
        Ok(()) => see_other(&format!("/officer/declarations/{mrn}?done={}", act.slug())),
        Err(e @ AppError::NotFound { .. }) => refused(&ctx, e),
        Err(e) => {
            let code = e.code().to_owned();
            let status = ApiError::from(e).status;
            if status.is_server_error() {
                return html(error_page(&ctx, status.as_u16(), None), ctx.tr.lang);
            }
            let prepare = (act != Act::Release).then(|| (act, input_of(form.get("body"))));
            let status = if status == StatusCode::OK {
                422
            } else {
                status.as_u16()
            };
            show(
                &s,
                &ctx,
                &mrn,
                prepare,
                Some(Notice::Failed { code }),
                status,
            )
            .await
        }
    }
}

async fn control(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    act(s, mrn, req, Act::Control).await
}

async fn release(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    act(s, mrn, req, Act::Release).await
}

async fn refusal(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    act(s, mrn, req, Act::Refusal).await
}

async fn task_result(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    act(s, mrn, req, Act::TaskResult).await
}
