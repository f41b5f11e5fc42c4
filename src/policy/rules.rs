//! The policy's rules, and which of them a call can reach.
//!
//! A call needs only the rules that can apply to its tool (and, for Bash command patterns, to
//! the programs it runs). A freshly compiled policy holds every rule. One read from the
//! compiled-policy cache (`policy::cache`) holds them encoded, next to an index of each rule's
//! [`Kind`] and the literal prefix of each of its tool (or program) patterns, and decodes a rule
//! the first time a call reaches it: start-up does not grow with rules the event does not
//! touch (10,000 rules cost what the default does).
//!
//! What belongs here: the two stores, the index, the encoded layout. What does not: what a
//! rule means (the engine and the Bash judge).
//!
//! Soundness: [`RuleSet::reachable`] may return more rules than apply (callers still check
//! `Rule::applies_to` and the rule's conditions), never fewer. A pattern can only match names
//! that start with its literal prefix (the text before the first `*` or `?`; matching is
//! case-sensitive), so looking up every prefix of the name finds every rule whose pattern
//! could match it; a rule without tool patterns is indexed under the empty prefix. A rule that
//! cannot be decoded marks the set damaged, and the engine then denies the call.
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::Rule;
use crate::loc::with_files;

/// Which checks read a rule, by the conditions it has. Every rule has exactly one kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Kind {
    /// Paths only (and tools): checked for every path a call touches.
    Path,
    /// Hosts only (and tools): checked for every host a call contacts.
    Host,
    /// Tools only, an input regex, or several conditions together: checked once per call.
    Other,
    /// A Bash command pattern: checked by the Bash judge for every command; indexed by the
    /// patterns' program names instead of tool names.
    Command,
}

impl Kind {
    pub fn of(rule: &Rule) -> Kind {
        if rule.command_patterns.is_some() {
            Kind::Command
        } else if rule.paths.is_some() && rule.hosts.is_none() && rule.input_regex.is_none() {
            Kind::Path
        } else if rule.hosts.is_some() && rule.paths.is_none() && rule.input_regex.is_none() {
            Kind::Host
        } else {
            Kind::Other
        }
    }

    fn code(self) -> u32 {
        match self {
            Kind::Path => 0,
            Kind::Host => 1,
            Kind::Other => 2,
            Kind::Command => 3,
        }
    }
}

/// The text of a wildcard pattern before its first `*` or `?`.
fn literal_prefix(pattern: &str) -> &str {
    pattern
        .find(['*', '?'])
        .and_then(|i| pattern.get(..i))
        .unwrap_or(pattern)
}

/// The names a rule is indexed under: program patterns for command rules, tool patterns for
/// the others (the empty prefix when a rule names no tool: it reaches every tool).
fn index_keys(rule: &Rule) -> Vec<&str> {
    match (&rule.command_patterns, &rule.tools) {
        (Some(patterns), _) => patterns
            .iter()
            .flat_map(|p| p.programs().iter().map(|s| literal_prefix(s)))
            .collect(),
        (None, Some(tools)) => tools.iter().map(|s| literal_prefix(s)).collect(),
        (None, None) => vec![""],
    }
}

/// The rules of a policy.
pub struct RuleSet {
    store: Store,
}

enum Store {
    Compiled(Vec<Rule>),
    Encoded(Encoded),
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            store: Store::Compiled(rules),
        }
    }

    pub fn len(&self) -> usize {
        match &self.store {
            Store::Compiled(r) => r.len(),
            Store::Encoded(e) => e.decoded.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every rule, in policy order (decoding all of an encoded set: for lint, explain, tests).
    pub fn iter(&self) -> Box<dyn Iterator<Item = &Rule> + '_> {
        match &self.store {
            Store::Compiled(r) => Box::new(r.iter()),
            Store::Encoded(e) => Box::new((0..e.decoded.len()).filter_map(|i| e.get(i))),
        }
    }

    /// The rules of the given kinds that may apply to `name` (a tool name; a program name for
    /// [`Kind::Command`]), in policy order. A superset: callers check each rule.
    pub fn reachable<'a>(
        &'a self,
        kinds: &'a [Kind],
        name: &str,
    ) -> Box<dyn Iterator<Item = &'a Rule> + 'a> {
        match &self.store {
            Store::Compiled(r) => Box::new(r.iter().filter(|r| kinds.contains(&Kind::of(r)))),
            Store::Encoded(e) => {
                let ids = e.memoised_candidates(kinds, name);
                Box::new((0..ids.len()).filter_map(move |k| e.get(*ids.get(k)?)))
            }
        }
    }

    /// Whether a rule could not be decoded: the engine denies the call (fail closed).
    pub fn is_damaged(&self) -> bool {
        match &self.store {
            Store::Compiled(_) => false,
            Store::Encoded(e) => e.damaged.load(Ordering::Relaxed),
        }
    }
}

