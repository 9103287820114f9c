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
    p.send("y\r").unwrap();
    p.flush().unwrap();
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
fn n_and_enter_denies() {
    if skip_under_agent("n_and_enter_denies") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("denied");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("n\r").unwrap();
    p.flush().unwrap();
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
    p.send("n\r").unwrap();
    p.flush().unwrap();
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
    p.send("y\r").unwrap();
    p.flush().unwrap();
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

/// Waits this long for something that must not happen.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(800);

#[test]
fn keys_typed_before_the_prompt_are_not_an_answer() {
    if skip_under_agent("keys_typed_before_the_prompt_are_not_an_answer") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("typed-ahead");
    // gate starts half a second after the keys are in the terminal's queue.
    let sh = env
        .program("/bin/sh")
        .env("GATE_BIN", gate_bin())
        .args(["-c", "sleep 0.5; exec \"$GATE_BIN\" -- touch \"$1\"", "sh"])
        .arg(&target);
    let mut p = spawn_command(sh.command(), Some(15_000)).unwrap();
    p.send("yes\r").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    p.exp_string("Approve? [y/N]").unwrap();
    std::thread::sleep(SETTLE);
    assert!(!target.exists(), "type-ahead approved the request");
    assert_eq!(env.log()[0]["status"], "running");
    p.send("n\r").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 77);
    assert!(!target.exists());
}

#[test]
fn y_without_enter_does_not_approve() {
    if skip_under_agent("y_without_enter_does_not_approve") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("no-enter");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    std::thread::sleep(SETTLE);
    assert!(!target.exists(), "one key approved the request");
    assert_eq!(env.log()[0]["status"], "running");
    // Backspace takes it back; a line is what answers.
    p.send("\x7fy\r").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert!(target.exists());
}

#[test]
fn a_critical_request_is_approved_only_by_typing_its_code() {
    if skip_under_agent("a_critical_request_is_approved_only_by_typing_its_code") {
        return;
    }
    let env = Env::new();
    env.policy(&ASK_TOUCH.replace("risk = \"high\"", "risk = \"critical\""));
    let target = env.work().join("critical");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    let (_, title) = p.exp_regex(r"request [0-9A-Za-z]+\)").unwrap();
    let id = title
        .trim_start_matches("request ")
        .trim_end_matches(')')
        .to_string();
    let code: String = id[id.len() - 4..].to_uppercase();
    p.exp_string(&format!("type its code {code} and Enter to approve"))
        .unwrap();
    p.exp_string("Code?").unwrap();
    // `y` is not the code: asked again, nothing approved.
    p.send("y\r").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    p.exp_string("this request is critical: type its code")
        .unwrap();
    p.exp_string("Code?").unwrap();
    std::thread::sleep(SETTLE);
    assert!(!target.exists(), "y approved a critical request");
    assert_eq!(env.log()[0]["status"], "running");
    p.send(&format!("{}\r", code.to_lowercase())).unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert!(target.exists());
    assert_eq!(env.log()[0]["approvals"][0]["channel"], "terminal");
}

#[test]
fn control_characters_in_the_command_and_reason_are_shown_escaped() {
    if skip_under_agent("control_characters_in_the_command_and_reason_are_shown_escaped") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let spoof = "main\r\x1b[2K  command   git status";
    let mut p = spawn(
        &env,
        &[
            "--reason",
            "fine\x1b[8m hidden",
            "--",
            "touch",
            spoof,
            "two words",
        ],
    );
    // Shell-quoted, escapes written out: exactly what runs, pasted into bash.
    p.exp_string(r"touch $'main\r\x1b[2K  command   git status' 'two words'")
        .unwrap();
    p.exp_string(r"fine\x1b[8m hidden").unwrap();
    let rest = p.exp_string("Approve? [y/N]").unwrap();
    assert!(
        !rest.contains('\x1b') || !rest.contains("\x1b[8m"),
        "{rest:?}"
    );
    p.send("n\r").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 77);
    // Recorded unchanged.
    assert_eq!(env.log()[0]["command"][1], spoof);
}

#[test]
fn an_answer_that_is_not_y_or_n_asks_again() {
    if skip_under_agent("an_answer_that_is_not_y_or_n_asks_again") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("again");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("maybe\r").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    p.exp_string("type y and Enter to approve, or n and Enter to deny")
        .unwrap();
    p.exp_string("Approve? [y/N]").unwrap();
    std::thread::sleep(SETTLE);
    assert_eq!(env.log()[0]["status"], "running");
    p.send("y\r").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert!(target.exists());
}

