//! Program knowledge: what a program does with its arguments, one sorted table.
//!
//! What belongs here: facts about programs that do not depend on the policy. Per program:
//! global options that take a value (so `git -C dir push` finds `push`), options whose value
//! is a file or directory the program writes (`curl -o`, `sort -o`, `wget -P`, `find
//! -fprintf`), and traits (fetches from the network, reaches the network, serves files, runs
//! remote packages). What does not: decisions. Which subcommands of a powerful CLI stay quiet
//! is policy (the `cli-*` rules of `policy/default.toml`, with `except_subcommands`), so a
//! policy layer can extend or tighten it; the Bash judge (`crate::bash`) uses this table to
//! find the paths and hosts it checks.
//!
//! Like ripgrep's `DEFAULT_TYPES`, [`PROGRAMS`] is sorted by name (a test checks) and looked
//! up by binary search.

/// What one program does with its arguments.
#[derive(Debug, Clone, Copy)]
pub struct Info {
    /// Options before the subcommand that take a value (`-C dir`, `--namespace ns`).
    pub global_value_options: &'static [&'static str],
    /// Options whose value is a file or directory the program writes (`-o`, `--output`).
    /// Short ones also match attached (`-ofile`), long ones with `=` (`--output=file`).
    pub output_options: &'static [&'static str],
    /// Traits (bit set of the `T_*` constants).
    pub traits: u32,
}

/// Downloads from the network (its output piped into a shell is remote code).
pub const T_FETCH: u32 = 1;
/// Reaches the network whatever its arguments (asked after a prompt injection).
pub const T_NETWORK: u32 = 1 << 1;
/// Prints the files it reads into the conversation (`cat`, `grep`, `jq`).
pub const T_PRINTS: u32 = 1 << 2;
/// Reads whole trees when asked to (`grep -r ~`, `tar czf x ~`).
pub const T_RECURSIVE: u32 = 1 << 3;
/// Deletes its operands (`rm`, `shred`; `find` with `-delete`).
pub const T_DELETES: u32 = 1 << 4;
/// Looks at names and metadata, never at content: `ls ~/.ssh` lists key names, which is not
/// reading a key.
pub const T_METADATA: u32 = 1 << 5;
/// Its arguments are data to print or set, not paths to read (`echo`, `export`).
pub const T_DATA_ARGS: u32 = 1 << 6;
/// Prints shell code people `eval` every day (shell hooks, completions: `direnv hook`).
pub const T_EVAL_OUTPUT: u32 = 1 << 7;
/// A POSIX-family shell: its `-c` argument and its stdin are shell code.
pub const T_SHELL: u32 = 1 << 8;
/// An interpreter of another language: a variable or option that runs it runs any code.
pub const T_INTERPRETER: u32 = 1 << 9;
/// Runs another program named in its arguments (`env`, `xargs`, `exec`).
pub const T_RUNNER: u32 = 1 << 10;

const NONE: &[&str] = &[];

const fn info(
    global_value_options: &'static [&'static str],
    output_options: &'static [&'static str],
    traits: u32,
) -> Info {
    Info {
        global_value_options,
        output_options,
        traits,
    }
}

const KUBE_GLOBALS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "--kube-context",
    "-s",
    "--server",
];
const DOCKER_GLOBALS: &[&str] = &[
    "-H",
    "--host",
    "--context",
    "-c",
    "--config",
    "-l",
    "--log-level",
];
const NPM_GLOBALS: &[&str] = &[
    "--prefix",
    "-C",
    "--cwd",
    "-w",
    "--workspace",
    "--filter",
    "-F",
    "--dir",
];
const CURL_OUT: &[&str] = &[
    "-o",
    "--output",
    "--output-dir",
    "-c",
    "--cookie-jar",
    "-D",
    "--dump-header",
    "--trace",
    "--trace-ascii",
    "--stderr",
    "--libcurl",
    "--etag-save",
    "--hsts",
    "--alt-svc",
];
const WGET_OUT: &[&str] = &[
    "-O",
    "--output-document",
    "-P",
    "--directory-prefix",
    "-o",
    "--output-file",
    "-a",
    "--append-output",
    "--save-cookies",
    "--warc-file",
];
const CC_OUT: &[&str] = &["-o", "-MF"];
const SQLITE_GLOBALS: &[&str] = &["-cmd", "-init", "-separator", "-newline", "-nullvalue"];
const REDIS_GLOBALS: &[&str] = &[
    "-h",
    "-p",
    "-s",
    "-a",
    "-u",
    "-n",
    "-r",
    "-i",
    "-d",
    "-D",
    "--user",
    "--pass",
    "--cacert",
    "--cacertdir",
    "--cert",
    "--key",
    "--sni",
];

