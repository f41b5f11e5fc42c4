//! The audit trail: one JSON line per event, appended with a single `write` on a file opened
//! with `O_APPEND`, so parallel agents' hook processes can share one log without interleaving
//! inside a line. Every string goes through the redactor first.
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// One audit record.
pub struct Record<'a> {
    pub event: &'a str,
    pub session_id: Option<&'a str>,
    pub agent_id: Option<&'a str>,
    pub agent_type: Option<&'a str>,
    pub profiles: &'a [String],
    pub tool: Option<&'a str>,
    /// "allow", "ask", "deny", "none" (no decision) or "redact"/"block" for other events.
    pub decision: &'a str,
    pub rule: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub cwd: Option<&'a str>,
    /// A short, redacted summary of the input (the command, the path, the URL).
    pub subject: Option<String>,
    /// The client's id for the tool call, to match the PreToolUse and PostToolUse lines.
    pub tool_use_id: Option<&'a str>,
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

impl Record<'_> {
    pub fn to_json(&self) -> Value {
        let r = |s: Option<&str>| s.map(|v| crate::redact::text(v).into_owned());
        json!({
            "ts": timestamp(SystemTime::now()),
            "event": self.event,
            "session_id": self.session_id,
            "agent_id": self.agent_id,
            "agent_type": self.agent_type,
            "profile": self.profiles.join(","),
            "tool": self.tool,
            "decision": self.decision,
            "rule": self.rule,
            "reason": r(self.reason),
            "cwd": self.cwd,
            "subject": r(self.subject.as_deref()),
            "tool_use_id": self.tool_use_id,
            "pid": std::process::id(),
        })
    }
}

/// Append one record. Failing to log never turns a deny into an allow; the caller reports the
/// error on stderr.
pub fn append(path: &Path, record: &Record<'_>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(&record.to_json()).map_err(std::io::Error::other)?;
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
            reason: Some("r"),
            cwd: Some("/p"),
            subject: Some("/p/x".into()),
            tool_use_id: Some("toolu_1"),
        };
        append(&path, &rec).unwrap();
        append(&path, &rec).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["decision"], "deny");
        assert_eq!(lines[0]["rule"], "credential-stores");
    }
}
