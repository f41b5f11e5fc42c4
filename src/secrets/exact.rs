//! Exact-value redaction: secrets blastwall *knows* (values of secret-looking variables in its
//! own environment, credentials a caller hands it, such as the ones the egress proxy injects)
//! are redacted wherever they occur, whatever the detector's rules think of the text around
//! them, and also in the encoded forms a tool is likely to print them in.
//!
//! What belongs here: turning a set of known values into search patterns ([`ExactSet`]) and
//! finding them. Which environment variables count as secret is decided by the detector's own
//! rules, run over `NAME=value` (see [`env_values`] and `Known`); wiring the set into a
//! [`super::Detector`] is `mod.rs`'s job.
//!
//! # What is matched
//!
//! For each value of at least [`MIN_LEN`] bytes (shorter ones would shred ordinary text) whose
//! Shannon entropy is at least [`MIN_ENTROPY`] (so `password1` in a variable does not redact
//! every `password1` in the output):
//! - the value itself, byte for byte (case-sensitive);
//! - its base64, standard and URL-safe alphabets, with and without padding, at each of the
//!   three alignments the value can have inside a longer encoded text (`user:<value>` in a
//!   Basic auth header, a value inside an encoded JSON document): the characters that depend
//!   only on the value's bytes are matched, so up to 3 characters at each edge that mix in the
//!   neighbouring bytes stay (they carry at most 6 bits of the value);
//! - its percent-encoding (upper- and lower-case hex digits), when that differs from the value;
//! - its hex, lower and upper case.
//!
//! All patterns go into one Aho-Corasick automaton (leftmost-longest), so one pass over the
//! text finds them all.
//!
//! # What is not
//!
//! Values split across lines or chunks, other encodings (gzip, hex with separators, base32;
//! JSON escapes are decoded by the detector, which also looks for known values in a text's
//! unescaped view, see `escaped.rs`), values that a program transformed (hashes, HMACs), and values shorter
//! than [`MIN_LEN`] or of low entropy. The values are never printed: `Debug` shows counts only,
//! and a finding names the variable (`env:GITHUB_TOKEN`), not the value.
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::shannon_entropy;

/// Shortest value matched. Shorter values occur by chance in ordinary text.
pub const MIN_LEN: usize = 8;

/// Lowest Shannon entropy (bits per byte) of a value matched.
pub const MIN_ENTROPY: f64 = 2.5;

/// Longest value matched (a PEM key in a variable is still found by the key rule).
pub const MAX_LEN: usize = 16 * 1024;

/// Most values in one set: a bound on the automaton's size.
pub const MAX_VALUES: usize = 512;

/// A set of known secret values and the automaton that finds them and their encodings.
///
/// The automaton holds only the first [`NEEDLE`] bytes of each encoded form (a small build,
/// whatever the values' lengths); a needle hit is confirmed by comparing the whole form.
/// Values may be *pending*: candidates from the environment that the detector has not judged
/// yet. They are judged (by the caller's closure) only when one of their forms occurs in a
/// scanned text, so a hook call whose output holds none of them never runs the rules over
/// the environment.
#[derive(Clone, Default)]
pub struct ExactSet {
    ac: Option<AhoCorasick>,
    /// For each needle, the forms that start with it.
    needle_forms: Vec<Vec<usize>>,
    /// Each form: its bytes and its value.
    forms: Vec<(Vec<u8>, usize)>,
    /// Each value: its label and, for a pending value, the candidate number to judge.
    values: Vec<(usize, Option<usize>)>,
    /// Each value's label (`env:NAME`, `inject:github`), deduplicated.
    labels: Vec<Arc<str>>,
}

/// Bytes of each encoded form in the automaton.
const NEEDLE: usize = 12;

impl std::fmt::Debug for ExactSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("ExactSet")
            .field("values", &self.values.len())
            .field("forms", &self.forms.len())
            .field("labels", &self.labels)
            .finish()
    }
}

/// One exact-value occurrence: where, and which value's label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactHit {
    pub range: Range<usize>,
    pub label: Arc<str>,
}

