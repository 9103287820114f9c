//! Approval: one request fanned out to every usable channel at once; the first verdict that
//! settles it wins (any allowed deny denies; `quorum` distinct allowed approvers approve).
//!
//! Each channel runs on its own thread and reports [`Message`]s; the coordinator here checks
//! who may approve, records every vote in the ledger (through the `record` callback) and tells
//! the channels how it ended so they can update what people see. Channels know nothing of rules.

pub mod fleet;
pub mod local;
pub mod slack;
pub mod terminal;
pub mod webhook;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::context::{Ci, Requester};
use crate::error::{Error, Result};
use crate::ledger::{Kind, events};
use crate::policy::Risk;

/// What approvers are shown.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    /// The command as approvers see it (masked).
    pub command: String,
    pub rules: Vec<RuleLine>,
    pub opaque: Vec<String>,
    pub risk: Risk,
    pub requester: Requester,
    pub cwd: String,
    pub reason: Option<String>,
    pub ci: Option<Ci>,
    pub expires_at: SystemTime,
    pub quorum: u32,
    /// Who may approve: each list names the identities one asking rule allows (an approver must
    /// be in every list); none, anyone but the requester's own agent.
    pub approvers: Vec<Vec<String>>,
}

/// What the coordinator tells a channel about a vote it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// The vote does not count: why.
    Refused(String),
    /// The approval counts, and more are needed: `have` of `need`.
    Counted { have: u32, need: u32 },
}

#[derive(Debug, Clone)]
pub struct RuleLine {
    pub id: String,
    pub message: Option<String>,
    pub risk: Risk,
}

/// A person's answer on a channel.
#[derive(Debug, Clone)]
pub struct Vote {
    pub channel: String,
    /// The approver's identity as the channel knows it: an OS user name, `slack:U…`, `email:…`.
    pub approver: String,
    /// Other identities the channel vouches for (`email:` of a Slack profile): the approver is
    /// allowed if any of them is, and refused if any of them is the requester.
    pub aliases: Vec<String>,
    /// Whether the approver acts for the requesting agent (the agent itself answering).
    pub is_requesting_agent: bool,
    pub approve: bool,
    pub comment: Option<String>,
}

pub enum Message {
    Vote(Vote),
    /// The channel cannot be used (no terminal, bad token, server down): why.
    Failed {
        channel: String,
        message: String,
    },
    /// The requester cancelled (Ctrl-C at the prompt).
    Cancel {
        channel: String,
    },
    /// An answer the channel itself refused (a bot, a guest, a deleted account, an agent's
    /// terminal, a person's own request): recorded as a vote that does not count.
    Refused {
        channel: String,
        approver: String,
        approve: bool,
        reason: String,
    },
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        by: Vec<String>,
        channel: String,
    },
    Denied {
        by: String,
        channel: String,
        comment: Option<String>,
    },
    Expired,
    Cancelled,
    /// No channel could be used.
    Unavailable(Vec<String>),
}

impl Outcome {
    pub fn describe(&self) -> String {
        match self {
            Outcome::Approved { by, channel } => {
                format!("approved in {channel} by {}", by.join(", "))
            }
            Outcome::Denied { by, channel, .. } => format!("denied in {channel} by {by}"),
            Outcome::Expired => "expired: nobody answered in time".into(),
            Outcome::Cancelled => "cancelled by the requester".into(),
            Outcome::Unavailable(failures) if !failures.is_empty() => format!(
                "no approval channel could be used ({})",
                failures.join("; ")
            ),
            Outcome::Unavailable(_) => "no approval channel could be used".into(),
        }
    }
}

/// Shared between the coordinator and the channel threads.
pub struct Shared {
    pub request: Request,
    done: AtomicBool,
    outcome: Mutex<Option<Outcome>>,
    feedback: Mutex<Vec<(String, Feedback)>>,
}

impl Shared {
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Sleep up to `d`, waking early when the request is settled; true if it is.
    pub fn wait(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.is_done() {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }
    /// What the coordinator said about `channel`'s votes since the last call.
    pub fn take_feedback(&self, channel: &str) -> Vec<Feedback> {
        let mut all = self.feedback.lock().unwrap_or_else(|e| e.into_inner());
        let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|(c, _)| c == channel);
        *all = rest;
        mine.into_iter().map(|(_, f)| f).collect()
    }
    fn tell(&self, channel: &str, feedback: Feedback) {
        self.feedback
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((channel.to_string(), feedback));
    }
    pub fn remaining(&self) -> Duration {
        self.request
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }
}

/// A channel: started on its own thread with the shared request and a sender for messages. It
/// must return soon after `shared.is_done()` turns true, having shown the final outcome.
pub trait Channel: Send {
    fn name(&self) -> &'static str;
    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>);
}

