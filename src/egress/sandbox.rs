//! The egress proxy as the sandbox runner's [`EgressBridge`]: `blastwall sandbox` starts it
//! for a ticket whose network is an allowlist, binds its socket directory into the sandbox,
//! sets the proxy variables, and runs the command under `blastwall sandbox-bridge`.
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::credentials::{self, SecretValue};
use super::proxy::{OnRefusal, Proxy, ProxyConfig, Resolver};
use super::{
    bridge_argv, proxy_env, report_to_stderr, EgressPolicy, Refusal, HTTP_PORT, SOCKS_PORT,
};
use crate::policy::{LayerKind, Policy};
use crate::sandbox::ticket::{Ticket, TicketEgress};
use crate::sandbox::{Bridge, EgressBridge, SandboxError};

/// What the runner needs to start a proxy per call.
pub struct SandboxEgress {
    /// Everything but the hosts, which come from the ticket.
    pub base: EgressPolicy,
    /// Where the proxy's socket directory is made: a fresh 0700 directory directly inside it,
    /// created atomically (an existing name is never reused). It must be a place the sandbox
    /// can create a mount point under (a tmpfs inside: `/tmp`, `$XDG_RUNTIME_DIR`), not the
    /// state directory, which the sandbox shows read-only.
    pub parent: PathBuf,
    /// The blastwall binary that runs the bridge inside.
    pub exe: PathBuf,
    /// Told about each refusal.
    pub on_refusal: OnRefusal,
}

impl SandboxEgress {
    /// The runner's egress: sockets in `$XDG_RUNTIME_DIR` (else the temp directory), this
    /// binary as the bridge, refusals on stderr (the tool's output, so the model sees why).
    /// `None` when this binary's path is unknown (an allowlist then fails closed in the
    /// runner).
    pub fn for_runner() -> Option<Self> {
        let parent = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let exe = std::env::current_exe().ok()?;
        Some(Self {
            base: EgressPolicy::default(),
            parent,
            exe,
            on_refusal: report_to_stderr(),
        })
    }
}

impl EgressBridge for SandboxEgress {
    fn inject_values(
        &self,
        state: &Path,
        ticket: &Ticket,
    ) -> (Vec<(String, SecretValue)>, Vec<String>) {
        inject_values(state, ticket)
    }

    fn start(
        &self,
        ticket: &Ticket,
        allow_hosts: &[String],
        tainted: bool,
    ) -> Result<Bridge, SandboxError> {
        let policy = EgressPolicy {
            allow_hosts: allow_hosts.to_vec(),
            tainted,
            trusted_when_tainted: ticket.egress.trusted_when_tainted.clone(),
            project_hosts: ticket.egress.project_hosts.clone(),
            ..self.base.clone()
        };
        let on_refusal: OnRefusal = match &ticket.egress.audit_log {
            Some(log) => {
                let report = std::sync::Arc::clone(&self.on_refusal);
                let audit = Audit::of(ticket, log.clone());
                std::sync::Arc::new(move |r: &Refusal| {
                    report(r);
                    audit.record(r);
                })
            }
            None => std::sync::Arc::clone(&self.on_refusal),
        };
        let config = ProxyConfig {
            policy,
            resolver: Resolver::System,
            on_refusal,
            timeout: Duration::from_secs(30),
        };
        let proxy = Proxy::start(config, &self.parent)
            .map_err(|e| SandboxError::Start(format!("the egress proxy: {e}")))?;
        let mut env = proxy_env(HTTP_PORT, SOCKS_PORT);
        // ssh ignores the proxy variables: git over ssh goes through the SOCKS proxy (and its
        // rules: a `host:22` entry) with this binary as the ProxyCommand.
        // ssh runs the ProxyCommand through a shell: the path is double-quoted inside it (a
        // clone under "my projects/"), so a path that a double quote cannot hold as written
        // gets no ProxyCommand (ssh then has no way out, as without this).
        let exe = self.exe.display().to_string();
        if !exe.contains(['\'', '%', '"', '$', '`', '\\']) {
            env.push((
                "GIT_SSH_COMMAND".to_owned(),
                format!("ssh -o ProxyCommand='\"{exe}\" sandbox-bridge --connect %h %p'"),
            ));
        }
        Ok(Bridge {
            binds: vec![proxy.dir().to_path_buf()],
            env,
            wrap: bridge_argv(&self.exe, &proxy),
            guard: Box::new(proxy),
        })
    }
}

/// The audit record of a refused connection: one line in the policy's audit log, event
/// `EgressRefused`, decision `deny`, rule `egress`, the refusal text as the reason and
/// `host:port` as the subject, with the ticket's session, agent and tool-use ids (so it sits
/// next to the PreToolUse line of the call that tried).
struct Audit {
    log: PathBuf,
    session_id: Option<String>,
    agent_id: Option<String>,
    agent_type: Option<String>,
    tool_use_id: Option<String>,
    profile: Vec<String>,
    cwd: String,
}

