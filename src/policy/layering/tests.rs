//! The layering table: every entry used, documented, and never loosening from a project.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
use std::sync::Arc;

use super::*;
use crate::policy::{LayerKind, Policy, Source};

fn load(trusted: &str, project: &str) -> Result<Policy, PolicyError> {
    let layer = |kind, name: &str, text: &str| Source {
        kind,
        name: Arc::from(name),
        text: format!("version = 1\n{text}"),
    };
    let sources = vec![
        Source::embedded(),
        layer(LayerKind::User, "user.toml", trusted),
        layer(LayerKind::Project, "project.toml", project),
    ];
    Policy::from_sources(&sources, &crate::policy::tests::test_env())
}

/// `section.key = value` as TOML, the value spelled as in a [`Layering::Tighten`] ordering.
fn toml_of(key: &str, spelling: &str) -> String {
    let (section, name) = key.split_once('.').unwrap();
    let value = match spelling {
        "true" | "false" => spelling.to_string(),
        s => format!("{s:?}"),
    };
    format!("[{section}]\n{name} = {value}\n")
}

#[test]
fn a_project_layer_never_overrides_or_resets() {
    for k in LAYERING {
        assert!(
            !matches!(
                k.project,
                Layering::Override | Layering::Reset | Layering::ReplaceById
            ),
            "{}: {:?}",
            k.key,
            k.project
        );
    }
}

#[test]
fn every_key_is_merged_and_documented() {
    let merge = include_str!("../merge.rs");
    let example = include_str!("../../../hooks.toml.example");
    let mut seen = Vec::new();
    for k in LAYERING {
        assert!(!seen.contains(&k.key), "{} twice", k.key);
        seen.push(k.key);
        assert!(
            crate::policy::keys::GENERATED.contains(&k.key)
                || merge.contains(&format!("\"{}\"", k.key)),
            "`{}` is in the table but neither generated nor read by merge.rs",
            k.key
        );
        let name = k.key.rsplit('.').next().unwrap();
        assert!(
            example.contains(&format!("{name} =")) || example.contains(&format!("[{name}")),
            "`{}` is not documented in hooks.toml.example",
            k.key
        );
    }
    assert!(layering("no.such.key", Tier::Trusted).is_err());
}

#[test]
fn tighten_keeps_the_strictest_value() {
    // (ordering, value so far, project value, kept?)
    let two: &[&str] = &["ask", "deny"];
    let three: &[&str] = &["a", "b", "c"];
    let cases: &[(&[&str], Option<&str>, &str, bool)] = &[
        (two, None, "deny", true),
        (two, None, "ask", false),
        (two, Some("ask"), "deny", true),
        (two, Some("deny"), "deny", true),
        (two, Some("ask"), "ask", false),
        (two, Some("deny"), "ask", false),
        (two, Some("deny"), "allow", false),
        (three, Some("a"), "b", true),
        (three, Some("b"), "b", false),
        (three, Some("c"), "b", false),
        (three, Some("b"), "c", true),
        (three, None, "b", true),
        (three, Some("zzz"), "b", true),
    ];
    for &(order, current, new, kept) in cases {
        assert_eq!(
            tightens(order, Some(new), current),
            kept,
            "{order:?} {current:?} -> {new}"
        );
    }
    assert!(!tightens(two, None, None), "no spelling never tightens");
}

/// Every value of a tighten-only key, set by the trusted layer and then by the project: the
/// stricter one holds, and a value the ordering does not know is not a value of the key.
#[test]
fn every_tighten_key_through_the_real_merge() {
    for k in LAYERING {
        let Layering::Tighten(order) = k.project else {
            continue;
        };
        for (ti, trusted) in order.iter().enumerate() {
            for (pi, project) in order.iter().enumerate() {
                let p = load(&toml_of(k.key, trusted), &toml_of(k.key, project))
                    .unwrap_or_else(|e| panic!("{}: {e}", k.key));
                let want = order[ti.max(pi)];
                // Read through the generic record and through the typed field the judge reads.
                let entry = p
                    .keys()
                    .unwrap()
                    .entries()
                    .into_iter()
                    .find(|e| e.key == k.key)
                    .unwrap();
                let generic = entry.value.as_ref().and_then(spelling);
                let typed = match k.key {
                    "settings.on_allow" => spelling(&p.on_allow),
                    "network.unlisted" => Some(p.network.unlisted.value.as_str().to_string()),
                    "secrets.scan_prompts" => spelling(&p.secrets.scan_prompts),
                    "secrets.tool_input" => Some(p.secrets.tool_input.value.as_str().to_string()),
                    "sandbox.mode" => Some(p.sandbox.settings.mode.as_str().to_string()),
                    "sandbox.network" => Some(p.sandbox.settings.network.as_str().to_string()),
                    "sandbox.auto_allow" => spelling(&p.sandbox.settings.auto_allow),
                    "untrusted.taint" => spelling(&p.taint_on),
                    _ => generic.clone(),
                };
                assert_eq!(
                    generic, typed,
                    "{}: the record and the typed field differ",
                    k.key
                );
                let got = generic.as_deref();
                assert_eq!(got, Some(want), "{}: {trusted} then {project}", k.key);
            }
        }
    }
}

