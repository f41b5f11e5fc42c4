//! Compile: the merged layers validated and turned into the typed [`Policy`]: paths
//! expanded, globs and regexes checked, spans turned into `file:line`, profiles inheriting
//! from `main`.
//!
//! What belongs here: every check that makes a policy an error, and building the model. What
//! does not: which layer's value wins (`merge`), the model's behaviour (`model`).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSetBuilder;
use toml::Spanned;

use super::globs::{glob, path_globs, PathGlobs};
use super::merge::{Acc, ProfileAcc};
use super::model::{
    BuiltinTuning, Network, Policy, Profile, Roots, Rule, SecretsSettings, Val, When,
};
use super::raw::{Access, RawRule, RawSandbox, RawWhen, RuleDecision, SandboxNetwork};
use super::source::{keep, Lines, PolicyError, PolicyErrors, Source};
use super::{rules, LayerKind, EMBEDDED_DEFAULT, EMBEDDED_NAME, MAIN_PROFILE};
use crate::decision::{Decision, Loc};
use crate::paths::{self, PathEnv};

/// Whether a layer's regexes and globs must be syntax-checked at load. The embedded default is
/// checked when the binary is built (`embedded_default_passes_every_check`), and checking it
/// again on every call was a quarter of a call's work. Its path patterns take in `HOME`, the
/// project and the temp dir, so a glob metacharacter in one of those brings the check back.
pub(super) fn needs_check(src: &Source, env: &PathEnv) -> bool {
    let meta = |p: &Path| {
        p.to_string_lossy()
            .contains(['*', '?', '[', ']', '{', '}', '\\'])
    };
    src.kind != LayerKind::Embedded
        || src.text != EMBEDDED_DEFAULT
        || env.home.as_deref().is_some_and(meta)
        || [&env.project, &env.tmpdir, &env.cwd]
            .into_iter()
            .any(|p| meta(p))
        || env.exe.as_deref().is_some_and(meta)
        || {
            let dirs = env.dirs();
            [dirs.config, dirs.state].iter().flatten().any(|p| meta(p))
        }
}

fn src_of(sources: &[Source], si: usize) -> Result<&Source, PolicyError> {
    sources.get(si).ok_or_else(|| PolicyError::Invalid {
        file: "<internal>".into(),
        line: 0,
        col: 0,
        message: "layer index out of range".into(),
    })
}

fn val<T: Clone>(
    sources: &[Source],
    v: &Option<(usize, Spanned<T>)>,
) -> Result<Option<Val<T>>, PolicyError> {
    match v {
        None => Ok(None),
        Some((si, s)) => Ok(Some(Val {
            value: s.get_ref().clone(),
            loc: src_of(sources, *si)?.loc(s.span()),
        })),
    }
}

fn roots(
    sources: &[Source],
    v: &Option<(usize, Spanned<Vec<String>>)>,
    env: &PathEnv,
) -> Result<Option<Roots>, PolicyError> {
    match v {
        None => Ok(None),
        Some((si, s)) => Ok(Some(Roots::compile(src_of(sources, *si)?, s, env)?)),
    }
}

fn rule_decision(d: RuleDecision) -> Decision {
    match d {
        RuleDecision::Deny => Decision::Deny,
        RuleDecision::Ask => Decision::Ask,
    }
}

