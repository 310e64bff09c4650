//! Lodging UN/EDIFACT CUSDEC over `POST /api/v1/declarations` (issue 19,
//! part 3): a simulator declaration written as CUSDEC
//! (`tamga_messages::write_cusdec`), signed and lodged, is the declaration
//! its JSON would be, answered with a CUSRES (or JSON on request); the
//! signature, the caller's standing and replays are checked as for JSON;
//! syntax errors are answered with a CONTRL naming the position and the
//! ISO 9735 code, control errors with a CUSRES naming the segment; nothing
//! is registered from a refused message, and nothing answers 5xx.

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_app::demo::demo_signing_key;
use tamga_core::codes::Mrn;
use tamga_core::declaration::Declaration;
use tamga_core::signature;
use tamga_messages::Directory;

use crate::common::{codes, TestApp};

stories!(
    edifact_lodging_is_the_json_lodging,
    edifact_signature_identity_and_replay_are_checked_like_json,
    syntax_errors_are_answered_with_contrl,
    control_errors_are_answered_with_cusres_at_the_segment,
    segments_tamga_does_not_model_are_listed_and_kept,
);

const EDIFACT: &str = "application/EDIFACT";

/// Demo trader `i`'s generated declaration as CUSDEC, and its JSON.
fn cusdec_of(app: &TestApp, i: usize, directory: Directory) -> (Vec<u8>, Value) {
    let doc = app.body(i);
    let d: Declaration = serde_json::from_value(doc.clone()).unwrap();
    let at = time::OffsetDateTime::now_utc();
    let edi = tamga_messages::write_cusdec(&d, directory, at).unwrap_or_else(|e| panic!("{e:?}"));
    (edi.into_bytes(), doc)
}

/// An answer: status, content type, body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn is_edifact(&self) -> bool {
        self.content_type == EDIFACT
    }
    /// The answer's segments, one per line.
    fn has(&self, segment: &str) -> bool {
        self.body.lines().any(|l| l == segment)
    }
}

/// POSTs `body` as trader `i` with `content_type`, signed by `signer` (the
/// trader's own key when `None`) over `signed` (the body when `None`),
/// with `accept`.
async fn post(
    app: &TestApp,
    i: usize,
    content_type: &str,
    body: &[u8],
    signed: Option<&[u8]>,
    signer: Option<usize>,
    accept: Option<&str>,
) -> Answer {
    let t = app.trader(i);
    let key = demo_signing_key(&app.trader(signer.unwrap_or(i)).id);
    let mut r = app
        .http
        .post(format!("{}/api/v1/declarations", app.base))
        .bearer_auth(&t.token)
        .header("content-type", content_type)
        .header(
            "x-tamga-signature",
            signature::sign(&key, signed.unwrap_or(body)),
        );
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    let r = r.body(body.to_vec()).send().await.unwrap();
    let status = r.status();
    assert!(!status.is_server_error(), "{status}");
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer {
        status,
        content_type,
        body: r.text().await.unwrap_or_default(),
    }
}

async fn lodge_edi(app: &TestApp, i: usize, edi: &[u8]) -> Answer {
    post(app, i, EDIFACT, edi, None, None, None).await
}

async fn lodge_edi_json(app: &TestApp, i: usize, edi: &[u8]) -> (StatusCode, Value) {
    let a = post(app, i, EDIFACT, edi, None, None, Some("application/json")).await;
    assert!(
        a.content_type.starts_with("application/json"),
        "{}",
        a.content_type
    );
    (a.status, a.json())
}

/// `text` with its UNT segment count made right again (one segment per
/// line, as tamga writes).
fn recount(text: &str) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().collect();
    let h = lines.iter().position(|l| l.starts_with("UNH+")).unwrap();
    let t = lines.iter().position(|l| l.starts_with("UNT+")).unwrap();
    let reference = lines[t].rsplit('+').next().unwrap();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out[t] = format!("UNT+{}+{reference}", t - h + 1);
    (out.join("\n") + "\n").into_bytes()
}

/// The BGM value after `BGM++` of a CUSRES (the MRN when accepted).
fn bgm_reference(a: &Answer) -> String {
    let l = a.body.lines().find(|l| l.starts_with("BGM+")).unwrap();
    l.split('+').nth(2).unwrap().to_owned()
}

