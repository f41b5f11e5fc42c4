//! Scenario 10: every Bash call that gets through runs in blastwall's OS sandbox, with the real
//! client (`-p --allowedTools Bash`, how CI runs agents). Skipped, with the reason printed,
//! where no sandbox backend works (CI installs bubblewrap).
use serde_json::json;

use crate::fake_model::{tool_use_id, Turn};
use crate::harness::{HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, assert_ran, bash};

fn available() -> bool {
    let p = blastwall::sandbox::probe();
    if p.backend != blastwall::sandbox::BackendKind::Bwrap {
        eprintln!("SKIPPED: no sandbox backend works here:\n{}", p.explain());
        return false;
    }
    true
}

/// A plain call runs sandboxed (the marker variable is set, the client's API key is not), and
/// a `cd` inside it is where the next call starts.
#[test]
fn s10_bash_runs_sandboxed_and_cd_is_tracked() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s10");
    sb.register(&HookCommand::blastwall(&[]));
    std::fs::create_dir_all(sb.project.join("sub")).unwrap();
    let r = sb.run(
        "s10",
        vec![
            bash("printf 'in=%s\\n' \"$BLASTWALL_SANDBOX\"; test -z \"$ANTHROPIC_API_KEY\" && echo no-api-key; cd sub"),
            bash("pwd"),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert_ran(&sb, &r, &tool_use_id("s10", 0, 0), &["in=main\nno-api-key"]);
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s10", 1, 0),
        &[&sb.project.join("sub").to_string_lossy()],
    );
    let lines = sb.audit_pre("Bash");
    assert!(
        lines.iter().all(|l| l["sandbox"]
            .as_str()
            .is_some_and(|s| s.starts_with("bwrap"))),
        "{lines:?}"
    );
}

/// A workspace script that tries to delete the home directory (what `npm run clean` or a
/// `make` recipe could do) is not something the judge can read; the sandbox keeps home intact.
#[test]
fn s10_workspace_script_cannot_delete_home() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s10-home");
    sb.register(&HookCommand::blastwall(&[]));
    let keep = sb.home.join("notes/keep.txt");
    sb.write(&keep, "precious\n");
    // Python: the judge reads shell scripts it is asked to run, not programs in other languages.
    sb.write(
        &sb.project.join("scripts/clean.py"),
        "import os, shutil\nshutil.rmtree(os.path.expanduser('~/notes'))\n",
    );
    let r = sb.run(
        "s10home",
        vec![bash("python3 scripts/clean.py; echo rc=$?")],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s10home", 0, 0),
        &["Read-only file system"],
    );
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
}

/// The user's own `permissions.deny` rule for a Bash command still denies it, although the
/// client would match it against the rewritten wrapper: blastwall applies it to the original.
#[test]
fn s10_user_deny_rule_still_denies_with_rewriting() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s10-deny");
    sb.register(&HookCommand::blastwall(&[]));
    sb.write(
        &sb.home.join(".claude/settings.json"),
        &json!({"permissions": {"deny": ["Bash(touch:*)"]}}).to_string(),
    );
    let r = sb.run("s10deny", vec![bash("touch made.txt")], &RunOpts::default());
    assert_finished(&r);
    assert!(
        !sb.project.join("made.txt").exists(),
        "the denied touch ran"
    );
    assert_blocked(
        &sb,
        &r,
        &tool_use_id("s10deny", 0, 0),
        &["Bash(touch:*)", "denies this command"],
    );
}

/// A subagent whose profile has `network = "none"` cannot reach a server the main agent can.
#[test]
fn s10_subagent_without_network_fails_to_curl() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s10-net");
    sb.register(&HookCommand::blastwall(&[]));
    sb.user_policy(
        r#"version = 1

[network]
allow_hosts = ["127.0.0.1"]

# The main agent reaches the fake model directly (not through the egress proxy, which only
# serves ports 80/443 unless a port is listed).
[sandbox]
network = "host"

[profiles.offline]
when = { agent_type = ["general-purpose"] }
sandbox = { network = "none" }
"#,
    );
    let url = sb.model.base_url();
    let probe =
        format!("curl -s -o /dev/null -m 5 -w 'http=%{{http_code}}' {url}/ ; echo \" rc=$?\"");
    sb.model.script("s10sub", vec![bash(&probe)]);
    let r = sb.run(
        "s10main",
        vec![
            bash(&probe),
            Turn::tool(
                "Agent",
                json!({"description": "fetch", "subagent_type": "general-purpose",
                       "prompt": "@@e2e:s10sub@@ fetch"}),
            ),
        ],
        &RunOpts::default(),
    );
    assert_finished(&r);
    assert_ran(&sb, &r, &tool_use_id("s10main", 0, 0), &[" rc=0"]);
    let (text, _) = sb.model.tool_result(&tool_use_id("s10sub", 0, 0)).unwrap();
    assert!(
        text.contains(" rc=7"),
        "the subagent reached the network: {text}"
    );
}

