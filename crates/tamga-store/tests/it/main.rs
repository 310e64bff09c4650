//! The storage stories, one binary (so one link) for all of them: each runs
//! on SQLite always and on PostgreSQL when `TAMGA_TEST_PG_URL` is set. Run
//! one suite with e.g. `cargo test -p tamga-store --test it ledger::`.

mod draw_secrets;
mod ledger;
mod mandates;
mod ops;
mod risk;
mod story;
