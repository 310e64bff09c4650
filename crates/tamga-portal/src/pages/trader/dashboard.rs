//! `/trader`: the operator's declarations by state (each a link to the
//! filtered list), the latest declarations, and links to lodge one.
//!
//! Counts are read a page at a time (at most [`CAP`] per state, shown as
//! "50+" beyond), so the dashboard stays fast however many declarations
//! an operator has.

use askama::Template;

use tamga_app::{Caller, Clearance};

use super::list::{row, Row};
use super::{state_name, Failure, STATES};
use crate::pages::{render, Frame};
use crate::{Ctx, Rendered};

/// The most declarations counted per state.
pub const CAP: u32 = 50;

#[derive(Template)]
#[template(path = "trader/dashboard.html")]
struct DashboardPage {
    f: Frame,
    operator: String,
    /// State: href, label, count text.
    states: Vec<(String, String, String)>,
    recent: Vec<Row>,
}

pub async fn dashboard(c: &Clearance, ctx: &Ctx, caller: &Caller) -> Result<Rendered, Failure> {
    let tr = ctx.tr;
    let mut states = Vec::new();
    for s in STATES {
        let n = c
            .declarations(caller, Some(vec![s]), None, CAP + 1)
            .await?
            .len();
        let count = if n > CAP as usize {
            format!("{CAP}+")
        } else {
            n.to_string()
        };
        states.push((
            format!("/trader/declarations?state={}", s.as_str()),
            state_name(&tr, s),
            count,
        ));
    }
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
            recent: recent.iter().map(|r| row(&tr, r)).collect(),
        },
        200,
    )?)
}
