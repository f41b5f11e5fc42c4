//! The audit trail: one JSON line per event, appended with a single `write` on a file opened
//! with `O_APPEND`, so parallel agents' hook processes can share one log without interleaving
//! inside a line. Every string goes through the redactor first.
//!
//! What belongs here: the record, built from the event and its [`Outcome`] in one place
//! ([`Record::of`]), and appending it. What does not: where the log lives (the policy's
//! `audit_log`).
//!
//! # Schema (version 1)
//!
//! Each line is one JSON object: `v` (the schema version, 1), `ts` (RFC 3339 UTC with
//! milliseconds), `event` (the hook event name), `session_id`, `agent_id` and `agent_type`
//! (null on the main thread), `profile` (the profiles that judged it, comma-separated), `tool`,
//! `decision` (the answer: see [`Record::decision`]), `rule` (the deciding rule's id, if any),
//! `reason`, `cwd`, `subject` (a redacted summary of the input: the command, path or URL),
//! `tool_use_id`, `pid`. Fields may be added in a later version without changing `v`; a field's
//! meaning changes only with a new `v`. `blastwall log` reads it.
//!
//! # Rotation
//!
//! When the log has grown past [`MAX_BYTES`], the process about to append moves it aside
//! (`audit.jsonl` → `audit.jsonl.1` → … → `audit.jsonl.N`, [`KEEP_ROTATED`] kept, the oldest
//! dropped). The move is claimed by one atomic rename, so two hook processes rotating at the same
//! moment rotate once; a line is never split across files.
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine::truncate;
use crate::input::HookEvent;
use crate::outcome::Outcome;

/// One audit record.
pub struct Record<'a> {
    pub event: &'a str,
    pub session_id: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub agent_type: Option<&'a str>,
    pub profiles: &'a [String],
    pub tool: Option<&'a str>,
    /// The outcome's label: "pass", "allow", "ask", "deny", or after a tool ran "redact" /
    /// "exposed" ([`Outcome::label`]).
    pub decision: &'a str,
    pub rule: Option<&'a str>,
    pub reason: Option<Cow<'a, str>>,
    pub cwd: Option<&'a str>,
    /// A short, redacted summary of the input (the command, the path, the URL).
    pub subject: Option<String>,
    /// The client's id for the tool call, to match the PreToolUse and PostToolUse lines.
    pub tool_use_id: Option<&'a str>,
    /// Which OS sandbox a Bash call runs in ("bwrap, network none", "landlock (degraded),
    /// network host", "none", "off"); absent for calls the sandbox does not concern and for
    /// denied ones (they run nowhere).
    pub sandbox: Option<&'a str>,
}

/// RFC 3339 UTC timestamp with milliseconds, without a date crate.
pub fn timestamp(now: SystemTime) -> String {
    let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the Unix era.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The audit line schema version (the `v` field).
pub const SCHEMA_VERSION: u32 = 1;

/// Rotate the log once it is larger than this.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// How many rotated generations are kept (`audit.jsonl.1` … `.N`).
pub const KEEP_ROTATED: u32 = 5;

/// The path of rotated generation `n` (1 = the newest).
pub fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Move the log aside if it is over `max` bytes. Only the process whose rename of the live
/// log succeeds shifts the generations; the others find a new, small log and do nothing.
pub fn rotate_if_needed(path: &Path, max: u64, keep: u32) -> std::io::Result<bool> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > max => {}
        _ => return Ok(false),
    }
    let mut claim = path.as_os_str().to_owned();
    claim.push(format!(".rotating-{}", std::process::id()));
    let claim = PathBuf::from(claim);
    if std::fs::rename(path, &claim).is_err() {
        // Someone else rotated it first.
        return Ok(false);
    }
    if keep == 0 {
        std::fs::remove_file(&claim)?;
        return Ok(true);
    }
    for n in (1..keep).rev() {
        let from = rotated(path, n);
        if from.exists() {
            std::fs::rename(&from, rotated(path, n + 1))?;
        }
    }
    std::fs::rename(&claim, rotated(path, 1))?;
    Ok(true)
}

