//! The fleet behind a transaction-mode pooler: PgBouncer (Debian's) in front of the test
//! PostgreSQL, `pool_mode = transaction` and one server connection per database and user, so
//! that every client's transactions share it. There a named prepared statement made by one
//! transaction is gone (or is another client's) in the next, and LISTEN hears nothing: gate's
//! queries must each be one unnamed statement, and a waiting gate must learn of its vote by
//! polling. Attack first: several hosts waiting and shipping at once through it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use support::pg::{self, Db};
use support::{Env, finish};

fn pgbouncer() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join("pgbouncer"))
        .find(|p| p.is_file())
}

struct Pooler {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Pooler {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PgBouncer in transaction mode in front of `db`, letting `roles` in (trust).
fn pooler(test: &str, db: &Db, roles: &[&str]) -> Option<Pooler> {
    let Some(bin) = pgbouncer() else {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v != "true"),
            "{test}: no pgbouncer in CI (.ci/run installs it)"
        );
        eprintln!("SKIP {test}: no pgbouncer (apt-get install pgbouncer)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (host, pg_port) = db.host_port();
    let users: String = roles.iter().map(|r| format!("\"{r}\" \"\"\n")).collect();
    std::fs::write(dir.path().join("users.txt"), users).unwrap();
    std::fs::write(
        dir.path().join("pgbouncer.ini"),
        format!(
            "[databases]\n* = host={host} port={pg_port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
             unix_socket_dir =\nauth_type = trust\nauth_file = {}\npool_mode = transaction\n\
             default_pool_size = 1\nmax_client_conn = 100\nlogfile = {}\nignore_startup_parameters = extra_float_digits\n",
            dir.path().join("users.txt").display(),
            dir.path().join("log").display()
        ),
    )
    .unwrap();
    let as_root = nix::unistd::geteuid().is_root();
    if as_root {
        use std::os::unix::fs::PermissionsExt;
        let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
        for p in [
            dir.path().to_path_buf(),
            dir.path().join("users.txt"),
            dir.path().join("pgbouncer.ini"),
        ] {
            nix::unistd::chown(&p, Some(nobody.uid), Some(nobody.gid)).unwrap();
        }
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut cmd = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let child = cmd
        .arg(dir.path().join("pgbouncer.ini"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "pgbouncer did not listen: {}",
            log(dir.path())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Pooler {
        port,
        child,
        _dir: dir,
    })
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("log")).unwrap_or_default()
}

/// `'text'` as an SQL literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn hosts_behind_a_transaction_pooler_ship_wait_and_learn_of_their_votes_by_polling() {
    let test = "hosts_behind_a_transaction_pooler_ship_wait_and_learn_of_their_votes_by_polling";
    let Some(server) = pg::server(test) else {
        return;
    };
    let db = server.database();
    db.init();
    let alice = db.role("alice", "gate_approver");
    let hosts: Vec<String> = (0..3)
        .map(|i| db.role(&format!("build{i}"), "gate_host"))
        .collect();
    let mut roles: Vec<&str> = hosts.iter().map(String::as_str).collect();
    roles.push(&alice);
    let Some(pool) = pooler(test, &db, &roles) else {
        return;
    };
    let through = |role: &str| {
        format!(
            "postgres://{role}@127.0.0.1:{}/{}?sslmode=disable",
            pool.port, db.name
        )
    };
    let envs: Vec<Env> = hosts
        .iter()
        .map(|role| {
            Env::with_policy(&format!(
                r#"
[defaults]
channels = ["local"]
timeout = "60s"

[[rule]]
id = "touch-asks"
command = "touch"
decision = "ask"
approvers = ["pg:{alice}"]
"#
            ))
            .var("GATE_FLEET", through(role))
        })
        .collect();
    // Allowed runs on every host at once, shipped through the pooler.
    for env in &envs {
        env.gate().args(["--", "echo", "warm"]).status(0).run();
    }
    // Every host waits at once, through the pooler.
    let files: Vec<PathBuf> = envs.iter().map(|e| e.path("approved")).collect();
    let waiting: Vec<_> = envs
        .iter()
        .zip(&files)
        .map(|(env, f)| env.gate().args(["--", "touch"]).arg(f).spawn())
        .collect();
    // The approver sees them (through the pooler) and votes on each, in simple queries.
    let mut voter = postgres::Client::connect(
        &format!(
            "host=127.0.0.1 port={} user={alice} dbname={}",
            pool.port, db.name
        ),
        postgres::NoTls,
    )
    .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    let ids: Vec<String> = loop {
        let rows = voter
            .simple_query("SELECT request FROM gate.waits w WHERE gate.live(w) ORDER BY request")
            .unwrap();
        let ids: Vec<String> = rows
            .iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect();
        if ids.len() == hosts.len() {
            break ids;
        }
        assert!(Instant::now() < until, "only {} waits opened", ids.len());
        std::thread::sleep(Duration::from_millis(50));
    };
    let voted = Instant::now();
    for id in &ids {
        let data = format!(
            r#"{{"approver":"pg:{alice}","comment":null,"refused":null,"verdict":"approve"}}"#
        );
        voter
            .simple_query(&format!(
                "SELECT appended_seq FROM gate.vote({}, {})",
                literal(id),
                literal(&data)
            ))
            .unwrap();
    }
    for (w, f) in waiting.into_iter().zip(&files) {
        let out = finish(w);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(f.exists());
    }
    // The poll (every second) found every vote: well within the issue's bound for a pooler.
    assert!(
        voted.elapsed() < Duration::from_secs(10),
        "the votes took {:?} to be seen",
        voted.elapsed()
    );
    // Everything shipped through the pooler, and reads through it too.
    for env in &envs {
        let out = env.gate().args(["fleet", "ship", "--json"]).status(0).run();
        assert_eq!(
            out.json_lines()[0]["to"].as_i64(),
            Some(env.ledger_events().len() as i64),
            "{}",
            out.stdout
        );
        let mine = env
            .gate()
            .args(["log", "--fleet", "--json"])
            .status(0)
            .run()
            .json_lines();
        assert_eq!(mine.len(), 2, "{mine:?}");
    }
}
