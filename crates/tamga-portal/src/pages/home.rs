//! The home page: what tamga is and where to go.

use askama::Template;

use super::{render, Frame, PageError};
use crate::{Ctx, Portal, Rendered};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    f: Frame,
    /// "Tariff in use: …".
    tariff: Option<String>,
}

pub(super) async fn page(portal: &Portal, ctx: &Ctx) -> Result<Rendered, PageError> {
    let tariff = portal
        .clearance()
        .tariff()
        .map(|t| ctx.tr.t1("home-tariff-in-use", "name", &t.name));
    render(
        &Home {
            f: Frame::new(ctx, ctx.tr.t("home-title")),
            tariff,
        },
        200,
    )
}
