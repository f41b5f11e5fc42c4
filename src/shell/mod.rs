//! Bash command analysis: turns the `command` string of a Bash tool call into every command bash
//! would run, with its arguments, redirections, working directory and the wrappers that led to
//! it.
//!
//! What belongs here: parsing (through `brush-parser`, which no module outside `shell` may
//! import), walking the syntax tree, quote removal, wrapper unwrapping (`sudo`, `env`, `xargs`,
//! `find -exec`, …), re-parsing code hidden in strings (`bash -c`, `eval`, `trap`, `git -c
//! alias.x='!…'`, here-documents fed to a shell), reading shell scripts that the command runs,
//! and following `cd`. What does not: deciding allow/deny. That is the policy judge's job; it
//! consumes an [`Analysis`].
//!
//! Layout: `limits.rs` is the pre-parse nesting scan, `walk.rs` the AST walker, `argv.rs` what
//! a command does with its arguments (wrappers, interpreters), `words.rs` word helpers.
//!
//! # The contract
//!
//! ```text
//! pub fn analyze(command: &str, cx: &Context<'_>) -> Analysis
//! ```
//!
//! * It never panics and never recurses without a bound. Every parse goes through
//!   `parse_program`: size limit, a lexical pre-parse nesting scan (`limits::scan`), a size ×
//!   nesting work bound, and `catch_unwind`. The analysis runs with a stack sized from a
//!   quote-blind upper bound on nesting (`limits::opener_bound`), so even a scan fooled by
//!   quoting cannot make the parser overflow the stack (which would abort the hook and let the
//!   call run): on the calling thread when [`with_declared_stack`] declared enough of its stack
//!   free (the hook's judge thread does), else on a thread of its own sized for the input.
//! * [`Analysis::commands`] lists every command found, in source order, *including* commands
//!   inside `$(…)`, backticks, process substitutions, function bodies (walked where they are
//!   defined, because they run when called), heredocs fed to shells, re-parsed strings and
//!   scripts read from disk. Wrappers are reported twice: the wrapper itself (`sudo`) and the
//!   unwrapped command (`rm` with `via: ["sudo"]`).
//! * [`Analysis::unknowns`] lists what could not be analysed. **Any `Unknown` means the caller
//!   must not answer "allow"**, except where a kind's documentation says the judge may look
//!   closer ([`UnknownKind::EvalOfSubstitution`], [`UnknownKind::InlineCode`]). The commands
//!   that were found are still reported next to the unknowns, so a judge can deny on them.
//! * Over-reporting is allowed (a function body that is never called, both arms of an `if`);
//!   missing something that runs is a bug.
//!
//! # What the judge must know
//!
//! * `program` is the basename after quote removal: `\rm`, `r''m`, `"r"m`, `$'\x72\x6d'`,
//!   `/bin/rm` all give `rm`. A dynamic command word (`$x`, `$(…)`, globs, braces) gives an
//!   `Unknown` of kind `DynamicCommandWord` and a `Command` whose `program` is the raw text.
//! * Flags are not split (`-rf` stays `-rf`) and not interpreted, except where needed to find
//!   the wrapped command.
//! * A redirection with no command (`> f`) is reported as the no-op builtin `:` carrying the
//!   redirection, so write-path rules still see it. Redirections on a compound command
//!   (`{ …; } > f`, `while …; done < list`) are attached to every command inside it.
//!   Process substitutions used as redirection targets (`> >(tee x)`) are pipes, not files:
//!   their commands are reported, no `Redirect` is.
//! * `cd`/`pushd`/`popd` are followed as if they succeed; subshells, pipeline parts and
//!   substitutions restore the directory afterwards. `env -C dir` moves the wrapped command.
//! * Scripts: `bash x.sh`, `sh -s < x.sh`, `./x.sh` (shell shebang or none), `source`/`.` are
//!   read from disk (regular files only, never blocking on a FIFO) and walked with
//!   `via: ["script <path>"]`. If the same command line wrote the file first
//!   (`cat > x.sh <<EOF … EOF; bash x.sh`, `echo … > x.sh`), the written content is analysed
//!   instead of the stale file on disk; if it changed the file in a way that cannot be seen
//!   (`cp`, `mv`, `tee`, `curl -o`, `sed -i`, …), the script is `ScriptUnreadable`.
//!   Programs run by path under system directories (`/usr/bin/…`) and non-shell scripts
//!   (`./x.py`) are judged by name and not read.
//! * Code deferred in data is reported where it would run: `x='a[$(cmd)]'` (arithmetic
//!   evaluation of `$x` runs `cmd`), `printf -v 'a[$(cmd)]'`, `GIT_SSH_COMMAND='cmd' git …`,
//!   `PAGER=…`, `BASH_ENV=script`; those commands carry `via: ["value of x"]`,
//!   `["printf subscript"]`, `["env GIT_SSH_COMMAND"]`.
//! * `via` labels: the wrapper name (`sudo`, `env`, `xargs`, `timeout`), `find -exec`,
//!   `bash -c`, `eval`, `trap`, `alias`, `git -c alias.x`, `bash <<` (heredoc/here-string fed
//!   to a shell), `echo | sh` style (`<upstream> | sh`), `script <path>` (a script read from
//!   disk), `function <name>` (a function body).
pub(crate) mod argv;
pub(crate) mod limits;
#[cfg(test)]
mod tests;
pub(crate) mod walk;
pub(crate) mod words;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Bounds on the work `analyze` does. Every bound that is hit yields an [`Unknown`], never a
/// panic or a silent truncation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest command string (and largest string re-parsed from it) accepted. The total
    /// parse work across all re-parses is bounded at 8× this.
    pub max_bytes: usize,
    /// Deepest nesting of `(`, `{`, `$(`, backticks, `if`/`case`/`while`/… accepted, measured by
    /// a lexical scan *before* the parser runs (the parser recurses and would overflow the
    /// stack on deep input, which aborts the process and lets the tool call run).
    pub max_nesting: usize,
    /// How many times code inside a string may be parsed again: `bash -c`, `eval`, heredocs fed
    /// to a shell, scripts read from disk.
    pub max_reparse_depth: usize,
    /// Most commands reported; past it the rest is an `Unknown` of kind `TooManyCommands`.
    pub max_commands: usize,
    /// Largest script file read from disk.
    pub max_script_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024,
            max_nesting: 64,
            max_reparse_depth: 8,
            max_commands: 10_000,
            max_script_bytes: 256 * 1024,
        }
    }
}