async fn edifact_lodging_is_the_json_lodging(app: TestApp) {
    let (edi, doc) = cusdec_of(&app, 0, Directory::D96B);
    let a = lodge_edi(&app, 0, &edi).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(a.is_edifact(), "{}", a.content_type);
    assert!(a.has("UNH+1+CUSRES:D:96B:UN'"), "{}", a.body);
    let mrn = bgm_reference(&a);
    assert!(a.has(&format!("BGM++{mrn}+29+AP'")), "{}", a.body);
    assert!(a.has(&format!("RFF+ABT:{mrn}'")), "{}", a.body);
    assert!(a.has("GIS+released:TAMGA-STATE'"), "{}", a.body);
    assert!(a.has("GIS+green:TAMGA-CHANNEL'"), "{}", a.body);
    // Addressed back to the sender, answering its message.
    let sender = doc["declarant"]["id"].as_str().unwrap();
    assert!(a.body.contains(&format!("+TAMGA+{sender}+")), "{}", a.body);
    assert!(a.has("RFF+ACW:1'"), "{}", a.body);
    // A CUSRES is itself a well-formed interchange.
    tamga_messages::edifact::parse(a.body.as_bytes(), 1 << 20).unwrap();

    // The same declaration lodged as JSON (another LRN) reads back the same.
    let mut twin = doc.clone();
    let lrn = format!("{}J", doc["lrn"].as_str().unwrap());
    twin["lrn"] = json!(lrn);
    let (s, j) = app.lodge(0, &twin).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    let token = &app.trader(0).token;
    let (_, from_edi) = app.get(&format!("/api/v1/declarations/{mrn}"), token).await;
    let (_, from_json) = app
        .get(
            &format!("/api/v1/declarations/{}", j["mrn"].as_str().unwrap()),
            token,
        )
        .await;
    let mut read_edi = from_edi["declaration"].clone();
    read_edi["lrn"] = json!(lrn);
    assert_eq!(read_edi, from_json["declaration"]);
    for field in [
        "type",
        "state",
        "channel",
        "declarant",
        "lodgedBy",
        "office",
    ] {
        assert_eq!(from_edi[field], from_json[field], "{field}");
    }

    // Stored as received, with its hash in the `lodged` event.
    let stored = app
        .store
        .original(&Mrn::parse(&mrn).unwrap())
        .await
        .unwrap()
        .expect("the CUSDEC is stored with the declaration");
    assert_eq!(stored.original.body, edi);
    assert_eq!(stored.original.format, "unedifact-cusdec");
    let sha = tamga_app::clearance::sha256_hex(&edi);
    assert_eq!(stored.original.body_sha256, sha);
    let events = app.events(&mrn, token).await;
    let lodged = serde_json::to_value(&events[0].body).unwrap();
    assert_eq!(lodged["body_sha256"], sha.as_str(), "{lodged}");

    // D:99B, lower-case media type, and a JSON answer on request.
    let (edi2, _) = cusdec_of(&app, 0, Directory::D99B);
    let (s, v) = {
        let a = post(
            &app,
            0,
            "application/edifact",
            &edi2,
            None,
            None,
            Some("application/json"),
        )
        .await;
        (a.status, a.json())
    };
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["notUsed"], json!([]), "{v}");
    assert_eq!(v["state"], "released");
    assert_eq!(app.count().await, 3);

    // The OpenAPI document says so: the request body and each answer
    // that can be EDIFACT.
    let doc: Value = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/api/v1/declarations"]["post"];
    assert!(op["requestBody"]["content"][EDIFACT].is_object(), "{op}");
    for status in ["200", "201", "409", "422"] {
        let content = &op["responses"][status]["content"];
        assert!(content[EDIFACT].is_object(), "{status}: {content}");
        assert!(
            content["application/json"].is_object(),
            "{status}: {content}"
        );
    }
}

