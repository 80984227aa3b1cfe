//! Architecture checks over the source tree (tests only): no import cycle between source files, no
//! query outside a repository, no file over 500 lines but migrations. Each failure names file:line.
//!
//! The import graph has one node per file under `src/` (`main.rs` aside). An edge is a
//! `use crate::…` / `use super::…` / `use self::…` (or a child module's name) or an inline
//! `crate::a::b::` / `super::x::` path, resolved to the deepest module file it names; a name a
//! `mod.rs` only re-exports (`pub use child::Name`) resolves to the file that defines it. `mod x;`
//! declarations are not edges, and neither are unit-test modules (`#[cfg(test)] mod tests`).

mod imports;

use std::collections::BTreeMap;

use imports::{Source, code_lines, cycles, expand, import_graph, inline_paths, sources};

/// Whether a file may hold queries: a repository or the database layer.
fn may_query(file: &str) -> bool {
    file.ends_with("/repo.rs")
        || file.contains("/repo/")
        || file.starts_with("src/db/")
        || file.starts_with("src/architecture/")
}

const QUERY_WORDS: [&str; 8] = [
    "EntityTrait",
    "QueryFilter",
    "ActiveModelTrait",
    "Statement",
    "PaginatorTrait",
    "QuerySelect",
    "QueryOrder",
    "sea_query",
];

fn has_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn queries_outside_repos(sources: &BTreeMap<String, Source>) -> Vec<String> {
    let mut out = Vec::new();
    for (file, source) in sources {
        if may_query(file) {
            continue;
        }
        for (i, line) in code_lines(source).iter().enumerate() {
            let found = if line.contains("crate::db::entities") || line.contains("db::entities::") {
                Some("crate::db::entities")
            } else if line.contains(".exec(") {
                Some(".exec(")
            } else if line.contains("execute_unprepared") {
                Some("execute_unprepared")
            } else {
                QUERY_WORDS.iter().copied().find(|w| has_word(line, w))
            };
            if let Some(what) = found {
                out.push(format!(
                    "{file}:{}: query machinery outside a repo.rs ({what})",
                    i + 1
                ));
            }
        }
    }
    out
}

fn long_files(sources: &BTreeMap<String, Source>) -> Vec<String> {
    sources
        .iter()
        .filter(|(file, s)| !file.starts_with("src/db/migrations/") && s.lines.len() > 500)
        .map(|(file, s)| {
            format!(
                "{file}:{}: {} lines, over 500",
                s.lines.len(),
                s.lines.len()
            )
        })
        .collect()
}

#[test]
fn use_trees_expand_into_paths() {
    let paths = expand("crate::{a::{self, B as C}, d::E}");
    let flat: Vec<(String, String)> = paths.into_iter().map(|(p, n)| (p.join("::"), n)).collect();
    assert_eq!(
        flat,
        vec![
            ("crate::a".to_owned(), "self".to_owned()),
            ("crate::a::B".to_owned(), "C".to_owned()),
            ("crate::d::E".to_owned(), "E".to_owned()),
        ]
    );
    assert_eq!(
        inline_paths("let x = crate::web::page::render(&t); super::form::x();"),
        vec![
            vec!["crate", "web", "page", "render"],
            vec!["super", "form", "x"],
        ]
    );
}

#[test]
fn the_cut_cycles_stay_cut() {
    // The cycles this branch cut (issue #9) must not come back, whatever else is still open.
    let edges = import_graph(&sources());
    for report in cycles(&edges) {
        for pair in [
            ["src/audit/mod.rs", "src/http/observe.rs"],
            ["src/web/page.rs", "src/web/form.rs"],
            ["src/web/page.rs", "src/web/session.rs"],
        ] {
            assert!(
                !(report.contains(&format!("{} imports", pair[0]))
                    && report.contains(&format!("{} imports", pair[1]))),
                "{report}"
            );
        }
    }
}

#[test]
fn no_import_cycle_between_source_files() {
    let found = cycles(&import_graph(&sources()));
    assert!(found.is_empty(), "\n{}\n", found.join("\n\n"));
}

#[test]
fn no_query_outside_a_repository() {
    let found = queries_outside_repos(&sources());
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

#[test]
fn no_source_file_over_500_lines() {
    let found = long_files(&sources());
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}
