//! The discriminative part: linear classifiers over the sparse TF-IDF
//! vectors (words, pairs, consonant skeletons and character n-grams), one
//! over the headings and one that ranks each heading's subheadings, trained
//! on the labelled descriptions and the nomenclature's own texts.
//!
//! Loss: the multiclass hinge (Crammer–Singer): a sample's class must
//! score 1 above its best rival (any other heading; for the subheading
//! model, another subheading of the same heading), with passive-aggressive
//! steps (the step that just meets the margin, capped by the rate) and the
//! weights averaged over all steps (the average generalises better than
//! the last iterate). Weights stay sparse: only the (feature, class) pairs
//! a step touched exist, a few million, not features × classes. They are
//! kept as an inverted index (feature → its classes' weights), so scoring
//! a description is one pass over the postings of its features.
//!
//! Training visits the samples in a fixed pseudo-random order: the same
//! data always gives the same model.

use rustc_hash::FxHashMap;

use crate::corpus::Example;
use crate::model::Model;

/// How a linear model is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearParams {
    pub epochs: usize,
    /// The largest step of the first epoch (then rate / (1 + decay ×
    /// epoch)).
    pub rate: f32,
    pub decay: f32,
    /// Weight of a nomenclature text as a training sample (1 for a
    /// labelled description).
    pub nomenclature_weight: f32,
}

impl Default for LinearParams {
    fn default() -> Self {
        LinearParams {
            epochs: 6,
            rate: 0.5,
            decay: 0.5,
            // 2 was better on the validation split (+0.6 heading, +1.3
            // subheading top-1) but lost 2 to 3 points of top-5 on
            // product titles: kept at 1.
            nomenclature_weight: 1.0,
        }
    }
}

/// A training sample: a normalised sparse vector (feature id, weight),
/// its class and its weight.
#[derive(Debug, Clone)]
pub struct Sample {
    pub x: Vec<(u32, f32)>,
    pub class: u32,
    pub weight: f32,
}

/// A trained linear model: class scores = W x + b (W sparse, by feature).
#[derive(Debug, Default)]
pub struct Linear {
    classes: usize,
    offsets: Vec<u32>,
    entries: Vec<(u32, f32)>,
    bias: Vec<f32>,
}

/// The bias learns slower than the feature weights.
const BIAS_RATE: f32 = 0.1;

/// The best-scoring class other than `y` (ties: the first), if any.
fn best_rival(scores: impl Iterator<Item = (usize, f32)>, y: usize) -> Option<(usize, f32)> {
    let mut rival: Option<(usize, f32)> = None;
    for (c, v) in scores {
        if c != y && rival.is_none_or(|(_, r)| v > r) {
            rival = Some((c, v));
        }
    }
    rival
}

/// A deterministic permutation of `0..n` for epoch `seed`.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

/// Weights being trained: per feature, its classes' (current, summed
/// update × step) triples, for the averaged weights.
struct Training {
    postings: Vec<Vec<(u32, f32, f32)>>,
    slot: FxHashMap<(u32, u32), u32>,
    bias: Vec<(f32, f32)>,
}

impl Training {
    /// The current weight of feature `f` for class `c`.
    fn weight(&self, f: u32, c: u32) -> f32 {
        self.slot
            .get(&(f, c))
            .map_or(0.0, |&i| self.postings[f as usize][i as usize].1)
    }

    fn add(&mut self, f: u32, c: u32, delta: f32, step: f32) {
        let list = &mut self.postings[f as usize];
        let i = *self.slot.entry((f, c)).or_insert_with(|| {
            list.push((c, 0.0, 0.0));
            (list.len() - 1) as u32
        }) as usize;
        list[i].1 += delta;
        list[i].2 += step * delta;
    }
}

