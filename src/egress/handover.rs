//! Handing the sandbox's listening sockets to the proxy outside, so that the proxy accepts the
//! sandboxed command's connections itself (one relay hop, as any proxy) and the bridge is out
//! of the data path.
//!
//! The bridge (`blastwall sandbox-bridge --hand-over`, the first process in the sandbox) binds
//! `127.0.0.1:3128`, `:1080` and the loopback tunnel ports inside the sandbox's network
//! namespace, sends those listening sockets over the proxy's control socket with `SCM_RIGHTS`,
//! waits for the proxy's answer and only then runs the command (it `exec`s it). A socket keeps
//! the namespace it was made in, so the proxy, outside, accepts connections made inside; what
//! it then does with each is what it did with the bridge's relayed ones: the same rules, the
//! same refusals.
//!
//! The proxy trusts nothing in the message but the descriptors, and those only after checking
//! each ([`listener_port`]): a listening TCP socket bound to `127.0.0.1`, on a port the proxy
//! itself expects, each expected port exactly once. Which server a port gets (HTTP, SOCKS5, a
//! tunnel to the same port on the machine's loopback) is the proxy's own table, never the
//! sender's word. The control socket takes one connection and is removed; anything wrong
//! (no descriptors, a stranger socket, a missing or extra port, a truncated message) is
//! answered with the reason, and the bridge then exits without running the command: the call
//! fails closed, with no network rather than an unjudged one.
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags,
    SendAncillaryBuffer, SendAncillaryMessage, SendFlags,
};

/// The control socket's name in the proxy's private directory.
pub const CONTROL_SOCKET: &str = "control.sock";

/// The bytes that come with the descriptors (a version, so a mismatched binary is refused).
const MAGIC: &[u8] = b"blastwall-listeners/1";

/// Most descriptors one hand-over carries (Linux caps it at 253, `SCM_MAX_FD`).
pub const MAX_LISTENERS: usize = 64;

/// The proxy's answer when it took the listeners; anything else is the reason it did not.
pub(crate) const ACCEPTED: &[u8] = b"ok\n";

/// Longest answer read.
const MAX_ANSWER: u64 = 4096;

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// The bridge's side: send `listeners` over the proxy's control socket at `control` and wait
/// (at most `timeout`) for its answer. `Ok` only when the proxy said it took them all.
pub fn send(control: &Path, listeners: &[TcpListener], timeout: Duration) -> io::Result<()> {
    if listeners.is_empty() || listeners.len() > MAX_LISTENERS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} listeners (1 to {MAX_LISTENERS})", listeners.len()),
        ));
    }
    let s = UnixStream::connect(control)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let fds: Vec<BorrowedFd<'_>> = listeners.iter().map(AsFd::as_fd).collect();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
    let mut cmsg = SendAncillaryBuffer::new(&mut space);
    if !cmsg.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("the descriptors do not fit the message"));
    }
    let sent = sendmsg(&s, &[IoSlice::new(MAGIC)], &mut cmsg, SendFlags::NOSIGNAL)?;
    if sent != MAGIC.len() {
        return Err(io::Error::other("the hand-over message was cut short"));
    }
    let mut answer = Vec::new();
    (&s).take(MAX_ANSWER).read_to_end(&mut answer)?;
    if answer == ACCEPTED {
        return Ok(());
    }
    let why = String::from_utf8_lossy(&answer);
    let why = why.trim();
    Err(io::Error::other(if why.is_empty() {
        "the egress proxy closed the control socket without taking the listeners".to_owned()
    } else {
        format!("the egress proxy refused the listeners: {why}")
    }))
}

