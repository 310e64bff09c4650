//! Declaration drafts over HTTP, without a browser: the lodging form is
//! saved as typed (a mistake and all), listed, reopened with what was
//! typed (on another instance too: nothing is kept in memory), saved
//! again, lodged (then gone) or deleted; another party, a broker of
//! another party and a customs user never reach a trader's draft, and a
//! form without its CSRF token changes nothing. The list is a page of 20
//! at a time; a party keeps at most 200 drafts.

use reqwest::StatusCode;
use serde_json::Value;

use tamga_app::demo::demo_signing_key;
use tamga_core::signature;
use tamga_portal::pages::trader::form::Typed;

use crate::common::TestApp;
use crate::portal_login::{client, hidden, page_login, HTML};

stories!(drafts_are_saved_reopened_lodged_and_kept_to_their_party);

async fn get_at(base: &str, session: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(format!("{base}{path}"))
        .header("cookie", session)
        .header("accept", HTML)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get(app: &TestApp, session: &str, path: &str) -> (StatusCode, String) {
    get_at(&app.base, session, path).await
}

async fn post(
    app: &TestApp,
    session: &str,
    path: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header("cookie", session)
        .header("accept", HTML)
        .header("accept-language", "en")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The posted form of `doc` as the declaration form would send it.
fn form_of(doc: &Value, csrf: &str, action: &str) -> Vec<(String, String)> {
    let typed = Typed::from_json(doc);
    let mut form = vec![
        ("_csrf".to_owned(), csrf.to_owned()),
        ("items".to_owned(), typed.items.to_string()),
        ("_action".to_owned(), action.to_owned()),
    ];
    form.extend(typed.values);
    form
}

fn without_csrf(form: &[(String, String)]) -> Vec<(String, String)> {
    form.iter().filter(|(k, _)| k != "_csrf").cloned().collect()
}

/// The draft a "save" answered with (303 to its page): its path.
fn saved_to(r: &reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/trader/drafts/"), "{to}");
    to
}

/// The text of the `<textarea name="body">` of a sign page, unescaped.
fn signed_body(html: &str) -> String {
    let at = html.find("name=\"body\"").expect("a sign page");
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</textarea>").unwrap();
    rest[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn field(name: &str, value: &str) -> String {
    format!("name=\"{name}\" type=\"text\" value=\"{value}\"")
}

async fn drafts_are_saved_reopened_lodged_and_kept_to_their_party(app: TestApp) {
    let trader = page_login(&app, "trader1").await;
    let (status, html) = get(&app, &trader, "/trader/declarations/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Save as draft"));
    let csrf = hidden(&html, "_csrf");
    let (status, html) = get(&app, &trader, "/trader").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/trader/drafts\""),
        "linked from the dashboard"
    );
    let (_, html) = get(&app, &trader, "/trader/drafts").await;
    assert!(html.contains("No drafts."));

    // Saved with a mistake: not checked, kept as typed.
    let mut doc = app.body(0);
    let lrn = doc["lrn"].as_str().unwrap().to_owned();
    let good_code = doc["items"][0]["hsCode"].as_str().unwrap().to_owned();
    doc["items"][0]["hsCode"] = "12AB".into();
    let r = post(
        &app,
        &trader,
        "/trader/declarations/new",
        &form_of(&doc, &csrf, "save"),
    )
    .await;
    let first = saved_to(&r);
    assert_eq!(app.count().await, 0, "saving lodges nothing");

    let (status, html) = get(&app, &trader, "/trader/drafts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"{first}\"")));
    assert!(html.contains(&lrn));

    // Reopened, on another instance as well, with what was typed.
    let other = app.another_instance().await;
    for base in [app.base.as_str(), other.as_str()] {
        let (status, html) = get_at(base, &trader, &first).await;
        assert_eq!(status, StatusCode::OK, "{base}");
        assert!(html.contains(&field("/items/0/hsCode", "12AB")), "{base}");
        assert!(html.contains(&field("/lrn", &lrn)));
        assert!(html.contains(&format!("action=\"{first}\"")));
        assert!(html.contains(&format!("action=\"{first}/deletion\"")));
        assert!(!html.contains("aria-invalid=\"true\""), "not checked");
    }

    // Saved again, fixed.
    doc["items"][0]["hsCode"] = good_code.clone().into();
    let r = post(&app, &trader, &first, &form_of(&doc, &csrf, "save")).await;
    assert_eq!(saved_to(&r), first);
    let (_, html) = get(&app, &trader, &first).await;
    assert!(html.contains(&field("/items/0/hsCode", &good_code)));

    // Another draft, untitled, listed first (last saved first).
    let untitled = vec![
        ("_csrf".to_owned(), csrf.clone()),
        ("items".to_owned(), "1".to_owned()),
        ("_action".to_owned(), "save".to_owned()),
        ("/invoice/amount".to_owned(), "a lot".to_owned()),
    ];
    let second = saved_to(&post(&app, &trader, "/trader/declarations/new", &untitled).await);
    assert_ne!(second, first);
    let (_, html) = get(&app, &trader, "/trader/drafts").await;
    let (at_first, at_second) = (
        html.find(&format!("href=\"{first}\"")).unwrap(),
        html.find(&format!("href=\"{second}\"")).unwrap(),
    );
    assert!(at_second < at_first, "last saved first");
    assert!(html.contains("untitled"));

    // Another party, a broker of another party: not found; a customs
    // user: refused. Nothing they send changes the draft.
    let trader2 = page_login(&app, "trader2").await;
    let (_, html2) = get(&app, &trader2, "/trader/declarations/new").await;
    let csrf2 = hidden(&html2, "_csrf");
    let (status, html) = get(&app, &trader2, "/trader/drafts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&first) && !html.contains(&lrn));
    let broker = page_login(&app, "broker1").await;
    let (_, htmlb) = get(&app, &broker, "/trader/declarations/new").await;
    let csrfb = hidden(&htmlb, "_csrf");
    let mut tampered = doc.clone();
    tampered["lrn"] = "TAMPERED".into();
    for (who, session, token) in [("trader2", &trader2, &csrf2), ("broker1", &broker, &csrfb)] {
        let (status, _) = get(&app, session, &first).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} GET");
        let r = post(&app, session, &first, &form_of(&tampered, token, "save")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} save");
        let r = post(&app, session, &first, &form_of(&tampered, token, "check")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} check");
        let r = post(
            &app,
            session,
            &format!("{first}/deletion"),
            &[("_csrf".to_owned(), token.clone())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} deletion");
    }
    let officer = page_login(&app, "officer").await;
    for path in ["/trader/drafts", first.as_str()] {
        let (status, _) = get(&app, &officer, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/trader/drafts/x",
        "/trader/drafts/0",
        "/trader/drafts/999999",
    ] {
        let (status, _) = get(&app, &trader, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // Without the CSRF token: refused, nothing changed.
    let bad = without_csrf(&form_of(&tampered, &csrf, "save"));
    for path in [
        "/trader/declarations/new".to_owned(),
        first.clone(),
        format!("{first}/deletion"),
    ] {
        let r = post(&app, &trader, &path, &bad).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (status, html) = get(&app, &trader, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&field("/lrn", &lrn)) && !html.contains("TAMPERED"));
    let (_, html) = get(&app, &trader, "/trader/drafts").await;
    assert_eq!(html.matches("href=\"/trader/drafts/").count(), 2);

    // Lodged from the draft: checked, signed, lodged, and the draft gone.
    let r = post(&app, &trader, &first, &form_of(&doc, &csrf, "check")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let id = first.rsplit('/').next().unwrap().to_owned();
    assert!(html.contains(&format!("name=\"draft\" value=\"{id}\"")));
    let body = signed_body(&html);
    let key = demo_signing_key(&app.trader(0).id);
    let signed = vec![
        ("_csrf".to_owned(), csrf.clone()),
        ("draft".to_owned(), id),
        ("body".to_owned(), body.clone()),
        (
            "signature".to_owned(),
            signature::sign(&key, body.as_bytes()),
        ),
        ("keyId".to_owned(), String::new()),
    ];
    let r = post(&app, &trader, "/trader/declarations", &signed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/trader/declarations/"), "{to}");
    assert_eq!(app.count().await, 1);
    let (status, _) = get(&app, &trader, &first).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "lodged: the draft is gone");

    // Deleted.
    let r = post(
        &app,
        &trader,
        &format!("{second}/deletion"),
        &[("_csrf".to_owned(), csrf.clone())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/trader/drafts");
    let (status, _) = get(&app, &trader, &second).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = get(&app, &trader, "/trader/drafts").await;
    assert!(html.contains("No drafts."));

    // 21 drafts: 20 on the first page, the last one on the second.
    let eori = tamga_core::codes::Eori::parse(&app.trader(0).id).unwrap();
    let t0 = time::OffsetDateTime::now_utc();
    for i in 0..21 {
        app.store
            .create_draft(
                &eori,
                "trader1",
                &format!("PAGED-{i:02}"),
                "{}",
                t0 + time::Duration::seconds(i),
                200,
            )
            .await
            .unwrap()
            .expect("under the limit");
    }
    let (_, html) = get(&app, &trader, "/trader/drafts").await;
    assert_eq!(html.matches("PAGED-").count(), 20);
    assert!(html.contains("PAGED-20") && !html.contains("PAGED-00"));
    assert!(html.contains("href=\"/trader/drafts?page=2\" rel=\"next\""));
    assert!(html.contains("(1–20 of 21)"));
    let (_, html) = get(&app, &trader, "/trader/drafts?page=2").await;
    assert_eq!(html.matches("PAGED-").count(), 1);
    assert!(html.contains("PAGED-00"));
    assert!(html.contains("href=\"/trader/drafts?page=1\" rel=\"prev\""));
    assert!(!html.contains("rel=\"next\""));

    // The party's 200th draft is its last: saving one more is the form
    // again, what was typed kept, with the limit's code and text.
    for i in 21..200 {
        app.store
            .create_draft(&eori, "trader1", "FILL", "{}", t0, 200)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("draft {i} refused"));
    }
    let r = post(
        &app,
        &trader,
        "/trader/declarations/new",
        &form_of(&doc, &csrf, "save"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("DRAFTS_LIMIT") && html.contains("already keeps 200 drafts"));
    assert!(html.contains(&field("/items/0/hsCode", &good_code)));
    assert_eq!(app.store.count_drafts(&eori).await.unwrap(), 200);
    // Another party is not limited by this one's drafts.
    let r = post(
        &app,
        &trader2,
        "/trader/declarations/new",
        &form_of(&doc, &csrf2, "save"),
    )
    .await;
    saved_to(&r);
}
