//! `tamga bench risk`: the risk-profile engine on one thread.
//!
//! Generates N random profiles: 55 % on goods (HS subheading, heading or
//! prefix, 60 % of them with an origin) with a value-per-kg price
//! indicator, 10 % on chapters with a list of origins, 10 % on origin
//! (preference claimed without certificate, newcomers), 5 % on
//! preferential origin, 8 % on an office, 6 % on an importer, 5 % on the
//! dispatch country, about 1 % with no indexable condition. A tenth of the
//! goods and a quarter of the countries are drawn from what the synthetic
//! traders actually trade (thresholds at 15-60 % of the median price, so
//! they catch undervaluation), the rest from the whole nomenclature and
//! ISO 3166; 3 % are expired and 5 % scoped to an office. Then M synthetic
//! declarations from the simulator's
//! generator (parsed into `RiskSubject`s before timing), checks on a sample
//! that the index gives exactly the hits of a linear scan, then times
//! `ProfileEngine::evaluate` per declaration.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::json;
use time::{Date, OffsetDateTime};

use tamga_core::codes::OfficeCode;
use tamga_core::control::parse_declaration;
use tamga_core::lifecycle::Channel;
use tamga_core::profiles::{
    CompiledProfile, Control, Profile, ProfileEngine, RiskSubject, TraderCategory, TraderContext,
};
use tamga_core::reference::ReferenceBundle;
use tamga_sim::{Generator, GeneratorConfig, DEMO_OFFICE};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchRiskArgs {
    /// Number of active profiles.
    #[arg(long, default_value_t = 10_000)]
    pub profiles: usize,
    /// Number of synthetic declarations evaluated (5 goods items each).
    #[arg(long, default_value_t = 20_000)]
    pub declarations: usize,
    /// Simulated traders lodging the declarations.
    #[arg(long, default_value_t = 100)]
    pub traders: usize,
    /// Seed for declarations and profiles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run with 100, 10,000 and 100,000 profiles (ignores --profiles)
    /// and report the cost growth as ratios.
    #[arg(long)]
    pub scaling: bool,
    /// Instead of timing: the default profile set
    /// (`risk/default-profiles.json`, or --profiles-file) and the combined
    /// channel decision over simulated traffic with injected frauds;
    /// reports the detection rate per fraud kind and the channel shares.
    #[arg(long)]
    pub frauds: bool,
    /// A profile set (JSON array of profiles) for --frauds.
    #[arg(long)]
    pub profiles_file: Option<std::path::PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: BenchRiskArgs) -> Result<(), String> {
    if args.declarations == 0 || args.traders == 0 {
        return Err("--declarations and --traders must be at least 1".into());
    }
    if args.frauds {
        return frauds(&args);
    }
    let day = OffsetDateTime::now_utc().date();
    let reference =
        tamga_app::reference::shipped().map_err(|e| format!("shipped reference data: {e}"))?;
    let subjects = subjects(&args, day, &reference)?;
    let pools = Pools::new(&reference, &subjects);
    let counts = if args.scaling {
        vec![100, 10_000, 100_000]
    } else {
        vec![args.profiles]
    };
    let mut results = Vec::new();
    for n in counts {
        let r = measure(n, &subjects, &pools, day, args.seed)?;
        if !args.json {
            print_text(&r)?;
        }
        results.push(r);
    }
    if args.scaling && !args.json {
        crate::out(format!("cost growth: {}", growth(&results)))?;
    }
    if args.json {
        let v = if args.scaling {
            json!({ "scaling": results, "growth": growth(&results) })
        } else {
            results.pop().unwrap_or_default()
        };
        crate::out(serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?)?;
    }
    Ok(())
}

fn print_text(r: &serde_json::Value) -> Result<(), String> {
    crate::out(format!(
        "{:>7} profiles ({} unindexed, {} keys, built in {} ms): {} declarations/s ({} per CPU second), \
         p50 {} µs, p99 {} µs, {} profiles evaluated and {} hits per declaration; \
         a linear scan: {} declarations/s (verified equal on {})",
        r["profiles"],
        r["unindexed_profiles"],
        r["index_keys"],
        r["build_ms"],
        r["declarations_per_second"],
        r["declarations_per_cpu_second"],
        r["p50_us"],
        r["p99_us"],
        r["mean_candidates"],
        r["mean_hits"],
        r["linear_declarations_per_second"],
        r["verified_declarations"],
    ))
}

