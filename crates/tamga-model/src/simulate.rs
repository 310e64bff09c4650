//! The inspection-budget simulator: replays a labelled data set week by
//! week as if only the inspections a strategy chose had revealed their
//! labels, and counts what each strategy caught.
//!
//! The declarations are taken in date order and grouped by ISO week. The
//! first `warmup_weeks` weeks train the first model on all their labels.
//! Then, for each later week and each [`Policy`], separately:
//!
//! 1. the policy's current model scores the week's declarations;
//! 2. `round(budget × declarations)` are inspected: the highest scores,
//!    except that `round(share × inspections)` of them are exploratory,
//!    drawn among the rest by [`crate::explore`] (the share is the
//!    configured one, or the adaptive one chosen from the policy's recent
//!    yields; exploit-only explores nothing);
//! 3. only the inspected declarations reveal their label (and revenue);
//!    the others join the history unlabelled, so the encoder learns only
//!    what was inspected (their values still teach the value ratios, as
//!    lodged declarations do);
//! 4. every `retrain_every` weeks the model is retrained on the whole
//!    history so far.
//!
//! Each exploratory selection's inclusion probability is kept, and the
//! week's frauds are estimated from the inspected declarations alone by
//! inverse-propensity weighting ([`crate::explore::ipw_total`]) — a check,
//! on real data, of what evaluation on inspected declarations can recover.
//!
//! Deterministic: the same records, options and seed give the same report.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::Date;

use crate::booster::{train, GbdtModel, ModelError, TrainOptions};
use crate::explore::{
    inclusion_probabilities, ipw_total, systematic_sample, weight, AdaptiveShare, ExploreStrategy,
    Observation, PeriodYield,
};
use crate::record::Record;
use crate::RiskModel;

/// What a simulated inspection service does with its budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// The highest scores only.
    Exploit,
    /// The highest scores and a share explored.
    Explore(ExploreStrategy),
}

impl Policy {
    pub const ALL: [Policy; 4] = [
        Policy::Exploit,
        Policy::Explore(ExploreStrategy::Random),
        Policy::Explore(ExploreStrategy::Uncertain),
        Policy::Explore(ExploreStrategy::Adaptive),
    ];

    /// `exploit`, `random`, `uncertain` or `adaptive`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Exploit => "exploit",
            Policy::Explore(s) => s.name(),
        }
    }
}

/// How to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimOptions {
    /// Share of each week's declarations inspected, in (0, 1].
    pub budget: f64,
    /// Share of the inspections that explore, in [0, 1] (the adaptive
    /// policy moves within [`AdaptiveShare::around`] it).
    pub explore: f64,
    pub policies: Vec<Policy>,
    /// Seed of the exploration draws and of the training.
    pub seed: u64,
    /// Weeks whose labels are all known, to train the first model.
    pub warmup_weeks: usize,
    /// Retrain after every this many simulated weeks (at least 1).
    pub retrain_every: usize,
    pub train: TrainOptions,
}

/// Why a simulation cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    Options(String),
    #[error("declaration {id:?} has no label: every declaration replayed needs its Fraud label")]
    Unlabelled { id: String },
    #[error("the data cover {weeks} ISO weeks: more than the {warmup} warm-up weeks are needed")]
    TooFewWeeks { weeks: usize, warmup: usize },
    #[error("the warm-up weeks ({from} to {to}) cannot train a model: {source}")]
    Warmup {
        from: Date,
        to: Date,
        source: ModelError,
    },
    #[error("retraining for {policy} after {week} failed: {source}")]
    Retrain {
        policy: &'static str,
        week: String,
        source: ModelError,
    },
}

/// Progress, reported after each simulated week of each policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub policy: Policy,
    pub week: String,
}

/// The settings a report was made with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    pub budget: f64,
    pub explore: f64,
    pub seed: u64,
    pub warmup_weeks: usize,
    pub retrain_every: usize,
    pub trees: usize,
    pub strategies: Vec<&'static str>,
}

/// A stretch of declarations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Span {
    pub from: Date,
    pub to: Date,
    pub declarations: usize,
    pub frauds: usize,
}

