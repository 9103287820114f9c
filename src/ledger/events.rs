//! The data of each event kind, built in one place so that every writer (the run pipeline,
//! the hook, the bulk generator in examples/) records the same shapes.

use serde_json::{Value, json};

use super::NewEvent;
use crate::context::{Ci, Requester};
use crate::decide::Verdict;
use crate::exec::Outcome;
use crate::redact::Redactor;

/// What a `request` event records. `command` and `script` must already be masked.
pub struct RequestData<'a> {
    pub requester: &'a Requester,
    pub cwd: &'a str,
    pub command: &'a [String],
    pub script: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub ci: Option<&'a Ci>,
    pub argv_hmac: &'a str,
    pub policy_sources: &'a [String],
    /// Built-in protections the system policy turned off (recorded with every request).
    pub protect_except: &'a [String],
    /// Extra context from an adapter (e.g. the Claude Code hook's session and tool-use ids).
    pub extra: Option<Value>,
}

pub fn request(d: &RequestData<'_>) -> Value {
    let mut v = json!({
        "requester": d.requester,
        "cwd": d.cwd,
        "command": d.command,
        "script": d.script,
        "reason": d.reason,
        "ci": d.ci,
        "pid": std::process::id(),
        "argv_hmac": d.argv_hmac,
        "policy": d.policy_sources,
    });
    if let Some(extra) = &d.extra {
        v["via"] = extra.clone();
    }
    if !d.protect_except.is_empty() {
        v["protect_except"] = json!(d.protect_except);
    }
    v
}

pub fn decision(verdict: &Verdict, redactor: &Redactor) -> Value {
    json!({
        "decision": verdict.decision,
        "risk": verdict.risk,
        "rules": verdict.hits,
        "opaque": verdict
            .opaque
            .iter()
            .map(|o| json!({"reason": o.reason, "snippet": redactor.text(&o.snippet)}))
            .collect::<Vec<_>>(),
    })
}

pub fn started() -> Value {
    json!({ "gate_pid": std::process::id() })
}

pub fn finished(outcome: &Outcome) -> Value {
    json!({
        "exit_code": outcome.exit_code,
        "signal": outcome.signal,
        "duration_ms": outcome.duration.as_millis() as u64,
    })
}

/// The events every request starts with: what was asked and what was decided. An allowed
/// request also gets `started`, so one commit precedes the command.
pub fn opening<'a>(
    id: &'a str,
    request: Value,
    decision: Value,
    allowed: bool,
) -> Vec<NewEvent<'a>> {
    let mut batch = vec![
        NewEvent {
            request: id,
            kind: "request",
            data: request,
        },
        NewEvent {
            request: id,
            kind: "decision",
            data: decision,
        },
    ];
    if allowed {
        batch.push(NewEvent {
            request: id,
            kind: "started",
            data: started(),
        });
    }
    batch
}
