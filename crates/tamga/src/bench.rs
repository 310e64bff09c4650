//! `tamga bench ...`: measurements that drive the crates from outside.
//!
//! - `bench pipeline`: the whole lodging pipeline in-process (control,
//!   signature, registration, risk, release, durable group commit) over a
//!   fresh store, with pre-generated and pre-signed declarations; with
//!   `--xml` the same declarations written as WCO DEC-DMS XML and lodged
//!   through [`Clearance::lodge_wco`], the path of the HTTP API's XML
//!   bodies (read, schema, mapping, then the same pipeline).
//! - `bench malformed`: the real HTTP server in-process, fed with malformed,
//!   erroneous and badly signed declarations; no answer may be a 5xx.
//! - `bench slow-clients`: the real HTTP server in-process while N slow
//!   connections are held; latency of normal requests.
//!
//! Also [`example_declaration`], the body `tamga example` prints.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use time::{Date, OffsetDateTime};

use tamga_app::{AppError, Clearance, Settings, Signed};
use tamga_core::codes::Eori;
use tamga_core::lifecycle::State;
use tamga_core::signature;
use tamga_sim::{demo_traders, Generator, GeneratorConfig};

mod local_server;
mod malformed;
mod slow_clients;

#[derive(clap::Subcommand)]
pub enum Bench {
    /// The whole pipeline in-process with durable commits: control,
    /// signature check, registration, risk, release, group commit.
    Pipeline(PipelineArgs),
    /// The real HTTP server in-process, fed with malformed, erroneous and
    /// badly signed declarations; fails on any 5xx or transport error.
    Malformed(malformed::Args),
    /// The real HTTP server in-process while N connections trickle their
    /// heads and bodies: latency of /healthz and an authenticated GET.
    SlowClients(slow_clients::Args),
    /// Duty assessment in-process against the demo tariff (one thread).
    Duties(crate::tariff_cmd::BenchDutiesArgs),
    /// Risk-profile evaluation on one thread (indexed engine).
    Risk(crate::bench_risk::BenchRiskArgs),
    /// Ledger reservations and debits with durable commits.
    Ledger(crate::bench_ledger::BenchLedgerArgs),
    /// Token checks on the request path (cached and uncached) and argon2id
    /// password hashing and verification.
    Identity(crate::bench_identity::BenchIdentityArgs),
    /// The portal's pages over HTTP with many declarations stored:
    /// latency per page and page weight.
    Portal(crate::bench_portal::BenchPortalArgs),
}

pub async fn run(b: Bench) -> Result<(), String> {
    match b {
        Bench::Pipeline(a) => pipeline(a).await,
        Bench::Malformed(a) => malformed::run(a).await,
        Bench::SlowClients(a) => slow_clients::run(a).await,
        Bench::Duties(a) => crate::tariff_cmd::bench_duties(a),
        Bench::Risk(a) => crate::bench_risk::run(a),
        Bench::Ledger(a) => crate::bench_ledger::run(a).await,
        Bench::Identity(a) => crate::bench_identity::run(a).await,
        Bench::Portal(a) => crate::bench_portal::run(a).await,
    }
}

// ---------------------------------------------------------------------------
// Shared helpers (also used by `simulate`)
// ---------------------------------------------------------------------------

/// Today's date in UTC (the lodging date control checks against).
pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// A latency histogram in microseconds, 1 µs to 10 minutes.
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

pub(crate) fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_micros() as u64).max(1));
}

/// A quantile of a microsecond histogram, in milliseconds (0 when empty).
pub(crate) fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    round3(h.value_at_quantile(q) as f64 / 1000.0)
}

pub(crate) fn max_ms(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    round3(h.max() as f64 / 1000.0)
}

