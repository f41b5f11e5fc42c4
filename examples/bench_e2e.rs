//! End-to-end benchmark: spawns `blastwall hook` with a fixed set of hook events on stdin and
//! reports each figure as a ratio to `examples/floor.rs` (read stdin, parse it with serde_json,
//! print a fixed allow), measured in the same run and alternating the two on every iteration,
//! because absolute times on a shared machine are not comparable between runs.
//!
//! ```text
//! cargo run --release --example bench_e2e                 # build both binaries, print the table
//! cargo run --release --example bench_e2e -- --runs 500   # more runs (default 200, warm-up 20)
//! cargo run --release --example bench_e2e -- --only 10000 # rows whose policy or event matches
//! cargo run --release --example bench_e2e -- --check      # exit 1 when a budget is missed
//! ```
//!
//! Peak memory is the child's maximum resident set size as reported by `wait4` through GNU
//! `time -f %M` (Debian package `time`); without it the column reads `n/a`. Generated policies
//! are written to a temporary directory and passed with `--policy FILE --isolated`; the embedded
//! default is measured as installed (standard layer discovery, with `HOME` and the XDG
//! directories pointing into the temporary directory so the machine's own files do not count).
#![allow(clippy::print_stdout, clippy::disallowed_macros)] // the table on stdout is the point
#![allow(clippy::cast_precision_loss)]

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

type Res<T> = Result<T, Box<dyn Error>>;

struct Config {
    runs: usize,
    warmup: usize,
    build: bool,
    only: Vec<String>,
    check: bool,
    mem_runs: usize,
    /// Stop a row after this long (at least 20 runs): a 3 s answer needs no 200 samples.
    row_seconds: f64,
    /// Write the events and generated policies here and stop (for callgrind and perf).
    dump: Option<PathBuf>,
}

