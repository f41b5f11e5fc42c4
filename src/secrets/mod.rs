//! Secret detection and redaction: finds credentials in text (tool output, tool input, files)
//! and replaces each with `[REDACTED:<rule-id>]` so that the model never sees the value.
//!
//! What belongs here: the rule table (`rules.rs`), the checks that tell a secret from a
//! placeholder (`validate.rs`), the [`Detector`] that runs them, and the streaming [`scrub`]
//! used by `blastwall scrub`. Deciding *what to do* about a finding (deny, ask, redact) is the
//! policy engine's job, not this module's.
//!
//! # API
//!
//! - [`builtin()`] — the process-wide detector with the built-in rules, built on first use.
//! - [`Detector::with_extra_rules`] — built-in rules plus `[[secrets.rules]]` from a policy
//!   file ([`CustomRule`]); custom regexes are compiled (and so checked) at once.
//! - [`Detector::find`] — non-overlapping findings sorted by position; [`Finding::range`] is a
//!   byte range on a char boundary, [`Finding::line`] is 1-based.
//! - [`Detector::redact`] — the text with every finding replaced by `[REDACTED:<rule-id>]`
//!   (borrowed when nothing was found).
//! - [`Detector::redact_entry`] / [`Detector::entry_findings`] — a JSON object's string value
//!   scanned with its key; the walk over a whole tool output (object keys included) is
//!   `crate::input::Json::redact`, at the protocol's edge.
//! - [`scrub`] — a `Read` → `Write` filter over line-bounded chunks.
//! - [`Detector::mask`] — a printable stand-in for a finding (`ghp_…[40 bytes]`): never more
//!   of the value than the format's fixed prefix.
//! - [`Detector::find_bytes`] / [`Detector::redact_bytes`] — the same on bytes that need not
//!   be UTF-8.
//!
//! # How it stays fast
//!
//! Every rule names lowercase keywords; a search for all of them (ASCII case-insensitive)
//! says which rules can match, and only those run. The search needs no automaton
//! (`keywords.rs`): 8 KiB tables of the byte pairs keywords begin and continue with are
//! filled when the detector first scans, and the text is walked once, a pair in two,
//! comparing keywords only where the tables allow one; a hook process with a 300-byte tool input pays a few thousand
//! instructions, not the million that building an Aho-Corasick automaton cost. The search is
//! exact, and tested to report the same occurrences as the automaton did and to hide no
//! finding of running every rule over the text. (A policy whose keywords crowd one first byte
//! gets the automaton: an NFA, then a DFA once the detector has scanned 256 KiB, over the
//! text lowercased 64 KiB at a time.) Rule regexes are
//! byte regexes with Unicode off (ASCII `\w`, `\s`, `(?i)`), compiled the first time a
//! keyword appears (`OnceLock` per rule), so a hook call whose output mentions no keyword
//! compiles nothing. Two rules are *anchored*: the generic assignment and the URL password
//! run only right after their keywords' occurrences (`password`, `://`, …), never over the
//! whole text. Candidates then pass an entropy gate and per-rule checks; overlapping
//! candidates are resolved by priority (specific format > structural rule such as URL,
//! header or Kubernetes Secret > generic assignment), then position. A value found by its
//! context (`password=…`) is then also a finding wherever else it occurs in the same text.
//!
//! # Escaped text
//!
//! A tool's output is often a JSON document held as a string (an MCP text block, an API body
//! in a log line), sometimes nested again. Where a text holds JSON escapes, the rules also run
//! on its unescaped view, up to three levels deep (`escaped.rs`), and each finding is mapped
//! back to a range of the text that keeps every escape whole: the redacted document is still
//! valid JSON of the same shape. A text without a backslash escape costs one `memchr` pass.
//!
//! # What is not a secret
//!
//! Placeholders (`${VAR}`, `<your-token>`, `xxxx`, `****`, `{{ .Values.x }}`), documented
//! examples (`AKIAIOSFODNN7EXAMPLE`), code (`os.environ["X"]`, `get_token()`,
//! `settings.SECRET_KEY`), Stripe test-mode keys, Git SHAs, UUIDs, lockfile checksums, SRI
//! hashes and base64 image data are left alone: no rule matches bare hex, UUIDs or base64
//! blobs; those only count after a credential name (`api_token = "<uuid>"`).

mod escaped;
pub mod exact;
#[doc(hidden)]
pub mod formats;
mod keywords;
mod kube;
mod rules;
#[cfg(test)]
mod tests;
mod validate;

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use crate::needle::Needle;

use keywords::PairIndex;
use rules::{Check, Pattern, RuleDef, RULES};

pub use validate::shannon_entropy;

/// One secret found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable rule id, e.g. `github-pat`; the redaction marker is `[REDACTED:<rule_id>]`.
    pub rule_id: Arc<str>,
    /// Human name of the rule, e.g. "GitHub personal access token (classic)".
    pub rule_name: Arc<str>,
    /// Byte range of the secret in the scanned text (on char boundaries for `&str` input).
    pub range: Range<usize>,
    /// 1-based line of the first byte of the secret.
    pub line: usize,
}

/// Metadata of one rule, for listings and reports.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: Arc<str>,
    pub name: Arc<str>,
    /// The credential family (e.g. `github`, `slack`, `generic`); custom rules use `custom`.
    pub family: Arc<str>,
}

/// A rule added by a policy file (`[[secrets.rules]]`).
///
/// ```toml
/// [[secrets.rules]]
/// id = "acme-token"
/// name = "ACME internal token"
/// regex = 'acme_[A-Za-z0-9]{32}'
/// keywords = ["acme_"]
/// min_entropy = 3.0
/// ```
///
/// The regex is a byte regex with Unicode off. If it has capture groups, the first group that
/// matched is the secret; otherwise the whole match is. Keywords are matched ASCII
/// case-insensitively; with no keywords the rule runs on every text.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub id: String,
    pub name: String,
    pub regex: String,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
}

