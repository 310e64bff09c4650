//! HTTP routes of the officer workbench and trader categories; merged into the main router and
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
