//! Notifications in the language of the lodging (issue 19): a trader
//! that lodged WCO DEC-DMS XML pulls its notifications as CDS DMS
//! response XML (`Accept: application/xml`) and has them pushed to its
//! webhook as DMS documents, signed over the exact bytes; JSON stays the
//! default; nobody gets another trader's notifications; a trader never
//! reads why its declaration was selected.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_app::demo::demo_signing_key;
use tamga_core::declaration::Declaration;
use tamga_core::signature;
use tamga_messages::dms_out;
use tamga_messages::xml::{self, Element, Limits};

use crate::common::{self, TestApp};

stories!(
    xml_lodgings_pull_their_notifications_as_dms,
    a_rejected_xml_lodging_is_a_dmsrej_with_codes_and_pointers,
    xml_pull_is_negotiated_and_only_the_callers_own,
    a_selected_declaration_says_the_channel_only,
    payment_awaited_then_amended_under_control,
);

webhook_loopback_stories!(xml_lodgings_are_pushed_as_signed_dms_documents);

/// `doc` as DEC-DMS XML.
fn to_xml(doc: &Value) -> Vec<u8> {
    let d: Declaration = serde_json::from_value(doc.clone()).unwrap();
    tamga_messages::write_wco(&d)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .into_bytes()
}

/// Lodges `xml` as trader `i`, signed with its key.
async fn lodge_xml(app: &TestApp, i: usize, xml: &[u8]) -> (StatusCode, Value) {
    let t = app.trader(i);
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&t.token)
        .header("content-type", "application/xml")
        .header(
            "x-tamga-signature",
            signature::sign(&demo_signing_key(&t.id), xml),
        )
        .body(xml.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status();
    assert!(!status.is_server_error(), "{status}");
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `GET /api/v1/notifications` with `accept`: status, content type, body.
async fn pull(app: &TestApp, token: &str, accept: Option<&str>) -> (StatusCode, String, String) {
    let mut req = app
        .http
        .get(format!("{}/api/v1/notifications?after=0", app.base))
        .bearer_auth(token);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.unwrap())
}

/// One pulled notification: its attributes and DMS responses.
#[derive(Debug)]
struct Pulled {
    kind: String,
    mrn: Option<String>,
    /// Per response: function code, declaration ID, the whole text.
    responses: Vec<(String, Option<String>)>,
    text: String,
}

fn child_text(e: &Element, path: &[&str]) -> Option<String> {
    let mut here = e;
    for p in path {
        here = here.child(p)?;
    }
    Some(here.text.trim().to_owned())
}

