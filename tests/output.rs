//! What gate shows a person: `--help`, `gate log` and `gate show` (insta snapshots under
//! tests/snapshots), colour decided per stream, one error style, `--channel` checked, and
//! `log` kept to one line per row whatever the width or the command.
//!
//! The snapshots are made deterministic by pinning, in the ledger file, what changes from run
//! to run (see [`pin`]): request ids, times, pids, the requester, cwd and policy path. Reading
//! does not check the hash chain, so the pinned ledger reads as any other. TZ and COLUMNS are
//! set on every command that prints times or a table.
//!
//! Update the snapshots with `cargo insta review` (or `INSTA_UPDATE=always cargo test --test
//! output`) and commit them.

mod support;

use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use support::http::{self, HttpRequest, HttpResponse};
use support::*;

/// When the first pinned request was made: every pinned time is this plus a fixed step, long
/// enough ago that `log` shows dates, not ages.
const PINNED: &str = "2026-03-14T09:26:00Z";

/// The policy's digest, pinned: the policy names the webhook's port, which changes every run.
const PINNED_DIGEST: &str = "5e1f3c0d9a8b7e6f5e1f3c0d9a8b7e6f5e1f3c0d9a8b7e6f5e1f3c0d9a8b7e6f";

/// Give every request and event of the ledger fixed values: request N (oldest first) is
/// `req000000N`, made at [`PINNED`] + N hours, its events 250 ms apart; the requester is
/// alice on build-01 in /srv/app, deciding by [`PINNED_DIGEST`]; pids are 4242, a finished command took 1234 ms, an approval
/// request expires 5 s after it was made.
fn pin(env: &Env) {
    // Readers chain what waits in the hook's intake; after that everything is in the table.
    env.gate().args(["log", "--json"]).status(0).run();
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS events_append_only_update;")
        .unwrap();
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, request FROM events WHERE request != '' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let base = humantime::parse_rfc3339(PINNED).unwrap();
    let mut requests: Vec<(String, u32)> = Vec::new();
    for (seq, request) in rows {
        let i = match requests.iter().position(|(r, _)| *r == request) {
            Some(i) => i,
            None => {
                requests.push((request, 0));
                requests.len() - 1
            }
        };
        let j = requests[i].1;
        requests[i].1 += 1;
        let t =
            base + Duration::from_secs(3600 * i as u64) + Duration::from_millis(250 * u64::from(j));
        let expires = t + Duration::from_secs(5);
        let stamp = |t: SystemTime| humantime::format_rfc3339_millis(t).to_string();
        conn.execute(
            "UPDATE events SET request = ?1, time = ?2,
               data = CASE kind
                 WHEN 'request' THEN json_set(data, '$.requester.user', 'alice',
                   '$.requester.uid', 1000, '$.requester.host', 'build-01', '$.cwd', '/srv/app',
                   '$.pid', 4242, '$.policy', json('[\"~/.config/gate/policy.toml\"]'),
                   '$.policy_digest', ?5)
                 WHEN 'started' THEN json_set(data, '$.gate_pid', 4242)
                 WHEN 'finished' THEN json_set(data, '$.duration_ms', 1234)
                 WHEN 'approval_requested' THEN json_set(data, '$.expires', ?3)
                 ELSE data END
             WHERE seq = ?4",
            rusqlite::params![
                format!("req{:07}", i + 1),
                stamp(t),
                stamp(expires),
                seq,
                PINNED_DIGEST
            ],
        )
        .unwrap();
    }
}

/// A webhook receiver that approves everything as alice.
fn approving_webhook() -> String {
    http::serve(Arc::new(|_: &HttpRequest| {
        HttpResponse::json(
            200,
            json!({"decision": "approve", "approver": "alice", "comment": "lgtm"}),
        )
    }))
}

/// `true deploy …` asks, on the webhook; packs stay on (`rm -rf /` is denied).
fn policy(webhook: &str) -> String {
    format!(
        r#"
[defaults]
channels = ["webhook"]
timeout = "5s"

[webhook]
url = "{webhook}/hook"

[[rule]]
id = "deploy-asks"
command = "true deploy"
decision = "ask"
risk = "high"
message = "Deploys need a second pair of eyes."
"#
    )
}

