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
//!   intake's lock, keeping each event's original time, then cuts the intake back to its first
//!   line. So events reach the chain in the order they were decided, before anything recorded
//!   after them. PostToolUse opens the ledger to record the outcome, which chains the decision
//!   first. Readers (`log`, `show`, `verify`, `export`, `pending`) chain the intake before
//!   reading.
//! - *Tamper-evident while waiting.* Each line carries an HMAC-SHA-256, keyed with the ledger
//!   key, over the previous line's MAC and its own text: a line that was changed, removed,
//!   inserted or reordered before it was chained fails its check, and is then chained as an
//!   `intake_rejected` event holding the line as found, which `gate verify` reports as a break.
//!   A line cut short (a gate killed while writing it; that gate never answered) is chained as
//!   `intake_incomplete`.
//! - *An erased or shortened intake is visible.* Lines are numbered, and the intake's first
//!   line (its header) names the last line the ledger chained (`chained`) and the last line a
//!   hook wrote (`written`, rewritten in place by every hook after its line), each with that
//!   line's MAC. The ledger keeps its own copy of `chained`: an `intake_chained` event whenever
//!   it moves, the first when the intake is set up. So a fold finds, and records as events that
//!   `gate verify` reports as breaks, an intake that is missing, empty or does not start where
//!   the ledger left it (`intake_erased`), and numbers missing between lines or after the last
//!   one the header says was written (`intake_gap`). New lines are chained normally after what
//!   was reported. Not visible here: the intake replaced by an older copy of itself (its header
//!   then agrees with what is left), and anything done with the ledger key; PostToolUse catches
//!   the first for commands that ran (`orphan_outcome`, in `hook::tool_call`).
//! - *Chained once.* The fold rewrites the header in place after the commit that chained the
//!   lines, then cuts them off. If gate dies in between, the next fold finds the line the
//!   ledger's mark names (its number and MAC) and skips through it; lines without a number
//!   (damaged ones, and those of a gate before numbering) are recognised by their content
//!   (same request, kind and data, and time for a batch).
//!
//! Format. The header is fixed width, so that a hook can rewrite it in place:
//! `gate-intake 1 chained=SEQ:MAC written=SEQ:MAC end=BYTES TAB MAC LF`, numbers in 20
//! digits, MACs in hex, `end` the file's length after the last line written; its own MAC is
//! over the text before the TAB. Then one line per batch of events, `JSON TAB MAC-HEX LF`, where
//! JSON is `{"events":[{"request","time","kind","data"}],"seq":N}` and `data` is the event's
//! canonical JSON text, exactly as the chain hashes it; the first line chains to the header's
//! `chained` MAC. The file is `ledger.db.intake`, mode 0600. Hooks append only to an intake
//! with a valid header: one that finds none has the ledger check the intake (recording what it
//! finds) and set it up, which writes the header before committing its first mark.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{NewEvent, chain, now_rfc3339};
use crate::error::{Error, Result};
use crate::policy::SyncMode;

/// A writer that finds more than this in the intake chains it into the ledger itself, so the
/// intake stays short even when nothing else writes (PostToolUse not registered, only allowed
/// `gate --` runs): about 18 runs or 40 hook calls, so checkpoints (every 32 events) keep
/// coming at about the pace they would without the intake.
pub const FOLD_AT: u64 = 16 * 1024;

const MAC_HEX: usize = 64;

const MAGIC: &str = "gate-intake 1";

/// The header's text: the magic, ` chained=` and ` written=` each with 20 digits, `:` and a
/// MAC, ` end=` and 20 digits.
const HEADER_TEXT: usize = MAGIC.len() + 2 * (9 + 20 + 1 + MAC_HEX) + 5 + 20;

/// The length of the header line, TAB, MAC and LF included.
pub const HEADER_LEN: usize = HEADER_TEXT + 1 + MAC_HEX + 1;

pub fn path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".intake")
}

/// How many bytes wait in the intake to be chained: 0 when there is none or it holds only its
/// header. Not following a symlink: one planted in its place counts as something waiting,
/// which the fold then refuses.
pub fn waiting_bytes(ledger: &Path) -> u64 {
    match std::fs::symlink_metadata(path(ledger)) {
        Ok(m) if m.len() != HEADER_LEN as u64 => m.len(),
        _ => 0,
    }
}

/// Beside the intake when a writer could not open a ledger with decisions waiting (corrupt,
/// from a newer gate, unwritable): it holds the error. While it is there hooks do not use the
/// intake but open the ledger themselves, so they fail closed with that error at once instead
/// of piling decisions up where nothing can chain them; the first writer that opens the
/// ledger again removes it.
pub fn error_path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".intake.error")
}

/// Whether a writer last failed to open this ledger with decisions waiting. (In the protected
/// install the file always exists, made by the installer: there, an empty one is no block.)
pub fn blocked(ledger: &Path) -> bool {
    match std::fs::metadata(error_path(ledger)) {
        Ok(m) => !crate::protected::active() || m.len() > 0,
        Err(_) => false,
    }
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
    if crate::protected::active() {
        // gate creates no file there (one it made would be the caller's): emptied, not removed.
        if std::fs::metadata(error_path(ledger)).is_ok_and(|m| m.len() > 0) {
            let _ = OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(error_path(ledger));
        }
        return;
    }
    let _ = std::fs::remove_file(error_path(ledger));
}

