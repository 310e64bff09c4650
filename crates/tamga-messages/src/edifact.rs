//! UN/EDIFACT syntax layer (ISO 9735): an interchange into segments,
//! elements and components, with the service string advice (`UNA`),
//! release characters, and the envelope's counts and references checked
//! (`UNB`/`UNZ`, `UNH`/`UNT`). CUSDEC/CUSRES mapping comes next, on top of
//! this; no EDIFACT crate on crates.io was checked to be good enough from
//! the build machine, and the syntax layer is small.
//!
//! Line breaks (CR, LF) are not data: interchanges are often wrapped, also
//! inside a segment, so they are dropped wherever they are not released.
//! A release character before anything but a service character, a release
//! character at the end, a missing final terminator, and wrong counts or
//! references are errors with the segment's position (`EDI-*` codes).

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
    /// Byte offset of the segment in the input.
    pub offset: usize,
}

impl Segment {
    /// Element `e`, component `c` (both 0-based), if present.
    pub fn get(&self, e: usize, c: usize) -> Option<&str> {
        self.elements.get(e)?.get(c).map(String::as_str)
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

fn err(code: &'static str, seg: usize, tag: &str, message: impl Into<String>) -> MessageError {
    MessageError::new(code, format!("segment {seg} ({tag})"), message)
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
        Some(rest) if rest.len() >= 6 => (
            Delimiters {
                component: rest[0],
                element: rest[1],
                decimal: rest[2],
                release: rest[3],
                segment: rest[5],
            },
            9,
        ),
        Some(_) => {
            return Err(vec![MessageError::new(
                "EDI-UNA",
                "segment 0 (UNA)",
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
        if let Some(seg) = segments
            .iter()
            .find(|s| e.pointer == format!("segment {} ({})", s.number, s.tag))
        {
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

fn split(bytes: &[u8], start: usize, d: Delimiters) -> Result<Vec<Segment>, Vec<MessageError>> {
    let mut segments = Vec::new();
    let mut elements: Vec<Vec<String>> = Vec::new();
    let mut components: Vec<String> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut seg_start = start;
    let mut fresh = true;
    let mut i = start;
    let text = |v: &[u8], at: usize, n: usize| -> Result<String, Vec<MessageError>> {
        String::from_utf8(v.to_vec()).map_err(|_| {
            vec![err(
                "EDI-ENCODING",
                n,
                "?",
                "not UTF-8 (UNOC/UNOD data is read as UTF-8 here)",
            )
            .at(bytes, at)]
        })
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
        let n = segments.len() + 1;
        if b == d.release {
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
                        n,
                        &String::from_utf8_lossy(
                            elements
                                .first()
                                .and_then(|e| e.first())
                                .map_or(&current[..], |t| t.as_bytes()),
                        ),
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
                        n,
                        "?",
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
            components.push(text(&current, i, n)?);
            current.clear();
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
                        n,
                        &tag,
                        format!("segment tag {tag:?} is not three letters or digits"),
                    )
                    .at(bytes, seg_start)]);
                }
                segments.push(Segment {
                    tag,
                    elements: rest,
                    number: n,
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
        let n = segments.len() + 1;
        return Err(vec![err(
            "EDI-TERMINATOR",
            n,
            "?",
            format!(
                "the last segment has no terminator {:?}",
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
        errors.push(err(
            "EDI-ENVELOPE",
            first.number,
            &first.tag,
            "an interchange starts with UNB",
        ));
    }
    let mut messages = 0;
    let mut open: Option<&Segment> = None;
    for s in segments {
        match s.tag.as_str() {
            "UNH" => {
                if let Some(h) = open {
                    errors.push(err(
                        "EDI-ENVELOPE",
                        s.number,
                        "UNH",
                        format!(
                            "message {} (segment {}) has no UNT",
                            h.get(0, 0).unwrap_or(""),
                            h.number
                        ),
                    ));
                }
                open = Some(s);
            }
            "UNT" => {
                let Some(h) = open.take() else {
                    errors.push(err("EDI-ENVELOPE", s.number, "UNT", "UNT without UNH"));
                    continue;
                };
                messages += 1;
                let actual = s.number - h.number + 1;
                match s.get(0, 0).map(str::parse::<usize>) {
                    Some(Ok(n)) if n == actual => {}
                    other => errors.push(err(
                        "EDI-SEGMENT-COUNT",
                        s.number,
                        "UNT",
                        format!(
                            "UNT counts {:?} segments; the message has {actual} (UNH to UNT)",
                            other.and_then(Result::ok)
                        ),
                    )),
                }
                if s.get(1, 0) != h.get(0, 0) {
                    errors.push(err(
                        "EDI-REFERENCE",
                        s.number,
                        "UNT",
                        format!(
                            "UNT reference {:?} is not the UNH's {:?}",
                            s.get(1, 0),
                            h.get(0, 0)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(h) = open {
        errors.push(err("EDI-ENVELOPE", h.number, "UNH", "message without UNT"));
    }
    let last = segments.last().unwrap_or(first);
    if last.tag != "UNZ" {
        errors.push(err(
            "EDI-ENVELOPE",
            last.number,
            &last.tag,
            "an interchange ends with UNZ",
        ));
    } else {
        if last.get(0, 0).and_then(|c| c.parse::<usize>().ok()) != Some(messages) {
            errors.push(err(
                "EDI-MESSAGE-COUNT",
                last.number,
                "UNZ",
                format!(
                    "UNZ counts {:?} messages; the interchange has {messages}",
                    last.get(0, 0)
                ),
            ));
        }
        if first.tag == "UNB" && last.get(1, 0) != first.get(4, 0) {
            errors.push(err(
                "EDI-REFERENCE",
                last.number,
                "UNZ",
                format!(
                    "UNZ reference {:?} is not the UNB's {:?}",
                    last.get(1, 0),
                    first.get(4, 0)
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
        assert_eq!(e[0].pointer, "segment 3 (COM)");
        assert_eq!(e[0].column, Some(75));
    }

    #[test]
    fn a_wrong_segment_count_is_reported_at_unt() {
        let e = parse(b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+250101:1200+4'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF+9'UNT+2+1'UNZ+1+4'", MAX).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, "EDI-SEGMENT-COUNT");
        assert_eq!(e[0].pointer, "segment 4 (UNT)");
        assert!(e[0].message.contains("has 3"));
    }

    #[test]
    fn a_missing_final_terminator_is_an_error() {
        let e = parse(b"UNB+UNOC:3+SENDER+RECEIVER+250101:1200+5'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF+9'UNT+3+1'UNZ+1+5", MAX).unwrap_err();
        assert_eq!(e[0].code, "EDI-TERMINATOR");
        assert_eq!(e[0].pointer, "segment 5 (?)");
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
        assert_eq!(parse(b"UNB+X'?", MAX).unwrap_err()[0].code, "EDI-RELEASE");
        assert_eq!(
            parse(&[b'x'; 100], 10).unwrap_err()[0].code,
            "EDI-TOO-LARGE"
        );
    }

    #[test]
    fn no_input_makes_it_panic() {
        let base = b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+250101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929+REF??+9'UNT+3+1'UNZ+1+1'";
        for n in 0..base.len() {
            let _ = parse(&base[..n], MAX);
            for b in [b'?', b'\'', b'+', b':', b'\n', 0xFF] {
                let mut v = base.to_vec();
                v[n] = b;
                let _ = parse(&v, MAX);
            }
        }
    }
}