/// The proxy's side: one message from `conn`, its descriptors (close-on-exec). An error when
/// the message is not a hand-over or lost descriptors (more than [`MAX_LISTENERS`]).
pub(crate) fn receive(conn: &UnixStream) -> io::Result<Vec<OwnedFd>> {
    let mut buf = [0u8; 64];
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_LISTENERS))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let msg = recvmsg(
        conn,
        &mut [IoSliceMut::new(&mut buf)],
        &mut cmsg,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    let mut fds = Vec::new();
    for m in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(got) = m {
            fds.extend(got);
        }
    }
    // The buffer's alignment slack may hold a few more than the cap: those count as too many.
    if msg.flags.contains(ReturnFlags::CTRUNC) || fds.len() > MAX_LISTENERS {
        return Err(invalid(format!(
            "more than {MAX_LISTENERS} descriptors (the rest were lost)"
        )));
    }
    if buf.get(..msg.bytes) != Some(MAGIC) {
        return Err(invalid(if msg.bytes == 0 {
            "the control connection closed without a message"
        } else {
            "not a listener hand-over message (another blastwall version?)"
        }));
    }
    if fds.is_empty() {
        return Err(invalid("the message carries no descriptor"));
    }
    Ok(fds)
}

/// What a handed-over descriptor must be: a listening TCP socket bound to `127.0.0.1`.
/// Returns its port and the listener.
pub(crate) fn listener_port(fd: OwnedFd) -> Result<(u16, TcpListener), String> {
    use rustix::net::{ipproto, sockopt, SocketType};
    if sockopt::socket_type(&fd).ok() != Some(SocketType::STREAM) {
        return Err("a descriptor is not a stream socket".into());
    }
    if sockopt::socket_protocol(&fd).ok().flatten() != Some(ipproto::TCP) {
        return Err("a descriptor is not a TCP socket".into());
    }
    if sockopt::socket_acceptconn(&fd).ok() != Some(true) {
        return Err("a descriptor is not a listening socket".into());
    }
    let l = TcpListener::from(fd);
    match l.local_addr() {
        Ok(SocketAddr::V4(a)) if *a.ip() == Ipv4Addr::LOCALHOST => Ok((a.port(), l)),
        Ok(a) => Err(format!("a listener is bound to {a}, not to 127.0.0.1")),
        Err(e) => Err(format!("a listener has no address ({e})")),
    }
}

