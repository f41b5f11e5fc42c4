//! Scenario 9: parallel agents. Two `claude` processes at once, each in its own worktree of one
//! repository, sharing one HOME (so one audit log). Each may write in its own worktree and is
//! denied writing into the other's; both audit streams are complete and uncorrupted.
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{settings_for, HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, assert_ran, bash};

fn git(sb: &Sandbox, cwd: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .env("GIT_CEILING_DIRECTORIES", sb.dir.path())
        .env("GIT_AUTHOR_NAME", "e2e")
        .env("GIT_AUTHOR_EMAIL", "e2e@example.invalid")
        .env("GIT_COMMITTER_NAME", "e2e")
        .env("GIT_COMMITTER_EMAIL", "e2e@example.invalid")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn s9_parallel_agents_in_two_worktrees() {
    let sb = Sandbox::new("s9");
    let repo = sb.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&sb, &repo, &["init", "-q", "-b", "main"]);
    sb.write(&repo.join("README.md"), "shared repo\n");
    git(&sb, &repo, &["add", "README.md"]);
    git(&sb, &repo, &["commit", "-q", "-m", "init"]);
    let wt_a = sb.dir.path().join("wt-a");
    let wt_b = sb.dir.path().join("wt-b");
    git(
        &sb,
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "agent-a",
            &wt_a.to_string_lossy(),
        ],
    );
    git(
        &sb,
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "agent-b",
            &wt_b.to_string_lossy(),
        ],
    );
    for wt in [&wt_a, &wt_b] {
        sb.write_settings(wt, &settings_for(&HookCommand::blastwall(&[])));
    }

    let turns = |own: &Path, other: &Path| {
        vec![
            Turn::tool(
                "Write",
                json!({"file_path": own.join("notes.txt").to_string_lossy(), "content": "mine\n"}),
            ),
            Turn::tool(
                "Write",
                json!({"file_path": other.join("intruder.txt").to_string_lossy(), "content": "yours\n"}),
            ),
            bash("git status --short"),
            // The same intrusion through the shell.
            bash(&format!(
                "echo yours > {}",
                other.join("intruder-sh.txt").display()
            )),
        ]
    };
    let opts = |cwd: &Path| RunOpts {
        cwd: Some(cwd.to_path_buf()),
        ..RunOpts::default()
    };
    let results = sb.run_parallel(vec![
        ("s9a", turns(&wt_a, &wt_b), opts(&wt_a)),
        ("s9b", turns(&wt_b, &wt_a), opts(&wt_b)),
    ]);
    for r in &results {
        assert_finished(r);
    }

    for (m, r, own, other) in [
        ("s9a", &results[0], &wt_a, &wt_b),
        ("s9b", &results[1], &wt_b, &wt_a),
    ] {
        assert_eq!(
            std::fs::read_to_string(own.join("notes.txt")).unwrap(),
            "mine\n",
            "{m}"
        );
        assert!(
            !other.join("intruder.txt").exists(),
            "{m} wrote into the other worktree"
        );
        assert_ran(&sb, r, &tool_use_id(m, 0, 0), &[]);
        assert_blocked(&sb, r, &tool_use_id(m, 1, 0), &["blastwall: denied"]);
        assert_ran(&sb, r, &tool_use_id(m, 2, 0), &["notes.txt"]);
        assert!(
            !other.join("intruder-sh.txt").exists(),
            "{m} wrote into the other worktree from Bash"
        );
        assert_blocked(
            &sb,
            r,
            &tool_use_id(m, 3, 0),
            &["blastwall: denied by rule `write-scope`"],
        );
    }

    // One shared audit log, two complete streams. Every line parses (sb.audit() fails on a torn
    // or interleaved line), and each session has a decision for every tool call of its run, in
    // order, in its own worktree. (blastwall logs PreToolUse decisions; UserPromptSubmit and
    // PostToolUse calls that find nothing leave no line.)
    let audit = sb.audit();
    // The read-only Bash listing: where blastwall's sandbox runs it, blastwall answers the allow
    // the client would have given by itself (its rules no longer see the original command).
    let listing = match blastwall::sandbox::probe().backend {
        blastwall::sandbox::BackendKind::Bwrap => "allow",
        _ => "pass",
    };
    for (r, wt) in [(&results[0], &wt_a), (&results[1], &wt_b)] {
        let session = r.result["session_id"]
            .as_str()
            .expect("session_id in the result");
        let mine: Vec<&Value> = audit
            .iter()
            .filter(|e| e["session_id"] == session)
            .collect();
        let count = |ev: &str| mine.iter().filter(|e| e["event"] == ev).count();
        assert_eq!(count("PreToolUse"), 4, "{session}: {mine:?}");
        let decisions: Vec<(String, String)> = mine
            .iter()
            .filter(|e| e["event"] == "PreToolUse")
            .map(|e| {
                (
                    e["tool"].as_str().unwrap_or("").to_string(),
                    e["decision"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let expect: Vec<(String, String)> = [
            ("Write", "pass"),
            ("Write", "deny"),
            ("Bash", listing),
            ("Bash", "deny"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(decisions, expect, "{session}");
        for denied in mine.iter().filter(|e| e["decision"] == "deny") {
            assert_eq!(denied["rule"], "write-scope", "{denied}");
        }
        for e in &mine {
            assert_eq!(
                e["cwd"].as_str(),
                Some(wt.to_string_lossy().as_ref()),
                "{e}"
            );
        }
    }
    assert_ne!(
        results[0].result["session_id"],
        results[1].result["session_id"]
    );
}

/// Parallel tool calls in one model turn (the client runs their hooks at the same time): each
/// gets its own answer, the denied one does not run, the others do.
#[test]
fn s9_parallel_calls_in_one_turn_are_judged_separately() {
    let sb = Sandbox::new("s9-turn");
    sb.register(&HookCommand::blastwall(&[]));
    let outside = sb.dir.path().join("elsewhere/escape.txt");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let inside = sb.project.join("inside.txt");
    let m = "s9turn";
    let r = sb.run(
        m,
        vec![Turn::Tools(vec![
            (
                "Bash".into(),
                json!({"command": "echo first-call", "description": "one"}),
            ),
            (
                "Write".into(),
                json!({"file_path": outside.to_string_lossy(), "content": "x\n"}),
            ),
            (
                "Write".into(),
                json!({"file_path": inside.to_string_lossy(), "content": "y\n"}),
            ),
            (
                "Bash".into(),
                json!({"command": "echo fourth-call", "description": "four"}),
            ),
        ])],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert_ran(&sb, &r, &tool_use_id(m, 0, 0), &["first-call"]);
    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 0, 1),
        &["blastwall: denied by rule `write-scope`"],
    );
    assert_ran(&sb, &r, &tool_use_id(m, 0, 2), &[]);
    assert_ran(&sb, &r, &tool_use_id(m, 0, 3), &["fourth-call"]);
    assert!(!outside.exists() && inside.exists());
    assert_eq!(
        sb.audit_pre("Bash").len() + sb.audit_pre("Write").len(),
        4,
        "{}",
        sb.audit_text()
    );
}