/// Parses the XML list, checking every DMS document against the shipped
/// DMS response schema.
fn parse_list(body: &str) -> Vec<Pulled> {
    let root = xml::parse(body.as_bytes(), &Limits::default()).expect("well-formed XML");
    assert_eq!(root.name, "Notifications");
    assert_eq!(root.ns.as_deref(), Some("urn:tamga:notifications:1"));
    assert!(root.attribute("nextAfter").is_some());
    root.children
        .iter()
        .map(|n| {
            assert_eq!(n.name, "Notification");
            let responses = match n.child("MetaData") {
                Some(md) => {
                    let errors = dms_out::schema().validate(md);
                    assert!(errors.is_empty(), "{errors:?}\n{body}");
                    md.children_named("Response")
                        .map(|r| {
                            (
                                child_text(r, &["FunctionCode"]).unwrap_or_default(),
                                child_text(r, &["Declaration", "ID"]),
                            )
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            Pulled {
                kind: n.attribute("kind").unwrap_or_default().to_owned(),
                mrn: n.attribute("mrn").map(str::to_owned),
                responses,
                text: body.to_owned(),
            }
        })
        .collect()
}

async fn xml_lodgings_pull_their_notifications_as_dms(app: TestApp) {
    let t = app.trader(0);
    let (s, v) = lodge_xml(&app, 0, &to_xml(&app.body(0))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    assert_eq!(v["state"], "released", "{v}");

    let (s, ct, body) = pull(&app, &t.token, Some("application/xml")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(ct.starts_with("application/xml"), "{ct}");
    let list = parse_list(&body);
    let ours: Vec<&Pulled> = list
        .iter()
        .filter(|n| n.mrn.as_deref() == Some(&mrn))
        .collect();
    let kinds: Vec<&str> = ours.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["registered", "released"], "{body}");
    // Accepted with the MRN, and the duties in the same envelope.
    let codes: Vec<&str> = ours[0].responses.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(codes, ["01", "13"], "{body}");
    assert!(ours[0]
        .responses
        .iter()
        .all(|(_, id)| id.as_deref() == Some(&mrn)));
    assert_eq!(ours[1].responses[0].0, "09");
    // The duties per item: type, base, rate, amount, and the payment
    // reference of the declarant (who pays).
    let reference =
        tamga_core::ledger::payment_reference(&tamga_core::codes::Eori::parse(&t.id).unwrap());
    assert!(
        body.contains(&format!("<ReferenceID>{reference}</ReferenceID>")),
        "{body}"
    );
    for element in [
        "<TypeCode>",
        "<TaxAssessedAmount currencyID=",
        "<AdValoremTaxBaseAmount",
        "<TaxRateNumeric>",
        "<SequenceNumeric>1</SequenceNumeric>",
    ] {
        assert!(body.contains(element), "{element} missing: {body}");
    }
    assert!(ours[0].text.contains("<AcceptanceDateTime>"));

    // JSON stays the default, with the same notifications.
    let (s, ct, json_body) = pull(&app, &t.token, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("application/json"), "{ct}");
    let page: Value = serde_json::from_str(&json_body).unwrap();
    let json_kinds: Vec<&str> = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["mrn"] == mrn.as_str())
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(json_kinds, kinds);
    assert_eq!(page["nextAfter"].as_i64().unwrap().to_string(), {
        let root = xml::parse(body.as_bytes(), &Limits::default()).unwrap();
        root.attribute("nextAfter").unwrap().to_owned()
    });
}

async fn a_rejected_xml_lodging_is_a_dmsrej_with_codes_and_pointers(app: TestApp) {
    let t = app.trader(1);
    // Schema-invalid: an element DEC-DMS does not have, in the first item.
    let xml = String::from_utf8(to_xml(&app.body(1))).unwrap();
    let broken = xml.replacen(
        "<GovernmentAgencyGoodsItem>",
        "<GovernmentAgencyGoodsItem>\n<Nonsense>1</Nonsense>",
        1,
    );
    let (s, v) = lodge_xml(&app, 1, broken.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Control: the first item's net mass above its gross mass.
    let mut doc = app.body(1);
    let gross = match &doc["items"][0]["grossMassKg"] {
        Value::String(g) => g.clone(),
        other => other.to_string(),
    };
    doc["items"][0]["netMassKg"] = json!(format!("9{gross}"));
    let (s, v) = lodge_xml(&app, 1, &to_xml(&doc)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(app.count().await, 0);

    let (s, _, body) = pull(&app, &t.token, Some("application/xml")).await;
    assert_eq!(s, StatusCode::OK);
    let list = parse_list(&body);
    let rejected: Vec<&Pulled> = list.iter().filter(|n| n.kind == "rejected").collect();
    assert_eq!(rejected.len(), 2, "{body}");
    for r in &rejected {
        assert_eq!(r.responses.len(), 1);
        assert_eq!(r.responses[0].0, "03");
        assert_eq!(r.responses[0].1, None, "nothing was registered: no MRN");
    }
    // The schema error: CDS's "not allowed", pointing at the item (68A, its
    // sequence), tamga's code in the description.
    assert!(
        body.contains("<ValidationCode>CDS10002</ValidationCode>"),
        "{body}"
    );
    assert!(body.contains("SCHEMA-UNEXPECTED: "), "{body}");
    assert!(
        body.contains("<DocumentSectionCode>68A</DocumentSectionCode>"),
        "{body}"
    );
    // The control error: CDS's "net mass must be lower than gross mass",
    // tamga's code and JSON pointer, and the element's pointer down to the
    // goods measure of item 1.
    assert!(
        body.contains("<ValidationCode>CDS11006</ValidationCode>"),
        "{body}"
    );
    assert!(body.contains("FLC-NET-EXCEEDS-GROSS: "), "{body}");
    assert!(body.contains("(JSON pointer /items/0/netMassKg)"), "{body}");
    assert!(
        body.contains("<SequenceNumeric>1</SequenceNumeric>"),
        "{body}"
    );
    assert!(body.contains("<RejectionDateTime>"));
}

async fn xml_pull_is_negotiated_and_only_the_callers_own(app: TestApp) {
    let (s, v) = lodge_xml(&app, 2, &to_xml(&app.body(2))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    // Another trader gets none of them, in either format.
    let other = &app.trader(3).token;
    let (s, _, body) = pull(&app, other, Some("application/xml")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!body.contains(&mrn), "{body}");
    assert!(parse_list(&body)
        .iter()
        .all(|n| n.mrn.as_deref() != Some(&mrn)));
    let (_, _, body) = pull(&app, other, None).await;
    assert!(!body.contains(&mrn));
    // Without a token, or as a customs user: refused.
    let (s, _, _) = pull(&app, "", Some("application/xml")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = pull(&app, &app.user_token("officer"), Some("application/xml")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Both refused: 406 with its code; naming neither gets JSON.
    let mine = &app.trader(2).token;
    for accept in ["text/html", "", "image/png"] {
        let (s, ct, body) = pull(&app, mine, Some(accept)).await;
        assert_eq!(s, StatusCode::OK, "{accept}: {body}");
        assert!(ct.starts_with("application/json"), "{accept}: {ct}");
    }
    for accept in ["application/json;q=0, application/xml;q=0", "*/*;q=0"] {
        let (s, ct, body) = pull(&app, mine, Some(accept)).await;
        assert_eq!(s, StatusCode::NOT_ACCEPTABLE, "{accept}: {body}");
        assert!(ct.starts_with("application/json"), "{ct}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "NOT_ACCEPTABLE", "{v}");
    }
    // Preferences: XML preferred by q, JSON on a tie or for */*.
    let (_, ct, _) = pull(&app, mine, Some("application/json;q=0.4, text/xml")).await;
    assert!(ct.starts_with("application/xml"), "{ct}");
    let (_, ct, _) = pull(&app, mine, Some("*/*")).await;
    assert!(ct.starts_with("application/json"), "{ct}");
    // A JSON lodging's notifications can be pulled as DMS too.
    let (s, v) = app.lodge(2, &app.body(2)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let json_mrn = v["mrn"].as_str().unwrap().to_owned();
    let (_, _, body) = pull(&app, mine, Some("application/xml")).await;
    let list = parse_list(&body);
    assert!(list
        .iter()
        .any(|n| n.mrn.as_deref() == Some(&json_mrn)
            && n.responses.first().is_some_and(|r| r.0 == "01")));
}

async fn a_selected_declaration_says_the_channel_only(app: TestApp) {
    common::lifecycle_selectivity(&app).await;
    let doc = common::lifecycle_cigarettes(&app.body(4));
    let (s, v) = lodge_xml(&app, 4, &to_xml(&doc)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let (_, _, body) = pull(&app, &app.trader(4).token, Some("application/xml")).await;
    let list = parse_list(&body);
    let control = list
        .iter()
        .find(|n| n.kind == "under_control" && n.mrn.as_deref() == Some(&mrn))
        .unwrap_or_else(|| panic!("{body}"));
    // Red: goods under control (05 DMSCTL); nothing of why.
    assert_eq!(control.responses[0].0, "05");
    for secret in [
        "TOBACCO",
        "HS chapter 24",
        "criterion",
        "hsPrefix",
        "score",
        "draw",
    ] {
        assert!(!body.contains(secret), "{secret} is disclosed: {body}");
    }
}

async fn payment_awaited_then_amended_under_control(app: TestApp) {
    common::lifecycle_selectivity(&app).await;
    // A trader with an empty account: its declaration waits for payment.
    let (id, token, key) = common::lifecycle_unfunded_trader(&app, 3).await;
    let doc = common::lifecycle_body_of(&app, &id);
    let xml = to_xml(&doc);
    let r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/xml")
        .header("x-tamga-signature", signature::sign(&key, &xml))
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    // Amended (as JSON) to cigarettes: duties assessed again, red.
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &token,
            Some(&key),
            &common::lifecycle_amendment(&mrn, &common::lifecycle_cigarettes(&doc)),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");

    let (s, _, body) = pull(&app, &token, Some("application/xml")).await;
    assert_eq!(s, StatusCode::OK);
    let ours: Vec<Pulled> = parse_list(&body)
        .into_iter()
        .filter(|n| n.mrn.as_deref() == Some(&mrn))
        .collect();
    let seq: Vec<(String, Vec<String>)> = ours
        .iter()
        .map(|n| {
            (
                n.kind.clone(),
                n.responses.iter().map(|r| r.0.clone()).collect(),
            )
        })
        .collect();
    let expect = |k: &str, codes: &[&str]| {
        (
            k.to_owned(),
            codes.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        seq,
        vec![
            expect("registered", &["01", "13"]),
            expect("awaiting_payment", &["14"]),
            expect("amended", &["11", "13"]),
            expect("under_control", &["05"]),
        ],
        "{body}"
    );
    // Payment awaited: the amount due and the reference to quote.
    let reference =
        tamga_core::ledger::payment_reference(&tamga_core::codes::Eori::parse(&id).unwrap());
    assert!(
        body.contains(&format!("<ReferenceID>{reference}</ReferenceID>")),
        "{body}"
    );
    assert!(body.contains("<PaymentAmount currencyID="), "{body}");
    // The amendment's version.
    assert!(body.contains("<VersionID>2</VersionID>"), "{body}");
    assert!(!body.contains("TOBACCO"), "{body}");
}

async fn xml_lodgings_are_pushed_as_signed_dms_documents(app: TestApp) {
    use axum::routing::post;
    type Delivery = (axum::http::HeaderMap, Vec<u8>);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
    let router = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    tx.send((headers, body.to_vec())).unwrap();
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (s, set) = app
        .put_json(
            "/api/v1/account/webhook",
            &app.trader(5).token,
            &json!({"url": hook}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let secret = set["secret"].as_str().unwrap().to_owned();

    // An XML lodging, a JSON lodging and an XML lodging refused by its
    // schema (nothing registered).
    let (s, v) = lodge_xml(&app, 5, &to_xml(&app.body(5))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let xml_mrn = v["mrn"].as_str().unwrap().to_owned();
    let (s, v) = app.lodge(5, &app.body(5)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let json_mrn = v["mrn"].as_str().unwrap().to_owned();
    let broken = String::from_utf8(to_xml(&app.body(5))).unwrap().replacen(
        "<FunctionCode>9</FunctionCode>",
        "<FunctionCode>9</FunctionCode><Bogus/>",
        1,
    );
    let (s, _) = lodge_xml(&app, 5, broken.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let mut xml_kinds = Vec::new();
    let mut json_kinds = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while xml_kinds.len() < 3 || json_kinds.len() < 2 {
        let (headers, body) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("pushes within 20 s: xml {xml_kinds:?} json {json_kinds:?}"))
            .unwrap();
        // Signed over the exact bytes received, XML or JSON.
        common::webhook_verify_signature(&secret, &headers, &body).unwrap();
        let ct = headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        if ct.starts_with("application/xml") {
            let kind = headers["x-tamga-notification-kind"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(headers["x-tamga-notification-id"]
                .to_str()
                .unwrap()
                .parse::<i64>()
                .is_ok());
            let root = xml::parse(&body, &Limits::default()).expect("well-formed");
            assert_eq!(root.name, "MetaData");
            let errors = dms_out::schema().validate(&root);
            assert!(errors.is_empty(), "{errors:?}");
            let text = String::from_utf8(body).unwrap();
            assert!(text.starts_with("<?xml"), "{text}");
            assert!(
                !text.contains(&json_mrn),
                "the JSON lodging is not pushed as XML"
            );
            match kind.as_str() {
                "registered" => {
                    assert!(text.contains(&format!("<ID>{xml_mrn}</ID>")), "{text}");
                    assert!(text.contains("<FunctionCode>01</FunctionCode>"));
                    assert!(text.contains("<FunctionCode>13</FunctionCode>"));
                }
                "released" => assert!(text.contains("<FunctionCode>09</FunctionCode>"), "{text}"),
                "rejected" => {
                    assert!(text.contains("<FunctionCode>03</FunctionCode>"), "{text}");
                    assert!(
                        text.contains("<ValidationCode>CDS10002</ValidationCode>"),
                        "{text}"
                    );
                }
                other => panic!("unexpected {other}: {text}"),
            }
            xml_kinds.push(kind);
        } else {
            assert!(ct.starts_with("application/json"), "{ct}");
            let v: Value = serde_json::from_slice(&body).unwrap();
            for n in v["notifications"].as_array().unwrap() {
                assert_eq!(n["recipient"], app.trader(5).id.as_str());
                assert_ne!(
                    n["mrn"],
                    xml_mrn.as_str(),
                    "the XML lodging is pushed as XML"
                );
                assert!(n["payload"].get("lodgedAs").is_none(), "{n}");
                json_kinds.push(n["kind"].as_str().unwrap().to_owned());
            }
        }
    }
    assert_eq!(xml_kinds, ["registered", "released", "rejected"]);
    assert_eq!(json_kinds, ["registered", "released"]);
}
