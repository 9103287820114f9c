//! gate's own messages on stderr (never stdout: that belongs to the command).

use std::io::IsTerminal;

/// Colour on when the stream is a terminal, unless NO_COLOR; CLICOLOR_FORCE forces it.
pub fn color_enabled() -> bool {
    if std::env::var_os(crate::env_vars::NO_COLOR).is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if std::env::var_os(crate::env_vars::CLICOLOR_FORCE).is_some_and(|v| !v.is_empty() && v != "0")
    {
        return true;
    }
    std::io::stderr().is_terminal()
}

pub fn init_color() {
    colored::control::set_override(color_enabled());
}

pub fn note(msg: &str) {
    eprintln!("gate: {msg}");
}

pub fn error(msg: &str) {
    use colored::Colorize;
    let mut lines = msg.lines();
    if let Some(first) = lines.next() {
        eprintln!("{} {first}", "gate: error:".red().bold());
    }
    for line in lines {
        eprintln!("{line}");
    }
}

pub fn debug_enabled() -> bool {
    std::env::var(crate::env_vars::GATE_LOG).is_ok_and(|v| v.eq_ignore_ascii_case("debug"))
}

pub fn debug(msg: &str) {
    if debug_enabled() {
        eprintln!("gate: debug: {msg}");
    }
}

/// Phase timings for `GATE_LOG=debug`: `mark("policy loaded")` prints the time since the
/// previous mark.
pub struct Timer {
    on: bool,
    last: std::time::Instant,
}

impl Timer {
    pub fn start() -> Self {
        Timer {
            on: debug_enabled(),
            last: std::time::Instant::now(),
        }
    }

    pub fn mark(&mut self, what: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!("gate: debug: {what}: {} µs", (now - self.last).as_micros());
            self.last = now;
        }
    }
}
