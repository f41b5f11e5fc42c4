//! The statistical half of the detector: logistic regression over hashed word unigrams and
//! bigrams plus the structural signals, per window of [`WIN`] words (a new one every [`STRIDE`] words); a text
//! scores as its best window, so one injected paragraph in a long page is not averaged away.
//!
//! The weights are a compact table compiled into the binary (`model.bin`, written by
//! `examples/inject_train.rs` from the data `scripts/inject_data.py` builds; see
//! docs/injection-report.md): a header (bias, the signals' weights, the threshold, the scale)
//! and 2^17 one-byte weights. Nothing is downloaded or compiled at run time; a window costs
//! two table reads per word. If the table is missing or malformed, [`model`] is `None` and the
//! detector falls back to the hand-set signal weights: caution, not permission.
use std::sync::OnceLock;

use super::scan::{Tok, N_SIGNALS};

/// Words per window.
pub const WIN: usize = 48;
/// Words between window starts.
pub const STRIDE: usize = 16;
/// log2 of the number of hash buckets.
pub const BUCKETS_LOG2: u32 = 17;
const MASK: u64 = (1 << BUCKETS_LOG2) - 1;
const MAGIC: &[u8; 4] = b"BWIM";
/// The feature set's version: a table trained on other features is refused (2: class n-grams
/// and signal pairs; 3: 20 signals, accents folded, other languages in the lexicon).
const VERSION: u32 = 3;
const HEADER: usize = 4 + 4 + 4 + 4 * 3 + 4 * N_SIGNALS;

static BYTES: &[u8] = include_bytes!("model.bin");

/// The loaded weights.
#[derive(Debug)]
pub struct Model {
    /// Intercept.
    pub bias: f32,
    /// The scale of the one-byte weights.
    pub scale: f32,
    /// A window is flagged when its logit reaches this.
    pub threshold: f32,
    /// Weight of each structural signal.
    pub signals: [f32; N_SIGNALS],
    table: &'static [u8],
}

impl Model {
    /// The weight of a bucket, in units of [`Model::scale`].
    pub fn weight(&self, bucket: u32) -> i32 {
        self.table
            .get(bucket as usize)
            .map_or(0, |b| i32::from(*b as i8))
    }
}

fn f32_at(b: &[u8], at: usize) -> Option<f32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(f32::from_le_bytes(bytes))
}

/// Parses a weight file (see [`encode`]).
pub fn parse(b: &'static [u8]) -> Option<Model> {
    if b.get(..4)? != MAGIC {
        return None;
    }
    let version = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?);
    let log2 = u32::from_le_bytes(b.get(8..12)?.try_into().ok()?);
    if version != VERSION || log2 != BUCKETS_LOG2 {
        return None;
    }
    let bias = f32_at(b, 12)?;
    let scale = f32_at(b, 16)?;
    let threshold = f32_at(b, 20)?;
    let mut signals = [0f32; N_SIGNALS];
    for (i, s) in signals.iter_mut().enumerate() {
        *s = f32_at(b, 24 + 4 * i)?;
    }
    let table = b.get(HEADER..)?;
    if table.len() != 1 << BUCKETS_LOG2 || ![bias, scale, threshold].iter().all(|v| v.is_finite()) {
        return None;
    }
    Some(Model {
        bias,
        scale,
        threshold,
        signals,
        table,
    })
}

/// Encodes weights into the file format [`parse`] reads.
pub fn encode(
    bias: f32,
    scale: f32,
    threshold: f32,
    signals: &[f32; N_SIGNALS],
    table: &[i8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + table.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&BUCKETS_LOG2.to_le_bytes());
    for v in [bias, scale, threshold].iter().chain(signals.iter()) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend(table.iter().map(|v| *v as u8));
    out
}

static M: OnceLock<Option<Model>> = OnceLock::new();

/// The compiled-in model, if its table is well formed.
pub fn model() -> Option<&'static Model> {
    M.get_or_init(|| parse(BYTES)).as_ref()
}

