//! The fail-closed paths of the hook entry point, in process.
use serde_json::Value;

use super::*;
use crate::exit::Exit;

fn opts() -> Options {
    Options {
        isolated: true,
        ..Options::default()
    }
}

fn decision_of(a: &Answer) -> Option<String> {
    a.stdout
        .as_ref()?
        .pointer("/hookSpecificOutput/permissionDecision")?
        .as_str()
        .map(str::to_string)
}

fn reason_of(a: &Answer) -> String {
    a.reason()
}

fn pre_event(tool: &str, input: &str) -> String {
    format!(
        r#"{{"session_id":"s","transcript_path":"/t","cwd":"/tmp","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"{tool}","tool_input":{input},"tool_use_id":"t1"}}"#
    )
}

fn run_bytes(bytes: &[u8]) -> Answer {
    run(&mut &bytes[..], &opts())
}

#[test]
fn malformed_json_denies_with_exit_2() {
    let a = run_bytes(b"{\"hook_event_name\": \"PreToolUse\", ");
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert_eq!(a.exit, Exit::Block);
    assert!(a
        .stderr
        .as_deref()
        .unwrap_or("")
        .contains("not a valid event"));
}

#[test]
fn empty_stdin_denies() {
    let a = run_bytes(b"");
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert_eq!(a.exit, Exit::Block);
    assert!(reason_of(&a).contains("empty"));
}

#[test]
fn invalid_utf8_denies() {
    let a = run_bytes(b"{\"hook_event_name\":\"PreToolUse\",\"x\":\"\xff\"}");
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert!(reason_of(&a).contains("UTF-8"));
}

#[test]
fn oversized_stdin_denies_without_reading_it_all() {
    // 100 MB of input: refused after MAX_INPUT_BYTES + 1.
    struct Endless(usize);
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0);
            buf[..n].fill(b' ');
            self.0 -= n;
            Ok(n)
        }
    }
    let a = run(&mut Endless(100 * 1024 * 1024), &opts());
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert!(reason_of(&a).contains("larger than"));
}

#[test]
fn missing_fields_deny_a_pre_tool_use() {
    let a = run_bytes(br#"{"hook_event_name":"PreToolUse","cwd":"/tmp","tool_input":{}}"#);
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert_eq!(a.exit, Exit::Ok);
    assert!(
        reason_of(&a).contains("without `tool_name`"),
        "{}",
        reason_of(&a)
    );
    let a = run_bytes(br#"{"hook_event_name":"PreToolUse","cwd":"relative","tool_name":"Read","tool_input":{"file_path":"/x"}}"#);
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
}

#[test]
fn broken_policy_denies_and_points_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("policy.toml");
    std::fs::write(&f, "version = 1\n[settings]\non_allow = [\n").unwrap();
    let o = Options {
        policy_file: Some(f.clone()),
        isolated: true,
        ..Options::default()
    };
    let ev = pre_event("Read", r#"{"file_path":"/tmp/a"}"#);
    let a = run(&mut ev.as_bytes(), &o);
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    let r = reason_of(&a);
    assert!(
        r.contains("policy.toml:3:") || r.contains("policy.toml:4:"),
        "{r}"
    );
    // A --policy file that does not exist is an error too (not a silently missing layer).
    let o = Options {
        policy_file: Some(dir.path().join("nope.toml")),
        isolated: true,
        ..Options::default()
    };
    let a = run(&mut ev.as_bytes(), &o);
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert!(reason_of(&a).contains("nope.toml"));
}

#[test]
fn panic_in_the_judge_becomes_a_deny() {
    fn panicking(_: &HookEvent, _: &Options) -> Result<Answer, HookError> {
        #[allow(clippy::panic)]
        {
            panic!("injected")
        }
    }
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ev = input::parse(pre_event("Bash", r#"{"command":"ls"}"#).as_bytes()).unwrap();
    let a = run_event(ev, &opts(), panicking);
    std::panic::set_hook(prev);
    assert_eq!(decision_of(&a).as_deref(), Some("deny"));
    assert!(reason_of(&a).contains("panic"));
}

#[test]
fn panic_on_a_prompt_blocks_it() {
    fn panicking(_: &HookEvent, _: &Options) -> Result<Answer, HookError> {
        Err(HookError::Internal("boom".into()))
    }
    let ev = input::parse(br#"{"hook_event_name":"UserPromptSubmit","cwd":"/tmp","prompt":"hi"}"#)
        .unwrap();
    let a = run_event(ev, &opts(), panicking);
    assert_eq!(
        a.stdout
            .as_ref()
            .and_then(|v| v.get("decision"))
            .and_then(Value::as_str),
        Some("block")
    );
}

#[test]
fn other_events_get_no_decision() {
    for name in [
        "PostToolUseFailure",
        "SessionStart",
        "Stop",
        "SubagentStop",
        "Notification",
    ] {
        let ev = format!(r#"{{"hook_event_name":"{name}","cwd":"/tmp","session_id":"s"}}"#);
        let a = run_bytes(ev.as_bytes());
        assert_eq!(a, Answer::none(), "{name}");
    }
}

#[test]
fn allowed_call_prints_nothing_by_default_and_allow_when_configured() {
    let ev = pre_event("Read", r#"{"file_path":"/tmp/notes.txt"}"#);
    let a = run_bytes(ev.as_bytes());
    assert_eq!(a, Answer::none());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("policy.toml");
    std::fs::write(&f, "version = 1\n[settings]\non_allow = \"allow\"\n").unwrap();
    let o = Options {
        policy_file: Some(f),
        isolated: true,
        ..Options::default()
    };
    let a = run(&mut ev.as_bytes(), &o);
    assert_eq!(decision_of(&a).as_deref(), Some("allow"));
}

#[test]
fn deny_answer_has_the_protocol_shape() {
    let ev = pre_event("Write", r#"{"file_path":"/etc/passwd","content":""}"#);
    let a = run_bytes(ev.as_bytes());
    let v = a.stdout.unwrap();
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    let r = v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(
        r.starts_with("blastwall: denied by rule `write-scope` (embedded:default.toml:"),
        "{r}"
    );
    assert_eq!(a.exit, Exit::Ok);
}

#[test]
fn failure_on_post_tool_use_failure_names_its_own_event() {
    // Regression (found by the e2e suite): the client rejects "PostToolUse" as the event name of
    // a PostToolUseFailure answer, and with onFailure=block that became a blocking error.
    fn failing(_: &HookEvent, _: &Options) -> Result<Answer, HookError> {
        Err(HookError::Internal("boom".into()))
    }
    for (name, want) in [
        ("PostToolUseFailure", "PostToolUseFailure"),
        ("PostToolUse", "PostToolUse"),
    ] {
        let ev = input::parse(format!(r#"{{"hook_event_name":"{name}","cwd":"/tmp","tool_name":"Bash","tool_input":{{}}}}"#).as_bytes()).unwrap();
        let a = run_event(ev, &opts(), failing);
        assert_eq!(
            a.stdout.unwrap()["hookSpecificOutput"]["hookEventName"],
            want
        );
    }
}
