//! UN/EDIFACT syntax layer (ISO 9735): an interchange into segments,
//! elements and components, with the service string advice (`UNA`),
//! release characters, and the envelope's counts and references checked
//! (`UNB`/`UNZ`, `UNH`/`UNT`). CUSDEC in ([`crate::cusdec_in`]) and the
//! answers (CONTRL, CUSRES) build on it. Why tamga keeps its own layer
//! rather than the `edifact-rs` crate is in docs/messages.md.
//!
//! Positions are ISO 9735-4's, the ones a CONTRL carries ([`SegmentRef`]):
//! a segment's position in its message (`UNH` = 1), a data element's
//! position in its segment (the tag = 1), a component's in its composite
//! (the first = 1). Service segments outside a message (`UNB`, `UNZ`) are
//! named by their tag.
//!
//! Line breaks (CR, LF) are not data: interchanges are often wrapped, also
//! inside a segment, so they are dropped wherever they are not released.
//! A release character before anything but a service character, a release
//! character at the end, a missing final terminator, and wrong counts or
//! references are errors with the segment's position (`EDI-*` codes).

use serde::Serialize;

pub use crate::edifact_envelope::{envelope, Envelope};
use crate::error::MessageError;

/// The service characters (`UNA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub component: u8,
    pub element: u8,
    pub decimal: u8,
    pub release: u8,
    pub segment: u8,
}

impl Default for Delimiters {
    /// ISO 9735's defaults `:+.? '`.
    fn default() -> Self {
        Self {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: b'?',
            segment: b'\'',
        }
    }
}

/// A segment: its tag, its elements (each a list of components, release
/// characters removed), and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub tag: String,
    pub elements: Vec<Vec<String>>,
    /// 1-based position in the interchange (`UNA` not counted).
    pub number: usize,
    /// Position in its message (`UNH` = 1), `None` outside a message.
    pub position: Option<usize>,
    /// Byte offset of the segment in the input.
    pub offset: usize,
}

impl Segment {
    /// Element `e`, component `c` (both 0-based, the tag not counted), if
    /// present.
    pub fn get(&self, e: usize, c: usize) -> Option<&str> {
        self.elements.get(e)?.get(c).map(String::as_str)
    }

    /// This segment as a position (no element).
    pub fn at(&self) -> SegmentRef {
        SegmentRef {
            position: self.position,
            tag: self.tag.clone(),
            element: None,
            component: None,
        }
    }

    /// Element `e`, component `c` of this segment (0-based, the tag not
    /// counted) as an ISO 9735-4 position.
    pub fn at_element(&self, e: usize, c: Option<usize>) -> SegmentRef {
        SegmentRef {
            element: Some(e + 2),
            component: c.map(|c| c + 1),
            ..self.at()
        }
    }
}

/// Where something is in an interchange, as ISO 9735-4 counts (the
/// numbers a CONTRL's `UCS`/`UCD` and a CUSRES's `ERP` carry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentRef {
    /// The segment's position in its message, `UNH` = 1 (DE 0096); `None`
    /// for a service segment outside a message (`UNB`, `UNZ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// The segment tag (`?` when it could not be read).
    pub tag: String,
    /// The data element's position, the tag = 1 (DE 0098).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<usize>,
    /// The component's position in its composite, the first = 1 (DE 0104).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<usize>,
}

impl SegmentRef {
    /// Reads back the text [`std::fmt::Display`] writes
    /// (`segment 12 (FTX) element 5 component 1`, `UNZ element 2`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace().peekable();
        let (position, tag) = if words.peek() == Some(&"segment") {
            words.next();
            let p = words.next()?.parse().ok()?;
            let t = words.next()?.strip_prefix('(')?.strip_suffix(')')?;
            (Some(p), t.to_owned())
        } else {
            (None, words.next()?.to_owned())
        };
        let mut r = Self {
            position,
            tag,
            element: None,
            component: None,
        };
        while let (Some(k), Some(v)) = (words.next(), words.next()) {
            let v = v.parse().ok()?;
            match k {
                "element" => r.element = Some(v),
                "component" => r.component = Some(v),
                _ => return None,
            }
        }
        Some(r)
    }
}

impl std::fmt::Display for SegmentRef {
    /// `segment 12 (FTX) element 5 component 1`, or `UNZ element 2`
    /// outside a message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "segment {p} ({})", self.tag)?,
            None => write!(f, "{}", self.tag)?,
        }
        if let Some(e) = self.element {
            write!(f, " element {e}")?;
            if let Some(c) = self.component {
                write!(f, " component {c}")?;
            }
        }
        Ok(())
    }
}

