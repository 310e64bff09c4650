//! Runs every `.xml` under a folder through [`tamga_messages::conformance`]
//! and prints one line per file and a summary (a development aid; the
//! product's command is `tamga messages conformance DIR --json`).
//!
//! `cargo run -p tamga-messages --example samples -- DIR [PROFILE]`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tamga_core::reference::ReferenceData;

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
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("a folder"));
    let profile = args.next().unwrap_or_else(|| "cds".to_owned());
    let bundle = tamga_messages::profile::bundle(&profile).expect("profile");
    let reference = ReferenceData::new(&bundle);
    let today = time::macros::date!(2026 - 12 - 06);
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let r = tamga_messages::conformance::check(&bytes, &reference, today);
        let status = if r.not_a_declaration() {
            "other".to_owned()
        } else if r.mapped {
            let c = r.control.as_ref().map_or("-".to_owned(), |c| {
                format!("formed={} passed={}", c.declaration_formed, c.passed)
            });
            format!("mapped {} {c}", r.kind.clone().unwrap_or_default())
        } else {
            "NOT-MAPPED".to_owned()
        };
        *counts
            .entry(status.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .or_default() += 1;
        if !r.not_a_declaration() {
            println!("{} {status} unused={}", f.display(), r.not_used.len());
            if std::env::var_os("SHOW_UNUSED").is_some() {
                for u in &r.not_used {
                    println!("    unused {u}");
                }
            }
            if std::env::var_os("SHOW_VIOLATIONS").is_some() {
                for v in r.control.iter().flat_map(|c| &c.violations) {
                    println!(
                        "    violation {} {} {:?}",
                        v.violation.code, v.violation.pointer, v.xpath
                    );
                }
            }
            for e in &r.errors {
                println!("    {e}");
                *codes.entry(e.code.to_owned()).or_default() += 1;
            }
            if let Some(c) = &r.control {
                for v in &c.violations {
                    *codes.entry(v.violation.code.clone()).or_default() += 1;
                }
            }
        }
    }
    println!("{counts:?}");
    println!("{codes:?}");
}