impl Limits {
    /// Total bytes the parser may read across every re-parse of one command (substitutions are
    /// parsed again as their own programs, so nesting multiplies work). Past it: `TooLarge`.
    fn parse_budget(&self) -> usize {
        self.max_bytes.saturating_mul(8)
    }
}

/// Where and how the command runs.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    /// The working directory of the Bash tool call.
    pub cwd: &'a Path,
    /// `$HOME`, used to expand `~`, `$HOME` and `${HOME}`. Without it these words are dynamic.
    pub home: Option<&'a Path>,
    /// Whether to read shell scripts the command runs (`bash x.sh`, `./x.sh`, `source f`).
    /// When false, running a script is an `Unknown` of kind `ScriptUnreadable`.
    pub read_scripts: bool,
    /// Work bounds.
    pub limits: Limits,
}

/// The result of [`analyze`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Every command bash would run, in source order (substitutions before the command that
    /// uses them, wrappers before what they wrap).
    pub commands: Vec<Command>,
    /// What could not be analysed. Non-empty ⇒ the caller must not answer "allow" (see the
    /// kinds for the two that a judge may examine further).
    pub unknowns: Vec<Unknown>,
    /// Names of shell functions the command defines. Their bodies are already in `commands`
    /// (with `via: ["function NAME"]`); a command whose `program` is one of these names is a
    /// call to that function, not to a program on `PATH`.
    pub functions: Vec<String>,
    /// Values variables are given in the command without a command word (`p=~/.ssh/key`) and
    /// the words a `for` loop runs over, in source order. A later `$p` may expand to any of
    /// them (the judge checks each; which one is not tracked).
    pub constants: Vec<(String, Word)>,
}

