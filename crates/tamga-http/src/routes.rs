//! The `/api/v1` handlers. Each one authenticates, translates the wire
//! format into a call on [`tamga_app::Clearance`] and the result back.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use tamga_app::clearance::{MessageAct, SignatureCheck};
use tamga_app::{Accepted, Caller, Signed};
use tamga_core::codes::{Mrn, OfficeCode};
use tamga_core::control::{RuleDef, Violation, RULES};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::{ControlOutcome, State as DeclState};
use tamga_core::risk::{RandomSelection, SelectivityCriterion};
use tamga_store::{DeclarationRecord, Notification};

use crate::auth::{Auth, OperatorAuth};
use crate::body_format::{body_format, BodyFormat};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub const SIGNATURE_HEADER: &str = "x-tamga-signature";
pub const KEY_ID_HEADER: &str = "x-tamga-key-id";

/// A declaration as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationView {
    pub mrn: String,
    pub lrn: String,
    #[serde(rename = "type")]
    pub declaration_type: String,
    pub state: String,
    pub channel: String,
    pub version: u32,
    pub declarant: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<String>,
    pub lodged_by: String,
    pub office: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub registered_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Control warnings at lodging (errors reject; warnings do not).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Violation>,
    /// True when this answers an identical re-send of an earlier lodging,
    /// or a signed act (amendment, invalidation, officer act) whose exact
    /// body is already recorded on the declaration: nothing was written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
    /// The declaration data (the lodged document, parsed).
    #[schema(value_type = Declaration)]
    pub declaration: serde_json::Value,
    /// Lodged as WCO DEC-DMS XML: the elements and attributes tamga does
    /// not model (XPaths); as a UN/EDIFACT CUSDEC (answered in JSON): the
    /// segments, elements and components (`segment 12 (FTX)`). Empty when
    /// every one was mapped. They are not dropped: the original message is
    /// stored with the declaration. Absent for a JSON lodging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_used: Option<Vec<String>>,
}

impl From<DeclarationRecord> for DeclarationView {
    fn from(r: DeclarationRecord) -> Self {
        DeclarationView {
            mrn: r.mrn.to_string(),
            lrn: r.lrn.to_string(),
            declaration_type: r.declaration_type.as_str().to_owned(),
            state: r.state.as_str().to_owned(),
            channel: r.channel.as_str().to_owned(),
            version: r.version,
            declarant: r.declarant.to_string(),
            representative: r.representative.map(|r| r.to_string()),
            lodged_by: r.lodged_by.to_string(),
            office: r.office.to_string(),
            registered_at: r.registered_at,
            updated_at: r.updated_at,
            warnings: Vec::new(),
            replay: false,
            declaration: serde_json::to_value(&r.declaration).unwrap_or_default(),
            not_used: None,
        }
    }
}

impl From<Accepted> for DeclarationView {
    fn from(a: Accepted) -> Self {
        let mut v = DeclarationView::from(a.record);
        v.warnings = a.warnings;
        v.replay = a.replay;
        v
    }
}

fn parse_mrn(s: &str) -> ApiResult<Mrn> {
    Mrn::parse(s).map_err(|e| ApiError::bad_request(e.code, "/mrn", e.message))
}

/// A bounded count from the query (`limit`, `history`): absent is
/// `default`; an integer outside 1 to `max` (however large) is 400
/// `QUERY_<NAME>` at `/<name>` (the bounds are in the OpenAPI document);
/// not an unsigned integer at all, 400 `QUERY_PARAMETERS` as for every
/// query parameter of the wrong type.
pub(crate) fn count(v: Option<&str>, name: &str, default: u32, max: u32) -> ApiResult<u32> {
    let Some(v) = v else { return Ok(default) };
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "QUERY_PARAMETERS",
            format!("{name} must be an integer from 1 to {max}, not {v:?}"),
        )
        .at(format!("/{name}")));
    }
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(
            &format!("QUERY_{}", name.to_ascii_uppercase()),
            &format!("/{name}"),
            format!("{name} must be an integer from 1 to {max}, not {v}"),
        )),
    }
}

