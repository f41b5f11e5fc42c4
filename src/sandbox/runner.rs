//! `blastwall sandbox --ticket ID`: take one ticket and run its command inside the backend.
//!
//! The runner is started by the wrapper the hook wrote, in the client's shell. It takes the
//! ticket (single use, expiry checked; an unknown ticket is refused with a readable message and
//! exit code 125), plans the mounts, rebuilds the environment, writes the command and the
//! user's functions and aliases (`BLASTWALL_SANDBOX_DEFS`, from the wrapper) to a private run
//! directory shown read-only at `/tmp/.blastwall` inside, and runs
//! `bash -c '. /tmp/.blastwall/prelude; IFS= read -r -d "" c < /tmp/.blastwall/command; eval "$c"'`
//! under the backend.
//! The prelude marks the start (a sandbox that dies before it is reported as not started),
//! restores the functions and aliases and, for a foreground call, writes the final directory
//! to the run directory, which the runner then leaves where the wrapper reads it
//! ([`cwd_file`]). Afterwards the tripwires are checked: a protected path that did not
//! exist and now does is removed, and the call fails. It never falls back to running the
//! command unsandboxed.
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::plan::{Bwrap, Plan, PRIVATE_TMP};
use super::ticket::{self, Ticket};
use super::{Backend, BackendKind, EgressBridge, Network, SandboxError};

/// Exit code when the command could not be run at all (as `env` and `timeout` use it).
pub const EXIT_NOT_RUN: i32 = 125;
/// Where the run directory appears inside the sandbox.
pub const INSIDE_RUN_DIR: &str = "/tmp/.blastwall";
/// The variable the wrapper passes the user's functions and aliases in.
pub const DEFS_VAR: &str = "BLASTWALL_SANDBOX_DEFS";

fn stderr(text: &str) {
    let _ = std::io::stderr().write_all(crate::redact::text(text).as_bytes());
}

/// `blastwall sandbox …` from the command line; returns the exit code.
pub fn main(args: &[String], egress: Option<&dyn EgressBridge>) -> i32 {
    #[cfg(target_os = "linux")]
    if let [flag, rules, sep, inner @ ..] = args {
        if flag == "--landlock-exec" && sep == "--" {
            // The Landlock backend's second stage, started by the runner (restrict, then exec).
            return match super::landlock::exec_main(Path::new(rules), inner) {
                Ok(code) => code,
                Err(e) => {
                    stderr(&format!("blastwall sandbox: {e}\n"));
                    EXIT_NOT_RUN
                }
            };
        }
    }
    let id = match args {
        [flag, id] if flag == "--ticket" => id.as_str(),
        [one] if one.starts_with("--ticket=") => one.trim_start_matches("--ticket="),
        _ => {
            stderr("usage: blastwall sandbox --ticket ID   (run by the wrapper the hook writes; not by hand)\n");
            return EXIT_NOT_RUN;
        }
    };
    match run(id, egress) {
        Ok(code) => code,
        Err(e) => {
            stderr(&format!("blastwall sandbox: {e}\n"));
            EXIT_NOT_RUN
        }
    }
}

/// The state directory the hook wrote the ticket to, seen from this process's environment.
pub fn state_dir() -> Result<PathBuf, SandboxError> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    crate::post::state_dir(home.as_deref()).ok_or(SandboxError::NoStateDir)
}

/// Take ticket `id` and run it; the command's exit code.
pub fn run(id: &str, egress: Option<&dyn EgressBridge>) -> Result<i32, SandboxError> {
    let state = state_dir()?;
    let ticket = ticket::take(&state, id)?;
    let defs = std::env::var(DEFS_VAR).unwrap_or_default();
    run_ticket(&state, id, &ticket, &defs, egress)
}

fn private_file(path: &Path, body: &[u8]) -> Result<(), SandboxError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| SandboxError::io(format!("creating {}", path.display()), e))?;
    f.write_all(body)
        .map_err(|e| SandboxError::io(format!("writing {}", path.display()), e))
}

