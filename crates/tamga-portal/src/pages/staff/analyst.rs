//! The risk analyst's pages: the profiles list with hits and yield per
//! profile (`/analyst`), and a profile's page (`/analyst/profiles/{id}`)
//! with its versions and an editor of its rule in the risk language:
//! "Check" shows the parser's errors at line and column with their code,
//! keeping the text; "What would it have hit" runs the API's backtest
//! over past declarations; "Save" stores a new version; activation and
//! retirement as the API does them (unsigned there, so plain forms).

use askama::Template;
use rust_decimal::Decimal;

use tamga_app::dashboard::ProfileYieldRow;
use tamga_app::risk_admin::TestReport;
use tamga_store::risk_sql::ProfileRecord;

use super::admin::csrf;
use super::{error_message, when};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered, Tr};

pub struct ProfileRow {
    pub id: String,
    pub status: String,
    pub active: String,
    pub latest: String,
    pub channel: String,
    pub hits: String,
    pub yield_rate: String,
    pub updated: String,
}

fn pct(d: Option<Decimal>) -> String {
    d.map(|y| format!("{} %", (y * Decimal::from(100)).round_dp(1).normalize()))
        .unwrap_or_else(|| "—".to_owned())
}

#[derive(Template)]
#[template(path = "staff/profiles.html")]
struct ProfilesPage {
    f: Frame,
    rows: Vec<ProfileRow>,
}

/// `/analyst`: every profile with its hits and yield over the last 30
/// days (`yields`).
pub fn profiles_page(
    ctx: &Ctx,
    profiles: &[ProfileRecord],
    yields: &[ProfileYieldRow],
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let rows = profiles
        .iter()
        .map(|p| {
            let y = yields.iter().find(|y| y.profile_id == p.id);
            ProfileRow {
                id: p.id.clone(),
                status: tr.t(&format!("analyst-status-{}", p.status.as_str())),
                active: p.active_version.map(|v| v.to_string()).unwrap_or_default(),
                latest: p
                    .latest()
                    .map(|v| v.profile.version.to_string())
                    .unwrap_or_default(),
                channel: p
                    .latest()
                    .map(|v| tr.t(&format!("dash-channel-{}", v.profile.channel.as_str())))
                    .unwrap_or_default(),
                hits: tr.number(&y.map(|y| y.hits).unwrap_or(0).to_string()),
                yield_rate: pct(y.and_then(|y| y.yield_rate)),
                updated: when(p.updated_at),
            }
        })
        .collect();
    render(
        &ProfilesPage {
            f: Frame::new(ctx, tr.t("analyst-title")),
            rows,
        },
        200,
    )
}

/// A version as the profile page lists it.
pub struct VersionRow {
    pub version: u32,
    pub active: bool,
    pub channel: String,
    pub control: String,
    pub valid: String,
    pub by: String,
    pub rationale: String,
    pub expression: String,
}

/// What the editor shows after an act: a syntax error at a place, a
/// report of the backtest, or a refusal with its code.
#[derive(Default)]
pub struct EditorOutcome {
    /// The text as typed.
    pub expression: String,
    pub rationale: String,
    pub error_code: String,
    pub error_line: u32,
    pub error_column: u32,
    /// The parser's own message (kept as it is: it quotes the text).
    pub error_detail: String,
    pub checked_ok: bool,
    pub report: Option<TestReport>,
}

pub struct HitRow {
    pub mrn: String,
    pub registered: String,
    pub office: String,
    pub channel: String,
    /// Why the profile would hit, said in the page's language (HTML,
    /// escaped).
    pub explanation: crate::pages::risk::Said,
}

/// The parser's message in the page's language: its own text (which may
/// quote the rule) in English; in another language the API's text of its
/// code, as a client asking the API in that language reads it (without
/// the English details, so the page is never half English).
fn detail_in(tr: &Tr, code: &str, detail: String) -> String {
    if tr.lang == "en" || code.is_empty() {
        return detail;
    }
    tr.exact(&format!("api-{code}"), None, &[])
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "staff/profile.html")]
struct ProfilePage {
    f: Frame,
    csrf: String,
    id: String,
    status: String,
    is_active: bool,
    versions: Vec<VersionRow>,
    expression: String,
    rationale: String,
    error: String,
    error_code: String,
    error_place: String,
    error_detail: String,
    checked_ok: bool,
    summary: String,
    hits: Vec<HitRow>,
    done: String,
}

/// `/analyst/profiles/{id}` with the editor's `outcome`.
pub fn profile_page(
    ctx: &Ctx,
    p: &ProfileRecord,
    outcome: EditorOutcome,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let latest = p.latest();
    let versions = p
        .versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.profile.version,
            active: p.active_version == Some(v.profile.version),
            channel: tr.t(&format!("dash-channel-{}", v.profile.channel.as_str())),
            control: tr.t(&format!("analyst-control-{}", v.profile.control.as_str())),
            valid: match v.profile.valid_to {
                Some(t) => format!("{} – {t}", v.profile.valid_from),
                None => format!("{} –", v.profile.valid_from),
            },
            by: format!("{} · {}", v.created_by, when(v.created_at)),
            rationale: v.profile.rationale.clone(),
            expression: v.profile.expression.clone(),
        })
        .collect();
    let expression = if outcome.expression.is_empty() {
        latest
            .map(|v| v.profile.expression.clone())
            .unwrap_or_default()
    } else {
        outcome.expression.clone()
    };
    let rationale = if outcome.rationale.is_empty() {
        latest
            .map(|v| v.profile.rationale.clone())
            .unwrap_or_default()
    } else {
        outcome.rationale.clone()
    };
    let (summary, hits) = match &outcome.report {
        Some(r) => (
            tr.t2(
                "analyst-test-summary",
                ("hits", &tr.number(&r.hits.to_string())),
                ("examined", &tr.number(&r.declarations_examined.to_string())),
            ),
            r.sample
                .iter()
                .map(|h| HitRow {
                    mrn: h.mrn.clone(),
                    registered: when(h.registered_at),
                    office: h.office.clone(),
                    channel: tr.t(&format!("dash-channel-{}", h.channel.as_str())),
                    explanation: crate::pages::risk::profile(&tr, &h.hit),
                })
                .collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    let done = match ctx.param("done") {
        Some(d @ ("saved" | "activated" | "retired")) => tr.t(&format!("analyst-done-{d}")),
        _ => String::new(),
    };
    render(
        &ProfilePage {
            f: Frame::new(ctx, tr.t1("analyst-profile-title", "id", &p.id)),
            csrf: csrf(ctx),
            id: p.id.clone(),
            status: tr.t(&format!("analyst-status-{}", p.status.as_str())),
            is_active: p.active_version.is_some(),
            versions,
            expression,
            rationale,
            error: if outcome.error_code.is_empty() {
                String::new()
            } else {
                error_message(&tr, &outcome.error_code)
            },
            error_place: if outcome.error_line > 0 {
                tr.t2(
                    "analyst-error-place",
                    ("line", &outcome.error_line.to_string()),
                    ("column", &outcome.error_column.to_string()),
                )
            } else {
                String::new()
            },
            error_detail: detail_in(&tr, &outcome.error_code, outcome.error_detail),
            error_code: outcome.error_code,
            checked_ok: outcome.checked_ok,
            summary,
            hits,
            done,
        },
        status,
    )
}
