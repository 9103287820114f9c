//! The kinds of events and the data each one records, built in one place so that every writer
//! (the request pipeline, the hooks, the approval coordinator, `gate approve`, the bulk
//! generator in examples/) records the same shapes. Only plain data comes in: the ledger knows
//! nothing of verdicts, processes or masking (callers mask what they pass).

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::NewEvent;
use crate::context::{Ci, Requester};
use crate::policy::{Decision, Risk};

/// What an event is. Stored as its [`Kind::as_str`] name; a stored event of a kind this gate
/// does not know (a newer gate's, or a row written by hand) keeps its text in
/// [`super::Event::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// What was asked: requester, command, where, why.
    Request,
    /// What the policy decided, by which rules.
    Decision,
    /// The command was started (by gate, or by the agent that asked).
    Started,
    /// How the command ended.
    Finished,
    /// The command could not be started.
    Error,
    /// An approval was asked on these channels.
    ApprovalRequested,
    /// A channel could not be used.
    ChannelFailed,
    /// A person's answer on a channel, and whether it counted.
    Vote,
    /// `gate approve` / `gate deny` from another terminal.
    LocalVote,
    /// A Slack click for this request that reached another waiting gate process's Socket Mode
    /// connection, recorded there for this request's process to count.
    SlackVote,
    /// How the request ended: approved, denied, expired, cancelled, unavailable.
    Verdict,
    /// An earlier approval of the same command line was reused.
    Reused,
    /// A hook's outcome for a request the ledger does not hold.
    OrphanOutcome,
    /// The ledger's mark in the hook's intake moved.
    IntakeChained,
    /// An intake line that failed its MAC, kept as found.
    IntakeRejected,
    /// An intake line cut short.
    IntakeIncomplete,
    /// The intake was erased or does not start where the ledger left it.
    IntakeErased,
    /// Lines missing from the intake.
    IntakeGap,
    /// From here on votes and verdicts are sealed.
    SealsBegin,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Request,
        Kind::Decision,
        Kind::Started,
        Kind::Finished,
        Kind::Error,
        Kind::ApprovalRequested,
        Kind::ChannelFailed,
        Kind::Vote,
        Kind::LocalVote,
        Kind::SlackVote,
        Kind::Verdict,
        Kind::Reused,
        Kind::OrphanOutcome,
        Kind::IntakeChained,
        Kind::IntakeRejected,
        Kind::IntakeIncomplete,
        Kind::IntakeErased,
        Kind::IntakeGap,
        Kind::SealsBegin,
    ];

    /// The name stored in the ledger (SPEC §8).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Decision => "decision",
            Kind::Started => "started",
            Kind::Finished => "finished",
            Kind::Error => "error",
            Kind::ApprovalRequested => "approval_requested",
            Kind::ChannelFailed => "channel_failed",
            Kind::Vote => "vote",
            Kind::LocalVote => "local_vote",
            Kind::SlackVote => "slack_vote",
            Kind::Verdict => "verdict",
            Kind::Reused => "reused",
            Kind::OrphanOutcome => "orphan_outcome",
            Kind::IntakeChained => "intake_chained",
            Kind::IntakeRejected => "intake_rejected",
            Kind::IntakeIncomplete => "intake_incomplete",
            Kind::IntakeErased => "intake_erased",
            Kind::IntakeGap => "intake_gap",
            Kind::SealsBegin => "seals_begin",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<Kind> for str {
    fn eq(&self, k: &Kind) -> bool {
        self == k.as_str()
    }
}

