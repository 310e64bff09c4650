//! The service status page: whether the database answers, which backend,
//! the version, how long this instance has run and the tariff in use.

use askama::Template;

use super::{render, Frame, PageError};
use crate::{Ctx, Portal, Rendered, Tr};

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    f: Frame,
    healthy: bool,
    database: String,
    backend: String,
    version: String,
    uptime: String,
    tariff: String,
}

/// `3 d 4 h 5 min` in the page's language.
pub fn uptime_text(tr: &Tr, secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(tr.t1("status-days", "n", &d.to_string()));
    }
    if d > 0 || h > 0 {
        parts.push(tr.t1("status-hours", "n", &h.to_string()));
    }
    parts.push(tr.t1("status-minutes", "n", &m.to_string()));
    parts.join(" ")
}

pub(super) async fn page(portal: &Portal, ctx: &Ctx) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let store = portal.clearance().store();
    let healthy = store.ping().await.is_ok();
    render(
        &StatusPage {
            f: Frame::new(ctx, tr.t("status-title")),
            healthy,
            database: if healthy {
                tr.t("status-database-ok")
            } else {
                tr.t("status-database-down")
            },
            backend: store.backend().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            uptime: uptime_text(&tr, portal.uptime().as_secs()),
            tariff: portal
                .clearance()
                .tariff()
                .map(|t| t.name.clone())
                .unwrap_or_else(|| tr.t("calc-no-tariff")),
        },
        if healthy { 200 } else { 503 },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn uptime_reads_in_each_language() {
        let en = crate::Tr::new("en");
        assert_eq!(super::uptime_text(&en, 59), "0 min");
        assert_eq!(
            super::uptime_text(&en, 3 * 86_400 + 4 * 3600 + 5 * 60),
            "3 d 4 h 5 min"
        );
        let ru = crate::Tr::new("ru");
        assert_eq!(super::uptime_text(&ru, 3600), "1 ч 0 мин");
    }
}
