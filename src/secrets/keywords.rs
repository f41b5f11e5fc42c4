//! Finding the rules' keywords in a text without building an automaton.
//!
//! A hook process scans one tool input or output and exits, so what it pays to *set up* a
//! keyword search matters as much as the search itself: building the Aho-Corasick NFA over the
//! ~150 built-in keywords cost about 1 M instructions per process, more than scanning a
//! typical input, and the DFA worth having for 1 MB of output another 7 M.
//!
//! [`PairIndex`] needs no automaton, only three bitmaps of byte pairs (8 KiB each, filled in a
//! few thousand instructions): `starts` holds each pair of bytes a keyword begins with,
//! `follows` each pair at a keyword's second and third bytes, both in either ASCII case, and
//! `either` their union. Every keyword of two bytes or more holds a pair of `either` at an
//! even position of the text, so the scan tests one pair in two; where a bit is set, it
//! checks the two positions that pair can belong to against `starts` and `follows`, and only
//! where both allow a keyword are the keywords that begin with those two bytes compared, in
//! place. The result is *exact* (every occurrence of every keyword, overlapping ones
//! included, and nothing else), not only a filter: the same matches as the automaton it
//! replaces, which ran over the ASCII-lowercased text (tested against Aho-Corasick in
//! `tests.rs`), so no rule is skipped that the automaton would have run.
//!
//! Cost, measured with callgrind over 1 MB: about 9 instructions per byte of a build log and
//! 20 of Rust source, after a build of under 0.1 M; the automaton's DFA scanned at about 18
//! per byte either way, after a 7 M-instruction build and a lowercased copy of the text.
//! Where a keyword may start: a look-up of its first byte's group (a table of 257 offsets, no
//! search), a walk through that group up to the keywords that share the first two bytes, and
//! a comparison with each of those (at most 13 in the built-in table, `gl…`). A policy that
//! crowds one first byte with keywords (see [`WIDE`]) keeps using the automaton.

use std::borrow::Cow;

/// Above this many keywords with one first byte the automaton is used instead.
pub(super) const WIDE: usize = 64;

/// One keyword: its first two bytes (`None` for the second of a one-byte keyword) and its
/// pattern index. Sorted, the entries group keywords by their first two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    first: u8,
    second: Option<u8>,
    keyword: u32,
    /// Its first four bytes (fewer for a shorter keyword), little-endian, and the mask of those
    /// bytes: a text whose next four lowercased bytes differ under the mask is not compared.
    head: u32,
    mask: u32,
}

/// Up to four bytes of `bytes` as a little-endian word, missing bytes zero.
fn word4(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .enumerate()
        .fold(0, |w, (i, &b)| w | u32::from(b) << (8 * i))
}

/// ASCII-lowercases the four bytes of `w` (the others unchanged): `+ 0x25` carries into a
/// byte's high bit from `A` (0x41) up, `+ 0x3f` from past `Z` (0x5b) up, so where the first
/// does and the second does not, the byte is upper case and gets 0x20 added.
fn lower4(w: u32) -> u32 {
    let low7 = w & 0x7f7f_7f7f;
    let from_a = low7.wrapping_add(0x3f3f_3f3f);
    let past_z = low7.wrapping_add(0x2525_2525);
    let upper = from_a & !past_z & !w & 0x8080_8080;
    w | upper >> 2
}

/// A set of byte pairs: bit `a << 8 | b`.
struct PairSet(Box<[u64; 1024]>);

impl PairSet {
    fn new() -> PairSet {
        PairSet(Box::new([0; 1024]))
    }

    fn insert(&mut self, a: u8, b: u8) {
        insert(&mut self.0, a, b);
    }

    /// Both ASCII cases of `a` and of `b` (or every second byte, for `None`).
    fn insert_any_case(&mut self, a: u8, b: Option<u8>) {
        for a in [a, a.to_ascii_uppercase()] {
            match b {
                Some(b) => {
                    self.insert(a, b);
                    self.insert(a, b.to_ascii_uppercase());
                }
                None => (0..=u8::MAX).for_each(|b| self.insert(a, b)),
            }
        }
    }

