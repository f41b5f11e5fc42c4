//! `blastwall replay`: judge recorded events the way the hook would, and check what each
//! fixture expects.
//!
//! By default every event is judged in a scratch project and a scratch home of its own (made
//! fresh under `/var/tmp`, else `~/.cache/blastwall`, never under `/tmp` or `$TMPDIR`, which
//! the default policy lets agents write to, and removed afterwards), so the answers do not
//! depend on where the clone lives or on the machine's HOME. `--project` and `--home` replace
//! either. Output: a human listing whose failures are repeated at the end with the actual
//! reason and an `explain` command, colour on a terminal (`NO_COLOR` respected), or
//! `--format json` / `--format junit` for CI. `--diff OTHER` lists the cases whose decision
//! changes when OTHER is the command-line policy instead: the review tool for a policy change.
//!
//! What belongs here: loading fixtures, the scratch directories, judging, and rendering the
//! results. The command-line definitions live in `run.rs`.
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::hook::{self, Answer, Options};
use crate::outcome::Ruling;

/// A recorded event, optionally with what it is expected to get.
pub struct Case {
    pub origin: String,
    pub event: Value,
    pub expect: Option<String>,
    pub reason_contains: Option<String>,
}

/// Where `{{HOME}}`, `{{PROJECT}}` and `{{TMP}}` in fixtures point.
#[derive(Debug, Clone)]
pub struct Places {
    pub home: PathBuf,
    pub project: PathBuf,
}

/// Fill a fixture's placeholders.
pub fn substitute(text: &str, places: &Places) -> String {
    text.replace("{{HOME}}", &places.home.to_string_lossy())
        .replace("{{PROJECT}}", &places.project.to_string_lossy())
        .replace("{{TMP}}", &std::env::temp_dir().to_string_lossy())
}

/// Whether a fixture's text depends on where the project and home are.
pub fn has_placeholders(text: &str) -> bool {
    text.contains("{{HOME}}") || text.contains("{{PROJECT}}")
}

/// A scratch home and project, removed when dropped.
pub struct Scratch {
    root: PathBuf,
    pub places: Places,
}

impl Scratch {
    /// Make one in the first usable base directory: not under `/tmp` or `$TMPDIR` (write
    /// roots of the default policy, where "outside the project" writes would be allowed).
    pub fn new() -> Result<Scratch, String> {
        let tmp_roots: Vec<PathBuf> = [
            Some(PathBuf::from("/tmp")),
            std::env::var_os("TMPDIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        ]
        .into_iter()
        .flatten()
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .collect();
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })
            .map(|c| c.join("blastwall"));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("blastwall-replay-{}-{nanos:08x}", std::process::id());
        let mut tried = Vec::new();
        for base in [Some(PathBuf::from("/var/tmp")), cache]
            .into_iter()
            .flatten()
        {
            if std::fs::create_dir_all(&base).is_err() {
                tried.push(format!("{} (cannot create)", base.display()));
                continue;
            }
            let Ok(base) = std::fs::canonicalize(&base) else {
                continue;
            };
            if tmp_roots.iter().any(|t| base.starts_with(t)) {
                tried.push(format!("{} (under a temporary-files root)", base.display()));
                continue;
            }
            let root = base.join(&name);
            if let Err(e) = std::fs::create_dir(&root) {
                tried.push(format!("{}: {e}", root.display()));
                continue;
            }
            let scratch = Scratch {
                places: Places {
                    home: root.join("home"),
                    project: root.join("project"),
                },
                root,
            };
            for d in [&scratch.places.home, &scratch.places.project] {
                std::fs::create_dir(d).map_err(|e| format!("{}: {e}", d.display()))?;
            }
            return Ok(scratch);
        }
        Err(format!(
            "no place for a scratch project and home (tried {}); give --project DIR and --home DIR",
            tried.join(", ")
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            collect_files(&e, out)?;
        }
    } else if path
        .extension()
        .is_some_and(|x| x == "json" || x == "jsonl")
    {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Every case in the given files and folders (folders recursively, `.json` and `.jsonl`).
pub fn load_cases(paths: &[PathBuf], places: &Places) -> Result<Vec<Case>, String> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or folder", path.display()));
        }
        let before = files.len();
        collect_files(path, &mut files)?;
        if files.len() == before {
            return Err(format!("{}: no .json or .jsonl files", path.display()));
        }
    }
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let text = substitute(&text, places);
        let values: Vec<(String, Value)> = if f.extension().is_some_and(|x| x == "jsonl") {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    serde_json::from_str(l)
                        .map(|v| (format!("{}:{}", f.display(), i + 1), v))
                        .map_err(|e| format!("{}:{}: {e}", f.display(), i + 1))
                })
                .collect::<Result<_, _>>()?
        } else {
            vec![(
                f.display().to_string(),
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?,
            )]
        };
        for (origin, v) in values {
            let case = match v.get("event") {
                Some(ev) => Case {
                    origin,
                    event: ev.clone(),
                    expect: v.get("expect").and_then(Value::as_str).map(str::to_string),
                    reason_contains: v
                        .get("reason_contains")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
                None => Case {
                    origin,
                    event: v,
                    expect: None,
                    reason_contains: None,
                },
            };
            cases.push(case);
        }
    }
    Ok(cases)
}

