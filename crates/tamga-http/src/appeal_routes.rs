//! HTTP routes of appeals (issue 16): a trader appeals a refusal, a duty
//! assessment or a control result on its declaration, signed like a
//! lodging (`X-Tamga-Signature` over the exact body, whose attachments
//! carry their content in base64, so the signature covers the documents);
//! an appeals officer decides it, signed like an officer act. Who may call
//! what is decided in [`tamga_app::appeals`]; this module translates.
//!
//! A lodging body may be up to [`MAX_BODY`] bytes (five attachments of
//! 2 MiB in base64), more than the API's usual limit: the request guard
//! and the body limit allow it on `POST /api/v1/appeals` only
//! ([`body_limit`]).

use axum::body::Body;
use axum::extract::{RawPathParams, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::appeals::{self, AppealFilter, TimelineStep};
use tamga_core::appeal::{AppealId, AppealOutcome, AppealStatus, AppealSubject};
use tamga_core::lifecycle::Actor;
use tamga_store::AppealRecord;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiPath, ApiQuery};
use crate::mandate_routes::SignedBodyView;
use crate::routes::{count, signed};
use crate::AppState;

/// The largest appeal body (`tamga_core::appeal::MAX_APPEAL_BODY`).
pub const MAX_BODY: usize = tamga_core::appeal::MAX_APPEAL_BODY;

/// The body limit of a request: [`MAX_BODY`] for lodging an appeal,
/// [`crate::MAX_BODY`] for everything else.
pub fn body_limit(method: &Method, route: Option<&str>) -> usize {
    if method == Method::POST && route == Some("/api/v1/appeals") {
        MAX_BODY
    } else {
        crate::MAX_BODY
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(lodge, list, get_one, attachment, decide),
    components(schemas(
        AppealRequest,
        AttachmentUpload,
        DecisionRequest,
        AppealView,
        AppealedActView,
        AttachmentView,
        LodgingSignatureView,
        DecisionView,
        TimelineStepView,
        AppealSubject,
        AppealStatus,
        AppealOutcome,
    ))
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/appeals",
            post(lodge)
                .get(list)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY)),
        )
        .route("/api/v1/appeals/{id}", get(get_one))
        .route("/api/v1/appeals/{id}/attachments/{n}", get(attachment))
        .route("/api/v1/appeals/{id}/decision", post(decide))
}

/// The signed appeal (what the appellant signs and sends).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AppealRequest {
    /// `appeal`.
    #[schema(example = "appeal", pattern = "^appeal$")]
    pub act: String,
    /// The declaration whose decision is appealed.
    #[schema(example = "26UZ0000000000001A")]
    pub mrn: String,
    pub subject: AppealSubject,
    /// Why (1 to 4000 characters once trimmed).
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
    /// At most 5 documents of at most 2 MiB each.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub attachments: Vec<AttachmentUpload>,
}

/// A document attached to an appeal, its content in the signed body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// A file name: at most 200 characters, no path separators, quotes,
    /// control characters or leading dot.
    #[schema(example = "letter.pdf", max_length = 200)]
    pub name: String,
    /// `application/pdf`, `image/png`, `image/jpeg` or `text/plain`; the
    /// content must be of that type.
    #[schema(pattern = "^(application/pdf|image/png|image/jpeg|text/plain)$")]
    pub media_type: String,
    /// The file's bytes in base64 (standard alphabet, padded), at most
    /// 2 MiB decoded.
    pub content_base64: String,
}

/// The signed decision (what the appeals officer signs and sends).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct DecisionRequest {
    /// `appeal_decision`.
    #[schema(example = "appeal_decision", pattern = "^appeal_decision$")]
    pub act: String,
    /// The appeal decided (the path's id).
    #[schema(minimum = 1)]
    pub appeal: i64,
    /// The appeal's declaration.
    pub mrn: String,
    pub outcome: AppealOutcome,
    /// Why (1 to 4000 characters once trimmed).
    #[schema(min_length = 1, max_length = 4000)]
    pub reason: String,
}

