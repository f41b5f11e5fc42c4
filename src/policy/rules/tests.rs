#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use super::*;
use crate::policy::{LayerKind, Policy, Source};

const POLICY: &str = r#"version = 1
[profiles.main]
allow_tools = ["*"]

[[rules]]
id = "git-push"
decision = "ask"
reason = "r"
command = { program = "git", subcommand = "push" }

[[rules]]
id = "any-mk"
decision = "ask"
reason = "r"
command = [{ program = "mk*" }, { program = "b?ke" }]

[[rules]]
id = "all-programs"
decision = "ask"
reason = "r"
command = { program = "*", flags = ["--yolo"] }

[[rules]]
id = "mcp-gh"
decision = "ask"
reason = "r"
tools = ["mcp__github__*"]

[[rules]]
id = "read-only"
decision = "deny"
reason = "r"
tools = ["Read"]
paths = ["~/x/**"]

[[rules]]
id = "any-tool-path"
decision = "deny"
reason = "r"
paths = ["~/y/**"]

[[rules]]
id = "host"
decision = "ask"
reason = "r"
hosts = ["*.example.com"]

[[rules]]
id = "combo"
decision = "ask"
reason = "r"
tools = ["Web*"]
hosts = ["a.b"]
input_regex = "x"
"#;

fn sets() -> (Policy, Policy) {
    let env = crate::policy::tests::test_env();
    let sources = [
        Source::embedded(),
        Source {
            kind: LayerKind::User,
            name: std::sync::Arc::from("user.toml"),
            text: POLICY.to_string(),
        },
    ];
    let fresh = Policy::from_sources(&sources, &env).unwrap();
    let cached = crate::policy::cache::round_trip(&fresh).unwrap();
    (fresh, cached)
}

fn ids<'a>(it: impl Iterator<Item = &'a Rule>) -> Vec<String> {
    it.map(|r| r.id.to_string()).collect()
}

fn compiled(set: &RuleSet) -> &[Rule] {
    match &set.store {
        Store::Compiled(rules) => rules,
        Store::Encoded(_) => panic!("expected a compiled set"),
    }
}

/// The index reaches every rule that applies to a name (in the same order as the full scan),
/// for names that hit literal, prefix, `?` and catch-all patterns, and names that hit nothing.
#[test]
fn the_index_reaches_every_rule_a_full_scan_reaches() {
    let (fresh, cached) = sets();
    let kinds: &[&[Kind]] = &[
        &[Kind::Path],
        &[Kind::Host],
        &[Kind::Other],
        &[Kind::Command],
        &[Kind::Path, Kind::Other],
    ];
    let names = [
        "git",
        "gi",
        "gitx",
        "make",
        "mkfs.ext4",
        "bake",
        "ake",
        "",
        "Read",
        "Write",
        "mcp__github__create_issue",
        "mcp__github_",
        "WebFetch",
        "rm",
        "ré",
        "日本",
    ];
    for k in kinds {
        for name in names {
            let applies = |r: &&Rule| match (&r.command_patterns, &r.tools) {
                (Some(p), _) => p.iter().any(|p| p.matches_program(name)),
                (None, Some(t)) => crate::wildcard::any(t, name),
                (None, None) => true,
            };
            let want = ids(fresh.rules.reachable(k, name).filter(applies));
            let got = ids(cached.rules.reachable(k, name).filter(applies));
            assert_eq!(want, got, "{k:?} {name:?}");
            let full = fresh.rules.reachable(k, name).count();
            assert!(cached.rules.reachable(k, name).count() <= full);
        }
    }
    assert!(!cached.rules.is_damaged());
}

