//! The degraded backend: Landlock alone, for machines where bubblewrap cannot run (no
//! unprivileged user namespaces: Ubuntu's AppArmor restriction, Docker's default seccomp).
//!
//! What it holds: writes only inside the plan's writable roots (the project, the caches, a
//! private temporary directory), the credential stores and blastwall's state unreadable, no
//! capabilities and no new privileges (so no ptrace of, or `/proc/PID/environ` read from,
//! processes outside, even for a root caller), no signals to or abstract unix sockets of processes outside (ABI 6), and
//! for `network = "none"` no TCP bind or connect (ABI 4; refused below that); an allowlist
//! is held the same way (no TCP at all), since without a network namespace the proxy cannot
//! be made the only way out.
//!
//! What it cannot hold, and [`Rules::unenforced`] lists for the call: Landlock rules are
//! unions, a grant on a directory covers everything beneath it, so read-only paths *inside* a
//! writable root (`.claude/`, `.git/hooks`, `.git/config`) and secret files inside the project
//! stay writable/readable (the hook's own checks are then the only guard there; missing
//! protected names are still tripwires the runner removes); there is no private `/tmp` (only
//! `TMPDIR` is private), no network namespace (UDP and pathname unix sockets still reach out),
//! no PID namespace. The names inside the directories that hold a hidden path can be listed.
//!
//! How it runs: the runner writes [`Rules`] to the run directory and starts
//! `blastwall sandbox --landlock-exec RULES -- bash -c …`; that process restricts itself
//! ([`exec_main`]) and `exec`s the command, so the restriction covers the command and
//! everything it starts, never the runner (which cleans up afterwards).
//!
//! Reads are everything except the hidden paths: starting from `/`, every directory on the
//! way to a hidden path is split into its entries (the one leading to the hidden path is
//! split again, the others granted whole); a symlink is granted as its target unless that
//! target holds a hidden path.
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use serde::{Deserialize, Serialize};

use super::plan::{Mount, Plan};
use super::{Backend, BackendKind, SandboxError};
use crate::paths::is_within;

/// The newest Landlock ABI this backend was tested against (kernel 6.18, ABI 7): rights a
/// newer kernel adds are not asked for until they are tested here.
pub const TESTED_ABI: ABI = ABI::V7;

/// Device files every command writes to (`> /dev/null`, a terminal).
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/random",
    "/dev/urandom",
    "/dev/ptmx",
    "/dev/pts",
];

/// How deep the split towards a hidden path goes (a hidden path deeper than this is dropped
/// from the reads with its whole ancestor at that depth, never granted).
const MAX_SPLIT_DEPTH: usize = 16;

/// The Landlock ABI the running kernel offers, as far as it changes what this backend can
/// hold (0 = no Landlock; 1-3 filesystem; 4 TCP; 5 device ioctls; 6 scopes), found by asking
/// the kernel for rulesets that require each level (no process is restricted).
pub fn kernel_abi() -> u8 {
    let needs = |abi: ABI, net: bool, scope: bool| -> bool {
        let rs = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessFs::from_all(abi));
        let rs = if net {
            rs.and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        } else {
            rs
        };
        let rs = if scope {
            rs.and_then(|r| r.scope(Scope::from_all(abi)))
        } else {
            rs
        };
        rs.and_then(|r| r.create()).is_ok()
    };
    let levels = [
        (6, ABI::V6, true, true),
        (5, ABI::V5, true, false),
        (4, ABI::V4, true, false),
        (3, ABI::V3, false, false),
        (2, ABI::V2, false, false),
        (1, ABI::V1, false, false),
    ];
    levels
        .iter()
        .find(|(_, abi, net, scope)| needs(*abi, *net, *scope))
        .map(|(n, ..)| *n)
        .unwrap_or(0)
}

/// One call's Landlock rules, as the runner computed them from the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Readable and executable, with everything beneath.
    pub read: Vec<PathBuf>,
    /// Only listable (the directories on the way to a hidden path; the listing covers their
    /// subdirectories too, so a hidden directory's names show, its files do not open).
    pub list: Vec<PathBuf>,
    /// Every right, with everything beneath.
    pub write: Vec<PathBuf>,
    /// `network = "none"` (or an allowlist): TCP bind and connect refused.
    pub no_tcp: bool,
    /// What the plan asks for that Landlock cannot hold, one line each.
    pub unenforced: Vec<String>,
}

