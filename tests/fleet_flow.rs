//! A fleet at work on a real PostgreSQL: hosts as gate processes with their own roles and
//! homes, approvers with theirs. The hot path stays local (no connection, the spool shipped in
//! the background, bounded), asks wait in the shared ledger and are settled from another
//! "host" by a person's own role, a killed waiter shows as gone; attacks first: a host voting,
//! a host forging a person's vote in its own stream, a person voting as another, a person
//! approving their own request through a linked identity.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::pg::{self, Db};
use support::runner::skip_under_agent;
use support::{Env, finish};

/// A host: its own home and ledger, its own login role, a policy whose `touch` asks `approver`.
fn host(db: &Db, short: &str, approver: &str) -> (Env, String) {
    let role = db.role(short, "gate_host");
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
    .var("GATE_FLEET", db.url_as(&role));
    (env, role)
}

/// A person: a home of their own, answering as role `role`.
fn person(db: &Db, role: &str) -> Env {
    Env::new().var("GATE_FLEET_APPROVER", db.url_as(role))
}

/// What PostgreSQL said.
fn message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

fn whoami() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `gate ARGS` under a PTY, as a person types it.
fn from_terminal(env: &Env, args: &[&str]) -> (i32, String) {
    let cmd = env.gate().args(args);
    let mut p =
        rexpect::session::spawn_command(cmd.command(), Some(15000)).expect("spawn under a PTY");
    let text = p.exp_eof().unwrap_or_default();
    let code = match p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, c)) => c,
        other => panic!("gate under a PTY: {other:?}"),
    };
    (code, text)
}

