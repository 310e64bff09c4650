//! Exploration: inspecting some declarations the model would not pick, so
//! that the model keeps learning about what it ranks low, and so that
//! evaluation on inspected declarations can be corrected for how they were
//! selected.
//!
//! Pure logic, no IO and no clock: the caller supplies the uniform draws
//! (or a seeded generator) and keeps the history. Used one declaration at
//! a time by lodging ([`decide`]) and a week at a time by the simulator
//! ([`inclusion_probabilities`] and [`systematic_sample`]).
//!
//! - [`ExploreStrategy`]: `random` (every declaration the exploit rule left
//!   has the same chance), `uncertain` (chances weighted toward scores near
//!   0.5, where the model knows least, see [`weight`]) and `adaptive`
//!   (random, with the share of the budget chosen each period by
//!   [`AdaptiveShare`] from recent yields).
//! - Every selection records its [`Reason`] and its probability
//!   ([`Selection`]); an exploit selection has probability 1.
//! - [`ipw_total`] and [`ipw_mean`]: inverse-propensity-weighted
//!   (Horvitz–Thompson and Hájek) estimates over inspected declarations,
//!   e.g. the fraud rate of all declarations, or the precision of a model
//!   among all those it scores in its top n %, from the inspected ones
//!   only.

use rand::Rng;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

/// How exploratory inspections are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExploreStrategy {
    /// Uniformly among the declarations the exploit rule did not take.
    Random,
    /// Weighted toward scores near 0.5 ([`weight`]).
    Uncertain,
    /// Uniformly, with the explore share chosen each period by
    /// [`AdaptiveShare`].
    Adaptive,
}

impl ExploreStrategy {
    pub const ALL: [ExploreStrategy; 3] = [
        ExploreStrategy::Random,
        ExploreStrategy::Uncertain,
        ExploreStrategy::Adaptive,
    ];

    /// The strategy's stable name (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            ExploreStrategy::Random => "random",
            ExploreStrategy::Uncertain => "uncertain",
            ExploreStrategy::Adaptive => "adaptive",
        }
    }
}

impl std::str::FromStr for ExploreStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExploreStrategy::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("{s:?} is not an exploration strategy (random, uncertain, adaptive)")
            })
    }
}

/// Why a declaration was inspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its score was among the highest.
    Exploit,
    ExploreRandom,
    ExploreUncertain,
    ExploreAdaptive,
}

impl Reason {
    /// The reason of an exploratory selection by `strategy`.
    pub fn explore(strategy: ExploreStrategy) -> Reason {
        match strategy {
            ExploreStrategy::Random => Reason::ExploreRandom,
            ExploreStrategy::Uncertain => Reason::ExploreUncertain,
            ExploreStrategy::Adaptive => Reason::ExploreAdaptive,
        }
    }
}

/// A declaration selected for inspection: why, and the probability with
/// which it was (in (0, 1]; 1 for exploit selections).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub reason: Reason,
    pub probability: f64,
}

/// The smallest `uncertain` weight (a score of 0 or 1), relative to the
/// largest (a score of 0.5): every declaration keeps a chance, which the
/// inverse-propensity estimates need.
pub const UNCERTAIN_FLOOR: f64 = 0.1;

/// A declaration's relative chance of being explored given its score:
/// 1 for `random` and `adaptive`; for `uncertain`
/// `FLOOR + (1 − FLOOR) · 4 s (1 − s)`, highest at 0.5 (a score that is
/// not a number counts as 0.5).
pub fn weight(strategy: ExploreStrategy, score: f64) -> f64 {
    match strategy {
        ExploreStrategy::Random | ExploreStrategy::Adaptive => 1.0,
        ExploreStrategy::Uncertain => {
            let s = if score.is_nan() {
                0.5
            } else {
                score.clamp(0.0, 1.0)
            };
            UNCERTAIN_FLOOR + (1.0 - UNCERTAIN_FLOOR) * 4.0 * s * (1.0 - s)
        }
    }
}

/// The mean [`weight`] of recent scores (1 when there are none): what
/// [`decide`] divides by so that the expected share is the one asked.
pub fn mean_weight(strategy: ExploreStrategy, recent_scores: &[f64]) -> f64 {
    if recent_scores.is_empty() {
        return 1.0;
    }
    recent_scores
        .iter()
        .map(|s| weight(strategy, *s))
        .sum::<f64>()
        / recent_scores.len() as f64
}

