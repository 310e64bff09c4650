//! Finding 9 (low): a public key could be registered by two users.
