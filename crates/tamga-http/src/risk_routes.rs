//! HTTP routes of risk management: profiles, pre-arrival information, analytics; merged into the main router and
//! OpenAPI document by `lib.rs`.

use axum::Router;
use utoipa::OpenApi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi()]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
}
