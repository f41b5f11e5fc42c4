//! The per-call proxy: HTTP (CONNECT and plain forward) and SOCKS5 servers, one thread per
//! connection, gone when the [`Proxy`] is dropped. A sandbox reaches them on its own loopback
//! (`127.0.0.1:3128`, `:1080`, and one port per listed loopback service): the bridge inside
//! hands those listening sockets to the proxy over the control socket in the proxy's private
//! directory ([`super::handover`]), and the proxy accepts on them itself: that is the only
//! way in. (Unit tests also reach the servers on two unix sockets, `http.sock` and
//! `socks.sock`, which only a test build makes.)
//!
//! Every connection is checked three times: the host asked for against the
//! [`EgressPolicy`], the addresses it resolves to (rebinding), and, for port 443, the server
//! name in the TLS ClientHello against the host asked for.
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::policy::{normalize_host, EgressPolicy, Reason, Refusal};
use super::tls::{self, Hello};
use super::{handover, EgressError, HTTP_PORT, SOCKS_PORT};

/// How the proxy turns names into addresses. Inside the sandbox nothing resolves (no
/// resolver, no network), so a DNS query cannot carry data out: only the proxy resolves.
#[derive(Clone, Debug, Default)]
pub enum Resolver {
    /// The system resolver (`getaddrinfo`).
    #[default]
    System,
    /// A fixed table, for tests: names not in it do not resolve. Built in code only; nothing
    /// the agent controls (environment, files) can select it.
    Fixed(HashMap<String, Vec<IpAddr>>),
}

impl Resolver {
    fn resolve(&self, host: &str, port: u16) -> Vec<SocketAddr> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return vec![SocketAddr::new(ip, port)];
        }
        match self {
            Self::System => (host, port)
                .to_socket_addrs()
                .map(Iterator::collect)
                .unwrap_or_default(),
            Self::Fixed(map) => map
                .get(host)
                .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
                .unwrap_or_default(),
        }
    }
}

/// Called once per refused connection (audit record, a line on the tool's stderr).
pub type OnRefusal = Arc<dyn Fn(&Refusal) + Send + Sync>;

/// Everything a proxy needs.
#[derive(Clone)]
pub struct ProxyConfig {
    /// The rules.
    pub policy: EgressPolicy,
    /// Name resolution.
    pub resolver: Resolver,
    /// Told about every refusal.
    pub on_refusal: OnRefusal,
    /// Timeout for connecting upstream and for reading a request head.
    pub timeout: Duration,
}

