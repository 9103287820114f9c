//! `gate shim install|list|remove`: small wrappers in a shim directory that route programs
//! which cannot be configured (`kubectl`, `terraform`, …) through gate to the real binary.
//!
//! A shim is `exec gate shim-exec NAME "$@"`. `shim-exec` finds NAME on PATH, skipping the shim
//! directory and any file that is itself a gate shim, so a shim never calls itself, even when
//! the directory appears twice on PATH or under another name (a symlink).

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::cli::{RunOptions, ShimCommand};
use crate::commands::run::{self, Target};
use crate::error::{Error, Result};
use crate::exit::Exit;

const MARKER: &str = "# gate-shim v1";

/// `GATE_SHIM_DIR`, else `$XDG_DATA_HOME/gate/shims`.
pub fn shim_dir() -> Result<PathBuf> {
    if let Some(d) = crate::env_vars::non_empty(crate::env_vars::GATE_SHIM_DIR) {
        return Ok(PathBuf::from(d));
    }
    crate::env_vars::data_dir()
        .map(|d| d.join("gate").join("shims"))
        .ok_or_else(|| {
            Error::Config(
                "cannot find the shim directory: set HOME, XDG_DATA_HOME or GATE_SHIM_DIR".into(),
            )
        })
}

fn is_shim(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains(MARKER)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// The real `program` on PATH: not in the shim directory, not a gate shim.
pub fn resolve_real(program: &str, shim_dir: &Path) -> Option<PathBuf> {
    let shim_dir = std::fs::canonicalize(shim_dir).unwrap_or_else(|_| shim_dir.to_path_buf());
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| {
            std::fs::canonicalize(dir)
                .map(|d| d != shim_dir)
                .unwrap_or(true)
        })
        .map(|dir| dir.join(program))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                && !is_shim(p)
        })
}

pub fn shim(cmd: ShimCommand) -> Result<Exit> {
    let dir = shim_dir()?;
    match cmd {
        ShimCommand::Install { programs } => install(&dir, &programs),
        ShimCommand::List => list(&dir),
        ShimCommand::Remove { programs } => remove(&dir, &programs),
    }
}

fn install(dir: &Path, programs: &[String]) -> Result<Exit> {
    let gate = std::env::current_exe()
        .map_err(|e| Error::Io(format!("cannot find gate's own path: {e}")))?;
    let gate = std::fs::canonicalize(&gate).unwrap_or(gate);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    for p in programs {
        if !valid_name(p) {
            return Err(Error::Usage(format!(
                "`{p}` is not a program name (no `/`)"
            )));
        }
    }
    for p in programs {
        let target = dir.join(p);
        if target.exists() && !is_shim(&target) {
            return Err(Error::Usage(format!(
                "{} exists and is not a gate shim: not overwriting it",
                target.display()
            )));
        }
        let quoted_gate = format!("'{}'", gate.display().to_string().replace('\'', "'\\''"));
        let body = format!(
            "#!/bin/sh\n{MARKER}\n# Routes `{p}` through gate; `gate shim remove {p}` undoes it.\nexec {quoted_gate} shim-exec '{p}' \"$@\"\n"
        );
        std::fs::write(&target, body)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", target.display())))?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::Io(format!("cannot chmod {}: {e}", target.display())))?;
        match resolve_real(p, dir) {
            Some(real) => println!("installed {} -> {}", target.display(), real.display()),
            None => println!(
                "installed {} (note: no `{p}` found on PATH yet)",
                target.display()
            ),
        }
    }
    let on_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .next()
                .is_some_and(|first| first == dir)
        })
        .unwrap_or(false);
    if !on_path {
        println!(
            "put the shim directory first on PATH: export PATH=\"{}:$PATH\"",
            dir.display()
        );
    }
    Ok(Exit::Success)
}

/// The shims in `dir`, sorted by name.
pub fn installed(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| is_shim(p))
            .collect(),
        Err(_) => Vec::new(),
    };
    entries.sort();
    entries
}

/// The gate a shim runs: the path in its `exec '…' shim-exec` line, as `install` quoted it.
pub fn shim_gate(shim: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(shim).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("exec '"))?;
    let (quoted, _) = line.split_once("' shim-exec ")?;
    Some(PathBuf::from(quoted.replace("'\\''", "'")))
}

fn list(dir: &Path) -> Result<Exit> {
    let entries = installed(dir);
    if entries.is_empty() {
        println!("no shims in {}", dir.display());
    }
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match resolve_real(&name, dir) {
            Some(real) => println!("{name}\t-> {}", real.display()),
            None => println!("{name}\t-> (not found on PATH)"),
        }
    }
    Ok(Exit::Success)
}

fn remove(dir: &Path, programs: &[String]) -> Result<Exit> {
    for p in programs {
        let target = dir.join(p);
        if !valid_name(p) || !target.exists() {
            println!("no shim for {p}");
            continue;
        }
        if !is_shim(&target) {
            return Err(Error::Usage(format!(
                "{} is not a gate shim: not removing it",
                target.display()
            )));
        }
        std::fs::remove_file(&target)
            .map_err(|e| Error::Io(format!("cannot remove {}: {e}", target.display())))?;
        println!("removed {}", target.display());
    }
    Ok(Exit::Success)
}

/// What a shim runs: the real program, under the policy, as `gate -- REAL ARGS`.
pub fn exec(program: &str, args: Vec<OsString>) -> Result<Exit> {
    let dir = shim_dir()?;
    let Some(real) = resolve_real(program, &dir) else {
        crate::ui::error(&format!(
            "{program}: command not found (only gate's shim is on PATH)"
        ));
        return Ok(Exit::NotFound);
    };
    let mut argv: Vec<OsString> = vec![real.into_os_string()];
    argv.extend(args);
    let opts = RunOptions {
        reason: crate::env_vars::text(crate::env_vars::GATE_REASON),
        policy: crate::env_vars::non_empty(crate::env_vars::GATE_POLICY).map(PathBuf::from),
        ..RunOptions::default()
    };
    run::run(opts, Target::Argv(argv))
}
