//! Is a goods description too vague to classify?
//!
//! A description such as "gift", "parts", "samples", "black, m" or a brand
//! alone names no goods a classification could follow from. Three tests,
//! in this order, the first that holds answers:
//!
//! 1. **Listed** ([`VagueKind::Listed`]): the description, normalised
//!    (lower case, blanks collapsed, surrounding punctuation and quotes
//!    trimmed), is in the seed list: HMRC's parcel classifier's
//!    `vague_terms.csv` (4,450 descriptions its officers found too vague
//!    to classify) and `vague_terms_patterns.txt` (regular expressions),
//!    shipped in `data/hmrc-fpo/` (MIT, Crown copyright), plus
//!    [`GENERIC_TERMS`].
//! 2. **Generic** ([`VagueKind::Generic`]): every word is a generic word
//!    ([`GENERIC_TERMS`]: gift, parts, samples, goods, accessories …) or
//!    filler (numbers, sizes, ages, colours, packing and condition words,
//!    stop words): "2 gift boxes", "new samples, black", "black, xl",
//!    "beige, one size (8-16)".
//! 3. **Unrecognised** ([`VagueKind::Unrecognised`]): no word of it is
//!    known to the classifier's model (decided by the caller, who has the
//!    ranking: [`crate::Ranking::has_known_terms`]): a brand or a product
//!    code alone ("Muller", "lwh51-a9jk").
//!
//! Pure and cheap: a hash lookup and a pass over the words; the patterns
//! are compiled once per process.

use std::sync::OnceLock;

use regex::RegexSet;
use rustc_hash::FxHashSet;
use serde::Serialize;

/// HMRC's seed list of vague descriptions, one per line (CSV, quoted when
/// it holds a comma).
pub const SHIPPED_VAGUE_TERMS: &str = include_str!("../data/hmrc-fpo/vague_terms.csv");
/// HMRC's regular expressions of vague descriptions (`#` lines are comments).
pub const SHIPPED_VAGUE_PATTERNS: &str = include_str!("../data/hmrc-fpo/vague_terms_patterns.txt");

/// Words that name no goods by themselves. Maintained here; a description
/// made only of these and filler is vague.
pub const GENERIC_TERMS: &[&str] = &[
    "accessories",
    "accessory",
    "article",
    "articles",
    "assorted",
    "belongings",
    "cargo",
    "commodities",
    "commodity",
    "component",
    "components",
    "consignment",
    "consolidated",
    "effects",
    "equipment",
    "freight",
    "general",
    "gift",
    "gifts",
    "goods",
    "item",
    "items",
    "material",
    "materials",
    "merchandise",
    "misc",
    "miscellaneous",
    "mixed",
    "part",
    "parts",
    "personal",
    "present",
    "presents",
    "product",
    "products",
    "sample",
    "samples",
    "spare",
    "spares",
    "stuff",
    "sundries",
    "sundry",
    "supplies",
    "things",
    "unit",
    "units",
    "various",
];

