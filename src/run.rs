//! Command-line dispatch: `hook` for Claude Code, and the hand tools (`replay`, `explain`,
//! `lint`). Argument parsing is hand-written: five subcommands and three flags do not justify
//! a parser crate on a path that runs on every tool call.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::exit::Exit;
use crate::hook::{self, Answer, Options};
use crate::input::{self, HookEvent};
use crate::output;
use crate::paths::PathEnv;
use crate::policy::{LayerKind, Policy, Source};

pub const USAGE: &str = "\
blastwall — a Claude Code hook that shrinks the blast radius of one bad agent turn

USAGE:
  blastwall hook    [--policy FILE] [--isolated]        judge one hook event on stdin (Claude Code runs this)
  blastwall replay  [--policy FILE] [--isolated] [--project DIR] PATH...
                                                        judge recorded events (files or folders of .json/.jsonl)
  blastwall explain [--policy FILE] [--isolated] [--project DIR] [FILE]
                                                        show every finding behind one event's decision
  blastwall lint    [--project] FILE...                 check policy files (exit 1 on errors)
  blastwall scrub                                       copy stdin to stdout with secrets redacted
  blastwall install [--user | --project DIR] [--policy FILE] [--dry-run]
                                                        register the hook in .claude/settings.json
                                                        (default: ./.claude/settings.json)
  blastwall help | --version

Policy layers, highest first: --policy FILE · /etc/blastwall/policy.toml ·
~/.config/blastwall/policy.toml · .claude/blastwall.toml (may only tighten) · embedded default.
--isolated reads only the embedded default and --policy.
";

struct Args {
    opts: Options,
    positional: Vec<String>,
    project_layer: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        opts: Options::default(),
        positional: Vec::new(),
        project_layer: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--policy" => {
                out.opts.policy_file =
                    Some(PathBuf::from(it.next().ok_or("--policy needs a file")?))
            }
            "--isolated" => out.opts.isolated = true,
            "--project" => match it.clone().next() {
                // `lint --project FILE…` marks files as project layers; elsewhere it names a dir.
                Some(dir) if Path::new(dir).is_dir() => {
                    out.opts.project = Some(PathBuf::from(dir));
                    it.next();
                }
                _ => out.project_layer = true,
            },
            s if s.starts_with("--policy=") => {
                out.opts.policy_file = Some(PathBuf::from(s.trim_start_matches("--policy=")))
            }
            s if s.starts_with('-') && s != "-" => return Err(format!("unknown option `{s}`")),
            s => out.positional.push(s.to_string()),
        }
    }
    Ok(out)
}

fn stderr(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), crate::redact::text(text).as_bytes());
}

/// Print an answer the way the hook protocol wants it.
fn deliver(answer: &Answer) -> Exit {
    if let Some(e) = &answer.stderr {
        stderr(&format!("{e}\n"));
    }
    if let Some(v) = &answer.stdout {
        if let Err(e) = output::emit(v) {
            // Even JSON cannot be written: exit 2 blocks the call with the reason on stderr.
            stderr(&format!(
                "blastwall: cannot write the answer ({e}); blocking\n"
            ));
            return Exit::Block;
        }
    }
    answer.exit
}

