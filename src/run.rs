//! Command-line dispatch: `hook` for Claude Code, and the hand tools (`replay`, `explain`,
//! `lint`, `scrub`, `install`).
//!
//! The hook is spawned on every tool call, so `blastwall hook …` (and a bare `blastwall` with
//! an event on stdin) is dispatched before `clap` with a tiny hand-written parser: an unknown
//! or malformed hook flag is an invalid registration and blocks the call with a deny JSON.
//! Every other subcommand is parsed by `clap` (derive): per-subcommand `--help` with examples,
//! "did you mean" for typos, conflicting or missing arguments as errors, `--flag=value`
//! everywhere. A usage error exits 2 with the message on stderr and never prints a hook
//! answer; exit 2 is also what Claude Code treats as "block", so a misspelt registration
//! (`blastwall hok`) still fails closed. Exit codes: [`crate::exit::Exit`].
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use crate::exit::Exit;
use crate::hook::{self, Answer, Options};
use crate::input::{self, HookEvent};
use crate::output;
use crate::paths::PathEnv;
use crate::policy::{LayerKind, Policy, Source};

/// blastwall — a Claude Code hook that shrinks the blast radius of one bad agent turn.
#[derive(Debug, Parser)]
#[command(
    name = "blastwall",
    version,
    about = "A Claude Code hook that shrinks the blast radius of one bad agent turn",
    after_help = concat!(
        "Policy layers, highest first: --policy FILE · /etc/blastwall/policy.toml ·\n",
        "~/.config/blastwall/policy.toml · .claude/blastwall.toml (may only tighten) · embedded default.\n\n",
        "Exit codes:\n",
        "  0  success (for `hook`: the answer, if any, is on stdout)\n",
        "  1  a check failed (lint errors, replay mismatches, install refused)\n",
        "  2  usage error; for `hook`, the protocol's blocking error (Claude Code blocks the call)\n\n",
        "`blastwall help COMMAND` or `blastwall COMMAND --help` shows each command's options and examples."
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

pub use crate::cmd::PolicyArgs;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge one hook event on stdin and answer in Claude Code's JSON (Claude Code runs this)
    #[command(after_help = concat!(
        "Reads one event (JSON) on stdin; prints at most one JSON answer on stdout.\n",
        "Any argument other than these blocks the call: a broken registration must not fail open.\n\n",
        "Examples:\n",
        "  blastwall hook < event.json\n",
        "  blastwall hook --policy /etc/blastwall/team.toml < event.json"
    ))]
    Hook(PolicyArgs),
    /// Judge recorded events (files or folders of .json/.jsonl) and check their expectations
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall replay --isolated fixtures/events\n",
        "  blastwall replay --policy team.toml --project . my-events/"
    ))]
    Replay(ReplayArgs),
    /// Show every layer, profile and finding behind one event's decision
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall explain --isolated fixtures/events/bash-cat-ssh-key.json\n",
        "  blastwall explain --isolated recorded.jsonl:12\n",
        "  blastwall explain --isolated - < event.json"
    ))]
    Explain(ExplainArgs),
    /// Check policy files (exit 1 on errors); with no file, the layers in effect here
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall lint\n",
        "  blastwall lint my-policy.toml\n",
        "  blastwall lint --layer project .claude/blastwall.toml\n",
        "  blastwall lint --format github --deny-warnings policy/team.toml"
    ))]
    Lint(crate::cmd::lint::LintArgs),
    /// Copy a file (or stdin) to stdout with secrets redacted; the count goes to stderr
    #[command(after_help = concat!(
        "Examples:\n",
        "  cargo test 2>&1 | blastwall scrub\n",
        "  blastwall scrub build.log > build.clean.log"
    ))]
    Scrub(ScrubArgs),
    /// Register the hook in a Claude Code settings file (project: .claude/settings.local.json)
    #[command(after_help = concat!(
        "Writes atomically and keeps a copy of the old file as FILE.blastwall.bak; other\n",
        "settings, other hooks and key order are kept. The --policy file is linted first.\n\n",
        "Examples:\n",
        "  blastwall install --dry-run\n",
        "  blastwall install --user\n",
        "  blastwall install --project ~/src/app --policy ~/src/app/team.toml"
    ))]
    Install(InstallArgs),
    /// Remove blastwall's own handlers from a settings file (nothing else)
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall uninstall --dry-run\n",
        "  blastwall uninstall --user\n",
        "  blastwall uninstall --shared --project ~/src/app"
    ))]
    Uninstall(UninstallArgs),
    // The hand tools in `crate::cmd` (`doctor`, `log`, `taint`, `policy`), listed here in
    // help; a new one is added there, not here.
    #[command(flatten)]
    Tool(crate::cmd::Tool),
    /// Print the version
    #[command(hide = true)]
    Version,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The project the events are judged in (default: a fresh scratch directory)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The home directory the events are judged with (default: a fresh scratch directory)
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// List the events whose decision changes when OTHER is the --policy file instead
    #[arg(long, value_name = "OTHER_POLICY")]
    pub diff: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::replay::Format,
    /// Colour the human output
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: crate::replay::ColorChoice,
    /// Fixture files or folders (.json: one event or {"expect", "event"}; .jsonl: one per line)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// The project the event is judged in (default: CLAUDE_PROJECT_DIR, else the event's cwd;
    /// a fixture with {{PROJECT}} placeholders: a scratch directory, as replay does)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The home directory (default: HOME; a fixture with placeholders: a scratch directory)
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The event file (a hook event, or {"expect", "event"}); `-` or none reads stdin
    #[arg(value_name = "FILE", conflicts_with = "program")]
    pub file: Option<PathBuf>,
    /// Print what blastwall's program table knows about NAME (traits, options that take a
    /// value, options naming a file it writes) instead of judging an event
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// List the built-in verdicts (rule ids the code reports, tunable with `[builtins]`):
    /// each one's default decision, the loosest a policy may set, and what it guards
    #[arg(long, conflicts_with_all = ["file", "program"])]
    pub builtins: bool,
}

