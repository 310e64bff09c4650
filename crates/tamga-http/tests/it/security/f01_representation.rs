//! Finding 1 (critical): lodging in another trader's name, paid from that trader's account.
//!
//! A trader named another trader as declarant and itself as representative,
//! signed with its own key, and the declaration was registered and paid from
//! the other trader's account. Now an act by anyone but the declarant needs
//! a mandate the declarant granted and signed (`/api/v1/account/mandates`)
//! that covers it; the mandate's payment right and kind decide who pays.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::clearance::sha256_hex;
use tamga_app::demo::demo_signing_key;
use tamga_core::codes::Eori;
use tamga_core::lifecycle::EventBody;
use tamga_core::signature;
use tamga_store::{Operator, Principal, SigningKeyRecord};

use crate::common::{codes, TestApp};

stories!(
    a_trader_cannot_lodge_in_another_traders_name,
    a_mandate_lets_the_representative_lodge_and_decides_who_pays,
    the_payer_stays_the_indirect_representative_until_paid,
    revoked_expired_and_out_of_scope_mandates_are_refused,
    forged_and_replayed_grants_are_refused,
    amendment_and_invalidation_by_a_representative_need_a_mandate,
    others_cannot_read_or_revoke_someone_elses_mandates,
);

/// An economic operator: id, token and signing key.
struct Op {
    id: String,
    name: String,
    token: String,
    key: ed25519_dalek::SigningKey,
}

fn trader(app: &TestApp, i: usize) -> Op {
    let t = app.trader(i);
    Op {
        id: t.id.clone(),
        name: t.name.clone(),
        token: t.token.clone(),
        key: demo_signing_key(&t.id),
    }
}

/// A new operator with an empty account, a token and a registered key.
async fn new_operator(app: &TestApp, id: &str, seed: u8) -> Op {
    let eori = Eori::parse(id).unwrap();
    let now = OffsetDateTime::now_utc();
    app.store
        .create_operator(&Operator {
            id: eori.clone(),
            name: format!("Operator {id}"),
            created_at: now,
        })
        .await
        .unwrap();
    let token = format!("test-token-f01-{id}");
    app.store
        .add_token(
            &sha256_hex(token.as_bytes()),
            &Principal::Operator { id: eori.clone() },
            "test",
        )
        .await
        .unwrap();
    let key = signature::signing_key_from_seed([seed; 32]);
    let public_key = signature::public_key_b64(&key.verifying_key());
    app.store
        .add_signing_key(&SigningKeyRecord {
            key_id: tamga_app::clearance::key_id_of(&public_key),
            operator: eori,
            public_key,
            created_at: now,
            revoked: false,
        })
        .await
        .unwrap();
    Op {
        id: id.into(),
        name: format!("Operator {id}"),
        token,
        key,
    }
}

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Grant terms from `declarant` to `rep`, in force from today, all scopes.
fn terms(declarant: &Op, rep: &Op, kind: &str, pay: bool) -> Value {
    json!({
        "declarant": declarant.id,
        "representative": rep.id,
        "kind": kind,
        "validFrom": today().to_string(),
        "payFromDeclarantAccount": pay,
    })
}

/// Sends `body` to `path` as `caller`, signed with `signer`'s key.
async fn signed_post(
    app: &TestApp,
    path: &str,
    caller: &Op,
    signer: Option<&Op>,
    body: &[u8],
) -> (StatusCode, Value) {
    app.send_signed(path, &caller.token, signer.map(|s| &s.key), body)
        .await
}

/// The declarant grants `terms`, signed with its own key; returns the id.
async fn grant(app: &TestApp, declarant: &Op, terms: &Value) -> i64 {
    let (s, v) = signed_post(
        app,
        "/api/v1/account/mandates",
        declarant,
        Some(declarant),
        &serde_json::to_vec(terms).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["declarant"], declarant.id.as_str(), "{v}");
    v["id"].as_i64().unwrap()
}

async fn revoke(app: &TestApp, declarant: &Op, id: i64) -> (StatusCode, Value) {
    signed_post(
        app,
        &format!("/api/v1/account/mandates/{id}/revocation"),
        declarant,
        Some(declarant),
        &serde_json::to_vec(&json!({"mandate": id, "reason": "contract ended"})).unwrap(),
    )
    .await
}

