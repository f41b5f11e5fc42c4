//! Measures the secret detector: recall on gitleaks' labelled rule samples, the `not-secret`
//! samples it flags (for review), false positives per 100,000 lines over real non-secret
//! trees, and throughput. The numbers in `docs/secrets-report.md` come from this program.
//!
//! ```text
//! cargo run --release --example secrets_eval -- \
//!     --samples ../shared/data/secrets \
//!     --fp . --fp ~/.cargo/registry/src --fp /tmp/build-logs \
//!     --bench ~/.cargo/registry/src
//! ```
//!
//! Every secret it prints is masked (`Detector::mask`): rule id, place, fixed prefix, length.
#![allow(clippy::print_stdout, clippy::disallowed_macros)] // a report on stdout is the point
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a tool, not the hook
#![allow(clippy::cast_precision_loss)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use blastwall::secrets::{self, Detector};

/// Which family of ours a gitleaks rule id belongs to; `None` for formats not covered.
fn family_of(gitleaks_rule: &str) -> Option<&'static str> {
    let r = gitleaks_rule;
    Some(match r {
        _ if r.starts_with("aws-") => "aws",
        _ if r.starts_with("github-") => "github",
        _ if r.starts_with("gitlab-") => "gitlab",
        _ if r.starts_with("slack-") => "slack",
        _ if r.starts_with("stripe-") => "stripe",
        "openai-api-key" => "openai",
        _ if r.starts_with("anthropic-") => "anthropic",
        _ if r.starts_with("gcp-") => "google",
        _ if r.starts_with("azure-") => "azure",
        _ if r.starts_with("huggingface-") => "huggingface",
        _ if r.starts_with("npm-") => "npm",
        _ if r.starts_with("pypi-") => "pypi",
        _ if r.starts_with("twilio-") => "twilio",
        _ if r.starts_with("sendgrid-") => "sendgrid",
        _ if r.starts_with("mailgun-") => "mailgun",
        _ if r.starts_with("digitalocean-") => "digitalocean",
        _ if r.starts_with("heroku-") => "heroku",
        _ if r.starts_with("datadog-") => "datadog",
        _ if r.starts_with("shopify-") => "shopify",
        _ if r.starts_with("discord-") => "discord",
        _ if r.starts_with("telegram-") => "telegram",
        "private-key" => "private-key",
        "jwt" | "jwt-base64" => "jwt",
        "generic-api-key" => "generic",
        "curl-auth-user" => "curl-auth",
        "curl-auth-header" => "auth-header",
        "sidekiq-sensitive-url" => "url-credentials",
        _ if r.starts_with("1password-") => "1password",
        _ if r.starts_with("vault-") => "vault",
        "hashicorp-tf-api-token" => "hashicorp",
        "databricks-api-token" => "databricks",
        _ if r.starts_with("grafana-") => "grafana",
        "notion-api-token" => "notion",
        "sentry-org-token" => "sentry",
        "sourcegraph-access-token" => "sourcegraph",
        _ if r.starts_with("square-") => "square",
        "flyio-access-token" => "flyio",
        "openshift-user-token" => "openshift",
        "facebook-page-access-token" => "facebook",
        "mailchimp-api-key" => "mailchimp",
        "octopus-deploy-api-key" => "octopus",
        _ if r.starts_with("cloudflare-") => "cloudflare",
        _ if r.starts_with("sumologic-") => "sumologic",
        "snyk-api-token" => "snyk",
        "sonar-api-token" => "sonar",
        "okta-access-token" => "okta",
        "sidekiq-secret" => "sidekiq",
        "facebook-secret" | "facebook-access-token" => "facebook",
        "hubspot-api-key" => "hubspot",
        "messagebird-client-id" => "messagebird",
        "infracost-api-token" => "infracost",
        "scalingo-api-token" => "scalingo",
        "intra42-client-secret" => "intra42",
        "atlassian-api-token" => "atlassian",
        "nuget-config-password" => "nuget",
        "kubernetes-secret-yaml" => "kubernetes",
        _ => return None,
    })
}

