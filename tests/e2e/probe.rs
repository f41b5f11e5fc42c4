//! Client contract: what the pinned Claude Code does with hook output, checked with a stand-in
//! shell hook (no blastwall involved). blastwall's design rests on these behaviours; when the
//! pinned client is bumped (tests/e2e/claude-version) and one of these fails, the client changed,
//! not blastwall.
use serde_json::{json, Value};

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{RunOpts, Sandbox};

fn write_json(path: &std::path::Path, v: &Value) {
    std::fs::write(path, v.to_string()).unwrap();
}

/// A PreToolUse deny stops the call; the model sees the reason as an error tool_result and the
/// client lists the call in `permission_denials`.
#[test]
fn client_pretooluse_deny_blocks_and_reaches_model() {
    let sb = Sandbox::new("probe-deny");
    let (hook, dir) = sb.stub_hook();
    write_json(
        &dir.join("PreToolUse.json"),
        &json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                 "permissionDecisionReason": "stub says no"}}),
    );
    sb.register(&hook);
    let victim = sb.project.join("victim.txt");
    sb.write(&victim, "keep me");
    let r = sb.run(
        "probedeny",
        vec![Turn::tool(
            "Bash",
            json!({"command": "rm victim.txt", "description": "remove"}),
        )],
        &RunOpts::default(),
    );
    assert_eq!(r.status, Some(0), "{}", r.describe());
    assert!(victim.exists(), "the denied rm ran");
    let id = tool_use_id("probedeny", 0, 0);
    let (text, is_error) = sb
        .model
        .tool_result(&id)
        .expect("tool_result for the denied call");
    assert!(is_error, "a denied call must come back as an error: {text}");
    assert_eq!(text, "PreToolUse:Bash hook error: stub says no");
    assert_eq!(r.denied_ids(), vec![id], "{}", r.describe());
}

