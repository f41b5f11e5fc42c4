//! The egress allowlist on the real kernel: a command in `bwrap --unshare-net` behind
//! `blastwall sandbox-bridge`, with the proxy (`blastwall::egress`) running in this process
//! and names mapped to local test servers by the proxy's fixed resolver (no internet here).
//!
//! Skipped, with the reason printed, where bubblewrap cannot make a network namespace; CI
//! installs bubblewrap, curl, git, openssl and python3 (`.ci/run`), so there they run.
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use blastwall::egress::proxy::{Proxy, ProxyConfig, Resolver};
use blastwall::egress::{self, EgressPolicy, Reason, Refusal};
use tempfile::TempDir;

use crate::{scratch_root, BIN};

const BWRAP: &str = "/usr/bin/bwrap";

/// Why the real-kernel tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    if !Path::new(BWRAP).exists() {
        return Some(format!("{BWRAP} not installed"));
    }
    let probe = Command::new(BWRAP)
        .args([
            "--unshare-net",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "true",
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "bwrap cannot create a network namespace here: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Some(format!("bwrap does not run: {e}")),
    }
}

macro_rules! require_sandbox {
    () => {
        if let Some(why) = unavailable() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// A proxy for one test, and what it refused.
struct Net {
    proxy: Proxy,
    refusals: Arc<Mutex<Vec<Refusal>>>,
    dir: TempDir,
}

fn start(policy: EgressPolicy, names: &[&str]) -> Net {
    let lo = IpAddr::from(Ipv4Addr::LOCALHOST);
    let map: HashMap<String, Vec<IpAddr>> =
        names.iter().map(|n| (n.to_string(), vec![lo])).collect();
    let refusals = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&refusals);
    let config = ProxyConfig {
        policy,
        resolver: Resolver::Fixed(map),
        on_refusal: Arc::new(move |r: &Refusal| sink.lock().unwrap().push(r.clone())),
        timeout: Duration::from_secs(10),
    };
    let dir = tempfile::Builder::new()
        .prefix("bw-egress-")
        .tempdir_in(scratch_root())
        .unwrap();
    let proxy = Proxy::start(config, dir.path()).unwrap();
    Net {
        proxy,
        refusals,
        dir,
    }
}

impl Net {
    /// Run `script` with bash inside a fresh network namespace, behind the bridge.
    fn run(&self, script: &str) -> crate::Output {
        let mut c = Command::new(BWRAP);
        c.args([
            "--unshare-net",
            "--unshare-pid",
            "--die-with-parent",
            "--ro-bind",
            "/",
            "/",
        ])
        .args(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"])
        .args([
            "--bind",
            &self.dir.path().display().to_string(),
            &self.dir.path().display().to_string(),
        ])
        .args(egress::bwrap_args(&self.proxy))
        .args(["--setenv", "HOME", "/tmp", "--chdir", "/tmp", "--"])
        .args(egress::bridge_argv(Path::new(BIN), &self.proxy))
        .args(["bash", "-c", script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        crate::run(c, b"")
    }

    fn refused(&self) -> Vec<Refusal> {
        self.refusals.lock().unwrap().clone()
    }
}

/// A TLS file server (python3 `http.server` behind `ssl`) with a fresh self-signed certificate
/// for `names`, serving `root`.
struct TlsServer {
    child: Child,
    port: u16,
    cert: PathBuf,
    _dir: TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_server(root: &Path, names: &[&str]) -> TlsServer {
    let dir = tempfile::Builder::new()
        .prefix("bw-tls-")
        .tempdir_in(scratch_root())
        .unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let san: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg(format!("/CN={}", names[0]))
        .arg("-addext")
        .arg(format!("subjectAltName={}", san.join(",")))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(ok.success(), "openssl req failed");
    let script = r#"
import http.server, ssl, sys, functools
cert, key, root = sys.argv[1:4]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=root))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&cert)
        .arg(&key)
        .arg(root)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("python printed its port");
    TlsServer {
        child,
        port,
        cert,
        _dir: dir,
    }
}

fn allow(hosts: &[String]) -> EgressPolicy {
    EgressPolicy {
        allow_hosts: hosts.to_vec(),
        ..EgressPolicy::default()
    }
}

#[test]
fn curl_reaches_a_listed_https_host_through_the_proxy_and_nothing_else() {
    require_sandbox!();
    let files = tempfile::Builder::new()
        .prefix("bw-files-")
        .tempdir_in(scratch_root())
        .unwrap();
    std::fs::write(files.path().join("hello.txt"), "hello through the proxy\n").unwrap();
    let tls = tls_server(files.path(), &["files.test", "unlisted.test"]);
    let p = tls.port;
    let net = start(
        allow(&[format!("files.test:{p}"), format!("127.0.0.1:{p}")]),
        &["files.test", "unlisted.test"],
    );
    let cacert = tls.cert.display();

    // Listed: via HTTPS_PROXY (CONNECT) and via the SOCKS5 proxy with remote DNS.
    let out = net.run(&format!(
        "curl -sS --cacert {cacert} https://files.test:{p}/hello.txt"
    ));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "hello through the proxy\n"),
        "{}",
        out.stderr
    );
    let out = net.run(&format!(
        "curl -sS --cacert {cacert} --proxy \"$ALL_PROXY\" https://files.test:{p}/hello.txt"
    ));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (Some(0), "hello through the proxy\n"),
        "{}",
        out.stderr
    );
    assert!(net.refused().is_empty(), "{:?}", net.refused());

    // Unlisted name (the same server): CONNECT refused with a 403 curl reports.
    let out = net.run(&format!(
        "curl -sS --cacert {cacert} https://unlisted.test:{p}/hello.txt"
    ));
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert!(!out.stdout.contains("hello"));
    let r = net.refused();
    assert_eq!(
        (r[0].host.as_str(), &r[0].reason),
        ("unlisted.test", &Reason::NotListed)
    );

    // A raw IP over plain HTTP: the 403 body says why, and curl prints it.
    let out = net.run("curl -sS http://10.20.30.40/");
    assert!(
        out.stdout
            .contains("blastwall egress: refused 10.20.30.40:80: a raw IP address"),
        "{out:?}"
    );
    // A listed address on another port (NO_PROXY sends 127.0.0.1 straight to the sandbox's
    // own loopback, so ask for the proxy explicitly).
    let out = net.run(&format!(
        "curl -sS --noproxy '' http://127.0.0.1:{}/",
        p + 1
    ));
    assert!(
        out.stdout.contains("blastwall egress: refused 127.0.0.1:"),
        "{out:?}"
    );
    let out = net.run(&format!("curl -sS http://127.0.0.1:{p}/ || echo failed"));
    assert!(
        out.stdout.contains("failed"),
        "the sandbox's loopback is its own: {out:?}"
    );

    // No proxy: no route, no name resolution, no /dev/tcp.
    let out = net.run(&format!(
        "curl -sS --noproxy '*' --cacert {cacert} https://files.test:{p}/hello.txt"
    ));
    assert_ne!(out.code, Some(0), "{out:?}");
    let out = net.run("getent hosts files.test || getent hosts github.com || echo no-dns");
    assert_eq!(out.stdout.trim(), "no-dns", "{out:?}");
    let out = net.run(&format!(
        "echo x > /dev/tcp/127.0.0.1/{p} && echo connected"
    ));
    assert!(
        !out.stdout.contains("connected") && out.stderr.contains("Connection refused"),
        "{out:?}"
    );
    let out = net.run("echo x > /dev/tcp/140.82.112.3/443 && echo connected");
    assert!(
        !out.stdout.contains("connected") && out.stderr.contains("unreachable"),
        "{out:?}"
    );
}

