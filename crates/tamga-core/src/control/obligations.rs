//! Layer 2: obligations and code lists. (Placeholder: being filled in.)

use super::{ControlContext, Violation};
use crate::declaration::Declaration;

pub fn check(_doc: &serde_json::Value, _d: &Declaration, _ctx: &ControlContext<'_>) -> Vec<Violation> {
    Vec::new()
}