impl Rules {
    /// The rules for a plan made with the host's `/tmp` (`Plan::new_for(…, Landlock)`).
    pub fn of(plan: &Plan) -> Rules {
        let mut write: Vec<PathBuf> = Vec::new();
        let mut hidden: Vec<PathBuf> = Vec::new();
        let mut unenforced = Vec::new();
        for m in &plan.mounts {
            if let Mount::Bind(p) = m {
                write.push(p.clone());
            }
        }
        let in_write = |p: &Path| write.iter().any(|w| is_within(p, w));
        for m in &plan.mounts {
            match m {
                Mount::RoBind(p) if in_write(p) => {
                    unenforced.push(format!("read-only inside a writable root: {}", p.display()))
                }
                Mount::EmptyDir(p) | Mount::EmptyFile(p) if in_write(p) => {
                    unenforced.push(format!("hidden inside a writable root: {}", p.display()))
                }
                Mount::EmptyDir(p) | Mount::EmptyFile(p) => hidden.push(p.clone()),
                _ => {}
            }
        }
        let mut read = Vec::new();
        let mut list = Vec::new();
        split(Path::new("/"), &hidden, &mut read, &mut list, 0);
        if let Some(run) = &plan.run_dir {
            // Under the hidden state directory: granted by itself, read-only, but for the
            // files the inner shell reports in.
            read.push(run.clone());
            write.extend(super::runner::REPORT_FILES.iter().map(|f| run.join(f)));
        }
        write.extend(DEVICES.iter().map(PathBuf::from).filter(|p| p.exists()));
        Rules {
            read,
            list,
            write,
            no_tcp: plan.unshare_net,
            unenforced,
        }
    }

    /// Restrict the calling process (and whatever it starts) to these rules.
    pub fn restrict(&self) -> Result<(), SandboxError> {
        let abi = TESTED_ABI;
        let fail = |e: landlock::RulesetError| SandboxError::Start(format!("landlock: {e}"));
        let mut rs = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .map_err(fail)?;
        if self.no_tcp {
            if kernel_abi() < 4 {
                return Err(SandboxError::NoBackend(
                    "network = \"none\" needs Landlock ABI 4 (TCP rules) when bubblewrap cannot run, and this kernel has less".into(),
                ));
            }
            rs = rs.handle_access(AccessNet::from_all(abi)).map_err(fail)?;
        }
        let rs = rs.scope(Scope::from_all(abi)).map_err(fail)?;
        let created = rs
            .create()
            .map_err(fail)?
            .add_rules(path_beneath_rules(&self.read, AccessFs::from_read(abi)))
            .map_err(fail)?
            .add_rules(path_beneath_rules(&self.list, AccessFs::ReadDir))
            .map_err(fail)?
            .add_rules(path_beneath_rules(&self.write, AccessFs::from_all(abi)))
            .map_err(fail)?;
        let status = created.restrict_self().map_err(fail)?;
        if status.ruleset == RulesetStatus::NotEnforced {
            return Err(SandboxError::NoBackend(
                "Landlock is not enforced by this kernel".into(),
            ));
        }
        Ok(())
    }
}

/// Split `dir` until no hidden path is granted: a directory with no hidden path beneath is
/// readable whole; a hidden one is not granted; one that holds a hidden path is listable and
/// its entries are split in turn.
fn split(
    dir: &Path,
    hidden: &[PathBuf],
    read: &mut Vec<PathBuf>,
    list: &mut Vec<PathBuf>,
    depth: usize,
) {
    if hidden.iter().any(|h| h == dir) {
        return;
    }
    if !hidden.iter().any(|h| is_within(h, dir)) {
        read.push(dir.to_path_buf());
        return;
    }
    if depth >= MAX_SPLIT_DEPTH || !dir.is_dir() {
        return;
    }
    list.push(dir.to_path_buf());
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        let symlink = e.file_type().is_ok_and(|t| t.is_symlink());
        if symlink {
            // A symlink is granted as its target; one that reaches a hidden path is not.
            if let Ok(t) = std::fs::canonicalize(&p) {
                if !hidden.iter().any(|h| is_within(h, &t) || is_within(&t, h)) {
                    read.push(t);
                }
            }
            continue;
        }
        split(&p, hidden, read, list, depth + 1);
    }
}

/// The Landlock backend: re-runs blastwall to restrict itself, then the command.
#[derive(Debug, Clone)]
pub struct Landlock {
    /// This blastwall binary (`/proc/self/exe`).
    pub exe: PathBuf,
}

/// The file in the run directory the rules are written to.
pub const RULES_FILE: &str = "landlock.json";

impl Backend for Landlock {
    fn kind(&self) -> BackendKind {
        BackendKind::Landlock
    }

    fn run_dir_inside(&self, host: &Path) -> PathBuf {
        host.to_path_buf()
    }

    fn command(&self, plan: &Plan, inner: &[String]) -> Result<Command, SandboxError> {
        let run = plan
            .run_dir
            .as_ref()
            .ok_or_else(|| SandboxError::Start("no run directory".into()))?;
        let rules = Rules::of(plan);
        let body = serde_json::to_vec(&rules)
            .map_err(|e| SandboxError::Start(format!("landlock rules: {e}")))?;
        let file = run.join(RULES_FILE);
        std::fs::write(&file, body)
            .map_err(|e| SandboxError::io(format!("writing {}", file.display()), e))?;
        let mut c = Command::new(&self.exe);
        c.arg("sandbox")
            .arg("--landlock-exec")
            .arg(&file)
            .arg("--")
            .args(inner)
            .current_dir(&plan.chdir);
        Ok(c)
    }
}