/// A ledger with one request of each common shape, pinned: ran, ran with exit 3, denied,
/// approved on the webhook and ran, not found, and one with a long command.
fn history() -> Env {
    let env = Env::with_policy(&policy(&approving_webhook())).var("GATE_WEBHOOK_SECRET", "s3cret");
    env.gate().args(["--", "echo", "hello"]).status(0).run();
    env.gate()
        .args(["--as", "ci-deploy", "--", "sh", "-c", "exit 3"])
        .status(3)
        .run();
    env.gate().args(["--", "rm", "-rf", "/"]).status(77).run();
    env.gate()
        .args(["--reason", "release 1.4", "--as", "release-bot", "--"])
        .args(["true", "deploy", "--to", "prod"])
        .status(0)
        .run();
    env.gate()
        .args(["--", "no-such-program-here"])
        .status(127)
        .run();
    let long: Vec<String> = (1..=12)
        .map(|i| format!("--flag-number-{i}=value"))
        .collect();
    env.gate().args(["--", "echo"]).args(&long).status(0).run();
    pin(&env);
    env
}

/// The cells of a row of `log`, split at spaces.
fn cells(row: &str) -> Vec<&str> {
    row.split_whitespace().collect()
}

fn log(env: &Env, args: &[&str], columns: &str) -> String {
    env.gate()
        .arg("log")
        .args(args)
        .env("TZ", "UTC")
        .env("COLUMNS", columns)
        .status(0)
        .run()
        .stdout
}

#[test]
fn help_snapshot() {
    let env = Env::new();
    let help = |args: &[&str]| {
        env.gate()
            .args(args)
            .env("COLUMNS", "100")
            .status(0)
            .run()
            .stdout
    };
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("log_help", help(&["log", "--help"]));
}

#[test]
fn log_snapshots() {
    let env = history();
    insta::assert_snapshot!("log_80", log(&env, &[], "80"));
    insta::assert_snapshot!("log_utc_30", log(&env, &["--utc"], "30"));
    insta::assert_snapshot!("log_wide", log(&env, &["--wide", "-n", "2"], "80"));
}

#[test]
fn show_snapshots() {
    let env = history();
    let show = |id: &str| {
        env.gate()
            .args(["show", id])
            .env("TZ", "UTC")
            .status(0)
            .run()
            .stdout
    };
    insta::assert_snapshot!("show_approved", show("req0000004"));
    insta::assert_snapshot!("show_denied", show("req0000003"));
    insta::assert_snapshot!("show_not_found", show("req0000005"));
}

/// Every line of `log` fits 80 columns, the command cut with `…`; `--wide` cuts nothing.
#[test]
fn log_fits_80_columns_and_wide_shows_all() {
    let env = history();
    let out = log(&env, &[], "80");
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "{} columns: {line}", line.len());
    }
    assert!(out.contains('…'), "{out}");
    let whole = (1..=12)
        .map(|i| format!("--flag-number-{i}=value"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!out.contains(&whole), "{out}");
    let wide = log(&env, &["--wide"], "80");
    assert!(wide.contains(&format!("echo {whole}")), "{wide}");
    // Not a terminal and no COLUMNS: 80.
    let plain = env.gate().arg("log").status(0).run().stdout;
    assert!(plain.lines().all(|l| l.chars().count() <= 80), "{plain}");
}

/// Local time by default, the `TZ` the process has; `--utc` shows UTC (and says so).
#[test]
fn log_and_show_use_local_time_unless_utc() {
    let env = history();
    let at = |tz: &str, args: &[&str]| {
        env.gate()
            .args(args)
            .env("TZ", tz)
            .env("COLUMNS", "120")
            .status(0)
            .run()
            .stdout
    };
    // 09:26 UTC is 14:56 in Kolkata (+05:30).
    let kolkata = at("Asia/Kolkata", &["log"]);
    assert!(kolkata.contains("2026-03-14 14:56"), "{kolkata}");
    assert!(!kolkata.contains("(UTC)"), "{kolkata}");
    let utc = at("Asia/Kolkata", &["log", "--utc"]);
    assert!(utc.contains("WHEN (UTC)"), "{utc}");
    assert!(utc.contains("2026-03-14 09:26"), "{utc}");
    assert!(!utc.contains("14:56"), "{utc}");
    let show = at("Asia/Kolkata", &["show", "req0000001"]);
    assert!(show.contains("local time, +05:30"), "{show}");
    assert!(show.contains("2026-03-14 14:56:00  +0.000s"), "{show}");
    let show = at("Asia/Kolkata", &["show", "req0000001", "--utc"]);
    assert!(show.contains("events (UTC)"), "{show}");
    assert!(show.contains("2026-03-14 09:26:00  +0.000s"), "{show}");
    // The stored stamps, with their milliseconds, are not shown.
    assert!(!show.contains(".000Z"), "{show}");
}

