//! The language of the API's error messages (issue 16, item 2).
//!
//! An error's `code`, `pointer` and status never depend on the language;
//! its `message` does. The language of an API answer is chosen by the
//! request's `Accept-Language` header alone (q-values honoured, `ru-RU`
//! is `ru`, [`tamga_portal::i18n::negotiate`]); the portal's `lang`
//! cookie and query parameter choose the language of pages, not of the
//! API. English is the default and what a client asking for a language we
//! do not have gets.
//!
//! One place does it, [`translate`], a middleware around the whole router:
//! a JSON error answer gets `Content-Language` (and `Vary:
//! Accept-Language`); when the language is not English its `message`
//! becomes the Fluent message `api-CODE` of that language
//! (`tamga-portal/i18n/<lang>/api-errors.ftl`), and so does the `message`
//! of every entry of its arrays that has a `code` (the `violations` of a
//! refused declaration, the `details` of refused pre-arrival
//! information). An English client gets exactly the message the API made,
//! with its details. Details the error carries as values (an MRN, an LRN,
//! amounts: [`details`]) travel to the middleware in the response's
//! [`ErrorArgs`] extension and fill the message's `.details` attribute;
//! any other detail stays out of a translated message, so a message is
//! never half English.

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::header::{CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, Response};
use axum::middleware::Next;
use http_body_util::BodyExt as _;
use serde_json::Value;

use tamga_app::account::AccountError;
use tamga_app::AppError;
use tamga_core::ledger::LedgerError;
use tamga_portal::i18n::{self, Tr};

/// The Fluent message id of an error code.
pub fn message_id(code: &str) -> String {
    format!("api-{code}")
}

/// The values an error's message is made of, by Fluent variable name
/// (`mrn`, `due`, …), carried from [`crate::error::ApiError`] to
/// [`translate`] in the response's extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorArgs(pub Vec<(&'static str, String)>);

/// Variables that are amounts: written as numbers of the language
/// (`1 234,50` in Russian).
const AMOUNTS: &[&str] = &["due", "available", "amount"];

/// Error bodies larger than this are passed on untranslated (ours are a
/// few KiB; a refused 999-item declaration stays well below).
const MAX_ERROR_BODY: u64 = 4 * 1024 * 1024;

/// The values of `e` that its message shows, for the `.details` attribute
/// of its code's message; empty when its message has none that are not
/// English words.
pub fn details(e: &AppError) -> Vec<(&'static str, String)> {
    match e {
        AppError::LrnConflict { lrn, mrn } => vec![("lrn", lrn.clone()), ("mrn", mrn.clone())],
        AppError::PaymentNotSecured {
            mrn,
            due,
            available,
        } => vec![
            ("mrn", mrn.to_string()),
            ("due", due.to_string()),
            ("available", available.to_string()),
        ],
        AppError::Account(a) => account_details(a),
        _ => Vec::new(),
    }
}

fn account_details(e: &AccountError) -> Vec<(&'static str, String)> {
    match e {
        AccountError::Insufficient { available } => vec![("available", available.to_string())],
        AccountError::NoAccount { owner, kind } => vec![
            ("owner", owner.to_string()),
            ("kind", kind.as_str().to_owned()),
        ],
        AccountError::Ledger(l) => ledger_details(l),
        _ => Vec::new(),
    }
}

