//! The hook entry point, built so that no failure lets a tool call through.
//!
//! Verified with the real client: a hook that exits 1, panics (exit 101), times out, is killed
//! or prints something that is not JSON lets the call run. So every path here ends in an
//! answer: the event is judged on a worker thread with a large stack, under `catch_unwind` and
//! a deadline; any error, panic or overrun becomes a deny (PreToolUse), a block
//! (UserPromptSubmit) or a warning (events that cannot block), and when even the kind of event
//! is unknown, a deny with exit code 2, which Claude Code treats as a block.
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use thiserror::Error;

use crate::audit;
use crate::decision::Decision;
use crate::engine::{truncate, Call, Judge, Judgement};
use crate::input::{self, EventKind, HookEvent, InputError, ToolUse, MAX_INPUT_BYTES};
use crate::outcome::{Outcome, Post, PostEvent, Pre, Ruling};
use crate::output;
pub use crate::output::Answer;
use crate::paths::PathEnv;
use crate::policy::{Discovery, OnAllow, Policy, PolicyError, PostSettings};

/// How long the judgement may take before it is abandoned and the call denied; well inside
/// the `timeout` that `blastwall install` registers (10 s), after which the client would let
/// the call run, and generous enough that a heavily loaded machine (load 13 on 2 cores was
/// seen in tests) does not turn ordinary calls into denies.
pub const DEADLINE: Duration = Duration::from_millis(5000);
/// Tools whose whole point is the user's answer: never auto-approved.
const USER_TOOLS: &[&str] = &["AskUserQuestion", "ExitPlanMode", "EnterPlanMode"];

/// The worker thread's stack: deep input is bounded by explicit limits, this is the margin. The
/// Bash analyser runs on it when the input's stack bound fits (64 MiB plus 32 KiB per opener,
/// `shell::with_declared_stack`), and starts a thread of its own otherwise. Mapped lazily:
/// only the pages the recursion touches are used.
const WORKER_STACK: usize = 128 * 1024 * 1024;

#[derive(Debug, Error)]
pub enum HookError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub policy_file: Option<PathBuf>,
    /// Skip the user, managed and project layers (replay, CI).
    pub isolated: bool,
    /// The project directory, instead of `CLAUDE_PROJECT_DIR`/`cwd` (replay).
    pub project: Option<PathBuf>,
    /// The home directory, instead of `HOME` (replay's scratch home).
    pub home: Option<PathBuf>,
    /// Write the audit log (off for replay and explain).
    pub audit: bool,
    /// Start from the compiled-policy cache (`policy::cache`) and keep it current: the real
    /// hook only; replay, explain and lint always compile every layer afresh.
    pub compiled_cache: bool,
}

impl Answer {
    /// No answer: the client decides.
    pub fn none() -> Answer {
        output::answer(Outcome::Nothing)
    }

    /// The fail-closed answer for an event of a known kind (`None`: not even that is known).
    pub fn failure(kind: Option<EventKind>, what: &str) -> Answer {
        output::answer(Outcome::Failure {
            kind,
            what: what.to_string(),
        })
    }
}

/// The handler the worker runs; tests substitute one that panics or hangs.
pub type Handler = fn(&HookEvent, &Options) -> Result<Answer, HookError>;

/// Read one event from `stdin` and answer it. Never panics, never returns without an answer.
pub fn run(stdin: &mut dyn Read, opts: &Options) -> Answer {
    let event = match input::read_capped(stdin, MAX_INPUT_BYTES).and_then(|b| input::parse(&b)) {
        Ok(ev) => ev,
        Err(e) => {
            log_failure(None, opts, &e.to_string());
            return Answer::failure(None, &e.to_string());
        }
    };
    run_event(event, opts, handle)
}

