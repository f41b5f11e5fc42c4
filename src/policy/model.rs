//! The compiled policy the engine reads: [`Policy`], its [`Profile`]s and [`Rule`]s, roots,
//! network and secret settings. Every value keeps the [`Loc`] it was set at.
//!
//! What belongs here: the types and the questions they answer about themselves (does a rule
//! apply to a tool, does a root contain a path). What does not: how they are built
//! (`compile`), selected (`select`) or stored in the cache (`repr`).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;
use serde::{Deserialize, Serialize};

use super::globs::{PathGlobs, PathProbe};
use super::raw::{Access, OnAllow, TaintOn};
use super::repr::{RootsRepr, WhenRepr};
use super::rules;
use super::LayerKind;
use crate::decision::{Decision, Loc, Verdict};
use crate::paths;
use crate::wildcard;

/// A value and the place it was set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Val<T> {
    pub value: T,
    pub loc: Loc,
}

/// Directories a profile may read or write below.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "RootsRepr", from = "RootsRepr")]
pub struct Roots {
    /// As written, for messages.
    pub written: Vec<String>,
    /// Expanded and lexically normalised.
    pub(super) lexical: Vec<PathBuf>,
    /// Each root in its lexical and its symlink-resolved spelling.
    pub dirs: Vec<PathBuf>,
    pub loc: Loc,
}

impl Roots {
    pub fn contains(&self, path: &Path) -> bool {
        self.dirs.iter().any(|d| paths::is_within(path, d))
    }

    /// Each root in its lexical spelling and, when a symlink makes it differ, its real one.
    pub(super) fn with_real(lexical: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for lexical in lexical {
            let resolved = paths::resolve(&lexical);
            if resolved != lexical {
                dirs.push(resolved);
            }
            dirs.push(lexical);
        }
        dirs
    }
}

/// Conditions selecting a profile.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(try_from = "WhenRepr", into = "WhenRepr")]
pub struct When {
    pub agent_type: Option<Vec<String>>,
    pub subagent: Option<bool>,
    pub cwd: Option<GlobSet>,
    /// `cwd`'s patterns, expanded, for the compiled-policy cache.
    pub(super) cwd_globs: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
}

/// A compiled profile.
#[derive(Debug, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub loc: Loc,
    pub when: When,
    /// `None` only for project profiles that do not restrict tools.
    pub allow_tools: Option<Val<Vec<String>>>,
    pub ask_tools: Option<Val<Vec<String>>>,
    pub read_roots: Option<Roots>,
    pub write_roots: Option<Roots>,
    pub allow_programs: Option<Val<Vec<String>>>,
    /// `[profiles.X.sandbox]`: this profile's sandbox overrides (trusted profiles only).
    pub sandbox: Option<crate::policy::sandbox_settings::ProfileSandbox>,
    /// Defined by the project layer: only ever adds restrictions.
    pub project: bool,
    /// Every key declared in `keys`' profile table (see [`Profile::keys`]); stored without the
    /// values the fields above hold (`ProfileKeys::without_views`).
    #[serde(serialize_with = "super::repr::profile_record_without_views")]
    pub keys: LazyRecord<super::keys::ProfileKeys>,
}

impl Profile {
    /// Every key declared in `keys`' profile table, with where it was set: what the profile
    /// sets, else (a trusted profile) what `main` sets. The fields above are the compiled
    /// views the judge reads of the keys that have one (roots also fall back to `[paths]`).
    /// `None` only when a cache entry's record does not decode: the caller fails closed.
    pub fn keys(&self) -> Option<&super::keys::ProfileKeys> {
        self.keys.get_with(|k| k.put_views(self))
    }
}

/// The profile keys a field of [`Profile`] holds as they are (the tool and program lists), read
/// by the judge without decoding the record. `compile` sets each field from the record; the
/// field is the one stored copy:
/// the record goes into the compiled-policy cache without them
/// ([`ProfileKeys::without_views`]) and gets them back when it is decoded ([`Profile::keys`]).
impl super::keys::ProfileKeys {
    /// Each view from the profile's field.
    fn put_views(&mut self, p: &Profile) {
        self.allow_tools = p.allow_tools.clone();
        self.ask_tools = p.ask_tools.clone();
        self.allow_programs = p.allow_programs.clone();
    }

    /// The record as the cache stores it: without the views.
    pub(super) fn without_views(&self) -> super::keys::ProfileKeys {
        super::keys::ProfileKeys {
            allow_tools: None,
            ask_tools: None,
            allow_programs: None,
            ..self.clone()
        }
    }
}

