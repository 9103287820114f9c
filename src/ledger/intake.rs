//! The intake: how `gate hook claude-code` records an allowed or denied tool call without
//! opening SQLite, and how the next writer chains those records into the ledger.
//!
//! Why. An agent calls the hook before every shell command, so its whole process has to be
//! quick, and opening SQLite is most of it: every gate process is usually the only one with
//! the ledger open, so each one re-creates the WAL index (the `-shm` file), reads the WAL back
//! and parses the schema. Appending one line to a file costs a few microseconds.
//!
//! What stays true:
//! - *Recorded before it takes effect.* The hook answers only after its line is written (and,
//!   with `[ledger] sync = "full"`, flushed to disk); if the write fails it denies. The line is
//!   as durable as a WAL commit with `synchronous=NORMAL`, the default.
//! - *Nothing is lost or reordered.* Every writer ([`super::Ledger::open`] and every append)
//!   first chains whatever the intake holds, in order, under SQLite's write lock and the
//!   intake's lock, keeping each event's original time, then empties the intake. So events
//!   reach the chain in the order they were decided, before anything recorded after them.
//!   PostToolUse opens the ledger to record the outcome, which chains the decision first.
//!   Readers (`log`, `show`, `verify`, `export`, `pending`) chain the intake before reading.
//! - *Tamper-evident while waiting.* Each line carries an HMAC-SHA-256, keyed with the ledger
//!   key, over the previous line's MAC and its own text: a line that was changed, removed,
//!   inserted or reordered before it was chained fails its check, and is then chained as an
//!   `intake_rejected` event holding the line as found, which `gate verify` reports as a break.
//!   A line cut short (a gate killed while writing it; that gate never answered) is chained as
//!   `intake_incomplete`.
//! - *Chained once.* The intake is emptied after the commit that chained it; if gate dies in
//!   between, the next fold finds those events already in the ledger (same request, kind,
//!   time and data) and skips them.
//!
//! Format: one line per batch of events, `JSON TAB MAC-HEX LF`, where JSON is
//! `{"events":[{"request","time","kind","data"}]}` and `data` is the event's canonical JSON
//! text, exactly as the chain hashes it. The file is `ledger.db.intake`, mode 0600.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{NewEvent, chain, now_rfc3339};
use crate::error::{Error, Result};
use crate::policy::SyncMode;

/// A hook that finds more than this in the intake chains it into the ledger itself, so the
/// intake stays short even when nothing else writes (PostToolUse not registered).
pub const FOLD_AT: u64 = 64 * 1024;

const MAC_HEX: usize = 64;

pub fn path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".intake")
}

/// How many bytes wait in the intake (0 when there is none). Not following a symlink: one
/// planted in its place counts as something waiting, which the fold then refuses.
pub fn waiting_bytes(ledger: &Path) -> u64 {
    std::fs::symlink_metadata(path(ledger)).map_or(0, |m| m.len())
}

/// Beside the intake when a writer could not open a ledger with decisions waiting (corrupt,
/// from a newer gate, unwritable): it holds the error. While it is there hooks do not use the
/// intake but open the ledger themselves, so they fail closed with that error at once instead
/// of piling decisions up where nothing can chain them; the first writer that opens the
/// ledger again removes it.
pub fn error_path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".intake.error")
}

/// Whether a writer last failed to open this ledger with decisions waiting.
pub fn blocked(ledger: &Path) -> bool {
    error_path(ledger).exists()
}

pub(super) fn block(ledger: &Path, why: &str) {
    let _ = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(error_path(ledger))
        .and_then(|mut f| writeln!(f, "{why}"));
}

pub(super) fn unblock(ledger: &Path) {
    let _ = std::fs::remove_file(error_path(ledger));
}

/// One event as the intake holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub request: String,
    pub time: String,
    pub kind: String,
    /// Canonical JSON text.
    pub data: String,
}

#[derive(Serialize)]
struct LineOut<'a> {
    events: &'a [Entry],
}

#[derive(Deserialize)]
struct LineIn {
    events: Vec<Entry>,
}

/// One line of the intake, as checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Record {
    /// A batch whose MAC checks.
    Batch(Vec<Entry>),
    /// A line that fails its check, or was cut short; `line` is its text as found.
    Damaged {
        incomplete: bool,
        reason: String,
        line: String,
    },
}

