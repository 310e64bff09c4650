//! The appeals pages in a browser (issue 16): a trader appeals a refusal
//! and an appeals officer decides, both signing in Chromium with a key
//! made in the browser (registered by the administrator); and over HTTP,
//! that another trader, an officer and a form without its token are
//! refused.

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;

use crate::appeals::refused;
use crate::browser_support::{
    axe, click, login, logout, run_story, screenshot, text, type_into, wd, Checked,
};
use crate::common::TestApp;
use crate::portal_login::page_login;

stories!(
    a_trader_appeals_a_refusal_and_an_appeals_officer_decides,
    appeal_pages_refuse_others
);

/// Makes this browser's key on the sign page and has the administrator
/// register it for `path` (`operators/<EORI>` or `users/<name>`).
async fn make_and_register_key(c: &fantoccini::Client, app: &TestApp, path: &str) -> Checked {
    click(c, "[data-keygen-make]").await?;
    let mut public_key = String::new();
    for _ in 0..100 {
        public_key = text(c, "output[data-public-key]").await?;
        if !public_key.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    check!(public_key.len() == 44, "public key {public_key:?}");
    let key_id = text(c, "output[data-key-id]").await?;
    check!(
        key_id == tamga_app::clearance::key_id_of(&public_key),
        "key id {key_id} of {public_key}"
    );
    let r = app
        .http
        .post(format!("{}/api/v1/admin/{path}/signing-keys", app.base))
        .bearer_auth(app.user_token("admin"))
        .json(&json!({"publicKey": public_key}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check!(r.status().is_success(), "key registration: {}", r.status());
    Ok(())
}

async fn a_trader_appeals_a_refusal_and_an_appeals_officer_decides(app: TestApp) {
    let officer = app.officer("officer");
    let mrn = refused(&app, 0, &officer).await;
    let trader = app.trader(0).id.clone();
    let app = &app;
    run_story("appeal", |c| async move {
        let r = async {
            let base = &app.base;
            login(&c, base, "trader1").await?;
            wd(
                c.goto(&format!("{base}/appeals/new?mrn={mrn}&subject=refusal"))
                    .await,
                "appeal form",
            )?;
            type_into(&c, "reason", "The certificate of origin was attached.").await?;
            click(&c, "main form button[type=submit]").await?;
            wd(
                c.wait().for_element(Locator::Css("form[data-sign]")).await,
                "sign page",
            )?;
            let body = wd(
                wd(c.find(Locator::Id("body")).await, "body")?
                    .prop("value")
                    .await,
                "body",
            )?
            .unwrap_or_default();
            check!(
                body.contains(&mrn) && body.contains("\"act\":\"appeal\""),
                "{body}"
            );
            make_and_register_key(&c, app, &format!("operators/{trader}")).await?;
            click(&c, "form[data-sign] button[type=submit]").await?;
            let status = text(&c, "#appeal-status").await?;
            check!(status == "Lodged, awaiting a decision", "status {status:?}");
            let found = axe(&c).await?;
            check!(found.is_empty(), "accessibility of the appeal: {found:?}");
            screenshot(&c, "appeal").await?;
            let url = wd(c.current_url().await, "url")?;
            logout(&c).await?;

            login(&c, base, "appeals").await?;
            wd(c.goto(url.as_str()).await, "appeal as the appeals officer")?;
            click(&c, "input[name=outcome][value=upheld]").await?;
            type_into(&c, "reason", "The origin is proven by the certificate.").await?;
            click(&c, "main form button[type=submit]").await?;
            wd(
                c.wait().for_element(Locator::Css("form[data-sign]")).await,
                "sign page",
            )?;
            make_and_register_key(&c, app, "users/appeals").await?;
            click(&c, "form[data-sign] button[type=submit]").await?;
            let status = text(&c, "#appeal-status").await?;
            check!(status == "Upheld", "status {status:?}");
            let reason = text(&c, "#decision-reason").await?;
            check!(reason.contains("certificate"), "{reason:?}");
            Ok(())
        }
        .await;
        (c, r)
    })
    .await;
    // The trader was told of the decision.
    let kinds: Vec<String> = app
        .notifications(0)
        .await
        .iter()
        .filter_map(|n| n["kind"].as_str().map(str::to_owned))
        .collect();
    assert!(kinds.iter().any(|k| k == "appeal_decided"), "{kinds:?}");
}

async fn appeal_pages_refuse_others(app: TestApp) {
    let officer = app.officer("officer");
    let mrn = refused(&app, 0, &officer).await;
    // An appeal lodged through the API by trader 0.
    let body = serde_json::to_vec(&json!({"act": "appeal", "mrn": mrn, "subject": "refusal",
        "reason": "Mistaken refusal.", "attachments": []}))
    .unwrap();
    let t = app.trader(0);
    let (s, v) = app
        .send_signed(
            "/api/v1/appeals",
            &t.token,
            Some(&tamga_app::demo::demo_signing_key(&t.id)),
            &body,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |cookie: String, path: String| {
        let http = http.clone();
        let base = app.base.clone();
        async move {
            http.get(format!("{base}{path}"))
                .header("cookie", cookie)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
        }
    };
    // Its trader sees it; another trader's URL is a 404 page, as in the API.
    let own = page_login(&app, "trader1").await;
    let r = get(own.clone(), format!("/appeals/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(&mrn));
    let other = page_login(&app, "trader2").await;
    let r = get(other.clone(), format!("/appeals/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(other, "/appeals".into()).await;
    assert!(!r.text().await.unwrap().contains(&mrn));
    // An officer reads but gets no decision form; deciding is refused.
    let off = page_login(&app, "officer").await;
    let r = get(off.clone(), format!("/appeals/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(!html.contains("decision/prepare"));
    let csrf = {
        let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
        html[at..at + html[at..].find('"').unwrap()].to_owned()
    };
    let r = http
        .post(format!("{}/appeals/{id}/decision/prepare", app.base))
        .header("cookie", &off)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("outcome", "upheld"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The appeals officer's decision form without its token is refused.
    let dec = page_login(&app, "appeals").await;
    let r = http
        .post(format!("{}/appeals/{id}/decision/prepare", app.base))
        .header("cookie", &dec)
        .form(&[("outcome", "upheld"), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A trader cannot open the decision step either.
    let r = http
        .post(format!("{}/appeals/{id}/decision", app.base))
        .header("cookie", &own)
        .form(&[("body", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
