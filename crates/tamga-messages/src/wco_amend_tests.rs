//! The merge on HMRC's CDS samples: each base declaration mapped, then
//! its amendment applied; the merged declaration differs from the base in
//! exactly what the amendment carries.

use serde_json::{json, Value};

use super::*;
use crate::wco_in::MessageKind;
use crate::{read_wco_tree, Limits};

const IM002A: &str = include_str!("../tests/data/lodgement_IM002a.xml");
const IM002B: &str = include_str!("../tests/data/amendment_IM002b.xml");
const IM002C: &str = include_str!("../tests/data/amendment_IM002c.xml");
const ADD_ITEM_BASE: &str = include_str!("../tests/data/lodgement_add_item.xml");
const ADD_ITEM: &str = include_str!("../tests/data/amendment_add_item.xml");
const IM011A_CANCEL: &str = include_str!("../tests/data/cancellation_IM011a.xml");

fn base(xml: &str) -> Value {
    let (_, m) = read_wco_tree(xml.as_bytes(), &Limits::default()).expect("the base maps");
    assert_eq!(m.kind, MessageKind::Lodgement);
    m.document
}

fn amend(base: &Value, xml: &str) -> Result<Merged, Vec<MessageError>> {
    let (tree, m) = read_wco_tree(xml.as_bytes(), &Limits::default()).expect("the amendment maps");
    assert!(
        matches!(m.kind, MessageKind::Amendment { .. }),
        "{:?}",
        m.kind
    );
    merge(base, &m, &tree)
}

fn codes(e: &[MessageError]) -> Vec<&str> {
    e.iter().map(|e| e.code).collect()
}

/// `merged` with the values at `pointers` put back as in `base` (or
/// removed when `base` has none) equals `base`.
fn only_differs_at(base: &Value, merged: &Value, pointers: &[&str]) {
    let mut back = merged.clone();
    for p in pointers {
        match base.pointer(p) {
            Some(v) => json_doc::set(&mut back, p, v.clone()),
            None => {
                let (parent, key) = p.rsplit_once('/').unwrap();
                let holder = back.pointer_mut(parent).unwrap();
                match holder {
                    Value::Array(a) => {
                        a.remove(key.parse::<usize>().unwrap());
                    }
                    Value::Object(o) => {
                        o.remove(key);
                    }
                    _ => panic!("{p}"),
                }
            }
        }
    }
    assert_eq!(&back, base);
}

#[test]
fn im002b_changes_the_item_price_and_nothing_else() {
    let b = base(IM002A);
    let m = amend(&b, IM002B).unwrap();
    assert_eq!(m.changed, ["/items/0/itemPrice"]);
    assert_eq!(m.document["items"][0]["itemPrice"], "999");
    assert_ne!(b["items"][0]["itemPrice"], "999");
    only_differs_at(&b, &m.document, &["/items/0/itemPrice"]);
    assert_eq!(
        m.sources["/items/0/itemPrice"],
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/InvoiceLine/ItemChargeAmount"
    );
    assert!(m.added_items.is_empty());
}

#[test]
fn im002c_changes_the_exporter_the_package_counts() {
    let b = base(IM002A);
    let m = amend(&b, IM002C).unwrap();
    let mut changed = m.changed.clone();
    changed.sort();
    // Each pointed-at element; the exporter's country and the packaging's
    // kind and marks are carried with their group, unchanged.
    assert_eq!(
        changed,
        [
            "/exporter/address/city",
            "/exporter/address/postcode",
            "/exporter/address/street",
            "/exporter/name",
            "/items/0/packages/count",
            "/totals/packages",
        ]
    );
    assert_eq!(m.document["totals"]["packages"], 53);
    assert_eq!(m.document["exporter"]["name"], "Detroit Cocoa Company");
    assert_eq!(m.document["exporter"]["address"]["city"], "Detroit");
    assert_eq!(m.document["items"][0]["packages"]["count"], 53);
    only_differs_at(
        &b,
        &m.document,
        &changed.iter().map(String::as_str).collect::<Vec<_>>(),
    );
}