/// Whether a value is worth matching exactly (long enough, varied enough).
pub fn eligible(value: &[u8]) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&value.len()) && shannon_entropy(value) >= MIN_ENTROPY
}

/// A label as it appears in a redaction marker: `[A-Za-z0-9_.:-]`, at most 80 bytes.
fn clean_label(label: &str) -> String {
    let mut s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() {
        s.push_str("exact-value");
    }
    s
}

impl ExactSet {
    /// A set that finds nothing.
    pub fn empty() -> ExactSet {
        ExactSet::default()
    }

    /// A set of `(label, value)` pairs. Values that are not [`eligible`] are skipped; at most
    /// [`MAX_VALUES`] are kept (the first ones).
    pub fn new<L: AsRef<str>, V: AsRef<[u8]>>(
        values: impl IntoIterator<Item = (L, V)>,
    ) -> ExactSet {
        ExactSet::build(values.into_iter().map(|(l, v)| (l, v, None)))
    }

    /// Values with, for a pending one, the candidate number its verdict is asked for.
    pub(crate) fn build<L: AsRef<str>, V: AsRef<[u8]>>(
        values: impl IntoIterator<Item = (L, V, Option<usize>)>,
    ) -> ExactSet {
        let mut set = ExactSet::default();
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for (label, value, pending) in values {
            let value = value.as_ref();
            if !eligible(value) || seen.iter().any(|v| v == value) {
                continue;
            }
            if seen.len() >= MAX_VALUES {
                break;
            }
            seen.push(value.to_vec());
            let label = clean_label(label.as_ref());
            let li = match set.labels.iter().position(|l| **l == *label) {
                Some(i) => i,
                None => {
                    set.labels.push(Arc::from(label.as_str()));
                    set.labels.len() - 1
                }
            };
            let vi = set.values.len();
            set.values.push((li, pending));
            for form in variants(value) {
                if form.len() < MIN_LEN.min(value.len())
                    || set.forms.iter().any(|(f, _)| *f == form)
                {
                    continue;
                }
                let needle = form
                    .get(..NEEDLE.min(form.len()))
                    .unwrap_or_default()
                    .to_vec();
                let ni = match needles.iter().position(|n| *n == needle) {
                    Some(i) => i,
                    None => {
                        needles.push(needle);
                        set.needle_forms.push(Vec::new());
                        needles.len() - 1
                    }
                };
                if let Some(list) = set.needle_forms.get_mut(ni) {
                    list.push(set.forms.len());
                }
                set.forms.push((form, vi));
            }
        }
        if needles.is_empty() {
            return ExactSet::default();
        }
        // A build failure (a size limit) must not take redaction down: the detector's rules
        // still run, and the set reports itself empty.
        set.ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&needles)
            .ok();
        if set.ac.is_none() {
            return ExactSet::default();
        }
        set
    }

    /// A set of the values of the variables in `vars` that `detector` flags (see
    /// [`env_values`]).
    pub fn from_vars<K: AsRef<str>, V: AsRef<str>>(
        detector: &super::Detector,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> ExactSet {
        ExactSet::new(env_values(detector, vars))
    }

    /// Whether the set finds nothing.
    pub fn is_empty(&self) -> bool {
        self.ac.is_none()
    }

    /// How many distinct values the set holds.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Every occurrence of a value or an encoding of one, non-overlapping, by position
    /// (pending values count as confirmed).
    pub fn find(&self, text: &[u8]) -> Vec<ExactHit> {
        self.find_indexed(text, |_| true)
            .into_iter()
            .filter_map(|(range, li)| {
                Some(ExactHit {
                    range,
                    label: self.labels.get(li)?.clone(),
                })
            })
            .collect()
    }

    /// Occurrences with label indexes (see [`ExactSet::label`]): the leftmost, then the
    /// longest, of overlapping ones. A pending value counts only if `confirm(candidate)`.
    pub(crate) fn find_indexed(
        &self,
        text: &[u8],
        mut confirm: impl FnMut(usize) -> bool,
    ) -> Vec<(Range<usize>, usize)> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        let mut hits: Vec<(Range<usize>, usize)> = Vec::new();
        for m in ac.find_overlapping_iter(text) {
            let Some(forms) = self.needle_forms.get(m.pattern().as_usize()) else {
                continue;
            };
            let rest = text.get(m.start()..).unwrap_or_default();
            for &fi in forms {
                let Some((form, vi)) = self.forms.get(fi) else {
                    continue;
                };
                if rest.starts_with(form) {
                    hits.push((m.start()..m.start() + form.len(), *vi));
                }
            }
        }
        if hits.is_empty() {
            return Vec::new();
        }
        hits.sort_by(|a, b| a.0.start.cmp(&b.0.start).then(b.0.end.cmp(&a.0.end)));
        let mut verdicts: Vec<Option<bool>> = vec![None; self.values.len()];
        let mut out: Vec<(Range<usize>, usize)> = Vec::new();
        for (range, vi) in hits {
            if out.last().is_some_and(|(r, _)| range.start < r.end) {
                continue;
            }
            let Some(&(li, pending)) = self.values.get(vi) else {
                continue;
            };
            let ok = match (pending, verdicts.get_mut(vi)) {
                (None, _) => true,
                (Some(c), Some(slot)) => *slot.get_or_insert_with(|| confirm(c)),
                (Some(_), None) => false,
            };
            if ok {
                out.push((range, li));
            }
        }
        out
    }

    /// Label number `i`.
    pub fn label(&self, i: usize) -> Option<&Arc<str>> {
        self.labels.get(i)
    }
}

