//! The pages: each a view model filled from the application services and
//! an askama template that extends `base.html`.

pub mod account;
pub mod appeals;
mod calculator;
mod error;
pub mod form;
mod home;
pub mod hs;
pub mod login;
pub mod officer;
mod offices;
pub mod risk;
pub mod staff;
mod status;
mod tariff;
pub mod trader;

pub use calculator::FIELDS as CALCULATOR_FIELDS;
pub use error::{error_key, error_page};

use askama::Template;
use tamga_store::Role;

use crate::{assets, i18n, Ctx, Rendered, Tr};

/// A page could not be rendered (the HTTP layer answers with the error
/// page; the cause goes to the log).
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("storage: {0}")]
    Store(#[from] tamga_store::StoreError),
}

/// A link of the language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub tag: &'static str,
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// A link of the main navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The logged-in person as the layout shows them.
#[derive(Debug, Clone)]
pub struct MeView {
    pub username: String,
    pub display_name: String,
    pub csrf: String,
}

/// What the base layout shows around every page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub tr: Tr,
    pub title: String,
    pub css: String,
    /// The portal's script (WebCrypto signing, small enhancements).
    pub js: String,
    pub langs: Vec<LangLink>,
    pub nav: Vec<NavLink>,
    /// The work areas of the logged-in person's roles.
    pub areas: Vec<NavLink>,
    pub me: Option<MeView>,
    /// `/login?next=…` back to this page.
    pub login_href: String,
}

/// The work areas: path, message id, and the roles that see it (the
/// access rules of the HTTP layer decide who may open it; this only
/// decides which links a person is shown).
pub const AREAS: &[(&str, &str, &[Role])] = &[
    (
        "/trader",
        "nav-trader",
        &[Role::Trader, Role::Broker, Role::Carrier],
    ),
    ("/officer", "nav-officer", &[Role::Officer, Role::Inspector]),
    ("/analyst", "nav-analyst", &[Role::RiskAnalyst]),
    ("/manager", "nav-manager", &[Role::Manager]),
    (
        "/appeals",
        "nav-appeals",
        &[Role::Trader, Role::Broker, Role::AppealsOfficer],
    ),
    ("/admin", "nav-admin", &[Role::Admin]),
    ("/me", "nav-me", &Role::ALL),
];

/// The first work area of `roles` (where `/me` sends a person after
/// logging in), `/me` if none.
pub fn home_of(roles: &[Role]) -> &'static str {
    AREAS
        .iter()
        .find(|(_, _, who)| who.iter().any(|r| roles.contains(r)))
        .map(|(href, _, _)| *href)
        .unwrap_or("/me")
}

/// Whether `path` is `href` or below it.
fn within(path: &str, href: &str) -> bool {
    path == href || (href != "/" && path.starts_with(href) && path[href.len()..].starts_with('/'))
}

/// The public pages, in navigation order: path and message id.
pub const NAV: &[(&str, &str)] = &[
    ("/", "nav-home"),
    ("/calculator", "nav-calculator"),
    ("/tariff", "nav-tariff"),
    ("/hs", "nav-hs"),
    ("/offices", "nav-offices"),
    ("/status", "nav-status"),
];

