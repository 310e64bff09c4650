//! Writes the training matrix the risk model learns from — the
//! leakage-free features of the inspected rows of `train.csv` and their
//! label — as a CSV file, so that another library (XGBoost, in
//! `bench/xgb_baseline.py`) can be timed on exactly the same numbers.
//!
//! `cargo run --release -p tamga-model --example risk_matrix -- DIR OUT.csv`
//! (DIR holds `train.csv`; missing values are written empty).

use std::io::Write;

use tamga_model::{kcs, Encoder};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: risk_matrix DIR OUT.csv");
        std::process::exit(2)
    };
    let path = format!("{dir}/train.csv");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let records = kcs::read(std::io::BufReader::new(file), true).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let (encoder, data) = Encoder::fit_transform(&records);
    let names = encoder.feature_names();
    let rows = records.len();
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).unwrap_or_else(|e| {
        eprintln!("{out}: {e}");
        std::process::exit(2)
    }));
    let mut line = names.join(",");
    line.push_str(",label\n");
    let mut written = 0;
    let result = (|| -> std::io::Result<()> {
        w.write_all(line.as_bytes())?;
        for (i, r) in records.iter().enumerate() {
            let Some(label) = r.label else { continue };
            line.clear();
            for c in 0..names.len() {
                let v = data[c * rows + i];
                if !v.is_nan() {
                    line.push_str(&v.to_string());
                }
                line.push(',');
            }
            line.push_str(if label { "1\n" } else { "0\n" });
            w.write_all(line.as_bytes())?;
            written += 1;
        }
        w.flush()
    })();
    if let Err(e) = result {
        eprintln!("{out}: {e}");
        std::process::exit(2)
    }
    eprintln!("{out}: {written} rows × {} features", names.len());
}
