//! The bridge inside the sandbox's network namespace: TCP listeners on the sandbox's own
//! loopback for the proxy outside. It replaces sandbox-runtime's two `socat` processes and
//! runs as `blastwall sandbox-bridge`, the first process in the sandbox.
//!
//! What the runner uses: `--hand-over CONTROL --port N…` binds the listeners, hands them to
//! the proxy ([`super::handover`]), which accepts on them itself, and then `exec`s the
//! command: the bridge is out of the data path and gone. Without the proxy's "ok" it exits
//! without running anything.
//!
//! The older relay, `--listen PORT=SOCKET` / `--tunnel PORT=SOCKET`, stays the command's
//! parent and copies each connection to the proxy's unix socket (a second hop);
//! `--connect HOST PORT` is ssh's `ProxyCommand` inside the sandbox.
use std::io;
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use super::EgressError;

/// One forwarded port: `127.0.0.1:port` inside → `socket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    /// Loopback port to listen on inside the namespace.
    pub port: u16,
    /// The proxy's unix socket.
    pub socket: PathBuf,
}

impl Forward {
    /// Parse `PORT=SOCKET` (the `--listen` argument of `blastwall sandbox-bridge`).
    pub fn parse(spec: &str) -> Result<Self, EgressError> {
        let (port, socket) = spec
            .split_once('=')
            .ok_or_else(|| EgressError::Usage(format!("`{spec}` is not PORT=SOCKET")))?;
        let port = port
            .parse()
            .map_err(|_| EgressError::Usage(format!("`{port}` is not a port")))?;
        Ok(Self {
            port,
            socket: PathBuf::from(socket),
        })
    }
}

fn pump(
    from: impl io::Read + std::os::fd::AsFd,
    to: impl io::Write + std::os::fd::AsFd,
    done: impl FnOnce(),
) {
    let _ = super::relay_sockets(from, to);
    done();
}

fn relay(tcp: TcpStream, socket: &PathBuf) -> io::Result<()> {
    let unix = UnixStream::connect(socket)?;
    both_ways(tcp, unix, "blastwall-bridge-up")
}

/// Copy both ways between a connection inside and the proxy's socket until each side is done,
/// passing each end-of-stream on as a half close.
fn both_ways(tcp: TcpStream, unix: UnixStream, thread_name: &str) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let (t2, u2) = (tcp.try_clone()?, unix.try_clone()?);
    let up = std::thread::Builder::new()
        .name(thread_name.into())
        .spawn(move || {
            pump(&t2, &u2, || {
                let _ = u2.shutdown(Shutdown::Write);
            })
        })?;
    pump(&unix, &tcp, || {
        let _ = tcp.shutdown(Shutdown::Write);
    });
    let _ = up.join();
    Ok(())
}

/// A tunnel connection: open `CONNECT 127.0.0.1:port` on the proxy's HTTP socket (the proxy
/// applies its rules: the address must be listed with this port), then relay.
fn tunnel(tcp: TcpStream, socket: &PathBuf, port: u16) -> io::Result<()> {
    use std::io::{Read, Write};
    let mut unix = UnixStream::connect(socket)?;
    write!(
        unix,
        "CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )?;
    // The response head, byte by byte, so nothing after it is consumed here.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 || unix.read(&mut b)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.extend_from_slice(&b);
    }
    if !(head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200")) {
        // The proxy said why on the tool's stderr; the client sees the connection closed.
        return Ok(());
    }
    both_ways(tcp, unix, "blastwall-tunnel-up")
}

/// Bind every forward's listener (all before returning, so a command started afterwards never
/// races the bridge) and serve each on a background thread.
pub fn start(forwards: &[Forward]) -> Result<(), EgressError> {
    start_all(forwards, &[])
}

/// [`start`], plus `tunnels`: loopback ports inside that reach the same port on the machine's
/// loopback through the proxy (for `127.0.0.1:PORT` entries of `allow_hosts`: a local database
/// or dev server, which clients reach directly, not through proxy variables).
pub fn start_all(forwards: &[Forward], tunnels: &[Forward]) -> Result<(), EgressError> {
    let mut bound = Vec::new();
    for (f, is_tunnel) in forwards
        .iter()
        .map(|f| (f, false))
        .chain(tunnels.iter().map(|f| (f, true)))
    {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, f.port))
            .map_err(|e| EgressError::Io("binding the bridge port", e))?;
        bound.push((l, f.socket.clone(), is_tunnel.then_some(f.port)));
    }
    for (listener, socket, tunnel_port) in bound {
        std::thread::Builder::new()
            .name("blastwall-bridge".into())
            .spawn(move || {
                for conn in listener.incoming().flatten() {
                    let socket = socket.clone();
                    let _ = std::thread::Builder::new()
                        .name("blastwall-bridge-conn".into())
                        .spawn(move || match tunnel_port {
                            Some(port) => tunnel(conn, &socket, port),
                            None => relay(conn, &socket),
                        });
                }
            })
            .map_err(|e| EgressError::Io("starting the bridge", e))?;
    }
    Ok(())
}

