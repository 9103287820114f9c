//! The `local` channel in a fleet: the request waits in the shared ledger, and a person answers
//! it from any host with `gate approve ID` / `gate deny ID`, as their own PostgreSQL role (see
//! `fleet::approve`), which appends a `vote` event to that person's stream through
//! `gate.vote`.
//!
//! Opening the channel connects and ships this host's spool synchronously, so the request is
//! in the fleet before anyone is asked; a fleet that cannot be reached fails the channel at
//! once (the other channels are asked, or the request exits 69). Waiting, this side holds a
//! lease (`gate.open_wait`, renewed every [`HEARTBEAT`]): a gate killed while waiting stops
//! renewing it, and the request shows as gone; nothing runs and no vote is taken for it. It
//! learns of votes by LISTEN on `gate_votes` (polling every [`POLL`] when the connection cannot
//! listen, e.g. behind a transaction-mode pooler) and re-reads all the request's votes each
//! time (a gid is not commit order), counting each one once.
//!
//! A vote counts only as PostgreSQL says who cast it: its `author` (the session role that
//! appended it, stamped by the server) must be the `pg:ROLE` it names, in that role's own
//! person stream; or, for a Slack click (`slack:U…`), a relay (`gate slack serve`, a role in
//! gate_relay) appended it to its own relay stream through `gate.relay_vote`, which only relays
//! may call. A relay vote is judged by the Slack identity it names, with the identities the
//! people table links to it: the approvers and the refusal of self-approval apply as to a
//! click on a host's own Slack connection. The people table links a role to the person's Slack
//! and OS identities; a linked identity that is the requester (with no agent) is refused: nobody
//! approves their own request.

use crate::fleet::typed::Typed;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use serde_json::Value;

use super::{Channel, Message, Shared, Vote};
use crate::error::Result;
use crate::fleet::Fleet;
use crate::fleet::config::Target;

/// The channel's name in votes and failures.
pub const NAME: &str = "fleet";

/// How often the lease is renewed; it lapses after 15 s without (`gate.waits.lease`).
const HEARTBEAT: Duration = Duration::from_secs(3);

/// How often votes are read when the connection cannot LISTEN (and, as a backstop, when it can).
const POLL: Duration = Duration::from_secs(1);

/// How long one turn of the wait lasts (then the lease and a poll are seen to), and the slices
/// it is waited in.
const WAIT: Duration = Duration::from_millis(200);
const SLICE: Duration = Duration::from_millis(10);

pub struct FleetChannel {
    fleet: Fleet,
    /// What the wait is open for: `local` (`gate approve` on any host), `slack` (the fleet's
    /// relays post a card and record its clicks).
    channels: Vec<String>,
}

impl FleetChannel {
    /// Connect and ship what this host recorded so far (the request itself), or say why not.
    pub fn open(target: Target, channels: Vec<String>) -> Result<Self> {
        let mut fleet = Fleet::open_target(target)?;
        crate::fleet::ship::ship_now(&mut fleet)?;
        Ok(FleetChannel { fleet, channels })
    }
}

/// One vote row as `gate.votes` returns it.
struct Row {
    gid: i64,
    stream: String,
    author: String,
    data: Value,
    aliases: Vec<String>,
    /// `person` or `relay`.
    stream_kind: String,
}

fn votes(fleet: &mut Fleet, id: &str) -> std::result::Result<Vec<Row>, String> {
    let rows = fleet
        .client
        .q(
            "SELECT gid, stream::text, author::text, data, aliases, stream_kind FROM gate.votes($1)",
            &[&id],
        )
        .map_err(|e| crate::fleet::connect::describe(&e))?;
    Ok(rows
        .iter()
        .map(|r| Row {
            gid: r.get(0),
            stream: r.get(1),
            author: r.get(2),
            data: serde_json::from_str(r.get::<_, &str>(3)).unwrap_or(Value::Null),
            aliases: r.get(4),
            stream_kind: r.get(5),
        })
        .collect())
}