/// A recent request shows its age, measured against the ledger's clock; `--utc` never does.
#[test]
fn recent_requests_show_their_age() {
    let env = Env::new();
    for _ in 0..4 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    pin(&env);
    // Move them to known ages: 5 minutes, 3 hours, 2 days ago, and just now.
    let now = SystemTime::now();
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    for (id, ago) in [
        ("req0000001", 2 * 86_400),
        ("req0000002", 3 * 3600 + 30),
        ("req0000003", 5 * 60 + 5),
        ("req0000004", 0),
    ] {
        let t = humantime::format_rfc3339_millis(now - Duration::from_secs(ago)).to_string();
        conn.execute(
            "UPDATE events SET time = ?1 WHERE request = ?2",
            rusqlite::params![t, id],
        )
        .unwrap();
    }
    let out = log(&env, &[], "80");
    let row = |id: &str| out.lines().find(|l| l.starts_with(id)).unwrap().to_string();
    assert!(row("req0000003").contains("  5m ago  "), "{out}");
    assert!(row("req0000002").contains("  3h ago  "), "{out}");
    assert!(cells(&row("req0000004"))[1].ends_with('s'), "{out}");
    assert_eq!(cells(&row("req0000004"))[2], "ago", "{out}");
    let two_days = humantime::format_rfc3339(now - Duration::from_secs(2 * 86_400)).to_string();
    assert!(row("req0000001").contains(&two_days[..10]), "{out}");
    let utc = log(&env, &["--utc"], "80");
    assert!(!utc.contains(" ago"), "{utc}");
}

