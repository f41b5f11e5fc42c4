//! The key table, entry by entry: each key documented in its section of
//! `hooks.toml.example`, merged through the real loader as its layering says for a trusted
//! and for a project layer (refusals at the value's `file:line:col`), and the same after a
//! round trip through the compiled-policy cache. A new entry is covered without a new test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
use std::sync::Arc;

use super::*;
use crate::policy::declare::KeyEntry;
use crate::policy::layering::{spelling, KeyLayering, Layering};
use crate::policy::{LayerKind, Policy, PolicyError, Source};

fn load(layers: &[(LayerKind, &str, String)]) -> Result<Policy, PolicyError> {
    let mut sources = vec![Source::embedded()];
    for (kind, name, text) in layers {
        sources.push(Source {
            kind: *kind,
            name: Arc::from(*name),
            text: format!("version = 1\n{text}"),
        });
    }
    Policy::from_sources(&sources, &crate::policy::tests::test_env())
}

fn entry(p: &Policy, key: &str) -> KeyEntry {
    p.keys()
        .unwrap()
        .entries()
        .into_iter()
        .find(|e| e.key == key)
        .unwrap()
}

fn row(key: &str) -> &'static KeyLayering {
    LAYERING.iter().find(|k| k.key == key).unwrap()
}

/// Values of a key to set, as TOML: its tighten ordering when it has one, else two samples
/// of its type (taken from the type of its default).
fn samples(key: &str, default: &toml::Value) -> Vec<toml::Value> {
    if let Layering::Tighten(order) = row(key).project {
        return order
            .iter()
            .map(|o| match *o {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                s => toml::Value::String(s.to_string()),
            })
            .collect();
    }
    match default {
        toml::Value::Array(_) => vec![
            toml::Value::try_from(["/sample/one"]).unwrap(),
            toml::Value::try_from(["/sample/two", "/sample/three"]).unwrap(),
        ],
        toml::Value::Boolean(b) => vec![toml::Value::Boolean(!b), toml::Value::Boolean(*b)],
        // A string of an enum the table gives no ordering for: its default is a valid value.
        toml::Value::String(_) => vec![default.clone(), default.clone()],
        other => panic!("{key}: no sample for a {other:?}; add one here"),
    }
}

/// `[section]\nkey = value\n`, and the 1-based column of the value on its line.
fn toml_of(key: &str, v: &toml::Value) -> (String, u32) {
    let (section, name) = key.split_once('.').unwrap();
    let col = u32::try_from(name.len() + 4).unwrap();
    (format!("[{section}]\n{name} = {v}\n"), col)
}

/// The keys the table generates, with their default (the embedded default's value when it
/// sets one, else the declared default).
fn generated() -> Vec<(&'static str, toml::Value)> {
    let p = load(&[(
        LayerKind::User,
        "u.toml",
        "inherit = false\n[profiles.main]\nallow_tools = []\n".into(),
    )])
    .unwrap();
    let entries = p.keys().unwrap().entries();
    assert_eq!(
        entries.iter().map(|e| e.key).collect::<Vec<_>>(),
        GENERATED,
        "entries() and GENERATED list the same keys in the same order"
    );
    for e in &entries {
        assert!(
            e.set_at.is_none(),
            "{}: nothing set it, it has its default",
            e.key
        );
    }
    entries
        .into_iter()
        .map(|e| (e.key, e.value.unwrap()))
        .collect()
}

