//! Layer 1: structure and formats. (Placeholder: being filled in.)

use super::{rule, Violation};
use crate::declaration::Declaration;

pub fn parse_declaration(doc: &serde_json::Value) -> (Option<Declaration>, Vec<Violation>) {
    match serde_json::from_value::<Declaration>(doc.clone()) {
        Ok(d) => (Some(d), vec![]),
        Err(e) => {
            let r = rule("FLC-JSON-TYPE");
            (None, vec![Violation { code: r.code.into(), severity: r.severity, message: e.to_string(), pointer: String::new() }])
        }
    }
}