fn compile_profile(
    name: &str,
    p: &ProfileAcc,
    sources: &[Source],
    env: &PathEnv,
    project: bool,
    main: Option<&Profile>,
) -> Result<Profile, PolicyError> {
    let src = src_of(sources, p.src.unwrap_or(0))?;
    let loc = p.loc.clone().unwrap_or(Loc {
        file: src.name.clone(),
        line: 0,
    });
    let when = match &p.when {
        Some((si, span, w)) => When::compile(src_of(sources, *si)?, span.clone(), w, env)?,
        None => When::default(),
    };
    let is_main = name == MAIN_PROFILE && !project;
    if is_main && !when.is_empty() {
        return Err(src.error(
            p.when.as_ref().map(|w| w.1.clone()),
            "profile `main` is the fallback for the main agent and cannot have `when`",
        ));
    }
    // A project profile named like a trusted one applies whenever that one is selected.
    if !is_main && when.is_empty() && !project {
        return Err(src.error(
            p.when
                .as_ref()
                .map(|w| w.1.clone())
                .or(p.span.clone())
                .or(Some(0..0)),
            format!("profile `{name}` needs a `when` table (only `main` is selected without one)"),
        ));
    }
    let mut record = super::keys::ProfileKeys::compile(&p.keys, sources)?;
    if !project {
        if let Some(main) = main.and_then(Profile::keys) {
            record.inherit(main);
        }
    }
    // The lists are the record's values (inherited with it); the roots are compiled from the
    // same merged values, and a trusted profile inherits them from `main` as the record does.
    let mut prof = Profile {
        name: name.to_string(),
        loc,
        when,
        allow_tools: record.allow_tools.clone(),
        ask_tools: record.ask_tools.clone(),
        read_roots: roots(sources, &p.keys.read_roots, env)?,
        write_roots: roots(sources, &p.keys.write_roots, env)?,
        allow_programs: record.allow_programs.clone(),
        keys: super::model::LazyRecord::new(record),
        sandbox: match &p.sandbox {
            None => None,
            Some((si, s)) if project => {
                return Err(src_of(sources, *si)?.error(
                    Some(s.span()),
                    "a project profile cannot set `sandbox`; set `[sandbox]` at the top of the project policy (it may only tighten)",
                ))
            }
            Some((_, s)) => Some(profile_sandbox(s.get_ref())),
        },
        project,
    };
    if !project {
        if prof.read_roots.is_none() {
            prof.read_roots = main.and_then(|m| m.read_roots.clone());
        }
        if prof.write_roots.is_none() {
            prof.write_roots = main.and_then(|m| m.write_roots.clone());
        }
    }
    Ok(prof)
}

fn sandbox_network(n: SandboxNetwork) -> crate::policy::sandbox_settings::Network {
    match n {
        SandboxNetwork::None => crate::policy::sandbox_settings::Network::None,
        SandboxNetwork::Host => crate::policy::sandbox_settings::Network::Host,
        // The hosts are the policy's `[network] allow_hosts`, filled in per call.
        SandboxNetwork::Allowlist => {
            crate::policy::sandbox_settings::Network::Allowlist(Vec::new())
        }
    }
}

fn profile_sandbox(s: &RawSandbox) -> crate::policy::sandbox_settings::ProfileSandbox {
    let list = |v: &Option<Spanned<Vec<String>>>| {
        v.as_ref().map(|v| v.get_ref().clone()).unwrap_or_default()
    };
    crate::policy::sandbox_settings::ProfileSandbox {
        mode: s.mode.as_ref().map(|m| *m.get_ref()),
        network: s.network.as_ref().map(|n| sandbox_network(*n.get_ref())),
        read_only: list(&s.read_only),
        hidden: list(&s.hidden),
        writable: list(&s.writable),
        pass_env: list(&s.pass_env),
        auto_allow: s.auto_allow.as_ref().map(|a| *a.get_ref()),
    }
}

/// `[sandbox]` merged: the trusted value, with a project layer's additions and its floor.
fn sandbox_policy(acc: &Acc, sources: &[Source]) -> crate::policy::sandbox_settings::SandboxPolicy {
    use crate::policy::sandbox_settings::{SandboxPolicy, SandboxSettings};
    let from_project = |si: usize| sources.get(si).is_some_and(|s| !s.kind.trusted());
    let list = |v: &Option<(usize, Spanned<Vec<String>>)>| {
        v.as_ref()
            .map(|(_, v)| v.get_ref().clone())
            .unwrap_or_default()
    };
    let mut settings = SandboxSettings::default();
    let mut policy = SandboxPolicy::default();
    if let Some((si, m)) = &acc.keys.sandbox.mode.value {
        settings.mode = *m.get_ref();
        if from_project(*si) {
            policy.project_mode = Some(settings.mode);
        }
    }
    if let Some((si, n)) = &acc.keys.sandbox.network.value {
        settings.network = sandbox_network(*n.get_ref());
        if from_project(*si) {
            policy.project_network = Some(settings.network.clone());
        }
    }
    if let Some((si, a)) = &acc.keys.sandbox.auto_allow.value {
        settings.auto_allow = *a.get_ref();
        if from_project(*si) {
            policy.project_auto_allow = Some(settings.auto_allow);
        }
    }
    settings.read_only = list(&acc.keys.sandbox.read_only.value);
    settings
        .read_only
        .extend(list(&acc.keys.sandbox.read_only.project));
    settings.hidden = list(&acc.keys.sandbox.hidden.value);
    settings
        .hidden
        .extend(list(&acc.keys.sandbox.hidden.project));
    settings
        .writable
        .extend(list(&acc.keys.sandbox.writable.value));
    settings.pass_env = list(&acc.keys.sandbox.pass_env.value);
    policy.settings = settings;
    policy
}

