//! Credentials given back at the tool boundary (`[[secrets.inject]]`): the sandbox drops every
//! credential from the environment; an injection entry passes one variable back into one
//! call, only when the Bash analysis shows that nothing but the entry's programs runs.
//!
//! # The rule ([`injectable`])
//!
//! A variable is passed only when **all** of these hold for the call's command:
//!
//! * the analysis is complete: no `Unknown` of any kind (no dynamic command word, no inline
//!   interpreter code, no unreadable script, no parse error …);
//! * every command found (including those inside `$(…)`, pipelines, lists, functions,
//!   `bash -c` strings and scripts) is one of the entry's programs: `gh`, or a program with its
//!   leading words (`npm publish` matches `npm publish --access public`, not `npm run x`);
//! * no command was reached through a wrapper, a function, a script or a re-parsed string
//!   (`via` is empty), no command is a call to a function the line defines, and none is run by
//!   path (`./gh`, `/tmp/x/gh`: the name alone says nothing about what runs);
//! * no word is dynamic: no `$VAR`, `$(…)`, glob or brace in any argument, redirection target,
//!   here-document or here-string (so `gh api -f body="$GH_TOKEN"` does not get the token);
//! * no `NAME=value` prefix (`PATH=.`, `GH_CONFIG_DIR=/tmp/x`, `LD_PRELOAD=…` change what the
//!   program does), and no `cd` (it is a command, and not in any list);
//! * for `git`: none of the options that make git run other programs or read another
//!   repository's configuration (`-c`, `--config-env`, `-C`, `--git-dir`, `--work-tree`,
//!   `--exec-path`, `--upload-pack`, `--receive-pack`, `-u`, `--template`, `ext::` URLs).
//!
//! So `gh pr list` gets `GH_TOKEN`; `gh pr list; echo $GH_TOKEN`, `gh $(x)`, `bash -c "$s"`,
//! `gh pr list | tee f` (tee is not listed), `./gh` and `GH_HOST=x gh` do not.
//!
//! What the rule cannot promise: a listed program that is itself told to send its own
//! environment somewhere (`gh gist create /proc/self/environ`, a `gh` alias, a git credential
//! helper in a repository's config) gets the value by design. List programs, not shells, and
//! prefer narrow subcommands (`npm publish` rather than `npm`).
//!
//! Values: read outside the sandbox from the hook's environment, a file, or a command's
//! output; held in [`SecretValue`] (whose `Debug` hides it), never written to the ticket,
//! the audit log or an error message.
use std::fmt;
use std::path::{Path, PathBuf};

use crate::shell::{Analysis, Command, Stdin};

/// Where an injected value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSource {
    /// `env:VAR`: the hook's (the client's) environment.
    Env(String),
    /// `file:PATH`: a file the agent cannot read (keep it outside every sandbox's view).
    File(PathBuf),
    /// `command = [argv]`: a program run by blastwall outside the sandbox (`gh auth token`);
    /// its stdout, trailing newline removed.
    Command(Vec<String>),
}

/// One `[[secrets.inject]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// The variable set inside the sandbox (`GH_TOKEN`).
    pub name: String,
    /// Where the value comes from.
    pub from: ValueSource,
    /// Programs that may receive it: `gh`, or a program with leading words (`npm publish`).
    pub programs: Vec<String>,
    /// Profiles it applies to (empty: every profile).
    pub profiles: Vec<String>,
}

/// A credential value. `Debug` does not show it; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// The value, for the sandbox runner's environment and the redactor only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue([{} bytes])", self.0.len())
    }
}

/// Errors reading a value. They name the variable and the source, never the value.
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    #[error("secrets.inject `{name}`: the environment has no `{var}`")]
    MissingEnv { name: String, var: String },
    #[error("secrets.inject `{name}`: cannot read {path}: {source}")]
    File {
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secrets.inject `{name}`: command `{program}` failed: {why}")]
    Command {
        name: String,
        program: String,
        why: String,
    },
    #[error("secrets.inject `{name}`: the value is empty or not one line of text")]
    BadValue { name: String },
}

/// Variable names an injection may not set (they change what runs, not what it may access).
pub fn forbidden_name(name: &str) -> Option<&'static str> {
    let valid = name
        .bytes()
        .enumerate()
        .all(|(i, b)| b == b'_' || b.is_ascii_uppercase() || (i > 0 && b.is_ascii_digit()));
    if name.is_empty() || !valid {
        return Some("not an upper-case environment variable name");
    }
    let risky = [
        "PATH",
        "HOME",
        "SHELL",
        "ENV",
        "BASH_ENV",
        "IFS",
        "PS4",
        "SHELLOPTS",
        "BASHOPTS",
        "PROMPT_COMMAND",
        "GIT_SSH_COMMAND",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "GIT_PAGER",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_EXEC_PATH",
        "GIT_DIR",
        "NODE_OPTIONS",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PERL5OPT",
        "RUBYOPT",
    ];
    if risky.contains(&name)
        || name.starts_with("LD_")
        || name.starts_with("DYLD_")
        || name.starts_with("BASH_FUNC_")
        || name.starts_with("BLASTWALL")
        || name.ends_with("_PROXY")
    {
        return Some("a variable that changes what runs or where it connects");
    }
    None
}

/// git options that run other programs or read another repository's configuration.
const GIT_RISKY: &[&str] = &[
    "-c",
    "--config-env",
    "-C",
    "--git-dir",
    "--work-tree",
    "--exec-path",
    "--upload-pack",
    "--receive-pack",
    "-u",
    "--template",
    "--namespace",
];