/// The table, sorted by program name.
pub const PROGRAMS: &[(&str, Info)] = &[
    (":", info(NONE, NONE, T_DATA_ARGS)),
    ("[", info(NONE, NONE, T_METADATA | T_DATA_ARGS)),
    ("[[", info(NONE, NONE, T_METADATA | T_DATA_ARGS)),
    ("ag", info(NONE, NONE, T_PRINTS | T_RECURSIVE)),
    ("alias", info(NONE, NONE, T_DATA_ARGS)),
    (
        "aria2c",
        info(NONE, &["-d", "--dir", "-o", "--out"], T_FETCH | T_NETWORK),
    ),
    ("asdf", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("ash", info(NONE, NONE, T_SHELL)),
    ("awk", info(NONE, NONE, T_PRINTS)),
    (
        "aws",
        info(
            &["--profile", "--region", "--output", "--endpoint-url"],
            NONE,
            T_NETWORK,
        ),
    ),
    ("az", info(&["--subscription"], NONE, T_NETWORK)),
    ("base64", info(NONE, NONE, T_PRINTS)),
    ("basename", info(NONE, NONE, T_METADATA)),
    ("bash", info(NONE, NONE, T_SHELL)),
    ("bat", info(NONE, NONE, T_PRINTS)),
    ("batcat", info(NONE, NONE, T_PRINTS)),
    ("brew", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("busybox", info(NONE, NONE, T_RUNNER)),
    ("c++", info(NONE, CC_OUT, 0)),
    (
        "cargo",
        info(
            &["-Z", "--config", "-C"],
            &["--target-dir", "--artifact-dir", "--out-dir"],
            0,
        ),
    ),
    ("cat", info(NONE, NONE, T_PRINTS)),
    ("cc", info(NONE, CC_OUT, 0)),
    ("clang", info(NONE, CC_OUT, 0)),
    ("clang++", info(NONE, CC_OUT, 0)),
    ("column", info(NONE, NONE, T_PRINTS)),
    ("conda", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("cp", info(NONE, NONE, T_RECURSIVE)),
    ("csh", info(NONE, NONE, T_SHELL)),
    ("curl", info(NONE, CURL_OUT, T_FETCH | T_NETWORK)),
    ("cut", info(NONE, NONE, T_PRINTS)),
    ("dash", info(NONE, NONE, T_SHELL)),
    ("declare", info(NONE, NONE, T_DATA_ARGS)),
    ("diff", info(NONE, NONE, T_PRINTS)),
    ("dircolors", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("direnv", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("dirname", info(NONE, NONE, T_METADATA)),
    (
        "docker",
        info(
            DOCKER_GLOBALS,
            &[
                "-o",
                "--output",
                "--iidfile",
                "--metadata-file",
                "--cidfile",
            ],
            T_EVAL_OUTPUT,
        ),
    ),
    ("du", info(NONE, NONE, T_METADATA)),
    ("echo", info(NONE, NONE, T_DATA_ARGS)),
    ("egrep", info(NONE, NONE, T_PRINTS | T_RECURSIVE)),
    ("env", info(NONE, NONE, T_RUNNER)),
    ("eval", info(NONE, NONE, T_RUNNER)),
    ("exa", info(NONE, NONE, T_METADATA)),
    ("exec", info(NONE, NONE, T_RUNNER)),
    ("export", info(NONE, NONE, T_DATA_ARGS)),
    ("eza", info(NONE, NONE, T_METADATA)),
    ("false", info(NONE, NONE, T_DATA_ARGS)),
    ("fetch", info(NONE, &["-o"], T_FETCH | T_NETWORK)),
    ("fgrep", info(NONE, NONE, T_PRINTS | T_RECURSIVE)),
    (
        "find",
        info(
            NONE,
            &["-fprint", "-fprint0", "-fprintf", "-fls"],
            T_DELETES,
        ),
    ),
    ("fish", info(NONE, NONE, T_SHELL)),
    ("fnm", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("ftp", info(NONE, NONE, T_NETWORK)),
    ("g++", info(NONE, CC_OUT, 0)),
    ("gcc", info(NONE, CC_OUT, 0)),
    (
        "gcloud",
        info(
            &["--project", "--account", "--configuration"],
            NONE,
            T_NETWORK,
        ),
    ),
    (
        "gh",
        info(
            &["-R", "--repo"],
            &["-O", "--output", "-D", "--dir"],
            T_NETWORK | T_EVAL_OUTPUT,
        ),
    ),
    (
        "git",
        info(
            &[
                "-C",
                "-c",
                "--git-dir",
                "--work-tree",
                "--namespace",
                "--super-prefix",
                "--config-env",
                "--exec-path",
            ],
            &["--output", "--output-directory"],
            0,
        ),
    ),
    ("glab", info(&["-R", "--repo"], NONE, T_NETWORK)),
    (
        "go",
        info(
            NONE,
            &[
                "-o",
                "-coverprofile",
                "-cpuprofile",
                "-memprofile",
                "-trace",
            ],
            0,
        ),
    ),
    ("goenv", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("grep", info(NONE, NONE, T_PRINTS | T_RECURSIVE)),
    ("head", info(NONE, NONE, T_PRINTS)),
    (
        "helm",
        info(
            KUBE_GLOBALS,
            &["--destination", "-d", "--output-dir"],
            T_EVAL_OUTPUT,
        ),
    ),
    ("hexdump", info(NONE, NONE, T_PRINTS)),
    ("http", info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK)),
    (
        "https",
        info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK),
    ),
    ("iconv", info(NONE, &["-o", "--output"], 0)),
    ("jq", info(NONE, NONE, T_PRINTS)),
    ("keychain", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("ksh", info(NONE, NONE, T_SHELL)),
    ("ksh93", info(NONE, NONE, T_SHELL)),
    ("kubectl", info(KUBE_GLOBALS, NONE, T_EVAL_OUTPUT)),
    ("less", info(NONE, NONE, T_PRINTS)),
    ("links", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("local", info(NONE, NONE, T_DATA_ARGS)),
    ("ls", info(NONE, NONE, T_METADATA)),
    ("lsd", info(NONE, NONE, T_METADATA)),
    ("lua", info(NONE, NONE, T_INTERPRETER)),
    ("lynx", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("mail", info(NONE, NONE, T_NETWORK)),
    ("mailx", info(NONE, NONE, T_NETWORK)),
    ("minikube", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("mise", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("mksh", info(NONE, NONE, T_SHELL)),
    ("more", info(NONE, NONE, T_PRINTS)),
    ("nc", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("ncat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("netcat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("nl", info(NONE, NONE, T_PRINTS)),
    ("node", info(NONE, NONE, T_INTERPRETER)),
    ("nodenv", info(NONE, NONE, T_EVAL_OUTPUT)),
    (
        "npm",
        info(NPM_GLOBALS, &["--pack-destination"], T_EVAL_OUTPUT),
    ),
    ("od", info(NONE, NONE, T_PRINTS)),
    ("oksh", info(NONE, NONE, T_SHELL)),
    ("opam", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("openssl", info(NONE, &["-out", "-keyout"], 0)),
    ("osascript", info(NONE, NONE, T_INTERPRETER)),
    ("pandoc", info(NONE, &["-o", "--output"], 0)),
    ("paste", info(NONE, NONE, T_PRINTS)),
    ("perl", info(NONE, NONE, T_INTERPRETER)),
    ("php", info(NONE, NONE, T_INTERPRETER)),
    (
        "pip",
        info(
            NONE,
            &[
                "-d",
                "--dest",
                "-t",
                "--target",
                "--log",
                "-w",
                "--wheel-dir",
            ],
            T_EVAL_OUTPUT,
        ),
    ),
    (
        "pip3",
        info(
            NONE,
            &[
                "-d",
                "--dest",
                "-t",
                "--target",
                "--log",
                "-w",
                "--wheel-dir",
            ],
            T_EVAL_OUTPUT,
        ),
    ),
    ("pnpm", info(NPM_GLOBALS, &["--pack-destination"], 0)),
    (
        "podman",
        info(
            DOCKER_GLOBALS,
            &["-o", "--output", "--iidfile", "--cidfile"],
            0,
        ),
    ),
    ("poetry", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("posh", info(NONE, NONE, T_SHELL)),
    ("print", info(NONE, NONE, T_DATA_ARGS)),
    ("printf", info(NONE, NONE, T_DATA_ARGS)),
    ("pwsh", info(NONE, NONE, T_INTERPRETER)),
    ("pyenv", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("python", info(NONE, NONE, T_INTERPRETER)),
    ("python3", info(NONE, NONE, T_INTERPRETER)),
    ("rbash", info(NONE, NONE, T_SHELL)),
    ("rbenv", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("readlink", info(NONE, NONE, T_METADATA)),
    ("realpath", info(NONE, NONE, T_METADATA)),
    (
        "redis-cli",
        info(REDIS_GLOBALS, &["--rdb", "--functions-rdb"], 0),
    ),
    ("rg", info(NONE, NONE, T_PRINTS | T_RECURSIVE)),
    ("rm", info(NONE, NONE, T_DELETES)),
    ("rmdir", info(NONE, NONE, T_DELETES)),
    (
        "rsync",
        info(
            NONE,
            &[
                "--log-file",
                "--write-batch",
                "--only-write-batch",
                "--backup-dir",
                "--temp-dir",
                "-T",
                "--partial-dir",
            ],
            T_NETWORK | T_RECURSIVE,
        ),
    ),
    ("rtx", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("ruby", info(NONE, NONE, T_INTERPRETER)),
    ("rustc", info(NONE, &["-o", "--out-dir", "--emit"], 0)),
    ("rustup", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("scp", info(NONE, NONE, T_NETWORK | T_RECURSIVE)),
    ("sed", info(NONE, NONE, T_PRINTS)),
    ("sendmail", info(NONE, NONE, T_NETWORK)),
    ("set", info(NONE, NONE, T_DATA_ARGS)),
    ("sftp", info(NONE, NONE, T_NETWORK)),
    ("sh", info(NONE, NONE, T_SHELL)),
    ("shred", info(NONE, NONE, T_DELETES)),
    ("socat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    (
        "sort",
        info(
            NONE,
            &["-o", "--output", "-T", "--temporary-directory"],
            T_PRINTS,
        ),
    ),
    ("sqlite3", info(SQLITE_GLOBALS, NONE, 0)),
    ("ssh", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("ssh-agent", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("ssh-keygen", info(NONE, &["-f"], 0)),
    ("starship", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("stat", info(NONE, NONE, T_METADATA)),
    ("strings", info(NONE, NONE, T_PRINTS)),
    (
        "systemctl",
        info(&["-H", "--host", "-M", "--machine"], NONE, 0),
    ),
    ("tac", info(NONE, NONE, T_PRINTS)),
    ("tail", info(NONE, NONE, T_PRINTS)),
    (
        "tar",
        info(
            NONE,
            &["--index-file", "-g", "--listed-incremental"],
            T_RECURSIVE,
        ),
    ),
    ("tcsh", info(NONE, NONE, T_SHELL)),
    ("telnet", info(NONE, NONE, T_NETWORK)),
    ("test", info(NONE, NONE, T_METADATA | T_DATA_ARGS)),
    ("thefuck", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("tree", info(NONE, NONE, T_METADATA)),
    ("true", info(NONE, NONE, T_DATA_ARGS)),
    (
        "tsc",
        info(NONE, &["--outDir", "--outFile", "--declarationDir"], 0),
    ),
    ("uniq", info(NONE, NONE, T_PRINTS)),
    ("unlink", info(NONE, NONE, T_DELETES)),
    ("unset", info(NONE, NONE, T_DATA_ARGS)),
    ("unzip", info(NONE, &["-d"], 0)),
    (
        "uv",
        info(
            &["--directory", "--project"],
            &["-o", "--output-file", "--out-dir"],
            T_EVAL_OUTPUT,
        ),
    ),
    ("wget", info(NONE, WGET_OUT, T_FETCH | T_NETWORK)),
    ("xargs", info(NONE, NONE, T_RUNNER)),
    ("xh", info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK)),
    ("xxd", info(NONE, NONE, T_PRINTS)),
    ("yarn", info(NPM_GLOBALS, NONE, 0)),
    ("yash", info(NONE, NONE, T_SHELL)),
    ("yq", info(NONE, NONE, T_PRINTS)),
    ("zip", info(NONE, &["-O", "--output-file"], T_RECURSIVE)),
    ("zoxide", info(NONE, NONE, T_EVAL_OUTPUT)),
    ("zsh", info(NONE, NONE, T_SHELL)),
];

/// What the table knows about `program` (a basename).
pub fn lookup(program: &str) -> Option<&'static Info> {
    PROGRAMS
        .binary_search_by(|(name, _)| (*name).cmp(program))
        .ok()
        .and_then(|i| PROGRAMS.get(i))
        .map(|(_, info)| info)
}

/// Global options of `program` that take a value.
pub fn global_value_options(program: &str) -> &'static [&'static str] {
    lookup(program).map_or(NONE, |i| i.global_value_options)
}

/// Whether `program` has trait `t` (one of the `T_*` constants).
pub fn has(program: &str, t: u32) -> bool {
    lookup(program).is_some_and(|i| i.traits & t != 0)
}

/// The names of the traits, in bit order, as `explain --program` prints them.
pub const TRAIT_NAMES: &[(u32, &str)] = &[
    (T_FETCH, "fetch"),
    (T_NETWORK, "network"),
    (T_PRINTS, "prints"),
    (T_RECURSIVE, "recursive"),
    (T_DELETES, "deletes"),
    (T_METADATA, "metadata"),
    (T_DATA_ARGS, "data-args"),
    (T_EVAL_OUTPUT, "eval-output"),
    (T_SHELL, "shell"),
    (T_INTERPRETER, "interpreter"),
    (T_RUNNER, "runner"),
];

/// What the table says about `program`, one fact per line (for `blastwall explain --program`).
/// `None` when the table does not know it: then only the policy's rules and the generic
/// analysis (redirects, path-like arguments) apply to it.
pub fn describe(program: &str) -> Option<String> {
    let info = lookup(program)?;
    let traits: Vec<&str> = TRAIT_NAMES
        .iter()
        .filter(|(bit, _)| info.traits & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    let list = |v: &[&str]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(" ")
        }
    };
    Some(format!(
        "program: {program}\ntraits: {}\noptions before the subcommand that take a value: {}\noptions naming a file it writes: {}\n",
        list(&traits),
        list(info.global_value_options),
        list(info.output_options),
    ))
}

/// The values of `program`'s output options in `args`: `-o f`, `-of`, `--output f`,
/// `--output=f`. Returns the indices of the words holding the value and the value's offset
/// in that word.
pub fn output_values(program: &str, args: &[&str]) -> Vec<(usize, usize)> {
    let Some(info) = lookup(program) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            break;
        }
        for opt in info.output_options {
            if a == opt {
                if i + 1 < args.len() {
                    out.push((i + 1, 0));
                }
                i += 1;
                break;
            }
            if opt.starts_with("--") || opt.len() > 2 {
                if let Some(rest) = a.strip_prefix(opt) {
                    if rest.starts_with('=') {
                        out.push((i, opt.len() + 1));
                        break;
                    }
                }
            } else if let Some(rest) = a.strip_prefix(opt) {
                // `-ofile`, but not a long option that starts like it.
                if !rest.is_empty() && !a.starts_with("--") {
                    out.push((i, opt.len()));
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in PROGRAMS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must sort before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn output_options_are_found_in_every_spelling() {
        type Case<'a> = (&'a str, &'a [&'a str], &'a [(usize, usize)]);
        let cases: &[Case<'_>] = &[
            ("curl", &["-o", "x", "https://a"], &[(1, 0)]),
            ("curl", &["-ox", "https://a"], &[(0, 2)]),
            ("curl", &["--output=x"], &[(0, 9)]),
            ("wget", &["-P", "d", "-O", "f", "u"], &[(1, 0), (3, 0)]),
            ("sort", &["-o", "f", "in"], &[(1, 0)]),
            ("find", &[".", "-fprintf", "f", "%p"], &[(2, 0)]),
            ("sort", &["-r", "in"], &[]),
            ("ls", &["-o", "x"], &[]),
            ("curl", &["--", "-o", "x"], &[]),
        ];
        for (program, args, want) in cases {
            assert_eq!(output_values(program, args), *want, "{program} {args:?}");
        }
    }

    #[test]
    fn every_trait_has_a_name_and_members() {
        let all = TRAIT_NAMES.iter().fold(0, |acc, (bit, _)| acc | bit);
        for (name, info) in PROGRAMS {
            assert_eq!(info.traits & !all, 0, "{name} has an unnamed trait bit");
        }
        for (bit, name) in TRAIT_NAMES {
            assert!(
                PROGRAMS.iter().any(|(_, i)| i.traits & bit != 0),
                "no program has trait {name}"
            );
        }
    }

    #[test]
    fn traits_table() {
        // (program, trait, has it): the facts the Bash judge relies on.
        let cases: &[(&str, u32, bool)] = &[
            ("curl", T_FETCH, true),
            ("wget", T_NETWORK, true),
            ("scp", T_NETWORK, true),
            ("scp", T_FETCH, false),
            ("gh", T_NETWORK, true),
            ("lynx", T_NETWORK, true),
            ("cat", T_PRINTS, true),
            ("jq", T_PRINTS, true),
            ("ls", T_PRINTS, false),
            ("ls", T_METADATA, true),
            ("grep", T_RECURSIVE, true),
            ("rm", T_DELETES, true),
            ("echo", T_DATA_ARGS, true),
            ("direnv", T_EVAL_OUTPUT, true),
            ("bash", T_SHELL, true),
            ("python3", T_SHELL, false),
            ("python3", T_INTERPRETER, true),
            ("xargs", T_RUNNER, true),
            ("frobnicate", T_SHELL, false),
        ];
        for (program, t, want) in cases {
            assert_eq!(has(program, *t), *want, "{program} trait {t}");
        }
    }

    #[test]
    fn describe_prints_traits_and_options() {
        let text = describe("curl").unwrap();
        assert!(text.contains("traits: fetch network"), "{text}");
        assert!(text.contains("--output"), "{text}");
        assert!(describe("frobnicate").is_none());
    }

    #[test]
    fn lookups() {
        assert!(has("curl", T_FETCH));
        assert!(!has("ls", T_NETWORK));
        assert!(global_value_options("git").contains(&"-C"));
        assert!(global_value_options("frobnicate").is_empty());
    }
}
