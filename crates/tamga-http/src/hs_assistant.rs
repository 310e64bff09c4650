//! The HS classification assistant ([`tamga_hs`]) as a service of this
//! instance, shared by `GET /api/v1/hs/suggestions` ([`crate::hs_routes`])
//! and the `/hs` page ([`crate::portal::hs`]).
//!
//! - **Built in the background.** The model is built from the data
//!   compiled into the binary and the classifications officers confirmed
//!   ([`tamga_app::goods::learning`]: seconds of one core, again when
//!   officers confirm more) on a thread of its own, `tamga-hs-build`, never
//!   on a runtime worker ([`tamga_app::goods::HsModel`], shared with
//!   lodging's goods check): the server answers and lodges while it builds
//!   (they share the machine's cores for those seconds). It starts with
//!   the service, or on the first request that needs it when
//!   [`tamga_app::Settings::hs_build_at_start`] is off. Until it is built
//!   the assistant answers 503 [`HS_NOT_READY`] with `Retry-After`; if it
//!   cannot be built (the shipped data is broken: a defect, logged) 503
//!   [`HS_UNAVAILABLE`].
//! - **Input parsed first** ([`Description::parse`]): 1 to
//!   [`MAX_DESCRIPTION_CHARS`] characters, not only blanks, no control
//!   characters but tab and line breaks; each refusal has its code
//!   (`HS_QUERY_*`) for the parameter `q`.
//! - **Bounded work.** A ranking runs in `spawn_blocking` (the latency
//!   guard: it never holds a runtime worker), at most one per core of the
//!   machine at once; a request that cannot get a slot within
//!   [`SLOT_WAIT`] is answered 503 [`HS_BUSY`] with `Retry-After: 1`.
//!   The rate per client address is [`crate::guard::hs_rate_limit`]'s.
//!
//! Nothing here is shared between instances, nor needs to be: the model is
//! built from data in the binary and labels in the database, the same on
//! every instance, and the limits protect this instance's processors.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use tamga_app::goods::{HsModel, ModelRef, ModelState};
use tamga_hs::{HsError, Suggestion};

use crate::error::ApiError;

/// The model is not built yet (503, with `Retry-After`).
pub const HS_NOT_READY: &str = "HS_NOT_READY";
/// The model could not be built (503).
pub const HS_UNAVAILABLE: &str = "HS_UNAVAILABLE";
/// Every ranking slot stayed taken for [`SLOT_WAIT`] (503, `Retry-After: 1`).
pub const HS_BUSY: &str = "HS_BUSY";
/// The description is empty or only blanks.
pub const HS_QUERY_EMPTY: &str = "HS_QUERY_EMPTY";
/// The description is longer than [`MAX_DESCRIPTION_CHARS`].
pub const HS_QUERY_TOO_LONG: &str = "HS_QUERY_TOO_LONG";
/// The description holds a control character.
pub const HS_QUERY_NOT_TEXT: &str = "HS_QUERY_NOT_TEXT";

/// The longest description accepted, in characters (a declaration's goods
/// description is at most 512; this is what a person types).
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// The most candidates one request asks for.
pub const MAX_TOP: u32 = 20;
/// Candidates when the request does not say.
pub const DEFAULT_TOP: u32 = 5;
/// How long a request waits for a ranking slot.
pub const SLOT_WAIT: Duration = Duration::from_secs(2);
/// What `Retry-After` says while the model is being built, in seconds.
pub const BUILD_RETRY_AFTER: u64 = 5;
/// The parameter a description comes in.
pub const POINTER: &str = "/q";

/// A description the assistant will read: blanks around it trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

/// Why a description is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("the description is empty")]
    Empty,
    #[error(
        "the description is {chars} characters long; at most {MAX_DESCRIPTION_CHARS} are accepted"
    )]
    TooLong { chars: usize },
    #[error("the description is not text: control character U+{code:04X} at character {position}")]
    NotText { code: u32, position: usize },
}

impl DescriptionError {
    pub fn code(&self) -> &'static str {
        match self {
            DescriptionError::Empty => HS_QUERY_EMPTY,
            DescriptionError::TooLong { .. } => HS_QUERY_TOO_LONG,
            DescriptionError::NotText { .. } => HS_QUERY_NOT_TEXT,
        }
    }

    /// The API's error: 400 at `q`.
    pub fn api_error(&self) -> ApiError {
        ApiError::bad_request(self.code(), POINTER, self.to_string())
    }
}

impl Description {
    /// 1 to [`MAX_DESCRIPTION_CHARS`] characters (counted before
    /// trimming), not only blanks, and no control character (C0, DEL, C1)
    /// but tab, line feed and carriage return.
    pub fn parse(text: &str) -> Result<Description, DescriptionError> {
        let mut chars = 0;
        for (i, c) in text.chars().enumerate() {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                return Err(DescriptionError::NotText {
                    code: c as u32,
                    position: i + 1,
                });
            }
            chars = i + 1;
        }
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(DescriptionError::TooLong { chars });
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DescriptionError::Empty);
        }
        Ok(Description(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The assistant's answer for one description.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Whether any word of the description is known to the model. When
    /// none is, `suggestions` is empty: its scores would say nothing.
    pub recognised: bool,
    /// The best subheadings, best first, with their reasons.
    pub suggestions: Vec<Suggestion>,
}

/// Why the assistant cannot answer now (all 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Still being built.
    NotReady,
    /// Could not be built.
    Failed,
    /// No ranking slot came free in time.
    Busy,
}

