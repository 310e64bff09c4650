//! UN/EDIFACT CUSDEC in and out, and the answers (issue 19, part 3):
//! JSON → CUSDEC → JSON gives back every simulator declaration, in both
//! directories; the samples map or are refused with a pointer; CONTRL names
//! the syntax error's position with its ISO 9735 code; CUSRES carries the
//! MRN or every violation at its segment.

mod common;

use common::vary::vary;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tamga_core::declaration::Declaration;
use tamga_core::reference::{ReferenceBundle, SHIPPED};
use tamga_messages::cusdec_in::is_syntax_error;
use tamga_messages::cusres::{self, Acceptance, Answering, Refusal};
use tamga_messages::edifact::{self, SegmentRef};
use tamga_messages::{contrl, cusdec_declaration, read_cusdec, write_cusdec, Directory};
use tamga_sim::{Expectation, Generator, GeneratorConfig};

const PREPARED: time::OffsetDateTime = time::macros::datetime!(2026-12-07 10:05 UTC);

fn shared(path: &str) -> Option<Vec<u8>> {
    let p = format!(
        "{}/../../../shared/data/messages/edifact/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(p).ok()
}

fn generated(n: usize, seed: u64) -> Vec<Declaration> {
    let bundle = ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data");
    let mut cfg = GeneratorConfig::demo(40, time::macros::date!(2026 - 11 - 20), seed);
    cfg.error_share = Some(0.0);
    let mut generator = Generator::new(cfg, &bundle).expect("demo configuration");
    (0..n)
        .map(|_| {
            let s = generator.next();
            assert!(matches!(s.expect, Expectation::Valid));
            serde_json::from_slice(&s.body).expect("the generator writes a declaration")
        })
        .collect()
}

#[test]
fn every_simulator_declaration_round_trips_through_cusdec() {
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    for (n, mut d) in generated(1500, 23).into_iter().enumerate() {
        if n % 2 == 1 {
            vary(&mut d, &mut rng);
            // CUSDEC, unlike DEC-DMS, carries a transport document's date.
            if let Some(t) = d.items[0].documents.first().cloned() {
                let mut t = t;
                t.type_code = tamga_core::codes::DocumentTypeCode::parse("N705").unwrap();
                d.transport_documents.push(t);
            }
        }
        let directory = if n % 3 == 0 {
            Directory::D99B
        } else {
            Directory::D96B
        };
        let edi = write_cusdec(&d, directory, PREPARED)
            .unwrap_or_else(|e| panic!("declaration {n} not written: {e:?}"));
        let mapped = read_cusdec(edi.as_bytes())
            .unwrap_or_else(|e| panic!("declaration {n} not read back: {e:?}\n{edi}"));
        assert_eq!(mapped.directory, directory.release());
        assert!(
            mapped.not_used.is_empty(),
            "declaration {n}: tamga's own CUSDEC has segments tamga does not use: {:?}\n{edi}",
            mapped.not_used
        );
        let back = cusdec_declaration(&mapped)
            .unwrap_or_else(|e| panic!("declaration {n} does not form again: {e:?}\n{edi}"));
        assert_eq!(back, d, "declaration {n} changed on the way:\n{edi}");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&d).unwrap()
        );
    }
}

#[test]
fn a_line_break_is_refused_not_dropped() {
    let mut d = generated(1, 5).remove(0);
    d.items[0].description = "two\nlines".to_owned();
    let e = write_cusdec(&d, Directory::D96B, PREPARED).unwrap_err();
    assert_eq!(e[0].code, "OUT-UNREPRESENTABLE");
    assert_eq!(e[0].pointer, "/items/0/description");
}

/// A written declaration with `edit` applied to its text.
fn edited(edit: impl Fn(&str) -> String) -> Vec<u8> {
    let d = generated(1, 7).remove(0);
    let edi = write_cusdec(&d, Directory::D96B, PREPARED).unwrap();
    edit(&edi).into_bytes()
}