/// Generates and parses the declarations, with a trader context and duty
/// rates each.
fn subjects(
    args: &BenchRiskArgs,
    day: Date,
    reference: &ReferenceBundle,
) -> Result<Vec<RiskSubject>, String> {
    let mut cfg = GeneratorConfig::bench(args.traders, day, args.seed);
    cfg.error_share = Some(0.0);
    let mut generator = Generator::new(cfg, reference).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x5249_534b);
    let mut out = Vec::with_capacity(args.declarations);
    while out.len() < args.declarations {
        let s = generator.next();
        if !s.expect.is_valid() {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&s.body)
            .map_err(|e| format!("generated declaration is not JSON: {e}"))?;
        let (Some(d), _) = parse_declaration(&doc) else {
            return Err("a generated declaration does not parse".into());
        };
        let trader = trader_context(&s.trader, &mut rng);
        let rates: Vec<Option<Decimal>> = d
            .items
            .iter()
            .map(|_| Some(Decimal::from(rng.gen_range(0..=20))))
            .collect();
        out.push(RiskSubject::from_declaration(&d, &trader).with_tax_rates(&rates));
    }
    Ok(out)
}

/// A stable context per trader, as the trader profile would give: derived
/// from a hash of its id (so independent of its behaviour in the
/// simulator), 60 % low, 30 % medium, 10 % high, a fifth AEO.
fn trader_context(trader: &tamga_core::codes::Eori, rng: &mut ChaCha8Rng) -> TraderContext {
    let h = trader
        .as_str()
        .bytes()
        .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
    TraderContext {
        category: match h % 10 {
            0..=5 => TraderCategory::Low,
            6..=8 => TraderCategory::Medium,
            _ => TraderCategory::High,
        },
        aeo: h % 5 == 0,
        first_time: rng.gen_bool(0.01),
        days_since_registration: (h % 3000) as i64,
    }
}

/// Values the profile generator draws from: the nomenclature and code
/// lists, and (for a share of the profiles) what is actually traded, with
/// the median price per kg of each traded subheading.
struct Pools {
    hs6: Vec<String>,
    hs4: Vec<String>,
    hs2: Vec<String>,
    /// (HS code, median value per kg of its subheading), one per item.
    traded: Vec<(String, Decimal)>,
    countries: Vec<String>,
    traded_origins: Vec<String>,
    offices: Vec<String>,
    importers: Vec<String>,
}

impl Pools {
    fn new(r: &ReferenceBundle, subjects: &[RiskSubject]) -> Self {
        let level = |n: u8| -> Vec<String> {
            r.hs.iter()
                .filter(|e| e.level == n && e.code.len() == usize::from(n))
                .map(|e| e.code.clone())
                .collect()
        };
        let items: Vec<&tamga_core::profiles::ItemSubject> = subjects
            .iter()
            .flat_map(|s| s.items.iter())
            .take(50_000)
            .collect();
        let mut prices: HashMap<&str, Vec<Decimal>> = HashMap::new();
        for i in &items {
            if let (Some(h), Some(v)) = (i.hs.as_deref(), i.value_per_kg) {
                prices.entry(&h[..6]).or_default().push(v);
            }
        }
        let medians: HashMap<&str, Decimal> = prices
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k, v[v.len() / 2])
            })
            .collect();
        let traded = items
            .iter()
            .filter_map(|i| {
                let h = i.hs.as_deref()?;
                Some((h.to_owned(), *medians.get(&h[..6])?))
            })
            .collect();
        let mut offices: Vec<String> = r
            .offices
            .iter()
            .filter(|o| OfficeCode::parse(&o.code).is_ok())
            .map(|o| o.code.clone())
            .collect();
        offices.push(DEMO_OFFICE.to_owned());
        let mut importers: Vec<String> =
            subjects.iter().filter_map(|s| s.importer.clone()).collect();
        importers.sort();
        importers.dedup();
        Pools {
            hs6: level(6),
            hs4: level(4),
            hs2: level(2),
            traded,
            countries: r.countries.iter().map(|c| c.code.clone()).collect(),
            traded_origins: items.iter().filter_map(|i| i.origin.clone()).collect(),
            offices,
            importers,
        }
    }
}

