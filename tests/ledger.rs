//! The ledger as proof: tampering by direct SQL, truncation, kill -9 at random points, parallel
//! writers, export, and ledgers gate must refuse to touch.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;

fn verify(env: &Env) -> (i32, Value) {
    let out = env.gate().args(["verify", "--json"]).run();
    (out.code, out.json())
}

/// `/bin/sh -c SCRIPT` with gate as `$0` and `args` as `$1`…, in this test's environment: one
/// of many writers started at once.
fn gate_shell(env: &Env, script: &str, args: &[&str]) -> std::process::Child {
    env.program("/bin/sh")
        .env("PATH", "/usr/bin:/bin")
        .arg("-c")
        .arg(script)
        .arg(gate_bin())
        .args(args)
        .spawn()
}

/// Every writer ends well, and none was turned away by a lock.
fn wait_all(children: Vec<std::process::Child>) {
    for c in children {
        let out = finish(c);
        assert!(out.status.success(), "a writer failed: {}", out.stderr);
        assert!(!out.stderr.contains("locked"), "{}", out.stderr);
    }
}

/// `n` allowed runs, then a reader (`gate log`), which chains what they left in the intake:
/// every event is in the database afterwards.
fn runs(env: &Env, n: usize) {
    quick_runs(env, n);
    fold(env);
}

/// `n` allowed runs, their events left in the intake.
fn quick_runs(env: &Env, n: usize) {
    for i in 0..n {
        env.gate()
            .args(["--", "echo", &format!("run {i}")])
            .status(0)
            .run();
    }
}

/// A reader, which chains what waits in the intake first.
fn fold(env: &Env) {
    env.gate().arg("log").status(0).run();
}

#[test]
fn tampering_by_direct_sql_is_named() {
    // (what the attacker runs, the first event verify must name)
    let cases: &[(&str, i64)] = &[
        (
            "DROP TRIGGER events_append_only_update; UPDATE events SET data = replace(data, 'run 3', 'run 9') WHERE seq = 14;",
            14,
        ),
        (
            "DROP TRIGGER events_append_only_update; UPDATE events SET kind = 'finished' WHERE seq = 7;",
            7,
        ),
        (
            "DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq = 10;",
            11,
        ),
        (
            "DROP TRIGGER events_append_only_update; UPDATE events SET seq = 1000 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 6; UPDATE events SET seq = 6 WHERE seq = 1000;",
            5,
        ),
        // A forged event appended with a copied hash.
        (
            "INSERT INTO events (seq, request, time, kind, data, hash) SELECT 23, request, time, kind, data, hash FROM events WHERE seq = 3;",
            23,
        ),
    ];
    for (sql, want) in cases {
        let env = Env::new();
        runs(&env, 5);
        assert_eq!(verify(&env).0, 0);
        env.sql(sql).unwrap();
        let (rc, v) = verify(&env);
        assert_eq!(rc, 1, "{sql}: {v}");
        assert_eq!(v["first_broken"]["seq"], *want, "{sql}: {v}");
    }
}

#[test]
fn a_forged_event_with_a_recomputed_hash_still_breaks_the_chain_after_it() {
    let env = Env::new();
    runs(&env, 3);
    // Change event 2 and give it a hash that is not what the chain says: everything from there on fails.
    env.sql("DROP TRIGGER events_append_only_update; UPDATE events SET hash = zeroblob(32) WHERE seq = 2;").unwrap();
    let (rc, v) = verify(&env);
    assert_eq!(rc, 1);
    assert_eq!(v["first_broken"]["seq"], 2);
}

