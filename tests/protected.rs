//! The protected install (issue 16), for real: the gate binary setgid `gate` in a root-owned
//! tree, its ledger made by `gate protected-setup`, and two unprivileged users made with
//! `useradd` running it through `setpriv`. Needs root (CI runs as root); elsewhere each test
//! says it is skipped.
//!
//! Every attack an unprivileged user can make on the ledger, its key, its intake or
//! checkpoints, or the system policy must fail with EACCES and leave `gate verify` intact;
//! another user approves; nobody approves their own; the command runs with the caller's own
//! groups and environment; nothing from the environment redirects what gate writes; and a
//! broken install is refused with exit 74 and the fix.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::gate_bin;

const ALICE: &str = "gatetest-alice";
const BOB: &str = "gatetest-bob";
const GROUP: &str = "gate";

/// Why these tests cannot run here, if they cannot.
fn unable() -> Option<String> {
    if !nix::unistd::getuid().is_root() {
        return Some("not root".into());
    }
    for tool in [
        "/usr/sbin/useradd",
        "/usr/sbin/groupadd",
        "/usr/bin/setpriv",
    ] {
        if !Path::new(tool).exists() {
            return Some(format!("{tool} is missing"));
        }
    }
    // The users and the group, made once for the whole file.
    static MADE: OnceLock<Result<(), String>> = OnceLock::new();
    MADE.get_or_init(|| {
        let run = |args: &[&str]| {
            let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        if !group_exists(GROUP) {
            run(&["/usr/sbin/groupadd", "--system", GROUP])?;
        }
        for user in [ALICE, BOB] {
            if nix::unistd::User::from_name(user).ok().flatten().is_none() {
                run(&["/usr/sbin/useradd", "--create-home", user])?;
            }
        }
        Ok(())
    })
    .clone()
    .err()
}

fn group_exists(name: &str) -> bool {
    nix::unistd::Group::from_name(name).ok().flatten().is_some()
}

macro_rules! needs_root {
    ($name:expr) => {
        if let Some(why) = unable() {
            eprintln!(
                "skipped {}: {why} (the protected install's tests run as root, as in CI)",
                $name
            );
            return;
        }
    };
}

/// One protected install in a temporary root: `ROOT/usr/bin/gate` (setgid gate),
/// `ROOT/usr/lib/gate/protected.toml`, `ROOT/etc/gate/policy.toml`, `ROOT/var/lib/gate`.
struct Install {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

const POLICY: &str = r#"
packs = ["all"]

[defaults]
decision = "allow"
channels = ["local"]
timeout = "60s"

[approvers]
sre = ["gatetest-alice"]

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
approvers = ["sre"]
message = "Touching files needs someone from sre."
"#;

impl Install {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("gate-protected-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        for d in ["usr/bin", "usr/lib/gate", "etc/gate", "var/lib"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for d in [
            "usr",
            "usr/bin",
            "usr/lib",
            "usr/lib/gate",
            "etc",
            "etc/gate",
            "var",
            "var/lib",
        ] {
            std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let bin = root.join("usr/bin/gate");
        std::fs::copy(gate_bin(), &bin).unwrap();
        let gid = nix::unistd::Group::from_name(GROUP).unwrap().unwrap().gid;
        std::os::unix::fs::chown(&bin, Some(0), Some(gid.as_raw())).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o2755)).unwrap();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        };
        write(
            "usr/lib/gate/protected.toml",
            &format!(
                "state_dir = \"{}\"\nconf_dir = \"{}\"\n",
                root.join("var/lib/gate").display(),
                root.join("etc/gate").display()
            ),
        );
        write("etc/gate/policy.toml", POLICY);
        let setup = run(Command::new(&bin).arg("protected-setup"));
        assert!(
            setup.status.success(),
            "protected-setup: {}",
            String::from_utf8_lossy(&setup.stderr)
        );
        Install { _dir: dir, root }
    }

    fn bin(&self) -> PathBuf {
        self.root.join("usr/bin/gate")
    }
    fn state(&self) -> PathBuf {
        self.root.join("var/lib/gate")
    }
    fn ledger(&self) -> PathBuf {
        self.state().join("ledger.db")
    }

    /// `gate ARGS` as `user` (real and effective ids, that user's groups), with `env` added to
    /// a plain environment, in /tmp.
    fn as_user(&self, user: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        run(&mut self.command_as(user, &self.bin().display().to_string(), args, env))
    }

    /// Any program as `user`.
    fn command_as(
        &self,
        user: &str,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Command {
        let home = format!("/home/{user}");
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid", user, "--regid", user, "--init-groups", "--"])
            .arg(program)
            .args(args)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("USER", user)
            .env("CI", "true")
            .current_dir("/tmp")
            .stdin(Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// `gate ARGS` as root.
    fn as_root(&self, args: &[&str]) -> Output {
        run(Command::new(self.bin())
            .args(args)
            .env("CI", "true")
            .current_dir("/tmp")
            .stdin(Stdio::null()))
    }

    fn log(&self) -> Vec<Value> {
        let out = self.as_root(&["log", "--json", "-n", "1000"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn verify_ok(&self) -> Value {
        let out = self.as_root(&["verify", "--json"]);
        let v: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap_or(Value::Null);
        assert!(
            out.status.success(),
            "verify failed: {v} {}",
            text(&out.stderr)
        );
        v
    }
}

/// Run `c`; a binary just copied may be briefly busy (another test's fork still holding the
/// copy's file descriptor until it execs): tried again then.
fn run(c: &mut Command) -> Output {
    for _ in 0..50 {
        match c.output() {
            Err(e) if e.raw_os_error() == Some(nix::libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            other => return other.unwrap(),
        }
    }
    panic!("{c:?} stayed busy")
}

/// Until `bin` can be executed (see [`run`]).
fn wait_not_busy(bin: &Path) {
    run(Command::new(bin).arg("--version"));
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout {}\nstderr {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn requests_land_in_the_shared_ledger_whatever_the_environment_says() {
    needs_root!("requests_land_in_the_shared_ledger_whatever_the_environment_says");
    let i = Install::new();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::set_permissions(elsewhere.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let x = elsewhere.path().join("x.db");
    let out = i.as_user(
        BOB,
        &["--", "true"],
        &[
            ("GATE_LEDGER", x.to_str().unwrap()),
            ("XDG_DATA_HOME", elsewhere.path().to_str().unwrap()),
        ],
    );
    ok(&out);
    let out = i.as_user(ALICE, &["--", "echo", "from alice"], &[]);
    assert_eq!(ok(&out), "from alice\n");
    assert!(!x.exists(), "GATE_LEDGER redirected the setgid gate");
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "the setgid gate wrote under XDG_DATA_HOME"
    );
    let log = i.log();
    let who: Vec<&str> = log
        .iter()
        .map(|r| r["requester"]["user"].as_str().unwrap())
        .collect();
    assert_eq!(who, [ALICE, BOB], "{log:?}");
    // The requester is the real uid, not $USER.
    let out = i.as_user(BOB, &["--", "true"], &[("USER", ALICE), ("LOGNAME", ALICE)]);
    ok(&out);
    assert_eq!(i.log()[0]["requester"]["user"], BOB);
    i.verify_ok();
    // Nothing in the directory belongs to a user: gate created no file there.
    for e in std::fs::read_dir(i.state()).unwrap() {
        let e = e.unwrap();
        assert_eq!(
            e.metadata().unwrap().uid(),
            0,
            "{:?} is not root's",
            e.path()
        );
    }
}

#[test]
fn the_command_runs_with_the_callers_groups_and_environment() {
    needs_root!("the_command_runs_with_the_callers_groups_and_environment");
    let i = Install::new();
    let bob = nix::unistd::User::from_name(BOB).unwrap().unwrap();
    let out = i.as_user(
        BOB,
        &[
            "--",
            "sh",
            "-c",
            "grep '^Gid:' /proc/self/status; id -G; echo \"[$LD_LIBRARY_PATH] [$TMPDIR] [$GCONV_PATH]\"",
        ],
        &[
            ("LD_LIBRARY_PATH", "/opt/lib"),
            ("TMPDIR", "/tmp/bobs"),
            ("GCONV_PATH", "/opt/gconv"),
        ],
    );
    let shown = ok(&out);
    let g = bob.gid.as_raw();
    assert!(
        shown.contains(&format!("Gid:\t{g}\t{g}\t{g}\t{g}")),
        "the command did not run with bob's group only: {shown}"
    );
    let gate_gid = nix::unistd::Group::from_name(GROUP)
        .unwrap()
        .unwrap()
        .gid
        .as_raw();
    let groups: Vec<u32> = shown
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .map(|g| g.parse().unwrap())
        .collect();
    assert!(
        !groups.contains(&gate_gid),
        "the command has the gate group: {shown}"
    );
    // Exactly the environment bob gave gate, including what the C library drops from a setgid
    // program's own environment.
    assert!(
        shown.contains("[/opt/lib] [/tmp/bobs] [/opt/gconv]"),
        "{shown}"
    );
}

#[test]
fn every_attack_on_the_ledger_files_and_the_policy_fails_and_verify_stays_intact() {
    needs_root!("every_attack_on_the_ledger_files_and_the_policy_fails_and_verify_stays_intact");
    let i = Install::new();
    for n in 0..3 {
        ok(&i.as_user(BOB, &["--", "echo", &n.to_string()], &[]));
    }
    let before = i.log().len();
    let state = i.state().display().to_string();
    let policy = i.root.join("etc/gate/policy.toml").display().to_string();
    let ledger = i.ledger().display().to_string();
    let attacks: Vec<(String, String)> = vec![
        ("delete the ledger".into(), format!("rm -f {ledger}")),
        ("truncate the ledger".into(), format!(": > {ledger}")),
        ("append to the ledger".into(), format!("echo x >> {ledger}")),
        ("edit the WAL".into(), format!("echo x >> {ledger}-wal")),
        ("read the key".into(), format!("cat {ledger}.key")),
        ("replace the key".into(), format!("echo k > {ledger}.key")),
        (
            "rewrite the intake".into(),
            format!("echo forged > {ledger}.intake"),
        ),
        (
            "drop the checkpoints".into(),
            format!(": > {ledger}.checkpoints"),
        ),
        (
            "replace the ledger by a link".into(),
            format!("ln -sf /tmp/x {ledger}"),
        ),
        (
            "move the ledger away".into(),
            format!("mv {ledger} /tmp/stolen"),
        ),
        (
            "plant a file".into(),
            format!("touch {state}/ledger.db-journal"),
        ),
        ("open the directory".into(), format!("chmod 0777 {state}")),
        ("list the directory".into(), format!("ls {state}")),
        (
            "edit the system policy".into(),
            format!("echo '[defaults]' >> {policy}"),
        ),
        (
            "replace the system policy".into(),
            format!("mv {policy} {policy}.old"),
        ),
        (
            "chmod the binary".into(),
            format!("chmod 0755 {}", i.bin().display()),
        ),
    ];
    for (what, line) in &attacks {
        let out = i
            .command_as(BOB, "/bin/sh", &["-c", line], &[])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "bob could {what}: `{line}` succeeded"
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("Permission denied") || err.contains("Operation not permitted"),
            "{what}: `{line}` failed for another reason: {err}"
        );
    }
    // Through gate itself, with the guarded commands an agent would try.
    let through_gate = [
        format!("rm -f {ledger}"),
        format!("sqlite3 {ledger} 'DELETE FROM events'"),
    ];
    for line in &through_gate {
        let out = i.as_user(BOB, &["--", "sh", "-c", line], &[]);
        assert!(!out.status.success(), "`{line}` through gate succeeded");
    }
    // gate reads what the caller names with the caller's rights, not its group's: the key
    // cannot be had through it.
    let key = format!("{ledger}.key");
    for args in [
        vec!["--policy", key.as_str(), "--", "true"],
        vec!["rules", "lint", key.as_str()],
        vec!["check", "--policy", key.as_str(), "--", "true"],
    ] {
        let out = i.as_user(BOB, &args, &[]);
        assert!(!out.status.success(), "gate {args:?} as bob succeeded");
        let err = text(&out.stderr);
        assert!(err.contains("ermission denied"), "gate {args:?}: {err}");
    }
    let v = i.verify_ok();
    assert_eq!(v["ok"], true, "{v}");
    let after = i.log();
    assert!(
        after.len() >= before + through_gate.len(),
        "events went missing"
    );
    let mut seen = std::collections::HashSet::new();
    for r in &after {
        assert!(seen.insert(r["id"].as_str().unwrap().to_string()));
    }
}

/// Start `gate --as AGENT -- touch FILE` as bob (its request waits on `local`), and return the
/// child and the request id once it waits.
fn waiting_request(i: &Install, file: &Path) -> (std::process::Child, String) {
    wait_not_busy(&i.bin());
    let child = i
        .command_as(
            BOB,
            &i.bin().display().to_string(),
            &["--as", "bobs-agent", "--", "touch", file.to_str().unwrap()],
            &[],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = child.unwrap_or_else(|e| panic!("{e}"));
    let end = Instant::now() + Duration::from_secs(20);
    let id = loop {
        let out = i.as_user(ALICE, &["pending", "--json"], &[]);
        let line = text(&out.stdout);
        if let Some(first) = line.lines().next() {
            let v: Value = serde_json::from_str(first).unwrap();
            break Some(v["id"].as_str().unwrap().to_string());
        }
        if Instant::now() >= end {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    match id {
        Some(id) => (child, id),
        None => {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("the request never waited: {}", text(&out.stderr));
        }
    }
}

/// `gate approve ID` typed by `user` at a terminal of their own (a real pty).
fn approve_at_a_terminal(i: &Install, user: &str, id: &str) -> (i32, String) {
    wait_not_busy(&i.bin());
    let c = i.command_as(user, &i.bin().display().to_string(), &["approve", id], &[]);
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).unwrap();
    let out = p.exp_eof().unwrap_or_default();
    let code = match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, c) => c,
        other => panic!("{other:?}"),
    };
    (code, out)
}

#[test]
fn another_user_approves_and_nobody_approves_their_own() {
    needs_root!("another_user_approves_and_nobody_approves_their_own");
    let i = Install::new();
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let file = work.path().join("approved");
    let (child, id) = waiting_request(&i, &file);
    // Bob cannot reach into his own waiting gate (it is not dumpable: no ptrace, no /proc).
    let pid = child.id().to_string();
    for line in [
        format!("cat /proc/{pid}/environ"),
        format!("head -c1 /proc/{pid}/mem"),
        format!("ls /proc/{pid}/fd"),
    ] {
        let out = run(&mut i.command_as(BOB, "/bin/sh", &["-c", &line], &[]));
        assert!(!out.status.success(), "bob could `{line}`");
    }
    // Bob sees nothing to approve (it is his own agent's), and cannot approve it.
    let mine = i.as_user(BOB, &["pending", "--json"], &[]);
    assert_eq!(
        text(&mine.stdout).trim(),
        "",
        "bob was offered his own request"
    );
    let (code, said) = approve_at_a_terminal(&i, BOB, &id);
    assert_eq!(code, 77, "{said}");
    assert!(said.contains("another user must"), "{said}");
    assert!(!file.exists());
    // Alice, of sre, approves it from her own terminal; it runs as bob.
    let (code, said) = approve_at_a_terminal(&i, ALICE, &id);
    assert_eq!(code, 0, "{said}");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bob = nix::unistd::User::from_name(BOB).unwrap().unwrap();
    let m = std::fs::metadata(&file).expect("the approved command did not run");
    assert_eq!(m.uid(), bob.uid.as_raw());
    assert_eq!(
        m.gid(),
        bob.gid.as_raw(),
        "the file was made with the gate group"
    );
    let show = i.as_root(&["show", &id, "--json"]);
    let v: Value = serde_json::from_str(text(&show.stdout).trim()).unwrap();
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"finished"), "{kinds:?}");
    let votes: Vec<&Value> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "local_vote")
        .collect();
    assert!(
        votes[0]["data"]["refused"].is_string(),
        "bob's vote was not refused: {votes:?}"
    );
    assert_eq!(votes[1]["data"]["approver"], ALICE);
    i.verify_ok();
}

#[test]
fn a_user_sees_their_own_requests_and_verify_is_open_to_all() {
    needs_root!("a_user_sees_their_own_requests_and_verify_is_open_to_all");
    let i = Install::new();
    ok(&i.as_user(ALICE, &["--", "echo", "alice's secret work"], &[]));
    ok(&i.as_user(BOB, &["--", "echo", "bob's"], &[]));
    let alices_id = i
        .log()
        .iter()
        .find(|r| r["requester"]["user"] == ALICE)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bobs = ok(&i.as_user(BOB, &["log", "--json"], &[]));
    assert!(!bobs.contains("alice's secret work"), "{bobs}");
    assert_eq!(bobs.lines().count(), 1, "{bobs}");
    let export = ok(&i.as_user(BOB, &["export"], &[]));
    assert!(!export.contains("alice's secret work"), "{export}");
    let show = i.as_user(BOB, &["show", &alices_id], &[]);
    assert!(!show.status.success());
    assert!(
        text(&show.stderr).contains("not yours to see"),
        "{}",
        text(&show.stderr)
    );
    assert!(!text(&show.stdout).contains("secret"));
    // verify reveals only hashes and counts, and anyone may run it.
    let v = ok(&i.as_user(BOB, &["verify"], &[]));
    assert!(!v.contains("secret"), "{v}");
    // Root sees everything.
    assert_eq!(i.log().len(), 2);
}

#[test]
fn a_broken_install_is_refused_with_74_and_the_fix() {
    needs_root!("a_broken_install_is_refused_with_74_and_the_fix");
    let i = Install::new();
    let marker = tempfile::tempdir().unwrap();
    std::fs::set_permissions(marker.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let ran = marker.path().join("ran");
    let attempt = |want: &str| {
        let out = i.as_user(BOB, &["--", "cp", "/dev/null", ran.to_str().unwrap()], &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(74), "{err}");
        assert!(err.contains(want), "the message lacks {want:?}: {err}");
        assert!(!ran.exists(), "the command ran unrecorded");
    };
    let set_mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    // The directory open to everyone.
    set_mode(&i.state(), 0o2777);
    attempt("sudo chmod 2770");
    set_mode(&i.state(), 0o2770);
    // A ledger file with the wrong mode.
    set_mode(&i.ledger(), 0o666);
    attempt("sudo chmod 0660");
    set_mode(&i.ledger(), 0o660);
    // The ledger replaced by a symbolic link.
    let moved = i.state().join("moved.db");
    std::fs::rename(i.ledger(), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, i.ledger()).unwrap();
    attempt("not a regular file");
    std::fs::remove_file(i.ledger()).unwrap();
    std::fs::rename(&moved, i.ledger()).unwrap();
    // A file owned by a user.
    let bob = nix::unistd::User::from_name(BOB).unwrap().unwrap();
    std::os::unix::fs::chown(
        i.ledger().with_extension("db.intake"),
        Some(bob.uid.as_raw()),
        None,
    )
    .unwrap();
    attempt("sudo chown root:gate");
    let gid = nix::unistd::Group::from_name(GROUP)
        .unwrap()
        .unwrap()
        .gid
        .as_raw();
    std::os::unix::fs::chown(i.ledger().with_extension("db.intake"), Some(0), Some(gid)).unwrap();
    // The binary without its setgid bit.
    set_mode(&i.bin(), 0o755);
    attempt("setgid");
    set_mode(&i.bin(), 0o2755);
    // Repaired: it runs, and the ledger is whole.
    ok(&i.as_user(BOB, &["--", "cp", "/dev/null", ran.to_str().unwrap()], &[]));
    assert!(ran.exists());
    i.verify_ok();
}

#[test]
fn an_agents_hook_records_in_the_shared_ledger_and_denies_an_attack_on_it() {
    needs_root!("an_agents_hook_records_in_the_shared_ledger_and_denies_an_attack_on_it");
    let i = Install::new();
    let hook = |command: &str, id: &str| {
        let mut c = i.command_as(
            BOB,
            &i.bin().display().to_string(),
            &["hook", "claude-code"],
            &[],
        );
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        wait_not_busy(&i.bin());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(support::pre_tool_use(command, id).as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let answer: Option<Value> = serde_json::from_slice(&out.stdout).ok();
        (out.status.code(), answer)
    };
    let (code, answer) = hook("git status", "t1");
    assert_eq!(code, Some(0));
    // Allowed is silence or an explicit allow.
    if let Some(a) = &answer {
        assert_ne!(a["hookSpecificOutput"]["permissionDecision"], "deny", "{a}");
    }
    let ledger = i.ledger().display().to_string();
    let (_, answer) = hook(&format!("rm -f {ledger}"), "t2");
    assert_eq!(support::decision(&answer), "deny", "{answer:?}");
    let log = i.log();
    let commands: Vec<String> = log.iter().map(|r| r["command"].to_string()).collect();
    assert!(
        commands.iter().any(|c| c.contains("git status")),
        "{commands:?}"
    );
    assert!(log.iter().all(|r| r["requester"]["user"] == BOB));
    i.verify_ok();
}
