//! The trader digital twin for the customs staff: `/analyst/traders`
//! (every trader with its category and figures, searched by EORI or
//! name, a page at a time: the store reads only the page) and
//! `/analyst/traders/{eori}` (one trader: its category with the rules
//! that gave it, its history in figures, its latest inspections and
//! findings, and its category over time; an administrator sets its AEO
//! status there, as `PUT /api/v1/traders/{id}/aeo` does).
//!
//! The data is `tamga_app::workbench`'s, as the API's
//! `GET /api/v1/traders/{id}/profile` gives it. The engine's reasons are
//! shown by rule code with the rule's translated description and points
//! (the figures behind them are in the metrics table), not as the
//! engine's English sentences.

use askama::Template;
use rust_decimal::Decimal;

use tamga_app::workbench::{TraderControls, TraderDirectory, TraderProfile};
use tamga_core::profiles::TraderCategory;
use tamga_core::traders::{Assessment, TraderMetrics, HIGH_FROM, LOW_UP_TO};

use super::admin::csrf;
use super::{error_message, when, Pager};
use crate::pages::{form_pairs, render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

/// Rows per page of the directory.
pub const PAGE_SIZE: u32 = 50;

fn category(tr: &Tr, c: TraderCategory) -> String {
    tr.t(&format!("twin-category-{}", c.as_str()))
}

/// `12.5 %` of `part` in `whole`, `—` when `whole` is 0.
fn share(tr: &Tr, part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".to_owned();
    }
    let p = (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole)).round_dp(1);
    format!("{} %", tr.number(&p.normalize().to_string()))
}

fn n(tr: &Tr, v: i64) -> String {
    tr.number(&v.to_string())
}

/// A trader as the directory lists it.
pub struct TraderRow {
    pub eori: String,
    pub name: String,
    pub category: String,
    /// `low`, `medium` or `high` (the style of the category).
    pub level: &'static str,
    pub score: String,
    pub declarations: String,
    pub inspected: String,
    pub findings_rate: String,
    pub refused: String,
    pub aeo: String,
}

#[derive(Template)]
#[template(path = "staff/traders.html")]
struct TradersPage {
    f: Frame,
    q: String,
    rows: Vec<TraderRow>,
    pager: Pager,
}

/// The page number of the query (`page`, from 0).
pub fn page_of(ctx: &Ctx) -> u32 {
    ctx.param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
        .min(1_000_000)
}

/// `/analyst/traders?q=…&page=…`: page `page` of `d`.
pub fn traders_page(ctx: &Ctx, d: &TraderDirectory, page: u32) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let q = ctx.param("q").unwrap_or_default().trim().to_owned();
    let rows = d
        .rows
        .iter()
        .map(|t| {
            let m = &t.metrics;
            TraderRow {
                eori: t.operator.to_string(),
                name: t.name.clone(),
                category: category(&tr, t.assessment.category),
                level: t.assessment.category.as_str(),
                score: t.assessment.score.to_string(),
                declarations: n(&tr, m.declarations),
                inspected: n(&tr, m.inspected),
                findings_rate: share(&tr, m.with_findings, m.inspected),
                refused: share(&tr, m.by_state.refused, m.declarations),
                aeo: tr.t(if t.aeo { "staff-yes" } else { "staff-no" }),
            }
        })
        .collect::<Vec<_>>();
    let link = |p: u32| {
        format!(
            "/analyst/traders?{}",
            form_pairs([("q", q.as_str()), ("page", p.to_string().as_str())].into_iter())
        )
    };
    let start = u64::from(page) * u64::from(PAGE_SIZE);
    let end = start + rows.len() as u64;
    let pager = Pager {
        prev: if page > 0 {
            link(page - 1)
        } else {
            String::new()
        },
        next: if end < d.total {
            link(page + 1)
        } else {
            String::new()
        },
        shown: if rows.is_empty() {
            String::new()
        } else {
            format!(
                "{}–{} / {}",
                tr.number(&(start + 1).to_string()),
                tr.number(&end.to_string()),
                tr.number(&d.total.to_string())
            )
        },
    };
    render(
        &TradersPage {
            f: Frame::new(ctx, tr.t("twin-traders-title")),
            q,
            rows,
            pager,
        },
        200,
    )
}

/// One rule that moved the score.
pub struct ReasonRow {
    pub code: String,
    pub points: String,
    pub rule: String,
}

