//! Controlled and dual-use goods screening (issue 18, part 3): a
//! maintained, versioned list of controlled goods, each entry with the HS
//! codes and the description terms that identify it, how they must match,
//! the documents (licences, authorisations) that satisfy it and the public
//! instrument it comes from.
//!
//! An item is screened from its declared code **and** its description
//! together: an entry matching by `code` flags the goods declared under
//! its codes; `either` also flags a description naming the goods under any
//! other code (ephedrine declared as a food supplement); `both` needs the
//! code and a term (a broad code where only some goods are controlled).
//!
//! The list is `data/controlled/controlled-goods.csv`, compiled in
//! ([`ControlledList::shipped`]); its version line is recorded with every
//! screening so that a decision says which list it was screened against.
//! Pure and cheap: a pass over the entries with a prefix test and
//! whole-word phrase tests.

use std::sync::OnceLock;

use serde::Serialize;

use crate::error::HsError;

/// The shipped list.
pub const SHIPPED_CONTROLLED: &str = include_str!("../data/controlled/controlled-goods.csv");

/// How an entry's codes and terms must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// The declared code alone.
    Code,
    /// The declared code, or a term in the description.
    Either,
    /// The declared code and a term together.
    Both,
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    /// The kind of control (`drug_precursor`, `dual_use`, `firearms` …).
    pub regime: String,
    /// HS prefixes, 2 to 6 digits.
    pub codes: Vec<String>,
    /// Phrases, normalised (lower case, words separated by one space).
    pub terms: Vec<String>,
    pub mode: Match,
    /// Document codes any one of which satisfies the entry.
    pub licence: Vec<String>,
    /// The public instrument the entry comes from.
    pub source: String,
}

/// What matched an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Matched {
    Code,
    Description,
    CodeAndDescription,
}

impl Matched {
    pub fn as_str(self) -> &'static str {
        match self {
            Matched::Code => "code",
            Matched::Description => "description",
            Matched::CodeAndDescription => "code_and_description",
        }
    }
}

/// An entry an item matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'a> {
    pub entry: &'a Entry,
    pub matched: Matched,
    /// The term found in the description, if one was.
    pub term: Option<&'a str>,
}

/// The list, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledList {
    version: String,
    entries: Vec<Entry>,
}

/// Lower case, every character but letters and digits a separator, words
/// joined by one space, with a space at both ends (for whole-word tests).
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_lowercase());
        out.push(' ');
    }
    out
}