fn parse_args() -> Res<Config> {
    let mut c = Config {
        runs: 200,
        warmup: 20,
        build: true,
        only: Vec::new(),
        check: false,
        mem_runs: 3,
        row_seconds: 60.0,
        dump: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => c.runs = it.next().ok_or("--runs N")?.parse()?,
            "--warmup" => c.warmup = it.next().ok_or("--warmup N")?.parse()?,
            "--mem-runs" => c.mem_runs = it.next().ok_or("--mem-runs N")?.parse()?,
            "--row-seconds" => c.row_seconds = it.next().ok_or("--row-seconds S")?.parse()?,
            "--no-build" => c.build = false,
            "--check" => c.check = true,
            "--only" => c.only.push(it.next().ok_or("--only PATTERN")?),
            "--dump" => c.dump = Some(PathBuf::from(it.next().ok_or("--dump DIR")?)),
            "--bench" => {} // passed by `cargo bench`-style runners; ignored
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    if c.runs < 20 {
        return Err("--runs must be at least 20".into());
    }
    Ok(c)
}

/// One benchmarked event: its name and the JSON text fed on stdin.
struct Event {
    name: &'static str,
    pre: bool,
    json: String,
}

fn base(project: &Path, home: &Path, kind: &str) -> serde_json::Map<String, Value> {
    let v = json!({
        "session_id": "3f1c9a2e-7b4d-4e8a-9c61-2d5f0b8e4a17",
        "transcript_path": format!("{}/.claude/projects/-bench/3f1c9a2e.jsonl", home.display()),
        "cwd": project.display().to_string(),
        "prompt_id": "550e8400-e29b-41d4-a716-446655440000",
        "permission_mode": "default",
        "hook_event_name": kind,
        "tool_use_id": "toolu_0103bb7429a8045d859818b2",
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

fn event(
    project: &Path,
    home: &Path,
    kind: &str,
    tool: &str,
    input: Value,
    response: Option<Value>,
) -> String {
    let mut m = base(project, home, kind);
    m.insert("tool_name".into(), tool.into());
    m.insert("tool_input".into(), input);
    if let Some(r) = response {
        m.insert("tool_response".into(), r);
        m.insert("duration_ms".into(), 4187.into());
    }
    Value::Object(m).to_string()
}

/// A long compound command as agents write them: about 2 KB of `cd`, builds, loops, pipes,
/// conditionals and substitutions over project files.
fn long_command() -> String {
    let parts = [
        "cd src && cargo build --release 2>&1 | tail -n 40",
        "for f in $(git ls-files '*.rs'); do grep -n 'TODO\\|FIXME' \"$f\" || true; done",
        "if [ -f Cargo.lock ]; then sha256sum Cargo.lock > /tmp/lock.sum; else echo 'no lock'; fi",
        "find . -name '*.rs' -not -path './target/*' | xargs wc -l | sort -n | tail -5",
        "git status --short && git diff --stat HEAD~1 | head -20",
        "cargo test --lib -- --nocapture 2>&1 | grep -E '^(test result|failures)' || echo done",
        "mkdir -p build/out && cp -r assets build/out/ && ls -la build/out | head",
        "export RUST_LOG=debug; cargo run --example demo -- --input data/sample.json",
        "jq '.items[] | {id, name}' data/sample.json | head -n 50 > build/out/items.json",
        "python3 scripts/check.py --strict src/ && echo \"checked $(date +%s)\"",
    ];
    let mut out = String::new();
    let mut i = 0usize;
    while out.len() < 2048 {
        if !out.is_empty() {
            out.push_str(" && \\\n  ");
        }
        out.push_str(parts.get(i % parts.len()).copied().unwrap_or("true"));
        i += 1;
    }
    out
}

/// Tool output of about `bytes` bytes that looks like a build log (no secrets).
fn output_of(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 128);
    let mut i = 0usize;
    while out.len() < bytes {
        let _ = writeln!(
            out,
            "   Compiling crate-{i} v0.{}.{} (/home/dev/project/crates/crate-{i}) in {}.{:02}s",
            i % 13,
            i % 7,
            i % 5,
            i % 100
        );
        i += 1;
    }
    out
}

/// About `bytes` of a documentation page as WebFetch returns it (markdown prose, links, code):
/// the text the injection detector reads on every external output.
fn page_of(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 256);
    let mut i = 0usize;
    while out.len() < bytes {
        let _ = write!(
            out,
            "## Section {i}\n\nThe `Client::send` method returns a future that resolves once the \
             server has answered. Configure timeouts with [`ClientBuilder`](https://docs.example.org/client/{i}) \
             and retry policies in `retry.toml`; see the previous chapter for authentication. You \
             should call `shutdown` before the process exits, or pending requests are dropped.\n\n\
             ```rust\nlet resp = client.get(\"https://api.example.org/v1/items?page={i}\").send().await?;\n```\n\n"
        );
        i += 1;
    }
    out
}

fn events(project: &Path, home: &Path) -> Vec<Event> {
    let p = project.display().to_string();
    let post = |n: usize| {
        event(
            project,
            home,
            "PostToolUse",
            "Bash",
            json!({"command": "cargo build", "description": "Build"}),
            Some(
                json!({"stdout": output_of(n), "stderr": "", "interrupted": false, "isImage": false}),
            ),
        )
    };
    vec![
        Event {
            name: "Bash short",
            pre: true,
            json: event(
                project,
                home,
                "PreToolUse",
                "Bash",
                json!({"command": "git status", "description": "Show status"}),
                None,
            ),
        },
        Event {
            name: "Bash 2 KB compound",
            pre: true,
            json: event(
                project,
                home,
                "PreToolUse",
                "Bash",
                json!({"command": long_command(), "description": "Build and check"}),
                None,
            ),
        },
        Event {
            name: "Read",
            pre: true,
            json: event(
                project,
                home,
                "PreToolUse",
                "Read",
                json!({"file_path": format!("{p}/src/main.rs")}),
                None,
            ),
        },
        Event {
            name: "Write",
            pre: true,
            json: event(
                project,
                home,
                "PreToolUse",
                "Write",
                json!({"file_path": format!("{p}/src/lib.rs"), "content": "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n"}),
                None,
            ),
        },
        Event {
            name: "MCP",
            pre: true,
            json: event(
                project,
                home,
                "PreToolUse",
                "mcp__github__search_repositories",
                json!({"query": "blastwall", "perPage": 10}),
                None,
            ),
        },
        Event {
            name: "PostToolUse 15 KB",
            pre: false,
            json: post(15 * 1024),
        },
        Event {
            name: "PostToolUse 1 MB",
            pre: false,
            json: post(1024 * 1024),
        },
        Event {
            name: "PostToolUse WebFetch 15 KB",
            pre: false,
            json: event(
                project,
                home,
                "PostToolUse",
                "WebFetch",
                json!({"url": "https://docs.example.org/client", "prompt": "How do I set a timeout?"}),
                Some({
                    let page = page_of(15 * 1024);
                    json!({"bytes": page.len(), "code": 200, "codeText": "OK", "result": page, "durationMs": 120, "url": "https://docs.example.org/client"})
                }),
            ),
        },
        Event {
            name: "PostToolUse MCP 15 KB",
            pre: false,
            json: event(
                project,
                home,
                "PostToolUse",
                "mcp__docs__fetch",
                json!({"url": "https://docs.example.org/client"}),
                Some(json!([{"type": "text", "text": page_of(15 * 1024)}])),
            ),
        },
    ]
}

/// A generated policy on top of the embedded default: `n` rules spread over kinds the
/// benchmark events do not touch (other programs, other tools, other hosts), the way a large
/// organisation's policy grows.
fn generated_rules(n: usize) -> String {
    let mut s = String::from("version = 1\n\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "[[rules]]\nid = \"gen-{i}\"\ndecision = \"{}\"\nreason = \"generated rule {i}\"",
            if i % 2 == 0 { "ask" } else { "deny" }
        );
        let _ = match i % 5 {
            0 => writeln!(s, "command = {{ program = \"gen-prog-{i}\", flags = [\"--force\", \"-f\"] }}\n"),
            1 => writeln!(s, "command = [{{ program = \"gen-tool-{i}\", subcommand = [\"drop\", \"purge\"] }}, {{ program = \"gen-tool-{i}\", args = ['^prod-{i}-'] }}]\n"),
            2 => writeln!(s, "tools = [\"mcp__gen{i}__*\"]\n"),
            3 => writeln!(s, "tools = [\"GenTool{i}\"]\ninput_regex = '(?i)secret-{i}-[a-z0-9]+'\n"),
            _ => writeln!(s, "hosts = [\"gen{i}.example.com\", \"*.gen{i}.example.org\"]\n"),
        };
    }
    s
}

/// 1,000 path globs (100 rules of 10), the way credential stores and generated files pile up.
fn generated_globs() -> String {
    let mut s = String::from("version = 1\n\n");
    for i in 0..100 {
        let _ = writeln!(s, "[[rules]]\nid = \"glob-{i}\"\ndecision = \"deny\"\nreason = \"generated path rule {i}\"");
        let globs: Vec<String> = (0..10)
            .map(|j| match j % 3 {
                0 => format!("\"~/.gen-store-{i}-{j}\""),
                1 => format!("\"*.gen{i}x{j}\""),
                _ => format!("\"**/generated-{i}/secret-{j}/**\""),
            })
            .collect();
        let _ = writeln!(s, "paths = [{}]\n", globs.join(", "));
    }
    s
}

struct Setup {
    dir: PathBuf,
    project: PathBuf,
    home: PathBuf,
}

impl Setup {
    fn new() -> Res<Setup> {
        let dir = std::env::temp_dir().join(format!("blastwall-bench-{}", std::process::id()));
        let project = dir.join("project");
        let home = dir.join("home");
        std::fs::create_dir_all(project.join("src"))?;
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(dir.join("config"))?;
        std::fs::create_dir_all(dir.join("state"))?;
        std::fs::write(project.join("src/main.rs"), "fn main() {}\n")?;
        std::fs::write(project.join("Cargo.toml"), "[package]\nname = \"demo\"\n")?;
        Ok(Setup { dir, project, home })
    }

    fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.home.clone()),
            ("XDG_CONFIG_HOME", self.dir.join("config")),
            ("XDG_STATE_HOME", self.dir.join("state")),
            ("CLAUDE_PROJECT_DIR", self.project.clone()),
        ]
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How one process is started.
struct Cmd {
    program: PathBuf,
    args: Vec<String>,
    envs: Vec<(&'static str, PathBuf)>,
}

impl Cmd {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        c
    }

