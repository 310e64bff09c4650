//! tamga's notification sequence for a CDS sample declaration, against the
//! DMS notifications the sample's folder says the CDS sent for it.
//!
//! The expected side is read from the folder's DMS response files (in any
//! namespace, or none, as most samples are published): their function
//! codes in file order (numbered as `01_DMSACC.xml`, `1. DMSRCV …`),
//! each notification once (by its own `FunctionalReferenceID`), grouped
//! by the LRN (`Declaration/FunctionalReferenceID`) they are about.
//!
//! tamga's side is what tamga answers the same message with: a message
//! it cannot read, or whose control fails, is rejected (03 DMSREJ, with
//! every error written as [`crate::dms_notice::error`] writes it); an
//! amendment, cancellation or goods presentation (function code 13) is
//! not taken as XML (400, no notification); a lodgement that passes
//! control is registered, and its further notifications depend on the
//! risk channel and the trader's account, which a sample does not fix, so
//! they are given for the path tamga takes when nothing stops it (green
//! channel, duties secured): 01 and 13, then 09. Each comparison says
//! which of these it is (`basis`).
//!
//! As control refuses the CDS samples (they lack what tamga requires: see
//! docs/messages.md), each comparison also gives tamga's sequence **on the
//! CDS's outcome** ([`on_cds_outcome`]): what tamga sends when the
//! declaration is accepted and then controlled, charged, released,
//! amended or invalidated as the CDS notifications say it was. Its
//! differences are those of the two systems' notification models.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use tamga_core::control::{Severity, Violation};
use tamga_core::reference::ReferenceData;
use time::Date;

use crate::conformance::{check, Report};
use crate::dms_notice::error;
use crate::dms_out::FunctionCode;
use crate::dms_pointer::Pointer;
use crate::error::MessageError;
use crate::xml::{self, Element, Limits};

/// One DMS response read from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadResponse {
    pub function_code: String,
    /// The response's own reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The declaration's LRN and MRN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lrn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrn: Option<String>,
    /// Each error: its validation code and pointer (`42A/67A/68A#1/…:337`).
    pub errors: Vec<(String, String)>,
}

/// The DMS responses of a document (a `MetaData` with `WCOTypeName` RES);
/// `None` when the bytes are not a DMS notification.
pub fn read_responses(bytes: &[u8]) -> Option<Vec<ReadResponse>> {
    let root = xml::parse(bytes, &Limits::default()).ok()?;
    let md = find(&root, "MetaData")?;
    if md.child("WCOTypeName").map(|t| t.text.trim()) != Some("RES") {
        return None;
    }
    Some(md.children_named("Response").map(response).collect())
}

fn find<'a, 'm>(e: &'a Element<'m>, name: &str) -> Option<&'a Element<'m>> {
    if e.name == name {
        return Some(e);
    }
    e.children.iter().find_map(|c| find(c, name))
}

