//! Browser sessions on the wire: the `tamga_session` cookie and its CSRF
//! token (issue 15).
//!
//! - The cookie carries the session's random id (32 bytes, base64url),
//!   `HttpOnly` (no script reads it), `SameSite=Strict` (a browser sends
//!   it only with requests a page of this service started: tamga has no
//!   links from other sites that should arrive logged in, so `Lax` would
//!   only widen what a forged request may do), `Path=/`, `Max-Age` of the
//!   session's lifetime (8 hours; 30 minutes idle ends it earlier on the
//!   server), and `Secure` when the service is served over TLS (`tamga
//!   serve --secure-cookies`, `TAMGA_SECURE_COOKIES`).
//! - A request authenticated by the cookie with another method than GET or
//!   HEAD must carry `X-CSRF-Token` equal to the session's token (compared
//!   in constant time), else 403 `CSRF`: the double defence beside
//!   SameSite, for browsers that ignore it.
//! - A `second_factor` session may only complete or enrol the second
//!   factor, read the session and log out ([`SECOND_FACTOR_ROUTES`]); a
//!   session whose password must change may only change it, read the
//!   session and log out ([`MUST_CHANGE_ROUTES`]). Anything else is 403
//!   `SECOND_FACTOR_REQUIRED` / `PASSWORD_CHANGE_REQUIRED`.
//! - [`resolve_cookie`] is how [`crate::auth`] authenticates a request
//!   without an `Authorization` header.

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::header::{HeaderValue, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use subtle::ConstantTimeEq;

use tamga_app::identity::sessions::{self, Active, Issued, LIFETIME};
use tamga_app::Caller;
use tamga_store::SessionStage;

use crate::error::ApiError;
use crate::{AppState, AppStateInner};

/// The cookie's name.
pub const COOKIE_NAME: &str = "tamga_session";
/// The header a state-changing request made with the cookie echoes the
/// session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a `second_factor` session may call.
pub const SECOND_FACTOR_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/totp"),
    ("POST", "/api/v1/account/totp"),
    ("POST", "/api/v1/account/totp/confirm"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/session"),
    ("GET", "/login/totp"),
    ("POST", "/login/totp"),
    ("POST", "/logout"),
];

/// What a session whose password must change may call.
pub const MUST_CHANGE_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/account/password"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/session"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("POST", "/logout"),
];

/// The session id the request's cookies carry, if any (the first
/// `tamga_session` of the `Cookie` headers).
pub fn cookie_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

fn secure(state: &AppState) -> &'static str {
    if state.clearance.settings().secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value issuing `session`.
pub fn issue(state: &AppState, session: &Issued) -> HeaderValue {
    let value = format!(
        "{COOKIE_NAME}={}; Max-Age={}; Path=/; HttpOnly; SameSite=Strict{}",
        session.id,
        LIFETIME.whole_seconds(),
        secure(state)
    );
    HeaderValue::from_str(&value).expect("base64url ids are valid header text")
}

/// The `Set-Cookie` value removing the cookie.
pub fn clear(state: &AppState) -> HeaderValue {
    let value = format!(
        "{COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict{}",
        secure(state)
    );
    HeaderValue::from_str(&value).expect("valid header text")
}

fn route(parts: &Parts) -> Option<&str> {
    parts.extensions.get::<MatchedPath>().map(|m| m.as_str())
}

fn allowed(list: &[(&str, &str)], parts: &Parts) -> bool {
    let method = if parts.method == Method::HEAD {
        "GET"
    } else {
        parts.method.as_str()
    };
    let route = route(parts);
    list.iter().any(|(m, p)| *m == method && route == Some(*p))
}

/// Whether the request's `X-CSRF-Token` is the session's token.
fn csrf_ok(parts: &Parts, expected: &str) -> bool {
    let Some(sent) = parts.headers.get(CSRF_HEADER).map(|v| v.as_bytes()) else {
        return false;
    };
    sent.len() == expected.len() && bool::from(sent.ct_eq(expected.as_bytes()))
}

/// The request's valid session: the cookie resolved, its CSRF token
/// checked (for methods other than GET and HEAD), and its stage allowing
/// the route. 401 without a valid session.
pub async fn session_of(parts: &Parts, state: &AppState) -> Result<Active, ApiError> {
    let id = cookie_id(&parts.headers).ok_or_else(|| {
        ApiError::unauthorized(
            "log in (POST /api/v1/auth/login) or send an API token: Authorization: Bearer <token>",
        )
    })?;
    let now = time::OffsetDateTime::now_utc();
    let active = sessions::resolve(state.clearance.store(), id, now)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::unauthorized("the session is over: log in again"))?;
    if parts.method != Method::GET
        && parts.method != Method::HEAD
        && !csrf_ok(parts, &active.session.csrf)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "CSRF",
            "a request made with the session cookie must carry the session's X-CSRF-Token header (GET /api/v1/auth/session)",
        ));
    }
    if active.session.stage == SessionStage::SecondFactor && !allowed(SECOND_FACTOR_ROUTES, parts) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "SECOND_FACTOR_REQUIRED",
            "complete the second factor first (POST /api/v1/auth/totp)",
        ));
    }
    if active.session.stage == SessionStage::Full
        && active.login.must_change_password
        && !allowed(MUST_CHANGE_ROUTES, parts)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PASSWORD_CHANGE_REQUIRED",
            "change the password first (POST /api/v1/account/password)",
        ));
    }
    Ok(active)
}

/// The caller a request's session cookie authenticates (see
/// [`session_of`]); what [`crate::auth`] uses without an `Authorization`
/// header.
pub async fn resolve_cookie(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    session_of(parts, state).await.map(|a| a.caller())
}

/// [`resolve_cookie`] with how the caller authenticated
/// ([`crate::auth::Credential::Session`]), for the request's extensions.
pub async fn resolve_cookie_credential(
    parts: &Parts,
    state: &AppState,
) -> Result<(Caller, crate::auth::Credential), ApiError> {
    let active = session_of(parts, state).await?;
    let credential = crate::auth::Credential::Session {
        username: active.user.username.clone(),
    };
    Ok((active.caller(), credential))
}

/// A request made with a valid session (the extractor of the session's
/// own endpoints: a bearer token is not a session).
pub struct SessionAuth(pub Active);

impl FromRequestParts<std::sync::Arc<AppStateInner>> for SessionAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &std::sync::Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        if cookie_id(&parts.headers).is_none()
            && parts
                .headers
                .contains_key(axum::http::header::AUTHORIZATION)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "SESSION_REQUIRED",
                "this needs a person's session (POST /api/v1/auth/login), not an API token",
            ));
        }
        session_of(parts, state).await.map(SessionAuth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; tamga_session=abc; b=2"),
        );
        assert_eq!(cookie_id(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("x=1"));
        h.append(COOKIE, HeaderValue::from_static("tamga_session=def"));
        assert_eq!(cookie_id(&h), Some("def"));
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("tamga_sessionx=1; tamga_session="),
        );
        assert_eq!(cookie_id(&h), None);
    }
}
