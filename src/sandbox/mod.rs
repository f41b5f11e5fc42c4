//! The OS sandbox every approved Bash call runs in: containment, where reading the command
//! cannot hold the line.
//!
//! What belongs here:
//! - [`spec`]: [`SandboxSpec`], the policy's intent for one call (write roots, protected
//!   paths, hidden credential stores, secret-file globs, network, passed-through variables),
//!   built by the hook and stored in the ticket;
//! - [`plan`]: the spec turned into a concrete mount plan against the filesystem as it is when
//!   the call runs (missing paths dropped, protected paths inside write roots re-mounted
//!   read-only, project secret files masked), and the bubblewrap argv for it;
//! - [`env`]: the environment rebuilt from an allowlist, minus anything the secret detector
//!   flags;
//! - [`ticket`]: the single-use record of one approved call (0600 files in a 0700 directory
//!   under blastwall's state directory, hidden inside every sandbox);
//! - [`wrapper`]: the fixed-shape shell text the hook rewrites a Bash command to;
//! - [`runner`]: `blastwall sandbox --ticket ID`, which consumes the ticket and runs the
//!   command inside the backend;
//! - [`probe`]: which backend works on this machine, and why not;
//! - [`hook`]: the hook's one sandbox step (client rules, ticket, rewrite, decision).
//!
//! Backends sit behind [`Backend`]: bubblewrap on Linux ([`plan::Bwrap`]); Landlock
//! ([`landlock`], degraded: it cannot carve read-only holes inside a writable root, hide
//! secret files inside the project or cut the network off below TCP) where bubblewrap cannot
//! run; macOS Seatbelt is not written yet. [`probe`] says which one works and why the others
//! do not. The judgement is not made here: the hook decides, the sandbox is what a
//! call that gets through runs in.
pub mod env;
pub mod hook;
#[cfg(target_os = "linux")]
pub mod landlock;
pub mod plan;
pub mod probe;
pub mod runner;
pub mod spec;
pub mod ticket;
pub mod wrapper;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use probe::{probe, Probe};
pub use spec::{Mode, Network, SandboxSpec};

/// The sandbox implementations blastwall knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// bubblewrap: namespaces and bind mounts; the full profile.
    Bwrap,
    /// Landlock only (degraded): write scope, credential stores, TCP; no read-only holes
    /// inside write roots, no private `/tmp`, no network namespace.
    Landlock,
    /// Nothing: the call runs unsandboxed (mode `auto` without a backend, or mode `off`).
    None,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Bwrap => "bwrap",
            BackendKind::Landlock => "landlock",
            BackendKind::None => "none",
        }
    }

    /// What the audit log records for a call this backend runs: `bwrap, network none`,
    /// `landlock (degraded), network host`, `none`.
    pub fn audit_label(self, network: &Network) -> String {
        match self {
            BackendKind::Bwrap => format!("bwrap, network {}", network.as_str()),
            BackendKind::Landlock => format!("landlock (degraded), network {}", network.as_str()),
            BackendKind::None => "none".to_string(),
        }
    }
}

/// What can go wrong setting up or running a sandbox. Every one of them means the command did
/// not run.
#[derive(Debug, Error)]
pub enum SandboxError {
    #[error("no sandbox ticket `{0}` (it was already used, it expired and was removed, or it never existed); the command did not run. Retry the call.")]
    UnknownTicket(String),
    #[error(
        "sandbox ticket `{0}` expired before it was used; the command did not run. Retry the call."
    )]
    Expired(String),
    #[error("sandbox ticket id `{0}` is malformed")]
    BadTicketId(String),
    #[error("sandbox ticket `{id}` is unreadable: {why}")]
    BadTicket { id: String, why: String },
    #[error("blastwall's state directory is unknown (HOME and XDG_STATE_HOME are unset)")]
    NoStateDir,
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no sandbox backend works here: {0}")]
    NoBackend(String),
    #[error("network = \"allowlist\" needs the egress proxy, which is not available in this build; the command did not run")]
    NoEgress,
    #[error("the sandbox could not start ({0}); the command did not run")]
    Start(String),
}

impl SandboxError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> SandboxError {
        SandboxError::Io {
            what: what.into(),
            source,
        }
    }
}

/// A sandbox implementation: turns a plan into the process to start. A macOS Seatbelt
/// backend would be a third implementation (`sandbox-exec -p PROFILE`).
pub trait Backend {
    fn kind(&self) -> BackendKind;
    /// Where the run directory (`plan.run_dir`: prelude, command, functions) is seen from
    /// inside the sandbox.
    fn run_dir_inside(&self, host: &std::path::Path) -> std::path::PathBuf;
    /// The process that runs `inner` (already an argv) inside the plan; the runner sets its
    /// environment and starts it.
    fn command(
        &self,
        plan: &plan::Plan,
        inner: &[String],
    ) -> Result<std::process::Command, SandboxError>;
}

/// Starts what a network allowlist needs before the command runs (the egress proxy and its
/// bridge), and keeps it alive while `guard` lives. The egress module provides one; without
/// it, `network = "allowlist"` fails closed. `tainted`: the session is tainted now, so only
/// the ticket's `trusted_when_tainted` hosts stay reachable.
pub trait EgressBridge {
    fn start(
        &self,
        ticket: &ticket::Ticket,
        allow_hosts: &[String],
        tainted: bool,
    ) -> Result<Bridge, SandboxError>;

    /// The values of the ticket's `[[secrets.inject]]` variables, read now, outside the
    /// sandbox, after checking the rule again; and why any named one was not passed (names and
    /// sources, never values).
    fn inject_values(
        &self,
        state: &std::path::Path,
        ticket: &ticket::Ticket,
    ) -> (Vec<(String, crate::secrets::SecretValue)>, Vec<String>);
}

/// What the hook's sandbox step asks of the egress side: the ticket's egress fields for a
/// command under a profile (`crate::egress::sandbox::ticket_egress`), passed in by the caller
/// so that the sandbox does not depend on egress.
pub type TicketEgressFn =
    dyn Fn(&crate::policy::Policy, &crate::paths::PathEnv, &str, &str) -> ticket::TicketEgress;

/// What an [`EgressBridge`] hands the runner: paths to bind into the sandbox (a proxy socket),
/// variables to set (`HTTPS_PROXY` …), and a guard that stops the bridge when dropped.
pub struct Bridge {
    pub binds: Vec<std::path::PathBuf>,
    pub env: Vec<(String, String)>,
    /// An argv prefix the inner command runs under inside the sandbox (the egress bridge:
    /// `blastwall sandbox-bridge --hand-over … --`); empty for none.
    pub wrap: Vec<String>,
    pub guard: Box<dyn std::any::Any>,
}
