//! The protected install (`sudo ./install.sh --system`): one ledger and one system policy that
//! the guarded users' own programs cannot touch, kept by an operating-system boundary, as
//! sudo keeps sudoers and its logs, but without root: the binary is setgid `gate` (mode 2755),
//! the ledger directory is root:gate 2770 and its files root:gate 0660 (the key 0640), so only
//! a process running this binary can write them, and only through what gate does.
//!
//! What the setgid binary does, in the habits of setgid programs (sudo, utempter):
//! - It knows it is the protected install from `protected.toml` beside it
//!   (`PREFIX/lib/gate/protected.toml`, found from `/proc/self/exe`, which the caller cannot
//!   choose), root-owned in root-owned directories; the file names the ledger directory and the
//!   policy directory. Nothing from the environment chooses what it writes: `GATE_LEDGER` and
//!   the like are ignored.
//! - At start it drops its effective group to the caller's real one and keeps `gate` only as
//!   the saved group: everything gate reads for the caller (their policy, the scripts a
//!   command runs, agent settings) is read with the caller's own rights. The group is raised
//!   again only around the ledger's own file operations ([`with_group`]).
//! - It never creates a file in the ledger directory (a file it created would belong to the
//!   caller, who could then rewrite it): the installer creates every file, as root.
//! - The command runs with the caller's real group and supplementary groups
//!   (`POSIX_SPAWN_RESETIDS`) and exactly the environment the caller gave gate (read back from
//!   `/proc/self/environ`: the C library drops some variables from a setgid program's own
//!   environment, and the command must not lose them).
//! - Any problem with the directory, the files or the binary's own bits is exit 74, saying what
//!   is wrong and the command that fixes it; nothing runs unrecorded.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use nix::unistd::{Gid, getegid, getgid, getresgid, getuid, setresgid};

use crate::error::{Error, Result};

/// What the installer writes beside the binary, relative to the binary's directory.
pub const CONFIG: &str = "../lib/gate/protected.toml";
/// The shipped defaults, which `install.sh --system` writes into the config.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/gate";
pub const DEFAULT_CONF_DIR: &str = "/etc/gate";

/// The ledger's files, each created by the installer (`gate protected-setup`) and never by
/// gate at run time: `(suffix after ledger.db, mode)`.
pub const FILES: &[(&str, u32)] = &[
    ("", 0o660),
    ("-wal", 0o660),
    ("-shm", 0o660),
    (".key", 0o640),
    (".intake", 0o660),
    (".intake.error", 0o660),
    (".checkpoints", 0o660),
    (".checkpoints.posted", 0o660),
    (".checkpoints.posted.lock", 0o660),
    // The fleet policy this host fetched (`gate policy fetch`), signed; empty until then.
    (".fleet-policy", 0o660),
];

#[derive(Debug)]
pub struct Install {
    /// The ledger's directory (`/var/lib/gate`).
    pub state_dir: PathBuf,
    /// The system policy's directory (`/etc/gate`).
    pub conf_dir: PathBuf,
    /// The binary's group, `gate`.
    pub gate_gid: Gid,
    /// The caller's real group.
    pub real_gid: Gid,
    /// The environment the caller gave gate, as it was.
    environ: Vec<OsString>,
}

impl Install {
    pub fn ledger(&self) -> PathBuf {
        self.state_dir.join("ledger.db")
    }
    pub fn system_policy(&self) -> PathBuf {
        self.conf_dir.join("policy.toml")
    }
}

static INSTALL: OnceLock<Option<Install>> = OnceLock::new();

/// The protected install this process runs as, if it does.
pub fn get() -> Option<&'static Install> {
    INSTALL.get().and_then(Option::as_ref)
}

/// Whether gate runs as the protected install.
pub fn active() -> bool {
    get().is_some()
}

/// Find out whether this is the protected install and, if it is, drop the group and check the
/// ledger directory. First thing in `main`: before the command line or any file is read.
///
/// `setup`: for `gate protected-setup` (the installer, as root), which creates what the check
/// would find missing.
pub fn init(setup: bool) -> Result<()> {
    if INSTALL.get().is_some() {
        return Ok(());
    }
    let found = detect();
    let install = match found {
        Ok(i) => i,
        Err(e) => {
            let _ = INSTALL.set(None);
            return Err(e);
        }
    };
    let _ = INSTALL.set(install);
    if let Some(i) = get()
        && !setup
    {
        with_group(|| check_state(i))?;
    }
    Ok(())
}

