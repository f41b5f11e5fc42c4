//! The proxy against real sockets: a local upstream server, names mapped by the fixed
//! resolver, clients speaking raw HTTP and SOCKS5.
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Mutex;

use super::*;
use crate::egress::tls::tests::hello;

/// An upstream that answers every connection with what it received (request head and body),
/// as an HTTP response, or echoes raw bytes after a `RAW` greeting.
fn upstream() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let mut s = s.unwrap();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                s.set_read_timeout(Some(Duration::from_millis(300)))
                    .unwrap();
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if got.starts_with(b"RAW") {
                        s.write_all(&buf[..n]).unwrap();
                        got.clear();
                    }
                }
                if !got.is_empty() {
                    let body = String::from_utf8_lossy(&got).into_owned();
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
                        body.len()
                    );
                }
            });
        }
    });
    port
}

struct Setup {
    proxy: Proxy,
    port: u16,
    refusals: Arc<Mutex<Vec<Refusal>>>,
    _dir: tempfile::TempDir,
}

fn setup(extra: &[&str], tainted: bool) -> Setup {
    let port = upstream();
    let mut allow: Vec<String> = vec![format!("allowed.test:{port}"), format!("127.0.0.1:{port}")];
    allow.extend(extra.iter().map(|s| s.to_string()));
    let policy = EgressPolicy {
        allow_hosts: allow,
        tainted,
        ..EgressPolicy::default()
    };
    let lo = IpAddr::from(Ipv4Addr::LOCALHOST);
    let refusals = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&refusals);
    let config = ProxyConfig {
        policy,
        resolver: Resolver::Fixed(HashMap::from([
            ("allowed.test".to_owned(), vec![lo]),
            ("rebind.test".to_owned(), vec!["10.9.9.9".parse().unwrap()]),
        ])),
        on_refusal: Arc::new(move |r: &Refusal| sink.lock().unwrap().push(r.clone())),
        timeout: Duration::from_secs(5),
    };
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(config, dir.path()).unwrap();
    Setup {
        proxy,
        port,
        refusals,
        _dir: dir,
    }
}

fn exchange(sock: &Path, request: &[u8]) -> String {
    let mut c = UnixStream::connect(sock).unwrap();
    c.write_all(request).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn the_private_directory_is_0700_and_removed_on_drop() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup(&[], false);
    let dir = s.proxy.dir().to_path_buf();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(s.proxy.http_socket().starts_with(&dir) && s.proxy.socks_socket().starts_with(&dir));
    drop(s.proxy);
    assert!(!dir.exists());
}

#[test]
fn plain_http_is_forwarded_once_with_connection_close() {
    let s = setup(&[], false);
    let req = format!(
        "GET http://allowed.test:{p}/a?b=1 HTTP/1.1\r\nHost: allowed.test:{p}\r\nProxy-Connection: keep-alive\r\nUser-Agent: t\r\n\r\n",
        p = s.port
    );
    let out = exchange(s.proxy.http_socket(), req.as_bytes());
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(
        out.contains("Connection: close\r\n") && !out.contains("keep-alive\r\n\r\n"),
        "{out}"
    );
    // What upstream saw: origin-form, no proxy headers, Connection: close.
    assert!(out.contains("GET /a?b=1 HTTP/1.1\r\n"), "{out}");
    assert!(!out.contains("Proxy-Connection"), "{out}");
    assert!(s.refusals.lock().unwrap().is_empty());
}

#[test]
fn plain_http_bodies_are_relayed_by_length_and_by_chunks() {
    let s = setup(&[], false);
    let p = s.port;
    let req = format!("POST http://allowed.test:{p}/ HTTP/1.1\r\nHost: allowed.test:{p}\r\nContent-Length: 5\r\n\r\nhelloNEXT");
    let out = exchange(s.proxy.http_socket(), req.as_bytes());
    assert!(out.ends_with("\r\n\r\nhello"), "{out}");
    let req = format!("POST http://allowed.test:{p}/ HTTP/1.1\r\nHost: allowed.test:{p}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\nGET http://evil.test/ HTTP/1.1\r\n\r\n");
    let out = exchange(s.proxy.http_socket(), req.as_bytes());
    assert!(
        out.contains("5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n"),
        "{out}"
    );
    // The pipelined second request never reached upstream.
    assert!(!out.contains("evil.test"), "{out}");
}

