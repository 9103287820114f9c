//! Shared test harness: every test gets its own temporary HOME, XDG directories and ledger, and
//! runs the real `gate` binary with a scrubbed environment (no CI or agent markers leak in).
#![allow(dead_code)]

pub mod runner;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The gate under test: this build's binary, or the one named by `GATE_TEST_BIN` (to run the
/// suite against an installed gate, e.g. the static build `install.sh` makes).
pub fn gate_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("GATE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_gate").to_string())
    })
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "config", "data", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Env { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn home(&self) -> PathBuf {
        self.path("home")
    }

    pub fn work(&self) -> PathBuf {
        self.path("work")
    }

    pub fn ledger(&self) -> PathBuf {
        self.path("data/gate/ledger.db")
    }

    /// Write the user policy.
    pub fn policy(&self, text: &str) -> PathBuf {
        let p = self.path("config/gate/policy.toml");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(gate_bin());
        c.env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("NO_COLOR", "1")
            .env("USER", "tester")
            .current_dir(self.work());
        c
    }

    pub fn gate(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run gate")
    }

    pub fn log(&self) -> Vec<Value> {
        let out = self.gate(&["log", "-n", "100000", "--json"]);
        assert!(out.status.success(), "gate log failed: {}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("log line is JSON"))
            .collect()
    }

    pub fn show(&self, id: &str) -> Value {
        let out = self.gate(&["show", id, "--json"]);
        assert!(out.status.success(), "gate show failed: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).expect("show is JSON")
    }

    pub fn event_kinds(&self, id: &str) -> Vec<String> {
        self.show(id)["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    }

    /// Run `gate hook claude-code` with `input` on stdin: (exit status, the JSON answer if
    /// any, stderr).
    pub fn hook(&self, input: &str) -> (i32, Option<Value>, String) {
        self.hook_for("claude-code", input)
    }

    /// [`Env::hook`] for `gate hook AGENT` (claude-code, codex, gemini).
    pub fn hook_for(&self, agent: &str, input: &str) -> (i32, Option<Value>, String) {
        let mut cmd = self.command();
        cmd.args(["hook", agent]);
        let out = feed(&mut cmd, input);
        let answer = stdout(&out)
            .lines()
            .next()
            .map(|l| serde_json::from_str(l).expect("hook answer is JSON"));
        (code(&out), answer, stderr(&out))
    }

    pub fn sql(&self, sql: &str) -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open(self.ledger())?;
        conn.execute_batch(sql)
    }
}

/// Run `cmd` with `input` on its stdin, capturing stdout and stderr.
pub fn feed(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Claude Code's PreToolUse input for a Bash command.
pub fn pre_tool_use(command: &str, tool_use: &str) -> String {
    serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "what the agent says it does"},
        "cwd": "/srv/app",
        "session_id": "sess-1",
        "tool_use_id": tool_use,
    })
    .to_string()
}

/// The `permissionDecision` of a hook answer.
pub fn decision(answer: &Option<Value>) -> &str {
    answer.as_ref().expect("a hook answer")["hookSpecificOutput"]["permissionDecision"]
        .as_str()
        .unwrap()
}

/// The `permissionDecisionReason` of a hook answer.
pub fn decision_reason(answer: &Option<Value>) -> &str {
    answer.as_ref().expect("a hook answer")["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit status as a shell's `$?` gives it: 128+N for a process killed by signal N (gate
/// ends by the signal that ended its command).
pub fn code(o: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    o.status
        .code()
        .or_else(|| o.status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

pub fn write_exec(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A policy where `touch` asks on the terminal and `rm` is denied.
pub const ASK_TOUCH: &str = r#"
[defaults]
decision = "allow"
timeout = "30s"
channels = ["terminal"]

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
risk = "high"
message = "Touching files needs a human."

[[rule]]
id = "no-rm"
command = "rm"
decision = "deny"
message = "Use trash instead of rm."
"#;