/// A compiled rule.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rule {
    pub id: Arc<str>,
    pub decision: Decision,
    pub reason: String,
    pub loc: Loc,
    pub profiles: Option<Vec<String>>,
    pub tools: Option<Vec<String>>,
    pub paths: Option<PathGlobs>,
    pub except: Option<PathGlobs>,
    pub access: Access,
    pub hosts: Option<Vec<String>>,
    /// Syntax-checked at load, compiled on first use.
    pub input_regex: Option<crate::pattern::LazyRegex>,
    /// `command`, compiled: any pattern matching is a match.
    pub command_patterns: Option<Vec<crate::pattern::CommandPattern>>,
    pub project: bool,
}

impl Rule {
    pub fn applies_to(&self, profile: &str, tool: &str) -> bool {
        self.profiles
            .as_ref()
            .is_none_or(|p| wildcard::any(p, profile))
            && self.tools.as_ref().is_none_or(|t| wildcard::any(t, tool))
    }

    /// The literal absolute directories the rule's path patterns start with (`~/.ssh/**` →
    /// `/home/u/.ssh`), for spotting a recursive search that would cover them.
    pub fn literal_dirs(&self) -> impl Iterator<Item = &Path> {
        self.paths
            .iter()
            .flat_map(|globs| globs.patterns())
            .filter(|p| p.starts_with('/'))
            .map(|p| {
                let cut = p.find(['*', '?', '[', '{']).unwrap_or(p.len());
                let head = p.get(..cut).unwrap_or("");
                let head = if cut < p.len() {
                    head.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
                } else {
                    head
                };
                Path::new(head)
            })
            .filter(|d| d.as_os_str().len() > 1)
    }

    /// Whether one of [`Rule::literal_dirs`] lies strictly below `root`: a recursive search
    /// rooted there reads what the rule protects.
    pub fn has_literal_dir_below(&self, root: &Path) -> bool {
        self.literal_dirs()
            .any(|d| d.starts_with(root) && d != root)
    }

    /// Whether the path condition holds for `path` accessed as `access`.
    pub fn matches_path(&self, path: &Path, access: Access) -> bool {
        self.matches_probe(&PathProbe::new(path), access)
    }

    /// [`Rule::matches_path`] for a path prepared once for many rules.
    pub fn matches_probe(&self, probe: &PathProbe, access: Access) -> bool {
        let Some(globs) = &self.paths else {
            return false;
        };
        let access_ok = match (self.access, access) {
            (Access::Any, _) | (_, Access::Any) => true,
            (a, b) => a == b,
        };
        access_ok && globs.matches(probe) && !self.except.as_ref().is_some_and(|e| e.matches(probe))
    }
}

/// The network allowlist (hosts are lower-case globs).
#[derive(Debug, Serialize, Deserialize)]
pub struct Network {
    pub allow_hosts: Option<Val<Vec<String>>>,
    pub unlisted: Val<Decision>,
    /// A project layer's list: a host must be on both.
    pub project_hosts: Option<Val<Vec<String>>>,
    /// Hosts the sandbox's egress proxy still reaches while the session is tainted (trusted
    /// layers only; default none).
    #[serde(default)]
    pub trusted_when_tainted: Vec<String>,
}

/// Secret handling switches (the detector lives in `crate::secrets`).
#[derive(Debug)]
pub struct SecretsSettings {
    pub scan_prompts: bool,
    pub tool_input: Val<Decision>,
    pub extra_rules: Vec<Val<crate::secrets::CustomRule>>,
    /// The built-in detector plus `extra_rules`, built at load (so a bad rule is an error at
    /// its line) and only when there are extra rules.
    pub custom_detector: Option<crate::secrets::Detector>,
}

impl SecretsSettings {
    /// The detector this policy uses.
    pub fn detector(&self) -> &crate::secrets::Detector {
        self.custom_detector
            .as_ref()
            .unwrap_or_else(|| crate::secrets::builtin())
    }
}

/// The merged, validated and compiled policy.
///
/// The order of the fields is the order of the compiled-policy cache's encoding, and its first
/// four are [`PostSettings`], in that struct's order: a call after a tool ran decodes only
/// them (`policy::cache::decode_post`), not the profiles a PreToolUse judges with.
#[derive(Debug, Serialize, Deserialize)]
pub struct Policy {
    pub audit_log: Option<PathBuf>,
    pub secrets: SecretsSettings,
    /// Which external content taints the session (`[untrusted] taint`).
    pub taint_on: TaintOn,
    /// `[[secrets.inject]]` (trusted layers only), later layers replacing earlier entries of
    /// the same name.
    #[serde(default)]
    pub inject: Vec<Injection>,
    pub on_allow: OnAllow,
    pub read_roots: Option<Roots>,
    pub write_roots: Option<Roots>,
    pub project_read_roots: Option<Roots>,
    pub project_write_roots: Option<Roots>,
    pub network: Network,
    /// Trusted profiles; `main` is first.
    pub profiles: Vec<Profile>,
    pub project_profiles: Vec<Profile>,
    /// `[sandbox]`, merged over the layers.
    pub sandbox: crate::policy::sandbox_settings::SandboxPolicy,
    /// `[builtins]`: how the policy tunes the built-in verdicts, by id (see `crate::builtins`).
    pub builtins: BTreeMap<String, BuiltinTuning>,
    /// Kept apart in the compiled-policy cache (its own section, decoded rule by rule).
    #[serde(skip)]
    pub rules: rules::RuleSet,
    /// The layers that were read, lowest first.
    pub layers: Vec<(LayerKind, Arc<str>)>,
    /// Every key declared in `keys`, as merged (see [`Policy::keys`]); stored without the
    /// values the fields above hold (`Keys::without_views`).
    #[serde(serialize_with = "super::repr::record_without_views")]
    pub keys: LazyRecord<super::keys::Keys>,
}