#[test]
fn plain_http_refusals_are_readable_403s() {
    let s = setup(&[], false);
    let p = s.port;
    let cases = [
        (
            format!("GET http://unlisted.test:{p}/ HTTP/1.1\r\nHost: unlisted.test:{p}\r\n\r\n"),
            "not on this profile's network allowlist",
        ),
        (
            format!("GET http://allowed.test:{p}/ HTTP/1.1\r\nHost: other.test\r\n\r\n"),
            "Host header names another host",
        ),
        (
            "GET https://allowed.test/ HTTP/1.1\r\n\r\n".to_owned(),
            "go through CONNECT",
        ),
        (
            "GET /relative HTTP/1.1\r\nHost: allowed.test\r\n\r\n".to_owned(),
            "absolute http:// URL",
        ),
        (
            format!("GET http://10.0.0.1:{p}/ HTTP/1.1\r\n\r\n"),
            "raw IP address",
        ),
        (
            "GET http://allowed.test:8080/ HTTP/1.1\r\n\r\n".to_owned(),
            "not for port 8080",
        ),
        (
            "GET http://rebind.test/ HTTP/1.1\r\n\r\n".to_owned(),
            "not on this profile",
        ),
        (
            format!("GET http://user@allowed.test:{p}/ HTTP/1.1\r\n\r\n"),
            "user info",
        ),
    ];
    for (req, want) in &cases {
        let out = exchange(s.proxy.http_socket(), req.as_bytes());
        assert!(
            out.starts_with("HTTP/1.1 403 ") || out.starts_with("HTTP/1.1 502 "),
            "{req}: {out}"
        );
        assert!(
            out.contains(want) && out.contains("blastwall egress: refused"),
            "{req}: {out}"
        );
    }
    assert_eq!(s.refusals.lock().unwrap().len(), cases.len());
}

#[test]
fn rebinding_to_a_private_address_is_refused() {
    let s = setup(&["rebind.test"], false);
    let out = exchange(
        s.proxy.http_socket(),
        b"CONNECT rebind.test:443 HTTP/1.1\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 403 ") && out.contains("resolves to 10.9.9.9"),
        "{out}"
    );
    let r = s.refusals.lock().unwrap();
    assert_eq!(
        r[0].reason,
        Reason::PrivateAddress("10.9.9.9".parse().unwrap())
    );
}

#[test]
fn connect_tunnels_to_listed_hosts_only() {
    let s = setup(&[], false);
    let mut c = UnixStream::connect(s.proxy.http_socket()).unwrap();
    write!(
        c,
        "CONNECT allowed.test:{} HTTP/1.1\r\nHost: allowed.test\r\n\r\nRAW early",
        s.port
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("RAW early") {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"HTTP/1.1 200 "));
    let out = exchange(
        s.proxy.http_socket(),
        b"CONNECT evil.test:443 HTTP/1.1\r\n\r\n",
    );
    assert!(
        out.starts_with("HTTP/1.1 403 Forbidden by blastwall") && out.contains("evil.test:443"),
        "{out}"
    );
    let out = exchange(s.proxy.http_socket(), b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n");
    assert!(out.contains("raw IP address"), "{out}");
}

#[test]
fn tainted_sessions_refuse_allowed_hosts() {
    let s = setup(&[], true);
    let out = exchange(
        s.proxy.http_socket(),
        format!("CONNECT allowed.test:{} HTTP/1.1\r\n\r\n", s.port).as_bytes(),
    );
    assert!(
        out.starts_with("HTTP/1.1 403 ") && out.contains("tainted"),
        "{out}"
    );
    assert_eq!(s.refusals.lock().unwrap()[0].reason, Reason::Tainted);
}

#[test]
fn socks5_connects_by_name_and_refuses_with_code_2() {
    let s = setup(&[], false);
    let name = b"allowed.test";
    let mut req = vec![5, 1, 0, 5, 1, 0, 3, name.len() as u8];
    req.extend_from_slice(name);
    req.extend_from_slice(&s.port.to_be_bytes());
    req.extend_from_slice(b"RAW hi");
    let mut c = UnixStream::connect(s.proxy.socks_socket()).unwrap();
    c.write_all(&req).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = vec![0u8; 2 + 10 + 6];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got[..4], &[5, 0, 5, 0]);
    assert_eq!(&got[12..], b"RAW hi");

    for (atyp, addr) in [
        (3u8, b"evil.test".to_vec()),
        (1, vec![127, 0, 0, 2]),
        (4, [0u8; 16].to_vec()),
    ] {
        let mut req = vec![5, 1, 0, 5, 1, 0, atyp];
        if atyp == 3 {
            req.push(addr.len() as u8);
        }
        req.extend_from_slice(&addr);
        req.extend_from_slice(&443u16.to_be_bytes());
        let mut c = UnixStream::connect(s.proxy.socks_socket()).unwrap();
        c.write_all(&req).unwrap();
        let mut got = vec![0u8; 12];
        c.read_exact(&mut got).unwrap();
        assert_eq!(got[3], SOCKS_NOT_ALLOWED, "atyp {atyp}");
    }
    // UDP ASSOCIATE is not supported.
    let mut c = UnixStream::connect(s.proxy.socks_socket()).unwrap();
    c.write_all(&[5, 1, 0, 5, 3, 0, 1, 127, 0, 0, 1, 0, 53])
        .unwrap();
    let mut got = vec![0u8; 12];
    c.read_exact(&mut got).unwrap();
    assert_eq!(got[3], SOCKS_NO_COMMAND);
    assert_eq!(s.refusals.lock().unwrap().len(), 4);
}

