//! `/officer/declarations/{mrn}`: a declaration as the officer works it —
//! the risk decision in full (criteria and profiles hit with their
//! explanations, factors, model score, random draw), the goods items, the
//! documents, the history, the duties per item and measure — and the acts
//! possible now, each prepared here and signed in the browser.

use askama::Template;
use tamga_core::goods_check::{GoodsCheckAbsence, GoodsChecks, RANK_BEYOND};
use tamga_core::lifecycle::{Actor, Event, EventBody, State};
use tamga_core::pipeline::DutyResult;
use tamga_core::risk::RiskDecision;
use tamga_store::ops_sql::{Task, TaskStatus};
use tamga_store::{DeclarationRecord, Role};

use super::queue::when;
use super::{act_body, act_error, Act, ActInput};
use crate::pages::risk::{self, Said};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// A line of a table: cells as text.
pub type Row = Vec<String>;

/// An act prepared for signing: what it does in words, and the exact body.
pub struct Prepared {
    pub slug: &'static str,
    pub sentence: String,
    pub body: String,
}

/// What happened to the last act: done, or its error code and message.
#[derive(Debug, Clone)]
pub enum Notice {
    Done(Act),
    Failed { code: String },
}

#[derive(Template)]
#[template(path = "officer/declaration.html")]
struct DeclarationPage {
    f: Frame,
    username: String,
    mrn: String,
    facts: Vec<(String, String)>,
    /// The declarant's EORI: a link to its trader profile.
    declarant: String,
    channel: String,
    explanation: Said,
    /// Cells, and the reason said from the decision's data.
    criteria: Vec<(Row, Said)>,
    profiles: Vec<(Row, Said)>,
    factors: Vec<(Row, Said)>,
    draw: Vec<(String, String)>,
    items: Vec<Row>,
    /// The goods check: item, heading rank, verdict, suggested codes.
    goods_check: Vec<Row>,
    /// The check's threshold and, if some items were not checked, why.
    goods_check_note: String,
    /// Whether the decision records a goods check at all.
    has_goods_check: bool,
    /// The value check: item, unit value, reference, z-score, finding.
    value_check: Vec<Row>,
    /// The check's rule and, if some items were not checked, why.
    value_check_note: String,
    /// Whether the decision records a value check at all.
    has_value_check: bool,
    /// Controlled-goods entries matched: item, entry, regime, how,
    /// licence, produced.
    controlled: Vec<Row>,
    /// The controlled-goods list's version screened against.
    controlled_list: String,
    documents: Vec<Row>,
    duties: Vec<Row>,
    duty_total: String,
    history: Vec<Row>,
    task: Vec<(String, String)>,
    /// Acts shown: control, release, refusal, task result.
    can_control: bool,
    can_release: bool,
    can_task: bool,
    release: Option<Prepared>,
    prepared: Option<Prepared>,
    input: ActInput,
    done: String,
    error_code: String,
    error: String,
    kinds: Vec<&'static str>,
}

/// What the page shows.
pub struct DeclarationData<'a> {
    pub rec: &'a DeclarationRecord,
    pub events: &'a [Event],
    pub task: Option<&'a Task>,
    /// `?prepare=…` of the page: the act to sign and what was typed.
    pub prepare: Option<(Act, ActInput)>,
    pub notice: Option<Notice>,
}

fn actor(a: &Actor) -> String {
    match a {
        Actor::Operator(e) => e.to_string(),
        Actor::Officer(u) => u.clone(),
        Actor::System => "tamga".to_owned(),
    }
}

/// The latest risk decision of the events.
fn risk(events: &[Event]) -> Option<&RiskDecision> {
    events.iter().rev().find_map(|e| match &e.body {
        EventBody::RiskAssessed { decision, .. } => Some(decision),
        _ => None,
    })
}

/// One line of history: seq, time, who, what, detail.
fn history_row(ctx: &Ctx, e: &Event) -> Row {
    let tr = ctx.tr;
    let kind = e.body.kind();
    let mut detail = match &e.body {
        EventBody::RiskAssessed { decision, .. } => {
            tr.t(&format!("officer-channel-{}", decision.channel.as_str()))
        }
        EventBody::ControlResultRecorded { outcome, notes, .. } => {
            let o = tr.t(match outcome {
                tamga_core::lifecycle::ControlOutcome::Compliant => "officer-outcome-compliant",
                tamga_core::lifecycle::ControlOutcome::Findings => "officer-outcome-findings",
            });
            match notes {
                Some(n) if !n.is_empty() => format!("{o}: {n}"),
                _ => o,
            }
        }
        EventBody::Refused { reason, .. } => reason.clone(),
        EventBody::DutiesAssessed {
            result: DutyResult::Assessed {
                total, currency, ..
            },
        } => format!("{} {currency}", tr.number(&total.to_string())),
        _ => String::new(),
    };
    if let Some(s) = e.body.officer_signature() {
        if !detail.is_empty() {
            detail.push_str(" · ");
        }
        detail.push_str(&tr.t1("officer-signed-with", "key", &s.key_id));
    }
    vec![
        e.seq.to_string(),
        when(e.at),
        actor(&e.actor),
        tr.t(&format!("officer-event-{}", kind.replace('_', "-"))),
        detail,
    ]
}

