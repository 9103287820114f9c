//! Spawn the approved argv exactly, forward signals to it, and report how it ended (SPEC §7).
//!
//! As sudo does, with no thread and no signal handler: the signals gate forwards (and
//! SIGCHLD) are blocked before the command is spawned, the command starts with the signal mask
//! and dispositions gate itself was given (`posix_spawnp`, which reports a failed `exec` as its
//! error), and gate waits for those signals with `sigwaitinfo`, passing each one on until
//! SIGCHLD says the command ended.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags, posix_spawnp};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration: Duration,
}

impl Outcome {
    /// gate's own exit status for this outcome: the code, or 128+N for signal N.
    pub fn status(&self) -> u8 {
        match (self.exit_code, self.signal) {
            (Some(code), _) => (code & 0xff) as u8,
            (None, Some(sig)) => (128 + sig).min(255) as u8,
            (None, None) => 1,
        }
    }
}

#[derive(Debug)]
pub enum SpawnError {
    NotFound(String),
    NotExecutable(String),
    Other(String),
}

const FORWARDED: &[Signal] = &[
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
    Signal::SIGINT,
];

/// Run `argv` with inherited stdio and wait for it. Signals that reach gate meanwhile are passed
/// on, except a terminal-generated SIGINT/SIGQUIT, which the child (in the same foreground
/// process group) already received: forwarding it would deliver it twice.
///
/// The forwarded signals stay blocked in gate afterwards: one that arrives once the command
/// has ended must not stop gate before it records how the command ended (gate exits soon
/// after, which discards it).
pub fn run(argv: &[OsString]) -> Result<Outcome, SpawnError> {
    let (program, _) = argv
        .split_first()
        .ok_or_else(|| SpawnError::Other("empty command".into()))?;
    let mut timer = crate::ui::Timer::start();
    let other = |what: &str, e: Errno| SpawnError::Other(format!("{what}: {e}"));
    let cstrings = |items: Vec<&[u8]>| -> Result<Vec<CString>, SpawnError> {
        items
            .into_iter()
            .map(|b| {
                CString::new(b).map_err(|_| {
                    SpawnError::NotExecutable(format!(
                        "{}: cannot execute: an argument holds a NUL byte",
                        program.to_string_lossy()
                    ))
                })
            })
            .collect()
    };
    let args = cstrings(argv.iter().map(|a| a.as_bytes()).collect())?;
    // The caller's environment (in the protected install, as the caller gave it to gate).
    let env_pairs: Vec<Vec<u8>> = crate::protected::child_env()
        .into_iter()
        .map(|kv| kv.as_bytes().to_vec())
        .collect();
    let env = cstrings(env_pairs.iter().map(Vec::as_slice).collect())?;

    // Blocked before the spawn, so a signal that arrives in between waits for `sigwaitinfo`
    // instead of killing gate (which would leave the command without a recorded outcome).
    let mut waited = SigSet::empty();
    for s in FORWARDED {
        waited.add(*s);
    }
    waited.add(Signal::SIGCHLD);
    let mut before = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&waited), Some(&mut before))
        .map_err(|e| other("cannot block signals", e))?;

    // The command gets the mask gate was started with, and SIGPIPE back at its default (the
    // Rust runtime ignores it in gate).
    let mut attr = PosixSpawnAttr::init().map_err(|e| other("posix_spawnattr_init", e))?;
    let mut defaults = SigSet::empty();
    defaults.add(Signal::SIGPIPE);
    attr.set_sigmask(&before)
        .and_then(|_| attr.set_sigdefault(&defaults))
        .and_then(|_| {
            // RESETIDS: the command runs with the caller's real group, never gate's (which
            // the protected install keeps only as its saved group).
            attr.set_flags(
                PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK
                    | PosixSpawnFlags::POSIX_SPAWN_SETSIGDEF
                    | PosixSpawnFlags::POSIX_SPAWN_RESETIDS,
            )
        })
        .map_err(|e| other("posix_spawnattr", e))?;
    let actions =
        PosixSpawnFileActions::init().map_err(|e| other("posix_spawn_file_actions", e))?;
    timer.mark("signals blocked");
    let started = Instant::now();
    let spawned = posix_spawnp(&args[0], &actions, &attr, &args, &env);
    timer.mark("spawned");
    let pid = match spawned {
        Ok(pid) => pid,
        Err(e) => {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&before), None);
            let name = program.to_string_lossy().into_owned();
            return Err(match e {
                Errno::ENOENT | Errno::ENOTDIR => {
                    SpawnError::NotFound(format!("{name}: command not found"))
                }
                Errno::EACCES | Errno::EPERM => {
                    SpawnError::NotExecutable(format!("{name}: permission denied"))
                }
                Errno::ENOEXEC => {
                    SpawnError::NotExecutable(format!("{name}: cannot execute: exec format error"))
                }
                e => SpawnError::NotExecutable(format!("{name}: cannot execute: {}", e.desc())),
            });
        }
    };
    let status = loop {
        match wait_signal(&waited) {
            Ok((libc::SIGCHLD, _)) => {
                match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) => continue,
                    Ok(WaitStatus::Exited(_, code)) => break (Some(code), None),
                    Ok(WaitStatus::Signaled(_, s, _)) => break (None, Some(s as i32)),
                    // Stopped or continued (not asked for), or another child's SIGCHLD.
                    Ok(_) => continue,
                    Err(Errno::EINTR) => continue,
                    Err(e) => return Err(other("cannot wait for the command", e)),
                }
            }
            Ok((sig, from_process)) => {
                if matches!(sig, libc::SIGINT | libc::SIGQUIT) && !from_process {
                    continue;
                }
                if let Ok(signal) = Signal::try_from(sig) {
                    let _ = kill(pid, signal);
                }
            }
            Err(Errno::EINTR) => continue,
            Err(_) => {
                // Still wait for it: a command must not outlive gate unrecorded.
                match waitpid(pid, None) {
                    Ok(WaitStatus::Exited(_, code)) => break (Some(code), None),
                    Ok(WaitStatus::Signaled(_, s, _)) => break (None, Some(s as i32)),
                    Ok(_) => continue,
                    Err(e) => return Err(other("cannot wait for the command", e)),
                }
            }
        }
    };
    let duration = started.elapsed();
    timer.mark("command finished");
    Ok(Outcome {
        exit_code: status.0,
        signal: status.1,
        duration,
    })
}

/// The next of `set`'s signals, and whether a process sent it (`kill`, `sigqueue`) rather than
/// the kernel (a terminal's Ctrl-C, a child's end).
fn wait_signal(set: &SigSet) -> Result<(i32, bool), Errno> {
    let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::zeroed();
    // SAFETY: `set` is a valid signal set and `info` is writable for one siginfo_t.
    let sig = unsafe { libc::sigwaitinfo(set.as_ref(), info.as_mut_ptr()) };
    if sig < 0 {
        return Err(Errno::last());
    }
    // SAFETY: sigwaitinfo filled it in.
    let code = unsafe { info.assume_init() }.si_code;
    Ok((sig, code <= 0))
}
