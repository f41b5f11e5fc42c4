//! A [`SandboxSpec`] turned into mounts against the filesystem as it is now, and the
//! bubblewrap argv for them.
//!
//! Rules that keep one bad path from breaking every command (the most-reported bwrap failures
//! of other sandboxes): every path is made canonical first; a path that does not exist is
//! dropped (bwrap fails the whole call on `--tmpfs`/`--bind` of a missing path), except under
//! the private `/tmp`, which is a fresh tmpfs bwrap can create directories in; protected names
//! that do not exist yet inside a write root become *tripwires*: the runner removes whatever
//! the call created there (no placeholder is left on the host).
//!
//! Mount order matters (a later mount covers an earlier one): the read-only root, `/dev`,
//! `/proc`, the private `/tmp`, the writable roots and caches, then read-only re-mounts of
//! protected paths inside them, then hidden credential stores, then masked secret files.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{Backend, BackendKind, Network, SandboxSpec};
use crate::paths::is_within;

/// The private `/tmp` every call gets.
pub const PRIVATE_TMP: &str = "/tmp";
/// How deep and how wide the walk for project secret files goes (the rest is left to the
/// hook's own checks; a huge tree would cost every call).
const WALK_DEPTH: usize = 6;
const WALK_ENTRIES: usize = 20_000;
/// Directories the secret-file walk does not enter: build output and dependency trees.
const WALK_SKIP: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".cache",
];

/// One mount, in bwrap's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// Writable bind of a directory onto itself.
    Bind(PathBuf),
    /// Read-only bind onto itself.
    RoBind(PathBuf),
    /// An empty directory over a directory.
    EmptyDir(PathBuf),
    /// An empty read-only file (`/dev/null`) over anything else.
    EmptyFile(PathBuf),
}

/// The concrete sandbox for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub mounts: Vec<Mount>,
    pub unshare_net: bool,
    pub chdir: PathBuf,
    /// Protected paths that did not exist: whatever the call creates there is removed.
    pub tripwires: Vec<PathBuf>,
    /// The runner's private run directory (prelude, command, the start marker), shown
    /// read-only inside; set by the runner.
    pub run_dir: Option<PathBuf>,
}

fn canonical(p: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(p).ok()
}

fn under_private_tmp(p: &Path) -> bool {
    is_within(p, Path::new(PRIVATE_TMP))
}

