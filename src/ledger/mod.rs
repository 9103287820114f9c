//! The ledger (SPEC §8): an append-only SQLite event log with a SHA-256 hash chain.
//!
//! Writers take `BEGIN IMMEDIATE`, read the chain head, append, commit: one transaction per
//! step, serialised by SQLite's write lock with a generous busy timeout, so parallel gate
//! processes queue instead of failing with "database is locked".

pub mod chain;
pub mod checkpoint;
pub mod events;
pub mod intake;
pub mod keyed;
pub mod posting;
pub mod query;
pub mod record;
pub mod seal;
pub mod store;

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

pub use chain::{GENESIS, Report as VerifyReport, canonical, event_hash, reported};
pub use events::Kind;
pub use record::{Approval, RequestRecord, Status};
pub use store::Store;

use crate::error::{Error, Result};
use crate::policy::SyncMode;

/// Numbered migrations, applied in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_events.sql"),
    include_str!("migrations/002_intake_marks.sql"),
    include_str!("migrations/003_seals.sql"),
];

/// The schema from which votes and verdicts are sealed.
const SEALS_SCHEMA: usize = 3;

/// One stored event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub seq: i64,
    pub request: String,
    pub time: String,
    pub kind: String,
    pub data: Value,
    #[serde(serialize_with = "hex_bytes")]
    pub hash: Vec<u8>,
    /// The stored text of `data`, as hashed.
    #[serde(skip)]
    pub raw: String,
}

/// An event about to be appended.
pub struct NewEvent<'a> {
    pub request: &'a str,
    pub kind: Kind,
    pub data: Value,
}

impl<'a> NewEvent<'a> {
    pub fn new(request: &'a str, kind: Kind, data: Value) -> Self {
        NewEvent {
            request,
            kind,
            data,
        }
    }
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    writer: bool,
    sync: SyncMode,
    /// A checkpoint was written (by an append, or while opening, when the intake was chained)
    /// since [`Ledger::take_checkpoint`] last asked.
    checkpoint_written: bool,
}

/// How long a writer waits for another one before giving up with "locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The WAL is emptied (checkpointed and truncated) by the process that closes the ledger once
/// it holds more than this many bytes (64 frames of 4 KiB pages).
const WAL_TRUNCATE_AT: u64 = 64 * (4096 + 24) + 32;

impl Drop for Ledger {
    /// Keep the WAL short without paying for a checkpoint on every run.
    ///
    /// Every gate process is short-lived and usually the only one with the ledger open, so it
    /// starts by rebuilding the WAL index from the whole WAL file, and that rebuild forgets
    /// which frames were already copied into the database: SQLite then never starts the WAL
    /// over, and it would grow (and be re-read and re-copied) forever. Checkpointing on every
    /// close instead costs two or three fsyncs per run. So the WAL is left in place
    /// (`NO_CKPT_ON_CLOSE`) and emptied here once it passes `WAL_TRUNCATE_AT`: a few runs in
    /// a hundred pay for the fsyncs. If another process is using the ledger the checkpoint is
    /// skipped at once (no busy wait); a later run does it.
    fn drop(&mut self) {
        if !self.writer {
            return;
        }
        crate::protected::with_group(|| {
            let wal = sibling(&self.path, "-wal");
            let big = std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_AT);
            if big && self.conn.busy_timeout(Duration::ZERO).is_ok() {
                let _ = self
                    .conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
        })
    }
}

/// A file beside the ledger named after it: `ledger.db` + `suffix` (`-wal`, `.key`, …).
pub fn sibling(ledger: &Path, suffix: &str) -> PathBuf {
    let mut name = ledger
        .file_name()
        .map(std::ffi::OsString::from)
        .unwrap_or_else(|| "ledger.db".into());
    name.push(suffix);
    ledger.with_file_name(name)
}

pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