/// Run one recorded event through the same path as `blastwall hook`.
pub fn judge_value(event: &Value, opts: &Options) -> Answer {
    let bytes = serde_json::to_vec(event).unwrap_or_default();
    hook::run(&mut &bytes[..], opts)
}

/// The reason text of an answer, read from its outcome ([`Answer::reason`]).
pub fn answer_reason(answer: &Answer) -> String {
    answer.reason()
}

/// Whether a fixture's `expect` names this decision; `none` is the older spelling of `pass`.
pub fn expected(want: &str, decision: &str) -> bool {
    match Ruling::parse(want) {
        Some(r) => r.as_str() == decision,
        None => want == decision,
    }
}

/// One judged case.
#[derive(Debug, Clone)]
pub struct Judged {
    pub origin: String,
    pub tool: String,
    pub decision: String,
    pub reason: String,
    pub expect: Option<String>,
    pub reason_contains: Option<String>,
    /// `None` when the case states no expectation.
    pub ok: Option<bool>,
}

impl Judged {
    /// Why the case failed, in one line.
    pub fn failure(&self) -> Option<String> {
        if self.ok != Some(false) {
            return None;
        }
        let want = self.expect.as_deref().unwrap_or("?");
        Some(if !expected(want, &self.decision) {
            format!("expected {want}, got {}", self.decision)
        } else {
            format!(
                "{want} as expected, but the reason does not contain {:?}",
                self.reason_contains.as_deref().unwrap_or_default()
            )
        })
    }
}

fn tool_of(event: &Value) -> String {
    event
        .get("tool_name")
        .and_then(Value::as_str)
        .or_else(|| event.get("hook_event_name").and_then(Value::as_str))
        .unwrap_or("?")
        .to_string()
}

/// Judge every case.
pub fn judge_all(cases: &[Case], opts: &Options) -> Vec<Judged> {
    cases
        .iter()
        .map(|c| {
            let answer = judge_value(&c.event, opts);
            let reason = answer_reason(&answer);
            let ok = c.expect.as_ref().map(|want| {
                expected(want, answer.decision)
                    && c.reason_contains
                        .as_ref()
                        .is_none_or(|s| reason.contains(s.as_str()))
            });
            Judged {
                origin: c.origin.clone(),
                tool: tool_of(&c.event),
                decision: answer.decision.to_string(),
                reason,
                expect: c.expect.clone(),
                reason_contains: c.reason_contains.clone(),
                ok,
            }
        })
        .collect()
}

/// Whether to colour the human output: `always`, `never`, or on a terminal unless `NO_COLOR`.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    #[default]
    Auto,
    Always,
    Never,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A line per case, failures repeated at the end
    #[default]
    Human,
    /// One JSON document
    Json,
    /// JUnit XML, for CI test reports
    Junit,
}

struct Paint(bool);

impl Paint {
    fn code(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn decision(&self, d: &str) -> String {
        let padded = format!("{d:<5}");
        match d {
            "deny" => self.code("31", &padded),
            "ask" => self.code("33", &padded),
            "allow" => self.code("32", &padded),
            _ => padded,
        }
    }
}

/// Counts per decision, in a stable order.
fn counts(results: &[Judged]) -> BTreeMap<&str, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        *counts.entry(r.decision.as_str()).or_default() += 1;
    }
    counts
}

