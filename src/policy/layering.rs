//! What each kind of layering does: how a layer's value of a key combines with the layers
//! below it. Every key's layering is declared once, in the table in `keys` ([`LAYERING`],
//! re-exported here).
//!
//! The trusted layers (embedded default, user, managed, `--policy`) and the project layer
//! (`.claude/blastwall.toml`, written by whoever controls the repository) are merged by the same
//! code, which applies the [`Layering`] of the layer's [`Tier`] (`Layered::merge` for plain
//! keys, `merge` for the rest). A project layer may only tighten, so its column never holds
//! [`Layering::Override`].
//!
//! What belongs here: the kinds of layering and their meaning. What does not: the keys
//! (`keys`), their types (`keys`, `raw`) and what a value means (`compile`).
use toml::Spanned;

use super::source::{PolicyError, Source};

/// Which kind of layer is being merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The embedded default, the user and managed files, `--policy`.
    Trusted,
    /// The project file: it may only make the policy stricter.
    Project,
}

/// How a layer's value of a key combines with what the layers below it set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layering {
    /// The layer's value replaces the one below.
    Override,
    /// The layer's value is kept only when it is the strictest value of the ordering (loosest
    /// first, as spelled in TOML) or stricter than the value so far; otherwise it is ignored.
    Tighten(&'static [&'static str]),
    /// The layer's value is kept beside the trusted one and a call must pass both (roots,
    /// hosts; for profiles: a project profile is judged beside the trusted one, the strictest
    /// answer wins).
    Intersect,
    /// The layer's entries are added to those below (detector rules; project rules, which may
    /// not switch a rule off and never replace a trusted rule of the same id).
    Append,
    /// Entries replace an entry of the same id below and add the others (trusted rules).
    ReplaceById,
    /// `false` discards everything below (`inherit`).
    Reset,
    /// The layer may not set the key at all: setting it is an error with this message.
    Refused(&'static str),
}

/// One key's layering, for the trusted layers and for the project layer.
#[derive(Debug, Clone, Copy)]
pub struct KeyLayering {
    /// The key as written in TOML (`profiles` and `rules` stand for their tables).
    pub key: &'static str,
    pub trusted: Layering,
    pub project: Layering,
}

impl KeyLayering {
    /// The layering for a tier.
    pub fn of(&self, tier: Tier) -> Layering {
        match tier {
            Tier::Trusted => self.trusted,
            Tier::Project => self.project,
        }
    }
}

pub use super::keys::LAYERING;

/// The table entry of `key`; an internal error (fail closed) for a key the table lacks.
pub fn layering(key: &str, tier: Tier) -> Result<Layering, PolicyError> {
    LAYERING
        .iter()
        .find(|k| k.key == key)
        .map(|k| k.of(tier))
        .ok_or_else(|| internal(key, "has no entry in the layering table"))
}

pub(super) fn internal(key: &str, what: &str) -> PolicyError {
    PolicyError::Invalid {
        file: "<internal>".into(),
        line: 0,
        col: 0,
        message: format!("policy key `{key}` {what}"),
    }
}

/// A value's TOML spelling, for [`Layering::Tighten`] orderings: a string or a boolean as
/// written in TOML (an enum by its serde name). Values without one (lists, tables) are never
/// stricter than anything, so a tighten-only key of such a type ignores the project's value.
pub fn spelling<T: serde::Serialize + ?Sized>(v: &T) -> Option<String> {
    match toml::Value::try_from(v).ok()? {
        toml::Value::String(s) => Some(s),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One merged value: the layer index it came from and the value with its span.
pub type Slot<T> = Option<(usize, Spanned<T>)>;

/// A key as merged: the value that holds, and a project value kept beside it
/// ([`Layering::Intersect`]).
#[derive(Debug)]
pub struct Layered<T> {
    pub value: Slot<T>,
    pub project: Slot<T>,
}

impl<T> Default for Layered<T> {
    fn default() -> Self {
        Layered {
            value: None,
            project: None,
        }
    }
}

/// Whether `new` may replace `current` under a tighten-only ordering: it is the strictest
/// value, or stricter than the current one (no value, or one the ordering lacks, counts as the
/// loosest). A value the ordering lacks never tightens.
fn tightens(order: &[&str], new: Option<&str>, current: Option<&str>) -> bool {
    let rank = |s: Option<&str>| s.and_then(|s| order.iter().position(|o| *o == s));
    let Some(new) = rank(new) else {
        return false;
    };
    new + 1 == order.len() || new > rank(current).unwrap_or(0)
}

impl<T: serde::Serialize> Layered<T> {
    /// Merge one layer's value of `key` as `layering` says.
    pub fn merge(
        &mut self,
        key: &str,
        layering: Layering,
        si: usize,
        src: &Source,
        v: Spanned<T>,
    ) -> Result<(), PolicyError> {
        match layering {
            Layering::Override => self.value = Some((si, v)),
            Layering::Tighten(order) => {
                let current = self.value.as_ref().and_then(|(_, c)| spelling(c.get_ref()));
                if tightens(order, spelling(v.get_ref()).as_deref(), current.as_deref()) {
                    self.value = Some((si, v));
                }
            }
            Layering::Intersect => self.project = Some((si, v)),
            Layering::Refused(message) => return Err(src.error(Some(v.span()), message)),
            Layering::Append | Layering::ReplaceById | Layering::Reset => {
                return Err(internal(
                    key,
                    "is a single value: it cannot be appended or reset",
                ))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
