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
    /// The kernel's Landlock ABI (0: none), as far as it matters to the Landlock backend.
    #[serde(default)]
    pub landlock_abi: u8,
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
            (BackendKind::Landlock, _) => format!(
                "sandbox: DEGRADED: Landlock (ABI {}) only. {}. `sandbox.mode = \"required\"` accepts it.\n",
                abi_text(self.landlock_abi),
                landlock_limits(self.landlock_abi)
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

/// The ABI as [`landlock_abi`] can tell it (levels past 6 add nothing it can see).
fn abi_text(abi: u8) -> String {
    if abi >= 6 {
        format!("{abi} or newer")
    } else {
        abi.to_string()
    }
}

/// What the Landlock backend holds and what it does not, in one paragraph.
pub fn landlock_limits(abi: u8) -> String {
    format!(
        "Writes are limited to the profile's writable roots and a private TMPDIR, the credential stores and blastwall's state are unreadable, the environment is rebuilt, and the command has no capabilities and no new privileges{}. It CANNOT keep paths inside a writable root read-only or hidden (.claude/, .git/hooks, .git/config, the project's .env: blastwall's hook checks are the only guard there), has no private /tmp, no PID namespace, and no network namespace ({})",
        if abi >= 6 { "; signals and abstract unix sockets outside are refused" } else { "" },
        if abi >= 4 {
            "network = \"none\" refuses TCP only, UDP and unix sockets such as docker.sock still reach out; an allowlist is held the same way, as no TCP at all"
        } else {
            "this kernel's Landlock has no TCP rules: network = \"none\" and allowlists are refused under mode \"required\" and not enforced under \"auto\""
        }
    )
}

/// The advice a denial under `mode = "required"` carries.
pub fn how_to_fix() -> &'static str {
    "install bubblewrap (`apt-get install bubblewrap`, `dnf install bubblewrap`) and allow unprivileged user namespaces (Ubuntu 24.04+: `sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for bwrap; in Docker: `--security-opt seccomp=unconfined` or run blastwall outside the container); `blastwall doctor` re-checks"
}

#[cfg(target_os = "linux")]
fn landlock_abi() -> u8 {
    super::landlock::kernel_abi()
}

#[cfg(not(target_os = "linux"))]
fn landlock_abi() -> u8 {
    0
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
    let landlock_abi = landlock_abi();
    let backend = match (backend, landlock_abi) {
        (BackendKind::Bwrap, 0) => BackendKind::Bwrap,
        (BackendKind::Bwrap, abi) => {
            why_not.push(format!("landlock: ABI {} available, the fallback where bubblewrap cannot run (not used here)", abi_text(abi)));
            BackendKind::Bwrap
        }
        (_, 0) => {
            why_not.push("landlock: not available in this kernel (needs Linux 5.13+ with landlock in the lsm= list)".to_string());
            BackendKind::None
        }
        (_, abi) => {
            why_not.push(format!(
                "landlock: ABI {abi} available and used instead, DEGRADED (see above)"
            ));
            BackendKind::Landlock
        }
    };
    why_not.push("seccomp filters: not applied (nested user namespaces are refused by bwrap's --disable-userns; ptrace/keyctl/io_uring stay available)".to_string());
    let mut p = Probe {
        backend,
        bwrap,
        why_not,
        landlock_abi,
        key,
    };
    forced(&mut p);
    p
}

/// Tests only (`fault-injection` builds): `BLASTWALL_FAULT=sandbox-none` or
/// `sandbox-landlock` makes the probe report that backend, so the hook's branches for a
/// machine without bubblewrap can be tested on one with it.
#[cfg(feature = "fault-injection")]
fn forced(p: &mut Probe) {
    let kind = match std::env::var("BLASTWALL_FAULT").as_deref() {
        Ok("sandbox-none") => BackendKind::None,
        Ok("sandbox-landlock") if p.landlock_abi > 0 => BackendKind::Landlock,
        _ => return,
    };
    p.backend = kind;
    p.why_not.insert(
        0,
        format!("forced by BLASTWALL_FAULT to `{}`", kind.as_str()),
    );
    p.key.push_str("|forced");
}

#[cfg(not(feature = "fault-injection"))]
fn forced(_: &mut Probe) {}

/// The file in the state directory the last probe is kept in.
pub const CACHE_FILE: &str = "sandbox-probe.json";

/// The last probe's result when it still holds (same boot, same bwrap binary), else a fresh
/// probe, stored for next time. `state` is blastwall's state directory.
pub fn cached(state: Option<&Path>) -> Probe {
    let file = state.map(|s| s.join(CACHE_FILE));
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
