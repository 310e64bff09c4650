//! UN/EDIFACT CUSDEC (directories D:96B and D:99B) → tamga's declaration.
//!
//! The interchange is read by the syntax layer ([`crate::edifact`]); its one
//! message must be a CUSDEC of a directory tamga reads. Then each segment is
//! mapped into tamga's wire JSON (the table is in docs/messages.md), and
//! every component read is marked used: whatever is left (a segment, an
//! element or a component tamga does not model) is listed in
//! [`CusdecMapped::not_used`] by its ISO 9735-4 position, e.g.
//! `segment 12 (FTX)`; nothing is dropped (the caller stores the original).
//!
//! As for WCO XML, values are carried as written where tamga's control
//! checks their format, so control reports them with its rule codes and the
//! segment position ([`CusdecMapped::sources`]); the mapping itself refuses
//! only what tamga cannot hold (`CUSDEC-*` codes).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::edifact::{self, Envelope, Segment, SegmentRef};
use crate::error::MessageError;
use crate::json_doc::set;

/// The CUSDEC directories tamga reads (UNH S009 0052:0054).
pub const DIRECTORIES: [&str; 2] = ["96B", "99B"];

/// The code list tamga writes DE 1/10 (the procedure) under, in a `GIS`.
pub const PROCEDURE_LIST: &str = "TAMGA110";
/// DE 1/11 (each additional procedure), in a `GIS`.
pub const ADDITIONAL_PROCEDURE_LIST: &str = "TAMGA111";
/// DE 3/21 (representative status 2 direct, 3 indirect), in a `GIS`.
pub const REPRESENTATION_LIST: &str = "TAMGA321";
/// DE 4/16 (valuation method), in an item's `GIS`.
pub const VALUATION_LIST: &str = "TAMGA416";
/// The `QTY` qualifier of DE 6/2 (supplementary units).
pub const SUPPLEMENTARY_UNITS: &str = "ZSU";
/// The `LOC+27` code list marking the preferential origin (DE 5/16).
pub const PREFERENTIAL: &str = "PREF";

/// A mapped CUSDEC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CusdecMapped {
    /// The interchange and message it came in.
    pub envelope: Envelope,
    /// `96B` or `99B`.
    pub directory: String,
    /// tamga's wire JSON of the declaration.
    pub document: Value,
    /// JSON pointer → the segment (element, component) it came from.
    #[serde(skip)]
    pub sources: BTreeMap<String, SegmentRef>,
    /// Every segment, element or component tamga does not model.
    pub not_used: Vec<String>,
    /// Segments in the message (`UNH` to `UNT`).
    pub segments: usize,
}

