//! Amendments and cancellations sent as WCO DEC-DMS XML on
//! `POST /api/v1/declarations` (issue 19), as the CDS takes them: function
//! code 13, type COR or INV, the declaration named by `ID`.
//!
//! An amendment carries only what changes; it is applied to the current
//! version and then goes the JSON amendment's way (control, mandate,
//! duties and risk again, a new version, a notification); a cancellation
//! goes the JSON invalidation's way. The stories play a dishonest trader:
//! another trader's MRN, a broker without a mandate, a replayed message, a
//! message after release, a signature over other bytes, a removal.

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_app::clearance::sha256_hex;
use tamga_app::demo::demo_signing_key;
use tamga_core::codes::{CountryCode, Mrn, MrnCategory};
use tamga_core::declaration::Declaration;
use tamga_core::lifecycle::EventBody;
use tamga_core::signature;
use tamga_messages::dms_pointer;

use crate::common::{
    codes, lifecycle_amendment, lifecycle_body_of, lifecycle_unfunded_trader, TestApp,
};

stories!(
    an_xml_amendment_changes_what_it_carries,
    xml_amendments_are_refused_like_json_ones,
    an_xml_cancellation_invalidates,
);

/// Who sends: token and signing key.
struct Sender {
    id: String,
    token: String,
    key: ed25519_dalek::SigningKey,
}

fn demo(app: &TestApp, i: usize) -> Sender {
    let t = app.trader(i);
    Sender {
        id: t.id.clone(),
        token: t.token.clone(),
        key: demo_signing_key(&t.id),
    }
}

/// A trader whose account is empty, so its declarations wait for payment
/// (open to amendment) instead of being released at once.
async fn unfunded(app: &TestApp, n: u8) -> Sender {
    let (id, token, key) = lifecycle_unfunded_trader(app, n).await;
    Sender { id, token, key }
}

