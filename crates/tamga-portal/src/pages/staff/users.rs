//! The administrator's user pages: the list (`/admin/users`, filtered by
//! role and office, in pages), a new customs user (`/admin/users/new`:
//! its one-time password shown once), and a user's page
//! (`/admin/users/{username}`: roles, offices, activity, second factor,
//! and a first signing key).
//!
//! What an office administrator sees is decided by the service
//! (`tamga_app::identity::people`): the lists here are what it returned.

use askama::Template;

use tamga_store::{Role, UserRecord};

use super::admin::{csrf, Failure};
use super::{error_message, paginate, role_name, when, Pager};
use crate::pages::form::{summary, Field, Posted};
use crate::pages::{form_pairs, render, Frame, PageError};
use crate::{Ctx, Rendered};

/// One user as the list shows it.
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub roles: String,
    pub offices: String,
    pub operator: String,
    pub active: String,
    pub second_factor: String,
}

fn yes_no(ctx: &Ctx, b: bool) -> String {
    ctx.tr.t(if b { "staff-yes" } else { "staff-no" })
}

pub(super) fn user_row(ctx: &Ctx, u: &UserRecord) -> UserRow {
    let tr = ctx.tr;
    UserRow {
        username: u.user.username.clone(),
        name: u.user.name.clone(),
        roles: u
            .user
            .roles
            .iter()
            .map(|r| role_name(&tr, *r))
            .collect::<Vec<_>>()
            .join(", "),
        offices: u
            .user
            .offices
            .iter()
            .map(|o| o.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        operator: u
            .user
            .operator
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default(),
        active: yes_no(ctx, u.user.active),
        second_factor: if u.totp_enabled {
            tr.t("admin-2fa-on")
        } else if u.totp_required {
            tr.t("admin-2fa-required")
        } else {
            tr.t("admin-2fa-off")
        },
    }
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    f: Frame,
    rows: Vec<UserRow>,
    pager: Pager,
    roles: Vec<(String, String, bool)>,
    office: String,
}

/// `/admin/users?role=…&office=…&page=…`.
pub fn users_page(ctx: &Ctx, users: Vec<UserRecord>) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let role = ctx.param("role").unwrap_or_default().to_owned();
    let office = ctx.param("office").unwrap_or_default().to_owned();
    let page = ctx
        .param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0usize);
    let (users, pager) = paginate(&tr, users, page, |p| {
        format!(
            "/admin/users?{}",
            form_pairs(
                [
                    ("role", role.as_str()),
                    ("office", office.as_str()),
                    ("page", p.to_string().as_str())
                ]
                .into_iter()
            )
        )
    });
    let roles = Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                role_name(&tr, *r),
                r.as_str() == role,
            )
        })
        .collect();
    render(
        &UsersPage {
            f: Frame::new(ctx, tr.t("admin-users-title")),
            rows: users.iter().map(|u| user_row(ctx, u)).collect(),
            pager,
            roles,
            office,
        },
        200,
    )
}

/// A role checkbox: value, label, checked.
pub type RoleBox = (String, String, bool);

fn role_boxes(ctx: &Ctx, checked: &[String]) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_owned(),
                role_name(&ctx.tr, *r),
                checked.iter().any(|c| c == r.as_str()),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "staff/user_new.html")]
struct NewUserPage {
    f: Frame,
    csrf: String,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    roles: Vec<RoleBox>,
    roles_error: String,
    totp_required: bool,
}

/// The fields of the new-user form, in order (form name = the API's JSON
/// name).
pub const NEW_USER_FIELDS: &[&str] = &["username", "name", "offices", "operator", "email"];

