//! A tool call's input, typed: one [`ToolCall`] variant per tool the policy knows, read once at
//! the protocol's edge and borrowed from the event (nothing is copied).
//!
//! A field is `Some` when it is present with the type the tool documents; absent or of another
//! type it is `None` (a flag reads as `false`), which is how every check has always read it: a
//! required field that is `None` is a deny (`crate::engine`). Fields a variant does not name are
//! still in [`ToolUse::args`], which every check that reads the whole input uses (credentials
//! and rule regexes in any string, paths in an unknown tool's input).
//!
//! What belongs here: which tools have which fields, and which field says what a call acts on.
//! What does not: what those fields mean for a decision (`crate::engine`, `crate::checks`).
use super::json::Args;
use super::Json;

/// One edit of a MultiEdit call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditText<'a> {
    /// The text replaced.
    pub old_string: Option<&'a str>,
    /// The text written.
    pub new_string: Option<&'a str>,
}

/// A tool call's input, by tool. The tool's name is in [`ToolUse::name`] (`Task` and `Agent`
/// share a variant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall<'a> {
    /// `Bash`: a shell command.
    Bash {
        /// The command line.
        command: Option<&'a str>,
        /// The model's description of the command.
        description: Option<&'a str>,
        /// Whether the client runs it in the background.
        run_in_background: bool,
        /// The timeout the model asked for, in milliseconds.
        timeout: Option<u64>,
    },
    /// `PowerShell`: a PowerShell command (not analysed; no paths).
    PowerShell {
        /// The command line.
        command: Option<&'a str>,
    },
    /// `Monitor`: a command whose output is watched (not analysed; no paths).
    Monitor {
        /// The command line.
        command: Option<&'a str>,
    },
    /// `Read`: a file read into the conversation.
    Read {
        /// The file.
        file_path: Option<&'a str>,
        /// The first line read.
        offset: Option<u64>,
        /// How many lines.
        limit: Option<u64>,
    },
    /// `NotebookRead`: a notebook read into the conversation.
    NotebookRead {
        /// The notebook.
        notebook_path: Option<&'a str>,
    },
    /// `Write`: a file written whole.
    Write {
        /// The file.
        file_path: Option<&'a str>,
        /// Its new text.
        content: Option<&'a str>,
    },
    /// `Edit`: one replacement in a file.
    Edit {
        /// The file.
        file_path: Option<&'a str>,
        /// The text replaced.
        old_string: Option<&'a str>,
        /// The text written.
        new_string: Option<&'a str>,
    },
    /// `MultiEdit`: several replacements in one file.
    MultiEdit {
        /// The file.
        file_path: Option<&'a str>,
        /// The edits that are objects, in order.
        edits: Vec<EditText<'a>>,
    },
    /// `NotebookEdit`: one cell of a notebook changed.
    NotebookEdit {
        /// The notebook.
        notebook_path: Option<&'a str>,
        /// The cell's new source.
        new_source: Option<&'a str>,
    },
    /// `Glob`: file names matching a pattern.
    Glob {
        /// The pattern (its literal directory is read too).
        pattern: Option<&'a str>,
        /// The directory searched (`.` when absent).
        path: Option<&'a str>,
    },
    /// `Grep`: file contents matching a regex, recursively.
    Grep {
        /// The regex.
        pattern: Option<&'a str>,
        /// The file or directory searched (`.` when absent).
        path: Option<&'a str>,
    },
    /// `LS`: a directory listing.
    Ls {
        /// The directory (`.` when absent).
        path: Option<&'a str>,
    },
    /// `WebFetch`: a page fetched and summarised.
    WebFetch {
        /// The URL.
        url: Option<&'a str>,
        /// What the model asks of the page.
        prompt: Option<&'a str>,
    },
    /// `WebSearch`: a web search.
    WebSearch {
        /// The query.
        query: Option<&'a str>,
        /// Domains the results are limited to.
        allowed_domains: Vec<&'a str>,
        /// Domains left out of the results.
        blocked_domains: Vec<&'a str>,
    },
    /// `Task` or `Agent`: a subagent started.
    Task {
        /// The subagent's type.
        subagent_type: Option<&'a str>,
        /// Its task.
        prompt: Option<&'a str>,
    },
    /// `TodoWrite`: the model's task list (its items are in [`ToolUse::args`]).
    TodoWrite,
    /// `mcp__<server>__<tool>`: a tool of an MCP server; its arguments are arbitrary JSON, read
    /// through [`ToolUse::args`].
    Mcp {
        /// The server's name (empty when the name has no `__` after the prefix).
        server: &'a str,
        /// The tool's name on the server (empty when there is none).
        tool: &'a str,
    },
    /// Any other tool: only its name and [`ToolUse::args`] are known.
    Unknown,
}

