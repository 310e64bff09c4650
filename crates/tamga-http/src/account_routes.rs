//! HTTP routes of tariff, duties and the single personal account: the
//! trader's accounts, statements (JSON or CSV) and refunds, the bank's
//! deposits, officers' refund decisions, guarantees, the public duty
//! calculator and tariff import.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_app::account::{AccountView, DepositReceipt, PaymentInstructions, RefundView, Statement};
use tamga_app::{AppError, Caller};
use tamga_core::codes::{CurrencyCode, Eori};
use tamga_core::ledger::{AccountKind, RefundId};
use tamga_core::money::{self, AmountError};
use tamga_core::tariff;
use tamga_store::Role;

use crate::auth::{Auth, OperatorAuth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::routes::signed;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    components(schemas(StatementKind, StatementFormat)),
    paths(
        accounts,
        statement,
        request_refund,
        refunds,
        decide_refund,
        deposit,
        grant_guarantee,
        tariff_summary,
        import_tariff,
        calculator
    )
)]
pub struct Api;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account/ledger", get(accounts))
        .route("/api/v1/account/ledger/statement", get(statement))
        .route(
            "/api/v1/account/ledger/refunds",
            post(request_refund).get(refunds),
        )
        .route("/api/v1/refunds/{id}/decision", post(decide_refund))
        .route("/api/v1/bank/deposits", post(deposit))
        .route("/api/v1/operators/{id}/guarantee", post(grant_guarantee))
        .route("/api/v1/tariff", get(tariff_summary).put(import_tariff))
        .route("/api/v1/tariff/calculator", post(calculator))
}

/// An amount from a request: the one decimal grammar of
/// [`tamga_core::money::parse_amount`] (no exponent, sign, spaces; at most
/// `places` decimals), else 400 `AMOUNT_FORMAT` at `pointer`.
fn amount(s: &str, pointer: &str, places: u32, unit: &str) -> ApiResult<Decimal> {
    money::parse_amount(s, places, unit)
        .map_err(|e| ApiError::bad_request(AmountError::CODE, pointer, e.to_string()))
}

/// An amount in the national (ledger) currency.
fn national_amount(s: &AppState, text: &str, pointer: &str) -> ApiResult<Decimal> {
    let c = s.clearance.accounts().currency();
    amount(text, pointer, c.minor_units, c.code.as_str())
}

/// Most minor units of an ISO 4217 currency (CLF, UYW): the bound for a
/// currency the reference data does not know (the ledger refuses it).
const MAX_MINOR_UNITS: u32 = 4;

fn user(caller: &Caller, roles: &[Role]) -> ApiResult<String> {
    Ok(caller.require(roles)?.username.clone())
}

/// The trader's accounts (cash and guarantee) with their balances, and what
/// to quote on a bank transfer (payment reference and QR payload).
#[utoipa::path(get, path = "/api/v1/account/ledger", tag = "account",
    responses((status = 200, description = "accounts and payment instructions", body = LedgerView)), security(("bearer" = [])))]
pub async fn accounts(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
) -> ApiResult<Json<LedgerView>> {
    let a = s.clearance.accounts();
    let payment = a.payment_instructions(&op).await.map_err(AppError::from)?;
    let accounts = a.balances(&op).await.map_err(AppError::from)?;
    Ok(Json(LedgerView { accounts, payment }))
}

/// The trader's accounts and how to pay into them.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub accounts: Vec<AccountView>,
    pub payment: PaymentInstructions,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    /// First day, `YYYY-MM-DD` (UTC, inclusive).
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-01-01")]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (UTC, inclusive).
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-12-31")]
    pub to: String,
    /// `cash` (default) or `guarantee`.
    #[param(value_type = Option<StatementKind>)]
    pub kind: Option<String>,
    /// `json` (default) or `csv`.
    #[param(value_type = Option<StatementFormat>)]
    pub format: Option<String>,
}

/// The accounts a statement is for.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatementKind {
    Cash,
    Guarantee,
}

/// A statement's format.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatementFormat {
    Json,
    Csv,
}