/// Judge one parsed event on a worker thread under a deadline; panics and overruns deny.
pub fn run_event(event: HookEvent, opts: &Options, handler: Handler) -> Answer {
    let kind = event.kind();
    let (tx, rx) = mpsc::channel();
    let worker_opts = opts.clone();
    // Shared, not cloned: a PostToolUse event can carry a megabyte of tool output.
    let event = std::sync::Arc::new(event);
    let worker_event = std::sync::Arc::clone(&event);
    let spawned = std::thread::Builder::new()
        .name("judge".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            // Declared so that Bash analysis runs on this thread when its stack fits the input,
            // instead of on a thread of its own per call (`shell::with_declared_stack`).
            crate::shell::with_declared_stack(WORKER_STACK, || {
                let result =
                    catch_unwind(AssertUnwindSafe(|| handler(&worker_event, &worker_opts)));
                let _ = tx.send(result);
            });
        });
    let outcome = match spawned {
        Ok(_) => rx.recv_timeout(DEADLINE),
        // No thread: judge inline, still under catch_unwind.
        Err(_) => Ok(catch_unwind(AssertUnwindSafe(|| handler(&event, opts)))),
    };
    let what = match outcome {
        Ok(Ok(Ok(answer))) => return answer,
        Ok(Ok(Err(e))) => e.to_string(),
        Ok(Err(_)) => {
            "blastwall hit an internal error (a panic); this is a bug, please report it".to_string()
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            format!("judging it took longer than {} ms", DEADLINE.as_millis())
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            "blastwall's judge stopped without an answer".to_string()
        }
    };
    log_failure(Some(&event), opts, &what);
    Answer::failure(Some(kind), &what)
}

/// Record a failure in the default audit log (the policy may be what failed).
fn log_failure(event: Option<&HookEvent>, opts: &Options, what: &str) {
    if !opts.audit {
        return;
    }
    let cwd = event.and_then(|e| e.cwd.as_deref()).unwrap_or("/");
    let env = PathEnv::from_process(Path::new(cwd));
    let Some(path) = Policy::embedded(&env).ok().and_then(|p| p.audit_log) else {
        return;
    };
    let outcome = Outcome::Failure {
        kind: event.map(HookEvent::kind),
        what: what.to_string(),
    };
    // A log that cannot be written does not change the answer; say so on stderr.
    if let Err(message) = record(&path, &audit::Record::of(event, &outcome)) {
        let _ =
            std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
    }
}

/// Load every policy layer for this event.
pub fn load_policy(env: &PathEnv, opts: &Options) -> Result<Policy, PolicyError> {
    load_through_cache(
        env,
        opts,
        |cache, discovery| cache.load(env, discovery),
        |p| p,
    )
}

/// What a call after a tool ran reads of the policy: from the cache when it holds the policy
/// (only that part decoded), else from every layer compiled (and stored), as
/// [`load_policy`] does.
fn load_post_settings(env: &PathEnv, opts: &Options) -> Result<PostSettings, PolicyError> {
    load_through_cache(
        env,
        opts,
        |cache, discovery| cache.load_post(env, discovery),
        PostSettings::from,
    )
}

/// The layers this event reads, found once: `hit` reads what the caller needs from the
/// compiled-policy cache; on a miss every layer is compiled, stored for the next call, and
/// turned into that by `from`.
fn load_through_cache<T>(
    env: &PathEnv,
    opts: &Options,
    hit: impl FnOnce(&crate::policy::cache::Cache, &Discovery) -> Option<T>,
    from: impl FnOnce(Policy) -> T,
) -> Result<T, PolicyError> {
    let discovery = if opts.isolated {
        Discovery::isolated(opts.policy_file.clone())
    } else {
        Discovery::standard(env, opts.policy_file.clone())
    };
    let cache = if opts.compiled_cache {
        crate::policy::cache::Cache::new(env, &discovery)
    } else {
        None
    };
    if let Some(found) = cache.as_ref().and_then(|c| hit(c, &discovery)) {
        return Ok(found);
    }
    let sources = discovery.read(env)?;
    let policy = Policy::from_sources(&sources, env)?;
    if let Some(cache) = &cache {
        cache.store(env, &discovery, &policy);
    }
    Ok(from(policy))
}

fn path_env(cwd: &str, opts: &Options) -> Result<PathEnv, HookError> {
    let cwd_path = Path::new(cwd);
    if !cwd_path.is_absolute() {
        return Err(HookError::Input(InputError::Json(format!(
            "`cwd` must be an absolute path, got `{}`",
            truncate(cwd, 200)
        ))));
    }
    let mut env = PathEnv::from_process(cwd_path);
    if let Some(p) = &opts.project {
        env.project = crate::paths::normalize(p);
    }
    if let Some(h) = &opts.home {
        env.home = Some(crate::paths::normalize(h));
    }
    Ok(env)
}