impl PartialEq<Kind> for String {
    fn eq(&self, k: &Kind) -> bool {
        self.as_str() == k.as_str()
    }
}

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
    /// The SHA-256 of the policy in force (its layers' bytes).
    pub policy_digest: &'a str,
    /// The version of the signed fleet policy in force, if any.
    pub policy_version: Option<i64>,
    /// Built-in protections the system policy turned off (recorded with every request).
    pub protect_except: &'a [String],
    /// Pack rules the policy switched off (`[packs] disable`).
    pub packs_disabled: &'a [&'a str],
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
        "policy_digest": d.policy_digest,
    });
    if let Some(version) = d.policy_version {
        v["policy_version"] = json!(version);
    }
    if let Some(extra) = &d.extra {
        v["via"] = extra.clone();
    }
    if !d.protect_except.is_empty() {
        v["protect_except"] = json!(d.protect_except);
    }
    if !d.packs_disabled.is_empty() {
        v["packs_disabled"] = json!(d.packs_disabled);
    }
    v
}

/// What a `decision` event records: the decision, its risk, the rules that matched (as their
/// JSON) and what could not be seen (reason, masked snippet).
pub struct DecisionData<'a> {
    pub decision: Decision,
    pub risk: Risk,
    pub rules: Value,
    pub opaque: &'a [(String, String)],
}

pub fn decision(d: &DecisionData<'_>) -> Value {
    json!({
        "decision": d.decision,
        "risk": d.risk,
        "rules": d.rules,
        "opaque": d
            .opaque
            .iter()
            .map(|(reason, snippet)| json!({"reason": reason, "snippet": snippet}))
            .collect::<Vec<_>>(),
    })
}

/// `started` by this gate process, which runs the command.
pub fn started() -> Value {
    json!({ "gate_pid": std::process::id() })
}

/// `started` by an agent that runs the command itself once gate answers.
pub fn started_by(agent: &str) -> Value {
    json!({ "by": agent })
}

/// How a command gate ran ended.
pub fn finished(exit_code: Option<i32>, signal: Option<i32>, duration: Duration) -> Value {
    json!({
        "exit_code": exit_code,
        "signal": signal,
        "duration_ms": duration.as_millis() as u64,
    })
}

/// How a command an agent ran ended, as its post-tool hook tells (output sizes only: output
/// may hold secrets).
pub struct ToolOutcome<'a> {
    pub exit_code: Option<i64>,
    pub interrupted: bool,
    pub stdout_bytes: Option<usize>,
    pub stderr_bytes: Option<usize>,
    /// How long the agent says the call took.
    pub duration_ms: Option<u64>,
    /// What the agent reported of a failure it gave no exit code for (masked, short).
    pub error: Option<&'a str>,
    pub by: &'a str,
}

pub fn tool_finished(o: &ToolOutcome<'_>) -> Value {
    let mut v = json!({
        "exit_code": o.exit_code,
        "interrupted": o.interrupted,
        "stdout_bytes": o.stdout_bytes,
        "stderr_bytes": o.stderr_bytes,
        "by": o.by,
    });
    if let Some(ms) = o.duration_ms {
        v["duration_ms"] = json!(ms);
    }
    if let Some(e) = o.error {
        v["error"] = json!(e);
    }
    v
}

/// The command could not be started.
pub fn error(message: &str, exit_code: i32) -> Value {
    json!({"message": message, "exit_code": exit_code})
}

/// How a request ended.
pub enum Verdict<'a> {
    Approved {
        by: &'a [String],
        channel: &'a str,
    },
    /// Approved by reusing `from`'s approval.
    Reused {
        by: &'a [String],
        from: &'a str,
    },
    Denied {
        by: &'a str,
        channel: &'a str,
    },
    /// Denied by the policy before anyone was asked.
    DeniedByPolicy {
        why: &'a str,
    },
    Expired,
    Cancelled {
        by: &'a str,
    },
    Unavailable {
        failures: &'a [String],
    },
    /// Handed to the agent, which asks its own user.
    HandedOver {
        to: &'a str,
    },
}