fn compile_rule(
    si: usize,
    r: &RawRule,
    sources: &[Source],
    lines: Option<&Lines>,
    check: bool,
    env: &PathEnv,
) -> Result<Rule, PolicyError> {
    let src = src_of(sources, si)?;
    let span = Some(r.id.span());
    let id = r.id.get_ref().trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    {
        return Err(src.error(
            span,
            format!(
                "rule id `{id}` must be non-empty and use only letters, digits, `-`, `_`, `.`, `:`"
            ),
        ));
    }
    // Each error points at the key or value at fault; what concerns the whole rule, at its id.
    let paths = match &r.paths {
        Some(p) => Some(PathGlobs::new(path_globs(
            src,
            Some(p.span()),
            p.get_ref(),
            env,
            check,
        )?)),
        None => None,
    };
    let except = match &r.except {
        Some(p) => Some(PathGlobs::new(path_globs(
            src,
            Some(p.span()),
            p.get_ref(),
            env,
            check,
        )?)),
        None => None,
    };
    if let (Some(e), None) = (&r.except, &paths) {
        return Err(src.error(Some(e.span()), "`except` needs `paths`"));
    }
    if let (Some(a), None) = (&r.access, &paths) {
        return Err(src.error(Some(a.span()), "`access` needs `paths`"));
    }
    let input_regex = match &r.input_regex {
        Some(re) => Some(if check {
            crate::pattern::LazyRegex::new(re.get_ref())
                .map_err(|e| src.error(Some(re.span()), format!("bad input_regex: {e}")))?
        } else {
            crate::pattern::LazyRegex::unchecked(re.get_ref())
        }),
        None => None,
    };
    if r.tools.is_none()
        && paths.is_none()
        && r.hosts.is_none()
        && input_regex.is_none()
        && r.command.is_none()
    {
        return Err(src.error(span, "a rule needs at least one of `tools`, `paths`, `hosts`, `input_regex`, `command` (a rule that matches every call is almost certainly a mistake)"));
    }
    let command_patterns = match &r.command {
        Some(v) => Some(
            crate::pattern::CommandPattern::compile_value_at(v.get_ref(), check).map_err(|e| {
                let at =
                    e.at.and_then(|(n, part)| command_part_span(&src.text, v, n, part))
                        .unwrap_or_else(|| v.span());
                src.error(Some(at), format!("bad `command` pattern: {}", e.message))
            })?,
        ),
        None => None,
    };
    if r.reason.get_ref().trim().is_empty() {
        return Err(src.error(
            Some(r.reason.span()),
            "a rule needs a `reason` the user can act on",
        ));
    }
    Ok(Rule {
        id: Arc::from(id),
        decision: rule_decision(*r.decision.get_ref()),
        reason: r.reason.get_ref().clone(),
        loc: match lines {
            Some(l) => Loc {
                file: src.name.clone(),
                line: l.line(r.id.span().start),
            },
            None => src.loc(r.id.span()),
        },
        profiles: r.profiles.clone(),
        tools: r.tools.clone(),
        paths,
        except,
        access: r.access.as_ref().map_or(Access::Any, |a| *a.get_ref()),
        hosts: r
            .hosts
            .as_ref()
            .map(|h| h.iter().map(|x| x.to_ascii_lowercase()).collect()),
        input_regex,
        command_patterns,
        project: !src.kind.trusted(),
    })
}

