//! `/me/tokens`: my API tokens (an operator user's are the operator's),
//! as `GET /api/v1/account/tokens` lists them (never a secret), a form
//! that creates one (its secret shown on the answer page only, once) and
//! revoking one.

use askama::Template;
use tamga_app::identity::tokens::{IssuedToken, TokenView};

use super::{csrf, error_message, when};
use crate::pages::form::{summary, Field, Posted};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// A token as the table shows it.
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub active: bool,
    pub created: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    f: Frame,
    csrf: String,
    rows: Vec<TokenRow>,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    /// A token just created: its name and secret (shown this once).
    created: Option<(String, String)>,
    notice: String,
}

/// What the page shows besides the list.
#[derive(Default)]
pub struct TokensView<'a> {
    /// The form as typed.
    pub posted: Option<&'a Posted>,
    /// The creation's error: code and field (`name`, `expiresInDays`).
    pub error: Option<(&'a str, &'a str)>,
    pub created: Option<&'a IssuedToken>,
    /// The id of a token just revoked.
    pub revoked: Option<&'a str>,
}

pub fn tokens_page(
    ctx: &Ctx,
    tokens: &[TokenView],
    v: &TokensView<'_>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let rows = tokens
        .iter()
        .map(|t| TokenRow {
            id: t.id.clone(),
            name: t.name.clone(),
            status: tr.t(&format!("tok-status-{}", t.status)),
            active: t.status == "active",
            created: when(t.created_at),
            expires: t.expires_at.map(when).unwrap_or_default(),
        })
        .collect();
    let typed = |n: &str| v.posted.map(|p| p.get(n).to_owned()).unwrap_or_default();
    let mut fields = vec![
        Field::new("name", tr.t("tok-name"), "text")
            .hint(tr.t("tok-name-hint"))
            .value(&typed("name"))
            .required(),
        Field::new("expiresInDays", tr.t("tok-days"), "number")
            .hint(tr.t("tok-days-hint"))
            .value(&typed("expiresInDays")),
    ];
    if let Some((code, field)) = v.error {
        let i = usize::from(field == "expiresInDays");
        fields[i].fail(code, error_message(ctx, code));
    }
    render(
        &TokensPage {
            f: Frame::new(ctx, tr.t("tok-title")),
            csrf: csrf(ctx),
            rows,
            summary: summary(&fields),
            fields,
            created: v.created.map(|t| (t.token.name.clone(), t.secret.clone())),
            notice: v
                .revoked
                .map(|id| tr.t1("tok-revoked-done", "id", id))
                .unwrap_or_default(),
        },
        status,
    )
}