/// Entry point: returns the exit code; never panics (the hook path is under its own
/// catch-all, the hand tools only print).
pub fn main(args: &[String]) -> Exit {
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        // Registered without a subcommand, with an event on stdin: still judge it.
        None if !std::io::stdin().is_terminal() => ("hook", &[][..]),
        None => {
            stderr(USAGE);
            return Exit::Usage;
        }
    };
    let parsed = parse_args(rest);
    match cmd {
        "hook" => {
            let answer = match parsed {
                // `hook /path/policy.toml` (the flag forgotten) must not silently drop the file.
                Ok(a) if !a.positional.is_empty() => Answer::failure(
                    None,
                    &format!("its hook registration is invalid (unexpected argument `{}`; use `hook --policy FILE`)", a.positional.join(" ")),
                ),
                Ok(a) => {
                    let mut opts = a.opts;
                    opts.audit = true;
                    opts.compiled_cache = true;
                    hook::run(&mut std::io::stdin().lock(), &opts)
                }
                // A broken registration must block, not fail open.
                Err(e) => Answer::failure(None, &format!("its hook registration is invalid ({e})")),
            };
            deliver(&answer)
        }
        "help" | "--help" | "-h" => {
            let _ = output::emit_text(USAGE);
            Exit::Ok
        }
        "--version" | "-V" | "version" => {
            let _ = output::emit_text(&format!("blastwall {}\n", env!("CARGO_PKG_VERSION")));
            Exit::Ok
        }
        "scrub" => scrub(),
        "install" => install(rest),
        "replay" | "explain" | "lint" => match parsed {
            Ok(a) => match cmd {
                "replay" => replay(&a),
                "explain" => explain(&a),
                _ => lint(&a),
            },
            Err(e) => {
                stderr(&format!("blastwall: {e}\n\n{USAGE}"));
                Exit::Usage
            }
        },
        // With an event on stdin this is a hook registration gone wrong (`blastwall hok`,
        // `blastwall --policy F`): exit 64 would let the call run, so block it, visibly.
        other if !std::io::stdin().is_terminal() => deliver(&Answer::failure(
            None,
            &format!("its hook registration is invalid (unknown command `{other}`; the registration must run `blastwall hook`)"),
        )),
        other => {
            stderr(&format!("blastwall: unknown command `{other}`\n\n{USAGE}"));
            Exit::Usage
        }
    }
}

/// A recorded event, optionally with what it is expected to get.
struct Case {
    origin: String,
    event: Value,
    expect: Option<String>,
    reason_contains: Option<String>,
}

fn substitute(text: &str, project: &Path) -> String {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/nonexistent-home".into());
    text.replace("{{HOME}}", &home)
        .replace("{{PROJECT}}", &project.to_string_lossy())
        .replace("{{TMP}}", &std::env::temp_dir().to_string_lossy())
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            collect_files(&e, out)?;
        }
    } else if path
        .extension()
        .is_some_and(|x| x == "json" || x == "jsonl")
    {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn load_cases(paths: &[String], project: &Path) -> Result<Vec<Case>, String> {
    let mut files = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if !path.exists() {
            return Err(format!("{p}: no such file or folder"));
        }
        collect_files(path, &mut files)?;
    }
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let text = substitute(&text, project);
        let values: Vec<(String, Value)> = if f.extension().is_some_and(|x| x == "jsonl") {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    serde_json::from_str(l)
                        .map(|v| (format!("{}:{}", f.display(), i + 1), v))
                        .map_err(|e| format!("{}:{}: {e}", f.display(), i + 1))
                })
                .collect::<Result<_, _>>()?
        } else {
            vec![(
                f.display().to_string(),
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?,
            )]
        };
        for (origin, v) in values {
            let case = match v.get("event") {
                Some(ev) => Case {
                    origin,
                    event: ev.clone(),
                    expect: v.get("expect").and_then(Value::as_str).map(str::to_string),
                    reason_contains: v
                        .get("reason_contains")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
                None => Case {
                    origin,
                    event: v,
                    expect: None,
                    reason_contains: None,
                },
            };
            cases.push(case);
        }
    }
    Ok(cases)
}

/// The reason text of an answer, wherever the event kind puts it.
pub fn answer_reason(answer: &Answer) -> String {
    let Some(v) = &answer.stdout else {
        return String::new();
    };
    let pick = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    pick("/hookSpecificOutput/permissionDecisionReason")
        .or_else(|| pick("/reason"))
        .or_else(|| pick("/systemMessage"))
        .unwrap_or_default()
}

/// Run one recorded event through the same path as `blastwall hook`.
pub fn judge_value(event: &Value, opts: &Options) -> Answer {
    let bytes = serde_json::to_vec(event).unwrap_or_default();
    hook::run(&mut &bytes[..], opts)
}

