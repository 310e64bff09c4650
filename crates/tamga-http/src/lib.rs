//! tamga's HTTP surface: the only crate that speaks HTTP and wire formats.
//!
//! - [`router`] builds the axum router over a started [`Clearance`].
//! - Errors are always JSON ([`error::ApiError`]) with stable codes,
//!   including 404/405 fallbacks, oversized bodies, panics and every
//!   extractor rejection ([`guard::json_errors`]); only a browser opening
//!   a page (not under `/api/`) gets the HTML error page instead
//!   ([`portal::html_errors`]).
//! - [`portal`] serves the web portal's public pages ([`tamga_portal`])
//!   with the security headers of every response.
//! - Who may call each endpoint is the table [`access::RULES`], checked
//!   before any extractor reads the request ([`access::enforce`]); the
//!   extractors of [`extract`] reject with the API's error and pointer.
//! - Every request has an id, a span named by its route and one INFO line;
//!   a 5xx body is opaque (code and request id) ([`observe`]).
//! - [`serve`] / [`serve_with`] run tamga's own accept loop with the
//!   connection and request [`Limits`] (time-outs, per-address connections,
//!   rate limits); `/healthz` is answered outside the in-flight and rate
//!   limits ([`transport`], [`guard`]).
//! - [`hs_routes`] and the `/hs` page serve the HS classification
//!   assistant ([`hs_assistant`]), built in the background at start.
//! - [`webhook`] pushes notifications to traders' webhooks, one delivery
//!   task per trader so a slow endpoint never delays another's.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use tamga_app::risk_admin::RiskAdmin;
use tamga_app::workbench::Workbench;
use tamga_app::{AppError, Clearance};

pub mod accept;
pub mod access;
pub mod account_routes;
pub mod appeal_routes;
pub mod auth;
pub mod body_format;
pub mod edifact_answer;
pub mod error;
pub mod error_lang;
pub mod extract;
pub mod guard;
pub mod hs_assistant;
pub mod hs_routes;
pub mod key_routes;
pub mod login_routes;
pub mod mandate_routes;
pub mod model_routes;
pub mod observe;
pub mod openapi;
pub mod people_routes;
pub mod portal;
pub mod risk_routes;
pub mod routes;
pub mod session;
pub mod token_routes;
pub mod transport;
pub mod value_routes;
pub mod webhook;
pub mod workbench_routes;

use error::ApiError;
pub use transport::{serve_with, Limits};

/// Largest accepted request body (a 999-item declaration fits easily).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Requests handled at once by default ([`Limits::max_in_flight`]); more
/// wait (their bodies already read, within [`Limits::body_memory`]), so
/// memory stays bounded when the server is overloaded.
pub const MAX_IN_FLIGHT: usize = 512;

pub struct AppStateInner {
    pub clearance: Arc<Clearance>,
    pub tokens: auth::TokenCache,
    pub webhooks: webhook::Dispatcher,
    pub risk: Arc<RiskAdmin>,
    pub workbench: Arc<Workbench>,
    /// The web portal's pages ([`portal`]).
    pub portal: Arc<tamga_portal::Portal>,
    /// The HS classification assistant ([`hs_assistant`]).
    pub hs: hs_assistant::HsAssistant,
}

pub type AppState = Arc<AppStateInner>;

#[derive(OpenApi)]
#[openapi(
    info(title = "tamga", description = "Open digital customs: lodging, control, registration, risk, release."),
    paths(
        routes::healthz, routes::lodge, routes::list, routes::get, routes::events, routes::amend,
        routes::invalidate, routes::control_result, routes::release, routes::refuse, routes::signatures, routes::queue,
        routes::notifications, routes::set_webhook, routes::whoami,
        routes::criteria, routes::put_criterion, routes::random, routes::set_random, routes::rules,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&Bearer),
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole OpenAPI document: the core paths and every route module's.
pub fn openapi_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(account_routes::Api::openapi());
    doc.merge(appeal_routes::Api::openapi());
    doc.merge(key_routes::Api::openapi());
    doc.merge(login_routes::Api::openapi());
    doc.merge(hs_routes::Api::openapi());
    doc.merge(mandate_routes::Api::openapi());
    doc.merge(people_routes::Api::openapi());
    doc.merge(risk_routes::Api::openapi());
    doc.merge(model_routes::Api::openapi());
    doc.merge(token_routes::Api::openapi());
    doc.merge(value_routes::Api::openapi());
    doc.merge(workbench_routes::Api::openapi());
    openapi::finish(&mut doc);
    doc
}

/// The document is built once: it does not change while serving.
async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    Json(DOC.get_or_init(openapi_doc))
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such endpoint; see /api/v1/openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "method not allowed on this endpoint",
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error",
    )
    .into_response()
}