/// A line of the intake by its number and MAC: where the ledger stands in it (the last line
/// chained), or the last line a hook wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub seq: u64,
    pub mac: [u8; 32],
}

impl Mark {
    /// Where a new intake starts: no line yet, and a random MAC for its first line to chain
    /// to, so that no other intake (nor an earlier one of this ledger) continues from it.
    pub fn fresh() -> Result<Mark> {
        let mut mac = [0u8; 32];
        crate::random::fill(&mut mac)
            .map_err(|e| Error::Io(format!("no randomness for the hook's intake: {e}")))?;
        Ok(Mark { seq: 0, mac })
    }

    /// The data of the `intake_chained` event that records it.
    pub fn data(&self) -> Value {
        json!({"seq": self.seq, "mac": hex::encode(self.mac)})
    }

    pub fn from_data(data: &str) -> Option<Mark> {
        let v: Value = serde_json::from_str(data).ok()?;
        let mut mac = [0u8; 32];
        hex::decode_to_slice(v.get("mac")?.as_str()?, &mut mac).ok()?;
        Some(Mark {
            seq: v.get("seq")?.as_u64()?,
            mac,
        })
    }
}

/// The intake's first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    /// The last line the ledger chained when it wrote this header.
    chained: Mark,
    /// The last line a hook wrote.
    written: Mark,
    /// The file's length after that line.
    end: u64,
}

impl Header {
    /// The header a fold leaves: nothing written since `chained`.
    fn new(chained: Mark) -> Header {
        Header {
            chained,
            written: chained,
            end: HEADER_LEN as u64,
        }
    }

    fn encode(&self, key: &[u8]) -> Vec<u8> {
        let text = format!(
            "{MAGIC} chained={:020}:{} written={:020}:{} end={:020}",
            self.chained.seq,
            hex::encode(self.chained.mac),
            self.written.seq,
            hex::encode(self.written.mac),
            self.end
        );
        let m = mac(key, &[0; 32], text.as_bytes());
        let mut out = text.into_bytes();
        out.push(b'\t');
        out.extend_from_slice(hex::encode(m).as_bytes());
        out.push(b'\n');
        debug_assert_eq!(out.len(), HEADER_LEN);
        out
    }

    /// The header at the start of `bytes`, checked; or why it is not a valid one.
    fn decode(key: &[u8], bytes: &[u8]) -> std::result::Result<Header, &'static str> {
        if bytes.len() < HEADER_LEN || bytes[HEADER_LEN - 1] != b'\n' {
            return Err("it is cut short or has the wrong length");
        }
        let line = &bytes[..HEADER_LEN - 1];
        let field = mac_field(line).ok_or("it has no MAC")?;
        let text = &line[..HEADER_TEXT];
        if mac(key, &[0; 32], text) != field {
            return Err("its MAC does not match");
        }
        let fields = || -> Option<Header> {
            let rest = std::str::from_utf8(text).ok()?.strip_prefix(MAGIC)?;
            let (chained, rest) = mark_field(rest.strip_prefix(" chained=")?)?;
            let (written, rest) = mark_field(rest.strip_prefix(" written=")?)?;
            let end = rest.strip_prefix(" end=")?.parse().ok()?;
            Some(Header {
                chained,
                written,
                end,
            })
        };
        fields().ok_or("its MAC matches but its fields are unreadable")
    }
}

/// `SEQ:MAC` (20 digits, 64 hex digits) at the start of `s`, and what follows.
fn mark_field(s: &str) -> Option<(Mark, &str)> {
    let (seq, rest) = s.split_at_checked(20)?;
    let (hex, rest) = rest.strip_prefix(':')?.split_at_checked(MAC_HEX)?;
    let mut mac = [0u8; 32];
    hex::decode_to_slice(hex, &mut mac).ok()?;
    Some((
        Mark {
            seq: seq.parse().ok()?,
            mac,
        },
        rest,
    ))
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

impl Entry {
    /// An event about the intake itself (about no request).
    fn about_intake(kind: &str, data: Value, now: &str) -> Entry {
        Entry {
            request: String::new(),
            time: now.to_string(),
            kind: kind.to_string(),
            data: chain::canonical_value(&data),
        }
    }
}

/// A line as written: `seq` last, so that a hook finds it in the line's last bytes.
#[derive(Serialize)]
struct LineOut<'a> {
    events: &'a [Entry],
    seq: u64,
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

/// A line with what it says about its place: its number (`None` for a line cut short or
/// without one) and its MAC field.
#[derive(Debug)]
struct Line {
    record: Record,
    seq: Option<u64>,
    mac: Option<[u8; 32]>,
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

/// The number a line's JSON ends with (`…,"seq":N}` before its MAC field), if it has one. The
/// same for every line, checked or not, so that a hook and the fold count alike.
fn line_seq(line: &[u8]) -> Option<u64> {
    mac_field(line)?;
    let json = &line[..line.len() - MAC_HEX - 1];
    let body = json.strip_suffix(b"}")?;
    let digits = body.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 20 {
        return None;
    }
    let (head, number) = body.split_at(body.len() - digits);
    if !head.ends_with(b",\"seq\":") {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}

/// The next line of `rest`, without its LF, whether it had one, and what follows it.
fn next_line(rest: &[u8]) -> (&[u8], bool, &[u8]) {
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], true, &rest[i + 1..]),
        None => (rest, false, &[]),
    }
}