/// Why a [`CustomRule`] was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretRuleError {
    #[error("secret rule id {0:?} must be 1-64 characters of [A-Za-z0-9_.-]")]
    BadId(String),
    #[error("secret rule {0:?}: the id is already used")]
    DuplicateId(String),
    #[error("secret rule {id:?}: invalid regex: {message}")]
    BadRegex { id: String, message: String },
    #[error("secret rule {0:?}: the regex matches the empty string")]
    EmptyMatch(String),
    #[error("secret rule {0:?}: keywords must not be empty strings")]
    EmptyKeyword(String),
    #[error("secret rule {0:?}: min_entropy must be between 0 and 8")]
    BadEntropy(String),
}

enum Source {
    Builtin(Pattern),
    Custom,
}

/// Built-in rules borrow their texts from the table (no allocation per rule in a process that
/// builds the detector); [`Finding`]s and [`RuleInfo`]s get their own `Arc`s.
struct Rule {
    id: Cow<'static, str>,
    name: Cow<'static, str>,
    family: Cow<'static, str>,
    keywords: Keywords,
    source: Source,
    /// `None` inside means the pattern did not compile; the unit tests prove no built-in
    /// pattern is in that state, and a broken rule must not take the others down with it.
    regex: OnceLock<Option<Regex>>,
    /// Text every match contains (see `crate::needle`), found the first time a keyword hit
    /// reaches a built-in rule whose regex is not compiled yet: a keyword is matched in any
    /// case, so the word "ask" reaches the Twilio rule (`sk`), whose regex needs `SK`.
    needle: OnceLock<Option<Needle>>,
    min_entropy: f64,
    check: Check,
    prefix: &'static str,
    priority: u8,
    /// The regex continues a keyword occurrence (see `Pattern::Anchored`).
    anchored: bool,
}

/// A rule's keywords: the table's own for a built-in rule (nothing to allocate).
enum Keywords {
    Builtin(&'static [&'static str]),
    Custom(Vec<String>),
}

impl Keywords {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let (builtin, custom) = match self {
            Keywords::Builtin(k) => (*k, &[][..]),
            Keywords::Custom(k) => (&[][..], k.as_slice()),
        };
        builtin
            .iter()
            .copied()
            .chain(custom.iter().map(String::as_str))
    }

    /// Each keyword, borrowed from the table when it can be.
    fn owned(&self) -> impl Iterator<Item = Cow<'static, str>> + '_ {
        let (builtin, custom) = match self {
            Keywords::Builtin(k) => (*k, &[][..]),
            Keywords::Custom(k) => (&[][..], k.as_slice()),
        };
        let builtin = builtin.iter().map(|k| Cow::Borrowed(*k));
        builtin.chain(custom.iter().map(|k| Cow::Owned(k.clone())))
    }
}

/// FNV-1a, for the keyword map built once per detector: the keys are a few short strings,
/// and `SipHash` with random keys would cost more than everything else `from_rules` does.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Limits for compiled rule regexes: generous for the built-ins, a bound for policy rules.
const REGEX_SIZE_LIMIT: usize = 8 << 20;
const REGEX_DFA_LIMIT: usize = 8 << 20;

fn compile(src: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(src)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
}

impl Rule {
    fn from_def(d: &RuleDef) -> Rule {
        Rule {
            id: Cow::Borrowed(d.id),
            name: Cow::Borrowed(d.name),
            family: Cow::Borrowed(d.family),
            keywords: Keywords::Builtin(d.keywords),
            source: Source::Builtin(d.pattern),
            regex: OnceLock::new(),
            needle: OnceLock::new(),
            min_entropy: d.min_entropy,
            check: d.check,
            prefix: d.prefix,
            priority: d.priority,
            anchored: matches!(d.pattern, Pattern::Anchored(_)),
        }
    }

    /// Whether `text` cannot match: only said of a built-in rule not compiled yet (the unit
    /// tests prove every built-in compiles; a custom rule is compiled when it is loaded).
    fn rules_out(&self, text: &[u8]) -> bool {
        let Source::Builtin(p) = &self.source else {
            return false;
        };
        if self.regex.get().is_some() {
            return false;
        }
        self.needle
            .get_or_init(|| Needle::of_regex(&rules::regex_source(p), false))
            .as_ref()
            .is_some_and(|n| !n.admits(text))
    }

    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| match &self.source {
                Source::Builtin(p) => compile(&rules::regex_source(p)).ok(),
                // Custom rules are compiled in `with_extra_rules`; never reached.
                Source::Custom => None,
            })
            .as_ref()
    }
}

/// The secret detector: the rules, and the keyword prefilter that picks which ones run.
pub struct Detector {
    rules: Vec<Rule>,
    /// Every distinct keyword, lowercase; pattern index = position.
    keywords: Vec<Cow<'static, str>>,
    /// How keywords are searched for (always `Auto` outside tests and measurements).
    search: KeywordSearch,
    /// The pair table (see `keywords.rs`), built on the first scan: no automaton to build.
    /// `None` inside when the keywords do not suit it; the automaton is used then.
    pairs: OnceLock<Option<PairIndex>>,
    /// The keyword automaton in two builds, each made once on first need: a small NFA that is
    /// quick to build, and a DFA that costs more to build but scans several times faster, for
    /// big inputs. Used only when the pair table is not (or when asked to).
    prefilter_small: OnceLock<Option<AhoCorasick>>,
    prefilter_big: OnceLock<Option<AhoCorasick>>,
    /// Bytes scanned so far: once past [`BIG_INPUT`] the DFA is worth building.
    scanned: AtomicUsize,
    /// The rules each keyword enables, in rule order: those of keyword `p` are
    /// `keyword_rules[keyword_starts[p]..keyword_starts[p + 1]]`. An anchored one among them
    /// continues that keyword.
    keyword_rules: Vec<usize>,
    keyword_starts: Vec<usize>,
    /// Rules without keywords (custom only): always run.
    always: Vec<usize>,
    /// Known values redacted by exact match (see `exact.rs`), built on first scan from the
    /// environment (when `exact_env`) and `exact_extra`. A finding of value label `i` has rule
    /// number `rules.len() + i`.
    exact: OnceLock<exact::Known>,
    exact_env: bool,
    exact_extra: Vec<(String, Vec<u8>)>,
}

