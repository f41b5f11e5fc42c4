use std::path::Path;

use super::*;
use crate::shell::{analyze, Context, Limits};

fn verdict(command: &str, programs: &[&str]) -> Option<String> {
    let cwd = Path::new("/work/project");
    let cx = Context {
        cwd,
        home: Some(Path::new("/home/u")),
        read_scripts: false,
        limits: Limits::default(),
    };
    let analysis = analyze(command, &cx);
    let programs: Vec<String> = programs.iter().map(|s| s.to_string()).collect();
    why_not(&analysis, command, cwd, &programs)
}

#[test]
fn injection_rule_table() {
    const GH: &[&str] = &["gh"];
    const GIT: &[&str] = &["gh", "git"];
    const NPM: &[&str] = &["npm publish"];
    #[rustfmt::skip]
    let table: &[(&str, &[&str], bool)] = &[
        // Only listed programs, static words: injected.
        ("gh pr list", GH, true),
        ("gh pr view 12 --json title", GH, true),
        ("gh pr list && gh issue list", GH, true),
        ("gh pr list | gh issue list", GH, true),
        ("gh pr list > out.txt 2>&1", GH, true),
        ("git push origin main && gh pr create --fill", GIT, true),
        ("npm publish --access public", NPM, true),
        // Another program anywhere: not injected.
        ("gh pr list; echo $GH_TOKEN", GH, false),
        ("gh pr list; echo hi", GH, false),
        ("gh pr list | tee out.txt", GH, false),
        ("echo $(gh auth token)", GH, false),
        ("gh pr list && env", GH, false),
        ("cd /tmp && gh pr list", GH, false),
        ("npm run build", NPM, false),
        ("npm --registry x publish", NPM, false),
        ("npm", NPM, false),
        // Dynamic or unanalysable: not injected.
        ("gh $(x)", GH, false),
        ("gh `x`", GH, false),
        ("gh pr view $N", GH, false),
        ("gh api -f body=\"$GH_TOKEN\" /gists", GH, false),
        ("gh pr list > \"$f\"", GH, false),
        ("gh api --input - <<EOF\n$GH_TOKEN\nEOF", GH, false),
        ("gh api --input - <<< \"$GH_TOKEN\"", GH, false),
        ("gh *", GH, false),
        ("$p pr list", GH, false),
        ("bash -c \"$s\"", GH, false),
        ("eval gh pr list", GH, false),
        ("gh pr list; python3 -c 'print(1)'", GH, false),
        ("gh pr list (", GH, false),
        // Wrappers, functions, paths, prefixes: not injected.
        ("bash -c 'gh pr list'", GH, false),
        ("sudo gh pr list", GH, false),
        ("env gh pr list", GH, false),
        ("xargs gh < ids", GH, false),
        ("gh() { echo hi; }; gh pr list", GH, false),
        ("./gh pr list", GH, false),
        ("/tmp/evil/gh pr list", GH, false),
        ("~/bin/gh pr list", GH, false),
        ("GH_HOST=evil.example gh pr list", GH, false),
        ("PATH=/tmp/evil gh pr list", GH, false),
        // git options that run programs or read another repository: not injected.
        ("git -c core.sshCommand=x fetch", GIT, false),
        ("git -ccredential.helper=x fetch", GIT, false),
        ("git -C /tmp/evil status", GIT, false),
        ("git --git-dir=/tmp/evil/.git fetch", GIT, false),
        ("git fetch --upload-pack=x origin", GIT, false),
        ("git clone ext::sh -c x", GIT, false),
        ("git clone https://github.com/o/r", GIT, true),
        ("git commit -m 'see -c'", GIT, true),
    ];
    for (cmd, programs, want) in table {
        let got = verdict(cmd, programs);
        assert_eq!(got.is_none(), *want, "{cmd:?} {programs:?}: {got:?}");
    }
}

#[test]
fn injectable_filters_by_profile_and_name() {
    let cwd = Path::new("/work/project");
    let cx = Context {
        cwd,
        home: None,
        read_scripts: false,
        limits: Limits::default(),
    };
    let entry = |name: &str, profiles: &[&str]| Injection {
        name: name.into(),
        from: ValueSource::Env("GITHUB_TOKEN".into()),
        programs: vec!["gh".into()],
        profiles: profiles.iter().map(|s| s.to_string()).collect(),
    };
    let all = [
        entry("GH_TOKEN", &[]),
        entry("GH_ENTERPRISE_TOKEN", &["release"]),
        entry("LD_PRELOAD", &[]),
        entry("HTTPS_PROXY", &[]),
    ];
    let names = |cmd: &str, profile: &str| -> Vec<String> {
        injectable(&analyze(cmd, &cx), cmd, cwd, &all, profile)
            .into_iter()
            .map(|i| i.name.clone())
            .collect()
    };
    assert_eq!(names("gh pr list", "main"), ["GH_TOKEN"]);
    assert_eq!(
        names("gh pr list", "release"),
        ["GH_TOKEN", "GH_ENTERPRISE_TOKEN"]
    );
    assert!(names("gh pr list; echo $GH_TOKEN", "release").is_empty());
}

#[test]
fn forbidden_names() {
    for bad in [
        "",
        "gh_token",
        "1X",
        "PATH",
        "LD_PRELOAD",
        "BASH_ENV",
        "HTTPS_PROXY",
        "BLASTWALL_X",
        "GIT_SSH_COMMAND",
        "NODE_OPTIONS",
        "A-B",
    ] {
        assert!(forbidden_name(bad).is_some(), "{bad}");
    }
    for ok in ["GH_TOKEN", "NPM_TOKEN", "AWS_SECRET_ACCESS_KEY", "_X1"] {
        assert_eq!(forbidden_name(ok), None, "{ok}");
    }
}