/// Validate and build the policy. Every error that does not stop the rest from being checked
/// (a rule, a profile, a root list, a secret rule) is collected, so `lint` reports them all in
/// one run; `errs` may already hold the merge's errors.
pub(super) fn compile(
    acc: Acc,
    sources: &[Source],
    env: &PathEnv,
    mut errs: Vec<PolicyError>,
) -> Result<Policy, PolicyErrors> {
    match compile_all(acc, sources, env, &mut errs) {
        Ok(policy) if errs.is_empty() => Ok(policy),
        Ok(partial) => Err(PolicyErrors {
            errors: errs,
            partial: Some(Box::new(partial)),
        }),
        Err(fatal) => {
            errs.push(fatal);
            Err(PolicyErrors {
                errors: errs,
                partial: None,
            })
        }
    }
}

/// [`compile`]'s work: `Err` for an error that stops the rest from being checked, `errs` for
/// the others.
fn compile_all(
    acc: Acc,
    sources: &[Source],
    env: &PathEnv,
    errs: &mut Vec<PolicyError>,
) -> Result<Policy, PolicyError> {
    let keys = acc.keys.compile(sources)?;
    let builtins = compile_builtins(&acc.builtins, sources, errs)?;
    let main_acc = acc.profiles.get(MAIN_PROFILE).ok_or_else(|| {
        let last = sources
            .last()
            .map(|s| s.name.to_string())
            .unwrap_or_default();
        PolicyError::Invalid {
            file: last,
            line: 0,
            col: 0,
            message: "no `[profiles.main]`: the main agent needs a profile".into(),
        }
    })?;
    let mut main = compile_profile(MAIN_PROFILE, main_acc, sources, env, false, None)?;
    if main.allow_tools.is_none() {
        return Err(src_of(sources, main_acc.src.unwrap_or(0))?.error(
            main_acc.span.clone(),
            "profile `main` needs `allow_tools` (default-deny: an empty list denies every tool)",
        ));
    }
    // Global roots apply to profiles that do not set their own.
    let read_roots = keep(errs, roots(sources, &acc.keys.paths.read_roots.value, env)).flatten();
    let write_roots = keep(errs, roots(sources, &acc.keys.paths.write_roots.value, env)).flatten();
    if main.read_roots.is_none() {
        main.read_roots = read_roots.clone();
    }
    if main.write_roots.is_none() {
        main.write_roots = write_roots.clone();
    }
    let mut profiles = Vec::with_capacity(acc.profiles.len());
    for (name, p) in &acc.profiles {
        if name != MAIN_PROFILE {
            let prof = compile_profile(name, p, sources, env, false, Some(&main));
            profiles.extend(keep(errs, prof));
        }
    }
    profiles.insert(0, main);
    let mut project_profiles = Vec::new();
    for (name, p) in &acc.project_profiles {
        let Some(mut prof) = keep(errs, compile_profile(name, p, sources, env, true, None)) else {
            continue;
        };
        if prof.when.is_empty() && !acc.profiles.contains_key(name) {
            let src = src_of(sources, p.src.unwrap_or(0))?;
            errs.push(src.error(
                p.span.clone(),
                format!("project profile `{name}` names no trusted profile and has no `when`"),
            ));
            continue;
        }
        prof.project = true;
        project_profiles.push(prof);
    }
    // Whether each layer's globs and regexes are syntax-checked, decided once per layer.
    let checks: Vec<bool> = sources.iter().map(|s| needs_check(s, env)).collect();
    let lines: Vec<Lines> = sources.iter().map(|s| Lines::new(&s.text)).collect();
    let sandbox = sandbox_policy(&acc, sources);
    let mut rules = Vec::with_capacity(acc.rules.len());
    for (si, r) in acc.rules.iter().flatten() {
        if r.enabled == Some(false) {
            continue;
        }
        let check = checks.get(*si).copied().unwrap_or(true);
        let rule = compile_rule(*si, r, sources, lines.get(*si), check, env);
        rules.extend(keep(errs, rule));
    }
    let decision = |v: Val<RuleDecision>| Val {
        value: rule_decision(v.value),
        loc: v.loc,
    };
    let unlisted = decision(keys.network.unlisted.val_or(EMBEDDED_NAME));
    let tool_input = decision(keys.secrets.tool_input.val_or(EMBEDDED_NAME));
    let inject = compile_inject(sources, &acc.inject, env)?;
    let trusted_when_tainted = list_of(&acc.keys.network.trusted_when_tainted.value)
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut extra_rules = Vec::new();
    let mut custom = Vec::new();
    for (si, span, v) in acc.secret_rules {
        let src = src_of(sources, si)?;
        let rule: Result<crate::secrets::CustomRule, _> =
            v.clone().try_into().map_err(|e: toml::de::Error| {
                src.error(
                    Some(span.clone()),
                    format!("bad secret rule: {}", e.message()),
                )
            });
        let Some(rule) = keep(errs, rule) else {
            continue;
        };
        custom.push(rule.clone());
        extra_rules.push(Val {
            value: rule,
            loc: src.loc(span),
        });
    }
    let custom_detector = if custom.is_empty() {
        None
    } else {
        let loc = extra_rules.first().map(|v| v.loc.clone());
        Some(
            crate::secrets::Detector::with_extra_rules(custom).map_err(|e| {
                PolicyError::Invalid {
                    file: loc.as_ref().map(|l| l.file.to_string()).unwrap_or_default(),
                    line: loc.as_ref().map(|l| l.line).unwrap_or(0),
                    col: 1,
                    message: e.to_string(),
                }
            })?,
        )
    };
    let audit_log = match &acc.keys.settings.audit_log.value {
        Some((si, v)) if !v.get_ref().is_empty() => {
            Some(PathBuf::from(env.expand(v.get_ref()).map_err(|e| {
                sources
                    .get(*si)
                    .map(|s| s.error(Some(v.span()), e.to_string()))
                    .unwrap_or_else(|| PolicyError::Unreadable {
                        file: String::new(),
                        message: e.to_string(),
                    })
            })?))
        }
        Some(_) => None,
        None => default_audit_log(env),
    };
    let lower = |v: Option<Val<Vec<String>>>| {
        v.map(|mut v| {
            v.value.iter_mut().for_each(|h| *h = h.to_ascii_lowercase());
            v
        })
    };
    let policy = Policy {
        builtins,
        on_allow: keys.settings.on_allow.value,
        audit_log,
        project_read_roots: keep(
            errs,
            roots(sources, &acc.keys.paths.read_roots.project, env),
        )
        .flatten(),
        project_write_roots: keep(
            errs,
            roots(sources, &acc.keys.paths.write_roots.project, env),
        )
        .flatten(),
        read_roots,
        write_roots,
        network: Network {
            allow_hosts: lower(val(sources, &acc.keys.network.allow_hosts.value)?),
            unlisted,
            project_hosts: lower(val(sources, &acc.keys.network.allow_hosts.project)?),
            trusted_when_tainted,
        },
        secrets: SecretsSettings {
            scan_prompts: keys.secrets.scan_prompts.value,
            tool_input,
            extra_rules,
            custom_detector,
        },
        sandbox,
        inject,
        taint_on: keys.untrusted.taint.value,
        profiles,
        project_profiles,
        rules: rules::RuleSet::new(rules),
        layers: sources.iter().map(|s| (s.kind, s.name.clone())).collect(),
        keys: super::model::LazyRecord::new(keys),
    };
    Ok(policy)
}