impl<'a> Record<'a> {
    /// The record of one event and what blastwall concluded (`None`: the event could not be
    /// read).
    pub fn of(ev: Option<&'a HookEvent>, outcome: &'a Outcome) -> Record<'a> {
        let (profiles, subject, reason): (&[String], _, _) = match outcome {
            Outcome::Pre(p) => (
                &p.profiles,
                ev.and_then(HookEvent::tool_use)
                    .and_then(|call| call.subject())
                    .map(|s| truncate(s, 2000)),
                p.reason.as_deref().map(Cow::Borrowed),
            ),
            Outcome::Failure { what, .. } => (&[], None, Some(Cow::Borrowed(what.as_str()))),
            Outcome::Nothing => (&[], None, None),
            Outcome::Post(_) | Outcome::PromptBlocked { .. } => {
                let reason = crate::output::reason(outcome);
                let reason = if reason.is_empty() {
                    crate::output::context(outcome).unwrap_or_default()
                } else {
                    reason
                };
                (&[], None, Some(Cow::Owned(reason)))
            }
        };
        Record {
            event: ev.map_or("unknown", |e| e.hook_event_name.as_str()),
            session_id: ev.and_then(|e| e.session_id.as_deref()),
            agent_id: ev.and_then(|e| e.agent_id.as_deref()),
            agent_type: ev.and_then(|e| e.agent_type.as_deref()),
            profiles,
            tool: ev.and_then(|e| e.tool_name.as_deref()),
            decision: outcome.label(),
            rule: outcome.rule(),
            reason,
            cwd: ev.and_then(|e| e.cwd.as_deref()),
            subject,
            tool_use_id: ev.and_then(|e| e.tool_use_id.as_deref()),
            sandbox: match outcome {
                Outcome::Pre(p) => p.sandbox.as_deref(),
                _ => None,
            },
        }
    }

    /// The record as the log writes it (secrets redacted from the free texts).
    fn line(&self) -> Line<'_> {
        let r = |s: Option<&str>| s.map(|v| crate::redact::text(v).into_owned());
        Line {
            agent_id: self.agent_id,
            agent_type: self.agent_type,
            cwd: self.cwd,
            decision: self.decision,
            event: self.event,
            pid: std::process::id(),
            profile: self.profiles.join(","),
            reason: r(self.reason.as_deref()),
            rule: self.rule,
            sandbox: self.sandbox,
            session_id: self.session_id,
            subject: r(self.subject.as_deref()),
            tool: self.tool,
            tool_use_id: self.tool_use_id,
            ts: timestamp(SystemTime::now()),
            v: SCHEMA_VERSION,
        }
    }
}

/// One line of the log. The fields are in alphabetical order, the order the log has always
/// had (it was written from a JSON object, whose keys serde_json keeps sorted); absent values
/// are `null`.
#[derive(serde::Serialize)]
struct Line<'a> {
    agent_id: Option<&'a str>,
    agent_type: Option<&'a str>,
    cwd: Option<&'a str>,
    decision: &'a str,
    event: &'a str,
    pid: u32,
    profile: String,
    reason: Option<String>,
    rule: Option<&'a str>,
    sandbox: Option<&'a str>,
    session_id: Option<&'a str>,
    subject: Option<String>,
    tool: Option<&'a str>,
    tool_use_id: Option<&'a str>,
    ts: String,
    v: u32,
}

/// Append one record. Failing to log never turns a deny into an allow; the caller reports the
/// error on stderr.
pub fn append(path: &Path, record: &Record<'_>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A failed rotation must not lose the record: append to the log as it is.
    let _ = rotate_if_needed(path, MAX_BYTES, KEEP_ROTATED);
    let mut line = serde_json::to_string(&record.line()).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_millis(1_795_780_800_123)),
            "2026-11-27T12:00:00.123Z"
        );
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn append_writes_one_json_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/audit.jsonl");
        let rec = Record {
            event: "PreToolUse",
            session_id: Some("s"),
            agent_id: None,
            agent_type: None,
            profiles: &["main".to_string()],
            tool: Some("Read"),
            decision: "deny",
            rule: Some("credential-stores"),
            reason: Some("r".into()),
            sandbox: None,
            cwd: Some("/p"),
            subject: Some("/p/x".into()),
            tool_use_id: Some("toolu_1"),
        };
        append(&path, &rec).unwrap();
        append(&path, &rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["v"], SCHEMA_VERSION);
        assert_eq!(lines[0]["decision"], "deny");
        assert_eq!(lines[0]["rule"], "credential-stores");
        // The keys in the order the log has always had them (sorted), absent values null.
        let first = text.lines().next().unwrap();
        let keys: Vec<&str> = regex::Regex::new(r#""(\w+)":"#)
            .unwrap()
            .captures_iter(first)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "{first}");
        assert_eq!(keys.len(), 16, "{first}");
        assert!(first.contains("\"agent_id\":null,"), "{first}");
    }

    #[test]
    fn rotation_keeps_n_generations_and_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("audit.jsonl");
        for gen in 0..5 {
            std::fs::write(&log, format!("gen{gen}-{}\n", "x".repeat(20))).unwrap();
            assert!(rotate_if_needed(&log, 10, 3).unwrap());
            assert!(!log.exists());
        }
        let read = |n| std::fs::read_to_string(rotated(&log, n)).unwrap();
        assert!(read(1).starts_with("gen4"));
        assert!(read(2).starts_with("gen3"));
        assert!(read(3).starts_with("gen2"));
        assert!(!rotated(&log, 4).exists());
        // Small enough: left alone.
        std::fs::write(&log, "small\n").unwrap();
        assert!(!rotate_if_needed(&log, 10, 3).unwrap());
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "small\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 4, "no claim file left: {names:?}");
    }
}
