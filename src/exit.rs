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
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
