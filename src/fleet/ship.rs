//! Shipping: this host's ledger, the spool, into its stream in the fleet.
//!
//! The hot path stays local. In fleet mode an allowed or denied request (and every hook
//! decision) is recorded exactly as on a single host, in the local SQLite ledger and its
//! intake, which are the spool; no connection is opened. After recording, gate makes sure a
//! shipper runs: `gate fleet ship --background`, started detached (like checkpoint posting)
//! unless one already holds the ship lock. The shipper chains the intake, sends every event
//! after the stream's head with its own seq and hash (PostgreSQL chains them again and refuses
//! any that differ, so the stream is the file's chain, byte for byte), then lingers, looking
//! for new events every [`LOOK`], and exits after [`LINGER`] without any. A request that asks
//! ships synchronously before it waits (see `approve::fleet`).
//!
//! What the shipper found is written to the mark file beside the ledger (`ledger.db.shipped`):
//! the stream's head, the file's head, when it last shipped and why it could not. That is the
//! spool's backlog: a run that finds more than the bound unshipped (PostgreSQL down for long)
//! fails closed with exit 74 and says why, instead of growing the spool without end.

use super::typed::Typed;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::Fleet;
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::ledger::store::{self, Store};

/// Events per `gate.append` call (and transaction).
pub const BATCH: usize = 1000;

/// How often a lingering shipper looks for new events: the ship lag while one runs.
pub const LOOK: Duration = Duration::from_millis(100);

/// How long a shipper lingers without new events before it exits.
pub const LINGER: Duration = Duration::from_secs(30);

/// The spool's bound: unshipped events beyond it make runs fail closed (74). `GATE_FLEET_SPOOL_MAX`
/// changes it outside the protected install.
pub const SPOOL_MAX: u64 = 100_000;

/// Retries back off up to this long while the fleet is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How often the background shipper looks for a newer fleet policy at most.
const FETCH_EVERY: Duration = Duration::from_secs(60);

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
    fn send(&mut self, fleet: &mut Fleet) -> Result<()> {
        if self.seqs.is_empty() {
            return Ok(());
        }
        fleet
            .client
            .q(
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

/// Where a stream stands.
pub struct Head {
    pub stream: String,
    pub seq: i64,
    pub hash: Vec<u8>,
}

/// The head of the session role's stream (seq 0 and the genesis hash when it has none).
pub fn head(fleet: &mut Fleet) -> Result<Head> {
    let row = fleet
        .client
        .q_one(
            "SELECT session_user::text, s.head_seq, s.head_hash
             FROM (SELECT 1) one LEFT JOIN gate.streams s ON s.stream = session_user",
            &[],
        )
        .map_err(|e| fleet.err(&e))?;
    Ok(Head {
        stream: row.get(0),
        seq: row.get::<_, Option<i64>>(1).unwrap_or(0),
        hash: row
            .get::<_, Option<Vec<u8>>>(2)
            .unwrap_or_else(|| crate::ledger::chain::GENESIS.to_vec()),
    })
}

/// What one push moved.
pub struct Pushed {
    pub stream: String,
    /// The stream's head before.
    pub from: i64,
    /// The stream's head after.
    pub to: i64,
    pub moved: u64,
}

/// Send the events of `ledger` after the stream's head, up to `last` and at most `limit`.
/// The stream must hold the file's history: its head event is the file's event of that seq,
/// same hash; else nothing moves.
pub fn push(fleet: &mut Fleet, ledger: &dyn Store, last: i64, limit: u64) -> Result<Pushed> {
    let head = head(fleet)?;
    if head.seq > 0 {
        let at = head.seq.min(last);
        let mine = file_hash(ledger, at)?;
        let theirs = if at == head.seq {
            Some(head.hash.clone())
        } else {
            fleet
                .client
                .q_opt(
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
                    "stream {} holds another history than {}: its event #{at} differs from the file's; nothing was moved (is another ledger shipping as role {}?)",
                    head.stream,
                    ledger.location(),
                    head.stream
                ),
            });
        }
    }
    let mut moved = 0u64;
    let mut batch = Batch::default();
    let mut failed = None;
    let mut hashes_bad = None;
    if head.seq < last && limit > 0 {
        ledger.each_event(head.seq, &mut |ev| {
            if ev.seq > last || moved >= limit {
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
            if batch.seqs.len() >= BATCH
                && let Err(e) = batch.send(fleet)
            {
                failed = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })?;
        if failed.is_none() {
            batch.send(fleet)?;
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
    Ok(Pushed {
        stream: head.stream,
        from: head.seq,
        to: head.seq + i64::try_from(moved).unwrap_or(i64::MAX),
        moved,
    })
}

/// The hash the file stores for event `seq`.
fn file_hash(ledger: &dyn Store, seq: i64) -> Result<Option<Vec<u8>>> {
    let mut found = None;
    ledger.each_event(seq - 1, &mut |ev| {
        if ev.seq == seq {
            found = Some(ev.hash.to_vec());
        }
        ControlFlow::Break(())
    })?;
    Ok(found)
}

/// How often [`ship_now`] starts again after another shipper of this host got in first.
const SHIP_RETRIES: u32 = 5;

/// Ship everything the local ledger holds now (the intake chained first), starting again (up
/// to [`SHIP_RETRIES`] times) when another shipper moved the head meanwhile. Writes the mark.
pub fn ship_now(fleet: &mut Fleet) -> Result<Pushed> {
    let mut ledger = store::open_audit()?;
    crate::pipeline::post_written(ledger.take_written(), None);
    let last = ledger.summary()?.events;
    let mut tries = 0;
    loop {
        match push(fleet, &*ledger, last, u64::MAX) {
            Ok(p) => {
                write_mark(&Mark {
                    stream: Some(p.stream.clone()),
                    shipped: p.to,
                    head: last,
                    at: Some(now_text()),
                    error: None,
                    fleet: Some(fleet.target.display()),
                });
                return Ok(p);
            }
            // Another shipper (the background one, or another ask's on this host) sent the
            // same events first: start again from where the stream is now. Several asks at
            // once can collide more than once; each retry waits a little longer.
            Err(Error::Ledger { .. }) if tries < SHIP_RETRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10 * u64::from(tries)));
            }
            Err(e) => return Err(e),
        }
    }
}

fn now_text() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// What the last shipper found, beside the ledger.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mark {
    /// The stream (the host's role).
    pub stream: Option<String>,
    /// The stream's head: every event up to it is in the fleet.
    pub shipped: i64,
    /// The file's head when the shipper last looked.
    pub head: i64,
    /// When it last shipped.
    pub at: Option<String>,
    /// Why the last attempt failed, when it did.
    pub error: Option<String>,
    pub fleet: Option<String>,
}