#[test]
fn truncating_the_newest_events_is_caught_by_the_checkpoints() {
    let env = Env::new();
    runs(&env, 20); // 80 events: checkpoints at 32 and 64
    let cp = std::fs::read_to_string(env.state("ledger.db.checkpoints")).unwrap();
    assert_eq!(cp.lines().count(), 2, "{cp}");
    env.sql("DROP TRIGGER events_append_only_delete; DELETE FROM events WHERE seq > 40;")
        .unwrap();
    let (rc, v) = verify(&env);
    assert_eq!(rc, 1, "{v}");
    assert!(
        v["first_broken"]["problem"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{v}"
    );
}

#[test]
fn kill_9_at_random_points_never_breaks_the_chain() {
    let env = Env::new();
    let mut delays = 0u64;
    for i in 0..40u64 {
        let mut child = env.gate().args(["--", "sleep", "0.02"]).spawn();
        // Spread the kills over start-up, the ledger writes and the run.
        delays = (delays * 7 + 3 + i) % 60;
        std::thread::sleep(Duration::from_millis(delays));
        let _ = child.kill();
        let _ = child.wait();
    }
    // The ledger stays writable after the kills, and the chain is whole.
    env.gate().args(["--", "true"]).status(0).run();
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "chain broken after kill -9: {v}");
    {
        for r in env.log() {
            let status = r["status"].as_str().unwrap();
            assert!(
                ["ran", "unknown"].contains(&status),
                "unexpected status {status}: {r}"
            );
            if status == "ran" {
                assert!(
                    r["exit_code"].is_number() || r["signal"].is_number(),
                    "finished event lost: {r}"
                );
            }
        }
    }
}

/// The allow path at the floor: once the ledger and its intake exist, an allowed `gate --`
/// records its request, decision, `started` and `finished` as two intake lines and does not
/// open the database (its WAL and index files stay as they were); the next reader chains them.
#[test]
fn an_allowed_run_records_through_the_intake_without_opening_the_database() {
    let env = Env::new();
    quick_runs(&env, 2); // creates the ledger, then sets up the intake
    fold(&env);
    let stamp = |suffix: &str| {
        let p = env.state(&format!("ledger.db{suffix}"));
        std::fs::metadata(&p)
            .ok()
            .map(|m| (m.len(), m.modified().unwrap()))
    };
    let before: Vec<_> = ["", "-wal", "-shm"].iter().map(|s| stamp(s)).collect();
    env.gate()
        .args(["--", "echo", "quick"])
        .status(0)
        .stdout("quick\n")
        .run();
    let after: Vec<_> = ["", "-wal", "-shm"].iter().map(|s| stamp(s)).collect();
    assert_eq!(before, after, "the database was opened");
    assert_eq!(
        waiting_lines(&env),
        2,
        "opening and finished wait in the intake"
    );
    let last = &env.log()[0];
    assert_eq!(last["command"][1], "quick");
    assert_eq!(last["status"], "ran");
    assert_eq!(last["exit_code"], 0);
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
}

/// A denied `gate --` takes the same quick path and still never runs.
#[test]
fn a_denied_run_is_recorded_through_the_intake_and_does_not_run() {
    let env = Env::new();
    quick_runs(&env, 2);
    let marker = env.work().join("ran");
    env.gate()
        .args(["--", "sh", "-c"])
        .arg(format!("touch {} && rm -rf /", marker.display()))
        .status(77)
        .run();
    assert!(!marker.exists());
    assert_eq!(
        waiting_lines(&env),
        3,
        "the second run's two lines, then the denial"
    );
    assert_eq!(env.log()[0]["status"], "denied");
}

#[test]
fn sixty_four_writers_at_once_lose_nothing() {
    let env = Env::new();
    runs(&env, 1);
    let mut children = Vec::new();
    for _ in 0..64 {
        // Each shell runs gate 10 times in a row: 64 writers × 10 runs.
        children.push(gate_shell(
            &env,
            "i=0; while [ $i -lt 10 ]; do \"$0\" -- true || exit 1; i=$((i+1)); done",
            &[],
        ));
    }
    wait_all(children);
    assert_eq!(env.log().len(), 1 + 64 * 10);
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
}

