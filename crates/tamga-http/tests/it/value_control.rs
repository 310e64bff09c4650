//! Customs value control over HTTP (issue 18, part 4): released
//! declarations build the reference prices, the public value calculator
//! gives figures only from a sufficient sample (enough observations from
//! enough declarants, trimmed extremes) and refuses bad input with codes
//! and pointers, and lodging a strongly undervalued item records the
//! indicator in the risk decision, where a profile selects it and the
//! officer reads it, but the trader does not; an amendment is checked
//! again, so undervaluing by amendment is no way round it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_core::value_control::{QuantityUnit, ValueKey};

use crate::common::{
    lifecycle_amendment, lifecycle_body_of, lifecycle_lodge, lifecycle_unfunded_trader,
    risk_assessments, spawn_app_with, TestApp,
};
use crate::portal_login::{page_get, page_login};
use crate::risk_api::{activate, decision, deterministic};

stories!(released_values_feed_the_calculator_and_flag_undervaluation);

const CODE: &str = "6403990000";

/// `doc` as one item of footwear from China: `price` US dollars for 10 kg.
fn one_item(doc: &Value, suffix: &str, price: u32) -> Value {
    let mut d = doc.clone();
    d["lrn"] = json!(format!("{}{suffix}", d["lrn"].as_str().unwrap()));
    let mut item = d["items"][0].clone();
    let o = item.as_object_mut().unwrap();
    o.remove("preferentialOrigin");
    o.remove("supplementaryUnits");
    item["sequence"] = json!(1);
    item["hsCode"] = json!(CODE);
    item["origin"] = json!("CN");
    item["netMassKg"] = json!("10");
    item["grossMassKg"] = json!("11");
    item["itemPrice"] = json!(format!("{price}.00"));
    item["customsValue"] = json!(format!("{price}.00"));
    item["documents"] = json!([item["documents"][0].clone()]);
    d["totals"]["packages"] = item["packages"]["count"].clone();
    d["totals"]["grossMassKg"] = json!("11");
    d["invoice"]["currency"] = json!("USD");
    d["invoice"]["amount"] = json!(format!("{price}.00"));
    d["items"] = json!([item]);
    d
}

async fn public(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let r = app
        .http
        .get(format!("{}/api/v1/values/reference?{query}", app.base))
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or_default())
}

async fn lodge_released(app: &TestApp, trader: usize, doc: &Value) -> Value {
    let (s, v) = app.lodge(trader, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "released", "{v}");
    v
}

