//! The layered gate for one PreToolUse call: tool allowlist → path scope → network →
//! rules (irreversible actions and everything else a policy names). Each layer reports
//! [`Finding`]s on its own; the strictest one decides.
//!
//! Bash commands are judged by `crate::bash` through the same scope and rule checks
//! ([`Judge::check_path`], [`Judge::check_host`]), so a path written by `>` and a path written
//! by the Write tool meet the same rules.
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::decision::{Decision, Finding, Verdict};
use crate::paths::PathEnv;
use crate::policy::rules::Kind;
use crate::policy::{Access, Facts, PathProbe, Policy, Profile, Roots};
use crate::wildcard;

/// One path a call touches, in both spellings.
#[derive(Debug, Clone)]
pub struct Touched {
    pub raw: String,
    pub lexical: PathBuf,
    pub resolved: PathBuf,
    pub access: Access,
    /// A recursive search root (Grep): it reads everything below it.
    pub recursive: bool,
}

impl Touched {
    /// The path as written (normalised) and, when symlinks make it differ, as resolved: a rule
    /// that matches either matches the call. Most paths resolve to themselves, and checking the
    /// same path twice against every path rule was a tenth of a compound command's work.
    pub fn spellings(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.lexical.as_path())
            .chain((self.resolved != self.lexical).then_some(self.resolved.as_path()))
    }
}

/// The result of judging one call.
#[derive(Debug, Default)]
pub struct Judgement {
    pub verdict: Verdict,
    pub profiles: Vec<String>,
}

/// Judges calls under one policy and one path environment.
pub struct Judge<'a> {
    pub policy: &'a Policy,
    pub env: &'a PathEnv,
    /// Set when external content in this session looked like a prompt injection: outbound
    /// actions are then asked (rule `taint`).
    pub tainted: Option<String>,
    /// Symlink resolutions made while judging one call: a compound command names the same
    /// paths again and again, and each resolution is a handful of system calls.
    resolved: std::cell::RefCell<std::collections::HashMap<PathBuf, PathBuf>>,
}

