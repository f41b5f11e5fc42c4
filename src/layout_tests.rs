//! The module graph: no import cycles between top-level modules.
//!
//! Every `crate::x` path in a module's non-test code (a `use` line or an inline path) is an edge
//! from that module to `x`. A cycle means neither module can be understood, tested or replaced
//! without the other; a new one fails here. The edges still allowed are listed in [`ALLOWED`]
//! with the reason they remain.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges that close a cycle today, and why they are still there.
const ALLOWED: &[(&str, &str, &str)] = &[];

/// The code of a file without its test module and its comments (doc comments name modules).
fn code_of(text: &str) -> String {
    let end = ["#[cfg(test)]\nmod tests", "#[cfg(test)]\n#[path"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    text.get(..end)
        .unwrap_or(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| match l.find("//") {
            Some(i) if !l.get(..i).unwrap_or("").contains('"') => l.get(..i).unwrap_or(l),
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules `code` refers to through `crate::`.
fn refs(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = code.get(i + "crate::".len()..).unwrap_or("");
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            // Top-level names of the group: the first segment of each comma-separated path
            // at depth zero (nested groups belong to their parent's module).
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_ascii_alphabetic() || c == '_') => {
                        out.insert(ident(group.get(j..).unwrap_or("")));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("self");
    out.remove("");
    out
}

fn visit(dir: &Path, top: Option<&str>, graph: &mut BTreeMap<String, BTreeSet<String>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let module = top.map_or_else(|| name.trim_end_matches(".rs").to_string(), str::to_string);
        if path.is_dir() {
            visit(&path, Some(&module), graph);
            continue;
        }
        let test_file = name == "tests.rs" || name.ends_with("_tests.rs");
        if !name.ends_with(".rs") || test_file || ["lib", "main"].contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut deps = refs(&code_of(&text));
        deps.remove(&module);
        graph.entry(module).or_default().extend(deps);
    }
}

/// A cycle through `start`, if there is one (a path of modules back to `start`).
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn no_import_cycles_between_top_level_modules() {
    let mut graph = BTreeMap::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        None,
        &mut graph,
    );
    assert!(
        graph.contains_key("policy") && graph.contains_key("hook"),
        "the module graph was not read: {graph:?}"
    );
    for (from, to, _) in ALLOWED {
        assert!(
            graph.get(*from).is_some_and(|d| d.contains(*to)),
            "allowed edge {from} -> {to} is gone: remove it from ALLOWED"
        );
        if let Some(deps) = graph.get_mut(*from) {
            deps.remove(*to);
        }
    }
    let cycles: Vec<Vec<String>> = graph.keys().filter_map(|m| cycle_from(&graph, m)).collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:?}");
}

#[test]
fn the_reference_reader_sees_groups_inline_paths_and_skips_comments() {
    let code = code_of(
        "use crate::{a::X, b, c::{d, e}};\n// crate::commented\nlet x = crate::f::g(); // crate::trailing\n/// crate::doc\n#[cfg(test)]\nmod tests { use crate::t; }",
    );
    let got: Vec<String> = refs(&code).into_iter().collect();
    assert_eq!(got, ["a", "b", "c", "f"]);
}

#[test]
fn cycles_are_found_and_chains_are_not() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(a.to_string()).or_default().insert(b.to_string());
        }
        g
    };
    let chain = graph(&[("a", "b"), ("b", "c")]);
    assert!(chain.keys().all(|m| cycle_from(&chain, m).is_none()));
    let cyclic = graph(&[("a", "b"), ("b", "c"), ("c", "a")]);
    assert_eq!(
        cycle_from(&cyclic, "a"),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