/// TOOK: from the request to its end; `-` while the command still runs.
#[test]
fn the_duration_column_is_blank_while_running() {
    let env = history();
    let out = log(&env, &[], "80");
    let row = |id: &str| out.lines().find(|l| l.starts_with(id)).unwrap().to_string();
    // Four events 250 ms apart (request, decision, started, finished): 0.7s.
    assert!(cells(&row("req0000001")).contains(&"0.7s"), "{out}");
    // Denied at the decision, 250 ms after the request.
    assert!(cells(&row("req0000003")).contains(&"0.2s"), "{out}");

    let env = Env::new();
    let child = env.gate().args(["--", "sleep", "30"]).spawn();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let end = std::time::Instant::now() + Duration::from_secs(10);
    let running = loop {
        let out = env.gate().arg("log").env("COLUMNS", "80").run().stdout;
        if out.contains("running") || std::time::Instant::now() > end {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    finish(child);
    let row = running.lines().nth(1).unwrap_or_default().to_string();
    let cells = cells(&row);
    let at = cells.iter().position(|c| *c == "running");
    assert_eq!(at.map(|i| cells[i + 1]), Some("-"), "{running}");
}

/// A very narrow terminal, an argument that is not UTF-8, a 100 kB command line and one with a
/// line break: `log` keeps one line per row; `--json` and `show` keep the whole.
#[test]
fn log_stays_one_line_per_row_whatever_the_command() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::with_policy("[defaults]\nopaque = \"allow\"\n");
    let big = "x".repeat(100 * 1024);
    env.gate().args(["--", "true", &big]).status(0).run();
    env.gate()
        .args(["--", "true"])
        .arg(std::ffi::OsStr::from_bytes(b"a\xffb"))
        .status(0)
        .run();
    env.gate()
        .args(["--", "true", "line1\nline2\ttab\r"])
        .status(0)
        .run();
    for columns in ["30", "12", "80"] {
        let out = log(&env, &[], columns);
        assert_eq!(out.lines().count(), 4, "COLUMNS={columns}:\n{out}");
        let fits = columns.parse::<usize>().unwrap().max(30);
        for line in out.lines() {
            assert!(line.chars().count() <= fits, "COLUMNS={columns}: {line}");
        }
        assert!(!out.contains('\r'), "{out:?}");
        assert!(
            out.contains("line1\\nline2\\ttab\\r") || columns != "80",
            "{out}"
        );
    }
    let wide = log(&env, &["--wide"], "30");
    assert_eq!(wide.lines().count(), 4, "{wide}");
    assert!(wide.contains(&big));
    assert!(wide.contains("a\u{fffd}b"), "{wide}");
    let records = env.log();
    assert_eq!(records[2]["command"][1], big.as_str());
    let id = records[2]["id"].as_str().unwrap().to_string();
    assert_eq!(env.show(&id)["command"][1], big.as_str());
    let show = env.gate().args(["show", &id]).status(0).run().stdout;
    assert!(show.contains(&big));
}

/// Colour is decided for each stream: `--color` wins, then NO_COLOR, then CLICOLOR_FORCE, then
/// whether that stream is a terminal.
#[test]
fn colour_is_decided_per_stream() {
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    let escapes = |out: &str| out.contains('\x1b');
    // Piped (the harness sets NO_COLOR=1).
    let out = env.gate().args(["log"]).run();
    assert!(!escapes(&out.stdout), "{:?}", out.stdout);
    let out = env.gate().args(["--color", "always", "log"]).run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
    let out = env.gate().args(["log", "--color=always"]).run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
    let out = env
        .gate()
        .args(["log", "--color", "never"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .run();
    assert!(!escapes(&out.stdout), "{:?}", out.stdout);
    let forced = |value: &str| {
        env.gate()
            .args(["log", "--bogus"])
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", value)
            .status(64)
            .run()
            .stderr
    };
    assert!(escapes(&forced("1")), "CLICOLOR_FORCE=1");
    assert!(!escapes(&forced("0")), "CLICOLOR_FORCE=0");
    assert!(!escapes(&forced("")), "CLICOLOR_FORCE=");
    let both = env
        .gate()
        .arg("log")
        .env("CLICOLOR_FORCE", "1")
        .run()
        .stdout;
    assert!(
        !escapes(&both),
        "NO_COLOR wins over CLICOLOR_FORCE: {both:?}"
    );
    let out = env
        .gate()
        .args(["--color", "always", "check", "--", "rm", "-rf", "/"])
        .status(2)
        .run();
    assert!(escapes(&out.stdout), "{:?}", out.stdout);
}

/// `gate log > file` from a terminal: stderr is the terminal, stdout the file, which gets no
/// escape codes; the terminal does, for an error.
#[test]
fn a_log_redirected_to_a_file_has_no_escape_codes() {
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    let pty = nix::pty::openpty(None, None).unwrap();
    let file = env.work().join("log.txt");
    let run = |args: &[&str]| {
        let mut cmd = env.gate().args(args).env_remove("NO_COLOR").command();
        cmd.stdout(std::fs::File::create(&file).unwrap())
            .stderr(std::fs::File::from(pty.slave.try_clone().unwrap()))
            .stdin(std::process::Stdio::null());
        cmd.status().unwrap()
    };
    assert!(run(&["log"]).success());
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("STATUS"), "{written}");
    assert!(!written.contains('\x1b'), "{written:?}");
    // The terminal on stderr is coloured.
    assert_eq!(run(&["log", "--bogus"]).code(), Some(64));
    let mut buf = [0u8; 4096];
    let n = nix::unistd::read(pty.master.as_fd(), &mut buf).unwrap();
    let shown = String::from_utf8_lossy(&buf[..n]);
    assert!(shown.contains("\x1b["), "{shown:?}");
    assert!(shown.contains("gate: error:"), "{shown:?}");
}

/// Every error line reads `gate: error: …`, clap's usage errors (exit 64, with its tips) as
/// gate's own; help and version go to stdout with exit 0.
#[test]
fn one_error_style() {
    let env = Env::new();
    let out = env.gate().args(["log", "--limt", "3"]).status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: unexpected argument '--limt' found"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--limit"),
        "clap's suggestion: {}",
        out.stderr
    );
    assert!(out.stderr.contains("Usage: gate log"), "{}", out.stderr);
    let out = env
        .gate()
        .args(["--color", "sometimes", "log"])
        .status(64)
        .run();
    assert!(
        out.stderr
            .starts_with("gate: error: invalid value 'sometimes'"),
        "{}",
        out.stderr
    );
    let out = env.gate().args(["--reason", "x", "log"]).status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: --reason goes with a command to run"),
        "{}",
        out.stderr
    );
    env.gate()
        .args(["--color", "never", "lgo"])
        .status(64)
        .stderr_contains("gate: error: `lgo` is not a gate command: did you mean `gate log`?")
        .run();
    let out = env.gate().arg("rules").status(64).run();
    assert!(
        out.stderr
            .starts_with("gate: error: a subcommand is needed"),
        "{}",
        out.stderr
    );
    // gate's own errors.
    env.gate().args(["--", "true"]).status(0).run();
    let out = env.gate().args(["show", "zzzzzz"]).status(1).run();
    assert!(
        out.stderr.starts_with("gate: error: no request `zzzzzz`"),
        "{}",
        out.stderr
    );
    for out in [
        env.gate().args(["log", "--bogus"]).run(),
        env.gate().args(["show"]).run(),
        env.gate().args(["check", "--nope"]).run(),
    ] {
        assert_eq!(out.code, 64, "{}", out.stderr);
        assert!(
            out.stderr.lines().all(|l| !l.starts_with("error:")),
            "{}",
            out.stderr
        );
        assert!(out.stderr.starts_with("gate: error: "), "{}", out.stderr);
    }
    for args in [
        &["--help"][..],
        &["--version"],
        &["log", "--help"],
        &["help", "log"],
    ] {
        let out = env.gate().args(args).status(0).run();
        assert!(!out.stdout.is_empty() && out.stderr.is_empty(), "{args:?}");
    }
}