/// Start the bridge, run `argv` as a child with the current environment, and return its exit
/// status. The bridge threads end with this process.
pub fn run_command(
    forwards: &[Forward],
    tunnels: &[Forward],
    argv: &[String],
) -> Result<ExitStatus, EgressError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| EgressError::Usage("no command after `--`".into()))?;
    start_all(forwards, tunnels)?;
    Command::new(program)
        .args(args)
        .status()
        .map_err(|e| EgressError::Io("running the sandboxed command", e))
}

/// How long the bridge waits for the proxy to answer the hand-over.
const HAND_OVER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Bind `127.0.0.1:PORT` for each of `ports` (in this, the sandbox's, network namespace),
/// hand the listeners to the proxy at `control`, then replace this process with `argv`. Returns
/// only on failure, before the command ran.
pub fn hand_over_and_exec(
    control: &std::path::Path,
    ports: &[u16],
    argv: &[String],
) -> EgressError {
    use std::os::unix::process::CommandExt;
    let Some((program, args)) = argv.split_first() else {
        return EgressError::Usage("no command after `--`".into());
    };
    let mut listeners = Vec::new();
    for p in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, *p)) {
            Ok(l) => listeners.push(l),
            Err(e) => return EgressError::Io("binding the bridge port", e),
        }
    }
    if let Err(e) = super::handover::send(control, &listeners, HAND_OVER_TIMEOUT) {
        return EgressError::Io(
            "handing the listeners to the egress proxy (no network: nothing was run)",
            e,
        );
    }
    // The proxy holds them now; this process's copies would only keep them open.
    drop(listeners);
    EgressError::Io(
        "running the sandboxed command",
        Command::new(program).args(args).exec(),
    )
}

/// `blastwall sandbox-bridge --connect HOST PORT`: ssh's `ProxyCommand` inside an allowlist
/// sandbox (the runner sets `GIT_SSH_COMMAND` to use it). Opens `HOST:PORT` through the SOCKS5
/// proxy on the sandbox's loopback, which applies the same rules as to every connection (a
/// `host:22` entry in `allow_hosts` lets git over ssh through), then relays stdin and stdout.
pub fn connect(host: &str, port: u16) -> io::Result<()> {
    use std::io::{Read, Write};
    let refused = |why: String| io::Error::other(format!("cannot reach {host}:{port}: {why}"));
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, super::SOCKS_PORT))
        .map_err(|e| refused(format!("the egress proxy is not reachable ({e})")))?;
    s.write_all(&[5, 1, 0])?;
    let mut hello = [0u8; 2];
    s.read_exact(&mut hello)?;
    if hello != [5, 0] {
        return Err(refused("the egress proxy does not speak SOCKS5".into()));
    }
    let name = host.as_bytes();
    let len = u8::try_from(name.len()).map_err(|_| refused("the host name is too long".into()))?;
    let mut req = vec![5, 1, 0, 3, len];
    req.extend_from_slice(name);
    req.extend_from_slice(&port.to_be_bytes());
    s.write_all(&req)?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head)?;
    let [_, code, _, atyp] = head;
    if code != 0 {
        return Err(refused(format!(
            "the egress proxy refused it (SOCKS reply {code}; its reason is on the line before)"
        )));
    }
    let skip = match atyp {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut l = [0u8; 1];
            s.read_exact(&mut l)?;
            let [n] = l;
            usize::from(n) + 2
        }
        _ => return Err(refused("a malformed SOCKS reply".into())),
    };
    let mut rest = vec![0u8; skip];
    s.read_exact(&mut rest)?;
    // Raw descriptors (std's stdout is line-buffered; ssh speaks binary).
    use std::os::fd::AsFd;
    let stdin = std::fs::File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let stdout = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let up = s.try_clone()?;
    let t = std::thread::Builder::new()
        .name("blastwall-connect-up".into())
        .spawn(move || {
            pump(&stdin, &up, || {
                let _ = up.shutdown(Shutdown::Write);
            })
        })?;
    pump(&s, &stdout, || {});
    drop(t);
    Ok(())
}

