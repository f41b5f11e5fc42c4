//! `blastwall taint list|clear`: the sessions marked as having read a likely prompt injection
//! (see `crate::post`), and clearing a mark once the user has looked. The marks live in
//! `$XDG_STATE_HOME/blastwall/taint/<session>` (else `~/.local/state/…`), which the default
//! policy keeps the agent from writing, and `blastwall taint` itself is a command the default
//! policy denies to the agent (rule `guard-install`): only the user clears a taint.
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct TaintArgs {
    #[command(subcommand)]
    pub command: TaintCommand,
}

#[derive(Debug, Subcommand)]
pub enum TaintCommand {
    /// List the tainted sessions, when and why
    List,
    /// Clear the taint of one session (or --all), after you have checked what it read
    Clear(ClearArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ClearArgs {
    /// The session id (as `taint list` and `log` show it)
    #[arg(value_name = "SESSION")]
    pub session: Option<String>,
    /// Clear every tainted session
    #[arg(long)]
    pub all: bool,
}

/// The folder of taint marks.
fn taint_dir() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .filter(|h| h.is_absolute());
    crate::post::state_dir(home.as_deref())
        .map(|d| d.join("taint"))
        .ok_or_else(|| "needs HOME or XDG_STATE_HOME (an absolute path)".to_string())
}

/// The file name a session's mark has: the same sanitising as `crate::post` applies.
fn mark_name(session: &str) -> String {
    session
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(128)
        .collect()
}

fn marks(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    out.sort();
    Ok(out)
}

pub fn run(a: &TaintArgs) -> Exit {
    let dir = match taint_dir() {
        Ok(d) => d,
        Err(e) => return super::fail("taint", &e),
    };
    let list = match marks(&dir) {
        Ok(l) => l,
        Err(e) => return super::fail("taint", &format!("{}: {e}", dir.display())),
    };
    match &a.command {
        TaintCommand::List => {
            if list.is_empty() {
                super::stdout("no tainted sessions\n");
                return Exit::Ok;
            }
            let mut out = String::new();
            for p in &list {
                let session = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let when = std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .map(crate::audit::timestamp)
                    .unwrap_or_default();
                let why = std::fs::read_to_string(p).unwrap_or_default();
                out.push_str(&format!(
                    "{session}  since {when}\n    {}\n",
                    crate::engine::truncate(why.trim(), 300)
                ));
            }
            out.push_str("clear one with `blastwall taint clear SESSION` once you have checked what the session read\n");
            super::stdout(&out);
            Exit::Ok
        }
        TaintCommand::Clear(c) => {
            let targets: Vec<PathBuf> = if c.all {
                list
            } else {
                let name = mark_name(c.session.as_deref().unwrap_or_default());
                let p = dir.join(&name);
                if name.is_empty() || !p.is_file() {
                    return super::fail(
                        "taint",
                        &format!(
                            "session `{}` is not tainted (see `blastwall taint list`)",
                            c.session.as_deref().unwrap_or_default()
                        ),
                    );
                }
                vec![p]
            };
            let mut out = String::new();
            for p in &targets {
                if let Err(e) = std::fs::remove_file(p) {
                    return super::fail("taint", &format!("{}: {e}", p.display()));
                }
                let session = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push_str(&format!("cleared the taint of session {session}\n"));
            }
            if targets.is_empty() {
                out.push_str("no tainted sessions\n");
            }
            super::stdout(&out);
            Exit::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_names_match_the_hooks_sanitising() {
        assert_eq!(mark_name("3f1c9a2e-7b4d_x"), "3f1c9a2e-7b4d_x");
        assert_eq!(mark_name("../../etc/passwd"), "etcpasswd");
        assert_eq!(mark_name("/"), "");
    }
}
