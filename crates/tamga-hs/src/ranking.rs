//! A scored description: its best subheadings with the reasons, and the
//! rank of any given code — so "does the declared heading rank in the top
//! k?" is one call on one scoring.

use serde::Serialize;

use crate::error::{check_code, HsError};
use crate::linear::Discriminative;
use crate::model::{Model, Scores};
use crate::rerank::Reranker;
use crate::text::{self, Token};

/// A code and its text in the nomenclature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub code: String,
    pub text: String,
}

/// Chapter, heading and subheading of a candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Path {
    pub chapter: Node,
    pub heading: Node,
    pub subheading: Node,
}

/// A labelled description close to the one asked about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    pub description: String,
    pub code: String,
    /// Cosine similarity, 0 to 1.
    pub similarity: f64,
}

/// A word of the description and the kind of goods it is (a stem of the
/// lexicon's) that a candidate's texts name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedTerm {
    pub word: String,
    pub kind: String,
}

/// A candidate subheading and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The HS subheading, 6 digits.
    pub code: String,
    /// The blended score (higher is better; comparable within one
    /// description, not a probability).
    pub score: f64,
    pub path: Path,
    /// Words of the description found in the candidate's nomenclature
    /// texts or in its labelled descriptions.
    pub matching_terms: Vec<String>,
    /// Words of the description that are kinds of goods the candidate's
    /// texts name, by the goods lexicon ([`crate::lexicon`]): `moccasins`
    /// is a kind of `footwear`. Only for words not already matching.
    pub related_terms: Vec<RelatedTerm>,
    /// The nearest labelled descriptions classified under the candidate.
    pub nearest_examples: Vec<Neighbour>,
}

/// Every subheading scored for one description.
#[derive(Debug)]
pub struct Ranking<'a> {
    model: &'a Model,
    scores: Scores,
    tokens: Vec<Token>,
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

impl<'a> Ranking<'a> {
    pub(crate) fn new(
        model: &'a Model,
        reranker: &Reranker,
        linear: &Discriminative,
        description: &str,
    ) -> Self {
        let mut scores = model.score(description);
        reranker.adjust(&model.nomenclature, &mut scores);
        linear.adjust(model, &mut scores);
        Ranking {
            model,
            scores,
            tokens: text::tokens(description),
        }
    }

    /// Whether the description had any word the model knows.
    pub fn has_known_terms(&self) -> bool {
        !self.scores.neighbours.is_empty()
    }

    /// Indexes of the `k` best subheadings, best first (ties by code).
    fn top_indexes(&self, k: usize) -> Vec<usize> {
        let s = &self.scores.subheadings;
        let mut idx: Vec<usize> = (0..s.len()).collect();
        let order = |a: &usize, b: &usize| s[*b].total_cmp(&s[*a]).then(a.cmp(b));
        let k = k.min(idx.len());
        if k == 0 {
            return Vec::new();
        }
        if k < idx.len() {
            idx.select_nth_unstable_by(k - 1, order);
            idx.truncate(k);
        }
        idx.sort_unstable_by(order);
        idx
    }

    /// The `k` best subheading codes with their scores.
    pub fn top_codes(&self, k: usize) -> Vec<(&'a str, f64)> {
        self.top_indexes(k)
            .into_iter()
            .map(|i| {
                (
                    self.model.nomenclature.subheadings[i].code.as_str(),
                    round(self.scores.subheadings[i]),
                )
            })
            .collect()
    }

    /// The `k` best subheadings with their reasons.
    pub fn suggestions(&self, k: usize) -> Vec<Suggestion> {
        // The description's kinds, once for all the candidates.
        let kinds = if self.model.params.lexicon > 0.0 {
            crate::lexicon::Lexicon::shipped().kinds(&self.tokens)
        } else {
            Vec::new()
        };
        self.top_indexes(k)
            .into_iter()
            .map(|i| self.suggestion(i, &kinds))
            .collect()
    }