fn pick<'a>(r: &mut ChaCha8Rng, xs: &'a [String]) -> &'a str {
    &xs[r.gen_range(0..xs.len())]
}

/// A price threshold, log-uniform between 0.1 and 200.
fn any_threshold(r: &mut ChaCha8Rng) -> Decimal {
    let x = 10f64.powf(r.gen_range(-1.0f64..2.3));
    Decimal::from_f64_retain(x)
        .unwrap_or(Decimal::ONE)
        .round_dp(2)
}

/// An HS code at `digits` digits and a value-per-kg threshold for it: a
/// tenth from traded goods, with a threshold at 15-60 % of their median
/// price (a price indicator catching undervaluation), the rest from the
/// whole nomenclature.
fn goods(r: &mut ChaCha8Rng, p: &Pools, digits: usize) -> (String, Decimal) {
    if r.gen_bool(0.10) && !p.traded.is_empty() {
        let (code, median) = &p.traded[r.gen_range(0..p.traded.len())];
        let share = Decimal::from_f64_retain(r.gen_range(0.15..0.6)).unwrap_or(Decimal::ONE);
        return (code[..digits].to_owned(), (median * share).round_dp(2));
    }
    let pool = match digits {
        2 => &p.hs2,
        4 => &p.hs4,
        _ => &p.hs6,
    };
    (pick(r, pool)[..digits].to_owned(), any_threshold(r))
}

/// A country: a quarter from traded origins, the rest from ISO 3166.
fn origin(r: &mut ChaCha8Rng, p: &Pools) -> String {
    if r.gen_bool(0.25) {
        pick(r, &p.traded_origins).to_owned()
    } else {
        pick(r, &p.countries).to_owned()
    }
}

fn extra(r: &mut ChaCha8Rng) -> &'static str {
    [
        "",
        "",
        " and not trader.aeo",
        " and trader.category == \"high\"",
        " and trader.days_since_registration < 365",
        " and tax_rate >= 10",
        " and not has_document(\"C505\")",
    ][r.gen_range(0..7)]
}