    fn fill(&mut self) {
        self.0.fill(u64::MAX);
    }
}

fn insert(set: &mut [u64; 1024], a: u8, b: u8) {
    let pair = usize::from(a) << 8 | usize::from(b);
    if let Some(w) = set.get_mut(pair >> 6) {
        *w |= 1 << (pair & 63);
    }
}

#[inline(always)]
fn contains(set: &[u64; 1024], a: u8, b: u8) -> bool {
    let pair = usize::from(a) << 8 | usize::from(b);
    // In bounds: `pair >> 6` is below 1024. `get` keeps the lints quiet for free.
    set.get(pair >> 6)
        .is_some_and(|w| w >> (pair & 63) & 1 != 0)
}

/// `starts`, `follows` and `either` (see [`PairIndex`]) as one value.
type Tables = [[u64; 1024]; 3];

/// The pair tables over the built-in rules' keywords, made at compile time: a hook process
/// with the built-in rules (and any policy keywords they already cover) builds none. Filling
/// three 8 KiB tables cost about 0.07 M instructions per process (zeroing, then 160 keywords
/// in each ASCII case).
static BUILTIN: Tables = builtin_tables();

#[allow(
    clippy::indexing_slicing,
    reason = "const fn: no `get`; every index is checked"
)]
const fn builtin_tables() -> Tables {
    const fn put(set: &mut [u64; 1024], a: u8, b: u8) {
        let pair = (a as usize) << 8 | b as usize;
        set[pair >> 6] |= 1 << (pair & 63);
    }
    const fn put_any_case(set: &mut [u64; 1024], a: u8, b: Option<u8>) {
        let cases = [a, a.to_ascii_uppercase()];
        let mut i = 0;
        while i < 2 {
            match b {
                Some(b) => {
                    put(set, cases[i], b);
                    put(set, cases[i], b.to_ascii_uppercase());
                }
                None => {
                    let mut c = 0;
                    while c < 256 {
                        put(set, cases[i], c as u8);
                        c += 1;
                    }
                }
            }
            i += 1;
        }
    }
    let mut t = [[0u64; 1024]; 3];
    let rules = super::rules::RULES;
    let mut r = 0;
    while r < rules.len() {
        let keywords = rules[r].keywords;
        let mut j = 0;
        while j < keywords.len() {
            let k = keywords[j].as_bytes();
            // Built-in keywords are lowercase and at least two bytes long (tested).
            if k.len() >= 2 {
                put_any_case(&mut t[0], k[0], Some(k[1]));
                put_any_case(&mut t[1], k[1], if k.len() > 2 { Some(k[2]) } else { None });
            }
            j += 1;
        }
        r += 1;
    }
    let mut w = 0;
    while w < 1024 {
        t[2][w] = t[0][w] | t[1][w];
        w += 1;
    }
    t
}

/// Bits in the set of keyword beginnings ([`triple_bit`]).
const TRIPLE_BITS: u32 = 15;

/// A set of three-byte keyword beginnings, hashed (collisions only let more positions through
/// to [`PairIndex::at`], which compares the keywords themselves).
type Triples = [u64; 1 << (TRIPLE_BITS - 6)];

/// The bit of the ASCII-lowercased bytes `a b c` in a [`Triples`] set.
#[inline]
const fn triple_bit(a: u8, b: u8, c: u8) -> usize {
    let x = a.to_ascii_lowercase() as u32
        | (b.to_ascii_lowercase() as u32) << 8
        | (c.to_ascii_lowercase() as u32) << 16;
    (x.wrapping_mul(0x9E37_79B1) >> (32 - TRIPLE_BITS)) as usize
}

#[inline(always)]
fn has_triple(set: &Triples, a: u8, b: u8, c: u8) -> bool {
    let bit = triple_bit(a, b, c);
    set.get(bit >> 6).is_some_and(|w| w >> (bit & 63) & 1 != 0)
}

