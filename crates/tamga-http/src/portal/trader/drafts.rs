//! The drafts' pages (`/trader/drafts…`, [`tamga_portal::pages::trader`]
//! `drafts`): "save as draft" of the lodging form, the party's drafts, a
//! draft opened, saved again, checked for lodging, or deleted. Every one
//! goes through [`tamga_app::drafts`], which finds only the caller's
//! party's drafts: another party's draft is the 404 page, like a
//! declaration it may not see. The lodging of a draft is
//! [`super::lodge`] with the draft's id (the hidden field `draft`).

use axum::extract::{Path, Request, State};
use axum::response::Response;

use tamga_app::Caller;
use tamga_portal::pages::error_page;
use tamga_portal::pages::form::Posted;
use tamga_portal::pages::trader::{self as pages, Saved};
use tamga_portal::Ctx;

use super::super::html;
use super::super::viewer::{posted, see_other};
use super::{answer, open, operator};
use crate::AppState;

/// A draft's id from its path (anything else: the 404 page).
#[allow(clippy::result_large_err)] // the Err is the page to answer with
fn id_of(ctx: &Ctx, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| html(error_page(ctx, 404, None), ctx.tr.lang))
}

macro_rules! id {
    ($p:expr, $raw:expr) => {
        match id_of(&$p.ctx, &$raw) {
            Ok(id) => id,
            Err(r) => return r,
        }
    };
}

/// "Save as draft": the draft's page once saved, else the form again.
pub(super) async fn save(
    s: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    id: Option<i64>,
    f: &Posted,
) -> Response {
    match pages::save_draft(&s.clearance, ctx, caller, id, f).await {
        Ok(Saved::Draft(id)) => see_other(&format!("/trader/drafts/{id}")),
        Ok(Saved::Page(page)) => answer(ctx, Ok(page)),
        Err(e) => answer(ctx, Err(e)),
    }
}

pub(super) async fn list(State(s): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    answer(&p.ctx, pages::drafts(&s.clearance, &p.ctx, &p.caller).await)
}

pub(super) async fn form(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    let id = id!(p, id);
    answer(
        &p.ctx,
        pages::draft_form(&s.clearance, &p.ctx, &p.caller, id).await,
    )
}

/// `POST /trader/drafts/{id}`: "save as draft" saves it again; "add item"
/// and "check" are the lodging form's.
pub(super) async fn post(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let p = page!(s, parts);
    let op = op!(p);
    let id = id!(p, id);
    let f = form!(body);
    if f.get("_action") == "save" {
        return save(&s, &p.ctx, &p.caller, Some(id), &f).await;
    }
    answer(
        &p.ctx,
        pages::draft_check(&s.clearance, &p.ctx, &p.caller, &op, id, &f).await,
    )
}

/// `POST /trader/drafts/{id}/deletion`: deleted, back to the list.
pub(super) async fn delete(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let p = page!(s, parts);
    let id = id!(p, id);
    match s.clearance.delete_draft(&p.caller, id).await {
        Ok(()) => see_other("/trader/drafts"),
        Err(e) => answer(&p.ctx, Err(e.into())),
    }
}
