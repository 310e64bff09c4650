//! The manager's dashboard (`/manager?from=…&to=…`): the figures of
//! [`tamga_app::dashboard`] as six server-drawn SVG charts, each with a
//! text alternative and its data table.

use askama::Template;
use rust_decimal::Decimal;

use tamga_app::dashboard::{Dashboard, CHANNELS};

use super::charts::{bars, columns, Chart, Series};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

#[derive(Template)]
#[template(path = "staff/dashboard.html")]
struct DashboardPage {
    f: Frame,
    from: String,
    to: String,
    period_error: String,
    period_code: String,
    total: String,
    charts: Vec<Chart>,
}

fn channel_series(tr: &Tr) -> Vec<Series> {
    CHANNELS
        .iter()
        .map(|c| {
            (
                match *c {
                    "green" => "ch-green",
                    "yellow" => "ch-yellow",
                    _ => "ch-red",
                },
                tr.t(&format!("dash-channel-{c}")),
            )
        })
        .collect()
}

/// `1h 05m`, `3m 20s`, `45s`.
fn duration(tr: &Tr, secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        tr.t2(
            "dash-hours",
            ("h", &h.to_string()),
            ("m", &format!("{m:02}")),
        )
    } else if m > 0 {
        tr.t2(
            "dash-minutes",
            ("m", &m.to_string()),
            ("s", &format!("{s:02}")),
        )
    } else {
        tr.t1("dash-seconds", "s", &s.to_string())
    }
}

/// A day as `MM-DD`.
fn short(d: time::Date) -> String {
    format!("{:02}-{:02}", u8::from(d.month()), d.day())
}

/// The dashboard of `d`, or the form with `error` (code) when the period
/// was refused.
pub fn dashboard_page(
    ctx: &Ctx,
    d: Option<&Dashboard>,
    error: Option<(&str, String)>,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let num = |v: i64| tr.number(&v.to_string());
    let mut charts = Vec::new();
    let mut total = String::new();
    if let Some(d) = d {
        let cs = channel_series(&tr);
        let days: Vec<String> = d.per_day.iter().map(|(day, _)| short(*day)).collect();
        let sum: i64 = d.shares.iter().map(|s| s.1).sum();
        total = tr.t1("dash-total", "count", &num(sum));
        charts.push(columns(
            "per-day",
            tr.t("dash-per-day-title"),
            tr.t1("dash-per-day-desc", "count", &num(sum)),
            &days,
            &cs,
            &d.per_day
                .iter()
                .map(|(_, v)| v.to_vec())
                .collect::<Vec<_>>(),
            true,
            &num,
        ));
        // Shares in hundredths of a percent, drawn as bars.
        let pct =
            |s: &Decimal| -> i64 { (s * Decimal::from(10_000)).round().try_into().unwrap_or(0) };
        let fmt_pct = |v: i64| tr.number(&format!("{}.{:02}", v / 100, v % 100)) + " %";
        charts.push(bars(
            "shares",
            tr.t("dash-shares-title"),
            tr.t("dash-shares-desc"),
            &cs.iter().map(|s| s.1.clone()).collect::<Vec<_>>(),
            &[("ch-share", tr.t("dash-share"))],
            &d.shares.iter().map(|s| vec![pct(&s.2)]).collect::<Vec<_>>(),
            &fmt_pct,
        ));
        let dur = |v: i64| duration(&tr, v);
        charts.push(bars(
            "release",
            tr.t("dash-release-title"),
            tr.t("dash-release-desc"),
            &d.release
                .iter()
                .map(|r| {
                    tr.t2(
                        "dash-release-row",
                        ("channel", &tr.t(&format!("dash-channel-{}", r.channel))),
                        ("count", &num(r.released)),
                    )
                })
                .collect::<Vec<_>>(),
            &[
                ("m-median", tr.t("dash-median")),
                ("m-p90", tr.t("dash-p90")),
            ],
            &d.release
                .iter()
                .map(|r| vec![r.median_seconds, r.p90_seconds])
                .collect::<Vec<_>>(),
            &dur,
        ));
        // Revenue of the national currency (the first met) per day.
        let currency = d.revenue.first().map(|r| r.1.clone()).unwrap_or_default();
        let places = d.revenue.iter().map(|r| r.2.scale()).max().unwrap_or(2);
        let minor = |a: &Decimal| -> i64 {
            let mut a = *a;
            a.rescale(places);
            i64::try_from(a.mantissa()).unwrap_or(i64::MAX)
        };
        let fmt_money = |v: i64| {
            let a = Decimal::new(v, places);
            format!("{} {currency}", tr.number(&a.to_string()))
        };
        charts.push(columns(
            "revenue",
            tr.t("dash-revenue-title"),
            tr.t1("dash-revenue-desc", "currency", &currency),
            &days,
            &[("m-revenue", tr.t("dash-revenue"))],
            &d.per_day
                .iter()
                .map(|(day, _)| {
                    vec![d
                        .revenue
                        .iter()
                        .filter(|r| r.0 == *day && r.1 == currency)
                        .map(|r| minor(&r.2))
                        .sum::<i64>()]
                })
                .collect::<Vec<_>>(),
            false,
            &fmt_money,
        ));
        let fmt_yield = |v: i64| tr.number(&format!("{}.{:02}", v / 100, v % 100)) + " %";
        charts.push(bars(
            "yields",
            tr.t("dash-yields-title"),
            tr.t("dash-yields-desc"),
            &d.profiles
                .iter()
                .map(|p| {
                    tr.t2(
                        "dash-yield-row",
                        ("profile", &p.profile_id),
                        ("hits", &num(p.hits)),
                    )
                })
                .collect::<Vec<_>>(),
            &[("m-yield", tr.t("dash-yield"))],
            &d.profiles
                .iter()
                .map(|p| vec![p.yield_rate.map(|y| pct(&y)).unwrap_or(0)])
                .collect::<Vec<_>>(),
            &fmt_yield,
        ));
        charts.push(columns(
            "inspections",
            tr.t("dash-inspections-title"),
            tr.t("dash-inspections-desc"),
            &days,
            &[
                ("m-closed", tr.t("dash-closed")),
                ("m-findings", tr.t("dash-findings")),
            ],
            &d.inspections
                .iter()
                .map(|(_, c, f)| vec![*c, *f])
                .collect::<Vec<_>>(),
            false,
            &num,
        ));
    }
    let (period_code, period_error) = error.map(|(c, m)| (c.to_owned(), m)).unwrap_or_default();
    let date = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    render(
        &DashboardPage {
            f: Frame::new(ctx, tr.t("dash-title")),
            from: d
                .map(|d| date(d.period.from))
                .unwrap_or_else(|| ctx.param("from").unwrap_or_default().to_owned()),
            to: d
                .map(|d| date(d.period.to))
                .unwrap_or_else(|| ctx.param("to").unwrap_or_default().to_owned()),
            period_error,
            period_code,
            total,
            charts,
        },
        if d.is_some() { 200 } else { 400 },
    )
}