/// What the prefilter found: which rules can match, and where anchored rules' keywords are.
struct Prefiltered {
    active: Vec<bool>,
    /// (rule, keyword start, keyword end), ordered by end, then start (the order in which an
    /// Aho-Corasick automaton reports overlapping matches).
    anchors: Vec<(usize, usize, usize)>,
}

/// How a detector looks for its keywords. Results are the same whichever is used (the tests
/// prove it); only the cost differs. Public for tests and measurements only.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordSearch {
    /// The pair table when the keywords suit it, else the automaton.
    Auto,
    /// The Aho-Corasick automaton (NFA, then a DFA past [`BIG_INPUT`]), as before the pair
    /// table existed.
    Automaton,
    /// No prefilter: every rule runs over the whole text, and anchored rules' keywords are
    /// found by plain search. The reference the others are tested against.
    Everything,
}

/// A value found more often than this in one text is not repeated at all.
const MAX_REPEATS: usize = 32;

/// Longest value whose repeats are searched for.
const MAX_REPEATED_LEN: usize = 512;

/// Above this many distinct secret values in one text, repeats are not searched for.
const MAX_REPEATED_VALUES: usize = 1024;

/// How much of a Kubernetes `data:` block is read.
const KUBE_BLOCK: usize = 256 * 1024;

/// How far after a keyword an anchored rule looks. Values after credential names are short;
/// a longer one is still covered whole (see `candidates`).
const ANCHOR_WINDOW: usize = 2048;

/// How much lowercased text the automaton scans at a time.
const AUTOMATON_CHUNK: usize = 64 * 1024;

/// Once a detector has scanned this much (one big input, or many small ones in a long-lived
/// process such as `scrub`), it switches to the DFA prefilter: the extra build time (under a
/// millisecond) is repaid by the faster scan. A hook call with one small output never pays it.
const BIG_INPUT: usize = 256 * 1024;

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// A credential value blastwall holds for a moment (an injected variable). `Debug` does not
/// show it; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wrap a value read from its source.
    pub fn new(value: String) -> SecretValue {
        SecretValue(value)
    }

    /// The value, for the sandbox runner's environment and the redactor only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretValue([{} bytes])", self.0.len())
    }
}

/// The process-wide detector with the built-in rules.
pub fn builtin() -> &'static Detector {
    static BUILTIN: OnceLock<Detector> = OnceLock::new();
    BUILTIN.get_or_init(Detector::new)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A candidate before overlap resolution.
struct Candidate {
    range: Range<usize>,
    rule: usize,
    priority: u8,
}

impl Default for Detector {
    fn default() -> Self {
        Detector::new()
    }
}

impl Detector {
    /// A detector with the built-in rules only. Prefer [`builtin()`], which builds it once.
    pub fn new() -> Detector {
        Detector::from_rules(RULES.iter().map(Rule::from_def).collect())
    }

    /// The built-in rules plus rules from a policy file. Each custom regex is compiled here,
    /// so a broken policy fails at load time rather than on a tool call.
    pub fn with_extra_rules(extra: Vec<CustomRule>) -> Result<Detector, SecretRuleError> {
        let mut rules: Vec<Rule> = RULES.iter().map(Rule::from_def).collect();
        for c in extra {
            if !valid_id(&c.id) {
                return Err(SecretRuleError::BadId(c.id));
            }
            if rules.iter().any(|r| *r.id == *c.id) {
                return Err(SecretRuleError::DuplicateId(c.id));
            }
            if c.keywords.iter().any(|k| k.is_empty()) {
                return Err(SecretRuleError::EmptyKeyword(c.id));
            }
            let min_entropy = c.min_entropy.unwrap_or(0.0);
            if !(0.0..=8.0).contains(&min_entropy) {
                return Err(SecretRuleError::BadEntropy(c.id));
            }
            let regex = compile(&c.regex).map_err(|e| SecretRuleError::BadRegex {
                id: c.id.clone(),
                message: e.to_string(),
            })?;
            if regex.is_match(b"") {
                return Err(SecretRuleError::EmptyMatch(c.id));
            }
            rules.push(Rule {
                id: Cow::Owned(c.id),
                name: Cow::Owned(c.name),
                family: Cow::Borrowed("custom"),
                keywords: Keywords::Custom(
                    c.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
                ),
                source: Source::Custom,
                regex: OnceLock::from(Some(regex)),
                needle: OnceLock::from(None),
                min_entropy,
                check: Check::Custom,
                prefix: "",
                priority: rules::SPECIFIC,
                anchored: false,
            });
        }
        Ok(Detector::from_rules(rules))
    }

