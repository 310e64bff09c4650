//! The administrator's offices: `/admin/offices` (the offices it
//! administers, with their staff counted) and `/admin/offices/{code}`
//! (the staff of one office). What an office administrator sees is the
//! service's (`tamga_app::identity::people::office_staffing` and
//! `office_staff`, the API's `GET /api/v1/admin/offices/{office}/staff`):
//! its own offices only.

use askama::Template;

use tamga_app::identity::people::OfficeStaffing;
use tamga_core::reference::Office;
use tamga_store::UserRecord;

use super::users::{user_row, UserRow};
use crate::pages::{render, Frame, PageError};
use crate::{Ctx, Rendered};

/// An office as the list shows it.
pub struct OfficeRow {
    pub code: String,
    pub name: String,
    pub place: String,
    pub roles: String,
    pub users: String,
    pub active: String,
}

#[derive(Template)]
#[template(path = "staff/offices.html")]
struct OfficesPage {
    f: Frame,
    rows: Vec<OfficeRow>,
    total: String,
}

fn place(o: &Office) -> String {
    format!("{}, {}", o.city, o.country)
}

/// `/admin/offices`.
pub fn offices_page(ctx: &Ctx, offices: &[OfficeStaffing]) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let rows = offices
        .iter()
        .map(|s| OfficeRow {
            code: s.office.code.clone(),
            name: s.office.name.clone(),
            place: place(&s.office),
            roles: s.office.roles.join(", "),
            users: tr.number(&s.users.to_string()),
            active: tr.number(&s.active.to_string()),
        })
        .collect();
    let total: u64 = offices.iter().map(|s| s.users).sum();
    render(
        &OfficesPage {
            f: Frame::new(ctx, tr.t("admin-offices-title")),
            rows,
            total: tr.t2(
                "admin-offices-count",
                ("offices", &tr.number(&offices.len().to_string())),
                ("users", &tr.number(&total.to_string())),
            ),
        },
        200,
    )
}

#[derive(Template)]
#[template(path = "staff/office.html")]
struct OfficePage {
    f: Frame,
    place: String,
    rows: Vec<UserRow>,
}

/// `/admin/offices/{code}`: the office and its staff.
pub fn office_page(
    ctx: &Ctx,
    office: &Office,
    staff: &[UserRecord],
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    render(
        &OfficePage {
            f: Frame::new(
                ctx,
                tr.t2(
                    "admin-office-title",
                    ("code", &office.code),
                    ("name", &office.name),
                ),
            ),
            place: place(office),
            rows: staff.iter().map(|u| user_row(ctx, u)).collect(),
        },
        200,
    )
}