async fn released_values_feed_the_calculator_and_flag_undervaluation(app: TestApp) {
    deterministic(&app).await;
    activate(&app, "VALUE", "undervalued", "yellow", "documentary_check").await;

    // Bad input: a code, an origin, a unit, or nothing.
    for (query, code, pointer) in [
        ("code=6403", "VALUE_CODE", "/code"),
        ("code=64039A", "VALUE_CODE", "/code"),
        ("code=64039900001", "VALUE_CODE", "/code"),
        ("code=640399&origin=cn", "VALUE_ORIGIN", "/origin"),
        ("code=640399&origin=CHN", "VALUE_ORIGIN", "/origin"),
        ("code=640399&unit=litre", "VALUE_UNIT", "/unit"),
    ] {
        let (s, v) = public(&app, query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert_eq!(v["error"]["code"], code, "{query}: {v}");
        assert_eq!(v["error"]["pointer"], pointer, "{query}: {v}");
    }
    let (s, v) = public(&app, "origin=CN").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "QUERY_PARAMETERS", "{v}");

    // Ten honest releases from two declarants: enough observations, too
    // few declarants. Nothing is disclosed, not even the count.
    let mut n = 0;
    for trader in [0, 1] {
        for _ in 0..5 {
            n += 1;
            let doc = one_item(&app.body(trader), &format!("H{n}"), 1000 + 10 * n);
            lodge_released(&app, trader, &doc).await;
        }
    }
    let asked = format!("code={CODE}&origin=CN");
    let (s, v) = public(&app, &asked).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["sufficient"], false, "{v}");
    for figure in [
        "observations",
        "minimum",
        "average",
        "maximum",
        "median",
        "q1",
        "q3",
    ] {
        assert!(v.get(figure).is_none(), "{figure} disclosed: {v}");
    }
    assert_eq!(v["minDeclarants"], 3, "{v}");
    assert_eq!(v["minObservations"], 10, "{v}");

    // A lodging meanwhile has no reference: its unit value alone.
    let early = lodge_released(&app, 0, &one_item(&app.body(0), "E", 1000)).await;
    let d = decision(&app, early["mrn"].as_str().unwrap()).await;
    let item = &d["values"]["items"][0];
    assert!(item.get("reference").is_none(), "{d}");
    assert!(item.get("z").is_none(), "{d}");
    assert_eq!(item["undervalued"], false, "{d}");

    // A third declarant: the sample is sufficient; figures are trimmed
    // (5th and 95th percentiles), never one declaration's price.
    for _ in 0..2 {
        n += 1;
        lodge_released(
            &app,
            2,
            &one_item(&app.body(2), &format!("H{n}"), 1000 + 10 * n),
        )
        .await;
    }
    let (s, v) = public(&app, &asked).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["sufficient"], true, "{v}");
    assert_eq!(v["observations"], 13, "{v}");
    assert_eq!(v["unit"], "kg", "{v}");
    assert_eq!(v["windowDays"], 365, "{v}");
    let currency = v["currency"].as_str().unwrap().to_owned();
    let key = ValueKey {
        code: CODE.into(),
        origin: Some("CN".into()),
        unit: QuantityUnit::Kg,
    };
    let raw = app
        .store
        .value_sample(
            &key,
            &currency,
            time::OffsetDateTime::now_utc() - time::Duration::days(1),
            100,
        )
        .await
        .unwrap();
    assert_eq!(raw.len(), 13);
    let lo = raw.iter().map(|o| o.unit_value).min().unwrap();
    let hi = raw.iter().map(|o| o.unit_value).max().unwrap();
    let fig = |k: &str| {
        v[k].as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert!(fig("minimum") > lo && fig("minimum") < hi, "{v} vs {lo}");
    assert!(fig("maximum") < hi && fig("maximum") > lo, "{v} vs {hi}");
    assert!(
        fig("minimum") <= fig("average") && fig("average") <= fig("maximum"),
        "{v}"
    );
    assert!(
        fig("q1") <= fig("median") && fig("median") <= fig("q3"),
        "{v}"
    );
    for o in &raw {
        for k in ["minimum", "maximum"] {
            assert_ne!(fig(k), o.unit_value, "{k} is one declaration's price: {v}");
        }
    }
    // The subheading from any origin has the same observations; another
    // origin has none; per supplementary unit none were declared.
    let (_, any) = public(&app, "code=640399").await;
    assert_eq!(any["observations"], 13, "{any}");
    let (_, other) = public(&app, &format!("code={CODE}&origin=TR")).await;
    assert_eq!(other["sufficient"], false, "{other}");
    let (_, su) = public(&app, &format!("code={CODE}&origin=CN&unit=supplementary")).await;
    assert_eq!(su["sufficient"], false, "{su}");

    // A fair price: within the reference, green and released.
    let fair = lodge_released(&app, 1, &one_item(&app.body(1), "F", 1055)).await;
    let d = decision(&app, fair["mrn"].as_str().unwrap()).await;
    let item = &d["values"]["items"][0];
    assert_eq!(item["undervalued"], false, "{d}");
    assert_eq!(item["reference"]["level"], "national", "{d}");
    assert_eq!(item["reference"]["n"], 13, "{d}");

    // A third of the price: undervalued, the profile selects it.
    let (s, low) = app.lodge(0, &one_item(&app.body(0), "U", 330)).await;
    assert_eq!(s, StatusCode::CREATED, "{low}");
    assert_eq!(low["channel"], "yellow", "{low}");
    let mrn = low["mrn"].as_str().unwrap().to_owned();
    let d = decision(&app, &mrn).await;
    let values = &d["values"];
    let item = &values["items"][0];
    assert_eq!(item["undervalued"], true, "{d}");
    let z: f64 = item["z"].as_str().unwrap().parse().unwrap();
    assert!(z <= -3.0, "{d}");
    assert_eq!(values["underZ"], "-3", "{d}");
    assert_eq!(d["profileHits"][0]["profileId"], "VALUE", "{d}");

    // The trader sees the channel, not the check.
    let t = app.trader(0);
    for path in [
        format!("/api/v1/declarations/{mrn}/events"),
        format!("/api/v1/declarations/{mrn}"),
    ] {
        let (s, body) = app.get(&path, &t.token).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let text = body.to_string();
        for word in ["undervalued", "unitValue", "\"values\"", "underZ"] {
            assert!(!text.contains(word), "{path} shows {word}: {text}");
        }
    }

    // The officer's task shows it.
    let officer = page_login(&app, "officer").await;
    let (s, html) = page_get(&app, &officer, &format!("/officer/declarations/{mrn}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"value-check\""), "{html}");
    assert!(
        html.contains("undervalued: far below the reference"),
        "{html}"
    );
    assert!(html.contains("national code 6403990000 CN"), "{html}");

    // The dodge: lodged at a fair price (green, waiting for payment), then
    // amended to a third of it before paying. The amendment is checked
    // again: undervalued, the profile selects it, under control.
    let (id, token, key) = lifecycle_unfunded_trader(&app, 3).await;
    let fair = one_item(&lifecycle_body_of(&app, &id), "A", 1055);
    let (s, v) = lifecycle_lodge(&app, &token, &key, &fair).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "green", "{v}");
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let mut low = one_item(&lifecycle_body_of(&app, &id), "A", 330);
    low["lrn"] = fair["lrn"].clone();
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &token,
            Some(&key),
            &lifecycle_amendment(&mrn, &low),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["channel"], "yellow", "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let events = app.events(&mrn, &app.user_token("admin")).await;
    let risk = risk_assessments(&events);
    assert_eq!(risk.len(), 2, "{risk:?}");
    let first = &risk[0]["decision"]["values"]["items"][0];
    assert_eq!(first["undervalued"], false, "{}", risk[0]);
    let amended = &risk[1]["decision"];
    assert_eq!(risk[1]["version"], 2, "{}", risk[1]);
    assert_eq!(
        amended["values"]["items"][0]["undervalued"], true,
        "{amended}"
    );
    assert_eq!(amended["profileHits"][0]["profileId"], "VALUE", "{amended}");
}

/// The calculator's own rate per client address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calculator_rate_per_address_is_bounded() {
    let app = spawn_app_with(
        tamga_store::testing::TestDb::sqlite().await,
        tamga_app::Settings::default(),
        tamga_http::Limits {
            hs_rate: 1,
            hs_burst: 2,
            ..Default::default()
        },
    )
    .await;
    for _ in 0..2 {
        let (s, v) = public(&app, "code=640399").await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = public(&app, "code=640399").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "RATE_LIMITED", "{v}");
    // The rest of the service is not held back.
    let (s, _) = app.get("/api/v1/control/rules", "").await;
    assert_eq!(s, StatusCode::OK);
}
