//! Links the `blastwall` binary statically and not position-independent on x86_64 Linux (glibc).
//!
//! The hook is a process spawned on every tool call: a dynamic, position-independent executable
//! spends its start-up in the dynamic loader (mapping libc, libm, libgcc_s; applying ~8,000
//! relocations to the binary, each touching a page). A static, non-PIE binary has none of that
//! (BENCHMARKS.md, "A static, non-PIE build"). Rustflags cannot get there without `--target`
//! (`+crt-static` and `relocation-model=static` break proc-macro crates), so this is done at
//! link time, for the `blastwall` binary only: tests, examples (the benchmark's floor), build
//! scripts, proc macros and fuzz targets are linked as before.
//!
//! std links `-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc` as dynamic libraries. A directory of
//! linker scripts with those names, searched first, points each at the static archive instead
//! (`gcc_s` becomes `libgcc_eh.a`, the static unwinder, so a panic still unwinds to the
//! catch-all in `run`), and `-static -no-pie` makes the C driver link a static executable.
//! The code itself stays position-independent (rustc's default); the linker resolves its GOT
//! references at link time.
//!
//! When a static archive is missing (e.g. Fedora without `glibc-static`), the binary is linked
//! dynamic but not position-independent (`-no-pie`: no relocations of its own at start-up),
//! with a build warning. `BLASTWALL_LINK` at build time chooses: `static` (the default),
//! `no-pie` (dynamic, not position-independent) or `dynamic` (rustc's own link: dynamic PIE).
//! The outcome is passed to the package's tests as `BLASTWALL_LINK`, where a test checks that
//! the binary really is linked that way.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_macros,
    reason = "cargo reads a build script's instructions from its stdout"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries std's `-lNAME` names, and the static archives that replace them.
const SHIMS: &[(&str, &[&str])] = &[
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("c", &["libc.a", "libgcc_eh.a", "libgcc.a"]),
    ("m", &["libm.a"]),
    ("util", &["libutil.a"]),
    ("rt", &["librt.a"]),
    ("pthread", &["libpthread.a"]),
    ("dl", &["libdl.a"]),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BLASTWALL_LINK");
    let link = choose();
    println!("cargo::rustc-env=BLASTWALL_LINK={link}");
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Emits the link arguments and returns the mode: `static`, `no-pie` or `default`.
fn choose() -> &'static str {
    let target = var("TARGET");
    if target != "x86_64-unknown-linux-gnu" || target != var("HOST") {
        return "default";
    }
    let asked = var("BLASTWALL_LINK");
    match asked.as_str() {
        "" | "static" => {}
        "dynamic" => return "default",
        "no-pie" => {
            println!("cargo::rustc-link-arg-bin=blastwall=-no-pie");
            return "no-pie";
        }
        other => {
            println!("cargo::warning=BLASTWALL_LINK={other} is not one of static, no-pie, dynamic; linking statically");
        }
    }
    if var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static")
    {
        // RUSTFLAGS="-C target-feature=+crt-static" --target …: rustc links statically itself.
        return "static";
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    match shim_dir(&linker) {
        Ok(dir) => {
            for arg in [
                format!("-L{}", dir.display()),
                "-static".into(),
                "-no-pie".into(),
            ] {
                println!("cargo::rustc-link-arg-bin=blastwall={arg}");
            }
            "static"
        }
        Err(why) => {
            println!("cargo::warning=blastwall is linked dynamically ({why}); a static build starts faster (install glibc's static libraries, e.g. glibc-static)");
            println!("cargo::rustc-link-arg-bin=blastwall=-no-pie");
            "no-pie"
        }
    }
}

/// Writes `$OUT_DIR/static-libs/libNAME.a`, each a linker script naming the static archives.
fn shim_dir(linker: &str) -> Result<PathBuf, String> {
    let dir = PathBuf::from(var("OUT_DIR")).join("static-libs");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut found: Vec<(&str, PathBuf)> = Vec::new();
    for (name, archives) in SHIMS {
        let mut paths = Vec::new();
        for a in *archives {
            let path = match found.iter().find(|(n, _)| n == a) {
                Some((_, p)) => p.clone(),
                None => {
                    let p = archive(linker, a)?;
                    found.push((a, p.clone()));
                    p
                }
            };
            paths.push(path);
        }
        let list: Vec<String> = paths
            .iter()
            .map(|p| format!("\"{}\"", p.display()))
            .collect();
        let script = format!(
            "/* blastwall build.rs: -l{name} linked statically */\nGROUP ( {} )\n",
            list.join(" ")
        );
        let file = dir.join(format!("lib{name}.a"));
        std::fs::write(&file, script).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(dir)
}

/// The absolute path of a static archive, as the C driver that links the binary finds it.
fn archive(linker: &str, name: &str) -> Result<PathBuf, String> {
    let out = Command::new(linker)
        .arg(format!("-print-file-name={name}"))
        .output()
        .map_err(|e| format!("{linker}: {e}"))?;
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // The driver prints the bare name back when it does not find the file.
    let path = Path::new(&printed);
    if !out.status.success() || !path.is_absolute() {
        return Err(format!("{name} not found"));
    }
    let path = path
        .canonicalize()
        .map_err(|e| format!("{name}: {printed}: {e}"))?;
    // A compiler upgrade moves libgcc_eh.a: look again instead of linking a path that is gone.
    println!("cargo::rerun-if-changed={}", path.display());
    Ok(path)
}
