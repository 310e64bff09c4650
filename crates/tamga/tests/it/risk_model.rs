//! `tamga risk train|score|evaluate` end to end on small KCS-format files
//! written here: a model learns which importers cheat, scores every row in
//! order, evaluates with the documented JSON, is byte-for-byte the same
//! for the same seed, and bad files get an error naming line and column.

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