/// The exact values a detector redacts: the caller's, and candidates from the environment,
/// each judged by the detector's rules the first time one of its forms is seen.
pub(crate) struct Known {
    pub(crate) set: ExactSet,
    /// Candidate variables, by candidate number.
    vars: Vec<(String, String)>,
    verdicts: Vec<OnceLock<bool>>,
}

impl std::fmt::Debug for Known {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Known")
            .field("set", &self.set)
            .field("candidates", &self.vars.len())
            .finish()
    }
}

impl Known {
    /// `extra` as known values; with `env`, this process's variables that may hold a secret
    /// (a keyword of some rule occurs in `NAME=value`) as pending ones: the whole value, and
    /// the password of a URL value.
    pub(crate) fn build(
        detector: &super::Detector,
        env: bool,
        extra: &[(String, Vec<u8>)],
    ) -> Known {
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut entries: Vec<(String, Vec<u8>, Option<usize>)> = extra
            .iter()
            .map(|(l, v)| (l.clone(), v.clone(), None))
            .collect();
        if env {
            for (name, value) in process_env() {
                let password = url_password(&value).filter(|p| eligible(p));
                // The cheap test first: a path's entropy is not computed.
                let whole = !matches!(value.as_bytes().first(), Some(b'/' | b'.' | b'~'))
                    && eligible(value.as_bytes());
                if !(whole || password.is_some())
                    || !detector.may_match(format!("{name}={value}").as_bytes())
                {
                    continue;
                }
                let c = vars.len();
                let label = format!("env:{name}");
                if let Some(p) = password {
                    entries.push((label.clone(), p.to_vec(), Some(c)));
                }
                if whole {
                    entries.push((label, value.as_bytes().to_vec(), Some(c)));
                }
                vars.push((name, value));
            }
        }
        let verdicts = vars.iter().map(|_| OnceLock::new()).collect();
        Known {
            set: ExactSet::build(entries),
            vars,
            verdicts,
        }
    }

    /// Occurrences in `text` (label indexes), pending values judged as needed.
    pub(crate) fn find(
        &self,
        detector: &super::Detector,
        text: &[u8],
    ) -> Vec<(Range<usize>, usize)> {
        self.set.find_indexed(text, |c| self.verdict(detector, c))
    }

