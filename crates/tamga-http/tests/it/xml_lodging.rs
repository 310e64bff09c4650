//! Lodging WCO DEC-DMS XML over `POST /api/v1/declarations` (issue 19):
//! a simulator declaration written as XML (`tamga_messages::write_wco`),
//! signed and lodged, is the declaration its JSON would be; the signature,
//! the caller's identity and replays are checked as for JSON; hostile and
//! broken XML is refused with a code and an XPath, never a 5xx, and
//! nothing is registered; the elements tamga does not model are listed
//! and the message is stored as received.

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_app::demo::demo_signing_key;
use tamga_core::codes::Mrn;
use tamga_core::declaration::Declaration;
use tamga_core::signature;

use crate::common::{codes, TestApp};

stories!(
    xml_lodging_is_the_json_lodging,
    xml_signature_identity_and_replay_are_checked_like_json,
    hostile_and_broken_xml_is_refused_with_codes_and_xpaths,
    elements_tamga_does_not_model_are_listed_and_kept,
);

/// Demo trader `i`'s generated declaration as DEC-DMS XML, and its JSON.
fn xml_of(app: &TestApp, i: usize) -> (Vec<u8>, Value) {
    let doc = app.body(i);
    let d: Declaration = serde_json::from_value(doc.clone()).unwrap();
    let xml = tamga_messages::write_wco(&d).unwrap_or_else(|e| panic!("{e:?}"));
    (xml.into_bytes(), doc)
}

/// POSTs `body` as trader `i` with `content_type`, signed by `signer`
/// (the trader's own key when `None`) over `signed` (the body when
/// `None`).
async fn post(
    app: &TestApp,
    i: usize,
    content_type: &str,
    body: &[u8],
    signed: Option<&[u8]>,
    signer: Option<usize>,
) -> (StatusCode, Value) {
    let t = app.trader(i);
    let key = demo_signing_key(&app.trader(signer.unwrap_or(i)).id);
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&t.token)
        .header("content-type", content_type)
        .header(
            "x-tamga-signature",
            signature::sign(&key, signed.unwrap_or(body)),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(!status.is_server_error(), "{status}");
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn lodge_xml(app: &TestApp, i: usize, xml: &[u8]) -> (StatusCode, Value) {
    post(app, i, "application/xml", xml, None, None).await
}

/// The violations' (code, xpath) pairs of a refusal.
fn located(v: &Value) -> Vec<(String, String)> {
    v["error"]["violations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["code"].as_str().unwrap_or_default().to_owned(),
                        x["xpath"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn xml_lodging_is_the_json_lodging(app: TestApp) {
    let (xml, doc) = xml_of(&app, 0);
    let (s, v) = lodge_xml(&app, 0, &xml).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    assert_eq!(v["state"], "released", "{v}");
    // tamga's own XML has nothing tamga does not use: the list is there,
    // empty.
    assert_eq!(v["notUsed"], json!([]), "{v}");

    // The same declaration lodged as JSON (under another LRN: the LRN is
    // the declarant's idempotency key) reads back the same.
    let mut twin = doc.clone();
    let lrn = format!("{}J", doc["lrn"].as_str().unwrap());
    twin["lrn"] = json!(lrn);
    let (s, j) = app.lodge(0, &twin).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    assert!(j.get("notUsed").is_none(), "a JSON answer has no notUsed");
    let token = &app.trader(0).token;
    let (_, from_xml) = app.get(&format!("/api/v1/declarations/{mrn}"), token).await;
    let (_, from_json) = app
        .get(
            &format!("/api/v1/declarations/{}", j["mrn"].as_str().unwrap()),
            token,
        )
        .await;
    let mut read_xml = from_xml["declaration"].clone();
    read_xml["lrn"] = json!(lrn);
    assert_eq!(read_xml, from_json["declaration"]);
    for field in [
        "type",
        "state",
        "channel",
        "declarant",
        "lodgedBy",
        "office",
    ] {
        assert_eq!(from_xml[field], from_json[field], "{field}");
    }

    // The message is stored as received, with its hash in the `lodged`
    // event (which the signature check and replays use).
    let stored = app
        .store
        .original(&Mrn::parse(&mrn).unwrap())
        .await
        .unwrap()
        .expect("the XML is stored with the declaration");
    assert_eq!(stored.original.body, xml);
    assert_eq!(stored.original.format, "wco-dec-dms-xml");
    let sha = tamga_app::clearance::sha256_hex(&xml);
    assert_eq!(stored.original.body_sha256, sha);
    let events = app.events(&mrn, token).await;
    let lodged = serde_json::to_value(&events[0].body).unwrap();
    assert_eq!(lodged["body_sha256"], sha.as_str(), "{lodged}");
    // A JSON lodging stores no original.
    let json_mrn = Mrn::parse(j["mrn"].as_str().unwrap()).unwrap();
    assert!(app.store.original(&json_mrn).await.unwrap().is_none());

    // `text/xml` is XML too.
    let (xml2, _) = xml_of(&app, 0);
    let (s, v) = post(&app, 0, "text/xml; charset=UTF-8", &xml2, None, None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.count().await, 3);
}

async fn xml_signature_identity_and_replay_are_checked_like_json(app: TestApp) {
    let (xml, doc) = xml_of(&app, 1);
    let json_bytes = serde_json::to_vec(&doc).unwrap();

    // Signed over other bytes: the JSON of the same declaration, or the
    // XML with one byte changed after signing.
    let (s, v) = post(&app, 1, "application/xml", &xml, Some(&json_bytes), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()),
        "{v}"
    );
    let mut tampered = xml.clone();
    let at = tampered.iter().position(|&b| b == b'\n').unwrap();
    tampered[at] = b' ';
    let (s, v) = post(&app, 1, "application/xml", &tampered, Some(&xml), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()),
        "{v}"
    );
    // Signed with another trader's key.
    let (s, v) = post(&app, 1, "application/xml", &xml, None, Some(2)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).contains(&"FLC-SIGNATURE-INVALID".to_owned()),
        "{v}"
    );
    assert_eq!(app.count().await, 0);

    // Another trader lodging trader 1's declaration (signed with its own
    // key): refused as the JSON is, with the same codes.
    let (s, as_json) = app.lodge(2, &doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{as_json}");
    let (s, as_xml) = lodge_xml(&app, 2, &xml).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{as_xml}");
    assert_eq!(codes(&as_xml), codes(&as_json));
    assert!(
        codes(&as_xml).contains(&"FLC-LODGER-NOT-PARTY".to_owned()),
        "{as_xml}"
    );
    // Each of its violations names the element as well as the field.
    for x in as_xml["error"]["violations"].as_array().unwrap() {
        assert!(
            x["xpath"]
                .as_str()
                .is_some_and(|p| p.starts_with("/MetaData/Declaration")),
            "{x}"
        );
    }
    assert_eq!(app.count().await, 0);

    // Lodged, then re-sent: the same declaration, nothing written.
    let (s, first) = lodge_xml(&app, 1, &xml).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = lodge_xml(&app, 1, &xml).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["replay"], true);
    assert_eq!(again["mrn"], first["mrn"]);
    assert_eq!(app.count().await, 1);
    // Other bytes under the same LRN (the same declaration as JSON, or
    // the XML laid out differently): a conflict, at the LRN's element.
    let (s, v) = app.lodge(1, &doc).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "FLC-LRN-CONFLICT");
    let relaid = String::from_utf8(xml.clone())
        .unwrap()
        .replace("\n", "\r\n");
    let (s, v) = lodge_xml(&app, 1, relaid.as_bytes()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "FLC-LRN-CONFLICT");
    assert_eq!(
        v["error"]["pointer"],
        "/MetaData/Declaration/FunctionalReferenceID"
    );
    assert_eq!(app.count().await, 1);
}

