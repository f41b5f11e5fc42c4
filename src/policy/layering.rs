//! How each policy key combines across layers, declared once in [`LAYERING`].
//!
//! The trusted layers (embedded default, user, managed, `--policy`) and the project layer
//! (`.claude/blastwall.toml`, written by whoever controls the repository) are merged by the same
//! code in `merge`, which looks each key up here and applies the [`Layering`] of its [`Tier`].
//! A project layer may only tighten, so its column never holds [`Layering::Override`].
//!
//! What belongs here: the table and the meaning of each kind of layering. What does not: the
//! keys' types (`raw`) and what a value means (`compile`). A new key is one entry here, its
//! field in `raw`, one line in `merge::Acc::overlay` and its documentation in
//! `hooks.toml.example`; the tests below check every entry is used and documented.
use toml::Spanned;

use super::raw::{OnAllow, RuleDecision, TaintOn};
use super::source::{PolicyError, Source};

/// Which kind of layer is being merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The embedded default, the user and managed files, `--policy`.
    Trusted,
    /// The project file: it may only make the policy stricter.
    Project,
}

/// How a layer's value of a key combines with what the layers below it set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layering {
    /// The layer's value replaces the one below.
    Override,
    /// The layer's value is kept only when it is the strictest value of the ordering (loosest
    /// first, as spelled in TOML) or stricter than the value so far; otherwise it is ignored.
    Tighten(&'static [&'static str]),
    /// The layer's value is kept beside the trusted one and a call must pass both (roots,
    /// hosts; for profiles: a project profile is judged beside the trusted one, the strictest
    /// answer wins).
    Intersect,
    /// The layer's entries are added to those below (detector rules; project rules, which may
    /// not switch a rule off and never replace a trusted rule of the same id).
    Append,
    /// Entries replace an entry of the same id below and add the others (trusted rules).
    ReplaceById,
    /// `false` discards everything below (`inherit`).
    Reset,
    /// The layer may not set the key at all: setting it is an error with this message.
    Refused(&'static str),
}

/// One key's layering, for the trusted layers and for the project layer.
#[derive(Debug, Clone, Copy)]
pub struct KeyLayering {
    /// The key as written in TOML (`profiles` and `rules` stand for their tables).
    pub key: &'static str,
    pub trusted: Layering,
    pub project: Layering,
}

impl KeyLayering {
    /// The layering for a tier.
    pub fn of(&self, tier: Tier) -> Layering {
        match tier {
            Tier::Trusted => self.trusted,
            Tier::Project => self.project,
        }
    }
}

const DECISION_ORDER: &[&str] = &["ask", "deny"];

/// Every policy key's layering. Keep in the order of `hooks.toml.example`.
pub const LAYERING: &[KeyLayering] = &[
    KeyLayering {
        key: "inherit",
        trusted: Layering::Reset,
        project: Layering::Refused(
            "a project policy cannot set `inherit`: it always builds on the trusted layers",
        ),
    },
    KeyLayering {
        key: "settings.on_allow",
        trusted: Layering::Override,
        // A project may turn auto-approval off, never on.
        project: Layering::Tighten(&["allow", "pass"]),
    },
    KeyLayering {
        key: "settings.audit_log",
        trusted: Layering::Override,
        project: Layering::Refused("a project policy cannot move the audit log"),
    },
    KeyLayering {
        key: "paths.read_roots",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "paths.write_roots",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "network.allow_hosts",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "network.unlisted",
        trusted: Layering::Override,
        project: Layering::Tighten(DECISION_ORDER),
    },
    KeyLayering {
        key: "network.trusted_when_tainted",
        trusted: Layering::Override,
        project: Layering::Refused(
            "a project policy cannot choose hosts that stay reachable while the session is tainted",
        ),
    },
    KeyLayering {
        key: "secrets.scan_prompts",
        trusted: Layering::Override,
        project: Layering::Tighten(&["false", "true"]),
    },
    KeyLayering {
        key: "secrets.tool_input",
        trusted: Layering::Override,
        project: Layering::Tighten(DECISION_ORDER),
    },
    KeyLayering {
        key: "secrets.rules",
        trusted: Layering::Append,
        project: Layering::Append,
    },
    KeyLayering {
        // Credentials go only where a trusted layer says: a project can neither add an entry
        // nor widen one (more programs, another source, another profile).
        key: "secrets.inject",
        trusted: Layering::ReplaceById,
        project: Layering::Refused(
            "a project policy cannot inject credentials (`[[secrets.inject]]` belongs in your user or managed policy)",
        ),
    },
    KeyLayering {
        key: "sandbox.mode",
        trusted: Layering::Override,
        project: Layering::Tighten(&["off", "auto", "required"]),
    },
    KeyLayering {
        key: "sandbox.network",
        trusted: Layering::Override,
        project: Layering::Tighten(&["host", "allowlist", "none"]),
    },
    KeyLayering {
        // A project's read-only and hidden paths are added to the trusted ones.
        key: "sandbox.read_only",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "sandbox.hidden",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "sandbox.writable",
        trusted: Layering::Override,
        project: Layering::Refused(
            "a project policy cannot make more paths writable inside the sandbox",
        ),
    },
    KeyLayering {
        key: "sandbox.pass_env",
        trusted: Layering::Override,
        project: Layering::Refused("a project policy cannot pass variables into the sandbox"),
    },
    KeyLayering {
        key: "sandbox.auto_allow",
        trusted: Layering::Override,
        project: Layering::Tighten(&["true", "false"]),
    },
    KeyLayering {
        key: "untrusted.taint",
        trusted: Layering::Override,
        // A project may make any external content taint the session, never only flagged.
        project: Layering::Tighten(&["flagged", "any"]),
    },
    KeyLayering {
        // A trusted layer sets a built-in's decision (or switches it off, above its floor); a
        // project's setting is kept beside it and can only raise the decision.
        key: "builtins",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "profiles",
        trusted: Layering::Override,
        project: Layering::Intersect,
    },
    KeyLayering {
        key: "rules",
        trusted: Layering::ReplaceById,
        project: Layering::Append,
    },
];

