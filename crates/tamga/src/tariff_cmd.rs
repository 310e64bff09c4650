//! `tamga tariff import|reference-cases` and `tamga bench duties`: the
//! command-line side of the tariff engine (`tamga_core::tariff`). The
//! engine is pure; reading files, progress bars and timing live here.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use tamga_core::tariff::{self, ConditionTest, ItemInput, Quantity, Tariff};
use time::macros::date;
use time::Date;

#[derive(clap::Subcommand, Debug)]
pub enum TariffCommand {
    /// Validate a tariff file (format: tariff/README.md), print what it
    /// holds (or every error with its JSON pointer and stable code) and
    /// store it as the current tariff. A running server uses it after a
    /// restart; `PUT /api/v1/tariff` switches a running one at once.
    Import {
        /// The tariff JSON file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Only validate; store nothing.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Run duty reference cases (the format of
    /// uk_duty_calculator_reference_cases.json) through tamga's engine.
    ReferenceCases {
        /// The reference-case JSON file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: TariffCommand) -> Result<(), String> {
    match cmd {
        TariffCommand::Import {
            file,
            json,
            check,
            db,
        } => import(&file, json, (!check).then_some(&db)).await,
        TariffCommand::ReferenceCases { file, json } => reference_cases(&file, json),
    }
}

/// Stores a validated tariff in the database `db` names.
async fn store_tariff(db: &crate::DbArgs, name: &str, text: &str) -> Result<(i64, bool), String> {
    if db.database_url.is_none() {
        std::fs::create_dir_all(&db.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", db.data_dir.display()))?;
    }
    let store = tamga_store::open(&db.url())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    store
        .put_tariff(name, text, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| format!("cannot store the tariff: {e}"))
}

fn read(file: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

async fn import(file: &PathBuf, json: bool, db: Option<&crate::DbArgs>) -> Result<(), String> {
    let text = read(file)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} measures")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message("validating");
    // Small files load in milliseconds: only draw for large ones.
    if json || text.len() < 4 << 20 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let result = tariff::load_with_progress(&text, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    match result {
        Ok(t) => {
            let s = t.summary();
            let stored = match db {
                Some(db) => Some(store_tariff(db, &t.name, &text).await?),
                None => None,
            };
            if json {
                let v = serde_json::json!({"file": file.display().to_string(), "ok": true, "summary": s, "errors": [],
                    "stored": stored.map(|(id, new)| serde_json::json!({"id": id, "new": new}))});
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
                );
            } else {
                println!("{}: OK ({})", file.display(), s.name);
                println!("  national currency   {}", s.national_currency);
                println!("  currencies          {}", s.currencies);
                println!("  goods codes         {}", s.goods_codes);
                println!("  geographical areas  {}", s.geographical_areas);
                println!("  measure types       {}", s.measure_types);
                println!("  additional codes    {}", s.additional_codes);
                println!("  quotas              {}", s.quotas);
                println!("  exchange rates      {}", s.exchange_rates);
                println!("  measures            {}", s.measures);
                for (k, n) in &s.measures_by_kind {
                    println!(
                        "    {:<20} {n}",
                        serde_json::to_value(k)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    );
                }
                match stored {
                    Some((id, true)) => {
                        println!("stored as tariff {id}: the current tariff from the next start")
                    }
                    Some((id, false)) => {
                        println!("already stored as tariff {id}: made current again")
                    }
                    None => println!("(--check: validated only, nothing stored)"),
                }
            }
            Ok(())
        }
        Err(errors) => {
            if json {
                let v = serde_json::json!({"file": file.display().to_string(), "ok": false, "errors": errors});
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
                );
            } else {
                for e in &errors {
                    println!(
                        "{} {} {}",
                        e.code,
                        if e.pointer.is_empty() {
                            "/"
                        } else {
                            &e.pointer
                        },
                        e.message
                    );
                }
            }
            Err(format!("{}: {} error(s)", file.display(), errors.len()))
        }
    }
}

fn reference_cases(file: &PathBuf, json: bool) -> Result<(), String> {
    let report = tariff::reference_cases::run(&read(file)?)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        for c in &report.cases {
            let status = serde_json::to_value(c.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            println!("{status:<16} {}", c.id);
            for ch in &c.checks {
                println!(
                    "    {} {:<28} computed {:<14} expected {}",
                    if ch.ok { "ok  " } else { "FAIL" },
                    ch.what,
                    ch.computed,
                    ch.expected
                );
            }
            if let Some(r) = &c.reason {
                println!("    {r}");
            }
        }
        println!(
            "passed {}, failed {}, not applicable {}",
            report.passed, report.failed, report.not_applicable
        );
    }
    if report.failed > 0 {
        Err(format!("{} reference case(s) failed", report.failed))
    } else {
        Ok(())
    }
}

#[derive(clap::Args, Debug)]
pub struct BenchDutiesArgs {
    /// Goods items to assess.
    #[arg(long, default_value_t = 1_000_000)]
    pub items: usize,
    /// Distinct generated items cycled through.
    #[arg(long, default_value_t = 4096)]
    pub distinct: usize,
    /// Tariff file (default: the shipped demo tariff).
    #[arg(long)]
    pub tariff: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Acceptance date of the generated items (the demo tariff has rates for
/// 2025-2026).
const BENCH_DATE: Date = date!(2026 - 03 - 15);

/// Deterministic items from the tariff's own goods codes, origins and
/// units: every goods code valid on the date, a rotating origin, value,
/// currency, the quantities its measures can ask for, and (for half of
/// them) the documents its conditions name.
fn generate(t: &Tariff, n: usize) -> Vec<ItemInput> {
    let mut codes: Vec<&str> = t
        .goods_codes()
        .filter(|g| g.validity.contains(BENCH_DATE))
        .map(|g| g.code.as_str())
        .collect();
    codes.sort_unstable();
    let mut origins: Vec<&str> = t
        .areas
        .values()
        .filter(|a| !a.group)
        .map(|a| a.id.as_str())
        .collect();
    origins.sort_unstable();
    let mut currencies: Vec<&str> = t
        .currencies
        .keys()
        .filter(|c| *c == &t.national_currency || t.rate_on(c, BENCH_DATE).is_some())
        .map(String::as_str)
        .collect();
    currencies.sort_unstable();
    let mut docs: Vec<String> = t
        .measures
        .iter()
        .flat_map(|m| m.conditions.iter())
        .filter_map(|c| match &c.test {
            ConditionTest::Document(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    docs.sort_unstable();
    docs.dedup();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let code = codes[i % codes.len()];
            let origin = origins[(next() % origins.len() as u64) as usize];
            let cur = currencies[(next() % currencies.len() as u64) as usize];
            let minor = t.currencies.get(cur).copied().unwrap_or(2);
            let value = Decimal::new((next() % 5_000_000 + 100) as i64 * 10i64.pow(minor), minor);
            let kg = Decimal::from(next() % 20_000 + 1);
            let items = Decimal::from(next() % 5_000 + 1);
            let mut quantities = vec![
                Quantity::new("KGM", kg),
                Quantity::new("NAR", items),
                Quantity::new("LTR", Decimal::from(next() % 10_000 + 1)),
                Quantity::new("ASV", Decimal::from(next() % 60 + 4)),
                Quantity::new("LPA", Decimal::from(next() % 3_000 + 1)),
                Quantity::new("BRX", Decimal::from(next() % 100)),
                Quantity::new("RET", Decimal::from(next() % 50_000_000)),
            ];
            if next() % 4 == 0 {
                quantities.truncate(2);
            }
            let documents = if next() % 2 == 0 {
                docs.clone()
            } else {
                vec![]
            };
            let additional_code =
                (code.starts_with("7208") && next() % 3 == 0).then(|| "C001".to_string());
            ItemInput {
                goods_code: code.to_string(),
                origin: origin.to_string(),
                preferential_origin: None,
                customs_value: value,
                currency: cur.to_string(),
                quantities,
                date: BENCH_DATE,
                additional_code,
                documents,
            }
        })
        .collect()
}

pub fn bench_duties(args: BenchDutiesArgs) -> Result<(), String> {
    let text = match &args.tariff {
        Some(f) => read(f)?,
        None => tariff::DEMO_TARIFF_JSON.to_string(),
    };
    let t = tariff::load(&text).map_err(|e| {
        format!(
            "tariff does not load: {} error(s), first {:?}",
            e.len(),
            e.first()
        )
    })?;
    let inputs = generate(&t, args.distinct.max(1));
    let quotas = tariff::FullVolume;
    // warm-up
    for i in inputs.iter().take(10_000) {
        let _ = tariff::assess_item(&t, i, &quotas);
    }
    let mut h =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
    let (mut ok, mut err) = (0u64, 0u64);
    let mut by_code: std::collections::BTreeMap<&'static str, u64> = Default::default();
    let bar = ProgressBar::new(args.items as u64);
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let start = Instant::now();
    for n in 0..args.items {
        let input = &inputs[n % inputs.len()];
        let t0 = Instant::now();
        let r = tariff::assess_item(&t, input, &quotas);
        let dt = t0.elapsed();
        match r {
            Ok(a) => {
                ok += 1;
                std::hint::black_box(a);
            }
            Err(e) => {
                err += 1;
                *by_code.entry(e.code).or_default() += 1;
            }
        }
        let _ = h.record(dt.as_nanos().max(1) as u64);
        if n % 65_536 == 0 {
            bar.set_position(n as u64);
        }
    }
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let ips = args.items as f64 / elapsed.max(Duration::from_nanos(1)).as_secs_f64();
    let v = serde_json::json!({
        "bench": "duties",
        "items": args.items,
        "distinct_items": inputs.len(),
        "threads": 1,
        "assessed": ok,
        "refused": err,
        "refused_by_code": by_code,
        "elapsed_seconds": elapsed.as_secs_f64(),
        "items_per_second": ips.round(),
        "p50_us": us(0.50),
        "p99_us": us(0.99),
        "max_us": h.max() as f64 / 1000.0,
        "tariff_measures": t.measures.len(),
        "tariff_goods_codes": t.summary().goods_codes,
        "date": BENCH_DATE.to_string(),
        "target_items_per_second": 100_000,
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "duties: {} items in {:.3} s = {:.0} items/s (1 thread); p50 {:.2} us, p99 {:.2} us; {} assessed, {} refused {:?}",
            args.items, elapsed.as_secs_f64(), ips, us(0.5), us(0.99), ok, err, by_code
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_items_assess_and_the_bench_runs() {
        let t = tariff::load(tariff::DEMO_TARIFF_JSON).unwrap();
        let items = generate(&t, 500);
        let ok = items
            .iter()
            .filter(|i| tariff::assess_item(&t, i, &tariff::FullVolume).is_ok())
            .count();
        assert!(ok > 250, "{ok}");
    }
}