/// Adds keyword `k`'s beginning: its first three bytes, or for a two-byte keyword those two
/// and every third byte. Nothing for a shorter one (the caller then uses no triple set).
#[allow(
    clippy::indexing_slicing,
    reason = "const fn: no `get`; bits are below the size"
)]
const fn add_triples(set: &mut Triples, k: &[u8]) {
    if k.len() >= 3 {
        let bit = triple_bit(k[0], k[1], k[2]);
        set[bit >> 6] |= 1 << (bit & 63);
    } else if k.len() == 2 {
        let mut c = 0;
        while c < 256 {
            let bit = triple_bit(k[0], k[1], c as u8);
            set[bit >> 6] |= 1 << (bit & 63);
            c += 1;
        }
    }
}

/// The beginnings of the built-in keywords, made at compile time.
static BUILTIN_TRIPLES: Triples = builtin_triples();

#[allow(
    clippy::indexing_slicing,
    reason = "const fn: no `get`; every index is checked"
)]
const fn builtin_triples() -> Triples {
    let mut t = [0u64; 1 << (TRIPLE_BITS - 6)];
    let rules = super::rules::RULES;
    let mut r = 0;
    while r < rules.len() {
        let keywords = rules[r].keywords;
        let mut j = 0;
        while j < keywords.len() {
            add_triples(&mut t, keywords[j].as_bytes());
            j += 1;
        }
        r += 1;
    }
    t
}

