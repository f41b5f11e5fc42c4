//! Claude Code's JSON answers, built in one place.
//!
//! Stdout is the protocol: the binary prints exactly one JSON object (or nothing) and only
//! through [`emit`]. Every text that leaves here has passed through the secret redactor.
use std::io::Write;

use serde_json::{json, Value};

use crate::decision::Decision;

/// Hook strings are capped by Claude Code at 10,000 characters; stay under it.
pub const MAX_TEXT: usize = 9_000;

fn clip(text: &str) -> String {
    crate::engine::truncate(&crate::redact::text(text), MAX_TEXT)
}

/// A PreToolUse decision.
pub fn pre_tool_use(decision: Decision, reason: &str) -> Value {
    json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision.as_str(),
            "permissionDecisionReason": clip(reason),
        }
    })
}

/// A UserPromptSubmit block: the prompt is not sent; the reason goes to the user.
pub fn prompt_block(reason: &str) -> Value {
    json!({ "decision": "block", "reason": clip(reason) })
}

/// Write one JSON answer and a newline to stdout in a single write.
pub fn emit(value: &Value) -> std::io::Result<()> {
    let mut text = serde_json::to_string(value).map_err(std::io::Error::other)?;
    text.push('\n');
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(text.as_bytes())?;
    lock.flush()
}

/// Write text to stdout (CLI subcommands' human output). Redacted like everything else.
pub fn emit_text(text: &str) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(crate::redact::text(text).as_bytes())?;
    lock.flush()
}
