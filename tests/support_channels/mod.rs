//! Test support: a temp home per test, the real `gate` binary, fake Slack and webhook servers.
#![allow(dead_code)]

pub mod http;
#[path = "../support/runner.rs"]
pub mod runner;
pub mod slack;

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test, copied once per test process: with a target directory shared by
/// several checkouts, `target/debug/gate` can be replaced by another checkout's build mid-run.
pub fn gate() -> &'static std::path::Path {
    static COPY: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &COPY
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("gate");
            let bin = std::env::var("GATE_TEST_BIN")
                .unwrap_or_else(|_| env!("CARGO_BIN_EXE_gate").to_string());
            std::fs::copy(bin, &path).expect("copy the gate binary");
            (dir, path)
        })
        .1
}

/// A fresh HOME / XDG_* and policy file per test, so tests run in parallel.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new(policy: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
        Env {
            dir,
            vars: Vec::new(),
        }
    }

    pub fn var(mut self, k: &str, v: &str) -> Self {
        self.vars.push((k.into(), v.into()));
        self
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `gate ARGS` with a clean environment (no agent markers, no CI, no terminal: it runs in
    /// its own session, so /dev/tty cannot be opened).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.base(args);
        // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The same without a new session (for rexpect, which makes its own with a PTY).
    pub fn base(&self, args: &[&str]) -> Command {
        let home = self.home();
        let mut cmd = Command::new(gate());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("GATE_POLICY", self.dir.path().join("policy.toml"))
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        output(self.cmd(args))
    }

    pub fn show(&self, id: &str) -> Value {
        let out = self.run(&["show", id, "--json"]);
        assert_eq!(out.code, 0, "gate show: {}", out.stderr);
        serde_json::from_str(&out.stdout).expect("show --json")
    }

    /// The newest request in the ledger.
    pub fn last(&self) -> Value {
        let out = self.run(&["log", "-n", "1", "--json"]);
        assert_eq!(out.code, 0, "gate log: {}", out.stderr);
        let rec: Value = serde_json::from_str(out.stdout.lines().next().expect("a request"))
            .expect("log --json");
        self.show(rec["id"].as_str().unwrap())
    }

    /// Wait until a request waits for a local approval; its id.
    pub fn wait_pending(&self) -> String {
        let end = Instant::now() + Duration::from_secs(8);
        while Instant::now() < end {
            let out = self.run(&["pending", "--json"]);
            if let Some(line) = out.stdout.lines().next() {
                let v: Value = serde_json::from_str(line).unwrap();
                return v["id"].as_str().unwrap().to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no request became pending");
    }
}

pub fn output(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run gate");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The ledger events of a request (from `gate show --json`) of one kind.
pub fn events<'a>(show: &'a Value, kind: &str) -> Vec<&'a Value> {
    show["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| &e["data"])
        .collect()
}
