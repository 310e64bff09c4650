//! Lodging a declaration sent as a standard message (issue 19): WCO
//! DEC-DMS XML, function code 9, and UN/EDIFACT CUSDEC
//! ([`Clearance::lodge_edifact`], message function 9).
//!
//! [`Clearance::lodge_wco`] is the one path from a message's bytes to a
//! lodged declaration: `POST /api/v1/declarations` with an XML body calls
//! it, and so does `tamga bench pipeline --xml`. The message is read by
//! `tamga_messages` (well-formedness and limits, DOCTYPE refused, the
//! DEC-DMS schema, the mapping into tamga's wire JSON); then the mapped
//! document goes through the same stages as a JSON body
//! ([`Clearance::lodge_document`]):
//! - the signature is checked over the message's exact bytes, and replay
//!   and LRN conflicts compare the SHA-256 of those bytes;
//! - every violation keeps its JSON pointer into the mapped document and
//!   gains the XPath of the element it is in;
//! - the bytes are stored with the declaration, in the same commit, with
//!   the elements tamga does not model (`notUsed`, also in the answer).
//!
//! A message that cannot be read is rejected like a body that is not JSON:
//! 422 with every error of the first layer that failed, each with its code
//! (`XML-*`, `SCHEMA-*`, `WCO-*`) and XPath, a `rejected` notification to
//! the operator, nothing registered. An amendment (function code 13, COR)
//! or a cancellation (INV) goes to the declaration its `ID` names
//! (`message_acts`); a goods presentation (GPR) is refused with
//! [`XML_FUNCTION_NOT_SUPPORTED`] at `FunctionCode`.

use tamga_core::codes::Eori;
use tamga_core::control::{Severity, Violation};
use tamga_core::lifecycle::NotificationKind;
use tamga_messages::{CusdecMapped, Limits, Mapped, MessageError, MessageKind};
use tamga_store::{Original, LODGEMENT, UNEDIFACT_CUSDEC, WCO_DEC_DMS_XML};

use super::lodging::Lodgement;
use super::signatures::{sha256_hex, Signed};
use super::{Accepted, Clearance};
use crate::error::AppError;

/// 400: a DEC-DMS message tamga does not act on (a goods presentation,
/// function code 13 with type GPR).
pub const XML_FUNCTION_NOT_SUPPORTED: &str = "XML_FUNCTION_NOT_SUPPORTED";

/// What a message did to a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAct {
    /// Lodged it (function code 9, or a CUSDEC).
    Lodged,
    /// Amended it (function code 13, COR).
    Amended,
    /// Invalidated it (function code 13, INV).
    Invalidated,
}

/// A declaration lodged, amended or invalidated by a message.
#[derive(Debug, Clone)]
pub struct AcceptedMessage {
    pub accepted: Accepted,
    /// The elements and attributes of the message tamga does not model
    /// (XPaths); they are kept in the stored original.
    pub not_used: Vec<String>,
    pub act: MessageAct,
}

impl Clearance {
    /// Acts on a signed WCO DEC-DMS message: a declaration (function code
    /// 9) is lodged, the message read and mapped, then the lodging pipeline
    /// as for JSON; an amendment (13, COR) or a cancellation (13, INV) of
    /// the declaration its `ID` names goes the way of the JSON amendment or
    /// invalidation (`message_acts`).
    #[tracing::instrument(skip_all, fields(operator = %lodged_by))]
    pub async fn lodge_wco(
        &self,
        lodged_by: &Eori,
        s: Signed<'_>,
    ) -> Result<AcceptedMessage, AppError> {
        let (tree, mapped) = match tamga_messages::read_wco_quick(s.body, &Limits::default()) {
            Ok(m) => m,
            Err(errors) => {
                let violations = errors.into_iter().map(message_violation).collect();
                return Err(self
                    .reject_as(
                        lodged_by,
                        None,
                        NotificationKind::Rejected,
                        None,
                        violations,
                        Some(WCO_DEC_DMS_XML),
                    )
                    .await);
            }
        };
        match mapped.kind {
            MessageKind::Lodgement => drop(tree),
            MessageKind::Amendment { .. } => {
                // The tree is read here, not kept across the awaits.
                let carried = tamga_messages::wco_amend::read_carried(&tree);
                drop(tree);
                return self.amend_wco(lodged_by, &s, carried, mapped).await;
            }
            MessageKind::Cancellation { .. } => {
                drop(tree);
                return self.cancel_wco(lodged_by, &s, mapped).await;
            }
            MessageKind::GoodsPresentation { .. } => {
                drop(tree);
                let declaration_path = mapped.sources.get("").cloned().unwrap_or_default();
                return Err(AppError::bad_request(
                    XML_FUNCTION_NOT_SUPPORTED,
                    format!("{declaration_path}/FunctionCode"),
                    format!(
                        "function code {} ({}) is not handled: tamga takes declarations (function code 9), amendments (13, COR) and cancellations (13, INV); goods presentation (GPR) is not modelled",
                        mapped.function_code,
                        mapped.type_code.as_deref().unwrap_or("no type code")
                    ),
                ));
            }
        }
        let Mapped {
            document, not_used, ..
        } = mapped;
        // Read without its sources (`read_wco_quick`): they are read again,
        // once, from the same bytes if a violation needs placing.
        let sources = std::sync::OnceLock::new();
        let sources = || {
            sources.get_or_init(|| {
                tamga_messages::read_wco_tree(s.body, &Limits::default())
                    .map(|(_, m)| m.sources)
                    .unwrap_or_default()
            })
        };
        let place = |v: &mut Violation| {
            if v.xpath.is_none() {
                v.xpath = tamga_messages::json_doc::xpath_for(sources(), &v.pointer);
            }
        };
        // The LRN's element, not the JSON field.
        let lrn_at = || {
            let sources = sources();
            tamga_messages::json_doc::xpath_for(sources, "/lrn")
                .unwrap_or_else(|| sources.get("").cloned().unwrap_or_default())
        };
        self.lodge_message(
            lodged_by,
            &s,
            document,
            WCO_DEC_DMS_XML,
            not_used,
            &place,
            &lrn_at,
        )
        .await
    }

