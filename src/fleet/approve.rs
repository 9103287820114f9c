//! `gate pending --fleet`, and `gate approve ID` / `gate deny ID` in a fleet: a person, as
//! their own PostgreSQL role (see [`super::config::approver_target`]), lists what waits on any
//! host and answers it. The vote goes into the person's own stream through `gate.vote`, which
//! takes the role from the session (nobody votes as anyone else) and only while the request
//! waits with a live lease; the waiting gate counts it (see `approve::fleet`).
//!
//! As on one host, a process under an agent, or without a terminal, does not answer; a refusal
//! made here is appended too, marked `refused`, and exits 77.

use super::typed::Typed;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Fleet, read};
use crate::approve::among_approvers;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::{Event, Kind, RequestRecord};

/// One request waiting in the fleet.
struct Waiting {
    request: String,
    stream: String,
    live: bool,
    /// Why it no longer waits, when its lease lapsed.
    gone: Option<String>,
    expires: String,
    events: Vec<Event>,
}

impl Waiting {
    fn record(&self) -> RequestRecord {
        RequestRecord::from_events(&self.request, &self.events)
    }
    fn asked(&self) -> Value {
        self.events
            .iter()
            .rev()
            .find(|e| e.kind == Kind::ApprovalRequested.as_str())
            .map(|e| e.data.clone())
            .unwrap_or(Value::Null)
    }
    fn sets(&self) -> Vec<Vec<String>> {
        self.asked()
            .get("approvers")
            .and_then(|a| serde_json::from_value(a.clone()).ok())
            .unwrap_or_default()
    }
}

/// Who the caller is: their role and the identities the people table links to it.
struct Me {
    role: String,
    ids: Vec<String>,
}

impl Me {
    fn of(fleet: &mut Fleet) -> Result<Me> {
        let row = fleet
            .client
            .q_one(
                "SELECT session_user::text,
                        coalesce((SELECT ARRAY(SELECT a FROM unnest(ARRAY['slack:' || p.slack, 'email:' || p.email] || p.os_users) a WHERE a IS NOT NULL)
                                  FROM gate.people p WHERE p.role = session_user), '{}')",
                &[],
            )
            .map_err(|e| fleet.err(&e))?;
        let role: String = row.get(0);
        let mut ids = vec![format!("pg:{role}")];
        ids.extend(row.get::<_, Vec<String>>(1));
        Ok(Me { role, ids })
    }
    fn approver(&self) -> String {
        format!("pg:{}", self.role)
    }
    /// Whether the request is the caller's own (their role's name or a linked OS identity is
    /// its requester).
    fn is_requester(&self, rec: &RequestRecord) -> bool {
        let user = rec.requester.get("user").and_then(Value::as_str);
        let host = rec.requester.get("host").and_then(Value::as_str);
        let Some(user) = user else { return false };
        let with_host = format!("{user}@{}", host.unwrap_or(""));
        self.role == user || self.ids.iter().any(|i| i == user || *i == with_host)
    }
    /// Why the caller may not answer this request, if they may not.
    fn cannot(&self, w: &Waiting, approve: bool) -> Option<String> {
        if let Some(gone) = &w.gone {
            return Some(gone.clone());
        }
        let rec = w.record();
        let agent = rec.requester.get("agent").and_then(Value::as_str);
        if approve && self.is_requester(&rec) && agent.is_none() {
            return Some(format!(
                "role {} is the requester {}: nobody approves their own request; ask someone else",
                self.role,
                rec.requester
                    .get("user")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ));
        }
        let ids: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        among_approvers(&w.sets(), &self.approver(), &ids).err()
    }
}

