//! The compiled-policy cache: a hook process starts from the policy as it was last compiled
//! instead of parsing and validating every layer again.
//!
//! Parsing TOML with spans and checking every regex and glob is most of what a hook call
//! costs, and it grows with the policy (10,000 rules took 0.13 s per call). The result only
//! changes when an input changes, so the real hook (`blastwall hook`, never `replay`,
//! `explain` or `lint`, which always compile afresh) keeps the compiled [`Policy`] in
//! blastwall's state directory (`crate::dirs`: `$XDG_STATE_HOME/blastwall/cache/`, else
//! `~/.local/state/blastwall/cache/`), one file per project and set of layer paths.
//!
//! What belongs here: the key (everything a compiled policy depends on), reading and writing
//! entries. What does not: the policy's meaning (the types serialise themselves).
//!
//! # The key
//!
//! An entry is used only when its stored key equals the key computed now, byte for byte:
//! the cache format, the crate version, a hash of the embedded default and one of the key
//! table (`keys::SCHEMA`); the running binary
//! (device, inode, size, mtime); every layer path with its file's identity (device, inode,
//! size, mode, mtime and ctime in nanoseconds) or its absence; `HOME`, the project, the temp
//! dir and the symlink-resolved forms of the three (patterns cover both spellings); the
//! binary's path (`${BLASTWALL}`); `XDG_STATE_HOME` and `XDG_CONFIG_HOME` (the default audit
//! log, and the directories `guard-files` protects); and the event's
//! `cwd` when a layer mentions `CWD`/`PWD`. A file cannot be changed without changing its
//! ctime, which user space cannot set, so an edited policy always misses.
//!
//! # Failing closed
//!
//! Any problem with the cache (missing, unreadable, truncated, written by another build,
//! writable by others, a key that differs) means the layers are parsed as usual; a cache
//! never turns an error into a policy. Only a policy that compiled is stored, so a broken
//! policy is still reported on every call. An entry is not written while a layer file is
//! younger than [`SETTLE`]: timestamps are coarse, and a file rewritten twice within one tick
//! with the same size would otherwise keep a stale entry alive.
//!
//! The cache decides what is allowed, so it is protected like the policy files: the embedded
//! default's `guard-files` rule denies the agent writes anywhere below the state directory
//! (`${BLASTWALL_STATE}`, wherever `XDG_STATE_HOME` puts it) (and the entries are created `0600` in a `0700` directory; an
//! entry that others may write is ignored).
use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::rules::RuleSet;

use super::globs::real_path;
use super::{Discovery, LayerKind, Policy, PostSettings, EMBEDDED_DEFAULT};
use crate::paths::PathEnv;

/// Bumped whenever the serialised form of [`Policy`] or the key changes meaning.
const FORMAT: u32 = 14;
const MAGIC: &[u8; 8] = b"bwpolc\0\x01";
/// Entries larger than this are not read (a 10,000-rule policy compiles to about 2 MB).
const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// A layer file modified more recently than this is not cached yet (see the module doc).
pub const SETTLE: Duration = Duration::from_secs(2);

/// FNV-1a, 64 bits: stable across builds and platforms, cheap, and only ever used to name a
/// file and to fingerprint the embedded default (keys themselves are compared in full).
const fn fnv1a(mut bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    while let [first, rest @ ..] = bytes {
        h ^= *first as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        bytes = rest;
    }
    h
}

/// The embedded default's hash, computed when the binary is built.
const DEFAULT_HASH: u64 = fnv1a(EMBEDDED_DEFAULT.as_bytes());
/// The key table's hash (`keys::SCHEMA`): adding or changing a key changes what an entry
/// holds, so it changes the key too, with no `FORMAT` bump to remember.
const KEYS_HASH: u64 = fnv1a(super::keys::SCHEMA.as_bytes());

