//! The reports: `gate verify --json`, `gate doctor --json`, `gate checkpoints post --json`.

use schemars::JsonSchema;
use serde::Serialize;

use super::Shape;
use crate::ledger::VerifyReport;

/// The ledger's hash chain, checked (`gate verify --json`; exit status 1 when `ok` is false).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Verify {
    /// Nothing was changed, removed, inserted or reordered.
    pub ok: bool,
    /// How many events were checked (0 when there is no ledger yet).
    pub events: u64,
    /// The newest event's hash, hex (64 zeros for an empty ledger).
    pub head: String,
    /// The first entry that does not check out; null when `ok`.
    pub first_broken: Option<Broken>,
    /// Votes and verdicts whose seal could not be checked (the ledger key cannot be read).
    pub seals_unchecked: u64,
}

impl Shape for Verify {
    const SCHEMA: &'static str = "gate.verify/1";
}

/// Where the chain breaks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Broken {
    /// The event's seq (-1 for a problem with the checkpoints kept beside the ledger).
    pub seq: i64,
    /// Its request id (empty for events that belong to none).
    pub request: String,
    /// What is wrong, in words.
    pub problem: String,
}

impl From<&crate::ledger::chain::Broken> for Broken {
    fn from(b: &crate::ledger::chain::Broken) -> Self {
        Broken {
            seq: b.seq,
            request: b.request.clone(),
            problem: b.problem.clone(),
        }
    }
}

impl Verify {
    /// No ledger yet: an empty chain, intact.
    pub fn empty() -> Self {
        Verify {
            ok: true,
            events: 0,
            head: hex::encode([0u8; 32]),
            first_broken: None,
            seals_unchecked: 0,
        }
    }
}

impl From<&VerifyReport> for Verify {
    fn from(r: &VerifyReport) -> Self {
        Verify {
            ok: r.ok,
            events: r.events,
            head: r.head.clone(),
            first_broken: r.first_broken.as_ref().map(|b| Broken {
                seq: b.seq,
                request: b.request.clone(),
                problem: b.problem.clone(),
            }),
            seals_unchecked: r.seals_unchecked,
        }
    }
}

/// Can gate protect this user right now (`gate doctor --json`; exit status 1 when `ok` is
/// false).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Doctor {
    /// No check failed.
    pub ok: bool,
    /// Every check, by section: gate, policy, ledger, shims, slack, webhook, environment, agents.
    pub checks: Vec<DoctorCheck>,
}

impl Shape for Doctor {
    const SCHEMA: &'static str = "gate.doctor/1";
}

/// One check of `gate doctor`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DoctorCheck {
    pub section: String,
    pub name: String,
    pub status: DoctorStatus,
    /// What was seen.
    pub detail: String,
    /// What to do about it; null when nothing.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DoctorStatus {
    Ok,
    Warn,
    Fail,
}

/// What `gate checkpoints post --json` sent (exit status 69 when `ok` is false).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckpointsPost {
    /// One entry per destination that could be reached.
    pub posted: Vec<Posted>,
    /// `DESTINATION: what went wrong`, one per destination that could not be used.
    pub failures: Vec<String>,
    /// Nothing failed.
    pub ok: bool,
}

impl Shape for CheckpointsPost {
    const SCHEMA: &'static str = "gate.checkpoints.post/1";
}

/// What one destination was sent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Posted {
    /// `slack` or `webhook`.
    pub destination: String,
    /// Where it went (the Slack channel, the webhook's URL); null when nothing was new.
    pub to: Option<String>,
    /// How many checkpoints were sent now.
    pub sent: usize,
    /// The seq of the newest checkpoint it has (0: none yet).
    pub upto: i64,
}
