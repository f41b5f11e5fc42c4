//! End-to-end tests: the real Claude Code client, a scripted fake model, blastwall as its hook.
//! How to run and how to add a scenario: tests/e2e/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    dead_code,
    reason = "test code: a failed expectation is a failed test; helpers serve ignored scenarios too"
)]

mod fake_model;
mod harness;
mod probe;
mod s10_sandbox;
mod s11_inject;
mod s1_deny;
mod s2_ask_allow;
mod s3_subagent;
mod s4_paths;
mod s5_secrets;
mod s6_taint;
mod s7_fail_closed;
mod s8_install_crash;
mod s9_parallel;

use serde_json::{json, Value};

use fake_model::Turn;
use harness::{RunResult, Sandbox};

/// A model turn that runs one Bash command.
pub(crate) fn bash(command: &str) -> Turn {
    Turn::tool(
        "Bash",
        json!({"command": command, "description": "e2e step"}),
    )
}

/// The call `id` was stopped before it ran: the model got an error `tool_result` holding every
/// `needle`, and the client reports it in `permission_denials`. Returns the text the model saw.
pub(crate) fn assert_blocked(sb: &Sandbox, r: &RunResult, id: &str, needles: &[&str]) -> String {
    let text = assert_blocked_in_subagent(sb, r, id, needles);
    assert!(
        r.denied_ids().iter().any(|d| d == id),
        "{id} is not in permission_denials: {:?}",
        r.permission_denials()
    );
    text
}

/// Like [`assert_blocked`] for a call made inside a subagent: the client's final
/// `permission_denials` lists only the main agent's denials (seen with 2.1.328), so only what the
/// model was sent can show the denial.
pub(crate) fn assert_blocked_in_subagent(
    sb: &Sandbox,
    r: &RunResult,
    id: &str,
    needles: &[&str],
) -> String {
    let (text, is_error) = sb.model.tool_result(id).unwrap_or_else(|| {
        panic!(
            "no tool_result for {id} reached the model\n{}",
            r.describe()
        )
    });
    assert!(
        is_error,
        "{id}: expected an error tool_result, the model saw: {text}"
    );
    for n in needles {
        assert!(
            text.contains(n),
            "{id}: the model saw {text:?}, which lacks {n:?}"
        );
    }
    text
}

/// The call `id` ran and its output, holding every `needle`, reached the model.
pub(crate) fn assert_ran(sb: &Sandbox, r: &RunResult, id: &str, needles: &[&str]) -> String {
    let (text, is_error) = sb.model.tool_result(id).unwrap_or_else(|| {
        panic!(
            "no tool_result for {id} reached the model\n{}",
            r.describe()
        )
    });
    assert!(
        !is_error,
        "{id}: expected the call to run, the model saw the error: {text}"
    );
    for n in needles {
        assert!(
            text.contains(n),
            "{id}: the model saw {text:?}, which lacks {n:?}"
        );
    }
    assert!(
        !r.denied_ids().iter().any(|d| d == id),
        "{id} is in permission_denials"
    );
    text
}

/// The PreToolUse audit entries for `tool` that answered `decision` (and named `rule`, when
/// given). Fails, showing the whole log, when there is none. The audit line carries no
/// tool_use_id, so scenarios keep one call per (tool, decision) where they check the log.
pub(crate) fn assert_audited(
    sb: &Sandbox,
    tool: &str,
    decision: &str,
    rule: Option<&str>,
) -> Vec<Value> {
    let hits: Vec<Value> = sb
        .audit_pre(tool)
        .into_iter()
        .filter(|e| e["decision"] == decision)
        .filter(|e| rule.is_none_or(|r| e["rule"].as_str().is_some_and(|x| x.contains(r))))
        .collect();
    assert!(
        !hits.is_empty(),
        "no PreToolUse audit entry for {tool} with decision {decision} rule {rule:?}; audit log ({}):\n{}",
        sb.audit_path().display(),
        sb.audit_text()
    );
    hits
}

/// The context note (`additionalContext`) a hook gave on `event` after a `tool` call, as the
/// model received it in the request answering `step` of the script `marker`: the text after
/// `<event>:<tool> hook additional context: ` in the string that carries it. `None` when that
/// request has no such note.
pub(crate) fn context_note(
    sb: &Sandbox,
    marker: &str,
    step: usize,
    event: &str,
    tool: &str,
) -> Option<String> {
    fn find(v: &Value, prefix: &str) -> Option<String> {
        match v {
            Value::String(s) => s.find(prefix).map(|i| s[i + prefix.len()..].to_string()),
            Value::Array(a) => a.iter().find_map(|x| find(x, prefix)),
            Value::Object(o) => o.values().find_map(|x| find(x, prefix)),
            _ => None,
        }
    }
    let req = sb.model.request_at_step(marker, step)?;
    find(
        &req.body,
        &format!("{event}:{tool} hook additional context: "),
    )
}

/// The client refused the prompt itself because a UserPromptSubmit hook blocked it: no request
/// reached the model, and the client's `result` holds every `needle`. (The client still exits 0
/// with `is_error: false`; only `result` says what happened.) Returns the result text.
pub(crate) fn assert_prompt_refused(sb: &Sandbox, r: &RunResult, needles: &[&str]) -> String {
    let result = r.result["result"].as_str().unwrap_or_default().to_string();
    assert!(
        result.starts_with("UserPromptSubmit operation blocked by hook"),
        "{}",
        r.describe()
    );
    for n in needles {
        assert!(
            result.contains(n),
            "the client said {result:?}, which lacks {n:?}"
        );
    }
    assert!(
        sb.model.requests().is_empty(),
        "the model was asked although the prompt was refused"
    );
    result
}

/// Client run finished normally (exit 0, a result object).
pub(crate) fn assert_finished(r: &RunResult) {
    assert_eq!(r.status, Some(0), "claude failed\n{}", r.describe());
    assert_eq!(
        r.result["type"],
        "result",
        "no result object\n{}",
        r.describe()
    );
}
