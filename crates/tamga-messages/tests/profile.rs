//! Code-list profiles: `tamga` is tamga's reference data, `cds` adds the
//! public CDS lists; the profile's code checks on a mapped CDS sample.

use tamga_core::codes::{AdditionalProcedureCode, ProcedureCode};
use tamga_core::reference::ReferenceData;
use tamga_messages::profile::{bundle, cds_error_codes, check_codes};
use tamga_messages::{read_wco, Limits};

#[test]
fn the_cds_profile_adds_the_public_cds_codes_to_tamgas() {
    let tamga = ReferenceData::new(&bundle("tamga").unwrap());
    let cds = ReferenceData::new(&bundle("cds").unwrap());
    let onecs = AdditionalProcedureCode::parse("1CS").unwrap();
    assert!(!tamga.additional_procedure_exists(&onecs));
    assert!(cds.additional_procedure_exists(&onecs));
    let p1040 = ProcedureCode::parse("1040").unwrap();
    assert!(cds.combination_allowed(&p1040, &onecs));
    assert!(!tamga.combination_allowed(&p1040, &onecs));
    // tamga's own codes stay.
    let p4000 = ProcedureCode::parse("4000").unwrap();
    assert!(cds.procedure_types(&p4000).is_some());
    assert!(bundle("nope")
        .unwrap_err()
        .contains("unknown code-list profile"));
    let codes = cds_error_codes().unwrap();
    assert_eq!(codes.len(), 180);
    assert!(codes.iter().any(|c| c.code == "CDS10001"));
}

#[test]
fn a_samples_codes_are_checked_against_the_profile() {
    let path = format!(
        "{}/tests/data/lodgement_IM117a.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut xml = std::fs::read_to_string(path).unwrap();
    // An office of presentation and an additional procedure the public
    // CDS lists know but tamga's do not.
    xml = xml.replace(
        "<SupervisingOffice>",
        "<PresentationOffice><ID>GBBEL004</ID></PresentationOffice><SupervisingOffice>",
    );
    xml = xml.replace(
        "<CurrentCode>000</CurrentCode>",
        "<CurrentCode>1CS</CurrentCode>",
    );
    let m = read_wco(xml.as_bytes(), &Limits::default()).expect("maps");
    let codes = |profile: &str| -> Vec<(String, String)> {
        let r = ReferenceData::new(&bundle(profile).unwrap());
        check_codes(&m.document, &r)
            .into_iter()
            .map(|v| (v.code, v.pointer))
            .collect()
    };
    let tamga = codes("tamga");
    let cds = codes("cds");
    let office = (
        "FLC-OFFICE-UNKNOWN".to_owned(),
        "/presentationOffice".to_owned(),
    );
    // No public CDS office list: unknown under both, and said so.
    assert!(tamga.contains(&office) && cds.contains(&office));
    let additional = (
        "FLC-ADDITIONAL-PROCEDURE-UNKNOWN".to_owned(),
        "/additionalProcedures/0".to_owned(),
    );
    assert!(tamga.contains(&additional));
    assert!(!cds.contains(&additional), "{cds:?}");
    // 1CS is an export code: not allowed with the import procedure 4000.
    assert!(cds.contains(&(
        "FLC-PROCEDURE-COMBINATION".to_owned(),
        "/additionalProcedures/0".to_owned()
    )));
    // N935 is known to both; unknown document codes are pointed at.
    assert!(!cds.iter().any(|(_, p)| p == "/items/0/documents/0/type"));
}
