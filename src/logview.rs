//! `blastwall log`: read, filter and pretty-print the audit log (see [`crate::audit`] for the
//! schema), follow it as it grows, and summarise what each agent of a session did.
//!
//! What belongs here: parsing audit lines, the filters, the renderings. Where the log is comes
//! from the policy (`settings.audit_log`); the command line lives in `run.rs`.
use std::collections::BTreeMap;
use std::io::{BufRead, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

/// What to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub session: Option<String>,
    pub agent: Option<String>,
    pub decision: Option<String>,
    pub rule: Option<String>,
    /// Keep records at or after this RFC 3339 timestamp (compared as text: same format).
    pub since: Option<String>,
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The agent a record belongs to: its `agent_id` (a subagent), else `main`.
pub fn agent_of(v: &Value) -> String {
    match field(v, "agent_id") {
        "" => "main".to_string(),
        id => {
            let ty = field(v, "agent_type");
            if ty.is_empty() {
                id.to_string()
            } else {
                format!("{id} ({ty})")
            }
        }
    }
}

impl Filter {
    pub fn keeps(&self, v: &Value) -> bool {
        let prefix =
            |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| got.starts_with(w));
        prefix(&self.session, field(v, "session_id"))
            && self.agent.as_deref().is_none_or(|w| {
                let a = field(v, "agent_id");
                a.starts_with(w) || field(v, "agent_type") == w || (w == "main" && a.is_empty())
            })
            && self
                .decision
                .as_deref()
                .is_none_or(|w| field(v, "decision") == w)
            && self.rule.as_deref().is_none_or(|w| field(v, "rule") == w)
            && self.since.as_deref().is_none_or(|w| field(v, "ts") >= w)
    }
}

/// `--since`: an RFC 3339 time (a prefix such as `2026-12-03` or `2026-12-03T08:00` works),
/// or an age such as `30s`, `10m`, `2h`, `1d`.
pub fn parse_since(text: &str, now: SystemTime) -> Result<String, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    if let (Ok(n), Some(secs)) = (
        num.parse::<u64>(),
        match unit {
            "s" => Some(1),
            "m" => Some(60),
            "h" => Some(3600),
            "d" => Some(86_400),
            _ => None,
        },
    ) {
        let then = now
            .checked_sub(Duration::from_secs(n.saturating_mul(secs)))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        return Ok(crate::audit::timestamp(then));
    }
    let b = t.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if t.len() >= 10 && (0..4).all(digit) && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
        return Ok(t.to_string());
    }
    Err(format!(
        "--since {text}: give a time (2026-12-03T08:00) or an age (30s, 10m, 2h, 1d)"
    ))
}

/// One record as one or two lines of text.
pub fn render(v: &Value) -> String {
    let ts = field(v, "ts");
    let short_ts = ts.get(..19).unwrap_or(ts).replace('T', " ");
    let tool = match field(v, "tool") {
        "" => field(v, "event"),
        t => t,
    };
    let mut line = format!(
        "{short_ts}  {:<5} {:<12} {:<16} {}",
        field(v, "decision"),
        tool,
        agent_of(v),
        field(v, "subject")
    );
    if !field(v, "rule").is_empty() {
        line.push_str(&format!("  [{}]", field(v, "rule")));
    }
    line.push('\n');
    let reason = field(v, "reason");
    if !reason.is_empty() && !matches!(field(v, "decision"), "allow" | "pass") {
        line.push_str(&format!("    {reason}\n"));
    }
    line
}

/// Counts of decisions per session and agent, in first-seen order of sessions.
#[derive(Debug, Default)]
pub struct Summary {
    per_agent: BTreeMap<(String, String), BTreeMap<String, usize>>,
    first_seen: BTreeMap<(String, String), String>,
}

impl Summary {
    pub fn add(&mut self, v: &Value) {
        let key = (field(v, "session_id").to_string(), agent_of(v));
        *self
            .per_agent
            .entry(key.clone())
            .or_default()
            .entry(field(v, "decision").to_string())
            .or_default() += 1;
        self.first_seen
            .entry(key)
            .or_insert_with(|| field(v, "ts").to_string());
    }

    pub fn render(&self) -> String {
        if self.per_agent.is_empty() {
            return "no audit records match\n".to_string();
        }
        let mut out = String::from("per agent (session / agent: decisions):\n");
        let mut rows: Vec<_> = self.per_agent.iter().collect();
        rows.sort_by_key(|(k, _)| self.first_seen.get(*k).cloned().unwrap_or_default());
        for ((session, agent), counts) in rows {
            let total: usize = counts.values().sum();
            let list: Vec<String> = counts.iter().map(|(d, n)| format!("{n} {d}")).collect();
            let session = session.get(..8).unwrap_or(session);
            out.push_str(&format!(
                "  {session:<8} {agent:<24} {total:>5} events: {}\n",
                list.join(", ")
            ));
        }
        out
    }
}

