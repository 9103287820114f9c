//! `gate ledger migrate`: this host's SQLite ledger into its stream in the fleet, every event
//! with its own seq and hash.
//!
//! The intake is chained first and the whole chain verified (seals and checkpoints included); a
//! broken chain is refused, or with `--accept-broken` moved up to the event before its first
//! break (the events from there on cannot keep their hashes, so they stay in the file only).
//! Events go in batches, each one call of `gate.append` (one transaction) that says which seq
//! and hash every event must have: PostgreSQL chains them again with its own `sha256()` and
//! refuses any that differ. A rerun starts after the stream's head once the file's event there
//! has the head's hash: an interrupted run is finished, a finished one is a no-op. The SQLite
//! file is left as it was.

use std::time::Instant;

use super::Fleet;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::store;

pub fn migrate(accept_broken: bool, max_events: Option<u64>, json: bool) -> Result<Exit> {
    let started = Instant::now();
    if !store::exists()? {
        return Err(Error::NotFound(format!(
            "no ledger at {}: nothing to migrate (set GATE_LEDGER to migrate another)",
            store::location()?
        )));
    }
    let mut ledger = store::open_audit()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    let report = ledger.verify()?;
    let file_events = ledger.summary()?.events;
    let mut last_to_move = file_events;
    let mut broken_at = None;
    if let Some(b) = &report.first_broken {
        if !accept_broken {
            println!(
                "refused: the ledger {} breaks at event #{}: {} (`gate verify` says more; `--accept-broken` moves the events before it)",
                ledger.location(),
                b.seq,
                b.problem
            );
            return Ok(Exit::Failure);
        }
        broken_at = Some(b.seq);
        last_to_move = b.seq - 1;
    }
    let mut fleet = Fleet::open()?;
    let limit = max_events.unwrap_or(u64::MAX);
    let pushed = super::ship::push(&mut fleet, &*ledger, last_to_move, limit)?;
    let (stream, head_seq, moved, to) = (pushed.stream, pushed.from, pushed.moved, pushed.to);
    let out = crate::json::Migrated {
        ledger: ledger.location(),
        fleet: fleet.target.display(),
        stream,
        file_events,
        from: head_seq,
        to,
        moved,
        incomplete: to < last_to_move,
        broken_at,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    if json {
        crate::json::print(&out);
    } else if moved == 0 && !out.incomplete {
        println!(
            "nothing to move: stream {} already holds the {} events of {} (the file is left as it is)",
            out.stream, out.to, out.ledger
        );
    } else {
        println!(
            "moved {} events (#{}..#{}) of {} into stream {} on {}, hashes unchanged, in {} ms{}",
            out.moved,
            out.from + 1,
            out.to,
            out.ledger,
            out.stream,
            out.fleet,
            out.ms,
            if out.incomplete {
                format!("; {} more to move: run it again", last_to_move - out.to)
            } else {
                String::new()
            }
        );
    }
    if let Some(seq) = broken_at {
        println!(
            "warning: the ledger breaks at event #{seq}: it and the events after it stay in the file only"
        );
    }
    Ok(Exit::Success)
}
