//! `/register`: a company registers online through
//! `tamga_app::identity::people::register`, the service of
//! `POST /api/v1/registrations`. Public, so protected from cross-site
//! posting by a double-submitted token ([`super::super::double_submit`]).
//! A refused field is shown beside itself with the API's code, the form
//! keeping what was typed (never the password); success redirects to
//! `/register/done`.

use axum::extract::{Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;

use tamga_app::identity::people;
use tamga_portal::pages::account::register::{form_of, register_page, registered_page};
use tamga_portal::pages::form::Posted;
use tamga_portal::{Ctx, CSRF_FIELD};

use super::super::double_submit::DoubleSubmit;
use super::super::viewer::{posted, see_other};
use super::super::{context, page_failed};
use super::{inline, show};
use crate::AppState;

/// The registration form's token.
pub const TOKEN: DoubleSubmit = DoubleSubmit {
    cookie: "tamga_register",
    path: "/register",
};

/// The form with a fresh token (in the form and the cookie).
fn fresh(
    s: &AppState,
    ctx: &Ctx,
    typed: &Posted,
    error: Option<(&str, &str)>,
    status: u16,
) -> Response {
    let (token, cookie) = match TOKEN.issue(s) {
        Ok(t) => t,
        Err(e) => return page_failed(ctx, &e, None),
    };
    let mut r = show(ctx, register_page(ctx, &token, typed, error, status));
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

pub async fn form(State(s): State<AppState>, parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    fresh(&s, &ctx, &Posted::default(), None, 200)
}

pub async fn submit(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let typed = match posted(body).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !TOKEN.check(&parts.headers, typed.get(CSRF_FIELD)) {
        return fresh(&s, &ctx, &typed, Some(("REGISTER_CSRF", "")), 400);
    }
    match people::register(s.clearance.store().as_ref(), form_of(&typed)).await {
        Ok(_) => see_other("/register/done"),
        Err(e) => match inline(&e) {
            Some(i) => fresh(&s, &ctx, &typed, Some((i.code, &i.pointer)), i.status),
            None => page_failed(&ctx, &e, None),
        },
    }
}

pub async fn done(parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    show(&ctx, registered_page(&ctx))
}