/// The file in the run directory the command's shell writes to as its first act: empty
/// afterwards means the sandbox never got as far as the command.
pub const STARTED_FILE: &str = "started";
/// The file the inner shell writes its final directory to (foreground calls).
pub const CWD_FILE: &str = "cwd";
/// The run directory's files the inner shell may write (everything else there is read-only).
pub const REPORT_FILES: [&str; 2] = [STARTED_FILE, CWD_FILE];
/// How long a handed-back directory file is kept for the wrapper to read.
const CWD_KEEP_SECS: u64 = 3600;

/// Where the wrapper finds the final directory of call `id`, once the runner is done.
pub fn cwd_file(state: &Path, id: &str) -> PathBuf {
    state.join("run").join(format!("{id}.{CWD_FILE}"))
}

/// The prelude the inner shell sources before the command.
fn prelude(inside: &str, background: bool) -> String {
    let mut p = format!(
        "printf 1 >| {inside}/{STARTED_FILE} 2>/dev/null\nshopt -s expand_aliases\n. {inside}/defs 2>/dev/null\n"
    );
    if !background {
        p.push_str(&format!("trap 'pwd -P >| {inside}/{CWD_FILE}' EXIT\n"));
    }
    p
}

/// Remove handed-back directory files the wrapper has long read.
fn sweep_cwd_files(runs: &Path) {
    let Ok(rd) = std::fs::read_dir(runs) else {
        return;
    };
    let limit = std::time::SystemTime::now() - std::time::Duration::from_secs(CWD_KEEP_SECS);
    for e in rd.filter_map(Result::ok).take(10_000) {
        let name = e.file_name();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < limit);
        if old && name.to_string_lossy().ends_with(".cwd") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The backend a ticket asks for, as this machine can run it now.
fn backend_for(ticket: &Ticket) -> Result<Box<dyn Backend>, SandboxError> {
    match ticket.backend {
        BackendKind::Bwrap => Ok(Box::new(Bwrap {
            program: crate::sandbox::probe::BWRAP_PATHS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    SandboxError::NoBackend("bubblewrap is no longer installed".into())
                })?,
        })),
        #[cfg(target_os = "linux")]
        BackendKind::Landlock => Ok(Box::new(super::landlock::Landlock {
            exe: std::env::current_exe()
                .map_err(|e| SandboxError::io("finding blastwall's own binary", e))?,
        })),
        other => Err(SandboxError::NoBackend(format!(
            "the ticket asks for backend `{}`, which this build cannot run",
            other.as_str()
        ))),
    }
}

/// Make a private (0700) directory that must not exist yet.
fn fresh_dir(dir: &Path) -> Result<(), SandboxError> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(|e| SandboxError::io(format!("creating {}", dir.display()), e))
}

