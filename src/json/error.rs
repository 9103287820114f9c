//! `gate.error/1`: what a command given `--json` prints when it fails, where its JSON goes.

use schemars::JsonSchema;
use serde::Serialize;

use super::Shape;
use crate::error::Error;

/// A command run with `--json` (or `gate export` in jsonl) failed: this object where its JSON
/// goes (stdout; stderr for `gate --json -- CMD`), the usual `gate: error:` line on stderr too,
/// and the same exit status as without `--json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorReport {
    pub error: ErrorBody,
}

impl Shape for ErrorReport {
    const SCHEMA: &'static str = "gate.error/1";
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    /// What went wrong and what to do, as the `gate: error:` line says it (several lines for
    /// several policy problems).
    pub message: String,
    /// gate's exit status.
    pub exit_code: u8,
    /// For `policy`: every problem with its place; empty otherwise.
    pub problems: Vec<Problem>,
}

/// What kind of failure: it alone decides the exit status.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The command line asks for something that cannot be done (64).
    Usage,
    /// The policy or configuration is invalid (78).
    Policy,
    /// The ledger cannot be read or written (74).
    Ledger,
    /// The protected install is not as it must be (74).
    Protected,
    /// No approval channel could be used, or a destination could not be reached (69).
    Unavailable,
    /// No such request, ledger or file (1).
    NotFound,
    /// Reading or writing something else failed (1).
    Io,
}

/// A problem in a policy file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<&crate::policy::Problem> for Problem {
    fn from(p: &crate::policy::Problem) -> Self {
        Problem {
            file: p.origin.file.clone(),
            line: p.origin.line,
            column: p.origin.column,
            message: p.message.clone(),
        }
    }
}

impl ErrorReport {
    pub fn of(e: &Error) -> Self {
        let kind = match e {
            Error::Usage(_) => ErrorKind::Usage,
            Error::Policy(_) | Error::Config(_) => ErrorKind::Policy,
            Error::Ledger { .. } => ErrorKind::Ledger,
            Error::Protected(_) => ErrorKind::Protected,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Io(_) => ErrorKind::Io,
        };
        let problems = match e {
            Error::Policy(p) => p.0.iter().map(Problem::from).collect(),
            _ => Vec::new(),
        };
        ErrorReport {
            error: ErrorBody {
                kind,
                message: e.to_string(),
                exit_code: e.exit().code(),
                problems,
            },
        }
    }
}
