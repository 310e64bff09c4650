//! The manager's dashboards: figures of a period read as SQL aggregates
//! from the store ([`tamga_store::DashboardStore`]), shaped for charts:
//! declarations per day by channel, each channel's share, time from
//! lodging to release per channel (median and 90th percentile: a
//! time-release study), duties collected per day, profiles by yield, and
//! inspections with findings per day. Nothing here reads a declaration:
//! the database counts and sums.
//!
//! Who may read them: managers and administrators (the access rule of
//! `/manager` says the same).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::{Date, Duration, OffsetDateTime, Time};

use tamga_store::dashboard_sql::{DayInspections, ReleaseTimes};
use tamga_store::{Role, Store};

use crate::error::AppError;
use crate::Caller;

/// The longest period a dashboard covers.
pub const MAX_DAYS: i64 = 366;
/// The default period: this many days up to today.
pub const DEFAULT_DAYS: i64 = 30;
/// How many profiles the yield chart shows.
pub const TOP_PROFILES: usize = 10;

/// The channels in the order charts stack them.
pub const CHANNELS: [&str; 3] = ["green", "yellow", "red"];

/// A period of whole UTC days, `[from, to]` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The period of the query's `from` and `to` (`YYYY-MM-DD`), by
    /// default the [`DEFAULT_DAYS`] up to `today`. 400 `PERIOD` at the
    /// field that is wrong.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Period, AppError> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let day = |s: Option<&str>, pointer: &str| -> Result<Option<Date>, AppError> {
            match s.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Date::parse(s, fmt)
                    .map(Some)
                    .map_err(|_| AppError::bad_request("PERIOD", pointer, "a date is YYYY-MM-DD")),
            }
        };
        let to = day(to, "/to")?.unwrap_or(today);
        let from = day(from, "/from")?.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(AppError::bad_request(
                "PERIOD",
                "/from",
                "from must not be after to",
            ));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(AppError::bad_request(
                "PERIOD",
                "/from",
                format!("a period covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Period { from, to })
    }

    /// `[start, end)` in time.
    pub fn bounds(&self) -> (OffsetDateTime, OffsetDateTime) {
        (
            self.from.with_time(Time::MIDNIGHT).assume_utc(),
            (self.to + Duration::days(1))
                .with_time(Time::MIDNIGHT)
                .assume_utc(),
        )
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> Vec<Date> {
        let mut out = Vec::new();
        let mut d = self.from;
        while d <= self.to {
            out.push(d);
            d += Duration::days(1);
        }
        out
    }
}

/// The date of a day number (days since 1970-01-01).
fn date_of(day: i64) -> Option<Date> {
    OffsetDateTime::from_unix_timestamp(day.checked_mul(86_400)?)
        .ok()
        .map(|t| t.date())
}

/// Release times of a channel in whole seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTimes {
    pub channel: String,
    pub released: i64,
    pub median_seconds: i64,
    pub p90_seconds: i64,
}

/// A profile's yield: findings per control among its hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileYieldRow {
    pub profile_id: String,
    pub hits: i64,
    pub controls: i64,
    pub findings: i64,
    /// findings / controls, four places (none without controls).
    pub yield_rate: Option<Decimal>,
}

/// Everything the manager's dashboard shows for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub period: Period,
    /// Per day of the period, declarations per channel of [`CHANNELS`]
    /// (a channel not yet decided is left out).
    pub per_day: Vec<(Date, [i64; 3])>,
    /// Per channel of [`CHANNELS`]: declarations and share (four places).
    pub shares: Vec<(String, i64, Decimal)>,
    pub release: Vec<ChannelTimes>,
    /// Per day and currency: duties collected, as an amount.
    pub revenue: Vec<(Date, String, Decimal)>,
    /// Profiles with controls by yield (best first), then the others by
    /// hits, at most [`TOP_PROFILES`].
    pub profiles: Vec<ProfileYieldRow>,
    /// Per day of the period: inspections closed and with findings.
    pub inspections: Vec<(Date, i64, i64)>,
}