async fn hostile_and_broken_xml_is_refused_with_codes_and_xpaths(app: TestApp) {
    let (xml, _) = xml_of(&app, 3);
    let text = String::from_utf8(xml.clone()).unwrap();
    let laughs = {
        let mut s =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            s.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        s.push_str("]>\n<lolz>&lol9;</lolz>\n");
        s
    };
    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<d>&xxe;</d>".to_owned();
    let with_doctype = text.replacen(
        "<md:MetaData",
        "<!DOCTYPE md:MetaData SYSTEM \"http://127.0.0.1:9/x.dtd\">\n<md:MetaData",
        1,
    );
    let entity = text.replacen("<FunctionCode>9<", "<FunctionCode>&xxe;<", 1);
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    // Cut after a whole line: the root is never closed.
    let truncated = text[..text[..text.len() / 2].rfind('\n').unwrap()].to_owned();
    let latin1: Vec<u8> = text
        .replacen("<FunctionCode>9", "<FunctionCode>9\u{e9}", 1)
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let unknown_element = text.replacen("</FunctionCode>", "</FunctionCode><Bogus>1</Bogus>", 1);
    let not_a_declaration = "<?xml version=\"1.0\"?><Invoice xmlns=\"urn:example\"/>".to_owned();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("billion laughs", laughs.into_bytes(), "XML-DOCTYPE", "/"),
        ("external entity", external.into_bytes(), "XML-DOCTYPE", "/"),
        ("DOCTYPE", with_doctype.into_bytes(), "XML-DOCTYPE", "/"),
        (
            "undefined entity",
            entity.into_bytes(),
            "XML-ENTITY",
            "/MetaData/Declaration",
        ),
        ("deeply nested", deep.into_bytes(), "XML-TOO-DEEP", ""),
        ("truncated", truncated.into_bytes(), "XML-TRUNCATED", ""),
        ("ISO-8859-1", latin1, "XML-ENCODING", "/"),
        (
            "schema",
            unknown_element.into_bytes(),
            "SCHEMA-UNEXPECTED",
            "/MetaData/Declaration/Bogus",
        ),
        (
            "not a declaration",
            not_a_declaration.into_bytes(),
            "WCO-NOT-DECLARATION",
            "/Invoice",
        ),
    ];
    for (name, body, code, xpath) in cases {
        let (s, v) = lodge_xml(&app, 3, &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {v}");
        assert_eq!(v["error"]["code"], "DECLARATION_REJECTED", "{name}: {v}");
        let found = located(&v);
        assert!(
            found
                .iter()
                .any(|(c, x)| c.starts_with(code) && x.starts_with(xpath) && !x.is_empty()),
            "{name}: {code} at {xpath} not in {found:?}"
        );
        assert!(
            !v.to_string().contains("root:x:0:0"),
            "{name}: a local file leaked"
        );
        assert_eq!(app.count().await, 0, "{name}: registered");
    }

    // Larger than the API's body limit: refused before it is read.
    let mut huge = text.clone().into_bytes();
    huge.resize(tamga_http::MAX_BODY + 1, b' ');
    let (s, v) = lodge_xml(&app, 3, &huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], "FLC-BODY-TOO-LARGE");

    // A type that is neither JSON nor XML, and XML in another charset.
    for ct in [
        "text/plain",
        "application/octet-stream",
        "application/xml; charset=iso-8859-1",
    ] {
        let (s, v) = post(&app, 3, ct, &xml, None, None).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}: {v}");
        assert_eq!(v["error"]["code"], "CONTENT_TYPE", "{ct}");
    }

    // A message tamga reads but does not act on: a goods presentation
    // (function code 13, GPR).
    let presentation = include_bytes!("../../../tamga-messages/tests/data/presentation_GPR.xml");
    let (s, v) = lodge_xml(&app, 3, presentation).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "XML_FUNCTION_NOT_SUPPORTED");
    assert_eq!(v["error"]["pointer"], "/MetaData/Declaration/FunctionCode");

    // A control error names the field and the element.
    let heavy_net = {
        let tag = "<NetNetWeightMeasure unitCode=\"KGM\">";
        let at = text.find(tag).unwrap() + tag.len();
        let end = at + text[at..].find('<').unwrap();
        format!("{}99999999{}", &text[..at], &text[end..])
    };
    let (s, v) = lodge_xml(&app, 3, heavy_net.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let net = v["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "FLC-NET-EXCEEDS-GROSS")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(net["pointer"], "/items/0/netMassKg", "{net}");
    assert!(
        net["xpath"]
            .as_str()
            .unwrap()
            .ends_with("/Commodity/GoodsMeasure/NetNetWeightMeasure"),
        "{net}"
    );

    // The operator is told of a refused message like of a refused JSON.
    let refusals = app
        .notifications(3)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "rejected")
        .count();
    assert!(refusals >= 10, "{refusals} rejections notified");
    assert_eq!(app.count().await, 0);
}

async fn elements_tamga_does_not_model_are_listed_and_kept(app: TestApp) {
    let (xml, _) = xml_of(&app, 4);
    let text = String::from_utf8(xml).unwrap();
    // DE 8/5, nature of transaction: in DEC-DMS, not in tamga's model.
    let at = text.find("</SequenceNumeric>").unwrap() + "</SequenceNumeric>".len();
    let with = format!(
        "{}<TransactionNatureCode>1</TransactionNatureCode>{}",
        &text[..at],
        &text[at..]
    );
    let (s, v) = lodge_xml(&app, 4, with.as_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let not_used: Vec<&str> = v["notUsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(not_used.len(), 1, "{not_used:?}");
    assert!(
        not_used[0].starts_with("/MetaData/Declaration/GoodsShipment/GovernmentAgencyGoodsItem")
            && not_used[0].ends_with("/TransactionNatureCode"),
        "{not_used:?}"
    );
    // Kept: the stored message holds it, and lists it.
    let mrn = Mrn::parse(v["mrn"].as_str().unwrap()).unwrap();
    let stored = app.store.original(&mrn).await.unwrap().unwrap();
    assert_eq!(stored.original.body, with.as_bytes());
    assert_eq!(stored.original.not_used, not_used);
}
