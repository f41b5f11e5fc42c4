//! `blastwall lint`: check policy files, or with no file the layers in effect here.
//!
//! Every file is checked in one run and each problem is reported at its line and column with
//! the source line and a caret, rendered by `annotate-snippets` (rustc's own renderer: output
//! people already read, a plain renderer without terminal dependencies, and a small crate;
//! `codespan-reporting` needs a file database and `termcolor`, `miette` wants every error type
//! to implement its `Diagnostic` trait and brings far more dependencies).
//!
//! Errors: every one in one run: what stops the policy from loading (each syntax error, each
//! schema error, each validation error, found by `policy::check`, which goes on where the
//! loader stops at the first), and what the lint pass finds in a loaded policy.
//! Warnings (every one): duplicate rule ids (a later `[[rules]]` with the same id replaces the
//! earlier one), hosts written as URLs, keys that do nothing in a project layer (it may only
//! tighten), profiles whose `when` can never match, rules shadowed by a broader one that is at
//! least as strict, and tool names the client does not have. `--format human|json|github|sarif`,
//! `--deny-warnings` makes warnings fail the run.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde_json::{json, Value};

use crate::decision::Decision;
use crate::exit::Exit;
use crate::paths::PathEnv;
use crate::policy::{Discovery, LayerKind, Policy, PolicyError, Rule, Source};

/// The layer a linted file is checked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayerArg {
    /// `--policy FILE` (may loosen)
    CommandLine,
    /// /etc/blastwall/policy.toml
    Managed,
    /// ~/.config/blastwall/policy.toml
    User,
    /// .claude/blastwall.toml (may only tighten)
    Project,
}

