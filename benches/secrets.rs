//! Criterion benchmarks of the secret detector on typical tool output.
//!
//! `cargo bench --bench secrets`. The inputs are built in memory (this repository's own
//! sources and `Cargo.lock`, plus a synthetic log and JSON), so the bench needs nothing outside
//! the repository. `docs/secrets-report.md` has the numbers from `examples/secrets_eval.rs`,
//! which also measures over the cargo registry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // bench code

use std::hint::black_box;
use std::path::Path;

use blastwall::secrets::{self, Detector, KeywordSearch};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// This repository's text files (sources, lockfile, TOML), concatenated. The detector's own
/// directory is left out: its rule table names every keyword and its tests hold sample
/// secrets, the opposite of typical output.
fn repo_text() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut stack = vec![
        root.join("src"),
        root.join("Cargo.lock"),
        root.join("Cargo.toml"),
    ];
    while let Some(p) = stack.pop() {
        if p.ends_with("src/secrets") {
            continue;
        }
        if p.is_dir() {
            let mut children: Vec<_> = std::fs::read_dir(&p)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            children.sort();
            stack.extend(children);
        } else if let Ok(b) = std::fs::read(&p) {
            if !b.contains(&0) {
                out.extend_from_slice(&b);
            }
        }
    }
    out
}

/// A build/test log and a JSON tool response, the other common shapes of tool output.
fn log_and_json() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..400 {
        s.push_str(&format!(
            "2026-11-27T10:{:02}:{:02}.123Z INFO  worker{}: job {} finished in {} ms (token_count={}, cache_key=\"k{}\")\n",
            i % 60,
            (i * 7) % 60,
            i % 8,
            i * 31,
            i % 997,
            i * 13,
            i
        ));
        s.push_str(&format!(
            "   Compiling crate-{i} v0.{i}.3 (/work/main/crates/c{i})\n"
        ));
    }
    s.push_str("{\"tool_response\":{\"stdout\":\"");
    for i in 0..200 {
        s.push_str(&format!(
            "{{\\\"id\\\":\\\"123e4567-e89b-12d3-a456-4266141740{i:02}\\\",\\\"sha\\\":\\\"9fceb02d0ae598e95dc970b74767f19372d61a{i:02}\\\",\\\"name\\\":\\\"item {i}\\\"}}\\n"
        ));
    }
    s.push_str("\"}}");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let d = secrets::builtin();
    let repo = repo_text();
    let other = log_and_json();
    // Warm the lazy regexes and the prefilter once, so steady-state benches measure scanning.
    let _ = d.find_bytes(&repo);

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(repo.len() as u64));
    g.bench_function("repo sources + Cargo.lock", |b| {
        b.iter(|| black_box(d.find_bytes(black_box(&repo))))
    });
    g.throughput(Throughput::Bytes(other.len() as u64));
    g.bench_function("log + json", |b| {
        b.iter(|| black_box(d.find_bytes(black_box(&other))))
    });
    g.finish();

    // One 15 KB tool output.
    let chunk = &repo[..repo.len().min(15_000)];
    let mut g = c.benchmark_group("15KB output");
    g.throughput(Throughput::Bytes(chunk.len() as u64));
    g.bench_function("warm detector", |b| {
        b.iter(|| black_box(d.find_bytes(black_box(chunk))))
    });
    // What a hook process pays: a new detector (prefilter build, lazy regex compiles) + scan.
    g.bench_function("cold: new detector + find", |b| {
        b.iter_batched(
            || (),
            |()| {
                let fresh = Detector::new();
                black_box(fresh.find_bytes(black_box(chunk)))
            },
            BatchSize::SmallInput,
        )
    });
    let text = std::str::from_utf8(chunk).unwrap_or("");
    g.bench_function("redact", |b| {
        b.iter(|| black_box(d.redact(black_box(text))))
    });
    g.finish();

    // What a PreToolUse pays to scan a small tool input in a fresh process (no keyword in it,
    // so no rule regex is compiled: this is the detector's set-up and keyword search).
    let input = r#"command: "git status --short && cargo build --release 2>&1 | tail -20""#;
    let mut g = c.benchmark_group("small input");
    g.bench_function("cold: new detector + find", |b| {
        b.iter(|| black_box(Detector::new().find(black_box(input))))
    });
    g.bench_function("cold, automaton: new detector + find", |b| {
        b.iter(|| {
            let fresh = Detector::new().with_keyword_search(KeywordSearch::Automaton);
            black_box(fresh.find(black_box(input)))
        })
    });
    g.finish();

    // The keyword search alone over 1 MB (`rules_to_run` is the prefilter and nothing else):
    // the pair tables against the automaton (a DFA at this size), fresh each time as in a
    // hook process.
    let mut log = String::new();
    for i in 0.. {
        if log.len() >= 1 << 20 {
            break;
        }
        log.push_str(&format!(
            "   Compiling crate-{i} v0.{}.{} (/home/dev/project/crates/crate-{i}) in {}.{:02}s\n",
            i % 13,
            i % 7,
            i % 5,
            i % 100
        ));
    }
    let mut g = c.benchmark_group("keyword search, 1 MB build log");
    g.throughput(Throughput::Bytes(log.len() as u64));
    for (name, search) in [
        ("pair tables", KeywordSearch::Auto),
        ("automaton", KeywordSearch::Automaton),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let fresh = Detector::new().with_keyword_search(search);
                black_box(fresh.rules_to_run(black_box(log.as_bytes())))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
