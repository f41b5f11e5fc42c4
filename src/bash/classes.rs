//! Checks for the Bash classes that a command pattern cannot express, because the answer
//! depends on values (what an environment variable is set to, where a server binds, whether a
//! package is in the project), not on the shape of the arguments.
//!
//! What belongs here: environment dumps (`env` with options but no command), execution through
//! environment variables (`GIT_SSH_COMMAND`, `LD_PRELOAD`, `NODE_OPTIONS`, `npm_config_*` …),
//! serving files beyond localhost or from home, remote packages run by `npx`/`uvx`/`go run
//! pkg@v`, truncation through allowed programs (`: > f`, `cp /dev/null f`, `mv f /dev/null`),
//! filtered `find -delete`, and memory files (`CLAUDE.md`) that `@import` a credential path.
//! Each finding names its rule id (`env-dump`, `exec-env`, `serve-files`, `remote-code`,
//! `truncate`, `recursive-delete`, `memory-import`); the README lists what each guarantees.
use std::path::{Path, PathBuf};

use crate::checks::{truncate, Judge};
use crate::decision::{Decision, Finding, Verdict};
use crate::paths;
use crate::programs;
use crate::shell::{Analysis, Command, RedirectOp, Stdin, Word};

/// Variables whose value a program runs as a command line: the walker's shell-code variables
/// (`shell::walk::SHELL_CODE_VARS`) plus those naming a compiler, wrapper or tool.
const EXTRA_COMMAND_VARS: &[&str] = &[
    "CC",
    "CXX",
    "LD",
    "AR",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC",
    "TERMINAL",
    "DIFF",
    "MAKE",
    "SHELL",
];

/// Programs such a variable may name without a prompt (pagers, editors, compilers).
const QUIET_COMMANDS: &[&str] = &[
    "cat",
    "less",
    "more",
    "most",
    "head",
    "tail",
    "true",
    "false",
    ":",
    "delta",
    "bat",
    "batcat",
    "diff-so-fancy",
    "vi",
    "vim",
    "nvim",
    "nano",
    "emacs",
    "code",
    "subl",
    "sed",
    "ssh",
    "gcc",
    "g++",
    "cc",
    "c++",
    "clang",
    "clang++",
    "ld",
    "lld",
    "ld.lld",
    "mold",
    "ar",
    "llvm-ar",
    "zig",
    "ccache",
    "sccache",
    "rustc",
    "rustdoc",
    "make",
    "gmake",
    "diff",
    "colordiff",
    "tee",
];

/// Variables that make a program load code or configuration from the value.
const LOADER_VARS: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH",
    "DYLD_FRAMEWORK_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "RUBYOPT",
    "RUBYLIB",
    "BASH_ENV",
    "ENV",
    "ZDOTDIR",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_PARAMETERS",
    "GIT_EXEC_PATH",
    "GIT_TEMPLATE_DIR",
    "GIT_DIR",
    "HOME",
    "XDG_CONFIG_HOME",
    "INPUTRC",
    "NPM_CONFIG_USERCONFIG",
    "NPM_CONFIG_GLOBALCONFIG",
    "CARGO_HOME",
    "PATH",
];

/// `NODE_OPTIONS` flags that change no code that runs.
const QUIET_NODE_OPTIONS: &[&str] = &[
    "--max-old-space-size",
    "--max-semi-space-size",
    "--enable-source-maps",
    "--no-warnings",
    "--no-deprecation",
    "--openssl-legacy-provider",
    "--experimental-vm-modules",
    "--stack-size",
    "--unhandled-rejections",
    "--trace-warnings",
    "--trace-deprecation",
    "--trace-uncaught",
    "--inspect",
    "--max-http-header-size",
    "--dns-result-order",
    "--use-openssl-ca",
    "--no-experimental-fetch",
    "--experimental-specifier-resolution",
    "--preserve-symlinks",
    "--heapsnapshot-signal",
    "--expose-gc",
    "--disable-warning",
];

/// `npm_config_*` keys that change no program that runs and no place code comes from.
const QUIET_NPM_KEYS: &[&str] = &[
    "loglevel",
    "yes",
    "fund",
    "audit",
    "progress",
    "update_notifier",
    "update-notifier",
    "color",
    "prefer_offline",
    "prefer-offline",
    "offline",
    "legacy_peer_deps",
    "legacy-peer-deps",
    "ignore_scripts",
    "ignore-scripts",
    "production",
    "omit",
    "include",
    "foreground_scripts",
    "foreground-scripts",
    "cache",
    "jobs",
    "fetch_retries",
    "fetch_timeout",
    "strict_ssl",
    "engine_strict",
    "save_exact",
    "save-exact",
    "package_lock",
    "platform",
    "arch",
    "workspaces_update",
    "unsafe_perm",
    "python",
];

