//! The Bash judge: every command the analysis (`crate::shell`) found, under the policy.
//!
//! What belongs here: turning an [`Analysis`] into findings. The program allowlist of the
//! profile; rules with `command` patterns; the paths each command reads and writes (redirects,
//! `cp`/`mv` targets, `rm` operands, `tee`, `dd of=`, `sed -i` …) through the same scope and path
//! rules as the file tools; hosts in URLs through the network allowlist; and what the analysis
//! could not see through (always at least ask). Parsing lives in `crate::shell`; checks that
//! depend on values (environment variables, bind addresses, lockfiles) live in `classes.rs`.
mod classes;
/// The command-pattern types now live in [`crate::pattern`] (the policy compiles them too);
/// re-exported here so `bash::pattern::…` paths keep working.
pub use crate::pattern;
/// Memory files and credential `@import`s: the file tools' check (`engine`) shares them.
pub(crate) use classes::{imports_credential, memory_file};

use std::borrow::Cow;
use std::path::Path;

use crate::checks::{truncate, Judge, Touched};
use crate::decision::{Decision, Finding, Verdict};
use crate::paths;
use crate::policy::rules::Kind;
use crate::policy::{Access, Profile};
use crate::programs;
use crate::shell::{Analysis, Command, RedirectOp, Stdin, UnknownKind, Word};
use crate::wildcard;
use pattern::{Match, Shape};

/// Device files that reading or writing cannot harm.
const HARMLESS_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/stdin",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/tty",
    "/dev/random",
    "/dev/urandom",
];

/// A word made from part of another (`-ofile` → `file`, `HEAD:path` → `path`).
fn owned_word<'w>(text: &str, dynamic: bool) -> Cow<'w, Word> {
    Cow::Owned(Word {
        text: text.to_string(),
        dynamic,
    })
}

/// How one path argument is used.
struct PathUse<'w> {
    word: Cow<'w, Word>,
    access: Access,
}

fn positionals(cmd: &Command) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut end = false;
    for a in &cmd.args {
        if end || !a.text.starts_with('-') || a.text == "-" {
            out.push(a);
        } else if a.text == "--" {
            end = true;
        }
    }
    out
}

fn flag_value<'a>(cmd: &'a Command, names: &[&str]) -> Option<&'a Word> {
    let mut it = cmd.args.iter();
    while let Some(a) = it.next() {
        for n in names {
            if a.text == *n {
                return it.next();
            }
        }
    }
    None
}

fn has_flag(cmd: &Command, names: &[&str]) -> bool {
    let shape = Shape::of(cmd);
    names.iter().any(|n| shape.flags.iter().any(|f| f == n))
}

fn write_all<'w>(out: &mut Vec<PathUse<'w>>, words: &[&'w Word]) {
    for w in words {
        out.push(PathUse {
            word: Cow::Borrowed(w),
            access: Access::Write,
        });
    }
}