/// A statement for a period: opening and closing balances, every movement
/// and a per-declaration breakdown, as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/account/ledger/statement", tag = "account", params(StatementParams),
    responses((status = 200, description = "the statement (`format=csv`: RFC 4180 text)", content(
        (Statement = "application/json"),
        (String = "text/csv"))),
        (status = 404, description = "the trader has no such account yet", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn statement(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    ApiQuery(q): ApiQuery<StatementParams>,
) -> ApiResult<Response> {
    let day = |v: &str, p: &str| {
        tariff::parse_date(v).ok_or_else(|| {
            ApiError::bad_request("QUERY_DATE", p, format!("{v:?} is not a YYYY-MM-DD date"))
        })
    };
    let from = day(&q.from, "/from")?.midnight().assume_utc();
    let to = day(&q.to, "/to")?
        .next_day()
        .ok_or_else(|| ApiError::bad_request("QUERY_DATE", "/to", "date out of range"))?
        .midnight()
        .assume_utc();
    let kind = match q.kind.as_deref().unwrap_or("cash") {
        "cash" => AccountKind::Cash,
        "guarantee" => AccountKind::Guarantee,
        k => {
            return Err(ApiError::bad_request(
                "QUERY_ACCOUNT_KIND",
                "/kind",
                format!("{k:?}: use cash or guarantee"),
            ))
        }
    };
    let st = s
        .clearance
        .accounts()
        .statement(&op, kind, from, to)
        .await
        .map_err(AppError::from)?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(st).into_response()),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            st.to_csv(),
        )
            .into_response()),
        f => Err(ApiError::bad_request(
            "QUERY_FORMAT",
            "/format",
            format!("{f:?}: use json or csv"),
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    /// Decimal string in national currency, e.g. "150000.00".
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "150000.00")]
    pub amount: String,
}

/// The trader asks for available funds back; an officer decides.
#[utoipa::path(post, path = "/api/v1/account/ledger/refunds", tag = "account", request_body = RefundRequest,
    responses((status = 201, description = "requested; the amount is held until decided", body = RefundView),
        (status = 404, description = "the trader has no cash account yet", body = ErrorBody),
        (status = 409, description = "more than the available funds", body = ErrorBody),
        (status = 422, description = "not a positive amount", body = ErrorBody)), security(("bearer" = [])))]
pub async fn request_refund(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
    ApiJson(r): ApiJson<RefundRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<serde_json::Value>)> {
    let amount = national_amount(&s, &r.amount, "/amount")?;
    let refund = s
        .clearance
        .accounts()
        .request_refund(&op, amount)
        .await
        .map_err(AppError::from)?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(refund))))
}

/// The trader's refund requests.
#[utoipa::path(get, path = "/api/v1/account/ledger/refunds", tag = "account",
    responses((status = 200, description = "every refund request, oldest first", body = Vec<RefundView>)), security(("bearer" = [])))]
pub async fn refunds(
    State(s): State<AppState>,
    OperatorAuth(op): OperatorAuth,
) -> ApiResult<Json<serde_json::Value>> {
    let list = s
        .clearance
        .accounts()
        .refunds(&op)
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!(list)))
}

/// The signed body of a refund decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundDecision {
    /// The refund decided (the path's id): binds the signature to it.
    pub refund: RefundId,
    /// `"refund_decision"`: binds the signature to this act.
    pub act: String,
    pub approve: bool,
}

