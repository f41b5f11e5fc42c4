//! The walker: an exhaustive match over brush-parser's AST (no `_ =>` arms, so a new syntax
//! form stops the build instead of being skipped), word expansion with recursion into every
//! substitution, and the actions from `argv.rs` (unwrapping, re-parsing, scripts, stdin code).
//!
//! Every recursion is bounded: syntax nesting by the pre-parse scan, re-parsing by
//! `max_reparse_depth`, wrapper chains by `MAX_WRAPPERS`, total parse work by the parse budget.

use std::io::Read;
use std::path::{Path, PathBuf};

use brush_parser::ast;
use brush_parser::word::{Parameter, ParameterExpr, TildeExpr, WordPiece, WordPieceWithSource};

use super::argv::{self, Action, Arg};
use super::words::{decode_ansi_c, has_brace_expansion, has_glob, normalize, program_name};
use super::{
    parse_heredoc, parse_program, parse_word, Analysis, Command, Context, Redirect, RedirectOp,
    Stdin, Unknown, UnknownKind, Word,
};

/// Environment variables whose value some program runs through the shell.
pub(crate) const SHELL_CODE_VARS: &[&str] = &[
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_PAGER",
    "PAGER",
    "GIT_EDITOR",
    "EDITOR",
    "VISUAL",
    "GIT_SEQUENCE_EDITOR",
    "GIT_EXTERNAL_DIFF",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "LESSOPEN",
    "LESSCLOSE",
    "MANPAGER",
    "SYSTEMD_PAGER",
    "BROWSER",
    "PROMPT_COMMAND",
    "FZF_DEFAULT_COMMAND",
    "GIT_PROXY_COMMAND",
    "RSYNC_RSH",
    "CVS_RSH",
    "FCEDIT",
];

/// Builtins that take variable names or arithmetic (where an array subscript is evaluated:
/// `read 'a[$(cmd)]'`, `declare 'a[$(cmd)]=1'`, `let 'x=a[$(cmd)]+1'`). Not `eval`: its text
/// is walked as code, where the same subscripts are found.
const SUBSCRIPT_BUILTINS: &[&str] = &[
    "printf",
    "read",
    "unset",
    "declare",
    "typeset",
    "local",
    "export",
    "readonly",
    "let",
    "test",
    "[",
    "mapfile",
    "readarray",
    "getopts",
    "wait",
    "shift",
];

/// Most separate parses in one analysis (see `Walker::parses_left`).
const MAX_PARSES: usize = 2_000;

/// Longest wrapper chain followed (`sudo env nice … cmd`).
const MAX_WRAPPERS: usize = 32;

/// Directories whose programs are system binaries, not workspace scripts: a path-executed
/// program there is judged by name and not read.
const SYSTEM_DIRS: &[&str] = &[
    "/bin/",
    "/sbin/",
    "/usr/",
    "/lib",
    "/opt/",
    "/nix/",
    "/snap/",
    "/etc/",
    "/System/",
    "/Library/",
];

pub(crate) fn analyze_top(command: &str, cx: &Context<'_>) -> Analysis {
    let mut w = Walker {
        cx,
        commands: Vec::new(),
        unknowns: Vec::new(),
        budget: cx.limits.parse_budget(),
        parses_left: MAX_PARSES,
        reparse_depth: 0,
        via: Vec::new(),
        cwd: normalize(cx.cwd, "."),
        prev_cwd: None,
        dir_stack: Vec::new(),
        stdin: Stdin::Inherited,
        stdin_dynamic: false,
        inherited: Vec::new(),
        scripts: Vec::new(),
        src: String::new(),
        src_offsets: None,
        functions: Vec::new(),
        written: Vec::new(),
        last_output: None,
        pipe_text: None,
        stopped: false,
        constants: Vec::new(),
    };
    w.run_code(command);
    // The same unknown can arise many times (a loop body, a repeated pattern): report it once.
    let mut seen = std::collections::HashSet::new();
    let unknowns: Vec<Unknown> = w
        .unknowns
        .into_iter()
        .filter(|u| seen.insert((u.kind, u.detail.clone(), u.program.clone())))
        .collect();
    Analysis {
        commands: w.commands,
        unknowns,
        functions: w.functions,
        constants: w.constants,
    }
}

struct Walker<'c, 'a> {
    cx: &'c Context<'a>,
    /// Values given to variables without a command (`p=~/.ssh/key`) and `for` loop words.
    constants: Vec<(String, Word)>,
    commands: Vec<Command>,
    unknowns: Vec<Unknown>,
    /// Bytes the parser may still read.
    budget: usize,
    /// Separate parses (substitutions, re-parsed strings) still allowed: each costs a parser
    /// start-up, so thousands of tiny `$(…)` would otherwise take far longer than one big parse.
    parses_left: usize,
    reparse_depth: usize,
    via: Vec<String>,
    cwd: PathBuf,
    prev_cwd: Option<PathBuf>,
    dir_stack: Vec<PathBuf>,
    /// Stdin of commands at this point (a pipe, a compound's redirect…).
    stdin: Stdin,
    /// The stdin text holds dynamic parts (an unquoted heredoc with `$x`).
    stdin_dynamic: bool,
    /// Redirections of enclosing compound commands.
    inherited: Vec<Redirect>,
    /// Scripts being analysed (to stop on recursion).
    scripts: Vec<PathBuf>,
    /// The source text being walked (for the `( (` check, which needs spans).
    src: String,
    /// Byte offset of each character of `src`, built on demand for non-ASCII sources.
    src_offsets: Option<Vec<usize>>,
    /// Names of functions defined by the command.
    functions: Vec<String>,
    /// Files written earlier in this command line, with their content when it is visible
    /// (`cat > x.sh <<EOF`, `echo … > x.sh`). A script run later must be judged by what was
    /// written, not by what is on disk now.
    written: Vec<(PathBuf, Option<String>)>,
    /// Static text the last simple command wrote to stdout (`echo …`, `cat <<EOF`), so that
    /// `echo 'ls' | sh` can be analysed.
    last_output: Option<Output>,
    /// What arrives on the current pipe, when known (the upstream stage's `last_output`).
    pipe_text: Option<Output>,
    /// `max_commands` reached.
    stopped: bool,
}

/// Accumulates one word's expansion.
#[derive(Default)]
struct Exp {
    text: String,
    /// Text with quoted characters masked, for glob/brace detection.
    masked: String,
    dynamic: bool,
    subst: Vec<String>,
    pieces: usize,
    subst_pieces: usize,
}

impl Walker<'_, '_> {
    fn unknown(&mut self, kind: UnknownKind, detail: impl Into<String>, program: Option<&str>) {
        self.unknowns.push(Unknown {
            kind,
            detail: detail.into(),
            program: program.map(str::to_owned),
        });
    }

    // ----- parsing and re-parsing -----

