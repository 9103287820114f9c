//! `gate check --json` and the decision line of `gate --json -- CMD`.

use schemars::JsonSchema;
use serde::Serialize;

use super::Shape;
use crate::decide::{RuleHit, Verdict};
use crate::policy::{Decision, Risk};

/// What the policy decides about a command (`gate check --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Check {
    /// The decision over every command found: the strictest of the rules that matched, else the
    /// policy's default (exit status 0 allow, 1 ask, 2 deny).
    pub decision: Decision,
    /// The highest risk among the rules that made the decision.
    pub risk: Risk,
    /// Every rule that matched a command.
    pub rules: Vec<RuleMatch>,
    /// What gate could not resolve statically (decided with `defaults.opaque`).
    pub opaque: Vec<OpaquePart>,
    /// Every simple command that would run, after unwrapping.
    pub commands: Vec<Found>,
}

impl Shape for Check {
    const SCHEMA: &'static str = "gate.check/1";
}

/// One rule that matched one command.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuleMatch {
    /// The rule's id.
    pub rule: String,
    /// The rule's decision.
    pub decision: Decision,
    /// The rule's `message`; null when it has none.
    pub message: Option<String>,
    pub risk: Risk,
    /// The index in `commands` of the command it matched.
    pub command: usize,
    /// It matched only because an argument gate could not resolve stood in for a word or flag.
    pub unresolved: bool,
}

impl From<&RuleHit> for RuleMatch {
    fn from(h: &RuleHit) -> Self {
        RuleMatch {
            rule: h.rule.clone(),
            decision: h.decision,
            message: h.message.clone(),
            risk: h.risk,
            command: h.command,
            unresolved: h.unresolved,
        }
    }
}

/// Something gate cannot resolve statically.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OpaquePart {
    /// Why, in a few words (e.g. "command word is an expansion").
    pub reason: String,
    /// The source text concerned, cut to about 120 characters.
    pub snippet: String,
}

/// A simple command that would run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Found {
    /// Its words, quotes and escapes removed; `argv[0]` is the program as written.
    pub argv: Vec<String>,
    /// The wrappers peeled to reach it, outermost first (`["sudo", "bash -c"]`).
    pub via: Vec<String>,
}

impl From<&Verdict> for Check {
    fn from(v: &Verdict) -> Self {
        Check {
            decision: v.decision,
            risk: v.risk,
            rules: v.hits.iter().map(RuleMatch::from).collect(),
            opaque: v
                .opaque
                .iter()
                .map(|o| OpaquePart {
                    reason: o.reason.clone(),
                    snippet: o.snippet.clone(),
                })
                .collect(),
            commands: v
                .commands
                .iter()
                .map(|c| Found {
                    argv: c.words.iter().map(|w| w.text.clone()).collect(),
                    via: c.via.clone(),
                })
                .collect(),
        }
    }
}

/// The line `gate --json -- CMD` prints on stderr once the policy has decided, before anything
/// runs or is asked: `gate check --json`'s object with the request's id and command.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Run {
    #[serde(flatten)]
    pub check: Check,
    /// The request's id in the ledger (`gate show ID`).
    pub id: String,
    /// The command as recorded: the argv, secrets masked.
    pub command: Vec<String>,
    /// The version of the signed fleet policy it was decided under (`gate policy push`); null
    /// without one.
    pub policy_version: Option<i64>,
}

impl Shape for Run {
    const SCHEMA: &'static str = "gate.run/1";
}
