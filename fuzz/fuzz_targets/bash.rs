//! The Bash analysis and judge: any command text → an analysis that never under-reports.
//!
//! Invariants: every reported command has a program; an analysis with an unknown (anything
//! other than `EvalOfSubstitution`, which the judge may look through by design) is never
//! allowed; and wrapping the command in a way bash runs identically (`bash -c '…'`,
//! `eval '…'`, a subshell, a group, `true && …`) never gets a weaker decision.
#![no_main]

#[path = "common.rs"]
mod common;

use blastwall::decision::Decision;
use blastwall::shell::{self, Context, Limits, UnknownKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    common::tolerate_caught_parser_panics();
    let command = String::from_utf8_lossy(rest);
    let env = common::env();
    let cx = Context {
        cwd: &env.cwd,
        home: env.home.as_deref(),
        read_scripts: true,
        limits: Limits::default(),
    };
    let analysis = shell::analyze(&command, &cx);
    for u in &analysis.unknowns {
        // The walker's own panics are bugs even though they are caught.
        assert!(
            !u.detail.contains("analyser panicked"),
            "{u:?} on {command:?}"
        );
    }
    for c in &analysis.commands {
        assert!(!c.program.is_empty(), "empty program in {command:?}");
    }
    let policy = common::embedded();
    let plain = common::decide_bash(policy, &command);
    let opaque = analysis
        .unknowns
        .iter()
        .any(|u| u.kind != UnknownKind::EvalOfSubstitution);
    assert!(
        !(opaque && plain == Decision::Allow),
        "allowed with unknowns {:?}: {command:?}",
        analysis.unknowns
    );
    // Bash runs these exactly as it runs the command itself (newlines keep a trailing comment
    // or here-document inside the wrapper).
    // `bash -c -x` and `eval -x` read a leading `-` or `+` as an option, not as the command.
    let selector = if command.starts_with(['-', '+']) {
        2 + selector % 4
    } else {
        selector
    };
    let wrapped = match selector % 6 {
        0 => format!("bash -c {}", common::single_quote(&command)),
        1 => format!("eval {}", common::single_quote(&command)),
        2 => format!("(\n{command}\n)"),
        3 => format!("{{\n{command}\n}}"),
        4 => format!("true &&\n{command}"),
        _ => format!("false ||\n{command}"),
    };
    // A subshell or group closes on a line of its own; input that ends inside a quote or
    // after a `\` swallows that line and bash refuses the whole text too (a parse error, asked).
    // A `\` at the very end is a literal backslash to bash (brush refuses it: asked), but
    // followed by the wrapper's newline it joins the closing line: another command.
    let closes = selector % 6 >= 2 && selector % 6 <= 3;
    let trailing_backslashes = command.len() - command.trim_end_matches('\\').len();
    if closes
        && (trailing_backslashes % 2 == 1
            || shell::analyze(&wrapped, &cx).has_unknown(UnknownKind::ParseError))
    {
        return;
    }
    let outer = common::decide_bash(policy, &wrapped);
    assert!(
        outer >= plain,
        "wrapping weakened {plain} to {outer}: {command:?} as {wrapped:?}"
    );
});
