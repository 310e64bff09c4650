//! The manager's dashboards as SQL aggregates over a period: the
//! database counts and sums, and only the aggregates (a few rows per day
//! and per channel) come back, never the declarations themselves.
//!
//! The figures are read from summary tables kept by triggers in the
//! transaction that writes what they count (migration
//! `0021_portal_aggregates.sql` of each backend): declarations per day
//! and channel, release times per day, channel and whole second, risk
//! profile hits per day (the hits themselves in `risk_hits`, one row per
//! declaration and profile) and ledger movements per account and day. A
//! request reads a few rows per day of the period, however many
//! declarations the period holds; several instances on one database read
//! the same figures (nothing is kept in a process).
//!
//! Times are unix nanoseconds on both backends, so a day is an integer
//! division of a time by [`DAY_NANOS`] (UTC days). A period is counted
//! in whole days: `[from, to)` covers the days from `from`'s to the one
//! before the first midnight at or after `to` (a dashboard's periods are
//! whole days). Percentiles of the time from lodging to release are
//! nearest-rank over whole seconds, picked from the per-second histogram
//! (the same second as the nearest-rank time truncated to seconds).

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
/// released, the median and the 90th percentile (nearest rank), in whole
/// seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTimes {
    pub channel: String,
    pub released: i64,
    pub median_seconds: i64,
    pub p90_seconds: i64,
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

/// The whole days `[first, end)` that cover `[from, to)`.
pub fn days_of(from: OffsetDateTime, to: OffsetDateTime) -> (i64, i64) {
    let (from, to) = (nanos(from), nanos(to));
    let end = to.div_euclid(DAY_NANOS) + i64::from(to.rem_euclid(DAY_NANOS) != 0);
    (from.div_euclid(DAY_NANOS), end)
}

/// The nearest-rank median and 90th percentile of a histogram of
/// `(value, count)` in increasing value order: the values of ranks
/// `(n + 1) / 2` and `(9n + 9) / 10` (1-based) of the `n` counted.
pub fn percentiles(histogram: &[(i64, i64)]) -> Option<(i64, i64, i64)> {
    let n: i64 = histogram.iter().map(|h| h.1).sum();
    if n <= 0 {
        return None;
    }
    let at = |rank: i64| {
        let mut seen = 0;
        for (v, c) in histogram {
            seen += c;
            if seen >= rank {
                return *v;
            }
        }
        histogram.last().map_or(0, |h| h.0)
    };
    Some((n, at((n + 1) / 2), at((9 * n + 9) / 10)))
}

const DECLARATIONS: &str = "SELECT day, channel, n FROM dash_declarations \
     WHERE day >= ? AND day < ? AND n <> 0 ORDER BY day, channel";

const RELEASE_TIMES: &str =
    "SELECT channel, seconds, CAST(SUM(n) AS BIGINT) AS n FROM dash_release \
     WHERE day >= ? AND day < ? GROUP BY channel, seconds ORDER BY channel, seconds";

const REVENUE: &str = "SELECT l.day AS day, a.currency AS currency, \
       CAST(SUM(l.total) AS BIGINT) AS amount, CAST(COALESCE(MAX(c.minor_units), 2) AS BIGINT) AS places \
     FROM ledger_days l JOIN ledger_accounts a ON a.id = l.account \
     LEFT JOIN currencies c ON c.code = a.currency \
     WHERE a.owner = '' AND a.kind = 'revenue' AND l.day >= ? AND l.day < ? \
     GROUP BY l.day, a.currency ORDER BY day, currency";

const INSPECTIONS: &str = "SELECT closed_at / 86400000000000 AS day, COUNT(*) AS closed, \
       CAST(SUM(CASE WHEN outcome = 'findings' THEN 1 ELSE 0 END) AS BIGINT) AS findings \
     FROM ops_tasks WHERE status = 'done' AND closed_at >= ? AND closed_at < ? \
     GROUP BY closed_at / 86400000000000 ORDER BY day";

/// Hits per profile, from the daily counts.
const HITS: &str = "SELECT profile_id, CAST(SUM(hits) AS BIGINT) AS hits FROM dash_profile_hits \
     WHERE day >= ? AND day < ? GROUP BY profile_id ORDER BY profile_id";

/// Controls and findings per profile: the hits of the period whose
/// declaration has a control result (one task per declaration).
const CONTROLS: &str = "SELECT h.profile_id AS pid, COUNT(*) AS controls, \
       CAST(SUM(CASE WHEN t.outcome = 'findings' THEN 1 ELSE 0 END) AS BIGINT) AS findings \
     FROM risk_hits h JOIN ops_tasks t ON t.mrn = h.mrn \
     WHERE h.registered_at >= ? AND h.registered_at < ? AND t.outcome IS NOT NULL \
     GROUP BY h.profile_id";

