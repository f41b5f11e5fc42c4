//! `blastwall install` and `blastwall uninstall`: register the hook in a Claude Code settings
//! file the way the README describes — exec form, absolute path, a timeout,
//! `onFailure: "block"` — for PreToolUse, PostToolUse, PostToolUseFailure and UserPromptSubmit.
//!
//! Where: the registration names this machine's absolute path to the binary, so it goes only
//! into files that are not shared: `~/.claude/settings.json` (`--user`) or the project's
//! `.claude/settings.local.json` (project scope), never the committed `.claude/settings.json`.
//!
//! How: other settings and other hooks are kept, in their order ([`Doc`] is an
//! order-preserving JSON tree used only here, so the crate-wide `serde_json::Map` and with it
//! the hook's own parsing are unchanged) and with the file's indentation; an earlier blastwall
//! registration is replaced, so running it twice changes nothing. The file is written
//! atomically (temp file + rename, mode kept, a symlink's target written) after a copy of the
//! old one is saved as `FILE.blastwall.bak`. A file that is not valid JSON, is read-only, or
//! whose shape is not what Claude Code writes is left alone with an error saying what to fix.
//! `uninstall` removes only the handlers whose command is a `blastwall` binary run as `hook`.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use thiserror::Error;

/// Seconds Claude Code waits for the hook. The binary's own deadline (5 s) is well inside it,
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
    #[error(
        "{0}: the file is read-only; make it writable (chmod u+w) if blastwall should change it"
    )]
    ReadOnly(PathBuf),
}

/// A JSON value that keeps object keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Doc>),
    Object(Vec<(String, Doc)>),
}

