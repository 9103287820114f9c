//! `gate fleet status`: every stream this role may see, its head and its newest event.

use super::Fleet;
use super::typed::Typed;
use crate::error::Result;
use crate::exit::Exit;
use crate::json::{FleetStatus as Status, FleetStream as Stream};

/// The schema's version, as `gate fleet init` left it.
pub fn schema_version(fleet: &mut Fleet) -> Result<String> {
    let row = fleet
        .client
        .q_one(
            "SELECT value FROM gate.meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(row.get(0))
}

pub fn streams(fleet: &mut Fleet) -> Result<Vec<Stream>> {
    let rows = fleet
        .client
        .q(
            "SELECT stream::text, kind, head_seq, encode(head_hash, 'hex'), head_time,
                    gate.time_text(head_recorded)
             FROM gate.streams ORDER BY stream",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(rows
        .iter()
        .map(|r| Stream {
            stream: r.get(0),
            kind: r.get(1),
            head_seq: r.get(2),
            head_hash: r.get(3),
            last_event: r.get(4),
            last_recorded: r.get(5),
            policy_version: None,
        })
        .collect())
}

pub fn status(json: bool) -> Result<Exit> {
    let mut fleet = Fleet::open()?;
    let version = schema_version(&mut fleet)?;
    let role: String = fleet
        .client
        .q_one("SELECT session_user::text", &[])
        .map_err(|e| fleet.err(&e))?
        .get(0);
    let mut hosts = streams(&mut fleet)?;
    let policies = super::policy::host_versions(&mut fleet)?;
    for h in &mut hosts {
        h.policy_version = policies.get(&h.stream).copied();
    }
    let status = Status {
        fleet: fleet.target.display(),
        role,
        schema_version: version,
        policy_version: super::policy::newest_version(&mut fleet)?,
        hosts,
        spool: spool()?,
        newest_seal: newest_seal(&mut fleet),
        relays: relays(&mut fleet),
        unserved: unserved(&mut fleet),
    };
    if json {
        crate::json::print(&status);
        return Ok(Exit::Success);
    }
    println!(
        "fleet {} (schema version {}), as {}: {} host stream{}",
        status.fleet,
        status.schema_version,
        status.role,
        status.hosts.len(),
        if status.hosts.len() == 1 { "" } else { "s" }
    );
    super::policy::print_drift(&status);
    for h in &status.hosts {
        println!(
            "  {:<24} {:<6} {:>8} events  head {}  last {}{}",
            h.stream,
            h.kind,
            h.head_seq,
            &h.head_hash[..16.min(h.head_hash.len())],
            h.last_recorded.as_deref().unwrap_or("never"),
            super::policy::drift_note(status.policy_version, h.policy_version)
        );
    }
    if let Some(s) = &status.newest_seal {
        println!(
            "newest seal #{} over {} streams at {}: {}",
            s.n, s.streams, s.at, s.hash
        );
    }
    for r in status.relays.iter().flatten() {
        println!(
            "relay {}: {} cards posted, {} open, last posted {}",
            r.relay,
            r.posted,
            r.open,
            r.last_posted.as_deref().unwrap_or("never")
        );
    }
    if let Some(n) = status.unserved.filter(|n| *n > 0) {
        println!(
            "warning: {n} request{} waited on Slack for over 10 s with no card posted: is `gate slack serve` running, and can it reach Slack?",
            if n == 1 { "" } else { "s" }
        );
    }
    if let Some(s) = &status.spool {
        println!(
            "this host's spool {}: {} events, {} shipped, backlog {} of at most {}; last shipped {}{}",
            s.ledger,
            s.head,
            s.shipped,
            s.backlog,
            s.max,
            s.last_shipped.as_deref().unwrap_or("never"),
            s.error
                .as_deref()
                .map(|e| format!("; the last attempt failed: {e}"))
                .unwrap_or_default()
        );
    }
    Ok(Exit::Success)
}

/// This host's spool, when it has shipped (or tried to) from here.
fn spool() -> Result<Option<crate::json::FleetSpool>> {
    let mark = super::ship::read_mark();
    if mark.stream.is_none() && mark.error.is_none() {
        return Ok(None);
    }
    Ok(Some(crate::json::FleetSpool {
        ledger: crate::ledger::store::location()?,
        stream: mark.stream.clone(),
        head: mark.head,
        shipped: mark.shipped,
        backlog: mark.backlog(),
        max: super::ship::spool_max(),
        last_shipped: mark.at.clone(),
        error: mark.error.clone(),
    }))
}

/// The newest seal, where this role may read the seals.
fn newest_seal(fleet: &mut Fleet) -> Option<crate::json::FleetSealSummary> {
    let row = fleet
        .client
        .q_opt(
            "SELECT n, encode(hash, 'hex'), gate.time_text(at),
                    (SELECT count(*) FROM jsonb_object_keys(heads))
             FROM gate.seals ORDER BY n DESC LIMIT 1",
            &[],
        )
        .ok()??;
    Some(crate::json::FleetSealSummary {
        n: row.get(0),
        hash: row.get(1),
        at: row.get(2),
        streams: usize::try_from(row.get::<_, i64>(3)).unwrap_or(0),
    })
}

/// The relays, by the cards they posted (where this role may read the cards).
fn relays(fleet: &mut Fleet) -> Option<Vec<crate::json::FleetRelay>> {
    let rows = fleet
        .client
        .q(
            "SELECT c.relay::text, count(*) FILTER (WHERE c.posted IS NOT NULL),
                    count(*) FILTER (WHERE c.posted IS NOT NULL AND c.closed IS NULL),
                    gate.time_text(max(c.posted))
             FROM gate.slack_cards c GROUP BY c.relay ORDER BY 1",
            &[],
        )
        .ok()?;
    Some(
        rows.iter()
            .map(|r| crate::json::FleetRelay {
                relay: r.get(0),
                posted: r.get(1),
                open: r.get(2),
                last_posted: r.get(3),
            })
            .collect(),
    )
}

/// Live waits on Slack older than 10 s whose card no relay posted.
fn unserved(fleet: &mut Fleet) -> Option<i64> {
    let row = fleet
        .client
        .q_one(
            "SELECT count(*) FROM gate.waits w
             WHERE gate.live(w) AND 'slack' = ANY (w.channels) AND w.opened < now() - interval '10 seconds'
               AND NOT EXISTS (SELECT 1 FROM gate.slack_cards c WHERE c.request = w.request AND c.posted IS NOT NULL)",
            &[],
        )
        .ok()?;
    Some(row.get(0))
}
