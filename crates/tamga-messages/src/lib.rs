//! tamga's standard messages (issue 19): the formats traders' software
//! already speaks, mapped to and from tamga's own declaration.
//!
//! This round: WCO DEC-DMS XML (WCO Data Model 3.6 as the UK's CDS uses
//! it) in and out.
//!
//! Reading is layered, like a customs administration's:
//! 1. [`xml`]: the bytes into an element tree, safely (no DTD, so no entity
//!    expansion and no external entity; size, depth and element limits;
//!    UTF-8 only);
//! 2. [`schema`]: the published XSDs (shipped in `schemas/`), checked by a
//!    validator of the XSD subset those schemas use;
//! 3. [`wco_in`]: the tree into tamga's wire JSON and the message kind
//!    (lodgement, amendment, cancellation, goods presentation), listing
//!    every element tamga does not model;
//!    [`wco_amend`] applies an amendment (function code 13, COR) to the
//!    declaration it names;
//! 4. tamga's own format-logical control on that document
//!    ([`to_declaration`] runs its structure layer and answers with
//!    XPaths).
//!
//! [`wco_out`] writes a declaration back as DEC-DMS XML; [`profile`] holds
//! the code-list profiles (tamga's default, and `cds` from the public CDS
//! code lists shipped in `code-lists/cds`).
//!
//! Notifications go out as CDS DMS response XML: [`dms_notice`] says what
//! each of tamga's notification kinds is written as, [`dms_out`] writes it
//! (valid against the DMS response schema shipped in
//! `schemas/notification`), [`dms_pointer`] turns an XPath into CDS's
//! pointer, [`dms_codes`] maps tamga's codes to CDS validation codes, and
//! [`dms_conformance`] sets tamga's notifications for a CDS sample against
//! the ones the CDS sent.
//!
//! UN/EDIFACT: [`edifact`] is the syntax layer (ISO 9735), [`cusdec_in`]
//! maps a CUSDEC (D:96B, D:99B) into the same wire JSON, [`cusdec_out`]
//! writes a declaration as CUSDEC, and the answers are [`contrl`] (syntax
//! errors) and [`cusres`] (accepted or rejected).
//!
//! No IO: bytes in, values out.

pub mod conformance;
pub mod contrl;
pub mod cusdec_in;
pub mod cusdec_out;
pub mod cusres;
pub mod dms_codes;
pub mod dms_conformance;
pub mod dms_notice;
pub mod dms_out;
pub mod dms_pointer;
pub mod edifact;
pub mod edifact_envelope;
pub mod edifact_out;
pub mod error;
pub mod json_doc;
pub mod profile;
pub mod schema;
pub mod wco_amend;
pub mod wco_in;
pub mod wco_out;
pub mod xml;
mod xml_out;

use serde::Serialize;
use tamga_core::control::{self, Violation};
use tamga_core::declaration::Declaration;

pub use cusdec_in::CusdecMapped;
pub use cusdec_out::Directory;
pub use error::MessageError;
pub use wco_in::{Mapped, MessageKind};
pub use xml::Limits;

/// Reads a DEC-DMS message: well-formedness and limits, whether it is a
/// declaration, then the schema, then the mapping. Every error of the first layer that fails.
pub fn read_wco(bytes: &[u8], limits: &Limits) -> Result<Mapped, Vec<MessageError>> {
    read_wco_tree(bytes, limits).map(|(_, mapped)| mapped)
}

/// [`read_wco`], also giving the element tree (an amendment's pointers
/// are checked against it, [`wco_amend::merge`]).
pub fn read_wco_tree<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(xml::Element<'a>, Mapped), Vec<MessageError>> {
    let root = xml::parse(bytes, limits).map_err(|e| vec![e])?;
    let message = wco_in::unwrap(&root);
    wco_in::is_declaration(message).map_err(|e| vec![e.at(bytes, message.offset)])?;
    let schema_errors = schema::dec_dms().validate(message);
    if !schema_errors.is_empty() {
        return Err(schema_errors
            .into_iter()
            .map(|(offset, e)| e.at(bytes, offset))
            .collect());
    }
    let mapped = wco_in::map(&root)?;
    Ok((root, mapped))
}