/// Who may approve and how many must.
pub struct Terms {
    /// Each list names the identities allowed by one asking rule; an approver must be in all.
    pub approver_sets: Vec<Vec<String>>,
    pub quorum: u32,
    /// The requester's identities on other channels (`[identity]`), refused as approvers.
    pub self_identities: Vec<String>,
}

/// Who may approve (each set names the identities one asking rule allows; an approver must be
/// in every set) and how many must, for people to read.
pub fn approvers_text(sets: &[Vec<String>], quorum: u32) -> String {
    let who = match sets {
        [] => "anyone who may answer (the rule names no approvers)".to_string(),
        [one] => one.join(", "),
        sets => sets
            .iter()
            .map(|s| format!("one of ({})", s.join(", ")))
            .collect::<Vec<_>>()
            .join(" and "),
    };
    let who = crate::ui::printable(&who).into_owned();
    if quorum > 1 {
        format!("{who}; {quorum} different approvers must approve")
    } else {
        who
    }
}

/// Identities compare without the `user:` prefix: `user:alice` and `alice` are one person.
fn normalize(identity: &str) -> &str {
    identity.strip_prefix("user:").unwrap_or(identity)
}

impl Terms {
    /// `Err(reason)` if this vote may not count.
    fn check(&self, vote: &Vote, request: &Request) -> std::result::Result<(), String> {
        let who = normalize(&vote.approver);
        let ids: Vec<&str> = std::iter::once(who)
            .chain(vote.aliases.iter().map(|a| normalize(a)))
            .collect();
        if vote.is_requesting_agent {
            return Err("the requesting agent cannot approve its own request".into());
        }
        if let Some(me) = ids
            .iter()
            .find(|id| self.self_identities.iter().any(|s| normalize(s) == **id))
        {
            return Err(format!(
                "{me} is the requester: nobody approves their own request"
            ));
        }
        let os_user_is_requester = who == request.requester.user;
        if os_user_is_requester
            && request.requester.agent.is_none()
            && !self.approver_sets.is_empty()
        {
            return Err(format!(
                "{who} is the requester and this rule names approvers: someone else must approve"
            ));
        }
        among_approvers(&self.approver_sets, who, &ids)
    }
}

/// `Err(reason)` unless one of `ids` (the approver `who` and its aliases) is in every set (each
/// asking rule's allowed approvers; no sets, anyone may).
pub fn among_approvers(
    sets: &[Vec<String>],
    who: &str,
    ids: &[&str],
) -> std::result::Result<(), String> {
    for set in sets {
        if !set.iter().any(|a| ids.contains(&normalize(a))) {
            return Err(format!(
                "{who} is not among the approvers of this rule ({})",
                set.join(", ")
            ));
        }
    }
    Ok(())
}

/// Ask every channel and wait for the outcome. `record(kind, data)` writes a ledger event; if
/// it fails, waiting stops and the error is returned (nothing may run unrecorded).
pub fn ask(
    request: Request,
    channels: Vec<Box<dyn Channel>>,
    terms: &Terms,
    record: &mut dyn FnMut(Kind, Value) -> Result<()>,
) -> Result<Outcome> {
    let shared = Arc::new(Shared {
        request,
        done: AtomicBool::new(false),
        outcome: Mutex::new(None),
        feedback: Mutex::new(Vec::new()),
    });
    let (tx, rx) = channel::<Message>();
    let mut live: Vec<String> = Vec::new();
    let mut threads = Vec::new();
    for ch in channels {
        live.push(ch.name().to_string());
        let shared = Arc::clone(&shared);
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || ch.run(shared, tx)));
    }
    drop(tx);
    // Ctrl-C or SIGTERM while no terminal prompt has the keyboard cancels the request.
    let interrupted = Arc::new(AtomicBool::new(false));
    let mut sig_ids = Vec::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if let Ok(id) = signal_hook::flag::register(sig, Arc::clone(&interrupted)) {
            sig_ids.push(id);
        }
    }
    let result = coordinate(&shared, &rx, &mut live, terms, record, &interrupted);
    let outcome = match &result {
        Ok(o) => o.clone(),
        Err(_) => Outcome::Cancelled,
    };
    *shared.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    shared.done.store(true, Ordering::Release);
    for t in threads {
        let _ = t.join();
    }
    for id in sig_ids {
        signal_hook::low_level::unregister(id);
    }
    result
}

