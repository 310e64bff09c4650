//! Risk stage of the clearance core: selectivity criteria configured by
//! officers and seeded random selection.
//!
//! Every decision records which criteria hit and why, and the random draw
//! with the seed it came from, so any decision can be recomputed and
//! explained later.

use crate::hash::Sha256;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{CountryCode, Mrn, OfficeCode};
use crate::declaration::{Declaration, DeclarationType};
use crate::lifecycle::Channel;
use crate::profiles::{Control, ProfileHit, TraderContext};

/// "HS chapter 24 from any origin: red", "origin XX: yellow". Every
/// condition given must hold; at least one must be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectivityCriterion {
    pub id: String,
    pub description: String,
    /// 2 to 10 digits; matches any goods item whose code starts with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hs_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch_country: Option<CountryCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<OfficeCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration_type: Option<DeclarationType>,
    /// Yellow or red.
    pub channel: Channel,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CriterionError {
    pub code: &'static str,
    /// JSON pointer of the offending field.
    pub field: &'static str,
    pub message: String,
}

impl SelectivityCriterion {
    /// Checks a criterion before it is stored.
    pub fn check(&self) -> Result<(), CriterionError> {
        if let Some(p) = &self.hs_prefix {
            if !(2..=10).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CriterionError {
                    code: "CRITERION_HS_PREFIX",
                    field: "/hsPrefix",
                    message: format!("{p:?} must be 2 to 10 digits"),
                });
            }
        }
        if self.channel == Channel::Green {
            return Err(CriterionError {
                code: "CRITERION_CHANNEL",
                field: "/channel",
                message: "a selectivity criterion selects for control: yellow or red".into(),
            });
        }
        if self.hs_prefix.is_none()
            && self.origin.is_none()
            && self.dispatch_country.is_none()
            && self.office.is_none()
            && self.declaration_type.is_none()
        {
            return Err(CriterionError {
                code: "CRITERION_EMPTY",
                field: "",
                message: "give at least one condition (hsPrefix, origin, dispatchCountry, office, declarationType)".into(),
            });
        }
        Ok(())
    }

    /// Why this criterion hits the declaration, or `None`.
    fn hit(&self, d: &Declaration) -> Option<(Option<u32>, String)> {
        if !self.active {
            return None;
        }
        let mut why = Vec::new();
        if let Some(t) = self.declaration_type {
            if d.declaration_type != t {
                return None;
            }
            why.push(format!("declaration type {}", t.as_str()));
        }
        if let Some(o) = &self.office {
            if &d.declaration_office != o {
                return None;
            }
            why.push(format!("office {o}"));
        }
        if let Some(c) = &self.dispatch_country {
            if d.dispatch_country.as_ref() != Some(c) {
                return None;
            }
            why.push(format!("dispatched from {c}"));
        }
        if self.hs_prefix.is_none() && self.origin.is_none() {
            return Some((None, why.join(", ")));
        }
        // Item-level conditions must hold together on one item.
        let item = d.items.iter().find(|i| {
            self.hs_prefix
                .as_ref()
                .is_none_or(|p| i.hs_code.starts_with(p))
                && self.origin.as_ref().is_none_or(|o| &i.origin == o)
        })?;
        if let Some(p) = &self.hs_prefix {
            why.push(format!(
                "item {} code {} starts with {p}",
                item.sequence, item.hs_code
            ));
        }
        if let Some(o) = &self.origin {
            why.push(format!("item {} originates in {o}", item.sequence));
        }
        Some((Some(item.sequence), why.join(", ")))
    }
}

/// Random selection rates (share of declarations, 0 to 1) per channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RandomSelection {
    #[serde(with = "rust_decimal::serde::str")]
    pub yellow_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub red_rate: Decimal,
    /// Secret-ish seed mixed with the MRN for each draw; recorded on every
    /// decision so the draw can be reproduced.
    pub seed: u64,
}

impl Default for RandomSelection {
    fn default() -> Self {
        Self {
            yellow_rate: Decimal::new(1, 2),
            red_rate: Decimal::new(5, 3),
            seed: 0x7a_6d_67_61,
        }
    }
}

impl RandomSelection {
    pub fn check(&self) -> Result<(), CriterionError> {
        let ok = |r: Decimal| r >= Decimal::ZERO && r <= Decimal::ONE;
        if !ok(self.yellow_rate)
            || !ok(self.red_rate)
            || self.yellow_rate + self.red_rate > Decimal::ONE
        {
            return Err(CriterionError {
                code: "RANDOM_RATE",
                field: "/yellowRate",
                message: "rates must each be between 0 and 1 and add up to at most 1".into(),
            });
        }
        Ok(())
    }

