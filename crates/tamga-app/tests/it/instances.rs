//! Two instances on one database: what one changes, the other uses
//! within about a second (`tamga_app::epochs`), on SQLite and (with
//! `TAMGA_TEST_PG_URL`) PostgreSQL. Each instance opens its own store
//! (its own connections), as two processes would.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::json;
use time::OffsetDateTime;

use tamga_app::risk_admin::RiskAdmin;
use tamga_app::{Caller, Clearance, Settings};
use tamga_core::codes::{Eori, OfficeCode};
use tamga_core::risk::{RandomSelection, SelectivityCriterion};
use tamga_store::testing::TestDb;
use tamga_store::{Role, User};

struct Instance {
    clearance: Arc<Clearance>,
    risk: Arc<RiskAdmin>,
}

async fn instance(db: &TestDb) -> Instance {
    let store = tamga_store::open(&db.url).await.unwrap();
    tamga_app::bootstrap(&store, true).await.unwrap();
    let clearance = Clearance::start(store, Settings::default()).await.unwrap();
    let risk = RiskAdmin::start(clearance.clone()).await.unwrap();
    Instance { clearance, risk }
}

fn staff(role: Role) -> Caller {
    Caller::User(User::staff(
        "admin",
        "Admin",
        role,
        vec![OfficeCode::parse("UZ000100").unwrap()],
        OffsetDateTime::now_utc(),
    ))
}