/// One profile expression; the mix is in the module docs.
fn random_expression(r: &mut ChaCha8Rng, p: &Pools) -> (&'static str, String) {
    let roll = r.gen_range(0..1000);
    let x = extra(r);
    let kind = match roll {
        0..=549 => "goods",
        550..=649 => "chapter",
        650..=749 => "origin",
        750..=799 => "preferential_origin",
        800..=879 => "office",
        880..=939 => "importer",
        940..=989 => "dispatch_country",
        _ => "unanchored",
    };
    let expr = match roll {
        // Goods: subheadings or headings, often with an origin, with a
        // price indicator.
        0..=549 => {
            let (cond, t) = match r.gen_range(0..4) {
                0 => {
                    let (a, t) = goods(r, p, 6);
                    let (b, _) = goods(r, p, 6);
                    (format!("hs6 in [\"{a}\", \"{b}\"]"), t)
                }
                1 => {
                    let (a, t) = goods(r, p, 6);
                    (format!("hs6 == \"{a}\""), t)
                }
                2 => {
                    let (a, t) = goods(r, p, 4);
                    (format!("hs4 == \"{a}\""), t)
                }
                _ => {
                    let digits = [4, 5, 6, 6][r.gen_range(0..4)];
                    let (a, t) = goods(r, p, digits);
                    (format!("hs starts_with \"{a}\""), t)
                }
            };
            if r.gen_bool(0.6) {
                format!("{cond} and origin == \"{}\" and value_per_kg < {t}{x}", origin(r, p))
            } else {
                format!("{cond} and value_per_kg < {t}{x}")
            }
        }
        // Chapters with a list of origins.
        550..=649 => {
            let (chapter, t) = goods(r, p, 2);
            format!(
                "hs2 == \"{chapter}\" and origin in [\"{}\", \"{}\"] and value_per_kg < {t}{x}",
                origin(r, p),
                origin(r, p)
            )
        }
        // Origin: false-origin and newcomer profiles.
        650..=749 => match r.gen_range(0..2) {
            0 => format!(
                "origin == \"{}\" and preferential_claimed and not has_document(\"C505\")",
                origin(r, p)
            ),
            _ => format!(
                "origin == \"{}\" and trader.first_time and customs_value > {}",
                origin(r, p),
                any_threshold(r) * Decimal::from(100)
            ),
        },
        // Preferential origin claimed.
        750..=799 => format!(
            "preferential_origin == \"{}\" and (value_per_kg < {} or trader.days_since_registration < 90)",
            origin(r, p),
            any_threshold(r)
        ),
        // Office.
        800..=879 => {
            let office = pick(r, &p.offices).to_owned();
            format!(
                "office == \"{office}\" and trader.first_time and customs_value > {}",
                any_threshold(r) * Decimal::from(1000)
            )
        }
        // Importer.
        880..=939 => {
            let importer = if r.gen_bool(0.3) && !p.importers.is_empty() {
                pick(r, &p.importers).to_owned()
            } else {
                format!("UZ{:012}", r.gen_range(1_000..1_000_000))
            };
            format!(
                "importer == \"{importer}\" and value_per_kg < {}",
                any_threshold(r) / Decimal::from(10)
            )
        }
        // Dispatch country with transport mode.
        940..=989 => format!(
            "dispatch_country == \"{}\" and transport_mode in [\"road\", \"rail\"] and value_per_kg < {}",
            origin(r, p),
            any_threshold(r) / Decimal::from(20)
        ),
        // About 1 %: no indexable condition.
        _ => match r.gen_range(0..3) {
            0 => format!(
                "value_per_kg < {} and (trader.first_time or trader.category == \"high\")",
                any_threshold(r) / Decimal::from(100)
            ),
            1 => format!(
                "customs_value > {} and not trader.aeo",
                any_threshold(r) * Decimal::from(1_000_000)
            ),
            _ => format!(
                "(origin == \"{}\" or dispatch_country == \"{}\") and value_per_kg < {}",
                origin(r, p),
                origin(r, p),
                any_threshold(r) / Decimal::from(10)
            ),
        },
    };
    (kind, expr)
}

fn random_profiles(
    n: usize,
    p: &Pools,
    day: Date,
    seed: u64,
) -> Result<Vec<CompiledProfile>, String> {
    let mut r = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9) ^ n as u64);
    let start =
        Date::from_calendar_date(2020, time::Month::January, 1).map_err(|e| e.to_string())?;
    let controls = [
        Control::DocumentaryCheck,
        Control::PhysicalInspection,
        Control::NonIntrusiveScan,
        Control::LaboratorySample,
    ];
    let mut out = Vec::with_capacity(n);
    let mut refused = 0;
    while out.len() < n {
        let i = out.len();
        let (kind, expression) = random_expression(&mut r, p);
        let profile = Profile {
            id: format!("RP{i:06}"),
            version: 1,
            rationale: kind.into(),
            expression,
            valid_from: start,
            // 3 % expired, kept in the set: the date filter must skip them.
            valid_to: r.gen_bool(0.03).then(|| day - time::Duration::days(1)),
            offices: if r.gen_bool(0.05) {
                vec![OfficeCode::parse(pick(&mut r, &p.offices)).map_err(|e| e.message)?]
            } else {
                vec![]
            },
            priority: r.gen_range(0..10),
            control: controls[r.gen_range(0..4)],
            channel: if r.gen_bool(0.3) {
                Channel::Red
            } else {
                Channel::Yellow
            },
        };
        match CompiledProfile::compile(profile) {
            Ok(c) => out.push(c),
            Err(e) => {
                refused += 1;
                if refused > n / 10 + 10 {
                    return Err(format!("generated profiles are refused: {e}"));
                }
            }
        }
    }
    Ok(out)
}

