//! The pages: each a view model filled from the application services and
//! an askama template that extends `base.html`.

mod calculator;
mod error;
mod home;
mod offices;
mod status;
mod tariff;

pub use calculator::FIELDS as CALCULATOR_FIELDS;
pub use error::{error_key, error_page};

use askama::Template;

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

/// What the base layout shows around every page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub tr: Tr,
    pub title: String,
    pub css: String,
    pub langs: Vec<LangLink>,
    pub nav: Vec<NavLink>,
}

/// The public pages, in navigation order: path and message id.
pub const NAV: &[(&str, &str)] = &[
    ("/", "nav-home"),
    ("/calculator", "nav-calculator"),
    ("/tariff", "nav-tariff"),
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
        }
    }
}

fn render(t: &impl Template, status: u16) -> Result<Rendered, PageError> {
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
}
