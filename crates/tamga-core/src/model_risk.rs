//! The learning model's part of a risk decision (issue 17): what the
//! model said and why, what happened when it could not say, and the
//! exploratory selection that keeps it seeing what it does not select.
//!
//! The model itself lives in `tamga-model`; the core only records its
//! answer and decides, from a keyed draw, whether a declaration no rule,
//! profile or threshold selected is inspected to explore. Every such
//! selection records its strategy and its selection probability, so that
//! yields measured on inspected declarations can be corrected for how
//! they were selected (inverse-probability weighting).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::lifecycle::Channel;

/// One feature's exact contribution to a score (TreeSHAP, in log-odds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureContribution {
    /// The feature's name (`importer.rate`, `hs6.seen`, `value.ln_price_per_kg`…).
    pub feature: String,
    /// The feature's value for this declaration (absent: missing).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub value: Option<Decimal>,
    /// Its contribution to the score's log-odds (positive: riskier).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub contribution: Decimal,
}

/// What the model said about a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelAssessment {
    /// The registry version of the model.
    pub version: i64,
    /// The SHA-256 of the model file.
    pub content_hash: String,
    /// The declaration's score: its riskiest goods item's (0 to 1).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub score: Decimal,
    /// The sequence number of that goods item.
    pub item: u32,
    /// The features that moved that item's score most, largest first.
    pub contributions: Vec<FeatureContribution>,
}

/// The model could not score: the rules decided alone, and this says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelFallback {
    /// The active model's version, when one was active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    pub reason: String,
}

/// How declarations are chosen for exploratory inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExplorationStrategy {
    /// No exploration.
    #[default]
    Off,
    /// Every declaration not otherwise selected has the same probability.
    Random,
    /// The probability grows with the model's uncertainty, 4·s·(1 − s),
    /// scaled so that the expected share is the configured one.
    Uncertain,
    /// Random, with the share chosen each period from recent yields
    /// (see `tamga_app`'s exploration job).
    Adaptive,
}

impl ExplorationStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Random => "random",
            Self::Uncertain => "uncertain",
            Self::Adaptive => "adaptive",
        }
    }
}

/// The exploration part of the channel policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplorationPolicy {
    pub strategy: ExplorationStrategy,
    /// The share of declarations, among those no rule, profile, category
    /// or model threshold selected, inspected to explore (0 to 0.5). For
    /// `adaptive`, the starting share; the job then moves it between
    /// `minShare` and `maxShare`.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub share: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub min_share: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub max_share: Decimal,
    /// The channel an exploratory selection gets (yellow or red).
    pub channel: Channel,
}

impl Default for ExplorationPolicy {
    fn default() -> Self {
        ExplorationPolicy {
            strategy: ExplorationStrategy::Off,
            share: Decimal::new(1, 2),
            min_share: Decimal::new(5, 3),
            max_share: Decimal::new(5, 2),
            channel: Channel::Red,
        }
    }
}

impl ExplorationPolicy {
    /// `Err((field, message))` when out of range.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let half = Decimal::new(5, 1);
        for (f, v) in [
            ("/exploration/share", self.share),
            ("/exploration/minShare", self.min_share),
            ("/exploration/maxShare", self.max_share),
        ] {
            if v < Decimal::ZERO || v > half {
                return Err((f, "exploration shares must be between 0 and 0.5"));
            }
        }
        if self.min_share > self.max_share {
            return Err((
                "/exploration/minShare",
                "exploration minShare must not exceed maxShare",
            ));
        }
        if self.channel == Channel::Green {
            return Err((
                "/exploration/channel",
                "an exploratory selection is yellow or red",
            ));
        }
        Ok(())
    }
}

/// What the exploration draw decided, recorded on every decision it was
/// made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exploration {
    pub strategy: ExplorationStrategy,
    /// The share in force (the adaptive job's latest for `adaptive`).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub share: Decimal,
    /// This declaration's probability of an exploratory selection.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub probability: Decimal,
    /// The keyed draw (selected when below the probability).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub draw: Decimal,
    pub selected: bool,
}

/// The inputs of the exploration draw for one declaration.
#[derive(Debug, Clone)]
pub struct ExplorationInput {
    pub strategy: ExplorationStrategy,
    /// The share in force.
    pub share: Decimal,
    /// The channel a selection gets.
    pub channel: Channel,
    /// For `uncertain`: the mean of 4·s·(1 − s) over recent scores (the
    /// normaliser); `None` falls back to random.
    pub mean_uncertainty: Option<f64>,
    /// The keyed draw, uniform in [0, 1).
    pub draw: Decimal,
}

/// The probability that a declaration with model score `score` is
/// selected to explore, rounded to six places and within [0, 1].
pub fn exploration_probability(inp: &ExplorationInput, score: Option<f64>) -> Decimal {
    let p = match (inp.strategy, score, inp.mean_uncertainty) {
        (ExplorationStrategy::Off, ..) => Decimal::ZERO,
        (ExplorationStrategy::Uncertain, Some(s), Some(m)) if m > 1e-9 && s.is_finite() => {
            let s = s.clamp(0.0, 1.0);
            let w = 4.0 * s * (1.0 - s) / m;
            Decimal::from_f64_retain(w)
                .and_then(|w| w.checked_mul(inp.share))
                .unwrap_or(Decimal::ONE)
        }
        _ => inp.share,
    };
    p.clamp(Decimal::ZERO, Decimal::ONE).round_dp(6)
}

