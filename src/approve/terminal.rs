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

use super::{Channel, Message, Request, Shared, Vote};
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

pub fn describe(req: &Request, color: bool) -> String {
    let label = |s: &str| {
        let padded = format!("  {s:<10}");
        if color {
            padded.dimmed().to_string()
        } else {
            padded
        }
    };
    let mut out = String::new();
    let title = format!("gate: approval needed (request {})", req.id);
    out.push_str(&if color {
        title.bold().yellow().to_string()
    } else {
        title
    });
    out.push('\n');
    out.push_str(&format!(
        "{}{}\n",
        label("command"),
        if color {
            req.command.bold().to_string()
        } else {
            req.command.clone()
        }
    ));
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
    if req.quorum > 1 {
        out.push_str(&format!(
            "{}{} approvers needed\n",
            label("quorum"),
            req.quorum
        ));
    }
    out
}

pub fn format_remaining(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

impl Channel for Terminal {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn run(self: Box<Self>, shared: Arc<Shared>, tx: Sender<Message>) {
        let mut tty = &self.tty;
        let color = crate::ui::color(crate::ui::Stream::Tty);
        let saved = match termios::tcgetattr(self.tty.as_fd()) {
            Ok(t) => t,
            Err(e) => {
                let _ = tx.send(Message::Failed {
                    channel: "terminal".into(),
                    message: format!("cannot read the terminal's settings: {e}"),
                });
                return;
            }
        };
        let mut raw = saved.clone();
        // Non-canonical, no echo, and no signals: Ctrl-C arrives as a byte we turn into a
        // cancellation instead of killing gate mid-prompt.
        raw.local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 0;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        let _ = write!(tty, "{}", describe(&shared.request, color));
        if termios::tcsetattr(self.tty.as_fd(), SetArg::TCSANOW, &raw).is_err() {
            let _ = tx.send(Message::Failed {
                channel: "terminal".into(),
                message: "cannot switch the terminal to single-key input".into(),
            });
            return;
        }
        let guard = RawGuard {
            tty: &self.tty,
            saved,
        };
        let prompt = |remaining: Duration| {
            let q = "Approve? [y/N]";
            format!(
                "\r\x1b[2K{} (expires in {})",
                if color {
                    q.bold().to_string()
                } else {
                    q.to_string()
                },
                format_remaining(remaining)
            )
        };
        let mut last_draw = Instant::now() - Duration::from_secs(2);
        let answer = loop {
            if shared.is_done() {
                break None;
            }
            if last_draw.elapsed() >= Duration::from_secs(1) {
                let _ = write!(tty, "{}", prompt(shared.remaining()));
                let _ = tty.flush();
                last_draw = Instant::now();
            }
            let mut fds = [PollFd::new(self.tty.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(200u16)) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break None,
            }
            let mut byte = [0u8; 1];
            match tty.read(&mut byte) {
                Ok(1) => break Some(byte[0]),
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break None,
            }
        };
        match answer {
            Some(b'y') | Some(b'Y') => {
                let _ = writeln!(tty, "{}\r", prompt(shared.remaining()));
                let _ = tx.send(Message::Vote(Vote {
                    channel: "terminal".into(),
                    approver: self.approver.clone(),
                    aliases: Vec::new(),
                    is_requesting_agent: false,
                    approve: true,
                    comment: None,
                }));
            }
            Some(0x03) => {
                let _ = writeln!(tty, "\r\x1b[2K^C");
                let _ = tx.send(Message::Cancel {
                    channel: "terminal".into(),
                });
            }
            Some(_) => {
                let _ = writeln!(tty, "{}\r", prompt(shared.remaining()));
                let _ = tx.send(Message::Vote(Vote {
                    channel: "terminal".into(),
                    approver: self.approver.clone(),
                    aliases: Vec::new(),
                    is_requesting_agent: false,
                    approve: false,
                    comment: None,
                }));
            }
            None => {}
        }
        drop(guard);
        // Show how it ended, whichever channel settled it.
        while !shared.is_done() {
            std::thread::sleep(Duration::from_millis(20));
        }
        if answer.is_none()
            && let Some(outcome) = shared.outcome()
        {
            let _ = writeln!(tty, "\r\x1b[2Kgate: {}", outcome.describe());
        }
    }
}
