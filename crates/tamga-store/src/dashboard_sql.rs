//! The manager's dashboards as SQL aggregates over a period: the
//! database counts and sums, and only the aggregates (a few rows per day
//! and per channel) come back, never the declarations themselves.
//!
//! Times are unix nanoseconds on both backends, so a day is an integer
//! division of a time by [`DAY_NANOS`] (UTC days). Percentiles of the
//! time from lodging to release are nearest-rank, picked by window
//! functions (`ROW_NUMBER` and `COUNT` over each channel), which SQLite
//! and PostgreSQL both have, so one statement serves both.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use crate::placeholders::{numbered as pg_sql, plain as sqlite_sql};
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::Result;

/// Nanoseconds in a day.
pub const DAY_NANOS: i64 = 86_400_000_000_000;

/// Declarations registered on a day in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayChannel {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub channel: String,
    pub declarations: i64,
}

/// Time from registration to release in a channel: how many were
/// released, the median and the 90th percentile, in nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTimes {
    pub channel: String,
    pub released: i64,
    pub median_nanos: i64,
    pub p90_nanos: i64,
}

/// Duties collected on a day (credits to the revenue account, minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRevenue {
    pub day: i64,
    pub currency: String,
    /// The amount in minor units of the currency.
    pub amount_minor: i64,
    /// How many decimal places a minor unit is (the currency's).
    pub places: i64,
}

/// Inspection tasks closed on a day and how many had findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayInspections {
    pub day: i64,
    pub closed: i64,
    pub findings: i64,
}

/// A risk profile's hits among the declarations registered in the
/// period, how many of those were controlled and how many had findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileYield {
    pub profile_id: String,
    pub hits: i64,
    pub controls: i64,
    pub findings: i64,
}

