//! Reading the shared ledger: events as gate's own [`Event`]s, so that `pending`, `show`, `log`
//! and `export` print a fleet's requests exactly as a host's.

use serde_json::Value;

use super::Fleet;
use crate::error::Result;
use crate::ledger::{Event, RequestRecord};

const COLUMNS: &str = "e.stream::text, e.seq, e.request, e.time, e.kind, e.data, e.hash";

fn event(row: &postgres::Row) -> (String, Event) {
    let raw: String = row.get(5);
    (
        row.get(0),
        Event {
            seq: row.get(1),
            request: row.get(2),
            time: row.get(3),
            kind: row.get(4),
            data: serde_json::from_str(&raw).unwrap_or(Value::Null),
            hash: row.get(6),
            raw,
        },
    )
}

/// The events of `request` in host stream `stream` (a request lives in the stream of the host
/// that made it), in chain order.
pub fn events_of(fleet: &mut Fleet, stream: &str, request: &str) -> Result<Vec<Event>> {
    let rows = fleet
        .client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM gate.events e WHERE e.stream = $1 AND e.request = $2 ORDER BY e.seq"
            ),
            &[&stream, &request],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(rows.iter().map(|r| event(r).1).collect())
}

/// The host streams that hold a request whose id starts with `prefix`.
pub fn find(fleet: &mut Fleet, prefix: &str) -> Result<Vec<(String, String)>> {
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = fleet
        .client
        .query(
            "SELECT DISTINCT e.stream::text, e.request FROM gate.events e
             JOIN gate.streams s ON s.stream = e.stream AND s.kind = 'host'
             WHERE e.kind = 'request' AND e.request LIKE $1 ORDER BY 2, 1 LIMIT 20",
            &[&pattern],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// One request of the fleet, as a host's ledger would show it.
pub fn record(fleet: &mut Fleet, stream: &str, request: &str) -> Result<RequestRecord> {
    Ok(RequestRecord::from_events(
        request,
        &events_of(fleet, stream, request)?,
    ))
}