fn text(e: Option<&Element>) -> Option<String> {
    e.map(|x| x.text.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn response(r: &Element) -> ReadResponse {
    let decl = r.child("Declaration");
    ReadResponse {
        function_code: text(r.child("FunctionCode")).unwrap_or_default(),
        reference: text(r.child("FunctionalReferenceID")),
        lrn: text(decl.and_then(|d| d.child("FunctionalReferenceID"))),
        mrn: text(decl.and_then(|d| d.child("ID"))),
        errors: r
            .children_named("Error")
            .map(|e| {
                let pointers = e
                    .children_named("Pointer")
                    .map(|p| Pointer {
                        sequence: text(p.child("SequenceNumeric")).and_then(|s| s.parse().ok()),
                        section: text(p.child("DocumentSectionCode")).unwrap_or_default(),
                        tag: text(p.child("TagID")),
                    })
                    .collect::<Vec<_>>();
                (
                    text(e.child("ValidationCode")).unwrap_or_default(),
                    pointer_text(&pointers),
                )
            })
            .collect(),
    }
}

/// A pointer as text: `42A/67A/68A#1/23A/21A#3:337`.
pub fn pointer_text(pointers: &[Pointer]) -> String {
    let mut s = pointers
        .iter()
        .map(|p| match p.sequence {
            Some(n) => format!("{}#{n}", p.section),
            None => p.section.clone(),
        })
        .collect::<Vec<_>>()
        .join("/");
    if let Some(tag) = pointers.last().and_then(|p| p.tag.as_deref()) {
        s.push(':');
        s.push_str(tag);
    }
    s
}

/// A function code with the CDS name of the notification, e.g. `01 DMSACC`.
pub fn label(code: &str) -> String {
    let name = match code.trim_start_matches('0') {
        "1" => "DMSACC",
        "2" => "DMSRCV",
        "3" => "DMSREJ",
        "5" => "DMSCTL",
        "6" => "DMSDOC",
        "7" => "DMSRES",
        "8" => "DMSROG",
        "9" => "DMSCLE",
        "10" => "DMSINV",
        "11" => "DMSREQ",
        "13" => "DMSTAX",
        "14" => "DMSCPI",
        "15" => "DMSCPR",
        "16" => "DMSEOG",
        "17" => "DMSEXT",
        "18" => "DMSGER",
        _ => "?",
    };
    format!("{code:0>2} {name}")
}

/// How tamga's side of a comparison was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Basis {
    /// The message could not be read, so it was rejected.
    NotRead,
    /// Control refused the mapped declaration.
    ControlRefused,
    /// Function code 13: refused with 400, no notification.
    NotTakenAsXml,
    /// Passed control: the sequence of the green channel with duties
    /// secured.
    PassedControlGreenPath,
}

/// One declaration of a folder against the notifications sent for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationComparison {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lrn: Option<String>,
    pub expected: Vec<String>,
    pub tamga: Vec<String>,
    pub basis: Basis,
    /// Expected and tamga's errors when both reject: validation code and
    /// pointer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expected_errors: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tamga_errors: Vec<(String, String)>,
    /// Why they differ (empty: the same sequence).
    pub differences: Vec<String>,
    /// tamga's notifications had the declaration had the CDS's outcome.
    pub tamga_on_cds_outcome: Vec<String>,
    /// How those differ from the CDS's.
    pub outcome_differences: Vec<String>,
}

/// A sample folder.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderComparison {
    pub folder: String,
    pub declarations: Vec<DeclarationComparison>,
    /// Notifications about an LRN no declaration of the folder has: LRN
    /// and function codes.
    pub unmatched: Vec<(String, Vec<String>)>,
}