    fn from_rules(rules: Vec<Rule>) -> Detector {
        let mut keywords: Vec<Cow<'static, str>> = Vec::new();
        // (keyword, rule), in rule order.
        let mut links: Vec<(usize, usize)> = Vec::with_capacity(rules.len() * 2);
        let mut always = Vec::new();
        let mut index: std::collections::HashMap<&str, usize, BuildHasherDefault<Fnv>> =
            std::collections::HashMap::with_capacity_and_hasher(
                rules.len() * 2,
                Default::default(),
            );
        for (i, r) in rules.iter().enumerate() {
            let mut none = true;
            for (k, owned) in r.keywords.iter().zip(r.keywords.owned()) {
                none = false;
                let next = keywords.len();
                let p = *index.entry(k).or_insert(next);
                if p == next {
                    keywords.push(owned);
                }
                links.push((p, i));
            }
            if none {
                always.push(i);
            }
        }
        drop(index);
        // Grouped by keyword (a counting sort, so each keyword's rules stay in rule order).
        let mut keyword_starts = vec![0usize; keywords.len() + 1];
        for &(p, _) in &links {
            if let Some(n) = keyword_starts.get_mut(p + 1) {
                *n += 1;
            }
        }
        for p in 1..keyword_starts.len() {
            let before = keyword_starts.get(p - 1).copied().unwrap_or(0);
            if let Some(n) = keyword_starts.get_mut(p) {
                *n += before;
            }
        }
        let mut next = keyword_starts.clone();
        let mut keyword_rules = vec![0usize; links.len()];
        for (p, i) in links {
            if let Some(at) = next.get_mut(p) {
                if let Some(slot) = keyword_rules.get_mut(*at) {
                    *slot = i;
                }
                *at += 1;
            }
        }
        Detector {
            rules,
            keywords,
            search: KeywordSearch::Auto,
            pairs: OnceLock::new(),
            prefilter_small: OnceLock::new(),
            prefilter_big: OnceLock::new(),
            scanned: AtomicUsize::new(0),
            keyword_rules,
            keyword_starts,
            always,
            exact: OnceLock::new(),
            exact_env: true,
            exact_extra: Vec::new(),
        }
    }

    /// The same detector, also redacting these `(label, value)` pairs by exact match (and
    /// their encodings, see [`exact`]): credentials the caller knows, such as the ones the
    /// egress proxy injects. A finding's rule id is the label (`inject:github`).
    pub fn with_exact_values<L: Into<String>, V: Into<Vec<u8>>>(
        mut self,
        values: impl IntoIterator<Item = (L, V)>,
    ) -> Detector {
        self.exact_extra
            .extend(values.into_iter().map(|(l, v)| (l.into(), v.into())));
        self.exact = OnceLock::new();
        self
    }

    /// The same detector without the values of this process's environment (tests, and
    /// callers that scan text from another machine).
    pub fn without_env_values(mut self) -> Detector {
        self.exact_env = false;
        self.exact = OnceLock::new();
        self
    }

    /// The exact values, built on first use: the caller's, and the environment's candidates
    /// (judged by this detector's rules when first seen in a text).
    fn known(&self) -> &exact::Known {
        self.exact
            .get_or_init(|| exact::Known::build(self, self.exact_env, &self.exact_extra))
    }

    /// The exact-value set (for inspection: how many values, which labels).
    pub fn exact_values(&self) -> &exact::ExactSet {
        &self.known().set
    }

    /// Whether some rule's keyword occurs in `text` (so a rule may match there).
    pub(crate) fn may_match(&self, text: &[u8]) -> bool {
        self.prefilter_scan(text).active.iter().any(|a| *a)
    }

    /// The rules' candidates followed by the exact values' (a rule's finding wins a tie, so a
    /// token keeps its rule's name).
    fn all_candidates(&self, text: &[u8]) -> Vec<Candidate> {
        let direct = self.plain_all_candidates(text);
        self.with_escaped_candidates(text, direct, true)
    }

    /// `direct` (the candidates found in `text` itself) and those found in the JSON-unescaped
    /// views of `text` (see `escaped.rs`), one level after another, each range made to keep
    /// the escapes of the text it was found in whole and mapped back to a range of `text`
    /// that covers whole escapes. With `exact`, the exact values are looked for in the views
    /// too.
    fn with_escaped_candidates(
        &self,
        text: &[u8],
        direct: Vec<Candidate>,
        exact: bool,
    ) -> Vec<Candidate> {
        let Some(first) = escaped::View::of(text) else {
            return direct;
        };
        let mut out = Vec::with_capacity(direct.len());
        let mut views: Vec<escaped::View> = Vec::new();
        let mut found = direct;
        let mut next = Some(first);
        for level in 0..=escaped::MAX_LEVELS {
            // `next` is the view of the text `found` was found in (level 0: `text`).
            for mut c in found {
                if let Some(n) = &next {
                    match n.trim_text_range(&c.range) {
                        Some(r) => c.range = r,
                        None => continue,
                    }
                }
                for v in views.iter().rev() {
                    c.range = v.to_text(&c.range);
                }
                out.push(c);
            }
            let Some(view) = next.take().filter(|_| level < escaped::MAX_LEVELS) else {
                break;
            };
            found = if exact {
                self.plain_all_candidates(&view.text)
            } else {
                self.candidates(&view.text)
            };
            next = escaped::View::of(&view.text);
            views.push(view);
        }
        out
    }

    /// [`Detector::all_candidates`] on `text` as it is (no unescaped view).
    fn plain_all_candidates(&self, text: &[u8]) -> Vec<Candidate> {
        let mut cands = self.candidates(text);
        let base = self.rules.len();
        cands.extend(
            self.known()
                .find(self, text)
                .into_iter()
                .map(|(range, i)| Candidate {
                    range,
                    rule: base + i,
                    priority: rules::SPECIFIC,
                }),
        );
        cands
    }

    /// Findings of the rules only (no exact values): how the environment's values are judged.
    pub(crate) fn find_without_exact(&self, text: &[u8]) -> Vec<Finding> {
        let cands = self.with_escaped_candidates(text, self.candidates(text), false);
        let cands = Detector::resolve(cands);
        let cands = Detector::repeat_occurrences(text, cands);
        self.findings(text, cands)
    }

    /// The rules keyword `p` enables.
    fn rules_of(&self, p: usize) -> &[usize] {
        let lo = self.keyword_starts.get(p).copied().unwrap_or(0);
        let hi = self.keyword_starts.get(p + 1).copied().unwrap_or(0);
        self.keyword_rules.get(lo..hi).unwrap_or_default()
    }

    /// The same detector, looking for keywords with `search` (tests and measurements).
    #[doc(hidden)]
    pub fn with_keyword_search(mut self, search: KeywordSearch) -> Detector {
        self.search = search;
        self
    }

