//! `blastwall install`: register the hook in a Claude Code settings file the way the README
//! describes — exec form, absolute path, a timeout, `onFailure: "block"` — for PreToolUse,
//! PostToolUse, PostToolUseFailure and UserPromptSubmit.
//!
//! Other settings and other hooks in the file are kept; an earlier blastwall registration is
//! replaced, so running it twice changes nothing. A file that is not valid JSON is left alone.
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use thiserror::Error;

/// Seconds Claude Code waits for the hook. The binary's own deadline (3 s) is well inside it,
/// so a slow judgement becomes blastwall's deny, not the client's fail-open timeout.
pub const TIMEOUT_SECS: u64 = 10;

/// The events blastwall is registered for, and whether they take a tool matcher.
pub const EVENTS: &[(&str, bool)] = &[
    ("PreToolUse", true),
    ("PostToolUse", true),
    ("PostToolUseFailure", true),
    ("UserPromptSubmit", false),
];

#[derive(Debug, Error)]
pub enum InstallError {
    #[error("{0}: not valid JSON ({1}); fix or move it, then run install again")]
    BadJson(PathBuf, String),
    #[error("{0}: {1}")]
    Io(PathBuf, String),
    #[error("{0}: the settings (and their `hooks` and each event's list) must be JSON objects and arrays as Claude Code writes them; fix the file, then run install again")]
    BadShape(PathBuf),
}

/// The handler entry for one event.
pub fn handler(exe: &Path, policy: Option<&Path>) -> Value {
    let mut args = vec![Value::from("hook")];
    if let Some(p) = policy {
        args.push("--policy".into());
        args.push(p.to_string_lossy().into_owned().into());
    }
    json!({ "type": "command", "command": exe.to_string_lossy(), "args": args, "timeout": TIMEOUT_SECS, "onFailure": "block" })
}

fn is_ours(h: &Value) -> bool {
    let cmd = h.get("command").and_then(Value::as_str).unwrap_or("");
    let first_arg = h
        .get("args")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str);
    Path::new(cmd.split_whitespace().next().unwrap_or(""))
        .file_name()
        .is_some_and(|n| n == "blastwall")
        && (first_arg == Some("hook") || cmd.split_whitespace().nth(1) == Some("hook"))
}

/// The settings with blastwall registered (pure: for tests and `--dry-run`).
pub fn register(
    mut settings: Value,
    exe: &Path,
    policy: Option<&Path>,
    file: &Path,
) -> Result<Value, InstallError> {
    if settings.is_null() {
        settings = json!({});
    }
    if !settings.is_object() {
        return Err(InstallError::BadShape(file.to_path_buf()));
    }
    let root = settings
        .as_object_mut()
        .ok_or_else(|| InstallError::BadShape(file.to_path_buf()))?;
    let hooks = root.entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks
        .as_object_mut()
        .ok_or_else(|| InstallError::BadShape(file.to_path_buf()))?;
    for (event, matcher) in EVENTS {
        let groups = hooks.entry(event.to_string()).or_insert_with(|| json!([]));
        if !groups.is_array() {
            return Err(InstallError::BadShape(file.to_path_buf()));
        }
        if let Some(list) = groups.as_array_mut() {
            // Drop earlier blastwall handlers, and groups left empty by that.
            for g in list.iter_mut() {
                if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                    hs.retain(|h| !is_ours(h));
                }
            }
            list.retain(|g| {
                g.get("hooks")
                    .and_then(Value::as_array)
                    .is_none_or(|hs| !hs.is_empty())
            });
            let mut group = Map::new();
            if *matcher {
                group.insert("matcher".into(), "*".into());
            }
            group.insert("hooks".into(), json!([handler(exe, policy)]));
            list.push(Value::Object(group));
        }
    }
    Ok(settings)
}

/// Read, register, and write back atomically (temp file + rename).
pub fn install(
    file: &Path,
    exe: &Path,
    policy: Option<&Path>,
    dry_run: bool,
) -> Result<Value, InstallError> {
    let io = |e: std::io::Error| InstallError::Io(file.to_path_buf(), e.to_string());
    let current = match std::fs::read_to_string(file) {
        Ok(text) if text.trim().is_empty() => json!({}),
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| InstallError::BadJson(file.to_path_buf(), e.to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => return Err(io(e)),
    };
    let updated = register(current, exe, policy, file)?;
    if !dry_run {
        // Dotfile managers link settings.json from a repository: write the link's target, so
        // the link stays a link.
        let file = &std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let io = |e: std::io::Error| InstallError::Io(file.to_path_buf(), e.to_string());
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mode = std::fs::metadata(file).ok().map(|m| m.permissions());
        let tmp = file.with_extension("json.blastwall-tmp");
        let mut text = serde_json::to_string_pretty(&updated)
            .map_err(|e| InstallError::Io(file.to_path_buf(), e.to_string()))?;
        text.push('\n');
        std::fs::write(&tmp, text).map_err(io)?;
        // Keep the file's mode (a 0600 settings file stays private).
        if let Some(mode) = mode {
            std::fs::set_permissions(&tmp, mode).map_err(io)?;
        }
        std::fs::rename(&tmp, file).map_err(io)?;
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_every_event_with_on_failure_block() {
        let s = register(
            json!({}),
            Path::new("/usr/local/bin/blastwall"),
            None,
            Path::new("s.json"),
        )
        .unwrap();
        for (event, matcher) in EVENTS {
            let g = &s["hooks"][event][0];
            assert_eq!(g.get("matcher").is_some(), *matcher, "{event}");
            let h = &g["hooks"][0];
            assert_eq!(h["command"], "/usr/local/bin/blastwall");
            assert_eq!(h["args"], json!(["hook"]));
            assert_eq!(h["onFailure"], "block");
            assert_eq!(h["timeout"], TIMEOUT_SECS);
        }
    }

    #[test]
    fn keeps_other_settings_and_hooks_and_is_idempotent() {
        let before = json!({
            "permissions": {"allow": ["Bash(ls)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "other-guard"}]}]}
        });
        let once = register(
            before,
            Path::new("/bin/blastwall"),
            Some(Path::new("/etc/p.toml")),
            Path::new("s.json"),
        )
        .unwrap();
        let twice = register(
            once.clone(),
            Path::new("/bin/blastwall"),
            Some(Path::new("/etc/p.toml")),
            Path::new("s.json"),
        )
        .unwrap();
        assert_eq!(once, twice);
        assert_eq!(once["permissions"]["allow"][0], "Bash(ls)");
        let pre = once["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "other-guard");
        assert_eq!(
            pre[1]["hooks"][0]["args"],
            json!(["hook", "--policy", "/etc/p.toml"])
        );
    }

    #[test]
    fn refuses_to_overwrite_invalid_json() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("settings.json");
        std::fs::write(&f, "{ nope").unwrap();
        assert!(matches!(
            install(&f, Path::new("/bin/blastwall"), None, false),
            Err(InstallError::BadJson(..))
        ));
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{ nope");
        let g = dir.path().join(".claude/settings.json");
        install(&g, Path::new("/bin/blastwall"), None, false).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&g).unwrap()).unwrap();
        assert_eq!(
            v["hooks"]["UserPromptSubmit"][0]["hooks"][0]["onFailure"],
            "block"
        );
    }
}
