//! The security suite: one module per finding of the outside security test
//! (issue 13), each asserting the control that closes it, through the real
//! server on port 0 like an attacker would. Stories run on SQLite, and on
//! PostgreSQL too when `TAMGA_TEST_PG_URL` is set. The threats and their
//! controls are described in `docs/security.md`.

mod f01_representation;
mod f02_amendment_risk;
mod f03_random_selection;
mod f04_slow_clients;
mod f05_webhooks;
mod f06_controlled_version;
mod f07_prearrival_disclosure;
mod f08_replayed_signatures;
mod f09_signing_keys;
mod f10_bank_role;
mod f11_amounts;
mod f12_json_errors;
mod f13_key_registration;
mod f14_invalidation_under_control;
