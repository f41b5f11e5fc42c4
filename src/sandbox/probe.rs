//! Which sandbox backend works on this machine, and why the others do not.
//!
//! bubblewrap is looked for in fixed system directories only (never through `PATH`, which the
//! agent's project could put first). [`probe`] starts a real, empty sandbox with the options
//! every call uses, so a kernel or an AppArmor setting that refuses user namespaces is found
//! here and not on every call. The hook does not pay for that start on each call: it reads the
//! last result from the state directory ([`cached`]), valid while the bwrap binary and the boot
//! are the same.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::BackendKind;

/// Where bubblewrap may be installed.
pub const BWRAP_PATHS: &[&str] = &["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/// The outcome of probing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The backend that works, or `None`.
    pub backend: BackendKind,
    /// The bubblewrap binary, when one was found.
    pub bwrap: Option<PathBuf>,
    /// One line per backend that does not work, saying why.
    pub why_not: Vec<String>,
    /// What the bwrap binary and the boot were when this was probed (the cache key).
    key: String,
}

impl Probe {
    /// A human explanation, for `doctor`.
    pub fn explain(&self) -> String {
        let mut out = match (self.backend, &self.bwrap) {
            (BackendKind::Bwrap, Some(b)) => format!(
                "sandbox: bubblewrap ({}) works: Bash calls run with the profile's filesystem view, no credentials in the environment, the profile's network, and no new user namespaces.\n",
                b.display()
            ),
            _ => "sandbox: no backend works here; with sandbox.mode = \"required\" Bash calls are denied, with \"auto\" they run unsandboxed (and the user is warned once per session).\n".to_string(),
        };
        for w in &self.why_not {
            out.push_str(&format!("  - {w}\n"));
        }
        if self.backend != BackendKind::Bwrap {
            out.push_str(&format!("  how to fix: {}\n", how_to_fix()));
        }
        out
    }
}

/// The advice a denial under `mode = "required"` carries.
pub fn how_to_fix() -> &'static str {
    "install bubblewrap (`apt-get install bubblewrap`, `dnf install bubblewrap`) and allow unprivileged user namespaces (Ubuntu 24.04+: `sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for bwrap; in Docker: `--security-opt seccomp=unconfined` or run blastwall outside the container); `blastwall doctor` re-checks. Or set `[sandbox] mode = \"auto\"` in your own policy to run unsandboxed with a warning"
}

fn find_bwrap() -> Option<PathBuf> {
    BWRAP_PATHS.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn key(bwrap: Option<&Path>) -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let stamp = bwrap
        .and_then(|b| std::fs::metadata(b).ok())
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}|{}|{}|{}",
        boot.trim(),
        bwrap.map(|b| b.display().to_string()).unwrap_or_default(),
        stamp,
        env!("CARGO_PKG_VERSION")
    )
}

/// Probe now: start an empty sandbox with the options every call uses.
pub fn probe() -> Probe {
    let bwrap = find_bwrap();
    let mut why_not = Vec::new();
    let key = key(bwrap.as_deref());
    let backend = match &bwrap {
        None => {
            why_not.push(format!(
                "bubblewrap: not installed (looked in {})",
                BWRAP_PATHS.join(", ")
            ));
            BackendKind::None
        }
        Some(b) => {
            let out = Command::new(b)
                .args([
                    "--die-with-parent",
                    "--new-session",
                    "--unshare-user",
                    "--disable-userns",
                    "--cap-drop",
                    "ALL",
                    "--unshare-pid",
                    "--unshare-ipc",
                    "--unshare-uts",
                    "--unshare-net",
                    "--ro-bind",
                    "/",
                    "/",
                    "--dev",
                    "/dev",
                    "--proc",
                    "/proc",
                    "--tmpfs",
                    "/tmp",
                    "--",
                    "/bin/sh",
                    "-c",
                    "exit 0",
                ])
                .env_clear()
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            match out {
                Ok(o) if o.status.success() => BackendKind::Bwrap,
                Ok(o) => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    why_not.push(format!(
                        "bubblewrap ({}) cannot start a sandbox here: {}",
                        b.display(),
                        crate::engine::truncate(err.trim(), 300)
                    ));
                    BackendKind::None
                }
                Err(e) => {
                    why_not.push(format!("bubblewrap ({}) does not run: {e}", b.display()));
                    BackendKind::None
                }
            }
        }
    };
    why_not.push("landlock: not implemented yet (it would be a degraded backend: write scope and credential stores only, no read-only holes inside writable roots)".to_string());
    why_not.push("seccomp filters: not applied (nested user namespaces are refused by bwrap's --disable-userns; ptrace/keyctl/io_uring stay available)".to_string());
    Probe {
        backend,
        bwrap,
        why_not,
        key,
    }
}

/// The last probe's result when it still holds (same boot, same bwrap binary), else a fresh
/// probe, stored for next time. `state` is blastwall's state directory.
pub fn cached(state: Option<&Path>) -> Probe {
    let file = state.map(|s| s.join("sandbox-probe.json"));
    let current = key(find_bwrap().as_deref());
    if let Some(f) = &file {
        if let Some(p) = std::fs::read(f)
            .ok()
            .and_then(|b| serde_json::from_slice::<Probe>(&b).ok())
            .filter(|p| p.key == current)
        {
            return p;
        }
    }
    let p = probe();
    if let Some(f) = &file {
        if let (Some(dir), Ok(body)) = (f.parent(), serde_json::to_vec(&p)) {
            let _ = std::fs::create_dir_all(dir);
            let tmp = f.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, body).is_ok() {
                let _ = std::fs::rename(&tmp, f);
            }
        }
    }
    p
}