macro_rules! dashboard_backend {
    ($store:ty, $read:ident, $sql:ident) => {
        #[async_trait]
        impl DashboardStore for $store {
            async fn dash_declarations(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<DayChannel>> {
                let (first, end) = days_of(from, to);
                let rows = sqlx::query(&$sql(DECLARATIONS))
                    .bind(first)
                    .bind(end)
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
                let (first, end) = days_of(from, to);
                let rows = sqlx::query(&$sql(RELEASE_TIMES))
                    .bind(first)
                    .bind(end)
                    .fetch_all(&self.$read)
                    .await?;
                let mut per: Vec<(String, Vec<(i64, i64)>)> = Vec::new();
                for r in &rows {
                    let channel: String = r.try_get("channel")?;
                    let bin = (r.try_get::<i64, _>("seconds")?, r.try_get::<i64, _>("n")?);
                    match per.last_mut() {
                        Some((c, h)) if *c == channel => h.push(bin),
                        _ => per.push((channel, vec![bin])),
                    }
                }
                Ok(per
                    .into_iter()
                    .filter_map(|(channel, h)| {
                        let (released, median_seconds, p90_seconds) = percentiles(&h)?;
                        Some(ReleaseTimes {
                            channel,
                            released,
                            median_seconds,
                            p90_seconds,
                        })
                    })
                    .collect())
            }

            async fn dash_revenue(
                &self,
                from: OffsetDateTime,
                to: OffsetDateTime,
            ) -> Result<Vec<DayRevenue>> {
                let (first, end) = days_of(from, to);
                let rows = sqlx::query(&$sql(REVENUE))
                    .bind(first)
                    .bind(end)
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
                let (first, end) = days_of(from, to);
                let rows = sqlx::query(&$sql(INSPECTIONS))
                    .bind(first.saturating_mul(DAY_NANOS))
                    .bind(end.saturating_mul(DAY_NANOS))
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
                let (first, end) = days_of(from, to);
                let hits = sqlx::query(&$sql(HITS))
                    .bind(first)
                    .bind(end)
                    .fetch_all(&self.$read)
                    .await?;
                let controls = sqlx::query(&$sql(CONTROLS))
                    .bind(first.saturating_mul(DAY_NANOS))
                    .bind(end.saturating_mul(DAY_NANOS))
                    .fetch_all(&self.$read)
                    .await?;
                let mut checked = std::collections::HashMap::new();
                for r in &controls {
                    let pid: String = r.try_get("pid")?;
                    let c: i64 = r.try_get("controls")?;
                    let f: i64 = r.try_get("findings")?;
                    checked.insert(pid, (c, f));
                }
                hits.iter()
                    .map(|r| {
                        let profile_id: String = r.try_get("profile_id")?;
                        let (controls, findings) =
                            checked.get(&profile_id).copied().unwrap_or((0, 0));
                        Ok(ProfileYield {
                            hits: r.try_get("hits")?,
                            profile_id,
                            controls,
                            findings,
                        })
                    })
                    .filter(|y: &Result<ProfileYield>| y.as_ref().map_or(true, |y| y.hits > 0))
                    .collect()
            }
        }
    };
}

dashboard_backend!(SqliteStore, reader, sqlite_sql);
dashboard_backend!(PgStore, pool, pg_sql);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentiles(&[]), None);
        assert_eq!(percentiles(&[(7, 1)]), Some((1, 7, 7)));
        // 1..=10 once each: median rank 5, p90 rank 9.
        let h: Vec<(i64, i64)> = (1..=10).map(|v| (v, 1)).collect();
        assert_eq!(percentiles(&h), Some((10, 5, 9)));
        // 0 s eight times, 30 s once, 90 s once.
        assert_eq!(percentiles(&[(0, 8), (30, 1), (90, 1)]), Some((10, 0, 30)));
    }

    #[test]
    fn periods_are_whole_days() {
        let midnight = time::macros::datetime!(2026-12-06 00:00 UTC);
        let day = nanos(midnight) / DAY_NANOS;
        assert_eq!(
            days_of(midnight, midnight + time::Duration::days(2)),
            (day, day + 2)
        );
        assert_eq!(
            days_of(
                midnight + time::Duration::hours(5),
                midnight + time::Duration::hours(30)
            ),
            (day, day + 2)
        );
    }
}
