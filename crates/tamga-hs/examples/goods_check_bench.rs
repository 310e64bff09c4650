//! Calibrates the goods check (issue 18, part 2): the mismatch threshold
//! `k` and the vague-description test, on data the model was not built
//! from.
//!
//! `cargo run --release -p tamga-hs --example goods_check_bench -- ../shared/data/hs`
//!
//! - **Honest items**: the held-out 20 % of the labelled descriptions (the
//!   split of `hs_bench`, seed 1), each with its true code; the model is
//!   built on the other 80 %. A mismatch flagged on one is a false alarm.
//! - **Misdeclared items**: the same descriptions declared under a wrong
//!   heading, drawn deterministically: (a) a heading of another chapter
//!   (goods moved to another part of the tariff), (b) another heading of
//!   the same chapter (the subtle case, the usual duty-saving shift).
//!   A mismatch flagged on one is a detection.
//! - **Real misdeclarations**: HMRC's `incorrect_code_desc_pairs.csv`
//!   (descriptions seen under a wrong code), with the shipped model.
//! - **Vague descriptions**: HMRC's `vague_terms.csv` split 80/20 by a hash
//!   of the term; the list is built from the 80 % (plus the patterns and
//!   the generic words) and the held-out 20 % is checked: listed, generic
//!   or unrecognised counts as found. The labelled (classifiable)
//!   descriptions flagged vague are the false alarms.
//!
//! For each rule (the declared heading ranks below the `k` best and scores
//! at least `gap` below the best) it prints the false-alarm and detection
//! rates; the rule tamga ships is the one that detects the most
//! same-chapter misdeclarations with at most 10 % false alarms on honest,
//! assessed items.

use std::hash::Hasher;
use std::path::Path;
use std::time::Instant;

use tamga_hs::corpus::{dedupe, parse_parcels, parse_search_terms, split, Example};
use tamga_hs::nomenclature::SHIPPED_HS2022;
use tamga_hs::vague::{VagueList, SHIPPED_VAGUE_PATTERNS};
use tamga_hs::{Classifier, HeadingRank, MismatchRule, Params};

const KS: &[usize] = &[1, 2, 3, 5, 10, 20, 50];
const GAPS: &[f64] = &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2];
/// The false-alarm rate the shipped threshold must stay within.
const FALSE_ALARM_BUDGET: f64 = 0.10;

fn hash(s: &str, seed: u64) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write_u64(seed);
    h.write(s.as_bytes());
    h.finish()
}

/// A declared heading's rank and score gap for a description.
type Placed = (HeadingRank, Option<f64>);

