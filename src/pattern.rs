//! Structured command patterns for policy rules (`command = { program = "git", subcommand =
//! "push", flags = ["--force"] }`) and the argument shape they match against.
//!
//! Matching is on structure, not text: combined short flags are split (`-rf` = `-r -f`), long
//! flags match with or without `=value`, flags count wherever they appear (`git push origin
//! main --force`), and global options before the subcommand are skipped (`git -C dir -c k=v
//! push`). Data never matches a subcommand: `git commit -m "push --force"` has subcommand
//! `commit`.
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::needle::Needle;
use crate::shell::{Command, Stdin};
use crate::wildcard;

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// One pattern as written in a rule's `command` (a table, or an array of tables: any matches).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawCommandPattern {
    /// Program names (basenames, `*` wildcards): `"rm"`, `["mkfs*", "wipefs"]`.
    pub program: OneOrMany,
    /// Leading positional words, space-separated for several levels: `"push"`, `"stash drop"`.
    pub subcommand: Option<OneOrMany>,
    /// Any of these flags present (`-r`, `--force`, `--prune`; `--` is the end-of-options mark).
    pub flags: Option<Vec<String>>,
    /// Regexes; any positional argument after the subcommand matching one is enough.
    pub args: Option<Vec<String>>,
    /// A regex over every argument joined by spaces plus here-document / here-string text
    /// (SQL fed on stdin, a Redis command).
    pub text: Option<String>,
    /// Wrapper labels that must have led to the command (`"find -exec"`, `"xargs"`, `"sudo"`).
    pub via: Option<Vec<String>>,
    /// What stdin must come from: upstream program names (`"curl"`), or `"<file>"`,
    /// `"<heredoc>"`, `"<herestring>"`, `"<pipe>"` (any pipe).
    pub stdin: Option<Vec<String>>,
    /// `true`: only when there is no positional argument at all (`env`, `set`: print all).
    pub no_positionals: Option<bool>,
    /// `true`: only when there is no argument at all (`set`, but not `set -e`).
    pub no_args: Option<bool>,
    /// None of these flags present (`git clean -f` unless `-n`/`--dry-run`).
    pub not_flags: Option<Vec<String>>,
    /// A subcommand allowlist: the pattern matches a command that has a subcommand and whose
    /// leading positional words start with none of these entries. Words are wildcards
    /// compared without regard to case (`"pr list"`, `"* describe-*"`); an entry starting with
    /// `**` may skip up to three leading group words (`"** list"` is `gcloud compute
    /// instances list`), but never a word that names an action (`ssh`, `create`, `add-…`).
    /// A command with no positional word (`gh`, `kubectl --help`) never matches.
    pub except_subcommands: Option<Vec<String>>,
}

/// A compiled pattern. Serialisable for the compiled-policy cache (`policy::cache`).
#[derive(Debug, Serialize, Deserialize)]
pub struct CommandPattern {
    programs: Vec<String>,
    subcommands: Vec<Vec<String>>,
    flags: Vec<String>,
    args: Vec<LazyRegex>,
    text: Option<LazyRegex>,
    via: Vec<String>,
    stdin: Vec<String>,
    no_positionals: bool,
    no_args: bool,
    not_flags: Vec<String>,
    except_subcommands: Vec<Vec<String>>,
}

fn regex(re: &str, check: bool) -> Result<LazyRegex, String> {
    if check {
        LazyRegex::new(re).map_err(|e| format!("bad regex `{re}`: {e}"))
    } else {
        Ok(LazyRegex::unchecked(re))
    }
}

/// A policy regex: its syntax is checked when the policy loads (so a bad one is an error that
/// names its file and line), and it is compiled the first time a call reaches it. Compiling
/// is most of what loading a policy costs (the embedded default's regexes were a third of a
/// hook call's instructions), and most calls never reach most regexes.
pub struct LazyRegex {
    source: String,
    compiled: OnceLock<Option<Regex>>,
    /// Only for regexes known to compile (the embedded default's): a run of characters every
    /// match contains, found from the parsed pattern (see [`needle`]). Text without it cannot
    /// match, so the regex is not compiled for it: the default's `git -c` rule is reached by
    /// every `git` command, and compiling it cost 1.2 ms.
    needle: Option<OnceLock<Option<Needle>>>,
}

