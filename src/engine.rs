//! The layered gate for one PreToolUse call: tool allowlist → path scope → network →
//! rules (irreversible actions and everything else a policy names). Each layer reports
//! [`Finding`]s on its own; the strictest one decides.
//!
//! What belongs here: the order of one call's checks, working out which paths and hosts a
//! tool's input names, the tool allowlist, rules that combine conditions, and handing a Bash
//! command to `crate::bash`. The per-path, per-host and taint checks both judges share live in
//! `crate::checks` (the [`Judge`] type and its `check_*` methods), so the Bash judge never
//! calls back into this module.
use serde_json::{Map, Value};

pub use crate::checks::{truncate, url_host, Judge, Touched};
use crate::decision::{Decision, Finding, Verdict};
use crate::policy::rules::Kind;
use crate::policy::{Access, Facts, Profile};
use crate::wildcard;

/// The result of judging one call.
#[derive(Debug, Default)]
pub struct Judgement {
    pub verdict: Verdict,
    pub profiles: Vec<String>,
}

/// A tool call as the gate sees it.
pub struct Call<'a> {
    pub tool: &'a str,
    pub input: &'a Map<String, Value>,
    pub agent_type: Option<&'a str>,
    pub agent_id: Option<&'a str>,
}

const PATH_KEYS: &[&str] = &[
    "file_path",
    "path",
    "notebook_path",
    "filePath",
    "filepath",
    "directory",
    "dir",
    "source",
    "destination",
    "target",
    "paths",
];

fn looks_like_path(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with("~")
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with("$HOME")
        || s.starts_with("${HOME}")
}

