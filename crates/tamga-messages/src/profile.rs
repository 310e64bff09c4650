//! Code-list profiles: which code lists control checks a mapped message
//! against.
//!
//! - `tamga`: tamga's own reference data (`reference/*.csv`), unchanged.
//! - `cds`: tamga's reference data plus the public CDS code lists shipped
//!   in `code-lists/cds` (HMRC, Apache-2.0; see `code-lists/cds/NOTICE`):
//!   the procedure codes (DE 1/10), additional procedure codes (DE 1/11)
//!   and allowed combinations tamga's lists lack are added. Those public
//!   lists are the exports service's (16 procedure codes, 65 additional
//!   procedure codes); they carry no customs offices and no full document
//!   code list, so under `cds` offices and document codes are tamga's
//!   lists, and a CDS office (GB…, XI…) is reported as unknown — the
//!   conformance report says so rather than inventing codes.
//!
//! The CDS validation codes (`dmsErrorCodes.json`) are shipped too: the
//! notification round maps tamga's control codes onto them.

use serde::Deserialize;
use serde_json::Value;
use tamga_core::codes::{
    AdditionalProcedureCode, CountryCode, DocumentTypeCode, OfficeCode, ProcedureCode,
};
use tamga_core::control::{violation, Violation};
use tamga_core::declaration::DeclarationType;
use tamga_core::reference::{CodeDescription, Procedure, ReferenceBundle, ReferenceData, SHIPPED};

/// The public CDS code lists, compiled in (nothing is read at run time).
pub mod cds_files {
    pub const PROCEDURE_CODES: &str = include_str!("../code-lists/cds/procedureCodes.json");
    pub const ADDITIONAL_PROCEDURE_CODES: &str =
        include_str!("../code-lists/cds/additionalProcedureCodes.json");
    pub const LINKS: &str =
        include_str!("../code-lists/cds/linkProcedureCodeToAdditionalProcedureCodes.json");
    pub const DMS_ERROR_CODES: &str = include_str!("../code-lists/cds/dmsErrorCodes.json");
}

/// The names [`bundle`] knows.
pub const PROFILES: &[&str] = &["tamga", "cds"];

#[derive(Deserialize)]
struct Coded {
    code: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Link {
    parent_code: String,
    child_codes: Vec<String>,
}

/// A CDS validation code and its English text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdsErrorCode {
    pub code: String,
    pub text: String,
}

/// The CDS validation codes (CDS10001 …) from the shipped list.
pub fn cds_error_codes() -> Result<Vec<CdsErrorCode>, String> {
    let list: Vec<Coded> = serde_json::from_str(cds_files::DMS_ERROR_CODES)
        .map_err(|e| format!("dmsErrorCodes.json: {e}"))?;
    Ok(list
        .into_iter()
        .map(|c| CdsErrorCode {
            code: c.code,
            text: c.en,
        })
        .collect())
}

/// The reference bundle of a profile.
pub fn bundle(profile: &str) -> Result<ReferenceBundle, String> {
    let mut b = ReferenceBundle::from_csv(&SHIPPED).map_err(|e| format!("{e:?}"))?;
    match profile {
        "tamga" => Ok(b),
        "cds" => {
            apply_cds(&mut b)?;
            Ok(b)
        }
        other => Err(format!(
            "unknown code-list profile {other:?}; known: {}",
            PROFILES.join(", ")
        )),
    }
}

/// Adds the public CDS procedure lists to `b`: the codes tamga's lists
/// lack, and every allowed combination.
fn apply_cds(b: &mut ReferenceBundle) -> Result<(), String> {
    let procedures: Vec<Coded> = serde_json::from_str(cds_files::PROCEDURE_CODES)
        .map_err(|e| format!("procedureCodes.json: {e}"))?;
    let additional: Vec<Coded> = serde_json::from_str(cds_files::ADDITIONAL_PROCEDURE_CODES)
        .map_err(|e| format!("additionalProcedureCodes.json: {e}"))?;
    let links: Vec<Link> = serde_json::from_str(cds_files::LINKS)
        .map_err(|e| format!("linkProcedureCodeToAdditionalProcedureCodes.json: {e}"))?;
    for p in procedures {
        if !b.procedures.iter().any(|q| q.code == p.code) {
            b.procedures.push(Procedure {
                code: p.code,
                // The exports service's list: export and its customs-status
                // movements.
                declaration_types: vec![DeclarationType::EX, DeclarationType::CO],
                description: p.en,
            });
        }
    }
    for a in additional {
        if !b.additional_procedures.iter().any(|q| q.code == a.code) {
            b.additional_procedures.push(CodeDescription {
                code: a.code,
                description: a.en,
            });
        }
    }
    for l in links {
        for c in l.child_codes {
            let pair = (l.parent_code.clone(), c);
            if !b.procedure_combinations.contains(&pair) {
                b.procedure_combinations.push(pair);
            }
        }
    }
    Ok(())
}