pub(crate) fn signed<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> Signed<'a> {
    Signed {
        body,
        signature: headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()),
        key_id: headers.get(KEY_ID_HEADER).and_then(|v| v.to_str().ok()),
    }
}

/// `/healthz` when the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "database reachable", body = Health),
    (status = 503, description = "database unreachable", body = ErrorBody)))]
pub async fn healthz(State(s): State<AppState>) -> ApiResult<Json<Health>> {
    s.clearance.store().ping().await.map_err(|e| {
        tracing::error!(error = %crate::observe::cause_chain(&e), "health check: database unreachable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "DATABASE_UNREACHABLE",
            "the database is unreachable",
        )
    })?;
    Ok(Json(Health {
        status: "ok".into(),
        database: s.clearance.store().backend().to_string(),
    }))
}

/// Lodge a declaration.
///
/// The body is the declaration JSON (`Content-Type: application/json`, or
/// none), a WCO DEC-DMS declaration with function code 9
/// (`application/xml` or `text/xml`, UTF-8), or a UN/EDIFACT CUSDEC
/// interchange, directory D:96B or D:99B, message function 9
/// (`application/EDIFACT`, any case; docs/messages.md).
/// `X-Tamga-Signature` carries the base64 detached Ed25519 signature over
/// the exact body bytes (the XML or EDIFACT as sent, for a message), made
/// with one of the lodging operator's registered keys (`X-Tamga-Key-Id` may
/// name it). It is controlled, registered (MRN), risk-assessed and, when
/// green, released in the same request. Re-sending the same LRN and body
/// returns the original declaration (200, `replay: true`).
///
/// XML: a message that is not well-formed, has a DOCTYPE (so no entity is
/// ever expanded or fetched), breaks the DEC-DMS schema or cannot be
/// mapped is rejected (422) with every error's code (`XML-*`, `SCHEMA-*`,
/// `WCO-*`) and `xpath`; control's violations carry both their JSON
/// `pointer` into the mapped declaration and the `xpath` of the element.
/// The answer lists the elements tamga does not model (`notUsed`); the
/// message is stored with the declaration.
///
/// XML function code 13 acts on the declaration its `ID` (MRN) names, as
/// the JSON acts do, and answers 200 with the declaration and `notUsed`:
/// an amendment (type COR) applies what it carries to the current version
/// (goods items by `SequenceNumeric`, a new one added) and is then
/// controlled, assessed for duties and risk again (the stricter channel)
/// as `POST …/{mrn}/amendments`; a cancellation (INV) invalidates it for
/// the reason in `AdditionalInformation/StatementDescription` as
/// `POST …/{mrn}/invalidation`. The same signed message again: 200,
/// `replay: true`, nothing applied twice. Another operator's MRN: 404; no
/// MRN in `ID`: 400 `SIGNED_MRN`; a pointer at an element the message
/// does not carry (a removal): 422 `WCO-AMEND-NOT-CARRIED`; released,
/// refused or invalidated already: 409. Goods presentation (GPR): 400
/// `XML_FUNCTION_NOT_SUPPORTED` at `FunctionCode`.
///
/// EDIFACT: answered in `application/EDIFACT` unless `Accept` ranks
/// `application/json` higher: 201/200 with a CUSRES (accepted, the MRN);
/// 422 with a CONTRL for an interchange that cannot be read (`EDI-*`, with
/// the segment and element position and the ISO 9735 syntax error code)
/// or is not one CUSDEC of D:96B/D:99B; 422 with a CUSRES (rejected, each
/// violation's code and segment position) for mapping (`CUSDEC-*`),
/// control, signature and lodger errors; 409 with a CUSRES for an LRN used
/// for other bytes. In JSON, the same statuses with the usual bodies, each
/// violation with its `segment` position.
#[utoipa::path(post, path = "/api/v1/declarations", tag = "declarations",
    request_body(description = "the declaration, signed: tamga's JSON (see docs/declaration.md), WCO DEC-DMS XML or a UN/EDIFACT CUSDEC (docs/messages.md)",
        content((Declaration = "application/json"), (String = "application/xml"), (String = "text/xml"), (String = "application/EDIFACT"))),
    params(("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the signing key")),
    responses(
        (status = 201, description = "registered (and possibly released); for an EDIFACT body, a CUSRES unless JSON is asked for",
            content((DeclarationView = "application/json"), (String = "application/EDIFACT"))),
        (status = 200, description = "identical re-send; a DEC-DMS amendment or cancellation applied (or its replay); for an EDIFACT body, a CUSRES unless JSON is asked for",
            content((DeclarationView = "application/json"), (String = "application/EDIFACT"))),
        (status = 400, description = "a DEC-DMS goods presentation (XML_FUNCTION_NOT_SUPPORTED at its FunctionCode); an amendment or cancellation without an MRN in ID (SIGNED_MRN), a cancellation without a reason (INVALIDATION_REASON), an amendment changing reserved duties or quota draws", body = ErrorBody),
        (status = 404, description = "a DEC-DMS amendment or cancellation of a declaration the caller may not act on (or none)", body = ErrorBody),
        (status = 409, description = "LRN used for a different body (for an EDIFACT body, a CUSRES unless JSON is asked for); a DEC-DMS amendment or cancellation of a declaration released, refused or invalidated already, or a cancellation while a control is pending",
            content((ErrorBody = "application/json"), (String = "application/EDIFACT"))),
        (status = 413, description = "the body is larger than 2 MiB", body = ErrorBody),
        (status = 415, description = "the body is neither application/json, UTF-8 application/xml or text/xml, nor application/EDIFACT (CONTENT_TYPE)", body = ErrorBody),
        (status = 422, description = "rejected (every violation listed): a body that is not JSON, XML or EDIFACT that cannot be read or mapped, control, or the signature is missing, of an unknown key or invalid; for an EDIFACT body a CONTRL (syntax) or a CUSRES (the rest) unless JSON is asked for",
            content((ErrorBody = "application/json"), (String = "application/EDIFACT")))),
    security(("bearer" = [])))]
