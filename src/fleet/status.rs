//! `gate fleet status`: every stream this role may see, its head and its newest event.

use serde::Serialize;

use super::Fleet;
use crate::error::Result;
use crate::exit::Exit;

#[derive(Debug, Serialize)]
pub struct Stream {
    pub stream: String,
    pub kind: String,
    /// Events in the stream (its head's seq).
    pub head_seq: i64,
    pub head_hash: String,
    /// The newest event's own time (the host's clock), and when PostgreSQL stored it.
    pub last_event: Option<String>,
    pub last_recorded: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub fleet: String,
    pub role: String,
    pub schema_version: String,
    pub hosts: Vec<Stream>,
}

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
    let status = Status {
        fleet: fleet.target.display(),
        role,
        schema_version: version,
        hosts: streams(&mut fleet)?,
    };
    if json {
        crate::json::print(&crate::json::FleetStatus {
            fleet: status.fleet.clone(),
            role: status.role.clone(),
            schema_version: status.schema_version.clone(),
            hosts: status
                .hosts
                .iter()
                .map(|h| crate::json::FleetStream {
                    stream: h.stream.clone(),
                    kind: h.kind.clone(),
                    head_seq: h.head_seq,
                    head_hash: h.head_hash.clone(),
                    last_event: h.last_event.clone(),
                    last_recorded: h.last_recorded.clone(),
                })
                .collect(),
        });
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
    for h in &status.hosts {
        println!(
            "  {:<24} {:>8} events  head {}  last {}",
            h.stream,
            h.head_seq,
            &h.head_hash[..16.min(h.head_hash.len())],
            h.last_recorded.as_deref().unwrap_or("never")
        );
    }
    Ok(Exit::Success)
}
