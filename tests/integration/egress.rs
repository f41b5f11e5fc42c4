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

/// A test's proxy settings, and what its proxies refused. Each [`Net::run`] starts its own
/// proxy, as the runner does per call (the control socket takes one bridge's listeners).
struct Net {
    config: ProxyConfig,
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
    Net {
        config,
        refusals,
        dir,
    }
}

impl Net {
    /// Run `script` with bash inside a fresh network namespace, behind the bridge.
    fn run(&self, script: &str) -> crate::Output {
        let proxy = Proxy::start(self.config.clone(), self.dir.path()).unwrap();
        let bridge = egress::bridge_argv(Path::new(BIN), &proxy);
        self.run_with(&proxy, &bridge, script)
    }

    /// [`Net::run`] behind `bridge` (an argv prefix) and `proxy`.
    fn run_with(&self, proxy: &Proxy, bridge: &[String], script: &str) -> crate::Output {
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
        .args(egress::bwrap_args(proxy))
        // The bridge is blastwall itself: shown read-only, also when the binary lives under
        // /tmp (a clone there), which the private /tmp above would hide.
        .args(["--ro-bind", BIN, BIN])
        .args(["--setenv", "HOME", "/tmp", "--chdir", "/tmp", "--"])
        .args(bridge)
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
    // 127.0.0.1:{p} is listed, so it is tunnelled (a_listed_loopback_port_is_reachable_directly);
    // another port of the sandbox's loopback reaches nothing.
    let out = net.run(&format!(
        "curl -sS http://127.0.0.1:{}/ || echo failed",
        p + 1
    ));
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
        "echo x > /dev/tcp/127.0.0.1/{} && echo connected",
        p + 1
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
    require_sandbox!();
    runner_routes_through_the_proxy(Path::new(BIN));
}

/// Regression, found by running the test suite from a clone under /tmp: the bridge runs
/// blastwall inside the sandbox, whose /tmp is private, so a binary under /tmp (here in a
/// directory with a space) was not there and every allowlist call failed to start.
#[test]
fn the_bridge_runs_when_blastwall_itself_lives_under_tmp() {
    require_sandbox!();
    let dir = tempfile::Builder::new()
        .prefix("bw bin ")
        .tempdir_in("/tmp")
        .unwrap();
    let exe = dir.path().join("blastwall");
    std::fs::copy(BIN, &exe).unwrap();
    runner_routes_through_the_proxy(&exe);
}

/// A local HTTP server that answers every request with `body`; its port.
fn serve_http(body: &'static str) -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(answer.as_bytes());
        }
    });
    port
}

/// The runner's ticket for `command` in `sb`'s project under `network = "allowlist"` with
/// `hosts`, the bridge being `exe`, as the hook writes it (bubblewrap, not in background).
fn allowlist_ticket(
    sb: &crate::Sandbox,
    exe: &Path,
    hosts: Vec<String>,
    command: &str,
    session: Option<&str>,
    tool_use: Option<&str>,
) -> blastwall::sandbox::ticket::Ticket {
    use blastwall::sandbox::spec::{default_credential_stores, SandboxSettings};
    use blastwall::sandbox::{BackendKind, Network, SandboxSpec};
    let env = blastwall::paths::PathEnv {
        home: Some(sb.home.clone()),
        project: sb.project.clone(),
        tmpdir: PathBuf::from("/tmp"),
        cwd: sb.project.clone(),
        exe: Some(exe.to_path_buf()),
    };
    let settings = SandboxSettings {
        network: Network::Allowlist(hosts),
        ..SandboxSettings::default()
    };
    let spec = SandboxSpec::build(
        &env,
        "main",
        &[sb.project.clone(), PathBuf::from("/tmp")],
        &settings,
        &default_credential_stores(),
    );
    blastwall::sandbox::ticket::Ticket::new(
        command,
        false,
        BackendKind::Bwrap,
        spec,
        session,
        None,
        None,
        tool_use,
    )
}

fn runner_routes_through_the_proxy(bin: &Path) {
    use blastwall::sandbox::ticket;
    let port = serve_http("hello from host\n");
    let sb = crate::Sandbox::new();
    let command = format!(
        "curl -sS --noproxy '' http://127.0.0.1:{port}/ ; curl -sS --noproxy '' http://127.0.0.1:{}/ ; echo \"proxy=$HTTPS_PROXY\"; getent hosts github.com || echo no-dns",
        port + 1
    );
    let t = allowlist_ticket(
        &sb,
        bin,
        vec![format!("127.0.0.1:{port}")],
        &command,
        Some("s"),
        None,
    );
    let id = ticket::write(&sb.home.join(".local/state/blastwall"), &t).unwrap();
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["sandbox", "--ticket", &id])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sb.home)
        .env("CLAUDE_PROJECT_DIR", &sb.project)
        .current_dir(&sb.project);
    let out = crate::run(cmd, b"");
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

