//! The trader digital twin: metrics computed from history and the
//! low / medium / high category they give (pure).
//!
//! - [`DeclarationFacts`]: what one declaration contributes to its
//!   declarant's metrics, folded from its events. Kept per declaration so
//!   that a change replaces its old contribution ([`TraderMetrics::add`]
//!   with `-1`, then `+1`): metrics are maintained incrementally, never
//!   recomputed from the whole history.
//! - [`assess`]: a transparent point score. Every rule that moved the
//!   score is listed as a [`Reason`] with the metric values behind it;
//!   [`RULES`] documents them all. Score ≥ [`HIGH_FROM`] is high risk,
//!   ≤ [`LOW_UP_TO`] low risk, anything between medium.
//! - [`what_changed`]: the readable difference between two assessments,
//!   stored with each snapshot.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::declaration::Declaration;
use crate::lifecycle::{transition, Channel, ControlOutcome, EventBody, State};
use crate::profiles::{TraderCategory, TraderContext};

/// What one declaration contributes to its declarant's metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationFacts {
    /// Channel of the risk decision, once assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// Sum of the items' customs values (item price where none is given),
    /// in the invoice currency.
    #[serde(with = "rust_decimal::serde::str")]
    pub customs_value: Decimal,
    /// Control results recorded.
    pub controls: u32,
    /// Whether any control result had findings.
    pub findings: bool,
    pub amendments: u32,
    /// Whether the declaration ever waited in `awaiting_payment`.
    pub awaited_payment: bool,
}

impl DeclarationFacts {
    /// Whether events of this kind can change the facts. The duty
    /// assessment (a large explanation) changes neither the state nor any
    /// fact, so its body need not even be read.
    pub fn affected_by(kind: &str) -> bool {
        kind != "duties_assessed"
    }

    /// Folds one event onto the facts. Events that do not fit the state
    /// (never produced by the service) leave the state unchanged.
    pub fn apply(&mut self, body: &EventBody) {
        if let Ok(s) = transition(self.state, body) {
            self.state = Some(s);
            if s == State::AwaitingPayment {
                self.awaited_payment = true;
            }
        }
        match body {
            EventBody::RiskAssessed { .. } => self.channel = body.risk_channel(),
            EventBody::ControlResultRecorded { outcome, .. } => {
                self.controls += 1;
                if *outcome == ControlOutcome::Findings {
                    self.findings = true;
                }
            }
            EventBody::Amended { .. } => self.amendments += 1,
            _ => {}
        }
    }

    /// Takes the customs value of the (current version of the) declaration.
    pub fn set_declaration(&mut self, d: &Declaration) {
        self.customs_value = declared_value(d);
    }
}

/// Sum of the items' customs values, item price where none is declared.
pub fn declared_value(d: &Declaration) -> Decimal {
    d.items
        .iter()
        .map(|i| i.customs_value.unwrap_or(i.item_price))
        .fold(Decimal::ZERO, |a, b| a.saturating_add(b))
}

/// Declarations per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCounts {
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
}

/// Declarations per current state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateCounts {
    pub registered: i64,
    pub under_control: i64,
    pub awaiting_payment: i64,
    pub released: i64,
    pub refused: i64,
    pub invalidated: i64,
}

impl StateCounts {
    fn slot(&mut self, s: State) -> &mut i64 {
        match s {
            State::Registered => &mut self.registered,
            State::UnderControl => &mut self.under_control,
            State::AwaitingPayment => &mut self.awaiting_payment,
            State::Released => &mut self.released,
            State::Refused => &mut self.refused,
            State::Invalidated => &mut self.invalidated,
        }
    }
}

/// A trader's history in numbers (as declarant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraderMetrics {
    pub declarations: i64,
    pub by_channel: ChannelCounts,
    pub by_state: StateCounts,
    /// Sum of declared customs values (invoice currencies, not converted).
    #[serde(with = "rust_decimal::serde::str")]
    pub customs_value: Decimal,
    /// Declarations with at least one control result.
    pub inspected: i64,
    /// Control results recorded.
    pub controls: i64,
    /// Declarations whose control found something.
    pub with_findings: i64,
    /// Declarations amended at least once, and amendments in all.
    pub amended: i64,
    pub amendments: i64,
    /// Declarations that waited for payment at some point.
    pub awaited_payment: i64,
}

