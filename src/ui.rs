//! gate's own messages on stderr (never stdout: that belongs to the command), the escaping of
//! what they show, and whether each stream is coloured.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

/// `--color`: when gate colours what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Each stream where it is a terminal; NO_COLOR turns it off, CLICOLOR_FORCE on
    #[default]
    Auto,
    /// Into pipes and files too
    Always,
    Never,
}

/// Where gate writes: each stream is coloured or not on its own (`gate log > file` has no
/// escape codes, whatever stderr is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// The controlling terminal (`/dev/tty`), which the prompt opened: a terminal by definition.
    Tty,
}

static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Decide colour from now on by `choice` (the `--color` flag). The `colored` crate is told
/// to colour whatever it is asked to: it would decide once, for every stream, from stdout;
/// here [`color`] decides per stream and printers style text only for a stream that wants it
/// (see [`Paint`]).
pub fn set_color(choice: ColorChoice) {
    CHOICE.store(choice as u8, Ordering::Relaxed);
    colored::control::set_override(true);
}

fn choice() -> ColorChoice {
    match CHOICE.load(Ordering::Relaxed) {
        1 => ColorChoice::Always,
        2 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// Whether what gate writes to `stream` is coloured: `--color always|never` says so; else
/// (auto) NO_COLOR (set, not empty) turns it off, CLICOLOR_FORCE (set, not empty, not `0`)
/// turns it on, and otherwise it is on where the stream is a terminal.
pub fn color(stream: Stream) -> bool {
    match choice() {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    if crate::env_vars::non_empty(crate::env_vars::NO_COLOR).is_some() {
        return false;
    }
    if crate::env_vars::non_empty(crate::env_vars::CLICOLOR_FORCE).is_some_and(|v| v != "0") {
        return true;
    }
    match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
        Stream::Tty => true,
    }
}

/// Styles text for one stream: as asked when that stream is coloured, plain otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn new(stream: Stream) -> Paint {
        Paint { on: color(stream) }
    }

    pub fn stdout() -> Paint {
        Paint::new(Stream::Stdout)
    }

    /// `text` in `style` (`|s| s.red().bold()`), or as it is. Pad before painting: the escape
    /// codes have no width.
    pub fn paint(
        self,
        text: &str,
        style: impl FnOnce(colored::ColoredString) -> colored::ColoredString,
    ) -> String {
        if self.on {
            style(text.into()).to_string()
        } else {
            text.to_string()
        }
    }
}

/// The bidirectional-text controls, which reorder what a terminal shows.
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text as a person may safely see it on a terminal: control characters (C0 but tab, DEL,
/// C1) and the bidirectional controls that reorder what is shown are written as escapes
/// (`\x1b`, `\r`, `\u202e`, as in bash's `$'…'`), so that a command, reason or comment cannot move the cursor,
/// erase a line or look like something else. What is recorded is not changed.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| (c.is_control() && c != '\t' && c != '\n') || is_bidi(c);
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if hidden(c) && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Where notices for a person go: stderr (the default), or, when stderr is read by an agent's
/// model (a hook's), the controlling terminal if there is one and nowhere otherwise.
static NOTES_TO_TERMINAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, send notices for a person to the terminal, not to stderr: in a hook, stderr is
/// what the agent hands its model, which must read only the one-line answer.
pub fn notes_to_terminal() {
    NOTES_TO_TERMINAL.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The line a terminal prompt is drawing on (its text), while one is: a notice for a person
/// clears it, takes a line of its own and the prompt is drawn again below it, so that no notice
/// ever shares the prompt's line. The prompt draws under the same lock.
static PROMPT_LINE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Write `block` (lines above the prompt) and then `line` (the prompt itself, redrawn in place)
/// to the terminal, with no notice in between; `None` ends the prompt (its line is left as is).
pub fn draw_prompt(tty: &mut dyn std::io::Write, block: &str, line: Option<&str>) {
    let mut current = PROMPT_LINE.lock().unwrap_or_else(|e| e.into_inner());
    let _ = write!(tty, "{block}");
    if let Some(line) = line {
        let _ = write!(tty, "\r\x1b[2K{line}");
    }
    let _ = tty.flush();
    *current = line.map(str::to_string);
}

fn for_a_person(text: &str) {
    use std::io::Write;
    let prompt = PROMPT_LINE.lock().unwrap_or_else(|e| e.into_inner());
    let mut tty = prompt.as_ref().and_then(|_| {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .ok()
    });
    if let Some(t) = tty.as_mut() {
        let _ = write!(t, "\r\x1b[2K");
        let _ = t.flush();
    }
    say(text);
    if let (Some(t), Some(line)) = (tty.as_mut(), prompt.as_deref()) {
        let _ = write!(t, "{line}");
        let _ = t.flush();
    }
}

fn say(text: &str) {
    if NOTES_TO_TERMINAL.load(std::sync::atomic::Ordering::Relaxed) {
        use std::io::Write;
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = writeln!(tty, "{text}");
        }
    } else {
        eprintln!("{text}");
    }
}

pub fn note(msg: &str) {
    for_a_person(&format!("gate: {msg}"));
}

pub fn error(msg: &str) {
    use colored::Colorize;
    let to = if NOTES_TO_TERMINAL.load(Ordering::Relaxed) {
        Stream::Tty
    } else {
        Stream::Stderr
    };
    let mut lines = msg.lines();
    if let Some(first) = lines.next() {
        let prefix = Paint::new(to).paint("gate: error:", |s| s.red().bold());
        for_a_person(&format!("{prefix} {first}"));
    }
    for line in lines {
        for_a_person(line);
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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(printable("git status"), "git status");
        assert_eq!(printable("a\tb\nc"), "a\tb\nc");
        assert_eq!(printable("x\r\x1b[2Ky"), "x\\r\\x1b[2Ky");
        assert_eq!(printable("\u{202e}abc\u{2066}"), "\\u202eabc\\u2066");
        assert_eq!(printable("\u{85}\u{7f}"), "\\x85\\x7f");
        assert_eq!(printable("ünïcode ✓"), "ünïcode ✓");
    }
}