    /// Run once with `input` on stdin; the wall time from spawn to reaped exit, and stdout.
    fn run(&self, input: &[u8]) -> Res<(Duration, Vec<u8>, i32)> {
        let start = Instant::now();
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input)?;
        }
        let out = child.wait_with_output()?;
        let took = start.elapsed();
        Ok((took, out.stdout, out.status.code().unwrap_or(-1)))
    }

    /// Peak RSS in KiB, through GNU time (wait4's rusage); `None` without it.
    fn peak_rss_kib(&self, input: &[u8], runs: usize) -> Option<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return None;
        }
        let mut best = None;
        for _ in 0..runs {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg(&self.program).args(&self.args);
            for (k, v) in &self.envs {
                c.env(k, v);
            }
            let mut child = c
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .ok()?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(input).ok()?;
            }
            let out = child.wait_with_output().ok()?;
            let text = String::from_utf8_lossy(&out.stderr);
            let kib: u64 = text.lines().last()?.trim().parse().ok()?;
            best = Some(best.map_or(kib, |b: u64| b.max(kib)));
        }
        best
    }
}

fn decision_of(stdout: &[u8], code: i32) -> String {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return if code == 0 {
            "none".into()
        } else {
            format!("exit {code}")
        };
    }
    let Ok(v) = serde_json::from_slice::<Value>(stdout) else {
        return "non-JSON".into();
    };
    let d = v
        .pointer("/hookSpecificOutput/permissionDecision")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            v.pointer("/hookSpecificOutput/updatedToolOutput")
                .map(|_| "redact".into())
        })
        .or_else(|| v.get("systemMessage").map(|_| "message".into()))
        .or_else(|| {
            v.pointer("/hookSpecificOutput/additionalContext")
                .map(|_| "context".into())
        })
        .unwrap_or_else(|| "output".into());
    if code == 0 {
        d
    } else {
        format!("{d} (exit {code})")
    }
}

