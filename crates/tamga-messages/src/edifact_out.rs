//! Writing UN/EDIFACT: an interchange with ISO 9735's default service
//! characters (`UNA:+.? '`), values released (`?` before `? : + '`), one
//! segment per line (readers, tamga's among them, drop line breaks), the
//! counts and references of `UNT` and `UNZ` filled in. Used by the CUSDEC
//! writer and by the answers (CONTRL, CUSRES).

use time::OffsetDateTime;

/// An interchange being written.
pub struct EdiWriter {
    out: String,
    reference: String,
    /// Segments of the open message (`UNH` counted).
    in_message: usize,
    message_reference: String,
    messages: usize,
}

/// Who sends an interchange to whom, when, under which reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    /// `UNB` S001: `UNOC` and the syntax version (`3` or `4`).
    pub syntax: (String, String),
    pub sender: String,
    pub recipient: String,
    pub prepared: OffsetDateTime,
    /// `UNB` 0020, at most 14 characters.
    pub reference: String,
}

/// `value` with the service characters released.
pub fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '?' | ':' | '+' | '\'') {
            s.push('?');
        }
        s.push(ch);
    }
    s
}

/// An interchange control reference (an..14) made of `seed`'s letters and
/// digits, `1` when it has none.
pub fn reference_from(seed: &str) -> String {
    let r: String = seed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(14)
        .collect();
    if r.is_empty() {
        "1".to_owned()
    } else {
        r
    }
}

impl EdiWriter {
    /// `UNA` and `UNB`.
    pub fn new(a: &Addressing) -> Self {
        let mut w = Self {
            out: String::from("UNA:+.? '\n"),
            reference: a.reference.clone(),
            in_message: 0,
            message_reference: String::new(),
            messages: 0,
        };
        let t = a.prepared;
        let date = format!(
            "{:02}{:02}{:02}",
            t.year().rem_euclid(100),
            u8::from(t.month()),
            t.day()
        );
        let time = format!("{:02}{:02}", t.hour(), t.minute());
        w.segment(
            "UNB",
            &[
                &[&a.syntax.0, &a.syntax.1],
                &[&a.sender],
                &[&a.recipient],
                &[&date, &time],
                &[&a.reference],
            ],
        );
        w
    }

    /// A segment: its elements, each a list of components (trailing empty
    /// components and elements left out).
    pub fn segment(&mut self, tag: &str, elements: &[&[&str]]) {
        let last = elements
            .iter()
            .rposition(|e| e.iter().any(|c| !c.is_empty()))
            .map_or(0, |p| p + 1);
        self.out.push_str(tag);
        for e in &elements[..last] {
            self.out.push('+');
            let n = e.iter().rposition(|c| !c.is_empty()).map_or(0, |p| p + 1);
            for (k, c) in e[..n].iter().enumerate() {
                if k > 0 {
                    self.out.push(':');
                }
                self.out.push_str(&escape(c));
            }
        }
        self.out.push_str("'\n");
        if self.in_message > 0 {
            self.in_message += 1;
        }
    }

    /// `UNH` with the message type (`CUSDEC`, `D`, `96B`, `UN`).
    pub fn open_message(&mut self, reference: &str, kind: [&str; 4]) {
        self.message_reference = reference.to_owned();
        self.messages += 1;
        self.segment("UNH", &[&[reference], &kind]);
        self.in_message = 1;
    }

    /// `UNT` with the message's segment count.
    pub fn close_message(&mut self) {
        let count = (self.in_message + 1).to_string();
        let reference = self.message_reference.clone();
        self.segment("UNT", &[&[&count], &[&reference]]);
        self.in_message = 0;
    }

    /// `UNZ`, and the interchange.
    pub fn finish(mut self) -> String {
        let count = self.messages.to_string();
        let reference = self.reference.clone();
        self.segment("UNZ", &[&[&count], &[&reference]]);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_interchanges_read_back() {
        let mut w = EdiWriter::new(&Addressing {
            syntax: ("UNOC".into(), "3".into()),
            sender: "SEND:ER".into(),
            recipient: "TAMGA".into(),
            prepared: time::macros::datetime!(2026-12-07 10:05 UTC),
            reference: reference_from("LRN-2026/0001"),
        });
        w.open_message("1", ["CUSDEC", "D", "96B", "UN"]);
        w.segment("FTX", &[&["AAA"], &[], &[], &["a?b:c+d'e", ""]]);
        w.segment("BGM", &[&["", "", "", "IMA"], &["R"], &["9"], &[]]);
        w.close_message();
        let s = w.finish();
        assert!(
            s.contains("UNB+UNOC:3+SEND?:ER+TAMGA+261207:1005+LRN20260001'"),
            "{s}"
        );
        assert!(s.contains("FTX+AAA+++a??b?:c?+d?'e'"), "{s}");
        assert!(s.contains("BGM+:::IMA+R+9'"), "{s}");
        assert!(s.contains("UNT+4+1'"), "{s}");
        let i = crate::edifact::parse(s.as_bytes(), 1 << 20).unwrap();
        assert_eq!(i.segments[0].get(1, 0), Some("SEND:ER"));
        assert_eq!(i.segments[2].get(3, 0), Some("a?b:c+d'e"));
    }
}