/// Share of the assessed items flagged under `rule`, and how many were
/// assessed.
fn flagged(items: &[Placed], rule: MismatchRule) -> (f64, usize) {
    let assessed: Vec<_> = items
        .iter()
        .filter(|(r, _)| !matches!(r, HeadingRank::NotAssessed))
        .collect();
    let n = assessed.len();
    let hit = assessed
        .iter()
        .filter(|(r, gap)| r.mismatch(rule.top_k) && gap.is_some_and(|g| g >= rule.min_gap - 1e-9))
        .count();
    (hit as f64 / n.max(1) as f64, n)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map_or("../shared/data/hs", String::as_str));
    if !dir.join("hmrc-fpo").exists() {
        eprintln!(
            "{} has no hmrc-fpo/: the labelled data (../shared/data/hs) is absent; nothing measured",
            dir.display()
        );
        std::process::exit(2);
    }
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(name).display()))
    };
    let parcels = parse_parcels(&read("hmrc-fpo/extra_references.csv")).expect("parcels");
    let terms = parse_search_terms(&read("hmrc-fpo/search_references.json")).expect("terms");
    let all = dedupe(parcels.iter().chain(&terms).cloned().collect());
    let (train, test) = split(&all, 200, 1);

    // The vague list from 80 % of HMRC's terms; 20 % held out.
    let vague_csv = read("hmrc-fpo/vague_terms.csv");
    let (mut kept, mut held_vague) = (String::new(), Vec::new());
    for line in vague_csv.lines() {
        let line = line.trim_end_matches('\r');
        if hash(&tamga_hs::vague::normalise(line), 3) % 1000 < 200 {
            held_vague.push(line.trim_matches('"').replace("\"\"", "\""));
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let (vague, _) = VagueList::new(&kept, SHIPPED_VAGUE_PATTERNS);
    // As the shipped list: without the descriptions the model is built
    // from (they were classified).
    let vague = vague.without(train.iter().map(|e| e.description.as_str()));

    let start = Instant::now();
    let model =
        Classifier::build(SHIPPED_HS2022, train.clone(), Params::default()).expect("builds");
    println!(
        "labelled: {} distinct; built on {} in {:.1} s; held out {} honest items; vague terms: list {} , held out {}",
        all.len(),
        train.len(),
        start.elapsed().as_secs_f64(),
        test.len(),
        vague.len(),
        held_vague.len()
    );

    // Headings by chapter, for the wrong codes.
    let nom = model.model().nomenclature();
    let headings: Vec<&str> = nom.headings.iter().map(|h| h.code.as_str()).collect();
    let wrong = |e: &Example, same_chapter: bool, seed: u64| -> Option<String> {
        let own = &e.code[..4];
        let pool: Vec<&&str> = headings
            .iter()
            .filter(|h| **h != own && (h[..2] == own[..2]) == same_chapter)
            .collect();
        if pool.is_empty() {
            return None;
        }
        let pick = pool[(hash(&e.description, seed) % pool.len() as u64) as usize];
        Some(format!("{pick}00"))
    };

    let t = Instant::now();
    let mut honest = Vec::new();
    let mut other_chapter = Vec::new();
    let mut same_chapter = Vec::new();
    let mut vague_false = 0usize;
    let mut by_kind = std::collections::BTreeMap::new();
    for e in &test {
        let a = model.assess_with(&vague, &e.description, 3).expect("valid");
        if let Some(v) = a.vague {
            vague_false += 1;
            *by_kind.entry(v.as_str()).or_insert(0usize) += 1;
        }
        let rank = |code: &str| -> Placed {
            if model.knows_heading(code) {
                (a.heading_rank(code), a.score_gap(code))
            } else {
                (HeadingRank::NotAssessed, None)
            }
        };
        honest.push(rank(&e.code));
        if let Some(w) = wrong(e, false, 11) {
            other_chapter.push(rank(&w));
        }
        if let Some(w) = wrong(e, true, 13) {
            same_chapter.push(rank(&w));
        }
    }
    let per_item_us = t.elapsed().as_secs_f64() * 1e6 / test.len() as f64;

    println!();
    println!(
        "mismatch: flagged when the declared heading ranks below the k best and scores at least `gap` below the best"
    );
    println!(
        "{:>4} {:>5}  {:>22}  {:>26}  {:>26}",
        "k", "gap", "false alarms (honest)", "detected (other chapter)", "detected (same chapter)"
    );
    // The shipped rule: the most same-chapter detections with false
    // alarms within the budget.
    let mut chosen: Option<(MismatchRule, f64, f64)> = None;
    for &k in KS {
        for &min_gap in GAPS {
            let rule = MismatchRule { top_k: k, min_gap };
            let (fa, n) = flagged(&honest, rule);
            let (d1, n1) = flagged(&other_chapter, rule);
            let (d2, n2) = flagged(&same_chapter, rule);
            println!(
                "{k:>4} {min_gap:>5.2}  {:>14.3} of {n:>5}  {:>18.3} of {n1:>5}  {:>18.3} of {n2:>5}",
                fa, d1, d2
            );
            if fa <= FALSE_ALARM_BUDGET && chosen.is_none_or(|(_, _, best)| d2 > best) {
                chosen = Some((rule, fa, d2));
            }
        }
    }
    match chosen {
        Some((rule, fa, d2)) => println!(
            "rule: k = {}, gap = {:.2}: false alarms {fa:.3} (budget {:.2}), same-chapter detection {d2:.3}",
            rule.top_k, rule.min_gap, FALSE_ALARM_BUDGET
        ),
        None => println!("no rule keeps false alarms within the budget"),
    }
    println!(
        "honest items not assessed (vague, unrecognised or heading not in HS 2022): {} of {}",
        honest
            .iter()
            .filter(|(r, _)| matches!(r, HeadingRank::NotAssessed))
            .count(),
        honest.len()
    );
    println!("check per description (rank, headings, vague; no cache): {per_item_us:.0} µs");

    // Real misdeclarations, shipped model.
    let shipped = Classifier::build_shipped().expect("shipped");
    let pairs = read("hmrc-fpo/incorrect_code_desc_pairs.csv");
    let mut reader = csv::Reader::from_reader(pairs.as_bytes());
    let mut real = Vec::new();
    for r in reader.records() {
        let r = r.expect("pairs");
        let (desc, code) = (r[0].to_owned(), r[2].to_owned());
        let a = shipped.assess(&desc, 3).expect("valid");
        let (rank, gap) = if shipped.knows_heading(&code) {
            (a.heading_rank(&code), a.score_gap(&code))
        } else {
            (HeadingRank::NotAssessed, None)
        };
        real.push((desc, code, rank, gap, a.vague));
    }
    println!();
    println!("HMRC's incorrect description/code pairs (shipped model):");
    for (d, c, r, gap, v) in &real {
        println!(
            "  {:<60} {c}  rank {:>3}  gap {:>6}  {}",
            d.chars().take(60).collect::<String>(),
            r.as_number().map_or("-".into(), |n| n.to_string()),
            gap.map_or("-".into(), |g| format!("{g:.3}")),
            v.map_or("", |v| v.as_str())
        );
    }
    if let Some((rule, _, _)) = chosen {
        let hit = real
            .iter()
            .filter(|(_, _, r, gap, v)| {
                (r.mismatch(rule.top_k) && gap.is_some_and(|g| g >= rule.min_gap - 1e-9))
                    || v.is_some()
            })
            .count();
        println!(
            "  under the rule: {hit} of {} flagged (mismatch or vague)",
            real.len()
        );
    }

    // Vague descriptions.
    let mut found = std::collections::BTreeMap::new();
    let mut missed = Vec::new();
    for term in &held_vague {
        if term.trim().is_empty() {
            continue;
        }
        let a = model.assess_with(&vague, term, 3).expect("valid");
        match a.vague {
            Some(v) => *found.entry(v.as_str()).or_insert(0usize) += 1,
            None => missed.push(term.clone()),
        }
    }
    let total_found: usize = found.values().sum();
    println!();
    println!(
        "vague: held-out HMRC vague terms found {} of {} ({:.3}) {:?}",
        total_found,
        total_found + missed.len(),
        total_found as f64 / (total_found + missed.len()).max(1) as f64,
        found
    );
    println!(
        "vague: classifiable held-out descriptions flagged (false alarms) {} of {} ({:.3}) {:?}",
        vague_false,
        test.len(),
        vague_false as f64 / test.len() as f64,
        by_kind
    );
    println!(
        "some held-out vague terms not found: {:?}",
        &missed[..missed.len().min(15)]
    );
}
