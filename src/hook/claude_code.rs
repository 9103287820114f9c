//! `gate hook claude-code`: Claude Code's PreToolUse / PostToolUse hook contract.
//!
//! PreToolUse reads `{"hook_event_name","tool_name","tool_input":{"command","description"},
//! "cwd","session_id","tool_use_id"}` on stdin and answers on stdout with
//! `{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow|deny|ask",
//! "permissionDecisionReason":"…"}}`. Anything gate cannot read is denied, with exit status 2
//! as well (Claude Code blocks on 2 even if it cannot parse the JSON): a crash must never read
//! as "allow". PostToolUse records the outcome against the same request, found by
//! `tool_use_id`. Tools other than Bash pass through untouched.

use std::io::Read;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::{HookAsk, RunOptions};
use crate::commands::{prepare, run::seek_approval};
use crate::context::Context;
use crate::decide::Decider;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{NewEvent, events, intake, keyed, store};
use crate::policy::Decision;
use crate::redact::Redactor;

/// Hook input larger than this is refused (Claude Code's commands are far smaller).
const MAX_INPUT: u64 = 4 * 1024 * 1024;

pub struct Options {
    pub ask: HookAsk,
    pub policy: Option<std::path::PathBuf>,
    pub agent: Option<String>,
}

fn answer(decision: &str, reason: &str) {
    println!(
        "{}",
        json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }
        })
    );
}

/// Refuse: a deny answer on stdout, the reason on stderr, and exit status 2.
fn refuse(reason: &str) -> Result<Exit> {
    answer("deny", &format!("gate: {reason}"));
    eprintln!("gate: {reason}");
    Ok(Exit::HookBlock)
}

/// The request id for a tool call: derived from the session and tool-use ids, so PostToolUse
/// finds the request PreToolUse made without any lookup table.
pub fn request_id(session: &str, tool_use: &str) -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
    let digest = Sha256::digest(format!("claude-code\0{session}\0{tool_use}").as_bytes());
    digest
        .iter()
        .take(10)
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect()
}

pub fn run(opts: Options) -> Result<Exit> {
    let mut raw = Vec::new();
    let read = std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut raw);
    if let Err(e) = read {
        return refuse(&format!("cannot read the hook input: {e}"));
    }
    if raw.len() as u64 > MAX_INPUT {
        return refuse(&format!(
            "the hook input is larger than {} MiB: refused",
            MAX_INPUT / (1024 * 1024)
        ));
    }
    let input: Value = match serde_json::from_slice(&raw) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return refuse("the hook input is not a JSON object"),
        Err(e) => return refuse(&format!("the hook input is not JSON ({e})")),
    };
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    let event = field("hook_event_name").unwrap_or("");
    match event {
        "PreToolUse" => pre_tool_use(&input, &opts),
        "PostToolUse" => post_tool_use(&input, &opts),
        "" => refuse("the hook input has no hook_event_name"),
        other => refuse(&format!(
            "unknown hook event `{other}`: gate handles PreToolUse and PostToolUse (register it only for those)"
        )),
    }
}