/// `blastwall sandbox-bridge --hand-over CONTROL --port PORT… -- COMMAND…`: run inside the
/// sandbox by the runner; becomes the command. `--listen PORT=SOCKET… -- COMMAND…` (the
/// relay) exits with the command's status (128 + signal when it was killed). On a usage or
/// start-up error either prints why on stderr and exits 64 / 1 without running anything.
pub fn main(args: &[String]) -> crate::exit::Exit {
    let usage = "usage: blastwall sandbox-bridge --hand-over CONTROL_SOCKET --port PORT... -- COMMAND [ARG...]\n       blastwall sandbox-bridge --listen PORT=SOCKET... -- COMMAND [ARG...]\n       blastwall sandbox-bridge --connect HOST PORT   (ssh ProxyCommand inside the sandbox)";
    let mut forwards = Vec::new();
    let mut tunnels = Vec::new();
    let mut hand_over: Option<PathBuf> = None;
    let mut ports: Vec<u16> = Vec::new();
    let mut it = args.iter();
    let mut argv = Vec::new();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--hand-over" => match it.next() {
                Some(p) if hand_over.is_none() => hand_over = Some(PathBuf::from(p)),
                _ => return fail(usage, crate::exit::Exit::Usage),
            },
            "--port" => match it.next().map(|p| p.parse::<u16>()) {
                Some(Ok(p)) => ports.push(p),
                Some(Err(_)) | None => return fail(usage, crate::exit::Exit::Usage),
            },
            "--listen" => match it.next().map(|s| Forward::parse(s)) {
                Some(Ok(f)) => forwards.push(f),
                Some(Err(e)) => return fail(&format!("{e}\n{usage}"), crate::exit::Exit::Usage),
                None => return fail(usage, crate::exit::Exit::Usage),
            },
            "--tunnel" => match it.next().map(|s| Forward::parse(s)) {
                Some(Ok(f)) => tunnels.push(f),
                Some(Err(e)) => return fail(&format!("{e}\n{usage}"), crate::exit::Exit::Usage),
                None => return fail(usage, crate::exit::Exit::Usage),
            },
            "--connect" if forwards.is_empty() => {
                let (Some(host), Some(port)) = (it.next(), it.next()) else {
                    return fail(usage, crate::exit::Exit::Usage);
                };
                let Ok(port) = port.parse::<u16>() else {
                    return fail(
                        &format!("`{port}` is not a port\n{usage}"),
                        crate::exit::Exit::Usage,
                    );
                };
                return match connect(host, port) {
                    Ok(()) => crate::exit::Exit::Ok,
                    Err(e) => fail(&e.to_string(), crate::exit::Exit::CheckFailed),
                };
            }
            "--" => {
                argv = it.by_ref().cloned().collect();
            }
            _ => return fail(usage, crate::exit::Exit::Usage),
        }
    }
    match hand_over {
        Some(control) if !ports.is_empty() && forwards.is_empty() && tunnels.is_empty() => {
            return match hand_over_and_exec(&control, &ports, &argv) {
                EgressError::Usage(e) => fail(&format!("{e}\n{usage}"), crate::exit::Exit::Usage),
                e => fail(&e.to_string(), crate::exit::Exit::CheckFailed),
            };
        }
        Some(_) => return fail(usage, crate::exit::Exit::Usage),
        None if !ports.is_empty() => return fail(usage, crate::exit::Exit::Usage),
        None => {}
    }
    match run_command(&forwards, &tunnels, &argv) {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            let code = status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(1);
            std::process::exit(code)
        }
        Err(EgressError::Usage(e)) => fail(&format!("{e}\n{usage}"), crate::exit::Exit::Usage),
        Err(e) => fail(&e.to_string(), crate::exit::Exit::CheckFailed),
    }
}

fn fail(msg: &str, exit: crate::exit::Exit) -> crate::exit::Exit {
    let _ = io::Write::write_all(
        &mut io::stderr(),
        format!("blastwall sandbox-bridge: {}\n", crate::redact::text(msg)).as_bytes(),
    );
    exit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_specs() {
        assert_eq!(
            Forward::parse("3128=/run/x/http.sock").unwrap(),
            Forward {
                port: 3128,
                socket: "/run/x/http.sock".into()
            }
        );
        assert!(Forward::parse("3128").is_err());
        assert!(Forward::parse("x=/s").is_err());
        assert!(Forward::parse("70000=/s").is_err());
    }

    #[test]
    fn relays_tcp_to_a_unix_socket() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("echo.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).unwrap();
            buf.reverse();
            s.write_all(&buf).unwrap();
        });
        // Port 0 is not useful to a client; find a free port first.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        start(&[Forward { port, socket: sock }]).unwrap();
        let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        c.write_all(b"hello").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert_eq!(out, "olleh");
    }
}
