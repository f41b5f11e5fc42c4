//! What one declaration expands to, on a table of its own: a new key (a switch and a list in a
//! new section) is parsed with its span, merged for a trusted and a project layer as declared,
//! refused where declared with `file:line:col`, compiled with its default, and stored in and
//! read back from the cache format, with no code beyond its entry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]
use std::sync::Arc;

use super::super::layering::Layering::{Intersect, Override, Refused, Tighten};
use super::super::layering::Tier;
use super::super::source::{PolicyError, Source};
use super::super::LayerKind;

#[allow(
    unreachable_pub,
    reason = "the macro's items are public in the real table"
)]
mod demo {
    use super::{Intersect, Override, Refused, Tighten};

    super::super::policy_keys! {
        /// The top-level table of the demo: one field per section.
        for DemoPolicy;
        first {}
        /// A section that exists only in this test.
        [demo] RawDemo, DemoLayers, DemoKeys {
            /// A switch a project may only turn on.
            loud: bool = false; trusted Override, project Tighten(&["false", "true"]);
            /// A list a project keeps beside the trusted one.
            names: Vec<String> = vec!["x".to_string()]; trusted Override, project Intersect;
            /// A list only a trusted layer sets.
            secret_dirs: Vec<String> = Vec::new();
                trusted Override, project Refused("a project cannot name secret dirs");
        }
        last {}
    }
}

fn source(kind: LayerKind, name: &str, text: &str) -> Source {
    Source {
        kind,
        name: Arc::from(name),
        text: text.to_string(),
    }
}

/// Merge the layers (`Tier` each) and compile, as `merge` and `compile` do.
fn run(layers: &[(Tier, Source)]) -> (Result<demo::Keys, PolicyError>, Vec<PolicyError>) {
    let mut acc = demo::KeyLayers::default();
    let mut errs = Vec::new();
    let sources: Vec<Source> = layers.iter().map(|(_, s)| s.clone()).collect();
    for (si, (tier, src)) in layers.iter().enumerate() {
        let mut raw: demo::DemoPolicy = toml::from_str(&src.text).unwrap();
        acc.merge(*tier, si, src, &mut raw, &mut errs);
    }
    (acc.compile(&sources), errs)
}

#[test]
fn the_table_lists_every_key_with_its_layering() {
    let keys: Vec<_> = demo::LAYERING.iter().map(|k| k.key).collect();
    assert_eq!(keys, ["demo.loud", "demo.names", "demo.secret_dirs"]);
    assert_eq!(demo::GENERATED, keys.as_slice());
    // The cache key hashes the table as written: a new or changed key changes it.
    for key in ["loud", "names", "secret_dirs", "vec![\"x\".to_string()]"] {
        assert!(demo::SCHEMA.contains(key), "{key} in {}", demo::SCHEMA);
    }
    assert_eq!(
        demo::LAYERING[0].of(Tier::Project),
        Tighten(&["false", "true"])
    );
}

#[test]
fn a_new_key_is_parsed_merged_compiled_and_cached() {
    let trusted = source(
        LayerKind::User,
        "user.toml",
        "[demo]\nloud = false\nnames = [\"a\"]\nsecret_dirs = [\"/s\"]\n",
    );
    let project = source(
        LayerKind::Project,
        "project.toml",
        "[demo]\nloud = true\nnames = [\"b\"]\n",
    );
    let (keys, errs) = run(&[(Tier::Trusted, trusted), (Tier::Project, project)]);
    assert!(errs.is_empty(), "{errs:?}");
    let keys = keys.unwrap();
    // Tighten: the project's stricter value holds, cited at its line.
    assert!(keys.demo.loud.value);
    assert_eq!(
        keys.demo.loud.set_at.as_ref().unwrap().to_string(),
        "project.toml:2"
    );
    // Intersect: the trusted value holds, the project's is kept beside it.
    assert_eq!(keys.demo.names.value, ["a"]);
    assert_eq!(keys.demo.names.project.as_ref().unwrap().value, ["b"]);
    assert_eq!(keys.demo.secret_dirs.value, ["/s"]);
    // The cache's format (postcard, by derive) gives the same record back.
    let bytes = postcard::to_allocvec(&keys).unwrap();
    assert_eq!(postcard::from_bytes::<demo::Keys>(&bytes).unwrap(), keys);
    // The generic view names every key.
    let entries = keys.entries();
    assert_eq!(entries[1].key, "demo.names");
    assert_eq!(
        entries[1].project,
        Some(toml::Value::try_from(vec!["b"]).unwrap())
    );
}

#[test]
fn defaults_hold_when_no_layer_sets_a_key() {
    let (keys, errs) = run(&[(Tier::Trusted, source(LayerKind::User, "u.toml", ""))]);
    assert!(errs.is_empty());
    let keys = keys.unwrap();
    assert!(!keys.demo.loud.value);
    assert_eq!(keys.demo.names.value, ["x"]);
    assert!(keys.demo.names.set_at.is_none() && keys.demo.names.project.is_none());
}

#[test]
fn refused_and_loosening_project_values() {
    let trusted = source(LayerKind::User, "user.toml", "[demo]\nloud = true\n");
    let project = source(
        LayerKind::Project,
        "project.toml",
        "[demo]\nloud = false\nsecret_dirs = [\"/s\"]\n",
    );
    let (keys, errs) = run(&[(Tier::Trusted, trusted), (Tier::Project, project)]);
    // Refused: an error at the value, `file:line:col`, and the key keeps its default.
    let errs: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        errs,
        ["policy error in project.toml:3:15: a project cannot name secret dirs"]
    );
    let keys = keys.unwrap();
    assert!(keys.demo.secret_dirs.value.is_empty());
    // Tighten: the looser project value is ignored.
    assert!(keys.demo.loud.value);
    assert_eq!(keys.demo.loud.set_at.unwrap().to_string(), "user.toml:2");
}

#[test]
fn unknown_keys_in_a_section_are_refused() {
    let e = toml::from_str::<demo::DemoPolicy>("[demo]\nloudd = true\n").unwrap_err();
    assert!(e.to_string().contains("loudd"), "{e}");
}