struct Args {
    samples: Option<PathBuf>,
    fp: Vec<PathBuf>,
    bench: Vec<PathBuf>,
    bench_limit: usize,
    show_fp: usize,
    planted: Vec<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        samples: None,
        fp: Vec::new(),
        bench: Vec::new(),
        bench_limit: 32 << 20,
        show_fp: 200,
        planted: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || PathBuf::from(it.next().expect("missing value"));
        match arg.as_str() {
            "--samples" => a.samples = Some(val()),
            "--fp" => a.fp.push(val()),
            "--bench" => a.bench.push(val()),
            "--bench-limit-mb" => {
                a.bench_limit = val().to_str().unwrap().parse::<usize>().unwrap() << 20
            }
            "--planted" => a.planted.push(val().to_string_lossy().into_owned()),
            "--show-fp" => a.show_fp = val().to_str().unwrap().parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    let d = secrets::builtin();
    if let Some(s) = &args.samples {
        samples(d, s);
    }
    if !args.fp.is_empty() {
        false_positives(d, &args.fp, args.show_fp, &args.planted);
    }
    if !args.bench.is_empty() {
        throughput(&args.bench, args.bench_limit);
    }
}

// ---------------------------------------------------------------- gitleaks samples

fn samples(d: &Detector, dir: &Path) {
    let file = if dir.is_dir() {
        dir.join("gitleaks-samples.jsonl")
    } else {
        dir.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).expect("read samples");
    // family -> (secret total, found); gitleaks rule -> same
    let mut fam: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    let mut flagged_neg = Vec::new();
    let (mut neg_total, mut uncovered_secret) = (0usize, 0usize);
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let rule = v["rule"].as_str().unwrap().to_string();
        let label = v["label"].as_str().unwrap();
        let t = v["text"].as_str().unwrap();
        let found = d.find(t);
        if label == "secret" {
            let Some(f) = family_of(&rule) else {
                uncovered_secret += 1;
                let e = fam.entry("(not covered)".into()).or_default();
                e.0 += 1;
                e.1 += usize::from(!found.is_empty());
                continue;
            };
            let e = fam.entry(f.to_string()).or_default();
            e.0 += 1;
            let r = by_rule.entry(rule.clone()).or_default();
            r.0 += 1;
            if found.is_empty() {
                missed.push((i + 1, rule));
            } else {
                e.1 += 1;
                r.1 += 1;
            }
        } else {
            neg_total += 1;
            if !found.is_empty() {
                let what: Vec<String> = found
                    .iter()
                    .map(|f| format!("{} {}", f.rule_id, d.mask(t.as_bytes(), f)))
                    .collect();
                flagged_neg.push((i + 1, rule, what.join(", ")));
            }
        }
    }
    println!(
        "## Recall on gitleaks `secret` samples ({})\n",
        file.display()
    );
    println!("| family | found / samples | recall |\n| --- | ---: | ---: |");
    let (mut tot, mut hit) = (0, 0);
    for (f, (n, k)) in &fam {
        if f != "(not covered)" {
            tot += n;
            hit += k;
        }
        println!(
            "| {f} | {k} / {n} | {:.1}% |",
            100.0 * *k as f64 / (*n).max(1) as f64
        );
    }
    println!(
        "| **all covered families** | **{hit} / {tot}** | **{:.1}%** |\n",
        100.0 * hit as f64 / tot.max(1) as f64
    );
    println!("{uncovered_secret} secret samples belong to gitleaks rules with no counterpart here (row \"(not covered)\": how many are still caught by another rule).\n");
    println!("Per gitleaks rule (covered families):\n");
    println!("| gitleaks rule | found / samples |\n| --- | ---: |");
    for (r, (n, k)) in &by_rule {
        println!("| {r} | {k} / {n} |");
    }
    println!("\nMissed secret samples (jsonl line, gitleaks rule):\n");
    for (l, r) in &missed {
        println!("- line {l}: {r}");
    }
    println!(
        "\n## `not-secret` samples flagged: {} of {neg_total}\n",
        flagged_neg.len()
    );
    for (l, r, what) in &flagged_neg {
        println!("- line {l} ({r}): {what}");
    }
    println!();
}

// ---------------------------------------------------------------- false positives

fn walk(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = roots.to_vec();
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matches!(name, ".git" | "target" | "node_modules") {
                continue;
            }
            if let Ok(rd) = std::fs::read_dir(&p) {
                let mut children: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                stack.extend(children.into_iter().rev());
            }
        } else if meta.is_file() {
            out.push(p);
        }
    }
    out
}

/// Files whose whole point is to hold secrets or look-alikes: our fixtures and the samples.
fn excluded(p: &Path) -> bool {
    let s = p.to_string_lossy();
    s.contains("fixtures/secrets")
        || s.contains("gitleaks-samples")
        || s.ends_with("src/secrets/tests.rs")
}

fn read_text(p: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(p).ok()?;
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return None; // binary
    }
    Some(bytes)
}

