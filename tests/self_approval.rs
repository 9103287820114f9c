//! No self-approval, on any channel: the attacks an agent can make on its own request, with
//! real processes and real terminals, and the controls that must keep working.
//!
//! The agent is a stand-in: an executable named `claude` (a shell script) that runs its
//! arguments as a child, as Claude Code runs a tool call, with Claude Code's markers in its
//! environment, which the tool call then strips (`env -u CLAUDECODE`, `env -i`).

#[path = "support_channels/mod.rs"]
mod support;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use serde_json::json;
use support::runner::skip_under_agent;
use support::{Env, events};

const TERMINAL: &str = r#"
[defaults]
channels = ["terminal"]
timeout = "10s"

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
"#;

const TERMINAL_AND_LOCAL: &str = r#"
[defaults]
channels = ["terminal", "local"]
timeout = "10s"

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
"#;

/// Strips the agent's markers, as an agent's tool call can.
const STRIP: &str = "env -u CLAUDECODE -u CLAUDE_CODE_ENTRYPOINT";

/// An executable named `claude` in a directory of its own.
struct FakeAgent {
    dir: tempfile::TempDir,
}

impl FakeAgent {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("claude");
        std::fs::write(
            &bin,
            "#!/bin/sh\n# Stands in for an agent: notes its pid, runs its arguments as a child and waits.\necho $$ > \"$(dirname \"$0\")/pid\"\n\"$@\"\nexit $?\n",
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        FakeAgent { dir }
    }

    fn pid(&self) -> u64 {
        let text = std::fs::read_to_string(self.dir.path().join("pid")).expect("the agent's pid");
        text.trim().parse().unwrap()
    }

    /// `claude sh -c SCRIPT sh ARGS…` with `like`'s environment and directory, and Claude
    /// Code's markers.
    fn sh(&self, like: &Command, script: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.dir.path().join("claude"));
        cmd.env_clear()
            .envs(
                like.get_envs()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
            )
            .env("CLAUDECODE", "1")
            .env("CLAUDE_CODE_ENTRYPOINT", "cli")
            .args(["sh", "-c", script, "sh"])
            .args(args);
        if let Some(dir) = like.get_current_dir() {
            cmd.current_dir(dir);
        }
        cmd
    }
}

/// Run without a controlling terminal (a session of its own) and with stdin from /dev/null.
fn detached(mut cmd: Command) -> Command {
    // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn exit_code(p: &PtySession) -> i32 {
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("did not exit normally: {other:?}"),
    }
}

fn gate() -> &'static str {
    support::gate().to_str().unwrap()
}

fn target(env: &Env, name: &str) -> PathBuf {
    env.dir.path().join(name)
}

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name
}

/// `gate approve|deny ID` typed by a person in a terminal of their own (a PTY this test
/// process makes: no agent above it).
fn answer_from_own_terminal(env: &Env, args: &[&str]) -> (i32, String) {
    let mut p = spawn_command(env.base(args), Some(10_000)).expect("spawn under a PTY");
    let text = p.exp_eof().unwrap_or_default();
    (exit_code(&p), text)
}

/// `/bin/sh -c SCRIPT ARGS…` (`$0` is the first of ARGS) with `like`'s environment and
/// directory.
fn shell(like: &Command, script: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.env_clear()
        .envs(
            like.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .args(["-c", script])
        .args(args);
    if let Some(dir) = like.get_current_dir() {
        cmd.current_dir(dir);
    }
    cmd
}

// ---------------------------------------------------------------------------------------------
// The terminal

/// (a) The agent's markers are removed and it types `y` on the terminal gate prompts on: gate
/// finds the agent among its ancestors and does not prompt there at all.
#[test]
fn a_terminal_under_an_agent_takes_no_answer_even_without_its_markers() {
    let env = Env::new(TERMINAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env.base(&[]),
        &format!("{STRIP} \"$@\""),
        &[gate(), "--", "touch", touched.to_str().unwrap()],
    );
    let mut p = spawn_command(cmd, Some(10_000)).unwrap();
    for _ in 0..10 {
        p.send("y").unwrap();
        p.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 69, "{text}");
    assert!(!touched.exists(), "the agent approved its own request");
    assert!(!text.contains("Approve?"), "{text}");
    assert!(
        text.contains("does not take answers to an agent's request"),
        "{text}"
    );
    assert!(text.contains("add \"local\" to `channels`"), "{text}");
    let rec = env.last();
    assert_eq!(rec["requester"]["agent"], "claude-code");
    let process = &rec["requester"]["agent_process"];
    assert_eq!(process["pid"], agent.pid(), "{rec}");
    assert_eq!(process["program"], "claude");
    assert!(process["start_time"].as_u64().unwrap() > 0);
    assert_eq!(rec["status"], "error");
    assert!(events(&rec, "vote").is_empty());
}

/// (b) The attack from the issue: a PTY of the agent's own (`script`) fed `y` from a pipe.
#[test]
fn a_pty_the_agent_made_and_feeds_approves_nothing() {
    let env = Env::new(TERMINAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env.base(&[]),
        &format!("(sleep 1; printf y) | script -qefc \"{STRIP} $1 -- touch $2\" /dev/null"),
        &[gate(), touched.to_str().unwrap()],
    );
    let out = detached(cmd).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(69), "{text}");
    assert!(!touched.exists(), "the agent approved its own request");
    assert_eq!(env.last()["requester"]["agent"], "claude-code");
}

