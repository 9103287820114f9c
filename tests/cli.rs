//! The core: running, denying, exit codes, policy errors, the ledger, JSON shapes.

mod support;

use support::*;

#[test]
fn runs_an_allowed_command_and_records_it() {
    let env = Env::new();
    env.gate()
        .args(["--", "echo", "hello"])
        .status(0)
        .stdout("hello\n")
        .run();
    let log = env.log();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    for key in [
        "id",
        "time",
        "requester",
        "cwd",
        "command",
        "decision",
        "rules",
        "approvals",
        "status",
        "exit_code",
        "signal",
        "duration_ms",
    ] {
        assert!(r.get(key).is_some(), "log --json lacks `{key}`: {r}");
    }
    assert_eq!(r["command"], serde_json::json!(["echo", "hello"]));
    assert_eq!(r["decision"], "allow");
    assert_eq!(r["status"], "ran");
    assert_eq!(r["exit_code"], 0);
    assert!(r["requester"]["user"].as_str().is_some());
    env.assert_last_event_kinds(&["request", "decision", "started", "finished"]);
}

#[test]
fn the_command_status_passes_through() {
    let env = Env::new();
    env.gate().args(["--", "false"]).status(1).run();
    env.gate().args(["run", "--", "true"]).status(0).run();
    let script = env.work().join("exit7.sh");
    write_exec(&script, "#!/bin/sh\nexit 7\n");
    env.gate().arg("--").arg(&script).status(7).run();
}

#[test]
fn stdin_and_stdout_belong_to_the_command() {
    let env = Env::new();
    env.gate()
        .args(["--", "cat"])
        .stdin("piped through\n")
        .stdout("piped through\n")
        .run();
}

#[test]
fn not_found_is_127_and_not_executable_is_126() {
    let env = Env::new();
    env.gate()
        .args(["--", "no-such-program-xyz"])
        .status(127)
        .stderr_contains("no-such-program-xyz: command not found")
        .run();
    let file = env.work().join("plain.txt");
    std::fs::write(&file, "not a program").unwrap();
    env.gate().arg("--").arg(&file).status(126).run();
    let log = env.log();
    assert!(log.iter().all(|r| r["status"] == "error"), "{log:?}");
}

#[test]
fn a_denied_command_never_runs_and_says_why() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("victim");
    std::fs::write(&target, "x").unwrap();
    let out = env
        .gate()
        .args(["--", "rm"])
        .arg(&target)
        .status(77)
        .stderr_contains("no-rm")
        .stderr_contains("Use trash instead of rm.")
        .run();
    assert!(target.exists(), "a denied command ran");
    let err = out.stderr;
    assert!(
        err.lines().count() <= 2,
        "denial should take one or two lines: {err}"
    );
    let log = env.log();
    assert_eq!(log[0]["status"], "denied");
    assert_eq!(log[0]["rules"][0]["rule"], "no-rm");
}

#[test]
fn json_prints_the_decision_on_stderr() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let out = env
        .gate()
        .args(["--json", "--", "rm", "x"])
        .status(77)
        .run();
    let first = out.stderr.lines().next().unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&first).expect("first stderr line is JSON");
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rules"][0]["rule"], "no-rm");
    assert_eq!(v["rules"][0]["message"], "Use trash instead of rm.");
    // The JSON line must not go to stdout.
    let out = env
        .gate()
        .args(["--json", "--", "echo", "hi"])
        .stdout("hi\n")
        .run();
    let v: serde_json::Value = serde_json::from_str(out.stderr.lines().next().unwrap()).unwrap();
    assert_eq!(v["decision"], "allow");
}

#[test]
fn usage_errors_are_64() {
    let env = Env::new();
    env.gate()
        .arg("--")
        .status(64)
        .stderr_contains("nothing to run")
        .run();
    env.gate().status(64).run();
    env.gate()
        .args(["--bogus-flag", "--", "true"])
        .status(64)
        .run();
    env.gate()
        .args(["--timeout", "soon", "--", "true"])
        .status(64)
        .run();
}