fn measure(
    n: usize,
    subjects: &[RiskSubject],
    pools: &Pools,
    day: Date,
    seed: u64,
) -> Result<serde_json::Value, String> {
    let profiles = random_profiles(n, pools, day, seed)?;
    let t_build = Instant::now();
    let engine = ProfileEngine::new(profiles).map_err(|e| e.to_string())?;
    let build_ms = t_build.elapsed().as_secs_f64() * 1000.0;
    let stats = engine.stats();

    // The index must give exactly what evaluating every profile gives.
    let verify = subjects.len().min(if n > 20_000 { 100 } else { 500 });
    let mut linear_secs = 0.0;
    for (i, s) in subjects[..verify].iter().enumerate() {
        let t0 = Instant::now();
        let linear = engine.evaluate_linear(s, day);
        linear_secs += t0.elapsed().as_secs_f64();
        if engine.evaluate(s, day) != linear {
            return Err(format!("declaration {i}: indexed and linear hits differ"));
        }
    }
    // Warm up.
    for s in subjects.iter().take(1000) {
        black_box(engine.evaluate(s, day));
    }

    let mut h: Histogram<u64> =
        Histogram::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    let (mut hits, mut candidates, mut with_hits) = (0usize, 0usize, 0usize);
    let cpu0 = thread_cpu_ns();
    let t = Instant::now();
    for s in subjects {
        let t0 = Instant::now();
        let (found, c) = engine.evaluate_counting(s, day);
        h.saturating_record((t0.elapsed().as_nanos() as u64).max(1));
        hits += found.len();
        with_hits += usize::from(!found.is_empty());
        candidates += c;
        black_box(found);
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu_secs = thread_cpu_ns()
        .zip(cpu0)
        .map(|(b, a)| b.saturating_sub(a) as f64 / 1e9);
    // Which kinds of profile hit (the rationale holds the kind).
    let kind: HashMap<&str, &str> = engine
        .profiles()
        .iter()
        .map(|p| (p.profile.id.as_str(), p.profile.rationale.as_str()))
        .collect();
    let mut by_kind: std::collections::BTreeMap<&str, f64> = Default::default();
    for s in subjects {
        for h in engine.evaluate(s, day) {
            *by_kind.entry(kind[h.profile_id.as_str()]).or_default() += 1.0;
        }
    }
    by_kind
        .values_mut()
        .for_each(|v| *v = (*v / subjects.len() as f64 * 1000.0).round() / 1000.0);
    let m = subjects.len() as f64;
    let us = |q: f64| (h.value_at_quantile(q) as f64 / 10.0).round() / 100.0;
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    Ok(json!({
        "profiles": stats.profiles,
        "indexed_profiles": stats.indexed,
        "unindexed_profiles": stats.unindexed,
        "index_keys": stats.keys,
        "build_ms": r2(build_ms),
        "declarations": subjects.len(),
        "items_per_declaration": r2(subjects.iter().map(|s| s.items.len()).sum::<usize>() as f64 / m),
        "threads": 1,
        "seconds": r2(secs),
        "declarations_per_second": (m / secs).round() as u64,
        // Evaluating every profile instead (on the verification sample).
        "linear_declarations_per_second": (verify as f64 / linear_secs.max(1e-9)).round() as u64,
        "cpu_seconds": cpu_secs.map(r2),
        "declarations_per_cpu_second": cpu_secs
            .filter(|c| *c > 0.0)
            .map(|c| (m / c).round() as u64),
        "mean_hits": r2(hits as f64 / m),
        "share_with_hits": r2(with_hits as f64 / m),
        "mean_hits_by_profile_kind": by_kind,
        "mean_candidates": r2(candidates as f64 / m),
        // Share of the profiles the index let through to evaluation.
        "evaluated_share": ((candidates as f64 / m / stats.profiles.max(1) as f64) * 10_000.0).round() / 10_000.0,
        "p50_us": us(0.5),
        "p99_us": us(0.99),
        "max_us": (h.max() as f64 / 10.0).round() / 100.0,
        "verified_declarations": verify,
    }))
}

/// CPU time this thread has run, in ns (Linux schedstat), so that a busy
/// shared machine does not hide the engine's own cost.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Cost growth over the scaling runs: per-declaration time and evaluated
/// profiles relative to the smallest run, against the growth in profiles.
fn growth(results: &[serde_json::Value]) -> serde_json::Value {
    let Some(base) = results.first() else {
        return json!({});
    };
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            json!({
                "profiles": r["profiles"],
                "profiles_ratio": r2(f(r, "profiles") / f(base, "profiles").max(1.0)),
                // Time per declaration relative to the smallest set.
                "cost_ratio": r2(f(base, "declarations_per_second") / f(r, "declarations_per_second").max(1.0)),
                "cpu_cost_ratio": r2(f(base, "declarations_per_cpu_second") / f(r, "declarations_per_cpu_second").max(1.0)),
                "evaluated_profiles_ratio": r2(f(r, "mean_candidates") / f(base, "mean_candidates").max(1e-9)),
                "declarations_per_second": r["declarations_per_second"],
            })
        })
        .collect();
    json!(rows)
}

