//! Lodging, amending and invalidating: the declaration form (or a file
//! upload), step 1 "Check" (the service's dry run, [`Clearance::check`]:
//! the same control as lodging, every message next to its field, what
//! was typed kept), step 2 "Sign and lodge" (the exact compact JSON the
//! browser signs, `static/sign.js`; the private key never leaves it).

use askama::Template;
use serde_json::{json, Value};

use tamga_app::{Caller, Clearance};
use tamga_core::codes::{Eori, Mrn};
use tamga_core::control::Violation;
use tamga_store::Role;

use super::form::{label_id, place, Typed, HEADER, ITEM, MAX_ITEMS};
use super::Failure;
use crate::pages::form::{summary, Field, Posted};
use crate::pages::{render, Frame};
use crate::{Ctx, Rendered, Tr};

/// The signed act a sign page sends.
#[derive(Debug, Clone)]
pub enum Act {
    Lodge,
    /// Lodging the draft with this id (deleted once lodged).
    Draft(i64),
    Amend(Mrn),
    Invalidate(Mrn),
}

impl Act {
    /// Where the signed form goes.
    fn action(&self) -> String {
        match self {
            Act::Lodge | Act::Draft(_) => "/trader/declarations".into(),
            Act::Amend(m) => format!("/trader/declarations/{m}/amendments"),
            Act::Invalidate(m) => format!("/trader/declarations/{m}/invalidation"),
        }
    }

    /// Where the form that leads to it is.
    fn form_action(&self) -> String {
        match self {
            Act::Lodge => "/trader/declarations/new".into(),
            Act::Draft(id) => format!("/trader/drafts/{id}"),
            Act::Amend(m) => format!("/trader/declarations/{m}/amend"),
            Act::Invalidate(m) => format!("/trader/declarations/{m}/invalidate"),
        }
    }
}

#[derive(Template)]
#[template(path = "trader/form.html")]
struct FormPage {
    f: Frame,
    heading: String,
    action: String,
    csrf: String,
    /// Whether the upload section is offered (lodging only).
    upload: bool,
    /// Whether "save as draft" is offered (lodging, from a draft or not).
    save: bool,
    /// The draft's delete form's action ("" when not a draft).
    delete: String,
    /// What the page says of the draft it shows ("" when none).
    note: String,
    groups: Vec<(String, Vec<Field>)>,
    items: Vec<(String, Vec<Field>)>,
    item_count: usize,
    can_add: bool,
    summary: Vec<(String, String)>,
    /// Violations about no field: code and text.
    general: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "trader/sign.html")]
struct SignPage {
    f: Frame,
    heading: String,
    action: String,
    back: String,
    csrf: String,
    username: String,
    facts: Vec<(String, String)>,
    warnings: Vec<(String, String)>,
    body: String,
    /// The draft lodged by this act ("" when none).
    draft: String,
}

#[derive(Template)]
#[template(path = "trader/invalidate.html")]
struct InvalidatePage {
    f: Frame,
    mrn: String,
    action: String,
    csrf: String,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
}

fn csrf(ctx: &Ctx) -> String {
    ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default()
}

/// The form page of `typed` with `violations` placed.
fn form_page(
    ctx: &Ctx,
    act: &Act,
    typed: &Typed,
    violations: &[Violation],
    rows: &[usize],
    status: u16,
) -> Result<Rendered, Failure> {
    form_page_with(ctx, act, typed, violations, rows, status, Extra::default())
}

/// What a form page shows besides the fields: a note on the draft, and
/// errors about no field (code, text).
#[derive(Debug, Clone, Default)]
pub(super) struct Extra {
    pub note: String,
    pub errors: Vec<(String, String)>,
}

