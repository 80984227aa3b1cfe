//! The source tree as the architecture checks read it, and its import graph (see the parent module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path and its code without the unit-test module.
pub(super) struct Source {
    pub(super) module: Vec<String>,
    pub(super) lines: Vec<String>,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file, by path relative to the crate (`src/a/b.rs`).
pub(super) fn sources() -> BTreeMap<String, Source> {
    let root = src_dir();
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let Ok(rel) = file.strip_prefix(&root) else {
            continue;
        };
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts == ["main.rs"] {
            continue;
        }
        let mut module: Vec<String> = parts.clone();
        let last = module.pop().unwrap_or_default();
        if last != "mod.rs" && last != "lib.rs" {
            module.push(last.trim_end_matches(".rs").to_owned());
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        out.insert(
            format!("src/{}", parts.join("/")),
            Source {
                module,
                lines: text.lines().map(str::to_owned).collect(),
            },
        );
    }
    out
}

/// The lines that count: before a `#[cfg(test)] mod tests`, comments blanked (line numbers kept).
pub(super) fn code_lines(source: &Source) -> Vec<String> {
    let mut out = Vec::new();
    for (i, line) in source.lines.iter().enumerate() {
        let next = source.lines.get(i + 1).map_or("", |l| l.trim());
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod tests") {
            break;
        }
        let t = line.trim_start();
        out.push(if t.starts_with("//") {
            String::new()
        } else {
            match line.find(" //") {
                Some(at) if !line[..at].contains('"') => line[..at].to_owned(),
                _ => line.clone(),
            }
        });
    }
    out
}

/// One imported path and the name it is known by.
type UsePath = (Vec<String>, String);

/// The `use` statements of some code: (line number, is `pub`, the paths with their names).
fn use_statements(lines: &[String]) -> Vec<(usize, bool, Vec<UsePath>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let is_pub = t.starts_with("pub use ") || t.starts_with("pub(crate) use ");
        if t.starts_with("use ") || is_pub {
            let start = i;
            let mut text = String::new();
            while i < lines.len() {
                text.push_str(lines[i].trim());
                text.push(' ');
                if lines[i].contains(';') {
                    break;
                }
                i += 1;
            }
            let body = text
                .split_once("use ")
                .map_or("", |(_, b)| b)
                .trim()
                .trim_end_matches(';')
                .trim();
            out.push((start + 1, is_pub, expand(body)));
        }
        i += 1;
    }
    out
}

