//! The goods check of one description (issue 18, part 2): is it too vague
//! to classify, and where do the headings rank for it? With a declared
//! code, [`Assessment::heading_rank`] tells whether the declared heading is
//! among the ones the description points to (the mismatch indicator).
//!
//! An [`Assessment`] depends on the description only, not on the declared
//! code, so a caller may keep it for a description that comes again (the
//! same goods declared by the same trader week after week).

use serde::Serialize;

use crate::error::HsError;
use crate::vague::{VagueKind, VagueList};
use crate::Classifier;

/// How many headings an assessment keeps, best first. A declared heading
/// further down ranks [`HeadingRank::Beyond`].
pub const RANKED_HEADINGS: usize = 50;

/// What the classifier says of one description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Whether any word of it is known to the model.
    pub recognised: bool,
    /// Why it is too vague to classify, if it is.
    pub vague: Option<VagueKind>,
    /// The [`RANKED_HEADINGS`] best headings with their scores (a
    /// heading's score is its best subheading's), best first (empty when
    /// not recognised).
    pub headings: Vec<(String, f64)>,
    /// The best subheadings with their scores, best first (empty when not
    /// recognised).
    pub suggestions: Vec<(String, f64)>,
}

/// Where a declared heading ranks for a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadingRank {
    /// 1 = the best heading.
    Ranked(usize),
    /// Below the [`RANKED_HEADINGS`] best.
    Beyond,
    /// Not assessed: the description is vague or not recognised, or the
    /// declared code's heading is not in the nomenclature.
    NotAssessed,
}

impl HeadingRank {
    /// The rank as a number, `RANKED_HEADINGS + 1` for [`Self::Beyond`].
    pub fn as_number(self) -> Option<usize> {
        match self {
            HeadingRank::Ranked(n) => Some(n),
            HeadingRank::Beyond => Some(RANKED_HEADINGS + 1),
            HeadingRank::NotAssessed => None,
        }
    }

    /// The mismatch indicator: assessed, and not within the `k` best.
    pub fn mismatch(self, k: usize) -> bool {
        match self {
            HeadingRank::Ranked(n) => n > k,
            HeadingRank::Beyond => true,
            HeadingRank::NotAssessed => false,
        }
    }
}

impl Assessment {
    /// The rank of the heading of `declared` (the first 4 digits of a code
    /// of 4 or more digits).
    pub fn heading_rank(&self, declared: &str) -> HeadingRank {
        if self.vague.is_some() || !self.recognised {
            return HeadingRank::NotAssessed;
        }
        let Some(heading) = declared
            .get(..4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_digit()))
        else {
            return HeadingRank::NotAssessed;
        };
        match self.headings.iter().position(|(h, _)| h == heading) {
            Some(i) => HeadingRank::Ranked(i + 1),
            None if self.headings.len() < RANKED_HEADINGS => HeadingRank::NotAssessed,
            None => HeadingRank::Beyond,
        }
    }
}

impl Assessment {
    /// How far the declared heading's score is below the best heading's
    /// (0 for the best; for a heading below the [`RANKED_HEADINGS`] best,
    /// the gap to the last of them, a lower bound). `None` when not
    /// assessed.
    pub fn score_gap(&self, declared: &str) -> Option<f64> {
        let best = self.headings.first()?.1;
        match self.heading_rank(declared) {
            HeadingRank::Ranked(n) => Some(best - self.headings[n - 1].1),
            HeadingRank::Beyond => Some(best - self.headings.last()?.1),
            HeadingRank::NotAssessed => None,
        }
    }

    /// The mismatch indicator under `rule`.
    pub fn mismatch(&self, declared: &str, rule: MismatchRule) -> bool {
        self.heading_rank(declared).mismatch(rule.top_k)
            && self
                .score_gap(declared)
                .is_some_and(|gap| gap >= rule.min_gap - 1e-9)
    }
}