/// Where one part of a rule's `command` value is written (a program list, an `args` entry,
/// `text`), found by reading the value's text again with spans (a `toml::Value` keeps none).
/// `None` when the value is not written inline (a `[rules.command]` table), and the caller
/// points at the whole value.
fn command_part_span(
    text: &str,
    value: &Spanned<toml::Value>,
    n: usize,
    part: crate::pattern::PatternPart,
) -> Option<std::ops::Range<usize>> {
    use crate::pattern::PatternPart;
    /// The parts of one pattern an error can be about, with their spans; the rest ignored.
    #[derive(serde::Deserialize)]
    struct Located {
        program: Option<Spanned<toml::Value>>,
        args: Option<Vec<Spanned<String>>>,
        text: Option<Spanned<String>>,
    }
    #[derive(serde::Deserialize)]
    struct Wrap<T> {
        c: T,
    }
    const PREFIX: &str = "c = ";
    let span = value.span();
    let written = format!("{PREFIX}{}", text.get(span.clone())?);
    let pattern = match value.get_ref() {
        toml::Value::Array(_) => toml::from_str::<Wrap<Vec<Located>>>(&written)
            .ok()?
            .c
            .into_iter()
            .nth(n)?,
        _ if n == 0 => toml::from_str::<Wrap<Located>>(&written).ok()?.c,
        _ => return None,
    };
    let at = match part {
        PatternPart::Program => pattern.program?.span(),
        PatternPart::Arg(i) => pattern.args?.get(i)?.span(),
        PatternPart::Text => pattern.text?.span(),
    };
    let start = span.start + at.start.checked_sub(PREFIX.len())?;
    let end = span.start + at.end.checked_sub(PREFIX.len())?;
    Some(start..end)
}

