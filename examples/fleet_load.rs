//! Load and latency figures for the fleet (issue 17's targets), against a real PostgreSQL on
//! which `gate fleet init` has run; driven by scripts/bench-fleet.sh.
//!
//!   fleet_load writers ADMIN_URL WRITERS SECONDS
//!       WRITERS host roles append one event per `gate.append` call, as fast as they can, for
//!       SECONDS: events/s, and p50/p99/max of an append.
//!   fleet_load vote ADMIN_URL GATE_BIN RUNS
//!       RUNS asks, one at a time: a gate process on a host waits for `pg:` approval; an
//!       approver's `gate.vote` commits; the command (`date +%s%N`) prints when it started:
//!       vote → start p50/p99/max.
//!   fleet_load shiplag ADMIN_URL GATE_BIN RUNS
//!       RUNS allowed `gate -- true` on a host, 200 ms apart: from each process's exit until
//!       its events are in the host's stream (the background shipper's lag), p50/p99/max.
//!
//!   fleet_load scenario ADMIN_URL GATE_BIN HOSTS REQUESTS APPROVERS
//!       HOSTS hosts at once, each running REQUESTS requests (every fifth an ask for any of
//!       APPROVERS `pg:` approvers, who vote on whatever waits, several on the same request);
//!       then: every request in the fleet once, every ask ran once with one counted approval,
//!       every host's stream holds its whole ledger.
//!
//! ADMIN_URL is a superuser's `postgres://USER@127.0.0.1:PORT/DB` (trust auth, no TLS).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // GATE_BIN runs with another working directory: make it absolute.
    if args.len() > 2 && args[0] != "writers" {
        args[2] = std::fs::canonicalize(&args[2])
            .expect("GATE_BIN")
            .to_string_lossy()
            .into_owned();
    }
    match args.first().map(String::as_str) {
        Some("writers") if args.len() == 4 => writers(
            &args[1],
            args[2].parse().expect("WRITERS"),
            args[3].parse().expect("SECONDS"),
        ),
        Some("vote") if args.len() == 4 => vote(
            &args[1],
            Path::new(&args[2]),
            args[3].parse().expect("RUNS"),
        ),
        Some("shiplag") if args.len() == 4 => shiplag(
            &args[1],
            Path::new(&args[2]),
            args[3].parse().expect("RUNS"),
        ),
        Some("scenario") if args.len() == 6 => scenario(
            &args[1],
            Path::new(&args[2]),
            args[3].parse().expect("HOSTS"),
            args[4].parse().expect("REQUESTS"),
            args[5].parse().expect("APPROVERS"),
        ),
        _ => {
            eprintln!(
                "usage: fleet_load scenario ADMIN_URL GATE_BIN HOSTS REQUESTS APPROVERS | writers ADMIN_URL WRITERS SECONDS | vote ADMIN_URL GATE_BIN RUNS | shiplag ADMIN_URL GATE_BIN RUNS"
            );
            std::process::exit(64);
        }
    }
}

/// The pieces of a `postgres://USER@HOST:PORT/DB` URI.
struct Url {
    user: String,
    host: String,
    port: String,
    db: String,
}

impl Url {
    fn parse(url: &str) -> Url {
        let rest = url.strip_prefix("postgres://").expect("postgres://");
        let rest = rest.split('?').next().unwrap();
        let (user, rest) = rest.split_once('@').expect("USER@");
        let (hostport, db) = rest.split_once('/').expect("/DB");
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
        Url {
            user: user.into(),
            host: host.into(),
            port: port.into(),
            db: db.into(),
        }
    }
    fn connect_as(&self, role: &str) -> postgres::Client {
        postgres::Client::connect(
            &format!(
                "host={} port={} user={role} dbname={}",
                self.host, self.port, self.db
            ),
            postgres::NoTls,
        )
        .unwrap_or_else(|e| panic!("connect as {role}: {e}"))
    }
    fn uri_as(&self, role: &str) -> String {
        format!(
            "postgres://{role}@{}:{}/{}?sslmode=disable",
            self.host, self.port, self.db
        )
    }
    /// A login role in `group`, made anew.
    fn role(&self, name: &str, group: &str) -> String {
        let mut admin = self.connect_as(&self.user);
        admin
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN; GRANT {group} TO {name};"
            ))
            .unwrap_or_else(|e| panic!("role {name}: {e}"));
        name.to_string()
    }
}

