//! Extractors whose rejection is the API's own JSON error ([`ApiError`]),
//! with a stable code and a JSON pointer to the offending field, so a
//! handler never maps an axum rejection itself:
//!
//! - [`ApiJson`]: a JSON body; 400 `REQUEST_JSON` at the field serde
//!   stopped on (`""` for a body that is not JSON at all), 415
//!   `CONTENT_TYPE`, 413 `FLC-BODY-TOO-LARGE`.
//! - [`ApiQuery`]: query parameters; 400 `QUERY_PARAMETERS` at `/<name>`.
//! - [`ApiPath`]: the route's path parameter as a typed code
//!   ([`PathParam`]); 400 with the code's own error code (`MRN_FORMAT`, …)
//!   at `/<name>`, or `PATH_PARAMETERS` when it is not UTF-8.
//! - [`ApiBytes`]: the raw body (signed requests), 413 / 400
//!   `BODY_UNREADABLE`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use tamga_core::codes::{CodeError, Eori, Mrn, OfficeCode};

use crate::error::ApiError;
use crate::guard::{from_rejection, pointer_of};

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn json_error(e: JsonRejection) -> ApiError {
    // axum's texts name serde's path to the field; the guard's mapping
    // turns them into the code and pointer every JSON error has.
    from_rejection(e.status(), &e.body_text())
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match <Json<T> as FromRequest<S>>::from_request(req, state).await {
            Ok(Json(t)) => Ok(ApiJson(t)),
            Err(e) => Err(json_error(e)),
        }
    }
}

/// `Option<ApiJson<T>>`: `None` when the request has no body type at all
/// (no `Content-Type`); a body of another type is still refused (415).
impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        match <Json<T> as OptionalFromRequest<S>>::from_request(req, state).await {
            Ok(j) => Ok(j.map(|Json(t)| ApiJson(t))),
            Err(e) => Err(json_error(e)),
        }
    }
}

/// The raw request body (a signed request's exact bytes).
#[derive(Debug)]
pub struct ApiBytes(pub Bytes);

fn bytes_error(e: BytesRejection) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "FLC-BODY-TOO-LARGE",
            format!("the body exceeds {} bytes", crate::MAX_BODY),
        )
    } else {
        ApiError::new(status, "BODY_UNREADABLE", e.body_text())
    }
}

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(bytes_error)
    }
}

/// Query parameters of type `T`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// The error for a query string that does not fit `T`, at the parameter
/// serde stopped on (a missing one is named by serde's message).
fn query_error(e: serde_path_to_error::Error<serde_urlencoded::de::Error>) -> ApiError {
    let message = e.inner().to_string();
    let path = e.path().to_string();
    let pointer = if path != "." && !path.is_empty() {
        pointer_of(&path)
    } else {
        message
            .strip_prefix("missing field `")
            .and_then(|r| r.split_once('`'))
            .map(|(name, _)| format!("/{name}"))
            .unwrap_or_default()
    };
    ApiError::bad_request(
        "QUERY_PARAMETERS",
        &pointer,
        format!("bad query parameters: {message}"),
    )
}

/// Parses a query string (without the `?`) into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(query_error)
}

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// A value a path parameter holds: parsed from its (percent-decoded) text,
/// or the error code and message saying why not.
pub trait PathParam: Sized {
    fn parse_param(text: &str) -> Result<Self, CodeError>;
}

impl PathParam for String {
    fn parse_param(text: &str) -> Result<Self, CodeError> {
        Ok(text.to_owned())
    }
}

impl PathParam for Mrn {
    fn parse_param(text: &str) -> Result<Self, CodeError> {
        Mrn::parse(text)
    }
}

impl PathParam for Eori {
    fn parse_param(text: &str) -> Result<Self, CodeError> {
        Eori::parse(text)
    }
}

impl PathParam for OfficeCode {
    fn parse_param(text: &str) -> Result<Self, CodeError> {
        OfficeCode::parse(text)
    }
}

/// The route's (single) path parameter as a `T`; its errors point at
/// `/<parameter name>`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: PathParam,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                // "Invalid UTF-8 in `name`": the parameter is named.
                let text = e.body_text();
                let name = text.split('`').nth(1).unwrap_or_default();
                ApiError::bad_request(
                    "PATH_PARAMETERS",
                    &if name.is_empty() {
                        String::new()
                    } else {
                        format!("/{name}")
                    },
                    format!("bad path: {text}"),
                )
            })?;
        let Some((name, text)) = raw.iter().next() else {
            tracing::error!("ApiPath used on a route without a path parameter");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            ));
        };
        T::parse_param(text)
            .map(ApiPath)
            .map_err(|e| ApiError::bad_request(e.code, &format!("/{name}"), e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        from: String,
        limit: Option<u32>,
    }

    #[test]
    fn query_errors_point_at_the_parameter() {
        let e = parse_query::<Q>("from=x&limit=lots").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.code, "QUERY_PARAMETERS");
        assert_eq!(e.pointer.as_deref(), Some("/limit"));
        let e = parse_query::<Q>("limit=3").unwrap_err();
        assert_eq!(e.pointer.as_deref(), Some("/from"), "{}", e.message);
        let q = parse_query::<Q>("from=2026-01-01&limit=3").unwrap();
        assert_eq!((q.from.as_str(), q.limit), ("2026-01-01", Some(3)));
    }
}
