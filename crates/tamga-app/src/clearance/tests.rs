//! Unit tests of the clearance service's internals: MRN blocks, the load
//! caches, and the re-verification of stored officer signatures.

use std::sync::Arc;

use time::OffsetDateTime;

use tamga_core::codes::{CountryCode, Mrn, MrnCategory};
use tamga_core::declaration::DeclarationType;
use tamga_core::lifecycle::{Actor, Event, EventBody, OfficerSignature};
use tamga_core::signature;
use tamga_store::OfficerKeyRecord;

use super::load_cache::LoadCache;
use super::mrn_blocks::MRN_BLOCK;
use super::signatures::KeyCache;
use super::*;

fn mrn(seq: u64) -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        seq,
        MrnCategory::Import,
    )
    .unwrap()
}

fn key_record(key: &ed25519_dalek::SigningKey, username: &str) -> OfficerKeyRecord {
    let public_key = signature::public_key_b64(&key.verifying_key());
    OfficerKeyRecord {
        key_id: key_id_of(&public_key),
        username: username.into(),
        public_key,
        created_at: OffsetDateTime::UNIX_EPOCH,
        revoked: false,
    }
}

/// A release event of `on` by "officer" whose signature (by `key`)
/// covers `body`.
fn release_event(on: &Mrn, key: &ed25519_dalek::SigningKey, body: &str) -> Event {
    let sig = OfficerSignature {
        key_id: key_record(key, "officer").key_id,
        signature: signature::sign(key, body.as_bytes()),
        body_sha256: sha256_hex(body.as_bytes()),
        body: body.into(),
    };
    Event::seal(
        on,
        7,
        Actor::Officer("officer".into()),
        OffsetDateTime::UNIX_EPOCH,
        EventBody::Released {
            automatic: false,
            signature: Some(sig),
        },
        "",
    )
}

