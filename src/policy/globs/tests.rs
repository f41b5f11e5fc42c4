//! Path globs and the literal prefilter: never hiding a match, and failing closed on a
//! damaged table.
use std::path::Path;
use std::sync::OnceLock;

use super::*;
use crate::policy::tests::test_env;
use crate::policy::Policy;

/// The literal prefilter in `PathGlobs::is_match` may only skip sets that cannot match: for
/// every pattern of the embedded default and paths around each of them, a glob match implies
/// `could_match`.
#[test]
fn glob_prefilter_never_hides_a_match() {
    let p = Policy::embedded(&test_env()).unwrap();
    let mut patterns: Vec<String> = Vec::new();
    for r in &p.rules {
        for g in [&r.paths, &r.except].into_iter().flatten() {
            patterns.extend(g.patterns().iter().cloned());
        }
    }
    patterns.extend([
        "/a/**/b".into(),
        "**/x*y?z/**".into(),
        "/**".into(),
        "**".into(),
    ]);
    let mut paths: Vec<String> = vec![
        "/a/b".into(),
        "/a/c/d/b".into(),
        "/q/x1y2z".into(),
        "/q/xyz/w".into(),
        "/".into(),
        "/home/u/.ssh".into(),
        "/work/p/.env".into(),
        "/work/p/a/.env.local".into(),
        "/work/p/.git/hooks/pre-commit".into(),
        "/work/p/src/main.rs".into(),
    ];
    // Every pattern with its wildcards filled in a few ways, so most patterns match something.
    for pat in &patterns {
        for fill in ["", "x", "dir/sub"] {
            let s = pat
                .replace("**", fill)
                .replace(['*', '?'], if fill.is_empty() { "" } else { "k" });
            paths.push(if s.starts_with('/') {
                s
            } else {
                format!("/{s}")
            });
        }
    }
    let mut matched = 0;
    for pat in &patterns {
        let g = glob(pat).unwrap().compile_matcher();
        for path in &paths {
            if g.is_match(path) {
                matched += 1;
                assert!(
                    could_match(pat, path),
                    "prefilter hides `{path}` from `{pat}`"
                );
                assert!(
                    Literals::of(std::slice::from_ref(pat)).possible(path),
                    "literal table hides `{path}` from `{pat}`"
                );
            }
        }
    }
    assert!(
        matched > patterns.len(),
        "the test paths match too little ({matched})"
    );
    // The compact table the glob sets keep (and the cache stores) is at least as strict as
    // `could_match` (it also anchors absolute patterns), and for sets of patterns never hides
    // a match of any of them.
    let matchers: Vec<_> = patterns
        .iter()
        .map(|p| glob(p).unwrap().compile_matcher())
        .collect();
    let singles: Vec<Literals> = patterns
        .iter()
        .map(|p| Literals::of(std::slice::from_ref(p)))
        .collect();
    let groups: Vec<Literals> = patterns.chunks(7).map(Literals::of).collect();
    for path in &paths {
        for (pat, table) in patterns.iter().zip(&singles) {
            if table.possible(path) {
                assert!(could_match(pat, path), "{pat} {path}");
            }
        }
        for ((group, table), m) in patterns.chunks(7).zip(&groups).zip(matchers.chunks(7)) {
            if m.iter().any(|m| m.is_match(path)) {
                assert!(table.possible(path), "{group:?} hides {path}");
            }
        }
    }
    let anchored = Literals::of(&["/home/u/.ssh/**".to_string()]);
    assert!(
        !anchored.possible("/work/p/home/u/.ssh/x"),
        "anchored at the start"
    );
    assert!(anchored.possible("/home/u/.ssh"));
    let rules = PathGlobs::new(vec!["/home/u/.ssh/**".into(), "**/*.pem".into()]);
    assert!(!rules.is_match(Path::new("/work/p/src/main.rs")));
    assert!(
        rules.set.get().is_none(),
        "no set is built for a path no pattern could match"
    );
    assert!(rules.is_match(Path::new("/home/u/.ssh/id_rsa")));
    assert!(rules.is_match(Path::new("/work/p/k.pem")));
    assert!(!rules.is_match(Path::new("/work/p/k.pem.txt")));
}

/// A glob set read from the compiled-policy cache decodes its patterns only when a matcher
/// must be built, answers like the original, and fails closed if its pattern bytes are bad.
#[test]
fn cached_glob_sets_decode_their_patterns_only_to_build_a_matcher() {
    let g = PathGlobs::new(vec!["/home/u/.ssh/**".into(), "**/*.pem".into()]);
    let back: PathGlobs = postcard::from_bytes(&postcard::to_allocvec(&g).unwrap()).unwrap();
    assert!(!back.is_match(Path::new("/work/p/src/main.rs")));
    assert!(
        back.patterns.get().is_none(),
        "decoded for a path no pattern could match"
    );
    assert!(back.is_match(Path::new("/home/u/.ssh/id_rsa")));
    assert!(back.is_match(Path::new("/work/p/k.pem")));
    assert_eq!(back.patterns(), g.patterns());
    let broken = PathGlobs {
        patterns: OnceLock::new(),
        encoded: vec![0xff],
        literals: Literals::of(&["/x".to_string()]),
        set: OnceLock::new(),
    };
    assert!(
        broken.is_match(Path::new("/x")),
        "bad pattern bytes match everything"
    );
}

