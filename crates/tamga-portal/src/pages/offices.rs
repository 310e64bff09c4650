//! The customs offices register: every office of the reference data with
//! its code, name, place, roles, working hours (whether it is open now,
//! from the current UTC time and the office's country offset), services
//! and coordinates, and a map drawn as SVG from the coordinates (no
//! tiles, nothing fetched).

use askama::Template;
use time::OffsetDateTime;

use tamga_core::office_hours::{utc_offset, OpeningHours, DAYS};
use tamga_core::reference::Office;

use super::{render, Frame, PageError};
use crate::{Ctx, Portal, Rendered, Tr};

/// Width of the map's view box; the height follows the area shown.
const MAP_WIDTH: f64 = 800.0;
/// Degrees of margin around the offices.
const MARGIN: f64 = 1.0;

struct OfficeView {
    code: String,
    name: String,
    city: String,
    country: String,
    roles: Vec<String>,
    coordinates: String,
    hours: HoursView,
    services: Vec<String>,
}

/// An office's working hours as the page shows them.
#[derive(Debug, Default, PartialEq)]
struct HoursView {
    /// `Mon–Fri 08:00–18:00`, one line per run of days alike; empty when
    /// the hours are not published.
    lines: Vec<String>,
    /// "Open now" / "Closed now", empty when it cannot be told.
    now: String,
    open: bool,
}

/// The day runs of `h` with the same spans (closed days left out).
fn hours_view(tr: &Tr, h: Option<&OpeningHours>, country: &str, now: OffsetDateTime) -> HoursView {
    let Some(h) = h else {
        return HoursView {
            lines: vec![tr.t("offices-hours-none")],
            ..HoursView::default()
        };
    };
    let day = |d: usize| tr.t(&format!("office-day-{}", DAYS[d].to_lowercase()));
    let lines = match h {
        OpeningHours::Always => vec![tr.t("offices-hours-always")],
        OpeningHours::Rules(_) => {
            let week = h.week();
            let mut lines = Vec::new();
            let mut d = 0;
            while d < 7 {
                let start = d;
                while d + 1 < 7 && week[d + 1] == week[start] {
                    d += 1;
                }
                if !week[start].is_empty() {
                    let days = if start == d {
                        day(start)
                    } else {
                        format!("{}–{}", day(start), day(d))
                    };
                    lines.push(format!("{days} {}", week[start].join(", ")));
                }
                d += 1;
            }
            lines
        }
    };
    let (now, open) = match utc_offset(country) {
        Some(offset) => {
            let open = h.open_at(now, offset);
            let id = if open {
                "offices-open-now"
            } else {
                "offices-closed-now"
            };
            (tr.t(id), open)
        }
        None => (String::new(), false),
    };
    HoursView { lines, now, open }
}

struct Point {
    code: String,
    label: String,
    x: String,
    y: String,
    class: String,
}

struct Line {
    x1: String,
    y1: String,
    x2: String,
    y2: String,
    label: String,
    lx: String,
    ly: String,
}

struct MapView {
    width: String,
    height: String,
    points: Vec<Point>,
    grid: Vec<Line>,
    legend: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "offices.html")]
struct OfficesPage {
    f: Frame,
    count: String,
    offices: Vec<OfficeView>,
    map: Option<MapView>,
}

fn has_coordinates(o: &Office) -> bool {
    o.latitude.is_finite()
        && o.longitude.is_finite()
        && (-90.0..=90.0).contains(&o.latitude)
        && (-180.0..=180.0).contains(&o.longitude)
        && !(o.latitude == 0.0 && o.longitude == 0.0)
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// The SVG map of the offices with coordinates (`None`: none has them).
fn map(tr: &Tr, offices: &[Office]) -> Option<MapView> {
    let placed: Vec<&Office> = offices.iter().filter(|o| has_coordinates(o)).collect();
    if placed.is_empty() {
        return None;
    }
    let min = |f: fn(&&Office) -> f64| placed.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: fn(&&Office) -> f64| placed.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    let (lat0, lat1) = (min(|o| o.latitude) - MARGIN, max(|o| o.latitude) + MARGIN);
    let (lon0, lon1) = (min(|o| o.longitude) - MARGIN, max(|o| o.longitude) + MARGIN);
    // Equirectangular, with the longitude scaled at the middle latitude so
    // the shapes keep their proportions.
    let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.1);
    let scale = MAP_WIDTH / ((lon1 - lon0) * k);
    let height = (lat1 - lat0) * scale;
    let x = |lon: f64| (lon - lon0) * k * scale;
    let y = |lat: f64| (lat1 - lat) * scale;
    let mut countries: Vec<&str> = placed.iter().map(|o| o.country.as_str()).collect();
    countries.sort_unstable();
    countries.dedup();
    let class = |c: &str| {
        let i = countries.iter().position(|x| *x == c).unwrap_or(0);
        format!("office c{}", i % 4)
    };
    let step = if (lon1 - lon0).max(lat1 - lat0) > 20.0 {
        5.0
    } else {
        2.0
    };
    let mut grid = Vec::new();
    let mut lon = (lon0 / step).ceil() * step;
    while lon <= lon1 {
        grid.push(Line {
            x1: fmt(x(lon)),
            y1: "0".into(),
            x2: fmt(x(lon)),
            y2: fmt(height),
            label: tr.t1("offices-east", "deg", &format!("{lon:.0}")),
            lx: fmt(x(lon) + 3.0),
            ly: fmt(height - 4.0),
        });
        lon += step;
    }
    let mut lat = (lat0 / step).ceil() * step;
    while lat <= lat1 {
        grid.push(Line {
            x1: "0".into(),
            y1: fmt(y(lat)),
            x2: fmt(MAP_WIDTH),
            y2: fmt(y(lat)),
            label: tr.t1("offices-north", "deg", &format!("{lat:.0}")),
            lx: "3".into(),
            ly: fmt(y(lat) - 3.0),
        });
        lat += step;
    }
    Some(MapView {
        width: fmt(MAP_WIDTH),
        height: fmt(height),
        points: placed
            .iter()
            .map(|o| Point {
                code: o.code.clone(),
                label: format!("{} ({}), {}", o.name, o.code, o.city),
                x: fmt(x(o.longitude)),
                y: fmt(y(o.latitude)),
                class: class(&o.country),
            })
            .collect(),
        grid,
        legend: countries
            .iter()
            .map(|c| (class(c), (*c).to_owned()))
            .collect(),
    })
}

