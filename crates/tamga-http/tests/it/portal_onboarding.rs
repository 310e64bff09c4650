//! A new trader from registration to a released declaration, in a real
//! browser (issue 16): "an administrator approves a newly registered
//! trader, whose user then logs in, lodges a declaration through the form
//! and sees it released".
//!
//! In one Chromium session: the company registers through `/register`;
//! the administrator approves it on `/admin/operators`; its user logs in,
//! makes a signing key in the browser on `/me/keys` (WebCrypto Ed25519,
//! the private key never leaves the browser). A holder without a key
//! cannot register one itself (`KEY_APPROVAL_REQUIRED`: a key approves a
//! new key), so the user gives its public key to the administrator, who
//! registers it on the company's page `/admin/operators/{eori}`. The user
//! then fills the lodging form field by field, first with a wrong goods
//! code (the message beside its field), then right, signs in the browser
//! and sees its declaration waiting for payment with the duties to pay;
//! the bank reports the transfer quoting the reference the user reads on
//! `/trader/account` (the bank's API, as a bank does), and the user sees
//! the declaration released. Low-risk goods and no random selection: no
//! officer's control on the way.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use tamga_core::codes::{CountryCode, Eori};
use tamga_core::declaration::Address;
use tamga_portal::pages::trader::form::Typed;
use tamga_sim::{demo_traders, Generator, GeneratorConfig};
use time::OffsetDateTime;

use crate::browser_support::{
    axe, click, login, login_with, logout, run_story, text, type_into, value, wd, Checked,
};
use crate::common::TestApp;

stories!(a_registered_trader_is_approved_lodges_and_sees_its_declaration_released);

const EORI: &str = "UZ700000000777";
const USER: &str = "caravan.user";
const PASSWORD: &str = "amber caravans cross the windy steppe 1407";
const COMPANY: &str = "Caravan Silk Imports LLC";

/// The registration form, field by field (`kind` is a choice, trader by
/// default).
const REGISTRATION: &[(&str, &str)] = &[
    ("eori", EORI),
    ("legalName", COMPANY),
    ("street", "7 Registan Street"),
    ("city", "Samarkand"),
    ("postcode", "140100"),
    ("country", "UZ"),
    ("email", "office@caravan-silk.example.uz"),
    ("phone", "+998 66 233 07 07"),
    ("representative", "Dilnoza Karimova"),
    ("username", USER),
    ("userName", "Rustam Aliev"),
    ("password", PASSWORD),
];

/// A valid declaration of the new company, as the demo generator makes
/// them (the goods and habits of demo trader 0, one goods item): low-risk
/// goods, no errors, no fraud.
fn declaration() -> Value {
    let mut trader = demo_traders(8)[0].clone();
    trader.id = Eori::parse(EORI).expect("the EORI");
    trader.name = COMPANY.into();
    trader.address = Address {
        street: "7 Registan Street".into(),
        city: "Samarkand".into(),
        postcode: Some("140100".into()),
        country: CountryCode::parse("UZ").expect("UZ"),
    };
    let mut cfg = GeneratorConfig::demo(8, OffsetDateTime::now_utc().date(), 777);
    cfg.traders = vec![trader];
    cfg.items_per_declaration = (1, 1);
    cfg.error_share = Some(0.0);
    cfg.frauds = false;
    let reference = tamga_app::reference::shipped().expect("reference data");
    let tariff = tamga_app::reference::demo_tariff().expect("the demo tariff");
    let s = Generator::new(cfg, &reference)
        .expect("a generator")
        .with_tariff(&tariff)
        .next();
    serde_json::from_slice(&s.body).expect("JSON")
}