#[test]
fn segments_tamga_does_not_model_are_listed_by_position() {
    // A free text at the header and a second reference in the BGM.
    let bytes = edited(|s| {
        s.replacen("'\nLOC+22", "'\nFTX+AAI+++HANDLE WITH CARE'\nLOC+22", 1)
            .replacen("UNT+", "CNT+11:25'\nUNT+", 1)
    });
    let text = String::from_utf8(bytes.clone()).unwrap();
    let bytes = {
        // The UNT count: two segments more.
        let i = text.find("UNT+").unwrap() + 4;
        let end = i + text[i..].find('+').unwrap();
        let n: usize = text[i..end].parse().unwrap();
        format!("{}{}{}", &text[..i], n + 2, &text[end..]).into_bytes()
    };
    let mapped = read_cusdec(&bytes).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        mapped.not_used,
        [
            "segment 3 (FTX)".to_owned(),
            format!("segment {} (CNT)", mapped.segments - 1)
        ]
    );
    // A component tamga does not read in a segment it does.
    let partly = edited(|s| {
        let at = s.find("LOC+22+").unwrap() + 7;
        let end = at + s[at..].find('\'').unwrap();
        format!("{}:EXTRA{}", &s[..end], &s[end..])
    });
    assert_eq!(
        read_cusdec(&partly).unwrap().not_used,
        ["segment 3 (LOC) element 3 component 2"]
    );
}

#[test]
fn mapping_errors_carry_segment_element_and_component() {
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "function code",
            edited(|s| s.replacen("+9'\n", "+5'\n", 1)),
            "CUSDEC-FUNCTION-CODE",
            "segment 2 (BGM) element 4 component 1",
        ),
        (
            "unit",
            edited(|s| s.replacen("MEA+WT+G+KGM:", "MEA+WT+G+LBR:", 1)),
            "CUSDEC-UNIT",
            "element 4 component 1",
        ),
        (
            "directory",
            edited(|s| s.replacen("CUSDEC:D:96B", "CUSDEC:D:01B", 1)),
            "CUSDEC-DIRECTORY",
            "segment 1 (UNH) element 3 component 3",
        ),
        (
            "message type",
            edited(|s| s.replacen("CUSDEC:D:96B", "INVOIC:D:96B", 1)),
            "CUSDEC-NOT-CUSDEC",
            "segment 1 (UNH) element 3 component 1",
        ),
    ];
    let twice = |s: &str| {
        let at = s.find("MOA+39:").unwrap();
        let end = at + s[at..].find('\n').unwrap() + 1;
        let other = s[at..end].replacen("MOA+39:", "MOA+39:1", 1);
        let text = format!("{}{}{}", &s[..end], other, &s[end..]);
        // The UNT count: one segment more.
        let i = text.find("UNT+").unwrap() + 4;
        let stop = i + text[i..].find('+').unwrap();
        let n: usize = text[i..stop].parse().unwrap();
        format!("{}{}{}", &text[..i], n + 1, &text[stop..])
    };
    let mut cases = cases;
    cases.push((
        "a second invoice amount",
        edited(twice),
        "CUSDEC-CONFLICT",
        "(MOA) element 2 component 2",
    ));
    for (name, bytes, code, pointer) in cases {
        let e = read_cusdec(&bytes).expect_err(name);
        assert_eq!(e[0].code, code, "{name}: {e:?}");
        assert!(e[0].pointer.ends_with(pointer), "{name}: {e:?}");
        assert!(e[0].line.is_some(), "{name}");
    }
    // Control's violations are placed at the segment of the value.
    let heavy = edited(|s| {
        let at = s.find("MEA+WT+N+KGM:").unwrap() + 13;
        let end = at + s[at..].find('\'').unwrap();
        format!("{}99999999{}", &s[..at], &s[end..])
    });
    let mapped = read_cusdec(&heavy).unwrap();
    let (d, v) = tamga_core::control::parse_declaration(&mapped.document);
    assert!(d.is_some() && v.is_empty(), "{v:?}");
    let at = mapped.locate("/items/0/netMassKg").unwrap();
    assert_eq!(at.tag, "MEA");
    assert_eq!((at.element, at.component), (Some(4), Some(2)));
}