/// What one policy's inspections found in one week.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub inspected: usize,
    /// Of which exploratory.
    pub explored: usize,
    pub frauds: usize,
    /// Frauds found by the exploratory inspections.
    pub explore_frauds: usize,
    /// Revenue the inspections recovered; `None` without revenue data.
    pub revenue: Option<f64>,
    /// The share of the inspections meant to explore.
    pub explore_share: f64,
    /// The week's frauds estimated from the inspected declarations by
    /// inverse-propensity weighting; `None` when nothing was explored
    /// (the uninspected had no chance, nothing can be estimated).
    pub estimated_frauds: Option<f64>,
}

/// One simulated week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Week {
    /// ISO week, `YYYY-Www`.
    pub week: String,
    pub from: Date,
    pub to: Date,
    pub declarations: usize,
    pub frauds: usize,
    /// Revenue of all its frauds; `None` without revenue data.
    pub revenue: Option<f64>,
    /// Inspections the budget allows this week.
    pub inspections: usize,
    /// Per policy name.
    pub results: BTreeMap<&'static str, Outcome>,
}

/// One policy over every simulated week.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Total {
    pub inspected: usize,
    pub explored: usize,
    pub frauds: usize,
    pub explore_frauds: usize,
    pub revenue: Option<f64>,
    /// Frauds per inspection.
    pub precision: f64,
    /// Share of all the simulated weeks' frauds caught.
    pub recall: f64,
    /// Share of all the simulated weeks' fraud revenue recovered.
    pub revenue_share: Option<f64>,
    /// Sum of the weekly estimates (`None` if any week had none).
    pub estimated_frauds: Option<f64>,
}

/// What the simulator reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimReport {
    pub settings: Settings,
    pub warmup: Span,
    /// The simulated weeks together.
    pub simulated: Span,
    pub weeks: Vec<Week>,
    /// Per policy name.
    pub totals: BTreeMap<&'static str, Total>,
}

fn check(options: &SimOptions) -> Result<(), SimError> {
    let bad = |m: String| Err(SimError::Options(m));
    if !(options.budget > 0.0 && options.budget <= 1.0) {
        return bad(format!(
            "budget {} is not a share in (0, 1]",
            options.budget
        ));
    }
    if !(0.0..=1.0).contains(&options.explore) {
        return bad(format!(
            "explore {} is not a share in [0, 1]",
            options.explore
        ));
    }
    if options.policies.is_empty() {
        return bad("no strategy to simulate".to_owned());
    }
    if options.warmup_weeks == 0 {
        return bad("at least one warm-up week is needed to train the first model".to_owned());
    }
    if options.retrain_every == 0 {
        return bad("retrain-every must be at least 1 week".to_owned());
    }
    Ok(())
}

fn iso_week(d: Date) -> (i32, u8) {
    let (year, week, _) = d.to_iso_week_date();
    (year, week)
}

fn week_name(d: Date) -> String {
    let (year, week, _) = d.to_iso_week_date();
    format!("{year}-W{week:02}")
}

fn span(records: &[Record]) -> Span {
    Span {
        from: records.first().map_or(Date::MIN, |r| r.date),
        to: records.last().map_or(Date::MIN, |r| r.date),
        declarations: records.len(),
        frauds: records.iter().filter(|r| r.label == Some(true)).count(),
    }
}

/// `round(share × n)`, half away from zero.
fn part(share: f64, n: usize) -> usize {
    ((share * n as f64).round() as usize).min(n)
}

