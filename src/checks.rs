//! The checks a call's parts meet whatever tool made them: path scope and path rules
//! ([`Judge::check_path`]), the network allowlist and host rules ([`Judge::check_host`]), live
//! credentials in a file about to be read, and the taint of a session.
//!
//! What belongs here: checks on one path, one host or the session, shared by the tool judge
//! (`crate::engine`) and the Bash judge (`crate::bash`), so a path written by `>` and a path
//! written by the Write tool meet the same rules. What does not: working out which paths and
//! hosts a call touches (the engine for tool inputs, the Bash judge for commands), and the
//! order in which a call's checks run (`crate::engine`). Both judges depend on this module and
//! neither on the other through it.
use std::path::{Path, PathBuf};

use crate::decision::{Decision, Finding, Verdict};
use crate::paths::PathEnv;
use crate::policy::rules::Kind;
use crate::policy::{Access, PathProbe, Policy, Profile, Roots};
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
        // `Kind::Path` rules have paths as their only condition (the kind is decided once, at
        // compile time, by `Kind::of`); rules that combine paths with hosts or a regex are
        // `Kind::Other`, checked once per call by the engine.
        for rule in self
            .policy
            .rules
            .reachable(&[Kind::Path], tool)
            .filter(|r| r.paths.is_some() && r.applies_to(&profile.name, tool))
        {
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
            // `Kind::Host`: hosts are the rule's only condition.
            if let Some(hosts) = &rule.hosts {
                if wildcard::any(hosts, &host) {
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

/// `s` cut to at most `max` bytes on a character boundary, with `…` when cut.
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
