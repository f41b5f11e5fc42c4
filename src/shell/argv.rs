//! What a command does with its arguments: wrappers that run another command (`sudo`, `env`,
//! `xargs`, `find -exec`, …), shells and `eval` that run a string as code, interpreters that run
//! inline code or read code from stdin, `source`/`bash x.sh` that run a script file, and git
//! configuration that smuggles a shell command (`git -c alias.x='!…'`).
//!
//! Pure functions over quote-removed words: the walker (`walk.rs`) acts on the [`Action`]s.
//! Option tables only need to be good enough to find where the wrapped command starts; when in
//! doubt a word is taken as the command, which over-reports rather than hides.

use super::Word;

/// A word of a simple command as the walker saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Arg {
    /// Quote-removed text and whether it is static.
    pub word: Word,
    /// Programs run by the command or process substitutions inside this word.
    pub subst: Vec<String>,
    /// The whole word is one substitution (`"$(…)"`, `` `…` ``, `<(…)`), nothing else.
    pub pure_subst: bool,
}

impl Arg {
    pub(crate) fn text(&self) -> &str {
        &self.word.text
    }
    fn is_static(&self) -> bool {
        !self.word.dynamic
    }
}

/// What the walker must do besides reporting the command itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Run `args[start]` with `args[start+1..end]` as a command.
    Exec {
        label: String,
        start: usize,
        end: usize,
        assignments: Vec<(String, Word)>,
        chdir: Option<Word>,
        /// The wrapped command's stdin is not the wrapper's (xargs, find).
        own_stdin: bool,
    },
    /// Parse `code` as shell code (`bash -c`, `eval`, `trap`, aliases, git `!` aliases).
    Shell {
        label: String,
        code: String,
        dynamic: bool,
    },
    /// Run the shell script named by `args[arg]`.
    Script { arg: usize },
    /// A shell with no script and no `-c`: it runs its stdin as code.
    ShellStdin { shell: String },
    /// A non-shell interpreter that runs its stdin as code.
    InterpStdin { interp: String },
    /// Non-shell code inline (`python3 -c`, `awk '…system…'`).
    Inline { interp: String, detail: String },
    /// The output of these programs is run as code.
    EvalSubst {
        programs: Vec<String>,
        detail: String,
    },
    /// Something that runs code we cannot see statically.
    Dynamic { detail: String },
}

pub(crate) fn is_shell(program: &str) -> bool {
    crate::programs::has(program, crate::programs::T_SHELL)
}

