//! The egress proxy as the sandbox runner's [`EgressBridge`]: `blastwall sandbox` starts it
//! for a ticket whose network is an allowlist, binds its socket directory into the sandbox,
//! sets the proxy variables, and runs the command under `blastwall sandbox-bridge`.
use std::path::PathBuf;
use std::time::Duration;

use super::proxy::{OnRefusal, Proxy, ProxyConfig, Resolver};
use super::{bridge_argv, proxy_env, report_to_stderr, EgressPolicy, HTTP_PORT, SOCKS_PORT};
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
    fn start(&self, allow_hosts: &[String]) -> Result<Bridge, SandboxError> {
        let policy = EgressPolicy {
            allow_hosts: allow_hosts.to_vec(),
            ..self.base.clone()
        };
        let config = ProxyConfig {
            policy,
            resolver: Resolver::System,
            on_refusal: std::sync::Arc::clone(&self.on_refusal),
            timeout: Duration::from_secs(30),
        };
        let proxy = Proxy::start(config, &self.parent)
            .map_err(|e| SandboxError::Start(format!("the egress proxy: {e}")))?;
        Ok(Bridge {
            binds: vec![proxy.dir().to_path_buf()],
            env: proxy_env(HTTP_PORT, SOCKS_PORT),
            wrap: bridge_argv(&self.exe, &proxy),
            guard: Box::new(proxy),
        })
    }
}