fn stamp() -> String {
    format!("{}_{}", std::process::id(), nanos() % 1_000_000)
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// `p50 … p99 … max …` of durations, in ms.
fn summary(mut d: Vec<Duration>) -> String {
    if d.is_empty() {
        return "no samples".into();
    }
    d.sort();
    let at = |q: f64| d[((d.len() as f64 * q).ceil() as usize).clamp(1, d.len()) - 1];
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    format!(
        "n {}  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        d.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(*d.last().unwrap())
    )
}

fn writers(admin: &str, writers: usize, seconds: u64) {
    let url = Arc::new(Url::parse(admin));
    let tag = stamp();
    let roles: Vec<String> = (0..writers)
        .map(|i| url.role(&format!("load{i}_{tag}"), "gate_host"))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = roles
        .into_iter()
        .map(|role| {
            let url = Arc::clone(&url);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut c = url.connect_as(&role);
                let stmt = c
                    .prepare("SELECT appended_seq FROM gate.append($1, $2, $3, $4)")
                    .unwrap();
                let mut lat = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let request = vec![format!("{role}-{n:08}")];
                    let time =
                        vec![humantime::format_rfc3339_millis(SystemTime::now()).to_string()];
                    let kind = vec!["request".to_string()];
                    let data = vec![format!(
                        r#"{{"argv":["true"],"cwd":"/tmp","n":{n},"requester":{{"user":"ci"}}}}"#
                    )];
                    let t = Instant::now();
                    c.query_one(&stmt, &[&request, &time, &kind, &data])
                        .unwrap_or_else(|e| panic!("{role}: append: {e}"));
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "writers: {writers} writers, {seconds} s: {} events, {:.0} events/s; append {}",
        all.len(),
        all.len() as f64 / secs,
        summary(all)
    );
}

/// A home of its own for a gate process.
fn home(dir: &Path, name: &str, policy: &str) -> PathBuf {
    let home = dir.join(name);
    std::fs::create_dir_all(home.join(".config/gate")).unwrap();
    std::fs::write(home.join(".config/gate/policy.toml"), policy).unwrap();
    home
}

fn gate_cmd(gate: &Path, home: &Path, fleet: &str) -> Command {
    let mut c = Command::new(gate);
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("GATE_FLEET", fleet)
        .env("GATE_FLEET_SEAL_EVERY", "never")
        .current_dir(home);
    c
}

fn vote(admin: &str, gate: &Path, runs: usize) {
    let url = Url::parse(admin);
    let tag = stamp();
    let host = url.role(&format!("vhost_{tag}"), "gate_host");
    let approver = url.role(&format!("vappr_{tag}"), "gate_approver");
    let dir = tempfile::tempdir().unwrap();
    let policy = format!(
        "[defaults]\nchannels = [\"local\"]\ntimeout = \"60s\"\n\n[[rule]]\nid = \"date-asks\"\ncommand = \"date\"\ndecision = \"ask\"\napprovers = [\"pg:{approver}\"]\n"
    );
    let home = home(dir.path(), "host", &policy);
    let mut admin_c = url.connect_as(&url.user);
    let mut voter = url.connect_as(&approver);
    let mut lat = Vec::new();
    for _ in 0..runs {
        let out = dir.path().join("started");
        let _ = std::fs::remove_file(&out);
        let child = gate_cmd(gate, &home, &url.uri_as(&host))
            .args(["--", "date", "+%s%N"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for its wait to open.
        let until = Instant::now() + Duration::from_secs(20);
        let request: String = loop {
            if let Some(r) = admin_c
                .query_opt(
                    "SELECT request FROM gate.waits w WHERE w.stream = $1 AND gate.live(w)",
                    &[&host],
                )
                .unwrap()
            {
                break r.get(0);
            }
            assert!(Instant::now() < until, "no wait opened in 20 s");
            std::thread::sleep(Duration::from_millis(5));
        };
        // Let it settle into LISTEN.
        std::thread::sleep(Duration::from_millis(50));
        let data = serde_json::json!({
            "approver": format!("pg:{approver}"),
            "verdict": "approve",
            "comment": null,
            "refused": null,
        })
        .to_string();
        let t0 = nanos();
        voter
            .query_one(
                "SELECT appended_seq FROM gate.vote($1, $2)",
                &[&request, &data],
            )
            .unwrap();
        let status = child.wait_with_output().unwrap().status;
        assert!(status.success(), "the approved command failed: {status}");
        let started: u128 = std::fs::read_to_string(&out)
            .unwrap()
            .trim()
            .parse()
            .expect("date's output");
        lat.push(Duration::from_nanos(
            u64::try_from(started.saturating_sub(t0)).unwrap(),
        ));
    }
    println!("vote -> start: {}", summary(lat));
}

fn shiplag(admin: &str, gate: &Path, runs: usize) {
    let url = Url::parse(admin);
    let tag = stamp();
    let host = url.role(&format!("shost_{tag}"), "gate_host");
    let dir = tempfile::tempdir().unwrap();
    let home = home(dir.path(), "host", "");
    let mut admin_c = url.connect_as(&url.user);
    let head = |c: &mut postgres::Client| -> i64 {
        c.query_opt(
            "SELECT head_seq FROM gate.streams WHERE stream = $1",
            &[&host],
        )
        .unwrap()
        .map(|r| r.get(0))
        .unwrap_or(0)
    };
    let ledger = home.join(".local/share/gate/ledger.db");
    let mut lat = Vec::new();
    for _ in 0..runs {
        let status = gate_cmd(gate, &home, &url.uri_as(&host))
            .args(["--", "true"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        let exited = Instant::now();
        assert!(status.success());
        // Everything the run recorded (the intake holds what the ledger does not yet).
        let local = local_events(&ledger);
        let until = Instant::now() + Duration::from_secs(30);
        while head(&mut admin_c) < local {
            assert!(
                Instant::now() < until,
                "not shipped in 30 s: the stream at {}, the ledger at {local}; the shipper's mark: {}",
                head(&mut admin_c),
                std::fs::read_to_string(ledger.with_extension("db.shipped")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        lat.push(exited.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("ship lag: {}", summary(lat));
}

/// Events of the local ledger: the seq the stream must reach.
fn local_events(ledger: &Path) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(ledger, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))
        .unwrap()
}

fn scenario(admin: &str, gate: &Path, hosts: usize, requests: usize, approvers: usize) {
    let url = Arc::new(Url::parse(admin));
    let tag = stamp();
    let people: Vec<String> = (0..approvers)
        .map(|i| url.role(&format!("appr{i}_{tag}"), "gate_approver"))
        .collect();
    let allowed: Vec<String> = people.iter().map(|p| format!("\"pg:{p}\"")).collect();
    let policy = format!(
        "[defaults]\nchannels = [\"local\"]\ntimeout = \"120s\"\n\n[[rule]]\nid = \"touch-asks\"\ncommand = \"touch\"\ndecision = \"ask\"\napprovers = [{}]\n",
        allowed.join(", ")
    );
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    // The approvers: each votes on every live wait it has not voted on yet.
    let voters: Vec<_> = people
        .iter()
        .cloned()
        .map(|person| {
            let url = Arc::clone(&url);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut c = url.connect_as(&person);
                let mut voted = std::collections::HashSet::new();
                let mut votes = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let waiting: Vec<String> = c
                        .query("SELECT request FROM gate.waits w WHERE gate.live(w)", &[])
                        .unwrap()
                        .iter()
                        .map(|r| r.get(0))
                        .collect();
                    for request in waiting {
                        if !voted.insert(request.clone()) {
                            continue;
                        }
                        let data = serde_json::json!({
                            "approver": format!("pg:{person}"),
                            "verdict": "approve",
                            "comment": null,
                            "refused": null,
                        })
                        .to_string();
                        // A wait settled meanwhile refuses the vote: that is no error here.
                        if c.query_one(
                            "SELECT appended_seq FROM gate.vote($1, $2)",
                            &[&request, &data],
                        )
                        .is_ok()
                        {
                            votes += 1;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                votes
            })
        })
        .collect();
    let roles: Vec<String> = (0..hosts)
        .map(|i| url.role(&format!("host{i}_{tag}"), "gate_host"))
        .collect();
    let workers: Vec<_> = roles
        .iter()
        .cloned()
        .map(|role| {
            let url = Arc::clone(&url);
            let dir = Arc::clone(&dir);
            let policy = policy.clone();
            let gate = gate.to_path_buf();
            std::thread::spawn(move || {
                let home = home(dir.path(), &role, &policy);
                let mut asks = 0;
                for i in 0..requests {
                    let mut c = gate_cmd(&gate, &home, &url.uri_as(&role));
                    if i % 5 == 4 {
                        asks += 1;
                        c.args(["--", "touch", &format!("ask-{i}")]);
                    } else {
                        c.args(["--", "echo", &format!("run-{i}")]);
                    }
                    let status = c
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .unwrap();
                    assert!(status.success(), "{role}: request {i} failed: {status}");
                }
                let ship = gate_cmd(&gate, &home, &url.uri_as(&role))
                    .args(["fleet", "ship"])
                    .stdout(Stdio::null())
                    .status()
                    .unwrap();
                assert!(ship.success(), "{role}: ship failed");
                let touched = std::fs::read_dir(&home)
                    .unwrap()
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("ask-"))
                    .count();
                (role, home, asks, touched)
            })
        })
        .collect();
    let mut expected_asks = 0;
    let mut ran_asks = 0;
    let mut homes = Vec::new();
    for w in workers {
        let (role, home, asks, touched) = w.join().unwrap();
        expected_asks += asks;
        ran_asks += touched;
        homes.push((role, home));
    }
    stop.store(true, Ordering::Relaxed);
    let votes: u64 = voters.into_iter().map(|v| v.join().unwrap()).sum();
    let took = started.elapsed();
    let mut admin_c = url.connect_as(&url.user);
    let mut lost = 0;
    for (role, home) in &homes {
        let local = local_events(&home.join(".local/share/gate/ledger.db"));
        let head: i64 = admin_c
            .query_one(
                "SELECT head_seq FROM gate.streams WHERE stream = $1",
                &[role],
            )
            .unwrap()
            .get(0);
        lost += (local - head).max(0);
    }
    let in_fleet: i64 = admin_c
        .query_one(
            "SELECT count(DISTINCT (stream, request)) FROM gate.events e
             WHERE kind = 'request' AND stream = ANY($1)",
            &[&roles],
        )
        .unwrap()
        .get(0);
    // Approvals each ask counted: the verdict events of the hosts' streams.
    let counted: Vec<i64> = admin_c
        .query(
            "SELECT count(*) FROM gate.events WHERE kind = 'verdict' AND stream = ANY($1) GROUP BY stream, request",
            &[&roles],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let doubled = counted.iter().filter(|c| **c != 1).count();
    println!(
        "scenario: {hosts} hosts x {requests} requests, {approvers} approvers, in {:.1} s: {in_fleet} requests in the fleet (expected {}), {ran_asks}/{expected_asks} asks ran, {} verdicts ({doubled} requests with other than one), {votes} votes cast, {lost} events not shipped",
        took.as_secs_f64(),
        hosts * requests,
        counted.len(),
    );
    let ok = in_fleet == (hosts * requests) as i64
        && ran_asks == expected_asks
        && counted.len() == expected_asks
        && doubled == 0
        && lost == 0;
    println!("scenario: {}", if ok { "ok" } else { "FAILED" });
    if !ok {
        std::process::exit(1);
    }
}
