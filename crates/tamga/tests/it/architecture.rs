//! The dependency rule between the workspace crates, read from
//! `cargo metadata`: every normal or build dependency of a workspace crate on
//! another workspace crate must be in [`ALLOWED`], every workspace crate must
//! have an entry there, and the domain core must do no IO (none of
//! [`CORE_FORBIDDEN`] among its dependencies). Dev-dependencies are free:
//! tests may use the generator or the store.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};

/// Which workspace crate may depend on which (normal and build dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("tamga-core", &[]),
    ("tamga-sim", &["tamga-core"]),
    ("tamga-model", &["tamga-core"]),
    ("tamga-hs", &[]),
    ("tamga-messages", &["tamga-core"]),
    ("tamga-store", &["tamga-core"]),
    (
        "tamga-app",
        &[
            "tamga-core",
            "tamga-store",
            "tamga-model",
            "tamga-messages",
            "tamga-hs",
        ],
    ),
    ("tamga-portal", &["tamga-core", "tamga-store", "tamga-app"]),
    (
        "tamga-http",
        &[
            "tamga-core",
            "tamga-store",
            "tamga-app",
            "tamga-portal",
            "tamga-hs",
        ],
    ),
    (
        "tamga",
        &[
            "tamga-core",
            "tamga-sim",
            "tamga-model",
            "tamga-hs",
            "tamga-store",
            "tamga-app",
            "tamga-http",
            "tamga-messages",
        ],
    ),
];

/// The domain core does no IO: none of these among its dependencies.
const CORE_FORBIDDEN: &[&str] = &["sqlx", "tokio", "axum", "reqwest", "hyper"];

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(&cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{cargo} metadata`: {e}"));
    assert!(
        out.status.success(),
        "`{cargo} metadata` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Every breach of the rule in a `cargo metadata --no-deps` document, one
/// readable line each (empty when the workspace keeps the rule).
fn violations(metadata: &Value) -> Vec<String> {
    let packages = metadata["packages"]
        .as_array()
        .expect("cargo metadata has a packages array");
    let workspace: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut found = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let allowed = ALLOWED.iter().find(|(crate_name, _)| *crate_name == name);
        let Some((_, allowed)) = allowed else {
            found.push(format!(
                "workspace crate {name} has no entry in the ALLOWED table of \
                 crates/tamga/tests/it/architecture.rs (and docs/ARCHITECTURE.md)"
            ));
            continue;
        };
        let dependencies = package["dependencies"].as_array().cloned();
        for dep in dependencies.unwrap_or_default() {
            // `kind` is null for normal dependencies, "build" or "dev" otherwise.
            if dep["kind"].as_str() == Some("dev") {
                continue;
            }
            let dep_name = dep["name"].as_str().unwrap_or_default();
            if workspace.contains(dep_name) && !allowed.contains(&dep_name) {
                found.push(format!(
                    "forbidden edge {name} -> {dep_name} (allowed for {name}: {allowed:?})"
                ));
            }
            if name == "tamga-core" && CORE_FORBIDDEN.contains(&dep_name) {
                found.push(format!(
                    "tamga-core depends on {dep_name}: the domain core does no IO"
                ));
            }
        }
    }
    found
}

#[test]
fn workspace_crates_depend_only_along_the_allowed_edges() {
    let found = violations(&metadata());
    assert!(
        found.is_empty(),
        "the crate dependency rule is broken:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn every_allowed_table_entry_is_a_workspace_crate() {
    let metadata = metadata();
    let names: BTreeSet<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for (name, _) in ALLOWED {
        assert!(
            names.contains(name),
            "ALLOWED names {name}, which is not a workspace crate"
        );
    }
}

fn package(name: &str, deps: &[(&str, Option<&str>)]) -> Value {
    json!({
        "name": name,
        "dependencies": deps
            .iter()
            .map(|(dep, kind)| json!({ "name": dep, "kind": kind }))
            .collect::<Vec<_>>(),
    })
}

#[test]
fn the_check_names_a_forbidden_edge_and_ignores_dev_dependencies() {
    let metadata = json!({ "packages": [
        package("tamga-core", &[("serde", None), ("tamga-sim", Some("dev"))]),
        package("tamga-sim", &[("tamga-core", None)]),
        package("tamga-store", &[("tamga-core", None), ("tamga-app", None)]),
        package("tamga-app", &[("tamga-core", None), ("tamga-sim", Some("build"))]),
    ]});
    assert_eq!(
        violations(&metadata),
        vec![
            "forbidden edge tamga-store -> tamga-app (allowed for tamga-store: [\"tamga-core\"])"
                .to_owned(),
            "forbidden edge tamga-app -> tamga-sim (allowed for tamga-app: [\"tamga-core\", \"tamga-store\", \"tamga-model\", \"tamga-messages\", \"tamga-hs\"])"
                .to_owned(),
        ]
    );
}

#[test]
fn the_check_rejects_io_in_the_core_and_crates_missing_from_the_table() {
    let metadata = json!({ "packages": [
        package("tamga-core", &[("tokio", None), ("sqlx", Some("dev"))]),
        package("tamga-transit", &[("tamga-core", None)]),
    ]});
    let found = violations(&metadata);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        "tamga-core depends on tokio: the domain core does no IO"
    );
    assert!(
        found[1].starts_with("workspace crate tamga-transit has no entry"),
        "{}",
        found[1]
    );
}
