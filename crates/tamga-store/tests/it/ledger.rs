//! Ledger stories (the single personal account), run against every backend:
//! SQLite always, PostgreSQL when `TAMGA_TEST_PG_URL` is set.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use tamga_core::codes::{CountryCode, CurrencyCode, Eori, Mrn, MrnCategory};
use tamga_core::ledger::{
    breakdown, payment_reference, AccountId, AccountKind, Balances, Bucket, LedgerOp,
    LedgerOutcome, RefundStatus, ReservationStatus, TxnKind,
};
use tamga_store::testing::TestDb;
use tamga_store::{LedgerAccount, Store};

// --- harness -------------------------------------------------------------------

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;

async fn run(env: TestDb, story: impl FnOnce(Arc<dyn Store>) -> BoxFut) {
    let store = env.open().await;
    let result = tokio::spawn(story(store)).await;
    drop(env);
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! story {
    ($name:ident, $sqlite:ident, $pg:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            run(TestDb::sqlite().await, |s| Box::pin($name(s))).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
        async fn $pg() {
            run(TestDb::postgres_variant().await, |s| Box::pin($name(s))).await;
        }
    };
}

story!(
    deposits_are_idempotent,
    sqlite_deposits_are_idempotent,
    postgres_deposits_are_idempotent
);
story!(
    reserve_debit_release,
    sqlite_reserve_debit_release,
    postgres_reserve_debit_release
);
story!(
    insufficient_changes_nothing,
    sqlite_insufficient_changes_nothing,
    postgres_insufficient_changes_nothing
);
story!(statements, sqlite_statements, postgres_statements);
story!(refunds, sqlite_refunds, postgres_refunds);
story!(guarantees, sqlite_guarantees, postgres_guarantees);
story!(
    bad_amounts_and_kinds,
    sqlite_bad_amounts_and_kinds,
    postgres_bad_amounts_and_kinds
);
story!(
    batches_have_one_outcome_per_op,
    sqlite_batches_have_one_outcome_per_op,
    postgres_batches_have_one_outcome_per_op
);
story!(
    no_overdraft_under_concurrency,
    sqlite_no_overdraft_under_concurrency,
    postgres_no_overdraft_under_concurrency
);

// --- builders ------------------------------------------------------------------

fn eori(s: &str) -> Eori {
    Eori::parse(s).unwrap()
}
fn uzs() -> CurrencyCode {
    CurrencyCode::parse("UZS").unwrap()
}
fn mrn(n: u64) -> Mrn {
    Mrn::generate(
        2026,
        &CountryCode::parse("UZ").unwrap(),
        n,
        MrnCategory::Import,
    )
    .unwrap()
}
fn t(offset_ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_789).unwrap()
        + Duration::milliseconds(offset_ms)
}

async fn cash(store: &Arc<dyn Store>, owner: &str) -> LedgerAccount {
    store
        .ensure_ledger_account(&eori(owner), AccountKind::Cash, &uzs(), t(0))
        .await
        .unwrap()
}

async fn balances(store: &Arc<dyn Store>, id: AccountId) -> Balances {
    store.ledger_account(id).await.unwrap().unwrap().balances
}

async fn internal(store: &Arc<dyn Store>, kind: AccountKind) -> Balances {
    store
        .ledger_accounts(None)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == kind && a.currency == uzs())
        .unwrap()
        .balances
}

fn bal(available: i64, reserved: i64) -> Balances {
    Balances {
        available,
        reserved,
    }
}

