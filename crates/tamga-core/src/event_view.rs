//! The API's view of a stored event: camelCase keys like the rest of the
//! API, and the canonical stored text of the body beside it so that a
//! client can verify the hashes.
//!
//! A stored event's `payload_hash` is the SHA-256 of the canonical JSON of
//! its body, which has snake_case keys (`body_sha256`, `signing_key`,
//! `customs_duty`…) and is hash-chained: it is never rewritten. The API
//! serves, per event ([`api_view`]):
//!
//! - `mrn`, `seq`, `actor`, `at`, `hash`, and `payloadHash`, `prevHash`;
//! - `body`: the body with every snake_case key in camelCase
//!   ([`camel_case_keys`]; values, such as `"kind": "risk_assessed"`, are
//!   unchanged), version [`BODY_VERSION`] of this view in `bodyVersion`;
//! - `payload`: the canonical stored text of the body, exactly the bytes
//!   `payloadHash` is the SHA-256 of.
//!
//! A client verifies an event with `payload` alone: SHA-256(`payload`) =
//! `payloadHash`, and `hash` = SHA-256 of the MRN, a zero byte, `seq` as 4
//! big-endian bytes, the JSON of `actor`, a zero byte, `at` as Unix
//! nanoseconds in 16 big-endian bytes (two's complement), `payloadHash`, a
//! zero byte and `prevHash` ([`crate::lifecycle::verify_chain`] does
//! this). [`from_api_view`] turns a view back into the stored [`Event`].

use serde_json::{Map, Value};

use crate::lifecycle::Event;

/// The version of the camelCase body view (`bodyVersion`).
pub const BODY_VERSION: u32 = 1;

/// `body_sha256` → `bodySha256`: a key made of lower-case ASCII words
/// joined by `_`; any other key (codes, already camelCase) is kept.
fn camel_key(k: &str) -> Option<String> {
    let snake = k.contains('_')
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        return None;
    }
    let mut out = String::with_capacity(k.len());
    let mut upper = false;
    for c in k.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `v` with every snake_case object key, at any depth, in camelCase.
