//! `blastwall policy show`: the effective, merged policy with where each part was set, or the
//! embedded default with the line numbers that reasons cite (`embedded:default.toml:95`), which
//! an installed user has no file to open for.
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::decision::Loc;
use crate::exit::Exit;
use crate::policy::model::Profile;
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

/// Where a value was set and the layer of that file (`embedded:default.toml:12 (embedded
/// default)`); `default` when no layer set it.
fn origin(p: &Policy, at: Option<&Loc>) -> String {
    let Some(loc) = at else {
        return "default".into();
    };
    match p.layers.iter().find(|(_, name)| **name == *loc.file) {
        Some((kind, _)) => format!("{loc} ({})", kind.as_str()),
        None => loc.to_string(),
    }
}

/// A value as TOML (`"pass"`, `["/", "/tmp"]`).
fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(items) => format!(
            "[{}]",
            items.iter().map(toml_text).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn profile(out: &mut String, policy: &Policy, p: &Profile) {
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
    // Every key of the profile table, as the profile has it (set or inherited from `main`).
    let Some(keys) = p.keys() else {
        out.push_str("  # this profile's keys could not be read\n");
        return;
    };
    for (name, v) in keys.entries() {
        if let Some(v) = v {
            let _ = writeln!(
                out,
                "  {name} = {}    # {}",
                toml_text(&v.value),
                origin(policy, Some(&v.loc))
            );
        }
    }
}

/// Every key of the table in `policy::keys`, by section, each with where it was set and that
/// file's layer (`default` when no layer set it), and a project layer's value kept beside it.
fn keys(out: &mut String, p: &Policy) {
    let Some(keys) = p.keys() else {
        out.push_str("\n# the policy's keys could not be read\n");
        return;
    };
    let mut section = "";
    for e in keys.entries() {
        let (sec, name) = e.key.split_once('.').unwrap_or(("", e.key));
        if sec != section {
            let _ = writeln!(out, "\n[{sec}]");
            section = sec;
        }
        let value = e.value.as_ref().map_or_else(|| "?".into(), toml_text);
        let _ = writeln!(
            out,
            "{name} = {value}    # {}",
            origin(p, e.set_at.as_ref())
        );
        if let Some(v) = &e.project {
            let _ = writeln!(
                out,
                "project {name} = {}    # {}",
                toml_text(v),
                origin(p, e.project_at.as_ref())
            );
        }
        if e.key == "settings.audit_log" {
            match &p.audit_log {
                Some(l) => {
                    let _ = writeln!(out, "# the audit log: {}", l.display());
                }
                None => out.push_str("# the audit log: off\n"),
            }
        }
    }
}

/// The merged policy as TOML-like text, each part with the file and line it came from.
pub fn render(p: &Policy) -> String {
    let mut out = String::from("# layers, lowest first:\n");
    for (kind, name) in &p.layers {
        let _ = writeln!(out, "#   {:<13} {name}", kind.as_str());
    }
    keys(&mut out, p);
    if !p.secrets.extra_rules.is_empty() {
        out.push('\n');
    }
    for r in &p.secrets.extra_rules {
        let _ = writeln!(out, "[[secrets.rules]] {}    # {}", r.value.id, r.loc);
    }
    out.push('\n');
    for prof in p.profiles.iter().chain(&p.project_profiles) {
        profile(&mut out, p, prof);
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

    /// Every key of the table is shown, in its section, with where it was set and that file's
    /// layer; a project's value beside the trusted one; a profile's keys under the profile.
    #[test]
    fn render_shows_every_declared_key_with_its_layer() {
        use crate::policy::{LayerKind, Source};
        let env = crate::policy::tests::test_env();
        let layer = |kind, name: &str, text: &str| Source {
            kind,
            name: std::sync::Arc::from(name),
            text: format!("version = 1\n{text}"),
        };
        let p = Policy::from_sources(
            &[
                Source::embedded(),
                layer(
                    LayerKind::User,
                    "/u/policy.toml",
                    "[untrusted]\ntaint = \"any\"\n[network]\nallow_hosts = [\"a.example\", \"b.example\"]\n",
                ),
                layer(
                    LayerKind::Project,
                    "/p/.claude/blastwall.toml",
                    "[network]\nallow_hosts = [\"a.example\"]\n",
                ),
            ],
            &env,
        )
        .unwrap();
        let text = render(&p);
        for key in crate::policy::keys::GENERATED {
            let (section, name) = key.split_once('.').unwrap();
            let at = text.find(&format!("\n[{section}]\n")).unwrap_or_else(|| {
                panic!("no [{section}] in\n{text}");
            });
            let body = &text[at + 1..];
            let body = &body[..body[1..].find("\n[").map_or(body.len(), |e| e + 1)];
            assert!(
                body.lines().any(|l| l.starts_with(&format!("{name} = "))),
                "{key} not shown in\n{text}"
            );
        }
        assert!(
            text.contains("taint = \"any\"    # /u/policy.toml:3 (user)\n"),
            "{text}"
        );
        assert!(
            text.contains("on_allow = \"pass\"    # embedded:default.toml:9 (embedded default)\n"),
            "{text}"
        );
        assert!(text.contains("auto_allow = false    # "), "{text}");
        assert!(
            text.contains(
                "allow_hosts = [\"a.example\", \"b.example\"]    # /u/policy.toml:5 (user)\nproject allow_hosts = [\"a.example\"]    # /p/.claude/blastwall.toml:3 (project)\n"
            ),
            "{text}"
        );
        let main = &text[text.find("[profiles.main]").unwrap()..];
        for key in crate::policy::keys::PROFILE_KEYS {
            if p.profiles[0]
                .keys()
                .unwrap()
                .entries()
                .iter()
                .any(|(k, v)| k == key && v.is_some())
            {
                assert!(main.contains(&format!("\n  {key} = ")), "{key}: {main}");
            }
        }
        assert!(main.contains("\n  allow_programs = ["), "{main}");
    }
}