/// Words that say nothing about what the goods are: packing, condition,
/// quantities, sizes, ages, colours. A description of only these (and
/// numbers) names no goods either ("black, xl", "2 pcs, one size").
const FILLER: &[&str] = &[
    "a",
    "adult",
    "adults",
    "age",
    "all",
    "an",
    "and",
    "as",
    "assortment",
    "bag",
    "bags",
    "beige",
    "big",
    "black",
    "blue",
    "bordeaux",
    "box",
    "boxes",
    "boy",
    "boys",
    "bronze",
    "brown",
    "burgandy",
    "burgundy",
    "camel",
    "carton",
    "cartons",
    "case",
    "cases",
    "charcoal",
    "child",
    "children",
    "collection",
    "color",
    "colour",
    "coral",
    "cream",
    "dark",
    "different",
    "double",
    "each",
    "eu",
    "extra",
    "for",
    "free",
    "from",
    "fuchsia",
    "full",
    "girl",
    "girls",
    "gold",
    "gray",
    "green",
    "grey",
    "half",
    "in",
    "ivory",
    "khaki",
    "kids",
    "king",
    "kit",
    "kits",
    "l",
    "large",
    "lavender",
    "light",
    "lilac",
    "lot",
    "lots",
    "m",
    "maroon",
    "medium",
    "men",
    "mens",
    "mint",
    "month",
    "months",
    "multi",
    "multicolour",
    "mustard",
    "natural",
    "navy",
    "new",
    "no",
    "nude",
    "of",
    "old",
    "olive",
    "one",
    "onesize",
    "or",
    "orange",
    "other",
    "pack",
    "packs",
    "pair",
    "pairs",
    "parcel",
    "pc",
    "pcs",
    "peach",
    "piece",
    "pieces",
    "pink",
    "plus",
    "purple",
    "queen",
    "red",
    "regular",
    "rose",
    "s",
    "set",
    "sets",
    "silver",
    "single",
    "size",
    "sizes",
    "small",
    "some",
    "standard",
    "tan",
    "taupe",
    "teal",
    "the",
    "to",
    "turquoise",
    "uk",
    "unisex",
    "us",
    "used",
    "violet",
    "white",
    "wine",
    "with",
    "woman",
    "women",
    "womens",
    "x",
    "xl",
    "xs",
    "xxl",
    "xxxl",
    "year",
    "years",
    "yellow",
];

/// Why a description is vague.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VagueKind {
    /// In the seed list, or matching one of its patterns.
    Listed,
    /// Only generic words, or only filler (colours, sizes, quantities,
    /// packing) and numbers.
    Generic,
    /// No word known to the classifier (a brand or a code alone).
    Unrecognised,
}

impl VagueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VagueKind::Listed => "listed",
            VagueKind::Generic => "generic",
            VagueKind::Unrecognised => "unrecognised",
        }
    }
}

/// The seed list, compiled.
#[derive(Debug)]
pub struct VagueList {
    terms: FxHashSet<String>,
    patterns: RegexSet,
    generic: FxHashSet<&'static str>,
    filler: FxHashSet<&'static str>,
}

/// A description as the list compares it: lower case, blanks collapsed,
/// quotes and punctuation around it trimmed.
pub fn normalise(description: &str) -> String {
    let lower = description.to_lowercase();
    let joined = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_matches(|c: char| c.is_ascii_punctuation() && c != '[' && c != ']' || c == ' ')
        .to_owned()
}

