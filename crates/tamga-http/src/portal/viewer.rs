//! Who a page is shown to: the browser session behind a page request,
//! as the portal's [`Me`], and the page handlers' helpers (the session of
//! a logged-in page, a posted form, redirects).
//!
//! A page behind a login has a rule in [`crate::access::RULES`] like any
//! endpoint: [`crate::access::enforce`] authenticates the session (its
//! CSRF token lifted from the form by [`super::csrf`]) and checks the
//! roles before the handler runs, and the services check what the
//! caller may see, so a page shows exactly what the API would.

use axum::body::{to_bytes, Body};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use tamga_app::identity::sessions::{self, Active};
use tamga_portal::pages::form::Posted;
use tamga_portal::Me;
use tamga_store::SessionStage;

use crate::{session, AppState};

/// The portal's view of a session's person.
pub fn me_of(active: &Active) -> Me {
    Me {
        username: active.user.username.clone(),
        display_name: if active.user.name.is_empty() {
            active.user.username.clone()
        } else {
            active.user.name.clone()
        },
        roles: active.user.roles.clone(),
        operator: active.user.operator.as_ref().map(|e| e.to_string()),
        csrf: active.session.csrf.clone(),
        caller: active.caller(),
    }
}

/// The logged-in person of a public page, if the request carries a valid,
/// fully logged-in session (nothing is refused here).
pub async fn viewer(parts: &Parts, state: &AppState) -> Option<Me> {
    let id = session::cookie_id(&parts.headers)?;
    let now = time::OffsetDateTime::now_utc();
    let active = sessions::resolve(state.clearance.store(), id, now)
        .await
        .ok()??;
    (active.session.stage == SessionStage::Full && !active.login.must_change_password)
        .then(|| me_of(&active))
}

/// The session of a page behind a login ([`crate::access::enforce`] has
/// checked it already; this reads it for the handler).
pub async fn page_session(parts: &Parts, state: &AppState) -> Result<Active, Response> {
    session::session_of(parts, state)
        .await
        .map_err(IntoResponse::into_response)
}

/// The largest form a page accepts (a declaration file upload included).
pub const MAX_FORM: usize = 4 * 1024 * 1024;

/// A posted `application/x-www-form-urlencoded` body.
pub async fn posted(body: Body) -> Result<Posted, Response> {
    let bytes = to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    Ok(Posted(
        form_urlencoded::parse(&bytes).into_owned().collect(),
    ))
}

/// `303 See Other` to `to` (a path of this site).
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
