//! Reading the fleet's shared ledger: `gate log|show|export --fleet` list every host's requests
//! (each from the host stream that holds it), with the same filters and shapes as a host's own
//! ledger; a role outside the fleet's groups reads nothing; and the seals over all heads
//! (`gate fleet seal`), which `gate verify --fleet` checks, so that history rewritten below a
//! posted seal is found even when every stream's chain is rebuilt to match.

mod support;

use std::time::{Duration, Instant};

use support::Env;
use support::pg::{self, Db};

/// A host with its own role: `rm` is denied, the rest allowed. Its shipper does not seal (the
/// seal tests seal by hand).
fn host(db: &Db, short: &str) -> (Env, String) {
    let role = db.role(short, "gate_host");
    let env = Env::with_policy(
        r#"
[[rule]]
id = "no-rm"
command = "rm"
decision = "deny"
"#,
    )
    .var("GATE_FLEET", db.url_as(&role))
    .var("GATE_FLEET_SEAL_EVERY", "never");
    (env, role)
}

/// Ship the host's spool now and check that all of it arrived.
fn ship(env: &Env) {
    let out = env.gate().args(["fleet", "ship", "--json"]).status(0).run();
    let report = &out.json_lines()[0];
    assert_eq!(
        report["to"].as_i64(),
        Some(env.ledger_events().len() as i64),
        "{}",
        out.stdout
    );
}

fn auditor(db: &Db, short: &str) -> Env {
    let role = db.role(short, "gate_auditor");
    Env::new().var("GATE_FLEET", db.url_as(&role))
}