#[test]
fn the_index_leaves_out_rules_for_other_names() {
    let (_, cached) = sets();
    let got = ids(cached.rules.reachable(&[Kind::Command], "git"));
    assert!(got.contains(&"git-push".to_string()), "{got:?}");
    assert!(got.contains(&"all-programs".to_string()), "{got:?}");
    assert!(!got.contains(&"any-mk".to_string()), "{got:?}");
    let got = ids(cached.rules.reachable(&[Kind::Other], "Read"));
    assert!(!got.contains(&"mcp-gh".to_string()), "{got:?}");
    let got = ids(cached.rules.reachable(&[Kind::Other], "mcp__github__x"));
    assert!(got.contains(&"mcp-gh".to_string()), "{got:?}");
}

#[test]
fn every_rule_has_its_kind() {
    let (fresh, _) = sets();
    let kind = |id: &str| Kind::of(fresh.rules.iter().find(|r| &*r.id == id).unwrap());
    assert_eq!(kind("git-push"), Kind::Command);
    assert_eq!(kind("mcp-gh"), Kind::Other);
    assert_eq!(kind("read-only"), Kind::Path);
    assert_eq!(kind("any-tool-path"), Kind::Path);
    assert_eq!(kind("host"), Kind::Host);
    assert_eq!(kind("combo"), Kind::Other);
}

#[test]
fn literal_prefixes() {
    for (pattern, prefix) in [
        ("git", "git"),
        ("mcp__github__*", "mcp__github__"),
        ("?ake", ""),
        ("*", ""),
        ("a*b?c", "a"),
        ("", ""),
    ] {
        assert_eq!(literal_prefix(pattern), prefix, "{pattern}");
    }
}

/// A rule that cannot be decoded is not skipped silently: the set says it is damaged (and the
/// engine denies).
#[test]
fn a_damaged_rule_marks_the_set() {
    let (fresh, _) = sets();
    let rules = compiled(&fresh.rules);
    let mut bytes = encode(rules).unwrap();
    // Point the first rule's length past the end of the data area.
    bytes[HEADER + 4..HEADER + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let len = bytes.len();
    let set = RuleSet::from_encoded(bytes, 0..len).unwrap();
    assert!(!set.is_damaged());
    assert_eq!(set.iter().count(), rules.len() - 1);
    assert!(set.is_damaged());
}

#[test]
fn truncated_tables_are_refused() {
    let (fresh, _) = sets();
    let bytes = encode(compiled(&fresh.rules)).unwrap();
    assert!(RuleSet::from_encoded(bytes.clone(), 0..7).is_none());
    assert!(RuleSet::from_encoded(bytes.clone(), 0..HEADER + 8).is_none());
    assert!(RuleSet::from_encoded(bytes.clone(), 3..bytes.len() + 1).is_none());
    // At an offset inside a larger buffer, as in a cache entry.
    let mut framed = b"head".to_vec();
    framed.extend_from_slice(&bytes);
    let set = RuleSet::from_encoded(framed, 4..4 + bytes.len()).unwrap();
    assert_eq!(set.iter().count(), compiled(&fresh.rules).len());
}

#[test]
fn remembered_lookups_answer_like_fresh_ones() {
    let (_, cached) = sets();
    let Store::Encoded(e) = &cached.rules.store else {
        panic!("the cached set is encoded");
    };
    // More distinct lookups than the memo keeps, each asked three times: the first answer is
    // computed, later ones come from the memo while it has room and are computed again after.
    let names: Vec<String> = (0..MEMO_ENTRIES + 20)
        .map(|i| ["git", "rm", "Read", "mcp__x", "make"][i % 5].repeat(1 + i / 5))
        .chain(["git".to_string(), "Read".to_string()])
        .collect();
    for _ in 0..3 {
        for name in &names {
            for kinds in [&[Kind::Command][..], &[Kind::Path, Kind::Other]] {
                assert_eq!(
                    &*e.memoised_candidates(kinds, name),
                    e.candidates(kinds, name).as_slice(),
                    "{kinds:?} {name}"
                );
            }
        }
    }
    assert_eq!(e.memo.lock().unwrap().len(), MEMO_ENTRIES);
}