/// Run a taken ticket.
pub fn run_ticket(
    state: &Path,
    id: &str,
    ticket: &Ticket,
    defs: &str,
    egress: Option<&dyn EgressBridge>,
) -> Result<i32, SandboxError> {
    let backend = backend_for(ticket)?;
    let kind = backend.kind();
    let spec = &ticket.spec;
    let mut plan = Plan::new_for(spec, kind);
    let mut env = super::env::from_process(&spec.pass_env);
    env.retain(|(k, _)| k != DEFS_VAR && k != "TMPDIR");
    env.push(("BLASTWALL_SANDBOX".into(), spec.profile.clone()));
    // What the command prints is scrubbed here, before the client reads it: the built-in
    // rules, every secret-looking value of this (the client's) environment, and the values
    // injected below, by exact match and in their encodings. PostToolUse redacts again, but a
    // command that fails ends in PostToolUseFailure, whose output no hook can replace.
    let mut injected: Vec<(String, Vec<u8>)> = Vec::new();
    if !ticket.egress.inject.is_empty() {
        // Values are read here, outside the sandbox, and go only into its environment.
        let (values, errors) = match egress {
            Some(e) => e.inject_values(state, ticket),
            None => (
                Vec::new(),
                vec!["the egress side could not start, so no credential is injected".to_string()],
            ),
        };
        injected.extend(
            values
                .iter()
                .map(|(k, v)| (format!("inject:{k}"), v.expose().as_bytes().to_vec())),
        );
        for e in errors {
            stderr(&format!("blastwall sandbox: {e}\n"));
        }
        env.retain(|(k, _)| !values.iter().any(|(n, _)| n == k));
        env.extend(
            values
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_owned())),
        );
    }
    let bridge = match &spec.network {
        // Without a network namespace there is no way to make the proxy the only way out:
        // Landlock holds an allowlist as `none` (no TCP at all), stricter, never looser.
        Network::Allowlist(_) if kind != BackendKind::Bwrap => None,
        Network::Allowlist(hosts) => {
            let egress = egress.ok_or(SandboxError::NoEgress)?;
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let tainted =
                crate::post::is_tainted(home.as_deref(), ticket.session_id.as_deref()).is_some();
            let bridge = egress.start(ticket, hosts, tainted)?;
            for b in &bridge.binds {
                plan.mounts.push(super::plan::Mount::Bind(b.clone()));
            }
            // The bridge runs blastwall inside the sandbox: its binary must be there even when it
            // lives where the sandbox shows nothing of the host (a clone under /tmp, whose /tmp
            // is private), and read-only, so the command cannot replace it.
            if let Some(exe) = bridge.wrap.first() {
                plan.mounts
                    .push(super::plan::Mount::RoBind(PathBuf::from(exe)));
            }
            env.extend(bridge.env.iter().cloned());
            Some(bridge)
        }
        _ => None,
    };

    // The run directory: outside every sandbox (under the hidden state dir), shown read-only.
    let runs = state.join("run");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&runs)
        .map_err(|e| SandboxError::io(format!("creating {}", runs.display()), e))?;
    sweep_cwd_files(&runs);
    let run_dir = runs.join(id);
    fresh_dir(&run_dir)?;
    // Without bubblewrap there is no private /tmp: the call gets a private TMPDIR instead.
    let host_tmp =
        (kind != BackendKind::Bwrap).then(|| std::env::temp_dir().join(format!(".blastwall-{id}")));
    let result = (|| {
        if let Some(t) = &host_tmp {
            fresh_dir(t)?;
            plan.mounts.push(super::plan::Mount::Bind(t.clone()));
        }
        // A TMPDIR that is writable in the sandbox stays; anything else becomes the private one.
        let tmpdir = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .filter(|t| t.is_absolute() && !crate::paths::is_within(t, Path::new(PRIVATE_TMP)))
            .filter(|t| spec.is_writable(t))
            .or_else(|| host_tmp.clone())
            .unwrap_or_else(|| PathBuf::from(PRIVATE_TMP));
        env.push(("TMPDIR".into(), tmpdir.to_string_lossy().into_owned()));
        let inside = backend.run_dir_inside(&run_dir);
        let inside_q = super::wrapper::quote(&inside.to_string_lossy());
        private_file(&run_dir.join("command"), ticket.command.as_bytes())?;
        private_file(&run_dir.join("defs"), defs.as_bytes())?;
        private_file(
            &run_dir.join("prelude"),
            prelude(&inside_q, ticket.background).as_bytes(),
        )?;
        for f in REPORT_FILES {
            private_file(&run_dir.join(f), b"")?;
        }
        plan.run_dir = Some(run_dir.clone());
        let before: Vec<(PathBuf, bool)> = plan
            .tripwires
            .iter()
            .map(|p| (p.clone(), p.symlink_metadata().is_ok()))
            .collect();
        let wrap = bridge.as_ref().map(|b| b.wrap.clone()).unwrap_or_default();
        let inner: Vec<String> = wrap
            .into_iter()
            .chain([
                "/bin/bash".to_string(),
                "-c".to_string(),
                // `read` is a builtin: no subshell per call, as `$(< file)` would fork.
                format!(". {inside_q}/prelude; IFS= read -r -d '' __bw_c < {inside_q}/command; eval \"$__bw_c\""),
            ])
            .collect();
        let mut cmd = backend.command(&plan, &inner)?;
        cmd.env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let detector = crate::secrets::Detector::new().with_exact_values(injected);
        let status = scrubbed_status(&mut cmd, detector).map_err(|e| {
            SandboxError::Start(format!(
                "{}: cannot start it in {}: {e}",
                kind.as_str(),
                plan.chdir.display()
            ))
        })?;
        let started = std::fs::metadata(run_dir.join(STARTED_FILE)).is_ok_and(|m| m.len() > 0);
        if !started {
            // The sandbox failed before the command (its own message is above). The cached
            // probe said it works; it is stale now, so the next call probes afresh.
            let _ = std::fs::remove_file(state.join(super::probe::CACHE_FILE));
            return Err(SandboxError::Start(format!(
                "{} exited with {} before the command began, see its message above; `blastwall doctor` checks this machine",
                kind.as_str(),
                exit_code(&status)
            )));
        }
        if !ticket.background {
            // Hand the final directory to the wrapper (it reads the file, the next run sweeps it).
            let cwd = run_dir.join(CWD_FILE);
            if std::fs::metadata(&cwd).is_ok_and(|m| m.len() > 0) {
                let _ = std::fs::rename(&cwd, cwd_file(state, id));
            }
        }
        let mut code = exit_code(&status);
        for (p, existed) in before {
            if !existed && p.symlink_metadata().is_ok() {
                let removed = if p.is_dir() && !p.is_symlink() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
                stderr(&format!(
                    "blastwall sandbox: the command created {}, which configures what runs later (hooks, MCP servers); {}\n",
                    p.display(),
                    match removed {
                        Ok(()) => "it was removed".to_string(),
                        Err(e) => format!("REMOVING IT FAILED ({e}); remove it yourself"),
                    }
                ));
                if code == 0 {
                    code = 1;
                }
            }
        }
        Ok(code)
    })();
    let _ = std::fs::remove_dir_all(&run_dir);
    if let Some(t) = &host_tmp {
        let _ = std::fs::remove_dir_all(t);
    }
    result
}