/// Everything for one command.
pub(super) fn check(j: &Judge<'_>, analysis: &Analysis, cmd: &Command, out: &mut Verdict) {
    env_dump(cmd, out);
    if !cmd.assignments.is_empty()
        || matches!(
            cmd.program.as_str(),
            "export" | "declare" | "typeset" | "local" | "readonly"
        )
    {
        check_assignments(j, cmd, out);
    }
    if cmd.program.starts_with("python")
        || cmd.program.starts_with("php")
        || matches!(cmd.program.as_str(), "ruby" | "kubectl" | "oc")
    {
        serve(j, cmd, out);
    }
    if matches!(
        cmd.program.as_str(),
        "npx"
            | "bunx"
            | "pnpx"
            | "npm"
            | "pnpm"
            | "yarn"
            | "bun"
            | "uvx"
            | "uvenv"
            | "uv"
            | "pipx"
            | "go"
            | "deno"
    ) {
        remote_code(j, cmd, out);
    }
    if !cmd.redirects.is_empty()
        || matches!(
            cmd.program.as_str(),
            "truncate" | "cp" | "install" | "dd" | "mv"
        )
    {
        truncation(j, cmd, out);
        memory_import(cmd, out);
    } else if matches!(cmd.program.as_str(), "tee" | "sed" | "perl") {
        memory_import(cmd, out);
    }
    find_delete(cmd, out);
    let _ = analysis;
}

fn check_assignments(j: &Judge<'_>, cmd: &Command, out: &mut Verdict) {
    let mut assigned: Vec<(&str, &Word)> = cmd
        .assignments
        .iter()
        .map(|(n, v)| (n.as_str(), v))
        .collect();
    let exported: Vec<(String, Word)> = exported(cmd);
    assigned.extend(exported.iter().map(|(n, v)| (n.as_str(), v)));
    for (name, value) in assigned {
        exec_env(j, cmd, name, value, out);
    }
}

/// Bare assignments (`PAGER='sh -c id'; git log`) change an exported variable too.
pub(super) fn check_bare_assignments(j: &Judge<'_>, analysis: &Analysis, out: &mut Verdict) {
    let Some(first) = analysis.commands.first() else {
        return;
    };
    for (name, value) in &analysis.constants {
        if name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            || name.starts_with("npm_config_")
        {
            exec_env(j, first, name, value, out);
        }
    }
}

/// `export NAME=value`, `declare -x NAME=value`: assignments given as arguments.
fn exported(cmd: &Command) -> Vec<(String, Word)> {
    if !matches!(
        cmd.program.as_str(),
        "export" | "declare" | "typeset" | "local" | "readonly"
    ) {
        return Vec::new();
    }
    cmd.args
        .iter()
        .filter(|a| !a.text.starts_with('-'))
        .filter_map(|a| {
            let (n, v) = a.text.split_once('=')?;
            let n = n.trim_end_matches('+');
            (!n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| {
                (
                    n.to_string(),
                    Word {
                        text: v.to_string(),
                        dynamic: a.dynamic,
                    },
                )
            })
        })
        .collect()
}

/// `env` given options but no command prints the whole environment (`env -0`, `env -u X`,
/// `env -i`, `env --null`).
fn env_dump(cmd: &Command, out: &mut Verdict) {
    if cmd.program != "env" {
        return;
    }
    let mut it = cmd.args.iter();
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if a.dynamic {
            return;
        }
        match t {
            "-u" | "--unset" | "-C" | "--chdir" => {
                it.next();
            }
            "-S" | "--split-string" => return,
            "--" => continue,
            _ if t.starts_with("--split-string=") || (t.starts_with("-S") && t.len() > 2) => return,
            _ if t.starts_with('-') => {}
            _ if t.contains('=') && !t.starts_with('=') => {}
            _ => return,
        }
    }
    out.push(Finding::new(
        Decision::Deny,
        "env-dump",
        None,
        format!(
            "`{}` prints the whole environment (with every secret in it) into the conversation; name the variable you need instead",
            truncate(&words(cmd), 120)
        ),
    ));
}