#[test]
fn refused_keys_are_errors_naming_the_key() {
    let cases = [
        ("inherit = true\n", "cannot set `inherit`"),
        ("[settings]\naudit_log = \"/dev/null\"\n", "cannot move the audit log"),
        (
            "[[rules]]\nid = \"x\"\nenabled = false\ndecision = \"ask\"\nreason = \"r\"\ntools = [\"x\"]\n",
            "cannot switch rules off",
        ),
        (
            "[sandbox]\nwritable = [\"~\"]\n",
            "cannot make more paths writable inside the sandbox",
        ),
        (
            "[sandbox]\npass_env = [\"GITHUB_TOKEN\"]\n",
            "cannot pass variables into the sandbox",
        ),
        (
            "[network]\ntrusted_when_tainted = [\"github.com\"]\n",
            "cannot choose hosts that stay reachable while the session is tainted",
        ),
        (
            "[[secrets.inject]]\nname = \"GH_TOKEN\"\nenv = \"GITHUB_TOKEN\"\nprograms = [\"gh\"]\n",
            "cannot inject credentials",
        ),
        // Widening a trusted entry of the same name is adding one: refused too.
        (
            "[secrets]\ninject = [{ name = \"GH_TOKEN\", env = \"GITHUB_TOKEN\", programs = [\"gh\", \"bash\"] }]\n",
            "cannot inject credentials",
        ),
    ];
    for (project, message) in cases {
        let e = load("", project)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(message) && e.contains("project.toml"),
            "{project}: {e}"
        );
        // The same text is fine in a trusted layer.
        assert!(load(project, "").is_ok(), "{project}");
    }
}

#[test]
fn intersect_keys_keep_both_values() {
    let p = load(
        "[paths]\nread_roots = [\"/a\"]\nwrite_roots = [\"/a\"]\n[network]\nallow_hosts = [\"x.org\"]\n",
        "[paths]\nread_roots = [\"/b\"]\nwrite_roots = [\"/c\"]\n[network]\nallow_hosts = [\"Y.org\"]\n",
    )
    .unwrap();
    assert_eq!(p.read_roots.unwrap().written, ["/a"]);
    assert_eq!(p.project_read_roots.unwrap().written, ["/b"]);
    assert_eq!(p.write_roots.unwrap().written, ["/a"]);
    assert_eq!(p.project_write_roots.unwrap().written, ["/c"]);
    assert_eq!(p.network.allow_hosts.unwrap().value, ["x.org"]);
    assert_eq!(p.network.project_hosts.unwrap().value, ["y.org"]);
}

#[test]
fn append_and_replace_by_id() {
    let rule = |id: &str, tool: &str| {
        format!(
            "[[rules]]\nid = \"{id}\"\ndecision = \"ask\"\nreason = \"r\"\ntools = [\"{tool}\"]\n"
        )
    };
    // Trusted: same id replaces the embedded rule; project: same id is added beside it.
    let p = load(
        &rule("credential-stores", "T1"),
        &rule("credential-stores", "T2"),
    )
    .unwrap();
    let tools: Vec<_> = p
        .rules
        .iter()
        .filter(|r| &*r.id == "credential-stores")
        .map(|r| r.tools.clone().unwrap_or_default())
        .collect();
    assert_eq!(tools, [vec!["T1".to_string()], vec!["T2".to_string()]]);
    // Detector rules of every layer are kept.
    let secret = |id: &str| {
        format!("[secrets]\nrules = [{{ id = \"{id}\", name = \"n\", regex = 'zz{id}[0-9]{{8}}', keywords = [\"zz{id}\"] }}]\n")
    };
    let p = load(&secret("one"), &secret("two")).unwrap();
    let ids: Vec<_> = p
        .secrets
        .extra_rules
        .iter()
        .map(|r| r.value.id.clone())
        .collect();
    assert_eq!(ids, ["one", "two"]);
}

/// A trusted profile's sandbox override applies to that profile; a project layer's `[sandbox]`
/// is a floor no profile override goes below, and its read-only paths are added.
#[test]
fn sandbox_profile_overrides_and_the_project_floor() {
    use crate::policy::sandbox_settings::{Mode, Network};
    let trusted = "[sandbox]\nread_only = [\"/a\"]\n[profiles.loose]\nwhen = { subagent = true }\nsandbox = { mode = \"off\", network = \"host\", read_only = [\"/b\"] }\n";
    let p = load(trusted, "").unwrap();
    let s = p.sandbox_for(&["loose".to_string()]);
    assert_eq!((s.mode, s.network.clone()), (Mode::Off, Network::Host));
    assert_eq!(s.read_only, ["/a", "/b"]);
    assert_eq!(p.sandbox_for(&["main".to_string()]).mode, Mode::Auto);
    let p = load(
        trusted,
        "[sandbox]\nmode = \"required\"\nnetwork = \"none\"\nread_only = [\"/c\"]\n",
    )
    .unwrap();
    let s = p.sandbox_for(&["loose".to_string()]);
    assert_eq!((s.mode, s.network), (Mode::Required, Network::None));
    assert_eq!(s.read_only, ["/a", "/c", "/b"]);
    // A project profile cannot carry its own sandbox table.
    let e = load("", "[profiles.main]\nsandbox = { mode = \"required\" }\n").unwrap_err();
    assert!(e.to_string().contains("cannot set `sandbox`"), "{e}");
}
