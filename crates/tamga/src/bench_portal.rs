//! `tamga bench portal`: how fast the portal's pages are served with many
//! declarations in the database, and what each page weighs.
//!
//! 1. A fresh database (SQLite in a temporary directory, or a new database
//!    on `--database-url`'s PostgreSQL server), reference and demo data.
//! 2. `--declarations` (default 100,000) lodged through the production
//!    pipeline, as `tamga bench pipeline` does.
//! 3. The real HTTP server in-process on port 0; the demo people log in
//!    through `POST /login` like a browser.
//! 4. Every `GET` page of [`tamga_http::portal::PAGES`] (plus a few with
//!    a query) is requested `--requests` times by the first person who may
//!    open it (anonymous first, then the demo roles): a path parameter is
//!    filled from that person's data (`{mrn}`: their newest declaration;
//!    `{eori}`: demo trader 1, `{code}`: the demo office) or the page is
//!    listed as skipped. The latency is measured at the
//!    client over loopback, so it bounds the server's time from above.
//! 5. A page's weight: its HTML plus the style sheet and script it links,
//!    before compression.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use tamga_app::{Clearance, Settings};

use crate::bench::{histogram, lodge_all, max_ms, prepare, quantile_ms, record, round3, Db};

#[derive(clap::Args)]
pub struct BenchPortalArgs {
    /// Declarations in the database before the pages are requested.
    #[arg(long, default_value_t = 100_000)]
    declarations: usize,
    /// Requests per page.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Use a fresh database on this PostgreSQL server instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent lodging tasks while filling the database.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON on stdout (no progress bar).
    #[arg(long)]
    json: bool,
}

/// The people who open pages, in the order they are tried.
const PEOPLE: &[&str] = &[
    "trader1",
    "broker1",
    "officer",
    "inspector",
    "analyst",
    "manager",
    "appeals",
    "admin",
    "bank",
    "agency",
];

/// Pages requested with a query besides the bare routes.
const WITH_QUERY: &[&str] = &[
    "/tariff?q=8471",
    "/analyst/traders?q=silk",
    "/calculator?goodsCode=8471300000&origin=CN&customsValue=1000.00&currency=USD",
];

pub async fn run(a: BenchPortalArgs) -> Result<(), String> {
    let (db, url) = Db::create(a.database_url.as_deref()).await?;
    let r = bench_on(&a, &url).await;
    db.cleanup().await;
    let o = r?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&o).unwrap_or_default());
    } else {
        print_text(&o);
    }
    Ok(())
}

