//! A keyed hash (HMAC-SHA-256) of the exact argv, so the ledger can prove which command line
//! ran without storing its secrets. The key lives beside the ledger, created 0600.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

pub fn key_path(ledger: &Path) -> PathBuf {
    super::sibling(ledger, ".key")
}

fn load_or_create_key(ledger: &Path) -> Result<Vec<u8>> {
    let path = key_path(ledger);
    match std::fs::File::open(&path) {
        Ok(mut f) => {
            let mut key = Vec::new();
            f.read_to_end(&mut key)
                .map_err(|e| Error::ledger(&path, e))?;
            if key.len() < 32 {
                return Err(Error::ledger(
                    &path,
                    "the ledger key is too short (corrupt?)",
                ));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            crate::random::fill(&mut key)
                .map_err(|e| Error::ledger(&path, format!("no randomness: {e}")))?;
            // Written whole under a temporary name, then linked into place: a concurrent gate
            // either finds no key or the complete key, never a half-written one. `link` fails
            // if the key appeared meanwhile, and then that one is used.
            let tmp = path.with_file_name(format!(
                ".{}.{}.tmp",
                path.file_name().unwrap_or_default().to_string_lossy(),
                std::process::id()
            ));
            // A leftover from a gate killed here with the same pid is ours to replace.
            let _ = std::fs::remove_file(&tmp);
            let written = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .and_then(|mut f| {
                    f.write_all(&key)?;
                    f.sync_all()
                });
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(Error::ledger(&path, e));
            }
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                // Another gate created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create_key(ledger)
                }
                Err(e) => Err(Error::ledger(&path, e)),
            }
        }
        Err(e) => Err(Error::ledger(&path, e)),
    }
}

/// The ledger's key (created on first use): for argv hashes, the intake's MACs and seals.
pub fn load_key(ledger: &Path) -> Result<Vec<u8>> {
    load_or_create_key(ledger)
}

/// The ledger's key if there is one, for checking what was made with it (a new key would
/// only make every check fail).
pub fn read_key(ledger: &Path) -> Result<Option<Vec<u8>>> {
    let path = key_path(ledger);
    match std::fs::read(&path) {
        Ok(key) if key.len() >= 32 => Ok(Some(key)),
        Ok(_) => Err(Error::ledger(
            &path,
            "the ledger key is too short (corrupt?)",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::ledger(&path, e)),
    }
}

/// `hmac-sha256:<hex>` over the argv, each argument followed by a NUL byte.
pub fn argv_hmac_with(key: &[u8], argv: &[OsString]) -> String {
    format!("hmac-sha256:{}", compute(key, argv))
}

pub fn compute(key: &[u8], argv: &[OsString]) -> String {
    hex::encode(mac(key, argv).finalize().into_bytes())
}

fn mac(key: &[u8], argv: &[OsString]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for a in argv {
        mac.update(a.as_bytes());
        mac.update(&[0]);
    }
    mac
}

/// Whether `argv` is the command line recorded with `recorded` (`hmac-sha256:<hex>`).
pub fn matches(key: &[u8], argv: &[OsString], recorded: &str) -> bool {
    let want = recorded.strip_prefix("hmac-sha256:").unwrap_or(recorded);
    hex::decode(want).is_ok_and(|want| mac(key, argv).verify_slice(&want).is_ok())
}