    /// The keyword automaton for a text of `len` bytes; `None` if it could not be built
    /// (then `prefilter_scan` runs every rule: slower, never blind).
    fn prefilter(&self, len: usize) -> Option<&AhoCorasick> {
        let before = self.scanned.fetch_add(len, Ordering::Relaxed);
        if before.saturating_add(len) >= BIG_INPUT {
            // If the DFA cannot be built (a size limit, with many policy keywords), the
            // NFA does the same job more slowly.
            if let Some(ac) = self.automaton(&self.prefilter_big, AhoCorasickKind::DFA) {
                return Some(ac);
            }
        }
        self.automaton(&self.prefilter_small, AhoCorasickKind::NoncontiguousNFA)
    }

    fn automaton<'a>(
        &'a self,
        cell: &'a OnceLock<Option<AhoCorasick>>,
        kind: AhoCorasickKind,
    ) -> Option<&'a AhoCorasick> {
        cell.get_or_init(|| {
            // Keywords are lowercase and the scan runs on lowercased text: a case-sensitive
            // automaton builds in about half the time of an ASCII case-insensitive one.
            AhoCorasick::builder()
                .ascii_case_insensitive(false)
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                .build(self.keywords.iter().map(|k| k.as_bytes()))
                .ok()
        })
        .as_ref()
    }

    /// The rules of this detector, built-in first.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> + '_ {
        self.rules.iter().map(|r| RuleInfo {
            id: Arc::from(r.id.as_ref()),
            name: Arc::from(r.name.as_ref()),
            family: Arc::from(r.family.as_ref()),
        })
    }

    /// Ids of the rules the prefilter would run on `text` (for measurements and debugging).
    #[doc(hidden)]
    pub fn rules_to_run(&self, text: &[u8]) -> Vec<Arc<str>> {
        let active = self.prefilter_scan(text).active;
        self.rules
            .iter()
            .zip(active)
            .filter(|(_, a)| *a)
            .map(|(r, _)| Arc::from(r.id.as_ref()))
            .collect()
    }

    /// Which rules can match (those with a keyword in `text`, plus keyword-less ones), and
    /// where the keywords of anchored rules occur.
    fn prefilter_scan(&self, text: &[u8]) -> Prefiltered {
        let mut active = vec![false; self.rules.len()];
        let mut anchors = Vec::new();
        for &i in &self.always {
            if let Some(a) = active.get_mut(i) {
                *a = true;
            }
        }
        let mut seen = vec![false; self.keywords.len()];
        let mut hit = |p: usize, start: usize, end: usize| {
            let first = seen.get_mut(p).is_some_and(|s| !std::mem::replace(s, true));
            for &i in self.rules_of(p) {
                let anchored = self.rules.get(i).map(|r| (r.anchored, r.check));
                let enable = match anchored {
                    // An anchored rule runs only where its regex can start to match: a text
                    // whose `token` is never followed by an operator, or whose `://` never by
                    // user info, compiles neither regex.
                    Some((true, check)) => {
                        let live = rules::anchor_may_match(check, text, end);
                        if live {
                            anchors.push((i, start, end));
                        }
                        live
                    }
                    _ => first,
                };
                if enable {
                    if let Some(a) = active.get_mut(i) {
                        *a = true;
                    }
                }
            }
        };
        let pairs = match self.search {
            KeywordSearch::Auto => self
                .pairs
                .get_or_init(|| PairIndex::new(&self.keywords))
                .as_ref(),
            KeywordSearch::Automaton | KeywordSearch::Everything => None,
        };
        let searched = match pairs {
            Some(ix) => {
                ix.scan(&self.keywords, text, &mut hit);
                true
            }
            None if self.search == KeywordSearch::Everything => false,
            None => self.automaton_scan(text, &mut hit),
        };
        if !searched {
            // No prefilter (asked for, or no automaton could be built): run every rule, and
            // find the anchored rules' keywords by plain search. Slow, never blind.
            active.fill(true);
            anchors.clear();
            for (i, r) in self.rules.iter().enumerate() {
                if !r.anchored {
                    continue;
                }
                for k in r.keywords.iter().filter(|k| !k.is_empty()) {
                    let hits = text.windows(k.len()).enumerate();
                    for (at, _) in hits.filter(|(_, w)| w.eq_ignore_ascii_case(k.as_bytes())) {
                        anchors.push((i, at, at + k.len()));
                    }
                }
            }
        }
        // The automaton reports matches by end, then start; the pair table by start. The
        // order decides which of two overlapping keyword occurrences an anchored rule tries
        // first, so it is made the same.
        anchors.sort_by_key(|&(_, start, end)| (end, start));
        Prefiltered { active, anchors }
    }

    /// Runs the automaton over `text`, ASCII-lowercased a chunk at a time (a bounded buffer,
    /// not a copy of the text), calling `hit` for each keyword occurrence in the order the
    /// automaton reports them. `false` when no automaton could be built.
    fn automaton_scan(&self, text: &[u8], hit: &mut impl FnMut(usize, usize, usize)) -> bool {
        let Some(ac) = self.prefilter(text.len()) else {
            return false;
        };
        if !text.iter().any(u8::is_ascii_uppercase) {
            for m in ac.find_overlapping_iter(text) {
                hit(m.pattern().as_usize(), m.start(), m.end());
            }
            return true;
        }
        // Each chunk is scanned with the `overlap` bytes before it, so every match that ends
        // inside the chunk lies wholly in what is scanned; matches ending in the overlap were
        // reported with the previous chunk. The sequence is the same as one scan of it all.
        let overlap = ac.max_pattern_len().saturating_sub(1);
        let mut buf = Vec::with_capacity(AUTOMATON_CHUNK.saturating_add(overlap).min(text.len()));
        let mut from = 0;
        while from < text.len() {
            let lo = from.saturating_sub(overlap);
            let hi = from.saturating_add(AUTOMATON_CHUNK).min(text.len());
            buf.clear();
            let chunk = text.get(lo..hi).unwrap_or_default();
            buf.extend(chunk.iter().map(u8::to_ascii_lowercase));
            for m in ac.find_overlapping_iter(&buf) {
                if lo + m.end() > from {
                    hit(m.pattern().as_usize(), lo + m.start(), lo + m.end());
                }
            }
            from = hi;
        }
        true
    }

    fn candidates(&self, text: &[u8]) -> Vec<Candidate> {
        let Prefiltered { active, anchors } = self.prefilter_scan(text);
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !active.get(i).copied().unwrap_or(false) {
                continue;
            }
            if rule.rules_out(text) {
                continue;
            }
            let Some(re) = rule.regex() else { continue };
            if rule.check == Check::KubeData {
                self.kube_values(rule, i, re, text, &mut out);
                continue;
            }
            if rule.anchored {
                let mut locs = re.capture_locations();
                let mut covered = 0;
                for &(_, start, end) in anchors.iter().filter(|a| a.0 == i) {
                    // A keyword inside the previous match (`password=password=…`) adds nothing.
                    if start < covered {
                        continue;
                    }
                    // The window bounds each attempt, so text full of keywords stays linear.
                    let window_end = end.saturating_add(ANCHOR_WINDOW).min(text.len());
                    let Some(hay) = text.get(end..window_end) else {
                        continue;
                    };
                    let Some(m) = re.captures_read(&mut locs, hay) else {
                        continue;
                    };
                    covered = end + m.end();
                    let span = (1..locs.len()).find_map(|g| locs.get(g));
                    let mut span = span.map_or(end..end, |(s, e)| end + s..end + e);
                    if span.end == window_end {
                        // Cut by the window: the value goes on; cover all of it.
                        span.end += text
                            .get(span.end..)
                            .unwrap_or_default()
                            .iter()
                            .take_while(|b| {
                                b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'`')
                            })
                            .count();
                        covered = covered.max(span.end);
                    }
                    Detector::consider(rule, i, text, start, span, &mut out);
                }
                continue;
            }
            if re.captures_len() > 1 {
                let mut locs = re.capture_locations();
                let mut at = 0;
                while at <= text.len() {
                    let Some(m) = re.captures_read_at(&mut locs, text, at) else {
                        break;
                    };
                    let span = (1..locs.len())
                        .find_map(|g| locs.get(g))
                        .map_or(m.range(), |(s, e)| s..e);
                    Detector::consider(rule, i, text, m.start(), span, &mut out);
                    at = if m.end() > m.start() {
                        m.end()
                    } else {
                        m.end() + 1
                    };
                }
            } else {
                for m in re.find_iter(text) {
                    Detector::consider(rule, i, text, m.start(), m.range(), &mut out);
                }
            }
        }
        out
    }

    /// The Kubernetes rule: each `data:` block found by its regex, inside a `kind: Secret`
    /// document, yields one candidate per value.
    fn kube_values(
        &self,
        rule: &Rule,
        index: usize,
        re: &Regex,
        text: &[u8],
        out: &mut Vec<Candidate>,
    ) {
        let mut locs = re.capture_locations();
        let mut at = 0;
        while let Some(m) = re.captures_read_at(&mut locs, text, at) {
            at = m.end().max(at + 1);
            let Some((open, _)) = locs.get(1) else {
                continue;
            };
            if !kube::in_secret_document(text, m.start()) {
                continue;
            }
            let end = open.saturating_add(KUBE_BLOCK).min(text.len());
            for span in kube::values(text, open..end) {
                out.push(Candidate {
                    range: span,
                    rule: index,
                    priority: rule.priority,
                });
            }
            if at > text.len() {
                break;
            }
        }
    }

    fn consider(
        rule: &Rule,
        index: usize,
        text: &[u8],
        match_start: usize,
        mut span: Range<usize>,
        out: &mut Vec<Candidate>,
    ) {
        if rule.check == Check::PrivateKey {
            // The body pattern may run into trailing blank space; the block ends at its last
            // non-space byte.
            while span.end > span.start
                && text
                    .get(span.end - 1)
                    .is_some_and(|b| b.is_ascii_whitespace())
            {
                span.end -= 1;
            }
        }
        if span.is_empty() {
            return;
        }
        let Some(secret) = text.get(span.clone()) else {
            return;
        };
        let body = secret
            .strip_prefix(rule.prefix.as_bytes())
            .unwrap_or(secret);
        if rule.min_entropy > 0.0 && shannon_entropy(body) < rule.min_entropy {
            return;
        }
        let cand = validate::Candidate {
            text,
            match_start,
            secret: span.clone(),
        };
        if !validate::check(rule.check, &cand, body) {
            return;
        }
        out.push(Candidate {
            range: span,
            rule: index,
            priority: rule.priority,
        });
    }

    /// Keeps the best of overlapping candidates: lower priority value first, then the earlier,
    /// then the longer. Returns the kept ones sorted by position. Linear after the sort: each
    /// priority class is filtered against the kept list with one moving index, then merged.
    fn resolve(mut cands: Vec<Candidate>) -> Vec<Candidate> {
        cands.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then(a.range.start.cmp(&b.range.start))
                .then(b.range.end.cmp(&a.range.end))
        });
        let mut kept: Vec<Candidate> = Vec::new();
        let mut rest = cands.into_iter().peekable();
        while let Some(priority) = rest.peek().map(|c| c.priority) {
            let mut accepted: Vec<Candidate> = Vec::new();
            let mut k = 0;
            while let Some(c) = rest.next_if(|c| c.priority == priority) {
                if accepted.last().is_some_and(|a| c.range.start < a.range.end) {
                    continue;
                }
                // `kept` is sorted and disjoint, so its ends are sorted too.
                while kept.get(k).is_some_and(|x| x.range.end <= c.range.start) {
                    k += 1;
                }
                if kept.get(k).is_some_and(|x| x.range.start < c.range.end) {
                    continue;
                }
                accepted.push(c);
            }
            kept = merge_by_start(kept, accepted);
        }
        kept
    }

    fn findings(&self, text: &[u8], cands: Vec<Candidate>) -> Vec<Finding> {
        let mut line = 1usize;
        let mut counted = 0usize;
        let mut out = Vec::with_capacity(cands.len());
        for c in cands {
            line += text
                .get(counted..c.range.start)
                .unwrap_or_default()
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = c.range.start;
            if let Some(rule) = self.rules.get(c.rule) {
                out.push(Finding {
                    rule_id: Arc::from(rule.id.as_ref()),
                    rule_name: Arc::from(rule.name.as_ref()),
                    range: c.range,
                    line,
                });
            } else if let Some(label) = c
                .rule
                .checked_sub(self.rules.len())
                .and_then(|i| self.exact.get()?.set.label(i))
            {
                let name = match label.strip_prefix("env:") {
                    Some(var) => format!("value of environment variable {var}"),
                    None => format!("known credential {label}"),
                };
                out.push(Finding {
                    rule_id: label.clone(),
                    rule_name: Arc::from(name),
                    range: c.range,
                    line,
                });
            }
        }
        out
    }

    /// Secrets in raw bytes (any encoding; the rules are ASCII). Ranges are byte ranges.
    pub fn find_bytes(&self, text: &[u8]) -> Vec<Finding> {
        let cands = Detector::resolve(self.all_candidates(text));
        let cands = Detector::repeat_occurrences(text, cands);
        self.findings(text, cands)
    }

    /// Once a value is known to be a secret (often from its context: `password=…`), every
    /// other occurrence of it in the text is one too (`echo …` a few lines later), whatever
    /// surrounds it. Values shorter than 8 bytes are not repeated (too likely to be
    /// ordinary words elsewhere), nor values over [`MAX_REPEATED_LEN`].
    fn repeat_occurrences(text: &[u8], kept: Vec<Candidate>) -> Vec<Candidate> {
        let mut seen: HashSet<&[u8]> = HashSet::new();
        let mut values: Vec<(&[u8], usize, u8)> = Vec::new();
        for c in &kept {
            if let Some(v) = text.get(c.range.clone()) {
                // Long values (keys, JWTs) have formats of their own and would make the
                // automaton costly; repeats of those are found by their rules already.
                if (8..=MAX_REPEATED_LEN).contains(&v.len())
                    && shannon_entropy(v) >= 3.0
                    && seen.insert(v)
                {
                    values.push((v, c.rule, c.priority));
                }
            }
        }
        // A text with thousands of distinct secrets is a dump; each is found in place, and
        // chasing repeats would cost more than it finds.
        if values.is_empty() || values.len() > MAX_REPEATED_VALUES {
            return kept;
        }
        let Ok(ac) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values.iter().map(|(v, _, _)| v))
        else {
            return kept;
        };
        let before = kept.len();
        let mut all = kept;
        let mut count = vec![0usize; values.len()];
        let mut repeats = Vec::new();
        for m in ac.find_iter(text) {
            let i = m.pattern().as_usize();
            if let Some(n) = count.get_mut(i) {
                *n += 1;
            }
            repeats.push((i, m.range()));
        }
        for (i, range) in repeats {
            // A value that recurs dozens of times is a common token, not a leaked secret:
            // repeating it would multiply one doubtful finding.
            if count.get(i).is_some_and(|n| *n > MAX_REPEATS) {
                continue;
            }
            if let Some((_, rule, priority)) = values.get(i) {
                all.push(Candidate {
                    range,
                    rule: *rule,
                    priority: *priority,
                });
            }
        }
        if all.len() == before {
            return all;
        }
        // Each value also re-finds itself; resolving drops those duplicates (the sort is
        // stable, so the original candidate is the one kept).
        Detector::resolve(all)
    }

    /// Secrets in `text`: non-overlapping, sorted by position, ranges on char boundaries.
    pub fn find(&self, text: &str) -> Vec<Finding> {
        let bytes = text.as_bytes();
        let mut cands = self.all_candidates(bytes);
        // A byte class can end inside a multi-byte character; widen to whole characters so
        // that slicing and replacing stay valid (and cover the whole secret).
        for c in &mut cands {
            while c.range.start > 0 && !text.is_char_boundary(c.range.start) {
                c.range.start -= 1;
            }
            while c.range.end < bytes.len() && !text.is_char_boundary(c.range.end) {
                c.range.end += 1;
            }
        }
        let cands = Detector::resolve(cands);
        let cands = Detector::repeat_occurrences(bytes, cands);
        self.findings(bytes, cands)
    }

    /// `text` with each secret replaced by `[REDACTED:<rule-id>]`, and the findings (ranges
    /// refer to the input).
    pub fn redact<'t>(&self, text: &'t str) -> (Cow<'t, str>, Vec<Finding>) {
        let findings = self.find(text);
        if findings.is_empty() {
            return (Cow::Borrowed(text), findings);
        }
        (Cow::Owned(splice(text, &findings)), findings)
    }

    /// Byte version of [`Detector::redact`], for [`scrub`].
    pub fn redact_bytes<'t>(&self, text: &'t [u8]) -> (Cow<'t, [u8]>, Vec<Finding>) {
        let findings = self.find_bytes(text);
        if findings.is_empty() {
            return (Cow::Borrowed(text), findings);
        }
        let mut out = Vec::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.extend_from_slice(text.get(at..f.range.start).unwrap_or_default());
            out.extend_from_slice(b"[REDACTED:");
            out.extend_from_slice(f.rule_id.as_bytes());
            out.push(b']');
            at = f.range.end;
        }
        out.extend_from_slice(text.get(at..).unwrap_or_default());
        (Cow::Owned(out), findings)
    }

    /// A string value under `key` (of a JSON object): scanned as `key: "value"` so that the
    /// generic rule sees the credential name; findings inside the value are applied to it and
    /// added to `found`. The JSON walk is `crate::input::Json::redact`.
    pub fn redact_entry(&self, key: &str, value: &mut String, found: &mut Vec<Finding>) {
        let findings = self.entry_findings(key, value);
        if findings.is_empty() {
            return;
        }
        *value = splice(value, &findings);
        found.extend(findings);
    }

    /// The findings inside a string value scanned as `key: "value"`, relative to the value.
    pub fn entry_findings(&self, key: &str, value: &str) -> Vec<Finding> {
        // Sized up front: `format!` would grow the buffer (and copy it) a few times for a
        // long value.
        let mut probe = String::with_capacity(key.len() + value.len() + 4);
        probe.push_str(key);
        probe.push_str(": \"");
        probe.push_str(value);
        probe.push('"');
        let offset = key.len() + 3;
        let end = offset + value.len();
        let key_lines = key.bytes().filter(|&b| b == b'\n').count();
        // A finding that runs into the probe's own quote (a Kubernetes value, a netrc password
        // at the end of the string) is cut back to the value; one wholly in the key is dropped.
        self.find(&probe)
            .into_iter()
            .filter(|f| f.range.start.max(offset) < f.range.end.min(end))
            .map(|mut f| {
                f.range = f.range.start.max(offset) - offset..f.range.end.min(end) - offset;
                f.line = f.line.saturating_sub(key_lines).max(1);
                f
            })
            .collect()
    }

    /// A printable stand-in for a finding in `text`: the rule's fixed prefix (only when the
    /// secret starts with it) and the length, e.g. `ghp_…[40 bytes]`. Never more of the value.
    pub fn mask(&self, text: &[u8], f: &Finding) -> String {
        let secret = text.get(f.range.clone()).unwrap_or_default();
        let prefix = self
            .rules
            .iter()
            .find(|r| *r.id == *f.rule_id)
            .map(|r| r.prefix)
            .filter(|p| secret.starts_with(p.as_bytes()))
            .unwrap_or_default();
        format!("{prefix}…[{} bytes]", secret.len())
    }
}