impl Mark {
    /// Events in the spool, not yet in the fleet.
    pub fn backlog(&self) -> u64 {
        u64::try_from(self.head - self.shipped).unwrap_or(0)
    }
}

fn ledger_path() -> Result<PathBuf> {
    Ok(PathBuf::from(store::location()?))
}

fn side(suffix: &str) -> Result<PathBuf> {
    let mut p = ledger_path()?.into_os_string();
    p.push(suffix);
    Ok(PathBuf::from(p))
}

pub fn mark_path() -> Result<PathBuf> {
    side(".shipped")
}

fn lock_path() -> Result<PathBuf> {
    side(".ship.lock")
}

/// The mark, or an empty one when no shipper has written it.
pub fn read_mark() -> Mark {
    mark_path()
        .ok()
        .and_then(|p| crate::protected::with_group(|| std::fs::read(p)).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_mark(mark: &Mark) {
    let Ok(path) = mark_path() else { return };
    let tmp = path.with_extension("shipped.tmp");
    let body = serde_json::to_vec(mark).unwrap_or_default();
    crate::protected::with_group(|| {
        use std::os::unix::fs::OpenOptionsExt;
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o660)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&body));
        if written.is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    });
}

/// The spool's bound for this process.
pub fn spool_max() -> u64 {
    if crate::protected::active() {
        return SPOOL_MAX;
    }
    crate::env_vars::text(crate::env_vars::GATE_FLEET_SPOOL_MAX)
        .and_then(|v| v.parse().ok())
        .unwrap_or(SPOOL_MAX)
}

/// In fleet mode, before a request is recorded: the spool must have room. Reads only the mark
/// file (no connection).
pub fn check_spool() -> Result<()> {
    let mark = read_mark();
    let max = spool_max();
    if mark.backlog() > max {
        return Err(Error::Ledger {
            path: mark_path()?.display().to_string(),
            message: format!(
                "the spool holds {} events the fleet{} does not have yet (the bound is {max}): nothing runs until they are shipped{}; run `gate fleet ship` to see why",
                mark.backlog(),
                mark.fleet
                    .as_deref()
                    .map(|f| format!(" at {f}"))
                    .unwrap_or_default(),
                mark.error
                    .as_deref()
                    .map(|e| format!(" (the last attempt: {e})"))
                    .unwrap_or_default()
            ),
        });
    }
    Ok(())
}

/// Take the ship lock without waiting: `None` when another shipper holds it.
fn try_lock() -> Result<Option<Flock<std::fs::File>>> {
    let path = lock_path()?;
    let file = crate::protected::with_group(|| {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o660)
            .open(&path)
    })
    .map_err(|e| Error::Ledger {
        path: path.display().to_string(),
        message: format!("cannot open the ship lock: {e}"),
    })?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(lock)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(Error::Ledger {
            path: path.display().to_string(),
            message: format!("cannot lock: {e}"),
        }),
    }
}

/// After a run recorded its events in fleet mode: start a shipper unless one runs. Costs one
/// `open` and one `flock` when a shipper lingers; nothing waits for the shipper.
pub fn ensure_shipper() {
    match try_lock() {
        Ok(Some(lock)) => {
            drop(lock);
            spawn_shipper();
        }
        Ok(None) => {}
        // The shipper cannot lock either; it will say why when it runs.
        Err(_) => spawn_shipper(),
    }
}