fn pre_tool_use(input: &Value, opts: &Options) -> Result<Exit> {
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    let Some(tool) = field("tool_name") else {
        return refuse("the hook input has no tool_name");
    };
    if tool != "Bash" {
        // Not a shell command: no opinion, Claude Code's own permissions apply.
        return Ok(Exit::Success);
    }
    let Some(script) = input.pointer("/tool_input/command").and_then(Value::as_str) else {
        return refuse("the Bash tool input has no command");
    };
    let session = field("session_id").unwrap_or("");
    let tool_use = field("tool_use_id").unwrap_or("");
    let description = input
        .pointer("/tool_input/description")
        .and_then(Value::as_str);

    let mut policy = match prepare::load_policy(opts.policy.clone()) {
        Ok(p) => p,
        Err(e) => return refuse(&format!("the policy is invalid, nothing may run:\n{e}")),
    };
    let redactor = Redactor::new(&policy.redact)
        .map_err(|e| Error::Config(format!("[redact] patterns: {e}")))?;
    let mut ctx = Context::detect(opts.agent.as_deref());
    if ctx.requester.agent.is_none() {
        ctx.requester.agent = Some("claude-code".into());
    }
    if let Some(cwd) = field("cwd").filter(|c| !c.is_empty()) {
        ctx.cwd = cwd.to_string();
    }
    let analysis = prepare::analyse_script(&policy, script);
    let verdict = match prepare::decide(&mut policy, &ctx, &analysis) {
        Ok(v) => v,
        Err(e) => return refuse(&format!("the policy is invalid, nothing may run:\n{e}")),
    };

    let id = if tool_use.is_empty() {
        crate::commands::run::new_request_id()
    } else {
        request_id(session, tool_use)
    };
    let ledger_path = match crate::dirs::ledger_path() {
        Some(p) => p,
        None => return refuse("cannot find the ledger: set HOME, XDG_DATA_HOME or GATE_LEDGER"),
    };
    // Allowed and denied calls go to the intake (see `ledger::intake`): one line, no SQLite.
    // The first call ever, and a call that finds the intake long, open the ledger itself.
    let quick = matches!(verdict.decision, Decision::Allow | Decision::Deny)
        && ledger_path.exists()
        && intake::waiting_bytes(&ledger_path) < intake::FOLD_AT
        && !intake::blocked(&ledger_path);
    let mut ledger = if quick {
        None
    } else {
        match store::open(&ledger_path, policy.sync) {
            Ok(mut l) => {
                crate::commands::checkpoints::post_checkpoints_from(
                    &mut *l,
                    &policy,
                    opts.policy.clone(),
                );
                Some(l)
            }
            Err(e) => return refuse(&format!("{e}; nothing may run unrecorded")),
        }
    };
    let key = match keyed::load_key(&ledger_path) {
        Ok(k) => k,
        Err(e) => return refuse(&format!("{e}; nothing may run unrecorded")),
    };
    let argv: Vec<std::ffi::OsString> = vec!["/bin/sh".into(), "-c".into(), script.into()];
    let hmac = keyed::argv_hmac_with(&key, &argv);
    let masked_script = redactor.text(script);
    let masked_command = vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        masked_script.clone(),
    ];
    let reason = description.map(|d| redactor.text(d));
    let request = events::request(&events::RequestData {
        requester: &ctx.requester,
        cwd: &ctx.cwd,
        command: &masked_command,
        script: Some(&masked_script),
        reason: reason.as_deref(),
        ci: ctx.ci.as_ref(),
        argv_hmac: &hmac,
        policy_sources: &policy.sources,
        extra: Some(
            json!({"adapter": "claude-code", "session_id": session, "tool_use_id": tool_use}),
        ),
    });
    let decision = events::decision(&verdict, &redactor);
    // Claude Code runs the command itself: an allowed request is `started` when gate answers.
    let batch = events::opening(&id, request, decision, verdict.decision == Decision::Allow);
    let rules: Vec<String> = verdict
        .deciding()
        .map(|h| match &h.message {
            Some(m) => format!("{} ({m})", h.rule),
            None => h.rule.clone(),
        })
        .collect();
    let why = if rules.is_empty() {
        verdict
            .opaque
            .first()
            .map(|o| format!("gate cannot see what runs: {}", o.reason))
            .unwrap_or_default()
    } else {
        rules.join("; ")
    };
    // The answer to an allowed or denied call, once it is recorded.
    let answer_decided = || {
        if verdict.decision == Decision::Allow {
            answer("allow", &format!("gate: allowed by policy (request {id})"));
        } else {
            answer(
                "deny",
                &format!("gate denied this command (request {id}): {why}"),
            );
        }
    };
    let Some(ledger) = &mut ledger else {
        if let Err(e) = intake::append(&ledger_path, &key, &batch, policy.sync) {
            return refuse(&format!("{e}; nothing may run unrecorded"));
        }
        answer_decided();
        return Ok(Exit::Success);
    };
    match verdict.decision {
        Decision::Allow | Decision::Deny => {
            if let Err(e) = ledger.append(&batch) {
                return refuse(&format!("{e}; nothing may run unrecorded"));
            }
            answer_decided();
            Ok(Exit::Success)
        }
        Decision::Ask => {
            if let Err(e) = ledger.append(&batch) {
                return refuse(&format!("{e}; nothing may run unrecorded"));
            }
            match opts.ask {
                HookAsk::Claude => {
                    ledger.append(&[NewEvent {
                        request: &id,
                        kind: "verdict",
                        data: json!({"outcome": "handed-over", "to": "claude-code"}),
                    }])?;
                    answer(
                        "ask",
                        &format!("gate: needs approval (request {id}): {why}"),
                    );
                    Ok(Exit::Success)
                }
                HookAsk::Gate => {
                    let run_opts = RunOptions {
                        reason: reason.clone(),
                        agent: ctx.requester.agent.clone(),
                        ..RunOptions::default()
                    };
                    let display = masked_script.clone();
                    let terms = Decider::new(&policy).ask_terms(&verdict);
                    let outcome = seek_approval(
                        &policy,
                        &ctx,
                        &verdict,
                        &terms,
                        &run_opts,
                        None,
                        &id,
                        &display,
                        &redactor,
                        &mut **ledger,
                    );
                    match outcome {
                        Ok(crate::approve::Outcome::Approved { by, channel }) => {
                            ledger.append(&[NewEvent {
                                request: &id,
                                kind: "started",
                                data: json!({"by": "claude-code"}),
                            }])?;
                            answer(
                                "allow",
                                &format!(
                                    "gate: approved in {channel} by {} (request {id})",
                                    by.join(", ")
                                ),
                            );
                            Ok(Exit::Success)
                        }
                        Ok(other) => {
                            answer(
                                "deny",
                                &format!("gate: {} (request {id}); {why}", other.describe()),
                            );
                            Ok(Exit::Success)
                        }
                        Err(e) => refuse(&format!("approval could not be asked: {e}")),
                    }
                }
            }
        }
    }
}