/// `[builtins]`: each id must be a built-in, and no setting may take a fail-closed built-in
/// below its floor. Every bad entry is reported; `Err` is an internal error.
fn compile_builtins(
    builtins: &BTreeMap<String, super::layering::Layered<crate::builtins::Setting>>,
    sources: &[Source],
    errs: &mut Vec<PolicyError>,
) -> Result<BTreeMap<String, BuiltinTuning>, PolicyError> {
    let mut out = BTreeMap::new();
    for (id, layered) in builtins {
        let mut check = |slot: &Option<(usize, Spanned<crate::builtins::Setting>)>| {
            let Some((si, v)) = slot else {
                return Ok(None);
            };
            let src = src_of(sources, *si)?;
            let Some(builtin) = crate::builtins::lookup(id) else {
                let known: Vec<&str> = crate::builtins::BUILTINS.iter().map(|b| b.id).collect();
                errs.push(src.error(
                    Some(v.span()),
                    format!(
                        "`{id}` is not a built-in rule; the built-ins are: {}",
                        known.join(", ")
                    ),
                ));
                return Ok(None);
            };
            let setting = *v.get_ref();
            if !setting.allowed_for(builtin) {
                let floor = builtin.floor.map_or("ask", |d| d.as_str());
                errs.push(src.error(
                    Some(v.span()),
                    format!(
                        "built-in `{id}` is how blastwall fails closed ({}); it can be made stricter but not set below `{floor}`",
                        builtin.guards
                    ),
                ));
                return Ok(None);
            }
            Ok(Some(Val {
                value: setting,
                loc: src.loc(v.span()),
            }))
        };
        let tuning = BuiltinTuning {
            trusted: check(&layered.value)?,
            project: check(&layered.project)?,
        };
        if tuning.trusted.is_some() || tuning.project.is_some() {
            out.insert(id.clone(), tuning);
        }
    }
    Ok(out)
}

/// `$XDG_STATE_HOME/blastwall/audit.jsonl`, else `~/.local/state/blastwall/audit.jsonl`.
fn default_audit_log(env: &PathEnv) -> Option<PathBuf> {
    env.dirs().audit_log()
}

impl Roots {
    pub(super) fn compile(
        src: &Source,
        v: &Spanned<Vec<String>>,
        env: &PathEnv,
    ) -> Result<Roots, PolicyError> {
        let mut lexical = Vec::new();
        for r in v.get_ref() {
            let expanded = env
                .expand(r)
                .map_err(|e| src.error(Some(v.span()), e.to_string()))?;
            let p = PathBuf::from(&expanded);
            if !p.is_absolute() {
                return Err(src.error(
                    Some(v.span()),
                    format!("root `{r}` must be an absolute path (or start with ~ or a variable)"),
                ));
            }
            lexical.push(paths::normalize(&p));
        }
        Ok(Roots {
            written: v.get_ref().clone(),
            dirs: Roots::with_real(lexical.iter().cloned()),
            lexical,
            loc: src.loc(v.span()),
        })
    }
}

