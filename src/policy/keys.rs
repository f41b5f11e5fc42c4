//! Every policy key, declared once: its TOML type, its default, how it combines across the
//! trusted layers and from the project layer, and its documentation.
//!
//! One entry here gives a key its raw field (with its span, unknown keys refused), its row in
//! [`LAYERING`], its merge for both tiers, its compiled value in `Policy::keys` (the value in
//! force or the default, where it was set, a project's value kept beside it), its place in
//! the compiled-policy cache and in the cache key (`SCHEMA`); `declare` says what an entry
//! expands to. A new key is one entry here plus its documentation in `hooks.toml.example`;
//! the judge reads it as `policy.keys()?.<section>.<key>.value` (`None` fails closed: see
//! `Policy::keys`); a value a call must read without decoding the record is a field of
//! `Policy` set from it, stored once (see `Keys::put_views` in `model`). The tests in
//! `keys/tests.rs` check every entry is documented, merged as
//! its layering says for both tiers, refused with `file:line:col` where refused, and
//! round-trips through the cache.
//!
//! The layering of an entry, for `trusted` and for `project`:
//! - `Override`: the layer's value replaces the one below (trusted layers only);
//! - `Tighten(&[loosest, …, strictest])`: kept only when it is stricter than the value so far
//!   (spelled as in TOML; a value the ordering lacks never tightens);
//! - `Intersect`: a project's value is kept beside the trusted one (`Merged::project`) and a
//!   call must pass both: the key's consumer reads both;
//! - `Refused("message")`: setting the key in that layer is an error at the value's
//!   `file:line:col`.
//!
//! A project layer may only tighten: its column is never `Override` (a test checks it).
//!
//! The keys of a profile are the `profile_keys!` table below: one entry (doc, type) gives a
//! key its raw field, its merge (a later trusted layer replaces it; a project profile is judged
//! beside the trusted one) and its compiled value `Profile::keys` (inherited from `main` by
//! trusted profiles).
//!
//! `by_hand` keys (lists of tables, entries replaced by name or appended) and the `first` and
//! `last` top-level keys have their field and row here and their merge in `merge`. A new
//! section is a new `[name]` block here: it becomes a field of `RawPolicy` too. What a value
//! means to the judge, when it is more than the value itself (roots expanded, hosts
//! lower-cased, decisions typed, the sandbox's settings), is compiled in `compile` from the
//! merged slots.
use std::collections::BTreeMap;

use toml::Spanned;

use super::declare::{policy_keys, profile_keys};
use super::layering::Layering::{
    Append, Intersect, Override, Refused, ReplaceById, Reset, Tighten,
};
use super::raw::{OnAllow, RawInject, RawRule, RawWhen, RuleDecision, SandboxNetwork, TaintOn};
use super::sandbox_settings::Mode;

const DECISION_ORDER: &[&str] = &["ask", "deny"];