#[test]
fn a_tainted_session_refuses_an_allowlisted_host() {
    require_sandbox!();
    let files = tempfile::Builder::new()
        .prefix("bw-files-")
        .tempdir_in(scratch_root())
        .unwrap();
    std::fs::write(files.path().join("x"), "x\n").unwrap();
    let tls = tls_server(files.path(), &["files.test", "trusted.test"]);
    let p = tls.port;
    let policy = EgressPolicy {
        tainted: true,
        trusted_when_tainted: vec![format!("trusted.test:{p}")],
        ..allow(&[
            format!("files.test:{p}"),
            format!("trusted.test:{p}"),
            format!("127.0.0.1:{p}"),
        ])
    };
    let net = start(policy, &["files.test", "trusted.test"]);
    let out = net.run(&format!(
        "curl -sS --cacert {} https://files.test:{p}/x",
        tls.cert.display()
    ));
    assert_ne!(out.code, Some(0), "{out:?}");
    assert_eq!(net.refused()[0].reason, Reason::Tainted);
    let out = net.run(&format!(
        "curl -sS --cacert {} https://trusted.test:{p}/x",
        tls.cert.display()
    ));
    assert_eq!(out.stdout, "x\n", "{out:?}");
}

/// A smart-HTTP git server: `git http-backend` as CGI behind a minimal HTTP/1.1 listener that
/// records every request line it served.
fn git_server(project_root: PathBuf, seen: Arc<Mutex<Vec<String>>>) -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let (root, seen) = (project_root.clone(), Arc::clone(&seen));
            std::thread::spawn(move || cgi(s, &root, &seen));
        }
    });
    port
}