/// How CI runs agents, `-p --allowedTools Bash`: a command nothing objects to and no rule of
/// the user's decides gets the sandboxed input with no decision of blastwall's; the client's
/// own flow (here: Bash allowed) runs the rewritten command. Without `--allowedTools` the
/// same answer leaves the client to ask, which `-p` turns into a denial: blastwall did not
/// approve it behind the user's back.
#[test]
fn s10_allowed_tools_bash_runs_the_rewritten_command_without_a_decision() {
    if !available() {
        return;
    }
    let sb = Sandbox::new("s10-nodecision");
    sb.register(&HookCommand::blastwall(&[]));
    let step = "touch made.txt && echo \"in=$BLASTWALL_SANDBOX\"";
    let only_bash = RunOpts {
        allowed_tools: vec!["Bash".into()],
        ..RunOpts::default()
    };
    let r = sb.run("s10nd", vec![bash(step)], &only_bash);
    assert_finished(&r);
    assert_ran(&sb, &r, &tool_use_id("s10nd", 0, 0), &["in=main"]);
    assert!(sb.project.join("made.txt").exists());
    let lines = sb.audit_pre("Bash");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["decision"], "pass", "{lines:?}");
    assert!(
        lines[0]["sandbox"]
            .as_str()
            .is_some_and(|s| s.starts_with("bwrap")),
        "{lines:?}"
    );

    std::fs::remove_file(sb.project.join("made.txt")).unwrap();
    let none = RunOpts {
        allowed_tools: Vec::new(),
        ..RunOpts::default()
    };
    let r = sb.run("s10nd2", vec![bash(step)], &none);
    assert_finished(&r);
    assert_blocked(&sb, &r, &tool_use_id("s10nd2", 0, 0), &[]);
    assert!(!sb.project.join("made.txt").exists());
}

/// A machine where bubblewrap cannot run but Landlock can (simulated with the
/// fault-injection build): Bash runs in the degraded sandbox (the audit log says so), a `cd`
/// is still tracked, and home stays intact.
#[cfg(feature = "fault-injection")]
#[test]
fn s10_landlock_only_machine_runs_degraded_keeps_home_and_tracks_cd() {
    if blastwall::sandbox::landlock::kernel_abi() == 0 {
        eprintln!("SKIPPED: this kernel has no Landlock");
        return;
    }
    let sb = Sandbox::new("s10-landlock");
    sb.register(&HookCommand::blastwall(&[]));
    std::fs::create_dir_all(sb.project.join("sub")).unwrap();
    let keep = sb.home.join("notes/keep.txt");
    sb.write(&keep, "precious\n");
    sb.write(
        &sb.project.join("scripts/clean.py"),
        "import os, shutil\nshutil.rmtree(os.path.expanduser('~/notes'))\n",
    );
    let opts = RunOpts {
        extra_env: vec![("BLASTWALL_FAULT".into(), "sandbox-landlock".into())],
        ..RunOpts::default()
    };
    let r = sb.run(
        "s10ll",
        vec![
            bash("python3 scripts/clean.py 2>&1 | tail -1; echo \"in=$BLASTWALL_SANDBOX\"; cd sub"),
            bash("pwd"),
        ],
        &opts,
    );
    assert_finished(&r);
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s10ll", 0, 0),
        &["Permission denied", "in=main"],
    );
    assert_ran(
        &sb,
        &r,
        &tool_use_id("s10ll", 1, 0),
        &[&sb.project.join("sub").to_string_lossy()],
    );
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    // The default profile's network allowlist: Landlock 4+ holds it as no TCP at all; below 4
    // `auto` runs with the host's network and says so.
    let want = if blastwall::sandbox::landlock::kernel_abi() >= 4 {
        "landlock (degraded), network allowlist"
    } else {
        "landlock (degraded), network host"
    };
    let lines = sb.audit_pre("Bash");
    assert!(lines.iter().all(|l| l["sandbox"] == want), "{lines:?}");
}
