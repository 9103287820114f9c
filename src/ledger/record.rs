//! A request as auditors see it, assembled from its events (SPEC §8 JSON shape).

use serde::Serialize;
use serde_json::Value;

use super::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ran,
    Denied,
    Expired,
    Cancelled,
    Error,
    Running,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ran => "ran",
            Status::Denied => "denied",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
            Status::Error => "error",
            Status::Running => "running",
            Status::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub approver: String,
    pub channel: String,
    pub verdict: String,
    pub time: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub id: String,
    pub time: String,
    pub requester: Value,
    pub cwd: String,
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    pub decision: String,
    pub rules: Vec<Value>,
    pub approvals: Vec<Approval>,
    pub status: Status,
    pub exit_code: Option<i64>,
    pub signal: Option<i64>,
    pub duration_ms: Option<i64>,
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<Value>,
    pub risk: Option<String>,
    pub argv_hmac: Option<String>,
    /// The SHA-256 of the policy the request was decided with (absent in older ledgers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    /// The version of the signed fleet policy it was decided under (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<i64>,
    /// What an adapter recorded with the request (a hook's agent, session and tool-use ids).
    #[serde(skip)]
    pub via: Option<Value>,
    /// A verdict approved it (by people, or by reusing an earlier approval).
    #[serde(skip)]
    pub approved: bool,
    /// The first verdict that approved it, as stored (reuse checks its seal).
    #[serde(skip)]
    pub approval: Option<Event>,
    /// Who may approve it (its `approval_requested` event), if it asked.
    #[serde(skip)]
    pub approver_sets: Option<Vec<Vec<String>>>,
    /// When it came to its end (finished, failed to start, denied, expired, cancelled, no
    /// channel): the time of that event. `None` while it waits or runs, or if nobody knows.
    #[serde(skip)]
    pub ended: Option<String>,
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Who reads the shared ledger of the protected install: a user sees their own requests and
/// those they may approve; root sees everything.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: String,
    pub root: bool,
}

impl Viewer {
    pub fn may_see(&self, rec: &RequestRecord) -> bool {
        if self.root || rec.requester.get("user").and_then(Value::as_str) == Some(&self.user) {
            return true;
        }
        match &rec.approver_sets {
            // A request anyone may approve is anyone's to see.
            Some(sets) => crate::approve::among_approvers(sets, &self.user, &[&self.user]).is_ok(),
            None => false,
        }
    }
}

impl RequestRecord {
    /// Who asked: `user`, or `user/agent` when an agent did.
    pub fn who(&self) -> String {
        let text = |k: &str| self.requester.get(k).and_then(Value::as_str);
        let user = text("user").unwrap_or("?");
        match text("agent") {
            Some(agent) => format!("{user}/{agent}"),
            None => user.to_string(),
        }
    }

    /// Fold a request's events (oldest first) into its record.
    pub fn from_events(id: &str, events: &[Event]) -> Self {
        let mut rec = RequestRecord {
            id: id.to_string(),
            time: String::new(),
            requester: Value::Null,
            cwd: String::new(),
            command: Vec::new(),
            script: None,
            decision: String::new(),
            rules: Vec::new(),
            approvals: Vec::new(),
            status: Status::Unknown,
            exit_code: None,
            signal: None,
            duration_ms: None,
            reason: None,
            ci: None,
            risk: None,
            argv_hmac: None,
            policy_digest: None,
            policy_version: None,
            via: None,
            approved: false,
            approval: None,
            approver_sets: None,
            ended: None,
        };
        let mut final_status = None;
        let mut pid = None;
        let mut host = None;
        for ev in events {
            let d = &ev.data;
            match ev.kind.as_str() {
                "request" => {
                    rec.time = ev.time.clone();
                    rec.requester = d.get("requester").cloned().unwrap_or(Value::Null);
                    rec.cwd = s(d, "cwd").unwrap_or_default();
                    rec.command = d
                        .get("command")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    rec.script = s(d, "script");
                    rec.reason = s(d, "reason");
                    rec.ci = d.get("ci").cloned().filter(|v| !v.is_null());
                    rec.argv_hmac = s(d, "argv_hmac");
                    rec.policy_digest = s(d, "policy_digest");
                    rec.policy_version = d.get("policy_version").and_then(Value::as_i64);
                    rec.via = d.get("via").cloned().filter(|v| !v.is_null());
                    pid = d.get("pid").and_then(Value::as_i64);
                    host = rec
                        .requester
                        .get("host")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                }
                "decision" => {
                    rec.decision = s(d, "decision").unwrap_or_default();
                    rec.rules = d
                        .get("rules")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    rec.risk = s(d, "risk");
                    if rec.decision == "deny" {
                        final_status = Some(Status::Denied);
                        rec.ended = Some(ev.time.clone());
                    }
                }
                "vote" if d.get("accepted").and_then(Value::as_bool).unwrap_or(false) => {
                    rec.approvals.push(Approval {
                        approver: s(d, "approver").unwrap_or_default(),
                        channel: s(d, "channel").unwrap_or_default(),
                        verdict: s(d, "verdict").unwrap_or_default(),
                        time: ev.time.clone(),
                        comment: s(d, "comment"),
                    });
                }
                "approval_requested" => {
                    rec.approver_sets = Some(
                        d.get("approvers")
                            .and_then(|a| serde_json::from_value(a.clone()).ok())
                            .unwrap_or_default(),
                    );
                }
                "reused" => rec.approvals.push(Approval {
                    approver: s(d, "approver").unwrap_or_default(),
                    channel: "reuse".into(),
                    verdict: "approve".into(),
                    time: ev.time.clone(),
                    comment: s(d, "from").map(|f| format!("approval of {f} reused")),
                }),
                "verdict" => {
                    let ends = match s(d, "outcome").as_deref() {
                        Some("approved") => {
                            rec.approved = true;
                            rec.approval.get_or_insert_with(|| ev.clone());
                            None
                        }
                        Some("denied") => Some(Status::Denied),
                        Some("expired") => Some(Status::Expired),
                        Some("cancelled") => Some(Status::Cancelled),
                        Some("unavailable") | Some("error") => Some(Status::Error),
                        _ => None,
                    };
                    if ends.is_some() {
                        final_status = ends;
                        rec.ended = Some(ev.time.clone());
                    }
                }
                "started" => {
                    pid = d.get("gate_pid").and_then(Value::as_i64).or(pid);
                }
                "finished" => {
                    rec.exit_code = d.get("exit_code").and_then(Value::as_i64);
                    rec.signal = d.get("signal").and_then(Value::as_i64);
                    rec.duration_ms = d.get("duration_ms").and_then(Value::as_i64);
                    final_status = Some(Status::Ran);
                    rec.ended = Some(ev.time.clone());
                }
                "error" => {
                    rec.exit_code = d.get("exit_code").and_then(Value::as_i64).or(rec.exit_code);
                    final_status = Some(Status::Error);
                    rec.ended = Some(ev.time.clone());
                }
                _ => {}
            }
        }
        rec.status = final_status.unwrap_or_else(|| {
            // No outcome yet: still running if the gate process that made it is alive here.
            if process_alive(pid, host.as_deref()) {
                Status::Running
            } else {
                Status::Unknown
            }
        });
        rec
    }
}

/// Whether the gate process `pid` on `host` is still alive (a process elsewhere counts as gone).
pub fn process_alive(pid: Option<i64>, host: Option<&str>) -> bool {
    let Some(pid) = pid.filter(|p| *p > 0 && *p <= i32::MAX as i64) else {
        return false;
    };
    let this_host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok());
    if host.is_some() && this_host.as_deref() != host {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}
