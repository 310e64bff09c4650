//! Charts drawn on the server as SVG, by hand (a few rectangles, lines
//! and texts: no charting crate, no fonts, nothing rendered in the
//! browser). A [`Chart`] is geometry and texts; `templates/staff/chart.html`
//! writes it out with every text escaped, a `<title>` and `<desc>` for
//! screen readers, and the same figures as a table under `<details>`.
//! Colours come from CSS classes, and each series is also named in the
//! legend and in each bar's tooltip, so no meaning rests on colour alone.
//!
//! Values are integers (counts, seconds, minor units of money): the
//! geometry is integer arithmetic, never floating point.

/// A bar.
pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub class: &'static str,
    /// The bar's tooltip (`<title>`): category, series and value.
    pub tip: String,
}

/// A text at a point.
pub struct Label {
    pub x: i64,
    pub y: i64,
    pub text: String,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
}

/// A grid line across the plot (x1, y1, x2, y2).
pub struct Line {
    pub x1: i64,
    pub y1: i64,
    pub x2: i64,
    pub y2: i64,
}

/// One chart: its SVG geometry and its data table.
pub struct Chart {
    /// Unique on the page (ids of title and description).
    pub id: String,
    pub title: String,
    pub desc: String,
    pub width: i64,
    pub height: i64,
    pub rects: Vec<Rect>,
    pub labels: Vec<Label>,
    pub lines: Vec<Line>,
    /// CSS class and name of each series.
    pub legend: Vec<(&'static str, String)>,
    /// The data table: column headings and rows (first cell a heading).
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A series: its CSS class and name.
pub type Series = (&'static str, String);

const WIDTH: i64 = 640;
const HEIGHT: i64 = 240;
/// The narrowest margin left of a plot (the axis labels' room).
const LEFT: i64 = 40;
const BOTTOM: i64 = 24;
const TOP: i64 = 10;
/// A character's width at the charts' 11px text, rounded up (digits and
/// capitals of a sans-serif face are about 0.6 em wide).
const CHAR_W: i64 = 7;

/// The room a text takes at the charts' font size, in user units.
fn text_width(s: &str) -> i64 {
    s.chars().count() as i64 * CHAR_W
}

/// The margin left of a plot whose axis is labelled `labels` (anchored
/// at their end, 4 units off the axis): wide enough for the widest, so
/// no label is clipped at the left edge of the view box.
fn left_margin<'a>(labels: impl Iterator<Item = &'a str>, least: i64) -> i64 {
    labels
        .map(|l| text_width(l) + 8)
        .max()
        .unwrap_or(0)
        .max(least)
        .min(WIDTH / 2)
}

/// Column chart: one column per category, the series stacked (or side by
/// side when `stacked` is false). `values[c][s]` is category `c`, series
/// `s`; `fmt` writes a value.
#[allow(clippy::too_many_arguments)]
pub fn columns(
    id: &str,
    title: String,
    desc: String,
    categories: &[String],
    series: &[Series],
    values: &[Vec<i64>],
    stacked: bool,
    fmt: &dyn Fn(i64) -> String,
) -> Chart {
    let plot_h = HEIGHT - BOTTOM - TOP;
    let n = categories.len().max(1) as i64;
    let max = values
        .iter()
        .map(|v| {
            if stacked {
                v.iter().map(|x| (*x).max(0)).sum::<i64>()
            } else {
                v.iter().copied().max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let scale =
        |v: i64| -> i64 { (i128::from(v.max(0)) * i128::from(plot_h) / i128::from(max)) as i64 };
    let mut c = Chart {
        id: id.to_owned(),
        title,
        desc,
        width: WIDTH,
        height: HEIGHT,
        rects: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
        legend: series.to_vec(),
        head: std::iter::once(String::new())
            .chain(series.iter().map(|s| s.1.clone()))
            .collect(),
        rows: Vec::new(),
    };
    let ticks: Vec<(i64, String)> = (0..=4).map(|i| (max * i / 4, fmt(max * i / 4))).collect();
    let left = left_margin(ticks.iter().map(|t| t.1.as_str()), LEFT);
    let plot_w = WIDTH - left - 8;
    for (v, text) in ticks {
        let y = TOP + plot_h - scale(v);
        c.lines.push(Line {
            x1: left,
            y1: y,
            x2: WIDTH - 8,
            y2: y,
        });
        c.labels.push(Label {
            x: left - 4,
            y: y + 4,
            text,
            anchor: "end",
        });
    }
    let slot = plot_w / n;
    let bar = (slot * 7 / 10).max(1);
    let every = (n + 9) / 10;
    for (i, cat) in categories.iter().enumerate() {
        let i = i as i64;
        let x0 = left + i * slot + (slot - bar) / 2;
        let vals = values.get(i as usize).cloned().unwrap_or_default();
        let mut base = TOP + plot_h;
        let each = (bar / series.len().max(1) as i64).max(1);
        for (s, (class, name)) in series.iter().enumerate() {
            let v = vals.get(s).copied().unwrap_or(0);
            let h = scale(v);
            let (x, y, w) = if stacked {
                base -= h;
                (x0, base, bar)
            } else {
                (x0 + each * s as i64, TOP + plot_h - h, each)
            };
            if h > 0 {
                c.rects.push(Rect {
                    x,
                    y,
                    w,
                    h,
                    class,
                    tip: format!("{cat}: {name} {}", fmt(v)),
                });
            }
        }
        if i % every == 0 {
            c.labels.push(Label {
                x: left + i * slot + slot / 2,
                y: HEIGHT - 6,
                text: cat.clone(),
                anchor: "middle",
            });
        }
        c.rows.push(
            std::iter::once(cat.clone())
                .chain(vals.iter().map(|v| fmt(*v)))
                .collect(),
        );
    }
    c
}

/// Bar chart: one row per category, the series' bars under each other,
/// each with its value written at its end.
pub fn bars(
    id: &str,
    title: String,
    desc: String,
    categories: &[String],
    series: &[Series],
    values: &[Vec<i64>],
    fmt: &dyn Fn(i64) -> String,
) -> Chart {
    let left = left_margin(categories.iter().map(String::as_str), 80);
    // Room right of the longest bar for its value.
    let right = values
        .iter()
        .flat_map(|v| v.iter())
        .map(|v| text_width(&fmt(*v)) + 12)
        .max()
        .unwrap_or(0)
        .max(40);
    let bar_h = 14;
    let row_h = bar_h * series.len().max(1) as i64 + 10;
    let height = TOP + row_h * categories.len().max(1) as i64 + 4;
    let plot_w = (WIDTH - left - right).max(40);
    let max = values
        .iter()
        .flat_map(|v| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut c = Chart {
        id: id.to_owned(),
        title,
        desc,
        width: WIDTH,
        height,
        rects: Vec::new(),
        labels: Vec::new(),
        lines: vec![Line {
            x1: left,
            y1: TOP,
            x2: left,
            y2: height - 4,
        }],
        legend: series.to_vec(),
        head: std::iter::once(String::new())
            .chain(series.iter().map(|s| s.1.clone()))
            .collect(),
        rows: Vec::new(),
    };
    for (i, cat) in categories.iter().enumerate() {
        let y0 = TOP + i as i64 * row_h;
        let vals = values.get(i).cloned().unwrap_or_default();
        c.labels.push(Label {
            x: left - 6,
            y: y0 + row_h / 2 + 2,
            text: cat.clone(),
            anchor: "end",
        });
        for (s, (class, name)) in series.iter().enumerate() {
            let v = vals.get(s).copied().unwrap_or(0);
            let w = (i128::from(v.max(0)) * i128::from(plot_w) / i128::from(max)) as i64;
            let y = y0 + s as i64 * bar_h;
            c.rects.push(Rect {
                x: left,
                y,
                w: w.max(1),
                h: bar_h - 2,
                class,
                tip: format!("{cat}: {name} {}", fmt(v)),
            });
            c.labels.push(Label {
                x: left + w.max(1) + 4,
                y: y + bar_h - 4,
                text: fmt(v),
                anchor: "start",
            });
        }
        c.rows.push(
            std::iter::once(cat.clone())
                .chain(vals.iter().map(|v| fmt(*v)))
                .collect(),
        );
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_stack_within_the_plot_and_tables_carry_the_figures() {
        let cats = vec!["a".to_owned(), "b".to_owned()];
        let series = vec![("s0", "zero".to_owned()), ("s1", "one".to_owned())];
        let c = columns(
            "t",
            "T".into(),
            "D".into(),
            &cats,
            &series,
            &[vec![2, 2], vec![1, 0]],
            true,
            &|v| v.to_string(),
        );
        // The tallest stack fills the plot exactly.
        let a: Vec<&Rect> = c.rects.iter().filter(|r| r.tip.starts_with("a:")).collect();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].h + a[1].h, HEIGHT - BOTTOM - TOP);
        assert_eq!(a[1].y + a[1].h, a[0].y);
        assert_eq!(c.rows, vec![vec!["a", "2", "2"], vec!["b", "1", "0"]]);
        // A zero draws no bar.
        assert_eq!(c.rects.len(), 3);
        let b = bars(
            "u",
            "U".into(),
            "D".into(),
            &cats,
            &series[..1],
            &[vec![10], vec![5]],
            &|v| v.to_string(),
        );
        assert_eq!(b.rects[0].w, 2 * b.rects[1].w);
    }

    /// Every text of a chart, at its anchor and estimated width, lies
    /// inside the view box.
    fn inside(c: &Chart) -> bool {
        c.labels.iter().all(|l| {
            let w = text_width(&l.text);
            let (x0, x1) = match l.anchor {
                "end" => (l.x - w, l.x),
                "middle" => (l.x - w / 2, l.x + w / 2),
                _ => (l.x, l.x + w),
            };
            x0 >= 0 && x1 <= c.width
        })
    }

    #[test]
    fn long_axis_labels_widen_the_margin_instead_of_being_clipped() {
        let cats: Vec<String> = (1..=30).map(|d| format!("11-{d:02}")).collect();
        let money = |v: i64| {
            format!(
                "{} UZS",
                crate::Tr::new("ru").number(&format!("{}.{:02}", v / 100, v % 100))
            )
        };
        let values: Vec<Vec<i64>> = (1..=30).map(|d| vec![d * 987_654_321]).collect();
        let c = columns(
            "r",
            "R".into(),
            "D".into(),
            &cats,
            &[("m", "x".into())],
            &values,
            false,
            &money,
        );
        assert!(
            inside(&c),
            "{:?}",
            c.labels.iter().map(|l| (l.x, &l.text)).collect::<Vec<_>>()
        );
        // The widest axis label sets the margin: the plot starts after it.
        let widest = c
            .labels
            .iter()
            .filter(|l| l.anchor == "end")
            .map(|l| text_width(&l.text))
            .max()
            .unwrap();
        assert!(c.lines[0].x1 >= widest + 4);
        // Small figures keep the narrow margin.
        let small = columns(
            "s",
            "S".into(),
            "D".into(),
            &cats,
            &[("m", "x".into())],
            &[vec![3]],
            false,
            &|v| v.to_string(),
        );
        assert_eq!(small.lines[0].x1, LEFT);
        let names = vec!["A-VERY-LONG-PROFILE-IDENTIFIER (12 345 hits)".to_owned()];
        let b = bars(
            "y",
            "Y".into(),
            "D".into(),
            &names,
            &[("m", "y".into())],
            &[vec![10_000]],
            &|v| format!("{}.{:02} %", v / 100, v % 100),
        );
        assert!(inside(&b));
    }
}
