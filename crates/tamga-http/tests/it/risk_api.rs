//! Risk-management API stories: profiles (create, version, test,
//! activate, retire), the combined risk stage at lodging, pre-arrival
//! information and effectiveness analytics. Every story runs on SQLite,
//! and on PostgreSQL too when `TAMGA_TEST_PG_URL` is set.

use crate::common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::TestApp;

stories!(
    profile_lifecycle_drives_the_channel,
    bad_profiles_are_refused_precisely_and_never_activated,
    prearrival_information_is_assessed_and_applied_at_arrival,
    analytics_count_hits_controls_findings_and_release_times,
    tax_rate_profiles_see_the_duty_assessment,
    an_activated_profile_stays_live_after_the_instances_reload,
);

/// No random selection, no blue draws: channels come from hits alone.
pub(crate) async fn deterministic(app: &TestApp) {
    let analyst = app.user_token("analyst");
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &analyst,
            &json!({"yellowRate": "0", "redRate": "0", "seed": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &analyst,
            &json!({"blueRate": "0", "lowFactor": "0.5", "aeoFactor": "0.25", "highFactor": "2",
                    "highMinimum": "yellow", "modelYellow": "0.6", "modelRed": "0.85"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

pub(crate) fn draft(id: &str, expression: &str, channel: &str, control: &str) -> Value {
    json!({
        "id": id,
        "rationale": "test profile",
        "expression": expression,
        "validFrom": "2020-01-01",
        "priority": 5,
        "control": control,
        "channel": channel,
    })
}

/// Creates and activates a profile (as the analyst).
pub(crate) async fn activate(
    app: &TestApp,
    id: &str,
    expression: &str,
    channel: &str,
    control: &str,
) {
    let analyst = app.user_token("analyst");
    let (s, p) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft(id, expression, channel, control),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, p) = app
        .post_json(
            &format!("/api/v1/risk/profiles/{id}/activation"),
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
}

/// An expression that hits the first item of `doc`.
fn hits_item0(doc: &Value) -> String {
    let item = &doc["items"][0];
    format!(
        "hs == \"{}\" and origin == \"{}\"",
        item["hsCode"].as_str().unwrap(),
        item["origin"].as_str().unwrap()
    )
}

async fn lodge_ok(app: &TestApp, i: usize, doc: &Value) -> Value {
    let (s, v) = app.lodge(i, doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// The stored risk decision of a declaration.
pub(crate) async fn decision(app: &TestApp, mrn: &str) -> Value {
    let events = app.events(mrn, &app.user_token("admin")).await;
    let e = events
        .iter()
        .find(|e| e.body.kind() == "risk_assessed")
        .unwrap();
    serde_json::to_value(&e.body).unwrap()["decision"].clone()
}

/// `doc` with every goods item under `hs`, a new LRN ending in `suffix`
/// and no preference claimed (so the third-country duty is charged).
pub(crate) fn all_items_under(doc: &Value, hs: &str, suffix: &str) -> Value {
    let mut doc = doc.clone();
    doc["lrn"] = json!(format!("{}{suffix}", doc["lrn"].as_str().unwrap()));
    for item in doc["items"].as_array_mut().unwrap() {
        item["hsCode"] = json!(hs);
        item.as_object_mut().unwrap().remove("preferentialOrigin");
    }
    doc
}

/// An activation bumps the risk epoch; every instance (this one too)
/// reloads its engine within a second or so. The profile must still hit
/// after that reload, not only in the moment after activation.
async fn an_activated_profile_stays_live_after_the_instances_reload(app: TestApp) {
    deterministic(&app).await;
    let analyst = app.user_token("analyst");
    let doc = app.body(0);
    let (s, p) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft("LIVE", &hits_item0(&doc), "red", "documentary_check"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, p) = app
        .post_json(
            "/api/v1/risk/profiles/LIVE/activation",
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    for (round, suffix) in ["A", "B"].iter().enumerate() {
        if round > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        }
        let mut d = doc.clone();
        d["lrn"] = json!(format!("{}{suffix}", doc["lrn"].as_str().unwrap()));
        let v = lodge_ok(&app, 0, &d).await;
        let mrn = v["mrn"].as_str().unwrap().to_owned();
        let decision = decision(&app, &mrn).await;
        assert_eq!(
            decision["profileHits"][0]["profileId"], "LIVE",
            "round {round}: {decision}"
        );
    }
}

/// The live risk stage sees each item's tax rate from the duty
/// assessment: footwear (chapter 64, 20 % in the demo tariff) hits a
/// `tax_rate > 15` profile, laptops (8471, 0 %) do not.
async fn tax_rate_profiles_see_the_duty_assessment(app: TestApp) {
    deterministic(&app).await;
    activate(&app, "TAX", "tax_rate > 15", "red", "documentary_check").await;
    let doc = app.body(0);

    let shoes_doc = all_items_under(&doc, "6403990000", "S");
    let shoes = lodge_ok(&app, 0, &shoes_doc).await;
    assert_eq!(shoes["channel"], "red", "{shoes}");
    let mrn = shoes["mrn"].as_str().unwrap().to_owned();
    let d = decision(&app, &mrn).await;
    assert_eq!(d["profileHits"][0]["profileId"], "TAX", "{d}");
    assert_eq!(d["profileHits"][0]["item"], 1, "{d}");

    // An amendment is assessed again with the amended declaration's
    // duties: the rate is still seen (the hit is not lost).
    let mut amended = shoes_doc.clone();
    amended["items"][0]["description"] = json!("Leather shoes, corrected description");
    let t = app.trader(0);
    let (s, v) = app
        .send_signed(
            &format!("/api/v1/declarations/{mrn}/amendments"),
            &t.token,
            Some(&tamga_app::demo::demo_signing_key(&t.id)),
            &serde_json::to_vec(&json!({"mrn": mrn, "declaration": amended})).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let events = app.events(&mrn, &app.user_token("admin")).await;
    let reassessed = common::risk_assessments(&events);
    assert_eq!(reassessed.len(), 2, "{reassessed:?}");
    assert_eq!(reassessed[1]["version"], 2, "{}", reassessed[1]);
    assert_eq!(
        reassessed[1]["decision"]["profileHits"][0]["profileId"], "TAX",
        "{}",
        reassessed[1]
    );

    let laptops = lodge_ok(&app, 0, &all_items_under(&doc, "8471300000", "L")).await;
    assert_eq!(laptops["channel"], "green", "{laptops}");
    let d = decision(&app, laptops["mrn"].as_str().unwrap()).await;
    assert_eq!(d["channel"], "green", "{d}");
    assert_eq!(d["profileHits"].as_array().map_or(0, Vec::len), 0, "{d}");
}

async fn profile_lifecycle_drives_the_channel(app: TestApp) {
    deterministic(&app).await;
    let analyst = app.user_token("analyst");
    let doc = app.body(0);
    let expr = hits_item0(&doc);

    // Only analysts and administrators manage profiles.
    for token in [app.user_token("officer"), app.trader(0).token.clone()] {
        let (s, _) = app
            .post_json(
                "/api/v1/risk/profiles",
                &token,
                &draft("P1", &expr, "red", "physical_inspection"),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.get("/api/v1/risk/profiles", &token).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }

    let (s, p) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft("P1", &expr, "red", "laboratory_sample"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "draft");
    assert_eq!(p["versions"][0]["profile"]["version"], 1);
    assert_eq!(p["versions"][0]["createdBy"], "analyst");

    // A draft does not select anything.
    let v = lodge_ok(&app, 0, &doc).await;
    assert_eq!(v["channel"], "green");
    let first_mrn = v["mrn"].as_str().unwrap().to_owned();

    // What would it have hit? The declaration just lodged.
    let (s, t) = app
        .post_json(
            "/api/v1/risk/profile-tests",
            &analyst,
            &json!({"profileId": "P1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["hits"], 1, "{t}");
    assert_eq!(t["sample"][0]["mrn"], first_mrn.as_str());
    assert!(t["sample"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("was"));
    // A draft expression over the same period: no hit for another origin.
    let (s, t) = app
        .post_json(
            "/api/v1/risk/profile-tests",
            &analyst,
            &json!({"expression": "origin == \"AQ\" and hs2 == \"01\""}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["hits"], 0);
    assert!(t["declarationsExamined"].as_u64().unwrap() >= 1);

    // Activate: the next such declaration goes red, with the hit explained.
    let (s, p) = app
        .post_json("/api/v1/risk/profiles/P1/activation", &analyst, &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (p["status"].clone(), p["activeVersion"].clone()),
        (json!("active"), json!(1))
    );
    let mut doc2 = doc.clone();
    doc2["lrn"] = json!(format!("{}X", doc["lrn"].as_str().unwrap()));
    let v = lodge_ok(&app, 0, &doc2).await;
    assert_eq!(v["channel"], "red");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let d = decision(&app, &mrn).await;
    assert_eq!(d["profileHits"][0]["profileId"], "P1");
    assert_eq!(d["profileHits"][0]["item"], 1);
    assert_eq!(d["controls"], json!(["laboratory_sample"]));
    assert_eq!(d["trader"]["category"], "medium");
    assert!(d["explanation"].as_str().unwrap().contains("profile P1 v1"));

    // Version 2 (yellow) is stored but not active until activated.
    let mut v2 = draft("P1", &expr, "yellow", "documentary_check");
    v2.as_object_mut().unwrap().remove("id");
    let (s, p) = app
        .post_json("/api/v1/risk/profiles/P1/versions", &analyst, &v2)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["versions"].as_array().unwrap().len(), 2);
    assert_eq!(p["activeVersion"], 1);
    let mut doc3 = doc.clone();
    doc3["lrn"] = json!(format!("{}Y", doc["lrn"].as_str().unwrap()));
    assert_eq!(lodge_ok(&app, 0, &doc3).await["channel"], "red");
    let (s, p) = app
        .post_json(
            "/api/v1/risk/profiles/P1/activation",
            &analyst,
            &json!({"version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["activeVersion"], 2);
    let mut doc4 = doc.clone();
    doc4["lrn"] = json!(format!("{}Z", doc["lrn"].as_str().unwrap()));
    assert_eq!(lodge_ok(&app, 0, &doc4).await["channel"], "yellow");

    // Retire: green again.
    let (s, p) = app
        .post_json("/api/v1/risk/profiles/P1/retirement", &analyst, &json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "retired");
    let mut doc5 = doc.clone();
    doc5["lrn"] = json!(format!("{}W", doc["lrn"].as_str().unwrap()));
    assert_eq!(lodge_ok(&app, 0, &doc5).await["channel"], "green");
    // Retiring twice is refused.
    let (s, v) = app
        .post_json("/api/v1/risk/profiles/P1/retirement", &analyst, &json!({}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Every change is audited with who and what.
    let audit = app.store.audit_log(0, 1000).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|a| (a.actor.as_str(), a.action.as_str()))
        .filter(|(_, a)| a.starts_with("profile."))
        .collect();
    assert_eq!(
        actions,
        [
            ("user:analyst", "profile.create"),
            ("user:analyst", "profile.activate"),
            ("user:analyst", "profile.version"),
            ("user:analyst", "profile.activate"),
            ("user:analyst", "profile.retire"),
        ]
    );
    let (s, list) = app
        .get("/api/v1/risk/profiles", &app.user_token("admin"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, _) = app.get("/api/v1/risk/profiles/NOPE", &analyst).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn bad_profiles_are_refused_precisely_and_never_activated(app: TestApp) {
    let analyst = app.user_token("analyst");
    // Syntax error: 422 with code, line and column.
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft(
                "BAD",
                "origin == \"CN\" and\n  (hs4 == ",
                "red",
                "physical_inspection",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("PROFILE_SYNTAX"),
        "{v}"
    );
    assert_eq!(v["error"]["line"], 2);
    assert!(v["error"]["column"].as_u64().unwrap() > 1);
    assert_eq!(v["error"]["pointer"], "/expression");
    // Unknown attribute.
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft("BAD", "colour == \"red\"", "red", "physical_inspection"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "PROFILE_UNKNOWN_ATTRIBUTE");
    assert_eq!(
        (v["error"]["line"].clone(), v["error"]["column"].clone()),
        (json!(1), json!(1))
    );
    // Contradictory.
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft(
                "BAD",
                "origin == \"CN\" and origin == \"US\"",
                "red",
                "physical_inspection",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["code"].as_str().unwrap().contains("CONTRADICT"),
        "{v}"
    );
    // Green channel outside post-release audit.
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft("BAD", "origin == \"CN\"", "green", "physical_inspection"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["pointer"], "/channel");
    // Nothing was stored.
    let (_, list) = app.get("/api/v1/risk/profiles", &analyst).await;
    assert_eq!(list, json!([]));

    // Well-formed but referring to codes the reference data does not know:
    // stored as a draft, refused at activation, nothing activated.
    for (id, expr) in [
        ("UNKNOWN-COUNTRY", "origin == \"QQ\""),
        ("UNKNOWN-HS", "hs4 == \"9950\" and origin == \"CN\""),
        ("UNKNOWN-OFFICE", "office == \"UZ999999\""),
    ] {
        let (s, v) = app
            .post_json(
                "/api/v1/risk/profiles",
                &analyst,
                &draft(id, expr, "yellow", "documentary_check"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{id}: {v}");
        let (s, v) = app
            .post_json(
                &format!("/api/v1/risk/profiles/{id}/activation"),
                &analyst,
                &json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{id}: {v}");
        assert_eq!(v["error"]["code"], "PROFILE_UNKNOWN_CODE");
        let (_, p) = app
            .get(&format!("/api/v1/risk/profiles/{id}"), &analyst)
            .await;
        assert_eq!(p["status"], "draft");
        assert_eq!(p["activeVersion"], Value::Null);
    }
    // An unknown version.
    let (s, _) = app
        .post_json(
            "/api/v1/risk/profiles/UNKNOWN-HS/activation",
            &analyst,
            &json!({"version": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A body that is not a profile at all.
    let (s, v) = app
        .post_json("/api/v1/risk/profiles", &analyst, &json!({"id": 3}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "REQUEST_JSON");
    // Policy: bad values refused with a pointer.
    let (s, v) = app
        .put_json(
            "/api/v1/risk/channel-policy",
            &analyst,
            &json!({"blueRate": "3", "lowFactor": "0.5", "aeoFactor": "0.25", "highFactor": "2",
                    "highMinimum": "yellow", "modelYellow": "0.6", "modelRed": "0.85"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["pointer"], "/blueRate");
    // The schema is public.
    let (s, v) = app.get("/api/v1/risk/schema", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "value_per_kg"));
}

fn cargo(doc_ref: &str) -> Value {
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
            {"description": "passenger car", "hsCode": "870323", "origin": "CN",
             "netMassKg": "1400", "value": "2100", "currency": "USD"}
        ]
    })
}

async fn prearrival_information_is_assessed_and_applied_at_arrival(app: TestApp) {
    deterministic(&app).await;
    let analyst = app.user_token("analyst");
    let trader = app.trader(0).token.clone();
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles",
            &analyst,
            &draft(
                "CHEAP-CARS",
                "hs4 == \"8703\" and origin == \"CN\" and value_per_kg < 2.5",
                "red",
                "non_intrusive_scan",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post_json(
            "/api/v1/risk/profiles/CHEAP-CARS/activation",
            &analyst,
            &json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Bad information: every problem with its pointer.
    let mut bad = cargo("CMR-BAD");
    bad["goods"][0]["hsCode"] = json!("87032");
    bad["route"] = json!(["CN", "ZZ"]);
    bad.as_object_mut().unwrap().remove("officeOfArrival");
    let (s, v) = app.post_json("/api/v1/prearrival", &trader, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "PREARRIVAL_REJECTED");
    let pointers: Vec<&str> = v["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["pointer"].as_str().unwrap())
        .collect();
    for p in ["/goods/0/hsCode", "/route/1", "/officeOfArrival"] {
        assert!(pointers.contains(&p), "{p} not in {pointers:?}");
    }
    // Officers do not submit it.
    let (s, _) = app
        .post_json(
            "/api/v1/prearrival",
            &app.user_token("officer"),
            &cargo("X"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Good information: assessed at once, red by the profile. The trader
    // is told it was received (issue 13: not the decision).
    let (s, pa) = app
        .post_json("/api/v1/prearrival", &trader, &cargo("CMR-2026-777"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pa}");
    assert_eq!(pa["status"], "received");
    assert!(
        pa.get("decision").is_none() && pa.get("channel").is_none(),
        "{pa}"
    );
    let id = pa["id"].as_str().unwrap().to_owned();

    // The office of arrival sees it with its decision; traders do not.
    let (s, list) = app
        .get(
            "/api/v1/offices/UZ000100/prearrival",
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["info"]["transportDocument"], "CMR-2026-777");
    assert_eq!(list[0]["channel"], "red");
    assert_eq!(
        list[0]["decision"]["profileHits"][0]["profileId"],
        "CHEAP-CARS"
    );
    assert_eq!(
        list[0]["decision"]["controls"],
        json!(["non_intrusive_scan"])
    );
    let (s, _) = app
        .get("/api/v1/offices/UZ000100/prearrival", &trader)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .get(
            "/api/v1/offices/UZ000200/prearrival",
            &app.user_token("officer"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A declaration that does not hit the profile itself, but refers to
    // the same transport document, gets the preliminary channel.
    let mut doc = app.body(0);
    let v = {
        let mut plain = doc.clone();
        plain["lrn"] = json!(format!("{}P", doc["lrn"].as_str().unwrap()));
        lodge_ok(&app, 0, &plain).await
    };
    assert_eq!(v["channel"], "green", "the body alone does not hit");
    doc["transportDocuments"][0]["reference"] = json!("CMR-2026-777");
    let v = lodge_ok(&app, 0, &doc).await;
    assert_eq!(v["channel"], "red");
    let d = decision(&app, v["mrn"].as_str().unwrap()).await;
    assert_eq!(d["factors"][0]["source"], "prearrival");
    assert!(d["factors"][0]["reason"].as_str().unwrap().contains(&id));
    assert_eq!(d["controls"], json!(["non_intrusive_scan"]));
}

async fn analytics_count_hits_controls_findings_and_release_times(app: TestApp) {
    deterministic(&app).await;
    let analyst = app.user_token("analyst");
    let officer = app.user_token("officer");
    // Two profiles on two traders' goods.
    let doc_a = app.body(1);
    let doc_b = app.body(2);
    for (id, doc) in [("HIT-A", &doc_a), ("HIT-B", &doc_b)] {
        let (s, v) = app
            .post_json(
                "/api/v1/risk/profiles",
                &analyst,
                &draft(id, &hits_item0(doc), "yellow", "documentary_check"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = app
            .post_json(
                &format!("/api/v1/risk/profiles/{id}/activation"),
                &analyst,
                &json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // Two declarations hit A: one with findings, one compliant; one hits
    // B and is controlled compliant; one green (another trader's goods
    // may hit too, so it is checked from its own decision).
    let mut mrns = Vec::new();
    for (k, (i, doc)) in [(1, &doc_a), (1, &doc_a), (2, &doc_b)]
        .into_iter()
        .enumerate()
    {
        let mut d = doc.clone();
        d["lrn"] = json!(format!("{}A{k}", doc["lrn"].as_str().unwrap()));
        let v = lodge_ok(&app, i, &d).await;
        assert_eq!(v["channel"], "yellow", "{v}");
        mrns.push(v["mrn"].as_str().unwrap().to_owned());
    }
    for (mrn, outcome) in mrns.iter().zip(["findings", "compliant", "compliant"]) {
        let (s, v) = app
            .act(
                &app.officer("officer"),
                &format!("/api/v1/declarations/{mrn}/control-result"),
                &json!({"mrn": mrn, "act": "control_result", "version": 1, "outcome": outcome}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    for mrn in &mrns[1..] {
        let (s, v) = app
            .act(
                &app.officer("officer"),
                &format!("/api/v1/declarations/{mrn}/release"),
                &json!({"mrn": mrn, "act": "release", "version": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let green = lodge_ok(&app, 3, &app.body(3)).await;

    // Officers do not see analytics.
    let (s, _) = app.get("/api/v1/risk/analytics", &officer).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, a) = app.get("/api/v1/risk/analytics", &analyst).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["declarations"], 4, "{a}");
    let by_id = |id: &str| {
        a["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["profileId"] == id)
            .cloned()
            .unwrap()
    };
    let pa = by_id("HIT-A");
    assert_eq!(
        (
            pa["hits"].clone(),
            pa["controls"].clone(),
            pa["findings"].clone()
        ),
        (json!(2), json!(2), json!(1))
    );
    assert_eq!(pa["yieldRate"], "0.5");
    assert_eq!(pa["review"], false);
    let pb = by_id("HIT-B");
    assert_eq!(
        (pb["hits"].clone(), pb["findings"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(pb["review"], true);
    assert_eq!(a["review"], json!(["HIT-B"]));
    let green_channel = if green["channel"] == "green" { 1 } else { 0 };
    assert_eq!(a["channels"]["yellow"]["declarations"], 4 - green_channel);
    assert_eq!(a["channels"]["yellow"]["released"], 2);
    assert!(
        a["channels"]["yellow"]["meanSecondsToRelease"]
            .as_i64()
            .unwrap()
            >= 0
    );
    if green_channel == 1 {
        assert_eq!(a["channels"]["green"]["released"], 1);
        assert_eq!(a["channels"]["green"]["share"], "0.25");
    }
    // A period before anything happened is empty.
    let (s, a) = app
        .get(
            "/api/v1/risk/analytics?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            &analyst,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["declarations"], 0);
    let (s, a) = app
        .get(
            "/api/v1/risk/analytics?from=2020-03-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            &analyst,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{a}");
}