#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    p95: f64,
    n: usize,
}

fn stats(mut xs: Vec<f64>) -> Stats {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((xs.len() as f64 - 1.0) * q).round() as usize;
        xs.get(i).copied().unwrap_or(f64::NAN)
    };
    Stats {
        median: at(0.5),
        p95: at(0.95),
        n: xs.len(),
    }
}

/// Alternate floor and blastwall (swapping which goes first every iteration).
fn measure(floor: &Cmd, bw: &Cmd, input: &[u8], cfg: &Config) -> Res<(Stats, Stats)> {
    let warm = Instant::now();
    for _ in 0..cfg.warmup {
        if warm.elapsed().as_secs_f64() > cfg.row_seconds / 10.0 {
            break;
        }
        floor.run(input)?;
        bw.run(input)?;
    }
    let mut f = Vec::with_capacity(cfg.runs);
    let mut b = Vec::with_capacity(cfg.runs);
    let start = Instant::now();
    for i in 0..cfg.runs {
        if i >= 20 && start.elapsed().as_secs_f64() > cfg.row_seconds {
            break;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        if i % 2 == 0 {
            f.push(ms(floor.run(input)?.0));
            b.push(ms(bw.run(input)?.0));
        } else {
            b.push(ms(bw.run(input)?.0));
            f.push(ms(floor.run(input)?.0));
        }
    }
    Ok((stats(f), stats(b)))
}

struct Policy {
    name: &'static str,
    args: Vec<String>,
    /// (median ratio, p95 ratio) budgets for PreToolUse events.
    budget: (f64, Option<f64>),
}

fn build(cfg: &Config) -> Res<()> {
    if !cfg.build {
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--release",
            "--bin",
            "blastwall",
            "--example",
            "floor",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()?;
    if !status.success() {
        return Err("cargo build of blastwall and the floor failed".into());
    }
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cores} cores available, Linux {}", kernel.trim())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> Res<()> {
    let cfg = parse_args()?;
    build(&cfg)?;
    let exe = std::env::current_exe()?;
    let examples = exe.parent().ok_or("no example dir")?;
    let floor_bin = examples.join("floor");
    let bw_bin = examples.parent().ok_or("no target dir")?.join("blastwall");
    for b in [&floor_bin, &bw_bin] {
        if !b.exists() {
            return Err(format!("{} not built (drop --no-build)", b.display()).into());
        }
    }
    let setup = Setup::new()?;
    let evs = events(&setup.project, &setup.home);
    let mut policies = vec![Policy {
        name: "embedded default",
        args: vec![],
        budget: (1.3, Some(1.5)),
    }];
    for (name, text, budget) in [
        ("+100 rules", generated_rules(100), 1.5),
        ("+1,000 rules", generated_rules(1000), 1.5),
        ("+10,000 rules", generated_rules(10_000), 2.0),
        ("+1,000 path globs", generated_globs(), 1.5),
    ] {
        let file = setup
            .dir
            .join(format!("policy-{}.toml", name.replace(['+', ',', ' '], "")));
        std::fs::write(&file, text)?;
        policies.push(Policy {
            name,
            args: vec![
                "--policy".into(),
                file.display().to_string(),
                "--isolated".into(),
            ],
            budget: (budget, None),
        });
    }
    if let Some(dir) = &cfg.dump {
        std::fs::create_dir_all(dir)?;
        for e in &evs {
            let slug = e.name.to_lowercase().replace([' ', '/'], "-");
            std::fs::write(dir.join(format!("{slug}.json")), &e.json)?;
        }
        for p in policies.iter().skip(1) {
            if let Some(file) = p.args.get(1) {
                let name = Path::new(file).file_name().ok_or("policy name")?;
                std::fs::copy(file, dir.join(name))?;
            }
        }
        println!("events and policies written to {}", dir.display());
        // The events name the temporary project; keep it for the dumped events.
        std::mem::forget(setup);
        return Ok(());
    }

    // The real hook starts from its compiled-policy cache, which only stores a policy once the
    // binary and the policy files are 2 s old (coarse timestamps; src/policy/cache.rs). Wait
    // that long so every row measures the steady state, not the first calls after a build.
    std::thread::sleep(Duration::from_millis(2100));

    println!("blastwall end-to-end benchmark");
    println!("machine: {}", machine());
    println!(
        "runs: {} per binary after {} warm-up, alternating floor/blastwall; load average at start {}",
        cfg.runs, cfg.warmup, loadavg()
    );
    println!();
    println!("| policy | event | answer | floor median | blastwall median | ratio | floor p95 | blastwall p95 | p95 ratio | runs | peak RSS | budget |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut missed = Vec::new();
    for pol in &policies {
        for ev in &evs {
            // Policy size only matters to PreToolUse; PostToolUse runs under the default.
            if !ev.pre && pol.name != "embedded default" {
                continue;
            }
            let row = format!("{} {}", pol.name, ev.name);
            if !cfg.only.is_empty() && !cfg.only.iter().any(|o| row.contains(o.as_str())) {
                continue;
            }
            let floor = Cmd {
                program: floor_bin.clone(),
                args: vec![],
                envs: setup.envs(),
            };
            let mut args = vec!["hook".to_string()];
            args.extend(pol.args.iter().cloned());
            let bw = Cmd {
                program: bw_bin.clone(),
                args,
                envs: setup.envs(),
            };
            let input = ev.json.as_bytes();
            let (_, out, code) = bw.run(input)?;
            let answer = decision_of(&out, code);
            let (f, b) = measure(&floor, &bw, input, &cfg)?;
            let rss = bw.peak_rss_kib(input, cfg.mem_runs);
            let ratio = b.median / f.median;
            let p95 = b.p95 / f.p95;
            let mut checks = Vec::new();
            if ev.pre {
                let (m, p) = pol.budget;
                checks.push((ratio <= m, format!("median ≤ {m}×")));
                if let Some(p) = p {
                    checks.push((p95 <= p, format!("p95 ≤ {p}×")));
                }
            } else if ev.name.contains("WebFetch") || ev.name.contains("MCP 15") {
                // External content (issue 15): the injection scan included.
                checks.push((ratio <= 1.3, "median ≤ 1.3×".to_string()));
            } else if ev.name.contains("1 MB") {
                checks.push((b.median <= 10.0, "median ≤ 10 ms".to_string()));
            }
            if let Some(kib) = rss {
                checks.push((kib <= 10 * 1024, "RSS ≤ 10 MB".to_string()));
            }
            let verdict = if checks.iter().all(|c| c.0) {
                format!(
                    "met ({})",
                    checks
                        .iter()
                        .map(|c| c.1.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                let miss: Vec<&str> = checks
                    .iter()
                    .filter(|c| !c.0)
                    .map(|c| c.1.as_str())
                    .collect();
                missed.push(format!("{row}: {}", miss.join(", ")));
                format!("**MISSED** {}", miss.join(", "))
            };
            println!(
                "| {} | {} | {} | {:.2} ms | {:.2} ms | {:.2}× | {:.2} ms | {:.2} ms | {:.2}× | {} | {} | {} |",
                pol.name, ev.name, answer, f.median, b.median, ratio, f.p95, b.p95, p95, b.n,
                rss.map_or("n/a".into(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
                verdict
            );
            let _ = std::io::stdout().flush();
        }
    }
    let floor = Cmd {
        program: floor_bin,
        args: vec![],
        envs: setup.envs(),
    };
    if let (Some(first), Some(last)) = (evs.first(), evs.last()) {
        let small = floor.peak_rss_kib(first.json.as_bytes(), cfg.mem_runs);
        let big = floor.peak_rss_kib(last.json.as_bytes(), cfg.mem_runs);
        let mb =
            |k: Option<u64>| k.map_or("n/a".into(), |k| format!("{:.1} MB", k as f64 / 1024.0));
        println!();
        println!(
            "floor peak RSS: {} (short event), {} (1 MB event)",
            mb(small),
            mb(big)
        );
    }
    println!("load average at end {}", loadavg());
    if missed.is_empty() {
        println!("every budget met");
    } else {
        println!("budgets missed:");
        for m in &missed {
            println!("  {m}");
        }
        if cfg.check {
            std::process::exit(1);
        }
    }
    Ok(())
}