    /// Parse `code` and walk it in the current context.
    fn run_code(&mut self, code: &str) {
        if code.len() > self.budget {
            self.unknown(
                UnknownKind::TooLarge,
                "too much shell code to analyse (nested substitutions or re-parsed strings)",
                None,
            );
            return;
        }
        self.budget -= code.len();
        if self.parses_left == 0 {
            self.unknown(
                UnknownKind::TooLarge,
                format!("more than {MAX_PARSES} substitutions and re-parsed strings"),
                None,
            );
            return;
        }
        self.parses_left -= 1;
        match parse_program(code, &self.cx.limits) {
            Ok(program) => {
                let saved = std::mem::replace(&mut self.src, code.to_owned());
                let saved_offsets = self.src_offsets.take();
                for list in &program.complete_commands {
                    self.walk_list(list);
                }
                self.src_offsets = saved_offsets;
                self.src = saved;
            }
            Err(u) => self.unknowns.push(u),
        }
    }

    /// Walk `code` as a new level of code-in-a-string (`bash -c`, `eval`, heredoc to a shell,
    /// a script file), labelled in `via`.
    fn reparse(&mut self, label: String, code: &str) {
        if self.reparse_depth >= self.cx.limits.max_reparse_depth {
            self.unknown(
                UnknownKind::TooDeep,
                format!(
                    "code nested in strings deeper than {} levels (at `{label}`)",
                    self.cx.limits.max_reparse_depth
                ),
                None,
            );
            return;
        }
        self.reparse_depth += 1;
        self.via.push(label);
        let saved_cwd = self.cwd.clone();
        let saved_inherited = std::mem::take(&mut self.inherited);
        self.run_code(code);
        self.inherited = saved_inherited;
        self.cwd = saved_cwd;
        self.via.pop();
        self.reparse_depth -= 1;
    }

    /// Walk a command substitution or process substitution: its own process, so `cd` inside
    /// does not leak. Returns the programs it runs directly.
    fn run_subst(&mut self, code: &str) -> Vec<String> {
        let start = self.commands.len();
        let saved_cwd = self.cwd.clone();
        let saved_inherited = std::mem::take(&mut self.inherited);
        let saved_out = self.last_output.take();
        self.run_code(code);
        self.last_output = saved_out;
        self.inherited = saved_inherited;
        self.cwd = saved_cwd;
        self.direct_programs(start)
    }

    fn direct_programs(&self, start: usize) -> Vec<String> {
        let depth = self.via.len();
        let mut out: Vec<String> = Vec::new();
        for c in self.commands.get(start..).unwrap_or_default() {
            if c.via.len() == depth && !out.contains(&c.program) {
                out.push(c.program.clone());
            }
        }
        out
    }

    // ----- the AST -----

    fn walk_list(&mut self, list: &ast::CompoundList) {
        for ast::CompoundListItem(and_or, _separator) in &list.0 {
            for (_op, pipeline) in and_or {
                self.walk_pipeline(pipeline);
            }
        }
    }

    fn walk_pipeline(&mut self, p: &ast::Pipeline) {
        let ast::Pipeline {
            timed: _,
            bang: _,
            seq,
        } = p;
        if seq.len() <= 1 {
            for cmd in seq {
                self.walk_command(cmd);
            }
            return;
        }
        let saved_stdin = self.stdin.clone();
        let saved_dyn = self.stdin_dynamic;
        let saved_pipe = self.pipe_text.take();
        let saved_cwd = self.cwd.clone();
        let mut upstream: Option<(Vec<String>, Option<Output>)> = None;
        for cmd in seq {
            if let Some((from, text)) = upstream.take() {
                self.stdin = Stdin::Pipe { from };
                self.stdin_dynamic = false;
                self.pipe_text = text;
            }
            let start = self.commands.len();
            self.last_output = None;
            self.walk_command(cmd);
            let text = if matches!(cmd, ast::Command::Simple(_)) {
                self.last_output.take()
            } else {
                None
            };
            upstream = Some((self.direct_programs(start), text));
            // Each part of a pipeline runs in a subshell: `cd` does not leak.
            self.cwd.clone_from(&saved_cwd);
        }
        self.pipe_text = saved_pipe;
        self.stdin = saved_stdin;
        self.stdin_dynamic = saved_dyn;
    }

    fn walk_command(&mut self, cmd: &ast::Command) {
        match cmd {
            ast::Command::Simple(sc) => self.walk_simple(sc),
            ast::Command::Compound(cc, redirects) => {
                self.with_redirects(redirects.as_ref(), |w| w.walk_compound(cc));
            }
            ast::Command::Function(f) => {
                let ast::FunctionDefinition { fname, body } = f;
                let ast::FunctionBody(cc, redirects) = body;
                // The body runs whenever the function is called: walk it where it is defined.
                if !self.functions.contains(&fname.value) {
                    self.functions.push(fname.value.clone());
                }
                self.via.push(format!("function {}", fname.value));
                let saved_cwd = self.cwd.clone();
                self.with_redirects(redirects.as_ref(), |w| w.walk_compound(cc));
                self.cwd = saved_cwd;
                self.via.pop();
            }
            ast::Command::ExtendedTest(test, redirects) => {
                self.with_redirects(redirects.as_ref(), |w| w.walk_test(&test.expr));
            }
        }
    }