#[test]
fn every_key_is_documented_in_its_section() {
    let example = include_str!("../../../hooks.toml.example");
    for key in GENERATED {
        let (section, name) = key.split_once('.').unwrap();
        let header = format!("\n[{section}]\n");
        let at = example
            .find(&header)
            .unwrap_or_else(|| panic!("no [{section}] in the example"));
        let body = &example[at + header.len()..];
        let body = &body[..body.find("\n[").unwrap_or(body.len())];
        let documented = body.lines().any(|l| {
            let l = l.trim_start_matches(['#', ' ']);
            l.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        assert!(
            documented,
            "`{key}` is not documented under [{section}] in hooks.toml.example"
        );
    }
}

#[test]
fn the_trusted_column_holds_for_every_key() {
    for (key, default) in generated() {
        let values = samples(key, &default);
        match row(key).trusted {
            // A later trusted layer replaces an earlier one's value, and cites it.
            Layering::Override => {
                for (a, b) in [(&values[0], &values[1]), (&values[1], &values[0])] {
                    let p = load(&[
                        (LayerKind::User, "user.toml", toml_of(key, a).0),
                        (LayerKind::Managed, "managed.toml", toml_of(key, b).0),
                    ])
                    .unwrap_or_else(|e| panic!("{key}: {e}"));
                    let e = entry(&p, key);
                    assert_eq!(e.value.as_ref(), Some(b), "{key}: {a} then {b}");
                    assert_eq!(e.set_at.unwrap().to_string(), "managed.toml:3", "{key}");
                    assert_eq!(e.project, None, "{key}");
                }
            }
            other => panic!("{key}: no table test for a trusted {other:?}; add one here"),
        }
    }
}

#[test]
fn the_project_column_only_tightens_for_every_key() {
    for (key, default) in generated() {
        let values = samples(key, &default);
        let both = |t: &toml::Value, p: &toml::Value| {
            load(&[
                (LayerKind::User, "user.toml", toml_of(key, t).0),
                (LayerKind::Project, "project.toml", toml_of(key, p).0),
            ])
        };
        match row(key).project {
            Layering::Tighten(order) => {
                for (ti, t) in values.iter().enumerate() {
                    for (pi, v) in values.iter().enumerate() {
                        let p = both(t, v).unwrap_or_else(|e| panic!("{key}: {e}"));
                        let e = entry(&p, key);
                        let want = order[ti.max(pi)];
                        assert_eq!(
                            e.value.as_ref().and_then(spelling).as_deref(),
                            Some(want),
                            "{key}: {t} then {v}"
                        );
                        // The project's value replaces one it tightens, or equals the strictest.
                        let kept = pi > ti || pi + 1 == order.len();
                        let from = if kept {
                            "project.toml:3"
                        } else {
                            "user.toml:3"
                        };
                        assert_eq!(e.set_at.unwrap().to_string(), from, "{key}: {t} then {v}");
                    }
                }
            }
            Layering::Intersect => {
                let p = both(&values[0], &values[1]).unwrap_or_else(|e| panic!("{key}: {e}"));
                let e = entry(&p, key);
                assert_eq!(
                    e.value.as_ref(),
                    Some(&values[0]),
                    "{key}: the trusted value holds"
                );
                assert_eq!(
                    e.project.as_ref(),
                    Some(&values[1]),
                    "{key}: the project's is kept beside it"
                );
            }
            Layering::Refused(message) => {
                let (text, col) = toml_of(key, &values[0]);
                let e = load(&[(LayerKind::Project, "project.toml", text.clone())])
                    .err()
                    .map(|e| e.to_string());
                assert_eq!(
                    e,
                    Some(format!("policy error in project.toml:3:{col}: {message}")),
                    "{key}"
                );
                // The same text is fine in a trusted layer.
                assert!(
                    load(&[(LayerKind::User, "user.toml", text)]).is_ok(),
                    "{key}"
                );
            }
            other => panic!("{key}: a project layer may only tighten, not {other:?}"),
        }
    }
}

#[test]
fn every_key_round_trips_through_the_cache() {
    let mut trusted = String::new();
    let mut project = String::new();
    let mut sections: std::collections::BTreeMap<&str, (String, String)> = Default::default();
    for (key, default) in generated() {
        let values = samples(key, &default);
        let (section, name) = key.split_once('.').unwrap();
        let s = sections.entry(section).or_default();
        s.0.push_str(&format!("{name} = {}\n", values.last().unwrap()));
        if matches!(row(key).project, Layering::Intersect) {
            s.1.push_str(&format!("{name} = {}\n", values[0]));
        }
    }
    for (section, (t, p)) in &sections {
        trusted.push_str(&format!("[{section}]\n{t}"));
        if !p.is_empty() {
            project.push_str(&format!("[{section}]\n{p}"));
        }
    }
    let p = load(&[
        (LayerKind::User, "user.toml", trusted),
        (LayerKind::Project, "project.toml", project),
    ])
    .unwrap();
    for e in p.keys().unwrap().entries() {
        assert!(e.set_at.is_some(), "{}: set by the test", e.key);
    }
    let back = crate::policy::cache::round_trip(&p).unwrap();
    assert_eq!(back.keys(), p.keys());
}

/// A record that does not decode (never one blastwall wrote) reads as none, for the caller to
/// fail closed on; a round trip decodes only when the record is read.
#[test]
fn a_damaged_record_reads_as_none() {
    let p = load(&[]).unwrap();
    let back = crate::policy::cache::round_trip(&p).unwrap();
    assert!(back.keys.value.get().is_none(), "not decoded until read");
    assert!(back.keys().is_some());
    let damaged = crate::policy::model::LazyRecord::<Keys> {
        value: std::sync::OnceLock::new(),
        encoded: vec![0xff, 0xff, 0xff],
    };
    assert!(damaged.get_with(|_| {}).is_none());
}

#[test]
fn every_profile_key_is_documented() {
    let example = include_str!("../../../hooks.toml.example");
    let profiles = &example[example.find("\n[profiles.").unwrap()..];
    for key in PROFILE_KEYS {
        assert!(
            profiles.contains(key),
            "`{key}` is not documented in the profiles of hooks.toml.example"
        );
    }
}

/// Each declared profile key through the loader: a later trusted layer's value replaces a
/// lower one's and is cited, a trusted profile inherits it from `main`, a project profile keeps
/// its own and inherits nothing; and every profile's record survives the cache.
#[test]
fn every_profile_key_merges_inherits_and_round_trips() {
    for key in PROFILE_KEYS {
        let main = |v: &str| {
            let base = if *key == "allow_tools" {
                ""
            } else {
                "allow_tools = [\"Read\"]\n"
            };
            format!("[profiles.main]\n{base}{key} = [\"{v}\"]\n")
        };
        let p = load(&[
            (
                LayerKind::User,
                "user.toml",
                format!(
                    "{}[profiles.sub]\nwhen = {{ subagent = true }}\n",
                    main("/u/one")
                ),
            ),
            (LayerKind::Managed, "managed.toml", main("/m/two")),
            (
                LayerKind::Project,
                "project.toml",
                format!("[profiles.main]\n{key} = [\"/p/three\"]\n"),
            ),
        ])
        .unwrap_or_else(|e| panic!("{key}: {e}"));
        let value = |prof: &crate::policy::Profile| {
            prof.keys()
                .unwrap()
                .entries()
                .into_iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v)
                .map(|v| v.value)
        };
        let list = |v: &str| Some(toml::Value::try_from([v]).unwrap());
        let main_prof = p.profiles.iter().find(|x| x.name == "main").unwrap();
        let sub = p.profiles.iter().find(|x| x.name == "sub").unwrap();
        let project = p.project_profiles.first().unwrap();
        assert_eq!(
            value(main_prof),
            list("/m/two"),
            "{key}: the later trusted layer"
        );
        let line = if *key == "allow_tools" { 3 } else { 4 };
        let at = |prof: &crate::policy::Profile| {
            let keys = prof.keys().unwrap();
            serde_json::to_value(keys).unwrap()[*key]["loc"].clone()
        };
        assert_eq!(
            at(main_prof),
            serde_json::json!(["managed.toml", line]),
            "{key}: cited where it was set"
        );
        assert_eq!(value(sub), list("/m/two"), "{key}: inherited from main");
        assert_eq!(
            value(project),
            list("/p/three"),
            "{key}: the project profile's own"
        );
        for (other, v) in project.keys().unwrap().entries() {
            if other != *key {
                assert_eq!(
                    v, None,
                    "{key}: a project profile inherits nothing ({other})"
                );
            }
        }
        let back = crate::policy::cache::round_trip(&p).unwrap();
        for (a, b) in p
            .profiles
            .iter()
            .chain(&p.project_profiles)
            .zip(back.profiles.iter().chain(&back.project_profiles))
        {
            assert_eq!(
                a.keys(),
                b.keys(),
                "{key}: profile {} after the cache",
                a.name
            );
        }
    }
}

/// The values a field of `Policy` holds (`settings.on_allow`, `secrets.scan_prompts`,
/// `untrusted.taint`) are stored once: the cached record carries the declared default in their
/// place, and a decoded record reads them back from the fields, with where they were set.
#[test]
fn the_values_policy_fields_hold_are_stored_once() {
    let text = "[settings]\non_allow = \"allow\"\n[secrets]\nscan_prompts = false\n[untrusted]\ntaint = \"any\"\n";
    let p = load(&[(LayerKind::User, "user.toml", text.to_string())]).unwrap();
    let keys = p.keys().unwrap();
    assert_eq!(keys.settings.on_allow.value, OnAllow::Allow);
    assert!(!keys.secrets.scan_prompts.value);
    assert_eq!(keys.untrusted.taint.value, TaintOn::Any);
    // What the cache holds of the record.
    let (head, _) = crate::policy::cache::encode(&p).unwrap();
    let stored = p.keys().unwrap().without_views();
    let bytes = postcard::to_allocvec(&stored).unwrap();
    assert!(
        head.windows(bytes.len()).any(|w| w == bytes.as_slice()),
        "the cache stores the record without the fields' values"
    );
    let whole = postcard::to_allocvec(keys).unwrap();
    assert!(!head.windows(whole.len()).any(|w| w == whole.as_slice()));
    let default = Keys::default();
    assert_eq!(
        stored.settings.on_allow.value,
        default.settings.on_allow.value
    );
    assert_eq!(
        stored.secrets.scan_prompts.value,
        default.secrets.scan_prompts.value
    );
    assert_eq!(stored.untrusted.taint.value, default.untrusted.taint.value);
    assert_eq!(
        stored.settings.on_allow.set_at,
        keys.settings.on_allow.set_at
    );
    // Read back: the fields' values, where they were set, and nothing else changed.
    let back = crate::policy::cache::round_trip(&p).unwrap();
    assert_eq!(back.on_allow, OnAllow::Allow);
    assert_eq!(back.keys(), p.keys());
    // Re-stored after a read (decoded or not), the entry is the same.
    let again = crate::policy::cache::round_trip(&back).unwrap();
    assert_eq!(crate::policy::cache::encode(&again).unwrap().0, head);
    assert_eq!(again.keys(), p.keys());
}

/// `Keys::default` is every key's declared default: what the loader compiles when no layer
/// sets anything.
#[test]
fn the_default_record_is_every_declared_default() {
    let compiled = super::KeyLayers::default().compile(&[]).unwrap();
    assert_eq!(compiled, Keys::default());
}

/// A profile's tool and program lists are stored once, in the profile's fields: the cached
/// record leaves them out and a decoded record reads them back.
#[test]
fn the_lists_profile_fields_hold_are_stored_once() {
    let p = load(&[]).unwrap();
    let main = &p.profiles[0];
    let keys = main.keys().unwrap();
    assert!(keys.allow_programs.is_some() && keys.ask_tools.is_some());
    let (head, _) = crate::policy::cache::encode(&p).unwrap();
    let stored = postcard::to_allocvec(&keys.without_views()).unwrap();
    let whole = postcard::to_allocvec(keys).unwrap();
    assert!(head.windows(stored.len()).any(|w| w == stored.as_slice()));
    assert!(!head.windows(whole.len()).any(|w| w == whole.as_slice()));
    assert_eq!(keys.without_views().allow_programs, None);
    let back = crate::policy::cache::round_trip(&p).unwrap();
    assert_eq!(back.profiles[0].keys(), Some(keys));
}