pub async fn lodge(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Response> {
    let status = |replay: bool| {
        if replay {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        }
    };
    let (accepted, not_used) = match body_format(&headers)? {
        BodyFormat::Json => (s.clearance.lodge(&op, signed(&headers, &b)).await?, None),
        BodyFormat::Xml => {
            let m = s.clearance.lodge_wco(&op, signed(&headers, &b)).await?;
            if m.act != MessageAct::Lodged {
                // An amendment or cancellation changes a declaration, as
                // the JSON acts do: 200.
                let mut view = DeclarationView::from(m.accepted);
                view.not_used = Some(m.not_used);
                return Ok((StatusCode::OK, Json(view)).into_response());
            }
            (m.accepted, Some(m.not_used))
        }
        BodyFormat::Edifact => {
            let json = crate::edifact_answer::wants_json(&headers);
            return match s.clearance.lodge_edifact(&op, signed(&headers, &b)).await {
                Ok(m) => {
                    let status = status(m.accepted.replay);
                    let mut view = DeclarationView::from(m.accepted);
                    if json {
                        view.not_used = Some(m.not_used);
                        Ok((status, Json(view)).into_response())
                    } else {
                        Ok(crate::edifact_answer::accepted(
                            &b, &view, m.not_used, status,
                        ))
                    }
                }
                Err(e) if json => Err(e.into()),
                Err(e) => Ok(crate::edifact_answer::refused(&b, e)),
            };
        }
    };
    let mut view = DeclarationView::from(accepted);
    view.not_used = not_used;
    Ok((status(view.replay), Json(view)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated states (registered, under_control, awaiting_payment,
    /// released, refused, invalidated).
    #[param(
        pattern = r"^(registered|under_control|awaiting_payment|released|refused|invalidated)(,(registered|under_control|awaiting_payment|released|refused|invalidated))*$"
    )]
    pub state: Option<String>,
    /// MRN of the last declaration of the previous page.
    #[param(pattern = r"^[0-9]{2}[A-Z]{2}[A-Z0-9]{13}[0-9]$")]
    pub before: Option<String>,
    /// 1 to 500, default 50 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// Declarations the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/declarations", tag = "declarations", params(ListParams),
    responses((status = 200, body = Vec<DeclarationView>)), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<DeclarationView>>> {
    let states = q
        .state
        .as_deref()
        .map(|st| {
            st.split(',')
                .map(|x| {
                    DeclState::parse(x.trim()).ok_or_else(|| {
                        ApiError::bad_request(
                            "QUERY_STATE",
                            "/state",
                            format!("unknown state {x:?}"),
                        )
                    })
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .transpose()?;
    let before = q.before.as_deref().map(parse_mrn).transpose()?;
    let limit = count(q.limit.as_deref(), "limit", 50, 500)?;
    let list = s
        .clearance
        .declarations(&caller, states, before, limit)
        .await?;
    Ok(Json(list.into_iter().map(DeclarationView::from).collect()))
}

/// One declaration.
#[utoipa::path(get, path = "/api/v1/declarations/{mrn}", tag = "declarations",
    params(("mrn" = String, Path)), responses((status = 200, body = DeclarationView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(s.clearance.declaration(&caller, &mrn).await?.into()))
}

/// The declaration's event log: every legally significant act, hash-chained.
/// Economic operators get the `risk_assessed` event redacted (marked
/// `"redacted": true`): its decision holds the channel only, no hits or
/// draws, so its payload hash cannot be recomputed from what they see.
#[utoipa::path(get, path = "/api/v1/declarations/{mrn}/events", tag = "declarations",
    params(("mrn" = String, Path)), responses((status = 200, description = "the events, oldest first", body = Vec<EventView>)), security(("bearer" = [])))]
pub async fn events(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    Ok(Json(s.clearance.events(&caller, &mrn).await?))
}

/// An event of the declaration's log (as `GET .../events` shows it).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct EventView {
    pub mrn: Mrn,
    /// 1-based position in the declaration's history.
    pub seq: u32,
    /// Who acted: `{"type": "operator"|"officer"|"system", "id": ...}`.
    #[schema(value_type = Object)]
    pub actor: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// The version of the API view of `body` (1: the stored body with
    /// camelCase keys).
    pub body_version: u32,
    /// The act, keys in camelCase: `{"kind": "registered"|"riskAssessed"|..., ...}`.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// The stored canonical (snake_case) JSON text of the body, which
    /// `payloadHash` covers; absent on an operator's redacted event.
    pub payload: Option<String>,
    /// SHA-256 (hex) of `payload`.
    pub payload_hash: String,
    /// `hash` of the previous event ("" for the first).
    pub prev_hash: String,
    pub hash: String,
    /// Present (true) when the body was redacted for an economic operator.
    pub redacted: Option<bool>,
}

/// The signed body of an amendment.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct AmendmentRequest {
    /// The declaration amended (the path's MRN).
    pub mrn: Mrn,
    /// The whole declaration, as amended.
    pub declaration: Declaration,
}

/// The signed body of an invalidation.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct InvalidationRequest {
    /// The declaration invalidated (the path's MRN).
    pub mrn: Mrn,
    /// Why (required).
    pub reason: String,
}

/// Amend a declaration before release: the whole declaration again, signed.
///
/// Signed body: `{"mrn": "<this MRN>", "declaration": {<the whole
/// declaration>}}` (docs/declaration.md); violations point into
/// `/declaration`. A body naming another declaration (or none): 400
/// `SIGNED_MRN`, another member: 400 `AMENDMENT_BODY`, and nothing is
/// written. The amended version is assessed for risk again: the stricter of
/// the old and new channel applies, so a declaration waiting for payment
/// may go under control, and one under control needs a control result of
/// the new version. The same signed body sent again: 200, `replay: true`.
#[utoipa::path(post, path = "/api/v1/declarations/{mrn}/amendments", tag = "declarations",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = AmendmentRequest, content_type = "application/json"),
    responses((status = 200, description = "amended (or this signed amendment was applied before: `replay`)", body = DeclarationView),
        (status = 400, body = ErrorBody), (status = 422, description = "rejected by control, or a bad signature", body = ErrorBody),
        (status = 409, description = "released, refused or invalidated already", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn amend(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    ApiPath(mrn): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(
        s.clearance
            .amend(&op, &mrn, signed(&headers, &b))
            .await?
            .into(),
    ))
}

/// Invalidate (cancel) a declaration before release. Signed body:
/// `{"mrn": "<this MRN>", "reason": "..."}`; a body naming another
/// declaration (or none): 400 `SIGNED_MRN`, nothing written. The same
/// signed body sent again: 200, `replay: true`.
#[utoipa::path(post, path = "/api/v1/declarations/{mrn}/invalidation", tag = "declarations",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body(content = InvalidationRequest, content_type = "application/json"),
    responses((status = 200, description = "invalidated", body = DeclarationView), (status = 400, body = ErrorBody),
        (status = 409, description = "released or final already", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)), security(("bearer" = [])))]
pub async fn invalidate(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    ApiPath(mrn): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(
        s.clearance
            .invalidate(&op, &mrn, signed(&headers, &b))
            .await?
            .into(),
    ))
}