/// The profile's code lists applied to a mapped document on their own:
/// offices, procedure and additional procedure codes (and their
/// combinations), document codes and countries, each where present and
/// well formed. Control runs these checks only once the whole declaration
/// has formed; this shows a message's codes against a profile even when it
/// lacks something else tamga requires. Violations use control's rule
/// codes and JSON pointers.
pub fn check_codes(doc: &Value, r: &ReferenceData) -> Vec<Violation> {
    let mut out = Vec::new();
    let text = |p: &str| doc.pointer(p).and_then(Value::as_str);
    for p in ["/declarationOffice", "/exitOffice", "/presentationOffice"] {
        if let Some(o) = text(p).and_then(|s| OfficeCode::parse(s).ok()) {
            if r.office_roles(&o).is_none() {
                out.push(violation(
                    "FLC-OFFICE-UNKNOWN",
                    p,
                    format!("office {o} is not in the profile's office list"),
                ));
            }
        }
    }
    let procedure = text("/procedure").and_then(|s| ProcedureCode::parse(s).ok());
    let known = procedure
        .as_ref()
        .is_some_and(|p| r.procedure_types(p).is_some());
    if let (Some(p), false) = (&procedure, known) {
        out.push(violation(
            "FLC-PROCEDURE-UNKNOWN",
            "/procedure",
            format!("procedure {p} is not in the profile's list"),
        ));
    }
    let additional = doc
        .pointer("/additionalProcedures")
        .and_then(Value::as_array);
    for (i, a) in additional.into_iter().flatten().enumerate() {
        let Some(a) = a
            .as_str()
            .and_then(|s| AdditionalProcedureCode::parse(s).ok())
        else {
            continue;
        };
        let pointer = format!("/additionalProcedures/{i}");
        if !r.additional_procedure_exists(&a) {
            out.push(violation(
                "FLC-ADDITIONAL-PROCEDURE-UNKNOWN",
                pointer.clone(),
                format!("additional procedure {a} is not in the profile's list"),
            ));
        } else if let (Some(p), true) = (&procedure, known) {
            if !r.combination_allowed(p, &a) {
                out.push(violation(
                    "FLC-PROCEDURE-COMBINATION",
                    pointer.clone(),
                    format!("additional procedure {a} is not allowed with procedure {p}"),
                ));
            }
        }
    }
    let items = doc.pointer("/items").and_then(Value::as_array);
    for (i, item) in items.into_iter().flatten().enumerate() {
        let docs = item.pointer("/documents").and_then(Value::as_array);
        for (j, d) in docs.into_iter().flatten().enumerate() {
            let Some(code) = d
                .pointer("/type")
                .and_then(Value::as_str)
                .and_then(|s| DocumentTypeCode::parse(s).ok())
            else {
                continue;
            };
            if !r.document_type_exists(&code) {
                out.push(violation(
                    "FLC-DOCUMENT-TYPE-UNKNOWN",
                    format!("/items/{i}/documents/{j}/type"),
                    format!("document code {code} is not in the profile's list"),
                ));
            }
        }
        for field in ["origin", "preferentialOrigin"] {
            let c = item
                .pointer(&format!("/{field}"))
                .and_then(Value::as_str)
                .and_then(|s| CountryCode::parse(s).ok());
            if let Some(c) = c.filter(|c| !r.country_exists(c)) {
                out.push(violation(
                    "FLC-COUNTRY-UNKNOWN",
                    format!("/items/{i}/{field}"),
                    format!("country {c} is not in the profile's list"),
                ));
            }
        }
    }
    out
}
