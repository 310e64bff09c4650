//! The customs value control benchmark (issue 18, part 4;
//! `docs/value-control.md`): detection rate at a 1 % false-alarm rate and
//! AUC of the robust z-score of unit values, with the reference built as
//! tamga builds it (`tamga_core::value_control`: observations, the minimum
//! sample, the fallback from national code to subheading to any origin).
//!
//! ```text
//! cargo run --release -p tamga-sim --example value_bench -- ../shared/data/risk/kcs
//! ```
//!
//! (a) Simulator traffic: honest declarations from `tamga-sim` (no frauds,
//! no errors), assessed with the demo tariff so each unit value is in
//! national currency exactly as lodging records it; the first 75 % are
//! the released history, and in the last 25 % a random 5 % of items get
//! their customs value multiplied by U(0.3, 0.6) (the label).
//! (b) The public Korea Customs Service data (`train.csv`, `valid.csv`),
//! when the directory is given and present: the reference is built from
//! train (HS6, country of origin, item price per kg of net mass, declarant
//! ID), valid is scored. The data has no value-fraud label: `Fraud` (any
//! fraud found) and `Critical Fraud` are reported as labels, so the
//! figures measure how much of the frauds the value indicator alone ranks.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use tamga_core::declaration::Declaration;
use tamga_core::reference::{ReferenceBundle, SHIPPED};
use tamga_core::tariff::{assess_declaration, FullVolume};
use tamga_core::value_control::{
    observations, QuantityUnit, ReferenceLevel, RobustStats, Sample, ValueKey, ValueRule,
};
use tamga_sim::{Generator, GeneratorConfig};

/// Observations per key, with their declarants.
#[derive(Default)]
struct Refs {
    raw: HashMap<ValueKey, (Vec<Decimal>, HashSet<String>)>,
    built: HashMap<ValueKey, Option<RobustStats>>,
}

impl Refs {
    fn add(&mut self, code: &str, origin: &str, declarant: &str, value: Decimal) {
        for level in ReferenceLevel::ALL {
            let k = ValueKey::at(level, code, origin, QuantityUnit::Kg);
            let e = self.raw.entry(k).or_default();
            e.0.push(value);
            e.1.insert(declarant.to_owned());
        }
    }

    fn build(&mut self, rule: &ValueRule) {
        self.built = self
            .raw
            .iter()
            .map(|(k, (v, d))| {
                let s = Sample {
                    values: v.clone(),
                    declarants: d.len(),
                };
                (k.clone(), s.sufficient(rule))
            })
            .collect();
    }

    /// The z-score of `value` against the first sufficient level.
    fn z(&self, code: &str, origin: &str, value: Decimal) -> Option<f64> {
        ReferenceLevel::ALL.iter().find_map(|l| {
            let k = ValueKey::at(*l, code, origin, QuantityUnit::Kg);
            self.built.get(&k)?.as_ref()?.z(value)
        })
    }
}