fn words(cmd: &Command) -> String {
    std::iter::once(cmd.program.as_str())
        .chain(cmd.args.iter().map(|a| a.text.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn expand(j: &Judge<'_>, cwd: &Path, text: &str) -> PathBuf {
    let text = text.trim_matches(['"', '\'']);
    match j.env.expand(text) {
        Ok(e) => paths::absolutize(Path::new(&e), cwd),
        Err(_) => paths::absolutize(Path::new(text), cwd),
    }
}

/// Whether `p` is inside the project.
fn in_project(j: &Judge<'_>, p: &Path) -> bool {
    p.starts_with(&j.env.project)
}

/// Temp directories anyone (and the agent, without a prompt) can write.
fn in_temp(j: &Judge<'_>, p: &Path) -> bool {
    p.starts_with(&j.env.tmpdir)
        || ["/tmp", "/var/tmp", "/dev/shm"]
            .iter()
            .any(|t| p.starts_with(t))
}

/// System directories whose programs the user installed.
fn in_system(p: &Path) -> bool {
    [
        "/usr/",
        "/bin/",
        "/sbin/",
        "/opt/",
        "/nix/",
        "/snap/",
        "/Applications/",
        "/Library/",
    ]
    .iter()
    .any(|d| p.starts_with(d))
}

/// The first word of a command line value (`less -R` → `less`), as a basename.
fn value_program(value: &str) -> &str {
    let first = value.split_whitespace().next().unwrap_or("");
    first.rsplit('/').next().unwrap_or(first)
}

fn exec_env(j: &Judge<'_>, cmd: &Command, name: &str, value: &Word, out: &mut Verdict) {
    let v = value.text.trim();
    let deny = |why: String, out: &mut Verdict| {
        out.push(Finding::new(
            Decision::Deny,
            "exec-env",
            None,
            format!("`{name}={}` {why}", truncate(v, 100)),
        ));
    };
    let ask = |why: &str, out: &mut Verdict| {
        out.push(Finding::new(
            Decision::Ask,
            "exec-env",
            None,
            format!("`{name}={}` {why}", truncate(v, 100)),
        ));
    };
    let outside = |text: &str| {
        let looks_like_path = text.starts_with('/') || text.starts_with('~') || text.contains('/');
        if !looks_like_path {
            return false;
        }
        let p = expand(j, &cmd.cwd, text);
        !in_project(j, &p) && !in_system(&p)
    };
    if crate::shell::walk::SHELL_CODE_VARS.contains(&name) || EXTRA_COMMAND_VARS.contains(&name) {
        if v.is_empty() {
            return;
        }
        let prog = value_program(v);
        let first = v.split_whitespace().next().unwrap_or("");
        if runs_code(prog) {
            deny(
                format!("makes a program run `{prog}`, a shell or interpreter: that runs any code"),
                out,
            );
        } else if value.dynamic {
            ask("makes a program run a command only known when it runs", out);
        } else if outside(first) {
            deny(
                "makes a program run a file from outside the workspace".to_string(),
                out,
            );
        } else if !QUIET_COMMANDS.contains(&prog)
            || v.to_ascii_lowercase().contains("proxycommand")
            || v.to_ascii_lowercase().contains("localcommand")
        {
            ask("makes a program run this command; approve it yourself", out);
        }
        return;
    }
    if let Some(rest) = name
        .strip_prefix("GIT_CONFIG_KEY_")
        .or_else(|| name.strip_prefix("GIT_CONFIG_VALUE_"))
    {
        let _ = rest;
        let lower = v.to_ascii_lowercase();
        let exec_key = [
            "core.",
            "alias.",
            "credential.",
            "filter.",
            "diff.",
            "pager.",
            "sequence.",
            "gpg.",
            "include",
            "init.",
            "uploadpack",
            "receivepack",
            "remote.",
            "url.",
            "protocol.",
            "http.",
            "ssh.",
            "merge.",
            "difftool.",
            "mergetool.",
            "web.",
            "browser.",
            "man.",
            "submodule.",
            "interactive.",
            "instaweb.",
        ];
        if name.starts_with("GIT_CONFIG_KEY_")
            && (value.dynamic || exec_key.iter().any(|k| lower.starts_with(k)))
        {
            ask(
                "sets a git configuration key that can make git run a program",
                out,
            );
        } else if name.starts_with("GIT_CONFIG_VALUE_") && runs_code(value_program(v)) {
            deny(
                "gives git a configuration value that runs a shell".to_string(),
                out,
            );
        }
        return;
    }
    let lower = name.to_ascii_lowercase();
    if let Some(key) = lower.strip_prefix("npm_config_") {
        if QUIET_NPM_KEYS.contains(&key) {
            return;
        }
        if runs_code(value_program(v)) && key.contains("shell") || outside(v) {
            deny(
                "points npm configuration at a shell or at a file outside the workspace"
                    .to_string(),
                out,
            );
        } else {
            ask(
                "changes npm configuration (its script shell, registry, hooks or config files)",
                out,
            );
        }
        return;
    }
    if lower.starts_with("dyld_")
        || (lower.starts_with("cargo_target_") && lower.ends_with("_runner"))
        || (lower.starts_with("cargo_target_")
            && lower.ends_with("_linker")
            && !QUIET_COMMANDS.contains(&value_program(v)))
    {
        if runs_code(value_program(v)) || outside(value_program_path(v)) {
            deny(
                "runs a program from outside the workspace or a shell".to_string(),
                out,
            );
        } else {
            ask("makes a program load or run this; approve it yourself", out);
        }
        return;
    }
    if !LOADER_VARS.contains(&name) {
        return;
    }
    match name {
        "PATH" => {
            for part in v.split(':') {
                if part.is_empty() || part == "." {
                    ask("puts the current directory on PATH", out);
                    return;
                }
                if part.starts_with('$') {
                    continue;
                }
                let p = expand(j, &cmd.cwd, part);
                if in_temp(j, &p) {
                    ask(
                        "puts a temp directory (writable without a prompt) before the system programs",
                        out,
                    );
                    return;
                }
            }
        }
        "NODE_OPTIONS" => {
            let risky: Vec<&str> = v
                .split_whitespace()
                .filter(|o| {
                    !QUIET_NODE_OPTIONS
                        .iter()
                        .any(|q| o == q || o.starts_with(&format!("{q}=")))
                })
                .collect();
            if risky.is_empty() {
                return;
            }
            if v.contains("data:")
                || v.contains("http:")
                || v.contains("https:")
                || risky
                    .iter()
                    .any(|o| outside(o.split('=').next_back().unwrap_or(o)))
            {
                deny(
                    "makes every node process load code from outside the workspace".to_string(),
                    out,
                );
            } else {
                ask("makes every node process load this code", out);
            }
        }
        "LD_LIBRARY_PATH"
        | "PYTHONPATH"
        | "NODE_PATH"
        | "PERL5LIB"
        | "PERLLIB"
        | "RUBYLIB"
        | "DYLD_LIBRARY_PATH"
        | "DYLD_FRAMEWORK_PATH" => {
            let parts: Vec<&str> = v.split(':').filter(|p| !p.starts_with('$')).collect();
            if parts.iter().any(|p| {
                let p = expand(j, &cmd.cwd, p);
                in_temp(j, &p) || (!in_project(j, &p) && !in_system(&p))
            }) {
                ask(
                    "makes programs load libraries or modules from outside the workspace",
                    out,
                );
            }
        }
        "HOME" | "XDG_CONFIG_HOME" | "ZDOTDIR" | "CARGO_HOME" => {
            if value.dynamic || in_temp(j, &expand(j, &cmd.cwd, v)) {
                ask(
                    "makes programs read their configuration (which can run commands) from another place",
                    out,
                );
            }
        }
        "GIT_DIR" => {
            let p = expand(j, &cmd.cwd, v);
            if !in_project(j, &p) {
                ask(
                    "makes git use a repository (and its config and hooks) outside the workspace",
                    out,
                );
            }
        }
        _ => {
            if runs_code(value_program(v)) || outside(value_program_path(v)) || v.contains("data:")
            {
                deny(
                    "makes a program load code from outside the workspace".to_string(),
                    out,
                );
            } else {
                ask(
                    "makes a program load code or configuration from this value; approve it yourself",
                    out,
                );
            }
        }
    }
}

/// The first path in a loader value: `-r ./x.js` → `./x.js`, `-M/tmp/x` → `/tmp/x`,
/// `-javaagent:/tmp/a.jar` → `/tmp/a.jar`, `/tmp/x.so` → itself.
fn value_program_path(v: &str) -> &str {
    v.split_whitespace()
        .flat_map(|w| w.split([':', '=', ',']))
        .find_map(|part| {
            if !part.starts_with('-') {
                return (!part.is_empty() && (part.contains('/') || part.starts_with('~')))
                    .then_some(part);
            }
            part.find(['/', '~']).and_then(|i| part.get(i..))
        })
        .unwrap_or("")
}

/// Loopback addresses: a server bound there is reachable only from this machine.
fn loopback(host: &str) -> bool {
    let h = host.trim_matches(['[', ']']);
    h == "localhost" || h.starts_with("127.") || h == "::1" || h == "ip6-localhost"
}

fn flag_value<'a>(cmd: &'a Command, names: &[&str]) -> Option<&'a str> {
    let mut it = cmd.args.iter();
    while let Some(a) = it.next() {
        for n in names {
            if a.text == *n {
                return it.next().map(|w| w.text.as_str());
            }
            if let Some(v) = a.text.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                if n.starts_with("--") {
                    return Some(v);
                }
            }
        }
    }
    None
}

