//! The envelope of a UN/EDIFACT interchange read leniently, for the
//! answers (CONTRL, CUSRES) to address it: also from an interchange the
//! syntax layer ([`crate::edifact`]) refuses, since a CONTRL must still
//! name the interchange and message it rejects.

use serde::Serialize;

use crate::edifact::Delimiters;

/// What an answer needs to address the interchange it answers, read as
/// far as the bytes allow (also from an interchange that fails the syntax
/// layer): `UNB`'s syntax identifier, sender, recipient and reference, the
/// first `UNH`'s reference and message identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// `UNB` S001: syntax identifier and version (`UNOC`, `3`).
    pub syntax: (String, String),
    /// `UNB` S002/0004, S003/0010.
    pub sender: String,
    pub recipient: String,
    /// `UNB` 0020.
    pub interchange_reference: String,
    /// `UNH` 0062.
    pub message_reference: String,
    /// `UNH` S009: type, version, release, agency (`CUSDEC`, `D`, `96B`, `UN`).
    pub message_type: (String, String, String, String),
}

/// The envelope of `bytes`, leniently: segments are cut at the terminator
/// (default or `UNA`'s) with releases honoured and nothing checked.
pub fn envelope(bytes: &[u8]) -> Envelope {
    let d = match bytes.strip_prefix(b"UNA") {
        Some(rest) if rest.len() >= 6 => Delimiters {
            component: rest[0],
            element: rest[1],
            decimal: rest[2],
            release: rest[3],
            segment: rest[5],
        },
        _ => Delimiters::default(),
    };
    let body = if bytes.starts_with(b"UNA") {
        &bytes[bytes.len().min(9)..]
    } else {
        bytes
    };
    let mut env = Envelope::default();
    // Components as bytes (UTF-8 is decoded when a value is taken).
    let mut seg: Vec<Vec<Vec<u8>>> = vec![vec![Vec::new()]];
    let mut i = 0;
    let mut seen = 0;
    while i < body.len() && seen < 64 {
        let b = body[i];
        i += 1;
        if b == d.release && i < body.len() {
            push_char(&mut seg, body[i]);
            i += 1;
        } else if b == d.component {
            if let Some(e) = seg.last_mut() {
                e.push(Vec::new());
            }
        } else if b == d.element {
            seg.push(vec![Vec::new()]);
        } else if b == d.segment {
            seen += 1;
            let get = |e: usize, c: usize| {
                seg.get(e)
                    .and_then(|x| x.get(c))
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            };
            match get(0, 0).trim() {
                "UNB" if env.sender.is_empty() => {
                    env.syntax = (get(1, 0), get(1, 1));
                    env.sender = get(2, 0);
                    env.recipient = get(3, 0);
                    env.interchange_reference = get(5, 0);
                }
                "UNH" if env.message_reference.is_empty() => {
                    env.message_reference = get(1, 0);
                    env.message_type = (get(2, 0), get(2, 1), get(2, 2), get(2, 3));
                    break;
                }
                _ => {}
            }
            seg = vec![vec![Vec::new()]];
        } else if b != b'\r' && b != b'\n' {
            push_char(&mut seg, b);
        }
    }
    env
}

fn push_char(seg: &mut [Vec<Vec<u8>>], b: u8) {
    if let Some(c) = seg.last_mut().and_then(|e| e.last_mut()) {
        if c.len() < 512 {
            c.push(b);
        }
    }
}
