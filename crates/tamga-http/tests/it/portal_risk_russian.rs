//! The risk decision in the page's language (issue 16): a red declaration
//! hit by the officers' criterion and the trader's high category is
//! explained on the officer's page in Russian from the
//! decision's data — none of the engine's English sentences, control or
//! channel codes left — and in English as readable as before; the
//! trader's page says the channel alone, in Russian; the duty lines'
//! quantities are written with the Russian decimal comma.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use tamga_portal::i18n::untranslated;

use crate::common::{lifecycle_cigarettes, lifecycle_selectivity, TestApp};
use crate::portal_login::{client, page_login, HTML};

stories!(the_risk_decision_is_explained_in_the_pages_language);

/// The engine's English sentence fragments a Russian page must not show.
const ENGLISH: &[&str] = &[
    "hit:",
    "starts with",
    "at least",
    "physical_inspection",
    "physical inspection",
    "control:",
    "trader category",
];

/// GETs a page in `lang`.
async fn get(app: &TestApp, session: &str, path: &str, lang: &str) -> String {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// Polls `path` until `ok` holds (20 s at most).
async fn eventually(app: &TestApp, path: &str, token: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = app.get(path, token).await;
        if s == StatusCode::OK && ok(&v) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting on {path}: {s} {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Demo trader 0 lodges cigarettes (red under the criterion); its MRN.
async fn lodge_red(app: &TestApp, lrn_suffix: &str) -> String {
    let mut doc = lifecycle_cigarettes(&app.body(0));
    doc["lrn"] = json!(format!("{}{lrn_suffix}", doc["lrn"].as_str().unwrap()));
    let (s, v) = app.lodge(0, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["channel"], "red", "{v}");
    v["mrn"].as_str().unwrap().to_owned()
}

/// Demo trader 0 becomes a high-risk trader: a declaration inspected with
/// findings, released.
async fn make_trader_high(app: &TestApp) {
    let mrn = lodge_red(app, "H").await;
    let me = app.officer("officer");
    let officer = app.user_token("officer");
    eventually(
        app,
        &format!("/api/v1/workbench/tasks/{mrn}"),
        &officer,
        |_| true,
    )
    .await;
    let (s, v) = app
        .act(
            &me,
            &format!("/api/v1/workbench/tasks/{mrn}/result"),
            &json!({"mrn": mrn, "act": "task_result", "version": 1, "outcome": "findings",
                    "findings": [{"kind": "misclassification", "item": 1, "correctedValue": "240310"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .act(
            &me,
            &format!("/api/v1/declarations/{mrn}/release"),
            &json!({"mrn": mrn, "act": "release", "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let trader = app.trader(0).id.clone();
    eventually(
        app,
        &format!("/api/v1/traders/{trader}/profile"),
        &app.user_token("analyst"),
        |p| p["assessment"]["category"] == "high",
    )
    .await;
}

async fn the_risk_decision_is_explained_in_the_pages_language(app: TestApp) {
    lifecycle_selectivity(&app).await;
    make_trader_high(&app).await;
    let mrn = lodge_red(&app, "R").await;

    // The stored decision: the criterion and the category,
    // with their data beside the English sentences.
    let events = app.events(&mrn, &app.user_token("admin")).await;
    let d = events
        .iter()
        .find(|e| e.body.kind() == "risk_assessed")
        .map(|e| serde_json::to_value(&e.body).unwrap()["decision"].clone())
        .unwrap();
    assert_eq!(d["hits"][0]["criterionId"], "TOBACCO", "{d}");
    assert_eq!(
        d["hits"][0]["matched"],
        json!([{"on": "hsPrefix", "code": "2402200000", "prefix": "24"}]),
        "{d}"
    );
    assert_eq!(d["factors"][0]["source"], "trader_category", "{d}");
    let english = d["explanation"].as_str().unwrap();
    assert!(english.contains("starts with 24"), "{english}");
    assert!(
        english.contains("control: physical_inspection"),
        "{english}"
    );

    let officer = page_login(&app, "officer").await;
    let path = format!("/officer/declarations/{mrn}");
    let ru = get(&app, &officer, &path, "ru").await;
    for fragment in ENGLISH {
        assert!(!ru.contains(fragment), "{fragment:?} on the Russian page");
    }
    assert!(
        !ru.contains(english),
        "the stored sentence on the Russian page"
    );
    for russian in [
        "красный канал: сработал критерий TOBACCO (красный): товар № 1: код 2402200000 начинается с 24",
        "категория риска участника ВЭД — высокая: канал не ниже «жёлтый»",
        "форма контроля: таможенный досмотр",
        // The factor's source, in the factors' table.
        "<td>категория участника ВЭД</td>",
        // The duty line's quantity with the decimal comma.
        "0,04 MIL",
    ] {
        assert!(ru.contains(russian), "{russian:?} not on the Russian page");
    }
    assert!(!ru.contains("0.04 MIL"), "the engine's decimal point");
    assert_eq!(untranslated("ru", &ru), Vec::<String>::new());

    let en = get(&app, &officer, &path, "en").await;
    for readable in [
        "red: criterion TOBACCO (red) hit: item 1 code 2402200000 starts with 24",
        "trader category high: at least yellow",
        "control: physical inspection",
        "0.04 MIL",
    ] {
        assert!(
            en.contains(readable),
            "{readable:?} not on the English page"
        );
    }

    // The trader reads the channel alone, in Russian.
    let trader = page_login(&app, "trader1").await;
    let ru = get(&app, &trader, &format!("/trader/declarations/{mrn}"), "ru").await;
    let tr = tamga_portal::Tr::new("ru");
    assert!(ru.contains(&tr.t("trader-channel-red-explain")), "{ru}");
    for fragment in ENGLISH.iter().chain(&["TOBACCO"]) {
        assert!(!ru.contains(fragment), "{fragment:?} on the trader's page");
    }
    assert_eq!(untranslated("ru", &ru), Vec::<String>::new());
}
