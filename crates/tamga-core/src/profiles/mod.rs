//! Risk profiles: a small expression language over declaration, item,
//! party and trader attributes, compiled into an index so that evaluating a
//! declaration does not cost in proportion to the number of profiles.
//!
//! ```text
//! hs6 in ["870323", "870324"] and origin == "CN"
//!     and value_per_kg < 2.5 and not trader.aeo
//! ```
//!
//! - [`syntax`]: lexer and parser (grammar in its docs); errors carry line,
//!   column and a stable code, and no input makes it panic.
//! - [`schema`]: the attributes and their types; the type checker refuses
//!   unknown attributes, type mismatches, malformed codes and cheaply
//!   detectable contradictions.
//! - [`subject`]: [`RiskSubject`], the flattened view of a declaration and
//!   its trader that profiles read.
//! - [`engine`]: [`Profile`], [`CompiledProfile`], [`ProfileEngine`] (the
//!   index) and [`what_would_hit`].
//!
//! Semantics: item attributes (`hs*`, `origin`, values, documents...) are
//! read on one goods item at a time; a profile that uses any hits the
//! declaration when its expression holds on some item (the first is
//! reported). Comparisons on an absent value are false, except `!=` and
//! `not in`, which are their negations.

pub mod engine;
pub mod schema;
pub mod subject;
pub mod syntax;

#[cfg(test)]
mod goods_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_tests;

use serde::Serialize;

pub use engine::{
    check_expression, what_would_hit, AttrValue, CompiledProfile, Control, EngineStats,
    HeldCondition, Profile, ProfileEngine, ProfileHit,
};
pub use schema::{schema, AttributeInfo};
pub use subject::{ItemSubject, RiskSubject, TraderCategory, TraderContext};

/// Why a profile is refused. `code` is stable (`PROFILE_SYNTAX_*`,
/// `PROFILE_UNKNOWN_ATTRIBUTE`, `PROFILE_TYPE_MISMATCH`, ...); `line` and
/// `column` are 1-based positions in the expression, or 0 for errors in
/// the profile's other fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ProfileError {
    pub code: &'static str,
    pub line: u32,
    pub column: u32,
    pub message: String,
}