/// `kubectl port-forward --address 0.0.0.0`: a cluster service opened to every machine that can
/// reach this one (the default, `localhost`, stays quiet).
fn port_forward(cmd: &Command, out: &mut Verdict) {
    if !cmd.args.iter().any(|a| a.text == "port-forward") {
        return;
    }
    let Some(addresses) = flag_value(cmd, &["--address"]) else {
        return;
    };
    if addresses.split(',').all(|a| loopback(a.trim())) {
        return;
    }
    out.push(Finding::new(
        Decision::Ask,
        "serve-files",
        None,
        format!(
            "`{}` opens a cluster service to every machine that can reach this one (leave `--address` at localhost to keep it local)",
            truncate(&words(cmd), 120)
        ),
    ));
}

/// `python3 -m http.server`, `php -S`, `ruby -run -e httpd`: a file server, asked when bound
/// beyond localhost (their default binds every interface) or rooted at home or above.
fn serve(j: &Judge<'_>, cmd: &Command, out: &mut Verdict) {
    let p = cmd.program.as_str();
    if matches!(p, "kubectl" | "oc") {
        return port_forward(cmd, out);
    }
    let (bind, root): (Option<String>, Option<String>) = if p.starts_with("python") {
        let module = flag_value(cmd, &["-m"]);
        if !matches!(
            module,
            Some("http.server" | "SimpleHTTPServer" | "RangeHTTPServer")
        ) {
            return;
        }
        (
            flag_value(cmd, &["-b", "--bind"]).map(str::to_string),
            flag_value(cmd, &["-d", "--directory"]).map(str::to_string),
        )
    } else if p == "php" || p.starts_with("php") && p.len() <= 6 {
        let Some(addr) = flag_value(cmd, &["-S"]) else {
            return;
        };
        let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
        (
            Some(host.to_string()),
            flag_value(cmd, &["-t"]).map(str::to_string),
        )
    } else if p == "ruby" {
        let text = words(cmd);
        if !(text.contains("-run") && text.contains("httpd")) {
            return;
        }
        (
            flag_value(cmd, &["-b", "--bind-address"]).map(str::to_string),
            cmd.args
                .iter()
                .skip_while(|a| a.text != "httpd")
                .nth(1)
                .filter(|a| !a.text.starts_with('-'))
                .map(|a| a.text.clone()),
        )
    } else {
        return;
    };
    if !bind.as_deref().is_some_and(loopback) {
        out.push(Finding::new(
            Decision::Ask,
            "serve-files",
            None,
            format!(
                "`{}` serves files to every machine that can reach this one (bind it to 127.0.0.1 to keep it local)",
                truncate(&words(cmd), 120)
            ),
        ));
    }
    let dir = root
        .map(|r| expand(j, &cmd.cwd, &r))
        .unwrap_or_else(|| cmd.cwd.clone());
    let at_or_above_home = j
        .env
        .home
        .as_ref()
        .is_some_and(|h| h.starts_with(&dir) || dir == *h)
        || dir == Path::new("/");
    if at_or_above_home {
        out.push(Finding::new(
            Decision::Ask,
            "serve-files",
            None,
            format!(
                "`{}` serves {} (your home directory and its credentials) over HTTP",
                truncate(&words(cmd), 120),
                j.env.display(&dir)
            ),
        ));
    }
}

