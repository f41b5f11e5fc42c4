//! Recall and false positives of the injection detector per family (docs/injection-report.md).
//!
//! `python3 scripts/inject_data.py` builds the data, then
//! `cargo run --release --example inject_eval -- target/inject-data/data.jsonl [--show FAMILY] [--model FILE]`.
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
    if let Some(m) = args
        .iter()
        .position(|a| a == "--model")
        .and_then(|i| args.get(i + 1))
    {
        let bytes: &'static [u8] =
            Box::leak(std::fs::read(m).expect("model file").into_boxed_slice());
        assert!(
            blastwall::inject::model::use_table(bytes),
            "{m}: not a usable weight table"
        );
    }
    // Policy variants: `--hand-threshold X` (flag on hand-set weights from X; `inf`: the model
    // alone), `--margin X`, `--weight I=X`.
    let mut policy = blastwall::inject::Policy::SHIPPED;
    for (i, a) in args.iter().enumerate() {
        let v = args.get(i + 1).map(String::as_str).unwrap_or("");
        match a.as_str() {
            "--hand-threshold" => policy.threshold = v.parse().expect("number"),
            "--margin" => policy.model_margin = v.parse().expect("number"),
            "--ungate" => {
                for k in v.split(',') {
                    policy.gate &= !(1 << k.parse::<u32>().expect("signal index"));
                }
            }
            // `--no-decode`: without the decoding stage (text hidden in encodings).
            "--no-decode" => policy.decode = false,
            "--weight" => {
                let (k, x) = v.split_once('=').expect("I=X");
                policy.weights[k.parse::<usize>().expect("index")] = x.parse().expect("number");
            }
            _ => {}
        }
    }
    // `--group G`: only the rows of group G, whatever their split (the model was trained with
    // `--holdout G`); `--tsv`: one machine-readable line per family (for scripts/inject_cv.sh).
    let only_group = args
        .iter()
        .position(|a| a == "--group")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let tsv = args.iter().any(|a| a == "--tsv");
    // `--check`: the fuzz target's invariants on every text (case, framing by other lines).
    let check = args.iter().any(|a| a == "--check");
    // `--verdicts`: one line per text (flagged, scores, signals) instead of the table, to show
    // that a change to the scan leaves every verdict as it was (`diff` two runs).
    let verdicts = args.iter().any(|a| a == "--verdicts");
    let decode_diff = args.iter().any(|a| a == "--decode-diff");
    let show_decoded = args.iter().any(|a| a == "--show-decoded");
    let mut violations = 0u64;
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
        if only_group.is_some() && v["group"].as_str() != only_group.as_deref() {
            continue;
        }
        let split = if only_group.is_some() {
            "heldout".to_string()
        } else {
            v["split"].as_str().unwrap_or("?").to_string()
        };
        if show_decoded {
            // `--show-decoded`: what the decoding stage decodes in each text.
            for (how, d) in blastwall::inject::decoded(t) {
                let snippet: String = d.chars().take(200).collect();
                println!("{fam}\t{how}\t{}", snippet.replace(['\n', '\t'], " "));
            }
        }
        let start = Instant::now();
        let a = blastwall::inject::assess_with(t, &policy);
        if verdicts {
            println!(
                "{} {:.6} {:?} {:?}",
                u8::from(a.flagged),
                a.score,
                a.model_score,
                a.signals
            );
        }
        if check {
            // The fuzz target's invariants (fuzz/fuzz_targets/inject.rs) on real texts.
            // Case: without the decoding stage (base64 is not case-blind).
            let plain = blastwall::inject::Policy {
                decode: false,
                ..blastwall::inject::Policy::SHIPPED
            };
            let found = blastwall::inject::assess_with(t, &plain).signals;
            let upper = blastwall::inject::assess_with(&t.to_ascii_uppercase(), &plain).signals;
            // Decoding stays within its limits.
            let decoded = blastwall::inject::decoded(t);
            if decoded.iter().map(|d| d.1.len()).sum::<usize>() > 2 * 32 * 1024 {
                violations += 1;
            }
            let structural = blastwall::inject::structural(t);
            let framed = blastwall::inject::structural(&format!("Page header.\n{t}\nPage footer."));
            if found != upper || structural.iter().any(|s| !framed.contains(s)) {
                violations += 1;
                if violations <= 5 {
                    println!("invariant broken ({found:?} / {upper:?} / {framed:?}): {t:.300}");
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        if decode_diff && a.flagged {
            // `--decode-diff`: the texts only the decoding stage flags (with the reason).
            let plain = blastwall::inject::Policy {
                decode: false,
                ..policy
            };
            if !blastwall::inject::assess_with(t, &plain).flagged {
                let snippet: String = t.chars().take(160).collect();
                println!(
                    "DECODE\t{}\t{fam}\t{label}\t{}\t{}",
                    v["group"].as_str().unwrap_or("?"),
                    a.signals.first().copied().unwrap_or(""),
                    snippet.replace(['\n', '\t'], " ")
                );
            }
        }
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
    if check {
        println!("fuzz invariants broken on {violations} texts");
    }
    if verdicts {
        return;
    }
    if tsv {
        for (fam, (s, l, n, f, b, t)) in &fams {
            println!("{fam}\t{s}\t{l}\t{n}\t{f}\t{b}\t{t}");
        }
        return;
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
