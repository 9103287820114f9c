//! The integration tests' one harness. Every test makes an [`Env`]: its own temporary HOME, XDG
//! directories, working directory, policy and ledger, so tests run in parallel. Commands are
//! built fluently and run the real `gate` with a scrubbed environment (no CI or agent markers
//! leak in from the test runner), detached from any terminal:
//!
//! ```ignore
//! let env = Env::with_policy(ASK_TOUCH);
//! let out = env
//!     .gate()
//!     .args(["--", "rm", "-rf", "/"])
//!     .env("K", "V")
//!     .status(77)
//!     .stderr_contains("Use trash instead of rm.")
//!     .run(); // the output, for more checks
//! env.assert_last_event_kinds(&["request", "decision"]);
//! assert_eq!(env.log()[0]["status"], "denied");
//! ```
//!
//! Fake servers for the approval channels are in [`http`] (a tiny HTTP server, for webhook
//! receivers) and [`slack`] (the Slack Web API and Socket Mode); [`runner`] tells whether the
//! test runner itself runs under an agent.
#![allow(dead_code)]

pub mod http;
pub mod pg;
pub mod runner;
pub mod slack;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::types::ValueRef;
use serde_json::Value;

#[allow(unused_imports)]
pub use runner::{agent_above_runner, skip_under_agent};

/// The gate under test: a private copy, made once per test process, of this build's binary or
/// of the one `GATE_TEST_BIN` names (to run the suite against an installed gate, e.g. the
/// static build `install.sh` makes).
///
/// Why a copy: with a target directory shared by several checkouts, `target/debug/gate` can be
/// replaced by another checkout's build in the middle of a run. Why the installed binary is
/// copied too: one rule for both is simpler than two, and a byte-for-byte copy runs the same
/// (gate looks for nothing beside its own executable). The copy is removed when the test process
/// exits; every command is built through [`gate_bin`] first, so no test spawns anything while
/// the copy is still open for writing (which would make exec fail with "text file busy").
pub fn gate_bin() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    static DIR: Mutex<Option<tempfile::TempDir>> = Mutex::new(None);
    extern "C" fn remove_copy() {
        if let Ok(mut dir) = DIR.lock() {
            drop(dir.take());
        }
    }
    COPY.get_or_init(|| {
        let source = std::env::var_os("GATE_TEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gate")));
        let dir = tempfile::Builder::new()
            .prefix("gate-under-test")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("gate");
        std::fs::copy(&source, &path)
            .unwrap_or_else(|e| panic!("copy the gate binary {}: {e}", source.display()));
        *DIR.lock().unwrap() = Some(dir);
        // SAFETY: registers a plain function; it runs once, at exit, after the tests.
        unsafe {
            nix::libc::atexit(remove_copy);
        }
        path
    })
}

