//! JSON → XML → JSON: every declaration of tamga-sim's generator, written as
//! DEC-DMS XML, is schema-valid and reads back as the same declaration
//! (issue 19's round-trip property). Optional fields the generator never
//! sets (representative, offices, inland mode …) are set on a share of the
//! declarations so that every field crosses the XML.

mod common;

use common::vary::vary;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tamga_core::declaration::Declaration;
use tamga_core::reference::{ReferenceBundle, SHIPPED};
use tamga_messages::{read_wco, to_declaration, write_wco, Limits, MessageKind};
use tamga_sim::{Expectation, Generator, GeneratorConfig};

#[test]
fn every_simulator_declaration_round_trips_through_wco_xml() {
    let bundle = ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data");
    let mut cfg = GeneratorConfig::demo(40, time::macros::date!(2026 - 11 - 20), 19);
    cfg.error_share = Some(0.0);
    let mut generator = Generator::new(cfg, &bundle).expect("demo configuration");
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let mut checked = 0;
    for n in 0..1500 {
        let s = generator.next();
        assert!(matches!(s.expect, Expectation::Valid));
        let mut d: Declaration =
            serde_json::from_slice(&s.body).expect("the generator writes a declaration");
        if n % 2 == 1 {
            vary(&mut d, &mut rng);
        }
        let xml = write_wco(&d).unwrap_or_else(|e| panic!("declaration {n} not written: {e:?}"));
        let mapped = read_wco(xml.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("declaration {n} not read back: {e:?}\n{xml}"));
        assert_eq!(mapped.kind, MessageKind::Lodgement);
        assert!(
            mapped.not_used.is_empty(),
            "declaration {n}: tamga's own XML has elements tamga does not use: {:?}",
            mapped.not_used
        );
        let back = to_declaration(&mapped)
            .unwrap_or_else(|e| panic!("declaration {n} does not form again: {e:?}\n{xml}"));
        assert_eq!(back, d, "declaration {n} changed on the way:\n{xml}");
        // And the JSON of both is the same text (decimals keep their scale).
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&d).unwrap()
        );
        checked += 1;
    }
    assert_eq!(checked, 1500);
}

#[test]
fn a_transport_document_date_is_refused_not_dropped() {
    let bundle = ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data");
    let mut cfg = GeneratorConfig::demo(4, time::macros::date!(2026 - 11 - 20), 7);
    cfg.error_share = Some(0.0);
    let s = Generator::new(cfg, &bundle).unwrap().next();
    let mut d: Declaration = serde_json::from_slice(&s.body).unwrap();
    let mut t = d.items[0].documents[0].clone();
    t.type_code = tamga_core::codes::DocumentTypeCode::parse("N705").unwrap();
    t.issued_on = Some(time::macros::date!(2026 - 11 - 01));
    d.transport_documents.push(t);
    let errors = write_wco(&d).expect_err("a date DEC-DMS cannot carry");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "OUT-UNREPRESENTABLE");
    assert_eq!(
        errors[0].pointer,
        format!(
            "/transportDocuments/{}/issuedOn",
            d.transport_documents.len() - 1
        )
    );
}