#[test]
fn export_round_trips_every_request() {
    let env = Env::new();
    env.policy(ASK_TOUCH);
    runs(&env, 3);
    env.gate().args(["--", "rm", "x"]).run();
    let exported = env
        .gate()
        .args(["export", "--format", "jsonl"])
        .status(0)
        .run()
        .json_lines();
    let mut logged = env.log();
    logged.reverse();
    assert_eq!(exported.len(), 4);
    assert_eq!(
        exported, logged,
        "export (oldest first) must equal log (newest first) reversed"
    );

    let csv = env.gate().args(["export", "--format", "csv"]).run().stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,time,user,agent,host,cwd,command,decision,rules,risk,approvers,status,exit_code,signal,duration_ms,reason,ci_provider,ci_job_url,argv_hmac"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4);
    assert!(rows[3].contains(",deny,no-rm,"), "{}", rows[3]);

    let lines = |args: &[&str]| env.gate().args(args).run().stdout.lines().count();
    assert_eq!(lines(&["export", "--status", "denied"]), 1);
    assert_eq!(lines(&["log", "--json", "--grep", "RUN 1"]), 1);
    assert_eq!(
        lines(&["log", "--json", "--since", "1h", "--decision", "allow"]),
        3
    );
    assert_eq!(lines(&["log", "--json", "--until", "2000-01-01"]), 0);
    env.gate()
        .args(["log", "--status", "bogus"])
        .status(64)
        .run();
    env.gate()
        .args(["log", "--since", "yesterday-ish"])
        .status(64)
        .run();
}

#[test]
fn verify_command_proves_the_exact_argv() {
    let env = Env::new();
    env.gate()
        .args(["--", "echo", "--token=s3cret", "a b"])
        .run();
    let r = &env.log()[0];
    let id = r["id"].as_str().unwrap();
    assert!(
        !r.to_string().contains("s3cret"),
        "a secret reached the ledger: {r}"
    );
    let verify_command = |argv: &[&str]| {
        env.gate()
            .args(["verify-command", id, "--"])
            .args(argv)
            .run()
            .code
    };
    assert_eq!(verify_command(&["echo", "--token=s3cret", "a b"]), 0);
    assert_eq!(verify_command(&["echo", "--token=other", "a b"]), 1);
    assert_eq!(verify_command(&["echo", "--token=s3cret", "a", "b"]), 1);
}

#[test]
fn ledgers_gate_must_not_touch_are_74_and_left_as_they_were() {
    // Not SQLite at all.
    let env = Env::new();
    let junk = env.work().join("junk.db");
    let body =
        "just some text, long enough to look like a header of something else entirely".repeat(100);
    std::fs::write(&junk, &body).unwrap();
    env.gate()
        .env("GATE_LEDGER", &junk)
        .args(["--", "true"])
        .status(74)
        .run();
    assert_eq!(
        std::fs::read_to_string(&junk).unwrap(),
        body,
        "the file was changed"
    );

    // From a newer gate (schema version ahead of ours).
    let env = Env::new();
    runs(&env, 1);
    env.sql("PRAGMA user_version = 99").unwrap();
    env.gate()
        .args(["--", "true"])
        .status(74)
        .stderr_contains("newer gate")
        .run();

    // Read-only.
    let env = Env::new();
    runs(&env, 1);
    let dir = env.state("");
    let ro = env.path("ro");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::copy(env.ledger(), ro.join("ledger.db")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(ro.join("ledger.db"), std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    let marker = env.work().join("ran");
    let out = env
        .gate()
        .env("GATE_LEDGER", ro.join("ledger.db"))
        .args(["--", "touch"])
        .arg(&marker)
        .run();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o700)).unwrap();
    if !nix::unistd::getuid().is_root() {
        assert_eq!(out.code, 74, "{}", out.stderr);
        assert!(!marker.exists());
    }
    let _ = dir;
}

#[test]
fn a_ledger_locked_by_another_program_is_waited_for_then_refused() {
    let env = Env::new();
    runs(&env, 1);
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut child = env.gate().args(["--", "echo", "after the lock"]).spawn();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "gate must wait for the lock, not fail"
    );
    conn.execute_batch("COMMIT").unwrap();
    let out = finish(child);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "after the lock\n");
}

