//! The `terminal` channel: a prompt on the controlling terminal (`/dev/tty`), never on stdin.
//!
//! Only for a person's own request. An agent can type on any terminal it runs in, and can make
//! one (`script`, `expect`, a pty of its own), so a request an agent made (by its markers,
//! `--as`, its process among gate's ancestors, or through its hook) is not asked here at all.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use colored::Colorize;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{self, LocalFlags, SetArg, SpecialCharacterIndices, Termios};

use super::{Channel, Feedback, Message, Request, Shared, Vote};
use crate::context::Requester;

/// Why the terminal may not take the answer to a request `requester` made, if it may not.
pub fn refusal(requester: &Requester) -> Option<String> {
    let agent = requester.agent.as_deref()?;
    let who = match &requester.agent_process {
        Some(p) if p.name == agent => format!(
            "{agent}, process {} ({}) among gate's ancestors",
            p.pid, p.program
        ),
        Some(p) => format!(
            "{agent}, under {} process {} ({})",
            p.name, p.pid, p.program
        ),
        None => agent.to_string(),
    };
    Some(format!(
        "not for a request an agent made ({who}): the agent could answer its own prompt"
    ))
}

pub struct Terminal {
    tty: File,
    approver: String,
}

impl Terminal {
    /// Open the controlling terminal; `Err` says why the channel cannot be used.
    pub fn open(in_ci: bool, approver: &str) -> Result<Self, String> {
        if in_ci {
            return Err("CI is set: gate never prompts in CI".into());
        }
        let tty = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| format!("no controlling terminal (/dev/tty: {e})"))?;
        Ok(Terminal {
            tty,
            approver: approver.to_string(),
        })
    }
}

/// Restores the terminal's settings however the prompt ends.
struct RawGuard<'a> {
    tty: &'a File,
    saved: Termios,
}

impl Drop for RawGuard<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// The most of a command the prompt draws; the rest is in the ledger (`gate show ID`).
const SHOWN_MAX: usize = 4000;

/// What the prompt shows above its question: the command as it runs (arguments shell-quoted,
/// control characters escaped, a script's lines indented under its first), the rules, who
/// asks, who may answer and how.
pub fn describe(req: &Request, color: bool) -> String {
    let label = |s: &str| {
        let padded = format!("  {s:<10}");
        if color {
            padded.dimmed().to_string()
        } else {
            padded
        }
    };
    let indent = " ".repeat(12);
    let mut out = String::new();
    let title = format!("gate: approval needed (request {})", req.id);
    out.push_str(&if color {
        title.bold().yellow().to_string()
    } else {
        title
    });
    out.push('\n');
    let command = crate::quote::elide(&req.command, SHOWN_MAX);
    let command = command.replace('\n', &format!("\n{indent}"));
    out.push_str(&format!(
        "{}{}\n",
        label("command"),
        if color {
            command.bold().to_string()
        } else {
            command
        }
    ));
    let length = req.command.chars().count();
    if length > SHOWN_MAX {
        out.push_str(&format!(
            "{indent}(the command is {length} characters long: read all of it with `gate show {}` before you answer)\n",
            req.id
        ));
    }
    for r in &req.rules {
        let msg = r
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}{} ({}){}\n",
            label("rule"),
            r.id,
            r.risk.as_str(),
            msg
        ));
    }
    for o in &req.opaque {
        out.push_str(&format!("{}{}\n", label("opaque"), o));
    }
    let risk = req.risk.as_str();
    out.push_str(&format!(
        "{}{}\n",
        label("risk"),
        if color && req.risk >= crate::policy::Risk::High {
            risk.red().bold().to_string()
        } else {
            risk.to_string()
        }
    ));
    let agent = req
        .requester
        .agent
        .as_deref()
        .map(|a| format!(" (agent {a})"))
        .unwrap_or_default();
    out.push_str(&format!(
        "{}{}{} on {}\n",
        label("requester"),
        req.requester.user,
        agent,
        req.requester.host
    ));
    out.push_str(&format!("{}{}\n", label("cwd"), req.cwd));
    if let Some(reason) = &req.reason {
        out.push_str(&format!("{}{}\n", label("reason"), reason));
    }
    if let Some(ci) = &req.ci {
        let url = ci.job_url.as_deref().unwrap_or("");
        out.push_str(&format!("{}{} {}\n", label("ci"), ci.provider, url));
    }
    out.push_str(&format!(
        "{}{}\n",
        label("approvers"),
        super::approvers_text(&req.approvers, req.quorum)
    ));
    out
}

/// The code a person types to approve a critical request: the end of its id.
pub fn critical_code(id: &str) -> String {
    let n = id.chars().count();
    id.chars()
        .skip(n.saturating_sub(4))
        .collect::<String>()
        .to_uppercase()
}

