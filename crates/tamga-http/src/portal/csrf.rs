//! CSRF protection of the portal's forms, in the one place every
//! authenticated request passes ([`crate::access::enforce`]).
//!
//! The API's rule is that a request authenticated by the session cookie
//! with a method other than GET/HEAD carries the session's token in
//! `X-CSRF-Token` ([`crate::session`]). An HTML form cannot send a header,
//! so a page's form carries the token as the hidden field `_csrf`
//! ([`tamga_portal::CSRF_FIELD`]); [`lift`] reads it from the posted body
//! (URL-encoded or multipart) and puts it in the header, and the session
//! check then runs unchanged: one comparison, in constant time, for the
//! API and the pages alike. A form without the field has no header and
//! is refused with 403 `CSRF`. The body is kept for the handler.
//!
//! Only page routes (outside `/api/`) get this, and only without an
//! `Authorization` header; the session cookie is also `SameSite=Strict`.

use axum::body::{to_bytes, Body};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::session::CSRF_HEADER;

use super::viewer::MAX_FORM;

/// Whether the request is a page's state-changing form post.
pub fn is_page_post(parts: &Parts) -> bool {
    let path = parts.uri.path();
    parts.method == Method::POST
        && !(path == "/api" || path.starts_with("/api/"))
        && !parts.headers.contains_key(header::AUTHORIZATION)
}

/// The value of the form field `_csrf` in `bytes` of `content_type`.
async fn field(content_type: &str, bytes: &axum::body::Bytes) -> Option<String> {
    let name = tamga_portal::CSRF_FIELD;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(bytes)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned());
    }
    if content_type.starts_with("multipart/form-data") {
        let req = Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes.clone()))
            .ok()?;
        let mut mp =
            <axum::extract::Multipart as axum::extract::FromRequest<()>>::from_request(req, &())
                .await
                .ok()?;
        while let Ok(Some(f)) = mp.next_field().await {
            if f.name() == Some(name) {
                return f.text().await.ok();
            }
        }
    }
    None
}

/// Lifts a page form's `_csrf` field into the `X-CSRF-Token` header (see
/// the module doc); returns the body to pass on.
pub async fn lift(parts: &mut Parts, body: Body) -> Result<Body, Response> {
    if !is_page_post(parts) {
        return Ok(body);
    }
    let bytes = to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // A header the client set itself is never trusted on a page post.
    parts.headers.remove(CSRF_HEADER);
    if let Some(token) = field(&content_type, &bytes).await {
        if let Ok(v) = HeaderValue::from_str(&token) {
            parts.headers.insert(CSRF_HEADER, v);
        }
    }
    Ok(Body::from(bytes))
}
