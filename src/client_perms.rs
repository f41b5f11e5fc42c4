//! Claude Code's own permission rules for Bash, applied by blastwall to the ORIGINAL command.
//!
//! When blastwall rewrites a Bash command into its sandbox wrapper, the client matches its
//! permission rules against the rewritten text (verified with 2.1.328): the user's
//! `Bash(git push:*)` deny rule stops matching, and read-only auto-approval is lost. So before
//! rewriting, the hook reads the rules the client reads from settings files (managed, user,
//! project, local) and applies them to the command as the agent wrote it:
//! deny → deny; ask → ask (with the sandboxed input); an allow rule, a read-only command the
//! client approves by itself, or `bypassPermissions` → allow (with the sandboxed input);
//! otherwise no decision, and the client's own flow decides on the sandboxed input.
//!
//! What this cannot see: rules given on the command line (`--allowedTools`,
//! `--disallowedTools`) and session rules. Those are the reason "no decision" exists.
//!
//! Security choices: a settings file that exists but does not parse makes every sandboxed
//! Bash call an ask (fail closed); allow rules from the project's shared
//! `.claude/settings.json` are not counted (the client applies them only after workspace
//! trust and never under `-p`, and the repository's author wrote them); deny and ask rules
//! from every file are.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::input::{ToolCall, ToolUse};

/// What the client's rules say about one Bash call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientVerdict {
    /// A deny rule matches: the rule and the file it is in.
    Deny(String),
    /// An ask rule matches, or a settings file could not be read.
    Ask(String),
    /// The client would surely have run it without asking.
    Allow(String),
    /// Nothing says: let the client's own flow decide.
    Undecided,
}

/// One `Bash(...)`-style rule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// `Bash`, `Bash(*)`, `*`: every Bash call.
    Any,
    /// `Bash(param:value)` on another field of the input (`run_in_background:true`).
    Param(String, String),
    /// A command pattern: `*` is any text; a trailing ` *` (or `:*`) also matches nothing.
    Command(String),
}

#[derive(Debug, Clone)]
struct Entry {
    rule: Rule,
    text: String,
    file: PathBuf,
}

/// The Bash rules of every settings file that applies.
#[derive(Debug, Clone, Default)]
pub struct ClientRules {
    deny: Vec<Entry>,
    ask: Vec<Entry>,
    allow: Vec<Entry>,
    /// A settings file that exists but is not readable JSON.
    broken: Vec<String>,
}

/// Parameters of the Bash tool that a `Bash(param:value)` rule may name.
const PARAMS: &[&str] = &[
    "run_in_background",
    "timeout",
    "description",
    "dangerouslyDisableSandbox",
];

fn parse_rule(text: &str) -> Option<Rule> {
    let t = text.trim();
    if t == "*" || t == "Bash" {
        return Some(Rule::Any);
    }
    // A tool-name glob in deny/ask (`Ba*`): treat as every Bash call when it matches "Bash".
    if !t.contains('(') {
        return crate::wildcard::matches(t, "Bash").then_some(Rule::Any);
    }
    let inner = t.strip_prefix("Bash(")?.strip_suffix(')')?;
    if inner.trim() == "*" || inner.trim().is_empty() {
        return Some(Rule::Any);
    }
    if let Some((p, v)) = inner.split_once(':') {
        if PARAMS.contains(&p) {
            return Some(Rule::Param(p.to_string(), v.to_string()));
        }
    }
    let pat = match inner.strip_suffix(":*") {
        Some(prefix) => format!("{prefix} *"),
        None => inner.to_string(),
    };
    Some(Rule::Command(pat))
}

/// Whether `pat` matches the simple command `cmd` (the client's Bash rule matching).
fn pattern_matches(pat: &str, cmd: &str) -> bool {
    if let Some(prefix) = pat.strip_suffix(" *") {
        if !prefix.contains('*') {
            return cmd == prefix || cmd.starts_with(&format!("{prefix} "));
        }
        if glob(prefix, cmd) {
            return true;
        }
    }
    glob(pat, cmd)
}

