//! `blastwall doctor`: is the hook registered where Claude Code reads it, with `onFailure` and
//! a timeout, does its binary exist, does every policy layer load, is the audit log writable,
//! which sandbox backend works, which client is installed — and does a test event through the
//! registered command come back denied. Each problem comes with its fix; exit 1 on any.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;

use crate::exit::Exit;
use crate::install::{self, Doc};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project to check (default: CLAUDE_PROJECT_DIR, else the current directory)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Skip running `claude --version`
    #[arg(long)]
    pub no_client: bool,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Info,
}

/// One finding of `doctor`.
#[derive(Debug, Clone)]
pub struct Check {
    pub status: Status,
    pub what: String,
    pub fix: Option<String>,
}

impl Check {
    fn new(status: Status, what: impl Into<String>, fix: Option<&str>) -> Check {
        Check {
            status,
            what: what.into(),
            fix: fix.map(str::to_string),
        }
    }
}

/// One blastwall handler found in a settings file.
#[derive(Debug, Clone)]
pub struct Registration {
    pub file: PathBuf,
    pub event: String,
    pub command: String,
    pub args: Vec<String>,
    pub timeout: Option<u64>,
    pub on_failure: Option<String>,
}

/// The settings files Claude Code reads, highest precedence first.
pub fn settings_files(home: Option<&Path>, project: &Path) -> Vec<(PathBuf, &'static str)> {
    let mut v = vec![
        (
            PathBuf::from("/etc/claude-code/managed-settings.json"),
            "managed",
        ),
        (
            project.join(".claude/settings.local.json"),
            "project, this machine",
        ),
        (project.join(".claude/settings.json"), "project, shared"),
    ];
    if let Some(h) = home {
        v.push((h.join(".claude/settings.json"), "user"));
    }
    v
}