fn code(o: &LedgerOutcome) -> &'static str {
    match o {
        LedgerOutcome::Refused(e) => e.code(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn assert_sound(store: &Arc<dyn Store>) {
    let c = store.ledger_check().await.unwrap();
    assert!(c.is_sound(), "ledger check failed: {c:?}");
}

// --- stories -------------------------------------------------------------------

async fn deposits_are_idempotent(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    let again = cash(&store, "UZ100").await;
    assert_eq!(a, again, "ensure is idempotent");
    let pref = a.payment_reference.clone().unwrap();
    assert_eq!(pref, payment_reference(&eori("UZ100")));
    assert_eq!(
        store
            .ledger_account_by_payment_reference(&pref)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(a.id)
    );

    let first = store.deposit(&pref, "BANK-1", 100_000, t(1)).await.unwrap();
    let LedgerOutcome::Deposited {
        txn, replay: false, ..
    } = first
    else {
        panic!("{first:?}")
    };
    // Same bank payment again: the original transaction, nothing moves.
    let second = store.deposit(&pref, "BANK-1", 100_000, t(2)).await.unwrap();
    assert_eq!(
        second,
        LedgerOutcome::Deposited {
            txn,
            account: a.id,
            amount: 100_000,
            replay: true
        }
    );
    // Same bank reference, other amount or other account: refused.
    let o = store.deposit(&pref, "BANK-1", 100_001, t(3)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-DUPLICATE-PAYMENT");
    let b = cash(&store, "UZ200").await;
    let o = store
        .deposit(
            b.payment_reference.as_ref().unwrap(),
            "BANK-1",
            100_000,
            t(3),
        )
        .await
        .unwrap();
    assert_eq!(code(&o), "LEDGER-DUPLICATE-PAYMENT");
    // Payment references are checked.
    let o = store.deposit("RF00UZ100", "BANK-2", 5, t(3)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-BAD-PAYMENT-REFERENCE");
    let unknown = payment_reference(&eori("UZ999"));
    let o = store.deposit(&unknown, "BANK-3", 5, t(3)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-UNKNOWN-PAYMENT-REFERENCE");

    assert_eq!(balances(&store, a.id).await, bal(100_000, 0));
    assert_eq!(balances(&store, b.id).await, bal(0, 0));
    assert_eq!(
        internal(&store, AccountKind::BankClearing).await,
        bal(100_000, 0)
    );
    assert_sound(&store).await;
}

async fn reserve_debit_release(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    let pref = a.payment_reference.clone().unwrap();
    store.deposit(&pref, "B1", 100_000, t(1)).await.unwrap();

    let o = store.reserve(a.id, &mrn(1), 30_000, t(2)).await.unwrap();
    let LedgerOutcome::Reserved { txn, replay: false } = o else {
        panic!("{o:?}")
    };
    assert_eq!(
        store.reserve(a.id, &mrn(1), 30_000, t(3)).await.unwrap(),
        LedgerOutcome::Reserved { txn, replay: true }
    );
    let o = store.reserve(a.id, &mrn(1), 30_001, t(3)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-RESERVATION-CONFLICT");
    assert_eq!(balances(&store, a.id).await, bal(70_000, 30_000));
    let r = store.reservation(&mrn(1)).await.unwrap().unwrap();
    assert_eq!((r.amount, r.status), (30_000, ReservationStatus::Reserved));

    let o = store.debit_reservation(&mrn(1), t(4)).await.unwrap();
    let LedgerOutcome::Debited {
        txn: debit_txn,
        amount: 30_000,
        replay: false,
        ..
    } = o
    else {
        panic!("{o:?}")
    };
    // A retried debit is answered with the original one.
    assert!(matches!(
        store.debit_reservation(&mrn(1), t(5)).await.unwrap(),
        LedgerOutcome::Debited { txn, replay: true, .. } if txn == debit_txn
    ));
    let o = store.release_reservation(&mrn(1), t(5)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-RESERVATION-SETTLED");
    let o = store.reserve(a.id, &mrn(1), 30_000, t(5)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-RESERVATION-SETTLED");
    assert_eq!(balances(&store, a.id).await, bal(70_000, 0));
    assert_eq!(internal(&store, AccountKind::Revenue).await, bal(30_000, 0));

    // Invalidation: the reservation goes back to available.
    store.reserve(a.id, &mrn(2), 20_000, t(6)).await.unwrap();
    assert_eq!(balances(&store, a.id).await, bal(50_000, 20_000));
    let o = store.release_reservation(&mrn(2), t(7)).await.unwrap();
    assert!(matches!(
        o,
        LedgerOutcome::Released {
            amount: 20_000,
            replay: false,
            ..
        }
    ));
    assert!(matches!(
        store.release_reservation(&mrn(2), t(7)).await.unwrap(),
        LedgerOutcome::Released { replay: true, .. }
    ));
    let o = store.debit_reservation(&mrn(2), t(8)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-RESERVATION-SETTLED");
    assert_eq!(balances(&store, a.id).await, bal(70_000, 0));
    // A released declaration may be secured again (e.g. after amendment).
    let o = store.reserve(a.id, &mrn(2), 25_000, t(9)).await.unwrap();
    assert!(matches!(o, LedgerOutcome::Reserved { replay: false, .. }));
    assert_eq!(balances(&store, a.id).await, bal(45_000, 25_000));

    let o = store.debit_reservation(&mrn(3), t(9)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-NO-RESERVATION");
    let o = store.release_reservation(&mrn(3), t(9)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-NO-RESERVATION");
    assert_sound(&store).await;
}

async fn insufficient_changes_nothing(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    store
        .deposit(a.payment_reference.as_ref().unwrap(), "B1", 10_000, t(1))
        .await
        .unwrap();
    let before = store.ledger_check().await.unwrap();
    let o = store.reserve(a.id, &mrn(1), 10_001, t(2)).await.unwrap();
    assert_eq!(o, LedgerOutcome::Insufficient { available: 10_000 });
    assert_eq!(store.ledger_check().await.unwrap(), before);
    assert_eq!(balances(&store, a.id).await, bal(10_000, 0));
    assert_eq!(store.reservation(&mrn(1)).await.unwrap(), None);
    // Exactly the available amount fits.
    let o = store.reserve(a.id, &mrn(1), 10_000, t(3)).await.unwrap();
    assert!(matches!(o, LedgerOutcome::Reserved { .. }));
    let o = store.reserve(a.id, &mrn(2), 1, t(3)).await.unwrap();
    assert_eq!(o, LedgerOutcome::Insufficient { available: 0 });
    assert_eq!(balances(&store, a.id).await, bal(0, 10_000));
    assert_sound(&store).await;
}

async fn statements(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    let pref = a.payment_reference.clone().unwrap();
    store.deposit(&pref, "B1", 100_000, t(0)).await.unwrap();
    store.reserve(a.id, &mrn(1), 30_000, t(10)).await.unwrap();
    store.debit_reservation(&mrn(1), t(20)).await.unwrap();
    store.reserve(a.id, &mrn(2), 20_000, t(30)).await.unwrap();
    store.release_reservation(&mrn(2), t(40)).await.unwrap();
    store.deposit(&pref, "B2", 5_000, t(50)).await.unwrap();

    let s = store.statement(a.id, t(15), t(45)).await.unwrap().unwrap();
    assert_eq!(s.opening, bal(70_000, 30_000));
    assert_eq!(s.closing, bal(70_000, 0));
    let kinds: Vec<(TxnKind, Bucket, i64)> = s
        .movements
        .iter()
        .map(|m| (m.kind, m.bucket, m.delta))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (TxnKind::Debit, Bucket::Reserved, -30_000),
            (TxnKind::Reserve, Bucket::Available, -20_000),
            (TxnKind::Reserve, Bucket::Reserved, 20_000),
            (TxnKind::Release, Bucket::Reserved, -20_000),
            (TxnKind::Release, Bucket::Available, 20_000),
        ]
    );
    let b = breakdown(&s.movements);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].0, mrn(1));
    assert_eq!(
        (b[0].1.reserved, b[0].1.debited, b[0].1.released),
        (0, 30_000, 0)
    );
    assert_eq!(b[1].0, mrn(2));
    assert_eq!(
        (b[1].1.reserved, b[1].1.debited, b[1].1.released),
        (20_000, 0, 20_000)
    );

    // The whole history: from nothing to the current balance.
    let all = store.statement(a.id, t(-1), t(100)).await.unwrap().unwrap();
    assert_eq!(all.opening, bal(0, 0));
    assert_eq!(all.closing, balances(&store, a.id).await);
    assert_eq!(all.closing, bal(75_000, 0));
    assert!(all
        .movements
        .iter()
        .any(|m| m.kind == TxnKind::Deposit && m.reference.as_deref() == Some("B2")));
    // An empty period keeps the balance.
    let quiet = store.statement(a.id, t(60), t(70)).await.unwrap().unwrap();
    assert_eq!(
        (quiet.opening, quiet.closing),
        (bal(75_000, 0), bal(75_000, 0))
    );
    assert!(quiet.movements.is_empty());
    assert_eq!(store.statement(999_999, t(0), t(1)).await.unwrap(), None);
}

async fn refunds(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    store
        .deposit(a.payment_reference.as_ref().unwrap(), "B1", 50_000, t(0))
        .await
        .unwrap();
    let o = store.request_refund(a.id, 20_000, t(1)).await.unwrap();
    let LedgerOutcome::RefundRequested { refund: r1, .. } = o else {
        panic!("{o:?}")
    };
    assert_eq!(balances(&store, a.id).await, bal(30_000, 0));
    assert_eq!(
        internal(&store, AccountKind::RefundsPending).await,
        bal(20_000, 0)
    );
    let o = store.request_refund(a.id, 40_000, t(2)).await.unwrap();
    assert_eq!(o, LedgerOutcome::Insufficient { available: 30_000 });

    let o = store
        .decide_refund(r1, true, "officer1", t(3))
        .await
        .unwrap();
    assert!(matches!(
        o,
        LedgerOutcome::RefundDecided { approved: true, .. }
    ));
    let o = store
        .decide_refund(r1, false, "officer2", t(4))
        .await
        .unwrap();
    assert_eq!(code(&o), "LEDGER-REFUND-DECIDED");
    assert_eq!(
        internal(&store, AccountKind::BankClearing).await,
        bal(30_000, 0)
    );

    let LedgerOutcome::RefundRequested { refund: r2, .. } =
        store.request_refund(a.id, 10_000, t(5)).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(balances(&store, a.id).await, bal(20_000, 0));
    let o = store
        .decide_refund(r2, false, "officer1", t(6))
        .await
        .unwrap();
    assert!(matches!(
        o,
        LedgerOutcome::RefundDecided {
            approved: false,
            ..
        }
    ));
    assert_eq!(balances(&store, a.id).await, bal(30_000, 0));
    assert_eq!(
        internal(&store, AccountKind::RefundsPending).await,
        bal(0, 0)
    );

    let list = store.refunds(a.id).await.unwrap();
    assert_eq!(
        list.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        vec![(r1, RefundStatus::Approved), (r2, RefundStatus::Rejected)]
    );
    assert_eq!(list[0].decided_by.as_deref(), Some("officer1"));
    assert_eq!(store.refund(r2).await.unwrap().unwrap().amount, 10_000);
    let o = store.decide_refund(424_242, true, "x", t(7)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-UNKNOWN-REFUND");
    assert_sound(&store).await;
}

async fn guarantees(store: Arc<dyn Store>) {
    let g = store
        .ensure_ledger_account(&eori("UZ100"), AccountKind::Guarantee, &uzs(), t(0))
        .await
        .unwrap();
    assert_eq!(g.payment_reference, None);
    let o = store
        .ledger_one(
            LedgerOp::GrantGuarantee {
                account: g.id,
                amount: 100_000,
            },
            t(1),
        )
        .await
        .unwrap();
    assert!(matches!(o, LedgerOutcome::GuaranteeGranted { .. }));
    store.reserve(g.id, &mrn(1), 40_000, t(2)).await.unwrap();
    store.debit_reservation(&mrn(1), t(3)).await.unwrap();
    assert_eq!(balances(&store, g.id).await, bal(60_000, 0));
    assert_eq!(
        internal(&store, AccountKind::DeferredDuties).await,
        bal(40_000, 0)
    );
    assert_eq!(internal(&store, AccountKind::Revenue).await, bal(0, 0));
    assert_eq!(
        internal(&store, AccountKind::GuaranteeCommitments).await,
        bal(100_000, 0)
    );
    let o = store.reserve(g.id, &mrn(2), 60_001, t(4)).await.unwrap();
    assert_eq!(o, LedgerOutcome::Insufficient { available: 60_000 });
    // A guarantee takes no deposits and pays no refunds.
    let o = store.request_refund(g.id, 1, t(4)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-WRONG-ACCOUNT-KIND");
    assert_eq!(
        store
            .ledger_accounts(Some(&eori("UZ100")))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_sound(&store).await;
}

async fn bad_amounts_and_kinds(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    let pref = a.payment_reference.clone().unwrap();
    for amount in [0, -5] {
        let o = store.deposit(&pref, "B1", amount, t(1)).await.unwrap();
        assert_eq!(code(&o), "LEDGER-AMOUNT-NOT-POSITIVE");
        let o = store.reserve(a.id, &mrn(1), amount, t(1)).await.unwrap();
        assert_eq!(code(&o), "LEDGER-AMOUNT-NOT-POSITIVE");
        let o = store.request_refund(a.id, amount, t(1)).await.unwrap();
        assert_eq!(code(&o), "LEDGER-AMOUNT-NOT-POSITIVE");
    }
    let o = store.deposit(&pref, "B1", i64::MAX, t(1)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-AMOUNT-TOO-LARGE");
    let o = store.reserve(424_242, &mrn(1), 5, t(1)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-UNKNOWN-ACCOUNT");
    let o = store
        .ledger_one(
            LedgerOp::GrantGuarantee {
                account: a.id,
                amount: 5,
            },
            t(1),
        )
        .await
        .unwrap();
    assert_eq!(code(&o), "LEDGER-WRONG-ACCOUNT-KIND");
    let revenue = store
        .ledger_accounts(None)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.kind == AccountKind::Revenue)
        .unwrap();
    let o = store.reserve(revenue.id, &mrn(1), 5, t(1)).await.unwrap();
    assert_eq!(code(&o), "LEDGER-WRONG-ACCOUNT-KIND");
    assert!(store
        .ensure_ledger_account(&eori("UZ100"), AccountKind::Revenue, &uzs(), t(1))
        .await
        .is_err());
    assert_eq!(store.ledger_check().await.unwrap().transactions, 0);
}

async fn batches_have_one_outcome_per_op(store: Arc<dyn Store>) {
    let a = cash(&store, "UZ100").await;
    let pref = a.payment_reference.clone().unwrap();
    let ops = vec![
        LedgerOp::Deposit {
            payment_reference: pref.clone(),
            bank_reference: "B1".into(),
            amount: 1_000,
        },
        LedgerOp::Reserve {
            account: a.id,
            mrn: mrn(1),
            amount: 600,
        },
        LedgerOp::Reserve {
            account: a.id,
            mrn: mrn(2),
            amount: 600,
        },
        LedgerOp::Debit { mrn: mrn(2) },
        LedgerOp::Reserve {
            account: a.id,
            mrn: mrn(3),
            amount: 400,
        },
        LedgerOp::Debit { mrn: mrn(1) },
        LedgerOp::Deposit {
            payment_reference: pref.clone(),
            bank_reference: "B1".into(),
            amount: 1_000,
        },
    ];
    let out = store.ledger(&ops, t(1)).await.unwrap();
    assert_eq!(out.len(), ops.len());
    assert!(matches!(
        out[0],
        LedgerOutcome::Deposited { replay: false, .. }
    ));
    assert!(matches!(
        out[1],
        LedgerOutcome::Reserved { replay: false, .. }
    ));
    assert_eq!(out[2], LedgerOutcome::Insufficient { available: 400 });
    assert_eq!(code(&out[3]), "LEDGER-NO-RESERVATION");
    assert!(matches!(out[4], LedgerOutcome::Reserved { .. }));
    assert!(matches!(out[5], LedgerOutcome::Debited { amount: 600, .. }));
    assert!(matches!(
        out[6],
        LedgerOutcome::Deposited { replay: true, .. }
    ));
    assert_eq!(balances(&store, a.id).await, bal(0, 400));
    assert_eq!(internal(&store, AccountKind::Revenue).await, bal(600, 0));
    assert_eq!(store.ledger(&[], t(2)).await.unwrap(), vec![]);
    assert_sound(&store).await;
}

/// 1,000 reservations at once against funds for exactly 600 of them.
async fn no_overdraft_under_concurrency(store: Arc<dyn Store>) {
    const AMOUNT: i64 = 1_234_567; // 12,345.67 UZS
    let a = cash(&store, "UZ100").await;
    store
        .deposit(
            a.payment_reference.as_ref().unwrap(),
            "B1",
            600 * AMOUNT,
            t(0),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..1_000u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.reserve(a.id, &mrn(i), AMOUNT, t(1)).await.unwrap()
        }));
    }
    let (mut reserved, mut insufficient) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            LedgerOutcome::Reserved { replay: false, .. } => reserved += 1,
            LedgerOutcome::Insufficient { available } => {
                assert!(available < AMOUNT, "refused with {available} available");
                insufficient += 1
            }
            o => panic!("{o:?}"),
        }
    }
    assert_eq!((reserved, insufficient), (600, 400));
    assert_eq!(balances(&store, a.id).await, bal(0, 600 * AMOUNT));
    // Release the 600 at once: debits all succeed, to the minor unit.
    let mut tasks = Vec::new();
    for i in 0..1_000u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.debit_reservation(&mrn(i), t(2)).await.unwrap()
        }));
    }
    let mut debited = 0;
    for task in tasks {
        match task.await.unwrap() {
            LedgerOutcome::Debited { .. } => debited += 1,
            LedgerOutcome::Refused(e) => assert_eq!(e.code(), "LEDGER-NO-RESERVATION"),
            o => panic!("{o:?}"),
        }
    }
    assert_eq!(debited, 600);
    assert_eq!(balances(&store, a.id).await, bal(0, 0));
    assert_eq!(
        internal(&store, AccountKind::Revenue).await,
        bal(600 * AMOUNT, 0)
    );
    assert_sound(&store).await;
}

// --- property: the ledger stays balanced ----------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Deposit { who: usize, bank: u8, amount: i64 },
    Grant { amount: i64 },
    Reserve { acct: usize, m: u64, amount: i64 },
    Debit { m: u64 },
    Release { m: u64 },
    Refund { who: usize, amount: i64 },
    Decide { nth: usize, approve: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 0..6u8, 1..5_000i64).prop_map(|(who, bank, amount)| Op::Deposit {
            who,
            bank,
            amount
        }),
        (1..5_000i64).prop_map(|amount| Op::Grant { amount }),
        (0..3usize, 0..6u64, 1..3_000i64).prop_map(|(acct, m, amount)| Op::Reserve {
            acct,
            m,
            amount
        }),
        (0..6u64).prop_map(|m| Op::Debit { m }),
        (0..6u64).prop_map(|m| Op::Release { m }),
        (0..2usize, 1..3_000i64).prop_map(|(who, amount)| Op::Refund { who, amount }),
        (0..4usize, any::<bool>()).prop_map(|(nth, approve)| Op::Decide { nth, approve }),
    ]
}

