//! The policy: where its layers come from, how they merge, and the compiled form the engine
//! reads.
//!
//! Loading has two phases. [`raw`] deserialises each file with spans and
//! `deny_unknown_fields`; [`Policy::from_sources`] merges the layers and validates and compiles
//! them once, turning every span into `file:line` for reasons and `file:line:col` for errors.
//!
//! Layers, lowest first: the embedded default, then the trusted files (user, managed,
//! `--policy`), each overriding the keys it sets. The project file
//! (`.claude/blastwall.toml`) lives in the repository the agent works on, so it is merged last
//! and may only tighten: its rules are added, its roots, hosts and tool lists intersect with the
//! trusted ones, and it cannot switch anything off.
pub mod cache;
pub mod lint;
pub mod raw;
pub mod rules;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

pub use raw::{Access, OnAllow, RuleDecision};

use crate::decision::{Decision, Loc};
use crate::paths::{self, PathEnv};
use crate::wildcard;
use raw::{RawPolicy, RawProfile, RawRule, RawWhen};

/// The embedded default policy, compiled into the binary.
pub const EMBEDDED_DEFAULT: &str = include_str!("default.toml");
/// How the embedded default is named in reasons and errors.
pub const EMBEDDED_NAME: &str = "embedded:default.toml";
/// The only schema version this build understands.
pub const SCHEMA_VERSION: i64 = 1;
/// The profile used when no other profile's `when` matches: the main agent.
pub const MAIN_PROFILE: &str = "main";
/// Policy files larger than this are refused rather than parsed.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

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

    fn loc(&self, span: std::ops::Range<usize>) -> Loc {
        Loc {
            file: self.name.clone(),
            line: line_col(&self.text, span.start).0,
        }
    }

    fn error(
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
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    /// 1-based line of a byte offset, as `line_col` counts it.
    fn line(&self, offset: usize) -> u32 {
        let before = self.0.partition_point(|&i| i < offset);
        u32::try_from(before.saturating_add(1)).unwrap_or(u32::MAX)
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
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
    /// (else `~/.config/…`), and `${PROJECT}/.claude/blastwall.toml`.
    pub fn standard(env: &PathEnv, command_line: Option<PathBuf>) -> Discovery {
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| env.home.as_ref().map(|h| h.join(".config")));
        Discovery {
            command_line,
            managed: Some(PathBuf::from("/etc/blastwall/policy.toml")),
            user: config_home.map(|c| c.join("blastwall/policy.toml")),
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

/// A value and the place it was set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Val<T> {
    pub value: T,
    pub loc: Loc,
}

/// A set of path globs, parsed at load (so errors point at the file) and compiled into a
/// matcher only when a call first needs it: start-up does not grow with rules the event does
/// not touch.
pub struct PathGlobs {
    /// The patterns. Read from the compiled-policy cache they stay in `encoded` until a set
    /// must be built: most calls only need the literal runs, and decoding a thousand pattern
    /// strings per call was most of what a policy with 1,000 globs cost.
    patterns: OnceLock<Vec<String>>,
    encoded: Vec<u8>,
    /// Per pattern, its literal runs (see [`literals`]): computed when the policy is
    /// compiled and kept in the compiled-policy cache, so a call only searches for them.
    literals: Literals,
    set: OnceLock<Option<GlobSet>>,
}

impl std::fmt::Debug for PathGlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathGlobs")
            .field("patterns", &self.patterns())
            .finish()
    }
}

impl PathGlobs {
    fn new(patterns: Vec<String>) -> PathGlobs {
        PathGlobs {
            literals: Literals::of(&patterns),
            patterns: OnceLock::from(patterns),
            encoded: Vec::new(),
            set: OnceLock::new(),
        }
    }

    /// The patterns (expanded, as globset builds them).
    pub fn patterns(&self) -> &[String] {
        self.patterns.get_or_init(|| {
            match postcard::from_bytes::<Vec<String>>(&self.encoded) {
                Ok(p) if p.len() == self.literals.len() => p,
                // Not for an entry blastwall wrote; a set that matches every path fails closed.
                _ => vec!["**".to_string()],
            }
        })
    }

    fn build(patterns: &[String]) -> Result<GlobSet, globset::Error> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(glob(p)?);
        }
        b.build()
    }

    /// Whether some pattern matches `path`. A set that cannot be built (validated at load, so
    /// only on an internal error) matches: that fails closed.
    pub fn is_match(&self, path: &Path) -> bool {
        self.matches(&PathProbe::new(path))
    }

    /// [`PathGlobs::is_match`] for a path prepared once for many sets.
    pub fn matches(&self, probe: &PathProbe) -> bool {
        // Building a glob set compiles regexes; most paths share no literal text with most
        // patterns, so a set no pattern could match is never built (a quarter of a hook
        // call's instructions went to building sets whose answer was no).
        if !self.literals.any_possible(probe) {
            return false;
        }
        match self.set.get_or_init(|| Self::build(self.patterns()).ok()) {
            Some(set) => set.is_match(probe.path),
            None => true,
        }
    }
}

/// A path as the glob prefilter reads it, computed once and checked against every path rule:
/// its text (`None` if it is not UTF-8: then no set is ruled out), the [`byte_mask`] of its
/// bytes, and its first eight bytes as a number (see [`anchor_head`]).
pub struct PathProbe<'a> {
    path: &'a Path,
    text: Option<&'a str>,
    mask: u64,
    head: u64,
}

impl<'a> PathProbe<'a> {
    pub fn new(path: &'a Path) -> PathProbe<'a> {
        let text = path.to_str();
        let bytes = text.map(str::as_bytes).unwrap_or_default();
        PathProbe {
            path,
            text,
            mask: byte_mask(bytes),
            head: anchor_head(bytes).0,
        }
    }

    pub fn path(&self) -> &'a Path {
        self.path
    }
}

/// Up to the first eight bytes of `text` as a little-endian number (zero-padded), and the mask
/// of the bytes it holds: a path starts with an anchor only if their heads agree under the
/// anchor's mask, which rules out most anchors without a comparison of the text.
fn anchor_head(text: &[u8]) -> (u64, u64) {
    let mut head = [0u8; 8];
    let n = text.len().min(8);
    for (h, b) in head.iter_mut().zip(text) {
        *h = *b;
    }
    let mask = if n == 8 {
        u64::MAX
    } else {
        (1u64 << (n * 8)) - 1
    };
    (u64::from_le_bytes(head), mask)
}