    /// The stages from control on for a mapped message: its bytes are
    /// signed, hashed for replays and stored with the declaration
    /// (`format`, `not_used`); `place` locates a violation in the message,
    /// and an LRN conflict points at `lrn_at`, the LRN's place in it.
    #[allow(clippy::too_many_arguments)]
    async fn lodge_message(
        &self,
        lodged_by: &Eori,
        s: &Signed<'_>,
        document: serde_json::Value,
        format: &str,
        not_used: Vec<String>,
        place: super::lodging::Place<'_>,
        lrn_at: &(dyn Fn() -> String + Send + Sync),
    ) -> Result<AcceptedMessage, AppError> {
        let body_sha256 = sha256_hex(s.body);
        let lodgement = Lodgement {
            doc: document,
            body_sha256: body_sha256.clone(),
            place: Some(place),
            original: Some(Box::new(Original {
                act: LODGEMENT.to_owned(),
                format: format.to_owned(),
                body: s.body.to_vec(),
                body_sha256,
                not_used: not_used.clone(),
            })),
        };
        match self.lodge_document(lodged_by, s, lodgement).await {
            Ok(accepted) => Ok(AcceptedMessage {
                accepted,
                not_used,
                act: MessageAct::Lodged,
            }),
            Err(AppError::LrnConflict { lrn, mrn }) => Err(AppError::Conflict {
                code: "FLC-LRN-CONFLICT",
                pointer: lrn_at(),
                message: format!(
                    "LRN {lrn} was already used by this declarant for a different declaration ({mrn})"
                ),
            }),
            Err(e) => Err(e),
        }
    }
}

/// A CUSDEC lodged: the declaration, and the segments, elements and
/// components tamga does not model (`segment 12 (FTX)`), kept in the
/// stored original.
pub type AcceptedEdifact = AcceptedMessage;

impl Clearance {
    /// Lodges a signed UN/EDIFACT CUSDEC interchange (D:96B or D:99B,
    /// message function 9): read and mapped by `tamga_messages`, then the
    /// lodging pipeline as for JSON; the signature and replays go by the
    /// interchange's exact bytes, which are stored with the declaration
    /// (format `unedifact-cusdec`). A refusal's violations carry their
    /// `segment` position (ISO 9735-4); an interchange that cannot be read
    /// is refused with the syntax layer's `EDI-*` codes (the HTTP layer
    /// answers those with a CONTRL).
    #[tracing::instrument(skip_all, fields(operator = %lodged_by))]
    pub async fn lodge_edifact(
        &self,
        lodged_by: &Eori,
        s: Signed<'_>,
    ) -> Result<AcceptedEdifact, AppError> {
        let mapped = match tamga_messages::read_cusdec(s.body) {
            Ok(m) => m,
            Err(errors) => {
                let violations = errors.into_iter().map(segment_violation).collect();
                return Err(self
                    .reject(
                        lodged_by,
                        None,
                        NotificationKind::Rejected,
                        None,
                        violations,
                    )
                    .await);
            }
        };
        let CusdecMapped {
            document,
            sources,
            not_used,
            ..
        } = &mapped;
        let place = |v: &mut Violation| {
            if v.segment.is_none() {
                v.segment = mapped.locate(&v.pointer).map(|s| s.to_string().into());
            }
        };
        // The LRN's segment, not the JSON field.
        let lrn_at = sources
            .get("/lrn")
            .or_else(|| sources.get(""))
            .map(ToString::to_string)
            .unwrap_or_default();
        self.lodge_message(
            lodged_by,
            &s,
            document.clone(),
            UNEDIFACT_CUSDEC,
            not_used.clone(),
            &place,
            &move || lrn_at.clone(),
        )
        .await
    }
}

fn line_column(e: &MessageError) -> String {
    match (e.line, e.column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        _ => String::new(),
    }
}

/// A message error as a violation of the lodging: its code, no JSON
/// pointer (there is no document yet), the XPath of the element (`/`
/// for the message as a whole) and the line and column in the message.
pub(super) fn message_violation(e: MessageError) -> Violation {
    let at = line_column(&e);
    Violation {
        code: e.code.to_owned(),
        severity: Severity::Error,
        message: format!("{}{at}", e.message),
        pointer: String::new(),
        xpath: Some(if e.pointer.is_empty() {
            "/".to_owned()
        } else {
            e.pointer
        }),
        segment: None,
    }
}

/// An EDIFACT error as a violation of the lodging: its code, no JSON
/// pointer, the segment position (`interchange` for the interchange as a
/// whole, e.g. its size) and the line and column.
fn segment_violation(e: MessageError) -> Violation {
    let at = line_column(&e);
    Violation {
        code: e.code.to_owned(),
        severity: Severity::Error,
        message: format!("{}{at}", e.message),
        pointer: String::new(),
        xpath: None,
        segment: Some(if e.pointer.is_empty() {
            "interchange".into()
        } else {
            e.pointer.into()
        }),
    }
}
