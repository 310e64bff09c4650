//! Public CDS samples through the reader: what is mapped where, what is
//! listed as not used, the message kinds, and control's violations placed
//! at XPaths.

use serde_json::json;
use tamga_messages::wco_in::MessageKind;
use tamga_messages::{read_wco, to_declaration, Limits};

fn read(name: &str) -> Result<tamga_messages::Mapped, Vec<tamga_messages::MessageError>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_wco(&bytes, &Limits::default())
}

#[test]
fn a_cds_lodgement_maps_every_element_tamga_models() {
    let m = read("lodgement_IM117a.xml").expect("the sample maps");
    assert_eq!(m.kind, MessageKind::Lodgement);
    assert_eq!(m.envelope.type_name.as_deref(), Some("DEC"));
    assert_eq!(m.envelope.responsible_agency.as_deref(), Some("HMRC"));
    let d = &m.document;
    assert_eq!(d["lrn"], json!("U.79274687ENGX"));
    assert_eq!(d["type"], json!("IM"));
    assert_eq!(d["additionalType"], json!("standard"));
    assert_eq!(d["procedure"], json!("4000"));
    assert_eq!(d["additionalProcedures"], json!(["000"]));
    assert_eq!(d["declarant"]["id"], json!("XI896458895015"));
    assert_eq!(d["importer"]["id"], json!("XI896458895015"));
    assert_eq!(d["exporter"]["name"], json!("GB Starch Company"));
    assert_eq!(
        d["exporter"]["address"],
        json!({"street": "1 High Street", "city": "Telford", "postcode": "TF1 1TF", "country": "GB"})
    );
    assert_eq!(d["invoice"], json!({"currency": "GBP", "amount": "25000"}));
    assert_eq!(d["totals"]["packages"], json!(100));
    assert_eq!(d["transport"]["borderMode"], json!("sea"));
    assert_eq!(d["transport"]["borderMeansNationality"], json!("GB"));
    assert_eq!(d["transport"]["container"], json!(true));
    assert_eq!(d["destinationCountry"], json!("GB"));
    assert_eq!(d["dispatchCountry"], json!("GB"));
    assert_eq!(
        d["deliveryTerms"],
        json!({"incoterm": "CIF", "place": "GBBEL"})
    );
    let item = &d["items"][0];
    assert_eq!(item["sequence"], json!(1));
    assert_eq!(item["description"], json!("For the manufacture of starch"));
    assert_eq!(item["hsCode"], json!("0701901000"));
    assert_eq!(item["origin"], json!("GB"));
    assert_eq!(item["preferentialOrigin"], json!("GB"));
    assert_eq!(item["grossMassKg"], json!("2200"));
    assert_eq!(item["netMassKg"], json!("2000"));
    assert_eq!(item["itemPrice"], json!("25000"));
    assert_eq!(item["valuationMethod"], json!(1));
    assert_eq!(
        item["packages"],
        json!({"kind": "BX", "count": 100, "marks": "ADRN123456123"})
    );
    assert_eq!(
        item["documents"][0],
        json!({"type": "N935", "reference": "12345/24.02.2026"})
    );
    assert_eq!(
        item["documents"][3],
        json!({"type": "U110", "reference": "1255512"})
    );
    // Z355 (entry summary) and ZDCR (DUCR) are not transport documents.
    assert!(d.get("transportDocuments").is_none());

    // What tamga does not model is listed, not dropped.
    for unused in [
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/StatisticalValueAmount",
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/TransactionNatureCode",
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/AdditionalDocument[1]/LPCOExemptionCode",
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/AdditionalDocument[2]/Name",
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Classification[3]",
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/DutyTaxFee",
        "/MetaData/Declaration/GoodsShipment/PreviousDocument[1]",
        "/MetaData/Declaration/GoodsShipment/PreviousDocument[2]",
        "/MetaData/Declaration/GoodsShipment/Consignment/GoodsLocation",
        "/MetaData/Declaration/GoodsShipment/Consignment/ArrivalTransportMeans",
        "/MetaData/Declaration/SupervisingOffice",
    ] {
        assert!(m.not_used.contains(&unused.to_owned()), "{unused} not listed in {:#?}", m.not_used);
    }
    // Nothing mapped is listed as unused.
    for p in &m.not_used {
        assert!(
            !p.ends_with("/Description") && !p.contains("GoodsMeasure"),
            "{p} is mapped"
        );
    }
}

#[test]
fn control_violations_point_at_the_elements_of_the_message() {
    let m = read("lodgement_IM117a.xml").expect("the sample maps");
    let violations =
        to_declaration(&m).expect_err("CDS carries no declarant name or office of lodgement");
    let at = |pointer: &str| {
        violations
            .iter()
            .find(|v| v.violation.pointer == pointer)
            .unwrap_or_else(|| panic!("no violation at {pointer}: {violations:#?}"))
    };
    // A missing value points at the element that should hold it.
    let name = at("/declarant/name");
    assert_eq!(name.violation.code, "FLC-REQUIRED");
    assert_eq!(
        name.xpath.as_deref(),
        Some("/MetaData/Declaration/Declarant")
    );
    let office = at("/declarationOffice");
    assert_eq!(office.violation.code, "FLC-REQUIRED");
    assert_eq!(office.xpath.as_deref(), Some("/MetaData/Declaration"));
}