/// Append `events` as one line, stamped with the current time. Returns once the line is
/// written whole (and flushed with `SyncMode::Full`); on any failure nothing is left behind.
/// An intake that is missing or has no valid header is first checked and set up by the
/// ledger (which records what it found there).
pub fn append(ledger: &Path, key: &[u8], events: &[NewEvent<'_>], sync: SyncMode) -> Result<()> {
    append_or_set_up(ledger, key, events, sync, || {
        super::Ledger::open(ledger, sync)?.settle_intake(true)
    })
}

fn append_or_set_up(
    ledger: &Path,
    key: &[u8],
    events: &[NewEvent<'_>],
    sync: SyncMode,
    set_up: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let path = path(ledger);
    if try_append(&path, key, events, sync)? {
        return Ok(());
    }
    set_up()?;
    if try_append(&path, key, events, sync)? {
        return Ok(());
    }
    Err(Error::ledger(
        &path,
        "intake: it has no valid header even after the ledger set it up",
    ))
}

/// Append to an intake with a valid header: `false` if there is none (nothing written).
fn try_append(path: &Path, key: &[u8], events: &[NewEvent<'_>], sync: SyncMode) -> Result<bool> {
    let err = |e: &dyn std::fmt::Display| Error::ledger(path, format!("intake: {e}"));
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(err(&e)),
    };
    let file = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| err(&e))?;
    let size = file.metadata().map_err(|e| err(&e))?.len();
    // More than a hook would append to: let the ledger chain it.
    if size < HEADER_LEN as u64 || size > 4 * FOLD_AT {
        return Ok(false);
    }
    let mut old = [0u8; HEADER_LEN];
    file.read_exact_at(&mut old, 0).map_err(|e| err(&e))?;
    let Ok(header) = Header::decode(key, &old) else {
        return Ok(false);
    };
    let (seq, prev, newline) = if size == header.end {
        (
            header.written.seq.saturating_add(1),
            header.written.mac,
            false,
        )
    } else {
        // The header does not account for the end of the file: a gate died after writing its
        // line (whole or cut short) and before updating the header, or lines were cut off the
        // end. Go on after what is there, as the fold will read it, numbered past every line
        // written, so that lines cut off leave a gap.
        let mut text = vec![0u8; size as usize];
        file.read_exact_at(&mut text, 0).map_err(|e| err(&e))?;
        let t = tail(&text[HEADER_LEN..], &header.chained);
        (
            header.written.seq.max(t.seq).saturating_add(1),
            t.prev,
            !t.closed,
        )
    };
    let time = now_rfc3339();
    let entries: Vec<Entry> = events
        .iter()
        .map(|e| Entry {
            request: e.request.to_string(),
            time: time.clone(),
            kind: e.kind.as_str().to_string(),
            data: chain::canonical_value(&e.data),
        })
        .collect();
    let json = serde_json::to_string(&LineOut {
        events: &entries,
        seq,
    })
    .map_err(|e| err(&e))?;
    let m = mac(key, &prev, json.as_bytes());
    let mut out = Vec::with_capacity(json.len() + MAC_HEX + 3);
    if newline {
        // A last line cut short (its gate was killed mid-write) stays one damaged line.
        out.push(b'\n');
    }
    out.extend_from_slice(json.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(hex::encode(m).as_bytes());
    out.push(b'\n');
    let new = Header {
        written: Mark { seq, mac: m },
        end: size + out.len() as u64,
        ..header
    };
    // The line first (flushed, with sync full), then the header that counts it: a header that
    // lags behind its last line is harmless, one ahead of it would read as lines cut off.
    let written = file
        .write_all_at(&out, size)
        .and_then(|()| match sync {
            SyncMode::Full => file.sync_data(),
            SyncMode::Normal => Ok(()),
        })
        .and_then(|()| file.write_all_at(&new.encode(key), 0));
    if let Err(e) = written {
        // Leave no line behind: a hook that could not record denies, so this request never
        // happened.
        let _ = file.set_len(size);
        let _ = file.write_all_at(&old, 0);
        return Err(err(&e));
    }
    Ok(true)
}

/// What the lines after a header end with, as [`read_lines`] will see them once a hook closes
/// a last line cut short: the highest number, the MAC the next line chains to, and whether the
/// last line has its LF.
struct Tail {
    seq: u64,
    prev: [u8; 32],
    closed: bool,
}

fn tail(body: &[u8], chained: &Mark) -> Tail {
    let mut t = Tail {
        seq: 0,
        prev: chained.mac,
        closed: true,
    };
    let mut rest = body;
    while !rest.is_empty() {
        let (line, complete, next) = next_line(rest);
        t.seq = t.seq.max(line_seq(line).unwrap_or(0));
        t.prev = mac_field(line).unwrap_or([0; 32]);
        t.closed = complete;
        rest = next;
    }
    t
}

/// Check every line of `text` (what follows the header), in order; the first chains to
/// `prev`.
fn read_lines(key: &[u8], mut prev: [u8; 32], text: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, complete, next) = next_line(rest);
        rest = next;
        let as_found = || String::from_utf8_lossy(line).into_owned();
        let damaged = |incomplete, reason: String| Record::Damaged {
            incomplete,
            reason,
            line: as_found(),
        };
        if !complete {
            out.push(Line {
                record: damaged(
                    true,
                    "the line was cut short (a gate was stopped while writing it and never answered)".into(),
                ),
                seq: None,
                mac: None,
            });
            break;
        }
        let Some(field) = mac_field(line) else {
            out.push(Line {
                record: damaged(
                    true,
                    "the line has no MAC (a gate was stopped while writing it and never answered)"
                        .into(),
                ),
                seq: None,
                mac: None,
            });
            prev = [0u8; 32];
            continue;
        };
        let json = &line[..line.len() - MAC_HEX - 1];
        let expected = mac(key, &prev, json);
        prev = field;
        let record = if expected != field {
            damaged(false, "its MAC does not match: the line was changed, or a line before it was removed, inserted or reordered".into())
        } else {
            match serde_json::from_slice::<LineIn>(json) {
                Ok(l) => Record::Batch(l.events),
                Err(e) => damaged(
                    false,
                    format!("its MAC matches but its text is unreadable ({e})"),
                ),
            }
        };
        out.push(Line {
            record,
            seq: line_seq(line),
            mac: Some(field),
        });
    }
    out
}

