//! Logins, sessions, the second factor and passwords over HTTP (issue 15),
//! on SQLite and (when `TAMGA_TEST_PG_URL` is set) PostgreSQL. Users are
//! created through the store with a password; the cookie is handled by
//! hand, so each test sees exactly which id is sent.

use reqwest::header::{HeaderMap, COOKIE, RETRY_AFTER, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use tamga_app::identity::{password, totp};
use tamga_core::codes::{Eori, OfficeCode};
use tamga_store::{IdentityAudit, PasswordChange, Role, User};

use crate::common::TestApp;

stories!(
    login_answers_the_same_for_a_wrong_password_and_an_unknown_user,
    five_failures_lock_the_user_even_with_the_right_password,
    a_login_issues_a_fresh_id_and_ignores_one_sent_before,
    logout_kills_the_session,
    a_state_change_without_the_csrf_token_is_refused,
    totp_enrolment_then_login_with_a_code_used_once,
    guessing_totp_codes_locks_the_second_factor,
    a_required_password_change_comes_first,
    the_password_policy_and_history_hold,
    resets_stay_within_the_administrators_scope,
    a_deactivated_users_session_stops_working,
    an_operators_user_acts_as_its_operator,
    a_session_mints_a_token_and_a_token_does_not,
);

const PASSWORD: &str = "violet-tram-ninety-oak";
const OTHER_OFFICE: &str = "UZ000200";

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A user with `roles`, `offices` and the password [`PASSWORD`].
async fn person(
    app: &TestApp,
    username: &str,
    roles: &[Role],
    offices: &[&str],
    operator: Option<&str>,
) {
    let user = User {
        username: username.into(),
        name: format!("Person {username}"),
        roles: roles.to_vec(),
        operator: operator.map(|o| Eori::parse(o).unwrap()),
        offices: offices
            .iter()
            .map(|o| OfficeCode::parse(o).unwrap())
            .collect(),
        active: true,
        created_at: now(),
    };
    app.store.create_user(&user).await.unwrap();
    let hash = password::hash(PASSWORD);
    app.store
        .set_password(&PasswordChange {
            username,
            hash: &hash,
            must_change: false,
            keep_session: None,
            at: now(),
            audit: &IdentityAudit {
                actor: "test".into(),
                action: "user.password_set".into(),
                payload: json!({}),
            },
        })
        .await
        .unwrap();
}

/// A browser: the session id (cookie) and the CSRF token it holds.
#[derive(Clone, Debug)]
struct Browser {
    id: String,
    csrf: String,
}

struct Answer {
    status: StatusCode,
    body: Value,
    headers: HeaderMap,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// The session id a `Set-Cookie` issues, if any.
    fn cookie(&self) -> Option<String> {
        let v = self.headers.get(SET_COOKIE)?.to_str().ok()?;
        let id = v.strip_prefix("tamga_session=")?.split(';').next()?;
        (!id.is_empty()).then(|| id.to_owned())
    }
    fn browser(&self) -> Browser {
        Browser {
            id: self.cookie().expect("a session cookie"),
            csrf: self.body["csrfToken"]
                .as_str()
                .expect("a CSRF token")
                .to_owned(),
        }
    }
}

/// A request with the browser's cookie, and its CSRF token if `csrf`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    browser: Option<&Browser>,
    csrf: bool,
    body: Option<Value>,
) -> Answer {
    let mut req = app.http.request(method, format!("{}{path}", app.base));
    if let Some(b) = browser {
        req = req.header(COOKIE, format!("tamga_session={}", b.id));
        if csrf {
            req = req.header("X-CSRF-Token", &b.csrf);
        }
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        body,
        headers,
    }
}

async fn login(app: &TestApp, username: &str, pw: &str) -> Answer {
    send(
        app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        false,
        Some(json!({"username": username, "password": pw})),
    )
    .await
}

async fn logged_in(app: &TestApp, username: &str) -> Browser {
    let a = login(app, username, PASSWORD).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.browser()
}

async fn whoami(app: &TestApp, b: &Browser) -> Answer {
    send(app, Method::GET, "/api/v1/account", Some(b), false, None).await
}