/// The literal runs of a set of patterns, for the prefilter of [`PathGlobs::is_match`]: a
/// table in one byte buffer read in place and the text it points into (one string, checked to
/// be UTF-8 once when it is decoded): nothing to decode element by element when the set comes
/// from the compiled-policy cache (decoding the tables of a thousand globs was most of what
/// such a policy cost per call).
///
/// Table layout (little-endian `u32`s): `n_patterns n_runs`, then per pattern `anchor_start
/// anchor_end first_run end_run` (`first_run == NOT_ANALYSED` for a pattern that may match
/// anything), then per run `start end mask_low mask_high`. A pattern's anchor is the literal
/// text of an absolute pattern before its first wildcard, cut back to the last `/` (`dir/**`
/// may match `dir`): a path must start with it, which rejects most paths with one comparison.
/// A run's mask has bit `b % 64` set for each of its bytes `b` ([`byte_mask`]): a run whose
/// mask has a bit the path's lacks cannot occur in it, found without a substring search.
#[derive(Default)]
struct Literals {
    table: Vec<u8>,
    text: String,
}

const NOT_ANALYSED: u32 = u32::MAX;
const PATTERN_FIELDS: usize = 6;
const RUN_FIELDS: usize = 4;

/// Bit `b % 64` for every byte `b` of `text`: a necessary condition for one text to occur in
/// another is that its mask is a subset of the other's.
fn byte_mask(text: &[u8]) -> u64 {
    text.iter().fold(0, |m, &b| m | 1u64 << (b & 63))
}

/// A `u64` as the two `u32`s of the table, low half first.
#[allow(clippy::cast_possible_truncation, reason = "the halves of the number")]
fn halves(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

impl Literals {
    fn of(patterns: &[String]) -> Literals {
        let index = |n: usize| u32::try_from(n).unwrap_or(NOT_ANALYSED - 1);
        let mut text = String::new();
        let mut runs: Vec<[u32; RUN_FIELDS]> = Vec::new();
        let mut table: Vec<[u32; PATTERN_FIELDS]> = Vec::with_capacity(patterns.len());
        for p in patterns {
            let lits = literals(p);
            let anchor = if p.starts_with('/') && lits.is_some() {
                let head = p.split(['*', '?']).next().unwrap_or("");
                head.rsplit_once('/').map_or("", |(dir, _)| dir)
            } else {
                ""
            };
            let anchor_start = index(text.len());
            text.push_str(anchor);
            let anchor_end = index(text.len());
            let [head_low, head_high] = halves(anchor_head(anchor.as_bytes()).0);
            let Some(lits) = lits else {
                table.push([
                    anchor_start,
                    anchor_end,
                    NOT_ANALYSED,
                    NOT_ANALYSED,
                    head_low,
                    head_high,
                ]);
                continue;
            };
            let first = index(runs.len());
            for lit in lits {
                let start = index(text.len());
                text.push_str(lit);
                let [low, high] = halves(byte_mask(lit.as_bytes()));
                runs.push([start, index(text.len()), low, high]);
            }
            table.push([
                anchor_start,
                anchor_end,
                first,
                index(runs.len()),
                head_low,
                head_high,
            ]);
        }
        let mut bytes =
            Vec::with_capacity(8 + table.len() * PATTERN_FIELDS * 4 + runs.len() * RUN_FIELDS * 4);
        for v in [index(table.len()), index(runs.len())]
            .into_iter()
            .chain(table.iter().flatten().copied())
            .chain(runs.iter().flatten().copied())
        {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        Literals { table: bytes, text }
    }

    /// `N` consecutive `u32`s of the table from the `at`-th; `None` past its end.
    fn fields<const N: usize>(&self, at: usize) -> Option<[u32; N]> {
        let start = at.checked_mul(4)?;
        let bytes = self.table.get(start..start.checked_add(N * 4)?)?;
        let mut out = [0u32; N];
        for (v, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = u32::from_le_bytes(<[u8; 4]>::try_from(b).ok()?);
        }
        Some(out)
    }

    /// The number of patterns (0 for a damaged table).
    fn len(&self) -> usize {
        self.fields::<1>(0)
            .and_then(|[n]| usize::try_from(n).ok())
            .unwrap_or(0)
    }

    /// Whether some pattern has all of its runs in the path. A pattern that is not analysed,
    /// or a table that cannot be read, counts as possible: fail closed.
    fn any_possible(&self, probe: &PathProbe) -> bool {
        let Some(path) = probe.text else {
            return true;
        };
        let Some([n, n_runs]) = self.fields::<2>(0) else {
            return true;
        };
        let (Ok(n), Ok(n_runs)) = (usize::try_from(n), usize::try_from(n_runs)) else {
            return true;
        };
        let runs_at = 2 + n * PATTERN_FIELDS;
        if (runs_at + n_runs * RUN_FIELDS) * 4 != self.table.len() {
            return true; // a damaged table
        }
        let text = |a: u32, b: u32| -> Option<&str> {
            self.text
                .get(usize::try_from(a).ok()?..usize::try_from(b).ok()?)
        };
        (0..n).any(|i| {
            let Some([a0, a1, first, end, head_low, head_high]) =
                self.fields::<PATTERN_FIELDS>(2 + i * PATTERN_FIELDS)
            else {
                return true;
            };
            if first == NOT_ANALYSED
                || first > end
                || usize::try_from(end).map_or(true, |end| end > n_runs)
            {
                return true; // may match anything, or a damaged entry
            }
            // The anchor: its head first (most anchors differ from the path in their first
            // bytes), its whole text only when it is longer than the head.
            let Some(anchor_len) = a1.checked_sub(a0).and_then(|l| usize::try_from(l).ok()) else {
                return true;
            };
            let head_mask = match anchor_len {
                0..8 => (1u64 << (anchor_len * 8)) - 1,
                _ => u64::MAX,
            };
            let head = u64::from(head_low) | u64::from(head_high) << 32;
            if (probe.head ^ head) & head_mask != 0 {
                return false;
            }
            if anchor_len > 8 {
                match text(a0, a1) {
                    Some(anchor) if !path.starts_with(anchor) => return false,
                    None => return true,
                    Some(_) => {}
                }
            }
            (first..end).all(|r| {
                let Some(at) = usize::try_from(r).ok().map(|r| runs_at + r * RUN_FIELDS) else {
                    return true;
                };
                let Some([start, stop, low, high]) = self.fields::<RUN_FIELDS>(at) else {
                    return true;
                };
                let mask = u64::from(low) | u64::from(high) << 32;
                // The standard substring search is the fastest of the ones measured here.
                mask & !probe.mask == 0 && text(start, stop).is_none_or(|run| path.contains(run))
            })
        })
    }
}

/// Bytes serialised as one byte string (postcard: a length and the bytes).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ByteBuf, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_byte_buf(Visit)
    }
}

