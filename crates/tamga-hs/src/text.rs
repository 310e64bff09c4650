//! From a description to features: lower-case words (letters only; digits
//! and punctuation separate them), a light English stemmer, stop words
//! dropped, then three kinds of feature hashed to 64 bits: word stems,
//! pairs of adjacent stems, and character 3- to 5-grams of each word
//! (which carry misspellings, compounds, brand-like fragments and other
//! languages' inflections).

use std::hash::Hasher;

use rustc_hash::FxHasher;

/// A word of a description: as written (lower case) and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub word: String,
    pub stem: String,
}

/// Which block of the feature vector a feature belongs to: words and word
/// pairs, or character n-grams (each block is normalised on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Block {
    Word,
    Char,
}

const STOP_WORDS: &[&str] = &[
    "a",
    "amp",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "but",
    "by",
    "etc",
    "for",
    "from",
    "in",
    "incl",
    "including",
    "into",
    "is",
    "it",
    "its",
    "kind",
    "kinds",
    "nbsp",
    "nes",
    "no",
    "not",
    "of",
    "on",
    "or",
    "other",
    "pcs",
    "quot",
    "than",
    "that",
    "the",
    "their",
    "this",
    "to",
    "type",
    "used",
    "whether",
    "with",
    "without",
];

/// The words of `text` that carry meaning, in order. A hyphenated word
/// gives its parts and then the parts joined (`t-shirt` → `shirt`,
/// `tshirt`), so both spellings meet.
pub fn tokens(text: &str) -> Vec<Token> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut push = |w: &str| {
        if w.chars().count() >= 2 && !STOP_WORDS.contains(&w) {
            out.push(Token {
                word: w.to_owned(),
                stem: stem(w),
            });
        }
    };
    for chunk in lower.split(|c: char| !c.is_alphabetic() && c != '-') {
        let parts: Vec<&str> = chunk.split('-').filter(|p| !p.is_empty()).collect();
        for p in &parts {
            push(p);
        }
        if parts.len() > 1 {
            push(&parts.concat());
        }
    }
    out
}

/// A light English stemmer: plurals only (`batteries` → `battery`,
/// `boxes` → `box`, `shoes` → `shoe`), leaving `glass`, `bus`, `axis`.
pub fn stem(word: &str) -> String {
    let n = word.len();
    if !word.is_ascii() {
        return word.to_owned();
    }
    if n > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..n - 3]);
    }
    if n > 4
        && ["sses", "shes", "ches", "xes", "zes"]
            .iter()
            .any(|s| word.ends_with(s))
    {
        return word[..n - 2].to_owned();
    }
    if n > 3 && word.ends_with('s') && !["ss", "us", "is"].iter().any(|s| word.ends_with(s)) {
        return word[..n - 1].to_owned();
    }
    word.to_owned()
}