#[derive(Debug, Args)]
pub struct ScrubArgs {
    /// The file to read (default: stdin)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Register for every project: ~/.claude/settings.json
    #[arg(long, conflicts_with = "project")]
    pub user: bool,
    /// Register for this project, in DIR/.claude/settings.local.json (default: the current
    /// directory; it must exist)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Register `hook --policy FILE` (the file is checked first)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Remove from ~/.claude/settings.json
    #[arg(long, conflicts_with = "project")]
    pub user: bool,
    /// Remove from DIR/.claude/settings.local.json (default: the current directory)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Remove from the project's shared .claude/settings.json instead (older installs wrote there)
    #[arg(long, conflicts_with = "user")]
    pub shared: bool,
    /// Show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// The hook's own arguments, parsed by hand (see the module docs).
fn parse_hook_args(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--policy" => {
                opts.policy_file = Some(PathBuf::from(it.next().ok_or("--policy needs a file")?))
            }
            "--isolated" => opts.isolated = true,
            s if s.starts_with("--policy=") => {
                opts.policy_file = Some(PathBuf::from(s.trim_start_matches("--policy=")))
            }
            s if s.starts_with('-') && s != "-" => return Err(format!("unknown option `{s}`")),
            // `hook /path/policy.toml` (the flag forgotten) must not silently drop the file.
            s => {
                return Err(format!(
                    "unexpected argument `{s}`; use `hook --policy FILE`"
                ))
            }
        }
    }
    Ok(opts)
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

/// `blastwall hook`: the fast path, before clap.
fn hook_main(args: &[String]) -> Exit {
    if args.len() == 1 && args.iter().any(|a| a == "--help" || a == "-h") {
        // clap renders it (the same text as `blastwall help hook`).
        return parse_others(&["hook".to_string(), "--help".to_string()])
            .err()
            .unwrap_or(Exit::Ok);
    }
    let answer = match parse_hook_args(args) {
        Ok(mut opts) => {
            opts.audit = true;
            opts.compiled_cache = true;
            hook::run(&mut std::io::stdin().lock(), &opts)
        }
        // A broken registration must block, not fail open.
        Err(e) => Answer::failure(None, &format!("its hook registration is invalid ({e})")),
    };
    deliver(&answer)
}

/// Parse a command line other than the hook's; help and version are printed here (stdout,
/// exit 0), usage errors on stderr (exit 2).
fn parse_others(args: &[String]) -> Result<Cli, Exit> {
    use clap::error::ErrorKind;
    let argv = std::iter::once("blastwall".to_string()).chain(args.iter().cloned());
    Cli::try_parse_from(argv).map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp => {
            let _ = output::emit_text(&e.render().to_string());
            Exit::Ok
        }
        ErrorKind::DisplayVersion => version(),
        _ => {
            stderr(&e.render().to_string());
            Exit::Usage
        }
    })
}

