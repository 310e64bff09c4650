//! Finding 12 (info): some errors were plain text or showed Rust debug formatting.
