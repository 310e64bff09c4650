//! Format-logical control: a rule engine whose rules are data.
//!
//! Every rule has a stable code, a layer, a severity and a message template
//! ([`catalog::RULES`]); a check reports [`Violation`]s that carry the rule's
//! code and a JSON pointer to the offending element. All violations are
//! reported at once.
//!
//! Three layers run in order:
//! 1. [`structure`]: the lodged JSON is parsed into a typed [`Declaration`];
//!    wrong types, formats and lengths are reported with pointers.
//! 2. [`obligations`]: which data elements are mandatory, optional or
//!    forbidden per declaration type and additional type (a table), and the
//!    code lists (HS nomenclature on the date, countries, currencies,
//!    offices, procedures, documents).
//! 3. [`logic`]: cross-field rules (masses, totals, dates, combinations).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::Eori;
use crate::declaration::Declaration;
use crate::reference::ReferenceData;

pub mod catalog;
pub mod fields;
pub mod logic;
pub mod obligations;
pub mod structure;

pub use catalog::{rule, violation, RuleDef, RULES};
pub use structure::parse_declaration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    /// Rejects the declaration.
    Error,
    /// Reported to the declarant, does not reject.
    Warning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Layer {
    Structure,
    Obligation,
    Logic,
    /// Duty assessment with the tariff, after control (unknown goods code
    /// for the tariff, missing quantity, prohibition, missing licence…).
    Duties,
}

/// One broken rule, pointing at the offending element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// The rule's stable code, e.g. `FLC-ITEM-MASS`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// RFC 6901 JSON pointer into the lodged document ("" is the root).
    pub pointer: String,
    /// For a declaration lodged as a standard message (WCO DEC-DMS XML):
    /// the XPath of the element the problem is in (for a missing value,
    /// the nearest element that should hold it). Absent for JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xpath: Option<String>,
    /// For a declaration lodged as UN/EDIFACT CUSDEC: the position of the
    /// segment (element, component) the problem is in, as ISO 9735-4
    /// counts (`segment 12 (FTX) element 5 component 1`; for a missing
    /// value, the segment that should hold it). Absent otherwise. (Boxed:
    /// a violation stays small enough to be an `Err`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub segment: Option<Box<str>>,
}

/// What control needs to know besides the declaration itself.
#[derive(Debug, Clone)]
pub struct ControlContext<'a> {
    pub reference: &'a ReferenceData,
    /// The lodging date (UTC): codes must be valid and dates not later.
    pub today: Date,
    /// The authenticated operator lodging it: must be the declarant or the
    /// representative.
    pub lodged_by: &'a Eori,
}

/// Outcome of control over a lodged JSON document.
#[derive(Debug, Clone)]
pub struct ControlReport {
    /// The typed declaration, when the structure layer could build one.
    pub declaration: Option<Declaration>,
    /// Every violation, errors and warnings, in layer order.
    pub violations: Vec<Violation>,
}

impl ControlReport {
    pub fn passed(&self) -> bool {
        self.declaration.is_some()
            && !self
                .violations
                .iter()
                .any(|v| v.severity == Severity::Error)
    }
}

/// Runs all three layers over a lodged JSON value.
pub fn run(doc: &serde_json::Value, ctx: &ControlContext<'_>) -> ControlReport {
    let (declaration, mut violations) = parse_declaration(doc);
    if let Some(d) = &declaration {
        violations.extend(obligations::check(doc, d, ctx));
        violations.extend(logic::check(d, ctx));
    }
    ControlReport {
        declaration,
        violations,
    }
}
