//! A request as the ledger tells it (SPEC §8): `gate log --json` and `gate export` lines, and
//! with more, `gate show --json` and `gate pending --json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Shape;
use crate::ledger::{Event, RequestRecord, Status};

/// One request: what was asked, decided, approved, and what came of it (`gate log --json`,
/// `gate export --format jsonl`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Request {
    /// The request's id (`gate show ID`).
    pub id: String,
    /// When it was asked (RFC 3339, UTC).
    pub time: String,
    pub requester: Requester,
    /// The working directory it was asked from.
    pub cwd: String,
    /// The argv, secrets masked.
    pub command: Vec<String>,
    /// The shell script, secrets masked, for `gate shell -c` and the hooks; null for an argv.
    pub script: Option<String>,
    /// `allow`, `ask` or `deny` (empty when the ledger holds no decision for it).
    pub decision: String,
    /// The rules that matched, as recorded with the decision.
    pub rules: Vec<RecordedRule>,
    /// The votes that counted and the approvals reused, oldest first.
    pub approvals: Vec<Approval>,
    pub status: RequestStatus,
    /// The command's exit code; null when it did not run to an exit (a signal, not run, still
    /// running).
    pub exit_code: Option<i64>,
    /// The signal that ended the command; null when none did.
    pub signal: Option<i64>,
    /// How long the command ran; null when it did not run (or an agent did not say).
    pub duration_ms: Option<i64>,
    /// The requester's `--reason`; null when none was given.
    pub reason: Option<String>,
    /// The CI job it came from; null outside CI.
    pub ci: Option<Ci>,
    /// The risk shown to approvers (`low`, `medium`, `high`, `critical`); null when the ledger
    /// holds none.
    pub risk: Option<String>,
    /// A keyed hash of the exact argv (`gate verify-command ID -- ARGV`).
    pub argv_hmac: Option<String>,
    /// The SHA-256 of the policy it was decided with; null in ledgers older than that record.
    pub policy_digest: Option<String>,
    /// The fleet's host stream (the host's PostgreSQL role) that holds it (or where it waits),
    /// read from the fleet; null from a host's own ledger.
    pub stream: Option<String>,
    /// The version of the signed fleet policy it was decided under (`gate policy push`); null
    /// without a fleet policy.
    pub policy_version: Option<i64>,
}

impl Shape for Request {
    const SCHEMA: &'static str = "gate.request/1";
}

/// Who asked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Requester {
    /// The OS user.
    pub user: String,
    /// The agent or job name (`--as`, `GATE_AGENT`, detected); null for a person.
    pub agent: Option<String>,
    pub host: String,
    /// The OS user's uid; null when the ledger holds none.
    pub uid: Option<u64>,
    /// The known agent process gate ran under, whatever the environment said (`name`, `pid`,
    /// `start_time`, `program`); null when none.
    #[schemars(schema_with = "super::stored_object")]
    pub agent_process: Option<Value>,
    /// Whatever else the ledger stored about the requester.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// The CI job a request came from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Ci {
    /// `github-actions`, `gitlab-ci`, `buildkite`, `jenkins`, `circleci`, or `ci`.
    pub provider: String,
    pub job_url: Option<String>,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
    pub actor: Option<String>,
    /// Whatever else the ledger stored about the job.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A rule that matched, as recorded with the decision.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RecordedRule {
    /// The rule's id.
    pub rule: String,
    /// `allow`, `ask` or `deny`.
    pub decision: String,
    /// The rule's `message`; null when it has none.
    pub message: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub risk: String,
    /// The index of the command it matched among the commands found (see `gate check --json`);
    /// null when the ledger holds none.
    pub command: Option<u64>,
    /// It matched only because an argument gate could not resolve stood in for a word or flag.
    pub unresolved: bool,
    /// Whatever else the ledger stored about the match.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// An approval (or denial) that counted.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Approval {
    /// Who: an OS user, `slack:UXXXX`, the webhook's approver.
    pub approver: String,
    /// `terminal`, `local`, `slack`, `webhook`, or `reuse` (an earlier approval reused).
    pub channel: String,
    /// `approve` or `deny`.
    pub verdict: String,
    pub time: String,
    /// The approver's comment; null when none.
    pub comment: Option<String>,
}

/// What became of a request.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    Ran,
    Denied,
    Expired,
    Cancelled,
    Error,
    Running,
    Unknown,
}

impl From<Status> for RequestStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Ran => RequestStatus::Ran,
            Status::Denied => RequestStatus::Denied,
            Status::Expired => RequestStatus::Expired,
            Status::Cancelled => RequestStatus::Cancelled,
            Status::Error => RequestStatus::Error,
            Status::Running => RequestStatus::Running,
            Status::Unknown => RequestStatus::Unknown,
        }
    }
}

/// The object `v` as a map to take known keys from (an empty one for anything else).
fn fields(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Take `key` out as text (a non-text value stays among the others).
fn take_str(m: &mut Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key) {
        Some(Value::String(_)) => m.remove(key).and_then(|v| v.as_str().map(str::to_string)),
        Some(Value::Null) => {
            m.remove(key);
            None
        }
        _ => None,
    }
}

fn take(m: &mut Map<String, Value>, key: &str) -> Option<Value> {
    m.remove(key).filter(|v| !v.is_null())
}

fn rest(m: Map<String, Value>) -> BTreeMap<String, Value> {
    m.into_iter().collect()
}

