//! The login pages over HTTP, without a browser: login CSRF, the page
//! forms' CSRF token, redirects of a browser that is not logged in, and
//! that a page's rule refuses the wrong role like the API does.

use reqwest::StatusCode;

use crate::common::TestApp;

stories!(page_forms_need_their_tokens);

pub(crate) const HTML: &str = "text/html,application/xhtml+xml";

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name="…" value="…"` in `html`.
/// GETs a page as a browser with `cookie`: status and HTML.
pub(crate) async fn page_get(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = client()
        .get(format!("{}{path}", app.base))
        .header("accept", HTML)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Posts a page form with `cookie`: status, `Location` and the page.
pub(crate) async fn page_post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = client()
        .post(format!("{}{path}", app.base))
        .header("accept", HTML)
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status(), location, r.text().await.unwrap())
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub(crate) fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v[..v.find(';').unwrap()].to_owned())
}

/// Logs `user` in through the form; returns the session cookie.
pub async fn page_login(app: &TestApp, user: &str) -> String {
    let http = client();
    let r = http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    let login_cookie = cookie_of(&r, "tamga_login").expect("login cookie");
    let token = hidden(&r.text().await.unwrap(), "_csrf");
    let password = tamga_app::demo::demo_password(user);
    let r = http
        .post(format!("{}/login", app.base))
        .header("cookie", &login_cookie)
        .form(&[
            ("_csrf", token.as_str()),
            ("username", user),
            ("password", &password),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {user}");
    cookie_of(&r, "tamga_session").expect("session cookie")
}

async fn page_forms_need_their_tokens(app: TestApp) {
    let http = client();
    // Not logged in: a browser is sent to the login page, an API client
    // gets the JSON 401.
    let r = http
        .get(format!("{}/me?x=1", app.base))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fme%3Fx%3D1");
    let r = http.get(format!("{}/me", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Login CSRF: a login form without the cookie's token is refused and
    // no session is issued.
    let password = tamga_app::demo::demo_password("officer");
    let r = http
        .post(format!("{}/login", app.base))
        .header("cookie", "tamga_login=forged")
        .form(&[
            ("_csrf", "other"),
            ("username", "officer"),
            ("password", &password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(cookie_of(&r, "tamga_session").is_none());
    assert!(r.text().await.unwrap().contains("LOGIN_CSRF"));

    // A next link to another site is not followed.
    let session = page_login(&app, "officer").await;
    let r = http
        .get(format!("{}/login?next=//evil.example/x", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/officer"));

    // A page form without its token (or with another) is refused, and the
    // session survives; with the token the act is done.
    let r = http
        .get(format!("{}/me", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csrf = hidden(&r.text().await.unwrap(), "_csrf");
    for form in [vec![], vec![("_csrf", "wrong")]] {
        let r = http
            .post(format!("{}/logout", app.base))
            .header("cookie", &session)
            .header("accept", HTML)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?}");
    }
    // A client-set header does not replace the form's token on a page.
    let r = http
        .post(format!("{}/password", app.base))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .form(&[("current", "x"), ("new", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .get(format!("{}/me", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session was ended");
    let r = http
        .post(format!("{}/logout", app.base))
        .header("cookie", &session)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http
        .get(format!("{}/me", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
