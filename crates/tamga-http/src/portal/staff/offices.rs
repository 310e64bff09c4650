//! The administrator's offices over HTTP: `/admin/offices` (the offices
//! it administers with their staff counted) and `/admin/offices/{code}`
//! (one office's staff, from `people::office_staff`, the service of
//! `GET /api/v1/admin/offices/{office}/staff`: an office administrator
//! is refused another office with the same 403 `OFFICE_SCOPE`).

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use tamga_app::identity::people;
use tamga_core::codes::OfficeCode;
use tamga_portal::pages::error_page;
use tamga_portal::pages::staff::offices::{office_page, offices_page};

use super::{begin, refused};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/offices", get(list))
        .route("/admin/offices/{code}", get(office))
}

async fn list(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match people::office_staffing(s.clearance.store().as_ref(), &active.caller()).await {
        Ok(list) => match offices_page(&ctx, &list) {
            Ok(r) => html(r, ctx.tr.lang),
            Err(e) => page_failed(&ctx, &e, None),
        },
        Err(e) => refused(&ctx, &parts, &e),
    }
}

async fn office(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let segment = parts
        .uri
        .path()
        .strip_prefix("/admin/offices/")
        .unwrap_or_default();
    let Ok(code) = OfficeCode::parse(segment) else {
        return html(error_page(&ctx, 404, None), ctx.tr.lang);
    };
    let store = s.clearance.store();
    // The scope first, as the API: another office is 403 whether or not
    // it exists.
    let staff = match people::office_staff(store.as_ref(), &active.caller(), &code).await {
        Ok(list) => list,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let offices = match people::offices(store.as_ref()).await {
        Ok(o) => o,
        Err(e) => return refused(&ctx, &parts, &e),
    };
    let Some(o) = offices.iter().find(|o| o.code == code.as_str()) else {
        return html(error_page(&ctx, 404, None), ctx.tr.lang);
    };
    match office_page(&ctx, o, &staff) {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}