#[test]
fn the_wal_stays_small_across_many_short_lived_processes() {
    // Each gate process is the only one with the ledger open, so SQLite rebuilds the WAL
    // index on open and would never start the WAL over on its own: it grew by every run.
    let env = Env::new();
    runs(&env, 120);
    let wal = {
        let mut p = env.ledger().into_os_string();
        p.push("-wal");
        std::path::PathBuf::from(p)
    };
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // 120 runs write several hundred WAL frames; the closing process empties the WAL once
    // it passes 64 frames, so it never holds much more than that.
    assert!(
        size < 100 * 4120,
        "the WAL grew to {size} bytes after 120 runs"
    );
    let (code, report) = verify(&env);
    assert_eq!(code, 0, "{report}");
    assert_eq!(env.log().len(), 120);
}

// The hook's intake (src/ledger/intake.rs): allowed and denied tool calls are written there
// without opening SQLite, and chained by the next writer or reader.

fn intake(env: &Env) -> std::path::PathBuf {
    env.state("ledger.db.intake")
}

fn intake_len(env: &Env) -> u64 {
    std::fs::metadata(intake(env)).map_or(0, |m| m.len())
}

/// How many lines wait in the intake (besides the header a fold leaves).
fn waiting_lines(env: &Env) -> usize {
    std::fs::read_to_string(intake(env))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("gate-intake "))
        .count()
}

/// The `intake_chained` events: where the ledger stands in the intake, one when it was set up
/// and one per fold that chained lines.
fn marks(env: &Env) -> i64 {
    env.count_events("intake_chained")
}

/// The command of each request, oldest first.
fn commands(env: &Env) -> Vec<String> {
    let mut log = env.log();
    log.reverse();
    log.iter()
        .map(|r| {
            let c = r["command"].as_array().unwrap();
            c.last().unwrap().as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn hook_decisions_wait_in_the_intake_and_are_chained_before_anything_later() {
    let env = Env::new();
    runs(&env, 1);
    let (_, a, _) = env.hook(&pre_tool_use("ls -la", "tu-1"));
    assert_eq!(decision(&a), "allow");
    let (_, a, _) = env.hook(&pre_tool_use("rm -rf /", "tu-2"));
    assert_eq!(decision(&a), "deny");
    assert!(
        waiting_lines(&env) == 2,
        "the hook wrote its decisions to the intake"
    );

    // A writer chains the intake first, then its own events.
    runs(&env, 1);
    assert_eq!(waiting_lines(&env), 0, "the writer chained the intake");
    assert_eq!(commands(&env), ["run 0", "ls -la", "rm -rf /", "run 0"]);
    let log = env.log();
    assert_eq!(log[1]["status"], "denied");
    assert_eq!(log[2]["decision"], "allow");
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(marks(&env), 2, "set up, then one fold");
    assert_eq!(v["events"], 4 + 3 + 2 + 4 + marks(&env), "{v}");

    // Each event keeps the time it was decided at.
    let out = env.gate().args(["export", "--format", "jsonl"]).run();
    let times: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["time"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "requests in ledger order are in time order");
}

#[test]
fn readers_see_what_waits_in_the_intake() {
    let env = Env::new();
    runs(&env, 1);
    let (_, a, _) = env.hook(&pre_tool_use("git status", "tu-1"));
    assert_eq!(decision(&a), "allow");
    // `gate log` chains it before reading; so do show, verify and export.
    assert_eq!(commands(&env), ["run 0", "git status"]);
    let (_, a, _) = env.hook(&pre_tool_use("git diff", "tu-2"));
    assert_eq!(decision(&a), "allow");
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["events"], 4 + 3 + 3 + marks(&env), "{v}");
    assert_eq!(waiting_lines(&env), 0);
}

#[test]
fn an_intake_line_altered_before_it_is_chained_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    for (cmd, tu) in [("git status", "tu-1"), ("git log", "tu-2")] {
        let (_, a, _) = env.hook(&pre_tool_use(cmd, tu));
        assert_eq!(decision(&a), "allow");
    }
    // The attacker rewrites what the first call was.
    let text = std::fs::read_to_string(intake(&env)).unwrap();
    let forged = text.replacen("git status", "git stash", 2);
    assert_ne!(forged, text);
    std::fs::write(intake(&env), forged).unwrap();

    let (rc, v) = verify(&env);
    assert_eq!(rc, 1, "{v}");
    let broken = &v["first_broken"];
    assert_eq!(
        broken["seq"], 6,
        "the first event after the run's four and the intake's set-up: {v}"
    );
    assert!(
        broken["problem"]
            .as_str()
            .unwrap()
            .contains("altered in the intake"),
        "{v}"
    );
    // Nothing was dropped: the altered line is kept as found, the intact one is chained.
    assert_eq!(commands(&env), ["run 0", "git log"]);
    let kept = env
        .ledger_events()
        .into_iter()
        .find(|e| e.seq == 6 && e.kind == "intake_rejected")
        .expect("event 6 is intake_rejected")
        .data;
    assert!(kept.contains("git stash"), "{kept}");
}

#[test]
fn a_fold_that_died_before_emptying_the_intake_chains_nothing_twice() {
    let env = Env::new();
    runs(&env, 1);
    let (_, a, _) = env.hook(&pre_tool_use("git status", "tu-1"));
    assert_eq!(decision(&a), "allow");
    quick_runs(&env, 1);
    let waiting = std::fs::read(intake(&env)).unwrap();
    fold(&env);
    // As if that writer had been killed between its commit and emptying the intake; then
    // another call is added after the stale line.
    std::fs::write(intake(&env), &waiting).unwrap();
    let (_, a, _) = env.hook(&pre_tool_use("git log", "tu-2"));
    assert_eq!(decision(&a), "allow");
    runs(&env, 1);
    assert_eq!(
        commands(&env),
        ["run 0", "git status", "run 0", "git log", "run 0"]
    );
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["events"], 4 + 3 + 4 + 3 + 4 + marks(&env), "{v}");
}