impl Analysis {
    /// True when nothing was left unanalysed.
    pub fn is_complete(&self) -> bool {
        self.unknowns.is_empty()
    }

    /// The program names, in order (handy for rules and tests).
    pub fn programs(&self) -> Vec<&str> {
        self.commands.iter().map(|c| c.program.as_str()).collect()
    }

    /// Whether an unknown of this kind was reported.
    pub fn has_unknown(&self, kind: UnknownKind) -> bool {
        self.unknowns.iter().any(|u| u.kind == kind)
    }
}

/// Something the analysis could not see through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    /// What went wrong; the judge keys on this.
    pub kind: UnknownKind,
    /// Human text for a reason message.
    pub detail: String,
    /// The program involved, when there is one: the interpreter for `InlineCode` and
    /// `OpaqueStdinCode`, the program whose output is evaluated for `EvalOfSubstitution`.
    pub program: Option<String>,
}

/// Kinds of [`Unknown`]. Unless stated otherwise, each one means "ask (or deny), never allow".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnknownKind {
    /// The command (or a string re-parsed from it, or the total parse work) is over the size
    /// limits.
    TooLarge,
    /// Nesting is over `max_nesting`, re-parsing is over `max_reparse_depth`, or a wrapper chain
    /// is too long.
    TooDeep,
    /// More than `max_commands` commands.
    TooManyCommands,
    /// The parser rejected the input (or panicked). Bash may still run part of it: a syntax
    /// error on line 2 does not stop line 1.
    ParseError,
    /// bash 5.3 `${ cmd; }` / `${| cmd; }`: runs code that no parser exposes.
    FunctionSubstitution,
    /// A command word that is not static after quote removal (`$x`, `$(…)`, `${x:-rm}`,
    /// `$IFS` tricks, brace expansion, globs), or a string that is run as code (`bash -c "$x"`,
    /// `eval "$x"`) and is not static. What could be seen is still reported.
    DynamicCommandWord,
    /// `cd` to a directory that is not static: later relative paths are not known.
    DynamicCd,
    /// An interpreter runs code from its stdin and that code is not visible: `curl … | sh`,
    /// `base64 -d | bash`, `python3 < file`. `program` names the interpreter and `detail` the
    /// source.
    OpaqueStdinCode,
    /// `eval "$(prog …)"`, `source <(prog …)`, `bash <(prog …)`, `bash -c "$(prog)"`: the output
    /// of `prog` is run as code. `prog`'s own command is reported normally; `program` names it,
    /// so a judge may allow well-known generators (`direnv hook bash`, `ssh-agent -s`,
    /// `kubectl completion bash`).
    EvalOfSubstitution,
    /// Code in another language passed inline or from a file (`python3 -c`, `node -e`,
    /// `perl -e`, `ruby -e`, `php -r`, awk programs that call `system`, pipe or write files,
    /// `awk -f`, sed scripts with `e`/`w`). `program` names the interpreter; a judge may allow
    /// interpreters by policy.
    InlineCode,
    /// A shell script the command runs could not be read: missing (maybe created earlier in the
    /// same command), not a regular file, too large, not UTF-8, or reading is disabled.
    ScriptUnreadable,
}

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::TooLarge => "too large to analyse",
            Self::TooDeep => "nested too deeply to analyse",
            Self::TooManyCommands => "too many commands to analyse",
            Self::ParseError => "not parseable",
            Self::FunctionSubstitution => "bash 5.3 function substitution",
            Self::DynamicCommandWord => "dynamic command",
            Self::DynamicCd => "cd to a dynamic directory",
            Self::OpaqueStdinCode => "interpreter reads code from stdin",
            Self::EvalOfSubstitution => "evaluates the output of a command",
            Self::InlineCode => "inline interpreter code",
            Self::ScriptUnreadable => "script not readable",
        };
        f.write_str(s)
    }
}

