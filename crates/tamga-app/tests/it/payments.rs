//! Duties and the single personal account through the real pipeline, on
//! SQLite and (with `TAMGA_TEST_PG_URL`) PostgreSQL: many declarations at
//! once against one account that covers only some of them.

use std::sync::Arc;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use tamga_app::{Clearance, Settings, Signed};
use tamga_core::codes::Eori;
use tamga_core::declaration::Declaration;
use tamga_core::ledger::{payment_reference, AccountKind};
use tamga_core::lifecycle::State;
use tamga_core::risk::RandomSelection;
use tamga_core::signature;
use tamga_sim::{demo_traders, Generator, GeneratorConfig};
use tamga_store::testing::TestDb;
use tamga_store::{DeclarationQuery, Operator, Store};

const TRADER: &str = "UZ000000000777";

/// A started service with one trader (no funds yet), no random selection,
/// and a declaration body for it with its duties (national currency).
async fn setup(
    db: &TestDb,
) -> (
    Arc<Clearance>,
    ed25519_dalek::SigningKey,
    serde_json::Value,
    Decimal,
) {
    let store = tamga_store::open(&db.url).await.unwrap();
    tamga_app::bootstrap(&store, false).await.unwrap();
    store
        .set_random_selection(&RandomSelection {
            yellow_rate: Decimal::ZERO,
            red_rate: Decimal::ZERO,
            seed: 1,
        })
        .await
        .unwrap();
    let id = Eori::parse(TRADER).unwrap();
    store
        .create_operator(&Operator {
            id: id.clone(),
            name: "Concurrency Test LLC".into(),
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    // The fixture registers the operator's first key (as an administrator
    // would: a token alone does not).
    let key = signature::signing_key_from_seed([7; 32]);
    let public_key = signature::public_key_b64(&key.verifying_key());
    store
        .add_signing_key(&tamga_store::SigningKeyRecord {
            key_id: tamga_app::clearance::key_id_of(&public_key),
            operator: id.clone(),
            public_key,
            created_at: OffsetDateTime::now_utc(),
            revoked: false,
        })
        .await
        .unwrap();
    let clearance = Clearance::start(store, Settings::default()).await.unwrap();
    let mut profile = demo_traders(8)[0].clone();
    profile.id = id;
    let mut cfg = GeneratorConfig::demo(1, OffsetDateTime::now_utc().date(), 42);
    cfg.traders = vec![profile];
    cfg.error_share = Some(0.0);
    cfg.frauds = false;
    let tariff = tamga_app::reference::demo_tariff().unwrap();
    let mut generator = Generator::new(cfg, &tamga_app::reference::shipped().unwrap())
        .unwrap()
        .with_tariff(&tariff);
    let body: serde_json::Value = serde_json::from_slice(&generator.next().body).unwrap();
    let d: Declaration = serde_json::from_value(body.clone()).unwrap();
    let due = tamga_core::tariff::assess_declaration(
        &tariff,
        &d,
        OffsetDateTime::now_utc().date(),
        &tamga_core::tariff::FullVolume,
    )
    .unwrap()
    .total
    .amount;
    assert!(due > Decimal::ZERO);
    (clearance, key, body, due)
}

async fn lodge(
    c: &Clearance,
    key: &ed25519_dalek::SigningKey,
    body: &serde_json::Value,
    lrn: &str,
) -> State {
    let mut doc = body.clone();
    doc["lrn"] = serde_json::json!(lrn);
    let bytes = serde_json::to_vec(&doc).unwrap();
    let sig = signature::sign(key, &bytes);
    let a = c
        .lodge(
            &Eori::parse(TRADER).unwrap(),
            Signed {
                body: &bytes,
                signature: Some(&sig),
                key_id: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{lrn}: {e}"));
    a.record.state
}

async fn count(store: &Arc<dyn Store>, state: State) -> usize {
    store
        .declarations(&DeclarationQuery {
            states: Some(vec![state]),
            limit: 5000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

/// 1,000 declarations lodged at once against funds for 600: exactly 600
/// released, 400 waiting for payment, the balance exact, no overdraft;
/// then a deposit releases the waiting ones it covers.
async fn thousand_against_six_hundred(db: TestDb) {
    let (c, key, body, due) = setup(&db).await;
    let store = c.store().clone();
    let id = Eori::parse(TRADER).unwrap();
    store
        .ensure_ledger_account(
            &id,
            AccountKind::Cash,
            &c.accounts().currency().code,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    store
        .deposit(
            &payment_reference(&id),
            "BANK-1",
            c.accounts().minor(due * Decimal::from(600)).unwrap(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let (c, key, body) = (c.clone(), key.clone(), body.clone());
        tasks.spawn(async move { lodge(&c, &key, &body, &format!("CONC-{i:04}")).await });
    }
    let mut released = 0;
    let mut waiting = 0;
    while let Some(state) = tasks.join_next().await {
        match state.unwrap() {
            State::Released => released += 1,
            State::AwaitingPayment => waiting += 1,
            s => panic!("unexpected state {s:?}"),
        }
    }
    assert_eq!((released, waiting), (600, 400));
    assert_eq!(count(&store, State::Released).await, 600);
    assert_eq!(count(&store, State::AwaitingPayment).await, 400);
    let cash = store
        .ledger_accounts(Some(&id))
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == AccountKind::Cash)
        .unwrap();
    assert_eq!(cash.balances.available, 0);
    assert_eq!(cash.balances.reserved, 0);
    assert!(store.ledger_check().await.unwrap().is_sound());

    // A deposit for 150 more releases exactly 150 of the waiting ones.
    let (receipt, released_now) = c
        .deposit(
            &tamga_app::Caller::User(bank_user()),
            &payment_reference(&id),
            "BANK-2",
            due * Decimal::from(150),
            &c.accounts().currency().code,
        )
        .await
        .unwrap();
    assert!(!receipt.replay);
    assert_eq!(released_now.len(), 150);
    assert_eq!(count(&store, State::Released).await, 750);
    assert_eq!(count(&store, State::AwaitingPayment).await, 250);
    // The same bank payment again moves nothing and releases nothing.
    let (again, none) = c
        .deposit(
            &tamga_app::Caller::User(bank_user()),
            &payment_reference(&id),
            "BANK-2",
            due * Decimal::from(150),
            &c.accounts().currency().code,
        )
        .await
        .unwrap();
    assert!(again.replay);
    assert!(none.is_empty());
    let cash = store.ledger_account(cash.id).await.unwrap().unwrap();
    assert_eq!((cash.balances.available, cash.balances.reserved), (0, 0));
    assert!(store.ledger_check().await.unwrap().is_sound());
}

fn bank_user() -> tamga_store::User {
    tamga_store::User::staff(
        "bank",
        "Bank",
        tamga_store::Role::Bank,
        vec![],
        OffsetDateTime::now_utc(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_thousand_against_six_hundred() {
    thousand_against_six_hundred(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_thousand_against_six_hundred() {
    thousand_against_six_hundred(TestDb::postgres_variant().await).await;
}

/// A wheat declaration of `tonnes` under the demo tariff's wheat quota
/// (order 090101, 50,000 t per year), with its phytosanitary certificate.
fn wheat(body: &serde_json::Value, tonnes: i64) -> serde_json::Value {
    let mut doc = body.clone();
    let mut item = doc["items"][0].clone();
    let net = tonnes * 1000;
    item["sequence"] = serde_json::json!(1);
    item["hsCode"] = serde_json::json!("1001990000");
    item["description"] = serde_json::json!("Wheat, other than durum, for milling");
    item["netMassKg"] = serde_json::json!(net.to_string());
    item["grossMassKg"] = serde_json::json!((net + 1000).to_string());
    item["supplementaryUnits"] = serde_json::Value::Null;
    let docs = item["documents"].as_array_mut().unwrap();
    docs.retain(|d| d["type"] != "N851");
    docs.push(serde_json::json!({"type": "N851", "reference": "PHYTO-0001"}));
    doc["items"] = serde_json::json!([item]);
    doc["invoice"]["amount"] = item["itemPrice"].clone();
    doc["totals"]["grossMassKg"] = serde_json::json!((net + 1000).to_string());
    doc["totals"]["packages"] = item["packages"]["count"].clone();
    doc
}

async fn quota_drawn_by(c: &Clearance, lrn: &str) -> Decimal {
    let id = Eori::parse(TRADER).unwrap();
    let rec = c
        .store()
        .declaration_by_lrn(&id, &tamga_core::codes::Lrn::parse(lrn).unwrap())
        .await
        .unwrap()
        .unwrap();
    let events = c.store().events(&rec.mrn).await.unwrap();
    events
        .iter()
        .find_map(|e| match &e.body {
            tamga_core::lifecycle::EventBody::DutiesAssessed {
                result: tamga_core::pipeline::DutyResult::Assessed { assessment, .. },
            } => Some(
                assessment.items[0]
                    .quota_draws
                    .iter()
                    .map(|q| q.quantity)
                    .sum(),
            ),
            _ => None,
        })
        .unwrap()
}

/// Tariff quotas are drawn first come, first served; an exhausted quota
/// falls back to the normal rate; an invalidated declaration gives its
/// draw back; the balance survives a restart.
async fn quota_first_come_first_served(db: TestDb) {
    let (c, key, body, _) = setup(&db).await;
    let t20 = Decimal::from(20_000_000);
    for (lrn, expect) in [("Q-A", t20), ("Q-B", t20), ("Q-C", Decimal::ZERO)] {
        lodge(&c, &key, &wheat(&body, 20_000), lrn).await;
        assert_eq!(quota_drawn_by(&c, lrn).await, expect, "{lrn}");
    }
    // Invalidating A gives its 20,000 t back.
    let a = c
        .store()
        .declaration_by_lrn(
            &Eori::parse(TRADER).unwrap(),
            &tamga_core::codes::Lrn::parse("Q-A").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let reason = format!(r#"{{"mrn":"{}","reason":"goods not shipped"}}"#, a.mrn);
    let reason = reason.as_bytes();
    let sig = signature::sign(&key, reason);
    c.invalidate(
        &Eori::parse(TRADER).unwrap(),
        &a.mrn,
        Signed {
            body: reason,
            signature: Some(&sig),
            key_id: None,
        },
    )
    .await
    .unwrap();
    lodge(&c, &key, &wheat(&body, 20_000), "Q-D").await;
    assert_eq!(quota_drawn_by(&c, "Q-D").await, t20);
    // After a restart the balance is what is stored: 10,000 t left.
    let c2 = Clearance::start(c.store().clone(), Settings::default())
        .await
        .unwrap();
    lodge(&c2, &key, &wheat(&body, 20_000), "Q-E").await;
    assert_eq!(quota_drawn_by(&c2, "Q-E").await, Decimal::ZERO);
    lodge(&c2, &key, &wheat(&body, 10_000), "Q-F").await;
    assert_eq!(quota_drawn_by(&c2, "Q-F").await, Decimal::from(10_000_000));
}

/// Lodgings drawing on one quota at once, among lodgings of goods without
/// a quota (assessed without the quota lock): the quota is drawn to its
/// volume and never beyond, each draw whole or nothing.
async fn concurrent_draws_never_exceed_the_quota(db: TestDb) {
    let (c, key, body, _) = setup(&db).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (c, key) = (c.clone(), key.clone());
        let doc = if i % 2 == 0 {
            wheat(&body, 4_000)
        } else {
            body.clone()
        };
        tasks.spawn(async move {
            let lrn = format!("QC-{i}");
            lodge(&c, &key, &doc, &lrn).await;
            (i, lrn)
        });
    }
    let mut drawn = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (i, lrn) = r.unwrap();
        if i % 2 == 0 {
            drawn.push(quota_drawn_by(&c, &lrn).await);
        }
    }
    // 50,000 t: twelve lodgings of 4,000 t fit, all of them drew in full.
    let t4 = Decimal::from(4_000_000);
    assert!(drawn.iter().all(|d| *d == t4), "{drawn:?}");
    // 2,000 t are left: of three lodgings of 1,000 t at once, two draw
    // and the third finds the quota exhausted.
    let mut late = tokio::task::JoinSet::new();
    for i in 0..3 {
        let (c, key, doc) = (c.clone(), key.clone(), wheat(&body, 1_000));
        late.spawn(async move {
            let lrn = format!("QL-{i}");
            lodge(&c, &key, &doc, &lrn).await;
            lrn
        });
    }
    let mut last = Vec::new();
    while let Some(r) = late.join_next().await {
        last.push(quota_drawn_by(&c, &r.unwrap()).await);
    }
    last.sort();
    let t1 = Decimal::from(1_000_000);
    assert_eq!(last, vec![Decimal::ZERO, t1, t1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_draws_never_exceed_the_quota() {
    concurrent_draws_never_exceed_the_quota(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_concurrent_draws_never_exceed_the_quota() {
    concurrent_draws_never_exceed_the_quota(TestDb::postgres_variant().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_quota_first_come_first_served() {
    quota_first_come_first_served(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_quota_first_come_first_served() {
    quota_first_come_first_served(TestDb::postgres_variant().await).await;
}

/// Two instances on one database, each with its own connections and its
/// own count of what is drawn: a quota is never drawn beyond its volume.
/// An instance that assessed against a stale count is refused at commit
/// (what every instance drew is checked there) and assesses again.
async fn two_instances_never_exceed_the_quota(db: TestDb) {
    let (a, key, body, _) = setup(&db).await;
    let other = tamga_store::open(&db.url).await.unwrap();
    let b = Clearance::start(other, Settings::default()).await.unwrap();
    let t20 = Decimal::from(20_000_000);
    // 50,000 t. A draws 20,000 t, then B (which has not seen A's draw) 20,000 t.
    lodge(&a, &key, &wheat(&body, 20_000), "Q2-A").await;
    lodge(&b, &key, &wheat(&body, 20_000), "Q2-B").await;
    assert_eq!(quota_drawn_by(&a, "Q2-A").await, t20);
    assert_eq!(quota_drawn_by(&b, "Q2-B").await, t20);
    // A counts 20,000 t drawn and 30,000 t left; the database says
    // 10,000 t: A's 20,000 t lodging draws nothing, at the normal rate.
    lodge(&a, &key, &wheat(&body, 20_000), "Q2-C").await;
    assert_eq!(quota_drawn_by(&a, "Q2-C").await, Decimal::ZERO);
    // Both at once on the 10,000 t left, 1,000 t each: never beyond.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (key, doc) = (key.clone(), wheat(&body, 1_000));
        tasks.spawn(async move {
            let lrn = format!("Q2-L{i}");
            lodge(&c, &key, &doc, &lrn).await;
            lrn
        });
    }
    let mut late = Decimal::ZERO;
    let t1 = Decimal::from(1_000_000);
    while let Some(r) = tasks.join_next().await {
        let d = quota_drawn_by(&a, &r.unwrap()).await;
        assert!(d == Decimal::ZERO || d == t1, "{d}");
        late += d;
    }
    assert_eq!(
        late,
        Decimal::from(10_000_000),
        "the 10,000 t left, drawn in full"
    );
    let stored: Decimal = a
        .store()
        .quota_drawn()
        .await
        .unwrap()
        .iter()
        .filter(|q| q.order_number == "090101")
        .map(|q| q.quantity)
        .sum();
    assert_eq!(stored, Decimal::from(50_000_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_instances_never_exceed_the_quota() {
    two_instances_never_exceed_the_quota(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_two_instances_never_exceed_the_quota() {
    two_instances_never_exceed_the_quota(TestDb::postgres_variant().await).await;
}
