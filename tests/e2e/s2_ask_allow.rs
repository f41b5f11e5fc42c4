//! Scenario 2: an ask under `-p` is denied by the client (nobody can answer it); an allowed
//! command runs and its output reaches the model.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_audited, assert_blocked, assert_finished, assert_ran, bash};

/// A project rule asks before writing `deploy.cfg`; under `-p` the client turns the ask into a
/// denial, the file is not written, and the model sees blastwall's reason.
///
/// (Not the default `direnv-envrc` rule: for `.envrc` the client's own sensitive-file check
/// answers first, and the model sees the client's message instead of blastwall's.)
#[test]
fn s2_ask_is_denied_under_print_mode() {
    let sb = Sandbox::new("s2-ask");
    sb.register(&HookCommand::blastwall(&[]));
    sb.project_policy(
        r#"version = 1

[[rules]]
id = "deploy-config"
decision = "ask"
reason = "deploy.cfg changes production"
access = "write"
paths = ["**/deploy.cfg"]
"#,
    );
    let cfg = sb.project.join("deploy.cfg");
    let r = sb.run(
        "s2ask",
        vec![Turn::tool(
            "Write",
            json!({"file_path": cfg.to_string_lossy(), "content": "replicas = 0\n"}),
        )],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert!(!cfg.exists(), "an asked Write ran under -p");
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s2ask", 0, 0),
        &[
            "blastwall: needs approval by rule `deploy-config`",
            "deploy.cfg changes production",
        ],
    );
    assert_audited(&sb, "Write", "ask", Some("deploy-config"));
}

/// `rm -rf` of a project folder is asked (Bash analysis); under `-p` it does not run.
#[test]
fn s2_bash_rm_rf_is_asked_and_does_not_run() {
    let sb = Sandbox::new("s2-rmrf");
    sb.register(&HookCommand::blastwall(&[]));
    let build = sb.project.join("build/out.o");
    sb.write(&build, "object");
    let r = sb.run("s2rmrf", vec![bash("rm -rf build")], &RunOpts::default());
    assert_finished(&r);

    assert!(build.exists(), "an asked rm -rf ran under -p");
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s2rmrf", 0, 0),
        &["blastwall: needs approval"],
    );
    assert_audited(&sb, "Bash", "ask", None);
}

/// An everyday command is let through: it runs, and its output is what the model gets.
#[test]
fn s2_allowed_command_runs_and_output_reaches_model() {
    let sb = Sandbox::new("s2-allow");
    sb.register(&HookCommand::blastwall(&[]));
    let r = sb.run(
        "s2allow",
        vec![bash("echo hello-from-e2e | tee out.txt && wc -c < out.txt")],
        &RunOpts::default(),
    );
    assert_finished(&r);

    assert_eq!(
        std::fs::read_to_string(sb.project.join("out.txt")).unwrap(),
        "hello-from-e2e\n"
    );
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s2allow", 0, 0),
        &["hello-from-e2e", "15"],
    );
    assert!(
        r.permission_denials().is_empty(),
        "{:?}",
        r.permission_denials()
    );
    assert_audited(&sb, "Bash", "pass", None);
}

/// Quiet on everyday work: a typical run of reads, searches, edits and shell commands in the
/// project, in the shapes the real client sends them, gets no blastwall objection at all.
#[test]
fn s2_everyday_work_is_not_interrupted() {
    let sb = Sandbox::new("s2-everyday");
    sb.register(&HookCommand::blastwall(&[]));
    let readme = sb.project.join("README.md");
    sb.write(&readme, "# demo\nhello world\n");
    sb.write(
        &sb.project.join("src/lib.rs"),
        "pub fn answer() -> u32 { 41 }\n",
    );
    let p = |rel: &str| sb.project.join(rel).to_string_lossy().into_owned();
    let steps = vec![
        Turn::tool("Read", json!({"file_path": p("README.md")})),
        Turn::tool("Glob", json!({"pattern": "**/*.rs"})),
        Turn::tool(
            "Grep",
            json!({"pattern": "answer", "output_mode": "content"}),
        ),
        Turn::tool(
            "Edit",
            json!({"file_path": p("src/lib.rs"), "old_string": "41", "new_string": "42"}),
        ),
        Turn::tool(
            "Write",
            json!({"file_path": p("notes/todo.md"), "content": "- ship\n"}),
        ),
        Turn::tool(
            "TodoWrite",
            json!({"todos": [{"content": "ship", "status": "pending", "activeForm": "Shipping"}]}),
        ),
        bash("ls -la && cat README.md | wc -l"),
        bash("mkdir -p build && touch build/out.o && find . -name '*.md' | sort"),
        bash("grep -rn answer src/ && echo \"home is $HOME\""),
        bash("git init -q && git add -A && git status --short"),
    ];
    let n = steps.len();
    let r = sb.run("s2every", steps, &RunOpts::default());
    assert_finished(&r);

    for step in 0..n {
        let (text, _) = sb
            .model
            .tool_result(&tool_use_id("s2every", step, 0))
            .unwrap_or_else(|| panic!("step {step}: no result\n{}", r.describe()));
        assert!(
            !text.contains("blastwall: "),
            "step {step}: blastwall objected: {text}"
        );
    }
    assert!(
        r.permission_denials().is_empty(),
        "{:?}",
        r.permission_denials()
    );
    assert_eq!(
        std::fs::read_to_string(sb.project.join("src/lib.rs")).unwrap(),
        "pub fn answer() -> u32 { 42 }\n"
    );
    assert!(sb.project.join("build/out.o").exists() && sb.project.join(".git").exists());
    let objections: Vec<_> = sb
        .audit()
        .into_iter()
        .filter(|e| e["decision"] == "deny" || e["decision"] == "ask")
        .collect();
    assert!(objections.is_empty(), "{objections:?}");
}