/// A tool call read from an event: the tool's name, its typed input, and the input's fields
/// for the checks that read every field whatever the tool.
#[derive(Debug, Clone)]
pub struct ToolUse<'a> {
    /// The tool's name as the client sent it.
    pub name: &'a str,
    /// The typed input.
    pub call: ToolCall<'a>,
    /// Every field of the input.
    pub args: Args<'a>,
}

impl<'a> ToolUse<'a> {
    /// Read a call of tool `name` with input `args`.
    pub fn new(name: &'a str, args: Args<'a>) -> ToolUse<'a> {
        ToolUse {
            name,
            call: ToolCall::read(name, args),
            args,
        }
    }

    /// A call of tool `name` with `input`; `None` when the input is not an object.
    pub fn of(name: &'a str, input: &'a Json) -> Option<ToolUse<'a>> {
        input.args().map(|args| ToolUse::new(name, args))
    }

    /// The whole input, as the client sent it (copied: the sandbox step's rewrite keeps every
    /// field).
    pub fn input(&self) -> Json {
        self.args.to_json()
    }

    /// A short description of what the call acts on (the audit log's `subject`): the command,
    /// URL, query, notebook, pattern or subagent type; for any other tool its `file_path`.
    pub fn subject(&self) -> Option<&'a str> {
        match &self.call {
            ToolCall::Bash { command, .. }
            | ToolCall::PowerShell { command }
            | ToolCall::Monitor { command } => *command,
            ToolCall::WebFetch { url, .. } => *url,
            ToolCall::WebSearch { query, .. } => *query,
            ToolCall::NotebookEdit { notebook_path, .. }
            | ToolCall::NotebookRead { notebook_path } => *notebook_path,
            ToolCall::Glob { pattern, .. } | ToolCall::Grep { pattern, .. } => *pattern,
            ToolCall::Task { subagent_type, .. } => *subagent_type,
            _ => self.args.text("file_path"),
        }
    }
}

impl<'a> ToolCall<'a> {
    /// The typed input of a call of tool `name`.
    pub fn read(name: &'a str, args: Args<'a>) -> ToolCall<'a> {
        let text = |k: &str| args.text(k);
        match name {
            "Bash" => ToolCall::Bash {
                command: text("command"),
                description: text("description"),
                run_in_background: args.flag("run_in_background").unwrap_or(false),
                timeout: args.number("timeout"),
            },
            "PowerShell" => ToolCall::PowerShell {
                command: text("command"),
            },
            "Monitor" => ToolCall::Monitor {
                command: text("command"),
            },
            "Read" => ToolCall::Read {
                file_path: text("file_path"),
                offset: args.number("offset"),
                limit: args.number("limit"),
            },
            "NotebookRead" => ToolCall::NotebookRead {
                notebook_path: text("notebook_path"),
            },
            "Write" => ToolCall::Write {
                file_path: text("file_path"),
                content: text("content"),
            },
            "Edit" => ToolCall::Edit {
                file_path: text("file_path"),
                old_string: text("old_string"),
                new_string: text("new_string"),
            },
            "MultiEdit" => ToolCall::MultiEdit {
                file_path: text("file_path"),
                edits: edits(args),
            },
            "NotebookEdit" => ToolCall::NotebookEdit {
                notebook_path: text("notebook_path"),
                new_source: text("new_source"),
            },
            "Glob" => ToolCall::Glob {
                pattern: text("pattern"),
                path: text("path"),
            },
            "Grep" => ToolCall::Grep {
                pattern: text("pattern"),
                path: text("path"),
            },
            "LS" => ToolCall::Ls { path: text("path") },
            "WebFetch" => ToolCall::WebFetch {
                url: text("url"),
                prompt: text("prompt"),
            },
            "WebSearch" => ToolCall::WebSearch {
                query: text("query"),
                allowed_domains: args.texts("allowed_domains"),
                blocked_domains: args.texts("blocked_domains"),
            },
            "Task" | "Agent" => ToolCall::Task {
                subagent_type: text("subagent_type"),
                prompt: text("prompt"),
            },
            "TodoWrite" => ToolCall::TodoWrite,
            _ => match name.strip_prefix("mcp__") {
                Some(rest) => {
                    let (server, tool) = rest.split_once("__").unwrap_or((rest, ""));
                    ToolCall::Mcp { server, tool }
                }
                None => ToolCall::Unknown,
            },
        }
    }
}

