//! The binary's tests, one test binary (so one link) for all of them: the
//! dependency rule between the crates, the command line, and crash
//! durability. Run one suite with e.g. `cargo test -p tamga --test it crash::`.

mod admin;
mod architecture;
mod cli;
mod crash;
mod demo_tour;
mod hs;
mod risk_model;