static CASE: AtomicU64 = AtomicU64::new(0);

/// Runs one random scenario on `store` with fresh parties, checking each
/// outcome against a model of the balances, then the whole ledger.
async fn scenario(store: &Arc<dyn Store>, batches: Vec<Vec<Op>>) {
    let case = CASE.fetch_add(1, Ordering::Relaxed);
    let owners = [format!("UZ{case}A"), format!("UZ{case}B")];
    let mut accts = Vec::new();
    for o in &owners {
        accts.push(cash(store, o).await);
    }
    let g = store
        .ensure_ledger_account(&eori(&owners[0]), AccountKind::Guarantee, &uzs(), t(0))
        .await
        .unwrap();
    accts.push(g);
    let mut model: Vec<Balances> = vec![Balances::default(); 3];
    let mut refunds: Vec<i64> = Vec::new();
    let mrn_of = |m: u64| mrn(case * 100 + m);
    for (i, batch) in batches.into_iter().enumerate() {
        let ops: Vec<LedgerOp> = batch
            .iter()
            .map(|o| match o {
                Op::Deposit { who, bank, amount } => LedgerOp::Deposit {
                    payment_reference: accts[*who].payment_reference.clone().unwrap(),
                    bank_reference: format!("C{case}-{bank}"),
                    amount: *amount,
                },
                Op::Grant { amount } => LedgerOp::GrantGuarantee {
                    account: accts[2].id,
                    amount: *amount,
                },
                Op::Reserve { acct, m, amount } => LedgerOp::Reserve {
                    account: accts[*acct].id,
                    mrn: mrn_of(*m),
                    amount: *amount,
                },
                Op::Debit { m } => LedgerOp::Debit { mrn: mrn_of(*m) },
                Op::Release { m } => LedgerOp::Release { mrn: mrn_of(*m) },
                Op::Refund { who, amount } => LedgerOp::RequestRefund {
                    account: accts[*who].id,
                    amount: *amount,
                },
                Op::Decide { nth, approve } => LedgerOp::DecideRefund {
                    refund: refunds.get(*nth).copied().unwrap_or(-1),
                    approve: *approve,
                    officer: "officer".into(),
                },
            })
            .collect();
        let out = store.ledger(&ops, t(i as i64)).await.unwrap();
        assert_eq!(out.len(), ops.len());
        let idx = |id: AccountId| accts.iter().position(|a| a.id == id).unwrap();
        for (op, o) in ops.iter().zip(&out) {
            match (op, o) {
                (_, LedgerOutcome::Refused(_)) => {}
                (
                    LedgerOp::Deposit { amount, .. },
                    LedgerOutcome::Deposited {
                        account, replay, ..
                    },
                ) => {
                    if !replay {
                        model[idx(*account)].available += amount;
                    }
                }
                (
                    LedgerOp::GrantGuarantee { amount, .. },
                    LedgerOutcome::GuaranteeGranted { .. },
                ) => model[2].available += amount,
                (
                    LedgerOp::Reserve {
                        account, amount, ..
                    },
                    LedgerOutcome::Reserved { replay, .. },
                ) => {
                    if !replay {
                        let b = &mut model[idx(*account)];
                        assert!(b.available >= *amount);
                        b.available -= amount;
                        b.reserved += amount;
                    }
                }
                (
                    LedgerOp::Reserve {
                        account, amount, ..
                    },
                    LedgerOutcome::Insufficient { available },
                ) => {
                    assert_eq!(*available, model[idx(*account)].available);
                    assert!(available < amount);
                }
                (
                    LedgerOp::Debit { .. },
                    LedgerOutcome::Debited {
                        account,
                        amount,
                        replay,
                        ..
                    },
                ) => {
                    if !replay {
                        model[idx(*account)].reserved -= amount;
                    }
                }
                (
                    LedgerOp::Release { .. },
                    LedgerOutcome::Released {
                        account,
                        amount,
                        replay,
                        ..
                    },
                ) => {
                    if !replay {
                        let b = &mut model[idx(*account)];
                        b.reserved -= amount;
                        b.available += amount;
                    }
                }
                (
                    LedgerOp::RequestRefund { account, amount },
                    LedgerOutcome::RefundRequested { refund, .. },
                ) => {
                    model[idx(*account)].available -= amount;
                    refunds.push(*refund);
                }
                (
                    LedgerOp::RequestRefund { account, amount },
                    LedgerOutcome::Insufficient { available },
                ) => {
                    assert_eq!(*available, model[idx(*account)].available);
                    assert!(available < amount);
                }
                (
                    LedgerOp::DecideRefund {
                        refund, approve, ..
                    },
                    LedgerOutcome::RefundDecided { .. },
                ) => {
                    if !approve {
                        let r = store.refund(*refund).await.unwrap().unwrap();
                        model[idx(r.account)].available += r.amount;
                    }
                }
                (op, o) => panic!("unexpected outcome {o:?} for {op:?}"),
            }
        }
        for (a, m) in accts.iter().zip(&model) {
            let b = balances(store, a.id).await;
            assert_eq!(b, *m, "balances of account {} after batch {i}", a.id);
            assert!(b.available >= 0 && b.reserved >= 0);
        }
    }
    assert_sound(store).await;
}

fn property(env: TestDb) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(env.open());
    proptest!(ProptestConfig::with_cases(64), |(batches in prop::collection::vec(prop::collection::vec(op(), 1..5), 1..12))| {
        rt.block_on(scenario(&store, batches));
    });
    drop(store);
    drop(env);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_ledger_stays_balanced() {
    property(runtime().block_on(TestDb::sqlite()));
}

#[test]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
fn postgres_ledger_stays_balanced() {
    property(runtime().block_on(TestDb::postgres_variant()));
}
