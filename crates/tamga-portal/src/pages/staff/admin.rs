//! The administrator's pages: the overview (`/admin`), operators and
//! their approval (`/admin/operators`, `/admin/operators/{eori}`: approve,
//! refuse with a reason, register a first signing key).
//!
//! The HTTP layer reads the records through `tamga_app::identity::people`
//! (the API's service) and passes them here; a refused act comes back as
//! a [`Failure`] shown next to its field with the service's code.

use askama::Template;

use tamga_store::{OperatorRecord, OperatorStatus};

use super::{error_message, paginate, when, Pager};
use crate::pages::{form_pairs, render, Frame, PageError};
use crate::{Ctx, Rendered};

/// A refused act to show on the page: which form (an operator's EORI, a
/// user name, or a form name), the field, the code and what was typed.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub target: String,
    /// The field the error is about (`reason`, `publicKey`, …).
    pub field: String,
    pub code: String,
    pub typed: String,
}

impl Failure {
    pub fn new(target: &str, field: &str, code: &str, typed: &str) -> Failure {
        Failure {
            target: target.to_owned(),
            field: field.to_owned(),
            code: code.to_owned(),
            typed: typed.to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/admin.html")]
struct AdminPage {
    f: Frame,
    pending: usize,
    central: bool,
}

/// `/admin`: what waits and where to go.
pub fn admin_page(ctx: &Ctx, pending: usize) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let central = ctx
        .me
        .as_ref()
        .is_some_and(|m| matches!(&m.caller, tamga_app::Caller::User(u) if u.offices.is_empty()));
    render(
        &AdminPage {
            f: Frame::new(ctx, tr.t("admin-title")),
            pending,
            central,
        },
        200,
    )
}

pub(super) fn csrf(ctx: &Ctx) -> String {
    ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default()
}

/// One operator as the lists show it.
pub struct OperatorRow {
    pub eori: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub pending: bool,
    pub registered: String,
    pub decided: String,
    pub reason: String,
    /// `label: value` lines of the registration (address, contact,
    /// representative).
    pub details: Vec<(String, String)>,
    /// The reason typed into this row's refusal form, and its error.
    pub typed_reason: String,
    pub error: String,
    pub error_code: String,
    pub error_field: String,
}

fn detail_lines(ctx: &Ctx, details: &serde_json::Value) -> Vec<(String, String)> {
    let tr = ctx.tr;
    let join = |v: &serde_json::Value| -> String {
        match v {
            serde_json::Value::Object(m) => m
                .values()
                .filter_map(|x| x.as_str())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            serde_json::Value::String(s) => s.clone(),
            _ => String::new(),
        }
    };
    ["address", "contact", "representative"]
        .iter()
        .filter_map(|k| {
            let text = join(details.get(*k)?);
            (!text.is_empty()).then(|| (tr.t(&format!("admin-op-{k}")), text))
        })
        .collect()
}

fn row(ctx: &Ctx, o: &OperatorRecord, failure: Option<&Failure>) -> OperatorRow {
    let tr = ctx.tr;
    let eori = o.id.to_string();
    let mine = failure.filter(|f| f.target == eori);
    OperatorRow {
        name: o.name.clone(),
        kind: tr.t(&format!("admin-kind-{}", o.kind.as_str())),
        status: tr.t(&format!("admin-status-{}", o.status.as_str())),
        pending: o.status == OperatorStatus::Pending,
        registered: when(o.created_at),
        decided: match (&o.decided_by, o.decided_at) {
            (Some(by), Some(at)) => format!("{} · {by}", when(at)),
            _ => String::new(),
        },
        reason: o.decision_reason.clone().unwrap_or_default(),
        details: detail_lines(ctx, &o.details),
        typed_reason: mine
            .filter(|f| f.field == "reason")
            .map(|f| f.typed.clone())
            .unwrap_or_default(),
        error: mine
            .map(|f| error_message(&tr, &f.code))
            .unwrap_or_default(),
        error_code: mine.map(|f| f.code.clone()).unwrap_or_default(),
        error_field: mine.map(|f| f.field.clone()).unwrap_or_default(),
        eori,
    }
}

#[derive(Template)]
#[template(path = "staff/operators.html")]
struct OperatorsPage {
    f: Frame,
    csrf: String,
    rows: Vec<OperatorRow>,
    pager: Pager,
    /// (value, label, current) of the status filter.
    statuses: Vec<(String, String, bool)>,
    done: String,
}

/// `/admin/operators?status=…&page=…`: operators with a decision form for
/// each pending one. `failure` is a refused decision to show on its row.
pub fn operators_page(
    ctx: &Ctx,
    status: Option<OperatorStatus>,
    operators: Vec<OperatorRecord>,
    failure: Option<&Failure>,
    http_status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let page = ctx
        .param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0usize);
    let filter = status.map(|s| s.as_str()).unwrap_or("all");
    let (ops, pager) = paginate(&tr, operators, page, |p| {
        format!(
            "/admin/operators?{}",
            form_pairs([("status", filter), ("page", p.to_string().as_str())].into_iter())
        )
    });
    let statuses = ["pending", "approved", "refused", "all"]
        .iter()
        .map(|s| {
            (
                (*s).to_owned(),
                tr.t(&format!("admin-status-{s}")),
                *s == filter,
            )
        })
        .collect();
    let done = match ctx.param("done") {
        Some("approve") => tr.t1(
            "admin-op-approved",
            "eori",
            ctx.param("eori").unwrap_or_default(),
        ),
        Some("refuse") => tr.t1(
            "admin-op-refused",
            "eori",
            ctx.param("eori").unwrap_or_default(),
        ),
        _ => String::new(),
    };
    render(
        &OperatorsPage {
            f: Frame::new(ctx, tr.t("admin-operators-title")),
            csrf: csrf(ctx),
            rows: ops.iter().map(|o| row(ctx, o, failure)).collect(),
            pager,
            statuses,
            done,
        },
        http_status,
    )
}

#[derive(Template)]
#[template(path = "staff/operator.html")]
struct OperatorPage {
    f: Frame,
    csrf: String,
    o: OperatorRow,
    key_typed: String,
    key_error: String,
    key_code: String,
    key_done: String,
}

/// `/admin/operators/{eori}`: the registration, its decision, and the
/// form that registers a signing key for the operator.
pub fn operator_page(
    ctx: &Ctx,
    op: &OperatorRecord,
    failure: Option<&Failure>,
    http_status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let o = row(ctx, op, failure);
    let key = failure.filter(|f| f.field == "publicKey");
    render(
        &OperatorPage {
            f: Frame::new(ctx, tr.t1("admin-operator-title", "eori", &o.eori)),
            csrf: csrf(ctx),
            key_typed: key.map(|f| f.typed.clone()).unwrap_or_default(),
            key_error: key.map(|f| error_message(&tr, &f.code)).unwrap_or_default(),
            key_code: key.map(|f| f.code.clone()).unwrap_or_default(),
            key_done: ctx
                .param("key")
                .map(|k| tr.t1("admin-key-added", "key", k))
                .unwrap_or_default(),
            o,
        },
        http_status,
    )
}
