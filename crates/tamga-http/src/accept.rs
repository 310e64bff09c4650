//! What a client accepts back (`Accept`), where an endpoint can answer in
//! more than one format: `GET /api/v1/notifications` answers JSON (the
//! default) or XML (DMS notifications, docs/messages.md).
//!
//! The media ranges are weighed by their `q`: the format with the highest
//! weight wins, JSON on a tie. JSON is `application/json` or
//! `application/…+json`; XML is `application/xml`, `text/xml` or
//! `application/…+xml`; `*/*` and `application/*` weigh for both (`text/*`
//! for XML). No `Accept` is JSON. An `Accept` that allows neither (every
//! range at `q=0`, or only other types) is 406 `NOT_ACCEPTABLE`.

use axum::http::{HeaderMap, StatusCode};

use crate::error::{ApiError, ApiResult};

/// 406: the client accepts none of the endpoint's formats.
pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";

/// The format to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Json,
    Xml,
}

/// The weight a media range gives JSON and XML.
fn weights(range: &str) -> (bool, bool) {
    let sub = |prefix: &str, suffix: &str| range.starts_with(prefix) && range.ends_with(suffix);
    match range {
        "*/*" | "application/*" => (true, true),
        "text/*" | "text/xml" | "application/xml" => (false, true),
        "application/json" => (true, false),
        _ if sub("application/", "+json") => (true, false),
        _ if sub("application/", "+xml") => (false, true),
        _ => (false, false),
    }
}

/// The answer format `headers` ask for.
pub fn answer(headers: &HeaderMap) -> ApiResult<Answer> {
    let values: Vec<&str> = headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Ok(Answer::Json);
    }
    let (mut json, mut xml) = (-1.0f32, -1.0f32);
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        if media.is_empty() {
            continue;
        }
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q))
            .unwrap_or(1.0);
        let (j, x) = weights(&media);
        if j {
            json = json.max(q);
        }
        if x {
            xml = xml.max(q);
        }
    }
    // Only an explicit refusal of both (`q=0`) is 406. An `Accept` naming
    // neither (empty, `text/html`, garbage) gets the default, JSON, as RFC
    // 9110 (12.5.1) lets a server disregard what it cannot satisfy.
    if json == 0.0 && xml == 0.0 {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            NOT_ACCEPTABLE,
            "this endpoint answers application/json or application/xml: accept one of them",
        ));
    }
    if json == 0.0 {
        return Ok(Answer::Xml);
    }
    // Not named: JSON is the default, XML is not offered.
    let json = if json < 0.0 { f32::MIN_POSITIVE } else { json };
    Ok(if xml > json {
        Answer::Xml
    } else {
        Answer::Json
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn of(accept: &[&str]) -> Result<Answer, StatusCode> {
        let mut h = HeaderMap::new();
        for a in accept {
            h.append(
                axum::http::header::ACCEPT,
                HeaderValue::from_str(a).unwrap(),
            );
        }
        answer(&h).map_err(|e| e.status)
    }

    #[test]
    fn json_by_default_xml_when_preferred() {
        assert_eq!(of(&[]), Ok(Answer::Json));
        assert_eq!(of(&["*/*"]), Ok(Answer::Json));
        assert_eq!(of(&["application/json"]), Ok(Answer::Json));
        assert_eq!(of(&["application/xml"]), Ok(Answer::Xml));
        assert_eq!(of(&["Text/XML; charset=utf-8"]), Ok(Answer::Xml));
        assert_eq!(of(&["application/wco+xml"]), Ok(Answer::Xml));
        assert_eq!(
            of(&["application/json;q=0.5, application/xml"]),
            Ok(Answer::Xml)
        );
        assert_eq!(
            of(&["application/xml;q=0.5, application/json"]),
            Ok(Answer::Json)
        );
        assert_eq!(of(&["application/xml, application/json"]), Ok(Answer::Json));
        assert_eq!(of(&["text/html", "application/xml;q=0.1"]), Ok(Answer::Xml));
        assert_eq!(of(&["application/xml, */*;q=0.1"]), Ok(Answer::Xml));
    }

    #[test]
    fn only_refusing_both_is_406() {
        // Naming neither: the default.
        assert_eq!(of(&["text/html"]), Ok(Answer::Json));
        assert_eq!(of(&["image/png, text/plain"]), Ok(Answer::Json));
        assert_eq!(of(&[""]), Ok(Answer::Json));
        assert_eq!(of(&["0"]), Ok(Answer::Json));
        assert_eq!(of(&["application/json;q=0"]), Ok(Answer::Xml));
        assert_eq!(of(&["application/xml;q=0"]), Ok(Answer::Json));
        assert_eq!(
            of(&["application/json;q=0, application/xml;q=0"]),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
        assert_eq!(of(&["*/*;q=0"]), Err(StatusCode::NOT_ACCEPTABLE));
    }
}
