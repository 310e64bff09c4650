//! HTTP routes of signing keys (issue 15): a holder lists its keys and adds
//! one with a request signed by one of its active keys; an administrator
//! registers a first (or replacement) key for an operator or a customs
//! user. A bearer token alone never registers a key (`tamga_app::keys`).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use tamga_app::keys::{AddedKey, KeyApproval, OwnKey};
use tamga_app::Caller;
use tamga_core::codes::Eori;
use tamga_store::Role;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath};
use crate::routes::signed;
use crate::{AppState, AppStateInner};

#[derive(OpenApi)]
#[openapi(
    paths(add_own_key, own_keys, admin_operator_key, admin_user_key),
    components(schemas(SignedKeyRequest, AdminKeyRequest, KeyView, OwnKeyView))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/account/signing-keys",
            post(add_own_key).get(own_keys),
        )
        .route(
            "/api/v1/admin/operators/{eori}/signing-keys",
            post(admin_operator_key),
        )
        .route(
            "/api/v1/admin/users/{username}/signing-keys",
            post(admin_user_key),
        )
}

/// An authenticated administrator: checked from the request's head, so a
/// non-administrator gets 403 before its body is read.
pub struct AdminAuth(pub Caller);

impl FromRequestParts<std::sync::Arc<AppStateInner>> for AdminAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &std::sync::Arc<AppStateInner>,
    ) -> Result<Self, ApiError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        caller.require(&[Role::Admin])?;
        Ok(AdminAuth(caller))
    }
}

/// The signed body of a holder's key registration (its exact bytes are
/// signed; nothing else may be in it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedKeyRequest {
    /// Always `add_signing_key`.
    #[schema(example = "add_signing_key")]
    pub act: String,
    /// The caller: its EORI (an operator) or user name (an officer or
    /// administrator). Another owner is 400 `KEY_SIGNED_OWNER`.
    pub owner: String,
    /// Base64 of the new 32-byte Ed25519 public key.
    pub public_key: String,
}

/// An administrator's registration of a key for someone else.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminKeyRequest {
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// A registered key and its approval.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub key_id: String,
    pub public_key: String,
    /// `operator:<EORI>` or `user:<username>`.
    pub owner: String,
    /// Who approved it: the owner (then `approvingKey` is the key that
    /// signed the request) or an administrator (`user:<username>`).
    pub approved_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approving_key: Option<String>,
    /// When it was registered (RFC 3339, UTC).
    pub at: String,
    /// True when the same signed request was answered before (200):
    /// nothing was registered again.
    pub replay: bool,
}

impl From<AddedKey> for KeyView {
    fn from(k: AddedKey) -> Self {
        KeyView {
            key_id: k.key_id,
            public_key: k.public_key,
            owner: k.owner,
            approved_by: k.approved_by,
            approving_key: k.approving_key,
            at: rfc3339(k.at),
            replay: k.replay,
        }
    }
}

/// One of the caller's keys.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnKeyView {
    pub key_id: String,
    pub public_key: String,
    pub created_at: String,
    pub revoked: bool,
    /// When it was revoked (RFC 3339, UTC); absent for active keys and
    /// keys revoked before revocation times were kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Who revoked it (`operator:<EORI>`, `user:<username>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// Who approved it; absent for keys of the demo set-up and keys
    /// registered before approvals existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approving_key: Option<String>,
}