pub(crate) fn mean_ms(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    round3(h.mean() / 1000.0)
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A demo trader's credentials, by operator id.
#[derive(Clone)]
pub(crate) struct TraderKeys {
    pub id: Eori,
    pub token: String,
    pub key: SigningKey,
    pub key_id: String,
}

/// The funded demo traders' credentials (`tamga demo`, traders 1 to 8),
/// in demo order: the benchmarks and `simulate` leave out trader 9, whose
/// declarations wait for payment.
pub(crate) fn demo_keys() -> Result<Vec<TraderKeys>, String> {
    tamga_app::demo::demo()
        .traders
        .into_iter()
        .take(tamga_app::demo::DEMO_TRADER_NAMES.len())
        .map(|t| {
            Ok(TraderKeys {
                id: Eori::parse(&t.id)
                    .map_err(|e| format!("demo trader id {}: {}", t.id, e.message))?,
                key: tamga_app::demo::demo_signing_key(&t.id),
                token: t.token,
                key_id: t.key_id,
            })
        })
        .collect()
}

pub(crate) fn reference_bundle() -> Result<tamga_core::reference::ReferenceBundle, String> {
    tamga_app::reference::shipped().map_err(|e| format!("shipped reference data: {e}"))
}

/// A progress bar on stderr; hidden when `hidden` or stderr is no terminal.
pub(crate) fn progress(len: u64, hidden: bool, what: &str) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
    ) {
        pb.set_style(style);
    }
    pb.set_message(what.to_owned());
    pb
}

// ---------------------------------------------------------------------------
// `tamga example`
// ---------------------------------------------------------------------------

