//! Criterion micro-benchmarks of the pieces one hook call is made of: Bash analysis, loading
//! the policy, judging a call, and path resolution. The end-to-end figures (process start
//! included, as ratios to a floor binary) come from `examples/bench_e2e.rs`; see BENCHMARKS.md.
//!
//! `cargo bench --bench hook`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // bench code

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use blastwall::decision::Decision;
use blastwall::engine::{Call, Judge};
use blastwall::input::{Json, ToolUse};
use blastwall::paths::{self, PathEnv};
use blastwall::policy::{cache, LayerKind, Policy, Source};
use blastwall::shell::{self, Context, Limits};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};

const SHORT: &str = "git status";
/// Single commands as agents run them, one benchmark row each (issue #3: < 20 µs each).
const TYPICAL: &[(&str, &str)] = &[
    ("git status", SHORT),
    ("git commit -m", "git commit -m \"fix: handle empty input\""),
    ("cargo test", "cargo test --lib -- --nocapture"),
    ("grep -rn", "grep -rn \"TODO\" src/"),
    ("ls | head", "ls -la | head -20"),
    ("cd && make", "cd build && make -j4"),
    ("rm -rf target", "rm -rf target/debug"),
    ("npm install", "npm install --save-dev typescript"),
    (
        "curl -s url",
        "curl -s https://api.github.com/repos/rust-lang/rust",
    ),
    ("find -name", "find . -name '*.rs' -newer Cargo.toml"),
];
const COMPOUND: &str = "cd src && cargo build --release 2>&1 | tail -n 40 && \
    for f in $(git ls-files '*.rs'); do grep -n 'TODO' \"$f\" || true; done && \
    if [ -f Cargo.lock ]; then sha256sum Cargo.lock > /tmp/lock.sum; else echo 'no lock'; fi && \
    find . -name '*.rs' -not -path './target/*' | xargs wc -l | sort -n | tail -5 && \
    git status --short && git diff --stat HEAD~1 | head -20 && \
    python3 scripts/check.py --strict src/ && echo \"checked $(date +%s)\"";

fn env() -> PathEnv {
    PathEnv {
        home: Some(PathBuf::from("/home/dev")),
        project: PathBuf::from("/home/dev/project"),
        tmpdir: PathBuf::from("/tmp"),
        cwd: PathBuf::from("/home/dev/project"),
        exe: Some(PathBuf::from("/usr/local/bin/blastwall")),
    }
}

fn generated(n: usize) -> String {
    let mut s = String::from("version = 1\n\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "[[rules]]\nid = \"gen-{i}\"\ndecision = \"ask\"\nreason = \"generated rule {i}\"\ncommand = {{ program = \"gen-prog-{i}\", flags = [\"--force\"] }}\n"
        );
    }
    s
}

fn with(text: &str) -> Vec<Source> {
    vec![
        Source::embedded(),
        Source {
            kind: LayerKind::CommandLine,
            name: "bench.toml".into(),
            text: text.to_string(),
        },
    ]
}

fn input(v: Value) -> Json {
    Json::from(match v {
        Value::Object(m) => Value::Object(m),
        _ => Value::Object(Map::new()),
    })
}

/// The hook judges on a worker thread with this stack, declared to the analyser
/// (`WORKER_STACK` and the spawn in `src/hook.rs`), so Bash analysis runs inline there instead
/// of on a thread of its own: measured the same way.
const WORKER_STACK: usize = 128 * 1024 * 1024;

/// `iters` runs of `f` on a thread set up like the hook's worker.
fn on_worker<T>(iters: u64, f: impl Fn() -> T + Sync) -> Duration {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, || {
                shell::with_declared_stack(WORKER_STACK, || {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(f());
                    }
                    start.elapsed()
                })
            })
            .unwrap()
            .join()
            .unwrap()
    })
}