/// The id of the one request the fleet lists for `approver` (waits up to 15 s).
fn wait_listed(approver: &Env) -> String {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let out = approver.gate().args(["pending", "--fleet", "--json"]).run();
        if let Some(line) = out.json_lines().first() {
            return line["id"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < until,
            "nothing listed: {} {}",
            out.stdout,
            out.stderr
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn head_seq(db: &Db, role: &str) -> i64 {
    db.admin()
        .query_opt(
            "SELECT head_seq FROM gate.streams WHERE stream = $1",
            &[&role],
        )
        .unwrap()
        .map(|r| r.get(0))
        .unwrap_or(0)
}

/// Wait until the stream holds every event of the host's local ledger (the shipper's lag).
fn wait_shipped(db: &Db, env: &Env, role: &str) -> Duration {
    let started = Instant::now();
    loop {
        let local = env.ledger_events().len() as i64;
        if local > 0 && head_seq(db, role) == local {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not shipped in 10 s: stream at {}, ledger at {local}; the shipper's mark: {}",
            head_seq(db, role),
            std::fs::read_to_string(env.ledger().with_extension("db.shipped")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_allowed_run_opens_no_connection_even_when_the_fleet_hangs() {
    // A "server" that accepts and never answers: any connection on the hot path would hang.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hang.local_addr().unwrap().port();
    let env = Env::with_policy("").var(
        "GATE_FLEET",
        format!("postgres://build@127.0.0.1:{port}/gate?sslmode=disable&connect_timeout=30"),
    );
    let started = Instant::now();
    env.gate().args(["--", "true"]).status(0).run();
    env.gate()
        .args(["--", "echo", "look-alike"])
        .status(0)
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "allowed runs waited for the fleet: {:?}",
        started.elapsed()
    );
    // Both are in the local spool.
    assert_eq!(env.log().len(), 2);
}

#[test]
fn allowed_and_denied_runs_are_shipped_in_the_background_with_their_hashes() {
    let Some(db) =
        pg::fleet("allowed_and_denied_runs_are_shipped_in_the_background_with_their_hashes")
    else {
        return;
    };
    let (env, role) = host(&db, "build1", "nobody");
    env.gate().args(["--", "true"]).status(0).run();
    env.gate().args(["--", "rm", "-rf", "/"]).status(77).run();
    let lag = wait_shipped(&db, &env, &role);
    eprintln!("ship lag: {lag:?}");
    // Same chain, byte for byte: the stream's head hash is the file's.
    let local: Vec<u8> = rusqlite::Connection::open(env.ledger())
        .unwrap()
        .query_row(
            "SELECT hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let head: Vec<u8> = db
        .admin()
        .query_one(
            "SELECT head_hash FROM gate.streams WHERE stream = $1",
            &[&role],
        )
        .unwrap()
        .get(0);
    assert_eq!(hex::encode(head), hex::encode(local));
    let audit = db.role("audit", "gate_auditor");
    Env::new()
        .gate()
        .args(["verify", "--fleet"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(0)
        .run();
    // `gate fleet ship` by hand: nothing left, once what the runs left in the hook's intake
    // is chained (a reader does it) and the background shipper has shipped that too.
    env.gate().arg("log").status(0).run();
    wait_shipped(&db, &env, &role);
    env.gate()
        .args(["fleet", "ship"])
        .status(0)
        .stdout_contains("nothing to ship")
        .run();
}

#[test]
fn a_full_spool_fails_closed_while_the_fleet_is_down() {
    // A closed port: PostgreSQL down.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::with_policy("")
        .var(
            "GATE_FLEET",
            format!("postgres://build@127.0.0.1:{port}/gate?sslmode=disable"),
        )
        .var("GATE_FLEET_SPOOL_MAX", "2");
    env.gate().args(["--", "true"]).status(0).run();
    // The shipper starts, fails, and writes what it found.
    let until = Instant::now() + Duration::from_secs(10);
    let mark = env.ledger().with_extension("db.shipped");
    while !mark.exists() {
        assert!(Instant::now() < until, "no mark at {}", mark.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = env.gate().args(["--", "true"]).status(74).run();
    assert!(
        out.stderr.contains("the spool holds") && out.stderr.contains("gate fleet ship"),
        "{}",
        out.stderr
    );
    // And `gate fleet ship` says why.
    let out = env.gate().args(["fleet", "ship"]).run();
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
}

#[test]
fn an_ask_fails_at_once_when_the_fleet_is_down() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::with_policy(
        r#"
[defaults]
channels = ["local"]

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
"#,
    )
    .var(
        "GATE_FLEET",
        format!("postgres://build@127.0.0.1:{port}/gate?sslmode=disable"),
    );
    let started = Instant::now();
    let file = env.path("made");
    let out = env.gate().args(["--", "touch"]).arg(&file).status(69).run();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(out.stderr.contains("fleet"), "{}", out.stderr);
    assert!(!file.exists());
}

#[test]
fn a_request_approved_on_another_host_runs_there() {
    if skip_under_agent("a_request_approved_on_another_host_runs_there") {
        return;
    }
    let Some(db) = pg::fleet("a_request_approved_on_another_host_runs_there") else {
        return;
    };
    let alice = db.role("alice", "gate_approver");
    let (env, role) = host(&db, "build2", &alice);
    let file = env.path("approved");
    let waiting = env
        .gate()
        .args(["--reason", "deploy", "--", "touch"])
        .arg(&file)
        .spawn();
    let approver = person(&db, &alice);
    let id = wait_listed(&approver);
    let listed = approver.gate().args(["pending", "--fleet"]).run();
    assert!(
        listed.stdout.contains(&id) && listed.stdout.contains(&role),
        "{}",
        listed.stdout
    );
    let started = Instant::now();
    let (code, text) = from_terminal(&approver, &["approve", &id[..6]]);
    assert_eq!(code, 0, "{text}");
    let out = finish(waiting);
    eprintln!("vote to exit: {:?}", started.elapsed());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(file.exists());
    // The host's own chain holds the vote as PostgreSQL authored it.
    let show = env.show(&id);
    let votes = support::events(&show, "vote");
    assert!(
        votes
            .iter()
            .any(|v| v["approver"] == format!("pg:{alice}") && v["channel"] == "fleet"),
        "{show}"
    );
    wait_shipped(&db, &env, &role);
    let audit = db.role("audit", "gate_auditor");
    Env::new()
        .gate()
        .args(["verify", "--fleet"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(0)
        .run();
    // Settled: no longer listed, and a second answer is refused with why.
    assert!(
        approver
            .gate()
            .args(["pending", "--fleet", "--json"])
            .run()
            .json_lines()
            .is_empty()
    );
    let (code, text) = from_terminal(&approver, &["deny", &id]);
    assert_eq!(code, 64, "{text}");
    assert!(text.contains("not waiting"), "{text}");
}

#[test]
fn a_deny_on_another_host_stops_the_command() {
    if skip_under_agent("a_deny_on_another_host_stops_the_command") {
        return;
    }
    let Some(db) = pg::fleet("a_deny_on_another_host_stops_the_command") else {
        return;
    };
    let bob = db.role("bob", "gate_approver");
    let (env, _) = host(&db, "build3", &bob);
    let file = env.path("denied");
    let waiting = env.gate().args(["--", "touch"]).arg(&file).spawn();
    let approver = person(&db, &bob);
    let id = wait_listed(&approver);
    let (code, text) = from_terminal(&approver, &["deny", &id, "--comment", "not now"]);
    assert_eq!(code, 0, "{text}");
    let out = finish(waiting);
    assert_eq!(out.code, 77, "{}", out.stderr);
    assert!(!file.exists());
}

#[test]
fn a_host_cannot_vote_nor_forge_a_persons_vote_in_its_own_stream() {
    let Some(db) = pg::fleet("a_host_cannot_vote_nor_forge_a_persons_vote_in_its_own_stream")
    else {
        return;
    };
    let carol = db.role("carol", "gate_approver");
    let (env, role) = host(&db, "build4", &carol);
    let file = env.path("forged");
    let waiting = env
        .gate()
        .args(["--timeout", "4s", "--", "touch"])
        .arg(&file)
        .spawn();
    let approver = person(&db, &carol);
    let id = wait_listed(&approver);
    let mut as_host = db.connect_as(&role);
    // The vote function is for people.
    let vote = format!(r#"{{"approver":"pg:{carol}","verdict":"approve"}}"#);
    let err = as_host
        .query("SELECT * FROM gate.vote($1, $2)", &[&id, &vote])
        .expect_err("a host voted");
    assert!(message(&err).contains("permission denied"), "{err:?}");
    // A vote written into the host's own stream is the host's word, not carol's.
    as_host
        .query(
            "SELECT * FROM gate.append($1, $2, $3, $4)",
            &[
                &vec![id.clone()],
                &vec!["2026-01-01T00:00:00.000Z".to_string()],
                &vec!["vote".to_string()],
                &vec![vote.clone()],
            ],
        )
        .unwrap();
    let out = finish(waiting);
    assert_eq!(out.code, 75, "a forged vote approved it: {}", out.stderr);
    assert!(!file.exists());
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
}

#[test]
fn a_person_cannot_vote_as_another_role() {
    let Some(db) = pg::fleet("a_person_cannot_vote_as_another_role") else {
        return;
    };
    let dave = db.role("dave", "gate_approver");
    let erin = db.role("erin", "gate_approver");
    let (env, _) = host(&db, "build5", &dave);
    let waiting = env
        .gate()
        .args(["--timeout", "5s", "--", "touch"])
        .arg(env.path("x"))
        .spawn();
    let id = wait_listed(&person(&db, &dave));
    let vote = format!(r#"{{"approver":"pg:{dave}","verdict":"approve"}}"#);
    let err = db
        .connect_as(&erin)
        .query("SELECT * FROM gate.vote($1, $2)", &[&id, &vote])
        .expect_err("erin voted as dave");
    assert!(message(&err).contains("must say approver"), "{err:?}");
    // Erin's own vote is hers, and she is not this rule's approver: refused by the waiter.
    let own = format!(r#"{{"approver":"pg:{erin}","verdict":"approve"}}"#);
    db.connect_as(&erin)
        .query("SELECT * FROM gate.vote($1, $2)", &[&id, &own])
        .unwrap();
    let out = finish(waiting);
    assert_eq!(out.code, 75, "{}", out.stderr);
    assert!(
        out.stderr.contains("not among the approvers"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_person_linked_to_the_requester_cannot_approve_it() {
    if skip_under_agent("a_person_linked_to_the_requester_cannot_approve_it") {
        return;
    }
    let Some(db) = pg::fleet("a_person_linked_to_the_requester_cannot_approve_it") else {
        return;
    };
    let frank = db.role("frank", "gate_approver");
    // The administrator links frank's role to the OS user who runs the host's gate.
    db.admin()
        .execute(
            "INSERT INTO gate.people (role, os_users) VALUES ($1, $2)",
            &[&frank, &vec![whoami()]],
        )
        .unwrap();
    let (env, _) = host(&db, "build6", &frank);
    let file = env.path("self");
    let waiting = env
        .gate()
        .args(["--timeout", "6s", "--", "touch"])
        .arg(&file)
        .spawn();
    let approver = person(&db, &frank);
    // Not listed as something frank may approve...
    std::thread::sleep(Duration::from_secs(2));
    let listed = approver.gate().args(["pending", "--fleet", "--json"]).run();
    assert!(listed.json_lines().is_empty(), "{}", listed.stdout);
    // ...and refused when tried.
    let id = db
        .admin()
        .query_one("SELECT request FROM gate.waits", &[])
        .unwrap()
        .get::<_, String>(0);
    let (code, text) = from_terminal(&approver, &["approve", &id]);
    assert_eq!(code, 77, "{text}");
    assert!(text.contains("nobody approves their own request"), "{text}");
    let out = finish(waiting);
    assert_ne!(out.code, 0);
    assert!(!file.exists());
}

#[test]
fn a_killed_waiter_shows_as_gone_and_takes_no_vote() {
    if skip_under_agent("a_killed_waiter_shows_as_gone_and_takes_no_vote") {
        return;
    }
    let Some(db) = pg::fleet("a_killed_waiter_shows_as_gone_and_takes_no_vote") else {
        return;
    };
    let gina = db.role("gina", "gate_approver");
    let (env, _) = host(&db, "build8", &gina);
    let file = env.path("gone");
    let mut waiting = env.gate().args(["--", "touch"]).arg(&file).spawn();
    let approver = person(&db, &gina);
    let id = wait_listed(&approver);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(waiting.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = waiting.wait();
    // The lease is 15 s; the administrator shortens this one so the test need not wait.
    db.admin()
        .execute(
            "UPDATE gate.waits SET lease = interval '1 second' WHERE request = $1",
            &[&id],
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let listed = approver.gate().args(["pending", "--fleet"]).run();
    assert!(
        listed.stdout.contains(&id) && listed.stdout.contains("gone"),
        "{}",
        listed.stdout
    );
    let (code, text) = from_terminal(&approver, &["approve", &id]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("gone"), "{text}");
    assert!(!file.exists());
}
