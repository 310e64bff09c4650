//! Request ids, the request log and opaque server errors (issue 14,
//! items 7 and 8).
//!
//! - [`request_id`] (the outermost layer) gives every request a fresh id
//!   (UUID v4; a client's own `X-Request-Id` is not trusted), puts it in the
//!   request's extensions and the response's `X-Request-Id`, and makes a
//!   5xx answer opaque: its body keeps only the stable code and gains the
//!   request id. What went wrong is logged where the error is made (an
//!   ERROR event with the cause chain, inside the request's span, which
//!   carries the request id), never sent to the client.
//! - [`trace_layer`]: one span per API request, named by the matched
//!   route (`otel.name` = method and route, e.g. `POST
//!   /api/v1/declarations/{mrn}/release`), with the method, route, request
//!   id, and the status and latency recorded when it is answered; one INFO
//!   line per request then.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;

use crate::error::{ErrorBody, ErrorDetail};

/// The header that carries the request id, both ways.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id (in its extensions).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Gives the request its id and makes a 5xx answer opaque (module doc).
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let value = HeaderValue::from_str(&id).expect("a UUID is a header value");
    req.headers_mut().insert(REQUEST_ID.clone(), value.clone());
    req.extensions_mut().insert(RequestId(id.clone()));
    let response = next.run(req).await;
    // The portal's HTML error page shows the request id and nothing else.
    let html = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let mut response = if response.status().is_server_error() && !html {
        opaque(response, &id).await
    } else {
        response
    };
    response.headers_mut().insert(REQUEST_ID.clone(), value);
    response
}

/// The body of a 5xx answer: its stable code (from the error body, else
/// `INTERNAL`), a fixed message and the request id; nothing else of what
/// the handler said.
async fn opaque(response: Response, id: &str) -> Response {
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let code = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
        .filter(|c| is_stable_code(c))
        .unwrap_or_else(|| "INTERNAL".to_owned());
    let message = if parts.status == StatusCode::SERVICE_UNAVAILABLE {
        "the service is unavailable; retry later"
    } else {
        "internal error; the request id identifies it in the service's log"
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: message.to_owned(),
            pointer: None,
            violations: Vec::new(),
            request_id: Some(id.to_owned()),
        },
    };
    let mut out = (parts.status, axum::Json(body)).into_response();
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// An error code as the API makes them: upper-case ASCII letters, digits,
/// `_` and `-`, at most 64.
fn is_stable_code(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 64
        && c.chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_' || ch == '-')
}

/// The span of an API request (see the module doc).
#[derive(Clone, Copy, Debug, Default)]
pub struct RouteSpan;

impl<B> MakeSpan<B> for RouteSpan {
    fn make_span(&mut self, req: &axum::http::Request<B>) -> Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("(unmatched)", |m| m.as_str());
        let id = req
            .extensions()
            .get::<RequestId>()
            .map_or("", |r| r.0.as_str());
        tracing::info_span!(
            "request",
            otel.name = %format_args!("{} {route}", req.method()),
            method = %req.method(),
            route = %route,
            request_id = %id,
            status = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        )
    }
}

/// Records the status and latency on the span and logs the request's one
/// INFO line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Answered;

impl<B> OnResponse<B> for Answered {
    fn on_response(self, response: &axum::http::Response<B>, latency: Duration, span: &Span) {
        let status = response.status().as_u16();
        let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        span.record("status", status);
        span.record("latency_us", latency_us);
        tracing::info!(status, latency_us, "answered");
    }
}

/// The request log of the API router.
pub fn trace_layer(
) -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RouteSpan, (), Answered, (), (), ()> {
    TraceLayer::new_for_http()
        .make_span_with(RouteSpan)
        .on_request(())
        .on_response(Answered)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// `e` and its sources, `: `-separated (what a log line needs to say why).
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_pass_through() {
        assert!(is_stable_code("STORAGE_ERROR"));
        assert!(is_stable_code("FLC-BODY-TOO-LARGE"));
        assert!(!is_stable_code("no such table: mandates"));
        assert!(!is_stable_code(""));
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("storage failed")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn the_cause_chain_names_every_source() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(cause_chain(&e), "storage failed: disk full");
    }
}
