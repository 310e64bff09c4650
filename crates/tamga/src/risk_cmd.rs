//! `tamga risk train|score|evaluate|simulate`: the learning risk model
//! (`tamga_model`) from the command line, on CSV files in the public Korea
//! Customs Service format or (training) on tamga's own inspected
//! declarations in its database. Reading files, progress and output live here;
//! the model crate reads from a reader and does no IO of its own.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tamga_model::{evaluate, kcs, train, GbdtModel, Record, RiskModel, TrainOptions};

mod simulate;

#[derive(clap::Subcommand, Debug)]
pub enum RiskCommand {
    /// Train a model on inspected declarations and write it to a file:
    /// CSV files in the KCS format (`Fraud` is the label), or tamga's own
    /// declarations with their recorded control results (`--data-dir` or
    /// `--database-url`).
    Train {
        /// A KCS-format CSV file; repeat for several.
        #[arg(long = "csv", required_unless_present_any = ["data_dir", "database_url"], conflicts_with_all = ["data_dir", "database_url"])]
        csv: Vec<PathBuf>,
        /// tamga's embedded database in this directory.
        #[arg(long, conflicts_with = "database_url")]
        data_dir: Option<PathBuf>,
        /// tamga's PostgreSQL database.
        #[arg(long)]
        database_url: Option<String>,
        /// Where to write the model.
        #[arg(long)]
        out: PathBuf,
        /// Seed: the same data and seed give the same model, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Trees.
        #[arg(long, default_value_t = TrainOptions::default().trees)]
        trees: usize,
        /// Print the model's summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score every row of a CSV file: `<id column>,score` per row, in order.
    Score {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        csv: PathBuf,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Score a labelled CSV file and print AUC and precision, recall and
    /// revenue caught when the top 1, 2, 5 and 10 % are inspected.
    Evaluate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        csv: PathBuf,
        /// Print exactly the JSON document (no text).
        #[arg(long)]
        json: bool,
    },
    /// Replay labelled CSV files week by week under an inspection budget:
    /// only what a strategy inspects reveals its label, the model retrains
    /// on that, and the frauds (and revenue) caught per week are compared
    /// for exploit-only and the exploration strategies.
    Simulate(simulate::SimulateArgs),
}

pub fn run(cmd: RiskCommand) -> Result<(), String> {
    match cmd {
        RiskCommand::Train {
            csv,
            data_dir,
            database_url,
            out,
            seed,
            trees,
            json,
        } => {
            let source = match (data_dir, database_url) {
                (_, Some(url)) => Source::Database(url),
                (Some(dir), None) => {
                    let db = dir.join("tamga.db");
                    if !db.exists() {
                        return Err(format!("no tamga database in {}", dir.display()));
                    }
                    Source::Database(db.display().to_string())
                }
                (None, None) => Source::Csv(csv),
            };
            train_cmd(&source, &out, seed, trees, json)
        }
        RiskCommand::Score { model, csv, out } => score_cmd(&model, &csv, out.as_deref()),
        RiskCommand::Evaluate { model, csv, json } => evaluate_cmd(&model, &csv, json),
        RiskCommand::Simulate(args) => simulate::run(args),
    }
}

fn spinner(hidden: bool) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    if hidden {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
    }
    bar
}

fn read_csv(path: &Path, need_label: bool) -> Result<Vec<Record>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    kcs::read(std::io::BufReader::new(file), need_label)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn load_model(path: &Path) -> Result<GbdtModel, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    GbdtModel::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where training reads inspected declarations.
enum Source {
    Csv(Vec<PathBuf>),
    /// tamga's own database (a SQLite path or a PostgreSQL URL).
    Database(String),
}

/// tamga's inspected declarations with their outcomes, one record per
/// goods item (`tamga_app::risk_admin::model::training`).
fn read_database(url: &str, bar: &ProgressBar) -> Result<Vec<Record>, String> {
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(async {
            let store = tamga_store::open(url)
                .await
                .map_err(|e| format!("cannot open the database: {e}"))?;
            tamga_app::risk_admin::model::training::labelled_records(store.as_ref(), |n| {
                bar.set_message(format!("read {n} inspected declarations"))
            })
            .await
            .map_err(|e| e.to_string())
        })
    })
}

