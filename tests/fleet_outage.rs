//! PostgreSQL stopped under load (`pg_ctl stop -m fast` on a server of this test's own) while a
//! host keeps running commands and its shipper is shipping: allowed runs go on through the
//! spool without waiting, an ask fails at once (69) and runs nothing, and once the server is
//! back every event reaches the host's stream, nothing lost or doubled, and the fleet verifies.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::Env;
use support::pg;

fn wait_for(done: &AtomicUsize, n: usize) {
    let until = Instant::now() + Duration::from_secs(60);
    while done.load(Ordering::SeqCst) < n {
        assert!(
            Instant::now() < until,
            "the runs stalled at {}",
            done.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn pg_ctl_stop_under_load_loses_nothing_and_runs_nothing_unapproved() {
    let Some(server) = pg::dedicated(
        "pg_ctl_stop_under_load_loses_nothing_and_runs_nothing_unapproved",
        "",
        &|_, _| Ok(()),
    ) else {
        return;
    };
    let db = server.pg.database();
    db.init();
    let role = db.role("build1", "gate_host");
    let approver = db.role("alice", "gate_approver");
    let env = Env::with_policy(&format!(
        r#"
[defaults]
channels = ["local"]
timeout = "30s"

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
approvers = ["pg:{approver}"]
"#
    ))
    .var("GATE_FLEET", db.url_as(&role))
    .var("GATE_FLEET_SEAL_EVERY", "never");

    // The load: 30 allowed runs, one after another, on a thread of their own.
    const RUNS: usize = 30;
    let commands: Vec<std::process::Command> = (0..RUNS)
        .map(|i| {
            env.gate()
                .args(["--", "echo", &format!("run-{i}")])
                .command()
        })
        .collect();
    let done = Arc::new(AtomicUsize::new(0));
    let slow = Arc::new(AtomicUsize::new(0));
    let load = {
        let done = Arc::clone(&done);
        let slow = Arc::clone(&slow);
        std::thread::spawn(move || {
            for mut c in commands {
                let started = Instant::now();
                let out = c.output().expect("run gate");
                assert!(out.status.success(), "an allowed run failed: {out:?}");
                if started.elapsed() > Duration::from_secs(3) {
                    slow.fetch_add(1, Ordering::SeqCst);
                }
                done.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    wait_for(&done, 10);
    server.stop_now();
    let stopped_at = done.load(Ordering::SeqCst);

    // Attack: while the fleet is down an ask must not run (and must not hang).
    let marker = env.home().join("touched");
    let started = Instant::now();
    let ask = env
        .gate()
        .args(["--", "touch", marker.to_str().unwrap()])
        .run();
    assert_eq!(ask.code, 69, "{}{}", ask.stdout, ask.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the ask waited {:?} for a fleet that is down",
        started.elapsed()
    );
    assert!(!marker.exists(), "the ask ran its command");

    wait_for(&done, (stopped_at + 10).min(RUNS));
    server.start_again();
    load.join().unwrap();
    assert_eq!(
        slow.load(Ordering::SeqCst),
        0,
        "allowed runs waited for the fleet"
    );

    // Back: everything reaches the stream (the shipper retries; `gate fleet ship` to be sure).
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let out = env.gate().args(["fleet", "ship", "--json"]).run();
        if out.code == 0 {
            let shipped = &out.json_lines()[0];
            assert_eq!(
                shipped["to"].as_i64(),
                Some(env.ledger_events().len() as i64),
                "{}",
                out.stdout
            );
            break;
        }
        assert!(Instant::now() < until, "never shipped: {}", out.stderr);
        std::thread::sleep(Duration::from_millis(200));
    }
    let auditor = db.role("audit", "gate_auditor");
    let reader = Env::new().var("GATE_FLEET", db.url_as(&auditor));
    let logged = reader
        .gate()
        .args(["log", "--fleet", "--json", "-n", "1000"])
        .status(0)
        .run()
        .json_lines();
    // Each run once, and the refused ask once.
    assert_eq!(logged.len(), RUNS + 1, "{logged:?}");
    let mut ids: Vec<&str> = logged.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RUNS + 1);
    let ask_record = logged
        .iter()
        .find(|r| r["command"][0] == "touch")
        .expect("the ask is in the fleet");
    assert_ne!(ask_record["status"], "ran", "{ask_record}");
    reader.gate().args(["verify", "--fleet"]).status(0).run();
}
