//! Finding 7 (medium): pre-arrival answers disclosed risk-profile rules.
//!
//! A trader's `POST /api/v1/prearrival` is answered with a receipt only
//! (id, transport document, office, time, `status: "received"`): no
//! channel, profile id, conditions or hits, however many hypothetical
//! shipments it sends. The office of arrival's officers (and analysts,
//! administrators) read the preliminary decision with its hits; other
//! offices' officers, traders and the bank do not.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestApp;

stories!(
    a_trader_gets_a_receipt_and_the_office_the_decision,
    probing_with_hypothetical_shipments_reveals_nothing,
);

fn cargo(doc_ref: &str, hs: &str, value: &str) -> Value {
    let arrival = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    json!({
        "transportDocument": doc_ref,
        "expectedArrival": arrival,
        "officeOfArrival": "UZ000100",
        "transportMode": "road",
        "route": ["CN", "KZ"],
        "parties": {
            "consignor": {"name": "Shenzhen Trading", "country": "CN"},
            "consignee": {"name": "Tashkent Import", "id": "UZ000000000101"}
        },
        "goods": [
            {"description": "passenger car", "hsCode": hs, "origin": "CN",
             "netMassKg": "1400", "value": value, "currency": "USD"}
        ]
    })
}

/// An active profile sending cheap Chinese cars red, as a risk analyst.
async fn secret_profile(app: &TestApp) {
    let analyst = app.user_token("analyst");
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &json!({
                "id": "F07-CHEAP-CARS",
                "rationale": "undervalued cars",
                "expression": "hs4 == \"8703\" and origin == \"CN\" and value_per_kg < 2.5",
                "validFrom": "2020-01-01",
                "priority": 5,
                "control": "non_intrusive_scan",
                "channel": "red",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles/F07-CHEAP-CARS/activation",
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// What must never reach the submitter.
fn assert_outcome_only(v: &Value) {
    let text = v.to_string();
    for leak in [
        "F07-CHEAP-CARS",
        "profileHits",
        "profileId",
        "value_per_kg",
        "decision",
        "channel",
        "explanation",
        "controls",
        "non_intrusive_scan",
    ] {
        assert!(
            !text.contains(leak),
            "{leak} disclosed to the submitter: {text}"
        );
    }
    assert_eq!(v["status"], "received", "{v}");
    assert!(
        v["id"].as_str().is_some_and(|id| id.starts_with("PA")),
        "{v}"
    );
}

async fn a_trader_gets_a_receipt_and_the_office_the_decision(app: TestApp) {
    secret_profile(&app).await;
    let trader = app.trader(0).token.clone();
    let (s, pa) = app
        .post_json(
            "/api/v1/prearrival",
            &trader,
            &cargo("CMR-F07-1", "870323", "2100"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pa}");
    assert_outcome_only(&pa);
    assert_eq!(pa["transportDocument"], "CMR-F07-1");
    let id = pa["id"].as_str().unwrap();

    // The office of arrival's officer sees the decision with the hit and
    // the profile's conditions explained.
    let (s, list) = app
        .get(
            "/api/v1/offices/UZ000100/prearrival",
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let rec = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .expect("the submission is listed for its office");
    assert_eq!(rec["channel"], "red");
    let hit = &rec["decision"]["profileHits"][0];
    assert_eq!(hit["profileId"], "F07-CHEAP-CARS");
    assert!(
        hit["explanation"]
            .as_str()
            .unwrap()
            .contains("value_per_kg"),
        "{hit}"
    );
    // Analysts and administrators too.
    for who in ["analyst", "admin"] {
        let (s, list) = app
            .get("/api/v1/offices/UZ000100/prearrival", &app.user_token(who))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {list}");
        assert!(list.to_string().contains("F07-CHEAP-CARS"), "{who}");
    }
    // The submitter, another office's officer and the bank do not.
    for token in [trader.clone(), app.user_token("bank")] {
        let (s, v) = app.get("/api/v1/offices/UZ000100/prearrival", &token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    }
    let other = app.add_officer("f07-other-office", "UZ000200").await;
    let (s, v) = app
        .get("/api/v1/offices/UZ000100/prearrival", &other.token)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}

async fn probing_with_hypothetical_shipments_reveals_nothing(app: TestApp) {
    secret_profile(&app).await;
    let trader = app.trader(1).token.clone();
    // One shipment the profile hits, one it does not (expensive car), one
    // of other goods: the answers differ only in id and document.
    let mut shapes = Vec::new();
    for (i, (hs, value)) in [("870323", "2100"), ("870323", "90000"), ("940360", "2100")]
        .into_iter()
        .enumerate()
    {
        let doc = format!("CMR-F07-P{i}");
        let (s, v) = app
            .post_json("/api/v1/prearrival", &trader, &cargo(&doc, hs, value))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_outcome_only(&v);
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        shapes.push((keys, v["status"].clone()));
    }
    assert!(
        shapes.windows(2).all(|w| w[0] == w[1]),
        "answers must not depend on the decision: {shapes:?}"
    );
}
