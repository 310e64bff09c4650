//! Request middleware that keeps the service answering (issue 13,
//! findings 4 and 12):
//!
//! - [`rate_limit`]: per client address and per API token (GCRA through
//!   `governor`), 429 `RATE_LIMITED` with `Retry-After`.
//! - [`hs_rate_limit`]: the HS classification assistant's own, tighter
//!   rate per client address (its API and its page), so nobody keeps the
//!   instance's processors ranking descriptions.
//! - [`values_rate_limit`]: the public value calculator's rate per client
//!   address, as tight as the assistant's (each answer reads the
//!   database).
//! - [`read_body`]: a request's body is read whole, within its time-out
//!   (408 `REQUEST_TIMEOUT`) and a memory budget, *before* the request
//!   takes an in-flight slot, so a slow sender holds a little memory and
//!   no worker slot.
//! - [`json_errors`]: any error response that is not JSON (axum's
//!   extractor rejections: JSON, query, path, content type, headers;
//!   default 404/405; …) becomes the [`ApiError`] body with a stable code,
//!   and a JSON pointer when the rejection names the field.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http_body_util::BodyExt;
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::transport::Limits;

/// State of the guard middleware of one router.
pub struct Guard {
    body_timeout: Duration,
    body_memory: Arc<Semaphore>,
    body_memory_max: usize,
    by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_token: Option<DefaultKeyedRateLimiter<String>>,
    /// Requests to the HS classification assistant per client address.
    hs_by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Requests to the public value calculator per client address.
    values_by_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

/// Forget idle rate-limit keys every this many checks.
const RETAIN_EVERY: u64 = 16_384;

fn limiter<K: std::hash::Hash + Eq + Clone>(
    rate: u32,
    burst: u32,
) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate).max(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Guard {
    pub fn new(limits: &Limits) -> Arc<Self> {
        let memory = limits
            .body_memory
            .clamp(crate::appeal_routes::MAX_BODY, Semaphore::MAX_PERMITS);
        Arc::new(Guard {
            body_timeout: limits.body_timeout,
            body_memory: Arc::new(Semaphore::new(memory)),
            body_memory_max: memory,
            by_address: limiter(limits.address_rate, limits.address_burst),
            by_token: limiter(limits.token_rate, limits.token_burst),
            hs_by_address: limiter(limits.hs_rate, limits.hs_burst),
            values_by_address: limiter(limits.hs_rate, limits.hs_burst),
            checks: AtomicU64::new(0),
        })
    }

    fn housekeeping(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            if let Some(l) = &self.by_address {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if let Some(l) = &self.by_token {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if let Some(l) = &self.hs_by_address {
                l.retain_recent();
                l.shrink_to_fit();
            }
            if let Some(l) = &self.values_by_address {
                l.retain_recent();
                l.shrink_to_fit();
            }
        }
    }
}

fn too_many(wait: Duration, what: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut r = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("too many requests {what}; retry after {secs} s"),
    )
    .into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// The bearer token of a request, if it sends one.
fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Per-address, then per-token request rates.
pub async fn rate_limit(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    g.housekeeping();
    if let (Some(l), Some(peer)) = (&g.by_address, crate::transport::client_address(&req)) {
        if let Err(n) = l.check_key(&peer.ip()) {
            return too_many(n.wait_time_from(l.clock().now()), "from this address");
        }
    }
    if let (Some(l), Some(token)) = (&g.by_token, bearer(&req)) {
        // Keyed by the token's hash, as tokens are stored.
        let key = tamga_app::clearance::sha256_hex(token.as_bytes());
        if let Err(n) = l.check_key(&key) {
            return too_many(n.wait_time_from(l.clock().now()), "with this token");
        }
    }
    next.run(req).await
}

/// The HS classification assistant's rate per client address (a route
/// layer of its API and its page; see [`crate::hs_assistant`]).
pub async fn hs_rate_limit(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let what = "to the HS classification assistant from this address";
    match per_address(g.hs_by_address.as_ref(), &req, what) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

/// The public value calculator's rate per client address (a route layer
/// of `GET /api/v1/values/reference`; the same rate as the HS assistant's).
pub async fn values_rate_limit(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let what = "to the value calculator from this address";
    match per_address(g.values_by_address.as_ref(), &req, what) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

/// A public service's rate per client address: the 429 when the address
/// has used its share (`what` says of what).
fn per_address(
    limiter: Option<&DefaultKeyedRateLimiter<IpAddr>>,
    req: &Request,
    what: &str,
) -> Option<Response> {
    let (l, peer) = (limiter?, crate::transport::client_address(req)?);
    l.check_key(&peer.ip())
        .err()
        .map(|n| too_many(n.wait_time_from(l.clock().now()), what))
}

fn timed_out() -> Response {
    let mut r = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "REQUEST_TIMEOUT",
        "the request body did not arrive in time",
    )
    .into_response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn too_large(limit: usize) -> Response {
    let mut r = ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "FLC-BODY-TOO-LARGE",
        format!("the body exceeds {limit} bytes"),
    )
    .into_response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Reads the whole body (at most [`crate::MAX_BODY`], or the larger
/// limit of the route: [`crate::appeal_routes::body_limit`]) within the
/// body time-out, holding its bytes' share of the body memory budget until
/// the response is made.
pub async fn read_body(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    let (parts, mut body) = req.into_parts();
    let limit = crate::appeal_routes::body_limit(
        &parts.method,
        parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str()),
    );
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let deadline = tokio::time::Instant::now() + g.body_timeout;
    // Grown as bytes arrive (a declared length is not trusted).
    let mut buf = Vec::new();
    let mut held: Option<tokio::sync::OwnedSemaphorePermit> = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return timed_out(),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "BODY_UNREADABLE",
                    format!("the request body could not be read: {e}"),
                )
                .into_response()
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if buf.len() + data.len() > limit {
            return too_large(limit);
        }
        if !data.is_empty() {
            let n = u32::try_from(data.len().min(g.body_memory_max)).unwrap_or(u32::MAX);
            let permit =
                tokio::time::timeout_at(deadline, g.body_memory.clone().acquire_many_owned(n))
                    .await;
            match permit {
                Err(_) => return timed_out(),
                // The budget's semaphore is never closed.
                Ok(Err(_)) => {
                    return ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "UNAVAILABLE",
                        "the service is shutting down",
                    )
                    .into_response()
                }
                Ok(Ok(p)) => match &mut held {
                    Some(h) => h.merge(p),
                    None => held = Some(p),
                },
            }
        }
        buf.extend_from_slice(&data);
    }
    let req = Request::from_parts(parts, Body::from(Bytes::from(buf)));
    let response = next.run(req).await;
    drop(held);
    response
}

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        })
}