/// PostToolUse `updatedToolOutput` in each tool's own response shape replaces what the model
/// sees (Bash, Read, Grep in both modes, an MCP tool), and `additionalContext` reaches the model.
/// This is what secret redaction and taint notes are built on.
#[test]
fn client_posttooluse_updated_output_per_tool_shape() {
    let sb = Sandbox::new("probe-post");
    let (hook, dir) = sb.stub_hook();
    sb.register(&hook);
    sb.write(&sb.project.join("notes.txt"), "ORIGINAL-READ line\n");
    let notes = sb.project.join("notes.txt").to_string_lossy().into_owned();
    let post = |tool: &str, output: Value, ctx: &str| {
        write_json(
            &dir.join(format!("PostToolUse-{tool}.json")),
            &json!({"hookSpecificOutput": {"hookEventName": "PostToolUse",
                     "updatedToolOutput": output, "additionalContext": ctx}}),
        );
    };
    post(
        "Bash",
        json!({"stdout": "REPLACED-BASH", "stderr": "", "interrupted": false, "isImage": false,
               "noOutputExpected": false}),
        "CTX-BASH",
    );
    post(
        "Read",
        json!({"type": "text", "file": {"filePath": notes, "content": "REPLACED-READ line\n",
               "numLines": 1, "startLine": 1, "totalLines": 1}}),
        "CTX-READ",
    );
    // Grep's output shape depends on its mode: `content` shows `content`, the default
    // files_with_matches shows `filenames`. One answer per call (keyed by tool_use_id).
    let m = "probepost";
    post(
        &tool_use_id(m, 2, 0),
        json!({"mode": "content", "numFiles": 1, "filenames": [],
               "content": "replaced-grep.txt:1:REPLACED-GREP", "numLines": 1}),
        "CTX-GREP",
    );
    post(
        &tool_use_id(m, 3, 0),
        json!({"mode": "files_with_matches", "numFiles": 1, "filenames": ["REPLACED-GREPFILES.txt"]}),
        "CTX-GREPFILES",
    );
    post(
        "mcp__web__echo",
        json!([{"type": "text", "text": "REPLACED-MCP"}]),
        "CTX-MCP",
    );
    let (mcp_args, mcp_log) = sb.mcp_server();
    let mut opts = RunOpts::default();
    opts.allowed_tools.push("mcp__web__echo".into());
    opts.extra_args = mcp_args;
    let r = sb.run(
        m,
        vec![
            Turn::tool(
                "Bash",
                json!({"command": "echo ORIGINAL-BASH", "description": "echo"}),
            ),
            Turn::tool("Read", json!({"file_path": notes})),
            Turn::tool(
                "Grep",
                json!({"pattern": "ORIGINAL", "path": sb.project.to_string_lossy(),
                                        "output_mode": "content"}),
            ),
            Turn::tool(
                "Grep",
                json!({"pattern": "ORIGINAL", "path": sb.project.to_string_lossy()}),
            ),
            Turn::tool("mcp__web__echo", json!({"text": "ORIGINAL-MCP"})),
        ],
        &opts,
    );
    assert_eq!(r.status, Some(0), "{}", r.describe());
    assert!(
        std::fs::read_to_string(&mcp_log)
            .unwrap_or_default()
            .contains("ORIGINAL-MCP"),
        "MCP tool never ran"
    );
    for (step, replaced, original, ctx) in [
        (0, "REPLACED-BASH", "ORIGINAL-BASH", "CTX-BASH"),
        (1, "REPLACED-READ", "ORIGINAL-READ", "CTX-READ"),
        (2, "REPLACED-GREP", "ORIGINAL-READ", "CTX-GREP"),
        (3, "REPLACED-GREPFILES", "notes.txt", "CTX-GREPFILES"),
        (4, "REPLACED-MCP", "ORIGINAL-MCP", "CTX-MCP"),
    ] {
        let (text, is_error) = sb
            .model
            .tool_result(&tool_use_id(m, step, 0))
            .expect("tool_result");
        assert!(!is_error, "step {step}: {text}");
        assert!(
            text.contains(replaced),
            "step {step}: replacement not shown: {text}"
        );
        assert!(
            !text.contains(original),
            "step {step}: original leaked: {text}"
        );
        if std::env::var_os("BLASTWALL_E2E_SHOW").is_some() {
            eprintln!("step {step} model saw: {text:?}");
        }
        // The context note arrives in the request that carries the result.
        let req = sb.model.request_at_step(m, step + 1).expect("next request");
        let body = req.body.to_string();
        assert!(
            body.contains(&format!(
                "PostToolUse:{} hook additional context: {ctx}",
                ["Bash", "Read", "Grep", "Grep", "mcp__web__echo"][step]
            )),
            "step {step}: context note missing"
        );
    }
}

