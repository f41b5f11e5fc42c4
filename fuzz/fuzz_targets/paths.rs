//! Path normalisation and expansion: any text → a path whose spelling does not matter.
//!
//! Invariants: `normalize` is idempotent, keeps absolute paths absolute and leaves no `.` or
//! `..` in them; a relative path without `..` stays inside the directory it is joined to;
//! respelling a path (`//`, `/./`, `dir/../`) changes neither its normal form nor the decision
//! a file tool gets for it.
#![no_main]

#[path = "common.rs"]
mod common;

use std::path::{Component, Path};

use blastwall::paths::{self, absolutize, normalize};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains('\0') {
        // Not a path the kernel accepts; the tools refuse it before any judgement matters.
        return;
    }
    let p = Path::new(text);
    let n = normalize(p);
    assert!(!n.as_os_str().is_empty());
    assert_eq!(normalize(&n), n, "normalize is not idempotent on {text:?}");
    if p.is_absolute() {
        assert!(n.is_absolute());
        assert!(
            n.components()
                .all(|c| matches!(c, Component::RootDir | Component::Normal(_))),
            "{text:?} -> {n:?}"
        );
    }
    let root = Path::new("/work/p");
    let a = absolutize(p, root);
    assert!(a.is_absolute());
    if !p.is_absolute() && !p.components().any(|c| c == Component::ParentDir) {
        assert!(
            paths::is_within(&a, root),
            "{text:?} -> {a:?} left {root:?}"
        );
    }
    let env = common::env();
    if let Ok(expanded) = env.expand(text) {
        if !text.contains(['$', '~']) {
            assert_eq!(expanded, text);
        }
    }
    if let Ok(abs) = env.absolute(text) {
        assert!(abs.is_absolute());
        let _ = paths::resolve(&abs);
    }
    // Respellings of an absolute path: the Read tool gets the same decision for each (from the
    // path rules; the scan of the input's text sees different text, see regressions/paths).
    if p.is_absolute() && !text.contains('$') && text.len() < 512 {
        let policy = common::embedded();
        let base = common::decide_ignoring_text_scan(policy, "Read", json!({ "file_path": text }));
        let variants = [
            text.replacen('/', "//", 1),
            text.replace('/', "/./"),
            format!("/zz-not-a-dir/..{text}"),
        ];
        for v in variants {
            assert_eq!(normalize(Path::new(&v)), n, "{v:?}");
            let d = common::decide_ignoring_text_scan(policy, "Read", json!({ "file_path": v }));
            assert_eq!(d, base, "{text:?} is {base} but {v:?} is {d}");
        }
    }
});