/// The start of an intake.
enum Head {
    /// No header: nothing, or lines from a gate before numbered lines (or an erased intake).
    None,
    Valid(Header),
    /// A first line that begins as a header but is not a valid one.
    Damaged {
        reason: &'static str,
        line: String,
    },
}

/// The header, and the lines after it.
fn split_header<'t>(key: &[u8], text: &'t [u8]) -> (Head, &'t [u8]) {
    if !text.starts_with(MAGIC.as_bytes()) {
        return (Head::None, text);
    }
    match Header::decode(key, text) {
        Ok(h) => (Head::Valid(h), &text[HEADER_LEN..]),
        Err(reason) => {
            let (line, _, rest) = next_line(text);
            let line = String::from_utf8_lossy(line).into_owned();
            (Head::Damaged { reason, line }, rest)
        }
    }
}

/// What a fold chains, in order.
pub struct Item {
    pub entries: Vec<Entry>,
    /// `Some(timed)`: this may already be in the ledger (chained by a fold that died before
    /// cutting it off), which only its content can tell (its time too, if `timed`). `None`: a
    /// numbered line after the ledger's mark, new for sure.
    pub recheck: Option<bool>,
}

/// What a fold does with an intake.
pub struct Plan {
    pub items: Vec<Item>,
    /// The ledger's mark once the items are chained (the last numbered line), or `None` if the
    /// intake was never set up and is to be left empty.
    pub mark: Option<Mark>,
}

/// Check an intake (`None`: there is no such file) against where the ledger stands in it
/// (`chained`: `None` if it never set one up), and say what to chain, stamping what the fold
/// finds with `now`.
pub fn plan(key: &[u8], text: Option<&[u8]>, chained: Option<Mark>, now: &str) -> Plan {
    let (head, body) = split_header(key, text.unwrap_or_default());
    let from = match &head {
        Head::Valid(h) => h.chained.mac,
        _ => [0; 32],
    };
    let lines = read_lines(key, from, body);
    let mut items = Vec::new();
    let resume = chained.filter(|m| m.seq > 0).and_then(|m| {
        lines
            .iter()
            .position(|l| l.seq == Some(m.seq) && l.mac == Some(m.mac))
    });
    let (rest, mut next, mut mark) = match (&head, chained, resume) {
        // A fold that died between its commit and cutting the intake back left the lines it
        // chained, its mark's line among them.
        (_, Some(m), Some(i)) => (&lines[i + 1..], Some(m.seq.saturating_add(1)), chained),
        (Head::Valid(h), Some(m), None) if h.chained == m => {
            (&lines[..], Some(m.seq.saturating_add(1)), chained)
        }
        // Set up by a gate that died before committing its mark: nothing was expected of it.
        (Head::Valid(h), None, None) if h.chained.seq == 0 => {
            (&lines[..], Some(1), Some(h.chained))
        }
        // Never set up: nothing, or lines from a gate before numbered lines.
        (Head::None, None, None) => (&lines[..], None, None),
        _ => {
            let found = describe(text, &head, body);
            items.push(Item {
                entries: vec![Entry::about_intake(
                    "intake_erased",
                    json!({"expected": chained.map(|m| m.data()), "found": found}),
                    now,
                )],
                recheck: Some(false),
            });
            match &head {
                Head::Valid(h) => (
                    &lines[..],
                    Some(h.chained.seq.saturating_add(1)),
                    chained.or(Some(h.chained)),
                ),
                _ => (&lines[..], None, chained),
            }
        }
    };
    let gap = |data: Value| Item {
        entries: vec![Entry::about_intake("intake_gap", data, now)],
        recheck: Some(false),
    };
    for line in rest {
        if let Some(seq) = line.seq {
            if let Some(n) = next
                && seq != n
            {
                items.push(gap(json!({"expected": n, "found": seq})));
            }
            // Numbers come from lines as found: no arithmetic on them may panic.
            next = Some(seq.saturating_add(1));
        }
        items.push(match (&line.record, line.seq, line.mac) {
            (Record::Batch(entries), Some(seq), Some(mac)) => {
                mark = Some(Mark { seq, mac });
                Item {
                    entries: entries.clone(),
                    recheck: None,
                }
            }
            // A line from a gate before numbered lines.
            (Record::Batch(entries), ..) => Item {
                entries: entries.clone(),
                recheck: Some(true),
            },
            (damaged, ..) => Item {
                entries: damaged.entries(now),
                recheck: Some(false),
            },
        });
    }
    // The header says which line was written last: any after the last one found were cut off.
    if let Head::Valid(h) = &head
        && let Some(n) = next
        && h.written.seq >= n
    {
        items.push(gap(json!({"expected": n, "written": h.written.seq})));
    }
    Plan { items, mark }
}

