//! The sandbox settings a policy holds: `sandbox.mode`, the network a profile gets, the extra
//! read-only, hidden and writable paths and passed variables, merged over the layers, and the
//! built-in lists (package caches, credential stores, secret files) they start from.
//!
//! What belongs here: plain settings types and their defaults, which the policy compiles and
//! the sandbox reads. What does not: what one call's sandbox is (`crate::sandbox::spec`), how
//! it is mounted (`crate::sandbox::plan`) or run. They live in the policy so the policy does not
//! depend on the sandbox that enforces it.
use serde::{Deserialize, Serialize};
/// `sandbox.mode`: what happens to a Bash call the judge lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Sandbox it; when no backend works, deny it with a reason that says how to fix that.
    Required,
    /// Sandbox it when a backend works; otherwise run it unsandboxed and warn once per session.
    #[default]
    Auto,
    /// Do not sandbox (the call runs as it was written).
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Required => "required",
            Mode::Auto => "auto",
            Mode::Off => "off",
        }
    }

    /// How strict the mode is; a project layer may only raise it.
    pub fn strictness(self) -> u8 {
        match self {
            Mode::Off => 0,
            Mode::Auto => 1,
            Mode::Required => 2,
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "required" => Some(Mode::Required),
            "auto" => Some(Mode::Auto),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// `sandbox.network`: what the sandboxed command may reach.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// A new, empty network namespace: no network at all (loopback only, and nothing listens).
    None,
    /// The host's network.
    #[default]
    Host,
    /// Only these hosts, through the egress proxy (`EgressBridge`); fails closed without it.
    Allowlist(Vec<String>),
}

impl Network {
    pub fn as_str(&self) -> &'static str {
        match self {
            Network::None => "none",
            Network::Host => "host",
            Network::Allowlist(_) => "allowlist",
        }
    }

    /// How strict the setting is; a project layer may only raise it.
    pub fn strictness(&self) -> u8 {
        match self {
            Network::Host => 0,
            Network::Allowlist(_) => 1,
            Network::None => 2,
        }
    }
}

/// The `[sandbox]` section of a policy, merged over layers (and a profile's overrides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSettings {
    pub mode: Mode,
    pub network: Network,
    /// Extra paths mounted read-only (policy spelling: `~`, `${PROJECT}` …, expanded later).
    pub read_only: Vec<String>,
    /// Extra paths replaced by an empty directory or an empty file.
    pub hidden: Vec<String>,
    /// Extra paths mounted writable (package caches, a shared build directory).
    pub writable: Vec<String>,
    /// Variables passed into the sandbox even though the allowlist or the secret detector
    /// would drop them.
    pub pass_env: Vec<String>,
    /// Answer `allow` for every sandboxed Bash call nothing objects to, like Claude Code's
    /// `autoAllowBashIfSandboxed`.
    pub auto_allow: bool,
}

impl Default for SandboxSettings {
    fn default() -> SandboxSettings {
        SandboxSettings {
            mode: Mode::Auto,
            network: Network::Host,
            read_only: Vec::new(),
            hidden: Vec::new(),
            writable: DEFAULT_CACHES.iter().map(|s| s.to_string()).collect(),
            pass_env: Vec::new(),
            auto_allow: false,
        }
    }
}

/// A profile's `[profiles.X.sandbox]` overrides: scalars replace, lists add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSandbox {
    pub mode: Option<Mode>,
    pub network: Option<Network>,
    pub read_only: Vec<String>,
    pub hidden: Vec<String>,
    pub writable: Vec<String>,
    pub pass_env: Vec<String>,
    pub auto_allow: Option<bool>,
}

/// The sandbox part of a compiled policy: the merged `[sandbox]` section and what a project
/// layer set, which no profile override goes below.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPolicy {
    pub settings: SandboxSettings,
    pub project_mode: Option<Mode>,
    pub project_network: Option<Network>,
    pub project_auto_allow: Option<bool>,
}