/// Replays `records` (every one labelled) under each policy.
pub fn simulate(
    mut records: Vec<Record>,
    options: &SimOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SimReport, SimError> {
    check(options)?;
    if let Some(r) = records.iter().find(|r| r.label.is_none()) {
        return Err(SimError::Unlabelled { id: r.id.clone() });
    }
    records.sort_by_key(|r| r.date);
    let mut weeks: Vec<Vec<Record>> = Vec::new();
    for r in records {
        match weeks.last_mut() {
            Some(w) if iso_week(w[0].date) == iso_week(r.date) => w.push(r),
            _ => weeks.push(vec![r]),
        }
    }
    if weeks.len() <= options.warmup_weeks {
        return Err(SimError::TooFewWeeks {
            weeks: weeks.len(),
            warmup: options.warmup_weeks,
        });
    }
    let simulated = weeks.split_off(options.warmup_weeks);
    let warmup: Vec<Record> = weeks.into_iter().flatten().collect();
    let warmup_span = span(&warmup);
    let train_options = TrainOptions {
        seed: options.seed,
        ..options.train
    };
    let first = train(&warmup, train_options).map_err(|source| SimError::Warmup {
        from: warmup_span.from,
        to: warmup_span.to,
        source,
    })?;
    let has_revenue = warmup
        .iter()
        .chain(simulated.iter().flatten())
        .any(|r| r.revenue.is_some());
    let revenue_of = |r: &Record| r.revenue.unwrap_or(0.0);

    let mut report_weeks: Vec<Week> = simulated
        .iter()
        .map(|w| Week {
            week: week_name(w[0].date),
            from: w[0].date,
            to: w[w.len() - 1].date,
            declarations: w.len(),
            frauds: w.iter().filter(|r| r.label == Some(true)).count(),
            revenue: has_revenue.then(|| {
                w.iter()
                    .filter(|r| r.label == Some(true))
                    .map(revenue_of)
                    .sum()
            }),
            inspections: part(options.budget, w.len()),
            results: BTreeMap::new(),
        })
        .collect();

    let total_steps = options.policies.len() * simulated.len();
    let mut done = 0;
    for (p, policy) in options.policies.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(p as u64 * 0x9E37_79B9));
        let controller = AdaptiveShare::around(options.explore);
        let mut history = warmup.clone();
        let mut own: Option<GbdtModel> = None;
        let mut yields: Vec<PeriodYield> = Vec::new();
        for (w, week) in simulated.iter().enumerate() {
            let model = own.as_ref().unwrap_or(&first);
            let scores = model.score(week);
            let inspections = report_weeks[w].inspections;
            let share = match policy {
                Policy::Exploit => 0.0,
                Policy::Explore(ExploreStrategy::Adaptive) => {
                    controller.next_share(&yields, &mut rng)
                }
                Policy::Explore(_) => options.explore,
            };
            let explore_n = part(share, inspections);
            let mut order: Vec<usize> = (0..week.len()).collect();
            order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
            let (top, rest) = order.split_at(inspections - explore_n);
            // Each inspected declaration with its selection probability.
            let mut inspected: Vec<(usize, f64, bool)> =
                top.iter().map(|i| (*i, 1.0, false)).collect();
            if let Policy::Explore(strategy) = policy {
                let weights: Vec<f64> =
                    rest.iter().map(|i| weight(*strategy, scores[*i])).collect();
                let probabilities = inclusion_probabilities(&weights, explore_n);
                for k in systematic_sample(&probabilities, &mut rng) {
                    inspected.push((rest[k], probabilities[k], true));
                }
            }
            let mut outcome = Outcome {
                inspected: inspected.len(),
                explore_share: share,
                revenue: has_revenue.then_some(0.0),
                ..Outcome::default()
            };
            let mut revealed = vec![false; week.len()];
            let mut observations = Vec::with_capacity(inspected.len());
            for (i, probability, explored) in &inspected {
                revealed[*i] = true;
                let fraud = week[*i].label == Some(true);
                observations.push(Observation::fraud(fraud, *probability));
                outcome.explored += usize::from(*explored);
                if fraud {
                    outcome.frauds += 1;
                    outcome.explore_frauds += usize::from(*explored);
                    if let Some(r) = outcome.revenue.as_mut() {
                        *r += revenue_of(&week[*i]);
                    }
                }
            }
            outcome.estimated_frauds = (outcome.explored > 0).then(|| ipw_total(&observations));
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            yields.push(PeriodYield {
                exploit_inspected: count(outcome.inspected - outcome.explored),
                exploit_frauds: count(outcome.frauds - outcome.explore_frauds),
                explore_inspected: count(outcome.explored),
                explore_frauds: count(outcome.explore_frauds),
            });
            history.extend(week.iter().zip(&revealed).map(|(r, shown)| Record {
                label: if *shown { r.label } else { None },
                revenue: if *shown { r.revenue } else { None },
                ..r.clone()
            }));
            report_weeks[w].results.insert(policy.name(), outcome);
            let last = w + 1 == simulated.len();
            if (w + 1) % options.retrain_every == 0 && !last {
                let model = train(&history, train_options).map_err(|source| SimError::Retrain {
                    policy: policy.name(),
                    week: report_weeks[w].week.clone(),
                    source,
                })?;
                own = Some(model);
            }
            done += 1;
            progress(&Progress {
                done,
                total: total_steps,
                policy: *policy,
                week: report_weeks[w].week.clone(),
            });
        }
    }

    let all: Vec<&Record> = simulated.iter().flatten().collect();
    let simulated_span = Span {
        from: all.first().map_or(Date::MIN, |r| r.date),
        to: all.last().map_or(Date::MIN, |r| r.date),
        declarations: all.len(),
        frauds: all.iter().filter(|r| r.label == Some(true)).count(),
    };
    let fraud_revenue: f64 = report_weeks.iter().filter_map(|w| w.revenue).sum();
    let mut totals = BTreeMap::new();
    for policy in &options.policies {
        let outcomes: Vec<&Outcome> = report_weeks
            .iter()
            .map(|w| &w.results[policy.name()])
            .collect();
        let sum = |f: fn(&Outcome) -> usize| outcomes.iter().map(|o| f(o)).sum::<usize>();
        let (inspected, frauds) = (sum(|o| o.inspected), sum(|o| o.frauds));
        let revenue = has_revenue.then(|| outcomes.iter().filter_map(|o| o.revenue).sum::<f64>());
        totals.insert(
            policy.name(),
            Total {
                inspected,
                explored: sum(|o| o.explored),
                frauds,
                explore_frauds: sum(|o| o.explore_frauds),
                revenue,
                precision: if inspected == 0 {
                    0.0
                } else {
                    frauds as f64 / inspected as f64
                },
                recall: if simulated_span.frauds == 0 {
                    0.0
                } else {
                    frauds as f64 / simulated_span.frauds as f64
                },
                revenue_share: revenue.map(|r| {
                    if fraud_revenue > 0.0 {
                        r / fraud_revenue
                    } else {
                        0.0
                    }
                }),
                estimated_frauds: outcomes.iter().map(|o| o.estimated_frauds).sum(),
            },
        );
    }
    Ok(SimReport {
        settings: Settings {
            budget: options.budget,
            explore: options.explore,
            seed: options.seed,
            warmup_weeks: options.warmup_weeks,
            retrain_every: options.retrain_every,
            trees: options.train.trees,
            strategies: options.policies.iter().map(|p| p.name()).collect(),
        },
        warmup: warmup_span,
        simulated: simulated_span,
        weeks: report_weeks,
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Attribute;
    use time::macros::date;

    /// 20 declarations a day from Monday 2020-01-06 for `weeks` weeks;
    /// importers BAD0..BAD3 cheat three times in four, the others once in
    /// twenty-five. Revenue 100 per fraud.
    fn records(weeks: u32) -> Vec<Record> {
        let mut out = Vec::new();
        for day in 0..weeks * 7 {
            for k in 0..20u32 {
                let bad = k < 4;
                let fraud = if bad {
                    (day + k) % 4 != 0
                } else {
                    (day + k) % 25 == 0
                };
                let mut cats = vec![String::new(); Attribute::ALL.len()];
                cats[Attribute::Importer.index()] = if bad {
                    format!("BAD{k}")
                } else {
                    format!("OK{k}")
                };
                cats[Attribute::Office.index()] = format!("{}", k % 3);
                cats[Attribute::Hs6.index()] = format!("8471{:02}", k % 4);
                out.push(Record {
                    id: format!("{day}-{k}"),
                    date: date!(2020 - 01 - 06) + time::Duration::days(i64::from(day)),
                    cats,
                    net_mass_kg: Some(f64::from(10 + k)),
                    item_price: Some(f64::from(1000 + (day * 7 + k) % 50)),
                    tax_rate: Some(8.0),
                    label: Some(fraud),
                    revenue: fraud.then_some(100.0),
                });
            }
        }
        out
    }

    fn options() -> SimOptions {
        SimOptions {
            budget: 0.10,
            explore: 0.30,
            policies: Policy::ALL.to_vec(),
            seed: 5,
            warmup_weeks: 3,
            retrain_every: 2,
            train: TrainOptions {
                trees: 20,
                ..TrainOptions::default()
            },
        }
    }

    #[test]
    fn each_policy_spends_the_budget_and_the_top_scores_catch_most() {
        let mut steps = 0;
        let report = simulate(records(9), &options(), &mut |p| {
            steps += 1;
            assert_eq!(p.done, steps);
            assert_eq!(p.total, 4 * 6);
        })
        .unwrap();
        assert_eq!(steps, 24);
        assert_eq!(report.warmup.declarations, 3 * 140);
        assert_eq!(report.weeks.len(), 6);
        assert_eq!(report.weeks[0].week, "2020-W05");
        for w in &report.weeks {
            assert_eq!(w.declarations, 140);
            assert_eq!(w.inspections, 14);
            for (name, o) in &w.results {
                assert_eq!(o.inspected, 14, "{name}");
                let explored = if *name == "exploit" { 0 } else { o.explored };
                assert_eq!(o.explored, explored);
                assert_eq!(o.revenue, Some(100.0 * o.frauds as f64));
                assert!(o.explore_frauds <= o.frauds && o.frauds <= w.frauds);
            }
            // 30 % of 14: 4 explored (the adaptive share moves in 15..60 %).
            assert_eq!(w.results["random"].explored, 4);
            assert_eq!(w.results["uncertain"].explored, 4);
            assert!((0.15..=0.60).contains(&w.results["adaptive"].explore_share));
            assert_eq!(w.results["exploit"].estimated_frauds, None);
        }
        let t = &report.totals;
        assert_eq!(t["exploit"].inspected, 6 * 14);
        assert!(t["exploit"].frauds >= t["random"].frauds, "{t:?}");
        // The cheats are a fifth of the rows and cheat three times in four:
        // the top scores are theirs.
        assert!(t["exploit"].precision >= 0.7, "{t:?}");
        assert!(t["random"].explore_frauds < t["random"].explored, "{t:?}");
        let all = report.simulated.frauds as f64;
        let est = t["random"].estimated_frauds.unwrap();
        assert!(est > 0.3 * all && est < 3.0 * all, "{est} vs {all}");
        assert_eq!(t["exploit"].revenue_share, Some(t["exploit"].recall));
    }

    #[test]
    fn a_seed_gives_the_same_report() {
        let a = simulate(records(7), &options(), &mut |_| {}).unwrap();
        let b = simulate(records(7), &options(), &mut |_| {}).unwrap();
        assert_eq!(a, b);
        // The input's order does not matter: records are sorted by date.
        let mut reversed = records(7);
        reversed.reverse();
        let c = simulate(reversed, &options(), &mut |_| {}).unwrap();
        assert_eq!(a.totals["exploit"], c.totals["exploit"]);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let err = |records, options: &SimOptions| {
            simulate(records, options, &mut |_| {})
                .unwrap_err()
                .to_string()
        };
        let mut o = options();
        o.budget = 0.0;
        assert!(err(records(5), &o).contains("budget 0"));
        o.budget = 1.5;
        assert!(err(records(5), &o).contains("budget 1.5"));
        let mut o = options();
        o.explore = 1.1;
        assert!(err(records(5), &o).contains("explore"));
        let mut o = options();
        o.warmup_weeks = 5;
        assert!(err(records(5), &o).contains("cover 5 ISO weeks"));
        let mut unlabelled = records(5);
        unlabelled[7].label = None;
        assert!(err(unlabelled, &options()).contains("\"0-7\" has no label"));
        let mut honest = records(5);
        for r in &mut honest {
            r.label = Some(false);
        }
        assert!(err(honest, &options()).contains("warm-up weeks (2020-01-06 to 2020-01-26)"));
    }
}
