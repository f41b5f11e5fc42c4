//! Network egress for sandboxed Bash calls (`network = "allowlist"`): a per-call proxy that
//! lets a command reach only the hosts its profile lists, and the bridge that makes that proxy
//! the only way out of the sandbox's network namespace.
//!
//! What belongs here: the egress rules ([`policy`]), the proxy servers ([`proxy`]), the TLS
//! server-name reader ([`tls`]), the in-namespace bridge ([`bridge`]) and the proxy
//! environment ([`proxy_env`]). What does not: building the sandbox (`bwrap` argv, mounts,
//! seccomp), which is the sandbox runner's job; it calls [`proxy::Proxy::start`] before it
//! starts the sandbox and drops the proxy when the command is done.
//!
//! # How a call is wired
//!
//! ```text
//! blastwall sandbox (outside)                 bwrap --unshare-net (inside)
//! ───────────────────────────                 ─────────────────────────────────────────────
//! Proxy::start(config, runtime_dir)           blastwall sandbox-bridge \
//!   <dir>/control.sock ◄── bind-mounted ────     --hand-over <dir>/control.sock \
//!                                                --port 3128 --port 1080 -- bash -c CMD
//!                                             1. binds 127.0.0.1:3128, :1080 (its namespace)
//!   takes them, checks each  ◄── SCM_RIGHTS ── 2. sends the listening sockets, waits for "ok"
//!   accepts on them itself                    3. execs CMD (no bridge left in the data path)
//!   curl ──TCP, inside──► proxy thread ──TCP──► server     (one relay hop)
//!                                             CMD sees HTTP(S)_PROXY=http://127.0.0.1:3128,
//!                                             ALL_PROXY=socks5h://127.0.0.1:1080 (proxy_env)
//! ```
//!
//! [`handover`] says what the proxy checks in a hand-over and why a failed one runs nothing.
//!
//! # What it guarantees
//!
//! * The sandboxed command has no route out but the two proxies (its own network namespace
//!   holds only loopback, whose listeners only the proxy outside holds) and no DNS (no resolver reaches anything), so a lookup cannot carry
//!   data. The proxy resolves names itself.
//! * A connection is made only when the host asked for (CONNECT target, absolute URL, SOCKS5
//!   name) is on `allow_hosts`, not on `deny_hosts`, on an allowed port (80/443 unless the
//!   entry names one), and, while the session is tainted, on `trusted_when_tainted`. A raw IP
//!   address passes only when it is listed literally.
//! * Every address the name resolves to must be public, unless listed literally (DNS
//!   rebinding to loopback, private ranges or cloud metadata is refused).
//! * On port 443 the ClientHello must name the same host (no SNI domain fronting); plain HTTP
//!   must carry a `Host` header for the same host, one request per connection.
//! * Every refusal is reported through [`proxy::ProxyConfig::on_refusal`] (the runner writes
//!   it to the tool's stderr, so the model sees why, and to the audit log); an HTTP client
//!   also gets a 403 whose reason phrase and body say why.
//!
//! # What it does not
//!
//! * No TLS interception: what is sent inside a tunnel to an allowed host is not inspected
//!   (exfiltration *to* an allowed host is stopped only by the tainted-session rule), and an
//!   HTTP `Host` header inside TLS is not checked against the SNI.
//! * Programs that ignore the proxy variables cannot connect at all (they fail, they do not
//!   bypass). ssh needs a host:port entry; the runner sets `GIT_SSH_COMMAND` to use
//!   `blastwall sandbox-bridge --connect` ([`bridge::connect`]) as its `ProxyCommand`.
//! * No UDP (so no QUIC/HTTP3, no DNS), no SOCKS BIND.
pub mod bridge;
pub mod credentials;
pub mod handover;
pub mod policy;
pub mod proxy;
pub mod sandbox;
pub mod tls;

pub use policy::{EgressPolicy, Reason, Refusal};

/// The HTTP proxy's port on the sandbox's loopback.
pub const HTTP_PORT: u16 = 3128;
/// The SOCKS5 proxy's port on the sandbox's loopback.
pub const SOCKS_PORT: u16 = 1080;