#[test]
fn a_long_intake_is_chained_by_the_hook_itself() {
    let env = Env::new();
    runs(&env, 1);
    // One call with a 70 KB script fills the intake past the point where hooks fold it.
    let long = format!("echo {}", "x".repeat(70_000));
    let (_, a, _) = env.hook(&pre_tool_use(&long, "tu-1"));
    assert_eq!(decision(&a), "allow");
    assert!(intake_len(&env) > 64 * 1024);
    let (_, a, _) = env.hook(&pre_tool_use("git status", "tu-2"));
    assert_eq!(decision(&a), "allow");
    assert_eq!(waiting_lines(&env), 0, "the second call chained the intake");
    assert_eq!(commands(&env).len(), 3);
}

#[test]
fn an_intake_that_cannot_be_written_denies() {
    let env = Env::new();
    runs(&env, 1);
    std::fs::create_dir(intake(&env)).unwrap();
    let (rc, a, err) = env.hook(&pre_tool_use("git status", "tu-1"));
    assert_eq!(decision(&a), "deny");
    assert_eq!(rc, 2);
    assert!(err.contains("ledger.db.intake"), "{err}");
    assert!(err.contains("nothing may run unrecorded"), "{err}");
}

#[test]
fn hooks_and_runs_at_once_lose_nothing() {
    let env = Env::new();
    runs(&env, 1);
    let mut children = Vec::new();
    for w in 0..16 {
        // Each shell alternates a hook call and a run, 10 times.
        let script = r#"i=0; while [ $i -lt 10 ]; do
            printf '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"cwd":"/tmp","session_id":"s","tool_use_id":"w%s-%s"}' "$1" "$i" | "$0" hook claude-code >/dev/null || exit 1
            "$0" -- true || exit 1
            i=$((i+1)); done"#;
        children.push(gate_shell(&env, script, &[&w.to_string()]));
    }
    wait_all(children);
    let log = env.log();
    assert_eq!(log.len(), 1 + 16 * 20);
    assert_eq!(
        log.iter()
            .filter(|r| r["command"][2] == "git status")
            .count(),
        16 * 10
    );
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
    assert_eq!(v["events"], 4 + 16 * 10 * (4 + 3) + marks(&env), "{v}");
}

