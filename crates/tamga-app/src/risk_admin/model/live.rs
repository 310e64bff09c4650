//! The model lodging scores with: the registry's active version, loaded
//! into memory, and what went wrong when it could not be.
//!
//! Scoring never blocks or fails a lodging: a declaration the model cannot
//! score (no goods item, a broken model file, a panic inside the model)
//! is decided by the rules alone, and the decision records why
//! ([`ModelFallback`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use rust_decimal::Decimal;
use time::Date;

use tamga_core::declaration::Declaration;
use tamga_core::model_risk::{FeatureContribution, ModelAssessment, ModelFallback};
use tamga_core::pipeline::DutyResult;
use tamga_model::record::Record;
use tamga_model::{GbdtModel, RiskModel};

/// How many contributions an explained decision records.
pub const TOP_CONTRIBUTIONS: usize = 5;

/// A registered model in memory.
pub struct LiveModel {
    pub version: i64,
    pub content_hash: String,
    pub model: Arc<GbdtModel>,
    /// The mean of 4·s·(1 − s) over the validation period's scores, the
    /// normaliser of uncertain exploration.
    pub mean_uncertainty: Option<f64>,
}

/// What lodging finds in the model slot.
#[derive(Clone, Default)]
pub enum ModelSlot {
    /// No model is active: the rules decide (nothing recorded).
    #[default]
    None,
    Ready(Arc<LiveModel>),
    /// The active version could not be loaded.
    Broken {
        version: i64,
        reason: String,
    },
}

impl ModelSlot {
    /// The active version, loaded or not.
    pub fn version(&self) -> Option<i64> {
        match self {
            ModelSlot::None => None,
            ModelSlot::Ready(m) => Some(m.version),
            ModelSlot::Broken { version, .. } => Some(*version),
        }
    }
}

fn dec(x: f64, places: u32) -> Option<Decimal> {
    x.is_finite()
        .then(|| Decimal::from_f64_retain(x))
        .flatten()
        .map(|d| d.round_dp(places).normalize())
}

/// A declaration the live model scored: the score, what the decision
/// records of it, and the riskiest item's record, kept so that the
/// decision can be explained once its channel is known ([`Scored::explain`]).
pub struct Scored {
    pub score: f64,
    pub assessment: ModelAssessment,
    record: Record,
    model: Arc<LiveModel>,
}

impl Scored {
    /// The riskiest item's largest TreeSHAP contributions, into the
    /// assessment; a panic inside the model leaves them empty (logged),
    /// never fails the lodging.
    pub fn explain(&mut self) {
        let model = &self.model.model;
        let record = &self.record;
        match catch_unwind(AssertUnwindSafe(|| {
            model.explain(record, TOP_CONTRIBUTIONS)
        })) {
            Ok(top) => {
                self.assessment.contributions = top
                    .into_iter()
                    .filter_map(|c| {
                        Some(FeatureContribution {
                            feature: c.feature,
                            value: c.value.and_then(|v| dec(v, 4)),
                            contribution: dec(c.contribution, 4)?,
                        })
                    })
                    .collect();
            }
            Err(_) => {
                tracing::error!(
                    version = self.model.version,
                    "the risk model panicked while explaining; no contributions"
                );
            }
        }
    }
}

impl LiveModel {
    /// Scores `d` (dated `date`, with the duties just assessed): the
    /// riskiest goods item's score, without its contributions yet.
    fn score(
        self: &Arc<Self>,
        id: &str,
        d: &Declaration,
        date: Date,
        duties: &DutyResult,
    ) -> Result<Scored, String> {
        let mut records = tamga_model::source::records_of(id, d, date, duties, None);
        if records.is_empty() {
            return Err("the declaration has no goods item".into());
        }
        let scores = self.model.score(&records);
        let (best, score) = scores
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, s)| s.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or("the model gave no finite score")?;
        let assessment = ModelAssessment {
            version: self.version,
            content_hash: self.content_hash.clone(),
            score: dec(score.clamp(0.0, 1.0), 4).unwrap_or_default(),
            item: d.items[best].sequence,
            contributions: Vec::new(),
        };
        Ok(Scored {
            score,
            assessment,
            record: records.swap_remove(best),
            model: self.clone(),
        })
    }
}

/// Scores with whatever is in the slot, catching a panic: the scored
/// declaration or the fallback to record, or nothing when no model is
/// active.
pub fn score_or_fallback(
    slot: &ModelSlot,
    id: &str,
    d: &Declaration,
    date: Date,
    duties: &DutyResult,
) -> (Option<Scored>, Option<ModelFallback>) {
    match slot {
        ModelSlot::None => (None, None),
        ModelSlot::Broken { version, reason } => (
            None,
            Some(ModelFallback {
                version: Some(*version),
                reason: reason.clone(),
            }),
        ),
        ModelSlot::Ready(m) => {
            match catch_unwind(AssertUnwindSafe(|| m.score(id, d, date, duties))) {
                Ok(Ok(x)) => (Some(x), None),
                Ok(Err(reason)) => (
                    None,
                    Some(ModelFallback {
                        version: Some(m.version),
                        reason,
                    }),
                ),
                Err(_) => {
                    tracing::error!(version = m.version, "the risk model panicked; rules alone");
                    (
                        None,
                        Some(ModelFallback {
                            version: Some(m.version),
                            reason: "the model failed on this declaration".into(),
                        }),
                    )
                }
            }
        }
    }
}

