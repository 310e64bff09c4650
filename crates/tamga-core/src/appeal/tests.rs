//! Unit tests of the appeal and decision bodies and of the appealed act.

use super::*;
use crate::codes::{CountryCode, MrnCategory};
use crate::lifecycle::ControlOutcome;
use serde_json::json;

fn mrn() -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        7,
        MrnCategory::Import,
    )
    .unwrap()
}

fn pdf() -> String {
    B64.encode(b"%PDF-1.7 the letter")
}

fn appeal(attachments: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"act": "appeal", "mrn": mrn().as_str(), "subject": "refusal",
        "reason": "  the goods were compliant  ", "attachments": attachments}),
    )
    .unwrap()
}

fn code_at(r: Result<AppealBody, BodyError>) -> (&'static str, String) {
    let e = r.unwrap_err();
    (e.code, e.pointer)
}

#[test]
fn an_appeal_parses_with_its_attachments() {
    let a = AppealBody::parse(&appeal(json!([
        {"name": "letter.pdf", "mediaType": "application/pdf", "contentBase64": pdf()},
        {"name": "note.txt", "mediaType": "text/plain", "contentBase64": B64.encode("сказано")},
    ])))
    .unwrap();
    assert_eq!(a.mrn, mrn());
    assert_eq!(a.subject, AppealSubject::Refusal);
    assert_eq!(a.reason.as_str(), "the goods were compliant");
    assert_eq!(a.attachments.len(), 2);
    assert_eq!(a.attachments[0].media_type, MediaType::Pdf);
    assert_eq!(a.attachments[1].content, "сказано".as_bytes());
    // Without attachments.
    let body = json!({"act": "appeal", "mrn": mrn().as_str(), "subject": "duty_assessment", "reason": "x"});
    let a = AppealBody::parse(body.to_string().as_bytes()).unwrap();
    assert!(a.attachments.is_empty());
    assert_eq!(a.subject, AppealSubject::DutyAssessment);
}

#[test]
fn bad_appeals_are_refused_with_a_code_and_a_pointer() {
    let base = json!({"act": "appeal", "mrn": mrn().as_str(), "subject": "refusal", "reason": "r"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        serde_json::to_vec(&b).unwrap()
    };
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (b"not json".to_vec(), APPEAL_INVALID, ""),
        (b"[]".to_vec(), APPEAL_INVALID, ""),
        (with("act", json!("refusal")), APPEAL_ACT, "/act"),
        (with("mrn", json!("26UZ")), APPEAL_INVALID, "/mrn"),
        (
            with("subject", json!("release")),
            APPEAL_SUBJECT,
            "/subject",
        ),
        (with("reason", json!("   ")), APPEAL_REASON, "/reason"),
        (
            with("reason", json!("é".repeat(4001))),
            APPEAL_REASON,
            "/reason",
        ),
        (with("reason", json!(5)), APPEAL_REASON, "/reason"),
        (with("extra", json!(1)), APPEAL_INVALID, "/extra"),
        (
            with("attachments", json!({})),
            APPEAL_ATTACHMENTS,
            "/attachments",
        ),
    ];
    for (body, code, pointer) in cases {
        assert_eq!(
            code_at(AppealBody::parse(&body)),
            (code, pointer.to_owned()),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
    // 4000 characters (of two bytes each) are fine.
    assert!(AppealBody::parse(&with("reason", json!("é".repeat(4000)))).is_ok());
}

#[test]
fn attachments_are_named_typed_and_bounded() {
    let one = |name: &str, media: &str, content: String| {
        appeal(
            json!([{"name": "ok.pdf", "mediaType": "application/pdf", "contentBase64": pdf()},
            {"name": name, "mediaType": media, "contentBase64": content}]),
        )
    };
    for bad in [
        "../etc/passwd",
        "a/b.pdf",
        "a\\b.pdf",
        "",
        ".hidden",
        "a\"b.pdf",
        "a\r\nb",
        " x.pdf",
    ] {
        assert_eq!(
            code_at(AppealBody::parse(&one(bad, "application/pdf", pdf()))),
            (APPEAL_ATTACHMENT_NAME, "/attachments/1/name".into()),
            "{bad:?}"
        );
    }
    let long = "a".repeat(197) + ".pdf";
    assert_eq!(
        code_at(AppealBody::parse(&one(&long, "application/pdf", pdf()))).0,
        APPEAL_ATTACHMENT_NAME
    );
    let longest = format!("{}.pdf", "a".repeat(196));
    assert!(AppealBody::parse(&one(&longest, "application/pdf", pdf())).is_ok());
    for media in [
        "text/html",
        "application/pdf; x=1",
        "image/svg+xml",
        "IMAGE/PNG",
    ] {
        assert_eq!(
            code_at(AppealBody::parse(&one("f.pdf", media, pdf()))),
            (
                APPEAL_ATTACHMENT_MEDIA_TYPE,
                "/attachments/1/mediaType".into()
            )
        );
    }
    // Content that is not what it says, not base64, or empty.
    for (media, content) in [
        ("image/png", pdf()),
        ("image/jpeg", pdf()),
        ("application/pdf", B64.encode(b"<html>")),
        ("text/plain", B64.encode([0x66, 0x00, 0x67])),
        ("text/plain", B64.encode([0xFF, 0xFE])),
        ("application/pdf", "%%%".to_owned()),
        ("application/pdf", String::new()),
    ] {
        assert_eq!(
            code_at(AppealBody::parse(&one("f", media, content))),
            (
                APPEAL_ATTACHMENT_CONTENT,
                "/attachments/1/contentBase64".into()
            ),
            "{media}"
        );
    }
    let png = B64.encode(b"\x89PNG\r\n\x1a\nrest");
    let jpeg = B64.encode([0xFF, 0xD8, 0xFF, 0xE0, 1]);
    assert!(AppealBody::parse(&one("f.png", "image/png", png)).is_ok());
    assert!(AppealBody::parse(&one("f.jpg", "image/jpeg", jpeg)).is_ok());
    // 2 MiB is the most; a byte more is refused.
    let mut big = b"%PDF-".to_vec();
    big.resize(MAX_ATTACHMENT_BYTES, b'x');
    assert!(AppealBody::parse(&one("big.pdf", "application/pdf", B64.encode(&big))).is_ok());
    big.push(b'x');
    assert_eq!(
        code_at(AppealBody::parse(&one(
            "big.pdf",
            "application/pdf",
            B64.encode(&big)
        ))),
        (
            APPEAL_ATTACHMENT_TOO_LARGE,
            "/attachments/1/contentBase64".into()
        )
    );
    // At most five.
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("{i}.pdf"), "mediaType": "application/pdf", "contentBase64": pdf()}))
        .collect();
    assert_eq!(
        code_at(AppealBody::parse(&appeal(json!(six)))),
        (APPEAL_ATTACHMENTS, "/attachments".into())
    );
    // Unknown member of an attachment (e.g. a hash: the signature covers the content).
    let body = appeal(
        json!([{"name": "a.pdf", "mediaType": "application/pdf", "contentBase64": pdf(), "sha256": "00"}]),
    );
    assert_eq!(
        code_at(AppealBody::parse(&body)),
        (APPEAL_INVALID, "/attachments/0/sha256".into())
    );
}