fn version() -> Exit {
    let _ = output::emit_text(&format!("blastwall {}\n", env!("CARGO_PKG_VERSION")));
    Exit::Ok
}

/// Entry point: returns the exit code; never panics (the hook path is under its own
/// catch-all, the hand tools only print).
pub fn main(args: &[String]) -> Exit {
    match args.first().map(String::as_str) {
        Some("hook") => return hook_main(args.get(1..).unwrap_or_default()),
        // Runs one approved Bash call inside the sandbox (the hook's wrapper calls it); its
        // exit code is the command's. Kept off clap like the hook: it runs on every Bash call.
        Some("sandbox") => {
            let egress = crate::egress::sandbox::SandboxEgress::for_runner();
            std::process::exit(crate::sandbox::runner::main(
                args.get(1..).unwrap_or_default(),
                egress
                    .as_ref()
                    .map(|e| e as &dyn crate::sandbox::EgressBridge),
            ))
        }
        // Inside a sandbox with `network = "allowlist"` (see `egress::bridge`): not for hand
        // use, so not in the help.
        Some("sandbox-bridge") => {
            return crate::egress::bridge::main(args.get(1..).unwrap_or_default())
        }
        // Registered without a subcommand, with an event on stdin: still judge it.
        None if !std::io::stdin().is_terminal() => return hook_main(&[]),
        _ => {}
    }
    let cli = match parse_others(args) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    match cli.command {
        // Reached only through clap when `hook` is not the first word (never, today).
        Command::Hook(_) => hook_main(&[]),
        Command::Version => version(),
        Command::Replay(a) => replay(&a),
        Command::Explain(a) => explain(&a),
        Command::Lint(a) => crate::cmd::lint::run(&a),
        Command::Scrub(a) => scrub(&a),
        Command::Install(a) => install(&a),
        Command::Uninstall(a) => uninstall(&a),
        Command::Tool(t) => t.run(),
    }
}

pub use crate::replay::{answer_reason, judge_value};