fn ledger_details(e: &LedgerError) -> Vec<(&'static str, String)> {
    match e {
        LedgerError::TooManyDecimals {
            amount,
            currency,
            scale,
            allowed,
        } => vec![
            ("amount", amount.to_string()),
            ("scale", scale.to_string()),
            ("currency", currency.to_string()),
            ("allowed", allowed.to_string()),
        ],
        LedgerError::NotPositive(a) | LedgerError::TooLarge(a) => vec![("amount", a.to_string())],
        LedgerError::CurrencyMismatch { expected, got } => {
            vec![("got", got.to_string()), ("expected", expected.to_string())]
        }
        LedgerError::UnknownAccount(id) => vec![("account", id.to_string())],
        LedgerError::UnknownPaymentReference(r) | LedgerError::DuplicatePayment(r) => {
            vec![("reference", r.clone())]
        }
        LedgerError::NoReservation(mrn) | LedgerError::ReservationConflict(mrn) => {
            vec![("mrn", mrn.to_string())]
        }
        LedgerError::ReservationSettled { mrn, status } => vec![
            ("mrn", mrn.to_string()),
            ("status", status.as_str().to_owned()),
        ],
        LedgerError::UnknownRefund(id) | LedgerError::RefundDecided(id) => {
            vec![("refund", id.to_string())]
        }
        LedgerError::BadPaymentReference(_) | LedgerError::WrongAccountKind { .. } => Vec::new(),
    }
}

/// The language of an API answer: the best of `Accept-Language` we have,
/// else English.
pub fn language(accept: Option<&str>) -> &'static str {
    i18n::negotiate(&[], accept)
}

/// The middleware: a JSON error answer in the language the request
/// accepts (see the module documentation).
pub async fn translate(req: Request, next: Next) -> Response<Body> {
    let lang = language(
        req.headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let response = next.run(req).await;
    let status = response.status();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(
        CONTENT_LANGUAGE,
        HeaderValue::from_str(lang).unwrap_or_else(|_| HeaderValue::from_static(i18n::DEFAULT)),
    );
    let varies = parts
        .headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("accept-language"));
    if !varies {
        parts
            .headers
            .append(VARY, HeaderValue::from_static("Accept-Language"));
    }
    let small = body
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_ERROR_BODY);
    if lang == i18n::DEFAULT || !small {
        return Response::from_parts(parts, body);
    }
    let Ok(collected) = body.collect().await else {
        // The body failed while being read: nothing to answer with but an
        // empty body under the status.
        parts.headers.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    };
    let bytes = collected.to_bytes();
    let args = parts
        .extensions
        .get::<ErrorArgs>()
        .cloned()
        .unwrap_or_default();
    let out = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            if translate_body(&Tr::new(lang), &mut v, &args) {
                serde_json::to_vec(&v).map(Into::into).unwrap_or(bytes)
            } else {
                bytes
            }
        }
        Err(_) => bytes,
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

/// Rewrites the messages of an error body `{"error": {...}}` in `tr`'s
/// language; whether it is one.
pub fn translate_body(tr: &Tr, body: &mut Value, args: &ErrorArgs) -> bool {
    let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) else {
        return false;
    };
    let Some(code) = error.get("code").and_then(Value::as_str).map(str::to_owned) else {
        return false;
    };
    if let Some(text) = message(tr, &code, &args.0) {
        error.insert("message".into(), Value::String(text));
    }
    for list in error.values_mut().filter_map(Value::as_array_mut) {
        for entry in list.iter_mut().filter_map(Value::as_object_mut) {
            let Some(code) = entry.get("code").and_then(Value::as_str) else {
                continue;
            };
            if !entry.get("message").is_some_and(Value::is_string) {
                continue;
            }
            if let Some(text) = message(tr, code, &[]) {
                entry.insert("message".into(), Value::String(text));
            }
        }
    }
    true
}

/// The message of `code` in `tr`'s language: with the error's values
/// when it has them and the language's text has a `.details` form, else
/// the code's general text; `None` if the language lacks the code.
pub fn message(tr: &Tr, code: &str, args: &[(&'static str, String)]) -> Option<String> {
    let id = message_id(code);
    if !args.is_empty() {
        let values: Vec<(&str, String)> = args
            .iter()
            .map(|(name, value)| {
                let v = if AMOUNTS.contains(name) {
                    tr.number(value)
                } else {
                    value.clone()
                };
                (*name, v)
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        if let Some(text) = tr.exact(&id, Some("details"), &borrowed) {
            return Some(text);
        }
    }
    tr.exact(&id, None, &[])
}

#[cfg(test)]
#[path = "error_lang_tests.rs"]
mod tests;