/// The package a runner fetches, from its words after the runner's own options.
fn package_after(args: &[Word], value_opts: &[&str]) -> Option<String> {
    let mut it = args.iter();
    let mut explicit = None;
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if value_opts.contains(&t) {
            let v = it.next().map(|w| w.text.clone());
            if matches!(t, "-p" | "--package" | "--from" | "--spec" | "--with") {
                explicit = explicit.or(v);
            }
            continue;
        }
        if let Some(v) = t
            .strip_prefix("--package=")
            .or_else(|| t.strip_prefix("--from="))
            .or_else(|| t.strip_prefix("--spec="))
        {
            explicit = explicit.or(Some(v.to_string()));
            continue;
        }
        if t == "--" {
            continue;
        }
        if t.starts_with('-') {
            continue;
        }
        return Some(explicit.unwrap_or_else(|| t.to_string()));
    }
    explicit
}

/// `@scope/name@1.2` → `@scope/name`; `name@latest` → `name`.
fn package_name(spec: &str) -> &str {
    let (scope, rest) = match spec.strip_prefix('@') {
        Some(r) => ("@", r),
        None => ("", spec),
    };
    let cut = rest.find('@').map(|i| i + scope.len());
    cut.and_then(|i| spec.get(..i)).unwrap_or(spec)
}

/// Whether the project (at `cwd` or the project root) has `pkg` installed or declared.
fn in_node_project(j: &Judge<'_>, cwd: &Path, pkg: &str) -> bool {
    let name = package_name(pkg);
    let bin = name.rsplit('/').next().unwrap_or(name);
    let mut dirs: Vec<&Path> = cwd
        .ancestors()
        .take_while(|d| d.starts_with(&j.env.project))
        .collect();
    if dirs.is_empty() {
        dirs.push(&j.env.project);
    }
    dirs.iter().any(|d| {
        d.join("node_modules/.bin").join(bin).exists()
            || d.join("node_modules")
                .join(name)
                .join("package.json")
                .exists()
            || std::fs::read_to_string(d.join("package.json")).is_ok_and(|t| {
                serde_json::from_str::<serde_json::Value>(&t).is_ok_and(|v| {
                    [
                        "dependencies",
                        "devDependencies",
                        "optionalDependencies",
                        "peerDependencies",
                    ]
                    .iter()
                    .any(|k| v.get(k).and_then(|d| d.get(name)).is_some())
                })
            })
    })
}

/// Database shells and the options that name a file of statements they run.
const SQL_FILE_OPTIONS: &[(&str, &[&str])] = &[
    ("psql", &["-f", "--file"]),
    ("mysql", &[]),
    ("mariadb", &[]),
    ("sqlite3", &[]),
    ("sqlite", &[]),
    ("duckdb", &[]),
    ("sqlcmd", &["-i", "--input-file"]),
    ("cockroach", &["-f", "--file"]),
    ("usql", &["-f", "--file"]),
    ("clickhouse-client", &["--queries-file"]),
    ("cqlsh", &["-f", "--file"]),
];

