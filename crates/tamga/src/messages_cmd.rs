//! `tamga messages convert|conformance`: standard messages (`tamga_messages`)
//! from the command line. Reading files and printing live here; the
//! messages crate does no IO of its own.
//!
//! - `convert --from wco|edifact FILE [--json]`: the mapped declaration
//!   (tamga's wire JSON), the elements (segments) not used and control's
//!   result, or every error with its XPath (segment position); exits 0
//!   only when the message was mapped.
//! - `convert --to wco|edifact FILE`: tamga's JSON declaration as DEC-DMS
//!   XML or as a CUSDEC (`--directory 96b|99b`).
//! - `conformance DIR [--json]`: every `.xml` under DIR, and every `.edi`,
//!   `.edifact` or `.txt` that is a UN/EDIFACT interchange; per file mapped
//!   or not, what is not used, errors and control's result, and the share
//!   mapped.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use tamga_core::reference::ReferenceData;
use tamga_messages::conformance::{self, Report};
use tamga_messages::profile;

use crate::out;

/// The message formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// WCO DEC-DMS XML (WCO Data Model 3.6, as the UK's CDS).
    Wco,
    /// UN/EDIFACT CUSDEC (directories D:96B and D:99B).
    Edifact,
}

/// The CUSDEC directory `--to edifact` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdiDirectory {
    #[value(name = "96b")]
    D96b,
    #[value(name = "99b")]
    D99b,
}

#[derive(clap::Subcommand, Debug)]
pub enum MessagesCommand {
    /// Convert one message: `--from wco|edifact FILE` (to tamga's
    /// declaration) or `--to wco|edifact FILE` (tamga's JSON declaration to
    /// DEC-DMS XML or CUSDEC).
    #[command(group(clap::ArgGroup::new("direction").required(true).args(["from", "to"])))]
    Convert {
        /// The format FILE is in; prints tamga's declaration.
        #[arg(long)]
        from: Option<Format>,
        /// The format to write tamga's JSON declaration in FILE as.
        #[arg(long)]
        to: Option<Format>,
        file: PathBuf,
        /// Print the JSON document (with --from).
        #[arg(long)]
        json: bool,
        /// Code-list profile control checks against: tamga or cds.
        #[arg(long, default_value = "cds")]
        profile: String,
        /// Write the message here instead of standard output (with --to).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The CUSDEC directory (with --to edifact).
        #[arg(long, value_enum, default_value = "96b")]
        directory: EdiDirectory,
    },
    /// Run every `.xml` (and EDIFACT `.edi`, `.edifact`, `.txt`) under DIR
    /// and report per file.
    Conformance {
        dir: PathBuf,
        /// Print exactly one JSON document.
        #[arg(long)]
        json: bool,
        /// Code-list profile control checks against: tamga or cds.
        #[arg(long, default_value = "cds")]
        profile: String,
    },
}

pub fn run(cmd: MessagesCommand) -> Result<(), String> {
    match cmd {
        MessagesCommand::Convert {
            from: Some(Format::Wco),
            file,
            json,
            profile,
            ..
        } => convert_from(&file, json, &profile),
        MessagesCommand::Convert {
            from: Some(Format::Edifact),
            file,
            json,
            profile,
            ..
        } => convert_from_edifact(&file, json, &profile),
        MessagesCommand::Convert {
            to: Some(format),
            file,
            out: target,
            directory,
            ..
        } => convert_to(&file, format, directory, target.as_deref()),
        MessagesCommand::Convert { .. } => Err("give --from or --to".to_owned()),
        MessagesCommand::Conformance { dir, json, profile } => {
            conformance_dir(&dir, json, &profile)
        }
    }
}

