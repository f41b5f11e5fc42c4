//! The sandboxed command's environment, rebuilt from an allowlist.
//!
//! The client's Bash tool hands every command the client's whole environment
//! (`ANTHROPIC_API_KEY`, `GITHUB_TOKEN`, the client's messaging socket and token …). Inside the
//! sandbox only the allowlisted names survive, and of those any whose name looks like a
//! credential or whose value the secret detector flags is dropped. A profile's `pass_env`
//! names pass whatever they hold: that is the user saying so.

/// Names that pass (exact), and prefixes that pass (`LC_*`).
const ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "TZ",
    "TMPDIR",
    "HOSTNAME",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "GIT_EDITOR",
    "GIT_PAGER",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CI",
    "DEBIAN_FRONTEND",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_DATA_DIRS",
    // The client's own markers, which tools use to notice an agent.
    "CLAUDECODE",
    "CLAUDE_PROJECT_DIR",
    "CLAUDE_CODE_ENTRYPOINT",
    // Toolchains.
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_TARGET_DIR",
    "CARGO_TERM_COLOR",
    "RUST_BACKTRACE",
    "RUST_LOG",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "GOMODCACHE",
    "GOFLAGS",
    "GOPROXY",
    "GOPRIVATE",
    "NVM_DIR",
    "NVM_BIN",
    "NODE_PATH",
    "NODE_OPTIONS",
    "NODE_ENV",
    "PNPM_HOME",
    "VOLTA_HOME",
    "BUN_INSTALL",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "PYENV_ROOT",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_INDEX_URL",
    "UV_CACHE_DIR",
    "POETRY_HOME",
    "JAVA_HOME",
    "GRADLE_USER_HOME",
    "MAVEN_HOME",
    "GEM_HOME",
    "GEM_PATH",
    "RBENV_ROOT",
    "DOTNET_ROOT",
    "CC",
    "CXX",
    "CFLAGS",
    "CXXFLAGS",
    "LDFLAGS",
    "PKG_CONFIG_PATH",
    "LD_LIBRARY_PATH",
    "MANPATH",
    "INFOPATH",
    // Proxies (a value with credentials in it is dropped by the detector).
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
];
const ALLOW_PREFIX: &[&str] = &["LC_"];

/// Name fragments that mark a credential whatever its value looks like.
const SECRET_NAME: &[&str] = &[
    "KEY",
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "COOKIE",
    "SESSION",
];

/// Whether a variable name looks like it holds a credential.
pub fn secret_name(name: &str) -> bool {
    // `GIT_AUTHOR_NAME` is no credential.
    let upper = name.to_ascii_uppercase().replace("AUTHOR", "");
    SECRET_NAME.iter().any(|f| upper.contains(f))
}

fn allowed(name: &str) -> bool {
    ALLOW.contains(&name) || ALLOW_PREFIX.iter().any(|p| name.starts_with(p))
}

/// The environment to run with: `vars` filtered, then `pass` names added from `vars`.
/// `flagged` says whether the secret detector finds a secret in a value.
pub fn rebuild(
    vars: impl IntoIterator<Item = (String, String)>,
    pass: &[String],
    flagged: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(k, v)| {
            pass.iter().any(|p| p == k)
                || (allowed(k) && !secret_name(k) && !flagged(v) && !flagged(&format!("{k}={v}")))
        })
        .collect();
    out.sort();
    out
}

/// [`rebuild`] over the process environment with the built-in secret detector.
pub fn from_process(pass: &[String]) -> Vec<(String, String)> {
    let detector = crate::secrets::builtin();
    rebuild(std::env::vars(), pass, &|v| !detector.find(v).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[(String, String)]) -> Vec<&str> {
        v.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn allowlist_table() {
        let vars: Vec<(String, String)> = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/u"),
            ("LC_ALL", "C"),
            ("GITHUB_TOKEN", "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ("ANTHROPIC_API_KEY", "sk-ant-dummy"),
            ("CLAUDE_CODE_MESSAGING_TOKEN", "x"),
            ("CLAUDE_CODE_MESSAGING_SOCKET", "/tmp/cc-socks/1"),
            ("SSH_AUTH_SOCK", "/tmp/ssh-x/agent.1"),
            ("AWS_SECRET_ACCESS_KEY", "abc"),
            ("RANDOM_THING", "1"),
            ("CARGO_HOME", "/home/u/.cargo"),
            ("HTTPS_PROXY", "http://proxy:3128"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let flag = |v: &str| v.contains("ghp_") || v.contains("user:pass");
        let out = rebuild(vars.clone(), &[], &flag);
        assert_eq!(
            names(&out),
            ["CARGO_HOME", "HOME", "HTTPS_PROXY", "LC_ALL", "PATH"]
        );
        // A proxy URL with credentials in it is flagged by value.
        let mut v2 = vars.clone();
        v2.push(("HTTP_PROXY".into(), "http://user:pass@proxy".into()));
        assert!(!names(&rebuild(v2, &[], &flag)).contains(&"HTTP_PROXY"));
        // A profile's pass_env lets a named variable through whatever it holds.
        let out = rebuild(vars, &["GITHUB_TOKEN".into()], &flag);
        assert!(names(&out).contains(&"GITHUB_TOKEN"));
        assert!(!names(&out).contains(&"ANTHROPIC_API_KEY"));
    }
}
