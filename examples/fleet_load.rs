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
//! ADMIN_URL is a superuser's `postgres://USER@127.0.0.1:PORT/DB` (trust auth, no TLS).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
        _ => {
            eprintln!(
                "usage: fleet_load writers ADMIN_URL WRITERS SECONDS | vote ADMIN_URL GATE_BIN RUNS | shiplag ADMIN_URL GATE_BIN RUNS"
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
            assert!(Instant::now() < until, "not shipped in 30 s");
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