/// `*` matches any text (spaces included); everything else literally.
fn glob(pat: &str, text: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return pat == text;
    };
    if parts.len() == 1 {
        return pat == text;
    }
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = text.get(first.len()..text.len() - last.len()).unwrap_or("");
    for mid in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest.find(mid) {
            Some(i) => rest = rest.get(i + mid.len()..).unwrap_or(""),
            None => return false,
        }
    }
    true
}

/// Split a command line into its simple commands on `&&`, `||`, `;`, `|`, `|&`, `&` and
/// newlines outside quotes. `None` when quoting does not close (treated as unknown).
pub fn split_commands(command: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = command.chars().peekable();
    let (mut single, mut double) = (false, false);
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        if single {
            cur.push(c);
            if c == '\'' {
                single = false;
            }
            continue;
        }
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '\'' if !double => {
                single = true;
                cur.push(c);
            }
            '"' => {
                double = !double;
                cur.push(c);
            }
            '(' if !double => {
                depth += 1;
                cur.push(c);
            }
            ')' if !double => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ';' | '\n' | '&' | '|' if !double && depth == 0 => {
                let doubled = matches!(c, '&' | '|') && chars.peek() == Some(&c);
                if doubled || (c == '|' && chars.peek() == Some(&'&')) {
                    chars.next();
                } else if c == '&' && chars.peek() == Some(&'>') {
                    // `&>` is a redirection, not a separator.
                    cur.push(c);
                    continue;
                }
                if cur.ends_with('>') || cur.ends_with('<') {
                    // `>&2`, `2>&1`, `<&0`: redirections.
                    cur.push(c);
                    continue;
                }
                out.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    if single || double {
        return None;
    }
    out.push(cur);
    Some(
        out.into_iter()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Leading `VAR=value` words and the wrappers the client strips before matching.
fn strip_wrappers(cmd: &str) -> String {
    let mut words: Vec<&str> = cmd.split(' ').collect();
    while let Some(first) = words.first().copied() {
        let is_assign = first.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_assign {
            words.remove(0);
            continue;
        }
        match first {
            "time" | "nohup" | "command" | "builtin" | "noglob" => {
                words.remove(0);
            }
            "timeout" | "nice" | "stdbuf" | "xargs" => {
                words.remove(0);
                // Their options and, for timeout, the duration.
                while words.first().is_some_and(|w| w.starts_with('-')) {
                    let w = words.remove(0);
                    if matches!(w, "-n" | "-s" | "-k" | "-o" | "-e" | "-i") && !words.is_empty() {
                        words.remove(0);
                    }
                }
                if first == "timeout" && !words.is_empty() {
                    words.remove(0);
                }
            }
            _ => break,
        }
    }
    words.join(" ")
}

/// Commands the client approves by itself as read-only (a conservative subset: anything with
/// a redirection, a substitution or an unknown option is not counted).
fn read_only(cmd: &str) -> bool {
    if cmd.contains(['>', '<', '`', '$', '(', ')', '{', '}']) {
        return false;
    }
    let mut w = cmd.split(' ');
    let Some(prog) = w.next() else { return false };
    let rest: Vec<&str> = w.collect();
    match prog {
        "ls" | "pwd" | "echo" | "cat" | "head" | "tail" | "wc" | "grep" | "rg" | "which"
        | "whoami" | "date" | "true" | "false" | "stat" | "file" | "tree" | "du" | "df"
        | "uname" | "id" | "basename" | "dirname" | "realpath" => true,
        "git" => {
            matches!(
                rest.first().copied(),
                Some("status" | "log" | "diff" | "show" | "rev-parse" | "ls-files" | "blame")
            ) && !rest
                .iter()
                .any(|a| a.starts_with("--output") || *a == "-o" || a.starts_with("--ext-diff"))
        }
        _ => false,
    }
}

fn settings_files(home: Option<&Path>, project: &Path) -> Vec<(PathBuf, bool)> {
    // (file, its allow rules count)
    let mut v = vec![(
        PathBuf::from("/etc/claude-code/managed-settings.json"),
        true,
    )];
    if let Some(h) = home {
        v.push((h.join(".claude/settings.json"), true));
    }
    v.push((project.join(".claude/settings.json"), false));
    v.push((project.join(".claude/settings.local.json"), true));
    v
}

impl ClientRules {
    /// Read the settings files that apply to a session in `project`.
    pub fn load(home: Option<&Path>, project: &Path) -> ClientRules {
        let mut rules = ClientRules::default();
        for (file, allow_counts) in settings_files(home, project) {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    rules.broken.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => rules.add(&file, &v, allow_counts),
                Err(e) => rules.broken.push(format!("{}: {e}", file.display())),
            }
        }
        rules
    }

    fn add(&mut self, file: &Path, v: &Value, allow_counts: bool) {
        let list = |key: &str| -> Vec<Entry> {
            v.pointer(&format!("/permissions/{key}"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter_map(|t| {
                            parse_rule(t).map(|rule| Entry {
                                rule,
                                text: t.to_string(),
                                file: file.to_path_buf(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        self.deny.extend(list("deny"));
        self.ask.extend(list("ask"));
        if allow_counts {
            self.allow.extend(list("allow"));
        }
    }

    fn matches(e: &Entry, cmds: &[String], call: &ToolUse<'_>) -> bool {
        match &e.rule {
            Rule::Any => true,
            Rule::Param(p, v) => call.args.field_is(p, v),
            Rule::Command(pat) => cmds.iter().any(|c| pattern_matches(pat, c)),
        }
    }

    /// The verdict for a Bash call in this permission mode.
    pub fn verdict(&self, call: &ToolUse<'_>, permission_mode: Option<&str>) -> ClientVerdict {
        let command = match &call.call {
            ToolCall::Bash { command, .. } => command.unwrap_or(""),
            _ => "",
        };
        let Some(cmds) = split_commands(command) else {
            return ClientVerdict::Ask("the command's quoting does not close".into());
        };
        let cmds: Vec<String> = cmds.iter().map(|c| strip_wrappers(c)).collect();
        let say = |e: &Entry| format!("`{}` in {}", e.text, e.file.display());
        if let Some(e) = self.deny.iter().find(|e| Self::matches(e, &cmds, call)) {
            return ClientVerdict::Deny(say(e));
        }
        if let Some(b) = self.broken.first() {
            return ClientVerdict::Ask(format!(
                "a Claude Code settings file could not be read ({b}), so its permission rules cannot be applied"
            ));
        }
        if let Some(e) = self.ask.iter().find(|e| Self::matches(e, &cmds, call)) {
            return ClientVerdict::Ask(say(e));
        }
        if permission_mode == Some("bypassPermissions") {
            return ClientVerdict::Allow("permission mode bypassPermissions".into());
        }
        let allowed = |c: &String| {
            read_only(c)
                || self.allow.iter().any(|e| match &e.rule {
                    Rule::Any => true,
                    Rule::Command(p) => pattern_matches(p, c),
                    Rule::Param(..) => false,
                })
        };
        if !cmds.is_empty() && cmds.iter().all(allowed) {
            return ClientVerdict::Allow("an allow rule or a read-only command".into());
        }
        ClientVerdict::Undecided
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use serde_json::json;

    fn rules(deny: &[&str], ask: &[&str], allow: &[&str]) -> ClientRules {
        let mut r = ClientRules::default();
        r.add(
            Path::new("/u/settings.json"),
            &json!({"permissions": {"deny": deny, "ask": ask, "allow": allow}}),
            true,
        );
        r
    }

    /// A Bash call with `input`, read as the hook reads it.
    fn bash(input: Value) -> crate::input::Json {
        crate::input::Json::from(input)
    }

    fn v(r: &ClientRules, command: &str) -> &'static str {
        let input = bash(json!({"command": command}));
        match r.verdict(&ToolUse::of("Bash", &input).unwrap(), Some("default")) {
            ClientVerdict::Deny(_) => "deny",
            ClientVerdict::Ask(_) => "ask",
            ClientVerdict::Allow(_) => "allow",
            ClientVerdict::Undecided => "none",
        }
    }

    #[test]
    fn rule_table() {
        let r = rules(
            &["Bash(git push:*)", "Bash(rm -rf *)", "Bash(curl*)"],
            &["Bash(npm publish)", "Bash(docker *)"],
            &["Bash(cargo test:*)", "Bash(make *)"],
        );
        let table = [
            ("git push origin main", "deny"),
            ("git push", "deny"),
            ("git pushx", "none"),
            ("echo hi && git push -f", "deny"),
            ("ls | git push", "deny"),
            ("FOO=1 git push", "deny"),
            ("timeout 10 git push", "deny"),
            ("nohup git push", "deny"),
            ("rm -rf /tmp/x", "deny"),
            ("curlx", "deny"),
            ("npm publish", "ask"),
            ("npm publish --dry-run", "none"),
            ("docker ps", "ask"),
            ("cargo test --lib", "allow"),
            ("cargo test && make all", "allow"),
            ("cargo test && touch x", "none"),
            ("ls -la", "allow"),
            ("git status && git log", "allow"),
            ("cat x > y", "none"),
            ("echo $(id)", "none"),
            ("touch x", "none"),
            ("echo 'a;git push'", "allow"),
            ("echo 'unterminated", "ask"),
            ("make all 2>&1 | tail", "allow"),
        ];
        for (cmd, want) in table {
            assert_eq!(v(&r, cmd), want, "{cmd}");
        }
    }

    #[test]
    fn bare_and_param_rules() {
        assert_eq!(v(&rules(&["Bash"], &[], &[]), "ls"), "deny");
        assert_eq!(v(&rules(&[], &["Bash(*)"], &[]), "ls"), "ask");
        assert_eq!(v(&rules(&["*"], &[], &[]), "ls"), "deny");
        let r = rules(&["Bash(run_in_background:true)"], &[], &[]);
        let input = bash(json!({"command": "sleep 1", "run_in_background": true}));
        assert!(matches!(
            r.verdict(&ToolUse::of("Bash", &input).unwrap(), None),
            ClientVerdict::Deny(_)
        ));
        let allow_all = rules(&[], &[], &["Bash"]);
        assert_eq!(v(&allow_all, "rm -rf x"), "allow");
        let bypass = ClientRules::default();
        let input = bash(json!({"command": "touch x"}));
        assert!(matches!(
            bypass.verdict(
                &ToolUse::of("Bash", &input).unwrap(),
                Some("bypassPermissions")
            ),
            ClientVerdict::Allow(_)
        ));
    }

    #[test]
    fn files_are_read_and_a_broken_one_fails_closed() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let project = t.path().join("proj");
        std::fs::create_dir_all(home.join(".claude")).unwrap();
        std::fs::create_dir_all(project.join(".claude")).unwrap();
        std::fs::write(
            home.join(".claude/settings.json"),
            r#"{"permissions":{"deny":["Bash(git push:*)"]}}"#,
        )
        .unwrap();
        // The project's shared allow rules do not count; its deny and ask rules do.
        std::fs::write(
            project.join(".claude/settings.json"),
            r#"{"permissions":{"allow":["Bash"],"ask":["Bash(npm *)"]}}"#,
        )
        .unwrap();
        let r = ClientRules::load(Some(&home), &project);
        assert_eq!(v(&r, "git push"), "deny");
        assert_eq!(v(&r, "npm i"), "ask");
        assert_eq!(v(&r, "touch x"), "none");
        std::fs::write(project.join(".claude/settings.local.json"), "{not json").unwrap();
        let r = ClientRules::load(Some(&home), &project);
        assert_eq!(v(&r, "touch x"), "ask");
        // A deny still wins over the broken file's ask.
        assert_eq!(v(&r, "git push"), "deny");
    }
}
