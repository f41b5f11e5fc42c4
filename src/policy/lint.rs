//! Checks beyond validity, for `blastwall lint`: things that parse but are probably mistakes.
use super::Policy;

/// Tool names Claude Code has shipped (current and legacy), for spotting typos.
pub const KNOWN_TOOLS: &[&str] = &[
    "Agent",
    "Artifact",
    "AskUserQuestion",
    "Bash",
    "BashOutput",
    "CronCreate",
    "CronDelete",
    "CronList",
    "Edit",
    "EndConversation",
    "EnterPlanMode",
    "EnterWorktree",
    "ExitPlanMode",
    "ExitWorktree",
    "Glob",
    "Grep",
    "KillBash",
    "KillShell",
    "LS",
    "LSP",
    "ListAgents",
    "ListMcpResourcesTool",
    "Monitor",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "PowerShell",
    "PushNotification",
    "Read",
    "ReadMcpResourceTool",
    "RemoteTrigger",
    "ReportFindings",
    "ScheduleWakeup",
    "SendMessage",
    "SendUserFile",
    "ShareOnboardingGuide",
    "Skill",
    "SlashCommand",
    "Task",
    "TaskCreate",
    "TaskGet",
    "TaskList",
    "TaskOutput",
    "TaskStop",
    "TaskUpdate",
    "TodoWrite",
    "ToolSearch",
    "WaitForMcpServers",
    "WebFetch",
    "WebSearch",
    "Workflow",
    "Write",
];

/// Warnings (Ok) or errors (Err). Also compiles every lazily built matcher, so a pattern that
/// would only fail on first use fails here.
pub fn check(p: &Policy) -> Result<Vec<String>, Vec<String>> {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for prof in p.profiles.iter().chain(&p.project_profiles) {
        for list in [&prof.allow_tools, &prof.ask_tools].into_iter().flatten() {
            for t in &list.value {
                if !t.contains('*')
                    && !t.contains('?')
                    && !t.starts_with("mcp__")
                    && !KNOWN_TOOLS.contains(&t.as_str())
                {
                    warnings.push(format!(
                        "{}: profile `{}` names unknown tool `{t}`",
                        list.loc, prof.name
                    ));
                }
            }
        }
    }
    for r in &p.rules {
        for globs in [&r.paths, &r.except].into_iter().flatten() {
            if let Err(e) = super::PathGlobs::build(globs.patterns()) {
                errors.push(format!("{}: rule `{}`: {e}", r.loc, r.id));
            }
        }
        if let Some(tools) = &r.tools {
            for t in tools {
                if !t.contains('*')
                    && !t.contains('?')
                    && !t.starts_with("mcp__")
                    && !KNOWN_TOOLS.contains(&t.as_str())
                {
                    warnings.push(format!(
                        "{}: rule `{}` names unknown tool `{t}`",
                        r.loc, r.id
                    ));
                }
            }
        }
    }
    warnings.extend(inject_warnings(p));
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(errors)
    }
}

/// `[[secrets.inject]]` and the egress keys: entries that cannot work as meant.
fn inject_warnings(p: &Policy) -> Vec<String> {
    let mut w = Vec::new();
    for i in &p.inject {
        for prof in &i.profiles {
            if !p.profiles.iter().any(|x| &x.name == prof) {
                w.push(format!(
                    "secrets.inject `{}` names unknown profile `{prof}`: it is never injected there",
                    i.name
                ));
            }
        }
        if let super::model::ValueSource::File(path) = &i.from {
            let denied = p.rules.iter().any(|r| {
                r.decision == crate::decision::Decision::Deny
                    && r.matches_path(path, super::Access::Read)
            });
            if !denied {
                w.push(format!(
                    "secrets.inject `{}` reads {}, which no deny rule keeps the agent from reading; add it to the `credential-stores` rule's paths",
                    i.name,
                    path.display()
                ));
            }
        }
    }
    if !p.inject.is_empty() && p.sandbox.settings.mode == crate::policy::sandbox_settings::Mode::Off
    {
        w.push("secrets.inject has entries but `[sandbox] mode = \"off\"`: values are only injected into sandboxed calls".into());
    }
    let allow = p
        .network
        .allow_hosts
        .as_ref()
        .map(|v| v.value.as_slice())
        .unwrap_or_default();
    for t in &p.network.trusted_when_tainted {
        let host = t.split(':').next().unwrap_or(t);
        if !allow
            .iter()
            .any(|a| crate::wildcard::matches(a.split(':').next().unwrap_or(a), host))
        {
            w.push(format!(
                "network.trusted_when_tainted `{t}` is not on `network.allow_hosts`: trusted does not mean allowed, so it is never reached"
            ));
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{LayerKind, Source};

    #[test]
    fn inject_and_taint_lint_table() {
        let user = "version = 1\n[network]\ntrusted_when_tainted = [\"crates.io\", \"evil.example\"]\n\
            [[secrets.inject]]\nname = \"A_TOKEN\"\nfile = \"/srv/tok\"\nprograms = [\"gh\"]\nprofiles = [\"nope\"]\n\
            [[secrets.inject]]\nname = \"B_TOKEN\"\nfile = \"~/.config/gh/token\"\nprograms = [\"gh\"]\n";
        let sources = vec![
            Source::embedded(),
            Source {
                kind: LayerKind::User,
                name: "u.toml".into(),
                text: user.into(),
            },
        ];
        let p = Policy::from_sources(&sources, &crate::policy::tests::test_env()).unwrap();
        let w = check(&p).unwrap();
        let has = |s: &str| w.iter().any(|x| x.contains(s));
        assert!(has("`A_TOKEN` names unknown profile `nope`"), "{w:?}");
        assert!(has("`A_TOKEN` reads /srv/tok"), "{w:?}");
        // ~/.config/gh is a credential store the default already denies.
        assert!(!has("`B_TOKEN` reads"), "{w:?}");
        assert!(has("`evil.example` is not on"), "{w:?}");
        assert!(!has("`crates.io` is not on"), "{w:?}");
    }
}
