//! The arrows allowed between the parts of the service's crate
//! (docs/architecture.md): no two modules use each other, directly or
//! around a longer circle, and nothing below the API names actix. (The
//! rules are a crate of their own, held apart by `rules_boundary.rs`.)

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// The parts below the API, which may not know the HTTP framework: the
/// service, the storage, the rules, and what they use.
const BELOW_HTTP: [&str; 10] = [
    "src/audit.rs",
    "src/service/",
    "src/db/",
    "src/domain.rs",
    "src/error.rs",
    "src/clock.rs",
    "src/changes.rs",
    "src/config.rs",
    "src/crypto.rs",
    "src/forecast.rs",
];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()).unwrap_or_default())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((path.display().to_string(), text));
        }
    }
}

// ---------------------------------------------------------------------
// The graph of modules.

/// A module of the crate by its path: `["service", "stays"]`; the crate
/// root is the empty path.
type Module = Vec<String>;

/// One file of the library: where it is, which module it is, its code.
struct File {
    path: String,
    module: Module,
    code: String,
}

/// The library's files (the binaries, `main.rs` and `bin/`, are crates of
/// their own above it), with comments and literals blanked.
fn library(root: &Path) -> Vec<File> {
    let src = root.join("src");
    let mut found = Vec::new();
    sources(&src, &mut found);
    found
        .into_iter()
        .filter_map(|(path, text)| {
            let rel = Path::new(&path)
                .strip_prefix(&src)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "main.rs" || rel.starts_with("bin/") {
                return None;
            }
            Some(File {
                path: format!("src/{rel}"),
                module: module_of(&rel),
                code: code_only(&text),
            })
        })
        .collect()
}

