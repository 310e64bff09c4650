//! The risk analyst's pages over HTTP: `/analyst` (profiles with hits and
//! yield), `/analyst/profiles/{id}` (the editor: check, what would it
//! have hit, save a version) and its activation and retirement. The acts
//! are `tamga_app::risk_admin::RiskAdmin`'s, as the API's
//! `/api/v1/risk/profiles…` routes call them (risk analysts and
//! administrators).

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use tamga_app::dashboard::{profile_yields, Period};
use tamga_app::error::AppError;
use tamga_app::risk_admin::{ProfileDraft, RiskError, TestRequest};
use tamga_portal::pages::staff::analyst::{profile_page, profiles_page, EditorOutcome};
use tamga_portal::Ctx;

use super::{begin, refused};
use crate::portal::viewer::{posted, see_other};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/analyst", get(list))
        .route("/analyst/profiles/{id}", get(profile).post(edit))
        .route("/analyst/profiles/{id}/activation", post(activate))
        .route("/analyst/profiles/{id}/retirement", post(retire))
}

fn id_of(parts: &Parts) -> String {
    parts
        .uri
        .path()
        .strip_prefix("/analyst/profiles/")
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn list(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let caller = active.caller();
    let profiles = match s.risk.profiles(&caller).await {
        Ok(p) => p,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let period = match Period::parse(None, None, today) {
        Ok(p) => p,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let yields = match profile_yields(s.clearance.store().as_ref(), &caller, period).await {
        Ok(y) => y,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    match profiles_page(&ctx, &profiles, &yields) {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn show(
    s: &AppState,
    ctx: &Ctx,
    parts: &Parts,
    caller: &tamga_app::Caller,
    id: &str,
    outcome: EditorOutcome,
    status: u16,
) -> Response {
    match s.risk.profile(caller, id).await {
        Ok(p) => match profile_page(ctx, &p, outcome, status) {
            Ok(r) => html(r, ctx.tr.lang),
            Err(e) => page_failed(ctx, &e, None),
        },
        Err(e) => refused(ctx, parts, &e),
    }
}

async fn profile(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = id_of(&parts);
    show(
        &s,
        &ctx,
        &parts,
        &active.caller(),
        &id,
        EditorOutcome::default(),
        200,
    )
    .await
}

/// A refused risk act as the editor shows it, or the error page.
fn outcome_of(e: RiskError, outcome: &mut EditorOutcome) -> Result<u16, AppError> {
    match e {
        RiskError::Profile { error, .. } => {
            outcome.error_code = error.code.to_owned();
            outcome.error_line = error.line;
            outcome.error_column = error.column;
            outcome.error_detail = error.message;
            Ok(422)
        }
        RiskError::App(a @ (AppError::BadRequest { .. } | AppError::Conflict { .. })) => {
            outcome.error_code = a.code().to_owned();
            Ok(400)
        }
        RiskError::App(a) => Err(a),
        RiskError::Cargo(_) => Err(AppError::bad_request("PROFILE_TEST", "", "unexpected")),
    }
}

async fn edit(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = id_of(&parts);
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let mut outcome = EditorOutcome {
        expression: p.get("expression").replace("\r\n", "\n"),
        rationale: p.get("rationale").to_owned(),
        ..EditorOutcome::default()
    };
    let current = match s.risk.profile(&caller, &id).await {
        Ok(c) => c,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let result: Result<u16, RiskError> = match p.get("op") {
        // Check and "what would it have hit" are the API's profile test
        // over a draft expression (it compiles it first, so a syntax error
        // comes back with its line and column).
        "check" | "test" => {
            let check = p.get("op") == "check";
            let now = time::OffsetDateTime::now_utc();
            let req = TestRequest {
                profile_id: None,
                version: None,
                expression: Some(outcome.expression.clone()),
                offices: current
                    .latest()
                    .map(|v| v.profile.offices.clone())
                    .unwrap_or_default(),
                // A check examines no declaration: an empty period.
                from: Some(if check {
                    now - time::Duration::seconds(1)
                } else {
                    now - time::Duration::days(30)
                }),
                to: Some(now),
                sample: Some(20),
            };
            s.risk.test(&caller, req).await.map(|r| {
                if check {
                    outcome.checked_ok = true;
                } else {
                    outcome.report = Some(r);
                }
                200
            })
        }
        "save" => {
            let Some(latest) = current.latest() else {
                return refused(
                    &ctx,
                    &parts,
                    &AppError::not_found(format!("profile {id} version")),
                );
            };
            let l = &latest.profile;
            let draft = ProfileDraft {
                id: None,
                rationale: outcome.rationale.clone(),
                expression: outcome.expression.clone(),
                valid_from: l.valid_from,
                valid_to: l.valid_to,
                offices: l.offices.clone(),
                priority: l.priority,
                control: l.control,
                channel: l.channel,
            };
            match s.risk.add_version(&caller, &id, draft).await {
                Ok(_) => return see_other(&format!("/analyst/profiles/{id}?done=saved")),
                Err(e) => Err(e),
            }
        }
        _ => Err(RiskError::App(AppError::bad_request(
            "PROFILE_TEST",
            "/op",
            "check, test or save",
        ))),
    };
    let status = match result {
        Ok(st) => st,
        Err(e) => match outcome_of(e, &mut outcome) {
            Ok(st) => st,
            Err(a) => return refused(&ctx, &parts, &a),
        },
    };
    show(&s, &ctx, &parts, &caller, &id, outcome, status).await
}

async fn activate(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = id_of(&parts);
    let caller = active.caller();
    match s.risk.activate(&caller, &id, None).await {
        Ok(_) => see_other(&format!("/analyst/profiles/{id}?done=activated")),
        Err(e) => {
            let mut outcome = EditorOutcome::default();
            match outcome_of(e, &mut outcome) {
                Ok(st) => show(&s, &ctx, &parts, &caller, &id, outcome, st).await,
                Err(a) => refused(&ctx, &parts, &a),
            }
        }
    }
}

async fn retire(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = id_of(&parts);
    let caller = active.caller();
    match s.risk.retire(&caller, &id).await {
        Ok(_) => see_other(&format!("/analyst/profiles/{id}?done=retired")),
        Err(e) => {
            let mut outcome = EditorOutcome::default();
            match outcome_of(RiskError::App(e), &mut outcome) {
                Ok(st) => show(&s, &ctx, &parts, &caller, &id, outcome, st).await,
                Err(a) => refused(&ctx, &parts, &a),
            }
        }
    }
}
