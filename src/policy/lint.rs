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
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(errors)
    }
}
