//! The verdicts built into the code, as rules with ids: what each guards, its default decision,
//! and how far a policy may tune it (`[builtins]`).
//!
//! What belongs here: the registry of built-in rule ids ([`BUILTINS`], sorted, checked by a
//! test) and the arithmetic of tuning one ([`Setting`], [`tuned`]). What does not: the checks
//! themselves (they live where the knowledge is: `crate::bash`, `crate::checks`,
//! `crate::engine`) and how settings merge across layers (`policy::layering`: a trusted layer
//! overrides, a project layer may only raise a built-in's decision).
//!
//! A built-in whose `floor` is set is how blastwall fails closed (unparseable or dynamic input,
//! an unreadable cache): a policy may make it stricter but never take it below its floor.
use crate::decision::Decision;

/// One built-in verdict.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The rule id findings carry and reasons name.
    pub id: &'static str,
    /// What the code decides when no policy tunes it ("deny", "ask", or "ask or deny" when the
    /// code picks by what it saw).
    pub default: &'static str,
    /// What it guards against, one line.
    pub guards: &'static str,
    /// The loosest decision a policy may give it; `None` when it may be switched off.
    pub floor: Option<Decision>,
}

const fn b(
    id: &'static str,
    default: &'static str,
    guards: &'static str,
    floor: Option<Decision>,
) -> Builtin {
    Builtin {
        id,
        default,
        guards,
        floor,
    }
}

/// Every built-in verdict, sorted by id.
pub const BUILTINS: &[Builtin] = &[
    b(
        "bash-analysis",
        "ask",
        "a Bash command blastwall cannot read statically (dynamic code, unknown constructs)",
        Some(Decision::Ask),
    ),
    b(
        "bash-dynamic-path",
        "ask",
        "a path built at run time that could name anything",
        Some(Decision::Ask),
    ),
    b(
        "compiled-policy-cache",
        "deny",
        "a compiled-policy cache entry that could not be read",
        Some(Decision::Deny),
    ),
    b(
        "delete-root",
        "deny",
        "deleting the project, home, the temp dir or a folder above them",
        None,
    ),
    b(
        "env-dump",
        "deny",
        "printing the whole environment or a secret variable",
        None,
    ),
    b(
        "exec-env",
        "ask or deny",
        "environment variables and options that make a program run other code",
        None,
    ),
    b(
        "fork-bomb",
        "deny",
        "a function that calls itself in the background",
        None,
    ),
    b(
        "inline-code",
        "ask",
        "inline interpreter code (`python -c`, `node -e`) blastwall cannot judge",
        None,
    ),
    b(
        "input",
        "deny",
        "a tool call missing the field blastwall judges",
        Some(Decision::Deny),
    ),
    b(
        "memory-import",
        "ask or deny",
        "a memory or rules file that makes the next session read a secret or run a command",
        None,
    ),
    b(
        "network-allowlist",
        "ask",
        "a URL whose host cannot be told",
        Some(Decision::Ask),
    ),
    b(
        "path-unresolved",
        "ask",
        "a path that cannot be resolved",
        Some(Decision::Ask),
    ),
    b(
        "recursive-delete",
        "ask or deny",
        "a recursive delete outside the scratch areas",
        None,
    ),
    b(
        "remote-code",
        "ask or deny",
        "running code fetched from the network unseen (`curl | sh`, `npx pkg@x`)",
        None,
    ),
    b(
        "secret-in-file",
        "deny",
        "reading a file that holds a live credential",
        None,
    ),
    b(
        "serve-files",
        "ask",
        "serving files beyond localhost or from home",
        None,
    ),
    b(
        "taint",
        "ask",
        "reaching the network after external content looked like a prompt injection",
        None,
    ),
    b(
        "truncate",
        "ask",
        "emptying or overwriting a file through an allowed program",
        None,
    ),
];

/// The registry entry of `id`.
pub fn lookup(id: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.id.cmp(id))
        .ok()
        .and_then(|i| BUILTINS.get(i))
}

/// How a policy tunes one built-in (`[builtins] remote-code = "ask"`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    /// The built-in no longer reports (trusted layers only; never below a floor).
    Off,
    Ask,
    Deny,
}