/// An officer approves (money goes to the bank) or rejects (back to
/// available) a refund request. Signed like every officer act
/// (`X-Tamga-Signature` over the exact body; 422 `OFFICER_SIGNATURE_*`
/// when missing, of an unknown key or invalid); the signature is kept in
/// the `refund.decide` audit entry.
#[utoipa::path(post, path = "/api/v1/refunds/{id}/decision", tag = "account", request_body = RefundDecision,
    params(("id" = i64, Path), ("X-Tamga-Signature" = String, Header), ("X-Tamga-Key-Id" = Option<String>, Header)),
    responses((status = 200, description = "decided", body = RefundView), (status = 409, description = "decided already", body = ErrorBody),
        (status = 422, description = "signature missing, of an unknown key or invalid", body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_refund(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiBytes(b): ApiBytes,
) -> ApiResult<Json<serde_json::Value>> {
    let officer = user(&caller, &[Role::Officer, Role::Admin])?;
    let id: RefundId = id
        .parse()
        .map_err(|_| ApiError::bad_request("REFUND_ID", "/id", "refund ids are integers"))?;
    let verified = s
        .clearance
        .verify_officer(&caller, &signed(&headers, &b))
        .await?;
    let doc = tamga_app::clearance::signed_json(verified.body())?;
    tamga_app::clearance::check_act(&doc, tamga_app::clearance::OfficerAct::RefundDecision)?;
    let d: RefundDecision = serde_json::from_value(doc)
        .map_err(|e| ApiError::bad_request("REQUEST_JSON", "", e.to_string()))?;
    if d.refund != id {
        return Err(ApiError::bad_request(
            "OFFICER_SIGNED_REFUND",
            "/refund",
            format!("the signed body names the refund it decides: \"refund\": {id}"),
        ));
    }
    let r = s
        .clearance
        .accounts()
        .decide_refund(id, d.approve, &officer)
        .await
        .map_err(AppError::from)?;
    s.clearance
        .store()
        .append_audit(
            &format!("user:{officer}"),
            "refund.decide",
            OffsetDateTime::now_utc(),
            &json!({ "refund": id, "approve": d.approve, "signature": verified.audit_json() }),
        )
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!(r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepositRequest {
    /// The trader's payment reference (ISO 11649, `RF..`).
    #[schema(pattern = r"^RF[0-9]{2}[0-9A-Z]{1,21}$")]
    pub payment_reference: String,
    /// The bank's own unique reference: a repeat is not credited twice.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub bank_reference: String,
    /// Decimal string, e.g. "2500000.00".
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: String,
}

/// A payment received by the bank (role `bank`). Idempotent by
/// `bankReference`; releases the trader's declarations waiting for payment
/// that the new balance covers.
#[utoipa::path(post, path = "/api/v1/bank/deposits", tag = "bank", request_body = DepositRequest,
    responses((status = 201, description = "credited", body = DepositResult), (status = 200, body = DepositResult, description = "repeat of a known payment"),
        (status = 404, description = "no account has this payment reference", body = ErrorBody),
        (status = 409, description = "the bank reference was booked with other data", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deposit(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiJson(d): ApiJson<DepositRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<DepositResult>)> {
    let currency = CurrencyCode::parse(&d.currency)
        .map_err(|e| ApiError::bad_request(e.code, "/currency", e.message))?;
    let places = s
        .clearance
        .reference()
        .currency_minor_units(&currency)
        .unwrap_or(MAX_MINOR_UNITS);
    let amount = amount(&d.amount, "/amount", places, currency.as_str())?;
    if d.bank_reference.trim().is_empty() || d.bank_reference.len() > 64 {
        return Err(ApiError::bad_request(
            "BANK_REFERENCE",
            "/bankReference",
            "give the bank's unique reference (1 to 64 characters)",
        ));
    }
    let (receipt, released) = s
        .clearance
        .deposit(
            &caller,
            &d.payment_reference,
            &d.bank_reference,
            amount,
            &currency,
        )
        .await?;
    let status = if receipt.replay {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CREATED
    };
    Ok((status, Json(DepositResult { receipt, released })))
}

/// A credited deposit and the declarations it released.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepositResult {
    pub receipt: DepositReceipt,
    /// MRNs of the declarations released because the balance now covers them.
    #[schema(value_type = Vec<String>)]
    pub released: Vec<tamga_core::codes::Mrn>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuaranteeRequest {
    /// Amount by which the guarantee limit is raised (decimal string).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
}

/// An administrator raises an operator's guarantee (a limit that secures
/// duties without funds), e.g. after a bank guarantee is lodged.
#[utoipa::path(post, path = "/api/v1/operators/{id}/guarantee", tag = "account", request_body = GuaranteeRequest,
    params(("id" = String, Path, description = "the operator's EORI")),
    responses((status = 200, description = "the guarantee account", body = AccountView)), security(("bearer" = [])))]
pub async fn grant_guarantee(
    State(s): State<AppState>,
    Auth(caller): Auth,
    ApiPath(owner): ApiPath<Eori>,
    ApiJson(g): ApiJson<GuaranteeRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let admin = user(&caller, &[Role::Admin])?;
    if s.clearance
        .store()
        .operator(&owner)
        .await
        .map_err(AppError::from)?
        .is_none()
    {
        return Err(AppError::not_found(format!("operator {owner}")).into());
    }
    let amount = national_amount(&s, &g.amount, "/amount")?;
    let view = s
        .clearance
        .accounts()
        .grant_guarantee(&owner, amount)
        .await
        .map_err(AppError::from)?;
    s.clearance.accounts_changed(&owner);
    s.clearance
        .store()
        .append_audit(
            &format!("user:{admin}"),
            "guarantee.grant",
            OffsetDateTime::now_utc(),
            &json!({ "operator": owner, "amount": amount.to_string() }),
        )
        .await
        .map_err(AppError::from)?;
    Ok(Json(json!(view)))
}

/// The tariff in use: name, stored id, SHA-256 and what it holds.
#[utoipa::path(get, path = "/api/v1/tariff", tag = "tariff",
    responses((status = 200, description = "the tariff", body = TariffView), (status = 404, description = "no tariff is loaded", body = ErrorBody)))]
pub async fn tariff_summary(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let t = s
        .clearance
        .tariff()
        .ok_or_else(|| AppError::not_found("tariff (none is loaded)"))?;
    Ok(Json(json!({
        "id": t.id,
        "name": t.name,
        "sha256": t.sha256,
        "summary": t.tariff.summary(),
        "rounding": tariff::ROUNDING_RULE,
    })))
}

/// The tariff in use.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct TariffView {
    pub id: i64,
    pub name: String,
    pub sha256: String,
    /// What it holds (counts of codes, measures, rates...).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// How amounts are rounded (not on import).
    pub rounding: Option<String>,
}

/// Imports a tariff file (administrators; the body is the file, format
/// `tamga-tariff/1`, see `tariff/README.md`). It is checked completely
/// before it is stored and used.
#[utoipa::path(put, path = "/api/v1/tariff", tag = "tariff",
    request_body(content = String, description = "the tariff file (`tamga-tariff/1`)", content_type = "text/plain"),
    responses((status = 200, description = "imported and in use", body = TariffView),
        (status = 422, description = "refused: the file's first problem", body = ErrorBody)), security(("bearer" = [])))]
