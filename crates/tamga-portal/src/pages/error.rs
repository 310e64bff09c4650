//! The error page of a browser request: a translated title and
//! explanation by status, the request id of a server error, and nothing
//! of the cause (no message, no stack trace).

use askama::Template;

use super::{Frame, NAV};
use crate::{Ctx, Rendered};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    f: Frame,
    status: u16,
    title: String,
    text: String,
    request_id: String,
}

/// The message id prefix for `status` (`error-page-404-title`, …).
pub fn error_key(status: u16) -> &'static str {
    match status {
        400 => "error-page-400",
        401 => "error-page-401",
        403 => "error-page-403",
        404 => "error-page-404",
        405 => "error-page-405",
        408 => "error-page-408",
        413 => "error-page-413",
        429 => "error-page-429",
        503 => "error-page-503",
        s if s >= 500 => "error-page-500",
        _ => "error-page-400",
    }
}

/// The error page for `status` (never fails: a template error falls back
/// to a minimal page).
pub fn error_page(ctx: &Ctx, status: u16, request_id: Option<&str>) -> Rendered {
    let tr = ctx.tr;
    let key = error_key(status);
    let title = tr.t(&format!("{key}-title"));
    let mut f = Frame::new(ctx, title.clone());
    // No page of the navigation is the current one.
    for (n, _) in f.nav.iter_mut().zip(NAV) {
        n.current = false;
    }
    let page = ErrorPage {
        f,
        status,
        title: title.clone(),
        text: tr.t(&format!("{key}-text")),
        request_id: request_id.unwrap_or_default().to_owned(),
    };
    let html = page.render().unwrap_or_else(|_| {
        format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1></body></html>")
    });
    Rendered { status, html }
}
