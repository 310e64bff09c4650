//! `tamga bench ledger`: the single personal account under load. N
//! declarations each reserve their duties on a trader's cash account and
//! are then debited (as at release), through [`tamga_app::account::Accounts`]
//! (group commit, durable) over a fresh store: SQLite in a temporary
//! directory, or a fresh PostgreSQL database that is dropped afterwards.
//! Afterwards the ledger must be balanced and every balance exact.

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use tamga_app::account::{Accounts, LedgerCurrency, ReserveResult, DEFAULT_MAX_BATCH};
use tamga_core::codes::{CountryCode, Eori, Mrn, MrnCategory};
use tamga_core::ledger::{AccountKind, LedgerOutcome};

use crate::bench::{histogram, max_ms, quantile_ms, record, round3};

#[derive(clap::Args)]
pub struct BenchLedgerArgs {
    /// Declarations to secure and debit (one reservation and one debit each).
    #[arg(long, default_value_t = 20_000)]
    declarations: usize,
    /// Traders whose accounts the declarations are spread over.
    #[arg(long, default_value_t = 8)]
    traders: usize,
    /// Concurrent tasks, each running reserve-then-debit pairs.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Most ledger operations per group commit.
    #[arg(long, default_value_t = DEFAULT_MAX_BATCH)]
    max_batch: usize,
    /// Use a fresh database `tamga_bench_<random>` on this PostgreSQL server
    /// (dropped afterwards) instead of SQLite in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(a: BenchLedgerArgs) -> Result<(), String> {
    if a.declarations == 0 || a.traders == 0 || a.concurrency == 0 || a.max_batch == 0 {
        return Err(
            "--declarations, --traders, --concurrency and --max-batch must be at least 1".into(),
        );
    }
    let (db, url) = crate::bench::Db::create(a.database_url.as_deref()).await?;
    let result = bench_on(&a, &url).await;
    db.cleanup().await;
    let out = result?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "ledger ({}): {} reservations + {} debits in {} s: {} pairs/s; pair latency p50 {} ms, p99 {} ms",
            out["backend"],
            out["declarations"],
            out["declarations"],
            out["elapsed_s"],
            out["reservations_plus_debits_per_second"],
            out["pair_latency_ms"]["p50"],
            out["pair_latency_ms"]["p99"],
        );
    }
    if out["ledger_sound"] != json!(true) || out["balances_exact"] != json!(true) {
        return Err("the ledger is not balanced or a balance is off".into());
    }
    Ok(())
}

/// Duty of declaration `i` in tiyin: varied, exact.
fn duty(i: usize) -> i64 {
    10_000 + (i as i64 * 7_919) % 50_000_000
}

