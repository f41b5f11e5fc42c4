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
    // Parses, but too large to build: an error at the regex, not a rule matching every call.
    let huge_regex = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"ask\"\nreason = \"r\"\ninput_regex = \"a{99999999}\"\n";
    let e = err(&[(LayerKind::User, huge_regex)]);
    assert!(
        e.contains("layer0.toml:6:15") && e.contains("larger than"),
        "{e}"
    );
    let huge_arg = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"ask\"\nreason = \"r\"\ncommand = { program = \"git\", args = ['x{99999999}'] }\n";
    let e = err(&[(LayerKind::User, huge_arg)]);
    assert!(
        e.contains("layer0.toml:6:") && e.contains("larger than"),
        "{e}"
    );
}

/// A bad part of a rule's `command` (an `args` regex, `text`, an empty `program`) is reported
/// at that value's own line and column, in a single table or an array of them; a
/// `[rules.command]` table, whose text is not one value, still errors at the rule.
#[test]
fn a_bad_command_part_is_reported_at_its_own_column() {
    let head = "version = 1\n[[rules]]\nid = \"x\"\ndecision = \"ask\"\nreason = \"r\"\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "command = { program = \"git\", args = [\"ok\", \"(bad\"] }\n",
            "\"(bad\"",
            "bad regex `(bad`",
        ),
        (
            "command = [\n  { program = \"a\", args = [\"ok\"] },\n  { program = \"b\", text = \"[z\" },\n]\n",
            "\"[z\"",
            "bad regex `[z`",
        ),
        (
            "command = [{ program = \"a\" }, { program = [\"b\", \"\"] }]\n",
            "[\"b\", \"\"]",
            "`program` must name",
        ),
        (
            "command = { program = \"git\", args = ['x{99999999}'] }\n",
            "'x{99999999}'",
            "larger than",
        ),
    ];
    for (command, bad, message) in cases {
        let text = format!("{head}{command}");
        let at = text.find(bad).unwrap();
        let line = text[..at].matches('\n').count() + 1;
        let col = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        let e = err(&[(LayerKind::User, &text)]);
        assert!(
            e.contains(&format!(
                "layer0.toml:{line}:{col}: bad `command` pattern: "
            )) && e.contains(message),
            "{command}: want {line}:{col}, got {e}"
        );
    }
    let table = format!("{head}[rules.command]\nprogram = \"git\"\nargs = [\"(bad\"]\n");
    let e = err(&[(LayerKind::User, &table)]);
    assert!(
        e.contains("layer0.toml:") && e.contains("bad regex `(bad`"),
        "{e}"
    );
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

#[test]
fn secrets_inject_entries_compile_and_bad_ones_are_errors_at_their_line() {
    let ok = "version = 1\n[[secrets.inject]]\nname = \"GH_TOKEN\"\ncommand = [\"gh\", \"auth\", \"token\"]\nprograms = [\"gh\", \"git\"]\n\n[[secrets.inject]]\nname = \"NPM_TOKEN\"\nfile = \"~/.config/blastwall/npm\"\nprograms = [\"npm publish\"]\nprofiles = [\"release\"]\n";
    let p = load(&[(LayerKind::User, ok)]).unwrap();
    use model::ValueSource;
    let got: Vec<(&str, &ValueSource, Vec<&str>)> = p
        .inject
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                &i.from,
                i.programs.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "GH_TOKEN",
                &ValueSource::Command(vec!["gh".into(), "auth".into(), "token".into()]),
                vec!["gh", "git"]
            ),
            (
                "NPM_TOKEN",
                &ValueSource::File(PathBuf::from("/home/u/.config/blastwall/npm")),
                vec!["npm publish"]
            ),
        ]
    );
    assert_eq!(p.inject[1].profiles, ["release"]);
    // A later trusted layer replaces an entry of the same name.
    let later = "version = 1\n[secrets]\ninject = [{ name = \"GH_TOKEN\", env = \"GITHUB_TOKEN\", programs = [\"gh\"] }]\n";
    let p = load(&[(LayerKind::User, ok), (LayerKind::Managed, later)]).unwrap();
    let gh: Vec<_> = p.inject.iter().filter(|i| i.name == "GH_TOKEN").collect();
    assert_eq!(gh.len(), 1);
    assert_eq!(gh[0].from, ValueSource::Env("GITHUB_TOKEN".into()));
    assert_eq!(gh[0].programs, ["gh"]);

    let entry = |body: &str| format!("version = 1\n[[secrets.inject]]\n{body}");
    #[rustfmt::skip]
    let bad: &[(&str, &str)] = &[
        ("name = \"GH_TOKEN\"\nprograms = [\"gh\"]\n", "exactly one of `env`, `file` or `command`"),
        ("name = \"GH_TOKEN\"\nenv = \"A\"\nfile = \"/x\"\nprograms = [\"gh\"]\n", "exactly one of"),
        ("name = \"LD_PRELOAD\"\nenv = \"A\"\nprograms = [\"gh\"]\n", "layer0.toml:3:"),
        ("name = \"PATH\"\nenv = \"A\"\nprograms = [\"gh\"]\n", "changes what runs"),
        ("name = \"gh_token\"\nenv = \"A\"\nprograms = [\"gh\"]\n", "not an upper-case"),
        ("name = \"GH_TOKEN\"\nenv = \"A\"\nprograms = []\n", "`programs` must list"),
        ("name = \"GH_TOKEN\"\nenv = \"A\"\nprograms = [\"/usr/bin/gh\"]\n", "not paths"),
        ("name = \"GH_TOKEN\"\nenv = \"A\"\nprograms = [\"\"]\n", "`programs` must list"),
        ("name = \"GH_TOKEN\"\nfile = \"token.txt\"\nprograms = [\"gh\"]\n", "absolute path"),
        ("name = \"GH_TOKEN\"\ncommand = []\nprograms = [\"gh\"]\n", "needs a program"),
        ("name = \"GH_TOKEN\"\nenv = \"A\"\nprograms = [\"gh\"]\nvalue = \"x\"\n", "unknown field `value`"),
    ];
    for (body, want) in bad {
        let e = err(&[(LayerKind::User, &entry(body))]);
        assert!(e.contains(want), "{body:?}: {e}");
    }
}

#[test]
fn trusted_when_tainted_is_lower_cased_and_defaults_to_none() {
    assert!(load(&[]).unwrap().network.trusted_when_tainted.is_empty());
    let p = load(&[(
        LayerKind::User,
        "version = 1\n[network]\ntrusted_when_tainted = [\"Crates.IO\"]\n",
    )])
    .unwrap();
    assert_eq!(p.network.trusted_when_tainted, ["crates.io"]);
}