impl Ledger {
    /// Open (creating if needed, mode 0600 in a 0700 directory) the ledger for writing.
    pub fn open(path: &Path, sync: SyncMode) -> Result<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    Error::ledger(
                        path,
                        format!("cannot create its directory {}: {e}", dir.display()),
                    )
                })?;
        }
        if !path.exists() {
            // Created here, not by SQLite, so that the mode is 0600 from the first byte; SQLite
            // gives the -wal and -shm files the same mode.
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| Error::ledger(path, e))?;
        }
        let opened = Self::connect(path, sync, false);
        match &opened {
            // Hooks stop trusting the intake to a ledger that cannot take it.
            Err(e) if intake::waiting_bytes(path) > 0 => intake::block(path, &e.to_string()),
            Ok(_) => intake::unblock(path),
            Err(_) => {}
        }
        opened
    }

    /// Open an existing ledger for reading (log, show, verify, export). What waits in the
    /// intake is chained first, so readers see every decision; if that cannot be done (a
    /// reader without write access) they are told what they are not seeing.
    pub fn open_read(path: &Path) -> Result<Self> {
        let waiting = intake::waiting_bytes(path);
        if !path.exists() && waiting == 0 {
            return Err(Error::NotFound(format!(
                "no ledger at {} yet: nothing has run through gate (set GATE_LEDGER to read another)",
                path.display()
            )));
        }
        let mut checkpoint = false;
        if waiting > 0 {
            match Self::open(path, SyncMode::Normal) {
                Ok(mut writer) => checkpoint = writer.take_checkpoint(),
                Err(e) => crate::ui::note(&format!(
                    "warning: {} bytes of hook decisions in {} are not chained into the ledger yet, and are not shown: {e}",
                    waiting,
                    intake::path(path).display()
                )),
            }
        }
        let mut reader = Self::connect(path, SyncMode::Normal, true)?;
        reader.checkpoint_written = checkpoint;
        Ok(reader)
    }

    /// [`Ledger::open_read`] for `gate verify`: the hook's intake is first checked against the
    /// ledger whatever it holds, so that an intake erased or cut short since the last fold is
    /// recorded (and so reported) now.
    pub fn open_audit(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Self::open_read(path);
        }
        let settled = Self::open(path, SyncMode::Normal)
            .and_then(|mut l| l.settle_intake(false).map(|_| l.take_checkpoint()));
        match settled {
            Ok(checkpoint) => {
                let mut reader = Self::open_read(path)?;
                reader.checkpoint_written |= checkpoint;
                Ok(reader)
            }
            Err(e) => {
                crate::ui::note(&format!(
                    "warning: the hook's intake {} was not checked against the ledger, and what waits in it is not shown: {e}",
                    intake::path(path).display()
                ));
                Self::connect(path, SyncMode::Normal, true)
            }
        }
    }

    fn connect(path: &Path, sync: SyncMode, read_only: bool) -> Result<Self> {
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let err = |e: rusqlite::Error| Error::ledger(path, describe(&e));
        let mut timer = crate::ui::Timer::start();
        let conn = Connection::open_with_flags(path, flags).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        timer.mark("ledger: sqlite open");
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            writer: !read_only,
            sync,
            checkpoint_written: false,
        };
        if !read_only {
            // WAL is a persistent property of the file (header bytes 18 and 19 are 2). Setting
            // it again costs more than the rest of opening, so only a new ledger pays for it.
            if !is_wal(path) {
                let mode = ledger.switch_to_wal().map_err(err)?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(Error::ledger(
                        path,
                        format!("cannot switch to WAL mode (got {mode})"),
                    ));
                }
            }
            timer.mark("ledger: journal_mode");
            // The automatic checkpoint would copy the whole WAL again on every commit past
            // its threshold (see `Drop`): the closing process empties the WAL instead, and
            // the automatic one stays only as a backstop for ledgers that are never idle.
            let sync_sql = match sync {
                SyncMode::Normal => "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4096",
                SyncMode::Full => "PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=4096",
            };
            ledger.conn.execute_batch(sync_sql).map_err(err)?;
            // Without this the last connection to close would checkpoint, fsync and delete
            // the WAL on every run, and the next run would create and fsync it anew.
            ledger
                .conn
                .set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    true,
                )
                .map_err(err)?;
        }
        if read_only {
            // Readers walk the whole file (verify, export): map it instead of copying pages.
            let _ = ledger.conn.execute_batch("PRAGMA mmap_size = 2147483648");
        }
        timer.mark("ledger: pragmas");
        ledger.migrate(read_only)?;
        timer.mark("ledger: schema version");
        if !read_only && intake::waiting_bytes(path) > 0 {
            ledger.append(&[])?;
        }
        Ok(ledger)
    }

    /// `PRAGMA journal_mode=WAL` on a new ledger. SQLite takes the exclusive lock this needs
    /// without calling the busy handler, so first runs started together would fail with
    /// "locked" at once: wait for each other here instead, as the busy timeout does for every
    /// other step. Once one of them has switched, the others find the ledger in WAL mode.
    fn switch_to_wal(&self) -> rusqlite::Result<String> {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        loop {
            match self
                .conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            {
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn user_version(&self) -> Result<usize> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map(|v| v as usize)
            .map_err(|e| Error::ledger(&self.path, describe(&e)))
    }

    fn migrate(&mut self, read_only: bool) -> Result<()> {
        let latest = MIGRATIONS.len();
        let current = self.user_version()?;
        if current == latest {
            return Ok(());
        }
        if current > latest {
            return Err(Error::ledger(
                &self.path,
                format!(
                    "it was written by a newer gate (schema {current}, this gate knows {latest}); upgrade gate"
                ),
            ));
        }
        if read_only {
            return Err(Error::ledger(
                &self.path,
                "its schema is out of date; run any gate command that writes first",
            ));
        }
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::ledger(&path, describe(&e));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Another process may have migrated while we waited for the lock.
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql).map_err(err)?;
            if i + 1 == SEALS_SCHEMA && current > 0 {
                begin_seals(&tx, &path)?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Whether a checkpoint was written since the last call (to post it elsewhere).
    pub fn take_checkpoint(&mut self) -> bool {
        std::mem::take(&mut self.checkpoint_written)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append events in one transaction, chaining each to the one before. Whatever waits in
    /// the intake is chained first, in the same transaction, with its own times. Events of the
    /// kinds in [`seal::KINDS`] are sealed.
    pub fn append(&mut self, events: &[NewEvent<'_>]) -> Result<()> {
        self.transact(events, Intake::IfWaiting, None).map(|_| ())
    }

    /// Check the hook's intake against the ledger now, whatever it holds, recording what is
    /// wrong with it (erased, cut short) and chaining what waits; with `set_up`, also set up an
    /// intake where there is none, for a hook to append to.
    pub fn settle_intake(&mut self, set_up: bool) -> Result<()> {
        self.transact(&[], Intake::Whole, None)?;
        if set_up {
            // A second step: an intake of a gate before numbered lines is emptied only after
            // the commit that chained it, and a new one is set up only in an empty file.
            self.transact(&[], Intake::SetUp, None)?;
        }
        Ok(())
    }

    /// Append what `decide` returns, `decide` having seen the events of `request` under the
    /// same write lock: nothing lands in between, so what it checked (the request still waits,
    /// this approver may answer it) still holds when its events do. The events as stored.
    pub fn append_checked(&mut self, request: &str, decide: &mut Decide<'_>) -> Result<Vec<Event>> {
        self.transact(&[], Intake::IfWaiting, Some((request, decide)))
    }

    fn transact(
        &mut self,
        events: &[NewEvent<'_>],
        intake: Intake,
        checked: Option<(&str, &mut Decide<'_>)>,
    ) -> Result<Vec<Event>> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::ledger(&path, describe(&e));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Taken under SQLite's write lock, so two folds never chain the same lines.
        let mut taken = intake::Taken::take(&path, intake != Intake::IfWaiting)?;
        let (first_seq, mut prev) = chain_head(&tx).map_err(err)?.unwrap_or((0, GENESIS));
        let mut seq = first_seq;
        // What to leave in the intake once committed: (key, the ledger's mark in it).
        let mut settle = None;
        let mut written = Vec::new();
        // The chain head at every multiple of `checkpoint::EVERY` this step reaches.
        let mut crossed: Vec<(i64, [u8; 32])> = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (seq, request, time, kind, data, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err)?;
            // Loaded the first time a sealed kind is written (never on the allow path).
            let mut key: Option<Vec<u8>> = None;
            let mut put = |request: &str, time: &str, kind: &str, data: &str| -> Result<Event> {
                seq += 1;
                let sealed;
                let data = if seal::is_sealed(kind) {
                    let key = match &key {
                        Some(k) => k,
                        None => key.insert(keyed::load_key(&path)?),
                    };
                    sealed = seal::seal(key, seq, request, time, kind, data);
                    sealed.as_str()
                } else {
                    data
                };
                let hash = event_hash(&prev, seq, request, time, kind, data);
                prev = hash;
                if seq % checkpoint::EVERY == 0 {
                    crossed.push((seq, hash));
                }
                insert
                    .execute(params![seq, request, time, kind, data, &hash[..]])
                    .map_err(err)?;
                Ok(Event {
                    seq,
                    request: request.to_string(),
                    time: time.to_string(),
                    kind: kind.to_string(),
                    data: Value::Null,
                    hash: hash.to_vec(),
                    raw: data.to_string(),
                })
            };
            if let Some(taken) = &mut taken {
                let key = keyed::load_key(&path)?;
                let time = now_rfc3339();
                let before = intake_mark(&tx).map_err(err)?;
                let mut plan = taken.plan(&key, before, &time);
                // Lines a fold chained but could not cut off (it died in between) come first;
                // once one item is new, so are all after it. Numbered lines after the mark are
                // new for sure; for the others only their content can tell.
                let mut maybe_chained = true;
                for item in &plan.items {
                    let Some(first) = item.entries.first() else {
                        continue;
                    };
                    if maybe_chained
                        && let Some(timed) = item.recheck
                        && already_chained(&tx, first, timed).map_err(err)?
                    {
                        continue;
                    }
                    maybe_chained = false;
                    for e in &item.entries {
                        put(&e.request, &e.time, &e.kind, &e.data)?;
                    }
                }
                if intake == Intake::SetUp && plan.mark.is_none() && taken.is_empty() {
                    let mark = intake::Mark::fresh()?;
                    taken.set_up(&path, &key, mark, self.sync)?;
                    plan.mark = Some(mark);
                }
                if plan.mark != before
                    && let Some(mark) = plan.mark
                {
                    let data = chain::canonical_value(&mark.data());
                    put("", &time, Kind::IntakeChained.as_str(), &data)?;
                }
                settle = Some((key, plan.mark));
            }
            let time = now_rfc3339();
            for ev in events {
                let data = chain::canonical_value(&ev.data);
                put(ev.request, &time, ev.kind.as_str(), &data)?;
            }
            if let Some((request, decide)) = checked {
                let current = query_events(&tx, &path, request, 0)?;
                for (kind, data) in decide(&current)? {
                    let data = chain::canonical_value(&data);
                    let mut ev = put(request, &time, kind.as_str(), &data)?;
                    ev.data = serde_json::from_str(&ev.raw).unwrap_or(Value::Null);
                    written.push(ev);
                }
            }
        }
        tx.commit().map_err(err)?;
        if let (Some(taken), Some((key, mark))) = (taken, settle)
            && let Err(e) = taken.settle(&path, &key, mark, self.sync)
        {
            // Chained but not cut off: the next fold recognises these events and skips them.
            crate::ui::note(&format!(
                "warning: could not cut {} back after chaining it: {e}",
                intake::path(&path).display()
            ));
        }
        // Checkpoint the head outside the database at every multiple of `checkpoint::EVERY`
        // this step reached (a fold of the intake may reach several), so that truncating the
        // newest events is caught by `gate verify`.
        for (at, hash) in &crossed {
            checkpoint::append(&self.path, *at, hash)?;
            self.checkpoint_written = true;
        }
        Ok(written)
    }

    /// Whether `ev`, of a kind gate seals, carries gate's seal (`Ok(Err(..))` when it does not).
    pub fn check_seal(&self, ev: &Event) -> Result<std::result::Result<(), seal::Problem>> {
        let key = keyed::read_key(&self.path)?.ok_or_else(|| {
            Error::ledger(
                &keyed::key_path(&self.path),
                "the ledger key is missing, so gate cannot tell its own events from others",
            )
        })?;
        Ok(seal::check(
            &key,
            ev.seq,
            &ev.request,
            &ev.time,
            &ev.kind,
            &ev.raw,
        ))
    }

    fn row_to_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
        let raw: String = r.get(4)?;
        Ok(Event {
            seq: r.get(0)?,
            request: r.get(1)?,
            time: r.get(2)?,
            kind: r.get(3)?,
            data: serde_json::from_str(&raw).unwrap_or(Value::Null),
            hash: r.get(5)?,
            raw,
        })
    }

    /// The events of one request, oldest first.
    pub fn events_of(&self, request: &str) -> Result<Vec<Event>> {
        query_events(&self.conn, &self.path, request, 0)
    }

    /// The events of one request after `seq`, oldest first (what a waiting channel polls).
    pub fn events_after(&self, request: &str, seq: i64) -> Result<Vec<Event>> {
        query_events(&self.conn, &self.path, request, seq)
    }

    /// Requests waiting for an answer on the `local` channel (see [`Ledger::waiting`]).
    pub fn pending(&self) -> Result<Vec<(RequestRecord, Value)>> {
        self.waiting("local")
    }

    /// Requests waiting for an answer on `channel`: an `approval_requested` event that opened
    /// it, no verdict yet, and a gate process on this host still alive. Oldest first, each with
    /// its `approval_requested` data.
    pub fn waiting(&self, channel: &str) -> Result<Vec<(RequestRecord, Value)>> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.request, a.data FROM events a WHERE a.kind = 'approval_requested' \
                 AND NOT EXISTS (SELECT 1 FROM events v WHERE v.request = a.request AND v.kind = 'verdict') \
                 ORDER BY a.seq",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        let mut out = Vec::new();
        for (id, raw) in rows {
            let data: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
            let opened = data
                .get("open")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|c| c.as_str() == Some(channel)));
            if !opened {
                continue;
            }
            let rec = RequestRecord::from_events(&id, &self.events_of(&id)?);
            // `Running` here means: no outcome yet and its gate process is alive on this host.
            if rec.status == Status::Running {
                out.push((rec, data));
            }
        }
        Ok(out)
    }

    /// Resolve a (prefix of a) request id to the full id.
    pub fn resolve_id(&self, prefix: &str) -> Result<String> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT request FROM events WHERE kind = 'request' AND request LIKE ?1 LIMIT 2",
            )
            .map_err(err)?;
        let ids = stmt
            .query_map([pattern], |r| r.get::<_, String>(0))
            .map_err(err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::NotFound(format!(
                "no request `{prefix}` in the ledger (see `gate log`)"
            ))),
            _ => Err(Error::Usage(format!(
                "`{prefix}` matches several requests: give more of the id"
            ))),
        }
    }

    /// Check the hash chain: names the first event that was changed, removed, inserted or reordered.
    pub fn verify(&self) -> Result<chain::Report> {
        self.verify_after(0)
    }

    /// [`Ledger::verify`] of the events after `start` only, chained to the stored hash of the
    /// event before them (0: the whole chain).
    pub fn verify_after(&self, start: i64) -> Result<chain::Report> {
        let checkpoints = checkpoint::read(&self.path)?;
        // Without the key (an auditor's copy of the file alone) seals go unchecked, and say so.
        let key = keyed::read_key(&self.path).ok().flatten();
        let seals_begin = match &key {
            Some(key) => self.seals_begin(key)?,
            None => None,
        };
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let end: i64 = self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))
            .map_err(err)?;
        let mut checker = chain::Checker::with_checkpoints(checkpoints)
            .with_key(key, seals_begin)
            .with_end(end);
        if start > 0 {
            let before: Option<(i64, Vec<u8>)> = self
                .conn
                .query_row(
                    "SELECT seq, hash FROM events WHERE seq <= ?1 ORDER BY seq DESC LIMIT 1",
                    [start],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            if let Some((seq, hash)) = before {
                checker = checker.after(seq, &hash);
            }
        }
        // Borrowed rows, nothing parsed: this walks every event after `start`.
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, request, time, kind, data, hash FROM events WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(err)?;
        // The whole walk has no lower bound: a row put in with a seq of 0 or below is a break too.
        let from = if start > 0 { start } else { i64::MIN };
        let mut rows = stmt.query([from]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let hash = match row.get_ref(5).map_err(err)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => &[],
            };
            let ev = chain::EventRef {
                seq: row.get(0).map_err(err)?,
                request: row_text(row, 1).map_err(err)?,
                time: row_text(row, 2).map_err(err)?,
                kind: row_text(row, 3).map_err(err)?,
                data: row_text(row, 4).map_err(err)?,
                hash,
            };
            if checker.feed_ref(&ev).is_break() {
                break;
            }
        }
        Ok(checker.finish())
    }

    /// Every event after `after`, in chain order, as stored (nothing parsed), until `each`
    /// breaks: for moving a ledger elsewhere with its hashes.
    pub fn each_event(
        &self,
        after: i64,
        each: &mut dyn FnMut(&chain::EventRef<'_>) -> std::ops::ControlFlow<()>,
    ) -> Result<()> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, request, time, kind, data, hash FROM events WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(err)?;
        let mut rows = stmt.query([after]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let hash = match row.get_ref(5).map_err(err)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => &[],
            };
            let ev = chain::EventRef {
                seq: row.get(0).map_err(err)?,
                request: row_text(row, 1).map_err(err)?,
                time: row_text(row, 2).map_err(err)?,
                kind: row_text(row, 3).map_err(err)?,
                data: row_text(row, 4).map_err(err)?,
                hash,
            };
            if each(&ev).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The newest event, for `gate doctor`.
    pub fn last_event(&self) -> Result<Option<store::LastEvent>> {
        self.conn
            .query_row(
                "SELECT seq, time, kind FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(store::LastEvent {
                        seq: r.get(0)?,
                        time: r.get(1)?,
                        kind: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| Error::ledger(&self.path, describe(&e)))
    }

    /// SQLite's journal mode (`wal`).
    pub fn journal_mode(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|e| Error::ledger(&self.path, describe(&e)))
    }

    /// Where sealing began on a ledger written before it: the first `seals_begin` event, if
    /// gate sealed it.
    fn seals_begin(&self, key: &[u8]) -> Result<Option<i64>> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let first = self
            .conn
            .query_row(
                "SELECT seq, request, time, kind, data FROM events WHERE kind = 'seals_begin' ORDER BY seq LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        Ok(first.and_then(|(seq, request, time, kind, data)| {
            seal::check(key, seq, &request, &time, &kind, &data)
                .is_ok()
                .then_some(seq)
        }))
    }

    /// Request ids in ledger order (oldest first), or newest first; `after` continues a scan.
    pub fn request_ids(
        &self,
        newest_first: bool,
        limit: usize,
        after: Option<i64>,
    ) -> Result<Vec<(i64, String)>> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        let sql = match (newest_first, after.is_some()) {
            (true, false) => {
                "SELECT seq, request FROM events WHERE kind = 'request' ORDER BY seq DESC LIMIT ?1"
            }
            (true, true) => {
                "SELECT seq, request FROM events WHERE kind = 'request' AND seq < ?2 ORDER BY seq DESC LIMIT ?1"
            }
            (false, false) => {
                "SELECT seq, request FROM events WHERE kind = 'request' ORDER BY seq LIMIT ?1"
            }
            (false, true) => {
                "SELECT seq, request FROM events WHERE kind = 'request' AND seq > ?2 ORDER BY seq LIMIT ?1"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql).map_err(err)?;
        let map = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?));
        let rows = match after {
            Some(a) => stmt.query_map(params![limit as i64, a], map),
            None => stmt.query_map(params![limit as i64], map),
        }
        .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Requests that pass `filter`, newest first (or oldest first), at most `limit`.
    pub fn query(
        &self,
        filter: &query::Filter,
        newest_first: bool,
        limit: usize,
        mut each: impl FnMut(RequestRecord),
    ) -> Result<()> {
        let mut after = None;
        let mut found = 0;
        const PAGE: usize = 512;
        loop {
            let ids = self.request_ids(newest_first, PAGE, after)?;
            if ids.is_empty() {
                return Ok(());
            }
            for (seq, id) in &ids {
                after = Some(*seq);
                if filter.stop_scanning(newest_first, self.request_time(*seq)?.as_deref()) {
                    return Ok(());
                }
                let record = RequestRecord::from_events(id, &self.events_of(id)?);
                if filter.accepts(&record) {
                    each(record);
                    found += 1;
                    if found >= limit {
                        return Ok(());
                    }
                }
            }
        }
    }

    fn request_time(&self, seq: i64) -> Result<Option<String>> {
        let err = |e: rusqlite::Error| Error::ledger(&self.path, describe(&e));
        self.conn
            .prepare_cached("SELECT time FROM events WHERE seq = ?1")
            .and_then(|mut s| s.query_row([seq], |r| r.get(0)).optional())
            .map_err(err)
    }
}