#[test]
fn the_edge_cases_and_the_d99b_sample() {
    let Some(sample) = shared("ts-edifact-d99b-au/CUSDEC_D99B_export_EXD.edi") else {
        eprintln!("../shared not here: the samples are checked where it is");
        return;
    };
    // The Australian export: read, D:99B, and every segment tamga does not
    // model listed (its GIS, RFF, item MOA+63 …).
    let mapped = read_cusdec(&sample).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(mapped.directory, "99B");
    assert_eq!(mapped.document["lrn"], "200401270001");
    assert_eq!(mapped.document["type"], "EX");
    assert_eq!(mapped.document["additionalType"], "prelodged");
    assert_eq!(mapped.document["destinationCountry"], "US");
    assert_eq!(mapped.document["items"][0]["origin"], "US");
    assert_eq!(
        mapped.document["items"][0]["description"],
        "GOODS DESCRIPTION"
    );
    assert!(mapped.not_used.contains(&"segment 4 (LOC)".to_owned()));
    assert!(mapped.not_used.contains(&"segment 27 (CNT)".to_owned()));
    // The other D:99B messages are not CUSDEC: a CONTRL's business.
    for other in [
        "CUSCAR_D99B_WARREL",
        "CUSREP_D99B_DEPART",
        "GENRAL_D99B_STREQ",
    ] {
        let b = shared(&format!("ts-edifact-d99b-au/{other}.edi")).unwrap();
        let e = read_cusdec(&b).unwrap_err();
        assert_eq!(e[0].code, "CUSDEC-NOT-CUSDEC", "{other}");
        assert!(is_syntax_error(&e[0]));
    }
    // The synthetic edge cases: 01 maps (a BGM with a released `?` in the
    // LRN; its FTX is not used), 02 is read but has no BGM (CUSDEC-MISSING,
    // a CUSRES), 03 to 05 are syntax errors (a CONTRL).
    let b = shared("edge-cases-synthetic/01_release_char_escapes.edi").unwrap();
    let one = read_cusdec(&b).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(one.document["lrn"], "REF?");
    assert_eq!(one.document["type"], "IM");
    assert_eq!(one.not_used, ["segment 3 (FTX)"]);
    let expect = [
        (
            "02_linebreak_inside_segment",
            "CUSDEC-MISSING",
            "segment 1 (UNH)",
        ),
        (
            "03_stray_release_before_nonspecial",
            "EDI-RELEASE",
            "segment 2 (COM) element 2 component 1",
        ),
        (
            "04_wrong_segment_count_UNT",
            "EDI-SEGMENT-COUNT",
            "segment 3 (UNT) element 2 component 1",
        ),
        ("05_missing_final_terminator", "EDI-TERMINATOR", "UNZ"),
    ];
    for (name, code, pointer) in expect {
        let b = shared(&format!("edge-cases-synthetic/{name}.edi")).unwrap();
        let e = read_cusdec(&b).unwrap_err();
        assert_eq!(
            (e[0].code, e[0].pointer.as_str()),
            (code, pointer),
            "{name}"
        );
    }
}

/// The segments of an interchange (a CONTRL or CUSRES) as text lines.
fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