/// For the evaluation tool (`examples/inject_eval.rs --model FILE`): use another weight table
/// instead of the compiled-in one. Only before the first [`model`] call; false when it is too
/// late or the table is malformed. The hook never calls it.
#[doc(hidden)]
pub fn use_table(bytes: &'static [u8]) -> bool {
    parse(bytes).is_some_and(|m| M.set(Some(m)).is_ok())
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// What the model sees of a word beyond its identity: its lexicon categories, its shape, and
/// whether it starts a sentence, a line or a clause after a colon (imperatives do), holds an
/// `@` or is a URL scheme. Words outside the lexicon share one class per shape, so patterns
/// like "sentence-initial action verb … address" are learned apart from their vocabulary.
fn class(t: Option<&Tok>) -> u64 {
    use super::scan::brk;
    t.map_or(0xdead_beef, |t| {
        u64::from(t.cats)
            | u64::from(t.shape) << 32
            | u64::from(t.before & (brk::SENT | brk::LINE | brk::COLON) != 0) << 40
            | u64::from(t.at) << 41
            | u64::from(t.after & brk::URL != 0) << 42
    })
}

/// Buckets per word.
pub const PER_WORD: usize = 4;

/// The buckets of word `i`: its unigram, the word bigram it ends, and the class bigram and
/// trigram it ends (see [`class`]).
pub(crate) fn buckets(toks: &[Tok], i: usize) -> [u32; PER_WORD] {
    let h = toks.get(i).map_or(0, |t| t.hash);
    let before = |k: usize| i.checked_sub(k).and_then(|p| toks.get(p));
    let prev = before(1).map_or(0x5151_5151, |t| t.hash);
    let (c0, c1, c2) = (class(toks.get(i)), class(before(1)), class(before(2)));
    [
        (mix(h) & MASK) as u32,
        (mix(prev.rotate_left(23) ^ h ^ 0x9e37_79b9_7f4a_7c15) & MASK) as u32,
        (mix(c1.rotate_left(17) ^ c0 ^ 0x2545_f491_4f6c_dd1d) & MASK) as u32,
        (mix(c2.rotate_left(41) ^ c1.rotate_left(17) ^ c0 ^ 0x6a09_e667_f3bc_c908) & MASK) as u32,
    ]
}

/// The buckets of the pairs of signals found together in a window (co-occurrence: an address
/// to the AI with an order to send is worth more than each alone).
pub fn pair_buckets(mask: u32) -> impl Iterator<Item = u32> {
    (0..N_SIGNALS).flat_map(move |a| {
        (a + 1..N_SIGNALS)
            .filter(move |&b| mask & (1 << a) != 0 && mask & (1 << b) != 0)
            .map(move |b| (mix(0x0b5e_55ed ^ ((a as u64) << 8) ^ (b as u64)) & MASK) as u32)
    })
}

/// The windows over `n` words: `[start, end)`, every [`STRIDE`] words, the last one ending at
/// `n`; one window for a short text (and none for an empty one).
pub fn windows(n: usize) -> Vec<(usize, usize)> {
    if n == 0 {
        return Vec::new();
    }
    if n <= WIN {
        return vec![(0, n)];
    }
    let mut out = Vec::with_capacity(n / STRIDE + 2);
    let mut s = 0;
    while s + WIN < n {
        out.push((s, s + WIN));
        s += STRIDE;
    }
    out.push((n - WIN, n));
    out
}

/// What the trainer sees of one window: its signal mask and its buckets.
#[derive(Debug, Clone)]
pub struct WindowFeatures {
    /// Bit `i`: signal `i` was found in the window (or in the whole text, for invisible
    /// characters).
    pub signals: u32,
    /// [`PER_WORD`] buckets per word, then the window's signal pairs.
    pub buckets: Vec<u32>,
}

/// The features of every window of `text` (the trainer's view; [`super::assess`] computes the
/// same sums without materialising them).
pub fn window_features(text: &str) -> Vec<WindowFeatures> {
    let scanned = super::scan_text(text);
    scanned
        .windows
        .iter()
        .map(|&(s, e, mask)| WindowFeatures {
            signals: mask,
            buckets: (s..e)
                .flat_map(|i| buckets(&scanned.tokens.toks, i))
                .chain(pair_buckets(mask))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_every_word() {
        for n in [0, 1, 47, 48, 49, 63, 64, 65, 120, 121, 1000] {
            let w = windows(n);
            for i in 0..n {
                assert!(w.iter().any(|&(s, e)| s <= i && i < e), "{n} {i}");
            }
            assert!(w.iter().all(|&(s, e)| s < e && e <= n && e - s <= WIN));
        }
    }

    #[test]
    fn encode_parse_round_trip() {
        let table: Vec<i8> = (0..1 << BUCKETS_LOG2)
            .map(|i| (i % 200 - 100) as i8)
            .collect();
        let sig = [0.5; N_SIGNALS];
        let bytes: &'static [u8] =
            Box::leak(encode(-1.0, 0.01, 2.0, &sig, &table).into_boxed_slice());
        let m = parse(bytes).unwrap();
        assert_eq!(m.bias, -1.0);
        assert_eq!(m.threshold, 2.0);
        assert_eq!(m.weight(1), -99);
        assert!(parse(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn the_shipped_model_loads() {
        assert!(
            model().is_some(),
            "src/inject/model.bin is missing or malformed"
        );
    }
}
