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
use std::path::{Path, PathBuf};

use crate::shell::{Analysis, Command, Stdin};

pub use crate::policy::model::{forbidden_name, Injection, ValueSource};

pub use crate::secrets::SecretValue;

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

/// Longest value read from a file or a command (a credential is a line, not a document).
pub const MAX_VALUE: u64 = 64 * 1024;
/// How long a `command` source may take (`gh auth token` answers in well under a second).
pub const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut s = String::new();
    std::fs::File::open(path)?
        .take(MAX_VALUE + 1)
        .read_to_string(&mut s)?;
    if s.len() as u64 > MAX_VALUE {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_VALUE} bytes"
        )));
    }
    Ok(s)
}

/// Run a `command` source: no stdin, stderr dropped, stdout capped at [`MAX_VALUE`], killed
/// after [`COMMAND_TIMEOUT`].
fn run_capped(
    name: &str,
    argv: &[String],
    timeout: std::time::Duration,
) -> Result<String, InjectError> {
    use std::io::Read;
    let fail = |program: &str, why: String| InjectError::Command {
        name: name.to_owned(),
        program: program.to_owned(),
        why,
    };
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| fail("", "empty command".into()))?;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| fail(program, e.to_string()))?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            let _ = s.take(MAX_VALUE + 1).read_to_end(&mut out);
        }
        out
    });
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(
                    program,
                    format!("it did not finish within {} ms", timeout.as_millis()),
                ));
            }
            Err(e) => return Err(fail(program, e.to_string())),
        }
    };
    let out = reader
        .join()
        .map_err(|_| fail(program, "reading its output failed".into()))?;
    // Too large first: the reader stops at the cap and closes the pipe, so a command still
    // writing then dies of SIGPIPE, and its failed status must not hide the real reason.
    if out.len() as u64 > MAX_VALUE {
        return Err(InjectError::BadValue {
            name: name.to_owned(),
        });
    }
    if !status.success() {
        return Err(fail(program, status.to_string()));
    }
    String::from_utf8(out).map_err(|_| InjectError::BadValue {
        name: name.to_owned(),
    })
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
        ValueSource::File(path) => read_capped(path).map_err(|source| InjectError::File {
            name: name.clone(),
            path: path.clone(),
            source,
        })?,
        ValueSource::Command(argv) => run_capped(&name, argv, COMMAND_TIMEOUT)?,
    };
    let v = raw.strip_suffix('\n').unwrap_or(&raw);
    let v = v.strip_suffix('\r').unwrap_or(v);
    if v.is_empty() || v.contains(['\n', '\0']) {
        return Err(InjectError::BadValue { name });
    }
    Ok(SecretValue::new(v.to_owned()))
}

/// Where values from `command` sources are kept for the redactor: `<state>/inject/<NAME>`,
/// files 0600 in a 0700 directory. The state directory is hidden inside every sandbox, and
/// the default policy's `credential-stores` rule denies reading it (and `guard-files`
/// writing it) with the client's own tools.
pub fn cache_dir(state: &Path) -> PathBuf {
    state.join("inject")
}

/// Remember a `command` source's value for the redactor of later PostToolUse events (they
/// must not run `gh auth token` on every tool call). Best effort: a value that could not be
/// cached is still redacted where it looks like a token.
pub fn cache_value(state: &Path, name: &str, value: &SecretValue) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if forbidden_name(name).is_some() {
        return Err(std::io::Error::other("not a variable name"));
    }
    let dir = cache_dir(state);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(value.expose().as_bytes())?;
    drop(f);
    std::fs::rename(&tmp, dir.join(name))
}

/// A cached `command` value, if one was cached.
fn cached_value(state: &Path, name: &str) -> Option<SecretValue> {
    if forbidden_name(name).is_some() {
        return None;
    }
    let v = std::fs::read_to_string(cache_dir(state).join(name)).ok()?;
    (!v.is_empty() && !v.contains(['\n', '\0'])).then_some(SecretValue::new(v))
}

/// Every value the policy's injections can hand a sandboxed call, as the redactor's exact
/// values labelled `inject:NAME`: `env` and `file` sources read again here (the hook runs in
/// the same environment as `blastwall sandbox`), `command` sources from the runner's cache
/// (never run here). Sources that cannot be read are skipped: nothing was injected from them.
pub fn known_values(
    injections: &[Injection],
    state: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, Vec<u8>)> {
    injections
        .iter()
        .filter_map(|i| {
            let v = match &i.from {
                ValueSource::Command(_) => cached_value(state?, &i.name)?,
                _ => read_value(i, env).ok()?,
            };
            Some((format!("inject:{}", i.name), v.expose().as_bytes().to_vec()))
        })
        .collect()
}

/// What the runner passes into one call: each name the ticket lists that the policy still
/// injects for this command under this profile, with its value (read now, outside the
/// sandbox). The rule is checked again here, so a ticket can only ever name what the policy
/// would give this command. Errors name the variable, never a value.
#[allow(
    clippy::too_many_arguments,
    reason = "the call as the runner sees it, one argument each"
)]
pub fn resolve_for_call(
    names: &[String],
    injections: &[Injection],
    analysis: &Analysis,
    command: &str,
    cwd: &Path,
    profile: &str,
    state: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Vec<(String, SecretValue)>, Vec<String>) {
    let allowed = injectable(analysis, command, cwd, injections, profile);
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let Some(inj) = allowed.iter().find(|i| &i.name == name) else {
            errors.push(format!(
                "secrets.inject `{name}`: the policy does not inject it into this command; not passed"
            ));
            continue;
        };
        match read_value(inj, env) {
            Ok(v) => {
                if let (ValueSource::Command(_), Some(state)) = (&inj.from, state) {
                    if let Err(e) = cache_value(state, name, &v) {
                        errors.push(format!(
                            "secrets.inject `{name}`: could not remember the value for redaction ({e})"
                        ));
                    }
                }
                values.push((name.clone(), v));
            }
            Err(e) => errors.push(format!("{e}; not passed")),
        }
    }
    (values, errors)
}

#[cfg(test)]
mod tests;