/// The signed body of `/control-result` (schema for the documentation; the
/// exact bytes are what the officer signs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControlResultRequest {
    /// The declaration acted on (the path's MRN): binds the signature to it.
    pub mrn: String,
    /// `control_result`.
    pub act: String,
    /// The declaration version controlled: its current version.
    pub version: u32,
    /// `compliant` or `findings`.
    #[schema(value_type = String)]
    pub outcome: ControlOutcome,
    pub notes: Option<String>,
}

/// Record the result of a documentary check or inspection (officer).
///
/// Officer acts are signed: `X-Tamga-Signature` carries the base64
/// Ed25519 signature of the exact body bytes, made with one of the
/// officer's registered keys (`X-Tamga-Key-Id` may name it). Missing,
/// unknown-key or invalid signatures are refused with 422
/// (`OFFICER_SIGNATURE_MISSING`, `OFFICER_SIGNATURE_KEY_UNKNOWN`,
/// `OFFICER_SIGNATURE_INVALID`) and nothing is written. The body names the
/// declaration (`"mrn"`, else 400 `OFFICER_SIGNED_MRN`), the act (`"act"`,
/// else 400 `OFFICER_SIGNED_ACT`) and the declaration version it acts on
/// (`"version"`, else 400 `OFFICER_SIGNED_VERSION`; a version that is not
/// the current one, because the trader amended since: 409
/// `VERSION_NOT_CURRENT`). The result applies to that version only. The
/// same signed body sent again is answered with the declaration as it
/// stands (200, `replay: true`) and recorded once. An open task
/// assigned to another inspector: 403 (administrators may).
#[utoipa::path(post, path = "/api/v1/declarations/{mrn}/control-result", tag = "officer",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header, description = "base64 Ed25519 signature of the body"),
           ("X-Tamga-Key-Id" = Option<String>, Header, description = "id of the officer's signing key")),
    request_body = ControlResultRequest,
    responses((status = 200, description = "recorded", body = DeclarationView), (status = 403, body = ErrorBody),
        (status = 409, description = "not under control, or the version is not the current one", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn control_result(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(
        s.clearance
            .record_control(&caller, &mrn, signed(&headers, &b))
            .await?
            .into(),
    ))
}

/// The signed body of `/release`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The declaration released (the path's MRN).
    pub mrn: String,
    /// `release`.
    pub act: String,
    /// The version released: the current one.
    pub version: u32,
}

