//! HTTP routes of API tokens and of signing-key revocation (issue 15).
//!
//! - `GET/POST /api/v1/account/tokens`, `DELETE /api/v1/account/tokens/{id}`:
//!   the caller's own principal's tokens (an operator's, also for a user
//!   of that operator; a customs user's own). Minting needs a browser
//!   session: a bearer token never mints for its own holder (403
//!   `TOKEN_SESSION_REQUIRED`).
//! - `GET/POST /api/v1/admin/tokens?principal=`, `DELETE
//!   /api/v1/admin/tokens/{id}`: administrators, for anyone.
//! - `DELETE /api/v1/account/signing-keys/{keyId}` (the key's holder) and
//!   `DELETE /api/v1/admin/signing-keys/{keyId}` (administrators).
//!
//! The rules are `tamga_app::identity::tokens` and `tamga_app::keys`; a
//! revocation is forgotten here at once and on every other instance within
//! about a second (`tamga_app::identity::epoch`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::identity::tokens::{self, IssuedToken, TokenRequest, TokenView, Via};
use tamga_app::keys::RevokedKey;
use tamga_core::codes::Eori;
use tamga_store::Principal;

use crate::auth::{Auth, Cred, Credential};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::key_routes::AdminAuth;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(
        own_tokens,
        create_own_token,
        revoke_own_token,
        admin_tokens,
        admin_create_token,
        admin_revoke_token,
        revoke_own_key,
        admin_revoke_key
    ),
    components(schemas(NewTokenRequest, AdminTokenRequest, TokenView, IssuedToken, RevokedKey))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/account/tokens",
            get(own_tokens).post(create_own_token),
        )
        .route("/api/v1/account/tokens/{id}", delete(revoke_own_token))
        .route(
            "/api/v1/admin/tokens",
            get(admin_tokens).post(admin_create_token),
        )
        .route("/api/v1/admin/tokens/{id}", delete(admin_revoke_token))
        .route(
            "/api/v1/account/signing-keys/{keyId}",
            delete(revoke_own_key),
        )
        .route(
            "/api/v1/admin/signing-keys/{keyId}",
            delete(admin_revoke_key),
        )
}

/// A token to create for oneself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTokenRequest {
    /// 1 to 64 characters, unique among the principal's live tokens.
    #[schema(example = "ERP production")]
    pub name: String,
    /// 1 to 365; default 90.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<u32>,
}

/// An administrator's token for a principal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminTokenRequest {
    /// `operator:<EORI>` or `user:<username>`.
    #[schema(example = "operator:UZ000000000101")]
    pub principal: String,
    /// 1 to 64 characters, unique among the principal's live tokens.
    pub name: String,
    /// 1 to 365; default 90.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<u32>,
}

/// Whose tokens an administrator lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrincipalQuery {
    /// `operator:<EORI>` or `user:<username>`.
    pub principal: String,
}

/// `operator:<EORI>` or `user:<username>`; else 400 `TOKEN_PRINCIPAL`.
fn principal(text: &str, pointer: &str) -> Result<Principal, ApiError> {
    let bad = || {
        ApiError::from(tamga_app::AppError::bad_request(
            "TOKEN_PRINCIPAL",
            pointer,
            "name the principal as operator:<EORI> or user:<username>",
        ))
    };
    if let Some(op) = text.strip_prefix("operator:") {
        Eori::parse(op)
            .map(|id| Principal::Operator { id })
            .map_err(|_| bad())
    } else if let Some(u) = text.strip_prefix("user:").filter(|u| !u.is_empty()) {
        Ok(Principal::User {
            username: u.to_owned(),
        })
    } else {
        Err(bad())
    }
}

fn via(c: &Credential) -> Via {
    match c {
        Credential::Session { username } => Via::Session {
            username: username.clone(),
        },
        Credential::Token { id, .. } => Via::Token { id: id.clone() },
    }
}

/// The caller's own tokens (its operator's, for a user of an operator),
/// newest first, revoked and expired ones too. The secret is never listed.
#[utoipa::path(get, path = "/api/v1/account/tokens", tag = "account",
    responses((status = 200, body = Vec<TokenView>)),
    security(("bearer" = [])))]
pub async fn own_tokens(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(
        tokens::list_own(s.clearance.store().as_ref(), &caller).await?,
    ))
}