pub(super) async fn page(portal: &Portal, ctx: &Ctx) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let offices = portal.offices().await?;
    let now = OffsetDateTime::now_utc();
    let views = offices
        .iter()
        .map(|o| OfficeView {
            code: o.code.clone(),
            name: o.name.clone(),
            city: o.city.clone(),
            country: o.country.clone(),
            roles: o
                .roles
                .iter()
                .map(|r| {
                    let id = format!("office-role-{r}");
                    if tr.has(&id) {
                        format!("{} ({r})", tr.t(&id))
                    } else {
                        r.clone()
                    }
                })
                .collect(),
            coordinates: if has_coordinates(o) {
                format!("{:.4}, {:.4}", o.latitude, o.longitude)
            } else {
                String::new()
            },
            hours: hours_view(&tr, o.hours.as_ref(), &o.country, now),
            services: o
                .services
                .iter()
                .map(|s| tr.t(&format!("office-service-{}", s.as_str())))
                .collect(),
        })
        .collect();
    render(
        &OfficesPage {
            f: Frame::new(ctx, tr.t("offices-title")),
            count: tr.t1("offices-count", "count", &offices.len().to_string()),
            offices: views,
            map: map(&tr, &offices),
        },
        200,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(code: &str, country: &str, lat: f64, lon: f64) -> Office {
        Office {
            code: code.into(),
            name: format!("Office {code}"),
            country: country.into(),
            roles: vec!["IMP".into()],
            city: "City".into(),
            latitude: lat,
            longitude: lon,
            hours: None,
            services: vec![],
        }
    }

    #[test]
    fn hours_are_shown_per_run_of_days_and_open_now_in_local_time() {
        use time::macros::datetime;
        let tr = Tr::new("en");
        let h = OpeningHours::parse("Mo-Fr 08:00-18:00; Sa 09:00-13:00").unwrap();
        // Monday 02:30 UTC: 08:30 in Bishkek, 07:30 in Tashkent.
        let monday = datetime!(2026-12-07 02:30 UTC);
        let v = hours_view(&tr, Some(&h), "KG", monday);
        assert_eq!(v.lines, vec!["Mon–Fri 08:00–18:00", "Sat 09:00–13:00"]);
        assert!(v.open);
        assert_eq!(v.now, tr.t("offices-open-now"));
        let v = hours_view(&tr, Some(&h), "UZ", monday);
        assert!(!v.open);
        assert_eq!(v.now, tr.t("offices-closed-now"));
        // A country whose offset is not known: the hours, no verdict.
        let v = hours_view(&tr, Some(&h), "DE", monday);
        assert!(v.now.is_empty() && !v.lines.is_empty());
        let v = hours_view(&tr, Some(&OpeningHours::Always), "KZ", monday);
        assert_eq!(v.lines, vec![tr.t("offices-hours-always")]);
        assert!(v.open);
        let v = hours_view(&tr, None, "KZ", monday);
        assert_eq!(v.lines, vec![tr.t("offices-hours-none")]);
        assert!(v.now.is_empty());
        // Russian day names.
        let ru = Tr::new("ru");
        let v = hours_view(&ru, Some(&h), "KG", monday);
        assert_eq!(v.lines[0], "Пн–Пт 08:00–18:00");
    }

    #[test]
    fn the_map_places_offices_inside_its_box() {
        let tr = Tr::new("en");
        let offices = vec![
            office("A", "UZ", 41.3, 69.2),
            office("B", "KZ", 43.2, 76.9),
            office("C", "KG", 0.0, 0.0),
        ];
        let m = map(&tr, &offices).unwrap();
        assert_eq!(
            m.points.len(),
            2,
            "the office without coordinates is not drawn"
        );
        let h: f64 = m.height.parse().unwrap();
        for p in &m.points {
            let (x, y): (f64, f64) = (p.x.parse().unwrap(), p.y.parse().unwrap());
            assert!(
                (0.0..=MAP_WIDTH).contains(&x) && (0.0..=h).contains(&y),
                "{}",
                p.code
            );
        }
        // North is up, east is right.
        let (a, b) = (&m.points[0], &m.points[1]);
        assert!(a.x.parse::<f64>().unwrap() < b.x.parse::<f64>().unwrap());
        assert!(a.y.parse::<f64>().unwrap() > b.y.parse::<f64>().unwrap());
        assert_ne!(a.class, b.class);
        assert!(map(&tr, &[office("C", "KG", 0.0, 0.0)]).is_none());
    }
}
