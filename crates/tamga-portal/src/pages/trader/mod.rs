//! The trader's and broker's area (`/trader…`): the dashboard, the
//! declarations list and page, and lodging, amending and invalidating
//! through forms signed in the browser, and the drafts of the lodging
//! form.
//!
//! Every page reads the same `tamga_app` service as the API route it
//! mirrors, with the session's caller, so a page shows exactly what the
//! API shows that operator (a declaration of someone else is "not found",
//! risk details are never shown: the events come redacted).

mod dashboard;
mod detail;
mod drafts;
pub mod form;
mod list;
mod lodge;

pub use dashboard::dashboard;
pub use detail::detail;
pub use drafts::{draft_body, draft_check, draft_form, draft_typed, drafts, save_draft, Saved};
pub use list::list;
pub use lodge::{
    amend_check, amend_form, invalidate_form, lodge_check, lodge_failed, new_form, upload_check,
    Act,
};

use tamga_app::AppError;
use tamga_core::lifecycle::State;

use super::PageError;
use crate::Tr;

/// Why a trader page could not be shown: the page itself failed, or the
/// service refused (the HTTP layer answers a service error as the API
/// does: not found → 404 page, forbidden → 403 page).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Page(#[from] PageError),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<askama::Error> for Failure {
    fn from(e: askama::Error) -> Failure {
        Failure::Page(PageError::Template(e))
    }
}

/// Every state, in the order of a declaration's life.
pub const STATES: [State; 6] = [
    State::Registered,
    State::UnderControl,
    State::AwaitingPayment,
    State::Released,
    State::Refused,
    State::Invalidated,
];

/// A state's name in the page's language.
pub fn state_name(tr: &Tr, s: State) -> String {
    tr.t(&format!("trader-state-{}", s.as_str().replace('_', "-")))
}

/// A channel's name in the page's language.
pub fn channel_name(tr: &Tr, c: tamga_core::lifecycle::Channel) -> String {
    tr.t(&format!("trader-channel-{}", c.as_str()))
}

/// `2026-12-06 14:03 UTC`.
pub fn when(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// An RFC 3339 time as [`when`] shows it (as given when unreadable).
pub fn when_text(s: &str) -> String {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(when)
        .unwrap_or_else(|_| s.to_owned())
}