/// `gate protected-setup`, run by `install.sh --system` as root: the ledger directory and
/// every file of the ledger, made (where missing) and given their owner and mode. Idempotent:
/// an existing ledger keeps its events.
pub fn setup() -> Result<crate::exit::Exit> {
    use std::os::unix::fs::{DirBuilderExt, chown};
    let Some(i) = get() else {
        return Err(Error::Usage(
            "protected-setup is for the protected install (the installer runs it): this gate is not one".into(),
        ));
    };
    if !getuid().is_root() {
        return Err(Error::Usage(
            "protected-setup must run as root (sudo ./install.sh --system runs it)".into(),
        ));
    }
    let fail = |what: &Path, e: &dyn std::fmt::Display| {
        Error::Protected(format!("cannot set up {}: {e}", what.display()))
    };
    let gid = Some(i.gate_gid.as_raw());
    let dir = &i.state_dir;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(dir)
            .map_err(|e| fail(dir, &e))?;
    }
    chown(dir, Some(0), gid).map_err(|e| fail(dir, &e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o2770))
        .map_err(|e| fail(dir, &e))?;
    let ledger = i.ledger();
    // The database (schema, WAL mode) and the key, made by the ledger's own code.
    {
        let db = crate::ledger::Ledger::open(&ledger, crate::policy::SyncMode::Full)?;
        drop(db);
        crate::ledger::keyed::load_key(&ledger)?;
    }
    for (suffix, mode) in FILES {
        let path = crate::ledger::sibling(&ledger, suffix);
        if std::fs::symlink_metadata(&path).is_err() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| fail(&path, &e))?;
        }
        chown(&path, Some(0), gid).map_err(|e| fail(&path, &e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))
            .map_err(|e| fail(&path, &e))?;
    }
    check_state(i)?;
    println!(
        "gate: the protected ledger is ready in {} (group {})",
        dir.display(),
        group_name(i.gate_gid)
    );
    Ok(crate::exit::Exit::Success)
}

fn detect() -> Result<Option<Install>> {
    let (rgid, egid) = (getgid(), getegid());
    let elevated = rgid != egid;
    let exe = match std::fs::read_link("/proc/self/exe") {
        Ok(p) => p,
        Err(e) if elevated => {
            return Err(Error::Protected(format!(
                "gate runs setgid but cannot tell where its binary is (/proc/self/exe: {e}): nothing runs"
            )));
        }
        Err(_) => return Ok(None),
    };
    let config = exe
        .parent()
        .map(|d| d.join(CONFIG))
        .unwrap_or_else(|| PathBuf::from(CONFIG));
    let config = normalize(&config);
    let exists = std::fs::symlink_metadata(&config).is_ok();
    if !exists {
        if elevated {
            return Err(Error::Protected(format!(
                "{} runs setgid (group {}) but is not a protected install ({} is missing): nothing runs.\n  \
                 fix: sudo ./install.sh --system (to make it one), or: sudo chmod g-s {}",
                exe.display(),
                group_name(egid),
                config.display(),
                exe.display()
            )));
        }
        return Ok(None);
    }
    if let Err(why) = trusted_path(&config) {
        if !elevated {
            // A file a user could have written makes no install protected; this is the
            // ordinary per-user gate.
            return Ok(None);
        }
        return Err(Error::Protected(format!(
            "the protected install's configuration {} cannot be trusted: {why}: nothing runs.\n  fix: sudo ./install.sh --system",
            config.display()
        )));
    }
    if !elevated && !getuid().is_root() {
        let bits = std::fs::metadata(&exe)
            .map(|m| {
                format!(
                    "mode {:04o}, group {}",
                    m.mode() & 0o7777,
                    group_name(Gid::from_raw(m.gid()))
                )
            })
            .unwrap_or_default();
        return Err(Error::Protected(format!(
            "{} is gate's protected install but runs without its setgid bit ({bits}): it cannot write the shared ledger, and nothing runs unrecorded.\n  \
             fix: sudo chgrp gate {} && sudo chmod 2755 {} (or run sudo ./install.sh --system again; a filesystem mounted nosuid drops the bit too)",
            exe.display(),
            exe.display(),
            exe.display()
        )));
    }
    let text = std::fs::read_to_string(&config)
        .map_err(|e| Error::Protected(format!("cannot read {}: {e}", config.display())))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| Error::Protected(format!("{} is not valid TOML: {e}", config.display())))?;
    let dir = |key: &str, default: &str| -> Result<PathBuf> {
        match table.get(key) {
            None => Ok(PathBuf::from(default)),
            Some(toml::Value::String(s)) if Path::new(s).is_absolute() => Ok(PathBuf::from(s)),
            Some(_) => Err(Error::Protected(format!(
                "{}: `{key}` must be an absolute path",
                config.display()
            ))),
        }
    };
    let state_dir = dir("state_dir", DEFAULT_STATE_DIR)?;
    let conf_dir = dir("conf_dir", DEFAULT_CONF_DIR)?;
    // The caller's environment as it was given, before the C library's secure mode removed
    // what it removes from a setgid program's environment.
    let environ = original_environ().unwrap_or_else(|| {
        std::env::vars_os()
            .map(|(k, v)| {
                let mut kv = k;
                kv.push("=");
                kv.push(v);
                kv
            })
            .collect()
    });
    let gate_gid = if elevated {
        egid
    } else {
        // Root running a binary without the bit: it can write the files anyway.
        Gid::from_raw(std::fs::metadata(&state_dir).map(|m| m.gid()).unwrap_or(0))
    };
    // The caller's own group from now on; `gate` only as the saved group.
    setresgid(rgid, rgid, gate_gid)
        .map_err(|e| Error::Protected(format!("cannot drop the group gate runs with: {e}")))?;
    Ok(Some(Install {
        state_dir,
        conf_dir,
        gate_gid,
        real_gid: rgid,
        environ,
    }))
}

