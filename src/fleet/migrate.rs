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

use std::ops::ControlFlow;
use std::time::Instant;

use super::Fleet;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::store;

/// Events per `gate.append` call (and transaction).
const BATCH: usize = 1000;

#[derive(Default)]
struct Batch {
    seqs: Vec<i64>,
    requests: Vec<String>,
    times: Vec<String>,
    kinds: Vec<String>,
    datas: Vec<String>,
    hashes: Vec<Vec<u8>>,
}

impl Batch {
    fn len(&self) -> usize {
        self.seqs.len()
    }

    fn send(&mut self, fleet: &mut Fleet) -> Result<()> {
        if self.seqs.is_empty() {
            return Ok(());
        }
        fleet
            .client
            .query(
                "SELECT appended_seq FROM gate.append($1, $2, $3, $4, $5, $6)",
                &[
                    &self.requests,
                    &self.times,
                    &self.kinds,
                    &self.datas,
                    &self.seqs,
                    &self.hashes,
                ],
            )
            .map_err(|e| fleet.err(&e))?;
        *self = Batch::default();
        Ok(())
    }
}

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
    let (stream, head_seq, head_hash): (String, i64, Vec<u8>) = {
        let row = fleet
            .client
            .query_one(
                "SELECT session_user::text, s.head_seq, s.head_hash
                 FROM (SELECT 1) one LEFT JOIN gate.streams s ON s.stream = session_user",
                &[],
            )
            .map_err(|e| fleet.err(&e))?;
        (
            row.get(0),
            row.get::<_, Option<i64>>(1).unwrap_or(0),
            row.get::<_, Option<Vec<u8>>>(2)
                .unwrap_or_else(|| crate::ledger::chain::GENESIS.to_vec()),
        )
    };
    // Where the stream stands must be where the file stood: same event, same hash.
    if head_seq > 0 {
        let at = head_seq.min(file_events);
        let mine = file_hash(&*ledger, at)?;
        let theirs = if at == head_seq {
            Some(head_hash.clone())
        } else {
            fleet
                .client
                .query_opt(
                    "SELECT hash FROM gate.events WHERE stream = session_user AND seq = $1",
                    &[&at],
                )
                .map_err(|e| fleet.err(&e))?
                .map(|r| r.get(0))
        };
        if mine.is_none() || mine != theirs {
            return Err(Error::Ledger {
                path: fleet.target.display(),
                message: format!(
                    "stream {stream} holds another history than {}: its event #{at} differs from the file's; nothing was moved",
                    ledger.location()
                ),
            });
        }
    }
    let limit = max_events.unwrap_or(u64::MAX);
    let mut moved = 0u64;
    let mut batch = Batch::default();
    let mut failed = None;
    let mut hashes_bad = None;
    if head_seq < last_to_move && limit > 0 {
        ledger.each_event(head_seq, &mut |ev| {
            if ev.seq > last_to_move || moved >= limit {
                return ControlFlow::Break(());
            }
            if ev.hash.len() != 32 {
                hashes_bad = Some(ev.seq);
                return ControlFlow::Break(());
            }
            batch.seqs.push(ev.seq);
            batch.requests.push(ev.request.to_string());
            batch.times.push(ev.time.to_string());
            batch.kinds.push(ev.kind.to_string());
            batch.datas.push(ev.data.to_string());
            batch.hashes.push(ev.hash.to_vec());
            moved += 1;
            if batch.len() >= BATCH
                && let Err(e) = batch.send(&mut fleet)
            {
                failed = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        if failed.is_none() {
            batch.send(&mut fleet)?;
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(seq) = hashes_bad {
        return Err(Error::Ledger {
            path: ledger.location(),
            message: format!("event #{seq} has no 32-byte hash"),
        });
    }
    let to = head_seq.max(head_seq + i64::try_from(moved).unwrap_or(i64::MAX));
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

/// The hash the file stores for event `seq`.
fn file_hash(ledger: &dyn store::Store, seq: i64) -> Result<Option<Vec<u8>>> {
    let mut found = None;
    ledger.each_event(seq - 1, &mut |ev| {
        if ev.seq == seq {
            found = Some(ev.hash.to_vec());
        }
        ControlFlow::Break(())
    })?;
    Ok(found)
}
