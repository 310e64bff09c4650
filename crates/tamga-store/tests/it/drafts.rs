//! Storage story of declaration drafts (issue 16): a draft is stored with
//! its party, author, name, body and times; it is found, saved again,
//! listed and deleted only through its own party; a party's drafts are
//! listed last saved first, a page at a time; the per-party limit holds,
//! also when saves race. Runs on SQLite and, with `TAMGA_TEST_PG_URL`, on
//! PostgreSQL.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use tamga_core::codes::Eori;
use tamga_store::Store;

stories!(
    drafts_belong_to_their_party,
    the_draft_limit_holds_under_races
);

async fn drafts_belong_to_their_party(store: Arc<dyn Store>) {
    let t0 = OffsetDateTime::now_utc();
    let [a, b] = ["UZ000000000101", "UZ000000000102"].map(|s| Eori::parse(s).unwrap());
    let body = r#"{"items":1,"values":{"/items/0/hsCode":"12AB"}}"#;
    let d1 = store
        .create_draft(&a, "trader1", "LRN-1", body, t0, 200)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(d1.operator, a);
    assert_eq!(d1.created_by, "trader1");
    assert_eq!(d1.created_at, d1.updated_at);
    let got = store.draft(&a, d1.id).await.unwrap().expect("found");
    assert_eq!(got, d1, "read back as stored, to the nanosecond");
    // Another party finds nothing, changes nothing, deletes nothing.
    assert_eq!(store.draft(&b, d1.id).await.unwrap(), None);
    assert!(!store
        .update_draft(&b, d1.id, "X", "{}", t0 + Duration::seconds(1))
        .await
        .unwrap());
    assert!(!store.delete_draft(&b, d1.id).await.unwrap());
    assert!(store.drafts_of(&b, 10, 0).await.unwrap().is_empty());
    assert_eq!(store.count_drafts(&b).await.unwrap(), 0);
    assert_eq!(store.draft(&a, d1.id).await.unwrap(), Some(d1.clone()));

    // More drafts of A (and one of B); saving one again moves it first.
    let d2 = store
        .create_draft(&a, "trader1b", "", "{}", t0 + Duration::seconds(2), 200)
        .await
        .unwrap()
        .unwrap();
    let d3 = store
        .create_draft(&a, "trader1", "LRN-3", "{}", t0 + Duration::seconds(3), 200)
        .await
        .unwrap()
        .unwrap();
    let db = store
        .create_draft(&b, "trader2", "B", "{}", t0 + Duration::seconds(4), 200)
        .await
        .unwrap()
        .unwrap();
    let later = t0 + Duration::seconds(5);
    assert!(store
        .update_draft(&a, d1.id, "LRN-1b", "{\"items\":2}", later)
        .await
        .unwrap());
    let again = store.draft(&a, d1.id).await.unwrap().unwrap();
    assert_eq!(
        (again.name.as_str(), again.body.as_str()),
        ("LRN-1b", "{\"items\":2}")
    );
    assert_eq!(again.created_at, d1.created_at);
    assert_eq!(again.updated_at, later);
    assert_eq!(again.created_by, "trader1", "the author stays");
    let ids = |v: Vec<tamga_store::DraftHead>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.drafts_of(&a, 10, 0).await.unwrap()),
        vec![d1.id, d3.id, d2.id]
    );
    assert_eq!(
        ids(store.drafts_of(&a, 2, 0).await.unwrap()),
        vec![d1.id, d3.id]
    );
    assert_eq!(ids(store.drafts_of(&a, 2, 2).await.unwrap()), vec![d2.id]);
    assert_eq!(store.count_drafts(&a).await.unwrap(), 3);
    assert_eq!(ids(store.drafts_of(&b, 10, 0).await.unwrap()), vec![db.id]);

    // Deleted once.
    assert!(store.delete_draft(&a, d2.id).await.unwrap());
    assert!(!store.delete_draft(&a, d2.id).await.unwrap());
    assert_eq!(store.draft(&a, d2.id).await.unwrap(), None);
    assert_eq!(store.count_drafts(&a).await.unwrap(), 2);
    assert_eq!(store.count_drafts(&b).await.unwrap(), 1);
}

async fn the_draft_limit_holds_under_races(store: Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let [a, b] = ["UZ000000000101", "UZ000000000102"].map(|s| Eori::parse(s).unwrap());
    // 12 saves at once against a limit of 5: exactly 5 stored.
    let saves = (0..12).map(|i| {
        let (store, a) = (store.clone(), a.clone());
        tokio::spawn(async move {
            store
                .create_draft(&a, "trader1", &format!("L-{i}"), "{}", now, 5)
                .await
                .unwrap()
                .is_some()
        })
    });
    let mut stored = 0;
    for s in saves {
        if s.await.unwrap() {
            stored += 1;
        }
    }
    assert_eq!(stored, 5);
    assert_eq!(store.count_drafts(&a).await.unwrap(), 5);
    // The limit is per party: B still saves.
    assert!(store
        .create_draft(&b, "trader2", "B", "{}", now, 5)
        .await
        .unwrap()
        .is_some());
    // One deleted: one more fits again.
    let first = store.drafts_of(&a, 1, 0).await.unwrap()[0].id;
    assert!(store.delete_draft(&a, first).await.unwrap());
    assert!(store
        .create_draft(&a, "trader1", "L-again", "{}", now, 5)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .create_draft(&a, "trader1", "L-over", "{}", now, 5)
        .await
        .unwrap()
        .is_none());
}