#[test]
fn port_443_tunnels_must_name_the_same_host_in_sni() {
    let ok = hello(&["github.com"]);
    assert_eq!(check_sni(&mut &ok[..], "GitHub.com", 443).unwrap(), ok);
    let fronted = hello(&["evil.example"]);
    let r = check_sni(&mut &fronted[..], "github.com", 443).unwrap_err();
    assert!(r.to_string().contains("names `evil.example`"), "{r}");
    let none = hello(&[]);
    assert!(check_sni(&mut &none[..], "github.com", 443).is_err());
    assert!(check_sni(&mut &none[..], "10.1.2.3", 443).is_ok());
    assert!(check_sni(&mut &b"GET / HTTP/1.1\r\n\r\n"[..], "github.com", 443).is_err());
    assert!(check_sni(&mut &ok[..20], "github.com", 443).is_err());
    // Other ports are not inspected (ssh and friends speak first from the server).
    assert!(check_sni(&mut &b""[..], "git.example.com", 22)
        .unwrap()
        .is_empty());
}

#[test]
fn host_port_forms() {
    assert_eq!(host_port("a.b:443", None), Some(("a.b".into(), 443)));
    assert_eq!(host_port("[::1]:8443", None), Some(("::1".into(), 8443)));
    assert_eq!(host_port("[::1]", Some(80)), Some(("::1".into(), 80)));
    assert_eq!(host_port("a.b", Some(80)), Some(("a.b".into(), 80)));
    assert_eq!(host_port("a.b", None), None);
    assert_eq!(host_port("::1:443", None), None);
    assert_eq!(host_port("a.b:x", None), None);
}