    /// Candidate `i` with its reasons; `kinds` are the description's
    /// kinds by the lexicon ([`crate::lexicon::Lexicon::kinds`]).
    fn suggestion(&self, i: usize, kinds: &[(String, usize)]) -> Suggestion {
        let m = self.model;
        let nom = &m.nomenclature;
        let sub = &nom.subheadings[i];
        let heading = &nom.headings[sub.heading];
        let chapter = &sub.code[..2];
        let mut matching_terms: Vec<String> = Vec::new();
        for t in &self.tokens {
            if m.class_words[i].contains(&text::word_feature(&t.stem))
                && !matching_terms.contains(&t.word)
            {
                matching_terms.push(t.word.clone());
            }
        }
        let related_terms: Vec<RelatedTerm> = kinds
            .iter()
            .filter(|(kind, from)| {
                m.class_words[i].contains(&text::word_feature(kind))
                    && !matching_terms.contains(&self.tokens[*from].word)
            })
            .take(5)
            .map(|(kind, from)| RelatedTerm {
                word: self.tokens[*from].word.clone(),
                kind: kind.clone(),
            })
            .collect();
        let nearest_examples = self
            .scores
            .neighbours
            .iter()
            .filter(|(e, _)| m.example_class[*e as usize] as usize == i)
            .take(3)
            .map(|&(e, s)| Neighbour {
                description: m.examples[e as usize].description.clone(),
                code: sub.code.clone(),
                similarity: round(s),
            })
            .collect();
        Suggestion {
            code: sub.code.clone(),
            score: round(self.scores.subheadings[i]),
            path: Path {
                chapter: Node {
                    code: chapter.to_owned(),
                    text: nom.chapter_text(chapter).to_owned(),
                },
                heading: Node {
                    code: heading.code.clone(),
                    text: heading.text.clone(),
                },
                subheading: Node {
                    code: sub.code.clone(),
                    text: sub.text.clone(),
                },
            },
            matching_terms,
            related_terms,
            nearest_examples,
        }
    }

    /// The rank (1 = best) of a code's best subheading among the headings
    /// (for a code of 4 or more digits, its heading) or among the
    /// subheadings (for `level` 6). Digits after the sixth are ignored.
    fn rank_at(&self, code: &str, level: usize) -> Result<usize, HsError> {
        let code = check_code(code)?;
        if code.len() < level {
            return Err(HsError::BadCode {
                code: code.to_owned(),
                reason: if level == 4 {
                    "a heading needs at least 4 digits"
                } else {
                    "a subheading needs at least 6 digits"
                },
            });
        }
        let nom = &self.model.nomenclature;
        let s = &self.scores.subheadings;
        let unknown = || HsError::UnknownCode {
            code: code[..level].to_owned(),
        };
        if level == 6 {
            let me = nom.subheading(&code[..6]).ok_or_else(unknown)?;
            let better = (0..s.len())
                .filter(|&j| s[j] > s[me] || (s[j] == s[me] && j < me))
                .count();
            return Ok(better + 1);
        }
        let me = nom.heading(&code[..4]).ok_or_else(unknown)?;
        let mut best = vec![f32::NEG_INFINITY; nom.headings.len()];
        for (j, sub) in nom.subheadings.iter().enumerate() {
            best[sub.heading] = best[sub.heading].max(s[j]);
        }
        let better = (0..best.len())
            .filter(|&j| best[j] > best[me] || (best[j] == best[me] && j < me))
            .count();
        Ok(better + 1)
    }

    /// The `k` best headings (4 digits), best first (ties by code), each
    /// scored by its best subheading.
    pub fn top_headings(&self, k: usize) -> Vec<(&'a str, f64)> {
        let nom = &self.model.nomenclature;
        let s = &self.scores.subheadings;
        let mut best = vec![f32::NEG_INFINITY; nom.headings.len()];
        for (j, sub) in nom.subheadings.iter().enumerate() {
            best[sub.heading] = best[sub.heading].max(s[j]);
        }
        let mut idx: Vec<usize> = (0..best.len()).collect();
        let order = |a: &usize, b: &usize| best[*b].total_cmp(&best[*a]).then(a.cmp(b));
        let k = k.min(idx.len());
        if k == 0 {
            return Vec::new();
        }
        if k < idx.len() {
            idx.select_nth_unstable_by(k - 1, order);
            idx.truncate(k);
        }
        idx.sort_unstable_by(order);
        idx.into_iter()
            .map(|i| (nom.headings[i].code.as_str(), round(best[i])))
            .collect()
    }

    /// The rank (1 = best) of the heading of `code` (4 or more digits).
    pub fn heading_rank(&self, code: &str) -> Result<usize, HsError> {
        self.rank_at(code, 4)
    }

    /// The rank (1 = best) of the subheading of `code` (6 or more digits).
    pub fn subheading_rank(&self, code: &str) -> Result<usize, HsError> {
        self.rank_at(code, 6)
    }
}