impl ProxyConfig {
    /// A config with the system resolver, no refusal callback and a 30 s timeout.
    pub fn new(policy: EgressPolicy) -> Self {
        Self {
            policy,
            resolver: Resolver::System,
            on_refusal: Arc::new(|_| {}),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A running proxy. Dropping it stops the servers and removes the sockets and their directory
/// (connections already open finish on their own threads).
pub struct Proxy {
    dir: PathBuf,
    #[cfg(test)]
    http: PathBuf,
    #[cfg(test)]
    socks: PathBuf,
    control: PathBuf,
    /// What each handed-over listener's port is for.
    expected: Vec<(u16, Kind)>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// The handed-over listeners (to wake their accept loops on drop) and their threads.
    passed: Arc<Mutex<Passed>>,
}

#[derive(Default)]
struct Passed {
    listeners: Vec<TcpListener>,
    threads: Vec<JoinHandle<()>>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Create a fresh directory of mode 0700 under `parent`.
fn private_dir(parent: &Path) -> Result<PathBuf, EgressError> {
    for _ in 0..100 {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("egress-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(EgressError::Io("creating the proxy directory", e)),
        }
    }
    Err(EgressError::Io(
        "creating the proxy directory",
        io::Error::other("too many existing directories"),
    ))
}

impl Proxy {
    /// Start both servers in a new private directory under `parent` (which should itself be
    /// private to the user, e.g. the call's runtime directory).
    ///
    /// The listeners a sandbox hands over are expected on [`HTTP_PORT`], [`SOCKS_PORT`] and
    /// each loopback port of the policy's `allow_hosts` ([`super::loopback_ports`]).
    pub fn start(config: ProxyConfig, parent: &Path) -> Result<Self, EgressError> {
        Self::start_on(config, parent, HTTP_PORT, SOCKS_PORT)
    }

    /// [`Proxy::start`], expecting the HTTP and SOCKS5 listeners on other ports (tests, which
    /// hand over listeners from the machine's own loopback).
    pub fn start_on(
        config: ProxyConfig,
        parent: &Path,
        http_port: u16,
        socks_port: u16,
    ) -> Result<Self, EgressError> {
        let dir = private_dir(parent)?;
        let control = dir.join(handover::CONTROL_SOCKET);
        let cl = match UnixListener::bind(&control) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(EgressError::Io("binding the proxy's control socket", e));
            }
        };
        let mut expected = vec![(http_port, Kind::Http), (socks_port, Kind::Socks)];
        expected.extend(
            super::loopback_ports(&config.policy.allow_hosts)
                .into_iter()
                .filter(|p| *p != http_port && *p != socks_port)
                .map(|p| (p, Kind::Tunnel(p))),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let passed = Arc::new(Mutex::new(Passed::default()));
        let config = Arc::new(config);
        let mut proxy = Self {
            #[cfg(test)]
            http: dir.join("http.sock"),
            #[cfg(test)]
            socks: dir.join("socks.sock"),
            dir,
            control: control.clone(),
            expected: expected.clone(),
            stop: Arc::clone(&stop),
            threads: Vec::new(),
            passed: Arc::clone(&passed),
        };
        #[cfg(test)]
        for (path, kind) in [
            (proxy.http.clone(), Kind::Http),
            (proxy.socks.clone(), Kind::Socks),
        ] {
            let listener = UnixListener::bind(path)
                .map_err(|e| EgressError::Io("binding a proxy socket", e))?;
            let (stop, config) = (Arc::clone(&stop), Arc::clone(&config));
            let t = std::thread::Builder::new()
                .name("blastwall-egress".into())
                .spawn(move || serve(&listener, kind, &stop, &config))
                .map_err(|e| EgressError::Io("starting the proxy", e))?;
            proxy.threads.push(t);
        }
        let t = std::thread::Builder::new()
            .name("blastwall-egress-control".into())
            .spawn(move || take_listeners(&cl, &control, &expected, &stop, &config, &passed))
            .map_err(|e| EgressError::Io("starting the proxy", e))?;
        proxy.threads.push(t);
        Ok(proxy)
    }

    /// The control socket a sandbox's bridge hands its listeners over (one connection, then
    /// it is gone).
    pub fn control_socket(&self) -> &Path {
        &self.control
    }

    /// The ports the proxy expects listeners on, in the order they should be handed over:
    /// HTTP, SOCKS5, then the loopback tunnels.
    pub fn listener_ports(&self) -> Vec<u16> {
        self.expected.iter().map(|(p, _)| *p).collect()
    }

    /// The HTTP proxy's unix socket (CONNECT and absolute-URI requests; test builds only).
    #[cfg(test)]
    pub(crate) fn http_socket(&self) -> &Path {
        &self.http
    }

    /// The SOCKS5 proxy's unix socket (CONNECT with names or listed addresses; no UDP, no
    /// BIND; test builds only).
    #[cfg(test)]
    pub(crate) fn socks_socket(&self) -> &Path {
        &self.socks
    }

    /// The private directory holding the control socket (bind-mount it into the sandbox).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loops (the control socket's is gone once it took its connection).
        #[cfg(test)]
        {
            let _ = UnixStream::connect(&self.http);
            let _ = UnixStream::connect(&self.socks);
        }
        let _ = UnixStream::connect(&self.control);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // The control thread is done: every handed-over listener is registered. Shutting a
        // listening socket down wakes its accept loop (which then sees `stop`).
        let passed = std::mem::take(&mut *self.passed.lock().unwrap_or_else(|e| e.into_inner()));
        for l in &passed.listeners {
            let _ = rustix::net::shutdown(l, rustix::net::Shutdown::Both);
        }
        for t in passed.threads {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The HTTP proxy (CONNECT and absolute-URI requests).
    Http,
    /// The SOCKS5 proxy.
    Socks,
    /// A loopback service listed as `127.0.0.1:PORT`: each connection is a tunnel to that
    /// port of the machine's loopback, as `CONNECT 127.0.0.1:PORT` would be.
    Tunnel(u16),
}

/// A client's connection: accepted on a listener a sandbox handed over, or (test builds) on
/// one of the proxy's unix sockets.
enum Conn {
    #[cfg(test)]
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Conn {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            #[cfg(test)]
            Self::Unix(s) => Self::Unix(s.try_clone()?),
            Self::Tcp(s) => Self::Tcp(s.try_clone()?),
        })
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            #[cfg(test)]
            Self::Unix(s) => s.shutdown(how),
            Self::Tcp(s) => s.shutdown(how),
        }
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            #[cfg(test)]
            Self::Unix(s) => s.set_read_timeout(t),
            Self::Tcp(s) => s.set_read_timeout(t),
        }
    }
}

