//! Scenario 1: a denied Bash command does not run, and the model sees blastwall's reason with
//! the rule id.
use crate::fake_model::tool_use_id;
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_audited, assert_blocked, assert_finished, bash};

/// A project rule matching the command text denies it (no Bash analysis needed).
#[test]
fn s1_denied_bash_command_does_not_run() {
    let sb = Sandbox::new("s1");
    sb.register(&HookCommand::blastwall(&[]));
    let policy = sb.project_policy(
        r#"version = 1

[[rules]]
id = "keep-evidence"
decision = "deny"
reason = "evidence.txt is kept for the audit"
tools = ["Bash"]
input_regex = 'evidence\.txt'
"#,
    );
    let evidence = sb.project.join("evidence.txt");
    sb.write(&evidence, "keep me\n");
    let r = sb.run("s1", vec![bash("rm -f evidence.txt")], &RunOpts::default());
    assert_finished(&r);

    assert!(evidence.exists(), "the denied rm ran: evidence.txt is gone");
    let id = tool_use_id("s1", 0, 0);
    assert_blocked(
        &sb,
        &r,
        &id,
        &[
            "PreToolUse:Bash hook error: ",
            "blastwall: denied by rule `keep-evidence`",
            // the rule's origin, file:line, so a user can find it
            &format!("{}:", policy.display()),
            "evidence.txt is kept for the audit",
        ],
    );
    assert_audited(&sb, "Bash", "deny", Some("keep-evidence"));
}

/// The embedded default protects credential stores from Bash too: `rm -rf ~/.ssh` is denied,
/// the reason names `credential-stores` (next to `write-scope`: HOME is outside the write
/// roots as well), and the folder survives.
#[test]
fn s1_default_policy_denies_rm_of_credential_store() {
    let sb = Sandbox::new("s1-ssh");
    sb.register(&HookCommand::blastwall(&[]));
    let key = sb.home.join(".ssh/id_ed25519");
    sb.write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n");
    let r = sb.run("s1ssh", vec![bash("rm -rf ~/.ssh")], &RunOpts::default());
    assert_finished(&r);

    assert!(key.exists(), "the denied rm -rf ~/.ssh ran");
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s1ssh", 0, 0),
        &[
            "blastwall: denied by rule `",
            "embedded:default.toml:",
            "`credential-stores`",
        ],
    );
    let entry = assert_audited(&sb, "Bash", "deny", None).remove(0);
    assert!(
        entry["reason"].to_string().contains("credential-stores"),
        "{entry}"
    );
    assert_eq!(entry["subject"], "rm -rf ~/.ssh", "{entry}");
}