fn cgi(s: TcpStream, root: &Path, seen: &Mutex<Vec<String>>) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    );
    seen.lock().unwrap().push(format!("{method} {target}"));
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let mut body = Vec::new();
    if let Some(n) = headers.get("content-length") {
        body.resize(n.parse().unwrap(), 0);
        r.read_exact(&mut body).unwrap();
    } else if headers.contains_key("transfer-encoding") {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut child = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env(
            "CONTENT_TYPE",
            headers.get("content-type").cloned().unwrap_or_default(),
        )
        .env("CONTENT_LENGTH", body.len().to_string())
        .env(
            "GIT_PROTOCOL",
            headers.get("git-protocol").cloned().unwrap_or_default(),
        )
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap().stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)))
        .unwrap();
    let head = String::from_utf8_lossy(&out[..split.0]).into_owned();
    let payload = &out[split.0 + split.1..];
    let mut status = "200 OK".to_owned();
    let mut resp = String::new();
    for h in head.lines() {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            Some(_) => resp.push_str(&format!("{h}\r\n")),
            None => {}
        }
    }
    let mut s = s;
    write!(
        s,
        "HTTP/1.1 {status}\r\n{resp}Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    )
    .unwrap();
    s.write_all(payload).unwrap();
}

#[test]
fn git_clones_over_smart_http_through_the_proxy() {
    require_sandbox!();
    let root = tempfile::Builder::new()
        .prefix("bw-git-")
        .tempdir_in(scratch_root())
        .unwrap();
    let work = root.path().join("work");
    let git = |dir: &Path, args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README"), "cloned through blastwall egress\n").unwrap();
    git(&work, &["add", "README"]);
    git(&work, &["commit", "-qm", "first"]);
    git(root.path(), &["clone", "-q", "--bare", "work", "repo.git"]);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let port = git_server(root.path().to_path_buf(), Arc::clone(&seen));
    let net = start(
        allow(&[format!("git.test:{port}"), format!("127.0.0.1:{port}")]),
        &["git.test", "other.test"],
    );
    let out = net.run(&format!(
        "git clone -q http://git.test:{port}/repo.git /tmp/c && cat /tmp/c/README"
    ));
    assert_eq!(out.stdout, "cloned through blastwall egress\n", "{out:?}");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l.starts_with("POST /repo.git/git-upload-pack")),
        "{seen:?}"
    );
    assert!(net.refused().is_empty());

    // The same server under a name that is not listed.
    let out = net.run(&format!(
        "git clone -q http://other.test:{port}/repo.git /tmp/c"
    ));
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("403"), "{out:?}");
    assert_eq!(net.refused()[0].reason, Reason::NotListed);
}

/// The whole path: a ticket whose network is an allowlist, run by `blastwall sandbox` as the
/// hook's wrapper runs it. The runner starts the proxy, the bridge runs inside, refusals go to
/// the command's stderr.
#[test]
fn the_sandbox_runner_routes_an_allowlist_ticket_through_the_proxy() {
    use blastwall::sandbox::spec::{default_credential_stores, SandboxSettings};
    use blastwall::sandbox::ticket::{self, Ticket};
    use blastwall::sandbox::{BackendKind, Network, SandboxSpec};
    require_sandbox!();
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nhello from host\n");
        }
    });
    let sb = crate::Sandbox::new();
    let env = blastwall::paths::PathEnv {
        home: Some(sb.home.clone()),
        project: sb.project.clone(),
        tmpdir: PathBuf::from("/tmp"),
        cwd: sb.project.clone(),
        exe: Some(PathBuf::from(BIN)),
    };
    let settings = SandboxSettings {
        network: Network::Allowlist(vec![format!("127.0.0.1:{port}")]),
        ..SandboxSettings::default()
    };
    let spec = SandboxSpec::build(
        &env,
        "main",
        &[sb.project.clone(), PathBuf::from("/tmp")],
        &settings,
        &default_credential_stores(),
    );
    let command = format!(
        "curl -sS --noproxy '' http://127.0.0.1:{port}/ ; curl -sS --noproxy '' http://127.0.0.1:{}/ ; echo \"proxy=$HTTPS_PROXY\"; getent hosts github.com || echo no-dns",
        port + 1
    );
    let t = Ticket::new(
        &command,
        false,
        BackendKind::Bwrap,
        spec,
        Some("s"),
        None,
        None,
        None,
    );
    let id = ticket::write(&sb.home.join(".local/state/blastwall"), &t).unwrap();
    let out = crate::run(sb.cmd(&["sandbox", "--ticket", &id]), b"");
    assert!(out.stdout.contains("hello from host\n"), "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("blastwall egress: refused 127.0.0.1:{}", port + 1)),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("proxy=http://127.0.0.1:3128") && out.stdout.contains("no-dns"),
        "{out:?}"
    );
    // The runner also says it on stderr, which the Bash tool shows the model.
    assert!(
        out.stderr
            .contains(&format!("blastwall egress: refused 127.0.0.1:{}", port + 1)),
        "{out:?}"
    );
    assert_eq!(out.code, Some(0), "{out:?}");
}
