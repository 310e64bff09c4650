//! Risk-management storage (issue 4): risk profiles with their versions, activation and audit; risk decisions with their hits; pre-arrival information and its preliminary decisions.
//!
//! One trait, implemented for both backends in this file; its tables are
//! created by this module's own migration on each backend.

use async_trait::async_trait;

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;

#[async_trait]
pub trait RiskStore: Send + Sync {}

impl RiskStore for SqliteStore {}

impl RiskStore for PgStore {}