/// `service/stays.rs` and `service/stays/mod.rs` are `service::stays`;
/// `lib.rs` is the crate root.
fn module_of(rel: &str) -> Module {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code of a file with its comments and the contents of its string and
/// character literals blanked (lines kept), so that a path named in a doc
/// comment or a message is not taken for an import.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let before = if i == 0 { ' ' } else { chars[i - 1] };
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (!is_ident(before) || (before == 'b' && (i < 2 || !is_ident(chars[i - 2]))))
            && (at(i + 1) == '"'
                || (at(i + 1) == '#' && {
                    let mut j = i + 1;
                    while at(j) == '#' {
                        j += 1;
                    }
                    at(j) == '"'
                }))
        {
            // A raw string: r"…", r#"…"#, br#"…"#.
            let mut hashes = 0;
            out.push('r');
            i += 1;
            while at(i) == '#' {
                hashes += 1;
                out.push('#');
                i += 1;
            }
            out.push('"');
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    out.push('"');
                    out.extend(std::iter::repeat_n('#', hashes));
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (at(i + 1) == '\\' || (at(i + 1) != '\0' && at(i + 2) == '\'')) {
            // A character literal ('x', '\n', '\u{1F600}'), not a lifetime.
            out.push('\'');
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            out.push_str(" '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A token of blanked code and its line (from 1).
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if is_ident(c) || (c == '$' && chars.get(i + 1).is_some_and(|&n| is_ident(n))) {
            let start = i;
            i += 1;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

/// Every path of the crate a file names (`crate::…`, `$crate::…`,
/// `super::…`, `self::…`, in `use` trees with their groups and inline, and
/// a name a `use` brought in: `svc::grant` after `use crate::service::stays
/// as svc`), made absolute, with the line it is on.
fn named_paths(file: &File) -> Vec<(Vec<String>, usize)> {
    let toks = tokens(&file.code);
    let ident = |i: usize| match toks.get(i) {
        Some((Tok::Ident(s), _)) => Some(s.as_str()),
        _ => None,
    };
    let is = |i: usize, t: &Tok| toks.get(i).is_some_and(|(x, _)| x == t);
    let mut found = Vec::new();
    // The names `use` lines of the crate brought in, and what they stand for.
    let mut imported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Inline modules (`mod tests { … }`) by the depth of braces they open.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < toks.len() {
        let starts_path = is(i + 1, &Tok::PathSep) && !(i > 0 && is(i - 1, &Tok::PathSep));
        match &toks[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(m) if m == "mod" && is(i + 2, &Tok::Punct('{')) => {
                if let Some(name) = ident(i + 1) {
                    inline.push((name.to_owned(), depth));
                }
            }
            Tok::Ident(start)
                if starts_path
                    && matches!(start.as_str(), "crate" | "$crate" | "super" | "self") =>
            {
                let here: Module = file
                    .module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(m, _)| m.clone()))
                    .collect();
                let mut base = match start.as_str() {
                    "crate" | "$crate" => Vec::new(),
                    "self" => here,
                    _ => {
                        let mut up = here;
                        up.pop();
                        up
                    }
                };
                let mut j = i + 1;
                // `super::super::…`
                while is(j, &Tok::PathSep) && ident(j + 1) == Some("super") {
                    base.pop();
                    j += 2;
                }
                let line = toks[i].1;
                let mut leaves = Vec::new();
                j = tree(&toks, j + 1, base, &mut leaves);
                let is_use = i > 0 && ident(i - 1) == Some("use");
                for (path, name) in leaves {
                    if let (true, Some(name)) = (is_use, name) {
                        imported.insert(name, path.clone());
                    }
                    found.push((path, line));
                }
                i = j;
                continue;
            }
            Tok::Ident(name) if starts_path && imported.contains_key(name) => {
                let line = toks[i].1;
                let mut leaves = Vec::new();
                let j = tree(&toks, i + 2, imported[name].clone(), &mut leaves);
                found.extend(leaves.into_iter().map(|(p, _)| (p, line)));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Reads a path tree from `i` (just after a `::`) below `prefix`: a name
/// and more, a `{…}` group, or `*`; pushes each whole path with the name
/// it is brought in as (`as` or its last part; none for `*`), and returns
/// where it stopped.
fn tree(
    toks: &[(Tok, usize)],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) -> usize {
    match toks.get(i).map(|t| &t.0) {
        Some(Tok::Punct('{')) => {
            i += 1;
            loop {
                match toks.get(i).map(|t| &t.0) {
                    None => return i,
                    Some(Tok::Punct('}')) => return i + 1,
                    Some(Tok::Punct(',')) => i += 1,
                    Some(Tok::Ident(_)) | Some(Tok::Punct('{')) | Some(Tok::Punct('*')) => {
                        i = tree(toks, i, prefix.clone(), out).max(i + 1);
                        // Anything else up to the next item.
                        while let Some((t, _)) = toks.get(i) {
                            if matches!(t, Tok::Punct(',') | Tok::Punct('}')) {
                                break;
                            }
                            i += 1;
                        }
                    }
                    Some(_) => i += 1,
                }
            }
        }
        Some(Tok::Punct('*')) => {
            out.push((prefix, None));
            i + 1
        }
        Some(Tok::Ident(name)) => {
            let mut path = prefix;
            if name != "self" {
                path.push(name.clone());
            }
            let more = toks.get(i + 1).is_some_and(|t| t.0 == Tok::PathSep)
                && matches!(
                    toks.get(i + 2).map(|t| &t.0),
                    Some(Tok::Ident(_)) | Some(Tok::Punct('{')) | Some(Tok::Punct('*'))
                );
            if more {
                return tree(toks, i + 2, path, out);
            }
            let alias = |k: usize| match toks.get(k).map(|t| &t.0) {
                Some(Tok::Ident(a)) => Some(a.clone()),
                _ => None,
            };
            let (name, next) = if alias(i + 1).as_deref() == Some("as") {
                // `as _` brings in no name.
                (alias(i + 2).filter(|a| a != "_"), i + 3)
            } else {
                (path.last().cloned(), i + 1)
            };
            out.push((path, name));
            next
        }
        _ => {
            out.push((prefix, None));
            i
        }
    }
}

/// An arrow between two sibling modules (children of one parent: the crate
/// root for the top-level modules, `service` for `service::stays`), with
/// where it is written.
#[derive(Default)]
struct Graph {
    /// (from, to) → the places that name `to` from inside `from`.
    arrows: BTreeMap<(String, String), Vec<String>>,
}

impl Graph {
    fn of(files: &[File]) -> Graph {
        let modules: BTreeSet<Module> = files.iter().map(|f| f.module.clone()).collect();
        let mut graph = Graph::default();
        for file in files {
            for (path, line) in named_paths(file) {
                // The module named: the longest part of the path that is one.
                let Some(target) = (0..=path.len())
                    .rev()
                    .map(|n| path[..n].to_vec())
                    .find(|p| modules.contains(p))
                else {
                    continue;
                };
                let from = &file.module;
                let common = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
                // A module naming itself, one of its parents or one of its
                // children is the tree, not an arrow between parts.
                if common == from.len() || common == target.len() {
                    continue;
                }
                graph
                    .arrows
                    .entry((from[..=common].join("::"), target[..=common].join("::")))
                    .or_default()
                    .push(format!("{}:{line}", file.path));
            }
        }
        for places in graph.arrows.values_mut() {
            places.dedup();
        }
        graph
    }

    fn without(&self, skipped: &[(&str, &str)]) -> Graph {
        Graph {
            arrows: self
                .arrows
                .iter()
                .filter(|((a, b), _)| !skipped.contains(&(a.as_str(), b.as_str())))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    fn next(&self, from: &str) -> impl Iterator<Item = &str> {
        self.arrows
            .keys()
            .filter(move |(a, _)| a == from)
            .map(|(_, b)| b.as_str())
    }

    /// The shortest way from `from` to `to`, both ends included (a circle
    /// when they are the same).
    fn way(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut came: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            for n in self.next(at) {
                if n == to {
                    let mut way = vec![to.to_owned(), at.to_owned()];
                    let mut back = at;
                    while back != from {
                        back = came[back];
                        way.push(back.to_owned());
                    }
                    way.reverse();
                    return Some(way);
                }
                if n != from && !came.contains_key(n) {
                    came.insert(n, at);
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// Every circle, one per group of modules that reach each other, named
    /// by the shortest circle in the group, with the places of its arrows,
    /// and the modules of the group.
    fn circles(&self) -> Vec<String> {
        let nodes: BTreeSet<&str> = self
            .arrows
            .keys()
            .flat_map(|(a, b)| [a.as_str(), b.as_str()])
            .collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut found = Vec::new();
        for &n in &nodes {
            if seen.contains(n) || self.way(n, n).is_none() {
                continue;
            }
            let group: Vec<&str> = nodes
                .iter()
                .copied()
                .filter(|&m| m == n || (self.way(n, m).is_some() && self.way(m, n).is_some()))
                .collect();
            seen.extend(&group);
            let Some(circle) = group
                .iter()
                .filter_map(|m| self.way(m, m))
                .min_by_key(Vec::len)
            else {
                continue;
            };
            let places: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let at = &self.arrows[&(w[0].clone(), w[1].clone())];
                    let more = match at.len() {
                        0..=3 => String::new(),
                        n => format!(" and {} more", n - 3),
                    };
                    format!(
                        "    {} → {}: {}{more}",
                        w[0],
                        w[1],
                        at[..at.len().min(3)].join(", ")
                    )
                })
                .collect();
            found.push(format!(
                "{} (modules that reach each other: {})\n{}",
                circle.join(" → "),
                group.join(", "),
                places.join("\n")
            ));
        }
        found
    }
}

fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_two_modules_use_each_other() {
    let files = library(crate_root());
    assert!(files.len() >= 60, "the library's files were not found");
    let graph = Graph::of(&files);
    // Between top-level modules, and between siblings inside one.
    for arrow in [
        ("api", "service"),
        ("service", "db"),
        ("service", "audit"),
        ("service::reports", "service::suppression"),
    ] {
        assert!(
            graph.arrows.contains_key(&(arrow.0.into(), arrow.1.into())),
            "the check does not see {} → {}",
            arrow.0,
            arrow.1
        );
    }
    let circles = graph.circles();
    assert!(
        circles.is_empty(),
        "modules use each other:\n{}",
        circles.join("\n")
    );
}

/// Where a file names actix (a crate `actix…`), comments and strings
/// left out.
fn names_actix(f: &File) -> Vec<String> {
    tokens(&f.code)
        .into_iter()
        .filter_map(|(t, line)| match t {
            Tok::Ident(name) if name.starts_with("actix") => {
                Some(format!("{}:{line}: {name}", f.path))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn nothing_below_the_api_names_actix() {
    let files = library(crate_root());
    let below: Vec<&File> = files
        .iter()
        .filter(|f| BELOW_HTTP.iter().any(|p| f.path.starts_with(p)))
        .collect();
    assert!(below.len() >= 40, "the files below the API were not found");
    let found: Vec<String> = below.into_iter().flat_map(names_actix).collect();
    assert!(
        found.is_empty(),
        "a part below the API names actix:\n{}",
        found.join("\n")
    );
}

fn file(path: &str, text: &str) -> File {
    File {
        path: format!("src/{path}"),
        module: module_of(path),
        code: code_only(text),
    }
}

fn paths(f: &File) -> Vec<String> {
    named_paths(f)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect()
}

#[test]
fn the_check_reads_grouped_relative_and_inline_paths_and_passes_over_comments_and_strings() {
    let f = file(
        "service/reports/export.rs",
        r##"//! Uses [`crate::api::Nope`] in a comment.
use crate::{db::{self, stays::Stay}, error::AppError as E, rules::*};
use super::pseudonym::{keyed, pseudonym};
use crate::service::{self as svc, stays::grant as give, db as _};
/* crate::startup::Nope */
fn f() -> crate::domain::Gender {
    let s = "crate::api::Nope";
    let c = '{';
    let r = r#"crate::api::Nope"#;
    super::super::blocking(x);
    $crate::auth::caller();
    svc::coordination::open(give::x(), pseudonym::y, keyed);
}
#[cfg(test)]
mod tests {
    use super::*;
    use self::inner::X;
}
use self::after::Y;
"##,
    );
    assert_eq!(
        paths(&f),
        [
            "db",
            "db::stays::Stay",
            "error::AppError",
            "rules",
            "service::reports::pseudonym::keyed",
            "service::reports::pseudonym::pseudonym",
            "service",
            "service::stays::grant",
            "service::db",
            "domain::Gender",
            "service::blocking",
            "auth::caller",
            "service::coordination::open",
            "service::stays::grant::x",
            "service::reports::pseudonym::pseudonym::y",
            "service::reports::export",
            "service::reports::export::tests::inner::X",
            "service::reports::export::after::Y",
        ]
    );
}

#[test]
fn the_check_sees_actix_in_code_and_not_in_comments_or_strings() {
    let f = file(
        "service/x.rs",
        "//! Not actix_web here.\nconst A: &str = \"actix\";\nfn f() -> actix_web::web::Bytes {}\n",
    );
    assert_eq!(names_actix(&f), ["src/service/x.rs:3: actix_web"]);
}

#[test]
fn the_check_names_a_circle_of_three_and_not_a_tree() {
    let files = [
        file("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod s;"),
        file("a.rs", "use crate::b::X;"),
        file("b.rs", "fn f() { crate::c::g() }"),
        file("c.rs", "use crate::{a::Y, s::t::Z};"),
        file(
            "s/mod.rs",
            "pub mod t; pub mod u; use t::Z; use crate::s::u::W;",
        ),
        file(
            "s/t.rs",
            "use super::u::W; use super::helper; use crate::a;",
        ),
        file("s/u.rs", "mod tests { use super::*; }"),
    ];
    let graph = Graph::of(&files);
    let arrows: Vec<String> = graph
        .arrows
        .keys()
        .map(|(a, b)| format!("{a} → {b}"))
        .collect();
    assert_eq!(
        arrows,
        ["a → b", "b → c", "c → a", "c → s", "s → a", "s::t → s::u"]
    );
    let circles = graph.circles();
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert!(
        circles[0].starts_with("a → b → c → a (modules that reach each other: a, b, c, s)"),
        "{}",
        circles[0]
    );
    assert!(circles[0].contains("c → a: src/c.rs:1"), "{}", circles[0]);
    assert!(
        graph
            .without(&[("c", "a"), ("s", "a")])
            .circles()
            .is_empty()
    );
}

/// Every arrow between sibling modules and where it is written:
/// `cargo test --test api architecture::the_arrows -- --ignored --nocapture`.
#[test]
#[ignore = "prints the graph for a reader"]
fn the_arrows() {
    let graph = Graph::of(&library(crate_root()));
    for ((a, b), at) in &graph.arrows {
        println!("{a} -> {b}: {}", at.join(", "));
    }
}