fn coordinate(
    shared: &Shared,
    rx: &Receiver<Message>,
    live: &mut Vec<String>,
    terms: &Terms,
    record: &mut dyn FnMut(Kind, Value) -> Result<()>,
    interrupted: &AtomicBool,
) -> Result<Outcome> {
    let mut failures: Vec<String> = Vec::new();
    let mut approvals: Vec<(String, String)> = Vec::new();
    let deadline = Instant::now() + shared.remaining();
    loop {
        if live.is_empty() {
            record(
                Kind::Verdict,
                events::verdict(&events::Verdict::Unavailable {
                    failures: &failures,
                }),
            )?;
            return Ok(Outcome::Unavailable(failures));
        }
        if interrupted.load(Ordering::Relaxed) {
            record(
                Kind::Verdict,
                events::verdict(&events::Verdict::Cancelled { by: "signal" }),
            )?;
            return Ok(Outcome::Cancelled);
        }
        let now = Instant::now();
        if now >= deadline {
            record(Kind::Verdict, events::verdict(&events::Verdict::Expired))?;
            return Ok(Outcome::Expired);
        }
        let wait = (deadline - now).min(Duration::from_millis(100));
        let msg = match rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                live.clear();
                continue;
            }
        };
        match msg {
            Message::Failed { channel, message } => {
                record(
                    Kind::ChannelFailed,
                    events::channel_failed(&channel, &message),
                )?;
                failures.push(format!("{channel}: {message}"));
                live.retain(|c| *c != channel);
            }
            Message::Cancel { channel } => {
                record(
                    Kind::Verdict,
                    events::verdict(&events::Verdict::Cancelled { by: &channel }),
                )?;
                return Ok(Outcome::Cancelled);
            }
            Message::Refused {
                channel,
                approver,
                approve,
                reason,
            } => {
                let verdict = if approve { "approve" } else { "deny" };
                record(
                    Kind::Vote,
                    events::vote(&events::VoteData {
                        approver: &approver,
                        aliases: None,
                        channel: &channel,
                        approve,
                        comment: None,
                        refused: Some(&reason),
                    }),
                )?;
                if channel != "terminal" {
                    crate::ui::note(&format!(
                        "refused the {verdict} of {approver} in {channel}: {reason}"
                    ));
                }
                shared.tell(&channel, Feedback::Refused(reason));
            }
            Message::Vote(vote) => {
                let check = terms.check(&vote, &shared.request);
                let verdict = if vote.approve { "approve" } else { "deny" };
                record(
                    Kind::Vote,
                    events::vote(&events::VoteData {
                        approver: &vote.approver,
                        aliases: Some(&vote.aliases),
                        channel: &vote.channel,
                        approve: vote.approve,
                        comment: vote.comment.as_deref(),
                        refused: check.as_ref().err().map(String::as_str),
                    }),
                )?;
                if let Err(why) = check {
                    // The terminal shows its own refusals, beside its prompt.
                    if vote.channel != "terminal" {
                        crate::ui::note(&format!(
                            "refused the {verdict} of {} in {}: {why}",
                            vote.approver, vote.channel
                        ));
                    }
                    shared.tell(&vote.channel, Feedback::Refused(why));
                    continue;
                }
                let who = normalize(&vote.approver).to_string();
                if !vote.approve {
                    record(
                        Kind::Verdict,
                        events::verdict(&events::Verdict::Denied {
                            by: &who,
                            channel: &vote.channel,
                        }),
                    )?;
                    return Ok(Outcome::Denied {
                        by: who,
                        channel: vote.channel,
                        comment: vote.comment,
                    });
                }
                if !approvals.iter().any(|(a, _)| *a == who) {
                    approvals.push((who, vote.channel.clone()));
                }
                let need = terms.quorum.max(1);
                if (approvals.len() as u32) < need {
                    shared.tell(
                        &vote.channel,
                        Feedback::Counted {
                            have: approvals.len() as u32,
                            need,
                        },
                    );
                }
                if approvals.len() as u32 >= need {
                    let by: Vec<String> = approvals.iter().map(|(a, _)| a.clone()).collect();
                    record(
                        Kind::Verdict,
                        events::verdict(&events::Verdict::Approved {
                            by: &by,
                            channel: &vote.channel,
                        }),
                    )?;
                    return Ok(Outcome::Approved {
                        by,
                        channel: vote.channel,
                    });
                }
            }
        }
    }
}

/// The error for a request that no channel could carry; `agent` when an agent asked (the
/// terminal does not take its answers).
pub fn unavailable_error(failures: &[String], in_ci: bool, agent: bool) -> Error {
    let mut msg = String::from("approval is needed but no approval channel could be used");
    for f in failures {
        msg.push_str(&format!("\n  {f}"));
    }
    // The terminal's refusal of an agent's request already says what to configure.
    let terminal_said = agent && failures.iter().any(|f| f.starts_with("terminal: "));
    msg.push_str(if in_ci {
        "\n  in CI gate never prompts: configure [slack] or [webhook] in the policy and add it to `channels`"
    } else if terminal_said {
        ""
    } else if agent {
        "\n  a person must answer an agent's request where the agent cannot: add `local` (then `gate approve ID` from your own terminal), [slack] or [webhook] to `channels`"
    } else {
        "\n  run it from a terminal, or configure `local`, [slack] or [webhook] in `channels` (see `gate init`)"
    });
    Error::Unavailable(msg)
}