/// What PostToolUse, PostToolUseFailure and UserPromptSubmit read of the policy: the first
/// fields of [`Policy`], same names, types and order (so the cache's encoding of a policy
/// starts with the encoding of these; a test holds the two together).
#[derive(Debug, Deserialize)]
pub struct PostSettings {
    pub audit_log: Option<PathBuf>,
    pub secrets: SecretsSettings,
    pub taint_on: TaintOn,
    pub inject: Vec<Injection>,
}

impl From<Policy> for PostSettings {
    fn from(p: Policy) -> PostSettings {
        PostSettings {
            audit_log: p.audit_log,
            secrets: p.secrets,
            taint_on: p.taint_on,
            inject: p.inject,
        }
    }
}

impl Policy {
    /// Every key declared in `keys`, as merged: the value in force (or its default), where it
    /// was set, and a project's value kept beside it. The fields of `Policy` are the compiled
    /// views the judge reads of keys whose value needs compiling (roots, hosts, decisions, the
    /// sandbox's settings); a key without one is read here (`keys.<section>.<key>.value`).
    ///
    /// `None` only when a compiled-policy cache entry's record does not decode (never one
    /// blastwall wrote): the caller fails closed.
    pub fn keys(&self) -> Option<&super::keys::Keys> {
        self.keys.get_with(|k| k.put_views(self))
    }
}

/// The keys whose value in force a field of [`Policy`] holds, so that a call reads it without
/// decoding the record: `settings.on_allow` (every PreToolUse), `secrets.scan_prompts` and
/// `untrusted.taint` (in [`PostSettings`], all a call after a tool ran decodes). `compile`
/// sets each field from the record; the field is the value's one stored copy: the record
/// goes into the compiled-policy cache with the declared default in its place
/// ([`Keys::without_views`]) and gets it back when it is decoded ([`Policy::keys`]). Where
/// each was set, and a project's value, stay in the record.
impl super::keys::Keys {
    /// Each view's value from the policy's field.
    fn put_views(&mut self, p: &Policy) {
        self.settings.on_allow.value = p.on_allow;
        self.secrets.scan_prompts.value = p.secrets.scan_prompts;
        self.untrusted.taint.value = p.taint_on;
    }

    /// The record as the cache stores it: each view's value at the declared default.
    pub(super) fn without_views(&self) -> super::keys::Keys {
        let default = super::keys::Keys::default();
        let mut k = self.clone();
        k.settings.on_allow.value = default.settings.on_allow.value;
        k.secrets.scan_prompts.value = default.secrets.scan_prompts.value;
        k.untrusted.taint.value = default.untrusted.taint.value;
        k
    }
}

/// Where [`Policy::keys`] and [`Profile::keys`] live: compiled in this process, or read from
/// the compiled-policy cache and decoded on first use. Most calls never read them, and
/// decoding the policy's (the host and root lists again) was 5 % of a cached call.
pub struct LazyRecord<T> {
    pub(super) value: std::sync::OnceLock<Option<T>>,
    /// The record as stored in the cache (empty when compiled in this process).
    pub(super) encoded: Vec<u8>,
}

/// Opaque: reading the record here would decode it without the values its owner gives it
/// (`Policy::keys`), and a record compiled in this process and one read from the cache must
/// print alike. The owner's `keys()` shows it.
impl<T> std::fmt::Debug for LazyRecord<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LazyRecord(..)")
    }
}

impl<T: serde::de::DeserializeOwned> LazyRecord<T> {
    /// A record compiled in this process.
    pub(super) fn new(value: T) -> LazyRecord<T> {
        LazyRecord {
            value: std::sync::OnceLock::from(Some(value)),
            encoded: Vec::new(),
        }
    }

