//! What the egress proxy lets through: host and port rules, the tainted-session rule, and the
//! check of resolved addresses (DNS rebinding to private ranges).
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::wildcard;

/// Ports allowed for a listed host when its entry names no port.
pub const DEFAULT_PORTS: [u16; 2] = [80, 443];

/// The egress rules for one sandboxed call.
///
/// Host entries are lower-case `*`/`?` globs (`github.com`, `*.github.com`), optionally with a
/// port (`git.example.com:22`, `[2001:db8::1]:8443`). An entry with a port allows that port
/// only; one without allows [`EgressPolicy::ports`]. An IP address is allowed only when it is
/// listed literally (a glob never matches an address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EgressPolicy {
    /// Hosts the sandbox may reach: the same list the static checks use (`network.allow_hosts`).
    pub allow_hosts: Vec<String>,
    /// Hosts refused even when an allow entry matches (deny wins).
    pub deny_hosts: Vec<String>,
    /// Ports allowed for entries without a port (default 80 and 443).
    pub ports: Vec<u16>,
    /// The session is tainted (untrusted content entered it): only hosts on
    /// `trusted_when_tainted` (which must also be allowed) are reachable.
    pub tainted: bool,
    /// Hosts still reachable while the session is tainted (default: none).
    pub trusted_when_tainted: Vec<String>,
    /// A project layer's `allow_hosts`: when set, a host must be on this list too (a project
    /// policy only narrows).
    pub project_hosts: Option<Vec<String>>,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        Self {
            allow_hosts: Vec::new(),
            deny_hosts: Vec::new(),
            ports: DEFAULT_PORTS.to_vec(),
            tainted: false,
            trusted_when_tainted: Vec::new(),
            project_hosts: None,
        }
    }
}

/// Why a connection was refused. The texts name the host and port and say how to allow them;
/// they never carry request data beyond the host name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The host is not a valid DNS name or IP address.
    Malformed,
    /// A `deny_hosts` entry matches.
    Denied(String),
    /// A raw IP address that is not listed literally.
    RawIp,
    /// No `allow_hosts` entry matches.
    NotListed,
    /// The host is listed, but not for this port.
    Port,
    /// The trusted list allows the host, the project policy's `allow_hosts` does not.
    NotOnProject,
    /// The session is tainted and the host is not on `trusted_when_tainted`.
    Tainted,
    /// The name resolved to a loopback, private, link-local or otherwise special address that
    /// is not listed literally.
    PrivateAddress(IpAddr),
    /// The name did not resolve.
    Unresolved,
    /// The TLS ClientHello names another host than the one asked for, or none could be read.
    Sni(String),
    /// The request itself is not acceptable (bad syntax, `https://` through plain HTTP …).
    BadRequest(String),
}

/// A refused connection: what was asked for, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The host as asked (lower-cased), or a placeholder when none could be read.
    pub host: String,
    /// The port asked for (0 when unknown).
    pub port: u16,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        write!(f, "blastwall egress: refused {target}: ")?;
        match &self.reason {
            Reason::Malformed => write!(f, "not a valid host name"),
            Reason::Denied(p) => write!(f, "denied by the network deny list entry `{p}`"),
            Reason::RawIp => write!(
                f,
                "a raw IP address is never allowed unless the address itself is listed in `network.allow_hosts`"
            ),
            Reason::NotListed => write!(
                f,
                "the host is not on this profile's network allowlist; a user may add it to `network.allow_hosts` in their user policy"
            ),
            Reason::NotOnProject => write!(
                f,
                "the project policy's `network.allow_hosts` (.claude/blastwall.toml) does not list it"
            ),
            Reason::Port => write!(
                f,
                "the host is listed, but not for port {}; list it as `{}:{}` to allow that port",
                self.port, self.host, self.port
            ),
            Reason::Tainted => write!(
                f,
                "the session is tainted (untrusted content entered it), so only hosts on `network.trusted_when_tainted` are reachable"
            ),
            Reason::PrivateAddress(ip) => write!(
                f,
                "the name resolves to {ip}, a loopback/private/link-local address (list `{ip}` to allow it)"
            ),
            Reason::Unresolved => write!(f, "the name does not resolve"),
            Reason::Sni(why) => write!(f, "{why}"),
            Reason::BadRequest(why) => write!(f, "{why}"),
        }
    }
}

