//! The channel decision: profile hits, trader category, model score and
//! seeded random selection combined into green / yellow / red (+ blue).
//!
//! The rule, in order (the strictest channel wins):
//! 1. every officer selectivity-criterion hit requires its channel;
//! 2. every risk-profile hit requires its channel (a post-release audit
//!    profile requires green and selects for blue);
//! 3. a pre-arrival (preliminary) decision on the same transport document
//!    requires at least its channel;
//! 4. the trader's category: `high` requires at least
//!    [`ChannelPolicy::high_minimum`]; the random selection rates are
//!    multiplied by the category's factor (low and AEO traders are drawn
//!    less often, high ones more often);
//! 5. a model score, when one is given, requires yellow at or above
//!    `model_yellow` and red at or above `model_red`;
//! 6. the keyed random draw selects red below the (adjusted) red rate and
//!    yellow below red + yellow rate;
//! 7. a green declaration is selected for post-release audit (blue) when
//!    an audit profile hit or its own draw falls below `blue_rate`.
//!
//! Everything is recorded in the [`RiskDecision`]: the hits and why, the
//! factors, the trader context, the rates as configured and as applied,
//! both draws with their seed and the id of the secret they were keyed
//! with ([`crate::risk::DrawKey`]), and a readable explanation.

use crate::hash::Sha256;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::lifecycle::Channel;
use crate::model_risk::{
    explore, Exploration, ExplorationInput, ExplorationPolicy, ModelAssessment, ModelFallback,
};
use crate::prearrival::Preliminary;
use crate::profiles::{Control, ProfileHit, TraderCategory, TraderContext};
use crate::risk::{
    BlueDraw, CombinedDecision, ConfiguredRates, CriterionError, CriterionHit, FactorHit,
    PrearrivalFactor, RandomDraw, RandomSelection, RiskDecision,
};

/// How category, model score and blue selection enter the decision.
/// Analysts configure it; every decision records what was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelPolicy {
    /// Share of green declarations drawn for post-release audit.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub blue_rate: Decimal,
    /// Random-rate factor for low-category traders.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub low_factor: Decimal,
    /// Random-rate factor for authorised economic operators (the smaller
    /// of this and the category factor applies).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub aeo_factor: Decimal,
    /// Random-rate factor for high-category traders.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub high_factor: Decimal,
    /// The least channel a high-category trader gets.
    pub high_minimum: Channel,
    /// Model score at or above which the declaration goes yellow.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub model_yellow: Decimal,
    /// Model score at or above which it goes red.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub model_red: Decimal,
    /// Exploratory selection (issue 17); off in policies stored before it.
    #[serde(default)]
    pub exploration: ExplorationPolicy,
}

impl Default for ChannelPolicy {
    fn default() -> Self {
        ChannelPolicy {
            blue_rate: Decimal::new(2, 2),
            low_factor: Decimal::new(5, 1),
            aeo_factor: Decimal::new(25, 2),
            high_factor: Decimal::from(2),
            high_minimum: Channel::Yellow,
            model_yellow: Decimal::new(6, 1),
            model_red: Decimal::new(85, 2),
            exploration: ExplorationPolicy::default(),
        }
    }
}

fn policy_error(field: &'static str, message: impl Into<String>) -> CriterionError {
    CriterionError {
        code: "CHANNEL_POLICY",
        field,
        message: message.into(),
    }
}

impl ChannelPolicy {
    pub fn check(&self) -> Result<(), CriterionError> {
        let unit = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
        if !unit(self.blue_rate) {
            return Err(policy_error(
                "/blueRate",
                "blueRate must be between 0 and 1",
            ));
        }
        for (field, f) in [
            ("/lowFactor", self.low_factor),
            ("/aeoFactor", self.aeo_factor),
            ("/highFactor", self.high_factor),
        ] {
            if f < Decimal::ZERO || f > Decimal::from(100) {
                return Err(policy_error(field, "factors must be between 0 and 100"));
            }
        }
        if !unit(self.model_yellow) || !unit(self.model_red) || self.model_red < self.model_yellow {
            return Err(policy_error(
                "/modelYellow",
                "model thresholds must be between 0 and 1, modelYellow <= modelRed",
            ));
        }
        self.exploration
            .check()
            .map_err(|(field, message)| policy_error(field, message))?;
        Ok(())
    }

