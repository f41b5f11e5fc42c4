//! Differential checks of the Bash analysis (issue 7).
//!
//! 1. Against a second parser, tree-sitter-bash, over every command in `fixtures/bash/*.tsv`
//!    and the shell walker's tables (`src/shell/tests.rs`): every command tree-sitter sees with
//!    a static name must be in blastwall's list (as a multiset). blastwall reporting *more*
//!    (unwrapped `sudo rm`, `bash -c` bodies, here-documents fed to shells, scripts) is the
//!    point of it and not a disagreement. Where blastwall cannot parse what tree-sitter parses,
//!    the analysis is asked (stricter); those are listed in HARDENING.md.
//! 2. Against bash itself: `bash -n` on the same corpus (which texts are bash at all), and a
//!    tracing run of harmless made-up programs in a scratch directory (which words are the
//!    command, what a here-document or here-string feeds to a shell).
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as Process;

use blastwall::shell::{self, Analysis, Context, Limits, UnknownKind};

fn corpus() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for name in ["adversarial.tsv", "everyday.tsv"] {
        let text = std::fs::read_to_string(format!("{root}/fixtures/bash/{name}")).unwrap();
        for line in text.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((_, cmd)) = line.split_once('\t') {
                out.push(cmd.replace("\\n", "\n"));
            }
        }
    }
    let tests = std::fs::read_to_string(format!("{root}/src/shell/tests.rs")).unwrap();
    let re = regex::Regex::new(r#"\b(?:cmds|unk|via)!\(\s*\w+,\s*"((?:[^"\\]|\\.)*)""#).unwrap();
    for m in re.captures_iter(&tests) {
        if let Ok(s) = serde_json::from_str::<String>(&format!("\"{}\"", &m[1])) {
            out.push(s);
        }
    }
    assert!(out.len() > 500, "corpus too small: {}", out.len());
    out
}

fn analyze(src: &str) -> Analysis {
    let cx = Context {
        cwd: Path::new("/work/p"),
        home: Some(Path::new("/home/u")),
        // Scripts on this machine must not change the comparison.
        read_scripts: false,
        limits: Limits::default(),
    };
    shell::analyze(src, &cx)
}

/// Quote removal for a static word: `\x`, `'…'`, `"…"`, `$'…'` (simple escapes). `None` when the
/// word has an expansion, a substitution or a glob: then it is not a static command name.
fn unquote(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\' | '$' | '`') => out.push(c),
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    '$' | '`' => return None,
                    c => out.push(c),
                }
            },
            '$' if chars.peek() == Some(&'\'') => return None,
            '$' | '`' | '*' | '?' | '[' | '{' | '~' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Static command names tree-sitter-bash finds, and whether its tree has an error.
fn tree_sitter_programs(src: &str) -> (Vec<String>, bool) {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .unwrap();
    let tree = parser.parse(src, None).unwrap();
    let mut out = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "command" {
            if let Some(name) = node.child_by_field_name("name") {
                let text = name.utf8_text(src.as_bytes()).unwrap_or("");
                if let Some(word) = unquote(text).filter(|w| !w.is_empty()) {
                    out.push(basename(&word).to_string());
                }
            }
        }
        stack.extend(node.children(&mut cursor));
    }
    (out, tree.root_node().has_error())
}

fn multiset<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

/// Commands blastwall must never miss against tree-sitter, by kind of disagreement.
#[derive(Default, Debug)]
struct Tally {
    agree: usize,
    /// blastwall could not parse (asks) what tree-sitter parsed.
    blastwall_stricter: Vec<String>,
    /// tree-sitter's tree has an error where blastwall parsed.
    tree_sitter_error: Vec<String>,
    /// A command tree-sitter sees and blastwall does not: a bug unless the analysis is
    /// incomplete (and so asked).
    missed: Vec<String>,
}

