//! Layer merge: the parsed layers, lowest first, folded into one accumulator before
//! compiling. How each key combines across layers is declared once, in the table in `keys`;
//! the plain keys are merged by the code it generates, the rest here, both reading the same
//! table for the trusted and the project layer.
//!
//! What belongs here: which layer's value of a key survives, and refusing what a project
//! layer may not set. What does not: what a value means (`compile`).
use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::compile::compile;
use super::keys::{KeyLayers, ProfileSlots};
use super::layering::{internal, layering, Layered, Layering, Tier};
use super::model::Policy;
use super::raw::{RawPolicy, RawProfile, RawRule, RawSandbox, RawWhen};
use super::source::{PolicyError, PolicyErrors, Source};
use super::SCHEMA_VERSION;
use crate::decision::Loc;
use crate::paths::PathEnv;

/// Profile keys as merged across layers, each remembering where it was set.
#[derive(Default)]
pub(super) struct ProfileAcc {
    pub(super) loc: Option<Loc>,
    pub(super) src: Option<usize>,
    /// Where the profile's table is, in source `src` (for errors about the whole profile).
    pub(super) span: Option<std::ops::Range<usize>>,
    pub(super) when: Option<(usize, std::ops::Range<usize>, RawWhen)>,
    /// The keys declared in `keys`' profile table.
    pub(super) keys: ProfileSlots,
    pub(super) sandbox: Option<(usize, Spanned<RawSandbox>)>,
}

impl ProfileAcc {
    fn overlay(&mut self, si: usize, src: &Source, p: Spanned<RawProfile>) {
        let span = p.span();
        let mut p = p.into_inner();
        self.loc = Some(src.loc(span.clone()));
        self.src = Some(si);
        self.span = Some(span.clone());
        if let Some(w) = p.when.take() {
            self.when = Some((si, span, w));
        }
        self.keys.take(si, &mut p);
        if let Some(s) = p.sandbox {
            self.sandbox = Some((si, s));
        }
    }
}

/// Everything merged, before compiling. Each plain key is a [`Layered`] value (what holds and
/// what a project layer keeps beside it), merged by the code the table in `keys` generates;
/// the keys declared `by_hand` there, and the top-level tables, are merged below.
#[derive(Default)]
pub(super) struct Acc {
    /// Every key declared in `keys` (the plain keys of `[settings]`, `[network]`, …).
    pub keys: KeyLayers,
    /// `[secrets] rules`, every layer's, each with its layer and span.
    pub secret_rules: Vec<(usize, std::ops::Range<usize>, toml::Value)>,
    /// `[[secrets.inject]]` entries in order, each with its layer.
    pub inject: Vec<(usize, Spanned<super::raw::RawInject>)>,
    /// `[builtins]`, per id.
    pub builtins: BTreeMap<String, Layered<crate::builtins::Setting>>,
    pub profiles: BTreeMap<String, ProfileAcc>,
    pub project_profiles: BTreeMap<String, ProfileAcc>,
    /// Rules in order; later trusted layers replace earlier ones of the same id (the old slot
    /// is emptied, the new rule goes last).
    pub rules: Vec<Option<(usize, RawRule)>>,
    /// Where each trusted rule id sits in `rules`: finding the one to replace is a lookup, not
    /// a scan of every rule so far.
    rule_slots: HashMap<String, usize>,
}

fn parse(src: &Source) -> Result<RawPolicy, PolicyError> {
    let raw: RawPolicy = toml::from_str(&src.text).map_err(|e| {
        let msg = e.message().to_string();
        src.error(e.span(), msg)
    })?;
    check_version(src, &raw)?;
    Ok(raw)
}

/// The schema version every layer must declare.
pub(super) fn check_version(src: &Source, raw: &RawPolicy) -> Result<(), PolicyError> {
    match &raw.version {
        None => {
            return Err(src.error(
                Some(0..0),
                format!("missing `version = {SCHEMA_VERSION}` at the top of the policy"),
            ))
        }
        Some(v) if *v.get_ref() != SCHEMA_VERSION => {
            return Err(src.error(
                Some(v.span()),
                format!(
                    "unsupported policy version {} (this blastwall reads version {SCHEMA_VERSION})",
                    v.get_ref()
                ),
            ))
        }
        Some(_) => {}
    }
    Ok(())
}