/// Match `fds` to `expected` ports: each descriptor a listener ([`listener_port`]) on one of
/// them, each expected port exactly once. Returns the listeners with what `expected` says
/// each port is for.
pub(crate) fn assign<K: Copy>(
    fds: Vec<OwnedFd>,
    expected: &[(u16, K)],
) -> Result<Vec<(K, TcpListener)>, String> {
    let mut out: Vec<(u16, K, TcpListener)> = Vec::new();
    for fd in fds {
        let (port, l) = listener_port(fd)?;
        let Some(&(_, kind)) = expected.iter().find(|(p, _)| *p == port) else {
            return Err(format!(
                "a listener is on port {port}, which is not expected"
            ));
        };
        if out.iter().any(|(p, _, _)| *p == port) {
            return Err(format!("two listeners on port {port}"));
        }
        out.push((port, kind, l));
    }
    if let Some((p, _)) = expected
        .iter()
        .find(|(p, _)| !out.iter().any(|(q, _, _)| q == p))
    {
        return Err(format!("no listener on port {p}"));
    }
    Ok(out.into_iter().map(|(_, k, l)| (k, l)).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    fn listener() -> (u16, TcpListener) {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        (l.local_addr().unwrap().port(), l)
    }

    /// Send `fds` with `payload` on one end of a pair, receive on the other.
    fn over_a_pair(payload: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<Vec<OwnedFd>> {
        let (a, b) = UnixStream::pair().unwrap();
        let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len()))];
        let mut cmsg = SendAncillaryBuffer::new(&mut space);
        assert!(cmsg.push(SendAncillaryMessage::ScmRights(fds)));
        sendmsg(&a, &[IoSlice::new(payload)], &mut cmsg, SendFlags::empty()).unwrap();
        drop(a);
        receive(&b)
    }

    #[test]
    fn listeners_arrive_and_are_matched_to_the_expected_ports() {
        let (p1, l1) = listener();
        let (p2, l2) = listener();
        let fds = over_a_pair(MAGIC, &[l1.as_fd(), l2.as_fd()]).unwrap();
        assert_eq!(fds.len(), 2);
        let got = assign(fds, &[(p2, 'b'), (p1, 'a')]).unwrap();
        let mut kinds: Vec<(char, u16)> = got
            .iter()
            .map(|(k, l)| (*k, l.local_addr().unwrap().port()))
            .collect();
        kinds.sort_unstable();
        assert_eq!(kinds, [('a', p1), ('b', p2)]);
    }

    #[test]
    fn a_received_listener_accepts_connections_made_to_the_original() {
        use std::io::Write;
        let (port, l) = listener();
        let fds = over_a_pair(MAGIC, &[l.as_fd()]).unwrap();
        drop(l);
        let (_, got) = assign(fds, &[(port, ())]).unwrap().pop().unwrap();
        let mut c = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        c.write_all(b"hi").unwrap();
        let (mut s, _) = got.accept().unwrap();
        let mut buf = [0u8; 2];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");
    }

    #[test]
    fn what_is_not_a_hand_over_is_refused() {
        let (_, l) = listener();
        // Another greeting (another version).
        let e = over_a_pair(b"hello", &[l.as_fd()]).unwrap_err();
        assert!(e.to_string().contains("not a listener hand-over"), "{e}");
        // The greeting without descriptors.
        let (a, b) = UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut &a, MAGIC).unwrap();
        drop(a);
        let e = receive(&b).unwrap_err();
        assert!(e.to_string().contains("no descriptor"), "{e}");
        // Nothing at all.
        let (a, b) = UnixStream::pair().unwrap();
        drop(a);
        let e = receive(&b).unwrap_err();
        assert!(e.to_string().contains("without a message"), "{e}");
    }

    #[test]
    fn more_descriptors_than_the_cap_fail_whole() {
        let (_, l) = listener();
        // One more than the cap, and so many that the kernel cuts the message (CTRUNC).
        for n in [MAX_LISTENERS + 1, MAX_LISTENERS * 2] {
            let many: Vec<BorrowedFd<'_>> = (0..n).map(|_| l.as_fd()).collect();
            let e = over_a_pair(MAGIC, &many).unwrap_err();
            assert!(e.to_string().contains("more than"), "{n}: {e}");
        }
    }

    #[test]
    fn only_listening_tcp_sockets_on_loopback_and_expected_ports_are_taken() {
        let (port, l) = listener();
        let expected = [(port, ())];
        let fd = |b: BorrowedFd<'_>| b.try_clone_to_owned().unwrap();
        // A unix socket, a connected TCP socket, a file, a UDP socket.
        let (u, _u2) = UnixStream::pair().unwrap();
        let e = assign(vec![fd(u.as_fd())], &expected).unwrap_err();
        assert!(e.contains("not a TCP socket"), "{e}");
        let c = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let e = assign(vec![fd(c.as_fd())], &expected).unwrap_err();
        assert!(e.contains("not a listening socket"), "{e}");
        let f = std::fs::File::open("/dev/null").unwrap();
        let e = assign(vec![fd(f.as_fd())], &expected).unwrap_err();
        assert!(e.contains("not a stream socket"), "{e}");
        let udp = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let e = assign(vec![fd(udp.as_fd())], &expected).unwrap_err();
        assert!(e.contains("not a stream socket"), "{e}");
        // Bound elsewhere than 127.0.0.1.
        let any = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let any_port = any.local_addr().unwrap().port();
        let e = assign(vec![fd(any.as_fd())], &[(any_port, ())]).unwrap_err();
        assert!(e.contains("not to 127.0.0.1"), "{e}");
        // A port not asked for; one asked for twice; one missing.
        let (other, o) = listener();
        let e = assign(vec![fd(o.as_fd())], &expected).unwrap_err();
        assert!(
            e.contains(&format!("port {other}, which is not expected")),
            "{e}"
        );
        let e = assign(vec![fd(l.as_fd()), fd(l.as_fd())], &expected).unwrap_err();
        assert!(e.contains("two listeners"), "{e}");
        let e = assign(vec![fd(l.as_fd())], &[(port, ()), (other, ())]).unwrap_err();
        assert!(e.contains(&format!("no listener on port {other}")), "{e}");
        // And the right one is taken.
        assert_eq!(assign(vec![fd(l.as_fd())], &expected).unwrap().len(), 1);
    }
}