fn bash_analysis(c: &mut Criterion) {
    let cx = Context {
        cwd: Path::new("/home/dev/project"),
        home: Some(Path::new("/home/dev")),
        read_scripts: false,
        limits: Limits::default(),
    };
    let mut g = c.benchmark_group("bash analysis");
    for (name, command) in TYPICAL {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| on_worker(iters, || shell::analyze(black_box(command), &cx)))
        });
    }
    g.bench_function("compound (7 parts, ~20 commands)", |b| {
        b.iter_custom(|iters| on_worker(iters, || shell::analyze(black_box(COMPOUND), &cx)))
    });
    g.finish();
}

fn policy_load(c: &mut Criterion) {
    let env = env();
    let mut g = c.benchmark_group("policy load");
    g.bench_function("embedded default", |b| {
        b.iter(|| Policy::from_sources(&[Source::embedded()], &env).unwrap())
    });
    // What the real hook does instead while the compiled-policy cache is current: decode the
    // stored form (the rules stay encoded until a call reaches them).
    let policy = Policy::from_sources(&[Source::embedded()], &env).unwrap();
    let (head, rules) = cache::encode(&policy).unwrap();
    let mut stored = head.clone();
    stored.extend_from_slice(&rules);
    g.bench_function("embedded default, from the cache", |b| {
        b.iter(|| {
            let buffer = stored.clone();
            let end = buffer.len();
            cache::decode(buffer, 0..head.len(), head.len()..end).unwrap()
        })
    });
    for n in [1_000, 10_000] {
        let sources = with(&generated(n));
        g.bench_function(format!("+{n} rules"), |b| {
            b.iter(|| Policy::from_sources(&sources, &env).unwrap())
        });
    }
    g.finish();
}

/// One main-agent call judged under `policy`.
fn judge(policy: &Policy, env: &PathEnv, tool: &str, input: &Json) -> Decision {
    let Some(tool) = ToolUse::of(tool, input) else {
        return Decision::Deny;
    };
    let call = Call {
        tool,
        agent_type: None,
        agent_id: None,
    };
    Judge::new(policy, env)
        .judge(&call, &|_| None)
        .verdict
        .decision()
}

fn policy_eval(c: &mut Criterion) {
    let env = env();
    let policy = Policy::from_sources(&[Source::embedded()], &env).unwrap();
    let calls = [
        ("Bash short", "Bash", input(json!({"command": SHORT}))),
        ("Bash compound", "Bash", input(json!({"command": COMPOUND}))),
        (
            "Read",
            "Read",
            input(json!({"file_path": "/home/dev/project/src/main.rs"})),
        ),
        (
            "Write",
            "Write",
            input(json!({"file_path": "/home/dev/project/src/lib.rs", "content": "x"})),
        ),
        (
            "MCP",
            "mcp__github__search_repositories",
            input(json!({"query": "blastwall"})),
        ),
    ];
    let mut g = c.benchmark_group("judge (policy loaded)");
    for (name, tool, input) in &calls {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| on_worker(iters, || judge(&policy, &env, tool, input)))
        });
    }
    g.finish();
    // Load and judge together: what one hook process does after reading stdin.
    let mut g = c.benchmark_group("load + judge");
    for (name, tool, input) in &calls {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                on_worker(iters, || {
                    let policy = Policy::from_sources(&[Source::embedded()], &env).unwrap();
                    judge(&policy, &env, tool, input)
                })
            })
        });
    }
    g.finish();
}

fn path_resolution(c: &mut Criterion) {
    let env = env();
    let mut g = c.benchmark_group("paths");
    g.bench_function("expand ~", |b| {
        b.iter(|| env.expand(black_box("~/.config/gh/hosts.yml")).unwrap())
    });
    g.bench_function("normalize", |b| {
        b.iter(|| {
            paths::normalize(black_box(Path::new(
                "/home/dev/project/./src/../src/main.rs",
            )))
        })
    });
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs");
    g.bench_function("resolve (real file)", |b| {
        b.iter(|| paths::resolve(black_box(&here)))
    });
    g.finish();
}

criterion_group!(
    benches,
    bash_analysis,
    policy_load,
    policy_eval,
    path_resolution
);
criterion_main!(benches);