/// A parsed interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange {
    pub delimiters: Delimiters,
    pub segments: Vec<Segment>,
    /// Messages (`UNH` … `UNT`) in it.
    pub messages: usize,
}

/// An error at `at`.
pub fn error_at(code: &'static str, at: SegmentRef, message: impl Into<String>) -> MessageError {
    MessageError::new(code, at.to_string(), message).in_segment(at)
}

fn err(
    code: &'static str,
    position: Option<usize>,
    tag: &str,
    element: Option<usize>,
    message: impl Into<String>,
) -> MessageError {
    error_at(
        code,
        SegmentRef {
            position,
            tag: tag.to_owned(),
            element,
            component: element.map(|_| 1),
        },
        message,
    )
}

fn seg_err(code: &'static str, s: &Segment, message: impl Into<String>) -> MessageError {
    error_at(code, s.at(), message)
}

fn elem_err(code: &'static str, s: &Segment, e: usize, message: impl Into<String>) -> MessageError {
    error_at(code, s.at_element(e, Some(0)), message)
}

/// Parses `bytes` into segments and checks the envelope; every error at once
/// where the segments could be read, else the first syntax error.
pub fn parse(bytes: &[u8], max_bytes: usize) -> Result<Interchange, Vec<MessageError>> {
    if bytes.len() > max_bytes {
        return Err(vec![MessageError::new(
            "EDI-TOO-LARGE",
            "",
            format!("{} bytes; at most {max_bytes}", bytes.len()),
        )]);
    }
    let (delimiters, start) = match bytes.strip_prefix(b"UNA") {
        Some(rest) if rest.len() >= 6 => {
            let d = Delimiters {
                component: rest[0],
                element: rest[1],
                decimal: rest[2],
                release: rest[3],
                segment: rest[5],
            };
            let active = [d.component, d.element, d.release, d.segment];
            let distinct = active
                .iter()
                .enumerate()
                .all(|(i, a)| !active[i + 1..].contains(a));
            let printable = active
                .iter()
                .all(|c| c.is_ascii_graphic() && !c.is_ascii_alphanumeric());
            if !distinct || !printable {
                return Err(vec![err(
                    "EDI-UNA",
                    None,
                    "UNA",
                    None,
                    "the service characters must be distinct, printable and neither letters nor digits",
                )
                .at(bytes, 0)]);
            }
            (d, 9)
        }
        Some(_) => {
            return Err(vec![err(
                "EDI-UNA",
                None,
                "UNA",
                None,
                "the service string advice needs six characters",
            )
            .at(bytes, 0)])
        }
        None => (Delimiters::default(), 0),
    };
    let segments = split(bytes, start, delimiters)?;
    let mut errors = Vec::new();
    let messages = check_envelope(&segments, &mut errors);
    for e in &mut errors {
        if let Some(seg) = segments.iter().find(|s| {
            e.segment
                .as_ref()
                .is_some_and(|r| r.tag == s.tag && r.position == s.position)
        }) {
            *e = e.clone().at(bytes, seg.offset);
        }
    }
    if errors.is_empty() {
        Ok(Interchange {
            delimiters,
            segments,
            messages,
        })
    } else {
        Err(errors)
    }
}

/// The segment's position in its message as the tags go by: `UNH` opens
/// one (1), `UNT` is its last, anything after `UNT` is outside.
#[derive(Default)]
struct Positions {
    current: Option<usize>,
}

impl Positions {
    fn next(&mut self, tag: &str) -> Option<usize> {
        let here = match (tag, self.current) {
            ("UNH", _) => Some(1),
            (_, Some(p)) => Some(p + 1),
            (_, None) => None,
        };
        self.current = if tag == "UNT" { None } else { here };
        here
    }
    /// The position the segment being read would take.
    fn peek(&self, tag: &str) -> Option<usize> {
        match (tag, self.current) {
            ("UNH", _) => Some(1),
            (_, Some(p)) => Some(p + 1),
            (_, None) => None,
        }
    }
}

