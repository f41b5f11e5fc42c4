//! Trains the injection model (src/inject/model.bin) from `scripts/inject_data.py`'s data.
//!
//! `cargo run --release --example inject_train -- target/inject-data/data.jsonl src/inject/model.bin [--holdout GROUP]`
//!
//! Logistic regression with AdaGrad over the features of `blastwall::inject::model` (the same
//! code the hook runs, so training and inference cannot drift apart). A text is a bag of
//! windows: a benign text's windows are all negatives; an attack's label goes to its
//! best-scoring window (multiple-instance learning: one injected paragraph in a long page is the
//! positive, not the page's other windows). Only `split == "train"` texts train; the threshold
//! is set on the benign `val` texts so that at most 0.5% of them are flagged. Deterministic.
//! With `--holdout GROUP` the group's texts are left out entirely (held-out evaluation).
#![allow(
    clippy::print_stdout,
    clippy::disallowed_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a training tool, not the hook"
)]
use blastwall::inject::model::{encode, window_features, WindowFeatures, BUCKETS_LOG2, PER_WORD};
use blastwall::inject::scan::N_SIGNALS;
use serde_json::Value;

struct Doc {
    label: bool,
    family: String,
    windows: Vec<WindowFeatures>,
}

struct W {
    bias: f32,
    sig: [f32; N_SIGNALS],
    table: Vec<f32>,
    g_bias: f32,
    g_sig: [f32; N_SIGNALS],
    g_table: Vec<f32>,
}

impl W {
    fn z(&self, w: &WindowFeatures) -> f32 {
        let mut z = self.bias;
        for (i, s) in self.sig.iter().enumerate() {
            if w.signals & (1 << i) != 0 {
                z += s;
            }
        }
        for b in &w.buckets {
            z += self.table[*b as usize];
        }
        z
    }

    fn step(&mut self, w: &WindowFeatures, y: f32, weight: f32, lr: f32, l2: &[f32; 5]) {
        let p = 1.0 / (1.0 + (-self.z(w)).exp());
        let g = (p - y) * weight;
        self.g_bias += g * g;
        self.bias -= lr * g / (self.g_bias.sqrt() + 1e-6);
        for i in 0..N_SIGNALS {
            if w.signals & (1 << i) != 0 {
                let gi = g;
                self.g_sig[i] += gi * gi;
                self.sig[i] -= lr * gi / (self.g_sig[i].sqrt() + 1e-6);
            }
        }
        let k = w.signals.count_ones() as usize;
        let words = w.buckets.len() - k * k.saturating_sub(1) / 2;
        for (j, b) in w.buckets.iter().enumerate() {
            let b = *b as usize;
            let kind = if j < words { j % PER_WORD } else { 4 };
            let gi = g + l2[kind] * self.table[b];
            self.g_table[b] += gi * gi;
            self.table[b] -= lr * gi / (self.g_table[b].sqrt() + 1e-6);
        }
    }
}