impl LazyRegex {
    /// A policy's own regex, checked when its policy is compiled (not when a cached policy
    /// is loaded): the syntax (the same rules as `regex::Regex::new`), and that it compiles
    /// within the size limit. A regex that parses but is too large to build (`a{99999999}`)
    /// used to pass `lint` and then make its rule apply to every call it reached; it is now
    /// an error at its `file:line:col`, like a syntax error. The regex built here is kept, so
    /// the check costs nothing later.
    pub fn new(re: &str) -> Result<LazyRegex, String> {
        // Building parses too: a syntax error is `regex::Error::Syntax`, whose text is the
        // parser's message.
        let built = build(re).map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "compiled, it is larger than the {limit}-byte limit (a counted repetition such as `{{1000}}` multiplies what it repeats)"
            ),
            other => other.to_string(),
        })?;
        Ok(LazyRegex {
            source: re.to_string(),
            compiled: OnceLock::from(Some(built)),
            needle: None,
        })
    }

    /// The compiled regex; `None` when it cannot be built (over the 1 MiB size limit).
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| build(&self.source).ok())
            .as_ref()
    }

    /// Whether `text` matches. A regex that cannot be compiled matches everything: the rule
    /// it belongs to then applies, which fails closed.
    pub fn is_match(&self, text: &str) -> bool {
        if self.compiled.get().is_none() {
            if let Some(cell) = &self.needle {
                let n = self.needle_of(cell);
                if n.as_ref().is_some_and(|n| !n.admits(text.as_bytes())) {
                    return false;
                }
            }
        }
        self.get().is_none_or(|re| re.is_match(text))
    }

    fn needle_of<'a>(&self, cell: &'a OnceLock<Option<Needle>>) -> &'a Option<Needle> {
        cell.get_or_init(|| Needle::of_regex(&self.source, true))
    }

    /// Without the syntax check, for text already checked when the binary was built (the
    /// embedded default; a test loads it with every check on). If it did not compile after
    /// all, it would match everything: fail closed.
    pub fn unchecked(re: &str) -> LazyRegex {
        LazyRegex {
            source: re.to_string(),
            compiled: OnceLock::new(),
            needle: Some(OnceLock::new()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// Whether the regex was built yet is a cache, not part of what the pattern is: a policy
/// compiled here (its regexes built) and the same policy read back from the cache (not yet
/// built) print alike.
impl std::fmt::Debug for LazyRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyRegex")
            .field("source", &self.source)
            .field("needle", &self.needle)
            .finish_non_exhaustive()
    }
}

/// Every policy regex is built the same way: 1 MiB at most, compiled.
fn build(re: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(re).size_limit(1 << 20).build()
}

/// In the compiled-policy cache a regex is its text and, when the needle shortcut may be
/// taken (only for text known to compile), the needle itself: finding it parses the regex,
/// which a call would otherwise do again for every such regex it reaches. The compiled form
/// is rebuilt on first use.
impl Serialize for LazyRegex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let needle = self.needle.as_ref().map(|cell| self.needle_of(cell));
        (&self.source, needle).serialize(s)
    }
}

impl<'de> Deserialize<'de> for LazyRegex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LazyRegex, D::Error> {
        let (source, needle) = <(String, Option<Option<Needle>>)>::deserialize(d)?;
        Ok(LazyRegex {
            source,
            compiled: OnceLock::new(),
            needle: needle.map(OnceLock::from),
        })
    }
}

/// Why a rule's `command` value does not compile, and, when one value is at fault, which:
/// the pattern's index (0 for a single table) and its part.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternError {
    pub message: String,
    pub at: Option<(usize, PatternPart)>,
}