fn split(bytes: &[u8], start: usize, d: Delimiters) -> Result<Vec<Segment>, Vec<MessageError>> {
    let mut segments = Vec::new();
    let mut elements: Vec<Vec<String>> = Vec::new();
    let mut components: Vec<String> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut positions = Positions::default();
    let mut seg_start = start;
    let mut fresh = true;
    let mut i = start;
    // The tag of the segment being read, as far as it is known.
    let tag_of = |elements: &[Vec<String>], current: &[u8]| -> String {
        let t = elements.first().and_then(|e| e.first()).map_or_else(
            || String::from_utf8_lossy(current).into_owned(),
            Clone::clone,
        );
        if t.len() == 3 && t.bytes().all(|c| c.is_ascii_alphanumeric()) {
            t
        } else {
            "?".to_owned()
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        if fresh
            && (b == b'\r' || b == b'\n' || b == b' ' && current.is_empty() && elements.is_empty())
        {
            i += 1;
            seg_start = i;
            continue;
        }
        fresh = false;
        if b == d.release {
            let tag = tag_of(&elements, &current);
            let element = Some(elements.len() + 1).filter(|_| !elements.is_empty());
            match bytes.get(i + 1) {
                Some(&next)
                    if [d.component, d.element, d.release, d.segment, d.decimal]
                        .contains(&next) =>
                {
                    current.push(next);
                    i += 2;
                    continue;
                }
                Some(&next) => {
                    return Err(vec![err(
                        "EDI-RELEASE",
                        positions.peek(&tag),
                        &tag,
                        element,
                        format!(
                            "release character before {:?}, which is not a service character",
                            char::from(next)
                        ),
                    )
                    .at(bytes, i)])
                }
                None => {
                    return Err(vec![err(
                        "EDI-RELEASE",
                        positions.peek(&tag),
                        &tag,
                        element,
                        "release character at the end of the interchange",
                    )
                    .at(bytes, i)])
                }
            }
        }
        if b == b'\r' || b == b'\n' {
            i += 1;
            continue;
        }
        if b == d.component || b == d.element || b == d.segment {
            let Ok(text) = String::from_utf8(std::mem::take(&mut current)) else {
                let tag = tag_of(&elements, b"");
                let element = Some(elements.len() + 1).filter(|_| !elements.is_empty());
                return Err(vec![err(
                    "EDI-ENCODING",
                    positions.peek(&tag),
                    &tag,
                    element,
                    "not UTF-8 (UNOC/UNOD data is read as UTF-8 here)",
                )
                .at(bytes, i)]);
            };
            components.push(text);
            if b != d.component {
                elements.push(std::mem::take(&mut components));
            }
            if b == d.segment {
                let mut it = elements.drain(..);
                let tag = it
                    .next()
                    .and_then(|t| t.into_iter().next())
                    .unwrap_or_default();
                let rest: Vec<Vec<String>> = it.collect();
                if tag.len() != 3
                    || !tag
                        .bytes()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    return Err(vec![err(
                        "EDI-TAG",
                        positions.peek("?"),
                        "?",
                        Some(1),
                        format!("segment tag {tag:?} is not three letters or digits"),
                    )
                    .at(bytes, seg_start)]);
                }
                let position = positions.next(&tag);
                segments.push(Segment {
                    tag,
                    elements: rest,
                    number: segments.len() + 1,
                    position,
                    offset: seg_start,
                });
                fresh = true;
                seg_start = i + 1;
            }
            i += 1;
            continue;
        }
        current.push(b);
        i += 1;
    }
    if !fresh || !current.is_empty() || !elements.is_empty() {
        let tag = tag_of(&elements, &current);
        return Err(vec![err(
            "EDI-TERMINATOR",
            positions.peek(&tag),
            &tag,
            None,
            format!(
                "the interchange ends inside a segment: no segment terminator {:?} (truncated?)",
                char::from(d.segment)
            ),
        )
        .at(bytes, seg_start)]);
    }
    Ok(segments)
}

