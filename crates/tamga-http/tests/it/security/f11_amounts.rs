//! Finding 11 (low): loose amounts and bank references.
//!
//! Every amount in a request follows one grammar (digits, an optional "."
//! and at most the currency's minor units; no exponent, sign or spaces;
//! never rounded): anything else is 400 `AMOUNT_FORMAT` with the field's
//! pointer and moves nothing. Declarations refuse exponents too
//! (`FLC-DECIMAL-FORMAT`). Bank references are compared trimmed, with
//! inner whitespace collapsed and in upper case: a repeat in another
//! spelling is answered as a replay and credited once.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::common::{codes, TestApp};

stories!(
    deposits_refuse_loose_amounts,
    refunds_guarantees_and_the_calculator_refuse_loose_amounts,
    declarations_refuse_exponents,
    a_bank_reference_in_another_spelling_is_credited_once,
);

/// UZS has 2 minor units; 29 decimals were silently rounded before.
fn loose_amounts() -> Vec<String> {
    let mut v: Vec<String> = ["1e3", "1e-2", "1E3", "1.001", "+5", " 5", "5 ", "-5", ".5"]
        .map(str::to_owned)
        .to_vec();
    v.push(format!("1.{}", "0".repeat(28) + "1"));
    v
}

async fn ledger(app: &TestApp, token: &str) -> (Decimal, String) {
    let (s, v) = app.get("/api/v1/account/ledger", token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cash = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "cash")
        .unwrap()
        .clone();
    (
        cash["available"].as_str().unwrap().parse().unwrap(),
        v["payment"]["paymentReference"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn assert_amount_format(s: StatusCode, v: &Value, pointer: &str, amount: &str) {
    assert_eq!(s, StatusCode::BAD_REQUEST, "{amount:?}: {v}");
    assert_eq!(v["error"]["code"], "AMOUNT_FORMAT", "{amount:?}: {v}");
    assert_eq!(v["error"]["pointer"], pointer, "{amount:?}: {v}");
}

async fn deposits_refuse_loose_amounts(app: TestApp) {
    let bank = app.user_token("bank");
    let t = app.trader(2);
    let (before, reference) = ledger(&app, &t.token).await;
    for (i, amount) in loose_amounts().iter().enumerate() {
        let (s, v) = app
            .post_json(
                "/api/v1/bank/deposits",
                &bank,
                &json!({
                    "paymentReference": reference,
                    "bankReference": format!("F11-LOOSE-{i}"),
                    "amount": amount,
                    "currency": "UZS"
                }),
            )
            .await;
        assert_amount_format(s, &v, "/amount", amount);
    }
    assert_eq!(ledger(&app, &t.token).await.0, before, "nothing moved");
    // The grammar's own amounts still go through.
    let (s, v) = app
        .post_json(
            "/api/v1/bank/deposits",
            &bank,
            &json!({
                "paymentReference": reference,
                "bankReference": "F11-OK",
                "amount": "1000.50",
                "currency": "UZS"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        ledger(&app, &t.token).await.0,
        before + "1000.5".parse::<Decimal>().unwrap()
    );
}

async fn refunds_guarantees_and_the_calculator_refuse_loose_amounts(app: TestApp) {
    let t = app.trader(3);
    let (before, _) = ledger(&app, &t.token).await;
    for amount in loose_amounts() {
        let (s, v) = app
            .post_json(
                "/api/v1/account/ledger/refunds",
                &t.token,
                &json!({ "amount": amount }),
            )
            .await;
        assert_amount_format(s, &v, "/amount", &amount);
        let (s, v) = app
            .post_json(
                &format!("/api/v1/operators/{}/guarantee", t.id),
                &app.user_token("admin"),
                &json!({ "amount": amount }),
            )
            .await;
        assert_amount_format(s, &v, "/amount", &amount);
    }
    assert_eq!(ledger(&app, &t.token).await.0, before, "nothing moved");
    let (_, refunds) = app.get("/api/v1/account/ledger/refunds", &t.token).await;
    assert_eq!(refunds, json!([]), "no refund was requested");
    // The calculator's customs value: the grammar (the currency's minor
    // units stay the duty engine's DUTY-AMOUNT-PRECISION).
    for amount in ["1e3", "1e-2", "+100", " 100"] {
        let (s, v) = app
            .post_json(
                "/api/v1/tariff/calculator",
                "",
                &json!({"goodsCode": "0902300000", "origin": "CN", "customsValue": amount, "currency": "USD"}),
            )
            .await;
        assert_amount_format(s, &v, "/customsValue", amount);
    }
}

async fn declarations_refuse_exponents(app: TestApp) {
    let mut doc = app.body(4);
    doc["items"][0]["itemPrice"] = json!("3e3");
    let (s, v) = app.lodge(4, &doc).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let found: Vec<String> = v["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            format!(
                "{} {}",
                x["code"].as_str().unwrap(),
                x["pointer"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        found.contains(&"FLC-DECIMAL-FORMAT /items/0/itemPrice".to_owned()),
        "{found:?} / {:?}",
        codes(&v)
    );
}

async fn a_bank_reference_in_another_spelling_is_credited_once(app: TestApp) {
    let bank = app.user_token("bank");
    let t = app.trader(5);
    let (before, reference) = ledger(&app, &t.token).await;
    let pay = |bank_reference: &str| {
        json!({
            "paymentReference": reference,
            "bankReference": bank_reference,
            "amount": "2500.00",
            "currency": "UZS"
        })
    };
    let (s, first) = app
        .post_json("/api/v1/bank/deposits", &bank, &pay("BANK-0001"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    for spelling in [" bank-0001 ", "Bank-0001", "\tBANK-0001\n"] {
        let (s, v) = app
            .post_json("/api/v1/bank/deposits", &bank, &pay(spelling))
            .await;
        assert_eq!(s, StatusCode::OK, "{spelling:?}: {v}");
        assert_eq!(v["receipt"]["replay"], true, "{spelling:?}: {v}");
        assert_eq!(v["receipt"]["txn"], first["receipt"]["txn"], "{v}");
    }
    assert_eq!(
        ledger(&app, &t.token).await.0,
        before + Decimal::from(2500),
        "credited once"
    );
}
