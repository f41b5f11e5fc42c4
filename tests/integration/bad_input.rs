//! Bad input for every subcommand, one table per subcommand: missing, extra and conflicting
//! arguments (usage errors: exit 2, nothing on stdout), a broken policy (exit 1 with its
//! `file:line`, or a deny for the hook), settings files with comments, odd formatting or no
//! write permission (refused and left byte for byte as they were, or read correctly), and
//! broken input files. Each row names the kind of bad input it is.
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::{run, Sandbox};

/// A policy that does not parse (line 3) and one that parses but does not validate (line 4).
const UNPARSABLE: &str = "version = 1\n[settings]\non_allow = [\n";
const INVALID: &str = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"maybe\"\nreason = \"r\"\ntools = [\"Read\"]\n";

struct Fixture {
    sb: Sandbox,
    unparsable: PathBuf,
    invalid: PathBuf,
    event: PathBuf,
    not_json: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let sb = Sandbox::new();
        let unparsable = sb.home.join("unparsable.toml");
        sb.write(&unparsable, UNPARSABLE);
        let invalid = sb.home.join("invalid.toml");
        sb.write(&invalid, INVALID);
        let event = sb.project.join("ev.json");
        let ev = sb.pre_tool_use("Read", json!({"file_path": sb.home.join(".ssh/id_rsa")}));
        sb.write(&event, &json!({"expect": "deny", "event": ev}).to_string());
        let not_json = sb.project.join("broken.json");
        sb.write(&not_json, "{\"hook_event_name\": \"PreToolUse\", ");
        Fixture {
            sb,
            unparsable,
            invalid,
            event,
            not_json,
        }
    }

    fn p(&self, which: &std::path::Path) -> String {
        which.to_str().unwrap().to_string()
    }
}

/// One bad invocation: what kind of bad input it is, the arguments, the exit code, and a text
/// the output (stdout or stderr) must contain.
fn check(f: &Fixture, kind: &str, args: &[String], stdin: &[u8], code: i32, needle: &str) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(f.sb.cmd(&args), stdin);
    assert_eq!(out.code, Some(code), "{kind}: {args:?}: {out:?}");
    assert!(
        out.stdout.contains(needle) || out.stderr.contains(needle),
        "{kind}: {args:?}: wanted {needle:?} in {out:?}"
    );
    if code == 2 && args.first() != Some(&"hook") {
        assert_eq!(
            out.stdout, "",
            "{kind}: a usage error prints nothing on stdout"
        );
    }
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[test]
fn hook_bad_input() {
    let f = Fixture::new();
    let ev =
        f.sb.pre_tool_use("Read", json!({"file_path": f.sb.project.join("a")}));
    let ev = ev.to_string();
    for (kind, args) in [
        ("unknown argument", s(&["hook", "--bogus"])),
        ("missing value", s(&["hook", "--policy"])),
        ("extra argument", s(&["hook", "extra"])),
    ] {
        check(
            &f,
            kind,
            &args,
            ev.as_bytes(),
            2,
            "\"permissionDecision\":\"deny\"",
        );
    }
    for (kind, file, needle) in [
        ("unparsable policy", &f.unparsable, "unparsable.toml:3:"),
        ("invalid policy", &f.invalid, "invalid.toml:4:"),
    ] {
        let out = run(f.sb.cmd(&["hook", "--policy", &f.p(file)]), ev.as_bytes());
        assert_eq!(out.decision(), "deny", "{kind}: {out:?}");
        assert!(out.reason().contains(needle), "{kind}: {}", out.reason());
    }
    let out = run(f.sb.cmd(&["hook"]), b"{\"hook_event_name\": ");
    assert_eq!(out.decision(), "deny", "broken event: {out:?}");
}

#[test]
fn replay_bad_input() {
    let f = Fixture::new();
    let (e, bad) = (f.p(&f.event), f.p(&f.not_json));
    check(&f, "missing path", &s(&["replay"]), b"", 2, "required");
    check(
        &f,
        "missing value",
        &s(&["replay", &e, "--policy"]),
        b"",
        2,
        "a value is required",
    );
    check(
        &f,
        "unknown flag",
        &s(&["replay", "--bogus", &e]),
        b"",
        2,
        "unexpected argument",
    );
    check(
        &f,
        "repeated flag",
        &s(&["replay", "--format", "json", "--format", "junit", &e]),
        b"",
        2,
        "cannot be used multiple times",
    );
    check(
        &f,
        "bad value",
        &s(&["replay", "--format", "xml", &e]),
        b"",
        2,
        "invalid value 'xml'",
    );
    for (kind, file, needle) in [
        ("unparsable policy", &f.unparsable, "unparsable.toml:3:"),
        ("invalid policy", &f.invalid, "invalid.toml:4:"),
    ] {
        check(
            &f,
            kind,
            &s(&["replay", "--isolated", "--policy", &f.p(file), &e]),
            b"",
            1,
            needle,
        );
        check(
            &f,
            kind,
            &s(&["replay", "--isolated", "--diff", &f.p(file), &e]),
            b"",
            1,
            needle,
        );
    }
    check(
        &f,
        "event file not JSON",
        &s(&["replay", "--isolated", &bad]),
        b"",
        1,
        "broken.json",
    );
    check(
        &f,
        "no such path",
        &s(&["replay", "--isolated", "/no/such/events"]),
        b"",
        1,
        "/no/such/events",
    );
}

