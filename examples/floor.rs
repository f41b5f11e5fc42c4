//! The benchmark floor: the least a hook can do. It reads the event on stdin, parses it with
//! `serde_json` and prints a fixed allow. `examples/bench_e2e.rs` reports every blastwall
//! figure as a ratio to this binary, measured in the same run, alternating the two.
#![allow(clippy::print_stdout, clippy::disallowed_macros)] // printing the answer is the point

use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input)?;
    let event: serde_json::Value = serde_json::from_slice(&input)?;
    std::hint::black_box(&event);
    let mut out = std::io::stdout().lock();
    out.write_all(
        b"{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"allow\"}}\n",
    )?;
    out.flush()?;
    Ok(())
}
