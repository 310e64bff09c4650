//! The learned part: a linear correction over word features, per
//! subheading and per heading, trained to re-rank the blended scores'
//! best candidates (softmax cross-entropy over the candidates, plain SGD).
//!
//! It must learn from scores the model gives descriptions it has not
//! seen, or it would learn to trust a description's own copy: so the
//! training descriptions are split in folds, a model is built without
//! each fold and scores it (stacking), and the correction is fitted on
//! those scores. At run time it adjusts the full model's candidates.

use rustc_hash::FxHashMap;

use crate::corpus::Example;
use crate::model::{Model, Params, Scores};
use crate::nomenclature::Nomenclature;

/// How the correction is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RerankParams {
    /// Candidates re-ranked (the best by the blended score).
    pub candidates: usize,
    /// Folds for the out-of-fold scores (0: no correction).
    pub folds: usize,
    pub epochs: usize,
    /// Learning rate of the first epoch (then rate / (1 + epoch)).
    pub rate: f32,
    /// The blended score's weight in the logits.
    pub scale: f32,
}

impl Default for RerankParams {
    fn default() -> Self {
        RerankParams {
            candidates: 30,
            folds: 4,
            epochs: 6,
            rate: 2.0,
            scale: 10.0,
        }
    }
}

/// A class key for a heading's weights (subheadings use their index).
const HEADING: u32 = 1 << 31;

/// Trained weights: (word feature hash, class key) → weight.
#[derive(Debug, Default)]
pub struct Reranker {
    weights: FxHashMap<(u64, u32), f32>,
    params: RerankParams,
}

struct Sample {
    words: Vec<(u64, f32)>,
    /// (subheading, blended score).
    candidates: Vec<(u32, f32)>,
    truth: usize,
}

/// The `m` best subheadings by score, best first (ties by index).
pub(crate) fn best(scores: &[f32], m: usize) -> Vec<(u32, f32)> {
    let mut idx: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| (i as u32, s))
        .collect();
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let m = m.min(idx.len());
    if m > 0 && m < idx.len() {
        idx.select_nth_unstable_by(m - 1, order);
        idx.truncate(m);
    }
    idx.sort_unstable_by(order);
    idx
}

/// The out-of-fold samples of one fold: scored by a model built without it.
fn fold_samples(
    nomenclature: &Nomenclature,
    examples: &[Example],
    params: Params,
    rp: RerankParams,
    fold: usize,
) -> Vec<Sample> {
    let rest = examples
        .iter()
        .enumerate()
        .filter(|(i, _)| i % rp.folds != fold)
        .map(|(_, e)| e.clone())
        .collect();
    let model = Model::build(nomenclature.clone(), rest, params);
    let mut samples = Vec::new();
    for (_, e) in examples
        .iter()
        .enumerate()
        .filter(|(i, _)| i % rp.folds == fold)
    {
        let Some(truth) = nomenclature.subheading(&e.code) else {
            continue;
        };
        let scores = model.score(&e.description);
        let mut candidates = best(&scores.subheadings, rp.candidates);
        let truth = match candidates.iter().position(|&(c, _)| c as usize == truth) {
            Some(p) => p,
            None => {
                candidates.push((truth as u32, scores.subheadings[truth]));
                candidates.len() - 1
            }
        };
        samples.push(Sample {
            words: scores.words,
            candidates,
            truth,
        });
    }
    samples
}

impl Reranker {
    /// Trains on `examples` (out-of-fold scores of models built with
    /// `params`).
    pub fn train(
        nomenclature: &Nomenclature,
        examples: &[Example],
        params: Params,
        rp: RerankParams,
    ) -> Self {
        let mut reranker = Reranker {
            weights: FxHashMap::default(),
            params: rp,
        };
        if rp.folds < 2 || examples.len() < rp.folds {
            return reranker;
        }
        // The folds' models are independent: built and scored side by side.
        let folds: Vec<Vec<Sample>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..rp.folds)
                .map(|fold| {
                    scope.spawn(move || fold_samples(nomenclature, examples, params, rp, fold))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let samples: Vec<Sample> = folds.into_iter().flatten().collect();
        let mut logits = Vec::new();
        for epoch in 0..rp.epochs {
            let rate = rp.rate / (1.0 + epoch as f32);
            for s in &samples {
                logits.clear();
                logits.extend(
                    s.candidates.iter().map(|&(c, b)| {
                        rp.scale * b + reranker.correction(nomenclature, &s.words, c)
                    }),
                );
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let total: f32 = logits.iter().map(|l| (l - max).exp()).sum();
                for (k, &(c, _)) in s.candidates.iter().enumerate() {
                    let p = (logits[k] - max).exp() / total;
                    let g = p - f32::from(u8::from(k == s.truth));
                    if g.abs() < 1e-2 {
                        continue;
                    }
                    let heading = HEADING | nomenclature.subheadings[c as usize].heading as u32;
                    for &(f, q) in &s.words {
                        *reranker.weights.entry((f, c)).or_insert(0.0) -= rate * g * q;
                        *reranker.weights.entry((f, heading)).or_insert(0.0) -= rate * g * q;
                    }
                }
            }
        }
        reranker
    }

    fn correction(&self, nomenclature: &Nomenclature, words: &[(u64, f32)], c: u32) -> f32 {
        if self.weights.is_empty() {
            return 0.0;
        }
        let heading = HEADING | nomenclature.subheadings[c as usize].heading as u32;
        words
            .iter()
            .map(|&(f, q)| {
                q * (self.weights.get(&(f, c)).copied().unwrap_or(0.0)
                    + self.weights.get(&(f, heading)).copied().unwrap_or(0.0))
            })
            .sum()
    }

    /// Adjusts the best candidates' scores in place.
    pub fn adjust(&self, nomenclature: &Nomenclature, scores: &mut Scores) {
        if self.weights.is_empty() {
            return;
        }
        for (c, _) in best(&scores.subheadings, self.params.candidates) {
            scores.subheadings[c as usize] +=
                self.correction(nomenclature, &scores.words, c) / self.params.scale;
        }
    }

    /// Trained weights.
    pub fn weight_count(&self) -> usize {
        self.weights.len()
    }
}
