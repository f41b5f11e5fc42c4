//! Every error in a set of policy layers, for `blastwall lint`.
//!
//! The loader (`Policy::from_sources`) stops at the first error, which is all the hook needs.
//! `lint` must show them all in one run, so each file is parsed with recovery (every TOML syntax
//! error), then deserialised again and again, each time dropping the key, value or table the
//! last schema error pointed at (an unknown key, a wrong type, a missing field), and what
//! remains is merged and compiled with every validation error collected.
//!
//! What belongs here: finding more errors than the loader does. What does not: what is an
//! error (that stays in `raw`, `merge` and `compile`, which both paths share).
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::merge::check_version;
use super::raw::RawPolicy;
use super::source::{PolicyError, Source};
use super::Policy;
use crate::paths::PathEnv;

/// How many schema errors one file may report before the rest are left for the next run.
const MAX_ERRORS_PER_FILE: usize = 100;

/// Every error found in the layers, and the policy built from what remains once the parts in
/// error are dropped (`None` when an error stops compiling altogether), so the lint pass can
/// still look at the rest. Never judge with it.
pub fn check_all(sources: &[Source], env: &PathEnv) -> (Option<Policy>, Vec<PolicyError>) {
    let mut errors = Vec::new();
    let mut raws = Vec::with_capacity(sources.len());
    for src in sources {
        let (raw, errs) = parse_all(src);
        errors.extend(errs);
        raws.push(raw);
    }
    match Policy::from_parsed(sources, raws, env) {
        Ok(p) => (Some(p), errors),
        Err(more) => {
            errors.extend(more.errors);
            (more.partial.map(|p| *p), errors)
        }
    }
}

/// One file: its syntax errors, then every schema error, and what deserialises once the
/// offending parts are dropped (a default policy when nothing does).
pub fn parse_all(src: &Source) -> (RawPolicy, Vec<PolicyError>) {
    let at = |e: &toml::de::Error| src.error(e.span(), e.message().to_string());
    let (root, syntax) = DeTable::parse_recoverable(&src.text);
    let mut errors: Vec<PolicyError> = syntax.iter().map(at).collect();
    // The lines of syntax errors: a schema error there is what recovery made of the broken
    // text (`x = [` read as an empty array), not a second mistake.
    let broken: Vec<u32> = errors.iter().filter_map(line_of).collect();
    let mut root = root;
    for _ in 0..MAX_ERRORS_PER_FILE {
        match RawPolicy::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(raw) => {
                if let Err(e) = check_version(src, &raw) {
                    errors.push(e);
                }
                return (raw, errors);
            }
            Err(e) => {
                let err = at(&e);
                if !line_of(&err).is_some_and(|l| broken.contains(&l)) {
                    errors.push(err);
                }
                let dropped = e.span().is_some_and(|span| {
                    let whole = root.span();
                    span != whole && drop_at(root.get_mut(), &span)
                });
                if !dropped || errors.len() >= MAX_ERRORS_PER_FILE {
                    return (RawPolicy::default(), errors);
                }
            }
        }
    }
    (RawPolicy::default(), errors)
}

fn line_of(e: &PolicyError) -> Option<u32> {
    match e {
        PolicyError::Invalid { line, .. } => Some(*line),
        PolicyError::Unreadable { .. } => None,
    }
}

fn contains(outer: &std::ops::Range<usize>, inner: &std::ops::Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer != &(0..0)
}

/// Remove the innermost key (with its value) or array element that `span` falls in. `false`
/// when nothing below `table` contains it.
fn drop_at(table: &mut DeTable<'_>, span: &std::ops::Range<usize>) -> bool {
    let mut hit = None;
    for (k, v) in table.iter_mut() {
        if contains(&k.span(), span) {
            hit = Some(k.get_ref().to_string());
            break;
        }
        if contains(&v.span(), span) || table_holds(v, span) {
            if drop_in(v, span) {
                return true;
            }
            hit = Some(k.get_ref().to_string());
            break;
        }
    }
    match hit {
        Some(key) => table.remove(key.as_str()).is_some(),
        None => false,
    }
}

/// A table's span may be only its header; its keys lie after it.
fn table_holds(v: &Spanned<DeValue<'_>>, span: &std::ops::Range<usize>) -> bool {
    match v.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .any(|(k, v)| contains(&k.span(), span) || contains(&v.span(), span)),
        DeValue::Array(a) => a
            .iter()
            .any(|e| contains(&e.span(), span) || table_holds(e, span)),
        _ => false,
    }
}

