//! `GET /api/v1/values/reference`: the public value calculator of customs
//! value control (issue 18, part 4). Given a commodity code, optionally an
//! origin and a unit, the range of customs values per unit that released
//! declarations show over the window (`tamga_app::values`).
//!
//! Public, like the tariff calculator: a trader checks a price before
//! importing, anyone may ask. It must not disclose any one trader's
//! price (`docs/security.md`, "Value calculator"):
//!
//! - figures are given only for a sufficient sample: at least the rule's
//!   minimum observations (10) from at least its minimum declarants (3);
//!   otherwise `sufficient: false` and no figure at all, not even the
//!   sample's size;
//! - the published minimum and maximum are the 5th and 95th percentiles
//!   and the average the mean between them, never a raw extreme, which
//!   would be one declaration's price;
//! - the answer is per key as asked, without falling back to another key
//!   (a narrow key that is insufficient does not reveal itself through a
//!   broader one's figures);
//! - each client address has its own rate
//!   ([`crate::guard::values_rate_limit`], 429).
//!
//! Bad input: 400 `VALUE_CODE` at `/code` (6 to 10 digits), `VALUE_ORIGIN`
//! at `/origin` (two capital letters), `VALUE_UNIT` at `/unit` (`kg` or
//! `supplementary`); a missing `code` is `QUERY_PARAMETERS`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};

use tamga_core::value_control::{QuantityUnit, ValueKey};

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(paths(reference), components(schemas(ValueReference)))]
pub struct Api;

/// The route, behind [`crate::guard::values_rate_limit`] (added by
/// [`crate::router_with`]).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/values/reference", get(reference))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReferenceParams {
    /// The commodity code: 6 digits for the HS subheading (every national
    /// code under it), up to 10 for a national code.
    #[param(pattern = "^[0-9]{6,10}$", example = "847330")]
    pub code: String,
    /// The country of origin (ISO 3166-1 alpha-2); absent: every origin.
    #[param(pattern = "^[A-Z]{2}$", example = "CN")]
    pub origin: Option<String>,
    /// `kg` (per kg net, the default) or `supplementary` (per
    /// supplementary unit of the tariff).
    #[param(example = "kg")]
    pub unit: Option<String>,
}

/// The range of customs values per unit of released declarations.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueReference {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `kg` or `supplementary`.
    pub unit: String,
    /// The national currency every figure is in (customs values converted
    /// with the tariff's exchange rate on each declaration's date).
    pub currency: String,
    /// Declarations released in the last `windowDays` days count.
    pub window_days: u32,
    /// Figures are given only from at least this many observations …
    pub min_observations: u32,
    /// … from at least this many declarants.
    pub min_declarants: u32,
    /// Whether the sample is large enough for figures; when it is not,
    /// none is given.
    pub sufficient: bool,
    /// Observations in the window (only when sufficient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<u32>,
    /// The 5th percentile of the unit values.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>, example = "1520.5")]
    pub minimum: Option<Decimal>,
    /// The mean of the unit values between the 5th and 95th percentiles.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>)]
    pub average: Option<Decimal>,
    /// The 95th percentile of the unit values.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>)]
    pub maximum: Option<Decimal>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>)]
    pub q1: Option<Decimal>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>)]
    pub median: Option<Decimal>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schema(value_type = Option<String>)]
    pub q3: Option<Decimal>,
}

/// The key asked about, or the error naming the parameter.
pub fn key_of(q: &ReferenceParams) -> Result<ValueKey, ApiError> {
    let code = q.code.trim();
    if !(6..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "VALUE_CODE",
            "/code",
            "the commodity code must be 6 to 10 digits",
        ));
    }
    let origin = match q.origin.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(o) if o.len() == 2 && o.bytes().all(|b| b.is_ascii_uppercase()) => Some(o.to_owned()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "VALUE_ORIGIN",
                "/origin",
                "the country of origin must be two capital letters (ISO 3166-1 alpha-2)",
            ))
        }
    };
    let unit = match q.unit.as_deref().map(str::trim) {
        None | Some("") => QuantityUnit::Kg,
        Some(u) => QuantityUnit::parse(u).ok_or_else(|| {
            ApiError::bad_request("VALUE_UNIT", "/unit", "the unit is kg or supplementary")
        })?,
    };
    Ok(ValueKey {
        code: code.to_owned(),
        origin,
        unit,
    })
}

/// The range of customs values per unit that declarations released in the
/// window show for a commodity code (and origin): 5th percentile,
/// trimmed mean, 95th percentile, quartiles. Anyone may ask (no token
/// needed); figures only from a sufficient sample; rate-limited per client
/// address.
#[utoipa::path(get, path = "/api/v1/values/reference", tag = "values", params(ReferenceParams),
    responses(
        (status = 200, description = "the reference (figures only when `sufficient`)", body = ValueReference),
        (status = 400, description = "`code` missing (`QUERY_PARAMETERS`) or not 6 to 10 digits (`VALUE_CODE`, at `/code`); `origin` not two capital letters (`VALUE_ORIGIN`, at `/origin`); `unit` not `kg` or `supplementary` (`VALUE_UNIT`, at `/unit`)", body = ErrorBody),
        (status = 429, description = "too many requests from this address (`RATE_LIMITED`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait")))))]
pub async fn reference(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ReferenceParams>,
) -> Result<Json<ValueReference>, ApiError> {
    let key = key_of(&q)?;
    let values = s.clearance.values();
    let rule = values.settings().rule;
    let currency = s.clearance.accounts().currency().code.as_str().to_owned();
    let stats = values
        .reference(&key, &currency, OffsetDateTime::now_utc())
        .await
        .map_err(|e| ApiError::from(tamga_app::error::AppError::from(e)))?;
    let n = stats
        .as_ref()
        .map(|s| u32::try_from(s.n).unwrap_or(u32::MAX));
    Ok(Json(ValueReference {
        code: key.code,
        origin: key.origin,
        unit: key.unit.as_str().to_owned(),
        currency,
        window_days: rule.window_days,
        min_observations: rule.min_observations,
        min_declarants: rule.min_declarants,
        sufficient: stats.is_some(),
        observations: n,
        minimum: stats.as_ref().map(|s| s.p05),
        average: stats.as_ref().map(|s| s.trimmed_mean),
        maximum: stats.as_ref().map(|s| s.p95),
        q1: stats.as_ref().map(|s| s.q1),
        median: stats.as_ref().map(|s| s.median),
        q3: stats.as_ref().map(|s| s.q3),
    }))
}
