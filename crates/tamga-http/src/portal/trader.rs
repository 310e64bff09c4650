//! The trader's and broker's pages (`/trader…`, [`tamga_portal::pages::trader`]):
//! each calls the same service as the API route it mirrors, with the
//! session's caller, and has the same access rule (economic operators:
//! `OPERATOR` in [`crate::access::RULES`]). A declaration the operator may
//! not see is the 404 page, as the API answers 404. Signed acts receive
//! the exact JSON the browser signed (`body`), its `signature` and `keyId`.
//! Drafts of the lodging form: [`drafts`].

use axum::extract::{Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use tamga_app::identity::sessions::Active;
use tamga_app::{AppError, Caller, Signed};
use tamga_core::codes::{Eori, Mrn};
use tamga_portal::pages::error_page;
use tamga_portal::pages::form::Posted;
use tamga_portal::pages::trader::{self as pages, Act, Failure};
use tamga_portal::{Ctx, Rendered};

use super::viewer::{me_of, page_session, posted, see_other};
use super::{context, html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trader", get(dashboard))
        .route("/trader/declarations", get(list).post(lodge))
        .route("/trader/declarations/new", get(new_form).post(new_check))
        .route("/trader/declarations/upload", post(upload))
        .route("/trader/declarations/{mrn}", get(detail))
        .route(
            "/trader/declarations/{mrn}/amend",
            get(amend_form).post(amend_check),
        )
        .route("/trader/declarations/{mrn}/amendments", post(amend))
        .route(
            "/trader/declarations/{mrn}/invalidate",
            get(invalidate_form).post(invalidate_check),
        )
        .route("/trader/declarations/{mrn}/invalidation", post(invalidate))
        .route("/trader/notifications/read", post(mark_read))
        .route("/trader/drafts", get(drafts::list))
        .route("/trader/drafts/{id}", get(drafts::form).post(drafts::post))
        .route("/trader/drafts/{id}/deletion", post(drafts::delete))
}

/// A page request's context, session and operator.
struct Page {
    ctx: Ctx,
    caller: Caller,
    op: Option<Eori>,
}

async fn open(s: &AppState, parts: &Parts) -> Result<Page, Response> {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active: Active = page_session(parts, s).await?;
    let caller = active.caller();
    let op = match &caller {
        Caller::Operator(e) => Some(e.clone()),
        Caller::User(_) => None,
    };
    Ok(Page {
        ctx: ctx.with_me(Some(me_of(&active))),
        caller,
        op,
    })
}

/// A page's answer: the page, or the error page the failure calls for.
fn answer(ctx: &Ctx, r: Result<Rendered, Failure>) -> Response {
    match r {
        Ok(p) => html(p, ctx.tr.lang),
        Err(Failure::App(AppError::NotFound { .. })) => {
            html(error_page(ctx, 404, None), ctx.tr.lang)
        }
        Err(Failure::App(AppError::Forbidden(_) | AppError::Denied { .. })) => {
            html(error_page(ctx, 403, None), ctx.tr.lang)
        }
        Err(Failure::App(
            AppError::InvalidState(_) | AppError::Stale | AppError::Conflict { .. },
        )) => html(error_page(ctx, 409, None), ctx.tr.lang),
        Err(Failure::App(AppError::BadRequest { .. })) => {
            html(error_page(ctx, 400, None), ctx.tr.lang)
        }
        Err(e) => page_failed(ctx, &e, None),
    }
}

/// The operator of an operator's page (the access rule lets only
/// operators in; a user without one is refused like the API refuses).
#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn operator(p: &Page) -> Result<&Eori, Response> {
    p.op.as_ref()
        .ok_or_else(|| html(error_page(&p.ctx, 403, None), p.ctx.tr.lang))
}

macro_rules! page {
    ($s:expr, $parts:expr) => {
        match open(&$s, &$parts).await {
            Ok(p) => p,
            Err(r) => return r,
        }
    };
}

macro_rules! op {
    ($p:expr) => {
        match operator(&$p) {
            Ok(o) => o.clone(),
            Err(r) => return r,
        }
    };
}

macro_rules! form {
    ($body:expr) => {
        match posted($body).await {
            Ok(f) => f,
            Err(r) => return r,
        }
    };
}

mod drafts;

#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn mrn_of(ctx: &Ctx, raw: &str) -> Result<Mrn, Response> {
    Mrn::parse(raw).map_err(|_| html(error_page(ctx, 404, None), ctx.tr.lang))
}

macro_rules! mrn {
    ($p:expr, $raw:expr) => {
        match mrn_of(&$p.ctx, &$raw) {
            Ok(m) => m,
            Err(r) => return r,
        }
    };
}

async fn dashboard(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    answer(
        &p.ctx,
        pages::dashboard(&s.clearance, &p.ctx, &p.caller).await,
    )
}

async fn list(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    answer(&p.ctx, pages::list(&s.clearance, &p.ctx, &p.caller).await)
}

