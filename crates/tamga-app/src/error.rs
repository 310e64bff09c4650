//! The one error type of the application services. Every variant has a
//! stable machine code; the HTTP layer maps variants to status codes.

use tamga_core::control::Violation;
use tamga_core::lifecycle::TransitionError;
use tamga_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The declaration (or amendment) failed format-logical control or its
    /// signature check; every violation is listed.
    #[error("rejected by control: {} violation(s)", .0.len())]
    Rejected(Vec<Violation>),
    /// The declarant already used this LRN for a different body.
    #[error("LRN {lrn} was already used by this declarant for a different declaration ({mrn})")]
    LrnConflict { lrn: String, mrn: String },
    #[error("{what} not found")]
    NotFound { what: String },
    /// Authenticated but not allowed to see or act on this.
    #[error("{0}")]
    Forbidden(String),
    /// Authenticated but refused for a reason with its own code (e.g. a
    /// signing key that needs an administrator's approval) (403).
    #[error("{message}")]
    Denied { code: &'static str, message: String },
    /// The act is not allowed in the declaration's current state.
    #[error(transparent)]
    InvalidState(#[from] TransitionError),
    /// Someone changed the declaration at the same time; retry.
    #[error("the declaration changed concurrently; retry")]
    Stale,
    /// An officer act's signature is missing, made with a key the officer
    /// has not registered, or does not verify; nothing was written (422).
    #[error("{message}")]
    Signature { code: &'static str, message: String },
    /// A request other than a declaration is malformed.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        pointer: String,
        message: String,
    },
    /// A well-formed request that conflicts with what another user holds
    /// (e.g. a public key registered to someone else) or with the
    /// declaration as it stands now (e.g. an act signed for an older
    /// version) (409).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        pointer: String,
        message: String,
    },
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// The declaration's duties cannot be secured: the accounts do not
    /// cover them.
    #[error("duties of {mrn} ({due}) are not covered: {available} available")]
    PaymentNotSecured {
        mrn: String,
        due: rust_decimal::Decimal,
        available: rust_decimal::Decimal,
    },
    /// A single-personal-account operation was refused.
    #[error(transparent)]
    Account(#[from] crate::account::AccountError),
    /// The service is shutting down or its writer stopped.
    #[error("service unavailable: {0}")]
    Unavailable(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Rejected(_) => "DECLARATION_REJECTED",
            AppError::LrnConflict { .. } => "FLC-LRN-CONFLICT",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Denied { code, .. } => code,
            AppError::InvalidState(_) => "INVALID_STATE",
            AppError::Stale => "CONCURRENT_CHANGE",
            AppError::BadRequest { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::Signature { code, .. } => code,
            AppError::Store(_) => "STORAGE_ERROR",
            AppError::PaymentNotSecured { .. } => "PAYMENT_NOT_SECURED",
            AppError::Account(e) => e.code(),
            AppError::Unavailable(_) => "UNAVAILABLE",
        }
    }

    pub fn bad_request(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AppError::BadRequest {
            code,
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }
}
