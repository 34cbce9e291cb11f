//! The arrows allowed between the parts of the code (docs/architecture.md):
//! the rules are the bottom, and a module of `src/rules/` that reaches
//! storage, HTTP, the service or anything else of the crate above the
//! rules fails this test.

use std::path::Path;

/// What the rules may not name: the crate's other parts, and the
/// crates of storage and HTTP.
const FORBIDDEN: [&str; 6] = ["crate::", "diesel", "actix", "r2d2", "reqwest", "tokio"];

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
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules"),
        &mut files,
    );
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
