//! Every environment variable gate itself reads, named in one place, and the directories
//! they choose (XDG base directories, SPEC §3). Variables of other programs that the analysis
//! judges (`LESSOPEN`, `BASH_ENV`, `GIT_*`) belong to the analysis, not here.

use std::path::PathBuf;

/// A policy file instead of the user policy (`--policy`).
pub const GATE_POLICY: &str = "GATE_POLICY";
/// The ledger file instead of `$XDG_DATA_HOME/gate/ledger.db`.
pub const GATE_LEDGER: &str = "GATE_LEDGER";
/// The requesting agent's or job's name (`--as`).
pub const GATE_AGENT: &str = "GATE_AGENT";
/// Who asks a person when a hook's command needs approval: `claude` or `gate`.
pub const GATE_HOOK_ASK: &str = "GATE_HOOK_ASK";
/// `debug`: timings and details on stderr.
pub const GATE_LOG: &str = "GATE_LOG";
/// The reason a shimmed command gives (`--reason` for shims).
pub const GATE_REASON: &str = "GATE_REASON";
/// Where `gate shim` writes its shims.
pub const GATE_SHIM_DIR: &str = "GATE_SHIM_DIR";
/// The default names of the variables holding the Slack tokens and the webhook secret (the
/// policy may name others).
pub const GATE_SLACK_TOKEN: &str = "GATE_SLACK_TOKEN";
pub const GATE_SLACK_APP_TOKEN: &str = "GATE_SLACK_APP_TOKEN";
/// The Slack app's signing secret, for `gate slack serve --http`.
pub const GATE_SLACK_SIGNING_SECRET: &str = "GATE_SLACK_SIGNING_SECRET";
pub const GATE_WEBHOOK_SECRET: &str = "GATE_WEBHOOK_SECRET";
/// The fleet's PostgreSQL URI (else the system policy's `[fleet] url`); ignored by the
/// protected install.
pub const GATE_FLEET: &str = "GATE_FLEET";
/// How many unshipped events the spool may hold before runs fail closed (not in the protected
/// install).
pub const GATE_FLEET_SPOOL_MAX: &str = "GATE_FLEET_SPOOL_MAX";
/// How often the fleet is sealed at most (a duration; default 1m); not in the protected install.
pub const GATE_FLEET_SEAL_EVERY: &str = "GATE_FLEET_SEAL_EVERY";
/// The PostgreSQL URI a person approves, denies, lists and pushes fleet policies with, as their
/// own role.
pub const GATE_FLEET_APPROVER: &str = "GATE_FLEET_APPROVER";
/// libpq's variables, read as libpq reads them when gate connects to the fleet (see
/// `fleet::config`): where, who, which database, the password and its file, the service file
/// and entry, TLS, the connect timeout and the application name.
pub const PGHOST: &str = "PGHOST";
pub const PGPORT: &str = "PGPORT";
pub const PGUSER: &str = "PGUSER";
pub const PGDATABASE: &str = "PGDATABASE";
pub const PGPASSWORD: &str = "PGPASSWORD";
pub const PGPASSFILE: &str = "PGPASSFILE";
pub const PGSERVICE: &str = "PGSERVICE";
pub const PGSERVICEFILE: &str = "PGSERVICEFILE";
pub const PGSSLMODE: &str = "PGSSLMODE";
pub const PGSSLCERT: &str = "PGSSLCERT";
pub const PGSSLKEY: &str = "PGSSLKEY";
pub const PGSSLROOTCERT: &str = "PGSSLROOTCERT";
pub const PGCONNECT_TIMEOUT: &str = "PGCONNECT_TIMEOUT";
pub const PGAPPNAME: &str = "PGAPPNAME";
/// Base directories.
pub const HOME: &str = "HOME";
pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
pub const XDG_DATA_HOME: &str = "XDG_DATA_HOME";
/// The editor `gate rules edit` runs: `VISUAL`, else `EDITOR`, else `vi`.
pub const VISUAL: &str = "VISUAL";
pub const EDITOR: &str = "EDITOR";
/// Colour: off with `NO_COLOR`, forced with `CLICOLOR_FORCE`.
pub const NO_COLOR: &str = "NO_COLOR";
pub const CLICOLOR_FORCE: &str = "CLICOLOR_FORCE";
/// The width `gate log` fits its rows to, instead of the terminal's.
pub const COLUMNS: &str = "COLUMNS";

/// A variable's value when set and not empty.
pub fn non_empty(var: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(var).filter(|v| !v.is_empty())
}

/// A variable's value as text when set, not empty and valid UTF-8.
pub fn text(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

fn home() -> Option<PathBuf> {
    non_empty(HOME).map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() && PathBuf::from(&v).is_absolute() => Some(PathBuf::from(v)),
        _ => home().map(|h| h.join(fallback)),
    }
}

/// `$XDG_CONFIG_HOME`, default `~/.config`.
pub fn config_dir() -> Option<PathBuf> {
    xdg(XDG_CONFIG_HOME, ".config")
}

/// `$XDG_DATA_HOME`, default `~/.local/share`.
pub fn data_dir() -> Option<PathBuf> {
    xdg(XDG_DATA_HOME, ".local/share")
}

/// The ledger path: the protected install's (no variable chooses it), else `GATE_LEDGER`,
/// else `$XDG_DATA_HOME/gate/ledger.db`.
pub fn ledger_path() -> Option<PathBuf> {
    if let Some(i) = crate::protected::get() {
        return Some(i.ledger());
    }
    match non_empty(GATE_LEDGER) {
        Some(p) => Some(PathBuf::from(p)),
        None => data_dir().map(|d| d.join("gate").join("ledger.db")),
    }
}

pub fn home_dir() -> Option<PathBuf> {
    home()
}
