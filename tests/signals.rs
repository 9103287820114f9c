//! Real signals to real processes.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use support::*;

#[test]
fn a_child_killed_by_sigterm_gives_143_and_is_recorded() {
    let env = Env::new();
    let script = env.work().join("selfkill.sh");
    write_exec(&script, "#!/bin/sh\nkill -TERM $$\nsleep 5\n");
    let out = env.gate().arg("--").arg(&script).status(143).run();
    // Killed the way its command was, once that is recorded: a parent sees the signal.
    assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
    let r = &env.log()[0];
    assert_eq!(r["signal"], 15);
    assert_eq!(r["status"], "ran");
}

fn wait_for_started(env: &Env) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if env.ledger().exists() {
            let out = env.gate().args(["log", "--json"]).run();
            if out.stdout.contains("\"status\":\"running\"") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the command never started");
}

#[test]
fn sigterm_to_gate_reaches_the_child() {
    let env = Env::new();
    let marker = env.work().join("got-term");
    let script = env.work().join("trap.sh");
    write_exec(
        &script,
        &format!(
            "#!/bin/sh\ntrap 'echo term > {}; exit 3' TERM\nwhile :; do sleep 0.05; done\n",
            marker.display()
        ),
    );
    let child = env.gate().arg("--").arg(&script).spawn();
    wait_for_started(&env);
    std::thread::sleep(Duration::from_millis(200));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = finish(child);
    assert_eq!(out.code, 3, "gate must exit with the child's status");
    assert_eq!(
        out.status.signal(),
        None,
        "a command that exits is no signal"
    );
    assert!(marker.exists(), "the child never saw SIGTERM");
    assert_eq!(env.log()[0]["exit_code"], 3);
}

#[test]
fn sigterm_kills_a_default_child_and_gate_reports_143() {
    let env = Env::new();
    let start = Instant::now();
    let child = env.gate().args(["--", "sleep", "30"]).spawn();
    wait_for_started(&env);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = finish(child);
    assert_eq!(out.code, 143);
    assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
    assert!(start.elapsed() < Duration::from_secs(20));
    let r = &env.log()[0];
    assert_eq!(r["signal"], 15);
}

/// gate blocks the signals it forwards while it waits; the command must not inherit that: it
/// starts with the signal mask gate was given and SIGPIPE at its default (the Rust runtime
/// ignores SIGPIPE in gate itself).
#[test]
fn the_command_starts_with_the_callers_signal_state() {
    let env = Env::new();
    let out = env
        .gate()
        .args(["--", "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"])
        .status(0)
        .run();
    assert!(
        out.stdout.contains("SigBlk:\t0000000000000000"),
        "{}",
        out.stdout
    );
    // SIGPIPE (13) is not ignored: the bit 1<<12 of SigIgn is clear.
    let ign = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:\t"))
        .map(|h| u64::from_str_radix(h.trim(), 16).unwrap())
        .unwrap();
    assert_eq!(ign & (1 << 12), 0, "{}", out.stdout);
    // So a writer into a closed pipe dies of SIGPIPE, as it would without gate.
    env.gate()
        .args([
            "--",
            "bash",
            "-c",
            "yes | head -n 1 >/dev/null; echo ${PIPESTATUS[0]}",
        ])
        .status(0)
        .stdout("141\n")
        .run();
}

/// A control: a signal that gate forwards and the command ignores changes nothing; the command
/// ends on its own and gate with it.
#[test]
fn a_forwarded_signal_the_command_ignores_is_harmless() {
    let env = Env::new();
    let child = env
        .gate()
        .args(["--", "sh", "-c", "trap '' USR1; sleep 1; exit 4"])
        .spawn();
    wait_for_started(&env);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGUSR1,
    )
    .unwrap();
    let out = finish(child);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert_eq!(out.status.signal(), None);
}
