//! The account area over HTTP: `/register` ([`register`]), `/me/keys`
//! ([`keys`]), `/trader/account` with its statement, CSV and QR code
//! ([`ledger`]), `/me/tokens` and `/trader/webhook` ([`tokens`]).
//!
//! Each handler calls the same service as its API twin with the
//! session's caller, and each route's rule in [`crate::access::RULES`]
//! has the same roles as that twin, so a page shows and does exactly
//! what the API would for that person.

pub mod keys;
pub mod ledger;
pub mod register;
pub mod tokens;

use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use tamga_app::identity::sessions::Active;
use tamga_app::AppError;
use tamga_portal::{Ctx, PageError, Rendered};

use super::viewer::{me_of, page_session};
use super::{context, html, page_failed};
use crate::error::ApiError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register", get(register::form).post(register::submit))
        .route("/register/done", get(register::done))
        .route("/me/keys", get(keys::page).post(keys::add))
        .route("/me/keys/{keyId}/revocation", post(keys::revoke))
        .route("/me/tokens", get(tokens::page).post(tokens::create))
        .route("/me/tokens/{id}/revocation", post(tokens::revoke))
        .route("/trader/account", get(ledger::page))
        .route("/trader/account/statement", get(ledger::printable))
        .route("/trader/account/statement.csv", get(ledger::csv))
        .route("/trader/account/qr.svg", get(ledger::qr))
        .route(
            "/trader/webhook",
            get(tokens::webhook_form).post(tokens::webhook_set),
        )
}

/// The page context and the session of a page behind a login.
async fn session_ctx(parts: &Parts, s: &AppState) -> Result<(Ctx, Active), Response> {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = page_session(parts, s).await?;
    let ctx = ctx.with_me(Some(me_of(&active)));
    Ok((ctx, active))
}

/// A rendered page, or the error page if it could not be rendered.
fn show(ctx: &Ctx, r: Result<Rendered, PageError>) -> Response {
    match r {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(ctx, &e, None),
    }
}

/// A service's refusal the page does not show beside a field: the API's
/// error (a browser gets the translated HTML error page of its status,
/// [`super::html_errors`]; a server error only its request id).
fn refused(e: AppError) -> Response {
    ApiError::from(e).into_response()
}

/// A refusal a form shows beside its field (or above the form): its code,
/// the JSON pointer it is about (empty: the whole request) and the status
/// the API answers it with. Anything else is [`refused`].
pub struct Inline {
    pub code: &'static str,
    pub pointer: String,
    pub status: u16,
}

fn inline(e: &AppError) -> Option<Inline> {
    let (code, pointer, status) = match e {
        AppError::BadRequest { code, pointer, .. } => (*code, pointer.clone(), 400),
        AppError::Conflict { code, pointer, .. } => (*code, pointer.clone(), 409),
        AppError::Signature { code, .. } => (*code, String::new(), 422),
        AppError::Denied { code, .. } => (*code, String::new(), 403),
        _ => return None,
    };
    Some(Inline {
        code,
        pointer,
        status,
    })
}