/// The sandbox's way in: listeners handed over to the proxy (here from this process, on the
/// machine's loopback, on ports of the test's choosing), which it accepts on itself. The
/// rules are the same: a listed host passes, an unlisted one gets a 403, a tainted session
/// refuses the listed host too. (A listed loopback service's tunnel needs the sandbox's own
/// loopback: tests/integration/egress.rs, a_listed_loopback_port_is_reachable_directly.)
#[test]
fn handed_over_listeners_are_served_with_the_same_rules() {
    // The upstream on 127.0.0.2, so that its port is not a loopback tunnel (127.0.0.1:PORT).
    let up = TcpListener::bind(("127.0.0.2", 0)).unwrap();
    let port = up.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in up.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    // A local service the sandbox reaches through a tunnel port.
    let svc = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let svc_port = svc.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in svc.incoming().flatten() {
            let _ = s.write_all(b"local service\n");
        }
    });
    for tainted in [false, true] {
        let refusals = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&refusals);
        let config = ProxyConfig {
            policy: EgressPolicy {
                allow_hosts: vec![
                    format!("allowed.test:{port}"),
                    format!("127.0.0.2:{port}"),
                    format!("127.0.0.1:{svc_port}"),
                ],
                tainted,
                ..EgressPolicy::default()
            },
            resolver: Resolver::Fixed(HashMap::from([(
                "allowed.test".to_owned(),
                vec!["127.0.0.2".parse().unwrap()],
            )])),
            on_refusal: Arc::new(move |r: &Refusal| sink.lock().unwrap().push(r.clone())),
            timeout: Duration::from_secs(5),
        };
        let dir = tempfile::tempdir().unwrap();
        // The sandbox's listeners: HTTP and SOCKS5, on free ports here; the listed service's
        // port is expected too (a tunnel), and is not handed over.
        let bind = || TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let (hl, sl) = (bind(), bind());
        let (hp, sp) = (
            hl.local_addr().unwrap().port(),
            sl.local_addr().unwrap().port(),
        );
        let proxy = Proxy::start_on(config, dir.path(), hp, sp).unwrap();
        assert_eq!(proxy.listener_ports(), [hp, sp, svc_port]);
        // Without the tunnel's listener the proxy refuses the lot.
        let e = handover::send(
            proxy.control_socket(),
            &[hl.try_clone().unwrap(), sl.try_clone().unwrap()],
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("no listener on port {svc_port}")),
            "{e}"
        );
        // And takes no second hand-over: the control socket is gone.
        assert!(!proxy.control_socket().exists());
        drop(proxy);

        // No loopback service listed: the HTTP and SOCKS5 listeners are all it expects.
        let refusals2 = Arc::clone(&refusals);
        let config = ProxyConfig {
            policy: EgressPolicy {
                allow_hosts: vec![format!("allowed.test:{port}"), format!("127.0.0.2:{port}")],
                tainted,
                ..EgressPolicy::default()
            },
            resolver: Resolver::Fixed(HashMap::from([(
                "allowed.test".to_owned(),
                vec!["127.0.0.2".parse().unwrap()],
            )])),
            on_refusal: Arc::new(move |r: &Refusal| refusals2.lock().unwrap().push(r.clone())),
            timeout: Duration::from_secs(5),
        };
        let proxy = Proxy::start_on(config, dir.path(), hp, sp).unwrap();
        assert_eq!(proxy.listener_ports(), [hp, sp]);
        handover::send(proxy.control_socket(), &[hl, sl], Duration::from_secs(5)).unwrap();
        let talk = |port: u16, req: &[u8]| {
            let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            c.write_all(req).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = c.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if got.ends_with(b"ping") {
                    break;
                }
            }
            String::from_utf8_lossy(&got).into_owned()
        };
        let out = talk(
            hp,
            format!("CONNECT allowed.test:{port} HTTP/1.1\r\n\r\nping").as_bytes(),
        );
        let out_evil = talk(hp, b"CONNECT evil.test:443 HTTP/1.1\r\n\r\n");
        assert!(out_evil.starts_with("HTTP/1.1 403 "), "{out_evil}");
        // SOCKS5 by name.
        let mut req = vec![5, 1, 0, 5, 1, 0, 3, 12];
        req.extend_from_slice(b"allowed.test");
        req.extend_from_slice(&port.to_be_bytes());
        req.extend_from_slice(b"ping");
        let socks_out = talk(sp, &req);
        if tainted {
            assert!(
                out.starts_with("HTTP/1.1 403 ") && out.contains("tainted"),
                "{out}"
            );
            assert_eq!(socks_out.as_bytes()[..4], [5, 0, 5, 2], "{socks_out:?}");
            let r = refusals.lock().unwrap();
            assert!(
                r.iter().filter(|r| r.reason == Reason::Tainted).count() >= 2,
                "{r:?}"
            );
        } else {
            assert!(
                out.starts_with("HTTP/1.1 200 ") && out.ends_with("ping"),
                "{out}"
            );
            assert!(
                socks_out.as_bytes().starts_with(&[5, 0, 5, 0]) && socks_out.ends_with("ping"),
                "{socks_out:?}"
            );
            let r = refusals.lock().unwrap();
            assert_eq!(r.len(), 1, "{r:?}");
            assert_eq!(r[0].host, "evil.test");
        }
        drop(proxy);
        // After drop nothing accepts on the handed-over listeners any more.
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, hp)).is_err());
    }
}