/// What identifies one version of a file without reading it.
#[derive(Serialize, PartialEq, Eq, Debug)]
struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mode: u32,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    fn of(m: &std::fs::Metadata) -> FileId {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mode: m.mode(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Whether the file last changed at least `settle` before `now` (not in the future: a
    /// clock that moved back).
    fn is_settled(&self, now: SystemTime, settle: Duration) -> bool {
        let Ok(now) = now.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(settle);
        let at = |(s, ns): (i64, i64)| {
            u64::try_from(s)
                .ok()
                .zip(u32::try_from(ns).ok())
                .map(|(s, ns)| Duration::new(s, ns))
        };
        [self.mtime, self.ctime]
            .into_iter()
            .all(|t| at(t).is_some_and(|t| t <= limit))
    }
}

/// Everything a compiled policy depends on (see the module doc).
#[derive(Serialize)]
struct Key<'a> {
    format: u32,
    version: &'static str,
    default_hash: u64,
    keys_hash: u64,
    exe: Option<(&'a Path, FileId)>,
    layers: Vec<(&'static str, &'a Path, Option<FileId>)>,
    home: Option<&'a Path>,
    project: &'a Path,
    tmpdir: &'a Path,
    real: [Option<PathBuf>; 3],
    state_home: Option<std::ffi::OsString>,
    config_home: Option<std::ffi::OsString>,
    /// Only when a layer can refer to it; most policies do not, and the cwd moves.
    cwd: Option<&'a Path>,
}

/// One cache slot, ready to be read or written.
pub struct Cache {
    path: PathBuf,
    key: Vec<u8>,
    /// Every input is old enough to be cached.
    settled: bool,
    layer_files: Vec<PathBuf>,
    cwd: PathBuf,
}

/// The cache directory, in the state directory the default's `guard-files` protects.
fn dir(env: &PathEnv) -> Option<PathBuf> {
    env.dirs().cache()
}

impl Cache {
    /// The slot for these layers, or `None` when a cache cannot be used at all (no `HOME`, a
    /// layer path that cannot be examined: the normal load then reports the error).
    pub fn new(env: &PathEnv, discovery: &Discovery) -> Option<Cache> {
        Cache::with_cwd_key(env, discovery, false, SETTLE)
    }

    fn with_cwd_key(
        env: &PathEnv,
        discovery: &Discovery,
        with_cwd: bool,
        settle: Duration,
    ) -> Option<Cache> {
        let dir = dir(env)?;
        let now = SystemTime::now();
        let mut settled = true;
        let mut layers = Vec::new();
        let mut layer_files = Vec::new();
        for (kind, path) in [
            (LayerKind::Project, &discovery.project),
            (LayerKind::User, &discovery.user),
            (LayerKind::Managed, &discovery.managed),
            (LayerKind::CommandLine, &discovery.command_line),
        ] {
            let Some(path) = path else { continue };
            let id = match std::fs::metadata(path) {
                Ok(m) => Some(FileId::of(&m)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) => return None,
            };
            if let Some(id) = &id {
                settled &= id.is_settled(now, settle);
                layer_files.push(path.clone());
            }
            layers.push((kind.as_str(), path.as_path(), id));
        }
        let exe = match &env.exe {
            Some(p) => {
                let id = FileId::of(&std::fs::metadata(p).ok()?);
                settled &= id.is_settled(now, settle);
                Some((p.as_path(), id))
            }
            None => None,
        };
        let key = Key {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION"),
            default_hash: DEFAULT_HASH,
            keys_hash: KEYS_HASH,
            exe,
            layers,
            home: env.home.as_deref(),
            project: &env.project,
            tmpdir: &env.tmpdir,
            real: [
                env.home.as_deref().and_then(real_path),
                real_path(&env.project),
                real_path(&env.tmpdir),
            ],
            state_home: std::env::var_os("XDG_STATE_HOME"),
            config_home: std::env::var_os("XDG_CONFIG_HOME"),
            cwd: with_cwd.then_some(env.cwd.as_path()),
        };
        let key = postcard::to_allocvec(&key).ok()?;
        // The slot: one per project and set of layer paths, so a changed policy replaces its
        // old entry instead of adding files.
        let slot = postcard::to_allocvec(&(
            env.home.as_deref(),
            &env.project,
            &discovery.project,
            &discovery.user,
            &discovery.managed,
            &discovery.command_line,
        ))
        .ok()?;
        Some(Cache {
            path: dir.join(format!("{:016x}.bin", fnv1a(&slot))),
            key,
            settled,
            layer_files,
            cwd: env.cwd.clone(),
        })
    }

    /// The cached policy, when the slot holds one for exactly this key.
    pub fn load(&self, env: &PathEnv, discovery: &Discovery) -> Option<Policy> {
        let bytes = read_entry(&self.path)?;
        let entry = split_entry(&bytes)?;
        let fits = self.fits(
            env,
            discovery,
            entry.uses_cwd,
            bytes.get(entry.key.clone())?,
        );
        fits.then(|| decode(bytes, entry.head, entry.rules))?
    }

    /// Whether an entry's stored key is this call's key. An entry keyed with the cwd too is
    /// compared with that key instead.
    fn fits(&self, env: &PathEnv, discovery: &Discovery, uses_cwd: bool, stored: &[u8]) -> bool {
        if uses_cwd {
            Cache::with_cwd_key(env, discovery, true, SETTLE).is_some_and(|c| stored == c.key)
        } else {
            stored == self.key
        }
    }

    /// What a call after a tool ran reads of the stored policy ([`PostSettings`]), decoded
    /// alone: only the entry's key and head are read from the file (the rule section, most of
    /// an entry, is not: fewer pages to fill), and the profiles and rules are neither decoded
    /// nor checked (the key matched, and the entry was written whole by this build). `None`
    /// as for [`Cache::load`].
    pub fn load_post(&self, env: &PathEnv, discovery: &Discovery) -> Option<PostSettings> {
        let (uses_cwd, stored, head) = read_key_and_head(&self.path)?;
        let fits = self.fits(env, discovery, uses_cwd, &stored);
        fits.then(|| decode_post(&head))?
    }

    /// Store a freshly compiled policy. Best effort: a cache that cannot be written only
    /// costs time.
    pub fn store(&self, env: &PathEnv, discovery: &Discovery, policy: &Policy) {
        if !self.settled {
            return;
        }
        let uses_cwd = self.layer_files.iter().any(|p| mentions_cwd(p));
        let key = if uses_cwd {
            match Cache::with_cwd_key(env, discovery, true, Duration::ZERO) {
                Some(c) if c.cwd == self.cwd => c.key,
                _ => return,
            }
        } else {
            self.key.clone()
        };
        let Some((head, rules)) = encode(policy) else {
            return;
        };
        let _ = write_entry(&self.path, uses_cwd, &[&key, &head, &rules]);
    }
}

/// Whether a policy file can refer to the working directory (`${CWD}`, `$PWD`).
fn mentions_cwd(path: &Path) -> bool {
    std::fs::read_to_string(path).map_or(true, |t| t.contains("CWD") || t.contains("PWD"))
}

/// The entry file at `path` and its length, when it can be trusted: written by blastwall as
/// 0600, so an entry others could have written is not, nor one too large to be ours.
fn open_entry(path: &Path) -> Option<(File, u64)> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o022 != 0 || meta.len() > MAX_ENTRY_BYTES {
        return None;
    }
    Some((file, meta.len()))
}

fn read_entry(path: &Path) -> Option<Vec<u8>> {
    let (mut file, len) = open_entry(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).ok()?);
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The flag, key and head of the entry at `path` (see [`split_entry`] for the layout), read
/// from the start of the file, trusted as [`read_entry`] trusts it; each part must lie
/// within the file.
fn read_key_and_head(path: &Path) -> Option<(bool, Vec<u8>, Vec<u8>)> {
    let (mut file, mut left) = open_entry(path)?;
    let mut take = |file: &mut File, n: u64| -> Option<Vec<u8>> {
        left = left.checked_sub(n)?;
        let mut part = vec![0; usize::try_from(n).ok()?];
        file.read_exact(&mut part).ok()?;
        Some(part)
    };
    let magic = take(&mut file, MAGIC.len() as u64 + 1)?;
    let (flag, magic) = magic.split_last()?;
    if magic != MAGIC.as_slice() {
        return None;
    }
    let mut part = |file: &mut File| -> Option<Vec<u8>> {
        let len = take(file, 8)?;
        take(file, u64::from_le_bytes(len.try_into().ok()?))
    };
    let key = part(&mut file)?;
    let head = part(&mut file)?;
    Some((*flag == 1, key, head))
}

/// Where the parts of an entry are.
struct Entry {
    uses_cwd: bool,
    key: Range<usize>,
    head: Range<usize>,
    rules: Range<usize>,
}

/// Layout: magic, a flag byte (keyed with the cwd), then the key, the policy without its rules
/// (postcard) and the rule section (`rules::RuleSet::encoded`), each as a length and bytes.
/// A truncated entry fails the length checks and nothing may follow; the head must decode
/// completely (no checksum: hashing a large entry would cost what the cache saves, and
/// entries are only ever replaced whole, by rename).
fn split_entry(bytes: &[u8]) -> Option<Entry> {
    let mut at = MAGIC.len();
    if bytes.get(..at)? != MAGIC.as_slice() {
        return None;
    }
    let flag = *bytes.get(at)?;
    at += 1;
    let mut part = || -> Option<Range<usize>> {
        let len = bytes.get(at..at.checked_add(8)?)?;
        let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
        let start = at + 8;
        let end = start.checked_add(len)?;
        (end <= bytes.len()).then_some(())?;
        at = end;
        Some(start..end)
    };
    let (key, head, rules) = (part()?, part()?, part()?);
    (at == bytes.len()).then_some(Entry {
        uses_cwd: flag == 1,
        key,
        head,
        rules,
    })
}

/// The two stored parts of a policy: everything but the rules, and the rule section.
pub fn encode(policy: &Policy) -> Option<(Vec<u8>, Vec<u8>)> {
    let head = postcard::to_allocvec(policy).ok()?;
    Some((head, policy.rules.encoded().ok()?))
}

/// A policy from its stored parts in `buffer`, which the rule set keeps (no copy).
pub fn decode(buffer: Vec<u8>, head: Range<usize>, rules: Range<usize>) -> Option<Policy> {
    let mut policy = match postcard::take_from_bytes::<Policy>(buffer.get(head)?) {
        Ok((policy, [])) => policy,
        _ => return None,
    };
    policy.rules = RuleSet::from_encoded(buffer, rules)?;
    Some(policy)
}

/// The [`PostSettings`] at the start of a stored policy's head.
pub fn decode_post(head: &[u8]) -> Option<PostSettings> {
    postcard::take_from_bytes::<PostSettings>(head)
        .ok()
        .map(|(post, _)| post)
}

/// The policy as a cache hit would give it back: encoded and decoded. For tests that check
/// a cached policy judges exactly like a freshly compiled one.
pub fn round_trip(policy: &Policy) -> Option<Policy> {
    let (head, rules) = encode(policy)?;
    let mut buffer = head;
    let split = buffer.len();
    buffer.extend_from_slice(&rules);
    let end = buffer.len();
    decode(buffer, 0..split, split..end)
}

fn write_entry(path: &Path, uses_cwd: bool, parts: &[&[u8]]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no cache directory"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let size = parts.iter().map(|p| p.len() + 8).sum::<usize>();
    let mut body = Vec::with_capacity(MAGIC.len() + 1 + size);
    body.extend_from_slice(MAGIC);
    body.push(u8::from(uses_cwd));
    for part in parts {
        body.extend_from_slice(&(part.len() as u64).to_le_bytes());
        body.extend_from_slice(part);
    }
    // Written next to the entry and renamed over it: a reader sees the old entry or the new
    // one, never half of one. The temporary name is unique per process.
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".tmp-{}-{nanos}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(&body)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
