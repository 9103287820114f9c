//! The ledger as the rest of gate sees it.
//!
//! Everything outside `ledger/` that records or reads events goes through a [`Store`], opened
//! with [`open`] / [`open_read`] / [`open_audit`], which find the ledger themselves: no caller
//! handles a path, a key, the hook's intake or the checkpoint files. [`Sqlite`] (one SQLite file
//! per user, its intake, key and checkpoints beside it) is the only backend today. A shared
//! backend for fleets of machines (PostgreSQL) implements this trait and is chosen in the
//! `open` functions; the request pipeline, the hooks, the approval channels and the audit
//! commands do not change. What a backend must guarantee is in each method's contract: appends
//! are atomic and chained in order across concurrent writers, and nothing is ever updated or
//! deleted.

use std::cell::OnceCell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::{Decide, Event, Ledger, NewEvent, RequestRecord, chain, checkpoint, intake, keyed};
use super::{posting, query, seal};
use crate::error::{Error, Result};
use crate::policy::SyncMode;

/// What an append did besides storing its events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct Appended {
    /// A checkpoint (the chain head, kept outside the ledger) was written: it should be posted
    /// where the policy says (`gate checkpoints post`).
    pub checkpoint: bool,
}

impl Appended {
    pub fn and(self, other: Appended) -> Appended {
        Appended {
            checkpoint: self.checkpoint || other.checkpoint,
        }
    }
}

/// The newest event, as [`Summary`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEvent {
    pub seq: i64,
    pub time: String,
    pub kind: String,
}

/// What `gate doctor` reports of a ledger, read without walking it. Sizes a backend does not
/// have (a server's database has no WAL file beside it) are 0.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The database's own size in bytes.
    pub bytes: u64,
    /// The write-ahead log's size in bytes.
    pub wal_bytes: u64,
    /// The newest event's number: the number of events, while the chain is intact.
    pub events: i64,
    pub last: Option<LastEvent>,
    /// SQLite's journal mode (`wal`).
    pub journal_mode: String,
    /// Whether a writer can write the database (else every run fails with exit 74).
    pub writable: bool,
    /// The database file's permission bits.
    pub mode: u32,
    /// Bytes of allowed and denied decisions waiting in the intake when the ledger was opened
    /// (opening for reading chains them).
    pub intake_found: u64,
    /// Bytes still waiting, not chained: opening could not chain them.
    pub intake_waiting: u64,
    /// Why writers stopped using the intake: a writer could not open the ledger with decisions
    /// waiting (they open the ledger themselves, and fail with that error, until one can).
    pub intake_blocked: Option<String>,
}

pub trait Store {
    /// Where the ledger lives, for messages (a file path here; a URL for a network backend).
    fn location(&self) -> String;

    /// The time events are stamped with, expiries and reuse windows are measured by (a shared
    /// backend uses its server's clock).
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Append these events in one atomic step, each chained to the previous event of the
    /// whole ledger (not just this writer's), or none of them.
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<Appended>;

