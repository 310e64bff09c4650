//! Reading the current tariff as a person browses it: search the goods
//! nomenclature by code or description, and a heading's lines with the
//! measures that apply to each. Pure reads of [`CurrentTariff`]; the
//! portal's tariff page shows them.

use time::Date;

use tamga_core::tariff::{GoodsCode, Measure, Tariff};

use crate::clearance::CurrentTariff;

/// One goods code of the nomenclature as it reads on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLine {
    pub code: String,
    pub description: String,
    /// The 4-digit heading the code belongs to.
    pub heading: String,
    pub supplementary_unit: Option<String>,
}

/// A search: at most `limit` lines, and whether more matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    pub lines: Vec<CodeLine>,
    pub more: bool,
}

/// A measure as a line of the heading view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureLine {
    pub id: String,
    pub measure_type: String,
    pub type_description: String,
    /// The measure's own goods code (the code itself or an ancestor).
    pub goods_code: String,
    pub area: String,
    pub area_description: String,
    pub duty: String,
    pub additional_code: Option<String>,
    pub quota: Option<String>,
    pub from: Date,
    pub to: Option<Date>,
    /// Conditions, as the engine explains them.
    pub conditions: usize,
}

/// A goods code of a heading with the measures in force on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadingLine {
    pub code: CodeLine,
    pub measures: Vec<MeasureLine>,
}

/// The version of a code valid on `day`, else its latest.
fn on_day(versions: &[GoodsCode], day: Date) -> Option<&GoodsCode> {
    versions
        .iter()
        .find(|g| g.validity.contains(day))
        .or_else(|| versions.iter().max_by_key(|g| g.validity.from))
}

fn line(g: &GoodsCode) -> CodeLine {
    CodeLine {
        code: g.code.clone(),
        description: g.description.clone(),
        heading: g.code.get(..4).unwrap_or(&g.code).to_owned(),
        supplementary_unit: g.supplementary_unit.clone(),
    }
}

/// Codes that start with `query` (digits, spaces and dots ignored), or
/// whose description contains every word of it (case-insensitive); sorted
/// by code.
pub fn search(tariff: &Tariff, query: &str, day: Date, limit: usize) -> SearchResult {
    let q = query.trim();
    if q.is_empty() {
        return SearchResult {
            lines: Vec::new(),
            more: false,
        };
    }
    let digits: String = q.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    let by_code = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    let mut found: Vec<CodeLine> = tariff
        .nomenclature
        .values()
        .filter_map(|v| on_day(v, day))
        .filter(|g| {
            if by_code {
                g.code.starts_with(&digits)
            } else {
                let d = g.description.to_lowercase();
                words.iter().all(|w| d.contains(w.as_str()))
            }
        })
        .map(line)
        .collect();
    found.sort_by(|a, b| a.code.cmp(&b.code));
    let more = found.len() > limit;
    found.truncate(limit);
    SearchResult { lines: found, more }
}

fn measure_line(t: &Tariff, m: &Measure) -> MeasureLine {
    MeasureLine {
        id: m.id.clone(),
        measure_type: m.measure_type.clone(),
        type_description: t
            .measure_types
            .get(&m.measure_type)
            .map(|x| x.description.clone())
            .unwrap_or_default(),
        goods_code: m.goods_code.clone(),
        area: m.area.clone(),
        area_description: t
            .areas
            .get(&m.area)
            .map(|a| a.description.clone())
            .unwrap_or_default(),
        duty: m.duty_text.clone(),
        additional_code: m.additional_code.clone(),
        quota: m.quota.clone(),
        from: m.validity.from,
        to: m.validity.to,
        conditions: m.conditions.len(),
    }
}

/// Every code of `heading` (4 digits) valid on `day`, each with the
/// measures in force that day on it or an ancestor (most specific first);
/// `None` when the heading has no code.
pub fn heading(tariff: &CurrentTariff, heading: &str, day: Date) -> Option<Vec<HeadingLine>> {
    if heading.len() != 4 || !heading.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = &tariff.tariff;
    let mut codes: Vec<&GoodsCode> = t
        .nomenclature
        .values()
        .filter_map(|v| on_day(v, day))
        .filter(|g| g.code.starts_with(heading))
        .collect();
    if codes.is_empty() {
        return None;
    }
    codes.sort_by(|a, b| a.code.cmp(&b.code));
    Some(
        codes
            .into_iter()
            .map(|g| HeadingLine {
                code: line(g),
                measures: t
                    .measures_for_code(&g.code)
                    .filter(|m| m.validity.contains(day))
                    .map(|m| measure_line(t, m))
                    .collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn demo() -> CurrentTariff {
        CurrentTariff {
            id: 1,
            name: "demo".into(),
            sha256: String::new(),
            tariff: crate::reference::demo_tariff().unwrap(),
        }
    }

    #[test]
    fn searches_by_code_prefix_and_by_words() {
        let t = demo();
        let day = date!(2026 - 06 - 01);
        let r = search(&t.tariff, "8471 30", day, 50);
        assert!(!r.lines.is_empty());
        assert!(r.lines.iter().all(|l| l.code.starts_with("847130")));
        assert_eq!(r.lines[0].heading, "8471");
        let r = search(&t.tariff, "HORSES live", day, 50);
        assert!(!r.lines.is_empty());
        assert!(r
            .lines
            .iter()
            .all(|l| l.description.to_lowercase().contains("horses")));
        let r = search(&t.tariff, "0", day, 3);
        assert_eq!(r.lines.len(), 3);
        assert!(r.more);
        assert!(search(&t.tariff, "  ", day, 3).lines.is_empty());
        assert!(search(&t.tariff, "no such goods zzz", day, 3)
            .lines
            .is_empty());
    }

    #[test]
    fn a_heading_lists_its_codes_with_their_measures() {
        let t = demo();
        let day = date!(2026 - 06 - 01);
        let lines = heading(&t, "8471", day).unwrap();
        assert!(lines.iter().all(|l| l.code.code.starts_with("8471")));
        assert!(lines.iter().any(|l| !l.measures.is_empty()));
        for l in &lines {
            for m in &l.measures {
                assert!(l.code.code.starts_with(&m.goods_code), "{m:?}");
            }
        }
        assert!(heading(&t, "84x1", day).is_none());
        assert!(heading(&t, "847", day).is_none());
    }
}
