//! A risk decision said in the page's language, from its data: the
//! channel, the criteria and profiles hit (their conditions, items, codes
//! and actual values), the factors (trader category, model score,
//! pre-arrival decision), the random draw and the controls required.
//!
//! The stored decision also carries English sentences (`explanation`,
//! `reason`); they are hash-chained and stay as they are. A page never
//! shows them as its own text: it says the same from the structured
//! fields. Only where a decision recorded before those fields existed has
//! nothing else, the stored sentence is shown as what it is — a quotation
//! in English (`<q lang="en">`). A profile's condition is shown as its
//! source in the profile language (`<code>`).

use std::fmt;

use rust_decimal::Decimal;
use tamga_core::lifecycle::Channel;
use tamga_core::profiles::{Control, ProfileHit};
use tamga_core::risk::{CriterionHit, CriterionMatch, FactorHit, RiskDecision};

use crate::i18n::Tr;

/// A part of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text in the page's language.
    Text(String),
    /// A condition in the profile language.
    Code(String),
    /// A sentence as stored in English (decisions recorded before their
    /// data was).
    Stored(String),
}

/// A sentence of [`Piece`]s; displays as HTML, escaped (use `|safe`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said(pub Vec<Piece>);

impl Said {
    fn text(&mut self, s: impl Into<String>) {
        let s = s.into();
        if s.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(Piece::Text(t)) => t.push_str(&s),
            _ => self.0.push(Piece::Text(s)),
        }
    }

    fn append(&mut self, other: Said) {
        for p in other.0 {
            match p {
                Piece::Text(t) => self.text(t),
                p => self.0.push(p),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The words without markup (tests, titles).
    pub fn plain(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) | Piece::Code(t) | Piece::Stored(t) => t.as_str(),
            })
            .collect()
    }
}

fn escape(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for c in s.chars() {
        match c {
            '&' => f.write_str("&#38;")?,
            '<' => f.write_str("&#60;")?,
            '>' => f.write_str("&#62;")?,
            '"' => f.write_str("&#34;")?,
            '\'' => f.write_str("&#39;")?,
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match p {
                Piece::Text(t) => escape(t, f)?,
                Piece::Code(t) => {
                    f.write_str("<code>")?;
                    escape(t, f)?;
                    f.write_str("</code>")?;
                }
                Piece::Stored(t) => {
                    f.write_str("<q lang=\"en\">")?;
                    escape(t, f)?;
                    f.write_str("</q>")?;
                }
            }
        }
        Ok(())
    }
}

/// A channel's name in a sentence (`red`, `красный`).
pub fn channel(tr: &Tr, c: Channel) -> String {
    tr.t(&format!("risk-channel-{}", c.as_str()))
}

/// A form of control (`physical inspection`, `таможенный досмотр`).
pub fn control(tr: &Tr, c: Control) -> String {
    tr.t(&format!("officer-control-{}", c.as_str().replace('_', "-")))
}

