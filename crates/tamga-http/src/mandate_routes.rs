//! HTTP routes of mandates (issue 13, finding 1): a declarant grants a
//! representative the right to lodge, amend and invalidate declarations in
//! its name, reads the mandates it granted and received, and revokes them.
//! Grants and revocations are signed like lodgings (`X-Tamga-Signature`
//! over the exact body). Who may call what is decided in
//! [`tamga_app::mandates`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_core::codes::Eori;
use tamga_core::declaration::RepresentationKind;
use tamga_store::{MandateRecord, SignedBody};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiPath, ApiQuery};
use crate::routes::signed;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(grant, list, get_one, revoke),
    components(schemas(
        MandateView,
        MandateList,
        SignedBodyView,
        MandateGrant,
        MandateRevocation
    ))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account/mandates", post(grant).get(list))
        .route("/api/v1/account/mandates/{id}", get(get_one))
        .route("/api/v1/account/mandates/{id}/revocation", post(revoke))
}

/// The signed grant body (what the declarant signs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct MandateGrant {
    /// The declarant granting (the caller), operator id.
    pub declarant: Eori,
    /// The representative authorised, operator id.
    pub representative: Eori,
    /// `direct` or `indirect` representation (DE 3/21).
    pub kind: RepresentationKind,
    /// Procedure codes (DE 1/10) covered; empty or absent: all.
    #[serde(default)]
    pub procedures: Vec<tamga_core::codes::ProcedureCode>,
    /// Declaration offices covered; empty or absent: all.
    #[serde(default)]
    pub offices: Vec<tamga_core::codes::OfficeCode>,
    /// First day in force, `YYYY-MM-DD` (UTC).
    #[schema(example = "2026-01-01", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub valid_from: String,
    /// Last day in force, `YYYY-MM-DD` (UTC, inclusive); absent: until revoked.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub valid_to: Option<String>,
    /// Whether duties are paid from the declarant's account. Without it an
    /// indirect representative's own account pays; a direct representative
    /// cannot lodge.
    pub pay_from_declarant_account: bool,
    /// The declarant's own reference (at most 512 bytes).
    pub reference: Option<String>,
}

/// The signed revocation body.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MandateRevocation {
    /// The id of the mandate revoked (the one in the path).
    pub mandate: i64,
    /// Why (at most 512 bytes).
    pub reason: Option<String>,
}

/// A signed body as recorded, with its signature so it can be verified
/// again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedBodyView {
    /// The exact signed bytes (UTF-8 JSON).
    pub body: String,
    pub body_sha256: String,
    /// Id of the declarant's key that signed.
    pub signing_key: String,
    /// Base64 detached Ed25519 signature over `body`.
    pub signature: String,
}

impl From<SignedBody> for SignedBodyView {
    fn from(s: SignedBody) -> Self {
        SignedBodyView {
            body: s.body,
            body_sha256: s.body_sha256,
            signing_key: s.signing_key,
            signature: s.signature,
        }
    }
}

/// A mandate: its terms, whether it is active today, and the signed bodies
/// that granted (and revoked) it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MandateView {
    pub id: i64,
    pub declarant: String,
    pub representative: String,
    /// `direct` or `indirect`.
    pub kind: String,
    pub procedures: Vec<String>,
    pub offices: Vec<String>,
    #[schema(example = "2026-01-01")]
    pub valid_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    pub pay_from_declarant_account: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    /// Not revoked and in force today (UTC).
    pub active: bool,
    pub grant: SignedBodyView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation: Option<SignedBodyView>,
    /// On a grant: the same signed body was granted before (200), and this
    /// is that mandate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
}

impl From<MandateRecord> for MandateView {
    fn from(r: MandateRecord) -> Self {
        let today = OffsetDateTime::now_utc().date();
        let active = r.mandate.active(today);
        let t = r.mandate.terms;
        MandateView {
            id: r.mandate.id,
            declarant: t.declarant.to_string(),
            representative: t.representative.to_string(),
            kind: match t.kind {
                RepresentationKind::Direct => "direct",
                RepresentationKind::Indirect => "indirect",
            }
            .into(),
            procedures: t.procedures.iter().map(|p| p.to_string()).collect(),
            offices: t.offices.iter().map(|o| o.to_string()).collect(),
            valid_from: t.valid_from.to_string(),
            valid_to: t.valid_to.map(|d| d.to_string()),
            pay_from_declarant_account: t.pay_from_declarant_account,
            reference: t.reference,
            granted_at: r.mandate.granted_at,
            revoked_at: r.mandate.revoked_at,
            active,
            grant: r.grant.into(),
            revocation: r.revocation.map(Into::into),
            replay: false,
        }
    }
}