fn false_positives(d: &Detector, roots: &[PathBuf], show: usize, planted: &[String]) {
    let mut lines_total = 0usize;
    let mut bytes_total = 0usize;
    let mut files = 0usize;
    let mut flagged: Vec<(String, usize, String, String)> = Vec::new();
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_root: Vec<(String, usize, usize)> = Vec::new();
    let mut planted_hits: Vec<(String, usize, String, String)> = Vec::new();
    for root in roots {
        let (mut rl, mut rf) = (0usize, 0usize);
        for p in walk(std::slice::from_ref(root)) {
            if excluded(&p) {
                continue;
            }
            let Some(bytes) = read_text(&p) else { continue };
            files += 1;
            bytes_total += bytes.len();
            let n = bytes.iter().filter(|&&b| b == b'\n').count()
                + usize::from(!bytes.ends_with(b"\n") && !bytes.is_empty());
            rl += n;
            let found = d.find_bytes(&bytes);
            let shown = p.display().to_string();
            if planted.iter().any(|s| shown.contains(s.as_str())) {
                for f in &found {
                    planted_hits.push((
                        shown.clone(),
                        f.line,
                        f.rule_id.to_string(),
                        d.mask(&bytes, f),
                    ));
                }
                continue;
            }
            let mut seen_lines = BTreeSet::new();
            for f in &found {
                if seen_lines.insert(f.line) {
                    rf += 1;
                    *per_rule.entry(f.rule_id.to_string()).or_default() += 1;
                    flagged.push((
                        p.display().to_string(),
                        f.line,
                        f.rule_id.to_string(),
                        d.mask(&bytes, f),
                    ));
                }
            }
        }
        lines_total += rl;
        per_root.push((root.display().to_string(), rl, rf));
    }
    println!("## False positives on non-secret text\n");
    println!(
        "{files} text files, {:.1} MB, {lines_total} lines.\n",
        bytes_total as f64 / 1e6
    );
    println!("| tree | lines | flagged lines | per 100,000 lines |\n| --- | ---: | ---: | ---: |");
    for (r, l, f) in &per_root {
        println!(
            "| {r} | {l} | {f} | {:.2} |",
            100_000.0 * *f as f64 / (*l).max(1) as f64
        );
    }
    println!(
        "| **total** | **{lines_total}** | **{}** | **{:.2}** |\n",
        flagged.len(),
        100_000.0 * flagged.len() as f64 / lines_total.max(1) as f64
    );
    println!("Flagged lines per rule: {per_rule:?}\n");
    if !planted.is_empty() {
        println!("Files that hold planted test secrets on purpose ({planted:?}), not counted above: {} findings", planted_hits.len());
        for (p, l, r, m) in &planted_hits {
            println!("- planted: {p}:{l} {r} {m}");
        }
        println!();
    }
    for (p, l, r, m) in flagged.iter().take(show) {
        println!("- {p}:{l} {r} {m}");
    }
    if flagged.len() > show {
        println!("- … {} more", flagged.len() - show);
    }
    println!();
}

// ---------------------------------------------------------------- throughput