/// The part of one command pattern an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternPart {
    /// `program`.
    Program,
    /// The `args` entry at this index.
    Arg(usize),
    /// `text`.
    Text,
}

impl CommandPattern {
    /// Compile one `command` value (a table or an array of tables).
    pub fn compile_value(v: &toml::Value) -> Result<Vec<CommandPattern>, String> {
        Self::compile_value_with(v, true)
    }

    /// `check: false` skips the regex syntax check, for text checked at build time.
    pub fn compile_value_with(v: &toml::Value, check: bool) -> Result<Vec<CommandPattern>, String> {
        Self::compile_value_at(v, check).map_err(|e| e.message)
    }

    /// [`CommandPattern::compile_value_with`], an error saying which part of which pattern is
    /// wrong when it is one value (`PatternError::at`), for the policy to point at it.
    pub fn compile_value_at(
        v: &toml::Value,
        check: bool,
    ) -> Result<Vec<CommandPattern>, PatternError> {
        let whole = |message: String| PatternError { message, at: None };
        let raws: Vec<RawCommandPattern> = match v {
            toml::Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.clone()
                        .try_into()
                        .map_err(|e: toml::de::Error| whole(e.message().to_string()))
                })
                .collect::<Result<_, _>>()?,
            other => vec![other
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| whole(e.message().to_string()))?],
        };
        if raws.is_empty() {
            return Err(whole("`command` needs at least one pattern".into()));
        }
        raws.into_iter()
            .enumerate()
            .map(|(n, r)| {
                CommandPattern::compile_part(r, check).map_err(|(message, part)| PatternError {
                    message,
                    at: Some((n, part)),
                })
            })
            .collect()
    }

    pub fn compile(raw: RawCommandPattern) -> Result<CommandPattern, String> {
        Self::compile_with(raw, true)
    }

    fn compile_with(raw: RawCommandPattern, check: bool) -> Result<CommandPattern, String> {
        Self::compile_part(raw, check).map_err(|(message, _)| message)
    }

    /// One pattern; an error with the part it is about.
    fn compile_part(
        raw: RawCommandPattern,
        check: bool,
    ) -> Result<CommandPattern, (String, PatternPart)> {
        let programs = raw.program.into_vec();
        if programs.is_empty() || programs.iter().any(|p| p.is_empty()) {
            return Err((
                "`program` must name at least one program".into(),
                PatternPart::Program,
            ));
        }
        Ok(CommandPattern {
            programs,
            subcommands: raw
                .subcommand
                .map(OneOrMany::into_vec)
                .unwrap_or_default()
                .iter()
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .collect(),
            flags: raw.flags.unwrap_or_default(),
            args: raw
                .args
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, r)| regex(r, check).map_err(|e| (e, PatternPart::Arg(i))))
                .collect::<Result<_, _>>()?,
            text: raw
                .text
                .as_deref()
                .map(|r| regex(r, check))
                .transpose()
                .map_err(|e| (e, PatternPart::Text))?,
            via: raw.via.unwrap_or_default(),
            stdin: raw.stdin.unwrap_or_default(),
            no_positionals: raw.no_positionals.unwrap_or(false),
            no_args: raw.no_args.unwrap_or(false),
            not_flags: raw.not_flags.unwrap_or_default(),
            except_subcommands: raw
                .except_subcommands
                .unwrap_or_default()
                .iter()
                .map(|s| s.split_whitespace().map(str::to_ascii_lowercase).collect())
                .collect(),
        })
    }

    /// The program-name patterns (for the policy's rule index).
    pub fn programs(&self) -> &[String] {
        &self.programs
    }

    pub fn matches_program(&self, program: &str) -> bool {
        wildcard::any(&self.programs, program)
    }

    /// A subcommand allowlist (`except_subcommands`): what matches is what is not on it.
    pub fn is_allowlist(&self) -> bool {
        !self.except_subcommands.is_empty()
    }

    /// `Match::Yes` when every condition holds; `Match::Maybe` when the program matches but a
    /// dynamic word sits where the decision depends on it (a subcommand position, or anywhere
    /// when flags are checked: `$x` may expand to `--force`).
    pub fn matches(&self, cmd: &Command, shape: &Shape) -> Match {
        if !self.matches_program(&cmd.program) {
            return Match::No;
        }
        if !self.via.is_empty() && !cmd.via.iter().any(|v| wildcard::any(&self.via, v)) {
            return Match::No;
        }
        if !self.stdin.is_empty() && !self.stdin_matches(&cmd.stdin) {
            return Match::No;
        }
        if self.no_args && !cmd.args.is_empty() {
            return Match::No;
        }
        if self
            .not_flags
            .iter()
            .any(|f| shape.flags.iter().any(|g| g == f))
        {
            return Match::No;
        }
        let outside_list = if self.except_subcommands.is_empty() {
            Match::Yes
        } else {
            match self.outside_allowlist(shape) {
                Match::No => return Match::No,
                m => m,
            }
        };
        let sub_len = self.subcommands.iter().map(Vec::len).max().unwrap_or(0);
        if !self.subcommands.is_empty() {
            let lead = shape
                .positionals
                .get(..sub_len.min(shape.positionals.len()))
                .unwrap_or(&[]);
            if lead.iter().any(|w| w.1) {
                return Match::Maybe;
            }
            let ok = self.subcommands.iter().any(|sub| {
                sub.iter()
                    .enumerate()
                    .all(|(i, s)| lead.get(i).is_some_and(|w| &w.0 == s))
            });
            if !ok {
                return Match::No;
            }
        }
        let after_sub: Vec<&(String, bool)> = shape
            .positionals
            .iter()
            .skip(if self.subcommands.is_empty() {
                0
            } else {
                self.subcommands
                    .iter()
                    .find(|sub| {
                        sub.iter()
                            .enumerate()
                            .all(|(i, s)| shape.positionals.get(i).is_some_and(|w| &w.0 == s))
                    })
                    .map(Vec::len)
                    .unwrap_or(0)
            })
            .collect();
        if self.no_positionals && !shape.positionals.is_empty() {
            return Match::No;
        }
        if !self.flags.is_empty()
            && !self
                .flags
                .iter()
                .any(|f| shape.flags.iter().any(|g| g == f))
        {
            return if shape.has_dynamic {
                Match::Maybe
            } else {
                Match::No
            };
        }
        if !self.args.is_empty()
            && !after_sub
                .iter()
                .any(|a| self.args.iter().any(|re| re.is_match(&a.0)))
        {
            return Match::No;
        }
        if let Some(re) = &self.text {
            if !re.is_match(&shape.text) {
                return Match::No;
            }
        }
        outside_list
    }

    /// `No` when the command's leading positionals start with an entry of the allowlist (or
    /// there are none); `Maybe` when a dynamic word sits where an entry could match; else `Yes`.
    fn outside_allowlist(&self, shape: &Shape) -> Match {
        let pos = &shape.positionals;
        if pos.is_empty() {
            return Match::No;
        }
        if self
            .except_subcommands
            .iter()
            .any(|e| entry_matches(e, pos))
        {
            return Match::No;
        }
        let reach = self
            .except_subcommands
            .iter()
            .map(|e| {
                if e.first().is_some_and(|w| w == "**") {
                    e.len() + 2
                } else {
                    e.len()
                }
            })
            .max()
            .unwrap_or(0);
        if pos.iter().take(reach).any(|p| p.1) {
            Match::Maybe
        } else {
            Match::Yes
        }
    }

    fn stdin_matches(&self, stdin: &Stdin) -> bool {
        match stdin {
            Stdin::Inherited => false,
            Stdin::Pipe { from } => {
                self.stdin.iter().any(|s| s == "<pipe>")
                    || from.iter().any(|p| wildcard::any(&self.stdin, p))
            }
            Stdin::HereDoc(_) => self.stdin.iter().any(|s| s == "<heredoc>"),
            Stdin::HereString(_) => self.stdin.iter().any(|s| s == "<herestring>"),
            Stdin::File(_) => self.stdin.iter().any(|s| s == "<file>"),
        }
    }
}

