//! Layer 3: cross-field logic. (Placeholder: being filled in.)

use super::{ControlContext, Violation};
use crate::declaration::Declaration;

pub fn check(_d: &Declaration, _ctx: &ControlContext<'_>) -> Vec<Violation> {
    Vec::new()
}