impl<'a> IntoIterator for &'a RuleSet {
    type Item = &'a Rule;
    type IntoIter = Box<dyn Iterator<Item = &'a Rule> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The encoded form. Layout (little-endian `u32`s), built by [`encode`]:
///
/// ```text
/// n_rules n_index files_offset files_len
/// n_rules × (offset, len)            each rule's postcard bytes in the data area
/// n_index × (kind, offset, len, rule) sorted by (kind, key bytes, rule); the key in the data area
/// data area                           rules, keys, and the file names (postcard list)
/// ```
struct Encoded {
    /// The buffer the section lives in (a whole cache entry: it is not copied out) and where
    /// the section starts and ends in it.
    buffer: Vec<u8>,
    range: std::ops::Range<usize>,
    n_index: usize,
    data_at: usize,
    /// The file names the rules' locations refer to by number.
    files: Vec<Arc<str>>,
    decoded: Vec<OnceLock<Option<Box<Rule>>>>,
    damaged: AtomicBool,
    /// Lookups already made, by (kinds, name): a compound command checks every path it
    /// touches against the path rules, and every command's program, so the same lookup comes
    /// back tens of times in one call. At most [`MEMO_ENTRIES`], searched in order.
    memo: Mutex<Vec<Lookup>>,
}

/// One remembered lookup: the kinds, the name, and the rule numbers found.
type Lookup = (Vec<Kind>, Box<str>, Arc<[usize]>);

const MEMO_ENTRIES: usize = 64;

const HEADER: usize = 16;
const RULE_ENTRY: usize = 8;
const INDEX_ENTRY: usize = 16;

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn usize_at(bytes: &[u8], at: usize) -> Option<usize> {
    u32_at(bytes, at).and_then(|v| usize::try_from(v).ok())
}

impl Encoded {
    fn parse(buffer: Vec<u8>, range: std::ops::Range<usize>) -> Option<Encoded> {
        let bytes = buffer.get(range.clone())?;
        let n_rules = usize_at(bytes, 0)?;
        let n_index = usize_at(bytes, 4)?;
        let data_at = HEADER
            .checked_add(n_rules.checked_mul(RULE_ENTRY)?)?
            .checked_add(n_index.checked_mul(INDEX_ENTRY)?)?;
        if data_at > bytes.len() {
            return None;
        }
        let files_at = data_at.checked_add(usize_at(bytes, 8)?)?;
        let names = bytes.get(files_at..files_at.checked_add(usize_at(bytes, 12)?)?)?;
        let files = match postcard::take_from_bytes::<Vec<String>>(names) {
            Ok((names, [])) => names.into_iter().map(Arc::from).collect(),
            _ => return None,
        };
        let mut decoded = Vec::with_capacity(n_rules);
        decoded.resize_with(n_rules, OnceLock::new);
        Some(Encoded {
            buffer,
            range,
            n_index,
            data_at,
            files,
            decoded,
            damaged: AtomicBool::new(false),
            memo: Mutex::new(Vec::new()),
        })
    }

    /// The section (empty if the range were out of bounds, which `parse` excludes).
    fn bytes(&self) -> &[u8] {
        self.buffer.get(self.range.clone()).unwrap_or_default()
    }

    fn data(&self, offset: usize, len: usize) -> Option<&[u8]> {
        let start = self.data_at.checked_add(offset)?;
        self.bytes().get(start..start.checked_add(len)?)
    }

    fn get(&self, i: usize) -> Option<&Rule> {
        let slot = self.decoded.get(i)?;
        let rule = slot.get_or_init(|| {
            let at = HEADER + i * RULE_ENTRY;
            let rule = usize_at(self.bytes(), at)
                .zip(usize_at(self.bytes(), at + 4))
                .and_then(|(off, len)| self.data(off, len))
                .and_then(|b| {
                    let (decoded, _) =
                        with_files(self.files.clone(), || postcard::take_from_bytes::<Rule>(b));
                    match decoded {
                        Ok((rule, [])) => Some(Box::new(rule)),
                        _ => None,
                    }
                });
            if rule.is_none() {
                self.damaged.store(true, Ordering::Relaxed);
            }
            rule
        });
        rule.as_deref()
    }

    fn index_entry(&self, j: usize) -> Option<(u32, &[u8], usize)> {
        let at = HEADER + self.decoded.len() * RULE_ENTRY + j * INDEX_ENTRY;
        let bytes = self.bytes();
        let kind = u32_at(bytes, at)?;
        let key = self.data(usize_at(bytes, at + 4)?, usize_at(bytes, at + 8)?)?;
        Some((kind, key, usize_at(bytes, at + 12)?))
    }

