//! Recall on credential formats as their providers document them (generated from
//! `src/secrets/formats.rs`, not from any detector's samples), in every context and output shape
//! a tool can print them in, and false positives on generated hard negatives (hashes, UUIDs,
//! integrity strings, documented example keys, placeholders, base64 data, build-log lines).
//! Prints the Markdown tables of `docs/secrets-report.md`.
//!
//! ```sh
//! cargo run --release --example secrets_formats            # 200 samples per format
//! cargo run --release --example secrets_formats -- 1000    # more
//! cargo run --release --example secrets_formats -- 200 netrc  # formats whose provider or source has `netrc`
//! ```
//!
//! A secret counts as found in a shape when no byte-for-byte copy of it is left in what the
//! model would see (the redacted text, or the redacted JSON output serialized). Samples are
//! seeded: every run prints the same numbers.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    reason = "a measurement tool, not the decision path"
)]

use std::collections::BTreeMap;

use blastwall::secrets::formats::{self, Rng, FORMATS};
use blastwall::secrets::Detector;

/// Text contexts for a value that carries no context of its own (a bare token, a URL).
fn contexts(value: &str) -> Vec<(&'static str, String)> {
    vec![
        ("bare", format!("found {value} in the output")),
        ("env", format!("SERVICE_CREDENTIAL={value}")),
        ("yaml", format!("  credential: \"{value}\"")),
        ("json", format!("{{\"credential\": \"{value}\"}}")),
        ("code", format!("client = connect(\"{value}\")")),
    ]
}

/// Whether `secret` survives in what the model sees for `text` in each output shape: in the
/// redacted JSON serialized, or in any of its JSON-unescaped levels (a document in a string,
/// in a string).
fn survives(d: &Detector, text: &str, secret: &str) -> Vec<(&'static str, bool)> {
    let mut out = vec![("text", d.redact(text).0.contains(secret))];
    for (shape, v) in formats::shapes(text) {
        let mut v = blastwall::input::Json::from(v);
        v.redact(d);
        let mut seen = serde_json::to_string(v.as_value()).unwrap();
        let mut left = seen.contains(secret);
        for _ in 0..4 {
            match formats::unescape(&seen) {
                Some(next) if !left => {
                    left = next.contains(secret);
                    seen = next;
                }
                _ => break,
            }
        }
        out.push((shape, left));
    }
    out
}