impl LayerArg {
    fn kind(self) -> LayerKind {
        match self {
            LayerArg::CommandLine => LayerKind::CommandLine,
            LayerArg::Managed => LayerKind::Managed,
            LayerArg::User => LayerKind::User,
            LayerArg::Project => LayerKind::Project,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Source line and caret for each problem
    #[default]
    Human,
    /// One JSON document
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// SARIF 2.1.0, for code scanning
    Sarif,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Check the files as this layer (a project layer may only tighten)
    #[arg(long, value_enum, value_name = "LAYER", default_value = "command-line")]
    pub layer: LayerArg,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    pub deny_warnings: bool,
    /// Policy files; none checks every layer in effect in the current directory
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem, at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    /// A short stable name for the kind of problem (`duplicate-rule-id`).
    pub code: &'static str,
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// 1-based; 0 when unknown.
    pub col: u32,
    pub message: String,
}

fn diag(
    severity: Severity,
    code: &'static str,
    file: &str,
    line: u32,
    col: u32,
    message: String,
) -> Diag {
    Diag {
        severity,
        code,
        file: file.to_string(),
        line,
        col,
        message,
    }
}

/// `file:line: message` or `file:line:col: message` as the policy code writes them.
fn split_location(text: &str) -> (String, u32, u32, String) {
    // The file name may contain ':' (embedded:default.toml); the numbers come right after it.
    let mut parts: Vec<&str> = text.splitn(2, ": ").collect();
    let message = parts.pop().unwrap_or_default().to_string();
    let loc = parts.pop().unwrap_or_default();
    let mut nums = Vec::new();
    let mut rest = loc;
    while let Some((head, tail)) = rest.rsplit_once(':') {
        match tail.parse::<u32>() {
            Ok(n) if nums.len() < 2 => {
                nums.push(n);
                rest = head;
            }
            _ => break,
        }
    }
    if nums.is_empty() {
        return (String::new(), 0, 0, text.to_string());
    }
    nums.reverse();
    (
        rest.to_string(),
        nums.first().copied().unwrap_or(0),
        nums.get(1).copied().unwrap_or(0),
        message,
    )
}

/// The 1-based line of the first line at or after `from` whose text contains every needle.
fn find_line(text: &str, from: usize, needles: &[&str]) -> Option<(u32, u32)> {
    for (i, line) in text.lines().enumerate().skip(from) {
        if needles.iter().all(|n| line.contains(n)) {
            let col = needles
                .last()
                .and_then(|n| line.find(n))
                .map(|b| line.get(..b).map_or(0, |s| s.chars().count()) + 1)
                .unwrap_or(1);
            return Some((
                u32::try_from(i + 1).unwrap_or(0),
                u32::try_from(col).unwrap_or(1),
            ));
        }
    }
    None
}

fn strictness(d: Decision) -> u8 {
    match d {
        Decision::Allow => 0,
        Decision::Ask => 1,
        Decision::Deny => 2,
    }
}

/// Warnings found in one file's text (duplicate ids, hosts as URLs, no-op project keys,
/// profiles that never match). `trusted` is the policy of the layers below, for what a
/// project key would tighten.
pub fn text_warnings(
    name: &str,
    text: &str,
    kind: LayerKind,
    trusted: Option<&Policy>,
) -> Vec<Diag> {
    let mut out = Vec::new();
    let Ok(doc) = text.parse::<toml::Table>() else {
        return out;
    };
    let warn = |out: &mut Vec<Diag>, code, at: Option<(u32, u32)>, msg: String| {
        let (l, c) = at.unwrap_or((0, 0));
        out.push(diag(Severity::Warning, code, name, l, c, msg));
    };
    // Duplicate rule ids.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(rules) = doc.get("rules").and_then(toml::Value::as_array) {
        for r in rules {
            let Some(id) = r.get("id").and_then(toml::Value::as_str) else {
                continue;
            };
            let n = seen.entry(id.to_string()).or_default();
            *n += 1;
            if *n > 1 {
                // The n-th occurrence of the id in the text.
                let quoted = format!("\"{id}\"");
                let mut from = 0;
                let mut at = None;
                for _ in 0..*n {
                    at = find_line(text, from, &["id", &quoted]);
                    from = at.map_or(usize::MAX, |(l, _)| l as usize);
                }
                let msg = if kind.trusted() {
                    format!("duplicate rule id `{id}`: this rule replaces the earlier one of the same id, which is dropped")
                } else {
                    format!("duplicate rule id `{id}`: both rules apply, but reasons and `blastwall log --rule` cannot tell them apart")
                };
                warn(&mut out, "duplicate-rule-id", at, msg);
            }
        }
    }
    // Hosts written as URLs.
    let mut host_lists: Vec<&toml::Value> = Vec::new();
    if let Some(h) = doc.get("network").and_then(|n| n.get("allow_hosts")) {
        host_lists.push(h);
    }
    if let Some(rules) = doc.get("rules").and_then(toml::Value::as_array) {
        host_lists.extend(rules.iter().filter_map(|r| r.get("hosts")));
    }
    for list in host_lists {
        for h in list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
        {
            if h.contains("://") || h.contains('/') {
                let bare = h
                    .split("://")
                    .last()
                    .unwrap_or(h)
                    .split('/')
                    .next()
                    .unwrap_or(h);
                let at = find_line(text, 0, &[&format!("\"{h}\"")]);
                warn(
                    &mut out,
                    "host-as-url",
                    at,
                    format!("`{h}` is a URL, not a host name, and never matches; write `{bare}`"),
                );
            }
        }
    }
    // Keys that do nothing in a project layer (it may only tighten).
    if kind == LayerKind::Project {
        let get = |section: &str, key: &str| doc.get(section).and_then(|s| s.get(key)).cloned();
        // The layers below's value of any key, from the policy's key record.
        let trusted_value = |key: &str| -> Option<String> {
            let keys = trusted?.keys()?;
            let e = keys.entries().into_iter().find(|e| e.key == key)?;
            crate::policy::layering::spelling(e.value.as_ref()?)
        };
        for k in crate::policy::layering::LAYERING {
            let crate::policy::layering::Layering::Tighten(order) = k.project else {
                continue;
            };
            let Some((section, key)) = k.key.split_once('.') else {
                continue;
            };
            let Some(v) = get(section, key) else { continue };
            let spelled = match &v {
                // `none` is the older spelling of `on_allow = "pass"`.
                toml::Value::String(s) if k.key == "settings.on_allow" && s == "none" => {
                    "pass".to_string()
                }
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let pos = order.iter().position(|o| *o == spelled);
            let below = trusted_value(k.key);
            let below_pos = below
                .as_deref()
                .and_then(|b| order.iter().position(|o| *o == b));
            let noop = match (pos, below_pos) {
                (Some(0), _) => true,
                (Some(p), Some(b)) => p <= b,
                _ => false,
            };
            if noop {
                let at = find_line(text, 0, &[key, &v.to_string()]);
                let why = match &below {
                    Some(b) => format!("the layers below already have `{b}`"),
                    None => "it is the loosest value".to_string(),
                };
                warn(
                    &mut out,
                    "project-noop",
                    at,
                    format!(
                        "`{} = {}` does nothing in a project layer, which may only tighten ({why})",
                        k.key, v
                    ),
                );
            }
        }
    }
    // Profiles whose `when` can never match.
    if let Some(profiles) = doc.get("profiles").and_then(toml::Value::as_table) {
        for (pname, p) in profiles {
            let Some(when) = p.get("when").and_then(toml::Value::as_table) else {
                continue;
            };
            for (k, v) in when {
                if v.as_array().is_some_and(Vec::is_empty) {
                    let at = find_line(text, 0, &[k, "[]"])
                        .or_else(|| find_line(text, 0, &[&format!("profiles.{pname}")]));
                    warn(
                        &mut out,
                        "profile-never-matches",
                        at,
                        format!("profile `{pname}`: `when.{k} = []` can never match, so the profile never applies"),
                    );
                }
            }
        }
    }
    out
}

/// Whether the name glob `outer` (`*` any run, `?` one character) matches everything `inner`
/// does. `outer` is matched against `inner`'s text; that is exact when `outer` has no `?` (its
/// `*` then absorbs whatever `inner`'s wildcards stand for).
fn name_glob_covers(outer: &str, inner: &str) -> bool {
    outer == inner || (!outer.contains('?') && crate::wildcard::matches(outer, inner))
}

/// Whether the path glob `outer` matches every path `inner` does (globset syntax: `*` within a
/// component, `**` across). Only shapes that are sure: equal, `DIR/**` over anything below
/// `DIR`, `X/**` over `Y/**` when `X` covers `Y`, `**/NAME` over `…/NAME`, and any glob over a
/// literal path it matches.
fn path_glob_covers(outer: &str, inner: &str) -> bool {
    let meta = |s: &str| s.contains(['*', '?', '[', '{']);
    if outer == inner || outer == "**" {
        return true;
    }
    if let Some(dir) = outer.strip_suffix("/**") {
        if !meta(dir) && (inner == dir || inner.starts_with(&format!("{dir}/"))) {
            return true;
        }
        // Below whatever `dir` matches covers below whatever a narrower glob matches.
        if let Some(inner_dir) = inner.strip_suffix("/**") {
            if path_glob_covers(dir, inner_dir) {
                return true;
            }
        }
    }
    if let Some(name) = outer.strip_prefix("**/") {
        if !name.contains('/') && inner.ends_with(&format!("/{name}")) {
            return true;
        }
    }
    !meta(inner)
        && globset::GlobBuilder::new(outer)
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(inner))
}

/// `outer` (a rule's list, `None` = any) allows at least everything `inner` does.
fn list_covers(
    outer: Option<&[String]>,
    inner: Option<&[String]>,
    covers: impl Fn(&str, &str) -> bool,
) -> bool {
    match (outer, inner) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(o), Some(i)) => i.iter().all(|x| o.iter().any(|p| covers(p, x))),
    }
}