#[test]
fn log_export_and_show_read_every_hosts_requests_from_the_fleet() {
    let Some(db) = pg::fleet("log_export_and_show_read_every_hosts_requests_from_the_fleet") else {
        return;
    };
    let (a, role_a) = host(&db, "build1");
    let (b, role_b) = host(&db, "build2");
    a.gate().args(["--", "true"]).status(0).run();
    b.gate().args(["--", "echo", "from-b"]).status(0).run();
    b.gate().args(["--", "rm", "-f", "/nonexistent/x"]).run();
    ship(&a);
    ship(&b);

    let reader = auditor(&db, "audit");
    let out = reader
        .gate()
        .args(["log", "--fleet", "--json"])
        .status(0)
        .run();
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    // Newest first, each naming its stream.
    assert_eq!(lines[0]["command"][0], "rm");
    assert_eq!(lines[0]["stream"], role_b.as_str());
    assert_eq!(lines[0]["decision"], "deny");
    assert_eq!(lines[2]["command"][0], "true");
    assert_eq!(lines[2]["stream"], role_a.as_str());
    // The same ids as the hosts' own ledgers.
    let local_a = a.log();
    assert_eq!(lines[2]["id"], local_a[0]["id"]);

    // Filters work as on a host.
    let denied = reader
        .gate()
        .args(["log", "--fleet", "--json", "--decision", "deny"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["command"][0], "rm");
    let limited = reader
        .gate()
        .args(["log", "--fleet", "--json", "-n", "1"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(limited.len(), 1);
    let none = reader
        .gate()
        .args(["log", "--fleet", "--json", "--since", "2099-01-01"])
        .status(0)
        .run();
    assert_eq!(none.stdout, "");

    // The table names the host of each request.
    let table = reader
        .gate()
        .args(["log", "--fleet", "--wide"])
        .status(0)
        .run();
    assert!(table.stdout.contains("echo from-b"), "{}", table.stdout);

    // Export: oldest first, the jsonl and csv shapes of a host.
    let jsonl = reader
        .gate()
        .args(["export", "--fleet"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(jsonl.len(), 3);
    assert_eq!(jsonl[0]["command"][0], "true");
    let csv = reader
        .gate()
        .args(["export", "--fleet", "--format", "csv"])
        .status(0)
        .run();
    assert_eq!(csv.stdout.lines().count(), 4, "{}", csv.stdout);

    // Show: one request by a prefix of its id, with its timeline.
    let id = lines[1]["id"].as_str().unwrap();
    let shown = reader
        .gate()
        .args(["show", "--fleet", &id[..8]])
        .status(0)
        .run();
    assert!(shown.stdout.contains("echo from-b"), "{}", shown.stdout);
    assert!(shown.stdout.contains(&role_b), "{}", shown.stdout);
    let json = reader
        .gate()
        .args(["show", "--fleet", "--json", id])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(json[0]["id"], id);
    assert_eq!(json[0]["stream"], role_b.as_str());
    assert!(json[0]["events"].as_array().unwrap().len() >= 2);
    // An unknown id says so (exit 64), naming the fleet.
    let unknown = reader
        .gate()
        .args(["show", "--fleet", "ffffffffffff"])
        .status(64)
        .run();
    assert!(unknown.stderr.contains("no request"), "{}", unknown.stderr);
}

#[test]
fn a_role_outside_the_fleets_groups_reads_nothing() {
    let Some(db) = pg::fleet("a_role_outside_the_fleets_groups_reads_nothing") else {
        return;
    };
    let (a, _) = host(&db, "build1");
    a.gate().args(["--", "true"]).status(0).run();
    ship(&a);
    // A login role of the same database, granted none of gate's groups.
    let stranger = format!("{}_stranger", db.name);
    db.admin()
        .batch_execute(&format!("CREATE ROLE {stranger} LOGIN"))
        .unwrap();
    let env = Env::new().var("GATE_FLEET", db.url_as(&stranger));
    for args in [
        &["log", "--fleet"][..],
        &["export", "--fleet"],
        &["show", "--fleet", "abc"],
    ] {
        let out = env.gate().args(args).status(69).run();
        // Nothing read (an export reports its error as JSON on stdout, in gate.error/1).
        assert!(
            !out.stdout.contains("\"command\""),
            "{args:?}: {}",
            out.stdout
        );
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("refused"), "{args:?}: {said}");
    }
}

/// The newest seal's heads, as `gate fleet seal --json` reports them.
fn seal(env: &Env) -> serde_json::Value {
    let out = env.gate().args(["fleet", "seal", "--json"]).status(0).run();
    out.json_lines()[0].clone()
}

#[test]
fn a_seal_covers_every_head_and_verify_finds_history_rewritten_below_it() {
    let Some(db) =
        pg::fleet("a_seal_covers_every_head_and_verify_finds_history_rewritten_below_it")
    else {
        return;
    };
    let (a, role_a) = host(&db, "build1");
    let (b, role_b) = host(&db, "build2");
    a.gate().args(["--", "true"]).status(0).run();
    b.gate().args(["--", "echo", "hi"]).status(0).run();
    ship(&a);
    ship(&b);
    let sealed = seal(&a);
    assert_eq!(sealed["n"], 1, "{sealed}");
    let heads = sealed["heads"].as_object().unwrap();
    assert_eq!(heads.len(), 2, "{sealed}");
    assert!(heads.contains_key(&role_a) && heads.contains_key(&role_b));
    // Nothing new: no new seal (the same one is reported).
    assert_eq!(seal(&b)["n"], 1);
    // More events: the next seal chains to the first.
    a.gate().args(["--", "echo", "more"]).status(0).run();
    ship(&a);
    let next = seal(&a);
    assert_eq!(next["n"], 2);
    assert_eq!(next["prev"], sealed["hash"]);
    let auditor = auditor(&db, "audit");
    let ok = auditor
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(ok[0]["seals"]["checked"], 2, "{}", ok[0]);

    // Attack: the owner rewrites host b's only event and rebuilds its chain and head so that
    // the stream verifies on its own; the seal still names the old head.
    let mut admin = db.admin();
    admin
        .batch_execute(&format!(
            "SET ROLE gate_owner;
             ALTER TABLE gate.events DISABLE TRIGGER events_append_only;
             ALTER TABLE gate.streams DISABLE TRIGGER streams_head_forward;
             UPDATE gate.events SET data = replace(data, 'hi', 'ho') WHERE stream = '{role_b}';
             UPDATE gate.events e SET hash = gate.event_hash(decode(repeat('00', 32), 'hex'), e.seq, e.request, e.time, e.kind, e.data)
                 WHERE e.stream = '{role_b}' AND e.seq = 1;
             ALTER TABLE gate.events ENABLE TRIGGER events_append_only;
             ALTER TABLE gate.streams ENABLE TRIGGER streams_head_forward;"
        ))
        .unwrap();
    // Rebuild the rest of b's chain and its head from the rewritten first event.
    let rows = admin
        .query(
            "SELECT seq, request, time, kind, data FROM gate.events WHERE stream = $1 ORDER BY seq",
            &[&role_b],
        )
        .unwrap();
    admin
        .batch_execute(
            "SET ROLE gate_owner;
             ALTER TABLE gate.events DISABLE TRIGGER events_append_only;
             ALTER TABLE gate.streams DISABLE TRIGGER streams_head_forward;",
        )
        .unwrap();
    for r in rows.iter().skip(1) {
        let seq: i64 = r.get(0);
        admin
            .execute(
                "UPDATE gate.events e SET hash = gate.event_hash(
                     (SELECT p.hash FROM gate.events p WHERE p.stream = e.stream AND p.seq = e.seq - 1),
                     e.seq, e.request, e.time, e.kind, e.data)
                 WHERE e.stream = $1 AND e.seq = $2",
                &[&role_b, &seq],
            )
            .unwrap();
    }
    admin
        .execute(
            "UPDATE gate.streams s SET head_hash = (SELECT hash FROM gate.events e WHERE e.stream = s.stream ORDER BY seq DESC LIMIT 1)
             WHERE s.stream = $1",
            &[&role_b],
        )
        .unwrap();
    admin
        .batch_execute(
            "ALTER TABLE gate.events ENABLE TRIGGER events_append_only;
             ALTER TABLE gate.streams ENABLE TRIGGER streams_head_forward;",
        )
        .unwrap();
    let broken = auditor
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(1)
        .run()
        .json_lines();
    let report = &broken[0];
    assert_eq!(report["ok"], false, "{report}");
    // Every stream's own chain holds: only the seal shows the rewrite.
    assert!(
        report["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ok"] == true),
        "{report}"
    );
    let problem = report["seals"]["first_broken"]["problem"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(problem.contains(&role_b), "{report}");
}

#[test]
fn the_shipper_seals_after_shipping() {
    let Some(db) = pg::fleet("the_shipper_seals_after_shipping") else {
        return;
    };
    let (a, _) = host(&db, "build1");
    let a = a.var("GATE_FLEET_SEAL_EVERY", "0s");
    a.gate().args(["--", "true"]).status(0).run();
    // The background shipper ships, then seals: wait for the seal.
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let n: i64 = db
            .admin()
            .query_one("SELECT count(*) FROM gate.seals", &[])
            .unwrap()
            .get(0);
        if n > 0 {
            break;
        }
        assert!(Instant::now() < until, "no seal within 15 s of shipping");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fleet_status_shows_the_newest_seal_and_this_hosts_spool() {
    let Some(db) = pg::fleet("fleet_status_shows_the_newest_seal_and_this_hosts_spool") else {
        return;
    };
    let (a, role_a) = host(&db, "build1");
    a.gate().args(["--", "true"]).status(0).run();
    ship(&a);
    let sealed = seal(&a);
    let mine = a
        .gate()
        .args(["fleet", "status", "--json"])
        .status(0)
        .run()
        .json_lines()[0]
        .clone();
    assert_eq!(mine["spool"]["stream"], role_a.as_str(), "{mine}");
    assert_eq!(mine["spool"]["backlog"], 0, "{mine}");
    assert_eq!(mine["spool"]["shipped"], mine["spool"]["head"], "{mine}");
    // A host may not read the seals: none is shown to it.
    assert!(mine["newest_seal"].is_null(), "{mine}");
    let audit = auditor(&db, "audit");
    let theirs = audit
        .gate()
        .args(["fleet", "status", "--json"])
        .status(0)
        .run()
        .json_lines()[0]
        .clone();
    assert_eq!(theirs["newest_seal"]["n"], sealed["n"], "{theirs}");
    assert_eq!(theirs["newest_seal"]["hash"], sealed["hash"], "{theirs}");
    // The auditor's machine ships nothing: no spool.
    assert!(theirs["spool"].is_null(), "{theirs}");
    let text = audit.gate().args(["fleet", "status"]).status(0).run();
    assert!(text.stdout.contains("newest seal #"), "{}", text.stdout);
}

#[test]
fn a_seal_is_posted_to_the_webhook_as_checkpoints_are() {
    let Some(db) = pg::fleet("a_seal_is_posted_to_the_webhook_as_checkpoints_are") else {
        return;
    };
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let s = std::sync::Arc::clone(&seen);
    let url = support::http::serve(std::sync::Arc::new(
        move |req: &support::http::HttpRequest| {
            if let Ok(v) = serde_json::from_slice(&req.body) {
                s.lock().unwrap().push(v);
            }
            support::http::HttpResponse::json(200, serde_json::json!({}))
        },
    ));
    let role = db.role("build1", "gate_host");
    let env = Env::with_policy(&format!(
        "[defaults]\ndecision = \"allow\"\n\n[webhook]\nurl = \"{url}/hook\"\n"
    ))
    .var("GATE_WEBHOOK_SECRET", "s3cret")
    .var("GATE_FLEET", db.url_as(&role))
    .var("GATE_FLEET_SEAL_EVERY", "never");
    env.gate().args(["--", "true"]).status(0).run();
    ship(&env);
    let sealed = seal(&env);
    assert_eq!(sealed["made"], true);
    // Posted in the background, like a checkpoint.
    let until = Instant::now() + Duration::from_secs(15);
    let body = loop {
        let got = seen
            .lock()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == "fleet_seals")
            .cloned();
        if let Some(b) = got {
            break b;
        }
        assert!(Instant::now() < until, "the seal was not posted");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(body["seals"][0]["n"], sealed["n"], "{body}");
    assert_eq!(body["seals"][0]["hash"], sealed["hash"], "{body}");
    // Sent once: posting again sends nothing new.
    let again = env
        .gate()
        .args(["checkpoints", "post", "--json"])
        .status(0)
        .run()
        .json_lines();
    let seals = again[0]["posted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["destination"] == "webhook-seals")
        .cloned()
        .expect("the seals' destination is reported");
    assert_eq!(seals["sent"], 0, "{}", again[0]);
}

#[test]
fn a_host_verifies_its_own_stream_and_says_the_seals_are_not_its_to_check() {
    let Some(db) =
        pg::fleet("a_host_verifies_its_own_stream_and_says_the_seals_are_not_its_to_check")
    else {
        return;
    };
    let (a, role_a) = host(&db, "build1");
    let (b, _) = host(&db, "build2");
    a.gate().args(["--", "true"]).status(0).run();
    b.gate().args(["--", "true"]).status(0).run();
    ship(&a);
    ship(&b);
    seal(&a);
    // A host reads only its own stream: its chain is checked, the seals (which name every
    // stream) are not, and that is no failure.
    let out = a
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(0)
        .run()
        .json_lines();
    let report = &out[0];
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["seals"]["readable"], false, "{report}");
    assert_eq!(report["streams"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["streams"][0]["stream"], role_a.as_str());
    let text = a.gate().args(["verify", "--fleet"]).status(0).run();
    assert!(text.stdout.contains("were not checked"), "{}", text.stdout);
    // An auditor checks them.
    let audit = auditor(&db, "audit");
    let full = audit
        .gate()
        .args(["verify", "--fleet", "--json"])
        .status(0)
        .run()
        .json_lines();
    assert_eq!(full[0]["seals"]["readable"], true);
    assert_eq!(full[0]["seals"]["checked"], 1);
}
