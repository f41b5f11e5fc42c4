//! `blastwall policy show`: the effective, merged policy with where each part was set, or the
//! embedded default with the line numbers that reasons cite (`embedded:default.toml:95`), which
//! an installed user has no file to open for.
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit::Exit;
use crate::policy::model::{Profile, Roots, Val};
use crate::policy::Policy;

#[derive(Debug, Args)]
pub struct PolicyCmdArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the merged policy in effect (every layer), or the embedded default
    #[command(after_help = concat!(
        "Examples:\n",
        "  blastwall policy show\n",
        "  blastwall policy show --default --line 95     # what `embedded:default.toml:95` says\n",
        "  blastwall policy show --isolated --policy team.toml"
    ))]
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub policy: super::PolicyArgs,
    /// The project whose `.claude/blastwall.toml` counts (default: CLAUDE_PROJECT_DIR, else here)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Print the embedded default policy with line numbers
    #[arg(long, conflicts_with_all = ["policy", "isolated", "project"])]
    pub default: bool,
    /// With --default: only the lines around LINE
    #[arg(long, value_name = "LINE", requires = "default")]
    pub line: Option<usize>,
}

/// The embedded default with line numbers; with `around`, lines around it, marked.
pub fn numbered_default(around: Option<usize>) -> String {
    let text = crate::policy::EMBEDDED_DEFAULT;
    let total = text.lines().count();
    let (from, to) = match around {
        Some(n) => (n.saturating_sub(6).max(1), (n + 12).min(total)),
        None => (1, total),
    };
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if n < from || n > to {
            continue;
        }
        let mark = if Some(n) == around { ">" } else { " " };
        let _ = writeln!(out, "{mark}{n:>4} | {line}");
    }
    out
}

