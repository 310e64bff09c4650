//! `/trader`: the operator's declarations by state (each a link to the
//! filtered list), the balance of its personal account (a link to
//! `/trader/account`), its unread notifications (how many, the newest
//! few linked to their declarations, and a form to mark them as read),
//! the latest declarations, and links to lodge one.
//!
//! Every figure is one indexed SQL query: the counts per state
//! ([`tamga_app::Clearance::declaration_counts`]), the balances, the
//! unread notifications counted up to a cap
//! ([`tamga_app::Clearance::unread_notifications`]), so the dashboard
//! stays fast however many declarations an operator has.

use askama::Template;

use tamga_app::clearance::UnreadNotices;
use tamga_app::{Caller, Clearance};

use super::list::{row, Row};
use super::{state_name, when, Failure, STATES};
use crate::pages::{render, Frame};
use crate::{Ctx, Rendered};

/// How many unread notifications are listed.
pub const NOTES: u32 = 5;

/// A notification as listed: what happened, when, and the declaration.
pub(super) struct Note {
    pub what: String,
    pub at: String,
    pub mrn: String,
    pub lrn: String,
}

/// A balance as shown: account, available, reserved, currency.
pub(super) struct Balance {
    pub kind: String,
    pub available: String,
    pub reserved: String,
    pub currency: String,
}

#[derive(Template)]
#[template(path = "trader/dashboard.html")]
struct DashboardPage {
    f: Frame,
    operator: String,
    /// State: href, label, count text.
    states: Vec<(String, String, String)>,
    balances: Vec<Balance>,
    notes_count: String,
    notes: Vec<Note>,
    /// The newest notification's id (the "mark as read" form), 0 when
    /// nothing is unread.
    newest: i64,
    csrf: String,
    recent: Vec<Row>,
}

fn notes(tr: &crate::Tr, u: &UnreadNotices) -> (String, Vec<Note>) {
    let count = if u.more {
        tr.t1("trader-notes-count-more", "count", &u.count.to_string())
    } else {
        tr.t1("trader-notes-count", "count", &u.count.to_string())
    };
    let list = u
        .latest
        .iter()
        .map(|n| {
            let id = format!("trader-note-{}", n.kind.as_str().replace('_', "-"));
            Note {
                what: if tr.has(&id) {
                    tr.t(&id)
                } else {
                    n.kind.as_str().to_owned()
                },
                at: when(n.at),
                mrn: n.mrn.as_ref().map(|m| m.to_string()).unwrap_or_default(),
                lrn: n.lrn.as_ref().map(|l| l.to_string()).unwrap_or_default(),
            }
        })
        .collect();
    (count, list)
}

pub async fn dashboard(c: &Clearance, ctx: &Ctx, caller: &Caller) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let counts = c.declaration_counts(caller).await?;
    let states = STATES
        .iter()
        .map(|s| {
            let n = counts
                .iter()
                .find(|(state, _)| state == s)
                .map_or(0, |c| c.1);
            (
                format!("/trader/declarations?state={}", s.as_str()),
                state_name(&tr, *s),
                tr.number(&n.to_string()),
            )
        })
        .collect();
    let balances = match caller {
        Caller::Operator(op) => c
            .accounts()
            .balances(op)
            .await
            .map_err(tamga_app::AppError::from)?
            .iter()
            .map(|a| Balance {
                kind: tr.t(&format!("acct-kind-{}", a.kind.as_str())),
                available: tr.number(&a.balances.available.to_string()),
                reserved: tr.number(&a.balances.reserved.to_string()),
                currency: a.currency.as_str().to_owned(),
            })
            .collect(),
        Caller::User(_) => Vec::new(),
    };
    let unread = c.unread_notifications(caller, NOTES).await?;
    let (notes_count, notes) = notes(&tr, &unread);
    let recent = c.declarations(caller, None, None, 5).await?;
    Ok(render(
        &DashboardPage {
            f: Frame::new(ctx, tr.t("trader-title")),
            operator: ctx
                .me
                .as_ref()
                .and_then(|m| m.operator.clone())
                .unwrap_or_default(),
            states,
            balances,
            notes_count,
            notes,
            newest: if unread.count > 0 { unread.newest } else { 0 },
            csrf: ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default(),
            recent: recent.iter().map(|r| row(&tr, r)).collect(),
        },
        200,
    )?)
}
