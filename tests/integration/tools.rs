//! The state tools: `log`, `taint`, `policy show`, `doctor`, each on good and bad input.
use serde_json::{json, Value};

use crate::{hook, run, Sandbox};

fn audit_path(sb: &Sandbox) -> std::path::PathBuf {
    sb.home.join(".local/state/blastwall/audit.jsonl")
}

/// Three calls from two agents: a deny and a pass on the main thread, an ask from a subagent.
fn some_history(sb: &Sandbox) {
    hook(
        sb,
        &sb.pre_tool_use("Read", json!({"file_path": sb.home.join(".ssh/id_rsa")})),
    );
    hook(
        sb,
        &sb.pre_tool_use("Read", json!({"file_path": sb.project.join("a.rs")})),
    );
    let mut sub = sb.pre_tool_use(
        "WebFetch",
        json!({"url": "https://example.org/x", "prompt": "p"}),
    );
    sub["agent_id"] = "agent-7".into();
    sub["agent_type"] = "Explore".into();
    hook(sb, &sub);
}

#[test]
fn log_filters_and_summarises_per_agent() {
    let sb = Sandbox::new();
    some_history(&sb);
    let out = run(sb.cmd(&["log"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("deny  Read"), "{}", out.stdout);
    assert!(out.stdout.contains("[credential-stores]"), "{}", out.stdout);
    assert!(out.stdout.contains("agent-7 (Explore)"), "{}", out.stdout);
    assert!(out.stdout.contains("per agent"), "{}", out.stdout);

    let out = run(sb.cmd(&["log", "--json", "--decision", "deny"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(
        (lines[0]["v"].as_u64(), lines[0]["rule"].as_str()),
        (Some(1), Some("credential-stores"))
    );

    let out = run(sb.cmd(&["log", "--agent", "Explore", "--summary"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("agent-7 (Explore)") && !out.stdout.contains(" main "),
        "{}",
        out.stdout
    );
    let out = run(
        sb.cmd(&[
            "log",
            "--since",
            "1h",
            "--rule",
            "credential-stores",
            "--json",
        ]),
        b"",
    );
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let out = run(
        sb.cmd(&["log", "--session", "no-such-session", "--json"]),
        b"",
    );
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), ""));

    // A line that is not a record is skipped and counted, not fatal.
    let mut text = std::fs::read_to_string(audit_path(&sb)).unwrap();
    text.push_str("not json\n");
    std::fs::write(audit_path(&sb), text).unwrap();
    let out = run(sb.cmd(&["log", "--json"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("skipped 1 line"), "{}", out.stderr);
}

#[test]
fn log_bad_input() {
    let sb = Sandbox::new();
    let out = run(sb.cmd(&["log"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("no audit log yet"), "{}", out.stderr);
    let out = run(sb.cmd(&["log", "--since", "yesterday"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("--since yesterday"), "{}", out.stderr);
    let out = run(sb.cmd(&["log", "--follow", "--summary"]), b"");
    assert_eq!(out.code, Some(2), "{out:?}");
    let out = run(sb.cmd(&["log", "--decision"]), b"");
    assert_eq!(out.code, Some(2), "{out:?}");
    sb.write(&sb.user_policy(), "version = 1\n[settings]\non_allow = [\n");
    let out = run(sb.cmd(&["log"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("policy.toml:"), "{}", out.stderr);
}

#[test]
fn taint_list_and_clear() {
    let sb = Sandbox::new();
    let dir = sb.home.join(".local/state/blastwall/taint");
    let out = run(sb.cmd(&["taint", "list"]), b"");
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "no tainted sessions\n")
    );
    sb.write(
        &dir.join("sess-a"),
        "WebFetch output from https://evil.example",
    );
    sb.write(&dir.join("sess-b"), "mcp__x output");
    let out = run(sb.cmd(&["taint", "list"]), b"");
    assert!(
        out.stdout.contains("sess-a  since ") && out.stdout.contains("evil.example"),
        "{}",
        out.stdout
    );
    let out = run(sb.cmd(&["taint", "clear", "sess-c"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("not tainted"), "{}", out.stderr);
    let out = run(sb.cmd(&["taint", "clear", "../taint/sess-a"]), b"");
    assert_eq!(out.code, Some(1), "a path is not a session: {out:?}");
    let out = run(sb.cmd(&["taint", "clear", "sess-a"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!dir.join("sess-a").exists() && dir.join("sess-b").exists());
    for bad in [
        &["taint", "clear"][..],
        &["taint", "clear", "--all", "sess-b"],
        &["taint"],
        &["taint", "lst"],
    ] {
        let out = run(sb.cmd(bad), b"");
        assert_eq!(out.code, Some(2), "{bad:?}: {out:?}");
    }
    let out = run(sb.cmd(&["taint", "clear", "--all"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!dir.join("sess-b").exists());
}

#[test]
fn policy_show_merged_and_default() {
    let sb = Sandbox::new();
    let out = run(
        sb.cmd(&["policy", "show", "--default", "--line", "95"]),
        b"",
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains(">  95 | "), "{}", out.stdout);
    let out = run(
        sb.cmd(&["policy", "show", "--default", "--line", "99999"]),
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let out = run(sb.cmd(&["policy", "show", "--line", "5"]), b"");
    assert_eq!(out.code, Some(2), "{out:?}");

    sb.write(
        &sb.user_policy(),
        "version = 1\n[network]\nallow_hosts = [\"internal.example\"]\n",
    );
    let out = run(sb.cmd(&["policy", "show"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("internal.example"), "{}", out.stdout);
    assert!(
        out.stdout.contains("blastwall/policy.toml:3"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("id = \"credential-stores\""),
        "{}",
        out.stdout
    );
    let out = run(sb.cmd(&["policy", "show", "--isolated"]), b"");
    assert!(!out.stdout.contains("internal.example"), "{}", out.stdout);

    sb.write(
        &sb.user_policy(),
        "version = 1\n[network]\nunlisted = \"maybe\"\n",
    );
    let out = run(sb.cmd(&["policy", "show"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("policy.toml:3:"), "{}", out.stderr);
}

#[test]
fn doctor_reports_problems_with_fixes() {
    let sb = Sandbox::new();
    let out = run(sb.cmd(&["doctor", "--no-client"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout
            .contains("FAIL  no blastwall hook for PreToolUse"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: run `blastwall install`"),
        "{}",
        out.stdout
    );

    let out = run(sb.cmd(&["install"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = run(sb.cmd(&["doctor", "--no-client"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    for needle in [
        "ok    hook registered in",
        "ok    policy layers load",
        "ok    audit log writable",
        "ok    self-test",
        "sandbox",
    ] {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }

    // A settings file Claude Code cannot read, and a registration whose binary is gone.
    let shared = sb.project.join(".claude/settings.json");
    sb.write(&shared, "{ // comment\n}");
    let user = sb.home.join(".claude/settings.json");
    sb.write(&user, &json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "/gone/blastwall", "args": ["hook"]}]}]}}).to_string());
    let out = run(sb.cmd(&["doctor", "--no-client"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("is not valid JSON"), "{}", out.stdout);
    assert!(
        out.stdout.contains("/gone/blastwall does not exist"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("onFailure"), "{}", out.stdout);
    let out = run(
        sb.cmd(&["doctor", "--project", "/no/such/dir", "--no-client"]),
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:?}");
}

/// `lint` reports every file in one run, warnings included, in each format; warnings fail
/// only with --deny-warnings.
#[test]
fn lint_reports_every_problem_in_every_format() {
    let sb = Sandbox::new();
    let warn = sb.project.join("warn.toml");
    sb.write(
        &warn,
        "version = 1\n[network]\nallow_hosts = [\"https://internal.example/api\"]\n",
    );
    let bad = sb.project.join("bad.toml");
    sb.write(&bad, "version = 1\n[network]\nunlisted = \"maybe\"\n");
    let missing = sb.project.join("missing.toml");
    let (w, b, m) = (
        warn.to_str().unwrap(),
        bad.to_str().unwrap(),
        missing.to_str().unwrap(),
    );

    let out = run(sb.cmd(&["lint", w]), b"");
    assert_eq!(out.code, Some(0), "warnings alone pass: {out:?}");
    assert!(
        out.stdout.contains("warning[host-as-url]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("write `internal.example`"),
        "{}",
        out.stdout
    );
    let out = run(sb.cmd(&["lint", "--deny-warnings", w]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");

    let out = run(sb.cmd(&["lint", w, b, m]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    for needle in [
        "warning[host-as-url]",
        "error[invalid]",
        "bad.toml:3:",
        "missing.toml",
        "unlisted = \"maybe\"",
        "^^^",
    ] {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }

    let out = run(sb.cmd(&["lint", "--format", "github", w, b]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::warning file=") && l.contains(",line=3,")),
        "{}",
        out.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error file=") && l.contains(",line=3,")),
        "{}",
        out.stdout
    );

    let out = run(sb.cmd(&["lint", "--format=sarif", w, b]), b"");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2, "{v}");

    let out = run(sb.cmd(&["lint", "--format", "json", b]), b"");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (v["errors"].as_u64(), v["diagnostics"][0]["line"].as_u64()),
        (Some(1), Some(3))
    );

    let out = run(sb.cmd(&["lint", "--format", "xml", w]), b"");
    assert_eq!(out.code, Some(2), "{out:?}");
}