/// How much of the hook's intake a write takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intake {
    /// Only lines waiting in it (what every append does).
    IfWaiting,
    /// All of it, even missing or holding only its header, to check it against the ledger.
    Whole,
    /// As `Whole`, and set up an intake where there is none.
    SetUp,
}

/// Where the ledger stands in the hook's intake: the mark of the last `intake_chained` event,
/// or `None` if it never set one up.
fn intake_mark(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Option<intake::Mark>> {
    let data: Option<String> = tx
        .prepare_cached(
            "SELECT data FROM events WHERE kind = 'intake_chained' ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(data.as_deref().and_then(intake::Mark::from_data))
}

/// The newest event's number and hash (a stored hash of the wrong length reads as the genesis
/// hash, so the next event chains to something `gate verify` will not accept).
fn chain_head(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Option<(i64, [u8; 32])>> {
    tx.query_row(
        "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?)),
    )
    .optional()
    .map(|head| head.map(|(seq, hash)| (seq, hash.try_into().unwrap_or(GENESIS))))
}

/// On a ledger written before votes and verdicts were sealed: append a sealed `seals_begin`
/// event, before which events of those kinds need no seal (`gate verify` honours the first one
/// only). Not on an empty ledger, and not when an event already carries a valid seal: then a
/// sealing gate wrote this ledger and its schema was set back by hand, and a new start would
/// excuse rows written by hand before it.
fn begin_seals(tx: &rusqlite::Transaction<'_>, path: &Path) -> Result<()> {
    let err = |e: rusqlite::Error| Error::ledger(path, describe(&e));
    let Some((head, prev)) = chain_head(tx).map_err(err)? else {
        return Ok(());
    };
    let key = keyed::load_key(path)?;
    let kinds: Vec<String> = seal::KINDS.iter().map(|k| format!("'{k}'")).collect();
    let mut stmt = tx
        .prepare(&format!(
            "SELECT seq, request, time, kind, data FROM events WHERE kind IN ({})",
            kinds.join(", ")
        ))
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let (seq, request, time, kind, data) = (
            r.get::<_, i64>(0).map_err(err)?,
            row_text(r, 1).map_err(err)?,
            row_text(r, 2).map_err(err)?,
            row_text(r, 3).map_err(err)?,
            row_text(r, 4).map_err(err)?,
        );
        if seal::check(&key, seq, request, time, kind, data).is_ok() {
            return Ok(());
        }
    }
    let seq = head + 1;
    let time = now_rfc3339();
    let data = chain::canonical_value(&serde_json::json!({
        "kinds": seal::KINDS,
        "unsealed_before": seq,
    }));
    let data = seal::seal(&key, seq, "", &time, seal::BEGIN, &data);
    let hash = event_hash(&prev, seq, "", &time, seal::BEGIN, &data);
    tx.execute(
        "INSERT INTO events (seq, request, time, kind, data, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![seq, "", time, seal::BEGIN, data, &hash[..]],
    )
    .map_err(err)?;
    Ok(())
}

/// What [`Ledger::append_checked`] asks: given the request's events, the events to append
/// (kind, data), or an error that appends nothing.
pub type Decide<'a> = dyn FnMut(&[Event]) -> Result<Vec<(Kind, Value)>> + 'a;

/// The events of `request` after `seq`, oldest first.
fn query_events(conn: &Connection, path: &Path, request: &str, seq: i64) -> Result<Vec<Event>> {
    let err = |e: rusqlite::Error| Error::ledger(path, describe(&e));
    let mut stmt = conn
        .prepare_cached("SELECT seq, request, time, kind, data, hash FROM events WHERE request = ?1 AND seq > ?2 ORDER BY seq")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![request, seq], Ledger::row_to_event)
        .map_err(err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
}

/// Whether an event from the intake is already in the ledger (a fold that committed but died
/// before emptying the intake): same request, kind and data, and the same time if `timed`.
fn already_chained(
    tx: &rusqlite::Transaction<'_>,
    e: &intake::Entry,
    timed: bool,
) -> rusqlite::Result<bool> {
    let sql = if timed {
        "SELECT 1 FROM events WHERE request = ?1 AND kind = ?2 AND data = ?3 AND time = ?4 LIMIT 1"
    } else {
        "SELECT 1 FROM events WHERE request = ?1 AND kind = ?2 AND data = ?3 LIMIT 1"
    };
    let mut stmt = tx.prepare_cached(sql)?;
    let found = if timed {
        stmt.query_row(params![e.request, e.kind, e.data, e.time], |_| Ok(()))
    } else {
        stmt.query_row(params![e.request, e.kind, e.data], |_| Ok(()))
    };
    found.optional().map(|r| r.is_some())
}

/// Whether the SQLite file at `path` is already in WAL mode (its header's read and write
/// format versions are 2).
fn is_wal(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|_| {
            header.starts_with(b"SQLite format 3\0") && header[18] == 2 && header[19] == 2
        })
}

/// A text column, borrowed from the row.
fn row_text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Turn SQLite's terse errors into advice.
fn describe(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(f, msg) = e {
        let detail = msg.clone().unwrap_or_default();
        return match f.code {
            ErrorCode::NotADatabase => "it is not a SQLite database (or it is corrupt); move it aside to start a new ledger".into(),
            ErrorCode::DatabaseCorrupt => format!("the database is corrupt ({detail}); keep a copy for the audit and move it aside"),
            ErrorCode::ReadOnly => "it is read-only (check the file and directory permissions)".into(),
            ErrorCode::DiskFull => "the disk is full".into(),
            ErrorCode::CannotOpen => "cannot open it (check the path and permissions)".into(),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                "another program holds a lock on it for too long".into()
            }
            ErrorCode::PermissionDenied => "permission denied".into(),
            _ => format!("{e}"),
        };
    }
    e.to_string()
}
