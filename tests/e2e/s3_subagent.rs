//! Scenario 3: per-subagent least privilege. The main agent spawns a `general-purpose`
//! subagent; a project profile for that agent type has no Bash. The subagent's Bash call is
//! denied, the main agent's identical call is not.
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked_in_subagent, assert_finished, assert_ran, bash};

#[test]
fn s3_subagent_profile_without_bash() {
    let sb = Sandbox::new("s3");
    sb.register(&HookCommand::blastwall(&[]));
    sb.project_policy(
        r#"version = 1

[profiles.reviewer]
when = { agent_type = ["general-purpose"] }
allow_tools = ["Read", "Grep", "Glob"]
"#,
    );
    // The very same command in both agents: only who runs it differs.
    let same = "echo ran >> calls.log && cat calls.log";
    let calls = sb.project.join("calls.log");
    sb.write(&sb.project.join("README.md"), "project readme\n");
    sb.model.script(
        "s3sub",
        vec![
            bash(same),
            Turn::tool(
                "Read",
                json!({"file_path": sb.project.join("README.md").to_string_lossy()}),
            ),
        ],
    );
    let r = sb.run(
        "s3main",
        vec![
            bash(same),
            Turn::tool(
                "Agent",
                json!({"description": "review", "subagent_type": "general-purpose",
                       "prompt": "@@e2e:s3sub@@ review the project"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);

    // The command ran exactly once: in the main agent.
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "ran\n",
        "calls.log"
    );
    assert_ran(&sb, &r, &tool_use_id("s3main", 0, 0), &["ran"]);
    let denied = assert_blocked_in_subagent(
        &sb,
        &r,
        &tool_use_id("s3sub", 0, 0),
        &["blastwall: denied", "`reviewer`"],
    );
    assert!(
        denied.contains("Bash"),
        "the reason should name the tool: {denied}"
    );
    // The subagent is not crippled: its allowed tool works.
    // (assert_ran also checks it is not among the main agent's permission_denials.)
    assert_ran(&sb, &r, &tool_use_id("s3sub", 1, 0), &["project readme"]);
    // The Agent call itself was the main agent's and allowed. (2.1.328 runs it in the
    // background: main gets "Async agent launched" and later a task notification; `-p` waits.)
    assert_ran(&sb, &r, &tool_use_id("s3main", 1, 0), &[]);

    // The audit log tells the two Bash calls apart by agent and profile.
    let bash_entries = sb.audit_pre("Bash");
    let main = bash_entries
        .iter()
        .find(|e| e["agent_id"].is_null())
        .unwrap_or_else(|| panic!("no main-agent Bash entry: {}", sb.audit_text()));
    let sub = bash_entries
        .iter()
        .find(|e| e["agent_type"] == "general-purpose")
        .unwrap_or_else(|| panic!("no subagent Bash entry: {}", sb.audit_text()));
    assert_eq!(main["decision"], "pass", "{main}");
    assert_eq!(sub["decision"], "deny", "{sub}");
    assert!(sub["profile"].to_string().contains("reviewer"), "{sub}");
    assert!(
        sub["agent_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{sub}"
    );
}