/// One command bash would run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Basename of the command word after quote removal (`/usr/bin/rm` → `rm`, `\rm` → `rm`).
    /// Never empty. For a dynamic command word it is the raw text (and there is an `Unknown`).
    pub program: String,
    /// The words after the program, quote-removed; flags are not split.
    pub args: Vec<Word>,
    /// Redirections of this command, plus those of enclosing compound commands.
    pub redirects: Vec<Redirect>,
    /// `NAME=value` prefixes (and `env NAME=value`).
    pub assignments: Vec<(String, Word)>,
    /// Wrappers and code-in-string levels that led here, outermost first: `["sudo"]`,
    /// `["bash -c"]`, `["xargs"]`, `["find -exec"]`, `["script ./x.sh"]`, `["function f"]`.
    /// Substitutions (`$(…)`) are not wrappers and add nothing.
    pub via: Vec<String>,
    /// The directory the command runs in: the call's cwd, or where an earlier `cd` in the same
    /// command line moved to (lexically normalised).
    pub cwd: PathBuf,
    /// Where the command's stdin comes from.
    pub stdin: Stdin,
    /// bash/sh/python/… with no script and no `-c`: it runs whatever arrives on stdin.
    pub runs_stdin_as_code: bool,
}

/// A word after quote removal and the static expansions (`~`, `$HOME`, `${HOME}`, `$PWD`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text. For dynamic parts the raw source is kept (`$x`, `$(date)`).
    pub text: String,
    /// Not static after quote removal: holds a parameter, substitution, arithmetic, unquoted
    /// glob or brace expansion, or an unknown `~user`.
    pub dynamic: bool,
}

impl Word {
    /// A static word.
    pub fn lit(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            dynamic: false,
        }
    }
}

/// A redirection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// What it does.
    pub op: RedirectOp,
    /// The explicit fd (`2>`), if any.
    pub fd: Option<u32>,
    /// The file, or the fd for duplications (`2>&1` → `1`, `2>&-` → `-`).
    pub target: Word,
}

/// Kinds of redirection. Heredocs and here-strings are not listed here; see [`Stdin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectOp {
    /// `<`
    Read,
    /// `>`
    Write,
    /// `>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `>|`
    Clobber,
    /// `<&n`
    DupIn,
    /// `>&n`, `>&-`
    DupOut,
    /// `&>` and `>&file`: stdout and stderr to a file.
    WriteOutErr,
    /// `&>>`
    AppendOutErr,
}

impl RedirectOp {
    /// Whether the target is a file that gets written.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Self::Write
                | Self::Append
                | Self::ReadWrite
                | Self::Clobber
                | Self::WriteOutErr
                | Self::AppendOutErr
        )
    }
}

/// Where a command's stdin comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Stdin {
    /// Whatever the Bash tool gives the shell.
    #[default]
    Inherited,
    /// The output of the previous pipeline stage; `from` lists its programs.
    Pipe {
        /// Programs of the upstream stage, in order.
        from: Vec<String>,
    },
    /// A here-document's body (after static expansion; raw text for dynamic parts).
    HereDoc(String),
    /// A here-string's text.
    HereString(String),
    /// `< file`.
    File(Word),
}

fn internal_failure(detail: &str) -> Analysis {
    Analysis {
        commands: Vec::new(),
        unknowns: vec![Unknown {
            kind: UnknownKind::ParseError,
            detail: detail.to_owned(),
            program: None,
        }],
        functions: Vec::new(),
        constants: Vec::new(),
    }
}

/// Most `$(` plus backticks in one string handed to the parser.
const MAX_SUBSTITUTIONS: usize = 10_000;

/// Stack the parser and walker may need per level of nesting (measured: under 23 KiB per
/// nested `if` or `{` in a debug build, a few KiB in release).
const STACK_PER_LEVEL: usize = 32 * 1024;
/// Stack for everything else, and the margin for strings parsed again (`bash -c`, scripts).
const STACK_BASE: usize = 64 * 1024 * 1024;
/// Largest stack reserved (address space, touched only as deep as the recursion goes).
const STACK_MAX: usize = 1024 * 1024 * 1024;
/// Taken off every declared stack (see [`with_declared_stack`]) for what the thread used before
/// the declaration: its start-up frames, and the thread descriptor and TLS blocks that glibc
/// carves out of the requested size. Both are a few KiB to tens of KiB.
const DECLARATION_SLACK: usize = 1024 * 1024;