/// MRNs stay unique and in order across blocks: the next block is
/// reserved in the background half-way through the current one and
/// used when it runs out.
#[tokio::test]
async fn mrn_blocks_are_refilled_ahead_without_repeats() {
    let db = tamga_store::testing::TestDb::sqlite().await;
    let store = tamga_store::open(&db.url).await.unwrap();
    crate::bootstrap(&store, false).await.unwrap();
    let c = Clearance::start(store.clone(), Settings::default())
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let mut seen = std::collections::HashSet::new();
    let mut spare_seen = false;
    for i in 0..(MRN_BLOCK * 2 + 10) {
        let m = c.next_mrn(DeclarationType::IM, now).await.unwrap();
        assert!(seen.insert(m.as_str().to_owned()), "{m} given twice");
        if i == MRN_BLOCK - 1 || i == MRN_BLOCK * 3 / 2 {
            // Let the background reservation finish (then, at the end
            // of the first block, check it is the one used next).
            for _ in 0..100 {
                if c.mrns.lock().await.spare.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let g = c.mrns.lock().await;
            if i == MRN_BLOCK - 1 {
                assert_eq!(g.next, g.end, "first block used up");
                spare_seen = g.spare == Some(g.end);
            }
        }
    }
    assert!(spare_seen, "the second block was reserved ahead");
    assert_eq!(seen.len() as u64, MRN_BLOCK * 2 + 10);
    // Three blocks reserved and in use; none reserved twice.
    assert_eq!(
        store.reserve_sequence("mrn", 1).await.unwrap(),
        3 * MRN_BLOCK + 1
    );
}

/// A key list read while a key is registered is not cached (it may
/// miss the new key); an empty one never is.
#[tokio::test]
async fn key_cache_skips_empty_and_raced_lists() {
    let cache: KeyCache<String> = KeyCache::new();
    let owner = "officer".to_owned();
    let key = signature::signing_key_from_seed([5; 32]);
    let entry = || {
        let pk = signature::public_key_b64(&key.verifying_key());
        vec![(key_id_of(&pk), pk, false)]
    };
    let ring = cache.ring(&owner, async { Ok(vec![]) }).await.unwrap();
    assert!(ring.active.is_empty());
    assert!(cache.cached(&owner).is_none());
    let ring = cache
        .ring(&owner, async {
            cache.invalidate(&owner);
            Ok(entry())
        })
        .await
        .unwrap();
    assert_eq!(ring.active.len(), 1);
    assert!(cache.cached(&owner).is_none());
    cache.ring(&owner, async { Ok(entry()) }).await.unwrap();
    assert!(cache.cached(&owner).is_some());
    cache.invalidate(&owner);
    assert!(cache.cached(&owner).is_none());
}

/// Requests that miss a cold cache together are answered by one load;
/// a value `keep` refuses is loaded again by the next request.
#[tokio::test]
async fn concurrent_misses_share_one_load() {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    let cache: Arc<LoadCache<String, u32>> = Arc::new(LoadCache::new());
    let loads = Arc::new(AtomicU32::new(0));
    let load = |loads: Arc<AtomicU32>| async move {
        loads.fetch_add(1, SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Ok(7)
    };
    let key = "trader".to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (cache, key, l) = (cache.clone(), key.clone(), load(loads.clone()));
        tasks.spawn(async move { *cache.get_or_load(&key, l, |_| true).await.unwrap() });
    }
    while let Some(v) = tasks.join_next().await {
        assert_eq!(v.unwrap(), 7);
    }
    assert_eq!(loads.load(SeqCst), 1);

    let other = "other".to_owned();
    for _ in 0..3 {
        cache
            .get_or_load(&other, load(loads.clone()), |_| false)
            .await
            .unwrap();
    }
    assert_eq!(loads.load(SeqCst), 4);
    cache.invalidate(&key);
    cache
        .get_or_load(&key, load(loads.clone()), |_| true)
        .await
        .unwrap();
    assert_eq!(loads.load(SeqCst), 5);
}

/// A value is read again after its time to live, so a change another
/// instance made (which invalidates only its own cache) is seen here too.
#[tokio::test]
async fn values_are_read_again_after_their_time_to_live() {
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
    let cache: LoadCache<String, u32> = LoadCache::with_ttl(std::time::Duration::from_millis(500));
    let loads = AtomicU32::new(0);
    let load = || async { Ok(loads.fetch_add(1, SeqCst) + 1) };
    let key = "trader".to_owned();
    assert_eq!(*cache.get_or_load(&key, load(), |_| true).await.unwrap(), 1);
    assert_eq!(*cache.get_or_load(&key, load(), |_| true).await.unwrap(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(*cache.get_or_load(&key, load(), |_| true).await.unwrap(), 2);
    assert_eq!(loads.load(SeqCst), 2);
}

#[test]
fn stored_signatures_are_checked_for_the_declaration_the_act_and_the_key() {
    let a = mrn(1);
    let b = mrn(2);
    let key = signature::signing_key_from_seed([3; 32]);
    let other = signature::signing_key_from_seed([4; 32]);
    let rec = key_record(&key, "officer");
    let good = format!(r#"{{"mrn":"{a}","act":"release"}}"#);

    let c = check_officer_event(&a, &release_event(&a, &key, &good), Some(&rec)).unwrap();
    assert!(c.signed && c.valid, "{c:?}");

    // Signed for another declaration.
    let e = release_event(&a, &key, &format!(r#"{{"mrn":"{b}","act":"release"}}"#));
    let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
    assert!(c.signed && !c.valid, "{c:?}");
    assert!(c.problem.unwrap().contains("does not name"));
    // Signed as another act (a refusal stored as a release).
    let e = release_event(&a, &key, &format!(r#"{{"mrn":"{a}","act":"refusal"}}"#));
    let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
    assert!(c.signed && !c.valid, "{c:?}");
    assert!(c.problem.unwrap().contains("act"));
    // Signed by another key than the one the event names.
    let e = release_event(&a, &other, &good);
    let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
    assert!(c.signed && !c.valid, "{c:?}");
    // The key is another officer's.
    let c = check_officer_event(
        &a,
        &release_event(&a, &key, &good),
        Some(&key_record(&key, "officer2")),
    )
    .unwrap();
    assert!(!c.valid, "{c:?}");
    // The key is not registered.
    let c = check_officer_event(&a, &release_event(&a, &key, &good), None).unwrap();
    assert!(c.signed && !c.valid, "{c:?}");
    // A tampered stored body no longer has its hash.
    let mut e = release_event(&a, &key, &good);
    if let EventBody::Released {
        signature: Some(s), ..
    } = &mut e.body
    {
        s.body = format!(r#"{{"mrn":"{a}","act":"release" }}"#);
    }
    let c = check_officer_event(&a, &e, Some(&rec)).unwrap();
    assert!(c.signed && !c.valid, "{c:?}");

    // An officer act recorded without a signature.
    let unsigned = Event::seal(
        &a,
        7,
        Actor::Officer("officer".into()),
        OffsetDateTime::UNIX_EPOCH,
        EventBody::Refused {
            reason: "late".into(),
            signature: None,
        },
        "",
    );
    let c = check_officer_event(&a, &unsigned, None).unwrap();
    assert!(!c.signed && !c.valid, "{c:?}");
    // Not an officer act: no check.
    let auto = Event::seal(
        &a,
        7,
        Actor::System,
        OffsetDateTime::UNIX_EPOCH,
        EventBody::Released {
            automatic: true,
            signature: None,
        },
        "",
    );
    assert!(check_officer_event(&a, &auto, None).is_none());
}
