//! Risk stage of the clearance core: selectivity criteria configured by
//! officers and keyed random selection.
//!
//! Every decision records which criteria hit and why, and the random draw
//! with the id of the secret it was keyed with ([`DrawKey`]), so any
//! decision can be recomputed and explained later by whoever holds the
//! secret (the service, and auditors once the secret is retired and
//! revealed). Without the secret a draw cannot be predicted: it is an
//! HMAC-SHA256 of the draw's purpose, the officers' seed and the MRN.

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// Why this criterion hits the declaration, or `None`: the item hit,
    /// the sentence and the conditions that held.
    fn hit(&self, d: &Declaration) -> Option<(Option<u32>, String, Vec<CriterionMatch>)> {
        if !self.active {
            return None;
        }
        let mut why = Vec::new();
        let mut matched = Vec::new();
        if let Some(t) = self.declaration_type {
            if d.declaration_type != t {
                return None;
            }
            why.push(format!("declaration type {}", t.as_str()));
            matched.push(CriterionMatch::DeclarationType {
                value: t.as_str().to_owned(),
            });
        }
        if let Some(o) = &self.office {
            if &d.declaration_office != o {
                return None;
            }
            why.push(format!("office {o}"));
            matched.push(CriterionMatch::Office {
                value: o.to_string(),
            });
        }
        if let Some(c) = &self.dispatch_country {
            if d.dispatch_country.as_ref() != Some(c) {
                return None;
            }
            why.push(format!("dispatched from {c}"));
            matched.push(CriterionMatch::DispatchCountry {
                value: c.to_string(),
            });
        }
        if self.hs_prefix.is_none() && self.origin.is_none() {
            return Some((None, why.join(", "), matched));
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
            matched.push(CriterionMatch::HsPrefix {
                code: item.hs_code.to_string(),
                prefix: p.clone(),
            });
        }
        if let Some(o) = &self.origin {
            why.push(format!("item {} originates in {o}", item.sequence));
            matched.push(CriterionMatch::Origin {
                value: o.to_string(),
            });
        }
        Some((Some(item.sequence), why.join(", "), matched))
    }
}

/// Random selection rates (share of declarations, 0 to 1) per channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RandomSelection {
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub yellow_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$"))]
    pub red_rate: Decimal,
    /// Mixed into every draw beside the MRN, under the service's secret
    /// draw key ([`DrawKey`]): changing it changes all later draws, but
    /// knowing it does not make them predictable. Recorded on every
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

    /// The random-selection draw for one declaration under `key`: a
    /// number in [0, 1) with 6 decimals.
    pub fn draw(&self, key: &DrawKey, mrn: &Mrn) -> Decimal {
        key.draw(PURPOSE_RANDOM, self.seed, mrn.as_str())
    }

    /// The draw of decisions made before draws were keyed (no secret id
    /// recorded): SHA-256 of the seed and the MRN. Only for verifying
    /// old decisions.
    pub fn legacy_draw(seed: u64, mrn: &Mrn) -> Decimal {
        let mut h = Sha256::new();
        h.update(seed.to_be_bytes());
        h.update(mrn.as_str());
        unit(&h.finalize())
    }
}

/// Purpose of the yellow/red random-selection draw.
pub const PURPOSE_RANDOM: &str = "random";
/// Purpose of the post-release audit (blue) draw.
pub const PURPOSE_BLUE: &str = "blue";
/// Purpose of a decision's salt ([`DrawKey::salt`]).
pub const PURPOSE_SALT: &str = "salt";
/// Purpose of the draw that picks an inspector for a controlled declaration.
pub const PURPOSE_DISPATCH: &str = "dispatch";
/// The exploration draw's purpose (issue 17).
pub const PURPOSE_EXPLORE: &str = "explore";

/// The first 8 bytes of a digest as a number in [0, 1) with 6 decimals.
fn unit(d: &[u8]) -> Decimal {
    let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 1_000_000;
    Decimal::new(n as i64, 6)
}

/// The service's secret for random draws: 256 bits from the operating
/// system's CSPRNG, held in the database and never shown while in use.
/// Every decision records its `id`; once the secret is retired it is
/// revealed with its SHA-256 commitment so auditors can recompute draws.
#[derive(Clone)]
pub struct DrawKey {
    pub id: i64,
    secret: [u8; 32],
    hmac: ring::hmac::Key,
}

impl std::fmt::Debug for DrawKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrawKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PartialEq for DrawKey {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id && self.secret == o.secret
    }
}

impl Eq for DrawKey {}

impl Default for DrawKey {
    /// An all-zero key with id 0: for tests and tools only. The service
    /// installs its stored secret before it assesses anything.
    fn default() -> Self {
        DrawKey::new(0, [0; 32])
    }
}

impl DrawKey {
    pub fn new(id: i64, secret: [u8; 32]) -> Self {
        DrawKey {
            id,
            secret,
            hmac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
        }
    }

    /// The secret, for storing it (and revealing it once retired).
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// SHA-256 (hex) of the secret: published while the secret is in use,
    /// so the secret revealed later can be checked against it.
    pub fn commitment(&self) -> String {
        commitment(&self.secret)
    }

    /// A draw in [0, 1) with 6 decimals: the first 8 bytes of
    /// HMAC-SHA256(secret, purpose || 0x00 || seed (8 bytes, big endian)
    /// || subject), as a number modulo 10^6.
    pub fn draw(&self, purpose: &str, seed: u64, subject: &str) -> Decimal {
        Decimal::new(
            (self.draw_u64(purpose, seed, subject) % 1_000_000) as i64,
            6,
        )
    }