#[test]
fn a_ledger_that_cannot_take_the_intake_makes_the_hook_fail_closed() {
    let env = Env::new();
    runs(&env, 1);
    let (_, a, _) = env.hook(&pre_tool_use("git status", "tu-1"));
    assert_eq!(decision(&a), "allow");
    // The ledger turns out to be from a newer gate: the next writer cannot chain the intake.
    let schema: i64 = rusqlite::Connection::open(env.ledger())
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    env.sql("PRAGMA user_version = 99").unwrap();
    // (An allowed `gate --` would leave its lines in the intake too; a reader chains it.)
    env.gate().arg("log").status(74).run();
    // From then on the hook does not pile decisions up in the intake: it denies, saying why.
    let (rc, a, err) = env.hook(&pre_tool_use("git log", "tu-2"));
    assert_eq!(decision(&a), "deny");
    assert_eq!(rc, 2);
    assert!(err.contains("newer gate"), "{err}");

    // Repaired: the next call chains what waited, and the hook goes back to the intake.
    env.sql(&format!("PRAGMA user_version = {schema}")).unwrap();
    let (_, a, _) = env.hook(&pre_tool_use("git diff", "tu-3"));
    assert_eq!(decision(&a), "allow");
    assert!(!env.state("ledger.db.intake.error").exists());
    let (_, a, _) = env.hook(&pre_tool_use("git show", "tu-4"));
    assert_eq!(decision(&a), "allow");
    assert_eq!(waiting_lines(&env), 1, "back to the intake");
    assert_eq!(
        commands(&env),
        ["run 0", "git status", "git diff", "git show"]
    );
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
}

/// Switching a new ledger to WAL needs an exclusive lock, which SQLite takes without its busy
/// handler: first runs started together must wait for each other, not fail with "locked".
#[test]
fn first_runs_at_once_on_a_new_ledger_all_succeed() {
    for _ in 0..20 {
        let env = Env::new();
        let children: Vec<_> = (0..8)
            .map(|_| env.gate().args(["--", "true"]).spawn())
            .collect();
        wait_all(children);
        assert_eq!(env.log().len(), 8);
    }
}

// An erased or shortened intake (issue 11, item 5): lines that were written, answered and never
// chained must not vanish without `gate verify` saying so.

/// Claude Code's PostToolUse input for the call `tool_use` (session `sess-1`, as
/// [`pre_tool_use`]).
fn post_tool_use(command: &str, tool_use: &str) -> String {
    serde_json::json!({
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false, "exit_code": 0},
        "session_id": "sess-1",
        "tool_use_id": tool_use,
    })
    .to_string()
}

/// Allow `git log -n I` as tool use `tu-I` for each I.
fn hook_calls(env: &Env, calls: std::ops::RangeInclusive<u32>) {
    for i in calls {
        let (_, a, err) = env.hook(&pre_tool_use(
            &format!("git log -n {i}"),
            &format!("tu-{i}"),
        ));
        assert_eq!(decision(&a), "allow", "{err}");
    }
}

/// The intake without its last `n` lines.
fn drop_last_lines(env: &Env, n: usize) {
    let text = std::fs::read_to_string(intake(env)).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert!(lines.len() > n, "{text}");
    std::fs::write(intake(env), lines[..lines.len() - n].concat()).unwrap();
}

/// The first break verify reports: (seq, problem).
fn first_break(env: &Env) -> (i64, String) {
    let (rc, v) = verify(env);
    assert_eq!(rc, 1, "verify must report a break: {v}");
    let b = &v["first_broken"];
    (
        b["seq"].as_i64().unwrap(),
        b["problem"].as_str().unwrap().to_string(),
    )
}

#[test]
fn an_emptied_intake_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=3);
    std::fs::write(intake(&env), b"").unwrap();
    let (_, problem) = first_break(&env);
    assert!(problem.contains("intake was erased"), "{problem}");

    // Gate goes on working, and the break stays reported.
    hook_calls(&env, 4..=4);
    runs(&env, 1);
    assert_eq!(commands(&env), ["run 0", "git log -n 4", "run 0"]);
    let (_, again) = first_break(&env);
    assert_eq!(again, problem);
    assert_eq!(env.count_events("intake_erased"), 1, "reported once");
}

