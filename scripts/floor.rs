//! The physical floor of a recording wrapper, for `scripts/bench-process.sh`: spawn the
//! command, wait for it, and append one line to a file before and one after (each one
//! `write` with O_APPEND). Built static by the bench script, so it pays no more start-up than
//! gate does: what gate spends beyond this is analysis, policy and the ledger's format.
//!
//!   floor LOG COMMAND [ARGS...]

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, exit};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(log), Some(program)) = (args.next(), args.next()) else {
        eprintln!("usage: floor LOG COMMAND [ARGS...]");
        exit(64);
    };
    let rest: Vec<OsString> = args.collect();
    let mut file = match OpenOptions::new().append(true).create(true).open(&log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("floor: {e}");
            exit(74);
        }
    };
    let line = format!("start {} {:?}\n", std::process::id(), program);
    if file.write_all(line.as_bytes()).is_err() {
        exit(74);
    }
    let code = match Command::new(&program).args(&rest).status() {
        Ok(status) => status.code().unwrap_or(1),
        Err(_) => 127,
    };
    let line = format!("end {} {code}\n", std::process::id());
    if file.write_all(line.as_bytes()).is_err() {
        exit(74);
    }
    exit(code);
}