/// In the compiled-policy cache a glob set is its patterns (one encoded byte string, decoded
/// only when a matcher must be built) and their literal runs.
impl Serialize for PathGlobs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = if self.encoded.is_empty() {
            postcard::to_allocvec(self.patterns()).map_err(serde::ser::Error::custom)?
        } else {
            self.encoded.clone()
        };
        (
            Bytes(&encoded),
            Bytes(&self.literals.table),
            &self.literals.text,
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PathGlobs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PathGlobs, D::Error> {
        let (ByteBuf(encoded), ByteBuf(table), text) =
            <(ByteBuf, ByteBuf, String)>::deserialize(d)?;
        let literals = Literals { table, text };
        Ok(PathGlobs {
            patterns: OnceLock::new(),
            encoded,
            literals,
            set: OnceLock::new(),
        })
    }
}

/// Whether a layer's regexes and globs must be syntax-checked at load. The embedded default is
/// checked when the binary is built (`embedded_default_passes_every_check`), and checking it
/// again on every call was a quarter of a call's work. Its path patterns take in `HOME`, the
/// project and the temp dir, so a glob metacharacter in one of those brings the check back.
fn needs_check(src: &Source, env: &PathEnv) -> bool {
    let meta = |p: &Path| {
        p.to_string_lossy()
            .contains(['*', '?', '[', ']', '{', '}', '\\'])
    };
    src.kind != LayerKind::Embedded
        || src.text != EMBEDDED_DEFAULT
        || env.home.as_deref().is_some_and(meta)
        || [&env.project, &env.tmpdir, &env.cwd]
            .into_iter()
            .any(|p| meta(p))
        || env.exe.as_deref().is_some_and(meta)
}

/// A necessary condition for `pattern` (a glob as [`glob`] builds it) to match `path`: every
/// run of literal characters in the pattern, cut at wildcards and at `/`, occurs in the path.
/// Cutting at `/` keeps it sound for `**`, which may match no directory at all. Patterns with
/// classes, alternatives or escapes (`[`, `{`, `\`) are not analysed: they may match.
#[cfg(test)]
fn could_match(pattern: &str, path: &str) -> bool {
    literals(pattern).is_none_or(|l| l.iter().all(|lit| path.contains(lit)))
}

