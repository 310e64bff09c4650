//! The answer to a declaration lodged as UN/EDIFACT (`POST
//! /api/v1/declarations` with `Content-Type: application/EDIFACT`,
//! docs/messages.md): in EDIFACT unless the client asks for JSON
//! (`Accept` ranks `application/json` above `application/EDIFACT`).
//!
//! - accepted: 201 (200 for a replay) with a CUSRES (accepted, the MRN,
//!   the registration, state and channel, what was not used);
//! - refused by the syntax layer (`EDI-*`), or not one CUSDEC of a
//!   directory tamga reads: 422 with a CONTRL naming each error's position
//!   and its ISO 9735 syntax error code;
//! - refused by the mapping, control, the signature or the lodger's
//!   standing: 422 with a CUSRES (rejected, every violation with its code
//!   and segment position);
//! - the LRN already used for other bytes: 409 with a CUSRES at the BGM;
//! - anything else (authentication, size, content type, service): the
//!   usual JSON error.
//!
//! The messages are written by `tamga_app::clearance::{cusres_accepted,
//! edifact_refusal}`.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tamga_app::clearance::{cusres_accepted, edifact_refusal, EdifactAcceptance, EdifactRefusal};
use tamga_app::AppError;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::routes::DeclarationView;

/// The media type of an EDIFACT answer (RFC 1767).
pub const EDIFACT: &str = "application/EDIFACT";

/// Whether the client asked for JSON rather than EDIFACT: `Accept` ranks
/// `application/json` above `application/EDIFACT` (a wildcard counts for
/// neither; the default is EDIFACT).
pub fn wants_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (mut json, mut edi) = (0.0_f32, 0.0_f32);
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/json" => json = json.max(q),
            "application/edifact" => edi = edi.max(q),
            _ => {}
        }
    }
    json > 0.0 && json > edi
}

fn answer(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(EDIFACT));
    r
}

/// The CUSRES of an accepted CUSDEC (`request` its bytes).
pub fn accepted(
    request: &[u8],
    view: &DeclarationView,
    not_used: Vec<String>,
    status: StatusCode,
) -> Response {
    let body = cusres_accepted(
        request,
        EdifactAcceptance {
            mrn: &view.mrn,
            lrn: &view.lrn,
            registered_at: view.registered_at,
            state: &view.state,
            channel: &view.channel,
            not_used,
        },
        OffsetDateTime::now_utc(),
    );
    answer(status, body)
}

/// The EDIFACT answer to a refused CUSDEC, or the JSON error for what is
/// not a refusal of the message.
pub fn refused(request: &[u8], e: AppError) -> Response {
    match edifact_refusal(request, e, OffsetDateTime::now_utc()) {
        Ok(EdifactRefusal::Rejected(body)) => answer(StatusCode::UNPROCESSABLE_ENTITY, body),
        Ok(EdifactRefusal::Conflict(body)) => answer(StatusCode::CONFLICT, body),
        Err(other) => ApiError::from(other).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: Option<&str>) -> bool {
        let mut h = HeaderMap::new();
        if let Some(v) = v {
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        wants_json(&h)
    }

    #[test]
    fn edifact_unless_json_is_ranked_higher() {
        assert!(!accept(None));
        assert!(!accept(Some("*/*")));
        assert!(!accept(Some("application/EDIFACT")));
        assert!(accept(Some("application/json")));
        assert!(accept(Some("Application/JSON; charset=utf-8")));
        assert!(!accept(Some("application/json;q=0.5, application/edifact")));
        assert!(accept(Some("application/edifact;q=0.2, application/json")));
        assert!(!accept(Some("application/json;q=0")));
    }
}