/// The chance with which each declaration the exploit rule leaves must be
/// explored so that exploratory inspections are `share` of an inspection
/// budget of `budget` (both fractions in 0..=1): exploit takes
/// `(1 − share) · budget` of all declarations, exploration
/// `share · budget` of them from the remaining `1 − (1 − share) · budget`.
pub fn explore_rate(budget: f64, share: f64) -> f64 {
    let budget = budget.clamp(0.0, 1.0);
    let share = share.clamp(0.0, 1.0);
    let explored = share * budget;
    if explored <= 0.0 {
        return 0.0;
    }
    (explored / (1.0 - (1.0 - share) * budget)).min(1.0)
}

/// Whether one declaration that the exploit rule did not take is explored,
/// for lodging, one declaration at a time. `rate` is from
/// [`explore_rate`], `mean_weight` from [`mean_weight`] over recent scores
/// (the expected share is `rate` when the recent scores are like the
/// coming ones), `draw` uniform in [0, 1). The declaration is selected with
/// probability `min(1, rate · weight(score) / mean_weight)`, recorded in
/// the [`Selection`]; `None` when it is not selected (always when `rate`
/// is 0).
pub fn decide(
    strategy: ExploreStrategy,
    rate: f64,
    score: f64,
    mean_weight: f64,
    draw: f64,
) -> Option<Selection> {
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let mean = if mean_weight.is_finite() && mean_weight > 0.0 {
        mean_weight
    } else {
        1.0
    };
    let probability = (rate * weight(strategy, score) / mean).min(1.0);
    (draw < probability).then_some(Selection {
        reason: Reason::explore(strategy),
        probability,
    })
}

/// The inclusion probability of each candidate when `count` of them are
/// drawn without replacement with chances proportional to `weights`:
/// `count · w / Σw`, except that a candidate whose share would exceed 1 is
/// taken surely (probability 1) and the rest shared out again among the
/// others. The probabilities add up to `count` (all 1 when `count` is at
/// least the number of candidates); a weight of zero or less, or not a
/// number, counts as a tiny positive weight so that every candidate keeps
/// a chance.
pub fn inclusion_probabilities(weights: &[f64], count: usize) -> Vec<f64> {
    let n = weights.len();
    if count >= n {
        return vec![1.0; n];
    }
    if count == 0 {
        return vec![0.0; n];
    }
    let w: Vec<f64> = weights
        .iter()
        .map(|w| if w.is_finite() && *w > 0.0 { *w } else { 1e-9 })
        .collect();
    let mut sure = vec![false; n];
    loop {
        let left = count - sure.iter().filter(|s| **s).count();
        let total: f64 = (0..n).filter(|i| !sure[*i]).map(|i| w[i]).sum();
        let mut capped = false;
        for i in 0..n {
            if !sure[i] && left as f64 * w[i] / total >= 1.0 {
                sure[i] = true;
                capped = true;
            }
        }
        if !capped {
            return (0..n)
                .map(|i| {
                    if sure[i] {
                        1.0
                    } else {
                        left as f64 * w[i] / total
                    }
                })
                .collect();
        }
    }
}

/// Systematic sampling with unequal probabilities, in a random order:
/// draws exactly `round(Σ probabilities)` indices, each included with
/// exactly its probability (from [`inclusion_probabilities`]). Returns the
/// indices drawn, ascending.
pub fn systematic_sample(probabilities: &[f64], rng: &mut impl Rng) -> Vec<usize> {
    let n = probabilities.len();
    let want = probabilities.iter().sum::<f64>().round() as usize;
    // A random order, so that which neighbours share a stretch is random.
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    let start: f64 = rng.gen();
    let mut picked = Vec::with_capacity(want);
    let mut cumulative = 0.0;
    let mut next = start;
    for i in order {
        cumulative += probabilities[i];
        if next < cumulative && picked.len() < want {
            picked.push(i);
            next += 1.0;
        }
    }
    // Rounding can leave the last point just past the end: the most likely
    // candidates not yet drawn fill in.
    if picked.len() < want {
        let mut rest: Vec<usize> = (0..n).filter(|i| !picked.contains(i)).collect();
        rest.sort_by(|a, b| {
            probabilities[*b]
                .total_cmp(&probabilities[*a])
                .then(a.cmp(b))
        });
        picked.extend(rest.into_iter().take(want - picked.len()));
    }
    picked.sort_unstable();
    picked
}