    /// The salt of a decision on `subject` (an MRN): HMAC-SHA256(secret,
    /// "salt" || 0x00 || seed || subject) in hex; secret like the draws,
    /// and the same for every assessment of one declaration.
    pub fn salt(&self, seed: u64, subject: &str) -> String {
        let tag = self.tag(PURPOSE_SALT, seed, subject);
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn tag(&self, purpose: &str, seed: u64, subject: &str) -> ring::hmac::Tag {
        let mut ctx = ring::hmac::Context::with_key(&self.hmac);
        ctx.update(purpose.as_bytes());
        ctx.update(&[0]);
        ctx.update(&seed.to_be_bytes());
        ctx.update(subject.as_bytes());
        ctx.sign()
    }

    /// The first 8 bytes (big endian) of HMAC-SHA256(secret, purpose ||
    /// 0x00 || seed (8 bytes, big endian) || subject).
    pub fn draw_u64(&self, purpose: &str, seed: u64, subject: &str) -> u64 {
        let tag = self.tag(purpose, seed, subject);
        u64::from_be_bytes(tag.as_ref()[..8].try_into().expect("8 bytes"))
    }
}

/// SHA-256 (hex) of a draw secret.
pub fn commitment(secret: &[u8; 32]) -> String {
    crate::hash::sha256_hex(secret)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CriterionHit {
    pub criterion_id: String,
    pub description: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    /// The sentence (English) of why it hit, as stored since the first
    /// decisions; [`CriterionHit::matched`] says the same in data.
    pub reason: String,
    /// The conditions that held, in order (empty on decisions made before
    /// they were recorded: their `reason` is all there is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched: Vec<CriterionMatch>,
}

/// One condition of a selectivity criterion as it held on the declaration,
/// so that a page can say it in its own language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "camelCase")]
pub enum CriterionMatch {
    /// The declaration is of this type (`IM`, `EX`, …).
    DeclarationType { value: String },
    /// Lodged at this office.
    Office { value: String },
    /// Dispatched from this country.
    DispatchCountry { value: String },
    /// The hit item's commodity code starts with the prefix.
    HsPrefix { code: String, prefix: String },
    /// The hit item originates in this country.
    Origin { value: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RandomDraw {
    pub seed: u64,
    /// The draw secret the draws were keyed with; absent on decisions made
    /// before draws were keyed (their draw is [`RandomSelection::legacy_draw`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<i64>,
    #[serde(with = "rust_decimal::serde::str")]
    pub draw: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub yellow_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub red_rate: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<Channel>,
    /// 256 secret-keyed bits ([`DrawKey::salt`], hex) in the stored
    /// decision, so that the payload hash of a decision redacted for the
    /// trader cannot be matched by guessing the few hidden facts (hits,
    /// draw) offline. Absent on decisions made before salts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
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
    /// The sentence (English) as stored since the first decisions.
    pub reason: String,
    /// For a `prearrival` factor: the pre-arrival decision it follows
    /// (absent on decisions made before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prearrival: Option<PrearrivalFactor>,
}

/// The pre-arrival decision a factor follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrearrivalFactor {
    pub id: String,
    pub transport_document: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
}

/// The risk stage's result, stored on the declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskDecision {
    pub channel: Channel,
    /// Absent (read as empty) in the trader's view of the decision
    /// ([`RiskDecision::trader_view`]); always written when stored.
    #[serde(default)]
    pub hits: Vec<CriterionHit>,
    /// Absent (read as zero) in the trader's view of the decision; always
    /// written when stored.
    #[serde(default)]
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

/// The sentence a declarant reads about its risk decision: the channel
/// only, never the hits, rules or draws that led to it.
pub fn trader_explanation(channel: Channel) -> String {
    match channel {
        Channel::Green => "green: no control required".to_owned(),
        Channel::Yellow => "yellow: selected for documentary control".to_owned(),
        Channel::Red => "red: selected for physical control".to_owned(),
    }
}

impl RiskDecision {
    /// What a declarant may see of the decision (the body of the
    /// `risk_assessed` event as shown to traders): the channel and
    /// [`trader_explanation`]. No criterion or profile hits, factors,
    /// trader context, rates, seeds, secret ids or draws.
    pub fn trader_view(&self) -> serde_json::Value {
        serde_json::json!({
            "channel": self.channel,
            "explanation": trader_explanation(self.channel),
        })
    }
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
    /// The model's version, score and the features behind it (issue 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<crate::model_risk::ModelAssessment>,
    /// Why the active model gave no score: the rules decided alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_fallback: Option<crate::model_risk::ModelFallback>,
    /// The goods check (vague descriptions, declared headings that do not
    /// match their description), when the lodging ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods: Option<crate::goods_check::GoodsChecks>,
    /// The value check (unit values against the reference prices built
    /// from released declarations), when the lodging ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<crate::value_control::ValueChecks>,
    /// The exploration draw, for a declaration nothing else selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration: Option<crate::model_risk::Exploration>,
    /// For a selected declaration: the probability of its selection given
    /// what was known (1 when a rule, profile, category or threshold
    /// required it), for selection-bias-corrected yields.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    pub selection_probability: Option<Decimal>,
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
    key: &DrawKey,
) -> RiskDecision {
    let hits: Vec<CriterionHit> = criteria
        .iter()
        .filter_map(|c| {
            c.hit(d).map(|(item, reason, matched)| CriterionHit {
                criterion_id: c.id.clone(),
                description: c.description.clone(),
                channel: c.channel,
                item,
                reason,
                matched,
            })
        })
        .collect();
    let draw = random.draw(key, mrn);
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
            secret_id: Some(key.id),
            draw,
            yellow_rate: random.yellow_rate,
            red_rate: random.red_rate,
            selected,
            salt: Some(key.salt(random.seed, mrn.as_str())),
        },
        explanation,
        combined: Box::default(),
    }
}
