//! Scenario 5: secrets. Tools print a (fake) token; the model receives the redacted output and
//! a context note, and the token appears nowhere in what the model was sent nor in the audit log.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_finished, assert_ran, bash, context_note};

/// A GitHub classic token with a valid CRC32 checksum, so a detector that checks it still fires.
/// It never came from GitHub and grants nothing.
const TOKEN: &str = "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";

#[test]
#[ignore = "waits for secret redaction (src/secrets + PostToolUse updatedToolOutput)"]
fn s5_printed_token_is_redacted_everywhere() {
    let sb = Sandbox::new("s5");
    sb.register(&HookCommand::blastwall(&[]));
    // The token lives in a file the commands read, so it is not in any tool input the model
    // wrote: if it shows up in a later request, it came from a tool's output.
    let cfg = sb.project.join("config/app.cfg");
    sb.write(
        &cfg,
        &format!("service = billing\ngithub_token = {TOKEN}\nregion = eu-west-1\n"),
    );
    let m = "s5";
    let r = sb.run(
        m,
        vec![
            bash("cat config/app.cfg"),
            Turn::tool("Read", json!({"file_path": cfg.to_string_lossy()})),
            Turn::tool("Grep", json!({"pattern": "token", "path": sb.project.to_string_lossy(), "output_mode": "content"})),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    for (step, tool) in [(0, "Bash"), (1, "Read"), (2, "Grep")] {
        // The rest of the output is intact: only the secret is cut out.
        let text = assert_ran(&sb, &r, &tool_use_id(m, step, 0), &["github_token"]);
        assert!(
            !text.contains(TOKEN),
            "{tool}: the model saw the token: {text}"
        );
        assert!(
            !text.contains("E2eFakeTokenNotReal"),
            "{tool}: part of the token leaked: {text}"
        );
        // The note telling the model output was redacted arrives with the result.
        let note = context_note(&sb, m, step + 1, "PostToolUse", tool)
            .unwrap_or_else(|| panic!("{tool}: no context note in the next request"));
        assert!(
            note.contains("blastwall"),
            "{tool}: the context note is not blastwall's: {note}"
        );
    }
    assert!(
        !sb.model.all_request_text().contains("E2eFakeTokenNotReal"),
        "the token reached the model"
    );
    let audit = sb.audit_text();
    assert!(!audit.is_empty(), "no audit log written");
    assert!(
        !audit.contains("E2eFakeTokenNotReal"),
        "the token is in the audit log"
    );
}

/// The same token printed by a command that then fails. The client routes a failing call's
/// output through PostToolUseFailure, where it cannot be replaced (probe
/// `client_output_redaction_hazards`), so redaction after the fact cannot work here: blastwall
/// has to act before the call (e.g. rewrite the command so its output takes the PostToolUse
/// path) or refuse it.
#[test]
#[ignore = "waits for secret redaction, and for a way around the client's unreplaceable PostToolUseFailure output"]
fn s5_token_printed_by_failing_command_never_reaches_model() {
    let sb = Sandbox::new("s5-fail");
    sb.register(&HookCommand::blastwall(&[]));
    sb.write(
        &sb.project.join("config/app.cfg"),
        &format!("github_token = {TOKEN}\n"),
    );
    let r = sb.run(
        "s5fail",
        vec![bash("cat config/app.cfg; exit 3")],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert!(
        !sb.model.all_request_text().contains("E2eFakeTokenNotReal"),
        "the token reached the model through a failing command's output"
    );
    assert!(
        !sb.audit_text().contains("E2eFakeTokenNotReal"),
        "the token is in the audit log"
    );
}
