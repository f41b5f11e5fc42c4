//! The hook event JSON that Claude Code writes on stdin.
//!
//! Parsing is lenient about what it does not use (unknown fields are ignored, optional fields
//! may be absent) and strict about what a decision needs: a PreToolUse without `tool_name`,
//! `tool_input` or `cwd` is an input error, which the hook answers with a deny.
//!
//! This is the protocol's in-edge: the only place (with `json`, its payload walks, and
//! `crate::output`, the out-edge) that holds JSON values. A tool call leaves here typed
//! ([`ToolUse`], [`ToolCall`]); tool input and output that must be scanned or handed back
//! whole leave as the opaque [`Json`], walked only by its own methods (`layout_tests.rs` fails
//! on a JSON value anywhere else on the hook's path).
use serde::Deserialize;
use thiserror::Error;

mod json;
mod tool;

pub use json::{Args, Json, NamedPaths, OutputShape};
pub use tool::{EditText, ToolCall, ToolUse};

#[derive(Debug, Deserialize, Clone, Default)]
pub struct HookEvent {
    pub hook_event_name: String,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub tool_name: Option<String>,
    #[serde(default)]
    pub tool_input: Option<Json>,
    #[serde(default)]
    pub tool_response: Option<Json>,
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub agent_type: Option<String>,
    #[serde(default)]
    pub permission_mode: Option<String>,
    #[serde(default)]
    pub prompt: Option<String>,
    /// PostToolUseFailure: the error text (usually a string).
    #[serde(default)]
    pub error: Option<Json>,
}

/// The events blastwall acts on; the rest are answered with no decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    PreToolUse,
    PostToolUse,
    PostToolUseFailure,
    UserPromptSubmit,
    Other,
}

impl EventKind {
    pub fn of(name: &str) -> EventKind {
        match name {
            "PreToolUse" => EventKind::PreToolUse,
            "PostToolUse" => EventKind::PostToolUse,
            "PostToolUseFailure" => EventKind::PostToolUseFailure,
            "UserPromptSubmit" => EventKind::UserPromptSubmit,
            _ => EventKind::Other,
        }
    }
}

#[derive(Debug, Error)]
pub enum InputError {
    #[error("hook input is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("cannot read hook input: {0}")]
    Io(String),
    #[error("hook input is empty")]
    Empty,
    #[error("hook input is not UTF-8 (byte {0})")]
    NotUtf8(usize),
    #[error("hook input is not a valid event: {0}")]
    Json(String),
    #[error("{event} event without `{field}`")]
    Missing { event: String, field: &'static str },
    #[error("{event} event has `{field}` of the wrong type")]
    WrongType { event: String, field: &'static str },
}

/// The largest event accepted. Tool outputs can be large (a Read of a big file), but past this
/// the event is refused rather than half-read.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// Read at most `limit` bytes; one byte more is an error, never a truncated parse.
pub fn read_capped(reader: &mut dyn std::io::Read, limit: usize) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(16 * 1024);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut buf)
        .map_err(|e| InputError::Io(e.to_string()))?;
    if buf.len() > limit {
        return Err(InputError::TooLarge { limit });
    }
    Ok(buf)
}

/// Parse the bytes of one event. serde_json bounds nesting (128 levels), so deep input is an
/// error, not a stack overflow.
pub fn parse(bytes: &[u8]) -> Result<HookEvent, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8(e.valid_up_to()))?;
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    serde_json::from_str(text).map_err(|e| InputError::Json(e.to_string()))
}

impl HookEvent {
    pub fn kind(&self) -> EventKind {
        EventKind::of(&self.hook_event_name)
    }

    fn missing(&self, field: &'static str) -> InputError {
        InputError::Missing {
            event: self.hook_event_name.clone(),
            field,
        }
    }

    /// The tool call of a tool event, typed, when it names a tool and its input is an object
    /// (no other check: the audit log's subject and the sandbox step read it).
    pub fn tool_use(&self) -> Option<ToolUse<'_>> {
        ToolUse::of(self.tool_name.as_deref()?, self.tool_input.as_ref()?)
    }

    /// The fields a tool event must carry: the typed call and the working directory.
    pub fn tool_call(&self) -> Result<(ToolUse<'_>, &str), InputError> {
        let tool = self
            .tool_name
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.missing("tool_name"))?;
        let call = match &self.tool_input {
            None => return Err(self.missing("tool_input")),
            Some(input) => ToolUse::of(tool, input).ok_or_else(|| InputError::WrongType {
                event: self.hook_event_name.clone(),
                field: "tool_input",
            })?,
        };
        let cwd = self
            .cwd
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| self.missing("cwd"))?;
        Ok((call, cwd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_optional_ones_may_be_absent() {
        let ev = parse(br#"{"hook_event_name":"PreToolUse","cwd":"/p","tool_name":"Read","tool_input":{"file_path":"/p/a"},"effort":{"level":"high"},"brand_new":1}"#).unwrap();
        assert_eq!(ev.kind(), EventKind::PreToolUse);
        let (call, cwd) = ev.tool_call().unwrap();
        assert_eq!((call.name, cwd), ("Read", "/p"));
        assert_eq!(
            call.call,
            ToolCall::Read {
                file_path: Some("/p/a"),
                offset: None,
                limit: None
            }
        );
        assert!(ev.agent_id.is_none());
    }

    #[test]
    fn errors_are_precise() {
        assert!(matches!(parse(b""), Err(InputError::Empty)));
        assert!(matches!(parse(b"  \n"), Err(InputError::Empty)));
        assert!(matches!(parse(b"{not json"), Err(InputError::Json(_))));
        assert!(matches!(parse(b"\xff\xfe"), Err(InputError::NotUtf8(0))));
        assert!(matches!(
            parse(br#"{"cwd":"/p"}"#),
            Err(InputError::Json(_))
        ));
        let ev = parse(br#"{"hook_event_name":"PreToolUse","cwd":"/p","tool_input":{}}"#).unwrap();
        assert!(matches!(
            ev.tool_call(),
            Err(InputError::Missing {
                field: "tool_name",
                ..
            })
        ));
        let ev = parse(
            br#"{"hook_event_name":"PreToolUse","cwd":"/p","tool_name":"Bash","tool_input":"rm"}"#,
        )
        .unwrap();
        assert!(matches!(ev.tool_call(), Err(InputError::WrongType { .. })));
        let ev = parse(br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{}}"#)
            .unwrap();
        assert!(matches!(
            ev.tool_call(),
            Err(InputError::Missing { field: "cwd", .. })
        ));
    }

    #[test]
    fn deep_json_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(deep.as_bytes()), Err(InputError::Json(_))));
    }

    #[test]
    fn capped_read_refuses_one_byte_more() {
        let data = [b'x'; 11];
        assert!(matches!(
            read_capped(&mut &data[..], 10),
            Err(InputError::TooLarge { limit: 10 })
        ));
        assert_eq!(read_capped(&mut &data[..], 11).unwrap().len(), 11);
    }
}