policy_keys! {
    /// One policy file as written (`raw`): the top-level keys and one field per section.
    for RawPolicy;

    first {
        /// The schema version the file is written for (required; see `merge::check_version`).
        version: Option<Spanned<i64>>;
        /// `false`: this layer starts from nothing instead of the layers below it.
        inherit: Option<Spanned<bool>>; trusted Reset, project Refused(
            "a project policy cannot set `inherit`: it always builds on the trusted layers",
        );
    }

    /// `[settings]`: what blastwall does with a call nothing objects to, and where it logs.
    [settings] RawSettings, SettingsLayers, SettingsKeys {
        /// What to answer when nothing objects to a call. A project may turn auto-approval
        /// off, never on.
        on_allow: OnAllow = OnAllow::None;
            trusted Override, project Tighten(&["allow", "pass"]);
        /// The audit log's path (`""`: no log). Unset, `compile` puts it in the state
        /// directory (`$XDG_STATE_HOME/blastwall/audit.jsonl`).
        audit_log: String = String::new();
            trusted Override, project Refused("a project policy cannot move the audit log");
    }

    /// `[paths]`: the directories the agent may read and write below.
    [paths] RawPaths, PathsLayers, PathsKeys {
        /// Directories every profile without its own may read below.
        read_roots: Vec<String> = Vec::new();
            trusted Override, project Intersect;
        /// Directories every profile without its own may write below.
        write_roots: Vec<String> = Vec::new();
            trusted Override, project Intersect;
    }

    /// `[network]`: the hosts a call may contact.
    [network] RawNetwork, NetworkLayers, NetworkKeys {
        /// Host globs a call may contact.
        allow_hosts: Vec<String> = Vec::new();
            trusted Override, project Intersect;
        /// What to answer for a host not on `allow_hosts`.
        unlisted: RuleDecision = RuleDecision::Ask;
            trusted Override, project Tighten(DECISION_ORDER);
        /// Hosts the sandbox's egress proxy still reaches while the session is tainted.
        trusted_when_tainted: Vec<String> = Vec::new();
            trusted Override, project Refused(
                "a project policy cannot choose hosts that stay reachable while the session is tainted",
            );
    }

    /// `[secrets]`: secrets in prompts and tool inputs, extra detector rules, injection.
    [secrets] RawSecrets, SecretsLayers, SecretsKeys {
        /// Block a user prompt that carries a secret (UserPromptSubmit).
        scan_prompts: bool = true;
            trusted Override, project Tighten(&["false", "true"]);
        /// What to answer when a tool input carries a secret literal.
        tool_input: RuleDecision = RuleDecision::Deny;
            trusted Override, project Tighten(DECISION_ORDER);
    }
    by_hand {
        /// Extra detector rules; each is checked by the secrets module. Detector rules only
        /// ever add detection, so every layer's are kept.
        rules: toml::Spanned<Vec<toml::Value>>; trusted Append, project Append;
        /// `[[secrets.inject]]`: credentials passed into sandboxed calls that only run the
        /// entry's programs. Credentials go only where a trusted layer says: a project can
        /// neither add an entry nor widen one (more programs, another source, another
        /// profile).
        inject: Vec<toml::Spanned<RawInject>>; trusted ReplaceById, project Refused(
            "a project policy cannot inject credentials (`[[secrets.inject]]` belongs in your user or managed policy)",
        );
    }

    /// `[sandbox]` and `[profiles.X.sandbox]`: the OS sandbox approved Bash calls run in.
    [sandbox] RawSandbox, SandboxLayers, SandboxKeys {
        /// Whether approved Bash calls run sandboxed (`off`, `auto`, `required`).
        mode: Mode = Mode::Auto;
            trusted Override, project Tighten(&["off", "auto", "required"]);
        /// The sandbox's network (`allowlist` takes its hosts from `[network] allow_hosts`).
        network: SandboxNetwork = SandboxNetwork::Host;
            trusted Override, project Tighten(&["host", "allowlist", "none"]);
        /// Paths mounted read-only; a project's are added to the trusted ones.
        read_only: Vec<String> = Vec::new();
            trusted Override, project Intersect;
        /// Paths hidden inside the sandbox; a project's are added to the trusted ones.
        hidden: Vec<String> = Vec::new();
            trusted Override, project Intersect;
        /// Paths writable inside the sandbox, beside the built-in caches.
        writable: Vec<String> = Vec::new();
            trusted Override, project Refused(
                "a project policy cannot make more paths writable inside the sandbox",
            );
        /// Environment variables passed into the sandbox.
        pass_env: Vec<String> = Vec::new();
            trusted Override, project Refused(
                "a project policy cannot pass variables into the sandbox",
            );
        /// Answer `allow` for a Bash call that will run sandboxed.
        auto_allow: bool = false;
            trusted Override, project Tighten(&["true", "false"]);
    }

    /// `[untrusted]`: external content (WebFetch, WebSearch, MCP output).
    [untrusted] RawUntrusted, UntrustedLayers, UntrustedKeys {
        /// Which external content taints the session. A project may make any external
        /// content taint it, never only flagged content.
        taint: TaintOn = TaintOn::Flagged;
            trusted Override, project Tighten(&["flagged", "any"]);
    }

    last {
        /// `[builtins]`: the built-in verdicts tuned by id (`remote-code = "ask"`). A trusted
        /// layer sets a built-in's decision (or switches it off, above its floor); a project's
        /// setting is kept beside it and can only raise the decision.
        builtins: Option<BTreeMap<String, Spanned<crate::builtins::Setting>>>;
            trusted Override, project Intersect;
        /// `[profiles.X]`: a project profile is judged beside the trusted one of its name.
        #[serde(default)]
        profiles: BTreeMap<String, Spanned<RawProfile>>; trusted Override, project Intersect;
        /// `[[rules]]`: a trusted rule replaces one of the same id; a project's are added.
        #[serde(default)]
        rules: Vec<RawRule>; trusted ReplaceById, project Append;
    }
}

profile_keys! {
    /// One `[profiles.X]` table as written.
    [profiles.*] RawProfile, ProfileSlots, ProfileKeys {
        before {
            /// Conditions that select the profile (every one given must hold).
            when: RawWhen;
        }
        /// Tools the profile may use without a prompt (default-deny: others are denied).
        allow_tools: Vec<String>;
        /// Tools the profile may use after a prompt.
        ask_tools: Vec<String>;
        /// Directories the profile may read below (instead of `[paths] read_roots`).
        read_roots: Vec<String>;
        /// Directories the profile may write below (instead of `[paths] write_roots`).
        write_roots: Vec<String>;
        /// Bash programs this profile may run without a prompt (default-deny: others are asked).
        allow_programs: Vec<String>;
        after {
            /// This profile's sandbox overrides (trusted layers only).
            sandbox: Spanned<RawSandbox>;
        }
    }
}

#[cfg(test)]
mod tests;
