//! Operations storage (issue 4): the trader digital twin (metrics over time and category changes), inspectors with their competences, dispatching of controlled declarations and inspection tasks with their findings.
//!
//! One trait, implemented for both backends in this file; its tables are
//! created by this module's own migration on each backend.

use async_trait::async_trait;

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;

#[async_trait]
pub trait OpsStore: Send + Sync {}

impl OpsStore for SqliteStore {}

impl OpsStore for PgStore {}
