//! The portal's directories, read with SQL so that a page reads only
//! what it shows: traders with their stored metrics (searched by EORI or
//! name, a page at a time), a trader's recent inspections and findings,
//! the staff counts of the offices, and the notifications of one
//! declaration to one party.
//!
//! One trait, implemented for both backends with the SQL written once
//! (`?` placeholders, rewritten to `$n` for PostgreSQL). The tables are
//! other modules' (`operators`, `ops_*`, `users`, `notifications`); the
//! index on the notifications' MRN is `0023_office_hours.sql`'s.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use tamga_core::codes::{Eori, Mrn, OfficeCode};
use tamga_core::traders::TraderMetrics;

use crate::codec::{self, Get, NOTIFICATION_COLUMNS};
use crate::ops_sql::{Finding, FindingRecord};
use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{Notification, Result};

/// Which traders to list: those whose EORI or name contains `search`
/// (any case; empty: all), ordered by EORI, `limit` from `offset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraderQuery {
    pub search: String,
    pub offset: u32,
    pub limit: u32,
}

/// A trader as the directory lists it: its stored metrics (none before
/// its first declaration is counted) and AEO status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraderListRow {
    pub operator: Eori,
    pub name: String,
    pub registered_at: OffsetDateTime,
    pub metrics: Option<TraderMetrics>,
    pub aeo: bool,
}

/// A page of the directory and how many traders match in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraderPage {
    pub rows: Vec<TraderListRow>,
    pub total: u64,
}

/// An inspection task of one of a trader's declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraderInspection {
    pub mrn: Mrn,
    pub office: OfficeCode,
    /// `yellow` or `red`.
    pub channel: String,
    /// `open` or `done`.
    pub status: String,
    /// `no_findings`, `findings` or none yet.
    pub outcome: Option<String>,
    pub created_at: OffsetDateTime,
    pub result_at: Option<OffsetDateTime>,
    pub findings: u64,
}

/// Staff of an office: users in all and those active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeStaffCount {
    pub office: String,
    pub users: u64,
    pub active: u64,
}

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Traders (operators but banks and agencies) matching `q`.
    async fn trader_directory(&self, q: &TraderQuery) -> Result<TraderPage>;
    /// The inspection tasks of `operator`'s latest `limit` inspected
    /// declarations (as declarant), newest declaration first, with their
    /// findings counted. SQLite walks the trader's declarations newest
    /// first (`CROSS JOIN` keeps that order) and stops at `limit`.
    async fn trader_inspections(
        &self,
        operator: &Eori,
        limit: u32,
    ) -> Result<Vec<TraderInspection>>;
    /// The latest `limit` findings recorded on `operator`'s declarations,
    /// newest first. SQLite walks the findings (few: only controls with
    /// findings record them) newest first and stops at `limit`.
    async fn trader_findings(
        &self,
        operator: &Eori,
        limit: u32,
    ) -> Result<Vec<(Mrn, FindingRecord)>>;
    /// Users per office (offices without users are absent).
    async fn office_staff_counts(&self) -> Result<Vec<OfficeStaffCount>>;
    /// The notifications of declaration `mrn` to `recipient`, oldest
    /// first, at most `limit`.
    async fn declaration_notifications(
        &self,
        recipient: &Eori,
        mrn: &Mrn,
        limit: u32,
    ) -> Result<Vec<Notification>>;
}

/// `%text%` for `LIKE … ESCAPE '\'`, the wildcards of `text` escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

const TRADER_WHERE: &str = "o.kind NOT IN ('bank', 'agency') \
     AND (? = '' OR o.id LIKE ? ESCAPE '\\' OR LOWER(o.name) LIKE ? ESCAPE '\\')";

fn u64_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