    /// The record, decoded on first use, `fill` given it when it is decoded (the values kept
    /// out of its encoding: see [`Policy::keys`]); `None` when it does not decode. Only its
    /// owner's `keys()` reads it, so the record is always filled the same way.
    pub(super) fn get_with(&self, fill: impl FnOnce(&mut T)) -> Option<&T> {
        self.value
            .get_or_init(|| {
                let mut record = postcard::from_bytes(&self.encoded).ok()?;
                fill(&mut record);
                Some(record)
            })
            .as_ref()
    }
}

impl Policy {
    /// The sandbox settings for a call judged under `profiles` (the first is the one whose
    /// overrides apply); a network allowlist takes its hosts from `[network] allow_hosts`.
    pub fn sandbox_for(
        &self,
        profiles: &[String],
    ) -> crate::policy::sandbox_settings::SandboxSettings {
        let over = profiles
            .first()
            .and_then(|name| self.profiles.iter().find(|p| &p.name == name))
            .and_then(|p| p.sandbox.as_ref());
        let hosts = self
            .network
            .allow_hosts
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default();
        self.sandbox.for_profile(over, &hosts)
    }
}

// `[[secrets.inject]]`: credentials given back at the tool boundary. The rule that decides
// which call gets which entry is `crate::egress::credentials`; these are the policy's plain
// types, so the compiled policy (and its cache) can hold them.

/// Where an injected value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueSource {
    /// `env:VAR`: the hook's (the client's) environment.
    Env(String),
    /// `file:PATH`: a file the agent cannot read (keep it outside every sandbox's view).
    File(PathBuf),
    /// `command = [argv]`: a program run by blastwall outside the sandbox (`gh auth token`);
    /// its stdout, trailing newline removed.
    Command(Vec<String>),
}

/// One `[[secrets.inject]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Injection {
    /// The variable set inside the sandbox (`GH_TOKEN`).
    pub name: String,
    /// Where the value comes from.
    pub from: ValueSource,
    /// Programs that may receive it: `gh`, or a program with leading words (`npm publish`).
    pub programs: Vec<String>,
    /// Profiles it applies to (empty: every profile).
    pub profiles: Vec<String>,
}

/// Variable names an injection may not set (they change what runs, not what it may access).
pub fn forbidden_name(name: &str) -> Option<&'static str> {
    let valid = name
        .bytes()
        .enumerate()
        .all(|(i, b)| b == b'_' || b.is_ascii_uppercase() || (i > 0 && b.is_ascii_digit()));
    if name.is_empty() || !valid {
        return Some("not an upper-case environment variable name");
    }
    let risky = [
        "PATH",
        "HOME",
        "SHELL",
        "ENV",
        "BASH_ENV",
        "IFS",
        "PS4",
        "SHELLOPTS",
        "BASHOPTS",
        "PROMPT_COMMAND",
        "GIT_SSH_COMMAND",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "GIT_PAGER",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_EXEC_PATH",
        "GIT_DIR",
        "NODE_OPTIONS",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PERL5OPT",
        "RUBYOPT",
    ];
    if risky.contains(&name)
        || name.starts_with("LD_")
        || name.starts_with("DYLD_")
        || name.starts_with("BASH_FUNC_")
        || name.starts_with("BLASTWALL")
        || name.ends_with("_PROXY")
    {
        return Some("a variable that changes what runs or where it connects");
    }
    None
}

/// One built-in's settings: the trusted layers' (replaces the coded decision) and the
/// project's (can only raise it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuiltinTuning {
    pub trusted: Option<Val<crate::builtins::Setting>>,
    pub project: Option<Val<crate::builtins::Setting>>,
}

impl Policy {
    /// Apply `[builtins]` to a verdict: each finding of a built-in (a registry id, no policy
    /// location) gets the tuned decision and cites where it was tuned, or is dropped when a
    /// trusted layer switched it off. Findings of policy rules are untouched.
    pub fn tune_builtins(&self, verdict: &mut Verdict) {
        if self.builtins.is_empty() {
            return;
        }
        verdict.findings.retain_mut(|f| {
            if f.loc.is_some() {
                return true;
            }
            let Some(t) = self.builtins.get(f.rule.as_ref()) else {
                return true;
            };
            let trusted = t.trusted.as_ref().map(|v| v.value);
            let project = t.project.as_ref().map(|v| v.value);
            match crate::builtins::tuned(f.decision, trusted, project) {
                None => false,
                Some(d) => {
                    // Cite the setting that decided: the project's when it raised the decision
                    // past the trusted one, else the trusted one (if any).
                    let trusted_only = crate::builtins::tuned(f.decision, trusted, None);
                    let setting = if trusted_only == Some(d) {
                        &t.trusted
                    } else {
                        &t.project
                    };
                    if let Some(v) = setting {
                        f.loc = Some(v.loc.clone());
                    }
                    f.decision = d;
                    true
                }
            }
        });
    }
}