pub fn format_remaining(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// What a line typed at the prompt means.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Approve,
    Deny,
    /// Not an answer: ask again, saying this.
    Again(String),
}

fn read_answer(line: &str, code: Option<&str>) -> Answer {
    let typed = line.trim();
    let no =
        typed.is_empty() || typed.eq_ignore_ascii_case("n") || typed.eq_ignore_ascii_case("no");
    match code {
        _ if no => Answer::Deny,
        Some(code) if typed.eq_ignore_ascii_case(code) => Answer::Approve,
        Some(code) => Answer::Again(format!(
            "this request is critical: type its code {code} and Enter to approve, or n and Enter to deny"
        )),
        None if typed.eq_ignore_ascii_case("y") || typed.eq_ignore_ascii_case("yes") => {
            Answer::Approve
        }
        None => Answer::Again("type y and Enter to approve, or n and Enter to deny".into()),
    }
}

/// The terminal's width in columns (80 when it cannot say).
fn width(tty: &File) -> u16 {
    use std::os::fd::AsRawFd;
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` to the pointer, which points at one.
    let ok = unsafe { nix::libc::ioctl(tty.as_raw_fd(), nix::libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 {
        size.ws_col
    } else {
        80
    }
}

/// The longest answer kept: a code or a word, never a paste.
const LINE_MAX: usize = 32;

impl Channel for Terminal {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        let fail = |message: &str| {
            let _ = tx.send(Message::Failed {
                channel: "terminal".into(),
                message: message.into(),
            });
        };
        let color = crate::ui::color(crate::ui::Stream::Tty);
        let saved = match termios::tcgetattr(self.tty.as_fd()) {
            Ok(t) => t,
            Err(e) => return fail(&format!("cannot read the terminal's settings: {e}")),
        };
        let mut raw = saved.clone();
        // Non-canonical, no echo (gate echoes what it keeps), and no signals: Ctrl-C arrives as
        // a byte we turn into a cancellation instead of killing gate mid-prompt.
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 0;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        if termios::tcsetattr(self.tty.as_fd(), SetArg::TCSANOW, &raw).is_err() {
            return fail("cannot switch the terminal to single-key input");
        }
        let guard = RawGuard {
            tty: &self.tty,
            saved,
        };
        let request = &shared.request;
        let code =
            (request.risk >= crate::policy::Risk::Critical).then(|| critical_code(&request.id));
        let how = match &code {
            Some(code) => format!(
                "  {:<10}this request is critical: type its code {} and Enter to approve; n and Enter denies; Ctrl-C cancels\n",
                "answer",
                if color {
                    code.bold().to_string()
                } else {
                    code.clone()
                }
            ),
            None => format!(
                "  {:<10}y and Enter approves; n and Enter (or Enter) denies; Ctrl-C cancels\n",
                "answer"
            ),
        };
        let question = match &code {
            Some(_) => "Code?",
            None => "Approve? [y/N]",
        };
        let question = if color {
            question.bold().to_string()
        } else {
            question.to_string()
        };
        let mut tty = &self.tty;
        let mut block = describe(request, color) + &how;
        // Waiting after a counted approval: only Ctrl-C is read.
        let mut waiting: Option<String> = None;
        let mut typed = String::new();
        let mut last_draw: Option<Instant> = None;
        let mut flushed = false;
        let vote = |approve: bool| {
            Message::Vote(Vote {
                channel: "terminal".into(),
                approver: self.approver.clone(),
                aliases: Vec::new(),
                is_requesting_agent: false,
                approve,
                comment: None,
            })
        };
        let mut answered = false;
        'prompt: loop {
            if shared.is_done() {
                break;
            }
            let mut notes = String::new();
            for f in shared.take_feedback("terminal") {
                match f {
                    Feedback::Refused(why) => {
                        notes.push_str(&format!("gate: your answer does not count: {why}\n"));
                        waiting = None;
                        answered = false;
                    }
                    Feedback::Counted { have, need } => {
                        notes.push_str(&format!(
                            "gate: your approval counts ({have} of {need}); waiting for {} more\n",
                            need - have
                        ));
                        waiting = Some(format!("waiting for {} more approver(s)", need - have));
                    }
                }
            }
            if !notes.is_empty() || last_draw.is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                let remaining = format_remaining(shared.remaining());
                // The line is redrawn in place: it must fit the terminal's width, or each
                // redraw would add a line.
                let narrow = width(&self.tty) < 60;
                let line = match (&waiting, narrow) {
                    (Some(_), true) => format!("waiting {remaining}"),
                    (Some(w), false) => format!("{w} (expires in {remaining}; Ctrl-C cancels)"),
                    (None, true) if answered => format!("answered {remaining}"),
                    (None, false) if answered => format!("answered (expires in {remaining})"),
                    (None, true) => format!("{question} {remaining} {typed}"),
                    (None, false) => format!("{question} (expires in {remaining}) {typed}"),
                };
                let above = if notes.is_empty() {
                    std::mem::take(&mut block)
                } else {
                    format!("{}\r\x1b[2K{notes}", std::mem::take(&mut block))
                };
                if flushed {
                    crate::ui::draw_prompt(&mut tty, &above, Some(&line));
                } else {
                    // What was typed before the question was on the screen is not an answer
                    // to it: once the request is drawn, drop whatever is queued, then ask.
                    crate::ui::draw_prompt(&mut tty, &above, None);
                    let _ = termios::tcdrain(self.tty.as_fd());
                    let _ = termios::tcflush(self.tty.as_fd(), termios::FlushArg::TCIFLUSH);
                    crate::ui::draw_prompt(&mut tty, "", Some(&line));
                    flushed = true;
                }
                last_draw = Some(Instant::now());
            }
            let mut fds = [PollFd::new(self.tty.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(200u16)) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
            }
            let mut bytes = [0u8; 64];
            let n = match tty.read(&mut bytes) {
                Ok(0) => continue,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            for &b in &bytes[..n] {
                match b {
                    0x03 => {
                        crate::ui::draw_prompt(&mut tty, "\r\x1b[2K^C", None);
                        let _ = tx.send(Message::Cancel {
                            channel: "terminal".into(),
                        });
                        break 'prompt;
                    }
                    _ if waiting.is_some() || answered => {}
                    b'\r' | b'\n' | 0x04 => {
                        let line = std::mem::take(&mut typed);
                        match read_answer(&line, code.as_deref()) {
                            Answer::Approve => {
                                answered = true;
                                let _ = tx.send(vote(true));
                            }
                            Answer::Deny => {
                                answered = true;
                                let _ = tx.send(vote(false));
                            }
                            Answer::Again(why) => {
                                block = format!("\r\x1b[2Kgate: {why}\n");
                            }
                        }
                        last_draw = None;
                        break;
                    }
                    0x7f | 0x08 => {
                        typed.pop();
                        last_draw = None;
                    }
                    0x15 => {
                        typed.clear();
                        last_draw = None;
                    }
                    b if b.is_ascii_graphic() || b == b' ' => {
                        if typed.len() < LINE_MAX {
                            typed.push(b as char);
                        }
                        last_draw = None;
                    }
                    _ => {}
                }
            }
        }
        crate::ui::draw_prompt(&mut tty, "\r\n", None);
        drop(guard);
        // Show how it ended, whichever channel settled it.
        while !shared.is_done() {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(outcome) = shared.outcome() {
            let _ = writeln!(tty, "gate: {}", outcome.describe());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approve::RuleLine;
    use crate::context::Requester;
    use crate::policy::Risk;

    fn request(command: &str, risk: Risk) -> Request {
        Request {
            id: "k3qx9abcd2".into(),
            command: command.into(),
            rules: vec![RuleLine {
                id: "git.force-push".into(),
                message: Some("Force-pushing rewrites history others have.".into()),
                risk,
            }],
            opaque: Vec::new(),
            risk,
            requester: Requester {
                user: "bob".into(),
                agent: Some("claude-code".into()),
                agent_process: None,
                host: "build-01".into(),
                uid: 1001,
            },
            cwd: "/srv/app".into(),
            reason: Some("release 1.4".into()),
            ci: None,
            expires_at: std::time::SystemTime::UNIX_EPOCH,
            quorum: 2,
            approvers: vec![vec!["alice".into(), "carol".into()]],
        }
    }

    #[test]
    fn the_prompt_snapshot() {
        let shown = describe(
            &request(
                r"git push --force origin $'main\r\x1b[2K  command   git status'",
                Risk::High,
            ),
            false,
        );
        insta::assert_snapshot!("prompt_high", shown);
        let script = describe(
            &request("set -e\ncd /srv\nmake deploy", Risk::Critical),
            false,
        );
        insta::assert_snapshot!("prompt_script", script);
    }

    #[test]
    fn answers_are_lines() {
        assert_eq!(read_answer("y", None), Answer::Approve);
        assert_eq!(read_answer(" YES ", None), Answer::Approve);
        assert_eq!(read_answer("", None), Answer::Deny);
        assert_eq!(read_answer("n", None), Answer::Deny);
        assert!(matches!(read_answer("yes please", None), Answer::Again(_)));
        assert!(matches!(read_answer("y", Some("ABCD")), Answer::Again(_)));
        assert_eq!(read_answer("abcd", Some("ABCD")), Answer::Approve);
        assert_eq!(read_answer("no", Some("ABCD")), Answer::Deny);
        assert_eq!(critical_code("k3qx9abcd2"), "BCD2");
    }
}