pub async fn import_tariff(
    State(s): State<AppState>,
    Auth(caller): Auth,
    body: String,
) -> ApiResult<Json<serde_json::Value>> {
    let t = s.clearance.import_tariff(&caller, &body).await?;
    Ok(Json(
        json!({ "id": t.id, "name": t.name, "sha256": t.sha256, "summary": t.tariff.summary() }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalculatorRequest {
    /// 6, 8 or 10 digits.
    #[schema(example = "847130")]
    pub goods_code: String,
    /// ISO 3166 alpha-2 country of origin.
    pub origin: String,
    /// Country of preferential origin, when a preference is claimed.
    pub preferential_origin: Option<String>,
    /// Customs value, decimal string.
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub customs_value: String,
    /// ISO 4217 currency of the value.
    pub currency: String,
    /// Quantities, e.g. `[{"unit": "KGM", "value": "1200"}]`.
    #[serde(default)]
    pub quantities: Vec<QuantityRequest>,
    /// `YYYY-MM-DD`; today (UTC) if absent.
    pub date: Option<String>,
    pub additional_code: Option<String>,
    /// Document codes presented (certificates, licences, proofs of origin).
    #[serde(default)]
    pub documents: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityRequest {
    pub unit: String,
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub value: String,
}

/// The duty calculator's answer.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct CalculatorView {
    /// `{"id", "name"}` of the tariff used.
    #[schema(value_type = Object)]
    pub tariff: serde_json::Value,
    /// The input as the engine read it.
    #[schema(value_type = Object)]
    pub input: serde_json::Value,
    pub rounding: String,
    /// Every step: measures, expressions, bases, exchange rate, rounding.
    #[schema(value_type = Object)]
    pub assessment: serde_json::Value,
}

/// Public duty calculator: the same engine as the duty-assessment stage,
/// every step shown (measures, expressions, bases, exchange rate,
/// rounding). No authentication.
#[utoipa::path(post, path = "/api/v1/tariff/calculator", tag = "tariff", request_body = CalculatorRequest,
    responses((status = 200, description = "the assessment", body = CalculatorView),
        (status = 404, description = "no tariff is loaded", body = ErrorBody),
        (status = 422, description = "the tariff cannot assess this (code, pointer)", body = ErrorBody)))]
pub async fn calculator(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<CalculatorRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    use tamga_app::calculator::{calculate, CalculatorError, CalculatorInput};
    let input = CalculatorInput {
        goods_code: r.goods_code,
        origin: r.origin,
        preferential_origin: r.preferential_origin,
        customs_value: r.customs_value,
        currency: r.currency,
        quantities: r
            .quantities
            .into_iter()
            .map(|q| (q.unit, q.value))
            .collect(),
        date: r.date,
        additional_code: r.additional_code,
        documents: r.documents,
    };
    let c = calculate(&s.clearance, &input).map_err(|e| match e {
        CalculatorError::NoTariff => ApiError::from(AppError::not_found("tariff (none is loaded)")),
        CalculatorError::Format {
            code,
            pointer,
            message,
        } => ApiError::bad_request(code, &pointer, message),
        CalculatorError::Assessment {
            code,
            pointer,
            message,
        } => ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code, message)
            .with_pointer(&pointer),
    })?;
    Ok(Json(json!({
        "tariff": { "id": c.tariff.id, "name": c.tariff.name },
        "input": c.input,
        "rounding": tariff::ROUNDING_RULE,
        "assessment": c.assessment,
    })))
}
