//! The risk model's figures on the KCS split: training time, batch
//! scoring rate, single-declaration latency, and the metrics on the
//! validation file.
//!
//! `cargo run --release -p tamga-model --example risk_bench [-- DIR]`
//! (DIR defaults to `../shared/data/risk/kcs`, beside the checkout; it
//! must hold `train.csv` and `valid.csv`). `bench/compare.sh DIR` runs it
//! beside XGBoost on the same training matrix.

use std::time::Instant;

use tamga_model::{evaluate, kcs, train, RiskModel, TrainOptions};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/risk/kcs".to_owned());
    let read = |name: &str| {
        let path = format!("{dir}/{name}");
        let file = std::fs::File::open(&path).unwrap_or_else(|e| {
            eprintln!("{path}: {e}\nThe KCS data is not here: pass the folder holding train.csv and valid.csv.");
            std::process::exit(2)
        });
        kcs::read(std::io::BufReader::new(file), true).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2)
        })
    };
    let (train_rows, valid_rows) = (read("train.csv"), read("valid.csv"));

    let started = Instant::now();
    let model = train(&train_rows, TrainOptions::default()).expect("training");
    let train_s = started.elapsed().as_secs_f64();

    // Batch scoring: the validation rows, repeated to a million.
    let mut batch = Vec::new();
    while batch.len() < 1_000_000 {
        batch.extend_from_slice(&valid_rows);
    }
    let started = Instant::now();
    let scores = model.score(&batch);
    let batch_s = started.elapsed().as_secs_f64();
    assert_eq!(scores.len(), batch.len());

    // One declaration at a time.
    let n = 20_000.min(valid_rows.len());
    let mut lat: Vec<f64> = Vec::with_capacity(n);
    for r in &valid_rows[..n] {
        let t = Instant::now();
        std::hint::black_box(model.score(std::slice::from_ref(r)));
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
    let explain_t = Instant::now();
    for r in &valid_rows[..1000] {
        std::hint::black_box(model.explain(r, 5));
    }
    let explain_us = explain_t.elapsed().as_secs_f64() * 1e6 / 1000.0;

    let labels: Vec<bool> = valid_rows.iter().map(|r| r.label == Some(true)).collect();
    let e = evaluate(&model.score(&valid_rows), &labels, None);
    println!(
        "{}",
        serde_json::json!({
            "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "train": {"rows": train_rows.len(), "trees": model.info.trees, "seconds": train_s},
            "scoring": {
                "batchRows": batch.len(),
                "batchPerSecond": (batch.len() as f64 / batch_s).round(),
                "singleP50us": q(0.5),
                "singleP99us": q(0.99),
                "explainUs": explain_us,
            },
            "valid": e,
        })
    );
}