/// Expands `a::{b, c::{d as e}}` into `([a, b], b)`, `([a, c, d], e)`.
pub(super) fn expand(tree: &str) -> Vec<(Vec<String>, String)> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    expand_into(&[], &tree, &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let mut base = prefix.to_vec();
        base.extend(
            tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        let inner = tree[open + 1..].trim_end().trim_end_matches('}');
        for part in split_top_level(inner) {
            expand_into(&base, part, out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p, Some(a.trim())),
        None => (tree, None),
    };
    let mut segments = prefix.to_vec();
    segments.extend(
        path.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    );
    let name = alias
        .map(str::to_owned)
        .or_else(|| segments.last().cloned())
        .unwrap_or_default();
    if segments.last().is_some_and(|s| s == "self") {
        segments.pop();
    }
    out.push((segments, name));
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Inline `crate::a::b` / `super::a` / `self::a` paths outside `use` statements.
pub(super) fn inline_paths(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    // `concat!` keeps this very line from reading as an import of the parent module.
    for start in ["crate::", concat!("super", "::")] {
        let mut from = 0;
        while let Some(at) = line[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            let before_ok = at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':');
            if !before_ok {
                continue;
            }
            let rest = &line[at..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let segments: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            out.push(segments);
        }
    }
    out
}

struct Graph {
    /// Module path → file.
    files: BTreeMap<Vec<String>, String>,
    /// File → (re-exported name → target module path and item).
    reexports: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Graph {
    /// The absolute segments of `path` as written in `from` (a module path), or `None` for an
    /// external crate.
    fn absolute(&self, from: &Source, path: &[String]) -> Option<Vec<String>> {
        let mut module = from.module.clone();
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                module.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    module.pop();
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                // A child module of this one (2018 paths), else an external crate.
                let mut child = module.clone();
                child.push(first.to_owned());
                if !self.files.contains_key(&child) {
                    return None;
                }
            }
            None => return None,
        }
        module.extend(rest.iter().cloned());
        Some(module)
    }

    /// The file an absolute path lands in: the deepest module file, following a re-export of the
    /// next name when that file only re-exports it.
    fn resolve(&self, absolute: &[String], depth: usize) -> Option<String> {
        let mut n = absolute.len();
        while !self.files.contains_key(&absolute[..n]) {
            n = n.checked_sub(1)?;
        }
        let file = self.files.get(&absolute[..n])?.clone();
        if depth < 8
            && let Some(name) = absolute.get(n)
            && let Some(target) = self.reexports.get(&file).and_then(|r| r.get(name))
        {
            let mut next = target.clone();
            next.extend(absolute[n + 1..].iter().cloned());
            return self.resolve(&next, depth + 1).or(Some(file));
        }
        Some(file)
    }
}

/// Every import edge: file → (target file → first line).
pub(super) fn import_graph(
    sources: &BTreeMap<String, Source>,
) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut graph = Graph {
        files: sources
            .iter()
            .map(|(f, s)| (s.module.clone(), f.clone()))
            .collect(),
        reexports: BTreeMap::new(),
    };
    let code: BTreeMap<&String, Vec<String>> =
        sources.iter().map(|(f, s)| (f, code_lines(s))).collect();
    let mut reexports = BTreeMap::new();
    for (file, source) in sources {
        let mut names = BTreeMap::new();
        for (_, is_pub, paths) in use_statements(&code[file]) {
            if !is_pub {
                continue;
            }
            for (path, name) in paths {
                if let Some(abs) = graph.absolute(source, &path) {
                    names.insert(name, abs);
                }
            }
        }
        reexports.insert(file.clone(), names);
    }
    graph.reexports = reexports;
    let mut edges: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (file, source) in sources {
        let lines = &code[file];
        let mut add = |path: &[String], line: usize| {
            let Some(abs) = graph.absolute(source, path) else {
                return;
            };
            if let Some(target) = graph.resolve(&abs, 0)
                && target != *file
            {
                edges
                    .entry(file.clone())
                    .or_default()
                    .entry(target)
                    .or_insert(line);
            }
        };
        for (line, _, paths) in use_statements(lines) {
            for (path, _) in &paths {
                if path.last().is_some_and(|s| s == "*") {
                    add(&path[..path.len() - 1], line);
                } else {
                    add(path, line);
                }
            }
        }
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if t.starts_with("use ")
                || t.starts_with("pub use ")
                || t.starts_with("pub(crate) use ")
            {
                continue;
            }
            for path in inline_paths(line) {
                add(&path, i + 1);
            }
        }
    }
    edges
}

/// The cycles of the graph: each strongly connected component of more than one file, with one
/// closed walk through it (file:line of each import).
pub(super) fn cycles(edges: &BTreeMap<String, BTreeMap<String, usize>>) -> Vec<String> {
    // Tarjan's algorithm, iteratively simple enough for a few hundred files: recursion is fine.
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, usize>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        components: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.edges.get(v) {
            for w in targets.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on_stack.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.components.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.components
        .iter()
        .map(|component| {
            let members: BTreeSet<&str> = component.iter().copied().collect();
            let mut report = format!("import cycle between {} files:", component.len());
            for from in component {
                for (to, line) in &edges[*from] {
                    if members.contains(to.as_str()) {
                        report.push_str(&format!("\n    {from}:{line} imports {to}"));
                    }
                }
            }
            report
        })
        .collect()
}