/// The environment strings the kernel placed in this process at `exec`, as they were: the C
/// library's secure mode (a setgid program) removes `LD_LIBRARY_PATH`, `TMPDIR` and others from
/// the environment list, but not the strings themselves. Where they are comes from
/// `/proc/self/stat` (its fields 50 and 51, `env_start` and `env_end`; `/proc/self/environ`
/// itself is closed to a setgid process). `None` when that cannot be read or does not look like
/// an environment.
fn original_environ() -> Option<Vec<OsString>> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: fields after it.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // `after` starts at field 3.
    let start: usize = fields.get(50 - 3)?.trim().parse().ok()?;
    let end: usize = fields.get(51 - 3)?.trim().parse().ok()?;
    if start == 0 || end <= start || end - start > 16 << 20 {
        return None;
    }
    // SAFETY: [env_start, env_end) is the environment block the kernel mapped into this
    // process at exec (on the initial stack); it stays mapped for the life of the process, and
    // it is only read here.
    let block = unsafe { std::slice::from_raw_parts(start as *const u8, end - start) };
    let vars: Vec<OsString> = block
        .split(|b| *b == 0)
        .filter(|kv| !kv.is_empty())
        .map(|kv| OsString::from_vec(kv.to_vec()))
        .collect();
    // Every variable gate still has must be among them, or this is not the environment.
    let all_there = std::env::vars_os().all(|(k, v)| {
        let mut kv = k;
        kv.push("=");
        kv.push(v);
        vars.contains(&kv)
    });
    all_there.then_some(vars)
}

/// `a/b/../c` as `a/c`, without reading links (the config's path is checked link by link).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `Err(why)` unless `path` and every directory above it are owned by root and writable by
/// nobody else (a directory with the sticky bit, such as /tmp, may be writable by all: nobody
/// but root can rename what root put there), and `path` is not a symbolic link.
pub fn trusted_path(path: &Path) -> std::result::Result<(), String> {
    let mut at = Some(path);
    while let Some(p) = at {
        let m = std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if m.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link", p.display()));
        }
        if m.uid() != 0 {
            return Err(format!(
                "{} is owned by {}, not root",
                p.display(),
                user_name(m.uid())
            ));
        }
        let mode = m.permissions().mode();
        let sticky_dir = m.is_dir() && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_dir {
            return Err(format!(
                "{} is writable by {} (mode {:04o})",
                p.display(),
                if mode & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                },
                mode & 0o7777
            ));
        }
        at = p.parent().filter(|q| !q.as_os_str().is_empty());
    }
    Ok(())
}

