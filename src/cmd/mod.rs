//! The hand tools around the hook: `lint`, `log`, `taint`, `policy show`, `doctor`.
//!
//! What belongs here: one module per subcommand, each with its `clap` arguments and a `run`
//! returning an [`Exit`], and [`Tool`], the list of them `crate::run` dispatches to. The
//! parser, the hook fast path and the subcommands that share its machinery (`replay`,
//! `explain`, `scrub`, `install`) are in `crate::run`; reusable logic (the audit schema,
//! settings files, log filtering) lives in its own library module.
use std::path::PathBuf;

use crate::exit::Exit;
use crate::hook::Options;
use crate::paths::PathEnv;
use crate::policy::{Policy, PolicyError};

pub mod doctor;
pub mod lint;
pub mod log;
pub mod policy_show;
pub mod taint;

/// The subcommands of this module. `run::Command` flattens them after `uninstall`, so help
/// lists them in this order (`lint`, older, keeps its variant there, after `explain`). A new subcommand is its module above, a variant here (its doc
/// comment is its line in `blastwall --help`, `after_help` its examples) and an arm in
/// [`Tool::run`].
#[derive(Debug, clap::Subcommand)]
pub enum Tool {
    /// Check the set-up: registration, policy layers, audit log, sandbox, client, a test event
    #[command(after_help = concat!(
        "Each problem is printed with its fix; exit 1 when there is any.\n\n",
        "Examples:\n",
        "  blastwall doctor\n",
        "  blastwall doctor --project ~/src/app"
    ))]
    Doctor(doctor::DoctorArgs),
    /// Show the audit log: filter it, follow it, summarise what each agent did
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall log --since 1h --decision deny\n",
        "  blastwall log --session 3f1c --summary\n",
        "  blastwall log --agent Explore --follow\n",
        "  blastwall log --json --rule credential-stores | jq .subject"
    ))]
    Log(log::LogArgs),
    /// List or clear the sessions tainted by a likely prompt injection
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall taint list\n",
        "  blastwall taint clear 3f1c9a2e-7b4d-4e8a-9c61-2d5f0b8e4a17\n",
        "  blastwall taint clear --all"
    ))]
    Taint(taint::TaintArgs),
    /// Show the effective policy, or the embedded default with line numbers
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall policy show\n",
        "  blastwall policy show --default --line 98     # what `embedded:default.toml:98` says"
    ))]
    Policy(policy_show::PolicyCmdArgs),
}

impl Tool {
    /// Run the subcommand.
    pub fn run(&self) -> Exit {
        match self {
            Tool::Doctor(a) => doctor::run(a),
            Tool::Log(a) => log::run(a),
            Tool::Taint(a) => taint::run(a),
            Tool::Policy(a) => policy_show::run(a),
        }
    }
}

/// Write to stderr, redacted.
pub(crate) fn stderr(text: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), crate::redact::text(text).as_bytes());
}

/// Write to stdout, redacted.
pub(crate) fn stdout(text: &str) {
    let _ = crate::output::emit_text(text);
}

/// A failure of a hand tool: the message on stderr, exit 1.
pub(crate) fn fail(cmd: &str, e: &str) -> Exit {
    stderr(&format!("blastwall {cmd}: {e}\n"));
    Exit::CheckFailed
}

/// The environment of this process: the current directory as the project unless
/// `CLAUDE_PROJECT_DIR` or `project` says otherwise.
pub(crate) fn process_env(project: Option<&std::path::Path>) -> PathEnv {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut env = PathEnv::from_process(&cwd);
    if let Some(p) = project {
        env.project = crate::paths::normalize(p);
    }
    env
}

/// The policy in effect here, as the hook would load it (without the compiled cache).
pub(crate) fn policy_in_effect(env: &PathEnv, opts: &Options) -> Result<Policy, PolicyError> {
    crate::hook::load_policy(env, opts)
}

/// Which policy layers to read.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PolicyArgs {
    /// A policy file layered above every other (the command-line layer)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Read only the embedded default and --policy: the machine's own policy files do not count
    #[arg(long)]
    pub isolated: bool,
}

impl PolicyArgs {
    pub(crate) fn options(&self) -> crate::hook::Options {
        crate::hook::Options {
            policy_file: self.policy.clone(),
            isolated: self.isolated,
            ..crate::hook::Options::default()
        }
    }
}