async fn bench_on(a: &BenchLedgerArgs, url: &str) -> Result<serde_json::Value, String> {
    let store = tamga_store::open(url)
        .await
        .map_err(|e| format!("open store: {e}"))?;
    let backend = store.backend();
    let accounts = Accounts::with_max_batch(store.clone(), LedgerCurrency::uzs(), a.max_batch);
    let uzs = accounts.currency().code.clone();

    // Traders with exactly the funds their declarations need.
    let mut needed = vec![0i64; a.traders];
    for i in 0..a.declarations {
        needed[i % a.traders] += duty(i);
    }
    let mut ids = Vec::new();
    for (t, need) in needed.iter().enumerate() {
        let owner = Eori::parse(&format!("UZ{:012}", 900 + t)).map_err(|e| e.message)?;
        let pay = accounts
            .payment_instructions(&owner)
            .await
            .map_err(|e| e.to_string())?;
        accounts
            .deposit(
                &pay.payment_reference,
                &format!("BENCH-{t}"),
                accounts.decimal(*need),
                &uzs,
            )
            .await
            .map_err(|e| e.to_string())?;
        ids.push(
            accounts
                .open(&owner, AccountKind::Cash)
                .await
                .map_err(|e| e.to_string())?
                .id,
        );
    }
    let uz = CountryCode::parse("UZ").map_err(|e| e.message)?;
    let mrns: Vec<Mrn> = (0..a.declarations)
        .map(|i| Mrn::generate(2026, &uz, i as u64, MrnCategory::Import))
        .collect::<Result<_, _>>()
        .map_err(|e| e.message)?;
    let mrns = Arc::new(mrns);
    let ids = Arc::new(ids);

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hists = Arc::new(Mutex::new((histogram(), histogram(), histogram())));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency.min(a.declarations) {
        let (accounts, mrns, ids, next, hists, errors) = (
            accounts.clone(),
            mrns.clone(),
            ids.clone(),
            next.clone(),
            hists.clone(),
            errors.clone(),
        );
        let traders = a.traders;
        tasks.push(tokio::spawn(async move {
            let (mut hp, mut hr, mut hd) = (histogram(), histogram(), histogram());
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= mrns.len() {
                    break;
                }
                let t0 = Instant::now();
                match accounts
                    .reserve_on(ids[i % traders], &mrns[i], duty(i))
                    .await
                {
                    Ok(ReserveResult::Reserved { .. }) => {}
                    other => {
                        errors.lock().await.push(format!("reserve {i}: {other:?}"));
                        continue;
                    }
                }
                let t1 = Instant::now();
                if let Err(e) = accounts.debit(&mrns[i]).await {
                    errors.lock().await.push(format!("debit {i}: {e}"));
                    continue;
                }
                let t2 = Instant::now();
                record(&mut hr, t1 - t0);
                record(&mut hd, t2 - t1);
                record(&mut hp, t2 - t0);
            }
            let mut h = hists.lock().await;
            h.0.add(&hp).ok();
            h.1.add(&hr).ok();
            h.2.add(&hd).ok();
        }));
    }
    for t in tasks {
        t.await.map_err(|e| format!("bench task: {e}"))?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let errors = errors.lock().await.clone();
    let (hp, hr, hd) = &*hists.lock().await;

    // Exactness: every trader at 0, revenue = the sum of all duties.
    let check = store.ledger_check().await.map_err(|e| e.to_string())?;
    let mut exact = errors.is_empty();
    for id in ids.iter() {
        let acct = store
            .ledger_account(*id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("trader account vanished")?;
        exact &= acct.balances.available == 0 && acct.balances.reserved == 0;
    }
    let revenue = store
        .ledger_accounts(None)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|x| x.kind == AccountKind::Revenue)
        .map_or(0, |x| x.balances.available);
    exact &= revenue == needed.iter().sum::<i64>();
    // A late replay must not move money either.
    let replay = store
        .debit_reservation(&mrns[0], OffsetDateTime::now_utc())
        .await
        .map_err(|e| e.to_string())?;
    exact &= matches!(replay, LedgerOutcome::Debited { replay: true, .. });

    let pairs = (a.declarations - errors.len()) as f64;
    Ok(json!({
        "backend": backend,
        "declarations": a.declarations,
        "traders": a.traders,
        "concurrency": a.concurrency,
        "max_batch": a.max_batch,
        "durable_commits": true,
        "elapsed_s": round3(elapsed),
        "reservations_plus_debits_per_second": (pairs / elapsed).round(),
        "ledger_operations_per_second": (2.0 * pairs / elapsed).round(),
        "pair_latency_ms": {"p50": quantile_ms(hp, 0.5), "p99": quantile_ms(hp, 0.99), "max": max_ms(hp)},
        "reserve_latency_ms": {"p50": quantile_ms(hr, 0.5), "p99": quantile_ms(hr, 0.99)},
        "debit_latency_ms": {"p50": quantile_ms(hd, 0.5), "p99": quantile_ms(hd, 0.99)},
        "revenue": accounts.decimal(revenue).to_string(),
        "errors": errors.len(),
        "first_error": errors.first(),
        "ledger_sound": check.is_sound(),
        "ledger_transactions": check.transactions,
        "ledger_entries": check.entries,
        "balances_exact": exact,
    }))
}
