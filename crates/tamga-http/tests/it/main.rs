//! The integration tests of the HTTP crate, one binary (so one link) for
//! all of them: the real server on port 0 over a fresh database
//! ([`common`]), each story on SQLite and, when `TAMGA_TEST_PG_URL` is set,
//! on PostgreSQL. Run one suite with e.g.
//! `cargo test -p tamga-http --test it security::`.

#[macro_use]
mod common;
#[macro_use]
mod browser_support;

mod access_and_errors;
mod api;
mod api_lang;
mod appeals;
mod browser;
mod dms_notifications;
mod edifact_lodging;
mod event_view_api;
mod goods_check;
mod hs;
mod hs_learning;
mod login;
mod openapi_doc;
mod payments;
mod people;
mod portal_accessibility;
mod portal_account;
mod portal_appeals;
mod portal_directory;
mod portal_drafts;
mod portal_login;
mod portal_models;
mod portal_officer;
mod portal_onboarding;
mod portal_paged;
mod portal_risk_russian;
mod portal_russian;
mod portal_staff;
mod portal_trader;
mod risk_api;
mod risk_model_api;
mod security;
mod tokens;
mod value_control;
mod workbench_api;
mod xml_amendments;
mod xml_lodging;