fn reference(name: &str) -> Result<ReferenceData, String> {
    Ok(ReferenceData::new(&profile::bundle(name)?))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn read(file: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

fn convert_from(file: &Path, as_json: bool, profile: &str) -> Result<(), String> {
    let bytes = read(file)?;
    let reference = reference(profile)?;
    let limits = tamga_messages::Limits::default();
    let (doc, mapped) = match tamga_messages::read_wco(&bytes, &limits) {
        Ok(m) => {
            let report = conformance::check(&bytes, &reference, today());
            let mut doc = serde_json::to_value(&m).map_err(|e| e.to_string())?;
            doc["mapped"] = json!(true);
            if let Some(c) = report.control {
                doc["control"] = serde_json::to_value(c).map_err(|e| e.to_string())?;
            }
            (doc, true)
        }
        Err(errors) => (json!({"mapped": false, "errors": errors}), false),
    };
    let headline = format!(
        "{}: mapped ({}), {} element(s) not used",
        file.display(),
        doc["kind"].as_str().unwrap_or(""),
        doc["notUsed"].as_array().map_or(0, Vec::len)
    );
    print_conversion(file, &doc, mapped, as_json, &headline)
}

/// Prints a conversion: the JSON report, or the headline, the mapped
/// document and what was not used, or every error; fails when the message
/// was not mapped.
fn print_conversion(
    file: &Path,
    doc: &serde_json::Value,
    mapped: bool,
    as_json: bool,
    headline: &str,
) -> Result<(), String> {
    if as_json {
        out(serde_json::to_string_pretty(doc).map_err(|e| e.to_string())?)?;
    } else if mapped {
        out(headline.to_owned())?;
        out(serde_json::to_string_pretty(&doc["document"]).map_err(|e| e.to_string())?)?;
        for u in doc["notUsed"].as_array().into_iter().flatten() {
            out(format!("not used: {}", u.as_str().unwrap_or("")))?;
        }
    } else {
        for e in doc["errors"].as_array().into_iter().flatten() {
            out(format!(
                "{} at {}: {}",
                e["code"].as_str().unwrap_or(""),
                e["pointer"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            ))?;
        }
    }
    if mapped {
        Ok(())
    } else {
        Err(format!("{} was not mapped", file.display()))
    }
}

fn convert_from_edifact(file: &Path, as_json: bool, profile: &str) -> Result<(), String> {
    let bytes = read(file)?;
    let reference = reference(profile)?;
    let (doc, mapped) = match tamga_messages::read_cusdec(&bytes) {
        Ok(m) => {
            let control = conformance::run_cusdec_control(&m, &reference, today());
            let mut doc = serde_json::to_value(&m).map_err(|e| e.to_string())?;
            doc["mapped"] = json!(true);
            doc["control"] = serde_json::to_value(control).map_err(|e| e.to_string())?;
            (doc, true)
        }
        Err(errors) => (json!({"mapped": false, "errors": errors}), false),
    };
    let headline = format!(
        "{}: mapped (CUSDEC D:{}), {} segment(s), element(s) or component(s) not used",
        file.display(),
        doc["directory"].as_str().unwrap_or(""),
        doc["notUsed"].as_array().map_or(0, Vec::len)
    );
    print_conversion(file, &doc, mapped, as_json, &headline)
}

fn convert_to(
    file: &Path,
    format: Format,
    directory: EdiDirectory,
    target: Option<&Path>,
) -> Result<(), String> {
    let bytes = read(file)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
    let (declaration, violations) = tamga_core::control::parse_declaration(&value);
    let Some(d) = declaration else {
        let lines: Vec<String> = violations
            .iter()
            .map(|v| format!("{} at {}: {}", v.code, v.pointer, v.message))
            .collect();
        return Err(format!(
            "{} is not a tamga declaration:\n{}",
            file.display(),
            lines.join("\n")
        ));
    };
    let written = match format {
        Format::Wco => tamga_messages::write_wco(&d),
        Format::Edifact => {
            let directory = match directory {
                EdiDirectory::D96b => tamga_messages::Directory::D96B,
                EdiDirectory::D99b => tamga_messages::Directory::D99B,
            };
            tamga_messages::write_cusdec(&d, directory, time::OffsetDateTime::now_utc())
        }
    };
    let text = written.map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    match target {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => out(text.trim_end()),
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let ext = |names: &[&str]| {
            path.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| names.iter().any(|n| x.eq_ignore_ascii_case(n)))
        };
        if path.is_dir() {
            walk(&path, found)?;
        } else if ext(&["xml"]) {
            found.push(path);
        } else if ext(&["edi", "edifact", "txt"]) {
            // Only what is an interchange (UNA or UNB first).
            let head = read(&path)?;
            if conformance::is_edifact(&head) {
                found.push(path);
            }
        }
    }
    Ok(())
}

/// The counts over a folder.
#[derive(Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    files: usize,
    /// Files that are other WCO messages (notifications, inventory linking
    /// …), not declarations.
    not_declarations: usize,
    /// Declarations, and files that could not be read as XML at all.
    declarations: usize,
    mapped: usize,
    not_mapped: usize,
    /// `mapped / declarations`.
    mapped_share: f64,
    /// Mapped lodgements whose document formed a typed declaration.
    declaration_formed: usize,
    /// Mapped lodgements that passed control under the profile.
    control_passed: usize,
    /// Not-mapped files by their first error code.
    not_mapped_by_code: std::collections::BTreeMap<String, usize>,
    /// Control violations of mapped lodgements, by rule code.
    violations_by_code: std::collections::BTreeMap<String, usize>,
    /// Where the declaration did not form: the profile's code-list
    /// findings on the codes the message carries, by rule code.
    code_lists_by_code: std::collections::BTreeMap<String, usize>,
    /// Elements not used, by their path without positions.
    not_used_by_element: std::collections::BTreeMap<String, usize>,
}

fn conformance_dir(dir: &Path, as_json: bool, profile: &str) -> Result<(), String> {
    let reference = reference(profile)?;
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    let today = today();
    let mut summary = Summary::default();
    let mut per_file = Vec::new();
    for f in &files {
        let bytes = read(f)?;
        let report: Report = if conformance::is_edifact(&bytes) {
            conformance::check_cusdec(&bytes, &reference, today)
        } else {
            conformance::check(&bytes, &reference, today)
        };
        summary.files += 1;
        let name = f.strip_prefix(dir).unwrap_or(f).display().to_string();
        if report.not_a_declaration() {
            summary.not_declarations += 1;
        } else {
            summary.declarations += 1;
            if report.mapped {
                summary.mapped += 1;
                for u in &report.not_used {
                    let key = strip_positions(u);
                    *summary.not_used_by_element.entry(key).or_default() += 1;
                }
                if let Some(c) = &report.control {
                    summary.declaration_formed += usize::from(c.declaration_formed);
                    summary.control_passed += usize::from(c.passed);
                    for v in &c.violations {
                        *summary
                            .violations_by_code
                            .entry(v.violation.code.clone())
                            .or_default() += 1;
                    }
                    for v in c.code_lists.iter().flatten() {
                        *summary
                            .code_lists_by_code
                            .entry(v.violation.code.clone())
                            .or_default() += 1;
                    }
                }
            } else {
                summary.not_mapped += 1;
                let code = report.errors.first().map_or("", |e| e.code);
                *summary
                    .not_mapped_by_code
                    .entry(code.to_owned())
                    .or_default() += 1;
            }
            if !as_json {
                let status = if report.mapped {
                    format!(
                        "mapped {} ({} not used{})",
                        report.kind.as_deref().unwrap_or(""),
                        report.not_used.len(),
                        report.control.as_ref().map_or(String::new(), |c| format!(
                            "; control: {}",
                            if c.passed {
                                "passed".to_owned()
                            } else {
                                format!("{} violation(s)", c.violations.len())
                            }
                        ))
                    )
                } else {
                    format!(
                        "NOT MAPPED: {}",
                        report
                            .errors
                            .first()
                            .map_or(String::new(), ToString::to_string)
                    )
                };
                out(format!("{name}: {status}"))?;
            }
        }
        per_file.push(json!({"file": name, "report": report}));
    }
    if summary.declarations > 0 {
        summary.mapped_share = summary.mapped as f64 / summary.declarations as f64;
    }
    if as_json {
        let doc = json!({"profile": profile, "summary": summary, "files": per_file});
        out(serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?)?;
    } else {
        out(format!(
            "{} files: {} declarations, {} mapped ({:.1} %), {} not mapped; {} other messages",
            summary.files,
            summary.declarations,
            summary.mapped,
            summary.mapped_share * 100.0,
            summary.not_mapped,
            summary.not_declarations
        ))?;
    }
    Ok(())
}

/// `/A/B[2]/C[1]` → `/A/B/C`; `segment 12 (FTX) element 3` → `FTX element 3`.
fn strip_positions(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("segment ") {
        if let Some((_, tail)) = rest.split_once(" (") {
            return tail.replacen(')', "", 1);
        }
    }
    let mut s = String::with_capacity(path.len());
    let mut skip = false;
    for c in path.chars() {
        match c {
            '[' => skip = true,
            ']' => skip = false,
            _ if !skip => s.push(c),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_declaration_goes_to_xml_and_back_through_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let json_path = dir.path().join("d.json");
        let xml_path = dir.path().join("d.xml");
        let bundle =
            tamga_core::reference::ReferenceBundle::from_csv(&tamga_core::reference::SHIPPED)
                .unwrap();
        let mut cfg = tamga_sim::GeneratorConfig::demo(2, time::macros::date!(2026 - 11 - 20), 3);
        cfg.error_share = Some(0.0);
        let body = tamga_sim::Generator::new(cfg, &bundle).unwrap().next().body;
        std::fs::write(&json_path, &body).unwrap();
        convert_to(&json_path, Format::Wco, EdiDirectory::D96b, Some(&xml_path)).unwrap();
        let xml = std::fs::read(&xml_path).unwrap();
        let m = tamga_messages::read_wco(&xml, &tamga_messages::Limits::default()).unwrap();
        let original: Value = serde_json::from_slice(&body).unwrap();
        let back = serde_json::to_value(tamga_messages::to_declaration(&m).unwrap()).unwrap();
        assert_eq!(back, original);
        assert!(convert_from(&xml_path, true, "tamga").is_ok());
        // A file that is not a declaration: not mapped, an error.
        std::fs::write(
            &xml_path,
            b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
        )
        .unwrap();
        assert!(convert_from(&xml_path, true, "tamga").is_err());
        assert!(convert_from(&xml_path, true, "nope").is_err());
    }

    #[test]
    fn a_json_declaration_goes_to_cusdec_and_back_through_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let json_path = dir.path().join("d.json");
        let edi_path = dir.path().join("d.edi");
        let bundle =
            tamga_core::reference::ReferenceBundle::from_csv(&tamga_core::reference::SHIPPED)
                .unwrap();
        let mut cfg = tamga_sim::GeneratorConfig::demo(2, time::macros::date!(2026 - 11 - 20), 4);
        cfg.error_share = Some(0.0);
        let body = tamga_sim::Generator::new(cfg, &bundle).unwrap().next().body;
        std::fs::write(&json_path, &body).unwrap();
        convert_to(
            &json_path,
            Format::Edifact,
            EdiDirectory::D99b,
            Some(&edi_path),
        )
        .unwrap();
        let edi = std::fs::read(&edi_path).unwrap();
        assert!(conformance::is_edifact(&edi));
        let m = tamga_messages::read_cusdec(&edi).unwrap();
        assert_eq!(m.directory, "99B");
        let original: Value = serde_json::from_slice(&body).unwrap();
        let back = serde_json::to_value(tamga_messages::cusdec_declaration(&m).unwrap()).unwrap();
        assert_eq!(back, original);
        assert!(convert_from_edifact(&edi_path, true, "tamga").is_ok());
        // The conformance run picks the interchange up (a .txt that is not
        // one is left alone).
        std::fs::write(dir.path().join("notes.txt"), b"not an interchange").unwrap();
        let mut found = Vec::new();
        walk(dir.path(), &mut found).unwrap();
        assert_eq!(found, std::slice::from_ref(&edi_path));
        let report = conformance::check_cusdec(
            &edi,
            &ReferenceData::new(&profile::bundle("tamga").unwrap()),
            time::macros::date!(2026 - 11 - 20),
        );
        assert!(report.mapped && report.not_used.is_empty(), "{report:?}");
        // Truncated: not mapped, an error with its position.
        std::fs::write(&edi_path, &edi[..edi.len() / 2]).unwrap();
        assert!(convert_from_edifact(&edi_path, true, "tamga").is_err());
    }

    #[test]
    fn positions_are_stripped_for_the_summary() {
        assert_eq!(strip_positions("/A/B[2]/C[10]/@x"), "/A/B/C/@x");
        assert_eq!(
            strip_positions("segment 12 (FTX) element 3"),
            "FTX element 3"
        );
    }
}
