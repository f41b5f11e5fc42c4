//! The sandbox on the real kernel: `blastwall sandbox --ticket` as the wrapper runs it, with a
//! fake HOME (holding `.ssh/id_rsa`, `.bashrc`, package caches) and a project that is a git
//! repository with `.claude/`, `.git/hooks` and a `.env`.
//!
//! Each test runs once per backend that works here: bubblewrap (skipped, with the reason
//! printed, where it cannot start; CI installs it) and Landlock (skipped where the kernel has
//! none). Where Landlock is degraded (read-only or hidden paths inside a writable root, unix
//! sockets, the host's /tmp, nested user namespaces) the test says what it does instead.
use std::path::{Path, PathBuf};
use std::process::Command;

use blastwall::sandbox::spec::{default_credential_stores, SandboxSettings};
use blastwall::sandbox::ticket::{self, Ticket};
use blastwall::sandbox::{probe, BackendKind, Network, SandboxSpec};

use crate::{run, Output, Sandbox, BIN};

/// The backends that work on this machine, each skipped one with its reason printed.
fn backends() -> Vec<BackendKind> {
    let mut out = Vec::new();
    let p = probe();
    if p.backend == BackendKind::Bwrap {
        out.push(BackendKind::Bwrap);
    } else {
        eprintln!(
            "SKIPPED (bwrap): bubblewrap does not work here:\n{}",
            p.explain()
        );
    }
    if blastwall::sandbox::landlock::kernel_abi() >= 1 {
        out.push(BackendKind::Landlock);
    } else {
        eprintln!("SKIPPED (landlock): this kernel has no Landlock");
    }
    out
}

fn sh(dir: &Path, script: &str) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A machine for one test: the fake home and the project as described above, and a sibling
/// worktree next to the project.
struct Box {
    sb: Sandbox,
    sibling: PathBuf,
    kind: BackendKind,
}