#[derive(Default)]
struct Tally {
    cases: usize,
    missed: usize,
    samples: usize,
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    // Optional: only the formats whose provider or source contains this text.
    let only = std::env::args().nth(2).unwrap_or_default();
    let d = Detector::new().without_env_values();
    // `SHOW_MISSES=1`: print the first missed texts of each format on stderr.
    let show = std::env::var_os("SHOW_MISSES").is_some();
    let mut rng = Rng::new(2026);
    let mut by_provider: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_shape: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: BTreeMap<&str, (usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for fmt in FORMATS {
        if !(fmt.provider.contains(only.as_str()) || fmt.source.contains(only.as_str())) {
            continue;
        }
        for _ in 0..n {
            let secret = fmt.sample(&mut rng);
            let wrappable = fmt.before.is_empty() || fmt.before.contains("://");
            let texts: Vec<(&str, String)> = if wrappable {
                let value = format!(
                    "{}{secret}{}",
                    fmt.before.trim_start_matches("DATABASE_URL="),
                    fmt.after
                );
                contexts(&value)
            } else {
                vec![("own", format!("{}{secret}{}", fmt.before, fmt.after))]
            };
            let t = by_provider.entry(fmt.provider).or_default();
            t.samples += 1;
            for (context, text) in &texts {
                for (shape, left) in survives(&d, text, &secret) {
                    let t = by_provider.entry(fmt.provider).or_default();
                    t.cases += 1;
                    let s = by_shape.entry(shape.to_string()).or_default();
                    s.cases += 1;
                    let c = by_shape.entry(format!("context {context}")).or_default();
                    c.cases += 1;
                    if left {
                        by_provider.entry(fmt.provider).or_default().missed += 1;
                        by_shape.entry(shape.to_string()).or_default().missed += 1;
                        by_shape
                            .entry(format!("context {context}"))
                            .or_default()
                            .missed += 1;
                        let m = misses.entry(fmt.source).or_default();
                        m.0 += 1;
                        *m.1.entry(format!("{context}/{shape}")).or_default() += 1;
                        if show && m.0 <= 3 {
                            // Generated samples, not secrets: shown to debug a rule.
                            eprintln!("missed ({context}/{shape}): {text:?}");
                        }
                    }
                }
            }
        }
    }
    let total_cases: usize = by_provider.values().map(|t| t.cases).sum();
    let total_missed: usize = by_provider.values().map(|t| t.missed).sum();
    println!(
        "### Recall on documented formats ({} formats, {n} samples each, seed 2026)\n",
        FORMATS.len()
    );
    println!(
        "Overall: {} of {total_cases} cases found = **{:.2}%**.\n",
        total_cases - total_missed,
        pct(total_cases - total_missed, total_cases)
    );
    println!(
        "| provider | samples | cases (context × shape) | recall |\n| --- | ---: | ---: | ---: |"
    );
    for (p, t) in &by_provider {
        println!(
            "| {p} | {} | {} | {:.2}% |",
            t.samples,
            t.cases,
            pct(t.cases - t.missed, t.cases)
        );
    }
    println!("\n| context or output shape | cases | recall |\n| --- | ---: | ---: |");
    for (s, t) in &by_shape {
        println!(
            "| {s} | {} | {:.2}% |",
            t.cases,
            pct(t.cases - t.missed, t.cases)
        );
    }
    if misses.is_empty() {
        println!("\nNo misses.");
    } else {
        println!("\nMisses by format (context/shape: count):\n");
        for (src, (count, wheres)) in &misses {
            let wheres: Vec<String> = wheres.iter().map(|(w, n)| format!("{w}: {n}")).collect();
            println!("- {src}: {count} ({})", wheres.join(", "));
        }
    }
    hard_negatives(&d, n);
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        return 100.0;
    }
    100.0 * a as f64 / b as f64
}