/// One test's world, nothing shared with another test, laid out as on a real machine (the
/// decisions about where a path lands depend on it):
///
/// - HOME is a fresh temporary directory, (with the usual TMPDIR) a direct child of /tmp as a
///   home is of /home, so `~/..` is a top-level directory. XDG_CONFIG_HOME and XDG_DATA_HOME are at their default
///   places in it (`~/.config`, `~/.local/share`), so a command that drops the XDG variables
///   (`env -i HOME=…`, a fresh machine) finds the same files.
/// - Everything else is in a second temporary directory, [`Env::path`]: the working directory
///   is its `work`, outside HOME and two levels below a top-level directory as a checkout often
///   is, and it holds none of gate's files (a command given the directory of a gate policy is
///   gate's business).
pub struct Env {
    home: tempfile::TempDir,
    scratch: tempfile::TempDir,
    vars: Vec<(OsString, OsString)>,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Self {
        let env = Env {
            home: tempfile::tempdir().expect("temp dir"),
            scratch: tempfile::tempdir().expect("temp dir"),
            vars: Vec::new(),
        };
        for dir in [env.home(), env.config_dir(), env.data_dir(), env.work()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        env
    }

    /// [`Env::new`] with the user policy `text`.
    pub fn with_policy(text: &str) -> Self {
        let env = Self::new();
        env.policy(text);
        env
    }

    /// Every command of this environment gets `key=value` (a later one wins).
    pub fn var(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.vars
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// A file or directory outside HOME (in the directory that holds [`Env::work`]).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.scratch.path().join(rel)
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }

    /// XDG_CONFIG_HOME.
    pub fn config_dir(&self) -> PathBuf {
        self.home().join(".config")
    }

    /// XDG_DATA_HOME.
    pub fn data_dir(&self) -> PathBuf {
        self.home().join(".local/share")
    }

    /// A file of gate's state beside the ledger (`$XDG_DATA_HOME/gate/REL`); `""` is the
    /// directory.
    pub fn state(&self, rel: &str) -> PathBuf {
        self.data_dir().join("gate").join(rel)
    }

    /// The working directory of every command.
    pub fn work(&self) -> PathBuf {
        self.path("work")
    }

    pub fn ledger(&self) -> PathBuf {
        self.state("ledger.db")
    }

    /// The user policy (`$XDG_CONFIG_HOME/gate/policy.toml`).
    pub fn policy_path(&self) -> PathBuf {
        self.config_dir().join("gate/policy.toml")
    }

    /// Write (or rewrite) the user policy.
    pub fn policy(&self, text: &str) -> PathBuf {
        let p = self.policy_path();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `gate …` in this environment.
    pub fn gate(&self) -> Cmd<'_> {
        self.program(gate_bin())
    }

    /// Another program (a shim, `/bin/sh` running gate, a stand-in agent) with the same
    /// environment as [`Env::gate`].
    pub fn program(&self, program: impl AsRef<OsStr>) -> Cmd<'_> {
        // Copy the binary before anything is spawned (see `gate_bin`).
        gate_bin();
        Cmd {
            env: self,
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            vars: Vec::new(),
            cwd: None,
            stdin: None,
            status: None,
            stdout: None,
            stdout_contains: Vec::new(),
            stderr_contains: Vec::new(),
        }
    }

    // ---- the ledger, through gate's own readers ----

    /// Every request (`gate log --json`), newest first.
    pub fn log(&self) -> Vec<Value> {
        self.gate()
            .args(["log", "-n", "100000", "--json"])
            .status(0)
            .run()
            .json_lines()
    }

    /// `gate show ID --json`.
    pub fn show(&self, id: &str) -> Value {
        self.gate()
            .args(["show", id, "--json"])
            .status(0)
            .run()
            .json()
    }

    /// The newest request, as [`Env::show`] gives it.
    pub fn last(&self) -> Value {
        let out = self
            .gate()
            .args(["log", "-n", "1", "--json"])
            .status(0)
            .run();
        let rec: Value = serde_json::from_str(out.stdout.lines().next().expect("a request"))
            .expect("log --json");
        self.show(rec["id"].as_str().unwrap())
    }

    /// The kinds of a request's events, in order.
    pub fn event_kinds(&self, id: &str) -> Vec<String> {
        kinds(&self.show(id))
    }

    /// The kinds of the newest request's events, in order.
    pub fn last_event_kinds(&self) -> Vec<String> {
        kinds(&self.last())
    }

    /// The newest request's events are of exactly these kinds, in this order.
    #[track_caller]
    pub fn assert_last_event_kinds(&self, want: &[&str]) {
        let show = self.last();
        assert_eq!(kinds(&show), want, "events of the newest request: {show}");
    }

