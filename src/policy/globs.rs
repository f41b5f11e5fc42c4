//! Path globs: a policy path pattern expanded into the globs it stands for
//! ([`path_globs`]), and [`PathGlobs`], a set compiled only when a call needs it, behind a
//! prefilter of literal runs ([`PathProbe`], `Literals`) that rules most sets out without
//! building a matcher.
//!
//! What belongs here: pattern expansion and matching. What does not: what a rule does with a
//! match (`model`, the engine) or how a set is stored in the cache (`repr`).
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::source::{PolicyError, Source};
use crate::paths::PathEnv;

/// A set of path globs, parsed at load (so errors point at the file) and compiled into a
/// matcher only when a call first needs it: start-up does not grow with rules the event does
/// not touch.
pub struct PathGlobs {
    /// The patterns. Read from the compiled-policy cache they stay in `encoded` until a set
    /// must be built: most calls only need the literal runs, and decoding a thousand pattern
    /// strings per call was most of what a policy with 1,000 globs cost.
    pub(super) patterns: OnceLock<Vec<String>>,
    pub(super) encoded: Vec<u8>,
    /// Per pattern, its literal runs (see [`literals`]): computed when the policy is
    /// compiled and kept in the compiled-policy cache, so a call only searches for them.
    pub(super) literals: Literals,
    pub(super) set: OnceLock<Option<GlobSet>>,
}

impl std::fmt::Debug for PathGlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PathGlobs")
            .field("patterns", &self.patterns())
            .finish()
    }
}

impl PathGlobs {
    pub(super) fn new(patterns: Vec<String>) -> PathGlobs {
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

    pub(super) fn build(patterns: &[String]) -> Result<GlobSet, globset::Error> {
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
pub(super) fn anchor_head(text: &[u8]) -> (u64, u64) {
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
pub(super) struct Literals {
    pub(super) table: Vec<u8>,
    pub(super) text: String,
}

const NOT_ANALYSED: u32 = u32::MAX;
const PATTERN_FIELDS: usize = 6;
const RUN_FIELDS: usize = 4;

/// Bit `b % 64` for every byte `b` of `text`: a necessary condition for one text to occur in
/// another is that its mask is a subset of the other's.
pub(super) fn byte_mask(text: &[u8]) -> u64 {
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

/// A necessary condition for `pattern` (a glob as [`glob`] builds it) to match `path`: every
/// run of literal characters in the pattern, cut at wildcards and at `/`, occurs in the path.
/// Cutting at `/` keeps it sound for `**`, which may match no directory at all. Patterns with
/// classes, alternatives or escapes (`[`, `{`, `\`) are not analysed: they may match.
#[cfg(test)]
pub(super) fn could_match(pattern: &str, path: &str) -> bool {
    literals(pattern).is_none_or(|l| l.iter().all(|lit| path.contains(lit)))
}

/// The literal runs of a pattern for [`could_match`], last first (the file name end of a
/// pattern is the part least likely to occur in an unrelated path, so a miss is found with one
/// search); `None` for patterns that are not analysed.
pub(super) fn literals(pattern: &str) -> Option<Vec<&str>> {
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

pub(super) fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// Turn a policy path pattern into the globs it stands for: variables expanded; a bare name
/// (`*.pem`) matches at any depth; a pattern also covers everything below what it names.
pub(super) fn path_globs(
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
pub(super) fn real_path(dir: &Path) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests;
