//! Path handling shared by every layer that judges a path: variable expansion for policy
//! patterns and tool inputs, lexical normalisation, and symlink resolution.
//!
//! A path is judged in two spellings: the lexical one (`~` and `$HOME` expanded, made absolute
//! against the event's `cwd`, `.`/`..`/`//` folded) and the resolved one (symlinks followed
//! for the part of the path that exists), so a link inside the project that points at
//! `~/.ssh` is judged as `~/.ssh`.
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// The directories that `~`, `$HOME`, `${PROJECT}`, `${TMPDIR}` and `${BLASTWALL}` stand for
/// (`${BLASTWALL_CONFIG}` and `${BLASTWALL_STATE}` are blastwall's own, from [`crate::dirs`]).
#[derive(Debug, Clone)]
pub struct PathEnv {
    pub home: Option<PathBuf>,
    pub project: PathBuf,
    pub tmpdir: PathBuf,
    pub cwd: PathBuf,
    /// The running blastwall binary, protected from writes.
    pub exe: Option<PathBuf>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExpandError {
    #[error("`{0}` needs HOME, which is not set")]
    NoHome(String),
    #[error("unknown variable `{var}` in `{text}` (known: ~, $HOME, ${{PROJECT}}, ${{TMPDIR}}, ${{BLASTWALL}}, ${{BLASTWALL_CONFIG}}, ${{BLASTWALL_STATE}})")]
    UnknownVariable { var: String, text: String },
    #[error("`{0}`: `~user` paths are not supported")]
    OtherUser(String),
}

impl PathEnv {
    /// Build from the process environment and the event's `cwd`.
    /// `CLAUDE_PROJECT_DIR` names the project; without it the event's `cwd` does.
    pub fn from_process(cwd: &Path) -> PathEnv {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let cwd = normalize(cwd);
        PathEnv {
            home: var("HOME").map(|h| normalize(&h)),
            project: var("CLAUDE_PROJECT_DIR")
                .map(|p| normalize(&p))
                .unwrap_or_else(|| cwd.clone()),
            tmpdir: var("TMPDIR")
                .map(|p| normalize(&p))
                .unwrap_or_else(|| PathBuf::from("/tmp")),
            cwd,
            exe: std::env::current_exe().ok(),
        }
    }

    /// blastwall's directories for this `HOME` and the process's `XDG_*`.
    pub fn dirs(&self) -> crate::dirs::Dirs {
        crate::dirs::Dirs::from_env(self.home.as_deref())
    }

    fn lookup(&self, var: &str, text: &str) -> Result<String, ExpandError> {
        let path = match var {
            "HOME" => self
                .home
                .clone()
                .ok_or_else(|| ExpandError::NoHome(text.to_string()))?,
            "PROJECT" | "CLAUDE_PROJECT_DIR" => self.project.clone(),
            "TMPDIR" => self.tmpdir.clone(),
            "BLASTWALL" => self
                .exe
                .clone()
                .unwrap_or_else(|| PathBuf::from("/nonexistent/blastwall")),
            "PWD" | "CWD" => self.cwd.clone(),
            // blastwall's own directories, wherever `XDG_*` puts them.
            "BLASTWALL_CONFIG" => self
                .dirs()
                .config
                .ok_or_else(|| ExpandError::NoHome(text.to_string()))?,
            "BLASTWALL_STATE" => self
                .dirs()
                .state
                .ok_or_else(|| ExpandError::NoHome(text.to_string()))?,
            _ => {
                return Err(ExpandError::UnknownVariable {
                    var: var.to_string(),
                    text: text.to_string(),
                })
            }
        };
        Ok(path.to_string_lossy().into_owned())
    }

    /// Expand `~`, `~/…`, `$HOME`, `${HOME}`, `${PROJECT}`, `${TMPDIR}`, `${BLASTWALL}` in a
    /// policy pattern or a tool's path argument. Other `$` text is left alone only when it is
    /// not a variable reference (a literal `$` followed by a non-identifier).
    pub fn expand(&self, text: &str) -> Result<String, ExpandError> {
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        if let Some(after) = rest.strip_prefix('~') {
            if after.is_empty() || after.starts_with('/') {
                out.push_str(&self.lookup("HOME", text)?);
                rest = after;
            } else {
                return Err(ExpandError::OtherUser(text.to_string()));
            }
        }
        while let Some(pos) = rest.find('$') {
            out.push_str(rest.get(..pos).unwrap_or(""));
            let after = rest.get(pos + 1..).unwrap_or("");
            if let Some(braced) = after.strip_prefix('{') {
                let Some(end) = braced.find('}') else {
                    return Err(ExpandError::UnknownVariable {
                        var: braced.to_string(),
                        text: text.to_string(),
                    });
                };
                let name = braced.get(..end).unwrap_or("");
                out.push_str(&self.lookup(name, text)?);
                rest = braced.get(end + 1..).unwrap_or("");
            } else {
                let len = after
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map(|(i, _)| i)
                    .unwrap_or(after.len());
                if len == 0 {
                    out.push('$');
                    rest = after;
                } else {
                    let name = after.get(..len).unwrap_or("");
                    out.push_str(&self.lookup(name, text)?);
                    rest = after.get(len..).unwrap_or("");
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A file tool's path argument as an absolute, lexically normalised path. Claude Code
    /// expands a leading `~` in these but nothing else: `$PROJECT/x` is a file literally named
    /// so, and must be judged as such (expanding it would judge a path that is never opened).
    pub fn absolute(&self, raw: &str) -> Result<PathBuf, ExpandError> {
        let expanded = match raw.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                let home = self
                    .home
                    .as_ref()
                    .ok_or_else(|| ExpandError::NoHome(raw.to_string()))?;
                format!("{}{rest}", home.display())
            }
            _ => raw.to_string(),
        };
        Ok(absolutize(Path::new(&expanded), &self.cwd))
    }

    /// Shorten a path for messages: `$HOME/x` → `~/x`.
    pub fn display(&self, path: &Path) -> String {
        if let Some(home) = &self.home {
            if let Ok(rest) = path.strip_prefix(home) {
                return if rest.as_os_str().is_empty() {
                    "~".to_string()
                } else {
                    format!("~/{}", rest.display())
                };
            }
        }
        path.display().to_string()
    }
}

/// Join a relative path onto `base` and normalise lexically.
pub fn absolutize(path: &Path, base: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&base.join(path))
    }
}

/// Fold `.`, `..` and repeated separators without touching the filesystem. `..` above the root
/// stays at the root, as the kernel does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if out.parent().is_some() {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::Normal(c) => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(if path.has_root() { "/" } else { "." });
    }
    out
}

