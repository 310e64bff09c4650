//! The manager's dashboard over HTTP (`GET /manager?from=…&to=…`):
//! [`tamga_app::dashboard`] read with the session's caller (managers and
//! administrators), drawn by [`tamga_portal::pages::staff::dashboard`].

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use tamga_app::dashboard::{dashboard, Period};
use tamga_portal::pages::staff::dashboard::dashboard_page;
use tamga_portal::pages::staff::error_message;

use super::{begin, in_form, refused};
use crate::portal::{html, page_failed};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/manager", get(manager))
}

async fn manager(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _, ctx, active) = match begin(&s, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let today = time::OffsetDateTime::now_utc().date();
    let rendered = match Period::parse(ctx.param("from"), ctx.param("to"), today) {
        Err(e) => dashboard_page(
            &ctx,
            None,
            Some((e.code(), error_message(&ctx.tr, e.code()))),
        ),
        Ok(p) => match dashboard(s.clearance.store().as_ref(), &active.caller(), p).await {
            Ok(d) => dashboard_page(&ctx, Some(&d), None),
            Err(e) if in_form(&e).is_none() => return refused(&ctx, &parts, &e),
            Err(e) => dashboard_page(
                &ctx,
                None,
                Some((e.code(), error_message(&ctx.tr, e.code()))),
            ),
        },
    };
    match rendered {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}