/// Subagent calls carry `agent_id` and `agent_type`; the main thread's carry neither. This is how
/// blastwall tells them apart for per-subagent profiles.
#[test]
fn client_subagent_events_carry_agent_type() {
    let sb = Sandbox::new("probe-agent");
    let (hook, dir) = sb.stub_hook();
    sb.register(&hook);
    sb.model.script(
        "probesub",
        vec![Turn::tool(
            "Bash",
            json!({"command": "echo from-sub", "description": "sub"}),
        )],
    );
    let r = sb.run(
        "probemain",
        vec![
            Turn::tool(
                "Bash",
                json!({"command": "echo from-main", "description": "main"}),
            ),
            Turn::tool(
                "Agent",
                json!({"description": "check", "subagent_type": "general-purpose",
                                         "prompt": "@@e2e:probesub@@ run the sub script"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_eq!(r.status, Some(0), "{}", r.describe());
    let events: Vec<Value> = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let pre_bash = |cmd: &str| {
        events
            .iter()
            .find(|e| e["hook_event_name"] == "PreToolUse" && e["tool_input"]["command"] == cmd)
            .cloned()
            .unwrap_or_else(|| panic!("no PreToolUse for {cmd}: {events:?}"))
    };
    let main = pre_bash("echo from-main");
    let sub = pre_bash("echo from-sub");
    assert!(
        main.get("agent_id").is_none() && main.get("agent_type").is_none(),
        "{main}"
    );
    assert_eq!(sub["agent_type"], "general-purpose", "{sub}");
    assert!(
        sub["agent_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{sub}"
    );
    let (text, _) = sb
        .model
        .tool_result(&tool_use_id("probesub", 0, 0))
        .expect("sub tool_result");
    assert!(text.contains("from-sub"), "{text}");
}

/// A hook registered with `onFailure: "block"` that cannot answer (killed by a signal, exits 1,
/// cannot be started) blocks the call; the same hook without `onFailure` lets the call run.
/// Why blastwall's registration must carry `onFailure`. The hook fails on PreToolUse only, so
/// the prompt itself gets through.
#[test]
fn client_onfailure_block_on_crashing_hook() {
    for (label, failure, on_failure, blocked) in [
        ("abort", "kill -ABRT $$", true, true),
        ("exit1", "exit 1", true, true),
        ("abort-open", "kill -ABRT $$", false, false),
    ] {
        let sb = Sandbox::new(&format!("probe-fail-{label}"));
        let script = sb.dir.path().join("crash.sh");
        sb.write(
            &script,
            &format!("#!/bin/sh\nin=$(cat)\ncase \"$in\" in *'\"PreToolUse\"'*) {failure};; esac\nexit 0\n"),
        );
        crate::harness::make_executable(&script);
        let mut settings = crate::harness::settings_for(&crate::harness::HookCommand {
            command: script,
            args: vec![],
        });
        if !on_failure {
            settings["hooks"]["PreToolUse"][0]["hooks"][0]
                .as_object_mut()
                .unwrap()
                .remove("onFailure");
        }
        sb.write_settings(&sb.project, &settings);
        let m = format!("probefail{}", label.replace('-', ""));
        let r = sb.run(&m, vec![crate::bash("touch ran.txt")], &RunOpts::default());
        assert_eq!(r.status, Some(0), "{label}: {}", r.describe());
        let ran = sb.project.join("ran.txt").exists();
        let (text, is_error) = sb
            .model
            .tool_result(&tool_use_id(&m, 0, 0))
            .expect("tool_result");
        if std::env::var_os("BLASTWALL_E2E_SHOW").is_some() {
            eprintln!("{label}: ran={ran} is_error={is_error} model saw: {text:?}");
        }
        assert_eq!(ran, !blocked, "{label}: ran={ran}, model saw {text:?}");
        if blocked {
            assert!(
                is_error && text.contains("blocking because onFailure is \"block\""),
                "{label}: {text}"
            );
        }
    }
}

/// The whole registration (UserPromptSubmit included) points at a hook that cannot start: with
/// `onFailure: "block"` even the prompt is refused, so the model is never asked anything.
#[test]
fn client_onfailure_block_missing_hook_binary() {
    let sb = Sandbox::new("probe-missing");
    sb.register(&crate::harness::HookCommand {
        command: sb.dir.path().join("nope/blastwall"),
        args: vec!["hook".into()],
    });
    let r = sb.run(
        "probemissing",
        vec![crate::bash("touch ran.txt")],
        &RunOpts::default(),
    );
    // Note: the client still exits 0 with `is_error: false`; only `result` says what happened.
    assert_eq!(r.status, Some(0), "{}", r.describe());
    let result = r.result["result"].as_str().unwrap_or_default();
    assert!(
        result.starts_with("UserPromptSubmit operation blocked by hook"),
        "{}",
        r.describe()
    );
    assert!(
        result.contains("blocking because onFailure is \"block\"") && result.contains("ENOENT"),
        "{result}"
    );
    assert!(
        sb.model.requests().is_empty(),
        "the model was asked although the prompt hook failed"
    );
    assert!(!sb.project.join("ran.txt").exists());
}

/// Hazards for output redaction, pinned so a client change shows up here:
/// - Read's `updatedToolOutput` must be the whole shape: a plain string, or a `file` object
///   without its line counts, is silently ignored and the ORIGINAL reaches the model;
/// - a Bash command that exits non-zero fires PostToolUseFailure, not PostToolUse; there
///   `updatedToolOutput` (object or string) and `continue: false` are ignored, so the original
///   stdout+stderr reach the model (as `Exit code N\n…`); only `additionalContext` is applied;
/// - PostToolUse `continue: false` ends the session before the tool's output is sent anywhere:
///   the one fail-closed fallback when a replacement cannot be built.
#[test]
fn client_output_redaction_hazards() {
    let sb = Sandbox::new("probe-hazards");
    let (hook, dir) = sb.stub_hook();
    let mut settings = crate::harness::settings_for(&hook);
    settings["hooks"]["PostToolUseFailure"] = settings["hooks"]["PostToolUse"].clone();
    sb.write_settings(&sb.project, &settings);
    let a = sb.project.join("a.txt").to_string_lossy().into_owned();
    let b = sb.project.join("b.txt").to_string_lossy().into_owned();
    sb.write(std::path::Path::new(&a), "ORIGINAL-A\n");
    sb.write(std::path::Path::new(&b), "ORIGINAL-B\n");
    let m = "probehaz";
    let answer = |step: usize, event: &str, v: Value| {
        write_json(
            &dir.join(format!("{event}-{}.json", tool_use_id(m, step, 0))),
            &v,
        );
    };
    answer(
        0,
        "PostToolUse",
        json!({"hookSpecificOutput": {"hookEventName": "PostToolUse",
        "updatedToolOutput": "REPLACED-STRING"}}),
    );
    answer(
        1,
        "PostToolUse",
        json!({"hookSpecificOutput": {"hookEventName": "PostToolUse",
        "updatedToolOutput": {"type": "text", "file": {"filePath": b, "content": "REPLACED-PARTIAL\n"}}}}),
    );
    answer(
        2,
        "PostToolUseFailure",
        json!({"continue": false, "stopReason": "stop",
        "hookSpecificOutput": {"hookEventName": "PostToolUseFailure", "additionalContext": "CTX-FAILURE",
        "updatedToolOutput": {"stdout": "REPLACED-FAIL", "stderr": "", "interrupted": false,
                              "isImage": false, "noOutputExpected": false}}}),
    );
    answer(
        3,
        "PostToolUse",
        json!({"continue": false, "stopReason": "stop",
        "hookSpecificOutput": {"hookEventName": "PostToolUse"}}),
    );
    let r = sb.run(
        m,
        vec![
            Turn::tool("Read", json!({"file_path": a})),
            Turn::tool("Read", json!({"file_path": b})),
            crate::bash("echo ORIGINAL-FAIL-OUT; echo ORIGINAL-FAIL-ERR >&2; exit 3"),
            crate::bash("echo ORIGINAL-STOPPED"),
            crate::bash("echo never-reached"),
        ],
        &RunOpts::default(),
    );
    assert_eq!(r.status, Some(0), "{}", r.describe());
    let seen = |step| sb.model.tool_result(&tool_use_id(m, step, 0));
    assert_eq!(
        seen(0),
        Some(("1\tORIGINAL-A\n2\t".to_string(), false)),
        "string for Read"
    );
    assert_eq!(
        seen(1),
        Some(("1\tORIGINAL-B\n2\t".to_string(), false)),
        "partial Read shape"
    );
    assert_eq!(
        seen(2),
        Some((
            "Exit code 3\nORIGINAL-FAIL-OUT\nORIGINAL-FAIL-ERR".to_string(),
            true
        )),
        "PostToolUseFailure replacement"
    );
    let after_failure = sb
        .model
        .request_at_step(m, 3)
        .expect("continue:false on a failure is ignored");
    assert!(after_failure
        .body
        .to_string()
        .contains("PostToolUseFailure:Bash hook additional context: CTX-FAILURE"));
    // continue:false on PostToolUse: the output of step 3 is never sent, nothing runs after it.
    assert_eq!(seen(3), None);
    assert!(!sb.model.all_request_text().contains("ORIGINAL-STOPPED"));
    assert!(sb.model.request_at_step(m, 4).is_none());
}
