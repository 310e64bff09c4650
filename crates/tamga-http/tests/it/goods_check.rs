//! The goods check at lodging (issue 18, part 2), over HTTP: before the HS
//! assistant is built its absence is recorded and nothing is refused;
//! once built, a vague description and a declared heading that does not
//! match its description are control warnings with pointers, risk-profile
//! attributes that select the declaration, and part of the decision the
//! officer reads (with suggested codes) but the trader does not.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{hs_ready, TestApp};
use crate::portal_login::{page_get, page_login};
use crate::risk_api::{activate, all_items_under, decision, deterministic};

stories!(
    goods_check_warns_feeds_profiles_and_shows_the_officer,
    controlled_goods_are_screened_by_code_and_description_without_the_model,
);

/// `doc` with every item's description set to `description`.
fn described(doc: &Value, hs: &str, suffix: &str, description: &str) -> Value {
    let mut d = all_items_under(doc, hs, suffix);
    for item in d["items"].as_array_mut().unwrap() {
        item["description"] = json!(description);
    }
    d
}

fn warnings_with(v: &Value, code: &str) -> Vec<Value> {
    v["warnings"]
        .as_array()
        .map(|w| w.iter().filter(|w| w["code"] == code).cloned().collect())
        .unwrap_or_default()
}

async fn lodge_ok(app: &TestApp, doc: &Value) -> Value {
    let (s, v) = app.lodge(0, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn goods_check_warns_feeds_profiles_and_shows_the_officer(app: TestApp) {
    deterministic(&app).await;
    activate(
        &app,
        "GOODS",
        "hs_mismatch or description_vague",
        "yellow",
        "documentary_check",
    )
    .await;
    let doc = app.body(0);
    let shrimp_as_shoes = |suffix: &str| described(&doc, "6403990000", suffix, "frozen shrimp");

    // Not built yet (the test server does not build it at start): the
    // declaration is accepted, the absence recorded, nothing warned.
    let early = lodge_ok(&app, &shrimp_as_shoes("E")).await;
    assert!(
        warnings_with(&early, "FLC-HS-MISMATCH").is_empty(),
        "{early}"
    );
    assert_eq!(early["channel"], "green", "{early}");
    let d = decision(&app, early["mrn"].as_str().unwrap()).await;
    assert_eq!(d["goods"]["absent"], "not_ready", "{d}");
    // The controlled-goods screening needs no model: it ran, found nothing.
    assert!(d["goods"]["controlledList"].as_str().is_some(), "{d}");
    assert!(d["goods"].get("controlled").is_none(), "{d}");
    assert_eq!(d["goods"]["topK"], 10, "{d}");
    assert_eq!(d["goods"]["minGap"], "0.60", "{d}");

    hs_ready(&app).await;

    // Consistent goods: no warning, green.
    let boots = lodge_ok(
        &app,
        &described(&doc, "6403990000", "B", "mens leather boots"),
    )
    .await;
    assert!(
        warnings_with(&boots, "FLC-HS-MISMATCH").is_empty(),
        "{boots}"
    );
    assert!(
        warnings_with(&boots, "FLC-DESCRIPTION-VAGUE").is_empty(),
        "{boots}"
    );
    assert_eq!(boots["channel"], "green", "{boots}");
    let d = decision(&app, boots["mrn"].as_str().unwrap()).await;
    let item = &d["goods"]["items"][0];
    assert_eq!(item["mismatch"], false, "{d}");
    assert!(item["headingRank"].as_u64().unwrap() <= 5, "{d}");
    assert!(d["goods"].get("absent").is_none(), "{d}");

    // Frozen shrimp declared as footwear: a warning on every item's code,
    // the profile selects it, and the suggestions are crustaceans.
    let shrimp = lodge_ok(&app, &shrimp_as_shoes("S")).await;
    let items = doc["items"].as_array().unwrap().len();
    let w = warnings_with(&shrimp, "FLC-HS-MISMATCH");
    assert_eq!(w.len(), items, "{shrimp}");
    assert_eq!(w[0]["pointer"], "/items/0/hsCode", "{shrimp}");
    assert_eq!(w[0]["severity"], "warning", "{shrimp}");
    assert!(w[0]["message"].as_str().unwrap().contains("6403"), "{w:?}");
    assert_eq!(shrimp["channel"], "yellow", "{shrimp}");
    let mrn = shrimp["mrn"].as_str().unwrap().to_owned();
    let d = decision(&app, &mrn).await;
    assert_eq!(d["profileHits"][0]["profileId"], "GOODS", "{d}");
    let item = &d["goods"]["items"][0];
    assert_eq!(item["mismatch"], true, "{d}");
    assert!(item["headingRank"].as_u64().unwrap() > 10, "{d}");
    let gap: f64 = item["scoreGap"].as_str().unwrap().parse().unwrap();
    assert!(gap >= 0.3, "{d}");
    let suggested: Vec<&str> = item["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert!(
        suggested.iter().any(|c| c.starts_with("0306")),
        "{suggested:?}"
    );

    // A vague description: a warning on the description, not a mismatch.
    let gift = lodge_ok(&app, &described(&doc, "6403990000", "G", "gift")).await;
    let w = warnings_with(&gift, "FLC-DESCRIPTION-VAGUE");
    assert_eq!(w.len(), items, "{gift}");
    assert_eq!(w[0]["pointer"], "/items/0/description", "{gift}");
    assert!(warnings_with(&gift, "FLC-HS-MISMATCH").is_empty(), "{gift}");
    assert_eq!(gift["channel"], "yellow", "{gift}");
    let d = decision(&app, gift["mrn"].as_str().unwrap()).await;
    assert_eq!(d["goods"]["items"][0]["vague"], "listed", "{d}");
    assert!(d["goods"]["items"][0].get("headingRank").is_none(), "{d}");

    // The trader's view of the decision is the channel only: no goods
    // check, no suggestions (its warnings it had at lodging).
    let t = app.trader(0);
    let (s, events) = app
        .get(&format!("/api/v1/declarations/{mrn}/events"), &t.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let risk = events
        .as_array()
        .or_else(|| events["events"].as_array())
        .unwrap()
        .iter()
        .find(|e| e["body"]["kind"] == "risk_assessed")
        .cloned()
        .unwrap();
    let text = risk.to_string();
    assert!(!text.contains("goods"), "{text}");
    assert!(!text.contains("0306"), "{text}");

    // The officer's task shows the check with the suggested codes.
    let officer = page_login(&app, "officer").await;
    let (s, html) = page_get(&app, &officer, &format!("/officer/declarations/{mrn}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"goods-check\""), "{html}");
    assert!(html.contains(suggested[0]), "{html}");
    assert!(
        html.contains("declared heading does not match the description"),
        "{html}"
    );
}

/// Ephedrine declared as footwear: the screening finds it by its
/// description (no model needed), warns at the item's documents, records
/// the entry with its source, and a profile on `controlled_licence_missing`
/// selects it; with a licence produced on the item the warning and the
/// profile's hit go, the match stays recorded.
async fn controlled_goods_are_screened_by_code_and_description_without_the_model(app: TestApp) {
    deterministic(&app).await;
    activate(
        &app,
        "LICENCE",
        "controlled_licence_missing",
        "red",
        "physical_inspection",
    )
    .await;
    let doc = app.body(0);
    let mut precursor = all_items_under(&doc, "6403990000", "P");
    precursor["items"][0]["description"] = json!("Pseudoephedrine hydrochloride, 25 kg drum");

    let v = lodge_ok(&app, &precursor).await;
    let w = warnings_with(&v, "FLC-CONTROLLED-GOODS");
    assert_eq!(w.len(), 1, "{v}");
    assert_eq!(w[0]["pointer"], "/items/0/documents", "{v}");
    let message = w[0]["message"].as_str().unwrap();
    assert!(message.contains("PREC-EPHEDRINES"), "{message}");
    assert!(message.contains("pseudoephedrine"), "{message}");
    assert_eq!(v["channel"], "red", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let d = decision(&app, &mrn).await;
    assert_eq!(d["profileHits"][0]["profileId"], "LICENCE", "{d}");
    let hit = &d["goods"]["controlled"][0];
    assert_eq!(hit["sequence"], 1, "{d}");
    assert_eq!(hit["entry"], "PREC-EPHEDRINES", "{d}");
    assert_eq!(hit["regime"], "drug_precursor", "{d}");
    assert_eq!(hit["matched"], "description", "{d}");
    assert_eq!(hit["term"], "pseudoephedrine", "{d}");
    assert_eq!(hit["licenceProduced"], false, "{d}");
    assert!(hit["source"].as_str().unwrap().contains("1988"), "{d}");
    assert_eq!(d["goods"]["controlled"].as_array().unwrap().len(), 1, "{d}");

    // The officer sees the entry and its source.
    let officer = page_login(&app, "officer").await;
    let (s, html) = page_get(&app, &officer, &format!("/officer/declarations/{mrn}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"controlled\""), "{html}");
    assert!(html.contains("PREC-EPHEDRINES"), "{html}");

    // With an authorisation produced on the item: no warning, no hit.
    let mut licensed = all_items_under(&doc, "6403990000", "Q");
    licensed["items"][0]["description"] = json!("Pseudoephedrine hydrochloride, 25 kg drum");
    licensed["items"][0]["documents"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "C084", "reference": "PRECURSOR-LIC-2026-17"}));
    let v = lodge_ok(&app, &licensed).await;
    assert!(warnings_with(&v, "FLC-CONTROLLED-GOODS").is_empty(), "{v}");
    assert_eq!(v["channel"], "green", "{v}");
    let d = decision(&app, v["mrn"].as_str().unwrap()).await;
    assert_eq!(d["goods"]["controlled"][0]["licenceProduced"], true, "{d}");

    // The trader's view of the decision holds none of it.
    let t = app.trader(0);
    let (s, events) = app
        .get(&format!("/api/v1/declarations/{mrn}/events"), &t.token)
        .await;
    assert_eq!(s, StatusCode::OK, "{events}");
    let text = events.to_string();
    assert!(!text.contains("PREC-EPHEDRINES"), "{text}");
}
