//! Single-use tickets: the hook's record of one approved Bash call, and the only way the
//! command text reaches `blastwall sandbox`.
//!
//! A ticket is a JSON file `<state>/tickets/<id>` (file 0600, directory 0700). The id is 128
//! random bits in hex; nothing model-written is in a path or an argv. Taking a ticket renames
//! it first (only one taker can win the rename), then reads and deletes it; an expired ticket
//! is refused. The state directory is hidden inside every sandbox, and the default policy
//! forbids the agent to write there.
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{BackendKind, SandboxError, SandboxSpec};

/// How long a ticket is good for: long enough for the user to answer a prompt about the
/// call, short enough that a ticket nobody ran does not linger.
pub const TTL_SECS: u64 = 30 * 60;
const VERSION: u32 = 1;
/// A ticket larger than this is refused unread (the hook caps its input at a few MB).
const MAX_TICKET_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub version: u32,
    pub created: u64,
    pub expires: u64,
    pub session_id: Option<String>,
    pub agent_id: Option<String>,
    pub agent_type: Option<String>,
    pub tool_use_id: Option<String>,
    /// The command exactly as the agent wrote it.
    pub command: String,
    /// `run_in_background`: no cwd hand-back.
    pub background: bool,
    pub backend: BackendKind,
    pub spec: SandboxSpec,
    /// What the egress side needs besides the spec (names and hosts, never a value).
    #[serde(default)]
    pub egress: TicketEgress,
}

/// The egress part of a ticket: which `[[secrets.inject]]` variables the hook found this
/// command may receive (names only: the runner checks the rule again against the policy and
/// reads the values itself, outside the sandbox), the hosts still reachable while the
/// session is tainted, and where refused connections are recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEgress {
    pub inject: Vec<String>,
    pub trusted_when_tainted: Vec<String>,
    /// A project layer's `network.allow_hosts`: the proxy needs a host on both lists.
    pub project_hosts: Option<Vec<String>>,
    pub audit_log: Option<PathBuf>,
    /// The `--policy` file the hook read, so the runner resolves injections from the same
    /// policy.
    pub policy_file: Option<PathBuf>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Ticket {
    #[allow(clippy::too_many_arguments, reason = "one field each")]
    pub fn new(
        command: &str,
        background: bool,
        backend: BackendKind,
        spec: SandboxSpec,
        session_id: Option<&str>,
        agent_id: Option<&str>,
        agent_type: Option<&str>,
        tool_use_id: Option<&str>,
    ) -> Ticket {
        let created = now();
        Ticket {
            version: VERSION,
            created,
            expires: created + TTL_SECS,
            session_id: session_id.map(str::to_string),
            agent_id: agent_id.map(str::to_string),
            agent_type: agent_type.map(str::to_string),
            tool_use_id: tool_use_id.map(str::to_string),
            command: command.to_string(),
            background,
            backend,
            spec,
            egress: TicketEgress::default(),
        }
    }
}

/// The tickets directory under blastwall's state directory.
pub fn dir(state: &Path) -> PathBuf {
    state.join("tickets")
}