    fn walk_test(&mut self, e: &ast::ExtendedTestExpr) {
        match e {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.walk_test(a);
                self.walk_test(b);
            }
            ast::ExtendedTestExpr::Not(a) | ast::ExtendedTestExpr::Parenthesized(a) => {
                self.walk_test(a)
            }
            // `[[ -v 'a[$(cmd)]' ]]` and arithmetic operands (`-eq`…) evaluate subscripts.
            ast::ExtendedTestExpr::UnaryTest(_, w) => {
                let a = self.expand(&w.value);
                self.subscript_code("[[", &a.word.text);
            }
            ast::ExtendedTestExpr::BinaryTest(_, l, r) => {
                for w in [l, r] {
                    let a = self.expand(&w.value);
                    self.subscript_code("[[", &a.word.text);
                }
            }
        }
    }

    fn walk_compound(&mut self, cc: &ast::CompoundCommand) {
        match cc {
            ast::CompoundCommand::Arithmetic(a) => self.walk_arithmetic_command(a),
            ast::CompoundCommand::ArithmeticForClause(f) => {
                let ast::ArithmeticForClauseCommand {
                    initializer,
                    condition,
                    updater,
                    body,
                    loc: _,
                } = f;
                for e in [initializer, condition, updater].into_iter().flatten() {
                    self.expand(&e.value);
                }
                self.walk_list(&body.list);
            }
            ast::CompoundCommand::BraceGroup(g) => self.walk_list(&g.list),
            ast::CompoundCommand::Subshell(s) => {
                let saved = self.cwd.clone();
                self.walk_list(&s.list);
                self.cwd = saved;
            }
            ast::CompoundCommand::ForClause(f) => {
                let ast::ForClauseCommand {
                    variable_name,
                    values,
                    body,
                    loc: _,
                } = f;
                for v in values.iter().flatten() {
                    let a = self.expand(&v.value);
                    // `for f in ~/.ssh/*`: `$f` in the body is one of these words.
                    self.constants.push((variable_name.clone(), a.word));
                }
                self.walk_list(&body.list);
            }
            ast::CompoundCommand::CaseClause(c) => {
                let ast::CaseClauseCommand {
                    value,
                    cases,
                    loc: _,
                } = c;
                self.expand(&value.value);
                for item in cases {
                    let ast::CaseItem {
                        patterns,
                        cmd,
                        post_action: _,
                        loc: _,
                    } = item;
                    for p in patterns {
                        self.expand(&p.value);
                    }
                    if let Some(list) = cmd {
                        self.walk_list(list);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                let ast::IfClauseCommand {
                    condition,
                    then,
                    elses,
                    loc: _,
                } = i;
                self.walk_list(condition);
                self.walk_list(then);
                for e in elses.iter().flatten() {
                    let ast::ElseClause { condition, body } = e;
                    if let Some(c) = condition {
                        self.walk_list(c);
                    }
                    self.walk_list(body);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                let ast::WhileOrUntilClauseCommand(cond, body, _) = w;
                self.walk_list(cond);
                self.walk_list(&body.list);
            }
            ast::CompoundCommand::Coprocess(c) => {
                let ast::CoprocessCommand {
                    name: _,
                    body,
                    loc: _,
                } = c;
                self.walk_command(body);
            }
        }
    }

    /// brush 0.4 reads `( ( cmd ) )` (nested subshells) as the arithmetic command `((cmd))`.
    /// Real arithmetic starts with two adjacent `(` and ends with two adjacent `)`; anything
    /// else is walked again as commands. Either way, substitutions in it run.
    fn walk_arithmetic_command(&mut self, a: &ast::ArithmeticCommand) {
        let text = self.span_text(a.loc.start.index, a.loc.end.index);
        let t = text.trim();
        if t.starts_with("((") && t.ends_with("))") {
            self.expand(&a.expr.value);
        } else {
            let inner = a.expr.value.clone();
            let saved = self.cwd.clone();
            self.run_code(&inner);
            self.cwd = saved;
        }
    }

    /// An array subscript in a variable name or arithmetic operand is evaluated, running any
    /// substitution in it even when the word itself was quoted: walk those.
    fn subscript_code(&mut self, context: &str, text: &str) {
        if let Some((_, subscript)) = text.split_once('[') {
            if subscript.contains("$(") || subscript.contains('`') {
                let code = format!("\"{}\"", subscript.replace('"', "\\\""));
                self.via.push(format!("{context} subscript"));
                self.expand(&code);
                self.via.pop();
            }
        }
    }

    /// Source text between two *character* indices (brush counts characters, not bytes).
    fn span_text(&mut self, start: usize, end: usize) -> String {
        if self.src.is_ascii() {
            return self.src.get(start..end).unwrap_or_default().to_owned();
        }
        if self.src_offsets.is_none() {
            // Built once per source: slicing by `chars().skip()` per arithmetic command would
            // be quadratic on a long command.
            self.src_offsets = Some(self.src.char_indices().map(|(b, _)| b).collect());
        }
        let offsets = self.src_offsets.as_deref().unwrap_or_default();
        let byte = |i: usize| offsets.get(i).copied().unwrap_or(self.src.len());
        self.src
            .get(byte(start)..byte(end))
            .unwrap_or_default()
            .to_owned()
    }

    /// Walk `f` with a compound command's redirections applied to everything inside it.
    fn with_redirects(&mut self, redirects: Option<&ast::RedirectList>, f: impl FnOnce(&mut Self)) {
        let Some(list) = redirects.filter(|l| !l.0.is_empty()) else {
            f(self);
            return;
        };
        let mut local = Vec::new();
        let mut stdin = None;
        for r in &list.0 {
            self.redirect(r, &mut local, &mut stdin);
        }
        let saved_inherited = self.inherited.clone();
        let saved_stdin = self.stdin.clone();
        let saved_dyn = self.stdin_dynamic;
        self.inherited.extend(local.iter().cloned());
        if let Some((s, d)) = stdin.clone() {
            self.stdin = s;
            self.stdin_dynamic = d;
        }
        let start = self.commands.len();
        f(self);
        if self.commands.len() == start && (!local.is_empty() || stdin.is_some()) {
            self.emit_noop(Vec::new(), stdin);
        }
        self.inherited = saved_inherited;
        self.stdin = saved_stdin;
        self.stdin_dynamic = saved_dyn;
    }

    /// A redirection with no command (`> f`): reported as `:` so its redirections are judged.
    fn emit_noop(&mut self, redirects: Vec<Redirect>, stdin: Option<(Stdin, bool)>) {
        let mut all = self.inherited.clone();
        all.extend(redirects);
        let cmd = Command {
            program: ":".to_owned(),
            args: Vec::new(),
            redirects: all,
            assignments: Vec::new(),
            via: self.via.clone(),
            cwd: self.cwd.clone(),
            stdin: stdin.map_or_else(|| self.stdin.clone(), |(s, _)| s),
            runs_stdin_as_code: false,
        };
        // `> f` alone truncates `f` to nothing.
        self.record_writes(&cmd, Some(Output::Text(String::new())));
        self.push_command(cmd);
    }

    /// Remember files this command writes (see `written`).
    fn record_writes(&mut self, cmd: &Command, output: Option<Output>) {
        let output = match output {
            Some(Output::Text(t)) => Some(t),
            Some(Output::File(_)) | None => None,
        };
        for r in &cmd.redirects {
            if !r.op.writes() || r.target.dynamic {
                continue;
            }
            let path = normalize(&cmd.cwd, &r.target.text);
            let stdout = r.fd.is_none_or(|fd| fd == 1);
            let content = match r.op {
                RedirectOp::Write | RedirectOp::Clobber | RedirectOp::WriteOutErr if stdout => {
                    output.clone()
                }
                RedirectOp::Append | RedirectOp::AppendOutErr if stdout => {
                    let before = self
                        .written
                        .iter()
                        .rev()
                        .find(|(p, _)| *p == path)
                        .map(|(_, c)| c.clone());
                    match (before, &output) {
                        (Some(Some(b)), Some(o)) => Some(format!("{b}{o}")),
                        // Appending to a file as it is on disk: read it later if it is a
                        // script, so only the appended part is unknown when not visible.
                        (None, Some(o)) => read_regular(&path, self.cx.limits.max_script_bytes)
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                            .map(|b| format!("{b}{o}")),
                        _ => None,
                    }
                }
                _ => None,
            };
            self.written.push((path, content));
        }
        // Programs that write files named in their arguments: content unknown.
        let writes_args = matches!(
            cmd.program.as_str(),
            "cp" | "mv"
                | "install"
                | "ln"
                | "tee"
                | "rsync"
                | "sed"
                | "perl"
                | "patch"
                | "truncate"
                | "touch"
        );
        for (k, a) in cmd.args.iter().enumerate() {
            if a.dynamic {
                continue;
            }
            let t = a.text.as_str();
            let target = if writes_args && !t.starts_with('-') {
                Some(t)
            } else if let Some(of) = t.strip_prefix("of=").filter(|_| cmd.program == "dd") {
                Some(of)
            } else if matches!(
                (
                    cmd.program.as_str(),
                    k.checked_sub(1)
                        .and_then(|p| cmd.args.get(p))
                        .map(|w| w.text.as_str())
                ),
                ("curl", Some("-o" | "--output")) | ("wget", Some("-O" | "--output-document"))
            ) {
                Some(t)
            } else {
                None
            };
            if let Some(t) = target {
                self.written.push((normalize(&cmd.cwd, t), None));
            }
        }
    }

    fn push_command(&mut self, c: Command) -> bool {
        if self.commands.len() >= self.cx.limits.max_commands {
            if !self.stopped {
                self.stopped = true;
                self.unknown(
                    UnknownKind::TooManyCommands,
                    format!("more than {} commands", self.cx.limits.max_commands),
                    None,
                );
            }
            return false;
        }
        self.commands.push(c);
        true
    }

    // ----- redirections -----

    fn redirect(
        &mut self,
        r: &ast::IoRedirect,
        out: &mut Vec<Redirect>,
        stdin: &mut Option<(Stdin, bool)>,
    ) {
        match r {
            ast::IoRedirect::File(fd, kind, target) => {
                let fd_u = fd.and_then(|n| u32::try_from(n).ok());
                let op = match kind {
                    ast::IoFileRedirectKind::Read => RedirectOp::Read,
                    ast::IoFileRedirectKind::Write => RedirectOp::Write,
                    ast::IoFileRedirectKind::Append => RedirectOp::Append,
                    ast::IoFileRedirectKind::ReadAndWrite => RedirectOp::ReadWrite,
                    ast::IoFileRedirectKind::Clobber => RedirectOp::Clobber,
                    ast::IoFileRedirectKind::DuplicateInput => RedirectOp::DupIn,
                    ast::IoFileRedirectKind::DuplicateOutput => RedirectOp::DupOut,
                };
                match target {
                    ast::IoFileRedirectTarget::Filename(w) => {
                        let a = self.expand(&w.value);
                        if op == RedirectOp::Read && fd_u.is_none_or(|n| n == 0) {
                            *stdin = Some((Stdin::File(a.word.clone()), false));
                        }
                        out.push(Redirect {
                            op,
                            fd: fd_u,
                            target: a.word,
                        });
                    }
                    ast::IoFileRedirectTarget::Fd(n) => {
                        out.push(Redirect {
                            op,
                            fd: fd_u,
                            target: Word::lit(n.to_string()),
                        });
                    }
                    ast::IoFileRedirectTarget::Duplicate(w) => {
                        let a = self.expand(&w.value);
                        let t = a.text();
                        let is_fd = t == "-"
                            || t.trim_end_matches('-').chars().all(|c| c.is_ascii_digit())
                                && !t.is_empty();
                        // `>&file` (no fd) sends stdout and stderr to a file.
                        let op = match (op, is_fd && !a.word.dynamic) {
                            (RedirectOp::DupOut, false) if fd_u.is_none() => {
                                RedirectOp::WriteOutErr
                            }
                            (RedirectOp::DupOut, false) => RedirectOp::Write,
                            (RedirectOp::DupIn, false) => RedirectOp::Read,
                            (op, _) => op,
                        };
                        out.push(Redirect {
                            op,
                            fd: fd_u,
                            target: a.word,
                        });
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(_kind, sub) => {
                        // A pipe to or from commands, which are walked; not a file. As the
                        // input of a command (`sh < <(curl …)`) it is that command's stdin.
                        let from = self.walk_procsub(sub);
                        if op == RedirectOp::Read && fd_u.is_none_or(|n| n == 0) {
                            *stdin = Some((Stdin::Pipe { from }, true));
                        }
                    }
                }
            }
            ast::IoRedirect::HereDocument(fd, doc) => {
                let ast::IoHereDocument {
                    remove_tabs: _,
                    requires_expansion,
                    here_end: _,
                    doc,
                } = doc;
                let (text, dynamic) = if *requires_expansion {
                    match parse_heredoc(&doc.value) {
                        Ok(pieces) => {
                            let mut e = Exp::default();
                            self.pieces(&doc.value, &pieces, true, &mut e);
                            (e.text, e.dynamic)
                        }
                        Err(u) => {
                            self.unknowns.push(u);
                            (doc.value.clone(), true)
                        }
                    }
                } else {
                    (doc.value.clone(), false)
                };
                if fd.is_none_or(|n| n == 0) {
                    *stdin = Some((Stdin::HereDoc(text), dynamic));
                }
            }
            ast::IoRedirect::HereString(fd, w) => {
                let a = self.expand(&w.value);
                if fd.is_none_or(|n| n == 0) {
                    *stdin = Some((Stdin::HereString(a.word.text), a.word.dynamic));
                }
            }
            ast::IoRedirect::OutputAndError(w, append) => {
                let a = self.expand(&w.value);
                let op = if *append {
                    RedirectOp::AppendOutErr
                } else {
                    RedirectOp::WriteOutErr
                };
                out.push(Redirect {
                    op,
                    fd: None,
                    target: a.word,
                });
            }
        }
    }

    fn walk_procsub(&mut self, sub: &ast::SubshellCommand) -> Vec<String> {
        let start = self.commands.len();
        let saved_cwd = self.cwd.clone();
        let saved_inherited = std::mem::take(&mut self.inherited);
        let saved_stdin = std::mem::take(&mut self.stdin);
        let saved_out = self.last_output.take();
        self.walk_list(&sub.list);
        self.last_output = saved_out;
        self.stdin = saved_stdin;
        self.inherited = saved_inherited;
        self.cwd = saved_cwd;
        self.direct_programs(start)
    }

    // ----- words -----

    /// Expand one raw word: quote removal, static expansions, and a walk of every substitution.
    fn expand(&mut self, raw: &str) -> Arg {
        let pieces = match parse_word(raw) {
            Ok(p) => p,
            Err(u) => {
                self.unknowns.push(u);
                return Arg {
                    word: Word {
                        text: raw.to_owned(),
                        dynamic: true,
                    },
                    subst: Vec::new(),
                    pure_subst: false,
                };
            }
        };
        let mut e = Exp::default();
        self.pieces(raw, &pieces, false, &mut e);
        if has_glob(&e.masked) || has_brace_expansion(&e.masked) {
            e.dynamic = true;
        }
        let pure_subst = e.pieces == 1 && e.subst_pieces == 1;
        Arg {
            word: Word {
                text: e.text,
                dynamic: e.dynamic,
            },
            subst: e.subst,
            pure_subst,
        }
    }

    fn pieces(&mut self, raw: &str, pieces: &[WordPieceWithSource], quoted: bool, e: &mut Exp) {
        for p in pieces {
            let source = raw.get(p.start_index..p.end_index).unwrap_or_default();
            e.pieces += 1;
            match &p.piece {
                WordPiece::Text(t) => {
                    e.text.push_str(t);
                    if quoted {
                        mask(&mut e.masked, t);
                    } else {
                        e.masked.push_str(t);
                    }
                }
                WordPiece::SingleQuotedText(t) => {
                    e.text.push_str(t);
                    mask(&mut e.masked, t);
                }
                WordPiece::AnsiCQuotedText(t) => match decode_ansi_c(t) {
                    Some(d) => {
                        mask(&mut e.masked, &d);
                        e.text.push_str(&d);
                    }
                    None => {
                        e.dynamic = true;
                        e.text.push_str(source);
                    }
                },
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    // The quotes are one piece around the inner ones: `"$(x)"` is still a pure
                    // substitution.
                    e.pieces -= 1;
                    if inner.is_empty() {
                        e.pieces += 1;
                    }
                    self.pieces(raw, inner, true, e);
                }
                WordPiece::TildeExpansion(t) => {
                    let value = match t {
                        TildeExpr::Home => self.cx.home.map(|h| h.display().to_string()),
                        TildeExpr::WorkingDir => Some(self.cwd.display().to_string()),
                        TildeExpr::UserHome(_)
                        | TildeExpr::OldWorkingDir
                        | TildeExpr::NthDirFromTopOfDirStack { .. }
                        | TildeExpr::NthDirFromBottomOfDirStack { .. } => None,
                    };
                    self.static_or_dynamic(value, source, e);
                }
                WordPiece::ParameterExpansion(expr) => {
                    let value = match expr {
                        ParameterExpr::Parameter {
                            parameter: Parameter::Named(name),
                            indirect: false,
                        } => match name.as_str() {
                            "HOME" => self.cx.home.map(|h| h.display().to_string()),
                            "PWD" => Some(self.cwd.display().to_string()),
                            _ => None,
                        },
                        ParameterExpr::Parameter { indirect: true, .. } => {
                            // `${!name}`: the value of the variable named by `$name`.
                            self.unknowns.push(Unknown {
                                kind: UnknownKind::DynamicCommandWord,
                                detail: format!(
                                    "indirect expansion `{source}` names a variable only known when the command runs"
                                ),
                                program: None,
                            });
                            None
                        }
                        _ => None,
                    };
                    // Defaults, patterns and indices can hold substitutions that run.
                    for inner in parameter_strings(expr) {
                        let a = self.expand(&inner);
                        e.subst.extend(a.subst);
                    }
                    self.static_or_dynamic(value, source, e);
                }
                WordPiece::CommandSubstitution(code)
                | WordPiece::BackquotedCommandSubstitution(code) => {
                    let progs = self.run_subst(code);
                    e.subst.extend(progs);
                    e.subst_pieces += 1;
                    e.dynamic = true;
                    e.text.push_str(source);
                    mask(&mut e.masked, source);
                }
                WordPiece::EscapeSequence(s) => {
                    let escaped = s.strip_prefix('\\').unwrap_or(s);
                    if escaped == "\n" {
                        continue;
                    }
                    // Inside double quotes a backslash only escapes `$`, `` ` ``, `"`, `\`.
                    if quoted && !matches!(escaped, "$" | "`" | "\"" | "\\") {
                        e.text.push('\\');
                    }
                    e.text.push_str(escaped);
                    mask(&mut e.masked, escaped);
                }
                WordPiece::ArithmeticExpression(expr) => {
                    let a = self.expand(&expr.value);
                    e.subst.extend(a.subst);
                    e.dynamic = true;
                    e.text.push_str(source);
                    mask(&mut e.masked, source);
                }
            }
        }
    }

    fn static_or_dynamic(&mut self, value: Option<String>, source: &str, e: &mut Exp) {
        match value {
            Some(v) => {
                mask(&mut e.masked, &v);
                e.text.push_str(&v);
            }
            None => {
                e.dynamic = true;
                e.text.push_str(source);
                mask(&mut e.masked, source);
            }
        }
    }

    /// Assignments whose value a program later runs as shell code (`GIT_SSH_COMMAND`,
    /// `PAGER`, …) or sources as a script (`BASH_ENV`, `ENV`).
    fn env_code(&mut self, assignments: &[(String, Word)]) {
        for (name, value) in assignments {
            if !value.dynamic && (value.text.contains("$(") || value.text.contains('`')) {
                // A static value holding `$(…)` runs it if the variable is ever evaluated again
                // (arithmetic `$((x))` with `x='a[$(cmd)]'`, `eval "$x"`, `PS1`): report it.
                self.via.push(format!("value of {name}"));
                let text = value.text.clone();
                self.expand(&format!("\"{}\"", text.replace('"', "\\\"")));
                self.via.pop();
            }
            if SHELL_CODE_VARS.contains(&name.as_str()) && !value.text.is_empty() {
                if value.dynamic {
                    self.unknown(
                        UnknownKind::DynamicCommandWord,
                        format!(
                            "`{name}` holds a command that is not static: `{}`",
                            value.text
                        ),
                        None,
                    );
                }
                self.reparse(format!("env {name}"), &value.text);
            } else if matches!(name.as_str(), "BASH_ENV" | "ENV") && !value.text.is_empty() {
                if value.dynamic {
                    self.unknown(
                        UnknownKind::DynamicCommandWord,
                        format!("`{name}` names a script at a dynamic path `{}`", value.text),
                        None,
                    );
                } else {
                    let path = value.text.clone();
                    self.run_script(&path);
                }
            }
        }
    }

    // ----- simple commands -----

    fn walk_simple(&mut self, sc: &ast::SimpleCommand) {
        let ast::SimpleCommand {
            prefix,
            word_or_name,
            suffix,
        } = sc;
        let mut assignments = Vec::new();
        let mut redirects = Vec::new();
        let mut stdin = None;
        let mut words: Vec<Arg> = Vec::new();
        let prefix_items = prefix.iter().flat_map(|p| p.0.iter());
        for item in prefix_items {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, _) => {
                    if let ast::AssignmentName::ArrayElementName(_, index) = &a.name {
                        // `a[$(cmd)]=1`: the index is expanded (arithmetic for indexed arrays).
                        self.expand(index);
                    }
                    let value = self.assignment_value(&a.value);
                    assignments.push((assignment_name(&a.name), value));
                }
                other => self.prefix_or_suffix(other, &mut words, &mut redirects, &mut stdin),
            }
        }
        if let Some(name) = word_or_name {
            words.push(self.expand(&name.value));
        }
        for item in suffix.iter().flat_map(|s| s.0.iter()) {
            self.prefix_or_suffix(item, &mut words, &mut redirects, &mut stdin);
        }
        self.env_code(&assignments);
        let mut words = words.into_iter();
        match words.next() {
            Some(program) => {
                let (saved_stdin, saved_dyn) = (self.stdin.clone(), self.stdin_dynamic);
                if let Some((s, d)) = stdin {
                    self.stdin = s;
                    self.stdin_dynamic = d;
                    self.pipe_text = None;
                }
                self.last_output = None;
                self.run_command(program, words.collect(), assignments, redirects, 0);
                self.stdin = saved_stdin;
                self.stdin_dynamic = saved_dyn;
            }
            None => {
                self.last_output = None;
                // `p=~/.ssh/key; cat $p`: a later `$p` may be this value.
                self.constants.extend(assignments.iter().cloned());
                if !redirects.is_empty() || stdin.is_some() {
                    self.emit_noop(redirects, stdin);
                }
            }
        }
    }

    fn assignment_value(&mut self, v: &ast::AssignmentValue) -> Word {
        match v {
            ast::AssignmentValue::Scalar(w) => self.expand(&w.value).word,
            ast::AssignmentValue::Array(items) => {
                let mut parts = Vec::new();
                let mut dynamic = false;
                for (key, value) in items {
                    if let Some(k) = key {
                        let a = self.expand(&k.value);
                        dynamic |= a.word.dynamic;
                    }
                    let a = self.expand(&value.value);
                    dynamic |= a.word.dynamic;
                    parts.push(a.word.text);
                }
                Word {
                    text: format!("({})", parts.join(" ")),
                    dynamic,
                }
            }
        }
    }

    fn prefix_or_suffix(
        &mut self,
        item: &ast::CommandPrefixOrSuffixItem,
        words: &mut Vec<Arg>,
        redirects: &mut Vec<Redirect>,
        stdin: &mut Option<(Stdin, bool)>,
    ) {
        match item {
            ast::CommandPrefixOrSuffixItem::IoRedirect(r) => self.redirect(r, redirects, stdin),
            ast::CommandPrefixOrSuffixItem::Word(w) => words.push(self.expand(&w.value)),
            ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                // After the command word (`export A=$(x)`, `declare`): an argument. Array
                // elements hold their own substitutions.
                if let ast::AssignmentValue::Array(_) = &a.value {
                    let _ = self.assignment_value(&a.value);
                }
                words.push(self.expand(&w.value));
            }
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(kind, sub) => {
                let programs = self.walk_procsub(sub);
                let text = match kind {
                    ast::ProcessSubstitutionKind::Read => "<(…)",
                    ast::ProcessSubstitutionKind::Write => ">(…)",
                };
                words.push(Arg {
                    word: Word {
                        text: text.to_owned(),
                        dynamic: true,
                    },
                    subst: programs,
                    pure_subst: true,
                });
            }
        }
    }

    /// Report a command and follow what it runs. `depth` counts wrappers.
    fn run_command(
        &mut self,
        program: Arg,
        args: Vec<Arg>,
        assignments: Vec<(String, Word)>,
        redirects: Vec<Redirect>,
        depth: usize,
    ) {
        if self.stopped {
            return;
        }
        if depth > MAX_WRAPPERS {
            self.unknown(
                UnknownKind::TooDeep,
                format!("more than {MAX_WRAPPERS} nested wrappers"),
                None,
            );
            return;
        }
        let raw = program.word.text.clone();
        let dynamic = program.word.dynamic;
        let name = if dynamic {
            raw.clone()
        } else {
            program_name(&raw)
        };
        if name.is_empty() {
            // `"" args`: bash reports "command not found" and runs nothing.
            return;
        }
        if dynamic {
            self.unknown(
                UnknownKind::DynamicCommandWord,
                format!("the command word `{raw}` is not static"),
                None,
            );
        }
        let actions = if dynamic {
            Vec::new()
        } else {
            argv::classify(&name, &args)
        };
        let stdin_code = actions
            .iter()
            .any(|a| matches!(a, Action::ShellStdin { .. } | Action::InterpStdin { .. }));
        let mut all_redirects = self.inherited.clone();
        all_redirects.extend(redirects);
        let env = assignments.clone();
        let output = if dynamic {
            None
        } else {
            output_of(&name, &args, &self.stdin)
        };
        let cmd = Command {
            program: name.clone(),
            args: args.iter().map(|a| a.word.clone()).collect(),
            redirects: all_redirects,
            assignments,
            via: self.via.clone(),
            cwd: self.cwd.clone(),
            stdin: self.stdin.clone(),
            runs_stdin_as_code: stdin_code,
        };
        self.record_writes(&cmd, output);
        if !self.push_command(cmd) {
            return;
        }
        if !dynamic && raw.contains('/') {
            self.path_executed(&raw);
        }
        for action in actions {
            self.act(&name, action, &args, &env, depth);
        }
        // `cd` through a wrapper (`sudo cd x`) does not move this shell.
        if depth == 0 {
            self.builtin_state(&name, &args);
        }
        if SUBSCRIPT_BUILTINS.contains(&name.as_str()) {
            // `printf -v 'a[$(cmd)]'`, `read 'a[$(cmd)]'`, `unset 'a[$(cmd)]'`: bash evaluates
            // an array subscript in a variable-name argument, running its substitutions.
            for a in args.iter().filter(|a| !a.word.dynamic) {
                self.subscript_code(&name, a.text());
            }
        }
        if matches!(
            name.as_str(),
            "export" | "declare" | "typeset" | "local" | "readonly"
        ) {
            let exported: Vec<(String, Word)> = args
                .iter()
                .filter_map(|a| {
                    let (n, v) = a.text().split_once('=')?;
                    Some((
                        n.to_owned(),
                        Word {
                            text: v.to_owned(),
                            dynamic: a.word.dynamic,
                        },
                    ))
                })
                .collect();
            self.env_code(&exported);
        }
        self.last_output = output_of(&name, &args, &self.stdin);
    }

    fn act(
        &mut self,
        program: &str,
        action: Action,
        args: &[Arg],
        inherited_env: &[(String, Word)],
        depth: usize,
    ) {
        match action {
            Action::Exec {
                label,
                start,
                end,
                assignments,
                chdir,
                own_stdin,
            } => {
                self.env_code(&assignments);
                let Some(inner) = args.get(start).cloned() else {
                    return;
                };
                let inner_args = args.get(start + 1..end).unwrap_or_default().to_vec();
                let saved_cwd = self.cwd.clone();
                let saved_stdin = self.stdin.clone();
                if let Some(dir) = chdir {
                    if dir.dynamic {
                        self.unknown(
                            UnknownKind::DynamicCd,
                            format!("`{label}` changes to a dynamic directory `{}`", dir.text),
                            None,
                        );
                    } else {
                        self.cwd = normalize(&self.cwd, &dir.text);
                    }
                }
                if own_stdin {
                    self.stdin = Stdin::Inherited;
                    // `xargs sh`, `find -exec python3 {} ;`: the script comes from stdin data or
                    // the found files, so what runs is not known.
                    let inner_name = program_name(inner.text());
                    let reads_script = !inner.word.dynamic
                        && (argv::classify(&inner_name, &inner_args).iter().any(|a| {
                            matches!(a, Action::ShellStdin { .. } | Action::InterpStdin { .. })
                        }) || (argv::is_shell(&inner_name)
                            && inner_args.first().is_some_and(|a| a.text() == "{}")));
                    if reads_script {
                        self.unknown(
                            UnknownKind::DynamicCommandWord,
                            format!("`{label} {inner_name}` runs scripts named at run time"),
                            None,
                        );
                    }
                }
                // The wrapped command inherits the wrapper's environment.
                let mut env = inherited_env.to_vec();
                env.extend(assignments);
                self.via.push(label);
                self.run_command(inner, inner_args, env, Vec::new(), depth + 1);
                self.via.pop();
                self.stdin = saved_stdin;
                self.cwd = saved_cwd;
            }
            Action::Shell {
                label,
                code,
                dynamic,
            } => {
                if dynamic {
                    self.unknown(
                        UnknownKind::DynamicCommandWord,
                        format!("`{label}` runs a string that is not static: `{code}`"),
                        None,
                    );
                }
                self.reparse(label, &code);
            }
            Action::Script { arg } => {
                if let Some(a) = args.get(arg) {
                    if a.pure_subst && a.word.dynamic {
                        self.unknown(
                            UnknownKind::EvalOfSubstitution,
                            format!("`{program}` runs the output of `{}`", a.subst.join(", ")),
                            a.subst.first().map(String::as_str),
                        );
                    } else if a.word.dynamic {
                        self.unknown(
                            UnknownKind::DynamicCommandWord,
                            format!(
                                "`{program}` runs a script at a dynamic path `{}`",
                                a.word.text
                            ),
                            None,
                        );
                    } else if matches!(a.text(), "/dev/stdin" | "/dev/fd/0" | "-") {
                        self.shell_stdin(program);
                    } else {
                        let text = a.word.text.clone();
                        self.run_script(&text);
                    }
                }
            }
            Action::ShellStdin { shell } => self.shell_stdin(&shell),
            Action::InterpStdin { interp } => {
                let source = match &self.stdin {
                    Stdin::Inherited => None,
                    Stdin::Pipe { from } => Some(format!("piped from `{}`", from.join(", "))),
                    Stdin::HereDoc(_) => Some("from a here-document".to_owned()),
                    Stdin::HereString(_) => Some("from a here-string".to_owned()),
                    Stdin::File(w) => Some(format!("from `{}`", w.text)),
                };
                if let Some(s) = source {
                    self.unknown(
                        UnknownKind::OpaqueStdinCode,
                        format!("`{interp}` runs code {s}"),
                        Some(&interp),
                    );
                }
            }
            Action::Inline { interp, detail } => {
                self.unknown(UnknownKind::InlineCode, detail, Some(&interp))
            }
            Action::EvalSubst { programs, detail } => {
                self.unknown(
                    UnknownKind::EvalOfSubstitution,
                    detail,
                    programs.first().map(String::as_str),
                );
            }
            Action::Dynamic { detail } => {
                self.unknown(UnknownKind::DynamicCommandWord, detail, None)
            }
        }
    }

    /// A shell reading code from stdin: analyse it when it is visible (heredoc, here-string,
    /// `echo … |`, `< file`), otherwise it is opaque.
    fn shell_stdin(&mut self, shell: &str) {
        let dynamic = self.stdin_dynamic;
        match self.stdin.clone() {
            Stdin::Inherited => {}
            Stdin::HereDoc(text) | Stdin::HereString(text) => {
                if dynamic {
                    self.unknown(
                        UnknownKind::DynamicCommandWord,
                        format!("`{shell}` runs a here-document with dynamic parts"),
                        None,
                    );
                }
                self.reparse(format!("{shell} <<"), &text);
            }
            Stdin::Pipe { from } => match self.pipe_text.clone() {
                Some(Output::Text(text)) => {
                    self.reparse(format!("{} | {shell}", from.join(" ")), &text)
                }
                // `cat x.sh | bash`: the script file, read like `bash x.sh`.
                Some(Output::File(path)) => self.run_script(&path),
                None => self.unknown(
                    UnknownKind::OpaqueStdinCode,
                    format!("`{shell}` runs code piped from `{}`", from.join(", ")),
                    Some(shell),
                ),
            },
            Stdin::File(w) => {
                if w.dynamic {
                    self.unknown(
                        UnknownKind::OpaqueStdinCode,
                        format!("`{shell}` runs code from `{}`", w.text),
                        Some(shell),
                    );
                } else {
                    self.run_script(&w.text);
                }
            }
        }
    }

    /// `./x.sh`, `scripts/y`, `/tmp/z`: a program run by path. Shell scripts (by shebang, or
    /// text with none) are analysed; binaries and other interpreters are judged by name.
    fn path_executed(&mut self, raw: &str) {
        if raw.starts_with('/') && SYSTEM_DIRS.iter().any(|d| raw.starts_with(d)) {
            return;
        }
        if !self.cx.read_scripts {
            self.unknown(
                UnknownKind::ScriptUnreadable,
                format!("`{raw}` may be a script and reading scripts is disabled"),
                None,
            );
            return;
        }
        let head = match self.script_source(raw, 512) {
            Ok(h) => h,
            Err(why) => {
                self.unknown(
                    UnknownKind::ScriptUnreadable,
                    format!("`{raw}`: {why}"),
                    None,
                );
                return;
            }
        };
        if head.starts_with(b"\x7fELF") || head.contains(&0) {
            return;
        }
        if let Some(line) = head.strip_prefix(b"#!") {
            let line = String::from_utf8_lossy(line);
            let first_line = line.lines().next().unwrap_or_default();
            let mut parts = first_line.split_whitespace();
            let interp = parts.next().map(program_name).unwrap_or_default();
            let interp = if interp == "env" {
                parts
                    .find(|p| !p.starts_with('-'))
                    .map(program_name)
                    .unwrap_or_default()
            } else {
                interp
            };
            if !argv::is_shell(&interp) {
                return;
            }
        }
        self.run_script(raw);
    }

    fn script_path(&self, raw: &str) -> PathBuf {
        match (raw.strip_prefix("~/"), self.cx.home) {
            (Some(rest), Some(h)) => normalize(h, rest),
            _ => normalize(&self.cwd, raw),
        }
    }

    /// The bytes a script will have when it runs: what this command line wrote to it earlier,
    /// if anything, else what is on disk now.
    fn script_source(&self, raw: &str, limit: usize) -> Result<Vec<u8>, String> {
        let path = self.script_path(raw);
        match self.written.iter().rev().find(|(p, _)| *p == path) {
            Some((_, Some(content))) => {
                let mut b = content.as_bytes().to_vec();
                b.truncate(limit);
                Ok(b)
            }
            Some((_, None)) => {
                Err("is changed earlier in this command in a way that cannot be seen".to_owned())
            }
            None => read_regular(&path, limit),
        }
    }

    /// Read a shell script and walk it (`via: script <path>`).
    fn run_script(&mut self, raw: &str) {
        if !self.cx.read_scripts {
            self.unknown(
                UnknownKind::ScriptUnreadable,
                format!("`{raw}` is a script and reading scripts is disabled"),
                None,
            );
            return;
        }
        let path = self.script_path(raw);
        if self.scripts.contains(&path) {
            // Already being analysed further up: nothing new to find.
            return;
        }
        let max = self.cx.limits.max_script_bytes;
        let bytes = match self.script_source(raw, max.saturating_add(1)) {
            Ok(b) if b.len() > max => {
                self.unknown(
                    UnknownKind::ScriptUnreadable,
                    format!("`{raw}` is larger than {max} bytes"),
                    None,
                );
                return;
            }
            Ok(b) => b,
            Err(why) => {
                self.unknown(
                    UnknownKind::ScriptUnreadable,
                    format!("`{raw}`: {why}"),
                    None,
                );
                return;
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            self.unknown(
                UnknownKind::ScriptUnreadable,
                format!("`{raw}` is not UTF-8 text"),
                None,
            );
            return;
        };
        self.scripts.push(path);
        let saved_stdin = std::mem::take(&mut self.stdin);
        let saved_pipe = self.pipe_text.take();
        self.reparse(format!("script {raw}"), &text);
        self.pipe_text = saved_pipe;
        self.stdin = saved_stdin;
        self.scripts.pop();
    }

    /// Shell state that later commands see: the working directory.
    fn builtin_state(&mut self, program: &str, args: &[Arg]) {
        match program {
            "cd" | "pushd" => {
                let operand = args.iter().find(|a| {
                    !(a.text().starts_with('-') && a.text().len() > 1 && !a.word.dynamic)
                });
                let target = match operand {
                    None if program == "cd" => self.cx.home.map(Path::to_path_buf),
                    None => return,
                    Some(a) if a.word.dynamic => None,
                    Some(a) if a.text() == "-" => self.prev_cwd.clone(),
                    Some(a) => Some(normalize(&self.cwd, a.text())),
                };
                match target {
                    Some(t) => {
                        if program == "pushd" {
                            self.dir_stack.push(self.cwd.clone());
                        }
                        self.prev_cwd = Some(std::mem::replace(&mut self.cwd, t));
                    }
                    None => {
                        let shown = operand.map_or("~", |a| a.text()).to_owned();
                        self.unknown(
                            UnknownKind::DynamicCd,
                            format!("`{program} {shown}`: later relative paths are unknown"),
                            None,
                        );
                    }
                }
            }
            "popd" => match self.dir_stack.pop() {
                Some(d) => self.prev_cwd = Some(std::mem::replace(&mut self.cwd, d)),
                None => self.unknown(
                    UnknownKind::DynamicCd,
                    "`popd` with no known directory stack",
                    None,
                ),
            },
            _ => {}
        }
    }
}

