//! Integration tests: the built `blastwall` binary as a process, the way Claude Code runs it.
//!
//! - [`replay`]: every recorded event in `fixtures/events/` gets the answer its file expects;
//! - [`cli`]: `blastwall hook` end to end (stdin → stdout JSON and exit code), policy layers,
//!   the audit log, and the hand tools (`lint`, `explain`, `--version`);
//! - [`link`]: how the binary is linked (static on x86_64 Linux, see build.rs), and that it
//!   still turns a panic into a deny;
//! - [`setup`]: `install` and `uninstall` on odd, broken and read-only settings files;
//! - [`tools`]: `log`, `taint`, `policy show`, `doctor`;
//! - [`usage`]: the command line itself: help, typos, missing and conflicting arguments;
//! - [`regression`]: one test per bug found, named after what it caught;
//! - [`secrets`]: secret redaction end to end (exact values from the environment).
//!
//! Every process starts from a cleared environment (PATH, HOME and only what the test needs),
//! with HOME and the project in fresh directories under Cargo's target tmp dir, so the
//! machine's own `~/.config/blastwall` never leaks in. They are deliberately not under `/tmp`:
//! the default policy lets the agent write to `/tmp`, so a home there would make "outside the
//! project" writes allowed and hide the very decisions the tests check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    reason = "test code: a failed expectation is a failed test"
)]

mod bad_input;
mod cli;
mod egress;
mod link;
mod properties;
mod regression;
mod replay;
mod sandbox;
mod secrets;
mod setup;
mod tools;
mod usage;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_blastwall");

/// A fake machine: a home and a project directory, both empty, both outside `/tmp`.
pub struct Sandbox {
    _root: TempDir,
    pub home: PathBuf,
    pub project: PathBuf,
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new()
    }
}

/// Where test sandboxes live: `$BLASTWALL_TEST_TMPDIR`, else `/var/tmp/bw-integration`.
///
/// Not under /tmp, and so not under cargo's target dir either when the checkout itself is under
/// /tmp (CI clones anywhere): the embedded default lets agents write to /tmp, so a HOME or
/// project there would make "write outside the project" come out allowed.
pub fn scratch_root() -> PathBuf {
    let root = match std::env::var_os("BLASTWALL_TEST_TMPDIR") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("/var/tmp/bw-integration"),
    };
    std::fs::create_dir_all(&root).unwrap();
    let root = root.canonicalize().unwrap();
    let tmp = Path::new("/tmp")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("/tmp"));
    assert!(
        !root.starts_with(&tmp),
        "test scratch root {} is under /tmp; set BLASTWALL_TEST_TMPDIR elsewhere",
        root.display()
    );
    root
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("bw-it-")
            .tempdir_in(scratch_root())
            .unwrap();
        // Canonical, so reasons and audit lines name the same path the test builds.
        let base = root.path().canonicalize().unwrap();
        let home = base.join("home");
        let project = base.join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        Sandbox {
            _root: root,
            home,
            project,
        }
    }

    /// `blastwall ARGS` in a cleared environment: PATH, HOME, and the project as both the
    /// working directory and `CLAUDE_PROJECT_DIR` (what Claude Code gives a hook).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CLAUDE_PROJECT_DIR", &self.project)
            .current_dir(&self.project);
        c
    }

    /// Write a file below the sandbox, creating its directories.
    pub fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The user policy layer, `$HOME/.config/blastwall/policy.toml`.
    pub fn user_policy(&self) -> PathBuf {
        self.home.join(".config/blastwall/policy.toml")
    }

    /// The project policy layer, `.claude/blastwall.toml`.
    pub fn project_policy(&self) -> PathBuf {
        self.project.join(".claude/blastwall.toml")
    }

    /// A PreToolUse event with every field the real client sends (main thread).
    pub fn pre_tool_use(&self, tool: &str, input: Value) -> Value {
        json!({
            "session_id": "3f1c9a2e-7b4d-4e8a-9c61-2d5f0b8e4a17",
            "transcript_path": self.home.join(".claude/projects/p/s.jsonl"),
            "cwd": self.project,
            "prompt_id": "550e8400-e29b-41d4-a716-446655440000",
            "permission_mode": "default",
            "effort": {"level": "high"},
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": input,
            "tool_use_id": "toolu_01ABC123",
        })
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The one JSON answer on stdout, if any. Panics on anything else on stdout: a stray
    /// line there would make Claude Code ignore the answer and let the call run.
    pub fn answer(&self) -> Option<Value> {
        if self.stdout.is_empty() {
            return None;
        }
        assert!(
            self.stdout.ends_with('\n') && self.stdout.lines().count() == 1,
            "stdout must be exactly one JSON line: {:?}",
            self.stdout
        );
        Some(serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {:?}", self.stdout);
        }))
    }

    /// The PreToolUse decision: "allow", "ask", "deny", or "none" when nothing was printed.
    /// A Bash call the sandbox rewrote without a decision of its own (`updatedInput` only) is
    /// "none" too: the client's own flow decides, as without the rewrite.
    pub fn decision(&self) -> String {
        match self.answer() {
            None => "none".into(),
            Some(v)
                if v.pointer("/hookSpecificOutput/permissionDecision")
                    .is_none()
                    && v.pointer("/hookSpecificOutput/updatedInput").is_some() =>
            {
                "none".into()
            }
            Some(v) => v
                .pointer("/hookSpecificOutput/permissionDecision")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("answer without permissionDecision: {v}"))
                .to_string(),
        }
    }

    /// Nothing objected: no decision, or (for a read-only Bash command the sandbox runs) the
    /// allow the client would have given by itself.
    pub fn passes(&self) -> bool {
        matches!(self.decision().as_str(), "none" | "allow")
    }

    /// The PreToolUse reason ("" when nothing was printed).
    pub fn reason(&self) -> String {
        self.answer()
            .and_then(|v| {
                v.pointer("/hookSpecificOutput/permissionDecisionReason")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default()
    }
}

/// Run a command with `stdin` written in full, and collect its output.
pub fn run(mut cmd: Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // A thread, so a child that answers before reading everything cannot deadlock us; a
    // broken pipe is expected then (the binary stops reading at its input cap).
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `blastwall hook` on one event in the sandbox.
pub fn hook(sb: &Sandbox, event: &Value) -> Output {
    run(sb.cmd(&["hook"]), event.to_string().as_bytes())
}

/// How strict a decision is, for "never weaker than" comparisons.
pub fn strictness(decision: &str) -> u8 {
    match decision {
        "allow" => 0,
        "none" => 1,
        "ask" => 2,
        "deny" => 3,
        other => panic!("unknown decision {other}"),
    }
}
