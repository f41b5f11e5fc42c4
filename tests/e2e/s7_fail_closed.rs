//! Scenario 7: fail closed. A policy file blastwall cannot load stops every tool call, and the
//! reason points at the file and line, so the user can fix it.
//!
//! Each case runs twice. With the usual registration, the first hook to load the policy may be
//! UserPromptSubmit, which then refuses the prompt itself (the model is never asked). With
//! blastwall registered on PreToolUse only, the prompt goes through and the tool call is what
//! gets stopped. Either way nothing runs and the reason names file and line.
use crate::fake_model::tool_use_id;
use crate::harness::{settings_for, HookCommand, RunOpts, Sandbox};
use crate::{assert_blocked, assert_finished, bash};

/// Runs `touch ran.txt` under a broken policy that `setup` writes (it returns the policy's path
/// and gets the extra hook args to use), checks that nothing ran and that the client or the
/// model was told `policy error in <file>:<line>:`.
fn broken_policy_stops_everything(
    label: &str,
    line: u32,
    setup: &dyn Fn(&Sandbox) -> (String, Vec<String>),
) {
    for pre_only in [false, true] {
        let sb = Sandbox::new(&format!("{label}-{}", if pre_only { "pre" } else { "all" }));
        let (policy, args) = setup(&sb);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut settings = settings_for(&HookCommand::blastwall(&args));
        if pre_only {
            settings["hooks"]
                .as_object_mut()
                .unwrap()
                .retain(|event, _| event == "PreToolUse");
        }
        sb.write_settings(&sb.project, &settings);
        let m = format!(
            "{}{}",
            label.replace('-', ""),
            if pre_only { "pre" } else { "all" }
        );
        let r = sb.run(&m, vec![bash("touch ran.txt")], &RunOpts::default());
        assert_finished(&r);

        assert!(
            !sb.project.join("ran.txt").exists(),
            "{m}: the tool ran although the policy does not load"
        );
        let needles = [
            "blastwall: ",
            &format!("policy error in {policy}:{line}:"),
            "Nothing ran",
        ];
        if !pre_only && sb.model.requests().is_empty() {
            crate::assert_prompt_refused(&sb, &r, &needles);
        } else {
            assert_blocked(&sb, &r, &tool_use_id(&m, 0, 0), &needles);
        }
    }
}

fn project_policy(sb: &Sandbox, text: &str) -> (String, Vec<String>) {
    (
        sb.project_policy(text).to_string_lossy().into_owned(),
        Vec::new(),
    )
}

/// A TOML syntax error (an unclosed table header on line 3) in the project policy.
#[test]
fn s7_project_policy_syntax_error_blocks_with_line() {
    broken_policy_stops_everything("s7", 3, &|sb| {
        project_policy(sb, "version = 1\n\n[[rules]\nid = \"broken\"\n")
    });
}

/// A well-formed file with a key blastwall does not know (`desicion`, line 5), passed with
/// `--policy`: a typo must never silently weaken a policy, so it stops the call too.
#[test]
fn s7_unknown_key_in_command_line_policy_blocks_with_line() {
    broken_policy_stops_everything("s7-key", 5, &|sb| {
        let policy = sb.dir.path().join("extra-policy.toml");
        sb.write(
            &policy,
            "version = 1\n\n[[rules]]\nid = \"typo\"\ndesicion = \"deny\"\nreason = \"x\"\n",
        );
        let arg = policy.to_string_lossy().into_owned();
        (arg.clone(), vec!["--policy".into(), arg])
    });
}

/// The user layer broken the same way: a value of the wrong type on line 4. blastwall names
/// files under HOME with `~`.
#[test]
fn s7_user_policy_error_blocks_with_line() {
    broken_policy_stops_everything("s7-user", 4, &|sb| {
        sb.user_policy("version = 1\n\n[settings]\non_allow = 3\n");
        ("~/.config/blastwall/policy.toml".to_string(), Vec::new())
    });
}