async fn login_answers_the_same_for_a_wrong_password_and_an_unknown_user(app: TestApp) {
    person(&app, "ana", &[Role::Officer], &["UZ000100"], None).await;
    let wrong = login(&app, "ana", "not-her-password-at-all").await;
    let unknown = login(&app, "nobody-here", "not-her-password-at-all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body, "the same answer");
    assert_eq!(wrong.code(), "LOGIN_FAILED");
    assert!(wrong.cookie().is_none() && unknown.cookie().is_none());

    let ok = login(&app, "ana", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["stage"], "full");
    assert_eq!(ok.body["username"], "ana");
    let cookie = ok.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "served over plain HTTP here: {cookie}"
    );
    let b = ok.browser();
    let me = whoami(&app, &b).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["id"], "ana");
    let s = send(
        &app,
        Method::GET,
        "/api/v1/auth/session",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body["csrfToken"], b.csrf.as_str());
    // A malformed body is 400, not a login attempt.
    let bad = send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        false,
        Some(json!({"username": "ana"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
}

async fn five_failures_lock_the_user_even_with_the_right_password(app: TestApp) {
    person(&app, "bob", &[Role::Officer], &["UZ000100"], None).await;
    for i in 0..5 {
        let a = login(&app, "bob", &format!("wrong-guess-number-{i}")).await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "attempt {i}: {}",
            a.body
        );
    }
    let locked = login(&app, "bob", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert_eq!(locked.code(), "LOGIN_THROTTLED");
    let retry: u64 = locked
        .headers
        .get(RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(locked.cookie().is_none());
    // An unknown username is locked the same way (nothing tells it apart).
    for _ in 0..5 {
        login(&app, "ghost", "wrong-guess").await;
    }
    assert_eq!(
        login(&app, "ghost", "wrong-guess").await.code(),
        "LOGIN_THROTTLED"
    );
    // Another user is not affected.
    person(&app, "bea", &[Role::Officer], &["UZ000100"], None).await;
    assert_eq!(login(&app, "bea", PASSWORD).await.status, StatusCode::OK);
    // An administrator's reset lifts the lock.
    let admin = app.user_token("admin");
    let r = app
        .http
        .post(format!(
            "{}/api/v1/admin/users/bob/password-reset",
            app.base
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let one_time = v["oneTimePassword"].as_str().unwrap();
    assert_eq!(login(&app, "bob", one_time).await.status, StatusCode::OK);
}

async fn a_login_issues_a_fresh_id_and_ignores_one_sent_before(app: TestApp) {
    person(&app, "cem", &[Role::Officer], &["UZ000100"], None).await;
    // An attacker plants an id; the login never takes it over.
    let planted = Browser {
        id: "planted-by-an-attacker-0123456789".into(),
        csrf: "x".into(),
    };
    let a = send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some(&planted),
        true,
        Some(json!({"username": "cem", "password": PASSWORD})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let b = a.browser();
    assert_ne!(b.id, planted.id);
    assert!(b.id.len() >= 43, "32 random bytes: {}", b.id);
    assert_eq!(
        whoami(&app, &planted).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(whoami(&app, &b).await.status, StatusCode::OK);
    // A second login is another session.
    let b2 = logged_in(&app, "cem").await;
    assert_ne!(b2.id, b.id);
    assert_ne!(b2.csrf, b.csrf);
}

async fn logout_kills_the_session(app: TestApp) {
    person(&app, "dan", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "dan").await;
    let other = logged_in(&app, "dan").await;
    // Logging out needs the CSRF token too.
    let refused = send(
        &app,
        Method::POST,
        "/api/v1/auth/logout",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "CSRF")
    );
    let out = send(
        &app,
        Method::POST,
        "/api/v1/auth/logout",
        Some(&b),
        true,
        None,
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        cleared.starts_with("tamga_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(whoami(&app, &b).await.status, StatusCode::UNAUTHORIZED);
    let s = send(
        &app,
        Method::GET,
        "/api/v1/auth/session",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(s.status, StatusCode::UNAUTHORIZED);
    // The user's other session lives on.
    assert_eq!(whoami(&app, &other).await.status, StatusCode::OK);
    // Logging out again (or without a session) only clears the cookie.
    let again = send(
        &app,
        Method::POST,
        "/api/v1/auth/logout",
        Some(&b),
        true,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

async fn a_state_change_without_the_csrf_token_is_refused(app: TestApp) {
    person(&app, "eda", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "eda").await;
    let body = json!({"current": PASSWORD, "new": "copper-lantern-seventy-fjord"});
    let none = send(
        &app,
        Method::POST,
        "/api/v1/account/password",
        Some(&b),
        false,
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (none.status, none.code()),
        (StatusCode::FORBIDDEN, "CSRF"),
        "{}",
        none.body
    );
    let forged = Browser {
        id: b.id.clone(),
        csrf: format!("{}x", &b.csrf[..b.csrf.len() - 1]),
    };
    let wrong = send(
        &app,
        Method::POST,
        "/api/v1/account/password",
        Some(&forged),
        true,
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::FORBIDDEN, "CSRF")
    );
    // The password did not change.
    assert_eq!(login(&app, "eda", PASSWORD).await.status, StatusCode::OK);
    // GET needs no token.
    assert_eq!(whoami(&app, &b).await.status, StatusCode::OK);
    let ok = send(
        &app,
        Method::POST,
        "/api/v1/account/password",
        Some(&b),
        true,
        Some(body),
    )
    .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    // An API token is no session for the account's own credentials.
    let r = app
        .http
        .post(format!("{}/api/v1/account/password", app.base))
        .bearer_auth(app.user_token("officer"))
        .json(&json!({"current": "x", "new": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "SESSION_REQUIRED");
}

/// Enrols `b`'s user; the confirming code is of step `step`.
async fn enrol(app: &TestApp, b: &Browser, step: i64) -> (String, Answer) {
    let offer = send(
        app,
        Method::POST,
        "/api/v1/account/totp",
        Some(b),
        true,
        None,
    )
    .await;
    assert_eq!(offer.status, StatusCode::OK, "{}", offer.body);
    let secret = offer.body["secret"].as_str().unwrap().to_owned();
    let uri = offer.body["otpauthUri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/tamga:") && uri.contains(&secret),
        "{uri}"
    );
    let code = totp::code_at(&secret, step * 30).unwrap();
    let confirmed = send(
        app,
        Method::POST,
        "/api/v1/account/totp/confirm",
        Some(b),
        true,
        Some(json!({"code": code})),
    )
    .await;
    (secret, confirmed)
}

async fn totp_enrolment_then_login_with_a_code_used_once(app: TestApp) {
    person(&app, "fay", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "fay").await;
    let step = now().unix_timestamp() / 30;
    let (secret, confirmed) = enrol(&app, &b, step).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["totpEnrolled"], true);

    // The password alone now gives a second-factor session.
    let half = login(&app, "fay", PASSWORD).await;
    assert_eq!(half.body["stage"], "second_factor", "{}", half.body);
    let half = half.browser();
    let w = whoami(&app, &half).await;
    assert_eq!(
        (w.status, w.code()),
        (StatusCode::FORBIDDEN, "SECOND_FACTOR_REQUIRED")
    );
    // Nor may it replace the second factor.
    let again = send(
        &app,
        Method::POST,
        "/api/v1/account/totp",
        Some(&half),
        true,
        None,
    )
    .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "TOTP_ENROLLED")
    );
    // The confirming code is used already.
    let code = totp::code_at(&secret, step * 30).unwrap();
    let replay = send(
        &app,
        Method::POST,
        "/api/v1/auth/totp",
        Some(&half),
        true,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "TOTP_REPLAYED"),
        "{}",
        replay.body
    );
    // The next step's code completes it under a new id.
    let next = totp::code_at(&secret, (step + 1) * 30).unwrap();
    let full = send(
        &app,
        Method::POST,
        "/api/v1/auth/totp",
        Some(&half),
        true,
        Some(json!({"code": next})),
    )
    .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
    assert_eq!(full.body["stage"], "full");
    let full = full.browser();
    assert_ne!(full.id, half.id);
    assert_eq!(whoami(&app, &full).await.status, StatusCode::OK);
    assert_eq!(
        whoami(&app, &half).await.status,
        StatusCode::UNAUTHORIZED,
        "the old id is dead"
    );
    // The same code again, in another login: refused.
    let half2 = login(&app, "fay", PASSWORD).await.browser();
    let replay = send(
        &app,
        Method::POST,
        "/api/v1/auth/totp",
        Some(&half2),
        true,
        Some(json!({"code": next})),
    )
    .await;
    assert_eq!(replay.code(), "TOTP_REPLAYED");
    // A full session has no second factor to complete.
    let done = send(
        &app,
        Method::POST,
        "/api/v1/auth/totp",
        Some(&full),
        true,
        Some(json!({"code": next})),
    )
    .await;
    assert_eq!(done.code(), "NOT_SECOND_FACTOR");

    // An administrator removes it (a lost phone); audited.
    let r = app
        .http
        .delete(format!("{}/api/v1/admin/users/fay/totp", app.base))
        .bearer_auth(app.user_token("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&app, "fay", PASSWORD).await.body["stage"], "full");
    let r = app
        .http
        .delete(format!("{}/api/v1/admin/users/fay/totp", app.base))
        .bearer_auth(app.user_token("officer"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let log = app.store.audit_log(0, 1000).await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "user.totp_disabled" && e.actor == "user:admin"));
    assert!(log
        .iter()
        .any(|e| e.action == "user.totp_enrolled" && e.actor == "user:fay"));
}

async fn guessing_totp_codes_locks_the_second_factor(app: TestApp) {
    person(&app, "gus", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "gus").await;
    let step = now().unix_timestamp() / 30;
    let (secret, confirmed) = enrol(&app, &b, step).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let half = login(&app, "gus", PASSWORD).await.browser();
    let right = totp::code_at(&secret, (step + 1) * 30).unwrap();
    let mut wrong = Vec::new();
    let mut n = 0u32;
    while wrong.len() < 5 {
        let c = format!("{:06}", (n * 7919) % 1_000_000);
        n += 1;
        if (step - 1..=step + 2).all(|s| totp::code_at(&secret, s * 30).unwrap() != c) {
            wrong.push(c);
        }
    }
    for c in &wrong {
        let a = send(
            &app,
            Method::POST,
            "/api/v1/auth/totp",
            Some(&half),
            true,
            Some(json!({"code": c})),
        )
        .await;
        assert_eq!(a.code(), "TOTP_INVALID", "{}", a.body);
    }
    let locked = send(
        &app,
        Method::POST,
        "/api/v1/auth/totp",
        Some(&half),
        true,
        Some(json!({"code": right})),
    )
    .await;
    assert_eq!(
        (locked.status, locked.code()),
        (StatusCode::TOO_MANY_REQUESTS, "LOGIN_THROTTLED")
    );
    assert!(locked.headers.get(RETRY_AFTER).is_some());
    assert_eq!(whoami(&app, &half).await.status, StatusCode::FORBIDDEN);
}

async fn a_required_password_change_comes_first(app: TestApp) {
    person(&app, "hal", &[Role::Officer], &["UZ000100"], None).await;
    let before = logged_in(&app, "hal").await;
    let r = app
        .http
        .post(format!(
            "{}/api/v1/admin/users/hal/password-reset",
            app.base
        ))
        .bearer_auth(app.user_token("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let one_time = v["oneTimePassword"].as_str().unwrap().to_owned();
    assert_eq!(one_time.len(), 20);
    // The reset revoked the session and the old password.
    assert_eq!(whoami(&app, &before).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "hal", PASSWORD).await.code(), "LOGIN_FAILED");
    let a = login(&app, "hal", &one_time).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["mustChangePassword"], true);
    let b = a.browser();
    let w = whoami(&app, &b).await;
    assert_eq!(
        (w.status, w.code()),
        (StatusCode::FORBIDDEN, "PASSWORD_CHANGE_REQUIRED")
    );
    let changed = send(
        &app,
        Method::POST,
        "/api/v1/account/password",
        Some(&b),
        true,
        Some(json!({"current": one_time, "new": "quartz-harbour-eleven-moss"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    assert_eq!(
        whoami(&app, &b).await.status,
        StatusCode::OK,
        "this session goes on"
    );
    let log = app.store.audit_log(0, 1000).await.unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "user.password_reset" && e.actor == "user:admin"));
    assert!(log
        .iter()
        .any(|e| e.action == "user.password_changed" && e.actor == "user:hal"));
}

async fn the_password_policy_and_history_hold(app: TestApp) {
    person(&app, "ivy", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "ivy").await;
    let other = logged_in(&app, "ivy").await;
    let change = |current: &str, new: &str| json!({"current": current, "new": new});
    let post = |body: Value| {
        let b = b.clone();
        let app = &app;
        async move {
            send(
                app,
                Method::POST,
                "/api/v1/account/password",
                Some(&b),
                true,
                Some(body),
            )
            .await
        }
    };
    let wrong = post(change("not-the-password", "lilac-ferry-twelve-stone")).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::FORBIDDEN, "CURRENT_PASSWORD_WRONG")
    );
    assert_eq!(wrong.body["error"]["pointer"], "/current");
    for (new, code) in [
        ("short1!", "PASSWORD_TOO_SHORT"),
        ("password1234", "PASSWORD_WEAK"),
        (PASSWORD, "PASSWORD_REUSED"),
    ] {
        let a = post(change(PASSWORD, new)).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{new}: {}",
            a.body
        );
        assert_eq!(a.body["error"]["pointer"], "/new");
    }
    // Six changes; then the current one and the five before it are
    // refused, the one before those allowed.
    let words = [
        "amber-willow-thirty-kite",
        "basalt-meadow-forty-reef",
        "cobalt-orchid-fifty-dune",
        "dapple-summit-sixty-wren",
        "ember-canyon-eighty-lark",
        "fennel-glacier-ninety-rook",
    ];
    let mut current = PASSWORD.to_owned();
    for w in words {
        let a = post(change(&current, w)).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{w}: {}", a.body);
        current = w.to_owned();
    }
    for w in &words[..] {
        let a = post(change(&current, w)).await;
        assert_eq!(a.code(), "PASSWORD_REUSED", "{w}");
    }
    // The first password is seven back now: allowed again.
    let a = post(change(&current, PASSWORD)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    // The change revoked the user's other session, not this one.
    assert_eq!(whoami(&app, &other).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(whoami(&app, &b).await.status, StatusCode::OK);
}

async fn reset(app: &TestApp, who: &Browser, username: &str) -> Answer {
    send(
        app,
        Method::POST,
        &format!("/api/v1/admin/users/{username}/password-reset"),
        Some(who),
        true,
        None,
    )
    .await
}

async fn resets_stay_within_the_administrators_scope(app: TestApp) {
    person(&app, "central", &[Role::Admin], &[], None).await;
    person(&app, "scoped-admin", &[Role::Admin], &["UZ000100"], None).await;
    person(&app, "staff-here", &[Role::Officer], &["UZ000100"], None).await;
    person(&app, "staff-there", &[Role::Officer], &[OTHER_OFFICE], None).await;
    person(
        &app,
        "staff-both",
        &[Role::Officer],
        &["UZ000100", OTHER_OFFICE],
        None,
    )
    .await;
    person(&app, "admin-here", &[Role::Admin], &["UZ000100"], None).await;
    let central = logged_in(&app, "central").await;
    let office = logged_in(&app, "scoped-admin").await;
    let officer = logged_in(&app, "staff-here").await;

    let a = reset(&app, &office, "staff-here").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["username"], "staff-here");
    for outside in ["staff-there", "staff-both", "admin-here", "central"] {
        let a = reset(&app, &office, outside).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{outside}: {}", a.body);
    }
    for self_reset in [(&office, "scoped-admin"), (&central, "central")] {
        let a = reset(&app, self_reset.0, self_reset.1).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    for anyone in ["staff-there", "staff-both", "admin-here", "scoped-admin"] {
        assert_eq!(
            reset(&app, &central, anyone).await.status,
            StatusCode::OK,
            "{anyone}"
        );
    }
    assert_eq!(
        reset(&app, &central, "no-such-user").await.status,
        StatusCode::NOT_FOUND
    );
    // Not an administrator: refused before anything is read (the session
    // was revoked by the reset above, so log in with the new password).
    let officer_again = login(&app, "staff-there", PASSWORD).await;
    assert_eq!(officer_again.code(), "LOGIN_FAILED");
    let a = reset(&app, &officer, "staff-there").await;
    assert_eq!(
        a.status,
        StatusCode::UNAUTHORIZED,
        "the reset revoked its session: {}",
        a.body
    );
    person(&app, "plain", &[Role::Officer], &["UZ000100"], None).await;
    let plain = logged_in(&app, "plain").await;
    assert_eq!(
        reset(&app, &plain, "staff-there").await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .http
        .post(format!(
            "{}/api/v1/admin/users/staff-there/password-reset",
            app.base
        ))
        .bearer_auth(&app.trader(0).token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn a_deactivated_users_session_stops_working(app: TestApp) {
    person(&app, "jon", &[Role::Officer], &["UZ000100"], None).await;
    let b = logged_in(&app, "jon").await;
    assert_eq!(whoami(&app, &b).await.status, StatusCode::OK);
    let audit = IdentityAudit {
        actor: "user:admin".into(),
        action: "user.deactivated".into(),
        payload: json!({"username": "jon"}),
    };
    assert!(app
        .store
        .set_user_active("jon", false, now(), &audit)
        .await
        .unwrap());
    assert_eq!(whoami(&app, &b).await.status, StatusCode::UNAUTHORIZED);
    let a = login(&app, "jon", PASSWORD).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "ACCOUNT_INACTIVE")
    );
    // The wrong password still says only that.
    assert_eq!(
        login(&app, "jon", "wrong-password-here").await.code(),
        "LOGIN_FAILED"
    );
}

async fn an_operators_user_acts_as_its_operator(app: TestApp) {
    let eori = app.trader(0).id.clone();
    person(&app, "kim", &[Role::Trader], &[], Some(&eori)).await;
    let b = logged_in(&app, "kim").await;
    let me = whoami(&app, &b).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(
        (me.body["kind"].as_str(), me.body["id"].as_str()),
        (Some("operator"), Some(eori.as_str()))
    );
    let s = send(
        &app,
        Method::GET,
        "/api/v1/auth/session",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(s.body["operator"], eori.as_str());
    // It sees its operator's notifications; not the officers' queue.
    let n = send(
        &app,
        Method::GET,
        "/api/v1/notifications",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    let q = send(
        &app,
        Method::GET,
        "/api/v1/offices/UZ000100/queue",
        Some(&b),
        false,
        None,
    )
    .await;
    assert_eq!(q.status, StatusCode::FORBIDDEN);
}

/// A person's session mints an API token for its operator (with the CSRF
/// token); the token works, and it cannot mint another one for itself.
async fn a_session_mints_a_token_and_a_token_does_not(app: TestApp) {
    let eori = app.trader(0).id.clone();
    person(&app, "lea", &[Role::Trader], &[], Some(&eori)).await;
    let b = logged_in(&app, "lea").await;
    let body = json!({"name": "ERP connector", "expiresInDays": 30});
    let no_csrf = send(
        &app,
        Method::POST,
        "/api/v1/account/tokens",
        Some(&b),
        false,
        Some(body.clone()),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN, "{}", no_csrf.body);
    assert_eq!(no_csrf.code(), "CSRF");
    let made = send(
        &app,
        Method::POST,
        "/api/v1/account/tokens",
        Some(&b),
        true,
        Some(body),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let secret = made.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(made.body["principal"], format!("operator:{eori}"));
    assert_eq!(made.body["createdBy"], "user:lea");
    // The token acts as the operator.
    let (s, me) = app.get("/api/v1/account", &secret).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["id"], eori.as_str());
    // A bearer token never mints one for its own holder.
    let (s, v) = app
        .post_json(
            "/api/v1/account/tokens",
            &secret,
            &json!({"name": "successor", "expiresInDays": 365}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "TOKEN_SESSION_REQUIRED");
    // The listing never shows a secret.
    let (s, list) = app.get("/api/v1/account/tokens", &secret).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert!(!list.to_string().contains(&secret));
}
