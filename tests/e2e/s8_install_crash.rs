//! Scenario 8: the settings `blastwall install` writes work as they are, and a blastwall that
//! crashes still blocks, because its registration carries `onFailure: "block"`.
use std::process::Command;

use serde_json::{json, Value};

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{blastwall_bin, HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, bash};

/// What the client says when a hook with `onFailure: "block"` fails (verified in
/// probe::client_onfailure_block_*).
const ON_FAILURE_BLOCK: &str = "blocking because onFailure is \"block\"";

#[test]
#[ignore = "waits for `blastwall install`"]
fn s8_settings_written_by_install_work_as_they_are() {
    let sb = Sandbox::new("s8-install");
    // Run the installer the way a user would: in the project, with (the temp) HOME.
    let out = Command::new(blastwall_bin())
        .arg("install")
        .current_dir(&sb.project)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .output()
        .expect("run blastwall install");
    assert!(out.status.success(), "blastwall install failed: {}", String::from_utf8_lossy(&out.stderr));
    // Wherever it registered (user or project settings), the registration must fail closed.
    let candidates = [sb.home.join(".claude/settings.json"), sb.project.join(".claude/settings.json")];
    let written: Vec<Value> = candidates
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| serde_json::from_str(&t).expect("settings.json written by install is JSON"))
        .collect();
    assert!(!written.is_empty(), "blastwall install wrote neither {candidates:?}");
    let pre = written
        .iter()
        .find_map(|s| s["hooks"]["PreToolUse"].as_array().cloned())
        .expect("a PreToolUse registration");
    let hooks: Vec<&Value> = pre.iter().flat_map(|m| m["hooks"].as_array().into_iter().flatten()).collect();
    assert!(!hooks.is_empty(), "{pre:?}");
    for h in &hooks {
        assert_eq!(h["onFailure"], "block", "{h}");
        assert!(h["timeout"].as_u64().is_some_and(|t| t > 0 && t <= 60), "{h}");
    }

    // Unchanged settings, real client: the embedded default denies reading a credential store.
    let key = sb.home.join(".ssh/id_rsa");
    sb.write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\nE2EINSTALLKEY\n");
    let r = sb.run("s8inst", vec![Turn::tool("Read", json!({"file_path": key.to_string_lossy()}))], &RunOpts::default());
    assert_finished(&r);
    assert_blocked(&sb, &r, &tool_use_id("s8inst", 0, 0), &["blastwall: denied by rule `"]);
    assert!(!sb.model.all_request_text().contains("E2EINSTALLKEY"));
    assert!(!sb.audit().is_empty(), "the installed hook wrote no audit log");
}

/// Registered by hand (as `install` will), the blastwall binary is gone (uninstalled, moved,
/// `cargo clean`): the client cannot start the hook, and `onFailure` blocks. The first hook to
/// run is UserPromptSubmit, so the prompt itself is refused and the model is never asked.
#[test]
fn s8_missing_blastwall_binary_blocks() {
    let sb = Sandbox::new("s8-missing");
    let gone = sb.dir.path().join("bin/blastwall");
    sb.register(&HookCommand { command: gone, args: vec!["hook".into()] });
    let r = sb.run("s8gone", vec![bash("touch ran.txt")], &RunOpts::default());
    assert_finished(&r);
    assert!(!sb.project.join("ran.txt").exists(), "the call ran without its hook");
    assert_prompt_refused(&sb, &r);
}

/// The client refused the prompt because the UserPromptSubmit hook failed: no model request
/// was made. (The client still exits 0 with `is_error: false`; only `result` says so.)
fn assert_prompt_refused(sb: &Sandbox, r: &crate::harness::RunResult) {
    let result = r.result["result"].as_str().unwrap_or_default();
    assert!(result.starts_with("UserPromptSubmit operation blocked by hook"), "{}", r.describe());
    assert!(result.contains(ON_FAILURE_BLOCK), "{result}");
    assert!(sb.model.requests().is_empty(), "the model was asked although the prompt hook failed");
}

/// The fault-injection test build panics inside the hook: the catch-all in main must turn that
/// into a deny (exit 0 with JSON), so nothing runs and no `onFailure` is needed.
#[test]
#[cfg_attr(not(feature = "fault-injection"), ignore = "needs the test build: cargo test --test e2e --features fault-injection")]
fn s8_panicking_blastwall_blocks() {
    let sb = crashing_blastwall("panic");
    // The prompt hook answers too (a panic is caught); either the prompt or the call was
    // refused by blastwall's own answer, not by a client-side failure.
    assert!(!sb.1.result.to_string().contains(ON_FAILURE_BLOCK), "the panic escaped the catch-all: {}", sb.1.describe());
}

/// A crash no catch-all can answer (abort: SIGABRT, no unwinding): only `onFailure` stands
/// between the crash and the call.
#[test]
#[cfg_attr(not(feature = "fault-injection"), ignore = "needs the test build: cargo test --test e2e --features fault-injection")]
fn s8_aborting_blastwall_blocks_through_on_failure() {
    let (sb, r) = crashing_blastwall("abort");
    let id = tool_use_id("s8abort", 0, 0);
    if sb.model.requests().is_empty() {
        assert_prompt_refused(&sb, &r);
    } else {
        assert_blocked(&sb, &r, &id, &[ON_FAILURE_BLOCK]);
    }
}

/// Runs one `touch ran.txt` with blastwall crashing in the way `fault` names (the test build
/// reads BLASTWALL_FAULT; hooks inherit the client's environment) and checks it did not run.
fn crashing_blastwall(fault: &str) -> (Sandbox, crate::harness::RunResult) {
    let sb = Sandbox::new(&format!("s8-{fault}"));
    sb.register(&HookCommand::blastwall(&[]));
    let mut opts = RunOpts::default();
    opts.extra_env.push(("BLASTWALL_FAULT".into(), fault.into()));
    let m = format!("s8{fault}");
    let r = sb.run(&m, vec![bash("touch ran.txt")], &opts);
    assert_finished(&r);
    assert!(!sb.project.join("ran.txt").exists(), "the call ran although blastwall crashed ({fault})");
    // Something refused: the prompt (no request reached the model) or the call.
    if !sb.model.requests().is_empty() {
        assert_blocked(&sb, &r, &tool_use_id(&m, 0, 0), &[]);
    }
    (sb, r)
}