pub fn camel_case_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (camel_key(&k).unwrap_or(k), camel_case_keys(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

/// The API's view of `e` (see the module documentation).
pub fn api_view(e: &Event) -> Value {
    let payload = e
        .payload_json()
        .expect("event bodies serialize")
        .into_owned();
    let body: Value = serde_json::from_str(&payload).expect("a serialized body is JSON");
    let mut m = Map::new();
    m.insert("mrn".into(), Value::String(e.mrn.as_str().to_owned()));
    m.insert("seq".into(), e.seq.into());
    m.insert(
        "actor".into(),
        serde_json::to_value(&e.actor).expect("actors serialize"),
    );
    let at =
        e.at.format(&time::format_description::well_known::Rfc3339)
            .expect("event times format as RFC 3339");
    m.insert("at".into(), Value::String(at));
    m.insert("bodyVersion".into(), BODY_VERSION.into());
    m.insert("body".into(), camel_case_keys(body));
    m.insert("payload".into(), Value::String(payload));
    m.insert("payloadHash".into(), Value::String(e.payload_hash.clone()));
    m.insert("prevHash".into(), Value::String(e.prev_hash.clone()));
    m.insert("hash".into(), Value::String(e.hash.clone()));
    Value::Object(m)
}

/// The stored event of an API view: its body from `payload` (the canonical
/// stored text), or, for a view without one (an operator's redacted risk
/// assessment, whose keys are single words), from `body`.
pub fn from_api_view(v: &Value) -> Result<Event, String> {
    let field = |k: &str| v.get(k).ok_or_else(|| format!("no {k} in the event"));
    let text = |k: &str| -> Result<Value, String> {
        field(k)?
            .as_str()
            .map(|s| Value::String(s.to_owned()))
            .ok_or_else(|| format!("{k} is not a string"))
    };
    let body = match v.get("payload").and_then(Value::as_str) {
        Some(p) => serde_json::from_str::<Value>(p).map_err(|e| format!("payload: {e}"))?,
        None => field("body")?.clone(),
    };
    let stored = serde_json::json!({
        "mrn": field("mrn")?,
        "seq": field("seq")?,
        "actor": field("actor")?,
        "at": field("at")?,
        "body": body,
        "payload_hash": text("payloadHash")?,
        "prev_hash": text("prevHash")?,
        "hash": text("hash")?,
    });
    serde_json::from_value(stored).map_err(|e| format!("event: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{CountryCode, Lrn, Mrn, MrnCategory};
    use crate::hash::sha256_hex;
    use crate::lifecycle::{verify_chain, Actor, EventBody};
    use time::macros::datetime;

    fn chain() -> Vec<Event> {
        let mrn = Mrn::generate(
            2026,
            &CountryCode::parse("UZ").unwrap(),
            7,
            MrnCategory::Import,
        )
        .unwrap();
        let lodged = Event::seal(
            &mrn,
            1,
            Actor::System,
            datetime!(2026-02-01 10:00:00.123456789 UTC),
            EventBody::Lodged {
                lrn: Lrn::parse("L-1").unwrap(),
                body_sha256: "ab".repeat(32),
                signing_key: "k1".into(),
                mandate: None,
                payer: None,
            },
            "",
        );
        let released = Event::seal(
            &mrn,
            2,
            Actor::System,
            datetime!(2026-02-01 10:00:01 UTC),
            EventBody::automatic_release(),
            &lodged.hash,
        );
        vec![lodged, released]
    }

    #[test]
    fn keys_become_camel_case_and_values_stay() {
        let v = camel_case_keys(serde_json::json!({
            "kind": "risk_assessed",
            "body_sha256": "x",
            "result": {"customs_duty": "1", "items": [{"key_id": "k", "UZS": 1, "secretId": 2}]},
        }));
        assert_eq!(
            v,
            serde_json::json!({
                "kind": "risk_assessed",
                "bodySha256": "x",
                "result": {"customsDuty": "1", "items": [{"keyId": "k", "UZS": 1, "secretId": 2}]},
            })
        );
    }

    #[test]
    fn the_view_is_camel_case_and_verifies_with_the_stored_text() {
        let events = chain();
        for e in &events {
            let v = api_view(e);
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert!(keys.iter().all(|k| !k.contains('_')), "{keys:?}");
            // The body's keys are camelCase at every depth.
            fn no_snake(v: &Value) -> bool {
                match v {
                    Value::Object(m) => m.iter().all(|(k, v)| !k.contains('_') && no_snake(v)),
                    Value::Array(a) => a.iter().all(no_snake),
                    _ => true,
                }
            }
            assert!(no_snake(&v["body"]), "{v}");
            assert_eq!(v["bodyVersion"], BODY_VERSION);
            // The payload is the stored canonical text: its SHA-256 is the
            // payload hash, and it is not camelCase.
            let payload = v["payload"].as_str().unwrap();
            assert_eq!(sha256_hex(payload.as_bytes()), v["payloadHash"]);
            assert_eq!(payload, e.payload_json().unwrap());
        }
        let lodged = api_view(&events[0]);
        assert_eq!(lodged["body"]["bodySha256"], "ab".repeat(32));
        assert_eq!(lodged["body"]["signingKey"], "k1");
        assert_eq!(lodged["body"]["kind"], "lodged");
        assert!(lodged["payload"]
            .as_str()
            .unwrap()
            .contains("\"body_sha256\""));
        assert_eq!(api_view(&events[1])["prevHash"], events[0].hash);
    }

    #[test]
    fn a_view_turns_back_into_the_stored_event_and_its_chain_verifies() {
        let events = chain();
        let back: Vec<Event> = events
            .iter()
            .map(|e| from_api_view(&api_view(e)).unwrap())
            .collect();
        assert_eq!(back, events);
        verify_chain(&back).unwrap();
        // A changed payload no longer verifies.
        let mut v = api_view(&events[0]);
        v["payload"] = Value::String(v["payload"].as_str().unwrap().replace("\"k1\"", "\"k2\""));
        let tampered = vec![from_api_view(&v).unwrap(), back[1].clone()];
        assert!(verify_chain(&tampered).is_err());
    }
}