/// `--channel` names a channel gate has; a near miss gets a suggestion. Nothing runs.
#[test]
fn unknown_channels_are_usage_errors() {
    let env = Env::new();
    env.gate()
        .args(["--channel", "foo", "--", "true"])
        .status(64)
        .stderr_contains(
            "gate: error: unknown channel `foo`: the channels are terminal, local, slack, webhook",
        )
        .run();
    env.gate()
        .args(["--channel", "local", "--channel", "slak", "--", "true"])
        .status(64)
        .stderr_contains("did you mean `slack`?")
        .run();
    env.gate()
        .args(["run", "--channel", "Terminal", "--", "true"])
        .status(64)
        .stderr_contains("did you mean `terminal`?")
        .run();
    env.gate()
        .args(["shell", "--channel", "hook", "-c", "true"])
        .status(64)
        .stderr_contains("unknown channel `hook`")
        .run();
    assert!(!env.ledger().exists(), "nothing was recorded");
    // Known channels pass.
    env.gate()
        .args(["--channel", "local", "--", "true"])
        .status(0)
        .run();
}

/// Every kind of event reads in words; one gate does not know prints as stored.
#[test]
fn show_prints_an_unknown_event_as_stored() {
    let env = Env::new();
    env.gate().args(["--", "true"]).status(0).run();
    pin(&env);
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.execute(
        "INSERT INTO events (seq, request, time, kind, data, hash)
         SELECT max(seq) + 1, 'req0000001', '2026-03-14T09:26:02.000Z', 'from_a_newer_gate',
                '{\"what\":\"a\\u001b[2Kb\"}', zeroblob(32) FROM events",
        [],
    )
    .unwrap();
    let out = env
        .gate()
        .args(["show", "req0000001", "--utc"])
        .status(0)
        .run()
        .stdout;
    assert!(
        out.contains(r#"+2.000s   from_a_newer_gate {"what":"a\u001b[2Kb"}"#),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "{out:?}");
    let v: Value = env.show("req0000001");
    assert_eq!(v["events"].as_array().unwrap().len(), 5, "{v}");
}