/// blastwall's handlers in one parsed settings file.
pub fn registrations(doc: &Doc, file: &Path) -> Vec<Registration> {
    let mut out = Vec::new();
    let Some(Doc::Object(events)) = doc.get("hooks") else {
        return out;
    };
    for (event, groups) in events {
        for g in groups.as_array().into_iter().flatten() {
            for h in g.get("hooks").and_then(Doc::as_array).into_iter().flatten() {
                if !install::is_ours(h) {
                    continue;
                }
                let command = h
                    .get("command")
                    .and_then(Doc::as_str)
                    .unwrap_or("")
                    .to_string();
                let args = h
                    .get("args")
                    .and_then(Doc::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Doc::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let timeout = match h.get("timeout") {
                    Some(Doc::Number(n)) => n.as_u64(),
                    _ => None,
                };
                out.push(Registration {
                    file: file.to_path_buf(),
                    event: event.clone(),
                    command,
                    args,
                    timeout,
                    on_failure: h.get("onFailure").and_then(Doc::as_str).map(str::to_string),
                });
            }
        }
    }
    out
}

/// Check the registrations found (pure, for tests).
pub fn check_registrations(regs: &[Registration], exe: Option<&Path>) -> Vec<Check> {
    let mut out = Vec::new();
    for (event, _) in install::EVENTS {
        if !regs.iter().any(|r| r.event == *event) {
            out.push(Check::new(
                if *event == "PreToolUse" {
                    Status::Fail
                } else {
                    Status::Warn
                },
                format!("no blastwall hook for {event}"),
                Some("run `blastwall install` (this project) or `blastwall install --user`"),
            ));
        }
    }
    for r in regs {
        let at = format!("{} ({})", r.file.display(), r.event);
        if r.on_failure.as_deref() != Some("block") {
            out.push(Check::new(
                Status::Fail,
                format!(
                    "{at}: no `\"onFailure\": \"block\"`: a crash or timeout lets the call run"
                ),
                Some(
                    "run `blastwall install` again, or add \"onFailure\": \"block\" to the handler",
                ),
            ));
        }
        match r.timeout {
            None => out.push(Check::new(
                Status::Warn,
                format!("{at}: no timeout (the client's default applies)"),
                Some("run `blastwall install` again (timeout 10)"),
            )),
            Some(t) if t < 6 => out.push(Check::new(
                Status::Warn,
                format!("{at}: timeout {t}s is shorter than blastwall's own 5 s deadline"),
                Some("use a timeout of 10 s or more"),
            )),
            Some(_) => {}
        }
        let bin = crate::install::program_of(&r.command, !r.args.is_empty());
        let path = Path::new(bin);
        if !path.is_absolute() {
            out.push(Check::new(
                Status::Warn,
                format!("{at}: `{bin}` is not an absolute path; it depends on the client's PATH"),
                Some("run `blastwall install` again (it writes the absolute path)"),
            ));
        } else if !path.is_file() {
            out.push(Check::new(
                Status::Fail,
                format!(
                    "{at}: {bin} does not exist: every call is blocked (onFailure) or unguarded"
                ),
                Some("reinstall blastwall there, or run `blastwall install` from the new binary"),
            ));
        } else if exe.is_some_and(|e| std::fs::canonicalize(path).ok().as_deref() != Some(e)) {
            out.push(Check::new(
                Status::Info,
                format!("{at}: registered binary {bin} is not this one"),
                None,
            ));
        }
        if let Some(i) = r.args.iter().position(|a| a == "--policy") {
            match r.args.get(i + 1) {
                Some(p) if Path::new(p).is_file() => {}
                Some(p) => out.push(Check::new(
                    Status::Fail,
                    format!("{at}: --policy {p} does not exist: every call is denied"),
                    Some("restore the file, or run `blastwall install` without it"),
                )),
                None => out.push(Check::new(
                    Status::Fail,
                    format!("{at}: --policy without a file"),
                    Some("run `blastwall install` again"),
                )),
            }
        }
    }
    if !regs.is_empty() && out.iter().all(|c| c.status != Status::Fail) {
        let mut files: Vec<String> = regs.iter().map(|r| r.file.display().to_string()).collect();
        files.dedup();
        out.insert(
            0,
            Check::new(
                Status::Ok,
                format!("hook registered in {}", files.join(", ")),
                None,
            ),
        );
    }
    out
}

/// Run `cmd` with `stdin`, killing it after `limit`.
fn run_with_timeout(
    cmd: &mut Command,
    stdin: &[u8],
    limit: Duration,
) -> Result<(Option<i32>, String), String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut pipe) = child.stdin.take() {
        let _ = std::io::Write::write_all(&mut pipe, stdin);
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// Send a credential read through the registered command: it must come back denied.
fn self_test(
    reg: Option<&Registration>,
    exe: Option<&Path>,
    home: Option<&Path>,
    project: &Path,
) -> Check {
    let (bin, args) = match (reg, exe) {
        (Some(r), _) => (
            PathBuf::from(crate::install::program_of(&r.command, !r.args.is_empty())),
            r.args.clone(),
        ),
        (None, Some(e)) => (e.to_path_buf(), vec!["hook".to_string()]),
        (None, None) => {
            return Check::new(Status::Warn, "self-test skipped: no binary to run", None)
        }
    };
    let key = home.unwrap_or(Path::new("/root")).join(".ssh/id_rsa");
    let event = serde_json::json!({
        "session_id": "blastwall-doctor", "transcript_path": "/dev/null", "cwd": project,
        "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": "Read",
        "tool_input": {"file_path": key}, "tool_use_id": "toolu_blastwall_doctor"
    });
    let mut cmd = Command::new(&bin);
    cmd.args(&args)
        .env("CLAUDE_PROJECT_DIR", project)
        .current_dir(project);
    match run_with_timeout(
        &mut cmd,
        event.to_string().as_bytes(),
        Duration::from_secs(10),
    ) {
        Ok((Some(0), out)) if out.contains("\"permissionDecision\":\"deny\"") => Check::new(
            Status::Ok,
            format!(
                "self-test: `{} {}` denied a read of {}",
                bin.display(),
                args.join(" "),
                key.display()
            ),
            None,
        ),
        Ok((code, out)) => Check::new(
            Status::Fail,
            format!(
                "self-test: a read of {} was not denied (exit {code:?}, answer {:?})",
                key.display(),
                crate::engine::truncate(out.trim(), 300)
            ),
            Some("run `blastwall explain` on the event, and `blastwall lint` for the layers"),
        ),
        Err(e) => Check::new(
            Status::Fail,
            format!("self-test: {} could not be run: {e}", bin.display()),
            Some("reinstall blastwall, then `blastwall install`"),
        ),
    }
}

/// Sandbox backends: probed afresh (a real, empty sandbox), and the hook's cached result
/// replaced, so a fix (bubblewrap installed, user namespaces allowed) counts at once.
fn sandbox_checks(home: Option<&Path>) -> Vec<Check> {
    use crate::sandbox::probe;
    let state = crate::post::state_dir(home);
    if let Some(s) = &state {
        let _ = std::fs::remove_file(s.join("sandbox-probe.json"));
    }
    let p = probe::cached(state.as_deref());
    let text = p.explain();
    let works = p.backend == crate::sandbox::BackendKind::Bwrap;
    vec![Check::new(
        if works { Status::Ok } else { Status::Warn },
        text.trim_end().to_string(),
        (!works).then(probe::how_to_fix),
    )]
}

fn client_version() -> Check {
    let mut cmd = Command::new("claude");
    cmd.arg("--version");
    match run_with_timeout(&mut cmd, b"", Duration::from_secs(10)) {
        Ok((Some(0), out)) => {
            Check::new(Status::Info, format!("client: claude {}", out.trim()), None)
        }
        Ok((code, _)) => Check::new(
            Status::Warn,
            format!("client: `claude --version` exited {code:?}"),
            None,
        ),
        Err(_) => Check::new(Status::Info, "client: `claude` is not on PATH", None),
    }
}

pub fn run(a: &DoctorArgs) -> Exit {
    let env = super::process_env(a.project.as_deref());
    let project = env.project.clone();
    let home = env.home.clone();
    let exe = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let mut checks = Vec::new();
    if let Some(dir) = a.project.as_deref().filter(|d| !d.is_dir()) {
        checks.push(Check::new(
            Status::Fail,
            format!("project folder {} does not exist", dir.display()),
            Some("pass the folder Claude Code runs in: `blastwall doctor --project DIR`"),
        ));
    }

    // 1. Registrations, and whether Claude Code will read each file.
    let mut regs = Vec::new();
    for (file, scope) in settings_files(home.as_deref(), &project) {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                checks.push(Check::new(
                    Status::Warn,
                    format!("{} ({scope}): {e}", file.display()),
                    None,
                ));
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        match Doc::parse(&text) {
            Ok(doc) => {
                if matches!(doc.get("disableAllHooks"), Some(Doc::Bool(true))) {
                    checks.push(Check::new(
                        Status::Fail,
                        format!(
                            "{} ({scope}) sets disableAllHooks: no hook runs",
                            file.display()
                        ),
                        Some("remove `disableAllHooks` from that file"),
                    ));
                }
                regs.extend(registrations(&doc, &file));
            }
            Err(e) => checks.push(Check::new(
                Status::Fail,
                format!(
                    "{} ({scope}) is not valid JSON ({e}): Claude Code ignores it",
                    file.display()
                ),
                Some("fix the JSON (comments are not allowed), then `blastwall doctor` again"),
            )),
        }
    }
    checks.extend(check_registrations(&regs, exe.as_deref()));

    // 2. Every policy layer loads and lints.
    let opts = crate::hook::Options::default();
    let policy = match crate::policy::Discovery::standard(&env, None).read(&env) {
        Ok(sources) => {
            let names: Vec<String> = sources
                .iter()
                .map(|s| format!("{} ({})", s.name, s.kind.as_str()))
                .collect();
            match crate::policy::Policy::from_sources(&sources, &env) {
                Ok(p) => {
                    checks.push(Check::new(
                        Status::Ok,
                        format!("policy layers load: {}", names.join(", ")),
                        None,
                    ));
                    if let Err(errors) = crate::policy::lint::check(&p) {
                        checks.push(Check::new(
                            Status::Fail,
                            format!("policy: {}", errors.join("; ")),
                            Some("run `blastwall lint` and fix what it reports"),
                        ));
                    }
                    Some(p)
                }
                Err(e) => {
                    checks.push(Check::new(
                        Status::Fail,
                        format!("policy: {e} (every call is denied)"),
                        Some("run `blastwall lint` and fix what it reports"),
                    ));
                    None
                }
            }
        }
        Err(e) => {
            checks.push(Check::new(
                Status::Fail,
                format!("policy: {e} (every call is denied)"),
                Some("make the file readable, or remove it"),
            ));
            None
        }
    };
    let _ = opts;

    // 3. The audit log is writable.
    match policy.as_ref().map(|p| p.audit_log.clone()) {
        Some(Some(log)) => {
            let ok = log
                .parent()
                .is_none_or(|d| std::fs::create_dir_all(d).is_ok())
                && std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .is_ok();
            checks.push(if ok {
                Check::new(Status::Ok, format!("audit log writable: {}", log.display()), None)
            } else {
                Check::new(
                    Status::Warn,
                    format!("audit log {} is not writable: decisions are not recorded", log.display()),
                    Some("fix the folder's permissions, or set settings.audit_log in your user policy"),
                )
            });
        }
        Some(None) => checks.push(Check::new(
            Status::Warn,
            "audit log is off (settings.audit_log = \"\")",
            None,
        )),
        None => {}
    }

    // 4. Sandbox backends.
    checks.extend(sandbox_checks(home.as_deref()));

    // 5. The client.
    if !a.no_client {
        checks.push(client_version());
    }

    // 6. A test event through the registered command.
    let pre = regs.iter().find(|r| r.event == "PreToolUse");
    checks.push(self_test(pre, exe.as_deref(), home.as_deref(), &project));

    let mut out = String::new();
    let mut failed = 0;
    for c in &checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => {
                failed += 1;
                "FAIL"
            }
            Status::Info => "info",
        };
        out.push_str(&format!("{tag}  {}\n", c.what.replace('\n', "\n      ")));
        if let Some(f) = &c.fix {
            out.push_str(&format!("      fix: {f}\n"));
        }
    }
    out.push_str(&match failed {
        0 => "no problems found\n".to_string(),
        n => format!("{n} problem(s) found\n"),
    });
    super::stdout(&out);
    if failed > 0 {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(
        event: &str,
        on_failure: Option<&str>,
        timeout: Option<u64>,
        command: &str,
    ) -> Registration {
        Registration {
            file: PathBuf::from("/p/.claude/settings.local.json"),
            event: event.into(),
            command: command.into(),
            args: vec!["hook".into()],
            timeout,
            on_failure: on_failure.map(str::to_string),
        }
    }

    #[test]
    fn missing_on_failure_and_binary_are_problems_with_fixes() {
        let regs: Vec<Registration> = install::EVENTS
            .iter()
            .map(|(e, _)| reg(e, Some("block"), Some(10), "/bin/sh"))
            .collect();
        let ok = check_registrations(&regs, None);
        assert!(ok.iter().all(|c| c.status != Status::Fail), "{ok:?}");
        assert_eq!(ok[0].status, Status::Ok);

        let bad = vec![reg("PreToolUse", None, None, "/nonexistent/blastwall")];
        let c = check_registrations(&bad, None);
        let fails: Vec<&Check> = c.iter().filter(|c| c.status == Status::Fail).collect();
        assert!(fails.iter().any(|c| c.what.contains("onFailure")), "{c:?}");
        assert!(
            fails.iter().any(|c| c.what.contains("does not exist")),
            "{c:?}"
        );
        assert!(fails.iter().all(|c| c.fix.is_some()), "{c:?}");
        assert!(c.iter().any(|c| c.what.contains("no timeout")), "{c:?}");

        let none = check_registrations(&[], None);
        assert!(
            none.iter()
                .any(|c| c.status == Status::Fail && c.what.contains("PreToolUse")),
            "{none:?}"
        );
    }

    #[test]
    fn registrations_are_found_in_settings() {
        let doc = Doc::parse(r#"{"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
            {"type": "command", "command": "/x/blastwall", "args": ["hook", "--policy", "/p.toml"], "timeout": 10, "onFailure": "block"},
            {"type": "command", "command": "other"}]}]}}"#).unwrap();
        let r = registrations(&doc, Path::new("s.json"));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].args, ["hook", "--policy", "/p.toml"]);
        assert_eq!(
            (r[0].timeout, r[0].on_failure.as_deref()),
            (Some(10), Some("block"))
        );
    }
}