fn controls(tr: &Tr, cs: &[Control]) -> String {
    cs.iter()
        .map(|c| control(tr, *c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn num(tr: &Tr, d: Decimal) -> String {
    tr.number(&d.to_string())
}

/// Why a criterion hit: its conditions that held.
pub fn criterion(tr: &Tr, h: &CriterionHit) -> Said {
    let mut out = Said::default();
    if h.matched.is_empty() {
        if !h.reason.is_empty() {
            out.0.push(Piece::Stored(h.reason.clone()));
        }
        return out;
    }
    let item = h.item.map(|i| i.to_string()).unwrap_or_default();
    let parts: Vec<String> = h
        .matched
        .iter()
        .map(|m| match m {
            CriterionMatch::DeclarationType { value } => {
                tr.t1("risk-criterion-declaration-type", "value", value)
            }
            CriterionMatch::Office { value } => tr.t1("risk-criterion-office", "value", value),
            CriterionMatch::DispatchCountry { value } => {
                tr.t1("risk-criterion-dispatch", "value", value)
            }
            CriterionMatch::HsPrefix { code, prefix } => tr.ta(
                "risk-criterion-hs-prefix",
                &[("item", &item), ("code", code), ("prefix", prefix)],
            ),
            CriterionMatch::Origin { value } => tr.ta(
                "risk-criterion-origin",
                &[("item", &item), ("value", value)],
            ),
        })
        .collect();
    out.text(parts.join(", "));
    out
}

/// An actual value as a page shows it: yes/no, decimals with the
/// language's separator, anything else as recorded.
fn actual(tr: &Tr, v: &str) -> String {
    match v {
        "true" => tr.t("risk-yes"),
        "false" => tr.t("risk-no"),
        v if v.contains('.') && v.parse::<Decimal>().is_ok() => tr.number(v),
        v => v.to_owned(),
    }
}

/// Why a profile hit: the item, each deciding condition (in the profile
/// language) with the actual values, the office.
pub fn profile(tr: &Tr, h: &ProfileHit) -> Said {
    let mut out = Said::default();
    if h.held.is_empty() {
        out.0.push(Piece::Stored(h.explanation.clone()));
        return out;
    }
    if let Some(i) = h.item {
        out.text(tr.t1("risk-profile-item", "item", &i.to_string()));
        out.text(" ");
    }
    for (k, c) in h.held.iter().enumerate() {
        if k > 0 {
            out.text(", ");
        }
        out.0.push(Piece::Code(c.condition.clone()));
        let values = match c.values.as_slice() {
            [one] => actual(tr, &one.value),
            many => many
                .iter()
                .map(|v| format!("{} {}", v.attr, actual(tr, &v.value)))
                .collect::<Vec<_>>()
                .join(", "),
        };
        out.text(" ");
        out.text(tr.t1("risk-profile-actual", "values", &values));
    }
    if let Some(o) = &h.office {
        out.text(", ");
        out.text(tr.t1("risk-profile-office", "office", o));
    }
    out
}

/// A factor's source (`trader category`).
pub fn source(tr: &Tr, f: &FactorHit) -> String {
    match f.source.as_str() {
        s @ ("trader_category" | "model_score" | "prearrival" | "exploration") => {
            tr.t(&format!("risk-source-{}", s.replace('_', "-")))
        }
        s => s.to_owned(),
    }
}

/// What a factor requires and why.
pub fn factor(tr: &Tr, f: &FactorHit, d: &RiskDecision) -> Said {
    let mut out = Said::default();
    let ch = channel(tr, f.channel);
    match f.source.as_str() {
        "trader_category" => {
            let category = d
                .combined
                .trader
                .as_ref()
                .map(|t| t.category.as_str())
                .unwrap_or("high");
            out.text(tr.t2(
                "risk-factor-category",
                ("category", &tr.t(&format!("risk-category-{category}"))),
                ("channel", &ch),
            ));
        }
        "model_score" if d.combined.model_score.is_some() => {
            let s = d.combined.model_score.unwrap_or_default();
            out.text(tr.t2(
                "risk-factor-model",
                ("score", &num(tr, s)),
                ("channel", &ch),
            ));
        }
        "exploration" if d.combined.exploration.is_some() => {
            if let Some(x) = &d.combined.exploration {
                out.text(tr.ta(
                    "risk-factor-exploration",
                    &[
                        (
                            "strategy",
                            &tr.t(&format!("risk-explore-{}", x.strategy.as_str())),
                        ),
                        ("probability", &num(tr, x.probability.normalize())),
                        ("draw", &num(tr, x.draw.normalize())),
                        ("channel", &ch),
                    ],
                ));
            }
        }
        "prearrival" if f.prearrival.is_some() => {
            if let Some(p) = &f.prearrival {
                out.text(tr.ta(
                    "risk-factor-prearrival",
                    &[
                        ("id", &p.id),
                        ("document", &p.transport_document),
                        ("channel", &ch),
                    ],
                ));
                if !p.controls.is_empty() {
                    out.text(format!(" ({})", controls(tr, &p.controls)));
                }
            }
        }
        _ => out.0.push(Piece::Stored(f.reason.clone())),
    }
    out
}

/// The whole decision in one sentence: the channel, every reason
/// (criteria, profiles, factors, random selection), then the controls
/// required or the post-release audit selection.
pub fn explanation(tr: &Tr, d: &RiskDecision) -> Said {
    let mut parts: Vec<Said> = Vec::new();
    for h in &d.hits {
        let mut s = Said::default();
        s.text(tr.t2(
            "risk-criterion",
            ("id", &h.criterion_id),
            ("channel", &channel(tr, h.channel)),
        ));
        let why = criterion(tr, h);
        if !why.is_empty() {
            s.text(" ");
            s.append(why);
        }
        parts.push(s);
    }
    for h in &d.combined.profile_hits {
        let mut s = Said::default();
        s.text(tr.ta(
            "risk-profile",
            &[
                ("id", &h.profile_id),
                ("version", &h.version.to_string()),
                ("channel", &channel(tr, h.channel)),
                ("control", &control(tr, h.control)),
            ],
        ));
        s.text(" ");
        s.append(profile(tr, h));
        parts.push(s);
    }
    for f in &d.combined.factors {
        parts.push(factor(tr, f, d));
    }
    if d.combined.model_fallback.is_some() {
        let mut s = Said::default();
        s.text(tr.t("risk-model-fallback"));
        parts.push(s);
    }
    if let Some(sel) = d.random.selected {
        let mut s = Said::default();
        let draw = num(tr, d.random.draw);
        match &d.combined.configured_rates {
            Some(c) => {
                let rate = match sel {
                    Channel::Red => d.random.red_rate,
                    _ => d.random.red_rate + d.random.yellow_rate,
                };
                s.text(tr.ta(
                    "risk-random-rate",
                    &[
                        ("channel", &channel(tr, sel)),
                        ("draw", &draw),
                        ("rate", &num(tr, rate)),
                    ],
                ));
                if c.category_factor != Decimal::ONE {
                    s.text(", ");
                    s.text(tr.t1(
                        "risk-random-factor",
                        "factor",
                        &num(tr, c.category_factor.normalize()),
                    ));
                }
            }
            None => s.text(tr.t2(
                "risk-random",
                ("channel", &channel(tr, sel)),
                ("draw", &draw),
            )),
        }
        parts.push(s);
    }
    let mut out = Said::default();
    if parts.is_empty() {
        if d.channel == Channel::Green {
            out.text(tr.t("risk-none"));
        } else {
            out.text(channel(tr, d.channel));
        }
    } else {
        out.text(tr.t1("risk-lead", "channel", &channel(tr, d.channel)));
        out.text(" ");
        for (k, p) in parts.into_iter().enumerate() {
            if k > 0 {
                out.text("; ");
            }
            out.append(p);
        }
    }
    let c = &d.combined;
    if d.channel != Channel::Green && !c.controls.is_empty() {
        out.text("; ");
        out.text(tr.t1("risk-controls", "controls", &controls(tr, &c.controls)));
    } else if d.channel == Channel::Green && c.blue {
        out.text("; ");
        let audit = c
            .profile_hits
            .iter()
            .find(|h| h.control == Control::PostReleaseAudit);
        out.text(match (audit, &c.blue_draw) {
            (Some(h), _) => tr.t1("risk-blue-profile", "id", &h.profile_id),
            (None, Some(b)) if b.selected => tr.t2(
                "risk-blue-random",
                ("draw", &num(tr, b.draw)),
                ("rate", &num(tr, b.rate)),
            ),
            _ => tr.t("risk-blue-prearrival"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decision of the combined stage as stored (criterion, profile,
    /// category factor, red), read back.
    fn stored() -> RiskDecision {
        serde_json::from_value(serde_json::json!({
            "channel": "red",
            "hits": [{"criterionId": "TOBACCO", "description": "tobacco", "channel": "red",
                      "item": 1, "reason": "item 1 code 2402200000 starts with 24",
                      "matched": [{"on": "hsPrefix", "code": "2402200000", "prefix": "24"}]}],
            "random": {"seed": 1, "draw": "0.5", "yellowRate": "0.01", "redRate": "0.005"},
            "explanation": "red: …",
            "profileHits": [{"profileId": "CHEAP", "version": 2, "item": 1, "priority": 5,
                             "channel": "yellow", "control": "documentary_check",
                             "explanation": "item 1: value_per_kg < 2.5 (was 1.25)",
                             "held": [{"condition": "value_per_kg < 2.5",
                                       "values": [{"attr": "value_per_kg", "value": "1.25"}]},
                                      {"condition": "not trader.aeo",
                                       "values": [{"attr": "trader.aeo", "value": "false"}]}]}],
            "factors": [{"source": "trader_category", "channel": "yellow",
                         "reason": "trader category high: at least yellow"}],
            "trader": {"category": "high", "aeo": false, "firstTime": false, "daysSinceRegistration": 400},
            "controls": ["physical_inspection", "documentary_check"]
        }))
        .unwrap()
    }

    #[test]
    fn a_decision_is_said_from_its_data_in_each_language() {
        let d = stored();
        let ru = explanation(&Tr::new("ru"), &d).plain();
        for english in [
            "hit",
            "starts with",
            "at least",
            "physical",
            "control:",
            "was",
            "false",
        ] {
            assert!(!ru.contains(english), "{english:?} in {ru}");
        }
        for russian in [
            "красный",
            "TOBACCO",
            "2402200000",
            "начинается с 24",
            "1,25",
            "нет",
        ] {
            assert!(ru.contains(russian), "{russian:?} not in {ru}");
        }
        assert!(
            ru.contains("таможенный досмотр, документальный контроль"),
            "{ru}"
        );
        let en = explanation(&Tr::new("en"), &d).plain();
        assert!(
            en.starts_with("red: criterion TOBACCO (red) hit: item 1 code 2402200000 starts with 24; profile CHEAP v2 (yellow, documentary check) hit: item 1: value_per_kg < 2.5 (was 1.25)"),
            "{en}"
        );
        assert!(
            en.ends_with("trader category high: at least yellow; control: physical inspection, documentary check"),
            "{en}"
        );
    }

    #[test]
    fn an_old_decision_quotes_its_stored_sentences_in_english() {
        let mut d = stored();
        d.hits[0].matched.clear();
        d.combined.profile_hits[0].held.clear();
        let html = explanation(&Tr::new("ru"), &d).to_string();
        assert!(
            html.contains("<q lang=\"en\">item 1 code 2402200000 starts with 24</q>"),
            "{html}"
        );
        assert!(
            html.contains("<q lang=\"en\">item 1: value_per_kg &#60; 2.5 (was 1.25)</q>"),
            "{html}"
        );
        let conditions = profile(&Tr::new("ru"), &stored().combined.profile_hits[0]).to_string();
        assert!(
            conditions.contains("<code>value_per_kg &#60; 2.5</code>"),
            "{conditions}"
        );
    }
}