/// The production handler.
pub fn handle(ev: &HookEvent, opts: &Options) -> Result<Answer, HookError> {
    #[cfg(feature = "fault-injection")]
    crate::fault::inject();
    match ev.kind() {
        EventKind::PreToolUse => pre_tool_use(ev, opts),
        EventKind::PostToolUse | EventKind::PostToolUseFailure | EventKind::UserPromptSubmit => {
            after_tool_or_prompt(ev, opts)
        }
        EventKind::Other => Ok(Answer::none()),
    }
}

/// After a tool ran with a policy that does not load: the built-in detector still redacts, and
/// the user is told the policy is broken (the next PreToolUse is denied until it is fixed).
fn after_tool_with_broken_policy(
    ev: &HookEvent,
    env: &PathEnv,
    opts: &Options,
    error: &PolicyError,
) -> Answer {
    let state_home = if opts.audit {
        env.home.as_deref()
    } else {
        None
    };
    let mut post = crate::post::post_tool_use(ev, crate::secrets::builtin(), state_home)
        .unwrap_or_else(|| Post {
            event: if ev.kind() == EventKind::PostToolUseFailure {
                PostEvent::PostToolUseFailure
            } else {
                PostEvent::PostToolUse
            },
            notes: Vec::new(),
            system: Vec::new(),
            redacted: None,
            framed: None,
            mcp: false,
            exposed: false,
            warning: None,
        });
    post.warning = Some(format!("blastwall: {error}; tool output was still checked with the built-in secret rules, and tool calls are denied until the policy is fixed"));
    // Only a redaction is worth its own word here: what the warning says is the news.
    post.exposed = false;
    output::answer(Outcome::Post(post))
}

/// PostToolUse, PostToolUseFailure and UserPromptSubmit: secrets out, external content marked.
fn after_tool_or_prompt(ev: &HookEvent, opts: &Options) -> Result<Answer, HookError> {
    let cwd = ev.cwd.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| {
        HookError::Input(InputError::Missing {
            event: ev.hook_event_name.clone(),
            field: "cwd",
        })
    })?;
    let env = path_env(cwd, opts)?;
    // A broken policy must not let secrets through: after a tool ran, redact with the built-in
    // detector and warn; a prompt is blocked (the error path does that).
    let policy = match load_post_settings(&env, opts) {
        Ok(p) => p,
        Err(e) if ev.kind() != EventKind::UserPromptSubmit => {
            return Ok(after_tool_with_broken_policy(ev, &env, opts, &e))
        }
        Err(e) => return Err(e.into()),
    };
    // Injected credentials are redacted by exact value (and their encodings) from tool output
    // and prompts, whatever their shape.
    let with_injected = injected_detector(&policy, &env);
    let detector = with_injected
        .as_ref()
        .unwrap_or_else(|| policy.secrets.detector());
    let outcome = if ev.kind() == EventKind::UserPromptSubmit {
        policy
            .secrets
            .scan_prompts
            .then(|| crate::post::user_prompt(ev, detector))
            .flatten()
            .map(|reason| Outcome::PromptBlocked { reason })
    } else {
        let state_home = if opts.audit {
            env.home.as_deref()
        } else {
            None
        };
        crate::post::post_tool_use_with(ev, detector, state_home, policy.taint_on)
            .map(Outcome::Post)
    };
    let Some(outcome) = outcome else {
        return Ok(Answer::none());
    };
    Ok(finish(ev, outcome, policy.audit_log.as_deref(), opts))
}

/// The policy's detector plus the values its `[[secrets.inject]]` entries can hand a
/// sandboxed call (see `egress::credentials::known_values`); `None` when there are none.
fn injected_detector(policy: &PostSettings, env: &PathEnv) -> Option<crate::secrets::Detector> {
    if policy.inject.is_empty() {
        return None;
    }
    let state = crate::post::state_dir(env.home.as_deref());
    let values = crate::egress::credentials::known_values(&policy.inject, state.as_deref(), &|k| {
        std::env::var(k).ok()
    });
    if values.is_empty() {
        return None;
    }
    let rules = policy
        .secrets
        .extra_rules
        .iter()
        .map(|r| r.value.clone())
        .collect();
    // The custom rules compiled when the policy loaded; they compile again here.
    let detector = crate::secrets::Detector::with_extra_rules(rules).ok()?;
    Some(detector.with_exact_values(values))
}