#[test]
fn differential_tree_sitter_finds_no_command_blastwall_misses() {
    let mut t = Tally::default();
    for src in corpus() {
        let a = analyze(&src);
        let (ts, ts_error) = tree_sitter_programs(&src);
        if a.has_unknown(UnknownKind::ParseError)
            || a.has_unknown(UnknownKind::TooDeep)
            || a.has_unknown(UnknownKind::TooLarge)
        {
            if !ts_error {
                t.blastwall_stricter.push(src);
            }
            continue;
        }
        // tree-sitter-bash ends a word at a line continuation (`r\<newline>m` gives `r`);
        // bash removes the pair and runs `rm`, as blastwall reads it.
        if ts_error || src.contains("\\\n") {
            // tree-sitter-bash misreads some valid bash (extglob `!(…)`, two here-documents on
            // one command, `${ …; }`): its commands are then not a reference.
            t.tree_sitter_error.push(src);
            continue;
        }
        let bw = multiset(a.programs().into_iter().map(basename));
        // `time`, `coproc`, `{` and `}` are reserved words in bash, not programs;
        // tree-sitter-bash parses them as command names (`coproc X { rm x; }` gives `}`).
        // blastwall reports the commands they prefix or enclose.
        let want = multiset(
            ts.iter()
                .map(String::as_str)
                .filter(|n| !matches!(*n, "time" | "coproc" | "{" | "}")),
        );
        let missing: Vec<String> = want
            .iter()
            .filter(|(name, n)| bw.get(*name).copied().unwrap_or(0) < **n)
            .map(|(name, n)| format!("{name}×{n}"))
            .collect();
        if missing.is_empty() {
            t.agree += 1;
        } else if a.is_complete() {
            t.missed.push(format!(
                "{src:?}: tree-sitter {ts:?}, blastwall {:?}, missing {missing:?}",
                a.programs()
            ));
        } else {
            // An incomplete analysis is never allowed, so a command it did not list cannot run
            // unseen; still counted, for HARDENING.md.
            t.blastwall_stricter.push(src);
        }
    }
    eprintln!(
        "tree-sitter differential: {} agree, {} blastwall stricter, {} tree-sitter errors, {} missed",
        t.agree,
        t.blastwall_stricter.len(),
        t.tree_sitter_error.len(),
        t.missed.len()
    );
    for s in &t.blastwall_stricter {
        eprintln!("  stricter: {s:?}");
    }
    for s in &t.tree_sitter_error {
        eprintln!("  tree-sitter error: {s:?}");
    }
    assert!(
        t.missed.is_empty(),
        "commands blastwall misses:\n{}",
        t.missed.join("\n")
    );
    assert!(t.agree > 400, "too few agreements: {t:?}");
}

fn bash_path() -> Option<&'static str> {
    ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// `bash -n` (parse only, nothing runs) on every corpus command: what bash rejects blastwall
/// must not take apart as if it were valid and allow; what bash accepts blastwall should parse.
#[test]
fn differential_bash_syntax_check() {
    let Some(bash) = bash_path() else {
        eprintln!("no bash: skipped");
        return;
    };
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut stricter = Vec::new();
    let mut looser = Vec::new();
    let mut n = 0;
    for src in corpus() {
        let ok = Process::new(bash)
            .args(["-n", "-c", &src])
            .current_dir(scratch.path())
            .env_clear()
            .env("PATH", "/nonexistent")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        let a = analyze(&src);
        let parse_error = a.has_unknown(UnknownKind::ParseError);
        n += 1;
        match (ok, parse_error) {
            (true, true) => stricter.push(src),
            (false, false) => {
                // bash refuses it; blastwall parsed it. Harmless only if it is not allowed.
                let d = super::bash(&src);
                looser.push(format!("{src:?} -> {d}"));
                assert!(
                    d >= blastwall::decision::Decision::Ask || a.commands.len() <= 1,
                    "bash rejects {src:?} but blastwall allows it as {:?}",
                    a.programs()
                );
            }
            _ => {}
        }
    }
    eprintln!("bash -n differential over {n}: {} blastwall parse errors on valid bash, {} parsed but bash rejects", stricter.len(), looser.len());
    for s in &stricter {
        eprintln!("  blastwall stricter: {s:?}");
    }
    for s in &looser {
        eprintln!("  bash rejects: {s}");
    }
}

/// Made-up programs, so that the traced run cannot touch anything: every name below resolves
/// to a shim that appends its own name to the trace file and exits 0.
const SHIMS: &[&str] = &["zz_a", "zz_b", "zz_c", "zz_d"];

