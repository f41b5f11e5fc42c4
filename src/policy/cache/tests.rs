#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // tests

use super::*;
use crate::policy::Source;

const USER: &str = r#"version = 1
[[rules]]
id = "no-make"
decision = "deny"
reason = "make is off"
command = { program = "make", args = ["^inst.*"] }

[[rules]]
id = "secret-dir"
decision = "ask"
reason = "private"
paths = ["~/private/**"]
input_regex = "(?i)hunter2"

[profiles.main]
allow_tools = ["Read", "Bash"]
write_roots = ["${PROJECT}", "~/link"]

[profiles.reviewer]
when = { agent_type = ["review*"], cwd = ["${PROJECT}/**"] }
allow_tools = ["Read"]

[[secrets.rules]]
id = "acme-key"
name = "ACME key"
regex = "acme_[a-z0-9]{20}"
keywords = ["acme_"]
"#;

struct Fixture {
    _dir: tempfile::TempDir,
    env: PathEnv,
    discovery: Discovery,
    user_file: PathBuf,
}

fn fixture(user: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = dir.path().join("proj");
    std::fs::create_dir_all(home.join(".config/blastwall")).unwrap();
    std::fs::create_dir_all(project.join(".claude")).unwrap();
    std::fs::create_dir_all(dir.path().join("target")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("target"), home.join("link")).unwrap();
    let user_file = home.join(".config/blastwall/policy.toml");
    std::fs::write(&user_file, user).unwrap();
    let env = PathEnv {
        home: Some(home.clone()),
        project: project.clone(),
        tmpdir: dir.path().join("tmp"),
        cwd: project.clone(),
        exe: None,
    };
    let discovery = Discovery {
        command_line: None,
        managed: Some(dir.path().join("etc/policy.toml")),
        user: Some(user_file.clone()),
        project: Some(project.join(".claude/blastwall.toml")),
    };
    Fixture {
        _dir: dir,
        env,
        discovery,
        user_file,
    }
}

fn compile(f: &Fixture) -> Policy {
    Policy::from_sources(&f.discovery.read(&f.env).unwrap(), &f.env).unwrap()
}

/// A slot that stores at once (the tests write their files just before).
fn slot(f: &Fixture) -> Cache {
    Cache::with_cwd_key(&f.env, &f.discovery, false, Duration::ZERO).unwrap()
}

fn entry_path(f: &Fixture) -> PathBuf {
    slot(f).path
}

#[test]
fn a_policy_read_back_is_the_policy_that_was_stored() {
    let f = fixture(USER);
    let policy = compile(&f);
    let back = round_trip(&policy).unwrap();
    assert_eq!(format!("{policy:?}"), format!("{back:?}"));
    assert!(back.secrets.custom_detector.is_some(), "detector rebuilt");
    assert!(back.profiles[1].when.cwd.is_some(), "cwd glob set rebuilt");
    let roots = back.profiles[0].write_roots.as_ref().unwrap();
    assert!(
        roots.dirs.iter().any(|d| d.ends_with("target")),
        "symlinked root resolved again: {:?}",
        roots.dirs
    );
}

#[test]
fn the_embedded_default_round_trips() {
    let env = crate::policy::tests::test_env();
    let policy = Policy::from_sources(&[Source::embedded()], &env).unwrap();
    let back = round_trip(&policy).unwrap();
    assert_eq!(format!("{policy:?}"), format!("{back:?}"));
}

/// What a call after a tool ran decodes of a stored policy is what the whole policy holds in
/// those fields: custom rules, an injection, an audit log, `taint = "any"`, and the default.
#[test]
fn the_post_settings_at_the_head_are_the_policy_s() {
    let with_inject = format!(
        "{USER}\n[untrusted]\ntaint = \"any\"\n\n[[secrets.inject]]\nname = \"GH_TOKEN\"\ncommand = [\"gh\", \"auth\", \"token\"]\nprograms = [\"gh\", \"git\"]\n"
    );
    let mut policies = Vec::new();
    for user in [USER, with_inject.as_str()] {
        let f = fixture(user);
        policies.push(compile(&f));
    }
    let env = crate::policy::tests::test_env();
    policies.push(Policy::from_sources(&[Source::embedded()], &env).unwrap());
    assert!(
        policies.iter().any(|p| !p.inject.is_empty()),
        "an injection is covered"
    );
    for policy in policies {
        let (head, _) = encode(&policy).unwrap();
        let post = decode_post(&head).unwrap();
        let want = PostSettings::from(round_trip(&policy).unwrap());
        assert_eq!(format!("{post:?}"), format!("{want:?}"));
        assert_eq!(post.audit_log, policy.audit_log);
        assert_eq!(post.taint_on, policy.taint_on);
        assert_eq!(post.inject, policy.inject);
        assert_eq!(
            format!("{:?}", post.secrets),
            format!("{:?}", policy.secrets)
        );
    }
}

#[test]
fn a_stored_policy_is_loaded_and_an_edited_file_misses() {
    let f = fixture(USER);
    let cache = slot(&f);
    assert!(cache.load(&f.env, &f.discovery).is_none(), "empty cache");
    cache.store(&f.env, &f.discovery, &compile(&f));
    let entry = std::fs::metadata(entry_path(&f)).unwrap();
    assert_eq!(entry.permissions().mode() & 0o777, 0o600);
    let loaded = slot(&f).load(&f.env, &f.discovery).expect("hit");
    assert!(loaded.rules.iter().any(|r| &*r.id == "no-make"));
    let post = slot(&f).load_post(&f.env, &f.discovery).expect("hit");
    assert_eq!(
        format!("{:?}", post.secrets),
        format!("{:?}", loaded.secrets)
    );

    // Same size, different content: the ctime changes, so the key does.
    std::fs::write(&f.user_file, USER.replace("no-make", "no-mak2")).unwrap();
    assert!(slot(&f).load(&f.env, &f.discovery).is_none(), "edited file");
    assert!(
        slot(&f).load_post(&f.env, &f.discovery).is_none(),
        "edited file"
    );
}