    /// The draw for one declaration: a number in [0, 1) with 6 decimals.
    pub fn draw(&self, mrn: &Mrn) -> Decimal {
        let mut h = Sha256::new();
        h.update(self.seed.to_be_bytes());
        h.update(mrn.as_str());
        let d = h.finalize();
        let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 1_000_000;
        Decimal::new(n as i64, 6)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CriterionHit {
    pub criterion_id: String,
    pub description: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RandomDraw {
    pub seed: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub draw: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub yellow_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub red_rate: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<Channel>,
}

/// Random selection rates as configured, and the factor the trader's
/// category applied to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfiguredRates {
    #[serde(with = "rust_decimal::serde::str")]
    pub yellow_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub red_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub category_factor: Decimal,
}

/// The draw for post-release audit selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueDraw {
    #[serde(with = "rust_decimal::serde::str")]
    pub draw: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub selected: bool,
}

/// A factor of the combined decision other than criteria and profiles:
/// the trader's category, the model score, a pre-arrival decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorHit {
    /// `trader_category`, `model_score` or `prearrival`.
    pub source: String,
    /// The channel it requires at least.
    pub channel: Channel,
    pub reason: String,
}

/// The risk stage's result, stored on the declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskDecision {
    pub channel: Channel,
    pub hits: Vec<CriterionHit>,
    pub random: RandomDraw,
    /// One sentence a trader or officer can read.
    pub explanation: String,
    /// What the combined risk stage adds (profiles, category, model score,
    /// pre-arrival information, blue selection); empty for decisions of
    /// the selectivity stage alone, and absent from their stored form.
    /// Boxed: most events are not risk decisions.
    #[serde(flatten)]
    pub combined: Box<CombinedDecision>,
}

/// The combined stage's part of a decision. Every field is omitted from
/// the stored JSON when empty, so older decisions read (and hash) as before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CombinedDecision {
    /// Risk-profile hits, highest priority first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile_hits: Vec<ProfileHit>,
    /// Category, model score and pre-arrival factors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorHit>,
    /// What was known of the trader when deciding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trader: Option<TraderContext>,
    /// The learning model's score, when one was given (0 to 1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub model_score: Option<Decimal>,
    /// Forms of control required (from the hits; by channel otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
    /// Random selection rates as configured, before the category factor
    /// (the `random` draw records the rates actually applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configured_rates: Option<ConfiguredRates>,
    /// The post-release audit draw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_draw: Option<BlueDraw>,
    /// Selected for post-release audit ("blue"); the channel stays green.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blue: bool,
}

/// Applies the active criteria and the random draw: the strictest channel
/// wins.
pub fn assess(
    d: &Declaration,
    mrn: &Mrn,
    criteria: &[SelectivityCriterion],
    random: &RandomSelection,
) -> RiskDecision {
    let hits: Vec<CriterionHit> = criteria
        .iter()
        .filter_map(|c| {
            c.hit(d).map(|(item, reason)| CriterionHit {
                criterion_id: c.id.clone(),
                description: c.description.clone(),
                channel: c.channel,
                item,
                reason,
            })
        })
        .collect();
    let draw = random.draw(mrn);
    let selected = if draw < random.red_rate {
        Some(Channel::Red)
    } else if draw < random.red_rate + random.yellow_rate {
        Some(Channel::Yellow)
    } else {
        None
    };
    let channel = hits
        .iter()
        .map(|h| h.channel)
        .chain(selected)
        .max()
        .unwrap_or(Channel::Green);
    let mut parts: Vec<String> = hits
        .iter()
        .map(|h| {
            format!(
                "criterion {} ({}) hit: {}",
                h.criterion_id,
                h.channel.as_str(),
                h.reason
            )
        })
        .collect();
    if let Some(s) = selected {
        parts.push(format!("random selection for {} (draw {draw})", s.as_str()));
    }
    let explanation = if parts.is_empty() {
        "no criterion hit and not randomly selected: green".to_owned()
    } else {
        format!("{}: {}", channel.as_str(), parts.join("; "))
    };
    RiskDecision {
        channel,
        hits,
        random: RandomDraw {
            seed: random.seed,
            draw,
            yellow_rate: random.yellow_rate,
            red_rate: random.red_rate,
            selected,
        },
        explanation,
        combined: Box::default(),
    }
}