/// One line of the figures: label, value, share.
pub struct Figure {
    pub label: String,
    pub value: String,
    pub share: String,
}

pub struct InspectionRow {
    pub mrn: String,
    pub office: String,
    pub channel: String,
    pub status: String,
    pub outcome: String,
    pub created: String,
    pub result: String,
    pub findings: String,
}

pub struct FindingRow {
    pub mrn: String,
    pub kind: String,
    pub item: String,
    pub declared: String,
    pub corrected: String,
    pub duties: String,
    pub description: String,
    pub by: String,
}

pub struct SnapshotRow {
    pub at: String,
    pub category: String,
    pub score: String,
    pub rules: String,
    pub declarations: String,
}

#[derive(Template)]
#[template(path = "staff/trader.html")]
struct TraderPage {
    f: Frame,
    eori: String,
    category: String,
    level: &'static str,
    explanation: String,
    reasons: Vec<ReasonRow>,
    aeo: String,
    registered: String,
    first_time: String,
    figures: Vec<Figure>,
    customs_value: String,
    inspections: Vec<InspectionRow>,
    findings: Vec<FindingRow>,
    history: Vec<SnapshotRow>,
    /// The AEO form (administrators only).
    can_set_aeo: bool,
    csrf: String,
    aeo_now: bool,
    aeo_reference: String,
    aeo_error: String,
    aeo_error_code: String,
    done: String,
}

/// A refused AEO change: the service's code and what was typed.
pub struct AeoFailure<'a> {
    pub code: &'a str,
    pub reference: &'a str,
}

/// The sentence of an assessment in the page's language.
fn explanation(tr: &Tr, a: &Assessment) -> String {
    tr.t2(
        "twin-explanation",
        ("category", &category(tr, a.category)),
        ("score", &a.score.to_string()),
    ) + " "
        + &tr.t2(
            "twin-thresholds",
            ("high", &HIGH_FROM.to_string()),
            ("low", &LOW_UP_TO.to_string()),
        )
}

fn figures(tr: &Tr, m: &TraderMetrics) -> Vec<Figure> {
    let d = m.declarations;
    let row = |id: &str, v: i64, whole: Option<i64>| Figure {
        label: tr.t(id),
        value: n(tr, v),
        share: whole.map(|w| share(tr, v, w)).unwrap_or_default(),
    };
    vec![
        row("twin-m-declarations", d, None),
        row("twin-m-green", m.by_channel.green, Some(d)),
        row("twin-m-yellow", m.by_channel.yellow, Some(d)),
        row("twin-m-red", m.by_channel.red, Some(d)),
        row("twin-m-released", m.by_state.released, Some(d)),
        row("twin-m-refused", m.by_state.refused, Some(d)),
        row("twin-m-invalidated", m.by_state.invalidated, Some(d)),
        row(
            "twin-m-open",
            m.by_state.registered + m.by_state.under_control + m.by_state.awaiting_payment,
            Some(d),
        ),
        row("twin-m-inspected", m.inspected, Some(d)),
        row("twin-m-controls", m.controls, None),
        row("twin-m-with-findings", m.with_findings, Some(m.inspected)),
        row("twin-m-amended", m.amended, Some(d)),
        row("twin-m-amendments", m.amendments, None),
        row("twin-m-awaited-payment", m.awaited_payment, Some(d)),
    ]
}

