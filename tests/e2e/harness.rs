//! Runs the real `claude` client in a throwaway project and HOME against the fake model.
//!
//! Nothing here touches the machine's real HOME: every run gets a fresh temp folder holding
//! `home/` (HOME, so `~/.claude`, `~/.config/blastwall` and the audit log live there) and
//! `project/` (the working directory, with `.claude/settings.json`), removed when the test ends.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fake_model::{marker_text, FakeModel, Turn};

/// Longest a single `claude -p` run may take. A scripted run takes a few seconds; this bound only
/// exists so a hung client fails the test instead of the whole suite.
pub(crate) const CLAUDE_TIMEOUT: Duration = Duration::from_secs(180);

/// The repository root (where Cargo.toml is).
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned client, from `BLASTWALL_CLAUDE_BIN` or `.e2e-cache/node_modules/.bin/claude`.
/// Missing client = failed suite, never a skipped one: `.ci/install-claude` provides it.
pub(crate) fn claude_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let candidate = match std::env::var_os("BLASTWALL_CLAUDE_BIN") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => repo_root().join(".e2e-cache/node_modules/.bin/claude"),
        };
        assert!(
            candidate.is_file(),
            "\n\nE2E SUITE CANNOT RUN: the Claude Code client is missing at {}.\n\
             Install the pinned client with `.ci/install-claude` (it prints the binary path), \
             or point BLASTWALL_CLAUDE_BIN at a `claude` binary.\n",
            candidate.display()
        );
        candidate
    })
    .clone()
}

/// The blastwall binary cargo built for this test run.
pub(crate) fn blastwall_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_blastwall"))
}

/// An absolute path to a real python3. The PATH entry may be a pyenv shim, which looks for its
/// installation under $HOME and so breaks under the fake HOME; the interpreter itself does not.
pub(crate) fn python3() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is needed by the e2e suite (the MCP test server)");
        assert!(
            out.status.success(),
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

/// Where sandboxes live: `$BLASTWALL_E2E_TMPDIR`, else `/var/tmp/bw-e2e`.
///
/// Not under /tmp: blastwall's embedded default lets agents write to /tmp and $TMPDIR, so a
/// sandbox living there could not show that a write outside the project is denied. (The client
/// gets its own `tmp/` inside the sandbox as TMPDIR.) Not inside a git repository either (so not
/// cargo's target/tmp): the client finds an enclosing repository by itself, ignoring
/// GIT_CEILING_DIRECTORIES, and puts that repository's `git status` and recent commits into the
/// model's context. Both are checked, loudly, because scenarios would pass or fail for the
/// wrong reason.
pub(crate) fn sandbox_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = match std::env::var_os("BLASTWALL_E2E_TMPDIR") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => PathBuf::from("/var/tmp/bw-e2e"),
        };
        std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("create sandbox root {}: {e}", root.display()));
        let root = root.canonicalize().expect("canonicalize sandbox root");
        let tmp = Path::new("/tmp").canonicalize().unwrap_or_else(|_| PathBuf::from("/tmp"));
        assert!(
            !root.starts_with(&tmp),
            "sandbox root {} is under /tmp, which blastwall lets agents write to; set BLASTWALL_E2E_TMPDIR elsewhere",
            root.display()
        );
        if let Some(repo) = root.ancestors().find(|a| a.join(".git").exists()) {
            panic!(
                "sandbox root {} is inside the git repository {}; the client would show that repository to the model. \
                 Set BLASTWALL_E2E_TMPDIR elsewhere",
                root.display(),
                repo.display()
            );
        }
        root
    })
    .clone()
}