/// `/admin/users/new`: the form; `posted` keeps what was typed and
/// `failure` names the refused field (`roles` for the role boxes).
pub fn new_user_page(
    ctx: &Ctx,
    posted: &Posted,
    failure: Option<&Failure>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut fields: Vec<Field> = NEW_USER_FIELDS
        .iter()
        .map(|n| {
            let mut f = Field::new(n, tr.t(&format!("admin-user-{n}")), "text")
                .value(posted.get(n))
                .hint(tr.t(&format!("admin-user-{n}-hint")));
            if *n == "username" || *n == "name" {
                f = f.required();
            }
            if *n == "email" {
                f.kind = "email";
            }
            f
        })
        .collect();
    let mut roles_error = String::new();
    if let Some(fl) = failure {
        let msg = error_message(&tr, &fl.code);
        match fields.iter_mut().find(|f| f.name == fl.field) {
            Some(f) => f.fail(&fl.code, msg),
            None => roles_error = format!("{msg} ({})", fl.code),
        }
    }
    let checked: Vec<String> = posted.all("roles").map(str::to_owned).collect();
    render(
        &NewUserPage {
            f: Frame::new(ctx, tr.t("admin-user-new-title")),
            csrf: csrf(ctx),
            summary: summary(&fields),
            fields,
            roles: role_boxes(ctx, &checked),
            roles_error,
            totp_required: posted.get("totpRequired") == "on",
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "staff/user_created.html")]
struct CreatedPage {
    f: Frame,
    u: UserRow,
    password: String,
}

/// The created user and its one-time password (shown this once).
pub fn created_page(ctx: &Ctx, u: &UserRecord, password: &str) -> Result<Rendered, PageError> {
    render(
        &CreatedPage {
            f: Frame::new(ctx, ctx.tr.t("admin-user-created-title")),
            u: user_row(ctx, u),
            password: password.to_owned(),
        },
        201,
    )
}

#[derive(Template)]
#[template(path = "staff/user.html")]
struct UserPage {
    f: Frame,
    csrf: String,
    u: UserRow,
    created: String,
    email: String,
    offices: String,
    roles: Vec<RoleBox>,
    active: bool,
    totp_required: bool,
    error: String,
    error_code: String,
    error_field: String,
    key_typed: String,
    done: String,
    /// The change form's errors are shown above it, not at the boxes.
    roles_error: String,
}

/// `/admin/users/{username}`: the user, the change form (what was typed
/// kept when a change is refused) and the key form.
pub fn user_page(
    ctx: &Ctx,
    u: &UserRecord,
    posted: Option<&Posted>,
    failure: Option<&Failure>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let (roles, offices, email, active, totp_required) = match posted {
        Some(p) if failure.is_some_and(|f| f.field != "publicKey") => (
            p.all("roles").map(str::to_owned).collect::<Vec<_>>(),
            p.get("offices").to_owned(),
            p.get("email").to_owned(),
            p.get("active") == "on",
            p.get("totpRequired") == "on",
        ),
        _ => (
            u.user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            u.user
                .offices
                .iter()
                .map(|o| o.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            u.email.clone().unwrap_or_default(),
            u.user.active,
            u.totp_required,
        ),
    };
    let done = match ctx.param("done") {
        Some("saved") => tr.t("admin-user-saved"),
        Some("key") => tr.t1(
            "admin-key-added",
            "key",
            ctx.param("key").unwrap_or_default(),
        ),
        _ => String::new(),
    };
    render(
        &UserPage {
            f: Frame::new(ctx, tr.t1("admin-user-title", "username", &u.user.username)),
            csrf: csrf(ctx),
            u: user_row(ctx, u),
            created: when(u.user.created_at),
            email,
            offices,
            roles: role_boxes(ctx, &roles),
            active,
            totp_required,
            error: failure
                .map(|f| error_message(&tr, &f.code))
                .unwrap_or_default(),
            error_code: failure.map(|f| f.code.clone()).unwrap_or_default(),
            error_field: failure.map(|f| f.field.clone()).unwrap_or_default(),
            key_typed: failure
                .filter(|f| f.field == "publicKey")
                .map(|f| f.typed.clone())
                .unwrap_or_default(),
            done,
            roles_error: String::new(),
        },
        status,
    )
}