/// A valid declaration body for demo trader `trader` (1 to 9), lodged today
/// (UTC), different for every seed. It passes control.
pub fn example_declaration(trader: usize, seed: u64, hs: Option<&str>) -> Result<Vec<u8>, String> {
    const DEMO_TRADERS: usize = tamga_app::demo::DEMO_TRADERS;
    if !(1..=DEMO_TRADERS).contains(&trader) {
        return Err(format!(
            "--trader must be between 1 and {DEMO_TRADERS} (got {trader})"
        ));
    }
    let profile = demo_traders(DEMO_TRADERS)
        .into_iter()
        .nth(trader - 1)
        .ok_or_else(|| format!("no demo trader {trader}"))?;
    let mut cfg = GeneratorConfig::demo(DEMO_TRADERS, today(), seed);
    cfg.traders = vec![profile];
    cfg.error_share = Some(0.0);
    cfg.frauds = false;
    let mut generator = Generator::new(cfg, &reference_bundle()?)
        .map_err(|e| e.to_string())?
        .with_tariff(&tamga_app::reference::demo_tariff()?);
    let s = generator.next();
    if !s.expect.is_valid() {
        return Err("the generator produced an erroneous declaration".into());
    }
    let Some(code) = hs else {
        return Ok(s.body);
    };
    // The first goods item becomes `code` (a 6-digit HS 2022 subheading),
    // declared as the demo tariff needs it.
    let reference = reference_bundle()?;
    let entry = reference
        .hs
        .iter()
        .find(|e| e.code == code && e.level == 6)
        .ok_or_else(|| format!("{code:?} is not a 6-digit HS 2022 subheading"))?;
    let mut d: tamga_core::declaration::Declaration =
        serde_json::from_slice(&s.body).map_err(|e| e.to_string())?;
    let item = d
        .items
        .first_mut()
        .ok_or("the generator produced a declaration without goods")?;
    item.hs_code = tamga_core::codes::HsCode::parse(&entry.code).map_err(|e| e.to_string())?;
    item.description = entry.description.clone();
    if !generator.fit_to_tariff(item) {
        return Err(format!(
            "the demo tariff cannot assess goods under {code} (prohibited or not covered)"
        ));
    }
    serde_json::to_vec_pretty(&d).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------
// `tamga bench pipeline`
// ---------------------------------------------------------------------------

#[derive(clap::Args)]
pub struct PipelineArgs {
    /// Number of declarations to lodge (5 goods items each).
    #[arg(long, default_value_t = 10_000)]
    declarations: usize,
    /// Use a fresh database `tamga_bench_<random>` on this PostgreSQL server
    /// (dropped afterwards) instead of SQLite in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent lodging tasks.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Most writes per group commit (default: the service default).
    #[arg(long)]
    max_batch: Option<usize>,
    /// Lodging alone, without the services `serve` runs around it (risk
    /// profiles and categories, the operations pump): to see their cost.
    #[arg(long)]
    core_only: bool,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Score every lodging with this model file (`tamga risk train`): it
    /// is registered and activated in the benchmark's database before
    /// the run, so that the lodging path is the one with a live model.
    #[arg(long, conflicts_with = "core_only")]
    model: Option<std::path::PathBuf>,
    /// Lodge the declarations as WCO DEC-DMS XML (written from the same
    /// generated declarations, signed over the XML) through the API's XML
    /// path: reading, the DEC-DMS schema and the mapping are measured too.
    #[arg(long)]
    xml: bool,
    /// The goods check with the HS assistant's model built before the
    /// run: `cached` (as served: what the assistant says of a description
    /// is kept) or `uncached` (every item ranked: the worst case, every
    /// description new). Without this flag the model is not built and
    /// every lodging records the check's absence.
    #[arg(long, value_parser = ["cached", "uncached"])]
    goods_check: Option<String>,
    /// Print JSON on stdout (no progress bar).
    #[arg(long)]
    json: bool,
}

/// Registers and activates `path` in the benchmark's database, as an
/// analyst would through the registry (the benchmark's database has no
/// inspected declarations to validate on, so the validation records that
/// it was a benchmark). Returns the model's version.
async fn install_model(
    store: &std::sync::Arc<dyn tamga_store::Store>,
    path: &std::path::Path,
) -> Result<i64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let model = tamga_model::GbdtModel::from_bytes(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let now = time::OffsetDateTime::now_utc();
    let info = &model.info;
    let version = store
        .insert_model(&tamga_store::NewModel {
            created_at: now,
            created_by: "bench".into(),
            source: "upload".into(),
            data_from: Some(info.data_from),
            data_to: Some(info.data_to),
            rows: info.rows as i64,
            frauds: info.frauds as i64,
            features: info.features.clone(),
            training: serde_json::json!({"trees": info.trees}),
            content_hash: model.content_hash(),
            body: bytes,
        })
        .await
        .map_err(|e| e.to_string())?;
    let note = serde_json::json!({"benchmark": true, "better": true});
    store
        .set_model_validation(version, &note, now)
        .await
        .map_err(|e| e.to_string())?;
    store
        .record_activation(Some(version), "activate", "bench", "benchmark", now)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the model was not activated")?;
    Ok(version)
}

/// A declaration ready to lodge.
pub(crate) struct Ready {
    trader: Eori,
    body: Vec<u8>,
    signature: String,
    key_id: String,
    /// `body` is WCO DEC-DMS XML, not tamga's JSON.
    xml: bool,
}

#[derive(Default)]
pub(crate) struct Tally {
    released: u64,
    under_control: u64,
    awaiting_payment: u64,
    other_accepted: u64,
    replays: u64,
    rejected: u64,
    errors: u64,
    first_error: Option<String>,
    rejection_codes: HashMap<String, u64>,
}

impl Tally {
    pub(crate) fn accepted(&self) -> u64 {
        self.released + self.under_control + self.awaiting_payment + self.other_accepted
    }

    fn merge(&mut self, o: Tally) {
        self.released += o.released;
        self.under_control += o.under_control;
        self.awaiting_payment += o.awaiting_payment;
        self.other_accepted += o.other_accepted;
        self.replays += o.replays;
        self.rejected += o.rejected;
        self.errors += o.errors;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        for (k, v) in o.rejection_codes {
            *self.rejection_codes.entry(k).or_default() += v;
        }
    }
}

/// A fresh benchmark database: SQLite in a temporary directory, or a new
/// database on a PostgreSQL server; cleaned up by [`Db::cleanup`].
pub(crate) enum Db {
    Sqlite(tempfile::TempDir),
    Postgres { server: String, name: String },
}

impl Db {
    pub(crate) async fn create(database_url: Option<&str>) -> Result<(Db, String), String> {
        match database_url {
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("tamga-bench-")
                    .tempdir()
                    .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
                let url = dir.path().join("tamga.db").display().to_string();
                Ok((Db::Sqlite(dir), url))
            }
            Some(server) => {
                if !(server.starts_with("postgres://") || server.starts_with("postgresql://")) {
                    return Err("--database-url must be a postgres:// URL".into());
                }
                let name = format!("tamga_bench_{:016x}", rand::random::<u64>());
                pg_execute(server, &format!("CREATE DATABASE {name}")).await?;
                let url = tamga_store::testing::with_database(server, &name);
                Ok((
                    Db::Postgres {
                        server: server.to_owned(),
                        name,
                    },
                    url,
                ))
            }
        }
    }

    pub(crate) async fn cleanup(self) {
        match self {
            Db::Sqlite(dir) => drop(dir),
            Db::Postgres { server, name } => {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if let Err(e) = pg_execute(&server, &sql).await {
                    eprintln!("warning: could not drop the benchmark database {name}: {e}");
                }
            }
        }
    }
}