/// Where options end: the index of the first operand. `short_arg` are short options that take
/// the next word (or the rest of their cluster); `long_arg` are long options that take the next
/// word when not written `--opt=value`.
fn skip_options(args: &[Arg], from: usize, short_arg: &str, long_arg: &[&str]) -> usize {
    let mut i = from;
    while let Some(a) = args.get(i) {
        let t = a.text();
        if t == "--" {
            return i + 1;
        }
        if !a.is_static() || !t.starts_with('-') || t == "-" {
            return i;
        }
        if let Some(long) = t.strip_prefix("--") {
            if !long.contains('=') && long_arg.contains(&long) {
                i += 1;
            }
        } else {
            // A cluster: `-abc`, `-ufoo`. The first option that takes an argument eats the
            // rest of the cluster, or the next word when it is last.
            let body = t.get(1..).unwrap_or_default();
            for (pos, ch) in body.char_indices() {
                if short_arg.contains(ch) {
                    if pos + ch.len_utf8() == body.len() {
                        i += 1;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    i
}

/// Short options present in the option prefix `args[from..end]` (clusters expanded).
fn has_short(args: &[Arg], from: usize, end: usize, flag: char, long: &str) -> bool {
    args.get(from..end).unwrap_or_default().iter().any(|a| {
        let t = a.text();
        t == long || (t.starts_with('-') && !t.starts_with("--") && t.contains(flag))
    })
}

fn exec(label: &str, start: usize, end: usize) -> Action {
    Action::Exec {
        label: label.to_owned(),
        start,
        end,
        assignments: Vec::new(),
        chdir: None,
        own_stdin: false,
    }
}

fn is_assignment(t: &str) -> Option<(&str, &str)> {
    let (name, value) = t.split_once('=')?;
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some((name, value))
}

/// Join words into one string of shell code, as `eval` and `ssh` do.
fn join(args: &[Arg]) -> (String, bool) {
    let text = args.iter().map(Arg::text).collect::<Vec<_>>().join(" ");
    (text, args.iter().any(|a| !a.is_static()))
}

/// Single-quote a word for re-parsing.
fn quote(t: &str) -> String {
    format!("'{}'", t.replace('\'', r"'\''"))
}

/// The actions implied by running `program` (already normalised) with `args`.
pub(crate) fn classify(program: &str, args: &[Arg]) -> Vec<Action> {
    let n = args.len();
    let mut out = Vec::new();
    match program {
        "sudo" => {
            let i = skip_options(
                args,
                0,
                "CDghpRrTtUu",
                &[
                    "user",
                    "group",
                    "prompt",
                    "close-from",
                    "chdir",
                    "role",
                    "type",
                    "command-timeout",
                    "other-user",
                    "host",
                    "chroot",
                ],
            );
            let i = skip_assignments(args, i);
            let editing =
                has_short(args, 0, i, 'e', "--edit") || has_short(args, 0, i, 'l', "--list");
            if editing {
            } else if i < n {
                out.push(exec("sudo", i, n));
            } else if has_short(args, 0, i, 's', "--shell") || has_short(args, 0, i, 'i', "--login")
            {
                out.push(Action::ShellStdin {
                    shell: "sudo -s".to_owned(),
                });
            }
        }
        "doas" => {
            let i = skip_options(args, 0, "uC", &[]);
            if i < n {
                out.push(exec("doas", i, n));
            } else if has_short(args, 0, i, 's', "") {
                out.push(Action::ShellStdin {
                    shell: "doas -s".to_owned(),
                });
            }
        }
        "env" => out.extend(classify_env(args)),
        "command" => {
            let i = skip_options(args, 0, "", &[]);
            let query = has_short(args, 0, i, 'v', "") || has_short(args, 0, i, 'V', "");
            if !query && i < n {
                out.push(exec("command", i, n));
            }
        }
        "builtin" | "nohup" | "unbuffer" | "chronic" | "fakeroot" | "proxychains"
        | "proxychains4" | "torsocks" | "tsocks" | "catchsegv" | "dumb-init" | "tini"
        | "caffeinate" | "xvfb-run" | "dbus-run-session" | "entr" | "linux32" | "linux64"
        | "firejail" | "valgrind" | "pkexec" | "setpriv" | "unshare" | "nsenter" | "prlimit"
        | "systemd-run" | "numactl" | "sshpass" | "faketime" | "eatmydata" | "nocache"
        | "rlwrap" => {
            let short_arg = match program {
                "sshpass" => "pfde",
                "pkexec" => "",
                "systemd-run" => "upMHE",
                "nsenter" => "tS",
                "faketime" => "f",
                _ => "",
            };
            let long_arg: &[&str] = match program {
                "pkexec" => &["user"],
                "systemd-run" => &[
                    "unit",
                    "property",
                    "description",
                    "slice",
                    "uid",
                    "gid",
                    "working-directory",
                    "setenv",
                ],
                _ => &[],
            };
            let mut i = skip_options(args, 0, short_arg, long_arg);
            if program == "faketime" && i < n {
                // faketime TIMESTAMP cmd
                i += 1;
            }
            if i < n {
                out.push(exec(program, i, n));
            }
        }
        "exec" => {
            let i = skip_options(args, 0, "a", &[]);
            if i < n {
                out.push(exec("exec", i, n));
            }
        }
        "nice" => {
            let i = skip_options(args, 0, "n", &["adjustment"]);
            if i < n {
                out.push(exec("nice", i, n));
            }
        }
        "ionice" => {
            let i = skip_options(
                args,
                0,
                "cnpPu",
                &["class", "classdata", "pid", "pgid", "uid"],
            );
            let by_pid = ["-p", "-P", "-u", "--pid", "--pgid", "--uid"]
                .iter()
                .any(|f| args.iter().any(|a| a.text() == *f));
            if !by_pid && i < n {
                out.push(exec("ionice", i, n));
            }
        }
        "chrt" | "taskset" => {
            let i = skip_options(args, 0, "", &[]);
            let by_pid = has_short(args, 0, i, 'p', "--pid");
            // `chrt PRIO cmd`, `taskset MASK cmd`; with `-c` taskset takes a list instead: still
            // one word.
            if !by_pid && i + 1 < n {
                out.push(exec(program, i + 1, n));
            }
        }
        "timeout" => {
            let i = skip_options(args, 0, "ks", &["kill-after", "signal"]);
            if i + 1 < n {
                out.push(exec("timeout", i + 1, n));
            }
        }
        "time" => {
            let i = skip_options(args, 0, "fo", &["format", "output"]);
            if i < n {
                out.push(exec("time", i, n));
            }
        }
        "stdbuf" => {
            let i = skip_options(args, 0, "ioe", &["input", "output", "error"]);
            if i < n {
                out.push(exec("stdbuf", i, n));
            }
        }
        "setsid" | "strace" | "ltrace" => {
            let short_arg = match program {
                "strace" => "abeEIoOpPsSUuX",
                "ltrace" => "aAeFlnoPpSsuX",
                _ => "",
            };
            let i = skip_options(args, 0, short_arg, &[]);
            if i < n {
                out.push(exec(program, i, n));
            }
        }
        "xargs" => {
            let i = skip_options(
                args,
                0,
                "IsLnPdEa",
                &[
                    "arg-file",
                    "delimiter",
                    "eof",
                    "max-lines",
                    "max-args",
                    "max-procs",
                    "max-chars",
                    "process-slot-var",
                ],
            );
            if i < n {
                out.push(Action::Exec {
                    label: "xargs".to_owned(),
                    start: i,
                    end: n,
                    assignments: Vec::new(),
                    chdir: None,
                    own_stdin: true,
                });
            }
        }
        "parallel" | "sem" => {
            let i = skip_options(
                args,
                0,
                "jSaNnLlCdIEX",
                &[
                    "jobs",
                    "sshlogin",
                    "arg-file",
                    "joblog",
                    "results",
                    "delay",
                    "timeout",
                    "colsep",
                    "delimiter",
                    "tmpdir",
                    "workdir",
                    "wd",
                    "eof",
                    "halt",
                    "memfree",
                    "load",
                    "retries",
                    "tagstring",
                    "tag-string",
                    "basefile",
                    "bf",
                    "return",
                    "transferfile",
                    "tf",
                    "sshloginfile",
                    "slf",
                    "block",
                    "recend",
                    "recstart",
                    "header",
                    "env",
                    "max-args",
                    "max-replace-args",
                    "replace",
                    "jobs",
                ],
            );
            let end = args
                .iter()
                .skip(i)
                .position(|a| a.text().starts_with(":::"))
                .map_or(n, |p| i + p);
            match args.get(i..end) {
                Some(cmd) if !cmd.is_empty() => {
                    let (code, dynamic) = join(cmd);
                    out.push(Action::Shell {
                        label: program.to_owned(),
                        code,
                        dynamic,
                    });
                }
                _ => out.push(Action::InterpStdin {
                    interp: program.to_owned(),
                }),
            }
        }
        "busybox" | "toybox" => {
            if let Some(first) = args.first() {
                if first.text().starts_with('-') {
                } else {
                    out.push(exec(program, 0, n));
                }
            }
        }
        "watch" => {
            let i = skip_options(args, 0, "nq", &["interval", "equexit", "errexit"]);
            let direct = has_short(args, 0, i, 'x', "--exec");
            if direct {
                if i < n {
                    out.push(exec("watch", i, n));
                }
            } else if let Some(cmd) = args.get(i..).filter(|c| !c.is_empty()) {
                let (code, dynamic) = join(cmd);
                out.push(Action::Shell {
                    label: "watch".to_owned(),
                    code,
                    dynamic,
                });
            }
        }
        "flock" => {
            let i = skip_options(args, 0, "wEz", &["timeout", "conflict-exit-code"]);
            // The lock file (or fd), then `-c CMD` or a command.
            let j = i + 1;
            match args.get(j).map(Arg::text) {
                Some("-c" | "--command") => {
                    if let Some(code) = args.get(j + 1) {
                        out.push(Action::Shell {
                            label: "flock -c".to_owned(),
                            code: code.text().to_owned(),
                            dynamic: !code.is_static(),
                        });
                    }
                }
                Some(_) => out.push(exec("flock", j, n)),
                None => {}
            }
        }
        "chroot" => {
            let i = skip_options(args, 0, "", &["userspec", "groups"]);
            if i + 1 < n {
                out.push(exec("chroot", i + 1, n));
            } else if i < n {
                out.push(Action::ShellStdin {
                    shell: "chroot".to_owned(),
                });
            }
        }
        "su" | "runuser" | "sg" | "script" | "nix-shell" | "npx" => {
            out.extend(classify_command_flag(program, args))
        }
        "ssh" => out.extend(classify_ssh(args)),
        "tar" | "gtar" | "bsdtar" | "rsync" | "tmux" | "screen" | "at" | "batch" => {
            out.extend(classify_tool_commands(program, args));
        }
        "uv" | "poetry" | "pipenv" | "pdm" | "hatch" | "rye" | "pixi" | "bundle" | "conda"
        | "mamba" | "micromamba" | "direnv" | "mise" | "asdf" | "nix" | "npm" | "pnpm" | "yarn" => {
            out.extend(classify_run_subcommand(program, args))
        }
        "find" => out.extend(classify_find(args)),
        "git" => out.extend(classify_git(args)),
        "eval" => {
            if !args.is_empty() {
                out.push(eval_like("eval", args));
            }
        }
        "trap" => {
            // `trap [--] CODE SIG…`; `trap -l`/`-p` print; a single argument resets.
            let i = usize::from(args.first().is_some_and(|a| a.text() == "--"));
            if let Some(code) = args.get(i) {
                let t = code.text();
                if n > i + 1 && t != "-" && !t.starts_with('-') {
                    out.push(Action::Shell {
                        label: "trap".to_owned(),
                        code: t.to_owned(),
                        dynamic: !code.is_static(),
                    });
                }
            }
        }
        "alias" => {
            for a in args {
                if let Some((_, value)) = a.text().split_once('=') {
                    out.push(Action::Shell {
                        label: "alias".to_owned(),
                        code: value.to_owned(),
                        dynamic: !a.is_static(),
                    });
                }
            }
        }
        "source" | "." => {
            if !args.is_empty() {
                out.push(Action::Script { arg: 0 });
            }
        }
        "awk" | "gawk" | "mawk" | "nawk" => out.extend(classify_awk(program, args)),
        "sed" | "gsed" => out.extend(classify_sed(program, args)),
        p if is_shell(p) => out.extend(classify_shell(p, args)),
        p => out.extend(classify_interpreter(p, args)),
    }
    out
}

fn skip_assignments(args: &[Arg], mut i: usize) -> usize {
    while args
        .get(i)
        .is_some_and(|a| a.is_static() && is_assignment(a.text()).is_some())
    {
        i += 1;
    }
    i
}

/// `eval WORDS` (and `source`-like evaluation of a string): the words joined are code.
fn eval_like(label: &str, args: &[Arg]) -> Action {
    let dynamic: Vec<&Arg> = args.iter().filter(|a| !a.is_static()).collect();
    if !dynamic.is_empty() && dynamic.iter().all(|a| a.pure_subst) {
        let programs: Vec<String> = dynamic
            .iter()
            .flat_map(|a| a.subst.iter().cloned())
            .collect();
        return Action::EvalSubst {
            detail: format!("`{label}` runs the output of `{}`", programs.join(", ")),
            programs,
        };
    }
    let (code, dynamic) = join(args);
    Action::Shell {
        label: label.to_owned(),
        code,
        dynamic,
    }
}

fn classify_env(args: &[Arg]) -> Vec<Action> {
    let n = args.len();
    let mut i = 0;
    let mut chdir = None;
    let mut split: Option<&Arg> = None;
    while let Some(a) = args.get(i) {
        let t = a.text();
        if t == "--" {
            i += 1;
            break;
        }
        if !a.is_static() || !t.starts_with('-') || t == "-" {
            break;
        }
        if let Some(v) = t.strip_prefix("--chdir=") {
            chdir = Some(Word {
                text: v.to_owned(),
                dynamic: a.word.dynamic,
            });
        } else if t.starts_with("--split-string=") {
            split = Some(a);
        } else if t == "-C" || t == "--chdir" {
            chdir = args.get(i + 1).map(|w| w.word.clone());
            i += 1;
        } else if t == "-S" || t == "--split-string" {
            split = args.get(i + 1);
            i += 1;
        } else if t == "-u" || t == "--unset" || t == "-P" {
            i += 1;
        } else if let Some(rest) = t.strip_prefix("-C").filter(|r| !r.is_empty()) {
            chdir = Some(Word {
                text: rest.to_owned(),
                dynamic: a.word.dynamic,
            });
        } else if t.starts_with("-S") && t.len() > 2 {
            split = Some(a);
        }
        i += 1;
    }
    let mut assignments = Vec::new();
    while let Some(a) = args.get(i) {
        match is_assignment(a.text()) {
            Some((name, value)) if a.is_static() || !a.text().starts_with('$') => {
                assignments.push((
                    name.to_owned(),
                    Word {
                        text: value.to_owned(),
                        dynamic: a.word.dynamic,
                    },
                ));
                i += 1;
            }
            _ => break,
        }
    }
    let mut out = Vec::new();
    if let Some(s) = split {
        // `env -S 'cmd args'` splits a string into words (with quoting): close to shell code.
        let t = s.text();
        let body = t
            .strip_prefix("--split-string=")
            .or_else(|| t.strip_prefix("-S"))
            .filter(|b| !b.is_empty())
            .unwrap_or(t);
        let mut code = body.to_owned();
        if let Some(rest) = args.get(i..) {
            for a in rest {
                code.push(' ');
                code.push_str(&quote(a.text()));
            }
        }
        out.push(Action::Shell {
            label: "env -S".to_owned(),
            code,
            dynamic: !s.is_static(),
        });
    } else if i < n {
        out.push(Action::Exec {
            label: "env".to_owned(),
            start: i,
            end: n,
            assignments,
            chdir,
            own_stdin: false,
        });
    }
    out
}

/// Commands that take a shell string after `-c` (`su -c`, `runuser`, `sg`, `script -c`,
/// `nix-shell --run`, `npx -c`) or else run a command (`runuser -u u -- cmd`, `sg grp cmd`).
fn classify_command_flag(program: &str, args: &[Arg]) -> Vec<Action> {
    let n = args.len();
    let flags: &[&str] = match program {
        "nix-shell" => &["--run", "--command"],
        "npx" => &["-c", "--call"],
        _ => &["-c", "--command", "--session-command"],
    };
    for (k, a) in args.iter().enumerate() {
        let t = a.text();
        for f in flags {
            if t == *f {
                if let Some(code) = args.get(k + 1) {
                    return vec![Action::Shell {
                        label: format!("{program} {f}"),
                        code: code.text().to_owned(),
                        dynamic: !code.is_static(),
                    }];
                }
            } else if let Some(v) = t.strip_prefix(f).and_then(|r| r.strip_prefix('=')) {
                return vec![Action::Shell {
                    label: format!("{program} {f}"),
                    code: v.to_owned(),
                    dynamic: !a.is_static(),
                }];
            }
        }
    }
    match program {
        "runuser" => {
            let i = skip_options(
                args,
                0,
                "ugGw",
                &["user", "group", "supp-group", "whitelist-environment"],
            );
            if args
                .iter()
                .any(|a| a.text() == "-u" || a.text().starts_with("--user"))
                && i < n
            {
                return vec![exec("runuser", i, n)];
            }
            vec![Action::ShellStdin {
                shell: "runuser".to_owned(),
            }]
        }
        "sg" => {
            // `sg GROUP cmd…` runs the rest through /bin/sh -c.
            match args.get(1..).filter(|r| !r.is_empty()) {
                Some(rest) => {
                    let (code, dynamic) = join(rest);
                    vec![Action::Shell {
                        label: "sg".to_owned(),
                        code,
                        dynamic,
                    }]
                }
                None => Vec::new(),
            }
        }
        "su" => vec![Action::ShellStdin {
            shell: "su".to_owned(),
        }],
        _ => Vec::new(),
    }
}

/// Tools whose `run`/`exec` subcommand runs an arbitrary command in an environment:
/// `uv run CMD`, `poetry run CMD`, `bundle exec CMD`, `conda run -n env CMD`,
/// `direnv exec DIR CMD`, `mise exec -- CMD`, `nix develop -c CMD`, `npm exec -- CMD`.
fn classify_run_subcommand(program: &str, args: &[Arg]) -> Vec<Action> {
    let Some(sub) = args.first().map(Arg::text) else {
        return Vec::new();
    };
    let runs = match program {
        "bundle" => sub == "exec",
        "direnv" | "asdf" | "mise" => sub == "exec" || sub == "x",
        "npm" | "pnpm" | "yarn" => sub == "exec" || sub == "x" || sub == "dlx",
        "nix" => sub == "develop" || sub == "shell",
        _ => sub == "run",
    };
    if !runs {
        return Vec::new();
    }
    let label = format!("{program} {sub}");
    if program == "nix" {
        // Only `-c`/`--command` runs a command; the rest are installables.
        let at = args
            .iter()
            .position(|a| a.text() == "-c" || a.text() == "--command");
        return match at {
            Some(k) if k + 1 < args.len() => vec![exec(&label, k + 1, args.len())],
            _ => Vec::new(),
        };
    }
    let short_arg = match program {
        "conda" | "mamba" | "micromamba" => "np",
        "uv" => "pw",
        _ => "",
    };
    let long_arg: &[&str] = match program {
        "conda" | "mamba" | "micromamba" => &["name", "prefix", "cwd"],
        "uv" => &[
            "with",
            "python",
            "project",
            "directory",
            "env-file",
            "package",
            "group",
            "extra",
            "index",
        ],
        "npm" | "pnpm" | "yarn" => &["package", "workspace"],
        _ => &[],
    };
    let mut i = skip_options(args, 1, short_arg, long_arg);
    if program == "direnv" {
        // `direnv exec DIR CMD`
        i += 1;
    }
    if i < args.len() {
        vec![exec(&label, i, args.len())]
    } else {
        Vec::new()
    }
}

fn classify_ssh(args: &[Arg]) -> Vec<Action> {
    let mut out = Vec::new();
    // `-o ProxyCommand=…`/`LocalCommand=…` run locally through the shell.
    for (k, a) in args.iter().enumerate() {
        let opt = if a.text() == "-o" {
            args.get(k + 1)
        } else {
            None
        };
        let value = opt
            .map(Arg::text)
            .or_else(|| a.text().strip_prefix("-o").filter(|v| !v.is_empty()));
        if let Some(v) = value {
            let lower = v.to_ascii_lowercase();
            for key in ["proxycommand", "localcommand"] {
                if let Some(code) = lower
                    .strip_prefix(key)
                    .and_then(|r| r.trim_start().strip_prefix(['=', ' ']))
                {
                    let start = v.len() - code.len();
                    out.push(Action::Shell {
                        label: format!("ssh -o {key}"),
                        code: v.get(start..).unwrap_or_default().to_owned(),
                        dynamic: !a.is_static(),
                    });
                }
            }
        }
    }
    let i = skip_options(args, 0, "BbcDEeFIiJLlmOoPpQRSWw", &[]);
    if let Some(host) = args.get(i) {
        let label = format!("ssh {}", host.text());
        match args.get(i + 1..).filter(|r| !r.is_empty()) {
            // Runs on the remote host; reported so a judge sees it.
            Some(rest) => {
                let (code, dynamic) = join(rest);
                out.push(Action::Shell {
                    label,
                    code,
                    dynamic,
                });
            }
            // No command: the remote shell runs whatever arrives on stdin.
            None => out.push(Action::ShellStdin { shell: label }),
        }
    }
    out
}

fn classify_find(args: &[Arg]) -> Vec<Action> {
    let mut out = Vec::new();
    let mut k = 0;
    while let Some(a) = args.get(k) {
        let t = a.text();
        if matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = k + 1;
            let end = args
                .iter()
                .skip(start)
                .position(|w| w.text() == ";" || w.text() == "+")
                .map_or(args.len(), |p| start + p);
            if start < end {
                out.push(Action::Exec {
                    label: format!("find {t}"),
                    start,
                    end,
                    assignments: Vec::new(),
                    chdir: None,
                    own_stdin: true,
                });
            }
            k = end + 1;
        } else {
            k += 1;
        }
    }
    out
}

/// git configuration keys whose value git runs through the shell.
fn git_key_runs_shell(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "core.pager",
        "core.editor",
        "sequence.editor",
        "core.sshcommand",
        "diff.external",
        "core.fsmonitor",
        "credential.helper",
        "gpg.program",
        "core.askpass",
        "uploadpack.packobjectshook",
        "diff.tool",
        "merge.tool",
    ];
    if EXACT.contains(&key) || key.starts_with("pager.") {
        return true;
    }
    let parts: Vec<&str> = key.split('.').collect();
    matches!(
        (parts.first(), parts.last()),
        (Some(&"gpg"), Some(&"program"))
            | (Some(&"diff"), Some(&("textconv" | "command")))
            | (Some(&"filter"), Some(&("clean" | "smudge" | "process")))
            | (Some(&"merge"), Some(&"driver"))
            | (Some(&("difftool" | "mergetool")), Some(&"cmd"))
    )
}

fn classify_git(args: &[Arg]) -> Vec<Action> {
    let mut out = Vec::new();
    let mut aliases: Vec<(String, String, bool)> = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text();
        let config = if t == "-c" {
            i += 1;
            args.get(i)
        } else if matches!(
            t,
            "--config-env" | "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--super-prefix"
        ) {
            i += 2;
            continue;
        } else if t.starts_with('-') && a.is_static() {
            i += 1;
            continue;
        } else {
            break;
        };
        if let Some(c) = config {
            if let Some((key, value)) = c.text().split_once('=') {
                let key = key.to_ascii_lowercase();
                let dynamic = !c.is_static();
                if let Some(name) = key.strip_prefix("alias.") {
                    if let Some(code) = value.strip_prefix('!') {
                        out.push(Action::Shell {
                            label: format!("git -c alias.{name}"),
                            code: code.to_owned(),
                            dynamic,
                        });
                    } else {
                        aliases.push((name.to_owned(), value.to_owned(), dynamic));
                    }
                } else if git_key_runs_shell(&key) {
                    let code = value.strip_prefix('!').unwrap_or(value);
                    out.push(Action::Shell {
                        label: format!("git -c {key}"),
                        code: code.to_owned(),
                        dynamic,
                    });
                } else if key == "core.hookspath" {
                    out.push(Action::Dynamic {
                        detail: format!(
                            "`git -c core.hooksPath={value}` runs hooks from that directory"
                        ),
                    });
                }
            }
        }
        i += 1;
    }
    // `git -c alias.p='push --force' p`: report what the alias expands to.
    if let Some(sub) = args.get(i) {
        for (name, value, dynamic) in &aliases {
            if sub.text() == name {
                let mut code = format!("git {value}");
                for a in args.get(i + 1..).unwrap_or_default() {
                    code.push(' ');
                    code.push_str(&quote(a.text()));
                }
                out.push(Action::Shell {
                    label: format!("git -c alias.{name}"),
                    code,
                    dynamic: *dynamic,
                });
            }
        }
        out.extend(git_subcommand(
            sub.text(),
            args.get(i + 1..).unwrap_or_default(),
            i + 1,
        ));
    }
    out
}

/// git subcommands that run a command: `bisect run CMD…`, `rebase -x CMD`/`--exec CMD`,
/// `submodule foreach CMD…`, `filter-branch --*-filter CMD`, `difftool -x CMD`.
fn git_subcommand(sub: &str, rest: &[Arg], offset: usize) -> Vec<Action> {
    let mut out = Vec::new();
    match sub {
        "bisect" if rest.first().map(Arg::text) == Some("run") && rest.len() > 1 => {
            out.push(exec("git bisect run", offset + 1, offset + rest.len()));
        }
        "submodule" => {
            if let Some(at) = rest.iter().position(|a| a.text() == "foreach") {
                let cmd: Vec<Arg> = rest
                    .iter()
                    .skip(at + 1)
                    .filter(|a| !a.text().starts_with("--"))
                    .cloned()
                    .collect();
                if !cmd.is_empty() {
                    let (code, dynamic) = join(&cmd);
                    out.push(Action::Shell {
                        label: "git submodule foreach".to_owned(),
                        code,
                        dynamic,
                    });
                }
            }
        }
        "rebase" | "filter-branch" | "difftool" | "mergetool" => {
            for (k, a) in rest.iter().enumerate() {
                let t = a.text();
                let takes_code = matches!(t, "-x" | "--exec" | "--extcmd" | "--tool-cmd")
                    || (sub == "filter-branch" && t.starts_with("--") && t.ends_with("-filter"));
                if takes_code {
                    if let Some(code) = rest.get(k + 1) {
                        out.push(Action::Shell {
                            label: format!("git {sub} {t}"),
                            code: code.text().to_owned(),
                            dynamic: !code.is_static(),
                        });
                    }
                } else if let Some(v) = t
                    .strip_prefix("--exec=")
                    .or_else(|| t.strip_prefix("--extcmd="))
                {
                    out.push(Action::Shell {
                        label: format!("git {sub}"),
                        code: v.to_owned(),
                        dynamic: !a.is_static(),
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// `tar`, `rsync`, `tmux`, `screen`, `at`: options or operands that are commands.
fn classify_tool_commands(program: &str, args: &[Arg]) -> Vec<Action> {
    let mut out = Vec::new();
    for (k, a) in args.iter().enumerate() {
        let t = a.text();
        let next = args.get(k + 1);
        let code: Option<(String, bool)> = match program {
            "tar" | "gtar" | "bsdtar" => t
                .strip_prefix("--to-command=")
                .or_else(|| t.strip_prefix("--use-compress-program="))
                .or_else(|| t.strip_prefix("--checkpoint-action=exec="))
                .or_else(|| t.strip_prefix("--info-script="))
                .or_else(|| t.strip_prefix("--new-volume-script="))
                .map(|v| (v.to_owned(), !a.is_static()))
                .or_else(|| match (t, next) {
                    (
                        "-I" | "--to-command" | "--use-compress-program" | "-F" | "--info-script",
                        Some(n),
                    ) => Some((n.text().to_owned(), !n.is_static())),
                    _ => None,
                }),
            "rsync" => t
                .strip_prefix("--rsh=")
                .or_else(|| t.strip_prefix("--rsync-path="))
                .map(|v| (v.to_owned(), !a.is_static()))
                .or_else(|| match (t, next) {
                    ("-e" | "--rsh" | "--rsync-path", Some(n)) => {
                        Some((n.text().to_owned(), !n.is_static()))
                    }
                    _ => None,
                }),
            _ => None,
        };
        if let Some((code, dynamic)) = code {
            let flag = t.split('=').next().unwrap_or(t);
            out.push(Action::Shell {
                label: format!("{program} {flag}"),
                code,
                dynamic,
            });
        }
    }
    match program {
        // `tmux new-session [opts] 'cmd'`, `tmux split-window 'cmd'`, `screen -dm cmd…`.
        "tmux" => {
            let runs = args.iter().position(|a| {
                matches!(
                    a.text(),
                    "new-session"
                        | "new"
                        | "new-window"
                        | "neww"
                        | "split-window"
                        | "splitw"
                        | "respawn-pane"
                        | "run-shell"
                        | "run"
                )
            });
            if let Some(at) = runs {
                let i = skip_options(args, at + 1, "cnstxyFeEfl", &[]);
                if let Some(cmd) = args.get(i..).filter(|c| !c.is_empty()) {
                    let (code, dynamic) = join(cmd);
                    out.push(Action::Shell {
                        label: "tmux".to_owned(),
                        code,
                        dynamic,
                    });
                }
            }
        }
        "screen" => {
            let i = skip_options(args, 0, "SpcTtLhe", &[]);
            if i < args.len() {
                out.push(exec("screen", i, args.len()));
            }
        }
        // `at`/`batch` read the commands to schedule from stdin.
        "at" | "batch"
            if !args
                .iter()
                .any(|a| matches!(a.text(), "-l" | "-r" | "-d" | "-c")) =>
        {
            out.push(Action::ShellStdin {
                shell: program.to_owned(),
            });
        }
        _ => {}
    }
    out
}

fn classify_shell(shell: &str, args: &[Arg]) -> Vec<Action> {
    let mut has_c = false;
    let mut read_stdin = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text();
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if !a.is_static() || !(t.starts_with('-') || t.starts_with('+')) {
            break;
        }
        if t.starts_with("--") {
            if matches!(t, "--rcfile" | "--init-file") {
                i += 1;
            }
        } else {
            let body = t.get(1..).unwrap_or_default();
            if body.contains('c') {
                has_c = true;
            }
            if body.contains('s') {
                read_stdin = true;
            }
            // `-o opt`, `-O shopt` take the next word.
            if body.contains('o') || body.contains('O') {
                i += 1;
            }
        }
        i += 1;
    }
    let label = format!("{shell} -c");
    match args.get(i) {
        Some(code) if has_c => {
            if code.pure_subst && !code.is_static() {
                return vec![Action::EvalSubst {
                    programs: code.subst.clone(),
                    detail: format!("`{label}` runs the output of `{}`", code.subst.join(", ")),
                }];
            }
            vec![Action::Shell {
                label,
                code: code.text().to_owned(),
                dynamic: !code.is_static(),
            }]
        }
        Some(_) if read_stdin => vec![Action::ShellStdin {
            shell: shell.to_owned(),
        }],
        Some(script) if script.pure_subst && !script.is_static() => vec![Action::EvalSubst {
            programs: script.subst.clone(),
            detail: format!("`{shell}` runs the output of `{}`", script.subst.join(", ")),
        }],
        Some(_) => vec![Action::Script { arg: i }],
        None if has_c => Vec::new(),
        None if args
            .iter()
            .any(|a| matches!(a.text(), "--version" | "--help")) =>
        {
            Vec::new()
        }
        None => vec![Action::ShellStdin {
            shell: shell.to_owned(),
        }],
    }
}

/// Options that mean "the next word (or the rest of this cluster) is code" for interpreters.
fn inline_flags(program: &str) -> Option<(&'static [&'static str], &'static str)> {
    // (long or exact flags, short letters that take code in a cluster)
    let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    Some(match base {
        "python" | "pypy" | "python3-dbg" => (&[], "c"),
        "node" | "nodejs" | "bun" => (&["--eval", "--print"], "ep"),
        "deno" => (&["eval"], ""),
        "perl" => (&[], "eE"),
        "ruby" | "jruby" => (&[], "e"),
        "php" => (&["--run"], "r"),
        "lua" | "luajit" | "Rscript" | "R" | "osascript" | "racket" | "elixir" | "julia" => {
            (&["--eval"], "eE")
        }
        "pwsh" | "powershell" => (
            &[
                "-Command",
                "-command",
                "-EncodedCommand",
                "-encodedcommand",
                "-ec",
            ],
            "c",
        ),
        "guile" => (&[], "c"),
        "tclsh" | "wish" | "expect" | "irb" | "groovy" => (&["-c"], ""),
        _ => return None,
    })
}

fn classify_interpreter(program: &str, args: &[Arg]) -> Vec<Action> {
    let Some((long, short)) = inline_flags(program) else {
        return Vec::new();
    };
    for a in args {
        let t = a.text();
        if t == "-" {
            return vec![Action::InterpStdin {
                interp: program.to_owned(),
            }];
        }
        if long.contains(&t) || long.iter().any(|l| t.starts_with(&format!("{l}="))) {
            return vec![Action::Inline {
                interp: program.to_owned(),
                detail: format!("`{program} {t}` runs inline code"),
            }];
        }
        if t.starts_with('-') && !t.starts_with("--") && t.len() > 1 {
            let body = t.get(1..).unwrap_or_default();
            // `python -m mod`: the module runs, the rest are its arguments.
            if (program.starts_with("python") || program.starts_with("pypy"))
                && body.starts_with('m')
            {
                return Vec::new();
            }
            if body.chars().any(|c| short.contains(c)) {
                return vec![Action::Inline {
                    interp: program.to_owned(),
                    detail: format!("`{program} {t}` runs inline code"),
                }];
            }
            continue;
        }
        // The first operand is the script: stdin, the output of a command, or a file (judged
        // by name: not inline code).
        if matches!(t, "/dev/stdin" | "/dev/fd/0") {
            return vec![Action::InterpStdin {
                interp: program.to_owned(),
            }];
        }
        if a.pure_subst && !a.is_static() {
            return vec![Action::EvalSubst {
                programs: a.subst.clone(),
                detail: format!("`{program}` runs the output of `{}`", a.subst.join(", ")),
            }];
        }
        return Vec::new();
    }
    if args
        .iter()
        .any(|a| matches!(a.text(), "--version" | "-V" | "--help" | "-h"))
    {
        return Vec::new();
    }
    if args
        .iter()
        .any(|a| a.text() == "-" || a.text() == "/dev/stdin")
        || args.iter().all(|a| a.text().starts_with('-'))
    {
        return vec![Action::InterpStdin {
            interp: program.to_owned(),
        }];
    }
    Vec::new()
}

fn classify_awk(program: &str, args: &[Arg]) -> Vec<Action> {
    let mut texts: Vec<&Arg> = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text();
        match t {
            "-f" | "--file" | "-E" | "--exec" | "-i" | "--include" => {
                return vec![Action::Inline {
                    interp: program.to_owned(),
                    detail: format!("`{program} {t}` runs an awk program from a file"),
                }];
            }
            "-e" | "--source" => {
                if let Some(code) = args.get(i + 1) {
                    texts.push(code);
                }
                i += 2;
                continue;
            }
            "-F" | "-v" | "--assign" | "--field-separator" | "-l" | "--load" => {
                i += 2;
                continue;
            }
            "--" => {
                i += 1;
                break;
            }
            _ if t.starts_with('-') && t.len() > 1 && a.is_static() => {
                i += 1;
                continue;
            }
            _ => break,
        }
    }
    if texts.is_empty() {
        if let Some(a) = args.get(i) {
            texts.push(a);
        }
    }
    for a in texts {
        if !a.is_static() {
            return vec![Action::Inline {
                interp: program.to_owned(),
                detail: format!("`{program}` program is not static"),
            }];
        }
        if awk_runs_commands(a.text()) {
            return vec![Action::Inline {
                interp: program.to_owned(),
                detail: format!("`{program}` program runs commands or writes files"),
            }];
        }
    }
    Vec::new()
}

/// awk programs reach the shell through `system()`, `cmd | getline`, `print | "cmd"`, and
/// write files with `print > "f"`.
fn awk_runs_commands(prog: &str) -> bool {
    if prog.contains("system") {
        return true;
    }
    let b = prog.as_bytes();
    let pipe = b.iter().enumerate().any(|(k, &c)| {
        c == b'|' && b.get(k + 1) != Some(&b'|') && (k == 0 || b.get(k - 1) != Some(&b'|'))
    });
    if pipe {
        return true;
    }
    // `print … > file` / `printf … >> file` (a `>` inside a print statement is a redirect).
    prog.split([';', '{', '}', '\n']).any(|stmt| {
        let s = stmt.trim_start();
        (s.starts_with("print") || s.starts_with("printf")) && s.contains('>')
    })
}

fn classify_sed(program: &str, args: &[Arg]) -> Vec<Action> {
    let mut scripts: Vec<&Arg> = Vec::new();
    let mut i = 0;
    let mut first_operand = None;
    while let Some(a) = args.get(i) {
        let t = a.text();
        if t == "-f" || t.starts_with("--file") {
            return vec![Action::Inline {
                interp: program.to_owned(),
                detail: format!("`{program} -f` runs a sed script from a file"),
            }];
        }
        if t == "-e" || t == "--expression" {
            if let Some(s) = args.get(i + 1) {
                scripts.push(s);
            }
            i += 2;
            continue;
        }
        if t.starts_with("--expression=") || (t.starts_with("-e") && t.len() > 2) {
            scripts.push(a);
        } else if t == "-l" || t == "--line-length" {
            i += 1;
        } else if !t.starts_with('-') && first_operand.is_none() {
            first_operand = Some(a);
        }
        i += 1;
    }
    if scripts.is_empty() {
        scripts.extend(first_operand);
    }
    for s in scripts {
        if !s.is_static() || sed_runs_commands(s.text()) {
            return vec![Action::Inline {
                interp: program.to_owned(),
                detail: format!("`{program}` script may run commands (`e`) or write files (`w`)"),
            }];
        }
    }
    Vec::new()
}

/// GNU sed's `e` command and `s///e` flag run shell commands; `w`/`W` and `s///w` write files.
/// A heuristic over `;`/newline-separated commands with `/` as the `s` delimiter.
fn sed_runs_commands(script: &str) -> bool {
    for cmd in script.split([';', '\n']) {
        let c = cmd.trim_start().trim_start_matches(|ch: char| {
            ch.is_ascii_digit() || matches!(ch, '$' | ',' | '!' | ' ' | '{' | '}')
        });
        // Skip a /regex/ address.
        let c = match c.strip_prefix('/') {
            Some(rest) => rest
                .split_once('/')
                .map_or("", |(_, after)| after)
                .trim_start(),
            None => c,
        };
        let c = c.trim_start_matches(|ch: char| {
            ch.is_ascii_digit() || matches!(ch, '$' | ',' | '!' | ' ')
        });
        if c.starts_with('e') || c.starts_with('w') || c.starts_with('W') {
            return true;
        }
        if let Some(rest) = c.strip_prefix('s') {
            let mut chars = rest.chars();
            let Some(delim) = chars.next() else { continue };
            let mut seen = 0;
            let mut escaped = false;
            let mut flags = String::new();
            for ch in chars {
                if seen >= 2 {
                    flags.push(ch);
                } else if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == delim {
                    seen += 1;
                }
            }
            if flags.contains('e') || flags.contains('w') {
                return true;
            }
        }
    }
    false
}
