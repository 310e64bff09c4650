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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_changes_reach_the_other_instance() {
    changes_reach_the_other_instance(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(tamga_pg), ignore = "set TAMGA_TEST_PG_URL to run on PostgreSQL")]
async fn postgres_changes_reach_the_other_instance() {
    changes_reach_the_other_instance(TestDb::postgres_variant().await).await;
}