fn program_matches(entry: &str, cmd: &Command) -> bool {
    let mut words = entry.split_whitespace();
    let Some(program) = words.next() else {
        return false;
    };
    if program != cmd.program {
        return false;
    }
    words
        .enumerate()
        .all(|(i, w)| cmd.args.get(i).is_some_and(|a| !a.dynamic && a.text == w))
}

/// Was `program` written with a path in the command text (`./gh`, `/tmp/x/gh`, `~/gh`)?
/// Conservative: any `/gh` followed by a word end counts, also inside arguments.
fn run_by_path(text: &str, program: &str) -> bool {
    text.match_indices(program).any(|(i, _)| {
        let before = text.get(..i).and_then(|s| s.chars().next_back());
        let after = text.get(i + program.len()..).and_then(|s| s.chars().next());
        before == Some('/')
            && after
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
    })
}

fn has_expansion(text: &str) -> bool {
    text.contains('$') || text.contains('`')
}

/// Why `command` (with its `analysis`) may not receive a variable listed for `programs`, or
/// `None` when it may. `cwd` is the call's working directory.
pub fn why_not(
    analysis: &Analysis,
    command: &str,
    cwd: &Path,
    programs: &[String],
) -> Option<String> {
    if let Some(u) = analysis.unknowns.first() {
        return Some(format!("the command is not fully analysable ({})", u.kind));
    }
    if analysis.commands.is_empty() {
        return Some("the command runs no program".into());
    }
    for c in &analysis.commands {
        let p = &c.program;
        if !programs.iter().any(|e| program_matches(e, c)) {
            return Some(format!(
                "`{p}` is not one of the programs the variable is for"
            ));
        }
        if !c.via.is_empty() {
            return Some(format!("`{p}` runs through `{}`", c.via.join(" → ")));
        }
        if analysis.functions.iter().any(|f| f == p) {
            return Some(format!("`{p}` is a function defined by the command"));
        }
        if run_by_path(command, p) {
            return Some(format!("`{p}` is run by path"));
        }
        if !c.assignments.is_empty() {
            return Some(format!("`{p}` has a NAME=value prefix"));
        }
        if c.cwd != cwd {
            return Some(format!("`{p}` runs in another directory"));
        }
        if c.args.iter().any(|a| a.dynamic) || c.redirects.iter().any(|r| r.target.dynamic) {
            return Some(format!("`{p}` has a dynamic word"));
        }
        match &c.stdin {
            Stdin::HereDoc(t) | Stdin::HereString(t) if has_expansion(t) => {
                return Some(format!("`{p}` reads a here-document with expansions"));
            }
            Stdin::File(w) if w.dynamic => return Some(format!("`{p}` has a dynamic word")),
            _ => {}
        }
        if p == "git" {
            for a in &c.args {
                let t = a.text.as_str();
                let risky = GIT_RISKY.iter().any(|r| {
                    t == *r
                        || (r.starts_with("--") && t.starts_with(&format!("{r}=")))
                        || (r.len() == 2 && !r.starts_with("--") && t.starts_with(r) && t.len() > 2)
                });
                if risky || t.contains("ext::") || t.contains("fd::") {
                    return Some(format!("git option `{t}` can run other programs"));
                }
            }
        }
    }
    None
}

/// The injections whose variable this call may receive: those for `profile` (or for every
/// profile) whose programs cover the whole command, per the rule in the module docs.
pub fn injectable<'a>(
    analysis: &Analysis,
    command: &str,
    cwd: &Path,
    injections: &'a [Injection],
    profile: &str,
) -> Vec<&'a Injection> {
    injections
        .iter()
        .filter(|i| i.profiles.is_empty() || i.profiles.iter().any(|p| p == profile))
        .filter(|i| forbidden_name(&i.name).is_none())
        .filter(|i| why_not(analysis, command, cwd, &i.programs).is_none())
        .collect()
}

/// Read an injection's value (outside the sandbox). `env` looks up the hook's environment.
pub fn read_value(
    inj: &Injection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretValue, InjectError> {
    let name = inj.name.clone();
    let raw = match &inj.from {
        ValueSource::Env(var) => env(var).ok_or_else(|| InjectError::MissingEnv {
            name: name.clone(),
            var: var.clone(),
        })?,
        ValueSource::File(path) => {
            std::fs::read_to_string(path).map_err(|source| InjectError::File {
                name: name.clone(),
                path: path.clone(),
                source,
            })?
        }
        ValueSource::Command(argv) => {
            let (program, args) = argv.split_first().ok_or_else(|| InjectError::Command {
                name: name.clone(),
                program: String::new(),
                why: "empty command".into(),
            })?;
            let out = std::process::Command::new(program)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .map_err(|e| InjectError::Command {
                    name: name.clone(),
                    program: program.clone(),
                    why: e.to_string(),
                })?;
            if !out.status.success() {
                return Err(InjectError::Command {
                    name,
                    program: program.clone(),
                    why: out.status.to_string(),
                });
            }
            String::from_utf8(out.stdout)
                .map_err(|_| InjectError::BadValue { name: name.clone() })?
        }
    };
    let v = raw.strip_suffix('\n').unwrap_or(&raw);
    let v = v.strip_suffix('\r').unwrap_or(v);
    if v.is_empty() || v.contains(['\n', '\0']) {
        return Err(InjectError::BadValue { name });
    }
    Ok(SecretValue(v.to_owned()))
}

#[cfg(test)]
mod tests;