/// The dashboard of `period` (managers and administrators).
pub async fn dashboard(
    store: &dyn Store,
    caller: &Caller,
    period: Period,
) -> Result<Dashboard, AppError> {
    caller.require(&[Role::Manager, Role::Admin])?;
    let (from, to) = period.bounds();
    let decls = store.dash_declarations(from, to).await?;
    let release = store.dash_release_times(from, to).await?;
    let revenue = store.dash_revenue(from, to).await?;
    let inspections = store.dash_inspections(from, to).await?;
    let yields = store.dash_profile_yields(from, to).await?;
    Ok(shape(
        period,
        decls
            .into_iter()
            .map(|d| (d.day, d.channel, d.declarations))
            .collect(),
        release,
        revenue
            .into_iter()
            .map(|r| {
                let places = u32::try_from(r.places.clamp(0, 8)).unwrap_or(2);
                (r.day, r.currency, Decimal::new(r.amount_minor, places))
            })
            .collect(),
        yields
            .into_iter()
            .map(|y| (y.profile_id, y.hits, y.controls, y.findings))
            .collect(),
        inspections,
    ))
}

/// Rows of profile yields, best yield first, then by hits.
fn yield_rows(yields: Vec<(String, i64, i64, i64)>) -> Vec<ProfileYieldRow> {
    let mut profiles: Vec<ProfileYieldRow> = yields
        .into_iter()
        .filter(|(id, ..)| !id.is_empty())
        .map(|(profile_id, hits, controls, findings)| ProfileYieldRow {
            yield_rate: (controls > 0)
                .then(|| (Decimal::from(findings) / Decimal::from(controls)).round_dp(4)),
            profile_id,
            hits,
            controls,
            findings,
        })
        .collect();
    profiles.sort_by(|a, b| {
        b.yield_rate
            .cmp(&a.yield_rate)
            .then(b.hits.cmp(&a.hits))
            .then(a.profile_id.cmp(&b.profile_id))
    });
    profiles
}

/// Hits and yield of every profile that hit a declaration registered in
/// `period` (risk analysts and administrators, the roles of the API's
/// risk analytics).
pub async fn profile_yields(
    store: &dyn Store,
    caller: &Caller,
    period: Period,
) -> Result<Vec<ProfileYieldRow>, AppError> {
    caller.require(&[Role::RiskAnalyst, Role::Admin])?;
    let (from, to) = period.bounds();
    let rows = store.dash_profile_yields(from, to).await?;
    Ok(yield_rows(
        rows.into_iter()
            .map(|y| (y.profile_id, y.hits, y.controls, y.findings))
            .collect(),
    ))
}

