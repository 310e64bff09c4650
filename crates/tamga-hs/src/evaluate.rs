//! Accuracy on labelled descriptions: the share whose heading (first 4
//! digits) and subheading (first 6) rank first, and within the first
//! five. A code unknown to HS 2022 counts as a miss.

use serde::Serialize;

use crate::error::HsError;
use crate::Classifier;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct TopK {
    pub top1: f64,
    pub top5: f64,
}

/// The figures `tamga hs evaluate --json` prints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Accuracy {
    pub rows: usize,
    pub heading: TopK,
    pub subheading: TopK,
}

/// Running counts for [`Accuracy`].
#[derive(Debug, Clone, Default)]
pub struct Tally {
    rows: usize,
    hits: [usize; 4],
    /// Rows whose code is not in HS 2022.
    pub unknown_codes: usize,
}

impl Tally {
    /// Scores one row. Errors only for a description the classifier will
    /// not read or a code that is not 6 to 10 digits.
    pub fn add(
        &mut self,
        classifier: &Classifier,
        description: &str,
        code: &str,
    ) -> Result<(), HsError> {
        let code = crate::error::check_code(code)?;
        if code.len() < 6 {
            return Err(HsError::BadCode {
                code: code.to_owned(),
                reason: "labelled codes need at least 6 digits",
            });
        }
        let ranking = classifier.rank(description)?;
        self.rows += 1;
        let ranks = [ranking.heading_rank(code), ranking.subheading_rank(code)];
        for (level, rank) in ranks.into_iter().enumerate() {
            match rank {
                Ok(r) => {
                    self.hits[level * 2] += usize::from(r == 1);
                    self.hits[level * 2 + 1] += usize::from(r <= 5);
                }
                Err(HsError::UnknownCode { .. }) => {
                    if level == 1 {
                        self.unknown_codes += 1;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub fn accuracy(&self) -> Accuracy {
        let share = |h: usize| {
            if self.rows == 0 {
                0.0
            } else {
                h as f64 / self.rows as f64
            }
        };
        Accuracy {
            rows: self.rows,
            heading: TopK {
                top1: share(self.hits[0]),
                top5: share(self.hits[1]),
            },
            subheading: TopK {
                top1: share(self.hits[2]),
                top5: share(self.hits[3]),
            },
        }
    }
}
