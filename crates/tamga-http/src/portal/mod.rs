//! The web portal over HTTP: the public pages of [`tamga_portal`] at `/`,
//! `/calculator`, `/tariff`, `/hs` ([`hs`]), `/offices` and `/status`, its static files
//! under `/static/`, the login pages ([`login`]) and the work areas of
//! each role.
//!
//! - Pages go through the same access layer as the API ([`crate::access`]
//!   RULES) and are not part of the OpenAPI document. A page behind a
//!   login is refused like an endpoint; to a browser, "not logged in" is
//!   a redirect to `/login?next=…` and an unfinished login one to its
//!   next step ([`html_errors`]). Forms carry the CSRF token ([`csrf`]).
//! - The language ([`tamga_portal::i18n::negotiate`]): the `lang` query
//!   parameter (which also sets the `lang` cookie for a year), the `lang`
//!   cookie, then `Accept-Language`.
//! - [`security_headers`] puts the Content-Security-Policy (no inline
//!   script or style), `X-Content-Type-Options` and `Referrer-Policy` on
//!   every response.
//! - [`html_errors`]: an error answer to a browser ([`wants_html`]: not
//!   under `/api/` nor `/healthz`, and `Accept` names HTML) becomes the
//!   translated HTML error page, whatever made it (a page, the fallback,
//!   the rate limit, a panic); every other client keeps the JSON error.
//!   A server error's page shows only the request id.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use tamga_portal::pages::error_page;
use tamga_portal::{assets, i18n, Ctx, PageError, Rendered};

use crate::observe::RequestId;
use crate::AppState;

pub mod account;
pub mod appeals;
pub mod csrf;
pub mod double_submit;
pub mod hs;
pub mod login;
pub mod officer;
pub mod staff;
pub mod trader;
pub mod viewer;

/// The page routes: method and route (see [`crate::access::RULES`] for
/// who may open each).
pub const PAGES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/calculator"),
    ("GET", "/tariff"),
    ("GET", "/hs"),
    ("GET", "/offices"),
    ("GET", "/status"),
    ("GET", "/static/{name}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/totp"),
    ("POST", "/login/totp"),
    ("POST", "/logout"),
    ("GET", "/password"),
    ("POST", "/password"),
    ("GET", "/me"),
    ("GET", "/appeals"),
    ("POST", "/appeals"),
    ("GET", "/appeals/new"),
    ("POST", "/appeals/new"),
    ("GET", "/appeals/{id}"),
    ("POST", "/appeals/{id}/decision/prepare"),
    ("POST", "/appeals/{id}/decision"),
    ("GET", "/officer"),
    ("GET", "/officer/declarations/{mrn}"),
    ("POST", "/officer/declarations/{mrn}/control"),
    ("POST", "/officer/declarations/{mrn}/release"),
    ("POST", "/officer/declarations/{mrn}/refusal"),
    ("POST", "/officer/declarations/{mrn}/task-result"),
    // The staff's areas (`staff`).
    ("GET", "/admin"),
    ("GET", "/admin/operators"),
    ("GET", "/admin/operators/{eori}"),
    ("POST", "/admin/operators/{eori}/decision"),
    ("POST", "/admin/operators/{eori}/keys"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("GET", "/admin/users/{username}"),
    ("POST", "/admin/users/{username}"),
    ("POST", "/admin/users/{username}/keys"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/offices"),
    ("GET", "/admin/offices/{code}"),
    ("GET", "/manager"),
    ("GET", "/analyst"),
    ("GET", "/analyst/profiles/{id}"),
    ("POST", "/analyst/profiles/{id}"),
    ("POST", "/analyst/profiles/{id}/activation"),
    ("POST", "/analyst/profiles/{id}/retirement"),
    ("GET", "/analyst/traders"),
    ("GET", "/analyst/traders/{eori}"),
    ("POST", "/analyst/traders/{eori}/aeo"),
    ("GET", "/analyst/models"),
    ("POST", "/analyst/models"),
    ("POST", "/analyst/models/{version}/validation"),
    ("POST", "/analyst/models/{version}/activation"),
    ("POST", "/analyst/models/rollback"),
    ("POST", "/analyst/models/deactivation"),
    ("POST", "/analyst/models/schedule"),
    ("GET", "/trader"),
    ("GET", "/trader/declarations"),
    ("POST", "/trader/declarations"),
    ("GET", "/trader/declarations/new"),
    ("POST", "/trader/declarations/new"),
    ("POST", "/trader/declarations/upload"),
    ("GET", "/trader/declarations/{mrn}"),
    ("GET", "/trader/declarations/{mrn}/amend"),
    ("POST", "/trader/declarations/{mrn}/amend"),
    ("POST", "/trader/declarations/{mrn}/amendments"),
    ("GET", "/trader/declarations/{mrn}/invalidate"),
    ("POST", "/trader/declarations/{mrn}/invalidate"),
    ("POST", "/trader/declarations/{mrn}/invalidation"),
    ("GET", "/trader/drafts"),
    ("GET", "/trader/drafts/{id}"),
    ("POST", "/trader/drafts/{id}"),
    ("POST", "/trader/drafts/{id}/deletion"),
    // The account area (`account`).
    ("GET", "/register"),
    ("POST", "/register"),
    ("GET", "/register/done"),
    ("GET", "/me/keys"),
    ("POST", "/me/keys"),
    ("POST", "/me/keys/{keyId}/revocation"),
    ("GET", "/me/tokens"),
    ("POST", "/me/tokens"),
    ("POST", "/me/tokens/{id}/revocation"),
    ("GET", "/trader/account"),
    ("GET", "/trader/account/statement"),
    ("GET", "/trader/account/statement.csv"),
    ("GET", "/trader/account/qr.svg"),
    ("GET", "/trader/webhook"),
    ("POST", "/trader/webhook"),
    ("POST", "/trader/notifications/read"),
];

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The language cookie.
pub const LANG_COOKIE: &str = "lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/calculator", get(calculator))
        .route("/tariff", get(tariff))
        .route("/offices", get(offices))
        .route("/status", get(status))
        .route("/static/{name}", get(asset))
        .merge(login::routes())
        .merge(appeals::routes())
        .merge(officer::routes())
        .merge(staff::routes())
        .merge(trader::routes())
        .merge(account::routes())
}