/// The table entry of `key`; an internal error (fail closed) for a key the table lacks.
pub fn layering(key: &str, tier: Tier) -> Result<Layering, PolicyError> {
    LAYERING
        .iter()
        .find(|k| k.key == key)
        .map(|k| k.of(tier))
        .ok_or_else(|| internal(key, "has no entry in the layering table"))
}

pub(super) fn internal(key: &str, what: &str) -> PolicyError {
    PolicyError::Invalid {
        file: "<internal>".into(),
        line: 0,
        col: 0,
        message: format!("policy key `{key}` {what}"),
    }
}

/// A value's TOML spelling, for [`Layering::Tighten`] orderings. Values without one (lists,
/// paths) are never stricter than anything, so a tighten-only key of such a type ignores the
/// project's value.
pub trait Spelling {
    fn spelling(&self) -> Option<&'static str> {
        None
    }
}

impl Spelling for bool {
    fn spelling(&self) -> Option<&'static str> {
        Some(if *self { "true" } else { "false" })
    }
}

impl Spelling for OnAllow {
    fn spelling(&self) -> Option<&'static str> {
        Some(match self {
            OnAllow::None => "pass",
            OnAllow::Allow => "allow",
        })
    }
}

impl Spelling for RuleDecision {
    fn spelling(&self) -> Option<&'static str> {
        Some(match self {
            RuleDecision::Ask => "ask",
            RuleDecision::Deny => "deny",
        })
    }
}

impl Spelling for crate::policy::sandbox_settings::Mode {
    fn spelling(&self) -> Option<&'static str> {
        Some(self.as_str())
    }
}

impl Spelling for super::raw::SandboxNetwork {
    fn spelling(&self) -> Option<&'static str> {
        Some(match self {
            super::raw::SandboxNetwork::None => "none",
            super::raw::SandboxNetwork::Host => "host",
            super::raw::SandboxNetwork::Allowlist => "allowlist",
        })
    }
}

impl Spelling for TaintOn {
    fn spelling(&self) -> Option<&'static str> {
        Some(match self {
            TaintOn::Flagged => "flagged",
            TaintOn::Any => "any",
        })
    }
}

impl Spelling for crate::builtins::Setting {
    fn spelling(&self) -> Option<&'static str> {
        Some(self.as_str())
    }
}

impl Spelling for String {}
impl Spelling for Vec<String> {}

/// One merged value: the layer index it came from and the value with its span.
pub type Slot<T> = Option<(usize, Spanned<T>)>;

/// A key as merged: the value that holds, and a project value kept beside it
/// ([`Layering::Intersect`]).
#[derive(Debug)]
pub struct Layered<T> {
    pub value: Slot<T>,
    pub project: Slot<T>,
}

impl<T> Default for Layered<T> {
    fn default() -> Self {
        Layered {
            value: None,
            project: None,
        }
    }
}

/// Whether `new` may replace `current` under a tighten-only ordering: it is the strictest
/// value, or stricter than the current one (no value, or one the ordering lacks, counts as the
/// loosest). A value the ordering lacks never tightens.
fn tightens(order: &[&str], new: Option<&str>, current: Option<&str>) -> bool {
    let rank = |s: Option<&str>| s.and_then(|s| order.iter().position(|o| *o == s));
    let Some(new) = rank(new) else {
        return false;
    };
    new + 1 == order.len() || new > rank(current).unwrap_or(0)
}

impl<T: Spelling> Layered<T> {
    /// Merge one layer's value of `key` as `layering` says.
    pub fn merge(
        &mut self,
        key: &str,
        layering: Layering,
        si: usize,
        src: &Source,
        v: Spanned<T>,
    ) -> Result<(), PolicyError> {
        match layering {
            Layering::Override => self.value = Some((si, v)),
            Layering::Tighten(order) => {
                let current = self
                    .value
                    .as_ref()
                    .and_then(|(_, c)| c.get_ref().spelling());
                if tightens(order, v.get_ref().spelling(), current) {
                    self.value = Some((si, v));
                }
            }
            Layering::Intersect => self.project = Some((si, v)),
            Layering::Refused(message) => return Err(src.error(Some(v.span()), message)),
            Layering::Append | Layering::ReplaceById | Layering::Reset => {
                return Err(internal(
                    key,
                    "is a single value: it cannot be appended or reset",
                ))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