async fn detail(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    answer(
        &p.ctx,
        pages::detail(&s.clearance, &p.ctx, &p.caller, &mrn).await,
    )
}

async fn new_form(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    answer(&p.ctx, pages::new_form(&p.ctx))
}

async fn new_check(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let f = form!(body);
    if f.get("_action") == "save" {
        return drafts::save(&s, &p.ctx, &p.caller, None, &f).await;
    }
    answer(
        &p.ctx,
        pages::lodge_check(&s.clearance, &p.ctx, &op, &f).await,
    )
}

async fn upload(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let req = Request::from_parts(parts, body);
    let mut file = Vec::new();
    let mp = <Multipart as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    if let Ok(mut mp) = mp {
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some("file") {
                if let Ok(b) = field.bytes().await {
                    file = b.to_vec();
                }
            }
        }
    }
    answer(
        &p.ctx,
        pages::upload_check(&s.clearance, &p.ctx, &op, &file).await,
    )
}

fn signed(f: &Posted) -> Signed<'_> {
    let opt = |name: &str| Some(f.get(name)).filter(|v| !v.is_empty());
    Signed {
        body: f.get("body").as_bytes(),
        signature: opt("signature"),
        key_id: opt("keyId"),
    }
}

/// The answer to a signed act: its declaration's page, or the form again
/// with the violations when the service refused it.
fn after_act(ctx: &Ctx, act: Act, f: &Posted, r: Result<Mrn, AppError>) -> Response {
    match r {
        Ok(mrn) => see_other(&format!("/trader/declarations/{mrn}")),
        Err(AppError::Rejected(v)) if !matches!(act, Act::Invalidate(_)) => {
            answer(ctx, pages::lodge_failed(ctx, act, f.get("body"), &v))
        }
        Err(AppError::Rejected(_)) => html(error_page(ctx, 422, None), ctx.tr.lang),
        Err(e) => answer(ctx, Err(e.into())),
    }
}

async fn lodge(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let f = form!(body);
    let draft = f.get("draft").parse::<i64>().ok();
    let r = s
        .clearance
        .lodge(&op, signed(&f))
        .await
        .map(|a| a.record.mrn);
    if let (Ok(_), Some(id)) = (&r, draft) {
        // Lodged: the draft it came from is done. Already deleted (by
        // another user of the party) or not the party's: nothing to do.
        let _ = s.clearance.delete_draft(&p.caller, id).await;
    }
    after_act(&p.ctx, draft.map_or(Act::Lodge, Act::Draft), &f, r)
}

async fn amend_form(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    let mrn = mrn!(p, mrn);
    answer(
        &p.ctx,
        pages::amend_form(&s.clearance, &p.ctx, &p.caller, mrn).await,
    )
}

async fn amend_check(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let mrn = mrn!(p, mrn);
    let f = form!(body);
    // Someone else's declaration is not found, before anything is checked.
    if let Err(e) = s.clearance.declaration(&p.caller, &mrn).await {
        return answer(&p.ctx, Err(e.into()));
    }
    answer(
        &p.ctx,
        pages::amend_check(&s.clearance, &p.ctx, &op, mrn, &f).await,
    )
}

async fn amend(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let mrn = mrn!(p, mrn);
    let f = form!(body);
    let r = s
        .clearance
        .amend(&op, &mrn, signed(&f))
        .await
        .map(|a| a.record.mrn);
    after_act(&p.ctx, Act::Amend(mrn), &f, r)
}

async fn invalidate_form(
    State(s): State<AppState>,
    Path(mrn): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    let mrn = mrn!(p, mrn);
    answer(
        &p.ctx,
        pages::invalidate_form(&s.clearance, &p.ctx, &p.caller, mrn, None).await,
    )
}

async fn invalidate_check(
    State(s): State<AppState>,
    Path(mrn): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let mrn = mrn!(p, mrn);
    let f = form!(body);
    answer(
        &p.ctx,
        pages::invalidate_form(&s.clearance, &p.ctx, &p.caller, mrn, Some(&f)).await,
    )
}

async fn invalidate(State(s): State<AppState>, Path(mrn): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let mrn = mrn!(p, mrn);
    let f = form!(body);
    let r = s
        .clearance
        .invalidate(&op, &mrn, signed(&f))
        .await
        .map(|a| a.record.mrn);
    after_act(&p.ctx, Act::Invalidate(mrn), &f, r)
}

/// Marks the operator's notifications up to `upTo` (the newest the
/// dashboard showed) as read, then back to the dashboard.
async fn mark_read(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let f = form!(body);
    let Ok(up_to) = f.get("upTo").trim().parse::<i64>() else {
        return html(error_page(&p.ctx, 400, None), p.ctx.tr.lang);
    };
    match s.clearance.mark_notifications_read(&p.caller, up_to).await {
        Ok(()) => see_other("/trader"),
        Err(e) => answer(&p.ctx, Err(e.into())),
    }
}