#[test]
fn no_terminal_and_no_channel_is_69_and_nothing_runs() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("made");
    env.gate()
        .args(["--", "touch"])
        .arg(&target)
        .status(69)
        .stderr_contains("no approval channel")
        .run();
    assert!(!target.exists());
    // In CI gate never prompts, and says what to configure.
    env.gate()
        .env("CI", "true")
        .args(["--", "touch"])
        .arg(&target)
        .status(69)
        .stderr_contains("[slack] or [webhook]")
        .run();
    let log = env.log();
    assert!(log.iter().all(|r| r["status"] == "error"), "{log:?}");
}

#[test]
fn check_decides_without_running() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("t");
    env.gate()
        .args(["check", "--", "touch"])
        .arg(&target)
        .status(1)
        .stdout_contains("touch-asks")
        .run();
    assert!(!target.exists());
    env.gate().args(["check", "--", "rm", "x"]).status(2).run();
    env.gate().args(["check", "--", "ls"]).status(0).run();
    let v = env
        .gate()
        .args(["check", "--json", "--", "rm", "-f", "x"])
        .run()
        .json();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rules"][0]["rule"], "no-rm");
    assert_eq!(v["rules"][0]["message"], "Use trash instead of rm.");
    assert!(!env.ledger().exists(), "check must not write the ledger");
}

#[test]
fn shells_with_scripts_are_never_silently_allowed() {
    let env = Env::new();
    env.policy("[defaults]\ndecision = \"allow\"\nopaque = \"ask\"\n[[rule]]\nid = \"no-rm\"\ncommand = \"rm\"\ndecision = \"deny\"\n");
    let out = env
        .gate()
        .args(["check", "--", "bash", "-c", "rm -rf /tmp/x"])
        .run();
    assert_ne!(
        out.code, 0,
        "a shell script hiding rm must not be allowed: {}",
        out.stdout
    );
}

fn policy_error(text: &str) -> String {
    let env = Env::new();
    let path = env.policy(text);
    let out = env.gate().args(["--", "true"]).status(78).run();
    assert!(!env.ledger().exists(), "nothing may run with a bad policy");
    out.stderr.replace(path.to_str().unwrap(), "P")
}

#[test]
fn policy_errors_name_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("[defaults\ndecision = \"allow\"\n", "P:1:"),
        ("[defaults]\nbogus = true\n", "P:2:1: unknown key `bogus`"),
        (
            "[defaults]\ndecision = \"maybe\"\n",
            "P:2:12: unknown decision `maybe`",
        ),
        (
            "[defaults]\ntimeout = \"soon\"\n",
            "P:2:11: bad duration `soon`",
        ),
        (
            "[[rule]]\nid = \"a\"\ncommand = \"rm [abc\"\ndecision = \"deny\"\n",
            "P:3:11: bad pattern",
        ),
        (
            "[[rule]]\nid = \"a\"\nregex = \"(unclosed\"\ndecision = \"deny\"\n",
            "P:3:9: bad regex",
        ),
        (
            "[[rule]]\nid = \"a\"\ncommand = \"ls\"\ndecision = \"ask\"\n[[rule]]\nid = \"a\"\ncommand = \"cat\"\ndecision = \"ask\"\n",
            "P:5:1: duplicate rule id `a`",
        ),
        (
            "[[rule]]\nid = \"a\"\ncommand = \"ls\"\ndecision = \"ask\"\napprovers = [\"sre\"]\n",
            "P:5:14: unknown approver group `sre`",
        ),
        (
            "[[rule]]\nid = \"a\"\ndecision = \"ask\"\n",
            "P:1:1: rule `a` needs `command` or `regex`",
        ),
        (
            "[[rule]]\nid = \"a\"\ncommand = \"ls\"\ndecision = \"ask\"\nrisk = \"huge\"\n",
            "P:5:8: unknown risk `huge`",
        ),
        (
            "[[rule]]\nid = \"a\"\ncommand = \"ls\"\ndecision = \"ask\"\nchannels = [\"pigeon\"]\n",
            "P:5:13: unknown channel `pigeon`",
        ),
        (
            "[defaults]\npacks = [\"nope\"]\n",
            "P:2:10: unknown pack `nope`",
        ),
        (
            "[defaults]\nchannels = [\"slack\"]\n",
            "P:2:12: channel `slack` is used but [slack] is not configured",
        ),
    ];
    for (text, want) in cases {
        let err = policy_error(text);
        assert!(
            err.contains(want),
            "policy {text:?}\nwant {want:?}\ngot {err}"
        );
    }
}

