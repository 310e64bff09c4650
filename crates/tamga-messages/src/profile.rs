//! Code-list profiles: which code lists control checks a mapped message
//! against.
//!
//! - `tamga`: tamga's own reference data (`reference/*.csv`), unchanged.
//! - `cds`: tamga's reference data with the procedure codes (DE 1/10), the
//!   additional procedure codes (DE 1/11) and their allowed combinations
//!   taken from the public CDS code lists, shipped in `code-lists/cds`
//!   (HMRC, Apache-2.0; see `code-lists/cds/NOTICE`). Those public lists
//!   are the exports service's: they carry the 16 export procedure codes
//!   and 65 additional procedure codes, no import procedures, no customs
//!   offices and no full document code list. So under `cds`, offices and
//!   document codes are still tamga's lists, and an import procedure
//!   missing from the public lists is reported by control as unknown —
//!   the conformance report says so rather than guessing codes.
//!
//! The CDS validation codes (`dmsErrorCodes.json`) are shipped too: the
//! notification round maps tamga's control codes onto them.

use serde::Deserialize;
use tamga_core::declaration::DeclarationType;
use tamga_core::reference::{CodeDescription, Procedure, ReferenceBundle, SHIPPED};

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

/// Replaces the procedure lists of `b` by the public CDS ones.
fn apply_cds(b: &mut ReferenceBundle) -> Result<(), String> {
    let procedures: Vec<Coded> = serde_json::from_str(cds_files::PROCEDURE_CODES)
        .map_err(|e| format!("procedureCodes.json: {e}"))?;
    let additional: Vec<Coded> = serde_json::from_str(cds_files::ADDITIONAL_PROCEDURE_CODES)
        .map_err(|e| format!("additionalProcedureCodes.json: {e}"))?;
    let links: Vec<Link> = serde_json::from_str(cds_files::LINKS)
        .map_err(|e| format!("linkProcedureCodeToAdditionalProcedureCodes.json: {e}"))?;
    b.procedures = procedures
        .into_iter()
        .map(|p| Procedure {
            code: p.code,
            // The exports service's list: export and its customs-status
            // movements.
            declaration_types: vec![DeclarationType::EX, DeclarationType::CO],
            description: p.en,
        })
        .collect();
    b.additional_procedures = additional
        .into_iter()
        .map(|a| CodeDescription {
            code: a.code,
            description: a.en,
        })
        .collect();
    b.procedure_combinations = links
        .into_iter()
        .flat_map(|l| {
            let parent = l.parent_code;
            l.child_codes.into_iter().map(move |c| (parent.clone(), c))
        })
        .collect();
    Ok(())
}
