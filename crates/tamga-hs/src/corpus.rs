//! Labelled descriptions: the HMRC parcel classifier's reference data
//! shipped in `data/hmrc-fpo/` (real parcel descriptions and search terms
//! mapped to UK codes, whose first six digits are the HS subheading), read
//! into [`Example`]s; and the deterministic held-out split the benchmark
//! uses.

use std::hash::Hasher;

use rustc_hash::{FxHashSet, FxHasher};
use serde::Serialize;

use crate::error::HsError;

/// Short parcel descriptions → UK 8/10-digit codes (`Goods Description,Commodity Code`).
pub const SHIPPED_PARCELS: &str = include_str!("../data/hmrc-fpo/extra_references.csv");
/// Search terms → UK 10-digit codes (a JSON object).
pub const SHIPPED_SEARCH_TERMS: &str = include_str!("../data/hmrc-fpo/search_references.json");

/// Where a labelled description comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A real parcel description (HMRC `extra_references.csv`).
    Parcel,
    /// A search term (HMRC `search_references.json`).
    SearchTerm,
    /// A description whose classification an officer confirmed.
    Confirmed,
}

/// A description with its HS subheading (6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub description: String,
    pub code: String,
    pub source: Source,
}

fn six(code: &str) -> Option<String> {
    let code = code.trim();
    (code.len() >= 6 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code[..6].to_owned())
}

/// Reads `Goods Description,Commodity Code` rows. A row whose code is not
/// 6 or more digits is skipped (the shipped file has three, whose code
/// column holds the rest of the description, e.g. line 1125
/// `loreal faux brw tnt,dark brun`); a row that cannot be read is an error.
pub fn parse_parcels(text: &str) -> Result<Vec<Example>, HsError> {
    let mut out = Vec::new();
    for record in csv::Reader::from_reader(text.as_bytes()).records() {
        let record = record.map_err(|e| HsError::Data {
            source_name: "extra_references.csv",
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let (Some(description), Some(code)) = (record.get(0), record.get(1)) else {
            return Err(HsError::Data {
                source_name: "extra_references.csv",
                line,
                message: "fewer than 2 columns".into(),
            });
        };
        let Some(code) = six(code) else {
            continue;
        };
        out.push(Example {
            description: description.replace("&amp;", "&"),
            code,
            source: Source::Parcel,
        });
    }
    Ok(out)
}

/// Reads a JSON object of search term → code.
pub fn parse_search_terms(text: &str) -> Result<Vec<Example>, HsError> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| HsError::Data {
            source_name: "search_references.json",
            line: e.line() as u64,
            message: e.to_string(),
        })?;
    let mut out = Vec::with_capacity(map.len());
    for (term, code) in map {
        let Some(code) = code.as_str().and_then(six) else {
            return Err(HsError::Data {
                source_name: "search_references.json",
                line: 0,
                message: format!("bad code for {term:?}: {code}"),
            });
        };
        out.push(Example {
            description: term,
            code,
            source: Source::SearchTerm,
        });
    }
    Ok(out)
}

/// The shipped labelled descriptions (parcels first, then search terms),
/// each description once.
pub fn shipped_examples() -> Result<Vec<Example>, HsError> {
    let mut all = parse_parcels(SHIPPED_PARCELS)?;
    all.extend(parse_search_terms(SHIPPED_SEARCH_TERMS)?);
    Ok(dedupe(all))
}

/// The description as compared for duplicates: lower case, words separated
/// by single spaces.
pub fn normalised(description: &str) -> String {
    description
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Keeps the first example of each normalised description.
pub fn dedupe(examples: Vec<Example>) -> Vec<Example> {
    let mut seen = FxHashSet::default();
    examples
        .into_iter()
        .filter(|e| seen.insert(normalised(&e.description)))
        .collect()
}

/// Splits into (kept, held out): an example is held out when the hash of
/// its normalised description with `seed` falls in the first
/// `held_out_per_mille` of a thousand. The same description always falls
/// on the same side, so duplicates never leak across.
pub fn split(
    examples: &[Example],
    held_out_per_mille: u64,
    seed: u64,
) -> (Vec<Example>, Vec<Example>) {
    examples.iter().cloned().partition(|e| {
        let mut h = FxHasher::default();
        h.write_u64(seed);
        h.write(normalised(&e.description).as_bytes());
        // Mix the high bits down: FxHash's low bits are weak.
        let x = h.finish();
        let x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        (x ^ (x >> 32)) % 1000 >= held_out_per_mille
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_examples_load_with_six_digit_codes() {
        let all = shipped_examples().unwrap();
        assert!(all.len() > 6000, "{}", all.len());
        assert!(all.iter().all(|e| e.code.len() == 6));
        assert!(all.iter().any(|e| e.source == Source::Parcel));
        assert!(all
            .iter()
            .any(|e| e.description == "absinthe" && e.code == "220890"));
    }

    #[test]
    fn the_split_is_deterministic_and_about_the_share_asked() {
        let all = shipped_examples().unwrap();
        let (kept, held) = split(&all, 200, 7);
        assert_eq!(kept.len() + held.len(), all.len());
        let share = held.len() as f64 / all.len() as f64;
        assert!((0.17..0.23).contains(&share), "{share}");
        assert_eq!(split(&all, 200, 7).1, held);
        assert_ne!(split(&all, 200, 8).1, held);
    }

    #[test]
    fn a_row_without_a_code_is_skipped_and_a_short_row_is_an_error() {
        let ok =
            parse_parcels("Goods Description,Commodity Code\nshoes,640399\nhat,65x\n").unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(parse_parcels(SHIPPED_PARCELS).unwrap().len(), 2358 - 3);
        let e = parse_parcels("Goods Description,Commodity Code\nshoes,640399\nhat\n").unwrap_err();
        assert_eq!(e.code(), "hs.data_invalid");
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