/// Drop every capability, for good: the bounding set (so a root caller's `exec` does not
/// give them back; needs CAP_SETPCAP, which only a caller with capabilities has), then the
/// ambient, inheritable, effective and permitted sets.
fn drop_capabilities() -> Result<(), SandboxError> {
    use caps::{CapSet, Capability};
    let fail =
        |e: caps::errors::CapsError| SandboxError::Start(format!("dropping capabilities: {e}"));
    if caps::has_cap(None, CapSet::Effective, Capability::CAP_SETPCAP).map_err(fail)? {
        caps::clear(None, CapSet::Bounding).map_err(fail)?;
    }
    for set in [
        CapSet::Ambient,
        CapSet::Inheritable,
        CapSet::Effective,
        CapSet::Permitted,
    ] {
        caps::clear(None, set).map_err(fail)?;
    }
    Ok(())
}

/// The regular files this process's stdout and stderr write to (the client's output file of a
/// background call): writable by path too, so `> /dev/stdout` keeps working.
fn output_files() -> Vec<PathBuf> {
    [1, 2]
        .iter()
        .filter_map(|fd| std::fs::read_link(format!("/proc/self/fd/{fd}")).ok())
        .filter(|p| p.is_absolute() && p.is_file())
        .collect()
}

/// `blastwall sandbox --landlock-exec RULES -- PROGRAM ARGS…`: restrict this process to the
/// rules, then become the program. Returns only on failure (the exit code to use).
pub fn exec_main(rules_file: &Path, inner: &[String]) -> Result<i32, SandboxError> {
    use std::os::unix::process::CommandExt;
    let body = std::fs::read(rules_file)
        .map_err(|e| SandboxError::io(format!("reading {}", rules_file.display()), e))?;
    let rules: Rules = serde_json::from_slice(&body)
        .map_err(|e| SandboxError::Start(format!("landlock rules: {e}")))?;
    let (program, args) = inner
        .split_first()
        .ok_or_else(|| SandboxError::Start("no command".into()))?;
    let mut rules = rules;
    rules.write.extend(output_files());
    drop_capabilities()?;
    rules.restrict()?;
    let e = Command::new(program).args(args).exec();
    Err(SandboxError::Start(format!("{program}: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn reads_split_around_hidden_paths_and_never_grant_them() {
        let t = tempfile::tempdir_in("/var/tmp").unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        let home = root.join("home");
        for d in [
            "home/.ssh",
            "home/.cargo/registry",
            "home/docs",
            "home/.aws",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(home.join(".bashrc"), "").unwrap();
        std::os::unix::fs::symlink(home.join(".ssh"), home.join("keys")).unwrap();
        std::os::unix::fs::symlink(home.join("docs"), home.join("d")).unwrap();
        let hidden = vec![home.join(".ssh"), home.join(".aws")];
        let (mut read, mut list) = (Vec::new(), Vec::new());
        split(&root, &hidden, &mut read, &mut list, 0);
        for h in &hidden {
            assert!(
                !read.iter().any(|r| is_within(h, r)),
                "{h:?} readable via {read:?}"
            );
        }
        assert!(read.contains(&home.join(".bashrc")) && read.contains(&home.join("docs")));
        assert!(read.contains(&home.join(".cargo")));
        assert_eq!(list, vec![root.clone(), home.clone()]);
        // The symlink to a hidden directory is not granted; the other is, as its target.
        assert!(!read.contains(&home.join("keys")));
        assert_eq!(read.iter().filter(|r| **r == home.join("docs")).count(), 2);
    }

    #[test]
    fn what_landlock_cannot_hold_is_reported() {
        let plan = Plan {
            mounts: vec![
                Mount::Bind("/w".into()),
                Mount::RoBind("/w/.claude".into()),
                Mount::RoBind("/etc/x".into()),
                Mount::EmptyFile("/w/.env".into()),
                Mount::EmptyDir("/nonexistent-home/.ssh".into()),
            ],
            unshare_net: true,
            chdir: "/w".into(),
            tripwires: vec![],
            run_dir: None,
        };
        let r = Rules::of(&plan);
        assert_eq!(
            r.unenforced,
            vec![
                "read-only inside a writable root: /w/.claude".to_string(),
                "hidden inside a writable root: /w/.env".to_string()
            ]
        );
        assert!(r.no_tcp && r.write.contains(&PathBuf::from("/w")));
        assert!(r.list.contains(&PathBuf::from("/")));
        assert!(!r.read.contains(&PathBuf::from("/")));
    }
}