/// The goods check's table rows and its note (threshold, absence).
fn goods_check_rows(tr: &crate::i18n::Tr, g: &GoodsChecks) -> (Vec<Row>, String) {
    let rows = g
        .items
        .iter()
        .map(|c| {
            let mut rank = match c.heading_rank {
                Some(n) if n >= RANK_BEYOND => tr.t("officer-goods-rank-beyond"),
                Some(n) => n.to_string(),
                None => tr.t("officer-goods-rank-none"),
            };
            if let Some(gap) = c.score_gap.filter(|g| !g.is_zero()) {
                rank.push_str(&format!(" (−{})", tr.number(&gap.to_string())));
            }
            let mut verdict = Vec::new();
            if c.mismatch {
                verdict.push(tr.t("officer-goods-mismatch"));
            }
            if let Some(v) = c.vague {
                verdict.push(tr.t(&format!("officer-goods-vague-{}", v.as_str())));
            }
            if verdict.is_empty() {
                verdict.push(tr.t("officer-goods-consistent"));
            }
            let suggested = c
                .suggestions
                .iter()
                .map(|s| format!("{} ({})", s.code, tr.number(&s.score.to_string())))
                .collect::<Vec<_>>()
                .join(", ");
            vec![c.sequence.to_string(), rank, verdict.join("; "), suggested]
        })
        .collect();
    let mut note = tr.t2(
        "officer-goods-threshold",
        ("k", &g.top_k.to_string()),
        ("gap", &tr.number(&g.min_gap.to_string())),
    );
    if let Some(a) = g.absent {
        let why = match a {
            GoodsCheckAbsence::NotReady => "officer-goods-absent-not-ready",
            GoodsCheckAbsence::Unavailable => "officer-goods-absent-unavailable",
            GoodsCheckAbsence::OverBudget => "officer-goods-absent-over-budget",
            GoodsCheckAbsence::Failed => "officer-goods-absent-failed",
        };
        note.push(' ');
        note.push_str(&tr.t(why));
    }
    (rows, note)
}

