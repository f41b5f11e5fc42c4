//! The hook's one sandbox step ([`apply`]): what happens to a Bash call the judge let through or
//! asked about. It edits the judged [`Pre`] outcome and nothing else.
//!
//! Order: the judge's deny stays a deny (nothing is rewritten); `mode = "off"` leaves the call
//! alone; the user's own Claude Code permission rules are applied to the ORIGINAL command
//! (`client_perms`: a deny rule denies); then, when a backend works, a ticket is written and
//! the command rewritten to the wrapper (the whole tool input is kept, only `command` changes),
//! answered with `allow` (blastwall's own auto-approval, an allow rule or read-only command the
//! client would have approved, `bypassPermissions`, `sandbox.auto_allow`), `ask` (the judge or
//! an ask rule asked) or no decision (the client's own flow decides on the wrapped input).
//! Without a backend: `required` denies with how to fix it; `auto` leaves the call unsandboxed
//! and warns the user once per session.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::spec::{default_credential_stores, SandboxSettings};
use super::ticket::{self, Ticket};
use super::{BackendKind, Mode, SandboxSpec};
use crate::client_perms::{ClientRules, ClientVerdict};
use crate::input::{HookEvent, ToolCall, ToolUse};
use crate::outcome::{Pre, Rewrite, Ruling};
use crate::paths::PathEnv;
use crate::policy::Policy;

/// The rule names the sandbox step decides under (audit log, replay).
pub const RULE_CLIENT: &str = "client-permissions";
pub const RULE_REQUIRED: &str = "sandbox-required";

fn refuse(pre: &mut Pre, rule: &str, reason: String) {
    pre.ruling = Ruling::Deny;
    pre.rule = Some(Arc::from(rule));
    pre.reason = Some(reason);
    pre.updated_input = None;
}

