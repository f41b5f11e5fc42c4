//! `blastwall log`: the audit log, filtered and pretty-printed, with a per-agent summary.
use std::io::BufRead;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use crate::exit::Exit;
use crate::logview::{self, Filter, Summary};

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this session (a prefix of the session id is enough)
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only this agent: an agent id (prefix), an agent type (`Explore`), or `main`
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Only this decision (allow, ask, deny, pass, redact, block)
    #[arg(long, value_name = "DECISION")]
    pub decision: Option<String>,
    /// Only records decided by this rule id
    #[arg(long, value_name = "RULE")]
    pub rule: Option<String>,
    /// Only records from this time on: 2026-12-03T08:00, or an age (30s, 10m, 2h, 1d)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Keep printing records as they are appended (Ctrl-C to stop)
    #[arg(long, short = 'f', conflicts_with = "summary")]
    pub follow: bool,
    /// Print the matching records as JSON lines, unchanged
    #[arg(long, conflicts_with = "summary")]
    pub json: bool,
    /// Print only the per-agent summary
    #[arg(long)]
    pub summary: bool,
    /// Include the rotated logs (audit.jsonl.1 …), oldest first
    #[arg(long)]
    pub all: bool,
    /// The log to read (default: the policy's `settings.audit_log`)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

pub fn run(a: &LogArgs) -> Exit {
    let since = match a
        .since
        .as_deref()
        .map(|s| logview::parse_since(s, std::time::SystemTime::now()))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return super::fail("log", &e),
    };
    let filter = Filter {
        session: a.session.clone(),
        agent: a.agent.clone(),
        decision: a.decision.clone(),
        rule: a.rule.clone(),
        since,
    };
    let path = match &a.file {
        Some(f) => f.clone(),
        None => {
            let env = super::process_env(None);
            match super::policy_in_effect(&env, &crate::hook::Options::default()) {
                Ok(p) => match p.audit_log {
                    Some(l) => l,
                    None => {
                        return super::fail(
                            "log",
                            "the policy turns the audit log off (settings.audit_log = \"\")",
                        )
                    }
                },
                Err(e) => {
                    return super::fail("log", &format!("cannot tell where the audit log is: {e}"))
                }
            }
        }
    };
    let json = a.json;
    let emit = |v: &Value| {
        if json {
            super::stdout(&format!("{v}\n"));
        } else {
            super::stdout(&logview::render(v));
        }
    };
    let mut summary = Summary::default();
    let mut skipped = 0usize;
    let mut found = false;
    for file in logview::generations(&path, a.all) {
        let f = match std::fs::File::open(&file) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && a.follow => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !found {
                    return super::fail(
                        "log",
                        &format!(
                            "{}: no audit log yet (the hook writes it on its first call)",
                            file.display()
                        ),
                    );
                }
                continue;
            }
            Err(e) => return super::fail("log", &format!("{}: {e}", file.display())),
        };
        found = true;
        for line in std::io::BufReader::new(f).lines() {
            let Ok(line) = line else {
                skipped += 1;
                continue;
            };
            if line.trim().is_empty() {
                continue;
            }
            let Some(v) = logview::parse_line(&line) else {
                skipped += 1;
                continue;
            };
            if !filter.keeps(&v) {
                continue;
            }
            summary.add(&v);
            if !a.summary && !a.follow {
                emit(&v);
            }
        }
    }
    if skipped > 0 {
        super::stderr(&format!(
            "blastwall log: skipped {skipped} line(s) that are not audit records\n"
        ));
    }
    if a.follow {
        return match logview::follow(&path, &filter, &emit) {
            Ok(()) => Exit::Ok,
            Err(e) => super::fail("log", &format!("{}: {e}", path.display())),
        };
    }
    if !a.json {
        if !a.summary {
            super::stdout("\n");
        }
        super::stdout(&summary.render());
    }
    Exit::Ok
}