/// The human report. `explain` is the command line that re-judges one case the same way.
pub fn render_human(results: &[Judged], color: bool, explain: &dyn Fn(&str) -> String) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    for r in results {
        out.push_str(&format!(
            "{} {:<14} {}",
            paint.decision(&r.decision),
            r.tool,
            r.origin
        ));
        if let Some(f) = r.failure() {
            out.push_str(&format!(" {} ({f})", paint.code("1;31", "FAIL")));
        }
        if !r.reason.is_empty() {
            out.push_str(&format!("\n      {}", r.reason));
        }
        out.push('\n');
    }
    let failed: Vec<&Judged> = results.iter().filter(|r| r.ok == Some(false)).collect();
    let summary: Vec<String> = counts(results)
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    if !failed.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint.code("1;31", &format!("{} FAILED:", failed.len()))
        ));
        for r in &failed {
            out.push_str(&format!(
                "  {}: {}\n",
                r.origin,
                r.failure().unwrap_or_default()
            ));
            let reason = if r.reason.is_empty() {
                "(no answer: Claude Code's own permission flow decides)"
            } else {
                r.reason.as_str()
            };
            out.push_str(&format!("      actual reason: {reason}\n"));
            out.push_str(&format!("      explain: {}\n", explain(&r.origin)));
        }
        out.push('\n');
    }
    let line = format!(
        "{} events: {}; {} expectation(s) failed",
        results.len(),
        summary.join(", "),
        failed.len()
    );
    let line = if failed.is_empty() {
        paint.code("32", &line)
    } else {
        paint.code("1;31", &line)
    };
    out.push_str(&line);
    out.push('\n');
    out
}