impl From<OwnKey> for OwnKeyView {
    fn from(k: OwnKey) -> Self {
        OwnKeyView {
            key_id: k.key_id,
            public_key: k.public_key,
            created_at: rfc3339(k.created_at),
            revoked: k.revoked,
            revoked_at: k.revoked_at.map(rfc3339),
            revoked_by: k.revoked_by,
            approved_by: k.approved_by,
            approving_key: k.approving_key,
        }
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn answer(k: AddedKey) -> (StatusCode, Json<KeyView>) {
    let status = if k.replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, Json(k.into()))
}

/// Add a signing key to one's own account: an operator's signs its
/// declarations, amendments and invalidations; an officer's (or an
/// administrator's) signs officer acts. The request is signed with one of
/// the caller's active keys (`X-Tamga-Signature` over the exact body,
/// `X-Tamga-Key-Id` may name the key), so a stolen token alone cannot add
/// a key. Without an active key: 403 `KEY_APPROVAL_REQUIRED` (an
/// administrator registers the first key). Unsigned or badly signed: 422
/// `KEY_SIGNATURE_*`. A body naming another owner: 400 `KEY_SIGNED_OWNER`
/// at `/owner`; another act: 400 `KEY_SIGNED_ACT` at `/act`. The same signed
/// body again: 200 with `replay: true`, nothing registered. An operator is
/// notified (`signing_key_added`) of every key added.
#[utoipa::path(post, path = "/api/v1/account/signing-keys", tag = "account",
    request_body = SignedKeyRequest,
    params(("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body, by one of the caller's active keys"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the signing key")),
    responses((status = 201, body = KeyView, description = "registered"),
        (status = 200, body = KeyView, description = "the same signed request again: a replay, nothing registered"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the key is another owner's (SIGNING_KEY_TAKEN)"),
        (status = 422, body = ErrorBody, description = "signature missing, unknown key or invalid")),
    security(("bearer" = [])))]
pub async fn add_own_key(
    State(s): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<(StatusCode, Json<KeyView>)> {
    let approval = KeyApproval::Signed(signed(&headers, &b));
    let k = match &caller {
        Caller::Operator(op) => s.clearance.add_signing_key(&caller, op, approval).await?,
        Caller::User(u) => {
            caller.require(&[Role::Officer, Role::Admin])?;
            s.clearance
                .add_officer_key(&caller, &u.username, approval)
                .await?
        }
    };
    Ok(answer(k))
}

/// The caller's signing keys (revoked ones too), oldest first, each with
/// who approved it: how a customs user, who has no notifications, sees
/// every key registered for it.
#[utoipa::path(get, path = "/api/v1/account/signing-keys", tag = "account",
    responses((status = 200, body = Vec<OwnKeyView>)),
    security(("bearer" = [])))]
pub async fn own_keys(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<OwnKeyView>>> {
    let keys = tamga_app::keys::list(s.clearance.store().as_ref(), &caller).await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

/// Administrators: register a first (or replacement) signing key for an
/// economic operator. The role is checked before the body is read (403);
/// an unknown operator is 404. The act is in the audit log
/// (`signing_key.add`, actor the administrator) and the operator is
/// notified (`signing_key_added`).
#[utoipa::path(post, path = "/api/v1/admin/operators/{eori}/signing-keys", tag = "admin",
    params(("eori" = String, Path, description = "the operator's EORI")),
    request_body = AdminKeyRequest,
    responses((status = 201, body = KeyView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the key is another owner's (SIGNING_KEY_TAKEN)")),
    security(("bearer" = [])))]
pub async fn admin_operator_key(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(op): ApiPath<Eori>,
    ApiJson(r): ApiJson<AdminKeyRequest>,
) -> ApiResult<(StatusCode, Json<KeyView>)> {
    let k = s
        .clearance
        .add_signing_key(
            &caller,
            &op,
            KeyApproval::Administrator {
                public_key: &r.public_key,
            },
        )
        .await?;
    Ok(answer(k))
}

/// Administrators: register a first (or replacement) signing key for an
/// officer or another administrator (never for oneself: 403
/// `KEY_SELF_APPROVAL`). The role is checked before the body is read
/// (403); an unknown user is 404, a user who does not sign acts 400
/// `KEY_OWNER_ROLE`. The act is in the audit log (`officer_key.add`, actor
/// the administrator), and the user sees it with its keys.
#[utoipa::path(post, path = "/api/v1/admin/users/{username}/signing-keys", tag = "admin",
    params(("username" = String, Path)),
    request_body = AdminKeyRequest,
    responses((status = 201, body = KeyView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the key is another owner's (SIGNING_KEY_TAKEN)")),
    security(("bearer" = [])))]
pub async fn admin_user_key(
    State(s): State<AppState>,
    AdminAuth(caller): AdminAuth,
    ApiPath(username): ApiPath<String>,
    ApiJson(r): ApiJson<AdminKeyRequest>,
) -> ApiResult<(StatusCode, Json<KeyView>)> {
    let k = s
        .clearance
        .add_officer_key(
            &caller,
            &username,
            KeyApproval::Administrator {
                public_key: &r.public_key,
            },
        )
        .await?;
    Ok(answer(k))
}
