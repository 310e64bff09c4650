//! The learning risk model's page for risk analysts (issue 17):
//! `/analyst/models`. It shows the live model (or that lodging scores on
//! the rules alone) and why a registered model is not scoring; every
//! registered model with its data range, what it learnt from and its
//! validation on the latest period against the model active then; the
//! history of changes; the drift of the last 7 days (score and feature
//! PSI, the alert highlighted); and the retraining schedule.
//!
//! Risk analysts and administrators also get the forms of the API's acts
//! (`/api/v1/risk/models…`): train now, validate, activate (with a
//! reason, forced past a worse validation), roll back, deactivate, and
//! the schedule. Managers read the page without the forms. A refused act
//! comes back as the page with the service's code and its message in the
//! page's language (`staff-error-<CODE>`, `i18n/<language>/models.ftl`).

use askama::Template;
use serde_json::Value;

use tamga_app::risk_admin::model::drift::DriftView;
use tamga_app::risk_admin::model::jobs::ModelSchedule;
use tamga_app::risk_admin::model::ModelsView;
use tamga_store::Role;

use super::admin::csrf;
use super::{error_message, when};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

/// Changes of the live model listed.
const HISTORY: usize = 20;

/// A registered model as the table shows it.
pub struct ModelRow {
    pub version: i64,
    pub created: String,
    pub by: String,
    pub source: String,
    pub data: String,
    pub rows: String,
    pub frauds: String,
    /// Validated: the latest period the metrics are of.
    pub validated: bool,
    pub period: String,
    pub auc: String,
    pub precision: String,
    /// The model active when it was validated (`—` if none).
    pub against: String,
    pub against_auc: String,
    pub against_precision: String,
    pub better: String,
    /// `ok` or `bad` (its style), empty until validated.
    pub verdict: &'static str,
    pub active: bool,
}

/// One change of the live model.
pub struct ChangeRow {
    pub at: String,
    pub action: String,
    pub version: String,
    pub by: String,
    pub reason: String,
}

/// One feature's drift.
pub struct FeatureRow {
    pub feature: String,
    pub psi: String,
    pub alert: bool,
}

/// The drift report as shown.
pub struct DriftShown {
    pub reference: String,
    pub current: String,
    pub score_psi: String,
    pub score_alert: bool,
    pub features: Vec<FeatureRow>,
    pub alert: bool,
    /// Past the threshold or not, in a sentence.
    pub verdict: String,
}

#[derive(Template)]
#[template(path = "staff/models.html")]
struct ModelsPage {
    f: Frame,
    csrf: String,
    can_change: bool,
    live: String,
    problem: String,
    problem_detail: String,
    has_active: bool,
    rows: Vec<ModelRow>,
    history: Vec<ChangeRow>,
    drift: Option<DriftShown>,
    drift_error: String,
    every: String,
    schedule_latest: String,
    schedule_now: String,
    done: String,
    error: String,
    error_code: String,
    /// What was typed in the failed form, shown again.
    typed_latest: String,
    typed_reason: String,
}

/// A refused act: the service's code and what was typed.
#[derive(Default)]
pub struct ModelsFailure {
    pub code: String,
    pub latest_days: String,
    pub reason: String,
    pub every: String,
    pub schedule_latest: String,
}

/// A number with `digits` decimals in the page's language.
fn fixed(tr: &Tr, x: f64, digits: usize) -> String {
    if x.is_finite() {
        tr.number(&format!("{x:.digits$}"))
    } else {
        "—".to_owned()
    }
}

/// A share (0 to 1) in percent.
fn percent(tr: &Tr, x: Option<f64>) -> String {
    x.map(|x| format!("{} %", fixed(tr, x * 100.0, 1)))
        .unwrap_or_else(|| "—".to_owned())
}

