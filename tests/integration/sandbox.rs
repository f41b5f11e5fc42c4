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
