//! The customs offices register: every office of the reference data with
//! its code, name, place, roles and coordinates, and a map drawn as SVG
//! from the coordinates (no tiles, nothing fetched).

use askama::Template;

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
        }
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