thread_local! {
    /// How many levels of nesting this thread's stack can take; checked before each parse.
    static NESTING_CAPACITY: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The stack declared by [`with_declared_stack`] on this thread, if any.
    static DECLARED_STACK: std::cell::Cell<Option<Declared>> = const { std::cell::Cell::new(None) };
}

#[cfg(test)]
thread_local! {
    /// How many analyser threads `analyze` started from this thread (tests only).
    static SPAWNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A stack declaration: usable bytes below a point of the stack.
#[derive(Clone, Copy, Debug)]
struct Declared {
    /// Address of a local of [`with_declared_stack`].
    anchor: usize,
    /// Bytes usable from `anchor` on (already net of [`DECLARATION_SLACK`]).
    usable: usize,
}

/// The address of a local of the caller's frame (or of a frame just below it): how deep the
/// stack is here. Safe code: the address is only compared, never dereferenced.
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)).addr()
}

/// Declared stack still free at `here` (a [`stack_position`]), or `None` without a declaration.
/// The distance is taken either way, so the direction the stack grows in does not matter.
fn declared_left(here: usize) -> Option<usize> {
    DECLARED_STACK
        .get()
        .map(|d| d.usable.saturating_sub(d.anchor.abs_diff(here)))
}

/// Puts the previous declaration back when dropped (also when `f` unwinds).
struct RestoreDeclared(Option<Declared>);

impl Drop for RestoreDeclared {
    fn drop(&mut self) {
        DECLARED_STACK.set(self.0);
    }
}

/// Run `f` with the current thread's stack declared as `stack_size` bytes, so that [`analyze`]
/// can run the analysis on this thread instead of starting a thread of its own, whenever the
/// stack still free at that point (the declared size, less what is in use by then, less 1 MiB
/// of slack) covers what the input may need (the same stack it would give its own thread).
/// Otherwise, and on threads without a declaration, `analyze` starts a thread sized for the
/// input, as before.
///
/// Call it first thing in a thread started with `std::thread::Builder::stack_size(stack_size)`
/// and pass the same size: declaring more stack than the thread has could let a deep input
/// overflow it, which aborts the process. A declaration inside another can only shrink what is
/// available; the previous one is restored when `f` returns or unwinds.
pub fn with_declared_stack<R>(stack_size: usize, f: impl FnOnce() -> R) -> R {
    let anchor = stack_position();
    let mut usable = stack_size.saturating_sub(DECLARATION_SLACK);
    if let Some(outer) = declared_left(anchor) {
        usable = usable.min(outer);
    }
    let _restore = RestoreDeclared(DECLARED_STACK.replace(Some(Declared { anchor, usable })));
    f()
}

/// How [`analyze`] runs an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// More openers than even the largest stack can take: refused unparsed.
    Refuse {
        /// The quote-blind nesting bound of the input.
        bound: usize,
    },
    /// On the calling thread, whose declared stack has `stack` bytes free or more.
    Inline {
        /// Nesting levels any one parse may have.
        capacity: usize,
    },
    /// On a new thread with a `stack`-byte stack.
    Thread {
        /// The new thread's stack size.
        stack: usize,
        /// Nesting levels any one parse may have.
        capacity: usize,
    },
}

/// Where to run the analysis of `command`: the stack it needs comes from a quote-blind upper
/// bound on its nesting ([`limits::opener_bound`]); `left` is the declared stack still free on
/// this thread ([`declared_left`]).
fn plan(command: &str, limits: &Limits, left: Option<usize>) -> Plan {
    let bound = if command.len() > limits.max_bytes {
        0
    } else {
        limits::opener_bound(command)
    };
    let stack = STACK_BASE.saturating_add(bound.saturating_mul(STACK_PER_LEVEL));
    if stack > STACK_MAX {
        return Plan::Refuse { bound };
    }
    let capacity = bound.saturating_add(STACK_BASE / STACK_PER_LEVEL / 2);
    if left.is_some_and(|left| left >= stack) {
        Plan::Inline { capacity }
    } else {
        Plan::Thread { stack, capacity }
    }
}

