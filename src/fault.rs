//! Test-only fault injection (cargo feature `fault-injection`, never in release builds): makes
//! the judge panic, hang, abort or exit 1 on demand, so tests can prove the catch-all and the
//! client's `onFailure: "block"` both fail closed.
#![allow(clippy::panic)]

pub fn inject() {
    match std::env::var("BLASTWALL_FAULT").as_deref() {
        Ok("panic") => panic!("injected fault"),
        Ok("hang") => std::thread::sleep(std::time::Duration::from_secs(3600)),
        Ok("abort") => std::process::abort(),
        Ok("exit1") => std::process::exit(1),
        _ => {}
    }
}