/// The paths a command writes and reads, by what the program does with its arguments.
fn path_uses<'w>(cmd: &'w Command) -> Vec<PathUse<'w>> {
    let mut out = Vec::new();
    for r in &cmd.redirects {
        match r.op {
            op if op.writes() => out.push(PathUse {
                word: Cow::Borrowed(&r.target),
                access: Access::Write,
            }),
            RedirectOp::Read => out.push(PathUse {
                word: Cow::Borrowed(&r.target),
                access: Access::Read,
            }),
            _ => {}
        }
    }
    if let Stdin::File(w) = &cmd.stdin {
        out.push(PathUse {
            word: Cow::Borrowed(w),
            access: Access::Read,
        });
    }
    let pos = positionals(cmd);
    match cmd.program.as_str() {
        "rm" | "rmdir" | "unlink" | "shred" | "truncate" | "mkdir" | "touch" | "tee" | "mkfifo"
        | "mknod" => write_all(&mut out, &pos),
        "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" => {
            write_all(&mut out, pos.get(1..).unwrap_or(&[]))
        }
        "cp" | "mv" | "ln" | "install" | "rsync" => {
            // A hard link's source can be written through the link (`ln ~/.bashrc x; echo >> x`),
            // so, as for `mv`, the source counts as written too.
            let moves = cmd.program == "mv"
                || (cmd.program == "ln" && !has_flag(cmd, &["-s", "--symbolic"]));
            if let Some(dir) = flag_value(cmd, &["-t", "--target-directory"]) {
                out.push(PathUse {
                    word: Cow::Borrowed(dir),
                    access: Access::Write,
                });
                for w in &pos {
                    out.push(PathUse {
                        word: Cow::Borrowed(w),
                        access: if moves { Access::Any } else { Access::Read },
                    });
                }
            } else if let Some((last, rest)) = pos.split_last() {
                out.push(PathUse {
                    word: Cow::Borrowed(last),
                    access: Access::Write,
                });
                for w in rest {
                    out.push(PathUse {
                        word: Cow::Borrowed(w),
                        access: if moves { Access::Any } else { Access::Read },
                    });
                }
            }
        }
        "dd" => {
            for a in &cmd.args {
                if let Some(p) = a.text.strip_prefix("of=") {
                    let _ = p;
                    out.push(PathUse {
                        word: Cow::Borrowed(a),
                        access: Access::Write,
                    });
                } else if a.text.starts_with("if=") {
                    out.push(PathUse {
                        word: Cow::Borrowed(a),
                        access: Access::Read,
                    });
                }
            }
        }
        "sed" | "perl"
            if has_flag(cmd, &["-i", "--in-place"])
                || cmd
                    .args
                    .iter()
                    .any(|a| a.text.starts_with("-i") && cmd.program == "sed") =>
        {
            // The first positional is the script unless given with -e/-f.
            let skip =
                usize::from(flag_value(cmd, &["-e", "-f", "--expression", "--file"]).is_none());
            write_all(&mut out, pos.get(skip..).unwrap_or(&[]));
        }
        "find" if has_flag(cmd, &["-delete"]) => {
            let roots: Vec<&Word> = cmd
                .args
                .iter()
                .take_while(|a| !a.text.starts_with('-') && a.text != "(" && a.text != "!")
                .collect();
            if roots.is_empty() {
                out.push(PathUse {
                    word: Cow::Borrowed(&DOT),
                    access: Access::Write,
                });
            }
            write_all(&mut out, &roots);
        }
        "curl" | "wget" | "http" | "xh" => {
            // `-d @file`, `-F f=@file`, `--data-binary @file`, `-T file`: files sent out.
            for (i, a) in cmd.args.iter().enumerate() {
                let t = a.text.as_str();
                let prev = i
                    .checked_sub(1)
                    .and_then(|p| cmd.args.get(p))
                    .map(|w| w.text.as_str());
                if t.starts_with('@')
                    || t.contains("=@")
                    || matches!(prev, Some("-T" | "--upload-file"))
                {
                    out.push(PathUse {
                        word: Cow::Borrowed(a),
                        access: Access::Read,
                    });
                }
            }
        }
        "uniq" => {
            // `uniq IN OUT` writes OUT.
            if let Some(w) = pos.get(1) {
                out.push(PathUse {
                    word: Cow::Borrowed(w),
                    access: Access::Write,
                });
            }
        }
        "patch" => {
            // `patch FILE PATCH` writes FILE; `-o`/`-d` name what it writes too.
            if let Some(w) = pos.first() {
                out.push(PathUse {
                    word: Cow::Borrowed(w),
                    access: Access::Write,
                });
            }
            if let Some(w) = flag_value(cmd, &["-o", "--output", "-d", "--directory"]) {
                out.push(PathUse {
                    word: Cow::Borrowed(w),
                    access: Access::Write,
                });
            }
        }
        "tar" | "bsdtar" | "gtar" => {
            let bundle = cmd
                .args
                .first()
                .filter(|a| !a.text.starts_with('-'))
                .map(|a| a.text.as_str())
                .unwrap_or("");
            let extract = has_flag(cmd, &["-x", "--extract", "--get"]) || bundle.contains('x');
            let create = has_flag(cmd, &["-c", "--create", "-r", "--append", "-u", "--update"])
                || bundle.contains(['c', 'r', 'u']);
            if extract {
                if let Some(w) = flag_value(cmd, &["-C", "--directory"]) {
                    out.push(PathUse {
                        word: Cow::Borrowed(w),
                        access: Access::Write,
                    });
                }
            }
            if create {
                let cluster_f = cmd.args.iter().position(|a| {
                    a.text.len() > 2
                        && a.text.starts_with('-')
                        && !a.text.starts_with("--")
                        && a.text.ends_with('f')
                });
                let archive = flag_value(cmd, &["-f", "--file"])
                    .or_else(|| cluster_f.and_then(|i| cmd.args.get(i + 1)))
                    .or_else(|| {
                        // `tar czf out.tgz dir`: the bundle's `f` takes the next word.
                        bundle.contains('f').then(|| cmd.args.get(1)).flatten()
                    });
                if let Some(w) = archive.filter(|w| w.text != "-") {
                    out.push(PathUse {
                        word: Cow::Borrowed(w),
                        access: Access::Write,
                    });
                }
            }
        }
        "git" => {
            let shape = Shape::of(cmd);
            let sub: Vec<&str> = shape.positionals.iter().map(|p| p.0.as_str()).collect();
            let target = |from: usize| -> Option<&Word> {
                // The word of the n-th positional (after the subcommand), found by text.
                let text = sub.get(from)?;
                cmd.args.iter().rev().find(|a| a.text == *text)
            };
            let mut push = |w: Option<&'w Word>| {
                if let Some(w) = w {
                    out.push(PathUse {
                        word: Cow::Borrowed(w),
                        access: Access::Write,
                    });
                }
            };
            match sub.as_slice() {
                ["clone", _, _, ..] => push(target(2)),
                ["worktree", "add", _, ..] => push(target(2)),
                ["submodule", "add", _, _, ..] => push(target(3)),
                ["init", _, ..] => push(target(1)),
                ["bundle", "create", _, ..] => push(target(2)),
                ["archive" | "format-patch", ..] => {
                    push(flag_value(cmd, &["-o", "--output", "--output-directory"]));
                }
                _ => {}
            }
            // `git show REV:path`, `git cat-file -p :path`: a file's content from the object
            // store is printed like a read of that path.
            if matches!(
                sub.first(),
                Some(
                    &("show"
                        | "cat-file"
                        | "diff"
                        | "log"
                        | "grep"
                        | "archive"
                        | "checkout"
                        | "restore"
                        | "blame")
                )
            ) {
                for a in &cmd.args {
                    if let Some((rev, path)) = a.text.split_once(':') {
                        if !a.text.starts_with('-')
                            && !path.is_empty()
                            && !rev.contains('/')
                            && !a.text.contains("://")
                        {
                            let path =
                                path.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':');
                            out.push(PathUse {
                                word: owned_word(path, a.dynamic),
                                access: Access::Read,
                            });
                        }
                    }
                }
            }
        }
        _ => {}
    }
    // Options whose value is a file the program writes (`curl -o`, `sort -o`, `wget -P`).
    let texts: Vec<&str> = cmd.args.iter().map(|a| a.text.as_str()).collect();
    for (i, off) in crate::programs::output_values(&cmd.program, &texts) {
        if let Some(a) = cmd.args.get(i) {
            let value = a.text.get(off..).unwrap_or("");
            if value == "-" || value.is_empty() || value.starts_with("type=") {
                continue;
            }
            out.push(PathUse {
                word: if off == 0 {
                    Cow::Borrowed(a)
                } else {
                    owned_word(value, a.dynamic)
                },
                access: Access::Write,
            });
        }
    }
    // Every other static argument may name a file the command reads (`cat`, `grep`, `cp`, `tar`,
    // `base64` …): the never-readable rules decide; plain words match none of them.
    if !programs::has(&cmd.program, programs::T_DATA_ARGS) {
        for a in &cmd.args {
            // A bare `$x` may be anything; a glob or brace with a literal part (`.e*`,
            // `{.env,x}`) or a variable the command set earlier is judged below.
            if a.dynamic
                && !a.text.contains('/')
                && !a.text.contains(['*', '?', '[', '{'])
                && !a.text.contains('$')
            {
                continue;
            }
            let text = a.text.as_str();
            if text.starts_with('-') {
                if let Some((_, v)) = text.split_once('=') {
                    if v.contains('/') {
                        out.push(PathUse {
                            word: Cow::Borrowed(a),
                            access: Access::Read,
                        });
                    }
                }
                continue;
            }
            if !out
                .iter()
                .any(|u| matches!(&u.word, Cow::Borrowed(w) if std::ptr::eq(*w, a)))
            {
                out.push(PathUse {
                    word: Cow::Borrowed(a),
                    access: Access::Read,
                });
            }
        }
    }
    out
}

