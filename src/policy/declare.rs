//! What one declaration of a policy key expands to: the `policy_keys!` macro, and the
//! compiled form every declared key gets ([`Merged`]). The declarations themselves are the
//! table in `keys`; nothing here names a key.
//!
//! The macro generates the raw top-level table (`RawPolicy`: the `first` fields, one field per
//! section, the `last` fields), and for each section (`[settings]`, `[network]`, …):
//! - the raw section (`RawSettings`): each key an `Option<Spanned<T>>`, unknown keys refused,
//!   then the section's keys merged by hand (`by_hand`) as declared;
//! - the merged section (`SettingsLayers`): each key a [`Layered`](super::layering::Layered)
//!   value, and a `merge` that applies the key's [`Layering`](super::layering::Layering) for
//!   the layer's tier (one code path for the trusted and the project layers);
//! - the compiled section (`SettingsKeys`): each key a [`Merged`] value (the value in force or
//!   the declared default, where it was set, a project's value kept beside it), stored in the
//!   compiled-policy cache by derive.
//!
//! For the whole table: `LAYERING` (every key's layering, the by-hand and top-level keys
//! included), `GENERATED` (the keys merged and compiled by this macro), `SCHEMA` (the table
//! as text, which the cache key hashes), `KeyLayers` (the
//! merge accumulator), `Keys` (the compiled record, `Policy::keys`) and `Keys::entries` (every
//! key by name, for tests, `lint` and `policy show`).
//!
//! `profile_keys!` does the same for the keys of a profile (`[profiles.X]`): `RawProfile`,
//! the merged slots, and `ProfileKeys` (`Profile::keys`), inherited from `main` by trusted
//! profiles.
//!
//! What belongs here: the expansion. What does not: any key (`keys`), what a kind of
//! layering does (`layering`), what a key's value means to the judge (`compile`).
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::layering::Layered;
use super::model::Val;
use super::source::{PolicyError, Source};
use crate::decision::Loc;

/// A declared key as compiled: the value in force (the declared default when no layer set
/// it), where it was set, and a project layer's value kept beside it (keys whose project
/// layering is `Intersect`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged<T> {
    /// The value that holds: the merge's, else the declared default.
    pub value: T,
    /// Where `value` was set; `None` for the declared default.
    pub set_at: Option<Loc>,
    /// A project layer's value, kept beside `value` (a call must pass both).
    pub project: Option<Val<T>>,
}

impl<T: Clone> Merged<T> {
    /// The merged slots of one key, with `default` when no layer set it.
    pub fn compile(
        key: &str,
        layered: &Layered<T>,
        sources: &[Source],
        default: impl FnOnce() -> T,
    ) -> Result<Merged<T>, PolicyError> {
        let at = |si: usize, v: &Spanned<T>| -> Result<Val<T>, PolicyError> {
            let src = sources.get(si).ok_or_else(|| {
                super::layering::internal(key, "comes from a layer that does not exist")
            })?;
            Ok(Val {
                value: v.get_ref().clone(),
                loc: src.loc(v.span()),
            })
        };
        let (value, set_at) = match &layered.value {
            Some((si, v)) => {
                let v = at(*si, v)?;
                (v.value, Some(v.loc))
            }
            None => (default(), None),
        };
        let project = match &layered.project {
            Some((si, v)) => Some(at(*si, v)?),
            None => None,
        };
        Ok(Merged {
            value,
            set_at,
            project,
        })
    }

    /// The value with where it was set; the declared default cites `file` line 0.
    pub fn val_or(&self, file: &str) -> Val<T> {
        Val {
            value: self.value.clone(),
            loc: self.set_at.clone().unwrap_or(Loc {
                file: std::sync::Arc::from(file),
                line: 0,
            }),
        }
    }
}