/// `doc` (declarant: demo trader `i`) with `rep` named as representative.
fn represented(app: &TestApp, i: usize, rep: &Op, kind: &str) -> Value {
    let mut doc = app.body(i);
    doc["representative"] = json!({"id": rep.id, "name": rep.name, "kind": kind});
    doc
}

async fn lodge_as(app: &TestApp, op: &Op, doc: &Value) -> (StatusCode, Value) {
    signed_post(
        app,
        "/api/v1/declarations",
        op,
        Some(op),
        &serde_json::to_vec(doc).unwrap(),
    )
    .await
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// Available and reserved on the operator's cash account (zero if it has
/// none yet).
async fn cash(app: &TestApp, op: &Op) -> (Decimal, Decimal) {
    let (s, v) = app.get("/api/v1/account/ledger", &op.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "cash")
        .map_or((Decimal::ZERO, Decimal::ZERO), |a| {
            (dec(&a["available"]), dec(&a["reserved"]))
        })
}

async fn due_of(app: &TestApp, mrn: &str, token: &str) -> Decimal {
    app.events(mrn, token)
        .await
        .iter()
        .find_map(|e| match &e.body {
            EventBody::DutiesAssessed { result } => Some(result.amount_due()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The 422 of a refused act carries `code` at `pointer`.
fn refused_with(s: StatusCode, v: &Value, code: &str, pointer: &str) {
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let hit = v["error"]["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("no violations: {v}"))
        .iter()
        .any(|x| x["code"] == code && x["pointer"] == pointer);
    assert!(hit, "expected {code} at {pointer}: {v}");
}

/// No random selection, so a declaration's channel depends on its goods.
async fn zero_random(app: &TestApp) {
    let (s, v) = app
        .put_json(
            "/api/v1/selectivity/random",
            &app.user_token("officer"),
            &json!({ "yellowRate": "0", "redRate": "0", "seed": 3 }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn a_trader_cannot_lodge_in_another_traders_name(app: TestApp) {
    let victim = trader(&app, 1);
    let attacker = trader(&app, 2);
    let before = (cash(&app, &victim).await, cash(&app, &attacker).await);
    let count = app.count().await;
    let doc = represented(&app, 1, &attacker, "direct");
    let lrn = doc["lrn"].as_str().unwrap().to_owned();

    // Direct or indirect, signed with the attacker's own key: refused.
    for kind in ["direct", "indirect"] {
        let mut doc = doc.clone();
        doc["representative"]["kind"] = json!(kind);
        let (s, v) = lodge_as(&app, &attacker, &doc).await;
        refused_with(s, &v, "FLC-MANDATE-MISSING", "/representative/id");
    }
    // Nothing registered, no money moved.
    assert_eq!(app.count().await, count);
    assert_eq!(
        (cash(&app, &victim).await, cash(&app, &attacker).await),
        before
    );
    // The attacker was told (a rejection), the victim was not bothered.
    let (_, page) = app
        .get("/api/v1/notifications?after=0", &attacker.token)
        .await;
    assert!(page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "rejected" && n["lrn"] == lrn.as_str()));
    assert!(!app
        .notifications(1)
        .await
        .iter()
        .any(|n| n["lrn"] == lrn.as_str()));
    // The victim's LRN is still the victim's to use.
    let mut own = doc.clone();
    own.as_object_mut().unwrap().remove("representative");
    let (s, v) = app.lodge(1, &own).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["lodgedBy"], victim.id.as_str());
    assert_eq!(app.count().await, count + 1);
}

async fn a_mandate_lets_the_representative_lodge_and_decides_who_pays(app: TestApp) {
    let a = trader(&app, 1);
    let b = trader(&app, 2);
    let c = trader(&app, 3);
    let d = trader(&app, 4);

    // Direct representation paid from the declarant's account.
    let id = grant(&app, &a, &terms(&a, &b, "direct", true)).await;
    let (a0, b0) = (cash(&app, &a).await.0, cash(&app, &b).await.0);
    let (s, v) = lodge_as(&app, &b, &represented(&app, 1, &b, "direct")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["declarant"], a.id.as_str());
    assert_eq!(v["lodgedBy"], b.id.as_str());
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let due = due_of(&app, &mrn, &a.token).await;
    assert!(due > Decimal::ZERO);
    assert_eq!(cash(&app, &a).await.0, a0 - due);
    assert_eq!(cash(&app, &b).await.0, b0);
    let events = app.events(&mrn, &b.token).await;
    match &events[0].body {
        EventBody::Lodged { mandate, payer, .. } => {
            assert_eq!(*mandate, Some(id));
            assert_eq!(*payer, None);
        }
        other => panic!("first event {other:?}"),
    }
    // The trader's view has the risk decision redacted: the chain is
    // verified on the full record an administrator reads.
    tamga_core::lifecycle::verify_chain(&app.events(&mrn, &app.user_token("admin")).await).unwrap();

    // The declared status must be the mandate's kind.
    let (s, v) = lodge_as(&app, &b, &represented(&app, 1, &b, "indirect")).await;
    refused_with(s, &v, "FLC-MANDATE-KIND", "/representative/kind");

    // Indirect representation without the payment right: the
    // representative's own account pays.
    grant(&app, &a, &terms(&a, &c, "indirect", false)).await;
    let (a0, c0) = (cash(&app, &a).await.0, cash(&app, &c).await.0);
    let (s, v) = lodge_as(&app, &c, &represented(&app, 1, &c, "indirect")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let due = due_of(&app, &mrn, &c.token).await;
    assert!(due > Decimal::ZERO);
    assert_eq!(cash(&app, &a).await.0, a0);
    assert_eq!(cash(&app, &c).await.0, c0 - due);

    // Direct representation without the payment right: refused, nothing
    // registered.
    grant(&app, &a, &terms(&a, &d, "direct", false)).await;
    let count = app.count().await;
    let (s, v) = lodge_as(&app, &d, &represented(&app, 1, &d, "direct")).await;
    refused_with(s, &v, "FLC-MANDATE-PAYMENT", "/representative/kind");
    assert_eq!(app.count().await, count);
}

async fn the_payer_stays_the_indirect_representative_until_paid(app: TestApp) {
    zero_random(&app).await;
    let a = trader(&app, 1);
    let r = new_operator(&app, "UZ000000000777", 77).await;
    let id = grant(&app, &a, &terms(&a, &r, "indirect", false)).await;
    let a0 = cash(&app, &a).await;
    let doc = represented(&app, 1, &r, "indirect");
    let (s, v) = lodge_as(&app, &r, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // The representative has no money: it waits, though the declarant has.
    assert_eq!(v["state"], "awaiting_payment", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let due = due_of(&app, &mrn, &r.token).await;
    assert!(due > Decimal::ZERO);
    assert_eq!(cash(&app, &a).await, a0);
    match &app.events(&mrn, &r.token).await[0].body {
        EventBody::Lodged { payer, mandate, .. } => {
            assert_eq!(payer.as_ref().map(|p| p.as_str()), Some(r.id.as_str()));
            assert_eq!(*mandate, Some(id));
        }
        other => panic!("first event {other:?}"),
    }
    // A deposit into the declarant's account does not pay it.
    let bank = app.user_token("bank");
    let reference = |acc: &Value| {
        acc["payment"]["paymentReference"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, acc_a) = app.get("/api/v1/account/ledger", &a.token).await;
    let (s, v) = app
        .post_json(
            "/api/v1/bank/deposits",
            &bank,
            &json!({"paymentReference": reference(&acc_a), "bankReference": "F01-A",
                    "amount": due.to_string(), "currency": "UZS"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, rec) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &r.token)
        .await;
    assert_eq!(rec["state"], "awaiting_payment", "{rec}");
    // The declarant cannot raise the duties the representative is charged:
    // an amendment that changes them must be the payer's.
    let (s, v) = signed_post(
        &app,
        &format!("/api/v1/declarations/{mrn}/amendments"),
        &a,
        Some(&a),
        &crate::common::lifecycle_amendment(&mrn, &crate::common::lifecycle_cigarettes(&doc)),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "AMEND_CHANGES_PAYER_DUTIES", "{v}");
    assert_eq!(due_of(&app, &mrn, &r.token).await, due);
    // The mandate is revoked meanwhile; the payer stays the representative,
    // and its deposit releases the declaration.
    let (s, v) = revoke(&app, &a, id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let a1 = cash(&app, &a).await;
    let (_, acc_r) = app.get("/api/v1/account/ledger", &r.token).await;
    // Its awaiting_payment notification names the amount and the reference
    // of the account that pays: the representative's.
    let (_, page) = app.get("/api/v1/notifications?after=0", &r.token).await;
    let waiting = page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "awaiting_payment" && n["mrn"] == mrn.as_str())
        .unwrap_or_else(|| panic!("no awaiting_payment notification in {page}"));
    assert_eq!(
        waiting["payload"]["paymentReference"],
        reference(&acc_r).as_str(),
        "{waiting}"
    );
    let amount: Decimal = waiting["payload"]["amountDue"]
        .as_str()
        .unwrap_or_else(|| panic!("no amountDue in {waiting}"))
        .parse()
        .unwrap();
    assert_eq!(amount, due);
    let (s, v) = app
        .post_json(
            "/api/v1/bank/deposits",
            &bank,
            &json!({"paymentReference": reference(&acc_r), "bankReference": "F01-R",
                    "amount": due.to_string(), "currency": "UZS"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, rec) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &r.token)
        .await;
    assert_eq!(rec["state"], "released", "{rec}");
    assert_eq!(cash(&app, &r).await, (Decimal::ZERO, Decimal::ZERO));
    assert_eq!(cash(&app, &a).await, a1);
    assert!(app.store.ledger_check().await.unwrap().is_sound());
}

async fn revoked_expired_and_out_of_scope_mandates_are_refused(app: TestApp) {
    let a = trader(&app, 1);
    let b = trader(&app, 2);
    let count = app.count().await;
    let lodge_b = |kind: &'static str| {
        let doc = represented(&app, 1, &b, kind);
        let b = &b;
        let app = &app;
        async move { lodge_as(app, b, &doc).await }
    };

    // Expired, and not yet in force.
    let mut t = terms(&a, &b, "direct", true);
    t["validFrom"] = json!("2020-01-01");
    t["validTo"] = json!("2020-12-31");
    grant(&app, &a, &t).await;
    let mut t = terms(&a, &b, "direct", true);
    t["validFrom"] = json!((today() + time::Duration::days(10)).to_string());
    grant(&app, &a, &t).await;
    let (s, v) = lodge_b("direct").await;
    refused_with(s, &v, "FLC-MANDATE-MISSING", "/representative/id");
    let (_, list) = app.get("/api/v1/account/mandates", &a.token).await;
    let active: Vec<&Value> = list["granted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["active"])
        .collect();
    assert_eq!(active, [&json!(false), &json!(false)], "{list}");

    // In force, but for another procedure, or another office.
    let mut t = terms(&a, &b, "direct", true);
    t["procedures"] = json!(["9999"]);
    grant(&app, &a, &t).await;
    let (s, v) = lodge_b("direct").await;
    refused_with(s, &v, "FLC-MANDATE-SCOPE", "/procedure");
    let doc = represented(&app, 1, &b, "direct");
    let mut t = terms(&a, &b, "direct", true);
    t["procedures"] = json!([doc["procedure"]]);
    t["offices"] = json!(["UZ000999"]);
    grant(&app, &a, &t).await;
    let (s, v) = lodge_as(&app, &b, &doc).await;
    refused_with(s, &v, "FLC-MANDATE-SCOPE", "/declarationOffice");
    assert_eq!(app.count().await, count);

    // Active and in scope: accepted; revoked: refused again at once.
    let mut t = terms(&a, &b, "direct", true);
    t["procedures"] = json!([doc["procedure"]]);
    t["offices"] = json!([doc["declarationOffice"]]);
    let grant_body = serde_json::to_vec(&t).unwrap();
    let id = grant(&app, &a, &t).await;
    let (s, v) = lodge_as(&app, &b, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = revoke(&app, &a, id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    assert!(v["revokedAt"].is_string());
    // (The mandates left are out of scope.)
    let (s, v) = lodge_b("direct").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        codes(&v).iter().all(|c| c.starts_with("FLC-MANDATE-")),
        "{v}"
    );
    // Sending the signed grant again does not bring it back.
    let (s, v) = signed_post(&app, "/api/v1/account/mandates", &a, Some(&a), &grant_body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["id"], id);
    assert_eq!(v["replay"], true);
    assert_eq!(v["active"], false);
    let (s, v) = lodge_as(&app, &b, &{
        let mut d = represented(&app, 1, &b, "direct");
        d["procedure"] = doc["procedure"].clone();
        d["declarationOffice"] = doc["declarationOffice"].clone();
        d
    })
    .await;
    refused_with(s, &v, "FLC-MANDATE-SCOPE", "/declarationOffice");
    // A second revocation with another body is refused.
    let (s, v) = signed_post(
        &app,
        &format!("/api/v1/account/mandates/{id}/revocation"),
        &a,
        Some(&a),
        br#"{"mandate": 0}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "MANDATE_REVOCATION_MISMATCH");
    assert_eq!(app.count().await, count + 1);
}

async fn forged_and_replayed_grants_are_refused(app: TestApp) {
    let a = trader(&app, 1);
    let b = trader(&app, 2);
    let body = serde_json::to_vec(&terms(&a, &b, "direct", true)).unwrap();
    let path = "/api/v1/account/mandates";

    // B grants itself a mandate in A's name, signed with its own key.
    let (s, v) = signed_post(&app, path, &b, Some(&b), &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // A's token, but not A's signature; or none.
    let (s, v) = signed_post(&app, path, &a, Some(&b), &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "MANDATE_SIGNATURE_INVALID");
    let (s, v) = signed_post(&app, path, &a, None, &body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "MANDATE_SIGNATURE_MISSING");
    // A's signature over other terms, replayed on a wider grant.
    let narrow = serde_json::to_vec(&{
        let mut t = terms(&a, &b, "direct", false);
        t["procedures"] = json!(["9999"]);
        t
    })
    .unwrap();
    let sig = signature::sign(&a.key, &narrow);
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(&a.token)
        .header("content-type", "application/json")
        .header("x-tamga-signature", sig)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "MANDATE_SIGNATURE_INVALID");
    // Officers do not grant in a trader's name either.
    let (s, _) = app
        .send_signed(path, &app.user_token("officer"), Some(&a.key), &body)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad terms are named by pointer.
    let mut bad = terms(&a, &b, "agent", true);
    let (s, v) = signed_post(&app, path, &a, Some(&a), &serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["pointer"], "/kind");
    bad["kind"] = json!("direct");
    bad["representative"] = json!("UZ000000000999");
    let (s, v) = signed_post(&app, path, &a, Some(&a), &serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "MANDATE_REPRESENTATIVE_UNKNOWN");
    // No mandate came of it: B still cannot lodge for A.
    let (_, list) = app.get(path, &a.token).await;
    assert_eq!(list["granted"].as_array().unwrap().len(), 0, "{list}");
    let (s, v) = lodge_as(&app, &b, &represented(&app, 1, &b, "direct")).await;
    refused_with(s, &v, "FLC-MANDATE-MISSING", "/representative/id");
}

async fn amendment_and_invalidation_by_a_representative_need_a_mandate(app: TestApp) {
    // Tobacco goes red, so the declaration stays open under control.
    let (s, _) = app
        .put_json(
            "/api/v1/selectivity/criteria/TOBACCO",
            &app.user_token("officer"),
            &json!({ "description": "tobacco", "hsPrefix": "24", "channel": "red" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let a = trader(&app, 1);
    let b = trader(&app, 2);
    let tobacco = |mut doc: Value| {
        doc["items"][0]["hsCode"] = json!("2402200000");
        doc["items"][0]["description"] = json!("Cigarettes containing tobacco");
        doc["items"][0]["supplementaryUnits"] = json!("40");
        doc
    };
    let amend = |mrn: &str, doc: &Value| {
        let path = format!("/api/v1/declarations/{mrn}/amendments");
        let body = serde_json::to_vec(&json!({"mrn": mrn, "declaration": doc})).unwrap();
        let app = &app;
        let b = &b;
        async move { signed_post(app, &path, b, Some(b), &body).await }
    };
    let invalidate = |mrn: &str| {
        let path = format!("/api/v1/declarations/{mrn}/invalidation");
        let body = serde_json::to_vec(&json!({"mrn": mrn, "reason": "lodged by mistake"})).unwrap();
        let app = &app;
        let b = &b;
        async move { signed_post(app, &path, b, Some(b), &body).await }
    };

    // The declarant lodges itself and names B as representative: B was
    // never granted a mandate, so it can neither amend nor invalidate.
    let doc = tobacco(represented(&app, 1, &b, "direct"));
    let (s, v) = lodge_as(&app, &a, &doc).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "under_control", "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    let mut changed = doc.clone();
    changed["items"][0]["description"] = json!("Cigarettes, amended by the broker");
    let (s, v) = amend(&mrn, &changed).await;
    refused_with(
        s,
        &v,
        "FLC-MANDATE-MISSING",
        "/declaration/representative/id",
    );
    let (s, v) = invalidate(&mrn).await;
    refused_with(s, &v, "FLC-MANDATE-MISSING", "/representative/id");
    let (_, rec) = app
        .get(&format!("/api/v1/declarations/{mrn}"), &a.token)
        .await;
    assert_eq!(rec["version"], 1);
    assert_eq!(rec["state"], "under_control");

    // With a mandate B lodges, amends and invalidates; once it is revoked
    // B can do neither, while the declarant still can.
    let id = grant(&app, &a, &terms(&a, &b, "direct", true)).await;
    let (s, v) = amend(&mrn, &changed).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let doc2 = tobacco(represented(&app, 1, &b, "direct"));
    let (s, v) = lodge_as(&app, &b, &doc2).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn2 = v["mrn"].as_str().unwrap().to_owned();
    app.control_compliant(&mrn2, 1).await;
    let (s, v) = invalidate(&mrn2).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated");
    let (s, _) = revoke(&app, &a, id).await;
    assert_eq!(s, StatusCode::OK);
    let mut again = changed.clone();
    again["items"][0]["description"] = json!("Cigarettes, amended again");
    let (s, v) = amend(&mrn, &again).await;
    refused_with(
        s,
        &v,
        "FLC-MANDATE-MISSING",
        "/declaration/representative/id",
    );
    let (s, v) = invalidate(&mrn).await;
    refused_with(s, &v, "FLC-MANDATE-MISSING", "/representative/id");
    let (_, page) = app.get("/api/v1/notifications?after=0", &b.token).await;
    assert!(page["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "request_rejected" && n["mrn"] == mrn.as_str()));
    app.control_compliant(&mrn, 2).await;
    let (s, v) = signed_post(
        &app,
        &format!("/api/v1/declarations/{mrn}/invalidation"),
        &a,
        Some(&a),
        &serde_json::to_vec(&json!({"mrn": mrn, "reason": "not needed"})).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "invalidated");
}

async fn others_cannot_read_or_revoke_someone_elses_mandates(app: TestApp) {
    let a = trader(&app, 1);
    let b = trader(&app, 2);
    let c = trader(&app, 3);
    let id = grant(&app, &a, &terms(&a, &b, "indirect", false)).await;
    let path = "/api/v1/account/mandates";

    // Declarant and representative see it, each on its side.
    let (s, v) = app.get(path, &a.token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["granted"][0]["id"], id);
    assert_eq!(
        v["granted"][0]["grant"]["signingKey"],
        app.trader(1).key_id.as_str()
    );
    let (_, v) = app.get(path, &b.token).await;
    assert_eq!(v["received"][0]["id"], id);
    assert_eq!(v["granted"].as_array().unwrap().len(), 0);
    for who in [&a, &b] {
        let (s, _) = app.get(&format!("{path}/{id}"), &who.token).await;
        assert_eq!(s, StatusCode::OK);
    }
    // Another trader: not in its list, cannot ask for A's, nor read it.
    let (_, v) = app.get(path, &c.token).await;
    assert!(v["granted"].as_array().unwrap().is_empty());
    assert!(v["received"].as_array().unwrap().is_empty());
    let (s, _) = app.get(&format!("{path}?party={}", a.id), &c.token).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(&format!("{path}/{id}"), &c.token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nor revoke it; the representative may not either.
    let (s, _) = revoke(&app, &c, id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = revoke(&app, &b, id).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A revocation signed by someone else is refused, even with A's token.
    let (s, v) = signed_post(
        &app,
        &format!("{path}/{id}/revocation"),
        &a,
        Some(&c),
        &serde_json::to_vec(&json!({"mandate": id})).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, v) = app.get(&format!("{path}/{id}"), &a.token).await;
    assert_eq!(v["active"], true);
    // Officers and administrators read for audit; the bank does not.
    for user in ["officer", "admin"] {
        let (s, v) = app
            .get(&format!("{path}?party={}", a.id), &app.user_token(user))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["granted"][0]["id"], id);
    }
    let (s, _) = app
        .get(&format!("{path}?party={}", a.id), &app.user_token("bank"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.get(path, &app.user_token("officer")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The endpoints are documented.
    let (_, doc) = app.get("/api/v1/openapi.json", "").await;
    for p in [
        "/api/v1/account/mandates",
        "/api/v1/account/mandates/{id}",
        "/api/v1/account/mandates/{id}/revocation",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(doc["components"]["schemas"].get("MandateView").is_some());
    // Bad ids are named.
    let (s, v) = app.get(&format!("{path}/x1"), &a.token).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "MANDATE_ID");
    // The declarant revokes it.
    let (s, v) = revoke(&app, &a, id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    assert_eq!(codes(&v).len(), 0);
}