impl Read for &Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match *self {
            #[cfg(test)]
            Conn::Unix(s) => (&*s).read(buf),
            Conn::Tcp(s) => (&*s).read(buf),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for &Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match *self {
            #[cfg(test)]
            Conn::Unix(s) => (&*s).write(buf),
            Conn::Tcp(s) => (&*s).write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            #[cfg(test)]
            Self::Unix(s) => s.as_fd(),
            Self::Tcp(s) => s.as_fd(),
        }
    }
}

/// Serve one connection on its own thread.
fn handle(conn: Conn, kind: Kind, config: &Arc<ProxyConfig>) {
    let config = Arc::clone(config);
    let _ = std::thread::Builder::new()
        .name("blastwall-egress-conn".into())
        .spawn(move || {
            let _ = match kind {
                Kind::Http => http(conn, &config),
                Kind::Socks => socks(conn, &config),
                Kind::Tunnel(port) => loopback_tunnel(conn, &config, port),
            };
        });
}

#[cfg(test)]
fn serve(listener: &UnixListener, kind: Kind, stop: &AtomicBool, config: &Arc<ProxyConfig>) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(conn) = conn else { continue };
        handle(Conn::Unix(conn), kind, config);
    }
}

/// Accept on a handed-over listener until the proxy stops (its drop shuts the listener down,
/// which wakes `accept`) or the listener fails for good.
fn serve_tcp(listener: &TcpListener, kind: Kind, stop: &AtomicBool, config: &Arc<ProxyConfig>) {
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match accepted {
            Ok((conn, _)) => {
                let _ = conn.set_nodelay(true);
                handle(Conn::Tcp(conn), kind, config);
            }
            Err(e) => match rustix::io::Errno::from_io_error(&e) {
                // Out of descriptors or memory: wait, the connections in flight free some.
                Some(
                    rustix::io::Errno::MFILE
                    | rustix::io::Errno::NFILE
                    | rustix::io::Errno::NOBUFS
                    | rustix::io::Errno::NOMEM,
                ) => std::thread::sleep(Duration::from_millis(20)),
                // The client gave up before it was accepted; a signal.
                Some(rustix::io::Errno::CONNABORTED | rustix::io::Errno::INTR) => {}
                _ => break,
            },
        }
    }
}