/// Release a declaration (officer). Signed like `/control-result`, naming
/// the current version. Under control, a control result must have been
/// recorded on that version (400 `CONTROL_RESULT_MISSING`).
#[utoipa::path(post, path = "/api/v1/declarations/{mrn}/release", tag = "officer",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body = ReleaseRequest,
    responses((status = 200, description = "released", body = DeclarationView), (status = 403, body = ErrorBody),
        (status = 409, description = "not in a state that can be released, or not the current version", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn release(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(
        s.clearance
            .release(&caller, &mrn, signed(&headers, &b))
            .await?
            .into(),
    ))
}

/// The signed body of `/refusal`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusalRequest {
    /// The declaration refused (the path's MRN).
    pub mrn: String,
    /// `refusal`.
    pub act: String,
    /// The version refused: the current one.
    pub version: u32,
    pub reason: String,
}

/// Refuse release (officer). Signed like `/control-result`, naming the
/// current version.
#[utoipa::path(post, path = "/api/v1/declarations/{mrn}/refusal", tag = "officer",
    params(("mrn" = String, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    request_body = RefusalRequest,
    responses((status = 200, description = "refused", body = DeclarationView), (status = 403, body = ErrorBody),
        (status = 409, description = "not in a state that can be refused, or not the current version", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn refuse(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<DeclarationView>> {
    Ok(Json(
        s.clearance
            .refuse(&caller, &mrn, signed(&headers, &b))
            .await?
            .into(),
    ))
}

/// Re-verify the officers' signatures stored with a declaration's acts.
///
/// For every event an officer recorded: the key id, the SHA-256 of the
/// signed body, and whether the stored signature still verifies over the
/// stored body with that officer's registered key.
#[utoipa::path(get, path = "/api/v1/declarations/{mrn}/signatures", tag = "declarations",
    params(("mrn" = String, Path)), responses((status = 200, description = "one check per officer act", body = Vec<SignatureCheck>), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signatures(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(mrn): ApiPath<Mrn>,
) -> ApiResult<Json<Vec<SignatureCheck>>> {
    Ok(Json(s.clearance.signature_checks(&caller, &mrn).await?))
}

/// An office's control queue: declarations waiting for an officer.
#[utoipa::path(get, path = "/api/v1/offices/{office}/queue", tag = "officer",
    params(("office" = String, Path)), responses((status = 200, description = "waiting declarations", body = Vec<DeclarationView>)), security(("bearer" = [])))]
pub async fn queue(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(office): ApiPath<OfficeCode>,
) -> ApiResult<Json<Vec<DeclarationView>>> {
    let list = s.clearance.queue(&caller, &office).await?;
    Ok(Json(list.into_iter().map(DeclarationView::from).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Cursor: the id of the last notification already seen (0 for all).
    pub after: Option<i64>,
    /// 1 to 1000, default 100 (more: 400 `QUERY_LIMIT`).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    /// Pass as `after` to get the next page.
    pub next_after: i64,
}

/// Pull notifications with a cursor: the caller's own, oldest first.
///
/// JSON by default. With `Accept: application/xml` (or `text/xml`,
/// preferred by its `q`), the same page as XML: a `Notifications` list
/// (namespace `urn:tamga:notifications:1`, attribute `nextAfter`) of
/// `Notification` elements (`id`, `kind`, `at`, `mrn`, `lrn`), each
/// holding the notification as a WCO DMS response document (`MetaData`
/// with one or more `Response`s: 01 DMSACC, 03 DMSREJ, 13 DMSTAX …, see
/// docs/messages.md), or empty for a kind with no DMS form. An `Accept`
/// refusing both formats (`q=0`): 406 `NOT_ACCEPTABLE`; one naming
/// neither gets JSON.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "account", params(NotificationParams,
        ("Accept" = Option<String>, Header, description = "application/json (default) or application/xml (DMS notifications)")),
    responses((status = 200, description = "the page",
            content((NotificationPage = "application/json"), (String = "application/xml"))),
        (status = 406, description = "both JSON and XML refused with q=0 (NOT_ACCEPTABLE)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notifications(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<NotificationParams>,
) -> ApiResult<Response> {
    let format = crate::accept::answer(&headers)?;
    let after = q.after.unwrap_or(0);
    let limit = count(q.limit.as_deref(), "limit", 100, 1000)?;
    if format == crate::accept::Answer::Xml {
        let (xml, _) = s.clearance.notifications_xml(&op, after, limit).await?;
        return Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                "application/xml; charset=utf-8",
            )],
            xml,
        )
            .into_response());
    }
    let list = s.clearance.notifications(&op, after, limit).await?;
    let next_after = list.last().map_or(after, |n| n.id);
    Ok(Json(NotificationPage {
        notifications: list,
        next_after,
    })
    .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// http(s) URL notifications are POSTed to; null removes it. Only
    /// public destinations: loopback, private, link-local, multicast,
    /// documentation and reserved addresses and `localhost` are refused
    /// (400 `WEBHOOK_URL_FORBIDDEN`), at delivery time too (after DNS).
    #[schema(pattern = "^https?://")]
    pub url: Option<String>,
}

/// The webhook as set, with the secret its deliveries are signed with.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    /// The URL as stored (normalised).
    pub url: String,
    /// Shown only now; a new one each time the webhook is set. Each POST
    /// carries `X-Tamga-Timestamp` (Unix seconds) and
    /// `X-Tamga-Webhook-Signature: v1=<hex HMAC-SHA256 under this secret of
    /// timestamp + "." + raw body>`.
    pub secret: String,
    /// How the signature is made.
    pub signature: String,
}

/// Register (200, with the signing secret, shown once) or remove (204) the
/// webhook notifications are pushed to. Redirects are not followed.
#[utoipa::path(put, path = "/api/v1/account/webhook", tag = "account", request_body = WebhookRequest,
    responses((status = 200, body = WebhookView), (status = 204), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_webhook(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    ApiJson(r): ApiJson<WebhookRequest>,
) -> ApiResult<Response> {
    let set = s.clearance.set_webhook(&op, r.url.as_deref()).await?;
    s.webhooks.notify_changed();
    Ok(match set {
        Some((url, secret)) => Json(WebhookView {
            url,
            secret,
            signature: format!(
                "{}: v1=hex(HMAC-SHA256(secret, {} + \".\" + body))",
                tamga_app::webhooks::SIGNATURE_HEADER,
                tamga_app::webhooks::TIMESTAMP_HEADER
            ),
        })
        .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// `operator` or the user's role.
    pub kind: String,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offices: Vec<String>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", responses((status = 200, description = "the caller", body = WhoAmI)),
    security(("bearer" = [])))]
pub async fn whoami(Auth(caller): Auth) -> Json<WhoAmI> {
    Json(match caller {
        Caller::Operator(id) => WhoAmI {
            kind: "operator".into(),
            id: id.to_string(),
            offices: vec![],
        },
        Caller::User(u) => WhoAmI {
            kind: u.roles_text(),
            id: u.username,
            offices: u.offices.iter().map(|o| o.to_string()).collect(),
        },
    })
}

/// Selectivity criteria (officers, risk analysts, administrators).
#[utoipa::path(get, path = "/api/v1/selectivity/criteria", tag = "risk",
    responses((status = 200, description = "every criterion", body = Vec<SelectivityCriterion>)), security(("bearer" = [])))]
pub async fn criteria(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<Vec<SelectivityCriterion>>> {
    Ok(Json(s.clearance.criteria(&caller).await?))
}

/// The body of `PUT /selectivity/criteria/{id}`: a criterion, its `id`
/// taken from the path (an `id` member of the body is ignored) and
/// `active` true unless given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CriterionRequest {
    pub description: String,
    /// 2 to 10 digits; matches any goods item whose code starts with it.
    #[schema(pattern = r"^[0-9]{2,10}$")]
    pub hs_prefix: Option<String>,
    pub origin: Option<tamga_core::codes::CountryCode>,
    pub dispatch_country: Option<tamga_core::codes::CountryCode>,
    pub office: Option<OfficeCode>,
    pub declaration_type: Option<tamga_core::declaration::DeclarationType>,
    /// Yellow or red.
    pub channel: tamga_core::lifecycle::Channel,
    /// Default true.
    pub active: Option<bool>,
}

/// Create or replace a selectivity criterion, e.g. `{"id": "TOBACCO",
/// "description": "HS chapter 24 from any origin", "hsPrefix": "24",
/// "channel": "red", "active": true}`. Audited.
#[utoipa::path(put, path = "/api/v1/selectivity/criteria/{id}", tag = "risk",
    params(("id" = String, Path)), request_body(content = CriterionRequest, content_type = "application/json"),
    responses((status = 200, description = "stored", body = SelectivityCriterion), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_criterion(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut v): ApiJson<serde_json::Value>,
) -> ApiResult<Json<SelectivityCriterion>> {
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), serde_json::Value::String(id));
        o.entry("active").or_insert(serde_json::Value::Bool(true));
    }
    let c: SelectivityCriterion = serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request("CRITERION_FORMAT", "", e.to_string()))?;
    Ok(Json(s.clearance.put_criterion(&caller, c).await?))
}

