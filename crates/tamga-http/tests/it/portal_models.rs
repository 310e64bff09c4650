//! The learning risk model's page (issue 17) over HTTP, without a
//! browser: `/analyst/models` opens to risk analysts, administrators and
//! (without its forms) managers, and to nobody else; its forms need their
//! CSRF token; a refused act shows the page again with the service's code
//! and its message in the page's language (English and Russian); an
//! analyst trains a model from recorded inspection results, activates it,
//! deactivates it and rolls back to it in pages, each act the API's.

use reqwest::StatusCode;
use serde_json::json;

use tamga_portal::i18n::untranslated;

use crate::common::model::{inspected, labels, setup};
use crate::common::TestApp;
use crate::portal_login::{hidden, page_get as get, page_login, page_post as post};

stories!(
    the_model_page_keeps_to_its_readers_tokens_and_refusals,
    an_analyst_trains_activates_and_rolls_back_in_pages,
);

const PAGE: &str = "/analyst/models";

/// Asserts a Russian page leaves nothing of the portal in English.
fn all_russian(html: &str) {
    assert!(html.contains("lang=\"ru\""), "a Russian page");
    let left = untranslated("ru", html);
    assert!(left.is_empty(), "untranslated: {left:?}");
}

/// The models registered, as the API lists them.
async fn registered(app: &TestApp) -> serde_json::Value {
    let (s, v) = app
        .get("/api/v1/risk/models", &app.user_token("analyst"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn the_model_page_keeps_to_its_readers_tokens_and_refusals(app: TestApp) {
    // Operators and the other customs roles are refused before reading.
    for user in ["trader1", "broker1", "officer", "inspector", "bank"] {
        let s = page_login(&app, user).await;
        let (status, html) = get(&app, &s, PAGE).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        assert!(html.contains("<html"), "{user}: an HTML page");
        assert!(!html.contains("id=\"live\""), "{user}");
    }
    // Managers read it without its forms.
    let manager = page_login(&app, "manager").await;
    let (status, html) = get(&app, &manager, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"live\"") && !html.contains("id=\"train-form\""));
    let analyst = page_login(&app, "analyst").await;
    let (_, home) = get(&app, &analyst, "/analyst").await;
    assert!(home.contains("href=\"/analyst/models\""), "linked");
    let (status, html) = get(&app, &analyst, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"models-none\""), "nothing registered");
    assert!(html.contains("none: lodging uses the rules alone"));
    assert!(html.contains("id=\"train-form\"") && html.contains("id=\"schedule-form\""));
    assert!(html.contains("id=\"drift-ok\""), "no drift without scores");
    let csrf = hidden(&html, "_csrf");
    // A manager's session with its own token is still not an analyst's.
    let (_, mhtml) = get(&app, &manager, "/me").await;
    let mcsrf = hidden(&mhtml, "_csrf");
    let (status, _, _) = post(&app, &manager, PAGE, &[("_csrf", &mcsrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without the token (or with a forged one) nothing is done.
    for form in [vec![("latestDays", "7")], vec![("_csrf", "forged")]] {
        let (status, _, _) = post(&app, &analyst, PAGE, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form:?}");
    }
    for path in [
        "/analyst/models/rollback",
        "/analyst/models/deactivation",
        "/analyst/models/schedule",
        "/analyst/models/1/activation",
    ] {
        let (status, _, _) = post(&app, &analyst, path, &[("reason", "no token")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(registered(&app).await["history"], json!([]));

    // Training without labels is refused in the page's language.
    let (status, _, html) = post(&app, &analyst, PAGE, &[("_csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("NOT_ENOUGH_LABELS"), "the code");
    assert!(html.contains("Too few inspected declarations"), "{html}");
    let (status, _, ru) = post(
        &app,
        &analyst,
        &format!("{PAGE}?lang=ru"),
        &[("_csrf", &csrf), ("latestDays", "14")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(ru.contains("NOT_ENOUGH_LABELS"));
    assert!(ru.contains("Слишком мало досмотренных деклараций"), "{ru}");
    assert!(ru.contains("value=\"14\""), "what was typed is kept");
    all_russian(&ru);
    // A number that is none.
    let (status, _, html) = post(
        &app,
        &analyst,
        PAGE,
        &[("_csrf", &csrf), ("latestDays", "two weeks")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("TRAIN_OPTIONS") && html.contains("value=\"two weeks\""));
    let (status, _, html) = post(
        &app,
        &analyst,
        PAGE,
        &[("_csrf", &csrf), ("latestDays", "400")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("TRAIN_OPTIONS"));

    // Nothing to roll back; a reason too short to deactivate.
    let (status, _, html) = post(
        &app,
        &analyst,
        "/analyst/models/rollback",
        &[("_csrf", &csrf), ("reason", "undo it")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("NOTHING_TO_ROLL_BACK"));
    assert!(html.contains("There is no earlier model to go back to."));
    let (status, _, ru) = post(
        &app,
        &analyst,
        "/analyst/models/rollback?lang=ru",
        &[("_csrf", &csrf), ("reason", "undo it")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(ru.contains("Нет более ранней модели"));
    all_russian(&ru);
    let (status, _, html) = post(
        &app,
        &analyst,
        "/analyst/models/deactivation",
        &[("_csrf", &csrf), ("reason", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("REASON") && html.contains("Give a reason of 3 to 500 characters."));
    let (status, _, ru) = post(
        &app,
        &analyst,
        "/analyst/models/deactivation?lang=ru",
        &[("_csrf", &csrf), ("reason", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(ru.contains("Укажите причину длиной от 3 до 500 символов."));
    all_russian(&ru);
    // Unknown and malformed versions are the 404 page.
    for path in [
        "/analyst/models/999/validation",
        "/analyst/models/abc/validation",
        "/analyst/models/0/activation",
    ] {
        let (status, _, html) = post(
            &app,
            &analyst,
            path,
            &[("_csrf", &csrf), ("reason", "a reason")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("<html"));
    }
    assert_eq!(registered(&app).await["history"], json!([]));

    // The schedule: checked, saved, shown and the API's.
    let (status, _, html) = post(
        &app,
        &analyst,
        "/analyst/models/schedule",
        &[
            ("_csrf", &csrf),
            ("retrainEveryDays", "0"),
            ("latestDays", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("SCHEDULE"));
    let (status, to, _) = post(
        &app,
        &analyst,
        "/analyst/models/schedule",
        &[
            ("_csrf", &csrf),
            ("retrainEveryDays", "7"),
            ("latestDays", "14"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/analyst/models?done=schedule");
    let (_, html) = get(&app, &analyst, &to).await;
    assert!(html.contains("The schedule is saved."));
    assert!(html.contains("every 7 days, the latest 14 days held out"));
    let (s, v) = app
        .get("/api/v1/risk/model-schedule", &app.user_token("analyst"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v, json!({"retrainEveryDays": 7, "latestDays": 14}));
    let (_, ru) = get(&app, &analyst, &format!("{PAGE}?lang=ru")).await;
    assert!(ru.contains("раз в 7 дн."));
    all_russian(&ru);
}

async fn an_analyst_trains_activates_and_rolls_back_in_pages(app: TestApp) {
    setup(&app).await;
    // Trader 3 cheats every time, the others never.
    for k in 0..40 {
        let i = [1, 2, 3, 4][k % 4];
        inspected(&app, i, i == 3).await;
    }
    labels(&app, 40).await;
    let analyst = page_login(&app, "analyst").await;
    let (_, html) = get(&app, &analyst, PAGE).await;
    let csrf = hidden(&html, "_csrf");
    let (status, to, _) = post(
        &app,
        &analyst,
        PAGE,
        &[("_csrf", &csrf), ("latestDays", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let models = registered(&app).await;
    let v = models["models"][0]["version"].as_i64().unwrap();
    assert_eq!(to, format!("/analyst/models?done=trained&version={v}"));
    assert_eq!(models["models"][0]["createdBy"], "user:analyst");
    let (status, html) = get(&app, &analyst, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("Model {v} is trained and registered")));
    assert!(html.contains(&format!("<tr id=\"model-{v}\">")), "listed");
    assert!(html.contains("trained here"), "its source");
    // Validated on the held-out period against no live model: better.
    assert!(html.contains("class=\"status-ok\">yes<"), "better");
    assert!(
        !html.contains(&format!("/analyst/models/{v}/validation")),
        "no validate form for a validated model"
    );
    // Validation is written once.
    let (status, _, html) = post(
        &app,
        &analyst,
        &format!("/analyst/models/{v}/validation"),
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("ALREADY_VALIDATED") && html.contains("This model is already validated.")
    );
    // Activation needs a reason, then the model is live.
    let activation = format!("/analyst/models/{v}/activation");
    let (status, _, html) = post(
        &app,
        &analyst,
        &activation,
        &[("_csrf", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("REASON"));
    let (status, to, _) = post(
        &app,
        &analyst,
        &activation,
        &[("_csrf", &csrf), ("reason", "the first model")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/analyst/models?done=activated");
    assert_eq!(registered(&app).await["active"], v);
    let (_, html) = get(&app, &analyst, &to).await;
    assert!(html.contains(&format!("version {v}")) && html.contains("The model is live."));
    assert!(html.contains("the first model"), "the history's reason");
    assert!(html.contains("id=\"deactivate-form\""));
    let (_, ru) = get(&app, &analyst, &format!("{PAGE}?lang=ru")).await;
    assert!(ru.contains(&format!("версия {v}")) && ru.contains("обучена здесь"));
    all_russian(&ru);
    // Deactivated: the rules alone; rolled back: the model again.
    let (status, to, _) = post(
        &app,
        &analyst,
        "/analyst/models/deactivation",
        &[("_csrf", &csrf), ("reason", "a pause")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/analyst/models?done=deactivated");
    assert_eq!(registered(&app).await["active"], json!(null));
    let (_, html) = get(&app, &analyst, &to).await;
    assert!(html.contains("none: lodging uses the rules alone"));
    let (status, to, _) = post(
        &app,
        &analyst,
        "/analyst/models/rollback",
        &[("_csrf", &csrf), ("reason", "back to the model")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(to, "/analyst/models?done=rolled-back");
    let after = registered(&app).await;
    assert_eq!(after["active"], v);
    let actions: Vec<_> = after["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["rollback", "deactivate", "activate"]);
    let (_, html) = get(&app, &analyst, &to).await;
    assert!(html.contains("The previous model is live again."));
    assert_eq!(html.matches("<td>rolled back</td>").count(), 1);
    // Managers read it all, without the forms.
    let manager = page_login(&app, "manager").await;
    let (status, html) = get(&app, &manager, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<tr id=\"model-{v}\">")));
    assert!(!html.contains("id=\"rollback-form\"") && !html.contains(&activation));
}
