//! Scenario 6: injection and taint. An MCP tool (tests/e2e/mcp_server.py) returns a page with a
//! prompt injection; the model is told the output is untrusted, and a later `curl` that was
//! allowed before the untrusted input is now asked (so, under `-p`, not run).
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_audited, assert_blocked, assert_finished, assert_ran, bash, context_note};

#[test]
fn s6_untrusted_mcp_output_taints_later_curl() {
    let sb = Sandbox::new("s6");
    sb.register(&HookCommand::blastwall(&[]));
    // The user allowlists this MCP server; without that every mcp__ tool is asked.
    sb.user_policy(
        r#"version = 1

[profiles.main]
allow_tools = ["Read", "Write", "Edit", "Glob", "Grep", "Bash", "Agent", "mcp__web__fetch"]
ask_tools = []
"#,
    );
    let (mcp_args, mcp_log) = sb.mcp_server();
    let mut opts = RunOpts::default();
    opts.allowed_tools.push("mcp__web__fetch".into());
    opts.extra_args = mcp_args;
    // github.com is on the default network allowlist: before the injection this curl is not
    // asked. (It still cannot reach anything: the harness points every proxy at a closed port.)
    let curl = "curl -s --max-time 3 -o fetched.html https://github.com/";
    let m = "s6";
    let r = sb.run(
        m,
        vec![
            bash(curl),
            Turn::tool(
                "mcp__web__fetch",
                json!({"url": "https://docs.example.test/release-notes"}),
            ),
            bash(curl),
        ],
        &opts,
    );
    assert_finished(&r);

    // Before: the curl is judged on its own and let through (it fails at the closed proxy).
    let first = sb
        .model
        .tool_result(&tool_use_id(m, 0, 0))
        .expect("first curl result");
    assert!(
        !first.0.contains("blastwall: "),
        "the first curl was stopped by blastwall: {first:?}"
    );
    // The MCP tool ran and its text reached the model, flagged as untrusted.
    assert!(
        std::fs::read_to_string(&mcp_log)
            .unwrap_or_default()
            .contains("release-notes"),
        "MCP tool never ran"
    );
    assert_ran(&sb, &r, &tool_use_id(m, 1, 0), &["release notes"]);
    let note = context_note(&sb, m, 2, "PostToolUse", "mcp__web__fetch")
        .unwrap_or_else(|| panic!("no context note after the MCP call"));
    assert!(
        note.to_lowercase().contains("untrusted"),
        "the note does not say untrusted: {note}"
    );
    // After: the same curl needs approval, which nobody can give under -p.
    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 2, 0),
        &["blastwall: needs approval"],
    );
    assert!(!sb.project.join("fetched.html").exists());
    let asked = sb.audit_pre("Bash");
    assert_eq!(
        asked.last().map(|e| e["decision"].clone()),
        Some(json!("ask")),
        "{}",
        sb.audit_text()
    );
}

/// Until the user allowlists an MCP server, its tools are asked; under `-p` that means the tool
/// never runs (the server gets no call) and the model sees blastwall's reason.
#[test]
fn s6_mcp_tool_is_asked_until_allowlisted() {
    let sb = Sandbox::new("s6-ask");
    sb.register(&HookCommand::blastwall(&[]));
    let (mcp_args, mcp_log) = sb.mcp_server();
    let mut opts = RunOpts::default();
    opts.allowed_tools.push("mcp__web__fetch".into());
    opts.extra_args = mcp_args;
    let r = sb.run(
        "s6ask",
        vec![Turn::tool(
            "mcp__web__fetch",
            json!({"url": "https://docs.example.test/release-notes"}),
        )],
        &opts,
    );
    assert_finished(&r);

    assert!(
        std::fs::read_to_string(&mcp_log)
            .unwrap_or_default()
            .is_empty(),
        "the MCP server received a call that needed approval"
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s6ask", 0, 0),
        &["blastwall: needs approval"],
    );
    assert!(
        !sb.model
            .all_request_text()
            .contains("IMPORTANT SYSTEM NOTICE"),
        "the injected page reached the model"
    );
    let asked = assert_audited(&sb, "mcp__web__fetch", "ask", None);
    assert_eq!(asked.len(), 1);
}