/// Analyse a Bash `command` string. Never panics; see the module docs for the contract.
pub fn analyze(command: &str, cx: &Context<'_>) -> Analysis {
    // The parser recurses once per nesting level, and a stack overflow aborts the process (the
    // call then runs). The pre-parse scan bounds nesting; as a second line of defence the
    // analysis runs with a stack that fits even the quote-blind upper bound of nesting: this
    // thread's, when enough of it is declared free, or else a thread of its own.
    let capacity = match plan(command, &cx.limits, declared_left(stack_position())) {
        Plan::Refuse { bound } => {
            return Analysis {
                unknowns: vec![Unknown {
                    kind: UnknownKind::TooDeep,
                    detail: format!(
                        "{bound} opening brackets and keywords: too many to parse safely"
                    ),
                    program: None,
                }],
                ..Analysis::default()
            }
        }
        Plan::Inline { capacity } => capacity,
        Plan::Thread { stack, capacity } => return on_own_thread(command, cx, stack, capacity),
    };
    let previous = NESTING_CAPACITY.replace(capacity);
    let analysis = catch_unwind(AssertUnwindSafe(|| walk::analyze_top(command, cx)))
        .unwrap_or_else(|_| internal_failure("the shell analyser panicked"));
    NESTING_CAPACITY.set(previous);
    analysis
}

/// Run the analysis on a new thread with a `stack`-byte stack.
fn on_own_thread(command: &str, cx: &Context<'_>, stack: usize, capacity: usize) -> Analysis {
    #[cfg(test)]
    SPAWNED.set(SPAWNED.get().saturating_add(1));
    let run = move || {
        NESTING_CAPACITY.set(capacity);
        with_declared_stack(stack, || {
            catch_unwind(AssertUnwindSafe(|| walk::analyze_top(command, cx)))
                .unwrap_or_else(|_| internal_failure("the shell analyser panicked"))
        })
    };
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("blastwall-shell".to_owned())
            .stack_size(stack)
            .spawn_scoped(scope, run)
        {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| internal_failure("the shell analyser thread failed")),
            Err(e) => internal_failure(&format!("could not start the shell analyser ({e})")),
        }
    })
}

/// Parse `src` as a bash program behind the guards: size, pre-parse nesting scan, function
/// substitution, and `catch_unwind`. The only place that calls the brush program parser.
pub(crate) fn parse_program(
    src: &str,
    limits: &Limits,
) -> Result<brush_parser::ast::Program, Unknown> {
    if src.len() > limits.max_bytes {
        return Err(Unknown {
            kind: UnknownKind::TooLarge,
            detail: format!(
                "{} bytes of shell code (limit {})",
                src.len(),
                limits.max_bytes
            ),
            program: None,
        });
    }
    // A NUL cannot reach bash intact: exec refuses it, and bash reading a script drops it
    // (`cat .env<NUL>` runs `cat .env`). Judging the word with the NUL in it would judge a
    // file that is never opened, so the text is not analysable.
    if src.contains('\0') {
        return Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: "a NUL byte in shell code (bash drops or refuses it)".to_owned(),
            program: None,
        });
    }
    // Every `$(` and backtick is tokenized on its own (and later parsed again): thousands of
    // them cost far more than their bytes. Quote-blind count, so generous.
    let substitutions = src
        .matches("$(")
        .count()
        .saturating_add(src.matches('`').count());
    if substitutions > MAX_SUBSTITUTIONS {
        return Err(Unknown {
            kind: UnknownKind::TooLarge,
            detail: format!("{substitutions} command substitutions (limit {MAX_SUBSTITUTIONS})"),
            program: None,
        });
    }
    let depth = limits::scan(src, limits.max_nesting)?;
    let bound = limits::opener_bound(src);
    if bound > NESTING_CAPACITY.with(std::cell::Cell::get) {
        return Err(Unknown {
            kind: UnknownKind::TooDeep,
            detail: format!("{bound} opening brackets and keywords: too many to parse safely"),
            program: None,
        });
    }
    // brush re-tokenizes the inside of every `$(`/backtick to find its end, so one parse costs
    // about size × nesting: bound that product before parsing, not only each factor.
    let work = src.len().saturating_mul(depth.saturating_add(1));
    if work > limits.parse_budget() {
        return Err(Unknown {
            kind: UnknownKind::TooLarge,
            detail: format!(
                "{} bytes of shell code nested {depth} levels deep",
                src.len()
            ),
            program: None,
        });
    }
    let parsed = catch_unwind(|| {
        // A byte slice is already a `BufRead`: no 8 KiB buffer to allocate and copy into.
        let mut parser =
            brush_parser::Parser::new(src.as_bytes(), &brush_parser::ParserOptions::default());
        parser.parse_program()
    });
    match parsed {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(e)) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: format!("bash syntax not understood: {e}"),
            program: None,
        }),
        Err(_) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: "the shell parser panicked".to_owned(),
            program: None,
        }),
    }
}