/// POSTs `body` as XML to `POST /api/v1/declarations`, signed by
/// `signer` over `signed` (the body when `None`).
async fn post_xml(
    app: &TestApp,
    by: &Sender,
    body: &[u8],
    signed: Option<&[u8]>,
    signer: Option<&Sender>,
) -> (StatusCode, Value) {
    let key = &signer.unwrap_or(by).key;
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&by.token)
        .header("content-type", "application/xml")
        .header(
            "x-tamga-signature",
            signature::sign(key, signed.unwrap_or(body)),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(!status.is_server_error(), "{status}");
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Lodges `doc` as DEC-DMS XML: the MRN.
async fn lodge_xml(app: &TestApp, by: &Sender, doc: &Value) -> (StatusCode, Value) {
    let d: Declaration = serde_json::from_value(doc.clone()).unwrap();
    let xml = tamga_messages::write_wco(&d).unwrap_or_else(|e| panic!("{e:?}"));
    post_xml(app, by, xml.as_bytes(), None, None).await
}

/// An additional message (function code 13) of `type_code` naming `mrn`
/// (none when empty), `content` the elements after `TypeCode`.
fn additional(reference: &str, mrn: &str, type_code: &str, content: &str) -> Vec<u8> {
    let id = if mrn.is_empty() {
        String::new()
    } else {
        format!("<ID>{mrn}</ID>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:MetaData xmlns:md="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">
<md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
<md:WCOTypeName>DEC</md:WCOTypeName>
<Declaration>
<FunctionCode>13</FunctionCode>
<FunctionalReferenceID>{reference}</FunctionalReferenceID>
{id}
<TypeCode>{type_code}</TypeCode>
{content}
</Declaration>
</md:MetaData>"#
    )
    .into_bytes()
}

/// The free-text reason CDS writes with an additional message.
fn reason(text: &str) -> String {
    format!(
        "<AdditionalInformation><StatementDescription>{text}</StatementDescription><StatementTypeCode>AES</StatementTypeCode><Pointer><SequenceNumeric>1</SequenceNumeric><DocumentSectionCode>42A</DocumentSectionCode></Pointer><Pointer><SequenceNumeric>1</SequenceNumeric><DocumentSectionCode>06A</DocumentSectionCode></Pointer></AdditionalInformation>"
    )
}

/// An `Amendment` of reason code 21 pointing at the element of `xpath`
/// (the CDS pointer tamga writes for it).
fn amendment_at(xpath: &str) -> String {
    let steps: String = dms_pointer::pointers(xpath)
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "<Pointer>{}<DocumentSectionCode>{}</DocumentSectionCode>{}</Pointer>",
                p.sequence
                    .map(|n| format!("<SequenceNumeric>{n}</SequenceNumeric>"))
                    .unwrap_or_default(),
                p.section,
                p.tag
                    .as_deref()
                    .map(|t| format!("<TagID>{t}</TagID>"))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!("<Amendment><ChangeReasonCode>21</ChangeReasonCode>{steps}</Amendment>")
}

const DESCRIPTION: &str =
    "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description";

/// An amendment of item `seq`'s description, pointing at item
/// `pointed`'s; `extra` goes before the reason (e.g. an element tamga
/// does not model).
fn description_amendment(
    reference: &str,
    mrn: &str,
    seq: u32,
    pointed: u32,
    description: &str,
    extra: &str,
) -> Vec<u8> {
    let pointer = DESCRIPTION.replace(
        "GovernmentAgencyGoodsItem",
        &format!("GovernmentAgencyGoodsItem[{pointed}]"),
    );
    additional(
        reference,
        mrn,
        "COR",
        &format!(
            "{extra}{}{}<GoodsShipment><GovernmentAgencyGoodsItem><SequenceNumeric>{seq}</SequenceNumeric><Commodity><Description>{description}</Description></Commodity></GovernmentAgencyGoodsItem></GoodsShipment>",
            reason("the description was incomplete"),
            amendment_at(&pointer)
        ),
    )
}

fn cancellation(reference: &str, mrn: &str, why: Option<&str>) -> Vec<u8> {
    let content = format!(
        "{}<Amendment><ChangeReasonCode>1</ChangeReasonCode></Amendment>",
        why.map(reason).unwrap_or_default()
    );
    additional(reference, mrn, "INV", &content)
}

async fn declaration(app: &TestApp, mrn: &str, token: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/declarations/{mrn}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn an_xml_amendment_changes_what_it_carries(app: TestApp) {
    let t = unfunded(&app, 5).await;
    let doc = lifecycle_body_of(&app, &t.id);
    let (s, v) = lodge_xml(&app, &t, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let before = declaration(&app, &mrn, &t.token).await;

    // The amendment carries item 1's description, and a Submitter tamga
    // does not model.
    let old = before["declaration"]["items"][0]["description"]
        .as_str()
        .unwrap()
        .to_owned();
    let new = format!("{old}, amended");
    let xml = description_amendment(
        "AMEND-1",
        &mrn,
        1,
        1,
        &new,
        &format!("<Submitter><ID>{}</ID></Submitter>", t.id),
    );
    let (s, v) = post_xml(&app, &t, &xml, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mrn"], mrn.as_str());
    assert_eq!(v["version"], 2, "{v}");
    assert_eq!(
        v["notUsed"],
        json!(["/MetaData/Declaration/Submitter"]),
        "{v}"
    );
    // Exactly that element changed: the rest is the declaration as it was.
    let after = declaration(&app, &mrn, &t.token).await;
    assert_eq!(
        after["declaration"]["items"][0]["description"],
        new.as_str()
    );
    let mut back = after["declaration"].clone();
    back["items"][0]["description"] = json!(old);
    assert_eq!(back, before["declaration"]);
    assert_eq!(after["lrn"], before["lrn"]);

    // Recorded as an amendment signed over these bytes; the trader is told.
    let sha = sha256_hex(&xml);
    let events = app.events(&mrn, &t.token).await;
    assert!(events.iter().any(|e| matches!(
        &e.body,
        EventBody::Amended { version: 2, body_sha256, .. } if *body_sha256 == sha
    )));
    let notes = app.get("/api/v1/notifications?after=0", &t.token).await.1;
    assert!(notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "amended" && n["mrn"] == mrn.as_str()));

    // Both messages are kept, byte for byte; the lodgement is still the
    // declaration's original.
    let m = Mrn::parse(&mrn).unwrap();
    let originals = app.store.originals(&m).await.unwrap();
    let acts: Vec<&str> = originals.iter().map(|o| o.original.act.as_str()).collect();
    assert_eq!(acts, ["lodgement", "amendment"]);
    assert_eq!(originals[1].original.body, xml);
    assert_eq!(originals[1].original.body_sha256, sha);
    assert_eq!(
        originals[1].original.not_used,
        ["/MetaData/Declaration/Submitter"]
    );
    assert_eq!(
        app.store.original(&m).await.unwrap().unwrap().original.act,
        "lodgement"
    );

    // The same signed message again: answered, not applied twice.
    let (s, v) = post_xml(&app, &t, &xml, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(app.store.originals(&m).await.unwrap().len(), 2);
    assert_eq!(app.events(&mrn, &t.token).await.len(), events.len());

    // A declaration lodged as JSON is amended by XML just the same.
    let doc = lifecycle_body_of(&app, &t.id);
    let (s, v) = app
        .send_signed(
            "/api/v1/declarations",
            &t.token,
            Some(&t.key),
            &serde_json::to_vec(&doc).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let json_mrn = v["mrn"].as_str().unwrap().to_owned();
    let xml = description_amendment("AMEND-2", &json_mrn, 1, 1, "Amended goods, in boxes", "");
    let (s, v) = post_xml(&app, &t, &xml, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    assert_eq!(v["notUsed"], json!([]));
    assert_eq!(
        v["declaration"]["items"][0]["description"],
        "Amended goods, in boxes"
    );
    let m = Mrn::parse(&json_mrn).unwrap();
    assert!(app.store.original(&m).await.unwrap().is_none());
    assert_eq!(app.store.originals(&m).await.unwrap().len(), 1);
}

async fn xml_amendments_are_refused_like_json_ones(app: TestApp) {
    let t = unfunded(&app, 6).await;
    let broker = demo(&app, 2);
    let other = demo(&app, 3);
    // Lodged by the declarant, naming the broker as its representative
    // (the broker holds no mandate).
    let mut doc = lifecycle_body_of(&app, &t.id);
    doc["representative"] = json!({"id": broker.id, "name": "Broker", "kind": "direct"});
    let (s, v) = lodge_xml(&app, &t, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let lodged = declaration(&app, &mrn, &t.token).await;
    let amend = |reference: &str| description_amendment(reference, &mrn, 1, 1, "Amended", "");

    // Another trader naming this MRN: not found, as the JSON act is, and
    // as for an MRN that does not exist.
    let xml = amend("NOT-MINE");
    let (s, as_xml) = post_xml(&app, &other, &xml, None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{as_xml}");
    let (s, as_json) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &other.token,
            Some(&other.key),
            &lifecycle_amendment(&mrn, &doc),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{as_json}");
    assert_eq!(as_xml["error"]["code"], as_json["error"]["code"]);
    let missing = Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        987_654,
        MrnCategory::Import,
    )
    .unwrap();
    let (s, v) = post_xml(
        &app,
        &other,
        &description_amendment("NONE", missing.as_str(), 1, 1, "Amended", ""),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["code"], as_xml["error"]["code"]);

    // Signed over other bytes, or with another trader's key.
    let xml = amend("OTHER-BYTES");
    let (s, v) = post_xml(&app, &t, &xml, Some(b"<x/>"), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()),
        "{v}"
    );
    let (s, v) = post_xml(&app, &t, &xml, None, Some(&other)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()),
        "{v}"
    );

    // The broker named as representative, without a mandate: refused as
    // the JSON amendment is.
    let (s, v) = post_xml(&app, &broker, &amend("BROKER"), None, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(codes(&v).contains(&"FLC-MANDATE-MISSING".to_owned()), "{v}");
    let (s, j) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &broker.token,
            Some(&broker.key),
            &lifecycle_amendment(&mrn, &doc),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{j}");
    assert!(codes(&j).contains(&"FLC-MANDATE-MISSING".to_owned()), "{j}");

    // A removal: pointing at item 2, which the message does not carry.
    let (s, v) = post_xml(
        &app,
        &t,
        &description_amendment("REMOVAL", &mrn, 1, 2, "Amended", ""),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(codes(&v), ["WCO-AMEND-NOT-CARRIED"]);
    assert_eq!(
        v["error"]["violations"][0]["xpath"],
        "/MetaData/Declaration/Amendment"
    );
    // No MRN in ID.
    let (s, v) = post_xml(
        &app,
        &t,
        &description_amendment("NO-ID", "", 1, 1, "Amended", ""),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "SIGNED_MRN");
    assert_eq!(v["error"]["pointer"], "/MetaData/Declaration/ID");
    // A value the schema refuses, and a change control refuses: each
    // violation names the element, control's the field too.
    let long = "x".repeat(600);
    let (s, v) = post_xml(
        &app,
        &t,
        &description_amendment("TOO-LONG", &mrn, 1, 1, &long, ""),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(codes(&v), ["SCHEMA-VALUE"]);
    assert_eq!(v["error"]["violations"][0]["xpath"], DESCRIPTION);
    let net = "/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem/Commodity/GoodsMeasure/NetNetWeightMeasure";
    let heavy = additional(
        "HEAVY",
        &mrn,
        "COR",
        &format!(
            "{}{}<GoodsShipment><GovernmentAgencyGoodsItem><SequenceNumeric>1</SequenceNumeric><Commodity><GoodsMeasure><NetNetWeightMeasure unitCode=\"KGM\">99999999</NetNetWeightMeasure></GoodsMeasure></Commodity></GovernmentAgencyGoodsItem></GoodsShipment>",
            reason("net mass"),
            amendment_at(net)
        ),
    );
    let (s, v) = post_xml(&app, &t, &heavy, None, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let located = v["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "FLC-NET-EXCEEDS-GROSS")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(located["pointer"], "/items/0/netMassKg", "{v}");
    assert_eq!(located["xpath"], net, "{v}");
    // Nothing of it was applied.
    let now = declaration(&app, &mrn, &t.token).await;
    assert_eq!(now["version"], 1, "{now}");
    assert_eq!(now["declaration"], lodged["declaration"]);
    let m = Mrn::parse(&mrn).unwrap();
    assert_eq!(app.store.originals(&m).await.unwrap().len(), 1);

    // After release: refused as the JSON amendment is.
    let funded = demo(&app, 0);
    let (s, v) = lodge_xml(&app, &funded, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "released", "{v}");
    let released = v["mrn"].as_str().unwrap().to_owned();
    let (s, as_xml) = post_xml(
        &app,
        &funded,
        &description_amendment("LATE", &released, 1, 1, "Amended", ""),
        None,
        None,
    )
    .await;
    let (js, as_json) = app
        .send_signed(
            &format!("/api/v1/declarations/{released}/amendments"),
            &funded.token,
            Some(&funded.key),
            &lifecycle_amendment(&released, &v["declaration"]),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{as_xml}");
    assert_eq!(
        (s, &as_xml["error"]["code"]),
        (js, &as_json["error"]["code"])
    );
}

async fn an_xml_cancellation_invalidates(app: TestApp) {
    let t = unfunded(&app, 7).await;
    let (s, v) = lodge_xml(&app, &t, &lifecycle_body_of(&app, &t.id)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let m = Mrn::parse(&mrn).unwrap();

    // Without a reason: refused as the JSON invalidation is.
    let (s, v) = post_xml(&app, &t, &cancellation("C-0", &mrn, None), None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "INVALIDATION_REASON");
    assert_eq!(
        v["error"]["pointer"],
        "/MetaData/Declaration/AdditionalInformation"
    );
    // Another trader's.
    let other = demo(&app, 3);
    let xml = cancellation("C-1", &mrn, Some("This is a duplicate declaration"));
    let (s, v) = post_xml(&app, &other, &xml, None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(
        declaration(&app, &mrn, &t.token).await["state"],
        "awaiting_payment"
    );

    let (s, v) = post_xml(&app, &t, &xml, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated", "{v}");
    assert_eq!(v["notUsed"], json!([]), "{v}");
    let events = app.events(&mrn, &t.token).await;
    let sha = sha256_hex(&xml);
    assert!(events.iter().any(|e| matches!(
        &e.body,
        EventBody::Invalidated { reason, body_sha256: Some(h), .. }
            if reason == "This is a duplicate declaration" && *h == sha
    )));
    let acts: Vec<String> = app
        .store
        .originals(&m)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.original.act)
        .collect();
    assert_eq!(acts, ["lodgement", "cancellation"]);

    // Again: a replay; then an amendment of the invalidated declaration.
    let (s, v) = post_xml(&app, &t, &xml, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["replay"], true);
    assert_eq!(app.events(&mrn, &t.token).await.len(), events.len());
    let (s, v) = post_xml(
        &app,
        &t,
        &description_amendment("AFTER", &mrn, 1, 1, "Amended", ""),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // A goods presentation is still not handled.
    let gpr = include_bytes!("../../../tamga-messages/tests/data/presentation_GPR.xml");
    let (s, v) = post_xml(&app, &t, gpr, None, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "XML_FUNCTION_NOT_SUPPORTED");
    assert_eq!(v["error"]["pointer"], "/MetaData/Declaration/FunctionCode");
}
