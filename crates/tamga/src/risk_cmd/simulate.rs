//! `tamga risk simulate`: the inspection-budget simulator
//! ([`tamga_model::simulate`]) from the command line — the files read, the
//! percentages parsed, a progress bar, and the report as a table per week
//! with totals, or as JSON.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tamga_model::explore::ExploreStrategy;
use tamga_model::simulate::{simulate, Policy, SimOptions, SimReport};
use tamga_model::TrainOptions;

/// Which strategies to compare.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyArg {
    All,
    Exploit,
    Random,
    Uncertain,
    Adaptive,
}

impl StrategyArg {
    fn policies(self) -> Vec<Policy> {
        match self {
            StrategyArg::All => Policy::ALL.to_vec(),
            StrategyArg::Exploit => vec![Policy::Exploit],
            StrategyArg::Random => vec![Policy::Explore(ExploreStrategy::Random)],
            StrategyArg::Uncertain => vec![Policy::Explore(ExploreStrategy::Uncertain)],
            StrategyArg::Adaptive => vec![Policy::Explore(ExploreStrategy::Adaptive)],
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// A labelled KCS-format CSV file; repeat for several (they are
    /// replayed together, in date order).
    #[arg(long = "csv", required = true)]
    pub csv: Vec<PathBuf>,
    /// Share of each week's declarations inspected, in percent: `5%` or
    /// `5` (more than 0, at most 100).
    #[arg(long, default_value = "5%", value_parser = parse_budget)]
    pub budget: f64,
    /// Share of the inspections that explore, in percent: `10%` or `10`
    /// (0 to 100).
    #[arg(long, default_value = "10%", value_parser = parse_explore)]
    pub explore: f64,
    #[arg(long, value_enum, default_value_t = StrategyArg::All)]
    pub strategy: StrategyArg,
    /// Seed of the exploration draws and the training.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// ISO weeks at the start whose labels all train the first model.
    #[arg(long, default_value_t = 4)]
    pub warmup_weeks: usize,
    /// Retrain after every this many simulated weeks.
    #[arg(long, default_value_t = 1)]
    pub retrain_every: usize,
    /// Trees per training (fewer than `train`'s 300: a model is trained
    /// per strategy per retraining).
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    /// Print exactly the JSON report (no text, no progress).
    #[arg(long)]
    pub json: bool,
}

/// A percentage written `5%` or `5` (also `2.5%`), as a fraction. A bare
/// number below 1 is refused as ambiguous (`0.05` could mean 5 %).
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, sign) = match t.strip_suffix('%') {
        Some(n) => (n.trim_end(), true),
        None => (t, false),
    };
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a percentage: write it as 5% or 5"))?;
    if !sign && value > 0.0 && value < 1.0 {
        return Err(format!(
            "{text:?} is ambiguous: percentages are written 5% or 5; below 1 %, write the sign (0.5%)"
        ));
    }
    Ok(value / 100.0)
}

fn parse_budget(text: &str) -> Result<f64, String> {
    let v = parse_percent(text)?;
    if v <= 0.0 || v > 1.0 {
        return Err(format!(
            "{text:?}: the budget must be more than 0 % and at most 100 %"
        ));
    }
    Ok(v)
}

fn parse_explore(text: &str) -> Result<f64, String> {
    let v = parse_percent(text)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(format!(
            "{text:?}: the explore share must be from 0 % to 100 %"
        ));
    }
    Ok(v)
}