/// Parse one word into pieces (quotes, substitutions, expansions) behind `catch_unwind`.
pub(crate) fn parse_word(
    word: &str,
) -> Result<Vec<brush_parser::word::WordPieceWithSource>, Unknown> {
    if is_plain_word(word) {
        return Ok(vec![brush_parser::word::WordPieceWithSource {
            piece: brush_parser::word::WordPiece::Text(word.to_owned()),
            start_index: 0,
            end_index: word.len(),
        }]);
    }
    // Words are parsed on their own too (static values that hold `$(`, subscripts), and
    // brush's word parser doubles its time with each `$(` left open: `x='$($($(…'` with 18 of
    // them ran for minutes (found by the `bash` fuzz target). The same pre-parse scan as for
    // programs bounds that and the nesting.
    limits::scan(word, Limits::default().max_nesting)?;
    let opts = brush_parser::ParserOptions::default();
    match catch_unwind(|| brush_parser::word::parse(word, &opts)) {
        Ok(Ok(pieces)) => Ok(pieces),
        Ok(Err(e)) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: format!("word not understood: {e}"),
            program: None,
        }),
        Err(_) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: "the word parser panicked".to_owned(),
            program: None,
        }),
    }
}

/// A non-empty word of letters, digits and `_ - . / , : + @ % =` only: brush's word parser
/// makes it one `Text` piece holding the whole word (no quote, `$`, backtick, backslash or `~`
/// starts another kind of piece, and outside a command `@(`/`+(` are not patterns), and the
/// pre-parse scan finds nothing in it (no separator, bracket or redirection; one keyword at
/// most). Most arguments are such words; they skip the parser's cache lookup and the scan.
/// `plain_words_parse_as_one_text_piece` checks this against brush.
fn is_plain_word(word: &str) -> bool {
    !word.is_empty()
        && word.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'_' | b'-' | b'.' | b'/' | b',' | b':' | b'+' | b'@' | b'%' | b'='
                )
        })
}

/// Parse an unquoted heredoc body (where `"` and `'` are literal) behind `catch_unwind`.
pub(crate) fn parse_heredoc(
    body: &str,
) -> Result<Vec<brush_parser::word::WordPieceWithSource>, Unknown> {
    let opts = brush_parser::ParserOptions::default();
    match catch_unwind(|| brush_parser::word::parse_heredoc(body, &opts)) {
        Ok(Ok(pieces)) => Ok(pieces),
        Ok(Err(e)) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: format!("here-document not understood: {e}"),
            program: None,
        }),
        Err(_) => Err(Unknown {
            kind: UnknownKind::ParseError,
            detail: "the here-document parser panicked".to_owned(),
            program: None,
        }),
    }
}
