//! The rule catalog: every control rule's stable code, layer, severity and
//! message. (Placeholder: being filled in.)

use super::{Layer, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RuleDef {
    pub code: &'static str,
    pub layer: Layer,
    pub severity: Severity,
    pub message: &'static str,
}

pub static RULES: &[RuleDef] = &[RuleDef {
    code: "FLC-JSON-TYPE",
    layer: Layer::Structure,
    severity: Severity::Error,
    message: "the document does not match the declaration structure",
}];

/// The rule with this code. Panics on an unknown code: codes are constants
/// in this crate and a test checks every one used exists.
pub fn rule(code: &str) -> &'static RuleDef {
    RULES.iter().find(|r| r.code == code).unwrap_or_else(|| panic!("unknown rule {code}"))
}