/// `RandomSelection` as the API reads and shows it: the seed is any
/// unsigned 64-bit integer (more than OpenAPI's `int64`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RandomSelectionView {
    /// Share of declarations drawn for a documentary check, 0 to 1.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "0.01")]
    pub yellow_rate: String,
    /// Share drawn for a physical inspection, 0 to 1.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$", example = "0.005")]
    pub red_rate: String,
    /// Mixed into every draw beside the MRN, under the secret draw key.
    #[schema(schema_with = u64_schema)]
    pub seed: u64,
}

fn u64_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .minimum(Some(0))
        .maximum(Some(usize::try_from(u64::MAX).unwrap_or(usize::MAX)))
        .build()
}

/// Random selection rates and seed.
#[utoipa::path(get, path = "/api/v1/selectivity/random", tag = "risk",
    responses((status = 200, description = "the rates and seed", body = RandomSelectionView)), security(("bearer" = [])))]
pub async fn random(
    State(s): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<RandomSelection>> {
    Ok(Json(s.clearance.random_selection(&caller).await?))
}

/// Set random selection: `{"yellowRate": "0.01", "redRate": "0.005", "seed": 42}`. Audited.
#[utoipa::path(put, path = "/api/v1/selectivity/random", tag = "risk", request_body(content = RandomSelectionView, content_type = "application/json"),
    responses((status = 200, description = "stored", body = RandomSelectionView), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_random(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> ApiResult<Json<RandomSelection>> {
    let r: RandomSelection = serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request("RANDOM_FORMAT", "", e.to_string()))?;
    Ok(Json(s.clearance.set_random_selection(&caller, r).await?))
}

/// The format-logical control rule catalog (public).
#[utoipa::path(get, path = "/api/v1/control/rules", tag = "reference",
    responses((status = 200, description = "every rule", body = Vec<RuleDef>)))]
pub async fn rules() -> Json<&'static [RuleDef]> {
    Json(RULES)
}