impl Setting {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Off => "off",
            Setting::Ask => "ask",
            Setting::Deny => "deny",
        }
    }

    fn of(d: Decision) -> Setting {
        match d {
            Decision::Allow => Setting::Off,
            Decision::Ask => Setting::Ask,
            Decision::Deny => Setting::Deny,
        }
    }

    /// Whether the registry lets a policy give `builtin` this setting.
    pub fn allowed_for(self, builtin: &Builtin) -> bool {
        builtin.floor.is_none_or(|floor| self >= Setting::of(floor))
    }
}

/// The decision a finding of a built-in gets: the trusted setting replaces what the code
/// decided, then a project setting can only raise it. `None`: the finding is dropped.
pub fn tuned(
    coded: Decision,
    trusted: Option<Setting>,
    project: Option<Setting>,
) -> Option<Decision> {
    let after_trusted = trusted.unwrap_or(Setting::of(coded));
    match after_trusted.max(project.unwrap_or(Setting::Off)) {
        Setting::Off => None,
        Setting::Ask => Some(Decision::Ask),
        Setting::Deny => Some(Decision::Deny),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique() {
        for w in BUILTINS.windows(2) {
            let [a, b] = w else { continue };
            assert!(a.id < b.id, "{} must sort before {}", a.id, b.id);
        }
        assert!(lookup("remote-code").is_some());
        assert!(lookup("no-such-rule").is_none());
    }

    #[test]
    fn tuning_table() {
        use Decision::{Allow, Ask, Deny};
        use Setting::{Ask as SAsk, Deny as SDeny, Off};
        // (coded, trusted, project, result)
        type Case = (Decision, Option<Setting>, Option<Setting>, Option<Decision>);
        let cases: &[Case] = &[
            (Deny, None, None, Some(Deny)),
            (Ask, None, None, Some(Ask)),
            (Deny, Some(SAsk), None, Some(Ask)),
            (Ask, Some(SDeny), None, Some(Deny)),
            (Deny, Some(Off), None, None),
            // A project can only raise.
            (Deny, None, Some(SAsk), Some(Deny)),
            (Deny, None, Some(Off), Some(Deny)),
            (Ask, None, Some(SDeny), Some(Deny)),
            (Deny, Some(Off), Some(SAsk), Some(Ask)),
            (Deny, Some(SAsk), Some(SDeny), Some(Deny)),
            (Allow, None, None, None),
        ];
        for (coded, trusted, project, want) in cases {
            assert_eq!(
                tuned(*coded, *trusted, *project),
                *want,
                "{coded:?} {trusted:?} {project:?}"
            );
        }
    }

    /// Every rule id the code reports without a policy location is in the registry, so `lint`,
    /// `explain --builtins` and `[builtins]` know it. Read from the source: a new built-in
    /// that is not registered fails here.
    #[test]
    fn every_built_in_finding_is_registered() {
        let re = regex::Regex::new(
            r#"Decision::(?:Ask|Deny),\s*"([a-z0-9-]+)",\s*(?:None|format!|truncate)"#,
        )
        .unwrap();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if !name.ends_with(".rs") || name == "tests.rs" || name.ends_with("_tests.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
                for c in re.captures_iter(code) {
                    seen.insert((c[1].to_string(), name.clone()));
                }
            }
        }
        assert!(seen.len() >= 10, "the scan found too little: {seen:?}");
        for (id, file) in &seen {
            assert!(
                lookup(id).is_some(),
                "`{id}` ({file}) is reported by the code but not in BUILTINS"
            );
        }
    }

    #[test]
    fn floors_hold() {
        let analysis = lookup("bash-analysis").unwrap();
        assert!(!Setting::Off.allowed_for(analysis));
        assert!(Setting::Ask.allowed_for(analysis));
        let cache = lookup("compiled-policy-cache").unwrap();
        assert!(!Setting::Ask.allowed_for(cache));
        let code = lookup("remote-code").unwrap();
        assert!(Setting::Off.allowed_for(code));
    }
}
