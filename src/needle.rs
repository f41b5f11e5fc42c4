//! Needles: literal text every match of a regex contains, found from the parsed pattern.
//! Text without the needle cannot match, so the regex need not be compiled for it: compiling
//! is most of what a regex costs a hook process, and most texts a rule sees never match.
//!
//! What belongs here: finding needles and searching for them. What does not: when a caller
//! may skip its regex (only for patterns known to compile: a regex that fails to compile
//! matches everything, and skipping it would not).
use serde::{Deserialize, Serialize};

/// One character of a [`needle`]: an exact byte, or an ASCII letter in either case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Unit {
    Exact(u8),
    Fold(u8),
}

impl Unit {
    fn matches(self, b: u8) -> bool {
        match self {
            Unit::Exact(e) => b == e,
            Unit::Fold(f) => b.to_ascii_lowercase() == f,
        }
    }
}

/// What every match of a regex contains: one of `runs`. With `ascii_only`, only in ASCII
/// text: `(?i)k` also matches the Kelvin sign and `(?i)s` the long s, which a [`Unit::Fold`]
/// does not see, so non-ASCII text is always handed to the regex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needle {
    runs: Vec<Vec<Unit>>,
    ascii_only: bool,
}

/// At most this many alternatives in one needle: each is searched for separately.
const MAX_ALTERNATIVES: usize = 16;

impl Needle {
    /// The needle of `source`, parsed with Unicode on or off as the caller compiles it;
    /// `None` when it does not parse or has no needle worth searching for.
    pub fn of_regex(source: &str, unicode: bool) -> Option<Needle> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(unicode)
            .build()
            .parse(source)
            .ok()?;
        needle(&hir)
    }

    fn run(units: Vec<Unit>, ascii_only: bool) -> Option<Needle> {
        (!units.is_empty()).then(|| Needle {
            runs: vec![units],
            ascii_only,
        })
    }

    /// How selective the needle is: its shortest run (then fewer alternatives).
    fn score(&self) -> (usize, std::cmp::Reverse<usize>) {
        let shortest = self.runs.iter().map(Vec::len).min().unwrap_or(0);
        (shortest, std::cmp::Reverse(self.runs.len()))
    }

    /// Whether `text` may match: some run occurs in it (or the needle cannot tell).
    pub fn admits(&self, text: &[u8]) -> bool {
        (self.ascii_only && !text.is_ascii()) || self.runs.iter().any(|run| contains(text, run))
    }
}