/// A small deterministic generator (xorshift) for shuffling.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = args
        .first()
        .cloned()
        .unwrap_or_else(|| "target/inject-data/data.jsonl".into());
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "src/inject/model.bin".into());
    // `--holdout GROUP`: none of the group's rows trains or calibrates (leave-one-group-out;
    // scripts/inject_cv.sh).
    let holdout = args
        .iter()
        .position(|a| a == "--holdout")
        .and_then(|i| args.get(i + 1))
        .cloned();
    // The hook lets the model flag only windows with one of the gate's structural signals
    // (`blastwall::inject::GATE`), so by default it learns from those windows alone
    // (SIGNAL_ONLY=0: from every window).
    let signal_only = std::env::var("SIGNAL_ONLY").map_or(true, |v| v != "0");
    // `UNGATE=a,b`: signals taken out of the gate (as `inject_eval --ungate a,b`).
    let mut gate = blastwall::inject::GATE;
    for k in std::env::var("UNGATE").unwrap_or_default().split(',') {
        if let Ok(k) = k.parse::<u32>() {
            gate &= !(1 << k);
        }
    }
    let cal_test = std::env::var("CAL_TEST").is_ok_and(|v| v == "1");
    let text = std::fs::read_to_string(&data).expect("data (run scripts/inject_data.py)");
    let mut train = Vec::new();
    let mut val = Vec::new();
    // A text that occurs twice (the same changelog in two crates) calibrates once: the
    // threshold is a high quantile of ~1,800 texts, and one duplicated outlier would count as
    // two of the three or four texts that set it.
    let mut seen_val = std::collections::HashSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("json");
        if holdout.is_some() && v["group"].as_str() == holdout.as_deref() {
            continue;
        }
        let calibrates = matches!(v["split"].as_str(), Some("val"))
            || cal_test && matches!(v["split"].as_str(), Some("test"));
        if calibrates && !seen_val.insert(v["text"].as_str().unwrap_or("").to_string()) {
            continue;
        }
        let doc = Doc {
            label: v["label"].as_u64() == Some(1),
            family: v["family"].as_str().unwrap_or("?").to_string(),
            windows: window_features(v["text"].as_str().unwrap_or(""))
                .into_iter()
                .filter(|w| !signal_only || w.signals & gate != 0)
                .collect(),
        };
        match v["split"].as_str() {
            Some("train") => train.push(doc),
            Some("val") => val.push(doc),
            // `CAL_TEST=1`: the test split calibrates too (twice the benign texts behind the
            // threshold; the held-out group is never among them).
            Some("test") if cal_test => val.push(doc),
            _ => {}
        }
    }
    let n_pos = train.iter().filter(|d| d.label).count().max(1) as f32;
    let n_neg_windows = train
        .iter()
        .filter(|d| !d.label)
        .map(|d| d.windows.len())
        .sum::<usize>()
        .max(1) as f32;
    println!(
        "train: {} texts ({} attacks, {} benign windows); val: {} texts",
        train.len(),
        n_pos,
        n_neg_windows,
        val.len()
    );
    let size = 1usize << BUCKETS_LOG2;
    let mut w = W {
        bias: 0.0,
        sig: [0.0; N_SIGNALS],
        table: vec![0.0; size],
        g_bias: 0.0,
        g_sig: [0.0; N_SIGNALS],
        g_table: vec![0.0; size],
    };
    // Each class weighs the same in total.
    let total = n_pos + n_neg_windows;
    let w_pos = total / (2.0 * n_pos);
    let w_neg = total / (2.0 * n_neg_windows);
    let mut rng = Rng(0x15_15_15_15);
    let mut examples: Vec<(usize, usize)> = Vec::new();
    let env = |k: &str, d: f32| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (epochs, lr, l2) = (env("EPOCHS", 8.0) as usize, env("LR", 0.3), env("L2", 1e-2));
    // L2 per feature kind: word unigrams, word bigrams, class bigrams, class trigrams, signal
    // pairs.
    let l2 = [
        env("L2U", l2),
        env("L2B", l2),
        env("L2C2", l2),
        env("L2C3", l2),
        env("L2P", l2),
    ];
    for epoch in 0..epochs {
        examples.clear();
        for (d, doc) in train.iter().enumerate() {
            if doc.label {
                // The best window under the current weights (in the first epoch: the one with
                // the most signals).
                let best = (0..doc.windows.len())
                    .max_by(|&a, &b| {
                        let key = |i: usize| {
                            if epoch == 0 {
                                doc.windows[i].signals.count_ones() as f32
                            } else {
                                w.z(&doc.windows[i])
                            }
                        };
                        key(a).total_cmp(&key(b))
                    })
                    .unwrap_or(0);
                if !doc.windows.is_empty() {
                    examples.push((d, best));
                }
            } else {
                for i in 0..doc.windows.len() {
                    examples.push((d, i));
                }
            }
        }
        for i in (1..examples.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            examples.swap(i, j);
        }
        for &(d, i) in &examples {
            let doc = &train[d];
            let (y, weight) = if doc.label {
                (1.0, w_pos)
            } else {
                (0.0, w_neg)
            };
            w.step(&doc.windows[i], y, weight, lr, &l2);
        }
        let errors = train
            .iter()
            .filter(|d| {
                let z = d
                    .windows
                    .iter()
                    .map(|x| w.z(x))
                    .fold(f32::NEG_INFINITY, f32::max);
                (z >= 0.0) != d.label
            })
            .count();
        println!("epoch {epoch}: {errors} training texts misjudged at logit 0");
    }
    // Quantise, then calibrate the threshold on the quantised weights.
    let max = w.table.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    let scale = max / 127.0;
    let q: Vec<i8> = w
        .table
        .iter()
        .map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    let zq = |x: &WindowFeatures| {
        let mut z = w.bias;
        for (i, s) in w.sig.iter().enumerate() {
            if x.signals & (1 << i) != 0 {
                z += s;
            }
        }
        z + scale
            * x.buckets
                .iter()
                .map(|b| i64::from(q[*b as usize]))
                .sum::<i64>() as f32
    };
    let doc_z = |d: &Doc| d.windows.iter().map(zq).fold(f32::NEG_INFINITY, f32::max);
    let mut neg: Vec<f32> = val.iter().filter(|d| !d.label).map(doc_z).collect();
    neg.sort_by(f32::total_cmp);
    // The benign texts that set the threshold (what to look at when it moves).
    let mut top: Vec<(f32, &str)> = val
        .iter()
        .filter(|d| !d.label)
        .map(|d| (doc_z(d), d.family.as_str()))
        .collect();
    top.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (z, f) in top.iter().take(6) {
        println!("top benign (calibration): {z:.3} {f}");
    }
    let k = ((neg.len() as f32) * env("QUANTILE", 0.998)).floor() as usize;
    let threshold = neg
        .get(k.min(neg.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
        .max(0.0)
        + 1e-3;
    let pos_val: Vec<f32> = val.iter().filter(|d| d.label).map(doc_z).collect();
    let recall = pos_val.iter().filter(|z| **z >= threshold).count();
    let fp = neg.iter().filter(|z| **z >= threshold).count();
    println!(
        "threshold (logit) {threshold:.3}: val recall {recall}/{}, val benign flagged {fp}/{}",
        pos_val.len(),
        neg.len()
    );
    println!(
        "signal weights: {:?}, bias {:.3}, scale {scale:.5}",
        w.sig, w.bias
    );
    std::fs::write(&out, encode(w.bias, scale, threshold, &w.sig, &q)).expect("write model");
    println!("wrote {out}");
}
