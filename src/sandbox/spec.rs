//! [`SandboxSpec`]: what one sandboxed call may see and touch, as the policy means it.
//!
//! The hook builds it from the profile ([`SandboxSettings`] plus the profile's write roots) and
//! stores it in the ticket; the runner turns it into a mount plan (`plan`) against the
//! filesystem as it is when the call runs. Everything here is an absolute path or a name, so
//! the spec means the same thing in both processes.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::PathEnv;
pub use crate::policy::sandbox_settings::{
    Mode, Network, ProfileSandbox, SandboxPolicy, SandboxSettings, DEFAULT_CACHES,
    DEFAULT_CREDENTIAL_STORES, DEFAULT_SECRET_EXCEPT, DEFAULT_SECRET_FILES,
};

/// Paths inside every writable root that stay read-only: they configure what runs later
/// (Claude Code's hooks and MCP servers, git's hooks and config). Not all of `.git`: commits
/// must work.
pub const PROTECTED_NAMES: &[&str] = &[".claude", ".mcp.json", ".git/hooks", ".git/config"];

/// Everything the runner needs to know about one call's sandbox. Absolute paths only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSpec {
    pub profile: String,
    pub project: PathBuf,
    pub cwd: PathBuf,
    pub home: Option<PathBuf>,
    /// Mounted writable (existing directories only).
    pub write_roots: Vec<PathBuf>,
    /// Also writable: package caches and the profile's extras (missing ones skipped).
    pub writable: Vec<PathBuf>,
    /// Re-mounted read-only wherever they are (blastwall's own files, the profile's extras).
    pub read_only: Vec<PathBuf>,
    /// Relative names re-mounted read-only inside each write root.
    pub protected_names: Vec<String>,
    /// Replaced by an empty directory (a directory) or an empty file (anything else). The last
    /// component may hold `*`.
    pub hidden: Vec<PathBuf>,
    /// File-name globs masked (replaced by an empty file) inside the project.
    pub secret_files: Vec<String>,
    pub secret_except: Vec<String>,
    /// Variables passed in whatever the allowlist and the secret detector say.
    pub pass_env: Vec<String>,
    pub network: Network,
}

/// Expand a policy path (`~`, `${PROJECT}` …); `None` when it cannot be (no HOME for `~`).
fn expand(env: &PathEnv, raw: &str) -> Option<PathBuf> {
    env.absolute(raw).ok().map(|p| crate::paths::normalize(&p))
}

impl SandboxSpec {
    /// The spec for one call: `write_roots` are the profile's (already absolute), the rest
    /// comes from the settings and the built-in lists.
    pub fn build(
        env: &PathEnv,
        profile: &str,
        write_roots: &[PathBuf],
        settings: &SandboxSettings,
        credential_stores: &[String],
    ) -> SandboxSpec {
        let expand_all = |list: &[String]| -> Vec<PathBuf> {
            list.iter().filter_map(|s| expand(env, s)).collect()
        };
        let mut read_only = expand_all(&settings.read_only);
        // blastwall's own files: its configuration and the binary itself.
        for p in ["~/.config/blastwall", "/etc/blastwall", "/etc/claude-code"] {
            read_only.extend(expand(env, p));
        }
        read_only.extend(env.exe.clone());
        if let Some(home) = &env.home {
            for p in [
                ".claude.json",
                ".claude/settings.json",
                ".claude/settings.local.json",
                ".claude/hooks",
                ".claude/agents",
                ".claude/commands",
                ".claude/skills",
                ".claude/plugins",
                ".bashrc",
                ".bash_profile",
                ".profile",
                ".zshrc",
                ".zprofile",
                ".zshenv",
            ] {
                read_only.push(home.join(p));
            }
        }
        let mut hidden = expand_all(credential_stores);
        hidden.extend(expand_all(&settings.hidden));
        // blastwall's state: tickets, the audit log, session marks.
        if let Some(state) = crate::post::state_dir(env.home.as_deref()) {
            hidden.push(state);
        }
        for var in ["XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "GPG_AGENT_INFO"] {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                let p = PathBuf::from(v);
                if p.is_absolute() {
                    hidden.push(crate::paths::normalize(&p));
                }
            }
        }
        SandboxSpec {
            profile: profile.to_string(),
            project: env.project.clone(),
            cwd: env.cwd.clone(),
            home: env.home.clone(),
            write_roots: write_roots.to_vec(),
            writable: expand_all(&settings.writable),
            read_only,
            protected_names: PROTECTED_NAMES.iter().map(|s| s.to_string()).collect(),
            hidden,
            secret_files: DEFAULT_SECRET_FILES.iter().map(|s| s.to_string()).collect(),
            secret_except: DEFAULT_SECRET_EXCEPT
                .iter()
                .map(|s| s.to_string())
                .collect(),
            pass_env: settings.pass_env.clone(),
            network: settings.network.clone(),
        }
    }

    /// Whether `path` is inside one of the writable roots.
    pub fn is_writable(&self, path: &Path) -> bool {
        self.write_roots
            .iter()
            .chain(&self.writable)
            .any(|r| crate::paths::is_within(path, r))
    }
}

/// The default credential-store list as policy strings.
pub fn default_credential_stores() -> Vec<String> {
    DEFAULT_CREDENTIAL_STORES
        .iter()
        .map(|s| s.to_string())
        .collect()
}