impl Record {
    /// Whether this is a batch as written (its events keep their own times).
    pub fn is_batch(&self) -> bool {
        matches!(self, Record::Batch(_))
    }

    /// The events this line stands for in the ledger: its batch, or for a damaged line one
    /// `intake_rejected` / `intake_incomplete` event holding the line as found, stamped `now`
    /// (about the request named in it, if that can still be read).
    pub fn entries(&self, now: &str) -> Vec<Entry> {
        match self {
            Record::Batch(entries) => entries.clone(),
            Record::Damaged {
                incomplete,
                reason,
                line,
            } => vec![Entry {
                request: request_named_in(line).to_string(),
                time: now.to_string(),
                kind: if *incomplete {
                    "intake_incomplete"
                } else {
                    "intake_rejected"
                }
                .to_string(),
                data: chain::canonical_value(&serde_json::json!({"reason": reason, "line": line})),
            }],
        }
    }
}

/// The request a damaged line was about, if it can still be read from it.
fn request_named_in(line: &str) -> &str {
    let Some(start) = line.find("\"request\":\"").map(|i| i + 11) else {
        return "";
    };
    let rest = &line[start..];
    match rest.find('"') {
        Some(end) if end <= 64 && !rest[..end].contains('\\') => &rest[..end],
        _ => "",
    }
}

fn mac(key: &[u8], prev: &[u8; 32], text: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(prev);
    m.update(text);
    m.finalize().into_bytes().into()
}

/// The MAC field at the end of `line` (without its LF), if it has one.
fn mac_field(line: &[u8]) -> Option<[u8; 32]> {
    if line.len() < MAC_HEX + 1 || line[line.len() - MAC_HEX - 1] != b'\t' {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(&line[line.len() - MAC_HEX..], &mut out).ok()?;
    Some(out)
}

/// Append `events` as one line, stamped with the current time. Returns once the line is
/// written whole (and flushed with `SyncMode::Full`); on any failure nothing is left behind.
pub fn append(ledger: &Path, key: &[u8], events: &[NewEvent<'_>], sync: SyncMode) -> Result<()> {
    let path = path(ledger);
    let err = |e: &dyn std::fmt::Display| Error::ledger(&path, format!("intake: {e}"));
    let time = now_rfc3339();
    let entries: Vec<Entry> = events
        .iter()
        .map(|e| Entry {
            request: e.request.to_string(),
            time: time.clone(),
            kind: e.kind.to_string(),
            data: chain::canonical_value(&e.data),
        })
        .collect();
    let json = serde_json::to_string(&LineOut { events: &entries }).map_err(|e| err(&e))?;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| err(&e))?;
    let file = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| err(&e))?;
    let size = file.metadata().map_err(|e| err(&e))?.len();

    // Chain to the last line. A last line cut short (its gate was killed mid-write) is closed
    // with a newline so that it stays one damaged line, and the chain starts over after it.
    let mut out = Vec::with_capacity(json.len() + MAC_HEX + 3);
    let mut prev = [0u8; 32];
    if size > 0 {
        let n = size.min((MAC_HEX + 2) as u64) as usize;
        let mut tail = vec![0u8; n];
        file.read_exact_at(&mut tail, size - n as u64)
            .map_err(|e| err(&e))?;
        if tail.last() == Some(&b'\n') {
            if let Some(m) = mac_field(&tail[..n - 1]) {
                prev = m;
            }
        } else {
            out.push(b'\n');
        }
    }
    let m = mac(key, &prev, json.as_bytes());
    out.extend_from_slice(json.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(hex::encode(m).as_bytes());
    out.push(b'\n');
    let written = (&*file).write_all(&out).and_then(|()| match sync {
        SyncMode::Full => {
            file.sync_data()?;
            // A new (or emptied) intake's name must survive a power loss too.
            match (size, path.parent()) {
                (0, Some(dir)) => File::open(dir)?.sync_all(),
                _ => Ok(()),
            }
        }
        SyncMode::Normal => Ok(()),
    });
    if let Err(e) = written {
        // Leave no partial line behind: a hook that could not record denies, so this request
        // never happened.
        let _ = file.set_len(size);
        return Err(err(&e));
    }
    Ok(())
}

/// Check every line of an intake's text, in order.
pub fn parse(key: &[u8], text: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut prev = [0u8; 32];
    let mut rest = text;
    while !rest.is_empty() {
        let (line, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                (line, true)
            }
            None => {
                let line = rest;
                rest = &[];
                (line, false)
            }
        };
        let as_found = || String::from_utf8_lossy(line).into_owned();
        if !complete {
            out.push(Record::Damaged {
                incomplete: true,
                reason: "the line was cut short (a gate was stopped while writing it and never answered)".into(),
                line: as_found(),
            });
            break;
        }
        let Some(field) = mac_field(line) else {
            out.push(Record::Damaged {
                incomplete: true,
                reason:
                    "the line has no MAC (a gate was stopped while writing it and never answered)"
                        .into(),
                line: as_found(),
            });
            prev = [0u8; 32];
            continue;
        };
        let json = &line[..line.len() - MAC_HEX - 1];
        let expected = mac(key, &prev, json);
        prev = field;
        if expected != field {
            out.push(Record::Damaged {
                incomplete: false,
                reason: "its MAC does not match: the line was changed, or a line before it was removed, inserted or reordered".into(),
                line: as_found(),
            });
            continue;
        }
        match serde_json::from_slice::<LineIn>(json) {
            Ok(l) => out.push(Record::Batch(l.events)),
            Err(e) => out.push(Record::Damaged {
                incomplete: false,
                reason: format!("its MAC matches but its text is unreadable ({e})"),
                line: as_found(),
            }),
        }
    }
    out
}