/// Whether the built-in tables hold every pair the tables over `keywords` would: each
/// keyword lowercase, at least two bytes, its first pair in `starts` and its second and
/// third bytes (any third byte, for a two-byte keyword) in `follows`, each in either ASCII
/// case (the built-in tables hold both cases of every pair they hold). Then they find every
/// occurrence the keywords' own tables would; `at` compares the keywords themselves.
fn builtin_covers(keywords: &[Cow<'static, str>]) -> bool {
    let [starts, follows, _] = &BUILTIN;
    keywords.iter().all(|k| match *k.as_bytes() {
        [a, b, c, ..] => {
            !k.bytes().any(|x| x.is_ascii_uppercase())
                && contains(starts, a, b)
                && contains(follows, b, c)
                && has_triple(&BUILTIN_TRIPLES, a, b, c)
        }
        [a, b] => {
            !a.is_ascii_uppercase()
                && !b.is_ascii_uppercase()
                && contains(starts, a, b)
                && (0..=u8::MAX).all(|c| contains(follows, b, c))
                && (0..=u8::MAX).all(|c| has_triple(&BUILTIN_TRIPLES, a, b, c))
        }
        _ => false,
    })
}

/// Every beginning: the triple set of a detector with a one-byte keyword (no filter).
static ALL_TRIPLES: Triples = [u64::MAX; 1 << (TRIPLE_BITS - 6)];

/// The pair tables of a [`PairIndex`]: the built-in ones, or built for its keywords.
enum Pairs {
    Builtin,
    /// The pair tables, and the keywords' beginnings (`None` when a keyword is one byte).
    Own(Box<Tables>, Option<Box<Triples>>),
}

/// The pair tables over a detector's keywords (lowercase, none empty).
pub(super) struct PairIndex {
    /// `[starts, follows, either]`. `starts`: pairs a keyword begins with, in any ASCII case;
    /// `(a, _)` for a one-byte keyword `a`. `follows`: pairs at a keyword's second and third
    /// bytes, in any ASCII case; `(b, _)` for a two-byte keyword `ab`; everything when a
    /// keyword is one byte long. `either`: both together, what the scan tests at every second
    /// position. The built-in tables where they cover the keywords ([`builtin_covers`]).
    pairs: Pairs,
    /// Every keyword, sorted by its first two bytes.
    entries: Vec<Entry>,
    /// Where the keywords with first byte `b` are in `entries`: `by_first[b]..by_first[b + 1]`
    /// (at most [`WIDE`] of them, so no search is needed to find one pair's group).
    by_first: Box<[u16; 257]>,
    /// Some keyword is one byte long (only policy keywords can be).
    single: bool,
}

impl PairIndex {
    /// `None` when the keywords are not fit for it (an empty one, one with an ASCII upper-case
    /// byte, which the lowercased text never holds, too many sharing a first byte): the caller
    /// uses the automaton.
    pub(super) fn new(keywords: &[Cow<'static, str>]) -> Option<PairIndex> {
        // The built-in tables when they cover these keywords, else tables built here.
        let builtin = builtin_covers(keywords);
        let mut starts = (!builtin).then(PairSet::new);
        let mut follows = (!builtin).then(PairSet::new);
        let mut entries = Vec::with_capacity(keywords.len());
        let mut counts = [0usize; 256];
        let mut single = false;
        for (i, k) in keywords.iter().enumerate() {
            let k = k.as_bytes();
            if k.iter().any(u8::is_ascii_uppercase) {
                return None;
            }
            let &first = k.first()?;
            let second = k.get(1).copied();
            let count = counts.get_mut(usize::from(first))?;
            *count += 1;
            if *count > WIDE {
                return None;
            }
            let len = k.len().min(4);
            entries.push(Entry {
                first,
                second,
                keyword: u32::try_from(i).ok()?,
                head: word4(k),
                mask: u32::MAX.checked_shr(32 - 8 * u32::try_from(len).ok()?)?,
            });
            if let Some(starts) = starts.as_mut() {
                starts.insert_any_case(first, second);
            }
            match second {
                Some(second) => {
                    if let Some(follows) = follows.as_mut() {
                        follows.insert_any_case(second, k.get(2).copied());
                    }
                }
                None => single = true,
            }
        }
        let pairs = match (starts, follows) {
            (Some(starts), Some(mut follows)) => {
                if single {
                    follows.fill();
                }
                let mut either = [0u64; 1024];
                for ((e, s), f) in either.iter_mut().zip(starts.0.iter()).zip(follows.0.iter()) {
                    *e = s | f;
                }
                let triples = (!single).then(|| {
                    let mut t = Box::new([0u64; 1 << (TRIPLE_BITS - 6)]);
                    for k in keywords {
                        add_triples(&mut t, k.as_bytes());
                    }
                    t
                });
                Pairs::Own(Box::new([*starts.0, *follows.0, either]), triples)
            }
            _ => Pairs::Builtin,
        };
        entries.sort_unstable();
        // `counts` (per first byte, each at most `WIDE`) summed up: group boundaries.
        let mut by_first = Box::new([0u16; 257]);
        let mut total = 0u16;
        for (slot, &count) in by_first.iter_mut().skip(1).zip(counts.iter()) {
            total = total.checked_add(u16::try_from(count).ok()?)?;
            *slot = total;
        }
        Some(PairIndex {
            pairs,
            entries,
            by_first,
            single,
        })
    }

    /// Calls `found(keyword, start, end)` for every occurrence of every keyword in `text`,
    /// overlapping ones included, comparing the ASCII-lowercased text with the keywords;
    /// in order of start (for one start, in the order of the sorted entries).
    ///
    /// Every keyword of two bytes or more holds a pair that begins at an even position: its
    /// first pair when it starts at one, else the pair at its second and third bytes (for a
    /// two-byte keyword, its second byte and whatever follows, or nothing at the very end).
    /// So the scan tests one pair in two against `either`, and where a bit is set, checks
    /// the two positions that pair can belong to. With a one-byte keyword every position is
    /// tested.
    pub(super) fn scan(
        &self,
        keywords: &[Cow<'static, str>],
        text: &[u8],
        mut found: impl FnMut(usize, usize, usize),
    ) {
        let ([starts, follows, either], triples) = match &self.pairs {
            Pairs::Builtin => (&BUILTIN, &BUILTIN_TRIPLES),
            Pairs::Own(tables, triples) => (&**tables, triples.as_deref().unwrap_or(&ALL_TRIPLES)),
        };
        if self.single {
            for at in 0..text.len() {
                self.check(starts, follows, triples, keywords, text, at, &mut found);
            }
            return;
        }
        for (i, pair) in text.chunks_exact(2).enumerate() {
            if let [a, b] = *pair {
                if contains(either, a, b) {
                    let at = 2 * i;
                    if at > 0 {
                        self.check(starts, follows, triples, keywords, text, at - 1, &mut found);
                    }
                    self.check(starts, follows, triples, keywords, text, at, &mut found);
                }
            }
        }
        if text.len() % 2 == 1 && text.len() > 1 {
            // The last byte is at an even position with no pair of its own: a two-byte
            // keyword ending there was not seen by the loop.
            self.check(
                starts,
                follows,
                triples,
                keywords,
                text,
                text.len() - 2,
                &mut found,
            );
        }
    }

    /// The keywords starting at `at`, after the pair tables and the keywords' beginnings
    /// allow one there. Inlined into the scan loop by force: left to itself the compiler made
    /// it a call once the beginning test was added, and the loop cost a third more.
    #[inline(always)]
    #[allow(
        clippy::too_many_arguments,
        reason = "the loop's tables, passed as registers"
    )]
    fn check(
        &self,
        starts: &[u64; 1024],
        follows: &[u64; 1024],
        triples: &Triples,
        keywords: &[Cow<'static, str>],
        text: &[u8],
        at: usize,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        let Some(&a) = text.get(at) else { return };
        match text.get(at + 1) {
            Some(&b)
                if contains(starts, a, b)
                    && text.get(at + 2).is_none_or(|&c| {
                        contains(follows, b, c) && has_triple(triples, a, b, c)
                    }) =>
            {
                self.at(keywords, text, at, a, Some(b), found);
            }
            Some(_) => {}
            None if self.single => self.at(keywords, text, at, a, None, found),
            None => {}
        }
    }

    /// The keywords starting at `at`, where the text holds `first` and then `second`. Kept
    /// out of the scan loop (which runs at every second byte; this only where a keyword may
    /// start), so the loop stays small.
    #[inline(never)]
    fn at(
        &self,
        keywords: &[Cow<'static, str>],
        text: &[u8],
        at: usize,
        first: u8,
        second: Option<u8>,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        let first = first.to_ascii_lowercase();
        let second = second.map(|b| b.to_ascii_lowercase());
        let lo = self.by_first.get(usize::from(first)).copied().unwrap_or(0);
        let hi = self
            .by_first
            .get(usize::from(first) + 1)
            .copied()
            .unwrap_or(0);
        let group = self
            .entries
            .get(usize::from(lo)..usize::from(hi))
            .unwrap_or_default();
        // Sorted by second byte, `None` (one-byte keywords) first: the one-byte keywords,
        // then those that begin with `first` and `second`, each in the sorted order.
        let next = lower4(word4(text.get(at..).unwrap_or_default()));
        let matching = group
            .iter()
            .take_while(|e| e.second <= second)
            .filter(|e| e.second == second || e.second.is_none())
            .filter(|e| next & e.mask == e.head);
        for e in matching {
            let i = e.keyword as usize;
            let Some(k) = keywords.get(i) else { continue };
            let end = at + k.len();
            let Some(window) = text.get(at..end) else {
                continue;
            };
            if window
                .iter()
                .zip(k.as_bytes())
                .all(|(t, k)| t.to_ascii_lowercase() == *k)
            {
                found(i, at, end);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    /// The compile-time tables are exactly the tables built at run time over the built-in
    /// detector's keywords, and cover them; keywords they lack make a detector build its own.
    #[test]
    fn builtin_tables_are_the_built_in_keywords_tables() {
        let d = super::super::Detector::new();
        let (mut starts, mut follows) = (PairSet::new(), PairSet::new());
        for k in &d.keywords {
            let k = k.as_bytes();
            assert!(
                k.len() >= 2 && !k.iter().any(u8::is_ascii_uppercase),
                "{k:?}"
            );
            starts.insert_any_case(k[0], Some(k[1]));
            follows.insert_any_case(k[1], k.get(2).copied());
        }
        let either: Vec<u64> = starts
            .0
            .iter()
            .zip(follows.0.iter())
            .map(|(s, f)| s | f)
            .collect();
        assert!(BUILTIN[0] == *starts.0);
        assert!(BUILTIN[1] == *follows.0);
        assert!(BUILTIN[2][..] == either[..]);
        let mut triples = [0u64; 1 << (TRIPLE_BITS - 6)];
        for k in &d.keywords {
            add_triples(&mut triples, k.as_bytes());
        }
        assert!(BUILTIN_TRIPLES == triples);
        assert!(builtin_covers(&d.keywords));
        assert!(matches!(
            PairIndex::new(&d.keywords).map(|ix| ix.pairs),
            Some(Pairs::Builtin)
        ));
        for (other, builtin) in [
            (&["qzx"][..], false),
            (&["token", "zq"], false),
            (&["x"], false),
            (&["Token"], false),
            (&["token", "secret_"], true),
            (&["sk"], true),
        ] {
            let ks: Vec<Cow<'static, str>> = other.iter().map(|k| Cow::Borrowed(*k)).collect();
            assert_eq!(builtin_covers(&ks), builtin, "{other:?}");
        }
    }

    /// A detector with keywords the built-in tables lack finds them (its own tables).
    #[test]
    fn own_tables_find_keywords_the_builtin_tables_lack() {
        let ks: Vec<Cow<'static, str>> = vec![Cow::Borrowed("qzx"), Cow::Borrowed("token")];
        let ix = PairIndex::new(&ks).unwrap();
        assert!(matches!(ix.pairs, Pairs::Own(_, Some(_))));
        let mut hits = Vec::new();
        ix.scan(&ks, b"a QZX b Token c qzxtoken", |k, s, e| {
            hits.push((k, s, e))
        });
        assert_eq!(hits, vec![(0, 2, 5), (1, 8, 13), (0, 16, 19), (1, 19, 24)]);
        // A two-byte keyword before any third byte, in any case, and at the very end.
        let ks: Vec<Cow<'static, str>> = vec![Cow::Borrowed("zq"), Cow::Borrowed("tok")];
        let ix = PairIndex::new(&ks).unwrap();
        let mut hits = Vec::new();
        ix.scan(&ks, b"ZQ\xff zQ. TOKzq", |k, s, e| hits.push((k, s, e)));
        assert_eq!(hits, vec![(0, 0, 2), (0, 4, 6), (1, 8, 11), (0, 11, 13)]);
        // One-byte keywords: no triple set, every position is looked at.
        let ks: Vec<Cow<'static, str>> = vec![Cow::Borrowed("q"), Cow::Borrowed("tok")];
        let ix = PairIndex::new(&ks).unwrap();
        assert!(matches!(ix.pairs, Pairs::Own(_, None)));
        let mut hits = Vec::new();
        ix.scan(&ks, b"xQtoK", |k, s, e| hits.push((k, s, e)));
        assert_eq!(hits, vec![(0, 1, 2), (1, 2, 5)]);
    }

    /// `lower4` is `to_ascii_lowercase` on each of the four bytes, whatever the others hold.
    #[test]
    fn lower4_lowercases_each_byte_as_ascii() {
        for b in 0..=u8::MAX {
            for at in 0..4 {
                for fill in [0u8, b'A', b'z', 0x80, 0xff, b'@', b'['] {
                    let mut bytes = [fill; 4];
                    bytes[at] = b;
                    let want = word4(&bytes.map(|c| c.to_ascii_lowercase()));
                    assert_eq!(lower4(word4(&bytes)), want, "{bytes:?}");
                }
            }
        }
        assert_eq!(word4(b"ab"), u32::from(b'a') | u32::from(b'b') << 8);
        assert_eq!(word4(b"abcdef"), u32::from_le_bytes(*b"abcd"));
    }
}
