//! blastwall: a Claude Code hook that judges every tool call against a TOML policy.
//!
//! The binary (`src/main.rs`) is a thin shell over [`run::main`]. Everything that decides lives
//! here, in modules named after what they do.
pub mod secrets;
pub mod shell;
