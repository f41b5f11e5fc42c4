//! The protocol's opaque payloads: a tool's input (`tool_input`), its output (`tool_response`)
//! and a failed tool's error (`error`), held as the client sent them.
//!
//! Some of what blastwall does reads a payload as a whole, whatever its shape: every string of
//! a tool input is scanned for credentials and rule regexes, an unknown or MCP tool's input is
//! searched for paths at any depth, a tool output is redacted in place and handed back in its
//! own shape. Those walks live here, next to the only JSON type that holds such a payload
//! ([`Json`]); the rest of the crate sees the typed view (`super::tool`) and these methods, never
//! a JSON value. What belongs here: walks over a payload and rebuilding one in its own shape.
//! What does not: what a string found means (the secret detector, the judge, spotlighting's
//! frame are passed in or called by name).
use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::secrets::{Detector, Finding};

/// A JSON payload of the protocol, kept whole and opaque: only this module walks it, and only
/// `crate::output` turns it back into protocol JSON ([`Json::as_value`]).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(transparent)]
pub struct Json(Value);

impl From<Value> for Json {
    fn from(v: Value) -> Json {
        Json(v)
    }
}

/// How deep the path search of an untyped tool input goes before it gives up (and asks).
const MAX_PATH_DEPTH: usize = 16;

/// Field names that name a path in a tool input the typed view does not know.
const PATH_KEYS: &[&str] = &[
    "file_path",
    "path",
    "notebook_path",
    "filePath",
    "filepath",
    "directory",
    "dir",
    "source",
    "destination",
    "target",
    "paths",
];

fn looks_like_path(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with("~")
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with("$HOME")
        || s.starts_with("${HOME}")
}

/// The paths an untyped tool input names ([`Args::named_paths`]).
#[derive(Debug, Default, PartialEq)]
pub struct NamedPaths<'a> {
    /// Each string that names a path, in the order the search found it (`file://` stripped).
    pub paths: Vec<&'a str>,
    /// How many lists or objects lay deeper than the search goes (each is a finding).
    pub too_deep: usize,
}

/// Which part of a tool's output can be replaced in its own shape (`updatedToolOutput`), so that
/// its external text can be framed as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputShape {
    /// WebFetch: the page text, a string `result` in an object.
    WebFetchResult,
    /// An MCP tool: the `text` of each `{"type": "text"}` block, in a list or in an object's
    /// `content` list.
    McpTextBlocks,
    /// Any other tool: no replacement shape is known.
    Opaque,
}

impl OutputShape {
    /// The shape a tool's output is read in.
    pub fn of(tool: &str) -> OutputShape {
        if tool == "WebFetch" {
            OutputShape::WebFetchResult
        } else if tool.starts_with("mcp__") {
            OutputShape::McpTextBlocks
        } else {
            OutputShape::Opaque
        }
    }
}

impl Json {
    /// The payload as protocol JSON, for `crate::output` (and tests): nothing else reads it.
    pub fn as_value(&self) -> &Value {
        &self.0
    }

    /// The payload as protocol JSON, taken (tests and the CLI's fixture tools).
    pub fn into_value(self) -> Value {
        self.0
    }

