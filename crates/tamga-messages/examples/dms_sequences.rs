//! For every sample folder holding DMS notifications: the function codes
//! the CDS sent for each declaration against tamga's
//! ([`tamga_messages::dms_conformance`]), and the differences.
//!
//! `cargo run -p tamga-messages --example dms_sequences -- DIR [--json] [PROFILE]`
//!
//! DIR is the samples folder (`../shared/data/messages/wco-dec-dms-cds/samples`);
//! each of its sub-folders is one scenario. PROFILE is the code-list
//! profile control runs under (default `cds`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tamga_core::reference::ReferenceData;
use tamga_messages::dms_conformance::{compare_folder, read_responses, Basis, FolderComparison};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")) {
            out.push(p);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    let dir = PathBuf::from(rest.first().expect("the samples folder"));
    let profile = rest.get(1).map_or("cds", |p| p.as_str());
    let bundle = tamga_messages::profile::bundle(profile).expect("profile");
    let reference = ReferenceData::new(&bundle);
    let today = time::macros::date!(2026 - 12 - 07);
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read the folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut results: Vec<FolderComparison> = Vec::new();
    for folder in &folders {
        let mut paths = Vec::new();
        walk(folder, &mut paths);
        let files: Vec<(String, Vec<u8>)> = paths
            .iter()
            .filter_map(|p| {
                let bytes = std::fs::read(p).ok()?;
                let name = p.strip_prefix(folder).ok()?.display().to_string();
                Some((name, bytes))
            })
            .collect();
        if !files.iter().any(|(_, b)| read_responses(b).is_some()) {
            continue;
        }
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        results.push(compare_folder(&name, &files, &reference, today));
    }
    // Summary.
    let mut basis: BTreeMap<String, usize> = BTreeMap::new();
    let mut differences: BTreeMap<String, usize> = BTreeMap::new();
    let mut outcome: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejection_codes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut compared, mut same, mut same_outcome) = (0, 0, 0);
    for f in &results {
        for d in f.declarations.iter().filter(|d| !d.expected.is_empty()) {
            compared += 1;
            same += usize::from(d.differences.is_empty());
            same_outcome += usize::from(d.outcome_differences.is_empty());
            for (code, _) in &d.tamga_errors {
                *rejection_codes.entry(code.clone()).or_default() += 1;
            }
            for x in &d.outcome_differences {
                *outcome.entry(x.clone()).or_default() += 1;
            }
            *basis.entry(format!("{:?}", d.basis)).or_default() += 1;
            for x in &d.differences {
                let general = if x.starts_with("CDS error") {
                    "CDS error tamga does not report".to_owned()
                } else {
                    x.clone()
                };
                *differences.entry(general).or_default() += 1;
            }
        }
    }
    if json {
        let out = serde_json::json!({
            "folders": results,
            "summary": {
                "foldersWithNotifications": results.len(),
                "declarationsCompared": compared,
                "sameSequence": same,
                "basis": basis,
                "differences": differences,
                "sameSequenceOnCdsOutcome": same_outcome,
                "outcomeDifferences": outcome,
                "tamgaRejectionCodes": rejection_codes,
            }
        });
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
        return;
    }
    for f in &results {
        println!("{}", f.folder);
        for d in &f.declarations {
            let basis = match d.basis {
                Basis::NotRead => "not read",
                Basis::ControlRefused => "control refused",
                Basis::NotTakenAsXml => "function 13, not taken as XML",
                Basis::PassedControlGreenPath => "passed control (green path)",
            };
            println!(
                "  {} (LRN {}): CDS [{}] / tamga [{}] ({basis})",
                d.file,
                d.lrn.as_deref().unwrap_or("-"),
                d.expected.join(", "),
                d.tamga.join(", ")
            );
            for x in &d.differences {
                println!("      - {x}");
            }
            if !d.expected.is_empty() {
                println!(
                    "      on the CDS outcome, tamga [{}]{}",
                    d.tamga_on_cds_outcome.join(", "),
                    if d.outcome_differences.is_empty() {
                        ": the same"
                    } else {
                        ""
                    }
                );
                for x in &d.outcome_differences {
                    println!("        - {x}");
                }
            }
        }
        for (lrn, codes) in &f.unmatched {
            println!(
                "  notifications for LRN {lrn} (no declaration in the folder): [{}]",
                codes.join(", ")
            );
        }
    }
    println!(
        "\n{} folders with notifications, {compared} declarations compared, {same} with the same sequence",
        results.len()
    );
    println!("basis: {basis:?}");
    for (d, n) in &differences {
        println!("  {n:>4}  {d}");
    }
    println!("tamga's rejections, by CDS validation code: {rejection_codes:?}");
    println!("on the CDS outcome: {same_outcome} of {compared} the same sequence");
    for (d, n) in &outcome {
        println!("  {n:>4}  {d}");
    }
}
