//! Every place blastwall reads or writes, decided once: [`Dirs`].
//!
//! - configuration: `$XDG_CONFIG_HOME/blastwall` (else `~/.config/blastwall`): the user policy;
//! - managed configuration: `/etc/blastwall`: the managed policy;
//! - state: `$XDG_STATE_HOME/blastwall` (else `~/.local/state/blastwall`): the audit log, the
//!   compiled-policy cache, session taint marks, tickets.
//!
//! An `XDG_*` variable counts only when it is an absolute path (the XDG rule). The policy's
//! path patterns can name the two directories as `${BLASTWALL_CONFIG}` and
//! `${BLASTWALL_STATE}` (see `crate::paths`), and the embedded default's `guard-files` rule
//! does: moving a directory with `XDG_*` moves its protection with it.
//!
//! What belongs here: where things live. What does not: reading or writing them (the policy
//! sources, `audit`, `policy::cache`, `post`).
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// blastwall's directories for one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// The user's configuration directory; `None` without `HOME` or `XDG_CONFIG_HOME`.
    pub config: Option<PathBuf>,
    /// The managed configuration directory (`/etc/blastwall`).
    pub managed: PathBuf,
    /// The state directory; `None` without `HOME` or `XDG_STATE_HOME`.
    pub state: Option<PathBuf>,
}

/// An `XDG_*` value that counts: set, non-empty, absolute.
fn xdg(value: Option<OsString>) -> Option<PathBuf> {
    value
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

impl Dirs {
    /// The directories for `home` and this process's `XDG_CONFIG_HOME` and `XDG_STATE_HOME`.
    pub fn from_env(home: Option<&Path>) -> Dirs {
        Dirs::with(
            home,
            std::env::var_os("XDG_CONFIG_HOME"),
            std::env::var_os("XDG_STATE_HOME"),
        )
    }

    /// The directories for `home` and the given `XDG_CONFIG_HOME` and `XDG_STATE_HOME` values.
    pub fn with(
        home: Option<&Path>,
        config_home: Option<OsString>,
        state_home: Option<OsString>,
    ) -> Dirs {
        let config = xdg(config_home).or_else(|| home.map(|h| h.join(".config")));
        let state = xdg(state_home).or_else(|| home.map(|h| h.join(".local/state")));
        Dirs {
            config: config.map(|d| d.join("blastwall")),
            managed: PathBuf::from("/etc/blastwall"),
            state: state.map(|d| d.join("blastwall")),
        }
    }

    /// The user policy layer.
    pub fn user_policy(&self) -> Option<PathBuf> {
        self.config.as_ref().map(|d| d.join("policy.toml"))
    }

    /// The managed policy layer.
    pub fn managed_policy(&self) -> PathBuf {
        self.managed.join("policy.toml")
    }

    /// The audit log, unless the policy's `settings.audit_log` moves it.
    pub fn audit_log(&self) -> Option<PathBuf> {
        self.state.as_ref().map(|d| d.join("audit.jsonl"))
    }

    /// The compiled-policy cache.
    pub fn cache(&self) -> Option<PathBuf> {
        self.state.as_ref().map(|d| d.join("cache"))
    }

    /// Per-session taint marks.
    pub fn taint(&self) -> Option<PathBuf> {
        self.state.as_ref().map(|d| d.join("taint"))
    }

    /// Approval tickets.
    pub fn tickets(&self) -> Option<PathBuf> {
        self.state.as_ref().map(|d| d.join("tickets"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_variables_move_the_directories_when_absolute() {
        let home = Some(Path::new("/home/u"));
        // (XDG_CONFIG_HOME, XDG_STATE_HOME, config dir, state dir)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: [Case; 5] = [
            (
                None,
                None,
                Some("/home/u/.config/blastwall"),
                Some("/home/u/.local/state/blastwall"),
            ),
            (
                Some("/x/conf"),
                Some("/x/state"),
                Some("/x/conf/blastwall"),
                Some("/x/state/blastwall"),
            ),
            // Empty and relative values do not count.
            (
                Some(""),
                Some("rel/state"),
                Some("/home/u/.config/blastwall"),
                Some("/home/u/.local/state/blastwall"),
            ),
            (
                None,
                Some("/s"),
                Some("/home/u/.config/blastwall"),
                Some("/s/blastwall"),
            ),
            (
                Some("/c"),
                None,
                Some("/c/blastwall"),
                Some("/home/u/.local/state/blastwall"),
            ),
        ];
        for (config, state, want_config, want_state) in cases {
            let d = Dirs::with(home, config.map(OsString::from), state.map(OsString::from));
            assert_eq!(
                d.config.as_deref(),
                want_config.map(Path::new),
                "{config:?}"
            );
            assert_eq!(d.state.as_deref(), want_state.map(Path::new), "{state:?}");
        }
        let none = Dirs::with(None, None, None);
        assert_eq!((none.config, none.state), (None, None));
        let d = Dirs::with(home, None, Some("/s".into()));
        assert_eq!(
            d.audit_log().unwrap(),
            Path::new("/s/blastwall/audit.jsonl")
        );
        assert_eq!(d.cache().unwrap(), Path::new("/s/blastwall/cache"));
        assert_eq!(d.taint().unwrap(), Path::new("/s/blastwall/taint"));
        assert_eq!(d.managed_policy(), Path::new("/etc/blastwall/policy.toml"));
    }
}