impl Linear {
    /// Trains on `samples` over `features` features and `classes` classes.
    /// With `group_of` (a group per class), a sample's rivals are only the
    /// classes of its own class's group (a subheading against its
    /// siblings: the model then ranks within a heading).
    pub fn train(
        samples: &[Sample],
        features: usize,
        classes: usize,
        group_of: Option<&[u32]>,
        p: LinearParams,
    ) -> Self {
        let mut t = Training {
            postings: vec![Vec::new(); features],
            slot: FxHashMap::default(),
            bias: vec![(0.0, 0.0); classes],
        };
        // The members of each group, when grouped.
        let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        if let Some(g) = group_of {
            for (c, &group) in g.iter().enumerate() {
                members.entry(group).or_default().push(c as u32);
            }
        }
        let mut scores = vec![0f32; classes];
        let mut step = 1f32;
        for epoch in 0..p.epochs {
            let rate = p.rate / (1.0 + p.decay * epoch as f32);
            for i in shuffled(samples.len(), epoch as u64 + 1) {
                let s = &samples[i];
                let y = s.class as usize;
                let (own, rival) = match group_of {
                    None => {
                        for (c, b) in scores.iter_mut().zip(&t.bias) {
                            *c = b.0;
                        }
                        for &(f, x) in &s.x {
                            for &(c, w, _) in &t.postings[f as usize] {
                                scores[c as usize] += w * x;
                            }
                        }
                        let own = scores[y];
                        (own, best_rival(scores.iter().copied().enumerate(), y))
                    }
                    Some(g) => {
                        let score = |c: usize| {
                            t.bias[c].0
                                + s.x
                                    .iter()
                                    .map(|&(f, x)| t.weight(f, c as u32) * x)
                                    .sum::<f32>()
                        };
                        let own = score(y);
                        let siblings = &members[&g[y]];
                        let rival = best_rival(
                            siblings.iter().map(|&c| (c as usize, score(c as usize))),
                            y,
                        );
                        (own, rival)
                    }
                };
                let rival = rival.filter(|&(_, r)| r > own - 1.0);
                if let Some((r, rival)) = rival {
                    // Passive-aggressive: the step that would just meet
                    // the margin (x has norm 1, two classes move), capped.
                    let delta = rate.min((1.0 - own + rival) / 2.0) * s.weight;
                    for (c, d) in [(y, delta), (r, -delta)] {
                        t.bias[c].0 += d * BIAS_RATE;
                        t.bias[c].1 += step * d * BIAS_RATE;
                        for &(f, x) in &s.x {
                            t.add(f, c as u32, d * x, step);
                        }
                    }
                }
                step += 1.0;
            }
        }
        // Averaged weights: w - u / step.
        let avg = |w: f32, u: f32| w - u / step;
        let mut offsets = Vec::with_capacity(features + 1);
        let mut entries = Vec::new();
        offsets.push(0u32);
        for list in &mut t.postings {
            list.sort_unstable_by_key(|e| e.0);
            entries.extend(
                list.iter()
                    .map(|&(c, w, u)| (c, avg(w, u)))
                    .filter(|e| e.1.abs() > 1e-4),
            );
            offsets.push(entries.len() as u32);
        }
        Linear {
            classes,
            offsets,
            entries,
            bias: t.bias.iter().map(|&(w, u)| avg(w, u)).collect(),
        }
    }

    /// The class scores (logits) of a vector.
    pub fn scores(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let mut out = self.bias.clone();
        for &(f, q) in x {
            let Some(&a) = self.offsets.get(f as usize) else {
                continue;
            };
            let b = self.offsets[f as usize + 1];
            for &(c, w) in &self.entries[a as usize..b as usize] {
                out[c as usize] += q * w;
            }
        }
        out
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Non-zero weights.
    pub fn weight_count(&self) -> usize {
        self.entries.len() + self.bias.len()
    }
}

/// The two linear models of a classifier and how their scores are added to
/// the blended scores.
#[derive(Debug, Default)]
pub struct Discriminative {
    heading: Linear,
    subheading: Linear,
    /// Blend: the heading model's score of a subheading's heading.
    pub heading_weight: f32,
    /// Blend: the subheading model's score (comparable within a heading).
    pub subheading_weight: f32,
}

impl Discriminative {
    /// Trains both models on the labelled descriptions the model holds and
    /// the nomenclature's texts (each subheading's text, labelled with it
    /// and its heading, unless withheld; each heading's text, labelled with
    /// the heading).
    pub fn train(
        model: &Model,
        examples: &[Example],
        p: LinearParams,
        weights: (f32, f32),
    ) -> Self {
        let nom = model.nomenclature();
        let mut heads = Vec::new();
        let mut subs = Vec::new();
        for e in examples {
            let Some(s) = nom.subheading(&e.code) else {
                continue;
            };
            let x = model.text_vector(&e.description);
            heads.push(Sample {
                x: x.clone(),
                class: nom.subheadings[s].heading as u32,
                weight: 1.0,
            });
            subs.push(Sample {
                x,
                class: s as u32,
                weight: 1.0,
            });
        }
        for (s, sub) in nom.subheadings.iter().enumerate() {
            let Some(text) = nom.training_text(s) else {
                continue;
            };
            let x = model.text_vector(text);
            heads.push(Sample {
                x: x.clone(),
                class: sub.heading as u32,
                weight: p.nomenclature_weight,
            });
            subs.push(Sample {
                x,
                class: s as u32,
                weight: p.nomenclature_weight,
            });
        }
        for (h, head) in nom.headings.iter().enumerate() {
            heads.push(Sample {
                x: model.text_vector(&head.text),
                class: h as u32,
                weight: p.nomenclature_weight,
            });
        }
        let features = model.feature_count();
        let group_of: Vec<u32> = nom.subheadings.iter().map(|s| s.heading as u32).collect();
        let (heading, subheading) = std::thread::scope(|scope| {
            let h = scope.spawn(|| Linear::train(&heads, features, nom.headings.len(), None, p));
            let s = Linear::train(&subs, features, nom.subheadings.len(), Some(&group_of), p);
            (h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), s)
        });
        Discriminative {
            heading,
            subheading,
            heading_weight: weights.0,
            subheading_weight: weights.1,
        }
    }