pub fn run(args: SimulateArgs) -> Result<(), String> {
    let mut records = Vec::new();
    for f in &args.csv {
        records.extend(super::read_csv(f, true)?);
    }
    let options = SimOptions {
        budget: args.budget,
        explore: args.explore,
        policies: args.strategy.policies(),
        seed: args.seed,
        warmup_weeks: args.warmup_weeks,
        retrain_every: args.retrain_every,
        train: TrainOptions {
            trees: args.trees,
            ..TrainOptions::default()
        },
    };
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} weeks {msg} ({elapsed}, {eta} left)")
    {
        bar.set_style(style);
    }
    if args.json {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_message("training the warm-up model");
    let report = simulate(records, &options, &mut |p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(format!("{} {}", p.policy.name(), p.week));
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

fn percent(v: f64) -> String {
    let p = v * 100.0;
    if p == p.round() {
        format!("{p:.0} %")
    } else {
        format!("{p} %")
    }
}

/// The human report: settings, a line per week, the totals.
pub fn table(r: &SimReport) -> String {
    use std::fmt::Write;
    let s = &r.settings;
    let names = &s.strategies;
    let revenue = r.weeks.first().is_some_and(|w| w.revenue.is_some());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "warm-up {} to {}: {} declarations ({} fraudulent), every label known",
        r.warmup.from, r.warmup.to, r.warmup.declarations, r.warmup.frauds
    );
    let _ = writeln!(
        out,
        "simulated {} to {}: {} declarations ({} fraudulent) in {} weeks; budget {}, explore {}, seed {}, retrained every {} week(s), {} trees",
        r.simulated.from,
        r.simulated.to,
        r.simulated.declarations,
        r.simulated.frauds,
        r.weeks.len(),
        percent(s.budget),
        percent(s.explore),
        s.seed,
        s.retrain_every,
        s.trees
    );
    let _ = writeln!(
        out,
        "\nfrauds caught{} per week:",
        if revenue { " (revenue recovered)" } else { "" }
    );
    let width = if revenue { 22 } else { 10 };
    let _ = write!(
        out,
        "{:<9} {:>6} {:>6} {:>9}",
        "week", "decl.", "frauds", "inspected"
    );
    for n in names {
        let _ = write!(out, " {n:>width$}");
    }
    out.push('\n');
    for w in &r.weeks {
        let _ = write!(
            out,
            "{:<9} {:>6} {:>6} {:>9}",
            w.week, w.declarations, w.frauds, w.inspections
        );
        for n in names {
            let o = &w.results[n];
            let mut cell = o.frauds.to_string();
            if let Some(v) = o.revenue {
                cell = format!("{cell} ({v:.2})");
            }
            if *n == "adaptive" {
                cell = format!("{cell} [{:.0}%]", o.explore_share * 100.0);
            }
            let _ = write!(out, " {cell:>width$}");
        }
        out.push('\n');
    }
    if names.contains(&"adaptive") {
        let _ = writeln!(out, "(adaptive: [the week's explore share])");
    }
    let _ = writeln!(
        out,
        "\ntotals over the simulated weeks ({} frauds{}):",
        r.simulated.frauds,
        r.weeks
            .iter()
            .map(|w| w.revenue)
            .sum::<Option<f64>>()
            .map_or(String::new(), |v| format!(", revenue {v:.2}"))
    );
    let _ = writeln!(
        out,
        "{:<10} {:>9} {:>8} {:>7} {:>14} {:>9} {:>7} {:>14} {:>16}",
        "strategy",
        "inspected",
        "explored",
        "frauds",
        "explore frauds",
        "precision",
        "recall",
        "revenue",
        "IPW est. frauds"
    );
    for n in names {
        let t = &r.totals[n];
        let _ = writeln!(
            out,
            "{:<10} {:>9} {:>8} {:>7} {:>14} {:>9.3} {:>7.3} {:>14} {:>16}",
            n,
            t.inspected,
            t.explored,
            t.frauds,
            t.explore_frauds,
            t.precision,
            t.recall,
            t.revenue.map_or("n/a".to_owned(), |v| format!("{v:.2}")),
            t.estimated_frauds
                .map_or("n/a".to_owned(), |v| format!("{v:.0}"))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_written_with_or_without_the_sign() {
        assert_eq!(parse_percent("5%").unwrap(), 0.05);
        assert_eq!(parse_percent("5").unwrap(), 0.05);
        assert_eq!(parse_percent(" 2.5 %").unwrap(), 0.025);
        assert_eq!(parse_percent("0.5%").unwrap(), 0.005);
        assert_eq!(parse_percent("0").unwrap(), 0.0);
        assert!(parse_percent("0.05").unwrap_err().contains("ambiguous"));
        assert!(parse_percent("five")
            .unwrap_err()
            .contains("not a percentage"));
        assert!(parse_percent("inf%").is_err());
        assert!(parse_budget("0").is_err());
        assert!(parse_budget("100.5%").is_err());
        assert_eq!(parse_budget("100%").unwrap(), 1.0);
        assert!(parse_explore("101").is_err());
        assert_eq!(parse_explore("0%").unwrap(), 0.0);
    }
}