impl VagueList {
    /// From a list (one description a line, CSV-quoted when it holds a
    /// comma) and patterns (one regular expression a line; `#` comments
    /// and blank lines skipped). A pattern that does not compile is left
    /// out and returned, so that a bad line never disables the list.
    pub fn new(terms_csv: &str, patterns: &str) -> (VagueList, Vec<String>) {
        let mut terms: FxHashSet<String> = FxHashSet::default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(terms_csv.as_bytes());
        for record in reader.records().flatten() {
            let line = record.iter().collect::<Vec<_>>().join(",");
            let n = normalise(&line);
            if !n.is_empty() {
                terms.insert(n);
            }
        }
        for g in GENERIC_TERMS {
            terms.insert((*g).to_owned());
        }
        let mut bad = Vec::new();
        let mut good = Vec::new();
        for line in patterns.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Case-insensitive: the list is compared in lower case.
            let p = format!("(?i){line}");
            match regex::Regex::new(&p) {
                Ok(_) => good.push(p),
                Err(_) => bad.push(line.to_owned()),
            }
        }
        let patterns = RegexSet::new(&good).unwrap_or_else(|_| RegexSet::empty());
        (
            VagueList {
                terms,
                patterns,
                generic: GENERIC_TERMS.iter().copied().collect(),
                filler: FILLER.iter().copied().collect(),
            },
            bad,
        )
    }

    /// The list shipped in the crate without the shipped labelled
    /// descriptions ([`Self::without`]), compiled once per process.
    pub fn shipped() -> &'static VagueList {
        static SHIPPED: OnceLock<VagueList> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            let examples = crate::corpus::shipped_examples().unwrap_or_default();
            VagueList::new(SHIPPED_VAGUE_TERMS, SHIPPED_VAGUE_PATTERNS)
                .0
                .without(examples.iter().map(|e| e.description.as_str()))
        })
    }

    /// How many descriptions the list holds.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Tests 1 and 2 of the module doc (the third needs the model).
    pub fn check(&self, description: &str) -> Option<VagueKind> {
        let n = normalise(description);
        if n.is_empty() {
            return Some(VagueKind::Generic);
        }
        if self.terms.contains(&n) || self.patterns.is_match(description.trim()) {
            return Some(VagueKind::Listed);
        }
        for word in n
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !(self.generic.contains(word)
                || self.filler.contains(word)
                || word.chars().all(|c| c.is_ascii_digit()))
            {
                // A size such as "10", "3xl" or "12m" is filler too.
                let digits_and_size = word.chars().any(|c| c.is_ascii_digit())
                    && word
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .collect::<String>()
                        .len()
                        <= 3;
                if !digits_and_size {
                    return None;
                }
            }
        }
        Some(VagueKind::Generic)
    }

    /// The list without `descriptions` (normalised): a description that
    /// was classified (a labelled example) is not too vague to classify,
    /// whatever the seed list says.
    pub fn without<'a>(mut self, descriptions: impl IntoIterator<Item = &'a str>) -> Self {
        for d in descriptions {
            let n = normalise(d);
            if !self.generic.contains(n.as_str()) {
                self.terms.remove(&n);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_list_loads_with_every_pattern() {
        let (list, bad) = VagueList::new(SHIPPED_VAGUE_TERMS, SHIPPED_VAGUE_PATTERNS);
        assert!(bad.is_empty(), "{bad:?}");
        assert!(list.len() > 4_000, "{}", list.len());
    }

    #[test]
    fn listed_generic_and_specific_descriptions() {
        let v = VagueList::shipped();
        for listed in [
            "Chemicals, hazardous",
            "  CHEMICALS,   HAZARDOUS ",
            "\"black, large\"",
            "card",
            "gift",
            "Parts",
            "spare parts",
            "personal effects",
            "CONSOLIDATED COLLI 17 PACKAGES",
            "[bn-00011-166w50h-banner_vy] p",
        ] {
            assert_eq!(v.check(listed), Some(VagueKind::Listed), "{listed:?}");
        }
        for generic in [
            "2 gift boxes",
            "new samples, black",
            "assorted items",
            "misc goods 3xl",
        ] {
            assert_eq!(v.check(generic), Some(VagueKind::Generic), "{generic:?}");
        }
        for generic in ["navy, xxxl", "teal, one size (8-16)", "3 pcs", "red"] {
            assert_eq!(v.check(generic), Some(VagueKind::Generic), "{generic:?}");
        }
        for specific in [
            "mens leather boots",
            "frozen shrimp",
            "car parts: brake pads",
            "gift wrapping paper",
            "samples of cotton fabric",
            "black tea",
            "",
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        {
            assert_eq!(v.check(specific), None, "{specific:?}");
        }
        assert_eq!(v.check("   "), Some(VagueKind::Generic));
    }

    #[test]
    fn a_classified_description_is_taken_off_the_list() {
        let (list, _) = VagueList::new("card\nmask\ngift\n", "");
        assert_eq!(list.check("Card"), Some(VagueKind::Listed));
        let list = list.without(["CARD", "gift"]);
        assert_eq!(list.check("card"), None);
        assert_eq!(list.check("mask"), Some(VagueKind::Listed));
        // A generic word stays vague.
        assert_eq!(list.check("gift"), Some(VagueKind::Listed));
    }

    #[test]
    fn a_bad_pattern_is_reported_not_fatal() {
        let (list, bad) = VagueList::new("gift\n", "([unclosed\n# comment\n^ok$\n");
        assert_eq!(bad, vec!["([unclosed".to_owned()]);
        assert_eq!(list.check("OK"), Some(VagueKind::Listed));
        assert_eq!(list.check("gift"), Some(VagueKind::Listed));
    }
}