/// Follow symlinks for the longest prefix of `path` that exists, then append the rest.
/// `path` must be absolute and normalised. Bounded by the path's depth.
pub fn resolve(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut tail: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in tail.iter().rev() {
                out.push(part);
            }
            return normalize(&out);
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                tail.push(name);
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// `true` when `path` is `root` or lies below it (component-wise, not by string prefix).
pub fn is_within(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> PathEnv {
        PathEnv {
            home: Some(PathBuf::from("/home/u")),
            project: PathBuf::from("/work/p"),
            tmpdir: PathBuf::from("/tmp"),
            cwd: PathBuf::from("/work/p/src"),
            exe: Some(PathBuf::from("/usr/local/bin/blastwall")),
        }
    }

    macro_rules! abs {
        ($($name:ident: $raw:expr => $want:expr;)*) => {
            $(#[test] fn $name() { assert_eq!(env().absolute($raw).unwrap(), PathBuf::from($want)); })*
        };
    }

    abs! {
        tilde: "~/.ssh/id_rsa" => "/home/u/.ssh/id_rsa";
        tilde_alone: "~" => "/home/u";
        dollar_is_literal_in_tool_paths: "$HOME/.aws" => "/work/p/src/$HOME/.aws";
        remix_route: "app/routes/posts.$slug.tsx" => "/work/p/src/app/routes/posts.$slug.tsx";
        relative: "lib.rs" => "/work/p/src/lib.rs";
        dotdot: "../../../etc/passwd" => "/etc/passwd";
        dotdot_above_root: "/../../etc" => "/etc";
        double_slash: "/work//p/./src/../x" => "/work/p/x";
        trailing_slash: "/home/u/.ssh/" => "/home/u/.ssh";
        literal_dollar: "/tmp/a$/b" => "/tmp/a$/b";
    }

    #[test]
    fn policy_patterns_expand_variables() {
        let e = env();
        assert_eq!(e.expand("$HOME/.aws").unwrap(), "/home/u/.aws");
        assert_eq!(
            e.expand("${HOME}/.aws/credentials").unwrap(),
            "/home/u/.aws/credentials"
        );
        assert_eq!(
            e.expand("${PROJECT}/.claude/settings.json").unwrap(),
            "/work/p/.claude/settings.json"
        );
        assert_eq!(e.expand("${TMPDIR}/x").unwrap(), "/tmp/x");
    }

    #[test]
    fn unknown_variables_and_other_users_are_errors() {
        assert!(matches!(
            env().expand("$FOO/x"),
            Err(ExpandError::UnknownVariable { .. })
        ));
        assert!(matches!(
            env().expand("~root/x"),
            Err(ExpandError::OtherUser(_))
        ));
        let mut no_home = env();
        no_home.home = None;
        assert!(matches!(no_home.expand("~/x"), Err(ExpandError::NoHome(_))));
    }

    #[test]
    fn within_is_component_wise() {
        assert!(is_within(Path::new("/work/p/x"), Path::new("/work/p")));
        assert!(is_within(Path::new("/work/p"), Path::new("/work/p")));
        assert!(!is_within(Path::new("/work/p2/x"), Path::new("/work/p")));
    }

    #[test]
    fn resolve_follows_symlinks_for_existing_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("secret-store");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("project-link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let real_canon = std::fs::canonicalize(&real).unwrap();
        assert_eq!(resolve(&link.join("id_rsa")), real_canon.join("id_rsa"));
        assert_eq!(resolve(&link.join("a/b/c")), real_canon.join("a/b/c"));
        let missing = PathBuf::from("/nonexistent-root-xyz/a");
        assert_eq!(resolve(&missing), missing);
    }

    #[test]
    fn display_shortens_home() {
        assert_eq!(
            env().display(Path::new("/home/u/.ssh/id_rsa")),
            "~/.ssh/id_rsa"
        );
        assert_eq!(env().display(Path::new("/etc/x")), "/etc/x");
    }
}
