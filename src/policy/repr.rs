//! How the compiled model is written into the compiled-policy cache (`cache`): the
//! serialised forms of glob sets, roots, profile conditions and secret settings, where each
//! differs from the type itself (a matcher is rebuilt from its patterns, a symlink resolved
//! again, a detector rebuilt from its rules).
//!
//! What belongs here: `Serialize`/`Deserialize` for model types that cannot derive them (or
//! are kept encoded until used: the key record). What
//! does not: the cache's key and file layout (`cache`), the rule section (`rules`).
use std::path::PathBuf;
use std::sync::OnceLock;

use globset::GlobSetBuilder;
use serde::{Deserialize, Serialize};

use super::globs::{glob, Literals, PathGlobs};
use super::model::{LazyRecord, Roots, SecretsSettings, Val, When};
use crate::decision::{Decision, Loc};

/// Bytes serialised as one byte string (postcard: a length and the bytes).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ByteBuf, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_byte_buf(Visit)
    }
}

/// In the compiled-policy cache a glob set is its patterns (one encoded byte string, decoded
/// only when a matcher must be built) and their literal runs.
impl Serialize for PathGlobs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = if self.encoded.is_empty() {
            postcard::to_allocvec(self.patterns()).map_err(serde::ser::Error::custom)?
        } else {
            self.encoded.clone()
        };
        (
            Bytes(&encoded),
            Bytes(&self.literals.table),
            &self.literals.text,
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PathGlobs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PathGlobs, D::Error> {
        let (ByteBuf(encoded), ByteBuf(table), text) =
            <(ByteBuf, ByteBuf, String)>::deserialize(d)?;
        let literals = Literals { table, text };
        Ok(PathGlobs {
            patterns: OnceLock::new(),
            encoded,
            literals,
            set: OnceLock::new(),
        })
    }
}

/// Roots in the compiled-policy cache: only the lexical spellings. Symlinks are resolved again
/// when the cache is read, so a root whose link was re-pointed is judged by its new target.
#[derive(Serialize, Deserialize)]
pub(super) struct RootsRepr {
    written: Vec<String>,
    lexical: Vec<PathBuf>,
    loc: Loc,
}

impl From<Roots> for RootsRepr {
    fn from(r: Roots) -> RootsRepr {
        RootsRepr {
            written: r.written,
            lexical: r.lexical,
            loc: r.loc,
        }
    }
}

impl From<RootsRepr> for Roots {
    fn from(r: RootsRepr) -> Roots {
        Roots {
            written: r.written,
            dirs: Roots::with_real(r.lexical.iter().cloned()),
            lexical: r.lexical,
            loc: r.loc,
        }
    }
}

/// `When` in the compiled-policy cache: the cwd glob set is rebuilt from its patterns.
#[derive(Serialize, Deserialize)]
pub(super) struct WhenRepr {
    agent_type: Option<Vec<String>>,
    subagent: Option<bool>,
    cwd: Option<Vec<String>>,
    env: Vec<(String, String)>,
}

impl From<When> for WhenRepr {
    fn from(w: When) -> WhenRepr {
        WhenRepr {
            agent_type: w.agent_type,
            subagent: w.subagent,
            cwd: w.cwd_globs,
            env: w.env,
        }
    }
}

impl TryFrom<WhenRepr> for When {
    type Error = globset::Error;
    fn try_from(w: WhenRepr) -> Result<When, globset::Error> {
        let cwd = match &w.cwd {
            None => None,
            Some(pats) => {
                let mut b = GlobSetBuilder::new();
                for p in pats {
                    b.add(glob(p)?);
                }
                Some(b.build()?)
            }
        };
        Ok(When {
            agent_type: w.agent_type,
            subagent: w.subagent,
            cwd,
            cwd_globs: w.cwd,
            env: w.env,
        })
    }
}

