//! XDG base directories (SPEC §3), read from the environment in one place.

use std::path::PathBuf;

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() && PathBuf::from(&v).is_absolute() => Some(PathBuf::from(v)),
        _ => home().map(|h| h.join(fallback)),
    }
}

/// `$XDG_CONFIG_HOME`, default `~/.config`.
pub fn config_dir() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config")
}

/// `$XDG_DATA_HOME`, default `~/.local/share`.
pub fn data_dir() -> Option<PathBuf> {
    xdg("XDG_DATA_HOME", ".local/share")
}

/// The ledger path: `GATE_LEDGER`, else `$XDG_DATA_HOME/gate/ledger.db`.
pub fn ledger_path() -> Option<PathBuf> {
    match std::env::var_os("GATE_LEDGER") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => data_dir().map(|d| d.join("gate").join("ledger.db")),
    }
}

pub fn home_dir() -> Option<PathBuf> {
    home()
}