/// The AUC and precision at 5 % of a validation's metrics.
fn metrics(tr: &Tr, m: &Value) -> (String, String) {
    let auc = m["auc"]
        .as_f64()
        .map(|a| fixed(tr, a, 3))
        .unwrap_or_else(|| "—".to_owned());
    let at = if m["precision_at"].is_object() {
        &m["precision_at"]
    } else {
        &m["precisionAt"]
    };
    (auc, percent(tr, at["5"].as_f64()))
}

fn row(tr: &Tr, m: &tamga_app::risk_admin::model::ModelView) -> ModelRow {
    let dash = || "—".to_owned();
    let data = match (m.data_from, m.data_to) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        (Some(a), None) => format!("{a} –"),
        (None, Some(b)) => format!("– {b}"),
        (None, None) => dash(),
    };
    let source_id = format!("models-source-{}", m.source);
    let mut r = ModelRow {
        version: m.version,
        created: when(m.created_at),
        by: m.created_by.clone(),
        source: if tr.has(&source_id) {
            tr.t(&source_id)
        } else {
            m.source.clone()
        },
        data,
        rows: tr.number(&m.rows.to_string()),
        frauds: tr.number(&m.frauds.to_string()),
        validated: false,
        period: String::new(),
        auc: dash(),
        precision: dash(),
        against: dash(),
        against_auc: dash(),
        against_precision: dash(),
        better: dash(),
        verdict: "",
        active: m.active,
    };
    if let Some(v) = &m.validation {
        r.validated = true;
        let p = &v["period"];
        r.period = match (p["from"].as_str(), p["to"].as_str()) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            _ => String::new(),
        };
        (r.auc, r.precision) = metrics(tr, &v["candidate"]);
        if let Some(version) = v["active"]["version"].as_i64() {
            r.against = version.to_string();
            (r.against_auc, r.against_precision) = metrics(tr, &v["active"]["metrics"]);
        }
        let better = v["better"].as_bool().unwrap_or(true);
        r.better = tr.t(if better { "staff-yes" } else { "staff-no" });
        r.verdict = if better { "ok" } else { "bad" };
    }
    r
}

fn drift_shown(tr: &Tr, d: &DriftView) -> DriftShown {
    let period = |p: &tamga_app::risk_admin::model::drift::DriftPeriod| {
        tr.ta(
            "models-drift-period",
            &[
                ("from", &when(p.from)),
                ("to", &when(p.to)),
                ("scored", &tr.number(&p.scored.to_string())),
            ],
        )
    };
    DriftShown {
        reference: period(&d.reference),
        current: period(&d.current),
        score_psi: d
            .score_psi
            .map(|p| fixed(tr, p, 3))
            .unwrap_or_else(|| "—".to_owned()),
        score_alert: d.score_psi.is_some_and(|p| p > d.threshold),
        features: d
            .features
            .iter()
            .map(|f| FeatureRow {
                feature: f.feature.clone(),
                psi: fixed(tr, f.psi, 3),
                alert: f.psi > d.threshold,
            })
            .collect(),
        alert: d.alert,
        verdict: tr.t1(
            if d.alert {
                "models-drift-alert"
            } else {
                "models-drift-ok"
            },
            "threshold",
            &fixed(tr, d.threshold, 2),
        ),
    }
}