/// A logged-in person: its name and session cookie.
struct Person {
    name: &'static str,
    cookie: String,
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// The value of the hidden field `name` in `html`.
fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key)? + key.len();
    Some(html[at..].split('"').next()?.to_owned())
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Logs `name` in through the login page with its demo password.
async fn log_in(http: &reqwest::Client, base: &str, name: &'static str) -> Result<Person, String> {
    let r = http
        .get(format!("{base}/login"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let login = set_cookie(&r, "tamga_login").ok_or("no login cookie")?;
    let html = r.text().await.map_err(|e| e.to_string())?;
    let csrf = hidden(&html, "_csrf").ok_or("no login token")?;
    let password = tamga_app::demo::demo_password(name);
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", login)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", name),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookie = set_cookie(&r, "tamga_session")
        .ok_or_else(|| format!("{name} could not log in ({})", r.status()))?;
    Ok(Person { name, cookie })
}

/// `person`'s newest declaration, if any.
async fn newest_mrn(http: &reqwest::Client, base: &str, person: &Person) -> Option<String> {
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/declarations?limit=1"))
        .header("cookie", &person.cookie)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let first = v
        .get("declarations")
        .or(v.get("items"))
        .and_then(|d| d.get(0))
        .or_else(|| v.get(0))?;
    first.get("mrn")?.as_str().map(str::to_owned)
}

/// The URL of `route` for `person` (its parameters filled), if it can be
/// filled.
async fn fill(
    http: &reqwest::Client,
    base: &str,
    route: &str,
    person: Option<&Person>,
) -> Option<String> {
    if !route.contains('{') {
        return Some(route.to_owned());
    }
    if route.starts_with("/static/") {
        return None;
    }
    let mut out = route.to_owned();
    if out.contains("{mrn}") {
        let mrn = newest_mrn(http, base, person?).await?;
        out = out.replace("{mrn}", &mrn);
    }
    // The busiest demo trader's twin, the demo office's staff.
    out = out.replace("{eori}", &tamga_app::demo::demo_trader_id(0));
    out = out.replace("{code}", tamga_app::demo::DEMO_OFFICE);
    (!out.contains('{')).then_some(out)
}

/// The bytes of the style sheets and scripts `html` links (each fetched
/// once).
async fn linked_weight(
    http: &reqwest::Client,
    base: &str,
    html: &str,
    cache: &mut std::collections::HashMap<String, usize>,
) -> usize {
    let mut total = 0;
    for part in html.split("\"/static/").skip(1) {
        let Some(name) = part.split('"').next() else {
            continue;
        };
        let path = format!("/static/{name}");
        if let Some(n) = cache.get(&path) {
            total += n;
            continue;
        }
        let n = match http.get(format!("{base}{path}")).send().await {
            Ok(r) => r.bytes().await.map(|b| b.len()).unwrap_or(0),
            Err(_) => 0,
        };
        cache.insert(path, n);
        total += n;
    }
    total
}

async fn bench_on(a: &BenchPortalArgs, url: &str) -> Result<serde_json::Value, String> {
    let store = tamga_store::open(url)
        .await
        .map_err(|e| format!("cannot open the benchmark database: {e}"))?;
    tamga_app::bootstrap(&store, true)
        .await
        .map_err(|e| format!("cannot load reference data: {e}"))?;
    // Not the HS assistant's background build: it would take cores from
    // what is measured (it builds if a request asks for it).
    let settings = Settings {
        hs_build_at_start: false,
        ..Settings::default()
    };
    let clearance: Arc<Clearance> = Clearance::start(store.clone(), settings)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    let state = tamga_http::state(clearance.clone())
        .await
        .map_err(|e| format!("cannot start services: {e}"))?;

    let ready = Arc::new(prepare(a.declarations, a.seed, false)?);
    let (_, tally, lodge_seconds) = lodge_all(&clearance, ready, a.concurrency, a.json).await?;
    let stored = store
        .count_declarations()
        .await
        .map_err(|e| format!("cannot count declarations: {e}"))?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tamga_http::serve_with(
        listener,
        state,
        tamga_http::Limits::default(),
        async move {
            let _ = stop_rx.await;
        },
    ));

    let http = client()?;
    let mut people = Vec::new();
    for name in PEOPLE {
        match log_in(&http, &base, name).await {
            Ok(p) => people.push(p),
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    let mut urls: Vec<String> = tamga_http::portal::PAGES
        .iter()
        .filter(|(m, _)| *m == "GET")
        .map(|(_, p)| p.to_string())
        .collect();
    urls.extend(WITH_QUERY.iter().map(|s| s.to_string()));

    let mut pages = Vec::new();
    let mut skipped = Vec::new();
    let mut assets = std::collections::HashMap::new();
    for route in &urls {
        // The first of anonymous, then each person, who gets the page.
        let mut chosen = None;
        for who in std::iter::once(None).chain(people.iter().map(Some)) {
            let Some(url) = fill(&http, &base, route, who).await else {
                continue;
            };
            let mut req = http
                .get(format!("{base}{url}"))
                .header("accept", "text/html");
            if let Some(p) = who {
                req = req.header("cookie", &p.cookie);
            }
            let Ok(r) = req.send().await else { continue };
            if r.status() == reqwest::StatusCode::OK {
                let html = r.text().await.unwrap_or_default();
                chosen = Some((who, url, html));
                break;
            }
        }
        let Some((who, url, html)) = chosen else {
            skipped.push(route.clone());
            continue;
        };
        let mut hist = histogram();
        for _ in 0..a.requests {
            let mut req = http
                .get(format!("{base}{url}"))
                .header("accept", "text/html");
            if let Some(p) = who {
                req = req.header("cookie", &p.cookie);
            }
            let t0 = Instant::now();
            let r = req.send().await.map_err(|e| format!("{url}: {e}"))?;
            let status = r.status();
            let _ = r.bytes().await;
            record(&mut hist, t0.elapsed());
            if !status.is_success() {
                return Err(format!("{url} answered {status} during the run"));
            }
        }
        let linked = linked_weight(&http, &base, &html, &mut assets).await;
        pages.push(json!({
            "page": url,
            "as": who.map(|p| p.name).unwrap_or("anonymous"),
            "p50_ms": quantile_ms(&hist, 0.5),
            "p99_ms": quantile_ms(&hist, 0.99),
            "max_ms": max_ms(&hist),
            "html_bytes": html.len(),
            "weight_bytes": html.len() + linked,
        }));
    }
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    let worst_p99 = pages
        .iter()
        .filter_map(|p| p["p99_ms"].as_f64())
        .fold(0.0, f64::max);
    let heaviest = pages
        .iter()
        .filter_map(|p| p["weight_bytes"].as_u64())
        .max()
        .unwrap_or(0);
    Ok(json!({
        "benchmark": "portal",
        "backend": store.backend(),
        "declarations": stored,
        "lodged": tally.accepted(),
        "lodge_seconds": round3(lodge_seconds),
        "requests_per_page": a.requests,
        "pages": pages,
        "skipped": skipped,
        "worst_p99_ms": worst_p99,
        "heaviest_page_bytes": heaviest,
    }))
}

fn print_text(o: &serde_json::Value) {
    println!(
        "tamga bench portal ({} backend, {} declarations stored, {} requests per page)",
        o["backend"].as_str().unwrap_or("?"),
        o["declarations"],
        o["requests_per_page"]
    );
    println!(
        "  {:<48} {:<10} {:>8} {:>8} {:>8} {:>9}",
        "page", "as", "p50 ms", "p99 ms", "max ms", "weight B"
    );
    for p in o["pages"].as_array().into_iter().flatten() {
        let page = p["page"].as_str().unwrap_or("");
        let page = if page.len() > 48 { &page[..48] } else { page };
        println!(
            "  {:<48} {:<10} {:>8} {:>8} {:>8} {:>9}",
            page,
            p["as"].as_str().unwrap_or(""),
            p["p50_ms"].to_string(),
            p["p99_ms"].to_string(),
            p["max_ms"].to_string(),
            p["weight_bytes"].to_string()
        );
    }
    println!(
        "  worst p99 {} ms; heaviest page {} bytes (HTML + CSS + JS, uncompressed)",
        o["worst_p99_ms"], o["heaviest_page_bytes"]
    );
    if let Some(s) = o["skipped"].as_array().filter(|s| !s.is_empty()) {
        let names: Vec<_> = s.iter().filter_map(|x| x.as_str()).collect();
        println!(
            "  skipped (no parameter value or nobody may open them): {}",
            names.join(", ")
        );
    }
}
