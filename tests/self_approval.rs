//! No self-approval, on any channel: the attacks an agent can make on its own request, with
//! real processes and real terminals, and the controls that must keep working.
//!
//! The agent is a stand-in: an executable named `claude` (a shell script) that runs its
//! arguments as a child, as Claude Code runs a tool call, with Claude Code's markers in its
//! environment, which the tool call then strips (`env -u CLAUDECODE`, `env -i`).

mod support;

use std::path::PathBuf;
use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use rusqlite::OptionalExtension;
use serde_json::{Value, json};
use support::{Cmd, Env, agent_above_runner, events, finish, skip_under_agent};

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

const LOCAL: &str = r#"
[defaults]
channels = ["local"]
timeout = "8s"

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

    /// `claude sh -c SCRIPT sh ARGS…` in `env`, with Claude Code's markers.
    fn sh<'e>(&self, env: &'e Env, script: &str, args: &[&str]) -> Cmd<'e> {
        env.program(self.dir.path().join("claude"))
            .env("CLAUDECODE", "1")
            .env("CLAUDE_CODE_ENTRYPOINT", "cli")
            .args(["sh", "-c", script, "sh"])
            .args(args)
    }
}

fn exit_code(p: &PtySession) -> i32 {
    match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("did not exit normally: {other:?}"),
    }
}

fn gate() -> &'static str {
    support::gate_bin().to_str().unwrap()
}

fn target(env: &Env, name: &str) -> PathBuf {
    env.work().join(name)
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
    let mut p =
        spawn_command(env.gate().args(args).command(), Some(10_000)).expect("spawn under a PTY");
    let text = p.exp_eof().unwrap_or_default();
    (exit_code(&p), text)
}

/// `/bin/sh -c SCRIPT ARGS…` (`$0` is the first of ARGS) in `env`.
fn shell<'e>(env: &'e Env, script: &str, args: &[&str]) -> Cmd<'e> {
    env.program("/bin/sh").args(["-c", script]).args(args)
}

// ---------------------------------------------------------------------------------------------
// The terminal

/// (a) The agent's markers are removed and it types `y` on the terminal gate prompts on: gate
/// finds the agent among its ancestors and does not prompt there at all.
#[test]
fn a_terminal_under_an_agent_takes_no_answer_even_without_its_markers() {
    let env = Env::with_policy(TERMINAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env,
        &format!("{STRIP} \"$@\""),
        &[gate(), "--", "touch", touched.to_str().unwrap()],
    );
    let mut p = spawn_command(cmd.command(), Some(10_000)).unwrap();
    for _ in 0..10 {
        p.send("y").unwrap();
        p.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 69, "{text}");
    assert!(!touched.exists(), "the agent approved its own request");
    assert!(!text.contains("Approve?"), "{text}");
    assert!(text.contains("not for a request an agent made"), "{text}");
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
    let env = Env::with_policy(TERMINAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env,
        &format!("(sleep 1; printf y) | script -qefc \"{STRIP} $1 -- touch $2\" /dev/null"),
        &[gate(), touched.to_str().unwrap()],
    );
    let out = cmd.run();
    let text = &out.stdout;
    assert_eq!(out.status.code(), Some(69), "{text}");
    assert!(!touched.exists(), "the agent approved its own request");
    assert_eq!(env.last()["requester"]["agent"], "claude-code");
}

/// Control for (b): the same `script` PTY with nobody's agent above it is a terminal like any
/// other (gate cannot tell it from a person's), and `y` approves.
#[test]
fn control_a_pty_with_no_agent_above_it_still_approves() {
    if skip_under_agent("control_a_pty_with_no_agent_above_it_still_approves") {
        return;
    }
    let env = Env::with_policy(TERMINAL);
    let touched = target(&env, "touched");
    let sh = shell(
        &env,
        "(sleep 1; printf y) | script -qefc \"$0 -- touch $1\" /dev/null",
        &[gate(), touched.to_str().unwrap()],
    );
    let out = sh.run();
    assert_eq!(out.status.code(), Some(0), "{}", out.stdout);
    assert!(touched.exists());
    let rec = env.last();
    assert!(rec["requester"]["agent"].is_null(), "{rec}");
    assert_eq!(rec["approvals"][0]["channel"], "terminal");
}