/// Polls `css` until its text is `want` (the page may still be loading).
async fn wait_text(c: &Client, css: &str, want: &str) -> Checked {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = text(c, css).await?;
        if got == want {
            return Ok(());
        }
        check!(
            std::time::Instant::now() < deadline,
            "{css}: {got:?}, expected {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Makes this browser's key for the logged-in user on `/me/keys`; its
/// public key as shown.
async fn make_key(c: &Client, base: &str) -> Result<String, String> {
    wd(c.goto(&format!("{base}/me/keys")).await, "keys")?;
    click(c, "[data-keygen-make]").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let public = text(c, "output[data-public-key]").await?;
        if !public.is_empty() {
            let key_id = text(c, "output[data-key-id]").await?;
            check!(
                key_id == tamga_app::clearance::key_id_of(&public),
                "key id {key_id} of {public}"
            );
            return Ok(public);
        }
        check!(std::time::Instant::now() < deadline, "no public key shown");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Types the declaration `doc` into the lodging form, one field at a
/// time, after adding the goods items it needs.
async fn fill_form(c: &Client, doc: &Value) -> Checked {
    let typed = Typed::from_json(doc);
    for n in 1..typed.items {
        click(c, "button[name=_action][value=add-item]").await?;
        wd(
            c.wait()
                .for_element(Locator::Id(&format!("/items/{n}/hsCode")))
                .await,
            "the added item",
        )?;
    }
    for (name, v) in &typed.values {
        type_into(c, name, v).await?;
    }
    Ok(())
}

/// An amount as the English pages show it (`1,234.56 UZS`).
fn amount(shown: &str) -> Result<Decimal, String> {
    let number: String = shown
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| *c != ',')
        .collect();
    number.parse().map_err(|e| format!("amount {shown:?}: {e}"))
}

async fn story(c: &Client, app: &TestApp) -> Checked {
    let base = &app.base;
    // The company registers.
    wd(c.goto(&format!("{base}/register")).await, "register")?;
    for (id, v) in REGISTRATION {
        type_into(c, id, v).await?;
    }
    click(c, "main form button[type=submit]").await?;
    wd(
        c.wait().for_element(Locator::Css("p.notice")).await,
        "registration received",
    )?;
    // Not yet approved: its user cannot log in.
    check!(
        login_with(c, base, USER, PASSWORD).await.is_err(),
        "logged in before approval"
    );

    // The administrator approves it.
    login(c, base, "admin").await?;
    wd(
        c.goto(&format!("{base}/admin/operators")).await,
        "operators",
    )?;
    let row = text(c, &format!("#op-{EORI}")).await?;
    check!(row.contains(COMPANY), "row {row:?}");
    click(c, &format!("button.approve[data-eori={EORI}]")).await?;
    let done = text(c, "p.notice").await?;
    check!(done.contains(EORI), "notice {done:?}");
    logout(c).await?;

    // Its user logs in, lands on the trader's area, makes a key.
    login_with(c, base, USER, PASSWORD).await?;
    let url = wd(c.current_url().await, "url")?;
    check!(url.path() == "/trader", "landed on {url}");
    let lead = text(c, "p.lead").await?;
    check!(lead.contains(EORI), "dashboard lead {lead:?}");
    let public_key = make_key(c, base).await?;
    // Without a key it cannot approve one: no section to add a key.
    check!(
        c.find(Locator::Id("add-title")).await.is_err(),
        "a holder without a key is offered to register one itself"
    );
    logout(c).await?;

    // The administrator registers that first key on the company's page.
    login(c, base, "admin").await?;
    wd(
        c.goto(&format!("{base}/admin/operators/{EORI}")).await,
        "the company's page",
    )?;
    type_into(c, "publicKey", &public_key).await?;
    click(c, "form[action$='/keys'] button[type=submit]").await?;
    let done = text(c, "p.notice").await?;
    check!(done.contains("is registered"), "key notice {done:?}");
    logout(c).await?;

    // The user sees its key, and may now add others by signing.
    login_with(c, base, USER, PASSWORD).await?;
    wd(c.goto(&format!("{base}/me/keys")).await, "keys")?;
    let keys = text(c, "table.keys tbody").await?;
    check!(
        keys.contains(&tamga_app::clearance::key_id_of(&public_key)),
        "the registered key is not listed: {keys:?}"
    );
    check!(
        c.find(Locator::Id("add-title")).await.is_ok(),
        "a key holder is not offered to add a key"
    );

    // The user lodges a declaration through the form.
    wd(c.goto(&format!("{base}/trader")).await, "dashboard")?;
    click(c, "a[href='/trader/declarations/new']").await?;
    let declarant = value(c, "/declarant/id").await?;
    check!(declarant == EORI, "declarant filled with {declarant:?}");
    let doc = declaration();
    let mut wrong = doc.clone();
    wrong["items"][0]["hsCode"] = json!("12AB");
    fill_form(c, &wrong).await?;
    click(c, "#check").await?;
    let error = text(c, "[id='/items/0/hsCode-error']").await?;
    check!(error.contains("FLC-"), "the goods code's error {error:?}");
    let kept = value(c, "/items/0/hsCode").await?;
    check!(kept == "12AB", "what was typed is kept: {kept:?}");
    let found = axe(c).await?;
    check!(
        found.is_empty(),
        "accessibility of the form's errors: {found:?}"
    );
    type_into(
        c,
        "/items/0/hsCode",
        doc["items"][0]["hsCode"].as_str().unwrap_or(""),
    )
    .await?;
    click(c, "#check").await?;
    wd(
        c.wait().for_element(Locator::Css("form[data-sign]")).await,
        "sign page",
    )?;
    let signed: Value = serde_json::from_str(&value(c, "body").await?)
        .map_err(|e| format!("the signed body: {e}"))?;
    check!(
        signed == doc,
        "the form built another declaration: {signed}"
    );
    click(c, "#sign").await?;
    wd(
        c.wait().for_element(Locator::Id("state")).await,
        "the declaration's page",
    )?;
    let url = wd(c.current_url().await, "url")?;
    let mrn = url
        .path()
        .strip_prefix("/trader/declarations/")
        .unwrap_or("")
        .to_owned();
    check!(!mrn.is_empty(), "not on a declaration's page: {url}");
    let state = text(c, "#state").await?;
    check!(state == "Awaiting payment", "state {state:?}");
    let due = amount(&text(c, "#duties-total").await?)?;
    check!(due > Decimal::ZERO, "duties {due}");

    // The user reads its payment reference; the bank reports the transfer.
    wd(c.goto(&format!("{base}/trader/account")).await, "account")?;
    let reference = text(c, "code.reference").await?;
    let r = app
        .http
        .post(format!("{base}/api/v1/bank/deposits"))
        .bearer_auth(app.user_token("bank"))
        .json(
            &json!({"paymentReference": reference, "bankReference": "CARAVAN-1",
                      "amount": due.to_string(), "currency": "UZS"}),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check!(
        r.status() == StatusCode::CREATED,
        "the bank's deposit: {}",
        r.status()
    );

    // Released, as the user sees it.
    wd(
        c.goto(&format!("{base}/trader/declarations/{mrn}")).await,
        "the declaration again",
    )?;
    wait_text(c, "#state", "Released").await?;
    let timeline = text(c, "ol.td-timeline").await?;
    check!(timeline.contains("Released"), "timeline {timeline:?}");
    wd(c.goto(&format!("{base}/trader")).await, "dashboard")?;
    let recent = text(c, "ul.td-recent").await?;
    check!(
        recent.contains(&mrn) && recent.contains("Released"),
        "dashboard {recent:?}"
    );
    Ok(())
}

async fn a_registered_trader_is_approved_lodges_and_sees_its_declaration_released(app: TestApp) {
    let app = &app;
    run_story("onboarding", |c| async move {
        let r = story(&c, app).await;
        (c, r)
    })
    .await;
    // What the user saw is what the service holds.
    let r = app
        .http
        .get(format!("{}/api/v1/admin/operators/{EORI}", app.base))
        .bearer_auth(app.user_token("admin"))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "approved", "{v}");
}
