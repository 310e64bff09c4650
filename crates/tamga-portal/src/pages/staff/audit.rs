//! The audit log viewer (`/admin/audit`): entries oldest first after a
//! cursor, [`PAGE`] at a time, filtered by actor and action; the page
//! reads one more than it shows to know whether a next page exists.

use askama::Template;

use tamga_store::AuditEntry;

use super::when;
use crate::pages::{form_pairs, render, Frame, PageError};
use crate::{Ctx, Rendered};

/// Entries per page.
pub const PAGE: u32 = 50;

pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub payload: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    f: Frame,
    rows: Vec<AuditRow>,
    actor: String,
    action: String,
    next: String,
    first: String,
}

/// `entries` as read with a limit of [`PAGE`] + 1 after `after`.
pub fn audit_page(ctx: &Ctx, mut entries: Vec<AuditEntry>) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let actor = ctx.param("actor").unwrap_or_default().to_owned();
    let action = ctx.param("action").unwrap_or_default().to_owned();
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    let link = |after: i64| {
        format!(
            "/admin/audit?{}",
            form_pairs(
                [
                    ("actor", actor.as_str()),
                    ("action", action.as_str()),
                    ("after", after.to_string().as_str())
                ]
                .into_iter()
            )
        )
    };
    let next = match (more, entries.last()) {
        (true, Some(e)) => link(e.id),
        _ => String::new(),
    };
    let first = if ctx.param("after").is_some_and(|a| a != "0") {
        link(0)
    } else {
        String::new()
    };
    let rows = entries
        .into_iter()
        .map(|e| {
            let mut payload = e.payload.to_string();
            if payload.len() > 400 {
                let mut cut = 400;
                while !payload.is_char_boundary(cut) {
                    cut -= 1;
                }
                payload.truncate(cut);
                payload.push('…');
            }
            AuditRow {
                id: e.id,
                at: when(e.at),
                actor: e.actor,
                action: e.action,
                payload,
            }
        })
        .collect();
    render(
        &AuditPage {
            f: Frame::new(ctx, tr.t("admin-audit-title")),
            rows,
            actor,
            action,
            next,
            first,
        },
        200,
    )
}