/// Loads a registered model file, checking its hash, and readies it to
/// explain.
pub fn load(version: i64, expected_hash: &str, body: &[u8]) -> Result<LiveModel, String> {
    let model = GbdtModel::from_bytes(body).map_err(|e| format!("model {version}: {e}"))?;
    let hash = model.content_hash();
    if hash != expected_hash {
        return Err(format!(
            "model {version}: the file's hash {hash} is not the registered {expected_hash}"
        ));
    }
    // The explaining tables, now (in the loader's blocking task) rather
    // than on the first lodging scored.
    model.prepare_explaining();
    Ok(LiveModel {
        version,
        content_hash: hash,
        model: Arc::new(model),
        mean_uncertainty: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_model::{train, TrainOptions};

    fn declaration() -> Declaration {
        serde_json::from_str(include_str!(
            "../../../../tamga-core/src/testdata/declaration.json"
        ))
        .unwrap()
    }

    fn not_assessed() -> DutyResult {
        DutyResult::NotAssessed {
            reason: "no tariff".into(),
        }
    }

    /// A small model: declarations whose first item is heavy cheat.
    fn model() -> LiveModel {
        let d = declaration();
        let mut records = Vec::new();
        for k in 0..200u32 {
            let mut d = d.clone();
            let heavy = k % 3 == 0;
            d.items[0].net_mass_kg =
                rust_decimal::Decimal::from(if heavy { 5000 + k } else { 10 + k });
            let date =
                time::macros::date!(2026 - 01 - 01) + time::Duration::days(i64::from(k / 10));
            records.extend(tamga_model::source::records_of(
                &format!("M{k}"),
                &d,
                date,
                &not_assessed(),
                Some(heavy),
            ));
        }
        let m = train(
            &records,
            TrainOptions {
                trees: 20,
                ..TrainOptions::default()
            },
        )
        .unwrap();
        let bytes = m.to_bytes();
        load(4, &m.content_hash(), &bytes).unwrap()
    }

    #[test]
    fn a_ready_model_scores_and_explains_the_riskiest_item() {
        let m = model();
        let d = declaration();
        let slot = ModelSlot::Ready(Arc::new(m));
        let date = time::macros::date!(2026 - 03 - 01);
        let (scored, fallback) = score_or_fallback(&slot, "X", &d, date, &not_assessed());
        assert!(fallback.is_none());
        let mut scored = scored.expect("scored");
        assert!((0.0..=1.0).contains(&scored.score));
        assert_eq!(scored.assessment.version, 4);
        assert!(d.items.iter().any(|i| i.sequence == scored.assessment.item));
        // Contributions come when asked for (once the channel is known).
        assert!(scored.assessment.contributions.is_empty());
        scored.explain();
        let a = scored.assessment.clone();
        assert!(!a.contributions.is_empty() && a.contributions.len() <= TOP_CONTRIBUTIONS);
        // The same declaration, the same answer (nothing random).
        let (again, _) = score_or_fallback(&slot, "X", &d, date, &not_assessed());
        let mut again = again.unwrap();
        again.explain();
        assert_eq!(again.assessment, a);
    }

    #[test]
    fn what_cannot_be_scored_falls_back_to_the_rules_and_says_why() {
        let d = declaration();
        let date = time::macros::date!(2026 - 03 - 01);
        let broken = ModelSlot::Broken {
            version: 9,
            reason: "model 9 could not be loaded: bad file".into(),
        };
        let (scored, fallback) = score_or_fallback(&broken, "X", &d, date, &not_assessed());
        assert!(scored.is_none());
        let f = fallback.unwrap();
        assert_eq!(f.version, Some(9));
        assert!(f.reason.contains("could not be loaded"));
        // No goods item: the model is not asked.
        let mut empty = d.clone();
        empty.items.clear();
        let slot = ModelSlot::Ready(Arc::new(model()));
        let (scored, fallback) = score_or_fallback(&slot, "X", &empty, date, &not_assessed());
        assert!(scored.is_none());
        assert_eq!(fallback.unwrap().version, Some(4));
        // No model active: nothing recorded.
        let (scored, fallback) =
            score_or_fallback(&ModelSlot::None, "X", &d, date, &not_assessed());
        assert!(scored.is_none() && fallback.is_none());
    }

    #[test]
    fn a_file_whose_hash_is_not_the_registered_one_is_refused() {
        let m = model();
        let bytes = m.model.to_bytes();
        let e = load(4, &"0".repeat(64), &bytes).err().unwrap();
        assert!(e.contains("not the registered"), "{e}");
        assert!(load(4, &m.content_hash, b"garbage").is_err());
    }
}