fn list(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn roots(out: &mut String, indent: &str, name: &str, r: &Option<Roots>) {
    if let Some(r) = r {
        let _ = writeln!(
            out,
            "{indent}{name} = [{}]    # {}",
            list(&r.written),
            r.loc
        );
    }
}

fn val_list(out: &mut String, indent: &str, name: &str, v: &Option<Val<Vec<String>>>) {
    if let Some(v) = v {
        let _ = writeln!(out, "{indent}{name} = [{}]    # {}", list(&v.value), v.loc);
    }
}

fn profile(out: &mut String, p: &Profile) {
    let layer = if p.project {
        " (project layer: may only tighten)"
    } else {
        ""
    };
    let _ = writeln!(out, "[profiles.{}]    # {}{layer}", p.name, p.loc);
    let w = &p.when;
    if let Some(t) = &w.agent_type {
        let _ = writeln!(out, "  when.agent_type = [{}]", list(t));
    }
    if let Some(s) = w.subagent {
        let _ = writeln!(out, "  when.subagent = {s}");
    }
    for (k, v) in &w.env {
        let _ = writeln!(out, "  when.env.{k} = {v:?}");
    }
    val_list(out, "  ", "allow_tools", &p.allow_tools);
    val_list(out, "  ", "ask_tools", &p.ask_tools);
    roots(out, "  ", "read_roots", &p.read_roots);
    roots(out, "  ", "write_roots", &p.write_roots);
    val_list(out, "  ", "allow_programs", &p.allow_programs);
}

/// The merged policy as TOML-like text, each part with the file and line it came from.
pub fn render(p: &Policy) -> String {
    let mut out = String::from("# layers, lowest first:\n");
    for (kind, name) in &p.layers {
        let _ = writeln!(out, "#   {:<13} {name}", kind.as_str());
    }
    let _ = writeln!(
        out,
        "\n[settings]\non_allow = {:?}",
        crate::policy::layering::spelling(&p.on_allow).unwrap_or_else(|| "pass".into())
    );
    match &p.audit_log {
        Some(l) => {
            let _ = writeln!(out, "audit_log = {:?}", l.display().to_string());
        }
        None => out.push_str("audit_log = \"\"    # off\n"),
    }
    out.push_str("\n[paths]\n");
    roots(&mut out, "", "read_roots", &p.read_roots);
    roots(&mut out, "", "write_roots", &p.write_roots);
    roots(&mut out, "", "project read_roots", &p.project_read_roots);
    roots(&mut out, "", "project write_roots", &p.project_write_roots);
    out.push_str("\n[network]\n");
    val_list(&mut out, "", "allow_hosts", &p.network.allow_hosts);
    val_list(
        &mut out,
        "",
        "project allow_hosts",
        &p.network.project_hosts,
    );
    let _ = writeln!(
        out,
        "unlisted = {:?}    # {}",
        p.network.unlisted.value.as_str(),
        p.network.unlisted.loc
    );
    out.push_str("\n[secrets]\n");
    let _ = writeln!(out, "scan_prompts = {}", p.secrets.scan_prompts);
    let _ = writeln!(
        out,
        "tool_input = {:?}    # {}",
        p.secrets.tool_input.value.as_str(),
        p.secrets.tool_input.loc
    );
    for r in &p.secrets.extra_rules {
        let _ = writeln!(out, "[[secrets.rules]] {}    # {}", r.value.id, r.loc);
    }
    out.push('\n');
    for prof in p.profiles.iter().chain(&p.project_profiles) {
        profile(&mut out, prof);
    }
    let _ = writeln!(
        out,
        "\n# {} rules, in the order they are checked:",
        p.rules.len()
    );
    for r in &p.rules {
        let layer = if r.project { ", project layer" } else { "" };
        let _ = writeln!(
            out,
            "[[rules]] id = {:?}, decision = {:?}    # {}{layer}",
            &*r.id,
            r.decision.as_str(),
            r.loc
        );
        if let Some(t) = &r.tools {
            let _ = writeln!(out, "  tools = [{}]", list(t));
        }
        if let Some(g) = &r.paths {
            let _ = writeln!(out, "  paths = [{}]", list(g.patterns()));
        }
        if let Some(g) = &r.except {
            let _ = writeln!(out, "  except = [{}]", list(g.patterns()));
        }
        if let Some(h) = &r.hosts {
            let _ = writeln!(out, "  hosts = [{}]", list(h));
        }
        if let Some(c) = &r.command_patterns {
            let _ = writeln!(out, "  command = {} pattern(s)", c.len());
        }
        let _ = writeln!(out, "  reason = {:?}", r.reason);
    }
    out
}

pub fn run(a: &PolicyCmdArgs) -> Exit {
    match &a.command {
        PolicyCommand::Show(s) => {
            if s.default {
                let total = crate::policy::EMBEDDED_DEFAULT.lines().count();
                if let Some(n) = s.line.filter(|n| *n == 0 || *n > total) {
                    return super::fail(
                        "policy show",
                        &format!("--line {n}: the embedded default has lines 1 to {total}"),
                    );
                }
                super::stdout(&numbered_default(s.line));
                return Exit::Ok;
            }
            let env = super::process_env(s.project.as_deref());
            let mut opts = s.policy.options();
            opts.project = s.project.clone();
            match super::policy_in_effect(&env, &opts) {
                Ok(p) => {
                    super::stdout(&render(&p));
                    Exit::Ok
                }
                Err(e) => super::fail("policy show", &e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_default_marks_the_cited_line() {
        let all = numbered_default(None);
        assert_eq!(
            all.lines().count(),
            crate::policy::EMBEDDED_DEFAULT.lines().count()
        );
        assert!(all.starts_with("    1 | "), "{}", &all[..40]);
        let some = numbered_default(Some(20));
        let marked: Vec<&str> = some.lines().filter(|l| l.starts_with('>')).collect();
        assert_eq!(marked.len(), 1);
        assert!(marked[0].starts_with(">  20 | "), "{some}");
        assert!(some.lines().count() <= 19);
    }

    #[test]
    fn render_names_where_each_rule_was_set() {
        let env = crate::paths::PathEnv {
            home: Some(PathBuf::from("/home/u")),
            project: PathBuf::from("/p"),
            tmpdir: PathBuf::from("/tmp"),
            cwd: PathBuf::from("/p"),
            exe: None,
        };
        let p = Policy::embedded(&env).unwrap();
        let text = render(&p);
        assert!(text.contains("embedded:default.toml"), "{text}");
        assert!(
            text.contains(
                "id = \"credential-stores\", decision = \"deny\"    # embedded:default.toml:"
            ),
            "{text}"
        );
        assert!(text.contains("[network]"), "{text}");
    }
}