fn replay(a: &Args) -> Exit {
    if a.positional.is_empty() {
        stderr("blastwall replay: give at least one fixture file or folder\n");
        return Exit::Usage;
    }
    let project = default_project(&a.opts);
    let cases = match load_cases(&a.positional, &project) {
        Ok(c) => c,
        Err(e) => {
            stderr(&format!("blastwall replay: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    let mut opts = a.opts.clone();
    opts.project = Some(project);
    let (mut counts, mut failed) = (std::collections::BTreeMap::<&str, usize>::new(), 0usize);
    let mut lines = String::new();
    for c in &cases {
        let answer = judge_value(&c.event, &opts);
        *counts.entry(answer.decision).or_default() += 1;
        let reason = answer_reason(&answer);
        let mut verdict = "";
        if let Some(want) = &c.expect {
            let ok = want == answer.decision
                && c.reason_contains
                    .as_ref()
                    .is_none_or(|s| reason.contains(s.as_str()));
            if !ok {
                failed += 1;
                verdict = " FAIL";
            }
        }
        let tool = c
            .event
            .get("tool_name")
            .and_then(Value::as_str)
            .or_else(|| c.event.get("hook_event_name").and_then(Value::as_str))
            .unwrap_or("?");
        lines.push_str(&format!(
            "{:<5} {:<14} {}{}",
            answer.decision, tool, c.origin, verdict
        ));
        if let Some(want) = c.expect.as_ref().filter(|_| !verdict.is_empty()) {
            lines.push_str(&format!(" (expected {want})"));
        }
        if !reason.is_empty() {
            lines.push_str(&format!("\n      {reason}"));
        }
        lines.push('\n');
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    lines.push_str(&format!(
        "{} events: {}; {} expectation(s) failed\n",
        cases.len(),
        summary.join(", "),
        failed
    ));
    let _ = output::emit_text(&lines);
    if failed > 0 {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

fn explain(a: &Args) -> Exit {
    let text = match a.positional.first().map(String::as_str) {
        Some(f) if f != "-" => std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}")),
        _ => input::read_capped(&mut std::io::stdin().lock(), input::MAX_INPUT_BYTES)
            .map_err(|e| e.to_string())
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    };
    let project = default_project(&a.opts);
    let value: Value = match text
        .and_then(|t| serde_json::from_str(&substitute(&t, &project)).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            stderr(&format!("blastwall explain: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    let event_value = value.get("event").cloned().unwrap_or(value);
    // Judge as the hook would: `--project` if given, else CLAUDE_PROJECT_DIR or the event's cwd.
    let opts = a.opts.clone();
    let mut out = String::new();
    match serde_json::from_value::<HookEvent>(event_value.clone()) {
        Ok(ev) if ev.kind() == input::EventKind::PreToolUse => match hook::judge_pre(&ev, &opts) {
            Ok((j, policy, env)) => {
                out.push_str("layers (lowest first):\n");
                for (kind, name) in &policy.layers {
                    out.push_str(&format!("  {:<16} {name}\n", kind.as_str()));
                }
                out.push_str(&format!(
                    "project: {}\ncwd: {}\nprofiles: {}\n",
                    env.display(&env.project),
                    env.display(&env.cwd),
                    j.profiles.join(", ")
                ));
                if j.verdict.findings.is_empty() {
                    out.push_str("findings: none\n");
                } else {
                    out.push_str("findings:\n");
                    for f in &j.verdict.findings {
                        out.push_str(&format!("  {:<5} {}\n", f.decision.as_str(), f.reason()));
                    }
                }
                out.push_str(&format!("decision: {}\n", j.verdict.decision()));
            }
            Err(e) => out.push_str(&format!("error: {e}\n")),
        },
        Ok(_) => {}
        Err(e) => out.push_str(&format!("error: not a hook event: {e}\n")),
    }
    let answer = judge_value(&event_value, &opts);
    out.push_str(&format!(
        "answer: {}\n",
        answer
            .stdout
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(nothing: Claude Code's own permission flow decides)".into())
    ));
    let _ = output::emit_text(&out);
    Exit::Ok
}

fn lint(a: &Args) -> Exit {
    if a.positional.is_empty() {
        stderr("blastwall lint: give at least one policy file\n");
        return Exit::Usage;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let env = PathEnv::from_process(&cwd);
    let mut failed = false;
    let mut out = String::new();
    for f in &a.positional {
        let kind = if a.project_layer {
            LayerKind::Project
        } else {
            LayerKind::CommandLine
        };
        let result = std::fs::read_to_string(f)
            .map_err(|e| format!("cannot read policy {f}: {e}"))
            .and_then(|text| {
                let sources = [
                    Source::embedded(),
                    Source {
                        kind,
                        name: std::sync::Arc::from(f.as_str()),
                        text,
                    },
                ];
                Policy::from_sources(&sources, &env).map_err(|e| e.to_string())
            })
            .and_then(|p| crate::policy::lint::check(&p).map_err(|e| e.join("\n")));
        match result {
            Ok(warnings) => {
                out.push_str(&format!("ok: {f} ({} layer)\n", kind.as_str()));
                for w in warnings {
                    out.push_str(&format!("  warning: {w}\n"));
                }
            }
            Err(e) => {
                failed = true;
                out.push_str(&format!("error: {e}\n"));
            }
        }
    }
    let _ = output::emit_text(&out);
    if failed {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

/// `blastwall scrub`: a filter for pipes and CI logs. The count goes to stderr.
fn scrub() -> Exit {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match crate::secrets::scrub(crate::secrets::builtin(), stdin.lock(), stdout.lock()) {
        Ok(0) => Exit::Ok,
        Ok(n) => {
            stderr(&format!("blastwall scrub: redacted {n} secret(s)\n"));
            Exit::Ok
        }
        Err(e) => {
            stderr(&format!("blastwall scrub: {e}\n"));
            Exit::CheckFailed
        }
    }
}

/// `blastwall install`: write the registration into a settings file.
fn install(args: &[String]) -> Exit {
    let (mut user, mut project, mut policy, mut dry_run) =
        (false, None::<PathBuf>, None::<PathBuf>, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--user" => user = true,
            "--dry-run" => dry_run = true,
            "--project" => project = it.next().map(PathBuf::from),
            "--policy" => policy = it.next().map(PathBuf::from),
            other => {
                stderr(&format!("blastwall install: unknown argument `{other}`\n"));
                return Exit::Usage;
            }
        }
    }
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => {
            stderr(&format!(
                "blastwall install: cannot tell where this binary is: {e}\n"
            ));
            return Exit::CheckFailed;
        }
    };
    let policy = match policy.map(std::fs::canonicalize).transpose() {
        Ok(p) => p,
        Err(e) => {
            stderr(&format!("blastwall install: --policy: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    let file = if user {
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(h) => PathBuf::from(h).join(".claude/settings.json"),
            None => {
                stderr("blastwall install: --user needs HOME\n");
                return Exit::CheckFailed;
            }
        }
    } else {
        project
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".claude/settings.json")
    };
    match crate::install::install(&file, &exe, policy.as_deref(), dry_run) {
        Ok(v) => {
            let verb = if dry_run {
                "would write"
            } else {
                "registered blastwall in"
            };
            let body = serde_json::to_string_pretty(&v).unwrap_or_default();
            let _ = output::emit_text(&format!("{verb} {}:\n{body}\n", file.display()));
            Exit::Ok
        }
        Err(e) => {
            stderr(&format!("blastwall install: {e}\n"));
            Exit::CheckFailed
        }
    }
}

/// The project for replay and explain: `--project DIR`, else `CLAUDE_PROJECT_DIR` (as the hook
/// sees it), else the current directory.
fn default_project(opts: &Options) -> PathBuf {
    opts.project
        .clone()
        .or_else(|| {
            std::env::var_os("CLAUDE_PROJECT_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}
