//! The HS classification assistant's figures: accuracy on a held-out 20 %
//! of the labelled descriptions, two out-of-distribution checks, latency
//! and build time.
//!
//! `cargo run --release -p tamga-hs --example hs_bench -- /work/shared/data/hs [--tune]`
//!
//! - held out: the labelled descriptions (parcels and search terms, each
//!   description once) split 80/20 by a hash of the description (seed 1);
//!   the model is built on the 80 % and the nomenclature;
//! - out of distribution 1: built on the search terms and the nomenclature
//!   only, evaluated on every parcel description (nomenclature-style
//!   phrasing → real parcel phrasing);
//! - out of distribution 2: HMRC's brand list (`brands.csv`, branded
//!   product titles, none of them in the shipped data), evaluated with the
//!   shipped model;
//! - `--tune`: a small grid over the blend, on a validation split of the
//!   80 % (never the held-out 20 %);
//! - `--tune-linear`: the linear models' blend weights on the same
//!   validation split, one build (`--both`: also without the correction;
//!   `--blend`: three other blends);
//! - `--tune-lexicon`: the goods lexicon's and the head word's weights,
//!   on the same validation split; `--tune-sub`: the linear models'
//!   weight of nomenclature texts (1 is shipped; 2, 3, 4 tried);
//! - `--lexicon W`, `--head W`: the default run (and `--eval`) with
//!   another weight of the lexicon's kinds or the head word (0: none);
//! - `--eval FILE`: the shipped model on a labelled CSV (`description,
//!   hs_code`, or HMRC's `GDSDESC,CMDTYCODE`), e.g.
//!   `crates/tamga-hs/bench/titles-dev.csv`;
//! - `--build-times`: the shipped build's parts, one after the other
//!   (`--no-correction`: without the correction's fold models).
//! - `--suggest TEXT…`: the shipped model's best codes for each description.
//! - `--misses`: prints the first 60 held-out descriptions with their
//!   best three codes and the true heading's rank.
//! - `--pooled [--dump DIR]`: the labelled descriptions pooled with the
//!   nomenclature's subheading texts (one row per subheading, labelled
//!   with its code), split 80/20 by the same hash; the model is built on
//!   the labelled 80 % and the nomenclature with the held-out subheadings'
//!   texts withheld (their codes still ranked); accuracy on the pooled
//!   20 %, its labelled rows and its nomenclature rows. `--dump DIR` also
//!   writes the rows (`train.csv`, `test.csv`, `pooled_test.csv`,
//!   `nomenclature.csv`) for `bench/ref_svm.py`.

use std::path::Path;
use std::time::Instant;

use tamga_hs::corpus::{dedupe, parse_parcels, parse_search_terms, split, Example};
use tamga_hs::nomenclature::SHIPPED_HS2022;
use tamga_hs::{Accuracy, Classifier, Nomenclature, Params, RerankParams, Source, Tally};

fn accuracy(c: &Classifier, rows: &[Example]) -> Accuracy {
    let mut t = Tally::default();
    for e in rows {
        t.add(c, &e.description, &e.code)
            .expect("labelled rows are valid");
    }
    t.accuracy()
}

fn show(name: &str, a: &Accuracy) {
    println!(
        "{name:<44} rows {:>5}  heading top1 {:.3} top5 {:.3}  subheading top1 {:.3} top5 {:.3}",
        a.rows, a.heading.top1, a.heading.top5, a.subheading.top1, a.subheading.top5
    );
}

fn build(examples: &[Example], params: Params) -> (Classifier, f64) {
    let start = Instant::now();
    let c = Classifier::build(SHIPPED_HS2022, examples.to_vec(), params).expect("builds");
    (c, start.elapsed().as_secs_f64())
}

