//! The exit codes of SPEC §2, in one place.

use std::process::ExitCode;

/// Every exit status gate itself produces. A command that ran passes its own status through
/// [`Exit::Child`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `gate check`: the command would need approval.
    CheckAsk,
    /// `gate check`: the command would be denied.
    CheckDeny,
    /// A command (or a `gate rules test` run) that failed without a more specific code.
    Failure,
    /// `gate hook`: blocked (Claude Code blocks a tool call on exit status 2).
    HookBlock,
    Usage,
    Unavailable,
    Ledger,
    Expired,
    Denied,
    Config,
    CannotExecute,
    NotFound,
    Cancelled,
    /// The command's own status (128+N when it was killed by signal N).
    Child(u8),
    /// The command was killed by this signal: gate ends the same way once it is recorded
    /// (see [`Exit::end`]), so its parent sees the signal, not only 128+N.
    Killed(i32),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::CheckAsk | Exit::Failure => 1,
            Exit::CheckDeny | Exit::HookBlock => 2,
            Exit::Usage => 64,
            Exit::Unavailable => 69,
            Exit::Ledger => 74,
            Exit::Expired => 75,
            Exit::Denied => 77,
            Exit::Config => 78,
            Exit::CannotExecute => 126,
            Exit::NotFound => 127,
            Exit::Cancelled => 130,
            Exit::Child(code) => code,
            Exit::Killed(sig) => (128 + sig).clamp(0, 255) as u8,
        }
    }

    /// End gate with this status. For [`Exit::Killed`], as sudo does: the signal is raised on
    /// gate itself with its default action (a core dump disabled), and only if that does not end
    /// it (a signal whose default is to be ignored) does gate exit with 128+N.
    pub fn end(self) -> ExitCode {
        if let Exit::Killed(sig) = self {
            use std::io::Write;
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            raise_default(sig);
        }
        ExitCode::from(self.code())
    }
}

fn raise_default(sig: i32) {
    use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, raise, signal, sigprocmask};
    let Ok(signal_) = Signal::try_from(sig) else {
        return;
    };
    if matches!(
        signal_,
        Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU
    ) {
        return;
    }
    // What the child dumped is its own; gate has nothing to add to it.
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    // SAFETY: restoring a signal's default disposition runs no handler code.
    let _ = unsafe { signal(signal_, SigHandler::SigDfl) };
    let mut set = SigSet::empty();
    set.add(signal_);
    let _ = sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
    let _ = raise(signal_);
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