impl Doc {
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Doc> {
        match self {
            Doc::Object(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at `key`, inserted at the end when missing. `None` if self is no object.
    fn entry(&mut self, key: &str, default: Doc) -> Option<&mut Doc> {
        let Doc::Object(m) = self else { return None };
        let i = match m.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                m.push((key.to_string(), default));
                m.len() - 1
            }
        };
        m.get_mut(i).map(|(_, v)| v)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Doc>> {
        match self {
            Doc::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Parse JSON text.
    pub fn parse(text: &str) -> Result<Doc, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Pretty-print with `indent` per level (Claude Code writes two spaces).
    pub fn pretty(&self, indent: &str) -> String {
        let mut out = String::new();
        self.write(&mut out, indent, 0);
        out
    }

    fn write(&self, out: &mut String, indent: &str, level: usize) {
        let pad = |out: &mut String, n: usize| {
            for _ in 0..n {
                out.push_str(indent);
            }
        };
        match self {
            Doc::Null => out.push_str("null"),
            Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Doc::Number(n) => {
                let _ = write!(out, "{n}");
            }
            Doc::String(s) => out.push_str(&serde_json::Value::from(s.as_str()).to_string()),
            Doc::Array(a) if a.is_empty() => out.push_str("[]"),
            Doc::Object(m) if m.is_empty() => out.push_str("{}"),
            Doc::Array(a) => {
                out.push_str("[\n");
                for (i, v) in a.iter().enumerate() {
                    pad(out, level + 1);
                    v.write(out, indent, level + 1);
                    out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
                }
                pad(out, level);
                out.push(']');
            }
            Doc::Object(m) => {
                out.push_str("{\n");
                for (i, (k, v)) in m.iter().enumerate() {
                    pad(out, level + 1);
                    out.push_str(&serde_json::Value::from(k.as_str()).to_string());
                    out.push_str(": ");
                    v.write(out, indent, level + 1);
                    out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
                }
                pad(out, level);
                out.push('}');
            }
        }
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Doc;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Doc, E> {
                Ok(Doc::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Doc, E> {
                Ok(Doc::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Doc, E> {
                Ok(Doc::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Doc, E> {
                Ok(Doc::Number(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Doc, E> {
                serde_json::Number::from_f64(n)
                    .map(Doc::Number)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Doc, E> {
                Ok(Doc::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Doc, E> {
                Ok(Doc::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(Doc::Array(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
                let mut v: Vec<(String, Doc)> = Vec::new();
                while let Some((k, x)) = map.next_entry::<String, Doc>()? {
                    // A repeated key: the last one wins, as in serde_json, in the first's place.
                    match v.iter_mut().find(|(key, _)| *key == k) {
                        Some(slot) => slot.1 = x,
                        None => v.push((k, x)),
                    }
                }
                Ok(Doc::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn s(text: &str) -> Doc {
    Doc::String(text.to_string())
}

/// The handler entry for one event.
pub fn handler(exe: &Path, policy: Option<&Path>) -> Doc {
    let mut args = vec![s("hook")];
    if let Some(p) = policy {
        args.push(s("--policy"));
        args.push(s(&p.to_string_lossy()));
    }
    Doc::Object(vec![
        ("type".into(), s("command")),
        ("command".into(), s(&exe.to_string_lossy())),
        ("args".into(), Doc::Array(args)),
        ("timeout".into(), Doc::Number(TIMEOUT_SECS.into())),
        ("onFailure".into(), s("block")),
    ])
}

/// Whether a handler is blastwall's: a command named `blastwall` run as `hook` (exec form or
/// one shell string).
pub fn is_ours(h: &Doc) -> bool {
    let cmd = h.get("command").and_then(Doc::as_str).unwrap_or("");
    let first_arg = h
        .get("args")
        .and_then(Doc::as_array)
        .and_then(|a| a.first());
    let named_blastwall = |p: &str| Path::new(p).file_name().is_some_and(|n| n == "blastwall");
    match first_arg {
        // Exec form: `command` is the program's path, spaces and all (`install` writes this).
        // An empty `args` is the shell form, as `doctor` reads it (`program_of`).
        Some(arg) => named_blastwall(cmd) && arg.as_str() == Some("hook"),
        // One shell string: `/path/to/blastwall hook`.
        None => {
            named_blastwall(program_of(cmd, false)) && cmd.split_whitespace().nth(1) == Some("hook")
        }
    }
}

/// The program a hook handler runs: in exec form (with `args`) the whole `command`, which may
/// hold spaces (`/tmp/my projects/blastwall`); as one shell string, its first word.
pub fn program_of(command: &str, exec_form: bool) -> &str {
    if exec_form {
        command
    } else {
        command.split_whitespace().next().unwrap_or("")
    }
}

/// Remove blastwall's handlers from `settings`, dropping groups and event lists left empty by
/// that (and `hooks` itself when nothing is left). Returns how many handlers were removed.
pub fn unregister(settings: &mut Doc, file: &Path) -> Result<usize, InstallError> {
    let bad = || InstallError::BadShape(file.to_path_buf());
    if !matches!(settings, Doc::Object(_) | Doc::Null) {
        return Err(bad());
    }
    let Some(hooks) = settings.get_mut("hooks") else {
        return Ok(0);
    };
    let Doc::Object(events) = hooks else {
        return Err(bad());
    };
    let mut removed = 0;
    // Only what this removal empties is pruned: a user's own empty list stays.
    let mut emptied_events = Vec::new();
    for (event, groups) in events.iter_mut() {
        let Doc::Array(list) = groups else {
            return Err(bad());
        };
        let had = list.len();
        let mut emptied = Vec::new();
        for (i, g) in list.iter_mut().enumerate() {
            if let Some(Doc::Array(hs)) = g.get_mut("hooks") {
                let before = hs.len();
                hs.retain(|h| !is_ours(h));
                removed += before - hs.len();
                if hs.is_empty() && before > 0 {
                    emptied.push(i);
                }
            }
        }
        for i in emptied.into_iter().rev() {
            list.remove(i);
        }
        if had > 0 && list.is_empty() {
            emptied_events.push(event.clone());
        }
    }
    if removed > 0 && !emptied_events.is_empty() {
        events.retain(|(k, _)| !emptied_events.contains(k));
        if events.is_empty() {
            if let Doc::Object(m) = settings {
                m.retain(|(k, _)| k != "hooks");
            }
        }
    }
    Ok(removed)
}

/// The settings with blastwall registered (pure: for tests and `--dry-run`). Returns the
/// settings and how many earlier blastwall handlers were replaced.
pub fn register(
    mut settings: Doc,
    exe: &Path,
    policy: Option<&Path>,
    file: &Path,
) -> Result<(Doc, usize), InstallError> {
    let bad = || InstallError::BadShape(file.to_path_buf());
    if settings == Doc::Null {
        settings = Doc::Object(Vec::new());
    }
    let replaced = unregister(&mut settings, file)?;
    let hooks = settings
        .entry("hooks", Doc::Object(Vec::new()))
        .ok_or_else(bad)?;
    for (event, matcher) in EVENTS {
        let Some(Doc::Array(list)) = hooks.entry(event, Doc::Array(Vec::new())) else {
            return Err(bad());
        };
        let mut group = Vec::new();
        if *matcher {
            group.push(("matcher".to_string(), s("*")));
        }
        group.push(("hooks".to_string(), Doc::Array(vec![handler(exe, policy)])));
        list.push(Doc::Object(group));
    }
    Ok((settings, replaced))
}

/// The indentation a JSON file uses (its first indented line), two spaces when none.
pub fn detect_indent(text: &str) -> String {
    text.lines()
        .skip(1)
        .find_map(|l| {
            let ws: String = l.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            (!ws.is_empty() && !l.trim().is_empty()).then_some(ws)
        })
        .unwrap_or_else(|| "  ".to_string())
}

/// A settings file as read: its text ("" when missing) and the parsed tree.
pub struct Settings {
    pub file: PathBuf,
    pub exists: bool,
    pub text: String,
    pub doc: Doc,
}

/// Read a settings file; a missing or empty one is `{}`.
pub fn read(file: &Path) -> Result<Settings, InstallError> {
    let (exists, text) = match std::fs::read_to_string(file) {
        Ok(t) => (true, t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (false, String::new()),
        Err(e) => return Err(InstallError::Io(file.to_path_buf(), e.to_string())),
    };
    let doc = if text.trim().is_empty() {
        Doc::Object(Vec::new())
    } else {
        Doc::parse(&text).map_err(|e| InstallError::BadJson(file.to_path_buf(), e.to_string()))?
    };
    if !matches!(doc, Doc::Object(_)) {
        return Err(InstallError::BadShape(file.to_path_buf()));
    }
    Ok(Settings {
        file: file.to_path_buf(),
        exists,
        text,
        doc,
    })
}

/// The new text for `doc`, in the indentation of the file it came from.
pub fn render(old_text: &str, doc: &Doc) -> String {
    // Nothing to change: the file stays as it is, byte for byte.
    if Doc::parse(old_text).is_ok_and(|old| old == *doc) {
        return old_text.to_string();
    }
    if let Some(text) = splice_hooks(old_text, doc) {
        return text;
    }
    let mut text = doc.pretty(&detect_indent(old_text));
    text.push('\n');
    text
}

/// The byte ranges of the top-level members of a JSON object: (key, start of the key's
/// quote, end of the value). `None` when `text` is not one object (the caller then
/// re-renders the whole file).
fn top_level_members(text: &str) -> Option<Vec<(String, usize, usize)>> {
    let bytes = text.as_bytes();
    let open = text.find('{')?;
    if !text.get(..open)?.trim().is_empty() {
        return None;
    }
    let mut members = Vec::new();
    let (mut depth, mut i) = (0usize, open);
    let mut in_str = false;
    let mut key_start = None;
    let mut key = String::new();
    let mut value_end = None;
    while i < bytes.len() {
        let c = *bytes.get(i)?;
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    in_str = false;
                    if key_start.is_some() {
                        value_end = Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                if depth == 1 && key_start.is_none() {
                    // A key at the top level: read it whole.
                    let rest = text.get(i..)?;
                    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
                    key = de.next()?.ok()?;
                    key_start = Some(i);
                    i += de.byte_offset();
                    value_end = None;
                    continue;
                }
                in_str = true;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    if let (Some(k), Some(e)) = (key_start, value_end) {
                        members.push((std::mem::take(&mut key), k, e));
                    }
                    return text.get(i + 1..)?.trim().is_empty().then_some(members);
                }
            }
            b',' if depth == 1 => {
                if let (Some(k), Some(e)) = (key_start.take(), value_end) {
                    members.push((std::mem::take(&mut key), k, e));
                }
            }
            _ => {}
        }
        if depth >= 1 && key_start.is_some() && !c.is_ascii_whitespace() && c != b':' && c != b',' {
            value_end = Some(i + 1);
        }
        i += 1;
    }
    None
}

/// The old text with only its `"hooks"` member replaced, added or removed, every other byte
/// kept (comments aside, a settings file is the user's: its line breaks, spacing and inline
/// arrays stay as they were). `None` when the change is not just that, or the result would
/// not read back as `doc`.
fn splice_hooks(old_text: &str, doc: &Doc) -> Option<String> {
    let members = top_level_members(old_text)?;
    let indent = detect_indent(old_text);
    let hooks = doc.get("hooks");
    let nl = if old_text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    // A file on one line (written by a program) gets the hooks on that line too.
    let one_line = !old_text.trim_end().contains('\n');
    let value = |h: &Doc| {
        if one_line {
            h.pretty("").replace('\n', "")
        } else {
            h.pretty(&indent).replace('\n', &format!("{nl}{indent}"))
        }
    };
    let sep = if one_line {
        String::new()
    } else {
        format!("{nl}{indent}")
    };
    let text = match (members.iter().find(|m| m.0 == "hooks"), hooks) {
        (Some((_, k, e)), Some(h)) => {
            let colon = old_text.get(*k..*e)?.find(':')? + k;
            let vstart = colon + 1 + old_text.get(colon + 1..)?.len()
                - old_text.get(colon + 1..)?.trim_start().len();
            format!(
                "{}{}{}",
                old_text.get(..vstart)?,
                value(h),
                old_text.get(*e..)?
            )
        }
        (None, Some(h)) => match members.last() {
            Some((_, _, e)) => format!(
                "{},{sep}\"hooks\": {}{}",
                old_text.get(..*e)?,
                value(h),
                old_text.get(*e..)?
            ),
            None => return None,
        },
        (Some((_, k, e)), None) => {
            let pos = members.iter().position(|m| m.1 == *k)?;
            // Remove the member and the comma that joined it to a neighbour.
            let (from, to) = match (
                pos.checked_sub(1).and_then(|p| members.get(p)),
                members.get(pos + 1),
            ) {
                (Some(prev), _) => (prev.2, *e),
                (None, Some(next)) => (*k, next.1),
                (None, None) => return None,
            };
            format!("{}{}", old_text.get(..from)?, old_text.get(to..)?)
        }
        (None, None) => return None,
    };
    (Doc::parse(&text).ok()? == *doc).then_some(text)
}

/// Write `text` to `file` atomically (temp file in the same folder + rename), keeping the
/// mode, writing a symlink's target, and saving the old content as `FILE.blastwall.bak`.
/// Returns the backup's path, if one was made.
pub fn write_atomically(file: &Path, text: &str) -> Result<Option<PathBuf>, InstallError> {
    // Dotfile managers link settings.json from a repository: write the link's target, so
    // the link stays a link.
    let file = &std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let io = |e: std::io::Error| InstallError::Io(file.to_path_buf(), e.to_string());
    let meta = std::fs::metadata(file).ok();
    if meta.as_ref().is_some_and(|m| m.permissions().readonly()) {
        return Err(InstallError::ReadOnly(file.to_path_buf()));
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let backup = match &meta {
        Some(_) => {
            let mut name = file.as_os_str().to_owned();
            name.push(".blastwall.bak");
            let b = PathBuf::from(name);
            std::fs::copy(file, &b).map_err(io)?;
            Some(b)
        }
        None => None,
    };
    let mut tmp_name = file.as_os_str().to_owned();
    tmp_name.push(format!(".blastwall-tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        std::fs::write(&tmp, text)?;
        // Keep the file's mode (a 0600 settings file stays private).
        if let Some(m) = &meta {
            std::fs::set_permissions(&tmp, m.permissions())?;
        }
        std::fs::rename(&tmp, file)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(backup)
}

/// A unified diff of two texts (for `--dry-run`), empty when they are equal.
pub fn diff(old: &str, new: &str, name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Doc {
        Doc::parse(t).unwrap()
    }

    /// Regression, found by running the suite from a clone under "/tmp/…/my projects/": an
    /// exec-form handler whose path holds a space was not recognised as blastwall's, so a
    /// second `install` added it again and `doctor` said no hook was registered.
    #[test]
    fn own_handlers_are_recognised_whatever_their_path() {
        let cases: &[(&str, bool)] = &[
            (
                r#"{"command": "/usr/local/bin/blastwall", "args": ["hook"]}"#,
                true,
            ),
            (
                r#"{"command": "/tmp/bw x/my projects/blastwall", "args": ["hook"]}"#,
                true,
            ),
            (r#"{"command": "/usr/local/bin/blastwall hook"}"#, true),
            (
                r#"{"command": "/usr/local/bin/blastwall hook", "args": []}"#,
                true,
            ),
            (
                r#"{"command": "/tmp/my projects/blastwall", "args": ["scrub"]}"#,
                false,
            ),
            (r#"{"command": "/usr/local/bin/other-hook"}"#, false),
            (
                r#"{"command": "/opt/blastwall-wrapper", "args": ["hook"]}"#,
                false,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(is_ours(&p(text)), *want, "{text}");
        }
        assert_eq!(
            program_of("/tmp/my projects/blastwall", true),
            "/tmp/my projects/blastwall"
        );
        assert_eq!(
            program_of("/usr/bin/blastwall hook", false),
            "/usr/bin/blastwall"
        );
    }

    #[test]
    fn registers_every_event_with_on_failure_block() {
        let (s, replaced) = register(
            p("{}"),
            Path::new("/usr/local/bin/blastwall"),
            None,
            Path::new("s.json"),
        )
        .unwrap();
        assert_eq!(replaced, 0);
        let v: serde_json::Value = serde_json::from_str(&s.pretty("  ")).unwrap();
        for (event, matcher) in EVENTS {
            let g = &v["hooks"][event][0];
            assert_eq!(g.get("matcher").is_some(), *matcher, "{event}");
            let h = &g["hooks"][0];
            assert_eq!(h["command"], "/usr/local/bin/blastwall");
            assert_eq!(h["args"], serde_json::json!(["hook"]));
            assert_eq!(h["onFailure"], "block");
            assert_eq!(h["timeout"], TIMEOUT_SECS);
        }
    }

    #[test]
    fn keeps_key_order_other_hooks_and_is_idempotent() {
        let before = p(
            r#"{"permissions": {"allow": ["Bash(ls)"]}, "model": "opus", "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "other-guard"}]}]}, "alwaysThinkingEnabled": true}"#,
        );
        let exe = Path::new("/bin/blastwall");
        let pol = Some(Path::new("/etc/p.toml"));
        let (once, r1) = register(before, exe, pol, Path::new("s.json")).unwrap();
        let (twice, r2) = register(once.clone(), exe, pol, Path::new("s.json")).unwrap();
        assert_eq!((r1, r2), (0, 4));
        assert_eq!(once, twice);
        let text = once.pretty("  ");
        let order: Vec<usize> = [
            "\"permissions\"",
            "\"model\"",
            "\"hooks\"",
            "\"alwaysThinkingEnabled\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pre = v["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(pre[0]["hooks"][0]["command"], "other-guard");
        assert_eq!(
            pre[1]["hooks"][0]["args"],
            serde_json::json!(["hook", "--policy", "/etc/p.toml"])
        );
    }

    #[test]
    fn unregister_removes_only_blastwall_handlers() {
        let mut doc = p(r#"{"hooks": {
            "PreToolUse": [{"matcher": "*", "hooks": [
                {"type": "command", "command": "/x/blastwall", "args": ["hook"]},
                {"type": "command", "command": "other-guard"}]}],
            "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "/x/blastwall hook --policy /p"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "/x/blastwall", "args": ["scrub"]}]}]}}"#);
        assert_eq!(unregister(&mut doc, Path::new("s")).unwrap(), 2);
        let v: serde_json::Value = serde_json::from_str(&doc.pretty("  ")).unwrap();
        assert_eq!(
            v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "other-guard"
        );
        assert!(v["hooks"].get("UserPromptSubmit").is_none(), "{v}");
        assert_eq!(v["hooks"]["Stop"][0]["hooks"][0]["args"][0], "scrub");
        let mut only = register(
            p("{\"a\": 1}"),
            Path::new("/b/blastwall"),
            None,
            Path::new("s"),
        )
        .unwrap()
        .0;
        assert_eq!(unregister(&mut only, Path::new("s")).unwrap(), 4);
        assert_eq!(only, p("{\"a\": 1}"));
    }

    #[test]
    fn bad_shapes_are_refused() {
        for text in ["[]", r#"{"hooks": []}"#, r#"{"hooks": {"PreToolUse": {}}}"#] {
            assert!(
                matches!(
                    register(p(text), Path::new("/b/blastwall"), None, Path::new("s")),
                    Err(InstallError::BadShape(_))
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn registering_touches_only_the_hooks_member() {
        let exe = Path::new("/opt/bin/blastwall");
        let f = Path::new("/p/.claude/settings.local.json");
        for old in [
            "{\n  \"permissions\": {\"allow\": [\"Bash(cargo test:*)\"]},\n  \"model\" : \"opus\"\n}\n",
            "{\r\n\t\"a\": [1,2],\r\n\t\"hooks\": {\"Stop\": []}\r\n}",
            "{\"env\":{\"X\":\"}\\\"{\"}}",
            "{\"hooks\":{\"PreToolUse\":[{\"matcher\":\"Bash\",\"hooks\":[]}]},\"model\":\"opus\"}",
        ] {
            let doc = Doc::parse(old).unwrap();
            let (new_doc, _) = register(doc.clone(), exe, None, f).unwrap();
            let text = render(old, &new_doc);
            assert_eq!(Doc::parse(&text).unwrap(), new_doc, "{text}");
            // Registering again changes nothing.
            let (same, _) = register(new_doc.clone(), exe, None, f).unwrap();
            assert_eq!(render(&text, &same), text);
            // Everything before the hooks member is byte for byte the old text.
            let cut = old.find("\"hooks\"").unwrap_or_else(|| old.trim_end().len() - 1);
            let keep = old[..cut].trim_end_matches([',', ' ', '\n', '\r', '\t']);
            assert!(text.starts_with(keep), "{old:?} -> {text:?}");
            // And uninstalling gives the old document back.
            let mut back = new_doc.clone();
            unregister(&mut back, f).unwrap();
            let again = render(&text, &back);
            assert_eq!(Doc::parse(&again).unwrap(), doc, "{again}");
        }
    }

    #[test]
    fn pretty_keeps_indentation_and_round_trips() {
        let text =
            "{\n    \"a\": [1, 2.5, -3, \"x\\\"y\\u0001\"],\n    \"b\": {},\n    \"c\": null\n}\n";
        assert_eq!(detect_indent(text), "    ");
        assert_eq!(detect_indent("{}"), "  ");
        assert_eq!(detect_indent("{\n\t\"a\": 1\n}"), "\t");
        let doc = p(text);
        let again = render(text, &doc);
        assert_eq!(p(&again), doc);
        assert!(again.contains("\n    \"b\": {},\n"), "{again}");
    }

    #[test]
    fn writes_atomically_with_a_backup_and_refuses_read_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("settings.json");
        std::fs::write(&f, "{}\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let b = write_atomically(&f, "{\"a\": 1}\n").unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "{}\n");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{\"a\": 1}\n");
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(matches!(
            write_atomically(&f, "{}"),
            Err(InstallError::ReadOnly(_))
        ));
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "{\"a\": 1}\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temp file left: {names:?}");
    }

    #[test]
    fn dry_run_diff_is_unified() {
        let d = diff("{\n  \"a\": 1\n}\n", "{\n  \"a\": 2\n}\n", "s.json");
        assert!(d.contains("-  \"a\": 1\n+  \"a\": 2\n"), "{d}");
        assert!(d.starts_with("--- s.json\n+++ s.json\n"), "{d}");
        assert_eq!(diff("x", "x", "s"), "");
    }
}