/// A script that prints GH_TOKEN (python, so the hook's print-secrets rule does not deny the
/// call before it runs: the point is what the sandbox hands it).
const SHOW: &str = "import os\nprint(\"[\" + os.environ.get(\"GH_\" + \"TOKEN\", \"\") + \"]\")\n";

/// A credential value no detector rule knows, with characters URL encoding changes.
const INJECTED: &str = "Gx7/kq+Zr=Lm2Pw9Vt4N-bH6";

/// A machine for the injection tests: a user policy that sandboxes Bash and injects GH_TOKEN
/// for `gh` from a helper command run outside the sandbox, a fake `gh` on PATH that prints
/// the token plain, base64 and URL-encoded, and the helper itself.
struct Inject {
    sb: crate::Sandbox,
    bin: PathBuf,
}

impl Inject {
    fn new() -> Inject {
        let sb = crate::Sandbox::new();
        let bin = sb.home.parent().unwrap().join("bin");
        sb.write(
            &bin.join("gh"),
            "#!/bin/bash\nurl() { local s=\"$1\" i c; for ((i=0;i<${#s};i++)); do c=${s:i:1}; case $c in [a-zA-Z0-9.~_-]) printf %s \"$c\";; *) printf %%%02X \"'$c\";; esac; done; }\n\
             if [ -z \"$GH_TOKEN\" ]; then echo 'gh: no GH_TOKEN' >&2; exit 4; fi\n\
             echo \"plain=$GH_TOKEN\"\necho \"b64=$(printf %s \"$GH_TOKEN\" | base64 -w0)\"\necho \"url=$(url \"$GH_TOKEN\")\"\n",
        );
        sb.write(
            &bin.join("token-helper"),
            &format!("#!/bin/sh\necho '{INJECTED}'\n"),
        );
        for f in ["gh", "token-helper"] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(bin.join(f), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        sb.write(
            &sb.user_policy(),
            &format!(
                "version = 1\n[sandbox]\nmode = \"required\"\n\n[[secrets.inject]]\nname = \"GH_TOKEN\"\ncommand = [\"{}\"]\nprograms = [\"gh\"]\n",
                bin.join("token-helper").display()
            ),
        );
        Inject { sb, bin }
    }

    /// `blastwall ARGS` as the client runs it: its PATH with the fake gh first.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.sb.cmd(args);
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("PATH", path);
        c
    }

    /// The hook's rewritten command for a Bash call of `command`; `None` when it denies.
    fn try_wrapped(&self, command: &str) -> Option<String> {
        let ev = self
            .sb
            .pre_tool_use("Bash", serde_json::json!({"command": command}));
        let out = crate::run(self.cmd(&["hook"]), ev.to_string().as_bytes());
        let v = out.answer().unwrap_or_else(|| panic!("no answer: {out:?}"));
        if v["hookSpecificOutput"]["permissionDecision"] == "deny" {
            return None;
        }
        Some(
            v["hookSpecificOutput"]["updatedInput"]["command"]
                .as_str()
                .unwrap_or_else(|| panic!("not rewritten: {v}"))
                .to_string(),
        )
    }

    fn wrapped(&self, command: &str) -> String {
        self.try_wrapped(command)
            .unwrap_or_else(|| panic!("denied: {command}"))
    }

    /// Run the rewritten command in the client's shell, as the Bash tool does; `None` when
    /// the hook denies it (it never runs).
    fn try_run(&self, command: &str) -> Option<crate::Output> {
        let wrapped = self.try_wrapped(command)?;
        let template = self.cmd(&[]);
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(&wrapped)
            .env_clear()
            .current_dir(&self.sb.project);
        for (k, v) in template.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        Some(crate::run(c, b""))
    }

    fn run(&self, command: &str) -> crate::Output {
        self.try_run(command)
            .unwrap_or_else(|| panic!("denied: {command}"))
    }

