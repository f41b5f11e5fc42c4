//! Scenario 7: fail closed. A policy file blastwall cannot load stops every tool call, and the
//! reason points at the file and line, so the user can fix it.
use crate::fake_model::tool_use_id;
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, bash};

/// A TOML syntax error (an unclosed table header on line 3) in the project policy.
#[test]
fn s7_project_policy_syntax_error_blocks_with_line() {
    let sb = Sandbox::new("s7");
    sb.register(&HookCommand::blastwall(&[]));
    let policy = sb.project_policy("version = 1\n\n[[rules]\nid = \"broken\"\n");
    let marker_file = sb.project.join("ran.txt");
    let r = sb.run("s7", vec![bash("touch ran.txt")], &RunOpts::default());
    assert_finished(&r);

    assert!(
        !marker_file.exists(),
        "the tool ran although the policy does not load"
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s7", 0, 0),
        &[
            "blastwall: ",
            &format!("policy error in {}:3:", policy.display()),
            "Nothing ran",
        ],
    );
}

/// A well-formed file with a key blastwall does not know (`desicion`, line 5), passed with
/// `--policy`: a typo must never silently weaken a policy, so it stops the call too.
#[test]
fn s7_unknown_key_in_command_line_policy_blocks_with_line() {
    let sb = Sandbox::new("s7-key");
    let policy = sb.dir.path().join("extra-policy.toml");
    sb.write(
        &policy,
        "version = 1\n\n[[rules]]\nid = \"typo\"\ndesicion = \"deny\"\nreason = \"x\"\n",
    );
    sb.register(&HookCommand::blastwall(&[
        "--policy",
        &policy.to_string_lossy(),
    ]));
    let marker_file = sb.project.join("ran.txt");
    let r = sb.run("s7key", vec![bash("touch ran.txt")], &RunOpts::default());
    assert_finished(&r);

    assert!(
        !marker_file.exists(),
        "the tool ran although the policy does not load"
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s7key", 0, 0),
        &[
            "blastwall: ",
            &format!("policy error in {}:5:", policy.display()),
            "desicion",
        ],
    );
}
