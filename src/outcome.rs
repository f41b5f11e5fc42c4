//! What blastwall concluded about one event, as a type: the handlers return an [`Outcome`], and
//! only `crate::output` turns it into the protocol's JSON, stderr and exit code; the audit
//! record (`crate::audit::Record::of`), `replay` and `explain` read it too.
//!
//! One vocabulary for what was decided, everywhere (JSON, replay, explain, audit log):
//! [`Ruling`] `allow | ask | deny | pass`, where `pass` is "no objection: the client's own
//! permission flow decides" (older fixtures spell it `none`, still accepted by
//! [`Ruling::parse`]). What happened after a tool ran is an action word beside it
//! ([`Outcome::label`]: `redact`, `exposed`).
//!
//! What belongs here: the outcome types and the questions replay and the audit log ask of them.
//! What does not: JSON (`crate::output`), judging (`crate::engine`, `crate::post`).
use std::sync::Arc;

use crate::decision::Decision;
use crate::input::{EventKind, Json};

/// What blastwall says about a call or a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ruling {
    /// No objection: nothing is printed and Claude Code's own permission flow decides.
    Pass,
    /// Approved outright (`on_allow = "allow"`).
    Allow,
    /// The user is asked.
    Ask,
    /// Refused (a tool call), or blocked (a prompt).
    Deny,
}

impl Ruling {
    /// The word used in JSON, replay, explain and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Ruling::Pass => "pass",
            Ruling::Allow => "allow",
            Ruling::Ask => "ask",
            Ruling::Deny => "deny",
        }
    }

    /// A ruling as written in a fixture's `expect`; `none` is the old spelling of `pass`.
    pub fn parse(text: &str) -> Option<Ruling> {
        match text {
            "pass" | "none" => Some(Ruling::Pass),
            "allow" => Some(Ruling::Allow),
            "ask" => Some(Ruling::Ask),
            "deny" => Some(Ruling::Deny),
            _ => None,
        }
    }

    /// The ruling for a verdict: the engine's "allow" is no objection, which is a pass.
    pub fn of_verdict(decision: Decision) -> Ruling {
        match decision {
            Decision::Allow => Ruling::Pass,
            Decision::Ask => Ruling::Ask,
            Decision::Deny => Ruling::Deny,
        }
    }
}

impl std::fmt::Display for Ruling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PreToolUse answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Pre {
    pub ruling: Ruling,
    /// The rule that decided (none for a pass or an allow).
    pub rule: Option<Arc<str>>,
    /// The verdict's reason (none for a pass or an allow).
    pub reason: Option<String>,
    /// The profiles the call was judged under.
    pub profiles: Vec<String>,
    /// The tool input the client should run instead (`updatedInput`).
    pub updated_input: Option<Rewrite>,
    /// A message for the user (`systemMessage`): the sandbox's "running unsandboxed" warning.
    pub system: Option<String>,
    /// Which OS sandbox a Bash call runs in (`sandbox::hook`), for the audit log.
    pub sandbox: Option<String>,
}

/// A tool input rewritten by blastwall (the sandbox step's wrapper): the call's input as the
/// client sent it, with `command` replaced. `crate::output` builds the JSON (every other field
/// kept, in the tool's own shape).
#[derive(Debug, Clone, PartialEq)]
pub struct Rewrite {
    /// The input as the client sent it.
    pub input: Json,
    /// The command to run instead.
    pub command: String,
}

/// Which event a [`Post`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostEvent {
    PostToolUse,
    PostToolUseFailure,
}

impl PostEvent {
    pub fn name(self) -> &'static str {
        match self {
            PostEvent::PostToolUse => "PostToolUse",
            PostEvent::PostToolUseFailure => "PostToolUseFailure",
        }
    }
}

/// What blastwall adds after a tool ran: notes for the model, a message for the user, the
/// tool output with secrets replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub event: PostEvent,
    /// Notes for the model (`additionalContext`), one per line.
    pub notes: Vec<String>,
    /// Parts of the message for the user (`systemMessage`).
    pub system: Vec<String>,
    /// The tool output with each secret replaced, in the output's own JSON shape.
    pub redacted: Option<Json>,
    /// The tool output with its external text framed as data (spotlighting, over the redacted
    /// output if there is one); when set, it is what the model sees.
    pub framed: Option<Json>,
    /// The output came from an MCP tool (the client reads `updatedMCPToolOutput` too).
    pub mcp: bool,
    /// A failed tool's error text held secrets the client shows the model anyway.
    pub exposed: bool,
    /// The policy did not load: said to the user after the other messages.
    pub warning: Option<String>,
}

/// Everything a handler can conclude.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pre(Pre),
    Post(Post),
    /// A prompt carrying a credential is not sent.
    PromptBlocked {
        reason: String,
    },
    /// Something failed; the answer fails closed for the event's kind (unknown: exit 2).
    Failure {
        kind: Option<EventKind>,
        what: String,
    },
    /// Nothing to say.
    Nothing,
}

impl Outcome {
    /// The ruling on the event: what the client will do about it.
    pub fn ruling(&self) -> Ruling {
        match self {
            Outcome::Pre(p) => p.ruling,
            Outcome::PromptBlocked { .. } => Ruling::Deny,
            Outcome::Failure { kind, .. } => match kind {
                None | Some(EventKind::PreToolUse | EventKind::UserPromptSubmit) => Ruling::Deny,
                Some(_) => Ruling::Pass,
            },
            Outcome::Post(_) | Outcome::Nothing => Ruling::Pass,
        }
    }

    /// The word replay prints and the audit log records: the ruling, or for a tool's output
    /// what was done to it (`redact`: secrets withheld; `exposed`: a failed tool's error text
    /// showed them).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Post(p) if p.redacted.is_some() => "redact",
            Outcome::Post(p) if p.exposed => "exposed",
            other => other.ruling().as_str(),
        }
    }

    /// The deciding rule, for the audit log.
    pub fn rule(&self) -> Option<&str> {
        match self {
            Outcome::Pre(p) => p.rule.as_deref(),
            Outcome::Failure { .. } => Some("fail-closed"),
            Outcome::Post(_) | Outcome::PromptBlocked { .. } if self.label() == "pass" => {
                Some("external-content")
            }
            Outcome::Post(_) | Outcome::PromptBlocked { .. } => Some("secrets"),
            Outcome::Nothing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vocabulary_and_the_old_spelling() {
        for r in [Ruling::Pass, Ruling::Allow, Ruling::Ask, Ruling::Deny] {
            assert_eq!(Ruling::parse(r.as_str()), Some(r));
        }
        assert_eq!(Ruling::parse("none"), Some(Ruling::Pass));
        assert_eq!(Ruling::parse("redact"), None);
        assert_eq!(Ruling::of_verdict(Decision::Allow), Ruling::Pass);
        assert_eq!(Ruling::of_verdict(Decision::Deny), Ruling::Deny);
    }

    #[test]
    fn failures_fail_closed_by_kind() {
        let f = |kind| Outcome::Failure {
            kind,
            what: "x".into(),
        };
        assert_eq!(f(None).ruling(), Ruling::Deny);
        assert_eq!(f(Some(EventKind::PreToolUse)).ruling(), Ruling::Deny);
        assert_eq!(f(Some(EventKind::UserPromptSubmit)).ruling(), Ruling::Deny);
        assert_eq!(f(Some(EventKind::PostToolUse)).ruling(), Ruling::Pass);
        assert_eq!(f(None).rule(), Some("fail-closed"));
    }
}