#[derive(Clone, Copy)]
enum Page {
    Home,
    Calculator,
    Tariff,
    Offices,
    Status,
}

async fn home(State(s): State<AppState>, req: Request) -> Response {
    show(&s, req, Page::Home).await
}

async fn calculator(State(s): State<AppState>, req: Request) -> Response {
    show(&s, req, Page::Calculator).await
}

async fn tariff(State(s): State<AppState>, req: Request) -> Response {
    show(&s, req, Page::Tariff).await
}

async fn offices(State(s): State<AppState>, req: Request) -> Response {
    show(&s, req, Page::Offices).await
}

async fn status(State(s): State<AppState>, req: Request) -> Response {
    show(&s, req, Page::Status).await
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The page context of a request: its language, path and query.
pub fn context(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap) -> Ctx {
    let _ = method;
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let chosen = query
        .iter()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.as_str());
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = i18n::negotiate(&[chosen, cookie(headers, LANG_COOKIE)], accept);
    Ctx::new(lang, uri.path(), query)
}

/// The error page of a page that could not be rendered (the cause goes
/// to the log, the person sees only the request id).
pub fn page_failed(ctx: &Ctx, e: &(dyn std::error::Error + 'static), id: Option<&str>) -> Response {
    tracing::error!(error = %crate::observe::cause_chain(e), "page failed");
    html(error_page(ctx, 500, id), ctx.tr.lang)
}

/// A rendered page as an HTML response in `lang`.
pub fn html(r: Rendered, lang: &str) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, r.html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if let Ok(v) = HeaderValue::from_str(lang) {
        h.insert(header::CONTENT_LANGUAGE, v);
    }
    res
}

async fn show(s: &AppState, req: Request, page: Page) -> Response {
    let (parts, _) = req.into_parts();
    let ctx =
        context(&parts.method, &parts.uri, &parts.headers).with_me(viewer::viewer(&parts, s).await);
    let p = &s.portal;
    let rendered: Result<Rendered, PageError> = match page {
        Page::Home => p.home(&ctx).await,
        Page::Calculator => p.calculator(&ctx).await,
        Page::Tariff => p.tariff(&ctx).await,
        Page::Offices => p.offices_page(&ctx).await,
        Page::Status => p.status(&ctx).await,
    };
    let mut res = match rendered {
        Ok(r) => html(r, ctx.tr.lang),
        Err(e) => {
            tracing::error!(error = %crate::observe::cause_chain(&e), "page failed");
            let id = parts.extensions.get::<RequestId>().map(|r| r.0.as_str());
            html(error_page(&ctx, 500, id), ctx.tr.lang)
        }
    };
    remember_language(&ctx, &mut res);
    res
}