impl TraderMetrics {
    /// Adds (`sign` = 1) or removes (`sign` = -1) one declaration's facts.
    pub fn add(&mut self, f: &DeclarationFacts, sign: i64) {
        self.declarations += sign;
        match f.channel {
            Some(Channel::Green) => self.by_channel.green += sign,
            Some(Channel::Yellow) => self.by_channel.yellow += sign,
            Some(Channel::Red) => self.by_channel.red += sign,
            None => {}
        }
        if let Some(s) = f.state {
            *self.by_state.slot(s) += sign;
        }
        let v = f.customs_value;
        self.customs_value = if sign >= 0 {
            self.customs_value.saturating_add(v)
        } else {
            self.customs_value.saturating_sub(v)
        };
        self.inspected += sign * i64::from(f.controls > 0);
        self.controls += sign * i64::from(f.controls);
        self.with_findings += sign * i64::from(f.findings);
        self.amended += sign * i64::from(f.amendments > 0);
        self.amendments += sign * i64::from(f.amendments);
        self.awaited_payment += sign * i64::from(f.awaited_payment);
    }
}

/// One rule that moved the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Stable rule code (see [`RULES`]).
    pub code: String,
    /// Points it added (positive: riskier).
    pub points: i32,
    /// The metric values behind it, readable.
    pub message: String,
}

/// A trader's category with the reasons for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub category: TraderCategory,
    pub score: i32,
    pub reasons: Vec<Reason>,
    /// One sentence.
    pub explanation: String,
}

/// Score at or above which a trader is high risk.
pub const HIGH_FROM: i32 = 3;
/// Score at or below which a trader is low risk.
pub const LOW_UP_TO: i32 = -1;

/// The scoring rules: (code, points, when).
pub const RULES: &[(&str, i32, &str)] = &[
    ("AEO", -3, "authorised economic operator"),
    (
        "ESTABLISHED",
        -1,
        "at least 100 declarations and registered at least 365 days",
    ),
    (
        "CLEAN_INSPECTIONS",
        -1,
        "at least 3 declarations inspected and none with findings",
    ),
    (
        "FINDINGS_RATE_HIGH",
        3,
        "findings in at least 25% of inspected declarations",
    ),
    (
        "FINDINGS",
        1,
        "findings in some inspected declarations (under 25%)",
    ),
    ("REFUSALS", 2, "at least 5% of declarations refused"),
    (
        "INVALIDATIONS",
        1,
        "at least 5 declarations and at least 20% invalidated",
    ),
    (
        "AMENDMENTS",
        1,
        "at least 5 declarations and at least 25% amended",
    ),
    (
        "PAYMENT_DELAYS",
        1,
        "at least 5 declarations and at least 25% waited for payment",
    ),
    ("NEW_OPERATOR", 1, "registered less than 180 days ago"),
    ("LITTLE_HISTORY", 1, "fewer than 10 declarations"),
];

fn points(code: &str) -> i32 {
    RULES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, p, _)| *p)
        .unwrap_or(0)
}

/// Percentage with one decimal, for messages (`part` of `whole`).
fn pct(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".into();
    }
    let p = Decimal::from(part) * Decimal::from(100) / Decimal::from(whole);
    format!("{}%", p.round_dp(1).normalize())
}

/// `part / whole >= num / den`, in integers.
fn share_at_least(part: i64, whole: i64, num: i64, den: i64) -> bool {
    whole > 0 && part * den >= num * whole
}