pub fn verdict(v: &Verdict<'_>) -> Value {
    match v {
        Verdict::Approved { by, channel } => {
            json!({"outcome": "approved", "by": by, "channel": channel})
        }
        Verdict::Reused { by, from } => {
            json!({"outcome": "approved", "by": by, "channel": "reuse", "from": from})
        }
        Verdict::Denied { by, channel } => {
            json!({"outcome": "denied", "by": by, "channel": channel})
        }
        Verdict::DeniedByPolicy { why } => {
            json!({"outcome": "denied", "by": "policy", "why": why})
        }
        Verdict::Expired => json!({"outcome": "expired"}),
        Verdict::Cancelled { by } => json!({"outcome": "cancelled", "by": by}),
        Verdict::Unavailable { failures } => {
            json!({"outcome": "unavailable", "failures": failures})
        }
        Verdict::HandedOver { to } => json!({"outcome": "handed-over", "to": to}),
    }
}

/// An earlier approval reused.
pub fn reused(from: &str, by: &[String]) -> Value {
    json!({"from": from, "approver": by.join(", ")})
}

/// A vote on a channel (`refused`: why it does not count).
pub struct VoteData<'a> {
    pub approver: &'a str,
    /// Other identities the channel vouches for; `None` records none (a refusal by the channel).
    pub aliases: Option<&'a [String]>,
    pub channel: &'a str,
    pub approve: bool,
    pub comment: Option<&'a str>,
    pub refused: Option<&'a str>,
}

pub fn vote(v: &VoteData<'_>) -> Value {
    let mut out = json!({
        "approver": v.approver,
        "channel": v.channel,
        "verdict": if v.approve { "approve" } else { "deny" },
        "comment": v.comment,
        "accepted": v.refused.is_none(),
        "refused": v.refused,
    });
    if let Some(aliases) = v.aliases {
        out["aliases"] = json!(aliases);
    }
    out
}

/// What a `slack_vote` records: a button click as Slack delivered it, and where it came from.
pub struct SlackVoteData<'a> {
    /// The clicking Slack user (`U…`) and the workspace the click came from.
    pub user: &'a str,
    pub team: &'a str,
    pub approve: bool,
    /// Slack's own stamp of the click, which tells one click delivered twice from two clicks.
    pub action_ts: &'a str,
    /// The Slack Web API the relaying process talks to, and the card that was clicked.
    pub api_base: &'a str,
    pub channel: &'a str,
    pub message_ts: &'a str,
    /// The process that received and recorded the click.
    pub relayed_by: u32,
}

pub fn slack_vote(v: &SlackVoteData<'_>) -> Value {
    json!({
        "user": v.user,
        "team": v.team,
        "verdict": if v.approve { "approve" } else { "deny" },
        "action_ts": v.action_ts,
        "api_base": v.api_base,
        "channel": v.channel,
        "message_ts": v.message_ts,
        "relayed_by": v.relayed_by,
    })
}

/// A channel could not be used.
pub fn channel_failed(channel: &str, error: &str) -> Value {
    json!({"channel": channel, "error": error})
}

/// A hook's outcome for a request the ledger does not hold.
pub fn orphan_outcome(session: &str, tool_use: &str, by: &str) -> Value {
    json!({"tool_use_id": tool_use, "session_id": session, "by": by})
}

/// The events every request starts with: what was asked and what was decided. An allowed
/// request also gets `started` (`started` data), so one commit precedes the command.
pub fn opening<'a>(
    id: &'a str,
    request: Value,
    decision: Value,
    started: Option<Value>,
) -> Vec<NewEvent<'a>> {
    let mut batch = vec![
        NewEvent::new(id, Kind::Request, request),
        NewEvent::new(id, Kind::Decision, decision),
    ];
    if let Some(data) = started {
        batch.push(NewEvent::new(id, Kind::Started, data));
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_by_its_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert!(*k.as_str() == k);
        }
        assert_eq!(Kind::parse("nonsense"), None);
    }

    #[test]
    fn a_vote_refused_by_a_channel_records_no_aliases() {
        let v = vote(&VoteData {
            approver: "bob",
            aliases: None,
            channel: "slack",
            approve: true,
            comment: None,
            refused: Some("a bot"),
        });
        assert_eq!(v["accepted"], false);
        assert!(v.get("aliases").is_none());
    }
}