fn tool_writes(tool: &str) -> bool {
    let t = tool.to_ascii_lowercase();
    [
        "write", "edit", "create", "delete", "remove", "move", "rename", "put", "upload", "save",
        "mkdir", "copy",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// The literal directory a glob pattern starts in: `/home/u/.ssh/*` → `/home/u/.ssh`.
fn glob_root(pattern: &str) -> Option<String> {
    let mut parts = Vec::new();
    for comp in pattern.split('/') {
        if comp.contains(['*', '?', '[', '{']) {
            break;
        }
        parts.push(comp);
    }
    if parts.len() == pattern.split('/').count() {
        parts.pop();
    }
    let root = parts.join("/");
    if root.is_empty() {
        if pattern.starts_with('/') {
            Some("/".into())
        } else {
            None
        }
    } else {
        Some(root)
    }
}

impl<'a> Judge<'a> {
    /// Every path a call names, with how it is accessed. Errors are findings (fail closed).
    pub fn touched_paths(&self, call: &Call<'_>, out: &mut Verdict) -> Vec<Touched> {
        let mut raw: Vec<(String, Access)> = Vec::new();
        let get = |k: &str| call.input.get(k).and_then(Value::as_str);
        let mut required =
            |key: &str, access: Access, raw: &mut Vec<(String, Access)>| match get(key) {
                Some(p) if !p.is_empty() => raw.push((p.to_string(), access)),
                _ => out.push(Finding::new(
                    Decision::Deny,
                    "input",
                    None,
                    format!("{} call without `{key}`", call.tool),
                )),
            };
        match call.tool {
            "Read" => required("file_path", Access::Read, &mut raw),
            "NotebookRead" => required("notebook_path", Access::Read, &mut raw),
            "Write" => required("file_path", Access::Write, &mut raw),
            // An edit reads the old text back into the conversation, so it is both.
            "Edit" | "MultiEdit" => required("file_path", Access::Any, &mut raw),
            "NotebookEdit" => required("notebook_path", Access::Any, &mut raw),
            "Grep" => raw.push((get("path").unwrap_or(".").to_string(), Access::Read)),
            "LS" => raw.push((get("path").unwrap_or(".").to_string(), Access::Read)),
            "Glob" => {
                let base = get("path").unwrap_or(".");
                raw.push((base.to_string(), Access::Read));
                if let Some(root) = get("pattern").and_then(glob_root) {
                    let joined = if root.starts_with('/') || root.starts_with('~') {
                        root
                    } else {
                        format!("{base}/{root}")
                    };
                    raw.push((joined, Access::Read));
                }
            }
            "Bash" | "PowerShell" | "Monitor" | "WebFetch" | "WebSearch" => {}
            _ => {
                // Any other tool (MCP included): every input field that names a path, at any
                // depth (bounded), and every `file://` URI.
                let access = if tool_writes(call.tool) {
                    Access::Any
                } else {
                    Access::Read
                };
                let mut stack: Vec<(Option<&str>, &Value, usize)> = call
                    .input
                    .iter()
                    .map(|(k, v)| (Some(k.as_str()), v, 0))
                    .collect();
                while let Some((key, v, depth)) = stack.pop() {
                    let named = key.is_some_and(|k| {
                        PATH_KEYS.contains(&k)
                            || k.ends_with("_path")
                            || k.ends_with("Path")
                            || k.ends_with("files")
                            || k.ends_with("paths")
                    });
                    match v {
                        Value::String(s) => {
                            if let Some(p) = s.strip_prefix("file://") {
                                raw.push((p.to_string(), access));
                            } else if named || looks_like_path(s) {
                                raw.push((s.clone(), access));
                            }
                        }
                        Value::Array(items) if depth < 16 => stack.extend(
                            items
                                .iter()
                                .map(|i| (if named { key } else { None }, i, depth + 1)),
                        ),
                        Value::Object(m) if depth < 16 => {
                            stack.extend(m.iter().map(|(k, v)| (Some(k.as_str()), v, depth + 1)))
                        }
                        Value::Array(_) | Value::Object(_) => out.push(Finding::new(
                            Decision::Ask,
                            "input",
                            None,
                            format!(
                                "{} input is nested too deeply to check its paths",
                                call.tool
                            ),
                        )),
                        _ => {}
                    }
                }
            }
        }
        // Claude Code opens `$HOME/x` literally, but a path written that way may be meant (and
        // later used by a shell) expanded: judge both spellings when the expansion succeeds.
        let expanded: Vec<(String, Access)> = raw
            .iter()
            .filter(|(p, _)| p.contains('$'))
            .filter_map(|(p, a)| self.env.expand(p).ok().filter(|e| e != p).map(|e| (e, *a)))
            .collect();
        raw.extend(expanded);
        let mut touched = Vec::with_capacity(raw.len());
        for (p, access) in raw {
            match self.env.absolute(&p) {
                Ok(lexical) => {
                    let resolved = self.resolve(&lexical);
                    touched.push(Touched {
                        raw: p,
                        lexical,
                        resolved,
                        access,
                        recursive: call.tool == "Grep",
                    });
                }
                Err(e) => out.push(Finding::new(
                    Decision::Ask,
                    "path-unresolved",
                    None,
                    format!("cannot resolve path: {e}"),
                )),
            }
        }
        touched
    }

    /// The tool allowlist of one profile.
    fn check_tool(&self, profile: &Profile, tool: &str, out: &mut Verdict) -> bool {
        let Some(allow) = &profile.allow_tools else {
            return true;
        };
        if wildcard::any(&allow.value, tool) {
            return true;
        }
        if let Some(ask) = &profile.ask_tools {
            if wildcard::any(&ask.value, tool) {
                out.push(Finding::new(
                    Decision::Ask,
                    "tool-allowlist",
                    Some(ask.loc.clone()),
                    format!("{tool} is on the ask list of profile `{}`", profile.name),
                ));
                return true;
            }
        }
        out.push(Finding::new(
            Decision::Deny,
            "tool-allowlist",
            Some(allow.loc.clone()),
            format!("{tool} is not on the tool allowlist of profile `{}`; add it to `allow_tools` or `ask_tools` in a trusted policy if this agent needs it", profile.name),
        ));
        false
    }

    /// Rules whose conditions are not a single path or host: tool-only rules (irreversible
    /// MCP actions), input regexes, and combinations. Every condition given must hold.
    fn check_rules(
        &self,
        profile: &Profile,
        call: &Call<'_>,
        touched: &[Touched],
        hosts: &[String],
        out: &mut Verdict,
    ) {
        for rule in self
            .policy
            .rules
            .reachable(&[Kind::Other], call.tool)
            .filter(|r| r.applies_to(&profile.name, call.tool))
        {
            // `Kind::Other` only: single-path and single-host rules are checked per path and per
            // host (`crate::checks`), command patterns by the Bash judge; `Kind::of` decided
            // which, once, when the policy was compiled.
            let path_ok = rule.paths.is_none()
                || touched
                    .iter()
                    .any(|t| t.spellings().any(|p| rule.matches_path(p, t.access)));
            let host_ok = rule
                .hosts
                .as_ref()
                .is_none_or(|hs| hosts.iter().any(|h| wildcard::any(hs, h)));
            let input_ok = rule
                .input_regex
                .as_ref()
                .is_none_or(|re| any_string(call.input, &mut |s| re.is_match(s)));
            if path_ok && host_ok && input_ok {
                out.push(Finding::new(
                    rule.decision,
                    &rule.id,
                    Some(rule.loc.clone()),
                    format!("{}: {}", call.tool, rule.reason),
                ));
            }
        }
    }

    /// A tool input carrying a credential literal (a key in a curl header, a token written into
    /// a file, passed to an MCP tool).
    fn check_input_secrets(&self, call: &Call<'_>, out: &mut Verdict) {
        let detector = self.policy.secrets.detector();
        let mut hit: Option<(String, usize)> = None;
        any_string(call.input, &mut |s| {
            if let Some(f) = detector.find(s).first() {
                hit = Some((f.rule_name.to_string(), f.line));
                true
            } else {
                false
            }
        });
        if let Some((kind, line)) = hit {
            let setting = &self.policy.secrets.tool_input;
            out.push(Finding::new(
                setting.value,
                "secret-in-input",
                Some(setting.loc.clone()).filter(|l| l.line > 0),
                format!("the {} input carries a {kind} (line {line}); a credential in a tool call ends up in the transcript. Put it in an environment variable and reference the variable by name", call.tool),
            ));
        }
    }

    /// Judge one call under every selected profile; the strictest answer wins.
    pub fn judge(&self, call: &Call<'_>, env_lookup: &dyn Fn(&str) -> Option<String>) -> Judgement {
        let facts = Facts {
            agent_type: call.agent_type,
            agent_id: call.agent_id,
            cwd: &self.env.cwd,
            env: env_lookup,
        };
        let profiles = self.policy.select(&facts);
        let mut verdict = Verdict::default();
        let touched = self.touched_paths(call, &mut verdict);
        let hosts = self.hosts(call, &mut verdict);
        let bash = self.bash_analysis(call, &mut verdict);
        self.check_input_secrets(call, &mut verdict);
        check_memory_import(call, &touched, &mut verdict);
        if matches!(call.tool, "Read" | "NotebookRead") {
            for t in touched.iter().filter(|t| t.access == Access::Read) {
                self.check_file_secrets(&t.resolved, &mut verdict);
            }
        }
        if call.tool == "WebFetch" || call.tool.starts_with("mcp__") {
            self.check_taint(call.tool, &mut verdict);
        }
        for profile in &profiles {
            if !self.check_tool(profile, call.tool, &mut verdict) {
                continue;
            }
            for t in &touched {
                self.check_path(profile, t, &mut verdict, call.tool);
            }
            for h in &hosts {
                self.check_host(profile, h, &mut verdict, call.tool);
            }
            self.check_rules(profile, call, &touched, &hosts, &mut verdict);
            if let Some((command, analysis)) = &bash {
                crate::bash::judge(self, profile, command, analysis, &mut verdict);
            }
        }
        // `[builtins]` tunes the built-in verdicts (the registry's fail-closed floors were
        // checked when the policy was compiled).
        self.policy.tune_builtins(&mut verdict);
        // A rule of a cached policy that could not be decoded was skipped: never allow then.
        if self.policy.rules.is_damaged() {
            verdict.push(Finding::new(
                Decision::Deny,
                "compiled-policy-cache",
                None,
                "a rule in blastwall's compiled-policy cache could not be read; delete ~/.local/state/blastwall/cache and retry",
            ));
        }
        Judgement {
            verdict,
            profiles: profiles.iter().map(|p| p.name.clone()).collect(),
        }
    }

    /// Analyse a Bash command once; every selected profile judges the same analysis.
    fn bash_analysis<'c>(
        &self,
        call: &Call<'c>,
        out: &mut Verdict,
    ) -> Option<(&'c str, crate::shell::Analysis)> {
        if call.tool != "Bash" {
            return None;
        }
        let Some(command) = call.input.get("command").and_then(Value::as_str) else {
            out.push(Finding::new(
                Decision::Deny,
                "input",
                None,
                "Bash call without `command`",
            ));
            return None;
        };
        let cx = crate::shell::Context {
            cwd: &self.env.cwd,
            home: self.env.home.as_deref(),
            read_scripts: true,
            limits: crate::shell::Limits::default(),
        };
        Some((command, crate::shell::analyze(command, &cx)))
    }

    fn hosts(&self, call: &Call<'_>, out: &mut Verdict) -> Vec<String> {
        if call.tool != "WebFetch" {
            return Vec::new();
        }
        let Some(url) = call.input.get("url").and_then(Value::as_str) else {
            out.push(Finding::new(
                Decision::Deny,
                "input",
                None,
                "WebFetch call without `url`",
            ));
            return Vec::new();
        };
        match url_host(url) {
            Ok(h) => vec![h],
            Err(why) => {
                out.push(Finding::new(
                    Decision::Ask,
                    "network-allowlist",
                    None,
                    format!(
                        "cannot tell which host `{}` contacts: {why}",
                        truncate(url, 200)
                    ),
                ));
                Vec::new()
            }
        }
    }
}

/// A file tool writing a memory file (`CLAUDE.md`, `CLAUDE.local.md`, `AGENTS.md`,
/// `.claude/rules/…`) whose new text `@import`s a credential (`@~/.ssh/id_rsa`, `@../.env`):
/// every later session would read the credential into its context. Only the text written is
/// read (`content`, `new_string`, each edit's `new_string`, `new_source`), so removing such an
/// import stays possible.
fn check_memory_import(call: &Call<'_>, touched: &[Touched], out: &mut Verdict) {
    if !tool_writes(call.tool) {
        return;
    }
    let memory = touched.iter().any(|t| {
        t.access != Access::Read
            && t.spellings()
                .any(|p| crate::bash::memory_file(&p.to_string_lossy()))
    });
    if !memory {
        return;
    }
    let mut written: Vec<&str> = ["content", "new_string", "new_source"]
        .iter()
        .filter_map(|k| call.input.get(*k).and_then(Value::as_str))
        .collect();
    if let Some(edits) = call.input.get("edits").and_then(Value::as_array) {
        written.extend(
            edits
                .iter()
                .filter_map(|e| e.get("new_string").and_then(Value::as_str)),
        );
    }
    if written.iter().any(|t| crate::bash::imports_credential(t)) {
        out.push(Finding::new(
            Decision::Deny,
            "memory-import",
            None,
            format!(
                "{} would `@import` a credential file into a memory file that every later session reads into its context; refer to the credential by its environment variable name instead",
                call.tool
            ),
        ));
    }
}

/// Visit every string in a JSON value (iteratively: tool input is adversarial).
pub fn any_string(map: &Map<String, Value>, f: &mut dyn FnMut(&str) -> bool) -> bool {
    let mut stack: Vec<&Value> = map.values().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if f(s) => return true,
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests;