#[test]
fn a_new_sequence_adds_the_goods_item() {
    let b = base(ADD_ITEM_BASE);
    assert_eq!(b["items"].as_array().unwrap().len(), 2);
    let m = amend(&b, ADD_ITEM).unwrap();
    assert_eq!(m.added_items, [3]);
    let items = m.document["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2]["sequence"], 3);
    assert_eq!(items[2]["description"], "Hair clippers");
    assert_eq!(items[2]["hsCode"], "8510200000");
    assert_eq!(m.document["totals"]["packages"], 80);
    // The first two items are untouched.
    assert_eq!(items[..2], b["items"].as_array().unwrap()[..]);
    assert_eq!(
        m.sources["/items/2/description"],
        "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description"
    );
    let mut changed = m.changed.clone();
    changed.sort();
    assert_eq!(changed, ["/items/2", "/totals/packages"]);
}

#[test]
fn goods_item_quantity_must_count_the_amended_items() {
    let b = base(ADD_ITEM_BASE);
    let xml = ADD_ITEM.replace(
        "<GoodsItemQuantity>3</GoodsItemQuantity>",
        "<GoodsItemQuantity>4</GoodsItemQuantity>",
    );
    let e = amend(&b, &xml).unwrap_err();
    assert_eq!(codes(&e), ["WCO-CONFLICT"]);
    assert_eq!(e[0].pointer, "/MetaData/Declaration/GoodsItemQuantity");
}

#[test]
fn a_pointer_at_what_is_not_carried_is_a_removal_and_refused() {
    let b = base(IM002A);
    let start = IM002B.find("<GoodsShipment>").unwrap();
    let end = IM002B.find("</GoodsShipment>").unwrap() + "</GoodsShipment>".len();
    let xml = format!("{}{}", &IM002B[..start], &IM002B[end..]);
    let e = amend(&b, &xml).unwrap_err();
    assert_eq!(codes(&e), [AMEND_NOT_CARRIED]);
    assert_eq!(e[0].pointer, "/MetaData/Declaration/Amendment");
    assert!(
        e[0].message.contains(
            "Declaration/GoodsShipment/GovernmentAgencyGoodsItem[sequence 1]/Commodity/InvoiceLine/ItemChargeAmount"
        ),
        "{}",
        e[0].message
    );
    // Pointing at item 2, which the message does not carry.
    let xml = IM002B.replacen(
        "<SequenceNumeric>1</SequenceNumeric>\n\t\t\t\t\t\t<DocumentSectionCode>68A",
        "<SequenceNumeric>2</SequenceNumeric>\n\t\t\t\t\t\t<DocumentSectionCode>68A",
        1,
    );
    assert_ne!(xml, IM002B);
    assert_eq!(codes(&amend(&b, &xml).unwrap_err()), [AMEND_NOT_CARRIED]);
}

#[test]
fn a_pointer_that_names_nothing_is_refused_with_its_step() {
    let b = base(IM002A);
    let xml = IM002B.replace(
        "<DocumentSectionCode>79A</DocumentSectionCode>",
        "<DocumentSectionCode>99Z</DocumentSectionCode>",
    );
    let e = amend(&b, &xml).unwrap_err();
    assert_eq!(codes(&e), [AMEND_POINTER]);
    assert_eq!(e[0].pointer, "/MetaData/Declaration/Amendment/Pointer[5]");
}

#[test]
fn an_item_amount_in_another_currency_is_a_conflict() {
    let b = base(IM002A);
    let xml = IM002B.replace(
        "<ItemChargeAmount currencyID=\"GBP\">",
        "<ItemChargeAmount currencyID=\"EUR\">",
    );
    let e = amend(&b, &xml).unwrap_err();
    assert_eq!(codes(&e), ["WCO-CONFLICT"]);
    assert!(
        e[0].pointer.ends_with("/ItemChargeAmount/@currencyID"),
        "{}",
        e[0].pointer
    );
}

#[test]
fn carrying_fewer_documents_than_the_item_has_is_refused() {
    let b = base(IM002A);
    let docs = b["items"][0]["documents"].as_array().unwrap().len();
    assert!(docs > 1, "{docs}");
    let xml = IM002B.replace(
        "<SequenceNumeric>1</SequenceNumeric>\n\t\t\t\t\t\t<Commodity>",
        "<SequenceNumeric>1</SequenceNumeric>\n\t\t\t\t\t\t<AdditionalDocument><CategoryCode>N</CategoryCode><ID>X1</ID><TypeCode>935</TypeCode></AdditionalDocument>\n\t\t\t\t\t\t<Commodity>",
    );
    assert_ne!(xml, IM002B);
    let e = amend(&b, &xml).unwrap_err();
    assert_eq!(codes(&e), [AMEND_GROUP]);
    // Carrying them all, one changed, replaces the list.
    let mut all = String::new();
    for d in b["items"][0]["documents"].as_array().unwrap() {
        let t = d["type"].as_str().unwrap();
        let r = d["reference"].as_str().unwrap_or("");
        let r = if t == "N935" { "NEW-REF" } else { r };
        let id = if r.is_empty() {
            String::new()
        } else {
            format!("<ID>{r}</ID>")
        };
        all.push_str(&format!(
            "<AdditionalDocument><CategoryCode>{}</CategoryCode>{id}<TypeCode>{}</TypeCode></AdditionalDocument>",
            &t[..1],
            &t[1..]
        ));
    }
    let xml = IM002B.replace(
        "<SequenceNumeric>1</SequenceNumeric>\n\t\t\t\t\t\t<Commodity>",
        &format!("<SequenceNumeric>1</SequenceNumeric>{all}<Commodity>"),
    );
    let m = amend(&b, &xml).unwrap();
    let merged = m.document["items"][0]["documents"].as_array().unwrap();
    assert_eq!(merged.len(), docs);
    assert!(merged.iter().any(|d| d["reference"] == "NEW-REF"));
}

#[test]
fn a_per_item_procedure_changes_only_with_every_item() {
    let b = base(ADD_ITEM_BASE);
    assert_eq!(b["procedure"], "4000");
    // Item 1 again with another procedure; item 2 not carried.
    let xml = ADD_ITEM
        .replace(
            "<SequenceNumeric>3</SequenceNumeric>",
            "<SequenceNumeric>1</SequenceNumeric>",
        )
        .replace(
            "<GoodsItemQuantity>3</GoodsItemQuantity>",
            "<GoodsItemQuantity>2</GoodsItemQuantity>",
        )
        .replace(
            "<CurrentCode>40</CurrentCode>",
            "<CurrentCode>42</CurrentCode>",
        )
        .replace(
            "<SequenceNumeric>3</SequenceNumeric>\n\t\t\t\t<DocumentSectionCode>68A",
            "<SequenceNumeric>1</SequenceNumeric>\n\t\t\t\t<DocumentSectionCode>68A",
        );
    let e = amend(&b, &xml).unwrap_err();
    assert!(
        e.iter().any(|e| e.code == "WCO-CONFLICT"
            && e.message.starts_with("procedure is given per goods item")),
        "{e:?}"
    );
}

#[test]
fn the_amendments_own_reference_is_not_the_lrn() {
    let b = base(IM002A);
    let m = amend(&b, IM002B).unwrap();
    assert_eq!(m.document["lrn"], b["lrn"]);
    assert_ne!(m.document["lrn"], json!("TT_IM02b_1803_002"));
}

#[test]
fn the_cancellation_reason_is_its_statement() {
    let (_, m) = read_wco_tree(IM011A_CANCEL.as_bytes(), &Limits::default()).unwrap();
    let MessageKind::Cancellation {
        statements, mrn, ..
    } = &m.kind
    else {
        panic!("{:?}", m.kind)
    };
    assert_eq!(mrn.as_deref(), Some("24GBA4ZYBWXU1BSA00"));
    assert_eq!(
        cancellation_reason(statements, "/MetaData/Declaration").unwrap(),
        "This is a duplicate declaration, please cancel"
    );
    let e = cancellation_reason(&[], "/MetaData/Declaration").unwrap_err();
    assert_eq!(e.code, CANCEL_REASON);
    assert_eq!(e.pointer, "/MetaData/Declaration/AdditionalInformation");
}