    /// Adds the models' weighted scores to every subheading's score.
    pub fn adjust(&self, model: &Model, scores: &mut crate::model::Scores) {
        if self.heading.classes() == 0 {
            return;
        }
        let ph = self.heading.scores(&scores.vector);
        let ps = self.subheading.scores(&scores.vector);
        for (i, sub) in model.nomenclature().subheadings.iter().enumerate() {
            scores.subheadings[i] +=
                self.heading_weight * ph[sub.heading] + self.subheading_weight * ps[i];
        }
    }

    /// Non-zero weights of both models.
    pub fn weight_count(&self) -> usize {
        self.heading.weight_count() + self.subheading.weight_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_classes_are_learned() {
        // Feature 0 → class 0, feature 1 → class 1, feature 2 shared.
        let samples: Vec<Sample> = (0..20)
            .map(|i| Sample {
                x: vec![((i % 2) as u32, 0.8), (2, 0.6)],
                class: (i % 2) as u32,
                weight: 1.0,
            })
            .collect();
        let m = Linear::train(&samples, 3, 2, None, LinearParams::default());
        let p = m.scores(&[(0, 1.0)]);
        assert!(p[0] > p[1] + 0.5, "{p:?}");
        let p = m.scores(&[(1, 1.0)]);
        assert!(p[1] > p[0] + 0.5, "{p:?}");
        // Unknown features are ignored, not a panic.
        assert_eq!(m.scores(&[(99, 1.0)]).len(), 2);
    }

    #[test]
    fn a_grouped_model_only_learns_against_the_class_siblings() {
        // Classes 0 and 1 are siblings; class 2 is alone in its group, so
        // it never has a rival and nothing is learned for it.
        let samples: Vec<Sample> = (0..30)
            .map(|i| Sample {
                x: vec![((i % 3) as u32, 1.0)],
                class: (i % 3) as u32,
                weight: 1.0,
            })
            .collect();
        let m = Linear::train(&samples, 3, 3, Some(&[0, 0, 1]), LinearParams::default());
        let p = m.scores(&[(0, 1.0)]);
        assert!(p[0] > p[1] + 0.5, "{p:?}");
        let p = m.scores(&[(1, 1.0)]);
        assert!(p[1] > p[0] + 0.5, "{p:?}");
        assert_eq!(m.scores(&[(2, 1.0)])[2], 0.0);
        // The same data gives the same model.
        let again = Linear::train(&samples, 3, 3, Some(&[0, 0, 1]), LinearParams::default());
        assert_eq!(
            again.scores(&[(0, 0.7), (1, 0.3)]),
            m.scores(&[(0, 0.7), (1, 0.3)])
        );
    }

    #[test]
    fn the_shuffle_is_a_deterministic_permutation() {
        let a = shuffled(100, 3);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, shuffled(100, 3));
        assert_ne!(a, shuffled(100, 4));
    }
}