/// Scores a trader from its metrics, AEO status and age.
pub fn assess(m: &TraderMetrics, aeo: bool, days_since_registration: i64) -> Assessment {
    let mut reasons = Vec::new();
    let mut add = |code: &str, message: String| {
        reasons.push(Reason {
            code: code.to_owned(),
            points: points(code),
            message,
        })
    };
    if aeo {
        add("AEO", "authorised economic operator".into());
    }
    if m.declarations >= 100 && days_since_registration >= 365 {
        add(
            "ESTABLISHED",
            format!(
                "{} declarations, registered {} days ago",
                m.declarations, days_since_registration
            ),
        );
    }
    if m.with_findings == 0 && m.inspected >= 3 {
        add(
            "CLEAN_INSPECTIONS",
            format!("{} declarations inspected, none with findings", m.inspected),
        );
    }
    if m.with_findings > 0 {
        let msg = format!(
            "findings in {} of {} inspected declarations ({})",
            m.with_findings,
            m.inspected,
            pct(m.with_findings, m.inspected)
        );
        if share_at_least(m.with_findings, m.inspected, 1, 4) {
            add("FINDINGS_RATE_HIGH", msg);
        } else {
            add("FINDINGS", msg);
        }
    }
    let refused = m.by_state.refused;
    if refused > 0 && share_at_least(refused, m.declarations, 1, 20) {
        add(
            "REFUSALS",
            format!(
                "{refused} of {} declarations refused ({})",
                m.declarations,
                pct(refused, m.declarations)
            ),
        );
    }
    let enough = m.declarations >= 5;
    let inv = m.by_state.invalidated;
    if enough && share_at_least(inv, m.declarations, 1, 5) {
        add(
            "INVALIDATIONS",
            format!(
                "{inv} of {} declarations invalidated ({})",
                m.declarations,
                pct(inv, m.declarations)
            ),
        );
    }
    if enough && share_at_least(m.amended, m.declarations, 1, 4) {
        add(
            "AMENDMENTS",
            format!(
                "{} of {} declarations amended ({})",
                m.amended,
                m.declarations,
                pct(m.amended, m.declarations)
            ),
        );
    }
    if enough && share_at_least(m.awaited_payment, m.declarations, 1, 4) {
        add(
            "PAYMENT_DELAYS",
            format!(
                "{} of {} declarations waited for payment ({})",
                m.awaited_payment,
                m.declarations,
                pct(m.awaited_payment, m.declarations)
            ),
        );
    }
    if days_since_registration < 180 {
        add(
            "NEW_OPERATOR",
            format!("registered {days_since_registration} days ago"),
        );
    }
    if m.declarations < 10 {
        add(
            "LITTLE_HISTORY",
            format!("{} declarations so far", m.declarations),
        );
    }
    let score: i32 = reasons.iter().map(|r| r.points).sum();
    let category = if score >= HIGH_FROM {
        TraderCategory::High
    } else if score <= LOW_UP_TO {
        TraderCategory::Low
    } else {
        TraderCategory::Medium
    };
    let parts: Vec<String> = reasons
        .iter()
        .map(|r| format!("{} {:+} ({})", r.code, r.points, r.message))
        .collect();
    let explanation = format!(
        "{} risk: score {score} (high from {HIGH_FROM}, low up to {LOW_UP_TO}){}",
        category.as_str(),
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join("; "))
        }
    );
    Assessment {
        category,
        score,
        reasons,
        explanation,
    }
}

/// What the risk stage gets for a trader.
pub fn context(
    m: &TraderMetrics,
    a: &Assessment,
    aeo: bool,
    days_since_registration: i64,
) -> TraderContext {
    TraderContext {
        category: a.category,
        aeo,
        first_time: m.declarations <= 0,
        days_since_registration,
    }
}

/// Whole days from registration to `today` (0 if registered later).
pub fn days_between(registered: time::Date, today: time::Date) -> i64 {
    (today - registered).whole_days().max(0)
}

/// Readable differences between the previous assessment (if any) and the
/// new one: the category change and every rule that appeared, went away
/// or changed its message.
pub fn what_changed(prev: Option<&Assessment>, next: &Assessment) -> Vec<String> {
    let Some(prev) = prev else {
        return vec![format!("first assessment: {}", next.category.as_str())];
    };
    let mut out = Vec::new();
    if prev.category != next.category {
        out.push(format!(
            "category {} → {} (score {} → {})",
            prev.category.as_str(),
            next.category.as_str(),
            prev.score,
            next.score
        ));
    }
    for r in &next.reasons {
        match prev.reasons.iter().find(|p| p.code == r.code) {
            None => out.push(format!("+ {} {:+}: {}", r.code, r.points, r.message)),
            Some(p) if p.message != r.message => {
                out.push(format!("~ {}: {} → {}", r.code, p.message, r.message))
            }
            Some(_) => {}
        }
    }
    for p in &prev.reasons {
        if !next.reasons.iter().any(|r| r.code == p.code) {
            out.push(format!(
                "- {} {:+}: no longer {}",
                p.code, p.points, p.message
            ));
        }
    }
    out
}

