//! The login pages: `/login` (user name and password), `/login/totp`
//! (second factor), `/logout`, `/password` (change, forced after an
//! administrator's reset) and `/me`.
//!
//! The acts are the identity service's (`tamga_app::identity::login`),
//! the same as `POST /api/v1/auth/*`: the same throttling, the same
//! session cookie. The login form is protected from login CSRF by a
//! double-submitted token: `GET /login` sets a random value in the
//! `tamga_login` cookie (`SameSite=Strict`, `HttpOnly`, path `/login`)
//! and in the form; `POST /login` compares them in constant time.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use subtle::ConstantTimeEq;

use tamga_app::identity::login::{self, IdentityError};
use tamga_app::identity::sessions;
use tamga_portal::pages::login::{
    identity_message, login_page, me_page, password_page, totp_page, LoginForm,
};
use tamga_portal::pages::{home_of, local_path};
use tamga_portal::{Ctx, CSRF_FIELD};
use tamga_store::SessionStage;

use super::viewer::{me_of, page_session, posted, see_other, viewer};
use super::{context, html, page_failed};
use crate::login_routes::ClientAddr;
use crate::{session, AppState};

/// The login-CSRF cookie.
pub const LOGIN_COOKIE: &str = "tamga_login";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_post))
        .route("/login/totp", get(totp_form).post(totp_post))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(password_post))
        .route("/me", get(me))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn secure(s: &AppState) -> &'static str {
    if s.clearance.settings().secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// A fresh login form with its token in the form and the cookie.