    /// The random-rate factor for a trader.
    pub fn factor(&self, t: &TraderContext) -> Decimal {
        let f = match t.category {
            TraderCategory::Low => self.low_factor,
            TraderCategory::Medium => Decimal::ONE,
            TraderCategory::High => self.high_factor,
        };
        if t.aeo {
            f.min(self.aeo_factor)
        } else {
            f
        }
    }
}

/// The unkeyed draw of decisions made before draws were keyed (no secret
/// id recorded): SHA-256 of a seed, a domain (`"blue"`) and a key (MRN).
/// Anyone who knows the seed can compute it, so it is only used to verify
/// old decisions; new ones use [`crate::risk::DrawKey::draw`].
pub fn draw(seed: u64, domain: &str, key: &str) -> Decimal {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(domain.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let d = h.finalize();
    let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 1_000_000;
    Decimal::new(n as i64, 6)
}

/// Random selection for one decision: the configured rates and seed, and
/// the two draws (for yellow/red, and for blue) with the id of the secret
/// they were keyed with.
#[derive(Debug, Clone)]
pub struct Draws<'a> {
    pub random: &'a RandomSelection,
    pub secret_id: Option<i64>,
    pub draw: Decimal,
    pub blue_draw: Decimal,
    /// The decision's salt ([`crate::risk::DrawKey::salt`]).
    pub salt: Option<String>,
}

/// Everything the decision combines.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub criteria_hits: Vec<CriterionHit>,
    pub profile_hits: Vec<ProfileHit>,
    pub trader: &'a TraderContext,
    /// The learning model's score (0 to 1), when a model is configured.
    pub model_score: Option<f64>,
    /// What the model said, recorded with the decision.
    pub model: Option<ModelAssessment>,
    /// Why the active model gave no score (the rules decided alone).
    pub model_fallback: Option<ModelFallback>,
    /// The exploration draw, made when nothing else selects the
    /// declaration (`None`: no exploration).
    pub exploration: Option<ExplorationInput>,
    pub preliminary: Option<&'a Preliminary>,
    /// `None`: no random selection (pre-arrival assessment: the draw is
    /// made when the declaration is lodged).
    pub draws: Option<Draws<'a>>,
}

fn default_control(c: Channel) -> Option<Control> {
    match c {
        Channel::Green => None,
        Channel::Yellow => Some(Control::DocumentaryCheck),
        Channel::Red => Some(Control::PhysicalInspection),
    }
}