/// `psql -f migrate.sql`, `mysql db < dump.sql`: the statements of a file the database shell
/// runs, as a command `PROGRAM -c STATEMENTS` that the database rules judge like statements
/// written inline (a `\!` or `COPY … PROGRAM` hidden in the file is then a shell escape, not
/// only "reads a file"). Only a static path inside the project, up to 1 MiB; the rules that
/// ask for any file of statements still apply to the command as written.
pub(crate) fn sql_from_file(j: &Judge<'_>, cmd: &Command) -> Option<Command> {
    let (_, options) = SQL_FILE_OPTIONS
        .iter()
        .find(|(p, _)| *p == cmd.program.as_str())?;
    let mut files: Vec<&Word> = Vec::new();
    if let Stdin::File(w) = &cmd.stdin {
        files.push(w);
    }
    let mut args = cmd.args.iter().peekable();
    while let Some(a) = args.next() {
        if options.contains(&a.text.as_str()) {
            files.extend(args.peek().copied());
        } else if let Some((flag, _)) = a.text.split_once('=') {
            if options.contains(&flag) {
                files.push(a);
            }
        }
    }
    let mut text = String::new();
    for w in files {
        if w.dynamic {
            continue;
        }
        let raw = w.text.split_once('=').map_or(w.text.as_str(), |(f, v)| {
            if f.starts_with('-') {
                v
            } else {
                w.text.as_str()
            }
        });
        let path = paths::normalize(&cmd.cwd.join(raw));
        if !path.starts_with(&j.env.project) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.len() > 1024 * 1024 {
            continue;
        }
        if let Ok(t) = std::fs::read_to_string(&path) {
            text.push_str(&t);
            text.push('\n');
        }
    }
    if text.trim().is_empty() {
        return None;
    }
    let mut sql = cmd.clone();
    sql.args = vec![Word::lit("-c"), Word::lit(text)];
    sql.stdin = Stdin::Inherited;
    sql.redirects.clear();
    sql.via.push("a file of statements".to_string());
    Some(sql)
}

/// Commands of yarn, pnpm and bun that run instead of a script of the same name: a
/// `package.json` script called `publish` or `owner` does not make `yarn publish` a script run.
const PM_BUILTINS: &[&str] = &[
    "access",
    "add",
    "audit",
    "autoclean",
    "bin",
    "cache",
    "check",
    "config",
    "create",
    "dedupe",
    "deploy",
    "dist-tag",
    "dlx",
    "doctor",
    "env",
    "exec",
    "explain",
    "fetch",
    "generate-lock-entry",
    "global",
    "help",
    "import",
    "info",
    "init",
    "install",
    "i",
    "licenses",
    "link",
    "list",
    "ls",
    "login",
    "logout",
    "node",
    "npm",
    "outdated",
    "owner",
    "pack",
    "patch",
    "patch-commit",
    "pm",
    "plugin",
    "policies",
    "prune",
    "publish",
    "rebuild",
    "remove",
    "rm",
    "repl",
    "root",
    "run",
    "search",
    "server",
    "set",
    "setup",
    "self-update",
    "stage",
    "store",
    "tag",
    "team",
    "test",
    "unlink",
    "unplug",
    "unpublish",
    "update",
    "up",
    "upgrade",
    "upgrade-interactive",
    "version",
    "versions",
    "why",
    "workspace",
    "workspaces",
    "x",
    "constraints",
    "deprecate",
    "token",
    "adduser",
    "whoami",
    "profile",
    "hook",
    "star",
    "org",
    "sbom",
    "approve-builds",
];

/// `yarn build`, `pnpm lint`, `bun deploy-docs`: when the first word after the program names
/// a script of the nearest `package.json` (between the command's directory and the project
/// root) and is not one of the manager's own commands, the command runs that script: it is
/// returned as `PROGRAM run SCRIPT …`, which the subcommand allowlists accept as `npm run`
/// is. What the script itself runs is not seen (as for `npm run`).
pub(crate) fn implicit_script_run(j: &Judge<'_>, cmd: &Command) -> Option<Command> {
    if !matches!(cmd.program.as_str(), "yarn" | "pnpm" | "bun") {
        return None;
    }
    let first = cmd.args.first().filter(|w| !w.dynamic)?;
    let name = first.text.as_str();
    if name.starts_with('-') || PM_BUILTINS.contains(&name) {
        return None;
    }
    let manifest = cmd
        .cwd
        .ancestors()
        .take_while(|d| d.starts_with(&j.env.project))
        .map(|d| d.join("package.json"))
        .find(|p| p.is_file())?;
    let meta = std::fs::metadata(&manifest).ok()?;
    if meta.len() > 1024 * 1024 {
        return None;
    }
    let text = std::fs::read_to_string(&manifest).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("scripts").and_then(|s| s.get(name))?.as_str()?;
    let mut run = cmd.clone();
    run.args.insert(0, Word::lit("run"));
    Some(run)
}