/// A merged slot with where it was set (`None` when no layer set it).
pub fn val_of<T: Clone>(
    key: &str,
    slot: &Option<(usize, Spanned<T>)>,
    sources: &[Source],
) -> Result<Option<Val<T>>, PolicyError> {
    let Some((si, v)) = slot else {
        return Ok(None);
    };
    let src = sources
        .get(*si)
        .ok_or_else(|| super::layering::internal(key, "comes from a layer that does not exist"))?;
    Ok(Some(Val {
        value: v.get_ref().clone(),
        loc: src.loc(v.span()),
    }))
}

/// One declared key, by name, its values spelled as TOML (`Keys::entries`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyEntry {
    /// `section.key`, as in `LAYERING`.
    pub key: &'static str,
    /// The value in force (or the declared default).
    pub value: Option<toml::Value>,
    /// Where it was set; `None` for the default.
    pub set_at: Option<Loc>,
    /// A project layer's value kept beside it.
    pub project: Option<toml::Value>,
    /// Where the project layer's value was set.
    pub project_at: Option<Loc>,
}

impl KeyEntry {
    /// The entry of one compiled key.
    pub fn of<T: Serialize>(key: &'static str, m: &Merged<T>) -> KeyEntry {
        KeyEntry {
            key,
            value: toml::Value::try_from(&m.value).ok(),
            set_at: m.set_at.clone(),
            project: m
                .project
                .as_ref()
                .and_then(|p| toml::Value::try_from(&p.value).ok()),
            project_at: m.project.as_ref().map(|p| p.loc.clone()),
        }
    }
}