/// What one period's inspections found, by kind of selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodYield {
    pub exploit_inspected: u32,
    pub exploit_frauds: u32,
    pub explore_inspected: u32,
    pub explore_frauds: u32,
}

/// The adaptive explore share: each period, a share in `min..=max` chosen
/// from the yields (frauds found per inspection) of exploit and explore
/// selections over the last `window` periods.
///
/// The rule (Thompson sampling of the two yields): draw each yield from
/// its Beta posterior, `Beta(1 + frauds, 1 + inspected − frauds)`, and set
/// `share = min + (max − min) · min(1, explore draw / exploit draw)`.
/// Exploration costs the frauds its inspections would have caught had
/// they gone to the top scores; when it finds fraud nearly as often as
/// the top scores do, it costs little and finds what the model misses, so
/// the share grows toward `max`; when it finds little, the share shrinks
/// toward `min` — never to zero, so that the model keeps seeing outside
/// its top and every declaration keeps a chance. Few inspections mean
/// wide posteriors, so the share then varies from period to period; many
/// settle it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveShare {
    pub min: f64,
    pub max: f64,
    /// Periods looked back on.
    pub window: usize,
}

impl AdaptiveShare {
    /// Bounds around a configured share: from half of it to twice it (at
    /// most 1), over the last 4 periods.
    pub fn around(share: f64) -> AdaptiveShare {
        let share = share.clamp(0.0, 1.0);
        AdaptiveShare {
            min: share / 2.0,
            max: (share * 2.0).min(1.0),
            window: 4,
        }
    }

    /// The next period's share, from the periods so far (oldest first).
    pub fn next_share(&self, periods: &[PeriodYield], rng: &mut impl Rng) -> f64 {
        let recent = &periods[periods.len().saturating_sub(self.window)..];
        let sum = recent
            .iter()
            .fold(PeriodYield::default(), |a, p| PeriodYield {
                exploit_inspected: a.exploit_inspected + p.exploit_inspected,
                exploit_frauds: a.exploit_frauds + p.exploit_frauds,
                explore_inspected: a.explore_inspected + p.explore_inspected,
                explore_frauds: a.explore_frauds + p.explore_frauds,
            });
        let draw = |rng: &mut _, inspected: u32, frauds: u32| {
            let frauds = frauds.min(inspected);
            let a = 1.0 + f64::from(frauds);
            let b = 1.0 + f64::from(inspected - frauds);
            Beta::new(a, b).map_or(a / (a + b), |beta| beta.sample(rng))
        };
        let exploit = draw(rng, sum.exploit_inspected, sum.exploit_frauds);
        let explore = draw(rng, sum.explore_inspected, sum.explore_frauds);
        let ratio = if exploit > 0.0 {
            (explore / exploit).min(1.0)
        } else {
            1.0
        };
        let (min, max) = (self.min.min(self.max), self.max.max(self.min));
        (min + (max - min) * ratio).clamp(min, max)
    }
}

/// One inspected declaration, for the inverse-propensity estimates: a
/// value (1 or 0 for a fraud rate, the revenue found, …) and the
/// probability with which it was selected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub value: f64,
    pub probability: f64,
}

impl Observation {
    /// A fraud (1) or not (0) found with the selection's probability.
    pub fn fraud(fraud: bool, probability: f64) -> Observation {
        Observation {
            value: f64::from(u8::from(fraud)),
            probability,
        }
    }
}

/// The Horvitz–Thompson estimate of the total of the values over every
/// declaration the inspections were drawn from: `Σ value / probability`.
/// Unbiased when every declaration had a positive chance; observations
/// with a probability outside (0, 1] are skipped.
pub fn ipw_total(observations: &[Observation]) -> f64 {
    observations
        .iter()
        .filter(|o| o.probability > 0.0 && o.probability <= 1.0)
        .map(|o| o.value / o.probability)
        .sum()
}