/// What a fold found where the intake should have started, for `intake_erased`.
fn describe(text: Option<&[u8]>, head: &Head, body: &[u8]) -> String {
    match (text, head) {
        (None, _) => "no intake".into(),
        (Some([]), _) => "an empty intake".into(),
        (_, Head::Valid(h)) => format!("an intake that continues from its line #{}", h.chained.seq),
        (_, Head::Damaged { reason, line }) => {
            format!("a damaged header ({reason}): {:?}", clip(line))
        }
        (_, Head::None) => {
            let (line, _, _) = next_line(body);
            format!(
                "lines without a header, the first: {:?}",
                clip(&String::from_utf8_lossy(line))
            )
        }
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The intake, locked for folding: nobody can add to it until it is dropped.
pub struct Taken {
    /// `None`: there was no intake.
    file: Option<Flock<File>>,
    text: Vec<u8>,
}

impl Taken {
    /// Lock the intake and read it. Unless `whole` is asked for, `None` when nothing waits in
    /// it (it holds no more than its header, or there is none): every append comes here, and a
    /// stat says so. With `whole`, an intake that is missing or holds only its header is taken
    /// too, to be checked against the ledger (`gate verify`, a hook that found no header).
    pub fn take(ledger: &Path, whole: bool) -> Result<Option<Taken>> {
        if !whole && waiting_bytes(ledger) == 0 {
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(whole.then(|| Taken {
                    file: None,
                    text: Vec::new(),
                }));
            }
            Err(e) => return Err(err(&e)),
        };
        let mut file = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| err(&e))?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(|e| err(&e))?;
        Ok(Some(Taken {
            file: Some(file),
            text,
        }))
    }

    /// Whether there is nothing in it (or no intake at all).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Check it against the ledger's mark: see [`plan`].
    pub fn plan(&self, key: &[u8], chained: Option<Mark>, now: &str) -> Plan {
        plan(
            key,
            self.file.as_ref().map(|_| &self.text[..]),
            chained,
            now,
        )
    }

    /// Set up an empty or missing intake: write its header, starting at `mark`, before the
    /// ledger commits that mark (if gate dies in between, the next fold adopts it).
    pub fn set_up(&mut self, ledger: &Path, key: &[u8], mark: Mark, sync: SyncMode) -> Result<()> {
        let path = path(ledger);
        let header = Header::new(mark).encode(key);
        self.write_header(&path, &header, sync)
            .map_err(|e| Error::ledger(&path, format!("intake: cannot set it up: {e}")))?;
        self.text = header;
        Ok(())
    }

    /// After the commit that chained it: cut the intake back to a header at the ledger's new
    /// `mark` (or empty it, if it was never set up). The header is rewritten in place first,
    /// then the lines after it cut off: if gate dies in between, the next fold finds the
    /// mark's line among them and skips through it.
    pub fn settle(
        mut self,
        ledger: &Path,
        key: &[u8],
        mark: Option<Mark>,
        sync: SyncMode,
    ) -> std::io::Result<()> {
        let Some(mark) = mark else {
            return match &self.file {
                Some(f) if !self.text.is_empty() => f.set_len(0),
                _ => Ok(()),
            };
        };
        let header = Header::new(mark).encode(key);
        if self.text == header {
            return Ok(());
        }
        self.write_header(&path(ledger), &header, sync)
    }

    fn write_header(&mut self, path: &Path, header: &[u8], sync: SyncMode) -> std::io::Result<()> {
        let created = self.file.is_none();
        let file = match self.file.take() {
            Some(f) => f,
            None => {
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .mode(0o600)
                    .custom_flags(nix::libc::O_NOFOLLOW)
                    .open(path)?;
                Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| e)?
            }
        };
        let file = self.file.insert(file);
        file.write_all_at(header, 0)?;
        file.set_len(header.len() as u64)?;
        if sync == SyncMode::Full {
            file.sync_data()?;
            // A new intake's name must survive a power loss too.
            if created && let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn ev<'a>(request: &'a str, kind: &str, n: i64) -> NewEvent<'a> {
        NewEvent {
            request,
            kind: super::super::Kind::parse(kind).expect("a known kind"),
            data: json!({"n": n, "text": "tab\there \"quoted\"\nnewline \"seq\":7}"}),
        }
    }

    /// Set up an intake as the ledger does (header, at a fresh mark).
    fn set_up(ledger: &Path) -> Mark {
        let mut taken = Taken::take(ledger, true).unwrap().unwrap();
        let mark = Mark::fresh().unwrap();
        taken.set_up(ledger, KEY, mark, SyncMode::Full).unwrap();
        mark
    }

    /// A hook's append, to an intake that must be set up already.
    fn add(ledger: &Path, events: &[NewEvent<'_>]) {
        append_or_set_up(ledger, KEY, events, SyncMode::Normal, || {
            panic!("the intake was not set up")
        })
        .unwrap();
    }

    fn text(ledger: &Path) -> Vec<u8> {
        std::fs::read(path(ledger)).unwrap()
    }

    /// Each item as `request:kind` of its events, or the kind of what the fold found.
    fn summary(plan: &Plan) -> Vec<String> {
        plan.items
            .iter()
            .map(|i| {
                i.entries
                    .iter()
                    .map(|e| match e.kind.as_str() {
                        "intake_gap" | "intake_erased" => format!("{} {}", e.kind, e.data),
                        "intake_rejected" | "intake_incomplete" => e.kind.clone(),
                        _ => format!("{}:{}", e.request, e.kind),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn plan_of(bytes: Option<&[u8]>, mark: Option<Mark>) -> Plan {
        plan(KEY, bytes, mark, "now")
    }

    /// A fold as the ledger does it, taking nothing for already chained: its plan, and the
    /// intake cut back to its new mark.
    fn fold(ledger: &Path, mark: Option<Mark>) -> Plan {
        let taken = Taken::take(ledger, true).unwrap().unwrap();
        let plan = taken.plan(KEY, mark, "now");
        taken
            .settle(ledger, KEY, plan.mark, SyncMode::Normal)
            .unwrap();
        plan
    }

    fn lines_of(bytes: &[u8]) -> Vec<&[u8]> {
        bytes.split_inclusive(|b| *b == b'\n').collect()
    }

    #[test]
    fn lines_chain_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = set_up(&ledger);
        assert_eq!(text(&ledger).len(), HEADER_LEN);
        add(&ledger, &[ev("a", "request", 1), ev("a", "decision", 2)]);
        add(&ledger, &[ev("b", "request", 3)]);
        let plan = plan_of(Some(&text(&ledger)), Some(mark));
        assert_eq!(summary(&plan), ["a:request a:decision", "b:request"]);
        assert!(plan.items.iter().all(|i| i.recheck.is_none()));
        assert_eq!(plan.mark.unwrap().seq, 2);
        assert_eq!(
            plan.items[0].entries[0].data,
            chain::canonical_value(&ev("a", "request", 1).data)
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(&ledger))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        // Folded: only a header at the new mark is left, and the next line is #3.
        let folded = fold(&ledger, Some(mark));
        assert_eq!(text(&ledger).len(), HEADER_LEN);
        assert_eq!(waiting_bytes(&ledger), 0);
        add(&ledger, &[ev("c", "request", 4)]);
        let plan = plan_of(Some(&text(&ledger)), folded.mark);
        assert_eq!(summary(&plan), ["c:request"]);
        assert_eq!(plan.mark.unwrap().seq, 3);
    }

    #[test]
    fn the_header_is_fixed_width_and_checked() {
        let h = Header {
            chained: Mark {
                seq: 7,
                mac: [1; 32],
            },
            written: Mark {
                seq: u64::MAX,
                mac: [2; 32],
            },
            end: 12345,
        };
        let bytes = h.encode(KEY);
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(Header::decode(KEY, &bytes), Ok(h));
        assert_eq!(Header::new(h.chained).encode(KEY).len(), HEADER_LEN);
        let mut forged = bytes.clone();
        forged[MAGIC.len() + 10] = b'9';
        assert_eq!(Header::decode(KEY, &forged), Err("its MAC does not match"));
        assert!(Header::decode(b"another key, another key, anothe", &bytes).is_err());
        assert!(Header::decode(KEY, &bytes[..HEADER_LEN - 1]).is_err());
    }

    #[test]
    fn a_changed_removed_or_reordered_line_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            add(&ledger, &[ev(id, "request", i as i64)]);
        }
        let text = text(&ledger);
        let lines = lines_of(&text);
        let (header, a, b, c) = (lines[0], lines[1], lines[2], lines[3]);

        // Changed: only that line fails (the next one chains to its MAC field, unchanged).
        let s = String::from_utf8(text.clone()).unwrap();
        let changed = s.replacen(r#"\"n\":1"#, r#"\"n\":9"#, 1);
        assert_ne!(changed, s);
        let p = plan_of(Some(changed.as_bytes()), mark);
        assert_eq!(summary(&p), ["a:request", "intake_rejected", "c:request"]);

        // Removed from the middle: the gap, then the line after it (which fails its check).
        let removed = [header, a, c].concat();
        let p = plan_of(Some(&removed), mark);
        assert_eq!(
            summary(&p),
            [
                "a:request",
                r#"intake_gap {"expected":2,"found":3}"#,
                "intake_rejected"
            ]
        );

        // Removed from the end: the header says it was written.
        let cut = [header, a, b].concat();
        let p = plan_of(Some(&cut), mark);
        assert_eq!(
            summary(&p),
            [
                "a:request",
                "b:request",
                r#"intake_gap {"expected":3,"written":3}"#
            ]
        );

        // Reordered.
        let swapped = [header, b, a, c].concat();
        let p = plan_of(Some(&swapped), mark);
        assert_eq!(p.items[0].entries[0].kind, "intake_gap");
        assert!(
            summary(&p)
                .iter()
                .filter(|s| *s == "intake_rejected")
                .count()
                >= 2,
            "{:?}",
            summary(&p)
        );

        // Forged with another key: nothing checks, the header included.
        let p = plan(
            b"another key, another key, anothe",
            Some(&text),
            mark,
            "now",
        );
        let found = summary(&p);
        assert!(found[0].starts_with("intake_erased"), "{found:?}");
        assert!(
            found[1..].iter().all(|s| s == "intake_rejected"),
            "{found:?}"
        );
    }

    #[test]
    fn an_intake_emptied_removed_or_replaced_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        add(&ledger, &[ev("a", "request", 1)]);
        let erased = |p: &Plan| summary(p)[0].starts_with("intake_erased");
        for bytes in [None, Some(&b""[..])] {
            let p = plan_of(bytes, mark);
            assert!(erased(&p), "{:?}", summary(&p));
            assert_eq!(p.items.len(), 1);
            assert_eq!(
                p.mark, mark,
                "the header goes back to where the ledger stands"
            );
        }
        // Another intake's header (set up anew): its first line chains to another mark.
        let other = tempfile::tempdir().unwrap();
        let other = other.path().join("ledger.db");
        set_up(&other);
        add(&other, &[ev("x", "request", 1)]);
        let p = plan_of(Some(&text(&other)), mark);
        assert!(erased(&p), "{:?}", summary(&p));
        assert_eq!(summary(&p)[1], "x:request");

        // Lines without their header.
        let t = text(&ledger);
        let p = plan_of(Some(&t[HEADER_LEN..]), mark);
        assert!(erased(&p), "{:?}", summary(&p));

        // Nothing was ever set up: nothing expected.
        assert!(plan_of(None, None).items.is_empty());
        assert!(plan_of(None, None).mark.is_none());
    }

    #[test]
    fn a_line_cut_short_is_closed_and_the_chain_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        add(&ledger, &[ev("a", "request", 1)]);
        // A gate killed in the middle of its write (it never updated the header).
        let mut f = OpenOptions::new().append(true).open(path(&ledger)).unwrap();
        f.write_all(b"{\"events\":[{\"request\":\"b\",\"ti")
            .unwrap();
        let p = plan_of(Some(&text(&ledger)), mark);
        assert_eq!(summary(&p), ["a:request", "intake_incomplete"]);

        add(&ledger, &[ev("c", "request", 3)]);
        let p = plan_of(Some(&text(&ledger)), mark);
        assert_eq!(
            summary(&p),
            ["a:request", "intake_incomplete", "c:request"],
            "no gap: the line cut short never took a number"
        );
        assert_eq!(p.mark.unwrap().seq, 2);
    }

    #[test]
    fn a_hook_that_died_before_updating_the_header_is_no_gap() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        add(&ledger, &[ev("a", "request", 1)]);
        let header = text(&ledger)[..HEADER_LEN].to_vec();
        add(&ledger, &[ev("b", "request", 2)]);
        // Its line is there, the header still says #1.
        let f = OpenOptions::new().write(true).open(path(&ledger)).unwrap();
        f.write_all_at(&header, 0).unwrap();
        add(&ledger, &[ev("c", "request", 3)]);
        let p = plan_of(Some(&text(&ledger)), mark);
        assert_eq!(summary(&p), ["a:request", "b:request", "c:request"]);
        assert_eq!(p.mark.unwrap().seq, 3);
    }

    #[test]
    fn lines_cut_off_then_new_ones_leave_a_gap() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        for id in ["a", "b", "c"] {
            add(&ledger, &[ev(id, "request", 0)]);
        }
        let t = text(&ledger);
        let lines = lines_of(&t);
        std::fs::write(path(&ledger), lines[..2].concat()).unwrap();
        add(&ledger, &[ev("d", "request", 0)]);
        let p = plan_of(Some(&text(&ledger)), mark);
        assert_eq!(
            summary(&p),
            [
                "a:request",
                r#"intake_gap {"expected":2,"found":4}"#,
                "d:request"
            ]
        );
    }

    /// A fold that died after its commit: before rewriting the header (the whole old intake
    /// is left), or after it but before cutting the lines off.
    #[test]
    fn a_fold_that_died_half_way_is_resumed_after_its_mark() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        add(&ledger, &[ev("a", "request", 1)]);
        add(&ledger, &[ev("b", "request", 2)]);
        let before = text(&ledger);
        let chained = plan_of(Some(&before), mark).mark;
        assert_eq!(chained.unwrap().seq, 2);

        // Died before rewriting the header; then a hook adds a line.
        add(&ledger, &[ev("c", "request", 3)]);
        let p = plan_of(Some(&text(&ledger)), chained);
        assert_eq!(summary(&p), ["c:request"]);

        // Died after rewriting the header; then a hook adds a line.
        std::fs::write(path(&ledger), &before).unwrap();
        let mut torn = Header::new(chained.unwrap()).encode(KEY);
        torn.extend_from_slice(&before[HEADER_LEN..]);
        std::fs::write(path(&ledger), &torn).unwrap();
        let p = plan_of(Some(&torn), chained);
        assert!(p.items.is_empty(), "{:?}", summary(&p));
        add(&ledger, &[ev("c", "request", 3)]);
        let p = plan_of(Some(&text(&ledger)), chained);
        assert_eq!(summary(&p), ["c:request"]);
        assert_eq!(p.mark.unwrap().seq, 3);
    }

    #[test]
    fn a_set_up_that_died_before_its_commit_is_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = set_up(&ledger);
        // Only its header: adopted as it is.
        let p = plan_of(Some(&text(&ledger)), None);
        assert!(p.items.is_empty(), "{:?}", summary(&p));
        assert_eq!(p.mark, Some(mark));
        // With a line a hook added since.
        add(&ledger, &[ev("a", "request", 1)]);
        let p = plan_of(Some(&text(&ledger)), None);
        assert_eq!(summary(&p), ["a:request"]);
        assert_eq!(p.mark.unwrap().seq, 1);
    }

    #[test]
    fn an_intake_from_a_gate_before_numbered_lines_is_chained_as_it_is_and_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        // What that gate wrote: lines chained from zeros, no header, no numbers.
        let mut old = Vec::new();
        let mut prev = [0u8; 32];
        for id in ["a", "b"] {
            let entries = vec![Entry {
                request: id.into(),
                time: "t".into(),
                kind: "request".into(),
                data: "{}".into(),
            }];
            let json = format!(
                "{{\"events\":{}}}",
                serde_json::to_string(&entries).unwrap()
            );
            prev = mac(KEY, &prev, json.as_bytes());
            old.extend_from_slice(format!("{json}\t{}\n", hex::encode(prev)).as_bytes());
        }
        std::fs::write(path(&ledger), &old).unwrap();
        let p = fold(&ledger, None);
        assert_eq!(summary(&p), ["a:request", "b:request"]);
        assert!(p.items.iter().all(|i| i.recheck == Some(true)));
        assert_eq!(p.mark, None);
        assert_eq!(text(&ledger), b"", "emptied, to be set up by the next hook");
    }

    proptest::proptest! {
        /// Whatever bytes an attacker or a crash leaves in the intake, reading it never panics,
        /// and every byte is accounted for: each line is a batch or is kept as found.
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let lines = read_lines(KEY, [0; 32], &bytes);
            let newlines = bytes.iter().filter(|b| **b == b'\n').count();
            let tail = usize::from(bytes.last().is_some_and(|b| *b != b'\n'));
            proptest::prop_assert_eq!(lines.len(), newlines + tail);
            for l in &lines {
                proptest::prop_assert!(matches!(l.record, Record::Damaged { .. }),
                    "random bytes cannot carry a valid MAC");
            }
            let mark = Mark { seq: 3, mac: [7; 32] };
            let p = plan(KEY, Some(&bytes), Some(mark), "now");
            proptest::prop_assert!(!p.items.is_empty(), "random bytes are never a valid intake");
            let _ = tail_of(&bytes);
        }
    }

    fn tail_of(bytes: &[u8]) -> Tail {
        tail(
            bytes,
            &Mark {
                seq: 0,
                mac: [0; 32],
            },
        )
    }

    /// Planting a symlink in its place must not make gate append to (or empty) another file.
    #[test]
    fn a_symlink_in_place_of_the_intake_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, path(&ledger)).unwrap();
        assert!(
            append_or_set_up(
                &ledger,
                KEY,
                &[ev("a", "request", 1)],
                SyncMode::Normal,
                || Ok(())
            )
            .is_err()
        );
        assert!(Taken::take(&ledger, false).is_err());
        assert!(Taken::take(&ledger, true).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
    }

    #[test]
    fn taking_an_absent_or_header_only_intake_finds_nothing_unless_asked_for_all() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        assert!(Taken::take(&ledger, false).unwrap().is_none());
        assert!(Taken::take(&ledger, true).unwrap().unwrap().is_empty());
        set_up(&ledger);
        assert!(Taken::take(&ledger, false).unwrap().is_none());
        assert!(!Taken::take(&ledger, true).unwrap().unwrap().is_empty());
        add(&ledger, &[ev("a", "request", 1)]);
        assert!(waiting_bytes(&ledger) > 0);
        assert!(Taken::take(&ledger, false).unwrap().is_some());
    }

    #[test]
    fn a_hook_sets_up_an_intake_it_cannot_append_to_first() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mut asked = 0;
        append_or_set_up(
            &ledger,
            KEY,
            &[ev("a", "request", 1)],
            SyncMode::Normal,
            || {
                asked += 1;
                set_up(&ledger);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(asked, 1);
        // Junk in its place: set up again (the ledger reports what it found).
        std::fs::write(path(&ledger), vec![b'x'; HEADER_LEN + 10]).unwrap();
        let err = append_or_set_up(
            &ledger,
            KEY,
            &[ev("b", "request", 1)],
            SyncMode::Normal,
            || Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no valid header"), "{err}");
    }

    #[test]
    fn numbers_are_read_from_the_end_of_a_line_only() {
        assert_eq!(
            line_seq(format!("{{\"events\":[],\"seq\":42}}\t{}", "0".repeat(64)).as_bytes()),
            Some(42)
        );
        // Inside a string, or without a MAC field, it is no number.
        assert_eq!(
            line_seq(format!("{{\"x\":\"\\\"seq\\\":4}}\t{}", "0".repeat(64)).as_bytes()),
            None
        );
        assert_eq!(line_seq(b"{\"events\":[],\"seq\":42}"), None);

        // The largest number, planted twice: counted without overflowing.
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.db");
        let mark = Some(set_up(&ledger));
        let planted = format!("{{\"seq\":{}}}\t{}\n", u64::MAX, "0".repeat(64));
        let mut f = OpenOptions::new().append(true).open(path(&ledger)).unwrap();
        f.write_all(planted.repeat(2).as_bytes()).unwrap();
        add(&ledger, &[ev("a", "request", 1)]);
        let p = plan_of(Some(&text(&ledger)), mark);
        assert!(
            summary(&p).contains(&"a:request".to_string()),
            "{:?}",
            summary(&p)
        );
    }
}