/// Texts whose commands bash itself tells: which word is the command, what a here-document or
/// here-string feeds to a shell, what `bash -c`/`eval`/functions run.
const TRACED: &[&str] = &[
    "zz_a",
    "\\zz_a x",
    "'zz_a' x",
    "\"zz_\"a",
    "zz_''a",
    "$'zz_a'",
    "$'\\x7a\\x7a_a'",
    "$'\\172\\172_a'",
    "X=1 zz_a",
    "zz_a | zz_b",
    "zz_a && zz_b || zz_c",
    "zz_a; zz_b & wait",
    "zz_a $(zz_b) `zz_c`",
    "zz_a <(zz_b) >(zz_c)",
    "bash -c 'zz_a; zz_b'",
    "sh -c \"zz_a\"",
    "eval 'zz_a; zz_b'",
    "eval \"zz_a\" ';' zz_b",
    "bash <<EOF\nzz_a\nzz_b\nEOF",
    "bash <<'EOF'\nzz_a $(zz_b)\nEOF",
    "cat <<EOF | bash\nzz_a\nEOF",
    "bash <<< 'zz_a; zz_b'",
    "sh <<-EOF\n\tzz_a\n\tEOF",
    "zz_d <<EOF\n$(zz_a)\nEOF",
    "zz_d <<'EOF'\n$(zz_a)\nEOF",
    "f() { zz_a; }; f; f",
    "function g { zz_b; }; g",
    "for i in 1 2; do zz_a; done",
    "if zz_a; then zz_b; else zz_c; fi",
    "case x in x) zz_a;; *) zz_b;; esac",
    "while zz_a; do break; done",
    "{ zz_a; zz_b; } > /dev/null",
    "( zz_a ) && zz_b",
    "x=$(zz_a) zz_b",
    "zz_a \"$(zz_b \"$(zz_c)\")\"",
    "echo 'zz_a' | bash",
    "printf 'zz_a\\n' | sh",
    "printf 'zz_a\\nzz_b\\n' | sh",
    "printf '%s\\n' zz_a zz_b | bash",
    "printf -- '%s; %s\\n' zz_a zz_b | sh",
    "echo -e 'zz_a\\nzz_b' | sh",
    "command zz_a",
    "exec zz_a",
    "env zz_a",
    "time zz_a",
    "! zz_a",
    "zz_a # zz_b",
    "zz_a \\\n zz_b",
    "zz_a\nzz_b",
    "[[ $(zz_a) ]]",
    "echo $((1 + $(zz_a)))",
    "a=(x $(zz_a))",
    "trap 'zz_a' EXIT",
];

#[test]
fn differential_bash_runs_only_commands_blastwall_lists() {
    let Some(bash) = bash_path() else {
        eprintln!("no bash: skipped");
        return;
    };
    let scratch = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let trace = scratch.path().join("trace");
    for name in SHIMS {
        let shim = bin.join(name);
        std::fs::write(
            &shim,
            format!("#!{bash}\nprintf '%s\\n' {name} >> \"$TRACE\"\n"),
        )
        .unwrap();
        let mut perm = std::fs::metadata(&shim).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&shim, perm).unwrap();
    }
    // The shells the texts run must be found too; cat/echo/printf/wait are builtins or real.
    for (name, target) in [("bash", bash), ("sh", bash)] {
        std::os::unix::fs::symlink(target, bin.join(name)).unwrap();
    }
    for name in ["cat", "env"] {
        if let Some(p) = ["/bin", "/usr/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.exists())
        {
            std::os::unix::fs::symlink(p, bin.join(name)).unwrap();
        }
    }
    let mut failures = Vec::new();
    for (i, src) in TRACED.iter().enumerate() {
        // One trace file per text: a process substitution (`>(zz_c)`) may still be writing
        // after bash exits, and must not land in the next text's trace.
        let trace = trace.with_extension(i.to_string());
        let status = Process::new(bash)
            .args(["-c", src])
            .current_dir(scratch.path())
            .env_clear()
            .env("PATH", &bin)
            .env("HOME", scratch.path())
            .env("TRACE", &trace)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        let _ = status;
        let ran = std::fs::read_to_string(&trace).unwrap_or_default();
        let ran = multiset(ran.lines());
        let a = analyze(src);
        let listed = multiset(a.programs().into_iter().map(basename));
        // Loops and function calls run a body more often than it is written; compare presence
        // for those, counts otherwise.
        let missing: Vec<&str> = ran
            .keys()
            .filter(|name| !listed.contains_key(*name))
            .copied()
            .collect();
        if !missing.is_empty() && !a.is_complete() {
            // Not listed but the analysis says it could not see everything: asked, never
            // allowed (`printf '…' | sh`). Kept for HARDENING.md.
            eprintln!(
                "  incomplete, asked: {src:?}: bash ran {ran:?}, blastwall lists {:?}",
                a.programs()
            );
        } else if !missing.is_empty() {
            failures.push(format!(
                "{src:?}: bash ran {ran:?}, blastwall lists {:?}",
                a.programs()
            ));
        }
        assert!(
            !ran.is_empty(),
            "{src:?}: the traced run ran nothing; the shim set-up is broken"
        );
    }
    assert!(
        failures.is_empty(),
        "bash ran commands blastwall did not list:\n{}",
        failures.join("\n")
    );
}
