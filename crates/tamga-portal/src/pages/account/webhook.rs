//! `/trader/webhook`: the operator's webhook (where notifications are
//! pushed), set or removed as `PUT /api/v1/account/webhook` does, with the
//! same checks (`WEBHOOK_URL_FORBIDDEN` next to the field); the signing
//! secret of a new webhook is shown on the answer page only, once.

use askama::Template;

use super::{csrf, error_message};
use crate::pages::form::{summary, Field};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

#[derive(Template)]
#[template(path = "account/webhook.html")]
struct WebhookPage {
    f: Frame,
    csrf: String,
    current: String,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    /// The secret of the webhook just set (shown this once).
    secret: String,
    signature: String,
    notice: String,
}

/// What the webhook page shows.
#[derive(Default)]
pub struct WebhookView<'a> {
    /// The webhook in force, if any.
    pub current: Option<&'a str>,
    /// The URL typed.
    pub typed: &'a str,
    /// The setting's error code.
    pub error: Option<&'a str>,
    /// The secret of a webhook just set, and how deliveries are signed.
    pub secret: Option<(&'a str, &'a str)>,
    pub removed: bool,
}

pub fn webhook_page(ctx: &Ctx, v: &WebhookView<'_>, status: u16) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut url = Field::new("url", tr.t("hook-url"), "url")
        .hint(tr.t("hook-url-hint"))
        .value(v.typed);
    if let Some(code) = v.error {
        url.fail(code, error_message(ctx, code));
    }
    let fields = vec![url];
    render(
        &WebhookPage {
            f: Frame::new(ctx, tr.t("hook-title")),
            csrf: csrf(ctx),
            current: v.current.unwrap_or_default().to_owned(),
            summary: summary(&fields),
            fields,
            secret: v.secret.map(|s| s.0.to_owned()).unwrap_or_default(),
            signature: v.secret.map(|s| s.1.to_owned()).unwrap_or_default(),
            notice: if v.removed {
                tr.t("hook-removed")
            } else {
                String::new()
            },
        },
        status,
    )
}
