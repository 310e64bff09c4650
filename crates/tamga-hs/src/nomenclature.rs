//! The HS 2022 nomenclature: chapters (2 digits), headings (4) and
//! subheadings (6) with their texts, read from the repository's
//! `reference/hs2022.csv` (UN Comtrade short labels; the same file the
//! tariff's reference data is loaded from).

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::error::HsError;

/// The nomenclature file, compiled in.
pub const SHIPPED_HS2022: &str = include_str!("../../../reference/hs2022.csv");

#[derive(Debug, Clone)]
pub struct Heading {
    pub code: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Subheading {
    pub code: String,
    pub text: String,
    /// Index into [`Nomenclature::headings`].
    pub heading: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Nomenclature {
    pub chapters: BTreeMap<String, String>,
    pub headings: Vec<Heading>,
    pub subheadings: Vec<Subheading>,
    heading_index: FxHashMap<String, usize>,
    subheading_index: FxHashMap<String, usize>,
    /// Subheadings whose text is not training text ([`Nomenclature::withhold_texts`]).
    withheld: FxHashSet<usize>,
}

impl Nomenclature {
    /// Reads a CSV with columns `section,hscode,description,parent,level`
    /// (levels 2, 4 and 6; a `TOTAL` row is skipped).
    pub fn from_csv(text: &str) -> Result<Self, HsError> {
        let err = |line: u64, message: String| HsError::Data {
            source_name: "hs2022.csv",
            line,
            message,
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut n = Nomenclature::default();
        let mut pending: Vec<(String, String, u64)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                err(
                    e.position().map_or(0, |p| p.line()),
                    format!("cannot read: {e}"),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let (Some(code), Some(text), Some(level)) =
                (record.get(1), record.get(2), record.get(4))
            else {
                return Err(err(line, "fewer than 5 columns".into()));
            };
            match level {
                "2" => {
                    n.chapters.insert(code.to_owned(), text.to_owned());
                }
                "4" => {
                    n.heading_index.insert(code.to_owned(), n.headings.len());
                    n.headings.push(Heading {
                        code: code.to_owned(),
                        text: text.to_owned(),
                    });
                }
                "6" => pending.push((code.to_owned(), text.to_owned(), line)),
                _ if code == "TOTAL" => {}
                other => return Err(err(line, format!("unknown level {other:?}"))),
            }
        }
        for (code, text, line) in pending {
            let Some(&heading) = code.get(..4).and_then(|h| n.heading_index.get(h)) else {
                return Err(err(line, format!("subheading {code} has no heading")));
            };
            n.subheading_index.insert(code.clone(), n.subheadings.len());
            n.subheadings.push(Subheading {
                code,
                text,
                heading,
            });
        }
        if n.subheadings.is_empty() {
            return Err(err(0, "no subheadings".into()));
        }
        Ok(n)
    }

    pub fn heading(&self, code: &str) -> Option<usize> {
        self.heading_index.get(code).copied()
    }

    pub fn subheading(&self, code: &str) -> Option<usize> {
        self.subheading_index.get(code).copied()
    }

    pub fn chapter_text(&self, code: &str) -> &str {
        self.chapters.get(code).map_or("", String::as_str)
    }

    /// Withholds the texts of these subheadings (6-digit codes; unknown
    /// codes are ignored) from training: a model built on this
    /// nomenclature neither indexes nor learns from them (vocabulary,
    /// document frequencies, centroids, linear models, the correction's
    /// fold models), but still ranks the subheadings (from their heading's
    /// text and their labelled descriptions) and shows their texts. For
    /// evaluating on nomenclature texts (the benchmark's `--pooled`).
    pub fn withhold_texts<'a>(&mut self, codes: impl IntoIterator<Item = &'a str>) {
        for code in codes {
            if let Some(i) = self.subheading(code) {
                self.withheld.insert(i);
            }
        }
    }

    /// The text of subheading `i` as training text: `None` when withheld.
    pub fn training_text(&self, i: usize) -> Option<&str> {
        (!self.withheld.contains(&i)).then(|| self.subheadings[i].text.as_str())
    }
}
