//! The portal's view tests: every page rendered in every language over a
//! real service (SQLite), the translations complete, escaping, no inline
//! script or style, and the page weight.

mod views;
