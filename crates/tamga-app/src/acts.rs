//! What a signed act names and whether it was already recorded.
//!
//! Every signed body names what it acts on, so that a signature cannot be
//! replayed elsewhere: a trader's amendment and invalidation name the
//! declaration (`"mrn"`), an officer's act on a declaration names the
//! declaration, the act and the declaration version (`"version"`). The
//! same signed body sent again is one act: it is answered as a replay
//! (with the declaration as it stands) and recorded once.

use serde_json::Value;
use tamga_core::codes::Mrn;
use tamga_core::lifecycle::{controlled_versions, Event};

use crate::error::AppError;

/// Error code of a trader's signed body (amendment, invalidation) that
/// does not name the declaration of the path (400, pointer `/mrn`).
pub const SIGNED_MRN: &str = "SIGNED_MRN";

/// Error code of an amendment body that is not `{"mrn": ..., "declaration":
/// {...}}` (400).
pub const AMENDMENT_BODY: &str = "AMENDMENT_BODY";

/// Error code of an officer's signed body that does not name a version
/// (400, pointer `/version`).
pub const OFFICER_SIGNED_VERSION: &str = "OFFICER_SIGNED_VERSION";

/// Error code of an officer's signed body naming a version that is not
/// the declaration's current one (409, pointer `/version`): the trader
/// amended it since.
pub const VERSION_NOT_CURRENT: &str = "VERSION_NOT_CURRENT";

/// Whether the signed body with this SHA-256 was already recorded on the
/// declaration (an officer's act, an amendment or an invalidation).
pub fn already_recorded(events: &[Event], body_sha256: &str) -> bool {
    events
        .iter()
        .any(|e| e.body.signed_body_sha256() == Some(body_sha256))
}

/// Whether a control result was recorded on `version` of the declaration.
pub fn controlled(events: &[Event], version: u32) -> bool {
    controlled_versions(events.iter().map(|e| &e.body)).contains(&version)
}

/// The trader's signed body names the declaration it acts on:
/// `"mrn": "<the path's MRN>"`, else 400 [`SIGNED_MRN`].
pub fn check_trader_mrn(doc: &Value, mrn: &Mrn) -> Result<(), AppError> {
    let named = doc
        .get("mrn")
        .and_then(Value::as_str)
        .and_then(|m| Mrn::parse(m).ok());
    if named.as_ref() != Some(mrn) {
        return Err(AppError::bad_request(
            SIGNED_MRN,
            "/mrn",
            format!("the signed body names the declaration it acts on: \"mrn\": \"{mrn}\""),
        ));
    }
    Ok(())
}

/// The declaration of a signed amendment body `{"mrn": "...",
/// "declaration": {...}}` naming `mrn`. Any other member is refused (400
/// [`AMENDMENT_BODY`]), so the signed body reads one way only.
pub fn amendment_declaration<'a>(doc: &'a Value, mrn: &Mrn) -> Result<&'a Value, AppError> {
    let format = "an amendment is {\"mrn\": \"<MRN>\", \"declaration\": {<the whole declaration>}}";
    let Some(obj) = doc.as_object() else {
        return Err(AppError::bad_request(AMENDMENT_BODY, "", format));
    };
    if let Some(k) = obj.keys().find(|k| *k != "mrn" && *k != "declaration") {
        return Err(AppError::bad_request(
            AMENDMENT_BODY,
            format!("/{}", k.replace('~', "~0").replace('/', "~1")),
            format!("unknown member {k:?}: {format}"),
        ));
    }
    check_trader_mrn(doc, mrn)?;
    match obj.get("declaration") {
        Some(d) if d.is_object() => Ok(d),
        _ => Err(AppError::bad_request(
            AMENDMENT_BODY,
            "/declaration",
            format,
        )),
    }
}

/// The version an officer's signed body names (`"version"`): it must be
/// `current`, the declaration's version now.
pub fn signed_version(doc: &Value, current: u32) -> Result<u32, AppError> {
    let named = doc
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            AppError::bad_request(
                OFFICER_SIGNED_VERSION,
                "/version",
                format!(
                    "the signed body names the declaration version it acts on: \"version\": {current}"
                ),
            )
        })?;
    if named != current {
        return Err(AppError::Conflict {
            code: VERSION_NOT_CURRENT,
            pointer: "/version".into(),
            message: format!(
                "the signed body acts on version {named}, but the declaration is at version {current} (amended since): look at the current version and sign again"
            ),
        });
    }
    Ok(named)
}

/// The act's own fields of an officer's signed body whose declaration,
/// act and version were checked ([`crate::clearance::act_json`],
/// [`signed_version`]), decoded as `T`.
pub fn act_fields<T: serde::de::DeserializeOwned>(mut doc: Value) -> Result<T, AppError> {
    if let Some(o) = doc.as_object_mut() {
        o.remove("mrn");
        o.remove("act");
        o.remove("version");
    }
    serde_json::from_value(doc)
        .map_err(|e| AppError::bad_request("REQUEST_JSON", "", format!("the body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tamga_core::codes::{CountryCode, MrnCategory};

    fn mrn(seq: u64) -> Mrn {
        Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            seq,
            MrnCategory::Import,
        )
        .unwrap()
    }

    #[test]
    fn amendment_bodies_name_the_declaration_and_nothing_else() {
        let (a, b) = (mrn(1), mrn(2));
        let doc = json!({"mrn": a.as_str(), "declaration": {"lrn": "L"}});
        assert_eq!(
            amendment_declaration(&doc, &a).unwrap(),
            &json!({"lrn": "L"})
        );
        let e = amendment_declaration(&doc, &b).unwrap_err();
        assert_eq!((e.code(), pointer(&e)), (SIGNED_MRN, "/mrn"));
        let doc = json!({"declaration": {"lrn": "L"}});
        assert_eq!(
            amendment_declaration(&doc, &a).unwrap_err().code(),
            SIGNED_MRN
        );
        let doc = json!({"mrn": a.as_str(), "declaration": {}, "x/y": 1});
        let e = amendment_declaration(&doc, &a).unwrap_err();
        assert_eq!((e.code(), pointer(&e)), (AMENDMENT_BODY, "/x~1y"));
        let doc = json!({"mrn": a.as_str(), "declaration": []});
        let e = amendment_declaration(&doc, &a).unwrap_err();
        assert_eq!((e.code(), pointer(&e)), (AMENDMENT_BODY, "/declaration"));
        // A bare declaration (the format before) is refused.
        let doc = json!({"lrn": "L", "declarant": {}});
        assert_eq!(
            amendment_declaration(&doc, &a).unwrap_err().code(),
            AMENDMENT_BODY
        );
    }

    #[test]
    fn officer_bodies_name_the_current_version() {
        assert_eq!(signed_version(&json!({"version": 2}), 2).unwrap(), 2);
        for doc in [json!({}), json!({"version": "2"}), json!({"version": 0})] {
            assert_eq!(
                signed_version(&doc, 2).unwrap_err().code(),
                OFFICER_SIGNED_VERSION
            );
        }
        assert_eq!(
            signed_version(&json!({"version": 1}), 2)
                .unwrap_err()
                .code(),
            VERSION_NOT_CURRENT
        );
    }

    fn pointer(e: &AppError) -> &str {
        match e {
            AppError::BadRequest { pointer, .. } | AppError::Conflict { pointer, .. } => pointer,
            _ => "",
        }
    }
}