impl Box {
    fn new(kind: BackendKind) -> Box {
        let sb = Sandbox::new();
        let sibling = sb.project.parent().unwrap().join("sibling");
        std::fs::create_dir_all(&sibling).unwrap();
        sb.write(
            &sb.home.join(".ssh/id_rsa"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n",
        );
        sb.write(&sb.home.join(".bashrc"), "# original\n");
        sb.write(
            &sb.home.join(".aws/credentials"),
            "[default]\naws_secret_access_key=x\n",
        );
        sb.write(&sb.home.join(".cargo/registry/.keep"), "");
        sb.write(&sb.home.join(".cargo/config.toml"), "");
        sb.write(&sb.home.join(".npm/.keep"), "");
        sb.write(&sb.project.join(".env"), "API_KEY=project-secret-value\n");
        sb.write(
            &sb.project.join("sub/deeper/.env.local"),
            "DB_PASSWORD=deep-secret\n",
        );
        sb.write(&sb.project.join(".env.example"), "API_KEY=\n");
        sb.write(&sb.project.join(".claude/settings.json"), "{}\n");
        sb.write(&sb.project.join("README"), "hello\n");
        sh(
            &sb.project,
            "git init -q . && git config user.email t@e && git config user.name t && git add README && git commit -qm init",
        );
        Box { sb, sibling, kind }
    }

    fn spec(&self, network: Network) -> SandboxSpec {
        let env = blastwall::paths::PathEnv {
            home: Some(self.sb.home.clone()),
            project: self.sb.project.clone(),
            tmpdir: PathBuf::from("/tmp"),
            cwd: self.sb.project.clone(),
            exe: Some(PathBuf::from(BIN)),
        };
        let settings = SandboxSettings {
            network,
            ..SandboxSettings::default()
        };
        SandboxSpec::build(
            &env,
            "main",
            &[self.sb.project.clone(), PathBuf::from("/tmp")],
            &settings,
            &default_credential_stores(),
        )
    }

    fn state(&self) -> PathBuf {
        self.sb.home.join(".local/state/blastwall")
    }

    fn ticket(&self, command: &str, network: Network) -> String {
        let t = Ticket::new(
            command,
            false,
            self.kind,
            self.spec(network),
            Some("s"),
            None,
            None,
            None,
        );
        ticket::write(&self.state(), &t).unwrap()
    }

    /// The runner's environment: what the client's Bash tool would pass, secrets included.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.sb.cmd(args);
        c.env("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .env("ANTHROPIC_API_KEY", "sk-ant-api03-dummy")
            .env("SOME_HARMLESS", "1")
            .env("LANG", "C.UTF-8");
        c
    }

    /// `bash -c SCRIPT` in the project with the runner's environment (the client's shell).
    fn shell(&self, script: &str) -> Command {
        let template = self.cmd(&[]);
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(script)
            .env_clear()
            .current_dir(&self.sb.project);
        for (k, v) in template.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c
    }

    fn run(&self, command: &str) -> Output {
        self.run_net(command, Network::Host)
    }

    fn run_net(&self, command: &str, network: Network) -> Output {
        let id = self.ticket(command, network);
        run(self.cmd(&["sandbox", "--ticket", &id]), b"")
    }
}

fn ok(o: &Output) -> &str {
    assert_eq!(o.code, Some(0), "failed: {o:?}");
    &o.stdout
}

#[test]
fn cannot_write_bashrc_by_any_spelling() {
    for kind in backends() {
        let b = Box::new(kind);
        let spellings = [
            "echo evil >> ~/.bashrc",
            "echo evil | sort -o ~/.bashrc",
            "git archive -o ~/.bashrc HEAD",
            "ln ~/.bashrc hard && echo evil >> hard",
            "ln -s ~/.bashrc soft && echo evil >> soft",
            "f=~/.bash''rc; cp README \"$f\"",
            "cd ~ && echo evil | tee -a .bashrc",
            "python3 -c 'open(__import__(\"os\").path.expanduser(\"~/.bashrc\"),\"a\").write(\"evil\")'",
        ];
        for s in spellings {
            let o = b.run(s);
            assert_ne!(o.code, Some(0), "{kind:?}: {s} succeeded: {o:?}");
            assert_eq!(
                std::fs::read_to_string(b.sb.home.join(".bashrc")).unwrap(),
                "# original\n",
                "{kind:?}: {s}"
            );
        }
    }
}

#[test]
fn protected_paths_inside_the_project_stay_read_only_and_commits_work() {
    for kind in backends() {
        let b = Box::new(kind);
        // Landlock cannot keep a path inside a writable root read-only (its rules are
        // unions): there the hook's checks are the only guard, as doctor and the README say.
        if kind == BackendKind::Bwrap {
            for s in [
                "echo '{\"hooks\":{}}' > .claude/settings.json",
                "echo x > .git/hooks/pre-commit",
                "cp README .git/hooks/post-checkout",
                "git config core.hooksPath /tmp/h",
                "mv .git/hooks .git/h2",
                "rm -rf .claude",
            ] {
                let o = b.run(s);
                assert_ne!(o.code, Some(0), "{s} succeeded: {o:?}");
            }
            assert_eq!(
                std::fs::read_to_string(b.sb.project.join(".claude/settings.json")).unwrap(),
                "{}\n"
            );
            assert!(!b.sb.project.join(".git/hooks/pre-commit").exists());
        }
        // Ordinary work in the project, commits included, works.
        let o = b.run("echo new > new.txt && git add new.txt && git commit -qm 'from the sandbox' && git log --oneline | wc -l");
        assert_eq!(ok(&o).trim(), "2", "{kind:?}");
    }
}

#[test]
fn a_missing_mcp_json_created_inside_is_removed_and_the_call_fails() {
    for kind in backends() {
        let b = Box::new(kind);
        let o = b.run("echo '{\"mcpServers\":{}}' > .mcp.json");
        assert_eq!(o.code, Some(1), "{kind:?}: {o:?}");
        assert!(
            o.stderr.contains(".mcp.json") && o.stderr.contains("removed"),
            "{o:?}"
        );
        assert!(!b.sb.project.join(".mcp.json").exists());
    }
}

#[test]
fn credentials_and_project_secrets_are_unreadable() {
    for kind in backends() {
        let b = Box::new(kind);
        let o = b.run(
            "cat ~/.ssh/id_rsa; k=~/.ssh/id_rsa; cat \"$k\"; cat ~/.ss?/*; cat ~/.aws/*; echo end",
        );
        let out = ok(&o);
        assert!(
            !out.contains("secret") && !out.contains("aws_secret"),
            "{kind:?}: {out}"
        );
        assert!(out.ends_with("end\n"), "{out}");
        // Secret files inside the project: masked by bubblewrap; Landlock cannot hide a file
        // inside a writable root (the hook's checks are the guard there).
        if kind == BackendKind::Bwrap {
            let o =
                b.run("f=.env; cat \"$f\"; cat .e*; cat sub/*/.env*; cat .env.example; echo end");
            let out = ok(&o);
            assert!(
                !out.contains("project-secret-value") && !out.contains("deep-secret"),
                "{out}"
            );
            // The example file is not a secret and reads as it is.
            assert!(out.contains("API_KEY=\nend"), "{out}");
        }
    }
}

#[test]
fn no_secret_variable_reaches_the_command() {
    for kind in backends() {
        let b = Box::new(kind);
        // Nor through the runner's /proc entry (Landlock refuses ptrace-class access to
        // processes outside the sandbox; bubblewrap's PID namespace does not show them).
        let o = b.run("tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null; env");
        let out = ok(&o);
        for name in [
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "ANTHROPIC_API_KEY",
            "SOME_HARMLESS",
            "BLASTWALL_SANDBOX_DEFS",
        ] {
            assert!(!out.contains(name), "{kind:?}: {name} visible:\n{out}");
        }
        assert!(
            out.contains("BLASTWALL_SANDBOX=main") && out.contains("LANG=C.UTF-8"),
            "{out}"
        );
    }
}

#[test]
fn network_none_reaches_nothing_and_host_does() {
    for kind in backends() {
        if kind == BackendKind::Landlock && blastwall::sandbox::landlock::kernel_abi() < 4 {
            eprintln!("SKIPPED (landlock): no TCP rules below ABI 4");
            continue;
        }
        let b = Box::new(kind);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let probe = format!("echo hi > /dev/tcp/127.0.0.1/{port} && echo connected");
        let o = b.run_net(&probe, Network::None);
        assert_ne!(o.code, Some(0), "{kind:?}: {o:?}");
        let o = b.run_net(&probe, Network::Host);
        assert_eq!(ok(&o).trim(), "connected", "{kind:?}");
    }
}

#[test]
fn unix_sockets_tmp_siblings_and_user_namespaces_are_out_of_reach() {
    for kind in backends() {
        let b = Box::new(kind);
        let sibling_file = b.sibling.join("x");
        let o = b.run(&format!("echo x > {}", sibling_file.display()));
        assert_ne!(o.code, Some(0), "{kind:?}");
        assert!(!sibling_file.exists());
        // Nothing reaches the host's /tmp (bubblewrap: the call's /tmp is its own; Landlock:
        // only the private TMPDIR is writable), and TMPDIR works.
        let host = tempfile::Builder::new()
            .prefix("bw-inside-")
            .tempdir_in("/tmp")
            .unwrap();
        let inside = host.path().join("x");
        let o = b.run(&format!(
            "echo x > {} 2>/dev/null; echo x > \"$TMPDIR/own\" && echo own",
            inside.display()
        ));
        assert_eq!(ok(&o).trim(), "own", "{kind:?}: {o:?}");
        assert!(!inside.exists(), "{kind:?}");

        // Landlock (below ABI 9) cannot stop a connect to a unix socket file, see the host's
        // /tmp hidden, or refuse a new user namespace (the process stays restricted in it).
        if kind != BackendKind::Bwrap {
            continue;
        }
        // A socket outside /tmp that the policy hides (as /run/docker.sock is by default).
        let sock = b.sb.home.join("agent.sock");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let mut spec = b.spec(Network::Host);
        spec.hidden.push(sock.clone());
        let t = Ticket::new(
            &format!("[ -S {} ] && echo visible; echo done", sock.display()),
            false,
            b.kind,
            spec,
            None,
            None,
            None,
            None,
        );
        let id = ticket::write(&b.state(), &t).unwrap();
        let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
        assert_eq!(ok(&o).trim(), "done");

        // The host's /tmp is not the call's.
        let marker = tempfile::Builder::new()
            .prefix("bw-host-")
            .tempfile_in("/tmp")
            .unwrap();
        let o = b.run(&format!(
            "ls {} 2>&1; echo x > /tmp/inside; echo ok",
            marker.path().display()
        ));
        assert!(ok(&o).contains("No such file"), "{o:?}");
        assert!(!Path::new("/tmp/inside").exists());

        let o = b.run("unshare -U true");
        assert_ne!(o.code, Some(0), "nested user namespace allowed: {o:?}");
    }
}

#[test]
fn package_caches_are_writable_and_the_rest_of_home_is_not() {
    for kind in backends() {
        let b = Box::new(kind);
        let o = b.run("touch ~/.cargo/registry/x ~/.npm/y && echo ok");
        assert_eq!(ok(&o).trim(), "ok", "{kind:?}");
        // (Not `touch`: Landlock does not restrict a timestamp or mode change.)
        let o = b.run("echo x >> ~/.cargo/config.toml");
        assert_ne!(o.code, Some(0), "{kind:?}");
        assert_eq!(
            std::fs::read_to_string(b.sb.home.join(".cargo/config.toml")).unwrap(),
            ""
        );
    }
}

#[test]
fn a_ticket_runs_once_and_an_unknown_one_is_refused() {
    for kind in backends() {
        let b = Box::new(kind);
        let id = b.ticket("echo ran", Network::Host);
        let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
        assert_eq!(ok(&o).trim(), "ran", "{kind:?}");
        let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
        assert_eq!(o.code, Some(125));
        assert!(
            o.stdout.is_empty() && o.stderr.contains("no sandbox ticket"),
            "{o:?}"
        );
        let o = run(b.cmd(&["sandbox", "--ticket", "../../x"]), b"");
        assert_eq!(o.code, Some(125));
    }
}

/// The whole wrapper in a real shell: functions and aliases defined outside work inside, the
/// exit code comes back, and a `cd` made inside is where the outer shell ends up.
#[test]
fn the_wrapper_tracks_cd_and_keeps_functions_and_exit_codes() {
    for kind in backends() {
        let b = Box::new(kind);
        std::fs::create_dir_all(b.sb.project.join("sub")).unwrap();
        let id = b.ticket("myfn; myalias; cd sub && exit 3", Network::Host);
        let wrapped = blastwall::sandbox::wrapper::wrap(
            BIN,
            &b.state(),
            &id,
            "main",
            "myfn; myalias; cd sub && exit 3",
            false,
        );
        let script = format!(
            "myfn() {{ echo fn-ok; }}; alias myalias='echo alias-ok'; shopt -s expand_aliases\neval {}\necho \"rc=$? pwd=$(pwd -P)\"",
            blastwall::sandbox::wrapper::quote(&wrapped)
        );
        let o = run(b.shell(&script), b"");
        assert!(o.stdout.contains("fn-ok\nalias-ok\n"), "{kind:?}: {o:?}");
        assert!(
            o.stdout
                .contains(&format!("rc=3 pwd={}", b.sb.project.join("sub").display())),
            "{o:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Fail closed: every branch where the sandbox cannot be had ends in a deny, an ask, or a
// non-zero exit with a readable message; never in the command running unsandboxed (except
// `mode = "auto"` without any backend, which warns once per session and records `none`).
// The hook's "no backend" and "only Landlock" machines are simulated with the
// fault-injection build's BLASTWALL_FAULT=sandbox-none / sandbox-landlock.
// ---------------------------------------------------------------------------------------

const SESSION: &str = "3f1c9a2e-7b4d-4e8a-9c61-2d5f0b8e4a17";

/// `blastwall hook` on a Bash call in `session`, with `BLASTWALL_FAULT=fault` when given.
fn bash_hook(sb: &Sandbox, command: &str, session: &str, fault: Option<&str>) -> Output {
    let mut ev = sb.pre_tool_use(
        "Bash",
        serde_json::json!({"command": command, "description": "d", "timeout": 5000}),
    );
    ev["session_id"] = session.into();
    let mut c = sb.cmd(&["hook"]);
    if let Some(f) = fault {
        c.env("BLASTWALL_FAULT", f);
    }
    run(c, ev.to_string().as_bytes())
}

fn audit_lines(sb: &Sandbox) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sb.home.join(".local/state/blastwall/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn updated_command(o: &Output) -> Option<String> {
    o.answer()?
        .pointer("/hookSpecificOutput/updatedInput/command")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

fn system_message(o: &Output) -> Option<String> {
    o.answer()?
        .get("systemMessage")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

fn policy(sb: &Sandbox, sandbox_section: &str) {
    sb.write(
        &sb.user_policy(),
        &format!("version = 1\n\n[sandbox]\n{sandbox_section}\n"),
    );
}

#[cfg(feature = "fault-injection")]
#[test]
fn fail_closed_required_without_a_backend_denies_with_how_to_fix() {
    let sb = Sandbox::new();
    policy(&sb, "mode = \"required\"");
    let o = bash_hook(&sb, "touch made.txt", SESSION, Some("sandbox-none"));
    assert_eq!(o.decision(), "deny", "{o:?}");
    let reason = o.reason();
    assert!(
        reason.contains("sandbox.mode = \"required\"") && reason.contains("install bubblewrap"),
        "{reason}"
    );
    assert!(updated_command(&o).is_none());
}

#[cfg(feature = "fault-injection")]
#[test]
fn fail_closed_auto_without_a_backend_warns_once_per_session_and_records_none() {
    let sb = Sandbox::new();
    let first = bash_hook(&sb, "touch a.txt", SESSION, Some("sandbox-none"));
    let answer = first.answer().expect("a warning");
    assert!(answer.get("hookSpecificOutput").is_none(), "{first:?}");
    let warning = system_message(&first).expect("a warning on the first call");
    assert!(warning.contains("WITHOUT a sandbox"), "{warning}");
    let second = bash_hook(&sb, "touch b.txt", SESSION, Some("sandbox-none"));
    assert!(
        system_message(&second).is_none(),
        "warned twice: {second:?}"
    );
    let other = bash_hook(&sb, "touch c.txt", "other-session", Some("sandbox-none"));
    assert!(system_message(&other).is_some(), "{other:?}");
    let lines = audit_lines(&sb);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["sandbox"] == "none"), "{lines:?}");
}

#[cfg(feature = "fault-injection")]
#[test]
fn fail_closed_landlock_only_runs_sandboxed_warns_degraded_once_and_records_it() {
    if blastwall::sandbox::landlock::kernel_abi() == 0 {
        eprintln!("SKIPPED: this kernel has no Landlock");
        return;
    }
    let sb = Sandbox::new();
    policy(&sb, "mode = \"required\"\nnetwork = \"host\"");
    let first = bash_hook(&sb, "touch a.txt", SESSION, Some("sandbox-landlock"));
    assert!(
        updated_command(&first).is_some_and(|c| c.contains(" sandbox --ticket ")),
        "{first:?}"
    );
    let warning = system_message(&first).expect("a degraded warning");
    assert!(
        warning.contains("DEGRADED")
            && warning.contains("CANNOT keep paths inside a writable root"),
        "{warning}"
    );
    let second = bash_hook(&sb, "touch b.txt", SESSION, Some("sandbox-landlock"));
    assert!(updated_command(&second).is_some());
    assert!(system_message(&second).is_none(), "{second:?}");
    let lines = audit_lines(&sb);
    assert!(
        lines
            .iter()
            .all(|l| l["sandbox"] == "landlock (degraded), network host"),
        "{lines:?}"
    );
}

/// Landlock has no network namespace: a profile's allowlist is held as no TCP at all (the
/// proxy cannot be made the only way out), stricter than asked, never looser.
#[cfg(feature = "fault-injection")]
#[test]
fn landlock_only_holds_a_network_allowlist_as_no_tcp() {
    if blastwall::sandbox::landlock::kernel_abi() < 4 {
        eprintln!("SKIPPED: this kernel's Landlock has no TCP rules");
        return;
    }
    let sb = Sandbox::new();
    sb.write(
        &sb.user_policy(),
        "version = 1\n\n[network]\nallow_hosts = [\"example.com\"]\n\n[sandbox]\nnetwork = \"allowlist\"\n",
    );
    let o = bash_hook(&sb, "touch a.txt", SESSION, Some("sandbox-landlock"));
    assert!(updated_command(&o).is_some(), "{o:?}");
    assert!(
        system_message(&o).is_some_and(|m| m.contains("no TCP at all")),
        "{o:?}"
    );
}

#[test]
fn fail_closed_a_ticket_that_cannot_be_written_denies() {
    let sb = Sandbox::new();
    // The state directory is a file: no ticket can be written under it.
    sb.write(&sb.home.join(".local/state/blastwall"), "not a directory");
    let o = bash_hook(&sb, "touch a.txt", SESSION, None);
    let p = probe();
    if p.backend == BackendKind::None {
        eprintln!("SKIPPED: no backend here, so no ticket is written");
        return;
    }
    assert_eq!(o.decision(), "deny", "{o:?}");
    assert!(
        o.reason().contains("cannot sandbox this Bash call"),
        "{o:?}"
    );
    assert!(!sb.project.join("a.txt").exists());
}

/// Without HOME (and XDG_STATE_HOME) there is no state directory for a ticket; the default
/// policy cannot be read either, and that alone already denies.
#[test]
fn fail_closed_an_unknown_state_dir_denies() {
    let sb = Sandbox::new();
    let ev = sb.pre_tool_use("Bash", serde_json::json!({"command": "touch a.txt"}));
    let mut c = sb.cmd(&["hook"]);
    c.env_remove("HOME").env_remove("XDG_STATE_HOME");
    let o = run(c, ev.to_string().as_bytes());
    assert_eq!(o.decision(), "deny", "{o:?}");
    assert!(
        o.reason().contains("needs HOME") || o.reason().contains("state directory is unknown"),
        "{o:?}"
    );
}

#[test]
fn fail_closed_mode_off_leaves_the_command_and_records_off() {
    let sb = Sandbox::new();
    policy(&sb, "mode = \"off\"");
    let o = bash_hook(&sb, "touch a.txt", SESSION, None);
    assert!(o.passes() && updated_command(&o).is_none(), "{o:?}");
    assert_eq!(audit_lines(&sb)[0]["sandbox"], "off");
}

/// Every Bash decision the hook makes records which sandbox runs the call; a denied call
/// runs nowhere and records none.
#[cfg(feature = "fault-injection")]
#[test]
fn every_bash_decision_records_its_sandbox_in_the_audit_log() {
    let real = probe().backend;
    // The default profile asks for a network allowlist: bubblewrap holds it, and so does
    // Landlock 4+ (as no TCP at all); below Landlock 4 `auto` runs with the host's network.
    let label = |kind: BackendKind| {
        let held = kind == BackendKind::Bwrap || blastwall::sandbox::landlock::kernel_abi() >= 4;
        if held {
            kind.audit_label(&Network::Allowlist(Vec::new()))
        } else {
            kind.audit_label(&Network::Host)
        }
    };
    let mut cases: Vec<(Option<&str>, &str, String)> = vec![
        (Some("sandbox-none"), "", "none".into()),
        (None, "mode = \"off\"", "off".into()),
    ];
    if real != BackendKind::None {
        cases.push((None, "", label(real)));
    }
    if blastwall::sandbox::landlock::kernel_abi() > 0 {
        cases.push((Some("sandbox-landlock"), "", label(BackendKind::Landlock)));
    }
    for (fault, section, want) in cases {
        let sb = Sandbox::new();
        policy(&sb, section);
        sb.write(&sb.home.join(".ssh/id_rsa"), "key");
        let commands = [
            "ls",                // read-only: allow (or pass)
            "touch made.txt",    // nothing objects: the client decides
            "rm -rf build",      // the judge asks
            "cat ~/.ssh/id_rsa", // the judge denies
        ];
        for c in commands {
            bash_hook(&sb, c, SESSION, fault);
        }
        let lines = audit_lines(&sb);
        assert_eq!(lines.len(), commands.len(), "{lines:?}");
        let mut rulings = Vec::new();
        for l in &lines {
            let ruling = l["decision"].as_str().unwrap_or_default().to_string();
            if ruling == "deny" {
                assert!(l.get("sandbox").is_none_or(|s| s.is_null()), "{l}");
            } else {
                assert_eq!(l["sandbox"], want.as_str(), "{fault:?} {section}: {l}");
            }
            rulings.push(ruling);
        }
        assert!(
            rulings.iter().any(|r| r == "deny") && rulings.iter().any(|r| r == "ask"),
            "{rulings:?}"
        );
    }
}

#[test]
fn fail_closed_an_expired_ticket_runs_nothing() {
    for kind in backends() {
        let b = Box::new(kind);
        let mut t = Ticket::new(
            "touch ran.txt",
            false,
            kind,
            b.spec(Network::Host),
            None,
            None,
            None,
            None,
        );
        t.expires = t.created.saturating_sub(1);
        let id = ticket::write(&b.state(), &t).unwrap();
        let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
        assert_eq!(o.code, Some(125), "{o:?}");
        assert!(
            o.stderr.contains("expired") && o.stderr.contains("did not run"),
            "{o:?}"
        );
        assert!(!b.sb.project.join("ran.txt").exists());
    }
}

#[test]
fn fail_closed_a_tampered_ticket_runs_nothing() {
    for kind in backends() {
        let b = Box::new(kind);
        for body in ["{not json", "{\"version\": 99}", ""] {
            let id = b.ticket("touch ran.txt", Network::Host);
            std::fs::write(ticket::dir(&b.state()).join(&id), body).unwrap();
            let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
            assert_eq!(o.code, Some(125), "{body}: {o:?}");
            assert!(o.stderr.contains("unreadable"), "{o:?}");
            assert!(!b.sb.project.join("ran.txt").exists());
        }
    }
}

/// The sandbox cannot be set up (here: the working directory is gone by the time the call
/// runs): bubblewrap exits before the command, Landlock cannot start it; either way the
/// runner says so and exits 125, the command never runs, and the cached probe is dropped.
#[test]
fn fail_closed_a_sandbox_that_cannot_start_exits_125_and_runs_nothing() {
    for kind in backends() {
        let b = Box::new(kind);
        let mut spec = b.spec(Network::Host);
        spec.cwd = b.sb.project.join("gone");
        let witness = b.sb.project.join("ran.txt");
        let t = Ticket::new(
            &format!("touch {}", witness.display()),
            false,
            kind,
            spec,
            None,
            None,
            None,
            None,
        );
        let cache = b.state().join(blastwall::sandbox::probe::CACHE_FILE);
        std::fs::create_dir_all(b.state()).unwrap();
        std::fs::write(&cache, "{}").unwrap();
        let id = ticket::write(&b.state(), &t).unwrap();
        let o = run(b.cmd(&["sandbox", "--ticket", &id]), b"");
        assert_eq!(o.code, Some(125), "{kind:?}: {o:?}");
        assert!(o.stderr.contains("did not run"), "{kind:?}: {o:?}");
        assert!(!witness.exists(), "{kind:?}: ran outside the sandbox");
        if kind == BackendKind::Bwrap {
            assert!(!cache.exists(), "the stale probe was kept");
        }
    }
}

#[test]
fn fail_closed_the_runner_without_a_state_dir_runs_nothing() {
    let b = Box::new(BackendKind::Bwrap);
    let id = b.ticket("touch ran.txt", Network::Host);
    let mut c = b.cmd(&["sandbox", "--ticket", &id]);
    c.env_remove("HOME");
    let o = run(c, b"");
    assert_eq!(o.code, Some(125), "{o:?}");
    assert!(o.stderr.contains("state directory is unknown"), "{o:?}");
    assert!(!b.sb.project.join("ran.txt").exists());
}

/// The client writes a background call's output to a file outside the write roots; under
/// Landlock that file stays writable by path (`> /dev/stdout`), and nothing else there does.
#[test]
fn landlock_keeps_an_output_file_writable_through_dev_stdout() {
    if blastwall::sandbox::landlock::kernel_abi() == 0 {
        eprintln!("SKIPPED: this kernel has no Landlock");
        return;
    }
    let b = Box::new(BackendKind::Landlock);
    let out = b.sb.home.join("task.output");
    let id = b.ticket(
        "echo direct; echo via-path >> /dev/stdout; echo x > ~/other.output || echo refused",
        Network::Host,
    );
    let mut c = b.cmd(&["sandbox", "--ticket", &id]);
    // Opened for appending, as an output file shared by several writers is.
    c.stdout(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out)
            .unwrap(),
    );
    let status = c.status().unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "direct\nvia-path\nrefused\n"
    );
}

#[test]
fn landlock_runs_an_allowlist_ticket_without_any_tcp() {
    if blastwall::sandbox::landlock::kernel_abi() < 4 {
        eprintln!("SKIPPED: this kernel's Landlock has no TCP rules");
        return;
    }
    let b = Box::new(BackendKind::Landlock);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let o = b.run_net(
        &format!("echo ran; echo hi > /dev/tcp/127.0.0.1/{port} && echo connected"),
        Network::Allowlist(vec!["127.0.0.1".into()]),
    );
    assert!(
        o.stdout.contains("ran") && !o.stdout.contains("connected"),
        "{o:?}"
    );
    assert_ne!(o.code, Some(0), "{o:?}");
}

/// The wrapper's own failure mode: a blastwall binary that is gone ends in a non-zero exit,
/// and the command runs nowhere.
#[test]
fn fail_closed_the_wrapper_runs_nothing_when_blastwall_is_gone() {
    let b = Box::new(BackendKind::Bwrap);
    let witness = b.sb.project.join("ran.txt");
    let id = b.ticket("touch ran.txt", Network::Host);
    let w = blastwall::sandbox::wrapper::wrap(
        "/nonexistent/blastwall",
        &b.state(),
        &id,
        "main",
        "touch ran.txt",
        false,
    );
    let o = run(
        b.shell(&format!("eval {}", blastwall::sandbox::wrapper::quote(&w))),
        b"",
    );
    assert_eq!(o.code, Some(127), "{o:?}");
    assert!(!witness.exists());
}

/// Everyday builds work inside: `cargo build` and `npm install`, offline, writing their caches
/// (`~/.cargo/registry`, `~/.npm`) and the project, and nothing else.
#[test]
fn cargo_build_and_npm_install_work_offline_with_their_caches() {
    let have = |p: &str| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for kind in backends() {
        let b = Box::new(kind);
        if have("cargo") {
            b.sb.write(
                &b.sb.project.join("app/Cargo.toml"),
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nhelper = { path = \"../helper\" }\n",
            );
            b.sb.write(
                &b.sb.project.join("app/src/main.rs"),
                "fn main() { println!(\"{}\", helper::hi()); }\n",
            );
            b.sb.write(
                &b.sb.project.join("helper/Cargo.toml"),
                "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            );
            b.sb.write(
                &b.sb.project.join("helper/src/lib.rs"),
                "pub fn hi() -> &'static str { \"built-in-sandbox\" }\n",
            );
            let mut c = b.cmd(&[]);
            let rustup = std::env::var("RUSTUP_HOME").unwrap_or_else(|_| {
                format!("{}/.rustup", std::env::var("HOME").unwrap_or_default())
            });
            c.env("RUSTUP_HOME", rustup)
                .env("CARGO_HOME", b.sb.home.join(".cargo"));
            let id = b.ticket("cd app && cargo run -q --offline 2>&1", Network::None);
            c.args(["sandbox", "--ticket", &id]);
            let o = run(c, b"");
            assert_eq!(ok(&o).trim(), "built-in-sandbox", "{kind:?}");
        } else {
            eprintln!("SKIPPED (cargo part): no cargo on PATH");
        }
        if have("npm") {
            let dep = b.sb.home.join("src/dep");
            b.sb.write(
                &dep.join("package.json"),
                "{\"name\":\"dep\",\"version\":\"1.0.0\",\"main\":\"index.js\"}\n",
            );
            b.sb.write(
                &dep.join("index.js"),
                "module.exports = 'npm-in-sandbox';\n",
            );
            sh(&dep, "npm pack --offline --no-update-notifier >/dev/null");
            std::fs::create_dir_all(b.sb.project.join("vendor")).unwrap();
            std::fs::copy(
                dep.join("dep-1.0.0.tgz"),
                b.sb.project.join("vendor/dep-1.0.0.tgz"),
            )
            .unwrap();
            b.sb.write(
                &b.sb.project.join("package.json"),
                "{\"name\":\"proj\",\"version\":\"1.0.0\",\"dependencies\":{\"dep\":\"file:vendor/dep-1.0.0.tgz\"}}\n",
            );
            let o = b.run_net(
                "npm install --offline --no-audit --no-fund --silent && node -e \"console.log(require('dep'))\" && ls ~/.npm/_cacache >/dev/null && echo cache-ok",
                Network::None,
            );
            assert_eq!(ok(&o).trim(), "npm-in-sandbox\ncache-ok", "{kind:?}");
        } else {
            eprintln!("SKIPPED (npm part): no npm on PATH");
        }
    }
}

/// The command runs exactly as written: several lines, a quoted heredoc, quotes, a trailing
/// blank line, a `\` continuation, an exit code from the last command.
#[test]
fn commands_run_exactly_as_written() {
    for kind in backends() {
        let b = Box::new(kind);
        let o = b.run(
            "cat <<'EOF'\na \"b\" $HOME 'c'\nEOF\necho one \\\n  two\nx=1; echo \"x=$x\"\n\n\n",
        );
        assert_eq!(ok(&o), "a \"b\" $HOME 'c'\none two\nx=1\n", "{kind:?}");
        let o = b.run("echo out; false");
        assert_eq!(o.code, Some(1), "{kind:?}: {o:?}");
    }
}

/// What a sandboxed command prints reaches the caller through the secret scrubber: a token
/// printed by a command that then fails is withheld (the client cannot replace a failed call's
/// output), the exit code is kept, and a long output arrives whole (the pipe holds the command
/// back until the scrubber has copied what it wrote, so little is left to copy at its exit).
#[test]
fn output_is_scrubbed_and_arrives_whole() {
    for kind in backends() {
        let b = Box::new(kind);
        let o = b.run("echo 'token: ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO'; exit 3");
        assert_eq!(o.code, Some(3), "{kind:?}: {o:?}");
        assert!(
            !o.stdout
                .contains("ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO")
                && o.stdout.contains("token: [REDACTED:"),
            "{kind:?}: {o:?}"
        );
        // 200,000 lines of 100 bytes (20 MB), then exit at once.
        let line = "a".repeat(99);
        let o = b.run(&format!("yes {line} | head -n 200000"));
        assert_eq!(o.code, Some(0), "{kind:?}");
        assert_eq!(o.stdout.len(), 200_000 * 100, "{kind:?}: output cut short");
    }
}