#[test]
fn a_refused_answer_asks_again_and_says_who_may_approve() {
    if skip_under_agent("a_refused_answer_asks_again_and_says_who_may_approve") {
        return;
    }
    let env = Env::new();
    env.policy(
        &ASK_TOUCH
            .replace(
                "message = \"Touching files needs a human.\"",
                "message = \"Touching files needs a human.\"\napprovers = [\"sre\"]\nquorum = 2",
            )
            .replace(
                "[defaults]",
                "[approvers]\nsre = [\"alice-not-here\", \"bob-not-here\"]\n\n[defaults]",
            ),
    );
    let target = env.work().join("refused");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    p.exp_string("alice-not-here, bob-not-here; 2 different approvers must approve")
        .unwrap();
    p.exp_string("Approve? [y/N]").unwrap();
    p.send("y\r").unwrap();
    p.flush().unwrap();
    p.flush().unwrap();
    p.exp_string("your answer does not count").unwrap();
    // Asked again, not gone: the request still waits.
    p.exp_string("Approve? [y/N]").unwrap();
    std::thread::sleep(SETTLE);
    assert!(!target.exists());
    assert_eq!(env.log()[0]["status"], "running");
    p.send_control('c').unwrap();
    assert_eq!(exit_code(&p), 130);
    assert!(!target.exists());
    let show = env.show(env.log()[0]["id"].as_str().unwrap());
    let votes = events(&show, "vote");
    assert!(votes[0]["refused"].is_string(), "{votes:?}");
}

#[test]
fn a_notice_from_another_channel_never_shares_the_prompt_line() {
    if skip_under_agent("a_notice_from_another_channel_never_shares_the_prompt_line") {
        return;
    }
    let env = Env::new();
    env.policy(&ASK_TOUCH.replace(
        "channels = [\"terminal\"]",
        "channels = [\"terminal\", \"local\"]",
    ));
    let target = env.work().join("notice");
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap()]);
    let before = p.exp_string("Approve? [y/N]").unwrap();
    std::thread::sleep(SETTLE);
    p.send("n\r").unwrap();
    p.flush().unwrap();
    let after = p.exp_eof().unwrap();
    let all = before + "Approve? [y/N]" + &after;
    assert!(
        all.contains("gate approve"),
        "the local channel said nothing: {all:?}"
    );
    // Every line the local channel printed starts a line of its own: nothing but a line
    // clear precedes `gate:` on it.
    for line in all.split('\n') {
        let visible = line.rsplit('\r').next().unwrap_or(line);
        if let Some(at) = visible.find("gate approve") {
            assert!(
                !visible[..at].contains("Approve?"),
                "notice on the prompt line: {line:?}"
            );
        }
    }
}

#[test]
fn a_huge_command_is_shown_in_part_and_recorded_whole() {
    if skip_under_agent("a_huge_command_is_shown_in_part_and_recorded_whole") {
        return;
    }
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let huge = format!("{}END", "x".repeat(100_000));
    let target = env.work().join(&huge[..200]);
    let mut p = spawn(&env, &["--", "touch", target.to_str().unwrap(), &huge]);
    let shown = p.exp_string("Approve? [y/N]").unwrap();
    assert!(shown.contains("characters not shown"), "{}", &shown[..500]);
    assert!(
        shown.contains("read all of it with `gate show"),
        "no pointer to the whole"
    );
    assert!(
        shown.len() < 20_000,
        "the prompt drew {} bytes",
        shown.len()
    );
    p.send("n\r").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 77);
    // Nothing is cut from what is recorded.
    assert_eq!(env.log()[0]["command"][2], huge);
}

#[test]
fn the_prompt_works_on_a_narrow_terminal_with_a_non_utf8_argument() {
    if skip_under_agent("the_prompt_works_on_a_narrow_terminal_with_a_non_utf8_argument") {
        return;
    }
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("narrow");
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let sh = env
        .program("/bin/sh")
        .env("GATE_BIN", gate_bin())
        .args([
            "-c",
            "stty cols 30 rows 10; exec \"$GATE_BIN\" -- touch \"$1\" \"$2\"",
            "sh",
        ])
        .arg(&target)
        .arg(odd);
    let mut p = spawn_command(sh.command(), Some(15_000)).unwrap();
    let shown = p.exp_string("Approve? [y/N]").unwrap();
    // Its bytes, as bash would take them back.
    assert!(shown.contains(r"$'caf\xe9'"), "{shown:?}");
    // The line redrawn every second fits 30 columns.
    let (_, line) = p.exp_regex(r"Approve\? \[y/N\] [^\r]*").unwrap();
    assert!(line.len() <= 30, "{line:?}");
    p.send("y\r").unwrap();
    p.flush().unwrap();
    assert_eq!(exit_code(&p), 0);
    assert!(target.exists());
}