/// The act appealed against: its event in the declaration's log.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppealedActView {
    /// The event's `seq`.
    pub seq: u32,
    /// `refused`, `control_result_recorded` or `duties_assessed`.
    pub kind: String,
    pub actor: Actor,
}

/// An attached document (its bytes at `href`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentView {
    /// 1-based.
    pub n: u32,
    pub name: String,
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 (hex) of the bytes.
    pub sha256: String,
    /// Where to download it.
    pub href: String,
}

/// The appellant's signature over the appeal body (the body itself, with
/// the attachments, is kept for verification but not served).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LodgingSignatureView {
    pub body_sha256: String,
    /// Id of the appellant's key that signed.
    pub signing_key: String,
    /// Base64 detached Ed25519 signature.
    pub signature: String,
}

/// The decision of an appeal, with the officer's signed body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    pub outcome: AppealStatus,
    pub reason: String,
    /// The appeals officer.
    pub decided_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: OffsetDateTime,
    pub signed: SignedBodyView,
}

/// One step of the appeal's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineStepView {
    pub status: AppealStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// `operator:<EORI>` or `user:<username>`.
    pub by: String,
}

/// An appeal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppealView {
    #[schema(minimum = 1)]
    pub id: i64,
    pub mrn: String,
    /// The declaration's office.
    pub office: String,
    pub declarant: String,
    /// Who lodged it: the declarant or its representative.
    pub appellant: String,
    pub subject: AppealSubject,
    pub status: AppealStatus,
    pub reason: String,
    pub appealed_act: AppealedActView,
    pub attachments: Vec<AttachmentView>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub lodged_at: OffsetDateTime,
    pub lodging: LodgingSignatureView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionView>,
    /// Lodged, then decided.
    pub timeline: Vec<TimelineStepView>,
    /// This signed body (appeal or decision) was recorded before: nothing
    /// was written now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
}

impl From<AppealRecord> for AppealView {
    fn from(a: AppealRecord) -> Self {
        let timeline = appeals::timeline(&a)
            .into_iter()
            .map(|TimelineStep { status, at, by }| TimelineStepView { status, at, by })
            .collect();
        let id = a.id.get();
        AppealView {
            id,
            mrn: a.mrn.to_string(),
            office: a.office.to_string(),
            declarant: a.declarant.to_string(),
            appellant: a.appellant.to_string(),
            subject: a.subject,
            status: a.status,
            reason: a.reason,
            appealed_act: AppealedActView {
                seq: a.appealed.seq,
                kind: a.appealed.kind,
                actor: a.appealed.actor,
            },
            attachments: a
                .attachments
                .into_iter()
                .map(|m| AttachmentView {
                    href: format!("/api/v1/appeals/{id}/attachments/{}", m.n),
                    n: m.n,
                    name: m.name,
                    media_type: m.media_type.as_str().to_owned(),
                    size: m.size,
                    sha256: m.sha256,
                })
                .collect(),
            lodged_at: a.lodged_at,
            lodging: LodgingSignatureView {
                body_sha256: a.body_sha256,
                signing_key: a.signing_key,
                signature: a.signature,
            },
            decision: a.decision.map(|d| DecisionView {
                outcome: d.status,
                reason: d.reason,
                decided_by: d.decided_by,
                decided_at: d.decided_at,
                signed: d.signed.into(),
            }),
            timeline,
            replay: false,
        }
    }
}

fn view(a: AppealRecord, replay: bool) -> AppealView {
    let mut v = AppealView::from(a);
    v.replay = replay;
    v
}