    /// The PostToolUse answer for a Bash call that printed `stdout`.
    fn post(&self, stdout: &str) -> crate::Output {
        let mut ev = self
            .sb
            .pre_tool_use("Bash", serde_json::json!({"command": "gh pr list"}));
        ev["hook_event_name"] = "PostToolUse".into();
        ev["tool_response"] = serde_json::json!({"stdout": stdout, "stderr": "", "interrupted": false, "isImage": false});
        crate::run(self.cmd(&["hook"]), ev.to_string().as_bytes())
    }
}

fn forms(value: &str) -> [String; 3] {
    let b64 = {
        let o = Command::new("base64")
            .arg("-w0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(value.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let url: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    [value.to_string(), b64, url]
}

/// The injection rule end to end: the hook records the name for `gh pr list` only, the
/// runner reads the value outside the sandbox and passes it in; `echo $GH_TOKEN` and a
/// dynamic `gh` get nothing; whatever shape `gh` prints the value in, the PostToolUse answer
/// withholds it; the ticket and the audit log never hold it.
#[test]
fn an_injected_token_reaches_only_its_program_and_never_the_model() {
    require_sandbox!();
    let m = Inject::new();
    let [plain, b64, url] = forms(INJECTED);
    assert_ne!(url, plain, "the value must change under URL encoding");

    let out = m.run("gh pr list");
    assert_eq!(out.code, Some(0), "{out:?}");
    // `gh` got the value and printed it in three shapes; the runner scrubbed each before the
    // client could read it (labelled with the variable's name, never its value).
    for form in [&plain, &b64, &url] {
        assert!(
            !out.stdout.contains(form.as_str()),
            "{form} reached the runner's output: {out:?}"
        );
    }
    assert!(
        out.stdout.matches("[REDACTED:inject:GH_TOKEN]").count() >= 3,
        "{out:?}"
    );

    // Not for another program, a dynamic word, or a shell running a string. (The hook's own
    // rules deny some of these outright; those that run must see no token.)
    m.sb.write(&m.sb.project.join("show.py"), SHOW);
    let mut ran = 0;
    for command in [
        "gh pr list; echo \"[$GH_TOKEN]\"",
        "echo \"[$GH_TOKEN]\"",
        "gh pr list; python3 show.py",
        "python3 show.py",
        "x=pr; gh $x list; python3 show.py",
        "s='python3 show.py'; bash -c \"$s\"",
    ] {
        let Some(out) = m.try_run(command) else {
            continue;
        };
        ran += 1;
        assert!(!out.stdout.contains(INJECTED), "{command}: {out:?}");
        assert!(out.stdout.contains("[]"), "{command}: {out:?}");
    }
    assert!(
        ran >= 3,
        "the hook denied almost every case; the test shows nothing"
    );
    let out = m.run("gh $(echo pr) list");
    assert!(
        !out.stdout.contains(INJECTED) && out.stderr.contains("no GH_TOKEN"),
        "{out:?}"
    );

    // What the model gets back: every form withheld, from the cache the runner kept.
    let printed = format!("plain={plain}\nb64={b64}\nurl={url}\n");
    let answer = m.post(&printed);
    assert_eq!(answer.code, Some(0), "{answer:?}");
    let v = answer.answer().expect("a redaction answer");
    let updated = v["hookSpecificOutput"]["updatedToolOutput"].to_string();
    for (form, shown) in [
        (&plain, plain.as_str()),
        (&b64, &b64[4..b64.len() - 4]),
        (&url, url.as_str()),
    ] {
        assert!(
            !answer.stdout.contains(shown),
            "{form} reached the model: {updated}"
        );
    }
    assert!(updated.contains("[REDACTED:inject:GH_TOKEN]"), "{updated}");

    // The value is in no file the hook or runner wrote but the 0600 cache.
    let state = m.sb.home.join(".local/state/blastwall");
    let audit = std::fs::read_to_string(state.join("audit.jsonl")).unwrap();
    assert!(!audit.contains(INJECTED));
    // The PreToolUse line of the call that got it names the variable (never the value).
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"gh pr list\"") && l.contains(", inject GH_TOKEN\"")),
        "{audit}"
    );
    let cache = state.join("inject/GH_TOKEN");
    assert_eq!(std::fs::read_to_string(&cache).unwrap(), INJECTED);
    // The agent cannot read the cache with the client's own tools (the sandbox hides the
    // whole state directory).
    for (tool, input) in [
        ("Read", serde_json::json!({"file_path": cache})),
        (
            "Bash",
            serde_json::json!({"command": format!("cat {}", cache.display())}),
        ),
        ("Grep", serde_json::json!({"pattern": "x", "path": state})),
    ] {
        let ev = m.sb.pre_tool_use(tool, input);
        let out = crate::run(m.cmd(&["hook"]), ev.to_string().as_bytes());
        assert_eq!(out.decision(), "deny", "{tool}: {out:?}");
    }
    // Without it, the same text is ordinary to the detector: the exact value is what found it.
    std::fs::remove_file(&cache).unwrap();
    let answer = m.post(&printed);
    assert!(
        answer.stdout.is_empty() || !answer.stdout.contains("inject:GH_TOKEN"),
        "{answer:?}"
    );
}