/// The JSON report (schema version 1).
pub fn render_json(results: &[Judged]) -> String {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "origin": r.origin,
                "tool": r.tool,
                "decision": r.decision,
                "reason": r.reason,
                "expect": r.expect,
                "ok": r.ok,
                "failure": r.failure(),
            })
        })
        .collect();
    let failed = results.iter().filter(|r| r.ok == Some(false)).count();
    let doc = json!({
        "version": 1,
        "events": results.len(),
        "failed": failed,
        "counts": counts(results),
        "cases": cases,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Escape text for XML attributes and character data.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML report: one test case per fixture; a case without an expectation is skipped.
pub fn render_junit(results: &[Judged]) -> String {
    let failed = results.iter().filter(|r| r.ok == Some(false)).count();
    let skipped = results.iter().filter(|r| r.ok.is_none()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let head = format!(
        "name=\"blastwall replay\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\"",
        results.len()
    );
    out.push_str(&format!("<testsuites {head}>\n  <testsuite {head}>\n"));
    for r in results {
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&r.tool),
            xml_escape(&r.origin)
        ));
        match (r.ok, r.failure()) {
            (Some(false), Some(f)) => out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                xml_escape(&f),
                xml_escape(&r.decision),
                xml_escape(&r.reason)
            )),
            (None, _) => {
                out.push_str(">\n      <skipped message=\"no expectation\"/>\n    </testcase>\n")
            }
            _ => out.push_str("/>\n"),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One case whose decision differs between two policies.
#[derive(Debug, Clone)]
pub struct Change {
    pub origin: String,
    pub tool: String,
    pub before: String,
    pub after: String,
    pub reason_after: String,
}

/// The cases whose decision differs between `base` and `other` (same order as given).
pub fn diff(base: &[Judged], other: &[Judged]) -> Vec<Change> {
    base.iter()
        .zip(other)
        .filter(|(a, b)| a.decision != b.decision)
        .map(|(a, b)| Change {
            origin: a.origin.clone(),
            tool: a.tool.clone(),
            before: a.decision.clone(),
            after: b.decision.clone(),
            reason_after: b.reason.clone(),
        })
        .collect()
}

/// The `--diff` report, human or JSON.
pub fn render_diff(
    changes: &[Change],
    total: usize,
    format: Format,
    color: bool,
    other: &str,
) -> String {
    if format == Format::Json {
        let list: Vec<Value> = changes
            .iter()
            .map(|c| json!({"origin": c.origin, "tool": c.tool, "before": c.before, "after": c.after, "reason_after": c.reason_after}))
            .collect();
        let mut s = serde_json::to_string_pretty(
            &json!({"version": 1, "events": total, "other_policy": other, "changed": list}),
        )
        .unwrap_or_default();
        s.push('\n');
        return s;
    }
    let paint = Paint(color);
    let mut out = String::new();
    for c in changes {
        out.push_str(&format!(
            "{} -> {} {:<14} {}\n",
            paint.decision(&c.before),
            paint.decision(&c.after),
            c.tool,
            c.origin
        ));
        if !c.reason_after.is_empty() {
            out.push_str(&format!("      {}\n", c.reason_after));
        }
    }
    out.push_str(&format!(
        "{} of {total} events change decision with {other}\n",
        changes.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(origin: &str, decision: &str, expect: Option<&str>, ok: Option<bool>) -> Judged {
        Judged {
            origin: origin.into(),
            tool: "Read".into(),
            decision: decision.into(),
            reason: format!("reason <{origin}> & \"q\""),
            expect: expect.map(str::to_string),
            reason_contains: None,
            ok,
        }
    }

    #[test]
    fn failures_are_repeated_at_the_end_with_reason_and_explain_hint() {
        let r = vec![
            judged("a.json", "deny", Some("deny"), Some(true)),
            judged("b.json", "allow", Some("deny"), Some(false)),
        ];
        let text = render_human(&r, false, &|o| format!("blastwall explain {o}"));
        let tail = text.split("1 FAILED:").nth(1).unwrap();
        assert!(tail.contains("b.json: expected deny, got allow"), "{text}");
        assert!(tail.contains("actual reason: reason <b.json>"), "{text}");
        assert!(tail.contains("explain: blastwall explain b.json"), "{text}");
        assert!(
            text.ends_with("2 events: 1 allow, 1 deny; 1 expectation(s) failed\n"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "no colour when not asked");
        assert!(render_human(&r, true, &|o| o.to_string()).contains("\x1b[1;31mFAIL"));
    }

    #[test]
    fn junit_escapes_and_counts() {
        let r = vec![
            judged("a&b.json", "deny", Some("deny"), Some(true)),
            judged("<b>.json", "allow", Some("deny"), Some(false)),
            judged("c.json", "ask", None, None),
        ];
        let x = render_junit(&r);
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(x.contains("name=\"a&amp;b.json\"/>"), "{x}");
        assert!(x.contains("<failure message=\"expected deny, got allow\" type=\"allow\">reason &lt;&lt;b&gt;.json&gt; &amp; &quot;q&quot;</failure>"), "{x}");
        assert!(x.contains("<skipped message=\"no expectation\"/>"), "{x}");
        assert_eq!(xml_escape("a\u{1}b"), "a\u{fffd}b");
    }

    #[test]
    fn json_report_has_a_version_and_every_case() {
        let r = vec![judged("b.json", "allow", Some("deny"), Some(false))];
        let v: Value = serde_json::from_str(&render_json(&r)).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["failed"], 1);
        assert_eq!(v["cases"][0]["failure"], "expected deny, got allow");
        assert_eq!(v["counts"]["allow"], 1);
    }

    #[test]
    fn diff_lists_only_changed_decisions() {
        let a = vec![
            judged("a", "deny", None, None),
            judged("b", "allow", None, None),
        ];
        let b = vec![
            judged("a", "deny", None, None),
            judged("b", "ask", None, None),
        ];
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (
                d[0].origin.as_str(),
                d[0].before.as_str(),
                d[0].after.as_str()
            ),
            ("b", "allow", "ask")
        );
        let text = render_diff(&d, 2, Format::Human, false, "new.toml");
        assert!(
            text.contains("1 of 2 events change decision with new.toml"),
            "{text}"
        );
    }

    #[test]
    fn scratch_is_outside_tmp_and_removed_on_drop() {
        let s = Scratch::new().unwrap();
        let root = s.root.clone();
        assert!(s.places.home.is_dir() && s.places.project.is_dir());
        assert!(!root.starts_with("/tmp"), "{}", root.display());
        drop(s);
        assert!(!root.exists());
    }
}
