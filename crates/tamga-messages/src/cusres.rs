//! The UN/EDIFACT CUSRES (customs response) tamga answers a lodged CUSDEC
//! with, in the CUSDEC's directory (D:96B or D:99B):
//!
//! - **accepted**: `BGM` with the MRN, message function 29 (accepted
//!   without amendment) and response type AP (accepted); the registration
//!   (`RFF+ABT` the MRN, `DTM+182` when it was registered) and what tamga
//!   tells the trader of its course: the state and the channel (`GIS` under
//!   the code lists `TAMGA-STATE` and `TAMGA-CHANNEL`), never a risk hit;
//!   each segment tamga did not use (`FTX+ACB`).
//! - **rejected**: `BGM` with the LRN, function 27 (not accepted) and
//!   response type RE (rejected); per violation an error group: `ERP`
//!   (C853: the segment tag and its position in the CUSDEC, `UNH` = 1),
//!   `ERC` (tamga's code, code list `TAMGA`) and `FTX+AAO` (the position
//!   down to element and component, the JSON pointer, the message).
//!
//! Both carry `DTM+137` (when the answer was prepared), `RFF+ABE` (the
//! LRN) and `RFF+ACW` (the CUSDEC's message reference).

use time::OffsetDateTime;

use crate::edifact::{Envelope, SegmentRef};
use crate::edifact_out::{Addressing, EdiWriter};

/// BGM 1225: accepted without amendment.
pub const ACCEPTED: &str = "29";
/// BGM 1225: not accepted.
pub const NOT_ACCEPTED: &str = "27";

/// What tamga tells the trader of an accepted declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub mrn: String,
    pub lrn: String,
    pub registered_at: OffsetDateTime,
    /// `registered`, `under_control`, `awaiting_payment`, `released` …
    pub state: String,
    /// The channel as shown to the trader (`green`, `yellow`, `red` …).
    pub channel: String,
    /// Segments of the CUSDEC tamga does not model.
    pub not_used: Vec<String>,
}

/// One reason a declaration was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// tamga's code (`FLC-…`, `CUSDEC-…`).
    pub code: String,
    pub message: String,
    /// JSON pointer into the mapped declaration (`""` when none).
    pub pointer: String,
    /// Where in the CUSDEC.
    pub at: Option<SegmentRef>,
}

/// Who answers whom: the CUSDEC's envelope and directory, tamga's party
/// id, when and under which interchange reference.
#[derive(Debug, Clone)]
pub struct Answering<'a> {
    pub subject: &'a Envelope,
    pub tamga: &'a str,
    pub prepared: OffsetDateTime,
    pub reference: &'a str,
}

fn timestamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn open(a: &Answering<'_>) -> EdiWriter {
    let s = a.subject;
    let pick = |x: &str, or: &str| {
        if x.is_empty() {
            or.to_owned()
        } else {
            x.to_owned()
        }
    };
    let mut w = EdiWriter::new(&Addressing {
        syntax: ("UNOC".to_owned(), pick(&s.syntax.1, "3")),
        sender: pick(&s.recipient, a.tamga),
        recipient: pick(&s.sender, "UNKNOWN"),
        prepared: a.prepared,
        reference: a.reference.to_owned(),
    });
    let release = if s.message_type.2 == "99B" {
        "99B"
    } else {
        "96B"
    };
    w.open_message("1", ["CUSRES", "D", release, "UN"]);
    w
}

fn references(w: &mut EdiWriter, a: &Answering<'_>, lrn: &str) {
    w.segment("DTM", &[&["137", &timestamp(a.prepared), "203"]]);
    if !lrn.is_empty() {
        w.segment("RFF", &[&["ABE", lrn]]);
    }
    if !a.subject.message_reference.is_empty() {
        w.segment("RFF", &[&["ACW", &a.subject.message_reference]]);
    }
}

/// The CUSRES of an accepted CUSDEC.
pub fn accepted(a: &Answering<'_>, x: &Acceptance) -> String {
    let mut w = open(a);
    w.segment("BGM", &[&[], &[&x.mrn], &[ACCEPTED], &["AP"]]);
    references(&mut w, a, &x.lrn);
    w.segment("RFF", &[&["ABT", &x.mrn]]);
    w.segment("DTM", &[&["182", &timestamp(x.registered_at), "203"]]);
    w.segment("GIS", &[&[&x.state, "TAMGA-STATE"]]);
    w.segment("GIS", &[&[&x.channel, "TAMGA-CHANNEL"]]);
    for u in &x.not_used {
        w.segment("FTX", &[&["ACB"], &[], &[], &["not used", u]]);
    }
    w.close_message();
    w.finish()
}

/// The CUSRES of a CUSDEC that was not accepted, with every reason.
pub fn rejected(a: &Answering<'_>, lrn: &str, refusals: &[Refusal]) -> String {
    let mut w = open(a);
    w.segment("BGM", &[&[], &[lrn], &[NOT_ACCEPTED], &["RE"]]);
    references(&mut w, a, lrn);
    for r in refusals {
        let (tag, position, text) = match &r.at {
            Some(at) => (
                at.tag.clone(),
                at.position.map(|p| p.to_string()).unwrap_or_default(),
                at.to_string(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        w.segment("ERP", &[&[], &[&tag, &position]]);
        w.segment("ERC", &[&[&r.code, "TAMGA"]]);
        w.segment(
            "FTX",
            &[&["AAO"], &[], &[], &[&text, &r.pointer, &r.message]],
        );
    }
    w.close_message();
    w.finish()
}
