//! Spawn the approved argv exactly, forward signals to it, and report how it ended (SPEC §7).

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;

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

const FORWARDED: &[i32] = &[SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGINT];

/// Run `argv` with inherited stdio and wait for it. Signals that reach gate meanwhile are passed
/// on, except a terminal-generated SIGINT/SIGQUIT, which the child (in the same foreground process
/// group) already received: forwarding it would deliver it twice.
pub fn run(argv: &[OsString]) -> Result<Outcome, SpawnError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| SpawnError::Other("empty command".into()))?;
    // Listen before spawning, so a signal that arrives in between is not lost and does not kill
    // gate (which would leave the child without a recorded outcome).
    let mut timer = crate::ui::Timer::start();
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)
        .map_err(|e| SpawnError::Other(format!("cannot install signal handlers: {e}")))?;
    let handle = signals.handle();
    let child_pid: Arc<Mutex<(Option<i32>, Vec<i32>)>> = Arc::new(Mutex::new((None, Vec::new())));
    let forward_state = Arc::clone(&child_pid);
    let forwarder = std::thread::spawn(move || {
        for info in signals.forever() {
            let from_terminal = info.process.is_none();
            if matches!(info.signal, SIGINT | SIGQUIT) && from_terminal {
                continue;
            }
            let mut state = forward_state.lock().unwrap_or_else(|e| e.into_inner());
            match state.0 {
                Some(pid) => forward(pid, info.signal),
                None => state.1.push(info.signal),
            }
        }
    });

    timer.mark("signal forwarding set up");
    let started = Instant::now();
    let spawned = Command::new(program).args(args).spawn();
    timer.mark("spawned");
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            handle.close();
            let _ = forwarder.join();
            let name = program.to_string_lossy().into_owned();
            return Err(match e.kind() {
                io::ErrorKind::NotFound => {
                    SpawnError::NotFound(format!("{name}: command not found"))
                }
                io::ErrorKind::PermissionDenied => {
                    SpawnError::NotExecutable(format!("{name}: permission denied"))
                }
                _ if e.raw_os_error() == Some(libc_enoexec()) => {
                    SpawnError::NotExecutable(format!("{name}: cannot execute: exec format error"))
                }
                _ => SpawnError::NotExecutable(format!("{name}: cannot execute: {e}")),
            });
        }
    };
    {
        let mut state = child_pid.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = Some(child.id() as i32);
        for sig in state.1.drain(..) {
            forward(child.id() as i32, sig);
        }
    }
    let status = loop {
        match child.wait() {
            Ok(status) => break status,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                handle.close();
                let _ = forwarder.join();
                return Err(SpawnError::Other(format!(
                    "cannot wait for the command: {e}"
                )));
            }
        }
    };
    let duration = started.elapsed();
    timer.mark("command finished");
    handle.close();
    let _ = forwarder.join();
    Ok(Outcome {
        exit_code: status.code(),
        signal: status.signal(),
        duration,
    })
}

fn forward(pid: i32, sig: i32) {
    if let Ok(signal) = Signal::try_from(sig) {
        let _ = kill(Pid::from_raw(pid), signal);
    }
}

const fn libc_enoexec() -> i32 {
    nix::errno::Errno::ENOEXEC as i32
}
