//! What the targets share: the test machine (HOME /home/u, project /work/p, the layout the
//! fixtures use), the embedded policy compiled once, and "judge this call".
#![allow(dead_code, reason = "each target uses a different part")]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use blastwall::decision::{Decision, Verdict};
use blastwall::engine::{Call, Judge};
use blastwall::paths::PathEnv;
use blastwall::policy::{LayerKind, Policy, Source};
use serde_json::{json, Value};

pub fn env() -> PathEnv {
    PathEnv {
        home: Some(PathBuf::from("/home/u")),
        project: PathBuf::from("/work/p"),
        tmpdir: PathBuf::from("/tmp"),
        cwd: PathBuf::from("/work/p"),
        exe: Some(PathBuf::from("/usr/local/bin/blastwall")),
    }
}

/// The embedded default, compiled once per process (it is the same for every input).
pub fn embedded() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::embedded(&env()).expect("the embedded default compiles"))
}

pub fn source(kind: LayerKind, name: &str, text: &str) -> Source {
    Source {
        kind,
        name: Arc::from(name),
        text: text.to_string(),
    }
}

/// Every finding for one call under `policy`.
pub fn verdict(policy: &Policy, tool: &str, input: Value) -> Verdict {
    let env = env();
    let judge = Judge::new(policy, &env);
    let json = blastwall::input::Json::from(if input.is_object() {
        input.clone()
    } else {
        serde_json::json!({})
    });
    let call = Call {
        tool: blastwall::input::ToolUse::of(tool, &json).unwrap(),
        agent_type: None,
        agent_id: None,
    };
    judge.judge(&call, &|_| None).verdict
}

/// The decision for one call under `policy`.
pub fn decide(policy: &Policy, tool: &str, input: Value) -> Decision {
    verdict(policy, tool, input).decision()
}

/// The decision for one call from everything but the scanners of the input's text
/// (`secret-in-input`): a respelt path is different text, and `secret=/./x/./` may look like a
/// credential where `secret=/x/` does not. Targets that compare spellings of one path use this.
pub fn decide_ignoring_text_scan(policy: &Policy, tool: &str, input: Value) -> Decision {
    let mut verdict = verdict(policy, tool, input);
    verdict.findings.retain(|f| &*f.rule != "secret-in-input");
    verdict.decision()
}

pub fn decide_bash(policy: &Policy, command: &str) -> Decision {
    decide(policy, "Bash", json!({ "command": command }))
}

/// `text` as one single-quoted bash word.
pub fn single_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// libFuzzer aborts on every panic, even one that is caught. Panics inside brush-parser are
/// caught by `shell::parse_program` and become a `ParseError` (asked, never allowed), which the
/// targets check; so let those unwind and keep aborting on every other panic. A known one:
/// brush-parser 0.4.0 unwraps the fd number of `44444444444444444444<x` (HARDENING.md).
pub fn tolerate_caught_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_parser = info
                .location()
                .is_some_and(|l| l.file().contains("brush-parser"));
            if !in_parser {
                abort_hook(info);
            }
        }));
    });
}
