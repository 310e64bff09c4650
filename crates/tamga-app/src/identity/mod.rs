//! People, parties and identity (issue 15): who may log in and how.
//!
//! - [`password`]: argon2id hashes and the password policy.
//! - [`registration`]: an operator's online registration, parsed.
//! - [`people`]: registration decisions, users, roles, offices, audit.
//! - [`login`]: password login with throttling, the second factor,
//!   password changes and administrators' resets.
//! - [`sessions`]: browser sessions (hashed random ids, stages).
//! - [`totp`]: RFC 6238 codes and provisioning URIs.
//!
//! The modules beside it (registration and approval of operators, users
//! and roles, sessions and the second factor, API tokens) build on these.

pub mod epoch;
pub mod login;
pub mod password;
pub mod people;
pub mod registration;
pub mod sessions;
pub mod tokens;
pub mod totp;