/// Whether rule `a` matches at least every call `b` matches. A rule matches when every
/// condition it has holds, so `a` covers `b` when each of `a`'s conditions is implied by `b`'s:
/// tools, profiles and hosts by glob, paths by glob with the access and `except` no narrower,
/// and an input regex or command pattern only when `a` has none.
fn covers(a: &Rule, b: &Rule) -> bool {
    fn paths(r: &Rule) -> Option<&[String]> {
        r.paths.as_ref().map(|p| p.patterns())
    }
    fn except(r: &Rule) -> Option<&[String]> {
        r.except.as_ref().map(|p| p.patterns())
    }
    let paths_ok = list_covers(paths(a), paths(b), path_glob_covers)
        && (a.paths.is_none() || a.access == crate::policy::Access::Any || a.access == b.access)
        // What `a` exempts, `b` exempts too.
        && match (except(a), except(b)) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(ae), Some(be)) => ae.iter().all(|x| be.contains(x)),
        };
    paths_ok
        && list_covers(a.tools.as_deref(), b.tools.as_deref(), name_glob_covers)
        && list_covers(a.profiles.as_deref(), b.profiles.as_deref(), name_glob_covers)
        && list_covers(a.hosts.as_deref(), b.hosts.as_deref(), name_glob_covers)
        && a.input_regex.is_none()
        && a.command_patterns.is_none()
        // A rule with no condition at all cannot load; never call it a cover.
        && (a.paths.is_some() || a.tools.is_some() || a.hosts.is_some())
}