/// Orders file names as a person numbers them (`2.` before `10.`).
fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut other = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !other.is_empty() {
                out.push((u64::MAX, std::mem::take(&mut other)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                out.push((digits.parse().unwrap_or(u64::MAX), String::new()));
                digits.clear();
            }
            other.push(c.to_ascii_lowercase());
        }
    }
    if !digits.is_empty() {
        out.push((digits.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !other.is_empty() {
        out.push((u64::MAX, other));
    }
    out
}

/// Compares one folder: `files` are its XML files (path relative to the
/// folder, bytes), in any order.
pub fn compare_folder(
    folder: &str,
    files: &[(String, Vec<u8>)],
    reference: &ReferenceData,
    today: Date,
) -> FolderComparison {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by_key(|(name, _)| natural_key(name));
    let mut seen = HashSet::new();
    let mut notifications: Vec<ReadResponse> = Vec::new();
    let mut declarations = Vec::new();
    for (name, bytes) in sorted {
        if let Some(rs) = read_responses(bytes) {
            for r in rs {
                let fresh = r.reference.as_ref().is_none_or(|x| seen.insert(x.clone()));
                if fresh {
                    notifications.push(r);
                }
            }
        } else {
            declarations.push((name.clone(), check(bytes, reference, today), lrn_of(bytes)));
        }
    }
    let mut by_lrn: BTreeMap<String, Vec<&ReadResponse>> = BTreeMap::new();
    for n in &notifications {
        by_lrn
            .entry(n.lrn.clone().unwrap_or_default())
            .or_default()
            .push(n);
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for (file, report, lrn) in &declarations {
        if report.not_a_declaration() {
            continue;
        }
        let expected: Vec<&ReadResponse> = match lrn {
            Some(l) if report.kind.as_deref() == Some("lodgement") || !report.mapped => {
                used.insert(l.clone());
                by_lrn.get(l).cloned().unwrap_or_default()
            }
            _ => Vec::new(),
        };
        out.push(compare(file, lrn.clone(), report, &expected));
    }
    let unmatched = by_lrn
        .iter()
        .filter(|(l, _)| !used.contains(*l))
        .map(|(l, ns)| {
            (
                l.clone(),
                ns.iter().map(|n| label(&n.function_code)).collect(),
            )
        })
        .collect();
    FolderComparison {
        folder: folder.to_owned(),
        declarations: out,
        unmatched,
    }
}

/// The LRN a declaration message carries, read loosely (also from a
/// message tamga cannot map).
fn lrn_of(bytes: &[u8]) -> Option<String> {
    let root = xml::parse(bytes, &Limits::default()).ok()?;
    let d = find(&root, "Declaration")?;
    text(d.child("FunctionalReferenceID"))
}

fn message_violation(e: &MessageError) -> Violation {
    Violation {
        code: e.code.to_owned(),
        severity: Severity::Error,
        message: e.message.clone(),
        pointer: String::new(),
        xpath: Some(e.pointer.clone()),
        segment: None,
    }
}

/// tamga's notifications for one declaration message, and on what basis.
fn tamga_side(report: &Report) -> (Vec<String>, Basis, Vec<(String, String)>) {
    let rejected = |violations: Vec<Violation>| {
        let errors = violations
            .iter()
            .map(|v| {
                let e = error(v);
                (e.validation_code, pointer_text(&e.pointers))
            })
            .collect();
        (vec![label(FunctionCode::Rejected.code())], errors)
    };
    if !report.mapped {
        let (codes, errors) = rejected(report.errors.iter().map(message_violation).collect());
        return (codes, Basis::NotRead, errors);
    }
    if report.kind.as_deref() != Some("lodgement") {
        return (Vec::new(), Basis::NotTakenAsXml, Vec::new());
    }
    match &report.control {
        Some(c) if !c.passed => {
            let violations = c
                .violations
                .iter()
                .filter(|v| v.violation.severity == Severity::Error)
                .map(|v| Violation {
                    xpath: v.xpath.clone(),
                    ..v.violation.clone()
                })
                .collect();
            let (codes, errors) = rejected(violations);
            (codes, Basis::ControlRefused, errors)
        }
        _ => (
            [
                FunctionCode::Accepted,
                FunctionCode::DutiesCalculated,
                FunctionCode::Cleared,
            ]
            .iter()
            .map(|f| label(f.code()))
            .collect(),
            Basis::PassedControlGreenPath,
            Vec::new(),
        ),
    }
}

fn compare(
    file: &str,
    lrn: Option<String>,
    report: &Report,
    expected: &[&ReadResponse],
) -> DeclarationComparison {
    let (tamga, basis, tamga_errors) = tamga_side(report);
    let expected_codes: Vec<String> = expected.iter().map(|n| label(&n.function_code)).collect();
    let expected_errors: Vec<(String, String)> = expected
        .iter()
        .flat_map(|n| n.errors.iter().cloned())
        .collect();
    let mut differences = sequence_differences(&expected_codes, &tamga);
    let both_reject = expected_codes.iter().any(|c| c.starts_with("03"))
        && tamga.iter().any(|c| c.starts_with("03"));
    if both_reject {
        differences.extend(error_differences(&expected_errors, &tamga_errors));
    }
    let raw: Vec<&str> = expected.iter().map(|n| n.function_code.as_str()).collect();
    let tamga_on_cds_outcome = on_cds_outcome(&raw);
    let outcome_differences = if expected_codes.is_empty() {
        Vec::new()
    } else {
        sequence_differences(&expected_codes, &tamga_on_cds_outcome)
    };
    DeclarationComparison {
        file: file.to_owned(),
        lrn,
        tamga_on_cds_outcome,
        outcome_differences,
        expected: expected_codes,
        tamga,
        basis,
        expected_errors: if both_reject {
            expected_errors
        } else {
            Vec::new()
        },
        tamga_errors,
        differences,
    }
}

/// tamga's notifications for a declaration whose CDS notifications were
/// `codes` (function codes, in order): acceptance with its duties in the
/// same envelope (01, 13), control (05 physical, 06 documents), payment
/// awaited (14), release (09), invalidation (10), rejection (03), an
/// amendment accepted (11, with 13 when duties follow it). CDS's receipt
/// (02), its corrections after inspection (07), release of goods (08),
/// payment reminders (15), exit (16, 17, 18) and its second and later
/// DMSTAX have no counterpart in tamga: tamga answers a lodging at once,
/// assesses the duties once per version and has no exit movement.
pub fn on_cds_outcome(codes: &[&str]) -> Vec<String> {
    let norm: Vec<String> = codes.iter().map(|c| format!("{c:0>2}")).collect();
    let mut out = Vec::new();
    for (i, c) in norm.iter().enumerate() {
        match c.as_str() {
            "01" => {
                out.push(label("01"));
                if norm.iter().any(|x| x == "13") {
                    out.push(label("13"));
                }
            }
            "11" => {
                out.push(label("11"));
                if norm.get(i + 1).is_some_and(|x| x == "13") {
                    out.push(label("13"));
                }
            }
            "03" | "05" | "06" | "09" | "10" | "14" => out.push(label(c)),
            _ => {}
        }
    }
    out
}

fn counts(list: &[String]) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for x in list {
        *m.entry(x.as_str()).or_insert(0) += 1;
    }
    m
}

/// What one sequence has that the other lacks, or their order.
pub fn sequence_differences(expected: &[String], tamga: &[String]) -> Vec<String> {
    if expected == tamga {
        return Vec::new();
    }
    let (e, t) = (counts(expected), counts(tamga));
    let mut out = Vec::new();
    if expected.is_empty() {
        out.push("no expected notification for this declaration in the folder".to_owned());
    }
    for (code, n) in &e {
        let m = t.get(code).copied().unwrap_or(0);
        if m < *n {
            out.push(format!("CDS sent {code} ×{n}, tamga ×{m}"));
        }
    }
    for (code, m) in &t {
        let n = e.get(code).copied().unwrap_or(0);
        if n < *m {
            out.push(format!("tamga sends {code} ×{m}, CDS sent ×{n}"));
        }
    }
    if out.is_empty() {
        out.push("the same notifications in another order".to_owned());
    }
    out
}

fn error_differences(expected: &[(String, String)], tamga: &[(String, String)]) -> Vec<String> {
    let key = |l: &[(String, String)]| -> HashMap<(String, String), usize> {
        let mut m = HashMap::new();
        for x in l {
            *m.entry(x.clone()).or_insert(0) += 1;
        }
        m
    };
    let (e, t) = (key(expected), key(tamga));
    let mut out: Vec<String> = e
        .iter()
        .filter(|(k, n)| t.get(*k).copied().unwrap_or(0) < **n)
        .map(|((code, at), _)| format!("CDS error {code} at {at}: tamga has no such error"))
        .collect();
    out.sort();
    let extra = tamga.iter().filter(|x| !e.contains_key(*x)).count();
    if extra > 0 {
        out.push(format!("tamga reports {extra} error(s) CDS did not"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tamga_core::reference::ReferenceData;

    const ACC: &str = r#"<MetaData><WCODataModelVersionCode>3.6</WCODataModelVersionCode><WCOTypeName>RES</WCOTypeName>
<Response><FunctionCode>01</FunctionCode><FunctionalReferenceID>r1</FunctionalReferenceID>
<Declaration><FunctionalReferenceID>LRN-1</FunctionalReferenceID><ID>20GB1</ID></Declaration></Response></MetaData>"#;
    const REJ: &str = r#"<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"><md:WCOTypeName>RES</md:WCOTypeName>
<r:Response xmlns:r="urn:wco:datamodel:WCO:RES-DMS:2"><r:FunctionCode>03</r:FunctionCode><r:FunctionalReferenceID>r2</r:FunctionalReferenceID>
<r:Error><r:ValidationCode>CDS12056</r:ValidationCode><r:Pointer><r:DocumentSectionCode>42A</r:DocumentSectionCode></r:Pointer>
<r:Pointer><r:SequenceNumeric>1</r:SequenceNumeric><r:DocumentSectionCode>68A</r:DocumentSectionCode><r:TagID>114</r:TagID></r:Pointer></r:Error>
<r:Declaration><r:FunctionalReferenceID>LRN-2</r:FunctionalReferenceID></r:Declaration></r:Response></md:MetaData>"#;

    #[test]
    fn responses_are_read_in_any_namespace() {
        let a = read_responses(ACC.as_bytes()).unwrap();
        assert_eq!(a[0].function_code, "01");
        assert_eq!(a[0].lrn.as_deref(), Some("LRN-1"));
        assert_eq!(a[0].mrn.as_deref(), Some("20GB1"));
        let r = read_responses(REJ.as_bytes()).unwrap();
        assert_eq!(
            r[0].errors,
            vec![("CDS12056".to_owned(), "42A/68A#1:114".to_owned())]
        );
        assert!(read_responses(b"<MetaData><WCOTypeName>DEC</WCOTypeName></MetaData>").is_none());
        assert!(read_responses(b"not xml").is_none());
    }

    #[test]
    fn files_sort_as_numbered() {
        let mut v = vec!["10_DMSCLE.xml", "2. DMSACC.xml", "01_DMSRCV.xml"];
        v.sort_by_key(|s| natural_key(s));
        assert_eq!(v, vec!["01_DMSRCV.xml", "2. DMSACC.xml", "10_DMSCLE.xml"]);
    }

    #[test]
    fn tamga_on_the_cds_outcome() {
        assert_eq!(
            on_cds_outcome(&["02", "01", "13", "13", "06", "09", "16"]),
            vec!["01 DMSACC", "13 DMSTAX", "06 DMSDOC", "09 DMSCLE"]
        );
        assert_eq!(
            on_cds_outcome(&["01", "11", "13", "09"]),
            vec![
                "01 DMSACC",
                "13 DMSTAX",
                "11 DMSREQ",
                "13 DMSTAX",
                "09 DMSCLE"
            ]
        );
        assert_eq!(on_cds_outcome(&["3"]), vec!["03 DMSREJ"]);
    }

    #[test]
    fn sequences_differ_by_count_or_order() {
        let s = |v: &[&str]| v.iter().map(|x| label(x)).collect::<Vec<_>>();
        assert!(sequence_differences(&s(&["01", "13"]), &s(&["01", "13"])).is_empty());
        assert_eq!(
            sequence_differences(&s(&["01", "13", "13", "09"]), &s(&["01", "13", "09"])),
            vec!["CDS sent 13 DMSTAX ×2, tamga ×1"]
        );
        assert_eq!(
            sequence_differences(&s(&["13", "01"]), &s(&["01", "13"])),
            vec!["the same notifications in another order"]
        );
        assert_eq!(
            sequence_differences(&s(&["01"]), &s(&["03"])),
            vec![
                "CDS sent 01 DMSACC ×1, tamga ×0",
                "tamga sends 03 DMSREJ ×1, CDS sent ×0"
            ]
        );
    }

    #[test]
    fn a_folder_is_compared_per_lrn() {
        let reference = ReferenceData::new(&crate::profile::bundle("cds").unwrap());
        let decl = include_bytes!("../tests/data/lodgement_IM117a.xml");
        let lrn = lrn_of(decl).expect("the test declaration has an LRN");
        let acc = ACC.replace("LRN-1", &lrn);
        let files = vec![
            ("01_DMSACC.xml".to_owned(), acc.into_bytes()),
            ("Step1.xml".to_owned(), decl.to_vec()),
            ("03_DMSREJ.xml".to_owned(), REJ.as_bytes().to_vec()),
        ];
        let c = compare_folder("X", &files, &reference, time::macros::date!(2026 - 12 - 06));
        assert_eq!(c.declarations.len(), 1);
        let d = &c.declarations[0];
        assert_eq!(d.expected, vec!["01 DMSACC"]);
        assert!(!d.tamga.is_empty());
        assert_eq!(
            c.unmatched,
            vec![("LRN-2".to_owned(), vec!["03 DMSREJ".to_owned()])]
        );
    }
}