/// Expand a last component holding `*` against its directory's listing.
fn expand_glob(p: &Path) -> Vec<PathBuf> {
    let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
        return vec![p.to_path_buf()];
    };
    if !name.contains('*') {
        return vec![p.to_path_buf()];
    }
    // Most such patterns name a directory this machine does not have (`~/Library/…` on
    // Linux): look before compiling the glob, which costs more than everything else here.
    let Some(dir) = p.parent().filter(|d| d.is_dir()) else {
        return Vec::new();
    };
    let Ok(glob) = Glob::new(name) else {
        return Vec::new();
    };
    let m = glob.compile_matcher();
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| m.is_match(e.file_name()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// File-name patterns: plain `*`/`?` ones (every built-in one) through the tiny wildcard
/// matcher, anything with classes or alternatives through globset, whose compilation costs
/// more than the rest of a call's planning.
enum Names {
    Simple(Vec<String>),
    Glob(GlobSet),
}

impl Names {
    fn new(patterns: &[String]) -> Names {
        if patterns.iter().all(|p| !p.contains(['[', '{', '\\'])) {
            Names::Simple(patterns.to_vec())
        } else {
            Names::Glob(globset(patterns))
        }
    }

    fn is_match(&self, name: &std::ffi::OsStr) -> bool {
        match self {
            Names::Simple(p) => crate::wildcard::any(p, &name.to_string_lossy()),
            Names::Glob(g) => g.is_match(name),
        }
    }
}

fn globset(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Files under `root` whose name is a secret file's, within the walk's bounds.
fn secret_files(root: &Path, secret: &Names, except: &Names) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            seen += 1;
            if seen > WALK_ENTRIES {
                return out;
            }
            let name = e.file_name();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if depth + 1 < WALK_DEPTH && !WALK_SKIP.iter().any(|s| name == *s) {
                    stack.push((e.path(), depth + 1));
                }
            } else if secret.is_match(name.as_os_str()) && !except.is_match(name.as_os_str()) {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Where a linked worktree's git directory is (`.git` is a file `gitdir: …`), and its common
/// directory: their hooks and config are protected too.
fn linked_git_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(root.join(".git")) else {
        return Vec::new();
    };
    let Some(gitdir) = text.trim().strip_prefix("gitdir:").map(str::trim) else {
        return Vec::new();
    };
    let gitdir = crate::paths::absolutize(Path::new(gitdir), root);
    let mut out = vec![gitdir.clone()];
    if let Ok(common) = std::fs::read_to_string(gitdir.join("commondir")) {
        out.push(crate::paths::normalize(&crate::paths::absolutize(
            Path::new(common.trim()),
            &gitdir,
        )));
    }
    out
}

impl Plan {
    /// Plan the mounts for `spec` against the filesystem now, for bubblewrap (a private `/tmp`).
    pub fn new(spec: &SandboxSpec) -> Plan {
        Plan::new_for(spec, BackendKind::Bwrap)
    }

    /// Plan for a backend: bubblewrap gives the call a private `/tmp`, so nothing under the
    /// host's is mounted; the others see the host's `/tmp`, and hide what it holds.
    pub fn new_for(spec: &SandboxSpec, kind: BackendKind) -> Plan {
        let private_tmp = kind == BackendKind::Bwrap;
        let mut mounts = Vec::new();
        let mut rw: Vec<PathBuf> = Vec::new();
        let mut tripwires = Vec::new();
        let mut seen = BTreeSet::new();

        for root in spec.write_roots.iter().chain(&spec.writable) {
            let Some(c) = canonical(root) else { continue };
            // The private tmp replaces /tmp itself; `/` stays read-only (write roots are
            // bound one by one, a `/` root is the one thing that cannot be).
            if c == Path::new(PRIVATE_TMP) || c == Path::new("/") || !c.is_dir() {
                continue;
            }
            if seen.insert(c.clone()) {
                rw.push(c);
            }
        }
        // A linked worktree commits through its git directory and the common one (index.lock,
        // objects, refs): writable too; their hooks and config are re-mounted read-only below.
        let mut git_dirs = Vec::new();
        for r in rw.clone() {
            for g in linked_git_dirs(&r) {
                if let Some(c) = canonical(&g).filter(|c| c.is_dir()) {
                    git_dirs.push(c.clone());
                    if seen.insert(c.clone()) {
                        rw.push(c);
                    }
                }
            }
        }
        // Parents before children.
        rw.sort_by_key(|p| p.components().count());
        for r in &rw {
            mounts.push(Mount::Bind(r.clone()));
        }
        // From here on `seen` dedupes the mounts that cover the writable ones.
        seen.clear();
        let visible =
            |p: &Path| !private_tmp || !under_private_tmp(p) || rw.iter().any(|r| is_within(p, r));
        let writable = |p: &Path| rw.iter().any(|r| is_within(p, r));

        // The working directory must exist inside: one under the private /tmp that no write
        // root covers is shown read-only.
        let chdir = canonical(&spec.cwd).unwrap_or_else(|| spec.cwd.clone());
        if !visible(&chdir) && chdir.is_dir() {
            mounts.push(Mount::RoBind(chdir.clone()));
        }

        // Protected names inside each write root, and in a linked worktree's git dirs.
        let mut ro: Vec<PathBuf> = Vec::new();
        for r in &rw {
            for name in &spec.protected_names {
                let p = r.join(name);
                match canonical(&p) {
                    Some(c) => ro.push(c),
                    // `.git/…` where `.git` is no directory (no repository, or a linked
                    // worktree's `gitdir:` file) is not a tripwire: `git init` must work.
                    None if name.starts_with(".git/") && !r.join(".git").is_dir() => {}
                    None => tripwires.push(p),
                }
            }
        }
        for g in &git_dirs {
            for name in ["hooks", "config", "config.worktree", "info"] {
                ro.extend(canonical(&g.join(name)));
            }
        }
        for p in &spec.read_only {
            for q in expand_glob(p) {
                ro.extend(canonical(&q));
            }
        }
        for p in ro {
            // A read-only re-mount matters only inside something writable.
            if writable(&p) && seen.insert(p.clone()) {
                mounts.push(Mount::RoBind(p));
            }
        }

        // Credential stores and sockets: an empty directory or file in their place.
        for p in &spec.hidden {
            for q in expand_glob(p) {
                let Some(c) = canonical(&q) else { continue };
                if !visible(&c) || !seen.insert(c.clone()) {
                    continue;
                }
                mounts.push(if c.is_dir() {
                    Mount::EmptyDir(c)
                } else {
                    Mount::EmptyFile(c)
                });
            }
        }

        // Secret files in the project (and the other write roots inside it).
        let secret = Names::new(&spec.secret_files);
        let except = Names::new(&spec.secret_except);
        if let Some(project) = canonical(&spec.project) {
            if project != Path::new("/") && spec.home.as_deref() != Some(project.as_path()) {
                for f in secret_files(&project, &secret, &except) {
                    if let Some(c) = canonical(&f) {
                        if visible(&c) && seen.insert(c.clone()) {
                            mounts.push(if c.is_dir() {
                                Mount::EmptyDir(c)
                            } else {
                                Mount::EmptyFile(c)
                            });
                        }
                    }
                }
            }
        }

        Plan {
            mounts,
            unshare_net: !matches!(spec.network, Network::Host),
            chdir,
            tripwires,
            run_dir: None,
        }
    }
}

/// The bubblewrap backend.
#[derive(Debug, Clone)]
pub struct Bwrap {
    pub program: PathBuf,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Backend for Bwrap {
    fn kind(&self) -> BackendKind {
        BackendKind::Bwrap
    }

    fn run_dir_inside(&self, _host: &Path) -> PathBuf {
        PathBuf::from(super::runner::INSIDE_RUN_DIR)
    }

    fn command(
        &self,
        plan: &Plan,
        inner: &[String],
    ) -> Result<std::process::Command, super::SandboxError> {
        let argv = self.argv(plan, inner);
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| super::SandboxError::Start("empty command".into()))?;
        let mut c = std::process::Command::new(program);
        c.args(args);
        Ok(c)
    }
}

impl Bwrap {
    /// The bubblewrap argv for a plan.
    pub fn argv(&self, plan: &Plan, inner: &[String]) -> Vec<String> {
        let mut a: Vec<String> = vec![s(&self.program)];
        let mut push = |xs: &[&str]| a.extend(xs.iter().map(|x| x.to_string()));
        push(&[
            "--die-with-parent",
            "--new-session",
            "--unshare-user",
            "--disable-userns",
            "--cap-drop",
            "ALL",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]);
        if plan.unshare_net {
            push(&["--unshare-net"]);
        }
        push(&["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
        push(&["--tmpfs", PRIVATE_TMP]);
        for m in &plan.mounts {
            match m {
                Mount::Bind(p) => a.extend(["--bind".into(), s(p), s(p)]),
                Mount::RoBind(p) => a.extend(["--ro-bind".into(), s(p), s(p)]),
                Mount::EmptyDir(p) => {
                    a.extend(["--tmpfs".into(), s(p), "--remount-ro".into(), s(p)])
                }
                Mount::EmptyFile(p) => a.extend(["--ro-bind".into(), "/dev/null".into(), s(p)]),
            }
        }
        if let Some(run) = &plan.run_dir {
            // Last, over the private /tmp: read-only, but for the files the inner shell
            // reports in (it started; its final directory).
            let inside = Path::new(super::runner::INSIDE_RUN_DIR);
            a.extend(["--ro-bind".into(), s(run), s(inside)]);
            for f in super::runner::REPORT_FILES {
                a.extend(["--bind".into(), s(&run.join(f)), s(&inside.join(f))]);
            }
        }
        a.extend(["--chdir".into(), s(&plan.chdir), "--".into()]);
        a.extend(inner.iter().cloned());
        a
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use crate::sandbox::spec::SandboxSettings;

    fn spec_for(root: &Path, home: &Path) -> SandboxSpec {
        let env = crate::paths::PathEnv {
            home: Some(home.to_path_buf()),
            project: root.to_path_buf(),
            tmpdir: PathBuf::from("/tmp"),
            cwd: root.to_path_buf(),
            exe: None,
        };
        SandboxSpec::build(
            &env,
            "main",
            &[root.to_path_buf(), PathBuf::from("/tmp")],
            &SandboxSettings::default(),
            &crate::sandbox::spec::default_credential_stores(),
        )
    }

    #[test]
    fn protected_paths_are_remounted_after_the_writable_root_and_missing_ones_are_tripwires() {
        // Not under /tmp: the call's /tmp is private, so nothing there is mounted over.
        let t = tempfile::tempdir_in("/var/tmp").unwrap();
        let root = t.path().join("proj");
        let home = t.path().join("home");
        std::fs::create_dir_all(root.join(".git/hooks")).unwrap();
        std::fs::write(root.join(".git/config"), "").unwrap();
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(root.join(".env"), "A=1").unwrap();
        std::fs::write(root.join(".env.example"), "A=").unwrap();
        let plan = Plan::new(&spec_for(&root, &home));
        let root = std::fs::canonicalize(&root).unwrap();
        let home = std::fs::canonicalize(&home).unwrap();
        let pos = |m: &Mount| plan.mounts.iter().position(|x| x == m);
        let bind = pos(&Mount::Bind(root.clone())).unwrap();
        assert!(pos(&Mount::RoBind(root.join(".git/hooks"))).unwrap() > bind);
        assert!(pos(&Mount::RoBind(root.join(".git/config"))).unwrap() > bind);
        assert!(pos(&Mount::EmptyFile(root.join(".env"))).is_some());
        assert!(pos(&Mount::EmptyFile(root.join(".env.example"))).is_none());
        assert!(pos(&Mount::EmptyDir(home.join(".ssh"))).is_some());
        // `.claude` and `.mcp.json` are missing: tripwires, no host placeholder.
        assert!(plan.tripwires.contains(&root.join(".claude")));
        assert!(plan.tripwires.contains(&root.join(".mcp.json")));
        // /tmp is never bound: the call gets a private one.
        assert!(pos(&Mount::Bind(PathBuf::from("/tmp"))).is_none());
        assert!(!plan.unshare_net);
    }

    /// The wildcard matcher the built-in secret-file names go through agrees with globset.
    #[test]
    fn simple_name_patterns_match_as_globset_does() {
        let secret: Vec<String> = crate::sandbox::spec::DEFAULT_SECRET_FILES
            .iter()
            .chain(crate::sandbox::spec::DEFAULT_SECRET_EXCEPT)
            .map(|s| s.to_string())
            .collect();
        let simple = Names::new(&secret);
        assert!(matches!(simple, Names::Simple(_)));
        let glob = Names::Glob(globset(&secret));
        for name in [
            ".env",
            ".env.local",
            ".env.example",
            "env",
            "a.pem",
            "pem",
            "x.key",
            "key.txt",
            "id_rsa",
            "id_rsa.pub",
            "my_id_rsa",
            ".netrc",
            "netrc",
            "a.p12",
            "store.jks",
            "README.md",
            ".envrc",
            "cert.pem.bak",
        ] {
            let n = std::ffi::OsStr::new(name);
            assert_eq!(simple.is_match(n), glob.is_match(n), "{name}");
        }
        assert!(matches!(Names::new(&["*.{a,b}".into()]), Names::Glob(_)));
    }

    #[test]
    fn missing_paths_are_dropped_not_mounted() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("proj");
        std::fs::create_dir_all(&root).unwrap();
        let mut spec = spec_for(&root, &t.path().join("nohome"));
        spec.writable.push(t.path().join("missing-cache"));
        let plan = Plan::new(&spec);
        for m in &plan.mounts {
            let p = match m {
                Mount::Bind(p) | Mount::RoBind(p) | Mount::EmptyDir(p) | Mount::EmptyFile(p) => p,
            };
            assert!(p.exists() || under_private_tmp(p), "{p:?} does not exist");
        }
    }

    #[test]
    fn bwrap_argv_shape() {
        let plan = Plan {
            mounts: vec![
                Mount::Bind("/w".into()),
                Mount::RoBind("/w/.claude".into()),
                Mount::EmptyDir("/h/.ssh".into()),
                Mount::EmptyFile("/w/.env".into()),
            ],
            unshare_net: true,
            chdir: "/w/sub".into(),
            tripwires: vec![],
            run_dir: Some("/s/run/1".into()),
        };
        let b = Bwrap {
            program: "/usr/bin/bwrap".into(),
        };
        let argv = b.argv(&plan, &["bash".into(), "-c".into(), "x".into()]);
        let text = argv.join(" ");
        assert!(text.starts_with("/usr/bin/bwrap --die-with-parent --new-session --unshare-user --disable-userns --cap-drop ALL"));
        assert!(text.contains("--unshare-net --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --bind /w /w --ro-bind /w/.claude /w/.claude --tmpfs /h/.ssh --remount-ro /h/.ssh --ro-bind /dev/null /w/.env --ro-bind /s/run/1 /tmp/.blastwall --bind /s/run/1/started /tmp/.blastwall/started --bind /s/run/1/cwd /tmp/.blastwall/cwd --chdir /w/sub -- bash -c x"), "{text}");
    }
}