/// The log and its rotated generations, oldest first (`audit.jsonl.3`, `.2`, `.1`, the log).
pub fn generations(path: &Path, all: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if all {
        for n in (1..=crate::audit::KEEP_ROTATED).rev() {
            let p = crate::audit::rotated(path, n);
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out.push(path.to_path_buf());
    out
}

/// Parse one audit line; a line that is not a JSON object is skipped (reported by the caller).
pub fn parse_line(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(Value::is_object)
}

/// Follow `path`: print matching records as they are appended, from the current end,
/// reopening after a rotation. Runs until the process is stopped.
pub fn follow(path: &Path, filter: &Filter, emit: &dyn Fn(&Value)) -> std::io::Result<()> {
    let mut pos = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut pending = String::new();
    loop {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if len < pos {
            // Rotated (or truncated): start over at the new file's beginning.
            pos = 0;
            pending.clear();
        }
        if len > pos {
            let mut f = std::fs::File::open(path)?;
            f.seek(std::io::SeekFrom::Start(pos))?;
            let mut reader = std::io::BufReader::new(f);
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader.read_line(&mut line)?;
                if n == 0 {
                    break;
                }
                pos += n as u64;
                if !line.ends_with('\n') {
                    // A line still being written: keep it for the next round.
                    pending.push_str(&line);
                    continue;
                }
                let whole = std::mem::take(&mut pending) + line.as_str();
                if let Some(v) = parse_line(whole.trim_end()) {
                    if filter.keeps(&v) {
                        emit(&v);
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(
        ts: &str,
        session: &str,
        agent: Option<&str>,
        decision: &str,
        rule: Option<&str>,
    ) -> Value {
        json!({"v": 1, "ts": ts, "event": "PreToolUse", "session_id": session, "agent_id": agent,
               "agent_type": agent.map(|_| "Explore"), "tool": "Read", "decision": decision,
               "rule": rule, "reason": "why", "subject": "/p/x"})
    }

    #[test]
    fn filters_combine() {
        let a = rec(
            "2026-12-03T08:00:00.000Z",
            "s1",
            None,
            "deny",
            Some("credential-stores"),
        );
        let b = rec("2026-12-03T09:00:00.000Z", "s2", Some("ag1"), "pass", None);
        let f = |filter: Filter| [&a, &b].iter().filter(|v| filter.keeps(v)).count();
        assert_eq!(f(Filter::default()), 2);
        assert_eq!(
            f(Filter {
                session: Some("s1".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                agent: Some("main".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                agent: Some("Explore".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                decision: Some("deny".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                rule: Some("credential-stores".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                since: Some("2026-12-03T08:30".into()),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            f(Filter {
                decision: Some("deny".into()),
                session: Some("s2".into()),
                ..Filter::default()
            }),
            0
        );
    }

    #[test]
    fn since_takes_times_and_ages() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 * 2);
        assert_eq!(parse_since("1d", now).unwrap(), "1970-01-02T00:00:00.000Z");
        assert_eq!(parse_since("90m", now).unwrap(), "1970-01-02T22:30:00.000Z");
        assert_eq!(parse_since("2026-12-03", now).unwrap(), "2026-12-03");
        assert!(parse_since("yesterday", now).is_err());
        assert!(parse_since("10x", now).is_err());
    }

    #[test]
    fn summary_counts_per_session_and_agent() {
        let mut s = Summary::default();
        s.add(&rec(
            "2026-12-03T08:00:00.000Z",
            "session-1",
            None,
            "deny",
            None,
        ));
        s.add(&rec(
            "2026-12-03T08:00:01.000Z",
            "session-1",
            None,
            "pass",
            None,
        ));
        s.add(&rec(
            "2026-12-03T08:00:02.000Z",
            "session-1",
            Some("ag1"),
            "ask",
            None,
        ));
        let text = s.render();
        assert!(text.contains("session- main"), "{text}");
        assert!(text.contains("2 events: 1 deny, 1 pass"), "{text}");
        assert!(text.contains("ag1 (Explore)"), "{text}");
    }

    #[test]
    fn render_shows_reason_for_objections_only() {
        let d = render(&rec(
            "2026-12-03T08:00:00.000Z",
            "s",
            None,
            "deny",
            Some("r"),
        ));
        assert!(d.starts_with("2026-12-03 08:00:00  deny  Read"), "{d}");
        assert!(d.contains("[r]") && d.contains("\n    why\n"), "{d}");
        let a = render(&rec("2026-12-03T08:00:00.000Z", "s", None, "allow", None));
        assert_eq!(a.lines().count(), 1, "{a}");
    }
}
