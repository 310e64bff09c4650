//! `tamga hs suggest|predict|evaluate` end to end: suggestions with their
//! reasons as JSON, one ranked block per CSV row in order, the evaluation
//! document exactly as documented, and bad files refused with the line
//! and column (never a panic).

use std::process::Command;

use serde_json::Value;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tamga"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn suggest_prints_ranked_candidates_with_reasons() {
    let (ok, stdout, stderr) = run(&["hs", "suggest", "laptop computer", "--top", "3", "--json"]);
    assert!(ok, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let s = doc["suggestions"].as_array().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0]["code"], "847130");
    assert_eq!(s[0]["path"]["heading"]["code"], "8471");
    assert_eq!(s[0]["path"]["chapter"]["code"], "84");
    assert!(s[0]["matching_terms"]
        .as_array()
        .unwrap()
        .contains(&"laptop".into()));
    assert!(s[0]["score"].as_f64().unwrap() >= s[1]["score"].as_f64().unwrap());
    let (ok, text, _) = run(&["hs", "suggest", "laptop computer"]);
    assert!(ok);
    assert!(text.starts_with("1. 847130"), "{text}");
}

#[test]
fn predict_writes_each_row_in_order_and_evaluate_prints_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("goods.csv");
    std::fs::write(
        &csv,
        "id,description,hs_code\n1,laptop computer,8471300000\n2,\"mens leather boots\",64039100\n3,live horses,010121\n",
    )
    .unwrap();
    let path = csv.to_str().unwrap();
    let (ok, stdout, stderr) = run(&["hs", "predict", "--csv", path, "--top", "2"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "row,rank,code,score");
    assert_eq!(lines.len(), 1 + 3 * 2);
    let keys: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            assert_eq!(f[2].len(), 6, "{l}");
            f[3].parse::<f64>().unwrap();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect();
    let expected: Vec<(String, String)> = (1..=3)
        .flat_map(|r| (1..=2).map(move |k| (r.to_string(), k.to_string())))
        .collect();
    assert_eq!(keys, expected);
    assert!(lines[1].starts_with("1,1,847130,"), "{}", lines[1]);
    assert!(lines[3].starts_with("2,1,64"), "{}", lines[3]);

    let (ok, stdout, stderr) = run(&["hs", "evaluate", "--csv", path, "--json"]);
    assert!(ok, "{stderr}");
    let doc: Value = serde_json::from_str(stdout.trim()).unwrap();
    let expected = format!(
        r#"{{"rows": 3, "heading": {{"top1": 1.0, "top5": 1.0}}, "subheading": {{"top1": {}, "top5": {}}}}}"#,
        doc["subheading"]["top1"], doc["subheading"]["top5"]
    );
    assert_eq!(stdout.trim(), expected);
    assert!(doc["subheading"]["top1"].as_f64().unwrap() >= 2.0 / 3.0);
}

#[test]
fn bad_files_are_refused_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("predict", b"text\nshoes\n", "line 1: no `description` column"),
        ("predict", b"description\nshoes\n\"\"\n", "line 3, column 1 (description): the description is empty [hs.description_empty]"),
        ("predict", b"n,description\n1,shoes\n2,a\x00b\n", "line 3, column 2 (description): the description is not text"),
        ("predict", b"description\n\xff\xfe\n", "line 2, column 1 (description): not UTF-8 text"),
        ("predict", b"description\nshoes,boots\n", "line 2: 2 fields where the header has 1"),
        ("evaluate", b"description,hs_code\nshoes,6403\n", "line 2, column 2 (hs_code): \"6403\" is not an HS code of 6 or more digits [hs.code_invalid]"),
        ("evaluate", b"description,hs_code\nshoes,64o391\n", "line 2, column 2 (hs_code)"),
        ("evaluate", b"description\nshoes\n", "no `hs_code` column"),
    ];
    for (i, (command, body, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.csv"));
        std::fs::write(&path, body).unwrap();
        let (ok, _, stderr) = run(&["hs", command, "--csv", path.to_str().unwrap()]);
        assert!(!ok, "case {i} succeeded");
        assert!(stderr.contains(expected), "case {i}: {stderr}");
        assert!(!stderr.contains("panicked"), "case {i}: {stderr}");
    }
    let huge = format!("description\n{}\n", "shoe ".repeat(1000));
    let path = dir.path().join("huge.csv");
    std::fs::write(&path, huge).unwrap();
    let (ok, _, stderr) = run(&["hs", "predict", "--csv", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("line 2, column 1 (description)")
            && stderr.contains("hs.description_too_long"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&["hs", "suggest", "", "--json"]);
    assert!(!ok);
    assert!(stderr.contains("hs.description_empty"), "{stderr}");
    let (ok, _, stderr) = run(&["hs", "suggest", "shoes", "--top", "0"]);
    assert!(!ok);
    assert!(stderr.contains("--top must be 1 to 50"), "{stderr}");
}
