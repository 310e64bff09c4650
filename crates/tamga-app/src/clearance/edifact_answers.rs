//! The UN/EDIFACT answers to a lodged CUSDEC ([`super::Clearance::lodge_edifact`]):
//! a CUSRES for an accepted declaration and for one refused by the
//! mapping, control, the signature or the lodger's standing; a CONTRL for
//! an interchange the syntax layer refused, or that is not one CUSDEC of a
//! directory tamga reads. Written by `tamga_messages` (docs/messages.md has
//! the codes); the HTTP layer chooses between these and JSON.

use tamga_messages::cusdec_in::is_syntax_code;
use tamga_messages::cusres::{self, Acceptance, Answering, Refusal};
use tamga_messages::edifact::{self, SegmentRef};
use tamga_messages::edifact_out::reference_from;
use time::OffsetDateTime;

use crate::error::AppError;

/// tamga's party id in an answer's `UNB` when the request named none.
const TAMGA: &str = tamga_messages::cusdec_out::TAMGA_PARTY;

/// An EDIFACT answer to a refused CUSDEC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdifactRefusal {
    /// Refused (422): a CONTRL or a CUSRES.
    Rejected(String),
    /// The LRN was used for other bytes (409): a CUSRES.
    Conflict(String),
}

/// What an accepted CUSDEC's CUSRES says.
#[derive(Debug, Clone)]
pub struct EdifactAcceptance<'a> {
    pub mrn: &'a str,
    pub lrn: &'a str,
    pub registered_at: OffsetDateTime,
    /// The state and channel as the trader sees them.
    pub state: &'a str,
    pub channel: &'a str,
    pub not_used: Vec<String>,
}

fn our_reference(now: OffsetDateTime) -> String {
    reference_from(&format!(
        "T{}",
        now.unix_timestamp_nanos().rem_euclid(10_i128.pow(13))
    ))
}

/// The CUSRES accepting the CUSDEC `request` (its bytes), prepared `now`.
pub fn cusres_accepted(request: &[u8], x: EdifactAcceptance<'_>, now: OffsetDateTime) -> String {
    let env = edifact::envelope(request);
    let reference = our_reference(now);
    let a = Answering {
        subject: &env,
        tamga: TAMGA,
        prepared: now,
        reference: &reference,
    };
    cusres::accepted(
        &a,
        &Acceptance {
            mrn: x.mrn.to_owned(),
            lrn: x.lrn.to_owned(),
            registered_at: x.registered_at,
            state: x.state.to_owned(),
            channel: x.channel.to_owned(),
            not_used: x.not_used,
        },
    )
}

/// The EDIFACT answer to the CUSDEC `request` refused with `e`, or `e`
/// itself when it is not a refusal of the message (authentication, the
/// store, …).
pub fn edifact_refusal(
    request: &[u8],
    e: AppError,
    now: OffsetDateTime,
) -> Result<EdifactRefusal, AppError> {
    let env = edifact::envelope(request);
    let reference = our_reference(now);
    let a = Answering {
        subject: &env,
        tamga: TAMGA,
        prepared: now,
        reference: &reference,
    };
    let lrn = || {
        tamga_messages::read_cusdec(request)
            .ok()
            .and_then(|m| {
                m.document
                    .get("lrn")
                    .and_then(|l| l.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    match e {
        AppError::Rejected(violations) => {
            if violations.iter().any(|v| is_syntax_code(&v.code)) {
                // Read again for the errors' structured positions.
                if let Err(errors) = tamga_messages::read_cusdec(request) {
                    let body = tamga_messages::contrl::write(&env, &errors, TAMGA, now, &reference);
                    return Ok(EdifactRefusal::Rejected(body));
                }
            }
            let refusals: Vec<Refusal> = violations
                .into_iter()
                .map(|v| Refusal {
                    at: v.segment.as_deref().and_then(SegmentRef::parse),
                    code: v.code,
                    message: v.message,
                    pointer: v.pointer,
                })
                .collect();
            Ok(EdifactRefusal::Rejected(cusres::rejected(
                &a,
                &lrn(),
                &refusals,
            )))
        }
        AppError::Conflict {
            code: "FLC-LRN-CONFLICT",
            pointer,
            message,
        } => {
            let refusal = Refusal {
                code: "FLC-LRN-CONFLICT".to_owned(),
                at: SegmentRef::parse(&pointer),
                message,
                pointer: "/lrn".to_owned(),
            };
            Ok(EdifactRefusal::Conflict(cusres::rejected(
                &a,
                &lrn(),
                &[refusal],
            )))
        }
        other => Err(other),
    }
}