async fn edifact_signature_identity_and_replay_are_checked_like_json(app: TestApp) {
    let (edi, doc) = cusdec_of(&app, 1, Directory::D96B);
    let json_bytes = serde_json::to_vec(&doc).unwrap();

    // Signed over other bytes (the JSON of the same declaration), or with
    // another trader's key: refused, a CUSRES naming the code.
    let a = post(&app, 1, EDIFACT, &edi, Some(&json_bytes), None, None).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.is_edifact());
    assert!(a.has("ERC+FLC-SIGNATURE-INVALID:TAMGA'"), "{}", a.body);
    assert!(a.body.contains("+27+RE'"), "{}", a.body);
    let a = post(
        &app,
        1,
        EDIFACT,
        &edi,
        None,
        Some(2),
        Some("application/json"),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(codes(&a.json()).contains(&"FLC-SIGNATURE-INVALID".to_owned()));
    assert_eq!(app.count().await, 0);

    // Another trader lodging trader 1's declaration (signed with its own
    // key): refused as the JSON is, with the same codes, each at the
    // segment of its value.
    let (s, as_json) = app.lodge(2, &doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{as_json}");
    let (s, as_edi) = lodge_edi_json(&app, 2, &edi).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{as_edi}");
    assert_eq!(codes(&as_edi), codes(&as_json));
    assert!(codes(&as_edi).contains(&"FLC-LODGER-NOT-PARTY".to_owned()));
    for x in as_edi["error"]["violations"].as_array().unwrap() {
        assert!(
            x["segment"]
                .as_str()
                .is_some_and(|p| p.starts_with("segment ")),
            "{x}"
        );
    }
    let a = lodge_edi(&app, 2, &edi).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.has("ERC+FLC-LODGER-NOT-PARTY:TAMGA'"), "{}", a.body);
    assert_eq!(app.count().await, 0);

    // Lodged, then re-sent: the same declaration, nothing written.
    let first = lodge_edi(&app, 1, &edi).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = lodge_edi(&app, 1, &edi).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(bgm_reference(&again), bgm_reference(&first));
    assert!(again.body.contains("+29+AP'"));
    assert_eq!(app.count().await, 1);
    // Other bytes under the same LRN (CR LF line ends): 409, a CUSRES at
    // the BGM.
    let relaid = String::from_utf8(edi.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let a = lodge_edi(&app, 1, relaid.as_bytes()).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.has("ERC+FLC-LRN-CONFLICT:TAMGA'"), "{}", a.body);
    assert!(a.has("ERP++BGM:2'"), "{}", a.body);
    let (s, v) = lodge_edi_json(&app, 1, relaid.as_bytes()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "FLC-LRN-CONFLICT");
    assert_eq!(
        v["error"]["pointer"],
        "segment 2 (BGM) element 3 component 1"
    );
    assert_eq!(app.count().await, 1);
}