impl Requester {
    fn of(v: &Value) -> Self {
        let mut m = fields(v);
        Requester {
            user: take_str(&mut m, "user").unwrap_or_default(),
            agent: take_str(&mut m, "agent"),
            host: take_str(&mut m, "host").unwrap_or_default(),
            uid: match m.get("uid").and_then(Value::as_u64) {
                Some(uid) => {
                    m.remove("uid");
                    Some(uid)
                }
                None => None,
            },
            agent_process: take(&mut m, "agent_process"),
            other: rest(m),
        }
    }
}

impl Ci {
    fn of(v: &Value) -> Self {
        let mut m = fields(v);
        Ci {
            provider: take_str(&mut m, "provider").unwrap_or_default(),
            job_url: take_str(&mut m, "job_url"),
            repository: take_str(&mut m, "repository"),
            git_ref: take_str(&mut m, "git_ref"),
            actor: take_str(&mut m, "actor"),
            other: rest(m),
        }
    }
}

impl RecordedRule {
    fn of(v: &Value) -> Self {
        let mut m = fields(v);
        RecordedRule {
            rule: take_str(&mut m, "rule").unwrap_or_default(),
            decision: take_str(&mut m, "decision").unwrap_or_default(),
            message: take_str(&mut m, "message"),
            risk: take_str(&mut m, "risk").unwrap_or_default(),
            command: match m.get("command").and_then(Value::as_u64) {
                Some(i) => {
                    m.remove("command");
                    Some(i)
                }
                None => None,
            },
            unresolved: match m.get("unresolved").and_then(Value::as_bool) {
                Some(b) => {
                    m.remove("unresolved");
                    b
                }
                None => false,
            },
            other: rest(m),
        }
    }
}

impl From<&RequestRecord> for Request {
    fn from(r: &RequestRecord) -> Self {
        Request {
            id: r.id.clone(),
            time: r.time.clone(),
            requester: Requester::of(&r.requester),
            cwd: r.cwd.clone(),
            command: r.command.clone(),
            script: r.script.clone(),
            decision: r.decision.clone(),
            rules: r.rules.iter().map(RecordedRule::of).collect(),
            approvals: r
                .approvals
                .iter()
                .map(|a| Approval {
                    approver: a.approver.clone(),
                    channel: a.channel.clone(),
                    verdict: a.verdict.clone(),
                    time: a.time.clone(),
                    comment: a.comment.clone(),
                })
                .collect(),
            status: r.status.into(),
            exit_code: r.exit_code,
            signal: r.signal,
            duration_ms: r.duration_ms,
            reason: r.reason.clone(),
            ci: r.ci.as_ref().filter(|c| c.is_object()).map(Ci::of),
            risk: r.risk.clone(),
            argv_hmac: r.argv_hmac.clone(),
            policy_digest: r.policy_digest.clone(),
            stream: None,
            policy_version: r.policy_version,
        }
    }
}

impl Request {
    /// The request as read from the fleet's host stream `stream`.
    pub fn in_stream(mut self, stream: Option<&str>) -> Self {
        self.stream = stream.map(str::to_string);
        self
    }
}

/// One request and every event of it, oldest first (`gate show ID --json`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Show {
    #[serde(flatten)]
    pub request: Request,
    pub events: Vec<EventRecord>,
}

impl Shape for Show {
    const SCHEMA: &'static str = "gate.show/1";
}

/// One event of the ledger, as stored.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventRecord {
    /// Its place in the hash chain.
    pub seq: i64,
    /// The request it belongs to (empty for the events about the hook's intake).
    pub request: String,
    pub time: String,
    /// `request`, `decision`, `started`, `finished`, `error`, `approval_requested`,
    /// `channel_failed`, `vote`, `local_vote`, `verdict`, `reused`, … (README, "The ledger").
    pub kind: String,
    /// The event's data as stored: an object whose keys depend on `kind` (null when the
    /// stored text is not JSON).
    #[schemars(schema_with = "super::stored_object")]
    pub data: Value,
    /// SHA-256(previous hash ‖ canonical event), hex.
    pub hash: String,
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        EventRecord {
            seq: e.seq,
            request: e.request.clone(),
            time: e.time.clone(),
            kind: e.kind.clone(),
            data: e.data.clone(),
            hash: hex::encode(&e.hash),
        }
    }
}

impl Show {
    pub fn of(record: &RequestRecord, events: &[Event]) -> Self {
        Show {
            request: record.into(),
            events: events.iter().map(EventRecord::from).collect(),
        }
    }
}

/// A request waiting for an answer on the `local` channel (`gate pending --json`, one a line).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Pending {
    #[serde(flatten)]
    pub request: Request,
    /// When it expires (RFC 3339, UTC); null when the ledger holds no expiry.
    pub expires: Option<String>,
    /// How many distinct approvers it needs.
    pub quorum: u64,
    /// Who may approve it: every approver must be in each list (one list per rule that names
    /// approvers); empty when anyone but the requester may.
    pub approvers: Vec<Vec<String>>,
}

impl Shape for Pending {
    const SCHEMA: &'static str = "gate.pending/1";
}

impl Pending {
    /// `asked`: the data of the request's `approval_requested` event.
    pub fn of(record: &RequestRecord, asked: &Value) -> Self {
        Pending {
            request: record.into(),
            expires: asked
                .get("expires")
                .and_then(Value::as_str)
                .map(str::to_string),
            quorum: asked.get("quorum").and_then(Value::as_u64).unwrap_or(1),
            approvers: asked
                .get("approvers")
                .and_then(|a| serde_json::from_value(a.clone()).ok())
                .unwrap_or_default(),
        }
    }
}
