//! Self-tests of the harness against a shell-script hook, independent of blastwall.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};

#[test]
fn harness_shell_hook_deny_reaches_model() {
    let sb = Sandbox::new("probe");
    let hook = sb.dir.path().join("hook.sh");
    let log = sb.dir.path().join("hook-events.jsonl");
    sb.write(
        &hook,
        &format!(
            "#!/bin/sh\nin=$(cat)\nprintf '%s\\n' \"$in\" >> '{}'\ncase \"$in\" in *'\"PreToolUse\"'*) printf '%s' '{{\"hookSpecificOutput\":{{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"probe says no\"}}}}';; esac\nexit 0\n",
            log.display()
        ),
    );
    std::process::Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    sb.register(&HookCommand { command: hook, args: vec![] });
    let victim = sb.project.join("victim.txt");
    sb.write(&victim, "keep me");
    let r = sb.run(
        "probe",
        vec![Turn::tool("Bash", json!({"command": "rm victim.txt", "description": "remove"}))],
        &RunOpts::default(),
    );
    eprintln!("{}", r.describe());
    for req in sb.model.requests() { eprintln!("REQ {} marker={:?} step={} tools={}", req.path, req.marker, req.step, crate::fake_model::has_tools(&req.body)); }
    eprintln!("HOOK LOG:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    assert!(victim.exists());
    let (text, is_error) = sb.model.tool_result(&tool_use_id("probe", 0, 0)).expect("tool_result");
    eprintln!("RESULT {is_error} {text}");
    assert!(is_error && text.contains("probe says no"));
}
