//! The format of a lodging's body, from its `Content-Type`: tamga's JSON,
//! a WCO DEC-DMS XML message or a UN/EDIFACT CUSDEC interchange
//! (`POST /api/v1/declarations`, docs/messages.md). Anything else is refused before the body is looked
//! at, with 415 `CONTENT_TYPE`.

use axum::http::{HeaderMap, StatusCode};

use crate::error::{ApiError, ApiResult};

/// How a lodging's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    /// WCO DEC-DMS XML.
    Xml,
    /// UN/EDIFACT (`application/EDIFACT`, RFC 1767): a CUSDEC.
    Edifact,
}

/// The format a lodging's `Content-Type` names: none or JSON (`…/json`,
/// `…+json`) is JSON; `application/xml`, `text/xml` and `…+xml` are XML,
/// in UTF-8 (a `charset` parameter, if any, must say so);
/// `application/EDIFACT` (in any case) is EDIFACT, read as UTF-8 too;
/// anything else is 415 `CONTENT_TYPE`.
pub fn body_format(headers: &HeaderMap) -> ApiResult<BodyFormat> {
    let refuse = |why: &str| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "CONTENT_TYPE",
            format!("{why}: send the declaration as application/json, as WCO DEC-DMS XML in UTF-8 (application/xml or text/xml), or as a UN/EDIFACT CUSDEC (application/EDIFACT)"),
        )
    };
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    let value = value
        .to_str()
        .map_err(|_| refuse("the Content-Type header is not text"))?
        .to_ascii_lowercase();
    let mut parts = value.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default();
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim() == "charset")
        .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    let subtype = |suffix: &str| media.starts_with("application/") && media.ends_with(suffix);
    if media == "application/json" || subtype("+json") {
        return Ok(BodyFormat::Json);
    }
    let format = if media == "application/edifact" {
        BodyFormat::Edifact
    } else if media == "application/xml" || media == "text/xml" || subtype("+xml") {
        BodyFormat::Xml
    } else {
        return Err(refuse(&format!("Content-Type {media:?}")));
    };
    match charset.as_deref() {
        None | Some("utf-8") | Some("utf8") => Ok(format),
        Some(other) => Err(refuse(&format!("charset {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn of(ct: Option<&str>) -> Result<BodyFormat, StatusCode> {
        let mut h = HeaderMap::new();
        if let Some(ct) = ct {
            h.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_str(ct).unwrap(),
            );
        }
        body_format(&h).map_err(|e| e.status)
    }

    #[test]
    fn json_xml_or_refused() {
        for json in [
            None,
            Some("application/json"),
            Some("Application/JSON; charset=utf-8"),
            Some("application/merge-patch+json"),
        ] {
            assert_eq!(of(json), Ok(BodyFormat::Json), "{json:?}");
        }
        for xml in [
            "application/xml",
            "text/xml",
            "text/xml; charset=UTF-8",
            "application/xml;charset=\"utf-8\"",
            "application/wco+xml",
        ] {
            assert_eq!(of(Some(xml)), Ok(BodyFormat::Xml), "{xml}");
        }
        for edi in [
            "application/EDIFACT",
            "application/edifact",
            "Application/Edifact; charset=utf-8",
        ] {
            assert_eq!(of(Some(edi)), Ok(BodyFormat::Edifact), "{edi}");
        }
        for other in [
            "text/plain",
            "application/octet-stream",
            "multipart/form-data; boundary=x",
            "application/xml; charset=iso-8859-1",
            "text/xml; charset=utf-16",
            "application/EDIFACT; charset=iso-8859-1",
            "application/edi-x12",
            "xml",
            "",
        ] {
            assert_eq!(
                of(Some(other)),
                Err(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                "{other}"
            );
        }
    }
}