    /// Whether candidate `c` is a secret: the detector's rules find something inside its
    /// value when they scan `NAME=value`. Judged once per process.
    fn verdict(&self, detector: &super::Detector, c: usize) -> bool {
        let (Some(slot), Some((name, value))) = (self.verdicts.get(c), self.vars.get(c)) else {
            return false;
        };
        *slot.get_or_init(|| {
            let line = format!("{name}={value}");
            detector
                .find_without_exact(line.as_bytes())
                .iter()
                .any(|f| f.range.start > name.len())
        })
    }
}

/// The password of `scheme://user:password@host…`, if the value is such a URL.
fn url_password(value: &str) -> Option<&[u8]> {
    let rest = value.get(scheme_end(value.as_bytes())?..)?;
    let userinfo = rest.get(..rest.find('@')?)?;
    if userinfo.contains('/') {
        return None;
    }
    let pass = userinfo.get(userinfo.find(':')? + 1..)?;
    (!pass.is_empty()).then_some(pass.as_bytes())
}

/// Where the text after the first `://` of `value` starts. A `:` search (memchr), not
/// `str::find("://")`, whose searcher costs more to set up than most values are long: it runs
/// on every variable of the environment.
fn scheme_end(value: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + memchr::memchr(b':', value.get(from..)?)?;
        if value.get(at + 1..at + 3) == Some(b"//") {
            return Some(at + 3);
        }
        from = at + 1;
    }
}

/// This process's environment, variables whose name or value is not UTF-8 left out.
pub fn process_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

/// The secret values among `vars`, labelled `env:NAME`: each finding of `detector` (its rules
/// only) in `NAME=value` that lies inside the value: a token by its format, the password of a
/// database URL, the value after a credential-looking name.
pub fn env_values<K: AsRef<str>, V: AsRef<str>>(
    detector: &super::Detector,
    vars: impl IntoIterator<Item = (K, V)>,
) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, value) in vars {
        let (name, value) = (name.as_ref(), value.as_ref());
        if value.len() < MIN_LEN || value.len() > MAX_LEN {
            continue;
        }
        let line = format!("{name}={value}");
        let offset = name.len() + 1;
        for f in detector.find_without_exact(line.as_bytes()) {
            if f.range.start < offset {
                continue;
            }
            if let Some(v) = line.as_bytes().get(f.range.clone()) {
                found.push((format!("env:{name}"), v.to_vec()));
            }
        }
    }
    found
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `data` without padding.
fn base64(data: &[u8], alphabet: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    let sym = |i: u32| alphabet.get((i & 63) as usize).copied().unwrap_or(b'A');
    for chunk in data.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        if chunk.len() > 1 {
            out.push(sym(n >> 6));
        }
        if chunk.len() > 2 {
            out.push(sym(n));
        }
    }
    out
}