/// With `local` among the channels, the refusal says how to approve instead, and a person does
/// so from a terminal of their own (control: an agent's request can still be approved).
#[test]
fn an_agents_request_is_approved_from_a_persons_own_terminal() {
    let env = Env::with_policy(TERMINAL_AND_LOCAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let cmd = agent.sh(
        &env,
        &format!("{STRIP} \"$@\""),
        &[gate(), "--", "touch", touched.to_str().unwrap()],
    );
    let mut p = spawn_command(cmd.command(), Some(15_000)).unwrap();
    let id = env.wait_pending();
    p.exp_string(&format!(
        "approve it from another terminal: `gate approve {id}`"
    ))
    .unwrap();
    p.send("y").unwrap();
    p.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!touched.exists(), "the agent approved its own request");
    if skip_under_agent("an_agents_request_is_approved_from_a_persons_own_terminal") {
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
    let env = Env::with_policy(TERMINAL);
    let touched = target(&env, "touched");
    let input = env.path("input.json");
    std::fs::write(
        &input,
        json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": format!("touch {}", touched.display())},
            "cwd": env.work(),
            "session_id": "s",
            "tool_use_id": "t1",
        })
        .to_string(),
    )
    .unwrap();
    let sh = shell(
        &env,
        "exec \"$0\" hook codex < \"$1\"",
        &[gate(), input.to_str().unwrap()],
    );
    let mut p = spawn_command(sh.command(), Some(10_000)).unwrap();
    for _ in 0..5 {
        p.send("y").unwrap();
        p.flush().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 2, "{text}");
    assert!(!text.contains("Approve?"), "{text}");
    assert!(text.contains("not for a request an agent made"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// gate approve

/// (c) The agent, its markers stripped (`env -i`), runs `gate approve` on a terminal for the
/// request it made: refused, because the process that made the request is among gate
/// approve's ancestors. A person's `gate approve` from elsewhere then succeeds.
#[test]
fn gate_approve_under_the_requesting_agent_is_refused_even_with_env_i() {
    let env = Env::with_policy(LOCAL);
    let agent = FakeAgent::new();
    let touched = target(&env, "touched");
    let script = format!(
        r#"G=$1
{STRIP} "$G" -- touch "$2" 2>/dev/null &
request=$!
id=
for _ in $(seq 100); do
    id=$("$G" pending | sed -n '1{{/^no request/d;s/ .*//p;}}')
    [ -n "$id" ] && break
    sleep 0.1
done
echo "request=$id."
env -i PATH="$PATH" HOME="$HOME" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" XDG_DATA_HOME="$XDG_DATA_HOME" NO_COLOR=1 "$G" approve "$id"
echo "approve-exit=$?."
wait "$request"
echo "request-exit=$?."
"#
    );
    let cmd = agent.sh(&env, &script, &[gate(), touched.to_str().unwrap()]);
    let mut p = spawn_command(cmd.command(), Some(20_000)).unwrap();
    let (_, id) = p.exp_regex("request=[a-z0-9]+\\.").unwrap();
    let id = id["request=".len()..id.len() - 1].to_string();
    let before = p.exp_string("approve-exit=77.").unwrap();
    assert!(
        before.contains(&format!(
            "runs inside the agent that made request {id}: claude-code (process {}",
            agent.pid()
        )),
        "{before}"
    );
    assert!(!touched.exists());
    let show = env.show(&id);
    let refused = events(&show, "local_vote");
    assert_eq!(refused.len(), 1, "{show}");
    assert!(refused[0]["refused"].as_str().unwrap().contains("process"));

    if skip_under_agent("gate_approve_under_the_requesting_agent_is_refused_even_with_env_i") {
        p.exp_string("request-exit=75.").unwrap();
        return;
    }
    // Not a descendant of the agent: a person in their own terminal.
    let (code, text) = answer_from_own_terminal(&env, &["approve", &id]);
    assert_eq!(code, 0, "{text}");
    p.exp_string("request-exit=0.").unwrap();
    assert!(touched.exists());
    let show = env.show(&id);
    assert_eq!(show["status"], "ran");
    assert_eq!(show["approvals"].as_array().unwrap().len(), 1, "{show}");
    assert_eq!(show["approvals"][0]["approver"], me());
}

/// Any agent above `gate approve` is refused, not only the one that asked.
#[test]
fn gate_approve_under_any_agent_is_refused() {
    let env = Env::with_policy(LOCAL);
    let touched = target(&env, "touched");
    let waiting = env
        .gate()
        .args([
            "--as",
            "deploy-bot",
            "--",
            "touch",
            touched.to_str().unwrap(),
        ])
        .spawn();
    let id = env.wait_pending();
    let agent = FakeAgent::new();
    let cmd = agent.sh(
        &env,
        "exec env -i PATH=\"$PATH\" HOME=\"$HOME\" XDG_CONFIG_HOME=\"$XDG_CONFIG_HOME\" XDG_DATA_HOME=\"$XDG_DATA_HOME\" \"$@\"",
        &[gate(), "approve", &id],
    );
    let mut p = spawn_command(cmd.command(), Some(10_000)).unwrap();
    let text = p.exp_eof().unwrap_or_default();
    assert_eq!(exit_code(&p), 77, "{text}");
    // Under a runner that itself runs under an agent, that agent made the request too.
    let why = match agent_above_runner() {
        None => format!("runs under agent claude-code (process {}", agent.pid()),
        Some(_) => "runs inside the agent that made request".into(),
    };
    assert!(text.contains(&why), "{text}");
    let (code, _) = answer_from_own_terminal(&env, &["deny", &id]);
    let out = finish(waiting);
    if code == 0 {
        assert_eq!(out.status.code(), Some(77));
    }
    assert!(!touched.exists());
}

// ---------------------------------------------------------------------------------------------
// Votes written into the ledger by hand

/// Append an event to the ledger by hand, as anything with write access to the file can:
/// the chain hash is computed, so only what gate alone can make (its MAC) is missing.
fn forge(env: &Env, request: &str, kind: &str, data: &Value) -> i64 {
    let mut conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let (seq, prev): (i64, Vec<u8>) = tx
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .unwrap()
        .unwrap_or((0, gate::ledger::GENESIS.to_vec()));
    let time = gate::ledger::now_rfc3339();
    let data = data.to_string();
    let hash = gate::ledger::event_hash(&prev, seq + 1, request, &time, kind, &data);
    tx.execute(
        "INSERT INTO events (seq, request, time, kind, data, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![seq + 1, request, time, kind, data, &hash[..]],
    )
    .unwrap();
    tx.commit().unwrap();
    seq + 1
}

/// (d) Two `local_vote` rows written with SQL (one without a MAC, one with a made-up one) from
/// two allowed approvers do not make a quorum of two, and `gate verify` names the first.
#[test]
fn hand_written_local_votes_do_not_count_and_verify_reports_them() {
    let env = Env::with_policy(
        r#"
[defaults]
channels = ["local"]
timeout = "4s"

[approvers]
sre = ["alice", "bob"]

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
approvers = ["sre"]
quorum = 2
"#,
    );
    let touched = target(&env, "touched");
    let waiting = env
        .gate()
        .args([
            "--as",
            "claude-code",
            "--",
            "touch",
            touched.to_str().unwrap(),
        ])
        .spawn();
    let id = env.wait_pending();
    let first = forge(
        &env,
        &id,
        "local_vote",
        &json!({"approver": "alice", "verdict": "approve"}),
    );
    forge(
        &env,
        &id,
        "local_vote",
        &json!({"approver": "bob", "verdict": "approve", "mac": "00".repeat(32)}),
    );
    let out = finish(waiting);
    let stderr = &out.stderr;
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(!touched.exists(), "hand-written votes approved the request");
    assert!(stderr.contains("not written by gate"), "{stderr}");

    let show = env.show(&id);
    let votes = events(&show, "vote");
    assert_eq!(votes.len(), 2, "{show}");
    for v in &votes {
        assert_eq!(v["accepted"], false, "{v}");
        assert!(
            v["refused"]
                .as_str()
                .unwrap()
                .contains("not written by gate"),
            "{v}"
        );
    }
    assert!(show["approvals"].as_array().unwrap().is_empty());

    let verify = env.gate().args(["verify"]).status(1).run();
    assert!(
        verify
            .stdout
            .contains(&format!("event #{first} (request {id})")),
        "{}",
        verify.stdout
    );
    assert!(verify.stdout.contains("local_vote"), "{}", verify.stdout);
    let json = env.gate().args(["verify", "--json"]).run();
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["first_broken"]["seq"], first);
}

/// An approval written by hand into an earlier request is not reused: reuse trusts only a
/// verdict gate sealed, and `gate verify` names the first hand-written row.
#[test]
fn a_hand_written_approval_is_not_reused() {
    let env = Env::with_policy(
        r#"
[defaults]
channels = ["local"]
timeout = "1s"

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
reuse = "10m"
"#,
    );
    let touched = target(&env, "touched");
    let args = [
        "--as",
        "claude-code",
        "--",
        "touch",
        touched.to_str().unwrap(),
    ];
    env.gate().args(args).status(75).run();
    let first = env.last();
    let id = first["id"].as_str().unwrap();
    let vote = forge(
        &env,
        id,
        "vote",
        &json!({"accepted": true, "approver": "alice", "channel": "local", "verdict": "approve"}),
    );
    forge(
        &env,
        id,
        "verdict",
        &json!({"by": ["alice"], "channel": "local", "outcome": "approved"}),
    );
    env.gate().args(args).status(75).run();
    assert!(!touched.exists(), "a hand-written approval was reused");
    let verify = env.gate().args(["verify"]).status(1).run();
    assert!(
        verify.stdout.contains(&format!("event #{vote} ")),
        "{}",
        verify.stdout
    );
}

/// Control: a vote gate wrote counts, and a hand-written copy of it under another approver's
/// name (its MAC no longer matches) does not make the second of two.
#[test]
fn a_sealed_vote_counts_and_a_copy_under_another_name_does_not() {
    if skip_under_agent("a_sealed_vote_counts_and_a_copy_under_another_name_does_not") {
        return;
    }
    let me = me();
    let env = Env::with_policy(&format!(
        r#"
[defaults]
channels = ["local"]
timeout = "4s"

[approvers]
ops = ["{me}", "bob"]

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
approvers = ["ops"]
quorum = 2
"#
    ));
    let touched = target(&env, "touched");
    let waiting = env
        .gate()
        .args([
            "--as",
            "claude-code",
            "--",
            "touch",
            touched.to_str().unwrap(),
        ])
        .spawn();
    let id = env.wait_pending();
    let (code, text) = answer_from_own_terminal(&env, &["approve", &id]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("still waits for more approvals"), "{text}");
    let show = env.show(&id);
    let mut copy = events(&show, "local_vote")[0].clone();
    assert!(copy["mac"].is_string(), "{copy}");
    copy["approver"] = json!("bob");
    forge(&env, &id, "local_vote", &copy);
    let out = finish(waiting);
    assert_eq!(out.status.code(), Some(75), "{}", out.stderr);
    assert!(!touched.exists());
    let show = env.show(&id);
    let approvals = show["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{show}");
    assert_eq!(approvals[0]["approver"], me);
}

/// A ledger gate wrote before it sealed votes and verdicts still verifies after the upgrade (its
/// migration starts sealing with a sealed `seals_begin`), rows written by hand after that are
/// reported, and setting the schema back by hand does not make gate excuse them.
#[test]
fn a_ledger_from_before_seals_verifies_and_later_hand_written_votes_do_not() {
    let env = Env::with_policy(LOCAL);
    let path = env.ledger();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../src/ledger/migrations/001_events.sql"))
            .unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    // An approved request as the schema-1 gate recorded it: no seals anywhere.
    let old = "oldrequest";
    for (kind, data) in [
        (
            "request",
            json!({"command": ["touch", "x"], "cwd": "/", "requester": {"user": "u"}}),
        ),
        ("decision", json!({"decision": "ask"})),
        (
            "approval_requested",
            json!({"channels": ["local"], "open": ["local"]}),
        ),
        ("local_vote", json!({"approver": "u", "verdict": "approve"})),
        (
            "vote",
            json!({"accepted": true, "approver": "u", "channel": "local", "verdict": "approve"}),
        ),
        (
            "verdict",
            json!({"by": ["u"], "channel": "local", "outcome": "approved"}),
        ),
    ] {
        forge(&env, old, kind, &data);
    }
    env.gate().args(["--", "true"]).status(0).run();
    env.gate().args(["verify"]).status(0).run();
    let begins = || env.count_events("seals_begin");
    assert_eq!(begins(), 1);

    let forged = forge(
        &env,
        old,
        "local_vote",
        &json!({"approver": "alice", "verdict": "approve"}),
    );
    let broken = |env: &Env| {
        let out = env.gate().args(["verify", "--json"]).status(1).run();
        let report: Value = serde_json::from_str(&out.stdout).unwrap();
        report["first_broken"]["seq"].as_i64().unwrap()
    };
    assert_eq!(broken(&env), forged);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP INDEX events_seals_begin; PRAGMA user_version = 1;")
        .unwrap();
    env.gate().args(["--", "true"]).status(0).run();
    assert_eq!(begins(), 1, "a second start of sealing");
    assert_eq!(broken(&env), forged);
}
