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
    if version != 1 || log2 != BUCKETS_LOG2 {
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
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&BUCKETS_LOG2.to_le_bytes());
    for v in [bias, scale, threshold].iter().chain(signals.iter()) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend(table.iter().map(|v| *v as u8));
    out
}

/// The compiled-in model, if its table is well formed.
pub fn model() -> Option<&'static Model> {
    static M: OnceLock<Option<Model>> = OnceLock::new();
    M.get_or_init(|| parse(BYTES)).as_ref()
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// The two buckets of word `i`: its unigram and the bigram it ends.
pub(crate) fn buckets(toks: &[Tok], i: usize) -> [u32; 2] {
    let h = toks.get(i).map_or(0, |t| t.hash);
    let prev = i
        .checked_sub(1)
        .and_then(|p| toks.get(p))
        .map_or(0x5151_5151, |t| t.hash);
    [
        (mix(h) & MASK) as u32,
        (mix(prev.rotate_left(23) ^ h ^ 0x9e37_79b9_7f4a_7c15) & MASK) as u32,
    ]
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
    /// Two buckets per word.
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