/// The default profile set shipped in the repository.
const DEFAULT_PROFILES: &str = include_str!("../../../risk/default-profiles.json");

#[derive(Default, serde::Serialize)]
struct Detection {
    declarations: u64,
    /// Sent to yellow or red.
    controlled: u64,
    /// Hit by at least one profile (before category and random selection).
    profile_hit: u64,
    rate: f64,
    profile_hit_rate: f64,
}

impl Detection {
    fn add(&mut self, controlled: bool, hit: bool) {
        self.declarations += 1;
        self.controlled += u64::from(controlled);
        self.profile_hit += u64::from(hit);
    }
    fn finish(&mut self) {
        let n = self.declarations.max(1) as f64;
        self.rate = (self.controlled as f64 / n * 10_000.0).round() / 10_000.0;
        self.profile_hit_rate = (self.profile_hit as f64 / n * 10_000.0).round() / 10_000.0;
    }
}

/// `--frauds`: detection rate per fraud kind and channel shares with the
/// default profile set, the default channel policy and the default random
/// selection, over simulated traffic with the generator's frauds.
fn frauds(args: &BenchRiskArgs) -> Result<(), String> {
    use tamga_core::channel::{self, ChannelPolicy, Draws, Inputs};
    use tamga_core::codes::{CountryCode, Mrn, MrnCategory};
    use tamga_core::risk::RandomSelection;
    use tamga_sim::FraudKind;

    let day = OffsetDateTime::now_utc().date();
    let reference =
        tamga_app::reference::shipped().map_err(|e| format!("shipped reference data: {e}"))?;
    let (source, text) = match &args.profiles_file {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        ),
        None => (
            "risk/default-profiles.json".to_owned(),
            DEFAULT_PROFILES.to_owned(),
        ),
    };
    let profiles: Vec<Profile> =
        serde_json::from_str(&text).map_err(|e| format!("{source}: {e}"))?;
    let engine = ProfileEngine::compile(profiles).map_err(|errors| {
        errors
            .iter()
            .map(|(id, e)| format!("{source}: profile {id}: {e}"))
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let random = RandomSelection::default();
    // A fixed draw key: the bench is reproducible run to run.
    let key = tamga_core::risk::DrawKey::default();
    let policy = ChannelPolicy::default();
    let uz = CountryCode::parse("UZ").map_err(|e| e.message)?;

    let mut cfg = GeneratorConfig::demo(args.traders, day, args.seed);
    cfg.error_share = Some(0.0);
    cfg.frauds = true;
    let mut generator = Generator::new(cfg, &reference).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ 0x4652_4155);
    let mut by_kind: std::collections::BTreeMap<&str, Detection> = Default::default();
    let mut honest = Detection::default();
    let mut all_frauds = Detection::default();
    let mut channels: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut blue = 0u64;
    let mut by_profile: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut n = 0u64;
    let t = Instant::now();
    while n < args.declarations as u64 {
        let s = generator.next();
        if !s.expect.is_valid() {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&s.body)
            .map_err(|e| format!("generated declaration is not JSON: {e}"))?;
        let (Some(d), _) = parse_declaration(&doc) else {
            return Err("a generated declaration does not parse".into());
        };
        n += 1;
        let trader = trader_context(&s.trader, &mut rng);
        let subject = RiskSubject::from_declaration(&d, &trader);
        let hits = engine.evaluate(&subject, day);
        let mrn = Mrn::generate(day.year(), &uz, n, MrnCategory::Import).map_err(|e| e.message)?;
        let hit = hits.iter().any(|h| h.channel != Channel::Green);
        for h in &hits {
            let e = by_profile.entry(h.profile_id.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(s.fraud.is_some());
        }
        let decision = channel::decide(
            Inputs {
                criteria_hits: Vec::new(),
                profile_hits: hits,
                trader: &trader,
                model_score: None,
                model: None,
                model_fallback: None,
                exploration: None,
                preliminary: None,
                draws: Some(Draws {
                    random: &random,
                    secret_id: Some(key.id),
                    draw: random.draw(&key, &mrn),
                    blue_draw: key.draw(tamga_core::risk::PURPOSE_BLUE, random.seed, mrn.as_str()),
                    salt: Some(key.salt(random.seed, mrn.as_str())),
                }),
            },
            &policy,
        );
        *channels.entry(decision.channel.as_str()).or_default() += 1;
        blue += u64::from(decision.combined.blue);
        let controlled = decision.channel != Channel::Green;
        match s.fraud {
            Some(k) => {
                by_kind.entry(k.as_str()).or_default().add(controlled, hit);
                all_frauds.add(controlled, hit);
            }
            None => honest.add(controlled, hit),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    for k in FraudKind::ALL {
        by_kind.entry(k.as_str()).or_default();
    }
    by_kind.values_mut().for_each(Detection::finish);
    honest.finish();
    all_frauds.finish();
    let share = |x: u64| (x as f64 / n.max(1) as f64 * 10_000.0).round() / 10_000.0;
    let controlled = n - channels.get("green").copied().unwrap_or(0);
    let precision = if controlled == 0 {
        0.0
    } else {
        (all_frauds.controlled as f64 / controlled as f64 * 10_000.0).round() / 10_000.0
    };
    let v = json!({
        "profile_set": source,
        "profiles": engine.profiles().len(),
        "declarations": n,
        "traders": args.traders,
        "seed": args.seed,
        "fraud_share": share(all_frauds.declarations),
        "channel_shares": {
            "green": share(channels.get("green").copied().unwrap_or(0)),
            "yellow": share(channels.get("yellow").copied().unwrap_or(0)),
            "red": share(channels.get("red").copied().unwrap_or(0)),
            "blue_of_all": share(blue),
        },
        "controlled_share": share(controlled),
        "detection_by_fraud_kind": by_kind,
        "all_frauds": all_frauds,
        "honest_declarations": honest,
        // Share of frauds among the declarations sent to control.
        "precision": precision,
        "hits_by_profile": by_profile
            .iter()
            .map(|(id, (h, f))| (id.clone(), json!({"hits": h, "on_frauds": f})))
            .collect::<serde_json::Map<_, _>>(),
        "random_selection": {"yellow_rate": random.yellow_rate.to_string(), "red_rate": random.red_rate.to_string()},
        "seconds": (secs * 100.0).round() / 100.0,
    });
    if args.json {
        crate::out(serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?)
    } else {
        let mut lines = vec![format!(
            "{} declarations ({} frauds) with {} profiles from {source}: green {}, yellow {}, red {}, blue {} of all; {} controlled",
            n,
            all_frauds.declarations,
            engine.profiles().len(),
            v["channel_shares"]["green"],
            v["channel_shares"]["yellow"],
            v["channel_shares"]["red"],
            v["channel_shares"]["blue_of_all"],
            v["controlled_share"],
        )];
        for (k, d) in &by_kind {
            lines.push(format!(
                "  {k}: {} of {} sent to control ({}), {} hit by a profile",
                d.controlled, d.declarations, d.rate, d.profile_hit_rate
            ));
        }
        lines.push(format!(
            "  honest declarations sent to control: {}; frauds among the controlled: {precision}",
            honest.rate
        ));
        crate::out(lines.join("\n"))
    }
}