/// The buffer the proxy and the bridge relay bytes with. `io::copy`'s 8 KiB (socket to socket
/// gets no kernel fast path) was measured ~40% slower on a 10 MB download (BENCHMARKS.md).
pub const COPY_BUF: usize = 128 * 1024;

/// Copy `r` to `w` until `r` ends, [`COPY_BUF`] bytes at a time; the bytes copied.
pub fn relay<R: std::io::Read + ?Sized, W: std::io::Write + ?Sized>(
    r: &mut R,
    w: &mut W,
) -> std::io::Result<u64> {
    let mut buf = vec![0u8; COPY_BUF];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(buf.get(..n).unwrap_or_default())?;
        total += n as u64;
    }
}

/// Relay between two sockets until `r` ends: on Linux with splice(2) through a pipe (the bytes
/// never enter this process's memory), else, or when the kernel refuses to splice these
/// descriptors before any byte moved, with [`relay`].
pub fn relay_sockets<R, W>(mut r: R, mut w: W) -> std::io::Result<u64>
where
    R: std::io::Read + std::os::fd::AsFd,
    W: std::io::Write + std::os::fd::AsFd,
{
    #[cfg(target_os = "linux")]
    if let Some(n) = splice_all(&r, &w)? {
        return Ok(n);
    }
    relay(&mut r, &mut w)
}

/// `None`: splice is not supported for these descriptors (nothing was moved).
#[cfg(target_os = "linux")]
fn splice_all(
    r: &impl std::os::fd::AsFd,
    w: &impl std::os::fd::AsFd,
) -> std::io::Result<Option<u64>> {
    use rustix::pipe::{pipe_with, splice, PipeFlags, SpliceFlags};
    let Ok((pr, pw)) = pipe_with(PipeFlags::CLOEXEC) else {
        return Ok(None);
    };
    // A bigger pipe moves more per call; best effort (the default is 64 KiB).
    let _ = rustix::pipe::fcntl_setpipe_size(&pw, COPY_BUF);
    let mut total = 0u64;
    // No SPLICE_F_MORE: on a TCP socket it corks the last bytes of a burst (a TLS handshake
    // message, a git pkt-line) until more come or a timer fires.
    loop {
        let n = match splice(r, None, &pw, None, COPY_BUF, SpliceFlags::MOVE) {
            Ok(0) => return Ok(Some(total)),
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) if total == 0 => {
                return Ok(None)
            }
            Err(e) => return Err(e.into()),
        };
        let mut left = n;
        while left > 0 {
            match splice(&pr, None, w, None, left, SpliceFlags::MOVE) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(m) => left -= m.min(left),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        total += n as u64;
    }
}

/// Errors of the egress plumbing. None carries a secret value.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// An I/O step failed.
    #[error("{0}: {1}")]
    Io(&'static str, #[source] std::io::Error),
    /// Bad arguments to `sandbox-bridge`.
    #[error("{0}")]
    Usage(String),
}

/// The environment a sandboxed command needs to use the proxies on `http_port`/`socks_port`
/// of its loopback: upper- and lower-case `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`
/// (curl, wget, git, pip, cargo, Go, Python `requests`), npm's and yarn's own keys, cargo's
/// `CARGO_HTTP_PROXY`, and `BLASTWALL_EGRESS` so tools and people can tell.
pub fn proxy_env(http_port: u16, socks_port: u16) -> Vec<(String, String)> {
    let http = format!("http://127.0.0.1:{http_port}");
    let socks = format!("socks5h://127.0.0.1:{socks_port}");
    let no_proxy = "localhost,127.0.0.1,::1".to_owned();
    let mut env = Vec::new();
    for (k, v) in [
        ("HTTP_PROXY", &http),
        ("HTTPS_PROXY", &http),
        ("ALL_PROXY", &socks),
        ("NO_PROXY", &no_proxy),
    ] {
        env.push((k.to_owned(), v.clone()));
        env.push((k.to_ascii_lowercase(), v.clone()));
    }
    for k in [
        "npm_config_proxy",
        "npm_config_https_proxy",
        "YARN_HTTP_PROXY",
        "YARN_HTTPS_PROXY",
        "CARGO_HTTP_PROXY",
        "PIP_PROXY",
    ] {
        env.push((k.to_owned(), http.clone()));
    }
    env.push(("BLASTWALL_EGRESS".to_owned(), "allowlist".to_owned()));
    env
}

