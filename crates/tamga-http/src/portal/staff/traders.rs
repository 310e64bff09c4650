//! The traders' digital twin over HTTP: `/analyst/traders` (the
//! directory: search by EORI or name, a page at a time) and
//! `/analyst/traders/{eori}` (one trader's profile with its latest
//! inspections and findings). The profile is the API's
//! (`GET /api/v1/traders/{id}/profile`, `Workbench::trader_profile`), the
//! directory and the controls `Workbench::trader_directory` and
//! `trader_controls`; who may open them is [`crate::access::RULES`]'
//! `TRADER_READERS` (the customs users the profile API serves; the bank
//! and operators are refused).

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use tamga_core::codes::Eori;
use tamga_portal::pages::error_page;
use tamga_portal::pages::staff::traders::{page_of, trader_page, traders_page, PAGE_SIZE};

use super::{begin, refused};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/analyst/traders", get(list))
        .route("/analyst/traders/{eori}", get(trader))
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

async fn trader(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let segment = parts
        .uri
        .path()
        .strip_prefix("/analyst/traders/")
        .unwrap_or_default();
    let Ok(op) = Eori::parse(segment) else {
        return html(error_page(&ctx, 404, None), ctx.tr.lang);
    };
    let caller = active.caller();
    let profile = match s.workbench.trader_profile(&caller, &op, HISTORY).await {
        Ok(p) => p,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let controls = match s.workbench.trader_controls(&caller, &op, CONTROLS).await {
        Ok(c) => c,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    match trader_page(&ctx, &profile, &controls) {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}
