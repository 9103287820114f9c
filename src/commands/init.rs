//! `gate init`: write the default policy, commented, where gate will read it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::policy::{DEFAULT_POLICY, user_policy_path};

pub fn init(force: bool, path: Option<PathBuf>) -> Result<Exit> {
    let path = path.or_else(user_policy_path).ok_or_else(|| {
        Error::Config("cannot find the user policy path: set HOME or XDG_CONFIG_HOME".into())
    })?;
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists: edit it, or run `gate init --force` to overwrite it",
            path.display()
        )));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&path)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    f.write_all(DEFAULT_POLICY.as_bytes())
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "wrote {} — edit it, then check it with `gate rules lint`",
        path.display()
    );
    Ok(Exit::Success)
}
