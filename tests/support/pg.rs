//! A real PostgreSQL for the fleet tests: the one `GATE_TEST_PG` names (`.ci/run` starts one
//! and exports it: `postgres://gate@127.0.0.1:PORT/postgres`, a superuser, trust auth), else a
//! throwaway server this test process starts itself (initdb into a temporary directory, as
//! `nobody` when running as root, since PostgreSQL refuses root; stopped when the process
//! exits). Without either, a test says so on stderr and returns; under `CI=true` it fails.
//!
//! Every test gets a database of its own ([`Pg::database`]) and login roles prefixed with that
//! database's name (roles are cluster-wide), so the tests run in parallel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

pub struct Pg {
    host: String,
    port: u16,
    user: String,
}

struct Server {
    pg_ctl: PathBuf,
    data: PathBuf,
    as_nobody: bool,
    options: String,
    _dir: tempfile::TempDir,
}

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

/// The server, or `None` (with the reason printed where the test runner does not swallow it).
pub fn server(test: &str) -> Option<&'static Pg> {
    static PG: OnceLock<Result<Pg, String>> = OnceLock::new();
    match PG.get_or_init(find_or_start) {
        Ok(pg) => Some(pg),
        Err(why) => skip(
            test,
            &format!(
                "no PostgreSQL to test against ({why}); set GATE_TEST_PG or install PostgreSQL's server binaries"
            ),
        ),
    }
}

/// No server: fail under CI (`.ci/run` starts one), else say why the test is skipped.
fn skip<T>(test: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var_os("CI").is_none_or(|v| v != "true"),
        "{test}: no PostgreSQL in CI: {why}"
    );
    // Straight to the descriptor: libtest captures eprintln! of passing tests.
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
    None
}

fn find_or_start() -> Result<Pg, String> {
    if let Ok(url) = std::env::var("GATE_TEST_PG") {
        let p = gate::fleet::config::parse_uri(&url).map_err(|e| e.to_string())?;
        return Ok(Pg {
            host: p.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()),
            port: p.get("port").and_then(|p| p.parse().ok()).unwrap_or(5432),
            user: p.get("user").cloned().unwrap_or_else(|| "gate".into()),
        });
    }
    let (pg, server) = start("", &|_, _| Ok(()))?;
    *SERVER.lock().unwrap() = Some(server);
    extern "C" fn stop() {
        if let Ok(mut s) = SERVER.lock()
            && let Some(s) = s.take()
        {
            s.stop();
        }
    }
    // SAFETY: registers a plain function; it runs once, at exit, after the tests.
    unsafe {
        nix::libc::atexit(stop);
    }
    Ok(pg)
}

/// A server of one test's own (for TLS, say), stopped when dropped.
pub struct Dedicated {
    pub pg: Pg,
    pub dir: PathBuf,
    server: Option<Server>,
}

impl Drop for Dedicated {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

/// Start a server of the test's own: `options` are more `-c name=value` settings, `prepare`
/// writes into the data directory (its path, and whether the server runs as `nobody`) before
/// it starts. `None` (saying so) where no server can be started, as [`server`].
pub fn dedicated(
    test: &str,
    options: &str,
    prepare: &dyn Fn(&Path, bool) -> Result<(), String>,
) -> Option<Dedicated> {
    match start(options, prepare) {
        Ok((pg, server)) => Some(Dedicated {
            pg,
            dir: server._dir.path().to_path_buf(),
            server: Some(server),
        }),
        Err(why) => skip(
            test,
            &format!("cannot start a PostgreSQL of its own ({why})"),
        ),
    }
}

impl Dedicated {
    /// `pg_ctl stop -m fast`: the server goes away under whoever is connected.
    pub fn stop_now(&self) {
        let s = self.server.as_ref().unwrap();
        let out = s.pg_ctl(&["-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {out:?}");
    }

    /// Start it again, on the same port.
    pub fn start_again(&self) {
        let s = self.server.as_ref().unwrap();
        let log = self.dir.join("log");
        let out = s.pg_ctl(&["-l", log.to_str().unwrap(), "-w", "-o", &s.options, "start"]);
        assert!(out.status.success(), "pg_ctl start: {out:?}");
    }
}

impl Server {
    fn pg_ctl(&self, args: &[&str]) -> std::process::Output {
        let mut c = if self.as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&self.pg_ctl);
            c
        } else {
            Command::new(&self.pg_ctl)
        };
        c.arg("-D")
            .arg(&self.data)
            .args(args)
            .current_dir(self._dir.path())
            .output()
            .expect("pg_ctl")
    }

    fn stop(&self) {
        let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }
}