fn train_cmd(
    source: &Source,
    out: &Path,
    seed: u64,
    trees: usize,
    json: bool,
) -> Result<(), String> {
    let bar = spinner(json);
    let started = Instant::now();
    let mut records = Vec::new();
    match source {
        Source::Csv(files) => {
            for f in files {
                bar.set_message(format!("reading {}", f.display()));
                records.extend(read_csv(f, true)?);
            }
        }
        Source::Database(url) => records = read_database(url, &bar)?,
    }
    bar.set_message(format!("training on {} declarations", records.len()));
    let options = TrainOptions {
        seed,
        trees,
        ..TrainOptions::default()
    };
    let model = train(&records, options).map_err(|e| e.to_string())?;
    bar.set_message("writing");
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    bar.finish_and_clear();
    let summary = serde_json::json!({
        "model": out.display().to_string(),
        "contentHash": model.content_hash(),
        "rows": model.info.rows,
        "frauds": model.info.frauds,
        "dataFrom": model.info.data_from.to_string(),
        "dataTo": model.info.data_to.to_string(),
        "features": model.info.features.len(),
        "trees": model.info.trees,
        "seed": seed,
        "seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    });
    if json {
        println!("{summary}");
    } else {
        println!(
            "trained on {} inspected declarations ({} fraudulent) from {} to {}: {} trees over {} features in {:.1} s\nwritten to {} (sha256 {})",
            model.info.rows,
            model.info.frauds,
            model.info.data_from,
            model.info.data_to,
            model.info.trees,
            model.info.features.len(),
            started.elapsed().as_secs_f64(),
            out.display(),
            model.content_hash()
        );
    }
    Ok(())
}

fn score_cmd(model: &Path, csv: &Path, out: Option<&Path>) -> Result<(), String> {
    let model = load_model(model)?;
    let records = read_csv(csv, false)?;
    let scores = model.score(&records);
    let id_header = {
        let mut r = csv::Reader::from_path(csv).map_err(|e| e.to_string())?;
        let h = r.headers().map_err(|e| e.to_string())?;
        h.iter()
            .find(|h| h.trim().eq_ignore_ascii_case("declaration id"))
            .unwrap_or("Declaration ID")
            .to_owned()
    };
    let sink: Box<dyn Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
    let io = |e: csv::Error| e.to_string();
    w.write_record([id_header.as_str(), "score"]).map_err(io)?;
    for (r, s) in records.iter().zip(&scores) {
        w.write_record([r.id.as_str(), &s.to_string()])
            .map_err(io)?;
    }
    w.flush().map_err(|e| e.to_string())
}

fn evaluate_cmd(model: &Path, csv: &Path, json: bool) -> Result<(), String> {
    let model = load_model(model)?;
    let records = read_csv(csv, true)?;
    let scores = model.score(&records);
    let labels: Vec<bool> = records.iter().map(|r| r.label == Some(true)).collect();
    let revenue: Option<Vec<f64>> = records
        .iter()
        .all(|r| r.revenue.is_some())
        .then(|| records.iter().map(|r| r.revenue.unwrap_or(0.0)).collect());
    let e = evaluate(&scores, &labels, revenue.as_deref());
    if json {
        println!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
        return Ok(());
    }
    println!(
        "{} declarations, {} fraudulent; AUC {}",
        e.rows,
        e.frauds,
        e.auc.map_or("n/a".to_owned(), |a| format!("{a:.4}"))
    );
    println!("inspected  precision  recall  revenue");
    for rate in tamga_model::metrics::RATES {
        println!(
            "{:>8} %  {:>9.3}  {:>6.3}  {}",
            rate,
            e.precision_at.get(rate).unwrap_or(0.0),
            e.recall_at.get(rate).unwrap_or(0.0),
            e.revenue_at
                .get(rate)
                .flatten()
                .map_or("n/a".to_owned(), |v| format!("{v:.3}"))
        );
    }
    Ok(())
}