/// Builds the state (and starts webhook delivery and the services around
/// clearance) for a started service.
pub async fn state(clearance: Arc<Clearance>) -> Result<AppState, AppError> {
    let webhooks = webhook::Dispatcher::start(clearance.clone());
    let risk = RiskAdmin::start(clearance.clone()).await?;
    let workbench = Workbench::start(clearance.clone()).await?;
    let mut epochs = tamga_app::identity::epoch::watch(&clearance).await;
    let portal = Arc::new(tamga_portal::Portal::new(clearance.clone()));
    // Built on a thread of its own: the server answers meanwhile.
    let hs = hs_assistant::HsAssistant::new(clearance.goods().model().clone());
    if clearance.settings().hs_build_at_start {
        // With what officers confirmed, and again when they confirm more.
        tamga_app::goods::learning::spawn(
            clearance.store().clone(),
            clearance.goods().model().clone(),
            clearance.settings().hs_relearn_every,
        );
    }
    let state = Arc::new(AppStateInner {
        portal,
        hs,
        clearance,
        tokens: auth::TokenCache::default(),
        webhooks,
        risk,
        workbench,
    });
    // A revocation at any instance reaches this one's token cache when
    // the identity epoch moves (about a second).
    state.tokens.set_epoch(*epochs.borrow_and_update());
    let weak = Arc::downgrade(&state);
    tokio::spawn(async move {
        while epochs.changed().await.is_ok() {
            let Some(s) = weak.upgrade() else { return };
            s.tokens.set_epoch(*epochs.borrow_and_update());
        }
    });
    Ok(state)
}

/// The router with the default [`Limits`].
pub fn router(state: AppState) -> Router {
    router_with(state, &Limits::default())
}

/// Every endpoint behind the request guards of `limits`; `/healthz` stays
/// outside the rate limits and the in-flight limit, so it answers under
/// load.
pub fn router_with(state: AppState, limits: &Limits) -> Router {
    use routes as r;
    let guard = guard::Guard::new(limits);
    let api = Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/declarations", post(r::lodge).get(r::list))
        .route("/api/v1/declarations/{mrn}", get(r::get))
        .route("/api/v1/declarations/{mrn}/events", get(r::events))
        .route("/api/v1/declarations/{mrn}/amendments", post(r::amend))
        .route(
            "/api/v1/declarations/{mrn}/invalidation",
            post(r::invalidate),
        )
        .route(
            "/api/v1/declarations/{mrn}/control-result",
            post(r::control_result),
        )
        .route("/api/v1/declarations/{mrn}/release", post(r::release))
        .route("/api/v1/declarations/{mrn}/refusal", post(r::refuse))
        .route("/api/v1/declarations/{mrn}/signatures", get(r::signatures))
        .route("/api/v1/offices/{office}/queue", get(r::queue))
        .route("/api/v1/notifications", get(r::notifications))
        .route("/api/v1/account", get(r::whoami))
        .route("/api/v1/account/webhook", put(r::set_webhook))
        .route("/api/v1/selectivity/criteria", get(r::criteria))
        .route("/api/v1/selectivity/criteria/{id}", put(r::put_criterion))
        .route(
            "/api/v1/selectivity/random",
            get(r::random).put(r::set_random),
        )
        .route("/api/v1/control/rules", get(r::rules))
        .merge(account_routes::routes())
        .merge(appeal_routes::routes())
        .merge(key_routes::routes())
        .merge(login_routes::routes())
        .merge(mandate_routes::routes())
        .merge(people_routes::routes())
        .merge(risk_routes::routes())
        .merge(model_routes::routes())
        .merge(token_routes::routes())
        .merge(workbench_routes::routes())
        // The HS classification assistant, its API and its page, behind
        // their own rate per client address.
        .merge(hs_routes::routes().merge(portal::hs::routes()).route_layer(
            axum::middleware::from_fn_with_state(guard.clone(), guard::hs_rate_limit),
        ))
        // The public value calculator, behind its own rate per address.
        .merge(
            value_routes::routes().route_layer(axum::middleware::from_fn_with_state(
                guard.clone(),
                guard::values_rate_limit,
            )),
        )
        // The portal's public pages (not API: no OpenAPI paths).
        .merge(portal::routes())
        // Who may call what, before any extractor reads the request.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.max_in_flight.max(1),
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            guard::read_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            guard::rate_limit,
        ))
        // One span and one INFO line per API request, named by its route
        // (`/healthz` stays quiet).
        .layer(observe::trace_layer());
    Router::new()
        .route("/healthz", get(r::healthz))
        .merge(api)
        .layer(CatchPanicLayer::custom(panic_response))
        // A browser's error page is HTML, any other client's JSON.
        .layer(axum::middleware::from_fn(portal::html_errors))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .layer(axum::middleware::from_fn(portal::security_headers))
        .layer(axum::middleware::from_fn(observe::request_id))
        // Error messages in the language of Accept-Language (codes stay).
        .layer(axum::middleware::from_fn(error_lang::translate))
        .with_state(state)
}

/// Serves with the default [`Limits`] until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Limits::default(), shutdown).await
}
