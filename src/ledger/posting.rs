//! What each destination (Slack, a webhook) has been sent of the checkpoints, so that
//! `gate checkpoints post` sends nothing twice and a destination that was down catches up.
//!
//! SQLite backend: `ledger.db.checkpoints.posted` (`slack SEQ` / `webhook SEQ` lines, the
//! newest seq sent), held by one poster at a time through an flock on
//! `ledger.db.checkpoints.posted.lock`.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, Result};

/// How long a poster that waits waits for another one to finish.
const LOCK_PATIENCE: Duration = Duration::from_secs(120);

/// The posting state, held by one poster until dropped.
pub trait Posted {
    /// The newest checkpoint seq `destination` has been sent (0: none).
    fn sent(&self, destination: &str) -> i64;
    /// Remember that `destination` has been sent everything up to `seq`.
    fn set_sent(&mut self, destination: &str, seq: i64);
    /// Keep what was set.
    fn save(&mut self) -> Result<()>;
}

pub struct File {
    path: PathBuf,
    sent: BTreeMap<String, i64>,
    _lock: Flock<std::fs::File>,
}

impl File {
    /// Take the posting state of the ledger at `ledger`: `None` if another poster holds it and
    /// `wait` is false.
    pub fn lock(ledger: &Path, wait: bool) -> Result<Option<File>> {
        let path = super::sibling(ledger, ".checkpoints.posted");
        let lock_path = super::sibling(ledger, ".checkpoints.posted.lock");
        let mut lock = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| Error::ledger(&lock_path, e))?;
        let deadline = Instant::now() + LOCK_PATIENCE;
        let guard = loop {
            match Flock::lock(lock, FlockArg::LockExclusiveNonblock) {
                Ok(g) => break g,
                Err(_) if !wait => return Ok(None),
                Err((back, _)) if Instant::now() < deadline => {
                    lock = back;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(_) => {
                    return Err(Error::Unavailable(format!(
                        "another gate has been posting checkpoints for {} s and still holds {}; nothing was sent: try again later",
                        LOCK_PATIENCE.as_secs(),
                        lock_path.display()
                    )));
                }
            }
        };
        let sent = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (dest, seq) = l.split_once(' ')?;
                Some((dest.to_string(), seq.trim().parse().ok()?))
            })
            .collect();
        Ok(Some(File {
            path,
            sent,
            _lock: guard,
        }))
    }
}

impl Posted for File {
    fn sent(&self, destination: &str) -> i64 {
        self.sent.get(destination).copied().unwrap_or(0)
    }

    fn set_sent(&mut self, destination: &str, seq: i64) {
        self.sent.insert(destination.to_string(), seq);
    }

    fn save(&mut self) -> Result<()> {
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let text: String = self
            .sent
            .iter()
            .map(|(d, s)| format!("{d} {s}\n"))
            .collect();
        if crate::protected::active() {
            // gate creates no file in the protected ledger's directory: rewritten in place,
            // under the poster lock (a torn write at worst posts a checkpoint again).
            return std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(&self.path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| Error::ledger(&self.path, e));
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|_| std::fs::rename(&tmp, &self.path))
            .map_err(|e| Error::ledger(&self.path, e))
    }
}