impl When {
    pub(super) fn compile(
        src: &Source,
        span: std::ops::Range<usize>,
        raw: &RawWhen,
        env: &PathEnv,
    ) -> Result<When, PolicyError> {
        let (cwd, cwd_globs) = match &raw.cwd {
            None => (None, None),
            Some(pats) => {
                let mut b = GlobSetBuilder::new();
                let mut expanded = Vec::with_capacity(pats.len());
                for p in pats {
                    let e = env
                        .expand(p)
                        .map_err(|e| src.error(Some(span.clone()), e.to_string()))?;
                    b.add(glob(&e).map_err(|e| {
                        src.error(Some(span.clone()), format!("bad cwd glob `{p}`: {e}"))
                    })?);
                    expanded.push(e);
                }
                let set = b
                    .build()
                    .map_err(|e| src.error(Some(span.clone()), e.to_string()))?;
                (Some(set), Some(expanded))
            }
        };
        Ok(When {
            agent_type: raw.agent_type.clone(),
            subagent: raw.subagent,
            cwd,
            cwd_globs,
            env: raw.env.clone().unwrap_or_default().into_iter().collect(),
        })
    }
}

fn list_of(v: &Option<(usize, Spanned<Vec<String>>)>) -> Vec<String> {
    v.as_ref()
        .map(|(_, l)| l.get_ref().clone())
        .unwrap_or_default()
}

/// `[[secrets.inject]]`: exactly one source, a name that only carries a credential, at least
/// one program, each a program name with optional leading words.
fn compile_inject(
    sources: &[Source],
    entries: &[(usize, Spanned<super::raw::RawInject>)],
    env: &PathEnv,
) -> Result<Vec<super::model::Injection>, PolicyError> {
    use super::model::{forbidden_name, Injection, ValueSource};
    let mut out = Vec::with_capacity(entries.len());
    for (si, e) in entries {
        let src = src_of(sources, *si)?;
        let span = e.span();
        let e = e.get_ref();
        let name = e.name.get_ref();
        if let Some(why) = forbidden_name(name) {
            return Err(src.error(
                Some(e.name.span()),
                format!("secrets.inject: `{name}` cannot be injected: {why}"),
            ));
        }
        let from = match (&e.env, &e.file, &e.command) {
            (Some(v), None, None) => {
                if v.get_ref().is_empty() {
                    return Err(src.error(Some(v.span()), "secrets.inject: `env` is empty"));
                }
                ValueSource::Env(v.get_ref().clone())
            }
            (None, Some(f), None) => {
                if !f.get_ref().starts_with(['/', '~', '$']) {
                    return Err(src.error(
                        Some(f.span()),
                        "secrets.inject: `file` must be an absolute path (`~/…`, `/…`, `${XDG_CONFIG_HOME}/…`)",
                    ));
                }
                let path = env
                    .absolute(f.get_ref())
                    .map_err(|err| src.error(Some(f.span()), err.to_string()))?;
                ValueSource::File(paths::normalize(&path))
            }
            (None, None, Some(c)) => {
                if c.get_ref().first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(src.error(
                        Some(c.span()),
                        "secrets.inject: `command` needs a program (`[\"gh\", \"auth\", \"token\"]`)",
                    ));
                }
                ValueSource::Command(c.get_ref().clone())
            }
            _ => {
                return Err(src.error(
                    Some(span),
                    format!(
                        "secrets.inject `{name}`: give exactly one of `env`, `file` or `command`"
                    ),
                ))
            }
        };
        let programs = e.programs.get_ref();
        let bad = programs.iter().find(|p| {
            p.split_whitespace()
                .next()
                .is_none_or(|w| w.contains('/') || !w.bytes().all(|b| b.is_ascii_graphic()))
        });
        if programs.is_empty() || bad.is_some() {
            return Err(src.error(
                Some(e.programs.span()),
                format!(
                    "secrets.inject `{name}`: `programs` must list program names (`gh`, `npm publish`), not paths or nothing{}",
                    bad.map(|b| format!(" (`{b}`)")).unwrap_or_default()
                ),
            ));
        }
        out.push(Injection {
            name: name.clone(),
            from,
            programs: programs.clone(),
            profiles: e.profiles.clone().unwrap_or_default(),
        });
    }
    Ok(out)
}