/// A unique folder under [`sandbox_root`], removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = sandbox_root().join(format!(
            "e2e-{label}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        // Canonical, because the client and blastwall both see resolved paths.
        TempDir(dir.canonicalize().expect("canonicalize temp dir"))
    }
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // BLASTWALL_E2E_KEEP=1 keeps the folders of a failing run for a look afterwards.
        if std::env::var_os("BLASTWALL_E2E_KEEP").is_some() {
            eprintln!("e2e: kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a hook is registered in `<project>/.claude/settings.json`.
#[derive(Clone, Debug)]
pub(crate) struct HookCommand {
    pub(crate) command: PathBuf,
    pub(crate) args: Vec<String>,
}

impl HookCommand {
    /// `blastwall hook [extra args]`, the way the lead's issue registers it by hand.
    pub(crate) fn blastwall(extra: &[&str]) -> HookCommand {
        let mut args = vec!["hook".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        HookCommand {
            command: blastwall_bin(),
            args,
        }
    }
}

/// Registration of `hook` in the exec form (absolute path + args), with a timeout and
/// `onFailure: "block"`, on PreToolUse, PostToolUse and UserPromptSubmit.
pub(crate) fn settings_for(hook: &HookCommand) -> Value {
    let h = json!({
        "type": "command",
        "command": hook.command.to_string_lossy(),
        "args": hook.args,
        "timeout": 10,
        "onFailure": "block",
    });
    json!({
        "hooks": {
            "PreToolUse": [{"matcher": "*", "hooks": [h.clone()]}],
            "PostToolUse": [{"matcher": "*", "hooks": [h.clone()]}],
            "UserPromptSubmit": [{"hooks": [h]}],
        }
    })
}

pub(crate) struct Sandbox {
    pub(crate) dir: TempDir,
    pub(crate) home: PathBuf,
    pub(crate) project: PathBuf,
    pub(crate) model: FakeModel,
}

/// Options of one `claude -p` run.
#[derive(Clone, Debug)]
pub(crate) struct RunOpts {
    /// `--allowedTools`: the client's own permission layer lets these through, so what decides
    /// is blastwall (its deny/ask still win over an allow rule).
    pub(crate) allowed_tools: Vec<String>,
    pub(crate) extra_args: Vec<String>,
    /// Working directory; the project when `None`.
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) extra_env: Vec<(String, String)>,
}

impl Default for RunOpts {
    fn default() -> Self {
        RunOpts {
            allowed_tools: ["Bash", "Read", "Write", "Edit", "Glob", "Grep", "Agent"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            extra_args: Vec::new(),
            cwd: None,
            extra_env: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct RunResult {
    pub(crate) status: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The `--output-format json` result object (last JSON line of stdout), `Null` if none.
    pub(crate) result: Value,
}

impl RunResult {
    pub(crate) fn permission_denials(&self) -> Vec<Value> {
        self.result
            .get("permission_denials")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
    /// `tool_use_id`s the client reports as denied.
    pub(crate) fn denied_ids(&self) -> Vec<String> {
        self.permission_denials()
            .iter()
            .filter_map(|d| {
                d.get("tool_use_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect()
    }
    pub(crate) fn describe(&self) -> String {
        format!(
            "exit={:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

impl Sandbox {
    pub(crate) fn new(label: &str) -> Sandbox {
        let dir = TempDir::new(label);
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(home.join(".claude")).expect("mkdir home");
        std::fs::create_dir_all(project.join(".claude")).expect("mkdir project");
        std::fs::create_dir_all(dir.path().join("tmp")).expect("mkdir tmp");
        Sandbox {
            dir,
            home,
            project,
            model: FakeModel::start(),
        }
    }

    /// Writes `<project>/.claude/settings.json` registering `hook`.
    pub(crate) fn register(&self, hook: &HookCommand) {
        self.write_settings(&self.project, &settings_for(hook));
    }

    pub(crate) fn write_settings(&self, project: &Path, settings: &Value) {
        let path = project.join(".claude/settings.json");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir .claude");
        std::fs::write(&path, serde_json::to_string_pretty(settings).expect("json"))
            .expect("write settings");
    }

    pub(crate) fn write(&self, path: &Path, content: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir parent");
        }
        std::fs::write(path, content).expect("write file");
    }

    /// A stand-in hook (a shell script) that logs every event to `<dir>/stub-hook/events.jsonl`
    /// and answers with the file `<event>-<tool_use_id>.json`, `<event>-<tool>.json` or
    /// `<event>.json` (first that exists) from the same folder
    /// when one exists (nothing otherwise). Used to pin down client behaviour blastwall relies on.
    pub(crate) fn stub_hook(&self) -> (HookCommand, PathBuf) {
        let dir = self.dir.path().join("stub-hook");
        std::fs::create_dir_all(&dir).expect("mkdir stub-hook");
        let script = dir.join("hook.sh");
        let body = format!(
            r#"#!/bin/sh
dir='{}'
in=$(cat)
printf '%s\n' "$in" >> "$dir/events.jsonl"
ev=$(printf '%s' "$in" | grep -o '"hook_event_name":"[^"]*"' | head -1 | cut -d'"' -f4)
tool=$(printf '%s' "$in" | grep -o '"tool_name":"[^"]*"' | head -1 | cut -d'"' -f4)
id=$(printf '%s' "$in" | grep -o '"tool_use_id":"[^"]*"' | head -1 | cut -d'"' -f4)
f="$dir/$ev-$id.json"
[ -f "$f" ] || f="$dir/$ev-$tool.json"
[ -f "$f" ] || f="$dir/$ev.json"
[ -f "$f" ] && cat "$f"
exit 0
"#,
            dir.display()
        );
        std::fs::write(&script, body).expect("write stub hook");
        make_executable(&script);
        (
            HookCommand {
                command: script,
                args: Vec::new(),
            },
            dir,
        )
    }

    /// Writes `mcp.json` registering `tests/e2e/mcp_server.py` as server `web` and returns the
    /// client arguments that load it (and only it). Calls are logged to the returned file.
    pub(crate) fn mcp_server(&self) -> (Vec<String>, PathBuf) {
        let log = self.dir.path().join("mcp-calls.jsonl");
        let config = json!({"mcpServers": {"web": {
            "command": python3().to_string_lossy(),
            "args": [repo_root().join("tests/e2e/mcp_server.py").to_string_lossy()],
            "env": {"E2E_MCP_LOG": log.to_string_lossy()},
        }}});
        let path = self.dir.path().join("mcp.json");
        std::fs::write(&path, config.to_string()).expect("write mcp.json");
        let args = vec![
            "--mcp-config".to_string(),
            path.to_string_lossy().into_owned(),
            "--strict-mcp-config".to_string(),
        ];
        (args, log)
    }

    /// `<project>/.claude/blastwall.toml`: the project layer (may only tighten).
    pub(crate) fn project_policy(&self, toml: &str) -> PathBuf {
        let p = self.project.join(".claude/blastwall.toml");
        self.write(&p, toml);
        p
    }

    /// `~/.config/blastwall/policy.toml` under the temp HOME: the user layer.
    pub(crate) fn user_policy(&self, toml: &str) -> PathBuf {
        let p = self.home.join(".config/blastwall/policy.toml");
        self.write(&p, toml);
        p
    }

    /// Audit entries of PreToolUse events for `tool`, in order.
    pub(crate) fn audit_pre(&self, tool: &str) -> Vec<Value> {
        self.audit()
            .into_iter()
            .filter(|e| e["event"] == "PreToolUse" && e["tool"] == tool)
            .collect()
    }

    /// The audit log blastwall wrote under the temp HOME (no XDG_STATE_HOME is passed).
    pub(crate) fn audit_path(&self) -> PathBuf {
        self.home.join(".local/state/blastwall/audit.jsonl")
    }

    pub(crate) fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.audit_path()).unwrap_or_default();
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}"))
            })
            .collect()
    }

    pub(crate) fn audit_text(&self) -> String {
        std::fs::read_to_string(self.audit_path()).unwrap_or_default()
    }

    /// Registers `turns` under `marker` and runs `claude -p` with a prompt carrying the marker.
    pub(crate) fn run(&self, marker: &str, turns: Vec<Turn>, opts: &RunOpts) -> RunResult {
        self.model.script(marker, turns);
        self.run_claude(
            &format!("{} run the scripted scenario", marker_text(marker)),
            opts,
        )
    }

    pub(crate) fn run_claude(&self, prompt: &str, opts: &RunOpts) -> RunResult {
        let child = self
            .claude_command(prompt, opts)
            .spawn()
            .expect("spawn claude");
        wait_bounded(child, CLAUDE_TIMEOUT)
    }

    /// Starts one client per `(marker, turns, opts)` at the same time and waits for all of them.
    pub(crate) fn run_parallel(&self, runs: Vec<(&str, Vec<Turn>, RunOpts)>) -> Vec<RunResult> {
        let children: Vec<Child> = runs
            .into_iter()
            .map(|(marker, turns, opts)| {
                self.model.script(marker, turns);
                let prompt = format!("{} run the scripted scenario", marker_text(marker));
                self.claude_command(&prompt, &opts)
                    .spawn()
                    .expect("spawn claude")
            })
            .collect();
        let waiters: Vec<_> = children
            .into_iter()
            .map(|c| {
                thread::spawn(move || std::panic::catch_unwind(|| wait_bounded(c, CLAUDE_TIMEOUT)))
            })
            .collect();
        // Join every waiter before failing, so no client outlives the test.
        let results: Vec<_> = waiters.into_iter().map(|w| w.join()).collect();
        results
            .into_iter()
            .map(|r| match r {
                Ok(Ok(run)) => run,
                _ => panic!("a parallel claude run failed (see its message above)"),
            })
            .collect()
    }

    pub(crate) fn claude_command(&self, prompt: &str, opts: &RunOpts) -> Command {
        let mut cmd = Command::new(claude_bin());
        cmd.arg("-p").arg(prompt).args(["--output-format", "json"]);
        if !opts.allowed_tools.is_empty() {
            cmd.arg("--allowedTools").arg(opts.allowed_tools.join(" "));
        }
        cmd.args(&opts.extra_args);
        cmd.current_dir(opts.cwd.as_deref().unwrap_or(&self.project));
        // A clean environment: nothing from the developer's shell (API keys, XDG paths, proxies,
        // CLAUDE_* settings) may leak in. PATH is kept so Bash finds coreutils.
        cmd.env_clear();
        cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd.env("HOME", &self.home);
        cmd.env("USER", "e2e");
        cmd.env("SHELL", "/bin/bash");
        cmd.env("TMPDIR", self.dir.path().join("tmp"));
        cmd.env("LANG", "C.UTF-8");
        // Belt and braces to sandbox_root's check: git run by tools stops at the sandbox.
        cmd.env("GIT_CEILING_DIRECTORIES", self.dir.path());
        cmd.env("ANTHROPIC_BASE_URL", self.model.base_url());
        cmd.env("ANTHROPIC_API_KEY", "sk-ant-e2e-fake-key");
        cmd.env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        cmd.env("DISABLE_AUTOUPDATER", "1");
        cmd.env("DISABLE_TELEMETRY", "1");
        cmd.env("DISABLE_ERROR_REPORTING", "1");
        // Loopback only. The fake model is the only endpoint the client knows, and any other HTTP
        // a tool might make (a curl that should have been stopped) goes to a closed local port
        // instead of the internet.
        for k in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env(k, "http://127.0.0.1:9");
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost");
        cmd.env("no_proxy", "127.0.0.1,localhost");
        for (k, v) in &opts.extra_env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group, so a timeout kills the client together with everything it
        // started (hooks, MCP servers, Bash commands).
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    }
}

pub(crate) fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(path).expect("stat").permissions();
    perm.set_mode(0o755);
    std::fs::set_permissions(path, perm).expect("chmod");
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // With BLASTWALL_E2E_KEEP set the temp folder stays; leave the recorded requests in it
        // (one JSON line each) for a look at what the model was shown.
        if std::env::var_os("BLASTWALL_E2E_KEEP").is_some() {
            let lines: Vec<String> = self
                .model
                .requests()
                .iter()
                .map(|r| {
                    json!({"path": r.path, "marker": r.marker, "step": r.step, "body": r.body})
                        .to_string()
                })
                .collect();
            let _ = std::fs::write(
                self.dir.path().join("model-requests.jsonl"),
                lines.join("\n"),
            );
        }
    }
}

/// Waits for `child` at most `limit`; kills it on timeout (and says so in the result).
pub(crate) fn wait_bounded(mut child: Child, limit: Duration) -> RunResult {
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    // Pipes drained on threads so a chatty child never blocks on a full pipe.
    let out_t = thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_t = thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st.code(),
            Ok(None) if start.elapsed() > limit => {
                timed_out = true;
                // The whole group (see claude_command), then the child itself for certain.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for claude: {e}"),
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let mut stderr = err_t.join().unwrap_or_default();
    if timed_out {
        stderr.push_str(&format!("\n[e2e] claude killed after {limit:?}\n"));
    }
    let result = stdout
        .lines()
        .rev()
        .find_map(|l| {
            serde_json::from_str::<Value>(l.trim())
                .ok()
                .filter(Value::is_object)
        })
        .unwrap_or(Value::Null);
    let r = RunResult {
        status,
        stdout,
        stderr,
        result,
    };
    assert!(
        !timed_out,
        "claude did not finish within {limit:?}\n{}",
        r.describe()
    );
    r
}
