//! A scripted stand-in for the Anthropic Messages API on 127.0.0.1.
//!
//! Why in Rust, inside the test process, and not a Python script: the test owns the listener
//! (bound to port 0, so parallel scenarios never race for a port), the scripts are typed Rust
//! values next to the assertions that read them, and every recorded request is available to the
//! test directly, without a file format or a second process to start, wait for and kill.
//!
//! How a request is answered:
//! - the scenario is chosen by a marker `@@e2e:NAME@@` in the first user message of the
//!   conversation. A subagent's conversation starts with the prompt its parent gave the `Agent`
//!   tool, so a subagent gets its own script by carrying its own marker in that prompt;
//! - the step is the number of assistant turns already in `messages`; step N answers with the
//!   N-th turn of the script (one or more `tool_use` blocks), and once the script is done, with a
//!   short `end_turn` text;
//! - requests without tools (titles, summaries and other side calls of the client) and requests
//!   without a marker get a plain text answer, so they never run a scripted tool.
//!
//! Every request body is recorded, so a test asserts on exactly what the model was shown.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// One model turn: what the "model" answers at one step of a script.
#[derive(Clone, Debug)]
pub(crate) enum Turn {
    /// Call these tools (in parallel when more than one): `(tool name, input)`.
    Tools(Vec<(String, Value)>),
    /// Answer with text and end the turn.
    Text(String),
}

impl Turn {
    pub(crate) fn tool(name: &str, input: Value) -> Turn {
        Turn::Tools(vec![(name.to_string(), input)])
    }
}

/// A request the server received, with what it made of it.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) path: String,
    pub(crate) body: Value,
    /// Scenario marker found in the conversation, if any.
    pub(crate) marker: Option<String>,
    /// Script step answered (number of assistant turns already in the conversation).
    pub(crate) step: usize,
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, Vec<Turn>>,
    requests: Vec<Recorded>,
}

pub(crate) struct FakeModel {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<thread::JoinHandle<()>>,
}

/// The id of the `index`-th tool_use block of `step` in the script `marker`. Deterministic, so a
/// test can find the matching `tool_result` in a later request.
pub(crate) fn tool_use_id(marker: &str, step: usize, index: usize) -> String {
    format!("toolu_e2e_{marker}_{step}_{index}")
}

pub(crate) fn marker_text(marker: &str) -> String {
    format!("@@e2e:{marker}@@")
}

