//! Recall and false positives of the injection detector per family (docs/injection-report.md).
//!
//! `python3 scripts/inject_data.py` builds the data, then
//! `cargo run --release --example inject_eval -- target/inject-data/data.jsonl [--show FAMILY]`.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a report tool, not the hook"
)]
use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .cloned()
        .unwrap_or_else(|| "target/inject-data/data.jsonl".into());
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let text = std::fs::read_to_string(&path).expect("data file (run scripts/inject_data.py)");
    // family -> (split, label, n, flagged, bytes, seconds)
    let mut fams: BTreeMap<String, (String, u64, u64, u64, u64, f64)> = BTreeMap::new();
    let key = |fam: &str, split: &str| {
        format!(
            "{fam} [{}]",
            if split == "heldout" {
                "held out"
            } else {
                split
            }
        )
    };
    let mut shown = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("json line");
        let t = v["text"].as_str().unwrap_or("");
        let fam = v["family"].as_str().unwrap_or("?").to_string();
        let label = v["label"].as_u64().unwrap_or(0);
        let split = v["split"].as_str().unwrap_or("?").to_string();
        let start = Instant::now();
        let a = blastwall::inject::assess(t);
        let secs = start.elapsed().as_secs_f64();
        let e = fams
            .entry(key(&fam, &split))
            .or_insert((split.clone(), label, 0, 0, 0, 0.0));
        e.2 += 1;
        e.3 += u64::from(a.flagged);
        e.4 += t.len() as u64;
        e.5 += secs;
        if show
            .as_deref()
            .is_some_and(|s| key(&fam, &split).starts_with(s))
            && (a.flagged != (label == 1))
            && shown < 15
        {
            shown += 1;
            let snippet: String = t.chars().take(700).collect();
            println!(
                "--- {fam} score {:.2} {:?}\n{snippet}\n",
                a.score, a.signals
            );
        }
    }
    println!("| family | split | kind | texts | flagged | rate |");
    println!("|---|---|---|---:|---:|---:|");
    let (mut bytes, mut secs) = (0u64, 0f64);
    for split in ["heldout", "test", "val", "train"] {
        for label in [1, 0] {
            for (fam, (s, l, n, f, b, t)) in &fams {
                if s != split || *l != label {
                    continue;
                }
                bytes += b;
                secs += t;
                println!(
                    "| {fam} | {s} | {} | {n} | {f} | {:.1}% |",
                    if *l == 1 {
                        "attack (recall)"
                    } else {
                        "benign (FP)"
                    },
                    100.0 * *f as f64 / (*n).max(1) as f64
                );
            }
        }
    }
    let total = |label: u64, split: Option<&str>| {
        let (n, f) = fams
            .values()
            .filter(|v| v.1 == label && split.is_none_or(|s| v.0 == s))
            .fold((0, 0), |a, v| (a.0 + v.2, a.1 + v.3));
        format!("{f}/{n} ({:.1}%)", 100.0 * f as f64 / n.max(1) as f64)
    };
    println!();
    println!(
        "held-out families: attacks flagged {}, benign flagged {}",
        total(1, Some("heldout")),
        total(0, Some("heldout"))
    );
    println!(
        "test split of trained families: attacks flagged {}, benign flagged {}",
        total(1, Some("test")),
        total(0, Some("test"))
    );
    println!(
        "all attacks flagged: {}; all benign flagged: {}",
        total(1, None),
        total(0, None)
    );
    println!(
        "speed: {:.2} µs per KB over {} KB (in-process, this build)",
        secs * 1e6 / (bytes as f64 / 1024.0),
        bytes / 1024
    );
}