fn spawn_shipper() {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["fleet", "ship", "--background"]);
    use std::os::unix::process::CommandExt;
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    // Not waited for: it outlives gate, and init reaps it.
    drop(cmd.spawn());
}

/// The file's head now, and the size of what waits in its intake: changes mean new events.
fn local_state(path: &Path) -> (u64, Option<SystemTime>, Option<SystemTime>) {
    let intake = crate::ledger::intake::waiting_bytes(path);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    (intake, modified(path), modified(Path::new(&wal)))
}

/// `gate fleet ship`: ship now and say what moved. `--background`: the detached shipper, which
/// holds the lock, ships, lingers for new events and exits after [`LINGER`] without any (also
/// while the fleet cannot be reached: it never lives on without new events).
pub fn ship(background: bool, json: bool) -> Result<Exit> {
    if !store::exists()? {
        if !background {
            println!("no ledger at {}: nothing to ship", store::location()?);
        }
        return Ok(Exit::Success);
    }
    if !background {
        let mut fleet = match Fleet::open() {
            Ok(f) => f,
            Err(e) => {
                note_failure(&e);
                return Err(e);
            }
        };
        let started = Instant::now();
        let pushed = match ship_now(&mut fleet) {
            Ok(p) => p,
            Err(e) => {
                note_failure(&e);
                return Err(e);
            }
        };
        let out = crate::json::Shipped {
            ledger: store::location()?,
            fleet: fleet.target.display(),
            stream: pushed.stream.clone(),
            from: pushed.from,
            to: pushed.to,
            moved: pushed.moved,
            ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if json {
            crate::json::print(&out);
        } else if out.moved == 0 {
            println!(
                "nothing to ship: stream {} holds all {} events of {}",
                out.stream, out.to, out.ledger
            );
        } else {
            println!(
                "shipped {} events (#{}..#{}) of {} to stream {} on {} in {} ms",
                out.moved,
                out.from + 1,
                out.to,
                out.ledger,
                out.stream,
                out.fleet,
                out.ms
            );
        }
        return Ok(Exit::Success);
    }
    let Some(lock) = try_lock()? else {
        return Ok(Exit::Success);
    };
    let path = ledger_path()?;
    let mut fleet: Option<Fleet> = None;
    let mut last_change = Instant::now();
    let mut seen = None;
    let mut backoff = Duration::from_millis(250);
    let mut retry_at = Instant::now();
    let mut pending = true;
    let mut last_seal: Option<Instant> = None;
    let mut last_fetch: Option<Instant> = None;
    loop {
        let state = local_state(&path);
        if seen.as_ref() != Some(&state) {
            seen = Some(state);
            pending = true;
            last_change = Instant::now();
        }
        if pending && Instant::now() >= retry_at {
            let result = match fleet.as_mut() {
                Some(f) => ship_now(f),
                None => Fleet::open().and_then(|mut f| {
                    let r = ship_now(&mut f);
                    fleet = Some(f);
                    r
                }),
            };
            match result {
                Ok(pushed) => {
                    backoff = Duration::from_millis(250);
                    // What shipping itself changed (the intake chained) is not new; what a run
                    // recorded while this shipped is (the ledger is past what was shipped, or
                    // its intake holds more): ship again at once.
                    seen = Some(local_state(&path));
                    pending = crate::ledger::intake::waiting_bytes(&path) > 0
                        || store::open_audit()
                            .and_then(|l| l.summary())
                            .is_ok_and(|s| s.events > pushed.to);
                    // A newer fleet policy, where this host pins a key: at the start and
                    // then at most once a minute.
                    if last_fetch.is_none_or(|t: Instant| t.elapsed() >= FETCH_EVERY)
                        && let Some(f) = fleet.as_mut()
                    {
                        last_fetch = Some(Instant::now());
                        let _ = super::policy::fetch_quietly(f);
                    }
                    // Then a seal over all heads, at the fleet's pace (a failed seal is
                    // asked for again after the next ship).
                    if let Some(every) = super::seal::every()
                        && last_seal.is_none_or(|t: Instant| t.elapsed() >= every)
                        && let Some(f) = fleet.as_mut()
                        && super::seal::seal(f, every).is_ok()
                    {
                        last_seal = Some(Instant::now());
                    }
                }
                Err(e) => {
                    note_failure(&e);
                    fleet = None;
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        // Idle (or failing) with nothing new for a while: exit. What is left waits in the
        // spool for the shipper the next run starts, or `gate fleet ship`.
        if last_change.elapsed() >= LINGER {
            break;
        }
        std::thread::sleep(LOOK);
    }
    // Let go, then look once more: a run that found the lock held just before this let go
    // recorded its events before looking, so they are seen here or by the shipper it starts.
    drop(lock);
    if seen.as_ref() != Some(&local_state(&path)) {
        ensure_shipper();
    }
    Ok(Exit::Success)
}

/// Put why shipping failed in the mark, keeping what it knew.
fn note_failure(e: &Error) {
    let mut mark = read_mark();
    if let Ok(ledger) = store::open_read()
        && let Ok(summary) = ledger.summary()
    {
        mark.head = summary.events;
    }
    mark.error = Some(e.to_string());
    write_mark(&mark);
}