/// CPU time this thread has run, from Linux's schedstat (nanoseconds, first field).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn throughput(roots: &[PathBuf], limit: usize) {
    // Typical tool output: source, JSON, lockfiles, logs, docs.
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    for p in walk(roots) {
        if excluded(&p) || total >= limit {
            continue;
        }
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(
            ext,
            "rs" | "json"
                | "lock"
                | "toml"
                | "md"
                | "log"
                | "txt"
                | "yml"
                | "yaml"
                | "py"
                | "js"
                | "ts"
                | "sh"
                | "c"
                | "h"
        ) {
            continue;
        }
        if let Some(b) = read_text(&p) {
            total += b.len();
            corpus.push(b);
        }
    }
    let d = secrets::builtin();
    // Warm the lazily compiled rules once so steady-state numbers measure scanning.
    for c in corpus.iter().take(200) {
        let _ = d.find_bytes(c);
    }
    println!("## Throughput (one thread)\n");
    let mut best = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    for _ in 0..3 {
        let cpu = thread_cpu();
        let t = Instant::now();
        let mut n = 0usize;
        for c in &corpus {
            n += d.find_bytes(c).len();
        }
        std::hint::black_box(n);
        best = best.min(t.elapsed());
        if let (Some(a), Some(b)) = (cpu, thread_cpu()) {
            best_cpu = best_cpu.min(b.saturating_sub(a));
        }
    }
    println!(
        "- whole files: {} files, {:.1} MB in {:.3} s (best of 3) → **{:.0} MB/s**",
        corpus.len(),
        total as f64 / 1e6,
        best.as_secs_f64(),
        total as f64 / 1e6 / best.as_secs_f64()
    );
    if best_cpu != Duration::MAX {
        println!(
            "- whole files, CPU time of the thread: {:.3} s → **{:.0} MB/s per core**",
            best_cpu.as_secs_f64(),
            total as f64 / 1e6 / best_cpu.as_secs_f64()
        );
    }
    // 15 KB tool outputs: the corpus cut into 15,000-byte pieces.
    let joined: Vec<u8> = corpus.concat();
    let chunks: Vec<&[u8]> = joined.chunks(15_000).collect();
    let mut lat: Vec<Duration> = Vec::with_capacity(chunks.len());
    let cpu0 = thread_cpu();
    for c in &chunks {
        let t = Instant::now();
        std::hint::black_box(d.find_bytes(c));
        lat.push(t.elapsed());
    }
    if let (Some(a), Some(b)) = (cpu0, thread_cpu()) {
        println!(
            "- 15 KB outputs, warm detector: CPU time {:.0} MB/s per core",
            joined.len() as f64 / 1e6 / b.saturating_sub(a).as_secs_f64()
        );
    }
    let sum: Duration = lat.iter().sum();
    lat.sort();
    let pct = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];
    println!(
        "- 15 KB outputs, warm detector: {} outputs, {:.0} MB/s, p50 {:?}, p99 {:?}, max {:?}",
        chunks.len(),
        joined.len() as f64 / 1e6 / sum.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        lat.last().unwrap()
    );
    // Cold: a fresh detector per output (what a hook process pays), lazy compiles included.
    // Wall time per sample; and the thread's CPU time over all samples (schedstat is too
    // coarse per sample), which a busy machine's waiting for a core does not inflate.
    let mut cold: Vec<Duration> = Vec::new();
    let step = (chunks.len() / 200).max(1);
    let cpu0 = thread_cpu();
    for c in chunks.iter().step_by(step).take(200) {
        let t = Instant::now();
        let fresh = Detector::new();
        std::hint::black_box(fresh.find_bytes(c));
        cold.push(t.elapsed());
    }
    if let (Some(a), Some(b)) = (cpu0, thread_cpu()) {
        println!(
            "- 15 KB outputs, fresh detector each: mean CPU time {:?} per output",
            b.saturating_sub(a) / u32::try_from(cold.len().max(1)).unwrap()
        );
    }
    cold.sort();
    let cp = |q: f64| cold[((cold.len() - 1) as f64 * q) as usize];
    println!(
        "- 15 KB outputs, fresh detector each (set-up + lazy regex compiles + scan): {} samples, p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        cold.len(),
        cp(0.5),
        cp(0.9),
        cp(0.99),
        cold.last().unwrap()
    );
    let t = Instant::now();
    let fresh = Detector::new();
    let build = t.elapsed();
    std::hint::black_box(&fresh);
    let mut nfa = Vec::new();
    for _ in 0..20 {
        let fresh = Detector::new();
        let t = Instant::now();
        std::hint::black_box(fresh.find_bytes(b"no keyword here")); // builds the NFA only
        nfa.push(t.elapsed());
    }
    nfa.sort();
    println!(
        "- keyword prefilter (NFA) build + trivial scan: median {:?}",
        nfa[nfa.len() / 2]
    );
    // Worst case for set-up: a text that names every keyword compiles every rule.
    let all_kw = "akia asia abia acca a3t secret_access aws_secret session_token absk ghp_ github_pat_ gho_ ghu_ ghr_ glpat- glptt- gr1348941 glrt- gldt- xoxb- xoxp- xapp- xoxe.xox xoxa- hooks.slack.com sk_live_ whsec_ t3blbkfj sk-ant- aiza private_key_id gocspx- ya29. q~ accountkey= sig= hf_ api_org_ npm_ _authtoken pypi-ageichlwas5vcmc sk twilio sg. key- mailgun dop_v1_ hrku- heroku datadog shpat_ discord :aa private key eyj ops_eyj a3- hvs. .atlasv1. dapi glc_ ntn_ sntrys_ sgp_ sq0atp- fo1_ sha256~ eaa -us api- age-secret-key-1 :// curl authorization password";
    let t = Instant::now();
    let fresh = Detector::new();
    std::hint::black_box(fresh.find(all_kw));
    let all = t.elapsed();
    println!("- detector set-up alone (prefilter build, no regex): {build:?}; set-up + compiling every rule: {all:?}\n");
}