/// Files larger than this are scanned for secrets only in their first part at PreToolUse;
/// PostToolUse redaction still sees everything the tool returns.
const SECRET_SCAN_BYTES: u64 = 4 * 1024 * 1024;

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
    pub fn new(policy: &'a Policy, env: &'a PathEnv) -> Judge<'a> {
        Judge {
            policy,
            env,
            tainted: None,
            resolved: Default::default(),
        }
    }

    /// [`crate::paths::resolve`] (symlinks followed for the longest existing prefix, the rest
    /// appended) for an absolute, normalised path, built directory by directory and remembered
    /// for the rest of this judgement: the paths of one call share their directories, and
    /// resolving each path from scratch cost a `readlink` per component per path (a 2 KB
    /// command made over a thousand). Each existing prefix is resolved once; a component is
    /// only canonicalised when it is a symlink. Iterative, not recursive: a tool input can
    /// name a path of millions of components, and a stack overflow would let the call run.
    pub fn resolve(&self, lexical: &std::path::Path) -> PathBuf {
        let known = |p: &std::path::Path| {
            self.resolved
                .try_borrow()
                .ok()
                .and_then(|m| m.get(p).cloned())
        };
        if let Some(k) = known(lexical) {
            return k;
        }
        let mut prefix = PathBuf::new();
        let mut resolved = PathBuf::new();
        let mut components = lexical.components();
        for comp in components.by_ref() {
            prefix.push(comp);
            if let Some(k) = known(&prefix) {
                resolved = k;
                continue;
            }
            let std::path::Component::Normal(name) = comp else {
                // The root (the path is absolute and normalised: nothing else but names).
                resolved = prefix.clone();
                continue;
            };
            let candidate = resolved.join(name);
            match std::fs::symlink_metadata(&candidate) {
                // A dangling link stays as it is spelled, as in `paths::resolve`.
                Ok(m) if m.file_type().is_symlink() => {
                    resolved = std::fs::canonicalize(&candidate).unwrap_or(candidate);
                }
                Ok(_) => resolved = candidate,
                // Nothing exists below here: the rest is appended as written, unremembered
                // (only existing prefixes, which the kernel bounds, are kept).
                Err(_) => {
                    resolved = candidate;
                    break;
                }
            }
            if let Ok(mut m) = self.resolved.try_borrow_mut() {
                m.insert(prefix.clone(), resolved.clone());
            }
        }
        for comp in components {
            resolved.push(comp);
        }
        resolved
    }

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

    fn scope_finding(
        &self,
        roots: Option<&Roots>,
        t: &Touched,
        kind: &str,
        rule: &str,
    ) -> Option<Finding> {
        let inside = |r: &Roots| r.contains(&t.lexical) && r.contains(&t.resolved);
        match roots {
            Some(r) if inside(r) => None,
            Some(r) => {
                let via = if t.resolved != t.lexical {
                    format!(" (it resolves to {})", self.env.display(&t.resolved))
                } else {
                    String::new()
                };
                Some(Finding::new(
                    Decision::Deny,
                    rule,
                    Some(r.loc.clone()),
                    format!(
                        "{}{via} is outside the {kind} roots ({}); add a root to `{kind}_roots` in your user policy if the agent should reach it",
                        self.env.display(&t.lexical),
                        r.written.join(", ")
                    ),
                ))
            }
            None => Some(Finding::new(
                Decision::Deny,
                rule,
                None,
                format!(
                    "no {kind} roots are configured, so {} cannot be {kind}n",
                    self.env.display(&t.lexical)
                ),
            )),
        }
    }

    /// Scope and path rules for one path. Used for file tools and for Bash alike.
    pub fn check_path(&self, profile: &Profile, t: &Touched, out: &mut Verdict, tool: &str) {
        let reads = matches!(t.access, Access::Read | Access::Any);
        let writes = matches!(t.access, Access::Write | Access::Any);
        let start = out.findings.len();
        if !profile.project {
            if reads {
                out.extend(self.scope_finding(
                    profile.read_roots.as_ref(),
                    t,
                    "read",
                    "read-scope",
                ));
                if let Some(r) = &self.policy.project_read_roots {
                    out.extend(self.scope_finding(Some(r), t, "read", "project-read-scope"));
                }
            }
            if writes {
                out.extend(self.scope_finding(
                    profile.write_roots.as_ref(),
                    t,
                    "write",
                    "write-scope",
                ));
                if let Some(r) = &self.policy.project_write_roots {
                    out.extend(self.scope_finding(Some(r), t, "write", "project-write-scope"));
                }
            }
        } else {
            if reads && profile.read_roots.is_some() {
                out.extend(self.scope_finding(
                    profile.read_roots.as_ref(),
                    t,
                    "read",
                    "project-read-scope",
                ));
            }
            if writes && profile.write_roots.is_some() {
                out.extend(self.scope_finding(
                    profile.write_roots.as_ref(),
                    t,
                    "write",
                    "project-write-scope",
                ));
            }
        }
        let scope_end = out.findings.len();
        // The path prepared once for every rule (its text, byte mask and head).
        let probes: Vec<PathProbe> = t.spellings().map(PathProbe::new).collect();
        for rule in self
            .policy
            .rules
            .reachable(&[Kind::Path], tool)
            .filter(|r| r.paths.is_some() && r.applies_to(&profile.name, tool))
        {
            if rule.hosts.is_some() || rule.input_regex.is_some() || rule.command_patterns.is_some()
            {
                continue; // combined conditions are checked in `check_rules`
            }
            // A recursive search rooted above a protected store reads it too.
            let recursive_read = t.recursive && reads && rule.access != Access::Write;
            if recursive_read && t.spellings().any(|root| rule.has_literal_dir_below(root)) {
                out.push(Finding::new(
                    rule.decision,
                    &rule.id,
                    Some(rule.loc.clone()),
                    format!(
                        "a recursive search of {} reads what this rule protects: {}",
                        self.env.display(&t.lexical),
                        rule.reason
                    ),
                ));
                continue;
            }
            let hit = probes.iter().any(|p| rule.matches_probe(p, t.access));
            if hit {
                out.push(Finding::new(
                    rule.decision,
                    &rule.id,
                    Some(rule.loc.clone()),
                    format!("{}: {}", self.env.display(&t.lexical), rule.reason),
                ));
            }
        }
        // A named rule says more than "outside the roots": list rule findings first so the
        // reason names the most specific rule of the same weight.
        if let Some(tail) = out.findings.get_mut(start..) {
            tail.rotate_left(scope_end - start);
        }
    }

    /// Network allowlist and host rules for one host the call contacts.
    pub fn check_host(&self, profile: &Profile, host: &str, out: &mut Verdict, tool: &str) {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let net = &self.policy.network;
        let listed = |v: &crate::policy::Val<Vec<String>>| wildcard::any(&v.value, &host);
        match &net.allow_hosts {
            Some(list) if listed(list) => {}
            Some(list) => out.push(Finding::new(net.unlisted.value, "network-allowlist", Some(list.loc.clone()), format!("{host} is not on the network allowlist; add it to `network.allow_hosts` in your user policy if the agent may contact it"))),
            None => out.push(Finding::new(net.unlisted.value, "network-allowlist", Some(net.unlisted.loc.clone()), format!("{host}: no network allowlist is configured"))),
        }
        if let Some(list) = &net.project_hosts {
            if !listed(list) {
                out.push(Finding::new(
                    net.unlisted.value,
                    "project-network-allowlist",
                    Some(list.loc.clone()),
                    format!("{host} is not on the project's network allowlist"),
                ));
            }
        }
        for rule in self
            .policy
            .rules
            .reachable(&[Kind::Host], tool)
            .filter(|r| r.applies_to(&profile.name, tool))
        {
            if let Some(hosts) = &rule.hosts {
                if rule.paths.is_none()
                    && rule.input_regex.is_none()
                    && rule.command_patterns.is_none()
                    && wildcard::any(hosts, &host)
                {
                    out.push(Finding::new(
                        rule.decision,
                        &rule.id,
                        Some(rule.loc.clone()),
                        format!("{host}: {}", rule.reason),
                    ));
                }
            }
        }
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
            let single_path = rule.paths.is_some()
                && rule.hosts.is_none()
                && rule.input_regex.is_none()
                && rule.command_patterns.is_none();
            let single_host = rule.hosts.is_some()
                && rule.paths.is_none()
                && rule.input_regex.is_none()
                && rule.command_patterns.is_none();
            if single_path || single_host || rule.command_patterns.is_some() {
                continue; // handled per path / per host / by the Bash judge
            }
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

    /// A file the agent is about to read: deny when it holds a live credential, naming the kind
    /// and the line, never the value.
    pub fn check_file_secrets(&self, path: &std::path::Path, out: &mut Verdict) {
        use std::io::Read;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if !meta.is_file() {
            return;
        }
        let mut buf = Vec::new();
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        if file.take(SECRET_SCAN_BYTES).read_to_end(&mut buf).is_err() {
            return;
        }
        let found = self.policy.secrets.detector().find_bytes(&buf);
        if let Some(first) = found.first() {
            let more = if found.len() > 1 {
                format!(" and {} more", found.len() - 1)
            } else {
                String::new()
            };
            out.push(Finding::new(
                Decision::Deny,
                "secret-in-file",
                None,
                format!(
                    "{} holds a {} on line {}{more}; reading it would put the credential into the conversation. Ask the user to move it into an environment variable or a secret manager",
                    self.env.display(path),
                    first.rule_name,
                    first.line
                ),
            ));
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

    /// After a prompt injection, anything that reaches the network needs approval.
    pub fn check_taint(&self, what: &str, out: &mut Verdict) {
        if let Some(source) = &self.tainted {
            out.push(Finding::new(
                Decision::Ask,
                "taint",
                None,
                format!("{what} reaches the network, and earlier external content in this session looked like a prompt injection ({source})"),
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

/// The host of an http(s) URL, lower-cased, without port or user info.
pub fn url_host(url: &str) -> Result<String, &'static str> {
    let lower = url.trim();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .or_else(|| {
            lower
                .get(..8)
                .filter(|p| p.eq_ignore_ascii_case("https://"))
                .and_then(|_| lower.get(8..))
        })
        .or_else(|| {
            lower
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("http://"))
                .and_then(|_| lower.get(7..))
        })
        .ok_or("only http and https URLs are judged")?;
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err("no host");
    }
    if host.chars().any(|c| c.is_whitespace() || c == '%') {
        return Err("the host is encoded or malformed");
    }
    Ok(host.trim_end_matches('.').to_ascii_lowercase())
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

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", s.get(..end).unwrap_or(""))
}

#[cfg(test)]
mod tests;
