//! People, parties and identity (issue 15): who may log in and how.
//!
//! - [`password`]: argon2id hashes and the password policy.
//! - [`registration`]: an operator's online registration, parsed.
//! - [`people`]: registration decisions, users, roles, offices, audit.
//!
//! The modules beside it (registration and approval of operators, users
//! and roles, sessions and the second factor, API tokens) build on these.

pub mod epoch;
pub mod password;
pub mod people;
pub mod registration;
pub mod tokens;