/// Every wait the caller's role may see, with its request's events.
fn waiting(fleet: &mut Fleet) -> Result<Vec<Waiting>> {
    let rows = fleet
        .client
        .q(
            "SELECT w.request, w.stream::text, gate.live(w),
                    gate.time_text(w.expires_at),
                    CASE WHEN w.expires_at <= now() THEN 'expired at ' || to_char(w.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                         WHEN w.heartbeat <= now() - w.lease THEN 'gone: its gate on ' || w.stream || ' stopped waiting at '
                              || to_char(w.heartbeat AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ' (nothing ran)'
                    END
             FROM gate.waits w ORDER BY w.opened, w.request",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    let mut out = Vec::new();
    for r in rows {
        let request: String = r.get(0);
        let stream: String = r.get(1);
        let events = read::events_of(fleet, &stream, &request)?;
        let gone: Option<String> = r.get(4);
        out.push(Waiting {
            request,
            stream,
            live: r.get(2),
            gone: gone.map(|g| format!("request is {g}")),
            expires: r.get(3),
            events,
        });
    }
    Ok(out)
}

/// `gate pending --fleet`: what waits on every host that the caller may approve (and, for
/// people to see, the requests whose gate is gone).
pub fn pending(as_json: bool) -> Result<Exit> {
    let mut fleet = Fleet::open_target(super::config::approver_target()?)?;
    let me = Me::of(&mut fleet)?;
    let all = waiting(&mut fleet)?;
    let mine: Vec<&Waiting> = all
        .iter()
        .filter(|w| !w.live || me.cannot(w, true).is_none())
        .collect();
    if as_json {
        for w in mine.iter().filter(|w| w.live) {
            let mut p = crate::json::Pending::of(&w.record(), &w.asked());
            p.expires = Some(w.expires.clone());
            p.request.stream = Some(w.stream.clone());
            crate::json::print(&p);
        }
        return Ok(Exit::Success);
    }
    if mine.is_empty() {
        println!(
            "nothing waits in the fleet {} that {} may approve",
            fleet.target.display(),
            me.approver()
        );
        return Ok(Exit::Success);
    }
    for w in &mine {
        let rec = w.record();
        println!(
            "{}  {}  {}",
            rec.id,
            crate::ui::printable(&format!("{} on {}", rec.who(), w.stream)),
            crate::quote::line(&rec.command)
        );
        if let Some(gone) = &w.gone {
            println!("    {gone}");
            continue;
        }
        let rules: Vec<&str> = rec
            .rules
            .iter()
            .filter(|r| r.get("decision").and_then(Value::as_str) == Some("ask"))
            .filter_map(|r| r.get("rule").and_then(Value::as_str))
            .collect();
        if !rules.is_empty() {
            println!("    rules    {}", rules.join(", "));
        }
        if let Some(reason) = &rec.reason {
            println!("    reason   {}", crate::ui::printable(reason));
        }
        println!("    cwd      {}", crate::ui::printable(&rec.cwd));
        println!(
            "    approvers {}",
            crate::commands::approve::approvers_line(&w.asked())
        );
        println!("    expires  {}", w.expires);
    }
    println!(
        "\nanswer with `gate approve ID` or `gate deny ID` as {} (a unique prefix of the id is enough)",
        me.approver()
    );
    Ok(Exit::Success)
}

/// `gate approve ID` / `gate deny ID` in a fleet.
pub fn answer(prefix: &str, comment: Option<String>, approve: bool) -> Result<Exit> {
    let mut fleet = Fleet::open_target(super::config::approver_target()?)?;
    let me = Me::of(&mut fleet)?;
    let all = waiting(&mut fleet)?;
    let hits: Vec<&Waiting> = all
        .iter()
        .filter(|w| w.request.starts_with(prefix))
        .collect();
    let w = match hits.as_slice() {
        [one] => *one,
        [] => {
            let found = read::find(&mut fleet, prefix)?;
            return Err(Error::Usage(match found.as_slice() {
                [] => format!(
                    "no request `{}` in the fleet {}: see `gate pending`",
                    crate::ui::printable(prefix),
                    fleet.target.display()
                ),
                [(stream, id), ..] => {
                    let rec = read::record(&mut fleet, stream, id)?;
                    format!(
                        "request {id} (on {stream}) is not waiting for approval (status: {}); see `gate show --fleet {id}`",
                        rec.status.as_str()
                    )
                }
            }));
        }
        _ => {
            return Err(Error::Usage(format!(
                "`{}` matches several waiting requests: give more of the id (see `gate pending`)",
                crate::ui::printable(prefix)
            )));
        }
    };
    let verdict = if approve { "approve" } else { "deny" };
    let ctx = Context::detect(None);
    let refused = crate::commands::approve::not_a_person(&w.record(), &ctx, verdict)
        .or_else(|| me.cannot(w, approve));
    let data = json!({
        "approver": me.approver(),
        "verdict": verdict,
        "comment": comment,
        "refused": refused,
        "os_user": ctx.requester.user,
        "host": ctx.requester.host,
    });
    let text = serde_json::to_string(&data).unwrap_or_default();
    let row = fleet
        .client
        .q_one(
            "SELECT appended_seq FROM gate.vote($1, $2)",
            &[&w.request, &text],
        )
        .map_err(|e| refused_by_fleet(&fleet, &e))?;
    let seq: i64 = row.get(0);
    if let Some(why) = &refused {
        crate::ui::error(&format!("refused: {why}"));
        return Ok(Exit::Denied);
    }
    // Wait briefly for the waiting gate to count the vote, so the person learns whether it did
    // (it records the vote in its own stream once it has shipped).
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let events = read::events_of(&mut fleet, &w.stream, &w.request)?;
        let counted = events.iter().rev().find(|e| {
            e.kind == Kind::Vote.as_str()
                && e.data.get("approver").and_then(Value::as_str) == Some(me.approver().as_str())
        });
        if let Some(e) = counted {
            if let Some(why) = e.data.get("refused").and_then(Value::as_str) {
                crate::ui::error(&format!("refused by the waiting gate: {why}"));
                return Ok(Exit::Denied);
            }
            let settled = events.iter().any(|e| e.kind == Kind::Verdict.as_str());
            println!(
                "{} request {} on {} as {}{}",
                if approve { "approved" } else { "denied" },
                w.request,
                w.stream,
                me.approver(),
                if settled {
                    ""
                } else {
                    " (counted; more approvals are needed)"
                }
            );
            return Ok(Exit::Success);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "{verdict} recorded in the fleet as {} (vote #{seq} of stream {}); the gate waiting on {} counts it",
        me.approver(),
        me.role,
        w.stream
    );
    Ok(Exit::Success)
}

/// What `gate.vote` refused, in words: not an approver (69), no longer waiting (64).
fn refused_by_fleet(fleet: &Fleet, e: &postgres::Error) -> Error {
    if e.code() == Some(&postgres::error::SqlState::NO_DATA_FOUND) {
        return Error::Usage(super::connect::describe(e));
    }
    fleet.err(e)
}