impl CusdecMapped {
    /// The position for a JSON pointer: its own source, else the nearest
    /// ancestor's (a missing value: the segment that should hold it).
    pub fn locate(&self, pointer: &str) -> Option<&SegmentRef> {
        let mut p = pointer;
        loop {
            if let Some(x) = self.sources.get(p) {
                return Some(x);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// Whether `e` is answered with a CONTRL (the interchange could not be
/// read as one CUSDEC of a known directory) rather than a CUSRES.
pub fn is_syntax_error(e: &MessageError) -> bool {
    is_syntax_code(e.code)
}

/// Whether an error code is answered with a CONTRL (see
/// [`is_syntax_error`]).
pub fn is_syntax_code(code: &str) -> bool {
    code.starts_with("EDI-")
        || matches!(
            code,
            "CUSDEC-NOT-CUSDEC" | "CUSDEC-DIRECTORY" | "CUSDEC-ONE-MESSAGE"
        )
}

/// Reads a CUSDEC interchange: the syntax layer, one CUSDEC message of a
/// known directory, then the mapping. Every error of the first layer that
/// fails.
pub fn read(bytes: &[u8], max_bytes: usize) -> Result<CusdecMapped, Vec<MessageError>> {
    let interchange = edifact::parse(bytes, max_bytes)?;
    let segs = &interchange.segments;
    let heads: Vec<usize> = (0..segs.len()).filter(|&i| segs[i].tag == "UNH").collect();
    let Some(&h) = heads.first() else {
        return Err(vec![edifact::error_at(
            "CUSDEC-NOT-CUSDEC",
            segs[0].at(),
            "the interchange holds no message",
        )
        .at(bytes, segs[0].offset)]);
    };
    if let Some(&second) = heads.get(1) {
        return Err(vec![edifact::error_at(
            "CUSDEC-ONE-MESSAGE",
            segs[second].at(),
            format!(
                "{} messages in the interchange: a lodging is one declaration, one CUSDEC",
                heads.len()
            ),
        )
        .at(bytes, segs[second].offset)]);
    }
    let unh = &segs[h];
    let kind = unh.get(1, 0).unwrap_or("");
    if kind != "CUSDEC" {
        return Err(vec![edifact::error_at(
            "CUSDEC-NOT-CUSDEC",
            unh.at_element(1, Some(0)),
            format!("the message is {kind:?}, not CUSDEC"),
        )
        .at(bytes, unh.offset)]);
    }
    let (version, release, agency) = (
        unh.get(1, 1).unwrap_or(""),
        unh.get(1, 2).unwrap_or(""),
        unh.get(1, 3).unwrap_or(""),
    );
    if version != "D" || agency != "UN" || !DIRECTORIES.contains(&release) {
        return Err(vec![edifact::error_at(
            "CUSDEC-DIRECTORY",
            unh.at_element(1, Some(2)),
            format!(
                "CUSDEC {version}:{release}:{agency}: tamga reads directories D:96B and D:99B (UN)"
            ),
        )
        .at(bytes, unh.offset)]);
    }
    let end = (h..segs.len())
        .find(|&i| segs[i].tag == "UNT")
        .unwrap_or(segs.len() - 1);
    let message = &segs[h..=end];
    let mut m = Mapper::new(message);
    m.run();
    if !m.errors.is_empty() {
        return Err(m
            .errors
            .into_iter()
            .map(|e| {
                let offset = e
                    .segment
                    .as_ref()
                    .and_then(|r| r.position)
                    .and_then(|p| message.get(p - 1))
                    .map_or(0, |s| s.offset);
                e.at(bytes, offset)
            })
            .collect());
    }
    let not_used = m.not_used();
    Ok(CusdecMapped {
        envelope: edifact::envelope(bytes),
        directory: release.to_owned(),
        document: m.doc,
        sources: m.sources,
        not_used,
        segments: message.len(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Detail,
    Summary,
}

struct Mapper<'a> {
    segs: &'a [Segment],
    /// Per segment, per element, per component: read by the mapping.
    used: Vec<Vec<Vec<bool>>>,
    doc: Value,
    sources: BTreeMap<String, SegmentRef>,
    errors: Vec<MessageError>,
}

impl<'a> Mapper<'a> {
    fn new(segs: &'a [Segment]) -> Self {
        let used = segs
            .iter()
            .map(|s| s.elements.iter().map(|e| vec![false; e.len()]).collect())
            .collect();
        Self {
            segs,
            used,
            doc: Value::Object(serde_json::Map::new()),
            sources: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    /// Component `c` of element `e` of segment `i`, marked used; `None`
    /// when absent or empty.
    fn take(&mut self, i: usize, e: usize, c: usize) -> Option<&'a str> {
        let v = self.segs[i].get(e, c)?;
        if let Some(u) = self.used[i].get_mut(e).and_then(|x| x.get_mut(c)) {
            *u = true;
        }
        Some(v).filter(|v| !v.is_empty())
    }

    /// The value without marking it (to decide what a segment is).
    fn peek(&self, i: usize, e: usize, c: usize) -> &'a str {
        self.segs[i].get(e, c).unwrap_or("")
    }

    /// Sets `pointer`; a second, different value for it is a conflict
    /// (tamga holds one), never a silent overwrite.
    fn put(&mut self, pointer: &str, v: Value, i: usize, e: usize, c: usize) {
        if let Some(old) = self.doc.pointer(pointer) {
            if *old != v {
                let msg = format!("{v} here, {old} earlier: tamga holds one value ({pointer})");
                self.errors.push(edifact::error_at(
                    "CUSDEC-CONFLICT",
                    self.segs[i].at_element(e, Some(c)),
                    msg,
                ));
            }
            return;
        }
        set(&mut self.doc, pointer, v);
        self.sources
            .insert(pointer.to_owned(), self.segs[i].at_element(e, Some(c)));
    }

    fn source(&mut self, pointer: &str, i: usize) {
        self.sources
            .entry(pointer.to_owned())
            .or_insert_with(|| self.segs[i].at());
    }

    fn error(&mut self, code: &'static str, i: usize, e: Option<usize>, message: String) {
        let at = match e {
            Some(e) => self.segs[i].at_element(e, Some(0)),
            None => self.segs[i].at(),
        };
        self.errors.push(edifact::error_at(code, at, message));
    }

    /// A text value.
    fn str(&mut self, pointer: &str, i: usize, e: usize, c: usize) {
        if let Some(v) = self.take(i, e, c) {
            self.put(pointer, json!(v), i, e, c);
        }
    }

    /// A value tamga holds once: a second, different one is a conflict.
    fn once(&mut self, pointer: &str, i: usize, e: usize, c: usize) {
        let Some(v) = self.take(i, e, c) else { return };
        match self.doc.pointer(pointer).and_then(Value::as_str) {
            None => self.put(pointer, json!(v), i, e, c),
            Some(old) if old == v => {}
            Some(old) => {
                let msg = format!("{v:?} here, {old:?} earlier: tamga holds one value ({pointer})");
                self.error("CUSDEC-CONFLICT", i, Some(e), msg);
            }
        }
    }

    /// A whole number when it is one, else the text (control rejects it).
    fn int(&mut self, pointer: &str, i: usize, e: usize, c: usize) {
        if let Some(v) = self.take(i, e, c) {
            let n = v.parse::<u32>().map_or_else(|_| json!(v), |n| json!(n));
            self.put(pointer, n, i, e, c);
        }
    }

    /// A decimal: either decimal mark (ISO 9735 allows comma and point).
    fn decimal(&mut self, pointer: &str, i: usize, e: usize, c: usize) {
        if let Some(v) = self.take(i, e, c) {
            self.put(pointer, json!(v.replace(',', ".")), i, e, c);
        }
    }

    /// An amount (`MOA` C516: 5025, 5004, 6345): in the invoice currency.
    fn amount(&mut self, pointer: &str, i: usize) {
        if let Some(cur) = self.take(i, 0, 2) {
            match self
                .doc
                .pointer("/invoice/currency")
                .and_then(Value::as_str)
            {
                Some(inv) if inv != cur => {
                    let msg = format!("amount in {cur}, the invoice is in {inv}: tamga holds amounts in the invoice currency");
                    self.errors.push(edifact::error_at(
                        "CUSDEC-CONFLICT",
                        self.segs[i].at_element(0, Some(2)),
                        msg,
                    ));
                }
                Some(_) => {}
                None => self.put("/invoice/currency", json!(cur), i, 0, 2),
            }
        }
        self.decimal(pointer, i, 0, 1);
    }

    /// A mass (`MEA` C174: 6411 unit, 6314 value) in kilograms.
    fn mass(&mut self, pointer: &str, i: usize) {
        if let Some(unit) = self.take(i, 2, 0) {
            if unit != "KGM" && unit != "KG" {
                let msg = format!("mass in {unit:?}; tamga takes kilograms (KGM)");
                self.errors.push(edifact::error_at(
                    "CUSDEC-UNIT",
                    self.segs[i].at_element(2, Some(0)),
                    msg,
                ));
            }
        }
        self.decimal(pointer, i, 2, 1);
    }

    /// A date (`DTM` C507: 2005, 2380, 2379) as `YYYY-MM-DD` from formats
    /// 102, 203, 204; anything else as written (control rejects it).
    fn date(&mut self, pointer: &str, i: usize) {
        let Some(v) = self.take(i, 0, 1) else { return };
        let format = self.take(i, 0, 2).unwrap_or("102");
        let len = match format {
            "102" => Some(8),
            "203" => Some(12),
            "204" => Some(14),
            _ => None,
        };
        let ok = len == Some(v.len()) && v.bytes().all(|b| b.is_ascii_digit());
        let out = if ok {
            format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..8])
        } else {
            v.to_owned()
        };
        self.put(pointer, json!(out), i, 0, 1);
    }

    /// A UN/ECE Rec. 19 mode digit as tamga's mode name.
    fn mode(&mut self, pointer: &str, i: usize, e: usize) {
        let Some(v) = self.take(i, e, 0) else { return };
        let mode = tamga_core::declaration::TransportMode::ALL
            .into_iter()
            .find(|m| m.code().to_string() == v);
        let out = mode.map_or_else(|| json!(v), |m| json!(m.as_str()));
        self.put(pointer, out, i, e, 0);
    }

    fn run(&mut self) {
        let n = self.segs.len();
        // The envelope's own segments are the answer's business.
        for i in [0, n - 1] {
            for e in &mut self.used[i] {
                e.iter_mut().for_each(|c| *c = true);
            }
        }
        let mut section = Section::Header;
        let mut bgm = None;
        let mut item: Option<usize> = None;
        let mut items = 0;
        let mut transport_docs = 0;
        let mut item_docs = 0;
        let mut item_pac = false;
        let mut additional = 0;
        for i in 1..n.saturating_sub(1) {
            let tag = self.segs[i].tag.as_str();
            match (section, tag) {
                (_, "UNS") => {
                    match (section, self.peek(i, 0, 0)) {
                        (Section::Header, "D") => section = Section::Detail,
                        (Section::Header | Section::Detail, "S") => section = Section::Summary,
                        _ => {
                            let msg = "a section control (UNS) out of order: UNS+D after the header, UNS+S before the summary".to_owned();
                            self.error("CUSDEC-PLACE", i, Some(0), msg);
                        }
                    }
                    self.take(i, 0, 0);
                }
                (Section::Header, "BGM") => {
                    if bgm.is_some() {
                        self.error("CUSDEC-PLACE", i, None, "a second BGM".to_owned());
                    } else {
                        bgm = Some(i);
                        self.bgm(i);
                    }
                }
                (Section::Header, "LOC") => {
                    let pointer = match self.peek(i, 0, 0) {
                        "22" => "/declarationOffice",
                        "41" => "/exitOffice",
                        "42" => "/presentationOffice",
                        "35" => "/dispatchCountry",
                        "28" => "/destinationCountry",
                        _ => continue,
                    };
                    self.take(i, 0, 0);
                    self.once(pointer, i, 1, 0);
                }
                (Section::Header, "DTM") => {
                    let pointer = match self.peek(i, 0, 0) {
                        "3" => "/invoice/date",
                        "134" => "/exchangeRateDate",
                        _ => continue,
                    };
                    self.take(i, 0, 0);
                    self.date(pointer, i);
                }
                (Section::Header, "MOA") if self.peek(i, 0, 0) == "39" => {
                    self.take(i, 0, 0);
                    self.amount("/invoice/amount", i);
                }
                (Section::Header, "MEA")
                    if self.peek(i, 0, 0) == "WT" && self.peek(i, 1, 0) == "G" =>
                {
                    self.take(i, 0, 0);
                    self.take(i, 1, 0);
                    self.source("/totals", i);
                    self.mass("/totals/grossMassKg", i);
                }
                (Section::Header, "PAC") if !self.peek(i, 0, 0).is_empty() => {
                    self.source("/totals", i);
                    self.int("/totals/packages", i, 0, 0);
                }
                (Section::Header, "GIS") => match self.peek(i, 0, 1) {
                    PROCEDURE_LIST => {
                        self.take(i, 0, 1);
                        self.once("/procedure", i, 0, 0);
                    }
                    ADDITIONAL_PROCEDURE_LIST => {
                        self.take(i, 0, 1);
                        let p = format!("/additionalProcedures/{additional}");
                        self.str(&p, i, 0, 0);
                        additional += 1;
                    }
                    REPRESENTATION_LIST => {
                        self.take(i, 0, 1);
                        if let Some(v) = self.take(i, 0, 0) {
                            let kind = match v {
                                "2" => "direct",
                                "3" => "indirect",
                                other => other,
                            };
                            self.put("/representative/kind", json!(kind), i, 0, 0);
                        }
                    }
                    _ => {}
                },
                (Section::Header, "NAD") => self.nad(i),
                (Section::Header, "TDT") => {
                    let pointer = match self.peek(i, 0, 0) {
                        "11" => "/transport/borderMode",
                        "1" => "/transport/inlandMode",
                        _ => continue,
                    };
                    self.take(i, 0, 0);
                    self.source("/transport", i);
                    self.mode(pointer, i, 2);
                    if pointer == "/transport/borderMode" {
                        self.str("/transport/borderMeansId", i, 7, 0);
                        self.str("/transport/borderMeansNationality", i, 7, 4);
                    }
                }
                (Section::Header, "EQD") if self.peek(i, 0, 0) == "CN" => {
                    self.take(i, 0, 0);
                    self.put("/transport/container", json!(true), i, 0, 0);
                }
                (Section::Header, "TOD") => {
                    if self.peek(i, 2, 0).is_empty() && self.peek(i, 2, 3).is_empty() {
                        continue;
                    }
                    self.source("/deliveryTerms", i);
                    self.str("/deliveryTerms/incoterm", i, 2, 0);
                    self.str("/deliveryTerms/place", i, 2, 3);
                }
                (Section::Header, "DOC") => {
                    let base = format!("/transportDocuments/{transport_docs}");
                    self.document(&base, i);
                    transport_docs += 1;
                }
                (Section::Header, "CST") => {
                    let msg = "a goods item (CST) before the detail section (UNS+D)".to_owned();
                    self.error("CUSDEC-PLACE", i, None, msg);
                }
                (Section::Detail, "CST") => {
                    let base = format!("/items/{items}");
                    self.source(&base, i);
                    self.int(&format!("{base}/sequence"), i, 0, 0);
                    self.str(&format!("{base}/hsCode"), i, 1, 0);
                    item = Some(items);
                    items += 1;
                    item_docs = 0;
                    item_pac = false;
                }
                (Section::Detail, _) if item.is_some() => {
                    let base = format!("/items/{}", item.unwrap_or_default());
                    self.item_segment(&base, i, &mut item_docs, &mut item_pac);
                }
                _ => {}
            }
        }
        match bgm {
            Some(b) => {
                self.sources.insert(String::new(), self.segs[b].at());
            }
            None => {
                let msg = "no BGM: a CUSDEC names its declaration (LRN, type) in BGM".to_owned();
                self.error("CUSDEC-MISSING", 0, None, msg);
                self.sources.insert(String::new(), self.segs[0].at());
            }
        }
    }

    fn bgm(&mut self, i: usize) {
        // C002: 1001 document name code, 1131, 3055, 1000 document name.
        let name = self.take(i, 0, 3);
        let code = self.take(i, 0, 0);
        match name {
            Some(t) if t.len() == 3 && t.is_ascii() => {
                self.put("/type", json!(&t[..2]), i, 0, 3);
                let additional = match &t[2..] {
                    "A" => "standard",
                    "B" | "C" => "simplified",
                    "D" => "prelodged",
                    other => other,
                };
                self.put("/additionalType", json!(additional), i, 0, 3);
            }
            Some(t) => self.put("/type", json!(t), i, 0, 3),
            None => {
                if let Some(c) = code {
                    let ty = match c {
                        "929" => "IM",
                        "830" => "EX",
                        other => other,
                    };
                    self.put("/type", json!(ty), i, 0, 0);
                    self.put("/additionalType", json!("standard"), i, 0, 0);
                }
            }
        }
        // D:96B: 1004 document number; D:99B: C106 (1004, 1056, 1060).
        self.str("/lrn", i, 1, 0);
        match self.take(i, 2, 0) {
            Some("9") => {}
            other => {
                let msg = format!(
                    "message function {:?}: tamga takes 9 (original); amend or invalidate a declaration with the JSON API",
                    other.unwrap_or("")
                );
                self.error("CUSDEC-FUNCTION-CODE", i, Some(2), msg);
            }
        }
    }

    /// `NAD`: 3035 party, C082 id, C058, C080 name, C059 street, 3164
    /// city, C819/3229, 3251 postcode, 3207 country.
    fn nad(&mut self, i: usize) {
        let p = match self.peek(i, 0, 0) {
            "DT" => "/declarant",
            "IM" => "/importer",
            "EX" => "/exporter",
            "SE" => "/seller",
            "CB" => "/representative",
            _ => return,
        };
        if self.doc.pointer(p).and_then(|v| v.get("name")).is_some() {
            let msg = format!("a second party {:?}: tamga holds one", self.peek(i, 0, 0));
            self.error("CUSDEC-CONFLICT", i, Some(0), msg);
            return;
        }
        self.take(i, 0, 0);
        self.source(p, i);
        self.str(&format!("{p}/id"), i, 1, 0);
        self.str(&format!("{p}/name"), i, 3, 0);
        if p == "/representative" {
            return;
        }
        let has_address = [(4, 0), (5, 0), (7, 0), (8, 0)]
            .iter()
            .any(|&(e, c)| !self.peek(i, e, c).is_empty());
        if has_address {
            let a = format!("{p}/address");
            self.source(&a, i);
            self.str(&format!("{a}/street"), i, 4, 0);
            self.str(&format!("{a}/city"), i, 5, 0);
            self.str(&format!("{a}/postcode"), i, 7, 0);
            self.str(&format!("{a}/country"), i, 8, 0);
        }
    }

    /// `DOC` (C002 1001 the document code, C503 1004 the reference),
    /// with its issue date in a `DTM+182` right after it.
    fn document(&mut self, base: &str, i: usize) {
        self.source(base, i);
        self.str(&format!("{base}/type"), i, 0, 0);
        self.str(&format!("{base}/reference"), i, 1, 0);
        if let Some(next) = self.segs.get(i + 1) {
            if next.tag == "DTM" && next.get(0, 0) == Some("182") {
                self.take(i + 1, 0, 0);
                self.date(&format!("{base}/issuedOn"), i + 1);
            }
        }
    }

    fn item_segment(&mut self, base: &str, i: usize, docs: &mut usize, pac: &mut bool) {
        match self.segs[i].tag.as_str() {
            "FTX" if self.peek(i, 0, 0) == "AAA" => {
                self.take(i, 0, 0);
                let n = self.segs[i].elements.get(3).map_or(0, Vec::len);
                let parts: Vec<&str> = (0..n).filter_map(|c| self.take(i, 3, c)).collect();
                if !parts.is_empty() {
                    self.put(
                        &format!("{base}/description"),
                        json!(parts.join(" ")),
                        i,
                        3,
                        0,
                    );
                }
            }
            "LOC" if self.peek(i, 0, 0) == "27" => {
                self.take(i, 0, 0);
                let field = if self.peek(i, 1, 1) == PREFERENTIAL {
                    self.take(i, 1, 1);
                    "preferentialOrigin"
                } else {
                    "origin"
                };
                self.str(&format!("{base}/{field}"), i, 1, 0);
            }
            "MEA" if self.peek(i, 0, 0) == "WT" => {
                let field = match self.peek(i, 1, 0) {
                    "G" => "grossMassKg",
                    "N" => "netMassKg",
                    _ => return,
                };
                self.take(i, 0, 0);
                self.take(i, 1, 0);
                self.mass(&format!("{base}/{field}"), i);
            }
            "QTY" if self.peek(i, 0, 0) == SUPPLEMENTARY_UNITS => {
                self.take(i, 0, 0);
                self.decimal(&format!("{base}/supplementaryUnits"), i, 0, 1);
            }
            "MOA" => {
                let field = match self.peek(i, 0, 0) {
                    "38" => "itemPrice",
                    "40" => "customsValue",
                    _ => return,
                };
                self.take(i, 0, 0);
                self.amount(&format!("{base}/{field}"), i);
            }
            "GIS" if self.peek(i, 0, 1) == VALUATION_LIST => {
                self.take(i, 0, 1);
                self.int(&format!("{base}/valuationMethod"), i, 0, 0);
            }
            "PAC" if !*pac => {
                *pac = true;
                let p = format!("{base}/packages");
                self.source(&p, i);
                self.int(&format!("{p}/count"), i, 0, 0);
                self.str(&format!("{p}/kind"), i, 2, 0);
                if let Some(next) = self.segs.get(i + 1) {
                    if next.tag == "PCI" {
                        self.str(&format!("{p}/marks"), i + 1, 1, 0);
                    }
                }
            }
            "DOC" => {
                let b = format!("{base}/documents/{docs}");
                self.document(&b, i);
                *docs += 1;
            }
            _ => {}
        }
    }

    /// Everything not read: a whole segment, else each element, else each
    /// component, that has a value.
    fn not_used(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, s) in self.segs.iter().enumerate() {
            let used = &self.used[i];
            let any = used.iter().flatten().any(|&u| u);
            if !any {
                out.push(s.at().to_string());
                continue;
            }
            for (e, comps) in s.elements.iter().enumerate() {
                let filled: Vec<usize> =
                    (0..comps.len()).filter(|&c| !comps[c].is_empty()).collect();
                if filled.is_empty() {
                    continue;
                }
                if !used[e].iter().any(|&u| u) {
                    out.push(s.at_element(e, None).to_string());
                    continue;
                }
                for c in filled {
                    if !used[e][c] {
                        out.push(s.at_element(e, Some(c)).to_string());
                    }
                }
            }
        }
        out
    }
}
