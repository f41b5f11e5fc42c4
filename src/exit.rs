//! Exit codes as a type, so every path out of the binary says what it means.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success; for `hook`, the answer (if any) is on stdout |
//! | 1 | a check failed: `lint` found errors, `replay` a mismatch, `install` refused, `doctor` a problem |
//! | 2 | usage error (unknown subcommand or flag, missing or conflicting arguments); for `hook`, the protocol's blocking error |
//!
//! Exit 2 is also what Claude Code treats as "block this call": a registration whose command
//! line is misspelt (`blastwall hok`) therefore fails closed without ever printing a hook answer.
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The answer (if any) is on stdout.
    Ok,
    /// A command-line check failed: lint found errors, replay found a mismatch, install refused.
    CheckFailed,
    /// The hook protocol's blocking error: Claude Code blocks the call and shows stderr.
    /// The last resort when a JSON answer cannot be given.
    Block,
    /// Bad command-line usage: the message is on stderr. The same number as [`Exit::Block`], so
    /// a misspelt hook registration blocks the call.
    Usage,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::CheckFailed => 1,
            Exit::Block | Exit::Usage => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}
