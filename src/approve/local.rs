//! The `local` channel: the request waits in the ledger, and a person answers it from another
//! terminal with `gate approve ID` / `gate deny ID` (see `commands/approve.rs`), which append a
//! `local_vote` event. This side polls the ledger for those events.
//!
//! A vote counts only if gate wrote it: `gate approve` checks who is answering (not the agent,
//! not from under it, from a terminal, an allowed approver) and appends its vote in the same
//! ledger transaction, sealed with the ledger key (see `ledger::seal`). A `local_vote` row
//! without a valid seal was written some other way (SQL into the file) and is refused here.
//! Every `local_vote` becomes exactly one message, in ledger order, so `gate approve` can find
//! the coordinator's verdict on its own vote.
//!
//! On this channel the requester is the pair (OS user, agent): a request an agent made may be
//! approved by the same OS user from a terminal without that agent's markers; a person's own
//! request (no agent) may not be approved by that person.

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use serde_json::Value;

use super::{Channel, Message, Shared, Vote};
use crate::ledger::{Event, Kind, Store};

/// The ledger event `gate approve` / `gate deny` append.
pub const EVENT: Kind = Kind::LocalVote;

/// How often the waiting process looks for new votes: a vote is noticed within a second.
const POLL: Duration = Duration::from_millis(250);

pub struct Local {
    /// A reader of the ledger the request waits in.
    ledger: Box<dyn Store + Send>,
}

impl Local {
    pub fn open(ledger: Box<dyn Store + Send>) -> Self {
        Local { ledger }
    }
}

/// What a `local_vote` event says.
struct LocalVote {
    approver: String,
    agent: Option<String>,
    approve: bool,
    comment: Option<String>,
    refused: Option<String>,
}

fn parse(data: &Value) -> Option<LocalVote> {
    let s = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let approve = match s("verdict")?.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return None,
    };
    Some(LocalVote {
        approver: s("approver")?,
        agent: s("agent"),
        approve,
        comment: s("comment"),
        refused: s("refused"),
    })
}

impl Local {
    /// What a `local_vote` event says, if gate wrote it.
    fn read(&self, ledger: &dyn Store, shared: &Shared, ev: &Event) -> Message {
        let sealed = match ledger.check_seal(ev) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(problem)) => Err(format!(
                "this local vote was not written by gate ({problem}): it does not count, and `gate verify` reports it"
            )),
            Err(e) => Err(format!("cannot check that gate wrote this local vote: {e}")),
        };
        match (sealed, parse(&ev.data)) {
            (Ok(()), Some(v)) => self.judge(shared, v),
            (sealed, parsed) => {
                // The name is whatever the row says: escaped, since it is printed.
                let claimed = ev
                    .data
                    .get("approver")
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                Message::Refused {
                    channel: "local".into(),
                    approver: claimed.escape_debug().to_string(),
                    approve: parsed.is_some_and(|v| v.approve),
                    reason: sealed
                        .err()
                        .unwrap_or_else(|| "an unreadable local vote".into()),
                }
            }
        }
    }

    fn judge(&self, shared: &Shared, v: LocalVote) -> Message {
        let requester = &shared.request.requester;
        if let Some(reason) = v.refused {
            return Message::Refused {
                channel: "local".into(),
                approver: v.approver,
                approve: v.approve,
                reason,
            };
        }
        if v.approve && v.approver == requester.user && crate::protected::active() {
            // On a shared host the agent runs as its person: whatever terminal that person
            // answers from, the agent could have answered from it too.
            return Message::Refused {
                channel: "local".into(),
                approver: v.approver,
                approve: true,
                reason: "in the protected install nobody approves their own request or their agents' (another user must)".into(),
            };
        }
        if v.approve && v.approver == requester.user && requester.agent.is_none() {
            return Message::Refused {
                channel: "local".into(),
                approver: v.approver,
                approve: true,
                reason: "a person's own request (no agent) must be approved by someone else".into(),
            };
        }
        Message::Vote(Vote {
            channel: "local".into(),
            is_requesting_agent: v.agent.is_some() && v.agent == requester.agent,
            approver: v.approver,
            aliases: Vec::new(),
            approve: v.approve,
            comment: v.comment,
        })
    }
}

impl Channel for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        let id = shared.request.id.clone();
        let fail = |message: String| {
            let _ = tx.send(Message::Failed {
                channel: "local".into(),
                message,
            });
        };
        let ledger = &*self.ledger;
        // From the request's opening for this channel on: a `gate approve` may have answered
        // between that event and this thread's first look.
        let mut seen = match ledger.events_of(&id) {
            Ok(evs) => evs
                .iter()
                .rev()
                .find(|e| e.kind == Kind::ApprovalRequested)
                .or(evs.last())
                .map(|e| e.seq)
                .unwrap_or(0),
            Err(e) => return fail(format!("cannot read the ledger: {e}")),
        };
        crate::ui::note(&format!(
            "request {id} waits for approval (expires in {}): in another terminal run `gate approve {id}` or `gate deny {id}`",
            super::terminal::format_remaining(shared.remaining())
        ));
        let mut errors = 0u32;
        while !shared.is_done() {
            let events = match ledger.wait_events(&id, seen, POLL, &|| shared.is_done()) {
                Ok(evs) => {
                    errors = 0;
                    evs
                }
                Err(e) => {
                    // A busy or briefly unreadable ledger is retried; a ledger that stays
                    // unreadable for ~10 s ends this channel.
                    errors += 1;
                    if errors >= 40 {
                        return fail(format!("cannot read the ledger: {e}"));
                    }
                    shared.wait(POLL);
                    continue;
                }
            };
            for ev in events {
                seen = ev.seq;
                if ev.kind != EVENT {
                    continue;
                }
                let _ = tx.send(self.read(ledger, &shared, &ev));
            }
        }
    }
}
