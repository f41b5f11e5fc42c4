//! The hand tools around the hook: `lint`, `log`, `taint`, `policy show`, `doctor`.
//!
//! What belongs here: one module per subcommand, each with its `clap` arguments and a `run`
//! returning an [`Exit`]. The dispatcher and the hook fast path are in `crate::run`; reusable
//! logic (the audit schema, settings files, log filtering) lives in its own library module.
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