/// An operator's mandates: those it granted (as declarant) and those it
/// received (as representative), newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MandateList {
    pub party: String,
    pub granted: Vec<MandateView>,
    pub received: Vec<MandateView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Whose mandates: an operator reads only its own (default); officers
    /// and administrators name the operator (required).
    #[param(pattern = r"^[A-Z]{2}[A-Z0-9]{1,15}$")]
    pub party: Option<String>,
}

fn parse_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>().map_err(|_| {
        ApiError::bad_request(
            "MANDATE_ID",
            "/id",
            format!("{s:?} is not a mandate id (a positive integer)"),
        )
    })
}

/// Grant a mandate (the declarant). The body is the terms (see
/// `MandateGrant`), signed with the declarant's registered key in
/// `X-Tamga-Signature`. Sending the same signed body again answers with the
/// mandate it created (200, `replay: true`), even if it was revoked since.
#[utoipa::path(post, path = "/api/v1/account/mandates", tag = "mandates",
    request_body(content = MandateGrant, content_type = "application/json"),
    params(("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body by the declarant"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the signing key")),
    responses(
        (status = 201, description = "granted", body = MandateView),
        (status = 200, description = "this signed body was granted before", body = MandateView),
        (status = 400, description = "bad terms (code and pointer)", body = ErrorBody),
        (status = 403, description = "the caller is not the declarant named, or not an operator", body = ErrorBody),
        (status = 422, description = "signature missing, unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn grant(
    State(s): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<impl IntoResponse> {
    let g = s
        .clearance
        .grant_mandate(&caller, signed(&headers, &b))
        .await?;
    let status = if g.replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut view = MandateView::from(g.record);
    view.replay = g.replay;
    Ok((status, Json(view)))
}

/// The mandates an operator granted and received. Operators read their
/// own; officers and administrators any operator's (`party`), for audit.
#[utoipa::path(get, path = "/api/v1/account/mandates", tag = "mandates", params(ListParams),
    responses((status = 200, body = MandateList), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<MandateList>> {
    let party = match q.party.as_deref() {
        Some(p) => {
            Some(Eori::parse(p).map_err(|e| ApiError::bad_request(e.code, "/party", e.message))?)
        }
        None => None,
    };
    let records = s.clearance.mandates(&caller, party.as_ref()).await?;
    let party = match (party, &caller) {
        (Some(p), _) => p,
        (None, tamga_app::Caller::Operator(op)) => op.clone(),
        (None, _) => {
            return Err(ApiError::bad_request(
                "MANDATE_PARTY_REQUIRED",
                "/party",
                "give ?party=",
            ))
        }
    };
    let (granted, received): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|r| r.mandate.terms.declarant == party);
    Ok(Json(MandateList {
        party: party.to_string(),
        granted: granted.into_iter().map(Into::into).collect(),
        received: received.into_iter().map(Into::into).collect(),
    }))
}

/// One mandate, for its declarant and representative (and officers and
/// administrators); 404 for anyone else.
#[utoipa::path(get, path = "/api/v1/account/mandates/{id}", tag = "mandates",
    params(("id" = i64, Path)),
    responses((status = 200, body = MandateView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<MandateView>> {
    let id = parse_id(&id)?;
    Ok(Json(s.clearance.mandate(&caller, id).await?.into()))
}

/// Revoke a mandate (its declarant). Signed body `{"mandate": <id>,
/// "reason": "..."}` naming the mandate of the path. From then on its
/// representative's lodgings, amendments and invalidations under it are
/// refused (`FLC-MANDATE-MISSING`); declarations already lodged keep their
/// payer.
#[utoipa::path(post, path = "/api/v1/account/mandates/{id}/revocation", tag = "mandates",
    params(("id" = i64, Path), ("X-Tamga-Signature" = String, Header),
           ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = MandateRevocation, content_type = "application/json"),
    responses(
        (status = 200, description = "revoked (or this signed revocation was applied before)", body = MandateView),
        (status = 400, description = "the body does not name this mandate, or it is already revoked", body = ErrorBody),
        (status = 403, description = "the caller is its representative, not its declarant", body = ErrorBody),
        (status = 404, description = "no such mandate of the caller's", body = ErrorBody),
        (status = 422, description = "signature missing, unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<MandateView>> {
    let id = parse_id(&id)?;
    Ok(Json(
        s.clearance
            .revoke_mandate(&caller, id, signed(&headers, &b))
            .await?
            .into(),
    ))
}