#[test]
fn a_new_layer_file_misses() {
    let f = fixture(USER);
    slot(&f).store(&f.env, &f.discovery, &compile(&f));
    std::fs::write(
        f.discovery.project.as_ref().unwrap(),
        "[[rules]]\nid = \"p\"\ndecision = \"deny\"\nreason = \"r\"\ntools = [\"Read\"]\n",
    )
    .unwrap();
    assert!(slot(&f).load(&f.env, &f.discovery).is_none());
}

#[test]
fn another_environment_misses() {
    let f = fixture(USER);
    slot(&f).store(&f.env, &f.discovery, &compile(&f));
    let mut other = f.env.clone();
    other.tmpdir = PathBuf::from("/var/tmp");
    let c = Cache::with_cwd_key(&other, &f.discovery, false, Duration::ZERO).unwrap();
    assert_eq!(c.path, entry_path(&f), "same slot");
    assert!(c.load(&other, &f.discovery).is_none(), "different key");
}

#[test]
fn a_young_file_is_not_stored() {
    let f = fixture(USER);
    let cache = Cache::new(&f.env, &f.discovery).unwrap();
    cache.store(&f.env, &f.discovery, &compile(&f));
    assert!(!entry_path(&f).exists());
}

#[test]
fn damaged_or_foreign_entries_are_ignored() {
    let f = fixture(USER);
    slot(&f).store(&f.env, &f.discovery, &compile(&f));
    let path = entry_path(&f);
    let good = std::fs::read(&path).unwrap();
    let write = |bytes: &[u8]| {
        std::fs::remove_file(&path).ok();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    // Truncated anywhere.
    for cut in [0, 4, 9, 20, good.len() / 2, good.len() - 1] {
        write(&good[..cut]);
        assert!(
            slot(&f).load(&f.env, &f.discovery).is_none(),
            "cut at {cut}"
        );
    }
    // Cut inside the key or the head: nothing for a call after a tool ran either (it reads
    // only those two parts, so a cut in the rule section is the full load's to refuse).
    let key_len = u64::from_le_bytes(good[MAGIC.len() + 1..][..8].try_into().unwrap()) as usize;
    let head_at = MAGIC.len() + 1 + 8 + key_len;
    let head_len = u64::from_le_bytes(good[head_at..][..8].try_into().unwrap()) as usize;
    for cut in [
        0,
        4,
        9,
        20,
        head_at + 4,
        head_at + 8 + head_len / 2,
        head_at + 8 + head_len - 1,
    ] {
        write(&good[..cut]);
        assert!(
            slot(&f).load_post(&f.env, &f.discovery).is_none(),
            "cut at {cut}"
        );
    }
    write(&good[..head_at + 8 + head_len]);
    assert!(
        slot(&f).load(&f.env, &f.discovery).is_none(),
        "no rule section"
    );
    assert!(
        slot(&f).load_post(&f.env, &f.discovery).is_some(),
        "key and head whole"
    );
    // A byte changed in the key.
    let mut bad = good.clone();
    bad[MAGIC.len() + 1 + 8 + 3] ^= 1;
    write(&bad);
    assert!(slot(&f).load(&f.env, &f.discovery).is_none(), "key changed");
    assert!(
        slot(&f).load_post(&f.env, &f.discovery).is_none(),
        "key changed"
    );
    // Another magic.
    let mut bad = good.clone();
    bad[0] ^= 1;
    write(&bad);
    assert!(slot(&f).load_post(&f.env, &f.discovery).is_none(), "magic");
    // Trailing garbage.
    let mut long = good.clone();
    long.push(0);
    write(&long);
    assert!(
        slot(&f).load(&f.env, &f.discovery).is_none(),
        "trailing byte"
    );
    // Writable by others.
    write(&good);
    assert!(slot(&f).load(&f.env, &f.discovery).is_some(), "restored");
    assert!(
        slot(&f).load_post(&f.env, &f.discovery).is_some(),
        "restored"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o622)).unwrap();
    assert!(
        slot(&f).load(&f.env, &f.discovery).is_none(),
        "group-writable"
    );
    assert!(
        slot(&f).load_post(&f.env, &f.discovery).is_none(),
        "group-writable"
    );
}

#[test]
fn a_policy_that_names_the_cwd_is_keyed_by_it() {
    let f = fixture(&format!(
        "{USER}\n[[rules]]\nid = \"here\"\ndecision = \"ask\"\nreason = \"r\"\npaths = [\"${{CWD}}/x\"]\n"
    ));
    slot(&f).store(&f.env, &f.discovery, &compile(&f));
    assert!(slot(&f).load(&f.env, &f.discovery).is_some());
    let mut moved = f.env.clone();
    moved.cwd = moved.project.join("sub");
    let c = Cache::with_cwd_key(&moved, &f.discovery, false, Duration::ZERO).unwrap();
    assert!(c.load(&moved, &f.discovery).is_none(), "other cwd");
}

#[test]
fn no_home_no_cache() {
    let mut f = fixture(USER);
    f.env.home = None;
    assert!(Cache::new(&f.env, &f.discovery).is_none());
}

#[test]
fn the_default_hash_is_the_default_text() {
    assert_eq!(DEFAULT_HASH, fnv1a(EMBEDDED_DEFAULT.as_bytes()));
    assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
}