/// Rules of `file` that a broader rule, at least as strict, already covers.
pub fn shadowed(policy: &Policy, file: &str) -> Vec<Diag> {
    let rules: Vec<&Rule> = policy.rules.iter().collect();
    let mut out = Vec::new();
    for (j, b) in rules.iter().enumerate() {
        if &*b.loc.file != file {
            continue;
        }
        let by = rules.iter().enumerate().find(|(i, a)| {
            *i != j
                && strictness(a.decision) >= strictness(b.decision)
                && covers(a, b)
                // Identical rules: report only the later one.
                && !(covers(b, a) && strictness(a.decision) == strictness(b.decision) && *i > j)
        });
        if let Some((_, a)) = by {
            out.push(diag(
                Severity::Warning,
                "shadowed-rule",
                file,
                b.loc.line,
                0,
                format!(
                    "rule `{}` never decides anything: rule `{}` ({}) matches every call it matches and is at least as strict",
                    b.id, a.id, a.loc
                ),
            ));
        }
    }
    out
}

/// Check one set of sources (the embedded default plus the layers given).
pub fn check_sources(sources: &[Source], env: &PathEnv) -> Vec<Diag> {
    let mut out = Vec::new();
    // Warnings from each file's text.
    let trusted: Vec<Source> = sources
        .iter()
        .filter(|s| s.kind.trusted())
        .cloned()
        .collect();
    let trusted_policy = Policy::from_sources(&trusted, env).ok();
    for s in sources.iter().filter(|s| s.kind != LayerKind::Embedded) {
        out.extend(text_warnings(
            &s.name,
            &s.text,
            s.kind,
            trusted_policy.as_ref(),
        ));
    }
    let (policy, errors) = crate::policy::check::check_all(sources, env);
    for e in errors {
        out.push(match e {
            PolicyError::Invalid {
                file,
                line,
                col,
                message,
            } => diag(Severity::Error, "invalid", &file, line, col, message),
            e @ PolicyError::Unreadable { .. } => {
                diag(Severity::Error, "unreadable", "", 0, 0, e.to_string())
            }
        });
    }
    match policy {
        None => {}
        Some(p) => {
            let (warnings, errors) = match crate::policy::lint::check(&p) {
                Ok(w) => (w, Vec::new()),
                Err(e) => (Vec::new(), e),
            };
            for (sev, list) in [(Severity::Error, errors), (Severity::Warning, warnings)] {
                for text in list {
                    let (file, line, col, message) = split_location(&text);
                    let code = if sev == Severity::Error {
                        "invalid"
                    } else {
                        "unknown-tool"
                    };
                    out.push(diag(sev, code, &file, line, col, message));
                }
            }
            for s in sources.iter().filter(|s| s.kind != LayerKind::Embedded) {
                out.extend(shadowed(&p, &s.name));
            }
        }
    }
    // In reading order, each file's problems by line (a stable sort: same line, found order).
    out.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    out
}

