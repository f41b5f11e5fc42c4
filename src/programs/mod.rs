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
    (
        "aria2c",
        info(NONE, &["-d", "--dir", "-o", "--out"], T_FETCH | T_NETWORK),
    ),
    (
        "aws",
        info(
            &["--profile", "--region", "--output", "--endpoint-url"],
            NONE,
            T_NETWORK,
        ),
    ),
    ("az", info(&["--subscription"], NONE, T_NETWORK)),
    ("c++", info(NONE, CC_OUT, 0)),
    (
        "cargo",
        info(
            &["-Z", "--config", "-C"],
            &["--target-dir", "--artifact-dir", "--out-dir"],
            0,
        ),
    ),
    ("cc", info(NONE, CC_OUT, 0)),
    ("clang", info(NONE, CC_OUT, 0)),
    ("clang++", info(NONE, CC_OUT, 0)),
    ("curl", info(NONE, CURL_OUT, T_FETCH | T_NETWORK)),
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
            0,
        ),
    ),
    ("fetch", info(NONE, &["-o"], T_FETCH | T_NETWORK)),
    (
        "find",
        info(NONE, &["-fprint", "-fprint0", "-fprintf", "-fls"], 0),
    ),
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
            T_NETWORK,
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
    (
        "helm",
        info(KUBE_GLOBALS, &["--destination", "-d", "--output-dir"], 0),
    ),
    ("http", info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK)),
    (
        "https",
        info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK),
    ),
    ("kubectl", info(KUBE_GLOBALS, NONE, 0)),
    ("links", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("lynx", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("mail", info(NONE, NONE, T_NETWORK)),
    ("mailx", info(NONE, NONE, T_NETWORK)),
    ("nc", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("ncat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("netcat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("npm", info(NPM_GLOBALS, &["--pack-destination"], 0)),
    ("openssl", info(NONE, &["-out", "-keyout"], 0)),
    ("pandoc", info(NONE, &["-o", "--output"], 0)),
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
            0,
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
            0,
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
    (
        "redis-cli",
        info(REDIS_GLOBALS, &["--rdb", "--functions-rdb"], 0),
    ),
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
            T_NETWORK,
        ),
    ),
    ("rustc", info(NONE, &["-o", "--out-dir", "--emit"], 0)),
    ("scp", info(NONE, NONE, T_NETWORK)),
    ("sendmail", info(NONE, NONE, T_NETWORK)),
    ("sftp", info(NONE, NONE, T_NETWORK)),
    ("socat", info(NONE, NONE, T_FETCH | T_NETWORK)),
    (
        "sort",
        info(NONE, &["-o", "--output", "-T", "--temporary-directory"], 0),
    ),
    ("sqlite3", info(SQLITE_GLOBALS, NONE, 0)),
    ("ssh", info(NONE, NONE, T_FETCH | T_NETWORK)),
    ("ssh-keygen", info(NONE, &["-f"], 0)),
    (
        "systemctl",
        info(&["-H", "--host", "-M", "--machine"], NONE, 0),
    ),
    (
        "tar",
        info(NONE, &["--index-file", "-g", "--listed-incremental"], 0),
    ),
    ("telnet", info(NONE, NONE, T_NETWORK)),
    (
        "tsc",
        info(NONE, &["--outDir", "--outFile", "--declarationDir"], 0),
    ),
    ("unzip", info(NONE, &["-d"], 0)),
    (
        "uv",
        info(
            &["--directory", "--project"],
            &["-o", "--output-file", "--out-dir"],
            0,
        ),
    ),
    ("wget", info(NONE, WGET_OUT, T_FETCH | T_NETWORK)),
    ("xh", info(NONE, &["-o", "--output"], T_FETCH | T_NETWORK)),
    ("yarn", info(NPM_GLOBALS, NONE, 0)),
    ("zip", info(NONE, &["-O", "--output-file"], 0)),
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
    fn lookups() {
        assert!(has("curl", T_FETCH));
        assert!(!has("ls", T_NETWORK));
        assert!(global_value_options("git").contains(&"-C"));
        assert!(global_value_options("frobnicate").is_empty());
    }
}