#[test]
fn explain_bad_input() {
    let f = Fixture::new();
    let e = f.p(&f.event);
    check(
        &f,
        "extra argument",
        &s(&["explain", &e, &e]),
        b"",
        2,
        "unexpected argument",
    );
    check(
        &f,
        "missing value",
        &s(&["explain", &e, "--policy"]),
        b"",
        2,
        "a value is required",
    );
    for (kind, file, needle) in [
        ("unparsable policy", &f.unparsable, "unparsable.toml:3:"),
        ("invalid policy", &f.invalid, "invalid.toml:4:"),
    ] {
        check(
            &f,
            kind,
            &s(&["explain", "--isolated", "--policy", &f.p(file), &e]),
            b"",
            1,
            needle,
        );
    }
    check(
        &f,
        "event not JSON",
        &s(&["explain", &f.p(&f.not_json)]),
        b"",
        1,
        "not JSON",
    );
    check(
        &f,
        "no such file",
        &s(&["explain", "/no/such.json"]),
        b"",
        1,
        "/no/such.json",
    );
}

#[test]
fn lint_bad_input() {
    let f = Fixture::new();
    let (u, i) = (f.p(&f.unparsable), f.p(&f.invalid));
    check(
        &f,
        "missing value",
        &s(&["lint", "--format"]),
        b"",
        2,
        "a value is required",
    );
    check(
        &f,
        "repeated flag",
        &s(&["lint", "--layer", "user", "--layer", "project", &i]),
        b"",
        2,
        "cannot be used multiple times",
    );
    check(
        &f,
        "unparsable policy",
        &s(&["lint", &u]),
        b"",
        1,
        "unparsable.toml:3:",
    );
    check(
        &f,
        "invalid policy",
        &s(&["lint", &i]),
        b"",
        1,
        "invalid.toml:4:",
    );
    check(
        &f,
        "no such file",
        &s(&["lint", "/no/such.toml"]),
        b"",
        1,
        "/no/such.toml",
    );
    // The layers in effect, one of them broken.
    f.sb.write(&f.sb.user_policy(), INVALID);
    check(
        &f,
        "broken layer in effect",
        &s(&["lint"]),
        b"",
        1,
        "policy.toml:4:",
    );
}

