//! `gate fleet status`: every stream this role may see, its head and its newest event.

use super::Fleet;
use crate::error::Result;
use crate::exit::Exit;
use crate::json::{FleetStatus as Status, FleetStream as Stream};

/// The schema's version, as `gate fleet init` left it.
pub fn schema_version(fleet: &mut Fleet) -> Result<String> {
    let row = fleet
        .client
        .query_one(
            "SELECT value FROM gate.meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(row.get(0))
}

pub fn streams(fleet: &mut Fleet) -> Result<Vec<Stream>> {
    let rows = fleet
        .client
        .query(
            "SELECT stream::text, kind, head_seq, encode(head_hash, 'hex'), head_time,
                    to_char(head_recorded AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
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
        .query_one("SELECT session_user::text", &[])
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
            "  {:<24} {:>8} events  head {}  last {}{}",
            h.stream,
            h.head_seq,
            &h.head_hash[..16.min(h.head_hash.len())],
            h.last_recorded.as_deref().unwrap_or("never"),
            super::policy::drift_note(status.policy_version, h.policy_version)
        );
    }
    Ok(Exit::Success)
}