/// The control socket's one connection: receive the sandbox's listeners, check them against
/// `expected`, and serve each; answer the bridge either way (it runs the command only after
/// [`handover::ACCEPTED`]).
fn take_listeners(
    control: &UnixListener,
    path: &Path,
    expected: &[(u16, Kind)],
    stop: &Arc<AtomicBool>,
    config: &Arc<ProxyConfig>,
    passed: &Mutex<Passed>,
) {
    let accepted = control.accept();
    // One connection only: whoever connects later (the command itself) finds nothing.
    let _ = std::fs::remove_file(path);
    if stop.load(Ordering::SeqCst) {
        return;
    }
    let Ok((conn, _)) = accepted else { return };
    let _ = conn.set_read_timeout(Some(config.timeout));
    let _ = conn.set_write_timeout(Some(config.timeout));
    let taken = handover::receive(&conn)
        .map_err(|e| e.to_string())
        .and_then(|fds| handover::assign(fds, expected));
    let answer = match taken {
        Ok(listeners) => {
            let mut p = passed.lock().unwrap_or_else(|e| e.into_inner());
            let mut failed = None;
            for (kind, l) in listeners {
                let spawned = l.try_clone().and_then(|mine| {
                    let (stop, config) = (Arc::clone(stop), Arc::clone(config));
                    std::thread::Builder::new()
                        .name("blastwall-egress".into())
                        .spawn(move || serve_tcp(&mine, kind, &stop, &config))
                });
                match spawned {
                    Ok(t) => {
                        p.listeners.push(l);
                        p.threads.push(t);
                    }
                    Err(e) => {
                        failed = Some(format!("cannot serve a listener: {e}"));
                        break;
                    }
                }
            }
            match failed {
                None => handover::ACCEPTED.to_vec(),
                Some(why) => {
                    // Serve none rather than some: the bridge will not run the command.
                    for l in &p.listeners {
                        let _ = rustix::net::shutdown(l, rustix::net::Shutdown::Both);
                    }
                    format!("{why}\n").into_bytes()
                }
            }
        }
        Err(why) => format!("{why}\n").into_bytes(),
    };
    let _ = (&conn).write_all(&answer);
}

/// Longest request line or header line, and most header lines, accepted.
const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 200;

/// Read one CRLF- or LF-terminated line (without the terminator), bounded.
fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if buf.last() != Some(&b'\n') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

fn read_headers(r: &mut impl BufRead) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            return Ok(out);
        }
        if out.len() >= MAX_HEADERS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "too many headers",
            ));
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad header"))?;
        out.push((k.trim().to_owned(), v.trim().to_owned()));
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Split `host:port` / `[v6]:port` / `host` (with a default port).
fn host_port(s: &str, default: Option<u16>) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if tail.is_empty() => default?,
            None => return None,
        };
        return Some((h.to_owned(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h.to_owned(), p.parse().ok()?)),
        Some(_) => None, // a bare IPv6 address needs brackets
        None => Some((s.to_owned(), default?)),
    }
}

fn refuse(config: &ProxyConfig, r: &Refusal) {
    (config.on_refusal)(r);
}

fn bad(host: &str, port: u16, why: impl Into<String>) -> Refusal {
    Refusal {
        host: host.to_owned(),
        port,
        reason: Reason::BadRequest(why.into()),
    }
}

/// Check, resolve, check the addresses, connect.
fn open(config: &ProxyConfig, host: &str, port: u16) -> Result<TcpStream, Refusal> {
    config.policy.check(host, port)?;
    let name = normalize_host(host).unwrap_or_default();
    let addrs = config.resolver.resolve(&name, port);
    config.policy.check_resolved(&name, &addrs)?;
    let mut last = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, config.timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(bad(
        &name,
        port,
        format!(
            "cannot connect: {}",
            last.map_or_else(|| "no address".to_owned(), |e| e.to_string())
        ),
    ))
}

