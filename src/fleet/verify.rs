//! `gate verify --fleet`: every stream's chain walked from its first event, with the checker
//! the SQLite ledger uses (so the same event fails the same way in both), and each stream's
//! head compared with its newest event.

use super::typed::Typed;
use std::ops::ControlFlow;

use colored::Colorize;
use postgres::fallible_iterator::FallibleIterator;

use super::Fleet;
use crate::error::Result;
use crate::exit::Exit;
use crate::json::FleetStreamReport as StreamReport;
use crate::ledger::chain::{self, Broken, EventRef};

/// Walk one stream.
pub fn stream(
    fleet: &mut Fleet,
    name: &str,
    head_seq: i64,
    head_hash: &[u8],
) -> Result<StreamReport> {
    let mut checker = chain::Checker::default().with_end(head_seq);
    let mut rows = fleet
        .client
        .query_typed_raw(
            "SELECT seq, request, time, kind, data, hash FROM gate.events WHERE stream = $1 ORDER BY seq",
            [(name, postgres::types::Type::TEXT)],
        )
        .map_err(|e| super::error(&fleet.target, &e))?;
    let mut last: Option<(i64, Vec<u8>)> = None;
    let mut failed = None;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let ev = EventRef {
            seq: row.get(0),
            request: row.get(1),
            time: row.get(2),
            kind: row.get(3),
            data: row.get(4),
            hash: row.get(5),
        };
        last = Some((ev.seq, ev.hash.to_vec()));
        if checker.feed_ref(&ev) == ControlFlow::Break(()) {
            break;
        }
    }
    drop(rows);
    if let Some(e) = failed {
        return Err(fleet.err(&e));
    }
    let report = checker.finish();
    let mut first_broken = report.first_broken;
    if first_broken.is_none() {
        // The chain holds; the head must be its last event.
        let (seq, hash) = last.unwrap_or((0, chain::GENESIS.to_vec()));
        if seq != head_seq || hash != head_hash {
            first_broken = Some(Broken {
                seq: seq + 1,
                request: String::new(),
                problem: if seq < head_seq {
                    format!(
                        "the stream's head says #{head_seq} but its events end at #{seq}: the newest events were removed"
                    )
                } else {
                    format!(
                        "the stream's head (#{head_seq}) is not its newest event (#{seq}): the head was rewritten"
                    )
                },
            });
        }
    }
    Ok(StreamReport {
        stream: name.to_string(),
        ok: first_broken.is_none(),
        events: report.events,
        head: report.head,
        first_broken: first_broken.as_ref().map(crate::json::Broken::from),
    })
}

pub fn verify(json: bool) -> Result<Exit> {
    let mut fleet = Fleet::open()?;
    let heads: Vec<(String, i64, Vec<u8>)> = fleet
        .client
        .q(
            "SELECT stream::text, head_seq, head_hash FROM gate.streams ORDER BY stream",
            &[],
        )
        .map_err(|e| fleet.err(&e))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut reports = Vec::new();
    for (name, seq, hash) in &heads {
        reports.push(stream(&mut fleet, name, *seq, hash)?);
    }
    let seals = super::seal::check(&mut fleet)?;
    let ok = reports.iter().all(|r| r.ok) && seals.first_broken.is_none();
    if json {
        crate::json::print(&crate::json::FleetVerify {
            ok,
            fleet: fleet.target.display(),
            streams: reports,
            seals: crate::json::FleetSealsReport {
                readable: seals.readable,
                checked: seals.checked,
                newest: seals.newest,
                first_broken: seals
                    .first_broken
                    .map(|(n, problem)| crate::json::FleetSealBroken { n, problem }),
            },
        });
    } else {
        use crate::ui::Paint;
        for r in &reports {
            match &r.first_broken {
                Some(b) => {
                    let request = if b.request.is_empty() {
                        String::new()
                    } else {
                        format!(" (request {})", b.request)
                    };
                    println!(
                        "{} stream {}: the chain breaks at event #{}{request}: {}",
                        Paint::stdout().paint("BROKEN:", |s| s.red().bold()),
                        r.stream,
                        b.seq,
                        b.problem
                    );
                }
                None => println!(
                    "{} stream {}: {} events, chain intact (head {})",
                    Paint::stdout().paint("ok:", |s| s.green().bold()),
                    r.stream,
                    r.events,
                    &r.head[..16.min(r.head.len())]
                ),
            }
        }
        match (&seals.first_broken, seals.newest) {
            (Some((n, problem)), _) => println!(
                "{} seal #{n}: {problem}",
                Paint::stdout().paint("BROKEN:", |s| s.red().bold())
            ),
            (None, Some(newest)) => println!(
                "{} {} seals over all heads hold (newest #{newest})",
                Paint::stdout().paint("ok:", |s| s.green().bold()),
                seals.checked
            ),
            (None, None) if !seals.readable => println!(
                "note: the seals over all heads were not checked: role {} may not read them (an auditor's role does)",
                fleet.target.user
            ),
            (None, None) => {}
        }
        if reports.is_empty() {
            println!(
                "ok: the fleet at {} holds no stream yet",
                fleet.target.display()
            );
        }
    }
    Ok(if ok { Exit::Success } else { Exit::Failure })
}