impl ControlledList {
    /// Reads the list: `#` lines are comments, one of them `# version: X`;
    /// then a header `id,regime,codes,terms,match,licence,source`. Every
    /// problem names its line.
    pub fn parse(text: &str) -> Result<ControlledList, HsError> {
        let err = |line: u64, message: String| HsError::Data {
            source_name: "controlled-goods.csv",
            line,
            message,
        };
        let version = text
            .lines()
            .filter_map(|l| l.strip_prefix('#'))
            .find_map(|l| l.trim().strip_prefix("version:"))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| err(1, "no `# version:` line".into()))?;
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("cannot read the header: {e}")))?
            .clone();
        let want = [
            "id", "regime", "codes", "terms", "match", "licence", "source",
        ];
        if headers.iter().collect::<Vec<_>>() != want {
            return Err(err(1, format!("the header must be {}", want.join(","))));
        }
        let mut entries: Vec<Entry> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                err(
                    e.position().map_or(0, |p| p.line()),
                    format!("cannot read: {e}"),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let id = field(0).to_owned();
            if id.is_empty() || entries.iter().any(|e| e.id == id) {
                return Err(err(line, format!("the id {id:?} is empty or repeated")));
            }
            let codes: Vec<String> = field(2).split_whitespace().map(str::to_owned).collect();
            if let Some(bad) = codes
                .iter()
                .find(|c| !(2..=6).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(err(
                    line,
                    format!("{bad:?} is not an HS prefix of 2 to 6 digits"),
                ));
            }
            let terms: Vec<String> = field(3)
                .split('|')
                .map(|t| normalise(t).trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            let mode = match field(4) {
                "code" => Match::Code,
                "either" => Match::Either,
                "both" => Match::Both,
                other => {
                    return Err(err(
                        line,
                        format!("match {other:?} is not code, either or both"),
                    ))
                }
            };
            if codes.is_empty() || (mode != Match::Code && terms.is_empty()) {
                return Err(err(
                    line,
                    format!(
                        "{id}: match {:?} needs codes and, unless `code`, terms",
                        field(4)
                    ),
                ));
            }
            let licence: Vec<String> = field(5).split_whitespace().map(str::to_owned).collect();
            if licence.is_empty() || field(6).is_empty() || field(1).is_empty() {
                return Err(err(
                    line,
                    format!("{id}: regime, licence and source are required"),
                ));
            }
            entries.push(Entry {
                id,
                regime: field(1).to_owned(),
                codes,
                terms,
                mode,
                licence,
                source: field(6).to_owned(),
            });
        }
        Ok(ControlledList { version, entries })
    }

    /// The shipped list, parsed once per process.
    pub fn shipped() -> Result<&'static ControlledList, HsError> {
        static SHIPPED: OnceLock<Result<ControlledList, HsError>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| ControlledList::parse(SHIPPED_CONTROLLED))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries an item with `code` and `description` matches, in list
    /// order.
    pub fn screen(&self, code: &str, description: &str) -> Vec<Hit<'_>> {
        let text = normalise(description);
        self.entries
            .iter()
            .filter_map(|e| {
                let by_code = e.codes.iter().any(|p| code.starts_with(p.as_str()));
                let term = e
                    .terms
                    .iter()
                    .find(|t| text.contains(&format!(" {t} ")))
                    .map(String::as_str);
                let matched = match (e.mode, by_code, term.is_some()) {
                    (Match::Code, true, false) | (Match::Either, true, false) => Matched::Code,
                    (Match::Code | Match::Either | Match::Both, true, true) => {
                        Matched::CodeAndDescription
                    }
                    (Match::Either, false, true) => Matched::Description,
                    _ => return None,
                };
                Some(Hit {
                    entry: e,
                    matched,
                    term,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_and_its_codes_are_hs_2022() {
        let list = ControlledList::shipped().unwrap();
        assert!(list.version().starts_with("2026-"), "{}", list.version());
        assert!(list.entries().len() >= 20);
        let nom = crate::Nomenclature::from_csv(crate::nomenclature::SHIPPED_HS2022).unwrap();
        for e in list.entries() {
            for c in &e.codes {
                let known = match c.len() {
                    4 => nom.heading(c).is_some(),
                    6 => nom.subheading(c).is_some(),
                    _ => true,
                };
                assert!(known, "{}: {c} is not in HS 2022", e.id);
            }
        }
    }

    #[test]
    fn code_and_description_are_screened_together() {
        let list = ControlledList::shipped().unwrap();
        let ids = |code: &str, d: &str| -> Vec<(String, &'static str)> {
            list.screen(code, d)
                .into_iter()
                .map(|h| (h.entry.id.clone(), h.matched.as_str()))
                .collect()
        };
        // The code alone.
        assert_eq!(
            ids("2939410000", "chemical for laboratory use"),
            vec![("PREC-EPHEDRINES".to_owned(), "code")]
        );
        // The description names the goods under another code.
        assert_eq!(
            ids("2106909800", "Food supplement with Pseudoephedrine HCl"),
            vec![("PREC-EPHEDRINES".to_owned(), "description")]
        );
        assert_eq!(
            ids("2939410000", "ephedrine hydrochloride"),
            vec![("PREC-EPHEDRINES".to_owned(), "code_and_description")]
        );
        // `both`: a broad code needs a term.
        assert!(ids("2933399900", "pyridine derivative").is_empty());
        assert_eq!(
            ids("2933399900", "4-ANPP, 1 kg"),
            vec![("PREC-FENTANYL".to_owned(), "code_and_description")]
        );
        assert!(ids("3004900000", "4-ANPP").is_empty());
        // Whole words only.
        assert!(ids("6109100000", "T-shirt, ivory colour").is_empty());
        assert!(ids("3304990000", "cfcream moisturiser").is_empty());
        assert_eq!(
            ids("8806100000", "quadcopter"),
            vec![("DU-DRONES".to_owned(), "code")]
        );
        assert!(ids("6403990000", "mens leather boots").is_empty());
    }

    #[test]
    fn a_broken_list_is_refused_with_its_line() {
        let head = "# version: 1\nid,regime,codes,terms,match,licence,source\n";
        let bad = [
            ("", "version"),
            ("id,regime,codes\n", "header"),
            ("X,r,29,ab,sometimes,C084,s\n", "sometimes"),
            ("X,r,2x,ab,code,C084,s\n", "HS prefix"),
            ("X,r,29,,either,C084,s\n", "needs codes"),
            ("X,r,29,ab,code,,s\n", "required"),
            ("X,r,29,ab,code,C084,s\nX,r,28,ab,code,C084,s\n", "repeated"),
        ];
        for (body, says) in bad {
            let text = if body.starts_with("id,") || body.is_empty() {
                if body.is_empty() {
                    "id,regime,codes,terms,match,licence,source\n".to_owned()
                } else {
                    format!("# version: 1\n{body}")
                }
            } else {
                format!("{head}{body}")
            };
            let e = ControlledList::parse(&text).unwrap_err();
            assert!(e.to_string().contains(says), "{body:?}: {e}");
        }
    }
}
