//! What a goods word is a kind of: a lexicon from Princeton WordNet 3.0
//! (`data/wordnet/`, its licence beside it) that gives a noun's synonyms
//! and the kinds above it (`moccasin` → `shoe`, `footwear`; `saucepan` →
//! `pan`, `cookware`; `mobile phone` → `cellular telephone`, `telephone`),
//! so that a description in words the labelled data never used still
//! meets the nomenclature's and the labelled descriptions' words.
//!
//! Only the nouns of goods (artefacts, food, plants, animals, substances,
//! natural objects) are in it, each by its most frequent sense of that
//! kind (and a second sense of the same kind where the word is that
//! sense's own first word): `drill` is a tool, not a baboon; `bag` a
//! container, not the baseball base. Kinds so general that they cover more than 1,500 others
//! (`artifact`, `device`, `food`) are left out. The list is made by
//! `data/wordnet/extract.py` from the WordNet files; see its header.
//!
//! Expansions are features of the word block, counted
//! [`EXPANSION_WEIGHT`] each (a word the description writes itself is not
//! added again): they add, never replace. The weight was chosen on a
//! validation split of the training part (0 to 1.5 tried; 0.8 to 1.5
//! within noise of each other, all above none).

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use crate::text::{self, Token};

/// The shipped lexicon: `lemma<TAB>expansion|expansion…`, lemmas of one
/// or two words.
const SHIPPED: &str = include_str!("../data/wordnet/goods-lexicon.tsv");

/// The count of an expansion's word (1: as a word written once).
pub const EXPANSION_WEIGHT: f32 = 1.0;

/// Lemma (stems joined by a space) → the stems of its expansions.
#[derive(Debug, Default)]
pub struct Lexicon {
    entries: FxHashMap<String, Vec<String>>,
}

fn stems(phrase: &str) -> Vec<String> {
    text::tokens(phrase).into_iter().map(|t| t.stem).collect()
}

impl Lexicon {
    /// Reads a lexicon in the shipped format; lines that are not
    /// `lemma<TAB>expansions` are skipped.
    pub fn parse(source: &str) -> Self {
        let mut entries: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for line in source.lines() {
            let Some((lemma, expansions)) = line.split_once('\t') else {
                continue;
            };
            let key = stems(lemma).join(" ");
            if key.is_empty() {
                continue;
            }
            let into = entries.entry(key).or_default();
            for e in expansions.split('|') {
                for s in stems(e) {
                    if !into.contains(&s) {
                        into.push(s);
                    }
                }
            }
        }
        // A lemma's own stems are no expansion of it.
        for (k, v) in entries.iter_mut() {
            v.retain(|s| !k.split(' ').any(|w| w == s));
        }
        entries.retain(|_, v| !v.is_empty());
        Lexicon { entries }
    }

    /// The lexicon compiled into the crate (read once per process).
    pub fn shipped() -> &'static Lexicon {
        static SHIPPED_LEXICON: OnceLock<Lexicon> = OnceLock::new();
        SHIPPED_LEXICON.get_or_init(|| Lexicon::parse(SHIPPED))
    }

    /// Lemmas in the lexicon.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The expansion stems of a description's tokens, each with the index
    /// of the token it comes from (the first of a pair), so a reason can
    /// say `moccasins` is a kind of `footwear`: a pair of adjacent words
    /// that is a lemma (`mobile phone`) is expanded as one and its words
    /// are not expanded alone; each stem once; none that the description
    /// writes itself.
    pub fn kinds(&self, tokens: &[Token]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        let written = |s: &str| tokens.iter().any(|t| t.stem == s);
        let mut push = |stems: &[String], from: usize| {
            for s in stems {
                if !written(s) && !out.iter().any(|(k, _)| k == s) {
                    out.push((s.clone(), from));
                }
            }
        };
        let mut i = 0;
        let mut pair = String::new();
        while i < tokens.len() {
            if let Some(next) = tokens.get(i + 1) {
                pair.clear();
                pair.push_str(&tokens[i].stem);
                pair.push(' ');
                pair.push_str(&next.stem);
                if let Some(e) = self.entries.get(&pair) {
                    push(e, i);
                    i += 2;
                    continue;
                }
            }
            if let Some(e) = self.entries.get(&tokens[i].stem) {
                push(e, i);
            }
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(lexicon: &Lexicon, text: &str) -> Vec<String> {
        let tokens = text::tokens(text);
        lexicon.kinds(&tokens).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn words_and_pairs_expand_to_their_kinds() {
        let l = Lexicon::parse(
            "sneaker\tgym shoe|shoe|footwear\nmobile phone\tcellular telephone|telephone\n\
             mobile\tsculpture\nphone\ttelephone|electronic equipment\nbad line\n",
        );
        assert_eq!(l.len(), 4);
        // Plural written, lemma singular; "shoe" once.
        assert_eq!(expand(&l, "Nike Sneakers"), ["gym", "shoe", "footwear"]);
        // The pair is one lemma: neither word is expanded alone.
        assert_eq!(expand(&l, "old mobile phones"), ["cellular", "telephone"]);
        assert_eq!(
            expand(&l, "phone"),
            ["telephone", "electronic", "equipment"]
        );
        // A word the description writes is not added again.
        assert_eq!(expand(&l, "sneaker shoe"), ["gym", "footwear"]);
        assert!(expand(&l, "unknown words").is_empty());
        // Where each kind comes from (the first word of a pair).
        let kinds = l.kinds(&text::tokens("red sneakers, mobile phone"));
        assert_eq!(kinds[0], ("gym".to_owned(), 1));
        assert_eq!(kinds[3], ("cellular".to_owned(), 2));
    }

    #[test]
    fn the_shipped_lexicon_knows_goods_by_their_usual_sense() {
        let l = Lexicon::shipped();
        assert!(l.len() > 40_000, "{}", l.len());
        assert!(expand(l, "moccasins").contains(&"footwear".to_owned()));
        assert!(expand(l, "saucepan").contains(&"cookware".to_owned()));
        assert!(expand(l, "mobile phone").contains(&"telephone".to_owned()));
        // A drill is a tool here, never the baboon (another kind of noun).
        let drill = expand(l, "drill");
        assert!(drill.contains(&"tool".to_owned()), "{drill:?}");
        assert!(!drill.contains(&"baboon".to_owned()), "{drill:?}");
        // A second sense only where the word is its first word: a bag is
        // a container, not also the baseball base.
        let bag = expand(l, "bags");
        assert!(bag.contains(&"container".to_owned()), "{bag:?}");
        assert!(!bag.contains(&"baseball".to_owned()), "{bag:?}");
        // Too general to tell goods apart.
        assert!(!expand(l, "kettle").contains(&"artifact".to_owned()));
    }
}