/// The argv prefix that runs a command behind the bridge inside the sandbox:
/// `<blastwall> sandbox-bridge --hand-over <control.sock> --port 3128 --port 1080
/// [--port LOOPBACK]… --`: the bridge binds those ports on the sandbox's loopback, hands the
/// listeners to `proxy` ([`handover`]) and then runs the command. Append the command
/// (`bash -c CMD`).
pub fn bridge_argv(blastwall: &std::path::Path, proxy: &proxy::Proxy) -> Vec<String> {
    let mut argv = vec![
        blastwall.display().to_string(),
        "sandbox-bridge".to_owned(),
        "--hand-over".to_owned(),
        proxy.control_socket().display().to_string(),
    ];
    for p in proxy.listener_ports() {
        argv.push("--port".to_owned());
        argv.push(p.to_string());
    }
    argv.push("--".to_owned());
    argv
}

/// The ports of `allow_hosts` entries naming the machine's own loopback with a port
/// (`127.0.0.1:5432`), other than the bridge's own: inside the sandbox a client reaches its
/// loopback directly, so the bridge listens there and tunnels through the proxy.
pub fn loopback_ports(allow_hosts: &[String]) -> Vec<u16> {
    let mut ports: Vec<u16> = allow_hosts
        .iter()
        .filter_map(|e| {
            let (host, port) = e.trim().rsplit_once(':')?;
            let port: u16 = port.parse().ok()?;
            (host == "127.0.0.1" && port != HTTP_PORT && port != SOCKS_PORT).then_some(port)
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The bwrap arguments that give a sandbox the proxy: the socket directory bound in and the
/// proxy environment set (put them before `--`, with `--unshare-net`).
pub fn bwrap_args(proxy: &proxy::Proxy) -> Vec<String> {
    let dir = proxy.dir().display().to_string();
    let mut args = vec!["--bind".to_owned(), dir.clone(), dir];
    for (k, v) in proxy_env(HTTP_PORT, SOCKS_PORT) {
        args.extend(["--setenv".to_owned(), k, v]);
    }
    args
}

/// A refusal reporter for the runner: one line on stderr (which the Bash tool returns to the
/// model, so it sees why), through the redactor.
pub fn report_to_stderr() -> proxy::OnRefusal {
    std::sync::Arc::new(|r: &Refusal| {
        let line = format!("{r}\n");
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            crate::redact::text(&line).as_bytes(),
        );
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_env_sets_both_cases_and_socks_with_remote_dns() {
        let env = proxy_env(3128, 1080);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("HTTPS_PROXY"), Some("http://127.0.0.1:3128"));
        assert_eq!(get("https_proxy"), Some("http://127.0.0.1:3128"));
        assert_eq!(get("http_proxy"), Some("http://127.0.0.1:3128"));
        // socks5h: the proxy resolves the name, not the sandbox.
        assert_eq!(get("ALL_PROXY"), Some("socks5h://127.0.0.1:1080"));
        assert_eq!(get("no_proxy"), Some("localhost,127.0.0.1,::1"));
        assert_eq!(get("npm_config_https_proxy"), Some("http://127.0.0.1:3128"));
    }

    #[test]
    fn loopback_ports_are_the_listed_local_services() {
        let hosts: Vec<String> = [
            "127.0.0.1:5432",
            "127.0.0.1:3000",
            "127.0.0.1:5432",
            "127.0.0.1",
            "127.0.0.2:80",
            "localhost:8080",
            "github.com:22",
            "127.0.0.1:3128",
            "127.0.0.1:x",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(loopback_ports(&hosts), [3000, 5432]);
    }
}
