//! Accessibility of the portal in a real browser (issue 16): axe-core
//! (WCAG 2.1 A and AA rules) over the public pages (the HS assistant's
//! with candidates and with an error) and the main pages of every role,
//! the lodging form with its errors shown among them; no
//! serious or critical violation may be left. One Chromium session logs
//! each person in turn. With `TAMGA_SCREENSHOTS` set it also saves the
//! trader's dashboard and the lodging form with errors for the README.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;

use crate::appeals::refused;
use crate::browser_support::{axe, click, login, logout, run_story, screenshot, wd, Checked};
use crate::common::{lifecycle_cigarettes, TestApp};

stories!(every_roles_main_pages_pass_axe);

/// What a page needs before axe runs on it.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    /// Nothing: the page as it opens.
    Open,
    /// The form checked as it is (empty), so its errors are shown.
    Check,
}

/// A page to check: its path (`{mrn}` is a declaration of demo trader 0
/// under control), what to do first, and the screenshot to save, if any.
type Page = (&'static str, Then, &'static str);

/// The pages to check by person (`""`: nobody logged in).
const PAGES: &[(&str, &[Page])] = &[
    (
        "",
        &[
            ("/", Then::Open, ""),
            ("/calculator", Then::Open, ""),
            ("/tariff", Then::Open, ""),
            ("/hs", Then::Open, ""),
            ("/hs?q=frozen+shrimp", Then::Open, ""),
            ("/hs?q=", Then::Open, ""),
            ("/offices", Then::Open, ""),
            ("/status", Then::Open, ""),
            ("/login", Then::Open, ""),
        ],
    ),
    (
        "trader1",
        &[
            ("/trader", Then::Open, "trader-dashboard"),
            (
                "/trader/declarations/new",
                Then::Check,
                "trader-form-errors",
            ),
            ("/trader/declarations/{mrn}", Then::Open, ""),
            ("/trader/account", Then::Open, ""),
            ("/appeals", Then::Open, ""),
        ],
    ),
    (
        "officer",
        &[
            ("/officer", Then::Open, ""),
            ("/officer/declarations/{mrn}", Then::Open, ""),
        ],
    ),
    ("inspector", &[("/officer", Then::Open, "")]),
    ("broker1", &[("/trader", Then::Open, "")]),
    ("analyst", &[("/analyst", Then::Open, "")]),
    (
        "admin",
        &[
            ("/admin", Then::Open, ""),
            ("/admin/operators", Then::Open, ""),
        ],
    ),
    ("manager", &[("/manager", Then::Open, "")]),
    ("appeals", &[("/appeals", Then::Open, "")]),
];

/// Opens each page of `user` and gathers what axe finds, page by page.
async fn check_pages(
    c: &Client,
    base: &str,
    mrn: &str,
    pages: &[Page],
    found: &mut Vec<String>,
) -> Checked {
    for (path, then, shot) in pages {
        let path = path.replace("{mrn}", mrn);
        wd(c.goto(&format!("{base}{path}")).await, &path)?;
        let url = wd(c.current_url().await, "url")?;
        let route = path.split('?').next().unwrap_or_default();
        check!(url.path() == route, "{path}: sent to {url}");
        if *then == Then::Check {
            click(c, "#check").await?;
            wd(
                c.wait().for_element(Locator::Css(".error-summary")).await,
                "the form's errors",
            )?;
        }
        let h1 = wd(
            c.find(Locator::Css("h1")).await,
            &format!("{path}: a heading"),
        )?;
        let h1 = wd(h1.text().await, "h1")?;
        check!(!h1.is_empty(), "{path}: an empty heading");
        for v in axe(c).await? {
            found.push(format!("{path}: {v}"));
        }
        if !shot.is_empty() {
            screenshot(c, shot).await?;
        }
    }
    Ok(())
}

async fn every_roles_main_pages_pass_axe(app: TestApp) {
    // Trader 0's declarations: released, refused, under control.
    let (s, v) = app.lodge(0, &app.body(0)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["state"], "released", "{v}");
    let officer = app.officer("officer");
    refused(&app, 0, &officer).await;
    let (s, v) = app.lodge(0, &lifecycle_cigarettes(&app.body(0))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let mrn = v["mrn"].as_str().unwrap().to_owned();
    // The HS assistant's page with candidates.
    crate::common::hs_ready(&app).await;
    let base = app.base.clone();
    run_story("accessibility", |c| async move {
        let r = async {
            let mut found = Vec::new();
            for (user, pages) in PAGES {
                if !user.is_empty() {
                    login(&c, &base, user).await?;
                }
                check_pages(&c, &base, &mrn, pages, &mut found).await?;
                if !user.is_empty() {
                    logout(&c).await?;
                }
            }
            check!(
                found.is_empty(),
                "serious or critical accessibility violations:\n{}",
                found.join("\n")
            );
            Ok(())
        }
        .await;
        (c, r)
    })
    .await;
}
