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

/// Modules that may hold a JSON value (`serde_json::Value`/`Map`, `json!`), and why. Everything
/// else on the hook's path sees the typed call (`input::ToolUse`) and the opaque payload
/// (`input::Json`), whose walks live in `input`.
const JSON_VALUE_ALLOWED: &[(&str, &str)] = &[
    (
        "input.rs",
        "the protocol's in-edge: the event is parsed here",
    ),
    (
        "input/",
        "the in-edge's typed view and the walks over opaque payloads",
    ),
    (
        "output.rs",
        "the protocol's out-edge: the only place that builds protocol JSON",
    ),
    ("logview.rs", "reads the audit log's lines"),
    ("cmd/log.rs", "prints the audit log's lines"),
    ("replay.rs", "fixtures are event files; reports are JSON"),
    ("run.rs", "`explain` reads an event file"),
    ("cmd/lint.rs", "JSON and SARIF reports"),
    (
        "cmd/doctor.rs",
        "builds a probe event to run through the hook",
    ),
    ("install.rs", "Claude Code's settings.json"),
    (
        "client_perms.rs",
        "the permission lists of Claude Code's settings.json",
    ),
    (
        "bash/classes.rs",
        "a project's package.json (a file a command reads, not the protocol)",
    ),
    (
        "secrets/formats.rs",
        "sample tool outputs for the recall report (not on the hook's path)",
    ),
];

/// The code of a file before its inline test module (`#[cfg(test)]`, any attributes,
/// `mod x {`), without comments (doc comments name modules). A `#[cfg(test)] mod tests;`
/// declaration does not end the code (it once hid the rest of `secrets/mod.rs`).
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    'find: for (i, l) in lines.iter().enumerate() {
        if l.trim() != "#[cfg(test)]" {
            continue;
        }
        for next in lines.iter().skip(i + 1) {
            let n = next.trim();
            if n.starts_with("#[") || n.starts_with("#![") {
                continue;
            }
            if n.starts_with("mod ") && n.contains('{') {
                end = i;
                break 'find;
            }
            break;
        }
    }
    lines
        .iter()
        .take(end)
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| match l.find("//") {
            Some(i) if !l.get(..i).unwrap_or("").contains('"') => l.get(..i).unwrap_or(l),
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The places in `code` that hold or build a JSON value.
fn json_value_uses(code: &str) -> Vec<String> {
    let re = regex::Regex::new(
        r"serde_json::(Value|Map|json\b|\{[^}]*\b(Value|Map|json)\b)|\bjson!\s*[\(\{\[]|\.(as_value|into_value)\(\)",
    )
    .unwrap();
    re.find_iter(code).map(|m| m.as_str().to_string()).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_json_value_past_the_protocol_edge() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "the sources were not read: {files:?}");
    let mut offenders = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or("");
        if name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        if JSON_VALUE_ALLOWED
            .iter()
            .any(|(m, _)| rel == *m || (m.ends_with('/') && rel.starts_with(m)))
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let uses = json_value_uses(&code_of(&text));
        if !uses.is_empty() {
            offenders.push(format!("{rel}: {uses:?}"));
        }
    }
    assert!(
        offenders.is_empty(),
        "JSON values past the protocol edge (read the tool call through `input::ToolUse`, walk a payload through `input::Json`'s methods, build protocol JSON in `output.rs`): {offenders:#?}"
    );
    for (m, _) in JSON_VALUE_ALLOWED {
        let path = src.join(m.trim_end_matches('/'));
        assert!(
            path.exists(),
            "allowed module {m} is gone: remove it from JSON_VALUE_ALLOWED"
        );
    }
}

#[test]
fn json_value_uses_are_recognised() {
    let code = code_of(
        "use serde_json::{json, Value};\nuse serde_json::Map;\nlet v = json!({});\nx.as_value();\nlet t: serde_json::Value = y;\n// serde_json::Value in a comment\nlet a = serde_json::to_vec(&t);\n#[cfg(test)]\nmod tests;\nuse serde_json::Value;\n#[cfg(test)]\n#[allow(x)]\nmod tests {\nuse serde_json::Value;\n}",
    );
    let uses = json_value_uses(&code);
    assert_eq!(
        uses,
        [
            "serde_json::{json, Value",
            "serde_json::Map",
            "json!(",
            ".as_value()",
            "serde_json::Value",
            "serde_json::Value",
        ]
    );
    assert!(
        json_value_uses("serde_json::to_vec(&t); serde_json::from_slice::<Ticket>(b)").is_empty()
    );
}