/// The literal runs of a pattern for [`could_match`], last first (the file name end of a
/// pattern is the part least likely to occur in an unrelated path, so a miss is found with one
/// search); `None` for patterns that are not analysed.
fn literals(pattern: &str) -> Option<Vec<&str>> {
    if pattern.contains(['[', '{', '\\']) {
        return None;
    }
    Some(
        pattern
            .rsplit(['*', '?', '/'])
            .filter(|lit| !lit.is_empty())
            .collect(),
    )
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// Turn a policy path pattern into the globs it stands for: variables expanded; a bare name
/// (`*.pem`) matches at any depth; a pattern also covers everything below what it names.
fn path_globs(
    src: &Source,
    span: Option<std::ops::Range<usize>>,
    pats: &[String],
    env: &PathEnv,
    check: bool,
) -> Result<Vec<String>, PolicyError> {
    let mut out = Vec::with_capacity(pats.len() * 2);
    for p in pats {
        let expanded = env
            .expand(p)
            .map_err(|e| src.error(span.clone(), e.to_string()))?;
        let base = if expanded.contains('/') {
            let trimmed = expanded.trim_end_matches('/');
            if trimmed.starts_with('/') || trimmed.starts_with("**") {
                trimmed.to_string()
            } else {
                return Err(src.error(span.clone(), format!("path pattern `{p}` must be absolute, start with ~, a variable or **, or be a bare file name")));
            }
        } else {
            format!("**/{expanded}")
        };
        if check {
            glob(&base)
                .map_err(|e| src.error(span.clone(), format!("bad path pattern `{p}`: {e}")))?;
        }
        // A symlinked HOME (or project, or temp dir) is reached by its real path too: the
        // pattern must cover that spelling as well.
        let mut variants = vec![base.clone()];
        for dir in [
            env.home.as_deref(),
            Some(env.project.as_path()),
            Some(env.tmpdir.as_path()),
        ]
        .into_iter()
        .flatten()
        {
            let d = dir.to_string_lossy();
            if let Some(rest) = base
                .strip_prefix(d.as_ref())
                .filter(|r| r.is_empty() || r.starts_with('/'))
            {
                if let Some(real) = real_path(dir) {
                    variants.push(format!("{}{rest}", real.to_string_lossy()));
                }
            }
        }
        for v in variants {
            if !v.ends_with("/**") {
                out.push(format!("{v}/**"));
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// The real path of one of the environment's directories when it differs (a symlinked HOME),
/// memoised: patterns ask for the same two or three directories many times.
fn real_path(dir: &Path) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Option<PathBuf>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = match cache.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.entry(dir.to_path_buf())
        .or_insert_with(|| std::fs::canonicalize(dir).ok().filter(|r| r != dir))
        .clone()
}

/// Directories a profile may read or write below.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "RootsRepr", from = "RootsRepr")]
pub struct Roots {
    /// As written, for messages.
    pub written: Vec<String>,
    /// Expanded and lexically normalised.
    lexical: Vec<PathBuf>,
    /// Each root in its lexical and its symlink-resolved spelling.
    pub dirs: Vec<PathBuf>,
    pub loc: Loc,
}

impl Roots {
    fn compile(
        src: &Source,
        v: &Spanned<Vec<String>>,
        env: &PathEnv,
    ) -> Result<Roots, PolicyError> {
        let mut lexical = Vec::new();
        for r in v.get_ref() {
            let expanded = env
                .expand(r)
                .map_err(|e| src.error(Some(v.span()), e.to_string()))?;
            let p = PathBuf::from(&expanded);
            if !p.is_absolute() {
                return Err(src.error(
                    Some(v.span()),
                    format!("root `{r}` must be an absolute path (or start with ~ or a variable)"),
                ));
            }
            lexical.push(paths::normalize(&p));
        }
        Ok(Roots {
            written: v.get_ref().clone(),
            dirs: Roots::with_real(lexical.iter().cloned()),
            lexical,
            loc: src.loc(v.span()),
        })
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.dirs.iter().any(|d| paths::is_within(path, d))
    }

    /// Each root in its lexical spelling and, when a symlink makes it differ, its real one.
    fn with_real(lexical: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for lexical in lexical {
            let resolved = paths::resolve(&lexical);
            if resolved != lexical {
                dirs.push(resolved);
            }
            dirs.push(lexical);
        }
        dirs
    }
}

/// Roots in the compiled-policy cache: only the lexical spellings. Symlinks are resolved again
/// when the cache is read, so a root whose link was re-pointed is judged by its new target.
#[derive(Serialize, Deserialize)]
struct RootsRepr {
    written: Vec<String>,
    lexical: Vec<PathBuf>,
    loc: Loc,
}

impl From<Roots> for RootsRepr {
    fn from(r: Roots) -> RootsRepr {
        RootsRepr {
            written: r.written,
            lexical: r.lexical,
            loc: r.loc,
        }
    }
}

impl From<RootsRepr> for Roots {
    fn from(r: RootsRepr) -> Roots {
        Roots {
            written: r.written,
            dirs: Roots::with_real(r.lexical.iter().cloned()),
            lexical: r.lexical,
            loc: r.loc,
        }
    }
}

/// Conditions selecting a profile.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(try_from = "WhenRepr", into = "WhenRepr")]
pub struct When {
    pub agent_type: Option<Vec<String>>,
    pub subagent: Option<bool>,
    pub cwd: Option<GlobSet>,
    /// `cwd`'s patterns, expanded, for the compiled-policy cache.
    cwd_globs: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
}

/// `When` in the compiled-policy cache: the cwd glob set is rebuilt from its patterns.
#[derive(Serialize, Deserialize)]
struct WhenRepr {
    agent_type: Option<Vec<String>>,
    subagent: Option<bool>,
    cwd: Option<Vec<String>>,
    env: Vec<(String, String)>,
}

impl From<When> for WhenRepr {
    fn from(w: When) -> WhenRepr {
        WhenRepr {
            agent_type: w.agent_type,
            subagent: w.subagent,
            cwd: w.cwd_globs,
            env: w.env,
        }
    }
}

impl TryFrom<WhenRepr> for When {
    type Error = globset::Error;
    fn try_from(w: WhenRepr) -> Result<When, globset::Error> {
        let cwd = match &w.cwd {
            None => None,
            Some(pats) => {
                let mut b = GlobSetBuilder::new();
                for p in pats {
                    b.add(glob(p)?);
                }
                Some(b.build()?)
            }
        };
        Ok(When {
            agent_type: w.agent_type,
            subagent: w.subagent,
            cwd,
            cwd_globs: w.cwd,
            env: w.env,
        })
    }
}

/// What a profile selection looks at.
pub struct Facts<'a> {
    pub agent_type: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl When {
    fn compile(
        src: &Source,
        span: std::ops::Range<usize>,
        raw: &RawWhen,
        env: &PathEnv,
    ) -> Result<When, PolicyError> {
        let (cwd, cwd_globs) = match &raw.cwd {
            None => (None, None),
            Some(pats) => {
                let mut b = GlobSetBuilder::new();
                let mut expanded = Vec::with_capacity(pats.len());
                for p in pats {
                    let e = env
                        .expand(p)
                        .map_err(|e| src.error(Some(span.clone()), e.to_string()))?;
                    b.add(glob(&e).map_err(|e| {
                        src.error(Some(span.clone()), format!("bad cwd glob `{p}`: {e}"))
                    })?);
                    expanded.push(e);
                }
                let set = b
                    .build()
                    .map_err(|e| src.error(Some(span.clone()), e.to_string()))?;
                (Some(set), Some(expanded))
            }
        };
        Ok(When {
            agent_type: raw.agent_type.clone(),
            subagent: raw.subagent,
            cwd,
            cwd_globs,
            env: raw.env.clone().unwrap_or_default().into_iter().collect(),
        })
    }

    fn is_empty(&self) -> bool {
        self.agent_type.is_none()
            && self.subagent.is_none()
            && self.cwd.is_none()
            && self.env.is_empty()
    }

    pub fn matches(&self, f: &Facts<'_>) -> bool {
        if let Some(types) = &self.agent_type {
            match f.agent_type {
                Some(t) if wildcard::any(types, t) => {}
                _ => return false,
            }
        }
        if let Some(sub) = self.subagent {
            if sub != f.agent_id.is_some_and(|a| !a.is_empty()) {
                return false;
            }
        }
        if let Some(set) = &self.cwd {
            if !set.is_match(f.cwd) {
                return false;
            }
        }
        self.env
            .iter()
            .all(|(k, pat)| (f.env)(k).is_some_and(|v| wildcard::matches(pat, &v)))
    }
}

/// A compiled profile.
#[derive(Debug, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub loc: Loc,
    pub when: When,
    /// `None` only for project profiles that do not restrict tools.
    pub allow_tools: Option<Val<Vec<String>>>,
    pub ask_tools: Option<Val<Vec<String>>>,
    pub read_roots: Option<Roots>,
    pub write_roots: Option<Roots>,
    pub allow_programs: Option<Val<Vec<String>>>,
    /// Defined by the project layer: only ever adds restrictions.
    pub project: bool,
}

/// A compiled rule.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rule {
    pub id: Arc<str>,
    pub decision: Decision,
    pub reason: String,
    pub loc: Loc,
    pub profiles: Option<Vec<String>>,
    pub tools: Option<Vec<String>>,
    pub paths: Option<PathGlobs>,
    pub except: Option<PathGlobs>,
    pub access: Access,
    pub hosts: Option<Vec<String>>,
    /// Syntax-checked at load, compiled on first use.
    pub input_regex: Option<crate::pattern::LazyRegex>,
    /// `command`, compiled: any pattern matching is a match.
    pub command_patterns: Option<Vec<crate::pattern::CommandPattern>>,
    pub project: bool,
}

impl Rule {
    pub fn applies_to(&self, profile: &str, tool: &str) -> bool {
        self.profiles
            .as_ref()
            .is_none_or(|p| wildcard::any(p, profile))
            && self.tools.as_ref().is_none_or(|t| wildcard::any(t, tool))
    }

    /// The literal absolute directories the rule's path patterns start with (`~/.ssh/**` →
    /// `/home/u/.ssh`), for spotting a recursive search that would cover them.
    pub fn literal_dirs(&self) -> impl Iterator<Item = &Path> {
        self.paths
            .iter()
            .flat_map(|globs| globs.patterns())
            .filter(|p| p.starts_with('/'))
            .map(|p| {
                let cut = p.find(['*', '?', '[', '{']).unwrap_or(p.len());
                let head = p.get(..cut).unwrap_or("");
                let head = if cut < p.len() {
                    head.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
                } else {
                    head
                };
                Path::new(head)
            })
            .filter(|d| d.as_os_str().len() > 1)
    }

    /// Whether one of [`Rule::literal_dirs`] lies strictly below `root`: a recursive search
    /// rooted there reads what the rule protects.
    pub fn has_literal_dir_below(&self, root: &Path) -> bool {
        self.literal_dirs()
            .any(|d| d.starts_with(root) && d != root)
    }

    /// Whether the path condition holds for `path` accessed as `access`.
    pub fn matches_path(&self, path: &Path, access: Access) -> bool {
        self.matches_probe(&PathProbe::new(path), access)
    }

    /// [`Rule::matches_path`] for a path prepared once for many rules.
    pub fn matches_probe(&self, probe: &PathProbe, access: Access) -> bool {
        let Some(globs) = &self.paths else {
            return false;
        };
        let access_ok = match (self.access, access) {
            (Access::Any, _) | (_, Access::Any) => true,
            (a, b) => a == b,
        };
        access_ok && globs.matches(probe) && !self.except.as_ref().is_some_and(|e| e.matches(probe))
    }
}

/// The network allowlist (hosts are lower-case globs).
#[derive(Debug, Serialize, Deserialize)]
pub struct Network {
    pub allow_hosts: Option<Val<Vec<String>>>,
    pub unlisted: Val<Decision>,
    /// A project layer's list: a host must be on both.
    pub project_hosts: Option<Val<Vec<String>>>,
}

/// Secret handling switches (the detector lives in `crate::secrets`).
#[derive(Debug)]
pub struct SecretsSettings {
    pub scan_prompts: bool,
    pub tool_input: Val<Decision>,
    pub extra_rules: Vec<Val<crate::secrets::CustomRule>>,
    /// The built-in detector plus `extra_rules`, built at load (so a bad rule is an error at
    /// its line) and only when there are extra rules.
    pub custom_detector: Option<crate::secrets::Detector>,
}

/// A `[[secrets.rules]]` entry in the compiled-policy cache.
#[derive(Serialize, Deserialize)]
struct SecretRuleRepr {
    id: String,
    name: String,
    regex: String,
    keywords: Vec<String>,
    min_entropy: Option<f64>,
}

/// Secret settings in the compiled-policy cache: the custom detector is built again from its
/// rules when the cache is read (it is only there when a policy adds rules).
#[derive(Serialize, Deserialize)]
struct SecretsRepr {
    scan_prompts: bool,
    tool_input: Val<Decision>,
    extra_rules: Vec<Val<SecretRuleRepr>>,
}

impl Serialize for SecretsSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SecretsRepr {
            scan_prompts: self.scan_prompts,
            tool_input: self.tool_input.clone(),
            extra_rules: self
                .extra_rules
                .iter()
                .map(|v| Val {
                    value: SecretRuleRepr {
                        id: v.value.id.clone(),
                        name: v.value.name.clone(),
                        regex: v.value.regex.clone(),
                        keywords: v.value.keywords.clone(),
                        min_entropy: v.value.min_entropy,
                    },
                    loc: v.loc.clone(),
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SecretsSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SecretsSettings, D::Error> {
        let repr = SecretsRepr::deserialize(d)?;
        let extra_rules: Vec<Val<crate::secrets::CustomRule>> = repr
            .extra_rules
            .into_iter()
            .map(|v| Val {
                value: crate::secrets::CustomRule {
                    id: v.value.id,
                    name: v.value.name,
                    regex: v.value.regex,
                    keywords: v.value.keywords,
                    min_entropy: v.value.min_entropy,
                },
                loc: v.loc,
            })
            .collect();
        let custom_detector = if extra_rules.is_empty() {
            None
        } else {
            let rules = extra_rules.iter().map(|v| v.value.clone()).collect();
            Some(
                crate::secrets::Detector::with_extra_rules(rules)
                    .map_err(serde::de::Error::custom)?,
            )
        };
        Ok(SecretsSettings {
            scan_prompts: repr.scan_prompts,
            tool_input: repr.tool_input,
            extra_rules,
            custom_detector,
        })
    }
}

impl SecretsSettings {
    /// The detector this policy uses.
    pub fn detector(&self) -> &crate::secrets::Detector {
        self.custom_detector
            .as_ref()
            .unwrap_or_else(|| crate::secrets::builtin())
    }
}

/// The merged, validated and compiled policy.
#[derive(Debug, Serialize, Deserialize)]
pub struct Policy {
    pub on_allow: OnAllow,
    pub audit_log: Option<PathBuf>,
    pub read_roots: Option<Roots>,
    pub write_roots: Option<Roots>,
    pub project_read_roots: Option<Roots>,
    pub project_write_roots: Option<Roots>,
    pub network: Network,
    pub secrets: SecretsSettings,
    /// Trusted profiles; `main` is first.
    pub profiles: Vec<Profile>,
    pub project_profiles: Vec<Profile>,
    /// Kept apart in the compiled-policy cache (its own section, decoded rule by rule).
    #[serde(skip)]
    pub rules: rules::RuleSet,
    /// The layers that were read, lowest first.
    pub layers: Vec<(LayerKind, Arc<str>)>,
}

/// Profile keys as merged across layers, each remembering where it was set.
#[derive(Default)]
struct ProfileAcc {
    loc: Option<Loc>,
    src: Option<usize>,
    when: Option<(usize, std::ops::Range<usize>, RawWhen)>,
    allow_tools: Option<(usize, Spanned<Vec<String>>)>,
    ask_tools: Option<(usize, Spanned<Vec<String>>)>,
    read_roots: Option<(usize, Spanned<Vec<String>>)>,
    write_roots: Option<(usize, Spanned<Vec<String>>)>,
    allow_programs: Option<(usize, Spanned<Vec<String>>)>,
}

impl ProfileAcc {
    fn overlay(&mut self, si: usize, src: &Source, p: Spanned<RawProfile>) {
        let span = p.span();
        let p = p.into_inner();
        self.loc = Some(src.loc(span.clone()));
        self.src = Some(si);
        if let Some(w) = p.when {
            self.when = Some((si, span, w));
        }
        macro_rules! take {
            ($($f:ident),*) => { $(if let Some(v) = p.$f { self.$f = Some((si, v)); })* };
        }
        take!(
            allow_tools,
            ask_tools,
            read_roots,
            write_roots,
            allow_programs
        );
    }
}

/// Everything merged, before compiling.
#[derive(Default)]
struct Acc {
    on_allow: Option<(usize, Spanned<OnAllow>)>,
    audit_log: Option<(usize, Spanned<String>)>,
    read_roots: Option<(usize, Spanned<Vec<String>>)>,
    write_roots: Option<(usize, Spanned<Vec<String>>)>,
    allow_hosts: Option<(usize, Spanned<Vec<String>>)>,
    unlisted: Option<(usize, Spanned<RuleDecision>)>,
    scan_prompts: Option<(usize, Spanned<bool>)>,
    secret_input: Option<(usize, Spanned<RuleDecision>)>,
    secret_rules: Vec<(usize, std::ops::Range<usize>, toml::Value)>,
    profiles: BTreeMap<String, ProfileAcc>,
    /// Rules in order; later trusted layers replace earlier ones of the same id (the old slot
    /// is emptied, the new rule goes last).
    rules: Vec<Option<(usize, RawRule)>>,
    /// Where each trusted rule id sits in `rules`: finding the one to replace is a lookup, not
    /// a scan of every rule so far.
    rule_slots: HashMap<String, usize>,
    project_read_roots: Option<(usize, Spanned<Vec<String>>)>,
    project_write_roots: Option<(usize, Spanned<Vec<String>>)>,
    project_hosts: Option<(usize, Spanned<Vec<String>>)>,
    project_profiles: BTreeMap<String, ProfileAcc>,
}

fn parse(src: &Source) -> Result<RawPolicy, PolicyError> {
    let raw: RawPolicy = toml::from_str(&src.text).map_err(|e| {
        let msg = e.message().to_string();
        src.error(e.span(), msg)
    })?;
    match &raw.version {
        None => {
            return Err(src.error(
                Some(0..0),
                format!("missing `version = {SCHEMA_VERSION}` at the top of the policy"),
            ))
        }
        Some(v) if *v.get_ref() != SCHEMA_VERSION => {
            return Err(src.error(
                Some(v.span()),
                format!(
                    "unsupported policy version {} (this blastwall reads version {SCHEMA_VERSION})",
                    v.get_ref()
                ),
            ))
        }
        Some(_) => {}
    }
    Ok(raw)
}

impl Acc {
    /// Detector rules from any layer only ever add detection, so every layer's are kept.
    fn add_secret_rules(&mut self, si: usize, rules: Spanned<Vec<toml::Value>>) {
        let span = rules.span();
        self.secret_rules.extend(
            rules
                .into_inner()
                .into_iter()
                .map(|r| (si, span.clone(), r)),
        );
    }

    fn overlay_trusted(&mut self, si: usize, src: &Source, raw: RawPolicy) {
        if raw.inherit.as_ref().is_some_and(|i| !*i.get_ref()) {
            *self = Acc::default();
        }
        macro_rules! set {
            ($dst:ident, $val:expr) => {
                if let Some(v) = $val {
                    self.$dst = Some((si, v));
                }
            };
        }
        if let Some(s) = raw.settings {
            set!(on_allow, s.on_allow);
            set!(audit_log, s.audit_log);
        }
        if let Some(p) = raw.paths {
            set!(read_roots, p.read_roots);
            set!(write_roots, p.write_roots);
        }
        if let Some(n) = raw.network {
            set!(allow_hosts, n.allow_hosts);
            set!(unlisted, n.unlisted);
        }
        if let Some(s) = raw.secrets {
            set!(scan_prompts, s.scan_prompts);
            set!(secret_input, s.tool_input);
            if let Some(rules) = s.rules {
                self.add_secret_rules(si, rules);
            }
        }
        for (name, p) in raw.profiles {
            self.profiles.entry(name).or_default().overlay(si, src, p);
        }
        for r in raw.rules {
            if let Some(old) = self
                .rule_slots
                .insert(r.id.get_ref().clone(), self.rules.len())
            {
                if let Some(slot) = self.rules.get_mut(old) {
                    *slot = None;
                }
            }
            self.rules.push(Some((si, r)));
        }
    }

    /// The project layer: every key may only make the policy stricter.
    fn overlay_project(
        &mut self,
        si: usize,
        src: &Source,
        raw: RawPolicy,
    ) -> Result<(), PolicyError> {
        if let Some(i) = &raw.inherit {
            return Err(src.error(
                Some(i.span()),
                "a project policy cannot set `inherit`: it always builds on the trusted layers",
            ));
        }
        if let Some(s) = raw.settings {
            if let Some(v) = s.on_allow {
                // Tightening only: a project may turn auto-approval off, never on.
                if *v.get_ref() == OnAllow::None {
                    self.on_allow = Some((si, v));
                }
            }
            if let Some(v) = s.audit_log {
                return Err(src.error(Some(v.span()), "a project policy cannot move the audit log"));
            }
        }
        if let Some(p) = raw.paths {
            if let Some(v) = p.read_roots {
                self.project_read_roots = Some((si, v));
            }
            if let Some(v) = p.write_roots {
                self.project_write_roots = Some((si, v));
            }
        }
        if let Some(n) = raw.network {
            if let Some(v) = n.allow_hosts {
                self.project_hosts = Some((si, v));
            }
            if let Some(v) = n.unlisted {
                if *v.get_ref() == RuleDecision::Deny {
                    self.unlisted = Some((si, v));
                }
            }
        }
        if let Some(s) = raw.secrets {
            if let Some(v) = s.scan_prompts {
                if *v.get_ref() {
                    self.scan_prompts = Some((si, v));
                }
            }
            if let Some(v) = s.tool_input {
                if *v.get_ref() == RuleDecision::Deny {
                    self.secret_input = Some((si, v));
                }
            }
            if let Some(rules) = s.rules {
                self.add_secret_rules(si, rules);
            }
        }
        for (name, p) in raw.profiles {
            self.project_profiles
                .entry(name)
                .or_default()
                .overlay(si, src, p);
        }
        for r in raw.rules {
            if r.enabled == Some(false) {
                return Err(src.error(
                    Some(r.id.span()),
                    "a project policy cannot switch rules off",
                ));
            }
            // A project rule never replaces a trusted rule of the same id: both apply.
            self.rules.push(Some((si, r)));
        }
        Ok(())
    }
}

impl Policy {
    /// The embedded default alone.
    pub fn embedded(env: &PathEnv) -> Result<Policy, PolicyError> {
        Policy::from_sources(&[Source::embedded()], env)
    }

    /// Merge, validate and compile the given layers (the embedded default must be first).
    pub fn from_sources(sources: &[Source], env: &PathEnv) -> Result<Policy, PolicyError> {
        let mut acc = Acc::default();
        let mut project = Vec::new();
        for (si, src) in sources.iter().enumerate() {
            let raw = parse(src)?;
            if src.kind.trusted() {
                acc.overlay_trusted(si, src, raw);
            } else {
                project.push((si, raw));
            }
        }
        for (si, raw) in project {
            if let Some(src) = sources.get(si) {
                acc.overlay_project(si, src, raw)?;
            }
        }
        compile(acc, sources, env)
    }
}

fn src_of(sources: &[Source], si: usize) -> Result<&Source, PolicyError> {
    sources.get(si).ok_or_else(|| PolicyError::Invalid {
        file: "<internal>".into(),
        line: 0,
        col: 0,
        message: "layer index out of range".into(),
    })
}

fn val<T: Clone>(
    sources: &[Source],
    v: &Option<(usize, Spanned<T>)>,
) -> Result<Option<Val<T>>, PolicyError> {
    match v {
        None => Ok(None),
        Some((si, s)) => Ok(Some(Val {
            value: s.get_ref().clone(),
            loc: src_of(sources, *si)?.loc(s.span()),
        })),
    }
}

fn roots(
    sources: &[Source],
    v: &Option<(usize, Spanned<Vec<String>>)>,
    env: &PathEnv,
) -> Result<Option<Roots>, PolicyError> {
    match v {
        None => Ok(None),
        Some((si, s)) => Ok(Some(Roots::compile(src_of(sources, *si)?, s, env)?)),
    }
}

fn rule_decision(d: RuleDecision) -> Decision {
    match d {
        RuleDecision::Deny => Decision::Deny,
        RuleDecision::Ask => Decision::Ask,
    }
}

fn compile_profile(
    name: &str,
    p: &ProfileAcc,
    sources: &[Source],
    env: &PathEnv,
    project: bool,
    main: Option<&Profile>,
) -> Result<Profile, PolicyError> {
    let src = src_of(sources, p.src.unwrap_or(0))?;
    let loc = p.loc.clone().unwrap_or(Loc {
        file: src.name.clone(),
        line: 0,
    });
    let when = match &p.when {
        Some((si, span, w)) => When::compile(src_of(sources, *si)?, span.clone(), w, env)?,
        None => When::default(),
    };
    let is_main = name == MAIN_PROFILE && !project;
    if is_main && !when.is_empty() {
        return Err(src.error(
            p.when.as_ref().map(|w| w.1.clone()),
            "profile `main` is the fallback for the main agent and cannot have `when`",
        ));
    }
    // A project profile named like a trusted one applies whenever that one is selected.
    if !is_main && when.is_empty() && !project {
        return Err(src.error(
            p.when.as_ref().map(|w| w.1.clone()).or(Some(0..0)),
            format!("profile `{name}` needs a `when` table (only `main` is selected without one)"),
        ));
    }
    let inherit = |own: Option<Val<Vec<String>>>, from_main: Option<&Option<Val<Vec<String>>>>| {
        own.or_else(|| from_main.and_then(|m| m.clone()))
    };
    let mut prof = Profile {
        name: name.to_string(),
        loc,
        when,
        allow_tools: val(sources, &p.allow_tools)?,
        ask_tools: val(sources, &p.ask_tools)?,
        read_roots: roots(sources, &p.read_roots, env)?,
        write_roots: roots(sources, &p.write_roots, env)?,
        allow_programs: val(sources, &p.allow_programs)?,
        project,
    };
    if !project {
        // Trusted profiles inherit from `main` every key they do not set.
        prof.allow_tools = inherit(prof.allow_tools, main.map(|m| &m.allow_tools));
        prof.ask_tools = inherit(prof.ask_tools, main.map(|m| &m.ask_tools));
        prof.allow_programs = inherit(prof.allow_programs, main.map(|m| &m.allow_programs));
        if prof.read_roots.is_none() {
            prof.read_roots = main.and_then(|m| m.read_roots.clone());
        }
        if prof.write_roots.is_none() {
            prof.write_roots = main.and_then(|m| m.write_roots.clone());
        }
    }
    Ok(prof)
}

fn compile_rule(
    si: usize,
    r: &RawRule,
    sources: &[Source],
    lines: Option<&Lines>,
    env: &PathEnv,
) -> Result<Rule, PolicyError> {
    let src = src_of(sources, si)?;
    let check = needs_check(src, env);
    let span = Some(r.id.span());
    let id = r.id.get_ref().trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(src.error(
            span,
            format!(
                "rule id `{id}` must be non-empty and use only letters, digits, `-`, `_`, `.`, `:`"
            ),
        ));
    }
    let paths = match &r.paths {
        Some(p) => Some(PathGlobs::new(path_globs(
            src,
            span.clone(),
            p,
            env,
            check,
        )?)),
        None => None,
    };
    let except = match &r.except {
        Some(p) => Some(PathGlobs::new(path_globs(
            src,
            span.clone(),
            p,
            env,
            check,
        )?)),
        None => None,
    };
    if except.is_some() && paths.is_none() {
        return Err(src.error(span, "`except` needs `paths`"));
    }
    if r.access.is_some() && paths.is_none() {
        return Err(src.error(span, "`access` needs `paths`"));
    }
    let input_regex = match &r.input_regex {
        Some(re) => Some(if check {
            crate::pattern::LazyRegex::new(re)
                .map_err(|e| src.error(span.clone(), format!("bad input_regex: {e}")))?
        } else {
            crate::pattern::LazyRegex::unchecked(re)
        }),
        None => None,
    };
    if r.tools.is_none()
        && paths.is_none()
        && r.hosts.is_none()
        && input_regex.is_none()
        && r.command.is_none()
    {
        return Err(src.error(span, "a rule needs at least one of `tools`, `paths`, `hosts`, `input_regex`, `command` (a rule that matches every call is almost certainly a mistake)"));
    }
    let command_patterns = match &r.command {
        Some(v) => Some(
            crate::pattern::CommandPattern::compile_value_with(v, check)
                .map_err(|e| src.error(span.clone(), format!("bad `command` pattern: {e}")))?,
        ),
        None => None,
    };
    if r.reason.trim().is_empty() {
        return Err(src.error(span, "a rule needs a `reason` the user can act on"));
    }
    Ok(Rule {
        id: Arc::from(id),
        decision: rule_decision(*r.decision.get_ref()),
        reason: r.reason.clone(),
        loc: match lines {
            Some(l) => Loc {
                file: src.name.clone(),
                line: l.line(r.id.span().start),
            },
            None => src.loc(r.id.span()),
        },
        profiles: r.profiles.clone(),
        tools: r.tools.clone(),
        paths,
        except,
        access: r.access.unwrap_or(Access::Any),
        hosts: r
            .hosts
            .as_ref()
            .map(|h| h.iter().map(|x| x.to_ascii_lowercase()).collect()),
        input_regex,
        command_patterns,
        project: !src.kind.trusted(),
    })
}

fn compile(acc: Acc, sources: &[Source], env: &PathEnv) -> Result<Policy, PolicyError> {
    let main_acc = acc.profiles.get(MAIN_PROFILE).ok_or_else(|| {
        let last = sources
            .last()
            .map(|s| s.name.to_string())
            .unwrap_or_default();
        PolicyError::Invalid {
            file: last,
            line: 0,
            col: 0,
            message: "no `[profiles.main]`: the main agent needs a profile".into(),
        }
    })?;
    let mut main = compile_profile(MAIN_PROFILE, main_acc, sources, env, false, None)?;
    if main.allow_tools.is_none() {
        return Err(src_of(sources, main_acc.src.unwrap_or(0))?.error(
            None,
            "profile `main` needs `allow_tools` (default-deny: an empty list denies every tool)",
        ));
    }
    // Global roots apply to profiles that do not set their own.
    let read_roots = roots(sources, &acc.read_roots, env)?;
    let write_roots = roots(sources, &acc.write_roots, env)?;
    if main.read_roots.is_none() {
        main.read_roots = read_roots.clone();
    }
    if main.write_roots.is_none() {
        main.write_roots = write_roots.clone();
    }
    let mut profiles = Vec::with_capacity(acc.profiles.len());
    for (name, p) in &acc.profiles {
        if name != MAIN_PROFILE {
            profiles.push(compile_profile(name, p, sources, env, false, Some(&main))?);
        }
    }
    profiles.insert(0, main);
    let mut project_profiles = Vec::new();
    for (name, p) in &acc.project_profiles {
        let mut prof = compile_profile(name, p, sources, env, true, None)?;
        if prof.when.is_empty() && !acc.profiles.contains_key(name) {
            let src = src_of(sources, p.src.unwrap_or(0))?;
            return Err(src.error(
                None,
                format!("project profile `{name}` names no trusted profile and has no `when`"),
            ));
        }
        prof.project = true;
        project_profiles.push(prof);
    }
    let lines: Vec<Lines> = sources.iter().map(|s| Lines::new(&s.text)).collect();
    let mut rules = Vec::with_capacity(acc.rules.len());
    for (si, r) in acc.rules.iter().flatten() {
        if r.enabled == Some(false) {
            continue;
        }
        rules.push(compile_rule(*si, r, sources, lines.get(*si), env)?);
    }
    let unlisted = match &acc.unlisted {
        Some((si, v)) => Val {
            value: rule_decision(*v.get_ref()),
            loc: src_of(sources, *si)?.loc(v.span()),
        },
        None => Val {
            value: Decision::Ask,
            loc: Loc {
                file: Arc::from(EMBEDDED_NAME),
                line: 0,
            },
        },
    };
    let tool_input = match &acc.secret_input {
        Some((si, v)) => Val {
            value: rule_decision(*v.get_ref()),
            loc: src_of(sources, *si)?.loc(v.span()),
        },
        None => Val {
            value: Decision::Deny,
            loc: Loc {
                file: Arc::from(EMBEDDED_NAME),
                line: 0,
            },
        },
    };
    let mut extra_rules = Vec::new();
    let mut custom = Vec::new();
    for (si, span, v) in acc.secret_rules {
        let src = src_of(sources, si)?;
        let rule: crate::secrets::CustomRule =
            v.clone().try_into().map_err(|e: toml::de::Error| {
                src.error(
                    Some(span.clone()),
                    format!("bad secret rule: {}", e.message()),
                )
            })?;
        custom.push(rule.clone());
        extra_rules.push(Val {
            value: rule,
            loc: src.loc(span),
        });
    }
    let custom_detector = if custom.is_empty() {
        None
    } else {
        let loc = extra_rules.first().map(|v| v.loc.clone());
        Some(
            crate::secrets::Detector::with_extra_rules(custom).map_err(|e| {
                PolicyError::Invalid {
                    file: loc.as_ref().map(|l| l.file.to_string()).unwrap_or_default(),
                    line: loc.as_ref().map(|l| l.line).unwrap_or(0),
                    col: 1,
                    message: e.to_string(),
                }
            })?,
        )
    };
    let audit_log = match &acc.audit_log {
        Some((si, v)) if !v.get_ref().is_empty() => {
            Some(PathBuf::from(env.expand(v.get_ref()).map_err(|e| {
                sources
                    .get(*si)
                    .map(|s| s.error(Some(v.span()), e.to_string()))
                    .unwrap_or_else(|| PolicyError::Unreadable {
                        file: String::new(),
                        message: e.to_string(),
                    })
            })?))
        }
        Some(_) => None,
        None => default_audit_log(env),
    };
    let lower = |v: Option<Val<Vec<String>>>| {
        v.map(|mut v| {
            v.value.iter_mut().for_each(|h| *h = h.to_ascii_lowercase());
            v
        })
    };
    Ok(Policy {
        on_allow: acc
            .on_allow
            .as_ref()
            .map(|(_, v)| *v.get_ref())
            .unwrap_or(OnAllow::None),
        audit_log,
        project_read_roots: roots(sources, &acc.project_read_roots, env)?,
        project_write_roots: roots(sources, &acc.project_write_roots, env)?,
        read_roots,
        write_roots,
        network: Network {
            allow_hosts: lower(val(sources, &acc.allow_hosts)?),
            unlisted,
            project_hosts: lower(val(sources, &acc.project_hosts)?),
        },
        secrets: SecretsSettings {
            scan_prompts: acc
                .scan_prompts
                .as_ref()
                .map(|(_, v)| *v.get_ref())
                .unwrap_or(true),
            tool_input,
            extra_rules,
            custom_detector,
        },
        profiles,
        project_profiles,
        rules: rules::RuleSet::new(rules),
        layers: sources.iter().map(|s| (s.kind, s.name.clone())).collect(),
    })
}

/// `$XDG_STATE_HOME/blastwall/audit.jsonl`, else `~/.local/state/blastwall/audit.jsonl`.
fn default_audit_log(env: &PathEnv) -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env.home.as_ref().map(|h| h.join(".local/state")))
        .map(|d| d.join("blastwall/audit.jsonl"))
}

impl Policy {
    /// The profiles that judge a call: every trusted profile whose `when` matches (the main
    /// profile when none does), plus every project profile that applies. The call is judged
    /// under each and the strictest answer wins, so adding a profile can never loosen anything.
    pub fn select(&self, facts: &Facts<'_>) -> Vec<&Profile> {
        let mut out: Vec<&Profile> = self
            .profiles
            .iter()
            .skip(1)
            .filter(|p| p.when.matches(facts))
            .collect();
        if out.is_empty() {
            out.extend(self.profiles.first());
        }
        let chosen: Vec<String> = out.iter().map(|p| p.name.clone()).collect();
        for p in &self.project_profiles {
            let applies = if p.when.is_empty() {
                chosen.contains(&p.name)
            } else {
                p.when.matches(facts)
            };
            if applies {
                out.push(p);
            }
        }
        out
    }

    pub fn main_profile(&self) -> Option<&Profile> {
        self.profiles.first()
    }
}

#[cfg(test)]
pub(crate) mod tests;