#[test]
fn a_value_in_the_wrong_format_is_reported_by_control_at_its_element() {
    let path = format!(
        "{}/tests/data/lodgement_IM117a.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let xml = std::fs::read_to_string(path).unwrap();
    let xml = xml.replace("<ID>07019010</ID>", "<ID>0701901</ID>");
    let m = read_wco(xml.as_bytes(), &Limits::default()).expect("still schema-valid");
    let violations = to_declaration(&m).unwrap_err();
    let hs = violations
        .iter()
        .find(|v| v.violation.pointer == "/items/0/hsCode")
        .expect("the HS code is reported");
    assert_eq!(hs.violation.code, "FLC-HS-FORMAT");
    assert_eq!(
        hs.xpath.as_deref(),
        Some("/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Classification[1]")
    );
}

#[test]
fn an_amendment_carries_its_mrn_changes_and_reasons() {
    let m = read("amendment_IM002c.xml").expect("the sample maps");
    let MessageKind::Amendment {
        mrn,
        changes,
        statements,
    } = &m.kind
    else {
        panic!("not an amendment: {:?}", m.kind);
    };
    assert_eq!(mrn.as_deref(), Some("25GB3POHWIVZSF9AR0"));
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c.reason_code.is_some()));
    assert!(statements[0]
        .description
        .as_deref()
        .is_some_and(|d| d.contains("TotalPackageQuantity")));
    assert_eq!(m.document["totals"]["packages"], json!(53));
    assert!(
        m.not_used.iter().all(|p| !p.contains("/Amendment")),
        "{:?}",
        m.not_used
    );
}

#[test]
fn a_cancellation_and_a_goods_presentation_are_recognised() {
    let m = read("cancellation_IM011a.xml").expect("the sample maps");
    let MessageKind::Cancellation {
        mrn,
        changes,
        statements,
    } = &m.kind
    else {
        panic!("not a cancellation: {:?}", m.kind);
    };
    assert_eq!(mrn.as_deref(), Some("24GBA4ZYBWXU1BSA00"));
    assert_eq!(changes[0].reason_code.as_deref(), Some("1"));
    assert_eq!(
        statements[0].description.as_deref(),
        Some("This is a duplicate declaration, please cancel")
    );
    assert_eq!(
        m.not_used,
        vec!["/MetaData/Declaration/Submitter".to_owned()]
    );
    let g = read("presentation_GPR.xml").expect("the sample maps");
    assert!(
        matches!(g.kind, MessageKind::GoodsPresentation { mrn: Some(_) }),
        "{:?}",
        g.kind
    );
}

#[test]
fn messages_tamga_cannot_hold_are_refused_with_reasons() {
    let e = read("per_item_procedures_EX039a.xml").expect_err("two procedures in one declaration");
    assert!(e.iter().all(|e| e.code == "WCO-CONFLICT"), "{e:?}");
    assert!(e[0].pointer.contains("GovernmentAgencyGoodsItem[2]"));

    let e = read("malformed_IM084a.xml").expect_err("published malformed");
    assert_eq!(e[0].code, "XML-SYNTAX");
    assert_eq!(e[0].line, Some(164));

    let e = read("notification_DMSACC.xml").expect_err("a notification is no declaration");
    assert_eq!(e[0].code, "WCO-NOT-DECLARATION");
}

#[test]
fn a_declaration_in_hmrcs_submission_wrapper_is_read_and_the_wrapper_listed() {
    let path = format!(
        "{}/tests/data/lodgement_IM117a.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let xml = std::fs::read_to_string(path).unwrap();
    let body = xml.split_once("?>").unwrap().1;
    let wrapped = format!(
        "<v1:submitDeclarationRequest xmlns:v1=\"http://uk/gov/hmrc/mdg/declarationmanagement/submitdeclaration/request/schema/v1\">\
         <v1:requestCommon><v1:regime>CDS</v1:regime></v1:requestCommon>\
         <v1:requestDetail>{body}</v1:requestDetail></v1:submitDeclarationRequest>"
    );
    let m = read_wco(wrapped.as_bytes(), &Limits::default()).expect("the wrapped sample maps");
    assert_eq!(m.document["lrn"], json!("U.79274687ENGX"));
    assert!(m
        .not_used
        .contains(&"/submitDeclarationRequest/requestCommon".to_owned()));
    assert!(m.not_used.contains(
        &"/submitDeclarationRequest/requestDetail/MetaData/Declaration/SupervisingOffice"
            .to_owned()
    ));
}