#[test]
fn values_are_read_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tok");
    std::fs::write(&file, "s3cr3t-file-value\n").unwrap();
    let inj = |from| Injection {
        name: "GH_TOKEN".into(),
        from,
        programs: vec![],
        profiles: vec![],
    };
    let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "s3cr3t-env-value".to_owned());
    let v = read_value(&inj(ValueSource::Env("GITHUB_TOKEN".into())), &env).unwrap();
    assert_eq!(v.expose(), "s3cr3t-env-value");
    assert!(!format!("{v:?}").contains("s3cr3t"));
    assert_eq!(
        read_value(&inj(ValueSource::File(file)), &env)
            .unwrap()
            .expose(),
        "s3cr3t-file-value"
    );
    let cmd = ValueSource::Command(vec!["printf".into(), "s3cr3t-cmd-value\n".into()]);
    assert_eq!(
        read_value(&inj(cmd), &env).unwrap().expose(),
        "s3cr3t-cmd-value"
    );
    // Errors name the variable and the source, never a value.
    let errs = [
        read_value(&inj(ValueSource::Env("NOPE".into())), &env).unwrap_err(),
        read_value(&inj(ValueSource::File(dir.path().join("missing"))), &env).unwrap_err(),
        read_value(&inj(ValueSource::Command(vec!["false".into()])), &env).unwrap_err(),
        read_value(
            &inj(ValueSource::Command(vec![
                "printf".into(),
                "s3cr3t\nsecond".into(),
            ])),
            &env,
        )
        .unwrap_err(),
        read_value(&inj(ValueSource::Command(vec![])), &env).unwrap_err(),
    ];
    for e in errs {
        let msg = e.to_string();
        assert!(msg.contains("GH_TOKEN") && !msg.contains("s3cr3t"), "{msg}");
    }
}

#[test]
fn the_runner_resolves_only_what_the_policy_still_injects_and_caches_command_values() {
    let state = tempfile::tempdir().unwrap();
    let cwd = Path::new("/work/project");
    let cx = Context {
        cwd,
        home: None,
        read_scripts: false,
        limits: Limits::default(),
    };
    let entry = |name: &str, from: ValueSource| Injection {
        name: name.into(),
        from,
        programs: vec!["gh".into()],
        profiles: vec![],
    };
    let all = [
        entry("GH_TOKEN", ValueSource::Env("GITHUB_TOKEN".into())),
        entry(
            "GH_ENTERPRISE_TOKEN",
            ValueSource::Command(vec!["printf".into(), "Zq8-cmd-value-7781\n".into()]),
        ),
        entry("MISSING_TOKEN", ValueSource::Env("NOPE".into())),
    ];
    let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "Xk2-env-value-5519".to_owned());
    let names: Vec<String> = ["GH_TOKEN", "GH_ENTERPRISE_TOKEN", "MISSING_TOKEN", "OTHER"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let run = |cmd: &str| {
        resolve_for_call(
            &names,
            &all,
            &analyze(cmd, &cx),
            cmd,
            cwd,
            "main",
            Some(state.path()),
            &env,
        )
    };
    // A forged or stale ticket naming variables for `echo` gets nothing.
    let (values, errors) = run("gh pr list; echo $GH_TOKEN");
    assert!(values.is_empty());
    assert_eq!(errors.len(), 4, "{errors:?}");
    let (values, errors) = run("gh pr list");
    let got: Vec<(&str, &str)> = values
        .iter()
        .map(|(n, v)| (n.as_str(), v.expose()))
        .collect();
    assert_eq!(
        got,
        [
            ("GH_TOKEN", "Xk2-env-value-5519"),
            ("GH_ENTERPRISE_TOKEN", "Zq8-cmd-value-7781")
        ]
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in &errors {
        assert!(!e.contains("value-"), "{e}");
    }
    // The command's value was cached privately for the redactor; env values are re-read.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache_dir(state.path())), 0o700);
    assert_eq!(
        mode(&cache_dir(state.path()).join("GH_ENTERPRISE_TOKEN")),
        0o600
    );
    let known = known_values(&all, Some(state.path()), &env);
    let known: Vec<(&str, &[u8])> = known
        .iter()
        .map(|(l, v)| (l.as_str(), v.as_slice()))
        .collect();
    assert_eq!(
        known,
        [
            ("inject:GH_TOKEN", b"Xk2-env-value-5519".as_slice()),
            (
                "inject:GH_ENTERPRISE_TOKEN",
                b"Zq8-cmd-value-7781".as_slice()
            ),
        ]
    );
    // Without the state directory, command values are unknown (never run by the redactor).
    assert_eq!(known_values(&all, None, &env).len(), 1);
}

#[test]
fn sources_are_capped_in_size_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'a'; (MAX_VALUE + 1) as usize]).unwrap();
    let inj = |from| Injection {
        name: "GH_TOKEN".into(),
        from,
        programs: vec![],
        profiles: vec![],
    };
    let env = |_: &str| None;
    let e = read_value(&inj(ValueSource::File(big)), &env).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    let e = read_value(&inj(ValueSource::File("/dev/zero".into())), &env).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    let e = run_capped(
        "GH_TOKEN",
        &["sleep".into(), "5".into()],
        std::time::Duration::from_millis(100),
    )
    .unwrap_err();
    assert!(e.to_string().contains("did not finish"), "{e}");
    let yes = [
        "sh".into(),
        "-c".into(),
        "head -c 70000 /dev/zero | tr '\\0' a".into(),
    ];
    assert!(matches!(
        run_capped("GH_TOKEN", &yes, COMMAND_TIMEOUT),
        Err(InjectError::BadValue { .. })
    ));
}