/// `UNB` first and `UNZ` last with the same reference and the message
/// count; each `UNH` closed by a `UNT` with its segment count and reference.
fn check_envelope(segments: &[Segment], errors: &mut Vec<MessageError>) -> usize {
    let Some(first) = segments.first() else {
        errors.push(MessageError::new("EDI-EMPTY", "", "no segment"));
        return 0;
    };
    if first.tag != "UNB" {
        errors.push(seg_err(
            "EDI-ENVELOPE",
            first,
            "an interchange starts with UNB",
        ));
    }
    let mut messages = 0;
    let mut open: Option<&Segment> = None;
    for s in segments {
        match s.tag.as_str() {
            "UNH" => {
                if let Some(h) = open {
                    errors.push(seg_err(
                        "EDI-ENVELOPE",
                        s,
                        format!(
                            "message {} (interchange segment {}) has no UNT",
                            h.get(0, 0).unwrap_or(""),
                            h.number
                        ),
                    ));
                }
                open = Some(s);
            }
            "UNT" => {
                let Some(h) = open.take() else {
                    errors.push(seg_err("EDI-ENVELOPE", s, "UNT without UNH"));
                    continue;
                };
                messages += 1;
                let actual = s.number - h.number + 1;
                match s.get(0, 0).map(str::parse::<usize>) {
                    Some(Ok(n)) if n == actual => {}
                    _ => errors.push(elem_err(
                        "EDI-SEGMENT-COUNT",
                        s,
                        0,
                        format!(
                            "UNT counts {:?} segments; the message has {actual} (UNH to UNT)",
                            s.get(0, 0).unwrap_or("")
                        ),
                    )),
                }
                if s.get(1, 0) != h.get(0, 0) {
                    errors.push(elem_err(
                        "EDI-REFERENCE",
                        s,
                        1,
                        format!(
                            "UNT reference {:?} is not the UNH's {:?}",
                            s.get(1, 0).unwrap_or(""),
                            h.get(0, 0).unwrap_or("")
                        ),
                    ));
                }
            }
            "UNB" | "UNZ" if s.number != 1 && s.number != segments.len() => {
                errors.push(seg_err(
                    "EDI-ENVELOPE",
                    s,
                    format!("{} inside the interchange", s.tag),
                ));
            }
            _ if open.is_none() && s.number != 1 && s.number != segments.len() => {
                errors.push(seg_err(
                    "EDI-OUTSIDE",
                    s,
                    "a segment outside a message (between UNT and UNH)",
                ));
            }
            _ => {}
        }
    }
    if let Some(h) = open {
        errors.push(seg_err("EDI-ENVELOPE", h, "message without UNT"));
    }
    let last = segments.last().unwrap_or(first);
    if last.tag != "UNZ" {
        errors.push(seg_err(
            "EDI-ENVELOPE",
            last,
            "an interchange ends with UNZ",
        ));
    } else {
        if last.get(0, 0).and_then(|c| c.parse::<usize>().ok()) != Some(messages) {
            errors.push(elem_err(
                "EDI-MESSAGE-COUNT",
                last,
                0,
                format!(
                    "UNZ counts {:?} messages; the interchange has {messages}",
                    last.get(0, 0).unwrap_or("")
                ),
            ));
        }
        if first.tag == "UNB" && last.get(1, 0) != first.get(4, 0) {
            errors.push(elem_err(
                "EDI-REFERENCE",
                last,
                1,
                format!(
                    "UNZ reference {:?} is not the UNB's {:?}",
                    last.get(1, 0).unwrap_or(""),
                    first.get(4, 0).unwrap_or("")
                ),
            ));
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    #[test]
    fn release_characters_escape_service_characters() {
        let i = parse(b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+250101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF??+9'FTX+AAA+++PRICE 10?+10=20 AND ?:COLON?'S QUOTE'UNT+4+1'UNZ+1+1'", MAX).unwrap();
        assert_eq!(i.messages, 1);
        let bgm = &i.segments[2];
        assert_eq!(bgm.tag, "BGM");
        assert_eq!(bgm.get(1, 0), Some("REF?"));
        let ftx = &i.segments[3];
        assert_eq!(ftx.get(3, 0), Some("PRICE 10+10=20 AND :COLON'S QUOTE"));
        assert_eq!(i.segments[1].get(1, 2), Some("96B"));
    }

    #[test]
    fn line_breaks_are_not_data_even_inside_a_segment() {
        let i = parse(b"UNB+UNOC:3+SENDER+RECEIVER+250101:1200+2'\nUNH+1+CUSDEC:D:96B:UN'\nFTX+AAI+++THE SHIPPER SHALL NOT BE RESPONSIBLE FOR ANY COSTS/DELAYS OCCUR\n:DUE TO INTERVENTION OF CUSTOMS.'\nUNT+3+1'UNZ+1+2'\n", MAX).unwrap();
        let ftx = &i.segments[2];
        assert_eq!(
            ftx.elements[3],
            vec![
                "THE SHIPPER SHALL NOT BE RESPONSIBLE FOR ANY COSTS/DELAYS OCCUR",
                "DUE TO INTERVENTION OF CUSTOMS."
            ]
        );
    }

    #[test]
    fn a_stray_release_character_is_an_error_at_its_segment() {
        let e = parse(b"UNB+UNOC:3+SENDER+RECEIVER+250101:1200+3'UNH+1+CUSDEC:D:96B:UN'COM+support?@example.test:EM'UNT+3+1'UNZ+1+3'", MAX).unwrap_err();
        assert_eq!(e[0].code, "EDI-RELEASE");
        assert_eq!(e[0].pointer, "segment 2 (COM) element 2 component 1");
        assert_eq!(e[0].column, Some(75));
        let at = e[0].segment.as_ref().unwrap();
        assert_eq!((at.position, at.element), (Some(2), Some(2)));
    }

    #[test]
    fn a_wrong_segment_count_is_reported_at_unt() {
        let e = parse(b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+250101:1200+4'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF+9'UNT+2+1'UNZ+1+4'", MAX).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, "EDI-SEGMENT-COUNT");
        assert_eq!(e[0].pointer, "segment 3 (UNT) element 2 component 1");
        assert!(e[0].message.contains("has 3"));
    }

    #[test]
    fn a_missing_final_terminator_is_an_error() {
        let e = parse(b"UNB+UNOC:3+SENDER+RECEIVER+250101:1200+5'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF+9'UNT+3+1'UNZ+1+5", MAX).unwrap_err();
        assert_eq!(e[0].code, "EDI-TERMINATOR");
        assert_eq!(e[0].pointer, "UNZ");
    }

    #[test]
    fn envelope_counts_and_references_are_checked() {
        let e = parse(
            b"UNB+UNOC:3+S+R+250101:1200+7'UNH+1+CUSDEC:D:96B:UN'UNT+2+9'UNZ+2+8'",
            MAX,
        )
        .unwrap_err();
        let codes: Vec<&str> = e.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["EDI-REFERENCE", "EDI-MESSAGE-COUNT", "EDI-REFERENCE"]
        );
        assert_eq!(parse(b"", MAX).unwrap_err()[0].code, "EDI-EMPTY");
        assert_eq!(parse(b"UNA:+", MAX).unwrap_err()[0].code, "EDI-UNA");
        assert_eq!(parse(b"UNA:::? 'UNB'", MAX).unwrap_err()[0].code, "EDI-UNA");
        // A segment between two messages.
        let e = parse(
            b"UNB+UNOC:3+S+R+250101:1200+7'UNH+1+CUSDEC:D:96B:UN'UNT+2+1'FTX+AAA'UNZ+1+7'",
            MAX,
        )
        .unwrap_err();
        assert_eq!(e[0].code, "EDI-OUTSIDE");
        assert_eq!(e[0].pointer, "FTX");
        assert_eq!(parse(b"UNB+X'?", MAX).unwrap_err()[0].code, "EDI-RELEASE");
        assert_eq!(
            parse(&[b'x'; 100], 10).unwrap_err()[0].code,
            "EDI-TOO-LARGE"
        );
    }

    #[test]
    fn positions_count_from_unh() {
        let i = parse(
            b"UNB+UNOC:3+S+R+250101:1200+7'UNH+1+CUSDEC:D:96B:UN'BGM+929+R+9'UNT+3+1'UNZ+1+7'",
            MAX,
        )
        .unwrap();
        let p: Vec<Option<usize>> = i.segments.iter().map(|s| s.position).collect();
        assert_eq!(p, [None, Some(1), Some(2), Some(3), None]);
        let at = i.segments[2].at_element(1, Some(0));
        assert_eq!(at.to_string(), "segment 2 (BGM) element 3 component 1");
        assert_eq!(SegmentRef::parse(&at.to_string()), Some(at));
        let unz = i.segments[4].at_element(1, None);
        assert_eq!(SegmentRef::parse(&unz.to_string()), Some(unz));
        let e = envelope(
            b"UNA:+.? 'UNB+UNOC:3+SEN?+DER+REC+250101:1200+7'UNH+M1+CUSDEC:D:99B:UN'BGM+929+R+9",
        );
        assert_eq!(e.sender, "SEN+DER");
        assert_eq!(e.interchange_reference, "7");
        assert_eq!(e.message_reference, "M1");
        assert_eq!(e.message_type.2, "99B");
    }

    #[test]
    fn no_input_makes_it_panic() {
        let base = b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+250101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF??+9'UNT+3+1'UNZ+1+1'";
        for n in 0..base.len() {
            let _ = parse(&base[..n], MAX);
            let _ = envelope(&base[..n]);
            for b in [b'?', b'\'', b'+', b':', b'\n', 0xFF] {
                let mut v = base.to_vec();
                v[n] = b;
                let _ = parse(&v, MAX);
                let _ = envelope(&v);
            }
        }
    }
}