/// Control for (b): the same `script` PTY with nobody's agent above it is a terminal like any
/// other (gate cannot tell it from a person's), and `y` approves.
#[test]
fn control_a_pty_with_no_agent_above_it_still_approves() {
    if skip_under_agent(
        "control_a_pty_with_no_agent_above_it_still_approves",
        support::gate(),
    ) {
        return;
    }
    let env = Env::new(TERMINAL);
    let touched = target(&env, "touched");
    let sh = shell(
        &env.base(&[]),
        "(sleep 1; printf y) | script -qefc \"$0 -- touch $1\" /dev/null",
        &[gate(), touched.to_str().unwrap()],
    );
    let out = detached(sh).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(touched.exists());
    let rec = env.last();
    assert!(rec["requester"].get("agent").is_none(), "{rec}");
    assert_eq!(rec["approvals"][0]["channel"], "terminal");
}

/// With `local` among the channels, the refusal says how to approve instead, and a person does
/// so from a terminal of their own (control: an agent's request can still be approved).
#[test]
fn an_agents_request_is_approved_from_a_persons_own_terminal() {
    let env = Env::new(TERMINAL_AND_LOCAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env.base(&[]),
        &format!("{STRIP} \"$@\""),
        &[gate(), "--", "touch", touched.to_str().unwrap()],
    );
    let mut p = spawn_command(cmd, Some(15_000)).unwrap();
    let id = env.wait_pending();
    p.exp_string(&format!(
        "approve it from another terminal: `gate approve {id}`"
    ))
    .unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!touched.exists(), "the agent approved its own request");
    if skip_under_agent(
        "an_agents_request_is_approved_from_a_persons_own_terminal",
        support::gate(),
    ) {
        let (code, _) = answer_from_own_terminal(&env, &["deny", &id]);
        assert_eq!(code, 77);
        return;
    }
    let (code, text) = answer_from_own_terminal(&env, &["approve", &id]);
    assert_eq!(code, 0, "{text}");
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 0, "{text}");
    assert!(touched.exists());
    let rec = env.show(&id);
    assert_eq!(rec["approvals"][0]["channel"], "local");
    assert_eq!(rec["approvals"][0]["approver"], me());
}

/// A request that came through an agent's hook is not asked on the terminal either, even with
/// the terminal right there (the hook's stdin is the agent's JSON, its tty the agent's).
#[test]
fn a_hook_request_is_not_asked_on_the_terminal() {
    let env = Env::new(TERMINAL);
    let touched = target(&env, "touched");
    let input = env.dir.path().join("input.json");
    std::fs::write(
        &input,
        json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": format!("touch {}", touched.display())},
            "cwd": env.dir.path(),
            "session_id": "s",
            "tool_use_id": "t1",
        })
        .to_string(),
    )
    .unwrap();
    let sh = shell(
        &env.base(&[]),
        "exec \"$0\" hook codex < \"$1\"",
        &[gate(), input.to_str().unwrap()],
    );
    let mut p = spawn_command(sh, Some(10_000)).unwrap();
    for _ in 0..5 {
        p.send("y").unwrap();
        p.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 2, "{text}");
    assert!(!text.contains("Approve?"), "{text}");
    assert!(
        text.contains("does not take answers to an agent's request"),
        "{text}"
    );
}
