//! Policy rollout on a real PostgreSQL (issue 17, item 7): `gate policy keygen|push|fetch|status`.
//! Attacks first: a host role pushing or writing `gate.policies`, a rollback to an older
//! version, a badly signed or altered policy, a cache tampered with on disk; then what must
//! work: a pushed rule decides `gate check`, every request records its policy version, and
//! `gate fleet status` shows the drift.
//!
//! Pushing needs no root. Fetching needs a system policy that pins the key, which only root
//! can own: those tests build a protected install in a temporary root (as `tests/protected.rs`
//! does, run by root without the setgid bit) and are skipped, saying so, when not root.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::Digest;
use support::pg::{self, Db};
use support::{Env, gate_bin};

fn fleet(test: &str) -> Option<Db> {
    let db = pg::server(test)?.database();
    Env::new()
        .gate()
        .args(["fleet", "init"])
        .env("GATE_FLEET", db.admin_url())
        .status(0)
        .stdout_contains("gate_admin")
        .run();
    Some(db)
}

/// What PostgreSQL said.
fn message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

fn refused<T: std::fmt::Debug>(result: Result<T, postgres::Error>, want: &str) {
    let err = result.expect_err("PostgreSQL should have refused it");
    let text = message(&err);
    assert!(
        text.contains(want),
        "refused with {text:?}, expected {want:?}"
    );
}

/// A policy administrator: a home with a signing key, answering as a gate_admin role.
struct Admin {
    env: Env,
    key: PathBuf,
    public: String,
}

fn admin(db: &Db, short: &str) -> Admin {
    let role = db.role(short, "gate_admin");
    let env = Env::new().var("GATE_FLEET_APPROVER", db.url_as(&role));
    let (key, public) = keygen(&env);
    Admin { env, key, public }
}