    /// The payload as a tool input: its fields, when it is an object.
    pub fn args(&self) -> Option<Args<'_>> {
        match &self.0 {
            Value::Object(m) => Some(Args(m)),
            _ => None,
        }
    }

    /// The text that says where external content came from: the input's `url`, else `uri`, else
    /// `query` (the first of them present decides; a non-string says nothing).
    pub fn origin(&self) -> Option<&str> {
        let v = &self.0;
        v.get("url")
            .or_else(|| v.get("uri"))
            .or_else(|| v.get("query"))
            .and_then(Value::as_str)
    }

    /// Every string in the payload, joined by newlines, in document order (the injection scan
    /// and the sandbox runner's redaction markers read it).
    pub fn all_text(&self) -> String {
        // Sized first (a walk over a few nodes), so a long text is not copied again as the
        // string grows.
        let mut len = 0usize;
        let mut stack = vec![&self.0];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => len = len.saturating_add(s.len() + 1),
                Value::Array(a) => stack.extend(a.iter()),
                Value::Object(m) => stack.extend(m.values()),
                _ => {}
            }
        }
        let mut out = String::with_capacity(len);
        stack.push(&self.0);
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                Value::Array(a) => stack.extend(a.iter().rev()),
                Value::Object(m) => stack.extend(m.values().rev()),
                _ => {}
            }
        }
        out
    }

    /// The first `max` bytes of the payload's JSON text (empty when byte `max` falls inside a
    /// character): what a spotlight boundary is seeded with when the OS has no randomness to
    /// give. Only that much is serialized, not a megabyte of output.
    pub fn seed(&self, max: usize) -> String {
        let mut prefix = Prefix {
            bytes: Vec::with_capacity(max.saturating_add(4).min(64 * 1024)),
            max: max.saturating_add(1),
        };
        // Stops with an error once one byte more than `max` is written: that byte says whether
        // `max` is a character boundary.
        let _ = serde_json::to_writer(&mut prefix, &self.0);
        let bytes = prefix.bytes;
        if bytes.len() <= max {
            return String::from_utf8(bytes).unwrap_or_default();
        }
        match bytes.get(max) {
            Some(b) if b & 0xC0 == 0x80 => String::new(),
            _ => {
                String::from_utf8(bytes.get(..max).unwrap_or_default().to_vec()).unwrap_or_default()
            }
        }
    }

    /// Whether [`Json::redact`] would find anything, found without changing or copying the
    /// tree (so a caller copies it only when there is something to redact). The same strings
    /// are scanned in the same way: object keys alone, string values with their key, other
    /// strings alone. Until `redact` finds something it changes nothing, so the first scan
    /// that finds something there finds it here too. Stops at the first finding.
    pub fn has_secrets(&self, detector: &Detector) -> bool {
        let mut stack: Vec<&Value> = vec![&self.0];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    if !detector.find(s).is_empty() {
                        return true;
                    }
                }
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => {
                    if map.keys().any(|k| !detector.find(k).is_empty()) {
                        return true;
                    }
                    for (k, child) in map {
                        match child {
                            Value::String(s) => {
                                if !detector.entry_findings(k, s).is_empty() {
                                    return true;
                                }
                            }
                            other => stack.push(other),
                        }
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        false
    }

    /// Redacts every string of the payload in place and returns the findings (ranges and lines
    /// are relative to the string they were found in).
    ///
    /// - Object *values* that are strings are scanned together with their key, as
    ///   `key: "value"`, so `{"password": "hunter2-Qx9"}` is caught by the generic rule even
    ///   though neither string is a secret alone. Only the value is changed.
    /// - Object *keys* are scanned too (a token used as a map key is still a token); a key
    ///   with a finding is replaced by its redacted form. If two keys redact to the same
    ///   text, the later entry wins.
    /// - The walk uses an explicit stack, so depth costs heap, not call stack.
    pub fn redact(&mut self, detector: &Detector) -> Vec<Finding> {
        let mut found = Vec::new();
        let mut stack: Vec<&mut Value> = vec![&mut self.0];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    let (red, f) = detector.redact(s);
                    if let Cow::Owned(new) = red {
                        *s = new;
                    }
                    found.extend(f);
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => {
                    redact_keys(detector, map, &mut found);
                    for (k, child) in map.iter_mut() {
                        if let Value::String(s) = child {
                            detector.redact_entry(k, s, &mut found);
                        } else {
                            stack.push(child);
                        }
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        found
    }

    /// The payload with the text of `shape` replaced by `frame(text)`, everything else as it
    /// is; `None` when the payload does not have that shape (or `shape` is
    /// [`OutputShape::Opaque`]). Every text block of an MCP output is framed.
    pub fn reframed(&self, shape: OutputShape, frame: &dyn Fn(&str) -> String) -> Option<Json> {
        // Built from the parts, not a copy of the whole payload with the texts then replaced:
        // the texts framed (most of a 15 KB page) are not copied only to be dropped.
        match shape {
            OutputShape::Opaque => None,
            OutputShape::WebFetchResult => {
                let Value::Object(map) = &self.0 else {
                    return None;
                };
                let text = map.get("result")?.as_str()?;
                let framed = Value::String(frame(text));
                Some(Json(Value::Object(with_entry(map, "result", framed))))
            }
            OutputShape::McpTextBlocks => {
                let blocks = match &self.0 {
                    Value::Array(a) => a,
                    Value::Object(o) => o.get("content")?.as_array()?,
                    _ => return None,
                };
                let mut framed = false;
                let mut out = Vec::with_capacity(blocks.len());
                for block in blocks {
                    let text = (block.get("type").and_then(Value::as_str) == Some("text"))
                        .then(|| block.get("text").and_then(Value::as_str))
                        .flatten();
                    match (block, text) {
                        (Value::Object(m), Some(text)) => {
                            let text = Value::String(frame(text));
                            out.push(Value::Object(with_entry(m, "text", text)));
                            framed = true;
                        }
                        _ => out.push(block.clone()),
                    }
                }
                let out = match &self.0 {
                    Value::Object(o) => Value::Object(with_entry(o, "content", Value::Array(out))),
                    _ => Value::Array(out),
                };
                framed.then_some(Json(out))
            }
        }
    }
}

/// A copy of `map` with the value of `key` (which it holds) replaced by `value`, in its place.
fn with_entry(map: &Map<String, Value>, key: &str, value: Value) -> Map<String, Value> {
    let mut value = Some(value);
    map.iter()
        .map(|(k, v)| {
            let v = match value.take_if(|_| k == key) {
                Some(new) => new,
                None => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// A writer that keeps the first `max` bytes and then refuses.
struct Prefix {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Prefix {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.max.saturating_sub(self.bytes.len());
        if room == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let n = buf.len().min(room);
        self.bytes
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Object keys that hold a secret are replaced by their redacted form.
fn redact_keys(detector: &Detector, map: &mut Map<String, Value>, found: &mut Vec<Finding>) {
    let mut renamed = false;
    for k in map.keys() {
        let f = detector.find(k);
        renamed |= !f.is_empty();
        found.extend(f);
    }
    if !renamed {
        return;
    }
    // Rebuild rather than remove + insert: with serde_json's `preserve_order`, removal would
    // reorder the other entries.
    let old = std::mem::take(map);
    for (k, v) in old {
        let (red, _) = detector.redact(&k);
        map.insert(red.into_owned(), v);
    }
}

/// The fields of a tool input (a JSON object), borrowed from the event. The typed view
/// (`super::ToolCall`) reads the fields each known tool has; these methods are the questions
/// asked of every tool's input whatever its shape.
#[derive(Debug, Clone, Copy)]
pub struct Args<'a>(&'a Map<String, Value>);

impl<'a> Args<'a> {
    /// A top-level field that is a string (absent, or of another type: `None`).
    pub(super) fn text(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// A top-level field that is a boolean.
    pub(super) fn flag(&self, key: &str) -> Option<bool> {
        self.0.get(key).and_then(Value::as_bool)
    }

    /// A top-level field that is a non-negative integer.
    pub(super) fn number(&self, key: &str) -> Option<u64> {
        self.0.get(key).and_then(Value::as_u64)
    }

    /// A top-level field that is a list: its strings (other items are skipped).
    pub(super) fn texts(&self, key: &str) -> Vec<&'a str> {
        self.0
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The items of the list `key` that are objects (MultiEdit's `edits`).
    pub(super) fn objects(&self, key: &str) -> impl Iterator<Item = Args<'a>> {
        self.0
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.as_object().map(Args))
    }

    /// Calls `f` on every string value of the input at any depth (not on keys), until it
    /// returns true; whether it did. Iterative: tool input is adversarial. The order is fixed
    /// (the last field first, depth first), so the first finding reported is always the same.
    pub fn any_string(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        let mut stack: Vec<&Value> = self.0.values().collect();
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) if f(s) => return true,
                Value::Array(items) => stack.extend(items.iter()),
                Value::Object(m) => stack.extend(m.values()),
                _ => {}
            }
        }
        false
    }

    /// Every string that names a path in an input whose shape is not known (MCP and other
    /// tools): the value of a field named like a path (`file_path`, `…Path`, `…files`, …, and
    /// the items of such a list) or a string that looks like one (`/…`, `~…`, `./…`,
    /// `$HOME…`), at any depth up to a bound, and every `file://` URI.
    pub fn named_paths(&self) -> NamedPaths<'a> {
        let mut found = NamedPaths::default();
        let mut stack: Vec<(Option<&str>, &Value, usize)> = self
            .0
            .iter()
            .map(|(k, v)| (Some(k.as_str()), v, 0))
            .collect();
        while let Some((key, v, depth)) = stack.pop() {
            let named = key.is_some_and(|k| {
                PATH_KEYS.contains(&k)
                    || k.ends_with("_path")
                    || k.ends_with("Path")
                    || k.ends_with("files")
                    || k.ends_with("paths")
            });
            match v {
                Value::String(s) => {
                    if let Some(p) = s.strip_prefix("file://") {
                        found.paths.push(p);
                    } else if named || looks_like_path(s) {
                        found.paths.push(s);
                    }
                }
                Value::Array(items) if depth < MAX_PATH_DEPTH => stack.extend(
                    items
                        .iter()
                        .map(|i| (if named { key } else { None }, i, depth + 1)),
                ),
                Value::Object(m) if depth < MAX_PATH_DEPTH => {
                    stack.extend(m.iter().map(|(k, v)| (Some(k.as_str()), v, depth + 1)))
                }
                Value::Array(_) | Value::Object(_) => found.too_deep += 1,
                _ => {}
            }
        }
        found
    }

    /// The text a writing tool puts into a file, whatever the tool: `content`, `new_string`,
    /// `new_source` and each of `edits[].new_string`.
    pub fn written_texts(&self) -> Vec<&'a str> {
        let mut written: Vec<&str> = ["content", "new_string", "new_source"]
            .iter()
            .filter_map(|k| self.text(k))
            .collect();
        written.extend(self.objects("edits").filter_map(|e| e.text("new_string")));
        written
    }

    /// Whether the field `name` holds `expected` as written in a Claude Code permission rule
    /// (`Tool(name:value)`): the same string, boolean or number.
    pub fn field_is(&self, name: &str, expected: &str) -> bool {
        self.0.get(name).is_some_and(|x| match x {
            Value::String(s) => s == expected,
            Value::Bool(b) => expected.parse::<bool>().ok() == Some(*b),
            Value::Number(n) => n.as_f64().is_some() && expected.parse::<f64>().ok() == n.as_f64(),
            _ => false,
        })
    }

    /// The input as a payload of its own (a copy).
    pub fn to_json(&self) -> Json {
        Json(Value::Object(self.0.clone()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;
    use serde_json::json;

    fn j(v: Value) -> Json {
        Json::from(v)
    }

    #[test]
    fn named_paths_of_an_untyped_input() {
        let cases: &[(Value, &[&str], usize)] = &[
            (json!({"file_path": "a.txt", "n": 1}), &["a.txt"], 0),
            (
                json!({"q": "/etc/passwd", "r": "plain"}),
                &["/etc/passwd"],
                0,
            ),
            (json!({"uri": "file:///home/u/x"}), &["/home/u/x"], 0),
            (json!({"files": ["a", "b"]}), &["b", "a"], 0),
            (json!({"list": ["a", "~/b"]}), &["~/b"], 0),
            (json!({"o": {"targetPath": "x"}}), &["x"], 0),
            (json!({"path": 5, "dir": true}), &[], 0),
        ];
        for (input, paths, deep) in cases {
            let json = j(input.clone());
            let found = json.args().unwrap().named_paths();
            assert_eq!(found.paths, *paths, "{input}");
            assert_eq!(found.too_deep, *deep, "{input}");
        }
        let mut deep = json!("x");
        for _ in 0..20 {
            deep = json!({ "a": deep });
        }
        let json = j(json!({ "d": deep }));
        assert_eq!(json.args().unwrap().named_paths().too_deep, 1);
    }

    #[test]
    fn every_string_value_is_visited_and_keys_are_not() {
        let json = j(json!({"a": "one", "b": [{"c": "two"}, 3, null], "key-only": {}}));
        let mut seen = Vec::new();
        let stopped = json.args().unwrap().any_string(&mut |s| {
            seen.push(s.to_string());
            false
        });
        assert!(!stopped);
        assert_eq!(seen, ["two", "one"]);
        assert!(json.args().unwrap().any_string(&mut |s| s == "one"));
    }

    #[test]
    fn field_questions() {
        let json = j(
            json!({"content": "c", "new_string": 7, "edits": [{"new_string": "e"}, "x"],
            "flag": true, "n": 3, "s": "v", "f": 1.5}),
        );
        let args = json.args().unwrap();
        assert_eq!(args.written_texts(), ["c", "e"]);
        assert!(args.field_is("flag", "true") && !args.field_is("flag", "false"));
        assert!(args.field_is("n", "3") && args.field_is("n", "3.0") && !args.field_is("n", "x"));
        assert!(args.field_is("s", "v") && !args.field_is("missing", "v"));
        assert!(!args.field_is("edits", "x"));
        assert_eq!(args.flag("flag"), Some(true));
        assert_eq!(args.number("n"), Some(3));
        assert_eq!(args.number("f"), None);
        assert_eq!(&args.to_json(), &json);
        assert!(j(json!("not an object")).args().is_none());
    }

    #[test]
    fn origin_is_the_first_field_present() {
        let cases = [
            (json!({"url": "u", "query": "q"}), Some("u")),
            (json!({"uri": "r", "query": "q"}), Some("r")),
            (json!({"query": "q"}), Some("q")),
            (json!({"url": 5, "query": "q"}), None),
            (json!("text"), None),
        ];
        for (v, want) in cases {
            assert_eq!(j(v.clone()).origin(), want, "{v}");
        }
    }

    /// The seed is the first bytes of the JSON text, as `to_string` would give them, and empty
    /// when the cut falls inside a character.
    #[test]
    fn seed_is_a_prefix_of_the_json_text() {
        let values = [
            json!({"result": "x".repeat(10_000), "code": 200}),
            json!([{"type": "text", "text": "é".repeat(5_000)}]),
            json!("short"),
            json!({"a": "ab€cd"}),
        ];
        for v in values {
            let full = v.to_string();
            for max in [0, 1, 5, 6, 7, 8, 9, 10, 4096, 100_000] {
                let want = full.get(..full.len().min(max)).unwrap_or("").to_string();
                assert_eq!(
                    j(v.clone()).seed(max),
                    want,
                    "{max} {}",
                    &full[..full.len().min(40)]
                );
            }
        }
    }

    #[test]
    fn all_text_in_document_order() {
        let v = j(json!({"a": "1", "b": ["2", {"c": "3"}], "d": 4}));
        assert_eq!(v.all_text(), "1\n2\n3\n");
    }

    /// `Json::reframed` as first written (a copy of the payload with the texts replaced): the
    /// oracle for the version that copies only what it keeps.
    fn reframed_by_copy(
        v: &Json,
        shape: OutputShape,
        frame: &dyn Fn(&str) -> String,
    ) -> Option<Json> {
        if shape == OutputShape::Opaque {
            return None;
        }
        let mut out = v.0.clone();
        match shape {
            OutputShape::Opaque => None,
            OutputShape::WebFetchResult => {
                let result = out.get_mut("result")?;
                let text = result.as_str()?;
                *result = Value::String(frame(text));
                Some(Json(out))
            }
            OutputShape::McpTextBlocks => {
                let blocks = match &mut out {
                    Value::Array(a) => a,
                    Value::Object(o) => o.get_mut("content")?.as_array_mut()?,
                    _ => return None,
                };
                let mut framed = false;
                for block in blocks.iter_mut() {
                    if block.get("type").and_then(Value::as_str) != Some("text") {
                        continue;
                    }
                    if let Some(t) = block.get_mut("text") {
                        if let Some(text) = t.as_str() {
                            *t = Value::String(frame(text));
                            framed = true;
                        }
                    }
                }
                framed.then_some(Json(out))
            }
        }
    }

    #[test]
    fn reframing_builds_what_replacing_in_a_copy_builds() {
        let frame = |t: &str| format!("<<{t}>>");
        let payloads = [
            json!({"code": 200, "result": "hi", "url": "u", "bytes": 2}),
            json!({"result": "only"}),
            json!({"result": 5}),
            json!({"z": 1, "a": [1, {"result": "nested"}]}),
            json!([{"type": "text", "text": "a"}, {"type": "image", "data": "AAAA"}, {"type": "text", "text": "b", "x": {"y": 1}}]),
            json!([{"type": "text", "text": 3}, {"type": "text"}, "text", {"text": "no type"}]),
            json!({"content": [{"type": "text", "text": "c"}], "isError": false, "_meta": {"k": "v"}}),
            json!({"content": [{"type": "image", "data": "x"}]}),
            json!({"content": "not a list"}),
            json!("a string"),
            json!(null),
            json!([]),
        ];
        for p in payloads {
            for shape in [
                OutputShape::Opaque,
                OutputShape::WebFetchResult,
                OutputShape::McpTextBlocks,
            ] {
                let v = j(p.clone());
                let got = v.reframed(shape, &frame).map(Json::into_value);
                let want = reframed_by_copy(&v, shape, &frame).map(Json::into_value);
                assert_eq!(got, want, "{shape:?} {p}");
                if let (Some(g), Some(w)) = (&got, &want) {
                    assert_eq!(g.to_string(), w.to_string(), "key order, {shape:?} {p}");
                }
            }
        }
    }

    #[test]
    fn outputs_are_reframed_in_their_own_shape() {
        let frame = |t: &str| format!("[{t}]");
        let web = j(json!({"code": 200, "result": "hi"}));
        let out = web.reframed(OutputShape::of("WebFetch"), &frame).unwrap();
        assert_eq!(out.as_value(), &json!({"code": 200, "result": "[hi]"}));
        let mcp = j(json!([{"type": "text", "text": "a"}, {"type": "image", "data": "AAAA"}]));
        let out = mcp.reframed(OutputShape::of("mcp__s__t"), &frame).unwrap();
        assert_eq!(
            out.as_value(),
            &json!([{"type": "text", "text": "[a]"}, {"type": "image", "data": "AAAA"}])
        );
        let obj = j(json!({"content": [{"type": "text", "text": "c"}], "isError": false}));
        let out = obj.reframed(OutputShape::McpTextBlocks, &frame).unwrap();
        assert_eq!(out.as_value()["content"][0]["text"], "[c]");
        // Shapes the client is not known to honour are left alone.
        let none: &[(&str, Value)] = &[
            ("WebSearch", json!({"results": []})),
            ("mcp__s__t", json!({"x": 1})),
            ("mcp__s__t", json!([{"type": "image"}])),
            ("WebFetch", json!({"result": 5})),
            ("Bash", json!({"stdout": "x"})),
        ];
        for (tool, v) in none {
            assert!(
                j(v.clone())
                    .reframed(OutputShape::of(tool), &frame)
                    .is_none(),
                "{tool} {v}"
            );
        }
    }

    #[test]
    fn redaction_keeps_the_shape_and_agrees_with_the_read_only_scan() {
        let d = crate::secrets::builtin();
        let token = "ghp_Z4SOcMz9CPVNPkNa1Hedcm4pMbXDuCL1mHoO";
        let mut v = j(json!({"stdout": format!("key {token}"), "n": 1, token: "x"}));
        assert!(v.has_secrets(d));
        let found = v.redact(d);
        assert_eq!(found.len(), 2);
        let text = v.as_value().to_string();
        assert!(!text.contains(token) && text.contains("\"n\":1"), "{text}");
        assert!(!v.has_secrets(d));
        assert!(!j(json!({"stdout": "clean"})).has_secrets(d));
    }
}
