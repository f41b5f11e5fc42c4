//! Phase one of policy loading: the TOML file as written, with spans, and nothing else.
//!
//! These structs mirror `hooks.toml.example` key for key; the top-level table (`RawPolicy`)
//! and the sections of plain keys (`[settings]`, `[network]`, …) are generated from the table
//! in `keys`. Unknown keys are errors
//! (`deny_unknown_fields`) so a typo never silently weakens a policy. Nothing here is
//! validated or compiled: that is [`super::compile`]'s job, which turns spans into file:line.
use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The top-level table and the sections of plain keys are generated from the table in `keys`.
pub use super::keys::{
    RawNetwork, RawPaths, RawPolicy, RawProfile, RawSandbox, RawSecrets, RawSettings, RawUntrusted,
};

/// What to answer when nothing in the policy objects to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnAllow {
    /// `pass`: print nothing, so Claude Code's own permission rules and prompts decide (the
    /// default). `none` is the older spelling, still read.
    None,
    /// Answer `"allow"`: auto-approve, fewer prompts for unattended parallel agents.
    Allow,
}

/// As its word, in TOML and in the compiled-policy cache alike.
impl serde::Serialize for OnAllow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            OnAllow::None => "pass",
            OnAllow::Allow => "allow",
        })
    }
}

/// By hand so that errors name only today's words (`pass`, `allow`), while `none` still reads.
impl<'de> Deserialize<'de> for OnAllow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<OnAllow, D::Error> {
        let word = String::deserialize(d)?;
        match word.as_str() {
            "pass" | "none" => Ok(OnAllow::None),
            "allow" => Ok(OnAllow::Allow),
            other => Err(serde::de::Error::unknown_variant(other, &["pass", "allow"])),
        }
    }
}

/// One `[[secrets.inject]]` entry as written: exactly one of `env`, `file`, `command`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawInject {
    /// The variable set inside the sandbox.
    pub name: Spanned<String>,
    /// The value is this variable of the hook's (the client's) environment.
    pub env: Option<Spanned<String>>,
    /// The value is this file's content (a file the agent cannot read).
    pub file: Option<Spanned<String>>,
    /// The value is this program's output, run by blastwall outside the sandbox.
    pub command: Option<Spanned<Vec<String>>>,
    /// Programs (with optional leading words: `npm publish`) that may receive it.
    pub programs: Spanned<Vec<String>>,
    /// Profiles it applies to (default: every profile).
    pub profiles: Option<Vec<String>>,
}

/// Which external content taints the session (after which outbound actions are asked).
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TaintOn {
    /// Only content the injection detector flags (the default).
    Flagged,
    /// Any external content, flagged or not: "read the web, then no egress without a human".
    Any,
}

/// `sandbox.network` as written (`allowlist` takes its hosts from `[network] allow_hosts`).
#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SandboxNetwork {
    None,
    Host,
    Allowlist,
}

/// Conditions that select a profile; every condition given must hold.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// Globs over the event's `agent_type` (subagents, or a session run with `--agent`).
    pub agent_type: Option<Vec<String>>,
    /// `true`: only inside a subagent (the event has `agent_id`); `false`: only the main agent.
    pub subagent: Option<bool>,
    /// Globs over the working directory (the event's `cwd`): parallel agents in worktrees.
    pub cwd: Option<Vec<String>>,
    /// Environment variables of the hook process (set when the agent was launched) and globs
    /// their values must match.
    pub env: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RuleDecision {
    Deny,
    Ask,
}

#[derive(Debug, Deserialize, serde::Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
    Any,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub decision: Spanned<RuleDecision>,
    pub reason: Spanned<String>,
    /// `false` switches off an inherited rule of the same id (trusted layers only).
    pub enabled: Option<bool>,
    /// Profiles the rule applies to (globs); all profiles when absent.
    pub profiles: Option<Vec<String>>,
    /// Tool names (globs); any tool when absent.
    pub tools: Option<Vec<String>>,
    /// Path globs matched against every path the call reads and/or writes.
    pub paths: Option<Spanned<Vec<String>>>,
    /// Path globs that exempt a path matched by `paths` (`.env.example`).
    pub except: Option<Spanned<Vec<String>>>,
    /// Which accesses `paths` applies to (default `any`).
    pub access: Option<Spanned<Access>>,
    /// Host globs matched against every host the call contacts.
    pub hosts: Option<Vec<String>>,
    /// A regex matched against every string in the tool input.
    pub input_regex: Option<Spanned<String>>,
    /// A structured Bash command pattern (see the Bash section of `hooks.toml.example`).
    pub command: Option<Spanned<toml::Value>>,
}