#[test]
fn contrl_names_the_position_with_the_iso_9735_code() {
    let base = String::from_utf8(edited(|s| s.to_owned())).unwrap();
    let count = |s: &str| {
        let errors = read_cusdec(s.as_bytes()).unwrap_err();
        assert!(errors.iter().all(is_syntax_error), "{errors:?}");
        let c = contrl::write(
            &edifact::envelope(s.as_bytes()),
            &errors,
            "TAMGA",
            PREPARED,
            "C1",
        );
        // A CONTRL is itself a well-formed interchange.
        edifact::parse(c.as_bytes(), 1 << 20).unwrap_or_else(|e| panic!("{e:?}\n{c}"));
        c
    };
    let unb = base.lines().nth(1).unwrap();
    let sender = unb.split('+').nth(2).unwrap();
    let reference = unb.split('+').nth(5).unwrap().trim_end_matches('\'');

    // A wrong segment count: UCM, code 29, at UNT element 2.
    let wrong = base.replacen("UNT+", "UNT+9", 1);
    let c = count(&wrong);
    assert!(c.contains("UNH+1+CONTRL:D:3:UN'"), "{c}");
    assert!(
        lines(&c).contains(&format!("UCI+{reference}+{sender}+TAMGA+7'").as_str()),
        "{c}"
    );
    assert!(c.contains("UCM+1+CUSDEC:D:96B:UN+4+29+UNT+2:1'"), "{c}");
    assert!(c.contains(&format!("UNB+UNOC:3+TAMGA+{sender}+")), "{c}");

    // A stray release character in the BGM: UCS at 2, UCD code 21.
    let stray = base.replacen("BGM+", "BGM+?X", 1);
    let c = count(&stray);
    assert!(c.contains("UCM+1+CUSDEC:D:96B:UN+4'"), "{c}");
    assert!(c.contains("UCS+2'\nUCD+21+2:1'"), "{c}");

    // UNZ reference: the interchange, code 28.
    let unz = base.replacen(&format!("UNZ+1+{reference}"), "UNZ+1+OTHER", 1);
    let c = count(&unz);
    assert!(
        c.contains(&format!("UCI+{reference}+{sender}+TAMGA+4+28+UNZ+3:1'")),
        "{c}"
    );

    // Truncated: missing (13); a message of another directory: no
    // agreement (17) at UNH S009.
    let c = count(&base[..base.len() - 10]);
    assert!(c.contains("+4+13+UNZ'"), "{c}");
    let c = count(&base.replacen("CUSDEC:D:96B", "CUSDEC:D:01B", 1));
    assert!(c.contains("UCM+1+CUSDEC:D:01B:UN+4+17+UNH+3:3'"), "{c}");
}

#[test]
fn cusres_carries_the_mrn_or_every_violation_at_its_segment() {
    let bytes = edited(|s| s.to_owned());
    let env = edifact::envelope(&bytes);
    let a = Answering {
        subject: &env,
        tamga: "TAMGA",
        prepared: PREPARED,
        reference: "R1",
    };
    let ok = cusres::accepted(
        &a,
        &Acceptance {
            mrn: "26UZ0001000000001A".to_owned(),
            lrn: "LRN-1".to_owned(),
            registered_at: PREPARED,
            state: "released".to_owned(),
            channel: "green".to_owned(),
            not_used: vec!["segment 3 (FTX)".to_owned()],
        },
    );
    edifact::parse(ok.as_bytes(), 1 << 20).unwrap();
    for want in [
        "UNH+1+CUSRES:D:96B:UN'",
        "BGM++26UZ0001000000001A+29+AP'",
        "RFF+ABE:LRN-1'",
        "RFF+ACW:1'",
        "RFF+ABT:26UZ0001000000001A'",
        "DTM+182:202612071005:203'",
        "GIS+released:TAMGA-STATE'",
        "GIS+green:TAMGA-CHANNEL'",
        "FTX+ACB+++not used:segment 3 (FTX)'",
    ] {
        assert!(lines(&ok).contains(&want), "{want} not in\n{ok}");
    }
    let no = cusres::rejected(
        &a,
        "LRN-1",
        &[Refusal {
            code: "FLC-NET-EXCEEDS-GROSS".to_owned(),
            message: "net 9 > gross 1".to_owned(),
            pointer: "/items/0/netMassKg".to_owned(),
            at: SegmentRef::parse("segment 31 (MEA) element 4 component 2"),
        }],
    );
    edifact::parse(no.as_bytes(), 1 << 20).unwrap();
    for want in [
        "BGM++LRN-1+27+RE'",
        "ERP++MEA:31'",
        "ERC+FLC-NET-EXCEEDS-GROSS:TAMGA'",
        "FTX+AAO+++segment 31 (MEA) element 4 component 2:/items/0/netMassKg:net 9 > gross 1'",
    ] {
        assert!(lines(&no).contains(&want), "{want} not in\n{no}");
    }
}
