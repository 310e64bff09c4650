//! Storage story of appeals (issue 16): lodging writes the appeal, its
//! attachments, its audit entry and its notifications at once; the same
//! signed body again is a replay; one open appeal per declaration and
//! subject; a decision is written once with its audit entry and
//! notification; lists are scoped by party, office and status. Runs on
//! SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use std::sync::Arc;

use serde_json::json;
use time::OffsetDateTime;

use tamga_core::appeal::{AppealStatus, AppealSubject, AppealedAct, MediaType};
use tamga_core::codes::{CountryCode, Eori, Mrn, MrnCategory, OfficeCode};
use tamga_core::hash::sha256_hex;
use tamga_core::lifecycle::{Actor, NewNotification, NotificationKind};
use tamga_store::{
    AppealAudit, AppealDecision, AppealLodging, AppealQuery, AttachmentMeta, NewAppeal,
    NewAttachment, SignedBody, Store,
};

stories!(an_appeal_is_lodged_once_and_decided_once);

fn mrn(n: u64) -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        n,
        MrnCategory::Import,
    )
    .unwrap()
}

fn signed(body: &str) -> SignedBody {
    SignedBody {
        body: body.to_owned(),
        body_sha256: sha256_hex(body.as_bytes()),
        signing_key: "k1".into(),
        signature: "sig".into(),
    }
}

fn appeal(m: &Mrn, declarant: &Eori, body: &str, subject: AppealSubject) -> NewAppeal {
    let pdf = b"%PDF-1.7 letter".to_vec();
    NewAppeal {
        mrn: m.clone(),
        office: OfficeCode::parse("UZ000100").unwrap(),
        declarant: declarant.clone(),
        appellant: declarant.clone(),
        subject,
        reason: "compliant goods".into(),
        appealed: AppealedAct {
            seq: 6,
            kind: "refused".into(),
            actor: Actor::Officer("officer".into()),
        },
        attachments: vec![NewAttachment {
            meta: AttachmentMeta {
                n: 1,
                name: "letter.pdf".into(),
                media_type: MediaType::Pdf,
                size: pdf.len() as u64,
                sha256: sha256_hex(&pdf),
            },
            content: pdf,
        }],
        lodged_at: OffsetDateTime::now_utc(),
        lodging: signed(body),
    }
}

fn note(to: &Eori, m: &Mrn, kind: NotificationKind) -> NewNotification {
    NewNotification {
        recipient: to.clone(),
        kind,
        mrn: Some(m.clone()),
        lrn: None,
        at: OffsetDateTime::now_utc(),
        payload: json!({"subject": "refusal"}),
    }
}

fn audit() -> AppealAudit {
    AppealAudit {
        actor: "operator:UZ000000000101".into(),
    }
}

