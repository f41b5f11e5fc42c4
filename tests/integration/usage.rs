//! The command line itself: every subcommand has `--help` with examples, a typo gets a "did
//! you mean", missing and conflicting arguments are usage errors (exit 2, message on stderr,
//! nothing on stdout), and no usage error is ever answered like a hook.
use serde_json::json;

use crate::{run, Sandbox};

const SUBCOMMANDS: &[&str] = &[
    "hook",
    "replay",
    "explain",
    "lint",
    "scrub",
    "install",
    "uninstall",
    "doctor",
    "log",
    "taint",
    "policy",
];

/// `blastwall X --help` and `blastwall help X` print X's help with examples on stdout, exit 0,
/// and read nothing from stdin (an event there is not judged).
#[test]
fn every_subcommand_has_help_with_examples() {
    let sb = Sandbox::new();
    let ev = sb.pre_tool_use("Read", json!({"file_path": sb.home.join(".ssh/id_rsa")}));
    for sub in SUBCOMMANDS {
        for args in [vec![*sub, "--help"], vec!["help", sub], vec![*sub, "-h"]] {
            let out = run(sb.cmd(&args), ev.to_string().as_bytes());
            assert_eq!(out.code, Some(0), "{args:?}: {out:?}");
            assert!(
                out.stdout.contains(&format!("Usage: blastwall {sub}")),
                "{args:?}: {}",
                out.stdout
            );
            if args.last() != Some(&"-h") {
                assert!(out.stdout.contains("Examples:"), "{args:?}: {}", out.stdout);
            }
            assert!(!out.stdout.contains("permissionDecision"), "{args:?}");
        }
    }
    let out = run(sb.cmd(&["--help"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    for needle in SUBCOMMANDS.iter().copied().chain(["Exit codes:"]) {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }
}

/// Bad command lines: exit 2, the reason on stderr, nothing on stdout, whatever is on stdin
/// (a misspelt registration blocks through exit 2 without pretending to be a hook answer).
#[test]
fn usage_errors_exit_2_and_never_answer_like_a_hook() {
    let sb = Sandbox::new();
    let ev = sb.pre_tool_use("Read", json!({"file_path": sb.project.join("a")}));
    let policy = sb.home.join("p.toml");
    sb.write(&policy, "version = 1\n");
    let p = policy.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["hok"], "similar subcommand exists: 'hook'"),
        (&["instal"], "'install'"),
        (&["--policy", p], "unexpected argument '--policy'"),
        (
            &["install", "--project"],
            "a value is required for '--project <DIR>'",
        ),
        (
            &["install", "--user", "--project", p],
            "cannot be used with",
        ),
        (
            &["install", "--policy", "--dry-run"],
            "a value is required for '--policy <FILE>'",
        ),
        (&["install", "--usr"], "similar argument exists: '--user'"),
        (&["replay"], "required arguments were not provided"),
        (&["replay", "--polcy", p, "x"], "'--policy'"),
        (&["lint", "--project", p], "unexpected argument '--project'"),
        (&["lint", "--layer", "projet", p], "invalid value 'projet'"),
        (
            &["explain", "a.json", "b.json"],
            "unexpected argument 'b.json'",
        ),
        (&["scrub", "a", "b"], "unexpected argument 'b'"),
    ];
    for (args, needle) in cases {
        let out = run(sb.cmd(args), ev.to_string().as_bytes());
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}

/// `--flag=value` works for every flag that takes a value.
#[test]
fn flag_equals_value_is_accepted_everywhere() {
    let sb = Sandbox::new();
    let policy = sb.home.join("p.toml");
    sb.write(&policy, "version = 1\n");
    let p = format!("--policy={}", policy.display());
    let project = format!("--project={}", sb.project.display());
    let ev = sb.project.join("ev.json");
    sb.write(
        &ev,
        &json!({"expect": "deny", "event": sb.pre_tool_use("Read", json!({"file_path": sb.home.join(".ssh/id_rsa")}))}).to_string(),
    );
    let e = ev.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["replay", &p, &project, "--isolated", e],
        &["explain", &p, &project, e],
        &["lint", "--layer=project", policy.to_str().unwrap()],
        &["install", &project, &p, "--dry-run"],
    ];
    for args in cases {
        let out = run(sb.cmd(args), b"");
        assert_eq!(out.code, Some(0), "{args:?}: {out:?}");
    }
}

/// `scrub FILE` reads the file, not stdin; a missing file is an error.
#[test]
fn scrub_reads_the_named_file() {
    let sb = Sandbox::new();
    let file = sb.project.join("build.log");
    let key = "ghp_R2d4X8kLmN0pQ7sT1vW3yZ5bC6eF9gH2jK4m";
    sb.write(&file, &format!("token={key}\nok\n"));
    let out = run(sb.cmd(&["scrub", file.to_str().unwrap()]), b"from stdin\n");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!out.stdout.contains(key), "{}", out.stdout);
    assert!(out.stdout.contains("[REDACTED:"), "{}", out.stdout);
    assert!(out.stdout.ends_with("ok\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("from stdin"), "{}", out.stdout);
    assert!(out.stderr.contains("redacted 1 secret"), "{}", out.stderr);

    let out = run(sb.cmd(&["scrub", "-"]), b"from stdin\n");
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "from stdin\n"));

    let missing = sb.project.join("nope.log");
    let out = run(sb.cmd(&["scrub", missing.to_str().unwrap()]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("nope.log"), "{}", out.stderr);
}

/// `lint` with no file checks the layers in effect here, and names them.
#[test]
fn lint_without_a_file_checks_the_layers_in_effect() {
    let sb = Sandbox::new();
    let out = run(sb.cmd(&["lint"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("embedded:default.toml"),
        "{}",
        out.stdout
    );

    sb.write(
        &sb.user_policy(),
        "version = 1\n[network]\nunlisted = \"maybe\"\n",
    );
    let out = run(sb.cmd(&["lint"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("policy.toml:3:"), "{}", out.stdout);
}

/// `explain` takes a replay origin (`FILE.jsonl:LINE`) and judges a fixture with placeholders
/// the way replay does; a line that is not there, or text that is not JSON, is an error.
#[test]
fn explain_takes_a_jsonl_line_and_bad_input() {
    let sb = Sandbox::new();
    let file = sb.project.join("events.jsonl");
    let ok = json!({"expect": "pass", "event": {"session_id": "s", "transcript_path": "/t", "cwd": "{{PROJECT}}", "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {"file_path": "{{PROJECT}}/a.rs"}, "tool_use_id": "t1"}});
    let deny = json!({"expect": "deny", "event": {"session_id": "s", "transcript_path": "/t", "cwd": "{{PROJECT}}", "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {"file_path": "{{HOME}}/.ssh/id_rsa"}, "tool_use_id": "t2"}});
    sb.write(&file, &format!("{ok}\n{deny}\nnot json\n"));
    let f = file.to_str().unwrap();
    let out = run(sb.cmd(&["explain", "--isolated", &format!("{f}:2")]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("decision: deny"), "{}", out.stdout);
    assert!(out.stdout.contains("`credential-stores`"), "{}", out.stdout);
    let out = run(sb.cmd(&["explain", "--isolated", &format!("{f}:9")]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("no line 9"), "{}", out.stderr);
    let out = run(sb.cmd(&["explain", "--isolated", &format!("{f}:3")]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("not JSON"), "{}", out.stderr);
    let out = run(
        sb.cmd(&["explain", "--isolated", "/no/such/event.json"]),
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:?}");
}