    /// Wait until a request waits for a local approval; its id.
    pub fn wait_pending(&self) -> String {
        let end = Instant::now() + Duration::from_secs(8);
        while Instant::now() < end {
            let out = self.gate().args(["pending", "--json"]).run();
            if let Some(line) = out.stdout.lines().next() {
                let v: Value = serde_json::from_str(line).unwrap();
                // A reader that races the ledger's creation fails (`gate.error/1`): try again.
                if v["schema"] != "gate.error/1" {
                    return v["id"].as_str().unwrap().to_string();
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no request became pending");
    }

    // ---- the ledger file itself, as anything with access to it sees it ----

    /// Every event in the SQLite file, oldest first, read directly: what still waits in the
    /// intake is not chained first, as gate's own readers do.
    pub fn ledger_events(&self) -> Vec<LedgerEvent> {
        let conn = rusqlite::Connection::open(self.ledger()).unwrap();
        let mut stmt = conn
            .prepare("SELECT seq, request, kind, data FROM events ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| {
            // Text as gate writes it; whatever a test wrote by hand, as text.
            let text = |i| -> rusqlite::Result<String> {
                Ok(match r.get_ref(i)? {
                    ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into(),
                    ValueRef::Null => String::new(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                })
            };
            Ok(LedgerEvent {
                seq: r.get(0)?,
                request: text(1)?,
                kind: text(2)?,
                data: text(3)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// How many events of `kind` the SQLite file holds (see [`Env::ledger_events`]).
    pub fn count_events(&self, kind: &str) -> i64 {
        let conn = rusqlite::Connection::open(self.ledger()).unwrap();
        conn.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
    }

    /// Run SQL on the ledger file, as an attacker with write access can.
    pub fn sql(&self, sql: &str) -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open(self.ledger())?;
        conn.execute_batch(sql)
    }

    // ---- agent hooks ----

    /// Run `gate hook claude-code` with `input` on stdin: (exit status, the JSON answer if
    /// any, stderr).
    pub fn hook(&self, input: &str) -> (i32, Option<Value>, String) {
        self.hook_for("claude-code", input)
    }

    /// [`Env::hook`] for `gate hook AGENT` (claude-code, codex, gemini).
    pub fn hook_for(&self, agent: &str, input: &str) -> (i32, Option<Value>, String) {
        let out = self.gate().args(["hook", agent]).stdin(input).run();
        let answer = out
            .stdout
            .lines()
            .next()
            .map(|l| serde_json::from_str(l).expect("hook answer is JSON"));
        (out.code, answer, out.stderr)
    }
}

/// One row of the ledger's `events` table.
#[derive(Debug, Clone)]
pub struct LedgerEvent {
    pub seq: i64,
    pub request: String,
    pub kind: String,
    /// As stored (JSON when gate wrote it: see [`LedgerEvent::json`]).
    pub data: String,
}

impl LedgerEvent {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event #{} data is not JSON ({e}): {}", self.seq, self.data))
    }
}

/// A command being built, run, and checked, in the style of the `just` project's `Test`.
/// Expectations are checked by [`Cmd::run`], which returns the output for more checks.
#[must_use]
pub struct Cmd<'e> {
    env: &'e Env,
    program: OsString,
    args: Vec<OsString>,
    /// `None` removes the variable.
    vars: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    stdout: Option<String>,
    stdout_contains: Vec<String>,
    stderr_contains: Vec<String>,
}

impl Cmd<'_> {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Set a variable (after the scrubbed base environment and the [`Env::var`]s).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.vars
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.vars.push((key.as_ref().to_owned(), None));
        self
    }

    /// Instead of [`Env::work`].
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Feed this on stdin (else stdin is /dev/null).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// Expect this exit status.
    pub fn status(mut self, code: i32) -> Self {
        self.status = Some(code);
        self
    }

    /// Expect exactly this on stdout.
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Some(text.to_string());
        self
    }

    pub fn stdout_contains(mut self, text: &str) -> Self {
        self.stdout_contains.push(text.to_string());
        self
    }

    pub fn stderr_contains(mut self, text: &str) -> Self {
        self.stderr_contains.push(text.to_string());
        self
    }

    /// The command with its environment, not yet spawned and still in the caller's session:
    /// for rexpect, which gives it a session and a PTY of its own, or for stdio of one's own.
    pub fn command(&self) -> Command {
        let env = self.env;
        let mut c = Command::new(&self.program);
        c.args(&self.args)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", env.home())
            .env("XDG_CONFIG_HOME", env.config_dir())
            .env("XDG_DATA_HOME", env.data_dir())
            .env("NO_COLOR", "1")
            // gate takes the user from the uid, never from $USER (which anyone can set).
            .env("USER", "tester")
            .current_dir(self.cwd.clone().unwrap_or_else(|| env.work()));
        for (k, v) in &env.vars {
            c.env(k, v);
        }
        for (k, v) in &self.vars {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }

    /// The command in a session of its own, so it has no controlling terminal (/dev/tty cannot
    /// be opened), with stdout and stderr piped.
    fn detached(&self) -> Command {
        let mut c = self.command();
        // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            c.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        c.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c
    }

    /// Start it detached (see [`Cmd::run`]) and return at once; [`finish`] waits for it.
    /// Expectations belong to [`Cmd::run`].
    #[track_caller]
    pub fn spawn(self) -> Child {
        assert!(
            self.status.is_none()
                && self.stdout.is_none()
                && self.stdout_contains.is_empty()
                && self.stderr_contains.is_empty(),
            "expectations are checked by run(), not spawn()"
        );
        let mut child = self.detached().spawn().expect("spawn");
        if let Some(input) = self.stdin {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        child
    }

    /// Run it to the end, detached from any terminal, with stdin from [`Cmd::stdin`] (else
    /// /dev/null), and check what was expected.
    #[track_caller]
    pub fn run(self) -> Output {
        let mut child = self.detached().spawn().expect("spawn");
        let writer = self.stdin.clone().map(|input| {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            })
        });
        let out = Output::from(child.wait_with_output().expect("wait"));
        if let Some(writer) = writer {
            writer.join().unwrap();
        }
        let what = || {
            format!(
                "{} {:?}\n--- status {}\n--- stdout\n{}\n--- stderr\n{}",
                self.program.to_string_lossy(),
                self.args,
                out.code,
                out.stdout,
                out.stderr
            )
        };
        if let Some(want) = self.status {
            assert_eq!(out.code, want, "exit status: {}", what());
        }
        if let Some(want) = &self.stdout {
            assert_eq!(&out.stdout, want, "stdout: {}", what());
        }
        for want in &self.stdout_contains {
            assert!(
                out.stdout.contains(want),
                "stdout lacks {want:?}: {}",
                what()
            );
        }
        for want in &self.stderr_contains {
            assert!(
                out.stderr.contains(want),
                "stderr lacks {want:?}: {}",
                what()
            );
        }
        out
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    /// The exit status as a shell's `$?` gives it: 128+N when signal N ended it (gate ends by
    /// the signal that ended its command); `status` tells which.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

impl From<std::process::Output> for Output {
    fn from(o: std::process::Output) -> Self {
        Output {
            status: o.status,
            code: {
                use std::os::unix::process::ExitStatusExt;
                o.status
                    .code()
                    .or_else(|| o.status.signal().map(|s| 128 + s))
                    .unwrap_or(-1)
            },
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            stdout_bytes: o.stdout,
        }
    }
}

impl Output {
    /// stdout as one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}{}", self.stdout, self.stderr))
    }

    /// stdout as one JSON document a line.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

/// Wait for a [`Cmd::spawn`]ed command.
pub fn finish(child: Child) -> Output {
    Output::from(child.wait_with_output().expect("wait"))
}

/// The kinds of the events of a request (from `gate show --json`), in order.
pub fn kinds(show: &Value) -> Vec<String> {
    show["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The data of the events of a request (from `gate show --json`) of one kind.
pub fn events<'a>(show: &'a Value, kind: &str) -> Vec<&'a Value> {
    show["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| &e["data"])
        .collect()
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

/// Write an executable file (mode 755), making its directory.
pub fn write_exec(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
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