/// [`form_page`] with a note and more errors.
pub(super) fn form_page_with(
    ctx: &Ctx,
    act: &Act,
    typed: &Typed,
    violations: &[Violation],
    rows: &[usize],
    status: u16,
    extra: Extra,
) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let (fields, mut general) = place(&tr, typed, violations, rows);
    general.extend(extra.errors);
    let mut all = fields.clone();
    let mut take = |names: &mut dyn Iterator<Item = String>| -> Vec<Field> {
        names
            .filter_map(|n| all.iter().position(|f| f.name == n).map(|i| all.remove(i)))
            .collect()
    };
    let groups = HEADER
        .iter()
        .map(|(legend, fs)| {
            (
                tr.t(legend),
                take(&mut fs.iter().map(|(p, _)| (*p).to_owned())),
            )
        })
        .collect();
    let items = (0..typed.items)
        .map(|i| {
            (
                tr.t1("trader-item-legend", "n", &(i + 1).to_string()),
                take(&mut ITEM.iter().map(|(p, _)| format!("/items/{i}{p}"))),
            )
        })
        .collect();
    let s = summary(&fields);
    let heading = match act {
        Act::Amend(m) => tr.t1("trader-amend-title", "mrn", m.as_str()),
        Act::Draft(_) => tr.t("drafts-form-title"),
        _ => tr.t("trader-new-title"),
    };
    Ok(render(
        &FormPage {
            f: Frame::new(ctx, heading.clone()),
            heading,
            action: act.form_action(),
            csrf: csrf(ctx),
            upload: matches!(act, Act::Lodge),
            save: matches!(act, Act::Lodge | Act::Draft(_)),
            delete: match act {
                Act::Draft(id) => format!("/trader/drafts/{id}/deletion"),
                _ => String::new(),
            },
            note: extra.note,
            groups,
            items,
            item_count: typed.items,
            can_add: typed.items < MAX_ITEMS,
            summary: s,
            general,
        },
        status,
    )?)
}

/// `GET /trader/declarations/new`: an empty form, the declarant (or, for
/// a broker, the representative) filled with the operator.
pub fn new_form(ctx: &Ctx) -> Result<Rendered, Failure> {
    let mut t = Typed {
        values: Vec::new(),
        items: 1,
    };
    t.set("/type", "IM");
    t.set("/additionalType", "standard");
    t.set("/procedure", "4000");
    if let Some(me) = &ctx.me {
        let op = me.operator.clone().unwrap_or_default();
        if me.has(Role::Broker) {
            t.set("/representative/id", &op);
            t.set("/representative/name", &me.display_name);
            t.set("/representative/kind", "direct");
        } else {
            t.set("/declarant/id", &op);
        }
    }
    form_page(ctx, &Act::Lodge, &t, &[], &[], 200)
}

/// The facts a sign page shows of a declaration.
fn facts(tr: &Tr, doc: &Value) -> Vec<(String, String)> {
    let s = |p: &str| match doc.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    vec![
        (tr.t(&label_id("/lrn")), s("/lrn")),
        (tr.t(&label_id("/type")), s("/type")),
        (tr.t(&label_id("/declarant/id")), s("/declarant/id")),
        (
            tr.t(&label_id("/declarationOffice")),
            s("/declarationOffice"),
        ),
        (
            tr.t("trader-items-count"),
            doc["items"].as_array().map_or(0, Vec::len).to_string(),
        ),
        (
            tr.t(&label_id("/invoice/amount")),
            format!(
                "{} {}",
                tr.number(&s("/invoice/amount")),
                s("/invoice/currency")
            ),
        ),
    ]
}

fn sign_page(
    ctx: &Ctx,
    act: &Act,
    facts: Vec<(String, String)>,
    warnings: &[Violation],
    body: String,
) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let heading = match act {
        Act::Lodge | Act::Draft(_) => tr.t("trader-sign-lodge"),
        Act::Amend(m) => tr.t1("trader-sign-amend", "mrn", m.as_str()),
        Act::Invalidate(m) => tr.t1("trader-sign-invalidate", "mrn", m.as_str()),
    };
    Ok(render(
        &SignPage {
            f: Frame::new(ctx, heading.clone()),
            heading,
            action: act.action(),
            back: act.form_action(),
            csrf: csrf(ctx),
            username: ctx
                .me
                .as_ref()
                .map(|m| m.username.clone())
                .unwrap_or_default(),
            facts,
            draft: match act {
                Act::Draft(id) => id.to_string(),
                _ => String::new(),
            },
            warnings: warnings
                .iter()
                .map(|v| (v.code.clone(), super::form::violation_text(&tr, v)))
                .collect(),
            body,
        },
        200,
    )?)
}

/// A posted declaration form: "add item" shows one more item; "check"
/// runs the dry run and shows the errors (422) or the sign page.
pub(super) async fn check_form(
    c: &Clearance,
    ctx: &Ctx,
    op: &Eori,
    act: Act,
    p: &Posted,
) -> Result<Rendered, Failure> {
    let mut typed = Typed::from_posted(p);
    if p.get("_action") == "add-item" {
        typed.items = (typed.items + 1).min(MAX_ITEMS);
        return form_page(ctx, &act, &typed, &[], &[], 200);
    }
    let (doc, rows) = typed.to_json();
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    let report = c.check(op, &bytes).await?;
    if report.has_errors() {
        return form_page(ctx, &act, &typed, &report.violations, &rows, 422);
    }
    let tr = ctx.tr;
    let body = match &act {
        Act::Amend(m) => json!({"mrn": m.as_str(), "declaration": doc}).to_string(),
        _ => doc.to_string(),
    };
    sign_page(ctx, &act, facts(&tr, &doc), &report.violations, body)
}

