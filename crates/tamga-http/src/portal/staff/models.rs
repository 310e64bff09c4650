//! The learning risk model's page over HTTP (issue 17): `/analyst/models`
//! (the registry, the history of the live model, the drift of the last 7
//! days and the retraining schedule) and its forms: train now
//! (`POST /analyst/models`), validate and activate a version
//! (`…/{version}/validation`, `…/{version}/activation`), roll back
//! (`…/rollback`), deactivate (`…/deactivation`) and the schedule
//! (`…/schedule`). Each calls the `tamga_app::risk_admin::RiskAdmin` act
//! of its API twin under `/api/v1/risk/models…` and
//! `/api/v1/risk/model-schedule` with the session's caller, with the same
//! roles ([`crate::access::RULES`]: risk analysts, administrators and, to
//! read, managers). A done act redirects back with `?done=…`; a refused
//! one shows the page again with the service's code and its message.

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use tamga_app::error::AppError;
use tamga_app::risk_admin::model::jobs::ModelSchedule;
use tamga_app::risk_admin::model::{ActivateRequest, TrainRequest};
use tamga_portal::pages::error_page;
use tamga_portal::pages::form::Posted;
use tamga_portal::pages::staff::models::{models_page, ModelsFailure};
use tamga_portal::Ctx;

use super::{begin, in_form, refused};
use crate::portal::viewer::{posted, see_other};
use crate::portal::{html, page_failed};
use crate::AppState;

/// The page.
const PAGE: &str = "/analyst/models";
/// The days of the drift report.
const DRIFT_DAYS: i64 = 7;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page).post(train))
        .route("/analyst/models/rollback", post(rollback))
        .route("/analyst/models/deactivation", post(deactivate))
        .route("/analyst/models/schedule", post(schedule))
        .route("/analyst/models/{version}/validation", post(validate))
        .route("/analyst/models/{version}/activation", post(activate))
}

/// The version of `/analyst/models/{version}/…`, or the 404 page.
#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn version_of(ctx: &Ctx, parts: &Parts) -> Result<i64, Response> {
    let segment = parts
        .uri
        .path()
        .strip_prefix("/analyst/models/")
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    segment
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 1 && segment.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| html(error_page(ctx, 404, None), ctx.tr.lang))
}

/// A whole number typed in field `name` (empty: none), or the service's
/// refusal `code` at that field.
fn days(p: &Posted, name: &str, code: &'static str) -> Result<Option<i64>, AppError> {
    let v = p.get(name).trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::bad_request(code, format!("/{name}"), "a whole number of days"))
}

/// The page, with a refused act's `failure` answered with `status`.
async fn show(
    s: &AppState,
    ctx: &Ctx,
    parts: &Parts,
    caller: &tamga_app::Caller,
    failure: Option<ModelsFailure>,
    status: u16,
) -> Response {
    let view = match s.risk.models(caller).await {
        Ok(v) => v,
        Err(e) => return refused(ctx, parts, &e),
    };
    let schedule = match s.risk.model_schedule(caller).await {
        Ok(v) => v,
        Err(e) => return refused(ctx, parts, &e),
    };
    // Drift that cannot be measured is said on the page, the rest shown.
    let drift = s.risk.model_drift(caller, Some(DRIFT_DAYS)).await;
    let drift = match &drift {
        Ok(d) => Ok(d),
        Err(e @ (AppError::Forbidden(_) | AppError::Denied { .. })) => {
            return refused(ctx, parts, e)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the model's drift could not be measured");
            Err(e.code())
        }
    };
    match models_page(ctx, &view, drift, &schedule, failure, status) {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

async fn page(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    show(&s, &ctx, &parts, &active.caller(), None, 200).await
}

/// The answer to an act: back to the page with `done`, or the page with
/// the refusal (the typed values in `failure`).
async fn answer<T>(
    s: &AppState,
    ctx: &Ctx,
    parts: &Parts,
    caller: &tamga_app::Caller,
    result: Result<T, AppError>,
    done: impl FnOnce(T) -> String,
    mut failure: ModelsFailure,
) -> Response {
    match result {
        Ok(t) => see_other(&format!("{PAGE}?done={}", done(t))),
        Err(e) => match in_form(&e) {
            Some((_, code, status)) => {
                failure.code = code.to_owned();
                show(s, ctx, parts, caller, Some(failure), status).await
            }
            None => refused(ctx, parts, &e),
        },
    }
}

async fn train(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let failure = ModelsFailure {
        latest_days: p.get("latestDays").trim().to_owned(),
        ..ModelsFailure::default()
    };
    let result = match days(&p, "latestDays", "TRAIN_OPTIONS") {
        Ok(latest_days) => {
            s.risk
                .train_model(
                    &caller,
                    TrainRequest {
                        latest_days,
                        ..TrainRequest::default()
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    answer(
        &s,
        &ctx,
        &parts,
        &caller,
        result,
        |m| format!("trained&version={}", m.version),
        failure,
    )
    .await
}

async fn validate(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let version = match version_of(&ctx, &parts) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let caller = active.caller();
    let result = s.risk.validate_model(&caller, version).await;
    answer(
        &s,
        &ctx,
        &parts,
        &caller,
        result,
        |_| "validated".to_owned(),
        ModelsFailure::default(),
    )
    .await
}

/// The reason (and `force`) of an activation, rollback or deactivation.
fn change(p: &Posted) -> (ActivateRequest, ModelsFailure) {
    let reason = p.get("reason").to_owned();
    (
        ActivateRequest {
            reason: reason.clone(),
            force: p.get("force") == "yes",
        },
        ModelsFailure {
            reason,
            ..ModelsFailure::default()
        },
    )
}

async fn activate(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let version = match version_of(&ctx, &parts) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let (req, failure) = change(&p);
    let result = s.risk.activate_model(&caller, version, req).await;
    answer(
        &s,
        &ctx,
        &parts,
        &caller,
        result,
        |_| "activated".to_owned(),
        failure,
    )
    .await
}

async fn rollback(State(s): State<AppState>, req: Request) -> Response {
    step_back(s, req, false).await
}

async fn deactivate(State(s): State<AppState>, req: Request) -> Response {
    step_back(s, req, true).await
}

/// Rolling back to the model live before, or to the rules alone.
async fn step_back(s: AppState, req: Request, to_rules: bool) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let (req, failure) = change(&p);
    let (result, done) = if to_rules {
        (s.risk.deactivate_model(&caller, req).await, "deactivated")
    } else {
        (s.risk.rollback_model(&caller, req).await, "rolled-back")
    };
    answer(
        &s,
        &ctx,
        &parts,
        &caller,
        result,
        |_| done.to_owned(),
        failure,
    )
    .await
}

async fn schedule(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let failure = ModelsFailure {
        every: p.get("retrainEveryDays").trim().to_owned(),
        schedule_latest: p.get("latestDays").trim().to_owned(),
        ..ModelsFailure::default()
    };
    let typed = days(&p, "retrainEveryDays", "SCHEDULE")
        .and_then(|every| Ok((every, days(&p, "latestDays", "SCHEDULE")?)));
    let result = match typed {
        Ok((retrain_every_days, latest_days)) => {
            s.risk
                .set_model_schedule(
                    &caller,
                    ModelSchedule {
                        retrain_every_days,
                        latest_days,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    answer(
        &s,
        &ctx,
        &parts,
        &caller,
        result,
        |_| "schedule".to_owned(),
        failure,
    )
    .await
}
