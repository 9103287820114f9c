//! The core: running, denying, exit codes, policy errors, the ledger, JSON shapes.

mod support;

use support::*;

#[test]
fn runs_an_allowed_command_and_records_it() {
    let env = Env::new();
    let out = env.gate(&["--", "echo", "hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello\n");
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
    let kinds = env.event_kinds(r["id"].as_str().unwrap());
    assert_eq!(kinds, ["request", "decision", "started", "finished"]);
}

#[test]
fn the_command_status_passes_through() {
    let env = Env::new();
    assert_eq!(code(&env.gate(&["--", "false"])), 1);
    assert_eq!(code(&env.gate(&["run", "--", "true"])), 0);
    let script = env.work().join("exit7.sh");
    write_exec(&script, "#!/bin/sh\nexit 7\n");
    assert_eq!(code(&env.gate(&["--", script.to_str().unwrap()])), 7);
}

#[test]
fn stdin_and_stdout_belong_to_the_command() {
    use std::io::Write;
    let env = Env::new();
    let mut child = env
        .command()
        .args(["--", "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped through\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "piped through\n");
}

#[test]
fn not_found_is_127_and_not_executable_is_126() {
    let env = Env::new();
    let out = env.gate(&["--", "no-such-program-xyz"]);
    assert_eq!(code(&out), 127);
    assert!(
        stderr(&out).contains("no-such-program-xyz: command not found"),
        "{}",
        stderr(&out)
    );
    let file = env.work().join("plain.txt");
    std::fs::write(&file, "not a program").unwrap();
    let out = env.gate(&["--", file.to_str().unwrap()]);
    assert_eq!(code(&out), 126, "{}", stderr(&out));
    let log = env.log();
    assert!(log.iter().all(|r| r["status"] == "error"), "{log:?}");
}

#[test]
fn a_denied_command_never_runs_and_says_why() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("victim");
    std::fs::write(&target, "x").unwrap();
    let out = env.gate(&["--", "rm", target.to_str().unwrap()]);
    assert_eq!(code(&out), 77);
    assert!(target.exists(), "a denied command ran");
    let err = stderr(&out);
    assert!(err.contains("no-rm"), "{err}");
    assert!(err.contains("Use trash instead of rm."), "{err}");
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
    let out = env.gate(&["--json", "--", "rm", "x"]);
    assert_eq!(code(&out), 77);
    let first = stderr(&out).lines().next().unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&first).expect("first stderr line is JSON");
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rules"][0]["rule"], "no-rm");
    assert_eq!(v["rules"][0]["message"], "Use trash instead of rm.");
    let out = env.gate(&["--json", "--", "echo", "hi"]);
    assert_eq!(stdout(&out), "hi\n", "the JSON line must not go to stdout");
    let v: serde_json::Value = serde_json::from_str(stderr(&out).lines().next().unwrap()).unwrap();
    assert_eq!(v["decision"], "allow");
}

#[test]
fn usage_errors_are_64() {
    let env = Env::new();
    let out = env.gate(&["--"]);
    assert_eq!(code(&out), 64);
    assert!(stderr(&out).contains("nothing to run"), "{}", stderr(&out));
    assert_eq!(code(&env.gate(&[])), 64);
    assert_eq!(code(&env.gate(&["--bogus-flag", "--", "true"])), 64);
    assert_eq!(code(&env.gate(&["--timeout", "soon", "--", "true"])), 64);
}

#[test]
fn no_terminal_and_no_channel_is_69_and_nothing_runs() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("made");
    let out = env
        .command()
        .args(["--", "touch", target.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 69, "{}", stderr(&out));
    assert!(!target.exists());
    assert!(
        stderr(&out).contains("no approval channel"),
        "{}",
        stderr(&out)
    );
    // In CI gate never prompts, and says what to configure.
    let out = env
        .command()
        .env("CI", "true")
        .args(["--", "touch", target.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 69);
    assert!(
        stderr(&out).contains("[slack] or [webhook]"),
        "{}",
        stderr(&out)
    );
    let log = env.log();
    assert!(log.iter().all(|r| r["status"] == "error"), "{log:?}");
}

#[test]
fn check_decides_without_running() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    let target = env.work().join("t");
    let out = env.gate(&["check", "--", "touch", target.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(!target.exists());
    assert!(stdout(&out).contains("touch-asks"), "{}", stdout(&out));
    assert_eq!(code(&env.gate(&["check", "--", "rm", "x"])), 2);
    assert_eq!(code(&env.gate(&["check", "--", "ls"])), 0);
    let out = env.gate(&["check", "--json", "--", "rm", "-f", "x"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rules"][0]["rule"], "no-rm");
    assert_eq!(v["rules"][0]["message"], "Use trash instead of rm.");
    assert!(!env.ledger().exists(), "check must not write the ledger");
}

#[test]
fn shells_with_scripts_are_never_silently_allowed() {
    let env = Env::new();
    env.policy("[defaults]\ndecision = \"allow\"\nopaque = \"ask\"\n[[rule]]\nid = \"no-rm\"\ncommand = \"rm\"\ndecision = \"deny\"\n");
    let out = env.gate(&["check", "--", "bash", "-c", "rm -rf /tmp/x"]);
    assert_ne!(
        code(&out),
        0,
        "a shell script hiding rm must not be allowed: {}",
        stdout(&out)
    );
}

fn policy_error(text: &str) -> String {
    let env = Env::new();
    let path = env.policy(text);
    let out = env.gate(&["--", "true"]);
    assert_eq!(code(&out), 78, "expected 78 for {text:?}: {}", stderr(&out));
    assert!(!env.ledger().exists(), "nothing may run with a bad policy");
    stderr(&out).replace(path.to_str().unwrap(), "P")
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
    let out = env.gate(&["--policy", "/nonexistent/policy.toml", "--", "true"]);
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("/nonexistent/policy.toml:1:1: policy file not found"),
        "{}",
        stderr(&out)
    );
    let out = env
        .command()
        .env("GATE_POLICY", "/nonexistent/p.toml")
        .args(["--", "true"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 78);
}

#[test]
fn rules_lint_and_test_run_inline_tests() {
    let env = Env::new();
    let good = env.work().join("good.toml");
    std::fs::write(
        &good,
        "[[rule]]\nid = \"k\"\ncommand = \"kubectl delete\"\nunless = [\"--dry-run*\"]\ndecision = \"ask\"\ntests = { hit = [\"kubectl delete ns prod\", \"kubectl -n x delete pod y\"], miss = [\"kubectl get ns\", \"kubectl delete ns x --dry-run=client\"] }\n",
    )
    .unwrap();
    let out = env.gate(&["rules", "lint", good.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let out = env.gate(&["rules", "test", good.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains("4 passed, 0 failed"),
        "{}",
        stdout(&out)
    );
    let bad = env.work().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nid = \"k\"\ncommand = \"kubectl delete\"\ndecision = \"ask\"\ntests = { hit = [\"kubectl get ns\"] }\n").unwrap();
    let out = env.gate(&["rules", "lint", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("bad.toml:5:18: rule `k` should match `kubectl get ns`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        code(&env.gate(&["rules", "test", bad.to_str().unwrap()])),
        1
    );
}

#[test]
fn init_writes_the_default_policy_once() {
    let env = Env::new();
    let out = env.gate(&["init"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = env.path("config/gate/policy.toml");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[defaults]")
    );
    assert_eq!(
        code(&env.gate(&["init"])),
        64,
        "init must not overwrite without --force"
    );
    assert_eq!(code(&env.gate(&["init", "--force"])), 0);
    assert_eq!(code(&env.gate(&["rules", "lint"])), 0);
}

#[test]
fn the_ledger_is_private_wal_and_append_only() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    assert_eq!(code(&env.gate(&["--", "true"])), 0);
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
        assert_eq!(code(&env.gate(&["--", "true"])), 0);
    }
    let out = env.gate(&["verify", "--json"]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], true);
    // Three runs of four events; the second and third went through the intake, which adds its
    // marks (set up, then folded by verify).
    assert_eq!(v["events"], 14, "{v}");

    env.sql("DROP TRIGGER events_append_only_update; UPDATE events SET time = '2000-01-01T00:00:00.000Z' WHERE seq = 6;").unwrap();
    let out = env.gate(&["verify", "--json"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["seq"], 6, "{v}");

    let env = Env::new();
    for _ in 0..3 {
        env.gate(&["--", "true"]);
    }
    // What waits in the intake is chained by any reader.
    env.gate(&["log"]);
    env.sql("DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = 7;")
        .unwrap();
    let out = env.gate(&["verify"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("event #8"), "{}", stdout(&out));
}

#[test]
fn an_unwritable_ledger_is_74_and_nothing_runs() {
    let env = Env::new();
    let marker = env.work().join("ran");
    let out = env
        .command()
        .env("GATE_LEDGER", "/dev/null/ledger.db")
        .args(["--", "touch", marker.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 74, "{}", stderr(&out));
    assert!(!marker.exists());
    let junk = env.work().join("junk.db");
    std::fs::write(
        &junk,
        "this is not a database, just text that is long enough to have a header ......",
    )
    .unwrap();
    let out = env
        .command()
        .env("GATE_LEDGER", &junk)
        .args(["--", "touch", marker.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 74, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a SQLite database"),
        "{}",
        stderr(&out)
    );
    assert!(!marker.exists());
}

#[test]
fn parallel_writers_lose_nothing() {
    let env = Env::new();
    let procs = 8;
    let runs = 40;
    let handles: Vec<_> = (0..procs)
        .map(|_| {
            let cmd_env: Vec<(String, std::path::PathBuf)> = vec![
                ("HOME".into(), env.home()),
                ("XDG_CONFIG_HOME".into(), env.path("config")),
                ("XDG_DATA_HOME".into(), env.path("data")),
            ];
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for _ in 0..runs {
                    let out = std::process::Command::new(gate_bin())
                        .env_clear()
                        .env("PATH", "/usr/bin:/bin")
                        .envs(cmd_env.iter().map(|(k, v)| (k, v)))
                        .args(["--", "true"])
                        .output()
                        .unwrap();
                    if !out.status.success() {
                        failures.push(stderr(&out));
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} runs failed, e.g. {}",
        failures.len(),
        failures[0]
    );
    let log = env.log();
    assert_eq!(log.len(), procs * runs);
    assert!(log.iter().all(|r| r["status"] == "ran"));
    let out = env.gate(&["verify", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn show_accepts_a_prefix_and_log_reads_as_a_table() {
    let env = Env::new();
    env.gate(&["--", "echo", "one"]);
    let id = env.log()[0]["id"].as_str().unwrap().to_string();
    let out = env.gate(&["show", &id[..6]]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("echo one"));
    let out = env.gate(&["log"]);
    assert!(stdout(&out).contains("STATUS"));
    assert!(stdout(&out).contains(&id));
    assert_eq!(code(&env.gate(&["show", "zzzzzz"])), 1);
}

#[test]
fn version_and_help() {
    let env = Env::new();
    let out = env.gate(&["--version"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("gate "));
    let out = env.gate(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Examples:"));
}

#[test]
fn policy_wrappers_are_unwrapped() {
    let env = Env::new();
    env.policy(
        "[[wrapper]]\nprogram = \"with-creds\"\nvalue_options = [\"-p\"]\nskip_positionals = 1\n\n[[rule]]\nid = \"no-destroy\"\ncommand = \"terraform destroy\"\ndecision = \"deny\"\n",
    );
    let out = env.gate(&[
        "check",
        "--json",
        "--",
        "with-creds",
        "-p",
        "prod",
        "ACCOUNT",
        "terraform",
        "destroy",
    ]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["commands"][0]["via"][0], "with-creds");
    assert_eq!(
        code(&env.gate(&[
            "check",
            "--",
            "with-creds",
            "-p",
            "prod",
            "ACCOUNT",
            "terraform",
            "plan"
        ])),
        0
    );
}
