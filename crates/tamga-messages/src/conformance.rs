//! One message's conformance: read (XML, schema, mapping; or EDIFACT
//! syntax and CUSDEC mapping), then tamga's control under a code-list
//! profile. The binary's `tamga messages conformance DIR` runs this over a
//! folder.

use serde::Serialize;
use tamga_core::codes::Eori;
use tamga_core::control::{self, ControlContext};
use tamga_core::reference::ReferenceData;
use time::Date;

use crate::cusdec_in::CusdecMapped;
use crate::wco_in::{Mapped, MessageKind};
use crate::{locate, locate_cusdec, read_cusdec, read_wco, Limits, LocatedViolation, MessageError};

/// What happened to one message.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Whether the message was mapped (read, schema-valid, every element
    /// either mapped or listed as not used).
    pub mapped: bool,
    /// `lodgement`, `amendment`, `cancellation`, `goodsPresentation`, or
    /// `notDeclaration` for another WCO message (a DMS notification …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Elements (subtrees) and attributes tamga does not model.
    pub not_used: Vec<String>,
    /// Errors of reading and mapping (empty when mapped).
    pub errors: Vec<MessageError>,
    /// Control under the profile (lodgements only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlResult>,
}

/// tamga's format-logical control of a mapped lodgement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlResult {
    /// The structure layer built a typed declaration.
    pub declaration_formed: bool,
    /// No error-severity violation.
    pub passed: bool,
    pub violations: Vec<LocatedViolation>,
    /// When the declaration did not form (so control could not reach its
    /// code lists): the profile's code lists applied to the codes the
    /// message does carry ([`crate::profile::check_codes`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_lists: Option<Vec<LocatedViolation>>,
}

impl Report {
    /// Whether the message is another WCO message, not a declaration.
    pub fn not_a_declaration(&self) -> bool {
        self.kind.as_deref() == Some("notDeclaration")
    }
}

/// Reads `bytes` and, for a lodgement, runs control on `today` against
/// `reference` (the lodging operator is taken to be the declarant).
pub fn check(bytes: &[u8], reference: &ReferenceData, today: Date) -> Report {
    match read_wco(bytes, &Limits::default()) {
        Ok(m) => {
            let control =
                matches!(m.kind, MessageKind::Lodgement).then(|| run_control(&m, reference, today));
            Report {
                mapped: true,
                kind: Some(kind_name(&m.kind).to_owned()),
                not_used: m.not_used,
                errors: Vec::new(),
                control,
            }
        }
        Err(errors) => {
            let other = errors.iter().all(|e| e.code == "WCO-NOT-DECLARATION");
            Report {
                mapped: false,
                kind: other.then(|| "notDeclaration".to_owned()),
                not_used: Vec::new(),
                errors,
                control: None,
            }
        }
    }
}

/// Whether `bytes` look like a UN/EDIFACT interchange: `UNA` or `UNB`
/// first (after a byte order mark and white space).
pub fn is_edifact(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let b = &b[start..];
    b.starts_with(b"UNA") || b.starts_with(b"UNB")
}

/// [`check`] for a UN/EDIFACT CUSDEC: another message type is
/// `notDeclaration`; violations carry their segment position.
pub fn check_cusdec(bytes: &[u8], reference: &ReferenceData, today: Date) -> Report {
    match read_cusdec(bytes) {
        Ok(m) => {
            let control = Some(run_cusdec_control(&m, reference, today));
            Report {
                mapped: true,
                kind: Some("lodgement".to_owned()),
                not_used: m.not_used,
                errors: Vec::new(),
                control,
            }
        }
        Err(errors) => {
            let other = errors.iter().all(|e| e.code == "CUSDEC-NOT-CUSDEC");
            Report {
                mapped: false,
                kind: other.then(|| "notDeclaration".to_owned()),
                not_used: Vec::new(),
                errors,
                control: None,
            }
        }
    }
}

fn with_segments(v: Vec<tamga_core::control::Violation>) -> Vec<LocatedViolation> {
    v.into_iter()
        .map(|violation| LocatedViolation {
            violation,
            xpath: None,
        })
        .collect()
}

/// tamga's control of a mapped CUSDEC (the lodging operator taken to be
/// the declarant).
pub fn run_cusdec_control(
    m: &CusdecMapped,
    reference: &ReferenceData,
    today: Date,
) -> ControlResult {
    let declarant = operator(&m.document);
    let ctx = ControlContext {
        reference,
        today,
        lodged_by: &declarant,
    };
    let report = control::run(&m.document, &ctx);
    let passed = report.passed();
    let declaration_formed = report.declaration.is_some();
    let code_lists = (!declaration_formed).then(|| {
        with_segments(locate_cusdec(
            m,
            crate::profile::check_codes(&m.document, reference),
        ))
    });
    ControlResult {
        declaration_formed,
        passed,
        violations: with_segments(locate_cusdec(m, report.violations)),
        code_lists,
    }
}

fn operator(document: &serde_json::Value) -> Eori {
    document
        .pointer("/declarant/id")
        .and_then(|v| v.as_str())
        .and_then(|s| Eori::parse(s).ok())
        .unwrap_or_else(|| Eori::parse("XX0").expect("a well-formed placeholder operator id"))
}

fn kind_name(k: &MessageKind) -> &'static str {
    match k {
        MessageKind::Lodgement => "lodgement",
        MessageKind::Amendment { .. } => "amendment",
        MessageKind::Cancellation { .. } => "cancellation",
        MessageKind::GoodsPresentation { .. } => "goodsPresentation",
    }
}

fn run_control(m: &Mapped, reference: &ReferenceData, today: Date) -> ControlResult {
    let declarant = operator(&m.document);
    let ctx = ControlContext {
        reference,
        today,
        lodged_by: &declarant,
    };
    let report = control::run(&m.document, &ctx);
    let passed = report.passed();
    let declaration_formed = report.declaration.is_some();
    let code_lists = (!declaration_formed)
        .then(|| locate(m, crate::profile::check_codes(&m.document, reference)));
    ControlResult {
        declaration_formed,
        passed,
        violations: locate(m, report.violations),
        code_lists,
    }
}
