//! The traders' digital twin over HTTP: `/analyst/traders` (the
//! directory: search by EORI or name, a page at a time) and
//! `/analyst/traders/{eori}` (one trader's profile with its latest
//! inspections and findings). The profile is the API's
//! (`GET /api/v1/traders/{id}/profile`, `Workbench::trader_profile`), the
//! directory and the controls `Workbench::trader_directory` and
//! `trader_controls`; who may open them is [`crate::access::RULES`]'
//! `TRADER_READERS` (the customs users the profile API serves; the bank
//! and operators are refused). An administrator sets the AEO status on
//! the trader's page (`POST /analyst/traders/{eori}/aeo`, the service of
//! `PUT /api/v1/traders/{id}/aeo`).

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use tamga_core::codes::Eori;
use tamga_portal::pages::error_page;
use tamga_portal::pages::staff::traders::{
    page_of, trader_page, traders_page, AeoFailure, PAGE_SIZE,
};
use tamga_portal::Ctx;

use super::{begin, in_form, refused};
use crate::portal::viewer::{posted, see_other};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/analyst/traders", get(list))
        .route("/analyst/traders/{eori}", get(trader))
        .route("/analyst/traders/{eori}/aeo", post(aeo))
}

/// Snapshots shown on a trader's page.
const HISTORY: u32 = 50;
/// Inspections and findings shown on a trader's page.
const CONTROLS: u32 = 20;

async fn list(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let page = page_of(&ctx);
    let q = ctx.param("q").unwrap_or_default();
    match s
        .workbench
        .trader_directory(&active.caller(), q, page * PAGE_SIZE, PAGE_SIZE)
        .await
    {
        Ok(d) => match traders_page(&ctx, &d, page) {
            Ok(r) => html(r, ctx.tr.lang),
            Err(e) => page_failed(&ctx, &e, None),
        },
        Err(e) => refused(&ctx, &parts, &e),
    }
}

/// The EORI of `/analyst/traders/{eori}…`, or the 404 page.
#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn eori_of(ctx: &Ctx, parts: &Parts) -> Result<Eori, Response> {
    let segment = parts
        .uri
        .path()
        .strip_prefix("/analyst/traders/")
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    Eori::parse(segment).map_err(|_| html(error_page(ctx, 404, None), ctx.tr.lang))
}

async fn show(
    s: &AppState,
    ctx: &Ctx,
    parts: &Parts,
    caller: &tamga_app::Caller,
    op: &Eori,
    failure: Option<AeoFailure<'_>>,
    status: u16,
) -> Response {
    let profile = match s.workbench.trader_profile(caller, op, HISTORY).await {
        Ok(p) => p,
        Err(e) => return refused(ctx, parts, &e),
    };
    let controls = match s.workbench.trader_controls(caller, op, CONTROLS).await {
        Ok(c) => c,
        Err(e) => return refused(ctx, parts, &e),
    };
    match trader_page(ctx, &profile, &controls, failure, status) {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

async fn trader(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = match eori_of(&ctx, &parts) {
        Ok(op) => op,
        Err(r) => return r,
    };
    show(&s, &ctx, &parts, &active.caller(), &op, None, 200).await
}

async fn aeo(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let op = match eori_of(&ctx, &parts) {
        Ok(op) => op,
        Err(r) => return r,
    };
    let p = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let caller = active.caller();
    let reference = p.get("reference").trim().to_owned();
    let set = s
        .workbench
        .set_aeo(
            &caller,
            &op,
            p.get("aeo") == "yes",
            Some(reference.clone()).filter(|r| !r.is_empty()),
        )
        .await;
    match set {
        Ok(_) => see_other(&format!("/analyst/traders/{op}?done=aeo")),
        Err(e) => match in_form(&e) {
            Some((_, code, status)) => {
                let failure = AeoFailure {
                    code,
                    reference: &reference,
                };
                show(&s, &ctx, &parts, &caller, &op, Some(failure), status).await
            }
            None => refused(&ctx, &parts, &e),
        },
    }
}