async fn an_appeal_is_lodged_once_and_decided_once(store: Arc<dyn Store>) {
    let trader = Eori::parse("UZ000000000101").unwrap();
    let other = Eori::parse("UZ000000000102").unwrap();
    let (m1, m2) = (mrn(1), mrn(2));
    let a = appeal(
        &m1,
        &trader,
        r#"{"act":"appeal","n":1}"#,
        AppealSubject::Refusal,
    );
    let notes = [note(&trader, &m1, NotificationKind::AppealLodged)];
    let AppealLodging::Lodged(rec) = store.lodge_appeal(&a, &notes, &audit()).await.unwrap() else {
        panic!("not lodged")
    };
    assert_eq!(rec.status, AppealStatus::Lodged);
    assert_eq!(rec.mrn, m1);
    assert_eq!(rec.appealed.actor, Actor::Officer("officer".into()));
    assert_eq!(rec.attachments, vec![a.attachments[0].meta.clone()]);
    assert!(rec.decision.is_none());
    assert_eq!(
        store.appeal_attachment(rec.id, 1).await.unwrap().unwrap(),
        b"%PDF-1.7 letter"
    );
    assert!(store.appeal_attachment(rec.id, 2).await.unwrap().is_none());
    // The notification carries the appeal's id; the audit log has the act.
    let n = store.notifications(&trader, 0, 100).await.unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, NotificationKind::AppealLodged);
    assert_eq!(n[0].payload["appeal"], rec.id.get());
    let lodged =
        |log: &[tamga_store::AuditEntry]| log.iter().filter(|e| e.action == "appeal.lodge").count();
    assert_eq!(lodged(&store.audit_log(0, 1000).await.unwrap()), 1);

    // The same body again: a replay, nothing written.
    let AppealLodging::Replay(again) = store.lodge_appeal(&a, &notes, &audit()).await.unwrap()
    else {
        panic!("not a replay")
    };
    assert_eq!(again.id, rec.id);
    // Another body on the same declaration and subject: still open.
    let b = appeal(
        &m1,
        &trader,
        r#"{"act":"appeal","n":2}"#,
        AppealSubject::Refusal,
    );
    match store.lodge_appeal(&b, &notes, &audit()).await.unwrap() {
        AppealLodging::Open { existing } => assert_eq!(existing, rec.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.notifications(&trader, 0, 100).await.unwrap().len(), 1);
    assert_eq!(lodged(&store.audit_log(0, 1000).await.unwrap()), 1);
    // Another subject of the same declaration may be appealed meanwhile,
    // and another trader's declaration.
    let c = appeal(
        &m1,
        &trader,
        r#"{"act":"appeal","n":3}"#,
        AppealSubject::DutyAssessment,
    );
    assert!(matches!(
        store.lodge_appeal(&c, &[], &audit()).await.unwrap(),
        AppealLodging::Lodged(_)
    ));
    let d = appeal(
        &m2,
        &other,
        r#"{"act":"appeal","n":4}"#,
        AppealSubject::Refusal,
    );
    let AppealLodging::Lodged(theirs) = store.lodge_appeal(&d, &[], &audit()).await.unwrap() else {
        panic!("not lodged")
    };

    // Scoped lists, newest first.
    let mine = store
        .appeals(&AppealQuery {
            party: Some(trader.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(mine[0].id > mine[1].id);
    assert!(mine.iter().all(|r| r.declarant == trader));
    let all = store
        .appeals(&AppealQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let elsewhere = store
        .appeals(&AppealQuery {
            offices: Some(vec![OfficeCode::parse("UZ000200").unwrap()]),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(elsewhere.is_empty());
    assert_eq!(
        store
            .appeals(&AppealQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0]
            .id,
        theirs.id
    );

    // Decided once: with its notification and audit entry.
    let decision = AppealDecision {
        status: AppealStatus::Upheld,
        reason: "the refusal had no ground".into(),
        decided_by: "appeals".into(),
        decided_at: OffsetDateTime::now_utc(),
        signed: signed(r#"{"act":"appeal_decision"}"#),
    };
    let told = [note(&trader, &m1, NotificationKind::AppealDecided)];
    assert!(store
        .decide_appeal(rec.id, &decision, &told, &audit())
        .await
        .unwrap());
    let mut second = decision.clone();
    second.status = AppealStatus::Dismissed;
    second.signed = signed(r#"{"act":"appeal_decision","again":1}"#);
    assert!(!store
        .decide_appeal(rec.id, &second, &told, &audit())
        .await
        .unwrap());
    let decided = store.appeal(rec.id).await.unwrap().unwrap();
    assert_eq!(decided.status, AppealStatus::Upheld);
    let got = decided.decision.unwrap();
    assert_eq!(
        (got.decided_by.as_str(), got.reason.as_str()),
        ("appeals", "the refusal had no ground")
    );
    assert_eq!(got.signed, decision.signed);
    let n = store.notifications(&trader, 0, 100).await.unwrap();
    assert_eq!(
        n.iter()
            .filter(|n| n.kind == NotificationKind::AppealDecided)
            .count(),
        1
    );
    let log = store.audit_log(0, 1000).await.unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "appeal.decide").count(),
        1
    );
    let upheld = store
        .appeals(&AppealQuery {
            status: Some(AppealStatus::Upheld),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(upheld.len(), 1);
    // Once decided, the subject may be appealed again (a new appeal).
    assert!(matches!(
        store.lodge_appeal(&b, &[], &audit()).await.unwrap(),
        AppealLodging::Lodged(_)
    ));
}