fn is_html(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// An EDIFACT answer (a CONTRL or CUSRES to a lodged CUSDEC,
/// [`crate::edifact_answer`]).
fn is_edifact(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case(crate::edifact_answer::EDIFACT))
}

/// Turns every error response that is not JSON (nor the portal's HTML
/// error page, [`crate::portal::html_errors`], nor an EDIFACT answer) into
/// the JSON error body.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    // The portal's HTML error page is already an answer for a browser, and
    // a CONTRL or CUSRES for a broker's software.
    if !(status.is_client_error() || status.is_server_error())
        || is_json(&response)
        || is_html(&response)
        || is_edifact(&response)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let mut out = from_rejection(status, String::from_utf8_lossy(&text).trim()).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// The [`ApiError`] for a plain-text error response (`text` is axum's
/// rejection text, or empty).
pub fn from_rejection(status: StatusCode, text: &str) -> ApiError {
    const JSON_DATA: &str = "Failed to deserialize the JSON body into the target type: ";
    const JSON_SYNTAX: &str = "Failed to parse the request body as JSON: ";
    if let Some(rest) = text.strip_prefix(JSON_DATA) {
        let (pointer, detail) = split_path(rest);
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "REQUEST_JSON",
            format!("the JSON body does not have the expected form: {detail}"),
        )
        .at(pointer);
    }
    if let Some(rest) = text.strip_prefix(JSON_SYNTAX) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "REQUEST_JSON",
            format!("the body is not valid JSON: {rest}"),
        )
        .at("");
    }
    if text.starts_with("Expected request with `Content-Type: application/json`") {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "CONTENT_TYPE",
            "send the body with Content-Type: application/json",
        );
    }
    if text.starts_with("Request body didn't contain valid UTF-8") {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "BODY_NOT_UTF8",
            "the request body is not valid UTF-8",
        )
        .at("");
    }
    if let Some(rest) = text.strip_prefix("Failed to deserialize query string: ") {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "QUERY_PARAMETERS",
            format!("bad query parameters: {rest}"),
        );
    }
    if let Some(rest) = text.strip_prefix("Invalid URL: ") {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "PATH_PARAMETERS",
            format!("bad path: {rest}"),
        );
    }
    if text.starts_with("Failed to buffer the request body")
        && status != StatusCode::PAYLOAD_TOO_LARGE
    {
        return ApiError::new(
            status,
            "BODY_UNREADABLE",
            "the request body could not be read",
        );
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "no such endpoint; see /api/v1/openapi.json"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("METHOD_NOT_ALLOWED", "method not allowed on this endpoint")
        }
        StatusCode::REQUEST_TIMEOUT => ("REQUEST_TIMEOUT", "the request did not arrive in time"),
        StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::new(
                status,
                "FLC-BODY-TOO-LARGE",
                format!("the body exceeds {} bytes", crate::MAX_BODY),
            )
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("CONTENT_TYPE", "unsupported content type"),
        StatusCode::TOO_MANY_REQUESTS => ("RATE_LIMITED", "too many requests"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("HEADERS_TOO_LARGE", "request headers too large")
        }
        StatusCode::UNAUTHORIZED => ("UNAUTHORIZED", "authentication required"),
        StatusCode::FORBIDDEN => ("FORBIDDEN", "not allowed"),
        StatusCode::SERVICE_UNAVAILABLE => ("UNAVAILABLE", "service unavailable"),
        s if s.is_server_error() => ("INTERNAL", "internal error"),
        _ => ("BAD_REQUEST", "the request is malformed"),
    };
    // axum's own texts are plain sentences; a server error's text is not
    // shown (it may come from anywhere).
    let message = if !text.is_empty() && status.is_client_error() && status != StatusCode::NOT_FOUND
    {
        format!("{message}: {text}")
    } else {
        message.to_owned()
    };
    ApiError::new(status, code, message)
}