/// `path?query` with `lang` set to `tag` (the other parameters kept).
fn with_lang(ctx: &Ctx, tag: &str) -> String {
    let mut q = form_pairs(
        ctx.query
            .iter()
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if !q.is_empty() {
        q.push('&');
    }
    q.push_str("lang=");
    q.push_str(tag);
    format!("{}?{q}", ctx.path)
}

/// `application/x-www-form-urlencoded` text of `pairs`.
pub fn form_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&urlencode(k));
        out.push('=');
        out.push_str(&urlencode(v));
    }
    out
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Frame {
    pub fn new(ctx: &Ctx, title: String) -> Frame {
        let tr = ctx.tr;
        Frame {
            tr,
            title,
            css: assets::CSS.path(),
            js: assets::JS.path(),
            langs: i18n::languages()
                .iter()
                .map(|tag| LangLink {
                    tag,
                    name: Tr::language_name(tag),
                    href: with_lang(ctx, tag),
                    current: *tag == tr.lang,
                })
                .collect(),
            nav: NAV
                .iter()
                .map(|(href, id)| NavLink {
                    href,
                    label: tr.t(id),
                    current: *href == ctx.path,
                })
                .collect(),
            areas: ctx
                .me
                .as_ref()
                .map(|me| {
                    AREAS
                        .iter()
                        .filter(|(_, _, who)| who.iter().any(|r| me.has(*r)))
                        .map(|(href, id, _)| NavLink {
                            href,
                            label: tr.t(id),
                            current: within(&ctx.path, href),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            me: ctx.me.as_ref().map(|m| MeView {
                username: m.username.clone(),
                display_name: m.display_name.clone(),
                csrf: m.csrf.clone(),
            }),
            login_href: format!(
                "/login?{}",
                form_pairs([("next", ctx.path.as_str())].into_iter())
            ),
        }
    }
}

pub fn render(t: &impl Template, status: u16) -> Result<Rendered, PageError> {
    Ok(Rendered {
        status,
        html: t.render()?,
    })
}

/// `8471300000` as `8471 30 00 00`.
pub fn spaced_code(code: &str) -> String {
    let mut out = String::new();
    for (i, c) in code.chars().enumerate() {
        if i >= 4 && i % 2 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

impl crate::Portal {
    pub async fn home(&self, ctx: &Ctx) -> Result<Rendered, PageError> {
        home::page(self, ctx).await
    }

    pub async fn calculator(&self, ctx: &Ctx) -> Result<Rendered, PageError> {
        calculator::page(self, ctx).await
    }

    pub async fn tariff(&self, ctx: &Ctx) -> Result<Rendered, PageError> {
        tariff::page(self, ctx).await
    }

    pub async fn offices_page(&self, ctx: &Ctx) -> Result<Rendered, PageError> {
        offices::page(self, ctx).await
    }

    pub async fn status(&self, ctx: &Ctx) -> Result<Rendered, PageError> {
        status::page(self, ctx).await
    }
}

/// A redirect a page handler answers with (`303 See Other` to a path of
/// this site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect(pub String);

/// `next` if it is a path of this site (`/…`, not `//…` nor `/\…`),
/// else `fallback`: a login link cannot send a person elsewhere.
pub fn local_path<'a>(next: Option<&'a str>, fallback: &'a str) -> &'a str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n
        }
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spaced_and_queries_encoded() {
        assert_eq!(spaced_code("8471300000"), "8471 30 00 00");
        assert_eq!(spaced_code("0101"), "0101");
        assert_eq!(
            form_pairs([("q", "a b&c"), ("x", "я")].into_iter()),
            "q=a+b%26c&x=%D1%8F"
        );
        let ctx = Ctx::new(
            "en",
            "/tariff",
            vec![("q".into(), "horses".into()), ("lang".into(), "en".into())],
        );
        assert_eq!(with_lang(&ctx, "ru"), "/tariff?q=horses&lang=ru");
    }

    #[test]
    fn next_links_stay_on_this_site() {
        assert_eq!(local_path(Some("/trader?x=1"), "/me"), "/trader?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "",
        ] {
            assert_eq!(local_path(Some(bad), "/me"), "/me", "{bad}");
        }
        assert_eq!(local_path(None, "/me"), "/me");
    }

    #[test]
    fn areas_follow_roles() {
        assert_eq!(home_of(&[Role::Officer]), "/officer");
        assert_eq!(home_of(&[Role::AppealsOfficer]), "/appeals");
        assert_eq!(home_of(&[Role::Bank]), "/me");
        assert!(within("/trader/declarations", "/trader"));
        assert!(!within("/traders", "/trader"));
    }
}