/// The patterns that find `value` and its encodings (see the module docs).
fn variants(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![value.to_vec()];
    for alphabet in [STD, URL] {
        // The whole value encoded on its own (`echo -n $TOKEN | base64`): padded and not.
        let whole = base64(value, alphabet);
        let pad = (3 - value.len() % 3) % 3;
        let mut padded = whole.clone();
        padded.extend(std::iter::repeat_n(b'=', pad));
        out.push(padded);
        out.push(whole);
        // Inside a longer encoded text, at offset 0, 1 or 2 modulo 3: the characters that
        // depend on the value's bytes only.
        for align in 0..3usize {
            let mut data = vec![0u8; align];
            data.extend_from_slice(value);
            let enc = base64(&data, alphabet);
            let skip = [0, 2, 3].get(align).copied().unwrap_or(0);
            let tail = usize::from(data.len() % 3 != 0);
            if let Some(core) = enc.get(skip..enc.len().saturating_sub(tail)) {
                out.push(core.to_vec());
            }
        }
    }
    for upper in [false, true] {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let hex_digit = |n: u8| digits.get(usize::from(n & 15)).copied().unwrap_or(b'0');
        let mut hex = Vec::with_capacity(value.len() * 2);
        let mut pct = Vec::with_capacity(value.len() * 3);
        for &b in value {
            hex.push(hex_digit(b >> 4));
            hex.push(hex_digit(b));
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                pct.push(b);
            } else {
                pct.push(b'%');
                pct.push(hex_digit(b >> 4));
                pct.push(hex_digit(b));
            }
        }
        out.push(hex);
        if pct != value {
            out.push(pct);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    const VALUE: &str = "s3cr3t-Value_with!@#$%chars";

    fn set() -> ExactSet {
        ExactSet::new([("env:MY_SECRET", VALUE)])
    }

    fn redacts(set: &ExactSet, text: &str, must_vanish: &str) {
        let hits = set.find(text.as_bytes());
        assert!(!hits.is_empty(), "nothing found in {text:?}");
        let mut out = String::new();
        let mut at = 0;
        for h in &hits {
            out.push_str(&text[at..h.range.start]);
            out.push_str("[X]");
            at = h.range.end;
        }
        out.push_str(&text[at..]);
        assert!(!out.contains(must_vanish), "{out}");
    }

    /// Our encoder against known vectors (RFC 4648 section 10).
    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes(), STD), enc.as_bytes());
        }
        assert_eq!(base64(&[0xfb, 0xff], STD), b"+/8");
        assert_eq!(base64(&[0xfb, 0xff], URL), b"-_8");
    }

    #[test]
    fn the_value_itself_is_found_where_it_is() {
        let text = format!("token: {VALUE}\nnext");
        let hits = set().find(text.as_bytes());
        assert_eq!(hits.len(), 1);
        assert_eq!(&text[hits[0].range.clone()], VALUE);
        assert_eq!(&*hits[0].label, "env:MY_SECRET");
    }

    /// The value at each of the three offsets inside a longer base64 text, in both alphabets,
    /// padded or not: the encoded value's core disappears.
    #[test]
    fn base64_in_every_alignment_and_alphabet() {
        let s = set();
        for prefix in ["", "u", "us", "user:", "a longer JSON prefix {\"k\":\""] {
            for suffix in ["", "x", "xy", "\"} and more"] {
                let plain = format!("{prefix}{VALUE}{suffix}");
                for alphabet in [STD, URL] {
                    let enc = String::from_utf8(base64(plain.as_bytes(), alphabet)).unwrap();
                    // The characters that depend only on the value.
                    let align = prefix.len() % 3;
                    let mut data = vec![0u8; align];
                    data.extend_from_slice(VALUE.as_bytes());
                    let core = base64(&data, alphabet);
                    let core =
                        String::from_utf8(core[[0, 2, 3][align]..core.len() - 1].to_vec()).unwrap();
                    redacts(&s, &format!("Authorization: Basic {enc}=="), &core);
                }
            }
        }
        // The whole value encoded alone loses everything, padding included.
        for value in [
            VALUE,
            "s3cr3t-Value_with!@#$%charsX",
            "s3cr3t-Value_with!@#$%charsXY",
        ] {
            let s = ExactSet::new([("env:V", value)]);
            let mut whole = String::from_utf8(base64(value.as_bytes(), STD)).unwrap();
            whole.push_str(&"=".repeat((3 - value.len() % 3) % 3));
            let text = format!("x {whole} y");
            let hits = s.find(text.as_bytes());
            assert_eq!(&text[..hits[0].range.start], "x ");
            assert_eq!(&text[hits[0].range.end..], " y", "{whole}");
        }
    }

    #[test]
    fn url_and_hex_forms() {
        let s = set();
        let pct = "s3cr3t-Value_with%21%40%23%24%25chars";
        redacts(&s, &format!("https://h/?t={pct}&x=1"), pct);
        redacts(
            &s,
            &format!("?t={}", pct.to_lowercase().replace("value", "Value")),
            "%21%40",
        );
        let hex: String = VALUE.bytes().map(|b| format!("{b:02x}")).collect();
        redacts(&s, &format!("dump {hex} end"), &hex);
        redacts(
            &s,
            &format!("dump {} end", hex.to_uppercase()),
            &hex.to_uppercase(),
        );
    }

    #[test]
    fn short_or_dull_values_are_not_matched() {
        let s = ExactSet::new([("a", "short"), ("b", "aaaaaaaaaaaa"), ("c", "abababababab")]);
        assert!(s.is_empty());
        assert!(s.find(b"short aaaaaaaaaaaa abababababab").is_empty());
    }

    /// A pending value counts only when its verdict says so, and the verdict is asked once
    /// per scan however often the value occurs.
    #[test]
    fn pending_values_are_judged_when_seen() {
        let s = ExactSet::build([
            ("env:A", "Kq9x7TzL2mPwAAAA1", Some(0)),
            ("env:B", "Rt5vW8yB3nQzBBBB2", Some(1)),
            ("inject:c", "Hj4kL6mN8pQrCCCC3", None),
        ]);
        let text = b"Kq9x7TzL2mPwAAAA1 Rt5vW8yB3nQzBBBB2 Hj4kL6mN8pQrCCCC3 Kq9x7TzL2mPwAAAA1";
        let mut asked = Vec::new();
        let hits = s.find_indexed(text, |c| {
            asked.push(c);
            c == 0
        });
        let labels: Vec<&str> = hits.iter().map(|(_, l)| &*s.labels[*l]).collect();
        assert_eq!(labels, ["env:A", "inject:c", "env:A"]);
        assert_eq!(asked, [0, 1]);
        assert!(s
            .find_indexed(b"nothing here", |_| panic!("asked"))
            .is_empty());
    }

    #[test]
    fn url_passwords_are_split_out() {
        for v in [
            "",
            ":",
            "a:b",
            "a:/",
            "x://",
            "a:b://c",
            "ab:/x://y",
            "::://",
            "é://x",
            "://",
        ] {
            assert_eq!(
                scheme_end(v.as_bytes()),
                v.find("://").map(|i| i + 3),
                "{v:?}"
            );
        }
        assert_eq!(url_password("postgres://u:p4ss@h/db"), Some(&b"p4ss"[..]));
        assert_eq!(url_password("redis://:p4ss@h"), Some(&b"p4ss"[..]));
        assert_eq!(url_password("https://h/a:b@c"), None);
        assert_eq!(url_password("https://user@h"), None);
    }

    #[test]
    fn debug_never_shows_a_value() {
        let d = format!("{:?}", set());
        assert!(!d.contains("s3cr3t") && d.contains("env:MY_SECRET"), "{d}");
    }

    #[test]
    fn labels_are_marker_safe() {
        let s = ExactSet::new([("inject:my token]\n", VALUE)]);
        let hits = s.find(VALUE.as_bytes());
        assert_eq!(&*hits[0].label, "inject:my_token__");
    }

    /// The detector decides which variables are secret: a token by its format, a password by
    /// the credential name before it, a database URL's password by the URL rule; a path, a
    /// number or a word is not.
    #[test]
    fn environment_values_the_detector_flags() {
        let d = crate::secrets::Detector::new();
        let s = ExactSet::from_vars(
            &d,
            [
                ("GITHUB_TOKEN", "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO"),
                ("DB_PASSWORD", "Xk9#mQ2vL7pR4wZ"),
                ("DATABASE_URL", "postgres://app:Tr0ub4dor3xQ9z@db:5432/app"),
                ("HOME", "/home/someone/projects"),
                ("SSH_AUTH_SOCK", "/tmp/ssh-XXXXabcd/agent.1234"),
                ("TERM", "xterm-256color"),
                ("COLUMNS", "80"),
            ],
        );
        let text = "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO Xk9#mQ2vL7pR4wZ Tr0ub4dor3xQ9z /home/someone/projects xterm-256color";
        let hits = s.find(text.as_bytes());
        let found: Vec<&str> = hits.iter().map(|h| &text[h.range.clone()]).collect();
        assert_eq!(
            found,
            [
                "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO",
                "Xk9#mQ2vL7pR4wZ",
                "Tr0ub4dor3xQ9z"
            ]
        );
        assert_eq!(&*hits[2].label, "env:DATABASE_URL");
    }
}