    /// [`Store::append`] for the events of a request nobody waits on (allowed or denied, and
    /// an allowed command's outcome): a backend may record them through a quicker path (SQLite:
    /// the intake, see `ledger::intake`) as long as they are as durable, reach the chain in
    /// order before anything recorded after them, and cannot be altered unseen meanwhile.
    fn append_decided(&mut self, events: &[NewEvent<'_>]) -> Result<Appended> {
        self.append(events)
    }

    /// Append what `decide` returns, in one atomic step with its look at the events of
    /// `request`: no other writer's event lands in between, so what `decide` checked still
    /// holds. The events as stored.
    fn append_checked(
        &mut self,
        request: &str,
        decide: &mut Decide<'_>,
    ) -> Result<(Vec<Event>, Appended)>;

    /// Checkpoints written by this handle that no append reported: while opening, by chaining
    /// what waited in the hook's intake (a reader does that too). Reported once.
    fn take_written(&mut self) -> Appended;

    /// `hmac-sha256:<hex>`: the keyed hash of an exact argv (the key never leaves the store).
    fn argv_hmac(&self, argv: &[OsString]) -> Result<String>;

    /// Whether `argv` is the command line recorded as `recorded` (an [`Store::argv_hmac`]).
    fn argv_matches(&self, argv: &[OsString], recorded: &str) -> Result<bool>;

    /// Whether `ev`, of a kind in [`seal::KINDS`], was written by gate (`Ok(Err(..))` when
    /// not; `Err` when this cannot be told).
    fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>>;

    /// Every event of one request, in ledger order.
    fn events_of(&self, request: &str) -> Result<Vec<Event>>;

    /// The events of one request after `seq`.
    fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>>;

    /// Wait up to `patience` for events of `request` after `seq`, and return them (none when
    /// `patience` ran out or `stop` turned true). SQLite polls; a server backend can listen.
    fn wait_events(
        &self,
        request: &str,
        seq: i64,
        patience: Duration,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<Event>> {
        let end = Instant::now() + patience;
        loop {
            let got = self.events_after(request, seq)?;
            if !got.is_empty() || stop() {
                return Ok(got);
            }
            let now = Instant::now();
            if now >= end {
                return Ok(got);
            }
            std::thread::sleep((end - now).min(POLL));
        }
    }

    /// Another handle on the same ledger, for reading from another thread (an approval
    /// channel waiting for votes).
    fn reader(&self) -> Result<Box<dyn Store + Send>>;

    /// Another handle on the same ledger, for appending from another thread (an approval
    /// channel recording what reached it for another request). Opened on its first write.
    fn writer(&self) -> Result<Box<dyn Store + Send>>;

    /// Requests waiting for a local approval, with their approval request event's data.
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>>;

    /// Requests waiting on the named channel.
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>>;

    /// The full id of the one request whose id starts with `prefix`.
    fn resolve_id(&self, prefix: &str) -> Result<String>;

    /// Walk the whole chain (and the checkpoints) and report the first broken event.
    fn verify(&self) -> Result<chain::Report>;

    /// [`Store::verify`] of the newest `events` events only, trusting the stored hash of the
    /// one before them: a quick look at a ledger too large to walk in a moment.
    fn verify_recent(&self, events: u64) -> Result<chain::Report>;

    /// Sizes, the newest event, and the state of the intake, without walking the chain.
    fn summary(&self) -> Result<Summary>;

    /// Requests that pass `filter`, newest first (or oldest first), at most `limit`.
    fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        each: &mut dyn FnMut(RequestRecord),
    ) -> Result<()>;

    /// Every checkpoint written, by ascending seq.
    fn checkpoints(&self) -> Result<Vec<(i64, Vec<u8>)>>;

    /// Every event after seq `after`, in chain order and exactly as stored (what is hashed),
    /// until `each` breaks: for `gate ledger migrate`, which moves events with their hashes.
    fn each_event(
        &self,
        after: i64,
        each: &mut dyn FnMut(&chain::EventRef<'_>) -> std::ops::ControlFlow<()>,
    ) -> Result<()>;

    /// What each destination has been sent of the checkpoints, held for one poster at a time:
    /// `None` when another poster holds it and `wait` is false; with `wait`, wait for it (for
    /// a while, then fail).
    fn posting(&self, wait: bool) -> Result<Option<Box<dyn posting::Posted>>>;
}

/// How often a waiting reader looks again.
const POLL: Duration = Duration::from_millis(50);

/// The SQLite file's path, from the environment (see [`crate::env_vars::ledger_path`]).
fn path() -> Result<PathBuf> {
    crate::env_vars::ledger_path().ok_or_else(|| {
        Error::Config("cannot find the ledger: set HOME, XDG_DATA_HOME or GATE_LEDGER".into())
    })
}

/// Where the ledger is, for messages, without opening it.
pub fn location() -> Result<String> {
    Ok(path()?.display().to_string())
}

/// Whether the ledger holds anything yet (readers say "nothing has run" instead of failing).
pub fn exists() -> Result<bool> {
    let path = path()?;
    Ok(crate::protected::with_group(|| {
        path.exists() || intake::waiting_bytes(&path) > 0
    }))
}

/// Open the ledger for writing (it is created on the first write). Nothing is opened until
/// the first call that needs it.
pub fn open(sync: SyncMode) -> Result<Box<dyn Store>> {
    Ok(Box::new(Sqlite::new(path()?, sync)))
}

/// Open an existing ledger for reading.
pub fn open_read() -> Result<Box<dyn Store>> {
    let path = path()?;
    let (waiting, ledger) =
        crate::protected::with_group(|| (intake::waiting_bytes(&path), Ledger::open_read(&path)));
    let ledger = ledger?;
    Ok(Box::new(Sqlite::opened(
        path,
        SyncMode::Normal,
        ledger,
        waiting,
    )))
}

/// Open an existing ledger for `gate verify`: as [`open_read`], once whatever was left for it
/// to chain (the hook's intake) has been checked against it, whatever it holds.
pub fn open_audit() -> Result<Box<dyn Store>> {
    let path = path()?;
    let (waiting, ledger) =
        crate::protected::with_group(|| (intake::waiting_bytes(&path), Ledger::open_audit(&path)));
    let ledger = ledger?;
    Ok(Box::new(Sqlite::opened(
        path,
        SyncMode::Normal,
        ledger,
        waiting,
    )))
}

/// The SQLite backend: the database file and, beside it, the key, the hook's intake and the
/// checkpoints. The database is opened when first needed; an allowed or denied request whose
/// events can go to the intake never opens it.
pub struct Sqlite {
    path: PathBuf,
    sync: SyncMode,
    ledger: OnceCell<Ledger>,
    key: OnceCell<Vec<u8>>,
    /// Whether the database is a writable SQLite file and no writer was refused by it (checked
    /// once a process: see [`Sqlite::intake_will_do`]).
    intake_usable: OnceCell<bool>,
    /// Bytes waiting in the intake when a reader opened the ledger (and chained them).
    intake_at_open: Option<u64>,
}

impl Sqlite {
    fn new(path: PathBuf, sync: SyncMode) -> Self {
        Sqlite {
            path,
            sync,
            ledger: OnceCell::new(),
            key: OnceCell::new(),
            intake_usable: OnceCell::new(),
            intake_at_open: None,
        }
    }

    fn opened(path: PathBuf, sync: SyncMode, ledger: Ledger, intake_at_open: u64) -> Self {
        let mut s = Sqlite::new(path, sync);
        let _ = s.ledger.set(ledger);
        s.intake_at_open = Some(intake_at_open);
        s
    }

    fn ledger(&self) -> Result<&Ledger> {
        if let Some(l) = self.ledger.get() {
            return Ok(l);
        }
        let l = Ledger::open(&self.path, self.sync)?;
        Ok(self.ledger.get_or_init(|| l))
    }

    fn ledger_mut(&mut self) -> Result<&mut Ledger> {
        self.ledger()?;
        Ok(self.ledger.get_mut().expect("opened just now"))
    }

    fn key(&self) -> Result<&[u8]> {
        if let Some(k) = self.key.get() {
            return Ok(k);
        }
        if self.ledger.get().is_none() && !self.path.exists() {
            // A first run: the ledger (and its private directory) comes first.
            self.ledger()?;
        }
        let k = keyed::load_key(&self.path)?;
        Ok(self.key.get_or_init(|| k))
    }

    /// Whether these events may go to the intake: the database is not open in this process
    /// yet, it is a regular SQLite file its owner may write (anything else takes the slow path,
    /// which opens it and fails closed there), the intake is short and no writer last failed
    /// to open the database with decisions waiting.
    fn intake_will_do(&self) -> bool {
        self.ledger.get().is_none()
            && *self
                .intake_usable
                .get_or_init(|| is_writable_sqlite_file(&self.path) && !intake::blocked(&self.path))
            && intake::waiting_bytes(&self.path) < intake::FOLD_AT
    }

    fn appended(&mut self) -> Appended {
        Appended {
            checkpoint: self.ledger.get_mut().is_some_and(Ledger::take_checkpoint),
        }
    }
}

impl Store for Sqlite {
    fn location(&self) -> String {
        self.path.display().to_string()
    }
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<Appended> {
        crate::protected::with_group(|| {
            self.ledger_mut()?.append(events)?;
            Ok(self.appended())
        })
    }
    fn append_decided(&mut self, events: &[NewEvent<'_>]) -> Result<Appended> {
        crate::protected::with_group(|| {
            if !self.intake_will_do() {
                return self.append(events);
            }
            let key = self.key()?.to_vec();
            intake::append(&self.path, &key, events, self.sync)?;
            Ok(Appended::default())
        })
    }
    fn append_checked(
        &mut self,
        request: &str,
        decide: &mut Decide<'_>,
    ) -> Result<(Vec<Event>, Appended)> {
        crate::protected::with_group(|| {
            let events = self.ledger_mut()?.append_checked(request, decide)?;
            Ok((events, self.appended()))
        })
    }
    fn take_written(&mut self) -> Appended {
        self.appended()
    }
    fn argv_hmac(&self, argv: &[OsString]) -> Result<String> {
        crate::protected::with_group(|| Ok(keyed::argv_hmac_with(self.key()?, argv)))
    }
    fn argv_matches(&self, argv: &[OsString], recorded: &str) -> Result<bool> {
        crate::protected::with_group(|| Ok(keyed::matches(self.key()?, argv, recorded)))
    }
    fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>> {
        crate::protected::with_group(|| self.ledger()?.check_seal(ev))
    }
    fn events_of(&self, request: &str) -> Result<Vec<Event>> {
        let events = crate::protected::with_group(|| self.ledger()?.events_of(request))?;
        if let Some(viewer) = crate::protected::viewer()
            && !events.is_empty()
            && !viewer.may_see(&RequestRecord::from_events(request, &events))
        {
            return Err(Error::NotFound(format!(
                "request {request} is not yours to see: in the protected install a user sees their own requests and those they may approve"
            )));
        }
        Ok(events)
    }
    fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>> {
        crate::protected::with_group(|| self.ledger()?.events_after(request, seq))
    }
    fn writer(&self) -> Result<Box<dyn Store + Send>> {
        Ok(Box::new(Sqlite::new(self.path.clone(), self.sync)))
    }
    fn reader(&self) -> Result<Box<dyn Store + Send>> {
        crate::protected::with_group(|| {
            let waiting = intake::waiting_bytes(&self.path);
            let ledger = Ledger::open_read(&self.path)?;
            Ok(Box::new(Sqlite::opened(
                self.path.clone(),
                self.sync,
                ledger,
                waiting,
            )) as Box<dyn Store + Send>)
        })
    }
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>> {
        let mut all = crate::protected::with_group(|| self.ledger()?.pending())?;
        if let Some(viewer) = crate::protected::viewer() {
            all.retain(|(r, _)| viewer.may_see(r));
        }
        Ok(all)
    }
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>> {
        let mut all = crate::protected::with_group(|| self.ledger()?.waiting(channel))?;
        if let Some(viewer) = crate::protected::viewer() {
            all.retain(|(r, _)| viewer.may_see(r));
        }
        Ok(all)
    }
    fn resolve_id(&self, prefix: &str) -> Result<String> {
        crate::protected::with_group(|| self.ledger()?.resolve_id(prefix))
    }
    fn verify(&self) -> Result<chain::Report> {
        crate::protected::with_group(|| {
            let mut report = self.ledger()?.verify()?;
            if report.seals_unchecked > 0 {
                report.key = Some(keyed::key_path(&self.path).display().to_string());
            }
            Ok(report)
        })
    }
    fn verify_recent(&self, events: u64) -> Result<chain::Report> {
        crate::protected::with_group(|| {
            let ledger = self.ledger()?;
            let end = ledger.last_event()?.map_or(0, |last| last.seq);
            let start = end.saturating_sub(i64::try_from(events).unwrap_or(i64::MAX));
            let mut report = ledger.verify_after(start.max(0))?;
            if report.seals_unchecked > 0 {
                report.key = Some(keyed::key_path(&self.path).display().to_string());
            }
            Ok(report)
        })
    }
    fn summary(&self) -> Result<Summary> {
        crate::protected::with_group(|| {
            use std::os::unix::fs::PermissionsExt;
            let ledger = self.ledger()?;
            let last = ledger.last_event()?;
            let journal_mode = ledger.journal_mode()?;
            let meta = std::fs::metadata(&self.path).ok();
            let waiting = intake::waiting_bytes(&self.path);
            let blocked = intake::blocked(&self.path).then(|| {
                std::fs::read_to_string(intake::error_path(&self.path))
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default()
            });
            Ok(Summary {
                bytes: meta.as_ref().map_or(0, |m| m.len()),
                wal_bytes: std::fs::metadata(super::sibling(&self.path, "-wal"))
                    .map_or(0, |m| m.len()),
                events: last.as_ref().map_or(0, |l| l.seq),
                last,
                journal_mode,
                writable: is_writable_sqlite_file(&self.path),
                mode: meta.map_or(0, |m| m.permissions().mode() & 0o7777),
                intake_found: self.intake_at_open.unwrap_or(waiting),
                intake_waiting: waiting,
                intake_blocked: blocked,
            })
        })
    }
    fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        each: &mut dyn FnMut(RequestRecord),
    ) -> Result<()> {
        let Some(viewer) = crate::protected::viewer() else {
            return crate::protected::with_group(|| {
                self.ledger()?.query(filter, newest_first, limit, each)
            });
        };
        // What a user may not see does not count towards the limit either.
        let mut left = limit;
        let mut visible = |r: RequestRecord| {
            if left > 0 && viewer.may_see(&r) {
                left -= 1;
                each(r);
            }
        };
        crate::protected::with_group(|| {
            self.ledger()?
                .query(filter, newest_first, usize::MAX, &mut visible)
        })
    }
    fn checkpoints(&self) -> Result<Vec<(i64, Vec<u8>)>> {
        crate::protected::with_group(|| checkpoint::read(&self.path))
    }
    fn each_event(
        &self,
        after: i64,
        each: &mut dyn FnMut(&chain::EventRef<'_>) -> std::ops::ControlFlow<()>,
    ) -> Result<()> {
        crate::protected::with_group(|| self.ledger()?.each_event(after, each))
    }
    fn posting(&self, wait: bool) -> Result<Option<Box<dyn posting::Posted>>> {
        crate::protected::with_group(|| {
            Ok(posting::File::lock(&self.path, wait)?
                .map(|f| Box::new(f) as Box<dyn posting::Posted>))
        })
    }
}

/// Whether the ledger is a regular SQLite file its owner may write.
fn is_writable_sqlite_file(path: &Path) -> bool {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 16];
    file.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o200 != 0)
        && file.read_exact(&mut magic).is_ok()
        && &magic == b"SQLite format 3\0"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Kind;

    fn ledger_of(events: usize) -> (tempfile::TempDir, Sqlite) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Sqlite::new(dir.path().join("ledger.db"), SyncMode::Normal);
        for i in 0..events {
            let id = format!("r{i}");
            let _ = store
                .append(&[NewEvent::new(
                    &id,
                    Kind::Request,
                    serde_json::json!({ "n": i }),
                )])
                .unwrap();
        }
        (dir, store)
    }