/// Create a token for oneself, from a browser session: a bearer token
/// never mints tokens for its own holder (403 `TOKEN_SESSION_REQUIRED`),
/// or a stolen token would outlive its revocation. The secret is in the
/// answer once and never again. A name taken by a live token: 409
/// `TOKEN_NAME_TAKEN`; a bad name or expiry: 400 `TOKEN_NAME`,
/// `TOKEN_EXPIRY`.
#[utoipa::path(post, path = "/api/v1/account/tokens", tag = "account",
    request_body = NewTokenRequest,
    responses((status = 201, body = IssuedToken, description = "created; `secret` is shown this once"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TOKEN_NAME_TAKEN")),
    security(("bearer" = [])))]
pub async fn create_own_token(
    State(s): State<AppState>,
    Auth(caller): Auth,
    Cred(cred): Cred,
    ApiJson(r): ApiJson<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let t = tokens::create_own(
        s.clearance.store().as_ref(),
        &caller,
        &via(&cred),
        &TokenRequest {
            name: r.name,
            expires_in_days: r.expires_in_days,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Revoke one of one's own tokens (another's is 404). It stops working at
/// once here and within about a second on every instance. Revoking it
/// again answers it as it is.
#[utoipa::path(delete, path = "/api/v1/account/tokens/{id}", tag = "account",
    params(("id" = String, Path, description = "the token's public id")),
    responses((status = 200, body = TokenView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_own_token(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TokenView>> {
    let r = tokens::revoke(s.clearance.store().as_ref(), &caller, &id).await?;
    s.tokens.forget(&r.token_sha256);
    Ok(Json(r.token))
}

/// Administrators: a principal's tokens (`?principal=operator:<EORI>` or
/// `user:<username>`), newest first.
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin",
    params(PrincipalQuery),
    responses((status = 200, body = Vec<TokenView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn admin_tokens(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiQuery(q): ApiQuery<PrincipalQuery>,
) -> ApiResult<Json<Vec<TokenView>>> {
    let p = principal(&q.principal, "/principal")?;
    Ok(Json(
        tokens::list_for(s.clearance.store().as_ref(), &caller, &p).await?,
    ))
}

/// Administrators: create a token for a principal. With a bearer token,
/// only for a principal without the administrator role, and not for
/// oneself (403 `TOKEN_SESSION_REQUIRED`). The secret is shown once.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "admin",
    request_body = AdminTokenRequest,
    responses((status = 201, body = IssuedToken), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn admin_create_token(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    Cred(cred): Cred,
    ApiJson(r): ApiJson<AdminTokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let p = principal(&r.principal, "/principal")?;
    let t = tokens::create_for(
        s.clearance.store().as_ref(),
        &caller,
        &via(&cred),
        &p,
        &TokenRequest {
            name: r.name,
            expires_in_days: r.expires_in_days,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Administrators: revoke any token.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "admin",
    params(("id" = String, Path, description = "the token's public id")),
    responses((status = 200, body = TokenView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn admin_revoke_token(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TokenView>> {
    let r = tokens::revoke_any(s.clearance.store().as_ref(), &caller, &id).await?;
    s.tokens.forget(&r.token_sha256);
    Ok(Json(r.token))
}

/// Revoke one of one's own signing keys (an operator's, also by a user of
/// that operator; a customs user's own); another's is 404. From now on
/// every signature by the key is refused (`FLC-SIGNING-KEY-REVOKED`,
/// `OFFICER_SIGNATURE_KEY_REVOKED`, `KEY_SIGNATURE_KEY_REVOKED`); acts
/// signed before stay verifiable. An operator is notified
/// (`signing_key_revoked`). Revoking it again answers it as it is
/// (`newly: false`).
#[utoipa::path(delete, path = "/api/v1/account/signing-keys/{keyId}", tag = "account",
    params(("keyId" = String, Path, description = "the key's id")),
    responses((status = 200, body = RevokedKey), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_own_key(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(key_id): ApiPath<String>,
) -> ApiResult<Json<RevokedKey>> {
    Ok(Json(
        s.clearance
            .revoke_signing_key(&caller, &key_id, false)
            .await?,
    ))
}

/// Administrators: revoke anyone's signing key (as
/// `DELETE /api/v1/account/signing-keys/{keyId}`).
#[utoipa::path(delete, path = "/api/v1/admin/signing-keys/{keyId}", tag = "admin",
    params(("keyId" = String, Path, description = "the key's id")),
    responses((status = 200, body = RevokedKey), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn admin_revoke_key(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(key_id): ApiPath<String>,
) -> ApiResult<Json<RevokedKey>> {
    Ok(Json(
        s.clearance
            .revoke_signing_key(&caller, &key_id, true)
            .await?,
    ))
}
