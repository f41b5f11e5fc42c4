//! Regressions: one test per bug found, named after what it caught, so the name alone says
//! which hole it keeps shut. A test for a bug not fixed yet is `#[ignore]`d with the reason
//! `bug: …`; whoever fixes the bug removes the `ignore` in the same commit.
use serde_json::json;

use crate::{hook, run, Sandbox};

/// Registered without `hook` but with a flag (`"command": "blastwall --policy FILE"`), or with
/// a misspelt subcommand, the binary printed usage and exited 64. Claude Code treats any exit
/// other than 0 and 2 as a non-blocking error and RUNS the call (verified with the real
/// client for exit 1), so a typo in the registration turned the guard off. With an event on
/// stdin (not a terminal) the answer must be the fail-closed one: deny JSON and exit 2.
#[test]
#[ignore = "bug: `blastwall --policy F` and `blastwall hok` exit 64 without an answer (fail open)"]
fn misspelt_registration_without_hook_subcommand_blocks() {
    let sb = Sandbox::new();
    let policy = sb.home.join("policy.toml");
    sb.write(&policy, "version = 1\n");
    let ev = sb.pre_tool_use("Read", json!({"file_path": sb.home.join(".ssh/id_rsa")}));
    let cases: [&[&str]; 4] = [
        &["--policy", policy.to_str().unwrap()],
        &["--isolated"],
        &["hok"],
        &["Hook"],
    ];
    for args in cases {
        let out = run(sb.cmd(args), ev.to_string().as_bytes());
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.decision(), "deny", "{args:?}: {out:?}");
    }
}

/// Tool paths went through policy variable expansion (`$PROJECT`, `$HOME`, `${TMPDIR}`), but
/// Claude Code writes them literally. `PROJECT/$PROJECT/../../.bashrc` was judged as
/// `PROJECT/<first part of PROJECT>/.bashrc` (inside the project, allowed) while the kernel
/// opens `parent(PROJECT)/.bashrc`, outside it, once a directory literally named `$PROJECT`
/// exists (which the agent may create). The judged path must be the path that is opened.
#[test]
#[ignore = "bug: `$VAR` in a tool path is expanded, so the judged path is not the opened one"]
fn dollar_variable_in_tool_path_cannot_move_a_write_outside_the_project() {
    let sb = Sandbox::new();
    let path = format!("{}/$PROJECT/../../.bashrc", sb.project.display());
    let ev = sb.pre_tool_use("Write", json!({"file_path": path, "content": "x"}));
    let out = hook(&sb, &ev);
    assert_eq!(out.decision(), "deny", "{out:?}");
}

/// The same expansion asked about ordinary files whose names hold a `$`, such as Remix and
/// TanStack route files (`app/routes/posts.$slug.tsx`): "unknown variable `slug`".
#[test]
#[ignore = "bug: a `$` in a project file name is read as an unknown variable and asked"]
fn dollar_in_project_file_name_is_not_a_variable() {
    let sb = Sandbox::new();
    let path = sb.project.join("app/routes/posts.$slug.tsx");
    let ev = sb.pre_tool_use("Write", json!({"file_path": path, "content": "x"}));
    let out = hook(&sb, &ev);
    assert_eq!(out.decision(), "none", "{out:?}");
}