/// The combined decision.
pub fn decide(inp: Inputs<'_>, policy: &ChannelPolicy) -> RiskDecision {
    let mut factors = Vec::new();
    let t = inp.trader;
    if t.category == TraderCategory::High && policy.high_minimum > Channel::Green {
        factors.push(FactorHit {
            source: "trader_category".into(),
            channel: policy.high_minimum,
            reason: format!(
                "trader category high: at least {}",
                policy.high_minimum.as_str()
            ),
            prearrival: None,
        });
    }
    let model_score = inp
        .model_score
        .filter(|s| s.is_finite() && (0.0..=1.0).contains(s))
        .and_then(Decimal::from_f64_retain)
        .map(|s| s.round_dp(4).normalize());
    if let Some(s) = model_score {
        let ch = if s >= policy.model_red {
            Some(Channel::Red)
        } else if s >= policy.model_yellow {
            Some(Channel::Yellow)
        } else {
            None
        };
        if let Some(ch) = ch {
            factors.push(FactorHit {
                source: "model_score".into(),
                channel: ch,
                reason: format!("model score {s} at or above the {} threshold", ch.as_str()),
                prearrival: None,
            });
        }
    }
    if let Some(p) = inp.preliminary {
        factors.push(FactorHit {
            source: "prearrival".into(),
            channel: p.channel,
            reason: format!(
                "pre-arrival information {} for transport document {} was preliminarily decided {}{}",
                p.id,
                p.transport_document,
                p.channel.as_str(),
                if p.controls.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        p.controls
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
            prearrival: Some(PrearrivalFactor {
                id: p.id.clone(),
                transport_document: p.transport_document.clone(),
                controls: p.controls.clone(),
            }),
        });
    }

    // Random selection with the category factor.
    let factor = policy.factor(t);
    let (random, configured, selected, blue_base) = match &inp.draws {
        Some(d) => {
            let red = (d.random.red_rate * factor).min(Decimal::ONE).round_dp(6);
            let yellow = (d.random.yellow_rate * factor)
                .min(Decimal::ONE - red)
                .round_dp(6);
            let selected = if d.draw < red {
                Some(Channel::Red)
            } else if d.draw < red + yellow {
                Some(Channel::Yellow)
            } else {
                None
            };
            (
                RandomDraw {
                    seed: d.random.seed,
                    secret_id: d.secret_id,
                    draw: d.draw,
                    yellow_rate: yellow,
                    red_rate: red,
                    selected,
                    salt: d.salt.clone(),
                },
                Some(ConfiguredRates {
                    yellow_rate: d.random.yellow_rate,
                    red_rate: d.random.red_rate,
                    category_factor: factor,
                }),
                selected,
                Some(d.blue_draw),
            )
        }
        None => (
            RandomDraw {
                seed: 0,
                secret_id: None,
                draw: Decimal::ZERO,
                yellow_rate: Decimal::ZERO,
                red_rate: Decimal::ZERO,
                selected: None,
                salt: None,
            },
            None,
            None,
            None,
        ),
    };

    let deterministic = inp
        .criteria_hits
        .iter()
        .map(|h| h.channel)
        .chain(inp.profile_hits.iter().map(|h| h.channel))
        .chain(factors.iter().map(|f| f.channel))
        .max();
    let mut channel = deterministic
        .into_iter()
        .chain(selected)
        .max()
        .unwrap_or(Channel::Green);

    // Exploration: only for what nothing else selected.
    let exploration: Option<Exploration> = match &inp.exploration {
        Some(e) if channel == Channel::Green => explore(e, inp.model_score),
        _ => None,
    };
    if let (Some(x), Some(e)) = (&exploration, &inp.exploration) {
        if x.selected {
            channel = e.channel;
            factors.push(FactorHit {
                source: "exploration".into(),
                channel: e.channel,
                reason: format!(
                    "selected to explore ({}, probability {}, draw {})",
                    x.strategy.as_str(),
                    x.probability.normalize(),
                    x.draw.normalize()
                ),
                prearrival: None,
            });
        }
    }
    // The probability of this selection given what was known: 1 when a
    // rule, profile, category or threshold required it; else the random
    // rates, and exploration for what they did not draw.
    let selection_probability = (channel != Channel::Green).then(|| {
        if deterministic.is_some_and(|c| c > Channel::Green) {
            return Decimal::ONE;
        }
        let r = (random.red_rate + random.yellow_rate).min(Decimal::ONE);
        let p = exploration
            .as_ref()
            .map(|x| x.probability)
            .unwrap_or_default();
        (r + (Decimal::ONE - r) * p).min(Decimal::ONE).round_dp(6)
    });

    let mut controls: Vec<Control> = Vec::new();
    let required = inp
        .profile_hits
        .iter()
        .filter(|h| h.control != Control::PostReleaseAudit)
        .map(|h| h.control)
        .chain(
            inp.preliminary
                .iter()
                .flat_map(|p| p.controls.iter().copied()),
        );
    for c in required {
        if !controls.contains(&c) {
            controls.push(c);
        }
    }
    if controls.is_empty() {
        controls.extend(default_control(channel));
    }

    let audit_hit = inp
        .profile_hits
        .iter()
        .find(|h| h.control == Control::PostReleaseAudit);
    let blue_draw = blue_base.map(|d| BlueDraw {
        draw: d,
        rate: policy.blue_rate,
        selected: d < policy.blue_rate,
    });
    let blue = channel == Channel::Green
        && (audit_hit.is_some()
            || inp.preliminary.is_some_and(|p| p.blue)
            || blue_draw.as_ref().is_some_and(|b| b.selected));
    if channel != Channel::Green {
        controls.retain(|c| *c != Control::PostReleaseAudit);
    } else {
        controls.clear();
        if blue {
            controls.push(Control::PostReleaseAudit);
        }
    }

    // The explanation: every reason, strictest first.
    let mut parts: Vec<String> = Vec::new();
    for h in &inp.criteria_hits {
        parts.push(format!(
            "criterion {} ({}) hit: {}",
            h.criterion_id,
            h.channel.as_str(),
            h.reason
        ));
    }
    for h in &inp.profile_hits {
        parts.push(format!(
            "profile {} v{} ({}, {}) hit: {}",
            h.profile_id,
            h.version,
            h.channel.as_str(),
            h.control.as_str(),
            h.explanation
        ));
    }
    for f in &factors {
        parts.push(f.reason.clone());
    }
    if let Some(fb) = &inp.model_fallback {
        parts.push(format!("model not used ({}): rules alone", fb.reason));
    }
    if let Some(s) = selected {
        parts.push(format!(
            "random selection for {} (draw {} below rate {}{})",
            s.as_str(),
            random.draw,
            match s {
                Channel::Red => random.red_rate,
                _ => random.red_rate + random.yellow_rate,
            },
            if factor == Decimal::ONE {
                String::new()
            } else {
                format!(", rates x{} for the trader's category", factor.normalize())
            }
        ));
    }
    let mut explanation = if parts.is_empty() {
        "no criterion or profile hit and not randomly selected: green".to_owned()
    } else {
        format!("{}: {}", channel.as_str(), parts.join("; "))
    };
    if channel != Channel::Green {
        explanation.push_str(&format!(
            "; control: {}",
            controls
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if blue {
        explanation.push_str(&match audit_hit {
            Some(h) => format!(
                "; released, selected for post-release audit (blue) by profile {}",
                h.profile_id
            ),
            None => match &blue_draw {
                Some(b) if b.selected => format!(
                    "; released, randomly selected for post-release audit (blue, draw {} below {})",
                    b.draw, b.rate
                ),
                _ => "; released, selected for post-release audit (blue) before arrival".into(),
            },
        });
    }

    RiskDecision {
        channel,
        hits: inp.criteria_hits,
        random,
        explanation,
        combined: Box::new(CombinedDecision {
            profile_hits: inp.profile_hits,
            factors,
            trader: Some(t.clone()),
            model_score,
            model: inp.model,
            model_fallback: inp.model_fallback,
            goods: None,
            values: None,
            exploration,
            selection_probability,
            controls,
            configured_rates: configured,
            blue_draw,
            blue,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_random() -> RandomSelection {
        RandomSelection {
            yellow_rate: Decimal::ZERO,
            red_rate: Decimal::ZERO,
            seed: 7,
        }
    }

    fn hit(id: &str, channel: Channel, control: Control) -> ProfileHit {
        ProfileHit {
            profile_id: id.into(),
            version: 1,
            item: Some(1),
            priority: 1,
            channel,
            control,
            explanation: "item 1: origin == \"CN\" (was CN)".into(),
            held: Vec::new(),
            office: None,
        }
    }

    fn inputs<'a>(
        t: &'a TraderContext,
        r: &'a RandomSelection,
        draw: &str,
        blue: &str,
    ) -> Inputs<'a> {
        Inputs {
            criteria_hits: vec![],
            profile_hits: vec![],
            trader: t,
            model_score: None,
            model: None,
            model_fallback: None,
            exploration: None,
            preliminary: None,
            draws: Some(Draws {
                random: r,
                secret_id: Some(3),
                draw: draw.parse().unwrap(),
                blue_draw: blue.parse().unwrap(),
                salt: None,
            }),
        }
    }

    #[test]
    fn nothing_is_green_with_everything_recorded() {
        let t = TraderContext::default();
        let r = no_random();
        let d = decide(inputs(&t, &r, "0.5", "0.9"), &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Green);
        assert!(!d.combined.blue);
        assert!(d.combined.controls.is_empty());
        assert_eq!(d.combined.trader.as_ref(), Some(&t));
        assert_eq!(d.random.seed, 7);
        assert_eq!(d.random.secret_id, Some(3));
        assert!(
            d.explanation.starts_with("no criterion"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn strictest_hit_wins_and_controls_come_from_the_hits() {
        let t = TraderContext::default();
        let r = no_random();
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.profile_hits = vec![
            hit("P1", Channel::Yellow, Control::DocumentaryCheck),
            hit("P2", Channel::Red, Control::LaboratorySample),
        ];
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Red);
        assert_eq!(
            d.combined.controls,
            [Control::DocumentaryCheck, Control::LaboratorySample]
        );
        assert!(d
            .explanation
            .contains("profile P2 v1 (red, laboratory_sample)"));
        assert!(d
            .explanation
            .ends_with("control: documentary_check, laboratory_sample"));
    }

    #[test]
    fn high_category_is_at_least_yellow_low_and_aeo_draw_less() {
        let r = RandomSelection {
            yellow_rate: "0.10".parse().unwrap(),
            red_rate: "0.02".parse().unwrap(),
            seed: 1,
        };
        let p = ChannelPolicy::default();
        let high = TraderContext {
            category: TraderCategory::High,
            ..Default::default()
        };
        let d = decide(inputs(&high, &r, "0.9", "0.9"), &p);
        assert_eq!(d.channel, Channel::Yellow);
        assert_eq!(d.combined.factors[0].source, "trader_category");
        assert_eq!(d.combined.controls, [Control::DocumentaryCheck]);
        // Draw 0.08 is below medium's 0.12 (yellow) but above low's 0.06.
        let medium = TraderContext::default();
        assert_eq!(
            decide(inputs(&medium, &r, "0.08", "0.9"), &p).channel,
            Channel::Yellow
        );
        let low = TraderContext {
            category: TraderCategory::Low,
            ..Default::default()
        };
        let d = decide(inputs(&low, &r, "0.08", "0.9"), &p);
        assert_eq!(d.channel, Channel::Green);
        assert_eq!(d.random.yellow_rate, "0.05".parse::<Decimal>().unwrap());
        assert_eq!(
            d.combined
                .configured_rates
                .as_ref()
                .unwrap()
                .category_factor,
            "0.5".parse::<Decimal>().unwrap()
        );
        // AEO: the smaller factor.
        let aeo = TraderContext {
            category: TraderCategory::Low,
            aeo: true,
            ..Default::default()
        };
        let d = decide(inputs(&aeo, &r, "0.02", "0.9"), &p);
        assert_eq!(d.random.red_rate, "0.005".parse::<Decimal>().unwrap());
        assert_eq!(d.channel, Channel::Yellow);
        assert!(d.explanation.contains("rates x0.25"), "{}", d.explanation);
    }

    #[test]
    fn model_score_thresholds() {
        let t = TraderContext::default();
        let r = no_random();
        let p = ChannelPolicy::default();
        for (score, want) in [
            (Some(0.2), Channel::Green),
            (Some(0.6), Channel::Yellow),
            (Some(0.9), Channel::Red),
            (Some(f64::NAN), Channel::Green),
            (Some(7.0), Channel::Green),
            (None, Channel::Green),
        ] {
            let mut i = inputs(&t, &r, "0.5", "0.9");
            i.model_score = score;
            let d = decide(i, &p);
            assert_eq!(d.channel, want, "{score:?}");
            assert_eq!(
                d.combined.model_score.is_some(),
                score.is_some_and(|s| (0.0..=1.0).contains(&s))
            );
        }
    }

    #[test]
    fn blue_only_for_green_by_draw_or_audit_profile() {
        let t = TraderContext::default();
        let r = no_random();
        let p = ChannelPolicy::default();
        let d = decide(inputs(&t, &r, "0.5", "0.01"), &p);
        assert!(d.combined.blue);
        assert_eq!(d.channel, Channel::Green);
        assert_eq!(d.combined.controls, [Control::PostReleaseAudit]);
        assert!(d
            .explanation
            .contains("randomly selected for post-release audit"));
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.profile_hits = vec![hit("AUDIT", Channel::Green, Control::PostReleaseAudit)];
        let d = decide(i, &p);
        assert!(d.combined.blue);
        assert!(d.explanation.contains("by profile AUDIT"));
        // Yellow: no blue, even with a low blue draw.
        let mut i = inputs(&t, &r, "0.5", "0.01");
        i.profile_hits = vec![hit("P", Channel::Yellow, Control::NonIntrusiveScan)];
        let d = decide(i, &p);
        assert!(!d.combined.blue);
        assert_eq!(d.combined.controls, [Control::NonIntrusiveScan]);
    }

    #[test]
    fn preliminary_decision_is_a_floor() {
        let t = TraderContext::default();
        let r = no_random();
        let pre = Preliminary {
            id: "PA000001".into(),
            transport_document: "CMR-1".into(),
            channel: Channel::Red,
            controls: vec![Control::NonIntrusiveScan],
            blue: false,
        };
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.preliminary = Some(&pre);
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Red);
        assert_eq!(d.combined.controls, [Control::NonIntrusiveScan]);
        assert!(d.explanation.contains("PA000001"));
        assert_eq!(d.combined.factors[0].source, "prearrival");
    }

    #[test]
    fn exploration_selects_only_what_nothing_else_did_and_says_how_likely() {
        use crate::model_risk::{ExplorationInput, ExplorationStrategy, ModelAssessment};
        let t = TraderContext::default();
        let r = no_random();
        let explore = |draw: &str| ExplorationInput {
            strategy: ExplorationStrategy::Random,
            share: Decimal::new(2, 2),
            channel: Channel::Red,
            mean_uncertainty: None,
            draw: draw.parse().unwrap(),
        };
        let model = ModelAssessment {
            version: 7,
            content_hash: "ab".repeat(32),
            score: Decimal::new(1, 1),
            item: 1,
            contributions: Vec::new(),
        };
        // Drawn below the share: red, to explore, with its probability.
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.model_score = Some(0.1);
        i.model = Some(model.clone());
        i.exploration = Some(explore("0.01"));
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Red);
        let x = d.combined.exploration.as_ref().expect("recorded");
        assert!(x.selected);
        assert_eq!(x.probability, Decimal::new(2, 2));
        assert_eq!(d.combined.selection_probability, Some(Decimal::new(2, 2)));
        assert_eq!(d.combined.factors.last().unwrap().source, "exploration");
        assert!(
            d.explanation.contains("selected to explore"),
            "{}",
            d.explanation
        );
        assert_eq!(d.combined.model.as_ref().unwrap().version, 7);
        // Drawn above: green, the draw still recorded (probability 0.02).
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.exploration = Some(explore("0.5"));
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Green);
        assert!(!d.combined.exploration.as_ref().unwrap().selected);
        assert_eq!(d.combined.selection_probability, None);
        // A profile already selects it: no exploration draw, probability 1.
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.profile_hits = vec![hit("P", Channel::Yellow, Control::DocumentaryCheck)];
        i.exploration = Some(explore("0.01"));
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Yellow);
        assert_eq!(d.combined.exploration, None);
        assert_eq!(d.combined.selection_probability, Some(Decimal::ONE));
    }

    #[test]
    fn a_model_fallback_is_said() {
        let t = TraderContext::default();
        let r = no_random();
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.model_fallback = Some(crate::model_risk::ModelFallback {
            version: Some(3),
            reason: "the model could not be loaded".into(),
        });
        let d = decide(i, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Green);
        assert!(
            d.explanation.contains("model not used"),
            "{}",
            d.explanation
        );
        assert_eq!(d.combined.model_fallback.as_ref().unwrap().version, Some(3));
    }

    #[test]
    fn combined_decision_round_trips_and_old_decisions_read_the_same() {
        let t = TraderContext::default();
        let r = no_random();
        let mut i = inputs(&t, &r, "0.5", "0.9");
        i.profile_hits = vec![hit("P", Channel::Red, Control::PhysicalInspection)];
        i.model_score = Some(0.3);
        let d = decide(i, &ChannelPolicy::default());
        let json = serde_json::to_string(&d).unwrap();
        let back: RiskDecision = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        // A decision stored before the combined stage reads back and
        // serializes byte for byte as it was (its hash still verifies).
        let old = r#"{"channel":"green","hits":[],"random":{"seed":42,"draw":"0.731200","yellowRate":"0.01","redRate":"0.005"},"explanation":"no criterion hit and not randomly selected: green"}"#;
        let d: RiskDecision = serde_json::from_str(old).unwrap();
        assert_eq!(*d.combined, CombinedDecision::default());
        assert_eq!(serde_json::to_string(&d).unwrap(), old);
    }

    #[test]
    fn policy_check() {
        assert!(ChannelPolicy::default().check().is_ok());
        let p = ChannelPolicy {
            blue_rate: Decimal::from(2),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().field, "/blueRate");
        let p = ChannelPolicy {
            model_red: Decimal::new(1, 1),
            ..Default::default()
        };
        assert!(p.check().is_err());
    }

    #[test]
    fn draws_are_reproducible_and_spread() {
        assert_eq!(draw(1, "blue", "X"), draw(1, "blue", "X"));
        assert_ne!(draw(1, "blue", "X"), draw(2, "blue", "X"));
        let below = (0..10_000)
            .filter(|i| draw(3, "blue", &i.to_string()) < Decimal::new(1, 1))
            .count();
        assert!((800..1200).contains(&below), "{below}");
    }

    /// HMAC-SHA256 (RFC 2104) written out over the SHA-256 of
    /// [`crate::hash`], independently of `ring::hmac`.
    fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
        let mut k = [0u8; 64];
        k[..32].copy_from_slice(key);
        let mut inner = crate::hash::Sha256::new();
        inner.update(k.map(|b| b ^ 0x36));
        inner.update(msg);
        let inner = inner.finalize();
        let mut outer = crate::hash::Sha256::new();
        outer.update(k.map(|b| b ^ 0x5c));
        outer.update(inner);
        outer.finalize()
    }

    #[test]
    fn hmac_reference_matches_rfc_4231() {
        // RFC 4231 test case 2 has a 4-byte key; pad it to our 32 bytes is
        // not the same key, so check the construction on case 1 instead
        // with its 20-byte key zero-padded (HMAC pads keys with zeros).
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        assert_eq!(
            hex::encode(hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn keyed_draw_known_answer() {
        use crate::risk::{DrawKey, PURPOSE_BLUE, PURPOSE_RANDOM};
        let secret: [u8; 32] = std::array::from_fn(|i| i as u8);
        let key = DrawKey::new(9, secret);
        for (purpose, seed, subject) in [
            (PURPOSE_RANDOM, 0x7a6d6761u64, "26UZ00010000000017"),
            (PURPOSE_BLUE, 1, "26UZ00010000000017"),
            (PURPOSE_RANDOM, 0, ""),
        ] {
            let mut msg = purpose.as_bytes().to_vec();
            msg.push(0);
            msg.extend_from_slice(&seed.to_be_bytes());
            msg.extend_from_slice(subject.as_bytes());
            let mac = hmac_sha256(&secret, &msg);
            let n = u64::from_be_bytes(mac[..8].try_into().unwrap()) % 1_000_000;
            assert_eq!(
                key.draw(purpose, seed, subject),
                Decimal::new(n as i64, 6),
                "{purpose} {seed} {subject}"
            );
        }
        assert_eq!(key.commitment(), crate::hash::sha256_hex(secret));
    }

    #[test]
    fn keyed_draws_depend_on_the_secret_purpose_and_seed() {
        use crate::risk::{DrawKey, PURPOSE_BLUE, PURPOSE_RANDOM};
        let a = DrawKey::new(1, [1; 32]);
        let b = DrawKey::new(2, [2; 32]);
        let mrns: Vec<String> = (0..200).map(|i| format!("26UZ0001{i:010}")).collect();
        let differ = |f: &dyn Fn(&str) -> (Decimal, Decimal)| {
            mrns.iter().filter(|m| f(m).0 != f(m).1).count()
        };
        assert!(differ(&|m| (a.draw(PURPOSE_RANDOM, 1, m), b.draw(PURPOSE_RANDOM, 1, m))) > 190);
        assert!(differ(&|m| (a.draw(PURPOSE_RANDOM, 1, m), a.draw(PURPOSE_BLUE, 1, m))) > 190);
        assert!(differ(&|m| (a.draw(PURPOSE_RANDOM, 1, m), a.draw(PURPOSE_RANDOM, 2, m))) > 190);
        // And the keyed draw is not the old, unkeyed one.
        assert!(differ(&|m| (a.draw(PURPOSE_BLUE, 1, m), draw(1, "blue", m))) > 190);
        let below = (0..10_000)
            .filter(|i| a.draw(PURPOSE_RANDOM, 5, &i.to_string()) < Decimal::new(1, 1))
            .count();
        assert!((800..1200).contains(&below), "{below}");
    }

    #[test]
    fn a_decision_carries_its_secret_salt_and_the_trader_view_does_not() {
        use crate::risk::DrawKey;
        let a = DrawKey::new(1, [1; 32]);
        let b = DrawKey::new(2, [2; 32]);
        let salt = a.salt(7, "26UZ00010000000001");
        // 256 bits in hex; per secret and per declaration; stable.
        assert_eq!(salt.len(), 64);
        assert!(salt.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(salt, a.salt(7, "26UZ00010000000001"));
        assert_ne!(salt, a.salt(7, "26UZ00010000000002"));
        assert_ne!(salt, b.salt(7, "26UZ00010000000001"));
        let t = TraderContext::default();
        let r = RandomSelection {
            yellow_rate: Decimal::ZERO,
            red_rate: Decimal::ONE,
            seed: 7,
        };
        let mut inp = inputs(&t, &r, "0.001", "0.9");
        if let Some(d) = inp.draws.as_mut() {
            d.salt = Some(salt.clone());
        }
        let d = decide(inp, &ChannelPolicy::default());
        assert_eq!(d.random.salt.as_deref(), Some(salt.as_str()));
        let stored = serde_json::to_string(&d).unwrap();
        assert!(stored.contains(&salt));
        assert!(!d.trader_view().to_string().contains(&salt));
        // A decision without a salt stores (and so hashes) as before.
        let mut old = d.clone();
        old.random.salt = None;
        assert!(!serde_json::to_string(&old).unwrap().contains("salt"));
    }

    #[test]
    fn trader_view_has_the_channel_only() {
        let t = TraderContext::default();
        let r = RandomSelection {
            yellow_rate: Decimal::ZERO,
            red_rate: Decimal::ONE,
            seed: 7,
        };
        let mut inp = inputs(&t, &r, "0.001", "0.9");
        inp.profile_hits = vec![hit("P-SECRET", Channel::Red, Control::PhysicalInspection)];
        let d = decide(inp, &ChannelPolicy::default());
        assert_eq!(d.channel, Channel::Red);
        let v = d.trader_view();
        assert_eq!(v["channel"], "red");
        assert_eq!(v.as_object().unwrap().len(), 2);
        let text = v.to_string();
        for leak in ["P-SECRET", "0.001", "seed", "draw", "origin"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }

    #[test]
    fn the_default_profile_set_compiles() {
        let profiles: Vec<crate::profiles::Profile> =
            serde_json::from_str(include_str!("../../../risk/default-profiles.json")).unwrap();
        let n = profiles.len();
        let engine = crate::profiles::ProfileEngine::compile(profiles).unwrap();
        assert_eq!(engine.profiles().len(), n);
        assert!(n >= 20);
        assert!(engine
            .profiles()
            .iter()
            .any(|p| p.profile.control == Control::PostReleaseAudit));
    }
}
