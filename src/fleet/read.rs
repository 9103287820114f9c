//! Reading the shared ledger: events as gate's own [`Event`]s, so that `pending`, `show`, `log`
//! and `export` print a fleet's requests exactly as a host's.

use super::typed::Typed;
use std::collections::HashMap;

use serde_json::Value;

use super::Fleet;
use crate::error::{Error, Result};
use crate::ledger::query::Filter;
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
        .q(
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
        .q(
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

/// The requests of every host stream that `filter` accepts, newest first (or oldest), at most
/// `limit`, each with the stream that holds it. Requests are ordered by their own time (the
/// host's clock), then by arrival; pages of [`PAGE`] requests are read with their events in two
/// queries, and `--since`/`--until` are applied by PostgreSQL.
pub fn query(
    fleet: &mut Fleet,
    filter: &Filter,
    newest_first: bool,
    limit: usize,
    each: &mut dyn FnMut(&str, RequestRecord),
) -> Result<()> {
    const PAGE: i64 = 512;
    let (order, past) = if newest_first {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let page_sql = format!(
        "SELECT e.stream::text, e.request, e.time, e.gid FROM gate.events e
         WHERE e.kind = 'request'
           AND e.stream IN (SELECT s.stream FROM gate.streams s WHERE s.kind = 'host')
           AND ($1::text IS NULL OR e.time >= $1)
           AND ($2::text IS NULL OR e.time < $2)
           AND ($3::text IS NULL OR (e.time, e.gid) {past} ($3, $4))
         ORDER BY e.time {order}, e.gid {order} LIMIT {PAGE}"
    );
    let events_sql = format!(
        "SELECT {COLUMNS} FROM gate.events e
         WHERE e.request = ANY($1) AND e.stream::text = ANY($2) ORDER BY e.stream, e.seq"
    );
    let mut after: Option<(String, i64)> = None;
    let mut found = 0;
    loop {
        let (after_time, after_gid) = match &after {
            Some((t, g)) => (Some(t.as_str()), *g),
            None => (None, 0),
        };
        let page: Vec<(String, String, String, i64)> = fleet
            .client
            .q(
                &page_sql,
                &[&filter.since, &filter.until, &after_time, &after_gid],
            )
            .map_err(|e| fleet.err(&e))?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((last.2.clone(), last.3));
        let ids: Vec<&str> = page.iter().map(|p| p.1.as_str()).collect();
        let streams: Vec<&str> = page.iter().map(|p| p.0.as_str()).collect();
        let mut events: HashMap<(String, String), Vec<Event>> = HashMap::new();
        for row in fleet
            .client
            .q(&events_sql, &[&ids, &streams])
            .map_err(|e| fleet.err(&e))?
        {
            let (stream, ev) = event(&row);
            events
                .entry((stream, ev.request.clone()))
                .or_default()
                .push(ev);
        }
        for (stream, request, _, _) in &page {
            let evs = events
                .remove(&(stream.clone(), request.clone()))
                .unwrap_or_default();
            let record = RequestRecord::from_events(request, &evs);
            if filter.accepts(&record) {
                each(stream, record);
                found += 1;
                if found >= limit {
                    return Ok(());
                }
            }
        }
        if (page.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// The one request of the fleet whose id starts with `prefix`: its stream, id and events.
pub fn resolve(fleet: &mut Fleet, prefix: &str) -> Result<(String, String, Vec<Event>)> {
    let found = find(fleet, prefix)?;
    match found.as_slice() {
        [] => Err(Error::Usage(format!(
            "no request `{}` in the fleet {}: see `gate log --fleet`",
            crate::ui::printable(prefix),
            fleet.target.display()
        ))),
        [(stream, id)] => {
            let events = events_of(fleet, stream, id)?;
            Ok((stream.clone(), id.clone(), events))
        }
        _ => Err(Error::Usage(format!(
            "`{}` matches several requests in the fleet: give more of the id",
            crate::ui::printable(prefix)
        ))),
    }
}
