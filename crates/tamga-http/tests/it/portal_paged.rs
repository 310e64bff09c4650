//! The trader's pages that read large periods a page at a time (issue 16,
//! the portal's figures): the dashboard's counts by state, balance and
//! unread notifications (marked as read by a form with its CSRF token,
//! refused to others), and the account page's statement in pages with
//! links to the older and newer movements (a cursor that names no
//! movement of the account is refused).

use reqwest::StatusCode;

use crate::common::TestApp;
use crate::portal_login::{hidden, page_get, page_login, page_post};

stories!(
    the_dashboard_counts_and_shows_balance_and_unread_notes,
    the_statement_comes_a_page_at_a_time,
);

/// Lodges `n` valid declarations of demo trader `i` through the API.
async fn lodge_many(app: &TestApp, i: usize, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let (status, v) = app.lodge(i, &app.body(i)).await;
        assert!(status.is_success(), "{status} {v}");
        out.push(v["mrn"].as_str().unwrap().to_owned());
    }
    out
}

/// The number shown in the dashboard's row of `label`.
fn count_of(html: &str, label: &str) -> i64 {
    let pat = format!(">{label}</a></th><td class=\"num\">");
    let at = html.find(&pat).unwrap_or_else(|| panic!("no row {label}"));
    let rest = &html[at + pat.len()..];
    rest[..rest.find('<').unwrap()].parse().unwrap()
}

async fn the_dashboard_counts_and_shows_balance_and_unread_notes(app: TestApp) {
    let mine = lodge_many(&app, 0, 3).await;
    let theirs = lodge_many(&app, 1, 1).await;
    let token = app.trader(0).token.clone();
    let trader = page_login(&app, "trader1").await;

    let (status, html) = page_get(&app, &trader, "/trader").await;
    assert_eq!(status, StatusCode::OK);
    // Counts by state: what the API lists for the operator, per state.
    for (state, label) in [
        ("registered", "Registered"),
        ("under_control", "Under control"),
        ("awaiting_payment", "Awaiting payment"),
        ("released", "Released"),
    ] {
        let (_, v) = app
            .get(
                &format!("/api/v1/declarations?state={state}&limit=500"),
                &token,
            )
            .await;
        let listed = v["declarations"]
            .as_array()
            .or(v.as_array())
            .map_or(0, |a| a.len()) as i64;
        assert_eq!(count_of(&html, label), listed, "{state}: {v}");
    }
    // The balance, as the API gives it, linked to the account.
    let api: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/account/ledger", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cash = api["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "cash")
        .unwrap();
    let shown = tamga_portal::Tr::new("en").number(cash["available"].as_str().unwrap());
    assert!(
        html.contains("Account balance") && html.contains(&shown),
        "{shown}"
    );
    assert!(html.contains("href=\"/trader/account\""));
    // Unread notifications: counted, the newest linked to their
    // declarations; another trader's never.
    assert!(html.contains("Unread notifications"));
    assert!(html.contains(" unread</p>"), "the count");
    assert!(html.contains(&format!("href=\"/trader/declarations/{}\"", mine[2])));
    assert!(!html.contains(&theirs[0]));

    // Marking as read needs the session's token, and an operator.
    let up_to = hidden(&html, "upTo");
    let (status, _, _) = page_post(
        &app,
        &trader,
        "/trader/notifications/read",
        &[("upTo", &up_to)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let officer = page_login(&app, "officer").await;
    let (_, officer_page) = page_get(&app, &officer, "/me/keys").await;
    let officer_csrf = hidden(&officer_page, "_csrf");
    let (status, _, _) = page_post(
        &app,
        &officer,
        "/trader/notifications/read",
        &[("_csrf", &officer_csrf), ("upTo", "999999")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not an operator");
    let (_, html_again) = page_get(&app, &trader, "/trader").await;
    assert!(html_again.contains(" unread</p>"), "still unread");

    let csrf = hidden(&html, "_csrf");
    let (status, location, _) = page_post(
        &app,
        &trader,
        "/trader/notifications/read",
        &[("_csrf", &csrf), ("upTo", &up_to)],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/trader")
    );
    let (_, html) = page_get(&app, &trader, "/trader").await;
    assert!(html.contains("No unread notifications."), "marked as read");
    // Reading through the API marks nothing, and a new notification is
    // unread again.
    let (status, _) = app.get("/api/v1/notifications?after=0", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = page_get(&app, &trader, "/trader").await;
    assert!(html.contains("No unread notifications."));
    let newer = lodge_many(&app, 0, 1).await;
    let (_, html) = page_get(&app, &trader, "/trader").await;
    assert!(html.contains(&format!("href=\"/trader/declarations/{}\"", newer[0])));
    let (status, _, _) = page_post(
        &app,
        &trader,
        "/trader/notifications/read",
        &[("_csrf", &csrf), ("upTo", "not a number")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // In Russian.
    let (_, html) = page_get(&app, &trader, "/trader?lang=ru").await;
    assert!(html.contains("Остаток на счёте") && html.contains("Непрочитанные уведомления"));
}

async fn the_statement_comes_a_page_at_a_time(app: TestApp) {
    // Enough movements for more than one page of the account page (50).
    lodge_many(&app, 0, 30).await;
    let eori = app.trader(0).id.clone();
    let trader = page_login(&app, "trader1").await;
    let (status, html) = page_get(&app, &trader, "/trader/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(" movements in this period."));
    assert_eq!(
        html.matches("<tr><td>").count(),
        50,
        "one page of movements"
    );
    assert!(!html.contains("Newer movements"));
    let at = html
        .find("Older movements")
        .expect("a link to the older ones");
    let href_at = html[..at].rfind("href=\"").unwrap() + 6;
    let older = html[href_at..at]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(older.starts_with("/trader/account?from="), "{older}");
    let (status, page2) = page_get(&app, &trader, &older).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page2.contains("Newer movements"));
    // The oldest movement of the period, the opening deposit, is on a
    // later page than the first, and the first page's rows are not here.
    let mut page = page2.clone();
    let mut hops = 0;
    while !page.contains(&format!("DEMO-OPENING-{eori}")) {
        let at = page
            .find("Older movements")
            .expect("older pages until the first");
        let href_at = page[..at].rfind("href=\"").unwrap() + 6;
        let next = page[href_at..at]
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        page = page_get(&app, &trader, &next).await.1;
        hops += 1;
        assert!(hops < 10);
    }
    assert!(!html.contains(&format!("DEMO-OPENING-{eori}")));

    // The printable statement starts with the oldest movement.
    let (status, print) = page_get(&app, &trader, "/trader/account/statement").await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains(&format!("DEMO-OPENING-{eori}")));
    assert!(print.contains(" movements in this period."));
    assert!(print.len() < 100_000, "{} bytes", print.len());

    // Cursors that name no movement of this account.
    for q in ["before=abc", "after=999999999", "before=-1"] {
        let (status, html) = page_get(&app, &trader, &format!("/trader/account?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert!(html.contains("QUERY_CURSOR"), "{q}");
    }
    let (status, _) = page_get(&app, &trader, "/trader/account/statement?after=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Asked for by a client that is no browser, the error is the API's.
    let r = app
        .http
        .get(format!("{}/trader/account/statement?before=x", app.base))
        .header("cookie", &trader)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("QUERY_CURSOR"));
    // Another trader's movement is no movement of this account.
    let broker = page_login(&app, "broker1").await;
    let theirs = older.split("before=").nth(1).unwrap().to_owned();
    let (status, _) = page_get(&app, &broker, &format!("/trader/account?before={theirs}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