/// The byte range of the character at 1-based `line`:`col` (to the end of its word), if any.
fn span_of(text: &str, line: u32, col: u32) -> Option<std::ops::Range<usize>> {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col0 = (col.max(1) - 1) as usize;
            let off = l
                .char_indices()
                .nth(col0)
                .map_or(l.trim_end().len(), |(b, _)| b);
            let rest = l.get(off..).unwrap_or("");
            let len = rest
                .char_indices()
                .find(|(_, c)| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
                .map_or(rest.len(), |(b, _)| b)
                .max(rest.chars().next().map_or(0, char::len_utf8));
            return Some(start + off..start + off + len);
        }
        start += l.len();
    }
    None
}

/// Human output: each problem with its source line and a caret.
pub fn render_human(diags: &[Diag], texts: &BTreeMap<String, String>) -> String {
    use annotate_snippets::{Level, Renderer, Snippet};
    let renderer = Renderer::plain();
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let title = d.message.as_str();
        let rendered = match (texts.get(&d.file), d.line) {
            (Some(text), line) if line > 0 => {
                let span = if d.col > 0 {
                    span_of(text, line, d.col)
                } else {
                    // A line without a column: underline the line's text.
                    span_of(text, line, 1).map(|r| {
                        let line_text = text.lines().nth(line as usize - 1).unwrap_or("");
                        let lead = line_text.len() - line_text.trim_start().len();
                        r.start + lead..r.start + line_text.len().max(lead + 1)
                    })
                };
                match span {
                    Some(span) => {
                        let msg = level.title(title).id(d.code).snippet(
                            Snippet::source(text)
                                .line_start(1)
                                .origin(&d.file)
                                .fold(true)
                                // The primary mark (a caret) whatever the severity.
                                .annotation(Level::Error.span(span)),
                        );
                        renderer.render(msg).to_string()
                    }
                    None => renderer.render(level.title(title).id(d.code)).to_string(),
                }
            }
            _ => {
                let place = if d.file.is_empty() {
                    String::new()
                } else {
                    format!("{}:{}: ", d.file, d.line)
                };
                format!("{}[{}]: {place}{title}", d.severity.as_str(), d.code)
            }
        };
        out.push_str(&rendered);
        out.push_str("\n\n");
    }
    out
}

/// GitHub workflow-command escaping.
fn gh_escape(text: &str, property: bool) -> String {
    let mut s = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s = s.replace(':', "%3A").replace(',', "%2C");
    }
    s
}

/// GitHub Actions annotations, one line per problem.
pub fn render_github(diags: &[Diag]) -> String {
    diags
        .iter()
        .map(|d| {
            let mut props = vec![format!(
                "title={}",
                gh_escape(&format!("blastwall lint ({})", d.code), true)
            )];
            if !d.file.is_empty() {
                props.insert(0, format!("file={}", gh_escape(&d.file, true)));
            }
            if d.line > 0 {
                props.push(format!("line={}", d.line));
            }
            if d.col > 0 {
                props.push(format!("col={}", d.col));
            }
            format!(
                "::{} {}::{}\n",
                d.severity.as_str(),
                props.join(","),
                gh_escape(&d.message, false)
            )
        })
        .collect()
}

/// SARIF 2.1.0 for code scanning.
pub fn render_sarif(diags: &[Diag]) -> String {
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let region = if d.col > 0 {
                json!({"startLine": d.line.max(1), "startColumn": d.col})
            } else {
                json!({"startLine": d.line.max(1)})
            };
            json!({
                "ruleId": d.code,
                "level": d.severity.as_str(),
                "message": {"text": d.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": d.file}, "region": region}}],
            })
        })
        .collect();
    let doc = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "blastwall",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": codes.iter().map(|c| json!({"id": c})).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// JSON output.
pub fn render_json(diags: &[Diag], checked: &[String]) -> String {
    let list: Vec<Value> = diags
        .iter()
        .map(|d| json!({"severity": d.severity.as_str(), "code": d.code, "file": d.file, "line": d.line, "col": d.col, "message": d.message}))
        .collect();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let mut s = serde_json::to_string_pretty(&json!({
        "version": 1,
        "checked": checked,
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": list,
    }))
    .unwrap_or_default();
    s.push('\n');
    s
}

