//! How the binary is linked (build.rs): static and not position-independent on x86_64 Linux,
//! so a hook process starts without the dynamic loader. A static glibc binary must still
//! unwind a panic to the catch-all, or a bug would end in exit 101 and the call would run.
use crate::BIN;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const ET_EXEC: u16 = 2;

/// The ELF type and the program header types of the binary under test.
fn elf(path: &str) -> (u16, Vec<u32>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"\x7fELF", "{path} is not an ELF file");
    assert_eq!(b[4], 2, "{path} is not a 64-bit ELF file");
    let u16_at = |o: usize| u16::from_le_bytes(b[o..o + 2].try_into().unwrap());
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let phoff = usize::try_from(u64_at(32)).unwrap();
    let (size, count) = (usize::from(u16_at(54)), usize::from(u16_at(56)));
    let types = (0..count).map(|i| u32_at(phoff + i * size)).collect();
    (u16_at(16), types)
}

/// build.rs says how it linked (`BLASTWALL_LINK`); the file must agree. A library that std
/// starts to link and build.rs does not redirect would otherwise leave a "static" binary
/// that needs a shared library and has no loader to find it.
#[test]
fn the_binary_is_linked_the_way_build_rs_says() {
    let (kind, headers) = elf(BIN);
    match env!("BLASTWALL_LINK") {
        "static" => {
            assert_eq!(kind, ET_EXEC, "static build is position-independent");
            assert!(!headers.contains(&PT_INTERP), "static build has a loader");
            assert!(
                !headers.contains(&PT_DYNAMIC),
                "static build has a dynamic section"
            );
        }
        "no-pie" => {
            assert_eq!(kind, ET_EXEC, "no-pie build is position-independent");
            assert!(headers.contains(&PT_INTERP), "no-pie build has no loader");
        }
        other => assert_eq!(other, "default", "unknown BLASTWALL_LINK"),
    }
}

/// The linked binary still turns a panic into a deny (exit 0, the deny JSON), whatever the
/// link mode: the unwinder is libgcc_eh in a static build, libgcc_s in a dynamic one.
#[cfg(feature = "fault-injection")]
#[test]
fn a_panic_in_the_linked_binary_is_a_deny() {
    use crate::{run, Sandbox};
    use serde_json::json;

    let sb = Sandbox::new();
    let ev = sb.pre_tool_use("Read", json!({"file_path": sb.project.join("a.txt")}));
    let mut cmd = sb.cmd(&["hook"]);
    cmd.env("BLASTWALL_FAULT", "panic");
    let out = run(cmd, ev.to_string().as_bytes());
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.decision(), "deny", "{out:?}");
    assert!(out.reason().contains("panic"), "{out:?}");
}
