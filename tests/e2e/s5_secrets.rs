//! Scenario 5: secrets. A command prints a (fake) token; the model receives the redacted output
//! and a context note, and the token appears nowhere in what the model was sent nor in the
//! audit log.
//!
//! Where the token comes from matters. blastwall stops a call up front when it can see the
//! token coming: a file that holds one (rule `secret-in-file`), a command that prints a
//! credential variable (rule `print-secrets`). Output redaction is for what it cannot foresee,
//! so those tests decode the token at run time from a base64 file (as a tool that fetches
//! credentials would print them): only the output shows it.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, assert_ran, bash, context_note};

/// A GitHub classic token with a valid CRC32 checksum, so a detector that checks it still fires.
/// It never came from GitHub and grants nothing.
const TOKEN: &str = "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";
/// A part of the token that no redaction marker would contain.
const TOKEN_BODY: &str = "E2eFakeTokenNotReal";
/// base64 of "service: billing\ndeploy token: <TOKEN>\nregion: eu-west-1\n".
const ENCODED: &str = "c2VydmljZTogYmlsbGluZwpkZXBsb3kgdG9rZW46IGdocF9FMmVGYWtlVG9rZW5Ob3RSZWFsQTFiMkMzZDRFNWYzRExrRlAKcmVnaW9uOiBldS13ZXN0LTEK";

/// Writes `config/creds.b64`: the token, base64-encoded, so no detector sees it before a call.
fn encoded_token_file(sb: &Sandbox) {
    sb.write(
        &sb.project.join("config/creds.b64"),
        &format!("{ENCODED}\n"),
    );
}

/// The token is nowhere in what the model was sent, nor in the audit log (which exists).
fn assert_token_nowhere(sb: &Sandbox) {
    assert!(
        !sb.model.all_request_text().contains(TOKEN_BODY),
        "the token reached the model"
    );
    let audit = sb.audit_text();
    assert!(!audit.is_empty(), "no audit log written");
    assert!(!audit.contains(TOKEN_BODY), "the token is in the audit log");
}

#[test]
fn s5_printed_token_is_redacted_everywhere() {
    let sb = Sandbox::new("s5");
    sb.register(&HookCommand::blastwall(&[]));
    encoded_token_file(&sb);
    let m = "s5";
    let r = sb.run(
        m,
        vec![
            bash("base64 -d config/creds.b64"),
            bash("base64 -d config/creds.b64 | grep token"),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    for step in [0, 1] {
        // The rest of the output is intact: only the secret is cut out.
        let text = assert_ran(&sb, &r, &tool_use_id(m, step, 0), &["deploy token: "]);
        assert!(
            !text.contains(TOKEN_BODY),
            "step {step}: the model saw the token: {text}"
        );
        // The note telling the model output was redacted arrives with the result.
        let note = context_note(&sb, m, step + 1, "PostToolUse", "Bash")
            .unwrap_or_else(|| panic!("step {step}: no context note in the next request"));
        assert!(
            note.contains("blastwall"),
            "step {step}: the context note is not blastwall's: {note}"
        );
    }
    let first = sb.model.tool_result(&tool_use_id(m, 0, 0)).unwrap().0;
    assert!(
        first.contains("service: billing") && first.contains("region: eu-west-1"),
        "{first}"
    );
    assert_token_nowhere(&sb);
}

/// A file holding the token, read three ways (cat, Read, Grep): each call is either stopped
/// before it runs or its output is redacted; the token never reaches the model or the log.
#[test]
fn s5_token_file_never_reaches_model() {
    let sb = Sandbox::new("s5-file");
    sb.register(&HookCommand::blastwall(&[]));
    let cfg = sb.project.join("config/app.cfg");
    sb.write(
        &cfg,
        &format!("service = billing\ngithub_token = {TOKEN}\nregion = eu-west-1\n"),
    );
    let m = "s5file";
    let r = sb.run(
        m,
        vec![
            bash("cat config/app.cfg"),
            Turn::tool("Read", json!({"file_path": cfg.to_string_lossy()})),
            Turn::tool(
                "Grep",
                json!({"pattern": "token", "path": sb.project.to_string_lossy(), "output_mode": "content"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    for (step, tool) in [(0, "Bash"), (1, "Read"), (2, "Grep")] {
        let (text, is_error) = sb
            .model
            .tool_result(&tool_use_id(m, step, 0))
            .expect("tool_result");
        assert!(
            !text.contains(TOKEN_BODY),
            "{tool}: the model saw the token: {text}"
        );
        // blastwall said something about it: a denial, or a note next to the redacted output.
        let denied = is_error && text.contains("blastwall: ");
        let noted = context_note(&sb, m, step + 1, "PostToolUse", tool)
            .is_some_and(|n| n.contains("blastwall"));
        assert!(
            denied || noted,
            "{tool}: neither denied nor redacted with a note: {text}"
        );
    }
    assert_token_nowhere(&sb);
}

/// Printing a credential variable is stopped before it runs.
#[test]
fn s5_printing_a_credential_variable_is_denied() {
    let sb = Sandbox::new("s5-env");
    sb.register(&HookCommand::blastwall(&[]));
    let mut opts = RunOpts::default();
    opts.extra_env
        .push(("E2E_DEPLOY_TOKEN".into(), TOKEN.into()));
    let r = sb.run(
        "s5env",
        vec![bash("echo \"deploy token: $E2E_DEPLOY_TOKEN\"")],
        &opts,
    );
    assert_finished(&r);
    assert_blocked(&sb, &r, &tool_use_id("s5env", 0, 0), &["blastwall: denied"]);
    assert_token_nowhere(&sb);
}

/// A command that prints a token from a file and then fails. blastwall sees the token in the
/// file before the call and stops it; it must, because a failing call's output goes through
/// PostToolUseFailure, where the client lets no hook replace it (probe
/// `client_output_redaction_hazards`).
#[test]
fn s5_token_file_printed_by_failing_command_never_reaches_model() {
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
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s5fail", 0, 0),
        &["blastwall: denied"],
    );
    assert_token_nowhere(&sb);
}

/// The same failing command, with the token decoded at run time: nothing before the call shows
/// it, and the client does not let a hook replace a failing call's output. The sandbox runner
/// scrubs what the command prints before the client reads it, so the token never reaches the
/// model (where no sandbox backend works, this remains a gap: skipped).
#[test]
fn s5_decoded_token_printed_by_failing_command_never_reaches_model() {
    if blastwall::sandbox::probe().backend == blastwall::sandbox::BackendKind::None {
        eprintln!("SKIPPED: no sandbox backend here, and only the sandbox runner scrubs a failing command's output");
        return;
    }
    let sb = Sandbox::new("s5-decfail");
    sb.register(&HookCommand::blastwall(&[]));
    encoded_token_file(&sb);
    let r = sb.run(
        "s5decfail",
        vec![bash("base64 -d config/creds.b64; exit 3")],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert_token_nowhere(&sb);
}