/// A ticket that names a variable for a command the policy would not give it (forged, or
/// from an older policy) gets nothing: the runner checks the rule again.
#[test]
fn the_runner_checks_the_injection_rule_again() {
    use blastwall::sandbox::ticket::{self, Ticket};
    require_sandbox!();
    let m = Inject::new();
    // A real ticket for `gh pr list`, its command swapped after the hook decided.
    let wrapped = m.wrapped("gh pr list");
    let state = m.sb.home.join(".local/state/blastwall");
    let id = std::fs::read_dir(ticket::dir(&state))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.len() == 32)
        .unwrap();
    let path = ticket::dir(&state).join(&id);
    let mut t: Ticket = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(t.egress.inject, ["GH_TOKEN"]);
    assert!(!std::fs::read_to_string(&path).unwrap().contains(INJECTED));
    m.sb.write(&m.sb.project.join("show.py"), SHOW);
    t.command = "python3 show.py".into();
    std::fs::write(&path, serde_json::to_vec(&t).unwrap()).unwrap();
    let template = m.cmd(&[]);
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(&wrapped)
        .env_clear()
        .current_dir(&m.sb.project);
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    let out = crate::run(c, b"");
    assert!(
        out.stdout.contains("[]") && !out.stdout.contains(INJECTED),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("does not inject it into this command"),
        "{out:?}"
    );
}

/// Through the runner: in a tainted session the proxy refuses a listed host unless it is on
/// the ticket's `trusted_when_tainted`, the tool's stderr says why, and each refusal is a line
/// in the audit log (event `EgressRefused`, rule `egress`). A project layer's host list
/// narrows what the proxy lets through.
#[test]
fn the_runner_refuses_listed_hosts_in_a_tainted_session_and_audits_refusals() {
    use blastwall::sandbox::ticket::{self, Ticket};
    require_sandbox!();
    let (a, b) = (serve_http("ok\n"), serve_http("ok\n"));
    let sb = crate::Sandbox::new();
    let state = sb.home.join(".local/state/blastwall");
    let log = state.join("audit.jsonl");
    let listed = vec![format!("127.0.0.1:{a}"), format!("127.0.0.1:{b}")];
    let command = format!(
        "curl -sS --noproxy '' http://127.0.0.1:{a}/; curl -sS --noproxy '' http://127.0.0.1:{b}/; true"
    );
    let mut t = allowlist_ticket(
        &sb,
        Path::new(BIN),
        listed,
        &command,
        Some("tainted-session"),
        Some("toolu_taint"),
    );
    t.egress.trusted_when_tainted = vec![format!("127.0.0.1:{a}")];
    t.egress.audit_log = Some(log.clone());
    let run_once = |t: &Ticket| {
        let id = ticket::write(&state, t).unwrap();
        crate::run(sb.cmd(&["sandbox", "--ticket", &id]), b"")
    };
    // Not tainted: both listed hosts answer, nothing is refused or logged.
    let out = run_once(&t);
    assert_eq!(out.stdout.matches("ok\n").count(), 2, "{out:?}");
    assert!(!log.exists());
    // Tainted: only the trusted one.
    std::fs::create_dir_all(state.join("taint")).unwrap();
    std::fs::write(state.join("taint/tainted-session"), "WebFetch: injection").unwrap();
    let out = run_once(&t);
    assert_eq!(out.stdout.matches("ok\n").count(), 1, "{out:?}");
    let why = format!("refused 127.0.0.1:{b}: the session is tainted");
    assert!(out.stderr.contains(&why), "{out:?}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["event"], "EgressRefused");
    assert_eq!(l["decision"], "deny");
    assert_eq!(l["rule"], "egress");
    assert_eq!(l["session_id"], "tainted-session");
    assert_eq!(l["tool_use_id"], "toolu_taint");
    assert_eq!(l["subject"], format!("127.0.0.1:{b}"));
    assert!(l["reason"].as_str().unwrap().contains("tainted"), "{l}");

    // Untainted again, with a project layer's list: a host must be on both.
    std::fs::remove_file(state.join("taint/tainted-session")).unwrap();
    t.egress.project_hosts = Some(vec![format!("127.0.0.1:{a}")]);
    let out = run_once(&t);
    assert_eq!(out.stdout.matches("ok\n").count(), 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "refused 127.0.0.1:{b}: the project policy's `network.allow_hosts`"
        )),
        "{out:?}"
    );
}