/// The Hájek estimate of the mean value over every declaration the
/// inspections were drawn from: `Σ value/p ÷ Σ 1/p` (e.g. the fraud rate
/// of all declarations, or a model's precision among all those in its top
/// n %, from the inspected ones). `None` without a usable observation.
pub fn ipw_mean(observations: &[Observation]) -> Option<f64> {
    let usable = observations
        .iter()
        .filter(|o| o.probability > 0.0 && o.probability <= 1.0);
    let weights: f64 = usable.clone().map(|o| 1.0 / o.probability).sum();
    (weights > 0.0).then(|| ipw_total(observations) / weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(17)
    }

    /// Scores spread like a model's: many low, some high.
    fn scores(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (0..n).map(|_| rng.gen::<f64>().powi(3)).collect()
    }

    #[test]
    fn names_round_trip_through_serde_and_parsing() {
        for s in ExploreStrategy::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.name()));
            assert_eq!(serde_json::from_str::<ExploreStrategy>(&json).unwrap(), s);
            assert_eq!(s.name().parse::<ExploreStrategy>().unwrap(), s);
        }
        assert!("greedy".parse::<ExploreStrategy>().is_err());
        let sel = Selection {
            reason: Reason::explore(ExploreStrategy::Uncertain),
            probability: 0.25,
        };
        assert_eq!(
            serde_json::to_string(&sel).unwrap(),
            r#"{"reason":"explore_uncertain","probability":0.25}"#
        );
    }

    #[test]
    fn the_rate_gives_the_share_of_the_budget() {
        // 5 % budget, 10 % of it exploring: 0.5 % of all declarations
        // explored out of the 95.5 % that exploit left.
        let r = explore_rate(0.05, 0.10);
        assert!((r - 0.005 / 0.955).abs() < 1e-12, "{r}");
        assert_eq!(explore_rate(0.05, 0.0), 0.0);
        assert_eq!(explore_rate(1.0, 0.5), 1.0);
        assert_eq!(explore_rate(0.2, 1.0), 0.2);
    }

    #[test]
    fn live_decisions_respect_the_share_with_probabilities_in_range() {
        let mut rng = rng();
        let recent = scores(5_000, &mut rng);
        let coming = scores(200_000, &mut rng);
        let rate = explore_rate(0.05, 0.10);
        for strategy in ExploreStrategy::ALL {
            let mean = mean_weight(strategy, &recent);
            let mut picked = 0usize;
            let mut near_half = (0usize, 0usize);
            for s in &coming {
                let d = decide(strategy, rate, *s, mean, rng.gen());
                if let Some(sel) = d {
                    assert!(sel.probability > 0.0 && sel.probability <= 1.0);
                    assert_eq!(sel.reason, Reason::explore(strategy));
                    picked += 1;
                }
                if (0.4..0.6).contains(s) {
                    near_half.0 += 1;
                    near_half.1 += usize::from(d.is_some());
                }
            }
            let share = picked as f64 / coming.len() as f64;
            // Binomial sd ≈ sqrt(rate/n) ≈ 1.6e-4: within 5 sd.
            assert!(
                (share - rate).abs() < 8e-4,
                "{strategy:?}: {share} vs {rate}"
            );
            let near = near_half.1 as f64 / near_half.0 as f64;
            if strategy == ExploreStrategy::Uncertain {
                // Scores near 0.5 are explored well above the mean rate.
                assert!(near > 2.0 * rate, "{near} vs {rate}");
            } else {
                assert!((near - rate).abs() < 0.01, "{near} vs {rate}");
            }
        }
        assert_eq!(decide(ExploreStrategy::Random, 0.0, 0.5, 1.0, 0.0), None);
        // A draw of 0 is selected at any positive probability, with the
        // floor's weight at the extremes.
        let sel = decide(ExploreStrategy::Uncertain, 0.01, 1.0, 1.0, 0.0).unwrap();
        assert!((sel.probability - 0.01 * UNCERTAIN_FLOOR).abs() < 1e-15);
        assert_eq!(
            decide(ExploreStrategy::Random, 0.5, 0.5, 0.1, 0.99)
                .unwrap()
                .probability,
            1.0
        );
    }

    #[test]
    fn inclusion_probabilities_cap_at_one_and_add_up() {
        let p = inclusion_probabilities(&[100.0, 1.0, 1.0, 1.0, 1.0], 2);
        assert_eq!(p[0], 1.0);
        for q in &p[1..] {
            assert!((q - 0.25).abs() < 1e-12, "{p:?}");
        }
        let mut rng = rng();
        let w: Vec<f64> = scores(300, &mut rng)
            .iter()
            .map(|s| weight(ExploreStrategy::Uncertain, *s))
            .collect();
        let p = inclusion_probabilities(&w, 40);
        assert!((p.iter().sum::<f64>() - 40.0).abs() < 1e-9);
        assert!(p.iter().all(|q| *q > 0.0 && *q <= 1.0));
        assert_eq!(inclusion_probabilities(&w[..3], 5), vec![1.0; 3]);
    }

    #[test]
    fn systematic_sampling_draws_exactly_and_with_its_probabilities() {
        let mut rng = rng();
        let w: Vec<f64> = (0..50).map(|i| 1.0 + (i % 5) as f64).collect();
        let p = inclusion_probabilities(&w, 7);
        let mut hits = vec![0u32; p.len()];
        let runs = 20_000;
        for _ in 0..runs {
            let s = systematic_sample(&p, &mut rng);
            assert_eq!(s.len(), 7);
            assert!(s.windows(2).all(|x| x[0] < x[1]), "distinct, sorted");
            for i in s {
                hits[i] += 1;
            }
        }
        for (i, q) in p.iter().enumerate() {
            let freq = f64::from(hits[i]) / f64::from(runs);
            let sd = (q * (1.0 - q) / f64::from(runs)).sqrt();
            assert!((freq - q).abs() < 5.0 * sd + 1e-3, "{i}: {freq} vs {q}");
        }
    }

    #[test]
    fn the_adaptive_share_follows_the_yields_within_bounds() {
        let ctl = AdaptiveShare::around(0.10);
        assert_eq!((ctl.min, ctl.max), (0.05, 0.20));
        let mut rng = rng();
        let period = |xf, ef| PeriodYield {
            exploit_inspected: 400,
            exploit_frauds: xf,
            explore_inspected: 400,
            explore_frauds: ef,
        };
        // Exploration as fruitful as exploiting: near the top.
        let good = vec![period(300, 300); 4];
        // Exploration finds almost nothing: near the bottom.
        let poor = vec![period(300, 3); 4];
        let (mut hi, mut lo) = (0.0, 0.0);
        for _ in 0..200 {
            let g = ctl.next_share(&good, &mut rng);
            let p = ctl.next_share(&poor, &mut rng);
            assert!((0.05..=0.20).contains(&g) && (0.05..=0.20).contains(&p));
            hi += g / 200.0;
            lo += p / 200.0;
        }
        assert!(hi > 0.18, "{hi}");
        assert!(lo < 0.06, "{lo}");
        // Only the window counts: old poor periods are forgotten.
        let mut mixed = poor.clone();
        mixed.extend(good.iter().copied());
        assert!(ctl.next_share(&mixed, &mut rng) > 0.15);
        // No history: still within bounds; the same seed, the same share.
        let a = ctl.next_share(&[], &mut ChaCha8Rng::seed_from_u64(3));
        let b = ctl.next_share(&[], &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(a, b);
        assert!((0.05..=0.20).contains(&a));
    }

    #[test]
    fn inverse_propensity_estimates_correct_the_selection() {
        // 2,000 declarations; fraud likelier at high scores; inspections
        // also favour high scores (each with its own probability).
        let mut rng = rng();
        let n = 2_000;
        let s = scores(n, &mut rng);
        let fraud: Vec<bool> = s
            .iter()
            .map(|s| rng.gen::<f64>() < 0.05 + 0.8 * s)
            .collect();
        let p: Vec<f64> = s.iter().map(|s| 0.02 + 0.6 * s).collect();
        let truth = fraud.iter().filter(|f| **f).count() as f64;
        let reps = 3_000;
        let (mut ht, mut ht2, mut naive, mut hajek) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..reps {
            let obs: Vec<Observation> = (0..n)
                .filter(|i| rng.gen::<f64>() < p[*i])
                .map(|i| Observation::fraud(fraud[i], p[i]))
                .collect();
            let t = ipw_total(&obs);
            ht += t / reps as f64;
            ht2 += t * t / reps as f64;
            naive += obs.iter().map(|o| o.value).sum::<f64>() / obs.len() as f64 * n as f64
                / reps as f64;
            hajek += ipw_mean(&obs).unwrap() / reps as f64;
        }
        let se = ((ht2 - ht * ht) / reps as f64).sqrt();
        assert!(
            (ht - truth).abs() < 4.0 * se,
            "HT {ht} vs {truth} (se {se})"
        );
        // The uncorrected fraud rate of the inspected overstates it badly.
        assert!(naive - truth > 20.0 * se, "naive {naive} vs {truth}");
        assert!((hajek - truth / n as f64).abs() < 0.01, "{hajek}");
        assert_eq!(ipw_mean(&[]), None);
        assert_eq!(
            ipw_total(&[Observation::fraud(true, 0.0), Observation::fraud(true, 0.5)]),
            2.0
        );
    }
}
