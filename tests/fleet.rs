//! The fleet on a real PostgreSQL (see `support/pg.rs` for where it comes from): the schema
//! `gate fleet init` makes, what a host role can and cannot do to the shared ledger (attacks
//! first), the chain PostgreSQL computes against the one gate computes, `gate verify --fleet`
//! and `gate ledger migrate` of a ledger gate wrote.

mod support;

use std::time::Instant;

use gate::ledger::chain;
use support::Env;
use support::pg::{self, Db};

/// A database of its own with `gate fleet init` run on it (twice: it is idempotent), or `None`
/// when there is no PostgreSQL here.
fn fleet(test: &str) -> Option<Db> {
    let db = pg::server(test)?.database();
    let env = Env::new();
    for _ in 0..2 {
        env.gate()
            .args(["fleet", "init"])
            .env("GATE_FLEET", db.admin_url())
            .status(0)
            .stdout_contains("fleet ready: schema gate (version 3)")
            .run();
    }
    Some(db)
}

/// Append events as `client`'s role, the way gate does.
fn append(
    client: &mut postgres::Client,
    events: &[(&str, &str, &str, &str)],
) -> Result<Vec<(i64, Vec<u8>)>, postgres::Error> {
    let col = |i: usize| -> Vec<String> {
        events
            .iter()
            .map(|e| [e.0, e.1, e.2, e.3][i].to_string())
            .collect()
    };
    Ok(client
        .query(
            "SELECT appended_seq, appended_hash FROM gate.append($1, $2, $3, $4)",
            &[&col(0), &col(1), &col(2), &col(3)],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

fn refused(result: Result<impl std::fmt::Debug, postgres::Error>, want: &str) {
    let err = result.expect_err("PostgreSQL should have refused it");
    let text = err
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| err.to_string());
    assert!(
        text.contains(want),
        "refused with {text:?}, expected {want:?}"
    );
}

const EVENTS: &[(&str, &str, &str, &str)] = &[
    (
        "r1",
        "2026-01-02T03:04:05.678Z",
        "request",
        r#"{"argv":["kubectl","delete","ns","prod"],"cwd":"/srv"}"#,
    ),
    (
        "r1",
        "2026-01-02T03:04:05.700Z",
        "decision",
        r#"{"decision":"ask","rules":["k8s"]}"#,
    ),
    (
        "r\"quote\\back",
        "t\n\u{1}\u{1f}",
        "kind\u{7f}",
        r#"{"s":"é ünï 🦀 \u2028 \" \\ \n"}"#,
    ),
    (
        "ünïcødé 🦀",
        "2026",
        "finished",
        r#"[1,2.5,null,true,{"a":{}}]"#,
    ),
];

#[test]
fn postgres_hashes_events_exactly_as_gate_does() {
    let Some(db) = fleet("postgres_hashes_events_exactly_as_gate_does") else {
        return;
    };
    let mut admin = db.admin();
    let mut prev = chain::GENESIS.to_vec();
    for (i, (request, time, kind, data)) in EVENTS.iter().enumerate() {
        let seq = i as i64 + 1;
        let row = admin
            .query_one(
                "SELECT gate.canonical($2, $3, $4, $5, $6), gate.event_hash($1, $2, $3, $4, $5, $6)",
                &[&prev, &seq, request, time, kind, data],
            )
            .unwrap();
        let (text, hash): (String, Vec<u8>) = (row.get(0), row.get(1));
        assert_eq!(text, chain::canonical(seq, request, time, kind, data));
        let ours = chain::event_hash(&prev, seq, request, time, kind, data);
        assert_eq!(hex::encode(&hash), hex::encode(ours), "event {seq}: {text}");
        prev = hash;
    }
    // And as a host appends them: the stream's chain is gate's chain.
    let host = db.role("build7", "gate_host");
    let appended = append(&mut db.connect_as(&host), EVENTS).unwrap();
    let mut prev = chain::GENESIS;
    for ((seq, hash), (request, time, kind, data)) in appended.iter().zip(EVENTS) {
        prev = chain::event_hash(&prev, *seq, request, time, kind, data);
        assert_eq!(hash[..], prev[..]);
    }
}

#[test]
fn init_makes_the_roles_and_owns_nothing_a_host_can_write() {
    let Some(db) = fleet("init_makes_the_roles_and_owns_nothing_a_host_can_write") else {
        return;
    };
    let mut admin = db.admin();
    for role in [
        "gate_owner",
        "gate_host",
        "gate_approver",
        "gate_relay",
        "gate_auditor",
    ] {
        let row = admin
            .query_one(
                "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1",
                &[&role],
            )
            .unwrap_or_else(|e| panic!("{role}: {e}"));
        assert!(!row.get::<_, bool>(0), "{role} must be NOLOGIN");
    }
    let owners: Vec<String> = admin
        .query(
            "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'gate'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, ["gate_owner"]);
    let public: i64 = admin
        .query_one(
            "SELECT count(*) FROM information_schema.role_table_grants WHERE table_schema = 'gate' AND grantee = 'PUBLIC'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(public, 0);
    let definer: (bool, Vec<String>) = {
        let r = admin
            .query_one(
                "SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'gate.append'::regproc",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(
        definer,
        (true, vec!["search_path=pg_catalog, pg_temp".to_string()])
    );
    let env = Env::new();
    let out = env
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", db.admin_url())
        .status(0)
        .run();
    let status = out.json();
    assert_eq!(status["schema_version"], "3");
    assert_eq!(status["hosts"], serde_json::json!([]));
}

#[test]
fn a_host_writes_only_through_append_and_only_into_its_own_stream() {
    let Some(db) = fleet("a_host_writes_only_through_append_and_only_into_its_own_stream") else {
        return;
    };
    let build7 = db.role("build7", "gate_host");
    let build8 = db.role("build8", "gate_host");
    append(&mut db.connect_as(&build8), &EVENTS[..1]).unwrap();
    let mut host = db.connect_as(&build7);
    append(&mut host, &EVENTS[..2]).unwrap();
    let denied = "permission denied";
    refused(
        host.execute(
            "INSERT INTO gate.events (stream, seq, request, time, kind, data, hash) VALUES (session_user, 3, 'r', 't', 'k', '{}', '\\x00')",
            &[],
        ),
        denied,
    );
    refused(
        host.execute("UPDATE gate.events SET data = '{}' WHERE seq = 1", &[]),
        denied,
    );
    refused(host.execute("DELETE FROM gate.events", &[]), denied);
    refused(host.execute("TRUNCATE gate.events", &[]), denied);
    // Nor rewrite a head, its own or another's.
    refused(
        host.execute(
            "UPDATE gate.streams SET head_seq = 0, head_hash = '\\x00'",
            &[],
        ),
        denied,
    );
    refused(host.execute("DELETE FROM gate.streams", &[]), denied);
    // Membership in another host's role does not move session_user: the append still lands
    // in the caller's own stream.
    db.admin()
        .batch_execute(&format!("GRANT {build8} TO {build7}"))
        .unwrap();
    host.batch_execute(&format!("SET ROLE {build8}")).unwrap();
    let appended = append(&mut host, &EVENTS[2..3]).unwrap();
    assert_eq!(appended[0].0, 3, "the third event of build7's own stream");
    host.batch_execute("RESET ROLE").unwrap();
    let heads: Vec<(String, i64)> = db
        .admin()
        .query(
            "SELECT stream::text, head_seq FROM gate.streams ORDER BY stream",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(heads, [(build7.clone(), 3), (build8.clone(), 1)]);
    // A host reads its own stream only.
    let seen: Vec<String> = host
        .query("SELECT DISTINCT stream::text FROM gate.events", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seen, std::slice::from_ref(&build7));
    // An approver is no host: it cannot append at all.
    let alice = db.role("alice", "gate_approver");
    refused(append(&mut db.connect_as(&alice), &EVENTS[..1]), denied);
    // Nor can a role with no gate group, even granted EXECUTE by mistake.
    let nobody = db.role("stranger", "pg_read_all_stats");
    db.admin()
        .batch_execute(&format!(
            "SET ROLE gate_owner; GRANT USAGE ON SCHEMA gate TO {nobody}; GRANT EXECUTE ON FUNCTION gate.append(text[], text[], text[], text[], bigint[], bytea[]) TO {nobody}; RESET ROLE;"
        ))
        .unwrap();
    refused(
        append(&mut db.connect_as(&nobody), &EVENTS[..1]),
        "is not a gate host",
    );
    // Even the owner's tables refuse changes while the triggers stand.
    let mut admin = db.admin();
    refused(
        admin.execute("UPDATE gate.events SET data = '{}'", &[]),
        "append-only",
    );
    refused(admin.execute("DELETE FROM gate.events", &[]), "append-only");
    refused(
        admin.execute("TRUNCATE gate.events CASCADE", &[]),
        "append-only",
    );
    refused(
        admin.execute(
            "UPDATE gate.streams SET head_seq = 1 WHERE stream = $1",
            &[&build7],
        ),
        "can only move forward",
    );
}

#[test]
fn a_forged_chain_is_refused() {
    let Some(db) = fleet("a_forged_chain_is_refused") else {
        return;
    };
    let host = db.role("build7", "gate_host");
    let mut client = db.connect_as(&host);
    let (request, time, kind, data) = EVENTS[0];
    let good = chain::event_hash(&chain::GENESIS, 1, request, time, kind, data).to_vec();
    let forged = chain::event_hash(&[7u8; 32], 1, request, time, kind, data).to_vec();
    let call = |client: &mut postgres::Client, seq: i64, hash: &Vec<u8>| {
        client.query(
            "SELECT * FROM gate.append(ARRAY[$1], ARRAY[$2], ARRAY[$3], ARRAY[$4], ARRAY[$5::bigint], ARRAY[$6::bytea])",
            &[&request, &time, &kind, &data, &seq, hash],
        )
    };
    refused(
        call(&mut client, 1, &forged),
        "does not chain to the one before it",
    );
    refused(
        call(&mut client, 2, &good),
        "cannot come next, the stream is at #0",
    );
    refused(
        client.query(
            "SELECT * FROM gate.append(ARRAY['r'], ARRAY['t'], ARRAY['k'], ARRAY['not json'])",
            &[],
        ),
        "invalid input syntax for type json",
    );
    call(&mut client, 1, &good).unwrap();
    refused(
        call(&mut client, 1, &good),
        "cannot come next, the stream is at #1",
    );
}

#[test]
fn verify_fleet_names_the_first_broken_event_of_each_stream() {
    let Some(db) = fleet("verify_fleet_names_the_first_broken_event_of_each_stream") else {
        return;
    };
    let build7 = db.role("build7", "gate_host");
    let build8 = db.role("build8", "gate_host");
    let audit = db.role("audit", "gate_auditor");
    append(&mut db.connect_as(&build7), EVENTS).unwrap();
    append(&mut db.connect_as(&build8), &EVENTS[..2]).unwrap();
    let env = Env::new();
    let verify = |status: i32| {
        env.gate()
            .args(["verify", "--fleet", "--json"])
            .env("GATE_FLEET", db.url_as(&audit))
            .status(status)
            .run()
            .json()
    };
    let report = verify(0);
    assert_eq!(report["ok"], true);
    assert_eq!(report["streams"][0]["events"], 4);
    assert_eq!(report["streams"][1]["events"], 2);
    // The owner can always change a row by turning the triggers off: the chain shows it.
    db.admin()
        .batch_execute(&format!(
            "SET ROLE gate_owner; ALTER TABLE gate.events DISABLE TRIGGER USER;
             UPDATE gate.events SET data = '{{\"decision\":\"allow\",\"rules\":[]}}' WHERE stream = '{build7}' AND seq = 2;
             ALTER TABLE gate.events ENABLE TRIGGER USER; RESET ROLE;"
        ))
        .unwrap();
    let report = verify(1);
    assert_eq!(report["ok"], false);
    let broken = &report["streams"][0];
    assert_eq!(broken["stream"], build7.as_str());
    assert_eq!(broken["first_broken"]["seq"], 2);
    assert_eq!(broken["first_broken"]["request"], "r1");
    assert_eq!(report["streams"][1]["ok"], true);
    // The newest events removed and the head set back to match: the head still names the end.
    db.admin()
        .batch_execute(&format!(
            "SET ROLE gate_owner; ALTER TABLE gate.events DISABLE TRIGGER USER;
             DELETE FROM gate.events WHERE stream = '{build8}' AND seq = 2;
             ALTER TABLE gate.events ENABLE TRIGGER USER; RESET ROLE;"
        ))
        .unwrap();
    let out = env
        .gate()
        .args(["verify", "--fleet"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(1)
        .run();
    assert!(
        out.stdout.contains(&format!(
            "BROKEN: stream {build7}: the chain breaks at event #2 (request r1)"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("BROKEN: stream {build8}: the chain breaks at event #2: the stream's head says #2 but its events end at #1")),
        "{}",
        out.stdout
    );
}

/// Every event of the SQLite ledger and of the host's stream, (seq, request, time, kind, data,
/// hash), oldest first.
type Row = (i64, String, String, String, String, Vec<u8>);

fn sqlite_rows(env: &Env) -> Vec<Row> {
    let conn = rusqlite::Connection::open(env.ledger()).unwrap();
    let mut stmt = conn
        .prepare("SELECT seq, request, time, kind, data, hash FROM events ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn stream_rows(db: &Db, stream: &str) -> Vec<Row> {
    db.admin()
        .query(
            "SELECT seq, request, time, kind, data, hash FROM gate.events WHERE stream = $1 ORDER BY seq",
            &[&stream],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect()
}

const DENY_RM: &str = r#"
[[rule]]
id = "no-rm"
command = "rm"
decision = "deny"
message = "not here"
"#;

#[test]
fn a_ledger_gate_wrote_migrates_with_its_hashes_and_a_rerun_changes_nothing() {
    let Some(db) =
        fleet("a_ledger_gate_wrote_migrates_with_its_hashes_and_a_rerun_changes_nothing")
    else {
        return;
    };
    let host = db.role("build7", "gate_host");
    // Written before this machine joined the fleet: no shipper moves it meanwhile.
    let env = Env::with_policy(DENY_RM);
    let url = db.url_as(&host);
    for _ in 0..3 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    env.gate()
        .args(["--", "rm", "-rf", "/nowhere"])
        .status(77)
        .run();
    env.gate()
        .args(["--", "sh", "-c", "exit 3"])
        .status(3)
        .run();
    let before = std::fs::read(env.ledger()).unwrap();
    // Interrupted half-way (at most 4 events this run), then finished by a rerun.
    let first = env
        .gate()
        .args(["ledger", "migrate", "--max-events", "4", "--json"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run()
        .json();
    assert_eq!(
        (first["from"].as_i64(), first["to"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(first["incomplete"], true);
    let rest = env
        .gate()
        .args(["ledger", "migrate", "--json"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run()
        .json();
    let file = sqlite_rows(&env);
    assert!(file.len() > 8, "{} events", file.len());
    assert_eq!(rest["from"], 4);
    assert_eq!(rest["to"].as_i64(), Some(file.len() as i64));
    assert_eq!(rest["incomplete"], false);
    assert_eq!(stream_rows(&db, &host), file, "row by row, hashes and all");
    // A rerun is a no-op.
    env.gate()
        .args(["ledger", "migrate"])
        .env("GATE_FLEET", &url)
        .status(0)
        .stdout_contains(&format!(
            "nothing to move: stream {host} already holds the {} events",
            file.len()
        ))
        .run();
    assert_eq!(stream_rows(&db, &host), file);
    // The file stays (the reads above do not change its content either).
    assert_eq!(sqlite_rows(&env), file);
    assert!(std::fs::read(env.ledger()).unwrap().len() >= before.len());
    // More runs later: the next migrate moves only those.
    env.gate().args(["--", "true"]).status(0).run();
    let more = env
        .gate()
        .args(["ledger", "migrate", "--json"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run()
        .json();
    assert_eq!(more["from"].as_i64(), Some(file.len() as i64));
    assert_eq!(stream_rows(&db, &host), sqlite_rows(&env));
    let audit = db.role("audit", "gate_auditor");
    env.gate()
        .args(["verify", "--fleet"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(0)
        .stdout_contains(&format!("ok: stream {host}"))
        .run();
}

#[test]
fn a_broken_ledger_is_refused_unless_accepted_and_another_history_always() {
    let Some(db) = fleet("a_broken_ledger_is_refused_unless_accepted_and_another_history_always")
    else {
        return;
    };
    let host = db.role("build7", "gate_host");
    let env = Env::new();
    let url = db.url_as(&host);
    for _ in 0..3 {
        env.gate().args(["--", "true"]).status(0).run();
    }
    env.sql("DROP TRIGGER events_append_only_update; UPDATE events SET data = '{}' WHERE seq = 4;")
        .unwrap();
    env.gate()
        .args(["ledger", "migrate"])
        .env("GATE_FLEET", &url)
        .status(1)
        .stdout_contains("refused: the ledger")
        .stdout_contains("breaks at event #4")
        .run();
    assert!(stream_rows(&db, &host).is_empty(), "nothing moved");
    let out = env
        .gate()
        .args(["ledger", "migrate", "--accept-broken", "--json"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run();
    let moved: serde_json::Value =
        serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        (moved["to"].as_i64(), moved["broken_at"].as_i64()),
        (Some(3), Some(4))
    );
    assert_eq!(stream_rows(&db, &host), sqlite_rows(&env)[..3]);
    // Another host's file cannot go into this stream.
    let other = Env::new();
    for _ in 0..4 {
        other.gate().args(["--", "true"]).status(0).run();
    }
    other
        .gate()
        .args(["ledger", "migrate"])
        .env("GATE_FLEET", &url)
        .status(74)
        .stderr_contains("holds another history")
        .run();
}

#[test]
fn fleet_commands_say_what_to_configure_and_gate_run_never_connects() {
    let env = Env::new();
    env.gate()
        .args(["fleet", "status"])
        .status(78)
        .stderr_contains("no fleet is configured: set GATE_FLEET=postgres://")
        .run();
    env.gate()
        .args(["fleet", "status"])
        .env("GATE_FLEET", "postgres://u@h/db?sslmod=require")
        .status(78)
        .stderr_contains("unknown parameter `sslmod`")
        .run();
    // Nothing listens there: a command that connected would fail, `gate --` does not try.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://h@127.0.0.1:{port}/db?sslmode=disable&connect_timeout=2");
    env.gate()
        .args(["--", "true"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run();
    env.gate()
        .args(["fleet", "status"])
        .env("GATE_FLEET", &url)
        .status(69)
        .stderr_contains("cannot connect to the fleet at postgres://h@127.0.0.1")
        .run();
    // A user policy cannot put the machine in a fleet, and no policy holds a password.
    env.policy("[fleet]\nurl = \"postgres://h@db/gate\"\n");
    env.gate()
        .args(["rules", "lint"])
        .status(78)
        .stderr_contains("only the system policy")
        .run();
}

/// The figures of the closing note: `cargo test --test fleet -- --ignored --nocapture figures`.
#[test]
#[ignore]
fn figures() {
    let Some(db) = fleet("figures") else {
        return;
    };
    let host = db.role("build7", "gate_host");
    let target = gate::fleet::config::resolve(
        &db.url_as(&host),
        "test",
        &gate::fleet::config::Vars::default(),
    )
    .unwrap();
    let mut connects = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let mut c = gate::fleet::connect::connect(&target).unwrap();
        c.query_one("SELECT 1", &[]).unwrap();
        connects.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut client = gate::fleet::connect::connect(&target).unwrap();
    append(&mut client, &EVENTS[..1]).unwrap();
    let mut appends = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        append(&mut client, &EVENTS[1..2]).unwrap();
        appends.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * p) as usize]
    };
    println!(
        "fresh connection + SELECT 1: p50 {:.2} ms, p90 {:.2} ms (20)",
        pct(&mut connects, 0.5),
        pct(&mut connects, 0.9)
    );
    println!(
        "append of one event (warm connection): p50 {:.2} ms, p99 {:.2} ms (200)",
        pct(&mut appends, 0.5),
        pct(&mut appends, 0.99)
    );
    // A 10k-event ledger, written with gate's own ledger code, then migrated by the binary.
    let other = db.role("build8", "gate_host");
    let env = Env::new();
    let url = db.url_as(&other);
    {
        let mut ledger =
            gate::ledger::Ledger::open(&env.ledger(), gate::policy::SyncMode::Normal).unwrap();
        for i in 0..10_000 {
            let id = format!("r{i}");
            ledger
                .append(&[gate::ledger::NewEvent::new(
                    &id,
                    gate::ledger::events::Kind::Request,
                    serde_json::json!({"argv": ["kubectl", "get", "pods", i], "cwd": "/srv/app"}),
                )])
                .unwrap();
        }
    }
    let t = Instant::now();
    let out = env
        .gate()
        .args(["ledger", "migrate", "--json"])
        .env("GATE_FLEET", &url)
        .status(0)
        .run()
        .json();
    println!(
        "gate ledger migrate of {} events: {:.0} ms wall (process, verify, connect, move; {} ms inside)",
        out["moved"],
        t.elapsed().as_secs_f64() * 1e3,
        out["ms"]
    );
    let t = Instant::now();
    env.gate()
        .args(["ledger", "migrate"])
        .env("GATE_FLEET", &url)
        .status(0)
        .stdout_contains("nothing to move")
        .run();
    println!("a rerun (no-op): {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let audit = db.role("audit", "gate_auditor");
    let t = Instant::now();
    env.gate()
        .args(["verify", "--fleet"])
        .env("GATE_FLEET", db.url_as(&audit))
        .status(0)
        .run();
    println!(
        "gate verify --fleet over 10,202 events: {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
}