/// `npx`/`bunx`/`pnpm dlx`/`uvx`/`pipx run`/`go run pkg@v`/`deno run https://…`: code
/// fetched from a registry that the project's lockfile does not pin.
fn remote_code(j: &Judge<'_>, cmd: &Command, out: &mut Verdict) {
    let p = cmd.program.as_str();
    let pos: Vec<&str> = cmd
        .args
        .iter()
        .map(|a| a.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .collect();
    let npx_opts: &[&str] = &[
        "-p",
        "--package",
        "-c",
        "--call",
        "--cache",
        "--registry",
        "-w",
        "--workspace",
    ];
    let (what, always): (Option<String>, bool) = match p {
        "npx" | "bunx" | "pnpx" => (package_after(&cmd.args, npx_opts), false),
        "npm" | "pnpm" | "yarn" | "bun" => {
            let sub = pos.first().copied().unwrap_or("");
            let skip = |n: usize| {
                cmd.args
                    .iter()
                    .skip_while(|a| a.text != sub)
                    .skip(n)
                    .cloned()
                    .collect::<Vec<Word>>()
            };
            match (p, sub) {
                (_, "dlx") => (package_after(&skip(1), npx_opts), true),
                ("npm", "exec" | "x") | ("bun", "x") => (package_after(&skip(1), npx_opts), false),
                (_, "create") => (
                    package_after(&skip(1), npx_opts).map(|n| format!("create-{n}")),
                    true,
                ),
                ("npm", "init") if pos.len() > 1 => (
                    package_after(&skip(1), npx_opts).map(|n| format!("create-{n}")),
                    true,
                ),
                _ => return,
            }
        }
        "uvx" | "uvenv" => (
            package_after(
                &cmd.args,
                &[
                    "--from",
                    "--with",
                    "--python",
                    "-p",
                    "--index-url",
                    "--index",
                ],
            ),
            true,
        ),
        "uv" if pos.first() == Some(&"tool") && pos.get(1) == Some(&"run") => {
            (pos.get(2).map(|s| s.to_string()), true)
        }
        "uv" if pos.first() == Some(&"run")
            && cmd
                .args
                .iter()
                .any(|a| a.text == "--with" || a.text.starts_with("--with=")) =>
        {
            (flag_value(cmd, &["--with"]).map(str::to_string), true)
        }
        "pipx" if pos.first() == Some(&"run") => (pos.get(1).map(|s| s.to_string()), true),
        "go" if pos.first() == Some(&"run") => match pos.get(1) {
            Some(pkg) if pkg.contains('@') => (Some(pkg.to_string()), true),
            _ => return,
        },
        "deno" if matches!(pos.first(), Some(&("run" | "install" | "x"))) => match pos.get(1) {
            Some(u)
                if u.starts_with("http:")
                    || u.starts_with("https:")
                    || u.starts_with("npm:")
                    || u.starts_with("jsr:") =>
            {
                (Some(u.to_string()), true)
            }
            _ => return,
        },
        _ => return,
    };
    let Some(pkg) = what else {
        return;
    };
    if !always
        && !pkg.contains(":")
        && !pkg.starts_with('.')
        && !pkg.starts_with('/')
        && in_node_project(j, &cmd.cwd, &pkg)
    {
        return;
    }
    if !always && (pkg.starts_with("./") || pkg.starts_with("../")) {
        return;
    }
    out.push(Finding::new(
        Decision::Ask,
        "remote-code",
        None,
        format!(
            "`{}` downloads and runs `{}`, which the project's dependencies do not pin; add it to the project or approve it",
            truncate(&words(cmd), 120),
            truncate(&pkg, 80)
        ),
    ));
}

fn is_empty_source(t: &str) -> bool {
    matches!(t, "/dev/null" | "/dev/zero")
}

/// Truncation and deletion through programs that are otherwise harmless.
fn truncation(j: &Judge<'_>, cmd: &Command, out: &mut Verdict) {
    let mut targets: Vec<&str> = Vec::new();
    let p = cmd.program.as_str();
    let writes_nothing = matches!(p, ":" | "true" | "false")
        || (p == "cat"
            && cmd.args.iter().all(|a| is_empty_source(&a.text))
            && !cmd.args.is_empty())
        || (p == "echo" && cmd.args.iter().all(|a| a.text == "-n"))
        || (p == "printf" && cmd.args.iter().all(|a| a.text.is_empty()));
    if writes_nothing && matches!(cmd.stdin, Stdin::Inherited | Stdin::File(_)) {
        for r in &cmd.redirects {
            if matches!(
                r.op,
                RedirectOp::Write | RedirectOp::Clobber | RedirectOp::WriteOutErr
            ) && r.fd.is_none_or(|f| f == 1)
            {
                targets.push(&r.target.text);
            }
        }
    }
    let pos: Vec<&str> = cmd
        .args
        .iter()
        .map(|a| a.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .collect();
    match p {
        "truncate" => targets.extend(
            pos.iter()
                .filter(|t| !t.chars().all(|c| c.is_ascii_digit())),
        ),
        "cp" | "install" | "dd" => {
            let from_null = pos
                .iter()
                .any(|t| is_empty_source(t) || *t == "if=/dev/null" || *t == "if=/dev/zero");
            if from_null {
                if let Some(last) = pos.last().filter(|t| !is_empty_source(t)) {
                    targets.push(last.strip_prefix("of=").unwrap_or(last));
                }
            }
        }
        "mv" if pos.len() >= 2 && pos.last().is_some_and(|t| t.starts_with("/dev/")) => {
            targets.extend(pos.iter().take(pos.len() - 1));
        }
        _ => {}
    }
    for t in targets {
        if t.starts_with("/dev/") && t != "/dev/null" && p != "mv" {
            continue;
        }
        if t == "/dev/null" {
            continue;
        }
        let path = expand(j, &cmd.cwd, t);
        if in_temp(j, &path) {
            continue;
        }
        out.push(Finding::new(
            Decision::Ask,
            "truncate",
            None,
            format!(
                "`{}` empties or discards `{}`: its content is lost",
                truncate(&words(cmd), 120),
                truncate(t, 120)
            ),
        ));
    }
}

/// `find … -delete`: asked unless a filter selects what is deleted (`-name '*.pyc'`,
/// `-type d -empty`); an unfiltered one (or one with `-o`, or `-name '*'`) deletes a tree.
fn find_delete(cmd: &Command, out: &mut Verdict) {
    if cmd.program != "find" || !cmd.args.iter().any(|a| a.text == "-delete") {
        return;
    }
    if filtered_find(cmd) {
        return;
    }
    out.push(Finding::new(
        Decision::Ask,
        "recursive-delete",
        None,
        format!(
            "`{}` deletes every file it finds; add a -name/-path filter or approve it",
            truncate(&words(cmd), 120)
        ),
    ));
}

/// Whether a `find -delete` selects by name, path, age or emptiness (and has no `-o`).
pub(super) fn filtered_find(cmd: &Command) -> bool {
    const FILTERS: &[&str] = &[
        "-name",
        "-iname",
        "-path",
        "-ipath",
        "-wholename",
        "-iwholename",
        "-regex",
        "-iregex",
        "-newer",
        "-mtime",
        "-mmin",
        "-atime",
        "-amin",
        "-ctime",
        "-cmin",
        "-empty",
        "-size",
        "-inum",
        "-samefile",
        "-lname",
        "-ilname",
    ];
    let mut filtered = false;
    let mut it = cmd.args.iter().peekable();
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if a.dynamic {
            return false;
        }
        if matches!(t, "-o" | "-or" | "," | "-not" | "!") {
            return false;
        }
        if FILTERS.contains(&t) {
            if t == "-empty" {
                filtered = true;
                continue;
            }
            match it.peek() {
                Some(v) if !v.dynamic && !v.text.chars().all(|c| c == '*') => filtered = true,
                _ => return false,
            }
        }
    }
    filtered
}

/// Memory files Claude Code reads at the start of every session.
pub(crate) fn memory_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    matches!(base, "CLAUDE.md" | "CLAUDE.local.md" | "AGENTS.md")
        || path.contains(".claude/rules/")
        || path.contains(".claude/output-styles/")
}