impl Audit {
    fn of(t: &Ticket, log: PathBuf) -> Audit {
        Audit {
            log,
            session_id: t.session_id.clone(),
            agent_id: t.agent_id.clone(),
            agent_type: t.agent_type.clone(),
            tool_use_id: t.tool_use_id.clone(),
            profile: vec![t.spec.profile.clone()],
            cwd: t.spec.cwd.to_string_lossy().into_owned(),
        }
    }

    fn record(&self, r: &Refusal) {
        let reason = r.to_string();
        let record = crate::audit::Record {
            event: "EgressRefused",
            session_id: self.session_id.as_deref(),
            agent_id: self.agent_id.as_deref(),
            agent_type: self.agent_type.as_deref(),
            profiles: &self.profile,
            tool: Some("Bash"),
            decision: "deny",
            rule: Some("egress"),
            reason: Some(std::borrow::Cow::Borrowed(reason.as_str())),
            cwd: Some(&self.cwd),
            subject: Some(format!("{}:{}", r.host, r.port)),
            tool_use_id: self.tool_use_id.as_deref(),
            sandbox: Some("bwrap, network allowlist"),
        };
        if let Err(e) = crate::audit::append(&self.log, &record) {
            let line = format!(
                "blastwall egress: could not write the audit log {}: {e}\n",
                self.log.display()
            );
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                crate::redact::text(&line).as_bytes(),
            );
        }
    }
}

/// The analysis context the injection rule reads a command with (the same in the hook and
/// the runner, so both see the same commands).
fn analyse(command: &str, cwd: &Path, home: Option<&Path>) -> crate::shell::Analysis {
    let cx = crate::shell::Context {
        cwd,
        home,
        read_scripts: false,
        limits: crate::shell::Limits::default(),
    };
    crate::shell::analyze(command, &cx)
}

/// The hook's part: the egress fields of a ticket for `command` under `profile`. Only the
/// names of the `[[secrets.inject]]` entries whose rule the command passes are recorded.
pub fn ticket_egress(
    policy: &Policy,
    env: &crate::paths::PathEnv,
    command: &str,
    profile: &str,
) -> TicketEgress {
    let inject = if policy.inject.is_empty() {
        Vec::new()
    } else {
        let analysis = analyse(command, &env.cwd, env.home.as_deref());
        credentials::injectable(&analysis, command, &env.cwd, &policy.inject, profile)
            .into_iter()
            .map(|i| i.name.clone())
            .collect()
    };
    let policy_file = policy
        .layers
        .iter()
        .find(|(k, _)| *k == LayerKind::CommandLine)
        .and_then(|(_, name)| env.absolute(name).ok());
    TicketEgress {
        inject,
        trusted_when_tainted: policy.network.trusted_when_tainted.clone(),
        project_hosts: policy
            .network
            .project_hosts
            .as_ref()
            .map(|h| h.value.clone()),
        audit_log: policy.audit_log.clone(),
        policy_file,
    }
}

/// The runner's part: the values of the ticket's injections, read now (outside the sandbox)
/// from the policy the hook used, after checking the rule again; and the reasons any named
/// variable was not passed (names and sources, never values).
pub fn inject_values(state: &Path, ticket: &Ticket) -> (Vec<(String, SecretValue)>, Vec<String>) {
    let spec = &ticket.spec;
    let env = crate::paths::PathEnv {
        home: spec.home.clone(),
        project: spec.project.clone(),
        tmpdir: std::env::temp_dir(),
        cwd: spec.cwd.clone(),
        exe: std::env::current_exe().ok(),
    };
    let discovery = crate::policy::Discovery::standard(&env, ticket.egress.policy_file.clone());
    let cache = crate::policy::cache::Cache::new(&env, &discovery);
    let policy = match cache.as_ref().and_then(|c| c.load(&env, &discovery)) {
        Some(p) => Ok(p),
        None => discovery
            .read(&env)
            .and_then(|sources| Policy::from_sources(&sources, &env)),
    };
    let policy = match policy {
        Ok(p) => p,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!(
                    "the policy does not load ({e}); no credential was passed into the sandbox"
                )],
            )
        }
    };
    let analysis = analyse(&ticket.command, &spec.cwd, spec.home.as_deref());
    credentials::resolve_for_call(
        &ticket.egress.inject,
        &policy.inject,
        &analysis,
        &ticket.command,
        &spec.cwd,
        &spec.profile,
        Some(state),
        &|k| std::env::var(k).ok(),
    )
}