#[test]
fn byte_mask_of_a_part_is_a_subset_of_the_whole() {
    for (whole, part) in [
        ("/work/p/.env", ".env"),
        ("/a/B9", "B9"),
        ("/caf\u{e9}/x", "\u{e9}"),
        ("/p/id_rsa.pub", "id_rsa"),
    ] {
        assert!(whole.contains(part));
        assert_eq!(
            byte_mask(part.as_bytes()) & !byte_mask(whole.as_bytes()),
            0,
            "{part} in {whole}"
        );
    }
    // What the mask is for: a run ruled out without a substring search.
    assert_ne!(byte_mask(b"id_rsa") & !byte_mask(b"/work/p/src/main.c"), 0);
}

#[test]
fn damaged_literal_table_counts_as_possible() {
    let whole = Literals::of(&["**/id_rsa".to_string(), "/home/u/.ssh/**".to_string()]);
    assert!(!whole.possible("/work/p/src/main.rs"));
    for cut in [0, 4, 8, 20, whole.table.len() - 4] {
        let damaged = Literals {
            table: whole.table[..cut].to_vec(),
            text: whole.text.clone(),
        };
        assert!(damaged.possible("/work/p/src/main.rs"), "cut at {cut}");
    }
    // Without its text the table still admits what its patterns match (the heads and masks
    // it keeps are necessary conditions; a run it cannot read counts as found).
    let no_text = Literals {
        table: whole.table.clone(),
        text: String::new(),
    };
    assert!(no_text.possible("/work/p/x/id_rsa"));
    assert!(no_text.possible("/home/u/.ssh/config"));
}

impl Literals {
    /// [`Literals::any_possible`] for a path given as text.
    fn possible(&self, path: &str) -> bool {
        self.any_possible(&PathProbe::new(Path::new(path)))
    }
}

#[test]
fn anchor_heads_compare_prefixes() {
    let cases = [
        ("/home/u/.ssh", "/home/u/.ssh/id_rsa", true),
        ("/home/u/.ssh", "/home/u/.sshx", true),
        ("/home/u/.ssh", "/home/v/.ssh", false),
        ("/home/u", "/home/u", true),
        ("/home/u", "/home", false),
        ("/h", "/home", true),
        ("/h", "/x", false),
        ("", "/anything", true),
        ("/tmp/long-anchor-name", "/tmp/long-anchor-other", true), // heads agree; text decides
    ];
    for (anchor, path, heads_agree) in cases {
        let (head, mask) = anchor_head(anchor.as_bytes());
        let probe = PathProbe::new(Path::new(path));
        assert_eq!(
            (probe.head ^ head) & mask == 0,
            heads_agree,
            "{anchor} vs {path}"
        );
    }
    // Past eight bytes the anchor's text decides.
    let long = Literals::of(&["/tmp/long-anchor-name/**".to_string()]);
    assert!(long.possible("/tmp/long-anchor-name/x"));
    assert!(!long.possible("/tmp/long-anchor-other/x"));
    assert!(!long.possible("/tmp"));
}

#[test]
fn a_table_with_bad_values_never_panics() {
    let whole = Literals::of(&[
        "**/id_rsa".to_string(),
        "/home/u/.ssh/**".to_string(),
        "/home/u/.config/gcloud/**".to_string(),
    ]);
    for path in [
        "/work/p/src/main.rs",
        "/home/u/.ssh/id_rsa",
        "/home/u/.config/gcloud/x",
    ] {
        for at in (0..whole.table.len()).step_by(4) {
            for v in [0, 1, 7, 9, u32::MAX - 1, u32::MAX] {
                let mut table = whole.table.clone();
                table[at..at + 4].copy_from_slice(&u32::to_le_bytes(v));
                let damaged = Literals {
                    table,
                    text: whole.text.clone(),
                };
                let _ = damaged.possible(path);
            }
        }
    }
    // A run whose text range lies outside the text counts as found. (Other values are not
    // checked for sense: cache entries are replaced whole, and a changed mask or head is no
    // more detectable than a changed decision.)
    assert!(!whole.possible("/x/asr_di"), "same bytes, not the run");
    let mut table = whole.table.clone();
    let run_stop = (2 + 3 * PATTERN_FIELDS + 1) * 4; // `id_rsa`'s end in the text
    table[run_stop..run_stop + 4].copy_from_slice(&u32::to_le_bytes(u32::MAX - 1));
    let damaged = Literals {
        table,
        text: whole.text.clone(),
    };
    assert!(damaged.possible("/x/asr_di"));
}
