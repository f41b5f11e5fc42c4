//! Scenario 11: a credential given back at the tool boundary (`[[secrets.inject]]`), with the
//! real client. The client's environment has no token; blastwall runs a helper outside the
//! sandbox for it and passes it only into a call that runs nothing but `gh`. A subagent's `gh`
//! (a test script that fails without `GH_TOKEN` and prints it, plain and base64) succeeds;
//! `echo $GH_TOKEN` and a program that reads the variable in the same session get nothing; the
//! value reaches neither the model nor the audit log. Skipped, with the reason printed, where
//! no sandbox backend works (CI installs bubblewrap).
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_finished, assert_ran, bash};

/// The credential: no detector rule knows its shape, so only the exact match can find it.
const VALUE: &str = "Gx7/kq+Zr=Lm2Pw9Vt4N-bH6e2e";

fn available() -> bool {
    let p = blastwall::sandbox::probe();
    if p.backend != blastwall::sandbox::BackendKind::Bwrap {
        eprintln!("SKIPPED: no sandbox backend works here:\n{}", p.explain());
        return false;
    }
    true
}

fn b64(s: &str) -> String {
    use std::io::Write;
    let mut c = std::process::Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()
}

#[test]
fn s11_subagent_gh_gets_the_token_and_nothing_else_does() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s11");
    sb.register(&HookCommand::blastwall(&[]));
    let bin = sb.home.parent().unwrap().join("bin");
    sb.write(
        &bin.join("gh"),
        "#!/bin/bash\nif [ -z \"$GH_TOKEN\" ]; then echo 'gh: GH_TOKEN is not set' >&2; exit 4; fi\n\
         echo \"gh: 3 pull requests (token $GH_TOKEN)\"\necho \"auth: $(printf %s \"$GH_TOKEN\" | base64 -w0)\"\n",
    );
    sb.write(
        &bin.join("token-helper"),
        &format!("#!/bin/sh\necho '{VALUE}'\n"),
    );
    for f in ["gh", "token-helper"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join(f), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    sb.user_policy(&format!(
        "version = 1\n\n[[secrets.inject]]\nname = \"GH_TOKEN\"\ncommand = [\"{}\"]\nprograms = [\"gh\"]\n",
        bin.join("token-helper").display()
    ));
    sb.write(
        &sb.project.join("show.py"),
        "import os\nprint('seen=[' + os.environ.get('GH_' + 'TOKEN', '') + ']')\n",
    );
    sb.model
        .script("s11sub", vec![bash("gh pr list"), bash("python3 show.py")]);
    let opts = RunOpts {
        extra_env: vec![(
            "PATH".into(),
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )],
        ..RunOpts::default()
    };
    let r = sb.run(
        "s11",
        vec![
            Turn::tool(
                "Agent",
                json!({"description": "list PRs", "subagent_type": "general-purpose",
                       "prompt": "@@e2e:s11sub@@ list the pull requests"}),
            ),
            bash("echo $GH_TOKEN"),
            bash("gh pr list; python3 show.py"),
        ],
        &opts,
    );
    assert_finished(&r);

    // The subagent's gh got the token (it exits 4 without one) and printed it; the model
    // received that output with the value withheld.
    let text = sb
        .model
        .tool_result(&tool_use_id("s11sub", 0, 0))
        .map(|(t, _)| t)
        .unwrap_or_else(|| panic!("the subagent's gh never ran\n{}", r.describe()));
    assert!(text.contains("gh: 3 pull requests"), "{text}");
    assert!(text.contains("[REDACTED"), "{text}");
    // The other program in the same subagent sees nothing.
    let (text, _) = sb.model.tool_result(&tool_use_id("s11sub", 1, 0)).unwrap();
    assert!(text.contains("seen=[]"), "{text}");
    // `echo $GH_TOKEN` in the main session: stopped, or it prints nothing.
    let (text, _) = sb.model.tool_result(&tool_use_id("s11", 1, 0)).unwrap();
    assert!(!text.contains("Gx7"), "{text}");
    // A list that runs more than gh: gh fails for want of the token, python sees none.
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s11", 2, 0),
        &["GH_TOKEN is not set", "seen=[]"],
    );

    // Nothing the model was sent, and nothing in the audit log, holds the value in any form.
    let sent = sb.model.all_request_text();
    let audit = sb.audit_text();
    let encoded = b64(VALUE);
    for form in [VALUE, "Gx7/kq+Zr", &encoded[4..encoded.len() - 4]] {
        assert!(!sent.contains(form), "{form} reached the model");
        assert!(!audit.contains(form), "{form} is in the audit log");
    }
}