/// Inside one value: drop the innermost part holding `span`; `false` when `span` is the value
/// itself (the caller drops the whole key).
fn drop_in(v: &mut Spanned<DeValue<'_>>, span: &std::ops::Range<usize>) -> bool {
    match v.get_mut() {
        DeValue::Table(t) => drop_at(t, span),
        DeValue::Array(a) => {
            let Some(i) = a
                .iter()
                .position(|e| contains(&e.span(), span) || table_holds(e, span))
            else {
                return false;
            };
            if let Some(e) = a.get_mut(i) {
                if drop_in(e, span) {
                    return true;
                }
            }
            // `DeArray` has no `remove`; its array-of-tables flag only matters to the parser.
            let rest: toml::de::DeArray<'_> = a
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, e)| e.clone())
                .collect();
            *a = rest;
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn errors(text: &str) -> Vec<(u32, String)> {
        let src = Source {
            kind: super::super::LayerKind::User,
            name: Arc::from("t.toml"),
            text: text.to_string(),
        };
        let (_, errs) = check_all(&[Source::embedded(), src], &super::super::tests::test_env());
        errs.into_iter()
            .map(|e| match e {
                PolicyError::Invalid { line, message, .. } => (line, message),
                PolicyError::Unreadable { message, .. } => (0, message),
            })
            .collect()
    }

    fn lines(text: &str) -> Vec<u32> {
        errors(text).into_iter().map(|(l, _)| l).collect()
    }

    #[test]
    fn every_schema_error_of_a_file_at_its_line() {
        // unknown key, wrong type, bad enum value, unknown table, missing field in a rule.
        let text = "version = 1\n\
            [settings]\nbogus = 1\non_allow = \"maybe\"\n\
            [network]\nallow_hosts = \"docs.rs\"\nunlisted = \"deny\"\n\
            [nonsense]\nx = 1\n\
            [[rules]]\nid = \"a\"\ndecision = \"deny\"\npaths = [\"/srv/**\"]\n\
            [[rules]]\nid = \"b\"\ndecision = \"sometimes\"\nreason = \"r\"\npaths = [\"/opt/**\"]\n";
        let l = lines(text);
        for want in [3, 4, 6, 8, 10, 16] {
            assert!(
                l.contains(&want),
                "line {want} missing: {:#?}",
                errors(text)
            );
        }
    }

    #[test]
    fn every_syntax_error_and_the_schema_errors_after_them() {
        let text = "version = 1\n[settings]\non_allow = \n[network]\nunlisted = 'deny\nallow_hosts = [\"a\"]\n[paths]\nread_rootz = []\n";
        let l = lines(text);
        assert!(l.contains(&3) && l.contains(&5), "{:#?}", errors(text));
        assert!(l.contains(&8), "{:#?}", errors(text));
        assert_eq!(
            l.iter().filter(|l| **l == 3).count(),
            1,
            "no second error from what recovery made of line 3: {:#?}",
            errors(text)
        );
    }

    #[test]
    fn every_validation_error_of_the_compile_phase() {
        let text = "version = 1\n\
            [[rules]]\nid = \"bad id!\"\ndecision = \"deny\"\nreason = \"x\"\npaths = [\"/a\"]\n\
            [[rules]]\nid = \"empty\"\ndecision = \"deny\"\nreason = \"x\"\n\
            [[rules]]\nid = \"re\"\ndecision = \"ask\"\nreason = \"x\"\ninput_regex = \"(\"\n\
            [[rules]]\nid = \"fine\"\ndecision = \"ask\"\nreason = \"x\"\npaths = [\"/b\"]\n\
            [paths]\nread_roots = [\"relative/dir\"]\n\
            [profiles.x]\nallow_tools = [\"Read\"]\n";
        let e = errors(text);
        let l: Vec<u32> = e.iter().map(|(l, _)| *l).collect();
        for want in [3, 8, 15, 22, 23] {
            assert!(l.contains(&want), "line {want} missing: {e:#?}");
        }
        assert!(
            e.iter()
                .any(|(l, m)| *l == 23 && m.contains("profile `x` needs a `when`")),
            "{e:#?}"
        );
        assert!(!l.contains(&17), "the valid rule is no error: {e:#?}");
    }

    #[test]
    fn a_project_layer_reports_every_refused_key() {
        let text = "version = 1\ninherit = false\n[settings]\naudit_log = \"/tmp/x\"\n[[rules]]\nid = \"credential-stores\"\nenabled = false\ndecision = \"deny\"\nreason = \"x\"\n";
        let src = Source {
            kind: super::super::LayerKind::Project,
            name: Arc::from("p.toml"),
            text: text.to_string(),
        };
        let (_, errs) = check_all(&[Source::embedded(), src], &super::super::tests::test_env());
        let l: Vec<u32> = errs
            .iter()
            .filter_map(|e| match e {
                PolicyError::Invalid { line, .. } => Some(*line),
                PolicyError::Unreadable { .. } => None,
            })
            .collect();
        assert!(
            l.contains(&2) && l.contains(&4) && l.contains(&6),
            "{errs:#?}"
        );
    }

    #[test]
    fn a_good_policy_has_no_errors_and_loads() {
        let src = Source {
            kind: super::super::LayerKind::User,
            name: Arc::from("t.toml"),
            text: "version = 1\n[network]\nallow_hosts = [\"docs.rs\"]\n".into(),
        };
        let (p, errs) = check_all(&[Source::embedded(), src], &super::super::tests::test_env());
        assert!(errs.is_empty(), "{errs:#?}");
        assert!(p.is_some());
    }

    #[test]
    fn the_loader_and_the_checker_agree_on_the_first_error() {
        let text = "version = 1\n[settings]\nbogus = 1\n";
        let src = Source {
            kind: super::super::LayerKind::User,
            name: Arc::from("t.toml"),
            text: text.into(),
        };
        let first = Policy::from_sources(
            &[Source::embedded(), src.clone()],
            &super::super::tests::test_env(),
        )
        .unwrap_err()
        .to_string();
        let (_, all) = check_all(&[Source::embedded(), src], &super::super::tests::test_env());
        assert_eq!(all.first().map(ToString::to_string), Some(first));
    }
}