/// The better of two needles (each a necessary condition, so either may be used).
fn best(a: Option<Needle>, b: Option<Needle>) -> Option<Needle> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.score() > a.score() { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The most selective [`Needle`] found for `hir`: runs of single characters (or ASCII case
/// pairs, which `(?i)` makes of `c`) that every match contains, one of several for an
/// alternation; `None` when there is none worth searching for.
fn needle(hir: &regex_syntax::hir::Hir) -> Option<Needle> {
    use regex_syntax::hir::{Class, HirKind};
    // One character: its units, and whether it is only sound for ASCII text.
    let unit = |h: &regex_syntax::hir::Hir| -> Option<(Vec<Unit>, bool)> {
        match h.kind() {
            HirKind::Literal(l) => Some((l.0.iter().map(|b| Unit::Exact(*b)).collect(), false)),
            HirKind::Class(Class::Unicode(c)) => {
                let chars: Vec<char> = c
                    .ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .take(4)
                    .collect();
                let pair = |a: char, b: char| a.is_ascii_uppercase() && b == a.to_ascii_lowercase();
                match chars.as_slice() {
                    [a] if a.is_ascii() => Some((vec![Unit::Exact(*a as u8)], false)),
                    [a, b] if pair(*a, *b) => Some((vec![Unit::Fold(*b as u8)], false)),
                    // `k`/`K`/Kelvin sign, `s`/`S`/long s: simple case folding adds one
                    // non-ASCII character to these two letters.
                    [a, b, c] if pair(*a, *b) && !c.is_ascii() => {
                        Some((vec![Unit::Fold(*b as u8)], true))
                    }
                    _ => None,
                }
            }
            // Unicode off: `(?i)k` is the two bytes `K` `k` and nothing else.
            HirKind::Class(Class::Bytes(c)) => {
                let bytes: Vec<u8> = c
                    .ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .take(3)
                    .collect();
                match bytes.as_slice() {
                    [a] => Some((vec![Unit::Exact(*a)], false)),
                    [a, b] if a.is_ascii_uppercase() && *b == a.to_ascii_lowercase() => {
                        Some((vec![Unit::Fold(*b)], false))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    };
    match hir.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => unit(hir).and_then(|(u, a)| Needle::run(u, a)),
        HirKind::Capture(c) => needle(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => needle(&r.sub),
        HirKind::Alternation(branches) => {
            let mut all = Needle {
                runs: Vec::new(),
                ascii_only: false,
            };
            for branch in branches {
                let n = needle(branch)?;
                all.ascii_only |= n.ascii_only;
                for run in n.runs {
                    if !all.runs.contains(&run) {
                        all.runs.push(run);
                    }
                }
            }
            (all.runs.len() <= MAX_ALTERNATIVES).then_some(all)
        }
        HirKind::Concat(items) => {
            let mut found = None;
            let mut run: Vec<Unit> = Vec::new();
            let mut run_ascii_only = false;
            for item in items {
                match unit(item) {
                    Some((u, ascii_only)) => {
                        run.extend(u);
                        run_ascii_only |= ascii_only;
                    }
                    None => {
                        let done = Needle::run(std::mem::take(&mut run), run_ascii_only);
                        run_ascii_only = false;
                        found = best(found, done);
                        found = best(found, needle(item));
                    }
                }
            }
            best(found, Needle::run(run, run_ascii_only))
        }
        _ => None,
    }
}

fn contains(text: &[u8], needle: &[Unit]) -> bool {
    needle.is_empty()
        || text
            .windows(needle.len())
            .any(|w| w.iter().zip(needle).all(|(b, u)| u.matches(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each needle is a necessary condition: wherever the regex matches, the needle admits the
    /// text (Unicode on and off, as secret rules compile theirs).
    #[test]
    fn needle_admits_every_text_the_regex_matches() {
        let patterns = [
            r"\bSK[0-9a-fA-F]{32}\b",
            r"(?i)\bxox[baprs]-[0-9a-z-]{10,}",
            r"(?i)(kill|sk)",
            r"(a|bc)d",
            r"ghp_[0-9A-Za-z]{36}",
            r"(?i)\$\{?[a-z_0-9]*(token|secret)",
        ];
        let texts = [
            "",
            "ask",
            "SK0123456789abcdef0123456789abcdef",
            "sk0123456789abcdef0123456789abcdef",
            "XOXB-1234567890",
            "xoxp-12345678901",
            "SKILL",
            "s\u{17F}",
            "\u{212A}ill",
            "ad",
            "bcd",
            "ghp_0123456789012345678901234567890123456",
            "$MY_TOKEN",
            "${db_Secret}",
        ];
        for unicode in [true, false] {
            for p in patterns {
                let re = regex::bytes::RegexBuilder::new(p)
                    .unicode(unicode)
                    .build()
                    .unwrap();
                let needle = Needle::of_regex(p, unicode);
                for t in texts {
                    if re.is_match(t.as_bytes()) {
                        assert!(
                            needle.as_ref().is_none_or(|n| n.admits(t.as_bytes())),
                            "`{p}` (unicode {unicode}) matches {t:?} but its needle {needle:?} does not admit it"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn needles_found() {
        let exact = |s: &str| s.bytes().map(Unit::Exact).collect::<Vec<_>>();
        let fold = |s: &str| s.bytes().map(Unit::Fold).collect::<Vec<_>>();
        type Runs = Option<Vec<Vec<Unit>>>;
        let cases: &[(&str, bool, Runs)] = &[
            (r"\bSK[0-9a-f]{32}\b", false, Some(vec![exact("SK")])),
            (r"(?i)drop", false, Some(vec![fold("drop")])),
            (r"(a|bc)d", true, Some(vec![exact("d")])),
            (r"(ab|cd)e", true, Some(vec![exact("ab"), exact("cd")])),
            (r"x(ab|)y", true, Some(vec![exact("x")])),
            (r"[a-z]+", true, None),
            (r"(?i)tok", true, Some(vec![fold("tok")])),
        ];
        for (p, unicode, want) in cases {
            let got = Needle::of_regex(p, *unicode).map(|n| n.runs);
            assert_eq!(&got, want, "`{p}`");
        }
        // `(?i)k` with Unicode also matches the Kelvin sign: the needle holds for ASCII only.
        let n = Needle::of_regex("(?i)tok", true).unwrap();
        assert!(n.ascii_only);
        assert!(n.admits("TO\u{212A}".as_bytes()));
        assert!(!n.admits(b"ask"));
        assert!(!Needle::of_regex("(?i)tok", false).unwrap().ascii_only);
    }
}