impl SandboxPolicy {
    /// The settings for a profile with these overrides; `hosts` fill a network allowlist.
    pub fn for_profile(&self, over: Option<&ProfileSandbox>, hosts: &[String]) -> SandboxSettings {
        let mut s = self.settings.clone();
        if let Some(o) = over {
            if let Some(m) = o.mode {
                s.mode = m;
            }
            if let Some(n) = &o.network {
                s.network = n.clone();
            }
            if let Some(a) = o.auto_allow {
                s.auto_allow = a;
            }
            s.read_only.extend(o.read_only.iter().cloned());
            s.hidden.extend(o.hidden.iter().cloned());
            s.writable.extend(o.writable.iter().cloned());
            s.pass_env.extend(o.pass_env.iter().cloned());
        }
        if let Some(m) = self
            .project_mode
            .filter(|m| m.strictness() > s.mode.strictness())
        {
            s.mode = m;
        }
        if let Some(n) = self
            .project_network
            .as_ref()
            .filter(|n| n.strictness() > s.network.strictness())
        {
            s.network = n.clone();
        }
        if self.project_auto_allow == Some(false) {
            s.auto_allow = false;
        }
        if let Network::Allowlist(h) = &mut s.network {
            *h = hosts.to_vec();
        }
        s
    }
}

/// Package caches that stay writable so builds work (missing ones are skipped).
pub const DEFAULT_CACHES: &[&str] = &[
    "~/.cargo/registry",
    "~/.cargo/git",
    "~/.npm",
    "~/.cache/pip",
    "~/.cache/uv",
    "~/.cache/pypoetry",
    "~/.cache/go-build",
    "~/go/pkg/mod",
    "~/.cache/yarn",
    "~/.yarn/berry/cache",
    "~/.local/share/pnpm",
    "~/.cache/pnpm",
    "~/.gradle/caches",
    "~/.m2/repository",
    "~/.cache/node-gyp",
];

/// Credential stores replaced by empty ones inside every sandbox (the default policy's
/// `credential-stores` rule; a policy that defines that rule supplies its own list).
pub const DEFAULT_CREDENTIAL_STORES: &[&str] = &[
    "~/.ssh",
    "~/.aws",
    "~/.gnupg",
    "~/.netrc",
    "~/.git-credentials",
    "~/.docker/config.json",
    "~/.kube",
    "~/.config/gh",
    "~/.config/gcloud",
    "~/.azure",
    "~/.npmrc",
    "~/.pypirc",
    "~/.claude/.credentials.json",
    "~/.cargo/credentials",
    "~/.cargo/credentials.toml",
    "~/.password-store",
    "~/.local/share/keyrings",
    "~/.vault-token",
    "~/.config/op",
    "~/.terraform.d/credentials.tfrc.json",
    "~/.config/hub",
    "~/.pgpass",
    "~/.my.cnf",
    "~/.config/git/credentials",
    "~/.gem/credentials",
    "~/.config/containers/auth.json",
    "~/.config/glab-cli",
    "~/.config/composer/auth.json",
    "~/.composer/auth.json",
    "~/.mozilla",
    "~/.config/google-chrome",
    "~/.config/chromium",
    "~/.config/BraveSoftware",
    "~/.config/microsoft-edge",
    "/var/run/secrets",
    "/run/secrets",
    "/etc/shadow",
    "/etc/gshadow",
    // Unix sockets that reach outside whatever the network setting says.
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/podman/podman.sock",
];

/// Secret files masked inside the project (the default's `secret-files` rule), matched on the
/// file name.
pub const DEFAULT_SECRET_FILES: &[&str] = &[
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".pgpass",
    ".netrc",
    ".git-credentials",
];

/// Names the `secret-files` rule lets through.
pub const DEFAULT_SECRET_EXCEPT: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    ".env.defaults",
    "*.pub",
];