fn fresh_form(s: &AppState, ctx: &Ctx, mut form: LoginForm, status: u16) -> Response {
    let token = match sessions::random_token() {
        Ok(t) => t,
        Err(e) => return page_failed(ctx, &e, None),
    };
    form.csrf = token.clone();
    let mut r = match login_page(ctx, &form, status) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => return page_failed(ctx, &e, None),
    };
    let c = format!(
        "{LOGIN_COOKIE}={token}; Max-Age=3600; Path=/login; HttpOnly; SameSite=Strict{}",
        secure(s)
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_form(State(s): State<AppState>, parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let next = local_path(ctx.param("next"), "").to_owned();
    if let Some(me) = viewer(&parts, &s).await {
        return see_other(local_path(Some(&next), home_of(&me.roles)));
    }
    let form = LoginForm {
        next,
        ..LoginForm::default()
    };
    fresh_form(&s, &ctx, form, 200)
}

fn status_of(e: &IdentityError) -> u16 {
    match e {
        IdentityError::Throttled { .. } => 429,
        IdentityError::Inactive | IdentityError::OperatorNotApproved => 403,
        IdentityError::App(_) => 500,
        _ => 401,
    }
}

async fn login_post(
    State(s): State<AppState>,
    ClientAddr(client): ClientAddr,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let username = form.get("username").trim().to_owned();
    let next = local_path(Some(form.get("next")), "").to_owned();
    let retry = |code: &str, status| {
        let f = LoginForm {
            username: username.clone(),
            next: next.clone(),
            error: Some((code.to_owned(), identity_message(&ctx, code))),
            ..LoginForm::default()
        };
        fresh_form(&s, &ctx, f, status)
    };
    let sent = form.get(CSRF_FIELD).as_bytes();
    let expected = cookie(&parts.headers, LOGIN_COOKIE)
        .unwrap_or("")
        .as_bytes();
    if expected.is_empty() || sent.len() != expected.len() || !bool::from(sent.ct_eq(expected)) {
        return retry("LOGIN_CSRF", 400);
    }
    let now = time::OffsetDateTime::now_utc();
    let done = match login::login(
        s.clearance.store(),
        &username,
        form.get("password"),
        client,
        now,
    )
    .await
    {
        Ok(d) => d,
        Err(IdentityError::App(e)) => return page_failed(&ctx, &e, None),
        Err(e) => return retry(e.code(), status_of(&e)),
    };
    let to = if done.session.stage == SessionStage::SecondFactor {
        format!(
            "/login/totp?{}",
            tamga_portal::pages::form_pairs([("next", next.as_str())].into_iter())
        )
    } else if done.must_change_password {
        "/password".to_owned()
    } else {
        match sessions::resolve(s.clearance.store(), &done.session.id, now).await {
            Ok(Some(a)) => local_path(Some(&next), home_of(&a.user.roles)).to_owned(),
            _ => "/me".to_owned(),
        }
    };
    let mut r = see_other(&to);
    r.headers_mut()
        .append(header::SET_COOKIE, session::issue(&s, &done.session));
    r
}

async fn totp_form(State(s): State<AppState>, parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let next = local_path(ctx.param("next"), "").to_owned();
    if active.session.stage == SessionStage::Full {
        return see_other(local_path(Some(&next), home_of(&active.user.roles)));
    }
    let ctx = ctx.with_me(Some(me_of(&active)));
    match totp_page(&ctx, &next, None, 200) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn totp_post(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let next = local_path(Some(form.get("next")), "").to_owned();
    let now = time::OffsetDateTime::now_utc();
    match login::verify_totp(s.clearance.store(), &active, form.get("code").trim(), now).await {
        Ok(issued) => {
            let mut r = see_other(local_path(Some(&next), home_of(&active.user.roles)));
            r.headers_mut()
                .append(header::SET_COOKIE, session::issue(&s, &issued));
            r
        }
        Err(IdentityError::App(e)) => page_failed(&ctx, &e, None),
        Err(e) => {
            let ctx = ctx.with_me(Some(me_of(&active)));
            let msg = identity_message(&ctx, e.code());
            match totp_page(&ctx, &next, Some((e.code(), msg)), status_of(&e)) {
                Ok(p) => html(p, ctx.tr.lang),
                Err(e) => page_failed(&ctx, &e, None),
            }
        }
    }
}

/// Ends the session (the form's `_csrf` must be the session's: another
/// site cannot log a person out) and removes the cookie.
async fn logout(State(s): State<AppState>, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let body: Body = match super::csrf::lift(&mut parts, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    drop(body);
    let mut r = see_other("/");
    if session::cookie_id(&parts.headers).is_some() {
        match session::session_of(&parts, &s).await {
            Ok(active) => {
                let now = time::OffsetDateTime::now_utc();
                if let Err(e) = sessions::end(s.clearance.store(), &active, now).await {
                    let ctx = context(&parts.method, &parts.uri, &parts.headers);
                    return page_failed(&ctx, &e, None);
                }
            }
            Err(e) if e.status == StatusCode::FORBIDDEN => return e.into_response(),
            Err(_) => {}
        }
    }
    r.headers_mut()
        .insert(header::SET_COOKIE, session::clear(&s));
    r
}

async fn password_form(State(s): State<AppState>, parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    match password_page(&ctx, None, false, 200) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn password_post(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = match posted(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    let now = time::OffsetDateTime::now_utc();
    let result = login::change_password(
        s.clearance.store(),
        &active,
        form.get("current"),
        form.get("new"),
        now,
    )
    .await;
    let page = match result {
        Ok(()) => password_page(&ctx, None, true, 200),
        Err(IdentityError::App(e)) => return page_failed(&ctx, &e, None),
        Err(e) => {
            let field = if matches!(e, IdentityError::WrongPassword) {
                "current"
            } else {
                "new"
            };
            let status = if matches!(e, IdentityError::Throttled { .. }) {
                429
            } else {
                400
            };
            password_page(
                &ctx,
                Some((field, e.code(), identity_message(&ctx, e.code()))),
                false,
                status,
            )
        }
    };
    match page {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}

async fn me(State(s): State<AppState>, parts: Parts) -> Response {
    let ctx = context(&parts.method, &parts.uri, &parts.headers);
    let active = match page_session(&parts, &s).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let ctx = ctx.with_me(Some(me_of(&active)));
    match me_page(&ctx) {
        Ok(p) => html(p, ctx.tr.lang),
        Err(e) => page_failed(&ctx, &e, None),
    }
}