#[test]
fn a_removed_intake_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=3);
    // Chained once, so the ledger knows where the intake stands; then more calls wait.
    runs(&env, 1);
    hook_calls(&env, 4..=5);
    std::fs::remove_file(intake(&env)).unwrap();
    let (_, problem) = first_break(&env);
    assert!(problem.contains("intake was erased"), "{problem}");
    assert!(
        // Three hook calls, then the run's two lines (opening, finished).
        problem.contains("#5"),
        "names the last line chained: {problem}"
    );

    hook_calls(&env, 6..=6);
    assert_eq!(
        commands(&env),
        [
            "run 0",
            "git log -n 1",
            "git log -n 2",
            "git log -n 3",
            "run 0",
            "git log -n 6"
        ]
    );
    assert_eq!(env.count_events("intake_erased"), 1, "reported once");
}

#[test]
fn lines_dropped_from_the_end_then_new_calls_break_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=4);
    drop_last_lines(&env, 2);
    hook_calls(&env, 5..=6);
    let (_, problem) = first_break(&env);
    assert!(problem.contains("#3..#4 are missing"), "{problem}");
    // The calls after the gap are chained as they were decided.
    assert_eq!(
        commands(&env),
        [
            "run 0",
            "git log -n 1",
            "git log -n 2",
            "git log -n 5",
            "git log -n 6"
        ]
    );
}

#[test]
fn lines_dropped_from_the_end_break_verify_without_new_calls() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=3);
    drop_last_lines(&env, 1);
    let (_, problem) = first_break(&env);
    assert!(
        problem.contains("#3 is missing from the end of the intake"),
        "{problem}"
    );
    assert_eq!(commands(&env), ["run 0", "git log -n 1", "git log -n 2"]);
}

#[test]
fn a_line_removed_from_the_middle_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=3);
    let text = std::fs::read_to_string(intake(&env)).unwrap();
    let kept: String = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("git log -n 2"))
        .collect();
    assert_ne!(kept, text);
    std::fs::write(intake(&env), kept).unwrap();
    let (_, problem) = first_break(&env);
    assert!(problem.contains("#2 is missing"), "{problem}");
}

#[test]
fn an_outcome_whose_request_is_not_in_the_ledger_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=1);
    // The attacker keeps a copy of the intake, lets one command be allowed, then puts the copy
    // back: the intake alone cannot tell (an older state of itself), but the command ran and
    // its PostToolUse arrives.
    let copy = std::fs::read(intake(&env)).unwrap();
    hook_calls(&env, 2..=2);
    std::fs::write(intake(&env), &copy).unwrap();
    let (rc, _, err) = env.hook(&post_tool_use("git log -n 2", "tu-2"));
    assert_eq!(rc, 0, "{err}");
    let (_, problem) = first_break(&env);
    assert!(
        problem.contains("a command ran whose request is not in the ledger"),
        "{problem}"
    );
    assert_eq!(env.count_events("orphan_outcome"), 1);

    // A PostToolUse for a call no PreToolUse ever recorded is reported the same way.
    let env = Env::new();
    runs(&env, 1);
    let (rc, _, _) = env.hook(&post_tool_use("git status", "tu-9"));
    assert_eq!(rc, 0);
    let (_, problem) = first_break(&env);
    assert!(
        problem.contains("request is not in the ledger"),
        "{problem}"
    );
}

#[test]
fn a_tail_line_dropped_before_its_outcome_arrives_breaks_verify() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=2);
    drop_last_lines(&env, 1);
    let (rc, _, err) = env.hook(&post_tool_use("git log -n 2", "tu-2"));
    assert_eq!(rc, 0, "{err}");
    let (rc, v) = verify(&env);
    assert_eq!(rc, 1, "{v}");
    assert_eq!(env.count_events("orphan_outcome"), 1);
}

/// Controls: hook sessions with their outcomes, folds by runs and readers, and verify at every
/// step — never a false alarm.
#[test]
fn ordinary_hook_sessions_keep_the_chain_intact() {
    let env = Env::new();
    runs(&env, 1);
    for round in 0..4u32 {
        for i in 0..3u32 {
            let tu = format!("tu-{round}-{i}");
            let (_, a, _) = env.hook(&pre_tool_use("git status", &tu));
            assert_eq!(decision(&a), "allow");
            if i != 1 {
                let (rc, _, err) = env.hook(&post_tool_use("git status", &tu));
                assert_eq!(rc, 0, "{err}");
            }
        }
        let (_, a, _) = env.hook(&pre_tool_use("rm -rf /", &format!("tu-{round}-deny")));
        assert_eq!(decision(&a), "deny");
        if round % 2 == 0 {
            runs(&env, 1);
        }
        let (rc, v) = verify(&env);
        assert_eq!(rc, 0, "round {round}: {v}");
    }
    assert_eq!(env.log().len(), 1 + 4 * 4 + 2);
}