/// Merges two lists sorted by start into one.
fn merge_by_start(a: Vec<Candidate>, b: Vec<Candidate>) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.range.start <= y.range.start,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        out.extend(next);
    }
    out
}

/// `text` with each finding's range replaced by its marker.
fn splice(text: &str, findings: &[Finding]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        out.push_str(text.get(at..f.range.start).unwrap_or_default());
        out.push_str("[REDACTED:");
        out.push_str(&f.rule_id);
        out.push(']');
        at = f.range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// Longest line scrub holds before it cuts (at a blank if it can): a bound on memory for input
/// without newlines. A cut can split a secret, so the cut favours whitespace.
const MAX_LINE: usize = 1 << 20;
/// Longest private-key block scrub waits for before it gives up waiting for the footer.
const MAX_BLOCK: usize = 1 << 20;

/// Copies `input` to `output` with every secret redacted; returns the number of secrets.
///
/// Works on chunks of whole lines (whatever complete lines a read delivered), so output keeps
/// pace with a live pipe; a chunk is held back while it ends inside a private-key block, so
/// that the block is redacted whole. Lines longer than 1 MiB are cut, preferably at a blank.
/// Bytes that are not UTF-8 pass through unchanged.
pub fn scrub<R: Read, W: Write>(d: &Detector, mut input: R, mut output: W) -> io::Result<usize> {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut count = 0usize;
    let mut in_key_tail = false;
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let eof = n == 0;
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        loop {
            let cut = if eof {
                pending.len()
            } else {
                match pending.iter().rposition(|&b| b == b'\n') {
                    Some(nl)
                        if !open_key_block(pending.get(..=nl).unwrap_or_default())
                            || pending.len() >= MAX_BLOCK =>
                    {
                        nl + 1
                    }
                    Some(_) => 0,
                    None if pending.len() >= MAX_LINE => long_line_cut(&pending),
                    None => 0,
                }
            };
            if cut == 0 {
                break;
            }
            let mut chunk: Vec<u8> = pending.drain(..cut).collect();
            if in_key_tail {
                let (rest, still) = skip_key_tail(&chunk, &mut output)?;
                in_key_tail = still;
                chunk = rest;
            }
            let (red, found) = d.redact_bytes(&chunk);
            count += found.len();
            output.write_all(&red)?;
            if open_key_block(&chunk) {
                // The block was cut by the size bound: what follows is still key material.
                in_key_tail = true;
            }
            if eof || pending.is_empty() {
                break;
            }
        }
        output.flush()?;
        if eof {
            return Ok(count);
        }
    }
}

fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The chunk's last `-----BEGIN … PRIVATE KEY-----` has no `-----END` after it.
fn open_key_block(chunk: &[u8]) -> bool {
    let Some(b) = rfind_sub(chunk, b"-----BEGIN") else {
        return false;
    };
    let after = chunk.get(b..).unwrap_or_default();
    let header = after.get(..after.len().min(80)).unwrap_or_default();
    find_sub(header, b"PRIVATE KEY").is_some() && find_sub(after, b"-----END").is_none()
}

/// Drops the base64 lines that continue a key block cut by the size bound (writing one
/// marker for them), up to and including its footer. Returns the rest of the chunk and
/// whether the block goes on past it.
fn skip_key_tail<W: Write>(chunk: &[u8], output: &mut W) -> io::Result<(Vec<u8>, bool)> {
    let mut at = 0;
    let mut still = true;
    for line in chunk.split_inclusive(|&b| b == b'\n') {
        let t = line.trim_ascii();
        if find_sub(t, b"-----END").is_some() {
            at += line.len();
            still = false;
            break;
        }
        if t.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            at += line.len();
        } else {
            still = false;
            break;
        }
    }
    if at > 0 {
        output.write_all(b"[REDACTED:private-key]\n")?;
    }
    Ok((chunk.get(at..).unwrap_or_default().to_vec(), still))
}

/// Where to cut a line longer than [`MAX_LINE`]: after the last blank in its second half, or
/// at the bound.
fn long_line_cut(pending: &[u8]) -> usize {
    let window = pending.get(MAX_LINE / 2..MAX_LINE).unwrap_or_default();
    window
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';'))
        .map_or(MAX_LINE, |p| MAX_LINE / 2 + p + 1)
}
