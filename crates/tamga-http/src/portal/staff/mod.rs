//! The customs staff's pages over HTTP: the administrator ([`admin`],
//! [`offices`]), the manager's dashboards and the risk analyst's pages
//! ([`analyst`], the traders' digital twin [`traders`]). Every route has
//! a rule in [`crate::access::RULES`] with the roles of its API twin, and
//! every handler calls the same service as that API route with the
//! session's caller, so a page shows and does exactly what the API
//! would for that person.

pub mod admin;
pub mod analyst;
pub mod manager;
pub mod models;
pub mod offices;
pub mod traders;

use axum::extract::Request;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Router;

use tamga_app::error::AppError;
use tamga_app::identity::sessions::Active;
use tamga_portal::pages::error_page;
use tamga_portal::Ctx;

use super::viewer::{me_of, page_session};
use super::{context, html, page_failed};
use crate::observe::RequestId;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(admin::routes())
        .merge(manager::routes())
        .merge(analyst::routes())
        .merge(models::routes())
        .merge(offices::routes())
        .merge(traders::routes())
}

/// A logged-in page request: its context (with the person) and session.
pub(crate) async fn begin(
    s: &AppState,
    req: Request,
) -> Result<(Parts, axum::body::Body, Ctx, Active), Response> {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = page_session(&parts, s).await?;
    let ctx = ctx.with_me(Some(me_of(&active)));
    Ok((parts, body, ctx, active))
}

/// The HTML page of a service error that cannot be shown in a form:
/// 404 for what does not exist (or is outside the caller's scope), 403
/// for what the caller may not do, 500 (request id only) for failures.
pub(crate) fn refused(ctx: &Ctx, parts: &Parts, e: &AppError) -> Response {
    let status = match e {
        AppError::NotFound { .. } => 404,
        AppError::Forbidden(_) | AppError::Denied { .. } => 403,
        AppError::BadRequest { .. } => 400,
        AppError::Conflict { .. } => 409,
        _ => {
            let id = parts.extensions.get::<RequestId>().map(|r| r.0.as_str());
            return page_failed(ctx, e, id);
        }
    };
    html(error_page(ctx, status, None), ctx.tr.lang)
}

/// A refused act that belongs in its form: the field (the first step of
/// the error's pointer), the code and the HTTP status; `None` for the
/// errors of [`refused`].
pub(crate) fn in_form(e: &AppError) -> Option<(String, &'static str, u16)> {
    let (pointer, status) = match e {
        AppError::BadRequest { pointer, .. } => (pointer.as_str(), 400),
        AppError::Conflict { pointer, .. } => (pointer.as_str(), 409),
        AppError::Denied { .. } => ("", 403),
        _ => return None,
    };
    let field = pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    Some((field, e.code(), status))
}