/// Hard negatives: lines that look like secrets to a careless detector.
fn hard_negatives(d: &Detector, n: usize) {
    use formats::{ALNUM, B64, HEX};
    let mut rng = Rng::new(7);
    let mut r = |a: &str, k: usize| -> String { (0..k).map(|_| rng.pick(a)).collect() };
    type Gen<'a> = Box<dyn FnMut(&mut dyn FnMut(&str, usize) -> String) -> String + 'a>;
    let uuid = |r: &mut dyn FnMut(&str, usize) -> String| {
        format!(
            "{}-{}-4{}-a{}-{}",
            r(HEX, 8),
            r(HEX, 4),
            r(HEX, 3),
            r(HEX, 3),
            r(HEX, 12)
        )
    };
    let families: Vec<(&str, Gen)> = vec![
        (
            "git commit / merge lines",
            Box::new(|r| format!("commit {}\nMerge: {} {}", r(HEX, 40), r(HEX, 7), r(HEX, 7))),
        ),
        (
            "sha256sum output",
            Box::new(|r| format!("{}  dist/app-1.4.2.tar.gz", r(HEX, 64))),
        ),
        (
            "docker digests",
            Box::new(|r| {
                format!(
                    "writing image sha256:{} done\n ---> Running in {}",
                    r(HEX, 64),
                    r(HEX, 12)
                )
            }),
        ),
        (
            "Cargo.lock checksums",
            Box::new(|r| format!("checksum = \"{}\"", r(HEX, 64))),
        ),
        (
            "npm integrity (SRI)",
            Box::new(|r| format!("      \"integrity\": \"sha512-{}==\",", r(B64, 86))),
        ),
        (
            "UUIDs in logs",
            Box::new(move |r| format!("INFO request_id={} user={} status=200", uuid(r), uuid(r))),
        ),
        (
            "UUID ids in JSON",
            Box::new(move |r| format!("{{\"id\": \"{}\", \"session\": \"{}\"}}", uuid(r), uuid(r))),
        ),
        (
            "base64 image data",
            Box::new(|r| format!("background: url(data:image/png;base64,{}==);", r(B64, 300))),
        ),
        (
            "build log lines",
            Box::new(|r| {
                format!("   Compiling serde_json v1.0.{} (/home/dev/.cargo/registry/src/index.crates.io-{}/serde_json)\ngcc -O2 -fPIC -I./Include -c Objects/obj_{}.c -o Objects/obj.o", r("0123456789", 3), r(HEX, 16), r(ALNUM, 8))
            }),
        ),
        (
            "npm fetch log",
            Box::new(|r| {
                format!("npm http fetch GET 200 https://registry.npmjs.org/@scope%2fpkg-{} 45ms (cache hit)", r(ALNUM, 6))
            }),
        ),
        (
            "Stripe test keys",
            Box::new(|r| format!("STRIPE_KEY=sk_test_{}", r(ALNUM, 24))),
        ),
        (
            "documented example keys",
            Box::new(|_| {
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()
            }),
        ),
        (
            "placeholders",
            Box::new(|r| {
                let forms = [
                    "password: ${DB_PASSWORD}",
                    "api_key = \"<your-api-key>\"",
                    "token: \"{{ .Values.token }}\"",
                    "SECRET_KEY=changeme",
                    "export GITHUB_TOKEN=$(gh auth token)",
                    "password = os.environ[\"DB_PASSWORD\"]",
                    "password: *default_password",
                    "db_password: !vault |",
                    "@Value(\"${api.key}\") private String apiKey;",
                    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "DATABASE_URL=postgres://user:password@localhost:5432/app",
                    "url = \"https://user:pass@example.com/repo.git\"",
                    "password = %(db_password)s",
                    "token=%GITHUB_TOKEN%",
                ];
                let i = r("0123456789abcd", 1)
                    .bytes()
                    .next()
                    .map_or(0, |b| usize::from(b) % forms.len());
                forms[i].to_string()
            }),
        ),
        (
            "code identifiers",
            Box::new(|r| {
                format!("let secret_key = settings.SECRET_KEY_{};\nconst tokenValue = getToken(ctx.{});", r("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4), r("abcdefghijklmnopqrstuvwxyz", 8))
            }),
        ),
        (
            "minified code",
            Box::new(|r| {
                format!("!function(e,t){{var n=e.{}||{{}};n.token=t.{}(\"{}\"),n.key=t.get(\"api\")}}(window,document);", r("abcdefghij", 3), r("abcdefghij", 4), r(ALNUM, 10))
            }),
        ),
    ];
    println!("\n### False positives on hard negatives ({n} generated texts per family, seed 7)\n");
    println!("| family | lines | lines with a finding | per line |\n| --- | ---: | ---: | ---: |");
    let (mut all_lines, mut all_hits) = (0usize, 0usize);
    for (name, mut gen) in families {
        let (mut lines, mut hits) = (0usize, 0usize);
        let mut example = None;
        for _ in 0..n {
            let text = gen(&mut r);
            for line in text.lines() {
                lines += 1;
                let f = d.find(line);
                if !f.is_empty() {
                    hits += 1;
                    example.get_or_insert_with(|| f[0].rule_id.to_string());
                }
            }
        }
        all_lines += lines;
        all_hits += hits;
        let note = example.map(|e| format!(" ({e})")).unwrap_or_default();
        println!(
            "| {name} | {lines} | {hits}{note} | {:.3}% |",
            100.0 * hits as f64 / lines as f64
        );
    }
    println!(
        "| **all** | {all_lines} | {all_hits} | {:.3}% |",
        100.0 * all_hits as f64 / all_lines as f64
    );
}