    /// [`Encoded::candidates`], remembered (a poisoned memo is only bypassed).
    fn memoised_candidates(&self, kinds: &[Kind], name: &str) -> Arc<[usize]> {
        let found = self.memo.lock().ok().and_then(|memo| {
            memo.iter()
                .find(|(k, n, _)| k.as_slice() == kinds && &**n == name)
                .map(|(_, _, ids)| Arc::clone(ids))
        });
        if let Some(ids) = found {
            return ids;
        }
        let ids: Arc<[usize]> = self.candidates(kinds, name).into();
        if let Ok(mut memo) = self.memo.lock() {
            if memo.len() < MEMO_ENTRIES {
                memo.push((kinds.to_vec(), name.into(), Arc::clone(&ids)));
            }
        }
        ids
    }

    /// Rule numbers indexed under `(kind, prefix)` for every kind and every prefix of `name`,
    /// sorted and without duplicates.
    fn candidates(&self, kinds: &[Kind], name: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let prefixes = name
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(name.len()))
            .filter_map(|i| name.get(..i));
        for prefix in prefixes {
            for kind in kinds {
                let want = (kind.code(), prefix.as_bytes());
                // First entry not below `want`.
                let (mut lo, mut hi) = (0, self.n_index);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    match self.index_entry(mid) {
                        Some((k, key, _)) if (k, key) < want => lo = mid + 1,
                        Some(_) => hi = mid,
                        None => {
                            self.damaged.store(true, Ordering::Relaxed);
                            return out;
                        }
                    }
                }
                let mut j = lo;
                while let Some((k, key, rule)) = self.index_entry(j) {
                    if (k, key) != want {
                        break;
                    }
                    out.push(rule);
                    j += 1;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The encoded form of `rules` (see [`Encoded`]).
fn encode(rules: &[Rule]) -> Result<Vec<u8>, postcard::Error> {
    let mut data = Vec::new();
    let mut table = Vec::with_capacity(rules.len());
    let mut index = Vec::new();
    let len32 = |n: usize| u32::try_from(n).map_err(|_| postcard::Error::SerializeBufferFull);
    let mut files = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let (bytes, names) = with_files(files, || postcard::to_allocvec(rule));
        files = names;
        let bytes = bytes?;
        table.push((len32(data.len())?, len32(bytes.len())?));
        data.extend_from_slice(&bytes);
        let mut keys = index_keys(rule);
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            index.push((Kind::of(rule).code(), key, len32(i)?));
        }
    }
    index.sort_unstable();
    let mut out = Vec::with_capacity(
        HEADER + table.len() * RULE_ENTRY + index.len() * INDEX_ENTRY + data.len(),
    );
    let names: Vec<&str> = files.iter().map(|f| &**f).collect();
    let names = postcard::to_allocvec(&names)?;
    let keys_len: usize = index.iter().map(|(_, key, _)| key.len()).sum();
    out.extend_from_slice(&len32(rules.len())?.to_le_bytes());
    out.extend_from_slice(&len32(index.len())?.to_le_bytes());
    out.extend_from_slice(&len32(data.len() + keys_len)?.to_le_bytes());
    out.extend_from_slice(&len32(names.len())?.to_le_bytes());
    for (off, len) in &table {
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    // Keys go after the rules in the data area.
    let mut keys = Vec::new();
    for (kind, key, rule) in &index {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&len32(data.len() + keys.len())?.to_le_bytes());
        out.extend_from_slice(&len32(key.len())?.to_le_bytes());
        out.extend_from_slice(&rule.to_le_bytes());
        keys.extend_from_slice(key.as_bytes());
    }
    out.extend_from_slice(&data);
    out.extend_from_slice(&keys);
    out.extend_from_slice(&names);
    Ok(out)
}

impl RuleSet {
    /// The encoded section, as the compiled-policy cache stores it (see [`Encoded`]).
    pub fn encoded(&self) -> Result<Vec<u8>, postcard::Error> {
        match &self.store {
            Store::Compiled(rules) => encode(rules),
            Store::Encoded(e) => Ok(e.bytes().to_vec()),
        }
    }

    /// A set over the section at `range` of `buffer` (a cache entry read whole: the section is
    /// not copied out of it). `None` when its tables do not fit.
    pub fn from_encoded(buffer: Vec<u8>, range: std::ops::Range<usize>) -> Option<RuleSet> {
        Encoded::parse(buffer, range).map(|e| RuleSet {
            store: Store::Encoded(e),
        })
    }
}

impl Default for RuleSet {
    fn default() -> RuleSet {
        RuleSet::new(Vec::new())
    }
}

#[cfg(test)]
mod tests;
