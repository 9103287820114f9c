//! Checkpoints: the chain head at intervals, appended to a file beside the ledger
//! (`ledger.db.checkpoints`, one `SEQ HASH TIME` line each). A truncated or rewritten database
//! no longer agrees with them. They live outside SQLite, so a `DELETE` with the triggers dropped
//! cannot reach them; an attacker with the user's rights can still rewrite both, which is why
//! copies held elsewhere (a log shipper, Slack, a webhook) are what really settles it.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A checkpoint every this many events.
pub const EVERY: i64 = 32;

pub fn path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".checkpoints")
}

pub fn append(ledger: &Path, seq: i64, hash: &[u8]) -> Result<()> {
    let path = path(ledger);
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::ledger(&path, e))?;
    // One write() of a short line with O_APPEND: lines from parallel writers never interleave.
    let line = format!("{seq} {} {}\n", hex::encode(hash), super::now_rfc3339());
    f.write_all(line.as_bytes())
        .map_err(|e| Error::ledger(&path, e))
}

/// Every checkpoint, by ascending seq. A missing file is no checkpoints.
pub fn read(ledger: &Path) -> Result<Vec<(i64, Vec<u8>)>> {
    let path = path(ledger);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::ledger(&path, e)),
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.split_whitespace();
        let parsed = (|| {
            let seq: i64 = parts.next()?.parse().ok()?;
            let hash = hex::decode(parts.next()?).ok()?;
            Some((seq, hash))
        })();
        match parsed {
            Some(p) => out.push(p),
            None => {
                return Err(Error::ledger(
                    &path,
                    format!("line {} of the checkpoint file is damaged: {line:?}", n + 1),
                ));
            }
        }
    }
    out.sort_by_key(|(seq, _)| *seq);
    Ok(out)
}
