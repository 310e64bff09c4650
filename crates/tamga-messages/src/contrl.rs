//! The UN/EDIFACT CONTRL message (ISO 9735-4, syntax and service report)
//! tamga answers an interchange with when it cannot be read as one CUSDEC
//! of a directory tamga reads: the syntax layer's errors (`EDI-*`) and
//! `CUSDEC-NOT-CUSDEC`, `CUSDEC-DIRECTORY`, `CUSDEC-ONE-MESSAGE`
//! ([`crate::cusdec_in::is_syntax_error`]).
//!
//! Each error is reported at the lowest level that can carry it: the
//! interchange (`UCI`, for `UNB`/`UNZ` and what lies outside a message),
//! the message (`UCM`, with the service segment `UNH`/`UNT` and its data
//! element), a segment (`UCS`, its position in the message, `UNH` = 1) and
//! a data element (`UCD`, its position with the tag = 1, and the
//! component's). The action is 4 (rejected) where an error is, 7
//! (acknowledged) on the interchange above a rejected message. The codes
//! (DE 0085) are in [`syntax_error_code`] and docs/messages.md.

use time::OffsetDateTime;

use crate::edifact::{Envelope, SegmentRef};
use crate::edifact_out::{Addressing, EdiWriter};
use crate::error::MessageError;

/// DE 0083: this level and all lower levels rejected.
pub const REJECTED: &str = "4";
/// DE 0083: this level acknowledged, lower levels too unless reported.
pub const ACKNOWLEDGED: &str = "7";

/// The ISO 9735 syntax error code (DE 0085) of one of tamga's errors.
pub fn syntax_error_code(code: &str) -> &'static str {
    match code {
        // Counts: "control count does not match number of instances received".
        "EDI-SEGMENT-COUNT" | "EDI-MESSAGE-COUNT" => "29",
        // "references do not match".
        "EDI-REFERENCE" => "28",
        // A release character before a character it may not release, or
        // data that is not text: "invalid character(s)".
        "EDI-RELEASE" | "EDI-ENCODING" => "21",
        // The service string advice: "invalid service character(s)".
        "EDI-UNA" => "22",
        // Truncated (no final terminator), UNB/UNZ/UNH/UNT missing: "missing".
        "EDI-TERMINATOR" | "EDI-ENVELOPE" => "13",
        // Not a segment tag: "invalid value".
        "EDI-TAG" => "12",
        // A segment between messages: "invalid occurrence outside message,
        // package or group".
        "EDI-OUTSIDE" => "33",
        // No segment: "lower level empty".
        "EDI-EMPTY" => "32",
        // Another message type or directory: "no agreement".
        "CUSDEC-NOT-CUSDEC" | "CUSDEC-DIRECTORY" => "17",
        // A second message in a lodging: "too many constituents".
        "CUSDEC-ONE-MESSAGE" => "16",
        // Larger than tamga takes, and anything else: "unspecified error".
        _ => "18",
    }
}

fn is_service(tag: &str) -> bool {
    matches!(tag, "UNA" | "UNB" | "UNZ" | "UNG" | "UNE" | "UNH" | "UNT")
}

fn s011(at: &SegmentRef) -> [String; 2] {
    [
        at.element.map(|e| e.to_string()).unwrap_or_default(),
        at.component.map(|c| c.to_string()).unwrap_or_default(),
    ]
}

/// The CONTRL rejecting the interchange whose envelope is `subject`
/// (read leniently: [`crate::edifact::envelope`]) for `errors`, from
/// `tamga` (tamga's party id), prepared at `prepared`, under `reference`.
pub fn write(
    subject: &Envelope,
    errors: &[MessageError],
    tamga: &str,
    prepared: OffsetDateTime,
    reference: &str,
) -> String {
    let version = if subject.syntax.1 == "4" { "4" } else { "3" };
    let ours = |s: &str, or: &str| {
        if s.is_empty() {
            or.to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut w = EdiWriter::new(&Addressing {
        syntax: ("UNOC".to_owned(), version.to_owned()),
        sender: ours(&subject.recipient, tamga),
        recipient: ours(&subject.sender, "UNKNOWN"),
        prepared,
        reference: reference.to_owned(),
    });
    let contrl = if version == "4" {
        ["CONTRL", "4", "1", "UN"]
    } else {
        ["CONTRL", "D", "3", "UN"]
    };
    w.open_message("1", contrl);
    let (interchange, message): (Vec<&MessageError>, Vec<&MessageError>) =
        errors.iter().partition(|e| {
            e.segment.as_ref().is_none_or(|s| s.position.is_none())
                || e.code == "CUSDEC-ONE-MESSAGE"
        });
    let uci = |w: &mut EdiWriter, action: &str, e: Option<&MessageError>| {
        let (code, tag, pos) = match e {
            Some(e) => {
                let at = e.segment.as_deref().cloned().unwrap_or(SegmentRef {
                    position: None,
                    tag: String::new(),
                    element: None,
                    component: None,
                });
                let tag = if is_service(&at.tag) {
                    at.tag.clone()
                } else {
                    String::new()
                };
                let pos = if tag.is_empty() {
                    [String::new(), String::new()]
                } else {
                    s011(&at)
                };
                (syntax_error_code(e.code), tag, pos)
            }
            None => ("", String::new(), [String::new(), String::new()]),
        };
        w.segment(
            "UCI",
            &[
                &[&subject.interchange_reference],
                &[&subject.sender],
                &[&subject.recipient],
                &[action],
                &[code],
                &[&tag],
                &[&pos[0], &pos[1]],
            ],
        );
    };
    if let Some(first) = interchange.first() {
        // The interchange is rejected; ISO 9735-4 has one error per UCI,
        // the first.
        uci(&mut w, REJECTED, Some(first));
    } else {
        uci(&mut w, ACKNOWLEDGED, None);
    }
    if !message.is_empty() {
        let t = &subject.message_type;
        let kind = [t.0.as_str(), t.1.as_str(), t.2.as_str(), t.3.as_str()];
        // Errors in UNH/UNT go in UCM itself (the first); the others in
        // UCS/UCD.
        let header = message.iter().find(|e| {
            e.segment
                .as_ref()
                .is_some_and(|s| s.tag == "UNH" || s.tag == "UNT")
        });
        match header {
            Some(e) => {
                let at = e.segment.as_deref().cloned().unwrap_or(SegmentRef {
                    position: None,
                    tag: String::new(),
                    element: None,
                    component: None,
                });
                let pos = s011(&at);
                w.segment(
                    "UCM",
                    &[
                        &[&subject.message_reference],
                        &kind,
                        &[REJECTED],
                        &[syntax_error_code(e.code)],
                        &[&at.tag],
                        &[&pos[0], &pos[1]],
                    ],
                );
            }
            None => w.segment("UCM", &[&[&subject.message_reference], &kind, &[REJECTED]]),
        }
        for e in &message {
            let Some(at) = &e.segment else { continue };
            if at.tag == "UNH" || at.tag == "UNT" {
                continue;
            }
            let position = at.position.map(|p| p.to_string()).unwrap_or_default();
            let code = syntax_error_code(e.code);
            if at.element.is_some() {
                w.segment("UCS", &[&[&position]]);
                let pos = s011(at);
                w.segment("UCD", &[&[code], &[&pos[0], &pos[1]]]);
            } else {
                w.segment("UCS", &[&[&position], &[code]]);
            }
        }
    }
    w.close_message();
    w.finish()
}