/// Run `cmd` with its stdout and stderr copied to ours through the secret scrubber
/// ([`crate::secrets::scrub`]: whole lines as they come, a private-key block whole), and wait
/// for it. stdin is inherited. When our side of a stream is gone, the rest of that stream is
/// read and dropped, so the command never blocks on a full pipe. After the command exits the
/// relays get [`DRAIN_GRACE`] to finish: a process it left behind that still holds the pipe
/// (possible under Landlock, which has no PID namespace) must not hold the call open.
fn scrubbed_status(
    cmd: &mut std::process::Command,
    detector: crate::secrets::Detector,
) -> std::io::Result<std::process::ExitStatus> {
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let detector = std::sync::Arc::new(detector);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let mut relays = 0;
    if let Some(out) = child.stdout.take() {
        let (d, tx) = (std::sync::Arc::clone(&detector), done_tx.clone());
        std::thread::spawn(move || {
            relay(&d, out, std::io::stdout());
            let _ = tx.send(());
        });
        relays += 1;
    }
    if let Some(err) = child.stderr.take() {
        let (d, tx) = (std::sync::Arc::clone(&detector), done_tx.clone());
        std::thread::spawn(move || {
            relay(&d, err, std::io::stderr());
            let _ = tx.send(());
        });
        relays += 1;
    }
    let status = child.wait()?;
    let deadline = std::time::Instant::now() + DRAIN_GRACE;
    for _ in 0..relays {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    Ok(status)
}

/// How long the output relays may run on after the command exited.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// One stream through the scrubber; what cannot be written is drained.
fn relay<R: std::io::Read, W: std::io::Write>(
    detector: &crate::secrets::Detector,
    mut from: R,
    to: W,
) {
    if crate::secrets::scrub(detector, &mut from, to).is_err() {
        let _ = std::io::copy(&mut from, &mut std::io::sink());
    }
}

fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(EXIT_NOT_RUN)
}