macro_rules! directory_backend {
    ($store:ty, $read:ident, $sql:ident) => {
        #[async_trait]
        impl DirectoryStore for $store {
            async fn trader_directory(&self, q: &TraderQuery) -> Result<TraderPage> {
                let search = q.search.trim();
                let by_id = contains_pattern(&search.to_uppercase());
                let by_name = contains_pattern(&search.to_lowercase());
                let total: i64 = sqlx::query(&$sql(&format!(
                    "SELECT COUNT(*) AS n FROM operators o WHERE {TRADER_WHERE}"
                )))
                .bind(search)
                .bind(&by_id)
                .bind(&by_name)
                .fetch_one(&self.$read)
                .await?
                .try_get("n")?;
                let rows = sqlx::query(&$sql(&format!(
                    "SELECT o.id, o.name, o.created_at, m.metrics, a.aeo \
                     FROM operators o \
                     LEFT JOIN ops_trader_metrics m ON m.operator = o.id \
                     LEFT JOIN ops_aeo a ON a.operator = o.id \
                     WHERE {TRADER_WHERE} ORDER BY o.id LIMIT ? OFFSET ?"
                )))
                .bind(search)
                .bind(&by_id)
                .bind(&by_name)
                .bind(i64::from(q.limit))
                .bind(i64::from(q.offset))
                .fetch_all(&self.$read)
                .await?;
                let rows = rows
                    .iter()
                    .map(|r| {
                        Ok(TraderListRow {
                            operator: codec::eori(r.s("id")?)?,
                            name: r.s("name")?,
                            registered_at: codec::from_nanos(r.i("created_at")?)?,
                            metrics: r
                                .os("metrics")?
                                .map(|m| codec::from_json("metrics", &m))
                                .transpose()?,
                            aeo: r.try_get::<Option<bool>, _>("aeo")?.unwrap_or(false),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(TraderPage {
                    rows,
                    total: u64_of(total),
                })
            }

            async fn trader_inspections(
                &self,
                operator: &Eori,
                limit: u32,
            ) -> Result<Vec<TraderInspection>> {
                let rows = sqlx::query(&$sql(
                    "SELECT t.mrn, t.office, t.channel, t.status, t.outcome, t.created_at, t.result_at, \
                     (SELECT COUNT(*) FROM ops_findings f WHERE f.mrn = t.mrn) AS findings \
                     FROM declarations d CROSS JOIN ops_tasks t \
                     WHERE t.mrn = d.mrn AND d.declarant = ? ORDER BY d.id DESC LIMIT ?",
                ))
                .bind(operator.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(TraderInspection {
                            mrn: codec::mrn(r.s("mrn")?)?,
                            office: codec::office(r.s("office")?)?,
                            channel: r.s("channel")?,
                            status: r.s("status")?,
                            outcome: r.os("outcome")?,
                            created_at: codec::from_nanos(r.i("created_at")?)?,
                            result_at: r
                                .try_get::<Option<i64>, _>("result_at")?
                                .map(codec::from_nanos)
                                .transpose()?,
                            findings: u64_of(r.i("findings")?),
                        })
                    })
                    .collect()
            }

            async fn trader_findings(
                &self,
                operator: &Eori,
                limit: u32,
            ) -> Result<Vec<(Mrn, FindingRecord)>> {
                let rows = sqlx::query(&$sql(
                    "SELECT f.mrn, f.officer, f.at, f.kind, f.item, f.declared_value, \
                     f.corrected_value, f.additional_duties, f.description \
                     FROM ops_findings f CROSS JOIN declarations d \
                     WHERE d.mrn = f.mrn AND d.declarant = ? ORDER BY f.id DESC LIMIT ?",
                ))
                .bind(operator.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        let item: Option<i64> = r.try_get("item")?;
                        Ok((
                            codec::mrn(r.s("mrn")?)?,
                            FindingRecord {
                                officer: r.s("officer")?,
                                at: codec::from_nanos(r.i("at")?)?,
                                finding: Finding {
                                    kind: r.s("kind")?,
                                    item: item.and_then(|i| u32::try_from(i).ok()),
                                    declared_value: r.os("declared_value")?,
                                    corrected_value: r.os("corrected_value")?,
                                    additional_duties: r.s("additional_duties")?,
                                    description: r.os("description")?,
                                },
                            },
                        ))
                    })
                    .collect()
            }

            async fn office_staff_counts(&self) -> Result<Vec<OfficeStaffCount>> {
                let rows = sqlx::query(&$sql(
                    "SELECT uo.office, COUNT(DISTINCT u.username) AS users, \
                     COUNT(DISTINCT CASE WHEN u.active THEN u.username END) AS active \
                     FROM user_offices uo JOIN users u ON u.username = uo.username \
                     GROUP BY uo.office ORDER BY uo.office",
                ))
                .fetch_all(&self.$read)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(OfficeStaffCount {
                            office: r.s("office")?,
                            users: u64_of(r.i("users")?),
                            active: u64_of(r.i("active")?),
                        })
                    })
                    .collect()
            }

            async fn declaration_notifications(
                &self,
                recipient: &Eori,
                mrn: &Mrn,
                limit: u32,
            ) -> Result<Vec<Notification>> {
                sqlx::query(&$sql(&format!(
                    "SELECT {NOTIFICATION_COLUMNS} FROM notifications \
                     WHERE mrn = ? AND recipient = ? ORDER BY id LIMIT ?"
                )))
                .bind(mrn.as_str())
                .bind(recipient.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.$read)
                .await?
                .iter()
                .map(codec::notification)
                .collect()
            }
        }
    };
}

directory_backend!(SqliteStore, reader, sqlite_sql);
directory_backend!(PgStore, pool, pg_sql);

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_escape_the_wildcards() {
        assert_eq!(contains_pattern("silk"), "%silk%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
