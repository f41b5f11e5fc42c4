//! Policy loading, merging and the never-loosen rule for project layers.
use std::path::PathBuf;
use std::sync::Arc;

use super::*;

pub(crate) fn test_env() -> PathEnv {
    PathEnv {
        home: Some(PathBuf::from("/home/u")),
        project: PathBuf::from("/work/p"),
        tmpdir: PathBuf::from("/tmp"),
        cwd: PathBuf::from("/work/p"),
        exe: Some(PathBuf::from("/usr/local/bin/blastwall")),
    }
}

fn src(kind: LayerKind, name: &str, text: &str) -> Source {
    Source {
        kind,
        name: Arc::from(name),
        text: text.to_string(),
    }
}

fn load(layers: &[(LayerKind, &str)]) -> Result<Policy, PolicyError> {
    let mut sources = vec![Source::embedded()];
    for (i, (kind, text)) in layers.iter().enumerate() {
        sources.push(src(*kind, &format!("layer{i}.toml"), text));
    }
    Policy::from_sources(&sources, &test_env())
}

fn err(layers: &[(LayerKind, &str)]) -> String {
    load(layers)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "no error".into())
}

#[test]
fn embedded_default_compiles_and_every_glob_builds() {
    let p = Policy::embedded(&test_env()).unwrap();
    assert_eq!(p.profiles[0].name, MAIN_PROFILE);
    assert_eq!(p.on_allow, OnAllow::None);
    let warnings = lint::check(&p).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(p.rules.iter().any(|r| &*r.id == "credential-stores"));
}

#[test]
fn syntax_errors_point_at_line_and_column() {
    let e = err(&[(LayerKind::User, "version = 1\n[settings]\non_allow = \n")]);
    assert!(e.starts_with("policy error in layer0.toml:3:"), "{e}");
}

#[test]
fn unknown_keys_are_errors_with_location() {
    let e = err(&[(
        LayerKind::User,
        "version = 1\n[settings]\non_alow = \"allow\"\n",
    )]);
    assert!(e.contains("layer0.toml:3:") && e.contains("on_alow"), "{e}");
    let e = err(&[(LayerKind::User, "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"deny\"\nreason = \"r\"\ntool = [\"Bash\"]\n")]);
    assert!(e.contains("layer0.toml:6:") && e.contains("tool"), "{e}");
}

#[test]
fn version_is_required_and_checked() {
    assert!(err(&[(LayerKind::User, "[settings]\n")]).contains("missing `version = 1`"));
    let e = err(&[(LayerKind::User, "\nversion = 2\n")]);
    assert!(
        e.contains("layer0.toml:2:") && e.contains("unsupported policy version 2"),
        "{e}"
    );
}

#[test]
fn invalid_rules_are_rejected_at_their_line() {
    let no_condition = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"deny\"\nreason = \"r\"\n";
    assert!(err(&[(LayerKind::User, no_condition)]).contains("layer0.toml:3:"));
    let bad_glob = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"deny\"\nreason = \"r\"\npaths = [\"/a/[\"]\n";
    assert!(err(&[(LayerKind::User, bad_glob)]).contains("bad path pattern"));
    let bad_var = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"deny\"\nreason = \"r\"\npaths = [\"$NOPE/x\"]\n";
    assert!(err(&[(LayerKind::User, bad_var)]).contains("unknown variable"));
    let bad_decision = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"allow\"\nreason = \"r\"\ntools = [\"Bash\"]\n";
    assert!(err(&[(LayerKind::User, bad_decision)]).contains("layer0.toml:4:"));
    let bad_regex = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"ask\"\nreason = \"r\"\ninput_regex = \"(\"\n";
    assert!(err(&[(LayerKind::User, bad_regex)]).contains("bad input_regex"));
}

#[test]
fn profiles_other_than_main_need_when() {
    let e = err(&[(
        LayerKind::User,
        "version = 1\n[profiles.reviewer]\nallow_tools = [\"Read\"]\n",
    )]);
    assert!(e.contains("needs a `when`"), "{e}");
    let e = err(&[(
        LayerKind::User,
        "version = 1\n[profiles.main]\nwhen = { subagent = true }\n",
    )]);
    assert!(e.contains("cannot have `when`"), "{e}");
}