#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Declarations registered in `[from, to)` per day and channel.
    async fn dash_declarations(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<DayChannel>>;
    /// Release times per channel of the declarations registered in
    /// `[from, to)` and released.
    async fn dash_release_times(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<ReleaseTimes>>;
    /// Duties credited to the revenue accounts in `[from, to)` per day.
    async fn dash_revenue(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<DayRevenue>>;
    /// Inspection tasks closed in `[from, to)` per day.
    async fn dash_inspections(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<DayInspections>>;
    /// Profiles that hit declarations registered in `[from, to)`.
    async fn dash_profile_yields(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<ProfileYield>>;
}

fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

const DECLARATIONS: &str = "SELECT registered_at / 86400000000000 AS day, channel, COUNT(*) AS n \
     FROM declarations WHERE registered_at >= ? AND registered_at < ? \
     GROUP BY registered_at / 86400000000000, channel ORDER BY day, channel";

const RELEASE_TIMES: &str = "SELECT channel, n, rn, dur FROM ( \
       SELECT d.channel AS channel, e.at - d.registered_at AS dur, \
              ROW_NUMBER() OVER (PARTITION BY d.channel ORDER BY e.at - d.registered_at) AS rn, \
              COUNT(*) OVER (PARTITION BY d.channel) AS n \
       FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'released' \
       WHERE d.registered_at >= ? AND d.registered_at < ?) t \
     WHERE rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10 ORDER BY channel, rn";

const REVENUE: &str = "SELECT e.at / 86400000000000 AS day, a.currency AS currency, \
       CAST(SUM(e.delta) AS BIGINT) AS amount, CAST(COALESCE(MAX(c.minor_units), 2) AS BIGINT) AS places \
     FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account \
     LEFT JOIN currencies c ON c.code = a.currency \
     WHERE a.owner = '' AND a.kind = 'revenue' AND e.at >= ? AND e.at < ? \
     GROUP BY e.at / 86400000000000, a.currency ORDER BY day, currency";

const INSPECTIONS: &str = "SELECT closed_at / 86400000000000 AS day, COUNT(*) AS closed, \
       CAST(SUM(CASE WHEN outcome = 'findings' THEN 1 ELSE 0 END) AS BIGINT) AS findings \
     FROM ops_tasks WHERE status = 'done' AND closed_at >= ? AND closed_at < ? \
     GROUP BY closed_at / 86400000000000 ORDER BY day";

/// The hits of each profile, one row per (declaration, profile), from the
/// risk decisions of the declarations registered in the period; `{hits}`
/// is the backend's way to list a JSON array's `profileId`s.
const YIELDS: &str = "SELECT h.pid AS pid, COUNT(DISTINCT h.mrn) AS hits, \
       COUNT(DISTINCT CASE WHEN t.outcome IS NOT NULL THEN h.mrn END) AS controls, \
       COUNT(DISTINCT CASE WHEN t.outcome = 'findings' THEN h.mrn END) AS findings \
     FROM ({hits}) h LEFT JOIN ops_tasks t ON t.mrn = h.mrn \
     GROUP BY h.pid ORDER BY h.pid";

const SQLITE_HITS: &str = "SELECT e.mrn AS mrn, json_extract(j.value, '$.profileId') AS pid \
     FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'risk_assessed', \
          json_each(e.body, '$.decision.profileHits') j \
     WHERE d.registered_at >= ? AND d.registered_at < ?";

const PG_HITS: &str = "SELECT e.mrn AS mrn, j.value ->> 'profileId' AS pid \
     FROM declarations d JOIN events e ON e.mrn = d.mrn AND e.kind = 'risk_assessed' \
     CROSS JOIN LATERAL jsonb_array_elements(COALESCE(e.body::jsonb #> '{decision,profileHits}', '[]'::jsonb)) j \
     WHERE d.registered_at >= ? AND d.registered_at < ?";

macro_rules! dashboard_backend {
    ($store:ty, $read:ident, $sql:ident, $hits:expr) => {
        #[async_trait]
        impl DashboardStore for $store {
            async fn dash_declarations(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<DayChannel>> {
                let rows = sqlx::query(&$sql(DECLARATIONS))
                    .bind(nanos(from))
                    .bind(nanos(to))
                    .fetch_all(&self.$read)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DayChannel {
                            day: r.try_get("day")?,
                            channel: r.try_get("channel")?,
                            declarations: r.try_get("n")?,
                        })
                    })
                    .collect()
            }

            async fn dash_release_times(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<ReleaseTimes>> {
                let rows = sqlx::query(&$sql(RELEASE_TIMES))
                    .bind(nanos(from))
                    .bind(nanos(to))
                    .fetch_all(&self.$read)
                    .await?;
                let mut out: Vec<ReleaseTimes> = Vec::new();
                for r in &rows {
                    let channel: String = r.try_get("channel")?;
                    let n: i64 = r.try_get("n")?;
                    let rn: i64 = r.try_get("rn")?;
                    let dur: i64 = r.try_get("dur")?;
                    if out.last().map(|o| &o.channel) != Some(&channel) {
                        out.push(ReleaseTimes {
                            channel: channel.clone(),
                            released: n,
                            median_nanos: dur,
                            p90_nanos: dur,
                        });
                    }
                    let o = out.last_mut().expect("pushed");
                    if rn == (n + 1) / 2 {
                        o.median_nanos = dur;
                    }
                    if rn == (9 * n + 9) / 10 {
                        o.p90_nanos = dur;
                    }
                }
                Ok(out)
            }

            async fn dash_revenue(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<DayRevenue>> {
                let rows = sqlx::query(&$sql(REVENUE))
                    .bind(nanos(from))
                    .bind(nanos(to))
                    .fetch_all(&self.$read)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DayRevenue {
                            day: r.try_get("day")?,
                            currency: r.try_get("currency")?,
                            amount_minor: r.try_get("amount")?,
                            places: r.try_get("places")?,
                        })
                    })
                    .collect()
            }

            async fn dash_inspections(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<DayInspections>> {
                let rows = sqlx::query(&$sql(INSPECTIONS))
                    .bind(nanos(from))
                    .bind(nanos(to))
                    .fetch_all(&self.$read)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DayInspections {
                            day: r.try_get("day")?,
                            closed: r.try_get("closed")?,
                            findings: r.try_get("findings")?,
                        })
                    })
                    .collect()
            }

            async fn dash_profile_yields(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<ProfileYield>> {
                let sql = YIELDS.replace("{hits}", $hits);
                let rows = sqlx::query(&$sql(&sql))
                    .bind(nanos(from))
                    .bind(nanos(to))
                    .fetch_all(&self.$read)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(ProfileYield {
                            profile_id: r.try_get::<Option<String>, _>("pid")?.unwrap_or_default(),
                            hits: r.try_get("hits")?,
                            controls: r.try_get("controls")?,
                            findings: r.try_get("findings")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

dashboard_backend!(SqliteStore, reader, sqlite_sql, SQLITE_HITS);
dashboard_backend!(PgStore, pool, pg_sql, PG_HITS);