/// The answer for an outcome, recorded in the audit log when this is the real hook.
fn finish(ev: &HookEvent, outcome: Outcome, audit_log: Option<&Path>, opts: &Options) -> Answer {
    let mut answer = output::answer(outcome);
    if opts.audit {
        if let Some(path) = audit_log {
            if let Err(message) = record(path, &audit::Record::of(Some(ev), &answer.outcome)) {
                answer.stderr = Some(message);
            }
        }
    }
    answer
}

/// Judge a PreToolUse event; returns the judgement too, for `explain`.
pub fn judge_pre(
    ev: &HookEvent,
    opts: &Options,
) -> Result<(Judgement, Policy, PathEnv), HookError> {
    let (call, cwd) = ev.tool_call()?;
    judge_call(ev, call, cwd, opts)
}

/// Judge the tool call of a PreToolUse event, read once at the edge (`HookEvent::tool_call`).
fn judge_call(
    ev: &HookEvent,
    tool: ToolUse<'_>,
    cwd: &str,
    opts: &Options,
) -> Result<(Judgement, Policy, PathEnv), HookError> {
    let env = path_env(cwd, opts)?;
    let policy = load_policy(&env, opts)?;
    let judgement = {
        let mut judge = Judge::new(&policy, &env);
        // Session state belongs to live sessions: replay and explain neither read nor write it.
        if opts.audit {
            judge.tainted = crate::post::is_tainted(env.home.as_deref(), ev.session_id.as_deref());
        }
        let call = Call {
            tool,
            agent_type: ev.agent_type.as_deref(),
            agent_id: ev.agent_id.as_deref(),
        };
        judge.judge(&call, &|k| std::env::var(k).ok())
    };
    Ok((judgement, policy, env))
}

/// The outcome of a judged PreToolUse: the verdict, and what `on_allow` makes of no objection.
pub fn pre_outcome(ev: &HookEvent, judgement: &Judgement, policy: &Policy) -> Outcome {
    let decision = judgement.verdict.decision();
    let ruling = match (decision, policy.on_allow) {
        (Decision::Allow, OnAllow::None) => Ruling::Pass,
        // Questions for the user and plan approval are the user's, even under auto-approve.
        (Decision::Allow, OnAllow::Allow)
            if USER_TOOLS.contains(&ev.tool_name.as_deref().unwrap_or("")) =>
        {
            Ruling::Pass
        }
        (Decision::Allow, OnAllow::Allow) => Ruling::Allow,
        (d, _) => Ruling::of_verdict(d),
    };
    Outcome::Pre(Pre {
        ruling,
        rule: judgement.verdict.deciding().map(|f| f.rule.clone()),
        reason: judgement.verdict.reason(),
        profiles: judgement.profiles.clone(),
        updated_input: None,
        system: None,
        sandbox: None,
    })
}

fn pre_tool_use(ev: &HookEvent, opts: &Options) -> Result<Answer, HookError> {
    let (call, cwd) = ev.tool_call()?;
    let (judgement, policy, env) = judge_call(ev, call.clone(), cwd, opts)?;
    let mut outcome = pre_outcome(ev, &judgement, &policy);
    // The OS sandbox step: a Bash call that gets through is rewritten to run sandboxed. Live
    // sessions only: replay and explain judge calls, they run nothing.
    if let (true, Outcome::Pre(pre)) = (opts.audit, &mut outcome) {
        let state = crate::post::state_dir(env.home.as_deref());
        crate::sandbox::hook::apply(
            ev,
            &call,
            &policy,
            &env,
            pre,
            state.as_deref(),
            &crate::egress::sandbox::ticket_egress,
        );
    }
    let answer = finish(ev, outcome, policy.audit_log.as_deref(), opts);
    release(policy, opts);
    Ok(answer)
}

/// Append an audit record. A log that cannot be written does not change the answer; the
/// error is what the answer then says on stderr.
fn record(path: &Path, rec: &audit::Record<'_>) -> Result<(), String> {
    audit::append(path, rec)
        .map_err(|e| format!("blastwall: cannot write audit log {}: {e}", path.display()))
}

/// The real hook exits right after answering, so it does not free the policy: dropping every
/// rule, glob and string of it only cost time (≈ 10% of a call). Replay and explain judge many
/// events in one process and free it.
fn release(policy: Policy, opts: &Options) {
    if opts.compiled_cache {
        std::mem::forget(policy);
    }
}

#[cfg(test)]
#[path = "hook_tests.rs"]
mod tests;