fn replay(a: &ReplayArgs) -> Exit {
    // A policy that does not load answers deny to everything, which could pass fixtures that
    // expect a deny: refuse to replay against one.
    for (flag, file) in [("--policy", &a.policy.policy), ("--diff", &a.diff)] {
        if let Some(f) = file.as_deref().filter(|f| f.is_file()) {
            if let Err(e) = lint_policy_file(f) {
                stderr(&format!(
                    "blastwall replay: {flag} {} does not load (every event would be denied):\n{e}\n",
                    f.display()
                ));
                return Exit::CheckFailed;
            }
        }
    }
    let scratch = match (&a.project, &a.home) {
        (Some(_), Some(_)) => None,
        _ => match crate::replay::Scratch::new() {
            Ok(s) => Some(s),
            Err(e) => {
                stderr(&format!("blastwall replay: {e}\n"));
                return Exit::CheckFailed;
            }
        },
    };
    let places = crate::replay::Places {
        home: a
            .home
            .clone()
            .or_else(|| scratch.as_ref().map(|s| s.places.home.clone()))
            .unwrap_or_default(),
        project: a
            .project
            .clone()
            .or_else(|| scratch.as_ref().map(|s| s.places.project.clone()))
            .unwrap_or_default(),
    };
    let cases = match crate::replay::load_cases(&a.paths, &places) {
        Ok(c) => c,
        Err(e) => {
            stderr(&format!("blastwall replay: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    let mut opts = a.policy.options();
    opts.project = Some(places.project.clone());
    opts.home = Some(places.home.clone());
    let results = crate::replay::judge_all(&cases, &opts);
    let color = crate::replay::use_color(a.color);
    if let Some(other) = &a.diff {
        if !other.is_file() {
            stderr(&format!(
                "blastwall replay: --diff {}: no such file\n",
                other.display()
            ));
            return Exit::CheckFailed;
        }
        let mut other_opts = opts.clone();
        other_opts.policy_file = Some(other.clone());
        let changed = crate::replay::diff(&results, &crate::replay::judge_all(&cases, &other_opts));
        let text = crate::replay::render_diff(
            &changed,
            results.len(),
            a.format,
            color,
            &other.display().to_string(),
        );
        let _ = output::emit_text(&text);
        return Exit::Ok;
    }
    // The command that re-judges one case the same way.
    let mut flags = String::new();
    if a.policy.isolated {
        flags.push_str(" --isolated");
    }
    if let Some(p) = &a.policy.policy {
        flags.push_str(&format!(
            " --policy {}",
            shell_quote(&p.display().to_string())
        ));
    }
    if let Some(p) = &a.project {
        flags.push_str(&format!(
            " --project {}",
            shell_quote(&p.display().to_string())
        ));
    }
    if let Some(h) = &a.home {
        flags.push_str(&format!(
            " --home {}",
            shell_quote(&h.display().to_string())
        ));
    }
    let explain = |origin: &str| {
        // A .jsonl case is `file:line`; explain takes the file.
        format!("blastwall explain{flags} {}", shell_quote(origin))
    };
    let text = match a.format {
        crate::replay::Format::Human => crate::replay::render_human(&results, color, &explain),
        crate::replay::Format::Json => crate::replay::render_json(&results),
        crate::replay::Format::Junit => crate::replay::render_junit(&results),
    };
    let _ = output::emit_text(&text);
    if results.iter().any(|r| r.ok == Some(false)) {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

/// Quote a word for a POSIX shell when it needs it (for printed commands).
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Read `FILE`, `FILE.jsonl:LINE` (a replay origin) or stdin.
fn read_event_text(file: Option<&Path>) -> Result<String, String> {
    match file {
        Some(f) if f != Path::new("-") => {
            let text = f.to_string_lossy();
            if !f.exists() {
                if let Some((path, line)) = text.rsplit_once(':') {
                    if let (Ok(n), true) = (line.parse::<usize>(), Path::new(path).is_file()) {
                        let all =
                            std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
                        return all
                            .lines()
                            .nth(n.saturating_sub(1))
                            .map(str::to_string)
                            .ok_or_else(|| format!("{path}: no line {n}"));
                    }
                }
            }
            std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))
        }
        _ => input::read_capped(&mut std::io::stdin().lock(), input::MAX_INPUT_BYTES)
            .map_err(|e| e.to_string())
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}

fn explain(a: &ExplainArgs) -> Exit {
    if a.builtins {
        let mut text = String::from("id                     default      floor  guards against\n");
        for b in crate::builtins::BUILTINS {
            let floor = b.floor.map_or("off", |d| d.as_str());
            text.push_str(&format!(
                "{:<22} {:<12} {:<6} {}\n",
                b.id, b.default, floor, b.guards
            ));
        }
        text.push_str("\nTune one in a trusted policy: [builtins] inline-code = \"off\" (see hooks.toml.example).\n");
        let _ = output::emit_text(&text);
        return Exit::Ok;
    }
    if let Some(name) = &a.program {
        return match crate::programs::describe(name) {
            Some(text) => {
                let _ = output::emit_text(&text);
                Exit::Ok
            }
            None => {
                stderr(&format!("blastwall explain: `{name}` is not in the program table; only the policy's rules and the generic analysis (redirects, path arguments) apply to it\n"));
                Exit::CheckFailed
            }
        };
    }
    let mut opts = a.policy.options();
    opts.project = a.project.clone();
    opts.home = a.home.clone();
    let text = match read_event_text(a.file.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            stderr(&format!("blastwall explain: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    // A fixture with placeholders is judged as replay judges it: in a scratch project and
    // home unless --project/--home say otherwise. A real event is judged as the hook would:
    // `--project` if given, else CLAUDE_PROJECT_DIR or the event's cwd.
    let scratch =
        if crate::replay::has_placeholders(&text) && (a.project.is_none() || a.home.is_none()) {
            match crate::replay::Scratch::new() {
                Ok(s) => Some(s),
                Err(e) => {
                    stderr(&format!("blastwall explain: {e}\n"));
                    return Exit::CheckFailed;
                }
            }
        } else {
            None
        };
    if let Some(s) = &scratch {
        opts.project = opts.project.or_else(|| Some(s.places.project.clone()));
        opts.home = opts.home.or_else(|| Some(s.places.home.clone()));
    }
    let places = crate::replay::Places {
        project: default_project(&opts),
        home: opts
            .home
            .clone()
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/nonexistent-home")),
    };
    let value: Value = match serde_json::from_str(&crate::replay::substitute(&text, &places)) {
        Ok(v) => v,
        Err(e) => {
            stderr(&format!("blastwall explain: not JSON: {e}\n"));
            return Exit::CheckFailed;
        }
    };
    let event_value = value.get("event").cloned().unwrap_or(value);
    let mut out = String::new();
    // A policy that does not load or an event that is not one: the answer shown is the
    // fail-closed one, and the exit code says something is wrong (1).
    let mut failed = false;
    // Judged once: a PreToolUse here, with every finding shown; any other event as the hook
    // answers it.
    let answer = match serde_json::from_value::<HookEvent>(event_value.clone()) {
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
                let answer = output::answer(hook::pre_outcome(&ev, &j, &policy));
                out.push_str(&format!("decision: {}\n", answer.decision));
                answer
            }
            Err(e) => {
                failed = true;
                out.push_str(&format!("error: {e}\n"));
                Answer::failure(Some(ev.kind()), &e.to_string())
            }
        },
        Ok(_) => judge_value(&event_value, &opts),
        Err(e) => {
            failed = true;
            out.push_str(&format!("error: not a hook event: {e}\n"));
            judge_value(&event_value, &opts)
        }
    };
    out.push_str(&format!(
        "answer: {}\n",
        answer
            .stdout
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(nothing: Claude Code's own permission flow decides)".into())
    ));
    let _ = output::emit_text(&out);
    if failed {
        Exit::CheckFailed
    } else {
        Exit::Ok
    }
}

/// `blastwall scrub`: a filter for pipes and CI logs. The count goes to stderr.
fn scrub(a: &ScrubArgs) -> Exit {
    let stdout = std::io::stdout();
    let result = match a.file.as_deref().filter(|f| *f != Path::new("-")) {
        Some(f) => match std::fs::File::open(f) {
            Ok(file) => crate::secrets::scrub(
                crate::secrets::builtin(),
                std::io::BufReader::new(file),
                stdout.lock(),
            ),
            Err(e) => {
                stderr(&format!("blastwall scrub: {}: {e}\n", f.display()));
                return Exit::CheckFailed;
            }
        },
        None => crate::secrets::scrub(
            crate::secrets::builtin(),
            std::io::stdin().lock(),
            stdout.lock(),
        ),
    };
    match result {
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

/// The settings file a scope writes: `~/.claude/settings.json` for `--user`, else the
/// project's `.claude/settings.local.json` (`.claude/settings.json` with `shared`, which only
/// uninstall reads). The project directory must exist.
fn settings_file(user: bool, project: Option<&Path>, shared: bool) -> Result<PathBuf, String> {
    if user {
        return match std::env::var_os("HOME").map(PathBuf::from) {
            Some(h) if h.is_absolute() => Ok(h.join(".claude/settings.json")),
            _ => Err("--user needs HOME (an absolute path)".into()),
        };
    }
    let dir = match project {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir()
            .map_err(|e| format!("cannot tell the current directory: {e}"))?,
    };
    if !dir.is_dir() {
        return Err(format!(
            "--project {}: no such directory (install does not create projects)",
            dir.display()
        ));
    }
    let dir = std::fs::canonicalize(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let name = if shared {
        "settings.json"
    } else {
        "settings.local.json"
    };
    Ok(dir.join(".claude").join(name))
}

/// Lint a policy file the way the hook will load it (as the command-line layer).
fn lint_policy_file(file: &Path) -> Result<(), String> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let env = PathEnv::from_process(&cwd);
    let name = file.display().to_string();
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("cannot read policy {name}: {e}"))?;
    let sources = [
        Source::embedded(),
        Source {
            kind: LayerKind::CommandLine,
            name: std::sync::Arc::from(name.as_str()),
            text,
        },
    ];
    // Every error, not the first: the user fixes them all before trying again.
    let (policy, errors) = crate::policy::check::check_all(&sources, &env);
    let mut all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    if let (Some(p), true) = (policy, all.is_empty()) {
        if let Err(e) = crate::policy::lint::check(&p) {
            all.extend(e);
        }
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(all.join("\n"))
    }
}

/// `blastwall install`: write the registration into a settings file.
fn install(a: &InstallArgs) -> Exit {
    use crate::install as inst;
    let fail = |e: &str| {
        stderr(&format!("blastwall install: {e}\n"));
        Exit::CheckFailed
    };
    let file = match settings_file(a.user, a.project.as_deref(), false) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot tell where this binary is: {e}")),
    };
    let policy = match a.policy.as_deref().map(std::fs::canonicalize).transpose() {
        Ok(p) => p,
        Err(e) => {
            let shown = a
                .policy
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
                .to_string();
            return fail(&format!("--policy {shown}: {e}"));
        }
    };
    // A broken policy, once registered, denies every call: check it first.
    if let Some(p) = &policy {
        if let Err(e) = lint_policy_file(p) {
            return fail(&format!(
                "--policy {} has errors; nothing was registered:\n{e}",
                p.display()
            ));
        }
    }
    // The other layers (user, managed, project) are not install's to refuse, but a broken
    // one denies every call from now on: say so.
    let env = crate::cmd::process_env(if a.user { None } else { a.project.as_deref() });
    let discovery = crate::policy::Discovery::standard(&env, policy.clone());
    if let Err(e) = discovery
        .read(&env)
        .and_then(|s| Policy::from_sources(&s, &env))
    {
        stderr(&format!(
            "blastwall install: warning: the policy layers in effect do not load, so every call is denied until this is fixed (`blastwall lint` shows every error):\n  {e}\n"
        ));
    }
    let settings = match inst::read(&file) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let (doc, replaced) = match inst::register(settings.doc.clone(), &exe, policy.as_deref(), &file)
    {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let text = inst::render(&settings.text, &doc);
    let shown = file.display().to_string();
    let mut out = String::new();
    if a.dry_run {
        let d = inst::diff(&settings.text, &text, &shown);
        if d.is_empty() {
            out.push_str(&format!(
                "{shown}: blastwall is registered already; nothing would change\n"
            ));
        } else {
            out.push_str(&format!("would write {shown}:\n{d}"));
        }
        let _ = output::emit_text(&out);
        return Exit::Ok;
    }
    if settings.exists && text == settings.text {
        out.push_str(&format!(
            "{shown}: blastwall is registered already; nothing to change\n"
        ));
    } else {
        let backup = match inst::write_atomically(&file, &text) {
            Ok(b) => b,
            Err(e) => return fail(&e.to_string()),
        };
        let events: Vec<&str> = inst::EVENTS.iter().map(|(e, _)| *e).collect();
        out.push_str(&format!("registered blastwall in {shown}\n"));
        out.push_str(&format!("  events:  {}\n", events.join(", ")));
        let mut command = format!("{} hook", exe.display());
        if let Some(p) = &policy {
            command.push_str(&format!(" --policy {}", p.display()));
        }
        out.push_str(&format!(
            "  command: {command} (timeout {}s, onFailure: block)\n",
            inst::TIMEOUT_SECS
        ));
        if replaced > 0 {
            out.push_str(&format!(
                "  replaced {replaced} earlier blastwall handler(s)\n"
            ));
        }
        if let Some(b) = backup {
            out.push_str(&format!("  backup:  {}\n", b.display()));
        }
    }

    // The shared, committed settings.json must not carry this machine's path.
    if !a.user {
        if let Ok(shared) = settings_file(false, a.project.as_deref(), true) {
            let mut doc = inst::read(&shared)
                .map(|s| s.doc)
                .unwrap_or(inst::Doc::Null);
            if inst::unregister(&mut doc, &shared).unwrap_or(0) > 0 {
                out.push_str(&format!(
                    "warning: {} (shared, usually committed) also registers blastwall with a per-machine path; \
                     `blastwall uninstall --shared` removes it\n",
                    shared.display()
                ));
            }
        }
    }
    let _ = output::emit_text(&out);
    Exit::Ok
}

/// `blastwall uninstall`: remove blastwall's own handlers, nothing else.
fn uninstall(a: &UninstallArgs) -> Exit {
    use crate::install as inst;
    let fail = |e: &str| {
        stderr(&format!("blastwall uninstall: {e}\n"));
        Exit::CheckFailed
    };
    let file = match settings_file(a.user, a.project.as_deref(), a.shared) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let shown = file.display().to_string();
    let settings = match inst::read(&file) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let mut doc = settings.doc.clone();
    let removed = match inst::unregister(&mut doc, &file) {
        Ok(n) => n,
        Err(e) => return fail(&e.to_string()),
    };
    if removed == 0 {
        let _ = output::emit_text(&format!(
            "{shown}: no blastwall handler; nothing to change\n"
        ));
        return Exit::Ok;
    }
    let text = inst::render(&settings.text, &doc);
    if a.dry_run {
        let d = inst::diff(&settings.text, &text, &shown);
        let _ = output::emit_text(&format!("would write {shown}:\n{d}"));
        return Exit::Ok;
    }
    match inst::write_atomically(&file, &text) {
        Ok(backup) => {
            let mut out = format!("removed {removed} blastwall handler(s) from {shown}\n");
            if let Some(b) = backup {
                out.push_str(&format!("  backup:  {}\n", b.display()));
            }
            let _ = output::emit_text(&out);
            Exit::Ok
        }
        Err(e) => fail(&e.to_string()),
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
