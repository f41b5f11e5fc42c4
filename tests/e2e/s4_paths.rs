//! Scenario 4: path scope. A Write outside the project and a Read of `~/.ssh/id_rsa` (a fake
//! key in the temp HOME) are denied by the embedded default policy.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_audited, assert_blocked, assert_finished, assert_ran, bash};

const FAKE_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nE2EFAKEKEYMATERIALdoNotLeak0123456789\n-----END OPENSSH PRIVATE KEY-----\n";

#[test]
fn s4_write_outside_project_and_ssh_key_read_are_denied() {
    let sb = Sandbox::new("s4");
    sb.register(&HookCommand::blastwall(&[]));
    // Outside the project, HOME, /tmp and $TMPDIR: a sibling folder of the project.
    let outside = sb.dir.path().join("elsewhere/escape.txt");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let key = sb.home.join(".ssh/id_rsa");
    sb.write(&key, FAKE_KEY);
    let inside = sb.project.join("inside.txt");
    let m = "s4";
    let r = sb.run(
        m,
        vec![
            Turn::tool(
                "Write",
                json!({"file_path": outside.to_string_lossy(), "content": "escaped\n"}),
            ),
            Turn::tool("Read", json!({"file_path": key.to_string_lossy()})),
            // Control: the same tool inside the project is fine.
            Turn::tool(
                "Write",
                json!({"file_path": inside.to_string_lossy(), "content": "inside\n"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert!(!outside.exists(), "a Write outside the project ran");
    assert_blocked(&sb, &r, &tool_use_id(m, 0, 0), &["blastwall: denied"]);
    let read = assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 1, 0),
        &["blastwall: denied by rule `"],
    );
    assert!(
        read.contains("`credential-stores`") || read.contains("`secret-files`"),
        "the Read of ~/.ssh/id_rsa should be denied as a credential: {read}"
    );
    assert!(
        inside.exists(),
        "the Write inside the project should have run"
    );
    assert_ran(&sb, &r, &tool_use_id(m, 2, 0), &[]);

    // The key never reached the model, nor the audit log.
    assert!(
        !sb.model.all_request_text().contains("E2EFAKEKEYMATERIAL"),
        "key material reached the model"
    );
    assert!(
        !sb.audit_text().contains("E2EFAKEKEYMATERIAL"),
        "key material in the audit log"
    );
    assert_audited(&sb, "Read", "deny", None);
    assert_eq!(
        sb.audit_pre("Write")
            .iter()
            .filter(|e| e["decision"] == "deny")
            .count(),
        1,
        "exactly the outside Write is denied: {}",
        sb.audit_text()
    );
}

/// The escape routes around a path check: a symlink in the project pointing outside it, and a
/// `..` path. Both are judged by where the write really lands.
#[test]
fn s4_symlink_and_dotdot_escapes_are_denied() {
    let sb = Sandbox::new("s4-escape");
    sb.register(&HookCommand::blastwall(&[]));
    let elsewhere = sb.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, sb.project.join("link")).unwrap();
    let via_link = sb.project.join("link/escape.txt");
    let via_dotdot = sb.project.join("../elsewhere/dotdot.txt");
    let m = "s4esc";
    let r = sb.run(
        m,
        vec![
            Turn::tool(
                "Write",
                json!({"file_path": via_link.to_string_lossy(), "content": "escaped\n"}),
            ),
            Turn::tool(
                "Write",
                json!({"file_path": via_dotdot.to_string_lossy(), "content": "escaped\n"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert!(
        !elsewhere.join("escape.txt").exists(),
        "a Write through a symlink left the project"
    );
    assert!(
        !elsewhere.join("dotdot.txt").exists(),
        "a Write through .. left the project"
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 0, 0),
        &["blastwall: denied by rule `write-scope`"],
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 1, 0),
        &["blastwall: denied by rule `write-scope`"],
    );
}

/// A cloned repository cannot loosen the guard: its `.claude/blastwall.toml` asking for write
/// access everywhere must not let a Write outside the project through (whether blastwall
/// rejects the layer or ignores the loosening, the write stays denied).
#[test]
fn s4_project_policy_cannot_widen_write_scope() {
    let sb = Sandbox::new("s4-widen");
    sb.register(&HookCommand::blastwall(&[]));
    sb.project_policy("version = 1\n\n[paths]\nwrite_roots = [\"/\"]\n");
    let outside = sb.dir.path().join("elsewhere/escape.txt");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let r = sb.run(
        "s4widen",
        vec![Turn::tool(
            "Write",
            json!({"file_path": outside.to_string_lossy(), "content": "escaped\n"}),
        )],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert!(
        !outside.exists(),
        "a project policy widened the write scope"
    );
    assert_blocked(&sb, &r, &tool_use_id("s4widen", 0, 0), &["blastwall: "]);
}

/// The same scope through Bash: reading the key with `cat` and writing outside the project with
/// a redirection are denied, and nothing of the key reaches the model.
#[test]
fn s4_bash_cannot_reach_key_or_write_outside() {
    let sb = Sandbox::new("s4-bash");
    sb.register(&HookCommand::blastwall(&[]));
    let key = sb.home.join(".ssh/id_rsa");
    sb.write(&key, FAKE_KEY);
    let outside = sb.dir.path().join("elsewhere/escape.txt");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let m = "s4bash";
    let r = sb.run(
        m,
        vec![
            bash("cat ~/.ssh/id_rsa"),
            bash(&format!("echo escaped > {}", outside.display())),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 0, 0),
        &["blastwall: denied by rule `"],
    );
    assert!(
        !sb.model.all_request_text().contains("E2EFAKEKEYMATERIAL"),
        "key material reached the model"
    );
    assert!(!outside.exists(), "a redirection outside the project ran");
    assert_blocked(
        &sb,
        &r,
        &tool_use_id(m, 1, 0),
        &["blastwall: denied by rule `write-scope`"],
    );
}