/// Words an allowlist entry's `**` never skips: they name what the command does, not a group
/// of commands (`gcloud compute ssh list` runs `ssh`).
fn names_an_action(word: &str) -> bool {
    const ACTIONS: &[&str] = &[
        "ssh", "scp", "create", "delete", "update", "deploy", "set", "add", "remove", "rm", "run",
        "exec", "start", "stop", "reset", "import", "export", "attach", "detach", "enable",
        "disable", "apply", "patch", "replace", "upload", "download", "copy", "cp", "mv", "move",
        "restart", "resize", "rollback", "sign", "encrypt", "decrypt", "grant", "revoke", "access",
        "purge", "destroy", "invoke", "call", "send", "publish", "login", "logout", "connect",
        "tunnel", "proxy", "edit", "put", "post", "write", "promote", "restore", "failover",
    ];
    let w = word.to_ascii_lowercase();
    ACTIONS.contains(&w.as_str())
        || [
            "add-",
            "remove-",
            "set-",
            "create-",
            "delete-",
            "update-",
            "get-credentials",
        ]
        .iter()
        .any(|p| w.starts_with(p))
}

/// Whether an allowlist entry matches the start of the positionals (static words only).
fn entry_matches(entry: &[String], pos: &[(String, bool)]) -> bool {
    let at = |words: &[String], start: usize| {
        words.iter().enumerate().all(|(i, w)| {
            pos.get(start + i)
                .is_some_and(|p| !p.1 && wildcard::matches(w, &p.0.to_ascii_lowercase()))
        })
    };
    match entry.split_first() {
        Some((first, rest)) if first == "**" => (0..=3).any(|skip| {
            pos.iter()
                .take(skip)
                .all(|p| !p.1 && !names_an_action(&p.0))
                && at(rest, skip)
        }),
        _ => at(entry, 0),
    }
}