fn appeal_id(s: &str, pointer: &str) -> ApiResult<AppealId> {
    AppealId::parse(s).ok_or_else(|| {
        ApiError::bad_request(
            "APPEAL_ID",
            pointer,
            format!("{s:?} is not an appeal id (a positive integer)"),
        )
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only appeals in this status.
    #[param(pattern = "^(lodged|upheld|dismissed)$")]
    pub status: Option<String>,
    /// 1 to 500, default 100 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// Lodge an appeal (the declarant, or its representative under a mandate
/// covering the declaration). The body (see `AppealRequest`) is signed
/// with the appellant's registered key in `X-Tamga-Signature`; the
/// attachments' content is inside it, so the signature covers them. The
/// same signed body again answers with the appeal it created (200,
/// `replay: true`). The trader is notified (`appeal_lodged`).
#[utoipa::path(post, path = "/api/v1/appeals", tag = "appeals",
    request_body(content = AppealRequest, content_type = "application/json"),
    params(("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body by the appellant"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the signing key")),
    responses(
        (status = 201, description = "lodged", body = AppealView),
        (status = 200, description = "this signed body was lodged before (`replay: true`)", body = AppealView),
        (status = 400, description = "a bad body: `APPEAL_INVALID`, `APPEAL_ACT`, `APPEAL_SUBJECT`, `APPEAL_REASON`, `APPEAL_ATTACHMENTS`, `APPEAL_ATTACHMENT_NAME`, `APPEAL_ATTACHMENT_MEDIA_TYPE`, `APPEAL_ATTACHMENT_TOO_LARGE`, `APPEAL_ATTACHMENT_CONTENT`, with the pointer", body = ErrorBody),
        (status = 403, description = "not an economic operator, or a representative without a mandate covering the declaration (`APPEAL_MANDATE`)", body = ErrorBody),
        (status = 404, description = "no such declaration of the caller's", body = ErrorBody),
        (status = 409, description = "the declaration has no such decision (`APPEAL_NO_SUCH_DECISION`), or an appeal on it is open (`APPEAL_OPEN`)", body = ErrorBody),
        (status = 413, description = "the body exceeds 14 MiB", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown or revoked key, or invalid (`APPEAL_SIGNATURE_*`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn lodge(
    State(s): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<impl IntoResponse> {
    let l = appeals::lodge(&s.clearance, &caller, signed(&headers, &b)).await?;
    let status = if l.replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(view(l.appeal, l.replay))))
}

/// The appeals the caller may read, newest first: a trader its own (lodged
/// by it or on its declarations), an officer those of its offices, appeals
/// officers and administrators all.
#[utoipa::path(get, path = "/api/v1/appeals", tag = "appeals", params(ListParams),
    responses((status = 200, description = "the appeals, newest first", body = Vec<AppealView>),
        (status = 400, description = "a bad `status` (`QUERY_STATUS`) or `limit` (`QUERY_LIMIT`)", body = ErrorBody),
        (status = 403, description = "the caller's role reads no appeals", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<AppealView>>> {
    let status = q
        .status
        .as_deref()
        .map(|st| {
            AppealStatus::parse(st).ok_or_else(|| {
                ApiError::bad_request(
                    "QUERY_STATUS",
                    "/status",
                    format!("{st:?}: lodged, upheld or dismissed"),
                )
            })
        })
        .transpose()?;
    let limit = count(q.limit.as_deref(), "limit", 100, appeals::MAX_LIST)?;
    let list = appeals::list(&s.clearance, &caller, AppealFilter { status, limit }).await?;
    Ok(Json(list.into_iter().map(AppealView::from).collect()))
}

/// One appeal with its attachments' descriptions, decision and timeline;
/// 404 for an appeal the caller may not read.
#[utoipa::path(get, path = "/api/v1/appeals/{id}", tag = "appeals",
    params(("id" = i64, Path, description = "the appeal's id")),
    responses((status = 200, description = "the appeal", body = AppealView),
        (status = 400, description = "not an appeal id (`APPEAL_ID`)", body = ErrorBody),
        (status = 404, description = "no such appeal the caller may read", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AppealView>> {
    let id = appeal_id(&id, "/id")?;
    Ok(Json(appeals::get(&s.clearance, &caller, id).await?.into()))
}

/// The two path parameters of an attachment.
fn attachment_path(params: &RawPathParams) -> ApiResult<(AppealId, u32)> {
    let mut id = None;
    let mut n = None;
    for (name, value) in params {
        match name {
            "id" => id = Some(appeal_id(value, "/id")?),
            "n" => {
                n = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1 && value.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "APPEAL_ATTACHMENT_N",
                                "/n",
                                format!("{value:?} is not an attachment number (1, 2, …)"),
                            )
                        })?,
                )
            }
            _ => {}
        }
    }
    match (id, n) {
        (Some(id), Some(n)) => Ok((id, n)),
        _ => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        )),
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII
/// fallback and the name itself, percent-encoded.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// An attachment's bytes, served with its media type as a download
/// (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`);
/// 404 for an appeal the caller may not read.
#[utoipa::path(get, path = "/api/v1/appeals/{id}/attachments/{n}", tag = "appeals",
    params(("id" = i64, Path, description = "the appeal's id"),
           ("n" = u32, Path, description = "the attachment's number, from 1")),
    responses((status = 200, description = "the document, with its media type", content(
            (String = "application/pdf"),
            (String = "image/png"),
            (String = "image/jpeg"),
            (String = "text/plain"))),
        (status = 400, description = "not an appeal id or attachment number", body = ErrorBody),
        (status = 404, description = "no such appeal the caller may read, or no such attachment", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn attachment(
    State(s): State<AppState>,
    Auth(caller): Auth,
    params: RawPathParams,
) -> ApiResult<Response> {
    let (id, n) = attachment_path(&params)?;
    let file = appeals::attachment(&s.clearance, &caller, id, n).await?;
    let mut r = Response::new(Body::from(file.content));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.meta.media_type.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&file.meta.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

/// Decide an appeal (an appeals officer; not the officer who made the act
/// appealed). The body (see `DecisionRequest`) is signed with the
/// officer's registered key in `X-Tamga-Signature`. An appeal is decided
/// once; the same signed decision again answers 200 with `replay: true`.
/// The trader is notified (`appeal_decided`).
#[utoipa::path(post, path = "/api/v1/appeals/{id}/decision", tag = "appeals",
    params(("id" = i64, Path, description = "the appeal's id"),
           ("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body by the appeals officer"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the signing key")),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "decided (or this signed decision was recorded before: `replay: true`)", body = AppealView),
        (status = 400, description = "a bad body (`APPEAL_INVALID`, `APPEAL_ACT`, `APPEAL_OUTCOME`, `APPEAL_REASON`), or one naming another appeal (`APPEAL_SIGNED_ID`) or declaration (`APPEAL_SIGNED_MRN`); a body above 16 KiB (`OFFICER_ACT_TOO_LARGE`)", body = ErrorBody),
        (status = 403, description = "not an appeals officer, or the officer who made the act appealed (`APPEAL_OWN_ACT`)", body = ErrorBody),
        (status = 404, description = "no such appeal", body = ErrorBody),
        (status = 409, description = "decided already by another decision (`APPEAL_DECIDED`)", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown or revoked key, or invalid (`OFFICER_SIGNATURE_*`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<AppealView>> {
    let id = appeal_id(&id, "/id")?;
    let d = appeals::decide(&s.clearance, &caller, id, signed(&headers, &b)).await?;
    Ok(Json(view(d.appeal, d.replay)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_safely() {
        assert_eq!(
            content_disposition("letter.pdf"),
            "attachment; filename=\"letter.pdf\"; filename*=UTF-8''letter.pdf"
        );
        assert_eq!(
            content_disposition("акт 1.pdf"),
            "attachment; filename=\"___ 1.pdf\"; filename*=UTF-8''%D0%B0%D0%BA%D1%82%201.pdf"
        );
    }

    #[test]
    fn only_lodging_an_appeal_takes_a_large_body() {
        assert_eq!(body_limit(&Method::POST, Some("/api/v1/appeals")), MAX_BODY);
        assert_eq!(
            body_limit(&Method::GET, Some("/api/v1/appeals")),
            crate::MAX_BODY
        );
        assert_eq!(
            body_limit(&Method::POST, Some("/api/v1/declarations")),
            crate::MAX_BODY
        );
        assert_eq!(body_limit(&Method::POST, None), crate::MAX_BODY);
    }
}