/// Static stdout of simple producers, so `echo 'ls' | sh` and `cat <<EOF | sh` can be read.
/// What a simple producer writes to stdout, when that is known statically.
#[derive(Clone, Debug)]
enum Output {
    /// `echo …`, `cat <<EOF`.
    Text(String),
    /// `cat FILE`: the file's content (read only if a shell consumes it).
    File(String),
}

fn output_of(program: &str, args: &[Arg], stdin: &Stdin) -> Option<Output> {
    if args.iter().any(|a| a.word.dynamic) {
        return None;
    }
    match program {
        "echo" => {
            let flags: Vec<&str> = args
                .iter()
                .map(Arg::text)
                .take_while(|t| matches!(*t, "-n" | "-e" | "-E" | "-ne" | "-en"))
                .collect();
            let words: Vec<&str> = args.iter().map(Arg::text).skip(flags.len()).collect();
            let text = words.join(" ");
            // `echo -e 'ls\nrm -rf ~'` writes two lines: decode, or give up on what is not
            // decoded exactly (then a shell reading it is opaque, never misread).
            if flags.iter().any(|f| f.contains('e')) && text.contains('\\') {
                return decode_escapes(&text).map(Output::Text);
            }
            Some(Output::Text(text))
        }
        // `printf 'rm -rf /\n' | sh`, `printf '%s\n' 'rm -rf /' | sh`: a format of text,
        // simple escapes and `%s` only; anything else is not known statically.
        "printf" => {
            let mut words = args.iter().map(Arg::text);
            let mut format = words.next()?;
            if format == "--" {
                format = words.next()?;
            }
            if format.starts_with('-') {
                return None;
            }
            let values: Vec<&str> = words.collect();
            let pieces: Vec<String> = format
                .split("%s")
                .map(|lit| {
                    if lit.contains('%') {
                        None
                    } else {
                        decode_escapes(lit)
                    }
                })
                .collect::<Option<Vec<String>>>()?;
            let slots = pieces.len().saturating_sub(1);
            let mut out = String::new();
            let mut next = 0;
            // The format is reused until every value is consumed (at least once).
            loop {
                for (i, piece) in pieces.iter().enumerate() {
                    out.push_str(piece);
                    if i < slots {
                        out.push_str(values.get(next).copied().unwrap_or(""));
                        next += 1;
                    }
                }
                if slots == 0 || next >= values.len() {
                    break;
                }
            }
            Some(Output::Text(out))
        }
        "cat" => match (args, stdin) {
            ([], Stdin::HereDoc(t) | Stdin::HereString(t)) => Some(Output::Text(t.clone())),
            ([], Stdin::File(w)) if !w.dynamic => Some(Output::File(w.text.clone())),
            ([file], _) if file.text() != "-" && !file.text().starts_with('-') => {
                Some(Output::File(file.text().to_owned()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The backslash escapes `printf` formats and `echo -e` share, decoded; `None` for the ones
/// that are not decoded here (`\x41`, `\0101`, `\c`, `\u…`).
fn decode_escapes(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            'e' | 'E' => '\u{1b}',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            _ => return None,
        });
    }
    Some(out)
}

fn mask(masked: &mut String, text: &str) {
    masked.extend(text.chars().map(|_| 'x'));
}

fn assignment_name(n: &ast::AssignmentName) -> String {
    match n {
        ast::AssignmentName::VariableName(v) => v.clone(),
        ast::AssignmentName::ArrayElementName(v, i) => format!("{v}[{i}]"),
    }
}

/// Strings inside a parameter expansion that undergo expansion themselves.
fn parameter_strings(expr: &ParameterExpr) -> Vec<String> {
    let mut out = Vec::new();
    let param = |p: &Parameter, out: &mut Vec<String>| {
        if let Parameter::NamedWithIndex { index, .. } = p {
            out.push(index.clone());
        }
    };
    match expr {
        ParameterExpr::Parameter { parameter, .. }
        | ParameterExpr::ParameterLength { parameter, .. }
        | ParameterExpr::Transform { parameter, .. } => param(parameter, &mut out),
        ParameterExpr::UseDefaultValues {
            parameter,
            default_value: s,
            ..
        }
        | ParameterExpr::AssignDefaultValues {
            parameter,
            default_value: s,
            ..
        }
        | ParameterExpr::IndicateErrorIfNullOrUnset {
            parameter,
            error_message: s,
            ..
        }
        | ParameterExpr::UseAlternativeValue {
            parameter,
            alternative_value: s,
            ..
        }
        | ParameterExpr::RemoveSmallestSuffixPattern {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::RemoveLargestSuffixPattern {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::RemoveSmallestPrefixPattern {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::RemoveLargestPrefixPattern {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::UppercaseFirstChar {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::UppercasePattern {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::LowercaseFirstChar {
            parameter,
            pattern: s,
            ..
        }
        | ParameterExpr::LowercasePattern {
            parameter,
            pattern: s,
            ..
        } => {
            param(parameter, &mut out);
            out.extend(s.iter().cloned());
        }
        ParameterExpr::Substring {
            parameter,
            offset,
            length,
            ..
        } => {
            param(parameter, &mut out);
            out.push(offset.value.clone());
            out.extend(length.iter().map(|l| l.value.clone()));
        }
        ParameterExpr::ReplaceSubstring {
            parameter,
            pattern,
            replacement,
            ..
        } => {
            param(parameter, &mut out);
            out.push(pattern.clone());
            out.extend(replacement.iter().cloned());
        }
        ParameterExpr::VariableNames { .. } | ParameterExpr::MemberKeys { .. } => {}
    }
    out
}

/// Read up to `limit` bytes of a regular file without blocking on FIFOs or devices (a hang
/// would let the call run once the hook times out).
fn read_regular(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        opts.custom_flags(0o4000);
    }
    #[cfg(target_os = "macos")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(0x4);
    }
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            "does not exist (it may be created earlier in the same command)".to_owned()
        }
        _ => format!("cannot be read ({e})"),
    })?;
    if !meta.is_file() {
        return Err("is not a regular file".to_owned());
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("cannot be opened ({e})"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot be read ({e})"))?;
    if !meta.is_file() {
        return Err("is not a regular file".to_owned());
    }
    let mut buf = Vec::new();
    file.take(u64::try_from(limit).unwrap_or(u64::MAX))
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot be read ({e})"))?;
    Ok(buf)
}
