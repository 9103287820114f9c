//! `gate -- CMD`, `gate run`, `gate shell -c`: decide, ask if needed, record, run.

use std::ffi::OsString;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::script_files::Seal;
use super::{check, prepare};
use crate::approve::local::Local;
use crate::approve::slack::Slack;
use crate::approve::terminal::{self, Terminal};
use crate::approve::webhook::Webhook;
use crate::approve::{self, Channel, Outcome, RuleLine, Terms};
use crate::cli::RunOptions;
use crate::context::Context;
use crate::decide::{AskTerms, Decider, Verdict};
use crate::error::{Error, Result};
use crate::exec::{self, SpawnError};
use crate::exit::Exit;
use crate::ledger::{NewEvent, Store, events, store};
use crate::policy::{Decision, Policy, parse_duration};
use crate::redact::Redactor;
use crate::ui;

pub enum Target {
    Argv(Vec<OsString>),
    /// `gate shell -c SCRIPT [NAME ARGS...]`: runs `/bin/sh -c SCRIPT NAME ARGS...`.
    Script {
        script: String,
        args: Vec<OsString>,
    },
}

pub fn run(opts: RunOptions, target: Target) -> Result<Exit> {
    if let Target::Argv(argv) = &target
        && argv.is_empty()
    {
        return Err(Error::Usage(
            "nothing to run: give the command after `--`, e.g. `gate -- kubectl get pods`".into(),
        ));
    }
    let timeout_override = match &opts.timeout {
        Some(t) => {
            Some(parse_duration(t).map_err(|e| Error::Usage(format!("--timeout {t}: {e}")))?)
        }
        None => None,
    };
    // Never freed: the process ends soon after, and dropping a thousand rules one by one is
    // measurable on the allow path.
    let mut timer = ui::Timer::start();
    let mut policy = std::mem::ManuallyDrop::new(prepare::load_policy(opts.policy.clone())?);
    timer.mark("policy loaded");
    let redactor = Redactor::new(&policy.redact)
        .map_err(|e| Error::Config(format!("[redact] patterns: {e}")))?;
    let ctx = Context::detect(opts.agent.as_deref());
    timer.mark("context (agent ancestry)");

    let (exec_argv, display_argv, script, analysis, read) = match &target {
        Target::Argv(argv) => {
            let (strings, bad) = prepare::argv_strings(argv);
            let mut analysis = prepare::analyse_argv(&policy, &strings, bad);
            let read = prepare::read_scripts(&policy, &ctx, &mut analysis, Some(&strings));
            (argv.clone(), strings, None, analysis, read)
        }
        Target::Script { script, args } => {
            let mut argv: Vec<OsString> = vec!["/bin/sh".into(), "-c".into(), script.into()];
            argv.extend(args.iter().cloned());
            let (strings, _) = prepare::argv_strings(&argv);
            let mut analysis = prepare::analyse_script(&policy, script);
            if args.iter().any(|a| a.to_str().is_none()) {
                analysis.opaque.push(crate::analyze::Opaque {
                    reason: "an argument is not valid UTF-8".into(),
                    snippet: String::new(),
                });
            }
            let read = prepare::read_scripts(&policy, &ctx, &mut analysis, None);
            (argv, strings, Some(script.clone()), analysis, read)
        }
    };
    timer.mark("context and analysis");
    let verdict = prepare::decide(&mut policy, &ctx, &analysis)?;
    timer.mark("decided");
    let id = new_request_id();
    let masked = redactor.argv(&display_argv);

    let ledger_path = crate::dirs::ledger_path().ok_or_else(|| {
        Error::Config("cannot find the ledger: set HOME, XDG_DATA_HOME or GATE_LEDGER".into())
    })?;
    let mut ledger = store::open(&ledger_path, policy.sync)?;
    super::checkpoints::post_checkpoints_from(&mut *ledger, &policy, opts.policy.clone());
    timer.mark("ledger opened");
    let hmac = crate::ledger::keyed::argv_hmac(&ledger_path, &exec_argv)?;

    let script_masked = script.as_deref().map(|s| redactor.text(s));
    let reason_masked = opts.reason.as_deref().map(|r| redactor.text(r));
    let request = events::request(&events::RequestData {
        requester: &ctx.requester,
        cwd: &ctx.cwd,
        command: &masked,
        script: script_masked.as_deref(),
        reason: reason_masked.as_deref(),
        ci: ctx.ci.as_ref(),
        argv_hmac: &hmac,
        policy_sources: &policy.sources,
        protect_except: &policy.protect_except,
        extra: None,
    });
    let decision_event = events::decision(&verdict, &redactor);
    let display = masked.join(" ");

    if opts.json {
        let mut line = check::verdict_json(&verdict);
        line["id"] = json!(id);
        line["command"] = json!(masked);
        eprintln!("{line}");
    }

    // Request and decision (and `started` when allowed) in one transaction, before anything
    // else happens.
    let allowed = verdict.decision == Decision::Allow;
    ledger.append(&events::opening(&id, request, decision_event, allowed))?;
    match verdict.decision {
        Decision::Allow => {
            timer.mark("recorded request, decision, started");
            let exit = execute(&mut *ledger, &id, &exec_argv, read.seal.as_ref());
            timer.mark("ran and recorded finished");
            exit
        }
        Decision::Deny => {
            explain_denial(&verdict, &display, None);
            Ok(Exit::Denied)
        }
        Decision::Ask => {
            let mut terms = Decider::new(&policy).ask_terms(&verdict);
            if !read.files.is_empty() {
                // What the command runs is in files that may have changed since an earlier
                // approval of the same command line.
                terms.reuse = None;
            }
            let reusable = match terms.reuse {
                Some(window) => find_reusable(&*ledger, window, &hmac, &ctx)?,
                None => None,
            };
            let outcome = match reusable {
                Some((from, by)) => {
                    ledger.append(&[
                        NewEvent {
                            request: &id,
                            kind: "reused",
                            data: json!({"from": from, "approver": by.join(", ")}),
                        },
                        NewEvent {
                            request: &id,
                            kind: "verdict",
                            data: json!({"outcome": "approved", "by": by, "channel": "reuse", "from": from}),
                        },
                    ])?;
                    Outcome::Approved {
                        by,
                        channel: format!("an earlier approval ({from}, reused)"),
                    }
                }
                None => seek_approval(
                    &policy,
                    &ctx,
                    &verdict,
                    &terms,
                    &opts,
                    timeout_override,
                    &id,
                    &display,
                    &redactor,
                    &mut *ledger,
                )?,
            };
            match outcome {
                Outcome::Approved { by, channel } => {
                    ui::note(&format!("approved in {channel} by {}", by.join(", ")));
                    ledger.append(&[NewEvent {
                        request: &id,
                        kind: "started",
                        data: events::started(),
                    }])?;
                    execute(&mut *ledger, &id, &exec_argv, read.seal.as_ref())
                }
                Outcome::Denied {
                    by,
                    channel,
                    comment,
                } => {
                    let c = comment.map(|c| format!(": {c}")).unwrap_or_default();
                    explain_denial(
                        &verdict,
                        &display,
                        Some(format!("denied in {channel} by {by}{c}")),
                    );
                    Ok(Exit::Denied)
                }
                Outcome::Expired => {
                    ui::error(&format!(
                        "approval request {id} expired: nobody answered in time; `{display}` did not run"
                    ));
                    Ok(Exit::Expired)
                }
                Outcome::Cancelled => {
                    ui::error(&format!("request {id} cancelled; `{display}` did not run"));
                    Ok(Exit::Cancelled)
                }
                Outcome::Unavailable(failures) => Err(approve::unavailable_error(
                    &failures,
                    ctx.in_ci(),
                    ctx.requester.agent.is_some(),
                )),
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn seek_approval(
    policy: &Policy,
    ctx: &Context,
    verdict: &Verdict,
    terms: &AskTerms,
    opts: &RunOptions,
    timeout_override: Option<Duration>,
    id: &str,
    display: &str,
    redactor: &Redactor,
    ledger: &mut dyn Store,
) -> Result<Outcome> {
    if policy.defaults.require_reason && opts.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        ledger.append(&[NewEvent {
            request: id,
            kind: "verdict",
            data: json!({"outcome": "denied", "by": "policy", "why": "no --reason given"}),
        }])?;
        return Err(Error::Usage(format!(
            "`{display}` needs approval and the policy requires a reason: run it again with --reason TEXT"
        )));
    }
    let timeout = timeout_override.unwrap_or(terms.timeout);
    let mut channels = terms.channels.clone();
    if !opts.channels.is_empty() {
        channels.retain(|c| opts.channels.contains(c));
    }
    let mut open: Vec<Box<dyn Channel>> = Vec::new();
    let mut failures = Vec::new();
    for name in &channels {
        match name.as_str() {
            "terminal" => match terminal::refusal(&ctx.requester) {
                Some(why) if channels.iter().any(|c| c == "local") => failures.push(format!(
                    "terminal: {why}; approve it from another terminal: `gate approve {id}`"
                )),
                Some(why) => failures.push(format!(
                    "terminal: {why}; add \"local\" to `channels` to approve it from another terminal with `gate approve`, or configure [slack] or [webhook]"
                )),
                None => match Terminal::open(ctx.in_ci(), &ctx.requester.user) {
                    Ok(t) => open.push(Box::new(t)),
                    Err(e) => failures.push(format!("terminal: {e}")),
                },
            },
            "local" => open.push(Box::new(Local::open(ledger.location().to_path_buf()))),
            "slack" => match policy
                .slack
                .as_ref()
                .map(|c| Slack::open(c, Some(ledger.location().to_path_buf())))
            {
                Some(Ok(s)) => open.push(Box::new(s)),
                Some(Err(e)) => failures.push(format!("slack: {e}")),
                None => failures.push("slack: [slack] is not configured".into()),
            },
            "webhook" => match policy.webhook.as_ref().map(Webhook::open) {
                Some(Ok(w)) => open.push(Box::new(w)),
                Some(Err(e)) => failures.push(format!("webhook: {e}")),
                None => failures.push("webhook: [webhook] is not configured".into()),
            },
            other => failures.push(format!("{other}: unknown approval channel")),
        }
    }
    let opened: Vec<&str> = open.iter().map(|c| c.name()).collect();
    if channels.is_empty() {
        failures.push(format!(
            "none of the requested channels ({}) is allowed for this rule ({})",
            opts.channels.join(", "),
            terms.channels.join(", ")
        ));
    }
    let expires_at = SystemTime::now() + timeout;
    ledger.append(&[NewEvent {
        request: id,
        kind: "approval_requested",
        data: json!({
            "channels": channels,
            "open": opened,
            "unavailable": failures,
            "expires": humantime::format_rfc3339_millis(expires_at).to_string(),
            "quorum": terms.quorum,
            "approvers": terms.approver_sets,
        }),
    }])?;
    if open.is_empty() {
        ledger.append(&[NewEvent {
            request: id,
            kind: "verdict",
            data: json!({"outcome": "unavailable", "failures": failures}),
        }])?;
        return Ok(Outcome::Unavailable(failures));
    }
    for f in &failures {
        ui::note(&format!("channel unavailable: {f}"));
    }
    let request = approve::Request {
        id: id.to_string(),
        command: display.to_string(),
        rules: verdict
            .deciding()
            .map(|h| RuleLine {
                id: h.rule.clone(),
                message: h.message.clone(),
                risk: h.risk,
            })
            .collect(),
        opaque: verdict
            .opaque
            .iter()
            .map(|o| format!("{}: {}", o.reason, redactor.text(&o.snippet)))
            .collect(),
        risk: verdict.risk,
        requester: ctx.requester.clone(),
        cwd: ctx.cwd.clone(),
        reason: opts.reason.as_deref().map(|r| redactor.text(r)),
        ci: ctx.ci.clone(),
        expires_at,
        quorum: terms.quorum,
    };
    // `[identity] slack = "U0REQ"` is the identity `slack:U0REQ`, the form votes arrive in.
    let self_identities: Vec<String> = policy
        .identity
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            if v.starts_with(&format!("{k}:")) {
                v.clone()
            } else {
                format!("{k}:{v}")
            }
        })
        .collect();
    let approval_terms = Terms {
        approver_sets: terms.approver_sets.clone(),
        quorum: terms.quorum,
        self_identities,
    };
    let mut record = |kind: &str, data: Value| {
        ledger.append(&[NewEvent {
            request: id,
            kind,
            data,
        }])
    };
    approve::ask(request, open, &approval_terms, &mut record)
}

/// An earlier request with the same argv (keyed hash), cwd and requester that people approved
/// within `window`: its approvers, so the approval is reused. Only original approvals count
/// (not reuses), so a window cannot be stretched by chaining reuses, and only verdicts gate
/// sealed, so an approval written into the ledger by hand is not one.
fn find_reusable(
    ledger: &dyn Store,
    window: Duration,
    hmac: &str,
    ctx: &Context,
) -> Result<Option<(String, Vec<String>)>> {
    let since = SystemTime::now()
        .checked_sub(window)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let filter = crate::ledger::query::Filter {
        since: Some(humantime::format_rfc3339_millis(since).to_string()),
        ..Default::default()
    };
    let since = filter.since.clone().unwrap_or_default();
    let mut found = None;
    let requester = serde_json::to_value(&ctx.requester).unwrap_or_default();
    ledger.query(&filter, true, usize::MAX, &mut |r| {
        if found.is_some()
            || r.decision != "ask"
            || r.argv_hmac.as_deref() != Some(hmac)
            || r.cwd != ctx.cwd
        {
            return;
        }
        let same = |k: &str| r.requester.get(k) == requester.get(k);
        if !(same("user") && same("agent") && same("host")) {
            return;
        }
        let Some(verdict) = &r.approval else {
            return;
        };
        let channel = verdict.data.get("channel").and_then(Value::as_str);
        if channel == Some("reuse")
            || verdict.time < since
            || !matches!(ledger.check_seal(verdict), Ok(Ok(())))
        {
            return;
        }
        let approvers: Vec<String> = verdict
            .data
            .get("by")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !approvers.is_empty() {
            found = Some((r.id.clone(), approvers));
        }
    })?;
    Ok(found)
}

fn execute(
    ledger: &mut dyn Store,
    id: &str,
    argv: &[OsString],
    seal: Option<&Seal>,
) -> Result<Exit> {
    // A shell script gate read runs from a sealed copy of the bytes it analysed.
    let sealed = match seal.map(sealed_argv).transpose() {
        Ok(s) => s,
        Err(message) => {
            ledger.append(&[NewEvent {
                request: id,
                kind: "error",
                data: json!({"message": message, "exit_code": Exit::CannotExecute.code()}),
            }])?;
            ui::error(&message);
            return Ok(Exit::CannotExecute);
        }
    };
    let run_argv = match &sealed {
        Some((_, fd)) => seal.map(|s| s.argv(argv, *fd)).unwrap_or_default(),
        None => argv.to_vec(),
    };
    let result = exec::run(&run_argv);
    drop(sealed);
    match result {
        Ok(outcome) => {
            let mut timer = ui::Timer::start();
            ledger.append(&[NewEvent {
                request: id,
                kind: "finished",
                data: events::finished(&outcome),
            }])?;
            timer.mark("recorded finished");
            Ok(Exit::Child(outcome.status()))
        }
        Err(e) => {
            let (exit, message) = match e {
                SpawnError::NotFound(m) => (Exit::NotFound, m),
                SpawnError::NotExecutable(m) => (Exit::CannotExecute, m),
                SpawnError::Other(m) => (Exit::CannotExecute, m),
            };
            ledger.append(&[NewEvent {
                request: id,
                kind: "error",
                data: json!({"message": message, "exit_code": exit.code()}),
            }])?;
            ui::error(&message);
            Ok(exit)
        }
    }
}

/// The sealed copy of a script and its descriptor number.
#[cfg(target_os = "linux")]
fn sealed_argv(seal: &Seal) -> std::result::Result<(std::os::fd::OwnedFd, i32), String> {
    use std::os::fd::AsRawFd;
    let fd = super::script_files::sealed_fd(&seal.bytes)
        .map_err(|e| format!("cannot make a sealed copy of the script gate analysed: {e}"))?;
    let n = fd.as_raw_fd();
    Ok((fd, n))
}

/// No sealed memory files here: the script runs from its file.
#[cfg(not(target_os = "linux"))]
fn sealed_argv(_: &Seal) -> std::result::Result<((), i32), String> {
    Err(String::new())
}

/// One or two lines on stderr: what was refused, by which rule, and what to do instead.
fn explain_denial(verdict: &Verdict, display: &str, by_person: Option<String>) {
    let rules: Vec<String> = verdict.deciding().map(|h| h.rule.clone()).collect();
    let head = match (&by_person, rules.is_empty()) {
        (Some(who), _) => format!("denied: `{display}` was {who}"),
        (None, false) => format!("denied: `{display}` (rule {})", rules.join(", ")),
        (None, true) => format!("denied: `{display}` (the policy's default decision)"),
    };
    ui::error(&head);
    let messages: Vec<String> = verdict
        .deciding()
        .filter_map(|h| h.message.clone())
        .collect();
    if !messages.is_empty() && by_person.is_none() {
        eprintln!("gate: {}", messages.join(" "));
    }
}

/// A short, unambiguous request id people can type: 10 characters of base32 (no 0/1/l/o).
pub fn new_request_id() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let mut bytes = [0u8; 10];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mixed = nanos ^ ((std::process::id() as u128) << 64);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (mixed >> (i * 8)) as u8;
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect()
}