#[test]
fn rule_locations_name_the_layer_and_line() {
    let p = load(&[(LayerKind::User, "version = 1\n\n[[rules]]\nid = \"no-curl\"\ndecision = \"deny\"\nreason = \"r\"\ntools = [\"WebFetch\"]\n")]).unwrap();
    let r = p.rules.iter().find(|r| &*r.id == "no-curl").unwrap();
    assert_eq!(r.loc.to_string(), "layer0.toml:4");
    let cred = p
        .rules
        .iter()
        .find(|r| &*r.id == "credential-stores")
        .unwrap();
    assert!(cred.loc.to_string().starts_with("embedded:default.toml:"));
    let line: usize = cred.loc.line as usize;
    assert!(EMBEDDED_DEFAULT
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("credential-stores"));
}

#[test]
fn trusted_layers_override_keys_and_rules_by_id() {
    let p = load(&[(LayerKind::User, "version = 1\n[settings]\non_allow = \"allow\"\n[[rules]]\nid = \"git-config\"\nenabled = false\ndecision = \"ask\"\nreason = \"r\"\ntools = [\"x\"]\n")]).unwrap();
    assert_eq!(p.on_allow, OnAllow::Allow);
    assert!(!p.rules.iter().any(|r| &*r.id == "git-config"));
    let p = load(&[
        (
            LayerKind::User,
            "version = 1\n[settings]\non_allow = \"allow\"\n",
        ),
        (
            LayerKind::Managed,
            "version = 1\n[settings]\non_allow = \"none\"\n",
        ),
    ])
    .unwrap();
    assert_eq!(p.on_allow, OnAllow::None);
}

#[test]
fn inherit_false_starts_from_nothing() {
    let e = err(&[(LayerKind::CommandLine, "version = 1\ninherit = false\n")]);
    assert!(e.contains("profiles.main"), "{e}");
    let p = load(&[(
        LayerKind::CommandLine,
        "version = 1\ninherit = false\n[profiles.main]\nallow_tools = [\"Read\"]\n",
    )])
    .unwrap();
    assert!(p.rules.is_empty());
}

#[test]
fn project_layer_cannot_loosen() {
    // Turning auto-approve on, switching rules off, moving the log, or resetting: refused.
    let p = load(&[(
        LayerKind::Project,
        "version = 1\n[settings]\non_allow = \"allow\"\n",
    )])
    .unwrap();
    assert_eq!(p.on_allow, OnAllow::None);
    assert!(err(&[(LayerKind::Project, "version = 1\n[[rules]]\nid = \"credential-stores\"\nenabled = false\ndecision = \"ask\"\nreason = \"r\"\ntools = [\"x\"]\n")]).contains("cannot switch rules off"));
    assert!(
        err(&[(LayerKind::Project, "version = 1\ninherit = false\n")])
            .contains("cannot set `inherit`")
    );
    assert!(err(&[(
        LayerKind::Project,
        "version = 1\n[settings]\naudit_log = \"/dev/null\"\n"
    )])
    .contains("cannot move the audit log"));
    // A rule with a trusted id is added beside it, never replacing it.
    let p = load(&[(LayerKind::Project, "version = 1\n[[rules]]\nid = \"credential-stores\"\ndecision = \"ask\"\nreason = \"r\"\ntools = [\"WebSearch\"]\n")]).unwrap();
    let same: Vec<_> = p
        .rules
        .iter()
        .filter(|r| &*r.id == "credential-stores")
        .collect();
    assert_eq!(same.len(), 2);
    assert_eq!(same[0].decision, Decision::Deny);
    // unlisted hosts: deny tightens, ask does not loosen a deny.
    let p = load(&[
        (
            LayerKind::User,
            "version = 1\n[network]\nunlisted = \"deny\"\n",
        ),
        (
            LayerKind::Project,
            "version = 1\n[network]\nunlisted = \"ask\"\n",
        ),
    ])
    .unwrap();
    assert_eq!(p.network.unlisted.value, Decision::Deny);
}

