//! `/trader/declarations`: the operator's declarations, newest first,
//! filtered by state, a page at a time (the API's list service with the
//! `before` cursor: never more than a page is read).

use askama::Template;

use tamga_app::{AppError, Caller, Clearance};
use tamga_core::codes::Mrn;
use tamga_core::lifecycle::State;

use super::{channel_name, state_name, when, Failure, STATES};
use crate::pages::{form_pairs, render, Frame};
use crate::{Ctx, Rendered};

/// Declarations per page.
pub const PAGE: u32 = 25;

pub(super) struct Row {
    pub mrn: String,
    pub lrn: String,
    pub declarant: String,
    pub state: String,
    pub channel: String,
    pub registered: String,
}

pub(super) fn row(tr: &crate::Tr, r: &tamga_store::DeclarationRecord) -> Row {
    Row {
        mrn: r.mrn.to_string(),
        lrn: r.lrn.to_string(),
        declarant: r.declarant.to_string(),
        state: state_name(tr, r.state),
        channel: channel_name(tr, r.channel),
        registered: when(r.registered_at),
    }
}

#[derive(Template)]
#[template(path = "trader/list.html")]
struct ListPage {
    f: Frame,
    /// Filter links: href, label, current.
    filters: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    next: String,
}

pub async fn list(c: &Clearance, ctx: &Ctx, caller: &Caller) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let state = ctx.param("state").and_then(State::parse);
    let before = match ctx.param("before").filter(|b| !b.is_empty()) {
        Some(b) => Some(Mrn::parse(b).map_err(|e| AppError::BadRequest {
            code: "QUERY_BEFORE",
            pointer: "/before".into(),
            message: e.to_string(),
        })?),
        None => None,
    };
    let mut list = c
        .declarations(caller, state.map(|s| vec![s]), before, PAGE + 1)
        .await?;
    let more = list.len() > PAGE as usize;
    list.truncate(PAGE as usize);
    let next = match (more, list.last()) {
        (true, Some(last)) => {
            let mut q = vec![("before", last.mrn.as_str())];
            if let Some(s) = state {
                q.push(("state", s.as_str()));
            }
            format!("/trader/declarations?{}", form_pairs(q.into_iter()))
        }
        _ => String::new(),
    };
    let mut filters = vec![(
        "/trader/declarations".to_owned(),
        tr.t("trader-all-states"),
        state.is_none(),
    )];
    filters.extend(STATES.iter().map(|s| {
        (
            format!("/trader/declarations?state={}", s.as_str()),
            state_name(&tr, *s),
            state == Some(*s),
        )
    }));
    Ok(render(
        &ListPage {
            f: Frame::new(ctx, tr.t("trader-list-title")),
            filters,
            rows: list.iter().map(|r| row(&tr, r)).collect(),
            next,
        },
        200,
    )?)
}