/// Every error of a file in one run, each at its own line with the source and a caret.
#[test]
fn lint_reports_every_error_of_a_file_in_one_run() {
    let f = Fixture::new();
    let file = f.sb.project.join("team.toml");
    f.sb.write(
        &file,
        "version = 1\n\
         [settings]\n\
         on_allow = \"sometimes\"\n\
         colour = \"red\"\n\
         [network]\n\
         unlisted = \"maybe\"\n\
         [[rules]]\n\
         id = \"tokens\"\n\
         decision = \"deny\"\n\
         reason = \"token files\"\n\
         input_regex = \"tok(en\"\n\
         [[rules]]\n\
         id = \"no reason\"\n\
         decision = \"ask\"\n\
         reason = \"\"\n\
         tools = [\"Write\"]\n",
    );
    let out = run(f.sb.cmd(&["lint", file.to_str().unwrap()]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    for (line, text) in [
        (3, "on_allow = \"sometimes\""),
        (4, "colour = \"red\""),
        (6, "unlisted = \"maybe\""),
        (11, "input_regex = \"tok(en\""),
        (13, "id = \"no reason\""),
    ] {
        assert!(
            out.stdout.contains(&format!("team.toml:{line}:")),
            "line {line}: {}",
            out.stdout
        );
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
    assert!(out.stdout.contains("5 error(s)"), "{}", out.stdout);
    let out = run(
        f.sb.cmd(&["lint", "--format", "json", file.to_str().unwrap()]),
        b"",
    );
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let lines: Vec<u64> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["line"].as_u64())
        .collect();
    assert_eq!(lines, vec![3, 4, 6, 11, 13], "{v}");
}

#[test]
fn scrub_bad_input() {
    let f = Fixture::new();
    check(
        &f,
        "extra argument",
        &s(&["scrub", "a", "b"]),
        b"",
        2,
        "unexpected argument",
    );
    check(
        &f,
        "unknown flag",
        &s(&["scrub", "--policy", "x"]),
        b"",
        2,
        "unexpected argument",
    );
    check(
        &f,
        "no such file",
        &s(&["scrub", "/no/such.log"]),
        b"",
        1,
        "/no/such.log",
    );
    // Not UTF-8: scrubbed anyway, the bytes around the secret kept.
    let log = f.sb.project.join("bin.log");
    std::fs::write(
        &log,
        b"ok \xff\xfe ghp_R2d4X8kLmN0pQ7sT1vW3yZ5bC6eF9gH2jK4m\n",
    )
    .unwrap();
    check(
        &f,
        "not UTF-8",
        &s(&["scrub", log.to_str().unwrap()]),
        b"",
        0,
        "[REDACTED:",
    );
}

/// The settings files install, uninstall and doctor meet in the wild.
fn settings(f: &Fixture) -> PathBuf {
    f.sb.project.join(".claude/settings.local.json")
}

#[test]
fn install_and_uninstall_bad_input() {
    let f = Fixture::new();
    let proj = f.p(&f.sb.project);
    for sub in ["install", "uninstall"] {
        check(
            &f,
            "conflicting",
            &s(&[sub, "--user", "--project", &proj]),
            b"",
            2,
            "cannot be used with",
        );
        check(
            &f,
            "missing value",
            &s(&[sub, "--project"]),
            b"",
            2,
            "a value is required",
        );
        check(
            &f,
            "extra argument",
            &s(&[sub, "extra"]),
            b"",
            2,
            "unexpected argument",
        );
        check(
            &f,
            "no such project",
            &s(&[sub, "--project", "/no/such/dir"]),
            b"",
            1,
            "/no/such/dir",
        );
    }
    check(
        &f,
        "conflicting",
        &s(&["uninstall", "--user", "--shared"]),
        b"",
        2,
        "cannot be used with",
    );
    // A broken --policy is not registered: no settings file appears.
    for file in [&f.unparsable, &f.invalid] {
        check(
            &f,
            "broken policy",
            &s(&["install", "--policy", &f.p(file)]),
            b"",
            1,
            "nothing was registered",
        );
        assert!(!settings(&f).exists());
    }
    // A broken layer in effect: registered, with a warning that every call is denied.
    f.sb.write(&f.sb.user_policy(), INVALID);
    check(
        &f,
        "broken layer in effect",
        &s(&["install", "--dry-run"]),
        b"",
        0,
        "do not load",
    );
    std::fs::remove_file(f.sb.user_policy()).unwrap();

    // Comments (JSONC): refused by both, byte for byte untouched.
    let file = settings(&f);
    let commented = "{\n  // mine\n  \"model\": \"opus\", /* trailing */\n}\n";
    f.sb.write(&file, commented);
    for sub in ["install", "uninstall"] {
        check(
            &f,
            "settings with comments",
            &s(&[sub]),
            b"",
            1,
            "not valid JSON",
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), commented, "{sub}");
    }
    // Odd but valid formatting: tabs, CRLF, keys in no particular order, no final newline.
    let odd = "{\r\n\t\"zeta\" :\t1 ,\r\n\t\"alpha\":{\"b\":[ 1,2 ]},\r\n\t\"hooks\" : { \"Stop\": [ ] }\r\n}";
    f.sb.write(&file, odd);
    check(
        &f,
        "odd formatting",
        &s(&["install"]),
        b"",
        0,
        "registered blastwall",
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["zeta"].clone(), v["alpha"]["b"].clone()),
        (json!(1), json!([1, 2]))
    );
    assert!(
        text.find("\"zeta\"") < text.find("\"alpha\""),
        "key order kept: {text}"
    );
    assert_eq!(v["hooks"]["Stop"], json!([]), "{text}");
    check(
        &f,
        "odd formatting",
        &s(&["uninstall"]),
        b"",
        0,
        "removed 4 blastwall handler(s)",
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"zeta": 1, "alpha": {"b": [1, 2]}, "hooks": {"Stop": []}})
    );

    // Read-only (mode 0444, which blastwall honours even when run as root): install refuses
    // to register into it, uninstall to remove from it; the file is untouched.
    let read_only = |on: bool| {
        let mode = if on { 0o444 } else { 0o644 };
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    read_only(true);
    check(
        &f,
        "read-only settings",
        &s(&["install"]),
        b"",
        1,
        "read-only",
    );
    read_only(false);
    check(
        &f,
        "install",
        &s(&["install"]),
        b"",
        0,
        "registered blastwall",
    );
    let before = std::fs::read_to_string(&file).unwrap();
    read_only(true);
    check(
        &f,
        "read-only settings",
        &s(&["uninstall"]),
        b"",
        1,
        "read-only",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    read_only(false);
}

#[test]
fn doctor_bad_input() {
    let f = Fixture::new();
    check(
        &f,
        "unknown flag",
        &s(&["doctor", "--policy", "x"]),
        b"",
        2,
        "unexpected argument",
    );
    check(
        &f,
        "missing value",
        &s(&["doctor", "--project"]),
        b"",
        2,
        "a value is required",
    );
    check(
        &f,
        "no such project",
        &s(&["doctor", "--no-client", "--project", "/no/such/dir"]),
        b"",
        1,
        "/no/such/dir",
    );
    let file = settings(&f);
    f.sb.write(&file, "{\n  // mine\n  \"model\": \"opus\"\n}\n");
    check(
        &f,
        "settings with comments",
        &s(&["doctor", "--no-client"]),
        b"",
        1,
        "not valid JSON",
    );
    std::fs::remove_file(&file).unwrap();
    check(
        &f,
        "registered",
        &s(&["install"]),
        b"",
        0,
        "registered blastwall",
    );
    // Odd formatting (CRLF, tabs) and a read-only file: doctor only reads, and finds the hook.
    let text = std::fs::read_to_string(&file).unwrap();
    f.sb.write(&file, &text.replace("\n", "\r\n").replace("  ", "\t"));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = run(f.sb.cmd(&["doctor", "--no-client"]), b"");
    assert!(
        out.stdout.contains("ok    hook registered in") && !out.stdout.contains("not valid JSON"),
        "odd formatting, read-only: {out:?}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    f.sb.write(&f.sb.user_policy(), UNPARSABLE);
    check(
        &f,
        "broken policy",
        &s(&["doctor", "--no-client"]),
        b"",
        1,
        "policy.toml:3:",
    );
}

#[test]
fn log_taint_and_policy_bad_input() {
    let f = Fixture::new();
    check(
        &f,
        "conflicting",
        &s(&["log", "--follow", "--summary"]),
        b"",
        2,
        "cannot be used with",
    );
    check(
        &f,
        "missing value",
        &s(&["log", "--session"]),
        b"",
        2,
        "a value is required",
    );
    check(
        &f,
        "bad value",
        &s(&["log", "--since", "yesterday"]),
        b"",
        1,
        "--since yesterday",
    );
    check(
        &f,
        "missing subcommand",
        &s(&["taint"]),
        b"",
        2,
        "Usage: blastwall taint",
    );
    check(
        &f,
        "missing session",
        &s(&["taint", "clear"]),
        b"",
        2,
        "required",
    );
    check(
        &f,
        "conflicting",
        &s(&["taint", "clear", "abc", "--all"]),
        b"",
        2,
        "cannot be used with",
    );
    check(
        &f,
        "missing subcommand",
        &s(&["policy"]),
        b"",
        2,
        "Usage: blastwall policy",
    );
    check(
        &f,
        "missing flag",
        &s(&["policy", "show", "--line", "5"]),
        b"",
        2,
        "--default",
    );
    check(
        &f,
        "bad value",
        &s(&["policy", "show", "--default", "--line", "x"]),
        b"",
        2,
        "invalid value",
    );
    for (file, needle) in [
        (&f.unparsable, "unparsable.toml:3:"),
        (&f.invalid, "invalid.toml:4:"),
    ] {
        check(
            &f,
            "broken policy",
            &s(&["policy", "show", "--policy", &f.p(file)]),
            b"",
            1,
            needle,
        );
    }
    // A log with a line that is not a record: the rest is shown, the skip is reported.
    let log = f.sb.home.join(".local/state/blastwall/audit.jsonl");
    f.sb.write(
        &log,
        "{\"v\":1,\"ts\":\"2026-12-03T08:00:00Z\",\"decision\":\"deny\",\"tool\":\"Read\"}\nnot json\n",
    );
    check(
        &f,
        "corrupt audit line",
        &s(&["log"]),
        b"",
        0,
        "skipped 1 line(s)",
    );
    f.sb.write(&f.sb.user_policy(), UNPARSABLE);
    check(&f, "broken policy", &s(&["log"]), b"", 1, "policy.toml:3:");
    check(
        &f,
        "broken policy",
        &s(&["policy", "show"]),
        b"",
        1,
        "policy.toml:3:",
    );
    // taint does not need the policy: it still lists and clears.
    check(
        &f,
        "broken policy",
        &s(&["taint", "list"]),
        b"",
        0,
        "no tainted sessions",
    );
}
