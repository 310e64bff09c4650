//! Errors of the message layer: every one has a stable machine code, a
//! pointer (an XPath-like path into the message, e.g.
//! `/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity`)
//! and, when known, the line and column in the original bytes.
//!
//! The codes are grouped by layer: `XML-*` the reader (well-formedness,
//! limits, DTDs, encoding), `SCHEMA-*` the XSD layer, `WCO-*` the mapping to
//! tamga's declaration, `OUT-*` writing tamga's declaration as XML, `EDI-*`
//! the EDIFACT syntax layer, `CUSDEC-*` the CUSDEC mapping (the pointer is
//! `segment N (TAG) element E component C`, ISO 9735-4's positions).

use serde::Serialize;

use crate::edifact::SegmentRef;

/// One problem in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageError {
    /// Stable code, e.g. `XML-DOCTYPE`, `SCHEMA-MISSING`, `WCO-VALUE`.
    pub code: &'static str,
    /// XPath-like pointer to the element or attribute (`""` when the
    /// problem is the message as a whole, e.g. its size).
    pub pointer: String,
    /// 1-based line in the original bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column (in bytes) in that line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
    /// For UN/EDIFACT: the position as ISO 9735-4 counts it (what a
    /// CONTRL or CUSRES reports); `pointer` is its text.
    /// (Boxed: an error stays small enough to be an `Err`.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<Box<SegmentRef>>,
}

impl MessageError {
    pub fn new(code: &'static str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            pointer: pointer.into(),
            line: None,
            column: None,
            message: message.into(),
            segment: None,
        }
    }

    /// The same error at an EDIFACT position.
    pub fn in_segment(mut self, at: SegmentRef) -> Self {
        self.segment = Some(Box::new(at));
        self
    }

    /// The same error placed at a byte offset of `source`.
    pub fn at(mut self, source: &[u8], offset: usize) -> Self {
        let (line, column) = line_column(source, offset);
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl std::fmt::Display for MessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.code, self.pointer)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// 1-based line and byte column of `offset` in `source` (clamped to its end).
pub fn line_column(source: &[u8], offset: usize) -> (u32, u32) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = offset - line_start + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Every stable code this crate reports, with what it means (for the docs
/// and the notification mapping table).
pub const CODES: &[(&str, &str)] = &[
    ("XML-TOO-LARGE", "the message is larger than the configured limit"),
    ("XML-TOO-DEEP", "elements are nested deeper than the configured limit"),
    ("XML-TOO-MANY-ELEMENTS", "the message has more elements than the configured limit"),
    ("XML-ENCODING", "the message is not UTF-8 (or declares another encoding)"),
    ("XML-DOCTYPE", "a document type declaration (DTD) is present; DTDs, and so entity definitions and external entities, are refused"),
    ("XML-ENTITY", "a reference to an entity that is not one of XML's five predefined ones or a character reference"),
    ("XML-SYNTAX", "the message is not well-formed XML"),
    ("XML-TRUNCATED", "the message ends before its root element is closed"),
    ("XML-NAMESPACE", "an element or attribute uses an undeclared namespace prefix"),
    ("XML-EMPTY", "the message has no root element"),
    ("SCHEMA-UNEXPECTED", "an element the schema does not allow here (unknown, or out of order)"),
    ("SCHEMA-MISSING", "an element the schema requires is absent"),
    ("SCHEMA-TOO-MANY", "an element occurs more often than the schema allows"),
    ("SCHEMA-VALUE", "a value breaks the schema's type or facets (length, pattern, digits, enumeration)"),
    ("SCHEMA-ATTRIBUTE", "an attribute the schema does not allow, or a required one missing"),
    ("SCHEMA-TEXT", "text inside an element that may only contain elements"),
    ("WCO-NOT-DECLARATION", "the message is not a WCO DEC-DMS declaration (another root or WCOTypeName)"),
    ("WCO-NAMESPACE", "the message says it is a declaration (WCOTypeName DEC) but is not in the DEC-DMS namespaces"),
    ("WCO-FUNCTION-CODE", "a function code (and type code) tamga does not handle"),
    ("WCO-VALUE", "a value tamga models cannot be converted (number, date, code)"),
    ("WCO-CONFLICT", "the message gives different values where tamga holds one (e.g. the procedure per item)"),
    ("WCO-UNIT", "a measure in a unit tamga does not convert"),
    ("WCO-AMEND-POINTER", "an amendment's Pointer names no element of the DEC-DMS declaration (document section code, sequence or tag)"),
    ("WCO-AMEND-NOT-CARRIED", "an amendment points at an element it does not carry: removing an element or a goods item is not supported"),
    ("WCO-AMEND-ITEM", "an amended goods item without a whole-number SequenceNumeric, or carried twice"),
    ("WCO-AMEND-GROUP", "an amendment carries fewer members of a repeated group (documents, transport documents, additional procedures) than the declaration has"),
    ("EDI-TOO-LARGE", "the EDIFACT interchange is larger than the limit"),
    ("EDI-UNA", "the service string advice is shorter than six characters, or its service characters are not distinct printable non-alphanumerics"),
    ("EDI-RELEASE", "a release character before a character that is not a service character, or at the end"),
    ("EDI-TERMINATOR", "the interchange ends inside a segment (no final terminator: truncated)"),
    ("EDI-TAG", "a segment tag that is not three letters or digits"),
    ("EDI-ENCODING", "EDIFACT data that is not UTF-8"),
    ("EDI-EMPTY", "no segment at all"),
    ("EDI-ENVELOPE", "UNB/UNZ or UNH/UNT missing or out of place, or a segment outside a message"),
    ("EDI-OUTSIDE", "a segment between two messages (after UNT, before UNH)"),
    ("EDI-SEGMENT-COUNT", "UNT's segment count is not the message's"),
    ("EDI-MESSAGE-COUNT", "UNZ's message count is not the interchange's"),
    ("EDI-REFERENCE", "UNT's or UNZ's reference is not its UNH's or UNB's"),
    ("CUSDEC-NOT-CUSDEC", "the interchange's message is not a CUSDEC"),
    ("CUSDEC-DIRECTORY", "a CUSDEC of a directory tamga does not read (D:96B and D:99B)"),
    ("CUSDEC-ONE-MESSAGE", "more than one message in the interchange: a lodging is one declaration"),
    ("CUSDEC-FUNCTION-CODE", "a message function (BGM 1225) other than 9, original"),
    ("CUSDEC-MISSING", "a segment the mapping needs (BGM) is absent"),
    ("CUSDEC-PLACE", "a segment where CUSDEC has no place for it (an item segment before UNS+D, a second BGM)"),
    ("CUSDEC-VALUE", "a value tamga models cannot be converted (date, number, code)"),
    ("CUSDEC-CONFLICT", "the message gives two values where tamga holds one, or an amount in another currency than the invoice's"),
    ("CUSDEC-UNIT", "a mass in a unit other than kilograms"),
    ("OUT-UNREPRESENTABLE", "a field of tamga's declaration has no place in WCO DEC-DMS XML"),
];