impl Unavailable {
    pub fn code(self) -> &'static str {
        match self {
            Unavailable::NotReady => HS_NOT_READY,
            Unavailable::Failed => HS_UNAVAILABLE,
            Unavailable::Busy => HS_BUSY,
        }
    }

    /// Seconds for `Retry-After` (none when waiting will not help).
    pub fn retry_after(self) -> Option<u64> {
        match self {
            Unavailable::NotReady => Some(BUILD_RETRY_AFTER),
            Unavailable::Failed => None,
            Unavailable::Busy => Some(1),
        }
    }

    fn message(self) -> &'static str {
        match self {
            Unavailable::NotReady => {
                "the HS classification assistant is still being built; retry in a few seconds"
            }
            Unavailable::Failed => "the HS classification assistant is not available",
            Unavailable::Busy => "the HS classification assistant is busy; retry in a second",
        }
    }

    /// Puts `Retry-After` on a response, when there is one to say.
    pub fn add_retry_after(self, response: &mut Response) {
        if let Some(s) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
    }
}

impl IntoResponse for Unavailable {
    fn into_response(self) -> Response {
        let mut r = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, self.code(), self.message())
            .into_response();
        self.add_retry_after(&mut r);
        r
    }
}

/// A request the assistant did not answer.
#[derive(Debug)]
pub enum Refusal {
    Unavailable(Unavailable),
    /// A failure that is not the caller's (a panic in the ranking): 500.
    Internal(ApiError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unavailable(u) => u.into_response(),
            Refusal::Internal(e) => e.into_response(),
        }
    }
}

/// The assistant of one instance (see the module doc).
pub struct HsAssistant {
    /// The model, shared with lodging's goods check
    /// ([`tamga_app::goods::GoodsCheck::model`]).
    model: Arc<HsModel>,
    slots: Arc<Semaphore>,
}

impl HsAssistant {
    pub fn new(model: Arc<HsModel>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HsAssistant {
            model,
            slots: Arc::new(Semaphore::new(cores.max(1))),
        }
    }

    /// Starts building the model on its own thread (once; later calls do
    /// nothing).
    pub fn start(&self) {
        self.model.start();
    }

    /// The model, once built (starting its build if nobody has).
    pub fn classifier(&self) -> Result<ModelRef, Unavailable> {
        self.model.classifier().map_err(|s| match s {
            ModelState::NotReady => Unavailable::NotReady,
            ModelState::Failed => Unavailable::Failed,
        })
    }

    /// Whether the model is built.
    pub fn is_ready(&self) -> bool {
        self.model.is_ready()
    }

    /// The `top` best subheadings for a description, ranked on the
    /// blocking pool within a slot.
    pub async fn suggest(&self, description: &Description, top: u32) -> Result<Answer, Refusal> {
        let classifier = self.classifier().map_err(Refusal::Unavailable)?;
        let permit = tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Refusal::Unavailable(Unavailable::Busy))?
            .map_err(|_| Refusal::Unavailable(Unavailable::Failed))?;
        let text = description.as_str().to_owned();
        let top = top.clamp(1, MAX_TOP) as usize;
        let ranked = tokio::task::spawn_blocking(move || {
            // The slot is held until the ranking ends, even if the request
            // is gone.
            let _permit = permit;
            let ranking = classifier.rank(&text)?;
            let recognised = ranking.has_known_terms();
            let suggestions = if recognised {
                ranking.suggestions(top)
            } else {
                Vec::new()
            };
            Ok::<_, HsError>(Answer {
                recognised,
                suggestions,
            })
        })
        .await;
        match ranked {
            Ok(Ok(answer)) => Ok(answer),
            // `Description::parse` refuses what the model refuses; one it
            // did not is a defect.
            Ok(Err(e)) => {
                tracing::error!(code = e.code(), error = %e, "the HS model refused a parsed description");
                Err(Refusal::Internal(internal()))
            }
            Err(e) => {
                tracing::error!(error = %e, "the HS ranking failed");
                Err(Refusal::Internal(internal()))
            }
        }
    }
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_parsed() {
        assert_eq!(
            Description::parse("  frozen shrimp\n").unwrap().as_str(),
            "frozen shrimp"
        );
        assert_eq!(
            Description::parse("tab\tand\r\nbreaks").unwrap().as_str(),
            "tab\tand\r\nbreaks"
        );
        for empty in ["", " ", "\n\t ", "\u{3000}"] {
            assert_eq!(
                Description::parse(empty),
                Err(DescriptionError::Empty),
                "{empty:?}"
            );
        }
        assert_eq!(
            Description::parse("tea\u{0}").unwrap_err().code(),
            HS_QUERY_NOT_TEXT
        );
        assert_eq!(
            Description::parse("\u{1b}[31m"),
            Err(DescriptionError::NotText {
                code: 0x1b,
                position: 1
            })
        );
        assert_eq!(
            Description::parse("a\u{85}b").unwrap_err().code(),
            HS_QUERY_NOT_TEXT
        );
        assert_eq!(
            Description::parse("\u{7f}").unwrap_err().code(),
            HS_QUERY_NOT_TEXT
        );
        // Characters, not bytes: 500 Cyrillic letters are 1,000 bytes.
        let ok = "я".repeat(MAX_DESCRIPTION_CHARS);
        assert!(Description::parse(&ok).is_ok());
        let long = "я".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(
            Description::parse(&long),
            Err(DescriptionError::TooLong { chars: 501 })
        );
        let e = Description::parse(&long).unwrap_err().api_error();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.pointer.as_deref(), Some("/q"));
    }

    #[test]
    fn unavailability_says_when_to_retry() {
        assert_eq!(Unavailable::NotReady.retry_after(), Some(BUILD_RETRY_AFTER));
        assert_eq!(Unavailable::Busy.retry_after(), Some(1));
        assert_eq!(Unavailable::Failed.retry_after(), None);
        let r = Unavailable::NotReady.into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
        let r = Unavailable::Failed.into_response();
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
    }
}