/// The intake, locked for folding: nobody can add to it until it is dropped.
pub struct Taken {
    file: Flock<File>,
    pub records: Vec<Record>,
}

impl Taken {
    /// Lock the intake and read it, or `None` if it is empty or absent. `key` is asked for
    /// only when there is something to check.
    pub fn take(ledger: &Path, key: impl FnOnce() -> Result<Vec<u8>>) -> Result<Option<Taken>> {
        // Every append comes here: most find nothing, and a stat says so.
        if waiting_bytes(ledger) == 0 {
            return Ok(None);
        }
        let path = path(ledger);
        let err = |e: &dyn std::fmt::Display| Error::ledger(&path, format!("intake: {e}"));
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(&e)),
        };
        let mut file = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| err(&e))?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(|e| err(&e))?;
        if text.is_empty() {
            return Ok(None);
        }
        let key = key()?;
        Ok(Some(Taken {
            file,
            records: parse(&key, &text),
        }))
    }

    /// Empty the intake: call only once its records are committed to the ledger.
    pub fn clear(self) -> std::io::Result<()> {
        self.file.set_len(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn ev<'a>(request: &'a str, kind: &'a str, n: i64) -> NewEvent<'a> {
        NewEvent {
            request,
            kind,
            data: json!({"n": n, "text": "tab\there \"quoted\"\nnewline"}),
        }
    }

    fn rejected(r: &Record) -> bool {
        matches!(
            r,
            Record::Damaged {
                incomplete: false,
                ..
            }
        )
    }

    fn read(ledger: &Path) -> Vec<Record> {
        parse(KEY, &std::fs::read(path(ledger)).unwrap())
    }

    fn batches(records: &[Record]) -> Vec<Vec<String>> {
        records
            .iter()
            .map(|r| match r {
                Record::Batch(b) => b
                    .iter()
                    .map(|e| format!("{}:{}", e.request, e.kind))
                    .collect(),
                Record::Damaged { reason, .. } => vec![format!("damaged: {reason}")],
            })
            .collect()
    }

    #[test]
    fn lines_chain_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        append(
            &ledger,
            KEY,
            &[ev("a", "request", 1), ev("a", "decision", 2)],
            SyncMode::Full,
        )
        .unwrap();
        append(&ledger, KEY, &[ev("b", "request", 3)], SyncMode::Normal).unwrap();
        let records = read(&ledger);
        assert_eq!(
            batches(&records),
            vec![vec!["a:request", "a:decision"], vec!["b:request"]]
        );
        let Record::Batch(b) = &records[0] else {
            unreachable!()
        };
        assert_eq!(
            b[0].data,
            chain::canonical_value(&ev("a", "request", 1).data)
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(&ledger))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_changed_removed_or_reordered_line_fails_its_check() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            append(
                &ledger,
                KEY,
                &[ev(id, "request", i as i64)],
                SyncMode::Normal,
            )
            .unwrap();
        }
        let text = std::fs::read_to_string(path(&ledger)).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        // Changed: only that line fails (the next one chains to its MAC field, unchanged).
        let changed = text.replacen(r#"\"n\":1"#, r#"\"n\":9"#, 1);
        assert_ne!(changed, text);
        let r = parse(KEY, changed.as_bytes());
        assert!(matches!(r[0], Record::Batch(_)));
        assert!(rejected(&r[1]));
        assert!(matches!(r[2], Record::Batch(_)));

        // Removed: the line after the gap fails.
        let removed = format!("{}\n{}\n", lines[0], lines[2]);
        let r = parse(KEY, removed.as_bytes());
        assert!(matches!(r[0], Record::Batch(_)));
        assert!(rejected(&r[1]));

        // Reordered.
        let swapped = format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]);
        let r = parse(KEY, swapped.as_bytes());
        assert!(r.iter().all(|x| matches!(x, Record::Damaged { .. })));

        // Forged with another key.
        let r = parse(b"another key, another key, anothe", text.as_bytes());
        assert!(r.iter().all(|x| matches!(
            x,
            Record::Damaged {
                incomplete: false,
                ..
            }
        )));
    }

    #[test]
    fn a_line_cut_short_is_closed_and_the_chain_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        append(&ledger, KEY, &[ev("a", "request", 1)], SyncMode::Normal).unwrap();
        // A gate killed in the middle of its write.
        let mut f = OpenOptions::new().append(true).open(path(&ledger)).unwrap();
        f.write_all(b"{\"events\":[{\"request\":\"b\",\"ti")
            .unwrap();
        let r = read(&ledger);
        assert!(matches!(
            &r[1],
            Record::Damaged {
                incomplete: true,
                ..
            }
        ));

        append(&ledger, KEY, &[ev("c", "request", 3)], SyncMode::Normal).unwrap();
        let r = read(&ledger);
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(matches!(r[0], Record::Batch(_)));
        assert!(matches!(
            &r[1],
            Record::Damaged {
                incomplete: true,
                ..
            }
        ));
        assert_eq!(batches(&r[2..]), vec![vec!["c:request"]]);
    }

    proptest::proptest! {
        /// Whatever bytes an attacker or a crash leaves in the intake, reading it never panics,
        /// and every byte is accounted for: each line is a batch or is kept as found.
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let records = parse(KEY, &bytes);
            let newlines = bytes.iter().filter(|b| **b == b'\n').count();
            let tail = usize::from(bytes.last().is_some_and(|b| *b != b'\n'));
            proptest::prop_assert_eq!(records.len(), newlines + tail);
            for r in &records {
                proptest::prop_assert!(rejected(r) || matches!(r, Record::Damaged { incomplete: true, .. }),
                    "random bytes cannot carry a valid MAC");
            }
        }
    }

    /// Planting a symlink in its place must not make gate append to (or empty) another file.
    #[test]
    fn a_symlink_in_place_of_the_intake_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, path(&ledger)).unwrap();
        assert!(append(&ledger, KEY, &[ev("a", "request", 1)], SyncMode::Normal).is_err());
        assert!(Taken::take(&ledger, || Ok(KEY.to_vec())).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    }

    #[test]
    fn taking_an_absent_or_empty_intake_finds_nothing_and_asks_for_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let no_key = || -> Result<Vec<u8>> { panic!("the key was read") };
        assert!(Taken::take(&ledger, no_key).unwrap().is_none());
        std::fs::write(path(&ledger), b"").unwrap();
        assert!(Taken::take(&ledger, no_key).unwrap().is_none());

        append(&ledger, KEY, &[ev("a", "request", 1)], SyncMode::Normal).unwrap();
        let taken = Taken::take(&ledger, || Ok(KEY.to_vec())).unwrap().unwrap();
        assert_eq!(batches(&taken.records), vec![vec!["a:request"]]);
        taken.clear().unwrap();
        assert_eq!(waiting_bytes(&ledger), 0);
    }
}