/// Detection rate at a 1 % false-alarm rate (the threshold is the 1st
/// percentile of the honest scores: lower is more suspicious), that
/// threshold, and the AUC.
fn figures(scored: &[(f64, bool)]) -> (f64, f64, f64) {
    let mut honest: Vec<f64> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    honest.sort_by(f64::total_cmp);
    let k = ((honest.len() as f64) * 0.01).floor() as usize;
    let threshold = honest
        .get(k.saturating_sub(1))
        .copied()
        .unwrap_or(f64::NEG_INFINITY);
    let positives: Vec<f64> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let detected = positives.iter().filter(|z| **z <= threshold).count();
    let rate = detected as f64 / positives.len().max(1) as f64;
    // AUC: the probability that a positive scores lower than an honest one.
    let mut all: Vec<(f64, bool)> = scored.to_vec();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        rank_sum += avg * all[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    let (p, n) = (positives.len() as f64, honest.len() as f64);
    let auc = 1.0 - (rank_sum - p * (p + 1.0) / 2.0) / (p * n).max(1.0);
    (rate, threshold, auc)
}

/// Detection and false alarms of a fixed threshold.
fn at_threshold(scored: &[(f64, bool)], z: f64) -> (f64, f64) {
    let pos = scored.iter().filter(|s| s.1).count().max(1) as f64;
    let neg = scored.iter().filter(|s| !s.1).count().max(1) as f64;
    let tp = scored.iter().filter(|s| s.1 && s.0 <= z).count() as f64;
    let fp = scored.iter().filter(|s| !s.1 && s.0 <= z).count() as f64;
    (tp / pos, fp / neg)
}

fn report(name: &str, scored: &[(f64, bool)], total: usize, rule: &ValueRule) {
    let (rate, threshold, auc) = figures(scored);
    let under = rule.under_z.to_f64().unwrap_or(-3.0);
    let (d, f) = at_threshold(scored, under);
    let pos = scored.iter().filter(|s| s.1).count();
    println!(
        "{name}: scored {} of {total} items ({pos} positive); at 1 % false alarms: detection {:.1} % (z <= {threshold:.2}); AUC {auc:.3}; at the default z <= {under}: detection {:.1} %, false alarms {:.2} %",
        scored.len(),
        rate * 100.0,
        d * 100.0,
        f * 100.0
    );
    let table: Vec<String> = [-2.0, -2.5, -3.0, -3.5, -4.0, -5.0]
        .iter()
        .map(|z| {
            let (d, f) = at_threshold(scored, *z);
            format!("z <= {z}: {:.1} % / {:.2} %", d * 100.0, f * 100.0)
        })
        .collect();
    println!(
        "    detection / false alarms by threshold: {}",
        table.join("; ")
    );
}

fn simulator(rule: &ValueRule) {
    let bundle = ReferenceBundle::from_csv(&SHIPPED).expect("shipped reference data");
    let mut tariff =
        tamga_core::tariff::load(tamga_core::tariff::DEMO_TARIFF_JSON).expect("demo tariff");
    tariff.with_base_nomenclature(&bundle.hs, &bundle.countries);
    let today = time::macros::date!(2026 - 06 - 01);
    let cfg = GeneratorConfig {
        error_share: Some(0.0),
        frauds: false,
        ..GeneratorConfig::demo(200, today, 7)
    };
    let mut g = Generator::new(cfg, &bundle)
        .expect("generator")
        .with_tariff(&tariff);
    let total = 40_000;
    let history = total * 3 / 4;
    let mut refs = Refs::default();
    let mut test = Vec::new();
    for i in 0..total {
        let s = g.next();
        let Ok(d) = serde_json::from_slice::<Declaration>(&s.body) else {
            continue;
        };
        let Ok(a) = assess_declaration(&tariff, &d, today, &FullVolume) else {
            continue;
        };
        for o in observations(&d, &a) {
            if o.unit != QuantityUnit::Kg {
                continue;
            }
            if i < history {
                refs.add(&o.code, &o.origin, s.trader.as_str(), o.unit_value);
            } else {
                test.push(o);
            }
        }
    }
    refs.build(rule);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut scored = Vec::new();
    for o in &test {
        let injected = rng.gen_bool(0.05);
        let value = if injected {
            let f = Decimal::from_f64_retain(rng.gen_range(0.3..0.6)).unwrap_or(Decimal::ONE);
            (o.unit_value * f).round_dp(4)
        } else {
            o.unit_value
        };
        if let Some(z) = refs.z(&o.code, &o.origin, value) {
            scored.push((z, injected));
        }
    }
    report(
        "(a) simulator, 5 % of items at 0.3-0.6 of their value",
        &scored,
        test.len(),
        rule,
    );
}

/// The rows of a KCS file: (declarant, hs6, origin, net mass, price,
/// fraud, critical fraud).
type KcsRow = (String, String, String, Decimal, Decimal, bool, bool);

fn kcs_rows(path: &Path) -> Vec<KcsRow> {
    let text = std::fs::read_to_string(path).expect("readable KCS file");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", path.display()))
    };
    let (dc, hc, oc, mc, pc, fc, cc) = (
        col("Declarant ID"),
        col("HS6 Code"),
        col("Country of Origin"),
        col("Net Mass"),
        col("Item Price"),
        col("Fraud"),
        col("Critical Fraud"),
    );
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |i: usize| f.get(i)?.parse::<Decimal>().ok();
            Some((
                f.get(dc)?.to_string(),
                format!("{:0>6}", f.get(hc)?),
                f.get(oc)?.to_string(),
                num(mc)?,
                num(pc)?,
                *f.get(fc)? == "1",
                *f.get(cc)? == "1",
            ))
        })
        .collect()
}

fn kcs(dir: &Path, rule: &ValueRule) {
    let (train, valid) = (dir.join("train.csv"), dir.join("valid.csv"));
    if !train.exists() || !valid.exists() {
        println!(
            "(b) KCS: skipped: {} has no train.csv and valid.csv (the shared data directory is absent)",
            dir.display()
        );
        return;
    }
    let mut refs = Refs::default();
    for (declarant, hs6, origin, mass, price, _, _) in kcs_rows(&train) {
        if let Some(uv) = tamga_core::value_control::unit_value(price, mass) {
            refs.add(&hs6, &origin, &declarant, uv);
        }
    }
    refs.build(rule);
    let valid = kcs_rows(&valid);
    for (label, pick) in [
        ("Fraud", (|r: &KcsRow| r.5) as fn(&KcsRow) -> bool),
        ("Critical Fraud", |r: &KcsRow| r.6),
    ] {
        let mut low = Vec::new();
        let mut abs = Vec::new();
        for r in &valid {
            let Some(uv) = tamga_core::value_control::unit_value(r.4, r.3) else {
                continue;
            };
            if let Some(z) = refs.z(&r.1, &r.2, uv) {
                low.push((z, pick(r)));
                abs.push((-z.abs(), pick(r)));
            }
        }
        report(
            &format!("(b) KCS valid, label {label}, undervaluation (low z)"),
            &low,
            valid.len(),
            rule,
        );
        let (rate, _, auc) = figures(&abs);
        println!(
            "(b) KCS valid, label {label}, either side (|z|): at 1 % false alarms: detection {:.1} %; AUC {auc:.3}",
            rate * 100.0
        );
    }
}

fn main() {
    let rule = ValueRule::default();
    println!(
        "rule: at least {} observations from {} declarants; fallback national code+origin, HS6+origin, HS6 any origin; default undervaluation z <= {}",
        rule.min_observations, rule.min_declarants, rule.under_z
    );
    simulator(&rule);
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/risk/kcs".to_owned());
    kcs(Path::new(&dir), &rule);
}