pub fn declaration_page(
    ctx: &Ctx,
    d: DeclarationData<'_>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let rec = d.rec;
    let mrn = rec.mrn.to_string();
    let me = ctx.me.as_ref();
    let has = |r: Role| me.is_some_and(|m| m.has(r));
    let facts = vec![
        (tr.t("officer-mrn"), mrn.clone()),
        (tr.t("officer-lrn"), rec.lrn.to_string()),
        (
            tr.t("officer-state"),
            tr.t(&format!(
                "officer-state-{}",
                rec.state.as_str().replace('_', "-")
            )),
        ),
        (
            tr.t("officer-channel"),
            tr.t(&format!("officer-channel-{}", rec.channel.as_str())),
        ),
        (tr.t("officer-version"), rec.version.to_string()),
        (tr.t("officer-declarant"), rec.declarant.to_string()),
        (tr.t("officer-office"), rec.office.to_string()),
        (tr.t("officer-registered"), when(rec.registered_at)),
    ];
    let decision = risk(d.events);
    let mut criteria = Vec::new();
    let mut profiles = Vec::new();
    let mut factors = Vec::new();
    let mut draw = Vec::new();
    if let Some(r) = decision {
        let ch =
            |c: tamga_core::lifecycle::Channel| tr.t(&format!("officer-channel-{}", c.as_str()));
        let item = |i: Option<u32>| i.map(|i| i.to_string()).unwrap_or_default();
        criteria = r
            .hits
            .iter()
            .map(|h| {
                (
                    vec![
                        h.criterion_id.clone(),
                        h.description.clone(),
                        ch(h.channel),
                        item(h.item),
                    ],
                    risk::criterion(&tr, h),
                )
            })
            .collect();
        profiles = r
            .combined
            .profile_hits
            .iter()
            .map(|h| {
                (
                    vec![
                        format!("{} v{}", h.profile_id, h.version),
                        ch(h.channel),
                        risk::control(&tr, h.control),
                        item(h.item),
                    ],
                    risk::profile(&tr, h),
                )
            })
            .collect();
        factors = r
            .combined
            .factors
            .iter()
            .map(|f| {
                (
                    vec![risk::source(&tr, f), ch(f.channel)],
                    risk::factor(&tr, f, r),
                )
            })
            .collect();
        if let Some(s) = r.combined.model_score {
            draw.push((tr.t("officer-model-score"), tr.number(&s.to_string())));
        }
        if let Some(m) = &r.combined.model {
            draw.push((
                tr.t("officer-model-version"),
                format!("{} ({})", m.version, m.content_hash.get(..12).unwrap_or("")),
            ));
            draw.push((tr.t("officer-model-item"), m.item.to_string()));
            let why = m
                .contributions
                .iter()
                .map(|c| {
                    let sign = if c.contribution.is_sign_negative() {
                        ""
                    } else {
                        "+"
                    };
                    match c.value {
                        Some(v) => format!(
                            "{} = {}: {sign}{}",
                            c.feature,
                            tr.number(&v.to_string()),
                            tr.number(&c.contribution.to_string())
                        ),
                        None => format!(
                            "{} ({}): {sign}{}",
                            c.feature,
                            tr.t("officer-model-missing"),
                            tr.number(&c.contribution.to_string())
                        ),
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            draw.push((tr.t("officer-model-contributions"), why));
        }
        if let Some(f) = &r.combined.model_fallback {
            draw.push((
                tr.t("officer-model-fallback"),
                match f.version {
                    Some(v) => tr.t1("officer-model-fallback-version", "version", &v.to_string()),
                    None => tr.t("risk-model-fallback"),
                },
            ));
        }
        if let Some(x) = &r.combined.exploration {
            draw.push((
                tr.t("officer-exploration"),
                tr.ta(
                    "officer-exploration-draw",
                    &[
                        (
                            "strategy",
                            &tr.t(&format!("risk-explore-{}", x.strategy.as_str())),
                        ),
                        (
                            "probability",
                            &tr.number(&x.probability.normalize().to_string()),
                        ),
                        ("draw", &tr.number(&x.draw.normalize().to_string())),
                        (
                            "selected",
                            &tr.t(if x.selected {
                                "officer-yes"
                            } else {
                                "officer-no"
                            }),
                        ),
                    ],
                ),
            ));
        }
        if let Some(p) = r.combined.selection_probability {
            draw.push((
                tr.t("officer-selection-probability"),
                tr.number(&p.normalize().to_string()),
            ));
        }
        draw.push((tr.t("officer-draw"), tr.number(&r.random.draw.to_string())));
        draw.push((
            tr.t("officer-rates"),
            format!(
                "{} / {}",
                tr.number(&r.random.yellow_rate.to_string()),
                tr.number(&r.random.red_rate.to_string())
            ),
        ));
        draw.push((
            tr.t("officer-random-selected"),
            match r.random.selected {
                Some(c) => ch(c),
                None => tr.t("officer-no"),
            },
        ));
    }
    let decl = &rec.declaration;
    let currency = decl.invoice.currency.to_string();
    let items = decl
        .items
        .iter()
        .map(|i| {
            vec![
                i.sequence.to_string(),
                i.description.clone(),
                i.hs_code.to_string(),
                i.origin.to_string(),
                tr.number(&i.net_mass_kg.to_string()),
                format!("{} {currency}", tr.number(&i.item_price.to_string())),
            ]
        })
        .collect();
    let (goods_check, goods_check_note) = decision
        .and_then(|r| r.combined.goods.as_ref())
        .map(|g| goods_check_rows(&tr, g))
        .unwrap_or_default();
    let has_goods_check = decision.is_some_and(|r| r.combined.goods.is_some());
    let goods = decision.and_then(|r| r.combined.goods.as_ref());
    let (value_check, value_check_note) = decision
        .and_then(|r| r.combined.values.as_ref())
        .map(|v| super::values::value_check_rows(&tr, v))
        .unwrap_or_default();
    let has_value_check = decision.is_some_and(|r| r.combined.values.is_some());
    let controlled = goods
        .map(|g| {
            g.controlled
                .iter()
                .map(|h| {
                    let how = tr.t(&format!(
                        "officer-controlled-by-{}",
                        h.matched.replace('_', "-")
                    ));
                    vec![
                        h.sequence.to_string(),
                        format!("{} ({})", h.entry, h.source),
                        h.regime.replace('_', " "),
                        match &h.term {
                            Some(t) => format!("{how}: {t}"),
                            None => how,
                        },
                        h.licence.join(", "),
                        tr.t(if h.licence_produced {
                            "officer-yes"
                        } else {
                            "officer-no"
                        }),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let controlled_list = goods
        .and_then(|g| g.controlled_list.as_deref())
        .map(|v| tr.t1("officer-controlled-list", "version", v))
        .unwrap_or_default();
    let mut documents: Vec<Row> = decl
        .items
        .iter()
        .flat_map(|i| {
            i.documents.iter().map(move |doc| {
                vec![
                    i.sequence.to_string(),
                    doc.type_code.to_string(),
                    doc.reference.clone(),
                ]
            })
        })
        .collect();
    documents.extend(decl.transport_documents.iter().map(|doc| {
        vec![
            String::new(),
            doc.type_code.to_string(),
            doc.reference.clone(),
        ]
    }));
    let mut duties = Vec::new();
    let mut duty_total = String::new();
    if let Some(DutyResult::Assessed {
        assessment,
        total,
        currency,
        ..
    }) = d.events.iter().rev().find_map(|e| match &e.body {
        EventBody::DutiesAssessed { result } => Some(result),
        _ => None,
    }) {
        for (n, it) in assessment.items.iter().enumerate() {
            for l in &it.lines {
                duties.push(vec![
                    (n + 1).to_string(),
                    l.goods_code.clone(),
                    l.measure_type.clone(),
                    l.expression.clone(),
                    tr.engine(&l.base),
                    format!(
                        "{} {}",
                        tr.number(&l.amount.amount.to_string()),
                        l.amount.currency
                    ),
                ]);
            }
        }
        duty_total = format!("{} {currency}", tr.number(&total.to_string()));
    }
    let history = d.events.iter().map(|e| history_row(ctx, e)).collect();
    let open_task = d.task.filter(|t| t.status == TaskStatus::Open);
    let task = d
        .task
        .map(|t| {
            vec![
                (
                    tr.t("officer-task-status"),
                    tr.t(if t.status == TaskStatus::Open {
                        "officer-task-open"
                    } else {
                        "officer-task-done"
                    }),
                ),
                (
                    tr.t("officer-task-inspector"),
                    t.inspector
                        .clone()
                        .unwrap_or_else(|| tr.t("officer-task-unassigned")),
                ),
                (tr.t("officer-task-created"), when(t.created_at)),
            ]
        })
        .unwrap_or_default();
    let acting = rec.state == State::UnderControl;
    let decider = has(Role::Officer) || has(Role::Admin);
    let can_control = acting && decider;
    let can_release = acting && decider;
    let can_task = acting
        && open_task.is_some()
        && (has(Role::Inspector) || has(Role::Officer) || has(Role::Admin));
    let release = can_release.then(|| Prepared {
        slug: Act::Release.slug(),
        sentence: tr.t2(
            "officer-sentence-release",
            ("version", &rec.version.to_string()),
            ("mrn", &mrn),
        ),
        body: act_body(Act::Release, &mrn, rec.version, &ActInput::default()),
    });
    let (prepared, input) = match d.prepare {
        Some((act, input)) if act != Act::Release => {
            let allowed = match act {
                Act::Control | Act::Refusal => can_control,
                Act::TaskResult => can_task,
                Act::Release => false,
            };
            let p = allowed.then(|| Prepared {
                slug: act.slug(),
                sentence: tr.t2(
                    &format!("officer-sentence-{}", act.slug()),
                    ("version", &rec.version.to_string()),
                    ("mrn", &mrn),
                ),
                body: act_body(act, &mrn, rec.version, &input),
            });
            (p, input)
        }
        _ => (None, ActInput::default()),
    };
    let (done, error, error_code) = match d.notice {
        Some(Notice::Done(a)) => (
            tr.t(&format!("officer-done-{}", a.slug())),
            String::new(),
            String::new(),
        ),
        Some(Notice::Failed { code }) => (String::new(), act_error(ctx, &code), code),
        None => Default::default(),
    };
    render(
        &DeclarationPage {
            f: Frame::new(ctx, tr.t1("officer-declaration-title", "mrn", &mrn)),
            username: me.map(|m| m.username.clone()).unwrap_or_default(),
            mrn,
            facts,
            declarant: rec.declarant.to_string(),
            channel: decision
                .map(|r| tr.t(&format!("officer-channel-{}", r.channel.as_str())))
                .unwrap_or_default(),
            explanation: decision
                .map(|r| risk::explanation(&tr, r))
                .unwrap_or_default(),
            criteria,
            profiles,
            factors,
            draw,
            items,
            goods_check,
            goods_check_note,
            has_goods_check,
            value_check,
            value_check_note,
            has_value_check,
            controlled,
            controlled_list,
            documents,
            duties,
            duty_total,
            history,
            task,
            can_control,
            can_release,
            can_task,
            release,
            prepared,
            input,
            done,
            error_code,
            error,
            kinds: tamga_app::workbench::FINDING_KINDS.to_vec(),
        },
        status,
    )
}
