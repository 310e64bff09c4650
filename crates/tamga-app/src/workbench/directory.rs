//! The traders' directory of the digital twin, for the customs staff who
//! read trader profiles (the same callers as
//! [`Workbench::trader_profile`], without operators: the list is of
//! every trader): traders found by EORI or name a page at a time (the
//! store's SQL reads only the page), each with its category as of today,
//! and a trader's latest inspections and findings.

use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn};
use tamga_core::traders::{self, Assessment, TraderMetrics};
use tamga_store::directory_sql::{TraderInspection, TraderQuery};
use tamga_store::ops_sql::FindingRecord;
use tamga_store::Role;

use crate::error::AppError;
use crate::Caller;

use super::Workbench;

/// The longest search text (characters).
pub const SEARCH_MAX: usize = 100;

/// A trader in the directory: what it is and its category as of today.
#[derive(Debug, Clone)]
pub struct TraderSummary {
    pub operator: Eori,
    pub name: String,
    pub registered_at: OffsetDateTime,
    pub aeo: bool,
    pub metrics: TraderMetrics,
    pub assessment: Assessment,
}

/// A page of the directory and how many traders match in all.
#[derive(Debug, Clone, Default)]
pub struct TraderDirectory {
    pub rows: Vec<TraderSummary>,
    pub total: u64,
}

/// A trader's latest inspections and findings.
#[derive(Debug, Clone, Default)]
pub struct TraderControls {
    pub inspections: Vec<TraderInspection>,
    pub findings: Vec<(Mrn, FindingRecord)>,
}

/// Customs staff who read every trader's profile (the bank does not).
fn staff(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::User(u) if !u.has(Role::Bank) && u.operator.is_none() => Ok(()),
        _ => Err(AppError::Forbidden(
            "the traders' directory is for customs staff".into(),
        )),
    }
}

impl Workbench {
    /// Traders whose EORI or name contains `search`, `limit` of them from
    /// `offset`, ordered by EORI; each assessed as the profile is.
    pub async fn trader_directory(
        &self,
        caller: &Caller,
        search: &str,
        offset: u32,
        limit: u32,
    ) -> Result<TraderDirectory, AppError> {
        staff(caller)?;
        let search = search.trim();
        if search.chars().count() > SEARCH_MAX {
            return Err(AppError::bad_request(
                "QUERY_PARAMETERS",
                "/q",
                format!("the search is at most {SEARCH_MAX} characters"),
            ));
        }
        let page = self
            .store()
            .trader_directory(&TraderQuery {
                search: search.to_owned(),
                offset,
                limit: limit.clamp(1, 200),
            })
            .await?;
        let today = OffsetDateTime::now_utc().date();
        let map = self.twin.map.read().expect("lock");
        let rows = page
            .rows
            .into_iter()
            .map(|r| {
                // The twin in memory is what the profile shows; a trader it
                // does not know yet is assessed from the stored row.
                let (metrics, aeo, days) = match map.get(&r.operator) {
                    Some(e) => (e.metrics.clone(), e.aeo, e.days(today)),
                    None => (
                        r.metrics.unwrap_or_default(),
                        r.aeo,
                        traders::days_between(r.registered_at.date(), today),
                    ),
                };
                TraderSummary {
                    assessment: traders::assess(&metrics, aeo, days),
                    operator: r.operator,
                    name: r.name,
                    registered_at: r.registered_at,
                    aeo,
                    metrics,
                }
            })
            .collect();
        Ok(TraderDirectory {
            rows,
            total: page.total,
        })
    }

    /// A trader's latest `limit` inspections and findings (customs staff;
    /// 404 for an unknown trader).
    pub async fn trader_controls(
        &self,
        caller: &Caller,
        op: &Eori,
        limit: u32,
    ) -> Result<TraderControls, AppError> {
        staff(caller)?;
        if self.store().operator(op).await?.is_none() {
            return Err(AppError::not_found(format!("trader {op}")));
        }
        let limit = limit.clamp(1, 200);
        Ok(TraderControls {
            inspections: self.store().trader_inspections(op, limit).await?,
            findings: self.store().trader_findings(op, limit).await?,
        })
    }
}
