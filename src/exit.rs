//! Exit codes as a type, so every path out of the binary says what it means.
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The answer (if any) is on stdout.
    Ok = 0,
    /// A command-line check failed: lint found errors, replay found a mismatch.
    CheckFailed = 1,
    /// The hook protocol's blocking error: Claude Code blocks the call and shows stderr.
    /// The last resort when a JSON answer cannot be given.
    Block = 2,
    /// Bad command-line usage.
    Usage = 64,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}