fn start(
    extra: &str,
    prepare: &dyn Fn(&Path, bool) -> Result<(), String>,
) -> Result<(Pg, Server), String> {
    let bin =
        binaries().ok_or("no initdb on PATH, in /usr/local/bin or /usr/lib/postgresql/*/bin")?;
    let dir = tempfile::Builder::new()
        .prefix("gate-test-pg")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let as_nobody = nix::unistd::geteuid().is_root();
    let data = dir.path().join("data");
    if as_nobody {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let nobody = nix::unistd::User::from_name("nobody")
            .ok()
            .flatten()
            .ok_or("running as root and there is no user nobody to run PostgreSQL as")?;
        nix::unistd::chown(dir.path(), Some(nobody.uid), Some(nobody.gid))
            .map_err(|e| e.to_string())?;
    }
    let run = |program: &Path, args: &[&str]| -> Result<(), String> {
        let mut c = if as_nobody {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let out = c
            .args(args)
            .current_dir(dir.path())
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let data_s = data.to_str().unwrap();
    run(
        &bin.join("initdb"),
        &[
            "-D",
            data_s,
            "-U",
            "gate",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-N",
        ],
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    prepare(&data, as_nobody)?;
    let options = format!(
        "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c fsync=off -c max_connections=200 {extra}",
        dir.path().display()
    );
    let log = dir.path().join("log");
    run(
        &bin.join("pg_ctl"),
        &[
            "-D",
            data_s,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-o",
            &options,
            "start",
        ],
    )?;
    Ok((
        Pg {
            host: "127.0.0.1".into(),
            port,
            user: "gate".into(),
        },
        Server {
            pg_ctl: bin.join("pg_ctl"),
            data: data.clone(),
            as_nobody,
            options,
            _dir: dir,
        },
    ))
}

/// Where PostgreSQL's server programs are.
fn binaries() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push("/usr/local/bin".into());
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    dirs.extend(versions.into_iter().rev());
    dirs.into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

/// One test's database.
pub struct Db {
    pub name: String,
    host: String,
    port: u16,
    user: String,
}

impl Pg {
    /// A new database (UTF-8), for one test.
    pub fn database(&self) -> Db {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "g{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(
            &format!(
                "host={} port={} user={} dbname=postgres",
                self.host, self.port, self.user
            ),
            postgres::NoTls,
        )
        .expect("connect to the test PostgreSQL");
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ))
            .expect("create database");
        Db {
            name,
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
        }
    }
}

/// A database of the test's own on the test server, with the fleet's schema (`gate fleet
/// init` as the superuser); `None` where there is no server (see [`server`]).
pub fn fleet(test: &str) -> Option<Db> {
    let db = server(test)?.database();
    db.init();
    Some(db)
}

impl Db {
    /// `gate fleet init` as the superuser.
    pub fn init(&self) {
        super::Env::new()
            .gate()
            .args(["fleet", "init"])
            .env("GATE_FLEET", self.admin_url())
            .status(0)
            .run();
    }

    /// The URI for `role` (trust auth: no password).
    pub fn url_as(&self, role: &str) -> String {
        format!(
            "postgres://{role}@{}:{}/{}?sslmode=disable",
            self.host, self.port, self.name
        )
    }

    /// The URI for `role` at `host` (a name or address of this server) with query `query`
    /// (`sslmode=verify-full&sslrootcert=…`).
    pub fn url_at(&self, role: &str, host: &str, query: &str) -> String {
        format!(
            "postgres://{role}@{host}:{}/{}?{query}",
            self.port, self.name
        )
    }

    /// Where the server listens.
    pub fn host_port(&self) -> (String, u16) {
        (self.host.clone(), self.port)
    }

    /// The superuser's URI: what an administrator runs `gate fleet init` with.
    pub fn admin_url(&self) -> String {
        self.url_as(&self.user)
    }

    pub fn connect_as(&self, role: &str) -> postgres::Client {
        postgres::Client::connect(
            &format!(
                "host={} port={} user={role} dbname={}",
                self.host, self.port, self.name
            ),
            postgres::NoTls,
        )
        .unwrap_or_else(|e| panic!("connect as {role}: {e}"))
    }

    pub fn admin(&self) -> postgres::Client {
        self.connect_as(&self.user)
    }

    /// A login role of this test's (`<db>_<short>`), member of `group`.
    pub fn role(&self, short: &str, group: &str) -> String {
        let role = format!("{}_{short}", self.name);
        self.admin()
            .batch_execute(&format!(
                "CREATE ROLE {role} LOGIN; GRANT {group} TO {role};"
            ))
            .expect("create role");
        role
    }
}