/// A new key pair in `env`'s scratch directory: the private key's path and the public key.
fn keygen(env: &Env) -> (PathBuf, String) {
    let dir = env.path(format!("keys{}", rand_suffix()));
    env.gate()
        .args(["policy", "keygen", "--out"])
        .arg(&dir)
        .status(0)
        .stdout_contains("policy_key = \"ed25519:")
        .run();
    let public = std::fs::read_to_string(dir.join("policy-signing.pub"))
        .unwrap()
        .trim()
        .to_string();
    (dir.join("policy-signing.key"), public)
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

impl Admin {
    /// `gate policy push` of `text`, expecting `code`.
    fn push(&self, text: &str, code: i32) -> support::Output {
        let file = self.env.path(format!("push{}.toml", rand_suffix()));
        std::fs::write(&file, text).unwrap();
        self.env
            .gate()
            .args(["policy", "push", "--json"])
            .arg(&file)
            .arg("--key")
            .arg(&self.key)
            .status(code)
            .run()
    }
}

fn versions(db: &Db) -> Vec<i64> {
    db.admin()
        .query("SELECT version FROM gate.policies ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const DENY_TOUCH: &str = r#"
[[rule]]
id = "fleet-no-touch"
command = "touch"
decision = "deny"
message = "The fleet policy forbids touch."
tests = { hit = ["touch /tmp/x"], miss = ["ls"] }
"#;

#[test]
fn a_host_can_neither_push_nor_write_policies() {
    let Some(db) = fleet("a_host_can_neither_push_nor_write_policies") else {
        return;
    };
    let host = db.role("build7", "gate_host");
    let mut h = db.connect_as(&host);
    let body = "[defaults]\ndecision = \"allow\"\n";
    let sha = hex::encode(sha2::Sha256::digest(body));
    refused(
        h.query(
            "SELECT * FROM gate.push_policy(1, $1, $2, $3)",
            &[&body, &sha, &vec![0u8; 64]],
        ),
        "permission denied for function push_policy",
    );
    refused(
        h.execute(
            "INSERT INTO gate.policies (version, sha256, body, signature) VALUES (1, $1, $2, $3)",
            &[&sha, &body, &vec![0u8; 64]],
        ),
        "permission denied",
    );
    // An administrator's role cannot write the table either: only through the function.
    let a = admin(&db, "ops");
    a.push(DENY_TOUCH, 0);
    let ops = format!("{}_ops", db.name);
    let mut o = db.connect_as(&ops);
    refused(
        o.execute(
            "INSERT INTO gate.policies (version, sha256, body, signature) VALUES (2, $1, $2, $3)",
            &[&sha, &body, &vec![0u8; 64]],
        ),
        "permission denied",
    );
    for sql in [
        "UPDATE gate.policies SET body = 'x'",
        "DELETE FROM gate.policies",
        "TRUNCATE gate.policies",
    ] {
        refused(h.execute(sql, &[]), "permission denied");
        refused(o.execute(sql, &[]), "permission denied");
    }
    // Not even the owner's rights change a stored version (the triggers).
    refused(
        db.admin()
            .execute("UPDATE gate.policies SET body = 'x'", &[]),
        "append-only",
    );
    // Control: a host reads the policies, and the push stored exactly one.
    let n: i64 = h
        .query_one("SELECT count(*) FROM gate.policies", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    assert_eq!(versions(&db), [1]);
}

#[test]
fn push_policy_assigns_the_version_and_checks_the_text() {
    let Some(db) = fleet("push_policy_assigns_the_version_and_checks_the_text") else {
        return;
    };
    let ops = db.role("ops", "gate_admin");
    let mut o = db.connect_as(&ops);
    let body = "[defaults]\ndecision = \"allow\"\n";
    let sha = hex::encode(sha2::Sha256::digest(body));
    // A version signed as 5 cannot be stored as 1 (nor 1 skipped).
    refused(
        o.query(
            "SELECT * FROM gate.push_policy(5, $1, $2, $3)",
            &[&body, &sha, &vec![0u8; 64]],
        ),
        "the next fleet policy version is 1, not 5",
    );
    refused(
        o.query(
            "SELECT * FROM gate.push_policy(1, $1, $2, $3)",
            &[&"other text", &sha, &vec![0u8; 64]],
        ),
        "does not have the SHA-256",
    );
    assert!(versions(&db).is_empty());
    // Two pushers at once, both having signed version 1: the second waits for the first and
    // is told which version to sign instead (not a duplicate-key error, not a second 1).
    let mut first = db.connect_as(&ops);
    let mut tx = first.transaction().unwrap();
    tx.query(
        "SELECT * FROM gate.push_policy(1, $1, $2, $3)",
        &[&body, &sha, &vec![0u8; 64]],
    )
    .unwrap();
    let second = std::thread::spawn({
        let mut o = db.connect_as(&ops);
        let (body, sha) = (body.to_string(), sha.clone());
        move || {
            o.query(
                "SELECT * FROM gate.push_policy(1, $1, $2, $3)",
                &[&body, &sha, &vec![0u8; 64]],
            )
            .map(|_| ())
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.commit().unwrap();
    refused(
        second.join().unwrap(),
        "the next fleet policy version is 2, not 1: sign version 2 and push again",
    );
    assert_eq!(versions(&db), [1]);
}

#[test]
fn a_policy_that_does_not_lint_or_test_is_not_stored() {
    let Some(db) = fleet("a_policy_that_does_not_lint_or_test_is_not_stored") else {
        return;
    };
    let a = admin(&db, "ops");
    let bad = a.push("[defaults]\ndecision = \"maybe\"\n", 78);
    assert!(
        bad.stderr.contains("unknown decision `maybe`"),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains(":2:"), "file:line:col: {}", bad.stderr);
    let failing = a.push(
        "[[rule]]\nid = \"t\"\ncommand = \"touch\"\ndecision = \"deny\"\ntests = { hit = [\"ls\"] }\n",
        78,
    );
    assert!(
        failing.stderr.contains("should match `ls`"),
        "{}",
        failing.stderr
    );
    // A fleet policy cannot re-pin its own key or move hosts to another fleet.
    let repin = a.push(
        &format!(
            "[fleet]\nurl = \"{}\"\npolicy_key = \"{}\"\n",
            db.url_as("x"),
            a.public
        ),
        78,
    );
    assert!(
        repin
            .stderr
            .contains("a fleet policy cannot say which fleet or signing key"),
        "{}",
        repin.stderr
    );
    assert!(versions(&db).is_empty());
    // Control: a good one is version 1, the next 2.
    assert_eq!(a.push(DENY_TOUCH, 0).json()["version"], 1);
    let second = a.push(DENY_TOUCH, 0).json();
    assert_eq!(second["version"], 2);
    // Its own two inline tests, and those of the packs it leaves on.
    assert!(second["tests_passed"].as_i64().unwrap() >= 2, "{second}");
    assert!(second["rules"].as_i64().unwrap() > 1, "{second}");
    assert_eq!(versions(&db), [1, 2]);
}

#[test]
fn two_pushers_never_get_the_same_version() {
    let Some(db) = fleet("two_pushers_never_get_the_same_version") else {
        return;
    };
    let a = admin(&db, "ops");
    let file = a.env.path("p.toml");
    std::fs::write(&file, DENY_TOUCH).unwrap();
    let children: Vec<_> = (0..6)
        .map(|_| {
            a.env
                .gate()
                .args(["policy", "push", "--json"])
                .arg(&file)
                .arg("--key")
                .arg(&a.key)
                .spawn()
        })
        .collect();
    let mut got: Vec<i64> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            v["version"].as_i64().unwrap()
        })
        .collect();
    got.sort();
    assert_eq!(got, [1, 2, 3, 4, 5, 6]);
    assert_eq!(versions(&db), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    let env = Env::new();
    let dir = env.path("k");
    env.gate()
        .args(["policy", "keygen", "--out"])
        .arg(&dir)
        .status(0)
        .run();
    let key = dir.join("policy-signing.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&key).unwrap();
    assert!(String::from_utf8_lossy(&before).starts_with("-----BEGIN PRIVATE KEY-----"));
    env.gate()
        .args(["policy", "keygen", "--out"])
        .arg(&dir)
        .status(64)
        .stderr_contains("never replaces a key")
        .run();
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

#[test]
fn without_a_fleet_policy_requests_record_no_version() {
    let env = Env::with_policy("");
    env.gate().args(["--", "true"]).status(0).run();
    let log = env.log();
    assert_eq!(log[0]["policy_version"], Value::Null, "{}", log[0]);
    env.gate()
        .args(["policy", "fetch"])
        .status(78)
        .stderr_contains("no fleet policy key is pinned")
        .run();
}

#[test]
fn only_the_system_policy_pins_the_key() {
    let env = Env::with_policy(
        "[fleet]\nurl = \"postgres://me@127.0.0.1/gate\"\npolicy_key = \"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\n",
    );
    env.gate()
        .args(["check", "--", "true"])
        .status(78)
        .stderr_contains("only the system policy")
        .run();
}

// ---- hosts: a system policy pinning the key (root) ----

fn unable() -> Option<&'static str> {
    (!nix::unistd::getuid().is_root()).then_some("not root")
}

macro_rules! needs_root {
    ($name:expr) => {
        if let Some(why) = unable() {
            eprintln!(
                "skipped {}: {why} (a system policy that pins the key must be root's; CI runs as root)",
                $name
            );
            return;
        }
    };
}

/// A host: a protected install in a temporary root whose system policy puts it in the fleet
/// as its own gate_host role and pins `key`.
struct Host {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    role: String,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.stdout, self.stderr))
    }
}

impl Host {
    fn new(db: &Db, short: &str, key: &str) -> Host {
        Self::build(db, short, key, None)
    }

    /// The protected install for real: the binary setgid `group`.
    fn setgid(db: &Db, short: &str, key: &str, group: nix::unistd::Gid) -> Host {
        Self::build(db, short, key, Some(group))
    }

    fn build(db: &Db, short: &str, key: &str, setgid: Option<nix::unistd::Gid>) -> Host {
        let role = db.role(short, "gate_host");
        let dir = tempfile::Builder::new()
            .prefix("gate-fleet-host-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        for d in ["usr/bin", "usr/lib/gate", "etc/gate", "var/lib", "home"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for d in [
            "",
            "usr",
            "usr/bin",
            "usr/lib",
            "usr/lib/gate",
            "etc",
            "etc/gate",
            "var",
            "var/lib",
        ] {
            std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let bin = root.join("usr/bin/gate");
        std::fs::copy(gate_bin(), &bin).unwrap();
        if let Some(gid) = setgid {
            std::os::unix::fs::chown(&bin, Some(0), Some(gid.as_raw())).unwrap();
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o2755)).unwrap();
        }
        std::fs::write(
            root.join("usr/lib/gate/protected.toml"),
            format!(
                "state_dir = \"{}\"\nconf_dir = \"{}\"\n",
                root.join("var/lib/gate").display(),
                root.join("etc/gate").display()
            ),
        )
        .unwrap();
        let host = Host {
            _dir: dir,
            home: root.join("home"),
            root,
            role,
        };
        host.system_policy(&format!(
            "[defaults]\nchannels = [\"local\"]\n\n[fleet]\nurl = \"{}\"\npolicy_key = \"{key}\"\n",
            db.url_as(&host.role)
        ));
        let setup = host.gate(&["protected-setup"]);
        assert_eq!(setup.code, 0, "protected-setup: {}", setup.stderr);
        host
    }

    fn system_policy(&self, text: &str) {
        let p = self.root.join("etc/gate/policy.toml");
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    fn cache(&self) -> PathBuf {
        self.root.join("var/lib/gate/ledger.db.fleet-policy")
    }

    fn gate(&self, args: &[&str]) -> Out {
        let mut c = Command::new(self.root.join("usr/bin/gate"));
        c.args(args).env_clear().env("HOME", &self.home);
        self.run(c)
    }

    /// `gate ARGS` as `user` (real and effective ids, that user's groups).
    fn gate_as(&self, user: &str, args: &[&str]) -> Out {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args(["--reuid", user, "--regid", user, "--init-groups", "--"])
            .arg(self.root.join("usr/bin/gate"))
            .args(args)
            .env_clear()
            .env("HOME", format!("/home/{user}"))
            .env("USER", user);
        self.run(c)
    }

    fn run(&self, mut c: Command) -> Out {
        c.env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("CI", "true")
            .current_dir("/tmp")
            .stdin(Stdio::null());
        // A binary just copied may be busy for a moment (another test's fork still holds the
        // copy's descriptor until it execs).
        for _ in 0..50 {
            match c.output() {
                Err(e) if e.raw_os_error() == Some(nix::libc::ETXTBSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                other => {
                    let out = other.unwrap();
                    return Out {
                        code: out.status.code().unwrap_or(-1),
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    };
                }
            }
        }
        panic!("{c:?} stayed busy")
    }

    fn expect(&self, args: &[&str], code: i32) -> Out {
        let out = self.gate(args);
        assert_eq!(
            out.code, code,
            "gate {args:?}: stdout {} stderr {}",
            out.stdout, out.stderr
        );
        out
    }
}

/// The group `gate` and an unprivileged user for the setgid install (made once; another test
/// binary may be making the group at the same moment).
fn protected_user() -> Result<(&'static str, nix::unistd::Gid), String> {
    const USER: &str = "gatetest-policy";
    static MADE: std::sync::OnceLock<Result<nix::unistd::Gid, String>> = std::sync::OnceLock::new();
    MADE.get_or_init(|| {
        for tool in [
            "/usr/sbin/useradd",
            "/usr/sbin/groupadd",
            "/usr/bin/setpriv",
        ] {
            if !Path::new(tool).exists() {
                return Err(format!("{tool} is missing"));
            }
        }
        let group = || nix::unistd::Group::from_name("gate").ok().flatten();
        if group().is_none() {
            let _ = Command::new("/usr/sbin/groupadd")
                .args(["--system", "gate"])
                .output();
        }
        let gid = group().ok_or("cannot make the group gate")?.gid;
        if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
            let _ = Command::new("/usr/sbin/useradd")
                .args(["--create-home", USER])
                .output();
        }
        nix::unistd::User::from_name(USER)
            .ok()
            .flatten()
            .ok_or(format!("cannot make the user {USER}"))?;
        Ok(gid)
    })
    .clone()
    .map(|gid| (USER, gid))
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_pushed_rule_decides_on_the_host_and_requests_record_its_version() {
    needs_root!("a_pushed_rule_decides_on_the_host_and_requests_record_its_version");
    let Some(db) = fleet("a_pushed_rule_decides_on_the_host_and_requests_record_its_version")
    else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::new(&db, "build7", &a.public);
    // Before anything was fetched: the host's own system policy, and it says what to do.
    let before = host.expect(&["check", "--", "touch", "/tmp/x"], 0);
    assert!(
        before.stderr.contains("run `gate policy fetch`"),
        "{}",
        before.stderr
    );
    a.push(DENY_TOUCH, 0);
    let fetched = host.expect(&["policy", "fetch", "--json"], 0).json();
    assert_eq!(fetched["fetched"], 1, "{fetched}");
    assert_eq!(fetched["cached_version"], 1);
    assert_eq!(fetched["behind"], false);
    let check = host.expect(&["check", "--json", "--", "touch", "/tmp/x"], 2);
    assert!(check.stdout.contains("fleet-no-touch"), "{}", check.stdout);
    // What it allows still runs, and says which version allowed it.
    let ran = host.expect(&["--json", "--", "true"], 0);
    let line: Value = serde_json::from_str(
        ran.stderr
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no JSON line: {}", ran.stderr)),
    )
    .unwrap();
    assert_eq!(line["schema"], "gate.run/1");
    assert_eq!(line["policy_version"], 1, "{line}");
    let denied = host.expect(&["--", "touch", "/tmp/gate-fleet-policy-never"], 77);
    assert!(
        denied.stderr.contains("The fleet policy forbids touch."),
        "{}",
        denied.stderr
    );
    let log = host.expect(&["log", "--json", "-n", "10"], 0);
    let lines: Vec<Value> = log
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{}", log.stdout);
    for l in &lines {
        assert_eq!(l["policy_version"], 1, "{l}");
    }
    // Status on the host; drift in the fleet once a version 2 is pushed.
    let status = host.expect(&["policy", "status", "--json"], 0).json();
    assert_eq!(status["cached_version"], 1);
    assert_eq!(status["newest_version"], 1);
    assert!(
        status["key_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    host.expect(&["fleet", "ship"], 0);
    a.push(DENY_TOUCH, 0);
    let auditor = db.role("audit", "gate_auditor");
    let fleet = Env::new()
        .gate()
        .args(["fleet", "status", "--json"])
        .env("GATE_FLEET", db.url_as(&auditor))
        .status(0)
        .run()
        .json();
    assert_eq!(fleet["policy_version"], 2, "{fleet}");
    let row = fleet["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["stream"] == host.role.as_str())
        .unwrap_or_else(|| panic!("no stream {}: {fleet}", host.role))
        .clone();
    assert_eq!(row["policy_version"], 1, "{row}");
    let text = Env::new()
        .gate()
        .args(["fleet", "status"])
        .env("GATE_FLEET", db.url_as(&auditor))
        .status(0)
        .run()
        .stdout;
    assert!(text.contains("policy v1 (behind v2)"), "{text}");
    assert!(
        host.expect(&["policy", "status"], 0)
            .stdout
            .contains("version 2 is newer"),
    );
}

#[test]
fn the_background_shipper_fetches_a_newer_policy() {
    needs_root!("the_background_shipper_fetches_a_newer_policy");
    let Some(db) = fleet("the_background_shipper_fetches_a_newer_policy") else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::new(&db, "build7", &a.public);
    a.push(DENY_TOUCH, 0);
    // Nobody runs `gate policy fetch`: a run starts the shipper, which ships, then fetches.
    host.expect(&["--", "true"], 0);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let status = host.expect(&["policy", "status", "--json"], 0).json();
        if status["cached_version"] == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "the shipper fetched nothing: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let check = host.expect(&["check", "--json", "--", "touch", "/tmp/x"], 2);
    assert!(check.stdout.contains("fleet-no-touch"), "{}", check.stdout);
}

#[test]
fn an_older_version_is_refused() {
    needs_root!("an_older_version_is_refused");
    let Some(db) = fleet("an_older_version_is_refused") else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::new(&db, "build7", &a.public);
    a.push(DENY_TOUCH, 0);
    a.push("[defaults]\ndecision = \"allow\"\n", 0);
    host.expect(&["policy", "fetch"], 0);
    let cached = std::fs::read(host.cache()).unwrap();
    // The fleet's database restored from an old backup (or rewritten by whoever owns it):
    // version 2 is gone, version 1 is the newest again.
    db.admin()
        .batch_execute(
            "ALTER TABLE gate.policies DISABLE TRIGGER USER;
             DELETE FROM gate.policies WHERE version = 2;
             ALTER TABLE gate.policies ENABLE TRIGGER USER;",
        )
        .unwrap();
    let out = host.expect(&["policy", "fetch"], 78);
    assert!(
        out.stderr.contains(
            "refusing fleet policy version 1: this host already has version 2, and versions only rise"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the cached version 2 stays in force"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(host.cache()).unwrap(), cached);
    host.expect(&["check", "--", "touch", "/tmp/x"], 0);
    // An old version's text and signature under the new number is no version 2 either.
    let v1: (String, String, Vec<u8>) = {
        let r = db
            .admin()
            .query_one(
                "SELECT body, sha256, signature FROM gate.policies WHERE version = 1",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    db.admin()
        .execute(
            "INSERT INTO gate.policies (version, sha256, body, signature) VALUES (3, $2, $1, $3)",
            &[&v1.0, &v1.1, &v1.2],
        )
        .unwrap();
    let relabelled = host.expect(&["policy", "fetch"], 78);
    assert!(
        relabelled
            .stderr
            .contains("refusing fleet policy version 3: the signature of fleet policy version 3 is not one of the pinned key"),
        "{}",
        relabelled.stderr
    );
    assert_eq!(std::fs::read(host.cache()).unwrap(), cached);
}

#[test]
fn a_badly_signed_or_altered_policy_is_refused() {
    needs_root!("a_badly_signed_or_altered_policy_is_refused");
    let Some(db) = fleet("a_badly_signed_or_altered_policy_is_refused") else {
        return;
    };
    let a = admin(&db, "ops");
    // A host that pins another key than the one the policy is signed with.
    let (_, other) = keygen(&a.env);
    let stranger = Host::new(&db, "build8", &other);
    a.push(DENY_TOUCH, 0);
    let out = stranger.expect(&["policy", "fetch"], 78);
    assert!(
        out.stderr
            .contains("refusing fleet policy version 1: the signature of fleet policy version 1 is not one of the pinned key SHA256:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("nothing was replaced"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(stranger.cache()).unwrap(), b"");
    stranger.expect(&["check", "--", "touch", "/tmp/x"], 0);
    // The right key, but the text altered in the database after it was signed.
    let host = Host::new(&db, "build7", &a.public);
    host.expect(&["policy", "fetch"], 0);
    a.push(DENY_TOUCH, 0);
    db.admin()
        .batch_execute(
            "ALTER TABLE gate.policies DISABLE TRIGGER USER;
             UPDATE gate.policies SET body = replace(body, 'deny', 'allow') WHERE version = 2;
             ALTER TABLE gate.policies ENABLE TRIGGER USER;",
        )
        .unwrap();
    let cached = std::fs::read(host.cache()).unwrap();
    let out = host.expect(&["policy", "fetch"], 78);
    assert!(
        out.stderr
            .contains("refusing fleet policy version 2: fleet policy version 2 was altered"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the cached version 1 stays in force"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(host.cache()).unwrap(), cached);
    // Altered along with its recorded SHA-256: the signature no longer covers it.
    db.admin()
        .batch_execute(
            "ALTER TABLE gate.policies DISABLE TRIGGER USER;
             UPDATE gate.policies SET sha256 = encode(sha256(convert_to(body, 'UTF8')), 'hex') WHERE version = 2;
             ALTER TABLE gate.policies ENABLE TRIGGER USER;",
        )
        .unwrap();
    let out = host.expect(&["policy", "fetch"], 78);
    assert!(
        out.stderr
            .contains("the signature of fleet policy version 2 is not one of the pinned key"),
        "{}",
        out.stderr
    );
    host.expect(&["check", "--", "touch", "/tmp/x"], 2);
}

#[test]
fn a_cache_tampered_with_on_disk_fails_closed() {
    needs_root!("a_cache_tampered_with_on_disk_fails_closed");
    let Some(db) = fleet("a_cache_tampered_with_on_disk_fails_closed") else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::new(&db, "build7", &a.public);
    a.push(DENY_TOUCH, 0);
    host.expect(&["policy", "fetch"], 0);
    host.expect(&["check", "--", "touch", "/tmp/x"], 2);
    let good = std::fs::read_to_string(host.cache()).unwrap();
    assert!(
        good.starts_with("gate-fleet-policy/1\nversion: 1\n"),
        "{good}"
    );
    // Loosened on disk: the rule no longer denies.
    std::fs::write(host.cache(), good.replace("\"deny\"", "\"allow\"")).unwrap();
    for args in [
        &["check", "--", "ls"][..],
        &["--", "true"][..],
        &["check", "--", "touch", "/tmp/x"][..],
    ] {
        let out = host.expect(args, 78);
        assert!(
            out.stderr.contains(
                "the cached fleet policy cannot be trusted: fleet policy version 1 was altered"
            ),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("run `gate policy fetch`"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(path_str(&host.cache())),
            "{}",
            out.stderr
        );
    }
    // A forged header (another version number) does not verify either.
    std::fs::write(host.cache(), good.replace("version: 1\n", "version: 9\n")).unwrap();
    let out = host.expect(&["--", "true"], 78);
    assert!(
        out.stderr
            .contains("the signature of fleet policy version 9 is not one of the pinned key"),
        "{}",
        out.stderr
    );
    // Status says what is wrong; fetch replaces it; control: decisions come back.
    let status = host.expect(&["policy", "status", "--json"], 0).json();
    assert_eq!(status["cached_version"], Value::Null);
    assert!(status["cache_problem"].as_str().is_some(), "{status}");
    host.expect(&["policy", "fetch"], 0);
    assert_eq!(std::fs::read_to_string(host.cache()).unwrap(), good);
    host.expect(&["check", "--", "ls"], 0);
    host.expect(&["check", "--", "touch", "/tmp/x"], 2);
}

#[test]
fn in_the_setgid_install_a_user_fetches_but_cannot_write_the_cache() {
    needs_root!("in_the_setgid_install_a_user_fetches_but_cannot_write_the_cache");
    let (user, gid) = match protected_user() {
        Ok(u) => u,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let Some(db) = fleet("in_the_setgid_install_a_user_fetches_but_cannot_write_the_cache") else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::setgid(&db, "build7", &a.public, gid);
    a.push(DENY_TOUCH, 0);
    // The attack: the user writes the cache (or replaces it) directly.
    let direct = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid",
            user,
            "--regid",
            user,
            "--init-groups",
            "--",
            "/bin/sh",
            "-c",
        ])
        .arg(format!(
            "echo x > {0} || exit 3; exit 0",
            path_str(&host.cache())
        ))
        .output()
        .unwrap();
    assert_eq!(direct.status.code(), Some(3), "the user wrote the cache");
    let moved = Command::new("/usr/bin/setpriv")
        .args([
            "--reuid",
            user,
            "--regid",
            user,
            "--init-groups",
            "--",
            "/bin/mv",
        ])
        .arg(host.cache())
        .arg("/tmp/gate-fleet-policy-stolen")
        .output()
        .unwrap();
    assert!(!moved.status.success(), "the user moved the cache away");
    // Through gate, the same user fetches: the file keeps its owner, group and mode.
    let out = host.gate_as(user, &["policy", "fetch", "--json"]);
    assert_eq!(out.code, 0, "{} {}", out.stdout, out.stderr);
    assert_eq!(out.json()["fetched"], 1);
    let m = std::fs::metadata(host.cache()).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (m.uid(), m.gid(), m.mode() & 0o7777),
        (0, gid.as_raw(), 0o660)
    );
    assert!(
        std::fs::read_to_string(host.cache())
            .unwrap()
            .starts_with("gate-fleet-policy/1\nversion: 1\n")
    );
    let check = host.gate_as(user, &["check", "--", "touch", "/tmp/x"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    let status = host.gate_as(user, &["policy", "status", "--json"]);
    assert_eq!(status.json()["cached_version"], 1, "{}", status.stderr);
}

/// What verifying the fleet policy on every load costs: `gate -- true` on one host with a
/// fetched fleet policy, then with the same rules as its own system policy and no key pinned
/// (`cargo test --test fleet_policy -- --ignored --nocapture figures`).
#[test]
#[ignore]
fn figures() {
    needs_root!("figures");
    let Some(db) = fleet("figures") else {
        return;
    };
    let a = admin(&db, "ops");
    let host = Host::new(&db, "build7", &a.public);
    a.push(DENY_TOUCH, 0);
    host.expect(&["policy", "fetch"], 0);
    let p50 = |host: &Host| {
        let mut ms: Vec<f64> = (0..40)
            .map(|_| {
                let t = std::time::Instant::now();
                host.expect(&["--", "true"], 0);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[ms.len() / 2], ms[ms.len() * 9 / 10])
    };
    let (signed50, signed90) = p50(&host);
    host.system_policy(&format!(
        "[defaults]\nchannels = [\"local\"]\n\n[fleet]\nurl = \"{}\"\n{DENY_TOUCH}",
        db.url_as(&host.role)
    ));
    let (plain50, plain90) = p50(&host);
    println!(
        "gate -- true, 40 runs: fleet policy verified on load p50 {signed50:.2} ms (p90 {signed90:.2}); same rules in the system policy p50 {plain50:.2} ms (p90 {plain90:.2})"
    );
}
