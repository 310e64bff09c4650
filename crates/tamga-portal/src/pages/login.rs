//! Logging in and the person's own page: the login form (user name and
//! password), the second-factor form (a TOTP code), the forced password
//! change, and `/me` (who I am, my roles, links to my work areas).
//!
//! The HTTP layer does the acts (`tamga_app::identity::login`); these
//! only render. The login form carries a login-CSRF token (a random value
//! also set as a `SameSite=Strict` cookie, compared on POST), so another
//! site cannot log a browser into someone else's account.

use askama::Template;

use super::form::{summary, Field};
use super::{render, Frame, PageError, AREAS};
use crate::{Ctx, Rendered, CSRF_FIELD};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    /// An error about the whole form (wrong credentials, locked).
    form_error: String,
    csrf_field: &'static str,
    csrf: String,
    next: String,
}

/// What the login form shows.
#[derive(Debug, Clone, Default)]
pub struct LoginForm {
    pub username: String,
    /// The login-CSRF token of the form.
    pub csrf: String,
    pub next: String,
    /// The error code and its translated message, if the last try failed.
    pub error: Option<(String, String)>,
}

/// The message of an identity error code in the page's language.
pub fn identity_message(ctx: &Ctx, code: &str) -> String {
    let id = format!("login-error-{code}");
    if ctx.tr.has(&id) {
        ctx.tr.t(&id)
    } else {
        ctx.tr.t1("page-error-generic", "code", code)
    }
}

pub fn login_page(ctx: &Ctx, form: &LoginForm, status: u16) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let fields = vec![
        Field::new("username", tr.t("login-username"), "text")
            .value(&form.username)
            .autocomplete("username")
            .required(),
        Field::new("password", tr.t("login-password"), "password")
            .autocomplete("current-password")
            .required(),
    ];
    let form_error = form
        .error
        .as_ref()
        .map(|(code, msg)| format!("{msg} ({code})"))
        .unwrap_or_default();
    render(
        &LoginPage {
            f: Frame::new(ctx, tr.t("login-title")),
            summary: summary(&fields),
            fields,
            form_error,
            csrf_field: CSRF_FIELD,
            csrf: form.csrf.clone(),
            next: form.next.clone(),
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    f: Frame,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    csrf_field: &'static str,
    csrf: String,
    next: String,
}

/// The second-factor form; `error` is the last try's code and message.
pub fn totp_page(
    ctx: &Ctx,
    next: &str,
    error: Option<(&str, String)>,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut code = Field::new("code", tr.t("totp-code"), "text")
        .hint(tr.t("totp-code-hint"))
        .autocomplete("one-time-code")
        .required();
    if let Some((c, m)) = error {
        code.fail(c, m);
    }
    let fields = vec![code];
    render(
        &TotpPage {
            f: Frame::new(ctx, tr.t("totp-title")),
            summary: summary(&fields),
            fields,
            csrf_field: CSRF_FIELD,
            csrf: ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default(),
            next: next.to_owned(),
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    f: Frame,
    fields: Vec<Field>,
    summary: Vec<(String, String)>,
    csrf_field: &'static str,
    csrf: String,
    done: bool,
}

/// The password change form; `error` names the field (`current` or
/// `new`), the code and the message.
pub fn password_page(
    ctx: &Ctx,
    error: Option<(&str, &str, String)>,
    done: bool,
    status: u16,
) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let mut fields = vec![
        Field::new("current", tr.t("password-current"), "password")
            .autocomplete("current-password")
            .required(),
        Field::new("new", tr.t("password-new"), "password")
            .hint(tr.t("password-new-hint"))
            .autocomplete("new-password")
            .required(),
    ];
    if let Some((name, code, msg)) = error {
        if let Some(f) = fields.iter_mut().find(|f| f.name == name) {
            f.fail(code, msg);
        }
    }
    render(
        &PasswordPage {
            f: Frame::new(ctx, tr.t("password-title")),
            summary: summary(&fields),
            fields,
            csrf_field: CSRF_FIELD,
            csrf: ctx.me.as_ref().map(|m| m.csrf.clone()).unwrap_or_default(),
            done,
        },
        status,
    )
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    f: Frame,
    username: String,
    display_name: String,
    roles: Vec<String>,
    operator: String,
    links: Vec<(&'static str, String)>,
}

/// The person's own page.
pub fn me_page(ctx: &Ctx) -> Result<Rendered, PageError> {
    let tr = ctx.tr;
    let me = ctx.me.as_ref();
    let roles = me
        .map(|m| {
            m.roles
                .iter()
                .map(|r| tr.t(&format!("role-{}", r.as_str().replace('_', "-"))))
                .collect()
        })
        .unwrap_or_default();
    let links = AREAS
        .iter()
        .filter(|(href, _, who)| {
            *href != "/me" && me.is_some_and(|m| who.iter().any(|r| m.has(*r)))
        })
        .map(|(href, id, _)| (*href, tr.t(id)))
        .collect();
    render(
        &MePage {
            f: Frame::new(ctx, tr.t("me-title")),
            username: me.map(|m| m.username.clone()).unwrap_or_default(),
            display_name: me.map(|m| m.display_name.clone()).unwrap_or_default(),
            roles,
            operator: me.and_then(|m| m.operator.clone()).unwrap_or_default(),
            links,
        },
        200,
    )
}