async fn pg_execute(server: &str, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let r = sqlx::query(sql).execute(&mut conn).await;
    let _ = conn.close().await;
    r.map(|_| ()).map_err(|e| format!("{sql}: {e}"))
}

async fn pipeline(a: PipelineArgs) -> Result<(), String> {
    if a.declarations == 0 {
        return Err("--declarations must be at least 1".into());
    }
    if a.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if a.max_batch == Some(0) {
        return Err("--max-batch must be at least 1".into());
    }
    let (db, url) = Db::create(a.database_url.as_deref()).await?;
    let result = pipeline_on(&a, &url).await;
    db.cleanup().await;
    let out = result?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        print_pipeline_text(&out);
    }
    let accepted = out["accepted"].as_u64().unwrap_or(0);
    if out["stored"].as_u64() != Some(accepted) {
        return Err(format!(
            "the store holds {} declarations but {accepted} were accepted",
            out["stored"]
        ));
    }
    if out["errors"].as_u64().unwrap_or(0) > 0 {
        return Err(format!(
            "{} lodgings failed: {}",
            out["errors"], out["first_error"]
        ));
    }
    Ok(())
}

/// `n` generated declarations, signed by their traders; as WCO DEC-DMS
/// XML when `xml` (written from the same declarations).
pub(crate) fn prepare(n: usize, seed: u64, xml: bool) -> Result<Vec<Ready>, String> {
    let keys: HashMap<Eori, TraderKeys> = demo_keys()?
        .into_iter()
        .map(|k| (k.id.clone(), k))
        .collect();
    let mut cfg = GeneratorConfig::bench(keys.len(), today(), seed);
    cfg.error_share = Some(0.0);
    let mut generator = Generator::new(cfg, &reference_bundle()?)
        .map_err(|e| e.to_string())?
        .with_tariff(&tamga_app::reference::demo_tariff()?);
    let synthetic: Vec<_> = (0..n).map(|_| generator.next()).collect();
    // Signing is independent per declaration: spread it over the cores.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = synthetic
            .chunks(chunk)
            .map(|part| {
                let keys = &keys;
                scope.spawn(move || {
                    part.iter()
                        .map(|s| {
                            let k = keys
                                .get(&s.trader)
                                .ok_or_else(|| format!("{} is not a demo trader", s.trader))?;
                            let body = if xml {
                                as_wco(&s.body)?
                            } else {
                                s.body.clone()
                            };
                            Ok(Ready {
                                trader: s.trader.clone(),
                                signature: signature::sign(&k.key, &body),
                                key_id: k.key_id.clone(),
                                body,
                                xml,
                            })
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| "a signing thread panicked".to_string())??,
            );
        }
        Ok(all)
    })
}

/// A generated declaration's JSON written as WCO DEC-DMS XML.
fn as_wco(json: &[u8]) -> Result<Vec<u8>, String> {
    let d: tamga_core::declaration::Declaration =
        serde_json::from_slice(json).map_err(|e| format!("a generated declaration: {e}"))?;
    tamga_messages::write_wco(&d)
        .map(String::into_bytes)
        .map_err(|e| format!("a generated declaration as XML: {e:?}"))
}

async fn pipeline_on(a: &PipelineArgs, url: &str) -> Result<serde_json::Value, String> {
    let store = tamga_store::open(url)
        .await
        .map_err(|e| format!("cannot open the benchmark database: {e}"))?;
    tamga_app::bootstrap(&store, true)
        .await
        .map_err(|e| format!("cannot load reference data: {e}"))?;
    // Not the HS assistant's background build: it would take cores from
    // what is measured (it builds if a request asks for it).
    let mut settings = Settings {
        hs_build_at_start: false,
        ..Settings::default()
    };
    if let Some(b) = a.max_batch {
        settings.max_batch = b;
    }
    if a.goods_check.as_deref() == Some("uncached") {
        settings.goods_check.cache = 0;
    }
    let max_batch = settings.max_batch;
    let model_version = match &a.model {
        Some(p) => Some(install_model(&store, p).await?),
        None => None,
    };
    let clearance = Clearance::start(store.clone(), settings)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    // The services `serve` runs around clearance (the combined risk stage
    // with profiles and trader categories, the operations pump), so the
    // lodging path is the production one.
    let _services = if a.core_only {
        None
    } else {
        Some(
            tamga_http::state(clearance.clone())
                .await
                .map_err(|e| format!("cannot start services: {e}"))?,
        )
    };

    let goods_build_seconds = match &a.goods_check {
        Some(_) => {
            let t = Instant::now();
            let model = clearance.goods().model();
            model.start();
            while !model.is_ready() {
                if matches!(model.built(), Err(tamga_app::goods::ModelState::Failed)) {
                    return Err("the HS assistant's model could not be built".into());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Some(round3(t.elapsed().as_secs_f64()))
        }
        None => None,
    };
    let t_prepare = Instant::now();
    let ready = Arc::new(prepare(a.declarations, a.seed, a.xml)?);
    let prepare_seconds = t_prepare.elapsed().as_secs_f64();

    let n = ready.len();
    let mean_body_bytes = ready.iter().map(|r| r.body.len()).sum::<usize>() / n.max(1);
    let (hist, tally, seconds) = lodge_all(&clearance, ready, a.concurrency, a.json).await?;

    let stored = store
        .count_declarations()
        .await
        .map_err(|e| format!("cannot count stored declarations: {e}"))?;
    let backend = store.backend();
    drop(clearance);
    drop(store);

    let accepted = tally.accepted();
    let mut codes: Vec<_> = tally.rejection_codes.into_iter().collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    codes.truncate(10);
    Ok(json!({
        "benchmark": "pipeline",
        "format": if a.xml { "wco-dec-dms-xml" } else { "json" },
        "mean_body_bytes": mean_body_bytes,
        "backend": backend,
        "declarations": n,
        "items_per_declaration": 5,
        "concurrency": a.concurrency,
        "max_batch": max_batch,
        "model_version": model_version,
        "goods_check": a.goods_check,
        "goods_check_build_seconds": goods_build_seconds,
        "seconds": round3(seconds),
        "declarations_per_second": (n as f64 / seconds).round(),
        "p50_ms": quantile_ms(&hist, 0.5),
        "p90_ms": quantile_ms(&hist, 0.9),
        "p99_ms": quantile_ms(&hist, 0.99),
        "max_ms": max_ms(&hist),
        "mean_ms": mean_ms(&hist),
        "accepted": accepted,
        "released": tally.released,
        "under_control": tally.under_control,
        "awaiting_payment": tally.awaiting_payment,
        "other_accepted": tally.other_accepted,
        "replays": tally.replays,
        "rejected": tally.rejected,
        "rejection_codes": codes.into_iter().map(|(c, n)| json!({"code": c, "count": n})).collect::<Vec<_>>(),
        "errors": tally.errors,
        "first_error": tally.first_error,
        "stored": stored,
        "prepare_seconds": round3(prepare_seconds),
    }))
}

/// Lodges every declaration of `ready` with `concurrency` tasks (a
/// progress bar unless `quiet`): the latency histogram, the tally and the
/// seconds it took.
pub(crate) async fn lodge_all(
    clearance: &Arc<Clearance>,
    ready: Arc<Vec<Ready>>,
    concurrency: usize,
    quiet: bool,
) -> Result<(Histogram<u64>, Tally, f64), String> {
    let n = ready.len();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let pb = progress(n as u64, quiet, "lodging");
    let ticker = {
        let (pb, done) = (pb.clone(), done.clone());
        tokio::spawn(async move {
            loop {
                let d = done.load(Ordering::Relaxed);
                pb.set_position(d);
                if d >= n as u64 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(n) {
        let (ready, next, done, clearance) =
            (ready.clone(), next.clone(), done.clone(), clearance.clone());
        tasks.spawn(async move {
            let mut hist = histogram();
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(r) = ready.get(i) else { break };
                let t0 = Instant::now();
                let signed = Signed {
                    body: &r.body,
                    signature: Some(&r.signature),
                    key_id: Some(&r.key_id),
                };
                let result = if r.xml {
                    // The HTTP API's XML path.
                    clearance
                        .lodge_wco(&r.trader, signed)
                        .await
                        .map(|m| m.accepted)
                } else {
                    clearance.lodge(&r.trader, signed).await
                };
                record(&mut hist, t0.elapsed());
                match result {
                    Ok(acc) => {
                        if acc.replay {
                            tally.replays += 1;
                        }
                        match acc.record.state {
                            State::Released => tally.released += 1,
                            State::UnderControl => tally.under_control += 1,
                            State::AwaitingPayment => tally.awaiting_payment += 1,
                            _ => tally.other_accepted += 1,
                        }
                    }
                    Err(AppError::Rejected(v)) => {
                        tally.rejected += 1;
                        for x in v {
                            *tally.rejection_codes.entry(x.code).or_default() += 1;
                        }
                    }
                    Err(e) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            (hist, tally)
        });
    }
    let mut hist = histogram();
    let mut tally = Tally::default();
    while let Some(r) = tasks.join_next().await {
        let (h, t) = r.map_err(|e| format!("a lodging task failed: {e}"))?;
        hist.add(h).map_err(|e| e.to_string())?;
        tally.merge(t);
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = ticker.await;
    pb.finish_and_clear();
    Ok((hist, tally, seconds))
}

fn print_pipeline_text(o: &serde_json::Value) {
    println!(
        "tamga bench pipeline ({} backend, durable commits)",
        o["backend"].as_str().unwrap_or("?")
    );
    println!(
        "  {} declarations x {} items as {} ({} bytes on average), concurrency {}, max batch {}",
        o["declarations"],
        o["items_per_declaration"],
        o["format"].as_str().unwrap_or("?"),
        o["mean_body_bytes"],
        o["concurrency"],
        o["max_batch"]
    );
    if let Some(v) = o["model_version"].as_i64() {
        println!("  every lodging scored by the learning model (version {v})");
    }
    if let Some(g) = o["goods_check"].as_str() {
        println!(
            "  every goods item checked by the HS assistant ({g}; model built in {} s before the run)",
            o["goods_check_build_seconds"]
        );
    }
    println!(
        "  {} s  ->  {} declarations/s",
        o["seconds"], o["declarations_per_second"]
    );
    println!(
        "  lodge latency: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        o["p50_ms"], o["p90_ms"], o["p99_ms"], o["max_ms"]
    );
    println!(
        "  released {}, under control {}, other {}, rejected {}, errors {}",
        o["released"], o["under_control"], o["other_accepted"], o["rejected"], o["errors"]
    );
    println!("  stored {} (accepted {})", o["stored"], o["accepted"]);
}

#[cfg(test)]
mod tests {
    use tamga_core::control::{self, ControlContext, Severity};
    use tamga_core::reference::ReferenceData;

    use super::*;

    #[test]
    fn example_declarations_pass_control_for_every_demo_trader() {
        let reference = ReferenceData::new(&reference_bundle().unwrap());
        for trader in 1..=tamga_app::demo::DEMO_TRADERS {
            for seed in [1, 2, 99] {
                let body = example_declaration(trader, seed, None).unwrap();
                let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let id = Eori::parse(&tamga_app::demo::demo_trader_id(trader - 1)).unwrap();
                assert_eq!(
                    doc.pointer("/declarant/id").and_then(|v| v.as_str()),
                    Some(id.as_str())
                );
                let ctx = ControlContext {
                    reference: &reference,
                    today: today(),
                    lodged_by: &id,
                };
                let report = control::run(&doc, &ctx);
                let errors: Vec<_> = report
                    .violations
                    .iter()
                    .filter(|v| v.severity == Severity::Error)
                    .collect();
                assert!(errors.is_empty(), "trader {trader} seed {seed}: {errors:?}");
                assert!(report.declaration.is_some());
            }
        }
    }

    /// `bench pipeline --xml` lodges the same declarations as its JSON
    /// run, written as DEC-DMS XML and signed over the XML.
    #[test]
    fn xml_bench_bodies_are_the_json_bench_declarations() {
        let json = prepare(16, 3, false).unwrap();
        let xml = prepare(16, 3, true).unwrap();
        let keys: HashMap<Eori, TraderKeys> = demo_keys()
            .unwrap()
            .into_iter()
            .map(|k| (k.id.clone(), k))
            .collect();
        for (j, x) in json.iter().zip(&xml) {
            assert!(x.xml && !j.xml);
            assert_eq!(x.trader, j.trader);
            let m = tamga_messages::read_wco(&x.body, &tamga_messages::Limits::default()).unwrap();
            assert!(m.not_used.is_empty(), "{:?}", m.not_used);
            let from_xml = tamga_messages::to_declaration(&m).unwrap();
            let from_json: tamga_core::declaration::Declaration =
                serde_json::from_slice(&j.body).unwrap();
            assert_eq!(from_xml, from_json);
            let key = keys[&x.trader].key.verifying_key();
            signature::verify(&key, &x.body, &x.signature).expect("signed over the XML");
        }
    }

    #[test]
    fn example_rejects_unknown_traders() {
        assert!(example_declaration(0, 1, None).is_err());
        assert!(example_declaration(10, 1, None).is_err());
        assert!(example_declaration(1, 1, Some("999999")).is_err());
    }

    /// `tamga example --hs CODE` (the README's cigarettes) gives goods the
    /// demo tariff can assess: national code, supplementary unit,
    /// documents.
    #[test]
    fn an_example_with_a_chosen_code_passes_control_and_the_tariff() {
        let reference = ReferenceData::new(&reference_bundle().unwrap());
        let tariff = tamga_app::reference::demo_tariff().unwrap();
        for code in ["240220", "090230", "870323"] {
            let body = example_declaration(2, 1, Some(code)).unwrap();
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let id = Eori::parse(&tamga_app::demo::demo_trader_id(1)).unwrap();
            let ctx = ControlContext {
                reference: &reference,
                today: today(),
                lodged_by: &id,
            };
            let report = control::run(&doc, &ctx);
            let d = report.declaration.expect("passes control");
            assert!(d.items[0].hs_code.as_str().starts_with(code), "{code}");
            tamga_core::tariff::assess_declaration(
                &tariff,
                &d,
                today(),
                &tamga_core::tariff::FullVolume,
            )
            .unwrap_or_else(|e| panic!("{code}: {e:?}"));
        }
    }
}