/// The sandbox step for a judged PreToolUse of `call` (read from `ev`). `state` is blastwall's
/// state directory.
pub fn apply(
    ev: &HookEvent,
    call: &ToolUse<'_>,
    policy: &Policy,
    env: &PathEnv,
    pre: &mut Pre,
    state: Option<&Path>,
    ticket_egress: &super::TicketEgressFn,
) {
    let ToolCall::Bash {
        command,
        run_in_background: background,
        ..
    } = &call.call
    else {
        return;
    };
    if pre.ruling == Ruling::Deny {
        return;
    }
    let mut settings = policy.sandbox_for(&pre.profiles);
    if settings.mode == Mode::Off {
        pre.sandbox = Some("off".into());
        return;
    }
    let client = ClientRules::load(env.home.as_deref(), &env.project);
    let verdict = client.verdict(call, ev.permission_mode.as_deref());
    if let ClientVerdict::Deny(rule) = &verdict {
        return refuse(pre, RULE_CLIENT, format!("blastwall: your Claude Code permission rule {rule} denies this command (blastwall applies your rules to the command as written, because it runs it in its sandbox)"));
    }
    let probe = super::probe::cached(state);
    let backend = probe.backend;
    let why = probe.why_not.first().cloned().unwrap_or_default();
    if backend == BackendKind::None {
        if settings.mode == Mode::Required {
            return refuse(pre, RULE_REQUIRED, format!(
                "blastwall: Bash must run sandboxed (sandbox.mode = \"required\") and no sandbox works on this machine: {why}. How to fix: {}. Or set `[sandbox] mode = \"auto\"` in your own policy to run unsandboxed with a warning",
                super::probe::how_to_fix()
            ));
        }
        pre.sandbox = Some(BackendKind::None.audit_label(&settings.network));
        if first_warning(state, ev.session_id.as_deref(), "none") {
            pre.system = Some(format!("blastwall: Bash commands are running WITHOUT a sandbox in this session (sandbox.mode = \"auto\" and no backend works: {why}). {}", super::probe::how_to_fix()));
        }
        return;
    }
    let mut unheld_network = None;
    if backend == BackendKind::Landlock {
        // Landlock has no network namespace: `none` is held by TCP rules (ABI 4), and an
        // allowlist the same way (no TCP at all: stricter, never looser); below ABI 4 neither.
        let cannot = match &settings.network {
            super::Network::Allowlist(_) | super::Network::None if probe.landlock_abi < 4 => {
                Some(format!("network = \"{}\"", settings.network.as_str()))
            }
            _ => None,
        };
        if let Some(what) = cannot {
            if settings.mode == Mode::Required {
                return refuse(pre, RULE_REQUIRED, format!(
                    "blastwall: this profile asks for {what}, which the only sandbox that works here (Landlock ABI {}) cannot hold; the command was not run. How to fix: {}",
                    probe.landlock_abi,
                    super::probe::how_to_fix()
                ));
            }
            // `auto` takes what the machine can give, as it does with no backend at all: the
            // filesystem limits hold, the network does not; the user is told once per session
            // and the audit log records `network host` for the call. The hook's own host
            // checks still judge the commands it can read.
            settings.network = super::Network::Host;
            unheld_network = Some(what);
        }
        if first_warning(state, ev.session_id.as_deref(), "landlock") {
            let network = unheld_network.map_or(String::new(), |what| {
                format!(" The profile's {what} is NOT enforced: Landlock has no network namespace, so commands reach the network directly (set `[sandbox] mode = \"required\"` to refuse instead).")
            });
            pre.system = Some(format!(
                "blastwall: Bash commands run in a DEGRADED sandbox in this session (Landlock only: {why}). {}.{network}",
                super::probe::landlock_limits(probe.landlock_abi)
            ));
        }
    }
    let Some(state) = state else {
        return refuse(pre, RULE_REQUIRED, "blastwall: cannot sandbox this Bash call: blastwall's state directory is unknown (HOME is unset)".into());
    };
    // The wrapper runs blastwall by its absolute path: a bare `blastwall` would be looked up
    // in a PATH the project can put first.
    let Some(exe) = env.exe.as_deref().filter(|p| p.is_absolute()) else {
        return refuse(pre, RULE_REQUIRED, "blastwall: cannot sandbox this Bash call: blastwall cannot find its own binary (/proc/self/exe), so the wrapper could not name it".into());
    };
    let exe = exe.to_string_lossy().into_owned();
    let command = command.unwrap_or("");
    let background = *background;
    let profile = pre
        .profiles
        .first()
        .cloned()
        .unwrap_or_else(|| "main".into());
    let spec = spec_for(policy, env, &profile, &settings);
    let mut t = Ticket::new(
        command,
        background,
        backend,
        spec,
        ev.session_id.as_deref(),
        ev.agent_id.as_deref(),
        ev.agent_type.as_deref(),
        ev.tool_use_id.as_deref(),
    );
    t.egress = ticket_egress(policy, env, command, &profile);
    let id = match ticket::write(state, &t) {
        Ok(id) => id,
        Err(e) => {
            return refuse(
                pre,
                RULE_REQUIRED,
                format!("blastwall: cannot sandbox this Bash call: {e}"),
            )
        }
    };
    pre.updated_input = Some(Rewrite {
        input: call.input(),
        command: super::wrapper::wrap(&exe, state, &id, &profile, command, background),
    });
    let mut label = backend.audit_label(&settings.network);
    if !t.egress.inject.is_empty() {
        // Which credentials the call was given (names only), for the audit log.
        label.push_str(&format!(", inject {}", t.egress.inject.join(",")));
    }
    pre.sandbox = Some(label);
    match (&verdict, pre.ruling) {
        (_, Ruling::Ask) => {
            let r = pre.reason.take().unwrap_or_default();
            let net = if matches!(settings.network, super::Network::Allowlist(_)) {
                ", which reaches only the hosts on `network.allow_hosts`"
            } else {
                ""
            };
            pre.reason = Some(format!(
                "{r} (if approved, it runs in blastwall's sandbox{net})"
            ));
        }
        (ClientVerdict::Ask(why), _) => {
            pre.ruling = Ruling::Ask;
            pre.rule = Some(Arc::from(RULE_CLIENT));
            pre.reason = Some(format!("blastwall: your Claude Code permission rule {why} asks about this command; if approved, it runs in blastwall's sandbox"));
        }
        (_, Ruling::Allow) => {}
        (ClientVerdict::Allow(why), _) => {
            pre.ruling = Ruling::Allow;
            pre.reason = Some(format!(
                "blastwall: allowed in the sandbox under profile `{profile}` ({why})"
            ));
        }
        _ if settings.auto_allow => {
            pre.ruling = Ruling::Allow;
            pre.reason = Some(format!(
                "blastwall: allowed in the sandbox under profile `{profile}` (sandbox.auto_allow)"
            ));
        }
        _ => {}
    }
}

/// The spec for this call: the profile's write roots, the settings' paths, the policy's
/// `credential-stores` rule (or the built-in list).
pub fn spec_for(
    policy: &Policy,
    env: &PathEnv,
    profile: &str,
    settings: &SandboxSettings,
) -> SandboxSpec {
    let write_roots: Vec<PathBuf> = policy
        .profiles
        .iter()
        .find(|p| p.name == profile)
        .and_then(|p| p.write_roots.as_ref())
        .or(policy.write_roots.as_ref())
        .map(|r| r.dirs.clone())
        .unwrap_or_else(|| vec![env.project.clone()]);
    let mut stores = policy
        .rules
        .iter()
        .find(|r| &*r.id == "credential-stores")
        .and_then(|r| r.paths.as_ref())
        .map(|g| g.patterns().to_vec())
        .unwrap_or_else(default_credential_stores);
    // Sockets are hidden whatever the rule lists.
    stores.extend(
        [
            "/run/docker.sock",
            "/var/run/docker.sock",
            "/run/podman/podman.sock",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    SandboxSpec::build(env, profile, &write_roots, settings, &stores)
}

/// Whether this is the first "running unsandboxed" warning of the session (a marker file in
/// the state directory remembers it was given).
fn first_warning(state: Option<&Path>, session: Option<&str>, kind: &str) -> bool {
    let (Some(state), Some(session)) = (state, session) else {
        return true;
    };
    let safe: String = session
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(128)
        .collect();
    let dir = state.join("sandbox-warned");
    let marker = dir.join(format!("{safe}.{kind}"));
    if marker.exists() {
        return false;
    }
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(&marker, b"");
    true
}