/// Whether memory text imports a credential path (`@~/.ssh/id_rsa`, `@.env`).
pub(crate) fn imports_credential(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == '[' || c == '`')
        .filter_map(|w| w.strip_prefix('@'))
        .any(|p| {
            let p = p.trim_end_matches(['.', ',', ')', ']', '`', '"', '\'']);
            let base = p.rsplit('/').next().unwrap_or(p);
            [
                "/.ssh",
                ".ssh/",
                "/.aws",
                ".aws/",
                "/.gnupg",
                ".netrc",
                ".git-credentials",
                "/.config/gh",
                "/.kube",
                ".npmrc",
                ".pypirc",
                "/.docker/config",
                ".credentials",
                "/etc/shadow",
                "/proc/",
                "/.password-store",
                ".vault-token",
                ".pgpass",
                "/.azure",
                "/.config/gcloud",
            ]
            .iter()
            .any(|m| p.contains(m))
                || base == ".env"
                || (base.starts_with(".env.")
                    && !matches!(
                        base,
                        ".env.example" | ".env.sample" | ".env.template" | ".env.dist"
                    ))
                || base.starts_with("id_rsa")
                || base.starts_with("id_ed25519")
                || base.starts_with("id_ecdsa")
                || [".pem", ".key", ".p12", ".pfx", ".kdbx"]
                    .iter()
                    .any(|e| base.ends_with(e))
        })
}

/// `echo '@~/.ssh/id_rsa' >> CLAUDE.md`: the next session reads the key into its context.
fn memory_import(cmd: &Command, out: &mut Verdict) {
    let writes_memory = cmd
        .redirects
        .iter()
        .any(|r| r.op.writes() && memory_file(&r.target.text))
        || (matches!(cmd.program.as_str(), "tee" | "cp" | "mv" | "sed" | "perl")
            && cmd.args.iter().any(|a| memory_file(&a.text)));
    if !writes_memory {
        return;
    }
    let mut text: Vec<&str> = cmd.args.iter().map(|a| a.text.as_str()).collect();
    if let Stdin::HereDoc(s) | Stdin::HereString(s) = &cmd.stdin {
        text.push(s);
    }
    if imports_credential(&text.join(" ")) {
        out.push(Finding::new(
            Decision::Deny,
            "memory-import",
            None,
            "this writes an `@import` of a credential file into a memory file that every later session reads into its context",
        ));
    }
}

/// A shell, an interpreter or a program runner: a variable or option that runs one of them
/// runs arbitrary code.
fn runs_code(program: &str) -> bool {
    programs::has(
        program,
        programs::T_SHELL | programs::T_INTERPRETER | programs::T_RUNNER,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn package_names() {
        assert_eq!(super::package_name("@scope/x@1.2"), "@scope/x");
        assert_eq!(super::package_name("cowsay@latest"), "cowsay");
        assert_eq!(super::package_name("tsc"), "tsc");
    }

    #[test]
    fn credential_imports() {
        assert!(super::imports_credential("see @~/.ssh/id_rsa"));
        assert!(super::imports_credential("@.env"));
        assert!(super::imports_credential("- @~/.aws/credentials"));
        assert!(!super::imports_credential(
            "@docs/setup.md and @.env.example"
        ));
        assert!(!super::imports_credential("mail bob@example.com"));
    }
}
