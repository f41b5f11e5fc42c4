//! `install` and `uninstall` on the settings files people really have: missing project
//! folders, broken policies, odd formatting, read-only files, a registration in the shared
//! settings file, other hooks that must survive.
use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};

use crate::{run, Sandbox};

/// A project that does not exist is refused, and nothing is created.
#[test]
fn install_refuses_a_missing_project() {
    let sb = Sandbox::new();
    let missing = sb.home.join("no/such/project");
    let out = run(
        sb.cmd(&["install", "--project", missing.to_str().unwrap()]),
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("no such directory"), "{}", out.stderr);
    assert!(!sb.home.join("no").exists(), "install created the tree");
}

/// A --policy that does not pass lint is not registered (it would deny every call).
#[test]
fn install_lints_the_policy_first() {
    let sb = Sandbox::new();
    let bad = sb.home.join("team.toml");
    sb.write(&bad, "version = 1\n[network]\nunlisted = \"maybe\"\n");
    let out = run(sb.cmd(&["install", "--policy", bad.to_str().unwrap()]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("nothing was registered"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("team.toml:3:"), "{}", out.stderr);
    assert!(!sb.project.join(".claude").exists());
    let missing = sb.home.join("missing.toml");
    let out = run(
        sb.cmd(&["install", "--policy", missing.to_str().unwrap()]),
        b"",
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

/// Key order, indentation and other hooks are kept; the old file is backed up; the summary
/// is short (not the whole file).
#[test]
fn install_keeps_order_and_indentation_and_backs_up() {
    let sb = Sandbox::new();
    let file = sb.project.join(".claude/settings.local.json");
    let before = "{\n    \"permissions\": {\n        \"allow\": [\"Bash(ls:*)\"]\n    },\n    \"hooks\": {\n        \"Stop\": [\n            {\n                \"hooks\": [{\"type\": \"command\", \"command\": \"notify-send done\"}]\n            }\n        ]\n    },\n    \"model\": \"opus\"\n}\n";
    sb.write(&file, before);
    let out = run(sb.cmd(&["install"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    let after = std::fs::read_to_string(&file).unwrap();
    let at = |k: &str| after.find(k).unwrap_or_else(|| panic!("{k} in {after}"));
    assert!(
        at("\"permissions\"") < at("\"hooks\"") && at("\"hooks\"") < at("\"model\""),
        "{after}"
    );
    assert!(
        after.contains("\n    \"model\": \"opus\"\n"),
        "4-space indent kept: {after}"
    );
    assert!(after.contains("notify-send done"), "{after}");
    let backup = sb.project.join(".claude/settings.local.json.blastwall.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), before);
    assert!(out.stdout.lines().count() <= 6, "{}", out.stdout);
    assert!(
        out.stdout.contains("registered blastwall in"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("backup:"), "{}", out.stdout);
    // Again: nothing to change, nothing written.
    let out = run(sb.cmd(&["install"]), b"");
    assert!(out.stdout.contains("nothing to change"), "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
}

/// A read-only settings file, or one with comments, is left exactly as it was.
#[test]
fn install_leaves_read_only_and_commented_files_alone() {
    let sb = Sandbox::new();
    let file = sb.home.join(".claude/settings.json");
    sb.write(&file, "{\"model\": \"opus\"}\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = run(sb.cmd(&["install", "--user"]), b"");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"model\": \"opus\"}\n"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let commented = "{\n  // my settings\n  \"model\": \"opus\"\n}\n";
    sb.write(&file, commented);
    for args in [&["install", "--user"][..], &["uninstall", "--user"]] {
        let out = run(sb.cmd(args), b"");
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), commented);
    }
}

/// `uninstall` removes blastwall's handlers and nothing else; a registration an older
/// install left in the shared settings.json is pointed out and removable with --shared.
#[test]
fn uninstall_removes_only_its_own_entries() {
    let sb = Sandbox::new();
    let local = sb.project.join(".claude/settings.local.json");
    let shared = sb.project.join(".claude/settings.json");
    let other = json!({"type": "command", "command": "/usr/local/bin/other-hook"});
    let old = json!({"type": "command", "command": "/old/path/blastwall", "args": ["hook"], "timeout": 10});
    sb.write(
        &shared,
        &json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [other, old]}]}, "model": "opus"}).to_string(),
    );
    let out = run(sb.cmd(&["install"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("uninstall --shared"), "{}", out.stdout);

    let out = run(sb.cmd(&["uninstall", "--dry-run"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("-"), "{}", out.stdout);
    assert!(std::fs::read_to_string(&local)
        .unwrap()
        .contains("blastwall"));

    let out = run(sb.cmd(&["uninstall"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains("removed 4 blastwall handler(s)"),
        "{}",
        out.stdout
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    assert_eq!(v, json!({}), "only what install added was there");

    let out = run(sb.cmd(&["uninstall", "--shared"]), b"");
    assert_eq!(out.code, Some(0), "{out:?}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&shared).unwrap()).unwrap();
    assert_eq!(v["model"], "opus");
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"],
        json!([{"type": "command", "command": "/usr/local/bin/other-hook"}])
    );

    let out = run(sb.cmd(&["uninstall", "--shared"]), b"");
    assert!(out.stdout.contains("nothing to change"), "{}", out.stdout);
    let out = run(sb.cmd(&["uninstall", "--user", "--shared"]), b"");
    assert_eq!(out.code, Some(2), "{out:?}");
}
