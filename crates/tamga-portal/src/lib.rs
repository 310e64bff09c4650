//! tamga's web portal: the pages a person uses in a browser, rendered on
//! the server. No HTTP here: `tamga-http` routes requests to [`Portal`]
//! and sends what it renders ([`Rendered`]) with the security headers.
//!
//! - **Templates** are [askama](https://docs.rs/askama) files in
//!   `templates/` (a base layout and one file per page). Askama was chosen
//!   over maud because its templates are HTML files a designer or
//!   translator can read, checked and compiled with the crate (a missing
//!   field is a compile error, no template parsing at run time), and every
//!   `{{ value }}` is HTML-escaped by default: user text is never marked
//!   safe anywhere in this crate.
//! - **Texts** are Fluent messages in `i18n/<language>/*.ftl`
//!   ([`i18n`]); a language is one more folder.
//! - **Static files** ([`assets`]): one style sheet with a hashed name, no
//!   JavaScript, nothing fetched from elsewhere; pages carry no inline
//!   script or style, so the strict Content-Security-Policy holds.
//! - **Pages** ([`pages`]): home, duty calculator (the API's service,
//!   [`tamga_app::calculator`]), tariff browser
//!   ([`tamga_app::tariff_browser`]), the HS code assistant (the answer
//!   of `tamga-http`'s assistant shown, [`pages::hs`]), customs offices
//!   register with an SVG map, service status, and the error page.

pub mod assets;
pub mod i18n;
pub mod pages;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tamga_app::Clearance;
use tamga_core::reference::Office;

pub use i18n::Tr;
pub use pages::PageError;

/// A page to send: its HTTP status and its HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub html: String,
}

/// The person a page is shown to, from their browser session.
#[derive(Debug, Clone)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<tamga_store::Role>,
    /// The economic operator (EORI) the user acts for, if any.
    pub operator: Option<String>,
    /// The session's CSRF token: every state-changing form carries it as
    /// the hidden field [`CSRF_FIELD`].
    pub csrf: String,
    /// Who the session's requests act as (the same caller the API sees).
    pub caller: tamga_app::Caller,
}

impl Me {
    pub fn has(&self, role: tamga_store::Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The hidden form field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// What a page needs to know of its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub tr: Tr,
    /// The request's path (`/calculator`).
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The logged-in person, if any.
    pub me: Option<Me>,
}

impl Ctx {
    pub fn new(lang: &str, path: &str, query: Vec<(String, String)>) -> Ctx {
        Ctx {
            tr: Tr::new(lang),
            path: path.to_owned(),
            query,
            me: None,
        }
    }

    /// The same context for the logged-in `me`.
    pub fn with_me(mut self, me: Option<Me>) -> Ctx {
        self.me = me;
        self
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How long the offices register is kept before it is read again.
const OFFICES_TTL: Duration = Duration::from_secs(60);

type Cached<T> = Mutex<Option<(Instant, Arc<T>)>>;

/// The portal over a started service.
pub struct Portal {
    clearance: Arc<Clearance>,
    started: Instant,
    offices: Cached<Vec<Office>>,
}

impl Portal {
    pub fn new(clearance: Arc<Clearance>) -> Portal {
        Portal {
            clearance,
            started: Instant::now(),
            offices: Mutex::new(None),
        }
    }

    pub fn clearance(&self) -> &Clearance {
        &self.clearance
    }

    /// Time since the portal started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The customs offices of the reference data (read from the database,
    /// kept for a minute: they change only when a new version starts).
    pub async fn offices(&self) -> Result<Arc<Vec<Office>>, tamga_store::StoreError> {
        if let Some((at, v)) = self.offices.lock().expect("lock").as_ref() {
            if at.elapsed() < OFFICES_TTL {
                return Ok(v.clone());
            }
        }
        let mut offices = self.clearance.store().reference().await?.offices;
        offices.sort_by(|a, b| a.code.cmp(&b.code));
        let v = Arc::new(offices);
        *self.offices.lock().expect("lock") = Some((Instant::now(), v.clone()));
        Ok(v)
    }
}
