//! The arrows allowed between the parts of the code (docs/architecture.md):
//! the rules are the bottom. They are a crate of their own
//! (`crates/nattplats-rules`), so the compiler refuses any import of a
//! crate their manifest does not name; these tests fail when that manifest
//! names a crate of storage, HTTP or the runtime, or the service itself, or
//! when a module of the rules names one of them.

use std::path::{Path, PathBuf};

/// What the rules may not name: the service (as `crate::` in the days the
/// rules were a module of it, as `nattplats::` now; the rules name each
/// other by `super::`), and the crates of storage and HTTP.
const FORBIDDEN: [&str; 7] = [
    "crate::",
    "nattplats::",
    "diesel",
    "actix",
    "r2d2",
    "reqwest",
    "tokio",
];

/// Crates the rules' manifest may not depend on: storage, HTTP, the
/// runtime, and the service and its load tool (those by path, checked
/// apart).
const FORBIDDEN_CRATES: [&str; 14] = [
    "nattplats",
    "nattplats-load",
    "diesel",
    "diesel_migrations",
    "r2d2",
    "libsqlite3-sys",
    "pq-sys",
    "actix",
    "reqwest",
    "ureq",
    "hyper",
    "http",
    "tokio",
    "utoipa-actix-web",
];

fn rules_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/nattplats-rules")
}

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path.display().to_string(), text));
        }
    }
}

/// The names a line of code uses, comments left out.
fn offending(line: &str) -> Option<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    FORBIDDEN.into_iter().find(|f| {
        code.match_indices(f).any(|(i, _)| {
            // `crate::rules::…` is the rules themselves.
            !(*f == "crate::" && code[i..].starts_with("crate::rules"))
        })
    })
}

#[test]
fn the_rules_import_nothing_of_storage_http_or_the_service() {
    let mut files = Vec::new();
    sources(&rules_crate().join("src"), &mut files);
    assert!(files.len() >= 8, "the rules' files were not found");
    let found: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            text.lines().enumerate().filter_map(move |(n, l)| {
                offending(l).map(|f| format!("{path}:{}: {f}: {l}", n + 1))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "the rules reach above themselves:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_a_forbidden_import_and_passes_over_comments() {
    assert_eq!(offending("use crate::db::stays;"), Some("crate::"));
    assert_eq!(offending("use diesel::prelude::*;"), Some("diesel"));
    assert_eq!(
        offending("    let x: actix_web::HttpResponse;"),
        Some("actix")
    );
    assert_eq!(offending("use crate::rules::Night;"), None);
    assert_eq!(offending("use super::kinds::Gender;"), None);
    assert_eq!(offending("/// reads [`crate::clock::Clock`]"), None);
}

/// The dependencies a Cargo manifest names, with the section (`dependencies`,
/// `dev-dependencies`, ..., also under `target.'cfg(..)'`) and the line.
fn dependencies(manifest: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            section = header.trim_end_matches(']').trim().to_owned();
            // `[dependencies.foo]`: the table is the dependency.
            for kind in ["dependencies.", "dev-dependencies.", "build-dependencies."] {
                if let Some((_, name)) = section.split_once(kind) {
                    found.push((name.trim_matches('"').to_owned(), line.to_owned()));
                }
            }
            continue;
        }
        let in_deps = ["dependencies", "dev-dependencies", "build-dependencies"]
            .iter()
            .any(|kind| section == *kind || section.ends_with(&format!(".{kind}")));
        if in_deps && let Some((key, _)) = line.split_once('=') {
            let name = key.split('.').next().unwrap_or("").trim().trim_matches('"');
            found.push((name.to_owned(), line.to_owned()));
        }
    }
    found
}

/// The crate of a dependency line, `package = ".."` when it is renamed.
fn crate_of(name: &str, line: &str) -> String {
    line.split_once("package")
        .and_then(|(_, rest)| rest.split('"').nth(1))
        .unwrap_or(name)
        .to_owned()
}

fn forbidden_crate(name: &str, line: &str) -> bool {
    let krate = crate_of(name, line);
    FORBIDDEN_CRATES.contains(&krate.as_str())
        || krate.starts_with("actix")
        || krate.starts_with("diesel")
        || krate.starts_with("tokio")
        || {
            // A crate by path or from git is the service's own or unknown.
            let line: String = line.split_whitespace().collect();
            line.contains("path=") || line.contains("git=")
        }
}

#[test]
fn the_rules_crate_depends_on_nothing_of_storage_http_or_the_service() {
    let path = rules_crate().join("Cargo.toml");
    let manifest =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let deps = dependencies(&manifest);
    assert!(
        deps.iter().any(|(name, _)| name == "chrono"),
        "the rules' dependencies were not found in {}",
        path.display()
    );
    let found: Vec<&String> = deps
        .iter()
        .filter(|(name, line)| forbidden_crate(name, line))
        .map(|(_, line)| line)
        .collect();
    assert!(
        found.is_empty(),
        "the rules' manifest names a crate of storage, HTTP or the service: {found:?}"
    );
}

#[test]
fn the_manifest_check_sees_a_forbidden_crate_however_it_is_written() {
    let manifest = r#"
[package]
name = "x"

[dependencies]
chrono = { version = "0.4", features = ["serde"] }
db = { package = "diesel", version = "2" }
"actix-web" = "4"

[dev-dependencies]
nattplats = { path = "../.." }

[target.'cfg(unix)'.dependencies]
tokio = "1"

[dependencies.reqwest]
version = "0.13"
"#;
    let bad: Vec<String> = dependencies(manifest)
        .into_iter()
        .filter(|(name, line)| forbidden_crate(name, line))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(bad, ["db", "actix-web", "nattplats", "tokio", "reqwest"]);
    assert!(!forbidden_crate("chrono", r#"chrono = "0.4""#));
    assert!(!forbidden_crate(
        "serde",
        r#"serde = { version = "1", features = ["derive"] }"#
    ));
}