/// A host entry split into its glob and optional port.
fn split_entry(entry: &str) -> (String, Option<u16>) {
    let e = entry.trim().to_ascii_lowercase();
    // `[v6]` or `[v6]:port`
    if let Some(rest) = e.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host.to_owned(), port);
        }
    }
    // A bare IPv6 address has several colons and no port.
    if e.matches(':').count() == 1 {
        if let Some((host, port)) = e.rsplit_once(':') {
            if let Ok(port) = port.parse::<u16>() {
                return (host.to_owned(), Some(port));
            }
        }
    }
    (e, None)
}

/// Normalise a host as asked for: lower case, no trailing dot, no brackets. `None` when it is
/// neither a DNS name (letters, digits, `-`, `_`, `.`) nor an IP address.
pub fn normalize_host(host: &str) -> Option<String> {
    let h = host.trim();
    let h = h
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h);
    let h = h.strip_suffix('.').unwrap_or(h).to_ascii_lowercase();
    if h.is_empty() || h.len() > 253 {
        return None;
    }
    if h.parse::<IpAddr>().is_ok() {
        return Some(h);
    }
    let ok = h.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    // `127.1`, `2130706433`, `0x7f000001` are addresses to `inet_aton` (and so to
    // getaddrinfo): a name whose last label starts with a digit is refused, as no top-level
    // domain does.
    let numeric = h
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_digit()));
    (ok && !numeric).then_some(h)
}

/// Does `entry` (glob with optional port) name `host`? Returns the entry's port if so.
fn entry_matches(entry: &str, host: &str, is_ip: bool) -> Option<Option<u16>> {
    let (pattern, port) = split_entry(entry);
    let hit = if is_ip {
        // Addresses only match literally, and compare as addresses (`::1` == `0:0::1`).
        match (pattern.parse::<IpAddr>(), host.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    } else {
        wildcard::matches(&pattern, host)
    };
    hit.then_some(port)
}

impl EgressPolicy {
    /// May the sandbox connect to `host:port`? Checked before resolving; see
    /// [`EgressPolicy::check_resolved`] for the addresses.
    pub fn check(&self, host: &str, port: u16) -> Result<(), Refusal> {
        let refuse = |h: &str, reason| {
            Err(Refusal {
                host: h.to_owned(),
                port,
                reason,
            })
        };
        let Some(host) = normalize_host(host) else {
            let shown: String = host.chars().filter(|c| !c.is_control()).take(80).collect();
            return refuse(&shown, Reason::Malformed);
        };
        let is_ip = host.parse::<IpAddr>().is_ok();
        let port_ok = |p: Option<u16>| match p {
            Some(p) => p == port,
            None => self.ports.contains(&port),
        };
        for d in &self.deny_hosts {
            if let Some(p) = entry_matches(d, &host, is_ip) {
                // A deny entry without a port denies every port; with wildcards for addresses
                // too (`*` denies everything).
                if p.is_none_or(|p| p == port) {
                    return refuse(&host, Reason::Denied(d.clone()));
                }
            }
            if is_ip && d.trim() == "*" {
                return refuse(&host, Reason::Denied(d.clone()));
            }
        }
        let mut listed = false;
        let mut allowed = false;
        for a in &self.allow_hosts {
            if let Some(p) = entry_matches(a, &host, is_ip) {
                listed = true;
                if port_ok(p) {
                    allowed = true;
                    break;
                }
            }
        }
        if allowed {
            if let Some(project) = &self.project_hosts {
                let ok = project
                    .iter()
                    .any(|a| entry_matches(a, &host, is_ip).is_some_and(port_ok));
                if !ok {
                    return refuse(&host, Reason::NotOnProject);
                }
            }
        }
        if !allowed {
            let reason = match (listed, is_ip) {
                (true, _) => Reason::Port,
                (false, true) => Reason::RawIp,
                (false, false) => Reason::NotListed,
            };
            return refuse(&host, reason);
        }
        if self.tainted
            && !self
                .trusted_when_tainted
                .iter()
                .any(|t| entry_matches(t, &host, is_ip).is_some_and(port_ok))
        {
            return refuse(&host, Reason::Tainted);
        }
        Ok(())
    }

    /// Check what `host` resolved to. Every address must be public, or listed literally in
    /// `allow_hosts`: a name that resolves to loopback, a private range, link-local (cloud
    /// metadata) and the like is refused, whatever else it also resolves to, so DNS rebinding
    /// cannot reach the machine's own services.
    pub fn check_resolved(&self, host: &str, addrs: &[SocketAddr]) -> Result<(), Refusal> {
        let host = normalize_host(host).unwrap_or_else(|| host.to_owned());
        let port = addrs.first().map_or(0, SocketAddr::port);
        if addrs.is_empty() {
            return Err(Refusal {
                host,
                port,
                reason: Reason::Unresolved,
            });
        }
        for a in addrs {
            let ip = a.ip();
            if is_special(ip) && !self.ip_listed(ip, a.port()) {
                return Err(Refusal {
                    host,
                    port,
                    reason: Reason::PrivateAddress(ip),
                });
            }
        }
        Ok(())
    }

    /// Is `ip` listed literally, for `port`? (`127.0.0.1:5432` lets a name resolve to the
    /// local database, not to every local port.)
    fn ip_listed(&self, ip: IpAddr, port: u16) -> bool {
        self.allow_hosts.iter().any(|a| {
            let (pattern, p) = split_entry(a);
            pattern.parse::<IpAddr>().is_ok_and(|p| p == ip)
                && p.map_or(self.ports.contains(&port), |p| p == port)
        })
    }
}

/// Addresses a sandbox must not reach through a name: loopback, unspecified, private
/// (RFC 1918, ULA), shared (CGNAT), link-local (cloud metadata at 169.254.169.254),
/// multicast, broadcast, documentation, benchmarking and reserved ranges, and IPv6 forms that
/// carry such an IPv4 address (mapped, compatible, NAT64, 6to4).
pub fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_special_v4(v4),
        IpAddr::V6(v6) => is_special_v6(v6),
    }
}

