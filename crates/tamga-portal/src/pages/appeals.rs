//! The appeals pages: a trader's (or broker's) appeals and the form to
//! appeal a decision on a declaration; an appeals officer's list and the
//! decision form. Both acts are signed in the browser (WebCrypto, see
//! `static/sign.js`): the page before shows the exact body to be signed.
//!
//! What a person sees is what `tamga_app::appeals` gives their caller
//! (another trader's appeal is missing, as in the API).

use askama::Template;
use time::OffsetDateTime;

use tamga_core::appeal::AppealStatus;
use tamga_store::AppealRecord;

use super::form::{summary, Field};
use super::{render, Frame, PageError};
use crate::{Ctx, Rendered, CSRF_FIELD};

/// `2026-12-06 14:05 UTC`.
pub fn when(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn status_text(ctx: &Ctx, s: AppealStatus) -> String {
    ctx.tr.t(&format!("appeal-status-{}", s.as_str()))
}

fn subject_text(ctx: &Ctx, s: &str) -> String {
    ctx.tr.t(&format!("appeal-subject-{}", s.replace('_', "-")))
}

struct Row {
    id: String,
    mrn: String,
    subject: String,
    status: String,
    lodged: String,
}

#[derive(Template)]
#[template(path = "appeals/list.html")]
struct ListPage {
    f: Frame,
    rows: Vec<Row>,
    can_lodge: bool,
}

/// The appeals the person may read.
pub fn list_page(
    ctx: &Ctx,
    appeals: &[AppealRecord],
    can_lodge: bool,
) -> Result<Rendered, PageError> {
    let rows = appeals
        .iter()
        .map(|a| Row {
            id: a.id.to_string(),
            mrn: a.mrn.to_string(),
            subject: subject_text(ctx, a.subject.as_str()),
            status: status_text(ctx, a.status),
            lodged: when(a.lodged_at),
        })
        .collect();
    render(
        &ListPage {
            f: Frame::new(ctx, ctx.tr.t("appeals-title")),
            rows,
            can_lodge,
        },
        200,
    )
}

struct Step {
    status: String,
    at: String,
    by: String,
}

#[derive(Template)]
#[template(path = "appeals/detail.html")]
struct DetailPage {
    f: Frame,
    id: String,
    mrn: String,
    subject: String,
    status: String,
    reason: String,
    attachments: Vec<(u32, String, String)>,
    steps: Vec<Step>,
    decision_reason: String,
    /// The decision form (appeals officers, while lodged).
    decide: Option<Vec<Field>>,
    outcome: String,
    csrf_field: &'static str,
    csrf: String,
    summary: Vec<(String, String)>,
}

/// One appeal; `decide` is whether the decision form is shown, `error`
/// the last decision try's field, code and message.
pub fn detail_page(
    ctx: &Ctx,
    a: &AppealRecord,
    decide: bool,
    typed: (&str, &str),
    error: Option<(&str, &str, String)>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let steps = tamga_app::appeals::timeline(a)
        .into_iter()
        .map(|s| Step {
            status: status_text(ctx, s.status),
            at: when(s.at),
            by: s.by,
        })
        .collect();
    let form = decide.then(|| {
        let mut reason = Field::new("reason", tr.t("appeal-decision-reason"), "text")
            .hint(tr.t("appeal-reason-hint"))
            .value(typed.1)
            .required();
        if let Some((_, code, msg)) = &error {
            reason.fail(code, msg.clone());
        }
        vec![reason]
    });
    let summary = form.as_deref().map(summary).unwrap_or_default();
    render(
        &DetailPage {
            f: Frame::new(ctx, tr.t1("appeal-title", "id", &a.id.to_string())),
            id: a.id.to_string(),
            mrn: a.mrn.to_string(),
            subject: subject_text(ctx, a.subject.as_str()),
            status: status_text(ctx, a.status),
            reason: a.reason.clone(),
            attachments: a
                .attachments
                .iter()
                .map(|m| (m.n, m.name.clone(), m.media_type.as_str().to_owned()))
                .collect(),
            steps,
            decision_reason: a
                .decision
                .as_ref()
                .map(|d| d.reason.clone())
                .unwrap_or_default(),
            decide: form,
            outcome: typed.0.to_owned(),
            csrf_field: CSRF_FIELD,
            csrf: ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default(),
            summary,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "appeals/new.html")]
struct NewPage {
    f: Frame,
    fields: Vec<Field>,
    subject: String,
    subject_error: String,
    summary: Vec<(String, String)>,
    csrf_field: &'static str,
    csrf: String,
    subjects: Vec<(&'static str, String)>,
}

/// What the appeal form keeps of what was typed.
#[derive(Debug, Clone, Default)]
pub struct AppealForm {
    pub mrn: String,
    pub subject: String,
    pub reason: String,
}

/// The appeal form; `error` names the field (`mrn`, `subject`, `reason`,
/// `file`), the code and the message.
pub fn new_page(
    ctx: &Ctx,
    form: &AppealForm,
    error: Option<(&str, &str, String)>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut fields = vec![
        Field::new("mrn", tr.t("appeal-mrn"), "text")
            .value(&form.mrn)
            .required(),
        Field::new("reason", tr.t("appeal-reason"), "text")
            .hint(tr.t("appeal-reason-hint"))
            .value(&form.reason)
            .required(),
        Field::new("file", tr.t("appeal-file"), "file").hint(tr.t("appeal-file-hint")),
    ];
    let mut subject_error = String::new();
    if let Some((name, code, msg)) = &error {
        if *name == "subject" {
            subject_error = format!("{code} {msg}");
        } else if let Some(f) = fields.iter_mut().find(|f| f.name == *name) {
            f.fail(code, msg.clone());
        } else if let Some(f) = fields.first_mut() {
            f.fail(code, msg.clone());
        }
    }
    let subjects = ["refusal", "duty_assessment", "control_result"]
        .into_iter()
        .map(|s| (s, subject_text(ctx, s)))
        .collect();
    render(
        &NewPage {
            f: Frame::new(ctx, tr.t("appeal-new-title")),
            summary: summary(&fields),
            fields,
            subject: form.subject.clone(),
            subject_error,
            csrf_field: CSRF_FIELD,
            csrf: ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default(),
            subjects,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "appeals/sign.html")]
struct SignPage {
    f: Frame,
    heading: String,
    lead: String,
    action: String,
    body: String,
    owner: String,
    error: String,
    csrf_field: &'static str,
    csrf: String,
}

/// The page that shows the exact body of an act and signs it in the
/// browser before sending it to `action`.
pub fn sign_page(
    ctx: &Ctx,
    heading: String,
    lead: String,
    action: &str,
    body: &str,
    error: Option<(&str, String)>,
    status: u16,
) -> Result<Rendered, PageError> {
    let me = ctx.me.as_ref();
    render(
        &SignPage {
            f: Frame::new(ctx, heading.clone()),
            heading,
            lead,
            action: action.to_owned(),
            body: body.to_owned(),
            owner: me.map(|m| m.username.clone()).unwrap_or_default(),
            error: error.map(|(c, m)| format!("{c}: {m}")).unwrap_or_default(),
            csrf_field: CSRF_FIELD,
            csrf: me.map(|m| m.csrf.clone()).unwrap_or_default(),
        },
        status,
    )
}