    fn tamper(store: &Sqlite, seq: i64) {
        let conn = rusqlite::Connection::open(&store.path).unwrap();
        conn.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS events_append_only_update; UPDATE events SET data = '{{\"n\":99}}' WHERE seq = {seq};"
        ))
        .unwrap();
    }

    #[test]
    fn the_recent_events_are_verified_from_the_one_before_them() {
        let (_dir, store) = ledger_of(10);
        let report = store.verify_recent(3).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.events, 3);
        assert_eq!(report.head, store.verify().unwrap().head);
        // A change before the newest three is not seen by that look, only by the whole walk.
        tamper(&store, 4);
        assert!(store.verify_recent(3).unwrap().ok);
        assert_eq!(store.verify().unwrap().first_broken.unwrap().seq, 4);
        // Within them it is.
        tamper(&store, 9);
        let broken = store.verify_recent(3).unwrap().first_broken.unwrap();
        assert_eq!(broken.seq, 9);
        // More than there are: the whole chain.
        assert_eq!(store.verify_recent(1000).unwrap().events, 4);
    }

    #[test]
    fn the_whole_walk_sees_rows_numbered_below_one() {
        let (_dir, store) = ledger_of(3);
        let conn = rusqlite::Connection::open(&store.path).unwrap();
        conn.execute_batch(
            "INSERT INTO events (seq, request, time, kind, data, hash) SELECT -1, request, time, kind, data, hash FROM events WHERE seq = 1;",
        )
        .unwrap();
        assert_eq!(store.verify().unwrap().first_broken.unwrap().seq, -1);
    }

    #[test]
    fn the_summary_names_the_newest_event_and_the_files() {
        let (_dir, store) = ledger_of(3);
        let s = store.summary().unwrap();
        assert_eq!(s.events, 3);
        let last = s.last.unwrap();
        assert_eq!((last.seq, last.kind.as_str()), (3, "request"));
        assert!(s.bytes > 0);
        assert!(s.wal_bytes > 0, "the WAL is kept between runs");
        assert!(s.journal_mode.eq_ignore_ascii_case("wal"));
        assert!(s.writable);
        assert_eq!(s.mode & 0o777, 0o600);
        assert_eq!((s.intake_found, s.intake_waiting), (0, 0));
        assert_eq!(s.intake_blocked, None);
    }
}