/// [`read_wco_tree`] for the lodging path, where the pointers are rarely
/// needed: a lodgement (function code 9) that passes the schema and maps
/// without error is read without building an XPath per element or a
/// source per value ([`Mapped::sources`] is left empty: read the same
/// bytes with [`read_wco_tree`] to place a violation); `not_used` is
/// always complete. A message that is not well-formed is refused at
/// once, as `read_wco_tree` refuses it; anything else (a schema or
/// mapping error, an amendment, a cancellation) is read again by
/// [`read_wco_tree`], so its errors and sources are exactly that
/// function's.
pub fn read_wco_quick<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(xml::Element<'a>, Mapped), Vec<MessageError>> {
    // A message that cannot be read is refused as `read_wco_tree` refuses
    // it (its reader is this one, placing pointers after), not read twice.
    let mut root = xml::parse_unplaced(bytes, limits).map_err(|e| vec![e])?;
    let valid = {
        let message = wco_in::unwrap(&root);
        wco_in::is_declaration(message).is_ok() && schema::dec_dms().validate(message).is_empty()
    };
    if valid {
        if let Ok(mut mapped) = wco_in::map_untracked(&root) {
            if mapped.kind == MessageKind::Lodgement {
                if !mapped.not_used.is_empty() {
                    // Named by their pointers: placed now (the tree keeps
                    // what the mapping used).
                    xml::place(&mut root);
                    mapped.not_used.clear();
                    root.unused(&mut mapped.not_used);
                }
                return Ok((root, mapped));
            }
        }
    }
    read_wco_tree(bytes, limits)
}

/// A control violation with the XPath of the element it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocatedViolation {
    #[serde(flatten)]
    pub violation: Violation,
    /// The element the value came from, or the nearest one that should
    /// hold a missing value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xpath: Option<String>,
}

/// Places control's violations (JSON pointers) in the message (XPaths).
pub fn locate(mapped: &Mapped, violations: Vec<Violation>) -> Vec<LocatedViolation> {
    violations
        .into_iter()
        .map(|v| LocatedViolation {
            xpath: json_doc::xpath_for(&mapped.sources, &v.pointer),
            violation: v,
        })
        .collect()
}

/// tamga's typed declaration from a mapped lodgement, through control's
/// structure layer; its violations carry the XPath of their element.
pub fn to_declaration(mapped: &Mapped) -> Result<Declaration, Vec<LocatedViolation>> {
    match control::parse_declaration(&mapped.document) {
        (Some(d), v) if v.is_empty() => Ok(d),
        (_, v) => Err(locate(mapped, v)),
    }
}

/// Writes tamga's declaration as DEC-DMS XML.
pub fn write_wco(d: &Declaration) -> Result<String, Vec<MessageError>> {
    wco_out::write(d)
}

/// The largest EDIFACT interchange read (the API's body limit is lower).
pub const EDIFACT_MAX_BYTES: usize = 8 << 20;

/// Reads a UN/EDIFACT CUSDEC interchange: syntax, one CUSDEC of directory
/// D:96B or D:99B, the mapping. Every error of the first layer that fails;
/// [`cusdec_in::is_syntax_error`] tells which are answered with a CONTRL.
pub fn read_cusdec(bytes: &[u8]) -> Result<CusdecMapped, Vec<MessageError>> {
    cusdec_in::read(bytes, EDIFACT_MAX_BYTES)
}

/// A control violation with the CUSDEC position of the value it concerns.
pub fn locate_cusdec(mapped: &CusdecMapped, violations: Vec<Violation>) -> Vec<Violation> {
    violations
        .into_iter()
        .map(|mut v| {
            if v.segment.is_none() {
                v.segment = mapped.locate(&v.pointer).map(|s| s.to_string().into());
            }
            v
        })
        .collect()
}

/// tamga's typed declaration from a mapped CUSDEC, through control's
/// structure layer; its violations carry their segment position.
pub fn cusdec_declaration(mapped: &CusdecMapped) -> Result<Declaration, Vec<Violation>> {
    match control::parse_declaration(&mapped.document) {
        (Some(d), v) if v.is_empty() => Ok(d),
        (_, v) => Err(locate_cusdec(mapped, v)),
    }
}

/// Writes tamga's declaration as a CUSDEC interchange.
pub fn write_cusdec(
    d: &Declaration,
    directory: Directory,
    prepared: time::OffsetDateTime,
) -> Result<String, Vec<MessageError>> {
    cusdec_out::write(d, directory, prepared)
}
