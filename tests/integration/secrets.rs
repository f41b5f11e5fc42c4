//! Secrets end to end: values blastwall knows from its own environment are withheld by exact
//! match, in every output shape and encoding, and never printed or logged.
use serde_json::{json, Value};

use crate::{hook, run, Sandbox};

/// A password nothing in the output would betray by its shape: only the environment says it
/// is one.
const PASSWORD: &str = "Zq8-vR2mK7pLw4Tx";

fn post(sb: &Sandbox, tool: &str, response: Value) -> Value {
    let mut ev = sb.pre_tool_use(tool, json!({"command": "env", "description": "x"}));
    ev["hook_event_name"] = "PostToolUse".into();
    ev["tool_response"] = response;
    ev
}

fn with_env(sb: &Sandbox, ev: &Value) -> crate::Output {
    let mut cmd = sb.cmd(&["hook"]);
    cmd.env("ACME_DB_PASSWORD", PASSWORD);
    run(cmd, ev.to_string().as_bytes())
}

fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// The value of a secret variable in blastwall's environment is withheld wherever the tool
/// prints it: bare, inside a Basic auth header (base64 at an offset), URL-encoded and hex; in
/// Bash output and in an MCP text block; the answer and the audit log never hold it.
#[test]
fn environment_secret_is_withheld_in_every_form_and_shape() {
    let sb = Sandbox::new();
    let basic = b64(format!("admin:{PASSWORD}").as_bytes());
    let hex: String = PASSWORD.bytes().map(|b| format!("{b:02x}")).collect();
    let stdout = format!(
        "connected with {PASSWORD}\nAuthorization: Basic {basic}\nhex {hex}\n?p=Zq8-vR2mK7pLw4Tx&x\n"
    );
    for (tool, response) in [
        (
            "Bash",
            json!({"stdout": stdout, "stderr": "", "interrupted": false, "isImage": false}),
        ),
        ("mcp__db__query", json!([{"type": "text", "text": stdout}])),
    ] {
        let out = with_env(&sb, &post(&sb, tool, response));
        assert_eq!(out.code, Some(0), "{out:?}");
        let v = out.answer().expect("a redaction answer");
        let updated = v["hookSpecificOutput"]["updatedToolOutput"].to_string();
        for leaked in [
            PASSWORD,
            basic.trim_end_matches('=').get(8..20).unwrap(),
            &hex,
        ] {
            assert!(
                !out.stdout.contains(leaked),
                "{tool}: {leaked} in {}",
                out.stdout
            );
        }
        assert!(
            updated.contains("[REDACTED:env:ACME_DB_PASSWORD]"),
            "{updated}"
        );
        assert!(updated.contains("connected with [REDACTED"), "{updated}");
    }
    let log = std::fs::read_to_string(sb.home.join(".local/state/blastwall/audit.jsonl")).unwrap();
    assert!(!log.contains(PASSWORD), "the audit log holds the value");
}

/// Without the variable the same bare value is not a secret to the detector: the exact match
/// is what found it (the test above is not passing by the rules alone).
#[test]
fn bare_value_is_ordinary_text_without_the_environment() {
    let sb = Sandbox::new();
    let ev = post(
        &sb,
        "Bash",
        json!({"stdout": format!("connected with {PASSWORD}\n"), "stderr": ""}),
    );
    let out = hook(&sb, &ev);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.answer().is_none(), "{}", out.stdout);
}

/// A prompt that carries the value is blocked, without repeating it.
#[test]
fn prompt_with_an_environment_secret_is_blocked() {
    let sb = Sandbox::new();
    let ev = json!({"session_id": "s", "transcript_path": "/t", "cwd": sb.project, "permission_mode": "default", "hook_event_name": "UserPromptSubmit", "prompt": format!("the db password is {PASSWORD}")});
    let out = with_env(&sb, &ev);
    let v = out.answer().expect("a block");
    assert_eq!(v["decision"], "block", "{v}");
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
}

/// `blastwall scrub` redacts the environment's values too.
#[test]
fn scrub_redacts_environment_values() {
    let sb = Sandbox::new();
    let mut cmd = sb.cmd(&["scrub"]);
    cmd.env("ACME_DB_PASSWORD", PASSWORD);
    let out = run(cmd, format!("a {PASSWORD} b\n").as_bytes());
    assert_eq!(
        out.stdout, "a [REDACTED:env:ACME_DB_PASSWORD] b\n",
        "{out:?}"
    );
}

/// A variable whose name has a credential word but that the detector does not take for a
/// secret (`NEXT_PAGE_TOKEN` is a cursor) is judged when its value shows up, and left alone;
/// a variable with no credential word is never a candidate.
#[test]
fn environment_values_the_detector_does_not_flag_stay() {
    let sb = Sandbox::new();
    let cursor = "Zq8vR2mK7pLw4Tx9";
    let build = "b7Xk2-release-9Qm4";
    let ev = post(
        &sb,
        "Bash",
        json!({"stdout": format!("next {cursor}\nbuild {build}\n"), "stderr": ""}),
    );
    let mut cmd = sb.cmd(&["hook"]);
    cmd.env("NEXT_PAGE_TOKEN", cursor).env("BUILD_LABEL", build);
    let out = run(cmd, ev.to_string().as_bytes());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.answer().is_none(), "{}", out.stdout);
}