/// `/analyst/models`: the registry `view`, the `drift` of the last 7
/// days (or the code of why it could not be measured), the `schedule`,
/// and a refused act's `failure` answered with `status`.
pub fn models_page(
    ctx: &Ctx,
    view: &ModelsView,
    drift: Result<&DriftView, &str>,
    schedule: &ModelSchedule,
    failure: Option<ModelsFailure>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let can_change = ctx
        .me
        .as_ref()
        .is_some_and(|m| m.has(Role::RiskAnalyst) || m.has(Role::Admin));
    let live = match view.active {
        Some(v) => tr.t1("models-live", "version", &v.to_string()),
        None => tr.t("models-live-none"),
    };
    let (problem, problem_detail) = match (&view.problem, view.active) {
        (Some(p), Some(v)) => (
            tr.t1("models-problem", "version", &v.to_string()),
            p.clone(),
        ),
        (Some(p), None) => (tr.t("models-problem-any"), p.clone()),
        (None, _) => (String::new(), String::new()),
    };
    let history = view
        .history
        .iter()
        .take(HISTORY)
        .map(|a| {
            let id = format!("models-action-{}", a.action);
            ChangeRow {
                at: when(a.at),
                action: if tr.has(&id) {
                    tr.t(&id)
                } else {
                    a.action.clone()
                },
                version: a
                    .version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| tr.t("models-rules-alone")),
                by: a.by.clone(),
                reason: a.reason.clone(),
            }
        })
        .collect();
    let schedule_now = match (schedule.retrain_every_days, schedule.latest_days) {
        (None, _) => tr.t("models-schedule-off"),
        (Some(d), None) => tr.t1("models-schedule-every", "days", &d.to_string()),
        (Some(d), Some(l)) => tr.t2(
            "models-schedule-every-latest",
            ("days", &d.to_string()),
            ("latest", &l.to_string()),
        ),
    };
    let done = match ctx.param("done") {
        Some("trained") => match ctx.param("version").and_then(|v| v.parse::<i64>().ok()) {
            Some(v) => tr.t1("models-done-trained", "version", &v.to_string()),
            None => String::new(),
        },
        Some(d @ ("validated" | "activated" | "rolled-back" | "deactivated" | "schedule")) => {
            tr.t(&format!("models-done-{d}"))
        }
        _ => String::new(),
    };
    let failure = failure.unwrap_or_default();
    let opt = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
    let (every, schedule_latest) = if failure.code.is_empty() {
        (opt(schedule.retrain_every_days), opt(schedule.latest_days))
    } else {
        (failure.every, failure.schedule_latest)
    };
    render(
        &ModelsPage {
            f: Frame::new(ctx, tr.t("models-title")),
            csrf: csrf(ctx),
            can_change,
            live,
            problem,
            problem_detail,
            has_active: view.active.is_some(),
            rows: view.models.iter().map(|m| row(&tr, m)).collect(),
            history,
            drift: drift.ok().map(|d| drift_shown(&tr, d)),
            drift_error: drift
                .err()
                .map(|code| error_message(&tr, code))
                .unwrap_or_default(),
            every,
            schedule_latest,
            schedule_now,
            done,
            error: if failure.code.is_empty() {
                String::new()
            } else {
                error_message(&tr, &failure.code)
            },
            error_code: failure.code,
            typed_latest: failure.latest_days,
            typed_reason: failure.reason,
        },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_read_in_the_page_language() {
        let en = Tr::new("en");
        let ru = Tr::new("ru");
        let m = serde_json::json!({"auc": 0.8126, "precision_at": {"5": 0.5}});
        assert_eq!(metrics(&en, &m), ("0.813".to_owned(), "50.0 %".to_owned()));
        assert_eq!(metrics(&ru, &m), ("0,813".to_owned(), "50,0 %".to_owned()));
        let none = serde_json::json!({"auc": null, "precision_at": {"5": 0.0}});
        assert_eq!(metrics(&en, &none).0, "—");
        assert_eq!(fixed(&en, f64::NAN, 2), "—");
        // Every refusal of the registry reads in every language.
        for code in [
            "NOT_ENOUGH_LABELS",
            "TRAINING_DATA",
            "TRAIN_OPTIONS",
            "ALREADY_VALIDATED",
            "NO_LATEST_PERIOD",
            "NOT_VALIDATED",
            "CANDIDATE_WORSE",
            "MODEL_UNLOADABLE",
            "NOTHING_TO_ROLL_BACK",
            "REASON",
            "SCHEDULE",
            "PERIOD",
        ] {
            for tr in [en, ru] {
                assert!(tr.has(&format!("staff-error-{code}")), "{code}");
            }
        }
    }
}