/// A `[[secrets.rules]]` entry in the compiled-policy cache.
#[derive(Serialize, Deserialize)]
struct SecretRuleRepr {
    id: String,
    name: String,
    regex: String,
    keywords: Vec<String>,
    min_entropy: Option<f64>,
}

/// Secret settings in the compiled-policy cache: the custom detector is built again from its
/// rules when the cache is read (it is only there when a policy adds rules).
#[derive(Serialize, Deserialize)]
struct SecretsRepr {
    scan_prompts: bool,
    tool_input: Val<Decision>,
    extra_rules: Vec<Val<SecretRuleRepr>>,
}

impl Serialize for SecretsSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SecretsRepr {
            scan_prompts: self.scan_prompts,
            tool_input: self.tool_input.clone(),
            extra_rules: self
                .extra_rules
                .iter()
                .map(|v| Val {
                    value: SecretRuleRepr {
                        id: v.value.id.clone(),
                        name: v.value.name.clone(),
                        regex: v.value.regex.clone(),
                        keywords: v.value.keywords.clone(),
                        min_entropy: v.value.min_entropy,
                    },
                    loc: v.loc.clone(),
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SecretsSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SecretsSettings, D::Error> {
        let repr = SecretsRepr::deserialize(d)?;
        let extra_rules: Vec<Val<crate::secrets::CustomRule>> = repr
            .extra_rules
            .into_iter()
            .map(|v| Val {
                value: crate::secrets::CustomRule {
                    id: v.value.id,
                    name: v.value.name,
                    regex: v.value.regex,
                    keywords: v.value.keywords,
                    min_entropy: v.value.min_entropy,
                },
                loc: v.loc,
            })
            .collect();
        let custom_detector = if extra_rules.is_empty() {
            None
        } else {
            let rules = extra_rules.iter().map(|v| v.value.clone()).collect();
            Some(
                crate::secrets::Detector::with_extra_rules(rules)
                    .map_err(serde::de::Error::custom)?,
            )
        };
        Ok(SecretsSettings {
            scan_prompts: repr.scan_prompts,
            tool_input: repr.tool_input,
            extra_rules,
            custom_detector,
        })
    }
}

/// A key record (`Policy::keys`, `Profile::keys`) in the compiled-policy cache: one byte
/// string, decoded on first use.
impl<T: Serialize> Serialize for LazyRecord<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value.get() {
            Some(Some(value)) => {
                let bytes = postcard::to_allocvec(value).map_err(serde::ser::Error::custom)?;
                Bytes(&bytes).serialize(s)
            }
            _ => Bytes(&self.encoded).serialize(s),
        }
    }
}

impl<'de, T> Deserialize<'de> for LazyRecord<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LazyRecord<T>, D::Error> {
        let ByteBuf(encoded) = ByteBuf::deserialize(d)?;
        Ok(LazyRecord {
            value: OnceLock::new(),
            encoded,
        })
    }
}

/// The policy's key record as the cache stores it: without the values [`Policy`]'s fields
/// hold (see `Keys::without_views`). A record read from the cache and not decoded is stored
/// as it was read (it was written without them).
///
/// [`Policy`]: super::model::Policy
pub(super) fn record_without_views<S: serde::Serializer>(
    record: &LazyRecord<super::keys::Keys>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match record.value.get() {
        Some(Some(keys)) => LazyRecord::new(keys.without_views()).serialize(s),
        _ => record.serialize(s),
    }
}

/// A profile's key record as the cache stores it: without the values [`Profile`]'s fields hold
/// (see `ProfileKeys::without_views`), as [`record_without_views`].
///
/// [`Profile`]: super::model::Profile
pub(super) fn profile_record_without_views<S: serde::Serializer>(
    record: &LazyRecord<super::keys::ProfileKeys>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match record.value.get() {
        Some(Some(keys)) => LazyRecord::new(keys.without_views()).serialize(s),
        _ => record.serialize(s),
    }
}
