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

    /// Requests waiting for a local approval, with their approval request event's data.
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>>;

    /// Requests waiting on the named channel.
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>>;

    /// The full id of the one request whose id starts with `prefix`.
    fn resolve_id(&self, prefix: &str) -> Result<String>;

    /// Walk the whole chain (and the checkpoints) and report the first broken event.
    fn verify(&self) -> Result<chain::Report>;

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
    Ok(path.exists() || intake::waiting_bytes(&path) > 0)
}

/// Open the ledger for writing (it is created on the first write). Nothing is opened until
/// the first call that needs it.
pub fn open(sync: SyncMode) -> Result<Box<dyn Store>> {
    Ok(Box::new(Sqlite::new(path()?, sync)))
}

/// Open an existing ledger for reading.
pub fn open_read() -> Result<Box<dyn Store>> {
    let path = path()?;
    let ledger = Ledger::open_read(&path)?;
    Ok(Box::new(Sqlite::opened(path, SyncMode::Normal, ledger)))
}

/// Open an existing ledger for `gate verify`: as [`open_read`], once whatever was left for it
/// to chain (the hook's intake) has been checked against it, whatever it holds.
pub fn open_audit() -> Result<Box<dyn Store>> {
    let path = path()?;
    let ledger = Ledger::open_audit(&path)?;
    Ok(Box::new(Sqlite::opened(path, SyncMode::Normal, ledger)))
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
}

impl Sqlite {
    fn new(path: PathBuf, sync: SyncMode) -> Self {
        Sqlite {
            path,
            sync,
            ledger: OnceCell::new(),
            key: OnceCell::new(),
            intake_usable: OnceCell::new(),
        }
    }

    fn opened(path: PathBuf, sync: SyncMode, ledger: Ledger) -> Self {
        let s = Sqlite::new(path, sync);
        let _ = s.ledger.set(ledger);
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
        self.ledger_mut()?.append(events)?;
        Ok(self.appended())
    }
    fn append_decided(&mut self, events: &[NewEvent<'_>]) -> Result<Appended> {
        if !self.intake_will_do() {
            return self.append(events);
        }
        let key = self.key()?.to_vec();
        intake::append(&self.path, &key, events, self.sync)?;
        Ok(Appended::default())
    }
    fn append_checked(
        &mut self,
        request: &str,
        decide: &mut Decide<'_>,
    ) -> Result<(Vec<Event>, Appended)> {
        let events = self.ledger_mut()?.append_checked(request, decide)?;
        Ok((events, self.appended()))
    }
    fn take_written(&mut self) -> Appended {
        self.appended()
    }
    fn argv_hmac(&self, argv: &[OsString]) -> Result<String> {
        Ok(keyed::argv_hmac_with(self.key()?, argv))
    }
    fn argv_matches(&self, argv: &[OsString], recorded: &str) -> Result<bool> {
        Ok(keyed::matches(self.key()?, argv, recorded))
    }
    fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>> {
        self.ledger()?.check_seal(ev)
    }
    fn events_of(&self, request: &str) -> Result<Vec<Event>> {
        self.ledger()?.events_of(request)
    }
    fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>> {
        self.ledger()?.events_after(request, seq)
    }
    fn reader(&self) -> Result<Box<dyn Store + Send>> {
        let ledger = Ledger::open_read(&self.path)?;
        Ok(Box::new(Sqlite::opened(
            self.path.clone(),
            self.sync,
            ledger,
        )))
    }
    fn pending(&self) -> Result<Vec<(RequestRecord, Value)>> {
        self.ledger()?.pending()
    }
    fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>> {
        self.ledger()?.waiting(channel)
    }
    fn resolve_id(&self, prefix: &str) -> Result<String> {
        self.ledger()?.resolve_id(prefix)
    }
    fn verify(&self) -> Result<chain::Report> {
        let mut report = self.ledger()?.verify()?;
        if report.seals_unchecked > 0 {
            report.key = Some(keyed::key_path(&self.path).display().to_string());
        }
        Ok(report)
    }
    fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        each: &mut dyn FnMut(RequestRecord),
    ) -> Result<()> {
        self.ledger()?.query(filter, newest_first, limit, each)
    }
    fn checkpoints(&self) -> Result<Vec<(i64, Vec<u8>)>> {
        checkpoint::read(&self.path)
    }
    fn posting(&self, wait: bool) -> Result<Option<Box<dyn posting::Posted>>> {
        Ok(posting::File::lock(&self.path, wait)?.map(|f| Box::new(f) as Box<dyn posting::Posted>))
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