/// `POST /trader/declarations/new`.
pub async fn lodge_check(
    c: &Clearance,
    ctx: &Ctx,
    op: &Eori,
    p: &Posted,
) -> Result<Rendered, Failure> {
    check_form(c, ctx, op, Act::Lodge, p).await
}

/// `POST /trader/declarations/{mrn}/amend`.
pub async fn amend_check(
    c: &Clearance,
    ctx: &Ctx,
    op: &Eori,
    mrn: Mrn,
    p: &Posted,
) -> Result<Rendered, Failure> {
    check_form(c, ctx, op, Act::Amend(mrn), p).await
}

/// `POST /trader/declarations/upload`: a declaration file, checked like
/// the form; its errors are listed with their pointers (422).
pub async fn upload_check(
    c: &Clearance,
    ctx: &Ctx,
    op: &Eori,
    file: &[u8],
) -> Result<Rendered, Failure> {
    let report = c.check(op, file).await?;
    let doc: Value = serde_json::from_slice(file).unwrap_or(Value::Null);
    if report.has_errors() {
        let typed = if doc.is_object() {
            Typed::from_json(&doc)
        } else {
            Typed {
                values: Vec::new(),
                items: 1,
            }
        };
        let rows: Vec<usize> = (0..typed.items).collect();
        return form_page(ctx, &Act::Lodge, &typed, &report.violations, &rows, 422);
    }
    sign_page(
        ctx,
        &Act::Lodge,
        facts(&ctx.tr, &doc),
        &report.violations,
        doc.to_string(),
    )
}

/// A signed lodging or amendment the service refused: the form again,
/// filled from the signed JSON, with every violation (422).
pub fn lodge_failed(
    ctx: &Ctx,
    act: Act,
    body: &str,
    violations: &[Violation],
) -> Result<Rendered, Failure> {
    let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let (doc, prefix) = match &act {
        Act::Amend(_) => (doc["declaration"].clone(), "/declaration"),
        _ => (doc, ""),
    };
    let typed = Typed::from_json(&doc);
    let rows: Vec<usize> = (0..typed.items).collect();
    let violations: Vec<Violation> = violations
        .iter()
        .map(|v| {
            let mut v = v.clone();
            if let Some(rest) = v.pointer.strip_prefix(prefix) {
                v.pointer = rest.to_owned();
            }
            v
        })
        .collect();
    form_page(ctx, &act, &typed, &violations, &rows, 422)
}

/// `GET /trader/declarations/{mrn}/amend`: the form filled with the
/// current version.
pub async fn amend_form(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    mrn: Mrn,
) -> Result<Rendered, Failure> {
    let r = c.declaration(caller, &mrn).await?;
    let doc = serde_json::to_value(&r.declaration).unwrap_or(Value::Null);
    let typed = Typed::from_json(&doc);
    form_page(ctx, &Act::Amend(mrn), &typed, &[], &[], 200)
}

/// `GET`/`POST /trader/declarations/{mrn}/invalidate`: the reason, then
/// the sign page of `{"mrn","reason"}` (an empty reason: 422 next to it).
pub async fn invalidate_form(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    mrn: Mrn,
    posted: Option<&Posted>,
) -> Result<Rendered, Failure> {
    c.declaration(caller, &mrn).await?;
    let tr = ctx.tr;
    let typed = posted
        .map(|p| p.get("reason").to_owned())
        .unwrap_or_default();
    let mut reason = Field::new("reason", tr.t("trader-reason"), "text")
        .hint(tr.t("trader-reason-hint"))
        .value(&typed)
        .required();
    if posted.is_some() {
        if typed.trim().is_empty() {
            reason.fail("REASON_REQUIRED", tr.t("trader-reason-required"));
        } else {
            let body = json!({"mrn": mrn.as_str(), "reason": typed.trim()}).to_string();
            let facts = vec![
                ("MRN".to_owned(), mrn.to_string()),
                (tr.t("trader-reason"), typed.trim().to_owned()),
            ];
            return sign_page(ctx, &Act::Invalidate(mrn), facts, &[], body);
        }
    }
    let status = if reason.invalid() { 422 } else { 200 };
    let summary = summary(std::slice::from_ref(&reason));
    Ok(render(
        &InvalidatePage {
            f: Frame::new(ctx, tr.t1("trader-invalidate-title", "mrn", mrn.as_str())),
            mrn: mrn.to_string(),
            action: Act::Invalidate(mrn).form_action(),
            csrf: csrf(ctx),
            fields: vec![reason],
            summary,
        },
        status,
    )?)
}
