//! The service tests, one binary (so one link) for all of them: on SQLite
//! and, when `TAMGA_TEST_PG_URL` is set, on PostgreSQL. Run one suite with
//! e.g. `cargo test -p tamga-app --test it payments::`.

mod instances;
mod officer_signatures;
mod payments;
