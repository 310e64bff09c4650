//! Invalidation under control (found after issue 13): a trader whose
//! declaration was selected for control could invalidate it and lodge the
//! same goods again under a new MRN until a random selection let them
//! through.
//!
//! Now a declaration selected for control cannot be invalidated before the
//! control of its current version has taken place (UCC art. 174(2)):
//! 409 `INVALIDATION_UNDER_CONTROL`, nothing recorded. Once an officer has
//! recorded the result, the declarant may withdraw it; an amendment needs
//! a result on the new version again.

use reqwest::StatusCode;

use crate::common::{
    lifecycle_amendment, lifecycle_cigarettes, lifecycle_invalidation, lifecycle_selectivity,
    TestApp,
};
use tamga_app::demo::demo_signing_key;

stories!(a_selected_declaration_is_not_withdrawn_before_its_control);

async fn a_selected_declaration_is_not_withdrawn_before_its_control(app: TestApp) {
    lifecycle_selectivity(&app).await;
    let t = app.trader(3);
    let key = demo_signing_key(&t.id);
    let doc = lifecycle_cigarettes(&app.body(3));
    let (s, v) = app.lodge(3, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/declarations/{mrn}/invalidation");
    let invalidate = |reason: &'static str| {
        let body = lifecycle_invalidation(&mrn, reason);
        let (path, token, key) = (path.clone(), t.token.clone(), key.clone());
        let app = &app;
        async move { app.send_signed(&path, &token, Some(&key), &body).await }
    };

    // Selected, no result yet: refused, and nothing is recorded.
    let before = app.events(&mrn, &t.token).await.len();
    let (s, v) = invalidate("lodged twice by mistake").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "INVALIDATION_UNDER_CONTROL", "{v}");
    assert_eq!(app.events(&mrn, &t.token).await.len(), before);
    let (_, d) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &t.token)
        .await;
    assert_eq!(d["state"], "under_control", "{d}");

    // A result on version 1, then an amendment to version 2: the new
    // version's control is pending again.
    app.control_compliant(&mrn, 1).await;
    let mut amended = doc.clone();
    amended["items"][0]["description"] = serde_json::json!("Cigarettes, corrected");
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &t.token,
            Some(&key),
            &lifecycle_amendment(&mrn, &amended),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2, "{v}");
    let (s, v) = invalidate("withdrawn after the amendment").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "INVALIDATION_UNDER_CONTROL", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{v}"
    );

    // After the control of the current version: the declarant may withdraw.
    app.control_compliant(&mrn, 2).await;
    let (s, v) = invalidate("withdrawn after the control").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated", "{v}");
}
