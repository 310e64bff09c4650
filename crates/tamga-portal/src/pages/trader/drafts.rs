//! Declaration drafts (`/trader/drafts…`): the lodging form saved as it
//! was typed (errors and all; [`tamga_app::drafts`] keeps it for the
//! party), the party's drafts a page at a time, and a draft opened in the
//! form again, to be saved again, lodged (the normal check, sign and
//! lodge; the lodged draft is deleted) or deleted.
//!
//! A draft's body is the form's state: `{"items": n, "values": {field
//! name: typed value}}`, the same field names as the form, so a draft
//! opens exactly as it was typed.

use askama::Template;
use serde_json::{Map, Value};

use tamga_app::drafts::{DRAFTS_LIMIT, DRAFT_TOO_LARGE};
use tamga_app::{AppError, Caller, Clearance};
use tamga_core::codes::Eori;

use super::form::{all_fields, Typed, MAX_ITEMS};
use super::lodge::{check_form, form_page_with, Act, Extra};
use super::{when, Failure};
use crate::pages::form::Posted;
use crate::pages::{render, Frame};
use crate::{Ctx, Rendered, Tr};

/// Drafts per page.
pub const DRAFTS_PAGE: u32 = 20;

/// The stored body of what was typed: every non-empty field of the form.
pub fn draft_body(t: &Typed) -> String {
    let mut values = Map::new();
    for name in all_fields(t.items) {
        let v = t.get(&name);
        if !v.is_empty() {
            values.insert(name, Value::String(v.to_owned()));
        }
    }
    serde_json::json!({"items": t.items, "values": values}).to_string()
}

/// The form's state of a stored body (an unreadable one: an empty form).
pub fn draft_typed(body: &str) -> Typed {
    let doc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let items = doc["items"]
        .as_u64()
        .map_or(1, |n| usize::try_from(n).unwrap_or(1))
        .clamp(1, MAX_ITEMS);
    let values = doc["values"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Typed { values, items }
}

/// The name shown for a draft.
fn shown_name(tr: &Tr, name: &str) -> String {
    if name.is_empty() {
        tr.t("drafts-untitled")
    } else {
        name.to_owned()
    }
}

/// What saving a draft came to.
pub enum Saved {
    /// Saved: the draft's id.
    Draft(i64),
    /// Refused (too large, too many drafts): the form again with why.
    Page(Rendered),
}

/// "Save as draft" of a posted form: a new draft (`id` `None`) or draft
/// `id` saved again. A limit refused is the form again, what was typed
/// kept, with the limit's message (413 too large, 409 too many).
pub async fn save_draft(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    id: Option<i64>,
    p: &Posted,
) -> Result<Saved, Failure> {
    let typed = Typed::from_posted(p);
    let body = draft_body(&typed);
    let name = typed.get("/lrn").to_owned();
    let username = ctx
        .me
        .as_ref()
        .map(|m| m.username.clone())
        .unwrap_or_default();
    let r = match id {
        None => c
            .create_draft(caller, &username, &name, &body)
            .await
            .map(|d| d.id),
        Some(id) => c.update_draft(caller, id, &name, &body).await.map(|_| id),
    };
    let e = match r {
        Ok(id) => return Ok(Saved::Draft(id)),
        Err(e) => e,
    };
    let (code, status) = match &e {
        AppError::Conflict { code, .. } if *code == DRAFTS_LIMIT => (*code, 409),
        AppError::BadRequest { code, .. } if *code == DRAFT_TOO_LARGE => (*code, 413),
        _ => return Err(e.into()),
    };
    let act = id.map_or(Act::Lodge, Act::Draft);
    let extra = Extra {
        note: String::new(),
        errors: vec![(code.to_owned(), ctx.tr.t(&format!("api-{code}")))],
    };
    Ok(Saved::Page(form_page_with(
        ctx,
        &act,
        &typed,
        &[],
        &[],
        status,
        extra,
    )?))
}

/// `GET /trader/drafts/{id}`: the form filled with the draft.
pub async fn draft_form(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    id: i64,
) -> Result<Rendered, Failure> {
    let d = c.draft(caller, id).await?;
    let tr = ctx.tr;
    let extra = Extra {
        note: format!(
            "{} · {}",
            tr.t2(
                "drafts-note",
                ("name", &shown_name(&tr, &d.name)),
                ("saved", &when(d.updated_at)),
            ),
            tr.t1("drafts-by", "user", &d.created_by)
        ),
        errors: Vec::new(),
    };
    form_page_with(
        ctx,
        &Act::Draft(id),
        &draft_typed(&d.body),
        &[],
        &[],
        200,
        extra,
    )
}

/// `POST /trader/drafts/{id}` other than "save": "add item" or "check"
/// (then the sign page, which lodges the draft), for a draft of the
/// caller's party only.
pub async fn draft_check(
    c: &Clearance,
    ctx: &Ctx,
    caller: &Caller,
    op: &Eori,
    id: i64,
    p: &Posted,
) -> Result<Rendered, Failure> {
    c.draft(caller, id).await?;
    check_form(c, ctx, op, Act::Draft(id), p).await
}

pub(super) struct DraftRow {
    pub href: String,
    pub name: String,
    pub by: String,
    pub created: String,
    pub saved: String,
}

#[derive(Template)]
#[template(path = "trader/drafts.html")]
struct DraftsPage {
    f: Frame,
    rows: Vec<DraftRow>,
    shown: String,
    prev: String,
    next: String,
}

/// `GET /trader/drafts[?page=n]`: the party's drafts, last saved first.
pub async fn drafts(c: &Clearance, ctx: &Ctx, caller: &Caller) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let page = ctx
        .param("page")
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let list = c.drafts(caller, page, DRAFTS_PAGE).await?;
    let per = i64::from(DRAFTS_PAGE);
    let first = i64::from(page - 1) * per;
    let link = |n: u32| format!("/trader/drafts?page={n}");
    let prev = if page > 1 {
        link(page - 1)
    } else {
        String::new()
    };
    let next = if first + per < list.total {
        link(page + 1)
    } else {
        String::new()
    };
    let shown = if list.drafts.is_empty() {
        String::new()
    } else {
        tr.t2(
            "drafts-shown",
            (
                "range",
                &format!("{}–{}", first + 1, first + list.drafts.len() as i64),
            ),
            ("total", &list.total.to_string()),
        )
    };
    let rows = list
        .drafts
        .iter()
        .map(|d| DraftRow {
            href: format!("/trader/drafts/{}", d.id),
            name: shown_name(&tr, &d.name),
            by: d.created_by.clone(),
            created: when(d.created_at),
            saved: when(d.updated_at),
        })
        .collect();
    Ok(render(
        &DraftsPage {
            f: Frame::new(ctx, tr.t("drafts-title")),
            rows,
            shown,
            prev,
            next,
        },
        200,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_body_gives_back_what_was_typed() {
        let mut t = Typed {
            values: vec![],
            items: 2,
        };
        t.set("/lrn", "L-1");
        t.set("/items/1/hsCode", "84x");
        t.set("/invoice/amount", "not a number");
        t.set("/bogus", "dropped");
        let back = draft_typed(&draft_body(&t));
        assert_eq!(back.items, 2);
        assert_eq!(back.get("/lrn"), "L-1");
        assert_eq!(back.get("/items/1/hsCode"), "84x");
        assert_eq!(back.get("/invoice/amount"), "not a number");
        assert_eq!(back.get("/bogus"), "");
        let empty = draft_typed("not json");
        assert_eq!(empty.items, 1);
        assert!(empty.values.is_empty());
    }
}