/// ssh through the sandbox: `blastwall sandbox-bridge --connect` (the ProxyCommand the runner
/// puts in `GIT_SSH_COMMAND`) reaches a listed `host:port` through the SOCKS proxy, and an
/// unlisted port is refused with the proxy's reason. The "server" sends an SSH banner.
#[test]
fn ssh_goes_through_the_socks_proxy_only_to_listed_ports() {
    use blastwall::sandbox::ticket;
    require_sandbox!();
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.write_all(b"SSH-2.0-blastwall-test\r\n");
        }
    });
    let sb = crate::Sandbox::new();
    let command = format!(
        "echo \"git_ssh=$GIT_SSH_COMMAND\"; '{BIN}' sandbox-bridge --connect 127.0.0.1 {port} </dev/null | head -1; \
         '{BIN}' sandbox-bridge --connect 127.0.0.1 {} </dev/null; echo rc=$?",
        port + 1
    );
    let t = allowlist_ticket(
        &sb,
        Path::new(BIN),
        vec![format!("127.0.0.1:{port}")],
        &command,
        None,
        None,
    );
    let id = ticket::write(&sb.home.join(".local/state/blastwall"), &t).unwrap();
    let out = crate::run(sb.cmd(&["sandbox", "--ticket", &id]), b"");
    assert!(out.stdout.contains("SSH-2.0-blastwall-test"), "{out:?}");
    assert!(
        out.stdout.contains("git_ssh=ssh -o ProxyCommand='")
            && out.stdout.contains("sandbox-bridge --connect %h %p'"),
        "{out:?}"
    );
    assert!(out.stdout.contains("rc=1"), "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "refused 127.0.0.1:{}: the host is listed, but not for port",
            port + 1
        )),
        "{out:?}"
    );
}

/// A service on the machine's loopback (a dev server, a database) listed as `127.0.0.1:PORT`
/// is reachable from the sandbox at the same address, directly (clients skip the proxy for
/// 127.0.0.1): the bridge listens there and tunnels through the proxy. Other local ports
/// stay unreachable.
#[test]
fn a_listed_loopback_port_is_reachable_directly() {
    use blastwall::sandbox::ticket;
    require_sandbox!();
    let (listed, other) = (serve_http("local\n"), serve_http("local\n"));
    let sb = crate::Sandbox::new();
    let command = format!(
        "curl -sS -m 5 http://127.0.0.1:{listed}/; curl -sS -m 5 http://127.0.0.1:{other}/ || echo other-unreachable"
    );
    let t = allowlist_ticket(
        &sb,
        Path::new(BIN),
        vec![format!("127.0.0.1:{listed}")],
        &command,
        None,
        None,
    );
    let id = ticket::write(&sb.home.join(".local/state/blastwall"), &t).unwrap();
    let out = crate::run(sb.cmd(&["sandbox", "--ticket", &id]), b"");
    assert!(out.stdout.contains("local\n"), "{out:?}");
    assert!(out.stdout.contains("other-unreachable"), "{out:?}");
    assert_eq!(out.stdout.matches("local\n").count(), 1, "{out:?}");
}