fn hash(kind: u8, parts: &[&str]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(kind);
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

/// The hash of a word stem's feature (for matching terms).
pub fn word_feature(stem: &str) -> u64 {
    hash(b'w', &[stem])
}

/// A stem's consonant skeleton: its first letter and the consonants after
/// it (`towel` → `twl`, `sanitary` → `sntry`), so a parcel's vowel-less
/// abbreviation (`sntry twls`) meets the word; `None` for skeletons
/// shorter than 3 letters (too ambiguous) or words not in ASCII.
pub fn skeleton(stem: &str) -> Option<String> {
    if !stem.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(stem.len());
    for (i, c) in stem.chars().enumerate() {
        if (i == 0 || !matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')) && !out.ends_with(c) {
            out.push(c);
        }
    }
    (out.len() >= 3).then_some(out)
}

/// Words that end a goods phrase: what follows says what the goods are
/// for, with or in (`case for iphone` is a case).
const PHRASE_ENDS: &[&str] = &[
    "for",
    "with",
    "without",
    "in",
    "to",
    "from",
    "by",
    "on",
    "incl",
    "including",
];

/// Words that are never the head of a goods phrase: colours, sizes,
/// quantities, units written as words.
const NOT_HEADS: &[&str] = &[
    "black",
    "white",
    "red",
    "blue",
    "green",
    "yellow",
    "pink",
    "grey",
    "gray",
    "brown",
    "beige",
    "orange",
    "purple",
    "gold",
    "silver",
    "navy",
    "multicolour",
    "multicolor",
    "size",
    "small",
    "medium",
    "large",
    "xl",
    "xxl",
    "xs",
    "one",
    "two",
    "new",
    "pack",
    "pcs",
    "pc",
    "piece",
    "pieces",
    "set",
    "kg",
    "ml",
    "cm",
    "mm",
    "gb",
    "tb",
    "inch",
];

/// The head of a goods description, as a stem: the last word of its
/// goods phrase, which is its first phrase (up to the first `,`, `;`, `(`,
/// `[`, `|`, `/`, ` - ` or a word such as `for`, `with`, `in`; after
/// `of`: `pair of shoes`), skipping colours, sizes and units at its end.
/// `Levi's Men's 501 Original Fit Jeans, Dark Stonewash, 32W x 32L` →
/// `jean`; `leather case for iphone` → `case`. `None` when there is none.
pub fn head(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let first = lower
        .split([',', ';', '(', '|', '[', '/'])
        .next()
        .unwrap_or("")
        .split(" - ")
        .next()
        .unwrap_or("");
    let words: Vec<&str> = first
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let end = words
        .iter()
        .position(|w| PHRASE_ENDS.contains(w))
        .unwrap_or(words.len());
    let mut phrase = &words[..end];
    if let Some(of) = phrase.iter().position(|w| *w == "of") {
        if of + 1 < phrase.len() {
            phrase = &phrase[of + 1..];
        }
    }
    phrase
        .iter()
        .rev()
        .find(|w| w.len() >= 3 && !STOP_WORDS.contains(w) && !NOT_HEADS.contains(w))
        .map(|w| stem(w))
}

/// The feature of a description's head word ([`head`]).
pub fn head_feature(stem: &str) -> u64 {
    hash(b'h', &[stem])
}

/// Appends the features of `tokens` (with repeats: the caller counts).
pub fn features(tokens: &[Token], out: &mut Vec<(u64, Block)>) {
    for (i, t) in tokens.iter().enumerate() {
        out.push((word_feature(&t.stem), Block::Word));
        if let Some(k) = skeleton(&t.stem) {
            out.push((hash(b'k', &[&k]), Block::Word));
        }
        if let Some(next) = tokens.get(i + 1) {
            out.push((hash(b'b', &[&t.stem, &next.stem]), Block::Word));
        }
        let padded: Vec<char> = std::iter::once('<')
            .chain(t.word.chars())
            .chain(std::iter::once('>'))
            .collect();
        let mut gram = String::new();
        for n in 3..=5 {
            if padded.len() < n {
                break;
            }
            for window in padded.windows(n) {
                gram.clear();
                gram.extend(window);
                out.push((hash(b'c', &[&gram]), Block::Char));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_letters_without_stop_words() {
        let words: Vec<String> = tokens("1x Men's LEATHER Boots, size 42 & 100ml of polish")
            .into_iter()
            .map(|t| t.stem)
            .collect();
        assert_eq!(words, ["men", "leather", "boot", "size", "ml", "polish"]);
        let words: Vec<String> = tokens("T-Shirts - x-ray")
            .into_iter()
            .map(|t| t.stem)
            .collect();
        assert_eq!(words, ["shirt", "tshirt", "ray", "xray"]);
    }

    #[test]
    fn plurals_are_stemmed_but_not_words_ending_in_s() {
        assert_eq!(stem("batteries"), "battery");
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("glasses"), "glass");
        assert_eq!(stem("shoes"), "shoe");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("gas"), "gas");
    }

    #[test]
    fn skeletons_match_vowel_less_abbreviations() {
        assert_eq!(skeleton("towel").as_deref(), Some("twl"));
        assert_eq!(skeleton(&stem("twls")), skeleton("towel"));
        assert_eq!(skeleton("sanitary"), skeleton("sntry"));
        assert_eq!(skeleton("boot"), None);
        assert_eq!(skeleton("café"), None);
    }

    #[test]
    fn the_head_is_the_last_word_of_the_goods_phrase() {
        assert_eq!(head("Mens leather boots").as_deref(), Some("boot"));
        assert_eq!(head("Leather case for iPhone 13").as_deref(), Some("case"));
        assert_eq!(head("pair of shoes for kids").as_deref(), Some("shoe"));
        assert_eq!(
            head("Samsung Galaxy S21 5G Smartphone 128GB, black").as_deref(),
            Some("smartphone")
        );
        assert_eq!(head("cup with lid").as_deref(), Some("cup"));
        assert_eq!(head("black, xl").as_deref(), None);
        assert_eq!(head("12345").as_deref(), None);
        assert_eq!(head("for").as_deref(), None);
        assert_eq!(
            head("Levi's Men's 501 Original Fit Jeans, Dark Stonewash, 32W x 32L").as_deref(),
            Some("jean")
        );
    }

    #[test]
    fn features_are_words_pairs_and_char_grams() {
        let mut out = Vec::new();
        features(&tokens("red wine"), &mut out);
        let words = out.iter().filter(|(_, b)| *b == Block::Word).count();
        // red, wine, "red wine", skeleton "wn" is too short, "rd" too.
        assert_eq!(words, 3);
        // "<red>": 3 + 2 + 1 grams; "<wine>": 4 + 3 + 2.
        assert_eq!(out.len() - words, 6 + 9);
        assert!(out.contains(&(word_feature("wine"), Block::Word)));
    }
}
