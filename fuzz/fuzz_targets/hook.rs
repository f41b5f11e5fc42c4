//! The hook entry point: any bytes on stdin → an answer Claude Code cannot misread.
//!
//! Invariants (beyond "no crash"): the process would exit 0 or 2 and nothing else; stdout, when
//! present, is one line of JSON; a PreToolUse always gets a JSON `permissionDecision` of allow,
//! ask or deny (the policy turns on `on_allow = "allow"` so that allow is explicit too); input
//! that is not an event gets exit 2 and a deny.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use blastwall::exit::Exit;
use blastwall::hook::{self, Options};
use blastwall::input::{self, EventKind, MAX_INPUT_BYTES};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use serde_json::Value;

fn options() -> &'static Options {
    static O: OnceLock<Options> = OnceLock::new();
    O.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("blastwall-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // PostToolUse events write session state (taint) under the state dir: keep it in the
        // scratch directory, not in the real home.
        std::env::set_var("HOME", &dir);
        std::env::set_var("XDG_STATE_HOME", dir.join("state"));
        let file: PathBuf = dir.join("policy.toml");
        std::fs::write(&file, "version = 1\n[settings]\non_allow = \"allow\"\n").unwrap();
        Options {
            isolated: true,
            policy_file: Some(file),
            ..Default::default()
        }
    })
}

fuzz_target!(|data: &[u8]| {
    common::tolerate_caught_parser_panics();
    let answer = hook::run(&mut &data[..], options());
    assert!(
        matches!(answer.exit, Exit::Ok | Exit::Block),
        "exit {:?}",
        answer.exit
    );
    if let Some(out) = &answer.stdout {
        let line = serde_json::to_string(out).unwrap();
        assert!(!line.contains('\n'), "stdout must be one line");
        let _: Value = serde_json::from_str(&line).unwrap();
    }
    let event = if data.len() <= MAX_INPUT_BYTES {
        input::parse(data).ok()
    } else {
        None
    };
    // The client ignores an answer whose event name is not the event's own.
    if let (Some(ev), Some(name)) = (
        &event,
        answer
            .stdout
            .as_ref()
            .and_then(|o| o.pointer("/hookSpecificOutput/hookEventName")),
    ) {
        assert_eq!(
            name,
            ev.hook_event_name.as_str(),
            "answer for another event"
        );
    }
    match event.as_ref().map(|e| e.kind()) {
        None => {
            assert_eq!(answer.exit, Exit::Block, "unreadable input must exit 2");
            assert_eq!(answer.decision, "deny");
        }
        Some(EventKind::PreToolUse) => {
            assert_eq!(answer.exit, Exit::Ok);
            // Questions for the user and plan approval stay the user's even under
            // auto-approve: an allowed call of these tools gets no answer (src/hook.rs).
            let user_tool = matches!(
                event.as_ref().and_then(|e| e.tool_name.as_deref()),
                Some("AskUserQuestion" | "ExitPlanMode" | "EnterPlanMode")
            );
            if user_tool && answer.stdout.is_none() {
                assert_eq!(answer.decision, "pass");
                return;
            }
            let out = answer
                .stdout
                .as_ref()
                .expect("a PreToolUse must get a JSON answer");
            let hso = out.get("hookSpecificOutput").expect("hookSpecificOutput");
            assert_eq!(hso["hookEventName"], "PreToolUse");
            let d = hso["permissionDecision"]
                .as_str()
                .expect("permissionDecision");
            assert!(matches!(d, "allow" | "ask" | "deny"), "decision {d}");
            assert_eq!(d, answer.decision);
            let reason = hso["permissionDecisionReason"].as_str().expect("reason");
            // Claude Code caps hook strings at 10,000 characters.
            assert!(reason.chars().count() <= 10_000);
        }
        Some(_) => assert_eq!(answer.exit, Exit::Ok),
    }
});