#[test]
fn selection_strictest_of_all_matching_profiles() {
    let p = load(&[(
        LayerKind::User,
        "version = 1\n[profiles.sub]\nwhen = { subagent = true }\nallow_tools = [\"Read\"]\n[profiles.explore]\nwhen = { agent_type = [\"Explore\"] }\nallow_tools = [\"Read\", \"Grep\"]\n",
    )])
    .unwrap();
    let none = |_: &str| None;
    let facts = |t: Option<&'static str>, id: Option<&'static str>| Facts {
        agent_type: t,
        agent_id: id,
        cwd: std::path::Path::new("/work/p"),
        env: &none,
    };
    let names = |f: Facts<'_>| {
        p.select(&f)
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(facts(None, None)), ["main"]);
    assert_eq!(
        names(facts(Some("Explore"), Some("a1"))),
        ["explore", "sub"]
    );
    assert_eq!(names(facts(Some("general-purpose"), Some("a1"))), ["sub"]);
    // `--agent Explore` on the main thread: agent_type without agent_id.
    assert_eq!(names(facts(Some("Explore"), None)), ["explore"]);
}

#[test]
fn selection_by_cwd_glob_and_env() {
    let p = load(&[(
        LayerKind::User,
        "version = 1\n[profiles.wt]\nwhen = { cwd = [\"/work/wt-*/**\", \"/work/wt-*\"] }\nallow_tools = [\"Read\"]\n[profiles.ci]\nwhen = { env = { AGENT_ROLE = \"ci-*\" } }\nallow_tools = [\"Read\"]\n",
    )])
    .unwrap();
    let role = |k: &str| (k == "AGENT_ROLE").then(|| "ci-nightly".to_string());
    let none = |_: &str| None;
    let sel = |cwd: &str, env: &dyn Fn(&str) -> Option<String>| {
        p.select(&Facts {
            agent_type: None,
            agent_id: None,
            cwd: std::path::Path::new(cwd),
            env,
        })
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
    };
    assert_eq!(sel("/work/wt-a/src", &none), ["wt"]);
    assert_eq!(sel("/work/p", &none), ["main"]);
    assert_eq!(sel("/work/p", &role), ["ci"]);
}

#[test]
fn project_profiles_only_add() {
    // A project profile matching everything does not replace `main`; it is judged beside it.
    let p = load(&[(LayerKind::Project, "version = 1\n[profiles.everything]\nwhen = { cwd = [\"/**\"] }\nallow_tools = [\"Read\", \"Bash\", \"Write\", \"mcp__*\"]\n")]).unwrap();
    let none = |_: &str| None;
    let sel: Vec<String> = p
        .select(&Facts {
            agent_type: None,
            agent_id: None,
            cwd: std::path::Path::new("/work/p"),
            env: &none,
        })
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(sel, ["main", "everything"]);
}

#[test]
fn line_col_is_one_based() {
    assert_eq!(line_col("abc", 0), (1, 1));
    assert_eq!(line_col("a\nbc", 3), (2, 2));
    assert_eq!(line_col("a\n", 99), (2, 1));
}

#[test]
fn hooks_toml_example_is_a_valid_policy_without_warnings() {
    let text = include_str!("../../hooks.toml.example");
    let p = Policy::from_sources(
        &[
            Source::embedded(),
            src(LayerKind::CommandLine, "hooks.toml.example", text),
        ],
        &test_env(),
    )
    .unwrap();
    assert_eq!(lint::check(&p).unwrap(), Vec::<String>::new());
    // Every profile and rule id the example documents made it through.
    for id in [
        "no-prod-db",
        "no-secrets-dir",
        "no-paste-sites",
        "no-force-push",
        "sql-writes",
        "mass-delete",
        "print-env",
    ] {
        assert!(p.rules.iter().any(|r| &*r.id == id), "{id}");
    }
}

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

/// The embedded default skips the regex and glob syntax checks at run time (they were a
/// quarter of a hook call); this is where they run: the same text as a user layer gets every
/// check.
#[test]
fn embedded_default_passes_every_check() {
    let env = test_env();
    assert!(!needs_check(&Source::embedded(), &env));
    assert!(needs_check(
        &src(LayerKind::User, "u.toml", EMBEDDED_DEFAULT),
        &env
    ));
    let odd_home = PathEnv {
        home: Some(PathBuf::from("/home/a[b")),
        ..test_env()
    };
    assert!(
        needs_check(&Source::embedded(), &odd_home),
        "a glob character in HOME brings the check back"
    );
    load(&[(LayerKind::User, EMBEDDED_DEFAULT)]).unwrap();
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
