//! The policy: where its layers come from, how they merge, and the compiled form the engine
//! reads.
//!
//! Loading has two phases. [`raw`] deserialises each file with spans and
//! `deny_unknown_fields`; [`Policy::from_sources`] merges the layers and validates and compiles
//! them once, turning every span into `file:line` for reasons and `file:line:col` for errors.
//!
//! Layers, lowest first: the embedded default, then the trusted files (user, managed,
//! `--policy`), each overriding the keys it sets. The project file
//! (`.claude/blastwall.toml`) lives in the repository the agent works on, so it is merged last
//! and may only tighten: its rules are added, its roots, hosts and tool lists intersect with the
//! trusted ones, and it cannot switch anything off.
pub mod cache;
pub mod check;
mod compile;
pub mod declare;
pub mod globs;
pub mod keys;
pub mod layering;
pub mod lint;
mod merge;
pub mod model;
pub mod raw;
mod repr;
pub mod rules;
pub mod sandbox_settings;
pub mod select;
pub mod source;

pub use globs::{PathGlobs, PathProbe};
pub use model::{Network, Policy, PostSettings, Profile, Roots, Rule, SecretsSettings, Val, When};
pub use raw::{Access, OnAllow, RuleDecision, TaintOn};
pub use select::Facts;
pub use source::{Discovery, LayerKind, PolicyError, Source};

#[cfg(test)]
use crate::decision::Decision;
#[cfg(test)]
use crate::paths::PathEnv;
#[cfg(test)]
use compile::needs_check;
#[cfg(test)]
use source::line_col;

/// The embedded default policy, compiled into the binary.
pub const EMBEDDED_DEFAULT: &str = include_str!("default.toml");
/// How the embedded default is named in reasons and errors.
pub const EMBEDDED_NAME: &str = "embedded:default.toml";
/// The only schema version this build understands.
pub const SCHEMA_VERSION: i64 = 1;
/// The profile used when no other profile's `when` matches: the main agent.
pub const MAIN_PROFILE: &str = "main";
/// Policy files larger than this are refused rather than parsed.
pub const MAX_POLICY_BYTES: u64 = 4 * 1024 * 1024;

#[cfg(test)]
pub(crate) mod tests;