/// Whether a command reaches the network (for the taint check).
fn outbound(cmd: &Command) -> bool {
    if programs::has(&cmd.program, programs::T_NETWORK) {
        return true;
    }
    let first = positionals(cmd).first().map(|w| w.text.as_str());
    match cmd.program.as_str() {
        "git" => matches!(
            first,
            Some("push" | "fetch" | "pull" | "clone" | "ls-remote" | "send-email" | "remote")
        ),
        "npm" | "pnpm" | "yarn" | "cargo" | "docker" | "podman" | "twine" | "gem" => {
            matches!(first, Some("publish" | "push" | "login" | "upload"))
        }
        _ => false,
    }
}

static DOT: Word = Word {
    text: String::new(),
    dynamic: false,
};

/// The literal directory a dynamic word starts with: `~/.ssh/*` → `~/.ssh`.
fn static_prefix(text: &str) -> Option<&str> {
    let cut = text
        .find(['*', '?', '[', '{', '$', '`'])
        .unwrap_or(text.len());
    let head = text.get(..cut)?;
    let slash = head.rfind('/')?;
    let dir = head.get(..slash.max(1))?;
    (!dir.is_empty()).then_some(dir)
}

fn url_hosts(cmd: &Command) -> Vec<String> {
    cmd.args
        .iter()
        .filter(|a| !a.dynamic || a.text.starts_with("http"))
        .filter_map(|a| {
            let t = a.text.trim_start_matches(['\'', '"']);
            // `--index-url=https://…` and `git+https://…` forms.
            let t = t
                .split_once('=')
                .filter(|(k, _)| k.starts_with('-'))
                .map(|(_, v)| v)
                .unwrap_or(t);
            let t = t.strip_prefix("git+").unwrap_or(t);
            crate::checks::url_host(t).ok()
        })
        .collect()
}