/// Waits until `ok` holds (5 s at most: the watcher polls every second).
async fn eventually(what: &str, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ok() {
        assert!(
            Instant::now() < deadline,
            "the other instance never saw: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn changes_reach_the_other_instance(db: TestDb) {
    let a = instance(&db).await;
    let b = instance(&db).await;
    let admin = staff(Role::Admin);

    // Selectivity: a criterion and the random rates set on A.
    a.clearance
        .put_criterion(
            &admin,
            serde_json::from_value::<SelectivityCriterion>(json!({
                "id": "CARS", "description": "cars", "hsPrefix": "8703", "channel": "yellow", "active": true
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    eventually("the criterion", || {
        b.clearance
            .selectivity()
            .criteria
            .iter()
            .any(|c| c.id == "CARS")
    })
    .await;
    let rates = RandomSelection {
        yellow_rate: Decimal::new(3, 2),
        red_rate: Decimal::new(1, 2),
        seed: 42,
    };
    a.clearance
        .set_random_selection(&admin, rates.clone())
        .await
        .unwrap();
    eventually("the random selection", || {
        b.clearance.selectivity().random == rates
    })
    .await;

    // A tariff imported on A.
    let mut tariff: serde_json::Value =
        serde_json::from_str(tamga_core::tariff::DEMO_TARIFF_JSON).unwrap();
    tariff["name"] = json!("Demo tariff, second edition");
    a.clearance
        .import_tariff(&admin, &tariff.to_string())
        .await
        .unwrap();
    eventually("the tariff", || {
        b.clearance
            .tariff()
            .is_some_and(|t| t.name == "Demo tariff, second edition")
    })
    .await;

    // The channel policy set on A.
    let mut policy = a.risk.policy(&admin).await.unwrap();
    let before = policy.clone();
    policy.blue_rate = if policy.blue_rate.is_zero() {
        Decimal::new(1, 2)
    } else {
        Decimal::ZERO
    };
    assert_ne!(policy, before, "the test must change the policy");
    a.risk.set_policy(&admin, policy.clone()).await.unwrap();
    let b_risk = b.risk.clone();
    let (b_admin, want) = (admin.clone(), policy.clone());
    let deadline = Instant::now() + Duration::from_secs(5);
    while b_risk.policy(&b_admin).await.unwrap() != want {
        assert!(
            Instant::now() < deadline,
            "the other instance never saw the policy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Pre-arrival information submitted on A is applied on B.
    let trader = Caller::Operator(Eori::parse(&tamga_app::demo::demo_trader_id(0)).unwrap());
    let arrival = (OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    a.risk
        .submit_prearrival(
            &trader,
            &json!({
                "transportDocument": "CMR-INSTANCES-1",
                "expectedArrival": arrival,
                "officeOfArrival": "UZ000100",
                "transportMode": "road",
                "route": ["CN", "KZ"],
                "parties": {
                    "consignor": {"name": "Shenzhen Trading", "country": "CN"},
                    "consignee": {"name": "Tashkent Import", "id": "UZ000000000101"}
                },
                "goods": [{"description": "passenger car", "hsCode": "870323", "origin": "CN",
                           "netMassKg": "1400", "value": "2100", "currency": "USD"}]
            }),
        )
        .await
        .unwrap();
    assert!(b
        .risk
        .stage()
        .preliminary_for_document("CMR-INSTANCES-1")
        .is_none());
    let stage = b.risk.stage();
    eventually("the pre-arrival information", || {
        stage.preliminary_for_document("CMR-INSTANCES-1").is_some()
    })
    .await;
}

/// Both instances run the operations pump: each event is applied once
/// (the cursor is compared and moved in the pump's transaction), and the
/// twin of the instance that did not apply it follows.
async fn the_pump_applies_each_event_once(db: TestDb) {
    let a = instance(&db).await;
    let b = instance(&db).await;
    let wa = tamga_app::workbench::Workbench::start(a.clearance.clone())
        .await
        .unwrap();
    let wb = tamga_app::workbench::Workbench::start(b.clearance.clone())
        .await
        .unwrap();
    let trader = tamga_app::demo::demo_trader_id(0);
    let op = Eori::parse(&trader).unwrap();
    let key = tamga_app::demo::demo_signing_key(&trader);
    let reference = tamga_app::reference::shipped().unwrap();
    let tariff = tamga_app::reference::demo_tariff().unwrap();
    let mut cfg = tamga_sim::GeneratorConfig::demo(8, OffsetDateTime::now_utc().date(), 77);
    cfg.traders = vec![tamga_sim::demo_traders(8)[0].clone()];
    cfg.error_share = Some(0.0);
    cfg.frauds = false;
    let mut generator = tamga_sim::Generator::new(cfg, &reference)
        .unwrap()
        .with_tariff(&tariff);
    let admin = staff(Role::Admin);
    let lodge = |c: Arc<Clearance>, body: Vec<u8>| {
        let (op, key) = (op.clone(), key.clone());
        async move {
            let sig = tamga_core::signature::sign(&key, &body);
            c.lodge(
                &op,
                tamga_app::Signed {
                    body: &body,
                    signature: Some(&sig),
                    key_id: None,
                },
            )
            .await
            .unwrap();
        }
    };
    // Waits until the store and both instances' twins count `n`
    // declarations of the trader, and never more.
    let settled = |n: i64| {
        let (a, op, admin) = (a.clearance.clone(), op.clone(), admin.clone());
        let (wa, wb) = (wa.clone(), wb.clone());
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let stored = a
                    .store()
                    .trader_metrics_all()
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|m| m.operator == op)
                    .map_or(0, |m| m.metrics.declarations);
                let count = |p: tamga_app::workbench::TraderProfile| p.metrics.declarations;
                let ta = count(wa.trader_profile(&admin, &op, 1).await.unwrap());
                let tb = count(wb.trader_profile(&admin, &op, 1).await.unwrap());
                assert!(stored <= n, "counted more than once: {stored} of {n}");
                if (stored, ta, tb) == (n, n, n) {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "expected {n}: stored {stored}, instance A {ta}, instance B {tb}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    // A alone: B's pump, not woken by commits of its own, lags behind.
    for _ in 0..10 {
        lodge(a.clearance.clone(), generator.next().body).await;
    }
    settled(10).await;
    // One on B: B's pump starts from where it was; the events A applied
    // are not applied again, and what A derived from them is not lost.
    lodge(b.clearance.clone(), generator.next().body).await;
    settled(11).await;
    // Both at once.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let c = if i % 2 == 0 {
            a.clearance.clone()
        } else {
            b.clearance.clone()
        };
        tasks.spawn(lodge(c, generator.next().body));
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    settled(31).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_pump_applies_each_event_once() {
    the_pump_applies_each_event_once(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_the_pump_applies_each_event_once() {
    the_pump_applies_each_event_once(TestDb::postgres_variant().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_changes_reach_the_other_instance() {
    changes_reach_the_other_instance(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_changes_reach_the_other_instance() {
    changes_reach_the_other_instance(TestDb::postgres_variant().await).await;
}
