//! blastwall: a Claude Code hook that judges every tool call against a TOML policy.
//!
//! The binary (`src/main.rs`) is a thin shell over [`run::main`]. Everything that decides lives
//! here, in modules named after what they do:
//! - [`hook`]: the fail-closed entry point (stdin → answer), [`input`] and [`output`] the
//!   protocol's two sides;
//! - [`policy`]: layers, merge, validation, the embedded default;
//! - [`engine`]: the layered gate for one call; [`paths`] path expansion and resolution;
//! - [`shell`]: Bash command analysis; [`secrets`]: detection and redaction;
//! - [`audit`]: the decision log; [`run`]: the command line;
//! - [`sandbox`]: the OS sandbox approved Bash calls run in (`blastwall sandbox`).
pub mod audit;
pub mod bash;
pub mod builtins;
pub mod checks;
pub mod client_perms;
pub mod cmd;
pub mod decision;
pub mod dirs;
pub mod egress;
pub mod engine;
pub mod exit;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod hook;
pub mod inject;
pub mod input;
pub mod install;
pub mod loc;
pub mod logview;
pub mod needle;
pub mod outcome;
pub mod output;
pub mod paths;
pub mod pattern;
pub mod policy;
pub mod post;
pub mod programs;
pub mod redact;
pub mod replay;
pub mod run;
pub mod sandbox;
pub mod secrets;
pub mod shell;
pub mod wildcard;

#[cfg(test)]
mod layout_tests;