/// The bridge hands its listeners to the proxy (SCM_RIGHTS) and gets out of the way: the
/// command is the sandbox's process, the proxy accepts its connections itself (and judges
/// them), and the control socket, the only thing in the proxy's directory, is gone before the
/// command starts, so the command cannot hand over listeners of its own.
#[test]
fn the_proxy_accepts_on_the_handed_over_listeners_and_the_bridge_is_gone() {
    require_sandbox!();
    let files = tempfile::Builder::new()
        .prefix("bw-files-")
        .tempdir_in(scratch_root())
        .unwrap();
    std::fs::write(files.path().join("x"), "x\n").unwrap();
    let tls = tls_server(files.path(), &["files.test"]);
    let p = tls.port;
    // files.test resolves to 127.0.0.1, which the rebinding check lets through only when
    // listed literally.
    let net = start(
        allow(&[format!("files.test:{p}"), format!("127.0.0.1:{p}")]),
        &["files.test"],
    );
    let proxy = Proxy::start(net.config.clone(), net.dir.path()).unwrap();
    let control = proxy.control_socket().display().to_string();
    let dir = proxy.dir().display().to_string();
    let bridge = egress::bridge_argv(Path::new(BIN), &proxy);
    let out = net.run_with(
        &proxy,
        &bridge,
        &format!(
            "test -e '{control}' && echo control-still-there; echo \"dir=[$(ls -A '{dir}')]\"; \
             echo \"parent=$(cat /proc/$PPID/comm)\"; \
             curl -sS --cacert {} https://files.test:{p}/x; \
             curl -sS http://elsewhere.test/ -o /dev/null -w '%{{http_code}}\\n'",
            tls.cert.display()
        ),
    );
    // The proxy's directory is empty (no other way in than the listeners), and the command's
    // parent is bwrap's init: the bridge exec'd it.
    assert_eq!(out.stdout, "dir=[]\nparent=bwrap\nx\n403\n", "{out:?}");
    assert_eq!(net.refused().len(), 1, "{:?}", net.refused());
    assert_eq!(net.refused()[0].host, "elsewhere.test");
}

/// A hand-over that fails runs nothing: no listener the proxy expects (a bridge told other
/// ports), a listener it does not expect, a control socket that is not there, one already
/// used. The bridge says why and exits 1; the command never starts, so it never has a network
/// that nobody judges.
#[test]
fn a_failed_hand_over_fails_closed_without_running_the_command() {
    require_sandbox!();
    let net = start(allow(&["files.test".to_owned()]), &[]);
    let proxy = Proxy::start(net.config.clone(), net.dir.path()).unwrap();
    let control = proxy.control_socket().display().to_string();
    let bridge = |args: &[&str]| -> Vec<String> {
        [BIN, "sandbox-bridge", "--hand-over"]
            .iter()
            .chain(args)
            .chain(&["--"])
            .map(|s| s.to_string())
            .collect()
    };
    let cases: [(Vec<String>, &str); 3] = [
        // The HTTP port only: the proxy misses its SOCKS5 listener.
        (
            bridge(&[&control, "--port", "3128"]),
            "refused the listeners: no listener on port 1080",
        ),
        // Nothing listens at that path.
        (
            bridge(&[
                "/nonexistent/control.sock",
                "--port",
                "3128",
                "--port",
                "1080",
            ]),
            "No such file or directory",
        ),
        // The control socket took its one connection above: it is gone.
        (
            bridge(&[&control, "--port", "3128", "--port", "1080"]),
            "No such file or directory",
        ),
    ];
    for (argv, why) in cases {
        let out = net.run_with(&proxy, &argv, "echo ran");
        assert_eq!(out.code, Some(1), "{argv:?}: {out:?}");
        assert_eq!(out.stdout, "", "{argv:?}: {out:?}");
        assert!(
            out.stderr
                .contains("handing the listeners to the egress proxy")
                && out.stderr.contains(why),
            "{argv:?}: {out:?}"
        );
    }
    // A listener on a port the proxy does not expect, next to the right ones.
    let proxy = Proxy::start(net.config.clone(), net.dir.path()).unwrap();
    let control = proxy.control_socket().display().to_string();
    let argv = bridge(&[
        &control, "--port", "3128", "--port", "1080", "--port", "8080",
    ]);
    let out = net.run_with(&proxy, &argv, "echo ran");
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(
        out.stderr.contains("port 8080, which is not expected"),
        "{out:?}"
    );
}

/// The bridge execs the command, so its exit status is bwrap's child's: a code as is, a
/// signal as 128 + its number (what the bridge used to compute itself when it was the parent).
#[test]
fn the_command_s_exit_status_survives_the_hand_over() {
    require_sandbox!();
    let net = start(allow(&["files.test".to_owned()]), &[]);
    for (script, code) in [
        ("exit 7", 7),
        ("kill -TERM $$", 143),
        ("kill -KILL $$", 137),
    ] {
        let out = net.run(script);
        assert_eq!(out.code, Some(code), "{script}: {out:?}");
    }
}