fn is_special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_special_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_special_v4(v4);
    }
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        // ::a.b.c.d (deprecated compatible form)
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => return is_special_v4(embedded(hi, lo)),
        // NAT64 64:ff9b::/96
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return is_special_v4(embedded(hi, lo)),
        // 6to4 2002:aabb:ccdd::/48
        [0x2002, hi, lo, ..] => return is_special_v4(embedded(hi, lo)),
        _ => {}
    }
    let first = s.first().copied().unwrap_or(0);
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && s.get(1) == Some(&0x0db8)) // documentation
        || first == 0x0100 && s.get(1..4) == Some(&[0, 0, 0]) // discard-only
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow: &[&str]) -> EgressPolicy {
        EgressPolicy {
            allow_hosts: allow.iter().map(|s| s.to_string()).collect(),
            ..EgressPolicy::default()
        }
    }

    #[test]
    fn host_and_port_table() {
        let p = EgressPolicy {
            allow_hosts: [
                "github.com",
                "*.githubusercontent.com",
                "git.example.com:22",
                "10.1.2.3",
                "[2001:db8::7]:8443",
                "Registry.NPMJS.org",
                "blocked.example.org",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            deny_hosts: vec!["evil.github.com".into(), "blocked.example.org:443".into()],
            ..EgressPolicy::default()
        };
        #[rustfmt::skip]
        let table: &[(&str, u16, Option<Reason>)] = &[
            ("github.com", 443, None),
            ("GitHub.com.", 80, None),
            ("github.com", 22, Some(Reason::Port)),
            ("api.github.com", 443, Some(Reason::NotListed)),
            ("raw.githubusercontent.com", 443, None),
            ("githubusercontent.com", 443, Some(Reason::NotListed)),
            ("git.example.com", 22, None),
            ("git.example.com", 443, Some(Reason::Port)),
            ("registry.npmjs.org", 443, None),
            ("10.1.2.3", 443, None),
            ("10.1.2.4", 443, Some(Reason::RawIp)),
            ("140.82.112.3", 443, Some(Reason::RawIp)),
            ("[2001:db8::7]", 8443, None),
            ("2001:db8:0::7", 8443, None),
            ("2001:db8::7", 443, Some(Reason::Port)),
            ("::1", 443, Some(Reason::RawIp)),
            ("127.1", 443, Some(Reason::Malformed)),
            ("2130706433", 80, Some(Reason::Malformed)),
            ("0x7f000001", 80, Some(Reason::Malformed)),
            ("evil.github.com", 443, Some(Reason::Denied("evil.github.com".into()))),
            ("blocked.example.org", 443, Some(Reason::Denied("blocked.example.org:443".into()))),
            ("blocked.example.org", 80, None),
            ("exa mple.com", 443, Some(Reason::Malformed)),
            ("a..b", 443, Some(Reason::Malformed)),
            ("", 443, Some(Reason::Malformed)),
            ("github.com/x", 443, Some(Reason::Malformed)),
        ];
        for (host, port, want) in table {
            let got = p.check(host, *port).err().map(|r| r.reason);
            assert_eq!(&got, want, "{host}:{port}");
        }
    }

    #[test]
    fn a_project_list_only_narrows() {
        let p = EgressPolicy {
            project_hosts: Some(vec!["api.github.com".into(), "crates.io:8443".into()]),
            ..policy(&["*.github.com", "crates.io"])
        };
        assert!(p.check("api.github.com", 443).is_ok());
        assert_eq!(
            p.check("gist.github.com", 443).unwrap_err().reason,
            Reason::NotOnProject
        );
        // Listed by the project only: still not allowed.
        assert_eq!(p.check("crates.io", 8443).unwrap_err().reason, Reason::Port);
        assert_eq!(
            p.check("crates.io", 443).unwrap_err().reason,
            Reason::NotOnProject
        );
    }

    #[test]
    fn a_star_allows_every_name_but_no_address() {
        let p = policy(&["*"]);
        assert!(p.check("anything.example", 443).is_ok());
        assert_eq!(p.check("1.2.3.4", 443).unwrap_err().reason, Reason::RawIp);
        let d = EgressPolicy {
            deny_hosts: vec!["*".into()],
            ..policy(&["*", "1.2.3.4"])
        };
        assert!(matches!(
            d.check("1.2.3.4", 443).unwrap_err().reason,
            Reason::Denied(_)
        ));
        assert!(matches!(
            d.check("x.org", 443).unwrap_err().reason,
            Reason::Denied(_)
        ));
    }

    #[test]
    fn tainted_sessions_reach_only_trusted_hosts() {
        let mut p = policy(&["github.com", "crates.io", "git.example.com:22"]);
        p.tainted = true;
        assert_eq!(
            p.check("github.com", 443).unwrap_err().reason,
            Reason::Tainted
        );
        p.trusted_when_tainted = vec!["crates.io".into(), "git.example.com".into()];
        assert!(p.check("crates.io", 443).is_ok());
        assert_eq!(
            p.check("github.com", 443).unwrap_err().reason,
            Reason::Tainted
        );
        // Trusted does not mean allowed: the allow list still decides ports and hosts.
        assert_eq!(p.check("crates.io", 22).unwrap_err().reason, Reason::Port);
        // An entry without a port trusts the default ports only.
        assert_eq!(
            p.check("git.example.com", 22).unwrap_err().reason,
            Reason::Tainted
        );
        p.trusted_when_tainted.push("git.example.com:22".into());
        assert!(p.check("git.example.com", 22).is_ok());
        p.tainted = false;
        assert!(p.check("github.com", 443).is_ok());
    }

    #[test]
    fn resolved_addresses_are_guarded() {
        let p = policy(&["*", "127.0.0.1"]);
        let sa = |s: &str| -> SocketAddr { s.parse().unwrap() };
        assert!(p
            .check_resolved("ok.test", &[sa("140.82.112.3:443")])
            .is_ok());
        assert!(p
            .check_resolved("local.test", &[sa("127.0.0.1:443")])
            .is_ok());
        for bad in [
            "127.0.0.2:443",
            "10.0.0.1:443",
            "172.16.5.4:443",
            "192.168.1.1:443",
            "169.254.169.254:80",
            "100.64.0.1:443",
            "0.0.0.0:443",
            "[::1]:443",
            "[::]:443",
            "[fd00:ec2::254]:80",
            "[fe80::1]:443",
            "[::ffff:127.0.0.1]:443",
            "[::ffff:169.254.169.254]:80",
            "[64:ff9b::a9fe:a9fe]:80",
            "[2002:7f00:1::1]:443",
            "224.0.0.1:443",
            "255.255.255.255:443",
        ] {
            let r = p.check_resolved("rebind.test", &[sa("140.82.112.3:443"), sa(bad)]);
            assert!(
                matches!(
                    r,
                    Err(Refusal {
                        reason: Reason::PrivateAddress(_),
                        ..
                    })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            p.check_resolved("none.test", &[]).unwrap_err().reason,
            Reason::Unresolved
        );
    }

    #[test]
    fn refusal_messages_say_how_to_allow() {
        let p = policy(&["github.com"]);
        let msg = p.check("example.org", 443).unwrap_err().to_string();
        assert!(
            msg.contains("example.org:443") && msg.contains("network.allow_hosts"),
            "{msg}"
        );
        let msg = p.check("github.com", 22).unwrap_err().to_string();
        assert!(msg.contains("`github.com:22`"), "{msg}");
        let msg = p.check("::1", 443).unwrap_err().to_string();
        assert!(msg.contains("[::1]:443"), "{msg}");
    }
}
