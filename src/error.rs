//! gate's error type: the category alone decides the exit code.

use crate::exit::Exit;
use crate::policy::Problems;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    /// Invalid policy or configuration: every problem, each with file:line:column.
    #[error("{0}")]
    Policy(Problems),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot write the ledger {path}: {message}")]
    Ledger { path: String, message: String },
    /// The protected install is not as it must be (its directory, files or the binary's bits).
    #[error("{0}")]
    Protected(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Io(String),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Policy(_) | Error::Config(_) => Exit::Config,
            Error::Ledger { .. } | Error::Protected(_) => Exit::Ledger,
            Error::Unavailable(_) => Exit::Unavailable,
            Error::NotFound(_) | Error::Io(_) => Exit::Failure,
        }
    }

    pub fn ledger(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        Error::Ledger {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