/// A language chosen in the query is remembered (the `lang` cookie).
pub fn remember_language(ctx: &Ctx, res: &mut Response) {
    if ctx.param("lang").and_then(i18n::supported) == Some(ctx.tr.lang) {
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            ctx.tr.lang
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// A static file by its hashed name (`304` when the ETag matches).
async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = assets::find(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == a.etag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, Body::from(a.body)).into_response()
    };
    let h = res.headers_mut();
    if !fresh {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(a.content_type),
        );
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(assets::CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&a.etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// Whether an error answer to this request should be an HTML page: not
/// an API path, and the client asks for HTML (browsers name `text/html`
/// in `Accept` when they open a page; API clients do not).
pub fn wants_html(path: &str, headers: &HeaderMap) -> bool {
    if path == "/api" || path.starts_with("/api/") || path == "/healthz" {
        return false;
    }
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html") || v.contains("application/xhtml+xml"))
}

fn is_html(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Turns an error answer to a browser into the HTML error page (see the
/// module doc); headers such as `Retry-After` and `Allow` are kept.
pub async fn html_errors(req: Request, next: Next) -> Response {
    if !wants_html(req.uri().path(), req.headers()) {
        return next.run(req).await;
    }
    let ctx = context(req.method(), req.uri(), req.headers());
    let id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_html(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    if let Some(to) = login_step(status, &ctx, body).await {
        return viewer::see_other(&to);
    }
    let id = id.filter(|_| status.is_server_error());
    let mut out = html(
        error_page(&ctx, status.as_u16(), id.as_deref()),
        ctx.tr.lang,
    );
    *out.status_mut() = status;
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CACHE_CONTROL
            && name != header::VARY
        {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

/// Where a browser refused for want of a (complete) login goes: 401 to
/// `/login?next=…`, `SECOND_FACTOR_REQUIRED` to `/login/totp?next=…`,
/// `PASSWORD_CHANGE_REQUIRED` to `/password`.
async fn login_step(status: StatusCode, ctx: &Ctx, body: Body) -> Option<String> {
    let path_query = {
        let mut p = ctx.path.clone();
        let q = tamga_portal::pages::form_pairs(
            ctx.query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if !q.is_empty() {
            p.push('?');
            p.push_str(&q);
        }
        p
    };
    let next = tamga_portal::pages::form_pairs([("next", path_query.as_str())].into_iter());
    if status == StatusCode::UNAUTHORIZED {
        return Some(format!("/login?{next}"));
    }
    if status != StatusCode::FORBIDDEN {
        return None;
    }
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.ok()?;
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("code")?
        .as_str()?
        .to_owned();
    match code.as_str() {
        "SECOND_FACTOR_REQUIRED" => Some(format!("/login/totp?{next}")),
        "PASSWORD_CHANGE_REQUIRED" => Some("/password".to_owned()),
        _ => None,
    }
}

/// The security headers of every response (see the module doc).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn browsers_get_html_errors_and_api_clients_json() {
        let browser = headers(&[("accept", "text/html,application/xhtml+xml,*/*;q=0.8")]);
        assert!(wants_html("/nope", &browser));
        assert!(wants_html("/", &browser));
        assert!(!wants_html("/api/v1/nope", &browser));
        assert!(!wants_html("/api", &browser));
        assert!(!wants_html("/healthz", &browser));
        assert!(!wants_html("/nope", &headers(&[("accept", "*/*")])));
        assert!(!wants_html(
            "/nope",
            &headers(&[("accept", "application/json")])
        ));
        assert!(!wants_html("/nope", &HeaderMap::new()));
    }

    #[test]
    fn the_language_comes_from_query_cookie_then_browser() {
        let uri = |s: &'static str| s.parse::<axum::http::Uri>().unwrap();
        let h = headers(&[
            ("cookie", "a=b; lang=ru"),
            ("accept-language", "en-GB,en;q=0.9"),
        ]);
        assert_eq!(context(&Method::GET, &uri("/"), &h).tr.lang, "ru");
        assert_eq!(context(&Method::GET, &uri("/?lang=en"), &h).tr.lang, "en");
        let h = headers(&[("accept-language", "ru-RU,ru;q=0.9,en;q=0.5")]);
        assert_eq!(context(&Method::GET, &uri("/"), &h).tr.lang, "ru");
        let c = context(&Method::GET, &uri("/tariff?q=a%20b&lang=xx"), &h);
        assert_eq!(c.tr.lang, "ru");
        assert_eq!(c.param("q"), Some("a b"));
        assert_eq!(
            context(&Method::GET, &uri("/"), &HeaderMap::new()).tr.lang,
            "en"
        );
    }
}