/// MultiEdit's edits that are objects, each with its old and new text.
fn edits<'a>(args: Args<'a>) -> Vec<EditText<'a>> {
    args.objects("edits")
        .map(|e| EditText {
            old_string: e.text("old_string"),
            new_string: e.text("new_string"),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(name: &str, input: serde_json::Value) -> (ToolCall<'static>, Option<String>) {
        // Leaked: the table's inputs live for the test run.
        let json: &'static Json = Box::leak(Box::new(Json::from(input)));
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        let call = ToolUse::of(name, json).unwrap();
        (call.call.clone(), call.subject().map(str::to_string))
    }

    #[test]
    fn each_tool_reads_its_fields_and_a_wrong_type_reads_as_absent() {
        let cases: Vec<(&str, serde_json::Value, ToolCall<'static>, Option<&str>)> = vec![
            (
                "Bash",
                json!({"command": "ls", "description": "list", "run_in_background": true, "timeout": 5}),
                ToolCall::Bash {
                    command: Some("ls"),
                    description: Some("list"),
                    run_in_background: true,
                    timeout: Some(5),
                },
                Some("ls"),
            ),
            (
                "Bash",
                json!({"command": ["ls"], "run_in_background": "yes", "timeout": -1}),
                ToolCall::Bash {
                    command: None,
                    description: None,
                    run_in_background: false,
                    timeout: None,
                },
                None,
            ),
            (
                "Read",
                json!({"file_path": "/p/a", "offset": 3, "limit": 9}),
                ToolCall::Read {
                    file_path: Some("/p/a"),
                    offset: Some(3),
                    limit: Some(9),
                },
                Some("/p/a"),
            ),
            (
                "Write",
                json!({"file_path": 7, "content": "x"}),
                ToolCall::Write {
                    file_path: None,
                    content: Some("x"),
                },
                None,
            ),
            (
                "MultiEdit",
                json!({"file_path": "/p/a", "edits": [{"old_string": "a", "new_string": "b"}, "junk", {"new_string": 1}]}),
                ToolCall::MultiEdit {
                    file_path: Some("/p/a"),
                    edits: vec![
                        EditText {
                            old_string: Some("a"),
                            new_string: Some("b"),
                        },
                        EditText {
                            old_string: None,
                            new_string: None,
                        },
                    ],
                },
                Some("/p/a"),
            ),
            (
                "NotebookEdit",
                json!({"notebook_path": "/p/n.ipynb", "new_source": "s"}),
                ToolCall::NotebookEdit {
                    notebook_path: Some("/p/n.ipynb"),
                    new_source: Some("s"),
                },
                Some("/p/n.ipynb"),
            ),
            (
                "Glob",
                json!({"pattern": "**/*.rs"}),
                ToolCall::Glob {
                    pattern: Some("**/*.rs"),
                    path: None,
                },
                Some("**/*.rs"),
            ),
            (
                "LS",
                json!({"path": "/p"}),
                ToolCall::Ls { path: Some("/p") },
                None,
            ),
            (
                "WebFetch",
                json!({"url": "https://x.example/", "prompt": "p"}),
                ToolCall::WebFetch {
                    url: Some("https://x.example/"),
                    prompt: Some("p"),
                },
                Some("https://x.example/"),
            ),
            (
                "WebSearch",
                json!({"query": "q", "allowed_domains": ["a.example", 3], "blocked_domains": "b"}),
                ToolCall::WebSearch {
                    query: Some("q"),
                    allowed_domains: vec!["a.example"],
                    blocked_domains: vec![],
                },
                Some("q"),
            ),
            (
                "Agent",
                json!({"subagent_type": "reviewer", "prompt": "p"}),
                ToolCall::Task {
                    subagent_type: Some("reviewer"),
                    prompt: Some("p"),
                },
                Some("reviewer"),
            ),
            ("TodoWrite", json!({"todos": []}), ToolCall::TodoWrite, None),
            (
                "mcp__github__create_issue",
                json!({"file_path": "/p/x"}),
                ToolCall::Mcp {
                    server: "github",
                    tool: "create_issue",
                },
                Some("/p/x"),
            ),
            (
                "mcp__odd",
                json!({}),
                ToolCall::Mcp {
                    server: "odd",
                    tool: "",
                },
                None,
            ),
            (
                "BrandNewTool",
                json!({"file_path": "/p/y"}),
                ToolCall::Unknown,
                Some("/p/y"),
            ),
            ("", json!({}), ToolCall::Unknown, None),
        ];
        for (name, input, want, subject) in cases {
            let (got, got_subject) = read(name, input.clone());
            assert_eq!(got, want, "{name} {input}");
            assert_eq!(got_subject.as_deref(), subject, "{name} {input}");
        }
    }

    #[test]
    fn input_that_is_not_an_object_is_not_a_call() {
        for v in [json!("rm"), json!([1]), json!(null), json!(3)] {
            assert!(ToolUse::of("Bash", &Json::from(v.clone())).is_none(), "{v}");
        }
    }

    #[test]
    fn the_input_is_kept_whole() {
        let input = Json::from(json!({"command": "ls", "description": "d", "x": [1]}));
        let call = ToolUse::of("Bash", &input).unwrap();
        assert_eq!(call.input(), input);
    }
}
