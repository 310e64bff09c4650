//! What every browser test needs: a `chromedriver` of its own, a headless
//! Chromium session, small WebDriver helpers that turn failures into the
//! check's error, logging in through the login page, and a screenshot of
//! a failed story.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A `chromedriver` process of this test, killed when dropped.
pub struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    pub fn start() -> Chromedriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start chromedriver ({e}): the browser tests need headless Chromium; \
                     install it with `apt-get install -y chromium chromium-driver`"
                )
            });
        let driver = Chromedriver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    pub async fn browser(&self) -> Client {
        let caps = json!({
            "goog:chromeOptions": {
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US"],
                "prefs": {"intl.accept_languages": "en-US,en"}
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session (is the `chromium` package installed?)")
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub type Checked = Result<(), String>;

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// A WebDriver failure as the check's error.
pub fn wd<T>(r: Result<T, fantoccini::error::CmdError>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

pub async fn text(c: &Client, css: &str) -> Result<String, String> {
    let e = wd(c.wait().for_element(Locator::Css(css)).await, css)?;
    wd(e.text().await, css)
}

pub async fn value(c: &Client, id: &str) -> Result<String, String> {
    let e = wd(c.find(Locator::Id(id)).await, id)?;
    Ok(wd(e.prop("value").await, id)?.unwrap_or_default())
}

pub async fn lang(c: &Client) -> Result<String, String> {
    let e = wd(c.find(Locator::Css("html")).await, "html")?;
    Ok(wd(e.attr("lang").await, "lang")?.unwrap_or_default())
}

pub async fn type_into(c: &Client, id: &str, text: &str) -> Checked {
    let e = wd(c.find(Locator::Id(id)).await, id)?;
    wd(e.clear().await, id)?;
    wd(e.send_keys(text).await, id)
}

/// Clicks the element `css`.
pub async fn click(c: &Client, css: &str) -> Checked {
    let e = wd(c.wait().for_element(Locator::Css(css)).await, css)?;
    wd(e.click().await, css)
}

/// Logs `username` in with its demo password through the login page and
/// waits for the page it lands on.
pub async fn login(c: &Client, base: &str, username: &str) -> Checked {
    login_with(c, base, username, &tamga_app::demo::demo_password(username)).await
}

/// Logs `username` in with `password` through the login page.
pub async fn login_with(c: &Client, base: &str, username: &str, password: &str) -> Checked {
    wd(c.goto(&format!("{base}/login")).await, "login page")?;
    type_into(c, "username", username).await?;
    type_into(c, "password", password).await?;
    click(c, "main form button[type=submit]").await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = wd(c.current_url().await, "url")?;
        if url.path() != "/login" {
            return Ok(());
        }
        if c.find(Locator::Css(".error-summary")).await.is_ok() {
            let e = text(c, ".error-summary").await?;
            return Err(format!("login of {username} refused: {e}"));
        }
        if Instant::now() > deadline {
            return Err(format!("login of {username}: still on {url}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs a browser story: a fresh Chromium session, and on failure a
/// screenshot in the temporary folder (its path printed) and a panic with
/// the story's error.
pub async fn run_story<F, Fut>(name: &str, story: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = (Client, Checked)>,
{
    let driver = Chromedriver::start();
    let c = driver.browser().await;
    let (c, result) = story(c).await;
    let shot = if result.is_err() {
        c.screenshot().await.ok()
    } else {
        None
    };
    let _ = c.close().await;
    if let (Err(_), Some(png)) = (&result, shot) {
        let path = std::env::temp_dir().join(format!("tamga-browser-{name}.png"));
        let _ = std::fs::write(&path, png);
        eprintln!("screenshot of the failure: {}", path.display());
    }
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// axe-core (MPL-2.0, `vendor/axe-core/`), injected by the tests only.
const AXE: &str = include_str!("vendor/axe-core/axe.min.js");

/// The serious and critical accessibility violations axe-core finds on
/// the current page (WCAG 2.1 A and AA rules), as `rule: target, …`.
pub async fn axe(c: &Client) -> Result<Vec<String>, String> {
    wd(c.execute(AXE, vec![]).await, "inject axe-core")?;
    let v = wd(
        c.execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                 .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                 .catch(e => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await,
        "run axe-core",
    )?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Saves a screenshot of the current page as `docs/screenshots/<name>.png`
/// when `TAMGA_SCREENSHOTS` is set (to the folder to write to).
pub async fn screenshot(c: &Client, name: &str) -> Checked {
    let Ok(dir) = std::env::var("TAMGA_SCREENSHOTS") else {
        return Ok(());
    };
    let png = wd(c.screenshot().await, "screenshot")?;
    let path = std::path::Path::new(&dir).join(format!("{name}.png"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{dir}: {e}"))?;
    std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))
}

/// Logs out through the header's button and waits until the page says
/// nobody is logged in (a click does not wait for the form's navigation).
pub async fn logout(c: &Client) -> Checked {
    click(c, "header.site form[action='/logout'] button").await?;
    wd(
        c.wait()
            .for_element(Locator::Css("header.site .who a[href^='/login']"))
            .await,
        "logged out",
    )?;
    Ok(())
}
