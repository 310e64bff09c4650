//! Draw secrets (issue 13, finding 3), on SQLite and (when
//! `TAMGA_TEST_PG_URL` is set) PostgreSQL: instances starting together on
//! one database share one secret; rotation retires the current one and
//! keeps exactly one current; secrets are never lost.

use std::sync::Arc;

use time::OffsetDateTime;

use tamga_core::risk::commitment;
use tamga_store::Store;

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = tamga_store::testing::TestDb::sqlite().await;
                super::$name(db.open().await, db.open().await).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
            async fn $name() {
                let db = tamga_store::testing::TestDb::postgres_variant().await;
                super::$name(db.open().await, db.open().await).await;
            })*
        }
    };
}

stories!(
    instances_starting_together_share_one_secret,
    rotation_retires_and_keeps_one_current,
);

fn candidate(b: u8) -> ([u8; 32], String) {
    let s = [b; 32];
    (s, commitment(&s))
}

/// Two stores on one database (two instances), each asking for the
/// current secret with its own candidate, many times at once.
async fn instances_starting_together_share_one_secret(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.current_draw_secret(candidate(i + 1), now).await.unwrap()
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    assert!(got.windows(2).all(|w| w[0] == w[1]), "{got:?}");
    let all = a.draw_secrets().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0], got[0]);
    assert_eq!(all[0].commitment, commitment(&all[0].secret));
    assert_eq!(all[0].retired_at, None);
    // Asked again later: the same one.
    assert_eq!(
        b.current_draw_secret(candidate(99), now).await.unwrap(),
        got[0]
    );
}

async fn rotation_retires_and_keeps_one_current(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    let now = OffsetDateTime::now_utc();
    let first = a.current_draw_secret(candidate(1), now).await.unwrap();
    let second = b.rotate_draw_secret(candidate(2), now).await.unwrap();
    assert_ne!(first.id, second.id);
    assert_eq!(second.secret, [2; 32]);
    assert_eq!(second.retired_at, None);
    assert_eq!(
        a.current_draw_secret(candidate(3), now).await.unwrap(),
        second
    );
    let old = a.draw_secret(first.id).await.unwrap().unwrap();
    assert_eq!(old.secret, first.secret);
    assert!(old.retired_at.is_some());
    assert_eq!(a.draw_secret(12345).await.unwrap(), None);

    // Concurrent rotations: each either succeeds or is refused; one
    // secret is current afterwards and none is lost.
    let mut tasks = Vec::new();
    for i in 0..6u8 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.rotate_draw_secret(candidate(10 + i), now).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(tamga_store::StoreError::AlreadyExists(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ok >= 1);
    let all = a.draw_secrets().await.unwrap();
    assert_eq!(all.len(), 2 + ok);
    assert_eq!(all.iter().filter(|s| s.retired_at.is_none()).count(), 1);
    assert!(all.last().unwrap().retired_at.is_none());
}
