//! The one HTTP error type: every failure is JSON with a stable code,
//! never an HTML page. Its `message` is in the language of the request's
//! `Accept-Language` ([`crate::error_lang`]); code, pointer and status are
//! the same in every language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use tamga_app::account::AccountError;
use tamga_app::AppError;
use tamga_core::control::Violation;
use tamga_core::ledger::LedgerError;

/// Error body: `{"error": {...}}`. The `message` texts (of the error and
/// of each violation) are in the language of the request's
/// `Accept-Language` header when the service has it (English, Russian),
/// else English; the answer's `Content-Language` names it. `code`,
/// `pointer` and the status are the same in every language: match on
/// them, not on the text.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// For people: in the language of `Accept-Language` (default English).
    pub message: String,
    /// JSON pointer to the offending field, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Every control violation, for rejected declarations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<Violation>,
    /// On a server error (5xx): the request's id, which the service's log
    /// names with the cause. Nothing else of the cause is sent.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub pointer: Option<String>,
    pub violations: Vec<Violation>,
    /// The values `message` shows, for its translations
    /// ([`crate::error_lang`]); a boxed slice keeps `ApiError` small.
    pub args: Box<[(&'static str, String)]>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            pointer: None,
            violations: Vec::new(),
            args: Box::default(),
        }
    }

    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn with_pointer(mut self, pointer: &str) -> Self {
        self.pointer = Some(pointer.to_owned());
        self
    }

    pub fn bad_request(code: &str, pointer: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message).at(pointer)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let code = e.code();
        let status = match &e {
            AppError::Rejected(_) | AppError::Signature { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::LrnConflict { .. } => StatusCode::CONFLICT,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Denied { .. } => StatusCode::FORBIDDEN,
            AppError::InvalidState(_) | AppError::Stale => StatusCode::CONFLICT,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::PaymentNotSecured { .. } => StatusCode::CONFLICT,
            AppError::Account(a) => account_status(a),
        };
        if status.is_server_error() {
            // The cause goes to the log (the request's span names the
            // request id); the client gets the code and the request id.
            tracing::error!(code, error = %crate::observe::cause_chain(&e), "request failed");
            return ApiError::new(status, code, "internal error");
        }
        let mut api = ApiError::new(status, code, e.to_string());
        api.args = crate::error_lang::details(&e).into_boxed_slice();
        match e {
            AppError::Rejected(v) => api.violations = v,
            AppError::BadRequest { pointer, .. } | AppError::Conflict { pointer, .. } => {
                api.pointer = Some(pointer)
            }
            // The signature covers the whole body.
            AppError::Signature { .. } => api.pointer = Some(String::new()),
            AppError::LrnConflict { .. } => api.pointer = Some("/lrn".into()),
            _ => {}
        }
        api
    }
}

fn account_status(e: &AccountError) -> StatusCode {
    match e {
        AccountError::Ledger(LedgerError::DuplicatePayment(_)) => StatusCode::CONFLICT,
        AccountError::Ledger(LedgerError::UnknownPaymentReference(_))
        | AccountError::Ledger(LedgerError::UnknownRefund(_)) => StatusCode::NOT_FOUND,
        AccountError::Ledger(LedgerError::RefundDecided(_)) => StatusCode::CONFLICT,
        AccountError::Ledger(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AccountError::Insufficient { .. } => StatusCode::CONFLICT,
        AccountError::NoAccount { .. } => StatusCode::NOT_FOUND,
        AccountError::BadPeriod => StatusCode::BAD_REQUEST,
        AccountError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AccountError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                pointer: self.pointer,
                violations: self.violations,
                // Added to 5xx bodies by `crate::observe::request_id`.
                request_id: None,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if !self.args.is_empty() {
            response
                .extensions_mut()
                .insert(crate::error_lang::ErrorArgs(self.args.into_vec()));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