/// Draws for one declaration: `None` when the strategy is off.
pub fn explore(inp: &ExplorationInput, score: Option<f64>) -> Option<Exploration> {
    if inp.strategy == ExplorationStrategy::Off {
        return None;
    }
    let probability = exploration_probability(inp, score);
    Some(Exploration {
        strategy: inp.strategy,
        share: inp.share,
        probability,
        draw: inp.draw,
        selected: inp.draw < probability,
    })
}

/// The adaptive rule: the next period's share from this period's yields
/// (findings per inspection) of exploratory and of other selections.
/// When exploration finds at least half as much per inspection as the
/// rest, it is worth more of the budget (×1.25); when it finds less, less
/// (×0.8); without enough inspections (fewer than `min_controls` of
/// either kind) the share stays. Always within `[min, max]`.
pub fn adaptive_share(
    current: Decimal,
    min: Decimal,
    max: Decimal,
    explore: (u64, u64),
    exploit: (u64, u64),
    min_controls: u64,
) -> Decimal {
    let (ef, ec) = explore;
    let (xf, xc) = exploit;
    let next = if ec < min_controls || xc < min_controls {
        current
    } else {
        // ef/ec >= 0.5 · xf/xc, in integers.
        if 2 * ef * xc >= xf * ec {
            current * Decimal::new(125, 2)
        } else {
            current * Decimal::new(8, 1)
        }
    };
    next.clamp(min, max).round_dp(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(strategy: ExplorationStrategy, draw: &str) -> ExplorationInput {
        ExplorationInput {
            strategy,
            share: Decimal::new(5, 2),
            channel: Channel::Red,
            mean_uncertainty: Some(0.2),
            draw: draw.parse().unwrap(),
        }
    }

    #[test]
    fn random_exploration_selects_below_the_share() {
        let e = explore(&input(ExplorationStrategy::Random, "0.049999"), Some(0.9)).unwrap();
        assert!(e.selected);
        assert_eq!(e.probability, Decimal::new(5, 2));
        let e = explore(&input(ExplorationStrategy::Random, "0.05"), Some(0.0)).unwrap();
        assert!(!e.selected, "the draw must be strictly below");
        assert!(explore(&input(ExplorationStrategy::Off, "0"), Some(0.5)).is_none());
    }

    #[test]
    fn uncertain_exploration_favours_scores_near_one_half() {
        let i = input(ExplorationStrategy::Uncertain, "0.1");
        let at = |s| exploration_probability(&i, Some(s));
        assert!(at(0.5) > at(0.2));
        assert!(at(0.2) > at(0.01));
        assert_eq!(at(0.0), Decimal::ZERO);
        // 0.05 · 4·0.5·0.5 / 0.2 = 0.25.
        assert_eq!(at(0.5), Decimal::new(25, 2));
        // Without a normaliser or a score: as random.
        let mut j = i.clone();
        j.mean_uncertainty = None;
        assert_eq!(exploration_probability(&j, Some(0.5)), Decimal::new(5, 2));
        assert_eq!(exploration_probability(&i, None), Decimal::new(5, 2));
        // Never above 1.
        let mut k = i.clone();
        k.mean_uncertainty = Some(1e-6);
        assert_eq!(exploration_probability(&k, Some(0.5)), Decimal::ONE);
    }

    #[test]
    fn uncertain_exploration_keeps_the_share_on_its_own_distribution() {
        // Scores spread over [0, 1): the mean probability is the share.
        let scores: Vec<f64> = (0..10_000).map(|i| (i as f64 + 0.5) / 10_000.0).collect();
        let m = scores.iter().map(|s| 4.0 * s * (1.0 - s)).sum::<f64>() / scores.len() as f64;
        let mut i = input(ExplorationStrategy::Uncertain, "0");
        i.mean_uncertainty = Some(m);
        let mean: Decimal = scores
            .iter()
            .map(|s| exploration_probability(&i, Some(*s)))
            .sum::<Decimal>()
            / Decimal::from(scores.len());
        assert!((mean - i.share).abs() < Decimal::new(1, 4), "{mean}");
    }

    #[test]
    fn the_adaptive_share_follows_the_yields_within_bounds() {
        let (cur, min, max) = (Decimal::new(2, 2), Decimal::new(1, 2), Decimal::new(5, 2));
        // Exploration yields 0.10, the rest 0.15: at least half, more.
        assert_eq!(
            adaptive_share(cur, min, max, (10, 100), (30, 200), 20),
            Decimal::new(25, 3)
        );
        // Exploration yields 0.02, the rest 0.15: less.
        assert_eq!(
            adaptive_share(cur, min, max, (2, 100), (30, 200), 20),
            Decimal::new(16, 3)
        );
        // Too few controls: unchanged.
        assert_eq!(adaptive_share(cur, min, max, (1, 5), (30, 200), 20), cur);
        // Bounds.
        assert_eq!(adaptive_share(max, min, max, (50, 100), (1, 100), 20), max);
        assert_eq!(adaptive_share(min, min, max, (0, 100), (50, 100), 20), min);
    }

    #[test]
    fn the_policy_is_checked() {
        assert!(ExplorationPolicy::default().check().is_ok());
        let p = ExplorationPolicy {
            share: Decimal::new(6, 1),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().0, "/exploration/share");
        let p = ExplorationPolicy {
            min_share: Decimal::new(1, 1),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().0, "/exploration/minShare");
        let p = ExplorationPolicy {
            channel: Channel::Green,
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().0, "/exploration/channel");
    }
}
