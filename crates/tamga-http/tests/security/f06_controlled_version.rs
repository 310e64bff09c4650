//! Finding 6 (medium): a declaration changed after inspection was still released.
