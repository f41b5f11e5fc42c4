//! Where policy layers come from: the [`LayerKind`]s, one file's text as a [`Source`], the
//! standard places they are looked for ([`Discovery`]), and [`PolicyError`] with the
//! `file:line:col` every error names.
//!
//! What belongs here: finding and reading files, and turning a byte offset into a line. What
//! does not: parsing (`raw`), merging (`merge`), compiling (`compile`).
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{EMBEDDED_DEFAULT, EMBEDDED_NAME, MAX_POLICY_BYTES};
use crate::decision::Loc;
use crate::paths::PathEnv;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerKind {
    Embedded,
    Project,
    User,
    Managed,
    CommandLine,
}

impl LayerKind {
    /// Only the project file can be written by whoever controls the repository.
    pub fn trusted(self) -> bool {
        self != LayerKind::Project
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Embedded => "embedded default",
            LayerKind::Project => "project",
            LayerKind::User => "user",
            LayerKind::Managed => "managed",
            LayerKind::CommandLine => "--policy",
        }
    }
}

/// One policy file's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: LayerKind,
    pub name: Arc<str>,
    pub text: String,
}

impl Source {
    pub fn embedded() -> Source {
        Source {
            kind: LayerKind::Embedded,
            name: Arc::from(EMBEDDED_NAME),
            text: EMBEDDED_DEFAULT.to_string(),
        }
    }

    pub(super) fn loc(&self, span: std::ops::Range<usize>) -> Loc {
        Loc {
            file: self.name.clone(),
            line: line_col(&self.text, span.start).0,
        }
    }

    pub(super) fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> PolicyError {
        let (line, col) = span
            .map(|s| line_col(&self.text, s.start))
            .unwrap_or((0, 0));
        PolicyError::Invalid {
            file: self.name.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

/// The newline offsets of one policy text: a rule's line is then a binary search, not a scan
/// from the top (10,000 rules in one file made that scan quadratic: seconds per call).
pub(super) struct Lines(Vec<usize>);

impl Lines {
    pub(super) fn new(text: &str) -> Lines {
        Lines(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    /// 1-based line of a byte offset, as `line_col` counts it.
    pub(super) fn line(&self, offset: usize) -> u32 {
        let before = self.0.partition_point(|&i| i < offset);
        u32::try_from(before.saturating_add(1)).unwrap_or(u32::MAX)
    }
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map(|i| before.len() - i)
        .unwrap_or(before.len() + 1);
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("policy error in {file}:{line}:{col}: {message}")]
    Invalid {
        file: String,
        line: u32,
        col: u32,
        message: String,
    },
    #[error("cannot read policy {file}: {message}")]
    Unreadable { file: String, message: String },
}

/// Every error found while merging and compiling the layers, in the order found (at least one).
/// The hook needs only the first ([`PolicyErrors::first`]); `lint` shows them all.
///
/// `partial` is the policy without the parts in error (a rule, a profile …) when the rest
/// compiled: never used to judge, only for `lint` to look at what remains.
#[derive(Debug)]
pub struct PolicyErrors {
    pub errors: Vec<PolicyError>,
    pub partial: Option<Box<super::Policy>>,
}

impl From<PolicyError> for PolicyErrors {
    fn from(e: PolicyError) -> PolicyErrors {
        PolicyErrors {
            errors: vec![e],
            partial: None,
        }
    }
}

impl PolicyErrors {
    /// The first error (what the hook reports).
    pub fn first(self) -> PolicyError {
        self.errors
            .into_iter()
            .next()
            .unwrap_or_else(|| PolicyError::Invalid {
                file: "<internal>".into(),
                line: 0,
                col: 0,
                message: "policy failed with no error recorded".into(),
            })
    }
}

/// Keep `r`'s value, or record its error and go on (so one run finds every error).
pub(super) fn keep<T>(errs: &mut Vec<PolicyError>, r: Result<T, PolicyError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errs.push(e);
            None
        }
    }
}

/// Where the policy files of each layer are looked for.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub command_line: Option<PathBuf>,
    pub managed: Option<PathBuf>,
    pub user: Option<PathBuf>,
    pub project: Option<PathBuf>,
}

impl Discovery {
    /// The standard places: `/etc/blastwall/policy.toml`, `$XDG_CONFIG_HOME/blastwall/policy.toml`
    /// (else `~/.config/…`), and `${PROJECT}/.claude/blastwall.toml` (see [`crate::dirs`]).
    pub fn standard(env: &PathEnv, command_line: Option<PathBuf>) -> Discovery {
        let dirs = env.dirs();
        Discovery {
            command_line,
            managed: Some(dirs.managed_policy()),
            user: dirs.user_policy(),
            project: Some(env.project.join(".claude/blastwall.toml")),
        }
    }

    /// Only the embedded default and `--policy`: for replay and CI, where the machine's own
    /// files must not change the answer.
    pub fn isolated(command_line: Option<PathBuf>) -> Discovery {
        Discovery {
            command_line,
            ..Discovery::default()
        }
    }

    /// Read every layer that exists. A missing file is no layer; any other read error is an
    /// error (fail closed), as is a file too large to be a policy.
    pub fn read(&self, env: &PathEnv) -> Result<Vec<Source>, PolicyError> {
        let mut out = vec![Source::embedded()];
        let layers = [
            (LayerKind::Project, &self.project, false),
            (LayerKind::User, &self.user, false),
            (LayerKind::Managed, &self.managed, false),
            (LayerKind::CommandLine, &self.command_line, true),
        ];
        for (kind, path, required) in layers {
            let Some(path) = path else { continue };
            let name = env.display(path);
            match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                Err(e) => {
                    return Err(PolicyError::Unreadable {
                        file: name,
                        message: e.to_string(),
                    })
                }
                Ok(m) if m.len() > MAX_POLICY_BYTES => {
                    return Err(PolicyError::Unreadable {
                        file: name,
                        message: format!("larger than {MAX_POLICY_BYTES} bytes"),
                    })
                }
                Ok(_) => {}
            }
            let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Unreadable {
                file: name.clone(),
                message: e.to_string(),
            })?;
            out.push(Source {
                kind,
                name: Arc::from(name),
                text,
            });
        }
        Ok(out)
    }
}
