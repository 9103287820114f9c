//! Terminal approval through a real pseudo-terminal: approve, deny, expiry, Ctrl-C, and the
//! prompt never reads stdin. Every test here is a person's own request at their own terminal:
//! under a test runner that itself runs under an agent they are skipped, saying so (gate
//! rightly does not prompt there).

mod support;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use support::*;

fn spawn(env: &Env, args: &[&str]) -> PtySession {
    spawn_command(env.gate().args(args).command(), Some(15_000)).expect("spawn gate in a pty")
}

fn exit_code(p: &PtySession) -> i32 {
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("gate did not exit normally: {other:?}"),
    }
}

#[test]
fn y_approves_and_the_command_runs() {
    if skip_under_agent("y_approves_and_the_command_runs") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("approved");
    let mut p = spawn(
        &env,
        &[
            "--reason",
            "ticket 42",
            "--",
            "touch",
            target.to_str().unwrap(),
        ],
    );
    let shown = p.exp_string("Approve? [y/N]").unwrap();
    // The requester is the real OS user (from the uid, never from $USER, which anyone can set).
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name;
    for want in [
        "touch-asks",
        "Touching files needs a human.",
        "high",
        user.as_str(),
        "ticket 42",
        "work",
    ] {
        assert!(shown.contains(want), "prompt lacks {want:?}: {shown}");
    }
    p.exp_string("expires in 0m").unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert!(target.exists());
    let r = &env.log()[0];
    assert_eq!(r["status"], "ran");
    assert_eq!(r["approvals"][0]["channel"], "terminal");
    assert_eq!(r["approvals"][0]["verdict"], "approve");
    assert_eq!(r["reason"], "ticket 42");
}

#[test]
fn anything_else_denies() {
    if skip_under_agent("anything_else_denies") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("denied");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("n").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 77);
    assert!(!target.exists());
    assert_eq!(env.log()[0]["status"], "denied");
}

#[test]
fn nobody_answering_expires_with_75() {
    if skip_under_agent("nobody_answering_expires_with_75") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("expired");
    let mut p = spawn(
        &env,
        &["--timeout", "2s", "--", "touch", target.to_str().unwrap()],
    );
    p.exp_string("Approve? [y/N]").unwrap();
    assert_eq!(exit_code(&p), 75);
    assert!(!target.exists());
    assert_eq!(env.log()[0]["status"], "expired");
}

#[test]
fn ctrl_c_cancels_with_130() {
    if skip_under_agent("ctrl_c_cancels_with_130") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("cancelled");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send_control('c').unwrap();
    assert_eq!(exit_code(&p), 130);
    assert!(!target.exists());
    assert_eq!(env.log()[0]["status"], "cancelled");
}

#[test]
fn the_prompt_never_reads_stdin() {
    if skip_under_agent("the_prompt_never_reads_stdin") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("stdin");
    let yes = env.work().join("yes.txt");
    std::fs::write(&yes, "y\ny\ny\n").unwrap();
    // stdin is a file full of "y"; the controlling terminal is the pty.
    let sh = env
        .program("/bin/sh")
        .env("GATE_BIN", gate_bin())
        .args(["-c", "exec \"$GATE_BIN\" -- touch \"$1\" < \"$2\"", "sh"])
        .arg(&target)
        .arg(&yes);
    let mut p = spawn_command(sh.command(), Some(15_000)).unwrap();
    p.exp_string("Approve? [y/N]").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!target.exists(), "gate approved from stdin");
    p.send("n").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 77);
    assert!(!target.exists());
}

#[test]
fn an_approval_is_reused_for_the_identical_command_within_the_window() {
    if skip_under_agent("an_approval_is_reused_for_the_identical_command_within_the_window") {
        return;
    }
    let env = Env::new();
    env.policy(&ASK_TOUCH.replace(
        "message = \"Touching files needs a human.\"",
        "message = \"Touching files needs a human.\"\nreuse = \"10m\"",
    ));
    let target = env.work().join("again");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    // The same argv, cwd and requester: no prompt (there is no terminal here at all).
    env.gate()
        .args(["--", "touch"])
        .arg(&target)
        .status(0)
        .stderr_contains("reused")
        .run();
    let log = env.log();
    assert_eq!(log[0]["approvals"][0]["channel"], "reuse");
    let kinds = env.last_event_kinds();
    assert!(kinds.contains(&"reused".to_string()), "{kinds:?}");
    // A different argument is a different command: it must ask (and fail without a terminal).
    let other = env.work().join("other");
    env.gate()
        .args(["--", "touch"])
        .arg(&other)
        .status(69)
        .run();
    assert!(!other.exists());
}