impl Acc {
    /// Merge one layer, every key as `LAYERING` says for its tier. What the layer may not
    /// set is recorded in `errs` and skipped, so every such key is reported; `Err` is an
    /// internal inconsistency of the layering table.
    pub(super) fn overlay(
        &mut self,
        tier: Tier,
        si: usize,
        src: &Source,
        mut raw: RawPolicy,
        errs: &mut Vec<PolicyError>,
    ) -> Result<(), PolicyError> {
        let layer = |key: &str| layering(key, tier);
        if let Some(i) = raw.inherit.take() {
            match layer("inherit")? {
                Layering::Reset => {
                    if !*i.get_ref() {
                        *self = Acc::default();
                    }
                }
                Layering::Refused(message) => errs.push(src.error(Some(i.span()), message)),
                _ => return Err(internal("inherit", "can only reset or be refused")),
            }
        }
        self.keys.merge(tier, si, src, &mut raw, errs);
        if let Some(s) = raw.secrets {
            if let Some(rules) = s.rules {
                if layer("secrets.rules")? != Layering::Append {
                    return Err(internal("secrets.rules", "can only be appended"));
                }
                // Detector rules only ever add detection, so every layer's are kept.
                let span = rules.span();
                self.secret_rules.extend(
                    rules
                        .into_inner()
                        .into_iter()
                        .map(|r| (si, span.clone(), r)),
                );
            }
            if let Some(entries) = s.inject {
                match layer("secrets.inject")? {
                    // A later trusted layer replaces an entry of the same name.
                    Layering::ReplaceById => {
                        for e in entries {
                            let name = e.get_ref().name.get_ref().clone();
                            self.inject
                                .retain(|(_, old)| *old.get_ref().name.get_ref() != name);
                            self.inject.push((si, e));
                        }
                    }
                    Layering::Refused(message) => {
                        let span = entries.first().map(|e| e.span()).unwrap_or(0..0);
                        return Err(src.error(Some(span), message));
                    }
                    _ => {
                        return Err(internal(
                            "secrets.inject",
                            "can only replace by name or be refused",
                        ))
                    }
                }
            }
        }
        if let Some(builtins) = raw.builtins {
            let layering = layer("builtins")?;
            for (id, v) in builtins {
                let slot = self.builtins.entry(id).or_default();
                if let Err(e) = slot.merge("builtins", layering, si, src, v) {
                    errs.push(e);
                }
            }
        }
        if !raw.profiles.is_empty() {
            let profiles = match layer("profiles")? {
                Layering::Override => &mut self.profiles,
                Layering::Intersect => &mut self.project_profiles,
                _ => return Err(internal("profiles", "can only override or intersect")),
            };
            for (name, p) in raw.profiles {
                profiles.entry(name).or_default().overlay(si, src, p);
            }
        }
        if !raw.rules.is_empty() {
            let replace = match layer("rules")? {
                Layering::ReplaceById => true,
                Layering::Append => false,
                _ => return Err(internal("rules", "can only replace by id or append")),
            };
            for r in raw.rules {
                if replace {
                    if let Some(old) = self
                        .rule_slots
                        .insert(r.id.get_ref().clone(), self.rules.len())
                    {
                        if let Some(slot) = self.rules.get_mut(old) {
                            *slot = None;
                        }
                    }
                } else if r.enabled == Some(false) {
                    // Appending never removes: a rule cannot be switched off from here, and
                    // a rule with a trusted id is added beside it.
                    errs.push(src.error(
                        Some(r.id.span()),
                        "a project policy cannot switch rules off",
                    ));
                    continue;
                }
                self.rules.push(Some((si, r)));
            }
        }
        Ok(())
    }
}

impl Policy {
    /// The embedded default alone.
    pub fn embedded(env: &PathEnv) -> Result<Policy, PolicyError> {
        Policy::from_sources(&[Source::embedded()], env)
    }

    /// Merge, validate and compile the given layers (the embedded default must be first).
    pub fn from_sources(sources: &[Source], env: &PathEnv) -> Result<Policy, PolicyError> {
        let mut raws = Vec::with_capacity(sources.len());
        for src in sources {
            raws.push(parse(src)?);
        }
        Policy::from_parsed(sources, raws, env).map_err(PolicyErrors::first)
    }

    /// Merge and compile layers already parsed (`raws[i]` is `sources[i]`), reporting every
    /// merge and validation error rather than the first (what `lint` shows).
    pub fn from_parsed(
        sources: &[Source],
        raws: Vec<RawPolicy>,
        env: &PathEnv,
    ) -> Result<Policy, PolicyErrors> {
        let mut acc = Acc::default();
        let mut errs = Vec::new();
        let mut project = Vec::new();
        for ((si, src), raw) in sources.iter().enumerate().zip(raws) {
            if src.kind.trusted() {
                acc.overlay(Tier::Trusted, si, src, raw, &mut errs)?;
            } else {
                project.push((si, raw));
            }
        }
        for (si, raw) in project {
            if let Some(src) = sources.get(si) {
                acc.overlay(Tier::Project, si, src, raw, &mut errs)?;
            }
        }
        compile(acc, sources, env, errs)
    }
}