/// The `--pooled` protocol (see the header). The split is decided row by
/// row (a hash of the description), so splitting the pool is splitting
/// each part: its labelled rows are the default split's.
fn pooled(args: &[String], train: &[Example], test: &[Example]) {
    let nomenclature = Nomenclature::from_csv(SHIPPED_HS2022).expect("nomenclature");
    // The nomenclature rows: each subheading's text with its code (the
    // source is a placeholder: these rows are kept apart).
    let texts: Vec<Example> = nomenclature
        .subheadings
        .iter()
        .map(|s| Example {
            description: s.text.clone(),
            code: s.code.clone(),
            source: Source::Confirmed,
        })
        .collect();
    let (_, held_texts) = split(&texts, 200, 1);
    let mut withheld = nomenclature.clone();
    withheld.withhold_texts(held_texts.iter().map(|e| e.code.as_str()));
    println!(
        "pooled: {} labelled + {} nomenclature rows; held out {} labelled + {} nomenclature (their texts withheld from training)",
        train.len() + test.len(),
        texts.len(),
        test.len(),
        held_texts.len()
    );
    if let Some(i) = args.iter().position(|a| a == "--dump") {
        let dir = Path::new(args.get(i + 1).expect("--dump DIR"));
        dump(dir, &nomenclature, train, test, &held_texts);
        println!("rows written to {}", dir.display());
    }
    let start = Instant::now();
    let c = Classifier::build_from(withheld, train.to_vec(), Params::default());
    println!(
        "build on the labelled 80 % and the nomenclature less the held-out texts: {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let all: Vec<Example> = test.iter().chain(&held_texts).cloned().collect();
    show("pooled held out 20 % (all)", &accuracy(&c, &all));
    show("pooled held out: labelled rows", &accuracy(&c, test));
    show(
        "pooled held out: nomenclature rows",
        &accuracy(&c, &held_texts),
    );
}

/// Writes the pooled protocol's rows as CSV (`description,code,source`;
/// `nomenclature.csv`: `description,code,level`, every heading's and
/// subheading's text).
fn dump(dir: &Path, nom: &Nomenclature, train: &[Example], test: &[Example], held: &[Example]) {
    std::fs::create_dir_all(dir).expect("--dump: directory");
    fn labelled(e: &Example) -> [&str; 3] {
        let source = match e.source {
            Source::Parcel => "parcel",
            Source::SearchTerm => "search_term",
            Source::Confirmed => "confirmed",
        };
        [e.description.as_str(), e.code.as_str(), source]
    }
    let write = |name: &str, rows: &mut dyn Iterator<Item = [&str; 3]>| {
        let mut w = csv::Writer::from_path(dir.join(name)).expect("--dump: writable");
        for r in rows {
            w.write_record(r).expect("--dump: write");
        }
        w.flush().expect("--dump: write");
    };
    let header = ["description", "code", "source"];
    write(
        "train.csv",
        &mut std::iter::once(header).chain(train.iter().map(labelled)),
    );
    write(
        "test.csv",
        &mut std::iter::once(header).chain(test.iter().map(labelled)),
    );
    write(
        "pooled_test.csv",
        &mut std::iter::once(header)
            .chain(test.iter().map(labelled))
            .chain(
                held.iter()
                    .map(|e| [e.description.as_str(), e.code.as_str(), "nomenclature"]),
            ),
    );
    let headings = nom
        .headings
        .iter()
        .map(|h| [h.text.as_str(), h.code.as_str(), "4"]);
    let subheadings = nom
        .subheadings
        .iter()
        .map(|s| [s.text.as_str(), s.code.as_str(), "6"]);
    write(
        "nomenclature.csv",
        &mut std::iter::once(["description", "code", "level"])
            .chain(headings)
            .chain(subheadings),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map_or("/work/shared/data/hs", String::as_str));
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(name).display()))
    };
    let parcels = parse_parcels(&read("hmrc-fpo/extra_references.csv")).expect("parcels");
    let terms = parse_search_terms(&read("hmrc-fpo/search_references.json")).expect("terms");
    let all = dedupe(parcels.iter().chain(&terms).cloned().collect());
    let (train, test) = split(&all, 200, 1);
    println!(
        "labelled descriptions: {} distinct ({} parcels, {} search terms); train {}, held out {}",
        all.len(),
        parcels.len(),
        terms.len(),
        train.len(),
        test.len()
    );

    if let Some(i) = args.iter().position(|a| a == "--suggest") {
        // The shipped model's best five for each description that follows,
        // its best headings and the matching terms of the first.
        let c = Classifier::shipped().expect("builds");
        for text in &args[i + 1..] {
            let r = c.rank(text).expect("valid");
            println!("{text}: subheadings {:?}", r.top_codes(5));
            println!("{text}: headings {:?}", r.top_headings(8));
            let s = r.suggestions(1);
            println!("{text}: matching terms {:?}", s[0].matching_terms);
            println!("{text}: related terms {:?}", s[0].related_terms);
        }
        return;
    }

    if args.iter().any(|a| a == "--build-times") {
        // The shipped build's parts, one after the other (the build runs
        // the correction beside the linear models).
        let examples = tamga_hs::corpus::shipped_examples().expect("shipped");
        let nom = tamga_hs::Nomenclature::from_csv(SHIPPED_HS2022).expect("nomenclature");
        let p = Params::default();
        let t = Instant::now();
        let model = tamga_hs::Model::build(nom.clone(), examples.clone(), p);
        println!("index model: {:.2} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let folds = if args.iter().any(|a| a == "--no-correction") {
            0
        } else {
            p.rerank.folds
        };
        let r = tamga_hs::Reranker::train(&nom, &examples, p, RerankParams { folds, ..p.rerank });
        println!(
            "correction ({folds} fold models, threads): {:.2} s, {} weights",
            t.elapsed().as_secs_f64(),
            r.weight_count()
        );
        let t = Instant::now();
        let l = tamga_hs::Discriminative::train(&model, &examples, p.linear, (1.0, 1.0));
        println!(
            "linear models (2 threads): {:.2} s, {} weights",
            t.elapsed().as_secs_f64(),
            l.weight_count()
        );
        return;
    }

    if args.iter().any(|a| a == "--tune-linear") {
        let (fit, valid) = split(&train, 200, 2);
        let d = Params::default();
        let mut variants = vec![d];
        if args.iter().any(|a| a == "--both") {
            variants.push(Params {
                rerank: RerankParams {
                    folds: 0,
                    ..d.rerank
                },
                ..d
            });
        }
        if args.iter().any(|a| a == "--blend") {
            variants = vec![
                Params { knn: 1.0, ..d },
                Params { heading: 0.25, ..d },
                Params {
                    word_share: 0.6,
                    ..d
                },
            ];
        }
        for params in variants {
            let (mut c, secs) = build(&fit, params);
            println!(
                "built in {secs:.1} s ({params:?}); linear weights {}",
                c.linear().weight_count()
            );
            for (h, s) in [
                (0.0, 0.0),
                (0.8, 0.2),
                (0.8, 0.4),
                (1.2, 0.2),
                (1.2, 0.4),
                (1.6, 0.4),
                (2.4, 0.4),
            ] {
                c.set_linear_weights(h, s);
                show(&format!("validation h {h} s {s}"), &accuracy(&c, &valid));
            }
        }
        return;
    }

    if let Some(i) = args.iter().position(|a| a == "--eval") {
        // A labelled CSV (`description,hs_code`) with the shipped model,
        // for each head-phrase weight.
        let text = std::fs::read_to_string(&args[i + 1]).expect("--eval FILE");
        let mut rows = Vec::new();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().expect("--eval: a header").clone();
        let column = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.contains(&h))
                .expect("--eval: description,hs_code (or HMRC's GDSDESC,CMDTYCODE)")
        };
        let (d, k) = (
            column(&["description", "GDSDESC"]),
            column(&["hs_code", "CMDTYCODE"]),
        );
        for r in reader.records() {
            let r = r.expect("--eval: a CSV");
            rows.push(Example {
                description: r[d].to_owned(),
                code: r[k].to_owned(),
                source: tamga_hs::Source::Parcel,
            });
        }
        let examples = tamga_hs::corpus::shipped_examples().expect("shipped");
        let mut p = Params::default();
        if let Some(i) = args.iter().position(|a| a == "--lexicon") {
            p.lexicon = args[i + 1].parse().expect("--lexicon WEIGHT");
        }
        if let Some(i) = args.iter().position(|a| a == "--head") {
            p.head = args[i + 1].parse().expect("--head WEIGHT");
        }
        println!("lexicon {}, head {}", p.lexicon, p.head);
        let c = Classifier::build(SHIPPED_HS2022, examples, p).expect("builds");
        show(&args[i + 1], &accuracy(&c, &rows));
        return;
    }

    if args.iter().any(|a| a == "--tune-sub") {
        // Variants aimed at subheadings, on the validation split.
        let (fit, valid) = split(&train, 200, 2);
        let d = Params::default();
        for w in [1.0, 2.0, 3.0, 4.0] {
            let p = Params {
                linear: tamga_hs::LinearParams {
                    nomenclature_weight: w,
                    ..d.linear
                },
                ..d
            };
            let name = format!("linear nomenclature weight {w}");
            let (c, secs) = build(&fit, p);
            show(
                &format!("validation {name} ({secs:.0} s)"),
                &accuracy(&c, &valid),
            );
        }
        return;
    }

    if args.iter().any(|a| a == "--tune-lexicon") {
        // The lexicon's weight, on the validation split of the 80 %.
        let (fit, valid) = split(&train, 200, 2);
        for (lexicon, head) in [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.5, 0.0), (1.0, 1.0)] {
            let (c, secs) = build(
                &fit,
                Params {
                    lexicon,
                    head,
                    ..Params::default()
                },
            );
            show(
                &format!("validation lexicon {lexicon} head {head} ({secs:.0} s)"),
                &accuracy(&c, &valid),
            );
        }
        return;
    }

    if args.iter().any(|a| a == "--tune") {
        let (fit, valid) = split(&train, 200, 2);
        let mut results = Vec::new();
        let d = Params::default();
        let mut grid = Vec::new();
        for rate in [1.0, 2.0] {
            for word_share in [0.5, 0.7] {
                for knn in [0.5, 1.0] {
                    grid.push(Params {
                        word_share,
                        knn,
                        nomenclature_weight: 2.0,
                        rerank: RerankParams { rate, ..d.rerank },
                        ..d
                    });
                }
            }
        }
        for params in grid {
            {
                {
                    {
                        let (c, _) = build(&fit, params);
                        let a = accuracy(&c, &valid);
                        let key = a.heading.top1
                            + a.subheading.top1
                            + 0.5 * (a.heading.top5 + a.subheading.top5);
                        results.push((key, params, a));
                    }
                }
            }
        }
        results.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (key, p, a) in results.iter().take(8) {
            println!("{key:.4} {p:?}");
            show("  validation", a);
        }
        return;
    }

    if args.iter().any(|a| a == "--pooled") {
        pooled(&args, &train, &test);
        return;
    }

    let mut params = Params::default();
    if let Some(i) = args.iter().position(|a| a == "--lexicon") {
        params.lexicon = args[i + 1].parse().expect("--lexicon WEIGHT");
    }
    if let Some(i) = args.iter().position(|a| a == "--head") {
        params.head = args[i + 1].parse().expect("--head WEIGHT");
    }
    println!(
        "lexicon weight {}, head weight {}",
        params.lexicon, params.head
    );
    let (held, secs) = build(&train, params);
    println!("build on the 80 %: {secs:.3} s");
    if args.iter().any(|a| a == "--misses") {
        for e in test.iter().take(60) {
            let r = held.rank(&e.description).expect("valid");
            let top = r.top_codes(3);
            println!(
                "{:<40} {} {:?} rank {:?}",
                e.description,
                e.code,
                top,
                r.heading_rank(&e.code).ok()
            );
        }
    }
    let a = accuracy(&held, &test);
    show("held out 20 % (all)", &a);
    let only = |s: tamga_hs::Source| {
        test.iter()
            .filter(|e| e.source == s)
            .cloned()
            .collect::<Vec<_>>()
    };
    show(
        "held out: parcel descriptions",
        &accuracy(&held, &only(tamga_hs::Source::Parcel)),
    );
    show(
        "held out: search terms",
        &accuracy(&held, &only(tamga_hs::Source::SearchTerm)),
    );

    let terms_only = dedupe(terms.clone());
    let (ood, _) = build(&terms_only, params);
    let parcels_distinct: Vec<Example> = dedupe(parcels.clone())
        .into_iter()
        .filter(|p| {
            !terms_only.iter().any(|t| {
                tamga_hs::corpus::normalised(&t.description)
                    == tamga_hs::corpus::normalised(&p.description)
            })
        })
        .collect();
    show(
        "OOD 1: terms+nomenclature → parcels",
        &accuracy(&ood, &parcels_distinct),
    );

    let start = Instant::now();
    let shipped = Classifier::build(
        SHIPPED_HS2022,
        tamga_hs::corpus::shipped_examples().expect("shipped"),
        params,
    )
    .expect("shipped model builds");
    let shipped_secs = start.elapsed().as_secs_f64();
    let mut brands = Vec::new();
    let brands_csv = read("hmrc-fpo/brands.csv");
    let mut reader = csv::Reader::from_reader(brands_csv.as_bytes());
    for r in reader.records() {
        let r = r.expect("brands.csv");
        brands.push(Example {
            description: r[1].to_owned(),
            code: r[0].to_owned(),
            source: tamga_hs::Source::Parcel,
        });
    }
    show(
        "OOD 2: brands.csv (shipped model)",
        &accuracy(&shipped, &brands),
    );

    // Latency: one core, the held-out descriptions, rank + 5 suggestions;
    // each description 5 times. Raw calls, and the fastest of each
    // description's 5 (what is left when other processes' preemptions on a
    // shared machine are taken out).
    let mut times: Vec<f64> = Vec::with_capacity(test.len() * 5);
    let mut fastest = vec![f64::INFINITY; test.len()];
    for _ in 0..5 {
        for (i, e) in test.iter().enumerate() {
            let t = Instant::now();
            let s = held.suggest(&e.description, 5).expect("suggests");
            std::hint::black_box(s);
            let us = t.elapsed().as_secs_f64() * 1e6;
            times.push(us);
            fastest[i] = fastest[i].min(us);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p) as usize]
    };
    println!(
        "latency per description (suggest, top 5, one core): all calls p50 {:.0} µs, p99 {:.0} µs ({} calls); fastest of 5 per description p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99),
        times.len(),
        pct(&mut fastest, 0.5),
        pct(&mut fastest, 0.99),
        pct(&mut fastest, 1.0),
    );
    let m = shipped.model();
    println!(
        "shipped model: built in {shipped_secs:.3} s from {} labelled descriptions; {} features, {} index weights, {} correction weights, {} linear weights (~{:.1} MB in memory)",
        m.example_count(),
        m.feature_count(),
        m.weight_count(),
        shipped.reranker().weight_count(),
        shipped.linear().weight_count(),
        (m.weight_count() * 8
            + m.feature_count() * 24
            + shipped.reranker().weight_count() * 24
            + shipped.linear().weight_count() * 8) as f64
            / 1e6
    );
}