/// Variables assigned a fresh temp path in the command (`d=$(mktemp -d)`): writes below them
/// are writes into the temp dir.
fn mktemp_vars(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = command;
    while let Some(pos) = rest
        .find("=$(mktemp")
        .or_else(|| rest.find("=`mktemp"))
        .or_else(|| rest.find("=\"$(mktemp"))
    {
        let head = rest.get(..pos).unwrap_or("");
        let name: String = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
        rest = rest.get(pos + 2..).unwrap_or("");
    }
    out
}

fn is_temp_word(raw: &str, temp_vars: &[String]) -> bool {
    let t = raw.trim_start_matches('"');
    if t.starts_with("$(mktemp") || t.starts_with("`mktemp") {
        return true;
    }
    temp_vars.iter().any(|v| {
        t.strip_prefix('$').is_some_and(|r| {
            r.strip_prefix(v.as_str()).is_some_and(|rest| {
                !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        }) || t.strip_prefix("${").is_some_and(|r| {
            r.strip_prefix(v.as_str())
                .is_some_and(|rest| rest.starts_with('}'))
        })
    })
}

/// Judge a Bash command under one profile.
pub fn judge(
    j: &Judge<'_>,
    profile: &Profile,
    command: &str,
    analysis: &Analysis,
    out: &mut Verdict,
) {
    for u in &analysis.unknowns {
        let program = u.program.as_deref().unwrap_or("");
        let (decision, rule, what) = match u.kind {
            UnknownKind::EvalOfSubstitution if programs::has(program, programs::T_FETCH) => (
                Decision::Deny,
                "remote-code",
                format!("runs code downloaded by `{program}`; download it, read it, then run it"),
            ),
            UnknownKind::EvalOfSubstitution if programs::has(program, programs::T_EVAL_OUTPUT) => {
                continue
            }
            UnknownKind::OpaqueStdinCode
                if u.detail.split_whitespace().any(|w| {
                    programs::has(
                        w.trim_matches(|c: char| !c.is_ascii_alphanumeric()),
                        programs::T_FETCH,
                    )
                }) =>
            {
                (
                    Decision::Deny,
                    "remote-code",
                    format!("pipes network data into an interpreter ({})", u.detail),
                )
            }
            UnknownKind::InlineCode => (
                Decision::Ask,
                "inline-code",
                format!(
                    "runs inline {program} code that blastwall cannot judge ({})",
                    u.detail
                ),
            ),
            _ => (
                Decision::Ask,
                "bash-analysis",
                format!("{}: {}", u.kind, u.detail),
            ),
        };
        out.push(Finding::new(decision, rule, None, truncate(&what, 400)));
    }
    if fork_bomb(command) {
        out.push(Finding::new(
            Decision::Deny,
            "fork-bomb",
            None,
            "a function that calls itself in the background is a fork bomb",
        ));
    }
    let programs = profile.allow_programs.as_ref();
    let temp_vars = mktemp_vars(command);
    classes::check_bare_assignments(j, analysis, out);
    for cmd in &analysis.commands {
        if let Some(list) = programs {
            if !wildcard::any(&list.value, &cmd.program) && !profile.project {
                out.push(Finding::new(
                    Decision::Ask,
                    "program-allowlist",
                    Some(list.loc.clone()),
                    format!("`{}` is not on the program allowlist of profile `{}`; add it to `allow_programs` in your user policy to run it without a prompt", truncate(&cmd.program, 80), profile.name),
                ));
            }
        }
        if matches!(cmd.stdin, Stdin::Pipe { .. }) && cmd.runs_stdin_as_code {
            if let Stdin::Pipe { from } = &cmd.stdin {
                if let Some(f) = from.iter().find(|p| programs::has(p, programs::T_FETCH)) {
                    out.push(Finding::new(Decision::Deny, "remote-code", None, format!("pipes `{f}` output into `{}`: that runs code from the network unseen; download it, read it, then run it", cmd.program)));
                }
            }
        }
        check_rules(j, profile, cmd, out);
        // SQL read from a file is judged as if it were written on the command line.
        if let Some(sql) = classes::sql_from_file(j, cmd) {
            check_rules(j, profile, &sql, out);
        }
        if outbound(cmd) {
            j.check_taint(&format!("`{}`", cmd.program), out);
        }
        check_paths(j, profile, cmd, analysis, &temp_vars, out);
        classes::check(j, analysis, cmd, out);
        if !programs::has(&cmd.program, programs::T_DATA_ARGS) {
            for h in url_hosts(cmd) {
                j.check_host(profile, &h, out, "Bash");
            }
        }
    }
}

fn check_rules(j: &Judge<'_>, profile: &Profile, cmd: &Command, out: &mut Verdict) {
    let shape = Shape::of(cmd);
    // `yarn build` runs the project's `build` script, like `yarn run build`: the subcommand
    // allowlists judge it as that (every other rule still sees the command as written).
    let as_run = classes::implicit_script_run(j, cmd);
    let run_shape = as_run.as_ref().map(Shape::of);
    for rule in j
        .policy
        .rules
        .reachable(&[Kind::Command], &cmd.program)
        .filter(|r| r.applies_to(&profile.name, "Bash"))
    {
        let Some(patterns) = &rule.command_patterns else {
            continue;
        };
        let best = patterns
            .iter()
            .map(|p| match (&as_run, &run_shape) {
                (Some(run), Some(s)) if p.is_allowlist() => p.matches(run, s),
                _ => p.matches(cmd, &shape),
            })
            .max();
        if !matches!(best, Some(Match::Yes | Match::Maybe)) {
            continue;
        }
        let words = std::iter::once(cmd.program.as_str())
            .chain(cmd.args.iter().map(|a| a.text.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        let via = if cmd.via.is_empty() {
            String::new()
        } else {
            format!(" (via {})", cmd.via.join(" → "))
        };
        match best {
            Some(Match::Yes) => out.push(Finding::new(
                rule.decision,
                &rule.id,
                Some(rule.loc.clone()),
                format!("`{}`{via}: {}", truncate(&words, 160), rule.reason),
            )),
            Some(Match::Maybe) => out.push(Finding::new(
                Decision::Ask.min(rule.decision),
                &rule.id,
                Some(rule.loc.clone()),
                format!(
                    "`{}`{via} may match (its arguments are dynamic): {}",
                    truncate(&words, 160),
                    rule.reason
                ),
            )),
            _ => {}
        }
    }
}

/// Brace expansion of one word (`{.env,x}` → `.env`, `x`), bounded; `None` without braces.
fn brace_alternatives(text: &str) -> Option<Vec<String>> {
    let open = text.find('{')?;
    let close = open + text.get(open..)?.find('}')?;
    let inner = text.get(open + 1..close)?;
    if !inner.contains(',') {
        return None;
    }
    let (head, tail) = (text.get(..open)?, text.get(close + 1..)?);
    let mut out = Vec::new();
    for alt in inner.split(',').take(64) {
        let w = format!("{head}{alt}{tail}");
        match brace_alternatives(&w) {
            Some(more) if out.len() < 256 => out.extend(more),
            _ => out.push(w),
        }
    }
    Some(out)
}

/// What a dynamic word can be, as far as the command itself tells: constants assigned earlier
/// (`p=~/.ssh/key; cat $p`), `for` loop words, and brace alternatives. Each result is a word
/// that is still dynamic when a glob or an unknown variable remains in it.
fn known_values(word: &Word, analysis: &Analysis) -> Vec<Word> {
    let mut texts = vec![word.text.clone()];
    for (name, value) in &analysis.constants {
        let plain = format!("${name}");
        let braced = format!("${{{name}}}");
        let mut next = Vec::new();
        for t in &texts {
            let hit = t.contains(&braced)
                || t.match_indices(&plain).any(|(i, _)| {
                    !t.get(i + plain.len()..)
                        .and_then(|r| r.chars().next())
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if hit {
                let v = value.text.as_str();
                next.push(t.replace(&braced, v).replace(&plain, v));
            }
        }
        texts.extend(next);
        texts.truncate(256);
    }
    let mut out = Vec::new();
    for t in texts {
        match brace_alternatives(&t) {
            Some(alts) => out.extend(alts),
            None => out.push(t),
        }
    }
    out.into_iter()
        .filter(|t| *t != word.text)
        .map(|t| Word {
            dynamic: t.contains(['$', '`', '*', '?', '[']),
            text: t,
        })
        .collect()
}

/// Example and template files whose copies (`cp .env.example .env`) hold no secret.
fn template_file(text: &str) -> bool {
    let base = text.rsplit('/').next().unwrap_or(text);
    [
        ".example",
        ".sample",
        ".template",
        ".dist",
        ".defaults",
        ".tmpl",
        ".tpl",
    ]
    .iter()
    .any(|e| base.ends_with(e))
}

fn check_paths(
    j: &Judge<'_>,
    profile: &Profile,
    cmd: &Command,
    analysis: &Analysis,
    temp_vars: &[String],
    out: &mut Verdict,
) {
    let mut uses = path_uses(cmd);
    let mut extra = Vec::new();
    for u in &uses {
        if u.word.dynamic {
            for w in known_values(&u.word, analysis) {
                extra.push(PathUse {
                    word: Cow::Owned(w),
                    access: u.access,
                });
            }
        }
    }
    uses.extend(extra);
    let metadata_only = programs::has(&cmd.program, programs::T_METADATA);
    // `cp .env.example .env`: a copy of a template is not a secret being overwritten.
    let from_template = matches!(cmd.program.as_str(), "cp" | "install")
        && positionals(cmd).len() >= 2
        && positionals(cmd)
            .split_last()
            .is_some_and(|(_, src)| src.iter().all(|w| !w.dynamic && template_file(&w.text)));
    for u in uses {
        if metadata_only && u.access == Access::Read {
            continue;
        }
        // A bare variable read (`cat $f`) says nothing by itself; its known values (added
        // above) are what is judged.
        if u.access == Access::Read
            && u.word.dynamic
            && !u.word.text.contains('/')
            && u.word.text.starts_with('$')
            && !u.word.text.contains(['*', '?', '['])
        {
            continue;
        }
        let before = out.findings.len();
        check_one_path(j, profile, cmd, temp_vars, &u, out);
        if from_template && u.access == Access::Write {
            let mut i = 0;
            out.findings.retain(|f| {
                i += 1;
                i <= before || &*f.rule != "secret-files-write"
            });
        }
    }
}

fn check_one_path(
    j: &Judge<'_>,
    profile: &Profile,
    cmd: &Command,
    temp_vars: &[String],
    u: &PathUse<'_>,
    out: &mut Verdict,
) {
    {
        let raw = match u.word.text.as_str() {
            "" => ".".to_string(),
            t => t
                .strip_prefix("of=")
                .or_else(|| t.strip_prefix("if="))
                .unwrap_or(t)
                .to_string(),
        };
        let raw = if raw.starts_with('-') {
            raw.split_once('=')
                .map(|(_, v)| v.to_string())
                .unwrap_or(raw)
        } else {
            raw
        };
        // curl's `@file` and `name=@file` forms name the file after the `@`.
        let raw = match raw.split_once('@') {
            Some((head, file))
                if (head.is_empty() || head.ends_with('='))
                    && !file.is_empty()
                    && !raw.contains("://") =>
            {
                file.trim_start_matches('<').to_string()
            }
            _ => raw,
        };
        if HARMLESS_DEVICES.contains(&raw.as_str())
            || raw.starts_with("/dev/fd/")
            || raw.starts_with("/proc/self/fd/")
        {
            return;
        }
        // bash's /dev/tcp and /dev/udp redirections open network connections.
        if let Some(rest) = raw
            .strip_prefix("/dev/tcp/")
            .or_else(|| raw.strip_prefix("/dev/udp/"))
        {
            let host = rest.split('/').next().unwrap_or("");
            j.check_host(profile, host, out, "Bash");
            j.check_taint(&format!("a /dev/tcp connection to {host}"), out);
            return;
        }
        if u.word.dynamic && u.access == Access::Read {
            check_dynamic_read(j, profile, cmd, &raw, out);
        }
        // A read whose only dynamic part is the last component (`~/.ssh/*.pub`) was judged
        // by what it can expand to; its directory is not read.
        if u.word.dynamic
            && u.access == Access::Read
            && raw
                .rsplit_once('/')
                .is_some_and(|(dir, _)| !dir.contains(['*', '?', '[', '{', '$', '`']))
        {
            return;
        }
        let (text, prefix_only) = if u.word.dynamic {
            match static_prefix(&raw) {
                Some(p) => (p.to_string(), true),
                None if u.access == Access::Read => return,
                None if is_temp_word(&raw, temp_vars) => return,
                None => {
                    out.push(Finding::new(
                        Decision::Ask,
                        "bash-dynamic-path",
                        None,
                        format!(
                            "`{}` writes to `{}`, which is only known when the command runs",
                            cmd.program,
                            truncate(&raw, 120)
                        ),
                    ));
                    return;
                }
            }
        } else {
            (raw, false)
        };
        let _ = prefix_only;
        let lexical = match j.env.expand(&text) {
            Ok(e) => paths::absolutize(Path::new(&e), &cmd.cwd),
            Err(_) => paths::absolutize(Path::new(&text), &cmd.cwd),
        };
        let resolved = j.resolve(&lexical);
        let recursive = u.access == Access::Read
            && programs::has(&cmd.program, programs::T_RECURSIVE)
            && (has_flag(cmd, &["-r", "-R", "--recursive", "-a", "--archive"])
                || matches!(cmd.program.as_str(), "rg" | "ag" | "tar" | "zip"));
        let t = Touched {
            raw: text,
            lexical,
            resolved,
            access: u.access,
            recursive,
        };
        if u.access != Access::Read
            && programs::has(&cmd.program, programs::T_DELETES)
            && !prefix_only
            && !(cmd.program == "find" && classes::filtered_find(cmd))
        {
            let roots = [
                Some(j.env.project.as_path()),
                j.env.home.as_deref(),
                Some(Path::new("/")),
                Some(j.env.tmpdir.as_path()),
            ];
            if roots
                .iter()
                .flatten()
                .any(|r| t.lexical == *r || t.resolved == *r || r.starts_with(&t.lexical))
            {
                out.push(Finding::new(Decision::Deny, "delete-root", None, format!("`{}` would delete {} itself (the project, home, temp dir or a folder above them)", cmd.program, j.env.display(&t.lexical))));
            }
        }
        j.check_path(profile, &t, out, "Bash");
        if u.access == Access::Read
            && !u.word.dynamic
            && programs::has(&cmd.program, programs::T_PRINTS)
        {
            j.check_file_secrets(&t.resolved, out);
        }
    }
}

/// A read whose path is only known at run time: judge what it could expand to. Dynamic parts
/// become `*` and the result is matched against the path rules (`/proc/$$/environ` is
/// `/proc/*/environ`); a glob component right below a literal prefix is matched against the
/// protected directories there (`~/.a?s/credentials` can be `~/.aws/credentials`); and a path
/// made by a command substitution for a program that prints files is asked.
fn check_dynamic_read(
    j: &Judge<'_>,
    profile: &Profile,
    cmd: &Command,
    raw: &str,
    out: &mut Verdict,
) {
    let home = j
        .env
        .home
        .as_ref()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let expanded = if let Some(rest) = raw.strip_prefix('~') {
        format!("{home}{rest}")
    } else {
        raw.to_string()
    };
    let starred = star_dynamic(&expanded);
    let abs = paths::absolutize(Path::new(&starred), &cmd.cwd);
    let mut protected = Vec::new();
    for rule in j
        .policy
        .rules
        .reachable(&[Kind::Path, Kind::Other], "Bash")
        .filter(|r| {
            r.paths.is_some() && r.command_patterns.is_none() && r.applies_to(&profile.name, "Bash")
        })
    {
        if rule.access == Access::Write {
            continue;
        }
        let could = rule.matches_path(&abs, Access::Read) || {
            let prefix =
                static_prefix(&expanded).map(|p| paths::absolutize(Path::new(p), &cmd.cwd));
            let next_glob = prefix.as_ref().and_then(|p| {
                let rest = abs.strip_prefix(p).ok()?;
                rest.components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
            });
            match (prefix, next_glob) {
                (Some(p), Some(g)) => rule.literal_dirs().any(|d| {
                    d.strip_prefix(&p)
                        .ok()
                        .and_then(|r| r.components().next())
                        .is_some_and(|c| {
                            wildcard::matches(
                                &g.replace('[', "?"),
                                &c.as_os_str().to_string_lossy(),
                            )
                        })
                }),
                _ => false,
            }
        };
        // A glob in the last component can match a file a basename rule protects:
        // `cat .e*` can be `cat .env`.
        let could = could || glob_can_match_basename(rule, &abs);
        if could {
            protected.push(rule);
        }
    }
    for rule in protected {
        out.push(Finding::new(
            rule.decision,
            &rule.id,
            Some(rule.loc.clone()),
            format!(
                "`{}` may read a protected path (`{}` can expand into it): {}",
                cmd.program,
                truncate(raw, 120),
                rule.reason
            ),
        ));
    }
    if programs::has(&cmd.program, programs::T_PRINTS) && (raw.contains("$(") || raw.contains('`'))
    {
        out.push(Finding::new(
            Decision::Ask,
            "bash-dynamic-path",
            None,
            format!(
                "`{}` reads `{}`, a path only known when the command runs",
                cmd.program,
                truncate(raw, 120)
            ),
        ));
    }
}

/// Whether the glob in the last component of `abs` can name a file that one of `rule`'s
/// basename patterns (`.env`, `*.pem`, `id_rsa*`) protects, and its except list does not free.
fn glob_can_match_basename(rule: &crate::policy::Rule, abs: &Path) -> bool {
    let Some(last) = abs.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    if !last.contains(['*', '?', '[']) {
        return false;
    }
    let glob = last.replace('[', "?");
    // bash globs match a leading dot only when they start with one.
    let dot_ok = |name: &str| !name.starts_with('.') || glob.starts_with('.');
    if let Some(dir) = abs.parent().filter(|d| d.is_dir()) {
        // The directory exists: judge the names the glob really matches.
        if let Ok(entries) = std::fs::read_dir(dir) {
            return entries.take(10_000).flatten().any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                dot_ok(&name)
                    && wildcard::matches(&glob, &name)
                    && rule.matches_path(&dir.join(&name), Access::Read)
            });
        }
    }
    // Not there (yet): a glob with a literal part that fits a protected name (`.e*`).
    if !last.chars().any(|c| c.is_ascii_alphanumeric() || c == '.') {
        return false;
    }
    rule.paths.iter().flat_map(|g| g.patterns()).any(|pat| {
        let pat = pat.strip_prefix("**/").unwrap_or(pat);
        if pat.contains('/') {
            return false;
        }
        // A name the pattern matches: its wildcards filled with a plain letter.
        let sample = pat.replace("**", "x").replace(['*', '?'], "x");
        let probe = abs.with_file_name(&sample);
        dot_ok(&sample)
            && wildcard::matches(&glob, &sample)
            && !rule.except.as_ref().is_some_and(|e| e.is_match(&probe))
    })
}

/// Replace each dynamic part of a word (`$x`, `${x}`, `$$`, `$(…)`, `` `…` ``) by `*`.
fn star_dynamic(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => {
                out.push('*');
                match chars.peek() {
                    Some('(') | Some('{') => {
                        let (open, close) = if chars.peek() == Some(&'(') {
                            ('(', ')')
                        } else {
                            ('{', '}')
                        };
                        let mut depth = 0usize;
                        for d in chars.by_ref() {
                            if d == open {
                                depth += 1;
                            } else if d == close {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            }
                        }
                    }
                    Some(_) => {
                        while chars.peek().is_some_and(|d| {
                            d.is_ascii_alphanumeric()
                                || matches!(d, '_' | '$' | '#' | '?' | '!' | '@' | '*')
                        }) {
                            chars.next();
                        }
                    }
                    None => {}
                }
            }
            '`' => {
                out.push('*');
                for d in chars.by_ref() {
                    if d == '`' {
                        break;
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `:(){ :|:& };:` and its renamings: a function whose body pipes itself into itself in the
/// background.
fn fork_bomb(command: &str) -> bool {
    // Characters a function name may hold (bash accepts nearly anything but metacharacters).
    fn name_char(c: char) -> bool {
        !c.is_whitespace() && !";&|(){}<>\"'`$".contains(c)
    }
    // Drop whitespace, except between two name characters: `f ( ) { f | f & }` reads
    // `f(){f|f&}`, while a keyword or word before the name stays apart from it
    // (`then :(){`, `x\n:(){`), so the name is not read as `then:`.
    let mut compact = String::with_capacity(command.len());
    for word in command.split_whitespace() {
        if let (Some(prev), Some(next)) = (compact.chars().last(), word.chars().next()) {
            if name_char(prev) && name_char(next) {
                compact.push(' ');
            }
        }
        compact.push_str(word);
    }
    // `function f { …; }` and `function f() { …; }` define `f` as `f() { …; }` does.
    let mut rest = compact.as_str();
    while let Some(pos) = rest.find("function ") {
        let after = rest.get(pos + "function ".len()..).unwrap_or("");
        let end = after.find(|c: char| !name_char(c)).unwrap_or(after.len());
        let name = after.get(..end).unwrap_or("");
        let tail = after.get(end..).unwrap_or("");
        if let Some(body) = tail.strip_prefix("(){").or_else(|| tail.strip_prefix('{')) {
            if !name.is_empty() && body.contains(&format!("{name}|{name}&")) {
                return true;
            }
        }
        rest = after;
    }
    let mut rest = compact.as_str();
    while let Some(pos) = rest.find("(){") {
        let head = rest.get(..pos).unwrap_or("");
        let name_start = head
            .char_indices()
            .rev()
            .find(|(_, c)| !name_char(*c))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let name = head.get(name_start..).unwrap_or("");
        let body = rest.get(pos + 3..).unwrap_or("");
        if !name.is_empty() && body.contains(&format!("{name}|{name}&")) {
            return true;
        }
        rest = body;
    }
    false
}

#[cfg(test)]
mod tests;
