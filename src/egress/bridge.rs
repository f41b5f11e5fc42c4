//! The bridge inside the sandbox's network namespace: TCP listeners on the sandbox's own
//! loopback for the proxy outside. It replaces sandbox-runtime's two `socat` processes and
//! runs as `blastwall sandbox-bridge`, the first process in the sandbox.
//!
//! What the runner uses: `--hand-over CONTROL --port N…` binds the listeners, hands them to
//! the proxy ([`super::handover`]), which accepts on them itself, and then `exec`s the
//! command: the bridge is out of the data path and gone. Without the proxy's "ok" it exits
//! without running anything.
//!
//! `--connect HOST PORT` is ssh's `ProxyCommand` inside the sandbox. (Until 18ed234 the bridge
//! stayed the command's parent and relayed every connection to the proxy's unix sockets: a
//! second hop, which cost a quarter to half of the relay's CPU, BENCHMARKS.md.)
use std::io;
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;

use super::EgressError;

fn pump(
    from: impl io::Read + std::os::fd::AsFd,
    to: impl io::Write + std::os::fd::AsFd,
    done: impl FnOnce(),
) {
    let _ = super::relay_sockets(from, to);
    done();
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
/// sandbox by the runner; becomes the command. On a usage or start-up error prints why on
/// stderr and exits 64 / 1 without running anything.
pub fn main(args: &[String]) -> crate::exit::Exit {
    let usage = "usage: blastwall sandbox-bridge --hand-over CONTROL_SOCKET --port PORT... -- COMMAND [ARG...]\n       blastwall sandbox-bridge --connect HOST PORT   (ssh ProxyCommand inside the sandbox)";
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
            "--connect" if hand_over.is_none() && ports.is_empty() => {
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
        Some(control) if !ports.is_empty() => match hand_over_and_exec(&control, &ports, &argv) {
            EgressError::Usage(e) => fail(&format!("{e}\n{usage}"), crate::exit::Exit::Usage),
            e => fail(&e.to_string(), crate::exit::Exit::CheckFailed),
        },
        _ => fail(usage, crate::exit::Exit::Usage),
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

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Usage errors exit 64 before anything is bound or run (the relay's `--listen` is gone).
    #[test]
    fn bad_arguments_are_usage_errors() {
        for a in [
            &[][..],
            &["--listen", "3128=/s", "--", "true"],
            &["--hand-over", "/s", "--", "true"],
            &["--port", "3128", "--", "true"],
            &["--hand-over", "/s", "--port", "x", "--", "true"],
            &[
                "--hand-over",
                "/s",
                "--hand-over",
                "/t",
                "--port",
                "1",
                "--",
                "true",
            ],
            &["--hand-over", "/s", "--port", "1", "--connect", "h", "22"],
            &["--connect", "h", "port"],
        ] {
            assert!(matches!(main(&args(a)), crate::exit::Exit::Usage), "{a:?}");
        }
        // No command after `--`: a usage error too, before anything is bound.
        assert!(matches!(
            hand_over_and_exec(std::path::Path::new("/nonexistent"), &[1], &[]),
            EgressError::Usage(_)
        ));
    }
}