/// Whether `id` is a Slack user id as relays write it (`U…`, `W…`: capitals and digits).
fn slack_user(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What a relay's vote (a Slack click) means for this request.
fn judge_relayed(shared: &Shared, row: Row) -> Message {
    let s = |k: &str| row.data.get(k).and_then(Value::as_str).map(str::to_string);
    let named = s("approver").unwrap_or_default();
    let approve = s("verdict").as_deref() == Some("approve");
    let printable = crate::ui::printable(&named).into_owned();
    let refuse = |reason: String| Message::Refused {
        channel: "slack".into(),
        approver: printable.clone(),
        approve,
        reason,
    };
    if row.stream != row.author || !named.strip_prefix("slack:").is_some_and(slack_user) {
        return refuse(format!(
            "the relay vote names {printable} but role {} cast it in stream {}: it does not count",
            row.author, row.stream
        ));
    }
    if let Some(reason) = s("refused") {
        return refuse(reason);
    }
    let requester = &shared.request.requester;
    let with_host = format!("{}@{}", requester.user, requester.host);
    // The people table's identities of the clicking person, and the email Slack gave the relay.
    let mut aliases = row.aliases;
    if let Some(email) = s("email").filter(|e| !e.is_empty() && !e.contains(char::is_whitespace)) {
        aliases.push(format!("email:{}", email.to_ascii_lowercase()));
    }
    let is_requester = aliases
        .iter()
        .any(|a| *a == requester.user || *a == with_host || *a == format!("pg:{}", requester.user));
    if approve && is_requester && (requester.agent.is_none() || crate::protected::active()) {
        return refuse(format!(
            "{named} is {} (the requester): nobody approves their own request",
            requester.user
        ));
    }
    Message::Vote(Vote {
        channel: "slack".into(),
        approver: named,
        aliases,
        is_requesting_agent: false,
        approve,
        comment: None,
    })
}

/// What a vote row means for this request.
fn judge(shared: &Shared, row: Row) -> Message {
    if row.stream_kind == "relay" {
        return judge_relayed(shared, row);
    }
    let s = |k: &str| row.data.get(k).and_then(Value::as_str).map(str::to_string);
    let named = s("approver").unwrap_or_default();
    let approve = s("verdict").as_deref() == Some("approve");
    let approver = format!("pg:{}", row.author);
    if named != approver || row.stream != row.author {
        return Message::Refused {
            channel: NAME.into(),
            approver: crate::ui::printable(&named).into_owned(),
            approve,
            reason: format!(
                "the vote names {} but role {} cast it in stream {}: it does not count",
                crate::ui::printable(&named),
                row.author,
                row.stream
            ),
        };
    }
    if let Some(reason) = s("refused") {
        return Message::Refused {
            channel: NAME.into(),
            approver,
            approve,
            reason,
        };
    }
    let requester = &shared.request.requester;
    let with_host = format!("{}@{}", requester.user, requester.host);
    let is_requester = row.author == requester.user
        || row
            .aliases
            .iter()
            .any(|a| *a == requester.user || *a == with_host);
    if approve && is_requester && (requester.agent.is_none() || crate::protected::active()) {
        return Message::Refused {
            channel: NAME.into(),
            approver,
            approve,
            reason: format!(
                "role {} is {} (the requester): nobody approves their own request",
                row.author, requester.user
            ),
        };
    }
    Message::Vote(Vote {
        channel: NAME.into(),
        approver,
        aliases: row.aliases,
        is_requesting_agent: false,
        approve,
        comment: s("comment"),
    })
}

impl Channel for FleetChannel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        let FleetChannel {
            mut fleet,
            channels,
        } = *self;
        let id = shared.request.id.clone();
        let fail = |message: String| {
            let _ = tx.send(Message::Failed {
                channel: NAME.into(),
                message,
            });
        };
        // The approval_requested event the coordinator wrote after this channel opened.
        if let Err(e) = crate::fleet::ship::ship_now(&mut fleet) {
            return fail(format!("cannot ship the request to the fleet: {e}"));
        }
        let quorum = i32::try_from(shared.request.quorum).unwrap_or(i32::MAX);
        let ms = i64::try_from(shared.remaining().as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = fleet.client.q(
            "SELECT * FROM gate.open_wait($1, $2, $3, $4)",
            &[&id, &channels, &quorum, &ms],
        ) {
            return fail(format!(
                "cannot open the wait in the fleet: {}",
                crate::fleet::connect::describe(&e)
            ));
        }
        let listening = fleet.client.batch_execute("LISTEN gate_votes").is_ok();
        let how = match (
            channels.iter().any(|c| c == "local"),
            channels.iter().any(|c| c == "slack"),
        ) {
            (true, true) => format!(
                "on any host run `gate approve {id}` or `gate deny {id}`, or click in Slack (posted by the fleet's `gate slack serve`)"
            ),
            (false, true) => "click in Slack (posted by the fleet's `gate slack serve`)".into(),
            _ => format!("on any host run `gate approve {id}` or `gate deny {id}`"),
        };
        crate::ui::note(&format!(
            "request {id} waits for approval in the fleet {} (expires in {}): {how}",
            fleet.target.display(),
            super::terminal::format_remaining(shared.remaining())
        ));
        let mut seen: HashSet<i64> = HashSet::new();
        let mut beat = Instant::now();
        let mut looked = Instant::now();
        let mut look = true;
        let mut errors = 0u32;
        while !shared.is_done() {
            if look {
                looked = Instant::now();
                match votes(&mut fleet, &id) {
                    Ok(rows) => {
                        errors = 0;
                        for row in rows {
                            if seen.insert(row.gid) {
                                let _ = tx.send(judge(&shared, row));
                            }
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors >= 5 {
                            return fail(format!("cannot read the votes: {e}"));
                        }
                    }
                }
            }
            if beat.elapsed() >= HEARTBEAT {
                beat = Instant::now();
                match fleet
                    .client
                    .q_one("SELECT gate.heartbeat($1)", &[&id])
                    .map(|r| r.get::<_, bool>(0))
                {
                    Ok(true) => {}
                    Ok(false) if shared.is_done() => break,
                    Ok(false) => {
                        return fail("the wait in the fleet expired or was closed".into());
                    }
                    Err(e) => {
                        return fail(format!(
                            "lost the fleet: {}",
                            crate::fleet::connect::describe(&e)
                        ));
                    }
                }
            }
            // Wait up to WAIT, in slices of SLICE so that a request settled meanwhile (by this
            // channel's vote, or another channel) lets the command start at once: the
            // coordinator joins every channel before it runs anything.
            let until = Instant::now() + WAIT;
            let mut woke = false;
            while !woke && !shared.is_done() && Instant::now() < until {
                if listening {
                    // Woken by a vote on any request; one on this request is read at once.
                    let mut n = fleet.client.notifications();
                    woke = matches!(n.timeout_iter(SLICE).next(), Ok(Some(note)) if note.payload() == id);
                    while let Ok(Some(note)) = n.iter().next() {
                        woke |= note.payload() == id;
                    }
                } else {
                    std::thread::sleep(SLICE);
                }
            }
            look = woke || !listening || looked.elapsed() >= POLL;
        }
        let _ = fleet.client.q("SELECT gate.close_wait($1)", &[&id]);
    }
}