#[test]
fn decisions_name_the_appeal_and_an_outcome() {
    let body = |v: Value| serde_json::to_vec(&v).unwrap();
    let ok = json!({"act": "appeal_decision", "appeal": 3, "mrn": mrn().as_str(), "outcome": "upheld", "reason": "wrong refusal"});
    let d = DecisionBody::parse(&body(ok.clone())).unwrap();
    assert_eq!((d.appeal.get(), d.outcome), (3, AppealOutcome::Upheld));
    assert_eq!(d.outcome.status(), AppealStatus::Upheld);
    for (k, v, code, pointer) in [
        ("act", json!("appeal"), APPEAL_ACT, "/act"),
        ("appeal", json!("3"), APPEAL_INVALID, "/appeal"),
        ("appeal", json!(0), APPEAL_INVALID, "/appeal"),
        ("outcome", json!("granted"), APPEAL_OUTCOME, "/outcome"),
        ("reason", json!(""), APPEAL_REASON, "/reason"),
        ("version", json!(1), APPEAL_INVALID, "/version"),
    ] {
        let mut b = ok.clone();
        b[k] = v;
        let e = DecisionBody::parse(&body(b)).unwrap_err();
        assert_eq!((e.code, e.pointer.as_str()), (code, pointer), "{k}");
    }
}

#[test]
fn ids_statuses_and_subjects_parse_their_text_only() {
    assert_eq!(AppealId::parse("12").map(AppealId::get), Some(12));
    for bad in ["0", "-1", "+1", "1e3", "", "99999999999999999999", " 1"] {
        assert_eq!(AppealId::parse(bad), None, "{bad}");
    }
    for s in AppealStatus::ALL {
        assert_eq!(AppealStatus::parse(s.as_str()), Some(s));
    }
    for s in AppealSubject::ALL {
        assert_eq!(AppealSubject::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    assert_eq!(AppealStatus::parse("open"), None);
}

fn event(seq: u32, actor: Actor, body: EventBody) -> Event {
    Event::seal(
        &mrn(),
        seq,
        actor,
        time::OffsetDateTime::UNIX_EPOCH,
        body,
        "",
    )
}

#[test]
fn the_appealed_act_is_found_in_the_events() {
    let duties = crate::pipeline::DutyResult::NotAssessed {
        reason: "no tariff".into(),
    };
    let events = vec![
        event(
            1,
            Actor::System,
            EventBody::DutiesAssessed {
                result: duties.clone(),
            },
        ),
        event(
            2,
            Actor::Officer("alice".into()),
            EventBody::ControlResultRecorded {
                outcome: ControlOutcome::Findings,
                notes: None,
                version: Some(1),
                signature: None,
            },
        ),
        event(
            3,
            Actor::Officer("bob".into()),
            EventBody::ControlResultRecorded {
                outcome: ControlOutcome::Compliant,
                notes: None,
                version: Some(1),
                signature: None,
            },
        ),
    ];
    let c = appealed_act(AppealSubject::ControlResult, &events).unwrap();
    assert_eq!((c.seq, c.officer()), (3, Some("bob")));
    let d = appealed_act(AppealSubject::DutyAssessment, &events).unwrap();
    assert_eq!(
        (d.seq, d.kind.as_str(), d.officer()),
        (1, "duties_assessed", None)
    );
    assert_eq!(appealed_act(AppealSubject::Refusal, &events), None);
    let mut refused = events.clone();
    refused.push(event(
        4,
        Actor::Officer("carol".into()),
        EventBody::Refused {
            reason: "no".into(),
            signature: None,
        },
    ));
    let r = appealed_act(AppealSubject::Refusal, &refused).unwrap();
    assert_eq!(
        (r.seq, r.kind.as_str(), r.officer()),
        (4, "refused", Some("carol"))
    );
}
