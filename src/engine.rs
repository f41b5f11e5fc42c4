//! The layered gate for one PreToolUse call: tool allowlist → path scope → network →
//! rules (irreversible actions and everything else a policy names). Each layer reports
//! [`Finding`]s on its own; the strictest one decides.
//!
//! What belongs here: the order of one call's checks, working out which paths and hosts a
//! tool's input names, the tool allowlist, rules that combine conditions, and handing a Bash
//! command to `crate::bash`. The per-path, per-host and taint checks both judges share live in
//! `crate::checks` (the [`Judge`] type and its `check_*` methods), so the Bash judge never
//! calls back into this module.
pub use crate::checks::{truncate, url_host, Judge, Touched};
use crate::decision::{Decision, Finding, Verdict};
use crate::input::{ToolCall, ToolUse};
use crate::policy::rules::Kind;
use crate::policy::{Access, Facts, Profile};
use crate::wildcard;

/// The result of judging one call.
#[derive(Debug, Default)]
pub struct Judgement {
    pub verdict: Verdict,
    pub profiles: Vec<String>,
}

/// A tool call as the gate sees it: the typed call and who makes it.
pub struct Call<'a> {
    /// The tool and its input, read at the protocol's edge.
    pub tool: ToolUse<'a>,
    /// The subagent's type (none for the main agent).
    pub agent_type: Option<&'a str>,
    /// The subagent's id.
    pub agent_id: Option<&'a str>,
}

impl Call<'_> {
    /// The tool's name.
    pub fn name(&self) -> &str {
        self.tool.name
    }
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
        let tool = call.name();
        let mut required =
            |key: &str, field: Option<&str>, access: Access, raw: &mut Vec<(String, Access)>| {
                match field {
                    Some(p) if !p.is_empty() => raw.push((p.to_string(), access)),
                    _ => out.push(Finding::new(
                        Decision::Deny,
                        "input",
                        None,
                        format!("{tool} call without `{key}`"),
                    )),
                }
            };
        match &call.tool.call {
            ToolCall::Read { file_path, .. } => {
                required("file_path", *file_path, Access::Read, &mut raw)
            }
            ToolCall::NotebookRead { notebook_path } => {
                required("notebook_path", *notebook_path, Access::Read, &mut raw)
            }
            ToolCall::Write { file_path, .. } => {
                required("file_path", *file_path, Access::Write, &mut raw)
            }
            // An edit reads the old text back into the conversation, so it is both.
            ToolCall::Edit { file_path, .. } | ToolCall::MultiEdit { file_path, .. } => {
                required("file_path", *file_path, Access::Any, &mut raw)
            }
            ToolCall::NotebookEdit { notebook_path, .. } => {
                required("notebook_path", *notebook_path, Access::Any, &mut raw)
            }
            ToolCall::Grep { path, .. } | ToolCall::Ls { path } => {
                raw.push((path.unwrap_or(".").to_string(), Access::Read))
            }
            ToolCall::Glob { pattern, path } => {
                let base = path.unwrap_or(".");
                raw.push((base.to_string(), Access::Read));
                if let Some(root) = pattern.and_then(glob_root) {
                    let joined = if root.starts_with('/') || root.starts_with('~') {
                        root
                    } else {
                        format!("{base}/{root}")
                    };
                    raw.push((joined, Access::Read));
                }
            }
            ToolCall::Bash { .. }
            | ToolCall::PowerShell { .. }
            | ToolCall::Monitor { .. }
            | ToolCall::WebFetch { .. }
            | ToolCall::WebSearch { .. } => {}
            ToolCall::Task { .. }
            | ToolCall::TodoWrite
            | ToolCall::Mcp { .. }
            | ToolCall::Unknown => {
                // Any other tool (MCP included): every input field that names a path, at any
                // depth (bounded), and every `file://` URI.
                let access = if tool_writes(tool) {
                    Access::Any
                } else {
                    Access::Read
                };
                let named = call.tool.args.named_paths();
                raw.extend(named.paths.into_iter().map(|p| (p.to_string(), access)));
                for _ in 0..named.too_deep {
                    out.push(Finding::new(
                        Decision::Ask,
                        "input",
                        None,
                        format!("{tool} input is nested too deeply to check its paths"),
                    ));
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
                        recursive: matches!(call.tool.call, ToolCall::Grep { .. }),
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
            .reachable(&[Kind::Other], call.name())
            .filter(|r| r.applies_to(&profile.name, call.name()))
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
                .is_none_or(|re| call.tool.args.any_string(&mut |s| re.is_match(s)));
            if path_ok && host_ok && input_ok {
                out.push(Finding::new(
                    rule.decision,
                    &rule.id,
                    Some(rule.loc.clone()),
                    format!("{}: {}", call.name(), rule.reason),
                ));
            }
        }
    }

    /// A tool input carrying a credential literal (a key in a curl header, a token written into
    /// a file, passed to an MCP tool).
    fn check_input_secrets(&self, call: &Call<'_>, out: &mut Verdict) {
        let detector = self.policy.secrets.detector();
        let mut hit: Option<(String, usize)> = None;
        call.tool.args.any_string(&mut |s| {
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
                format!("the {} input carries a {kind} (line {line}); a credential in a tool call ends up in the transcript. Put it in an environment variable and reference the variable by name", call.name()),
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
        if matches!(
            call.tool.call,
            ToolCall::Read { .. } | ToolCall::NotebookRead { .. }
        ) {
            for t in touched.iter().filter(|t| t.access == Access::Read) {
                self.check_file_secrets(&t.resolved, &mut verdict);
            }
        }
        if matches!(
            call.tool.call,
            ToolCall::WebFetch { .. } | ToolCall::Mcp { .. }
        ) {
            self.check_taint(call.name(), &mut verdict);
        }
        for profile in &profiles {
            if !self.check_tool(profile, call.name(), &mut verdict) {
                continue;
            }
            for t in &touched {
                self.check_path(profile, t, &mut verdict, call.name());
            }
            for h in &hosts {
                self.check_host(profile, h, &mut verdict, call.name());
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
        let ToolCall::Bash { command, .. } = &call.tool.call else {
            return None;
        };
        let Some(command) = *command else {
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
        let ToolCall::WebFetch { url, .. } = &call.tool.call else {
            return Vec::new();
        };
        let Some(url) = *url else {
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
    if !tool_writes(call.name()) {
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
    // Whatever the tool (an MCP tool that writes files too): the fields that carry new text.
    let written = call.tool.args.written_texts();
    if written.iter().any(|t| crate::bash::imports_credential(t)) {
        out.push(Finding::new(
            Decision::Deny,
            "memory-import",
            None,
            format!(
                "{} would `@import` a credential file into a memory file that every later session reads into its context; refer to the credential by its environment variable name instead",
                call.name()
            ),
        ));
    }
}

#[cfg(test)]
mod tests;
