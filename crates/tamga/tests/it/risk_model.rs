//! `tamga risk train|score|evaluate` end to end on small KCS-format files
//! written here: a model learns which importers cheat, scores every row in
//! order, evaluates with the documented JSON, is byte-for-byte the same
//! for the same seed, and bad files get an error naming line and column;
//! `tamga risk simulate` spends exactly the budget each week, the top
//! scores catch the planted cheats, and a seed gives the same report.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn tamga() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tamga"))
}

const HEADER: &str = "Declaration ID,Date,Office ID,Importer ID,Declarant ID,HS6 Code,Country of Origin,Net Mass,Item Price,Tax Rate,Fraud";

/// Importers BAD0..BAD3 cheat on three days in four, OK0..OK15 rarely.
fn write_kcs(path: &Path, days: std::ops::Range<u32>) {
    let mut text = format!("{HEADER}\n");
    for day in days {
        for k in 0..20u32 {
            let bad = k < 4;
            let importer = if bad {
                format!("BAD{k}")
            } else {
                format!("OK{k}")
            };
            let fraud = if bad {
                !day.is_multiple_of(4)
            } else {
                (day + k).is_multiple_of(25)
            };
            let id = 1_000_000 + day * 100 + k;
            let date = time::Date::from_ordinal_date(2020, (day + 1) as u16).unwrap();
            text.push_str(&format!(
                "{id},{date},{office},{importer},D{d},8471{hs:02},CN,{mass},{price},8.0,{f}\n",
                office = 10 + k % 3,
                d = k % 5,
                hs = k % 4,
                mass = 10 + k,
                price = 1000 + (day * 7 + k) % 50,
                f = u8::from(fraud),
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = tamga().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_model_is_trained_scores_and_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let (train, valid) = (dir.path().join("train.csv"), dir.path().join("valid.csv"));
    write_kcs(&train, 0..120);
    write_kcs(&valid, 120..150);
    let model = dir.path().join("model.json");
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    let args = [
        "risk",
        "train",
        "--csv",
        &p(&train),
        "--out",
        &p(&model),
        "--seed",
        "7",
        "--json",
    ];
    let (ok, out, err) = run(&args);
    assert!(ok, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["rows"], 2400);
    assert_eq!(summary["dataFrom"], "2020-01-01");
    let hash = summary["contentHash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    // The same data and seed: the same model, byte for byte.
    let first = std::fs::read(&model).unwrap();
    assert!(run(&args).0);
    assert_eq!(std::fs::read(&model).unwrap(), first);

    // Scores: a header, then one line per row in the file's order.
    let (ok, out, err) = run(&["risk", "score", "--model", &p(&model), "--csv", &p(&valid)]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Declaration ID,score");
    assert_eq!(lines.len(), 1 + 30 * 20);
    assert!(lines[1].starts_with("1012000,"), "{}", lines[1]);
    let score = |line: &str| line.split(',').nth(1).unwrap().parse::<f64>().unwrap();
    // A cheating importer (k = 1) scores above an honest one (k = 10).
    assert!(
        score(lines[2]) > score(lines[11]),
        "{} {}",
        lines[2],
        lines[11]
    );

    // Evaluation: exactly the documented keys; the cheats are found.
    let (ok, out, err) = run(&[
        "risk",
        "evaluate",
        "--model",
        &p(&model),
        "--csv",
        &p(&valid),
        "--json",
    ]);
    assert!(ok, "{err}");
    let e: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{e}");
    for k in [
        "rows",
        "frauds",
        "auc",
        "precision_at",
        "recall_at",
        "revenue_at",
    ] {
        assert!(e.get(k).is_some(), "{k} in {e}");
    }
    assert_eq!(e["rows"], 600);
    assert!(e["auc"].as_f64().unwrap() > 0.9, "{e}");
    // The cheats cheat on three days in four, a sixth of all rows fraudulent.
    assert!(e["precision_at"]["10"].as_f64().unwrap() > 0.6, "{e}");
    assert!(e["revenue_at"]["5"].is_null(), "no revenue column: {e}");
}

#[test]
fn bad_files_and_models_are_refused_with_a_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    let model = dir.path().join("m.json");
    // A missing label column.
    std::fs::write(&bad, "Declaration ID,Date\n1,2020-01-01\n").unwrap();
    let (ok, _, err) = run(&["risk", "train", "--csv", &p(&bad), "--out", &p(&model)]);
    assert!(!ok);
    assert!(err.contains("line 1") && err.contains("Fraud"), "{err}");
    // A wrong type, with its line and column.
    std::fs::write(
        &bad,
        format!("{HEADER}\n1,2020-01-01,1,I,D,847100,CN,ten,5,8,0\n"),
    )
    .unwrap();
    let (ok, _, err) = run(&["risk", "train", "--csv", &p(&bad), "--out", &p(&model)]);
    assert!(!ok);
    assert!(err.contains("line 2") && err.contains("Net Mass"), "{err}");
    // No fraudulent row: nothing to learn.
    std::fs::write(
        &bad,
        format!("{HEADER}\n1,2020-01-01,1,I,D,847100,CN,1,5,8,0\n"),
    )
    .unwrap();
    let (ok, _, err) = run(&["risk", "train", "--csv", &p(&bad), "--out", &p(&model)]);
    assert!(!ok);
    assert!(err.contains("fraudulent"), "{err}");
    assert!(!model.exists());
    // A foreign model file is refused at load.
    std::fs::write(&model, "{\"trees\": []}").unwrap();
    std::fs::write(
        &bad,
        format!("{HEADER}\n1,2020-01-01,1,I,D,847100,CN,1,5,8,0\n"),
    )
    .unwrap();
    let (ok, _, err) = run(&["risk", "score", "--model", &p(&model), "--csv", &p(&bad)]);
    assert!(!ok);
    assert!(err.contains("not a tamga risk model"), "{err}");
}

/// The JSON report of `tamga risk simulate` on `csv` with `extra` args.
fn simulate_json(csv: &Path, extra: &[&str]) -> (String, Value) {
    let mut args = vec![
        "risk",
        "simulate",
        "--csv",
        csv.to_str().unwrap(),
        "--budget",
        "10%",
        "--explore",
        "30",
        "--seed",
        "3",
        "--warmup-weeks",
        "3",
        "--retrain-every",
        "2",
        "--trees",
        "20",
        "--json",
    ];
    args.extend_from_slice(extra);
    let (ok, out, err) = run(&args);
    assert!(ok, "{err}");
    let report = serde_json::from_str(&out).unwrap();
    (out, report)
}

#[test]
fn the_simulator_spends_the_budget_and_compares_the_strategies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    // 2020-01-01 (a Wednesday, ISO week 1) to 2020-03-24 (a Tuesday, week
    // 13): partial first and last weeks.
    write_kcs(&data, 0..84);
    let (out, r) = simulate_json(&data, &[]);
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["settings", "simulated", "totals", "warmup", "weeks"],
        "{r}"
    );
    assert_eq!(r["settings"]["budget"], 0.1);
    assert_eq!(r["settings"]["explore"], 0.3);
    assert_eq!(r["warmup"]["from"], "2020-01-01");
    // Weeks 1 to 3 train the first model (5 + 7 + 7 days of 20 rows).
    assert_eq!(r["warmup"]["declarations"], 380);
    let weeks = r["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 10);
    assert_eq!(weeks[0]["week"], "2020-W04");
    assert_eq!(weeks[9]["week"], "2020-W13");
    let strategies = ["exploit", "random", "uncertain", "adaptive"];
    for w in weeks {
        let declarations = w["declarations"].as_u64().unwrap();
        let budget = (declarations as f64 * 0.1).round() as u64;
        assert_eq!(w["inspections"].as_u64().unwrap(), budget, "{w}");
        for s in strategies {
            let o = &w["results"][s];
            assert_eq!(o["inspected"].as_u64().unwrap(), budget, "{s} in {w}");
            assert!(o["frauds"].as_u64().unwrap() <= w["frauds"].as_u64().unwrap());
            assert!(o["revenue"].is_null(), "no revenue column");
        }
        assert_eq!(w["results"]["exploit"]["explored"], 0);
        // 30 % of a full week's 14 inspections.
        if declarations == 140 {
            assert_eq!(w["results"]["random"]["explored"], 4, "{w}");
        }
    }
    assert_eq!(weeks[9]["declarations"], 40);
    let total = |s: &str, k: &str| r["totals"][s][k].as_f64().unwrap();
    let inspected: u64 = weeks
        .iter()
        .map(|w| w["inspections"].as_u64().unwrap())
        .sum();
    for s in strategies {
        assert_eq!(total(s, "inspected"), inspected as f64);
    }
    // The planted cheats are found; exploring costs some of them.
    assert!(total("exploit", "precision") > 0.6, "{r}");
    assert!(
        total("exploit", "frauds") >= total("random", "frauds"),
        "{r}"
    );
    assert!(r["totals"]["exploit"]["estimated_frauds"].is_null());
    assert!(total("random", "estimated_frauds") > 0.0);

    // The same seed, the same report, byte for byte.
    assert_eq!(simulate_json(&data, &[]).0, out);
    // One strategy alone.
    let (_, one) = simulate_json(&data, &["--strategy", "exploit"]);
    assert_eq!(
        one["settings"]["strategies"],
        serde_json::json!(["exploit"])
    );
    assert_eq!(one["totals"]["exploit"], r["totals"]["exploit"]);
    assert!(one["totals"].get("random").is_none());

    // The table: a line per week and the totals.
    let (ok, text, err) = run(&[
        "risk",
        "simulate",
        "--csv",
        data.to_str().unwrap(),
        "--budget",
        "10",
        "--explore",
        "30%",
        "--seed",
        "3",
        "--warmup-weeks",
        "3",
        "--retrain-every",
        "2",
        "--trees",
        "20",
    ]);
    assert!(ok, "{err}");
    assert!(
        text.contains("2020-W04") && text.contains("2020-W13"),
        "{text}"
    );
    let exploit_line = text
        .lines()
        .find(|l| l.starts_with("exploit "))
        .unwrap_or_else(|| panic!("{text}"));
    let frauds = total("exploit", "frauds").to_string();
    assert!(
        exploit_line.split_whitespace().nth(3) == Some(frauds.as_str()),
        "{exploit_line} vs {frauds}"
    );
}

#[test]
fn the_simulator_refuses_bad_arguments_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    write_kcs(&data, 0..84);
    let csv = data.to_str().unwrap();
    let fails = |args: &[&str]| {
        let mut all = vec!["risk", "simulate", "--csv", csv];
        all.extend_from_slice(args);
        let (ok, _, err) = run(&all);
        assert!(!ok, "{args:?} should fail");
        err
    };
    for budget in ["0", "0%", "150%", "five", "0.05"] {
        let err = fails(&["--budget", budget]);
        assert!(err.contains("--budget"), "{budget}: {err}");
    }
    assert!(fails(&["--budget", "0.05"]).contains("ambiguous"));
    let err = fails(&["--explore", "101"]);
    assert!(err.contains("--explore") && err.contains("100 %"), "{err}");
    let err = fails(&["--strategy", "greedy"]);
    assert!(err.contains("--strategy"), "{err}");
    let err = fails(&["--warmup-weeks", "13"]);
    assert!(err.contains("13 ISO weeks"), "{err}");
    // Every row replayed needs its label.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Declaration ID,Date\n1,2020-01-01\n").unwrap();
    let (ok, _, err) = run(&["risk", "simulate", "--csv", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("line 1") && err.contains("Fraud"), "{err}");
    std::fs::write(
        &bad,
        format!("{HEADER}\n1,2020-01-01,1,I,D,847100,CN,1,5,8,\n"),
    )
    .unwrap();
    let (ok, _, err) = run(&["risk", "simulate", "--csv", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("line 2") && err.contains("Fraud"), "{err}");
}