fn random_id() -> Result<String, SandboxError> {
    let mut buf = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| SandboxError::io("reading /dev/urandom", e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Make `dir` (and its parents) exist, and `dir` itself 0700.
fn private_dir(dir: &Path) -> Result<(), SandboxError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| SandboxError::io(format!("creating {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| SandboxError::io(format!("securing {}", dir.display()), e))
}

/// Remove tickets whose time is up (their calls never ran).
fn sweep(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let limit = SystemTime::now() - std::time::Duration::from_secs(TTL_SECS + 60);
    for e in rd.filter_map(Result::ok).take(10_000) {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < limit);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Store a ticket; returns its id.
pub fn write(state: &Path, ticket: &Ticket) -> Result<String, SandboxError> {
    let dir = dir(state);
    private_dir(&dir)?;
    sweep(&dir);
    let id = random_id()?;
    let path = dir.join(&id);
    let body = serde_json::to_vec(ticket).map_err(|e| SandboxError::BadTicket {
        id: id.clone(),
        why: e.to_string(),
    })?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| SandboxError::io(format!("creating {}", path.display()), e))?;
    f.write_all(&body)
        .map_err(|e| SandboxError::io(format!("writing {}", path.display()), e))?;
    Ok(id)
}

/// Take a ticket: it can be taken once, and only before it expires.
pub fn take(state: &Path, id: &str) -> Result<Ticket, SandboxError> {
    if !valid_id(id) {
        return Err(SandboxError::BadTicketId(
            crate::engine::truncate(id, 80).to_string(),
        ));
    }
    let dir = dir(state);
    let path = dir.join(id);
    let taken = dir.join(format!("{id}.taken-{}", std::process::id()));
    // The rename is the single-use gate: a second taker finds nothing.
    std::fs::rename(&path, &taken).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SandboxError::UnknownTicket(id.to_string()),
        _ => SandboxError::io(format!("taking ticket {id}"), e),
    })?;
    let read = (|| {
        let f = std::fs::File::open(&taken)?;
        let mut body = Vec::new();
        f.take(MAX_TICKET_BYTES).read_to_end(&mut body)?;
        Ok::<_, std::io::Error>(body)
    })();
    let _ = std::fs::remove_file(&taken);
    let body = read.map_err(|e| SandboxError::io(format!("reading ticket {id}"), e))?;
    let ticket: Ticket = serde_json::from_slice(&body).map_err(|e| SandboxError::BadTicket {
        id: id.to_string(),
        why: e.to_string(),
    })?;
    if ticket.version != VERSION {
        return Err(SandboxError::BadTicket {
            id: id.to_string(),
            why: format!(
                "version {} (this blastwall reads {VERSION})",
                ticket.version
            ),
        });
    }
    if now() > ticket.expires {
        return Err(SandboxError::Expired(id.to_string()));
    }
    Ok(ticket)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]
    use super::*;

    fn ticket() -> Ticket {
        let env = crate::paths::PathEnv {
            home: Some("/h".into()),
            project: "/p".into(),
            tmpdir: "/tmp".into(),
            cwd: "/p".into(),
            exe: None,
        };
        let spec = SandboxSpec::build(&env, "main", &[], &Default::default(), &[]);
        Ticket::new(
            "echo hi",
            false,
            BackendKind::Bwrap,
            spec,
            Some("s"),
            None,
            None,
            None,
        )
    }

    #[test]
    fn a_ticket_is_single_use_and_private() {
        let t = tempfile::tempdir().unwrap();
        let id = write(t.path(), &ticket()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir(t.path())), 0o700);
        assert_eq!(mode(&dir(t.path()).join(&id)), 0o600);
        assert_eq!(take(t.path(), &id).unwrap().command, "echo hi");
        assert!(matches!(
            take(t.path(), &id),
            Err(SandboxError::UnknownTicket(_))
        ));
    }

    #[test]
    fn unknown_malformed_and_expired_tickets_are_refused() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            take(t.path(), "0123456789abcdef0123456789abcdef"),
            Err(SandboxError::UnknownTicket(_))
        ));
        for bad in [
            "../../etc/passwd",
            "",
            "ABCDEF0123456789ABCDEF0123456789",
            "x",
        ] {
            assert!(
                matches!(take(t.path(), bad), Err(SandboxError::BadTicketId(_))),
                "{bad}"
            );
        }
        let mut old = ticket();
        old.expires = now() - 1;
        let id = write(t.path(), &old).unwrap();
        assert!(matches!(take(t.path(), &id), Err(SandboxError::Expired(_))));
        // Refused and gone: it cannot be retried.
        assert!(matches!(
            take(t.path(), &id),
            Err(SandboxError::UnknownTicket(_))
        ));
    }
}