impl FakeModel {
    pub(crate) fn start() -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake model on 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake model local addr");
        // Non-blocking accept so the thread can notice `stop` and end with the test.
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        let accept_thread = thread::spawn(move || {
            while !sp.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let st = Arc::clone(&st);
                        thread::spawn(move || {
                            if let Err(e) = serve_connection(stream, &st) {
                                eprintln!("fake model: connection error: {e}");
                            }
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => {
                        eprintln!("fake model: accept error: {e}");
                        thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        });
        FakeModel {
            addr,
            state,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Registers the script that answers conversations carrying `marker`.
    pub(crate) fn script(&self, marker: &str, turns: Vec<Turn>) {
        self.state
            .lock()
            .expect("fake model state")
            .scripts
            .insert(marker.to_string(), turns);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state
            .lock()
            .expect("fake model state")
            .requests
            .clone()
    }

    /// Requests that belong to the conversation `marker` (the scripted ones, with tools).
    pub(crate) fn conversation(&self, marker: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.marker.as_deref() == Some(marker) && has_tools(&r.body))
            .collect()
    }

    /// The `tool_result` the model was sent for `id`, as (text, is_error), from the first request
    /// that carries it. `None` when no request carried it (the tool call never came back).
    pub(crate) fn tool_result(&self, id: &str) -> Option<(String, bool)> {
        for r in self.requests() {
            for msg in messages(&r.body) {
                for block in content_blocks(msg) {
                    if block.get("type").and_then(Value::as_str) == Some("tool_result")
                        && block.get("tool_use_id").and_then(Value::as_str) == Some(id)
                    {
                        let is_error = block
                            .get("is_error")
                            .and_then(Value::as_bool)
                            .unwrap_or(false);
                        return Some((
                            flatten_text(block.get("content").unwrap_or(&Value::Null)),
                            is_error,
                        ));
                    }
                }
            }
        }
        None
    }

    /// The request answering `step` of the script `marker` (it carries the results of step-1).
    pub(crate) fn request_at_step(&self, marker: &str, step: usize) -> Option<Recorded> {
        self.conversation(marker)
            .into_iter()
            .find(|r| r.step == step)
    }

    /// Every request body as one string, for "this text appears nowhere" assertions.
    pub(crate) fn all_request_text(&self) -> String {
        self.requests()
            .iter()
            .map(|r| r.body.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn has_tools(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty())
}

pub(crate) fn messages(body: &Value) -> &[Value] {
    body.get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(crate) fn content_blocks(msg: &Value) -> Vec<Value> {
    match msg.get("content") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => vec![json!({"type": "text", "text": s})],
        _ => Vec::new(),
    }
}

/// The text of a content value (a string or a list of blocks), blocks joined by newlines.
pub(crate) fn flatten_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|b| match b.get("text").and_then(Value::as_str) {
                Some(t) => t.to_string(),
                None => b.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn find_marker(body: &Value) -> Option<String> {
    let first = messages(body).first()?;
    for block in content_blocks(first) {
        let text = block.get("text").and_then(Value::as_str).unwrap_or("");
        if let Some(start) = text.find("@@e2e:") {
            let rest = &text[start + "@@e2e:".len()..];
            if let Some(end) = rest.find("@@") {
                return Some(rest[..end].to_string());
            }
        }
    }
    None
}

fn assistant_turns(body: &Value) -> usize {
    messages(body)
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .count()
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim();
            if k == "content-length" {
                content_length = v.parse().unwrap_or(0);
            } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            chunk.truncate(size);
            body.extend_from_slice(&chunk);
        }
    } else {
        body.resize(content_length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Request { method, path, body }))
}

fn serve_connection(stream: TcpStream, state: &Arc<Mutex<State>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    // Keep-alive: answer requests on this connection until the client closes it.
    while let Some(req) = read_request(&mut reader)? {
        let path_only = req.path.split('?').next().unwrap_or("").to_string();
        if req.method == "POST" && path_only == "/v1/messages" {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            answer_messages(&mut writer, state, &req.path, body)?;
        } else {
            // count_tokens, model lists, telemetry: nothing the scenarios need. A 404 makes the
            // client fall back rather than hang.
            let msg = br#"{"type":"error","error":{"type":"not_found_error","message":"not in the fake model"}}"#;
            write!(
                writer,
                "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                msg.len()
            )?;
            writer.write_all(msg)?;
            writer.flush()?;
            state.lock().expect("state").requests.push(Recorded {
                path: req.path.clone(),
                body: Value::Null,
                marker: None,
                step: 0,
            });
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
    Ok(())
}

fn answer_messages(
    writer: &mut TcpStream,
    state: &Arc<Mutex<State>>,
    path: &str,
    body: Value,
) -> std::io::Result<()> {
    let marker = find_marker(&body);
    let step = assistant_turns(&body);
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-fake")
        .to_string();
    let turn = {
        let mut st = state.lock().expect("state");
        let turn = match (&marker, has_tools(&body)) {
            (Some(m), true) => match st.scripts.get(m) {
                Some(turns) => turns
                    .get(step)
                    .cloned()
                    .unwrap_or_else(|| Turn::Text(format!("e2e {m}: done"))),
                None => Turn::Text(format!("e2e: no script registered for marker {m}")),
            },
            _ => Turn::Text("ok".to_string()),
        };
        st.requests.push(Recorded {
            path: path.to_string(),
            body,
            marker: marker.clone(),
            step,
        });
        turn
    };
    let content: Vec<Value> = match &turn {
        Turn::Text(t) => vec![json!({"type": "text", "text": t})],
        Turn::Tools(calls) => calls
            .iter()
            .enumerate()
            .map(|(i, (name, input))| {
                json!({
                    "type": "tool_use",
                    "id": tool_use_id(marker.as_deref().unwrap_or("none"), step, i),
                    "name": name,
                    "input": input,
                })
            })
            .collect(),
    };
    let stop_reason = if matches!(turn, Turn::Tools(_)) {
        "tool_use"
    } else {
        "end_turn"
    };
    let msg_id = format!("msg_e2e_{}_{}", marker.as_deref().unwrap_or("side"), step);
    let usage = json!({"input_tokens": 10, "output_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});

    if !stream {
        let resp = json!({
            "id": msg_id, "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": null, "usage": usage,
        });
        let bytes = resp.to_string().into_bytes();
        write!(
            writer,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nrequest-id: req_e2e\r\ncontent-length: {}\r\n\r\n",
            bytes.len()
        )?;
        writer.write_all(&bytes)?;
        return writer.flush();
    }

    let mut events: Vec<(&str, Value)> = vec![(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null, "usage": usage,
        }}),
    )];
    for (i, block) in content.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let mut start = block.clone();
                start["input"] = json!({});
                events.push((
                    "content_block_start",
                    json!({"type": "content_block_start", "index": i, "content_block": start}),
                ));
                events.push((
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": i,
                           "delta": {"type": "input_json_delta", "partial_json": block["input"].to_string()}}),
                ));
            }
            _ => {
                events.push((
                    "content_block_start",
                    json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
                ));
                events.push((
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": i,
                           "delta": {"type": "text_delta", "text": block["text"].as_str().unwrap_or("")}}),
                ));
            }
        }
        events.push((
            "content_block_stop",
            json!({"type": "content_block_stop", "index": i}),
        ));
    }
    events.push((
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": 10}}),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));

    let mut sse = String::new();
    for (name, data) in events {
        sse.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    }
    // A content-length on the event stream keeps the connection reusable and needs no chunking.
    write!(
        writer,
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nrequest-id: req_e2e\r\ncontent-length: {}\r\n\r\n",
        sse.len()
    )?;
    writer.write_all(sse.as_bytes())?;
    writer.flush()
}
