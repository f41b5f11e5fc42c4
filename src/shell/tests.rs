//! Table-driven tests for `analyze`, one line per case: the 106-case corpus of
//! `docs/shell-parsing-and-style.md` (appendix), the constructs of issue 3, and adversarial cases.

use super::*;

fn cx() -> Context<'static> {
    Context {
        cwd: Path::new("/work/proj"),
        home: Some(Path::new("/home/u")),
        read_scripts: true,
        limits: Limits::default(),
    }
}

fn run(src: &str) -> Analysis {
    analyze(src, &cx())
}

fn kinds(a: &Analysis) -> Vec<UnknownKind> {
    a.unknowns.iter().map(|u| u.kind).collect()
}

/// `cmds!(name, src, [programs…])`: exactly these programs, in this order, and no unknowns.
macro_rules! cmds {
    ($name:ident, $src:expr, [$($p:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let a = run($src);
            let want: Vec<&str> = vec![$($p),*];
            assert_eq!(a.programs(), want, "src: {:?}\nanalysis: {:#?}", $src, a);
            assert!(a.unknowns.is_empty(), "src: {:?}\nunexpected unknowns: {:#?}", $src, a.unknowns);
        }
    };
}

/// `unk!(name, src, Kind, [programs…])`: these programs, and an unknown of this kind.
macro_rules! unk {
    ($name:ident, $src:expr, $kind:ident, [$($p:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let a = run($src);
            let want: Vec<&str> = vec![$($p),*];
            assert_eq!(a.programs(), want, "src: {:?}\nanalysis: {:#?}", $src, a);
            assert!(a.has_unknown(UnknownKind::$kind), "src: {:?}\nwant {:?}, got {:#?}", $src, UnknownKind::$kind, a.unknowns);
        }
    };
    ($name:ident, $src:expr, $kind:ident) => {
        #[test]
        fn $name() {
            let a = run($src);
            assert!(a.has_unknown(UnknownKind::$kind), "src: {:?}\nwant {:?}, got {:#?}", $src, UnknownKind::$kind, a);
        }
    };
}

/// `via!(name, src, program, [via…])`: the first command named `program` came through `via`.
macro_rules! via {
    ($name:ident, $src:expr, $prog:expr, [$($v:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let a = run($src);
            let c = a.commands.iter().find(|c| c.program == $prog).unwrap_or_else(|| panic!("no {} in {:#?}", $prog, a));
            let want: Vec<&str> = vec![$($v),*];
            assert_eq!(c.via, want, "src: {:?}", $src);
        }
    };
}

fn args_of<'a>(a: &'a Analysis, prog: &str) -> Vec<&'a str> {
    a.commands
        .iter()
        .find(|c| c.program == prog)
        .map(|c| c.args.iter().map(|w| w.text.as_str()).collect())
        .unwrap_or_default()
}

// ----- the corpus (appendix of docs/shell-parsing-and-style.md), by id -----
#[rustfmt::skip]
mod corpus {
    use super::*;
    cmds!(c001_simple, "ls -la", ["ls"]);
    cmds!(c002_and, "git status && rm -rf build", ["git", "rm"]);
    cmds!(c003_or_semi, "make || rm -rf /tmp/x; echo done", ["make", "rm", "echo"]);
    cmds!(c004_pipe_xargs, "cat foo | grep bar | xargs rm -f", ["cat", "grep", "xargs", "rm"]);
    cmds!(c005_dq_cmdsub, r#"echo "$(rm -rf ~)""#, ["rm", "echo"]);
    cmds!(c006_backtick, "echo `rm -rf /`", ["rm", "echo"]);
    cmds!(c007_nested_dq, r#"echo "nested $(echo "inner $(rm -rf x)")""#, ["rm", "echo", "echo"]);
    cmds!(c008_bash_c, r#"bash -c "rm -rf ~""#, ["bash", "rm"]);
    cmds!(c009_sh_c_sq, "sh -c 'git push --force origin main'", ["sh", "git"]);
    cmds!(c010_bash_c_nested, r#"bash -c "bash -c 'rm -rf /'""#, ["bash", "bash", "rm"]);
    cmds!(c011_bash_lc, "bash -lc 'cd /tmp && rm -rf *'", ["bash", "cd", "rm"]);
    cmds!(c012_eval, r#"eval "rm -rf /""#, ["eval", "rm"]);
    cmds!(c013_assign_prefix, "a=1 b=2 rm -rf x", ["rm"]);
    cmds!(c014_assign_only_sub, "FOO=$(rm -rf /)", ["rm"]);
    cmds!(c015_brace_group, "{ rm -rf x; }", ["rm"]);
    cmds!(c016_subshell, "(cd / && rm -rf *)", ["cd", "rm"]);
    cmds!(c017_if, "if true; then rm -rf x; else echo no; fi", ["true", "rm", "echo"]);
    cmds!(c018_for, r#"for f in *.txt; do rm "$f"; done"#, ["rm"]);
    cmds!(c019_while_redir, "while read l; do git push --force; done < list.txt", ["read", "git"]);
    cmds!(c020_until, "until false; do rm x; done", ["false", "rm"]);
    cmds!(c021_case, "case $x in a) rm -rf a;; *) echo b;; esac", ["rm", "echo"]);
    // brush 0.4 does not parse `select`: fails closed.
    unk!(c022_select, "select x in a b; do rm $x; done", ParseError);
    cmds!(c023_function_kw, "function f { rm -rf /; }; f", ["rm", "f"]);
    cmds!(c024_function_posix, "f() { git push -f; }", ["git"]);
    cmds!(c025_redir_etc, "echo hi > /etc/passwd", ["echo"]);
    cmds!(c026_redir_append, "cat a >> ~/.bashrc 2>&1", ["cat"]);
    cmds!(c027_redir_clobber_amp, "echo foo >| out; echo bar &> all.log", ["echo", "echo"]);
    cmds!(c028_procsub, "diff <(ls a) <(rm -rf b)", ["ls", "rm", "diff"]);
    cmds!(c029_procsub_out, "tee >(rm -rf x) < /dev/null", ["rm", "tee"]);
    cmds!(c030_backslash_name, "\\rm -rf x", ["rm"]);
    cmds!(c031_empty_sq_name, "r''m -rf x", ["rm"]);
    cmds!(c032_dq_part_name, "\"r\"m -rf x", ["rm"]);
    cmds!(c033_ansic_name, "$'\\x72\\x6d' -rf /", ["rm"]);
    unk!(c034_dyn_name, "x=rm; $x -rf /", DynamicCommandWord, ["$x"]);
    unk!(c035_cmdsub_name, "$(echo rm) -rf /", DynamicCommandWord, ["echo", "$(echo rm)"]);
    cmds!(c036_arith, "echo $(( 1 + 2 ))", ["echo"]);
    cmds!(c037_arith_cmd_let, "((i++)); let i=1+1", ["let"]);
    cmds!(c038_dbl_bracket, "[[ -f x && $y == z* ]] && rm x", ["rm"]);
    cmds!(c039_single_bracket, "[ -f x ] && rm x", ["[", "rm"]);
    cmds!(c040_comment, "ls # ; rm -rf /", ["ls"]);
    cmds!(c041_comment_line, "# rm -rf /\necho ok", ["echo"]);
    cmds!(c042_line_cont, "rm \\\n  -rf \\\n  /", ["rm"]);
    cmds!(c043_unicode, "echo \"héllo wörld 🚀\" && rm -rf \"dïr\" ∕", ["echo", "rm"]);
    cmds!(c044_quoted_ops, "echo \"a;b\" 'c && d' && rm x", ["echo", "rm"]);
    cmds!(c045_escaped_subst, r#"echo "it's" "a \"q\" \$(not run)" '$(nor this)'"#, ["echo"]);
    cmds!(c046_param_default_sub, "echo ${HOME:-$(rm -rf /)}", ["rm", "echo"]);
    cmds!(c047_array_sub, "arr=(a b $(rm -rf /))", ["rm"]);
    cmds!(c048_deep_nest, "echo $(echo $(echo $(rm -rf /)))", ["rm", "echo", "echo", "echo"]);
    cmds!(c049_backtick_in_dq_in_sub, "echo \"$(echo `rm -rf /`)\"", ["rm", "echo", "echo"]);
    cmds!(c050_heredoc_unquoted, "cat <<EOF\n$(rm -rf /)\nEOF", ["rm", "cat"]);
    cmds!(c051_heredoc_quoted, "cat <<'EOF'\n$(rm -rf /)\nEOF", ["cat"]);
    cmds!(c052_heredoc_then_cmd, "cat <<EOF > out.txt\nhello\nEOF\nrm -rf x", ["cat", "rm"]);
    // The heredoc piped to `sh` is static, so its code is analysed.
    cmds!(c053_heredoc_dash, "cat <<-EOF | sh\n\techo hi\n\tEOF", ["cat", "sh", "echo"]);
    cmds!(c054_herestring, "bash <<< 'rm -rf /'", ["bash", "rm"]);
    cmds!(c055_sudo, "sudo rm -rf /", ["sudo", "rm"]);
    cmds!(c056_sudo_u, "sudo -u root git push --force", ["sudo", "git"]);
    cmds!(c057_env, "env FOO=1 rm -rf /", ["env", "rm"]);
    cmds!(c058_nice_timeout, "nice -n 10 timeout 5 rm -rf /", ["nice", "timeout", "rm"]);
    cmds!(c059_command_builtin, "command rm -rf /", ["command", "rm"]);
    cmds!(c060_exec, "exec rm -rf /", ["exec", "rm"]);
    cmds!(c061_find_exec, "find . -name '*.o' -exec rm -f {} \\;", ["find", "rm"]);
    cmds!(c062_find_delete, "find . -name '*.tmp' -delete", ["find"]);
    cmds!(c063_xargs_sh, "xargs -0 -I{} sh -c 'rm -rf {}'", ["xargs", "sh", "rm"]);
    cmds!(c064_time_kw, "time rm -rf x", ["rm"]);
    cmds!(c065_bang, "! rm x", ["rm"]);
    cmds!(c066_background, "rm x & echo started", ["rm", "echo"]);
    cmds!(c067_pipe_amp, "ls |& tee log.txt", ["ls", "tee"]);
    cmds!(c068_extglob, "rm -rf !(keep)", ["rm"]);
    cmds!(c069_git_force, "git -C repo push --force-with-lease origin HEAD:main", ["git"]);
    cmds!(c070_newlines, "cd /tmp\nrm -rf x\n\necho done\n", ["cd", "rm", "echo"]);
    cmds!(c071_while_pipe, "cat f | while read x; do rm \"$x\"; done", ["cat", "read", "rm"]);
    cmds!(c072_coproc, "coproc rm -rf x", ["rm"]);
    cmds!(c073_fd_redirs, "exec 3>&1 4>/tmp/log; ls 2>/dev/null", ["exec", "ls"]);
    cmds!(c074_deep_nest_dq, "echo \"$(echo \"$(echo \"$(rm -rf /)\")\")\"", ["rm", "echo", "echo", "echo"]);
    cmds!(c075_nested_backticks, "echo `echo \\`rm -rf /\\``", ["rm", "echo", "echo"]);
    cmds!(c076_subshell_in_sub, "echo $( (rm -rf /) )", ["rm", "echo"]);
    cmds!(c077_procsub_nested, "cat <(cat <(rm x))", ["rm", "cat", "cat"]);
    cmds!(c078_heredoc_in_sub, "echo \"$(cat <<EOF\n$(rm -rf /)\nEOF\n)\"", ["rm", "cat", "echo"]);
    // brush 0.4 issue #1052: `case` inside `$(` fails to parse; fails closed.
    unk!(c079_case_in_sub, "echo $(case x in x) rm -rf /;; esac)", ParseError);
    cmds!(c080_bash_c_ansic, "bash -c $'rm -rf /'", ["bash", "rm"]);
    cmds!(c081_sh_c_multi, "sh -c 'echo a; rm -rf /'", ["sh", "echo", "rm"]);
    cmds!(c082_redirect_first, ">/etc/hosts echo x", ["echo"]);
    cmds!(c083_array_index_sub, "a[$(rm -rf /)]=1", ["rm"]);
    cmds!(c084_tabs, "rm\t-rf\t/", ["rm"]);
    cmds!(c085_no_space_ops, "ls;rm -rf /&&git push -f||echo x|cat", ["ls", "rm", "git", "echo", "cat"]);
    cmds!(c086_func_subshell_body, "f() (rm -rf /); f", ["rm", "f"]);
    unk!(c087_dq_backtick_name, "\"`echo rm`\" -rf /", DynamicCommandWord, ["echo", "`echo rm`"]);
    cmds!(c088_long_pipeline_newlines, "ls |\n  grep x |\n  xargs rm", ["ls", "grep", "xargs", "rm"]);
    cmds!(c089_claude_commit_heredoc, "git commit -m \"$(cat <<'EOF'\nFix the parser\n\nIt's done, \"mostly\".\nEOF\n)\"", ["cat", "git"]);
    cmds!(c090_claude_commit_heredoc_sub, "git commit -m \"$(cat <<EOF\nmsg $(rm -rf /)\nEOF\n)\"", ["rm", "cat", "git"]);
    cmds!(c091_heredoc_then_semicolon, "cat <<'EOF' > f; echo done\nhello\nEOF", ["cat", "echo"]);
    cmds!(c092_heredoc_redirect_pipe, "cat <<'EOF' 2>&1 | tail -5\nhello\nEOF", ["cat", "tail"]);
    cmds!(c093_two_heredocs, "cat <<A <<B\na\nA\nb\nB", ["cat"]);
    // brush 0.4 issues #1066/#420: an unpaired `"` in a heredoc inside `"$(…)"`; fails closed.
    unk!(c094_heredoc_quote_in_sub, "x=\"$(cat <<'EOF'\nshe said \"hello\nEOF\n)\"; rm y", ParseError);
    unk!(c095_funsub_bash53, "echo ${ rm -rf /; }", FunctionSubstitution);
    cmds!(c096_nested_subshell_spaced, "( ( rm -rf / ) )", ["rm"]);
    cmds!(c097_nested_subshell_tight, "( (rm -rf /) )", ["rm"]);
    cmds!(c098_arith_open_subshell_close, "(( rm -rf / ) )", ["rm"]);
    cmds!(c099_nested_subshell_in_group, "{ ( ( rm -rf x ) ); }", ["rm"]);
    unk!(c100_unterminated_sq, "echo 'unterminated", ParseError);
    unk!(c101_unterminated_dq, "echo \"unterminated $(ls", ParseError);
    unk!(c102_if_no_body, "if then fi", ParseError);
    unk!(c103_stray_paren, "echo )", ParseError);
    unk!(c104_unclosed_brace, "{ rm -rf x", ParseError);
}

#[test]
fn c105_big_100k() {
    let mut src = String::new();
    while src.len() < 100_000 {
        src.push_str("echo 'aaaaaaaaaa' \"$HOME\" && ");
    }
    src.push_str("rm -rf /");
    // 3,500 commands: more than the pre-parse scan lets through (limits::MAX_SEPARATORS), so it
    // is refused before parsing and asked, which answers in time; never silently allowed.
    let a = run(&src);
    assert!(
        a.has_unknown(UnknownKind::TooManyCommands),
        "{:?}",
        a.unknowns
    );
}

#[test]
fn c106_big_100k_heredoc() {
    let mut body = String::new();
    while body.len() < 100_000 {
        body.push_str("print(\"it's $HOME `uname`\")  # 'quote\n");
    }
    let src = format!("cat <<'EOF' > out.py\n{body}EOF\nrm -rf build");
    let a = run(&src);
    assert!(a.unknowns.is_empty(), "{:?}", a.unknowns);
    assert_eq!(a.programs(), vec!["cat", "rm"]);
    let cat = a.commands.first().unwrap();
    assert_eq!(
        cat.redirects
            .first()
            .map(|r| (r.op, r.target.text.as_str())),
        Some((RedirectOp::Write, "out.py"))
    );
}

// ----- lists, compounds, functions -----
#[rustfmt::skip]
mod compounds {
    use super::*;
    cmds!(list_semicolons_and_amp, "a; b & c && d || e\nf", ["a", "b", "c", "d", "e", "f"]);
    cmds!(group_and_subshell_nested, "{ a; ( b; { c; } ); }", ["a", "b", "c"]);
    cmds!(if_elif_else, "if a; then b; elif c; then d; else e; fi", ["a", "b", "c", "d", "e"]);
    cmds!(case_patterns_with_subst, "case $(a) in $(b)) c;; esac", ["a", "b", "c"]);
    cmds!(for_values_with_subst, "for x in $(ls); do rm $x; done", ["ls", "rm"]);
    cmds!(while_and_until, "while a; do b; done; until c; do d; done", ["a", "b", "c", "d"]);
    cmds!(function_body_reported_even_if_not_called, "cleanup() { rm -rf /; }", ["rm"]);
    via!(function_body_via, "f() { rm -rf /; }; f", "rm", ["function f"]);
    cmds!(function_redirect_body, "f() { echo hi; } > out; f", ["echo", "f"]);
}

// ----- substitutions anywhere -----
#[rustfmt::skip]
mod substitutions {
    use super::*;
    unk!(subst_inside_command_word, "r$(true)m -rf /", DynamicCommandWord, ["true", "r$(true)m"]);
    cmds!(subst_in_redirect_target, "echo hi > \"$(rm -rf /)\"", ["rm", "echo"]);
    cmds!(subst_in_assignment_prefix, "X=$(rm a) ls", ["rm", "ls"]);
    cmds!(subst_in_export, "export A=$(rm a)", ["rm", "export"]);
    cmds!(subst_in_herestring, "cat <<< \"$(rm a)\"", ["rm", "cat"]);
    cmds!(subst_in_arith_expansion, "echo $(( $(rm x) + 1 ))", ["rm", "echo"]);
    cmds!(subst_in_arith_command, "(( $(rm x) ))", ["rm"]);
    cmds!(subst_in_arith_for, "for ((i=$(rm x); i<3; i++)); do :; done", ["rm", ":"]);
    cmds!(subst_in_param_pattern, "echo ${x/$(rm a)/b}", ["rm", "echo"]);
    cmds!(subst_in_extended_test, "[[ $(rm a) == x ]]", ["rm"]);
    cmds!(backtick_in_dq_word, "echo \"a`rm x`b\"", ["rm", "echo"]);
    cmds!(procsub_as_redirect_target, "ls > >(rm x)", ["rm", "ls"]);
    cmds!(arith_nested_subshells_in_for, "for ((i=0; i<3; i++)); do ( ( rm $i ) ); done", ["rm"]);
    // brush 0.4 rejects `for ((;;))` (empty parts): fails closed.
    unk!(arith_for_empty_parts_fails_closed, "for ((;;)); do ( ( rm $i ) ); done", ParseError);
    cmds!(arith_misread_in_subst, "x=$( ( (rm x) ) )", ["rm"]);
    cmds!(real_arith_left_alone, "(( i++ )); ((j=i*2))", []);
}

// ----- size and depth (issue: each answers quickly with an Unknown) -----

/// Run `f`, failing only on a hang: the bound is far above any real answer, so a loaded
/// machine cannot make these tests flaky. The figures (printed with `--nocapture`) and the
/// command that measures them in a release build are in BENCHMARKS.md ("Adversarial input").
#[allow(clippy::disallowed_macros, clippy::print_stdout)]
fn timed<T>(f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let out = f();
    let took = t.elapsed();
    let test = std::thread::current().name().unwrap_or("?").to_string();
    println!("{test}: {took:?}");
    assert!(took < std::time::Duration::from_secs(10), "hang: {took:?}");
    out
}
#[test]
fn nested_dollar_paren_10000() {
    let src = format!("{}rm -rf /{}", "$(".repeat(10_000), ")".repeat(10_000));
    let a = timed(|| run(&src));
    assert_eq!(kinds(&a), vec![UnknownKind::TooDeep]);
}

#[test]
fn nested_if_5000() {
    let src = format!(
        "{}rm -rf /{}",
        "if true; then ".repeat(5_000),
        "; fi".repeat(5_000)
    );
    let a = timed(|| run(&src));
    assert_eq!(kinds(&a), vec![UnknownKind::TooDeep]);
}

#[test]
fn nested_subshells_10000() {
    let src = format!("{}rm -rf /{}", "( ".repeat(10_000), " )".repeat(10_000));
    assert_eq!(kinds(&run(&src)), vec![UnknownKind::TooDeep]);
}

#[test]
fn nested_groups_5000() {
    let src = format!("{}rm -rf /{}", "{ ".repeat(5_000), "; }".repeat(5_000));
    assert_eq!(kinds(&run(&src)), vec![UnknownKind::TooDeep]);
}

#[test]
fn over_max_bytes_is_too_large() {
    let src = format!("echo {}", "a".repeat(300 * 1024));
    let a = timed(|| run(&src));
    assert_eq!(kinds(&a), vec![UnknownKind::TooLarge]);
}

#[test]
fn command_100k_within_budget() {
    // The brief's 100 KB command: refused by the separator count before parsing (asked), and
    // fast in an optimised build; a 100 KB command with fewer commands is analysed in full.
    let src = format!(
        "{}rm -rf /",
        "echo 'aaaaaaaaaa' \"$HOME\" && ".repeat(3_500)
    );
    let a = timed(|| run(&src));
    assert!(
        a.has_unknown(UnknownKind::TooManyCommands),
        "{:?}",
        a.unknowns
    );
    // 1,900 commands in 100 KB (long arguments): analysed in full, `rm` found.
    let wide = format!(
        "{}rm -rf /",
        format!("echo '{}' && ", "a".repeat(40)).repeat(1_900)
    );
    assert!(wide.len() > 90_000);
    let a = timed(|| run(&wide));
    assert_eq!(a.programs().last(), Some(&"rm"));
}

#[test]
fn too_many_commands() {
    let limits = Limits {
        max_commands: 10,
        ..Limits::default()
    };
    let cx = Context { limits, ..cx() };
    let a = analyze(&"a; ".repeat(50), &cx);
    assert_eq!(a.commands.len(), 10);
    assert_eq!(kinds(&a), vec![UnknownKind::TooManyCommands]);
}

#[test]
fn reparse_depth_is_bounded() {
    // `eval eval … rm`: each eval re-parses the rest once.
    let src = format!("{}rm -rf /", "eval ".repeat(12));
    let a = run(&src);
    assert!(a.has_unknown(UnknownKind::TooDeep), "{:?}", a.unknowns);
    assert_eq!(
        a.programs().len(),
        9,
        "stops at max_reparse_depth: {:?}",
        a.programs()
    );
}

#[test]
fn wrapper_chain_is_bounded() {
    let src = format!("{}rm -rf /", "nohup ".repeat(100));
    let a = run(&src);
    assert!(a.has_unknown(UnknownKind::TooDeep));
}

// ----- normalisation of the command word -----
#[rustfmt::skip]
mod command_word {
    use super::*;
    cmds!(norm_backslash, "\\rm x", ["rm"]);
    cmds!(norm_empty_quotes, "r''m x", ["rm"]);
    cmds!(norm_dq_part, "\"r\"m x", ["rm"]);
    cmds!(norm_ansi_c_hex, "$'\\x72\\x6d' x", ["rm"]);
    cmds!(norm_ansi_c_octal, "$'\\162\\155' x", ["rm"]);
    cmds!(norm_abs_path, "/bin/rm x", ["rm"]);
    cmds!(norm_usr_bin_env, "/usr/bin/env rm x", ["env", "rm"]);
    cmds!(norm_escaped_letters, "r\\m x", ["rm"]);
    unk!(dyn_param, "$x -rf /", DynamicCommandWord, ["$x"]);
    unk!(dyn_default, "${x:-rm} -rf /", DynamicCommandWord, ["${x:-rm}"]);
    unk!(dyn_ifs, "rm${IFS}-rf${IFS}/", DynamicCommandWord, ["rm${IFS}-rf${IFS}/"]);
    unk!(dyn_brace_expansion, "{rm,-rf,/}", DynamicCommandWord);
    unk!(dyn_glob, "/bin/r? -rf /", DynamicCommandWord, ["/bin/r?"]);
    unk!(dyn_glob_star, "/usr/bin/r* -rf /", DynamicCommandWord);
    unk!(dyn_ansi_c_nul, "$'r\\0m' x", DynamicCommandWord);
    unk!(dyn_user_tilde, "~root/bin/rm x", DynamicCommandWord);
    unk!(dyn_cmdsub_quoted, "\"$(printf rm)\" -rf /", DynamicCommandWord, ["printf", "$(printf rm)"]);
}

#[test]
fn dynamic_flag_is_marked() {
    let a = run("rm -$x /");
    let rm = a.commands.first().unwrap();
    assert_eq!(
        rm.args.first(),
        Some(&Word {
            text: "-$x".into(),
            dynamic: true
        })
    );
    assert_eq!(rm.args.get(1), Some(&Word::lit("/")));
}

#[test]
fn flags_are_not_split() {
    assert_eq!(
        args_of(&run("rm -rf --no-preserve-root /"), "rm"),
        vec!["-rf", "--no-preserve-root", "/"]
    );
}

#[test]
fn home_and_pwd_expand_statically() {
    let a = run("rm ~/x ~ $HOME/y ${HOME}/z \"$PWD/w\" ~+/v");
    let rm = a.commands.first().unwrap();
    let texts: Vec<&str> = rm.args.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "/home/u/x",
            "/home/u",
            "/home/u/y",
            "/home/u/z",
            "/work/proj/w",
            "/work/proj/v"
        ]
    );
    assert!(rm.args.iter().all(|w| !w.dynamic));
}

#[test]
fn no_home_makes_tilde_dynamic() {
    let cx = Context { home: None, ..cx() };
    let a = analyze("rm ~/x", &cx);
    assert!(a.commands.first().unwrap().args.first().unwrap().dynamic);
}

#[test]
fn glob_and_brace_args_are_dynamic_quoted_are_not() {
    let a = run("rm *.txt 'a*' {a,b} '{a,b}' [ab] x{}");
    let d: Vec<bool> = a
        .commands
        .first()
        .unwrap()
        .args
        .iter()
        .map(|w| w.dynamic)
        .collect();
    assert_eq!(d, vec![true, false, true, false, true, false]);
}

// ----- wrappers -----
#[rustfmt::skip]
mod wrappers {
    use super::*;
    via!(sudo_via, "sudo -u root -E rm -rf /", "rm", ["sudo"]);
    cmds!(sudo_assignment, "sudo FOO=1 rm x", ["sudo", "rm"]);
    cmds!(sudo_list_does_not_run, "sudo -l", ["sudo"]);
    cmds!(doas_wrapper, "doas -u root rm x", ["doas", "rm"]);
    cmds!(env_options_and_assignments, "env -i -u HOME A=1 B=2 rm x", ["env", "rm"]);
    cmds!(env_alone_prints, "env", ["env"]);
    cmds!(env_split_string, "env -S 'rm -rf /'", ["env", "rm"]);
    cmds!(command_v_does_not_run, "command -v rm", ["command"]);
    cmds!(builtin_wrapper, "builtin eval 'rm x'", ["builtin", "eval", "rm"]);
    cmds!(exec_with_argv0, "exec -a foo rm x", ["exec", "rm"]);
    cmds!(nohup_wrapper, "nohup rm x &", ["nohup", "rm"]);
    cmds!(nice_numeric, "nice -10 rm x", ["nice", "rm"]);
    cmds!(ionice_wrapper, "ionice -c 3 rm x", ["ionice", "rm"]);
    cmds!(ionice_pid_does_not_run, "ionice -c 3 -p 42", ["ionice"]);
    cmds!(timeout_options, "timeout -k 5 -s KILL 10s rm x", ["timeout", "rm"]);
    cmds!(time_external, "/usr/bin/time -v -o out rm x", ["time", "rm"]);
    cmds!(stdbuf_wrapper, "stdbuf -oL rm x", ["stdbuf", "rm"]);
    cmds!(setsid_wrapper, "setsid -f rm x", ["setsid", "rm"]);
    cmds!(xargs_options, "xargs -n 1 -P 4 rm -f", ["xargs", "rm"]);
    cmds!(xargs_alone_echoes, "xargs", ["xargs"]);
    cmds!(parallel_command_string, "parallel -j4 'rm {}' ::: a b", ["parallel", "rm"]);
    cmds!(busybox_applet, "busybox rm -rf /", ["busybox", "rm"]);
    cmds!(busybox_sh_c, "busybox sh -c 'rm x'", ["busybox", "sh", "rm"]);
    cmds!(find_execdir_plus, "find . -execdir rm {} + -ok mv {} /tmp \\;", ["find", "rm", "mv"]);
    cmds!(find_okdir, "find . -okdir rm {} \\;", ["find", "rm"]);
    via!(find_exec_via, "find . -exec rm {} \\;", "rm", ["find -exec"]);
    cmds!(git_alias_bang, "git -c alias.x='!rm -rf /' x", ["git", "rm"]);
    via!(git_alias_via, "git -c alias.x='!rm -rf /' x", "rm", ["git -c alias.x"]);
    cmds!(git_alias_expands_subcommand, "git -c alias.p='push --force' p origin", ["git", "git"]);
    cmds!(git_pager_runs_shell, "git -c core.pager='rm -rf /' log", ["git", "rm"]);
    cmds!(git_ssh_command, "git -c core.sshCommand='sh -c \"rm x\"' fetch", ["git", "sh", "rm"]);
    unk!(git_hooks_path, "git -c core.hooksPath=/tmp/h commit", DynamicCommandWord);
    cmds!(watch_runs_shell, "watch -n 1 'rm x; ls'", ["watch", "rm", "ls"]);
    cmds!(flock_command, "flock /tmp/l -c 'rm x'", ["flock", "rm"]);
    cmds!(flock_exec, "flock -w 5 /tmp/l rm x", ["flock", "rm"]);
    cmds!(su_c, "su - root -c 'rm -rf /'", ["su", "rm"]);
    cmds!(ssh_remote_command, "ssh -p 22 host 'rm -rf /'", ["ssh", "rm"]);
    cmds!(ssh_proxy_command, "ssh -o ProxyCommand='rm -rf /' host", ["ssh", "rm"]);
    cmds!(strace_wrapper, "strace -f -o log rm x", ["strace", "rm"]);
    cmds!(trap_code, "trap 'rm -rf /' EXIT", ["trap", "rm"]);
    cmds!(alias_value, "alias ll='rm -rf /'", ["alias", "rm"]);
    cmds!(chained_wrappers, "sudo env A=1 nice -n 5 timeout 3 xargs rm", ["sudo", "env", "nice", "timeout", "xargs", "rm"]);
}

#[test]
fn wrapper_via_chain_outermost_first() {
    let a = run("sudo env A=1 timeout 3 rm x");
    let rm = a.commands.iter().find(|c| c.program == "rm").unwrap();
    assert_eq!(rm.via, vec!["sudo", "env", "timeout"]);
    assert_eq!(rm.args, vec![Word::lit("x")]);
    assert_eq!(rm.assignments, vec![("A".to_owned(), Word::lit("1"))]);
}

#[test]
fn xargs_inner_args() {
    assert_eq!(args_of(&run("ls | xargs rm -f"), "rm"), vec!["-f"]);
}

#[test]
fn env_chdir_moves_the_command() {
    let a = run("env -C sub rm x");
    assert_eq!(
        a.commands.iter().find(|c| c.program == "rm").unwrap().cwd,
        PathBuf::from("/work/proj/sub")
    );
}

// ----- shells, eval, source -----
#[rustfmt::skip]
mod code_in_strings {
    use super::*;
    cmds!(sh_c_clustered_xc, "sh -xc 'rm x'", ["sh", "rm"]);
    cmds!(bash_c_with_o_option, "bash -o pipefail -c 'rm x'", ["bash", "rm"]);
    cmds!(bash_c_positional_args, "bash -c 'rm \"$0\"' file", ["bash", "rm"]);
    cmds!(zsh_dash_ksh_c, "zsh -c 'a'; dash -c 'b'; ksh -c 'c'", ["zsh", "a", "dash", "b", "ksh", "c"]);
    cmds!(nested_c_three_levels, r#"bash -c "sh -c \"bash -c 'rm -rf /'\"""#, ["bash", "sh", "bash", "rm"]);
    cmds!(eval_nested, r#"eval 'eval "rm -rf /"'"#, ["eval", "eval", "rm"]);
    cmds!(eval_joins_words, "eval rm -rf /", ["eval", "rm"]);
    via!(bash_c_via, "bash -c 'rm x'", "rm", ["bash -c"]);
    // The string is re-parsed anyway: what can be seen (here, a dynamic command) is reported.
    unk!(bash_c_dynamic, "bash -c \"$CMD\"", DynamicCommandWord, ["bash", "$CMD"]);
    unk!(bash_c_partly_dynamic_still_reports, "bash -c \"rm $x\"", DynamicCommandWord, ["bash", "rm"]);
    unk!(eval_dynamic, "eval \"$x\"", DynamicCommandWord, ["eval", "$x"]);
    unk!(eval_direnv, "eval \"$(direnv hook bash)\"", EvalOfSubstitution, ["direnv", "eval"]);
    unk!(eval_ssh_agent, "eval \"$(ssh-agent -s)\"", EvalOfSubstitution, ["ssh-agent", "eval"]);
    unk!(eval_backticks, "eval `ssh-agent -s`", EvalOfSubstitution, ["ssh-agent", "eval"]);
    unk!(source_procsub, "source <(kubectl completion bash)", EvalOfSubstitution, ["kubectl", "source"]);
    unk!(dot_procsub, ". <(curl -s x)", EvalOfSubstitution, ["curl", "."]);
    unk!(bash_procsub_script, "bash <(curl -s https://x)", EvalOfSubstitution, ["curl", "bash"]);
    unk!(bash_c_of_subst, "bash -c \"$(curl -s x)\"", EvalOfSubstitution, ["curl", "bash"]);
}

#[test]
fn eval_of_substitution_names_the_program() {
    let a = run("eval \"$(direnv hook bash)\"");
    assert_eq!(a.unknowns.len(), 1);
    let u = a.unknowns.first().unwrap();
    assert_eq!(
        (u.kind, u.program.as_deref()),
        (UnknownKind::EvalOfSubstitution, Some("direnv"))
    );
    assert_eq!(args_of(&a, "direnv"), vec!["hook", "bash"]);
}

#[rustfmt::skip]
mod idioms {
    use super::*;
    cmds!(mktemp_subst_is_clean, "d=$(mktemp -d) && echo \"$d\"", ["mktemp", "echo"]);
}

// ----- code on stdin or inline -----
#[rustfmt::skip]
mod interpreters {
    use super::*;
    unk!(curl_pipe_sh, "curl -fsSL https://x | sh", OpaqueStdinCode, ["curl", "sh"]);
    unk!(base64_pipe_bash, "echo cm0gLXJmIC8= | base64 -d | bash", OpaqueStdinCode, ["echo", "base64", "bash"]);
    cmds!(echo_pipe_sh_is_read, "echo 'rm -rf /' | sh", ["echo", "sh", "rm"]);
    cmds!(bash_heredoc, "bash <<EOF\nrm -rf /\nEOF", ["bash", "rm"]);
    cmds!(bash_heredoc_quoted, "bash <<'EOF'\nrm -rf \"$HOME\"\nEOF", ["bash", "rm"]);
    cmds!(sh_s_herestring, "sh -s <<< 'rm -rf /'", ["sh", "rm"]);
    via!(heredoc_via, "bash <<EOF\nrm -rf /\nEOF", "rm", ["bash <<"]);
    unk!(python_c, "python3 -c 'import os; os.system(\"rm -rf /\")'", InlineCode, ["python3"]);
    unk!(node_e, "node -e 'require(\"child_process\").execSync(\"rm -rf /\")'", InlineCode, ["node"]);
    unk!(perl_e, "perl -e 'system(\"rm -rf /\")'", InlineCode, ["perl"]);
    unk!(perl_ne_cluster, "perl -ne 'print' f", InlineCode, ["perl"]);
    unk!(ruby_e, "ruby -e 'system(\"rm\")'", InlineCode, ["ruby"]);
    unk!(php_r, "php -r 'system(\"rm\");'", InlineCode, ["php"]);
    unk!(awk_system, "awk '{system(\"rm \" $1)}' list", InlineCode, ["awk"]);
    unk!(awk_pipe, "awk '{print | \"sh\"}' list", InlineCode, ["awk"]);
    unk!(awk_file_write, "awk '{print > \"/etc/x\"}' list", InlineCode, ["awk"]);
    cmds!(awk_plain_is_fine, "awk -F: '{print $1}' /etc/passwd", ["awk"]);
    cmds!(awk_logical_or_is_fine, "awk '$1 > 5 || $2 < 3 {print}' f", ["awk"]);
    unk!(sed_e_command, "sed '1e rm -rf /' f", InlineCode, ["sed"]);
    unk!(sed_s_e_flag, "sed 's/.*/rm &/e' f", InlineCode, ["sed"]);
    unk!(sed_w_flag, "sed -n 's/a/b/w /etc/x' f", InlineCode, ["sed"]);
    cmds!(sed_plain_is_fine, "sed -i 's/foo/bar/g' f", ["sed"]);
    unk!(python_stdin_pipe, "curl x | python3", OpaqueStdinCode, ["curl", "python3"]);
    unk!(python_heredoc, "python3 <<EOF\nimport os\nEOF", OpaqueStdinCode, ["python3"]);
    cmds!(python_script_file, "python3 manage.py test", ["python3"]);
    cmds!(python_module, "python3 -m pytest -x", ["python3"]);
}

#[test]
fn curl_pipe_sh_stdin_and_flag() {
    let a = run("curl -s x | sh");
    let sh = a.commands.iter().find(|c| c.program == "sh").unwrap();
    assert_eq!(
        sh.stdin,
        Stdin::Pipe {
            from: vec!["curl".to_owned()]
        }
    );
    assert!(sh.runs_stdin_as_code);
    let u = a.unknowns.first().unwrap();
    assert_eq!(
        (u.kind, u.program.as_deref()),
        (UnknownKind::OpaqueStdinCode, Some("sh"))
    );
    let curl = a.commands.first().unwrap();
    assert!(!curl.runs_stdin_as_code);
    assert_eq!(curl.stdin, Stdin::Inherited);
}

#[test]
fn pipe_into_group_reaches_inner_shell() {
    let a = run("curl x | { bash; }");
    assert!(a.has_unknown(UnknownKind::OpaqueStdinCode));
}

// ----- data is not execution -----
#[rustfmt::skip]
mod data_is_not_code {
    use super::*;
    cmds!(data_echo, "echo 'rm -rf /'", ["echo"]);
    cmds!(data_grep, "grep -r \"push --force\" .", ["grep"]);
    cmds!(data_commit_message, "git commit -m \"remove rm -rf\"", ["git"]);
    cmds!(data_printf, "printf '%s\\n' 'sudo rm -rf /'", ["printf"]);
    cmds!(data_heredoc_to_file, "cat > notes.md <<'EOF'\nrun `rm -rf /` never\n$(whoami)\nEOF", ["cat"]);
}

// ----- adversarial -----
#[rustfmt::skip]
mod adversarial {
    use super::*;
    cmds!(adv_quote_splice, "'r'\"m\" -rf /", ["rm"]);
    cmds!(adv_ansi_c_u, "$'\\u0072\\u006d' -rf /", ["rm"]);
    cmds!(adv_heredoc_delim_in_body, "bash <<A\necho A\nrm -rf /\nA", ["bash", "echo", "rm"]);
    cmds!(adv_semicolon_in_subst_in_dq, "echo \"$(ls; rm x)\"", ["ls", "rm", "echo"]);
    cmds!(adv_newline_in_sh_c, "sh -c 'echo a\nrm -rf /'", ["sh", "echo", "rm"]);
    unk!(adv_syntax_error_after_dangerous_line, "rm -rf /\nif then fi", ParseError);
    unk!(adv_funsub_in_sh_c, "sh -c 'echo ${ rm -rf /; }'", FunctionSubstitution, ["sh"]);
    unk!(adv_funsub_in_heredoc, "cat <<EOF\n${ rm -rf /; }\nEOF", FunctionSubstitution);
    cmds!(adv_redirect_only, "> /etc/passwd", [":"]);
    cmds!(adv_arith_misread_deep, "( ( ( rm -rf / ) ) )", ["rm"]);
    cmds!(adv_git_dash_c_dir, "git -C /etc push --force", ["git"]);
    cmds!(adv_xargs_replace, "ls | xargs -I{} rm -rf {}", ["ls", "xargs", "rm"]);
    cmds!(adv_coproc_named, "coproc X { rm x; }", ["rm"]);
    cmds!(adv_wrapper_in_subst, "echo $(sudo rm x)", ["sudo", "rm", "echo"]);
    cmds!(adv_line_continuation_in_word, "r\\\nm -rf /", ["rm"]);
    cmds!(adv_gettext_quotes, "$\"rm\" -rf /", ["rm"]);
    cmds!(adv_quoted_path, "'/bin/rm' -rf /", ["rm"]);
    cmds!(adv_escaped_wrapper, "\\sudo \\rm x", ["sudo", "rm"]);
    cmds!(adv_double_dash_wrappers, "sudo -- command -- rm x", ["sudo", "command", "rm"]);
    unk!(adv_local_binary_named_rm, "./rm -rf /", ScriptUnreadable, ["rm"]);
}

// ----- cd is followed -----
fn cwd_of(a: &Analysis, prog: &str) -> PathBuf {
    a.commands
        .iter()
        .find(|c| c.program == prog)
        .map(|c| c.cwd.clone())
        .unwrap_or_default()
}

#[test]
fn cd_relative_then_command() {
    let a = run("cd sub/dir && rm x");
    assert_eq!(cwd_of(&a, "rm"), PathBuf::from("/work/proj/sub/dir"));
    assert_eq!(cwd_of(&a, "cd"), PathBuf::from("/work/proj"));
}

#[test]
fn cd_dotdot_and_absolute() {
    let a = run("cd /tmp; cd ../etc; cat passwd");
    assert_eq!(cwd_of(&a, "cat"), PathBuf::from("/etc"));
}

#[test]
fn cd_home_and_dash() {
    let a = run("cd; ls; cd -; pwd");
    assert_eq!(cwd_of(&a, "ls"), PathBuf::from("/home/u"));
    assert_eq!(cwd_of(&a, "pwd"), PathBuf::from("/work/proj"));
}

#[test]
fn cd_tilde() {
    assert_eq!(
        cwd_of(&run("cd ~/src && make"), "make"),
        PathBuf::from("/home/u/src")
    );
}

#[test]
fn cd_in_subshell_does_not_leak() {
    let a = run("(cd /etc; cat passwd); ls");
    assert_eq!(cwd_of(&a, "cat"), PathBuf::from("/etc"));
    assert_eq!(cwd_of(&a, "ls"), PathBuf::from("/work/proj"));
}

#[test]
fn cd_in_pipeline_part_does_not_leak() {
    let a = run("cd /etc | true; ls");
    assert_eq!(cwd_of(&a, "ls"), PathBuf::from("/work/proj"));
}

#[test]
fn cd_inside_bash_c() {
    let a = run("bash -c 'cd /etc && rm passwd'");
    assert_eq!(cwd_of(&a, "rm"), PathBuf::from("/etc"));
}

#[test]
fn pushd_popd() {
    let a = run("pushd /a; pushd /b; popd; touch x");
    assert_eq!(cwd_of(&a, "touch"), PathBuf::from("/a"));
}

#[rustfmt::skip]
mod cd_dynamic {
    use super::*;
    unk!(cd_dynamic, "cd \"$DIR\" && rm -rf x", DynamicCd, ["cd", "rm"]);
    unk!(cd_subst, "cd $(mktemp -d) && ls", DynamicCd, ["mktemp", "cd", "ls"]);
}

// ----- redirections and stdin -----
fn redirects_of(a: &Analysis, prog: &str) -> Vec<(RedirectOp, Option<u32>, String)> {
    a.commands
        .iter()
        .find(|c| c.program == prog)
        .map(|c| {
            c.redirects
                .iter()
                .map(|r| (r.op, r.fd, r.target.text.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn redirect_kinds() {
    let a = run("cmd < in > out 2>> err 3<> rw >| clob 2>&1 <&3 &> both &>> both2 >&file 2>&-");
    use RedirectOp::*;
    assert_eq!(
        redirects_of(&a, "cmd"),
        vec![
            (Read, None, "in".into()),
            (Write, None, "out".into()),
            (Append, Some(2), "err".into()),
            (ReadWrite, Some(3), "rw".into()),
            (Clobber, None, "clob".into()),
            (DupOut, Some(2), "1".into()),
            (DupIn, None, "3".into()),
            (WriteOutErr, None, "both".into()),
            (AppendOutErr, None, "both2".into()),
            (WriteOutErr, None, "file".into()),
            (DupOut, Some(2), "-".into()),
        ]
    );
    assert!(Write.writes() && WriteOutErr.writes() && !DupOut.writes() && !Read.writes());
}

#[test]
fn redirect_target_expands_home() {
    assert_eq!(
        redirects_of(&run("cat a >> ~/.bashrc"), "cat"),
        vec![(RedirectOp::Append, None, "/home/u/.bashrc".into())]
    );
}

#[test]
fn compound_redirects_reach_inner_commands() {
    let a = run("{ echo a; printf b; } > /etc/x");
    assert_eq!(
        redirects_of(&a, "echo"),
        vec![(RedirectOp::Write, None, "/etc/x".into())]
    );
    assert_eq!(
        redirects_of(&a, "printf"),
        vec![(RedirectOp::Write, None, "/etc/x".into())]
    );
}

#[test]
fn redirect_without_command_is_noop_builtin() {
    let a = run("> /etc/passwd");
    assert_eq!(
        redirects_of(&a, ":"),
        vec![(RedirectOp::Write, None, "/etc/passwd".into())]
    );
}

#[test]
fn stdin_sources() {
    let a = run("a < f; b <<< 'hi'; c <<EOF\nbody $HOME\nEOF\nd | e");
    let stdin = |p: &str| {
        a.commands
            .iter()
            .find(|c| c.program == p)
            .map(|c| c.stdin.clone())
            .unwrap()
    };
    assert_eq!(stdin("a"), Stdin::File(Word::lit("f")));
    assert_eq!(stdin("b"), Stdin::HereString("hi".into()));
    assert_eq!(stdin("c"), Stdin::HereDoc("body /home/u\n".into()));
    assert_eq!(stdin("d"), Stdin::Inherited);
    assert_eq!(
        stdin("e"),
        Stdin::Pipe {
            from: vec!["d".into()]
        }
    );
}

#[test]
fn while_loop_stdin_from_compound_redirect() {
    let a = run("while read l; do sh; done < cmds.txt");
    let sh = a.commands.iter().find(|c| c.program == "sh").unwrap();
    assert_eq!(sh.stdin, Stdin::File(Word::lit("cmds.txt")));
    // `sh < file` runs the file as a script: it does not exist here.
    assert!(a.has_unknown(UnknownKind::ScriptUnreadable));
}

#[test]
fn assignments_are_reported() {
    let a = run("A=1 B=\"$HOME\" C=$(date) make");
    let make = a.commands.iter().find(|c| c.program == "make").unwrap();
    assert_eq!(
        make.assignments,
        vec![
            ("A".into(), Word::lit("1")),
            ("B".into(), Word::lit("/home/u")),
            (
                "C".into(),
                Word {
                    text: "$(date)".into(),
                    dynamic: true
                }
            ),
        ]
    );
}

// ----- scripts from the workspace -----
fn with_scripts(files: &[(&str, &str)], src: &str) -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
    }
    let cx = Context {
        cwd: dir.path(),
        home: None,
        read_scripts: true,
        limits: Limits::default(),
    };
    analyze(src, &cx)
}

#[test]
fn script_bash_file() {
    let a = with_scripts(&[("x.sh", "#!/bin/bash\nset -e\nrm -rf /\n")], "bash x.sh");
    assert_eq!(a.programs(), vec!["bash", "set", "rm"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
    let rm = a.commands.iter().find(|c| c.program == "rm").unwrap();
    assert_eq!(rm.via, vec!["script x.sh"]);
}

#[test]
fn script_dot_slash_with_shebang() {
    let a = with_scripts(
        &[("x.sh", "#!/usr/bin/env bash\ngit push --force\n")],
        "./x.sh",
    );
    assert_eq!(a.programs(), vec!["x.sh", "git"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn script_without_shebang_is_shell() {
    let a = with_scripts(
        &[("scripts/y", "rm -rf build\n")],
        "sh scripts/y && scripts/y",
    );
    assert_eq!(a.programs(), vec!["sh", "rm", "y", "rm"]);
}

#[test]
fn script_source_and_dot() {
    let a = with_scripts(
        &[("env.sh", "export A=1\ncurl x | sh\n")],
        "source env.sh; . ./env.sh",
    );
    assert_eq!(
        a.programs(),
        vec!["source", "export", "curl", "sh", ".", "export", "curl", "sh"]
    );
    assert!(a.has_unknown(UnknownKind::OpaqueStdinCode));
}

#[test]
fn script_after_cd() {
    let a = with_scripts(&[("sub/run.sh", "rm x\n")], "cd sub && bash run.sh");
    assert_eq!(a.programs(), vec!["cd", "bash", "rm"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn script_non_shell_interpreter_not_read() {
    let a = with_scripts(&[("x.py", "#!/usr/bin/env python3\nimport os\n")], "./x.py");
    assert_eq!(a.programs(), vec!["x.py"]);
    assert!(a.is_complete());
}

#[test]
fn script_binary_not_read() {
    let a = with_scripts(&[("tool", "\u{7f}ELF\u{0}\u{0}binary")], "./tool --help");
    assert_eq!(a.programs(), vec!["tool"]);
    assert!(a.is_complete());
}

#[test]
fn script_missing_is_unknown() {
    let a = with_scripts(&[], "make gen && bash generated.sh");
    assert_eq!(a.programs(), vec!["make", "bash"]);
    assert_eq!(kinds(&a), vec![UnknownKind::ScriptUnreadable]);
}

#[test]
fn script_dot_slash_missing_is_unknown() {
    let a = with_scripts(&[], "./configure");
    assert_eq!(kinds(&a), vec![UnknownKind::ScriptUnreadable]);
}

#[test]
fn script_that_runs_itself_terminates() {
    let a = with_scripts(&[("loop.sh", "echo hi\nbash loop.sh\n")], "bash loop.sh");
    assert_eq!(a.programs(), vec!["bash", "echo", "bash"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn script_nested_scripts() {
    let a = with_scripts(&[("a.sh", "sh b.sh\n"), ("b.sh", "rm -rf /\n")], "./a.sh");
    let rm = a.commands.iter().find(|c| c.program == "rm").unwrap();
    assert_eq!(rm.via, vec!["script ./a.sh", "script b.sh"]);
}

#[test]
fn script_too_large_is_unknown() {
    let body = "echo a\n".repeat(1000);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.sh"), body).unwrap();
    let limits = Limits {
        max_script_bytes: 100,
        ..Limits::default()
    };
    let cx = Context {
        cwd: dir.path(),
        home: None,
        read_scripts: true,
        limits,
    };
    assert_eq!(
        kinds(&analyze("bash big.sh", &cx)),
        vec![UnknownKind::ScriptUnreadable]
    );
}

#[test]
fn script_reading_disabled_is_unknown() {
    let cx = Context {
        read_scripts: false,
        ..cx()
    };
    assert_eq!(
        kinds(&analyze("bash x.sh", &cx)),
        vec![UnknownKind::ScriptUnreadable]
    );
}

#[cfg(unix)]
#[test]
fn script_fifo_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.sh");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !made {
        return;
    }
    let cx = Context {
        cwd: dir.path(),
        home: None,
        read_scripts: true,
        limits: Limits::default(),
    };
    let k = kinds(&analyze("bash p.sh; ./p.sh", &cx));
    assert_eq!(
        k,
        vec![UnknownKind::ScriptUnreadable, UnknownKind::ScriptUnreadable]
    );
}

#[test]
fn system_binaries_by_path_are_not_read() {
    let a = run("/usr/bin/ldd x");
    assert_eq!(a.programs(), vec!["ldd"]);
    assert!(a.is_complete());
}

// ----- environment variables that hold commands, run-style subcommands, more wrappers -----
#[rustfmt::skip]
mod env_and_tools {
    use super::*;
    cmds!(env_git_ssh_command, "GIT_SSH_COMMAND='rm -rf /' git fetch", ["rm", "git"]);
    via!(env_git_ssh_command_via, "GIT_SSH_COMMAND='rm -rf /' git fetch", "rm", ["env GIT_SSH_COMMAND"]);
    cmds!(env_wrapper_pager, "env PAGER='sh -c \"rm x\"' man ls", ["env", "sh", "rm", "man"]);
    cmds!(export_editor, "export EDITOR='rm -rf /'; git commit", ["export", "rm", "git"]);
    cmds!(bare_prompt_command, "PROMPT_COMMAND='rm x'", ["rm"]);
    unk!(bash_env_script, "BASH_ENV=./evil.sh bash -c true", ScriptUnreadable, ["bash", "true"]);
    cmds!(uv_run, "uv run --with rich rm -rf /", ["uv", "rm"]);
    cmds!(poetry_run, "poetry run pytest -x", ["poetry", "pytest"]);
    cmds!(bundle_exec, "bundle exec rake db:drop", ["bundle", "rake"]);
    cmds!(conda_run, "conda run -n env rm x", ["conda", "rm"]);
    cmds!(direnv_exec, "direnv exec . rm x", ["direnv", "rm"]);
    cmds!(npm_exec, "npm exec -- rimraf dist", ["npm", "rimraf"]);
    cmds!(npm_install_is_not_a_wrapper, "npm install left-pad", ["npm"]);
    cmds!(nix_develop_c, "nix develop -c rm x", ["nix", "rm"]);
    cmds!(nix_shell_run, "nix-shell -p hello --run 'rm x'", ["nix-shell", "rm"]);
    cmds!(ssh_heredoc, "ssh host <<EOF\nrm -rf /\nEOF", ["ssh", "rm"]);
    unk!(ssh_piped_script, "curl x | ssh host", OpaqueStdinCode, ["curl", "ssh"]);
    unk!(python_dash_reads_stdin, "curl x | python3 -", OpaqueStdinCode, ["curl", "python3"]);
}

#[test]
fn functions_are_listed() {
    let a = run("f() { rm x; }; function g { ls; }; f; g");
    assert_eq!(a.functions, vec!["f", "g"]);
    assert_eq!(a.programs(), vec!["rm", "ls", "f", "g"]);
}

#[test]
fn arithmetic_guard_with_non_ascii_source() {
    // Spans are in characters; a non-ASCII prefix must not shift the `( (` check.
    let a = run("echo 'héllo wörld' ; ( ( rm -rf / ) ); (( i++ ))");
    assert_eq!(a.programs(), vec!["echo", "rm"]);
}

#[test]
fn many_arithmetic_commands_stay_linear() {
    let src = format!("echo é; {}", "(( i++ )); ".repeat(1_900));
    let a = timed(|| run(&src));
    assert!(a.is_complete());
}

#[test]
fn nested_substitutions_around_a_large_payload_are_refused_before_parsing() {
    // Parsing cost is about size × nesting (brush re-tokenizes each `$(` level).
    let src = format!(
        "{}echo {} {}",
        "$(".repeat(60),
        "a ".repeat(100_000),
        ")".repeat(60)
    );
    let a = run(&src);
    assert_eq!(kinds(&a), vec![UnknownKind::TooLarge]);
}

#[test]
fn repeated_unknowns_are_reported_once() {
    let a = run(&"$x; ".repeat(2_000));
    assert_eq!(kinds(&a), vec![UnknownKind::DynamicCommandWord]);
    assert_eq!(a.commands.len(), 2_000);
}

// ----- code deferred in values and subscripts -----
#[rustfmt::skip]
mod deferred {
    use super::*;
    cmds!(arith_injection_value, "x='a[$(rm -rf /)]'; echo $((x))", ["rm", "echo"]);
    via!(arith_injection_via, "x='a[$(rm -rf /)]'; echo $((x))", "rm", ["value of x"]);
    cmds!(printf_v_subscript, "printf -v 'a[$(rm -rf /)]' x", ["printf", "rm"]);
    cmds!(read_subscript, "read 'a[`rm x`]' < f", ["read", "rm"]);
    cmds!(plain_subscript_is_data, "unset 'a[1]'", ["unset"]);
    // Assignments and arithmetic evaluate subscripts too: the text after `[` is walked
    // whatever follows the `]` (a review found these allowed for a moment).
    cmds!(declare_assignment_subscript, "declare 'a[$(rm x)]=1'", ["declare", "rm"]);
    cmds!(local_append_subscript, "local 'a[$(rm x)]+=1'", ["local", "rm"]);
    cmds!(let_expression_subscript, "let 'x=a[$(rm x)]+1'", ["let", "rm"]);
    // eval's text is walked as code (not also as a variable name); its subscripts are found there.
    cmds!(eval_text_is_walked_as_code, "eval 'a[$(rm x)]=1'", ["eval", "rm"]);
    cmds!(dbl_bracket_v_subscript, "[[ -v 'a[$(rm x)]' ]]", ["rm"]);
    cmds!(dbl_bracket_arith_operand, "[[ 'a[$(rm x)]' -eq 1 ]]", ["rm"]);
    unk!(xargs_shell_scripts_from_stdin, "ls *.sh | xargs sh", DynamicCommandWord, ["ls", "xargs", "sh"]);
    unk!(find_exec_shell_on_found_files, "find . -name '*.sh' -exec bash {} \\;", DynamicCommandWord, ["find", "bash"]);
    cmds!(xargs_sh_c_is_static, "ls | xargs -I{} sh -c 'echo {}'", ["ls", "xargs", "sh", "echo"]);
    cmds!(bash_dev_stdin_heredoc, "bash /dev/stdin <<EOF\nrm x\nEOF", ["bash", "rm"]);
}

#[rustfmt::skip]
mod more_idioms {
    use super::*;
    cmds!(source_dev_stdin_herestring, "source /dev/stdin <<< 'rm -rf /'", ["source", "rm"]);
    cmds!(gh_pr_body_heredoc, "gh pr create --title x --body \"$(cat <<'EOF'\n## Summary\n- uses `rm -rf` in docs\nEOF\n)\"", ["cat", "gh"]);
    cmds!(cargo_test_tail, "cargo test 2>&1 | tail -20", ["cargo", "tail"]);
    cmds!(make_nproc, "make -j$(nproc) 2>&1 | tee build.log", ["nproc", "make", "tee"]);
    cmds!(kill_lsof, "kill -9 $(lsof -t -i:3000); npm run dev &", ["lsof", "kill", "npm"]);
    cmds!(diff_sorted, "diff <(sort a) <(sort b)", ["sort", "sort", "diff"]);
    cmds!(kubectl_apply_heredoc, "cat <<EOF | kubectl apply -f -\napiVersion: v1\nEOF", ["cat", "kubectl"]);
    cmds!(if_test_file, "if [ -f Cargo.toml ]; then cargo build; fi", ["[", "cargo"]);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Arbitrary shell-ish text never panics the walker, never hangs, and a parse failure
        /// is always reported.
        #[test]
        fn analyze_is_total(src in "[a-z $(){}'\"`;|&<>\n\\\\#=*?!\\[\\]~-]{0,120}") {
            let a = run(&src);
            for u in &a.unknowns {
                prop_assert!(!u.detail.contains("analyser panicked"), "{:?} on {:?}", u, src);
            }
            for c in &a.commands {
                prop_assert!(!c.program.is_empty());
            }
        }

        /// Wrapping a command in quotes, wrappers or `bash -c` never hides it.
        #[test]
        fn wrapped_rm_is_always_found(wrapper in prop::sample::select(vec![
            "{}", "sudo {}", "env A=1 {}", "bash -c '{}'", "sh -lc \"{}\"", "eval '{}'", "nohup {}",
            "timeout 5 {}", "echo $({})", "( ( {} ) )", "{ {}; }", "if true; then {}; fi", "x=$({})",
            "find . -exec {} \\;", "xargs {}", "time {}", "! {}", "f() { {}; }", "cat <({})",
            "bash <<< '{}'", "echo '{}' | sh", "command {}", "exec {}", "nice -n 1 {}",
        ]), rm in prop::sample::select(vec!["rm", "\\rm", "r''m", "\"r\"m", "/bin/rm", "$'\\x72m'"])) {
            let src = wrapper.replace("{}", &format!("{rm} -rf /"));
            let a = run(&src);
            // Quote-free spellings must be found; quoted ones may collide with the wrapper's
            // own quotes (then bash runs something else), and must then at least fail closed.
            let found = a.programs().contains(&"rm");
            if matches!(rm, "rm" | "\\rm" | "/bin/rm") {
                prop_assert!(found, "{:?} -> {:?}", src, a.programs());
            } else {
                prop_assert!(found || !a.unknowns.is_empty(), "{:?} -> {:?}", src, a.programs());
            }
        }
    }
}

#[test]
fn quote_tricks_cannot_get_past_the_stack_bound() {
    // `<<` inside arithmetic starts no here-document in bash, but a lexical scanner may think
    // it does and stop counting; the quote-blind bound still sizes the stack (or refuses).
    let src = format!(
        "echo $((1<<2))\n{}rm -rf /{}",
        "if true; then ".repeat(3_000),
        "; fi".repeat(3_000)
    );
    let a = run(&src);
    assert!(
        !a.unknowns.is_empty() || a.programs().contains(&"rm"),
        "{a:?}"
    );
}

#[test]
fn too_many_openers_is_refused_quickly() {
    let src = "(".repeat(200_000);
    let a = timed(|| run(&src));
    assert_eq!(kinds(&a), vec![UnknownKind::TooDeep]);
}

// ----- a script written earlier in the same command line -----
#[test]
fn script_written_by_heredoc_then_run_is_analysed() {
    let a = with_scripts(
        &[],
        "cat > run.sh <<'EOF'\n#!/bin/sh\nrm -rf /\nEOF\nchmod +x run.sh && ./run.sh",
    );
    assert_eq!(a.programs(), vec!["cat", "chmod", "run.sh", "rm"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn script_written_by_echo_then_sourced_is_analysed() {
    let a = with_scripts(&[], "echo 'git push --force' > x.sh; source x.sh");
    assert_eq!(a.programs(), vec!["echo", "source", "git"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn stale_file_on_disk_is_not_trusted_after_a_write() {
    // On disk the script is harmless; the command overwrites it first.
    let a = with_scripts(
        &[("x.sh", "echo safe\n")],
        "echo 'rm -rf /' > x.sh && bash x.sh",
    );
    assert_eq!(a.programs(), vec!["echo", "bash", "rm"]);
}

#[test]
fn script_changed_by_cp_is_unknown() {
    let a = with_scripts(
        &[("x.sh", "echo safe\n"), ("evil", "rm -rf /\n")],
        "cp evil x.sh && bash x.sh",
    );
    assert_eq!(kinds(&a), vec![UnknownKind::ScriptUnreadable]);
}

#[test]
fn script_downloaded_then_run_is_unknown() {
    let a = with_scripts(
        &[("i.sh", "echo old\n")],
        "curl -fsSL -o i.sh https://x && sh i.sh",
    );
    assert_eq!(kinds(&a), vec![UnknownKind::ScriptUnreadable]);
}

#[test]
fn script_appended_to_is_analysed_with_the_addition() {
    let a = with_scripts(
        &[("x.sh", "echo one\n")],
        "echo 'rm -rf /' >> x.sh; bash x.sh",
    );
    assert_eq!(a.programs(), vec!["echo", "bash", "echo", "rm"]);
}

#[test]
fn thousands_of_substitutions_stop_at_the_parse_budget() {
    let a = run(&"echo $(a) ".repeat(5_000));
    assert!(a.has_unknown(UnknownKind::TooLarge), "{:?}", a.unknowns);
}

#[rustfmt::skip]
mod more_wrappers {
    use super::*;
    cmds!(git_bisect_run, "git bisect run rm -rf /", ["git", "rm"]);
    cmds!(git_rebase_exec, "git rebase -i --exec 'rm -rf /' HEAD~3", ["git", "rm"]);
    cmds!(git_rebase_x, "git -C repo rebase -x 'make test' main", ["git", "make"]);
    cmds!(git_submodule_foreach, "git submodule foreach --recursive 'git clean -fdx'", ["git", "git"]);
    cmds!(git_filter_branch, "git filter-branch --tree-filter 'rm -f secrets' HEAD", ["git", "rm"]);
    cmds!(tar_to_command, "tar xf a.tar --to-command='sh -c \"rm x\"'", ["tar", "sh", "rm"]);
    cmds!(tar_checkpoint_exec, "tar cf a.tar --checkpoint=1 --checkpoint-action=exec='rm -rf /' .", ["tar", "rm"]);
    cmds!(tar_use_compress_program, "tar -I 'rm x' -xf a.tar", ["tar", "rm"]);
    cmds!(rsync_rsh, "rsync -e 'sh -c \"rm x\"' a b", ["rsync", "sh", "rm"]);
    cmds!(tmux_new_session, "tmux new-session -d -s s 'rm -rf /'", ["tmux", "rm"]);
    cmds!(screen_dm, "screen -dmS s rm -rf /", ["screen", "rm"]);
    unk!(at_reads_stdin, "curl x | at now", OpaqueStdinCode, ["curl", "at"]);
    cmds!(at_heredoc, "at now <<EOF\nrm -rf /\nEOF", ["at", "rm"]);
    cmds!(version_flags_do_not_read_stdin, "echo x | python3 --version; echo y | bash --version", ["echo", "python3", "echo", "bash"]);
}

#[test]
fn cat_script_into_shell_is_read() {
    let a = with_scripts(
        &[("setup.sh", "npm ci\nrm -rf node_modules/.cache\n")],
        "cat setup.sh | bash",
    );
    assert_eq!(a.programs(), vec!["cat", "bash", "npm", "rm"]);
    assert!(a.is_complete(), "{:?}", a.unknowns);
}

#[test]
fn cat_missing_script_into_shell_is_unknown() {
    let a = with_scripts(&[], "cat nope.sh | sh");
    assert_eq!(kinds(&a), vec![UnknownKind::ScriptUnreadable]);
}

#[rustfmt::skip]
mod interpreter_scripts {
    use super::*;
    unk!(python_dev_stdin_heredoc, "python3 /dev/stdin <<EOF\nimport os\nEOF", OpaqueStdinCode, ["python3"]);
    unk!(python_procsub_script, "python3 <(curl -s x)", EvalOfSubstitution, ["curl", "python3"]);
    unk!(node_procsub_script, "node <(curl -s x)", EvalOfSubstitution, ["curl", "node"]);
}

// ----- where the analysis runs: inline on a declared stack, or on a thread of its own -----
const MIB: usize = 1024 * 1024;

fn nested_ifs(n: usize) -> String {
    format!("{}rm -rf /{}", "if true; then ".repeat(n), "; fi".repeat(n))
}

fn plan_name(p: Plan) -> &'static str {
    match p {
        Plan::Refuse { .. } => "refuse",
        Plan::Inline { .. } => "inline",
        Plan::Thread { .. } => "thread",
    }
}

#[test]
fn plan_follows_the_declared_stack() {
    let limits = Limits::default();
    let per = STACK_PER_LEVEL;
    #[rustfmt::skip]
    let cases: Vec<(&str, String, Option<usize>, &str)> = vec![
        ("no declaration", "git status".into(), None, "thread"),
        ("the hook's worker", "git status".into(), Some(127 * MIB), "inline"),
        ("exactly the base", "git status".into(), Some(STACK_BASE), "inline"),
        ("a byte short of the base", "git status".into(), Some(STACK_BASE - 1), "thread"),
        ("a main-thread-sized stack", "git status".into(), Some(8 * MIB), "thread"),
        ("nothing left", "git status".into(), Some(0), "thread"),
        ("1,000 openers fit", "(".repeat(1_000), Some(STACK_BASE + 1_000 * per), "inline"),
        ("1,000 openers, one level short", "(".repeat(1_000), Some(STACK_BASE + 999 * per), "thread"),
        ("5,000 nested if on the worker", nested_ifs(5_000), Some(127 * MIB), "thread"),
        ("1,500 nested if on the worker", nested_ifs(1_500), Some(127 * MIB), "inline"),
        ("too many openers for any stack", "(".repeat(200_000), Some(usize::MAX), "refuse"),
        ("too many openers, no declaration", "(".repeat(200_000), None, "refuse"),
        ("over max_bytes: refused by the parse guard", "(".repeat(300 * 1024), Some(127 * MIB), "inline"),
    ];
    for (name, src, left, want) in cases {
        assert_eq!(plan_name(plan(&src, &limits, left)), want, "{name}");
    }
}

/// On a fresh thread with a `stack`-byte stack, declared as `declared` (if any): the analysis of
/// `src` under `limits` and how many analyser threads it started.
fn analyse_on_thread(
    stack: usize,
    declared: Option<usize>,
    limits: &Limits,
    src: &str,
) -> (Analysis, usize) {
    let cx = Context {
        limits: limits.clone(),
        ..cx()
    };
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, || {
                let go = || {
                    let before = SPAWNED.get();
                    let a = analyze(src, &cx);
                    assert_eq!(NESTING_CAPACITY.get(), 0, "capacity restored");
                    (a, SPAWNED.get() - before)
                };
                match declared {
                    Some(d) => with_declared_stack(d, go),
                    None => go(),
                }
            })
            .unwrap()
            .join()
            .unwrap()
    })
}

#[test]
fn declared_stack_runs_the_analysis_inline_only_when_it_fits() {
    let worker = 128 * MIB;
    let default = Limits::default();
    // Nesting the pre-parse scan lets through, so that the parser and the walker really recurse
    // that deep: only the stack sizing keeps this from overflowing.
    let deep = Limits {
        max_nesting: 4_000,
        max_bytes: 16 * MIB,
        ..Limits::default()
    };
    let reparse = r#"bash -c "sh -c 'rm -rf /'""#;
    // Whatever the test thread has used, this leaves less than 900 levels need.
    let short_of_900 = STACK_BASE + 899 * STACK_PER_LEVEL + DECLARATION_SLACK;
    /// (case, thread stack, declared, limits, command, analyser threads started, last programs)
    type Case<'a> = (
        &'a str,
        usize,
        Option<usize>,
        &'a Limits,
        String,
        usize,
        &'a [&'a str],
    );
    #[rustfmt::skip]
    let cases: Vec<Case<'_>> = vec![
        ("no declaration spawns", worker, None, &default, "git status".into(), 1, &["git"]),
        ("the hook's worker runs inline", worker, Some(worker), &default, "git status".into(), 0, &["git"]),
        ("re-parses run inline too", worker, Some(worker), &default, reparse.into(), 0, &["bash", "sh", "rm"]),
        ("a small declared stack spawns", 2 * MIB, Some(2 * MIB), &default, "git status".into(), 1, &["git"]),
        ("5,000 nested if: spawns, refused", worker, Some(worker), &default, nested_ifs(5_000), 1, &[]),
        // 900 nested `if` need ~20 MiB of stack in a debug build (300 overflow 2 MiB).
        ("900 nested if parsed inline", worker, Some(worker), &deep, nested_ifs(900), 0, &["true", "rm"]),
        ("900 nested if, one level short", worker, Some(short_of_900), &deep, nested_ifs(900), 1, &["true", "rm"]),
        ("900 nested if, small declared stack", 2 * MIB, Some(2 * MIB), &deep, nested_ifs(900), 1, &["true", "rm"]),
    ];
    for (name, stack, declared, limits, src, spawned, last) in cases {
        let (a, n) = analyse_on_thread(stack, declared, limits, &src);
        assert_eq!(n, spawned, "{name}");
        let (elsewhere, _) = analyse_on_thread(2 * MIB, None, limits, &src);
        assert_eq!(a, elsewhere, "{name}: the same analysis either way");
        let programs = a.programs();
        assert!(
            programs.ends_with(last),
            "{name}: {programs:?} {:?}",
            a.unknowns
        );
        assert_eq!(
            a.is_complete(),
            !last.is_empty(),
            "{name}: {:?}",
            a.unknowns
        );
    }
}

/// Runs `f` with about `bytes` more of the stack in use.
fn with_stack_used<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    let pad = [0u8; 64 * 1024];
    let r = if bytes <= pad.len() {
        f()
    } else {
        with_stack_used(bytes - pad.len(), f)
    };
    std::hint::black_box(&pad);
    r
}

#[test]
fn stack_used_since_the_declaration_counts() {
    // Declared just enough for `git status` with a little to spare: deeper down, it spawns.
    let stack = STACK_BASE + DECLARATION_SLACK + 2 * MIB;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, || {
                with_declared_stack(stack, || {
                    let top = declared_left(stack_position()).unwrap();
                    assert!((STACK_BASE..=STACK_BASE + 2 * MIB).contains(&top), "{top}");
                    let before = SPAWNED.get();
                    assert_eq!(run("git status").programs(), ["git"]);
                    assert_eq!(SPAWNED.get(), before, "inline at the top");
                    with_stack_used(4 * MIB, || {
                        let deep = declared_left(stack_position()).unwrap();
                        assert!(deep + 4 * MIB <= top, "{deep} vs {top}");
                        assert_eq!(run("git status").programs(), ["git"]);
                        assert_eq!(SPAWNED.get(), before + 1, "spawned deeper down");
                    });
                });
            })
            .unwrap()
            .join()
            .unwrap();
    });
}

#[test]
fn declarations_nest_shrink_and_are_restored() {
    let stack = 128 * MIB;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, || {
                let here = stack_position();
                assert_eq!(declared_left(here), None);
                with_declared_stack(stack, || {
                    let here = stack_position();
                    let outer = declared_left(here).unwrap();
                    assert!(outer <= stack - DECLARATION_SLACK, "{outer}");
                    // A bigger inner declaration cannot add stack the thread does not have.
                    with_declared_stack(usize::MAX, || {
                        assert!(declared_left(stack_position()).unwrap() <= outer);
                    });
                    with_declared_stack(4 * MIB, || {
                        assert!(declared_left(stack_position()).unwrap() <= 3 * MIB);
                    });
                    assert_eq!(declared_left(here), Some(outer));
                    // Restored on unwinding too.
                    let unwound = std::panic::catch_unwind(|| {
                        with_declared_stack(4 * MIB, || panic!("inside a declaration"))
                    });
                    assert!(unwound.is_err());
                    assert_eq!(declared_left(here), Some(outer));
                });
                assert_eq!(declared_left(here), None);
            })
            .unwrap()
            .join()
            .unwrap();
    });
}

// ----- the plain-word shortcut of `parse_word` -----
/// What brush's word parser makes of `word`, bypassing the shortcut.
fn brush_word_pieces(word: &str) -> String {
    let parsed = brush_parser::word::parse(word, &brush_parser::ParserOptions::default());
    format!("{parsed:?}")
}

#[test]
fn plain_words_parse_as_one_text_piece() {
    #[rustfmt::skip]
    let cases: &[(&str, bool)] = &[
        ("status", true), ("--short", true), ("-rf", true), ("a=b", true), ("user@host:dir/x", true),
        ("100%", true), ("+x", true), ("@foo", true), ("if", true), ("1.2.3,4", true), ("=", true),
        ("", false), ("~", false), ("HEAD~1", false), ("a:~/b", false), ("$x", false), ("a*b", false),
        ("'q'", false), ("a\\b", false), ("@(x)", false), ("x(y", false), ("{a,b}", false),
        ("a;b", false), ("a b", false), ("é", false), ("`x`", false), ("\"x\"", false),
    ];
    for &(word, plain) in cases {
        assert_eq!(is_plain_word(word), plain, "{word:?}");
        if plain {
            let ours = format!("Ok({:?})", parse_word(word).unwrap());
            assert_eq!(ours, brush_word_pieces(word), "{word:?}");
            let scanned = limits::scan(word, Limits::default().max_nesting);
            assert!(scanned.is_ok(), "{word:?}: {scanned:?}");
        }
    }
}

mod plain_word_props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortcut gives what brush gives, and skips nothing the pre-parse scan would flag.
        #[test]
        fn shortcut_matches_brush(word in "[A-Za-z0-9_./,:+@%=-]{1,40}") {
            prop_assert!(is_plain_word(&word));
            let ours = format!("Ok({:?})", parse_word(&word).unwrap());
            prop_assert_eq!(ours, brush_word_pieces(&word));
            prop_assert!(limits::scan(&word, Limits::default().max_nesting).is_ok());
        }
    }
}