pub fn run(a: &LintArgs) -> Exit {
    let env = super::process_env(None);
    // Each set: what it is called, and its sources (or why they could not be read).
    let sets: Vec<(String, Result<Vec<Source>, String>)> = if a.files.is_empty() {
        let sources = Discovery::standard(&env, None)
            .read(&env)
            .map_err(|e| e.to_string());
        vec![("the layers in effect".to_string(), sources)]
    } else {
        let kind = a.layer.kind();
        a.files
            .iter()
            .map(|f| {
                let name = f.display().to_string();
                let sources = std::fs::read_to_string(f)
                    .map_err(|e| format!("cannot read policy {name}: {e}"))
                    .map(|text| {
                        vec![
                            Source::embedded(),
                            Source {
                                kind,
                                name: Arc::from(name.as_str()),
                                text,
                            },
                        ]
                    });
                (format!("{name} ({} layer)", kind.as_str()), sources)
            })
            .collect()
    };
    let mut diags = Vec::new();
    let mut texts = BTreeMap::new();
    texts.insert(
        crate::policy::EMBEDDED_NAME.to_string(),
        crate::policy::EMBEDDED_DEFAULT.to_string(),
    );
    let mut checked = Vec::new();
    let mut summary = String::new();
    for (what, sources) in sets {
        match sources {
            Ok(sources) => {
                for s in &sources {
                    texts.insert(s.name.to_string(), s.text.clone());
                    checked.push(format!("{} ({})", s.name, s.kind.as_str()));
                }
                let found = check_sources(&sources, &env);
                let errors = found
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .count();
                summary.push_str(&format!(
                    "{}: {what}: {errors} error(s), {} warning(s)\n",
                    if errors > 0 { "FAIL" } else { "ok" },
                    found.len() - errors
                ));
                if a.files.is_empty() {
                    for s in &sources {
                        summary.push_str(&format!("  layer: {} ({})\n", s.name, s.kind.as_str()));
                    }
                }
                diags.extend(found);
            }
            Err(e) => {
                summary.push_str(&format!("FAIL: {what}\n"));
                diags.push(diag(Severity::Error, "unreadable", "", 0, 0, e));
            }
        }
    }
    diags.dedup();
    let text = match a.format {
        Format::Human => render_human(&diags, &texts) + &summary,
        Format::Json => render_json(&diags, &checked),
        Format::Github => render_github(&diags),
        Format::Sarif => render_sarif(&diags),
    };
    super::stdout(&text);
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    let warnings = diags.iter().any(|d| d.severity == Severity::Warning);
    if errors || (a.deny_warnings && warnings) {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> PathEnv {
        PathEnv {
            home: Some(PathBuf::from("/home/u")),
            project: PathBuf::from("/p"),
            tmpdir: PathBuf::from("/tmp"),
            cwd: PathBuf::from("/p"),
            exe: None,
        }
    }

    fn lint(kind: LayerKind, text: &str) -> Vec<Diag> {
        let sources = [
            Source::embedded(),
            Source {
                kind,
                name: Arc::from("t.toml"),
                text: text.to_string(),
            },
        ];
        check_sources(&sources, &env())
    }

    fn codes(d: &[Diag]) -> Vec<(&'static str, u32)> {
        d.iter().map(|d| (d.code, d.line)).collect()
    }

    #[test]
    fn warnings_each_at_their_line() {
        let text = "version = 1\n[network]\nallow_hosts = [\"docs.rs\", \"https://example.org/x\"]\n\n[[rules]]\nid = \"a\"\ndecision = \"deny\"\nreason = \"x\"\npaths = [\"/srv/**\"]\n\n[[rules]]\nid = \"a\"\ndecision = \"ask\"\nreason = \"y\"\npaths = [\"/srv/data/**\"]\n";
        let d = lint(LayerKind::User, text);
        let c = codes(&d);
        assert!(c.contains(&("host-as-url", 3)), "{d:#?}");
        assert!(c.contains(&("duplicate-rule-id", 12)), "{d:#?}");
        assert!(d.iter().all(|d| d.severity == Severity::Warning), "{d:#?}");
        let url = d.iter().find(|d| d.code == "host-as-url").unwrap();
        assert!(
            url.message.contains("write `example.org`"),
            "{}",
            url.message
        );
    }

    #[test]
    fn a_broader_rule_shadows_a_narrower_weaker_one() {
        let text = "version = 1\n[[rules]]\nid = \"wide\"\ndecision = \"deny\"\nreason = \"x\"\npaths = [\"/srv/**\"]\n\n[[rules]]\nid = \"narrow\"\ndecision = \"ask\"\nreason = \"y\"\npaths = [\"/srv/data/**\"]\n\n[[rules]]\nid = \"other\"\ndecision = \"deny\"\nreason = \"z\"\npaths = [\"/opt/**\"]\n";
        let d = lint(LayerKind::User, text);
        let s: Vec<&Diag> = d.iter().filter(|d| d.code == "shadowed-rule").collect();
        assert_eq!(s.len(), 1, "{d:#?}");
        assert_eq!(s[0].line, 9);
        assert!(
            s[0].message.contains("rule `narrow`") && s[0].message.contains("`wide`"),
            "{}",
            s[0].message
        );
    }

    /// (rule a, rule b, whether a shadows b): each rule is its TOML body without id/reason.
    #[test]
    fn shadowing_by_condition() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "decision = \"deny\"\npaths = [\"/srv/**\"]",
                "decision = \"ask\"\npaths = [\"/srv/data/**\"]",
                true,
            ),
            (
                "decision = \"ask\"\npaths = [\"/srv/**\"]",
                "decision = \"deny\"\npaths = [\"/srv/data/**\"]",
                false,
            ),
            (
                "decision = \"deny\"\npaths = [\"/srv/**\"]\naccess = \"write\"",
                "decision = \"deny\"\npaths = [\"/srv/x\"]",
                false,
            ),
            (
                "decision = \"deny\"\npaths = [\"/srv/**\"]",
                "decision = \"deny\"\npaths = [\"/srv/x\"]\naccess = \"read\"",
                true,
            ),
            (
                "decision = \"deny\"\npaths = [\"/srv/**\"]\nexcept = [\"/srv/pub/**\"]",
                "decision = \"deny\"\npaths = [\"/srv/x/**\"]",
                false,
            ),
            (
                "decision = \"deny\"\npaths = [\"*.pem\"]",
                "decision = \"ask\"\npaths = [\"/srv/tls/server.pem\"]",
                true,
            ),
            (
                "decision = \"deny\"\npaths = [\"/srv/*/x\"]",
                "decision = \"deny\"\npaths = [\"/srv/**/x\"]",
                false,
            ),
            (
                "decision = \"ask\"\nhosts = [\"*.example.com\"]",
                "decision = \"ask\"\nhosts = [\"api.example.com\", \"*.cdn.example.com\"]",
                true,
            ),
            (
                "decision = \"ask\"\nhosts = [\"*.example.com\"]",
                "decision = \"ask\"\nhosts = [\"example.org\"]",
                false,
            ),
            (
                "decision = \"deny\"\ntools = [\"mcp__*\"]",
                "decision = \"ask\"\ntools = [\"mcp__gh__delete_repo\"]\ninput_regex = \"prod\"",
                true,
            ),
            (
                "decision = \"deny\"\ntools = [\"mcp__gh__*\"]",
                "decision = \"ask\"\ntools = [\"mcp__*\"]",
                false,
            ),
            (
                "decision = \"deny\"\ntools = [\"Write\"]",
                "decision = \"ask\"\npaths = [\"/srv/**\"]",
                false,
            ),
            (
                "decision = \"deny\"\ntools = [\"Write\"]\nprofiles = [\"main\"]",
                "decision = \"ask\"\ntools = [\"Write\"]",
                false,
            ),
            (
                "decision = \"deny\"\ninput_regex = \"x\"\ntools = [\"Bash\"]",
                "decision = \"ask\"\ntools = [\"Bash\"]\ninput_regex = \"x\"",
                false,
            ),
        ];
        for (a, b, want) in cases {
            let text = format!("version = 1\n[[rules]]\nid = \"a\"\nreason = \"r\"\n{a}\n\n[[rules]]\nid = \"b\"\nreason = \"r\"\n{b}\n");
            let d = lint(LayerKind::User, &text);
            assert!(
                !d.iter().any(|d| d.severity == Severity::Error),
                "{text}\n{d:#?}"
            );
            let got = d
                .iter()
                .any(|d| d.code == "shadowed-rule" && d.message.starts_with("rule `b`"));
            assert_eq!(got, *want, "a: {a}\nb: {b}\n{d:#?}");
        }
    }

    #[test]
    fn project_keys_that_do_nothing() {
        let text = "version = 1\n[settings]\non_allow = \"allow\"\n[secrets]\ntool_input = \"ask\"\n[network]\nunlisted = \"deny\"\n";
        let d = lint(LayerKind::Project, text);
        let c = codes(&d);
        assert!(c.contains(&("project-noop", 3)), "{d:#?}");
        assert!(c.contains(&("project-noop", 5)), "{d:#?}");
        assert!(
            !c.iter().any(|(code, l)| *code == "project-noop" && *l == 7),
            "unlisted = deny tightens: {d:#?}"
        );
        // Every key that may only tighten is compared with the layers below (read from the
        // key record): the default's sandbox network is `allowlist`, its `auto_allow` off.
        let text = "version = 1\n[sandbox]\nnetwork = \"allowlist\"\nmode = \"required\"\nauto_allow = false\n[untrusted]\ntaint = \"any\"\n";
        let d = lint(LayerKind::Project, text);
        let c = codes(&d);
        let noop: Vec<u32> = c
            .iter()
            .filter(|(code, _)| *code == "project-noop")
            .map(|(_, l)| *l)
            .collect();
        assert_eq!(noop, [3, 5], "{d:#?}");
        assert!(
            d.iter()
                .any(|d| d.message.contains("already have `allowlist`")),
            "{d:#?}"
        );
    }

    #[test]
    fn profile_that_never_matches() {
        let text = "version = 1\n[profiles.reviewer]\nwhen = { agent_type = [] }\nallow_tools = [\"Read\"]\n";
        let d = lint(LayerKind::User, text);
        assert!(
            d.iter().any(|d| d.code == "profile-never-matches"),
            "{d:#?}"
        );
    }

    #[test]
    fn errors_carry_line_and_col_and_render_with_a_caret() {
        let text = "version = 1\n[network]\nunlisted = \"maybe\"\n";
        let d = lint(LayerKind::User, text);
        let e = d.iter().find(|d| d.severity == Severity::Error).unwrap();
        assert_eq!((e.file.as_str(), e.line), ("t.toml", 3));
        assert!(e.col > 0);
        let mut texts = BTreeMap::new();
        texts.insert("t.toml".to_string(), text.to_string());
        let h = render_human(&d, &texts);
        assert!(h.contains("--> t.toml:3:"), "{h}");
        assert!(h.contains("unlisted = \"maybe\""), "{h}");
        assert!(h.contains('^'), "{h}");
    }

    #[test]
    fn machine_formats() {
        let d = vec![diag(
            Severity::Warning,
            "host-as-url",
            "p,1.toml",
            3,
            5,
            "a: b\nc%".into(),
        )];
        assert_eq!(
            render_github(&d),
            "::warning file=p%2C1.toml,title=blastwall lint (host-as-url),line=3,col=5::a: b%0Ac%25\n"
        );
        let s: Value = serde_json::from_str(&render_sarif(&d)).unwrap();
        assert_eq!(s["version"], "2.1.0");
        assert_eq!(
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
        let j: Value = serde_json::from_str(&render_json(&d, &["x".into()])).unwrap();
        assert_eq!(
            (j["warnings"].as_u64(), j["errors"].as_u64()),
            (Some(1), Some(0))
        );
    }

    #[test]
    fn locations_are_split_from_messages() {
        assert_eq!(
            split_location("embedded:default.toml:95: rule `x`: bad"),
            (
                "embedded:default.toml".into(),
                95,
                0,
                "rule `x`: bad".into()
            )
        );
        assert_eq!(
            split_location("/a/b.toml:3:7: m"),
            ("/a/b.toml".into(), 3, 7, "m".into())
        );
        assert_eq!(
            split_location("no location"),
            (String::new(), 0, 0, "no location".into())
        );
    }
}
