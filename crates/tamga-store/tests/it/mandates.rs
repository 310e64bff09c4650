//! Storage story of mandates (issue 13, finding 1): a grant is stored with
//! its signed body and audit entry, found by id, by body and by party;
//! a body is granted once; a revocation is stored once with its own signed
//! body. Runs on SQLite and, with `TAMGA_TEST_PG_URL`, on PostgreSQL.

use std::sync::Arc;

use time::macros::date;
use time::OffsetDateTime;

use tamga_core::codes::Eori;
use tamga_core::mandate::MandateTerms;
use tamga_store::{Operator, SignedBody, Store, StoreError};

stories!(mandates_are_granted_found_and_revoked_once);

fn signed(body: &str, key: &str) -> SignedBody {
    SignedBody {
        body: body.to_owned(),
        body_sha256: tamga_core::hash::sha256_hex(body.as_bytes()),
        signing_key: key.to_owned(),
        signature: format!("sig-{key}"),
    }
}

async fn mandates_are_granted_found_and_revoked_once(store: Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let [a, b, c] =
        ["UZ000000000101", "UZ000000000901", "UZ000000000102"].map(|s| Eori::parse(s).unwrap());
    for id in [&a, &b, &c] {
        store
            .create_operator(&Operator {
                id: id.clone(),
                name: id.to_string(),
                created_at: now,
            })
            .await
            .unwrap();
    }
    let body = format!(
        r#"{{"declarant":"{a}","representative":"{b}","kind":"indirect","procedures":["4000"],"validFrom":"2026-01-01","payFromDeclarantAccount":false}}"#
    );
    let terms = MandateTerms::parse(body.as_bytes()).unwrap();
    let grant = signed(&body, "k-a");
    let first = store.grant_mandate(&terms, &grant, now).await.unwrap();
    assert_eq!(first.mandate.terms, terms);
    assert_eq!(first.mandate.revoked_at, None);
    // The same signed body is granted once.
    assert!(matches!(
        store.grant_mandate(&terms, &grant, now).await,
        Err(StoreError::AlreadyExists(_))
    ));
    // Another mandate, from C to A.
    let body2 = format!(
        r#"{{"declarant":"{c}","representative":"{a}","kind":"direct","validFrom":"2026-01-01","validTo":"2026-12-31","payFromDeclarantAccount":true}}"#
    );
    let terms2 = MandateTerms::parse(body2.as_bytes()).unwrap();
    let second = store
        .grant_mandate(&terms2, &signed(&body2, "k-c"), now)
        .await
        .unwrap();
    assert_eq!(second.mandate.terms.valid_to, Some(date!(2026 - 12 - 31)));

    let found = store.mandate(first.mandate.id).await.unwrap().unwrap();
    assert_eq!(found.mandate.id, first.mandate.id);
    assert_eq!(found.grant, grant);
    assert_eq!(
        found.mandate.granted_at.unix_timestamp_nanos(),
        now.unix_timestamp_nanos()
    );
    assert_eq!(
        store
            .mandate_by_body(&grant.body_sha256)
            .await
            .unwrap()
            .unwrap()
            .mandate
            .id,
        first.mandate.id
    );
    assert!(store.mandate(9_999).await.unwrap().is_none());
    let between = store.mandates_between(&a, &b).await.unwrap();
    assert_eq!(between.len(), 1);
    assert!(store.mandates_between(&b, &a).await.unwrap().is_empty());
    // A granted one and received one; B received one; C granted one.
    let of_a: Vec<i64> = store
        .mandates_of(&a)
        .await
        .unwrap()
        .iter()
        .map(|m| m.mandate.id)
        .collect();
    assert_eq!(of_a, [second.mandate.id, first.mandate.id]);
    assert_eq!(store.mandates_of(&b).await.unwrap().len(), 1);
    assert_eq!(store.mandates_of(&c).await.unwrap().len(), 1);

    // Revoked once, with its own signed body, and audited both times.
    let revocation = signed(&format!(r#"{{"mandate":{}}}"#, first.mandate.id), "k-a");
    let later = now + time::Duration::seconds(5);
    assert!(store
        .revoke_mandate(first.mandate.id, &revocation, later)
        .await
        .unwrap());
    assert!(!store
        .revoke_mandate(first.mandate.id, &revocation, later)
        .await
        .unwrap());
    assert!(!store
        .revoke_mandate(9_999, &revocation, later)
        .await
        .unwrap());
    let revoked = store.mandate(first.mandate.id).await.unwrap().unwrap();
    assert!(revoked.mandate.revoked_at.is_some());
    assert_eq!(revoked.revocation, Some(revocation));
    assert!(!store.mandates_between(&a, &b).await.unwrap()[0].active(date!(2026 - 06 - 01)));
    let audit = store.audit_log(0, 100).await.unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.action.starts_with("mandate."))
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        ["mandate.grant", "mandate.grant", "mandate.revoke"]
    );
}