fn post_tool_use(input: &Value, opts: &Options) -> Result<Exit> {
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    if field("tool_name") != Some("Bash") {
        return Ok(Exit::Success);
    }
    let (Some(session), Some(tool_use)) = (field("session_id"), field("tool_use_id")) else {
        eprintln!("gate: PostToolUse input without session_id/tool_use_id: outcome not recorded");
        return Ok(Exit::Success);
    };
    let id = request_id(session, tool_use);
    let path =
        crate::dirs::ledger_path().ok_or_else(|| Error::Config("cannot find the ledger".into()))?;
    // Opening chains what PreToolUse left in the intake, this call's request among it.
    let mut ledger = store::open(&path, crate::policy::SyncMode::Normal)?;
    crate::commands::checkpoints::post_checkpoints_lazily(&mut *ledger, opts.policy.clone());
    if ledger.events_of(&id)?.is_empty() {
        eprintln!("gate: no PreToolUse request for tool use {tool_use}: outcome not recorded");
        return Ok(Exit::Success);
    }
    let resp = input.get("tool_response").cloned().unwrap_or(Value::Null);
    let exit_code = ["exit_code", "exitCode", "returnCode"]
        .iter()
        .find_map(|k| resp.get(k).and_then(Value::as_i64));
    let interrupted = resp
        .get("interrupted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Output is not stored: it may hold secrets. Its size says enough for an audit trail.
    let len = |k: &str| resp.get(k).and_then(Value::as_str).map(str::len);
    ledger.append(&[NewEvent {
        request: &id,
        kind: "finished",
        data: json!({
            "exit_code": exit_code,
            "interrupted": interrupted,
            "stdout_bytes": len("stdout"),
            "stderr_bytes": len("stderr"),
            "by": "claude-code",
        }),
    }])?;
    Ok(Exit::Success)
}