/// Shapes the aggregates into the dashboard (pure; every day of the
/// period present, zero where nothing happened).
pub fn shape(
    period: Period,
    decls: Vec<(i64, String, i64)>,
    release: Vec<ReleaseTimes>,
    revenue: Vec<(i64, String, Decimal)>,
    yields: Vec<(String, i64, i64, i64)>,
    inspections: Vec<DayInspections>,
) -> Dashboard {
    let days = period.days();
    let mut per: BTreeMap<Date, [i64; 3]> = days.iter().map(|d| (*d, [0; 3])).collect();
    let mut totals = [0i64; 3];
    for (day, channel, n) in decls {
        let (Some(d), Some(i)) = (date_of(day), CHANNELS.iter().position(|c| *c == channel)) else {
            continue;
        };
        if let Some(row) = per.get_mut(&d) {
            row[i] += n;
            totals[i] += n;
        }
    }
    let all: i64 = totals.iter().sum();
    let shares = CHANNELS
        .iter()
        .zip(totals)
        .map(|(c, n)| {
            let share = if all == 0 {
                Decimal::ZERO
            } else {
                (Decimal::from(n) / Decimal::from(all)).round_dp(4)
            };
            ((*c).to_owned(), n, share)
        })
        .collect();
    let release = CHANNELS
        .iter()
        .filter_map(|c| release.iter().find(|r| r.channel == *c))
        .map(|r| ChannelTimes {
            channel: r.channel.clone(),
            released: r.released,
            median_seconds: r.median_seconds,
            p90_seconds: r.p90_seconds,
        })
        .collect();
    let revenue = revenue
        .into_iter()
        .filter_map(|(day, c, a)| Some((date_of(day)?, c, a)))
        .collect();
    let mut profiles = yield_rows(yields);
    profiles.truncate(TOP_PROFILES);
    let mut insp: BTreeMap<Date, (i64, i64)> = days.iter().map(|d| (*d, (0, 0))).collect();
    for i in inspections {
        if let Some(slot) = date_of(i.day).and_then(|d| insp.get_mut(&d)) {
            slot.0 += i.closed;
            slot.1 += i.findings;
        }
    }
    Dashboard {
        period,
        per_day: per.into_iter().collect(),
        shares,
        release,
        revenue,
        profiles,
        inspections: insp.into_iter().map(|(d, (c, f))| (d, c, f)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn periods_default_to_thirty_days_and_refuse_nonsense() {
        let today = date!(2026 - 12 - 06);
        let p = Period::parse(None, None, today).unwrap();
        assert_eq!(p.from, date!(2026 - 11 - 07));
        assert_eq!(p.days().len(), 30);
        let (a, b) = p.bounds();
        assert_eq!(b - a, Duration::days(30));
        let e = Period::parse(Some("2026-12-07"), Some("2026-12-06"), today).unwrap_err();
        assert_eq!(e.code(), "PERIOD");
        let e = Period::parse(Some("yesterday"), None, today).unwrap_err();
        assert!(matches!(e, AppError::BadRequest { ref pointer, .. } if pointer == "/from"));
        assert!(Period::parse(Some("2024-01-01"), Some("2026-01-01"), today).is_err());
    }

    #[test]
    fn aggregates_are_shaped_per_day_and_ranked_by_yield() {
        let p = Period {
            from: date!(1970 - 01 - 01),
            to: date!(1970 - 01 - 03),
        };
        let d = shape(
            p,
            vec![
                (0, "green".into(), 3),
                (0, "red".into(), 1),
                (2, "yellow".into(), 4),
                (2, "none".into(), 9),
            ],
            vec![ReleaseTimes {
                channel: "green".into(),
                released: 3,
                median_seconds: 2,
                p90_seconds: 9,
            }],
            vec![(1, "UZS".into(), Decimal::new(12345, 2))],
            vec![
                ("A".into(), 5, 0, 0),
                ("B".into(), 4, 4, 1),
                ("C".into(), 2, 2, 2),
            ],
            vec![DayInspections {
                day: 2,
                closed: 3,
                findings: 1,
            }],
        );
        assert_eq!(d.per_day.len(), 3);
        assert_eq!(d.per_day[0].1, [3, 0, 1]);
        assert_eq!(d.per_day[1].1, [0, 0, 0]);
        assert_eq!(d.per_day[2].1, [0, 4, 0]);
        assert_eq!(d.shares[0], ("green".into(), 3, Decimal::new(375, 3)));
        assert_eq!(d.release[0].median_seconds, 2);
        assert_eq!(d.release[0].p90_seconds, 9);
        assert_eq!(d.revenue[0].0, date!(1970 - 01 - 02));
        let order: Vec<&str> = d.profiles.iter().map(|p| p.profile_id.as_str()).collect();
        assert_eq!(order, ["C", "B", "A"]);
        assert_eq!(d.profiles[1].yield_rate, Some(Decimal::new(25, 2)));
        assert_eq!(d.inspections[2], (date!(1970 - 01 - 03), 3, 1));
    }
}