/// The ledger directory and its files are as the installer left them, or exit 74 with the fix.
fn check_state(i: &Install) -> Result<()> {
    let dir = &i.state_dir;
    let fix_all = "sudo ./install.sh --system";
    let bad = |what: String, fix: String| {
        Err(Error::Protected(format!(
            "the protected ledger cannot be trusted: {what}; nothing runs.\n  fix: {fix}"
        )))
    };
    let m = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            return bad(
                format!("{}: {e}", dir.display()),
                format!("{fix_all} (it creates {})", dir.display()),
            );
        }
    };
    let mode = m.permissions().mode() & 0o7777;
    if m.file_type().is_symlink() || !m.is_dir() {
        return bad(
            format!("{} is not a directory", dir.display()),
            format!("sudo rm {} && {fix_all}", dir.display()),
        );
    }
    if let Some((what, fix)) = wrong_owner(dir, &m, i.gate_gid) {
        return bad(what, fix);
    }
    if mode & 0o007 != 0 {
        return bad(
            format!(
                "{} is open to everyone (mode {mode:04o}; it must be 2770)",
                dir.display()
            ),
            format!("sudo chmod 2770 {}", dir.display()),
        );
    }
    if let Some(parent) = dir.parent()
        && let Err(why) = trusted_path(parent)
    {
        return bad(
            why,
            format!(
                "make {} root-owned and writable only by root",
                parent.display()
            ),
        );
    }
    let ledger = i.ledger();
    for (suffix, want) in FILES {
        let path = crate::ledger::sibling(&ledger, suffix);
        let m = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                return bad(
                    format!("{}: {e}", path.display()),
                    format!("{fix_all} (it creates the ledger's files)"),
                );
            }
        };
        let mode = m.permissions().mode() & 0o7777;
        if m.file_type().is_symlink() || !m.is_file() {
            return bad(
                format!(
                    "{} is not a regular file (a symbolic link or other)",
                    path.display()
                ),
                format!("sudo rm {} && {fix_all}", path.display()),
            );
        }
        if let Some((what, fix)) = wrong_owner(&path, &m, i.gate_gid) {
            return bad(what, fix);
        }
        if mode != *want {
            return bad(
                format!("{} has mode {mode:04o}, not {want:04o}", path.display()),
                format!("sudo chmod {want:04o} {}", path.display()),
            );
        }
        if m.nlink() != 1 {
            return bad(
                format!("{} has {} names (hard links)", path.display(), m.nlink()),
                format!("sudo rm {} && {fix_all}", path.display()),
            );
        }
    }
    Ok(())
}

/// What is wrong and the fix, unless `path` (with metadata `m`) is owned by root:`gate`.
fn wrong_owner(path: &Path, m: &std::fs::Metadata, gate: Gid) -> Option<(String, String)> {
    if m.uid() == 0 && m.gid() == gate.as_raw() {
        return None;
    }
    Some((
        format!(
            "{} is owned by {}:{}, not root:{}",
            path.display(),
            user_name(m.uid()),
            group_name(Gid::from_raw(m.gid())),
            group_name(gate)
        ),
        format!("sudo chown root:{} {}", group_name(gate), path.display()),
    ))
}

/// How many callers are inside [`with_group`] now: the group is raised while any is.
static RAISED: Mutex<usize> = Mutex::new(0);

/// Run `f` with the group `gate` (the ledger's own file operations); anything else runs with
/// the caller's group. Outside the protected install, just `f()`.
pub fn with_group<R>(f: impl FnOnce() -> R) -> R {
    let Some(i) = get() else { return f() };
    {
        let mut n = RAISED.lock().unwrap_or_else(|e| e.into_inner());
        if *n == 0 {
            let _ = setresgid(i.real_gid, i.gate_gid, i.gate_gid);
        }
        *n += 1;
    }
    let out = f();
    let mut n = RAISED.lock().unwrap_or_else(|e| e.into_inner());
    *n -= 1;
    if *n == 0 {
        let _ = setresgid(i.real_gid, i.real_gid, i.gate_gid);
    }
    out
}

/// Who reads the shared ledger, when what they see must be limited: a user of the protected
/// install who is not root.
pub fn viewer() -> Option<crate::ledger::record::Viewer> {
    (active() && !getuid().is_root()).then(|| crate::ledger::record::Viewer {
        user: crate::context::real_user(),
        root: false,
    })
}

/// The environment for the command: the caller's own.
pub fn child_env() -> Vec<OsString> {
    match get() {
        Some(i) => i.environ.clone(),
        None => std::env::vars_os()
            .map(|(k, v)| {
                let mut kv = k;
                kv.push("=");
                kv.push(v);
                kv
            })
            .collect(),
    }
}

/// The groups as the kernel has them now: (real, effective, saved).
pub fn groups() -> (u32, u32, u32) {
    getresgid()
        .map(|r| (r.real.as_raw(), r.effective.as_raw(), r.saved.as_raw()))
        .unwrap_or_default()
}

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

fn group_name(gid: Gid) -> String {
    nix::unistd::Group::from_gid(gid)
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_else(|| gid.to_string())
}