#[test]
fn several_problems_are_all_listed() {
    let err = policy_error("[defaults]\ndecision = \"maybe\"\nopaque = \"never\"\nextra = 1\n");
    assert!(err.contains("P:2:12"), "{err}");
    assert!(err.contains("P:3:10"), "{err}");
    assert!(err.contains("P:4:1"), "{err}");
}

#[test]
fn a_missing_policy_override_is_78() {
    let env = Env::new();
    env.gate()
        .args(["--policy", "/nonexistent/policy.toml", "--", "true"])
        .status(78)
        .stderr_contains("/nonexistent/policy.toml:1:1: policy file not found")
        .run();
    env.gate()
        .env("GATE_POLICY", "/nonexistent/p.toml")
        .args(["--", "true"])
        .status(78)
        .run();
}

#[test]
fn rules_lint_and_test_run_inline_tests() {
    let env = Env::new();
    let good = env.work().join("good.toml");
    std::fs::write(
        &good,
        // Only this file's rules: a policy without `packs` has every pack on, with its tests.
        "packs = []\n[[rule]]\nid = \"k\"\ncommand = \"kubectl delete\"\nunless = [\"--dry-run*\"]\ndecision = \"ask\"\ntests = { hit = [\"kubectl delete ns prod\", \"kubectl -n x delete pod y\"], miss = [\"kubectl get ns\", \"kubectl delete ns x --dry-run=client\"] }\n",
    )
    .unwrap();
    env.gate()
        .args(["rules", "lint"])
        .arg(&good)
        .status(0)
        .run();
    env.gate()
        .args(["rules", "test"])
        .arg(&good)
        .status(0)
        .stdout_contains("4 passed, 0 failed")
        .run();
    let bad = env.work().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nid = \"k\"\ncommand = \"kubectl delete\"\ndecision = \"ask\"\ntests = { hit = [\"kubectl get ns\"] }\n").unwrap();
    env.gate()
        .args(["rules", "lint"])
        .arg(&bad)
        .status(78)
        .stderr_contains("bad.toml:5:18: rule `k` should match `kubectl get ns`")
        .run();
    env.gate().args(["rules", "test"]).arg(&bad).status(1).run();
}

#[test]
fn init_writes_the_default_policy_once() {
    let env = Env::new();
    env.gate().arg("init").status(0).run();
    assert!(
        std::fs::read_to_string(env.policy_path())
            .unwrap()
            .contains("[defaults]")
    );
    // init must not overwrite without --force.
    env.gate().arg("init").status(64).run();
    env.gate().args(["init", "--force"]).status(0).run();
    env.gate().args(["rules", "lint"]).status(0).run();
}

#[test]
fn the_ledger_is_private_wal_and_append_only() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    let mode = std::fs::metadata(env.ledger())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    let jm: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(jm, "wal");
    let err = conn
        .execute("UPDATE events SET kind = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("DELETE FROM events", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn verify_names_the_first_changed_or_removed_event() {
    let env = Env::new();
    for _ in 0..3 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    let v = env.gate().args(["verify", "--json"]).status(0).run().json();
    assert_eq!(v["ok"], true);
    // Three runs of four events; the second and third went through the intake, which adds its
    // marks (set up, then folded by verify).
    assert_eq!(v["events"], 14, "{v}");

    env.sql("DROP TRIGGER events_append_only_update; UPDATE events SET time = '2000-01-01T00:00:00.000Z' WHERE seq = 6;").unwrap();
    let v = env.gate().args(["verify", "--json"]).status(1).run().json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["seq"], 6, "{v}");

    let env = Env::new();
    for _ in 0..3 {
        env.gate().args(["--", "true"]).run();
    }
    // What waits in the intake is chained by any reader.
    env.gate().arg("log").status(0).run();
    env.sql("DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = 7;")
        .unwrap();
    env.gate()
        .arg("verify")
        .status(1)
        .stdout_contains("event #8")
        .run();
}

#[test]
fn an_unwritable_ledger_is_74_and_nothing_runs() {
    let env = Env::new();
    let marker = env.work().join("ran");
    env.gate()
        .env("GATE_LEDGER", "/dev/null/ledger.db")
        .args(["--", "touch"])
        .arg(&marker)
        .status(74)
        .run();
    assert!(!marker.exists());
    let junk = env.work().join("junk.db");
    std::fs::write(
        &junk,
        "this is not a database, just text that is long enough to have a header ......",
    )
    .unwrap();
    env.gate()
        .env("GATE_LEDGER", &junk)
        .args(["--", "touch"])
        .arg(&marker)
        .status(74)
        .stderr_contains("not a SQLite database")
        .run();
    assert!(!marker.exists());
}