/// The table of policy keys: see the module doc for what it expands to and `keys` for the
/// syntax in use. `for` names the raw top-level table it generates: the `first` fields, one
/// `Option` field per section, named as the section, then the `last` fields.
macro_rules! policy_keys {
    (
        $(#[$topmeta:meta])+
        for $RawTop:ident;
        first { $(
            $(#[$fmeta:meta])+
            $fkey:ident: $fty:ty; $( trusted $ftr:expr, project $fpr:expr; )?
        )* }
        $(
            $(#[$smeta:meta])+
            [$section:ident] $Raw:ident, $Layers:ident, $Keys:ident {
                $(
                    $(#[$kmeta:meta])+
                    $key:ident: $ty:ty = $default:expr; trusted $tr:expr, project $pr:expr;
                )*
            }
            $( by_hand {
                $(
                    $(#[$hmeta:meta])+
                    $hkey:ident: $hty:ty; trusted $htr:expr, project $hpr:expr;
                )*
            } )?
        )*
        last { $(
            $(#[$lmeta:meta])+
            $lkey:ident: $lty:ty; $( trusted $ltr:expr, project $lpr:expr; )?
        )* }
    ) => {
        $(#[$topmeta])+
        #[derive(Debug, serde::Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        pub struct $RawTop {
            $( $(#[$fmeta])+ pub $fkey: $fty, )*
            $( $(#[$smeta])+ pub $section: Option<$Raw>, )*
            $( $(#[$lmeta])+ pub $lkey: $lty, )*
        }

        /// Every policy key's layering, in the order of `hooks.toml.example`.
        pub const LAYERING: &[$crate::policy::layering::KeyLayering] = &[
            $( $( $crate::policy::layering::KeyLayering {
                key: stringify!($fkey),
                trusted: $ftr,
                project: $fpr,
            }, )? )*
            $(
                $( $crate::policy::layering::KeyLayering {
                    key: concat!(stringify!($section), ".", stringify!($key)),
                    trusted: $tr,
                    project: $pr,
                }, )*
                $( $( $crate::policy::layering::KeyLayering {
                    key: concat!(stringify!($section), ".", stringify!($hkey)),
                    trusted: $htr,
                    project: $hpr,
                }, )* )?
            )*
            $( $( $crate::policy::layering::KeyLayering {
                key: stringify!($lkey),
                trusted: $ltr,
                project: $lpr,
            }, )? )*
        ];

        /// The keys this table merges and compiles itself (the others are merged by hand in
        /// `merge`).
        pub const GENERATED: &[&str] = &[
            $( $( concat!(stringify!($section), ".", stringify!($key)), )* )*
        ];

        /// The table as written (every generated key, its type and default): the
        /// compiled-policy cache keys its entries with a hash of it, so an entry written
        /// before a key was added or changed is never read.
        pub const SCHEMA: &str = concat!(
            $( $( stringify!($section . $key : $ty = $default ;), )* )*
        );

        $(
            $(#[$smeta])+
            #[derive(Debug, serde::Deserialize, Default, Clone)]
            #[serde(deny_unknown_fields)]
            pub struct $Raw {
                $( $(#[$kmeta])+ pub $key: Option<toml::Spanned<$ty>>, )*
                $( $( $(#[$hmeta])+ pub $hkey: Option<$hty>, )* )?
            }

            #[doc = concat!("`[", stringify!($section), "]` merged across the layers.")]
            #[derive(Debug, Default)]
            pub struct $Layers {
                $( $(#[$kmeta])+ pub $key: $crate::policy::layering::Layered<$ty>, )*
            }

            impl $Layers {
                /// Merge one layer's section, each key as its layering says for `tier`; what
                /// the layer may not set goes to `errs` and is skipped. The merged keys are
                /// taken out of `raw`; the by-hand keys stay for `merge`.
                fn merge(
                    &mut self,
                    tier: $crate::policy::layering::Tier,
                    si: usize,
                    src: &$crate::policy::Source,
                    raw: &mut $Raw,
                    errs: &mut Vec<$crate::policy::PolicyError>,
                ) {
                    $(
                        if let Some(v) = raw.$key.take() {
                            const LAYER: $crate::policy::layering::KeyLayering =
                                $crate::policy::layering::KeyLayering {
                                    key: concat!(stringify!($section), ".", stringify!($key)),
                                    trusted: $tr,
                                    project: $pr,
                                };
                            if let Err(e) = self.$key.merge(LAYER.key, LAYER.of(tier), si, src, v) {
                                errs.push(e);
                            }
                        }
                    )*
                }
            }

            #[doc = concat!("`[", stringify!($section), "]` compiled: every key's value in force.")]
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            pub struct $Keys {
                $( $(#[$kmeta])+ pub $key: $crate::policy::declare::Merged<$ty>, )*
            }
        )*

        /// Every declared key as merged across the layers (`merge::Acc::keys`).
        #[derive(Debug, Default)]
        pub struct KeyLayers {
            $( $(#[$smeta])+ pub $section: $Layers, )*
        }

        impl KeyLayers {
            /// Merge one layer's declared keys (see each section's `merge`).
            pub(super) fn merge(
                &mut self,
                tier: $crate::policy::layering::Tier,
                si: usize,
                src: &$crate::policy::Source,
                raw: &mut $RawTop,
                errs: &mut Vec<$crate::policy::PolicyError>,
            ) {
                $( if let Some(s) = raw.$section.as_mut() {
                    self.$section.merge(tier, si, src, s, errs);
                } )*
            }

            /// Every declared key compiled: its value (or default) and where it was set.
            pub(super) fn compile(
                &self,
                sources: &[$crate::policy::Source],
            ) -> Result<Keys, $crate::policy::PolicyError> {
                Ok(Keys {
                    $( $section: $Keys {
                        $( $key: $crate::policy::declare::Merged::compile(
                            concat!(stringify!($section), ".", stringify!($key)),
                            &self.$section.$key,
                            sources,
                            || $default,
                        )?, )*
                    }, )*
                })
            }
        }

        /// Every declared key as compiled (`Policy::keys`), stored in the compiled-policy
        /// cache by derive.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct Keys {
            $( $(#[$smeta])+ pub $section: $Keys, )*
        }

        /// Every key at its declared default, set nowhere.
        impl Default for Keys {
            fn default() -> Keys {
                Keys {
                    $( $section: $Keys {
                        $( $key: $crate::policy::declare::Merged {
                            value: $default,
                            set_at: None,
                            project: None,
                        }, )*
                    }, )*
                }
            }
        }

        impl Keys {
            /// Every declared key by name, in table order.
            pub fn entries(&self) -> Vec<$crate::policy::declare::KeyEntry> {
                vec![ $( $( $crate::policy::declare::KeyEntry::of(
                    concat!(stringify!($section), ".", stringify!($key)),
                    &self.$section.$key,
                ), )* )* ]
            }
        }
    };
}
pub(super) use policy_keys;

/// The keys of a profile (`[profiles.X]`): see the module doc. Every key is a trusted layer's
/// value replacing a lower one's (a project profile is a profile of its own, judged beside the
/// trusted one), and a trusted profile inherits from `main` each key it does not set. `before`
/// and `after` are the profile's keys merged by hand, around the declared ones in
/// `deny_unknown_fields` order.
macro_rules! profile_keys {
    (
        $(#[$rmeta:meta])+
        [profiles.*] $Raw:ident, $Slots:ident, $Keys:ident {
            before { $( $(#[$bmeta:meta])+ $bkey:ident: $bty:ty; )* }
            $( $(#[$kmeta:meta])+ $key:ident: $ty:ty; )*
            after { $( $(#[$ameta:meta])+ $akey:ident: $aty:ty; )* }
        }
    ) => {
        $(#[$rmeta])+
        #[derive(Debug, serde::Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        pub struct $Raw {
            $( $(#[$bmeta])+ pub $bkey: Option<$bty>, )*
            $( $(#[$kmeta])+ pub $key: Option<toml::Spanned<$ty>>, )*
            $( $(#[$ameta])+ pub $akey: Option<$aty>, )*
        }

        /// A profile's declared keys as merged: each the last trusted layer's value, with its
        /// layer.
        #[derive(Debug, Default)]
        pub struct $Slots {
            $( $(#[$kmeta])+ pub $key: Option<(usize, toml::Spanned<$ty>)>, )*
        }

        impl $Slots {
            /// Take one layer's values of the declared keys out of `raw`.
            pub(super) fn take(&mut self, si: usize, raw: &mut $Raw) {
                $( if let Some(v) = raw.$key.take() {
                    self.$key = Some((si, v));
                } )*
            }
        }

        /// A profile's declared keys compiled (`Profile::keys`): each with where it was set;
        /// `None` when neither the profile nor, for a trusted profile, `main` sets it.
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $Keys {
            $( $(#[$kmeta])+ pub $key: Option<$crate::policy::model::Val<$ty>>, )*
        }

        impl $Keys {
            /// The merged slots with where each was set.
            pub(super) fn compile(
                slots: &$Slots,
                sources: &[$crate::policy::Source],
            ) -> Result<$Keys, $crate::policy::PolicyError> {
                Ok($Keys {
                    $( $key: $crate::policy::declare::val_of(
                        concat!("profiles.*.", stringify!($key)),
                        &slots.$key,
                        sources,
                    )?, )*
                })
            }

            /// Each key this profile does not set, from `main` (trusted profiles).
            pub(super) fn inherit(&mut self, main: &$Keys) {
                $( if self.$key.is_none() {
                    self.$key = main.$key.clone();
                } )*
            }

            /// Every declared key by name, its value spelled as TOML, with where it was set.
            pub fn entries(
                &self,
            ) -> Vec<(&'static str, Option<$crate::policy::model::Val<toml::Value>>)> {
                vec![ $( (
                    stringify!($key),
                    self.$key.as_ref().and_then(|v| {
                        Some($crate::policy::model::Val {
                            value: toml::Value::try_from(&v.value).ok()?,
                            loc: v.loc.clone(),
                        })
                    }),
                ), )* ]
            }
        }

        /// The keys of a profile this table merges and compiles itself.
        pub const PROFILE_KEYS: &[&str] = &[ $( stringify!($key), )* ];
    };
}
pub(super) use profile_keys;

#[cfg(test)]
mod tests;