/// Splits serde_path_to_error's `path: detail` into a JSON pointer and the
/// detail (`items[0].amount` is `/items/0/amount`; no path is the root).
fn split_path(rest: &str) -> (String, &str) {
    match rest.split_once(": ") {
        Some((path, detail)) if !path.is_empty() && !path.contains(char::is_whitespace) => {
            (pointer_of(path), detail)
        }
        _ => (String::new(), rest),
    }
}

pub(crate) fn pointer_of(path: &str) -> String {
    let mut out = String::new();
    for seg in path.split('.') {
        let (name, indexes) = match seg.find('[') {
            Some(i) => seg.split_at(i),
            None => (seg, ""),
        };
        if !name.is_empty() && name != "?" {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        for idx in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            out.push('/');
            out.push_str(idx);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_pointers() {
        assert_eq!(pointer_of("items[0].amount"), "/items/0/amount");
        assert_eq!(pointer_of("version"), "/version");
        assert_eq!(pointer_of("a[1][2].b/c"), "/a/1/2/b~1c");
        assert_eq!(
            split_path("version: invalid type: string \"x\", expected u32 at line 1 column 15"),
            (
                "/version".to_owned(),
                "invalid type: string \"x\", expected u32 at line 1 column 15"
            )
        );
        assert_eq!(
            split_path("invalid type: map, expected u32"),
            (String::new(), "invalid type: map, expected u32")
        );
    }

    #[test]
    fn rejections_get_stable_codes() {
        let e = from_rejection(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Invalid UTF-8 in `mrn`",
        );
        assert_eq!(
            (e.status, e.code.as_str()),
            (StatusCode::BAD_REQUEST, "PATH_PARAMETERS")
        );
        let e = from_rejection(StatusCode::METHOD_NOT_ALLOWED, "");
        assert_eq!(e.code, "METHOD_NOT_ALLOWED");
        let e = from_rejection(StatusCode::INTERNAL_SERVER_ERROR, "secret detail");
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("INTERNAL", "internal error")
        );
    }
}