fn rule_codes(a: &Assessment) -> String {
    a.reasons
        .iter()
        .map(|r| format!("{} {:+}", r.code, r.points))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/analyst/traders/{eori}`: the twin of one trader (with `failure`,
/// the AEO form's refusal, answered with `status`).
pub fn trader_page(
    ctx: &Ctx,
    p: &TraderProfile,
    c: &TraderControls,
    failure: Option<AeoFailure<'_>>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let can_set_aeo = ctx
        .me
        .as_ref()
        .is_some_and(|m| m.has(tamga_store::Role::Admin));
    let aeo_now = p.aeo.as_ref().is_some_and(|a| a.aeo);
    let a = &p.assessment;
    let reasons = a
        .reasons
        .iter()
        .map(|r| ReasonRow {
            code: r.code.clone(),
            points: format!("{:+}", r.points),
            rule: {
                let id = format!("twin-rule-{}", r.code);
                if tr.has(&id) {
                    tr.t(&id)
                } else {
                    String::new()
                }
            },
        })
        .collect();
    let aeo = match &p.aeo {
        Some(s) if s.aeo => match &s.reference {
            Some(r) => tr.t1("twin-aeo-yes-ref", "reference", r),
            None => tr.t("twin-aeo-yes"),
        },
        _ => tr.t("twin-aeo-no"),
    };
    let inspections = c
        .inspections
        .iter()
        .map(|i| InspectionRow {
            mrn: i.mrn.to_string(),
            office: i.office.to_string(),
            channel: tr.t(&format!("dash-channel-{}", i.channel)),
            status: tr.t(&format!("officer-task-{}", i.status)),
            outcome: i
                .outcome
                .as_ref()
                .map(|o| tr.t(&format!("officer-outcome-{o}")))
                .unwrap_or_default(),
            created: when(i.created_at),
            result: i.result_at.map(when).unwrap_or_default(),
            findings: i.findings.to_string(),
        })
        .collect();
    let findings = c
        .findings
        .iter()
        .map(|(mrn, f)| FindingRow {
            mrn: mrn.to_string(),
            kind: {
                let id = format!("twin-finding-{}", f.finding.kind.replace('_', "-"));
                if tr.has(&id) {
                    tr.t(&id)
                } else {
                    f.finding.kind.clone()
                }
            },
            item: f.finding.item.map(|i| i.to_string()).unwrap_or_default(),
            declared: f.finding.declared_value.clone().unwrap_or_default(),
            corrected: f.finding.corrected_value.clone().unwrap_or_default(),
            duties: tr.number(&f.finding.additional_duties),
            description: f.finding.description.clone().unwrap_or_default(),
            by: format!("{} · {}", f.officer, when(f.at)),
        })
        .collect();
    let history = p
        .history
        .iter()
        .map(|s| SnapshotRow {
            at: when(s.at),
            category: category(&tr, s.assessment.category),
            score: s.assessment.score.to_string(),
            rules: rule_codes(&s.assessment),
            declarations: n(&tr, s.metrics.declarations),
        })
        .collect();
    render(
        &TraderPage {
            f: Frame::new(
                ctx,
                tr.t2(
                    "twin-trader-title",
                    ("name", &p.name),
                    ("eori", p.operator.as_str()),
                ),
            ),
            eori: p.operator.to_string(),
            category: category(&tr, a.category),
            level: a.category.as_str(),
            explanation: explanation(&tr, a),
            reasons,
            aeo,
            registered: tr.t2(
                "twin-registered",
                ("at", &when(p.registered_at)),
                ("days", &n(&tr, p.context.days_since_registration)),
            ),
            first_time: tr.t(if p.context.first_time {
                "staff-yes"
            } else {
                "staff-no"
            }),
            figures: figures(&tr, &p.metrics),
            customs_value: tr.number(&p.metrics.customs_value.normalize().to_string()),
            inspections,
            findings,
            history,
            can_set_aeo,
            csrf: csrf(ctx),
            aeo_now,
            aeo_reference: match &failure {
                Some(f) => f.reference.to_owned(),
                None => p
                    .aeo
                    .as_ref()
                    .and_then(|a| a.reference.clone())
                    .unwrap_or_default(),
            },
            aeo_error: failure
                .as_ref()
                .map(|f| error_message(&tr, f.code))
                .unwrap_or_default(),
            aeo_error_code: failure.map(|f| f.code.to_owned()).unwrap_or_default(),
            done: match ctx.param("done") {
                Some("aeo") => tr.t("twin-aeo-done"),
                _ => String::new(),
            },
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_explanations_read_in_the_page_language() {
        let en = Tr::new("en");
        assert_eq!(share(&en, 1, 8), "12.5 %");
        assert_eq!(share(&en, 0, 0), "—");
        let a = tamga_core::traders::assess(&TraderMetrics::default(), true, 10);
        let text = explanation(&en, &a);
        assert!(text.contains(&a.score.to_string()), "{text}");
        let ru = Tr::new("ru");
        assert_eq!(share(&ru, 1, 8), "12,5 %");
        let text = explanation(&ru, &a);
        assert!(!text.contains("risk"), "{text}");
        // Every scoring rule has its description in every language.
        for (code, _, _) in tamga_core::traders::RULES {
            for tr in [en, ru] {
                assert!(tr.has(&format!("twin-rule-{code}")), "{code}");
            }
        }
    }
}