/// Whether two assessments differ in category or in which rules apply
/// (a change worth a snapshot at once).
pub fn category_or_rules_changed(prev: &Assessment, next: &Assessment) -> bool {
    prev.category != next.category
        || prev.reasons.len() != next.reasons.len()
        || prev
            .reasons
            .iter()
            .zip(&next.reasons)
            .any(|(a, b)| a.code != b.code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{ControlOutcome, EventBody};

    fn metrics(declarations: i64) -> TraderMetrics {
        TraderMetrics {
            declarations,
            ..Default::default()
        }
    }

    fn codes(a: &Assessment) -> Vec<&str> {
        a.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_duty_assessment_changes_no_facts_so_it_may_be_skipped() {
        let duties = EventBody::DutiesAssessed {
            result: crate::pipeline::DutyResult::NotAssessed {
                reason: "none".into(),
            },
        };
        assert!(!DeclarationFacts::affected_by(duties.kind()));
        assert!(DeclarationFacts::affected_by("risk_assessed"));
        let states = [
            None,
            Some(State::Registered),
            Some(State::UnderControl),
            Some(State::AwaitingPayment),
            Some(State::Released),
            Some(State::Refused),
            Some(State::Invalidated),
        ];
        for state in states {
            // Facts as folding produces them: a declaration in
            // awaiting_payment has awaited payment.
            let before = DeclarationFacts {
                state,
                controls: 1,
                awaited_payment: state == Some(State::AwaitingPayment),
                ..Default::default()
            };
            let mut after = before.clone();
            after.apply(&duties);
            assert_eq!(after, before, "{state:?}");
        }
    }

    #[test]
    fn a_new_trader_without_history_is_medium_with_reasons() {
        let a = assess(&metrics(0), false, 3);
        assert_eq!(a.category, TraderCategory::Medium);
        assert_eq!(codes(&a), ["NEW_OPERATOR", "LITTLE_HISTORY"]);
        assert_eq!(a.score, 2);
        assert!(a.explanation.starts_with("medium risk: score 2"));
    }

    #[test]
    fn aeo_and_an_established_clean_record_are_low() {
        let mut m = metrics(150);
        m.inspected = 10;
        let a = assess(&m, false, 800);
        assert_eq!(codes(&a), ["ESTABLISHED", "CLEAN_INSPECTIONS"]);
        assert_eq!(a.category, TraderCategory::Low);
        let a = assess(&metrics(0), true, 3);
        assert_eq!(a.score, -1);
        assert_eq!(a.category, TraderCategory::Low);
    }

    #[test]
    fn findings_and_refusals_make_a_trader_high() {
        let mut m = metrics(40);
        m.inspected = 8;
        m.with_findings = 2;
        m.by_state.refused = 2;
        let a = assess(&m, false, 400);
        assert_eq!(codes(&a), ["FINDINGS_RATE_HIGH", "REFUSALS"]);
        assert_eq!(a.category, TraderCategory::High);
        assert!(a.reasons[0].message.contains("2 of 8"));
        assert!(a.reasons[0].message.contains("25%"));
        // One finding in 8: below the threshold, one point only.
        m.with_findings = 1;
        let a = assess(&m, false, 400);
        assert_eq!(codes(&a), ["FINDINGS", "REFUSALS"]);
        assert_eq!(a.category, TraderCategory::High);
        m.by_state.refused = 1; // 2.5% < 5%
        let a = assess(&m, false, 400);
        assert_eq!(codes(&a), ["FINDINGS"]);
        assert_eq!(a.category, TraderCategory::Medium);
    }

    #[test]
    fn shares_need_enough_declarations() {
        let mut m = metrics(4);
        m.amended = 4;
        m.awaited_payment = 4;
        m.by_state.invalidated = 4;
        let a = assess(&m, false, 400);
        assert_eq!(codes(&a), ["LITTLE_HISTORY"]);
        m.declarations = 12;
        let a = assess(&m, false, 400);
        assert_eq!(codes(&a), ["INVALIDATIONS", "AMENDMENTS", "PAYMENT_DELAYS"]);
        assert_eq!(a.category, TraderCategory::High);
    }

    #[test]
    fn every_rule_is_documented_and_points_match() {
        for (code, p, _) in RULES {
            assert_eq!(points(code), *p);
        }
        assert_eq!(points("NOPE"), 0);
    }

    #[test]
    fn facts_fold_events_and_metrics_replace_contributions() {
        use crate::risk::{RandomDraw, RiskDecision};
        let decision = |c| RiskDecision {
            channel: c,
            hits: vec![],
            random: RandomDraw {
                seed: 1,
                secret_id: None,
                draw: Decimal::ZERO,
                yellow_rate: Decimal::ZERO,
                red_rate: Decimal::ZERO,
                selected: None,
                salt: None,
            },
            explanation: String::new(),
            combined: Default::default(),
        };
        let mrn = crate::codes::Mrn::generate(
            2026,
            &crate::codes::CountryCode::parse("UZ").unwrap(),
            1,
            crate::codes::MrnCategory::Import,
        )
        .unwrap();
        let mut f = DeclarationFacts::default();
        let mut m = TraderMetrics::default();
        f.apply(&EventBody::Lodged {
            lrn: crate::codes::Lrn::parse("L1").unwrap(),
            body_sha256: String::new(),
            signing_key: String::new(),
            mandate: None,
            payer: None,
        });
        f.apply(&EventBody::Registered { mrn });
        f.apply(&EventBody::RiskAssessed {
            decision: decision(Channel::Red),
            version: None,
            channel: None,
        });
        f.customs_value = Decimal::new(1000, 0);
        m.add(&f, 1);
        assert_eq!(m.by_state.under_control, 1);
        assert_eq!(m.by_channel.red, 1);
        let old = f.clone();
        f.apply(&EventBody::ControlResultRecorded {
            outcome: ControlOutcome::Findings,
            notes: None,
            version: None,
            signature: None,
        });
        f.apply(&EventBody::Refused {
            reason: "x".into(),
            signature: None,
        });
        m.add(&old, -1);
        m.add(&f, 1);
        assert_eq!(m.declarations, 1);
        assert_eq!(m.by_state.under_control, 0);
        assert_eq!(m.by_state.refused, 1);
        assert_eq!(m.inspected, 1);
        assert_eq!(m.with_findings, 1);
        assert_eq!(m.customs_value, Decimal::new(1000, 0));
        // An event that does not fit leaves the state alone.
        f.apply(&EventBody::automatic_release());
        assert_eq!(f.state, Some(State::Refused));
    }

    #[test]
    fn changes_are_explained() {
        let before = assess(&metrics(0), false, 3);
        let mut m = metrics(40);
        m.inspected = 4;
        m.with_findings = 2;
        let after = assess(&m, false, 400);
        let c = what_changed(Some(&before), &after);
        assert!(c[0].starts_with("category medium → high"), "{c:?}");
        assert!(c.iter().any(|x| x.starts_with("+ FINDINGS_RATE_HIGH")));
        assert!(c.iter().any(|x| x.starts_with("- NEW_OPERATOR")));
        assert!(category_or_rules_changed(&before, &after));
        assert!(!category_or_rules_changed(&after, &after));
        assert_eq!(what_changed(None, &after), ["first assessment: high"]);
        let ctx = context(&metrics(0), &before, false, 3);
        assert!(ctx.first_time);
        assert_eq!(ctx.category, TraderCategory::Medium);
    }

    #[test]
    fn days_are_never_negative() {
        use time::macros::date;
        assert_eq!(
            days_between(date!(2026 - 01 - 01), date!(2026 - 01 - 31)),
            30
        );
        assert_eq!(
            days_between(date!(2026 - 02 - 01), date!(2026 - 01 - 31)),
            0
        );
    }
}