async fn syntax_errors_are_answered_with_contrl(app: TestApp) {
    let edge = |name: &str| -> Vec<u8> {
        let p = format!(
            "{}/../tamga-messages/tests/data/edifact/{name}.edi",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(p).unwrap()
    };
    // The synthetic edge cases: CONTRL with the position and the code.
    let cases = [
        (
            "03_stray_release_before_nonspecial",
            "UCS+2'\nUCD+21+2:1'",
            "EDI-RELEASE",
        ),
        (
            "04_wrong_segment_count_UNT",
            "UCM+1+CUSDEC:D:96B:UN+4+29+UNT+2:1'",
            "EDI-SEGMENT-COUNT",
        ),
        (
            "05_missing_final_terminator",
            "UCI+5+SENDER+RECEIVER+4+13+UNZ'",
            "EDI-TERMINATOR",
        ),
    ];
    for (name, want, code) in cases {
        let body = edge(name);
        let a = lodge_edi(&app, 3, &body).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            a.body
        );
        assert!(a.is_edifact(), "{name}");
        assert!(
            a.body.contains("UNH+1+CONTRL:D:3:UN'"),
            "{name}: {}",
            a.body
        );
        assert!(a.body.contains(want), "{name}: {want} not in\n{}", a.body);
        assert!(
            a.body.contains("UNB+UNOC:3+RECEIVER+SENDER+"),
            "{name}: {}",
            a.body
        );
        let (s, v) = lodge_edi_json(&app, 3, &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {v}");
        assert_eq!(v["error"]["violations"][0]["code"], code, "{name}: {v}");
        assert!(
            v["error"]["violations"][0]["segment"].is_string(),
            "{name}: {v}"
        );
    }
    // 01 and 02 are read: 01 is a declaration control rejects (a CUSRES);
    // 02 has no BGM (CUSDEC-MISSING, a CUSRES).
    let a = lodge_edi(&app, 3, &edge("01_release_char_escapes")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.has("BGM++REF??+27+RE'"), "{}", a.body);
    assert!(a.has("ERC+FLC-REQUIRED:TAMGA'"), "{}", a.body);
    let a = lodge_edi(&app, 3, &edge("02_linebreak_inside_segment")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.has("ERC+CUSDEC-MISSING:TAMGA'"), "{}", a.body);
    assert!(a.has("ERP++UNH:1'"), "{}", a.body);

    // Another directory, another message type: no agreement (17).
    let (edi, _) = cusdec_of(&app, 3, Directory::D96B);
    let text = String::from_utf8(edi.clone()).unwrap();
    let a = lodge_edi(
        &app,
        3,
        text.replacen("CUSDEC:D:96B", "CUSDEC:D:01B", 1).as_bytes(),
    )
    .await;
    assert!(
        a.body.contains("UCM+1+CUSDEC:D:01B:UN+4+17+UNH+3:3'"),
        "{}",
        a.body
    );
    let a = lodge_edi(
        &app,
        3,
        text.replacen("CUSDEC:D:96B", "CUSCAR:D:96B", 1).as_bytes(),
    )
    .await;
    assert!(a.body.contains("+4+17+UNH+3:1'"), "{}", a.body);
    // Truncated at every 97th byte (before the last segment's end): a
    // CONTRL, never a 5xx.
    for at in (1..edi.len() - 2).step_by(97) {
        let a = lodge_edi(&app, 3, &edi[..at]).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "cut at {at}: {}",
            a.body
        );
        assert!(
            a.is_edifact() && a.body.contains("CONTRL"),
            "cut at {at}: {}",
            a.body
        );
    }
    // Seeded mutations: refused or lodged, never a 5xx (`post` asserts).
    let mut seed: u64 = 93;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % n as u64).unwrap()
    };
    for _ in 0..40 {
        let mut m = edi.clone();
        let i = next(m.len());
        m[i] = [b'?', b'\'', b'+', b':', b'9', 0xFF][next(6)];
        let a = lodge_edi(&app, 3, &m).await;
        assert!(a.is_edifact(), "{}", a.body);
    }
    let registered = app.count().await;
    assert!(registered <= 40, "{registered}");
    // Larger than the API's body limit: refused before it is read (JSON).
    let mut huge = edi.clone();
    huge.resize(tamga_http::MAX_BODY + 1, b'\n');
    let a = lodge_edi(&app, 3, &huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.json()["error"]["code"], "FLC-BODY-TOO-LARGE");
    // EDIFACT in another charset is refused by its media type.
    let a = post(
        &app,
        3,
        "application/EDIFACT; charset=iso-8859-1",
        &edi,
        None,
        None,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn control_errors_are_answered_with_cusres_at_the_segment(app: TestApp) {
    let (edi, _) = cusdec_of(&app, 3, Directory::D99B);
    let text = String::from_utf8(edi).unwrap();
    let tag = "MEA+WT+N+KGM:";
    let at = text.find(tag).unwrap() + tag.len();
    let end = at + text[at..].find('\'').unwrap();
    let heavy = format!("{}99999999{}", &text[..at], &text[end..]);
    let position = text[..at]
        .lines()
        .skip_while(|l| !l.starts_with("UNH+"))
        .count();
    let a = lodge_edi(&app, 3, heavy.as_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.has("UNH+1+CUSRES:D:99B:UN'"), "{}", a.body);
    assert!(a.has("ERC+FLC-NET-EXCEEDS-GROSS:TAMGA'"), "{}", a.body);
    assert!(a.has(&format!("ERP++MEA:{position}'")), "{}", a.body);
    let ftx =
        format!("FTX+AAO+++segment {position} (MEA) element 4 component 2:/items/0/netMassKg:");
    assert!(
        a.body.lines().any(|l| l.starts_with(&ftx)),
        "{ftx} not in\n{}",
        a.body
    );
    let (s, v) = lodge_edi_json(&app, 3, heavy.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let net = v["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "FLC-NET-EXCEEDS-GROSS")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(net["pointer"], "/items/0/netMassKg");
    assert_eq!(
        net["segment"],
        format!("segment {position} (MEA) element 4 component 2")
    );
    // A mapping error (a message function other than 9): a CUSRES at the
    // BGM's element.
    let replace = text.replacen("+9'\n", "+5'\n", 1);
    let a = lodge_edi(&app, 3, replace.as_bytes()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.has("ERC+CUSDEC-FUNCTION-CODE:TAMGA'"), "{}", a.body);
    assert!(a.has("ERP++BGM:2'"), "{}", a.body);
    // Refusals are notified to the operator; nothing registered.
    let refusals = app
        .notifications(3)
        .await
        .into_iter()
        .filter(|n| n["kind"] == "rejected")
        .count();
    assert!(refusals >= 3, "{refusals}");
    assert_eq!(app.count().await, 0);
}

async fn segments_tamga_does_not_model_are_listed_and_kept(app: TestApp) {
    let (edi, _) = cusdec_of(&app, 4, Directory::D96B);
    let text = String::from_utf8(edi).unwrap();
    let with = recount(&text.replacen("\nLOC+22", "\nFTX+AAI+++HANDLE WITH CARE'\nLOC+22", 1));
    let a = lodge_edi(&app, 4, &with).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert!(a.has("FTX+ACB+++not used:segment 3 (FTX)'"), "{}", a.body);
    let mrn = Mrn::parse(&bgm_reference(&a)).unwrap();
    let stored = app.store.original(&mrn).await.unwrap().unwrap();
    assert_eq!(stored.original.body, with);
    assert_eq!(stored.original.not_used, ["segment 3 (FTX)"]);
}