/// A fold that died after rewriting the intake's first line but before cutting the chained
/// lines off (see `intake::Taken::settle`): nothing is chained twice, nothing reported.
#[test]
fn a_fold_that_died_while_rewriting_the_intake_chains_nothing_twice() {
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=2);
    quick_runs(&env, 1);
    let before = std::fs::read(intake(&env)).unwrap();
    fold(&env);
    let after = std::fs::read(intake(&env)).unwrap();
    let mut torn = after.clone();
    torn.extend_from_slice(&before[after.len().min(before.len())..]);
    std::fs::write(intake(&env), &torn).unwrap();
    hook_calls(&env, 3..=3);
    runs(&env, 1);
    assert_eq!(
        commands(&env),
        [
            "run 0",
            "git log -n 1",
            "git log -n 2",
            "run 0",
            "git log -n 3",
            "run 0"
        ]
    );
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
}

/// Hooks and their outcomes killed at random points leave lines cut short (never answered),
/// which are recorded but are no break; the chain stays whole.
#[test]
fn hooks_killed_at_random_points_are_no_false_alarm() {
    use std::io::Write;
    let env = Env::new();
    runs(&env, 1);
    hook_calls(&env, 1..=10);
    let mut delay = 0u64;
    for i in 0..30u32 {
        let mut child = env
            .gate()
            .args(["hook", "claude-code"])
            .command()
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Every third one is the outcome of a call that was answered (so its PostToolUse
        // would come); the others are calls killed before they answer (so none would).
        let input = if i % 3 == 2 {
            post_tool_use("git log", &format!("tu-{}", i / 3 + 1))
        } else {
            pre_tool_use("git status", &format!("k-{i}"))
        };
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        delay = (delay * 7 + 1 + u64::from(i)) % 12;
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
    }
    hook_calls(&env, 11..=11);
    runs(&env, 1);
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
}

/// A ledger and an intake left by a gate before numbered intake lines (schema 1, lines chained
/// from zeros with no header and no numbers): migrated, chained as they are, then the intake is
/// set up and used as any other.
#[test]
fn an_old_ledger_and_its_old_intake_are_taken_over() {
    use hmac::{Hmac, Mac};
    let env = Env::new();
    runs(&env, 1);
    env.sql("DROP INDEX events_intake_marks; PRAGMA user_version = 1")
        .unwrap();
    let key = std::fs::read(env.state("ledger.db.key")).unwrap();
    let mut old = String::new();
    let mut prev = [0u8; 32];
    for (i, command) in ["git status", "git diff"].iter().enumerate() {
        let data = serde_json::json!({"command": ["/bin/sh", "-c", command], "script": command});
        let json = serde_json::json!({"events": [{
            "request": format!("oldreq{i}"),
            "time": format!("2026-01-01T00:00:0{i}.000Z"),
            "kind": "request",
            "data": data.to_string(),
        }]})
        .to_string();
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
        m.update(&prev);
        m.update(json.as_bytes());
        prev = m.finalize().into_bytes().into();
        old.push_str(&format!("{json}\t{}\n", hex::encode(prev)));
    }
    std::fs::write(intake(&env), old).unwrap();

    hook_calls(&env, 1..=2);
    runs(&env, 1);
    assert_eq!(
        commands(&env),
        [
            "run 0",
            "git status",
            "git diff",
            "git log -n 1",
            "git log -n 2",
            "run 0"
        ]
    );
    let (rc, v) = verify(&env);
    assert_eq!(rc, 0, "{v}");
    let schema: i64 = rusqlite::Connection::open(env.ledger())
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(schema, 3, "the newest schema (003_seals)");
}