/// For port 443, read the ClientHello and check that its server name is the host asked for.
/// Returns the bytes read, to be sent on.
fn check_sni(client: &mut impl Read, host: &str, port: u16) -> Result<Vec<u8>, Refusal> {
    if port != 443 {
        return Ok(Vec::new());
    }
    let mut buf = Vec::with_capacity(2048);
    let mut want = 5;
    loop {
        while buf.len() < want {
            let mut chunk = [0u8; 4096];
            let room = want.saturating_sub(buf.len()).min(chunk.len());
            let n = client
                .read(chunk.get_mut(..room).unwrap_or_default())
                .map_err(|e| bad(host, port, format!("reading the TLS ClientHello: {e}")))?;
            if n == 0 {
                return Err(bad(
                    host,
                    port,
                    "the client closed before a TLS ClientHello",
                ));
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        match tls::client_hello(&buf) {
            Hello::NeedMore(n) if n <= tls::MAX_RECORD && n > buf.len() => want = n,
            Hello::Sni(Some(name)) => {
                let asked = normalize_host(host).unwrap_or_default();
                let name = name.strip_suffix('.').unwrap_or(&name).to_owned();
                return if name == asked {
                    Ok(buf)
                } else {
                    Err(Refusal {
                        host: asked,
                        port,
                        reason: Reason::Sni(format!(
                            "the TLS handshake names `{}`, not the host the tunnel was opened for",
                            name.chars().take(253).collect::<String>()
                        )),
                    })
                };
            }
            // Without SNI the server picks its default certificate: fine only for a listed
            // address (a name without SNI could be fronting for anything on that address).
            Hello::Sni(None) if host.parse::<IpAddr>().is_ok() => return Ok(buf),
            Hello::Sni(None) => {
                return Err(Refusal {
                    host: host.to_owned(),
                    port,
                    reason: Reason::Sni("the TLS handshake names no server (SNI)".into()),
                })
            }
            Hello::NotTls | Hello::NeedMore(_) | Hello::Malformed => {
                return Err(Refusal {
                    host: host.to_owned(),
                    port,
                    reason: Reason::Sni(
                        "port 443 carries something other than one readable TLS ClientHello".into(),
                    ),
                })
            }
        }
    }
}

/// Copy both ways until both sides are done.
fn splice(client: Conn, upstream: TcpStream) -> io::Result<()> {
    let (c_read, u_write) = (client.try_clone()?, upstream.try_clone()?);
    let up = std::thread::Builder::new()
        .name("blastwall-egress-up".into())
        .spawn(move || {
            let _ = super::relay_sockets(&c_read, &u_write);
            let _ = u_write.shutdown(Shutdown::Write);
        })?;
    let (u_read, c_write) = (upstream, client);
    let _ = super::relay_sockets(&u_read, &c_write);
    let _ = c_write.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// A connection on a loopback tunnel's port: as `CONNECT 127.0.0.1:PORT`, without the
/// request (the rules, the refusal report, the ClientHello check on 443 are the same; the
/// client, which spoke to its own loopback, sees the connection closed when refused).
fn loopback_tunnel(conn: Conn, config: &ProxyConfig, port: u16) -> io::Result<()> {
    let host = "127.0.0.1";
    let upstream = match open(config, host, port) {
        Ok(u) => u,
        Err(r) => {
            refuse(config, &r);
            return conn.shutdown(Shutdown::Both);
        }
    };
    conn.set_read_timeout(Some(config.timeout))?;
    let early = match check_sni(&mut &conn, host, port) {
        Ok(b) => b,
        Err(r) => {
            refuse(config, &r);
            return conn.shutdown(Shutdown::Both);
        }
    };
    conn.set_read_timeout(None)?;
    (&upstream).write_all(&early)?;
    splice(conn, upstream)
}

fn http_error(mut out: impl Write, code: u16, text: &str, body: &str) -> io::Result<()> {
    let body = format!("{body}\n");
    write!(
        out,
        "HTTP/1.1 {code} {text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nX-Blastwall: refused\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

/// Answer a refusal on the HTTP proxy: a 403 whose reason phrase and body say why.
fn http_refuse(out: impl Write, config: &ProxyConfig, r: &Refusal) -> io::Result<()> {
    refuse(config, r);
    let (code, phrase) = match r.reason {
        Reason::BadRequest(_) => (502, "Bad Gateway (blastwall egress)"),
        _ => (403, "Forbidden by blastwall egress policy"),
    };
    http_error(out, code, phrase, &r.to_string())
}

fn http(conn: Conn, config: &ProxyConfig) -> io::Result<()> {
    conn.set_read_timeout(Some(config.timeout))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let line = read_line(&mut reader)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return http_refuse(&conn, config, &bad("-", 0, "not an HTTP request line"));
    };
    let headers = read_headers(&mut reader)?;
    if method.eq_ignore_ascii_case("CONNECT") {
        let Some((host, port)) = host_port(target, None) else {
            return http_refuse(&conn, config, &bad(target, 0, "CONNECT needs host:port"));
        };
        let upstream = match open(config, &host, port) {
            Ok(u) => u,
            Err(r) => return http_refuse(&conn, config, &r),
        };
        (&conn).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let early = match check_sni(&mut reader, &host, port) {
            Ok(b) => b,
            Err(r) => {
                refuse(config, &r);
                return conn.shutdown(Shutdown::Both);
            }
        };
        conn.set_read_timeout(None)?;
        let mut up = &upstream;
        up.write_all(&early)?;
        up.write_all(reader.buffer())?;
        return splice(conn, upstream);
    }
    forward(conn, reader, config, method, target, version, &headers)
}

/// A plain-HTTP request with an absolute URI: one request per connection, `Connection: close`
/// both ways, so a second request on the same connection cannot reach another host.
fn forward(
    conn: Conn,
    mut reader: BufReader<Conn>,
    config: &ProxyConfig,
    method: &str,
    target: &str,
    version: &str,
    headers: &[(String, String)],
) -> io::Result<()> {
    let Some(rest) = target
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"))
        .and_then(|_| target.get(7..))
    else {
        let why = if target.to_ascii_lowercase().starts_with("https://") {
            "https:// URLs go through CONNECT (set HTTPS_PROXY), not a plain request"
        } else {
            "a proxy request needs an absolute http:// URL"
        };
        return http_refuse(&conn, config, &bad("-", 0, why));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    if authority.contains('@') {
        return http_refuse(&conn, config, &bad("-", 0, "user info in a proxy URL"));
    }
    let Some((host, port)) = host_port(authority, Some(80)) else {
        return http_refuse(&conn, config, &bad(authority, 0, "bad host in the URL"));
    };
    if let Some(h) = header(headers, "host") {
        let same = host_port(h, Some(port))
            .and_then(|(hh, _)| normalize_host(&hh))
            .is_some_and(|hh| Some(hh) == normalize_host(&host));
        if !same {
            return http_refuse(
                &conn,
                config,
                &bad(
                    &host,
                    port,
                    "the Host header names another host than the URL",
                ),
            );
        }
    }
    let te = header(headers, "transfer-encoding");
    if te.is_some_and(|t| !t.eq_ignore_ascii_case("chunked")) {
        return http_refuse(
            &conn,
            config,
            &bad(&host, port, "unsupported Transfer-Encoding"),
        );
    }
    let length = match header(headers, "content-length") {
        Some(v) if te.is_none() => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return http_refuse(&conn, config, &bad(&host, port, "bad Content-Length")),
        },
        _ => None,
    };
    let upstream = match open(config, &host, port) {
        Ok(u) => u,
        Err(r) => return http_refuse(&conn, config, &r),
    };
    let mut head = format!("{method} {path} {version}\r\n");
    let mut has_host = false;
    for (k, v) in headers {
        let lk = k.to_ascii_lowercase();
        if lk.starts_with("proxy-") || lk == "connection" || lk == "keep-alive" || lk == "expect" {
            continue;
        }
        has_host |= lk == "host";
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_host {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut up = &upstream;
    up.write_all(head.as_bytes())?;
    if header(headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        (&conn).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    conn.set_read_timeout(None)?;
    if te.is_some() {
        copy_chunked(&mut reader, &mut up)?;
    } else if let Some(n) = length {
        let copied = io::copy(&mut (&mut reader).take(n), &mut up)?;
        if copied != n {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    up.flush()?;
    // The response: its head with `Connection: close`, then everything until upstream closes.
    let mut ureader = BufReader::new(upstream.try_clone()?);
    let status = read_line(&mut ureader)?;
    let rheaders = read_headers(&mut ureader)?;
    let mut out = format!("{status}\r\n");
    for (k, v) in &rheaders {
        let lk = k.to_ascii_lowercase();
        if lk == "connection" || lk == "keep-alive" || lk == "proxy-connection" {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut c = &conn;
    c.write_all(out.as_bytes())?;
    // What the head's reader already holds, then the rest straight from the socket.
    c.write_all(ureader.buffer())?;
    drop(ureader);
    super::relay_sockets(&upstream, &conn)?;
    let _ = conn.shutdown(Shutdown::Both);
    let _ = upstream.shutdown(Shutdown::Both);
    Ok(())
}

/// Relay a chunked body as is, frame by frame, stopping after the last chunk and trailers.
fn copy_chunked(r: &mut impl BufRead, w: &mut impl Write) -> io::Result<()> {
    loop {
        let line = read_line(r)?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        w.write_all(format!("{line}\r\n").as_bytes())?;
        if size == 0 {
            loop {
                let t = read_line(r)?;
                w.write_all(format!("{t}\r\n").as_bytes())?;
                if t.is_empty() {
                    return Ok(());
                }
            }
        }
        let copied = io::copy(&mut r.take(size), w)?;
        if copied != size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let end = read_line(r)?;
        if !end.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad chunk end"));
        }
        w.write_all(b"\r\n")?;
    }
}

/// SOCKS5 reply codes (RFC 1928).
const SOCKS_NOT_ALLOWED: u8 = 2;
const SOCKS_UNREACHABLE: u8 = 4;
const SOCKS_NO_COMMAND: u8 = 7;
const SOCKS_NO_ATYP: u8 = 8;

fn socks_reply(mut w: impl Write, code: u8) -> io::Result<()> {
    w.write_all(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0])?;
    w.flush()
}

fn socks(conn: Conn, config: &ProxyConfig) -> io::Result<()> {
    conn.set_read_timeout(Some(config.timeout))?;
    let mut r = BufReader::new(conn.try_clone()?);
    let mut two = [0u8; 2];
    r.read_exact(&mut two)?;
    let [ver, n] = two;
    let mut methods = vec![0u8; usize::from(n)];
    r.read_exact(&mut methods)?;
    if ver != 5 || !methods.contains(&0) {
        (&conn).write_all(&[5, 0xff])?;
        return Ok(());
    }
    (&conn).write_all(&[5, 0])?;
    let mut req = [0u8; 4];
    r.read_exact(&mut req)?;
    let [ver, cmd, _, atyp] = req;
    let host = match atyp {
        1 => {
            let mut a = [0u8; 4];
            r.read_exact(&mut a)?;
            IpAddr::from(a).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            r.read_exact(&mut len)?;
            let mut name = vec![0u8; usize::from(len[0])];
            r.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut a = [0u8; 16];
            r.read_exact(&mut a)?;
            IpAddr::from(a).to_string()
        }
        _ => return socks_reply(&conn, SOCKS_NO_ATYP),
    };
    let mut p = [0u8; 2];
    r.read_exact(&mut p)?;
    let port = u16::from_be_bytes(p);
    if ver != 5 || cmd != 1 {
        refuse(
            config,
            &bad(
                &host,
                port,
                "only SOCKS5 CONNECT is supported (no BIND, no UDP)",
            ),
        );
        return socks_reply(&conn, SOCKS_NO_COMMAND);
    }
    let upstream = match open(config, &host, port) {
        Ok(u) => u,
        Err(r) => {
            refuse(config, &r);
            let code = match r.reason {
                Reason::BadRequest(_) => SOCKS_UNREACHABLE,
                _ => SOCKS_NOT_ALLOWED,
            };
            return socks_reply(&conn, code);
        }
    };
    socks_reply(&conn, 0)?;
    let early = match check_sni(&mut r, &host, port) {
        Ok(b) => b,
        Err(e) => {
            refuse(config, &e);
            return conn.shutdown(Shutdown::Both);
        }
    };
    conn.set_read_timeout(None)?;
    let mut up = &upstream;
    up.write_all(&early)?;
    up.write_all(r.buffer())?;
    splice(conn, upstream)
}

#[cfg(test)]
mod tests;