/// When a declared heading is a mismatch: ranked below the `top_k` best
/// headings for the description **and** its score at least `min_gap`
/// below the best heading's (so that a description the model is unsure
/// of, whose headings score alike, is not flagged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MismatchRule {
    pub top_k: usize,
    pub min_gap: f64,
}

impl Classifier {
    /// Assesses a description with the shipped vague list: the
    /// [`RANKED_HEADINGS`] best headings and the `suggestions` best
    /// subheadings (at most [`crate::MAX_TOP`]).
    pub fn assess(&self, description: &str, suggestions: usize) -> Result<Assessment, HsError> {
        self.assess_with(VagueList::shipped(), description, suggestions)
    }

    /// [`Self::assess`] with another vague list.
    pub fn assess_with(
        &self,
        vague: &VagueList,
        description: &str,
        suggestions: usize,
    ) -> Result<Assessment, HsError> {
        let ranking = self.rank(description)?;
        let recognised = ranking.has_known_terms();
        let vague = vague
            .check(description)
            .or((!recognised).then_some(VagueKind::Unrecognised));
        if !recognised {
            return Ok(Assessment {
                recognised,
                vague,
                headings: Vec::new(),
                suggestions: Vec::new(),
            });
        }
        Ok(Assessment {
            recognised,
            vague,
            headings: ranking
                .top_headings(RANKED_HEADINGS)
                .into_iter()
                .map(|(h, score)| (h.to_owned(), score))
                .collect(),
            suggestions: ranking
                .top_codes(suggestions.min(crate::MAX_TOP))
                .into_iter()
                .map(|(c, s)| (c.to_owned(), s))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_mismatch() {
        let a = Assessment {
            recognised: true,
            vague: None,
            headings: (0..RANKED_HEADINGS)
                .map(|i| (format!("{:04}", 100 + i), 1.0 - i as f64 / 100.0))
                .collect(),
            suggestions: vec![],
        };
        assert_eq!(a.heading_rank("0100"), HeadingRank::Ranked(1));
        assert_eq!(a.heading_rank("01039900"), HeadingRank::Ranked(4));
        assert_eq!(a.heading_rank("9999"), HeadingRank::Beyond);
        assert_eq!(a.heading_rank("12"), HeadingRank::NotAssessed);
        assert_eq!(a.heading_rank("ab12"), HeadingRank::NotAssessed);
        assert!(!HeadingRank::Ranked(4).mismatch(5));
        assert!(HeadingRank::Ranked(6).mismatch(5));
        assert!(HeadingRank::Beyond.mismatch(50));
        assert!(!HeadingRank::NotAssessed.mismatch(0));
        assert_eq!(HeadingRank::Beyond.as_number(), Some(RANKED_HEADINGS + 1));
        let gap = |c: &str| a.score_gap(c).map(|g| (g * 100.0).round() / 100.0);
        assert_eq!(gap("0100"), Some(0.0));
        assert_eq!(gap("0110"), Some(0.1));
        assert_eq!(gap("9999"), Some(0.49));
        assert_eq!(gap("12"), None);
        let rule = |top_k, min_gap| MismatchRule { top_k, min_gap };
        assert!(a.mismatch("0110", rule(5, 0.0)));
        assert!(a.mismatch("0110", rule(5, 0.1)));
        assert!(!a.mismatch("0110", rule(5, 0.2)));
        assert!(!a.mismatch("0103", rule(5, 0.0)));
        assert!(a.mismatch("9999", rule(5, 0.3)));
        let vague = Assessment {
            vague: Some(VagueKind::Generic),
            ..a.clone()
        };
        assert_eq!(vague.heading_rank("0100"), HeadingRank::NotAssessed);
        let short = Assessment {
            headings: vec![("0100".into(), 1.0)],
            ..a
        };
        assert_eq!(short.heading_rank("0200"), HeadingRank::NotAssessed);
    }
}