/// How sure a match is; ordered so the best of several patterns is the `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    No,
    Maybe,
    Yes,
}

/// The argument list of one command, cut into flags and positionals.
#[derive(Debug, Default)]
pub struct Shape {
    /// Every flag form: `-rf` gives `-rf`, `-r`, `-f`; `--prune=now` gives it and `--prune`.
    pub flags: Vec<String>,
    /// Positional words (text, dynamic), global options and their values skipped.
    pub positionals: Vec<(String, bool)>,
    /// Arguments joined by spaces, plus here-document / here-string text.
    pub text: String,
    /// Any argument is dynamic.
    pub has_dynamic: bool,
}

impl Shape {
    pub fn of(cmd: &Command) -> Shape {
        let mut shape = Shape::default();
        let globals = crate::programs::global_value_options(&cmd.program);
        let mut in_globals = true;
        let mut end_of_options = false;
        let mut skip_value = false;
        for a in &cmd.args {
            let t = a.text.as_str();
            shape.has_dynamic |= a.dynamic;
            if skip_value {
                skip_value = false;
                continue;
            }
            if end_of_options || a.dynamic && !t.starts_with('-') {
                shape.positionals.push((t.to_string(), a.dynamic));
                in_globals = false;
                continue;
            }
            if t == "--" {
                shape.flags.push("--".into());
                end_of_options = true;
                continue;
            }
            if let Some(long) = t.strip_prefix("--") {
                shape.flags.push(t.to_string());
                if let Some((name, _)) = long.split_once('=') {
                    shape.flags.push(format!("--{name}"));
                } else if in_globals && globals.contains(&t) {
                    skip_value = true;
                }
                continue;
            }
            if t.len() > 1
                && t.starts_with('-')
                && !t.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
            {
                shape.flags.push(t.to_string());
                if in_globals && globals.contains(&t) {
                    skip_value = true;
                    continue;
                }
                let body = t.get(1..).unwrap_or("");
                if body.chars().all(|c| c.is_ascii_alphabetic()) && body.len() > 1 {
                    shape.flags.extend(body.chars().map(|c| format!("-{c}")));
                }
                continue;
            }
            // `cargo +nightly build`: a toolchain, not the subcommand.
            if in_globals && t.starts_with('+') && cmd.program == "cargo" {
                continue;
            }
            in_globals = false;
            shape.positionals.push((t.to_string(), a.dynamic));
        }
        let mut text: Vec<&str> = cmd.args.iter().map(|a| a.text.as_str()).collect();
        match &cmd.stdin {
            Stdin::HereDoc(s) | Stdin::HereString(s) => text.push(s),
            _ => {}
        }
        shape.text = text.join(" ");
        shape
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Word;
    use std::path::PathBuf;

    fn cmd(line: &str) -> Command {
        let mut words = line.split_whitespace();
        let program = words.next().unwrap().to_string();
        Command {
            program,
            args: words
                .map(|w| Word {
                    text: w.trim_matches('"').to_string(),
                    dynamic: w.contains('$'),
                })
                .collect(),
            redirects: vec![],
            assignments: vec![],
            via: vec![],
            cwd: PathBuf::from("/p"),
            stdin: Stdin::Inherited,
            runs_stdin_as_code: false,
        }
    }

    /// The best match of any pattern in a rule's `command` value.
    fn best(toml_text: &str, c: &Command) -> Match {
        let v: toml::Value = toml::from_str(&format!("c = {toml_text}")).unwrap();
        let pats = CommandPattern::compile_value(v.get("c").unwrap()).unwrap();
        let shape = Shape::of(c);
        pats.iter()
            .map(|p| p.matches(c, &shape))
            .max_by_key(|m| *m as u8)
            .unwrap()
    }

    macro_rules! pm {
        ($($name:ident: $pat:expr, $line:expr => $want:ident;)*) => {
            $(#[test] fn $name() { let c = cmd($line); assert_eq!(best($pat, &c), Match::$want, "{}", $line); })*
        };
    }

    const FORCE_PUSH: &str = r#"[{ program = "git", subcommand = "push", flags = ["--force", "-f", "--mirror", "--delete", "-d"] }, { program = "git", subcommand = "push", args = ['^\+', '^:'] }]"#;
    const RM_RF: &str =
        r#"{ program = "rm", flags = ["-r", "-R", "--recursive", "-f", "--force"] }"#;

    pm! {
        rm_combined: RM_RF, "rm -rf docs" => Yes;
        rm_capital: RM_RF, "rm -Rf ./docs" => Yes;
        rm_long: RM_RF, "rm --recursive docs" => Yes;
        rm_flag_after_operand: RM_RF, "rm docs -r" => Yes;
        rm_plain: RM_RF, "rm notes.txt" => No;
        rm_dynamic_operand: RM_RF, "rm $X" => Maybe;
        rm_after_double_dash: RM_RF, "rm -- -r" => No;
        push_force: FORCE_PUSH, "git push --force origin main" => Yes;
        push_force_after: FORCE_PUSH, "git push origin main --force" => Yes;
        push_plus_refspec: FORCE_PUSH, "git push origin +feature" => Yes;
        push_colon_delete: FORCE_PUSH, "git push origin :old" => Yes;
        push_global_options: FORCE_PUSH, "git -C dir -c k=v push -f" => Yes;
        push_plain: FORCE_PUSH, "git push origin main" => No;
        commit_message_is_data: FORCE_PUSH, "git commit -m \"push --force\"" => No;
        dynamic_subcommand: FORCE_PUSH, "git $CMD --force" => Maybe;
        grep_is_not_push: FORCE_PUSH, "git grep push --force" => No;
        env_print: r#"{ program = "env", no_positionals = true }"#, "env" => Yes;
        env_wrapper: r#"{ program = "env", no_positionals = true }"#, "env FOO=1 make" => No;
        stash_drop: r#"{ program = "git", subcommand = ["stash drop", "stash clear"] }"#, "git stash drop" => Yes;
        stash_list: r#"{ program = "git", subcommand = ["stash drop", "stash clear"] }"#, "git stash list" => No;
        prune_value: r#"{ program = "git", subcommand = "gc", flags = ["--prune"] }"#, "git gc --prune=now" => Yes;
        dd_to_device: r#"{ program = "dd", args = ['^of=/dev/'] }"#, "dd if=/dev/zero of=/dev/sda" => Yes;
        mkfs_glob: r#"{ program = "mkfs*" }"#, "mkfs.ext4 /dev/sdb1" => Yes;
        sql_text: r#"{ program = "psql", text = '(?i)\bdrop\s+table' }"#, "psql -c \"DROP TABLE users\"" => Yes;
    }

    #[test]
    fn shape_splits_flags_and_skips_git_globals() {
        let s = Shape::of(&cmd(
            "git -C /x -c a=b push -uf origin --set-upstream=x main",
        ));
        assert_eq!(
            s.positionals
                .iter()
                .map(|p| p.0.as_str())
                .collect::<Vec<_>>(),
            ["push", "origin", "main"]
        );
        for f in ["-uf", "-u", "-f", "--set-upstream=x", "--set-upstream"] {
            assert!(s.flags.iter().any(|g| g == f), "{f} in {:?}", s.flags);
        }
        let s = Shape::of(&cmd("head -5 file"));
        assert_eq!(
            s.positionals.len(),
            2,
            "numbers are not flags: {:?}",
            s.positionals
        );
    }

    #[test]
    fn bad_patterns_are_errors() {
        let v: toml::Value = toml::from_str(r#"c = { program = "x", flagz = ["-f"] }"#).unwrap();
        assert!(CommandPattern::compile_value(v.get("c").unwrap()).is_err());
        let v: toml::Value = toml::from_str(r#"c = { program = "x", args = ["("] }"#).unwrap();
        assert!(CommandPattern::compile_value(v.get("c").unwrap())
            .unwrap_err()
            .contains("bad regex"));
    }

    /// The needle is a necessary condition: wherever the regex matches, the needle is found.
    #[test]
    fn needle_never_hides_a_match() {
        let patterns = [
            r"(?i)(^|\s)-c\s*(core\.(sshcommand|hookspath|fsmonitor)|credential\.helper|filter\.)",
            r"(?i)\b(drop\s+(table|database)|truncate)\b",
            r"(?i)\$\{?[a-z_0-9]*(token|secret|passw|api_?key)",
            r"^of=/dev/",
            r"^-?1$",
            r"^\+",
            r"^[^/]*:",
            r"(?i)ks",
            r"(?i)xK",
            r"a+bc",
            r"(ab)+c",
            r"x(?i:ab)Y",
            r"abc|abd",
            r"a*bc",
            r"\bfoo\b",
            r"ﬀoo",
            r"(?i)straße",
            r"(?i)\$\{?[a-z_0-9]*(token|secret|passw|api_?key|access_?key|credential|private_?key|auth)",
            r"(a|bc)d",
            r"x(ab|)y",
            r"(?i)(kill|sk)",
            r"[Aa\x{e9}]bc",
            r"(?i)(ab|c+d|e?f)",
        ];
        let texts = [
            "",
            "git -c core.sshCommand=x status",
            "git -C dir status",
            "git status",
            "-c",
            "DROP  TABLE users",
            "drop table",
            "${GITHUB_TOKEN}",
            "of=/dev/sda",
            "-1",
            "1",
            "+main",
            "host:path",
            "KS",
            "k\u{17F}",
            "xk",
            "x\u{212A}",
            "aaabc",
            "ababc",
            "xABY",
            "xaby",
            "abd",
            "bc",
            "foo",
            "ﬀoo",
            "STRASSE",
            "straße",
            "STRAẞE",
            "$TO\u{212A}EN",
            "${api_KEY}",
            "$ApiKey",
            "$sECRET",
            "$\u{17F}ecret",
            "\u{17F}ecret",
            "$db_credential",
            "ad",
            "bcd",
            "xy",
            "xaby",
            "SKILL",
            "\u{e9}bc",
            "ABC",
            "ccd",
            "f",
        ];
        for p in patterns {
            let unicode = Regex::new(p).unwrap();
            let lazy = LazyRegex::unchecked(p);
            for t in texts {
                assert_eq!(lazy.is_match(t), unicode.is_match(t), "`{p}` on {t:?}");
            }
        }
        let git = LazyRegex::unchecked(patterns[0]);
        assert!(!git.is_match("git status"));
        assert!(
            git.compiled.get().is_none(),
            "no compile for text without `-c`"
        );
        // An alternation gives a needle of alternatives: `$` alone would be in most commands.
        let secret_var = LazyRegex::unchecked(patterns[17]);
        assert!(!secret_var.is_match("find . -not -path './target/*' -name \"$f\""));
        assert!(
            secret_var.compiled.get().is_none(),
            "no compile for a `$` without a secret-looking name"
        );
        assert!(secret_var.is_match("echo $GH_TO\u{212A}EN"), "Kelvin sign");
    }

    /// A regex read back from the compiled-policy cache carries its needle and answers like
    /// the original, with and without the needle in the text.
    #[test]
    fn a_cached_regex_keeps_its_needle_and_its_answers() {
        let re = LazyRegex::unchecked(r"(?i)(^|\s)-c\s*core\.sshcommand=");
        let back: LazyRegex = postcard::from_bytes(&postcard::to_allocvec(&re).unwrap()).unwrap();
        assert!(
            back.needle.as_ref().is_some_and(|c| c.get().is_some()),
            "needle stored"
        );
        for text in [
            "status",
            "-c core.sshCommand=x push",
            "-C dir",
            "-c user.name=x",
        ] {
            assert_eq!(re.is_match(text), back.is_match(text), "{text}");
        }
        assert!(back.compiled.get().is_none() || back.is_match("-c core.sshcommand=x"));
        let checked = LazyRegex::new("a+b").unwrap();
        let back: LazyRegex =
            postcard::from_bytes(&postcard::to_allocvec(&checked).unwrap()).unwrap();
        assert!(
            back.needle.is_none(),
            "a user regex never takes the shortcut"
        );
    }

    /// Regression: `a{99999999}` parsed, so `lint` passed it, and then could not be built, so
    /// its rule applied to every call it reached. A policy's regex is now built when the
    /// policy is compiled, and one over the size limit is an error like a syntax error.
    #[test]
    fn lint_passed_a_regex_too_large_to_build() {
        for (re, ok) in [
            ("a{99999999}", false),
            (r"(\w{100}){100}", false),
            ("^(unclosed", false),
            ("a{1000}", true),
            (r"^prod-\d+-", true),
            ("(?i)secret", true),
        ] {
            let got = LazyRegex::new(re);
            assert_eq!(got.is_ok(), ok, "{re}: {:?}", got.as_ref().err());
            if let Ok(checked) = got {
                assert!(checked.compiled.get().is_some(), "{re}: built once, kept");
            }
        }
        let err = LazyRegex::new("a{99999999}").err().unwrap_or_default();
        assert!(err.contains("larger than the 1048576-byte limit"), "{err}");
    }

    /// The needle shortcut is only taken for the embedded default's regexes, so every one of
    /// them must compile (otherwise an uncompilable regex, which matches everything, could be
    /// skipped).
    #[test]
    fn every_embedded_default_regex_compiles() {
        let env = crate::policy::tests::test_env();
        let policy = crate::policy::Policy::embedded(&env).unwrap();
        let mut n = 0;
        for rule in &policy.rules {
            for pat in rule.command_patterns.iter().flatten() {
                for re in pat.args.iter().chain(pat.text.iter()) {
                    assert!(re.get().is_some(), "`{}` does not compile", re.as_str());
                    n += 1;
                }
            }
            if let Some(re) = &rule.input_regex {
                assert!(re.get().is_some(), "`{}` does not compile", re.as_str());
                n += 1;
            }
        }
        assert!(n > 10, "found only {n} regexes");
    }
}