#[test]
fn parallel_writers_lose_nothing() {
    let env = Env::new();
    let procs = 8;
    let runs = 40;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..procs)
            .map(|_| {
                s.spawn(|| {
                    let mut failures = Vec::new();
                    for _ in 0..runs {
                        let out = env.gate().args(["--", "true"]).run();
                        if !out.status.success() {
                            failures.push(out.stderr);
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} runs failed, e.g. {}",
        failures.len(),
        failures[0]
    );
    let log = env.log();
    assert_eq!(log.len(), procs * runs);
    assert!(log.iter().all(|r| r["status"] == "ran"));
    env.gate().args(["verify", "--json"]).status(0).run();
}

#[test]
fn show_accepts_a_prefix_and_log_reads_as_a_table() {
    let env = Env::new();
    env.gate().args(["--", "echo", "one"]).run();
    let id = env.log()[0]["id"].as_str().unwrap().to_string();
    env.gate()
        .args(["show", &id[..6]])
        .status(0)
        .stdout_contains("echo one")
        .run();
    env.gate()
        .arg("log")
        .stdout_contains("STATUS")
        .stdout_contains(&id)
        .run();
    env.gate().args(["show", "zzzzzz"]).status(1).run();
}

#[test]
fn version_and_help() {
    let env = Env::new();
    let out = env.gate().arg("--version").status(0).run();
    assert!(out.stdout.starts_with("gate "));
    env.gate()
        .arg("--help")
        .status(0)
        .stdout_contains("Examples:")
        .run();
}

#[test]
fn policy_wrappers_are_unwrapped() {
    let env = Env::new();
    env.policy(
        "[[wrapper]]\nprogram = \"with-creds\"\nvalue_options = [\"-p\"]\nskip_positionals = 1\n\n[[rule]]\nid = \"no-destroy\"\ncommand = \"terraform destroy\"\ndecision = \"deny\"\n",
    );
    let v = env
        .gate()
        .args(["check", "--json", "--", "with-creds", "-p", "prod"])
        .args(["ACCOUNT", "terraform", "destroy"])
        .status(2)
        .run()
        .json();
    assert_eq!(v["commands"][0]["via"][0], "with-creds");
    env.gate()
        .args(["check", "--", "with-creds", "-p", "prod"])
        .args(["ACCOUNT", "terraform", "plan"])
        .status(0)
        .run();
}

/// A user policy that says nothing about packs keeps every pack on (issue 15): the README's
/// Slack walkthrough policy must not turn gate's protections off. `packs = []` does, on purpose.
#[test]
fn a_policy_without_packs_still_stops_rm_rf_root() {
    let env = Env::new();
    env.policy("[defaults]\nchannels = [\"local\"]\n");
    env.gate()
        .args(["check", "--", "rm", "-rf", "/"])
        .status(2)
        .stdout_contains("fs.rm-root")
        .run();
    // A control: ordinary work stays allowed.
    env.gate()
        .args(["check", "--", "ls", "-la"])
        .status(0)
        .run();
    // Saying so switches the packs off.
    env.policy("packs = []\n[defaults]\nchannels = [\"local\"]\n");
    env.gate()
        .args(["check", "--", "rm", "-rf", "/tmp/x"])
        .status(0)
        .run();
}

/// `gate log | head -1`: a reader that goes away ends gate quietly (as `cat` ends), never a
/// panic (issue 15).
#[test]
fn a_closed_pipe_ends_log_quietly() {
    use std::io::{BufRead, BufReader};
    let env = Env::new();
    // More than a pipe holds (64 KiB), so gate is still writing when the reader leaves.
    let long = "x".repeat(4096);
    for i in 0..30 {
        env.gate()
            .args(["--", "true", &format!("run {i}"), &long])
            .status(0)
            .run();
    }
    let mut cmd = env.gate().args(["log", "--json", "-n", "30"]).command();
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    drop(out);
    let done = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(!err.contains("panicked"), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert!(
        done.status.success() || done.status.signal() == Some(13),
        "{:?} {err}",
        done.status
    );
}

/// Before anything has run there is nothing to show, which is no error (issue 15): the readers
/// say so and exit 0; `--json` and exports stay empty (CSV: its header).
#[test]
fn readers_on_a_ledger_that_does_not_exist_yet_succeed_with_nothing() {
    let env = Env::new();
    let out = env
        .gate()
        .args(["log"])
        .status(0)
        .stderr_contains("nothing has run through gate")
        .run();
    assert_eq!(out.stdout, "");
    env.gate()
        .args(["log", "--json"])
        .status(0)
        .stdout("")
        .run();
    env.gate()
        .args(["verify"])
        .status(0)
        .stdout_contains("nothing to verify")
        .run();
    let v = env.gate().args(["verify", "--json"]).status(0).run().json();
    assert_eq!(
        (v["ok"].clone(), v["events"].clone()),
        (serde_json::json!(true), serde_json::json!(0))
    );
    let csv = env
        .gate()
        .args(["export", "--format", "csv"])
        .status(0)
        .run();
    assert_eq!(csv.stdout.lines().count(), 1, "{}", csv.stdout);
    assert!(csv.stdout.starts_with("id,time,"), "{}", csv.stdout);
    // Nothing was created by reading.
    assert!(!env.ledger().exists());
}

/// A mistyped subcommand gets a suggestion, a bare program the way to run it, an empty
/// command a message that says so (issue 15).
#[test]
fn mistakes_on_the_command_line_say_what_was_meant() {
    let env = Env::new();
    env.gate()
        .arg("lgo")
        .status(64)
        .stderr_contains("did you mean `gate log`?")
        .run();
    env.gate()
        .arg("chek")
        .status(64)
        .stderr_contains("did you mean `gate check`?")
        .run();
    env.gate()
        .args(["kubectl", "get", "pods"])
        .status(64)
        .stderr_contains("gate -- kubectl get pods")
        .run();
    let out = env.gate().args(["--", ""]).status(64).run();
    assert!(out.stderr.contains("empty word"), "{}", out.stderr);
    // A control: a real subcommand with a bad option keeps clap's own message.
    env.gate()
        .args(["log", "--bogus"])
        .status(64)
        .stderr_contains("--bogus")
        .run();
}

/// A command carrying terminal control characters cannot redraw what a person reads: the
/// denial, `gate log` and `gate show` print them escaped; the ledger keeps them as they were
/// (issue 15).
#[test]
fn control_characters_are_shown_escaped_never_raw() {
    let env = Env::new();
    let script = "rm -rf / #\r\x1b[2K  command   git status\u{202e}";
    let out = env.gate().args(["--", "sh", "-c", script]).status(77).run();
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    assert!(!out.stderr.contains('\r'), "{:?}", out.stderr);
    assert!(out.stderr.contains("\\x1b[2K"), "{:?}", out.stderr);
    assert!(out.stderr.contains("\\u202e"), "{:?}", out.stderr);
    let log = env.gate().args(["log"]).status(0).run();
    assert!(
        !log.stdout.contains('\x1b') && !log.stdout.contains('\r'),
        "{:?}",
        log.stdout
    );
    let id = env.log()[0]["id"].as_str().unwrap().to_string();
    let show = env.gate().args(["show", &id]).status(0).run();
    assert!(
        !show.stdout.contains('\x1b') && !show.stdout.contains('\r'),
        "{:?}",
        show.stdout
    );
    // Recorded exactly.
    assert_eq!(env.log()[0]["command"][2], script);
}

/// The `--json` decision line goes to stderr, which an agent's model or a CI log reads: the
/// analysed argv is masked there as in the ledger.
#[test]
fn the_run_json_line_masks_secrets() {
    let env = Env::new();
    let out = env
        .gate()
        .args([
            "--json",
            "--",
            "sh",
            "-c",
            "exit 0",
            "sh",
            "--password=hunter2",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ])
        .status(0)
        .run();
    let line = out.stderr.lines().next().unwrap_or_default();
    assert!(line.contains("\"schema\":\"gate.run/1\""), "{line}");
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("6912E7710c838347Ae178B4a"),
        "{}",
        out.stderr
    );
    assert!(line.contains("--password=***"), "{line}");
}
