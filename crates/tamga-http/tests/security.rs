//! The security suite: one module per finding of the outside security test
//! (issue 13), each asserting the control that closes it, through the real
//! server on port 0 like an attacker would. Stories run on SQLite, and on
//! PostgreSQL too when `TAMGA_TEST_PG_URL` is set. The threats and their
//! controls are described in `docs/security.md`.

#[macro_use]
mod common;

#[path = "security/f01_representation.rs"]
mod f01_representation;
#[path = "security/f02_amendment_risk.rs"]
mod f02_amendment_risk;
#[path = "security/f03_random_selection.rs"]
mod f03_random_selection;
#[path = "security/f04_slow_clients.rs"]
mod f04_slow_clients;
#[path = "security/f05_webhooks.rs"]
mod f05_webhooks;
#[path = "security/f06_controlled_version.rs"]
mod f06_controlled_version;
#[path = "security/f07_prearrival_disclosure.rs"]
mod f07_prearrival_disclosure;
#[path = "security/f08_replayed_signatures.rs"]
mod f08_replayed_signatures;
#[path = "security/f09_signing_keys.rs"]
mod f09_signing_keys;
#[path = "security/f10_bank_role.rs"]
mod f10_bank_role;
#[path = "security/f11_amounts.rs"]
mod f11_amounts;
#[path = "security/f12_json_errors.rs"]
mod f12_json_errors;
#[path = "security/f13_key_registration.rs"]
mod f13_key_registration;
